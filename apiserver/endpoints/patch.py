"""The PATCH formats, as pure functions over JSON values (dicts, lists, str, int, float, bool, None).

* :func:`json_patch`: RFC 6902 JSON patch (``application/json-patch+json``) with the behaviour and errors of
  upstream's library (gopkg.in/evanphx/json-patch.v4 v4.12.0) and of kube-apiserver's ``jsonPatcher``
  (k8s.io/apiserver ``pkg/endpoints/handlers/patch.go``), quirks included: ``replace`` of a missing object
  member adds it, ``copy`` from a missing member copies ``null``, negative array indices count from the end,
  ``add``/``remove``/``move``/``copy`` cannot address the whole document, ``replace`` of the whole document
  with a scalar is ignored.
* :func:`json_patch_strict_errors`: what strict decoding of a JSON patch reports (``fieldValidation=Strict``
  or ``Warn``): ``json patch unknown field "[0].baz"``, ``json patch duplicate field "[0].op"``.
* :func:`merge_patch`: RFC 7386 JSON merge patch (``application/merge-patch+json``) as ``jsonpatch.MergePatch``
  does it (nulls are also dropped from objects inside arrays it inserts; a top-level array patch replaces).
* :func:`strategic_merge_patch`: k8s.io/apimachinery ``pkg/util/strategicpatch`` ``StrategicMergeMapPatch``
  with the patch metadata (``x-kubernetes-patch-strategy``, ``x-kubernetes-patch-merge-key``) of the OpenAPI
  definitions (:func:`apiserver.apis.schemas.field_meta`): ``$patch`` (replace/delete in maps; replace/delete
  in list items), ``$setElementOrder/<list>``, ``$retainKeys``, ``$deleteFromPrimitiveList/<list>``, null
  deletes, merge lists merged by key in upstream's order, other lists replaced.

Failures raise :class:`PatchError` (a :class:`~apiserver.endpoints.status.StatusError`) with the code, reason
and message kube-apiserver answers:

* JSON patch: a body that does not decode as a list of operations: 400 BadRequest (``error decoding patch:
  json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp``); more than 10000 operations:
  413 RequestEntityTooLarge; an operation that does not apply (missing path, failed test, bad index, unknown
  op): 422 Invalid with the fixed message ``the server rejected our request due to an error in our request``
  and empty details (``errors.NewGenericServerResponse`` drops the library's text; it is kept in
  :attr:`PatchError.cause`).
* Merge patch: an array or scalar patch: 400 ``error decoding patch: json: cannot unmarshal array into Go value
  of type map[string]interface {}`` (fieldValidation Strict/Warn); a ``null`` patch (or, with Ignore, a
  scalar one): 400 ``Invalid JSON Patch``.
* Strategic merge patch: a patch that is not an object: 400 (``json: cannot unmarshal array into Go value of
  type map[string]interface {}``); bad directive formats (``invalid patch format of retainKeys`` ...): 400;
  ``lists of lists are not supported``: 422 as above; anything else (``map: map[image:x] does not contain
  declared merge key: name``, ``unknown patch type: merge in map: ...``, ``list element types are not
  identical: ...``): 500 with reason ``""`` (StatusReasonUnknown) and the error text as message, since
  upstream hands a plain error to the response writer.
* Where upstream's Go code would panic (nil dereference, comparing or hashing maps), the request ends with a
  plain-text 500 ``This request caused apiserver to panic. Look in the logs for details.``: raised as a
  PatchError with ``panic=True``.

The caller still does what kube-apiserver does around these functions: decode the body (malformed JSON is a
400: ``error decoding patch: <json error>`` for JSON and merge patches under Strict/Warn, the bare JSON error
for JSON patches under Ignore and for strategic merge patches, ``Invalid JSON Patch`` for merge patches under
Ignore), decode the result into the kind (a result that is not an object, or has wrong types: 422 Invalid on
field ``patch``), strict field validation, and the checks of the patched object's name, namespace, uid, kind
and apiVersion. Results keep what upstream leaves for the typed decode to drop: nulls and directives inside
lists without a merge strategy or under ``$patch: replace``, ``$setElementOrder``/``$retainKeys`` keys inside
newly added maps.

Where upstream's result depends on Go slice capacities (a ``$setElementOrder`` list merged with deletions and
additions, duplicates in a merged primitive list), the capacities of JSON-decoded lists are assumed, as in
upstream's own tests.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from apiserver.apis import schemas
from apiserver.codec.json import dumps, go_float, go_quote
from apiserver.endpoints.status import StatusError

__all__ = ["INVALID_MESSAGE", "JSON_PATCH_MAX_COPY_BYTES", "MAX_JSON_PATCH_OPERATIONS", "PANIC_MESSAGE",
           "PatchError", "json_patch", "json_patch_strict_errors", "merge_patch", "strategic_merge_patch"]

# handlers/patch.go maxJSONPatchOperations
MAX_JSON_PATCH_OPERATIONS = 10000
# server.Config.JSONPatchMaxCopyBytes (3 MiB), armed as jsonpatch.AccumulatedCopySizeLimit
JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024
# errors.NewGenericServerResponse(422, ...) replaces the server message with this
INVALID_MESSAGE = "the server rejected our request due to an error in our request"
# genericfilters.WithPanicRecovery's plain-text answer
PANIC_MESSAGE = "This request caused apiserver to panic. Look in the logs for details."

Json = Any


class PatchError(StatusError):
    """A patch that cannot be applied, answered as upstream answers it.

    ``code``/``reason``/``message``/``details`` make the Status (``reason`` is ``""`` for upstream's plain
    errors, which it omits); ``cause`` is the library's own error text (for 422s, whose message is fixed);
    ``panic`` marks the cases where upstream panics and answers plain text 500 :data:`PANIC_MESSAGE`.
    """

    def __init__(self, code: int, reason: str, message: str, details: Optional[dict] = None,
                 cause: Optional[str] = None, panic: bool = False) -> None:
        super().__init__(code, reason, message, details)
        self.cause = message if cause is None else cause
        self.panic = panic

    def status(self) -> dict:
        body = super().status()
        if not self.reason:
            body.pop("reason", None)
        return body

    def __repr__(self) -> str:
        return f"PatchError({self.code}, {self.reason!r}, {self.message!r}, cause={self.cause!r})"


def _invalid(cause: str) -> PatchError:
    return PatchError(422, "Invalid", INVALID_MESSAGE, {}, cause)


def _bad_request(message: str) -> PatchError:
    return PatchError(400, "BadRequest", message)


def _panic_error(cause: str) -> PatchError:
    return PatchError(500, "InternalError", PANIC_MESSAGE, None, cause, panic=True)


class _GoError(Exception):
    """An error value of the Go code being reproduced; ``kind`` names the sentinel it is, if any."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class _Panic(Exception):
    """Where the Go code panics."""


