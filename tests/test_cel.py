"""CEL subset (apiserver.apiextensions.cel): conformance-style cases, Kubernetes validation-rule semantics, errors,
cost limits, timings and property-based robustness."""

from __future__ import annotations

import math
import time

import pytest

from apiserver.apiextensions import cel
from apiserver.apiextensions.cel import UInt


def ev(expr, **variables):
    return cel.compile(expr, tuple(sorted(variables))).evaluate(variables)


def compile_error(expr, *fragments):
    with pytest.raises(cel.CELCompileError) as info:
        cel.compile(expr)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return str(info.value)


def eval_error(expr, *fragments, **variables):
    with pytest.raises(cel.CELEvalError) as info:
        ev(expr, **variables)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return str(info.value)


def same(got, want):
    """Equal and of the same CEL type (int vs uint vs double vs bool matter)."""
    assert got == want
    assert type(got) is type(want), (got, want)


# ---------------------------------------------------------------------------------------------------------------------
# literals


@pytest.mark.parametrize("expr,want", [
    ("0", 0), ("42", 42), ("0x1F", 31), ("0XfF", 255), ("-9223372036854775808", -9223372036854775808),
    ("9223372036854775807", 9223372036854775807),
    ("0u", UInt(0)), ("42U", UInt(42)), ("0x10u", UInt(16)), ("18446744073709551615u", UInt(18446744073709551615)),
    ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), ("1.5e-3", 0.0015), ("-2.3e+1", -23.0), ("0e+0", 0.0),
    ("true", True), ("false", False),
    ("'abc'", "abc"), ('"abc"', "abc"), ("'\"'", '"'), ('"\\""', '"'), ("'\\\\'", "\\"), ("r'\\\\'", "\\\\"),
    ("R'a\\nb'", "a\\nb"), ("'a\\nb\\tc'", "a\nb\tc"), ("'\\x41\\101\\u00e9\\U0001F600'", "AA\u00e9\U0001F600"),
    ("'''x''x'''", "x''x"), ('"""multi\nline"""', "multi\nline"), ("'\\a\\b\\f\\r\\v\\?\\`'", "\a\b\f\r\v?`"),
    ("b'abc'", b"abc"), ("b'\\xff\\377'", b"\xff\xff"), ("b'\u00ff'", b"\xc3\xbf"), ("'\\303\\277'", "\u00c3\u00bf"),
    ("br'\\x'", b"\\x"),
])
def test_literals(expr, want):
    same(ev(expr), want)


def test_null_list_map_literals():
    assert ev("null") is None
    assert ev("[]") == [] and ev("[1, 2, 3,]") == [1, 2, 3]
    assert ev("{}") == {} and ev("{'a': [1], 'b': []}") == {"a": [1], "b": []}
    assert ev("{dyn(1): 'x', dyn(2u): 'y'}") == {1: "x", 2: "y"}
    # Kubernetes enables homogeneous aggregate literals: mixed element/key/value types are refused
    compile_error("[1, 'a']", "homogeneous")
    compile_error("{1: 'x', 2u: 'y'}", "homogeneous")
    compile_error("dyn([1, 'a'])", "homogeneous")
    assert ev("// a comment\n 1 + // more\n 2") == 3


@pytest.mark.parametrize("expr,fragment", [
    ("9223372036854775808", "out of range"), ("-9223372036854775809", "out of range"),
    ("18446744073709551616u", "out of range"), ("'abc", "unterminated"), ("'a\nb'", "newline"),
    ("'\\s'", "invalid escape"), ("'\\uD83D'", "invalid unicode"), ("b'\\U0001F600'", "not allowed in bytes"),
    ("1 +", "Syntax error"), ("(1", "Syntax error"), ("1 2", "Syntax error"), ("a.", "Syntax error"),
    ("1 = 1", "token recognition"), ("1 & 2", "token recognition"), ("self.true", "keyword"),
    ("package", "reserved identifier"), ("-!true", "Syntax error"), ("1.5u", "Syntax error"),
])
def test_syntax_errors(expr, fragment):
    compile_error(expr, fragment)


def test_error_messages_point_at_the_input():
    msg = compile_error("self.a +\n  'x' - 1", "ERROR: <input>:2:")
    assert "\n |   'x' - 1\n | " in msg


# ---------------------------------------------------------------------------------------------------------------------
# operators, precedence, arithmetic


@pytest.mark.parametrize("expr,want", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("2 * 3 % 4", 2), ("-2 * 3", -6), ("--2", 2),
    ("!true || true", True), ("true || false && false", True), ("!(true && false)", True), ("!!true", True),
    ("1 < 2 == true", True), ("true ? 1 : false ? 2 : 3", 1), ("false ? 1 : false ? 2 : 3", 3),
    ("1 + 2 == 3 && 'a' + 'b' == 'ab'", True), ("2 in [1, 2] && !(3 in [1, 2])", True),
    ("'k' in {'k': 1}", True), ("3 - 2 - 1 == 0 ? 'yes' : 'no'", "yes"),
    ("7 / 2", 3), ("-7 / 2", -3), ("7 / -2", -3), ("7 % 3", 1), ("-7 % 3", -1), ("7 % -3", 1),
    ("7u / 2u", UInt(3)), ("7u % 4u", UInt(3)), ("1u + 2u", UInt(3)), ("5u - 2u", UInt(3)), ("2u * 3u", UInt(6)),
    ("7.0 / 2.0", 3.5), ("1.5 + 1.5", 3.0), ("-(1.5)", -1.5),
    ("'ab' + 'cd'", "abcd"), ("b'a' + b'b'", b"ab"), ("[1] + [2, 3]", [1, 2, 3]),
    ("1 == 1 && 1 != 2 && 1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3", True),
    ("'a' < 'b' && 'abc' < 'abd' && 'Z' < 'a' && b'a' < b'b' && false < true", True),
    ("1 < 2u && 2u < 2.5 && -1 < 0u && 1.5 > 1", True),
    ("dyn(1) == 1.0 && dyn(1u) == 1 && dyn(1.0) == 1u", True), ("dyn(1) == 'a'", False), ("dyn(null) == 0", False),
    ("null == null", True), ("[1, 2] == dyn([1, 2])", True), ("{'a': 1} == {'a': 1}", True),
    ("{'a': 1} == {'a': 2}", False), ("[1, 2] == [2, 1]", False), ("[[1], [2]] == [[1], [2]]", True),
    ("{1: 'a'}[1u] == 'a' && {1: 'a'}[dyn(1.0)] == 'a'", True),
])
def test_operators(expr, want):
    same(ev(expr), want)


