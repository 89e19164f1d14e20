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

from apiserver.codec.json import go_float
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
        n = -1 if len(digits) > 9 else int(digits)
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
        for i, c in enumerate(pattern):
            if 0xD800 <= ord(c) <= 0xDFFF:
                raise GoRegexpError("invalid UTF-8", pattern[i:])
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


# ---------------------------------------------------------------------------------------------------------------
# Formats (KO pkg/validation/strfmt, github.com/asaskevich/govalidator, Go's net, net/url, net/mail, time).

# AX pkg/apiserver/validation/formats.go: every other format is dropped before validation
SUPPORTED_FORMATS = frozenset((
    "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
    "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
    "datetime"))


def _normalize_format(name: str) -> str:
    return name.replace("-", "")


def _dtoi(s: bytes) -> Tuple[int, int, bool]:
    """Go 1.16 net.dtoi: decimal digits, stopping (and failing) at 0xFFFFFF."""
    n, i = 0, 0
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        n = n * 10 + s[i] - 0x30
        if n >= 0xFFFFFF:
            return 0xFFFFFF, i, False
        i += 1
    return (n, i, i > 0)


def _xtoi(s: bytes) -> Tuple[int, int, bool]:
    n, i = 0, 0
    while i < len(s):
        c = s[i]
        if 0x30 <= c <= 0x39:
            v = c - 0x30
        elif 0x61 <= c <= 0x66:
            v = c - 0x61 + 10
        elif 0x41 <= c <= 0x46:
            v = c - 0x41 + 10
        else:
            break
        n = n * 16 + v
        i += 1
        if n >= 0xFFFFFF:
            return 0, i, False
    return (n, i, i > 0)


def _parse_ipv4_sloppy(s: bytes) -> Optional[bytes]:
    out = []
    for i in range(4):
        if not s:
            return None
        if i > 0:
            if s[0:1] != b".":
                return None
            s = s[1:]
        n, c, ok = _dtoi(s)
        if not ok or n > 0xFF:
            return None
        s = s[c:]
        out.append(n)
    return bytes(out) if not s else None


def _parse_ipv6_sloppy(s: bytes) -> Optional[bytes]:
    """Go 1.16 net.parseIPv6 (k8s.io/utils/net ParseIPSloppy): leading zeros allowed."""
    ip = bytearray(16)
    ellipsis = -1
    if len(s) >= 2 and s[0:2] == b"::":
        ellipsis, s = 0, s[2:]
        if not s:
            return bytes(ip)
    i = 0
    while i < 16:
        n, c, ok = _xtoi(s)
        if not ok or n > 0xFFFF:
            return None
        if c < len(s) and s[c:c + 1] == b".":
            if ellipsis < 0 and i != 12:
                return None
            if i + 4 > 16:
                return None
            v4 = _parse_ipv4_sloppy(s)
            if v4 is None:
                return None
            ip[i:i + 4] = v4
            s = b""
            i += 4
            break
        ip[i], ip[i + 1] = n >> 8, n & 0xFF
        i += 2
        s = s[c:]
        if not s:
            break
        if s[0:1] != b":" or len(s) == 1:
            return None
        s = s[1:]
        if s[0:1] == b":":
            if ellipsis >= 0:
                return None
            ellipsis, s = i, s[1:]
            if not s:
                break
    if s:
        return None
    if i < 16:
        if ellipsis < 0:
            return None
        n = 16 - i
        ip[ellipsis + n:16] = ip[ellipsis:i]
        ip[ellipsis:ellipsis + n] = bytes(n)
    elif ellipsis >= 0:
        return None
    return bytes(ip)


def _parse_ip_sloppy(text: str) -> Optional[bytes]:
    s = text.encode("utf-8", "surrogatepass")
    for b in s:
        if b == 0x2E:
            return _parse_ipv4_sloppy(s)
        if b == 0x3A:
            return _parse_ipv6_sloppy(s)
    return None


def _is_ipv4_format(s: str) -> bool:
    return _parse_ip_sloppy(s) is not None and "." in s


def _go_parse_ip(s: str) -> bool:
    """Go 1.23 net.ParseIP: strict dotted decimal, RFC 4291 IPv6, no zones."""
    if "%" in s or not s.isascii():
        return False
    try:
        if ":" in s:
            ipaddress.IPv6Address(s)
        else:
            parts = s.split(".")
            if len(parts) != 4 or any(not p.isdigit() or (len(p) > 1 and p[0] == "0") or int(p) > 255
                                      for p in parts):
                return False
        return True
    except ValueError:
        return False


def _is_ipv6_format(s: str) -> bool:
    return ":" in s and _go_parse_ip(s)


def _is_cidr_format(s: str) -> bool:
    i = s.find("/")
    if i < 0:
        return False
    addr, mask = s[:i].encode("utf-8", "surrogatepass"), s[i + 1:].encode("utf-8", "surrogatepass")
    iplen = 4
    ip = _parse_ipv4_sloppy(addr)
    if ip is None:
        iplen, ip = 16, _parse_ipv6_sloppy(addr)
    n, c, ok = _dtoi(mask)
    return ip is not None and ok and c == len(mask) and 0 <= n <= 8 * iplen