# -- Go value formatting and comparison -----------------------------------------------------------------------

_MAP, _SLICE = "map[string]interface {}", "[]interface {}"


def _go_type(v: Json) -> Optional[str]:
    """The Go type an unmarshalled JSON value has (``None`` for nil)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return _MAP
    if isinstance(v, (list, tuple)):
        return _SLICE
    raise TypeError(f"not a JSON value: {type(v).__name__}")


def _json_kind(v: Json) -> str:
    """encoding/json's name for a value in an UnmarshalTypeError."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    return "array"


def _go_v(v: Json) -> str:
    """fmt's %v of an unmarshalled JSON value: ``map[a:1 b:[x y]]`` (keys sorted), ``<nil>``."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_v(v[k])}" for k in sorted(v)) + "]"
    return "[" + " ".join(_go_v(x) for x in v) + "]"


def _go_s(v: Json, top: bool = True) -> str:
    """fmt's %s of an interface{} holding a JSON value (``%!s(int64=5)`` for non-strings)."""
    if v is None:
        return "%!s(<nil>)" if top else "<nil>"
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_s(v[k], False)}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_go_s(x, False) for x in v) + "]"
    return f"%!s({_go_type(v)}={_go_v(v)})"


def _go_type_s(v: Json) -> str:
    """%s of reflect.TypeOf(v)."""
    t = _go_type(v)
    return "%!s(<nil>)" if t is None else t


def _go_eq(a: Json, b: Json) -> bool:
    """Go's == on two interface{} values: different dynamic types are unequal, maps and slices panic."""
    ta, tb = _go_type(a), _go_type(b)
    if ta != tb:
        return False
    if ta in (_MAP, _SLICE):
        raise _Panic(f"runtime error: comparing uncomparable type {ta}")
    return a == b


def _hash_key(v: Json) -> Tuple[Optional[str], Json]:
    """A key for Go's map[interface{}]: hashing a map or slice panics."""
    t = _go_type(v)
    if t in (_MAP, _SLICE):
        raise _Panic(f"runtime error: hash of unhashable type {t}")
    return t, v


def _go_atoi(s: str) -> int:
    """strconv.Atoi (64-bit), raising its errors."""
    def fail(why: str) -> _GoError:
        return _GoError(f"strconv.Atoi: parsing {go_quote(s)}: {why}")

    body = s[1:] if s[:1] in ("+", "-") else s
    if not body:
        raise fail("invalid syntax")
    n = 0
    for ch in body:
        if not "0" <= ch <= "9":
            raise fail("invalid syntax")
        n = n * 10 + (ord(ch) - 48)
        if n > 0xFFFFFFFFFFFFFFFF:
            raise fail("value out of range")
    if s[0] == "-":
        if n > 1 << 63:
            raise fail("value out of range")
        return -n
    if n >= 1 << 63:
        raise fail("value out of range")
    return n


