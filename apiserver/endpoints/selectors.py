"""Label and field selectors with the semantics and error messages of k8s.io/apimachinery.

Ported from upstream (read at apimachinery master, v0.37 line; ``AM`` = k8s.io/apimachinery):

* label selectors: ``AM pkg/labels/selector.go`` (lexer, parser, ``NewRequirement``, ``Matches``, ``String``),
  key and value validation from ``AM pkg/api/validate/content`` (``IsLabelKey``, ``IsLabelValue``,
  ``IsDNS1123Subdomain``), error rendering from ``AM pkg/util/validation/field`` and ``AM pkg/util/errors``;
* ``metav1.LabelSelector`` objects: ``LabelSelectorAsSelector`` in ``AM pkg/apis/meta/v1/helpers.go``;
* field selectors: ``AM pkg/fields/selector.go`` (``ParseSelector``, escaping, ``Transform``);
* unsupported field labels: ``DefaultMetaV1FieldSelectorConversion`` in ``AM pkg/runtime/conversion.go`` (kinds
  without their own conversion function) and the per-kind conversion functions of k8s.io/kubernetes
  (``pkg/apis/core/v1/conversion.go``) and of CRDs (apiextensions-apiserver ``crConverter.ConvertFieldLabel``).

kube-apiserver answers a bad ``?labelSelector=`` or ``?fieldSelector=`` with a 400 ``BadRequest`` Status whose
message is the parse error verbatim (``NewBadRequest(err.Error())`` after ``DecodeParameters``; the label selector is
converted before the field selector, so it is reported first). :class:`SelectorError` carries exactly that message.

Version notes: since apimachinery v0.35 (Kubernetes 1.35) length errors say ``must be no more than 63 bytes`` (before:
``63 characters``) and a key with several ``/`` says ``a valid label key must consist of ...`` (before: ``a qualified
name must consist of ...``). Before 1.21 label errors were ``invalid label key "k": ...`` / ``invalid label value:
"v": at key: "k": ...``; they are field errors now (``values[0][k]: Invalid value: "v": ...``). This module follows
the current form. Lengths are counted in UTF-8 bytes, as Go does. Go's lexer reads bytes and treats a NUL byte like
the end of the input; that is reproduced. Requirements are ordered by key with a stable sort (Go's ``sort.Sort`` is
only stable below 13 elements; the order of equal keys beyond that is unspecified upstream anyway).
"""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Callable, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

__all__ = [
    "SelectorError",
    "Requirement",
    "LabelSelector",
    "FieldRequirement",
    "FieldSelector",
    "parse_label_selector",
    "new_requirement",
    "label_selector_from_object",
    "label_selector_from_set",
    "parse_field_selector",
    "escape_field_value",
    "unescape_field_value",
    "check_fields",
    "field_label_not_supported",
    "unknown_field_selector",
    "validate_label_key",
    "validate_label_value",
    "go_quote",
    "IN", "NOT_IN", "EQUALS", "DOUBLE_EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "EXISTS",
    "DOES_NOT_EXIST", "DEFAULT_SELECTABLE_FIELDS",
]


class SelectorError(ValueError):
    """A selector that cannot be parsed or converted; ``str(err)`` is upstream's error message."""

    @property
    def message(self) -> str:
        return str(self)


# ---------------------------------------------------------------------------------------------------------------
# Go formatting helpers: %q (strconv.Quote) and encoding/json for []string values in field errors.

_GO_SHORT_ESCAPES = MappingProxyType({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                                      "\t": "\\t", "\v": "\\v"})


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (what ``%q`` prints): printable runes as they are, the rest escaped."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x20 or o == 0x7F:
            out.append(_GO_SHORT_ESCAPES.get(ch) or f"\\x{o:02x}")
        elif 0xD800 <= o <= 0xDFFF:  # a lone surrogate is invalid UTF-8 to Go: each byte escaped
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        elif ch.isprintable():
            out.append(ch)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _go_json(value) -> str:
    """encoding/json.Marshal of a string or []string (nil → null), with Go's HTML-safe escaping."""
    if value is None:
        return "null"
    if isinstance(value, str):
        value = _json_safe(value)
    else:
        value = [_json_safe(v) for v in value]
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any(c in text for c in "<>&\u2028\u2029"):
        text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return text