def test_double_specials():
    assert ev("1.0 / 0.0") == math.inf
    assert ev("-1.0 / 0.0") == -math.inf
    assert math.isnan(ev("0.0 / 0.0"))
    assert ev("double('NaN') == double('NaN')") is False
    assert ev("double('NaN') != double('NaN')") is True
    assert ev("double('NaN') < 1.0 || double('NaN') >= 1.0") is False


@pytest.mark.parametrize("expr,fragment", [
    ("9223372036854775807 + 1", "overflow"), ("-9223372036854775808 - 1", "overflow"),
    ("9223372036854775807 * 2", "overflow"), ("-(-9223372036854775808)", "overflow"),
    ("-9223372036854775808 / -1", "overflow"), ("-9223372036854775808 % -1", "overflow"),
    ("0u - 1u", "overflow"), ("18446744073709551615u + 1u", "overflow"),
    ("1 / 0", "division by zero"), ("1 % 0", "modulus by zero"), ("1u / 0u", "division by zero"),
    ("[1, 2][2]", "index out of bounds"), ("[1, 2][-1]", "index out of bounds"), ("{'a': 1}['b']", "no such key: b"),
    ("{'a': 1}.b", "no such key: b"), ("dyn(1) + 1u", "no such overload"), ("dyn('a') + 1", "no such overload"),
    ("dyn(1).a", "does not support field selection"), ("dyn(1)[0]", "no such overload"),
    ("{1: 2, 1: 3}", "repeated key"), ("{dyn(1): 2, dyn(1u): 3}", "repeated key"),
])
def test_runtime_errors(expr, fragment):
    eval_error(expr, fragment)


@pytest.mark.parametrize("expr", [
    "1 + 1u", "1 + 1.0", "1 == 1.0", "1u != 2", "'a' < 1", "'a' - 'b'", "[1] < [2]", "-1u", "-true", "!0",
    "1 && true", "'x' || false", "true ? 1 : 'a'", "1 ? 2 : 3", "1.5 % 2.0", "1 in ['a']", "{'a': 1}[1]",
    "{'a': 1, 'b': 'x'}", "size(1)", "'a'.startsWith(1)", "1.startsWith('a')", "int([])",
    "[1, 2].all(x, x)", "[1].map(x, x).filter(y, y + 1)", "1.all(x, true)", "'abc'[0]", "(1).a",
])
def test_type_errors_refused_at_compile_time(expr):
    compile_error(expr, "ERROR: <input>:")


def test_logical_operators_absorb_errors_commutatively():
    assert ev("false && (1/0 == 1)") is False
    assert ev("(1/0 == 1) && false") is False
    assert ev("(1/0 == 1) || true") is True
    assert ev("true || (1/0 == 1)") is True
    eval_error("(1/0 == 1) && true", "division by zero")
    eval_error("false || (1/0 == 1)", "division by zero")
    eval_error("(1/0 == 1) || (2/0 == 1)", "division by zero")
    assert ev("(1/0 == 1) && (2/0 == 1) && false") is False
    # non-bool operands (through dyn) are errors unless the other side decides
    assert ev("dyn(1) || true") is True
    eval_error("dyn(1) && true", "no such overload")
    # the ternary is strict on its condition only
    assert ev("true ? 1 : 1/0") == 1
    assert ev("false ? 1/0 : 2") == 2
    eval_error("dyn('x') ? 1 : 2", "no such overload")


def test_map_keys_and_membership():
    assert ev("{true: 1, false: 2}[false]") == 2
    eval_error("{1: 'a'}[dyn(true)]", "no such key")
    eval_error("{true: 'a'}[dyn(1)]", "no such key")
    assert ev("1 in {1: 'a'} && dyn(1u) in {1: 'a'} && !(dyn(true) in {1: 'a'})") is True
    assert ev("dyn(2.0) in {2: 'a'} && !(dyn(2.5) in {2: 'a'})") is True
    eval_error("{dyn(1.5): 1}", "unsupported key type")


# ---------------------------------------------------------------------------------------------------------------------
# strings


@pytest.mark.parametrize("expr,want", [
    ("size('héllo')", 5), ("'😀é'.size()", 2), ("size(b'\\xf0\\x9f\\x98\\x80')", 4),
    ("size(string(b'\\xf0\\x9f\\x98\\x80'))", 1),
    ("'fiance\\u0301'.size()", 7),
    ("'hello'.startsWith('he') && 'hello'.endsWith('lo') && 'hello'.contains('ell')", True),
    ("'hello'.startsWith('lo') || 'hello'.endsWith('he') || 'hello'.contains('xyz')", False),
    ("'TacoCÆt Xii'.lowerAscii()", "tacocÆt xii"), ("'TacoCÆt Xii'.upperAscii()", "TACOCÆT XII"),
    ("' \\f\\n\\r\\t\\vtext  '.trim()", "text"), ("'\\u00a0\\u2000x\\u3000'.trim()", "x"),
    ("'\\u200bx'.trim()", "\u200bx"),
    ("'a,b,c'.split(',')", ["a", "b", "c"]), ("'a,b,c'.split(',', 2)", ["a", "b,c"]), ("'a,b'.split(',', 0)", []),
    ("'a,b'.split(',', -1)", ["a", "b"]), ("'abc'.split('')", ["a", "b", "c"]), ("'o©o©o'.split('©')", ["o", "o", "o"]),
    ("['x', 'y'].join()", "xy"), ("['x', 'y'].join('-')", "x-y"), ("[].join('-')", ""),
    ("'hello hello'.replace('he', 'we')", "wello wello"), ("'hello hello'.replace('he', 'we', 1)", "wello hello"),
    ("'hello hello'.replace('he', 'we', 0)", "hello hello"), ("'hello hello'.replace('he', 'we', -1)", "wello wello"),
    ("'tacocat'.indexOf('')", 0), ("'tacocat'.indexOf('ac')", 1), ("'tacocat'.indexOf('none')", -1),
    ("'tacocat'.indexOf('a', 3)", 5), ("'ta©o©αT'.indexOf('©', 3)", 4), ("'tacocat'.lastIndexOf('')", 7),
    ("'tacocat'.lastIndexOf('at')", 5), ("'tacocat'.lastIndexOf('a', 3)", 1), ("'ta©o©αT'.lastIndexOf('©')", 4),
    ("'bananananana'.lastIndexOf('nana', 7)", 6), ("''.lastIndexOf('@@')", -1),
    ("'tacocat'.substring(4)", "cat"), ("'tacocat'.substring(0, 4)", "taco"), ("'ta©o©αT'.substring(2, 6)", "©o©α"),
    ("'tacocat'.substring(7)", ""), ("'tacocat'.charAt(3)", "o"), ("'tacocat'.charAt(7)", ""), ("'©αT'.charAt(1)", "α"),
    ("'%s is %d years, %.2f%% sure, %x %X %o %b'.format(['Bob', 42, 99.5, 255, 255, 8, 5])",
     "Bob is 42 years, 99.50% sure, ff FF 10 101"),
    ("'%s %s %s %s'.format([1.0, [1, 'a', null], {'b': 2, 'a': true}, duration('90s')])",
     "1 [1, a, null] {a: true, b: 2} 90s"),
    ("'%e|%f'.format([1052.032911275, 2])", "1.052033e+03|2.000000"),
    ("strings.quote('a\"b\\n')", '"a\\"b\\n"'),
])
def test_string_functions(expr, want):
    same(ev(expr), want)