def _go_stable_sort(items: List[Json], less: Callable[[Json, Json], bool]) -> None:
    """Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge), in place, with the same calls
    to ``less``: upstream's comparators are not strict weak orders, so only the same algorithm gives the same
    order."""
    def lt(i: int, j: int) -> bool:
        return less(items[i], items[j])

    def swap(i: int, j: int) -> None:
        items[i], items[j] = items[j], items[i]

    def insertion_sort(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def swap_range(a: int, b: int, n: int) -> None:
        for i in range(n):
            swap(a + i, b + i)

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) >> 1
                if lt(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                swap(k, k + 1)
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) >> 1
                if not lt(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                swap(k, k - 1)
            return
        mid = (a + b) >> 1
        n = mid + m
        if m > mid:
            start, r = n - b, mid
        else:
            start, r = a, m
        p = n - 1
        while start < r:
            c = (start + r) >> 1
            if not lt(p - c, c):
                start = c + 1
            else:
                r = c
        end = n - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    n = len(items)
    block = 20
    a, b = 0, block
    while b <= n:
        insertion_sort(a, b)
        a, b = b, b + block
    insertion_sort(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a, b = b, b + 2 * block
        m = a + block
        if m < n:
            sym_merge(a, m, n)
        block *= 2


# -- JSON patch (RFC 6902) ------------------------------------------------------------------------------------

_MISSING = object()
_JSON_PATCH_FIELDS = ("op", "path", "from")


def json_patch(doc: Json, operations: Json, *, strict: bool = True,
               max_operations: int = MAX_JSON_PATCH_OPERATIONS,
               max_copy_bytes: int = JSON_PATCH_MAX_COPY_BYTES) -> Json:
    """Apply an RFC 6902 patch (the decoded request body) to ``doc``; return the new document.

    ``strict``: the request's fieldValidation is Strict or Warn (the server's default is Warn), whose
    decoding into ``[]jsonPatchOp`` rejects ``"op"``, ``"path"`` and ``"from"`` values that are not strings
    up front; with Ignore such operations fail when applied. ``doc`` is not modified.
    """
    ops = _decode_json_patch(operations, strict)
    if len(ops) > max_operations:
        raise PatchError(413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum operations "
                         f"in a JSON patch is {max_operations}, got {len(ops)}")
    try:
        return _apply_json_patch(doc, ops, max_copy_bytes)
    except _GoError as err:
        raise _invalid(err.message) from None
    except _Panic as err:
        raise _panic_error(str(err)) from None


def _decode_json_patch(operations: Json, strict: bool) -> List[Optional[dict]]:
    if operations is None:
        return []
    if strict:
        if not isinstance(operations, list):
            raise _bad_request("error decoding patch: json: cannot unmarshal "
                               f"{_json_kind(operations)} into Go value of type []handlers.jsonPatchOp")
        for op in operations:
            if op is None:
                continue
            if not isinstance(op, dict):
                raise _bad_request(f"error decoding patch: json: cannot unmarshal {_json_kind(op)} "
                                   "into Go value of type handlers.jsonPatchOp")
            for key, value in op.items():
                if key in _JSON_PATCH_FIELDS and value is not None and not isinstance(value, str):
                    raise _bad_request(f"error decoding patch: json: cannot unmarshal {_json_kind(value)} "
                                       f"into Go struct field jsonPatchOp.{key} of type string")
        return list(operations)
    if not isinstance(operations, list):
        raise _bad_request(f"json: cannot unmarshal {_json_kind(operations)} into Go value of type jsonpatch.Patch")
    for op in operations:
        if op is not None and not isinstance(op, dict):
            raise _bad_request(f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation")
    return list(operations)


def json_patch_strict_errors(operations: Json, limit: int = schemas.MAX_STRICT_ERRORS) -> List[str]:
    """The strict-decoding errors of a JSON patch body, as kube-apiserver words them for warnings
    (fieldValidation=Warn) or in the 422 (Strict): ``json patch unknown field "[0].baz"``, ``json patch
    duplicate field "[1].op"`` (duplicates inside ``value`` too: ``[0].value.a``).

    ``operations`` is :func:`apiserver.codec.json.loads`'s value, or :func:`~apiserver.codec.json.loads_pairs`'s
    tree (objects as tuples of pairs) when loads reported duplicates.
    """
    out: List[str] = []
    seen: set = set()

    def add(kind: str, path: str) -> None:
        if len(out) < limit and (kind, path) not in seen:
            seen.add((kind, path))
            out.append(f"json patch {kind} {go_quote(path)}")

    def untyped(node: Json, path: str) -> None:
        if isinstance(node, tuple):
            keys: set = set()
            for key, item in node:
                child = f"{path}.{key}"
                if key in keys:
                    add("duplicate field", child)
                keys.add(key)
                untyped(item, child)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                untyped(item, f"{path}[{index}]")

    if not isinstance(operations, list):
        return out
    for index, op in enumerate(operations):
        pairs = op.items() if isinstance(op, dict) else op if isinstance(op, tuple) else ()
        known: set = set()
        for key, value in pairs:
            path = f"[{index}].{key}"
            if key not in ("op", "path", "from", "value"):
                add("unknown field", path)
                continue
            if key in known:
                add("duplicate field", path)
            known.add(key)
            if key == "value":
                untyped(value, path)
    return out


def _decode_pointer_token(token: str) -> str:
    # strings.NewReplacer("~1", "/", "~0", "~"): one left-to-right pass, other "~" sequences kept
    if "~" not in token:
        return token
    out = []
    i = 0
    while i < len(token):
        pair = token[i:i + 2]
        if pair == "~1":
            out.append("/")
            i += 2
        elif pair == "~0":
            out.append("~")
            i += 2
        else:
            out.append(token[i])
            i += 1
    return "".join(out)


def _invalid_index(idx: int) -> _GoError:
    return _GoError(f"Unable to access invalid index: {idx}: invalid index referenced")


def _container_get(con: Union[dict, list], key: str) -> Json:
    """partialDoc.get (a missing member is nil, no error) / partialArray.get."""
    if isinstance(con, dict):
        return con.get(key)
    idx = _go_atoi(key)
    if idx < 0:
        if idx < -len(con):
            raise _invalid_index(idx)
        idx += len(con)
    if idx >= len(con):
        raise _invalid_index(idx)
    return con[idx]


def _container_add(con: Union[dict, list], key: str, value: Json) -> None:
    if isinstance(con, dict):
        con[key] = value
        return
    if key == "-":
        con.append(value)
        return
    try:
        idx = _go_atoi(key)
    except _GoError as err:
        raise _GoError(f"value was not a proper array index: '{key}': {err.message}") from None
    size = len(con) + 1
    if idx >= size:
        raise _invalid_index(idx)
    if idx < 0:
        if idx < -size:
            raise _invalid_index(idx)
        idx += size
    con.insert(idx, value)


def _container_set(con: Union[dict, list], key: str, value: Json) -> None:
    if isinstance(con, dict):
        con[key] = value
        return
    idx = _go_atoi(key)
    if idx < 0:
        if idx < -len(con):
            raise _invalid_index(idx)
        idx += len(con)
    con[idx] = value


def _container_remove(con: Union[dict, list], key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise _GoError(f"Unable to remove nonexistent key: {key}: missing value")
        del con[key]
        return
    idx = _go_atoi(key)
    if idx >= len(con):
        raise _invalid_index(idx)
    if idx < 0:
        if idx < -len(con):
            raise _invalid_index(idx)
        idx += len(con)
    del con[idx]


def _find_object(root: Union[dict, list], path: str) -> Tuple[Optional[Union[dict, list]], str]:
    """findObject: the container holding the pointer's last token, or None. The text before the first "/"
    is ignored, as upstream does."""
    split = path.split("/")
    if len(split) < 2:
        return None, ""
    doc: Union[dict, list] = root
    for part in split[1:-1]:
        try:
            nxt = _container_get(doc, _decode_pointer_token(part))
        except _GoError:
            return None, ""
        if not isinstance(nxt, (dict, list)):
            return None, ""
        doc = nxt
    return doc, _decode_pointer_token(split[-1])


def _op_string(op: Optional[dict], field: str, missing: str) -> str:
    """Operation.Path/From: raises the decode error (``missing`` when absent or null)."""
    value = None if op is None else op.get(field)
    if value is None:
        raise _GoError(missing)
    if not isinstance(value, str):
        raise _GoError(f"json: cannot unmarshal {_json_kind(value)} into Go value of type string")
    return value


_PATH_MISSING = "operation missing path field: missing value"
_FROM_MISSING = "operation, missing from field: missing value"


def _path(op: Optional[dict], what: str, wrap_cause: bool = True) -> str:
    try:
        return _op_string(op, "path", _PATH_MISSING)
    except _GoError as err:
        # add, remove and copy wrap ErrMissing whatever went wrong; the others wrap the decode error
        cause = err.message if wrap_cause else "missing value"
        raise _GoError(f"{what} operation failed to decode path: {cause}") from None


def _from(op: Optional[dict], what: str) -> str:
    try:
        return _op_string(op, "from", _FROM_MISSING)
    except _GoError as err:
        raise _GoError(f"{what} operation failed to decode from: {err.message}") from None


def _op_value(op: Optional[dict]) -> Json:
    """A copy of the operation's value, or _MISSING."""
    if op is None or "value" not in op:
        return _MISSING
    return copy.deepcopy(op["value"])


def _json_equal(node: Json, other: Json) -> bool:
    """lazyNode.equal of a document value (not null) with an operation value (not null)."""
    if isinstance(node, dict):
        if not isinstance(other, dict) or len(node) != len(other):
            return False
        for key, value in node.items():
            if key not in other:
                return False
            theirs = other[key]
            if (value is None) != (theirs is None):
                return False
            if value is not None and not _json_equal(value, theirs):
                return False
        return True
    if isinstance(node, list):
        if not isinstance(other, list) or len(node) != len(other):
            return False
        for mine, theirs in zip(node, other):
            if mine is None or theirs is None:
                raise _Panic("runtime error: invalid memory address or nil pointer dereference")
            if not _json_equal(mine, theirs):
                return False
        return True
    # upstream compares the compact JSON texts; values of the same Go type compare the same way
    return not isinstance(other, (dict, list)) and _go_type(node) == _go_type(other) and node == other


def _apply_json_patch(doc: Json, ops: Sequence[Optional[dict]], max_copy_bytes: int) -> Json:
    if not isinstance(doc, (dict, list)):
        if doc is None:  # a nil partialDoc: fine until something is stored in it
            if ops:
                raise _Panic("assignment to entry in nil map")
            return None
        raise _GoError(f"json: cannot unmarshal {_json_kind(doc)} into Go value of type jsonpatch.partialDoc")
    root: Union[dict, list] = copy.deepcopy(doc)
    copied = 0
    for op in ops:
        kind = op.get("op") if op is not None else None
        if not isinstance(kind, str):
            kind = "unknown"
        if kind == "add":
            path = _path(op, "add", wrap_cause=False)
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f'add operation does not apply: doc is missing path: "{path}": missing value')
            value = _op_value(op)
            try:
                _container_add(con, key, None if value is _MISSING else value)
            except _GoError as err:
                raise _GoError(f"error in add for path: '{path}': {err.message}") from None
        elif kind == "remove":
            path = _path(op, "remove", wrap_cause=False)
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f'remove operation does not apply: doc is missing path: "{path}": missing value')
            try:
                _container_remove(con, key)
            except _GoError as err:
                raise _GoError(f"error in remove for path: '{path}': {err.message}") from None
        elif kind == "replace":
            path = _path(op, "replace")
            value = _op_value(op)
            if path == "":
                if value is _MISSING:
                    raise _Panic("runtime error: invalid memory address or nil pointer dereference")
                if isinstance(value, (dict, list)):
                    root = value
                # a scalar or null: errors.Wrapf(nil, ...) is nil, so nothing happens
                continue
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f"replace operation does not apply: doc is missing path: {path}: missing value")
            try:
                _container_get(con, key)
            except _GoError:
                raise _GoError(f"replace operation does not apply: doc is missing key: {path}: missing value") from None
            _container_set(con, key, None if value is _MISSING else value)
        elif kind == "move":
            source = _from(op, "move")
            con, key = _find_object(root, source)
            if con is None:
                raise _GoError(f"move operation does not apply: doc is missing from path: {source}: missing value")
            try:
                value = _container_get(con, key)
                _container_remove(con, key)
            except _GoError as err:
                raise _GoError(f"error in move for path: '{key}': {err.message}") from None
            path = _path(op, "move")
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f"move operation does not apply: doc is missing destination path: {path}: "
                               "missing value")
            try:
                _container_add(con, key, value)
            except _GoError as err:
                raise _GoError(f"error in move for path: '{path}': {err.message}") from None
        elif kind == "test":
            path = _path(op, "test")
            expected = op.get("value", _MISSING) if op is not None else _MISSING
            if path == "":
                if expected is _MISSING:
                    raise _Panic("runtime error: invalid memory address or nil pointer dereference")
                if expected is None or not _json_equal(root, expected):
                    raise _GoError(f"testing value {path} failed: test failed")
                continue
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f"test operation does not apply: is missing path: {path}: missing value")
            try:
                actual = _container_get(con, key)
            except _GoError as err:
                raise _GoError(f"error in test for path: '{path}': {err.message}") from None
            if actual is None:
                if expected is _MISSING:
                    raise _Panic("runtime error: invalid memory address or nil pointer dereference")
                if expected is not None:
                    raise _GoError(f"testing value {path} failed: test failed")
            elif expected is _MISSING or expected is None or not _json_equal(actual, expected):
                raise _GoError(f"testing value {path} failed: test failed")
        elif kind == "copy":
            source = _from(op, "copy")
            con, key = _find_object(root, source)
            if con is None:
                raise _GoError(f"copy operation does not apply: doc is missing from path: {source}: missing value")
            try:
                value = _container_get(con, key)
            except _GoError as err:
                raise _GoError(f"error in copy for from: '{source}': {err.message}") from None
            path = _path(op, "copy", wrap_cause=False)
            con, key = _find_object(root, path)
            if con is None:
                raise _GoError(f"copy operation does not apply: doc is missing destination path: {path}: "
                               "missing value")
            if value is not None:
                copied += len(dumps(value))
                value = copy.deepcopy(value)
            if 0 < max_copy_bytes < copied:
                raise _GoError("Unable to complete the copy, the accumulated size increase of copy is "
                               f"{copied}, exceeding the limit {max_copy_bytes}")
            try:
                _container_add(con, key, value)
            except _GoError as err:
                raise _GoError(f"error while adding value during copy: {err.message}") from None
        else:
            raise _GoError(f"Unexpected kind: {kind}")
    return root


