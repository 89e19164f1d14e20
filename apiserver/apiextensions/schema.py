"""What k8s.io/apiextensions-apiserver does with a CRD's ``openAPIV3Schema``, as pure functions over JSON dicts.

Ported (facts, not code) from Kubernetes 1.32 — apiextensions-apiserver ``release-1.32`` (``AX``), the
kube-openapi commit it pins (``32ad38e42d3f``, ``KO``), apimachinery ``release-1.32`` (``AM``) and Go 1.23's
``regexp/syntax``:

* :func:`validate` — a custom resource against its version's schema: ``KO pkg/validation/validate`` (type, format,
  string, number, slice, object and ``allOf``/``anyOf``/``oneOf``/``not`` validators with their ``MatchCount``
  bookkeeping and message de-duplication), the formats that survive ``AX pkg/apiserver/validation/formats.go``,
  the conversion to field errors of ``AX pkg/apiserver/validation/validation.go``, ratcheting of unchanged values
  on update (``ratcheting.go``, CRDValidationRatcheting is on by default in 1.32), embedded resources
  (``AX pkg/apiserver/schema/objectmeta/validation.go``) and list types (``AX .../schema/listtype``).
  ``x-kubernetes-validations`` (CEL) are not evaluated here.
* :func:`prune`, :func:`drop_nulls`, :func:`default` — ``AX .../schema/pruning/algorithm.go`` (with the unknown
  field paths of ``UnknownFieldPathOptions``), ``.../defaulting/prunenulls.go`` and ``.../defaulting/algorithm.go``.
  Upstream decodes a request as prune → drop_nulls → (metadata coercion) → default, also when reading storage.
* :func:`validate_crd` / :func:`validate_crd_status` — ``AX pkg/apis/apiextensions/validation/validation.go`` with
  the structural-schema rules of ``AX pkg/apiserver/schema/validation.go`` and ``complete.go``, and the
  defaults checks of ``.../defaulting/validation.go``. Upstream validates the *internal* CRD, into which a v1 CRD
  converts by hoisting per-version ``schema``/``subresources``/``additionalPrinterColumns``/``selectableFields``
  that are identical in every version to ``spec.validation`` etc.: a single-version CRD's schema errors are
  therefore reported at ``spec.validation.openAPIV3Schema...``, not ``spec.versions[0].schema...``. That
  conversion is reproduced.

Messages are upstream's: a cause is ``(field, reason, message)`` where message is ``field.Error.ErrorBody()`` of
release-1.32 (``Invalid value: 11: spec.replicas in body should be less than or equal to 10``); values print as Go
does (``%v`` for numbers with Go's float format, ``%q`` for strings, ``%#v`` for maps and slices). Field paths
mix two upstream conventions on purpose: kube-openapi joins map keys with dots (``spec.labels.foo``), the list-type
and embedded-resource checks use ``field.Path`` (``spec.labels[foo]``); errors about the whole object (``anyOf``
failures, forbidden properties at the root) have the field ``<nil>``, as in kube-apiserver.

Regular expressions (``pattern``) follow Go's RE2 syntax and semantics through a small engine of our own: Go's parser
(every syntax error with its exact text, e.g. ``error parsing regexp: missing argument to repetition operator:
`+```) and a Thompson automaton matched in time linear in the input, so no pattern can make matching exponential
(Python's ``re`` backtracks). Gaps: Unicode tables come from Python's ``unicodedata`` (Unicode 13–15 depending on the
Python version, Go 1.23 uses 15.0); scripts (``\\p{Greek}``) are derived from character names, which is close but
not exact; case folding (``(?i)``) uses ``str.casefold`` orbits rather than Go's ``SimpleFold`` tables (they agree
outside a handful of special characters); an automaton over 1,000,000 states is refused as ``expression too large``
where Go allows about 3.3 million instructions.

Formats: only those upstream keeps (``bsonobjectid``, ``uri``, ``email``, ``hostname``, ``ipv4``, ``ipv6``,
``cidr``, ``mac``, ``uuid``, ``uuid3``, ``uuid4``, ``uuid5``, ``isbn``, ``isbn10``, ``isbn13``, ``creditcard``,
``ssn``, ``hexcolor``, ``rgbcolor``, ``byte``, ``password``, ``date``, ``duration``, ``datetime``; a ``-`` in the
name is ignored, so ``date-time`` counts); ``int32``, ``int64``, ``float``, ``double`` and anything else are
dropped before validation, as upstream does, and check nothing. ``email`` implements ``net/mail.ParseAddress``
without comments (CFWS) and obsolete syntax; ``ipv6`` uses :mod:`ipaddress` (zones refused, as Go's
``net.ParseIP``).

Depth: JSON deeper than :data:`MAX_DEPTH` (100) containers is refused by :func:`validate` (one cause) and left
alone below that depth by :func:`prune` and :func:`default`; schemas deeper than that are refused by
:func:`validate_crd`. Upstream has no such limit besides Go's JSON decoder (10000); Python's recursion limit does
not allow that, and no real object nests this deep. Very large bodies are the body size limit's business.
"""

from __future__ import annotations

import bisect
import copy
import functools
import ipaddress
import json
import math
import unicodedata
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from apiserver.endpoints.selectors import go_quote

__all__ = [
    "Cause", "MAX_DEPTH", "GoRegexpError", "compile_go_regexp", "go_match",
    "validate", "prune", "drop_nulls", "default", "nesting_error",
    "validate_crd", "validate_crd_status", "structural_errors", "check_format",
]

