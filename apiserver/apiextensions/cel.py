"""A Common Expression Language (CEL) subset for CRD ``x-kubernetes-validations`` rules and ValidatingAdmissionPolicy
expressions (``apiserver/admission/policy.py`` declares its variables), in plain Python.

Pipeline: lexer -> recursive-descent parser (macros expanded at parse time, as cel-go does) -> a type-light checker
that resolves every name and function and rejects what it can prove ill-typed -> closures.  :func:`compile` returns a
:class:`Program` (cached per expression); :meth:`Program.evaluate` runs it against an activation (``self``/``oldSelf``)
under a cost limit.

Semantics follow the CEL language definition (google/cel-spec ``doc/langdef.md``) plus the libraries Kubernetes 1.32
enables for CRD rules (``k8s.io/apiserver/pkg/cel/library``, cel-go ``ext``).

Supported subset:

* syntax: the whole CEL grammar except message construction ``Name{...}``: literals (decimal/hex ints, ``u``/``U``
  uints, doubles, quoted/triple-quoted/raw strings with all CEL escapes, ``b""`` bytes, true/false/null, lists,
  maps), ``.field``, ``[index]``, calls and receiver calls, unary ``! -``, ``* / % + -``,
  ``== != < <= > >= in``, ``&& ||``, ``?:``, leading-dot names, ``//`` comments; optional syntax ``a.?f``,
  ``a[?k]``, ``[?x]``, ``{?k: v}``.
* macros: ``has(a.f)``; ``all``, ``exists``, ``exists_one``/``existsOne``, ``map`` (2 and 3 arguments), ``filter``;
  two-variable ``all(i, v, p)``, ``exists(i, v, p)``, ``existsOne(i, v, p)``, ``transformList``, ``transformMap``;
  ``optMap``, ``optFlatMap``.
* standard functions: ``size``, ``type``, ``dyn``, ``int``, ``uint``, ``double``, ``string``, ``bytes``, ``bool``,
  ``timestamp``, ``duration``, ``matches``, ``contains``, ``startsWith``, ``endsWith``, timestamp ``getFullYear``
  ``getMonth`` ``getDate`` ``getDayOfMonth`` ``getDayOfWeek`` ``getDayOfYear`` ``getHours`` ``getMinutes``
  ``getSeconds`` ``getMilliseconds`` (UTC, "+hh:mm" or IANA zone), duration ``getHours`` ``getMinutes``
  ``getSeconds`` ``getMilliseconds``; arithmetic on timestamps/durations.
* strings extension (version 2): ``charAt``, ``indexOf``, ``lastIndexOf``, ``lowerAscii``, ``upperAscii``,
  ``replace``, ``split``, ``substring``, ``trim``, ``join``, ``format`` (``%s %d %f %e %x %X %o %b``, ``.N``),
  ``strings.quote``.  Kubernetes lists library: ``isSorted``, ``sum``, ``min``, ``max``, ``indexOf``,
  ``lastIndexOf``.  Kubernetes regex library: ``find``, ``findAll``.  Sets extension: ``sets.contains``,
  ``sets.equivalent``, ``sets.intersects``.  Optionals: ``optional.of``, ``optional.none``,
  ``optional.ofNonZeroValue``, ``hasValue``, ``value``, ``orValue``, ``or``.
* ``cel.bind(name, init, body)`` (cel-go ``ext.Bindings``; ``init`` is evaluated once, eagerly).
* Kubernetes quantity library: ``quantity``, ``isQuantity``, ``isInteger``, ``asInteger``, ``asApproximateFloat``,
  ``sign``, ``add``, ``sub``, ``isGreaterThan``, ``isLessThan``, ``compareTo``, and ``==`` by value.
* type names as values: ``int uint double bool string bytes list map null_type type google.protobuf.Timestamp
  google.protobuf.Duration optional_type``.

Values: ``int`` (Python ``int``, 64-bit checked), ``uint`` (:class:`UInt`), ``double`` (``float``), ``bool``,
``string`` (``str``, sizes in code points), ``bytes``, ``null`` (``None``), ``list`` (``list``/``tuple``), ``map``
(``dict``), :class:`Timestamp`, :class:`Duration`, :class:`CelType`, :class:`OptionalValue`.  No implicit
conversions: ``1 + 1u`` and ``1 + 1.0`` are errors.  Equality and ordering are heterogeneous across the numeric types
at runtime (``dyn(1) == 1.0``), but the checker refuses ``1 == 1.0`` like cel-go does, and (as Kubernetes enables
homogeneous aggregate literals) refuses ``[1, 'a']`` outside ``format()`` arguments.

Errors vs. values: runtime errors are values that ``&&``, ``||``, ``all`` and ``exists`` absorb when the other side
decides the result (``false && (1/0 == 1)`` is ``false``; ``(1/0 == 1) || true`` is ``true``); ``exists_one``,
``map``, ``filter`` and everything else propagate them.

Cost: every call, selection, index and comprehension iteration costs 1, plus a share of the size of the strings and
lists an operation walks or builds (charged before big results are built); over the limit evaluation stops with
``operation cancelled: actual cost limit exceeded`` (:class:`CELCostLimitError`, never absorbed).

Known gaps (documented, deliberate):

* ``matches``/``find``/``findAll`` translate RE2 syntax to Python ``re``.  RE2/Go syntax that Python lacks is
  translated (``\\z``, ``\\Q..\\E``, ``\\x{..}``, POSIX classes, mid-pattern flags, ``(?U)``, ASCII
  ``\\d \\s \\w \\b``, Go's ``$`` = end of text, Go's ``findAll`` empty-match rule); Perl-only syntax
  (backreferences, lookaround, possessive/atomic groups) is refused like RE2 refuses it; Unicode classes
  ``\\pL``/``\\p{Greek}`` are refused (not supported here).  Python's engine backtracks, so unlike RE2 a
  pathological pattern (``(a+)+$``) can take exponential time; the cost limit cannot interrupt a single match.
* map literals mixing ``bool`` keys with numerically equal ``int``/``uint`` keys are refused (Python dicts merge them).
* no protobuf messages, no ``math``/``base64``/``proto`` extensions, no Kubernetes ``url``,
  ``ip``, ``cidr``, ``format.*``, ``authorizer`` or ``semver`` libraries, no ``transformMapEntry``:
  they are refused at compile time with a message saying so.
* backquoted field names (``a.`b-c```, newer than Kubernetes 1.32's cel-go) are not supported; Kubernetes-escaped
  names (``self.__namespace__``, ``self.x__dash__y``) are, via :func:`value_from_json`.
* the checker is type-light: ``self``/``oldSelf`` are ``dyn`` (no schema), so field typos in rules surface as
  ``no such key`` at evaluation instead of at CRD creation, and no static cost estimation is done.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import types
from dataclasses import dataclass
from decimal import ROUND_UP, Context, Decimal
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from apiserver.codec.json import go_float

__all__ = [
    "CELError", "CELCompileError", "CELEvalError", "CELCostLimitError",
    "UInt", "Timestamp", "Duration", "CelType", "OptionalValue", "SetList", "MapList", "ObjectValue",
    "Program", "compile", "evaluate", "evaluate_rule", "evaluate_rule_detailed", "RuleFailure", "CompiledRule",
    "compile_rule", "rule_definition_errors", "value_from_json", "escape_property_name", "unescape_property_name",
    "format_rule_error", "PER_CALL_LIMIT", "RUNTIME_CEL_COST_BUDGET",
]

# Kubernetes: k8s.io/apiserver/pkg/apis/cel/config.go
PER_CALL_LIMIT = 1_000_000
RUNTIME_CEL_COST_BUDGET = 10_000_000
MAX_EVALUATED_MESSAGE_EXPRESSION_SIZE = 5 * 1024

MAX_EXPRESSION_LENGTH = 100_000   # code points (cel-go's default parser limit)
MAX_PARSE_DEPTH = 48              # nested parentheses / calls / literals
MAX_AST_DEPTH = 160               # any chain: selections, binary operators, ...

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1
_UINT_MAX = (1 << 64) - 1
_NS = 1_000_000_000
_TS_MIN_S = -62135596800          # 0001-01-01T00:00:00Z
_TS_MAX_S = 253402300799          # 9999-12-31T23:59:59Z


# ---------------------------------------------------------------------------------------------------------------------
# errors


class CELError(Exception):
    """Base class of every error raised by this module."""


class CELCompileError(CELError, ValueError):
    """The expression is not valid CEL, or uses something outside the supported subset."""


class CELEvalError(CELError):
    """A runtime error (no such key, division by zero, overflow, no matching overload, ...)."""


class CELCostLimitError(CELEvalError):
    """The evaluation exceeded its cost limit. Never absorbed by ``&&``/``||``/macros."""


def _err(msg: str) -> CELEvalError:
    return CELEvalError(msg)


# ---------------------------------------------------------------------------------------------------------------------
# values


class UInt(int):
    """A CEL ``uint`` (an ``int`` subclass so it compares and hashes like the number it holds)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{int(self)}u"


