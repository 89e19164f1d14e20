"""Server-side apply and ``metadata.managedFields``, as pure functions over JSON-shaped dicts.

This is upstream's field manager (k8s.io/apimachinery ``pkg/util/managedfields/internal``, as used by
k8s.io/apiserver's handlers) over sigs.k8s.io/structured-merge-diff v4.4.2 (what Kubernetes 1.32 ships), rebuilt
for this server. The entry points:

* :func:`managed_fields_for_update`: the new ``metadata.managedFields`` after a create, update or non-apply patch
  (upstream's ``FieldManager.UpdateNoErrors``).
* :func:`apply`: server-side apply (``FieldManager.Apply``): merges the applied configuration into the live
  object, prunes what the applier stopped applying, tracks ownership, raises :class:`ApplyConflict` (409) or
  :class:`ApplyError` (400/500) with upstream's messages.
* :func:`fieldsv1_encode` / :func:`fieldsv1_decode`: the FieldsV1 trie (``f:name``, ``k:{"name":"x"}``,
  ``v:<json>``, ``i:<index>``, ``.``), byte-for-byte as upstream writes it.
* :func:`validate_managed_fields` (upstream's ``managedfields.ValidateManagedFields``: the decode error, if any)
  and :func:`managed_fields_field_errors` (ObjectMeta validation of user-supplied entries, as field causes).
* :func:`ignore_managed_fields_timestamps`: upstream's ``IgnoreManagedFieldsTimestampsTransformer``.

Paths are tuples of path elements; a path element is a tuple ``(kind, payload)``: ``(0, "spec")`` a field,
``(1, (("name", fv), ...))`` an associative-list key (fields sorted by name), ``(2, fv)`` a set value,
``(3, 7)`` a list index, where ``fv`` is a frozen JSON value (:func:`freeze`). Sets of paths are Python sets.

The schema argument is a definition name (``io.k8s.api.apps.v1.Deployment``), a custom resource's OpenAPI v3
schema dict (at its root ``apiVersion``, ``kind`` and ``metadata`` are added as the CRD handler does), or the
result of :func:`compile_schema` on either (cache that per CRD version to skip recompiling). The structured
schema follows kube-openapi's ``schemaconv``: ``x-kubernetes-list-type`` when present, else a list with patch
strategy ``merge`` is keyed by its ``x-kubernetes-patch-merge-key`` (a set without one), else atomic; maps are
granular unless ``x-kubernetes-map-type: atomic``; Quantity, IntOrString and Time are scalars; RawExtension is
atomic; objects without properties keep any field (deduced); ``default`` on an associative-list key field is used
when an item omits it (Kubernetes 1.32's OpenAPI v3 has ``protocol: TCP`` on ContainerPort and ServicePort, which
this server's swagger 2.0 data lacks, so those two are built in).

For built-in types the objects are compared as upstream's typed Go objects look (that is what upstream diffs): a
struct field that Go always writes (a non-pointer struct, a field without ``omitempty``) counts as present with
its zero value, values Go would drop (``omitempty`` zero values, nulls) as absent. The tables come from
``apis/data/protobuf.json.gz`` (Go field flags). Objects handed back are never this view, and never share
structure with the arguments.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import json
import os
import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

from apiserver.apis import schemas
from apiserver.codec.json import JSONError, dumps, go_float, go_quote, loads
from apiserver.registry.meta import Cause, invalid

__all__ = [
    "ANCIENT_CHANGES", "ApplyConflict", "ApplyError", "BEFORE_FIRST_APPLY", "CompiledSchema", "FieldsV1Error",
    "INVALID_AFTER_ADMISSION_WARNING", "LAST_APPLIED_ANNOTATION", "MAX_UPDATE_MANAGERS", "apply",
    "check_apply_body", "compile_schema", "field_manager_errors", "fieldsv1_decode", "fieldsv1_encode", "freeze",
    "ignore_managed_fields_timestamps", "manager_or_user_agent", "managed_fields_field_errors",
    "managed_fields_for_update", "path_string", "thaw", "validate_managed_fields",
]

MAX_UPDATE_MANAGERS = 10  # DefaultMaxUpdateManagers
ANCIENT_CHANGES = "ancient-changes"
BEFORE_FIRST_APPLY = "before-first-apply"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
FIELD_MANAGER_MAX_LENGTH = 128
MAX_SUBRESOURCE_NAME_LENGTH = 256
TOTAL_ANNOTATION_SIZE = 256 * 1024
# upstream's warning when mutating admission leaves managedFields undecodable (they are reset to the request's)
INVALID_AFTER_ADMISSION_WARNING = (".metadata.managedFields was in an invalid state after admission; this could be "
                                   "caused by an outdated mutating admission controller; please fix your requests: %s")

Path = Tuple[Tuple[int, Any], ...]
PathSet = Set[Path]
SchemaArg = Union[str, Dict[str, Any], "CompiledSchema"]


# -- errors -----------------------------------------------------------------------------------------------------

class ApplyError(ValueError):
    """An apply that fails before any merge: ``code`` 400 (upstream's BadRequest) or 500 (a plain error upstream,
    answered as an internal error with the message as is)."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ApplyConflict(Exception):
    """Apply conflicts (409, reason Conflict). ``conflicts``: ``[(manager name, path string)]`` sorted by manager;
    ``causes``: the Status causes (``type`` FieldManagerConflict, ``message``, ``field``); ``message`` is upstream's
    text, e.g. ``Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
    .spec.replicas``."""

    def __init__(self, message: str, conflicts: List[Tuple[str, str]], causes: List[Dict[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.conflicts = conflicts
        self.causes = causes
        self.code = 409


class FieldsV1Error(ValueError):
    """A FieldsV1 value that does not decode (upstream's decode error text)."""


class _SchemaError(ValueError):
    """A value the structured schema cannot walk (a keyed list item without its key, ...)."""


class _Conflicts(Exception):
    def __init__(self, conflicts: Dict[tuple, PathSet]) -> None:
        super().__init__("conflicts")
        self.conflicts = conflicts


# -- values and path elements -----------------------------------------------------------------------------------

_F, _K, _V, _I = 0, 1, 2, 3                     # path element kinds, in upstream's order
_NUM, _STR, _BOOL, _LIST, _MAP, _NULL = range(6)  # value kinds, in value.Compare's order
_ABSENT = object()                              # Go's nil value.Value: the field is not there at all


def freeze(value: Any) -> tuple:
    """A hashable, ordered form of a JSON value: ``(kind, payload)``. Equal (and ordered) as upstream's
    value.Equals/Compare: numbers compare numerically across int and float, booleans are not numbers."""
    t = type(value)
    if t is str:
        return (_STR, value)
    if t is bool:
        return (_BOOL, value)
    if t is int or t is float:
        return (_NUM, value)
    if value is None:
        return (_NULL, 0)
    if isinstance(value, dict):
        return (_MAP, tuple(sorted((k, freeze(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (_LIST, tuple(freeze(v) for v in value))
    if isinstance(value, bool):
        return (_BOOL, bool(value))
    if isinstance(value, (int, float)):
        return (_NUM, value)
    if isinstance(value, str):
        return (_STR, str(value))
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def thaw(frozen: tuple) -> Any:
    """The JSON value of a :func:`freeze` result."""
    kind, payload = frozen
    if kind == _LIST:
        return [thaw(v) for v in payload]
    if kind == _MAP:
        return {k: thaw(v) for k, v in payload}
    if kind == _NULL:
        return None
    return payload


def _tostring(frozen: tuple) -> str:
    """value.ToString."""
    kind, payload = frozen
    if kind == _STR:
        return go_quote(payload)
    if kind == _NUM:
        return go_float(payload) if isinstance(payload, float) else str(payload)
    if kind == _BOOL:
        return "true" if payload else "false"
    if kind == _NULL:
        return "null"
    if kind == _LIST:
        return "[" + ",".join(_tostring(v) for v in payload) + "]"
    return "".join(f"{k}={_tostring(v)}" for k, v in payload)


def _pe_string(pe: tuple) -> str:
    """PathElement.String: ``.name``, ``[name="x",port=80]``, ``[="x"]``, ``[3]``."""
    kind, payload = pe
    if kind == _F:
        return "." + payload
    if kind == _K:
        return "[" + ",".join(f"{name}={_tostring(v)}" for name, v in payload) + "]"
    if kind == _V:
        return "[=" + _tostring(payload) + "]"
    return f"[{payload}]"


def path_string(path: Sequence[tuple]) -> str:
    """A path as upstream prints it in conflicts: ``.spec.template.spec.containers[name="nginx"].image``."""
    return "".join(_pe_string(pe) for pe in path)


def _json(value: Any) -> str:
    return dumps(value).decode("utf-8")


@functools.lru_cache(maxsize=8192)
def _pe_key(pe: tuple) -> str:
    """The FieldsV1 key of a path element (serialize-pe.go)."""
    kind, payload = pe
    if kind == _F:
        return "f:" + payload
    if kind == _K:
        return "k:{" + ",".join(_json(name) + ":" + _json(thaw(v)) for name, v in payload) + "}"
    if kind == _V:
        return "v:" + _json(thaw(payload))
    return "i:" + str(payload)


_ATOI = re.compile(r"[+-]?[0-9]+\Z")


def _parse_json(text: str) -> Any:
    try:
        value, _ = loads(text)
    except JSONError as err:
        raise FieldsV1Error(str(err)) from None
    return value


@functools.lru_cache(maxsize=8192)
def _parse_pe(key: str) -> Optional[tuple]:
    """DeserializePathElement; None for an unknown element type (dropped, as upstream does)."""
    if len(key.encode("utf-8")) < 2:
        raise FieldsV1Error("key must be 2 characters long:")
    if key[1] != ":":
        raise FieldsV1Error(f"missing colon: {key}")
    kind, rest = key[0], key[2:]
    if kind == "f":
        return (_F, rest)
    if kind == "v":
        return (_V, freeze(_parse_json(rest)))
    if kind == "k":
        obj = _parse_json(rest)
        if not isinstance(obj, dict):
            raise FieldsV1Error("ReadObjectCB: expect { or n, but found " + (rest[:1] or "EOF"))
        return (_K, tuple(sorted(((name, freeze(v)) for name, v in obj.items()), key=lambda f: f[0])))
    if kind == "i":
        if not _ATOI.match(rest):
            raise FieldsV1Error(f'strconv.Atoi: parsing {go_quote(rest)}: invalid syntax')
        return (_I, int(rest))
    return None


# -- FieldsV1 ---------------------------------------------------------------------------------------------------

def _trie(paths: Iterable[Path]) -> dict:
    """{pe: [is_member, children trie]}."""
    root: dict = {}
    for path in paths:
        node = root
        for pe in path[:-1]:
            entry = node.get(pe)
            if entry is None:
                entry = node[pe] = [False, {}]
            node = entry[1]
        pe = path[-1]
        entry = node.get(pe)
        if entry is None:
            node[pe] = [True, {}]
        else:
            entry[0] = True
    return root


def _emit(trie: dict) -> dict:
    out: Dict[str, Any] = {}
    for pe in sorted(trie):
        member, children = trie[pe]
        if children:
            sub: Dict[str, Any] = {".": {}} if member else {}
            sub.update(_emit(children))
            out[_pe_key(pe)] = sub
        else:
            out[_pe_key(pe)] = {}
    return out


def fieldsv1_encode(paths: Iterable[Path]) -> Dict[str, Any]:
    """A set of paths as the FieldsV1 JSON object (keys in upstream's order; ``.`` marks a path that is itself a
    member and has members below it)."""
    return _emit(_trie(paths))


def _read_fields(obj: Any, prefix: Path, out: PathSet) -> bool:
    """readIterV1: adds the members below ``prefix``; True when ``prefix`` itself is a member."""
    if not isinstance(obj, dict):
        raise FieldsV1Error("ReadMapCB: expect { or n, but found " + _json(obj)[:1])
    member = False
    children = False
    for key, value in obj.items():
        if key == ".":
            member = True
            continue
        pe = _parse_pe(key)
        if pe is None:
            continue
        path = prefix + (pe,)
        before = len(out)
        if _read_fields(value, path, out):
            out.add(path)
        if len(out) != before:
            children = True
    return member or not children


def fieldsv1_decode(fields: Optional[Dict[str, Any]]) -> PathSet:
    """The set of paths in a FieldsV1 object. Raises :class:`FieldsV1Error` as upstream's decoder would."""
    out: PathSet = set()
    if fields is None:
        return out
    if not isinstance(fields, dict):
        raise FieldsV1Error("ReadMapCB: expect { or n, but found " + _json(fields)[:1])
    for key, value in fields.items():
        if key == ".":
            continue
        pe = _parse_pe(key)
        if pe is None:
            continue
        if _read_fields(value, (pe,), out):
            out.add((pe,))
    return out


# -- structured schema ------------------------------------------------------------------------------------------

_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
_ATOMIC, _GRANULAR, _SET, _ASSOC = "atomic", "granular", "set", "map"
# +default markers on associative-list keys that Kubernetes 1.32's OpenAPI v3 carries and swagger 2.0 does not.
_KEY_DEFAULTS = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
}
_DEDUCED_SPEC = object()  # element type of maps that keep any field
_RESOURCE_PROPS = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"$ref": "#/definitions/" + schemas.OBJECT_META},
}


class _Node:
    """One structured-merge-diff type: any of a scalar, a list and a map (an untyped value may be all three)."""

    __slots__ = ("scalar", "stype", "list_kind", "keys", "map_kind", "props", "elem_spec", "item_spec", "preserve",
                 "name", "_fields", "_item", "_elem", "_defaults", "deduced")

    def __init__(self) -> None:
        self.scalar = False
        self.stype = "untyped"                 # numeric, string, boolean, untyped
        self.list_kind: Optional[str] = None   # atomic, set, map
        self.keys: Tuple[str, ...] = ()        # associative-list keys, sorted by name
        self.map_kind: Optional[str] = None    # atomic, granular
        self.props: Dict[str, Any] = {}
        self.elem_spec: Any = None             # None: no other field; _DEDUCED_SPEC; a schema
        self.item_spec: Any = None             # None: untyped items; a schema
        self.preserve = False
        self.name: Optional[str] = None        # the definition, for key defaults
        self.deduced = False                   # an untyped map with no fields (not reconciled upstream)
        self._fields: Dict[str, _Node] = {}
        self._item: Optional[_Node] = None
        self._elem: Optional[_Node] = None
        self._defaults: Optional[Dict[str, Any]] = None

    def field(self, name: str) -> _Node:
        node = self._fields.get(name)
        if node is not None:
            return node
        spec = self.props.get(name)
        if spec is None:
            return self.elem()
        node = self._fields[name] = _compile(spec, self.preserve)
        return node

    def declared(self, name: str) -> bool:
        return name in self.props

    def has_elem(self) -> bool:
        return self.elem_spec is not None

    def elem(self) -> _Node:
        node = self._elem
        if node is None:
            spec = self.elem_spec
            # a field the schema does not have: upstream fails the whole operation; this server keeps going
            node = self._elem = _deduced() if spec is None or spec is _DEDUCED_SPEC else _compile(spec, self.preserve)
        return node

    def item(self) -> _Node:
        node = self._item
        if node is None:
            spec = self.item_spec
            node = self._item = _untyped() if spec is None else _compile(spec, self.preserve)
        return node

    def key_default(self, key: str) -> Any:
        defaults = self._defaults
        if defaults is None:
            item = self.item()
            defaults = {}
            for k in self.keys:
                spec = item.props.get(k)
                value = spec.get("default") if isinstance(spec, dict) else None
                if value is None:
                    value = _KEY_DEFAULTS.get((item.name, k))  # type: ignore[arg-type]
                if value is not None:
                    defaults[k] = value
            self._defaults = defaults
        return defaults.get(key)


def _ref_of(spec: Dict[str, Any]) -> Optional[str]:
    ref = spec.get("$ref")
    if ref is None:
        all_of = spec.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            ref = all_of[0].get("$ref")
    if not isinstance(ref, str):
        return None
    return ref[len(schemas.REF_PREFIX):] if ref.startswith(schemas.REF_PREFIX) else ref.rsplit("/", 1)[-1]


def _compile(spec: Any, preserve: bool) -> _Node:
    if not isinstance(spec, dict):
        return _deduced()
    name = _ref_of(spec)
    if name is not None:
        return _definition_node(name, spec.get("x-kubernetes-map-type"))
    return _build(spec, preserve, None)


@functools.cache
def _definition_node(name: str, map_override: Optional[str] = None) -> _Node:
    if name == _QUANTITY:
        node = _Node()
        node.scalar = True
        return node
    if name == _RAW_EXTENSION:
        return _untyped()
    spec = schemas.definitions().get(name)
    if spec is None:
        return _deduced()
    node = _build(spec, False, name)
    if map_override in (_ATOMIC, _GRANULAR) and node.map_kind is not None:
        node.map_kind = map_override
    return node


def _build(spec: Dict[str, Any], preserve: bool, name: Optional[str], resource: bool = False) -> _Node:
    if spec.get("x-kubernetes-preserve-unknown-fields") is True:
        preserve = True
    node = _Node()
    node.name = name
    node.preserve = preserve
    typ = spec.get("type")
    if isinstance(typ, list):
        typ = typ[0] if typ else None
    if resource or spec.get("x-kubernetes-embedded-resource"):
        typ = typ or "object"
    if not typ:
        node.scalar = True
        _parse_list(node, spec)
        _parse_object(node, spec, preserve, resource)
    elif typ == "object":
        _parse_object(node, spec, preserve, resource)
    elif typ == "array":
        _parse_list(node, spec)
    else:
        node.scalar = True
        if typ in ("integer", "number"):
            node.stype = "numeric"
        elif typ == "boolean":
            node.stype = "boolean"
        elif typ == "string" and (spec.get("format") or "") in ("", "byte"):
            node.stype = "string"
    return node


def _parse_object(node: _Node, spec: Dict[str, Any], preserve: bool, resource: bool) -> None:
    props = spec.get("properties") or {}
    if resource or spec.get("x-kubernetes-embedded-resource"):
        props = {**props, **({k: v for k, v in _RESOURCE_PROPS.items() if k not in props or resource})}
    addl = spec.get("additionalProperties")
    if addl is None:
        elem = _DEDUCED_SPEC if preserve or not props else None
    elif isinstance(addl, dict):
        elem = addl
    elif addl is True:
        elem = _DEDUCED_SPEC
    else:
        elem = None
    node.props = props
    node.elem_spec = elem
    node.map_kind = _ATOMIC if spec.get("x-kubernetes-map-type") == _ATOMIC else _GRANULAR
    node.deduced = not props and elem is _DEDUCED_SPEC


def _parse_list(node: _Node, spec: Dict[str, Any]) -> None:
    list_type = spec.get("x-kubernetes-list-type")
    keys: Sequence[str] = ()
    if list_type is not None:
        if list_type == "set":
            kind = _SET
        elif list_type == "map":
            kind = _ASSOC
            keys = [k for k in spec.get("x-kubernetes-list-map-keys") or () if isinstance(k, str)]
        else:
            kind = _ATOMIC
    elif spec.get("x-kubernetes-patch-strategy") in ("merge", "merge,retainKeys"):
        merge_key = spec.get("x-kubernetes-patch-merge-key")
        kind, keys = (_ASSOC, [merge_key]) if isinstance(merge_key, str) else (_SET, ())
    else:
        kind = _ATOMIC
    if kind == _ASSOC and not keys:
        kind = _SET
    node.list_kind = kind
    node.keys = tuple(sorted(keys))
    items = spec.get("items")
    node.item_spec = items if isinstance(items, dict) else None


@functools.lru_cache(maxsize=1)
def _untyped() -> _Node:
    """__untyped_atomic_: any scalar, atomic lists and maps."""
    node = _Node()
    node.scalar = True
    node.list_kind = _ATOMIC
    node.map_kind = _ATOMIC
    node.elem_spec = _DEDUCED_SPEC
    node._item = node._elem = node
    return node


@functools.lru_cache(maxsize=1)
def _deduced() -> _Node:
    """__untyped_deduced_: scalars, atomic lists, granular maps of deduced values."""
    node = _Node()
    node.scalar = True
    node.list_kind = _ATOMIC
    node.map_kind = _GRANULAR
    node.elem_spec = _DEDUCED_SPEC
    node.deduced = True
    node._item = _untyped()
    node._elem = node
    return node


class CompiledSchema:
    """A compiled schema argument: the root type and, for built-in types, the Go message that shapes values."""

    __slots__ = ("root", "message", "definition", "builtin")

    def __init__(self, root: _Node, message: Optional[str], definition: Optional[str]) -> None:
        self.root = root
        self.message = message
        self.definition = definition
        self.builtin = definition is not None


@functools.cache
def _compiled_definition(definition: str) -> CompiledSchema:
    message = None
    if definition.startswith("io.k8s."):
        candidate = "k8s.io." + definition[len("io.k8s."):]
        if candidate in _go_messages():
            message = candidate
    return CompiledSchema(_definition_node(definition), message, definition)


def compile_schema(schema: SchemaArg) -> CompiledSchema:
    """Compile a definition name or a custom resource's OpenAPI v3 schema (children are compiled on first use)."""
    if isinstance(schema, CompiledSchema):
        return schema
    if isinstance(schema, str):
        return _compiled_definition(schema)
    if isinstance(schema, dict):
        return CompiledSchema(_build(schema, False, None, resource=True), None, None)
    if schema is None:
        return CompiledSchema(_build({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, False, None,
                                     resource=True), None, None)
    raise TypeError("schema must be a definition name, a schema dict or a CompiledSchema")


# -- Go's view of built-in objects --------------------------------------------------------------------------------

_DATA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apis", "data",
                          "protobuf.json.gz")
_REPEATED, _OMITEMPTY, _POINTER, _INLINE, _NOJSON = 1, 2, 4, 8, 16
# field modes
_M_SCALAR, _M_SLICE, _M_MAP, _M_STRUCT, _M_SPECIAL = range(5)
_SCALAR_ZERO = {"string": "", "bool": False, "int32": 0, "int64": 0}
_SPECIAL_ZERO = {"time": None, "microtime": None, "rawjson": None, "duration": "0s", "quantity": "0",
                 "intorstring": 0}


@functools.lru_cache(maxsize=1)
def _go_data() -> Dict[str, Any]:
    with open(_DATA_FILE, "rb") as f:
        return json.loads(gzip.decompress(f.read()))


def _go_messages() -> Dict[str, Any]:
    return _go_data()["messages"]


class _GoStruct:
    """A Go struct's JSON behaviour: per field, how a value is normalized, and the fields always written."""

    __slots__ = ("fields", "fill")

    def __init__(self) -> None:
        # json name -> (mode, omitempty, pointer, sub message or special kind or None)
        self.fields: Dict[str, Tuple[int, bool, bool, Optional[str]]] = {}
        self.fill: List[Tuple[str, Any, bool]] = []  # (json name, zero value or message, is a message)


@functools.cache
def _go_struct(message: str) -> _GoStruct:
    data = _go_data()
    specials = data["specials"]
    messages = data["messages"]
    out = _GoStruct()

    def add(msg: str) -> None:
        for _number, name, typ, flags in messages.get(msg, ()):
            if flags & _NOJSON:
                continue
            if flags & _INLINE and typ in messages:
                add(typ)
                continue
            omitempty, pointer = bool(flags & _OMITEMPTY), bool(flags & _POINTER)
            if typ.startswith("map:"):
                sub = typ[4:]
                out.fields[name] = (_M_MAP, omitempty, pointer, sub if sub in messages else None)
                if not omitempty:
                    out.fill.append((name, None, False))
            elif flags & _REPEATED or typ == "bytes" or specials.get(typ) == "list":
                out.fields[name] = (_M_SLICE, omitempty, pointer, typ if typ in messages else None)
                if not omitempty:
                    out.fill.append((name, None, False))
            elif typ in specials:
                out.fields[name] = (_M_SPECIAL, omitempty, pointer, specials[typ])
                if not pointer:
                    out.fill.append((name, _SPECIAL_ZERO.get(specials[typ]), False))
                elif not omitempty:
                    out.fill.append((name, None, False))
            elif typ in messages:
                out.fields[name] = (_M_STRUCT, omitempty, pointer, typ)
                if not pointer:
                    out.fill.append((name, typ, True))
                elif not omitempty:
                    out.fill.append((name, None, False))
            else:
                out.fields[name] = (_M_SCALAR, omitempty, pointer, typ)
                if pointer:
                    if not omitempty:
                        out.fill.append((name, None, False))
                elif not omitempty:
                    out.fill.append((name, _SCALAR_ZERO.get(typ, 0), False))

    add(message)
    return out


@functools.cache
def _go_zero(message: str) -> Dict[str, Any]:
    """The typed view of a zero struct (shared: never mutated)."""
    return _shape_struct({}, message)


def _is_zero_scalar(value: Any) -> bool:
    return value == "" or value is False or (type(value) in (int, float) and value == 0)


def _shape_struct(value: Dict[str, Any], message: str) -> Dict[str, Any]:
    """The typed view of a struct value: Go's decode then structured-merge-diff's reflection (omitempty fields with
    zero values and nulls dropped, always-written fields filled with zero values). Unknown keys are kept."""
    st = _go_struct(message)
    fields = st.fields
    out: Dict[str, Any] = {}
    for key, item in value.items():
        info = fields.get(key)
        if info is None:
            out[key] = item
            continue
        mode, omitempty, pointer, sub = info
        if item is None:
            continue  # filled below when Go writes the zero value
        if mode == _M_SCALAR:
            if omitempty and not pointer and _is_zero_scalar(item):
                continue
            out[key] = item
        elif mode == _M_STRUCT:
            out[key] = _shape_struct(item, sub) if isinstance(item, dict) else item  # type: ignore[arg-type]
        elif mode == _M_SLICE:
            if omitempty and not pointer and isinstance(item, (list, str)) and not item:
                continue
            if sub is not None and isinstance(item, list):
                item = [_shape_struct(x, sub) if isinstance(x, dict) else x for x in item]
            out[key] = item
        elif mode == _M_MAP:
            if omitempty and not pointer and isinstance(item, dict) and not item:
                continue
            if sub is not None and isinstance(item, dict):
                item = {k: _shape_struct(x, sub) if isinstance(x, dict) else x for k, x in item.items()}
            out[key] = item
        else:
            out[key] = item
    for key, zero, message in st.fill:
        if key not in out:
            out[key] = _go_zero(zero) if message else zero
    return out


def _typed_view(obj: Optional[Dict[str, Any]], compiled: CompiledSchema) -> Dict[str, Any]:
    """What upstream compares: for built-in types the Go-shaped object (a zero object for ``None``); for custom
    resources the object itself. ``metadata.managedFields`` is left out."""
    if obj is None:
        if compiled.message is not None:
            return _go_zero(compiled.message)
        return {}
    md = obj.get("metadata")
    if isinstance(md, dict) and "managedFields" in md:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in md.items() if k != "managedFields"}
    if compiled.message is not None:
        return _shape_struct(obj, compiled.message)
    return obj


# -- walking values against the schema ---------------------------------------------------------------------------

_MAPK, _LISTK, _SCALK = 1, 2, 3


def _kind(node: _Node, value: Any) -> int:
    """deduceAtom + handleAtom: which side of the type handles the value (mismatches are leaves)."""
    if isinstance(value, dict):
        return _MAPK if node.map_kind else _SCALK
    if isinstance(value, list):
        return _LISTK if node.list_kind else _SCALK
    if value is None:
        if node.map_kind:
            return _MAPK
        if node.scalar or not node.list_kind:
            return _SCALK
        return _LISTK
    return _SCALK


def _item_pe(node: _Node, item: Any) -> tuple:
    """listItemToPathElement for an associative list."""
    keys = node.keys
    if keys:
        if item is None:
            raise _SchemaError("associative list with keys may not have a null element")
        if not isinstance(item, dict):
            raise _SchemaError("associative list with keys may not have non-map elements")
        fields = []
        for key in keys:
            if key in item:
                fields.append((key, freeze(item[key])))
            else:
                default = node.key_default(key)
                if default is None:
                    raise _SchemaError(f"associative list with keys has an element that omits key field "
                                       f"{go_quote(key)} (and doesn't have default value)")
                fields.append((key, freeze(default)))
        return (_K, tuple(fields))
    if isinstance(item, dict):
        raise _SchemaError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise _SchemaError("not supported: associative list with lists as elements")
    if item is None:
        raise _SchemaError("associative list without keys has an element that's an explicit null")
    return (_V, freeze(item))


def _equal(a: Any, b: Any) -> bool:
    """value.Equals: deep equality, numbers across int/float, booleans apart from numbers."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is dict:
        if tb is not dict or len(a) != len(b):
            return False
        for k, v in a.items():
            w = b.get(k, _ABSENT)
            if w is _ABSENT or not _equal(v, w):
                return False
        return True
    if ta is list:
        if tb is not list or len(a) != len(b):
            return False
        return all(_equal(x, y) for x, y in zip(a, b))
    if tb is dict or tb is list:
        return False
    if (ta is bool) != (tb is bool):
        return False
    return a == b


def _field_set(value: Any, node: _Node, path: Path, out: PathSet, named: bool = False) -> None:
    """TypedValue.ToFieldSet (below ``path``); with ``named``, EnsureNamedFieldsAreMembers of the result too (a
    struct field with members below it is a member)."""
    if isinstance(value, dict) and node.map_kind:
        if node.map_kind == _ATOMIC:
            out.add(path)
            return
        props = node.props
        for key, item in value.items():
            child = path + ((_F, key),)
            if isinstance(item, (dict, list)):
                before = len(out)
                _field_set(item, node.field(key), child, out, named)
                if key not in props or named and len(out) != before or not item and isinstance(item, dict):
                    out.add(child)
            elif item is None or key not in props:
                _field_set(item, node.field(key), child, out, named)
                out.add(child)
            else:
                out.add(child)  # a scalar (or a value the field's type takes as one)
        return
    if isinstance(value, list) and node.list_kind:
        if node.list_kind == _ATOMIC:
            out.add(path)
            return
        pes = [_item_pe(node, item) for item in value]
        dups = set()
        if len(set(pes)) != len(pes):
            seen = set()
            for pe in pes:
                if pe in seen:
                    if pe not in dups:
                        out.add(path + (pe,))
                        dups.add(pe)
                else:
                    seen.add(pe)
        item_node = node.item()
        for item, pe in zip(value, pes):
            if pe in dups:
                continue
            child = path + (pe,)
            _field_set(item, item_node, child, out, named)
            out.add(child)
        return
    if value is None:
        # handleAtom tries the map, then the scalar, then the list; a null granular one adds nothing itself
        if node.map_kind:
            if node.map_kind == _ATOMIC:
                out.add(path)
        elif node.scalar or node.list_kind == _ATOMIC:
            out.add(path)
        return
    out.add(path)


class _Comparison:
    __slots__ = ("removed", "modified", "added")

    def __init__(self) -> None:
        self.removed: PathSet = set()
        self.modified: PathSet = set()
        self.added: PathSet = set()

    def filter(self, reset: Optional[FrozenSet[Path]]) -> _Comparison:
        if reset:
            self.removed = _recursive_difference(self.removed, reset)
            self.modified = _recursive_difference(self.modified, reset)
            self.added = _recursive_difference(self.added, reset)
        return self

    def same(self) -> bool:
        return not (self.removed or self.modified or self.added)


def _compare(lhs: Any, rhs: Any, node: _Node, path: Path, c: _Comparison) -> None:
    """compareWalker.compare: lhs and rhs may be _ABSENT (not both)."""
    if lhs is rhs:
        return
    if rhs is _ABSENT:
        kind = _kind(node, lhs)
    elif lhs is _ABSENT:
        kind = _kind(node, rhs)
    else:
        kind = _kind(node, lhs)
        if kind != _kind(node, rhs):
            c.modified.add(path)
            return
    if kind == _MAPK:
        lm = lhs if isinstance(lhs, dict) else None
        rm = rhs if isinstance(rhs, dict) else None
        if node.map_kind != _ATOMIC and (lm or rm):
            if lm and rm:
                for key, lv in lm.items():
                    rv = rm.get(key, _ABSENT)
                    if lv is not rv:
                        _compare(lv, rv, node.field(key), path + ((_F, key),), c)
                for key, rv in rm.items():
                    if key not in lm:
                        _compare(_ABSENT, rv, node.field(key), path + ((_F, key),), c)
            elif lm:
                for key, lv in lm.items():
                    _compare(lv, _ABSENT, node.field(key), path + ((_F, key),), c)
            else:
                for key, rv in rm.items():  # type: ignore[union-attr]
                    _compare(_ABSENT, rv, node.field(key), path + ((_F, key),), c)
            if lhs is _ABSENT:
                c.added.add(path)
            elif rhs is _ABSENT:
                c.removed.add(path)
            return
    elif kind == _LISTK:
        ll = lhs if isinstance(lhs, list) else None
        rl = rhs if isinstance(rhs, list) else None
        if node.list_kind != _ATOMIC and (ll or rl):
            _compare_list(ll or [], rl or [], node, path, c)
            if lhs is _ABSENT:
                c.added.add(path)
            elif rhs is _ABSENT:
                c.removed.add(path)
            return
    if lhs is _ABSENT:
        c.added.add(path)
    elif rhs is _ABSENT:
        c.removed.add(path)
    elif not _equal(lhs, rhs):
        c.modified.add(path)


def _compare_list(lhs: list, rhs: list, node: _Node, path: Path, c: _Comparison) -> None:
    """compareWalker.visitListItems, duplicates included."""
    lvalues: Dict[tuple, list] = {}
    order: List[tuple] = []
    for item in lhs:
        pe = _item_pe(node, item)
        found = lvalues.get(pe)
        if found is None:
            lvalues[pe] = [item]
            order.append(pe)
        else:
            found.append(item)
    rvalues: Dict[tuple, list] = {}
    for item in rhs:
        pe = _item_pe(node, item)
        found = rvalues.get(pe)
        if found is None:
            rvalues[pe] = [item]
            if pe not in lvalues:
                order.append(pe)
        else:
            found.append(item)
    item_node = node.item()
    for pe in order:
        ll = lvalues.get(pe, ())
        rl = rvalues.get(pe, ())
        if len(ll) <= 1 and len(rl) <= 1:
            _compare(ll[0] if ll else _ABSENT, rl[0] if rl else _ABSENT, item_node, path + (pe,), c)
        elif len(ll) >= 2 and len(rl) >= 2:
            if len(ll) != len(rl) or not all(_equal(a, b) for a, b in zip(ll, rl)):
                c.modified.add(path + (pe,))
        elif len(ll) >= 2:
            if rl:
                _compare(_ABSENT, rl[0], item_node, path + (pe,), c)
            c.removed.add(path + (pe,))
        else:
            if ll:
                _compare(ll[0], _ABSENT, item_node, path + (pe,), c)
            c.added.add(path + (pe,))


def _merge(lhs: Any, rhs: Any, node: _Node) -> Any:
    """mergingWalker with ruleKeepRHS. Subtrees only one side has are shared, not copied."""
    if rhs is _ABSENT:
        return lhs
    if lhs is _ABSENT:
        return rhs
    kind = _kind(node, lhs)
    if kind != _kind(node, rhs):
        return rhs
    if kind == _MAPK:
        lm = lhs if isinstance(lhs, dict) else None
        rm = rhs if isinstance(rhs, dict) else None
        if node.map_kind == _ATOMIC or not (lm or rm):
            return rhs
        if not rm:
            return dict(lm)  # type: ignore[arg-type]
        if not lm:
            return dict(rm)
        out = {}
        for key, lv in lm.items():
            rv = rm.get(key, _ABSENT)
            out[key] = lv if rv is _ABSENT else _merge(lv, rv, node.field(key))
        for key, rv in rm.items():
            if key not in lm:
                out[key] = rv
        return out
    if kind == _LISTK:
        ll = lhs if isinstance(lhs, list) else None
        rl = rhs if isinstance(rhs, list) else None
        if node.list_kind == _ATOMIC or not (ll or rl):
            return rhs
        return _merge_list(ll or [], rl or [], node)
    return rhs


def _merge_list(lhs: list, rhs: list, node: _Node) -> list:
    """mergingWalker.visitListItems: the order upstream gives merged associative lists."""
    rhs_pes: List[tuple] = []
    observed_rhs: Dict[tuple, Any] = {}
    for item in rhs:
        pe = _item_pe(node, item)
        if pe in observed_rhs:
            raise _SchemaError(f"duplicate entries for key {_pe_string(pe)}")
        observed_rhs[pe] = item
        rhs_pes.append(pe)
    lhs_pes: List[tuple] = []
    observed_lhs: Dict[tuple, Any] = {}
    for item in lhs:
        pe = _item_pe(node, item)
        observed_lhs[pe] = None if pe in observed_lhs else item  # duplicates are not merged
        lhs_pes.append(pe)
    shared = [pe for pe in rhs_pes if pe in observed_lhs]
    shared.reverse()
    next_shared = shared.pop() if shared else None
    merged_rhs: set = set()
    item_node = node.item()
    out = []
    li = ri = 0
    llen, rlen = len(lhs_pes), len(rhs_pes)
    while li < llen or ri < rlen:
        if li < llen and ri < rlen:
            pe = lhs_pes[li]
            if pe == rhs_pes[ri]:
                merged_rhs.add(pe)
                out.append(_merge(observed_lhs[pe], observed_rhs[pe], item_node))
                li += 1
                ri += 1
                next_shared = shared.pop() if shared else None
                continue
            if pe in observed_rhs and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < llen:
            pe = lhs_pes[li]
            if pe not in observed_rhs:
                out.append(lhs[li])
                li += 1
                continue
            if pe in merged_rhs:
                li += 1
        if ri < rlen:
            pe = rhs_pes[ri]
            merged_rhs.add(pe)
            lv = observed_lhs.get(pe, _ABSENT)
            out.append(_merge(lv, observed_rhs[pe], item_node))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop() if shared else None
    return out


def _remove(value: Any, trie: dict, node: _Node) -> Any:
    """removingWalker (RemoveItems): emptied maps and lists become null, as upstream leaves them."""
    if isinstance(value, dict) and node.map_kind:
        if not value or node.map_kind == _ATOMIC:
            return None
        out = {}
        for key, item in value.items():
            entry = trie.get((_F, key))
            if entry is not None:
                if entry[0]:
                    continue
                if entry[1]:
                    item = _remove(item, entry[1], node.field(key))
            out[key] = item
        return out or None
    if isinstance(value, list) and node.list_kind:
        if not value or node.list_kind == _ATOMIC:
            return None
        item_node = node.item()
        items = []
        for item in value:
            try:
                pe = _item_pe(node, item)
            except _SchemaError:
                items.append(item)
                continue
            entry = trie.get(pe)
            if entry is not None:
                if entry[0]:
                    continue
                if entry[1]:
                    item = _remove(item, entry[1], item_node)
            items.append(item)
        return items or None
    return value


def _remove_items(value: Any, paths: Iterable[Path], compiled: CompiledSchema) -> Any:
    trie = _trie(paths)
    return _remove(value, trie, compiled.root) if trie else value


def _ensure_named(paths: PathSet, root: _Node) -> Tuple[PathSet, dict]:
    """EnsureNamedFieldsAreMembers: a path also owns each struct field it goes through. Returns the set and its
    trie."""
    out = set(paths)
    trie = _trie(paths)

    def walk(level: dict, node: _Node, prefix: Path) -> None:
        for pe, entry in level.items():
            children = entry[1]
            if not children:
                continue
            kind, payload = pe
            if kind == _F:
                if not node.map_kind:
                    continue
                child = prefix + (pe,)
                if payload in node.props:
                    out.add(child)
                    entry[0] = True
                    walk(children, node.field(payload), child)
                elif node.elem_spec is not None:
                    walk(children, node.elem(), child)
            elif kind == _K and node.list_kind:
                walk(children, node.item(), prefix + (pe,))

    walk(trie, root, ())
    return out, trie


def _recursive_difference(paths: PathSet, excluded: FrozenSet[Path]) -> PathSet:
    """Set.RecursiveDifference: drop every path at or below an excluded one."""
    return {p for p in paths if not any(p[:i] in excluded for i in range(1, len(p) + 1))}


def _atomic_container(node: _Node) -> bool:
    """What the reconciling walker treats as atomic (it tries the map, then the scalar, then the list)."""
    if node.map_kind:
        return node.map_kind == _ATOMIC and not node.deduced
    if node.scalar:
        return False
    return node.list_kind == _ATOMIC


def _reconcile(paths: PathSet, root: _Node) -> Optional[PathSet]:
    """ReconcileFieldSetWithSchema: paths below what is now an atomic list or map collapse to it."""
    changed = False
    out: PathSet = set()
    for path in paths:
        node = root
        cut = None
        for i, (kind, payload) in enumerate(path):
            if kind == _F:
                if not node.map_kind or not (node.declared(payload) or node.has_elem()):
                    break
                node = node.field(payload)
            elif node.list_kind:
                node = node.item()
            else:
                break
            if i < len(path) - 1 and _atomic_container(node):
                cut = path[:i + 1]
                break
        if cut is not None:
            changed = True
            out.add(cut)
        else:
            out.add(path)
    return out if changed else None


def _validate(value: Any, node: _Node, errors: List[Tuple[str, str]], prefix: str = "") -> None:
    """validatingObjectWalker (duplicates not allowed): errors as (path, message), in upstream's order."""
    if isinstance(value, dict):
        handler = "map" if node.map_kind else "scalar" if node.scalar else "list"
    elif isinstance(value, list):
        handler = "list" if node.list_kind else "map" if node.map_kind else "scalar"
    elif value is None:
        return  # null is a valid map, list and scalar
    else:
        handler = "scalar" if node.scalar else "map" if node.map_kind else "list"
    if handler == "scalar":
        message = _scalar_error(node, value)
        if message:
            errors.append((prefix, message))
        return
    if handler == "map":
        if not isinstance(value, dict):
            errors.append((prefix, f"expected map, got {_go_value_v(value)}"))
            return
        for key, item in value.items():
            child = prefix + "." + key
            if not node.declared(key) and not node.has_elem():
                errors.append((child, "field not declared in schema"))
                return
            _validate(item, node.field(key), errors, child)
        return
    if not isinstance(value, list):
        errors.append((prefix, f"expected list, got {_go_value_v(value)}"))
        return
    item_node = node.item()
    if node.list_kind != _ATOMIC:
        seen = set()
        pes = []
        for i, item in enumerate(value):
            try:
                pe = _item_pe(node, item)
            except _SchemaError as err:
                errors.append((prefix, f"element {i}: {err}"))
                return
            if pe in seen:
                errors.append((prefix, f"duplicate entries for key {_pe_string(pe)}"))
            seen.add(pe)
            pes.append(pe)
        for item, pe in zip(value, pes):
            _validate(item, item_node, errors, prefix + _pe_string(pe))
        return
    for i, item in enumerate(value):
        _validate(item, item_node, errors, f"{prefix}[{i}]")


def _go_sharp_v(value: Any) -> str:
    """Go's %#v of an unstructured value."""
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp_v(v) for v in value) + "}"
    if isinstance(value, dict):
        return "map[string]interface {}{" + ", ".join(f"{go_quote(k)}:{_go_sharp_v(v)}"
                                                      for k, v in sorted(value.items())) + "}"
    return str(value)


def _go_plain_v(value: Any) -> str:
    """Go's %v of an unstructured value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(_go_plain_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_plain_v(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _go_value_v(value: Any) -> str:
    """%v of a value.Value holding an unstructured value."""
    return "&{" + _go_plain_v(value) + "}"


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "<nil>"


def _scalar_error(node: _Node, value: Any) -> Optional[str]:
    if value is None:
        return None
    spec_type = node.stype
    if spec_type == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected numeric (int or float), got {_go_type(value)}"
    elif spec_type == "string":
        if not isinstance(value, str):
            return "expected string, got &value.valueUnstructured{Value:" + _go_sharp_v(value) + "}"
    elif spec_type == "boolean":
        if not isinstance(value, bool):
            return f"expected boolean, got {_go_value_v(value)}"
    elif isinstance(value, (dict, list)):
        return f"expected any scalar, got {_go_value_v(value)}"
    return None


# -- managers ---------------------------------------------------------------------------------------------------

class _VSet:
    """fieldpath.VersionedSet."""

    __slots__ = ("paths", "version", "applied")

    def __init__(self, paths: PathSet, version: str, applied: bool) -> None:
        self.paths = paths
        self.version = version
        self.applied = applied


# A manager identifier: (manager, operation, apiVersion for Update managers else "", subresource).
ManagerID = Tuple[str, str, str, str]
_CURRENT = ("current-operation", "", "", "")

_STRIP = frozenset({
    ((_F, "apiVersion"),), ((_F, "kind"),), ((_F, "metadata"),),
    ((_F, "metadata"), (_F, "name")), ((_F, "metadata"), (_F, "namespace")),
    ((_F, "metadata"), (_F, "creationTimestamp")), ((_F, "metadata"), (_F, "selfLink")),
    ((_F, "metadata"), (_F, "uid")), ((_F, "metadata"), (_F, "clusterName")),
    ((_F, "metadata"), (_F, "generation")), ((_F, "metadata"), (_F, "managedFields")),
    ((_F, "metadata"), (_F, "resourceVersion")),
})


def _id_json(mid: ManagerID) -> str:
    """BuildManagerIdentifier's JSON (used to order managers exactly as upstream does)."""
    entry = {}
    if mid[0]:
        entry["manager"] = mid[0]
    if mid[1]:
        entry["operation"] = mid[1]
    if mid[2]:
        entry["apiVersion"] = mid[2]
    if mid[3]:
        entry["subresource"] = mid[3]
    return _json(entry)


def _print_manager(mid: ManagerID) -> str:
    """printManager: ``"name"``, ``"name" with subresource "status"``, ``"name" using apps/v1``."""
    text = go_quote(mid[0])
    if mid[3]:
        text += f" with subresource {go_quote(mid[3])}"
    if mid[1] == "Update":
        text += f" using {mid[2]}"
    return text


_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)\Z")


def _parse_time(text: Any) -> Optional[datetime.datetime]:
    if not isinstance(text, str):
        return None
    m = _RFC3339.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    zone = m.group(8)
    tz = datetime.timezone.utc
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def _canonical_time(text: Any) -> Optional[str]:
    """metav1.Time as Go re-encodes it: UTC, whole seconds."""
    if text is None:
        return None
    if isinstance(text, str) and _CANONICAL_TIME.match(text):
        return text
    moment = _parse_time(text)
    if moment is None:
        return text
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(text: Optional[str]) -> int:
    moment = _parse_time(text) if text else None
    return int(moment.timestamp()) if moment is not None else 0


class _Managed:
    """Decoded managedFields: sets by manager, and their timestamps."""

    __slots__ = ("fields", "times")

    def __init__(self) -> None:
        self.fields: Dict[ManagerID, _VSet] = {}
        self.times: Dict[ManagerID, Optional[str]] = {}


def _entry_repr(entry: Dict[str, Any]) -> str:
    """Go's %v of a ManagedFieldsEntry, for decode errors."""
    time = entry.get("time")
    moment = _parse_time(time) if time else None
    time_text = moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000 UTC") if moment else \
        "<nil>"
    fields = entry.get("fieldsV1")
    fields_text = _json(fields) if fields is not None else "<nil>"
    return "{" + " ".join(str(entry.get(k) or "") for k in ("manager", "operation", "apiVersion")) + \
        f" {time_text} {entry.get('fieldsType') or ''} {fields_text} {entry.get('subresource') or ''}" + "}"


def _decode_managed(entries: Any) -> _Managed:
    """DecodeManagedFields; raises ValueError with upstream's message."""
    managed = _Managed()
    if entries is None:
        return managed
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError("managedFields entries must be objects")
        operation = entry.get("operation")
        if operation not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        api_version = entry.get("apiVersion")
        if not api_version or not isinstance(api_version, str):
            raise ValueError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType")
        if fields_type != "FieldsV1":
            if not fields_type:
                raise ValueError(f"missing fieldsType in managed fields entry {i}")
            raise ValueError(f"invalid fieldsType {go_quote(str(fields_type))} in managed fields entry {i}")
        manager = entry.get("manager") or ""
        subresource = entry.get("subresource") or ""
        if not isinstance(manager, str) or not isinstance(subresource, str):
            raise ValueError("managedFields manager and subresource must be strings")
        mid = (manager, operation, api_version if operation == "Update" else "", subresource)
        try:
            paths = fieldsv1_decode(entry.get("fieldsV1"))
        except FieldsV1Error as err:
            raise ValueError(f"error decoding versioned set from {_entry_repr(entry)}: error decoding set: {err}") \
                from None
        managed.fields[mid] = _VSet(paths, api_version, operation == "Apply")
        managed.times[mid] = _canonical_time(entry.get("time"))
    return managed


def _encode_managed(managed: _Managed) -> List[Dict[str, Any]]:
    """encodeManagedFields, sorted as sortEncodedManagedFields."""
    rows = []
    for mid, vs in managed.fields.items():
        entry: Dict[str, Any] = {}
        if mid[0]:
            entry["manager"] = mid[0]
        operation = "Apply" if vs.applied else "Update"
        entry["operation"] = operation
        if vs.version:
            entry["apiVersion"] = vs.version
        time = managed.times.get(mid)
        if time is not None:
            entry["time"] = time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = fieldsv1_encode(vs.paths)
        if mid[3]:
            entry["subresource"] = mid[3]
        rows.append((mid, operation, time, vs.version, entry))
    if len(rows) > 1:   # one row (every create) needs no order, nor its time parsed
        rows.sort(key=lambda row: (row[1], _unix(row[2]), row[0][0], row[3], row[0][3]))
    return [row[4] for row in rows]


def _cap_managers(managed: _Managed, limit: int = MAX_UPDATE_MANAGERS) -> None:
    """capUpdateManagers: merge the oldest Update entries into ``ancient-changes`` buckets (one per version)."""
    updaters = [mid for mid, vs in managed.fields.items() if not vs.applied]
    if len(updaters) <= limit:
        return
    updaters.sort(key=lambda mid: (_unix(managed.times.get(mid)), _id_json(mid)))
    first_at: Dict[str, ManagerID] = {}
    length = len(updaters)
    for mid in updaters:
        if length <= limit:
            break
        vs = managed.fields.get(mid)
        if vs is None:
            continue
        time = managed.times.get(mid)
        bucket = (ANCIENT_CHANGES, "Update", vs.version, "")
        first = first_at.get(vs.version)
        if first is None:
            first_at[vs.version] = mid
            continue
        if bucket not in managed.fields:
            managed.fields[bucket] = managed.fields.pop(first)
            managed.times.pop(first, None)
        managed.fields[bucket] = _VSet(vs.paths | managed.fields[bucket].paths, vs.version, vs.applied)
        del managed.fields[mid]
        managed.times.pop(mid, None)
        length -= 1
        managed.times[bucket] = time


def _strip(managed: _Managed, mid: ManagerID) -> None:
    """stripMetaManager: type and object meta fields are never owned."""
    vs = managed.fields.get(mid)
    if vs is None:
        return
    paths = vs.paths - _STRIP
    if paths:
        managed.fields[mid] = _VSet(paths, vs.version, vs.applied)
    else:
        del managed.fields[mid]


def _is_reset(entries: Any) -> bool:
    """isResetManagedFields: ``[]`` or ``[{}]``."""
    if not isinstance(entries, list):
        return False
    if not entries:
        return True
    return len(entries) == 1 and isinstance(entries[0], dict) and all(v in (None, "") for v in entries[0].values())


def _managed_fields_of(obj: Optional[Dict[str, Any]]) -> Any:
    if not isinstance(obj, dict):
        return None
    md = obj.get("metadata")
    return md.get("managedFields") if isinstance(md, dict) else None


# -- the structured-merge-diff updater --------------------------------------------------------------------------

class _Context:
    """One operation's schema, version and reset fields."""

    __slots__ = ("compiled", "version", "reset")

    def __init__(self, compiled: CompiledSchema, version: str, reset: Optional[FrozenSet[Path]]) -> None:
        self.compiled = compiled
        self.version = version
        self.reset = reset

    def filter(self, paths: PathSet) -> PathSet:
        return _recursive_difference(paths, self.reset) if self.reset else paths

    def field_set(self, value: Any, named: bool = False) -> PathSet:
        out: PathSet = set()
        _field_set(value, self.compiled.root, (), out, named)
        out.discard(())
        return out

    def ensure(self, paths: PathSet) -> PathSet:
        return _ensure_named(paths, self.compiled.root)

    def remove(self, value: Any, paths: PathSet) -> Any:
        return _remove_items(value, paths, self.compiled)


def _reconcile_managers(managed: _Managed, ctx: _Context) -> None:
    if ctx.compiled.builtin:
        return  # built-in schemas do not change under a running server
    for mid, vs in list(managed.fields.items()):
        reconciled = _reconcile(vs.paths, ctx.compiled.root)
        if reconciled is not None:
            managed.fields[mid] = _VSet(reconciled, vs.version, vs.applied)


def _update_managers(live: Any, new: Any, managed: _Managed, workflow: ManagerID, force: bool,
                     ctx: _Context) -> _Comparison:
    """Updater.update: other managers lose what this operation changed (conflicts unless forced) or removed."""
    cmp = _Comparison()
    _compare(live, new, ctx.compiled.root, (), cmp)
    cmp.filter(ctx.reset)
    changed = cmp.modified | cmp.added
    conflicts: Dict[ManagerID, PathSet] = {}
    for mid, vs in managed.fields.items():
        if mid == workflow:
            continue
        overlap = vs.paths & changed
        if overlap:
            conflicts[mid] = overlap
    if conflicts and not force:
        raise _Conflicts(conflicts)
    removed = cmp.removed
    for mid in list(managed.fields):
        vs = managed.fields[mid]
        paths = vs.paths
        if mid != workflow:
            if mid in conflicts:
                paths = paths - conflicts[mid]
            if removed:
                paths = paths - removed
        if not paths:
            del managed.fields[mid]  # every empty entry goes, whoever emptied it
        elif paths is not vs.paths:
            managed.fields[mid] = _VSet(paths, vs.version, vs.applied)
    return cmp


def _smd_update(live: Any, new: Any, managed: _Managed, manager: ManagerID, ctx: _Context) -> None:
    """Updater.Update."""
    _reconcile_managers(managed, ctx)
    cmp = _update_managers(live, new, managed, manager, True, ctx)
    previous = managed.fields.get(manager)
    paths = (previous.paths - cmp.removed if previous else set()) | cmp.modified | cmp.added
    paths = ctx.filter(paths)
    if paths:
        managed.fields[manager] = _VSet(paths, ctx.version, False)
    else:
        managed.fields.pop(manager, None)


def _tracked_update(live: Any, new: Any, managed: _Managed, mid: ManagerID, now: str, ctx: _Context) -> None:
    """managedFieldsUpdater.Update around stripMeta and the updater: the change is recorded for a temporary
    manager, then merged into ``mid``'s entry with a new timestamp if it owns anything."""
    _smd_update(live, new, managed, _CURRENT, ctx)
    _strip(managed, _CURRENT)
    current = managed.fields.pop(_CURRENT, None)
    if current is None:
        return
    previous = managed.fields.get(mid)
    paths = current.paths | previous.paths if previous is not None else current.paths
    managed.fields[mid] = _VSet(paths, current.version, current.applied)
    managed.times[mid] = now


def _prune(merged: Any, managed: _Managed, applier: ManagerID, last: Optional[_VSet], ctx: _Context) -> PathSet:
    """Updater.prune: what to remove from the merged object (fields the applier applied last time and not now,
    that nobody else owns)."""
    if last is None or not last.paths:
        return set()
    if last.paths <= managed.fields[applier].paths:
        # Nothing dropped: every path applied last time, and each of its ancestors, is owned by the applier now,
        # so upstream's prune (remove, add back owned, add back dangling) ends where it started.
        return set()
    root = ctx.compiled.root
    last_paths, last_trie = _ensure_named(last.paths, root)
    pruned = _remove(merged, last_trie, root)
    # addBackOwnedItems
    owned: PathSet = set()
    for vs in managed.fields.values():
        owned |= vs.paths
    merged_set = ctx.field_set(merged, named=True)
    pruned_set = ctx.field_set(pruned, named=True)
    pruned = ctx.remove(merged, merged_set - pruned_set - _ensure_named(owned, root)[0])
    # addBackDanglingItems
    pruned_set = ctx.field_set(pruned, named=True)
    return (merged_set - pruned_set) & last_paths


def _smd_apply(live: Any, config: Any, managed: _Managed, manager: ManagerID, force: bool,
               ctx: _Context) -> Tuple[Any, PathSet, bool]:
    """Updater.Apply on typed views: (merged object, paths to remove from it, whether the object changed)."""
    _reconcile_managers(managed, ctx)
    merged = _merge(live, config, ctx.compiled.root)
    last = managed.fields.get(manager)
    paths = ctx.filter(ctx.field_set(config))
    managed.fields[manager] = _VSet(paths, ctx.version, True)
    removal = _prune(merged, managed, manager, last, ctx)
    new = ctx.remove(merged, removal) if removal else merged
    _update_managers(live, new, managed, manager, force, ctx)
    changed = not _equal(live, new)
    return new, removal, changed


# -- public API -------------------------------------------------------------------------------------------------

def _reset_paths(reset_fields: Optional[Iterable[Sequence[Any]]]) -> Optional[FrozenSet[Path]]:
    if not reset_fields:
        return None
    out = set()
    for path in reset_fields:
        out.add(tuple(pe if isinstance(pe, tuple) else (_F, pe) for pe in path))
    return frozenset(out)


def _manager_name(manager: Optional[str]) -> str:
    return manager or "unknown"


def manager_or_user_agent(manager: Optional[str], user_agent: Optional[str]) -> str:
    """managerOrUserAgent: the fieldManager parameter, else the User-Agent up to its first ``/`` without
    unprintable characters, cut to 128 bytes (``kubectl/v1.32.0 (linux/amd64) ...`` -> ``kubectl``)."""
    if manager:
        return manager
    out = []
    size = 0
    for ch in (user_agent or "").split("/", 1)[0]:
        if not ch.isprintable():
            continue
        width = len(ch.encode("utf-8", "surrogatepass"))
        if size + width > FIELD_MANAGER_MAX_LENGTH:
            break
        out.append(ch)
        size += width
    return "".join(out)


def managed_fields_for_update(live: Optional[Dict[str, Any]], new: Dict[str, Any], manager: str, subresource: str,
                              api_version: str, now: str, schema: SchemaArg,
                              reset_fields: Optional[Iterable[Sequence[Any]]] = None) -> List[Dict[str, Any]]:
    """``metadata.managedFields`` for ``new`` after a create (``live`` None), update or non-apply patch.

    ``new`` is the object about to be written, with the managedFields the request left in it (a client may edit
    them; ``[]`` or ``[{}]`` resets them; an undecodable list falls back to the live object's); on a subresource
    (``subresource`` non-empty) the live object's are used. ``manager`` is the fieldManager parameter (or the user
    agent's prefix, upstream's managerOrUserAgent; empty becomes ``unknown``). ``reset_fields`` are top-level-ish
    paths (tuples of field names) the strategy resets and nobody owns, e.g. ``[("status",)]`` on a resource with
    a status subresource. An empty result means: leave ``metadata.managedFields`` out (an update of an object
    that has none starts tracking only at its first apply, as upstream).
    """
    try:
        compiled = compile_schema(schema)
        if subresource:
            managed = _decode_or_empty(_managed_fields_of(live))
        else:
            new_entries = _managed_fields_of(new)
            if _is_reset(new_entries):
                managed = _Managed()
            else:
                try:
                    managed = _decode_managed(new_entries)
                except ValueError:
                    managed = _Managed()
                if not managed.fields:
                    managed = _decode_or_empty(_managed_fields_of(live))
        if not managed.fields and live is not None and _uid(live):
            return []  # skipNonAppliedManager: not tracked until the first apply
        ctx = _Context(compiled, api_version, _reset_paths(reset_fields))
        mid = (_manager_name(manager), "Update", api_version, subresource or "")
        _tracked_update(_typed_view(live, compiled), _typed_view(new, compiled), managed, mid, now, ctx)
        _cap_managers(managed)
        return _encode_managed(managed)
    except (ValueError, RecursionError):
        return []  # UpdateNoErrors: managedFields are dropped rather than left wrong


def _decode_or_empty(entries: Any) -> _Managed:
    try:
        return _decode_managed(entries)
    except ValueError:
        return _Managed()


def _uid(obj: Dict[str, Any]) -> Any:
    md = obj.get("metadata")
    return md.get("uid") if isinstance(md, dict) else None


def _gvk_string(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind}"


def _object_gvknn(obj: Dict[str, Any]) -> str:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    api_version = obj.get("apiVersion") if isinstance(obj.get("apiVersion"), str) else ""
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else ""
    return f"{md.get('namespace') or ''}/{md.get('name') or ''}; {_gvk_string(api_version, kind)}"


def check_apply_body(applied: Any, api_version: str, kind: Optional[str]) -> Optional[str]:
    """The 400 message for an apply body upstream refuses before merging, else None: a type that is not the
    resource's (``invalid object type: /v1, Kind=Pod``), ``metadata.managedFields`` set (``metadata.managedFields
    must be nil``)."""
    if not isinstance(applied, dict):
        return "invalid object type: /, Kind="
    body_version = applied.get("apiVersion") if isinstance(applied.get("apiVersion"), str) else ""
    body_kind = applied.get("kind") if isinstance(applied.get("kind"), str) else ""
    if kind is not None and (body_version, body_kind) != (api_version, kind):
        return f"invalid object type: {_gvk_string(body_version, body_kind)}"
    if kind is None and body_version != api_version:
        return (f"Incorrect version specified in apply patch. Specified patch version: {body_version}, "
                f"expected: {api_version}")
    md = applied.get("metadata")
    if isinstance(md, dict):
        entries = md.get("managedFields")
        if isinstance(entries, list) and all(isinstance(e, dict) for e in entries):
            return "metadata.managedFields must be nil"
    return None


def _validation_message(errors: List[Tuple[str, str]]) -> str:
    texts = [f"{path}: {msg}" if path else msg for path, msg in errors]
    if len(texts) == 1:
        return texts[0]
    return "\n  ".join(["errors:"] + texts)


def _conflict_error(conflicts: Dict[ManagerID, PathSet]) -> ApplyConflict:
    """NewConflictError: conflicts grouped by manager (sorted by their identifiers' printed names), each manager's
    paths in upstream's set order."""
    ordered: List[Tuple[ManagerID, Path]] = []
    for mid in sorted(conflicts, key=_id_json):
        for path in sorted(conflicts[mid], key=_iteration_key):
            ordered.append((mid, path))
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {_print_manager(mid)}",
               "field": path_string(path)} for mid, path in ordered]
    if len(ordered) == 1:
        mid, path = ordered[0]
        message = f"Apply failed with 1 conflict: conflict with {_print_manager(mid)}: {path_string(path)}"
    else:
        lines = []
        for mid in sorted(conflicts, key=_id_json):
            lines.append(f"conflicts with {_print_manager(mid)}:")
            lines.extend(f"- {path_string(p)}" for p in sorted(conflicts[mid], key=_iteration_key))
        message = f"Apply failed with {len(ordered)} conflicts: " + "\n".join(lines)
    return ApplyConflict(message, [(mid[0], path_string(path)) for mid, path in ordered], causes)