def _json_safe(s: str) -> str:
    # Go's encoder writes invalid UTF-8 (here: lone surrogates) as U+FFFD.
    return re.sub("[\ud800-\udfff]", "\ufffd", s) if not s.isascii() else s


def _byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


# field.Error rendering: "<field>: <Type>: <value>: <detail>" (AM pkg/util/validation/field/errors.go).

def _invalid(path: str, value_repr: str, detail: str) -> str:
    return f"{path}: Invalid value: {value_repr}: {detail}" if detail else f"{path}: Invalid value: {value_repr}"


def _aggregate(errors: Sequence[str]) -> str:
    """``ErrorList.ToAggregate().Error()``: duplicates dropped, one error bare, several as ``[a, b]``."""
    unique: List[str] = []
    for e in errors:
        if e not in unique:
            unique.append(e)
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _child(path: Optional[str], name: str) -> str:
    return name if path is None else f"{path}.{name}"


def _path_str(path: Optional[str]) -> str:
    return "<nil>" if path is None else path


# ---------------------------------------------------------------------------------------------------------------
# Label key and value validation (AM pkg/api/validate/content/kube.go, dns.go, errors.go).

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', "
                  "and must start and end with an alphanumeric character")
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_ERR = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
_LABEL_MAX = 63
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                          "'-' or '.', and must start and end with an alphanumeric character")
_DNS1123_SUBDOMAIN_MAX = 253
_LABEL_KEY_RE = re.compile(_LABEL_KEY_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} bytes"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    return msg + " (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{fmt}')"


def _is_dns1123_subdomain(value: str) -> List[str]:
    errs = []
    if _byte_len(value) > _DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def validate_label_key(key: str) -> List[str]:
    """``content.IsLabelKey``: the problems with a label key (an empty list when it is valid)."""
    if _LABEL_KEY_RE.fullmatch(key) and len(key) <= _LABEL_MAX:  # the common case, quickly
        return []
    errs: List[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in _is_dns1123_subdomain(prefix))
    else:
        return ["a valid label key " + _regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif _byte_len(name) > _LABEL_MAX:
        errs.append("name part " + _max_len_error(_LABEL_MAX))
    if not _LABEL_KEY_RE.fullmatch(name):
        errs.append("name part " + _regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc"))
    return errs


def validate_label_value(value: str) -> List[str]:
    """``content.IsLabelValue``: the problems with a label value (an empty list when it is valid)."""
    errs = []
    if _byte_len(value) > _LABEL_MAX:
        errs.append(_max_len_error(_LABEL_MAX))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(_regex_error(_LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _label_key_error(key: str, path: str) -> Optional[str]:
    errs = validate_label_key(key)
    return _invalid(path, go_quote(key), "; ".join(errs)) if errs else None


def _label_value_error(key: str, value: str, path: str) -> Optional[str]:
    errs = validate_label_value(value)
    return _invalid(f"{path}[{key}]", go_quote(value), "; ".join(errs)) if errs else None


_INT64_RE = re.compile(r"[+-]?[0-9]+")


def _parse_int64(s) -> Optional[int]:
    """``strconv.ParseInt(s, 10, 64)``, None where Go reports an error."""
    if not isinstance(s, str) or not _INT64_RE.fullmatch(s):
        return None
    n = int(s)
    return n if -(1 << 63) <= n < (1 << 63) else None


# ---------------------------------------------------------------------------------------------------------------
# Label requirements and selectors.

# selection.Operator values (AM pkg/selection/operator.go).
DOES_NOT_EXIST = "!"
EQUALS = "="
DOUBLE_EQUALS = "=="
IN = "in"
NOT_EQUALS = "!="
NOT_IN = "notin"
EXISTS = "exists"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_VALID_OPERATORS = _BINARY_OPERATORS + (EXISTS, DOES_NOT_EXIST)
_OP_TEXT = MappingProxyType({EQUALS: "=", DOUBLE_EQUALS: "==", NOT_EQUALS: "!=", IN: " in ", NOT_IN: " notin ",
                             GREATER_THAN: ">", LESS_THAN: "<"})

# Compiled forms used by LabelSelector.matches.
_M_IN, _M_NOT_IN, _M_EXISTS, _M_ABSENT, _M_GT, _M_LT, _M_NEVER = range(7)
_MISSING = object()


class Requirement:
    """One label requirement: ``key``, ``operator`` (a selection operator such as ``"in"`` or ``"!"``), ``values``.

    Built unvalidated, like a Go struct literal; :func:`new_requirement` validates as ``NewRequirement`` does.
    """

    __slots__ = ("key", "operator", "values", "_plan")

    def __init__(self, key: str, operator: str, values: Iterable[str] = ()):
        self.key = key
        self.operator = operator
        self.values: Tuple[str, ...] = tuple(values)
        self._plan = self._compile()

    def _compile(self) -> Tuple[str, int, object]:
        op, vals = self.operator, self.values
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return (self.key, _M_IN, frozenset(vals))
        if op in (NOT_IN, NOT_EQUALS):
            return (self.key, _M_NOT_IN, frozenset(vals))
        if op == EXISTS:
            return (self.key, _M_EXISTS, None)
        if op == DOES_NOT_EXIST:
            return (self.key, _M_ABSENT, None)
        if op in (GREATER_THAN, LESS_THAN):
            bound = _parse_int64(vals[0]) if len(vals) == 1 else None
            if bound is None:
                return (self.key, _M_NEVER, None)
            return (self.key, _M_GT if op == GREATER_THAN else _M_LT, bound)
        return (self.key, _M_NEVER, None)

    def matches(self, labels: Optional[Mapping[str, str]]) -> bool:
        return _matches_plan((self._plan,), labels or {})

    def __str__(self) -> str:
        op = self.operator
        head = ("!" if op == DOES_NOT_EXIST else "") + self.key
        if op in (EXISTS, DOES_NOT_EXIST):
            return head
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (IN, NOT_IN):
            return f"{head}{_OP_TEXT[op]}({values})"
        return head + _OP_TEXT.get(op, "") + values

    def __repr__(self) -> str:
        return f"Requirement({self.key!r}, {self.operator!r}, {list(self.values)!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Requirement):
            return NotImplemented
        return (self.key, self.operator, self.values) == (other.key, other.operator, other.values)

    def __hash__(self) -> int:
        return hash((self.key, self.operator, self.values))


def _matches_plan(plan, labels: Mapping[str, str]) -> bool:
    for key, kind, payload in plan:
        value = labels.get(key, _MISSING)
        if kind == _M_IN:
            if value is _MISSING or value not in payload:
                return False
        elif kind == _M_NOT_IN:
            if value is not _MISSING and value in payload:
                return False
        elif kind == _M_EXISTS:
            if value is _MISSING:
                return False
        elif kind == _M_ABSENT:
            if value is not _MISSING:
                return False
        elif kind == _M_GT or kind == _M_LT:
            if value is _MISSING:
                return False
            number = _parse_int64(value)
            if number is None or not (number > payload if kind == _M_GT else number < payload):
                return False
        else:
            return False
    return True


def new_requirement(key: str, operator: str, values: Optional[Sequence[str]] = (), *,
                    path: Optional[str] = None) -> Requirement:
    """``labels.NewRequirement``: validate and build a requirement, or raise :class:`SelectorError`.

    ``values=None`` stands for a Go nil slice (rendered ``null`` in errors), ``()``/``[]`` for an empty one.
    ``path`` is the field path prefix of the errors (upstream's ``field.WithPath``); None means no path.
    """
    vals = list(values) if values is not None else []
    shown = None if values is None else vals
    errs: List[str] = []
    key_error = _label_key_error(key, _child(path, "key"))
    if key_error:
        errs.append(key_error)
    value_path = _child(path, "values")
    if operator in (IN, NOT_IN):
        if not vals:
            errs.append(_invalid(value_path, _go_json(shown),
                                 "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            errs.append(_invalid(value_path, _go_json(shown), "exact-match compatibility requires one single value"))
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            errs.append(_invalid(value_path, _go_json(shown),
                                 "values set must be empty for exists and does not exist"))
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            errs.append(_invalid(value_path, _go_json(shown),
                                 "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(vals):
            if _parse_int64(v) is None:
                errs.append(_invalid(f"{value_path}[{i}]", go_quote(v),
                                     "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        supported = ", ".join(go_quote(o) for o in _VALID_OPERATORS)
        errs.append(f"{_child(path, 'operator')}: Unsupported value: {_go_json(operator)}: "
                    f"supported values: {supported}")
    for i, v in enumerate(vals):
        value_error = _label_value_error(key, v, f"{value_path}[{i}]")
        if value_error:
            errs.append(value_error)
    if errs:
        raise SelectorError(_aggregate(errs))
    return Requirement(key, operator, vals)


class LabelSelector:
    """A label selector: the AND of its requirements, kept sorted by key (``labels.Selector``).

    ``LabelSelector()`` is ``labels.Everything()``; ``LabelSelector.nothing()`` is ``labels.Nothing()`` (matches no
    object, is not empty, prints as ``""``).
    """

    __slots__ = ("_requirements", "_nothing", "_plan")

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False):
        reqs = () if nothing else tuple(sorted(requirements, key=lambda r: r.key))
        self._requirements: Tuple[Requirement, ...] = reqs
        self._nothing = nothing
        self._plan = tuple(r._plan for r in reqs)

    @classmethod
    def everything(cls) -> LabelSelector:
        return cls()

    @classmethod
    def nothing(cls) -> LabelSelector:
        return cls(nothing=True)

    @property
    def requirements(self) -> Tuple[Requirement, ...]:
        return self._requirements

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict the selection (``Empty()``)."""
        return not self._nothing and not self._requirements

    @property
    def matches_nothing(self) -> bool:
        """``labels.MatchesNothing``: only the Nothing selector (conflicting requirements are not detected)."""
        return self._nothing

    def matches(self, labels: Optional[Mapping[str, str]]) -> bool:
        if self._nothing:
            return False
        return _matches_plan(self._plan, labels or {})

    def requires_exact_match(self, key: str) -> Optional[str]:
        """The single value ``key`` must have (from ``=``, ``==`` or a one-value ``in``), else None.

        Like upstream, only the first requirement on ``key`` is looked at.
        """
        for r in self._requirements:
            if r.key == key:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def add(self, *requirements: Requirement) -> LabelSelector:
        if self._nothing:
            return self
        return LabelSelector(self._requirements + requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._requirements)

    def __repr__(self) -> str:
        if self._nothing:
            return "LabelSelector.nothing()"
        return f"LabelSelector({str(self)!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return self._nothing == other._nothing and self._requirements == other._requirements

    def __hash__(self) -> int:
        return hash((self._nothing, self._requirements))


# Lexer tokens (AM pkg/labels/selector.go).
(_T_ERROR, _T_EOS, _T_CLOSED_PAR, _T_COMMA, _T_DOES_NOT_EXIST, _T_DOUBLE_EQUALS, _T_EQUALS, _T_GREATER_THAN,
 _T_IDENTIFIER, _T_IN, _T_LESS_THAN, _T_NOT_EQUALS, _T_NOT_IN, _T_OPEN_PAR) = range(14)
_STRING_TO_TOKEN = MappingProxyType({
    ")": _T_CLOSED_PAR, ",": _T_COMMA, "!": _T_DOES_NOT_EXIST, "==": _T_DOUBLE_EQUALS, "=": _T_EQUALS,
    ">": _T_GREATER_THAN, "in": _T_IN, "<": _T_LESS_THAN, "!=": _T_NOT_EQUALS, "notin": _T_NOT_IN, "(": _T_OPEN_PAR,
})
_TOKEN_TO_OPERATOR = MappingProxyType({
    _T_IN: IN, _T_EQUALS: EQUALS, _T_DOUBLE_EQUALS: DOUBLE_EQUALS, _T_GREATER_THAN: GREATER_THAN,
    _T_LESS_THAN: LESS_THAN, _T_NOT_IN: NOT_IN, _T_NOT_EQUALS: NOT_EQUALS,
})
_WHITESPACE = frozenset(" \t\r\n")
_SPECIAL = frozenset("=!(),><")
_END = "\0"  # Go's Lexer.read() returns 0 both at the end and for a NUL byte
_KEY_AND_OPERATOR, _VALUES = 0, 1


def _lex(s: str) -> List[Tuple[int, str]]:
    """Scan the whole input into (token, literal) pairs ending with end-of-string, as ``Parser.scan`` does."""
    n = len(s)
    pos = 0
    items: List[Tuple[int, str]] = []
    while True:
        ch = s[pos] if pos < n else _END
        pos += pos < n
        while ch in _WHITESPACE:
            ch = s[pos] if pos < n else _END
            pos += pos < n
        if ch == _END:
            items.append((_T_EOS, ""))
            return items
        pos -= 1
        buffer: List[str] = []
        if ch in _SPECIAL:  # scanSpecialSymbol: the longest run that still forms a token
            last: Optional[Tuple[int, str]] = None
            while True:
                ch = s[pos] if pos < n else _END
                pos += pos < n
                if ch == _END:
                    break
                if ch in _SPECIAL:
                    buffer.append(ch)
                    text = "".join(buffer)
                    token = _STRING_TO_TOKEN.get(text)
                    if token is not None:
                        last = (token, text)
                    elif last is not None:
                        pos -= 1
                        break
                else:
                    pos -= 1
                    break
            items.append(last if last is not None
                         else (_T_ERROR, "error expected: keyword found '" + "".join(buffer) + "'"))
        else:  # scanIDOrKeyword
            while True:
                ch = s[pos] if pos < n else _END
                pos += pos < n
                if ch == _END:
                    break
                if ch in _SPECIAL or ch in _WHITESPACE:
                    pos -= 1
                    break
                buffer.append(ch)
            text = "".join(buffer)
            items.append((_STRING_TO_TOKEN.get(text, _T_IDENTIFIER), text))


class _LabelParser:
    def __init__(self, text: str, path: Optional[str]):
        self.items = _lex(text)
        self.position = 0
        self.path = path

    def lookahead(self, context: int) -> Tuple[int, str]:
        tok, lit = self.items[min(self.position, len(self.items) - 1)]
        if context == _VALUES and tok in (_T_IN, _T_NOT_IN):
            tok = _T_IDENTIFIER
        return tok, lit

    def consume(self, context: int) -> Tuple[int, str]:
        result = self.lookahead(context)
        self.position += 1
        return result

    def parse(self) -> List[Requirement]:
        requirements: List[Requirement] = []
        while True:
            tok, lit = self.lookahead(_VALUES)
            if tok in (_T_IDENTIFIER, _T_DOES_NOT_EXIST):
                try:
                    requirements.append(self.parse_requirement())
                except SelectorError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                tok, lit = self.consume(_VALUES)
                if tok == _T_EOS:
                    return requirements
                if tok == _T_COMMA:
                    tok2, lit2 = self.lookahead(_VALUES)
                    if tok2 not in (_T_IDENTIFIER, _T_DOES_NOT_EXIST):
                        raise SelectorError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _T_EOS:
                return requirements
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, operator, [], path=self.path)
        operator = self.parse_operator()
        values = self.parse_values() if operator in (IN, NOT_IN) else self.parse_exact_value()
        return new_requirement(key, operator, sorted(values), path=self.path)

    def parse_key_and_infer_operator(self) -> Tuple[str, str]:
        operator = ""
        tok, literal = self.consume(_VALUES)
        if tok == _T_DOES_NOT_EXIST:
            operator = DOES_NOT_EXIST
            tok, literal = self.consume(_VALUES)
        if tok != _T_IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        key_error = _label_key_error(literal, _path_str(self.path))
        if key_error:
            raise SelectorError(key_error)
        if self.lookahead(_VALUES)[0] in (_T_EOS, _T_COMMA) and operator != DOES_NOT_EXIST:
            operator = EXISTS
        return literal, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(_KEY_AND_OPERATOR)
        operator = _TOKEN_TO_OPERATOR.get(tok)
        if operator is None:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return operator

    def parse_values(self) -> Set[str]:
        tok, lit = self.consume(_VALUES)
        if tok != _T_OPEN_PAR:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(_VALUES)
        if tok in (_T_IDENTIFIER, _T_COMMA):
            values = self.parse_identifiers_list()
            if self.consume(_VALUES)[0] != _T_CLOSED_PAR:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == _T_CLOSED_PAR:  # "()"
            self.consume(_VALUES)
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> Set[str]:
        values: Set[str] = set()
        while True:
            tok, lit = self.consume(_VALUES)
            if tok == _T_IDENTIFIER:
                values.add(lit)
                tok2, lit2 = self.lookahead(_VALUES)
                if tok2 == _T_COMMA:
                    continue
                if tok2 == _T_CLOSED_PAR:
                    return values
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _T_COMMA:  # "(," ",," and ",)" each stand for an empty value
                if not values:
                    values.add("")
                tok2 = self.lookahead(_VALUES)[0]
                if tok2 == _T_CLOSED_PAR:
                    values.add("")
                    return values
                if tok2 == _T_COMMA:
                    values.add("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> Set[str]:
        if self.lookahead(_VALUES)[0] in (_T_EOS, _T_COMMA):
            return {""}
        tok, lit = self.consume(_VALUES)
        if tok == _T_IDENTIFIER:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str, *, path: Optional[str] = None) -> LabelSelector:
    """``labels.Parse``: the ``?labelSelector=`` syntax. The empty string selects everything.

    ``<requirement>[,<requirement>...]`` with ``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``,
    ``key in (a,b)``, ``key notin (a,b)``, ``key>n``, ``key<n``. Raises :class:`SelectorError`.
    """
    return LabelSelector(_LabelParser(text, path).parse())


# metav1.LabelSelectorOperator → selection.Operator
_OBJECT_OPERATORS = MappingProxyType({"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST})


def label_selector_from_object(obj: Optional[Mapping]) -> LabelSelector:
    """``metav1.LabelSelectorAsSelector``: a ``{"matchLabels": …, "matchExpressions": […]}`` object.

    None (a nil selector) selects nothing; an object without labels or expressions selects everything.
    ``matchLabels`` are checked in key order (Go visits its map in random order, so which of several bad entries is
    reported is not fixed upstream). Malformed JSON shapes raise :class:`SelectorError` with a message of our own.
    """
    if obj is None:
        return LabelSelector.nothing()
    if not isinstance(obj, Mapping):
        raise SelectorError("label selector must be an object")
    match_labels = obj.get("matchLabels")
    match_expressions = obj.get("matchExpressions")
    match_labels = {} if match_labels is None else match_labels
    match_expressions = [] if match_expressions is None else match_expressions
    if not isinstance(match_labels, Mapping) or not isinstance(match_expressions, list):
        raise SelectorError("label selector: matchLabels must be an object and matchExpressions a list")
    if not match_labels and not match_expressions:
        return LabelSelector.everything()
    requirements = []
    for key in sorted(match_labels):
        value = match_labels[key]
        if not isinstance(key, str) or not isinstance(value, str):
            raise SelectorError("label selector: matchLabels keys and values must be strings")
        requirements.append(new_requirement(key, EQUALS, [value]))
    for expr in match_expressions:
        if not isinstance(expr, Mapping):
            raise SelectorError("label selector: each matchExpressions entry must be an object")
        key, op, values = expr.get("key") or "", expr.get("operator") or "", expr.get("values")
        if not isinstance(key, str) or not isinstance(op, str) or not (
                values is None or (isinstance(values, list) and all(isinstance(v, str) for v in values))):
            raise SelectorError("label selector: key and operator must be strings and values a list of strings")
        operator = _OBJECT_OPERATORS.get(op)
        if operator is None:
            raise SelectorError(f"{go_quote(op)} is not a valid label selector operator")
        # append([]string(nil), expr.Values...) is nil when there are no values: shown as null in errors.
        requirements.append(new_requirement(key, operator, list(values) if values else None))
    return LabelSelector(requirements)


def label_selector_from_set(labels: Optional[Mapping[str, str]], *, validate: bool = False) -> LabelSelector:
    """``labels.SelectorFromSet`` (or ``ValidatedSelectorFromSet`` with ``validate``): ``k=v`` for every entry.

    None and ``{}`` select everything (a ReplicationController's ``spec.selector`` map, for instance).
    """
    if not labels:
        return LabelSelector.everything()
    if validate:
        return LabelSelector(new_requirement(k, EQUALS, [v]) for k, v in sorted(labels.items()))
    return LabelSelector(Requirement(k, EQUALS, (v,)) for k, v in sorted(labels.items()))


# ---------------------------------------------------------------------------------------------------------------
# Field selectors (AM pkg/fields/selector.go).

class FieldRequirement(NamedTuple):
    """One field selector term; ``operator`` is ``"="`` (from ``=`` or ``==``) or ``"!="``."""

    field: str
    operator: str
    value: str


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """``fields.UnescapeValue``: undo :func:`escape_field_value`; raise on a bad escape or a bare ``,``/``=``."""
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    out: List[str] = []
    in_slash = False
    for c in value:
        if in_slash:
            if c not in ("\\", ",", "="):
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == "," or c == "=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(selector: str) -> List[str]:
    """Split on commas that are not backslash-escaped; escapes stay in the terms."""
    if not selector:
        return []
    terms = []
    start = 0
    in_slash = False
    for i, c in enumerate(selector):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return terms


def _split_term(term: str) -> Optional[Tuple[str, str, str]]:
    """Split at the first ``!=``, ``==`` or ``=`` (no escaping on the left-hand side)."""
    for i, c in enumerate(term):
        if c == "=":
            op = "==" if term.startswith("==", i) else "="
            return term[:i], op, term[i + len(op):]
        if c == "!" and term.startswith("!=", i):
            return term[:i], "!=", term[i + 2:]
    return None


class FieldSelector:
    """A field selector: the AND of ``field=value`` / ``field!=value`` terms (``fields.Selector``).

    A missing field compares as the empty string, as ``fields.Set.Get`` does.
    """

    __slots__ = ("_terms", "_nothing")

    def __init__(self, requirements: Iterable[Tuple[str, str, str]] = (), *, nothing: bool = False):
        terms = []
        for field, op, value in requirements:
            if op in ("=", "=="):
                op = "="
            elif op != "!=":  # not reachable from parsing; our own message
                raise SelectorError(f"invalid field selector operator: {op}")
            terms.append(FieldRequirement(field, op, value))
        self._terms: Tuple[FieldRequirement, ...] = () if nothing else tuple(terms)
        self._nothing = nothing

    @classmethod
    def everything(cls) -> FieldSelector:
        return cls()

    @classmethod
    def nothing(cls) -> FieldSelector:
        return cls(nothing=True)

    @classmethod
    def one_term_equal(cls, field: str, value: str) -> FieldSelector:
        """``fields.OneTermEqualSelector``, e.g. ``metadata.name=<name>`` for a GET/watch of one object."""
        return cls([(field, "=", value)])

    @property
    def requirements(self) -> List[FieldRequirement]:
        return list(self._terms)

    @property
    def empty(self) -> bool:
        return not self._nothing and not self._terms

    def fields(self) -> Set[str]:
        return {t.field for t in self._terms}

    def matches(self, fields: Optional[Mapping[str, str]]) -> bool:
        if self._nothing:
            return False
        if fields is None:
            fields = {}
        for field, op, value in self._terms:
            if (fields.get(field, "") == value) != (op == "="):
                return False
        return True

    def requires_exact_match(self, field: str) -> Optional[str]:
        """The value of the first ``field=value`` term on ``field``, else None (``!=`` terms are skipped)."""
        for f, op, value in self._terms:
            if f == field and op == "=":
                return value
        return None

    def transform(self, fn: Callable[[str, str], Tuple[str, str]]) -> FieldSelector:
        """``Selector.Transform``: map each (field, value); a pair mapped to ``("", "")`` is dropped.

        Exceptions from ``fn`` propagate, the first failing term (in selector order) winning, as upstream.
        """
        if self._nothing:
            return self
        out = []
        for field, op, value in self._terms:
            new_field, new_value = fn(field, value)
            if new_field or new_value:
                out.append((new_field, op, new_value))
        return FieldSelector(out)

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self._terms)

    def __repr__(self) -> str:
        return "FieldSelector.nothing()" if self._nothing else f"FieldSelector({str(self)!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return self._nothing == other._nothing and self._terms == other._terms

    def __hash__(self) -> int:
        return hash((self._nothing, self._terms))


def parse_field_selector(text: str) -> FieldSelector:
    """``fields.ParseSelector``: comma-separated ``field=value``, ``field==value``, ``field!=value`` terms.

    Terms are sorted by their text; values may escape ``\\,``, ``\\=`` and ``\\\\``. The empty string (and a term
    with neither field nor value, such as ``=``) selects everything. Raises :class:`SelectorError`.
    """
    terms = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = unescape_field_value(rhs)
        if lhs or value:  # the identity Transform drops ("", "") terms
            terms.append((lhs, "!=" if op == "!=" else "=", value))
    return FieldSelector(terms)


# ---------------------------------------------------------------------------------------------------------------
# Supported field labels.

DEFAULT_SELECTABLE_FIELDS = ("metadata.name", "metadata.namespace")


def unknown_field_selector(label: str) -> str:
    """``runtime.DefaultMetaV1FieldSelectorConversion``'s message, for kinds without their own conversion function
    (ConfigMap, Deployment, ServiceAccount, …: every built-in kind not listed at :func:`field_label_not_supported`)."""
    return f"{go_quote(label)} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""


def field_label_not_supported(label: str) -> str:
    """The message of kinds that register a field label conversion function: core/v1 Pod, Node,
    ReplicationController, Event, Namespace, Secret, Service (k8s.io/kubernetes pkg/apis/core/v1/conversion.go),
    certificates CertificateSigningRequest and ClusterTrustBundle, and custom resources (apiextensions-apiserver
    ``crConverter.ConvertFieldLabel``). A few kinds word it differently (batch/v1 Job:
    ``field label "x" not supported for batchv1.Job``); pass ``message=`` to :func:`check_fields` for those."""
    return f"field label not supported: {label}"


def check_fields(selector: FieldSelector, allowed: Optional[Iterable[str]] = None, *,
                 message: Optional[Callable[[str], str]] = None) -> None:
    """Reject a field the resource cannot select on, as the list/watch handler's ``FieldSelector.Transform`` does.

    ``allowed=None`` is a kind without its own conversion function: only ``metadata.name`` and
    ``metadata.namespace``, message :func:`unknown_field_selector`. With ``allowed`` (the kind's full list, metadata
    fields included) the message is :func:`field_label_not_supported` unless ``message`` says otherwise. The first
    offending term in selector order is reported. kube-apiserver answers 400 BadRequest with this message.
    """
    if allowed is None:
        allowed_set = frozenset(DEFAULT_SELECTABLE_FIELDS)
        render = message or unknown_field_selector
    else:
        allowed_set = frozenset(allowed)
        render = message or field_label_not_supported
    for term in selector.requirements:
        if term.field not in allowed_set:
            raise SelectorError(render(term.field))