def _is_mac_format(text: str) -> bool:
    s = text.encode("utf-8", "surrogatepass")

    def xtoi2(part: bytes, e: int) -> bool:
        if len(part) > 2 and part[2] != e:
            return False
        _, ei, ok = _xtoi(part[:2])
        return ok and ei == 2

    if len(s) < 14:
        return False
    if s[2] in (0x3A, 0x2D):
        if (len(s) + 1) % 3 != 0:
            return False
        n = (len(s) + 1) // 3
        if n not in (6, 8, 20):
            return False
        return all(xtoi2(s[3 * i:], s[2]) for i in range(n))
    if s[4] == 0x2E:
        if (len(s) + 1) % 5 != 0:
            return False
        n = 2 * (len(s) + 1) // 5
        if n not in (6, 8, 20):
            return False
        for x in range(0, 5 * (n // 2), 5):
            if not xtoi2(s[x:x + 2], 0) or not xtoi2(s[x + 2:], s[4]):
                return False
        return True
    return False


# net/url (Go 1.23): the parts of url.Parse and url.ParseRequestURI that decide success

_URL_HOST_OK = frozenset(b"!$&'()*+,;=:[]<>\"-._~")


def _url_unescape_ok(s: str, host: bool) -> Optional[str]:
    """None when s is a valid escaped string for its mode, else Go's error text."""
    b = s.encode("utf-8", "surrogatepass")
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x25:
            seg = b[i:i + 3]
            if len(seg) < 3 or _unhex(chr(seg[1])) < 0 or _unhex(chr(seg[2])) < 0:
                tail = b[i:i + 3].decode("utf-8", "replace")
                return f"invalid URL escape {go_quote(tail)}"
            i += 3
            continue
        if host and c < 0x80 and not (chr(c).isalnum() or c in _URL_HOST_OK):
            return f"invalid character {go_quote(chr(c))} in host name"
        i += 1
    return None


def _go_parse_url(raw: str, via_request: bool) -> Tuple[Optional[dict], Optional[str]]:
    """(parts, None) or (None, error detail) like net/url's parse; parts has scheme/host/user/query/fragment."""
    def err(msg: str):
        return None, msg

    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return err("net/url: invalid control character in URL")
    url = {"scheme": "", "host": "", "user": None, "query": "", "fragment": "", "opaque": ""}
    rest = raw
    if not via_request:
        rest, sep, frag = rest.partition("#")
        url["fragment"] = frag
        if sep and _url_unescape_ok(frag, False):
            return err(_url_unescape_ok(frag, False) or "")
    if rest == "" and via_request:
        return err("empty url")
    if rest == "*":
        return url, None
    for i, c in enumerate(rest):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                break
            continue
        if c == ":":
            if i == 0:
                return err("missing protocol scheme")
            url["scheme"], rest = rest[:i].lower(), rest[i + 1:]
        break
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, url["query"] = rest.partition("?")
    if not rest.startswith("/"):
        if url["scheme"]:
            url["opaque"] = rest
            return url, None
        if via_request:
            return err("invalid URI for request")
        colon, slash = rest.find(":"), rest.find("/")
        if colon >= 0 and (slash < 0 or colon < slash):
            return err("first path segment in URL cannot contain colon")
    if (url["scheme"] or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, rest = rest[2:], ""
        slash = authority.find("/")
        if slash >= 0:
            authority, rest = authority[:slash], authority[slash:]
        at = authority.rfind("@")
        host = authority
        if at >= 0:
            userinfo, host = authority[:at], authority[at + 1:]
            if any(not (c.isascii() and (c.isalnum() or c in "-._:~!$&'()*+,;=%@")) for c in userinfo):
                return err("net/url: invalid userinfo")
            url["user"] = userinfo
        if host.startswith("["):
            close_ = host.rfind("]")
            if close_ < 0:
                return err("missing ']' in host")
            port = host[close_ + 1:]
            if port and (not port.startswith(":") or not port[1:].isdigit() and port != ":"):
                return err(f"invalid port {go_quote(port)} after host")
            problem = _url_unescape_ok(host[:close_ + 1], True)
        else:
            colon = host.rfind(":")
            if colon >= 0:
                port = host[colon:]
                if port != ":" and not port[1:].isdigit():
                    return err(f"invalid port {go_quote(port)} after host")
            problem = _url_unescape_ok(host, True)
        if problem:
            return err(problem)
        url["host"] = host
    problem = _url_unescape_ok(rest, False)
    if problem:
        return err(problem)
    return url, None


def _is_request_uri(s: str) -> bool:
    return _go_parse_url(s, True)[0] is not None


_ATEXT = frozenset("!#$%&'*+-/=?^_`{|}~")


def _is_email(s: str) -> bool:
    """net/mail.ParseAddress with a non-empty address: addr-spec or display-name <addr-spec> (no comments)."""
    def atom_ok(a: str, dot: bool) -> bool:
        if not a:
            return False
        parts = a.split(".") if dot else [a]
        return all(p and all(c.isalnum() or c in _ATEXT or ord(c) >= 0x80 for c in p) for p in parts)

    def quoted_ok(q: str) -> bool:
        if len(q) < 2 or q[0] != '"' or q[-1] != '"':
            return False
        body, i = q[1:-1], 0
        while i < len(body):
            c = body[i]
            if c == "\\":
                i += 2
                continue
            if c == '"' or (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F:
                return False
            i += 1
        return i == len(body)

    def addr_spec(a: str) -> bool:
        at = a.rfind("@")
        if at <= 0:
            return False
        local, domain = a[:at], a[at + 1:]
        if not (quoted_ok(local) if local.startswith('"') else atom_ok(local, True)):
            return False
        if domain.startswith("["):
            return domain.endswith("]") and all(0x21 <= ord(c) <= 0x7E and c not in "[]\\" for c in domain[1:-1])
        return atom_ok(domain, True)

    t = s.strip(" \t")
    if addr_spec(t):
        return True
    if not t.endswith(">") or "<" not in t:
        return False
    lt = t.rfind("<")
    name, spec = t[:lt].strip(" \t"), t[lt + 1:-1]
    if name:
        words = name.split()
        if not all(quoted_ok(w) or atom_ok(w, True) for w in words):
            return False
    return addr_spec(spec)


def _is_hostname(s: str) -> bool:
    pattern = (r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}"
               r"\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$")
    if not go_match(pattern, s):
        return False
    if len(s.encode("utf-8", "surrogatepass")) > 255:
        return False
    return all(len(p.encode("utf-8", "surrogatepass")) <= 63 for p in s.split("."))


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_date(s: str) -> bool:
    """time.Parse("2006-01-02", s)."""
    if len(s) != 10 or s[4] != "-" or s[7] != "-":
        return False
    y, m, d = s[:4], s[5:7], s[8:]
    if not (y.isascii() and y.isdigit() and m.isascii() and m.isdigit() and d.isascii() and d.isdigit()):
        return False
    year, month, day = int(y), int(m), int(d)
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= (29 if month == 2 and leap else _DAYS[month - 1])


_DATETIME_PATTERN = r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$"


def _is_datetime(s: str) -> bool:
    """strfmt.IsDateTime: a date, a "t", and hh:mm:ss[.frac](z|±hh:mm), the numbers compared as strings."""
    if len(s) < 4:
        return False
    parts = s.lower().split("t")
    if len(parts) < 2 or not _is_date(parts[0]) or not go_match(_DATETIME_PATTERN, parts[1]):
        return False
    t = parts[1]
    return t[0:2] <= "23" and t[3:5] <= "59" and t[6:8] <= "59"


_GO_DURATION_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
                      "h": 3600 * 10**9}


def _go_parse_duration(s: str) -> bool:
    """time.ParseDuration succeeds (sign, decimal numbers with units, overflow of int64 nanoseconds refused)."""
    orig = s
    if s[:1] in ("-", "+"):
        s = s[1:]
    if s == "0":
        return True
    if not s:
        return False
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            return False
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        whole, s = s[:i], s[i:]
        frac = ""
        if s.startswith("."):
            s = s[1:]
            j = 0
            while j < len(s) and "0" <= s[j] <= "9":
                j += 1
            frac, s = s[:j], s[j:]
        if not whole and not frac:
            return False
        j = 0
        while j < len(s) and s[j] != "." and not ("0" <= s[j] <= "9"):
            j += 1
        unit, s = s[:j], s[j:]
        if unit not in _GO_DURATION_UNITS:
            return False
        mult = _GO_DURATION_UNITS[unit]
        v = int(whole or "0")
        if v > (1 << 63) // mult:
            return False
        total += v * mult + (int(frac) * mult // 10 ** len(frac) if frac else 0)
        if total > (1 << 63):
            return False
    return total <= (1 << 63) - (0 if orig.startswith("-") else 1)


_DURATION_UNITS = (("ns", "nano"), ("us", "µs", "micro"), ("ms", "milli"), ("s", "sec"), ("m", "min"),
                   ("h", "hr", "hour"), ("d", "day"), ("w", "wk", "week"))


def _is_duration(s: str) -> bool:
    """strfmt.ParseDuration: Go's time.ParseDuration, else any "<digits> <unit>" match with a known unit."""
    if _go_parse_duration(s):
        return True
    ok = False
    i, n = 0, len(s)
    while i < n:
        if not ("0" <= s[i] <= "9"):
            i += 1
            continue
        j = i
        while j < n and "0" <= s[j] <= "9":
            j += 1
        k = j
        while k < n and s[k] in " \t\n\f\r":
            k += 1
        m = k
        while m < n and (("a" <= s[m].lower() <= "z" and s[m].isascii()) or s[m] == "µ"):
            m += 1
        if m == k:
            i = j
            continue
        if int(s[i:j]) > (1 << 63) - 1:
            return False
        unit = s[k:m].lower()
        for variants in _DURATION_UNITS:
            last = len(variants) - 1
            for idx, variant in enumerate(variants):
                if (idx == last and unit.startswith(variant)) or variant.lower() == unit:
                    ok = True
        i = m
    return ok


def _isbn_digits(s: str) -> str:
    return "".join(c for c in s if c not in "\t\n\f\r -")


def _is_isbn10(s: str) -> bool:
    t = _isbn_digits(s)
    if not go_match(r"^(?:[0-9]{9}X|[0-9]{10})$", t):
        return False
    total = sum((i + 1) * int(c) for i, c in enumerate(t[:9]))
    total += 10 * 10 if t[9] == "X" else 10 * int(t[9])
    return total % 11 == 0


def _is_isbn13(s: str) -> bool:
    t = _isbn_digits(s)
    if not go_match(r"^(?:[0-9]{13})$", t):
        return False
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(t[:12]))
    return int(t[12]) - (10 - total % 10) % 10 == 0


_CREDIT_CARD = (r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|"
                r"3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$")


def _is_credit_card(s: str) -> bool:
    digits = "".join(c for c in s if "0" <= c <= "9")
    if not go_match(_CREDIT_CARD, digits):
        return False
    total, double = 0, False
    for c in reversed(digits):
        d = int(c)
        if double:
            d *= 2
            total += d % 10 + 1 if d >= 10 else d
        else:
            total += d
        double = not double
    return total % 10 == 0


_FORMAT_PATTERNS = {
    "uuid": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid3": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid4": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
    "uuid5": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
    "hexcolor": r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$",
    "rgbcolor": (r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,"
                 r"\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$"),
    "byte": r"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})$",
}

_FORMAT_CHECKS: Dict[str, Callable[[str], bool]] = {
    "bsonobjectid": lambda s: len(s) == 24 and all(c in "0123456789abcdefABCDEF" for c in s),
    "uri": _is_request_uri,
    "email": _is_email,
    "hostname": _is_hostname,
    "ipv4": _is_ipv4_format,
    "ipv6": _is_ipv6_format,
    "cidr": _is_cidr_format,
    "mac": _is_mac_format,
    "isbn": lambda s: _is_isbn10(s) or _is_isbn13(s),
    "isbn10": _is_isbn10,
    "isbn13": _is_isbn13,
    "creditcard": _is_credit_card,
    "ssn": lambda s: len(s) == 11 and go_match(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$", s),
    "password": lambda s: True,
    "date": _is_date,
    "datetime": _is_datetime,
    "duration": _is_duration,
}
for _name, _pattern in _FORMAT_PATTERNS.items():
    _FORMAT_CHECKS[_name] = functools.partial(go_match, _pattern)
del _name, _pattern


def check_format(fmt: str, value: str) -> Optional[bool]:
    """Whether value has format fmt as upstream checks it; None when upstream does not check fmt at all."""
    name = _normalize_format(fmt)
    if name not in SUPPORTED_FORMATS:
        return None
    return _FORMAT_CHECKS[name](value)


# ---------------------------------------------------------------------------------------------------------------
# Go semantics of decoded JSON values: dynamic types, reflect.DeepEqual, conversions used by enum checks.

def _gokind(v) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64" if _INT64_MIN <= v <= _INT64_MAX else "float64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "slice"
    if isinstance(v, dict):
        return "map"
    return "other"


def _deep_equal(a, b) -> bool:
    """reflect.DeepEqual of two decoded JSON values (int64 and float64 differ, as in Go)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        kx = _gokind(x)
        if kx != _gokind(y):
            return False
        if kx == "map":
            if len(x) != len(y) or any(k not in y for k in x):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif kx == "slice":
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif kx == "float64":
            if _as_float(x) != _as_float(y):
                return False
        elif x != y:
            return False
    return True


def _go_f2i(f: float) -> int:
    """int64(f) on amd64: truncation, and the minimum int64 for NaN or out-of-range values."""
    if math.isnan(f) or not -9.223372036854776e18 <= f < 9.223372036854776e18:
        return _INT64_MIN
    return int(f)


def _go_rune_string(i: int) -> str:
    return chr(i) if 0 <= i <= _MAX_RUNE and not 0xD800 <= i <= 0xDFFF else "\ufffd"


def _enum_matches(data, enum_value) -> bool:
    """basicCommonValidator: equal, or equal after Go's conversion of data to the enum value's type."""
    kd, ke = _gokind(data), _gokind(enum_value)
    if kd == "nil" or ke == "nil":
        return False
    if kd == ke:
        return _deep_equal(data, enum_value)
    if kd == "int64" and ke == "float64":
        return float(data) == _as_float(enum_value)
    if kd == "int64" and ke == "string":
        return _go_rune_string(data) == enum_value
    if kd == "float64" and ke == "int64":
        return _go_f2i(_as_float(data)) == enum_value
    return False


def _scalar_key(v) -> Tuple[str, Any]:
    k = _gokind(v)
    return (k, _as_float(v)) if k == "float64" else (k, v)


def _is_json_integer(f: float) -> bool:
    """swag.IsFloat64AJSONInteger (go-openapi/swag v0.23): integers in ±(2^53-1), with a relative tolerance."""
    max_json = float((1 << 53) - 1)
    if math.isnan(f) or math.isinf(f) or f < -max_json or f > max_json:
        return False
    t = math.trunc(f)
    g = float(t) if f >= 0 else float((t + (1 << 64)) % (1 << 64))   # float64(uint64(f)) on amd64
    diff = abs(f - g)
    if f == g or f == float(t):
        return True
    if f == 0 or g == 0 or diff < 5e-324:
        return diff < 1e-9 * 5e-324
    return diff / min(abs(f) + abs(g), 1.7976931348623157e308) < 1e-9


# ---------------------------------------------------------------------------------------------------------------
# The schema as kube-openapi sees it: spec.Schema after ConvertJSONSchemaPropsWithPostProcess (formats stripped).

def _num(schema: dict, key: str) -> Optional[float]:
    v = schema.get(key)
    return _as_float(v) if _is_num(v) else None


def _int(schema: dict, key: str) -> Optional[int]:
    v = schema.get(key)
    if _is_int(v):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v) -> list:
    return v if isinstance(v, list) else []


class _View:
    __slots__ = ("src", "type", "nullable", "format", "maximum", "exclusive_maximum", "minimum", "exclusive_minimum",
                 "max_length", "min_length", "pattern", "max_items", "min_items", "unique_items", "multiple_of",
                 "enum", "max_properties", "min_properties", "required", "items", "items_list", "properties",
                 "ap", "ap_allows", "all_of", "one_of", "any_of", "not_", "list_type", "map_keys", "embedded",
                 "preserve", "default", "has_default")


def _view(schema, memo: Dict[int, _View]) -> _View:
    schema = _dict(schema)
    got = memo.get(id(schema))
    if got is not None and got.src is schema:
        return got
    v = _View()
    memo[id(schema)] = v
    v.src = schema
    t = schema.get("type")
    v.type = [t] if isinstance(t, str) and t else []
    if schema.get("x-kubernetes-int-or-string") is True:
        v.type = ["integer", "string"]
    v.nullable = schema.get("nullable") is True
    fmt = schema.get("format")
    v.format = fmt if isinstance(fmt, str) and _normalize_format(fmt) in SUPPORTED_FORMATS else ""
    v.maximum, v.minimum = _num(schema, "maximum"), _num(schema, "minimum")
    v.exclusive_maximum = schema.get("exclusiveMaximum") is True
    v.exclusive_minimum = schema.get("exclusiveMinimum") is True
    v.max_length, v.min_length = _int(schema, "maxLength"), _int(schema, "minLength")
    p = schema.get("pattern")
    v.pattern = p if isinstance(p, str) else ""
    v.max_items, v.min_items = _int(schema, "maxItems"), _int(schema, "minItems")
    v.unique_items = schema.get("uniqueItems") is True
    v.multiple_of = _num(schema, "multipleOf")
    e = schema.get("enum")
    v.enum = e if isinstance(e, list) and e else None
    v.max_properties, v.min_properties = _int(schema, "maxProperties"), _int(schema, "minProperties")
    v.required = [r for r in _list(schema.get("required")) if isinstance(r, str)]
    items = schema.get("items")
    v.items = items if isinstance(items, dict) else None
    v.items_list = items if isinstance(items, list) else None
    v.properties = {k: s for k, s in _dict(schema.get("properties")).items()}
    ap = schema.get("additionalProperties")
    v.ap = ap if isinstance(ap, dict) else None
    v.ap_allows = None if ap is None else (ap is not False)
    v.all_of, v.one_of, v.any_of = (_list(schema.get(k)) for k in ("allOf", "oneOf", "anyOf"))
    v.not_ = schema.get("not") if isinstance(schema.get("not"), dict) else None
    lt = schema.get("x-kubernetes-list-type")
    v.list_type = lt if isinstance(lt, str) else None
    v.map_keys = [k for k in _list(schema.get("x-kubernetes-list-map-keys")) if isinstance(k, str)]
    v.embedded = schema.get("x-kubernetes-embedded-resource") is True
    v.preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    v.has_default = schema.get("default") is not None
    v.default = schema.get("default")
    return v


# ---------------------------------------------------------------------------------------------------------------
# kube-openapi's SchemaValidator (KO pkg/validation/validate), errors as openapierrors.Validation or apiError.

class _Err:
    __slots__ = ("code", "name", "value", "valid", "values", "message")

    def __init__(self, code: str, name: str, message: str, value=None, valid=None, values=None):
        self.code, self.name, self.message = code, name, message
        self.value, self.valid, self.values = value, valid, values


class _Result:
    __slots__ = ("errors", "seen", "match_count")

    def __init__(self, *errors: _Err):
        self.errors: List[_Err] = []
        self.seen: Set[str] = set()
        self.match_count = 0
        self.add(*errors)

    def add(self, *errors: Optional[_Err]) -> None:
        for e in errors:
            if e is not None and e.message not in self.seen:
                self.seen.add(e.message)
                self.errors.append(e)

    def merge(self, *others: Optional[_Result]) -> _Result:
        for o in others:
            if o is not None:
                self.add(*o.errors)
                self.match_count += o.match_count
        return self

    @property
    def valid(self) -> bool:
        return not self.errors


def _in(path: str, text: str) -> str:
    return f"{path} in body {text}"


def _invalid_type(path: str, type_name: str, value) -> _Err:
    if isinstance(value, str):
        msg = _in(path, f"must be of type {type_name}: {go_quote(value)}")
    else:
        msg = _in(path, f"must be of type {type_name}")
    return _Err("type", path, msg, value)


def _schema_info(kind: str) -> Tuple[str, str]:
    return {"bool": ("boolean", ""), "string": ("string", ""), "int64": ("integer", "int64"),
            "float64": ("number", "float64"), "slice": ("array", ""), "map": ("object", "")}.get(kind, ("", ""))


class _Corr:
    """common.CorrelatedObject: the old value a new value is compared with when ratcheting, and its schema."""
    __slots__ = ("old", "schema")

    def __init__(self, old, schema: Optional[_View]):
        self.old, self.schema = old, schema


class _Ctx:
    __slots__ = ("memo",)

    def __init__(self):
        self.memo: Dict[int, _View] = {}


def _corr_child_key(corr: Optional[_Corr], data, field: str, path: str, ctx: _Ctx) -> Optional[_Corr]:
    if corr is None or corr.schema is None or not isinstance(data, dict) or not isinstance(corr.old, dict):
        return None
    if field not in data or field not in corr.old:
        return None
    if path == "" and field in ("kind", "apiVersion"):
        return None
    s = corr.schema
    if field in s.properties:
        sub = s.properties[field]
    elif s.ap is not None:
        sub = s.ap
    else:
        return None
    return _Corr(corr.old[field], _view(sub, ctx.memo))


def _map_list_key(item, keys: Sequence[str]):
    if not isinstance(item, dict):
        return None
    return tuple(go_json(item.get(k)) if k in item else "\0" for k in keys)


def _corr_child_index(corr: Optional[_Corr], data, i: int, ctx: _Ctx) -> Optional[_Corr]:
    if corr is None or corr.schema is None or not isinstance(data, list) or not isinstance(corr.old, list):
        return None
    s = corr.schema
    if s.items is None or s.list_type != "map" or i >= len(data):
        return None
    key = _map_list_key(data[i], s.map_keys)
    if key is None:
        return None
    for old_item in corr.old:
        if _map_list_key(old_item, s.map_keys) == key:
            return _Corr(old_item, _view(s.items, ctx.memo))
    return None


def _corr_equal(new, corr: _Corr, ctx: _Ctx) -> bool:
    """CorrelatedObject.CachedDeepEqual: like DeepEqual, but map-type lists compare by key (order ignored)."""
    old = corr.old
    if new is None or old is None:
        return new is None and old is None
    if isinstance(new, list) != isinstance(old, list) or isinstance(new, dict) != isinstance(old, dict):
        return False
    if isinstance(new, list):
        if len(new) != len(old):
            return False
        s = corr.schema
        if s is None or s.items is None or s.list_type != "map":
            return _deep_equal(old, new)
        for i in range(len(new)):
            child = _corr_child_index(corr, new, i, ctx)
            if child is None or not _corr_equal(new[i], child, ctx):
                return False
        return True
    if isinstance(new, dict):
        if len(new) != len(old):
            return False
        for k in new:
            child = _corr_child_key(corr, new, k, "x", ctx)
            if child is None or not _corr_equal(new[k], child, ctx):
                return False
        return True
    return _deep_equal(old, new)


def _validate_node(s: _View, path: str, data, ctx: _Ctx, corr: Optional[_Corr] = None) -> _Result:
    """SchemaValidator.Validate (or, with corr, ratchetingValueValidator.Validate)."""
    result = _validate_plain(s, path, data, ctx, corr)
    if corr is not None and not result.valid and _corr_equal(data, corr, ctx):
        dropped = _Result()
        dropped.match_count = result.match_count
        return dropped
    return result


def _validate_plain(s: _View, path: str, data, ctx: _Ctx, corr: Optional[_Corr]) -> _Result:
    result = _Result()
    if data is None:
        result.merge(_type_validator(s, path, None, "nil"))
        result.merge(_common_validator(s, path, None))
        return result
    kind = _gokind(data)
    if s.type or s.format:
        result.merge(_type_validator(s, path, data, kind))
        result.match_count += 1
    result.merge(_schema_props_validator(s, path, data, ctx, corr))
    result.match_count += 1
    if kind == "string":
        result.merge(_string_validator(s, path, data))
        result.match_count += 1
        if s.format:
            ok = check_format(s.format, data)
            if ok is False:
                result.merge(_Result(_invalid_type(path, s.format, data)))
            result.match_count += 1
    if kind in ("int64", "float64"):
        result.merge(_number_validator(s, path, data, kind))
        result.match_count += 1
    if kind == "slice":
        result.merge(_slice_validator(s, path, data, ctx, corr))
        result.match_count += 1
    result.merge(_common_validator(s, path, data))
    result.match_count += 1
    if kind == "map":
        result.merge(_object_validator(s, path, data, ctx, corr))
        result.match_count += 1
    result.match_count += 1
    return result


def _type_validator(s: _View, path: str, data, kind: str) -> _Result:
    ok = _Result()
    ok.match_count = 1
    types = s.type
    if data is None:
        if types and "null" not in types and not s.nullable:
            return _Result(_invalid_type(path, ",".join(types), "null"))
        return ok
    sch_type, fmt = _schema_info(kind)
    is_float_int = sch_type == "number" and _is_json_integer(_as_float(data)) and "integer" in types
    is_int_float = sch_type == "integer" and "number" in types
    if kind not in ("string", "slice") and s.format and not (
            sch_type in types or fmt == s.format or is_float_int or is_int_float):
        return _Result(_invalid_type(path, s.format, fmt))
    if not ("number" in types or "integer" in types) and s.format and kind in ("string", "slice"):
        return ok
    if not (sch_type in types or is_float_int or is_int_float):
        return _Result(_invalid_type(path, ",".join(types), sch_type))
    return ok


def _schema_props_validator(s: _View, path: str, data, ctx: _Ctx, corr: Optional[_Corr]) -> _Result:
    main = _Result()
    if s.any_of:
        best, first_success, succeeded = None, None, False
        for sub in s.any_of:
            r = _validate_plain(_view(sub, ctx.memo), path, data, ctx, corr)
            if r.valid:
                best, succeeded = None, True
                first_success = first_success or r
                break
            if best is None or r.match_count > best.match_count:
                best = r
        if not succeeded:
            main.add(_Err("composite", path, f"{go_quote(path)} must validate at least one schema (anyOf)"))
        if best is not None:
            main.merge(best)
        elif first_success is not None:
            main.merge(first_success)
    if s.one_of:
        best, first_success, validated = None, None, 0
        for sub in s.one_of:
            r = _validate_plain(_view(sub, ctx.memo), path, data, ctx, corr)
            if r.valid:
                validated += 1
                best = None
                first_success = first_success or r
                continue
            if validated == 0 and (best is None or r.match_count > best.match_count):
                best = r
        if validated != 1:
            extra = "Found none valid" if validated == 0 else f"Found {validated} valid alternatives"
            main.add(_Err("composite", path,
                          f"{go_quote(path)} must validate one and only one schema (oneOf). {extra}"))
            if best is not None:
                main.merge(best)
        elif first_success is not None:
            main.merge(first_success)
    if s.all_of:
        validated = 0
        for sub in s.all_of:
            r = _validate_plain(_view(sub, ctx.memo), path, data, ctx, corr)
            if r.valid:
                validated += 1
            main.merge(r)
        if validated != len(s.all_of):
            extra = ". None validated" if validated == 0 else ""
            main.add(_Err("composite", path, f"{go_quote(path)} must validate all the schemas (allOf){extra}"))
    if s.not_ is not None:
        if _validate_plain(_view(s.not_, ctx.memo), path, data, ctx, corr).valid:
            main.add(_Err("composite", path, f"{go_quote(path)} must not validate the schema (not)"))
    main.match_count += 1
    return main


def _string_validator(s: _View, path: str, data: str) -> Optional[_Result]:
    n = len(data)
    if s.max_length is not None and n > s.max_length:
        return _Result(_Err("toolong", path, _in(path, f"should be at most {s.max_length} chars long"), data,
                            s.max_length))
    if s.min_length is not None and n < s.min_length:
        return _Result(_Err("tooshort", path, _in(path, f"should be at least {s.min_length} chars long"), data,
                            s.min_length))
    if s.pattern:
        prog, err = _compiled(s.pattern)
        if prog is None:
            return _Result(_Err("pattern", path, _in(path, f"should match '{s.pattern}, but pattern is invalid: "
                                                           f"{err}'"), data))
        if not _search(prog, data):
            return _Result(_Err("pattern", path, _in(path, f"should match '{s.pattern}'"), data))
    return None


def _number_validator(s: _View, path: str, data, kind: str) -> _Result:
    res, r_mult, r_min, r_max = _Result(), _Result(), _Result(), _Result()
    is_int = kind == "int64"
    value = data if is_int else _as_float(data)
    if s.multiple_of is not None:
        if is_int:
            factor = _go_f2i(s.multiple_of)
            if factor <= 0:
                r_mult.add(_Err("positive", path, f"factor MultipleOf declared for {path} must be positive: {factor}",
                                factor))
            else:
                q = abs(value) // factor * (1 if value >= 0 else -1)
                if q * factor != value:
                    r_mult.add(_Err("multipleof", path, _in(path, f"should be a multiple of {factor}"), value))
        else:
            factor_f = s.multiple_of
            if factor_f <= 0:
                r_mult.add(_Err("positive", path,
                                f"factor MultipleOf declared for {path} must be positive: {go_float(factor_f)}",
                                factor_f))
            else:
                mult = (1 / factor_f * value) if factor_f < 1 else value / factor_f
                if not _is_json_integer(mult):
                    r_mult.add(_Err("multipleof", path, _in(path, f"should be a multiple of {go_float(factor_f)}"),
                                    value))
    if s.maximum is not None:
        excl = s.exclusive_maximum
        word = "less than" if excl else "less than or equal to"
        if is_int:
            bound = _go_f2i(s.maximum)
            if (not excl and value > bound) or (excl and value >= bound):
                r_max.add(_Err("max", path, _in(path, f"should be {word} {bound}"), value))
        elif (not excl and value > s.maximum) or (excl and value >= s.maximum):
            r_max.add(_Err("max", path, _in(path, f"should be {word} {go_float(s.maximum)}"), value))
    if s.minimum is not None:
        excl = s.exclusive_minimum
        word = "greater than" if excl else "greater than or equal to"
        if is_int:
            bound = _go_f2i(s.minimum)
            if (not excl and value < bound) or (excl and value <= bound):
                r_min.add(_Err("min", path, _in(path, f"should be {word} {bound}"), value))
        elif (not excl and value < s.minimum) or (excl and value <= s.minimum):
            r_min.add(_Err("min", path, _in(path, f"should be {word} {go_float(s.minimum)}"), value))
    res.merge(r_mult, r_min, r_max)
    res.match_count += 1
    return res


def _slice_validator(s: _View, path: str, data: list, ctx: _Ctx, corr: Optional[_Corr]) -> _Result:
    result = _Result()
    size = len(data)
    if s.items is not None:
        items = _view(s.items, ctx.memo)
        for i, item in enumerate(data):
            child = _corr_child_index(corr, data, i, ctx)
            result.merge(_validate_node(items, f"{path}[{i}]", item, ctx, child))
    elif s.items_list:
        for i, sub in enumerate(s.items_list[:size]):
            result.merge(_validate_node(_view(sub, ctx.memo), f"{path}[{i}]", data[i], ctx, None))
    if s.min_items is not None and size < s.min_items:
        result.add(_Err("minitems", path, _in(path, f"should have at least {s.min_items} items"), size, s.min_items))
    if s.max_items is not None and size > s.max_items:
        result.add(_Err("maxitems", path, _in(path, f"should have at most {s.max_items} items"), size, s.max_items))
    if s.unique_items:
        seen: Dict[str, List[Any]] = {}
        for v in data:
            bucket = seen.setdefault(go_json(v), [])
            if any(_deep_equal(v, u) for u in bucket):
                result.add(_Err("unique", path, _in(path, "shouldn't contain duplicates")))
                break
            bucket.append(v)
    result.match_count += 1
    return result


def _common_validator(s: _View, path: str, data) -> Optional[_Result]:
    if not s.enum:
        return None
    if any(_enum_matches(data, e) for e in s.enum):
        return None
    values = "[" + " ".join(_go_v(e) for e in s.enum) + "]"
    return _Result(_Err("enum", path, _in(path, f"should be one of {values}"), data, values=s.enum))


def _go_v(v) -> str:
    """%v of an interface{} value (used in the enum message)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if _is_num(v):
        return _value_text(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_v(v[k])}" for k in sorted(v, key=str)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_v(x) for x in v) + "]"
    return str(v)


def _object_validator(s: _View, path: str, data: dict, ctx: _Ctx, corr: Optional[_Corr]) -> _Result:
    res = _Result()
    n = len(data)
    if s.min_properties is not None and n < s.min_properties:
        res.add(_Err("toofewprops", path, _in(path, f"should have at least {s.min_properties} properties"), n,
                     s.min_properties))
    if s.max_properties is not None and n > s.max_properties:
        res.add(_Err("toomanyprops", path, _in(path, f"should have at most {s.max_properties} properties"), n,
                     s.max_properties))
    if s.ap_allows is False:
        for k in data:
            if k not in s.properties:
                res.add(_Err("unallowed", path, f"{path}.{k} in body is a forbidden property", k))
    elif s.ap is not None:
        ap = _view(s.ap, ctx.memo)
        for k, v in data.items():
            if k not in s.properties:
                child = _corr_child_key(corr, data, k, path, ctx)
                res.merge(_validate_node(ap, f"{path}.{k}", v, ctx, child))
    for name, sub in s.properties.items():
        if name in data:
            child = _corr_child_key(corr, data, name, path, ctx)
            res.merge(_validate_node(_view(sub, ctx.memo), f"{path}.{name}" if path else name, data[name], ctx,
                                     child))
    for k in s.required:
        if k not in data:
            res.add(_Err("required", f"{path}.{k}", _in(f"{path}.{k}", "is required")))
    return res


def _result_causes(result: _Result, root: str) -> List[Cause]:
    """kubeOpenAPIResultToFieldErrors."""
    causes: List[Cause] = []
    for e in result.errors:
        if e.code == "composite":
            causes.append(_invalid(_shown(root), "", e.message))
            continue
        p = root
        if e.name and e.name != ".":
            p = _child(root, e.name[1:] if e.name.startswith(".") else e.name)
        fp = _shown(p)
        value = "" if e.value is None else e.value
        if e.code == "required":
            causes.append(_required(fp))
        elif e.code == "enum":
            valid = [v if isinstance(v, str) else go_json(v) for v in (e.values or [])]
            causes.append(_not_supported(fp, e.value, valid))
        elif e.code == "toolong":
            causes.append(_too_long(fp, e.valid if _is_int(e.valid) else -1))
        elif e.code in ("maxitems", "toomanyprops"):
            causes.append(_too_many(fp, e.value if _is_int(e.value) else -1, e.valid if _is_int(e.valid) else -1))
        elif e.code == "type":
            causes.append(_type_invalid(fp, value, e.message))
        else:
            causes.append(_invalid(fp, value, e.message))
    return causes


# ---------------------------------------------------------------------------------------------------------------
# Embedded resources (AX schema/objectmeta/validation.go) and ObjectMeta checks (AM api/validation, 1.32 texts).

_DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS1035_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
_QUALIFIED_NAME = r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    return msg + " (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{fmt}')"


def _blen(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


def is_dns1123_subdomain(value: str) -> List[str]:
    errs = []
    if _blen(value) > 253:
        errs.append("must be no more than 253 characters")
    if not go_match(_DNS1123_SUBDOMAIN, value):
        errs.append(_regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                                 "'-' or '.', and must start and end with an alphanumeric character",
                                 "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", "example.com"))
    return errs


def is_dns1123_label(value: str) -> List[str]:
    errs = []
    if _blen(value) > 63:
        errs.append("must be no more than 63 characters")
    if not go_match(_DNS1123_LABEL, value):
        if go_match(_DNS1123_SUBDOMAIN, value):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                                     "or '-', and must start and end with an alphanumeric character",
                                     "[a-z0-9]([-a-z0-9]*[a-z0-9])?", "my-name", "123-abc"))
    return errs