def _iteration_key(path: Path) -> tuple:
    """Set.Iterate's order: at each level the members, then the children, each in path-element order."""
    last = len(path) - 1
    return tuple((0 if i == last else 1, pe) for i, pe in enumerate(path))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _drop_nulls(value: Any, node: _Node) -> Any:
    """Go's decode of the merged object: a null struct field is not kept (free-form JSON keeps its nulls)."""
    if isinstance(value, dict) and node.map_kind:
        props = node.props
        if not props:
            if node.deduced or node.map_kind == _ATOMIC:
                return value
            return {k: _drop_nulls(v, node.elem()) for k, v in value.items()}
        return {k: _drop_nulls(v, node.field(k)) for k, v in value.items() if v is not None or k not in props}
    if isinstance(value, list) and node.list_kind:
        item_node = node.item()
        return [_drop_nulls(v, item_node) for v in value]
    return value


def _allowed_by_last_applied(live_view: Any, live: Optional[Dict[str, Any]], api_version: str,
                             ctx: _Context) -> Optional[PathSet]:
    """lastAppliedManager.allowedConflictsFromLastApplied: fields of the client-side-apply annotation that still
    hold their applied values."""
    md = live.get("metadata") if isinstance(live, dict) else None
    annotations = md.get("annotations") if isinstance(md, dict) else None
    text = annotations.get(LAST_APPLIED_ANNOTATION) if isinstance(annotations, dict) else None
    if not text or not isinstance(text, str):
        return None
    try:
        last_applied, _ = loads(text)
    except JSONError:
        return None
    if not isinstance(last_applied, dict) or last_applied.get("apiVersion") != api_version:
        return None
    errors: List[Tuple[str, str]] = []
    _validate(last_applied, ctx.compiled.root, errors)
    if errors:
        return None
    try:
        paths = ctx.field_set(last_applied)
        cmp = _Comparison()
        _compare(last_applied, live_view, ctx.compiled.root, (), cmp)
    except _SchemaError:
        return None
    return paths - cmp.modified - cmp.added - cmp.removed