# -- JSON merge patch (RFC 7386) ------------------------------------------------------------------------------

def merge_patch(target: Json, patch: Json, *, strict: bool = True) -> Json:
    """RFC 7386 as ``jsonpatch.MergePatch`` (evanphx/json-patch v4) applies it; inputs are not modified.

    Objects merge recursively and null deletes a member; a patch value put where there was no object has its
    null members dropped, also inside arrays (``pruneNulls``); a top-level array patch replaces the document.

    ``strict``: the request's fieldValidation is Strict or Warn (the server's default is Warn): the body is
    first decoded into a map, so an array or scalar patch is a 400 ``error decoding patch: json: cannot
    unmarshal array into Go value of type map[string]interface {}``. Then (and with Ignore) a ``null`` or
    scalar patch is a 400 ``Invalid JSON Patch`` (``ErrBadJSONPatch``, answered as BadRequest), and a ``null``
    target upstream's ``Invalid JSON Document`` (a plain error: 500).
    """
    if strict and patch is not None and not isinstance(patch, dict):
        raise _bad_request(f"error decoding patch: json: cannot unmarshal {_json_kind(patch)} into Go value of "
                           "type map[string]interface {}")
    if target is None:
        raise PatchError(500, "", "Invalid JSON Document")
    if isinstance(patch, list):
        return _prune_nulls(copy.deepcopy(patch))
    if not isinstance(patch, dict):
        raise _bad_request("Invalid JSON Patch")
    if not isinstance(target, dict):
        return _prune_nulls(copy.deepcopy(patch))
    result = copy.deepcopy(target)
    _merge_docs(result, copy.deepcopy(patch))
    return result