class Timestamp:
    """A CEL ``google.protobuf.Timestamp``: nanoseconds since the Unix epoch, UTC."""

    __slots__ = ("nanos",)

    def __init__(self, nanos: int):
        if not (_TS_MIN_S * _NS <= nanos <= _TS_MAX_S * _NS + _NS - 1):
            raise _err("timestamp out of range")
        self.nanos = nanos

    @classmethod
    def from_datetime(cls, dt: datetime.datetime) -> Timestamp:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        delta = dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return cls((delta.days * 86400 + delta.seconds) * _NS + delta.microseconds * 1000)

    def to_datetime(self) -> datetime.datetime:
        secs, nanos = divmod(self.nanos, _NS)
        return (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
                + datetime.timedelta(seconds=secs, microseconds=nanos // 1000))

    def __eq__(self, other: object) -> bool:
        return type(other) is Timestamp and other.nanos == self.nanos

    def __lt__(self, other: Timestamp) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(("ts", self.nanos))

    def __str__(self) -> str:
        return _format_timestamp(self.nanos)

    def __repr__(self) -> str:
        return f"timestamp({_format_timestamp(self.nanos)!r})"


class Duration:
    """A CEL ``google.protobuf.Duration``: a signed 64-bit count of nanoseconds."""

    __slots__ = ("nanos",)

    def __init__(self, nanos: int):
        if not (_INT_MIN <= nanos <= _INT_MAX):
            raise _err("duration out of range")
        self.nanos = nanos

    def __eq__(self, other: object) -> bool:
        return type(other) is Duration and other.nanos == self.nanos

    def __lt__(self, other: Duration) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(("dur", self.nanos))

    def __str__(self) -> str:
        return _format_duration(self.nanos)

    def __repr__(self) -> str:
        return f"duration({_format_duration(self.nanos)!r})"


class CelType:
    """A CEL type value, e.g. the result of ``type(1)`` or the identifier ``string``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other: object) -> bool:
        return type(other) is CelType and other.name == self.name

    def __hash__(self) -> int:
        return hash(("type", self.name))

    def __repr__(self) -> str:
        return self.name


class OptionalValue:
    """A CEL ``optional_type`` value: ``optional.of(x)`` or ``optional.none()`` (``oldSelf`` with optionalOldSelf)."""

    __slots__ = ("present", "value")

    def __init__(self, present: bool, value: Any = None):
        self.present = present
        self.value = value if present else None

    @classmethod
    def of(cls, value: Any) -> OptionalValue:
        return cls(True, value)

    @classmethod
    def none(cls) -> OptionalValue:
        return cls(False)

    def __eq__(self, other: object) -> bool:
        if type(other) is not OptionalValue:
            return False
        if not self.present or not other.present:
            return self.present == other.present
        return _eq(self.value, other.value)

    def __hash__(self) -> int:
        return hash(("opt", self.present))

    def __repr__(self) -> str:
        return f"optional.of({self.value!r})" if self.present else "optional.none()"


class Quantity:
    """A Kubernetes ``resource.Quantity`` (``kubernetes.Quantity``): an exact decimal, at most nano precision."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal):
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Quantity and self.value == other.value

    def __hash__(self) -> int:
        return hash(("quantity", self.value))

    def __repr__(self) -> str:
        return f"Quantity({self.value})"


class SetList(list):
    """A list with ``x-kubernetes-list-type: set``: equality ignores order and ``+`` is a union (Kubernetes)."""

    __slots__ = ()


class MapList(list):
    """A list with ``x-kubernetes-list-type: map``: equality ignores order, ``+`` merges by the map keys."""

    __slots__ = ("keys",)

    def __init__(self, items: Iterable[Any] = (), keys: Sequence[str] = ()):
        super().__init__(items)
        self.keys = tuple(keys)

    def key_of(self, item: Any) -> Any:
        if isinstance(item, dict):
            return tuple(_hashable(item.get(k)) for k in self.keys)
        return ("<not an object>", id(item))


class ObjectValue(dict):
    """An object with declared properties (Kubernetes): CEL-visible fields only (escaped names, no nulls).

    ``hidden`` keeps fields CEL cannot see (undeclared or unescapable names) so that equality still notices them."""

    __slots__ = ("hidden",)

    def __init__(self, visible: Mapping[str, Any] = (), hidden: Optional[Mapping[str, Any]] = None):
        super().__init__(visible)
        self.hidden = dict(hidden or {})


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((str(k), _hashable(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    if type(v) is float and math.isfinite(v) and v.is_integer():
        return int(v)
    return v


_UNBOUND = object()
_NOCONST = object()
_OPT_NONE = OptionalValue(False)

_T_NAMES = ("int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
            "google.protobuf.Timestamp", "google.protobuf.Duration", "optional_type", "kubernetes.Quantity")
_TYPE_VALUES: Mapping[str, CelType] = types.MappingProxyType({n: CelType(n) for n in _T_NAMES})


def _type_name(v: Any) -> str:
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is UInt:
        return "uint"
    if t is float:
        return "double"
    if t is str:
        return "string"
    if t is bytes:
        return "bytes"
    if v is None:
        return "null_type"
    if isinstance(v, (list, tuple)):
        return "list"
    if isinstance(v, dict):
        return "map"
    if t is Timestamp:
        return "google.protobuf.Timestamp"
    if t is Duration:
        return "google.protobuf.Duration"
    if t is CelType:
        return "type"
    if t is OptionalValue:
        return "optional_type"
    if t is Quantity:
        return "kubernetes.Quantity"
    if isinstance(v, int):      # int subclasses other than bool/UInt (e.g. IntEnum) behave as int
        return "int"
    return f"<unsupported Python type {t.__name__}>"


def _no_overload(fn: str, *args: Any) -> CELEvalError:
    return CELEvalError(f"no such overload: {fn}({', '.join(_type_name(a) for a in args)})")


_NUMERIC = (int, UInt, float)


# ---- equality / ordering ---------------------------------------------------------------------------------------------


def _eq(a: Any, b: Any) -> bool:
    """CEL heterogeneous equality (never an error)."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is bool or ta is bytes or ta is float or ta is UInt):
        return a == b
    na, nb = ta in _NUMERIC, tb in _NUMERIC
    if na or nb:
        if not (na and nb):
            return False
        if ta is float or tb is float:     # cel-go compares int/uint with double as doubles
            return float(a) == float(b)
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return False
        if isinstance(a, SetList) or isinstance(b, SetList):
            return _set_list_eq(a, b)
        if isinstance(a, MapList) or isinstance(b, MapList):
            ml = a if isinstance(a, MapList) else b
            return _map_list_eq(ml, a, b)
        return all(_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for k, v in a.items():
            found, w = _map_find(b, k)
            if not found or not _eq(v, w):
                return False
        ha = a.hidden if isinstance(a, ObjectValue) else None
        hb = b.hidden if isinstance(b, ObjectValue) else None
        if ha or hb:
            return _json_eq(ha or {}, hb or {})
        return True
    if ta is Timestamp or ta is Duration or ta is CelType or ta is OptionalValue or ta is Quantity:
        return a == b
    return False


def _json_eq(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_eq(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_json_eq(x, y) for x, y in zip(a, b))
    return _eq(a, b)


def _set_list_eq(a: Sequence[Any], b: Sequence[Any]) -> bool:
    remaining = list(b)
    for x in a:
        for i, y in enumerate(remaining):
            if _eq(x, y):
                del remaining[i]
                break
        else:
            return False
    return True


def _map_list_eq(ml: MapList, a: Sequence[Any], b: Sequence[Any]) -> bool:
    index: Dict[Any, Any] = {}
    for item in a:
        index[ml.key_of(item)] = item
    if len(index) != len(a):
        return _set_list_eq(a, b)
    for item in b:
        k = ml.key_of(item)
        if k not in index or not _eq(index[k], item):
            return False
    return True


def _ord_pair(fn: str, a: Any, b: Any) -> Tuple[Any, Any]:
    """Operands comparable with Python's operators, or a no-overload error."""
    ta, tb = type(a), type(b)
    if ta in _NUMERIC and tb in _NUMERIC:
        if ta is not tb and (ta is float or tb is float):
            return float(a), float(b)      # cel-go: compareIntDouble/compareUintDouble compare as doubles
        return a, b
    if ta is tb:
        if ta is str or ta is bytes or ta is bool:
            return a, b
        if ta is Timestamp or ta is Duration:
            return a.nanos, b.nanos
    raise _no_overload(fn, a, b)


# ---- maps ------------------------------------------------------------------------------------------------------------


def _check_key(k: Any) -> None:
    t = type(k)
    if not (t is str or t is int or t is UInt or t is bool):
        raise _err(f"unsupported key type: {_type_name(k)}")


def _map_find(m: Mapping[Any, Any], k: Any) -> Tuple[bool, Any]:
    """CEL key lookup: strings directly; numbers across int/uint/integral double; bools only match bools."""
    t = type(k)
    if t is str:
        if k in m:
            return True, m[k]
        return False, None
    if t is bool:
        for kk, vv in m.items():
            if type(kk) is bool and kk is k:
                return True, vv
        return False, None
    if t is int or t is UInt or t is float:
        for kk, vv in m.items():
            tk = type(kk)
            if (tk is int or tk is UInt) and kk == k:
                return True, vv
        return False, None
    raise _err(f"unsupported key type: {_type_name(k)}")


def _map_get(m: Mapping[Any, Any], k: Any) -> Any:
    found, v = _map_find(m, k)
    if not found:
        raise _err(f"no such key: {_display(k)}")
    return v


def _display(v: Any) -> str:
    if type(v) is str:
        return v
    return _fmt_s(v)


# ---------------------------------------------------------------------------------------------------------------------
# time


_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})\Z")


def _days_from_civil(y: int, m: int, d: int) -> int:
    return datetime.date(y, m, d).toordinal() - 719163


def _parse_rfc3339(s: str, lenient: bool = False) -> int:
    """RFC 3339 (Go ``time.Parse(time.RFC3339, s)``) to epoch nanoseconds; ValueError when invalid."""
    if lenient:
        s = re.sub(r"^(\d{4}-\d{2}-\d{2})[t ]", r"\1T", s)
        s = re.sub(r"z$", "Z", s)
        s = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", s)
    m = _RFC3339_RE.match(s)
    if not m:
        raise ValueError(f"invalid timestamp {s!r}")
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and hh < 24 and mi < 60 and ss < 60):
        raise ValueError(f"invalid timestamp {s!r}")
    try:
        days = _days_from_civil(y, mo, d)
    except ValueError:
        raise ValueError(f"invalid timestamp {s!r}") from None
    frac = m.group(7) or ""
    nanos = int((frac + "000000000")[:9]) if frac else 0
    offset = 0
    tz = m.group(8)
    if tz != "Z":
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh >= 24 or om >= 60:
            raise ValueError(f"invalid timestamp {s!r}")
        offset = (oh * 3600 + om * 60) * (1 if tz[0] == "+" else -1)
    secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset
    if not (_TS_MIN_S <= secs <= _TS_MAX_S):
        raise ValueError(f"timestamp {s!r} out of range")
    return secs * _NS + nanos


def _format_timestamp(nanos: int) -> str:
    secs, frac = divmod(nanos, _NS)
    days, rem = divmod(secs, 86400)
    date = datetime.date.fromordinal(days + 719163)
    hh, rem = divmod(rem, 3600)
    mi, ss = divmod(rem, 60)
    out = f"{date.year:04d}-{date.month:02d}-{date.day:02d}T{hh:02d}:{mi:02d}:{ss:02d}"
    if frac:
        out += "." + f"{frac:09d}".rstrip("0")
    return out + "Z"


_DURATION_UNITS = types.MappingProxyType({
    "ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 1_000_000, "s": _NS, "m": 60 * _NS, "h": 3600 * _NS,
})


def _parse_go_duration(orig: str) -> int:
    """Go ``time.ParseDuration``: ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` to nanoseconds; ValueError when invalid."""
    s = orig
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"invalid duration {orig!r}")
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise ValueError(f"invalid duration {orig!r}")
        i = 0
        v = 0
        while i < len(s) and "0" <= s[i] <= "9":
            v = v * 10 + ord(s[i]) - 48
            if v > 1 << 63:
                raise ValueError(f"invalid duration {orig!r}")
            i += 1
        pre = i > 0
        s = s[i:]
        post = False
        f, scale = 0, 1.0
        if s and s[0] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and "0" <= s[i] <= "9":
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + ord(s[i]) - 48
                        if y > 1 << 63:
                            overflow = True
                        else:
                            f, scale = y, scale * 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise ValueError(f"invalid duration {orig!r}")
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError(f"missing unit in duration {orig!r}")
        unit = _DURATION_UNITS.get(s[:i])
        if unit is None:
            raise ValueError(f"unknown unit {s[:i]!r} in duration {orig!r}")
        s = s[i:]
        if v > (1 << 63) // unit:
            raise ValueError(f"invalid duration {orig!r}")
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise ValueError(f"invalid duration {orig!r}")
        total += v
        if total > 1 << 63:
            raise ValueError(f"invalid duration {orig!r}")
    if neg:
        return -total
    if total > _INT_MAX:
        raise ValueError(f"invalid duration {orig!r}")
    return total


def _format_duration(nanos: int) -> str:
    """cel-go: ``strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"``."""
    q = abs(nanos) // _NS * (1 if nanos >= 0 else -1)
    r = nanos - q * _NS
    return go_float(float(q) + float(r) / 1e9, "f") + "s"


def _tz_offset_seconds(tz: str, secs: int) -> int:
    """Offset of time zone ``tz`` at ``secs`` since the epoch: "UTC", "+hh:mm"/"-hh:mm"/"hh:mm" or an IANA name."""
    if tz in ("", "UTC", "Z"):
        return 0
    m = re.fullmatch(r"([+-]?)(\d{1,2}):(\d{2})", tz)
    if m:
        off = int(m.group(2)) * 3600 + int(m.group(3)) * 60
        return -off if m.group(1) == "-" else off
    try:
        import zoneinfo  # noqa: PLC0415 - Python 3.9+, optional tz database
        zone = zoneinfo.ZoneInfo(tz)
    except (ImportError, ValueError, OSError, KeyError) as e:
        raise _err(f"unknown time zone {tz!r}") from e
    try:
        dt = datetime.datetime.fromtimestamp(secs, tz=zone)
    except (OverflowError, OSError, ValueError) as e:
        raise _err("timestamp out of range for time zone") from e
    off = dt.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _ts_fields(ts: Timestamp, tz: Optional[str]) -> Tuple[datetime.datetime, int]:
    secs, frac = divmod(ts.nanos, _NS)
    if tz is not None:
        secs += _tz_offset_seconds(tz, secs)
    days, rem = divmod(secs, 86400)
    try:
        d = datetime.date.fromordinal(days + 719163)
    except (ValueError, OverflowError) as e:
        raise _err("timestamp out of range") from e
    hh, rem = divmod(rem, 3600)
    mi, ss = divmod(rem, 60)
    return datetime.datetime(d.year, d.month, d.day, hh, mi, ss), frac


# ---------------------------------------------------------------------------------------------------------------------
# number formatting (Go strconv semantics)


# ---------------------------------------------------------------------------------------------------------------------
# lexer


_WS_RE = re.compile(r"(?:[\t\n\f\r ]+|//[^\n]*)+")
_NUM_RE = re.compile(
    r"0[xX][0-9a-fA-F]+[uU]?"
    r"|[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|[0-9]+[eE][+-]?[0-9]+"
    r"|[0-9]+[uU]?")
_IDENT_RE = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPS2 = frozenset({"==", "!=", "<=", ">=", "&&", "||"})
_OPS1 = frozenset("+-*/%!<>?:.,()[]{}")
_KEYWORDS = frozenset({"true", "false", "null", "in"})
_RESERVED = frozenset({"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
                       "package", "namespace", "return", "var", "void", "while"})
_STRING_PREFIXES = frozenset({"r", "R", "b", "B", "br", "bR", "Br", "BR"})
_SIMPLE_ESCAPES = types.MappingProxyType({
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "?": "?", '"': '"', "'": "'", "`": "`",
})


class _Tok:
    __slots__ = ("kind", "value", "pos", "end")

    def __init__(self, kind: str, value: Any, pos: int, end: int):
        self.kind = kind      # int uint double string bytes bool null ident op eof
        self.value = value
        self.pos = pos
        self.end = end

    def __repr__(self) -> str:
        return f"{self.kind}:{self.value!r}@{self.pos}"


class _Source:
    def __init__(self, text: str):
        self.text = text

    def error(self, msg: str, pos: int) -> CELCompileError:
        text = self.text
        pos = max(0, min(pos, len(text)))
        line = text.count("\n", 0, pos) + 1
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        col = pos - start
        snippet = text[start:end]
        return CELCompileError(f"ERROR: <input>:{line}:{col + 1}: {msg}\n | {snippet}\n | {'.' * col}^")


def _lex(src: _Source) -> List[_Tok]:
    text = src.text
    n = len(text)
    toks: List[_Tok] = []
    i = 0
    while True:
        m = _WS_RE.match(text, i)
        if m:
            i = m.end()
        if i >= n:
            toks.append(_Tok("eof", None, n, n))
            return toks
        c = text[i]
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM_RE.match(text, i)
            if m is None:      # pragma: no cover - the first character already matched a digit
                raise src.error("Syntax error: invalid number", i)
            lit = m.group(0)
            toks.append(_number_token(src, lit, i, m.end()))
            i = m.end()
            if i < n and (text[i].isalnum() or text[i] == "_") and toks[-1].kind != "op":
                raise src.error(f"Syntax error: invalid number literal {text[toks[-1].pos:i + 1]!r}", toks[-1].pos)
            continue
        if c == "_" or c.isascii() and c.isalpha():
            m = _IDENT_RE.match(text, i)
            word = m.group(0)   # type: ignore[union-attr]
            j = m.end()         # type: ignore[union-attr]
            if word in _STRING_PREFIXES and j < n and text[j] in "\"'":
                tok, i = _lex_string(src, i, j, word)
                toks.append(tok)
                continue
            if word in ("true", "false"):
                toks.append(_Tok("bool", word == "true", i, j))
            elif word == "null":
                toks.append(_Tok("null", None, i, j))
            elif word == "in":
                toks.append(_Tok("op", "in", i, j))
            else:
                toks.append(_Tok("ident", word, i, j))
            i = j
            continue
        if c in "\"'":
            tok, i = _lex_string(src, i, i, "")
            toks.append(tok)
            continue
        two = text[i:i + 2]
        if two in _OPS2:
            toks.append(_Tok("op", two, i, i + 2))
            i += 2
            continue
        if c in _OPS1:
            toks.append(_Tok("op", c, i, i + 1))
            i += 1
            continue
        raise src.error(f"Syntax error: token recognition error at: {c!r}", i)


def _number_token(src: _Source, lit: str, pos: int, end: int) -> _Tok:
    low = lit.lower()
    if low.startswith("0x"):
        if low.endswith("u"):
            return _Tok("uint", int(lit[2:-1], 16), pos, end)
        return _Tok("int", int(lit[2:], 16), pos, end)
    if "." in lit or "e" in low:
        return _Tok("double", float(lit), pos, end)
    if low.endswith("u"):
        return _Tok("uint", int(lit[:-1]), pos, end)
    return _Tok("int", int(lit), pos, end)


def _lex_string(src: _Source, start: int, qpos: int, prefix: str) -> Tuple[_Tok, int]:
    text = src.text
    raw = "r" in prefix.lower()
    is_bytes = "b" in prefix.lower()
    q = text[qpos]
    triple = text.startswith(q * 3, qpos)
    delim = q * 3 if triple else q
    i = qpos + len(delim)
    n = len(text)
    parts: List[Any] = []     # str pieces, or ints (octets) for bytes escapes
    while True:
        if i >= n:
            raise src.error("Syntax error: unterminated string literal", start)
        if text.startswith(delim, i):
            i += len(delim)
            break
        c = text[i]
        if not triple and c in "\r\n":
            raise src.error("Syntax error: newline in string literal", start)
        if c == "\\" and not raw:
            value, i = _lex_escape(src, i, is_bytes)
            parts.append(value)
            continue
        parts.append(c)
        i += 1
    if is_bytes:
        out = bytearray()
        for p in parts:
            if isinstance(p, int):
                out.append(p)
            else:
                out += p.encode("utf-8")
        return _Tok("bytes", bytes(out), start, i), i
    s = "".join(chr(p) if isinstance(p, int) else p for p in parts)
    return _Tok("string", s, start, i), i


def _lex_escape(src: _Source, i: int, is_bytes: bool) -> Tuple[Any, int]:
    text = src.text
    if i + 1 >= len(text):
        raise src.error("Syntax error: invalid escape sequence", i)
    c = text[i + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i + 2
    if c in "xX":
        h = text[i + 2:i + 4]
        if len(h) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in h):
            raise src.error("Syntax error: invalid \\x escape", i)
        v = int(h, 16)
        return (v if is_bytes else chr(v)), i + 4
    if c in "uU":
        width = 4 if c == "u" else 8
        h = text[i + 2:i + 2 + width]
        if len(h) != width or not all(ch in "0123456789abcdefABCDEF" for ch in h):
            raise src.error(f"Syntax error: invalid \\{c} escape", i)
        if is_bytes and c == "U":
            raise src.error("Syntax error: \\U escape is not allowed in bytes literals", i)
        v = int(h, 16)
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise src.error("Syntax error: invalid unicode code point in escape", i)
        return chr(v), i + 2 + width
    if c in "0123":
        o = text[i + 1:i + 4]
        if len(o) != 3 or not all(ch in "01234567" for ch in o):
            raise src.error("Syntax error: invalid octal escape", i)
        v = int(o, 8)
        return (v if is_bytes else chr(v)), i + 4
    raise src.error(f"Syntax error: invalid escape sequence '\\{c}'", i)


# ---------------------------------------------------------------------------------------------------------------------
# AST


class _Node:
    __slots__ = ("pos",)


class _Lit(_Node):
    __slots__ = ("kind", "value")

    def __init__(self, pos: int, kind: str, value: Any):
        self.pos, self.kind, self.value = pos, kind, value


class _Ident(_Node):
    __slots__ = ("name", "root")

    def __init__(self, pos: int, name: str, root: bool = False):
        self.pos, self.name, self.root = pos, name, root


class _Select(_Node):
    __slots__ = ("operand", "field", "test_only", "optional")

    def __init__(self, pos: int, operand: _Node, field: str, test_only: bool = False, optional: bool = False):
        self.pos, self.operand, self.field, self.test_only, self.optional = pos, operand, field, test_only, optional


class _Index(_Node):
    __slots__ = ("operand", "index", "optional")

    def __init__(self, pos: int, operand: _Node, index: _Node, optional: bool = False):
        self.pos, self.operand, self.index, self.optional = pos, operand, index, optional


class _Call(_Node):
    __slots__ = ("name", "target", "args")

    def __init__(self, pos: int, name: str, target: Optional[_Node], args: List[_Node]):
        self.pos, self.name, self.target, self.args = pos, name, target, args


class _ListLit(_Node):
    __slots__ = ("elems", "optional")

    def __init__(self, pos: int, elems: List[_Node], optional: List[bool]):
        self.pos, self.elems, self.optional = pos, elems, optional


class _MapLit(_Node):
    __slots__ = ("entries",)

    def __init__(self, pos: int, entries: List[Tuple[_Node, _Node, bool]]):
        self.pos, self.entries = pos, entries


class _Cond(_Node):
    __slots__ = ("cond", "a", "b")

    def __init__(self, pos: int, cond: _Node, a: _Node, b: _Node):
        self.pos, self.cond, self.a, self.b = pos, cond, a, b


class _Logic(_Node):
    __slots__ = ("op", "terms")

    def __init__(self, pos: int, op: str, terms: List[_Node]):
        self.pos, self.op, self.terms = pos, op, terms


class _Unary(_Node):
    __slots__ = ("op", "operand")

    def __init__(self, pos: int, op: str, operand: _Node):
        self.pos, self.op, self.operand = pos, op, operand


class _Binary(_Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, pos: int, op: str, left: _Node, right: _Node):
        self.pos, self.op, self.left, self.right = pos, op, left, right


class _Compr(_Node):
    """A macro expansion: kind in all, exists, exists_one, map, filter, transformList, transformMap, optMap, ..."""

    __slots__ = ("kind", "range", "var", "var2", "args")

    def __init__(self, pos: int, kind: str, rng: _Node, var: str, var2: Optional[str], args: List[_Node]):
        self.pos, self.kind, self.range, self.var, self.var2, self.args = pos, kind, rng, var, var2, args


# ---------------------------------------------------------------------------------------------------------------------
# parser


_RELOPS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in"})

# member macros: name -> accepted argument counts (first one or two arguments are variable names)
_MEMBER_MACROS = types.MappingProxyType({
    "all": (2, 3), "exists": (2, 3), "exists_one": (2, 3), "existsOne": (2, 3), "map": (2, 3), "filter": (2,),
    "transformList": (3, 4), "transformMap": (3, 4), "optMap": (2,), "optFlatMap": (2,),
})


class _Bind(_Node):
    """``cel.bind(name, init, body)``: ``body`` with ``name`` bound to the value of ``init`` (cel-go ext.Bindings)."""

    __slots__ = ("var", "init", "body")

    def __init__(self, pos: int, var: str, init: _Node, body: _Node):
        self.pos, self.var, self.init, self.body = pos, var, init, body


class _Parser:
    def __init__(self, src: _Source):
        self.src = src
        self.toks = _lex(src)
        self.i = 0
        self.depth = 0

    # -- token helpers
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> _Tok:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, op: str) -> bool:
        t = self.toks[self.i]
        return t.kind == "op" and t.value == op

    def accept(self, op: str) -> bool:
        if self.at(op):
            self.i += 1
            return True
        return False

    def expect(self, op: str) -> _Tok:
        t = self.toks[self.i]
        if t.kind == "op" and t.value == op:
            self.i += 1
            return t
        raise self.unexpected(t, f"expecting '{op}'")

    def unexpected(self, t: _Tok, hint: str = "") -> CELCompileError:
        shown = "<EOF>" if t.kind == "eof" else self.src.text[t.pos:t.end]
        msg = f"Syntax error: mismatched input '{shown}'"
        if hint:
            msg += f" {hint}"
        return self.src.error(msg, t.pos)

    # -- grammar
    def parse(self) -> _Node:
        e = self.expr()
        t = self.peek()
        if t.kind != "eof":
            raise self.unexpected(t, "expecting <EOF>")
        return e

    def expr(self) -> _Node:
        self.depth += 1
        if self.depth > MAX_PARSE_DEPTH:
            raise self.src.error(f"expression nesting exceeds the maximum depth of {MAX_PARSE_DEPTH}", self.peek().pos)
        e = self.or_()
        if self.at("?"):
            pos = self.next().pos
            a = self.or_()
            self.expect(":")
            b = self.expr()
            e = _Cond(pos, e, a, b)
        self.depth -= 1
        return e

    def or_(self) -> _Node:
        first = self.and_()
        if not self.at("||"):
            return first
        pos = self.peek().pos
        terms = [first]
        while self.accept("||"):
            terms.append(self.and_())
        return _Logic(pos, "||", terms)

    def and_(self) -> _Node:
        first = self.rel()
        if not self.at("&&"):
            return first
        pos = self.peek().pos
        terms = [first]
        while self.accept("&&"):
            terms.append(self.rel())
        return _Logic(pos, "&&", terms)

    def rel(self) -> _Node:
        e = self.add()
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in _RELOPS:
                self.i += 1
                e = _Binary(t.pos, t.value, e, self.add())
            else:
                return e

    def add(self) -> _Node:
        e = self.mul()
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in ("+", "-"):
                self.i += 1
                e = _Binary(t.pos, t.value, e, self.mul())
            else:
                return e

    def mul(self) -> _Node:
        e = self.unary()
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in ("*", "/", "%"):
                self.i += 1
                e = _Binary(t.pos, t.value, e, self.unary())
            else:
                return e

    def unary(self) -> _Node:
        t = self.peek()
        if t.kind == "op" and t.value == "!":
            ops = []
            while self.at("!"):
                ops.append(self.next().pos)
            e = self.member()
            for pos in reversed(ops):
                e = _Unary(pos, "!", e)
            return e
        if t.kind == "op" and t.value == "-":
            ops = []
            while self.at("-"):
                ops.append(self.next().pos)
            lit_tok = self.peek()
            e = self.member()
            if isinstance(e, _Lit) and e.kind in ("int", "double") and e.pos == lit_tok.pos and \
                    lit_tok.kind in ("int", "double"):
                # fold the innermost negation into the literal, so that -9223372036854775808 is representable
                e = _Lit(ops[-1], e.kind, -e.value)
                ops.pop()
            for pos in reversed(ops):
                e = _Unary(pos, "-", e)
            return e
        return self.member()

    def member(self) -> _Node:
        e = self.primary()
        while True:
            t = self.peek()
            if t.kind != "op":
                return e
            if t.value == ".":
                self.i += 1
                optional = self.accept("?")
                nt = self.next()
                if nt.kind != "ident":
                    if nt.kind in ("bool", "null") or (nt.kind == "op" and nt.value == "in"):
                        raise self.src.error(f"Syntax error: keyword '{self.src.text[nt.pos:nt.end]}' "
                                             "cannot be used as a field name", nt.pos)
                    raise self.unexpected(nt, "expecting IDENTIFIER")
                if self.at("(") and not optional:
                    self.i += 1
                    args = self.args(")")
                    e = self.member_call(nt, e, args)
                elif self.at("{"):
                    raise self.src.error("message construction (Name{...}) is not supported", self.peek().pos)
                else:
                    e = _Select(nt.pos, e, nt.value, optional=optional)
            elif t.value == "[":
                self.i += 1
                optional = self.accept("?")
                idx = self.expr()
                self.expect("]")
                e = _Index(t.pos, e, idx, optional)
            else:
                return e

    def args(self, close: str) -> List[_Node]:
        out: List[_Node] = []
        if self.accept(close):
            return out
        while True:
            out.append(self.expr())
            if self.accept(close):
                return out
            self.expect(",")

    def primary(self) -> _Node:
        t = self.next()
        k = t.kind
        if k == "int" or k == "uint" or k == "double" or k == "string" or k == "bytes" or k == "bool":
            return _Lit(t.pos, k, t.value)
        if k == "null":
            return _Lit(t.pos, "null", None)
        if k == "ident" or (k == "op" and t.value == "."):
            root = False
            if k == "op":
                root = True
                t = self.next()
                if t.kind != "ident":
                    raise self.unexpected(t, "expecting IDENTIFIER")
            name = t.value
            if name in _RESERVED:
                raise self.src.error(f"Syntax error: reserved identifier: {name}", t.pos)
            if self.at("("):
                self.i += 1
                args = self.args(")")
                return self.global_call(t, args, root)
            if self.at("{"):
                raise self.src.error("message construction (Name{...}) is not supported", self.peek().pos)
            return _Ident(t.pos, name, root)
        if k == "op":
            v = t.value
            if v == "(":
                e = self.expr()
                self.expect(")")
                return e
            if v == "[":
                self.depth += 1
                elems: List[_Node] = []
                opts: List[bool] = []
                while not self.at("]"):
                    opts.append(self.accept("?"))
                    elems.append(self.expr())
                    if not self.accept(","):
                        break
                self.expect("]")
                self.depth -= 1
                return _ListLit(t.pos, elems, opts)
            if v == "{":
                self.depth += 1
                entries: List[Tuple[_Node, _Node, bool]] = []
                while not self.at("}"):
                    opt = self.accept("?")
                    key = self.expr()
                    self.expect(":")
                    val = self.expr()
                    entries.append((key, val, opt))
                    if not self.accept(","):
                        break
                self.expect("}")
                self.depth -= 1
                return _MapLit(t.pos, entries)
        raise self.unexpected(t)

    # -- macros
    def global_call(self, t: _Tok, args: List[_Node], root: bool) -> _Node:
        name = t.value
        if name == "has" and not root:
            if len(args) != 1:
                raise self.src.error("has() macro requires exactly one argument", t.pos)
            a = args[0]
            if not isinstance(a, _Select) or a.optional:
                raise self.src.error("invalid argument to has() macro: the argument must be a field selection "
                                     "such as has(self.field)", t.pos)
            return _Select(a.pos, a.operand, a.field, test_only=True)
        return _Call(t.pos, name, None, args)

    def member_call(self, t: _Tok, target: _Node, args: List[_Node]) -> _Node:
        name = t.value
        if name == "bind" and isinstance(target, _Ident) and target.name == "cel" and not target.root:
            if len(args) != 3:
                raise self.src.error(f"cel.bind() requires 3 arguments, got {len(args)}", t.pos)
            if not isinstance(args[0], _Ident) or args[0].root:
                raise self.src.error("cel.bind() variable names must be simple identifiers", args[0].pos)
            return _Bind(t.pos, args[0].name, args[1], args[2])
        counts = _MEMBER_MACROS.get(name)
        if counts is None:
            return _Call(t.pos, name, target, args)
        if len(args) not in counts:
            # cel.bind & co. would land here too; a wrong argument count is not a function we know either
            want = " or ".join(str(c) for c in counts)
            raise self.src.error(f"macro '{name}' requires {want} arguments, got {len(args)}", t.pos)
        nvars = 1
        if name in ("transformList", "transformMap") or (name in ("all", "exists", "exists_one", "existsOne")
                                                         and len(args) == 3):
            nvars = 2
        names = []
        for a in args[:nvars]:
            if not isinstance(a, _Ident) or a.root:
                raise self.src.error(f"argument to macro '{name}' must be a simple name", getattr(a, "pos", t.pos))
            names.append(a.name)
        if nvars == 2 and names[0] == names[1]:
            raise self.src.error(f"macro '{name}': the two variable names must differ", t.pos)
        if name == "existsOne":
            name = "exists_one"
        if name == "map" and len(args) == 3:
            name = "map_filter"
        if name in ("transformList", "transformMap") and len(args) == 4:
            name += "_filter"
        return _Compr(t.pos, name, target, names[0], names[1] if nvars == 2 else None, args[nvars:])