@pytest.mark.parametrize("expr,fragment", [
    ("'tacocat'.charAt(30)", "index out of range: 30"), ("'tacocat'.indexOf('a', 30)", "index out of range: 30"),
    ("'tacocat'.lastIndexOf('a', -1)", "index out of range: -1"), ("'tacocat'.substring(40)", "index out of range"),
    ("'tacocat'.substring(4, 3)", "invalid substring range"), ("'%d'.format(['x'])", "decimal clause"),
    ("'%s %s'.format(['x'])", "out of range"), ("'%q'.format([1])", "unrecognized formatting clause"),
    ("dyn([1, 2]).join()", "no such overload"), ("'x'.matches(dyn('('))", "invalid regular expression"),
])
def test_string_function_errors(expr, fragment):
    eval_error(expr, fragment)


@pytest.mark.parametrize("pattern,text,want", [
    ("^[a-zA-Z]*$", "abcXYZ", True), ("^[a-zA-Z]*$", "abc1", False),
    ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-app", True),
    ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-app-", False), ("b", "abc", True), ("^abc$", "abc\n", False),
    ("(?m)^b$", "a\nb\nc", True), ("(?i)hello", "HeLLo", True), ("a(?i)b", "aB", True), ("a(?i)b", "AB", False),
    ("\\d+", "x٣", False), ("\\w", "é", False), ("^\\s$", "\v", False), ("[[:alpha:]]+$", "12ab", True),
    ("[[:^digit:]]", "123", False), ("\\Qa.b\\E", "a.b", True), ("\\Qa.b\\E", "axb", False), ("\\x{41}", "A", True),
    ("a{,2}", "a{,2}", True), ("\\bfoo\\b", "a foo b", True), ("\\bfoo\\b", "afoo", False), (".", "\n", False),
    ("(?s).", "\n", True), ("(?P<n>x)|(?<m>y)", "y", True), ("\\z", "", True), ("(?U)a+?", "aaa", True),
])
def test_matches_uses_re2_syntax(pattern, text, want):
    assert ev("s.matches(p)", s=text, p=pattern) is want
    assert ev("matches(s, p)", s=text, p=pattern) is want


@pytest.mark.parametrize("pattern", ["(a)\\1", "(?=a)", "(?<=a)b", "a**", "a{1001}", "[z-a]", "\\pL", "(?P<n>", "a)"])
def test_unsupported_regex_refused(pattern):
    compile_error(f"self.matches({pattern!r})", "invalid regular expression")
    eval_error("s.matches(p)", "invalid regular expression", s="x", p=pattern)


def test_find_and_find_all():
    assert ev("'abc 123'.find('[0-9]+')") == "123"
    assert ev("'abc'.find('[0-9]+')") == ""
    assert ev("'a1b22c333'.findAll('[0-9]+')") == ["1", "22", "333"]
    assert ev("'a1b22c333'.findAll('[0-9]+', 2)") == ["1", "22"]
    assert ev("'baaa'.findAll('a*')") == ["", "aaa"]     # Go: empty matches abutting a match are dropped


# ---------------------------------------------------------------------------------------------------------------------
# macros


@pytest.mark.parametrize("expr,want", [
    ("[1, 2, 3].all(x, x > 0)", True), ("[1, 2, 0].all(x, x > 0)", False), ("[].all(x, false)", True),
    ("[1, 2, 3].exists(x, x == 2)", True), ("[].exists(x, true)", False),
    ("[1, 2, 2].exists_one(x, x < 2)", True), ("[1, 2, 2].exists_one(x, x == 2)", False),
    ("[1, 2, 3].map(x, x * 2)", [2, 4, 6]), ("[1, 2, 3, 4].map(x, x % 2 == 0, x * 10)", [20, 40]),
    ("[1, 2, 3].filter(x, x > 1)", [2, 3]), ("{'a': 1, 'b': 2}.all(k, k != 'c')", True),
    ("{'a': 1, 'b': 2}.map(k, k)", ["a", "b"]), ("{'one': 1, 'two': 2}.filter(k, k == 'one')", ["one"]),
    ("[[1, 2], [3]].all(l, l.all(x, x > 0))", True), ("[1, 2].exists(x, [3, 4].exists(x, x == 4))", True),
    ("[1, 2].map(x, [x].map(x, x + 1))", [[2], [3]]),
    ("[10, 20].all(i, v, v == (i + 1) * 10)", True), ("{'a': 1}.exists(k, v, k == 'a' && v == 1)", True),
    ("[1, 2, 3].existsOne(i, v, v > 2)", True), ("[1, 2, 3].transformList(i, v, i * v)", [0, 2, 6]),
    ("[1, 2, 3].transformList(i, v, v > 1, v)", [2, 3]), ("{'a': 1}.transformMap(k, v, v + 1)", {"a": 2}),
    ("['a', 'b'].transformMap(i, v, v + v)", {0: "aa", 1: "bb"}),
    ("has({'a': 1}.a) && !has({'a': 1}.b)", True), ("has({'a': {'b': null}}.a.b)", True),
    ("cel.bind(x, [1, 2, 3], x.size() + x[0])", 4), ("cel.bind(a, 2, cel.bind(b, a + 1, [a, b]))", [2, 3]),
    ("[1, 2].all(i, cel.bind(j, i * 2, j > 1))", True), ("cel.bind(x, 1, cel.bind(x, 'a', x))", "a"),
])
def test_macros(expr, want):
    same(ev(expr), want)


def test_macro_error_semantics():
    assert ev("[0, -1].all(x, 1 / x > 0)") is False          # the false predicate absorbs the error
    eval_error("[1, 0].all(x, 1 / x > 0)", "division by zero")
    assert ev("[0, 1].exists(x, 1 / x == 1)") is True
    eval_error("[0, 2].exists(x, 1 / x == 1)", "division by zero")
    eval_error("[0, 1].exists_one(x, 1 / x == 1)", "division by zero")   # exists_one does not absorb
    eval_error("[0, 1].map(x, 1 / x)", "division by zero")
    eval_error("l.all(x, x)", "no such overload", l=[True, "a"])