def _merge_docs(doc: dict, patch: dict) -> None:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
            continue
        current = doc.get(key)
        doc[key] = _prune_nulls(value) if current is None else _merge_value(current, value)


def _merge_value(current: Json, patch: Json) -> Json:
    if not isinstance(current, dict):
        return _prune_nulls(patch)
    if not isinstance(patch, dict):
        return patch  # upstream does not prune here
    _merge_docs(current, patch)
    return current


def _prune_nulls(value: Json) -> Json:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _prune_nulls(item)
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                _prune_nulls(item)
    return value


# -- strategic merge patch ------------------------------------------------------------------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
_SET_ELEMENT_ORDER = "$setElementOrder"

# mergepatch's sentinel errors, and how interpretStrategicMergePatchError answers them
_ERR_BAD_PRIMITIVE_LIST = ("invalid patch format of primitive list", "bad-request")
_ERR_BAD_RETAIN_KEYS = ("invalid patch format of retainKeys", "bad-request")
_ERR_BAD_SET_ELEMENT_ORDER = ("invalid patch format of setElementOrder list", "bad-request")
_ERR_NO_LIST_OF_LISTS = ("lists of lists are not supported", "invalid")

SchemaRef = Union[str, Dict[str, Any]]


def strategic_merge_patch(original: dict, patch: Json, definition: SchemaRef) -> dict:
    """Apply a strategic merge patch (the decoded request body) to ``original`` (a built-in kind's object,
    versioned) using the patch metadata of ``definition`` (e.g. ``io.k8s.api.apps.v1.Deployment``, see
    :func:`apiserver.apis.schemas.definition_for`; a schema dict also works). Inputs are not modified.

    A ``null`` patch changes nothing. Fields the schema does not know merge as plain maps (upstream keeps them
    and leaves them to strict decoding); ``$setElementOrder`` of an unknown field fails as upstream does.
    """
    if patch is None:
        return copy.deepcopy(original)
    if not isinstance(patch, dict):
        raise _bad_request(f"json: cannot unmarshal {_json_kind(patch)} into Go value of type "
                           "map[string]interface {}")
    try:
        work = copy.deepcopy(original) if isinstance(original, dict) else {}
        return _merge_map(work, copy.deepcopy(patch), _Node(definition, ()))
    except _GoError as err:
        if err.kind == "bad-request":
            raise _bad_request(err.message) from None
        if err.kind == "invalid":
            raise _invalid(err.message) from None
        raise PatchError(500, "", err.message) from None
    except _Panic as err:
        raise _panic_error(str(err)) from None
    except RecursionError:
        raise _panic_error("runtime: goroutine stack exceeds limit") from None


def _sentinel(err: Tuple[str, str]) -> _GoError:
    return _GoError(*err)


def _err_no_merge_key(m: dict, key: str) -> _GoError:
    return _GoError(f"map: {_go_v(m)} does not contain declared merge key: {key}")


def _err_bad_arg_type(expected: str, actual: Json) -> _GoError:
    return _GoError(f"expected a {expected}, but received a {_go_type_s(actual)}")


def _err_bad_patch_type(directive: Json, m: dict) -> _GoError:
    return _GoError(f"unknown patch type: {_go_s(directive)} in map: {_go_v(m)}")