def _build_last_applied(applied: Dict[str, Any]) -> str:
    """buildLastApplied: the applied object without the annotation, as Go's json.Encoder writes a map."""
    obj = dict(applied)
    md = obj.get("metadata")
    if isinstance(md, dict):
        md = dict(md)
        annotations = md.get("annotations")
        if isinstance(annotations, dict):
            md["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED_ANNOTATION}
        elif annotations is None:
            md.pop("annotations", None)
        obj["metadata"] = md
    return _json(_sorted_keys(obj)) + "\n"


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def apply(live: Optional[Dict[str, Any]], applied: Dict[str, Any], manager: str, force: bool, api_version: str,
          now: str, schema: SchemaArg, subresource: str = "", kind: Optional[str] = None,
          reset_fields: Optional[Iterable[Sequence[Any]]] = None) -> Dict[str, Any]:
    """Server-side apply of ``applied`` (the decoded apply body) by field manager ``manager`` onto ``live`` (None to
    create). Returns the new object with ``metadata.managedFields`` (a new dict; the arguments are not changed).

    When nothing changes the result equals ``live`` (the same managedFields, timestamps included): skip the write.
    ``kind`` (the resource's kind), when given, is checked against the body as upstream's versionCheckManager
    does. ``reset_fields`` as for :func:`managed_fields_for_update`. Raises :class:`ApplyError` (400 for a bad
    body, 500 for a configuration the schema refuses, with upstream's ``failed to create typed patch object
    (...)`` text) and :class:`ApplyConflict` (409) unless ``force``. For field manager ``kubectl``, conflicts on
    fields that still hold the client-side-apply annotation's values are forced, and an existing annotation is
    rewritten from ``applied``, as upstream's lastApplied managers do.
    """
    message = check_apply_body(applied, api_version, kind)
    if message:
        raise ApplyError(message, 400)
    compiled = compile_schema(schema)
    ctx = _Context(compiled, api_version, _reset_paths(reset_fields))
    try:
        managed = _decode_managed(_managed_fields_of(live))
    except ValueError as err:
        raise ApplyError(f"failed to decode managed fields: {err}", 500) from None
    errors: List[Tuple[str, str]] = []
    _validate(applied, compiled.root, errors)
    if errors:
        raise ApplyError(f"failed to create typed patch object ({_object_gvknn(applied)}): "
                         f"{_validation_message(errors)}", 500)
    live_view = _typed_view(live, compiled)
    try:
        try:
            result = _apply_once(live, live_view, applied, managed, manager, force, now, subresource, ctx)
        except _Conflicts as err:
            conflicts = err.conflicts
            if manager == "kubectl":
                # lastAppliedManager: conflicts on fields still holding the client-side-apply annotation's values
                # are forced
                allowed = _allowed_by_last_applied(live_view, live, api_version, ctx)
                if allowed is not None:
                    remaining = {mid: paths - allowed for mid, paths in conflicts.items()}
                    remaining = {mid: paths for mid, paths in remaining.items() if paths}
                    if not remaining:
                        managed = _decode_managed(_managed_fields_of(live))
                        result = _apply_once(live, live_view, applied, managed, manager, True, now, subresource, ctx)
                        return _finish_last_applied(result, applied, manager)
                    conflicts = remaining
            raise _conflict_error(conflicts) from None
    except _SchemaError as err:
        raise ApplyError(f"failed to create typed live object ({_object_gvknn(live or applied)}): {err}", 500) \
            from None
    return _finish_last_applied(result, applied, manager)


def _apply_once(live: Optional[Dict[str, Any]], live_view: Any, applied: Dict[str, Any], managed: _Managed,
                manager: str, force: bool, now: str, subresource: str, ctx: _Context) -> Dict[str, Any]:
    compiled = ctx.compiled
    if not managed.fields and live is not None:
        # skipNonAppliedManager: what exists before the first apply belongs to "before-first-apply"
        first = (BEFORE_FIRST_APPLY, "Update", ctx.version, subresource or "")
        _tracked_update(_typed_view(None, compiled), live_view, managed, first, now, ctx)
        _cap_managers(managed)
    mid = (_manager_name(manager), "Apply", "", subresource or "")
    _, removal, changed = _smd_apply(live_view, applied, managed, mid, force, ctx)
    _strip(managed, mid)
    if changed:
        managed.times[mid] = now
        merged = _merge(live if live is not None else _ABSENT, applied, compiled.root)
        if merged is _ABSENT:
            merged = {}
        if removal:
            merged = ctx.remove(merged, removal) or {}
        result = _drop_nulls(merged, compiled.root) if compiled.builtin else merged
        result = _copy(result)
    else:
        result = _copy(live) if live is not None else {}
    md = result.get("metadata")
    md = dict(md) if isinstance(md, dict) else {}
    entries = _encode_managed(managed)
    if entries:
        md["managedFields"] = entries
    else:
        md.pop("managedFields", None)
    result["metadata"] = md
    return result


def _finish_last_applied(result: Dict[str, Any], applied: Dict[str, Any], manager: str) -> Dict[str, Any]:
    """lastAppliedUpdater: kubectl's server-side apply keeps an existing client-side-apply annotation current."""
    if manager != "kubectl":
        return result
    md = result.get("metadata")
    annotations = md.get("annotations") if isinstance(md, dict) else None
    if not isinstance(annotations, dict) or not annotations.get(LAST_APPLIED_ANNOTATION):
        return result
    annotations = dict(annotations)
    annotations[LAST_APPLIED_ANNOTATION] = _build_last_applied(applied)
    size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in annotations.items()
               if isinstance(k, str) and isinstance(v, str))
    if size > TOTAL_ANNOTATION_SIZE:
        del annotations[LAST_APPLIED_ANNOTATION]
    md["annotations"] = annotations  # type: ignore[index]
    return result