# ---------------------------------------------------------------------------------------------------------------------
# static types (the type-light checker)
#
# A type is a str ('int', 'uint', 'double', 'bool', 'string', 'bytes', 'null_type', 'timestamp', 'duration', 'type',
# 'dyn', or a type parameter 'A'/'B' in signatures) or a tuple ('list', T) / ('map', K, V) / ('optional', T).

_DYN = "dyn"
_TYPE_PARAMS = frozenset({"A", "B"})


def _tstr(t: Any) -> str:
    if isinstance(t, tuple):
        return f"{t[0]}({', '.join(_tstr(x) for x in t[1:])})"
    return {"timestamp": "google.protobuf.Timestamp", "duration": "google.protobuf.Duration",
            "quantity": "kubernetes.Quantity"}.get(t, t)


def _parse_type(s: str) -> Any:
    s = s.strip()
    if "(" not in s:
        return s
    head, rest = s.split("(", 1)
    inner = rest[:-1]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    parts.append(cur)
    return (head, *(_parse_type(p) for p in parts))


def _compatible(x: Any, y: Any) -> bool:
    if x == _DYN or y == _DYN or x == y or x == "null_type" or y == "null_type":
        return True
    if isinstance(x, tuple) and isinstance(y, tuple) and x[0] == y[0] and len(x) == len(y):
        return all(_compatible(a, b) for a, b in zip(x[1:], y[1:]))
    return False


def _join(x: Any, y: Any) -> Any:
    """The more specific of two compatible types."""
    if x == _DYN or x == "null_type":
        return y
    if y == _DYN or y == "null_type":
        return x
    if isinstance(x, tuple) and isinstance(y, tuple):
        return (x[0], *(_join(a, b) for a, b in zip(x[1:], y[1:])))
    return x


def _unify(p: Any, a: Any, binds: Dict[str, Any]) -> bool:
    if p in _TYPE_PARAMS:
        cur = binds.get(p)
        if cur is None:
            binds[p] = a
            return True
        if not _compatible(cur, a):
            return False
        binds[p] = _join(cur, a)
        return True
    if a == _DYN or p == _DYN:
        return True
    if isinstance(p, tuple):
        if not isinstance(a, tuple) or a[0] != p[0] or len(a) != len(p):
            return False
        return all(_unify(pp, aa, binds) for pp, aa in zip(p[1:], a[1:]))
    return p == a


def _subst(t: Any, binds: Mapping[str, Any]) -> Any:
    if t in _TYPE_PARAMS:
        return binds.get(t, _DYN)
    if isinstance(t, tuple):
        return (t[0], *(_subst(x, binds) for x in t[1:]))
    return t


@dataclass(frozen=True)
class _Sig:
    name: str
    member: bool
    params: Tuple[Any, ...]      # receiver first for member overloads
    result: Any


def _sigs(spec: str) -> Mapping[str, Tuple[_Sig, ...]]:
    out: Dict[str, List[_Sig]] = {}
    for line in spec.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, result = line.split("->")
        head = head.strip()
        member = ":" in head
        recv = None
        if member:
            recv, head = head.split(":", 1)
        name, args = head.split("(", 1)
        args = args.rstrip()[:-1]
        params: List[Any] = [] if recv is None else [_parse_type(recv)]
        depth, cur = 0, ""
        for ch in args:
            if ch == "," and depth == 0:
                params.append(_parse_type(cur))
                cur = ""
                continue
            depth += ch == "("
            depth -= ch == ")"
            cur += ch
        if cur.strip():
            params.append(_parse_type(cur))
        out.setdefault(name, []).append(_Sig(name, member, tuple(params), _parse_type(result)))
    return types.MappingProxyType({k: tuple(v) for k, v in out.items()})


_ORDERED_PAIRS = (("bool", "bool"), ("string", "string"), ("bytes", "bytes"), ("timestamp", "timestamp"),
                  ("duration", "duration"), *((a, b) for a in ("int", "uint", "double")
                                              for b in ("int", "uint", "double")))

_OPERATOR_SPEC = "\n".join(
    [f"_{op}_({a},{b}) -> bool" for op in ("<", "<=", ">", ">=") for a, b in _ORDERED_PAIRS]
    + [f"_{op}_({t},{t}) -> {t}" for op in ("+", "-", "*", "/") for t in ("int", "uint", "double")]
    + [f"_%_({t},{t}) -> {t}" for t in ("int", "uint")]
    + ["""
_+_(string,string) -> string
_+_(bytes,bytes) -> bytes
_+_(list(A),list(A)) -> list(A)
_+_(timestamp,duration) -> timestamp
_+_(duration,timestamp) -> timestamp
_+_(duration,duration) -> duration
_-_(timestamp,timestamp) -> duration
_-_(timestamp,duration) -> timestamp
_-_(duration,duration) -> duration
_==_(A,A) -> bool
_!=_(A,A) -> bool
@in(A,list(A)) -> bool
@in(A,map(A,B)) -> bool
-_(int) -> int
-_(double) -> double
!_(bool) -> bool
"""])
_OPERATORS = _sigs(_OPERATOR_SPEC)
_BINOP_NAMES = types.MappingProxyType({
    "+": "_+_", "-": "_-_", "*": "_*_", "/": "_/_", "%": "_%_", "<": "_<_", "<=": "_<=_", ">": "_>_", ">=": "_>=_",
    "==": "_==_", "!=": "_!=_", "in": "@in",
})

_TS_GETTERS = ("getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours",
               "getMinutes", "getSeconds", "getMilliseconds")

_FUNCTION_SPEC = "\n".join([
    """
size(string) -> int
size(bytes) -> int
size(list(A)) -> int
size(map(A,B)) -> int
string:size() -> int
bytes:size() -> int
list(A):size() -> int
map(A,B):size() -> int
type(A) -> type
dyn(A) -> dyn
int(int) -> int
int(uint) -> int
int(double) -> int
int(string) -> int
int(timestamp) -> int
int(duration) -> int
uint(int) -> uint
uint(uint) -> uint
uint(double) -> uint
uint(string) -> uint
double(int) -> double
double(uint) -> double
double(double) -> double
double(string) -> double
string(int) -> string
string(uint) -> string
string(double) -> string
string(string) -> string
string(bytes) -> string
string(bool) -> string
string(timestamp) -> string
string(duration) -> string
bytes(bytes) -> bytes
bytes(string) -> bytes
bool(bool) -> bool
bool(string) -> bool
timestamp(timestamp) -> timestamp
timestamp(string) -> timestamp
timestamp(int) -> timestamp
duration(duration) -> duration
duration(string) -> duration
matches(string,string) -> bool
string:matches(string) -> bool
string:contains(string) -> bool
string:startsWith(string) -> bool
string:endsWith(string) -> bool
string:charAt(int) -> string
string:indexOf(string) -> int
string:indexOf(string,int) -> int
string:lastIndexOf(string) -> int
string:lastIndexOf(string,int) -> int
string:lowerAscii() -> string
string:upperAscii() -> string
string:replace(string,string) -> string
string:replace(string,string,int) -> string
string:split(string) -> list(string)
string:split(string,int) -> list(string)
string:substring(int) -> string
string:substring(int,int) -> string
string:trim() -> string
string:format(list(dyn)) -> string
strings.quote(string) -> string
list(string):join() -> string
list(string):join(string) -> string
list(A):isSorted() -> bool
list(A):sum() -> A
list(A):min() -> A
list(A):max() -> A
list(A):indexOf(A) -> int
list(A):lastIndexOf(A) -> int
string:find(string) -> string
string:findAll(string) -> list(string)
string:findAll(string,int) -> list(string)
sets.contains(list(A),list(A)) -> bool
sets.equivalent(list(A),list(A)) -> bool
sets.intersects(list(A),list(A)) -> bool
optional.of(A) -> optional(A)
optional.ofNonZeroValue(A) -> optional(A)
optional.none() -> optional(dyn)
optional(A):hasValue() -> bool
optional(A):value() -> A
optional(A):orValue(A) -> A
optional(A):or(optional(A)) -> optional(A)
quantity(string) -> quantity
isQuantity(string) -> bool
quantity:isInteger() -> bool
quantity:asInteger() -> int
quantity:asApproximateFloat() -> double
quantity:sign() -> int
quantity:add(quantity) -> quantity
quantity:add(int) -> quantity
quantity:sub(quantity) -> quantity
quantity:sub(int) -> quantity
quantity:isGreaterThan(quantity) -> bool
quantity:isLessThan(quantity) -> bool
quantity:compareTo(quantity) -> int
duration:getHours() -> int
duration:getMinutes() -> int
duration:getSeconds() -> int
duration:getMilliseconds() -> int
""",
    *[f"timestamp:{g}() -> int\ntimestamp:{g}(string) -> int" for g in _TS_GETTERS],
])
_FUNCTIONS = _sigs(_FUNCTION_SPEC)

# names Kubernetes (or cel-go extensions) know but this implementation does not: refused with a clear message
_UNSUPPORTED = types.MappingProxyType({
    **{n: "the Kubernetes URL library" for n in ("url", "isURL", "getScheme", "getHost", "getHostname", "getPort",
                                                 "getEscapedPath", "getQuery")},
    **{n: "the Kubernetes IP/CIDR library" for n in ("ip", "isIP", "cidr", "isCIDR", "family", "isUnspecified",
                                                     "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast",
                                                     "isGlobalUnicast", "containsIP", "containsCIDR", "prefixLength",
                                                     "masked")},
    **{n: "the Kubernetes semver library" for n in ("semver", "isSemver", "major", "minor", "patch")},
    "reverse": "strings.reverse (CEL strings extension version 3, newer than Kubernetes 1.32)",
    "transformMapEntry": "the transformMapEntry macro",
    "cel.bind": "cel.bind (not enabled for Kubernetes validation rules)",
    "cel.block": "cel.block",
    "authorizer": "the Kubernetes authorizer library (not available to CRD validation rules)",
    "base64.encode": "the base64 extension", "base64.decode": "the base64 extension",
})
_UNSUPPORTED_PREFIXES = (("math.", "the CEL math extension"), ("format.", "the Kubernetes format library"),
                         ("proto.", "the CEL protos extension"), ("strings.", "this strings extension function"),
                         ("sets.", "this sets extension function"), ("optional.", "this optional function"))

_TYPE_IDENTS = types.MappingProxyType({
    "int": "int", "uint": "uint", "double": "double", "bool": "bool", "string": "string", "bytes": "bytes",
    "list": "list", "map": "map", "null_type": "null_type", "type": "type",
    "google.protobuf.Timestamp": "google.protobuf.Timestamp", "google.protobuf.Duration": "google.protobuf.Duration",
    "optional_type": "optional_type",
})


# ---------------------------------------------------------------------------------------------------------------------
# evaluation context


class _Ctx:
    __slots__ = ("vars", "cost", "limit")

    def __init__(self, nslots: int, limit: int):
        self.vars: List[Any] = [_UNBOUND] * nslots
        self.cost = 0
        self.limit = limit


def _cost_exceeded() -> CELCostLimitError:
    return CELCostLimitError("operation cancelled: actual cost limit exceeded")


def _charge(ctx: _Ctx, n: int) -> None:
    ctx.cost += n
    if ctx.cost > ctx.limit:
        raise _cost_exceeded()


def _size_cost(v: Any) -> int:
    t = type(v)
    if t is str or t is bytes:
        return len(v) // 10
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    return 0


Fn = Callable[[_Ctx], Any]


# ---------------------------------------------------------------------------------------------------------------------
# runtime: operators


def _chk_int(v: int) -> int:
    if _INT_MIN <= v <= _INT_MAX:
        return v
    raise _err("integer overflow")


def _chk_uint(v: int) -> UInt:
    if 0 <= v <= _UINT_MAX:
        return UInt(v)
    raise _err("unsigned integer overflow")