class _Node:
    """Where in the schema a map (a struct or one item of a list) is: PatchMetaFromStruct's type.

    ``path`` is the field_meta path of the struct, or of the list whose items are meant; ``None`` is a place
    the schema does not describe (upstream never meets one: its originals are typed objects).
    """

    __slots__ = ("definition", "path")

    def __init__(self, definition: SchemaRef, path: Optional[Tuple[str, ...]]) -> None:
        self.definition = definition
        self.path = path

    def _shape(self) -> Tuple[str, str, Dict[str, Any]]:
        """("struct" | "map" | "opaque" | a Go kind | "unknown", the type's short name, its properties)."""
        if self.path is None:
            return "unknown", "", {}
        meta = schemas.field_meta(self.definition, self.path)
        if meta is None:
            return "unknown", "", {}
        schema, name = meta.schema, meta.definition
        items = schema.get("items")
        if isinstance(items, dict):
            name, schema = schemas.ref_name(items), schemas.resolve(items)
        short = name.rsplit(".", 1)[-1] if name else ""
        props = schema.get("properties")
        if props:
            return "struct", short, props
        if isinstance(schema.get("additionalProperties"), dict):
            return "map", short, {}
        kind = schema.get("type")
        if kind in (None, "object"):
            return "opaque", short, {}
        go_kinds = {"integer": "int64", "number": "float64", "boolean": "bool", "array": "slice"}
        return go_kinds.get(kind, kind), short, {}

    def kind_name(self) -> str:
        """Name(): the Go kind of the type (for ``cannot merge lists without merge key for struct``)."""
        shape = self._shape()[0]
        return {"opaque": "struct", "unknown": "struct"}.get(shape, shape)

    def lookup(self, key: str, strict: bool = False) -> Tuple[_Node, Tuple[str, ...], str]:
        """LookupPatchMetadataForStruct: (the field's node, its patch strategies, its merge key)."""
        shape, short, props = self._shape()
        if shape == "unknown":
            return _Node(self.definition, None), (), ""
        if shape == "map":
            raise _GoError("merging an object in json but data type is not struct, instead is: map")
        if shape not in ("struct", "opaque"):
            raise _GoError(f"merging an object in json but data type is not struct, instead is: {shape}")
        field = key if key in props else next((p for p in props if p.lower() == key.lower()), None)
        if field is None:
            if shape == "struct" and not strict:
                return _Node(self.definition, None), (), ""
            raise _GoError(f"unable to find api field in struct {short} for the json field {go_quote(key)}")
        path = self.path + (field,)  # type: ignore[operator]
        meta = schemas.field_meta(self.definition, path)
        if meta is None:
            return _Node(self.definition, None), (), ""
        return _Node(self.definition, path), meta.patch_strategies, meta.patch_merge_key or ""

    def lookup_slice(self, key: str, strict: bool = False) -> Tuple[_Node, Tuple[str, ...], str]:
        """LookupPatchMetadataForSlice: the node is the list's items."""
        node, strategies, merge_key = self.lookup(key, strict)
        if node.path is not None:
            # A field that is not a list is taken as a pointer to its type (upstream errs for other Go kinds,
            # which the OpenAPI does not tell apart): "by pointer" merge lists work as upstream's tests want.
            meta = schemas.field_meta(self.definition, node.path)
            if meta is not None and isinstance(meta.schema.get("items"), dict):
                items = schemas.resolve(meta.schema["items"])
                if isinstance(items.get("items"), dict):
                    raise _GoError("unexpected slice of slice")
        return node, strategies, merge_key


def _patch_strategy(strategies: Sequence[str]) -> str:
    """extractRetainKeysPatchStrategy: the strategy beside retainKeys."""
    if len(strategies) <= 1:
        strategy = strategies[0] if strategies else ""
        return "" if strategy == "retainKeys" else strategy
    if len(strategies) == 2:
        if strategies[0] == "retainKeys":
            return strategies[1]
        if strategies[1] == "retainKeys":
            return strategies[0]
    raise _GoError(f"unexpected patch strategy: [{' '.join(strategies)}]")


def _extract_key(key: str, prefix: str) -> str:
    parts = key.split("/", 1)
    if len(parts) <= 1 or parts[0] != prefix:
        if prefix == _DELETE_FROM_PRIMITIVE_LIST:
            raise _sentinel(_ERR_BAD_PRIMITIVE_LIST)
        raise _sentinel(_ERR_BAD_SET_ELEMENT_ORDER)
    return parts[1]


def _merge_map(original: Optional[dict], patch: dict, node: _Node) -> dict:
    """mergeMap with the server's options (MergeParallelList, IgnoreUnmatchedNulls). Mutates both."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            del patch[_DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        raise _err_bad_patch_type(directive, patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, node)

    for key, patch_v in list(patch.items()):
        delete_list = key.startswith(_DELETE_FROM_PRIMITIVE_LIST)
        if delete_list:
            key = _extract_key(key, _DELETE_FROM_PRIMITIVE_LIST)
        if patch_v is None:
            original.pop(key, None)
            continue
        if key not in original or _go_type(original[key]) != _go_type(patch_v):
            if not delete_list:
                _discard_nulls(patch_v)
                value, keep = _remove_directives(patch_v)
                if keep:
                    original[key] = value
                else:
                    original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            child, strategies, _ = node.lookup(key)
            if _patch_strategy(strategies) == "replace":
                original[key] = patch_v
            else:
                original[key] = _merge_map(current, patch_v, child)
        elif isinstance(current, list):
            child, strategies, merge_key = node.lookup_slice(key)
            original[key] = _merge_slice_handler(current, patch_v, child, _patch_strategy(strategies),
                                                 merge_key, delete_list)
        else:
            original[key] = patch_v
    return original


def _merge_slice_handler(original: list, patch: list, node: _Node, strategy: str, merge_key: str,
                         delete_list: bool) -> list:
    if strategy == "merge" or delete_list:
        return _merge_slice(original, patch, node, merge_key, delete_list)
    return patch


def _discard_nulls(value: Json) -> None:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _discard_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _discard_nulls(item)


def _remove_directives(value: Json) -> Tuple[Json, bool]:
    """removeDirectives: drop maps holding "$patch" (at any depth); (value, keep)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        for key in list(value):
            item, keep = _remove_directives(value[key])
            if keep:
                value[key] = item
            else:
                del value[key]
        return value, True
    if isinstance(value, list):
        out = []
        for item in value:
            item, keep = _remove_directives(item)
            if keep:
                out.append(item)
        return out, True
    return value, True