@pytest.mark.parametrize("expr,fragment", [
    ("has(self)", "has() macro"), ("has(self.a, self.b)", "has() macro"), ("has(1)", "has() macro"),
    ("[1].all(1, true)", "simple name"), ("[1].all(x.y, true)", "simple name"), ("[1].map(x)", "requires 2 or 3"),
    ("[1].filter(x, x > 0, 1)", "requires 2"), ("[1].all(x, x, x, x)", "requires 2 or 3"),
    ("[1].all(x, x + 1)", "predicate must be a bool"), ("[1].all(x, y, x + y)", "predicate must be a bool"),
    ("cel.bind(x, 1)", "requires 3 arguments"), ("cel.bind(x.y, 1, 2)", "simple identifiers"),
    ("cel.bind(x, 1, y)", "undeclared reference to 'y'"), ("math.greatest(1, 2)", "math extension"),
    ("quantity(1)", "no matching overload"), ("quantity('1').isGreaterThan(1)", "no matching overload"),
    ("url('https://x').getHost()", "URL"),
    ("isIP('1.2.3.4')", "IP/CIDR"), ("'abc'.reverse()", "reverse"),
    ("[1].transformMapEntry(i, v, {v: i})", "transformMapEntry"),
    ("foo(1)", "undeclared reference to 'foo'"), ("self.foo()", "undeclared reference to 'foo'"),
    ("unknownVar > 1", "undeclared reference to 'unknownVar'"), ("a.b.c", "undeclared reference to 'a.b.c'"),
    ("google.protobuf.Int32Value{value: 1}", "message construction"), ("Foo{}", "message construction"),
    ("timestamp('2023-13-01T00:00:00Z')", "timestamp validation failed"), ("duration('1x')", "duration validation"),
    ("self.matches('(')", "invalid regular expression"), ("self.`a-b`", "token recognition"),
])
def test_unsupported_or_invalid_refused_at_compile_time(expr, fragment):
    compile_error(expr, fragment)


def test_comprehension_variables_shadow_and_resolve():
    assert ev("[1, 2].all(self, self > 0)", self=[]) is True
    assert cel.compile("self.l.all(oldSelf, oldSelf > 0)").references_old_self is False
    assert cel.compile("self.l.all(x, x > oldSelf)").references_old_self is True
    assert ev("[1].exists(x, .x == 5)", x=5) is True          # a leading dot skips comprehension scopes


# ---------------------------------------------------------------------------------------------------------------------
# conversions, types, timestamps, durations


@pytest.mark.parametrize("expr,want", [
    ("int(3.9)", 3), ("int(-3.9)", -3), ("int('-42')", -42), ("int(42u)", 42), ("uint(42)", UInt(42)),
    ("uint(3.7)", UInt(3)), ("uint('42')", UInt(42)), ("double(3)", 3.0), ("double(3u)", 3.0),
    ("double('1e3')", 1000.0), ("double('-Infinity')", -math.inf),
    ("string(123)", "123"), ("string(9876u)", "9876"), ("string(123.456)", "123.456"), ("string(-4.5e-3)", "-0.0045"),
    ("string(1000000.0)", "1e+06"), ("string(1.0)", "1"), ("string(true)", "true"), ("string(b'abc')", "abc"),
    ("string(timestamp('2023-01-01T10:00:00.500+02:00'))", "2023-01-01T08:00:00.5Z"),
    ("string(duration('1m1ms'))", "60.001s"), ("string(duration('-1.5h'))", "-5400s"),
    ("bool('true') && bool('T') && !bool('0') && !bool('False')", True), ("bytes('é')", b"\xc3\xa9"),
    ("int(timestamp('1970-01-01T00:01:00Z'))", 60), ("int(duration('1s'))", 1_000_000_000),
    ("type(1) == int && type(1u) == uint && type(1.0) == double && type('') == string", True),
    ("type(b'') == bytes && type([]) == list && type({}) == map && type(null) == null_type", True),
    ("type(true) == bool && type(type(1)) == type && type(int) == type", True),
    ("type(timestamp('2023-01-01T00:00:00Z')) == google.protobuf.Timestamp", True),
    ("type(duration('1s')) == google.protobuf.Duration && type(1) != string", True),
    ("dyn([1, 2])[1]", 2),
])
def test_conversions_and_types(expr, want):
    same(ev(expr), want)


@pytest.mark.parametrize("expr", [
    "int(9.3e18)", "int(dyn(double('NaN')))", "int(18446744073709551615u)", "int('1.5')", "int(' 1')", "int('1_0')",
    "uint(-1)", "uint(-1.5)", "uint('-1')", "double('1_0')", "double('x')", "double('1e400')", "bool('yes')",
    "string(b'\\xff')", "timestamp(dyn('2023-01-01'))", "duration(dyn('1d'))", "timestamp(253402300800)",
    "timestamp('9999-12-31T23:59:59Z') + duration('1s')", "duration('2562047h') + duration('1h')",
])
def test_conversion_errors(expr):
    with pytest.raises(cel.CELError):
        ev(expr)


def test_timestamps_and_durations():
    assert ev("timestamp('2023-08-25T12:00:00Z') < timestamp('2023-08-26T12:00:00Z')") is True
    assert ev("timestamp('2023-08-26T12:39:00-07:00') == timestamp('2023-08-26T19:39:00Z')") is True
    assert ev("duration('1h') == duration('60m') && duration('2h') > duration('1h59m59s')") is True
    assert ev("duration('1m') - duration('1s') == duration('59s')") is True
    assert ev("timestamp('2023-01-01T00:00:00Z') + duration('24h') == timestamp('2023-01-02T00:00:00Z')") is True
    assert ev("timestamp('2023-01-10T12:00:00Z') - timestamp('2023-01-10T00:00:00Z') == duration('12h')") is True
    assert ev("duration('1.5h') == duration('90m') && duration('-1.5s') < duration('0')") is True
    assert ev("duration('1h30m').getMinutes()") == 90
    assert ev("duration('1.234s').getMilliseconds()") == 234
    ts = "timestamp('2023-12-25T00:00:00.123Z')"
    assert ev(f"[{ts}.getFullYear(), {ts}.getMonth(), {ts}.getDate(), {ts}.getDayOfMonth(), {ts}.getDayOfWeek(), "
              f"{ts}.getDayOfYear(), {ts}.getHours(), {ts}.getMinutes(), {ts}.getSeconds(), {ts}.getMilliseconds()]"
              ) == [2023, 11, 25, 24, 1, 358, 0, 0, 0, 123]
    assert ev(f"{ts}.getDate('-08:00')") == 24
    assert ev("t.getHours('+05:30') == 5 && t.getMinutes('+05:30') == 30", t=cel.Timestamp(0)) is True
    try:
        assert ev(f"{ts}.getDate('America/Los_Angeles')") == 24
    except cel.CELEvalError:       # no time zone database on this machine
        pytest.skip("no IANA time zone database")
    eval_error("timestamp('2023-01-01T00:00:00Z').getHours('Not/AZone')", "time zone")
    assert ev("self.created + self.ttl < self.expired", self={
        "created": cel.Timestamp(0), "ttl": cel.Duration(10 * 10 ** 9), "expired": cel.Timestamp(11 * 10 ** 9)}) is True


