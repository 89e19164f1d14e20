"""JSON as the Kubernetes API server reads and writes it (Go's encoding/json and sigs.k8s.io/json semantics).

* :func:`loads` parses a request body into plain dicts and lists and also returns the paths of duplicate fields,
  in the format of sigs.k8s.io/json's strict decoder (``metadata.name``, ``spec.containers[0].name``,
  ``metadata.labels.app``); as in Go the last value wins. Malformed input raises :class:`JSONError` whose message
  is Go's (``invalid character 'x' looking for beginning of value``, ``unexpected end of JSON input``, ...).
* :func:`loads_pairs` keeps every object as a tuple of ``(key, value)`` pairs in document order, duplicates
  included, for :func:`apiserver.apis.schemas.strict_errors` when exact upstream error order matters.
* :func:`dumps` writes compact UTF-8 JSON as Go's ``json.Encoder`` does for API responses (HTML-safe escapes).
* :func:`go_quote` is Go's ``strconv.Quote``, which upstream uses for the paths in strict-decoding errors.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from array import array
from decimal import Decimal
from typing import Any, List, Optional, Tuple, Union

__all__ = ["JSONError", "MAX_DEPTH", "dumps", "go_quote", "loads", "loads_pairs"]

# Go's scanner allows 10000 levels. CPython's C decoder and encoder, copy.deepcopy (two frames a level) and this
# project's recursive walkers all spend Python stack per level against a recursion limit of 1000 shared with the
# caller's own frames, so 10000 (or even 1000) would surface as RecursionError somewhere later. 300 leaves room
# for all of those, and is far deeper than any real object: deep CRD schemas stay under ~100 JSON levels.
MAX_DEPTH = 300

Data = Union[bytes, bytearray, memoryview, str]


class JSONError(ValueError):
    """Malformed JSON. ``str(err)`` is Go's message; ``offset`` (bytes), ``line`` and ``column`` say where."""

    def __init__(self, message: str, offset: Optional[int] = None, line: Optional[int] = None,
                 column: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """The message with its position, for logs and humans."""
        if self.line is None:
            return self.message
        return f"{self.message} (line {self.line}, column {self.column}, byte offset {self.offset})"


class _Constant(Exception):
    """NaN, Infinity or -Infinity met by the decoder (Go rejects them)."""


class _BadNumber(Exception):
    """A number that Go cannot hold in a float64 (overflows to ±Inf)."""


_INF = math.inf
_TWO53 = 2 ** 53


def _parse_constant(name: str) -> Any:
    raise _Constant(name)


def _parse_float(text: str) -> Any:
    # Only numbers with a fraction or exponent get here (few in API objects, so the call is cheap overall).
    value = float(text)
    if value in (_INF, -_INF):
        raise _BadNumber(text)
    # Go decodes these into float64 and prints integral values without ".0" (1.0 -> 1, 1e3 -> 1000) up to 1e21;
    # storing them as int makes dumps() print what Go prints. -0.0 stays a float (Go prints "-0").
    if value.is_integer() and abs(value) < 1e21 and value != 0:
        # beyond 2**53 Go prints the shortest decimal digits padded with zeros, not the exact binary value
        return int(value) if abs(value) < _TWO53 else int(Decimal(repr(value)))
    if value == 0 and not text.startswith("-"):
        return 0
    return value


class _Duplicate(Exception):
    """Raised by the fast path's hook at the first object with a repeated key."""


def _dict_or_raise(pairs: List[Tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Duplicate
    return obj


# Stateless, so shared (json.loads shares one decoder the same way); the hook makes the common case cost a
# Python call per object, and duplicates (rare) send loads() down the slow path that keeps pairs.
_FAST = json.JSONDecoder(object_pairs_hook=_dict_or_raise, parse_float=_parse_float, parse_constant=_parse_constant)
_PAIRS = json.JSONDecoder(object_pairs_hook=tuple, parse_float=_parse_float, parse_constant=_parse_constant)


# -- public API -----------------------------------------------------------------------------------------------

def loads(data: Data) -> Tuple[Any, List[str]]:
    """Parse JSON; return ``(value, duplicate_field_paths)``. Raises :class:`JSONError` on malformed input.

    Invalid UTF-8 and lone UTF-16 surrogate escapes become U+FFFD, as in Go. Numbers: integers are ``int``; a
    fraction or exponent gives ``float`` unless the value is integral (``1.0`` -> ``1``, what Go would re-encode).
    Duplicate paths are deduplicated and in document order (the second occurrence); nested ones under every
    object are listed, as sigs.k8s.io/json does for untyped (``map[string]interface{}``) decoding.
    """
    text, raw = _text(data)
    try:
        return _parse(text, raw, _FAST), []
    except _Duplicate:
        pass
    # Rare: parse again keeping the pairs, to find where the duplicates are.
    duplicates: List[str] = []
    value = _build(_parse(text, raw, _PAIRS), "", duplicates, set())
    return value, duplicates


def loads_pairs(data: Data) -> Any:
    """Parse JSON keeping objects as tuples of ``(key, value)`` pairs in document order, duplicates included.

    Arrays are lists, so ``isinstance(x, tuple)`` tells an object. Errors and number handling are as in
    :func:`loads`.
    """
    text, raw = _text(data)
    return _parse(text, raw, _PAIRS)


_HTML_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON as Go's ``json.Encoder`` writes API responses, without its trailing newline.

    Like Go: no spaces, non-ASCII left as is, ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as ``\\u003c`` etc.
    (upstream's serializer uses ``json.NewEncoder`` with HTML escaping on), lone surrogates written as U+FFFD,
    NaN and infinities rejected (``ValueError``). Keys keep the dict's order (Go sorts map keys and writes
    struct fields in declaration order: callers own the order). Floats use Python's shortest repr, which equals
    Go's except below 1e-4 (``1e-05`` where Go writes ``0.00001``) and for floats not made by :func:`loads`
    that are integral (``2.0`` where Go writes ``2``).
    """
    text = _ENCODER.encode(obj)
    # The five characters can only occur inside strings, so replacing them in the output is exact.
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_HTML_ESCAPES)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote``: double-quoted, Go escapes, printable Unicode kept as is."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch.isprintable() and not 0xD800 <= code <= 0xDFFF:
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")  # Go's decoder would have replaced it with U+FFFD, which Quote prints as is
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def shortest_digits(f: float) -> Tuple[str, int]:
    """The shortest digits that round-trip f (positive, finite) and Go's decimal point position (0.d1d2... × 10^dp)."""
    _, digits, exponent = Decimal(repr(f)).as_tuple()
    text = "".join(map(str, digits)).lstrip("0")
    stripped = text.rstrip("0")
    exponent += len(text) - len(stripped)
    return stripped or "0", len(stripped) + int(exponent)


def go_float(f: float, fmt: str = "g") -> str:
    """strconv.FormatFloat(f, 'g' or 'e' or 'f', -1, 64): what fmt's %v prints for a float64."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    neg = f < 0 or (f == 0 and math.copysign(1.0, f) < 0)
    a = abs(f)
    if a == 0:
        body = {"g": "0", "e": "0e+00", "f": "0"}[fmt]
        return ("-" if neg else "") + body
    digits, dp = shortest_digits(a)
    exp = dp - 1
    if fmt == "g":
        fmt = "e" if exp < -4 or exp >= 6 else "f"
    if fmt == "e":
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        body += "e" + ("-" if exp < 0 else "+") + f"{abs(exp):02d}"
    elif dp <= 0:
        body = "0." + "0" * (-dp) + digits
    elif dp >= len(digits):
        body = digits + "0" * (dp - len(digits))
    else:
        body = digits[:dp] + "." + digits[dp:]
    return ("-" if neg else "") + body


# -- parsing --------------------------------------------------------------------------------------------------

def _text(data: Data) -> Tuple[str, Optional[bytes]]:
    if isinstance(data, str):
        return data, None
    raw = bytes(data)
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError:
        # Go keeps going and puts U+FFFD in strings; outside strings the scanner then reports the character.
        return raw.decode("utf-8", "replace"), raw


_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _parse(text: str, raw: Optional[bytes], decoder: json.JSONDecoder) -> Any:
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as e:
        raise _syntax_error(text, e.msg, e.pos) from None
    except _Constant as e:
        raise _constant_error(text, str(e)) from None
    except _BadNumber as e:
        raise JSONError(f"json: cannot unmarshal number {e} into Go value of type float64") from None
    except RecursionError:
        raise _depth_error(text, raw, force=True) from None
    except ValueError as e:  # an integer longer than sys.get_int_max_str_digits(): Go's float64 overflows too
        raise JSONError(f"json: cannot unmarshal number into Go value of type float64: {e}") from None
    # The cheap bound first: a document with few opening brackets cannot be deep.
    if len(text) > MAX_DEPTH and _openers(text, raw) > MAX_DEPTH:
        err = _depth_error(text, raw, force=False)
        if err is not None:
            raise err
    # "\\" alone is a memchr; most bodies have no escape at all
    if "\\" in text and _LONE_SURROGATE_ESCAPE.search(text):
        value = _fix_surrogates(value)
    return value


_NOT_OPENERS = bytes(b for b in range(256) if b not in b"[{")


def _openers(text: str, raw: Optional[bytes]) -> int:
    if raw is not None:
        return len(raw.translate(None, _NOT_OPENERS))  # one C pass, twice as fast as two counts
    return text.count("{") + text.count("[")


def _build(node: Any, path: str, duplicates: List[str], seen_paths: set) -> Any:
    """Turn a pairs tree into dicts (last value wins, first position kept), collecting duplicate paths."""
    if isinstance(node, tuple):
        obj: dict = {}
        for key, value in node:
            child = key if not path else path + "." + key
            if key in obj and child not in seen_paths:
                seen_paths.add(child)
                duplicates.append(child)
            obj[key] = _build(value, child, duplicates, seen_paths)
        return obj
    if isinstance(node, list):
        return [_build(item, f"{path}[{i}]", duplicates, seen_paths) for i, item in enumerate(node)]
    return node


def _fix_surrogates(node: Any) -> Any:
    """Replace lone surrogates (from escapes like \\ud800) with U+FFFD, as Go's decoder does."""
    if isinstance(node, str):
        return _SURROGATE.sub("\ufffd", node) if _SURROGATE.search(node) else node
    if isinstance(node, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in node.items()}
    if isinstance(node, tuple):
        return tuple((_fix_surrogates(k), _fix_surrogates(v)) for k, v in node)
    if isinstance(node, list):
        return [_fix_surrogates(v) for v in node]
    return node


# -- depth ----------------------------------------------------------------------------------------------------

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _depth_error(text: str, raw: Optional[bytes], force: bool) -> Optional[JSONError]:
    """Go's error if nesting exceeds MAX_DEPTH (``force``: Python already ran out of stack, so report anyway).

    Runs on valid JSON only, at C speed: drop escapes (so quotes pair up), keep only quotes and brackets, drop
    the strings, and the depth is the largest running sum of +1 per opening and -1 per closing bracket.
    """
    data = raw if raw is not None else text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    # Most strings hold no bracket and shrink to '""'; removing those pairs first leaves the regex little to do.
    # (A pair that is one string's end and the next one's start only merges two strings: still all string.)
    skeleton = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _STRING.sub(b"", skeleton)
    if max(itertools.accumulate(array("b", skeleton.translate(_STEPS))), default=0) <= MAX_DEPTH:
        return JSONError("invalid character '[' exceeded max depth") if force else None
    depth = 0
    for m in _TOKENS.finditer(text):  # only on error: find where, in the text
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _located(text, f"invalid character {_quote_char(tok)} exceeded max depth", m.start())
        elif tok in "]}":
            depth -= 1
    return JSONError("invalid character '[' exceeded max depth")


# -- Go's syntax error messages -------------------------------------------------------------------------------

_WS = " \t\n\r"
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _quote_char(ch: str) -> str:
    """Go's quoteChar: Go's scanner reports a byte, so a multi-byte character shows as its first byte."""
    byte = ch.encode("utf-8", "surrogatepass")[0]
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    return "'" + go_quote(chr(byte))[1:-1] + "'"


def _located(text: str, message: str, pos: int) -> JSONError:
    prefix = text[:pos]
    line = prefix.count("\n") + 1
    column = pos - (prefix.rfind("\n") + 1) + 1
    offset = len(prefix.encode("utf-8", "surrogatepass"))
    return JSONError(message, offset, line, column)


def _invalid(text: str, pos: int, context: str) -> JSONError:
    if pos >= len(text):
        return _located(text, "unexpected end of JSON input", len(text))
    return _located(text, f"invalid character {_quote_char(text[pos])} {context}", pos)


def _innermost(text: str, pos: int) -> str:
    """'{' or '[' for the innermost container open at ``pos`` ('' at top level)."""
    stack = []
    for m in _TOKENS.finditer(text, 0, pos):
        tok = m.group()
        if tok in "[{":
            stack.append(tok)
        elif tok in "]}":
            if stack:
                stack.pop()
    return stack[-1] if stack else ""


def _after_value(text: str, pos: int) -> str:
    where = _innermost(text, pos)
    if where == "{":
        return "after object key:value pair"
    if where == "[":
        return "after array element"
    return "after top-level value"


def _number_error(text: str, pos: int) -> Optional[JSONError]:
    """Python's number pattern stops early on ``1.x`` or ``1e``: give Go's message for the bad digit instead."""
    if pos >= len(text) or text[pos] not in ".eE" or pos == 0 or not text[pos - 1].isdigit():
        return None
    start = pos
    while start > 0 and text[start - 1] in "0123456789.eE+-":
        start -= 1
    number = text[start:pos]
    if text[pos] == "." and "." not in number and "e" not in number.lower():
        return _invalid(text, pos + 1, "after decimal point in numeric literal")
    if text[pos] in "eE" and "e" not in number.lower():
        nxt = pos + 1
        if nxt < len(text) and text[nxt] in "+-":
            nxt += 1
        return _invalid(text, nxt, "in exponent of numeric literal")
    return None


def _literal_error(text: str, pos: int) -> Optional[JSONError]:
    for word in ("true", "false", "null"):
        if text[pos] == word[0]:
            for i in range(1, len(word)):
                if pos + i >= len(text):
                    return _invalid(text, pos + i, "")
                if text[pos + i] != word[i]:
                    return _invalid(text, pos + i, f"in literal {word} (expecting {_quote_char(word[i])})")
    return None


def _syntax_error(text: str, msg: str, pos: int) -> JSONError:
    """Translate one of Python's decoder errors into Go's message for the same input."""
    if pos >= len(text) or msg.startswith("Unterminated string"):
        return _located(text, "unexpected end of JSON input", len(text))
    if msg.startswith("Unexpected UTF-8 BOM"):
        return _invalid(text, pos, "looking for beginning of value")
    if msg.startswith("Expecting value"):
        ch = text[pos]
        if ch == "-":
            return _invalid(text, pos + 1, "in numeric literal")
        return _literal_error(text, pos) or _invalid(text, pos, "looking for beginning of value")
    if msg.startswith("Expecting property name"):
        return _invalid(text, pos, "looking for beginning of object key string")
    if msg.startswith("Expecting ':'"):
        return _invalid(text, pos, "after object key")
    if msg.startswith("Expecting ','") or msg.startswith("Extra data"):
        return _number_error(text, pos) or _invalid(text, pos, _after_value(text, pos))
    if msg.startswith("Invalid control character"):
        return _invalid(text, pos, "in string literal")
    if msg.startswith("Invalid \\escape"):
        at = pos + 1 if text[pos] == "\\" else pos
        return _invalid(text, at, "in string escape code")
    if msg.startswith("Invalid \\uXXXX"):
        at = text.find("u", max(pos - 1, 0)) + 1
        while at < len(text) and text[at] in "0123456789abcdefABCDEF":
            at += 1
        return _invalid(text, at, "in \\u hexadecimal character escape")
    if msg.startswith("Illegal trailing comma"):  # Python 3.13+: Go complains about the closing bracket
        at = pos + 1
        while at < len(text) and text[at] in _WS:
            at += 1
        if at < len(text) and text[at] == "}":
            return _invalid(text, at, "looking for beginning of object key string")
        return _invalid(text, at, "looking for beginning of value")
    return _located(text, f"{msg[:1].lower()}{msg[1:]}", pos)


_CONSTANT_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


def _constant_error(text: str, name: str) -> JSONError:
    for m in _CONSTANT_TOKENS.finditer(text):
        if m.group(1):
            pos = m.start(1)
            if text[pos] == "-":
                return _invalid(text, pos + 1, "in numeric literal")
            return _invalid(text, pos, "looking for beginning of value")
    return JSONError(f"invalid character {_quote_char(name[0])} looking for beginning of value")