def _apply_retain_keys(original: dict, patch: dict) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise _sentinel(_ERR_BAD_RETAIN_KEYS)
    keep = {_hash_key(v) for v in retain}
    for key, value in patch.items():
        if value is None or key.startswith(_DELETE_FROM_PRIMITIVE_LIST) or key.startswith(_SET_ELEMENT_ORDER):
            continue
        if ("string", key) not in keep:
            raise _sentinel(_ERR_BAD_RETAIN_KEYS)
    for key in [k for k in original if ("string", k) not in keep]:
        del original[key]


def _merge_set_element_order(original: dict, patch: dict, node: _Node) -> None:
    """mergePatchIntoOriginal: merge each list named by a $setElementOrder directive and order it."""
    for key in [k for k in patch if k.startswith(_SET_ELEMENT_ORDER)]:
        if key not in patch:  # removed as the list of an earlier directive
            continue
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _err_bad_arg_type(_SLICE, order)
        field = _extract_key(key, _SET_ELEMENT_ORDER)
        found_original, found_patch = field in original, field in patch
        original_list: list = []
        patch_list: list = []
        if found_original:
            if not isinstance(original[field], list):
                raise _err_bad_arg_type(_SLICE, original[field])
            original_list = original[field]
        if found_patch:
            if not isinstance(patch[field], list):
                raise _err_bad_arg_type(_SLICE, patch[field])
            patch_list = patch[field]
        child, strategies, merge_key = node.lookup_slice(field, strict=True)
        strategy = _patch_strategy(strategies)
        _validate_patch_with_set_order_list(patch_list, order, merge_key)
        server_order = original_list
        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged = _remove_directives(patch_list)[0]
        elif found_original:
            merged = _merge_slice_handler(original_list, patch_list, child, strategy, merge_key, False)
            if strategy == "merge" and (original_list or patch_list):
                server_order = _written_through(original_list, patch_list, merge_key,
                                                _slice_element_type(original_list, patch_list))
        else:
            continue
        if not merge_key:
            patch_items, server_only = _partition_primitives(merged, order)
        else:
            patch_items, server_only = _partition_maps(merged, order, merge_key)
        element = _slice_element_type(server_order, patch_list)
        original[field] = _normalize_element_order(patch_items, server_only, order, server_order, merge_key, element)
        patch.pop(field, None)


def _go_cap(n: int) -> int:
    """The capacity of an n-element []interface{} that encoding/json built by appending (1, 2, 4, 8 ...)."""
    return 1 << (n - 1).bit_length() if n else 0


def _written_through(original: list, patch: list, merge_key: str, element: Optional[str]) -> list:
    """What upstream's ``originalFieldValue`` holds after mergeSlice merged ``patch`` into it: Go slices share
    their backing array, so deleting entries (``append(s[:k], s[k+1:]...)``) shifts the elements it still
    shows, and appends that fit the capacity overwrite the ones after. mergePatchIntoOriginal then orders
    server-only items by this view; upstream's tests depend on it. The capacity is taken to be that of a
    JSON-decoded list (:func:`_go_cap`)."""
    length = len(original)
    cap = _go_cap(length)
    backing: list = list(original) + [None] * (cap - length)
    if element != _MAP:
        total = length + len(patch)
        if total <= cap:  # both := append(original, patch...) wrote into the backing array; dedupe works there
            backing[length:total] = patch
            view = _deduplicate_scalars(backing[:total], in_place=True)
            backing[:len(view)] = view
        return backing[:len(original)]
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            continue
        if item[_DIRECTIVE] == "replace":
            replace = True
        elif item[_DIRECTIVE] == "delete":
            while True:
                index = next((i for i in range(length) if isinstance(backing[i], dict) and merge_key in backing[i]
                              and _go_eq(backing[i][merge_key], item[merge_key])), -1)
                if index < 0:
                    break
                backing[index:length - 1] = backing[index + 1:length]  # same length: the last slot keeps its value
                length -= 1
    if not replace:
        current = backing[:length]
        shared = True
        for item in patch:
            if _DIRECTIVE in item or _find_map_in_slice(current, merge_key, item[merge_key])[1] >= 0:
                continue
            current.append(item)
            if shared and len(current) <= cap:
                backing[len(current) - 1] = item
            else:
                shared = False
    return backing[:len(original)]


def _validate_patch_with_set_order_list(patch_list: list, order: list, merge_key: str) -> None:
    if not order or not patch_list:
        return
    items = _extract_to_delete_items(patch_list)[0] if merge_key else patch_list
    pi = oi = 0
    while pi < len(items) and oi < len(order):
        if isinstance(items[pi], dict) and _DIRECTIVE in items[pi]:
            pi += 1
            continue
        if _merge_key_value_equal(items[pi], order[oi], merge_key):
            pi += 1
        oi += 1
    if pi < len(items) and oi >= len(order):
        raise _GoError(f"The order in patch list:\n{_go_v(patch_list)}\n doesn't match {_SET_ELEMENT_ORDER} "
                       f"list:\n{_go_v(order)}\n")


def _merge_key_value_equal(left: Json, right: Json, merge_key: str) -> bool:
    if not merge_key:
        return _go_eq(left, right)
    if not isinstance(left, dict):
        raise _err_bad_arg_type(_MAP, left)
    if not isinstance(right, dict):
        raise _err_bad_arg_type(_MAP, right)
    if merge_key not in left:
        raise _err_no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _err_no_merge_key(right, merge_key)
    return _go_eq(left[merge_key], right[merge_key])


def _slice_element_type(*lists: list) -> Optional[str]:
    """sliceElementType: the one Go type of every element of the lists."""
    first: Optional[str] = None
    seen = False
    for items in lists:
        for item in items:
            current = _go_type(item)
            if not seen:
                if current is None:
                    raise _Panic("runtime error: invalid memory address or nil pointer dereference")
                if current == _SLICE:
                    raise _sentinel(_ERR_NO_LIST_OF_LISTS)
                first, seen = current, True
            elif current != first:
                raise _GoError(f"list element types are not identical: {_go_v(list(lists))}")
    if not seen:
        raise _GoError("no elements in any of the given slices")
    return first