Cause = Tuple[str, str, str]          # (field, reason, message) like metav1.StatusCause
MAX_DEPTH = 100
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1

# ---------------------------------------------------------------------------------------------------------------
# Go value formatting (fmt %v / %#v, strconv, encoding/json) and field.Error rendering (AM util/validation/field).


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_go_int(v) -> bool:
    """A JSON number that Go's unstructured decoder keeps as int64 (bigger ones become float64)."""
    return _is_int(v) and _INT64_MIN <= v <= _INT64_MAX


def _is_num(v) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _as_float(v) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _shortest_digits(f: float) -> Tuple[str, int]:
    """The shortest digits that round-trip f (positive, finite) and the decimal point position (Go's digs.dp)."""
    mantissa, _, exp = f"{f:.17e}".partition("e")
    r = repr(f)
    if "e" in r or "E" in r:
        m, _, e = r.lower().partition("e")
        digits, exponent = m.replace(".", ""), int(e) + 1
        if "." in m:
            exponent = int(e) + len(m.split(".")[0])
        digits = digits.lstrip("0") or "0"
    else:
        ip, _, fp = r.partition(".")
        fp = fp.rstrip("0") if fp != "0" else ""
        whole = (ip + fp).lstrip("0")
        if ip.strip("0"):
            exponent = len(ip.lstrip("0"))
        else:
            exponent = -(len(fp) - len(fp.lstrip("0")))
        digits = whole
    del mantissa, exp
    return digits.rstrip("0") or "0", exponent


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
    digits, dp = _shortest_digits(a)
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


def go_json(value) -> str:
    """encoding/json.Marshal of a JSON value: sorted keys, Go's float format, HTML-safe escapes."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if _is_int(value):
        return str(value) if _is_go_int(value) else go_json(_as_float(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return "null"
        a = abs(value)
        s = go_float(value, "e" if a != 0 and (a < 1e-6 or a >= 1e21) else "f")
        if "e-0" in s:
            s = s.replace("e-0", "e-")
        return s
    if isinstance(value, str):
        s = json.dumps(value, ensure_ascii=False)
        for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                     ("\u2029", "\\u2029")):
            s = s.replace(a, b)
        return s
    if isinstance(value, dict):
        return "{" + ",".join(go_json(str(k)) + ":" + go_json(value[k]) for k in sorted(value, key=str)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    return go_json(str(value))


def _go_sharp_v(value, top: bool = True) -> str:
    """fmt's %#v of a value decoded into interface{} (map[string]interface {}, []interface {}, ...)."""
    if value is None:
        return "interface {}(nil)" if not top else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_int(value):
        return str(value) if _is_go_int(value) else go_float(_as_float(value))
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        items = ", ".join(f"{go_quote(str(k))}:{_go_sharp_v(value[k], False)}" for k in sorted(value, key=str))
        return "map[string]interface {}{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}{" + ", ".join(_go_sharp_v(v, False) for v in value) + "}"
    return go_quote(str(value))


class _GoRaw(str):
    """A value already rendered the way upstream prints it (a Go struct or slice dump)."""


def _value_text(value) -> str:
    """How field.Error.ErrorBody prints a bad value."""
    if isinstance(value, _GoRaw):
        return str(value)
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_int(value):
        return str(value) if _is_go_int(value) else go_float(_as_float(value))
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    return _go_sharp_v(value)


def _go_strings(values: Optional[Sequence[str]]) -> _GoRaw:
    """%#v of a []string."""
    if values is None:
        return _GoRaw("[]string(nil)")
    return _GoRaw("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}")


def _invalid(path: str, value, detail: str = "") -> Cause:
    body = f"Invalid value: {_value_text(value)}"
    return path, "FieldValueInvalid", body + (f": {detail}" if detail else "")


def _type_invalid(path: str, value, detail: str) -> Cause:
    return path, "FieldValueTypeInvalid", f"Invalid value: {_value_text(value)}: {detail}"


def _required(path: str, detail: str = "") -> Cause:
    return path, "FieldValueRequired", "Required value" + (f": {detail}" if detail else "")


def _forbidden(path: str, detail: str = "") -> Cause:
    return path, "FieldValueForbidden", "Forbidden" + (f": {detail}" if detail else "")


def _duplicate(path: str, value) -> Cause:
    return path, "FieldValueDuplicate", f"Duplicate value: {_value_text(value)}"


def _not_supported(path: str, value, valid: Sequence[str]) -> Cause:
    body = f"Unsupported value: {_value_text(value)}"
    if valid:
        body += ": supported values: " + ", ".join(go_quote(str(v)) for v in valid)
    return path, "FieldValueNotSupported", body


def _too_long(path: str, max_length: int) -> Cause:
    detail = f"may not be more than {max_length} bytes" if max_length >= 0 else "value is too long"
    return path, "FieldValueTooLong", f"Too long: {detail}"


def _too_many(path: str, actual: int, maximum: int) -> Cause:
    detail = f"must have at most {maximum} items" if maximum >= 0 else "has too many items"
    if actual >= 0:
        return path, "FieldValueTooMany", f"Too many: {actual}: {detail}"
    return path, "FieldValueTooMany", f"Too many: {detail}"


def _error_text(cause: Cause) -> str:
    """field.Error.Error(): what upstream sorts structural errors by."""
    return f"{cause[0]}: {cause[2]}"