# ---------------------------------------------------------------------------------------------------------------------
# Kubernetes libraries: lists, sets, optionals


@pytest.mark.parametrize("expr,want", [
    ("[1, 2, 3].isSorted() && ['a', 'b', 'b'].isSorted() && [].isSorted()", True), ("[2.0, 1.0].isSorted()", False),
    ("[1, 3].sum()", 4), ("[1.0, 3.0].sum()", 4.0), ("[1u, 3u].sum()", UInt(4)),
    ("[duration('1m'), duration('1s')].sum() == duration('61s')", True), ("[1, 3].min()", 1), ("[1, 3].max()", 3),
    ("['b', 'a'].min()", "a"), ("[1, 2, 2, 3].indexOf(2)", 1), ("['a', 'b', 'b', 'c'].lastIndexOf('b')", 2),
    ("[1.0].indexOf(1.1)", -1),
    ("sets.contains([1, 2, 3, 4], [2, 3]) && !sets.contains([], [1]) && sets.contains([], [])", True),
    ("sets.equivalent([1, 2, 3], dyn([3u, 2u, 1u])) && sets.intersects([1], [1, 2]) && !sets.intersects([1], [])",
     True),
    ("optional.of(1).hasValue() && !optional.none().hasValue() && optional.of(2).value() == 2", True),
    ("optional.none().orValue(5)", 5), ("optional.of(1).orValue(1 / 0)", 1),
    ("optional.none().or(optional.of(3)).value()", 3), ("{'a': 1}.?a.orValue(0)", 1), ("{'a': 1}.?b.orValue(0)", 0),
    ("{'a': {'b': 2}}.?a.b.orValue(0)", 2), ("{'a': {}}.?a.b.orValue(7)", 7), ("[1, 2][?5].orValue(0)", 0),
    ("{'k': 'v'}[?'k'].value()", "v"), ("optional.ofNonZeroValue('').hasValue()", False),
    ("optional.of(2).optMap(x, x * 10).value()", 20), ("optional.none().optMap(x, x * 10).hasValue()", False),
    ("[1, ?optional.none(), ?optional.of(3)]", [1, 3]), ("{'a': 1, ?'b': optional.none()}", {"a": 1}),
    ("has(optional.of({'c': 1}).c)", True),
])
def test_kubernetes_libraries(expr, want):
    same(ev(expr), want)


def test_library_errors():
    eval_error("[].min()", "empty list")
    eval_error("optional.none().value()", "optional.none()")
    assert ev("[].sum()") == 0
    same(cel.compile("self.sum()").evaluate({"self": []}), 0)


# ---------------------------------------------------------------------------------------------------------------------
# the Kubernetes "Validation rules" examples (self bound to typed values)


RULE_EXAMPLES = [
    ("self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas",
     {"minReplicas": 1, "replicas": 3, "maxReplicas": 5}, {"minReplicas": 4, "replicas": 3, "maxReplicas": 5}),
    ("'Available' in self.stateCounts", {"stateCounts": {"Available": 1}}, {"stateCounts": {"Pending": 1}}),
    ("(size(self.list1) == 0) != (size(self.list2) == 0)", {"list1": [1], "list2": []}, {"list1": [], "list2": []}),
    ("!('MY_KEY' in self.map1) || self['MY_KEY'].matches('^[a-zA-Z]*$')",
     {"map1": {}, "MY_KEY": "x"}, {"map1": {"MY_KEY": 1}, "MY_KEY": "x1"}),
    ("self.envars.filter(e, e.name == 'MY_ENV').all(e, e.value.matches('^[a-zA-Z]*$'))",
     {"envars": [{"name": "MY_ENV", "value": "abc"}, {"name": "X", "value": "1"}]},
     {"envars": [{"name": "MY_ENV", "value": "a1"}]}),
    ("has(self.expired) && self.created + self.ttl < self.expired",
     {"created": cel.Timestamp(0), "ttl": cel.Duration(10), "expired": cel.Timestamp(20)},
     {"created": cel.Timestamp(0), "ttl": cel.Duration(10)}),
    ("self.health.startsWith('ok')", {"health": "ok: fine"}, {"health": "bad"}),
    ("self.widgets.exists(w, w.key == 'x' && w.foo < 10)",
     {"widgets": [{"key": "y", "foo": 1}, {"key": "x", "foo": 3}]}, {"widgets": [{"key": "x", "foo": 30}]}),
    ("self.metadata.name.startsWith(self.prefix)", {"metadata": {"name": "pre-x"}, "prefix": "pre"},
     {"metadata": {"name": "x"}, "prefix": "pre"}),
    ("self.set1.all(e, !(e in self.set2))", {"set1": ["a"], "set2": ["b"]}, {"set1": ["a"], "set2": ["a"]}),
    ("size(self.names) == size(self.details) && self.names.all(n, n in self.details)",
     {"names": ["a"], "details": {"a": {}}}, {"names": ["a", "b"], "details": {"a": {}}}),
    ("size(self.clusters.filter(c, c.name == self.primary)) == 1",
     {"clusters": [{"name": "a"}, {"name": "b"}], "primary": "a"}, {"clusters": [{"name": "b"}], "primary": "a"}),
    ("self.x > 0", {"x": 1}, {"x": 0}),
]


@pytest.mark.parametrize("rule,good,bad", RULE_EXAMPLES)
def test_kubernetes_rule_examples(rule, good, bad):
    assert cel.evaluate_rule({"rule": rule}, good, None, False) is None
    assert cel.evaluate_rule({"rule": rule}, bad, None, False) == f"failed rule: {rule}"


def test_int_or_string_rule():
    rule = {"rule": "type(self) == string ? self == '100%' : self == 1000"}
    assert cel.evaluate_rule(rule, "100%", None, False) is None
    assert cel.evaluate_rule(rule, 1000, None, False) is None
    assert cel.evaluate_rule(rule, "50%", None, False) == "failed rule: " + rule["rule"]
    assert cel.evaluate_rule(rule, 5, None, False) == "failed rule: " + rule["rule"]


def test_scalar_rules():
    assert cel.evaluate_rule({"rule": "self.matches('^[a-zA-Z]*$')"}, "abc", None, False) is None
    assert cel.evaluate_rule({"rule": "self.matches('^[a-zA-Z]*$')"}, "ab1", None, False) is not None
    assert cel.evaluate_rule({"rule": "self.values.all(value, value >= 0 && value < 100)"},
                             {"values": [0, 99]}, None, False) is None
    assert cel.evaluate_rule({"rule": "self.components['Widget'].priority < 10"},
                             {"components": {"Widget": {"priority": 3}}}, None, False) is None