# -- validation helpers -----------------------------------------------------------------------------------------

def validate_managed_fields(entries: Any) -> Optional[str]:
    """managedfields.ValidateManagedFields: the decode error of a managedFields list, or None.

    Upstream uses it after mutating admission (an invalid result is replaced by the managedFields from before
    admission, with the :data:`INVALID_AFTER_ADMISSION_WARNING` warning); on update an undecodable list in the
    request silently falls back to the live object's; on apply the live object's must decode (else a 500)."""
    try:
        _decode_managed(entries)
    except ValueError as err:
        return str(err)
    return None


def managed_fields_field_errors(entries: Any, field_path: str = "metadata.managedFields") -> List[Cause]:
    """ObjectMeta validation of managedFields (ValidateManagedFields in meta/v1/validation), as field causes:
    ``metadata.managedFields[0].operation: Invalid value: "X": must be `Apply` or `Update```..."""
    causes: List[Cause] = []
    if not isinstance(entries, list):
        return causes
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        path = f"{field_path}[{i}]"
        operation = entry.get("operation") or ""
        if operation not in ("Apply", "Update"):
            causes.append(invalid(path + ".operation", operation, "must be `Apply` or `Update`"))
        fields_type = entry.get("fieldsType") or ""
        if fields_type and fields_type != "FieldsV1":
            causes.append(invalid(path + ".fieldsType", fields_type, "must be `FieldsV1`"))
        causes.extend(field_manager_errors(entry.get("manager") or "", path + ".manager"))
        subresource = entry.get("subresource") or ""
        if isinstance(subresource, str) and len(subresource.encode("utf-8")) > MAX_SUBRESOURCE_NAME_LENGTH:
            causes.append((path + ".subresource", "FieldValueTooLong",
                           f"Too long: may not be more than {MAX_SUBRESOURCE_NAME_LENGTH} bytes"))
    return causes