# field.Path rendering: Child → ".name", Key → "[key]", Index → "[i]"; the nil path prints as "<nil>".

def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _key(path: str, key: str) -> str:
    return f"{path}[{key}]"


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _shown(path: str) -> str:
    return path or "<nil>"


# ---------------------------------------------------------------------------------------------------------------
# Go's regexp: the parser of regexp/syntax (Perl flags), and a Thompson automaton for MatchString.


class GoRegexpError(ValueError):
    """A pattern Go's regexp.Compile refuses; str() is Go's error text."""

    def __init__(self, code: str, expr: str):
        super().__init__(f"error parsing regexp: {code}: `{expr}`")
        self.code, self.expr = code, expr


_ERR_CLASS_RANGE = "invalid character class range"
_ERR_ESCAPE = "invalid escape sequence"
_ERR_NAMED = "invalid named capture"
_ERR_PERL = "invalid or unsupported Perl syntax"
_ERR_REPEAT_OP = "invalid nested repetition operator"
_ERR_REPEAT_SIZE = "invalid repeat count"
_ERR_BRACKET = "missing closing ]"
_ERR_PAREN = "missing closing )"
_ERR_REPEAT_ARG = "missing argument to repetition operator"
_ERR_BACKSLASH = "trailing backslash at end of expression"
_ERR_UNEXPECTED_PAREN = "unexpected )"
_ERR_DEPTH = "expression nests too deeply"
_ERR_LARGE = "expression too large"

_FOLD, _DOTNL, _ONELINE, _NONGREEDY = 1, 8, 16, 32
_MAX_RUNE = 0x10FFFF
_MAX_REPEAT = 1000
_MAX_HEIGHT = 1000
_MAX_STATES = 1_000_000

# AST ops; _LPAREN and _VBAR are the parser's pseudo-ops
(_LIT, _CLASS, _ANY_NOT_NL, _ANY, _BOL, _EOL, _BOT, _EOT, _WORDB, _NOWORDB, _CAPTURE, _STAR, _PLUS, _QUEST,
 _REPEAT, _CONCAT, _ALT, _EMPTY, _NOMATCH) = range(19)
_LPAREN, _VBAR = 100, 101


class _Re:
    __slots__ = ("op", "subs", "ranges", "lo", "hi", "flags", "cap")

    def __init__(self, op: int, subs: Optional[list] = None, ranges: Optional[list] = None, flags: int = 0):
        self.op, self.subs, self.ranges, self.flags = op, subs or [], ranges, flags
        self.lo = self.hi = 0
        self.cap = 0