def test_transition_rules():
    rule = {"rule": "self >= oldSelf", "message": "must not decrease"}
    assert cel.compile(rule["rule"]).references_old_self
    assert cel.evaluate_rule(rule, 1, None, False) is None          # create: skipped without an old value
    assert cel.evaluate_rule(rule, 5, 3, True) is None
    assert cel.evaluate_rule(rule, 2, 3, True) == "must not decrease"
    immutable = {"rule": "self == oldSelf", "message": "Value is immutable"}
    assert cel.evaluate_rule(immutable, {"a": [1]}, {"a": [1]}, True) is None
    assert cel.evaluate_rule(immutable, {"a": [2]}, {"a": [1]}, True) == "Value is immutable"
    assert cel.evaluate_rule(immutable, {"a": [2]}, None, False) is None
    # optionalOldSelf: evaluated on create too, with oldSelf an optional
    opt = {"rule": "!oldSelf.hasValue() || self >= oldSelf.value()", "optionalOldSelf": True}
    assert cel.evaluate_rule(opt, 1, None, False) is None
    assert cel.evaluate_rule(opt, 1, 2, True) == "failed rule: " + opt["rule"]
    opt2 = {"rule": "oldSelf.orValue('') != 'locked' || self == 'locked'", "optionalOldSelf": True}
    assert cel.evaluate_rule(opt2, "x", None, False) is None
    assert cel.evaluate_rule(opt2, "x", "locked", True) is not None


def test_messages_and_message_expressions():
    base = {"rule": "self.x < 10"}
    assert cel.evaluate_rule(base, {"x": 11}, None, False) == "failed rule: self.x < 10"
    assert cel.evaluate_rule({**base, "message": "  too big  "}, {"x": 11}, None, False) == "too big"
    me = {**base, "messageExpression": "'x is ' + string(self.x) + ', max 10'"}
    assert cel.evaluate_rule(me, {"x": 11}, None, False) == "x is 11, max 10"
    # Kubernetes: messageExpression wins over message; when it fails or is empty, message (else the default) is used
    assert cel.evaluate_rule({**me, "message": "static"}, {"x": 11}, None, False) == "x is 11, max 10"
    bad = {**base, "message": "static", "messageExpression": "'x' + self.missing"}
    assert cel.evaluate_rule(bad, {"x": 11}, None, False) == "static"
    empty = {**base, "messageExpression": "'   '"}
    assert cel.evaluate_rule(empty, {"x": 11}, None, False) == "failed rule: self.x < 10"
    newline = {**base, "messageExpression": "'a\\nb'"}
    assert cel.evaluate_rule(newline, {"x": 11}, None, False) == "failed rule: self.x < 10"
    fmt = {**base, "messageExpression": "'%s is %d, over %d'.format(['x', self.x, 10])"}
    assert cel.evaluate_rule(fmt, {"x": 11}, None, False) == "x is 11, over 10"
    detailed = cel.evaluate_rule_detailed({**base, "reason": "FieldValueForbidden", "fieldPath": ".x"},
                                          {"x": 11}, None, False)
    assert detailed.reason == "FieldValueForbidden" and detailed.field_path == ".x" and detailed.cost > 0
    assert cel.format_rule_error("spec", "object", "failed rule: x") == 'spec: Invalid value: "object": failed rule: x'
    assert cel.format_rule_error("spec.x", "integer", "no", "FieldValueForbidden") == "spec.x: Forbidden: no"


def test_rule_runtime_errors_are_reported_like_kubernetes():
    rule = {"rule": "self.x < 10"}
    assert cel.evaluate_rule(rule, {}, None, False) == "no such key: x evaluating rule: self.x < 10"
    msg = cel.evaluate_rule({"rule": "self + 1 > 0"}, "str", None, False)
    assert msg.startswith("'no such overload") and "did not match a supported operator" in msg
    assert cel.evaluate_rule({"rule": "self.x < 10", "message": "small"}, {}, None, False) == \
        "no such key: x evaluating rule: small"
    assert cel.evaluate_rule({"rule": "foo(self)"}, 1, None, False).startswith("rule compile error")
    assert cel.evaluate_rule({"rule": "   "}, 1, None, False) is None


def test_rule_definition_errors():
    assert cel.rule_definition_errors({"rule": "self.a > 0"}) == []
    errs = dict(cel.rule_definition_errors({"rule": "self.a +", "messageExpression": "1 +"}))
    assert errs["rule"].startswith("compilation failed: ERROR: <input>:1:")
    assert errs["messageExpression"].startswith("messageExpression compilation failed")
    assert dict(cel.rule_definition_errors({"rule": "self + 1"}))["rule"] == "cel expression must evaluate to a bool"
    assert "messageExpression" in dict(cel.rule_definition_errors({"rule": "true", "messageExpression": "1"}))
    assert "message" in dict(cel.rule_definition_errors({"rule": "true", "message": "a\nb"}))
    assert "message" in dict(cel.rule_definition_errors({"rule": "true &&\ntrue"}))
    assert "reason" in dict(cel.rule_definition_errors({"rule": "true", "reason": "Bogus"}))
    assert "optionalOldSelf" in dict(cel.rule_definition_errors({"rule": "self > 0", "optionalOldSelf": True}))
    with pytest.raises(cel.CELCompileError, match="must evaluate to a bool"):
        cel.compile_rule({"rule": "'x'"})


# ---------------------------------------------------------------------------------------------------------------------
# values bound with Kubernetes' typing (value_from_json)


SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "ratio": {"type": "number"},
                "namespace": {"type": "string"},
                "x-prop": {"type": "string"},
                "ttl": {"type": "string", "format": "duration"},
                "created": {"type": "string", "format": "date-time"},
                "maybe": {"type": "string", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "properties": {"name": {"type": "string"},
                                                                     "port": {"type": "integer"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "port": {"x-kubernetes-int-or-string": True},
            },
        },
    },
}