def _merge_slice(original: list, patch: list, node: _Node, merge_key: str, delete_list: bool) -> list:
    if not original and not patch:
        return original
    element = _slice_element_type(original, patch)
    if element != _MAP:
        if delete_list:
            drop = {_hash_key(v) for v in patch}
            return [v for v in original if _hash_key(v) not in drop]
        both = original + patch
        merged = _deduplicate_scalars(both, in_place=True)
        if len(both) <= _go_cap(len(original)):
            # append(original, patch...) did not reallocate: deduplicating wrote through to original, the order
            # of the server's items below
            original = both[:len(original)]
    else:
        if not merge_key:
            raise _GoError(f"cannot merge lists without merge key for {node.kind_name()}")
        original, patch = _merge_slice_with_special_elements(original, patch, merge_key)
        merged = _merge_slice_without_special_elements(original, patch, merge_key, node)
    if not merge_key:
        patch_items, server_only = _partition_primitives(merged, patch)
    else:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key, element)


def _deduplicate_scalars(items: list, in_place: bool = False) -> list:
    """deduplicateScalars, with its moving of the last element into the duplicate's place. ``in_place``: the
    slots past the shrinking length keep their values, as Go's backing array does (the result is the prefix)."""
    items = items if in_place else list(items)
    length = len(items) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _go_eq(items[i], items[j]):
                items[j] = items[length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return items[:length + 1]


def _merge_slice_with_special_elements(original: list, patch: list, merge_key: str) -> Tuple[list, list]:
    rest = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            rest.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete" and isinstance(directive, str):
            if merge_key not in item:
                raise _err_no_merge_key(item, merge_key)
            original = _delete_matching_entries(original, merge_key, item[merge_key])
        elif directive == "replace" and isinstance(directive, str):
            replace = True
        elif directive == "merge" and isinstance(directive, str):
            raise _GoError("merging lists cannot yet be specified in the patch")
        else:
            raise _err_bad_patch_type(directive, item)
    if replace:
        return rest, []
    return original, rest


def _find_map_in_slice(items: list, key: str, value: Json) -> Tuple[Optional[dict], int]:
    """findMapInSliceBasedOnKeyValue: (the first map whose key equals value, its index) or (None, -1)."""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _GoError(f"value for key {index} is not a map")
        if key in item and _go_eq(item[key], value):
            return item, index
    return None, -1


def _delete_matching_entries(original: list, merge_key: str, value: Json) -> list:
    original = list(original)
    while True:
        _, index = _find_map_in_slice(original, merge_key, value)
        if index < 0:
            return original
        del original[index]


def _merge_slice_without_special_elements(original: list, patch: list, merge_key: str, node: _Node) -> list:
    original = list(original)
    for item in patch:
        if merge_key not in item:
            raise _err_no_merge_key(item, merge_key)
        found, index = _find_map_in_slice(original, merge_key, item[merge_key])
        if found is not None:
            original[index] = _merge_map(found, item, node)
        else:
            original.append(item)
    return original


def _partition_primitives(items: list, partition_by: list) -> Tuple[list, list]:
    present = {_hash_key(v) for v in partition_by}
    inside: list = []
    outside: list = []
    for item in items:
        (inside if _hash_key(item) in present else outside).append(item)
    return inside, outside


def _partition_maps(items: list, partition_by: list, merge_key: str) -> Tuple[list, list]:
    inside: list = []
    outside: list = []
    for item in items:
        if not isinstance(item, dict):
            raise _err_bad_arg_type(_MAP, item)
        if merge_key not in item:
            raise _err_no_merge_key(item, merge_key)
        found, _ = _find_map_in_slice(partition_by, merge_key, item[merge_key])
        (inside if found is not None else outside).append(item)
    return inside, outside


def _index(items: list, value: Json, merge_key: str, element: Optional[str]) -> int:
    """index(): where value (by merge key for maps) first is in items, or -1."""
    if element == _MAP:
        def get(item: Json) -> Json:
            return item.get(merge_key) if isinstance(item, dict) else None
    else:
        def get(item: Json) -> Json:
            return item
    wanted = get(value)
    for position, item in enumerate(items):
        if _go_eq(wanted, get(item)):
            return position
    return -1


def _extract_to_delete_items(items: list) -> Tuple[list, list]:
    keep: list = []
    delete: list = []
    for item in items:
        if not isinstance(item, dict):
            raise _err_bad_arg_type(_MAP, item)
        directive = item.get(_DIRECTIVE, _MISSING)
        (delete if isinstance(directive, str) and directive == "delete" else keep).append(item)
    return keep, delete


def _normalize_slice_order(items: list, order: list, merge_key: str, element: Optional[str]) -> list:
    delete: list = []
    items = list(items)
    if element == _MAP:
        for item in items + list(order):
            if not isinstance(item, dict):
                raise _err_bad_arg_type(_MAP, item)
            if merge_key not in item:
                raise _err_no_merge_key(item, merge_key)
        items, delete = _extract_to_delete_items(items)

    def less(a: Json, b: Json) -> bool:
        ia = _index(order, a, merge_key, element)
        if ia >= 0:
            ib = _index(order, b, merge_key, element)
            if ib >= 0:
                return ia < ib
        return True

    _go_stable_sort(items, less)
    return items + delete


def _normalize_element_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                             merge_key: str, element: Optional[str]) -> list:
    """normalizeElementOrder: patch items in patch order, server-only items in server order, interleaved by
    the server order where both are known (mergeSortedSlice)."""
    right = _normalize_slice_order(patch_items, patch_order, merge_key, element)
    left = _normalize_slice_order(server_only, server_order, merge_key, element)
    out: list = []
    i = j = 0
    for _ in range(len(left) + len(right)):
        if i >= len(left) and j < len(right):
            out.append(right[j])
            j += 1
        elif j >= len(right) and i < len(left):
            out.append(left[i])
            i += 1
        else:
            li = _index(server_order, left[i], merge_key, element)
            ri = _index(server_order, right[j], merge_key, element)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out