def _clean(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    out: List[Tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _negate(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    out, nxt = [], 0
    for lo, hi in _clean(ranges):
        if nxt <= lo - 1:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_RUNE:
        out.append((nxt, _MAX_RUNE))
    return out


@functools.lru_cache(maxsize=1)
def _fold_orbits() -> Dict[int, Tuple[int, ...]]:
    """Case-fold orbits (what unicode.SimpleFold cycles through), from str.casefold / str.lower."""
    groups: Dict[str, List[int]] = {}
    for cp in range(0x41, 0x1E944):
        ch = chr(cp)
        key = ch.casefold()
        if len(key) != 1:
            key = ch.lower() if len(ch.lower()) == 1 else ch
        groups.setdefault(key, []).append(cp)
    orbits: Dict[int, Tuple[int, ...]] = {}
    for members in groups.values():
        if len(members) > 1:
            t = tuple(members)
            for m in members:
                orbits[m] = t
    return orbits


def _fold_ranges(ranges: Iterable[Tuple[int, int]]) -> List[Tuple[int, int]]:
    orbits = _fold_orbits()
    out = list(ranges)
    for lo, hi in list(out):
        if lo <= 0x41 and hi >= 0x1E943:
            continue
        for cp in range(max(lo, 0x41), min(hi, 0x1E943) + 1):
            for o in orbits.get(cp, ()):
                out.append((o, o))
    return _clean(out)


@functools.lru_cache(maxsize=1)
def _category_table() -> Dict[str, Tuple[Tuple[int, int], ...]]:
    """Two-letter Unicode category → code point ranges (one pass over unicodedata)."""
    acc: Dict[str, List[Tuple[int, int]]] = {}
    start, current = 0, unicodedata.category("\0")
    for cp in range(1, _MAX_RUNE + 2):
        cat = unicodedata.category(chr(cp)) if cp <= _MAX_RUNE else None
        if cat != current:
            acc.setdefault(current, []).append((start, cp - 1))
            start, current = cp, cat
    return {k: tuple(v) for k, v in acc.items()}


# Go 1.23's unicode.Scripts (Unicode 15.0)
_GO_SCRIPTS = frozenset((
    "Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki "
    "Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee "
    "Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan "
    "Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi "
    "Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited "
    "Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi "
    "Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian "
    "Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui "
    "Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari "
    "Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic "
    "Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage "
    "Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan "
    "Saurashtra Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri "
    "Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan "
    "Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square").split())
_SCRIPT_NAME_PREFIXES = {
    "Han": ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "CJK RADICAL", "KANGXI RADICAL",
            "IDEOGRAPHIC ITERATION MARK", "IDEOGRAPHIC CLOSING MARK", "IDEOGRAPHIC NUMBER ZERO"),
    "Latin": ("LATIN ", "FULLWIDTH LATIN ", "MODIFIER LETTER SMALL ", "MODIFIER LETTER CAPITAL "),
    "Katakana": ("KATAKANA", "HALFWIDTH KATAKANA", "CIRCLED KATAKANA"),
    "Phags_Pa": ("PHAGS-PA ",), "Nko": ("NKO ",), "SignWriting": ("SIGNWRITING ",),
    "Canadian_Aboriginal": ("CANADIAN SYLLABICS ",), "Meetei_Mayek": ("MEETEI MAYEK ",),
    "Inscriptional_Pahlavi": ("INSCRIPTIONAL PAHLAVI ",), "Yi": ("YI SYLLABLE ", "YI RADICAL "),
}


@functools.lru_cache(maxsize=32)
def _script_ranges(name: str) -> Tuple[Tuple[int, int], ...]:
    """An approximation of unicode.Scripts[name] from character names (Python has no script property)."""
    prefixes = _SCRIPT_NAME_PREFIXES.get(name, (name.replace("_", " ").upper() + " ",))
    if name in ("Common", "Inherited"):
        others = tuple(p for s in _GO_SCRIPTS - {"Common", "Inherited"}
                       for p in _SCRIPT_NAME_PREFIXES.get(s, (s.replace("_", " ").upper() + " ",)))
    out: List[Tuple[int, int]] = []
    for cp in range(_MAX_RUNE + 1):
        ch = chr(cp)
        nm = unicodedata.name(ch, "")
        if name in ("Common", "Inherited"):
            if not nm or nm.startswith(others):
                continue
            inherited = unicodedata.category(ch) in ("Mn", "Me")
            ok = inherited if name == "Inherited" else not inherited
        else:
            ok = nm.startswith(prefixes)
        if ok:
            if out and out[-1][1] == cp - 1:
                out[-1] = (out[-1][0], cp)
            else:
                out.append((cp, cp))
    return tuple(out)


_GO_CATEGORIES = frozenset(("C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps "
                            "S Sc Sk Sm So Z Zl Zp Zs").split())


def _unicode_table(name: str) -> Optional[List[Tuple[int, int]]]:
    if name == "Any":
        return [(0, _MAX_RUNE)]
    if name in _GO_CATEGORIES:
        table = _category_table()
        if len(name) == 2:
            return list(table.get(name, ()))
        return _clean([r for k, v in table.items() if k[0] == name and k != "Cn" for r in v])
    if name in _GO_SCRIPTS:
        return list(_script_ranges(name))
    return None


_PERL_GROUPS = {
    "\\d": (1, [(0x30, 0x39)]), "\\D": (-1, [(0x30, 0x39)]),
    "\\s": (1, [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]), "\\S": (-1, [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]),
    "\\w": (1, [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]),
    "\\W": (-1, [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]),
}
_POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)], "blank": [(0x09, 0x09), (0x20, 0x20)], "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)], "graph": [(0x21, 0x7E)], "lower": [(0x61, 0x7A)], "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)], "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)], "word": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x5F, 0x5F)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}


def _is_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _unhex(c: str) -> int:
    return int(c, 16) if c and c in "0123456789abcdefABCDEF" else -1