def _add(ctx: _Ctx, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is int:
            return _chk_int(a + b)
        if ta is float:
            return a + b
        if ta is str or ta is bytes:
            _charge(ctx, (len(a) + len(b)) // 10)
            return a + b
        if ta is UInt:
            return _chk_uint(a + b)
        if ta is Duration:
            return _duration(a.nanos + b.nanos)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        _charge(ctx, len(a) + len(b))
        if isinstance(a, SetList):
            out = SetList(a)
            for x in b:
                if not any(_eq(x, y) for y in out):
                    out.append(x)
            return out
        if isinstance(a, MapList):
            res = MapList(a, a.keys)
            pos = {a.key_of(x): i for i, x in enumerate(a)}
            for x in b:
                k = a.key_of(x)
                if k in pos:
                    res[pos[k]] = x
                else:
                    pos[k] = len(res)
                    res.append(x)
            return res
        return [*a, *b]
    if ta is Timestamp and tb is Duration:
        return _timestamp(a.nanos + b.nanos)
    if ta is Duration and tb is Timestamp:
        return _timestamp(a.nanos + b.nanos)
    raise _no_overload("_+_", a, b)


def _timestamp(nanos: int) -> Timestamp:
    if not (_TS_MIN_S * _NS <= nanos <= _TS_MAX_S * _NS + _NS - 1):
        raise _err("timestamp overflow")
    return Timestamp(nanos)


def _duration(nanos: int) -> Duration:
    if not (_INT_MIN <= nanos <= _INT_MAX):
        raise _err("duration overflow")
    return Duration(nanos)


def _sub(ctx: _Ctx, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is int:
            return _chk_int(a - b)
        if ta is float:
            return a - b
        if ta is UInt:
            return _chk_uint(a - b)
        if ta is Duration:
            return _duration(a.nanos - b.nanos)
        if ta is Timestamp:
            return _duration(a.nanos - b.nanos)
    if ta is Timestamp and tb is Duration:
        return _timestamp(a.nanos - b.nanos)
    raise _no_overload("_-_", a, b)


def _mul(ctx: _Ctx, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is int:
            return _chk_int(a * b)
        if ta is float:
            return a * b
        if ta is UInt:
            return _chk_uint(a * b)
    raise _no_overload("_*_", a, b)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _div(ctx: _Ctx, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is int:
            if b == 0:
                raise _err("division by zero")
            return _chk_int(_trunc_div(a, b))
        if ta is float:
            if b == 0.0:
                if a != a or a == 0.0:
                    return math.nan
                return math.copysign(math.inf, a) * math.copysign(1.0, b)
            return a / b
        if ta is UInt:
            if b == 0:
                raise _err("division by zero")
            return UInt(int(a) // int(b))
    raise _no_overload("_/_", a, b)


def _mod(ctx: _Ctx, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is int:
            if b == 0:
                raise _err("modulus by zero")
            if a == _INT_MIN and b == -1:
                raise _err("integer overflow")
            return a - b * _trunc_div(a, b)
        if ta is UInt:
            if b == 0:
                raise _err("modulus by zero")
            return UInt(int(a) % int(b))
    raise _no_overload("_%_", a, b)


def _op_eq(ctx: _Ctx, a: Any, b: Any) -> bool:
    if type(a) is not type(b) or not (type(a) is int or type(a) is str or type(a) is bool):
        ctx.cost += _size_cost(a)
    return _eq(a, b)


def _op_ne(ctx: _Ctx, a: Any, b: Any) -> bool:
    return not _op_eq(ctx, a, b)


def _op_lt(ctx: _Ctx, a: Any, b: Any) -> bool:
    x, y = _ord_pair("_<_", a, b)
    return x < y


def _op_le(ctx: _Ctx, a: Any, b: Any) -> bool:
    x, y = _ord_pair("_<=_", a, b)
    return x <= y


def _op_gt(ctx: _Ctx, a: Any, b: Any) -> bool:
    x, y = _ord_pair("_>_", a, b)
    return x > y


def _op_ge(ctx: _Ctx, a: Any, b: Any) -> bool:
    x, y = _ord_pair("_>=_", a, b)
    return x >= y


def _op_in(ctx: _Ctx, a: Any, b: Any) -> bool:
    if isinstance(b, (list, tuple)):
        _charge(ctx, len(b))
        for x in b:
            if _eq(a, x):
                return True
        return False
    if isinstance(b, dict):
        t = type(a)
        if t is str:
            return a in b
        if t is int or t is UInt or t is bool or t is float:
            return _map_find(b, a)[0]
        return False
    raise _no_overload("@in", a, b)


_BINOP_IMPLS: Mapping[str, Callable[[_Ctx, Any, Any], Any]] = types.MappingProxyType({
    "+": _add, "-": _sub, "*": _mul, "/": _div, "%": _mod, "==": _op_eq, "!=": _op_ne, "<": _op_lt, "<=": _op_le,
    ">": _op_gt, ">=": _op_ge, "in": _op_in,
})


def _neg(v: Any) -> Any:
    t = type(v)
    if t is int:
        return _chk_int(-v)
    if t is float:
        return -v
    raise _no_overload("-_", v)


# ---------------------------------------------------------------------------------------------------------------------
# runtime: functions (ctx first; member functions get their receiver as the first argument)


def _f_size(ctx: _Ctx, v: Any) -> int:
    if type(v) is str or type(v) is bytes or isinstance(v, (list, tuple, dict)):
        return len(v)
    raise _no_overload("size", v)


def _f_type(ctx: _Ctx, v: Any) -> CelType:
    name = _type_name(v)
    t = _TYPE_VALUES.get(name)
    if t is None:
        raise _err(f"unsupported value: {name}")
    return t


def _f_dyn(ctx: _Ctx, v: Any) -> Any:
    return v


_INT_STR_RE = re.compile(r"[+-]?[0-9]+\Z")
_UINT_STR_RE = re.compile(r"[0-9]+\Z")
_FLOAT_STR_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_FLOAT_SPECIAL_RE = re.compile(r"[+-]?(?:inf|infinity|nan)\Z", re.IGNORECASE)


def _f_int(ctx: _Ctx, v: Any) -> int:
    t = type(v)
    if t is int:
        return v
    if t is UInt:
        if v > _INT_MAX:
            raise _err("range error converting uint to int")
        return int(v)
    if t is float:
        if not math.isfinite(v) or not (-9.223372036854775808e18 < v < 9.223372036854775808e18):
            raise _err("range error converting double to int")
        return int(v)
    if t is str:
        if not _INT_STR_RE.match(v):
            raise _err(f"cannot convert string {v!r} to int")
        r = int(v)
        if not (_INT_MIN <= r <= _INT_MAX):
            raise _err(f"range error converting string {v!r} to int")
        return r
    if t is Timestamp:
        return v.nanos // _NS
    if t is Duration:
        return v.nanos
    raise _no_overload("int", v)


def _f_uint(ctx: _Ctx, v: Any) -> UInt:
    t = type(v)
    if t is UInt:
        return v
    if t is int:
        if v < 0:
            raise _err("range error converting int to uint")
        return UInt(v)
    if t is float:
        if not math.isfinite(v) or not (-1.0 < v < 1.8446744073709552e19):
            raise _err("range error converting double to uint")
        return UInt(int(v))
    if t is str:
        if not _UINT_STR_RE.match(v):
            raise _err(f"cannot convert string {v!r} to uint")
        r = int(v)
        if r > _UINT_MAX:
            raise _err(f"range error converting string {v!r} to uint")
        return UInt(r)
    raise _no_overload("uint", v)


def _f_double(ctx: _Ctx, v: Any) -> float:
    t = type(v)
    if t is float:
        return v
    if t is int or t is UInt:
        return float(v)
    if t is str:
        if _FLOAT_STR_RE.match(v):
            r = float(v)
            if math.isinf(r):
                raise _err(f"range error converting string {v!r} to double")
            return r
        if _FLOAT_SPECIAL_RE.match(v):
            return float(v)
        raise _err(f"cannot convert string {v!r} to double")
    raise _no_overload("double", v)


def _f_string(ctx: _Ctx, v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if t is int or t is UInt:
        return str(int(v))
    if t is float:
        return go_float(v)
    if t is bool:
        return "true" if v else "false"
    if t is bytes:
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise _err("invalid UTF-8 in bytes, cannot convert to string") from None
    if t is Timestamp:
        return _format_timestamp(v.nanos)
    if t is Duration:
        return _format_duration(v.nanos)
    raise _no_overload("string", v)


def _f_bytes(ctx: _Ctx, v: Any) -> bytes:
    if type(v) is bytes:
        return v
    if type(v) is str:
        return v.encode("utf-8")
    raise _no_overload("bytes", v)


_BOOL_STRINGS = types.MappingProxyType({
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
})


def _f_bool(ctx: _Ctx, v: Any) -> bool:
    if type(v) is bool:
        return v
    if type(v) is str:
        r = _BOOL_STRINGS.get(v)
        if r is None:
            raise _err(f"type conversion error from 'string' to 'bool': {v!r}")
        return r
    raise _no_overload("bool", v)


def _f_timestamp(ctx: _Ctx, v: Any) -> Timestamp:
    t = type(v)
    if t is Timestamp:
        return v
    if t is str:
        try:
            return Timestamp(_parse_rfc3339(v))
        except ValueError as e:
            raise _err(f"timestamp conversion error: {e}") from None
    if t is int:
        if not (_TS_MIN_S <= v <= _TS_MAX_S):
            raise _err("timestamp overflow")
        return Timestamp(v * _NS)
    raise _no_overload("timestamp", v)


def _f_duration(ctx: _Ctx, v: Any) -> Duration:
    t = type(v)
    if t is Duration:
        return v
    if t is str:
        try:
            return Duration(_parse_go_duration(v))
        except ValueError as e:
            raise _err(f"duration conversion error: {e}") from None
    raise _no_overload("duration", v)


def _str_args(fn: str, *args: Any) -> None:
    for a in args:
        if type(a) is not str:
            raise _no_overload(fn, *args)


def _f_contains(ctx: _Ctx, s: Any, sub: Any) -> bool:
    _str_args("contains", s, sub)
    ctx.cost += (len(s) + len(sub)) // 10
    return sub in s


def _f_starts_with(ctx: _Ctx, s: Any, sub: Any) -> bool:
    _str_args("startsWith", s, sub)
    ctx.cost += len(sub) // 10
    return s.startswith(sub)


def _f_ends_with(ctx: _Ctx, s: Any, sub: Any) -> bool:
    _str_args("endsWith", s, sub)
    ctx.cost += len(sub) // 10
    return s.endswith(sub)


def _compiled_regex(pattern: str) -> re.Pattern:
    try:
        return _regex(pattern)
    except ValueError as e:
        raise _err(f"invalid regular expression {pattern!r}: {e}") from None


def _f_matches(ctx: _Ctx, s: Any, pattern: Any) -> bool:
    _str_args("matches", s, pattern)
    _charge(ctx, 1 + len(s) * max(1, len(pattern)) // 40)
    return _compiled_regex(pattern).search(s) is not None


def _f_find(ctx: _Ctx, s: Any, pattern: Any) -> str:
    _str_args("find", s, pattern)
    _charge(ctx, 1 + len(s) * max(1, len(pattern)) // 40)
    m = _compiled_regex(pattern).search(s)
    return m.group(0) if m else ""


def _f_find_all(ctx: _Ctx, s: Any, pattern: Any, limit: Any = -1) -> List[str]:
    _str_args("findAll", s, pattern)
    if type(limit) is not int:
        raise _no_overload("findAll", s, pattern, limit)
    _charge(ctx, 1 + len(s) * max(1, len(pattern)) // 40)
    if limit == 0:
        return []
    rx = _compiled_regex(pattern)
    out: List[str] = []
    pos, prev_end, n = 0, -1, len(s)
    while pos <= n and (limit < 0 or len(out) < limit):
        m = rx.search(s, pos)
        if m is None:
            break
        accept = True
        if m.end() == m.start():
            if m.start() == prev_end:
                accept = False
            pos = m.end() + 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            out.append(m.group(0))
    return out


def _f_char_at(ctx: _Ctx, s: Any, i: Any) -> str:
    if type(s) is not str or type(i) is not int:
        raise _no_overload("charAt", s, i)
    if i < 0 or i > len(s):
        raise _err(f"index out of range: {i}")
    return s[i:i + 1]


def _f_index_of(ctx: _Ctx, s: Any, sub: Any, *off: Any) -> int:
    if isinstance(s, (list, tuple)) and not off:
        _charge(ctx, len(s))
        for i, x in enumerate(s):
            if _eq(x, sub):
                return i
        return -1
    if type(s) is not str or type(sub) is not str or (off and type(off[0]) is not int):
        raise _no_overload("indexOf", s, sub, *off)
    ctx.cost += len(s) // 10
    start = off[0] if off else 0
    if sub == "":
        return start
    if start < 0 or start >= len(s):
        if not off and not s:
            return -1
        raise _err(f"index out of range: {start}")
    return s.find(sub, start)


def _f_last_index_of(ctx: _Ctx, s: Any, sub: Any, *off: Any) -> int:
    if isinstance(s, (list, tuple)) and not off:
        _charge(ctx, len(s))
        for i in range(len(s) - 1, -1, -1):
            if _eq(s[i], sub):
                return i
        return -1
    if type(s) is not str or type(sub) is not str or (off and type(off[0]) is not int):
        raise _no_overload("lastIndexOf", s, sub, *off)
    ctx.cost += len(s) // 10
    if sub == "":
        return off[0] if off else len(s)
    if off:
        start = off[0]
        if start < 0 or start >= len(s):
            raise _err(f"index out of range: {start}")
    else:
        if len(s) < len(sub):
            return -1
        start = len(s) - 1
    if start > len(s) - len(sub):
        start = len(s) - len(sub)
    if start < 0:
        return -1
    return s.rfind(sub, 0, start + len(sub))


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _f_lower_ascii(ctx: _Ctx, s: Any) -> str:
    _str_args("lowerAscii", s)
    ctx.cost += len(s) // 10
    return s.translate(_ASCII_LOWER)


def _f_upper_ascii(ctx: _Ctx, s: Any) -> str:
    _str_args("upperAscii", s)
    ctx.cost += len(s) // 10
    return s.translate(_ASCII_UPPER)


def _f_replace(ctx: _Ctx, s: Any, old: Any, new: Any, *n: Any) -> str:
    if type(s) is not str or type(old) is not str or type(new) is not str or (n and type(n[0]) is not int):
        raise _no_overload("replace", s, old, new, *n)
    count = n[0] if n else -1
    hits = len(s) + 1 if old == "" else s.count(old)
    if count >= 0:
        hits = min(hits, count)
    _charge(ctx, (len(s) + hits * len(new)) // 10 + 1)     # charged before the result is built
    return s.replace(old, new, count if count >= 0 else -1)


def _f_split(ctx: _Ctx, s: Any, sep: Any, *n: Any) -> List[str]:
    if type(s) is not str or type(sep) is not str or (n and type(n[0]) is not int):
        raise _no_overload("split", s, sep, *n)
    limit = n[0] if n else -1
    _charge(ctx, len(s) // 10 + 1)
    if limit == 0:
        return []
    if sep == "":
        chars = list(s)
        if 0 < limit < len(chars):
            return chars[:limit - 1] + ["".join(chars[limit - 1:])]
        return chars
    if limit < 0:
        return s.split(sep)
    return s.split(sep, limit - 1)


def _f_substring(ctx: _Ctx, s: Any, start: Any, *end: Any) -> str:
    if type(s) is not str or type(start) is not int or (end and type(end[0]) is not int):
        raise _no_overload("substring", s, start, *end)
    stop = end[0] if end else len(s)
    if start < 0 or start > len(s):
        raise _err(f"index out of range: {start}")
    if stop < 0 or stop > len(s):
        raise _err(f"index out of range: {stop}")
    if start > stop:
        raise _err(f"invalid substring range. start: {start}, end: {stop}")
    ctx.cost += (stop - start) // 10
    return s[start:stop]


# Go unicode.IsSpace
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


def _f_trim(ctx: _Ctx, s: Any) -> str:
    _str_args("trim", s)
    ctx.cost += len(s) // 10
    return s.strip(_GO_SPACE)


def _f_join(ctx: _Ctx, lst: Any, *sep: Any) -> str:
    if not isinstance(lst, (list, tuple)) or (sep and type(sep[0]) is not str):
        raise _no_overload("join", lst, *sep)
    size = 0
    for x in lst:
        if type(x) is not str:
            raise _no_overload("join", lst, *sep)
        size += len(x)
    joiner = sep[0] if sep else ""
    _charge(ctx, len(lst) + (size + len(joiner) * len(lst)) // 10)
    return joiner.join(lst)


_QUOTE_ESCAPES = types.MappingProxyType({
    "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\",
    '"': '\\"',
})


def _f_quote(ctx: _Ctx, s: Any) -> str:
    _str_args("strings.quote", s)
    ctx.cost += len(s) // 10
    return '"' + "".join(_QUOTE_ESCAPES.get(c, c) for c in s) + '"'


# -- string.format (cel-go strings extension, version 2)


def _fmt_s(v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int or t is UInt:
        return str(int(v))
    if t is float:
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return go_float(v, "f")
    if t is bytes:
        return v.decode("utf-8", errors="replace")
    if v is None:
        return "null"
    if t is CelType:
        return v.name
    if t is Timestamp:
        return _format_timestamp(v.nanos)
    if t is Duration:
        return _format_duration(v.nanos)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt_s(x) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted((_fmt_s(k), _fmt_s(x)) for k, x in v.items())
        return "{" + ", ".join(f"{k}: {x}" for k, x in items) + "}"
    if t is OptionalValue:
        return f"optional.of({_fmt_s(v.value)})" if v.present else "optional.none()"
    raise _err(f"error during formatting: unsupported value {_type_name(v)}")


def _fmt_fixed(v: Any, prec: int, verb: str) -> str:
    if type(v) is int or type(v) is UInt:
        v = float(v)
    if type(v) is not float:
        what = "fixed-point" if verb == "f" else "scientific"
        raise _err(f"error during formatting: {what} clause can only be used on doubles, was given {_type_name(v)}")
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return f"{v:.{prec}{verb}}"


def _fmt_int_base(v: Any, verb: str) -> str:
    t = type(v)
    names = {"d": "decimal", "x": "hex", "X": "hex", "o": "octal", "b": "binary"}
    if verb in ("x", "X"):
        if t is str:
            v = v.encode("utf-8")
            t = bytes
        if t is bytes:
            return v.hex() if verb == "x" else v.hex().upper()
    if verb == "b" and t is bool:
        return "1" if v else "0"
    if t is float and verb == "d":
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    if t is not int and t is not UInt:
        allowed = "integers" if verb in ("d", "o") else ("integers, byte buffers, and strings" if verb in "xX"
                                                          else "integers and bools")
        raise _err(f"error during formatting: {names[verb]} clause can only be used on {allowed}, "
                   f"was given {_type_name(v)}")
    n = int(v)
    if verb == "d":
        return str(n)
    body = format(abs(n), {"x": "x", "X": "X", "o": "o", "b": "b"}[verb])
    return ("-" if n < 0 else "") + body


def _f_format(ctx: _Ctx, fmt: Any, args: Any) -> str:
    if type(fmt) is not str or not isinstance(args, (list, tuple)):
        raise _no_overload("format", fmt, args)
    _charge(ctx, 1 + len(fmt) // 10 + len(args))
    out: List[str] = []
    i, argi, n = 0, 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            j = fmt.find("%", i)
            j = n if j < 0 else j
            out.append(fmt[i:j])
            i = j
            continue
        i += 1
        if i < n and fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        prec = None
        if i < n and fmt[i] == ".":
            j = i + 1
            while j < n and fmt[j].isdigit():
                j += 1
            if j == i + 1:
                raise _err("error during formatting: unable to find end of precision specifier")
            prec = int(fmt[i + 1:j])
            if prec > 1000:
                raise _err("error during formatting: precision exceeds 1000")
            i = j
        if i >= n:
            raise _err("error during formatting: unexpected end of format string")
        verb = fmt[i]
        i += 1
        if verb not in "sdfeExXob":
            raise _err(f"error during formatting: could not parse formatting clause: "
                       f"unrecognized formatting clause \"{verb}\"")
        if argi >= len(args):
            raise _err(f"error during formatting: index {argi} out of range")
        v = args[argi]
        argi += 1
        if verb == "s":
            out.append(_fmt_s(v))
        elif verb in "fe":
            out.append(_fmt_fixed(v, 6 if prec is None else prec, verb))
        elif verb == "E":
            raise _err("error during formatting: could not parse formatting clause: "
                       "unrecognized formatting clause \"E\"")
        else:
            out.append(_fmt_int_base(v, verb))
    res = "".join(out)
    ctx.cost += len(res) // 10
    return res


# -- lists (Kubernetes library)


def _list_arg(fn: str, v: Any) -> Sequence[Any]:
    if not isinstance(v, (list, tuple)):
        raise _no_overload(fn, v)
    return v


def _f_is_sorted(ctx: _Ctx, lst: Any) -> bool:
    lst = _list_arg("isSorted", lst)
    _charge(ctx, len(lst))
    for a, b in zip(lst, lst[1:]):
        x, y = _ord_pair("isSorted", a, b)
        if y < x:
            return False
    return True


def _f_sum(ctx: _Ctx, lst: Any, zero: Any = 0) -> Any:
    lst = _list_arg("sum", lst)
    _charge(ctx, len(lst))
    if not lst:
        return zero
    acc = lst[0]
    if not (type(acc) in _NUMERIC or type(acc) is Duration):
        raise _no_overload("sum", lst)
    for x in lst[1:]:
        acc = _add(ctx, acc, x)
    return acc


def _f_min(ctx: _Ctx, lst: Any) -> Any:
    lst = _list_arg("min", lst)
    _charge(ctx, len(lst))
    if not lst:
        raise _err("min called on empty list")
    best = lst[0]
    _ord_pair("min", best, best)
    for x in lst[1:]:
        a, b = _ord_pair("min", best, x)
        if b < a:
            best = x
    return best


def _f_max(ctx: _Ctx, lst: Any) -> Any:
    lst = _list_arg("max", lst)
    _charge(ctx, len(lst))
    if not lst:
        raise _err("max called on empty list")
    best = lst[0]
    _ord_pair("max", best, best)
    for x in lst[1:]:
        a, b = _ord_pair("max", best, x)
        if b > a:
            best = x
    return best


# -- sets extension


def _f_sets_contains(ctx: _Ctx, a: Any, b: Any) -> bool:
    a, b = _list_arg("sets.contains", a), _list_arg("sets.contains", b)
    _charge(ctx, len(a) * len(b) + 1)
    return all(any(_eq(x, y) for y in a) for x in b)


def _f_sets_equivalent(ctx: _Ctx, a: Any, b: Any) -> bool:
    return _f_sets_contains(ctx, a, b) and _f_sets_contains(ctx, b, a)


def _f_sets_intersects(ctx: _Ctx, a: Any, b: Any) -> bool:
    a, b = _list_arg("sets.intersects", a), _list_arg("sets.intersects", b)
    _charge(ctx, len(a) * len(b) + 1)
    return any(any(_eq(x, y) for y in a) for x in b)


# -- optionals


def _f_opt_of(ctx: _Ctx, v: Any) -> OptionalValue:
    return OptionalValue(True, v)


def _is_zero(v: Any) -> bool:
    t = type(v)
    if v is None or (t is bool and v is False):
        return True
    if t in _NUMERIC:
        return v == 0
    if t is str or t is bytes or isinstance(v, (list, tuple, dict)):
        return len(v) == 0
    if t is Duration:
        return v.nanos == 0
    if t is Timestamp:
        return v.nanos == 0
    return False


def _f_opt_of_non_zero(ctx: _Ctx, v: Any) -> OptionalValue:
    return _OPT_NONE if _is_zero(v) else OptionalValue(True, v)


def _f_opt_none(ctx: _Ctx) -> OptionalValue:
    return _OPT_NONE


def _f_has_value(ctx: _Ctx, o: Any) -> bool:
    if type(o) is not OptionalValue:
        raise _no_overload("hasValue", o)
    return o.present


def _f_value(ctx: _Ctx, o: Any) -> Any:
    if type(o) is not OptionalValue:
        raise _no_overload("value", o)
    if not o.present:
        raise _err("optional.none() dereference")
    return o.value


# -- timestamps / durations


def _ts_getter(name: str) -> Callable[..., int]:
    def get(ctx: _Ctx, ts: Any, *tz: Any) -> int:
        if type(ts) is Duration and not tz:
            n = ts.nanos
            q = {"getHours": 3600 * _NS, "getMinutes": 60 * _NS, "getSeconds": _NS}.get(name)
            if q is not None:
                return _trunc_div(n, q)
            if name == "getMilliseconds":
                return _trunc_div(n - _trunc_div(n, _NS) * _NS, 1_000_000)
            raise _no_overload(name, ts)
        if type(ts) is not Timestamp or (tz and type(tz[0]) is not str):
            raise _no_overload(name, ts, *tz)
        dt, frac = _ts_fields(ts, tz[0] if tz else None)
        if name == "getFullYear":
            return dt.year
        if name == "getMonth":
            return dt.month - 1
        if name == "getDate":
            return dt.day
        if name == "getDayOfMonth":
            return dt.day - 1
        if name == "getDayOfWeek":
            return (dt.weekday() + 1) % 7
        if name == "getDayOfYear":
            return dt.timetuple().tm_yday - 1
        if name == "getHours":
            return dt.hour
        if name == "getMinutes":
            return dt.minute
        if name == "getSeconds":
            return dt.second
        return frac // 1_000_000      # getMilliseconds
    return get


# -- Kubernetes quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go over resource.ParseQuantity)

_QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_QUANTITY_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
_QUANTITY_SUFFIXES = {
    "Ki": (2, 10), "Mi": (2, 20), "Gi": (2, 30), "Ti": (2, 40), "Pi": (2, 50), "Ei": (2, 60),
    "n": (10, -9), "u": (10, -6), "m": (10, -3), "": (10, 0), "k": (10, 3), "M": (10, 6), "G": (10, 9),
    "T": (10, 12), "P": (10, 15), "E": (10, 18),
}
_QUANTITY_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)\Z")
_QUANTITY_CONTEXT = Context(prec=200)
_NANO = Decimal("1e-9")


def _parse_quantity(text: str) -> Quantity:
    """resource.ParseQuantity: a signed decimal number and a suffix; values finer than 1n round away from zero."""
    m = _QUANTITY_NUMBER.match(text)
    if not text or m is None or not (m.group(2) or m.group(3)):
        raise _err(_QUANTITY_FORMAT)
    sign, whole, frac = m.group(1), m.group(2) or "0", m.group(3) or ""
    suffix = text[m.end():]
    if "." in suffix or not re.fullmatch(r"[eEinumkKMGTP]*[-+]?[0-9]*", suffix):
        raise _err(_QUANTITY_FORMAT)
    number = Decimal(f"{sign}{whole}.{frac or '0'}")
    if suffix in _QUANTITY_SUFFIXES:
        base, exp = _QUANTITY_SUFFIXES[suffix]
    else:
        e = _QUANTITY_EXPONENT.match(suffix)
        if e is None or abs(int(e.group(1))) > 1000:
            raise _err("unable to parse quantity's suffix")
        base, exp = 10, int(e.group(1))
    factor = Decimal(2) ** exp if base == 2 else Decimal(1).scaleb(exp, _QUANTITY_CONTEXT)
    value = _QUANTITY_CONTEXT.multiply(number, factor)
    rounded = value.quantize(_NANO, rounding=ROUND_UP, context=_QUANTITY_CONTEXT)
    return Quantity(rounded.normalize(_QUANTITY_CONTEXT) if rounded else Decimal(0))


def _quantity_arg(fn: str, q: Any, *rest: Any) -> Quantity:
    if type(q) is not Quantity:
        raise _no_overload(fn, q, *rest)
    return q


def _f_quantity(ctx: _Ctx, s: Any) -> Quantity:
    if type(s) is not str:
        raise _no_overload("quantity", s)
    return _parse_quantity(s)


def _f_is_quantity(ctx: _Ctx, s: Any) -> bool:
    if type(s) is not str:
        raise _no_overload("isQuantity", s)
    try:
        _parse_quantity(s)
    except CELEvalError:
        return False
    return True


def _q_int64(q: Quantity) -> Optional[int]:
    v = q.value
    if v != v.to_integral_value() or not (_INT_MIN <= v <= _INT_MAX):
        return None
    return int(v)


def _f_q_is_integer(ctx: _Ctx, q: Any) -> bool:
    return _q_int64(_quantity_arg("isInteger", q)) is not None


def _f_q_as_integer(ctx: _Ctx, q: Any) -> int:
    v = _q_int64(_quantity_arg("asInteger", q))
    if v is None:
        raise _err("cannot convert value to integer")
    return v


def _f_q_as_float(ctx: _Ctx, q: Any) -> float:
    return float(_quantity_arg("asApproximateFloat", q).value)


def _f_q_sign(ctx: _Ctx, q: Any) -> int:
    v = _quantity_arg("sign", q).value
    return (v > 0) - (v < 0)


def _q_operand(fn: str, q: Any, other: Any) -> Decimal:
    _quantity_arg(fn, q, other)
    if type(other) is Quantity:
        return other.value
    if type(other) is int:
        return Decimal(other)
    raise _no_overload(fn, q, other)


def _f_q_add(ctx: _Ctx, q: Any, other: Any) -> Quantity:
    return Quantity(_QUANTITY_CONTEXT.add(q.value, _q_operand("add", q, other)).normalize(_QUANTITY_CONTEXT))


def _f_q_sub(ctx: _Ctx, q: Any, other: Any) -> Quantity:
    return Quantity(_QUANTITY_CONTEXT.subtract(q.value, _q_operand("sub", q, other)).normalize(_QUANTITY_CONTEXT))


def _f_q_compare(ctx: _Ctx, q: Any, other: Any) -> int:
    a, b = _quantity_arg("compareTo", q, other).value, _quantity_arg("compareTo", other, q).value
    return (a > b) - (a < b)


def _f_q_greater(ctx: _Ctx, q: Any, other: Any) -> bool:
    return _quantity_arg("isGreaterThan", q, other).value > _quantity_arg("isGreaterThan", other, q).value


def _f_q_less(ctx: _Ctx, q: Any, other: Any) -> bool:
    return _quantity_arg("isLessThan", q, other).value < _quantity_arg("isLessThan", other, q).value


_IMPLS: Mapping[str, Callable[..., Any]] = types.MappingProxyType({
    "size": _f_size, "type": _f_type, "dyn": _f_dyn, "int": _f_int, "uint": _f_uint, "double": _f_double,
    "string": _f_string, "bytes": _f_bytes, "bool": _f_bool, "timestamp": _f_timestamp, "duration": _f_duration,
    "matches": _f_matches, "contains": _f_contains, "startsWith": _f_starts_with, "endsWith": _f_ends_with,
    "charAt": _f_char_at, "indexOf": _f_index_of, "lastIndexOf": _f_last_index_of, "lowerAscii": _f_lower_ascii,
    "upperAscii": _f_upper_ascii, "replace": _f_replace, "split": _f_split, "substring": _f_substring,
    "trim": _f_trim, "join": _f_join, "format": _f_format, "strings.quote": _f_quote, "isSorted": _f_is_sorted,
    "sum": _f_sum, "min": _f_min, "max": _f_max, "find": _f_find, "findAll": _f_find_all,
    "sets.contains": _f_sets_contains, "sets.equivalent": _f_sets_equivalent, "sets.intersects": _f_sets_intersects,
    "optional.of": _f_opt_of, "optional.ofNonZeroValue": _f_opt_of_non_zero, "optional.none": _f_opt_none,
    "hasValue": _f_has_value, "value": _f_value,
    **{g: _ts_getter(g) for g in _TS_GETTERS},
    "quantity": _f_quantity, "isQuantity": _f_is_quantity, "isInteger": _f_q_is_integer,
    "asInteger": _f_q_as_integer, "asApproximateFloat": _f_q_as_float, "sign": _f_q_sign, "add": _f_q_add,
    "sub": _f_q_sub, "isGreaterThan": _f_q_greater, "isLessThan": _f_q_less, "compareTo": _f_q_compare,
})


# ---------------------------------------------------------------------------------------------------------------------
# RE2 -> Python re


_PERL_CLASSES = types.MappingProxyType({
    "d": ((0x30, 0x39),),
    "s": ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20),),
    "w": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A),),
})
_POSIX_CLASSES = types.MappingProxyType({
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A),),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A),),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20),),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F),),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E),),
    "space": ((0x09, 0x0D), (0x20, 0x20),),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A),),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66),),
})
_WORD = "[0-9A-Za-z_]"
_RE_WORD_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_RE_NOT_WORD_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"