def is_dns1035_label(value: str) -> List[str]:
    errs = []
    if _blen(value) > 63:
        errs.append("must be no more than 63 characters")
    if not go_match(_DNS1035_LABEL, value):
        errs.append(_regex_error("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                                 "with an alphabetic character, and end with an alphanumeric character",
                                 "[a-z]([-a-z0-9]*[a-z0-9])?", "my-name", "abc-123"))
    return errs


_QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " \
             "character"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"


def _is_qualified_name(value: str) -> List[str]:
    errs: List[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif _blen(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not go_match(_QUALIFIED_NAME, name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def _is_label_value(value: str) -> List[str]:
    errs = []
    if _blen(value) > 63:
        errs.append("must be no more than 63 characters")
    if not go_match(_LABEL_VALUE, value):
        errs.append(_regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                                 "'_' or '.', and must start and end with an alphanumeric character",
                                 "(" + _QNAME_FMT + ")?", "MyValue", "my_value", "12345"))
    return errs


_META_STRINGS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion")


def _json_kind_word(v) -> str:
    return {"nil": "null", "bool": "bool", "int64": "number", "float64": "number", "string": "string",
            "slice": "array", "map": "object"}.get(_gokind(v), "object")


def _meta_type_error(md) -> Optional[str]:
    """The first json.Unmarshal error decoding md into a metav1.ObjectMeta (None when it decodes)."""
    def err(value, field: str, gotype: str, struct: str = "ObjectMeta") -> str:
        what = _json_kind_word(value)
        if what == "number" and gotype in ("int64", "int32") and not _is_go_int(value):
            what = "number " + go_json(value)
        return f"json: cannot unmarshal {what} into Go struct field {struct}.{field} of type {gotype}"

    if md is None:
        return None
    if not isinstance(md, dict):
        return f"json: cannot unmarshal {_json_kind_word(md)} into Go value of type v1.ObjectMeta"
    for k, v in md.items():
        if v is None:
            continue
        if k in _META_STRINGS and not isinstance(v, str):
            return err(v, k, "string")
        if k in ("generation", "deletionGracePeriodSeconds") and not _is_go_int(v):
            return err(v, k, "int64")
        if k in ("creationTimestamp", "deletionTimestamp"):
            if not isinstance(v, str):
                return err(v, k, "string", "Time")
            if not _is_datetime(v) or "t" in v or "z" in v:
                return f'parsing time {go_quote(v)} as "2006-01-02T15:04:05Z07:00": cannot parse {go_quote(v)} as ' \
                       f'"2006"' if not _is_date(v[:10]) else None
        if k in ("labels", "annotations"):
            if not isinstance(v, dict):
                return err(v, k, "map[string]string")
            for x in v.values():
                if not isinstance(x, str) and x is not None:
                    return err(x, k, "string")
        if k == "finalizers":
            if not isinstance(v, list):
                return err(v, k, "[]string")
            for x in v:
                if not isinstance(x, str) and x is not None:
                    return err(x, k, "string")
        if k == "ownerReferences":
            if not isinstance(v, list):
                return err(v, k, "[]v1.OwnerReference")
            for ref in v:
                if ref is None:
                    continue
                if not isinstance(ref, dict):
                    return err(ref, k, "v1.OwnerReference")
                for f, x in ref.items():
                    if x is None:
                        continue
                    if f in ("apiVersion", "kind", "name", "uid") and not isinstance(x, str):
                        return err(x, f"ownerReferences.{f}", "string")
                    if f in ("controller", "blockOwnerDeletion") and not isinstance(x, bool):
                        return err(x, f"ownerReferences.{f}", "bool")
        if k == "managedFields" and not isinstance(v, list):
            return err(v, k, "[]v1.ManagedFieldsEntry")
    return None


def _parse_group_version(gv: str) -> Tuple[Optional[Tuple[str, str]], Optional[str]]:
    if gv in ("", "/"):
        return ("", ""), None
    n = gv.count("/")
    if n == 0:
        return ("", gv), None
    if n == 1:
        g, _, v = gv.partition("/")
        return (g, v), None
    return None, f"unexpected GroupVersion string: {gv}"


def _object_meta_causes(md: dict, path: str) -> List[Cause]:
    """ValidateObjectMetaAccessor with path.ValidatePathSegmentName (what embedded resources get)."""
    causes: List[Cause] = []
    gen_name = md.get("generateName") or ""
    name = md.get("name") or "fakename"
    namespace = md.get("namespace") or ""
    if gen_name:
        for bad in ("/", "%"):
            if bad in gen_name:
                causes.append(_invalid(_child(path, "generateName"), gen_name, f"may not contain '{bad}'"))
    if name in (".", ".."):
        causes.append(_invalid(_child(path, "name"), name, f"may not be '{name}'"))
    else:
        for bad in ("/", "%"):
            if bad in name:
                causes.append(_invalid(_child(path, "name"), name, f"may not contain '{bad}'"))
    if namespace:
        for msg in is_dns1123_label(namespace):
            causes.append(_invalid(_child(path, "namespace"), namespace, msg))
    generation = md.get("generation")
    if _is_int(generation) and generation < 0:
        causes.append(_invalid(_child(path, "generation"), generation, "must be greater than or equal to 0"))
    labels = md.get("labels") or {}
    for k, v in labels.items():
        for msg in _is_qualified_name(k):
            causes.append(_invalid(_child(path, "labels"), k, msg))
        for msg in _is_label_value(v or ""):
            causes.append(_invalid(_child(path, "labels"), v or "", msg))
    annotations = md.get("annotations") or {}
    size = 0
    for k, v in annotations.items():
        for msg in _is_qualified_name(k.lower()):
            causes.append(_invalid(_child(path, "annotations"), k, msg))
        size += _blen(k) + _blen(v or "")
    if size > 256 * 1024:
        causes.append(_too_long(_child(path, "annotations"), 256 * 1024))
    refs_path = _child(path, "ownerReferences")
    controller = ""
    for ref in md.get("ownerReferences") or ():
        ref = ref or {}
        api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
        gv, _ = _parse_group_version(api_version)
        if not gv or not gv[1]:
            causes.append(_invalid(_child(refs_path, "apiVersion"), api_version, "version must not be empty"))
        if not kind:
            causes.append(_invalid(_child(refs_path, "kind"), kind, "kind must not be empty"))
        if not ref.get("name"):
            causes.append(_invalid(_child(refs_path, "name"), ref.get("name") or "", "name must not be empty"))
        if not ref.get("uid"):
            causes.append(_invalid(_child(refs_path, "uid"), ref.get("uid") or "", "uid must not be empty"))
        if gv == ("", "v1") and kind == "Event":
            causes.append(_invalid(refs_path, _GoRaw(_owner_ref_go(ref)), "/v1, Kind=Event is disallowed from being "
                                                                          "an owner"))
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if controller:
                causes.append(_invalid(refs_path, _GoRaw("[]v1.OwnerReference{...}"),
                                       f'Only one reference can have Controller set to true. Found "true" in '
                                       f"references for {controller} and {current}"))
            else:
                controller = current
    finalizers = [f or "" for f in md.get("finalizers") or ()]
    for f in finalizers:
        for msg in _is_qualified_name(f):
            causes.append(_invalid(_child(path, "finalizers"), f, msg))
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        causes.append(_invalid(_child(path, "finalizers"), _go_strings(finalizers),
                               "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def _owner_ref_go(ref: dict) -> str:
    def ptr_bool(v):
        return "(*bool)(nil)" if v is None else "(*bool)(0xc000000000)"
    return (f"v1.OwnerReference{{APIVersion:{go_quote(ref.get('apiVersion') or '')}, "
            f"Kind:{go_quote(ref.get('kind') or '')}, Name:{go_quote(ref.get('name') or '')}, "
            f"UID:{go_quote(ref.get('uid') or '')}, Controller:{ptr_bool(ref.get('controller'))}, "
            f"BlockOwnerDeletion:{ptr_bool(ref.get('blockOwnerDeletion'))}}}")


def _embedded_causes(x: dict, path: str) -> List[Cause]:
    causes: List[Cause] = []
    if "apiVersion" not in x:
        causes.append(_required(_child(path, "apiVersion"), "must not be empty"))
    if "kind" not in x:
        causes.append(_required(_child(path, "kind"), "must not be empty"))
    for k, v in x.items():
        if k == "apiVersion":
            if not isinstance(v, str):
                causes.append(_invalid(_child(path, k), v, "must be a string"))
            elif not v:
                causes.append(_invalid(_child(path, k), v, "must not be empty"))
            else:
                _, err = _parse_group_version(v)
                if err:
                    causes.append(_invalid(_child(path, k), v, err))
        elif k == "kind":
            if not isinstance(v, str):
                causes.append(_invalid(_child(path, k), v, "must be a string"))
            elif not v:
                causes.append(_invalid(_child(path, k), v, "must not be empty"))
            else:
                errs = is_dns1035_label(v.lower())
                if errs:
                    causes.append(_invalid(_child(path, k), v, "may have mixed case, but should otherwise match: "
                                           + ",".join(errs)))
        elif k == "metadata":
            problem = _meta_type_error(v)
            if problem:
                causes.append(_invalid(_child(path, k), v, problem))
            elif isinstance(v, dict):
                causes.extend(_object_meta_causes(v, _child(path, k)))
    return causes


def _walk_embedded(x, s: Optional[_View], path: str, ctx: _Ctx, depth: int) -> List[Cause]:
    """objectmeta.Validate(nil, obj, s, false): embedded resources below the root."""
    if s is None or depth > MAX_DEPTH:
        return []
    causes: List[Cause] = []
    if isinstance(x, dict):
        if s.embedded:
            causes.extend(_embedded_causes(x, path))
        for k, v in x.items():
            if k in s.properties:
                causes.extend(_walk_embedded(v, _view(s.properties[k], ctx.memo), _child(path, k), ctx, depth + 1))
            elif s.ap is not None:
                causes.extend(_walk_embedded(v, _view(s.ap, ctx.memo), _key(path, k), ctx, depth + 1))
    elif isinstance(x, list) and s.items is not None:
        items = _view(s.items, ctx.memo)
        for i, v in enumerate(x):
            causes.extend(_walk_embedded(v, items, _index(path, i), ctx, depth + 1))
    return causes


# list types (AX schema/listtype/validation.go)

def _non_unique(values: Sequence[Any]) -> List[int]:
    """validateListSet: the index of every value's second appearance."""
    if len(values) <= 1:
        return []
    counts: Dict[Any, int] = {}
    out = []
    for i, x in enumerate(values):
        key = ("json", go_json(x)) if isinstance(x, (dict, list)) else _scalar_key(x)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] == 2:
            out.append(i)
    return out


_UNSPECIFIED = ("unspecified",)


def _list_map_causes(s: _View, obj: list, path: str) -> List[Cause]:
    for i, x in enumerate(obj):
        if x is not None and not isinstance(x, dict):
            return [_invalid(_index(path, i), x, "must be an object for an array of list-type map")]
    if len(obj) <= 1:
        return []
    if len(s.map_keys) == 1:
        key_field = s.map_keys[0]
        keys: List[Any] = []
        for x in obj:
            keys.append(_UNSPECIFIED if x is None or key_field not in x else x[key_field])
        counts: Dict[Any, int] = {}
        causes = []
        for i, k in enumerate(keys):
            h = _UNSPECIFIED if k is _UNSPECIFIED else (
                ("json", go_json(k)) if isinstance(k, (dict, list)) else _scalar_key(k))
            counts[h] = counts.get(h, 0) + 1
            if counts[h] == 2:
                causes.append(_duplicate(_index(path, i), {} if k is _UNSPECIFIED else {key_field: k}))
        return causes
    multi = [{k: x[k] for k in s.map_keys if k in x} if isinstance(x, dict) else {} for x in obj]
    return [_duplicate(_index(path, i), multi[i]) for i in _non_unique(multi)]


def _list_causes(x, s: Optional[_View], path: str, ctx: _Ctx, depth: int) -> List[Cause]:
    if s is None or depth > MAX_DEPTH:
        return []
    causes: List[Cause] = []
    if isinstance(x, dict):
        if s.ap is not None:
            ap = _view(s.ap, ctx.memo)
            for k, v in x.items():
                causes.extend(_list_causes(v, ap, _key(path, k), ctx, depth + 1))
        for k, v in x.items():
            if k in s.properties:
                causes.extend(_list_causes(v, _view(s.properties[k], ctx.memo), _child(path, k), ctx, depth + 1))
    elif isinstance(x, list):
        if s.list_type == "set":
            causes.extend(_duplicate(_index(path, i), x[i]) for i in _non_unique(x))
        elif s.list_type == "map":
            causes.extend(_list_map_causes(s, x, path))
        if s.items is not None:
            items = _view(s.items, ctx.memo)
            for i, v in enumerate(x):
                causes.extend(_list_causes(v, items, _index(path, i), ctx, depth + 1))
    return causes


def nesting_error(obj, max_depth: int = MAX_DEPTH) -> Optional[str]:
    """The path of the first object or array nested deeper than max_depth (None when obj is shallow enough)."""
    stack: List[Tuple[Any, str, int]] = [(obj, "", 0)]
    while stack:
        x, path, depth = stack.pop()
        if isinstance(x, dict):
            if depth >= max_depth:
                return path
            stack.extend((v, _child(path, str(k)), depth + 1) for k, v in x.items())
        elif isinstance(x, list):
            if depth >= max_depth:
                return path
            stack.extend((v, _index(path, i), depth + 1) for i, v in enumerate(x))
    return None


def validate(obj, schema: dict, old=None, *, root: str = "") -> List[Cause]:
    """A custom resource (or, with root="status", its status) against its version's openAPIV3Schema.

    kube-openapi's validation (ratcheted against old on update), then embedded resources below the root, then
    x-kubernetes-list-type set/map uniqueness (skipped on update when old already violates it), as the CR strategy
    orders them. The root object's own metadata, apiVersion and kind are the caller's (generic ObjectMeta rules)."""
    too_deep = nesting_error(obj)
    if too_deep is None and old is not None and nesting_error(old) is not None:
        old = None
    if too_deep is not None:
        return [_forbidden(_shown(_child(root, too_deep) if too_deep else root),
                           f"must not be nested more than {MAX_DEPTH} levels deep")]
    if nesting_error(schema, 4 * MAX_DEPTH) is not None:     # validate_crd refuses such schemas
        return [_forbidden(_shown(root), "the schema is nested too deeply to validate against")]
    ctx = _Ctx()
    top = _view(schema, ctx.memo)
    corr = _Corr(old, top) if old is not None else None
    causes = _result_causes(_validate_node(top, "", obj, ctx, corr), root)
    causes.extend(_walk_embedded(obj, top, root, ctx, 0))
    if old is None or not _list_causes(old, top, root, ctx, 0):
        causes.extend(_list_causes(obj, top, root, ctx, 0))
    return causes


# ---------------------------------------------------------------------------------------------------------------
# Pruning (AX schema/pruning/algorithm.go), null pruning and defaulting (AX schema/defaulting).

_META_FIELDS = frozenset(("apiVersion", "kind", "metadata"))


def _join(parent: str, key: str) -> str:
    """UnknownFieldPathOptions.AppendKey: keys joined with dots, no escaping."""
    return f"{parent}.{key}" if parent else key


def _prune(x, s: Optional[_View], embedded: bool, path: str, out: List[str], ctx: _Ctx, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if s is not None and s.preserve:
        _skip_prune(x, s, embedded, path, out, ctx, depth)
        return
    if isinstance(x, dict):
        if s is None:
            for k in list(x):
                out.append(_join(path, str(k)))
                del x[k]
            return
        for k in list(x):
            if embedded and k in _META_FIELDS:
                continue
            if k in s.properties:
                sub = _view(s.properties[k], ctx.memo)
                _prune(x[k], sub, sub.embedded, _join(path, k), out, ctx, depth + 1)
            elif s.ap_allows is not None:
                sub = _view(s.ap, ctx.memo) if s.ap is not None else None
                _prune(x[k], sub, sub.embedded if sub else False, _join(path, k), out, ctx, depth + 1)
            else:
                if k not in _META_FIELDS or path:
                    out.append(_join(path, str(k)))
                del x[k]
    elif isinstance(x, list):
        items = _view(s.items, ctx.memo) if s is not None and s.items is not None else None
        for i, v in enumerate(x):
            _prune(v, items, items.embedded if items else False, f"{path}[{i}]", out, ctx, depth + 1)


def _skip_prune(x, s: Optional[_View], embedded: bool, path: str, out: List[str], ctx: _Ctx, depth: int) -> None:
    if s is None or depth > MAX_DEPTH:
        return
    if isinstance(x, dict):
        for k in list(x):
            if embedded and k in _META_FIELDS:
                continue
            if k in s.properties:
                sub = _view(s.properties[k], ctx.memo)
                _prune(x[k], sub, sub.embedded, _join(path, k), out, ctx, depth + 1)
            elif s.ap_allows is not None:
                sub = _view(s.ap, ctx.memo) if s.ap is not None else None
                _prune(x[k], sub, sub.embedded if sub else False, _join(path, k), out, ctx, depth + 1)
    elif isinstance(x, list):
        items = _view(s.items, ctx.memo) if s.items is not None else None
        for i, v in enumerate(x):
            _skip_prune(v, items, items.embedded if items else False, f"{path}[{i}]", out, ctx, depth + 1)


# ObjectMeta as the JSON round trip through metav1.ObjectMeta leaves it (GetObjectMeta + SetObjectMeta)
_META_KNOWN = frozenset(("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                         "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                         "annotations", "ownerReferences", "finalizers", "managedFields"))
_OWNER_REF_KNOWN = ("apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion")
_MANAGED_FIELDS_KNOWN = ("manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource")


def _normalize_meta(md: dict, prefix: str, out: List[str]) -> dict:
    """Drop what the round trip drops (unknown fields, recorded in out; empty values) and keep the rest."""
    result: Dict[str, Any] = {}
    for k, v in md.items():
        if k not in _META_KNOWN:
            out.append(f"{prefix}.{k}")
            continue
        if v is None or (k != "deletionGracePeriodSeconds" and v in ("", 0, {}, [])) and not isinstance(v, bool):
            continue
        if k in ("ownerReferences", "managedFields") and isinstance(v, list):
            known = _OWNER_REF_KNOWN if k == "ownerReferences" else _MANAGED_FIELDS_KNOWN
            entries = []
            for i, entry in enumerate(v):
                if not isinstance(entry, dict):
                    entries.append(entry)
                    continue
                kept = {}
                for f, x in entry.items():
                    if f not in known:
                        out.append(f"{prefix}.{k}[{i}].{f}")
                    elif x is not None and not (x == "" and isinstance(x, str)):
                        kept[f] = x
                entries.append(kept)
            v = entries
        result[k] = v
    return result


def _coerce_meta(x, s: Optional[_View], embedded: bool, path: str, out: List[str], ctx: _Ctx, depth: int) -> None:
    """objectmeta.CoerceWithOptions below the root: embedded resources' metadata normalized, unknown fields
    reported (field.Path notation: spec.template.metadata.foo, spec.templates[a].metadata.foo)."""
    if s is None or depth > MAX_DEPTH:
        return
    if isinstance(x, dict):
        if embedded and isinstance(x.get("metadata"), dict) and _meta_type_error(x["metadata"]) is None:
            x["metadata"] = _normalize_meta(x["metadata"], _child(path, "metadata"), out)
        for k in list(x):
            if k in s.properties:
                sub = _view(s.properties[k], ctx.memo)
                _coerce_meta(x[k], sub, sub.embedded, _child(path, k), out, ctx, depth + 1)
            elif s.ap is not None:
                sub = _view(s.ap, ctx.memo)
                _coerce_meta(x[k], sub, sub.embedded, _key(path, k), out, ctx, depth + 1)
    elif isinstance(x, list) and s.items is not None:
        items = _view(s.items, ctx.memo)
        for i, v in enumerate(x):
            _coerce_meta(v, items, items.embedded, _index(path, i), out, ctx, depth + 1)


def prune(obj, schema: dict, *, resource_root: bool = True) -> List[str]:
    """Drop, in place, the fields the schema does not declare (unless preserved) and return their paths, sorted.

    The root's apiVersion, kind and metadata stay (the caller handles the root's metadata), and so do those of
    x-kubernetes-embedded-resource objects, whose metadata is normalized like upstream's ObjectMeta round trip.
    Paths are upstream's unknown-field paths (``spec.foo``, ``spec.items[0].bar``; embedded metadata:
    ``spec.template.metadata.foo``), what strict field validation reports as ``unknown field "spec.foo"``."""
    ctx = _Ctx()
    out: List[str] = []
    s = _view(schema, ctx.memo)
    _prune(obj, s, resource_root or s.embedded, "", out, ctx, 0)
    meta_paths: List[str] = []
    _coerce_meta(obj, s, False, "", meta_paths, ctx, 0)
    return sorted(out) + sorted(meta_paths)


def drop_nulls(obj, schema: dict) -> None:
    """PruneNonNullableNullsWithoutDefaults: remove null fields whose schema is neither nullable nor defaulted."""
    ctx = _Ctx()

    def walk(x, s: Optional[_View], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(x, dict):
            for k in list(x):
                sub = None
                if s is not None:
                    if k in s.properties:
                        sub = _view(s.properties[k], ctx.memo)
                    elif s.ap is not None:
                        sub = _view(s.ap, ctx.memo)
                if x[k] is None and sub is not None and not sub.nullable and not sub.has_default:
                    del x[k]
                else:
                    walk(x[k], sub, depth + 1)
        elif isinstance(x, list):
            items = _view(s.items, ctx.memo) if s is not None and s.items is not None else None
            for v in x:
                walk(v, items, depth + 1)

    walk(obj, _view(schema, ctx.memo), 0)


def default(obj, schema: dict) -> None:
    """Structural defaulting, in place: a missing property (or a null one that is not nullable) gets its schema's
    default, top-down, inside arrays and additionalProperties too. Defaults are deep-copied."""
    ctx = _Ctx()

    def walk(x, s: Optional[_View], depth: int) -> None:
        if s is None or depth > MAX_DEPTH:
            return
        if isinstance(x, dict):
            for k, sub_schema in s.properties.items():
                prop = _view(sub_schema, ctx.memo)
                if not prop.has_default:
                    continue
                if k not in x or (x[k] is None and not prop.nullable):
                    x[k] = copy.deepcopy(prop.default)
            for k in list(x):
                if k in s.properties:
                    walk(x[k], _view(s.properties[k], ctx.memo), depth + 1)
                elif s.ap_allows is not None:
                    ap = _view(s.ap, ctx.memo) if s.ap is not None else None
                    if x[k] is None and ap is not None and not ap.nullable:
                        x[k] = copy.deepcopy(ap.default)
                    walk(x[k], ap, depth + 1)
        elif isinstance(x, list):
            items = _view(s.items, ctx.memo) if s.items is not None else None
            for i in range(len(x)):
                if x[i] is None and items is not None and not items.nullable:
                    x[i] = copy.deepcopy(items.default)
                walk(x[i], items, depth + 1)

    walk(obj, _view(schema, ctx.memo), 0)


# ---------------------------------------------------------------------------------------------------------------
# Structural schemas (AX schema/convert.go NewStructural, validation.go ValidateStructural, complete.go).

_ROOT, _ITEM, _FIELD = range(3)


def _set(schema: dict, key: str) -> bool:
    """Whether a JSONSchemaProps field is set to a non-zero Go value."""
    v = schema.get(key)
    if v is None or v is False:
        return False
    if isinstance(v, str) and key not in ("x-kubernetes-list-type", "x-kubernetes-map-type"):
        return v != ""
    return True


def _new_structural_error(schema, depth: int = 0) -> Optional[str]:
    """The first error NewStructural returns (unsupported fields it refuses), None when it converts."""
    stack = [schema]
    while stack:
        s = stack.pop()
        if not isinstance(s, dict):
            continue
        if s.get("id"):
            return "OpenAPIV3Schema 'id' is not supported"
        if s.get("$schema"):
            return "OpenAPIV3Schema 'schema' is not supported"
        if s.get("$ref"):
            return "OpenAPIV3Schema '$ref' is not supported"
        if s.get("patternProperties"):
            return "OpenAPIV3Schema 'patternProperties' is not supported"
        if s.get("dependencies"):
            return "OpenAPIV3Schema 'dependencies' is not supported"
        if s.get("additionalItems") is not None:
            return "OpenAPIV3Schema 'additionalItems' is not supported"
        if s.get("definitions"):
            return "OpenAPIV3Schema 'definitions' is not supported"
        if s.get("x-kubernetes-preserve-unknown-fields") is False:
            return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
        if isinstance(s.get("items"), list):
            return "OpenAPIV3Schema 'items' must be a schema, but is an array"
        children: List[Any] = [s.get("not")]
        for key in ("allOf", "anyOf", "oneOf"):
            children.extend(_list(s.get(key)))
        children.append(s.get("items"))
        children.extend(_dict(s.get("properties")).values())
        if isinstance(s.get("additionalProperties"), dict):
            children.append(s["additionalProperties"])
        stack.extend(reversed([c for c in children if isinstance(c, dict)]))
    return None


def _only_type(s, t: str) -> bool:
    return isinstance(s, dict) and s.get("type") == t and all(k == "type" or not _set(s, k) or
                                                              (k in ("enum", "allOf", "anyOf", "oneOf") and
                                                               s[k] == []) for k in s)


def _int_or_string_any_of(s: dict) -> bool:
    any_of = _list(s.get("anyOf"))
    return len(any_of) == 2 and _only_type(any_of[0], "integer") and _only_type(any_of[1], "string")


def _structural_invariants(s: dict, lvl: int, path: str, causes: List[Cause], depth: int) -> None:
    if depth > MAX_DEPTH:
        causes.append(_forbidden(path, f"must not be nested more than {MAX_DEPTH} levels deep"))
        return
    typ = s.get("type") if isinstance(s.get("type"), str) else ""
    items = s.get("items") if isinstance(s.get("items"), dict) else None
    props = _dict(s.get("properties"))
    has_ap = s.get("additionalProperties") is not None
    if typ == "array" and items is None:
        causes.append(_required(_child(path, "items"), "must be specified"))
    if items is not None:
        _structural_invariants(items, _ITEM, _child(path, "items"), causes, depth + 1)
    for k, v in props.items():
        _structural_invariants(_dict(v), _FIELD, _key(_child(path, "properties"), k), causes, depth + 1)
    if has_ap:
        if lvl == _ROOT:
            causes.append(_forbidden(_child(path, "additionalProperties"), "must not be used at the root"))
        if isinstance(s["additionalProperties"], dict):
            _structural_invariants(s["additionalProperties"], _FIELD, _child(path, "additionalProperties"), causes,
                                   depth + 1)
    ios = s.get("x-kubernetes-int-or-string") is True
    preserve = s.get("x-kubernetes-preserve-unknown-fields") is True
    embedded = s.get("x-kubernetes-embedded-resource") is True
    if ios and preserve:
        causes.append(_invalid(_child(path, "x-kubernetes-preserve-unknown-fields"), True,
                               "must be false if x-kubernetes-int-or-string is true"))
    if ios and embedded:
        causes.append(_invalid(_child(path, "x-kubernetes-embedded-resource"), True,
                               "must be false if x-kubernetes-int-or-string is true"))
    skip_any_of = _int_or_string_any_of(s)
    all_of = _list(s.get("allOf"))
    skip_first = bool(all_of) and isinstance(all_of[0], dict) and _int_or_string_any_of(all_of[0])
    _value_validation(s, skip_any_of, skip_first, lvl, path, causes, depth)
    check_meta = lvl == _ROOT or embedded
    if embedded and typ != "object":
        if not typ:
            causes.append(_required(_child(path, "type"), "must be object if x-kubernetes-embedded-resource is true"))
        else:
            causes.append(_invalid(_child(path, "type"), typ, "must be object if x-kubernetes-embedded-resource is "
                                                              "true"))
    elif not typ and not ios and not preserve:
        where = {_ROOT: "at the root", _ITEM: "for specified array items", _FIELD: "for specified object fields"}
        causes.append(_required(_child(path, "type"), "must not be empty " + where[lvl]))
    if embedded and has_ap:
        causes.append(_forbidden(_child(path, "additionalProperties"),
                                 "must not be used if x-kubernetes-embedded-resource is set"))
    if lvl == _ROOT and typ and typ != "object":
        causes.append(_invalid(_child(path, "type"), typ, "must be object at the root"))
    for name in ("kind", "apiVersion"):
        if name in props and check_meta:
            t = _dict(props[name]).get("type")
            t = t if isinstance(t, str) else ""
            if t != "string":
                causes.append(_invalid(_child(_key(_child(path, "properties"), name), "type"), t, "must be string"))
    if "metadata" in props:
        _metadata_invariants(_dict(props["metadata"]), check_meta, lvl, _key(_child(path, "properties"), "metadata"),
                             causes)
    if embedded and not preserve and not props:
        causes.append(_required(_child(path, "properties"), "must not be empty if x-kubernetes-embedded-resource is "
                                                            "true without x-kubernetes-preserve-unknown-fields"))


def _metadata_invariants(s: dict, check_meta: bool, lvl: int, path: str, causes: List[Cause]) -> None:
    typ = s.get("type") if isinstance(s.get("type"), str) else ""
    if check_meta and typ != "object":
        causes.append(_invalid(_child(path, "type"), typ, "must be object"))
    if lvl != _ROOT:
        return
    props = _dict(s.get("properties"))
    names = set(props) & {"name", "generateName"}
    props_left = bool(props) and not (names and len(props) == len(names))
    other = any(_set(s, k) and not (k in ("enum", "allOf", "anyOf", "oneOf") and s[k] == [])
                for k in s if k not in ("type", "default", "properties"))
    if props_left or other:
        causes.append(_forbidden(path, "must not specify anything other than name and generateName, but metadata is "
                                       "implicitly specified"))


def _value_validation(s: dict, skip_any_of: bool, skip_first_all_of_any_of: bool, lvl: int, path: str,
                      causes: List[Cause], depth: int) -> None:
    if not skip_any_of:
        for i, sub in enumerate(_list(s.get("anyOf"))):
            _nested_value_validation(_dict(sub), False, lvl, _index(_child(path, "anyOf"), i), causes, depth + 1)
    for i, sub in enumerate(_list(s.get("allOf"))):
        _nested_value_validation(_dict(sub), skip_first_all_of_any_of and i == 0, lvl,
                                 _index(_child(path, "allOf"), i), causes, depth + 1)
    for i, sub in enumerate(_list(s.get("oneOf"))):
        _nested_value_validation(_dict(sub), False, lvl, _index(_child(path, "oneOf"), i), causes, depth + 1)
    if isinstance(s.get("not"), dict):
        _nested_value_validation(s["not"], False, lvl, _child(path, "not"), causes, depth + 1)
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        _, err = _compiled(pattern)
        if err:
            causes.append(_invalid(_child(path, "pattern"), pattern,
                                   f"must be a valid regular expression, but isn't: {err}"))


def _nested_value_validation(v: dict, skip_any_of: bool, lvl: int, path: str, causes: List[Cause],
                             depth: int) -> None:
    if depth > MAX_DEPTH:
        causes.append(_forbidden(path, f"must not be nested more than {MAX_DEPTH} levels deep"))
        return
    _value_validation(v, skip_any_of, False, lvl, path, causes, depth)
    if isinstance(v.get("items"), dict):
        _nested_value_validation(v["items"], False, lvl, _child(path, "items"), causes, depth + 1)
    props = v.get("properties")
    for k, fld in _dict(props).items():
        _nested_value_validation(_dict(fld), False, _FIELD, _key(_child(path, "properties"), k), causes, depth + 1)
    if _set(v, "type"):
        causes.append(_forbidden(_child(path, "type"), "must be empty to be structural"))
    if v.get("additionalProperties") not in (None, False):
        causes.append(_forbidden(_child(path, "additionalProperties"), "must be undefined to be structural"))
    if v.get("default") is not None:
        causes.append(_forbidden(_child(path, "default"), "must be undefined to be structural"))
    for key in ("title", "description"):
        if _set(v, key):
            causes.append(_forbidden(_child(path, key), "must be empty to be structural"))
    if v.get("nullable") is True:
        causes.append(_forbidden(_child(path, "nullable"), "must be false to be structural"))
    for key in ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                "x-kubernetes-int-or-string"):
        if v.get(key) is True:
            causes.append(_forbidden(_child(path, key), "must be false to be structural"))
    if _list(v.get("x-kubernetes-list-map-keys")):
        causes.append(_forbidden(_child(path, "x-kubernetes-list-map-keys"), "must be empty to be structural"))
    for key in ("x-kubernetes-list-type", "x-kubernetes-map-type"):
        if v.get(key) is not None:
            causes.append(_forbidden(_child(path, key), "must be undefined to be structural"))
    if _list(v.get("x-kubernetes-validations")):
        causes.append(_forbidden(_child(path, "x-kubernetes-validations"), "must be empty to be structural"))
    if isinstance(props, dict) and "metadata" in props:
        causes.append(_forbidden(_key(_child(path, "properties"), "metadata"), "must not be specified in a nested "
                                                                               "context"))


def _completeness(v: dict, s: Optional[dict], s_path: str, v_path: str, causes: List[Cause], depth: int) -> None:
    """validateValueValidationCompleteness: what allOf/anyOf/oneOf/not at the root name must exist structurally."""
    if depth > MAX_DEPTH:
        return
    subs: List[Tuple[Any, str]] = []
    if isinstance(v.get("not"), dict):
        subs.append((v["not"], _child(v_path, "not")))
    for key in ("allOf", "anyOf", "oneOf"):
        subs.extend((sub, _index(_child(v_path, key), i)) for i, sub in enumerate(_list(v.get(key))))
    for sub, sub_path in subs:
        _nested_completeness(_dict(sub), s, s_path, sub_path, causes, depth + 1)


def _nested_completeness(v: dict, s: Optional[dict], s_path: str, v_path: str, causes: List[Cause],
                         depth: int) -> None:
    if s is None:
        causes.append(_required(s_path, f"because it is defined in {v_path}"))
        return
    _completeness(v, s, s_path, v_path, causes, depth)
    if isinstance(v.get("items"), dict):
        items = s.get("items") if isinstance(s.get("items"), dict) else None
        _nested_completeness(v["items"], items, _child(s_path, "items"), _child(v_path, "items"), causes, depth + 1)
    s_props = _dict(s.get("properties"))
    for k, fld in _dict(v.get("properties")).items():
        sp = _key(_child(s_path, "properties"), k)
        vp = _key(_child(v_path, "properties"), k)
        if k not in s_props:
            causes.append(_required(sp, f"because it is defined in {vp}"))
        else:
            _nested_completeness(_dict(fld), _dict(s_props[k]), sp, vp, causes, depth + 1)


def structural_errors(schema: dict, path: str = "") -> List[Cause]:
    """ValidateStructural: the rules that make a schema structural, sorted as upstream sorts them."""
    causes: List[Cause] = []
    _structural_invariants(_dict(schema), _ROOT, path, causes, 0)
    _completeness(_dict(schema), _dict(schema), path, path, causes, 0)
    causes = [(_shown(c[0]), c[1], c[2]) for c in causes]
    return sorted(causes, key=_error_text)


# defaults (AX schema/defaulting/validation.go ValidateDefaults)

def _aggregate(causes: Sequence[Cause]) -> str:
    texts: List[str] = []
    for c in causes:
        t = _error_text(c)
        if t not in texts:
            texts.append(t)
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _default_causes(schema: dict, path: str, require_pruned: bool = True) -> List[Cause]:
    causes: List[Cause] = []
    # steps from the closest resource root to the current node: ("child", key) or ("index", None)
    stack: List[Tuple[dict, str, bool, dict, Tuple[Tuple[str, Optional[str]], ...], int]] = []
    root = dict(schema)
    root["x-kubernetes-embedded-resource"] = True
    stack.append((root, path, False, root, (), 0))
    while stack:
        s, p, inside_meta, root_schema, steps, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if s.get("x-kubernetes-embedded-resource") is True:
            inside_meta, root_schema, steps = False, s, ()
        value = s.get("default")
        if value is not None:
            causes.extend(_check_default(s, value, _child(p, "default"), inside_meta, root_schema, steps,
                                         require_pruned))
        pending = []
        if isinstance(s.get("items"), dict):
            pending.append((s["items"], _child(p, "items"), inside_meta, root_schema, steps + (("index", None),),
                            depth + 1))
        for k, sub in _dict(s.get("properties")).items():
            sub_meta = inside_meta or (s.get("x-kubernetes-embedded-resource") is True and k in _META_FIELDS)
            pending.append((_dict(sub), _key(_child(p, "properties"), k), sub_meta, root_schema,
                            steps + (("child", k),), depth + 1))
        stack.extend(reversed(pending))
    return causes


def _check_default(s: dict, value, path: str, inside_meta: bool, root_schema: dict,
                   steps: Tuple[Tuple[str, Optional[str]], ...], require_pruned: bool) -> List[Cause]:
    own = dict(s)
    if inside_meta:
        obj: Any = copy.deepcopy(value)
        for kind, key in reversed(steps):
            obj = {key: obj} if kind == "child" else [obj]
        if not isinstance(obj, dict):
            return []
        obj.setdefault("kind", "Validation")
        obj.setdefault("apiVersion", "validation/v1")
        problem = _coerce_error(obj, "")
        if problem:
            return [_invalid(path, value, f"must result in valid metadata: {problem}")]
        ctx = _Ctx()
        rs = dict(root_schema)
        rs["x-kubernetes-embedded-resource"] = True
        meta_causes = _walk_embedded(obj, _view(rs, ctx.memo), "", ctx, 0)
        meta_causes = [(_shown(c[0]), c[1], c[2]) for c in meta_causes]
        if meta_causes:
            return [_invalid(path, value, f"must result in valid metadata: {_aggregate(meta_causes)}")]
        return _own_value_causes(own, value, path)
    causes: List[Cause] = []
    embedded = s.get("x-kubernetes-embedded-resource") is True
    pruned = copy.deepcopy(value)
    ctx = _Ctx()
    sv = _view(own, ctx.memo)
    if isinstance(pruned, (dict, list)):
        _prune(pruned, sv, embedded, "", [], ctx, 0)
    if require_pruned and not _deep_equal(pruned, value):
        causes.append(_invalid(path, value, "must not have unknown fields"))
    problem = _coerce_error(value, path) if embedded and isinstance(value, dict) else None
    if problem:
        causes.append(problem if isinstance(problem, tuple) else _invalid(path, value, problem))
        return causes
    meta_causes = _walk_embedded(value, sv, path, ctx, 0) if isinstance(value, (dict, list)) else []
    if meta_causes:
        return causes + meta_causes
    return causes + _own_value_causes(own, value, path)


def _coerce_error(obj: dict, path: str):
    """objectmeta.Coerce on a resource root: apiVersion/kind must be strings, metadata must decode."""
    for k in ("apiVersion", "kind"):
        if k in obj and not isinstance(obj[k], str):
            return _invalid(_child(path, k), obj[k], "must be a string") if path else \
                _error_text(_invalid(k, obj[k], "must be a string"))
    if "metadata" in obj:
        problem = _meta_type_error(obj["metadata"])
        if problem:
            cause = _invalid(_child(path, "metadata"), obj["metadata"], problem)
            return cause if path else _error_text(cause)
    return None


def _own_value_causes(schema: dict, value, path: str) -> List[Cause]:
    ctx = _Ctx()
    return _result_causes(_validate_node(_view(schema, ctx.memo), "", value, ctx), path)


# ---------------------------------------------------------------------------------------------------------------
# CRD validation (AX pkg/apis/apiextensions/validation/validation.go) on the internal form of a v1 CRD.

_PRINTER_TYPES = ("boolean", "date", "integer", "number", "string")
_PRINTER_FORMATS = ("byte", "date", "date-time", "double", "float", "int32", "int64", "password")
_OPENAPI_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_ROOT_STATUS_ALLOWED = ("Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum",
                        "ExclusiveMinimum", "MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems",
                        "MultipleOf", "Required", "Items", "Properties", "ExternalDocs", "Example",
                        "XPreserveUnknownFields", "XValidations")
# JSONSchemaProps fields in struct order: (Go name, JSON key)
_PROPS_FIELDS = (
    ("ID", "id"), ("Schema", "$schema"), ("Ref", "$ref"), ("Description", "description"), ("Type", "type"),
    ("Nullable", "nullable"), ("Format", "format"), ("Title", "title"), ("Default", "default"),
    ("Maximum", "maximum"), ("ExclusiveMaximum", "exclusiveMaximum"), ("Minimum", "minimum"),
    ("ExclusiveMinimum", "exclusiveMinimum"), ("MaxLength", "maxLength"), ("MinLength", "minLength"),
    ("Pattern", "pattern"), ("MaxItems", "maxItems"), ("MinItems", "minItems"), ("UniqueItems", "uniqueItems"),
    ("MultipleOf", "multipleOf"), ("Enum", "enum"), ("MaxProperties", "maxProperties"),
    ("MinProperties", "minProperties"), ("Required", "required"), ("Items", "items"), ("AllOf", "allOf"),
    ("OneOf", "oneOf"), ("AnyOf", "anyOf"), ("Not", "not"), ("Properties", "properties"),
    ("AdditionalProperties", "additionalProperties"), ("PatternProperties", "patternProperties"),
    ("Dependencies", "dependencies"), ("AdditionalItems", "additionalItems"), ("Definitions", "definitions"),
    ("ExternalDocs", "externalDocs"), ("Example", "example"),
    ("XPreserveUnknownFields", "x-kubernetes-preserve-unknown-fields"),
    ("XEmbeddedResource", "x-kubernetes-embedded-resource"), ("XIntOrString", "x-kubernetes-int-or-string"),
    ("XListMapKeys", "x-kubernetes-list-map-keys"), ("XListType", "x-kubernetes-list-type"),
    ("XMapType", "x-kubernetes-map-type"), ("XValidations", "x-kubernetes-validations"))
_APPROVAL = "api-approved.kubernetes.io"


def _semantic_equal(a, b) -> bool:
    """apiequality.Semantic.DeepEqual on JSON: null and absent are equal, so are nil and empty slices or maps (a
    schema's properties: {}), but a map entry whose value is {} is still an entry."""
    maps = ("properties", "patternProperties", "definitions", "dependencies")

    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()
                    if x is not None and x != [] and not (x == {} and k in maps)}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    na, nb = norm(a), norm(b)
    if na in ([], {}):
        na = None
    if nb in ([], {}):
        nb = None
    return _deep_equal(na, nb)


def _internal_spec(spec: dict) -> dict:
    """Convert_v1_CustomResourceDefinitionSpec_To_apiextensions_CustomResourceDefinitionSpec (after defaulting)."""
    names = dict(_dict(spec.get("names")))
    kind = names.get("kind") if isinstance(names.get("kind"), str) else ""
    if not names.get("singular"):
        names["singular"] = kind.lower()
    if not names.get("listKind") and kind:
        names["listKind"] = kind + "List"
    conversion = spec.get("conversion")
    if conversion is None:
        conversion = {"strategy": "None"}
    conversion = _dict(conversion)
    webhook = _dict(conversion.get("webhook"))
    internal_conversion = {"strategy": conversion.get("strategy") or "",
                           "webhookClientConfig": webhook.get("clientConfig"),
                           "conversionReviewVersions": webhook.get("conversionReviewVersions")}
    versions = [dict(_dict(v)) for v in _list(spec.get("versions"))]
    def text(v) -> str:
        return v if isinstance(v, str) else ""

    out = {"group": text(spec.get("group")), "names": names, "scope": text(spec.get("scope")),
           "preserveUnknownFields": spec.get("preserveUnknownFields") is True,
           "conversion": internal_conversion, "versions": versions, "version": "", "validation": None,
           "subresources": None, "additionalPrinterColumns": None, "selectableFields": None}
    if not versions:
        return out
    out["version"] = text(versions[0].get("name"))
    for field, top in (("subresources", "subresources"), ("schema", "validation"),
                       ("additionalPrinterColumns", "additionalPrinterColumns"),
                       ("selectableFields", "selectableFields")):
        first = versions[0].get(field)
        if all(_semantic_equal(v.get(field), first) for v in versions):
            out[top] = first
            for v in versions:
                v.pop(field, None)
    return out


def _go_versions(versions: Sequence[dict]) -> _GoRaw:
    """%#v of []apiextensions.CustomResourceDefinitionVersion (pointers print as an address, as in Go)."""
    def ptr(v, t):
        return f"(*apiextensions.{t})(nil)" if v is None else f"(*apiextensions.{t})(0xc000000000)"

    def cols(v):
        if not v:
            return "[]apiextensions.CustomResourceColumnDefinition(nil)"
        return "[]apiextensions.CustomResourceColumnDefinition{" + ", ".join(
            f"apiextensions.CustomResourceColumnDefinition{{Name:{go_quote(str(c.get('name') or ''))}, "
            f"Type:{go_quote(str(c.get('type') or ''))}, Format:{go_quote(str(c.get('format') or ''))}, "
            f"Description:{go_quote(str(c.get('description') or ''))}, Priority:{c.get('priority') or 0}, "
            f"JSONPath:{go_quote(str(c.get('jsonPath') or ''))}}}" for c in map(_dict, v)) + "}"

    def fields(v):
        if not v:
            return "[]apiextensions.SelectableField(nil)"
        return "[]apiextensions.SelectableField{" + ", ".join(
            f"apiextensions.SelectableField{{JSONPath:{go_quote(str(f.get('jsonPath') or ''))}}}"
            for f in map(_dict, v)) + "}"

    def b(v):
        return "true" if v is True else "false"

    parts = []
    for v in versions:
        warning = v.get("deprecationWarning")
        parts.append(
            f"apiextensions.CustomResourceDefinitionVersion{{Name:{go_quote(str(v.get('name') or ''))}, "
            f"Served:{b(v.get('served'))}, Storage:{b(v.get('storage'))}, Deprecated:{b(v.get('deprecated'))}, "
            f"DeprecationWarning:{'(*string)(nil)' if warning is None else '(*string)(0xc000000000)'}, "
            f"Schema:{ptr(v.get('schema'), 'CustomResourceValidation')}, "
            f"Subresources:{ptr(v.get('subresources'), 'CustomResourceSubresources')}, "
            f"AdditionalPrinterColumns:{cols(v.get('additionalPrinterColumns'))}, "
            f"SelectableFields:{fields(v.get('selectableFields'))}}}")
    return _GoRaw("[]apiextensions.CustomResourceDefinitionVersion{" + ", ".join(parts) + "}")


def _go_schema_props(s: dict) -> _GoRaw:
    """An abbreviated %#v of apiextensions.JSONSchemaProps (nested values print as pointers, as Go does)."""
    def field(go_name: str, key: str) -> str:
        v = s.get(key)
        kinds = {"Ref": "*string", "Default": "*apiextensions.JSON", "Maximum": "*float64", "Minimum": "*float64",
                 "MaxLength": "*int64", "MinLength": "*int64", "MaxItems": "*int64", "MinItems": "*int64",
                 "MultipleOf": "*float64", "MaxProperties": "*int64", "MinProperties": "*int64",
                 "Items": "*apiextensions.JSONSchemaPropsOrArray", "Not": "*apiextensions.JSONSchemaProps",
                 "AdditionalProperties": "*apiextensions.JSONSchemaPropsOrBool",
                 "AdditionalItems": "*apiextensions.JSONSchemaPropsOrBool",
                 "ExternalDocs": "*apiextensions.ExternalDocumentation", "Example": "*apiextensions.JSON",
                 "XPreserveUnknownFields": "*bool", "XListType": "*string", "XMapType": "*string"}
        if go_name in kinds:
            return f"{go_name}:({kinds[go_name]})({'nil' if v is None else '0xc000000000'})"
        if go_name in ("Nullable", "ExclusiveMaximum", "ExclusiveMinimum", "UniqueItems", "XEmbeddedResource",
                       "XIntOrString"):
            return f"{go_name}:{'true' if v is True else 'false'}"
        if go_name in ("ID", "Schema", "Description", "Type", "Format", "Title", "Pattern"):
            return f"{go_name}:{go_quote(v if isinstance(v, str) else '')}"
        if go_name in ("Required", "XListMapKeys"):
            return f"{go_name}:{_go_strings(v) if isinstance(v, list) else '[]string(nil)'}"
        if v is None:
            types = {"Enum": "[]apiextensions.JSON(nil)", "AllOf": "[]apiextensions.JSONSchemaProps(nil)",
                     "OneOf": "[]apiextensions.JSONSchemaProps(nil)", "AnyOf": "[]apiextensions.JSONSchemaProps(nil)",
                     "Properties": "map[string]apiextensions.JSONSchemaProps(nil)",
                     "PatternProperties": "map[string]apiextensions.JSONSchemaProps(nil)",
                     "Dependencies": "apiextensions.JSONSchemaDependencies(nil)",
                     "Definitions": "apiextensions.JSONSchemaDefinitions(nil)",
                     "XValidations": "apiextensions.ValidationRules(nil)"}
            return f"{go_name}:{types.get(go_name, 'nil')}"
        return f"{go_name}:{_go_sharp_v(v, False)}"
    return _GoRaw("apiextensions.JSONSchemaProps{" + ", ".join(field(n, k) for n, k in _PROPS_FIELDS) + "}")


def _enum_strings(path: str, value: str, accepted: Sequence[str], required: bool) -> List[Cause]:
    if not value:
        return [_required(path)] if required else []
    return [] if value in accepted else [_not_supported(path, value, accepted)]


def _names_causes(names: dict, path: str) -> List[Cause]:
    causes: List[Cause] = []

    def s(key: str) -> str:
        v = names.get(key)
        return v if isinstance(v, str) else ""

    for key in ("plural", "singular"):
        if s(key):
            errs = is_dns1035_label(s(key))
            if errs:
                causes.append(_invalid(_child(path, key), s(key), ",".join(errs)))
    for key in ("kind", "listKind"):
        if s(key):
            errs = is_dns1035_label(s(key).lower())
            if errs:
                causes.append(_invalid(_child(path, key), s(key), "may have mixed case, but should otherwise match: "
                                       + ",".join(errs)))
    for i, short in enumerate(_list(names.get("shortNames"))):
        errs = is_dns1035_label(short if isinstance(short, str) else "")
        if errs:
            causes.append(_invalid(_index(_child(path, "shortNames"), i), short, ",".join(errs)))
    if s("kind") and s("kind") == s("listKind"):
        causes.append(_invalid(_child(path, "listKind"), s("listKind"), "kind and listKind may not be the same"))
    for i, category in enumerate(_list(names.get("categories"))):
        errs = is_dns1035_label(category if isinstance(category, str) else "")
        if errs:
            causes.append(_invalid(_index(_child(path, "categories"), i), category, ",".join(errs)))
    return causes


def _simple_json_path(s: str, path: str) -> List[Cause]:
    if not s:
        return [_invalid(path, s, "must not be empty")]
    if s[0] != ".":
        return [_invalid(path, s, "must be a simple json path starting with .")]
    return []


def _column_causes(col: dict, path: str) -> List[Cause]:
    causes: List[Cause] = []
    name, typ = col.get("name") or "", col.get("type") or ""
    fmt, json_path = col.get("format") or "", col.get("jsonPath") or ""
    if not name:
        causes.append(_required(_child(path, "name")))
    if not typ:
        causes.append(_required(_child(path, "type"), "must be one of " + ",".join(_PRINTER_TYPES)))
    elif typ not in _PRINTER_TYPES:
        causes.append(_invalid(_child(path, "type"), typ, "must be one of " + ",".join(_PRINTER_TYPES)))
    if fmt and fmt not in _PRINTER_FORMATS:
        causes.append(_invalid(_child(path, "format"), fmt, "must be one of " + ",".join(_PRINTER_FORMATS)))
    if not json_path:
        causes.append(_required(_child(path, "JSONPath")))
    else:
        causes.extend(_simple_json_path(json_path, _child(path, "JSONPath")))
    return causes


def _subresources_causes(sub, path: str) -> List[Cause]:
    scale = _dict(sub).get("scale") if isinstance(sub, dict) else None
    if not isinstance(scale, dict):
        return []
    causes: List[Cause] = []
    for key, prefix, where in (("specReplicasPath", ".spec.", "should be a json path under .spec"),
                               ("statusReplicasPath", ".status.", "should be a json path under .status")):
        value = scale.get(key) or ""
        p = _child(path, "scale." + key)
        if not value:
            causes.append(_required(p))
        else:
            errs = _simple_json_path(value, p)
            if errs:
                causes.extend(errs)
            elif not value.startswith(prefix):
                causes.append(_invalid(p, value, where))
    selector = scale.get("labelSelectorPath")
    if isinstance(selector, str) and selector:
        p = _child(path, "scale.labelSelectorPath")
        errs = _simple_json_path(selector, p)
        if errs:
            causes.extend(errs)
        elif not selector.startswith((".spec.", ".status.")):
            causes.append(_invalid(p, selector, "should be a json path under either .spec or .status"))
    return causes


def _valid_field_path(json_path: str, schema: dict, allow_array: bool = True) -> Tuple[Optional[str], Any, str]:
    """cel.ValidFieldPath: (path, schema found, error)."""
    tokens: List[str] = []
    i, n = 0, len(json_path)
    while i < n:
        if json_path[i] == "'":
            j = i + 1
            while j < n and not (json_path[j] == "'" and json_path[j - 1] != "\\"):
                j += 1
            tokens.append(json_path[i:j + 1])
            i = j + 1
        elif json_path[i] in ".[]":
            tokens.append(json_path[i])
            i += 1
        else:
            j = i
            while j < n and json_path[j] not in ".[]":
                j += 1
            tokens.append(json_path[i:j])
            i = j
    path = ""
    s: Any = schema
    it = iter(tokens)

    def step(name: str) -> Optional[str]:
        nonlocal path, s
        if not isinstance(s, dict):
            return "does not refer to a valid field"
        if s.get("properties"):
            path = _child(path, name)
            if name not in s["properties"]:
                return "does not refer to a valid field"
            s = s["properties"][name]
        elif s.get("additionalProperties") is not None:
            path = _key(path, name)
            s = s["additionalProperties"] if isinstance(s["additionalProperties"], dict) else None
        else:
            return "does not refer to a valid field"
        return None

    for tok in it:
        if tok == "[":
            if not allow_array:
                return None, None, "array notation is not allowed"
            lit = next(it, None)
            if lit is None:
                return None, None, "unexpected end of JSON path"
            if len(lit) < 2 or lit[0] != "'" or lit[-1] != "'":
                return None, None, f"expected single quoted string but got {lit}"
            body = lit[1:-1]
            escapes = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "'": "'",
                       "\\": "\\"}
            out, k = [], 0
            while k < len(body):
                if body[k] == "\\" and k + 1 < len(body):
                    if body[k + 1] not in escapes:
                        return None, None, f"invalid string literal: invalid escape char {body[k:k + 2]}"
                    out.append(escapes[body[k + 1]])
                    k += 2
                else:
                    out.append(body[k])
                    k += 1
            err = step("".join(out))
            if err:
                return None, None, err
            close_ = next(it, None)
            if close_ is None:
                return None, None, "unexpected end of JSON path"
            if close_ != "]":
                return None, None, f"expected ] but got {close_}"
        elif tok == ".":
            name = next(it, None)
            if name is None:
                return None, None, "unexpected end of JSON path"
            err = step(name)
            if err:
                return None, None, err
        else:
            return None, None, f"expected [ or . but got: {tok}"
    return path, s, ""


def _selectable_fields_causes(fields: Sequence[Any], schema: dict, path: str) -> List[Cause]:
    causes: List[Cause] = []
    unique: List[str] = []
    for i, f in enumerate(fields):
        p = _index(path, i)
        json_path = _dict(f).get("jsonPath") or ""
        if not json_path:
            causes.append(_required(_child(p, "jsonPath")))
            continue
        found_path, found, err = _valid_field_path(json_path, schema, allow_array=False)
        if err:
            causes.append(_invalid(_child(p, "jsonPath"), json_path, f"is an invalid path: {err}"))
            continue
        if (found_path or "").split(".")[0].split("[")[0] == "metadata":
            causes.append(_invalid(_child(p, "jsonPath"), json_path, "must not point to fields in metadata"))
        if not isinstance(found, dict) or found.get("type") not in ("string", "boolean", "integer"):
            causes.append(_invalid(_child(p, "jsonPath"), json_path, "must point to a field of type string, boolean "
                                   "or integer. Enum string fields and strings with formats are allowed."))
        if found_path in unique:
            causes.append(_duplicate(_child(p, "jsonPath"), json_path))
        else:
            unique.append(found_path or "")
    if len(unique) > 8:
        causes.append(_too_many(path, len(unique), 8))
    return causes


class _Opts:
    __slots__ = ("allow_defaults", "defaults_reason", "require_recognized_review", "require_schema",
                 "require_valid_type", "require_structural", "require_pruned_defaults", "require_atomic_set",
                 "require_map_list_keys", "inside_meta")

    def __init__(self):
        self.allow_defaults = True
        self.defaults_reason = ""
        self.require_recognized_review = True
        self.require_schema = True
        self.require_valid_type = True
        self.require_structural = True
        self.require_pruned_defaults = True
        self.require_atomic_set = True
        self.require_map_list_keys = True
        self.inside_meta = False

    def with_(self, **changes) -> _Opts:
        c = copy.copy(self)
        for k, v in changes.items():
            setattr(c, k, v)
        return c


def _schemas(spec: dict) -> List[dict]:
    out = []
    top = _dict(spec.get("validation")).get("openAPIV3Schema")
    if isinstance(top, dict):
        out.append(top)
    for v in spec.get("versions") or ():
        s = _dict(v.get("schema")).get("openAPIV3Schema")
        if isinstance(s, dict):
            out.append(s)
    return out


def _schema_has(schema, pred: Callable[[dict], bool]) -> bool:
    stack = [schema]
    while stack:
        s = stack.pop()
        if not isinstance(s, dict):
            continue
        if pred(s):
            return True
        items = s.get("items")
        stack.extend(items if isinstance(items, list) else [items])
        for key in ("allOf", "anyOf", "oneOf"):
            stack.extend(_list(s.get(key)))
        stack.append(s.get("not"))
        stack.extend(_dict(s.get("properties")).values())
        stack.extend(_dict(s.get("patternProperties")).values())
        stack.extend(_dict(s.get("definitions")).values())
        stack.extend(d for d in _dict(s.get("dependencies")).values() if isinstance(d, dict))
        for key in ("additionalProperties", "additionalItems"):
            if isinstance(s.get(key), dict):
                stack.append(s[key])
    return False


def _has_extensions(s: dict) -> bool:
    return (s.get("x-kubernetes-embedded-resource") is True or s.get("x-kubernetes-preserve-unknown-fields")
            is not None or s.get("x-kubernetes-int-or-string") is True or bool(_list(
                s.get("x-kubernetes-list-map-keys"))) or s.get("x-kubernetes-list-type") is not None
            or bool(_list(s.get("x-kubernetes-validations"))))


def _map_list_keys_causes(schema: dict, path: str) -> List[Cause]:
    items = schema.get("items")
    list_type = schema.get("x-kubernetes-list-type")
    if not isinstance(items, dict) or list_type not in ("set", "map"):
        return []
    causes: List[Cause] = []
    if items.get("nullable") is True:
        causes.append(_forbidden(_child(_child(path, "items"), "nullable"),
                                 "cannot be nullable when x-kubernetes-list-type is " + list_type))
    if list_type == "map":
        required = set(r for r in _list(items.get("required")) if isinstance(r, str))
        props = _dict(items.get("properties"))
        for k in _list(schema.get("x-kubernetes-list-map-keys")):
            if not isinstance(k, str) or k not in props:
                continue
            p = _key(_child(_child(path, "items"), "properties"), k)
            if k not in required and _dict(props[k]).get("default") is None:
                causes.append(_required(_child(p, "default"), "this property is in x-kubernetes-list-map-keys, so "
                                                              "it must have a default or be a required property"))
            if _dict(props[k]).get("nullable") is True:
                causes.append(_forbidden(_child(p, "nullable"), "this property is in x-kubernetes-list-map-keys, so "
                                                                "it cannot be nullable"))
    return causes


def _openapi_causes(schema: dict, path: str, opts: _Opts, is_root: bool, depth: int) -> List[Cause]:
    """ValidateCustomResourceDefinitionOpenAPISchema without the CEL compilation (the caller's)."""
    if depth > MAX_DEPTH:
        return [_forbidden(path, f"must not be nested more than {MAX_DEPTH} levels deep")]
    causes: List[Cause] = []
    typ = schema.get("type") if isinstance(schema.get("type"), str) else ""
    # specStandardValidatorV3.validate
    if opts.require_valid_type and typ and typ not in _OPENAPI_TYPES:
        causes.append(_not_supported(_child(path, "type"), typ, _OPENAPI_TYPES))
    if schema.get("default") is not None and not opts.allow_defaults:
        detail = "must not be set" + (" " + opts.defaults_reason if opts.defaults_reason else "")
        causes.append(_forbidden(_child(path, "default"), detail))
    if schema.get("id"):
        causes.append(_forbidden(_child(path, "id"), "id is not supported"))
    if schema.get("additionalItems") is not None:
        causes.append(_forbidden(_child(path, "additionalItems"), "additionalItems is not supported"))
    if schema.get("patternProperties"):
        causes.append(_forbidden(_child(path, "patternProperties"), "patternProperties is not supported"))
    if schema.get("definitions"):
        causes.append(_forbidden(_child(path, "definitions"), "definitions is not supported"))
    if schema.get("dependencies") is not None:
        causes.append(_forbidden(_child(path, "dependencies"), "dependencies is not supported"))
    if schema.get("$ref") is not None:
        causes.append(_forbidden(_child(path, "$ref"), "$ref is not supported"))
    if typ == "null":
        causes.append(_forbidden(_child(path, "type"), "type cannot be set to null, use nullable as an alternative"))
    items = schema.get("items")
    if isinstance(items, list) and items:
        causes.append(_forbidden(_child(path, "items"), "items must be a schema object and not an array"))
    if opts.inside_meta and schema.get("x-kubernetes-embedded-resource") is True:
        causes.append(_forbidden(_child(path, "x-kubernetes-embedded-resource"), "must not be used inside of resource "
                                                                                 "meta"))
    if schema.get("uniqueItems") is True:
        causes.append(_forbidden(_child(path, "uniqueItems"), "uniqueItems cannot be set to true since the runtime "
                                                              "complexity becomes quadratic"))
    props = _dict(schema.get("properties"))
    ap = schema.get("additionalProperties")
    if ap is not None:
        if props and (ap is False or isinstance(ap, dict)):
            causes.append(_forbidden(_child(path, "additionalProperties"), "additionalProperties and properties are "
                                                                           "mutual exclusive"))
        sub_opts = opts
        if opts.inside_meta:
            sub_opts = opts.with_(allow_defaults=False,
                                  defaults_reason="inside additionalProperties applying to object metadata")
        if isinstance(ap, dict):
            causes.extend(_openapi_causes(ap, _child(path, "additionalProperties"), sub_opts, False, depth + 1))
    embedded = schema.get("x-kubernetes-embedded-resource") is True
    for name, sub in props.items():
        sub_opts = opts
        if (is_root or embedded) and name in _META_FIELDS:
            sub_opts = sub_opts.with_(inside_meta=True)
            if is_root:
                sub_opts = sub_opts.with_(allow_defaults=False, defaults_reason=f"in top-level {name}")
        causes.extend(_openapi_causes(_dict(sub), _key(_child(path, "properties"), name), sub_opts, False,
                                      depth + 1))
    if isinstance(schema.get("not"), dict):
        causes.extend(_openapi_causes(schema["not"], _child(path, "not"), opts, False, depth + 1))
    for key in ("allOf", "oneOf", "anyOf"):
        for i, sub in enumerate(_list(schema.get(key))):
            causes.extend(_openapi_causes(_dict(sub), _index(_child(path, key), i), opts, False, depth + 1))
    for name, sub in _dict(schema.get("definitions")).items():
        causes.extend(_openapi_causes(_dict(sub), _key(_child(path, "definitions"), name), opts, False, depth + 1))
    if isinstance(items, dict):
        causes.extend(_openapi_causes(items, _child(path, "items"), opts, False, depth + 1))
    elif isinstance(items, list):
        for i, sub in enumerate(items):
            causes.extend(_openapi_causes(_dict(sub), _index(_child(path, "items"), i), opts, False, depth + 1))
    for name, dep in _dict(schema.get("dependencies")).items():
        if isinstance(dep, dict):
            causes.extend(_openapi_causes(dep, _key(_child(path, "dependencies"), name), opts, False, depth + 1))
    if schema.get("x-kubernetes-preserve-unknown-fields") is False:
        causes.append(_invalid(_child(path, "x-kubernetes-preserve-unknown-fields"), False, "must be true or "
                                                                                             "undefined"))
    map_type = schema.get("x-kubernetes-map-type")
    if map_type is not None and typ != "object":
        if not typ:
            causes.append(_required(_child(path, "type"), "must be object if x-kubernetes-map-type is specified"))
        else:
            causes.append(_invalid(_child(path, "type"), typ, "must be object if x-kubernetes-map-type is specified"))
    if map_type is not None and map_type not in ("atomic", "granular"):
        causes.append(_not_supported(_child(path, "x-kubernetes-map-type"), map_type, ("atomic", "granular")))
    list_type = schema.get("x-kubernetes-list-type")
    if list_type is not None and typ != "array":
        if not typ:
            causes.append(_required(_child(path, "type"), "must be array if x-kubernetes-list-type is specified"))
        else:
            causes.append(_invalid(_child(path, "type"), typ, "must be array if x-kubernetes-list-type is specified"))
    elif opts.require_atomic_set and list_type == "set" and isinstance(items, dict):
        if items.get("type") == "array":
            inner = items.get("x-kubernetes-list-type")
            if inner is not None and inner != "atomic":
                causes.append(_invalid(_child(_child(path, "items"), "x-kubernetes-list-type"), inner,
                                       "must be atomic as item of a list with x-kubernetes-list-type=set"))
        elif items.get("type") == "object" and items.get("x-kubernetes-map-type") != "atomic":
            causes.append(_invalid(_child(_child(path, "items"), "x-kubernetes-map-type"),
                                   items.get("x-kubernetes-list-type"),
                                   "must be atomic as item of a list with x-kubernetes-list-type=set"))
    if list_type is not None and list_type not in ("atomic", "set", "map"):
        causes.append(_not_supported(_child(path, "x-kubernetes-list-type"), list_type, ("atomic", "set", "map")))
    map_keys = schema.get("x-kubernetes-list-map-keys")
    if _list(map_keys):
        if list_type is None:
            causes.append(_required(_child(path, "x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys "
                                                                            "is non-empty"))
        elif list_type != "map":
            causes.append(_invalid(_child(path, "x-kubernetes-list-type"), list_type, "must be map if "
                                   "x-kubernetes-list-map-keys is non-empty"))
    if list_type == "map":
        keys = _list(map_keys)
        if not keys:
            causes.append(_required(_child(path, "x-kubernetes-list-map-keys"), "must not be empty if "
                                                                                "x-kubernetes-list-type is map"))
        if items is None:
            causes.append(_required(_child(path, "items"), "must have a schema if x-kubernetes-list-type is map"))
        elif not isinstance(items, dict):
            causes.append(_invalid(_child(path, "items"), _GoRaw("&apiextensions.JSONSchemaPropsOrArray{...}"),
                                   "must only have a single schema if x-kubernetes-list-type is map"))
        elif items.get("type") != "object":
            causes.append(_invalid(_child(_child(path, "items"), "type"), items.get("type") or "",
                                   "must be object if parent array's x-kubernetes-list-type is map"))
        else:
            seen: List[str] = []
            item_props = _dict(items.get("properties"))
            for k in keys:
                if k in item_props:
                    if _dict(item_props[k]).get("type") in ("array", "object"):
                        causes.append(_invalid(_child(_key(_child(_child(path, "items"), "properties"), k), "type"),
                                               items.get("type"), "must be a scalar type if parent array's "
                                                                  "x-kubernetes-list-type is map"))
                else:
                    causes.append(_invalid(_child(path, "x-kubernetes-list-map-keys"), _go_strings(keys),
                                           "entries must all be names of item properties"))
                if k in seen:
                    causes.append(_invalid(_child(path, "x-kubernetes-list-map-keys"), _go_strings(keys),
                                           "must not contain duplicate entries"))
                seen.append(k)
    if opts.require_map_list_keys:
        causes.extend(_map_list_keys_causes(schema, path))
    for i, rule in enumerate(_list(schema.get("x-kubernetes-validations"))):
        rule = _dict(rule)
        p = _index(_child(path, "x-kubernetes-validations"), i)
        text, message = str(rule.get("rule") or ""), str(rule.get("message") or "")
        expression = str(rule.get("messageExpression") or "")
        if not text.strip():
            causes.append(_required(_child(p, "rule"), "rule is not specified"))
        elif message and not message.strip():
            causes.append(_invalid(_child(p, "message"), message, "message must be non-empty if specified"))
        elif "\n" in message.strip() or "\r" in message.strip():
            causes.append(_invalid(_child(p, "message"), message, "message must not contain line breaks"))
        elif ("\n" in text.strip() or "\r" in text.strip()) and not message.strip():
            causes.append(_required(_child(p, "message"), "message must be specified if rule contains line breaks"))
        if expression and not expression.strip():
            causes.append(_required(_child(p, "messageExpression"), "messageExpression must be non-empty if "
                                                                    "specified"))
        reason = rule.get("reason")
        if reason is not None and reason not in ("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                                                 "FieldValueRequired"):
            causes.append(_not_supported(_child(p, "reason"), reason, ("FieldValueDuplicate", "FieldValueForbidden",
                                                                       "FieldValueInvalid", "FieldValueRequired")))
        field_path = str(rule.get("fieldPath") or "")
        if field_path and not field_path.strip():
            causes.append(_invalid(_child(p, "fieldPath"), field_path, "fieldPath must be non-empty if specified"))
        if "\n" in field_path or "\r" in field_path:
            causes.append(_invalid(_child(p, "fieldPath"), field_path, "fieldPath must not contain line breaks"))
        if field_path and _new_structural_error(schema) is None and _valid_field_path(field_path, schema)[2]:
            causes.append(_invalid(_child(p, "fieldPath"), field_path, "fieldPath must be a valid path"))
    return causes


def _status_root_causes(schema: dict, path: str) -> List[Cause]:
    """With the status subresource, only some JSONSchemaProps fields may be non-zero at the root."""
    for go_name, key in _PROPS_FIELDS:
        v = schema.get(key)
        if v is None or v is False or (isinstance(v, str) and v == ""):
            continue
        if go_name == "Type":
            if v != "object":
                return [_invalid(_child(path, "openAPIV3Schema.type"), v,
                                 'only "object" is allowed as the type at the root of the schema if the status '
                                 'subresource is enabled')]
            continue
        if go_name not in _ROOT_STATUS_ALLOWED:
            return [_invalid(_child(path, "openAPIV3Schema"), _go_schema_props(schema),
                             f"only [{' '.join(_ROOT_STATUS_ALLOWED)}] fields are allowed at the root of the schema "
                             f"if the status subresource is enabled")]
    return []


def _validation_causes(validation, status_enabled: bool, opts: _Opts, path: str) -> List[Cause]:
    """validateCustomResourceDefinitionValidation."""
    if not isinstance(validation, dict):
        return []
    schema = validation.get("openAPIV3Schema")
    causes: List[Cause] = []
    if not isinstance(schema, dict):
        return causes
    schema_path = _child(path, "openAPIV3Schema")
    if status_enabled:
        causes.extend(_status_root_causes(schema, path))
    if schema.get("nullable") is True:
        causes.append(_forbidden(_child(path, "openAPIV3Schema.nullable"), "nullable cannot be true at the root"))
    init_causes: List[Cause] = []
    if opts.require_structural:
        problem = _new_structural_error(schema)
        if problem:
            init_causes.append(_invalid(schema_path, "", problem))
        else:
            structural = structural_errors(schema, schema_path)
            if structural:
                causes.extend(structural)
            else:
                causes.extend(_default_causes(schema, schema_path, opts.require_pruned_defaults))
    causes.extend(_openapi_causes(schema, schema_path, opts.with_(inside_meta=False), True, 0))
    if not causes and init_causes:
        causes.extend(init_causes)
    return causes


def _deprecation_messages(deprecated: bool, warning) -> List[str]:
    if not deprecated and warning is not None:
        return ["can only be set for deprecated versions"]
    if warning is None:
        return []
    warning = str(warning)
    errors = []
    if _blen(warning) > 256:
        errors.append("must be <= 256 characters long")
    if not warning:
        errors.append("must not be an empty string")
    offset = 0
    for ch in warning:
        if not (ch.isprintable() or ch == " ") or 0xD800 <= ord(ch) <= 0xDFFF:
            errors.append("must only contain printable UTF-8 characters; non-printable character found at index "
                          f"{offset}")
            break
        offset += _blen(ch)
    return errors


def _conversion_causes(conversion: dict, require_recognized: bool, path: str) -> List[Cause]:
    causes = _enum_strings(_child(path, "strategy"), conversion.get("strategy") or "", ("None", "Webhook"), True)
    config, review = conversion.get("webhookClientConfig"), conversion.get("conversionReviewVersions")
    if conversion.get("strategy") == "Webhook":
        if config is None:
            causes.append(_required(_child(path, "webhookClientConfig"), "required when strategy is set to Webhook"))
        else:
            cc = _dict(config)
            cc_path = _child(path, "webhookClientConfig")
            if (cc.get("url") is None) == (cc.get("service") is None):
                causes.append(_required(cc_path, "exactly one of url or service is required"))
            elif cc.get("url") is not None:
                causes.extend(_webhook_url_causes(_child(cc_path, "url"), str(cc["url"])))
            else:
                svc = _dict(cc.get("service"))
                causes.extend(_webhook_service_causes(_child(cc_path, "service"), svc))
        rp = _child(path, "conversionReviewVersions")
        versions = _list(review)
        if not versions:
            causes.append(_required(rp))
        else:
            seen: List[str] = []
            accepted = False
            for i, v in enumerate(versions):
                v = str(v)
                if v in seen:
                    causes.append(_invalid(_index(rp, i), v, "duplicate version"))
                    continue
                seen.append(v)
                causes.extend(_invalid(_index(rp, i), v, m) for m in is_dns1035_label(v))
                accepted = accepted or v in ("v1", "v1beta1")
            if require_recognized and not accepted:
                causes.append(_invalid(rp, _go_strings([str(v) for v in versions]),
                                       "must include at least one of v1, v1beta1"))
    else:
        if config is not None:
            causes.append(_forbidden(_child(path, "webhookClientConfig"), "should not be set when strategy is not set "
                                                                          "to Webhook"))
        if _list(review):
            causes.append(_forbidden(_child(path, "conversionReviewVersions"), "should not be set when strategy is not "
                                                                               "set to Webhook"))
    return causes


def _webhook_url_causes(path: str, url: str) -> List[Cause]:
    form = "; desired format: https://host[/path]"
    parts, err = _go_parse_url(url, False)
    if parts is None:
        return [_required(path, f"url must be a valid URL: parse {go_quote(url)}: {err}{form}")]
    causes = []
    if parts["scheme"] != "https":
        causes.append(_invalid(path, parts["scheme"], "'https' is the only allowed URL scheme" + form))
    if not parts["host"]:
        causes.append(_invalid(path, parts["host"], "host must be specified" + form))
    if parts["user"] is not None:
        causes.append(_invalid(path, parts["user"], "user information is not permitted in the URL"))
    if parts["fragment"]:
        causes.append(_invalid(path, parts["fragment"], "fragments are not permitted in the URL"))
    if parts["query"]:
        causes.append(_invalid(path, parts["query"], "query parameters are not permitted in the URL"))
    return causes


def _webhook_service_causes(path: str, svc: dict) -> List[Cause]:
    causes = []
    if not svc.get("name"):
        causes.append(_required(_child(path, "name"), "service name is required"))
    if not svc.get("namespace"):
        causes.append(_required(_child(path, "namespace"), "service namespace is required"))
    port = svc.get("port", 443)
    if not _is_int(port) or not 1 <= port <= 65535:
        causes.append(_invalid(_child(path, "port"), port, "port is not valid: must be between 1 and 65535, inclusive"))
    url_path = svc.get("path")
    if url_path is None or url_path in ("/", ""):
        return causes
    url_path = str(url_path)
    if url_path == "//":
        causes.append(_invalid(_child(path, "path"), url_path, "segment[0] may not be empty"))
        return causes
    if not url_path.startswith("/"):
        causes.append(_invalid(_child(path, "path"), url_path, "must start with a '/'"))
    check = url_path[1:]
    if check.endswith("/"):
        check = check[:-1]
    for i, step in enumerate(check.split("/")):
        if not step:
            causes.append(_invalid(_child(path, "path"), url_path, f"segment[{i}] may not be empty"))
            continue
        for failure in is_dns1123_subdomain(step):
            causes.append(_invalid(_child(path, "path"), url_path, f"segment[{i}]: {failure}"))
    return causes


def _spec_causes(spec: dict, opts: _Opts, path: str) -> List[Cause]:
    """validateCustomResourceDefinitionSpec on the internal spec."""
    causes: List[Cause] = []
    group = spec["group"] if isinstance(spec["group"], str) else ""
    if not group:
        causes.append(_required(_child(path, "group")))
    else:
        errs = is_dns1123_subdomain(group)
        if errs:
            causes.append(_invalid(_child(path, "group"), group, ",".join(errs)))
        elif len(group.split(".")) < 2:
            causes.append(_invalid(_child(path, "group"), group, "should be a domain with at least one dot"))
    causes.extend(_enum_strings(_child(path, "scope"), str(spec["scope"]), ("Cluster", "Namespaced"), True))
    preserve = spec["preserveUnknownFields"]
    if not preserve:
        opts = opts.with_(require_structural=True)
    versions: List[dict] = spec["versions"]
    if opts.require_schema:
        if not isinstance(_dict(spec["validation"]).get("openAPIV3Schema"), dict):
            for i, v in enumerate(versions):
                if not isinstance(_dict(v.get("schema")).get("openAPIV3Schema"), dict):
                    causes.append(_required(_child(_child(_index(_child(path, "versions"), i), "schema"),
                                                   "openAPIV3Schema"), "schemas are required"))
    elif not preserve and not isinstance(_dict(spec["validation"]).get("openAPIV3Schema"), dict):
        for i, v in enumerate(versions):
            if v.get("served") is True and not isinstance(_dict(v.get("schema")).get("openAPIV3Schema"), dict):
                causes.append(_required(_child(_index(_child(path, "versions"), i), "schema.openAPIV3Schema"),
                                        "because otherwise all fields are pruned"))
    schemas = _schemas(spec)
    if opts.allow_defaults and any(_schema_has(s, lambda x: x.get("default") is not None) for s in schemas):
        opts = opts.with_(require_structural=True)
        if preserve:
            causes.append(_invalid(_child(path, "preserveUnknownFields"), True, "must be false in order to use "
                                                                                "defaults in the schema"))
    if any(_schema_has(s, _has_extensions) for s in schemas):
        opts = opts.with_(require_structural=True)
    storage, names_seen, unique = 0, [], True
    any_status = _dict(spec["subresources"]).get("status") is not None or any(
        _dict(v.get("subresources")).get("status") is not None for v in versions)
    per_version_subresources = any(v.get("subresources") is not None for v in versions)
    for i, v in enumerate(versions):
        vp = _index(_child(path, "versions"), i)
        if v.get("storage") is True:
            storage += 1
        name = v.get("name") if isinstance(v.get("name"), str) else ""
        if name in names_seen:
            unique = False
        else:
            names_seen.append(name)
        errs = is_dns1035_label(name)
        if errs:
            causes.append(_invalid(_child(vp, "name"), name, ",".join(errs)))
        subresources = v.get("subresources") if per_version_subresources else spec["subresources"]
        status_enabled = _dict(subresources).get("status") is not None
        for msg in _deprecation_messages(v.get("deprecated") is True, v.get("deprecationWarning")):
            causes.append(_invalid(_child(vp, "deprecationWarning"), v.get("deprecationWarning"), msg))
        causes.extend(_validation_causes(v.get("schema"), status_enabled, opts, _child(vp, "schema")))
        causes.extend(_subresources_causes(v.get("subresources"), _child(vp, "subresources")))
        for j, col in enumerate(_list(v.get("additionalPrinterColumns"))):
            causes.extend(_column_causes(_dict(col), _index(_child(vp, "additionalPrinterColumns"), j)))
        fields = _list(v.get("selectableFields"))
        if fields:
            version_schema = _dict(v.get("schema")).get("openAPIV3Schema")
            if not isinstance(version_schema, dict):
                causes.append(_invalid(_child(vp, "selectableFields"), "", "selectableFields may only be set when "
                                       "version.schema.openAPIV3Schema is not included"))
            else:
                causes.extend(_selectable_fields_causes(fields, version_schema, _child(vp, "selectableFields")))
    if not unique:
        causes.append(_invalid(_child(path, "versions"), _go_versions(versions), "must contain unique version names"))
    if storage != 1:
        causes.append(_invalid(_child(path, "versions"), _go_versions(versions),
                               "must have exactly one version marked as storage version"))
    version = spec["version"]
    if version:
        errs = is_dns1035_label(version)
        if errs:
            causes.append(_invalid(_child(path, "version"), version, ",".join(errs)))
    names = spec["names"]
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            causes.append(_required(_child(_child(path, "names"), key)))
    causes.extend(_names_causes(names, _child(path, "names")))
    causes.extend(_validation_causes(spec["validation"], any_status, opts, _child(path, "validation")))
    causes.extend(_subresources_causes(spec["subresources"], _child(path, "subresources")))
    for j, col in enumerate(_list(spec["additionalPrinterColumns"])):
        causes.extend(_column_causes(_dict(col), _index(_child(path, "additionalPrinterColumns"), j)))
    fields = _list(spec["selectableFields"])
    if fields:
        if spec["validation"] is None:
            causes.append(_invalid(_child(path, "selectableFields"), "", "selectableFields may only be set when "
                                                                         "validations.schema is included"))
        else:
            top_schema = _dict(_dict(spec["validation"]).get("openAPIV3Schema"))
            causes.extend(_selectable_fields_causes(fields, top_schema, _child(path, "selectableFields")))
    conversion = spec["conversion"]
    if conversion.get("strategy") != "None" and preserve:
        causes.append(_invalid(_child(_child(path, "conversion"), "strategy"), conversion.get("strategy") or "",
                               "must be None if spec.preserveUnknownFields is true"))
    causes.extend(_conversion_causes(conversion, opts.require_recognized_review, _child(path, "conversion")))
    return causes


def _approval_state(annotations: dict) -> Tuple[str, str]:
    value = annotations.get(_APPROVAL) or ""
    if not isinstance(value, str):
        value = ""
    if not value:
        return "missing", (f'protected groups must have approval annotation "{_APPROVAL}", see '
                           "https://github.com/kubernetes/enhancements/pull/1111")
    if value.startswith("unapproved"):
        return "bypassed", f"not approved: {go_quote(value)}"
    parts, _ = _go_parse_url(value, True)
    if parts is not None and parts["host"] and parts["scheme"]:
        return "approved", f"approved in {value}"
    return "invalid", (f'protected groups must have approval annotation "{_APPROVAL}" with either a URL or a reason '
                       'starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111')


def _approval_causes(crd: dict, old: Optional[dict]) -> List[Cause]:
    group = _dict(crd.get("spec")).get("group") or ""
    if not isinstance(group, str) or not (group in ("k8s.io", "kubernetes.io")
                                          or group.endswith((".k8s.io", ".kubernetes.io"))):
        return []
    annotations = _dict(_dict(crd.get("metadata")).get("annotations"))
    state, reason = _approval_state(annotations)
    if old is not None and _approval_state(_dict(_dict(old.get("metadata")).get("annotations")))[0] == state:
        return []
    path = _key("metadata.annotations", _APPROVAL)
    if state == "missing":
        return [_required(path, reason)]
    if state == "invalid":
        return [_invalid(path, annotations.get(_APPROVAL), reason)]
    return []


def _established(crd: dict) -> bool:
    return any(_dict(c).get("type") == "Established" and _dict(c).get("status") == "True"
               for c in _list(_dict(crd.get("status")).get("conditions")))


def _old_opts(old_spec: dict) -> _Opts:
    """The validation options an update gets from the stored CRD (never tighten rules on persisted data)."""
    opts = _Opts()
    conversion = old_spec["conversion"]
    review = _list(conversion.get("conversionReviewVersions"))
    opts.require_recognized_review = not review or any(v in ("v1", "v1beta1") for v in review)
    top = _dict(old_spec["validation"]).get("openAPIV3Schema")
    opts.require_schema = isinstance(top, dict) or all(
        isinstance(_dict(v.get("schema")).get("openAPIV3Schema"), dict) for v in old_spec["versions"])
    schemas = _schemas(old_spec)
    opts.require_valid_type = not any(_schema_has(s, lambda x: isinstance(x.get("type"), str) and x["type"] and
                                                  x["type"] not in _OPENAPI_TYPES) for s in schemas)
    opts.require_structural = not any(_new_structural_error(s) or structural_errors(s) for s in schemas)
    opts.require_atomic_set = not any(_schema_has(s, _non_atomic_set) for s in schemas)
    opts.require_map_list_keys = not any(_schema_has(s, lambda x: bool(_map_list_keys_causes(x, "")))
                                         for s in schemas)
    opts.require_pruned_defaults = not any(_schema_has(s, lambda x: x.get("default") is not None) and
                                           any("must not have unknown fields" in c[2]
                                               for c in _default_causes(s, "")) for s in schemas)
    return opts


def _non_atomic_set(s: dict) -> bool:
    items = s.get("items")
    if s.get("x-kubernetes-list-type") != "set" or not isinstance(items, dict):
        return False
    if items.get("type") == "array":
        return items.get("x-kubernetes-list-type") not in (None, "atomic")
    if items.get("type") == "object":
        return items.get("x-kubernetes-map-type") != "atomic"
    return False


def validate_crd(crd: dict, old: Optional[dict] = None) -> List[Cause]:
    """ValidateCustomResourceDefinition (old=None) or ValidateCustomResourceDefinitionUpdate of a v1 CRD.

    Covers metadata.name == plural.group (create), the spec (group, names, scope, versions, schemas with the
    structural rules and defaults, subresources, printer columns, selectable fields, conversion), the API approval
    annotation of *.k8s.io / *.kubernetes.io groups and spec.preserveUnknownFields. Not covered: the generic
    ObjectMeta rules (the caller's), the status (see validate_crd_status), CEL compilation and cost of
    x-kubernetes-validations rules, and the conversion webhook caBundle (upstream accepts an invalid one until the
    CRD is established anyway)."""
    crd = crd if isinstance(crd, dict) else {}
    spec = _internal_spec(_dict(crd.get("spec")))
    for schema in _schemas(spec):
        if nesting_error(schema, 4 * MAX_DEPTH) is not None:
            return [_forbidden("spec", f"schemas must not be nested more than {MAX_DEPTH} levels deep")]
    causes: List[Cause] = []
    md = _dict(crd.get("metadata"))
    if old is None:
        name = md.get("name")
        names = spec["names"]
        wanted = f"{names.get('plural') or ''}.{spec['group']}"
        if isinstance(name, str) and name and name != wanted:
            causes.append(_invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
        causes.extend(_spec_causes(spec, _Opts(), "spec"))
    else:
        old_spec = _internal_spec(_dict(old.get("spec")))
        causes.extend(_spec_causes(spec, _old_opts(old_spec), "spec"))
        if _established(old):
            if spec["scope"] != old_spec["scope"]:
                causes.append(_invalid("spec.scope", spec["scope"], "field is immutable"))
            if spec["names"].get("kind") != old_spec["names"].get("kind"):
                causes.append(_invalid("spec.names.kind", spec["names"].get("kind") or "", "field is immutable"))
        if spec["group"] != old_spec["group"]:
            causes.append(_invalid("spec.group", spec["group"], "field is immutable"))
        if spec["names"].get("plural") != old_spec["names"].get("plural"):
            causes.append(_invalid("spec.names.plural", spec["names"].get("plural") or "", "field is immutable"))
    causes.extend(_approval_causes(crd, old))
    old_preserve = old is not None and _dict(old.get("spec")).get("preserveUnknownFields") is True
    if not old_preserve and spec["preserveUnknownFields"]:
        causes.append(_invalid("spec.preserveUnknownFields", True, "cannot set to true, set "
                               "x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"))
    return causes


def validate_crd_status(crd: dict) -> List[Cause]:
    """ValidateCustomResourceDefinitionStatus and ...StoredVersions, as upstream runs them after PrepareForCreate
    (status reset, storedVersions = [the storage version]) or PrepareForUpdate (status kept)."""
    crd = crd if isinstance(crd, dict) else {}
    status = _dict(crd.get("status"))
    causes = _names_causes(_dict(status.get("acceptedNames")), "status.acceptedNames")
    stored = [str(v) for v in _list(status.get("storedVersions"))]
    path = "status.storedVersions"
    if not stored:
        return causes + [_invalid(path, _go_strings(None if status.get("storedVersions") is None else []),
                                  "must have at least one stored version")]
    remaining = {v: i for i, v in enumerate(stored)}
    for v in _list(_dict(crd.get("spec")).get("versions")):
        name = _dict(v).get("name")
        if _dict(v).get("storage") is True and name not in remaining:
            causes.append(_invalid(path, _go_strings(stored), f"must have the storage version {name}"))
        remaining.pop(name, None)
    for v, i in remaining.items():
        causes.append(_invalid(_index(path, i), v, "must appear in spec.versions"))
    return causes