class _Parser:
    """A port of regexp/syntax.parse with the Perl flags (ClassNL | OneLine | PerlX | UnicodeGroups)."""

    def __init__(self, whole: str):
        self.whole = whole
        self.flags = _ONELINE
        self.stack: List[_Re] = []

    # -- stack
    def push(self, re_: _Re) -> None:
        self.stack.append(re_)

    def op(self, op: int) -> _Re:
        r = _Re(op, flags=self.flags)
        self.push(r)
        return r

    def literal(self, c: str) -> None:
        self.push(_Re(_LIT, ranges=[(ord(c), ord(c))], flags=self.flags))

    def concat(self) -> None:
        i = len(self.stack)
        while i > 0 and self.stack[i - 1].op < _LPAREN:
            i -= 1
        subs = self.stack[i:]
        del self.stack[i:]
        if not subs:
            self.push(_Re(_EMPTY))
        elif len(subs) == 1:
            self.push(subs[0])
        else:
            self.push(_Re(_CONCAT, subs))

    def alternate(self) -> None:
        i = len(self.stack)
        while i > 0 and self.stack[i - 1].op < _LPAREN:
            i -= 1
        subs = self.stack[i:]
        del self.stack[i:]
        if not subs:
            self.push(_Re(_NOMATCH))
        elif len(subs) == 1:
            self.push(subs[0])
        else:
            self.push(_Re(_ALT, subs))

    def swap_vertical_bar(self) -> bool:
        n = len(self.stack)
        if n >= 2 and self.stack[n - 2].op == _VBAR:
            self.stack[n - 2], self.stack[n - 1] = self.stack[n - 1], self.stack[n - 2]
            # the vertical bar collects the alternatives below it
            bar = self.stack[n - 1]
            bar.subs.append(self.stack[n - 2])
            del self.stack[n - 2]
            self.stack.append(_Re(_VBAR, bar.subs))
            self.stack.pop(n - 2)
            return True
        return False

    def parse_vertical_bar(self) -> None:
        self.concat()
        top = self.stack.pop()
        if self.stack and self.stack[-1].op == _VBAR:
            self.stack[-1].subs.append(top)
        else:
            self.stack.append(_Re(_VBAR, [top]))

    def finish_alternation(self) -> None:
        """concat + fold a pending vertical bar into an alternation (what concat/swapVerticalBar/alternate do)."""
        self.concat()
        top = self.stack.pop()
        if self.stack and self.stack[-1].op == _VBAR:
            bar = self.stack.pop()
            subs = bar.subs + [top]
            self.stack.append(_Re(_ALT, subs))
        else:
            self.stack.append(top)

    def parse_right_paren(self) -> None:
        self.finish_alternation()
        n = len(self.stack)
        if n < 2:
            raise GoRegexpError(_ERR_UNEXPECTED_PAREN, self.whole)
        re1, re2 = self.stack[n - 1], self.stack[n - 2]
        del self.stack[n - 2:]
        if re2.op != _LPAREN:
            raise GoRegexpError(_ERR_UNEXPECTED_PAREN, self.whole)
        self.flags = re2.flags
        if re2.cap == 0:
            self.push(re1)
        else:
            self.push(_Re(_CAPTURE, [re1]))

    def repeat(self, op: int, lo: int, hi: int, before: str, after: str, last_repeat: str) -> str:
        if after.startswith("?"):
            after = after[1:]
        if last_repeat:
            raise GoRegexpError(_ERR_REPEAT_OP, last_repeat[:len(last_repeat) - len(after)])
        if not self.stack or self.stack[-1].op >= _LPAREN:
            raise GoRegexpError(_ERR_REPEAT_ARG, before[:len(before) - len(after)])
        r = _Re(op, [self.stack[-1]])
        r.lo, r.hi = lo, hi
        self.stack[-1] = r
        if op == _REPEAT and (lo >= 2 or hi >= 2) and not _repeat_is_valid(r, _MAX_REPEAT):
            raise GoRegexpError(_ERR_REPEAT_SIZE, before[:len(before) - len(after)])
        return after

    # -- lexical pieces
    @staticmethod
    def parse_int(s: str) -> Tuple[Optional[int], str]:
        if not s or not "0" <= s[0] <= "9":
            return None, s
        if len(s) >= 2 and s[0] == "0" and "0" <= s[1] <= "9":
            return None, s
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        digits = s[:i]
        n = -1 if len(digits) > 8 else int(digits)
        return n, s[i:]

    def parse_repeat(self, s: str) -> Optional[Tuple[int, int, str]]:
        if not s.startswith("{"):
            return None
        lo, s = self.parse_int(s[1:])
        if lo is None or not s:
            return None
        if s[0] != ",":
            hi = lo
        else:
            s = s[1:]
            if not s:
                return None
            if s[0] == "}":
                hi = -1
            else:
                hi, s = self.parse_int(s)
                if hi is None:
                    return None
                if hi < 0:
                    lo = -1
        if not s or s[0] != "}":
            return None
        return lo, hi, s[1:]

    def parse_perl_flags(self, s: str) -> str:
        t = s
        starts_p = len(t) > 4 and t[2] == "P" and t[3] == "<"
        starts_name = len(t) > 3 and t[2] == "<"
        if starts_p or starts_name:
            begin = 3 if starts_name else 4
            end = t.find(">")
            if end < 0:
                raise GoRegexpError(_ERR_NAMED, s)
            name = t[begin:end]
            if not name or not all(c == "_" or _is_alnum(c) for c in name):
                raise GoRegexpError(_ERR_NAMED, t[:end + 1])
            r = self.op(_LPAREN)
            r.cap = 1
            return t[end + 1:]
        t = t[2:]
        flags, sign, saw = self.flags, 1, False
        while t:
            c, t = t[0], t[1:]
            if c == "i":
                flags = flags | _FOLD if sign > 0 else flags & ~_FOLD
                saw = True
            elif c == "m":
                flags = flags & ~_ONELINE if sign > 0 else flags | _ONELINE
                saw = True
            elif c == "s":
                flags = flags | _DOTNL if sign > 0 else flags & ~_DOTNL
                saw = True
            elif c == "U":
                flags = flags | _NONGREEDY if sign > 0 else flags & ~_NONGREEDY
                saw = True
            elif c == "-":
                if sign < 0:
                    break
                sign, saw = -1, False
            elif c in ":)":
                if sign < 0 and not saw:
                    break
                if c == ":":
                    self.op(_LPAREN)
                self.flags = flags
                return t
            else:
                break
        raise GoRegexpError(_ERR_PERL, s[:len(s) - len(t)])

    def parse_escape(self, s: str) -> Tuple[str, str]:
        t = s[1:]
        if not t:
            raise GoRegexpError(_ERR_BACKSLASH, "")
        c, t = t[0], t[1:]
        if c < "\x80" and not _is_alnum(c):
            return c, t
        if c in "1234567" and t and "0" <= t[0] <= "7" or c == "0":
            r = int(c)
            for _ in range(2):
                if not t or not "0" <= t[0] <= "7":
                    break
                r, t = r * 8 + int(t[0]), t[1:]
            return chr(r), t
        if c == "x" and t:
            c, t = t[0], t[1:]
            if c == "{":
                nhex, r = 0, 0
                while True:
                    if not t:
                        raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])
                    c, t = t[0], t[1:]
                    if c == "}":
                        break
                    v = _unhex(c)
                    if v < 0:
                        raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])
                    r = r * 16 + v
                    if r > _MAX_RUNE:
                        raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])
                    nhex += 1
                if nhex == 0:
                    raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])
                return chr(r), t
            x = _unhex(c)
            y = -1
            if t:
                c, t = t[0], t[1:]
                y = _unhex(c)
            if x >= 0 and y >= 0:
                return chr(x * 16 + y), t
            raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])
        simple = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        if c in simple:
            return simple[c], t
        raise GoRegexpError(_ERR_ESCAPE, s[:len(s) - len(t)])

    def parse_unicode_class(self, s: str) -> Optional[Tuple[List[Tuple[int, int]], str]]:
        if len(s) < 2 or s[0] != "\\" or s[1] not in "pP":
            return None
        sign = -1 if s[1] == "P" else 1
        t = s[2:]
        if not t or t[0] != "{":
            seq = s[:3]
            name, t = seq[2:], s[3:]
        else:
            end = s.find("}")
            if end < 0:
                raise GoRegexpError(_ERR_CLASS_RANGE, s)
            seq, t = s[:end + 1], s[end + 1:]
            name = s[3:end]
        if name.startswith("^"):
            sign, name = -sign, name[1:]
        tab = _unicode_table(name)
        if tab is None:
            raise GoRegexpError(_ERR_CLASS_RANGE, seq)
        if self.flags & _FOLD:
            tab = _fold_ranges(tab)
        return (tab if sign > 0 else _negate(tab)), t

    def parse_perl_class(self, s: str) -> Optional[Tuple[List[Tuple[int, int]], str]]:
        g = _PERL_GROUPS.get(s[:2]) if len(s) >= 2 else None
        if g is None:
            return None
        ranges = _fold_ranges(g[1]) if self.flags & _FOLD else list(g[1])
        return (ranges if g[0] > 0 else _negate(ranges)), s[2:]

    def parse_class(self, s: str) -> str:
        t = s[1:]
        sign = 1
        if t.startswith("^"):
            sign, t = -1, t[1:]
        ranges: List[Tuple[int, int]] = []
        first = True
        while not t or t[0] != "]" or first:
            first = False
            if len(t) > 2 and t[0] == "[" and t[1] == ":":
                i = t.find(":]", 2)
                if i >= 0:
                    name = t[:i + 2]
                    neg = name[2:3] == "^"
                    group = _POSIX.get(name[3:-2] if neg else name[2:-2])
                    if group is None:
                        raise GoRegexpError(_ERR_CLASS_RANGE, name)
                    g = _fold_ranges(group) if self.flags & _FOLD else group
                    ranges.extend(_negate(g) if neg else g)
                    t = t[i + 2:]
                    continue
            u = self.parse_unicode_class(t)
            if u is not None:
                ranges.extend(u[0])
                t = u[1]
                continue
            p = self.parse_perl_class(t)
            if p is not None:
                ranges.extend(p[0])
                t = p[1]
                continue
            rng = t
            lo, t = self.parse_class_char(t, s)
            hi = lo
            if len(t) >= 2 and t[0] == "-" and t[1] != "]":
                hi, t = self.parse_class_char(t[1:], s)
                if hi < lo:
                    raise GoRegexpError(_ERR_CLASS_RANGE, rng[:len(rng) - len(t)])
            if self.flags & _FOLD:
                ranges.extend(_fold_ranges([(ord(lo), ord(hi))]))
            else:
                ranges.append((ord(lo), ord(hi)))
        t = t[1:]
        ranges = _clean(ranges)
        self.push(_Re(_CLASS, ranges=ranges if sign > 0 else _negate(ranges), flags=self.flags))
        return t

    def parse_class_char(self, s: str, whole_class: str) -> Tuple[str, str]:
        if not s:
            raise GoRegexpError(_ERR_BRACKET, whole_class)
        if s[0] == "\\":
            return self.parse_escape(s)
        return s[0], s[1:]

    def parse(self) -> _Re:
        t = self.whole
        last_repeat = ""
        while t:
            repeat = ""
            c = t[0]
            if c == "(":
                if len(t) >= 2 and t[1] == "?":
                    t = self.parse_perl_flags(t)
                else:
                    self.op(_LPAREN).cap = 1
                    t = t[1:]
            elif c == "|":
                self.parse_vertical_bar()
                t = t[1:]
            elif c == ")":
                self.parse_right_paren()
                t = t[1:]
            elif c == "^":
                self.op(_BOT if self.flags & _ONELINE else _BOL)
                t = t[1:]
            elif c == "$":
                self.op(_EOT if self.flags & _ONELINE else _EOL)
                t = t[1:]
            elif c == ".":
                self.op(_ANY if self.flags & _DOTNL else _ANY_NOT_NL)
                t = t[1:]
            elif c == "[":
                t = self.parse_class(t)
            elif c in "*+?":
                before = t
                op = {"*": _STAR, "+": _PLUS, "?": _QUEST}[c]
                t = self.repeat(op, 0, 0, before, t[1:], last_repeat)
                repeat = before
            elif c == "{":
                before = t
                parsed = self.parse_repeat(t)
                if parsed is None:
                    self.literal("{")
                    t = t[1:]
                else:
                    lo, hi, after = parsed
                    if lo < 0 or lo > _MAX_REPEAT or hi > _MAX_REPEAT or (hi >= 0 and lo > hi):
                        raise GoRegexpError(_ERR_REPEAT_SIZE, before[:len(before) - len(after)])
                    t = self.repeat(_REPEAT, lo, hi, before, after, last_repeat)
                    repeat = before
            elif c == "\\":
                t = self.parse_backslash(t)
            else:
                self.literal(c)
                t = t[1:]
            last_repeat = repeat
        self.finish_alternation()
        if len(self.stack) != 1:
            raise GoRegexpError(_ERR_PAREN, self.whole)
        return self.stack[0]

    def parse_backslash(self, t: str) -> str:
        if len(t) >= 2:
            c = t[1]
            simple = {"A": _BOT, "b": _WORDB, "B": _NOWORDB, "z": _EOT}
            if c in simple:
                self.op(simple[c])
                return t[2:]
            if c == "C":
                raise GoRegexpError(_ERR_ESCAPE, t[:2])
            if c == "Q":
                lit, sep, rest = t[2:].partition("\\E")
                for ch in lit:
                    self.literal(ch)
                return rest if sep else ""
            if c in "pP":
                u = self.parse_unicode_class(t)
                if u is not None:
                    self.push(_Re(_CLASS, ranges=u[0], flags=self.flags))
                    return u[1]
        p = self.parse_perl_class(t)
        if p is not None:
            self.push(_Re(_CLASS, ranges=p[0], flags=self.flags))
            return p[1]
        ch, t = self.parse_escape(t)
        self.literal(ch)
        return t