def _negate_ranges(ranges: Sequence[Tuple[int, int]]) -> List[Tuple[int, int]]:
    out, lo = [], 0
    for a, b in sorted(ranges):
        if a > lo:
            out.append((lo, a - 1))
        lo = max(lo, b + 1)
    if lo <= 0x10FFFF:
        out.append((lo, 0x10FFFF))
    return out


def _cp(c: int) -> str:
    if c < 0x100:
        return f"\\x{c:02x}"
    if c < 0x10000:
        return f"\\u{c:04x}"
    return f"\\U{c:08x}"


def _ranges_src(ranges: Sequence[Tuple[int, int]]) -> str:
    return "".join(_cp(a) if a == b else f"{_cp(a)}-{_cp(b)}" for a, b in ranges)


class _RE2Translator:
    """Translates Go regexp/syntax (RE2) patterns to an equivalent Python pattern (ValueError when invalid)."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def fail(self, msg: str) -> ValueError:
        return ValueError(f"error parsing regexp: {msg}")

    def translate(self) -> str:
        out = self.alternation(dict(i=False, m=False, s=False, U=False), 0)
        if self.i < len(self.p):
            raise self.fail("unexpected ): `" + self.p + "`")
        return out

    def alternation(self, flags: Dict[str, bool], depth: int) -> str:
        if depth > 100:
            raise self.fail("expression nests too deeply")
        branches = [self.sequence(flags, depth)]
        while self.i < len(self.p) and self.p[self.i] == "|":
            self.i += 1
            branches.append(self.sequence(flags, depth))
        return "|".join(branches)

    def sequence(self, flags: Dict[str, bool], depth: int) -> str:
        p = self.p
        parts: List[str] = []
        flags = dict(flags)
        while self.i < len(p) and p[self.i] not in "|)":
            if p.startswith("(?", self.i) and self._flag_group_only():
                continue_flags = self._parse_flags()
                if continue_flags is not None:
                    flags.update(continue_flags)
                    continue
            atom = self.atom(flags, depth)
            if atom is None:
                continue
            parts.append(self.repeat(atom, flags))
        return "".join(parts)

    def _flag_group_only(self) -> bool:
        m = re.compile(r"\(\?([imsU-]*)\)").match(self.p, self.i)
        return m is not None

    def _parse_flags(self) -> Optional[Dict[str, bool]]:
        m = re.compile(r"\(\?([imsU-]*)\)").match(self.p, self.i)
        if m is None:  # pragma: no cover - checked by _flag_group_only
            return None
        self.i = m.end()
        return self._flag_spec(m.group(1))

    def _flag_spec(self, spec: str) -> Dict[str, bool]:
        out: Dict[str, bool] = {}
        neg = False
        if not spec or spec.endswith("-") or spec.count("-") > 1:
            raise self.fail(f"invalid or unsupported Perl syntax: `(?{spec}`")
        for ch in spec:
            if ch == "-":
                neg = True
                continue
            out[ch] = not neg
        return out

    def repeat(self, atom: str, flags: Dict[str, bool]) -> str:
        p = self.p
        seen = False
        while self.i < len(p):
            c = p[self.i]
            if c in "*+?":
                q = c
                self.i += 1
            elif c == "{":
                m = re.compile(r"\{(\d+)(?:(,)(\d*))?\}").match(p, self.i)
                if m is None:
                    break
                lo = int(m.group(1))
                hi = None if m.group(2) and not m.group(3) else (int(m.group(3)) if m.group(3) else lo)
                if lo > 1000 or (hi is not None and (hi > 1000 or hi < lo)):
                    raise self.fail(f"invalid repeat count: `{m.group(0)}`")
                q = f"{{{lo},{'' if hi is None else hi}}}" if m.group(2) else f"{{{lo}}}"
                self.i = m.end()
            else:
                break
            if seen:
                raise self.fail(f"invalid nested repetition operator: `{p[self.i - 1]}`")
            seen = True
            lazy = False
            if self.i < len(p) and p[self.i] == "?":
                lazy = True
                self.i += 1
            if flags.get("U"):
                lazy = not lazy
            atom = f"(?:{atom}){q}{'?' if lazy else ''}"
        return atom

    def atom(self, flags: Dict[str, bool], depth: int) -> Optional[str]:
        p = self.p
        c = p[self.i]
        ci = flags.get("i")

        def fold(s: str) -> str:
            return f"(?i:{s})" if ci else s

        if c == "(":
            if p.startswith("(?", self.i):
                m = re.compile(r"\(\?(?:P?<([A-Za-z0-9_]+)>|([imsU-]*):)").match(p, self.i)
                if m is None:
                    raise self.fail(f"invalid or unsupported Perl syntax: `{p[self.i:self.i + 3]}`")
                self.i = m.end()
                inner_flags = dict(flags)
                if m.group(2) is not None:
                    inner_flags.update(self._flag_spec(m.group(2)) if m.group(2) else {})
            else:
                self.i += 1
                inner_flags = dict(flags)
            inner = self.alternation(inner_flags, depth + 1)
            if self.i >= len(p) or p[self.i] != ")":
                raise self.fail(f"missing closing ): `{p}`")
            self.i += 1
            return f"(?:{inner})"
        if c in "*+?":
            raise self.fail(f"missing argument to repetition operator: `{c}`")
        if c == "{" and re.compile(r"\{\d+(?:,\d*)?\}").match(p, self.i):
            raise self.fail(f"missing argument to repetition operator: `{p[self.i:p.index('}', self.i) + 1]}`")
        self.i += 1
        if c == ".":
            return "(?s:.)" if flags.get("s") else "[^\\n]"
        if c == "^":
            return "(?m:^)" if flags.get("m") else r"\A"
        if c == "$":
            return "(?m:$)" if flags.get("m") else r"\Z"
        if c == "[":
            return fold(self.char_class())
        if c == "\\":
            return self.escape(flags, fold)
        return fold(_cp(ord(c)))

    def escape(self, flags: Dict[str, bool], fold: Callable[[str], str]) -> Optional[str]:
        p = self.p
        if self.i >= len(p):
            raise self.fail("trailing backslash at end of expression")
        c = p[self.i]
        self.i += 1
        if c == "Q":
            end = p.find("\\E", self.i)
            lit = p[self.i:] if end < 0 else p[self.i:end]
            self.i = len(p) if end < 0 else end + 2
            return fold("".join(_cp(ord(ch)) for ch in lit)) if lit else None
        if c in "dsw":
            return f"[{_ranges_src(_PERL_CLASSES[c])}]"
        if c in "DSW":
            return f"[{_ranges_src(_negate_ranges(_PERL_CLASSES[c.lower()]))}]"
        if c == "b":
            return _RE_WORD_BOUNDARY
        if c == "B":
            return _RE_NOT_WORD_BOUNDARY
        if c == "A":
            return r"\A"
        if c == "z":
            return r"\Z"
        if c in "pP":
            raise self.fail(f"Unicode character classes (\\{c}...) are not supported by this implementation")
        code = self.escape_code(c)
        return fold(_cp(code))

    def escape_code(self, c: str) -> int:
        """A single-character escape (after the backslash) -> code point."""
        p = self.p
        simple = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
        if c in simple:
            return simple[c]
        if c == "x":
            if self.i < len(p) and p[self.i] == "{":
                end = p.find("}", self.i)
                h = p[self.i + 1:end] if end > 0 else ""
                if not h or not all(ch in "0123456789abcdefABCDEF" for ch in h) or int(h, 16) > 0x10FFFF:
                    raise self.fail("invalid escape sequence: `\\x{`")
                self.i = end + 1
                return int(h, 16)
            h = p[self.i:self.i + 2]
            if len(h) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in h):
                raise self.fail("invalid escape sequence: `\\x`")
            self.i += 2
            return int(h, 16)
        if c in "01234567":
            if c != "0" and not (self.i < len(p) and p[self.i] in "01234567"):
                raise self.fail(f"invalid escape sequence: `\\{c}` (backreferences are not supported)")
            digits = c
            while len(digits) < 3 and self.i < len(p) and p[self.i] in "01234567":
                digits += p[self.i]
                self.i += 1
            return int(digits, 8)
        if ord(c) < 0x80 and not c.isalnum():
            return ord(c)
        raise self.fail(f"invalid escape sequence: `\\{c}`")

    def char_class(self) -> str:
        p = self.p
        start = self.i - 1
        negated = False
        if self.i < len(p) and p[self.i] == "^":
            negated = True
            self.i += 1
        items: List[str] = []
        first = True
        while True:
            if self.i >= len(p):
                raise self.fail(f"missing closing ]: `{p[start:]}`")
            c = p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" and p.startswith("[:", self.i):
                m = re.compile(r"\[:(\^?)([a-z]+):\]").match(p, self.i)
                if m is None or m.group(2) not in _POSIX_CLASSES:
                    raise self.fail(f"invalid character class range: `{p[self.i:self.i + 10]}`")
                self.i = m.end()
                ranges = _POSIX_CLASSES[m.group(2)]
                items.append(_ranges_src(_negate_ranges(ranges) if m.group(1) else ranges))
                continue
            lo = self.class_char()
            if isinstance(lo, str):
                items.append(lo)
                continue
            if self.i + 1 < len(p) and p[self.i] == "-" and p[self.i + 1] != "]":
                self.i += 1
                hi = self.class_char()
                if isinstance(hi, str) or hi < lo:
                    raise self.fail(f"invalid character class range: `{p[start:self.i]}`")
                items.append(f"{_cp(lo)}-{_cp(hi)}")
            else:
                items.append(_cp(lo))
        body = "".join(items)
        if not body:
            return "(?!)" if not negated else "(?s:.)"
        return f"[{'^' if negated else ''}{body}]"

    def class_char(self) -> Any:
        """A code point, or a str holding class items for a Perl class escape."""
        p = self.p
        c = p[self.i]
        self.i += 1
        if c != "\\":
            return ord(c)
        if self.i >= len(p):
            raise self.fail("trailing backslash at end of expression")
        e = p[self.i]
        self.i += 1
        if e in "dsw":
            return _ranges_src(_PERL_CLASSES[e])
        if e in "DSW":
            return _ranges_src(_negate_ranges(_PERL_CLASSES[e.lower()]))
        if e in "pP":
            raise self.fail(f"Unicode character classes (\\{e}...) are not supported by this implementation")
        return self.escape_code(e)


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern:
    """Compile an RE2 pattern via translation to Python ``re`` (cached); ValueError when invalid/unsupported."""
    src = _RE2Translator(pattern).translate()
    try:
        return re.compile(src)
    except (re.error, RecursionError, OverflowError) as e:
        raise ValueError(f"error parsing regexp: {e}") from None


# ---------------------------------------------------------------------------------------------------------------------
# compiler: AST -> (static type, closure)


class _Compiler:
    def __init__(self, src: _Source, variables: Sequence[str], fields: Mapping[str, frozenset]):
        self.src = src
        self.fields = fields        # declared variables that are objects with known fields (a policy's variables)
        self.nslots = 0
        self.var_slots: Dict[str, int] = {}
        for v in variables:
            self.var_slots[v] = self.alloc()
        self.referenced: set = set()
        self.depth = 0
        self.heterogeneous_ok = 0   # > 0 inside format() arguments (cel-go exempts them from homogeneity)

    def alloc(self) -> int:
        self.nslots += 1
        return self.nslots - 1

    def error(self, msg: str, node: _Node) -> CELCompileError:
        return self.src.error(msg, node.pos)

    def visit(self, node: _Node, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        self.depth += 1
        if self.depth > MAX_AST_DEPTH:
            raise self.error(f"expression nesting exceeds the maximum depth of {MAX_AST_DEPTH}", node)
        try:
            return _VISITORS[type(node)](self, node, scope)
        finally:
            self.depth -= 1

    # -- leaves

    def v_lit(self, node: _Lit, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        v = node.value
        k = node.kind
        if k == "int":
            if not (_INT_MIN <= v <= _INT_MAX):
                raise self.error(f"invalid int literal: {v} is out of range", node)
        elif k == "uint":
            if v > _UINT_MAX:
                raise self.error(f"invalid uint literal: {v}u is out of range", node)
            v = UInt(v)
        t = {"int": "int", "uint": "uint", "double": "double", "string": "string", "bytes": "bytes", "bool": "bool",
             "null": "null_type"}[k]
        return t, (lambda ctx: v), v

    def resolve_root(self, name: str, root: bool, scope: Mapping[str, Tuple[int, Any]]) -> bool:
        return (not root and name in scope) or name in self.var_slots

    def v_ident(self, node: _Ident, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        name = node.name
        if not node.root and name in scope:
            slot, t = scope[name]
            return t, (lambda ctx: ctx.vars[slot]), _NOCONST
        if name in self.var_slots:
            self.referenced.add(name)
            slot = self.var_slots[name]

            def var(ctx: _Ctx) -> Any:
                v = ctx.vars[slot]
                if v is _UNBOUND:
                    raise _err(f"no such attribute: {name} (the variable is not bound)")
                return v
            return _DYN, var, _NOCONST
        if name in _TYPE_IDENTS:
            tv = _TYPE_VALUES[_TYPE_IDENTS[name]]
            return "type", (lambda ctx: tv), tv
        raise self.error(f"undeclared reference to '{name}' (in container '')", node)

    # -- selection / index

    def v_select(self, node: _Select, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        qn = _qualified_name(node)
        if qn is not None and not node.test_only:
            root_name, root = qn
            first = root_name.split(".", 1)[0]
            if not self.resolve_root(first, root, scope):
                if root_name in _TYPE_IDENTS:
                    tv = _TYPE_VALUES[_TYPE_IDENTS[root_name]]
                    return "type", (lambda ctx: tv), tv
                raise self.error(f"undeclared reference to '{root_name}' (in container '')", node)
        operand = node.operand
        if isinstance(operand, _Ident) and operand.name in self.fields and \
                not (not operand.root and operand.name in scope) and node.field not in self.fields[operand.name]:
            # cel-go places a selection at its '.'
            raise self.src.error(f"undefined field '{node.field}'", self.src.text.rfind(".", 0, node.pos))
        ot, of, _ = self.visit(operand, scope)
        field = node.field
        if node.test_only:
            if not (ot == _DYN or (isinstance(ot, tuple) and ot[0] in ("map", "optional"))):
                raise self.error(f"invalid argument to has() macro: type '{_tstr(ot)}' does not support field "
                                 "selection", node)

            def has(ctx: _Ctx) -> bool:
                ctx.cost += 1
                o = of(ctx)
                if type(o) is OptionalValue:
                    if not o.present:
                        return False
                    o = o.value
                if isinstance(o, dict):
                    return field in o
                raise _err(f"invalid type for field selection: {_type_name(o)}")
            return "bool", has, _NOCONST
        if node.optional:
            if not (ot == _DYN or (isinstance(ot, tuple) and ot[0] in ("map", "optional"))):
                raise self.error(f"type '{_tstr(ot)}' does not support field selection", node)
            vt = ot[2] if isinstance(ot, tuple) and ot[0] == "map" else _DYN

            def opt_select(ctx: _Ctx) -> OptionalValue:
                ctx.cost += 1
                o = of(ctx)
                if type(o) is OptionalValue:
                    if not o.present:
                        return o
                    o = o.value
                if isinstance(o, dict):
                    if field in o:
                        return OptionalValue(True, o[field])
                    return _OPT_NONE
                raise _err(f"invalid type for field selection: {_type_name(o)}")
            return ("optional", vt), opt_select, _NOCONST
        if isinstance(ot, tuple) and ot[0] == "map":
            if not _compatible(ot[1], "string"):
                raise self.error(f"type '{_tstr(ot)}' does not support field selection", node)
            rt = ot[2]
        elif isinstance(ot, tuple) and ot[0] == "optional":
            rt = ("optional", _DYN)
        elif ot == _DYN:
            rt = _DYN
        else:
            raise self.error(f"type '{_tstr(ot)}' does not support field selection", node)

        def select(ctx: _Ctx) -> Any:
            ctx.cost += 1
            o = of(ctx)
            if isinstance(o, dict):
                try:
                    return o[field]
                except KeyError:
                    raise _err(f"no such key: {field}") from None
            if type(o) is OptionalValue:
                if not o.present:
                    return o
                inner = o.value
                if isinstance(inner, dict):
                    return OptionalValue(True, inner[field]) if field in inner else _OPT_NONE
            raise _err(f"type '{_type_name(o)}' does not support field selection")
        return rt, select, _NOCONST

    def v_index(self, node: _Index, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        ot, of, _ = self.visit(node.operand, scope)
        kt, kf, _ = self.visit(node.index, scope)
        if isinstance(ot, tuple) and ot[0] == "list":
            if kt not in ("int", "uint", _DYN):
                raise self.error(f"found no matching overload for '_[_]' applied to '({_tstr(ot)}, {_tstr(kt)})'",
                                 node)
            rt = ot[1]
        elif isinstance(ot, tuple) and ot[0] == "map":
            if not _compatible(ot[1], kt) and not (_is_num_t(ot[1]) and _is_num_t(kt)):
                raise self.error(f"found no matching overload for '_[_]' applied to '({_tstr(ot)}, {_tstr(kt)})'",
                                 node)
            rt = ot[2]
        elif isinstance(ot, tuple) and ot[0] == "optional":
            rt = ("optional", _DYN)
        elif ot == _DYN:
            rt = _DYN
        else:
            raise self.error(f"found no matching overload for '_[_]' applied to '({_tstr(ot)}, {_tstr(kt)})'", node)
        optional = node.optional
        if optional:
            rt = ("optional", rt if not (isinstance(rt, tuple) and rt[0] == "optional") else rt[1])

        def index(ctx: _Ctx) -> Any:
            ctx.cost += 1
            o = of(ctx)
            k = kf(ctx)
            opt = optional
            if type(o) is OptionalValue:
                if not o.present:
                    return o
                o = o.value
                opt = True
            if isinstance(o, (list, tuple)):
                i = _list_index(o, k)
                if i is None:
                    if opt:
                        return _OPT_NONE
                    raise _err(f"index out of bounds: {_display(k)}")
                return OptionalValue(True, o[i]) if opt else o[i]
            if isinstance(o, dict):
                found, v = _map_find(o, k)
                if not found:
                    if opt:
                        return _OPT_NONE
                    raise _err(f"no such key: {_display(k)}")
                return OptionalValue(True, v) if opt else v
            raise _no_overload("_[_]", o, k)
        return rt, index, _NOCONST

    # -- literals

    def v_list(self, node: _ListLit, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        fns: List[Fn] = []
        elem_t: Any = None
        for e, opt in zip(node.elems, node.optional):
            t, f, _ = self.visit(e, scope)
            if opt:
                if not (t == _DYN or (isinstance(t, tuple) and t[0] == "optional")):
                    raise self.error(f"optional list element must be an optional value, got '{_tstr(t)}'", e)
                t = t[1] if isinstance(t, tuple) else _DYN
            elem_t = t if elem_t is None else self.homogeneous(elem_t, t, e)
            fns.append(f)
        opts = list(node.optional)
        rt = ("list", _DYN if elem_t is None else elem_t)
        if any(opts):
            pairs = list(zip(fns, opts))

            def build_opt(ctx: _Ctx) -> List[Any]:
                ctx.cost += 1
                out = []
                for f, opt in pairs:
                    v = f(ctx)
                    if opt:
                        if type(v) is not OptionalValue:
                            raise _no_overload("optional list element", v)
                        if v.present:
                            out.append(v.value)
                    else:
                        out.append(v)
                return out
            return rt, build_opt, _NOCONST

        def build(ctx: _Ctx) -> List[Any]:
            ctx.cost += 1
            return [f(ctx) for f in fns]
        return rt, build, _NOCONST

    def homogeneous(self, a: Any, b: Any, node: _Node) -> Any:
        if _compatible(a, b):
            return _join(a, b)
        if self.heterogeneous_ok:
            return _DYN
        raise self.error(f"expected type '{_tstr(a)}' but found '{_tstr(b)}' (aggregate literals must be "
                         "homogeneous)", node)

    def v_map(self, node: _MapLit, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        kt_all: Any = None
        vt_all: Any = None
        entries: List[Tuple[Fn, Fn, bool]] = []
        for k, v, opt in node.entries:
            kt, kf, kc = self.visit(k, scope)
            vt, vf, _ = self.visit(v, scope)
            if kt not in ("int", "uint", "bool", "string", _DYN):
                raise self.error(f"unsupported map key type: '{_tstr(kt)}'", k)
            if opt:
                if not (vt == _DYN or (isinstance(vt, tuple) and vt[0] == "optional")):
                    raise self.error(f"optional map entry value must be an optional value, got '{_tstr(vt)}'", v)
                vt = vt[1] if isinstance(vt, tuple) else _DYN
            kt_all = kt if kt_all is None else self.homogeneous(kt_all, kt, k)
            vt_all = vt if vt_all is None else self.homogeneous(vt_all, vt, v)
            entries.append((kf, vf, opt))
        rt = ("map", kt_all or _DYN, vt_all or _DYN)

        def build(ctx: _Ctx) -> Dict[Any, Any]:
            ctx.cost += 1
            out: Dict[Any, Any] = {}
            for kf, vf, opt in entries:
                key = kf(ctx)
                _check_key(key)
                val = vf(ctx)
                if opt:
                    if type(val) is not OptionalValue:
                        raise _no_overload("optional map entry", val)
                    if not val.present:
                        continue
                    val = val.value
                if key in out:
                    if _map_find(out, key)[0]:
                        raise _err(f"Failed with repeated key: {_display(key)}")
                    raise _err("map literals mixing bool keys with equal numeric keys are not supported")
                out[key] = val
            return out
        return rt, build, _NOCONST

    # -- operators

    def v_cond(self, node: _Cond, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        ct, cf, _ = self.visit(node.cond, scope)
        at, af, _ = self.visit(node.a, scope)
        bt, bf, _ = self.visit(node.b, scope)
        if ct not in ("bool", _DYN) or not _compatible(at, bt):
            raise self.error(f"found no matching overload for '_?_:_' applied to "
                             f"'({_tstr(ct)}, {_tstr(at)}, {_tstr(bt)})'", node)

        def cond(ctx: _Ctx) -> Any:
            c = cf(ctx)
            if c is True:
                return af(ctx)
            if c is False:
                return bf(ctx)
            raise _no_overload("_?_:_", c)
        return _join(at, bt), cond, _NOCONST

    def v_logic(self, node: _Logic, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        fns = []
        tys = []
        for t in node.terms:
            tt, tf, _ = self.visit(t, scope)
            tys.append(tt)
            fns.append(tf)
        if any(t not in ("bool", _DYN) for t in tys):
            name = "_&&_" if node.op == "&&" else "_||_"
            raise self.error(f"found no matching overload for '{name}' applied to "
                             f"'({', '.join(_tstr(t) for t in tys)})'", node)
        fname = "_&&_" if node.op == "&&" else "_||_"
        decisive = node.op == "||"     # the value that decides the result: true for ||, false for &&

        def logic(ctx: _Ctx) -> bool:
            err: Optional[CELEvalError] = None
            for f in fns:
                try:
                    v = f(ctx)
                except CELCostLimitError:
                    raise
                except CELEvalError as e:
                    if err is None:
                        err = e
                    continue
                if v is decisive:
                    return decisive
                if v is not (not decisive) and err is None:
                    err = _no_overload(fname, v)
            if err is not None:
                raise err
            return not decisive
        return "bool", logic, _NOCONST

    def v_unary(self, node: _Unary, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        t, f, _ = self.visit(node.operand, scope)
        if node.op == "!":
            if t not in ("bool", _DYN):
                raise self.error(f"found no matching overload for '!_' applied to '({_tstr(t)})'", node)

            def not_(ctx: _Ctx) -> bool:
                v = f(ctx)
                if v is True:
                    return False
                if v is False:
                    return True
                raise _no_overload("!_", v)
            return "bool", not_, _NOCONST
        if t not in ("int", "double", _DYN):
            raise self.error(f"found no matching overload for '-_' applied to '({_tstr(t)})'", node)
        return t, (lambda ctx: _neg(f(ctx))), _NOCONST

    def v_binary(self, node: _Binary, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        lt, lf, _ = self.visit(node.left, scope)
        rt, rf, _ = self.visit(node.right, scope)
        name = _BINOP_NAMES[node.op]
        res = self.check_overloads(name, _OPERATORS[name], [lt, rt], False, node)
        impl = _BINOP_IMPLS[node.op]

        def binop(ctx: _Ctx) -> Any:
            ctx.cost += 1
            return impl(ctx, lf(ctx), rf(ctx))
        return res, binop, _NOCONST

    def check_overloads(self, name: str, sigs: Sequence[_Sig], arg_types: List[Any], member: bool,
                        node: _Node) -> Any:
        results = []
        for sig in sigs:
            if sig.member != member or len(sig.params) != len(arg_types):
                continue
            binds: Dict[str, Any] = {}
            if all(_unify(p, a, binds) for p, a in zip(sig.params, arg_types)):
                results.append(_subst(sig.result, binds))
        if not results:
            shown = _call_shape(name, arg_types, member)
            raise self.error(f"found no matching overload for '{name}' applied to '{shown}'", node)
        first = results[0]
        return first if all(r == first for r in results) else _DYN

    # -- calls

    def v_call(self, node: _Call, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        name = node.name
        member = node.target is not None
        if member:
            qn = _qualified_name(node.target)
            if qn is not None:
                root_name, root = qn
                first = root_name.split(".", 1)[0]
                if not self.resolve_root(first, root, scope):
                    return self.global_call(f"{root_name}.{name}", node, scope)
        else:
            return self.global_call(name, node, scope)
        sigs = _FUNCTIONS.get(name)
        if sigs is None or not any(s.member for s in sigs):
            self.refuse_unknown(name, node, member=True)
        tt, tf, _ = self.visit(node.target, scope)
        exempt = name == "format"
        self.heterogeneous_ok += exempt
        try:
            arg_info = [self.visit(a, scope) for a in node.args]
        finally:
            self.heterogeneous_ok -= exempt
        res = self.check_overloads(name, sigs, [tt] + [a[0] for a in arg_info], True, node)
        fns = [tf] + [a[1] for a in arg_info]
        if name == "sum":   # [].sum() is the zero of the element type (Kubernetes lists library)
            zero = {"double": 0.0, "uint": UInt(0), "duration": Duration(0)}.get(res, 0)

            def sum_(ctx: _Ctx) -> Any:
                ctx.cost += 1
                return _f_sum(ctx, tf(ctx), zero)
            return res, sum_, _NOCONST
        consts = [_NOCONST] + [a[2] for a in arg_info]
        return res, self.make_call(name, fns, consts, node), _NOCONST

    def global_call(self, name: str, node: _Call, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        sigs = _FUNCTIONS.get(name)
        if sigs is None or not any(not s.member for s in sigs):
            self.refuse_unknown(name, node, member=False)
        arg_info = [self.visit(a, scope) for a in node.args]
        res = self.check_overloads(name, sigs, [a[0] for a in arg_info], False, node)
        fns = [a[1] for a in arg_info]
        consts = [a[2] for a in arg_info]
        # literal validation (Kubernetes enables cel.ValidateTimestampLiterals/DurationLiterals/RegexLiterals)
        if name in ("timestamp", "duration") and len(consts) == 1 and type(consts[0]) is str:
            try:
                value = (_f_timestamp if name == "timestamp" else _f_duration)(_Ctx(0, 0), consts[0])
            except CELEvalError as e:
                raise self.error(f"{name} validation failed: {e}", node) from None
            return res, (lambda ctx: value), value
        return res, self.make_call(name, fns, consts, node), _NOCONST

    def refuse_unknown(self, name: str, node: _Call, member: bool) -> None:
        why = _UNSUPPORTED.get(name)
        if why is None:
            for prefix, what in _UNSUPPORTED_PREFIXES:
                if name.startswith(prefix):
                    why = what
                    break
        if why is not None:
            raise self.error(f"function '{name}' is not supported: {why} is not implemented by this API server", node)
        sigs = _FUNCTIONS.get(name)
        if sigs is not None:
            style = "a receiver-style (x.f())" if member else "a global (f(x))"
            raise self.error(f"found no matching overload for '{name}': it is not {style} function", node)
        raise self.error(f"undeclared reference to '{name}' (in container ''): unknown or unsupported function",
                         node)

    def make_call(self, name: str, fns: List[Fn], consts: List[Any], node: _Node) -> Fn:
        # regexes with a literal pattern are translated and validated at compile time
        if name in ("matches", "find", "findAll") and len(consts) >= 2 and type(consts[1]) is str:
            try:
                _regex(consts[1])
            except ValueError as e:
                raise self.error(f"invalid regular expression {consts[1]!r}: {e}", node) from None
        if name == "orValue":
            of, df = fns

            def or_value(ctx: _Ctx) -> Any:
                ctx.cost += 1
                o = of(ctx)
                if type(o) is not OptionalValue:
                    raise _no_overload("orValue", o)
                return o.value if o.present else df(ctx)
            return or_value
        if name == "or":
            of, df = fns

            def or_(ctx: _Ctx) -> Any:
                ctx.cost += 1
                o = of(ctx)
                if type(o) is not OptionalValue:
                    raise _no_overload("or", o)
                if o.present:
                    return o
                alt = df(ctx)
                if type(alt) is not OptionalValue:
                    raise _no_overload("or", o, alt)
                return alt
            return or_
        impl = _IMPLS[name]
        if len(fns) == 0:
            def call0(ctx: _Ctx) -> Any:
                ctx.cost += 1
                return impl(ctx)
            return call0
        if len(fns) == 1:
            f0 = fns[0]

            def call1(ctx: _Ctx) -> Any:
                ctx.cost += 1
                return impl(ctx, f0(ctx))
            return call1
        if len(fns) == 2:
            f0, f1 = fns

            def call2(ctx: _Ctx) -> Any:
                ctx.cost += 1
                return impl(ctx, f0(ctx), f1(ctx))
            return call2

        def calln(ctx: _Ctx) -> Any:
            ctx.cost += 1
            return impl(ctx, *[f(ctx) for f in fns])
        return calln

    # -- comprehensions

    def v_compr(self, node: _Compr, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        kind = node.kind
        rt, rf, _ = self.visit(node.range, scope)
        if kind in ("optMap", "optFlatMap"):
            return self.opt_macro(node, rt, rf, scope)
        if isinstance(rt, tuple) and rt[0] == "list":
            t1, t2 = ("int", rt[1]) if node.var2 is not None else (rt[1], None)
        elif isinstance(rt, tuple) and rt[0] == "map":
            t1, t2 = rt[1], rt[2]
        elif rt == _DYN:
            t1, t2 = _DYN, _DYN
        else:
            raise self.error(f"expression of type '{_tstr(rt)}' cannot be range of a comprehension (must be list, "
                             "map, or dynamic)", node.range)
        if kind in ("transformList", "transformList_filter", "transformMap", "transformMap_filter") and \
                node.var2 is None:   # pragma: no cover - the parser guarantees two variables
            raise self.error(f"macro '{kind}' requires two variables", node)
        inner = dict(scope)
        s1 = self.alloc()
        inner[node.var] = (s1, t1)
        s2 = -1
        if node.var2 is not None:
            s2 = self.alloc()
            inner[node.var2] = (s2, t2)
        bodies = [self.visit(a, inner) for a in node.args]
        pred_kinds = ("all", "exists", "exists_one", "filter", "map_filter", "transformList_filter",
                      "transformMap_filter")
        if kind in pred_kinds and bodies[0][0] not in ("bool", _DYN):
            raise self.error(f"macro '{kind.split('_filter')[0]}' predicate must be a bool, got "
                             f"'{_tstr(bodies[0][0])}'", node.args[0])
        fns = [b[1] for b in bodies]
        two = node.var2 is not None
        fn = _COMPREHENSIONS[kind](rf, s1, s2, two, fns)
        if kind in ("all", "exists", "exists_one"):
            res: Any = "bool"
        elif kind == "filter":
            res = ("list", t1)
        elif kind in ("map", "transformList"):
            res = ("list", bodies[-1][0])
        elif kind in ("map_filter", "transformList_filter"):
            res = ("list", bodies[-1][0])
        else:   # transformMap
            res = ("map", t1, bodies[-1][0])
        return res, fn, _NOCONST

    def v_bind(self, node: _Bind, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        it, init_fn, _ = self.visit(node.init, scope)
        slot = self.alloc()
        inner = dict(scope)
        inner[node.var] = (slot, it)
        bt, body_fn, _ = self.visit(node.body, inner)

        def bind(ctx: _Ctx) -> Any:
            ctx.vars[slot] = init_fn(ctx)
            return body_fn(ctx)
        return bt, bind, _NOCONST

    def opt_macro(self, node: _Compr, rt: Any, rf: Fn, scope: Mapping[str, Tuple[int, Any]]) -> Tuple[Any, Fn, Any]:
        if not (rt == _DYN or (isinstance(rt, tuple) and rt[0] == "optional")):
            raise self.error(f"macro '{node.kind}' requires an optional receiver, got '{_tstr(rt)}'", node)
        inner = dict(scope)
        slot = self.alloc()
        inner[node.var] = (slot, rt[1] if isinstance(rt, tuple) else _DYN)
        bt, bf, _ = self.visit(node.args[0], inner)
        flat = node.kind == "optFlatMap"
        if flat and not (bt == _DYN or (isinstance(bt, tuple) and bt[0] == "optional")):
            raise self.error(f"optFlatMap expression must be an optional value, got '{_tstr(bt)}'", node.args[0])

        def opt_map(ctx: _Ctx) -> OptionalValue:
            ctx.cost += 1
            o = rf(ctx)
            if type(o) is not OptionalValue:
                raise _no_overload(node.kind, o)
            if not o.present:
                return o
            ctx.vars[slot] = o.value
            v = bf(ctx)
            if flat:
                if type(v) is not OptionalValue:
                    raise _no_overload("optFlatMap", v)
                return v
            return OptionalValue(True, v)
        res = bt if flat else ("optional", bt)
        return res, opt_map, _NOCONST


def _is_num_t(t: Any) -> bool:
    return t in ("int", "uint", "double")


def _call_shape(name: str, arg_types: List[Any], member: bool) -> str:
    if member:
        return f"{_tstr(arg_types[0])}.({', '.join(_tstr(t) for t in arg_types[1:])})"
    return f"({', '.join(_tstr(t) for t in arg_types)})"


def _qualified_name(node: _Node) -> Optional[Tuple[str, bool]]:
    parts: List[str] = []
    while isinstance(node, _Select) and not node.optional and not node.test_only:
        parts.append(node.field)
        node = node.operand
    if isinstance(node, _Ident):
        parts.append(node.name)
        return ".".join(reversed(parts)), node.root
    return None


def _list_index(lst: Sequence[Any], k: Any) -> Optional[int]:
    t = type(k)
    if t is int or t is UInt:
        i = int(k)
    elif t is float:
        if not k.is_integer():
            raise _err(f"unsupported index value: {go_float(k)}")
        i = int(k)
    else:
        raise _no_overload("_[_]", lst, k)
    if 0 <= i < len(lst):
        return i
    return None


def _range_items(v: Any, two: bool) -> List[Tuple[Any, Any]]:
    if isinstance(v, (list, tuple)):
        return list(enumerate(v)) if two else [(x, None) for x in v]
    if isinstance(v, dict):
        return list(v.items()) if two else [(k, None) for k in v]
    raise _err(f"expression of type '{_type_name(v)}' cannot be range of a comprehension")


def _compr_quantifier(decisive: bool, name: str) -> Callable[..., Fn]:
    """all (decisive False) / exists (decisive True): absorbs errors like && / ||."""
    def make(rf: Fn, s1: int, s2: int, two: bool, fns: List[Fn]) -> Fn:
        pred = fns[0]

        def run(ctx: _Ctx) -> bool:
            items = _range_items(rf(ctx), two)
            vars_ = ctx.vars
            err: Optional[CELEvalError] = None
            for a, b in items:
                ctx.cost += 1
                if ctx.cost > ctx.limit:
                    raise _cost_exceeded()
                vars_[s1] = a
                if two:
                    vars_[s2] = b
                try:
                    v = pred(ctx)
                except CELCostLimitError:
                    raise
                except CELEvalError as e:
                    if err is None:
                        err = e
                    continue
                if v is decisive:
                    return decisive
                if v is not (not decisive) and err is None:
                    err = _no_overload(name, v)
            if err is not None:
                raise err
            return not decisive
        return run
    return make


def _compr_exists_one(rf: Fn, s1: int, s2: int, two: bool, fns: List[Fn]) -> Fn:
    pred = fns[0]

    def run(ctx: _Ctx) -> bool:
        items = _range_items(rf(ctx), two)
        vars_ = ctx.vars
        count = 0
        for a, b in items:
            ctx.cost += 1
            if ctx.cost > ctx.limit:
                raise _cost_exceeded()
            vars_[s1] = a
            if two:
                vars_[s2] = b
            v = pred(ctx)
            if v is True:
                count += 1
            elif v is not False:
                raise _no_overload("exists_one", v)
        return count == 1
    return run


def _compr_collect(kind: str) -> Callable[..., Fn]:
    filtered = kind in ("filter", "map_filter", "transformList_filter", "transformMap_filter")
    as_map = kind.startswith("transformMap")

    def make(rf: Fn, s1: int, s2: int, two: bool, fns: List[Fn]) -> Fn:
        pred = fns[0] if filtered else None
        body = None if kind == "filter" else fns[-1]

        def run(ctx: _Ctx) -> Any:
            items = _range_items(rf(ctx), two)
            vars_ = ctx.vars
            out_list: List[Any] = []
            out_map: Dict[Any, Any] = {}
            for a, b in items:
                ctx.cost += 1
                if ctx.cost > ctx.limit:
                    raise _cost_exceeded()
                vars_[s1] = a
                if two:
                    vars_[s2] = b
                if pred is not None:
                    keep = pred(ctx)
                    if keep is False:
                        continue
                    if keep is not True:
                        raise _no_overload(kind, keep)
                v = a if body is None else body(ctx)
                if as_map:
                    out_map[a] = v
                else:
                    out_list.append(v)
            return out_map if as_map else out_list
        return run
    return make


_COMPREHENSIONS: Mapping[str, Callable[..., Fn]] = types.MappingProxyType({
    "all": _compr_quantifier(False, "all"),
    "exists": _compr_quantifier(True, "exists"),
    "exists_one": _compr_exists_one,
    **{k: _compr_collect(k) for k in ("map", "map_filter", "filter", "transformList", "transformList_filter",
                                      "transformMap", "transformMap_filter")},
})

_VISITORS: Mapping[type, Callable[..., Tuple[Any, Fn, Any]]] = types.MappingProxyType({
    _Lit: _Compiler.v_lit, _Ident: _Compiler.v_ident, _Select: _Compiler.v_select, _Index: _Compiler.v_index,
    _ListLit: _Compiler.v_list, _MapLit: _Compiler.v_map, _Cond: _Compiler.v_cond, _Logic: _Compiler.v_logic,
    _Unary: _Compiler.v_unary, _Binary: _Compiler.v_binary, _Call: _Compiler.v_call, _Compr: _Compiler.v_compr,
    _Bind: _Compiler.v_bind,
})


# ---------------------------------------------------------------------------------------------------------------------
# public API


class Program:
    """A compiled CEL expression. Immutable and thread-safe; evaluation state lives in a per-call context."""

    __slots__ = ("expression", "variables", "result_type", "referenced_variables", "_fn", "_nslots", "_var_slots")

    def __init__(self, expression: str, variables: Tuple[str, ...], fn: Fn, nslots: int,
                 var_slots: Mapping[str, int], result_type: Any, referenced: frozenset):
        self.expression = expression
        self.variables = variables
        self.result_type = result_type          # static type (a string such as 'bool', or 'dyn' when unknown)
        self.referenced_variables = referenced  # declared variables the expression actually uses
        self._fn = fn
        self._nslots = nslots
        self._var_slots = dict(var_slots)

    @property
    def references_old_self(self) -> bool:
        """True when the expression uses ``oldSelf``: a Kubernetes transition rule."""
        return "oldSelf" in self.referenced_variables

    @property
    def result_type_name(self) -> str:
        return _tstr(self.result_type)

    def evaluate(self, activation: Optional[Mapping[str, Any]] = None, cost_limit: int = PER_CALL_LIMIT) -> Any:
        """Evaluate against ``activation`` (variable name -> value); raises CELEvalError / CELCostLimitError."""
        return self.evaluate_with_cost(activation, cost_limit)[0]

    def evaluate_with_cost(self, activation: Optional[Mapping[str, Any]] = None,
                           cost_limit: int = PER_CALL_LIMIT) -> Tuple[Any, int]:
        ctx = _Ctx(self._nslots, cost_limit)
        if activation:
            for name, slot in self._var_slots.items():
                if name in activation:
                    ctx.vars[slot] = activation[name]
        try:
            value = self._fn(ctx)
        except RecursionError:
            raise CELEvalError("evaluation exceeded the maximum nesting depth") from None
        if ctx.cost > ctx.limit:
            raise _cost_exceeded()
        return value, ctx.cost

    def __repr__(self) -> str:
        return f"Program({self.expression!r})"


@functools.lru_cache(maxsize=2048)
def _compile_cached(expression: str, variables: Tuple[str, ...],
                    fields: Tuple[Tuple[str, frozenset], ...] = ()) -> Program:
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CELCompileError(f"expression of {len(expression)} code points exceeds the limit of "
                              f"{MAX_EXPRESSION_LENGTH}")
    src = _Source(expression)
    try:
        ast = _Parser(src).parse()
        comp = _Compiler(src, variables, dict(fields))
        rtype, fn, _ = comp.visit(ast, {})
    except RecursionError:
        raise CELCompileError("expression is nested too deeply") from None
    return Program(expression, variables, fn, comp.nslots, comp.var_slots, rtype, frozenset(comp.referenced))


def compile(expression: str, variables: Sequence[str] = ("self", "oldSelf"),  # noqa: A001
            fields: Optional[Mapping[str, Iterable[str]]] = None) -> Program:
    """Parse and check ``expression``; raises :class:`CELCompileError` for anything outside the supported subset.

    ``fields`` declares variables that are objects with a known set of fields (a policy's ``variables``): selecting
    any other field of them is ``undefined field``."""
    if not isinstance(expression, str):
        raise CELCompileError(f"expression must be a string, not {type(expression).__name__}")
    if isinstance(variables, str):
        variables = (variables,)
    for v in variables:
        if not isinstance(v, str) or not _IDENT_RE.fullmatch(v) or v in _KEYWORDS or v in _RESERVED:
            raise CELCompileError(f"invalid variable name {v!r}")
    frozen = tuple(sorted((k, frozenset(v)) for k, v in (fields or {}).items()))
    return _compile_cached(expression, tuple(variables), frozen)


def evaluate(expression: str, activation: Optional[Mapping[str, Any]] = None,
             cost_limit: int = PER_CALL_LIMIT) -> Any:
    """Compile (cached) and evaluate; the declared variables are the activation's keys."""
    names = tuple(sorted(activation or ()))
    return compile(expression, names).evaluate(activation, cost_limit)


# ---------------------------------------------------------------------------------------------------------------------
# Kubernetes CRD validation helpers


_REASONS = ("FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate")


@dataclass(frozen=True)
class CompiledRule:
    rule: str
    message: str
    message_expression: str
    reason: Optional[str]
    field_path: str
    optional_old_self: bool
    program: Optional[Program]             # None for an empty rule (never evaluated)
    message_program: Optional[Program]     # None without messageExpression (or when it does not compile)

    @property
    def is_transition_rule(self) -> bool:
        return self.program is not None and self.program.references_old_self


@dataclass(frozen=True)
class RuleFailure:
    message: str             # the detail, e.g. "failed rule: self.a < self.b"
    reason: Optional[str]    # FieldValueInvalid (None), FieldValueForbidden, FieldValueRequired, FieldValueDuplicate
    field_path: str          # the rule's fieldPath ("" when unset)
    cost: int                # runtime cost consumed (rule + messageExpression)
    budget_exhausted: bool   # True: the cost limit was hit; Kubernetes runs no further rules


def _rule_text(rule: Mapping[str, Any], key: str) -> str:
    v = rule.get(key)
    return v if isinstance(v, str) else ""


def compile_rule(rule: Mapping[str, Any]) -> CompiledRule:
    """Compile a ``x-kubernetes-validations`` entry; raises CELCompileError when ``rule`` (or ``messageExpression``)
    does not compile or does not produce the right type."""
    text = _rule_text(rule, "rule")
    msg_expr = _rule_text(rule, "messageExpression")
    program = None
    if text.strip():
        program = compile(text)
        if program.result_type not in ("bool", _DYN):
            raise CELCompileError("cel expression must evaluate to a bool")
    message_program = None
    if msg_expr.strip():
        try:
            message_program = compile(msg_expr)
        except CELCompileError as e:
            raise CELCompileError(f"messageExpression compilation failed: {e}") from None
        if message_program.result_type not in ("string", _DYN):
            raise CELCompileError("messageExpression must evaluate to a string")
    reason = rule.get("reason")
    return CompiledRule(rule=text, message=_rule_text(rule, "message"), message_expression=msg_expr,
                        reason=reason if isinstance(reason, str) and reason else None,
                        field_path=_rule_text(rule, "fieldPath"),
                        optional_old_self=rule.get("optionalOldSelf") is True,
                        program=program, message_program=message_program)


def rule_definition_errors(rule: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """What Kubernetes checks on a rule at CRD creation: ``[(subfield, message)]`` (empty when valid).

    ``subfield`` is one of rule, message, messageExpression, reason, optionalOldSelf. Schema-dependent checks
    (fieldPath resolution, transition rules under uncorrelatable lists, cost estimates) are the caller's."""
    errs: List[Tuple[str, str]] = []
    text = _rule_text(rule, "rule")
    message = rule.get("message")
    msg_expr = rule.get("messageExpression")
    if not text.strip():
        errs.append(("rule", "rule is not specified"))
    if isinstance(message, str):
        if "\n" in message or "\r" in message:
            errs.append(("message", "message must not contain line breaks"))
        elif message and not message.strip():
            errs.append(("message", "message must be non-empty if specified"))
    if ("\n" in text or "\r" in text) and not (isinstance(message, str) and message.strip()):
        errs.append(("message", "message must be specified if rule contains line breaks"))
    if isinstance(msg_expr, str) and msg_expr and not msg_expr.strip():
        errs.append(("messageExpression", "must be non-empty if specified"))
    reason = rule.get("reason")
    if reason not in (None, "") and reason not in _REASONS:
        errs.append(("reason", f"Unsupported value: {reason!r}: supported values: "
                               + ", ".join(f'"{r}"' for r in _REASONS)))
    program = None
    if text.strip():
        try:
            program = compile(text)
            if program.result_type not in ("bool", _DYN):
                errs.append(("rule", "cel expression must evaluate to a bool"))
        except CELCompileError as e:
            errs.append(("rule", f"compilation failed: {e}"))
    if isinstance(msg_expr, str) and msg_expr.strip():
        try:
            mp = compile(msg_expr)
            if mp.result_type not in ("string", _DYN):
                errs.append(("messageExpression", "must evaluate to a string"))
        except CELCompileError as e:
            errs.append(("messageExpression", f"messageExpression compilation failed: {e}"))
    if rule.get("optionalOldSelf") is True and program is not None and not program.references_old_self:
        errs.append(("optionalOldSelf", "may not be set if rule does not use oldSelf"))
    return errs


def _rule_error_string(cr: CompiledRule) -> str:
    return cr.message.strip() if cr.message else cr.rule.strip()


def evaluate_rule_detailed(rule: Mapping[str, Any], self_value: Any, old_value: Any, has_old: bool, *,
                           schema: Optional[Mapping[str, Any]] = None, cost_limit: int = PER_CALL_LIMIT,
                           is_root: bool = False) -> Optional[RuleFailure]:
    """Evaluate one validation rule the way apiextensions-apiserver does; None when it holds or is skipped.

    * ``self_value``/``old_value`` are CEL-typed values (ints for ``integer``, floats for ``number``, dicts, lists,
      ...); pass ``schema`` (the rule's schema node) to convert raw JSON with Kubernetes' typing instead
      (see :func:`value_from_json`).
    * a rule referencing ``oldSelf`` (a transition rule) is skipped without an old value, unless
      ``optionalOldSelf`` is true: then ``oldSelf`` is an optional (``optional.none()`` on create).
    * on failure the message is ``messageExpression`` (when it compiles and yields a non-empty single-line string
      of at most 5 KiB, trimmed), else ``message``, else ``failed rule: <rule>``.
    * runtime errors yield ``<error> evaluating rule: <rule or message>``; a compile error yields
      ``rule compile error: ...``.
    """
    if schema is not None:
        self_value = value_from_json(self_value, schema, is_root=is_root)
        if has_old:
            old_value = value_from_json(old_value, schema, is_root=is_root)
    try:
        cr = compile_rule(rule)
    except CELCompileError as e:
        text = str(e)
        if not text.startswith(("cel expression", "messageExpression")):
            text = f"compilation failed: {text}"
        return RuleFailure(f"rule compile error: {text}", None, _rule_text(rule, "fieldPath"), 0, False)
    if cr.program is None:
        return None
    if cr.is_transition_rule and not has_old and not cr.optional_old_self:
        return None
    activation: Dict[str, Any] = {"self": self_value}
    if has_old:
        activation["oldSelf"] = old_value
    rule_activation = activation
    if cr.optional_old_self:
        rule_activation = {"self": self_value,
                           "oldSelf": OptionalValue(True, old_value) if has_old else _OPT_NONE}
    res = _rule_error_string(cr)
    try:
        result, cost = cr.program.evaluate_with_cost(rule_activation, cost_limit)
    except CELCostLimitError as e:
        return RuleFailure(f"'{e}': no further validation rules will be run due to call cost exceeds limit for "
                           f"rule: {res}", None, "", cost_limit, True)
    except CELEvalError as e:
        text = str(e)
        if text.startswith("no such overload"):
            detail = (f"'{text}': call arguments did not match a supported operator, function or macro signature "
                      f"for rule: {res}")
        else:
            detail = f"{text} evaluating rule: {res}"
        return RuleFailure(detail, None, "", 0, False)
    if result is True:
        return None
    if result is not False:
        return RuleFailure(f"rule evaluated to a {_type_name(result)}, not a bool, evaluating rule: {res}", None, "",
                           cost, False)
    detail = None
    if cr.message_program is not None:
        try:
            msg, mcost = cr.message_program.evaluate_with_cost(activation, max(0, cost_limit - cost))
            cost += mcost
        except CELCostLimitError:
            return RuleFailure("messageExpression evaluation failed due to running out of cost budget, no further "
                               "validation rules will be run", cr.reason, cr.field_path, cost_limit, True)
        except CELEvalError:
            msg = None
        if type(msg) is str:
            msg = msg.strip()
            if msg and "\n" not in msg and len(msg.encode("utf-8")) <= MAX_EVALUATED_MESSAGE_EXPRESSION_SIZE:
                detail = msg
    if detail is None:
        detail = cr.message.strip() if cr.message else f"failed rule: {cr.rule.strip()}"
    return RuleFailure(detail, cr.reason, cr.field_path, cost, False)


def evaluate_rule(rule: Mapping[str, Any], self_value: Any, old_value: Any, has_old: bool, *,
                  schema: Optional[Mapping[str, Any]] = None, cost_limit: int = PER_CALL_LIMIT,
                  is_root: bool = False) -> Optional[str]:
    """The failure message of one ``x-kubernetes-validations`` rule, or None when it holds (or is a transition
    rule without an old value). See :func:`evaluate_rule_detailed`."""
    failure = evaluate_rule_detailed(rule, self_value, old_value, has_old, schema=schema, cost_limit=cost_limit,
                                     is_root=is_root)
    return None if failure is None else failure.message


def format_rule_error(field_path: str, schema_type: str, message: str, reason: Optional[str] = None) -> str:
    """The Kubernetes field error text: ``spec: Invalid value: "object": <message>`` (or Forbidden/Required/...)."""
    path = field_path or "<nil>"
    if reason == "FieldValueForbidden":
        return f"{path}: Forbidden: {message}"
    if reason == "FieldValueRequired":
        return f"{path}: Required value: {message}"
    if reason == "FieldValueDuplicate":
        return f'{path}: Duplicate value: "{schema_type}"'
    return f'{path}: Invalid value: "{schema_type}": {message}'


# -- property name escaping (k8s.io/apiserver/pkg/cel/escaping.go)

_CEL_RESERVED_SYMBOLS = _KEYWORDS | _RESERVED
_ESCAPE_RE = re.compile(r"__|[-./]|[^a-zA-Z0-9\-./_]")
_UNESCAPE_RE = re.compile(r"__[^_]+__")


def escape_property_name(name: str) -> Optional[str]:
    """The CEL field name of an object property (``namespace`` -> ``__namespace__``, ``a-b`` -> ``a__dash__b``),
    or None when the property is not accessible from CEL."""
    if not name or name[0].isdigit():
        return None
    if name in _CEL_RESERVED_SYMBOLS:
        return f"__{name}__"
    ok = True

    def repl(m: re.Match) -> str:
        nonlocal ok
        s = m.group(0)
        r = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}.get(s)
        if r is None:
            ok = False
            return ""
        return r
    out = _ESCAPE_RE.sub(repl, name)
    return out if ok else None


def unescape_property_name(name: str) -> Optional[str]:
    ok = True

    def repl(m: re.Match) -> str:
        nonlocal ok
        s = m.group(0)
        inner = s[2:-2]
        r = {"underscores": "__", "dot": ".", "dash": "-", "slash": "/"}.get(inner)
        if r is not None:
            return r
        if inner in _CEL_RESERVED_SYMBOLS:
            if len(s) != len(name):
                ok = False
            return inner
        ok = False
        return ""
    out = _UNESCAPE_RE.sub(repl, name)
    return out if ok else None


def _parse_k8s_duration(s: str) -> Optional[Duration]:
    try:
        return Duration(_parse_go_duration(s))
    except (ValueError, CELEvalError):
        pass
    # strfmt.ParseDuration also accepts "<n> <unit>" sequences with day/week units
    units = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10 ** 6, "s": _NS, "sec": _NS, "m": 60 * _NS, "min": 60 * _NS,
             "h": 3600 * _NS, "hr": 3600 * _NS, "d": 86400 * _NS, "day": 86400 * _NS, "w": 7 * 86400 * _NS,
             "wk": 7 * 86400 * _NS}
    total, pos = 0, 0
    for m in re.finditer(r"\s*(\d+)\s*([A-Za-zµ]+)", s):
        if m.start() != pos:
            return None
        unit = m.group(2).lower()
        if unit.endswith("s") and unit[:-1] in units and unit not in units:
            unit = unit[:-1]
        if unit not in units:
            return None
        total += int(m.group(1)) * units[unit]
        pos = m.end()
    if pos == 0 or s[pos:].strip():
        return None
    try:
        return Duration(total)
    except CELEvalError:
        return None