def field_manager_errors(manager: Any, field_path: str = "fieldManager") -> List[Cause]:
    """ValidateFieldManager: at most 128 bytes, printable characters only."""
    causes: List[Cause] = []
    if not isinstance(manager, str):
        return causes
    if len(manager.encode("utf-8")) > FIELD_MANAGER_MAX_LENGTH:
        causes.append((field_path, "FieldValueTooLong", f"Too long: may not be more than {FIELD_MANAGER_MAX_LENGTH} "
                                                        "bytes"))
    position = 0
    for ch in manager:
        if not ch.isprintable():
            causes.append(invalid(field_path, manager,
                                  f"invalid character U+{ord(ch):04X} (at position {position})"))
        position += len(ch.encode("utf-8", "surrogatepass"))
    return causes


def ignore_managed_fields_timestamps(new: Dict[str, Any], old: Dict[str, Any]) -> Dict[str, Any]:
    """IgnoreManagedFieldsTimestampsTransformer: when ``new`` differs from ``old`` only in managedFields
    timestamps, give it back the old timestamps (so no write happens just for them). Returns ``new`` (changed in
    place) or ``new`` as is."""
    new_entries = _managed_fields_of(new)
    old_entries = _managed_fields_of(old)
    if not isinstance(new_entries, list) or not isinstance(old_entries, list):
        return new
    if len(new_entries) != len(old_entries) or not new_entries:
        return new
    if all(isinstance(a, dict) and isinstance(b, dict) and a.get("time") == b.get("time")
           for a, b in zip(new_entries, old_entries)):
        return new

    def without_time(entry: Any) -> Any:
        return {k: v for k, v in entry.items() if k != "time"} if isinstance(entry, dict) else entry

    if not all(_equal(without_time(a), without_time(b)) for a, b in zip(new_entries, old_entries)):
        return new

    def without_managed(obj: Dict[str, Any]) -> Dict[str, Any]:
        md = obj.get("metadata")
        return {**obj, "metadata": {k: v for k, v in md.items() if k != "managedFields"}} if isinstance(md, dict) \
            else obj

    if not _equal(without_managed(new), without_managed(old)):
        return new
    restored = []
    for a, b in zip(new_entries, old_entries):
        entry = dict(a)
        if "time" in b:
            entry["time"] = b["time"]
        else:
            entry.pop("time", None)
        restored.append(entry)
    new["metadata"]["managedFields"] = restored
    return new