def _repeat_is_valid(root: _Re, n: int) -> bool:
    stack = [(root, n)]
    while stack:
        r, limit = stack.pop()
        if r.op == _REPEAT:
            m = r.hi
            if m == 0:
                continue
            if m < 0:
                m = r.lo
            if m > limit:
                return False
            if m > 0:
                limit //= m
        for sub in r.subs:
            stack.append((sub, limit))
    return True


def _height(root: _Re) -> int:
    best, stack = 0, [(root, 1)]
    while stack:
        r, h = stack.pop()
        best = max(best, h)
        if best > _MAX_HEIGHT:
            return best
        stack.extend((s, h + 1) for s in r.subs)
    return best


# automaton: kinds of states
_K_CHAR, _K_SPLIT, _K_ASSERT, _K_MATCH = range(4)
# assertion context bits
_A_BOL, _A_EOL, _A_BOT, _A_EOT, _A_WORDB, _A_NOWORDB = 1, 2, 4, 8, 16, 32
_ASSERT_BIT = {_BOL: _A_BOL, _EOL: _A_EOL, _BOT: _A_BOT, _EOT: _A_EOT, _WORDB: _A_WORDB, _NOWORDB: _A_NOWORDB}


class _Class:
    __slots__ = ("los", "his")

    def __init__(self, ranges: Sequence[Tuple[int, int]]):
        self.los = [r[0] for r in ranges]
        self.his = [r[1] for r in ranges]

    def __contains__(self, cp: int) -> bool:
        i = bisect.bisect_right(self.los, cp) - 1
        return i >= 0 and cp <= self.his[i]