def test_value_from_json_follows_kubernetes_typing():
    obj = {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "namespace": "ns", "uid": "u"},
           "spec": {"replicas": 2, "ratio": 1, "namespace": "ns1", "x-prop": "p", "ttl": "1h", "maybe": None,
                    "created": "2023-01-01T00:00:00Z", "tags": ["a", "b"], "labels": {"app": "web", "a-b": "c"},
                    "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}], "port": "http",
                    "undeclared": 1}}
    v = cel.value_from_json(obj, SCHEMA, is_root=True)
    act = {"self": v}

    def rule(expr):
        return cel.compile(expr).evaluate(act)
    assert rule("self.metadata.name == 'n' && self.kind == 'K' && self.apiVersion == 'x/v1'") is True
    assert rule("has(self.metadata.namespace)") is False        # only name/generateName are visible at the root
    assert rule("type(self.spec.ratio) == double && self.spec.ratio + 0.5 == 1.5") is True
    assert rule("self.spec.__namespace__ == 'ns1' && self.spec.x__dash__prop == 'p'") is True
    assert rule("self.spec.ttl == duration('1h') && self.spec.created < timestamp('2024-01-01T00:00:00Z')") is True
    assert rule("!has(self.spec.maybe) && !has(self.spec.undeclared)") is True       # null fields are absent
    assert rule("self.spec.labels['a-b'] == 'c' && 'app' in self.spec.labels") is True
    assert rule("self.spec.port == 'http'") is True
    old = cel.value_from_json({**obj, "spec": {**obj["spec"], "tags": ["b", "a"], "ports": list(
        reversed(obj["spec"]["ports"]))}}, SCHEMA, is_root=True)
    # list-type set/map equality ignores order; atomic lists do not
    assert cel.compile("self.spec.tags == oldSelf.spec.tags && self.spec.ports == oldSelf.spec.ports").evaluate(
        {"self": v, "oldSelf": old}) is True
    assert rule("self.spec.tags + ['c', 'a'] == ['a', 'b', 'c']") is True
    assert cel.compile("(self.spec.ports + extra).map(p, p.port) == [8080, 443]", ("extra", "self")).evaluate(
        {"self": v, "extra": [{"name": "http", "port": 8080}]}) is True
    # undeclared fields stay invisible but still count for equality (immutability rules see every change)
    changed = cel.value_from_json({**obj, "spec": {**obj["spec"], "undeclared": 2}}, SCHEMA, is_root=True)
    assert cel.compile("self == oldSelf").evaluate({"self": v, "oldSelf": changed}) is False
    assert cel.evaluate_rule({"rule": "self.replicas >= 0"}, {"replicas": 1}, None, False,
                             schema=SCHEMA["properties"]["spec"]) is None


def test_property_name_escaping():
    pairs = {"namespace": "__namespace__", "x-prop": "x__dash__prop", "a.b": "a__dot__b", "a/b": "a__slash__b",
             "a__b": "a__underscores__b", "plain": "plain", "in": "__in__"}
    for raw, escaped in pairs.items():
        assert cel.escape_property_name(raw) == escaped
        assert cel.unescape_property_name(escaped) == raw
    assert cel.escape_property_name("1abc") is None
    assert cel.escape_property_name("a b") is None


# ---------------------------------------------------------------------------------------------------------------------
# program API, caching, cost


def test_program_api_and_cache():
    p = cel.compile("self.a == oldSelf.a")
    assert p is cel.compile("self.a == oldSelf.a")
    assert p.references_old_self and p.referenced_variables == {"self", "oldSelf"}
    assert p.result_type_name == "bool"
    assert cel.compile("self.a").result_type_name == "dyn"
    assert cel.compile("size(self) + 1").result_type_name == "int"
    with pytest.raises(cel.CELEvalError, match="not bound"):
        p.evaluate({"self": {"a": 1}})
    value, cost = p.evaluate_with_cost({"self": {"a": 1}, "oldSelf": {"a": 1}})
    assert value is True and 0 < cost < 20
    assert cel.evaluate("x * y", {"x": 6, "y": 7}) == 42
    assert cel.compile("v + 1", "v").evaluate({"v": 1}) == 2
    with pytest.raises(cel.CELCompileError):
        cel.compile("1", ("not-an-ident",))
    with pytest.raises(cel.CELCompileError):
        cel.compile(None)


def test_cost_limit_stops_nested_comprehensions():
    big = {"self": {"l": list(range(1000))}}
    p = cel.compile("self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))")
    start = time.perf_counter()
    with pytest.raises(cel.CELCostLimitError, match="actual cost limit exceeded"):
        p.evaluate(big)
    assert time.perf_counter() - start < 10
    with pytest.raises(cel.CELCostLimitError):
        p.evaluate(big, cost_limit=1000)
    # the cost limit is never absorbed by || / && / exists
    with pytest.raises(cel.CELCostLimitError):
        cel.compile("self.l.exists(x, self.l.exists(y, x * y < 0)) || true").evaluate(big, cost_limit=5000)
    # big string building is charged before it happens
    with pytest.raises(cel.CELCostLimitError):
        cel.compile("self.s.replace('', self.s).size() > 0").evaluate({"self": {"s": "x" * 5000}}, cost_limit=10_000)
    failure = cel.evaluate_rule_detailed({"rule": "self.l.all(x, self.l.all(y, x != y || x == y))"},
                                         big["self"], None, False, cost_limit=10_000)
    assert failure.budget_exhausted and "no further validation rules will be run" in failure.message
    assert cel.compile("self.l.all(x, x >= 0)").evaluate_with_cost(big)[1] >= 1000


def test_depth_and_size_limits():
    deep = "(" * 200 + "1" + ")" * 200
    compile_error(deep, "maximum depth")
    long_chain = " + ".join(["1"] * 400)
    compile_error(long_chain, "maximum depth")
    assert ev(" || ".join(["false"] * 300) + " || true") is True      # && / || chains are flat
    assert ev(" + ".join(["1"] * 100)) == 100
    with pytest.raises(cel.CELCompileError, match="exceeds the limit"):
        cel.compile("1" + " " * cel.MAX_EXPRESSION_LENGTH)


def test_timings():
    rule = "self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas && " \
           "self.widgets.exists(w, w.key == 'x' && w.foo < 10) && self.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')"
    act = {"self": {"minReplicas": 1, "replicas": 3, "maxReplicas": 5, "name": "my-app",
                    "widgets": [{"key": "y", "foo": 1}, {"key": "x", "foo": 3}]}}
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        cel._compile_cached.__wrapped__(rule, ("self", "oldSelf"))
    compile_us = (time.perf_counter() - start) / n * 1e6
    program = cel.compile(rule)
    m = 5000
    start = time.perf_counter()
    for _ in range(m):
        assert program.evaluate(act) is True
    eval_us = (time.perf_counter() - start) / m * 1e6
    start = time.perf_counter()
    for _ in range(m):
        cel.compile(rule)
    cached_us = (time.perf_counter() - start) / m * 1e6
    print(f"\nCEL timings: compile {compile_us:.1f}us, cached compile {cached_us:.2f}us, evaluate {eval_us:.2f}us "
          f"for {rule!r}")
    assert compile_us < 20_000 and eval_us < 2_000


# ---------------------------------------------------------------------------------------------------------------------
# property-based robustness