def value_from_json(value: Any, schema: Optional[Mapping[str, Any]], *, is_root: bool = False) -> Any:
    """Convert a JSON value to its CEL value under a structural schema, the way Kubernetes binds ``self``:

    * ``integer`` -> int, ``number`` -> double (also for JSON integers), ``boolean``, ``string``;
    * ``string`` with format ``duration`` -> Duration, ``date``/``date-time`` -> Timestamp, ``byte`` -> bytes;
    * objects with ``properties`` -> :class:`ObjectValue` keyed by escaped property names (``__namespace__``),
      null-valued properties absent (``has()`` is false); undeclared fields are not visible but still count for
      equality; at the resource root (``is_root``) and for embedded resources ``apiVersion``, ``kind`` and
      ``metadata.name``/``metadata.generateName`` are visible;
    * objects with ``additionalProperties`` -> dict (keys verbatim);
    * arrays -> list, :class:`SetList` (``x-kubernetes-list-type: set``) or :class:`MapList` (``map``);
    * ``x-kubernetes-int-or-string`` and schemaless values pass through (JSON numbers: int or float).
    """
    if value is None:
        return None
    if not isinstance(schema, Mapping):
        return _plain_json(value)
    if schema.get("x-kubernetes-int-or-string"):
        return value
    typ = schema.get("type")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    if isinstance(value, dict) and (typ == "object" or (typ is None and (schema.get("properties") or embedded))):
        props = schema.get("properties")
        if props is not None or embedded or is_root:
            props = dict(props or {})
            if embedded or is_root:
                props.setdefault("apiVersion", {"type": "string"})
                props.setdefault("kind", {"type": "string"})
                props["metadata"] = {"type": "object", "properties": {"name": {"type": "string"},
                                                                      "generateName": {"type": "string"}}}
            visible: Dict[str, Any] = {}
            hidden: Dict[str, Any] = {}
            for k, v in value.items():
                esc = escape_property_name(k) if k in props else None
                if esc is None:
                    hidden[k] = v
                elif v is not None:
                    visible[esc] = value_from_json(v, props[k])
            return ObjectValue(visible, hidden)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            return {k: value_from_json(v, extra) for k, v in value.items()}
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return ObjectValue({}, value)
        return _plain_json(value)
    if isinstance(value, list) and (typ == "array" or typ is None):
        items = schema.get("items")
        conv = [value_from_json(v, items if isinstance(items, Mapping) else None) for v in value]
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            return SetList(conv)
        if list_type == "map":
            keys = [escape_property_name(k) or k for k in schema.get("x-kubernetes-list-map-keys") or ()]
            return MapList(conv, keys)
        return conv
    if typ == "number" and type(value) is int:
        return float(value)
    if typ == "string" and isinstance(value, str):
        fmt = schema.get("format")
        if fmt == "duration":
            d = _parse_k8s_duration(value)
            return d if d is not None else value
        if fmt in ("date", "date-time"):
            try:
                if fmt == "date":
                    return Timestamp(_parse_rfc3339(value + "T00:00:00Z"))
                return Timestamp(_parse_rfc3339(value, lenient=True))
            except (ValueError, CELEvalError):
                return value
        if fmt == "byte":
            import base64
            import binascii
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return value
    return _plain_json(value)


def _plain_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    return value