class _Program:
    """A Thompson NFA: states in parallel lists; matching adds the start state at every position (unanchored)."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.kind: List[int] = []
        self.arg: List[Any] = []
        self.nxt: List[Any] = []
        self.start = 0
        self.uses_asserts = False

    def add(self, kind: int, arg=None, nxt=None) -> int:
        if len(self.kind) >= _MAX_STATES:
            raise GoRegexpError(_ERR_LARGE, self.pattern)
        self.kind.append(kind)
        self.arg.append(arg)
        self.nxt.append(nxt)
        return len(self.kind) - 1

    def patch(self, holes: List[Tuple[int, int]], target: int) -> None:
        for state, slot in holes:
            if slot < 0:
                self.nxt[state] = target
            else:
                self.nxt[state][slot] = target


def _expand_repeat(r: _Re) -> _Re:
    """x{n,m} in terms of concatenation, ? and * (regexp/syntax simplify)."""
    sub, lo, hi = r.subs[0], r.lo, r.hi
    if hi == -1:
        if lo == 0:
            return _Re(_STAR, [sub])
        if lo == 1:
            return _Re(_PLUS, [sub])
        return _Re(_CONCAT, [sub] * (lo - 1) + [_Re(_PLUS, [sub])])
    if lo == 0 and hi == 0:
        return _Re(_EMPTY)
    if lo == 1 and hi == 1:
        return sub
    prefix = [sub] * lo
    if hi > lo:
        suffix = _Re(_QUEST, [sub])
        for _ in range(lo + 1, hi):
            suffix = _Re(_QUEST, [_Re(_CONCAT, [sub, suffix])])
        prefix.append(suffix)
    return prefix[0] if len(prefix) == 1 else _Re(_CONCAT, prefix)


def _compile(root: _Re, pattern: str) -> _Program:
    prog = _Program(pattern)
    frags: List[Tuple[int, List[Tuple[int, int]]]] = []
    stack: List[Tuple[_Re, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if node.op == _REPEAT:
            node = _expand_repeat(node)
        if not done:
            stack.append((node, True))
            for sub in reversed(node.subs):
                stack.append((sub, False))
            continue
        n = len(node.subs)
        subs = frags[len(frags) - n:] if n else []
        if n:
            del frags[len(frags) - n:]
        op = node.op
        if op in (_LIT, _CLASS):
            ranges = node.ranges or []
            if op == _LIT and node.flags & _FOLD:
                ranges = _fold_ranges(ranges)
            s = prog.add(_K_CHAR, _Class(ranges))
            frags.append((s, [(s, -1)]))
        elif op in (_ANY_NOT_NL, _ANY):
            s = prog.add(_K_CHAR, "any" if op == _ANY else "notnl")
            frags.append((s, [(s, -1)]))
        elif op in _ASSERT_BIT:
            prog.uses_asserts = True
            s = prog.add(_K_ASSERT, _ASSERT_BIT[op])
            frags.append((s, [(s, -1)]))
        elif op == _EMPTY:
            s = prog.add(_K_SPLIT, None, [None])
            frags.append((s, [(s, 0)]))
        elif op == _NOMATCH:
            s = prog.add(_K_CHAR, _Class([]))
            frags.append((s, []))
        elif op == _CAPTURE:
            frags.append(subs[0])
        elif op == _CONCAT:
            start, holes = subs[0]
            for s2, h2 in subs[1:]:
                prog.patch(holes, s2)
                holes = h2
            frags.append((start, holes))
        elif op == _ALT:
            s = prog.add(_K_SPLIT, None, [f[0] for f in subs])
            frags.append((s, [h for f in subs for h in f[1]]))
        elif op == _STAR:
            s = prog.add(_K_SPLIT, None, [subs[0][0], None])
            prog.patch(subs[0][1], s)
            frags.append((s, [(s, 1)]))
        elif op == _PLUS:
            s = prog.add(_K_SPLIT, None, [subs[0][0], None])
            prog.patch(subs[0][1], s)
            frags.append((subs[0][0], [(s, 1)]))
        elif op == _QUEST:
            s = prog.add(_K_SPLIT, None, [subs[0][0], None])
            frags.append((s, subs[0][1] + [(s, 1)]))
        else:  # pragma: no cover - every op is handled above
            raise GoRegexpError(_ERR_LARGE, pattern)
    start, holes = frags.pop()
    prog.patch(holes, prog.add(_K_MATCH))
    prog.start = start
    return prog


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Tuple[Optional[_Program], Optional[str]]:
    try:
        if any(0xD800 <= ord(c) <= 0xDFFF for c in pattern):
            raise GoRegexpError("invalid UTF-8", pattern[[0xD800 <= ord(c) <= 0xDFFF for c in pattern].index(True):])
        root = _Parser(pattern).parse()
        if _height(root) > _MAX_HEIGHT:
            raise GoRegexpError(_ERR_DEPTH, pattern)
        return _compile(root, pattern), None
    except GoRegexpError as err:
        return None, str(err)


def compile_go_regexp(pattern: str) -> Callable[[str], bool]:
    """Go's regexp.MustCompile(pattern).MatchString; raises GoRegexpError with Go's message."""
    prog, err = _compiled(pattern)
    if prog is None:
        code, _, expr = (err or "").partition("error parsing regexp: ")[2].partition(": `")
        raise GoRegexpError(code, expr[:-1])
    return functools.partial(_search, prog)


def go_match(pattern: str, text: str) -> bool:
    return compile_go_regexp(pattern)(text)


def _is_word(ch: Optional[str]) -> bool:
    return ch is not None and (ch == "_" or ("0" <= ch <= "9") or ("a" <= ch <= "z") or ("A" <= ch <= "Z"))


def _search(prog: _Program, text: str) -> bool:
    """Does the automaton match anywhere in text? Sets of states, memoized per (state set, context) and
    (state set, character) for this call: linear in len(text)."""
    kind, arg, nxt = prog.kind, prog.arg, prog.nxt
    closures: Dict[Tuple[FrozenSet[int], int], Tuple[FrozenSet[int], bool]] = {}
    steps: Dict[Tuple[FrozenSet[int], str], FrozenSet[int]] = {}

    def closure(seeds: FrozenSet[int], ctx: int) -> Tuple[FrozenSet[int], bool]:
        got = closures.get((seeds, ctx))
        if got is not None:
            return got
        seen: Set[int] = set()
        chars: List[int] = []
        matched = False
        todo = list(seeds)
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            k = kind[s]
            if k == _K_CHAR:
                chars.append(s)
            elif k == _K_SPLIT:
                todo.extend(t for t in nxt[s] if t is not None)
            elif k == _K_ASSERT:
                if ctx & arg[s]:
                    todo.append(nxt[s])
            else:
                matched = True
        result = (frozenset(chars), matched)
        closures[(seeds, ctx)] = result
        return result

    start = frozenset((prog.start,))
    current: FrozenSet[int] = frozenset()
    n = len(text)
    for i in range(n + 1):
        ctx = 0
        if prog.uses_asserts:
            prev = text[i - 1] if i > 0 else None
            nc = text[i] if i < n else None
            if i == 0:
                ctx |= _A_BOT | _A_BOL
            elif prev == "\n":
                ctx |= _A_BOL
            if i == n:
                ctx |= _A_EOT | _A_EOL
            elif nc == "\n":
                ctx |= _A_EOL
            ctx |= _A_WORDB if _is_word(prev) != _is_word(nc) else _A_NOWORDB
        states, matched = closure(current | start if current else start, ctx)
        if matched:
            return True
        if i == n:
            break
        ch = text[i]
        following = steps.get((states, ch))
        if following is None:
            cp = ord(ch)
            targets = []
            for s in states:
                a = arg[s]
                if a == "any" or (a == "notnl" and ch != "\n") or (not isinstance(a, str) and cp in a):
                    targets.append(nxt[s])
            following = frozenset(targets)
            steps[(states, ch)] = following
        current = following
    return False