def _expressions():
    st = pytest.importorskip("hypothesis.strategies")
    atoms = st.sampled_from([
        "0", "1", "-1", "7u", "0u", "1.5", "-0.0", "1e308", "9223372036854775807", "'a'", "'héllo'", "''", "b'x'",
        "true", "false", "null", "self", "self.a", "self.l", "self.m", "self.s", "[]", "{}", "[1, 2, 3]", "{'a': 1}",
        "['x', 'y']", "timestamp('2023-01-01T00:00:00Z')", "duration('1h')", "int", "dyn(1)", "dyn('s')",
        "dyn([1, 2])", "optional.none()", "optional.of(1)", "x", "oldSelf",
    ])
    unary = st.sampled_from(["!", "-", "!!", "--"])
    binop = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"])
    method = st.sampled_from([
        "size()", "startsWith({0})", "contains({0})", "matches({0})", "lowerAscii()", "split({0})", "join()",
        "replace({0}, {1})", "indexOf({0})", "substring({0})", "charAt({0})", "isSorted()", "sum()", "min()",
        "all(x, {0})", "exists(x, {0})", "exists_one(x, {0})", "map(x, {0})", "filter(x, {0})", "map(x, {0}, {1})",
        "format({0})", "findAll({0})", "orValue({0})", "a", "?a", "transformList(i, v, {0})", "getHours()",
    ])
    func = st.sampled_from(["size({0})", "int({0})", "uint({0})", "double({0})", "string({0})", "bool({0})",
                            "type({0})", "dyn({0})", "has({0}.a)", "timestamp({0})", "duration({0})",
                            "sets.contains({0}, {1})", "optional.of({0})", "matches({0}, {1})"])

    def extend(children):
        return st.one_of(
            st.tuples(children, binop, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(unary, children).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(children, children, children).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            st.tuples(children, method, children, children).map(lambda t: f"{t[0]}.{t[1].format(t[2], t[3])}"),
            st.tuples(func, children, children).map(lambda t: t[0].format(t[1], t[2])),
            st.lists(children, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
            st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        )
    return st.recursive(atoms, extend, max_leaves=12)


def test_random_expressions_only_raise_cel_errors():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    activation = {"self": {"a": 1, "l": [3, 1, 2], "m": {"k": "v"}, "s": "str"}, "oldSelf": {"a": 2}}

    @hypothesis.settings(max_examples=400, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(_expressions(), st.integers(min_value=0, max_value=30))
    def check(expr, cut):
        if cut:        # sometimes damage the text to exercise the lexer/parser error paths
            expr = expr[:-cut] if cut < len(expr) else expr + ")"
        try:
            program = cel.compile(expr)
        except cel.CELCompileError:
            return
        try:
            value = program.evaluate(activation, cost_limit=50_000)
        except cel.CELEvalError:
            return
        assert "unsupported" not in cel._type_name(value)

    check()


def test_random_text_only_raises_compile_errors():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    pieces = st.sampled_from(list("()[]{}.,!?:'\"\\`$@#0123456789aZxu_ \n\t+-*/%<>=&|^") +
                             ["in", "true", "null", "r'", "b'", "'''", '"""', "\\x", "\\u12", "//", "self", "has(",
                              ".all(x,", "0x", "1u", "1e", ".?", "[?"])

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(st.lists(pieces, max_size=30).map("".join))
    def check(text):
        try:
            cel.compile(text).evaluate({"self": {"a": [1]}}, cost_limit=10_000)
        except cel.CELError:
            pass

    check()


def test_random_regexes_only_raise_cel_errors():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    pieces = st.sampled_from(list("()[]{}.,?*+|^$\\-ab09xdswDSWbBpPQEzAU=<>#&~:") +
                             ["(?i)", "(?P<n>", "(?:", "[:alpha:]", "[[:^digit:]]", "\\x{41}", "{2,3}", "{,2}",
                              "\\Q.", "\\E", "(?U)", "(?s)", "(?m)", "(?-i)"])
    program = cel.compile("s.matches(p) || s.find(p) == '' || size(s.findAll(p)) > 0", ("p", "s"))

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(st.lists(pieces, max_size=10).map("".join))
    def check(pattern):
        try:
            program.evaluate({"s": "aXb\n09_ é", "p": pattern}, cost_limit=100_000)
        except cel.CELEvalError:
            pass

    check()


def test_declared_fields_of_a_variable():
    """A policy's ``variables`` is an object with known fields: others are refused at compile time."""
    prog = cel.compile("variables.a + 1", ("variables",), {"variables": ["a"]})
    assert prog.evaluate({"variables": {"a": 1}}) == 2
    for expr in ("variables.b", "has(variables.b)"):
        with pytest.raises(cel.CELCompileError, match="undefined field 'b'"):
            cel.compile(expr, ("variables",), {"variables": ["a"]})
    # a comprehension variable of the same name shadows it
    assert cel.compile("[{'b': 1}].all(variables, variables.b == 1)", ("variables",),
                       {"variables": ["a"]}).evaluate({"variables": {}}) is True


@pytest.mark.parametrize("expr,want", [
    ("quantity('1Gi').isGreaterThan(quantity('1000Mi'))", True), ("quantity('100m').isLessThan(quantity('1'))", True),
    ("quantity('1') == quantity('1000m')", True), ("quantity('1') != quantity('1001m')", True),
    ("quantity('1.5').isInteger()", False), ("quantity('1.5k').asInteger()", 1500),
    ("quantity('1e3').asInteger()", 1000),
    ("quantity('100m').asApproximateFloat()", 0.1), ("quantity('5E').asInteger()", 5 * 10 ** 18),
    ("quantity('0.0000000001').asApproximateFloat()", 1e-9),   # finer than 1n rounds up
    ("quantity('-3Ki').sign()", -1), ("quantity('0').sign()", 0),
    ("quantity('1Mi').add(quantity('1Ki')).compareTo(quantity('1025Ki'))", 0), ("quantity('2Gi').add(5).asInteger()",
                                                                               2 * 1024 ** 3 + 5),
    ("quantity('1').sub(2).sign()", -1), ("quantity('1').sub(quantity('250m')).asApproximateFloat()", 0.75),
    ("isQuantity('1x')", False), ("isQuantity('.5')", True), ("isQuantity('')", False),
    ("type(quantity('1')) == type(quantity('2'))", True),
])
def test_quantity_library(expr, want):
    same(ev(expr), want)


def test_quantity_errors():
    eval_error("quantity('abc')", "quantities must match the regular expression")
    eval_error("quantity('1e')", "unable to parse quantity's suffix")
    eval_error("quantity('1.5').asInteger()", "cannot convert value to integer")
    eval_error("quantity('9Ei').asInteger()", "cannot convert value to integer")
