"""Tests for apiserver.endpoints.selectors: the table-driven cases of apimachinery's selector tests, ported
(pkg/labels/selector_test.go, pkg/fields/selector_test.go, pkg/apis/meta/v1/helpers_test.go), plus the exact error
messages of every parse branch, hypothesis properties and a timing of label matching."""

from __future__ import annotations

import timeit

import pytest

from apiserver.endpoints import selectors as sel
from apiserver.endpoints.selectors import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    FieldSelector,
    LabelSelector,
    Requirement,
    SelectorError,
    check_fields,
    escape_field_value,
    field_label_not_supported,
    label_selector_from_object,
    label_selector_from_set,
    new_requirement,
    parse_field_selector,
    parse_label_selector,
    unescape_field_value,
    unknown_field_selector,
)

LABEL_KEY_REGEX_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
BINARY_OPS = "in, notin, =, ==, !=, gt, lt"


def req(key, op, values=()):
    return new_requirement(key, op, sorted(set(values)))


def parse_error(text, parser=parse_label_selector) -> str:
    with pytest.raises(SelectorError) as info:
        parser(text)
    return str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# labels: TestSelectorParse, TestDeterministicParse

@pytest.mark.parametrize("text", ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1",
                                  "x>1,z<5"])
def test_label_parse_good_and_restring(text):
    assert str(parse_label_selector(text)) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["x=a||y=b", "x==a==b", "!x=a", "x<a"])
def test_label_parse_bad(text):
    with pytest.raises(SelectorError):
        parse_label_selector(text)


def test_label_deterministic_parse():
    assert str(parse_label_selector("x=a,a=x")) == str(parse_label_selector("a=x,x=a")) == "a=x,x=a"


# labels: TestEverything, TestSelectorMatches

def test_label_everything():
    assert LabelSelector.everything().matches({"x": "y"})
    assert LabelSelector.everything().empty
    assert parse_label_selector("").empty
    assert parse_label_selector("").matches(None)


@pytest.mark.parametrize("text, labels, want", [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),
    ("x>1", {"x": "0"}, False),
    ("x<1", {"x": "2"}, False),
    ("foo=bar", {"foo": "bar", "baz": "blah"}, True),
    ("baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=blah", {"foo": "bar", "baz": "blah"}, False),
    ("baz=bar", {"foo": "bar", "baz": "blah"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    # beyond upstream's table: absent keys, empty values, integers
    ("x!=y", {}, True),
    ("x notin (a)", {}, True),
    ("x in (a)", {}, False),
    ("x=", {"x": ""}, True),
    ("x in (,a)", {"x": ""}, True),
    ("x>1", {}, False),
    ("x>1", {"x": "v2"}, False),
    ("x>1", {"x": "+2"}, True),
    ("x<0", {"x": "-9223372036854775808"}, True),
    ("x<0", {"x": "-9223372036854775809"}, False),   # out of int64 range: ParseInt fails
    ("x>0", {"x": "1_0"}, False),
    ("x>9223372036854775806", {"x": "9223372036854775807"}, True),
])
def test_label_selector_matches(text, labels, want):
    assert parse_label_selector(text).matches(labels) is want


# labels: TestSetMatches, TestNilMapIsValid, TestSetIsEmpty, TestSetSelectorString, TestValidatedSelectorFromSet

def test_label_set_matches():
    labelset = {"foo": "bar", "baz": "blah"}
    for s in ({}, {"foo": "bar"}, {"baz": "blah"}, {"foo": "bar", "baz": "blah"}):
        assert label_selector_from_set(s).matches(labelset)
    assert not label_selector_from_set({"foo": "=blah"}).matches(labelset)


def test_label_nil_and_empty_set():
    assert label_selector_from_set(None).empty
    assert label_selector_from_set({}).empty
    assert LabelSelector().empty


@pytest.mark.parametrize("labels, out", [({}, ""), ({"app": "foo"}, "app=foo"), ({"app": "foo", "a": "b"},
                                                                                  "a=b,app=foo")])
def test_label_set_selector_string(labels, out):
    assert str(label_selector_from_set(labels)) == out


def test_validated_selector_from_set():
    assert label_selector_from_set({"key": "val"}, validate=True).requirements == (Requirement("key", "=", ["val"]),)
    value = "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui"
    with pytest.raises(SelectorError) as info:
        label_selector_from_set({"Key": value}, validate=True)
    assert str(info.value) == f'values[0][Key]: Invalid value: "{value}": must be no more than 63 bytes'


# labels: TestLexer, TestLexerSequence, TestParserLookahead, TestParseOperator

T = sel

@pytest.mark.parametrize("text, token", [
    ("", T._T_EOS), (",", T._T_COMMA), ("notin", T._T_NOT_IN), ("in", T._T_IN), ("=", T._T_EQUALS),
    ("==", T._T_DOUBLE_EQUALS), (">", T._T_GREATER_THAN), ("<", T._T_LESS_THAN), ("!", T._T_DOES_NOT_EXIST),
    ("!=", T._T_NOT_EQUALS), ("(", T._T_OPEN_PAR), (")", T._T_CLOSED_PAR), ("~", T._T_IDENTIFIER),
    ("||", T._T_IDENTIFIER),
])
def test_lexer(text, token):
    assert sel._lex(text)[0] == (token, text)


@pytest.mark.parametrize("text, tokens", [
    ("key in ( value )", [T._T_IDENTIFIER, T._T_IN, T._T_OPEN_PAR, T._T_IDENTIFIER, T._T_CLOSED_PAR]),
    ("key notin ( value )", [T._T_IDENTIFIER, T._T_NOT_IN, T._T_OPEN_PAR, T._T_IDENTIFIER, T._T_CLOSED_PAR]),
    ("key in ( value1, value2 )", [T._T_IDENTIFIER, T._T_IN, T._T_OPEN_PAR, T._T_IDENTIFIER, T._T_COMMA,
                                   T._T_IDENTIFIER, T._T_CLOSED_PAR]),
    ("key", [T._T_IDENTIFIER]),
    ("!key", [T._T_DOES_NOT_EXIST, T._T_IDENTIFIER]),
    ("()", [T._T_OPEN_PAR, T._T_CLOSED_PAR]),
    ("", []),
    ("x in (),y", [T._T_IDENTIFIER, T._T_IN, T._T_OPEN_PAR, T._T_CLOSED_PAR, T._T_COMMA, T._T_IDENTIFIER]),
    ("== != (), = notin", [T._T_DOUBLE_EQUALS, T._T_NOT_EQUALS, T._T_OPEN_PAR, T._T_CLOSED_PAR, T._T_COMMA,
                           T._T_EQUALS, T._T_NOT_IN]),
    ("key>2", [T._T_IDENTIFIER, T._T_GREATER_THAN, T._T_IDENTIFIER]),
    ("key<1", [T._T_IDENTIFIER, T._T_LESS_THAN, T._T_IDENTIFIER]),
    ("!==", [T._T_NOT_EQUALS, T._T_EQUALS]),            # longest token first, then the rest
    ("=!", [T._T_EQUALS, T._T_DOES_NOT_EXIST]),
])
def test_lexer_sequence(text, tokens):
    items = sel._lex(text)
    assert [t for t, _ in items] == tokens + [T._T_EOS]


def test_lexer_nul_is_end_of_input():
    # Go's Lexer.read() returns 0 for a NUL byte as at the end: a NUL where a token starts ends the scan,
    # one inside a token is swallowed with it.
    assert [t for t, _ in sel._lex("a,\x00b")] == [T._T_IDENTIFIER, T._T_COMMA, T._T_IDENTIFIER, T._T_EOS]
    assert [t for t, _ in sel._lex("a, \x00b")] == [T._T_IDENTIFIER, T._T_COMMA, T._T_EOS]
    assert str(parse_label_selector("a,\x00b")) == "a,b"


@pytest.mark.parametrize("token, error", [
    ("in", None), ("=", None), ("==", None), (">", None), ("<", None), ("notin", None), ("!=", None),
    ("!", f"found '!', expected: {BINARY_OPS}"),
    ("exists", f"found 'exists', expected: {BINARY_OPS}"),
    ("(", f"found '(', expected: {BINARY_OPS}"),
])
def test_parse_operator(token, error):
    parser = sel._LabelParser(token, None)
    if error is None:
        parser.parse_operator()
    else:
        with pytest.raises(SelectorError, match=None) as info:
            parser.parse_operator()
        assert str(info.value) == error


# labels: TestRequirementConstructor (field and bad value of each error; the details are checked too)

@pytest.mark.parametrize("key, op, values, error", [
    ("x1", IN, None, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
    ("x2", NOT_IN, [], "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"),
    ("x3", IN, ["foo"], None),
    ("x4", NOT_IN, ["foo"], None),
    ("x5", EQUALS, ["bar", "foo"],
     'values: Invalid value: ["bar","foo"]: exact-match compatibility requires one single value'),
    ("x6", EXISTS, [], None),
    ("x7", DOES_NOT_EXIST, [], None),
    ("x8", EXISTS, ["foo"], 'values: Invalid value: ["foo"]: values set must be empty for exists and does not exist'),
    ("x9", IN, ["bar"], None),
    ("x10", IN, ["bar"], None),
    ("x11", GREATER_THAN, ["1"], None),
    ("x12", LESS_THAN, ["6"], None),
    ("x13", GREATER_THAN, [], "values: Invalid value: []: for 'Gt', 'Lt' operators, exactly one value is required"),
    ("x14", GREATER_THAN, ["bar"],
     "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"),
    ("x15", LESS_THAN, ["bar"],
     "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"),
    ("a" * 254, EXISTS, [],
     f'key: Invalid value: "{"a" * 254}": name part must be no more than 63 bytes'),
    ("x16", EQUALS, ["a" * 254], f'values[0][x16]: Invalid value: "{"a" * 254}": must be no more than 63 bytes'),
    ("x17", EQUALS, ["a b"], f'values[0][x17]: Invalid value: "a b": {LABEL_VALUE_ERR}'),
    ("x18", "unsupportedOp", [],
     'operator: Unsupported value: "unsupportedOp": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", '
     '"exists", "!"'),
])
def test_requirement_constructor(key, op, values, error):
    if error is None:
        r = new_requirement(key, op, values)
        assert (r.key, r.operator, list(r.values)) == (key, op, values)
    else:
        with pytest.raises(SelectorError) as info:
            new_requirement(key, op, values)
        assert str(info.value) == error


def test_requirement_constructor_aggregates_and_paths():
    with pytest.raises(SelectorError) as info:
        new_requirement("a b", GREATER_THAN, ["x", "-1"], path="spec.selector")
    assert str(info.value) == (
        f'[spec.selector.key: Invalid value: "a b": name part {LABEL_KEY_REGEX_ERR}, '
        "spec.selector.values: Invalid value: [\"x\",\"-1\"]: for 'Gt', 'Lt' operators, exactly one value is "
        "required, spec.selector.values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an "
        f'integer, spec.selector.values[1][a b]: Invalid value: "-1": {LABEL_VALUE_ERR}]')


# labels: TestToString, TestSafeSort

@pytest.mark.parametrize("reqs, out", [
    ([req("x", IN, ["abc", "def"]), req("y", NOT_IN, ["jkl"]), req("z", EXISTS)], "x in (abc,def),y notin (jkl),z"),
    ([req("x", NOT_IN, ["abc", "def"]), req("y", NOT_EQUALS, ["jkl"]), req("z", DOES_NOT_EXIST)],
     "x notin (abc,def),y!=jkl,!z"),
    ([req("x", NOT_IN, ["abc"]), req("y", IN, ["jkl", "mno"]), req("z", NOT_IN, [""])],
     "x notin (abc),y in (jkl,mno),z notin ()"),
    ([req("x", EQUALS, ["abc"]), req("y", DOUBLE_EQUALS, ["jkl"]), req("z", NOT_EQUALS, ["a"]), req("z", EXISTS)],
     "x=abc,y==jkl,z!=a,z"),
    ([req("x", GREATER_THAN, ["2"]), req("y", LESS_THAN, ["8"]), req("z", EXISTS)], "x>2,y<8,z"),
])
def test_to_string(reqs, out):
    assert str(LabelSelector(reqs)) == out


def test_string_sorts_values_without_touching_them():
    r = Requirement("x", IN, ["foo", "bar", "foo", "bar"])
    assert str(r) == "x in (bar,bar,foo,foo)"
    assert r.values == ("foo", "bar", "foo", "bar")


# labels: TestRequirementSelectorMatching

@pytest.mark.parametrize("labels, reqs, want", [
    ({"x": "foo", "y": "baz"}, [Requirement("", "")], False),     # the zero Requirement matches nothing
    ({"x": "foo", "y": "baz"}, [req("x", IN, ["foo"]), req("y", NOT_IN, ["alpha"])], True),
    ({"x": "foo", "y": "baz"}, [req("x", IN, ["foo"]), req("y", IN, ["alpha"])], False),
    ({"y": ""}, [req("x", NOT_IN, [""]), req("y", EXISTS)], True),
    ({"y": ""}, [req("x", DOES_NOT_EXIST), req("y", EXISTS)], True),
    ({"y": ""}, [req("x", NOT_IN, [""]), req("y", DOES_NOT_EXIST)], False),
    ({"y": "baz"}, [req("x", IN, [""])], False),
    ({"z": "2"}, [req("z", GREATER_THAN, ["1"])], True),
    ({"z": "v2"}, [req("z", GREATER_THAN, ["1"])], False),
])
def test_requirement_selector_matching(labels, reqs, want):
    assert LabelSelector(reqs).matches(labels) is want


# labels: TestSetSelectorParser

@pytest.mark.parametrize("text, reqs", [
    ("", []),
    ("\rx", [req("x", EXISTS)]),
    ("this-is-a-dns.domain.com/key-with-dash", [req("this-is-a-dns.domain.com/key-with-dash", EXISTS)]),
    ("this-is-another-dns.domain.com/key-with-dash in (so,what)",
     [req("this-is-another-dns.domain.com/key-with-dash", IN, ["so", "what"])]),
    ("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
     [req("0.1.2.domain/99", NOT_IN, ["10.10.100.1", "tick.tack.clock"])]),
    ("foo  in\t (abc)", [req("foo", IN, ["abc"])]),
    ("x notin\n (abc)", [req("x", NOT_IN, ["abc"])]),
    ("x  notin\t\t\t(abc,def)", [req("x", NOT_IN, ["abc", "def"])]),
    ("x in (abc,def)", [req("x", IN, ["abc", "def"])]),
    ("x in (abc,)", [req("x", IN, ["abc", ""])]),
    ("x in (abc,abc)", [req("x", IN, ["abc"])]),
    ("x in ()", [req("x", IN, [""])]),
    ("x in (a,,)", [req("x", IN, ["a", ""])]),
    ("x in (a,,,)", [req("x", IN, ["a", ""])]),
    ("x in (a,,,,,,)", [req("x", IN, ["a", ""])]),
    ("x in (a,,a,,a,,a,,)", [req("x", IN, ["a", ""])]),
    ("x notin (abc,,def),bar,z in (),w",
     [req("bar", EXISTS), req("w", EXISTS), req("x", NOT_IN, ["abc", "", "def"]), req("z", IN, [""])]),
    ("x,y in (a)", [req("x", EXISTS), req("y", IN, ["a"])]),
    ("x=a", [req("x", EQUALS, ["a"])]),
    ("x>1", [req("x", GREATER_THAN, ["1"])]),
    ("x<7", [req("x", LESS_THAN, ["7"])]),
    ("x=a,y!=b", [req("x", EQUALS, ["a"]), req("y", NOT_EQUALS, ["b"])]),
    ("x=a,y!=b,z in (h,i,j)", [req("x", EQUALS, ["a"]), req("y", NOT_EQUALS, ["b"]), req("z", IN, ["h", "i", "j"])]),
    ("x notin ( )", [req("x", NOT_IN, [""])]),
    ("x notin (, a)", [req("x", NOT_IN, ["", "a"])]),
    ("a ", [req("a", EXISTS)]),
    ("a in (x,y,notin, z,in)", [req("a", IN, ["in", "notin", "x", "y", "z"])]),
    ("in=notin,notin", [req("in", EQUALS, ["notin"]), req("notin", EXISTS)]),
])
def test_set_selector_parser_good(text, reqs):
    parsed = parse_label_selector(text)
    assert parsed == LabelSelector(reqs)
    assert [(r.key, r.operator, r.values) for r in parsed.requirements] == \
        [(r.key, r.operator, tuple(sorted(set(r.values)))) for r in sorted(reqs, key=lambda r: r.key)]


@pytest.mark.parametrize("text", ["x=a||y=b", "x,,y", ",x,y", "x nott in (y)", "a in (xyz),", "a in (xyz)b notin ()",
                                  "a in (xyz abc)", "a notin(", "a (", "("])
def test_set_selector_parser_bad(text):
    with pytest.raises(SelectorError):
        parse_label_selector(text)


# labels: every error branch of the parser, with upstream's exact message

@pytest.mark.parametrize("text, message", [
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    (",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("=a", "found '=', expected: !, identifier, or 'end of string'"),
    ("x,,y", "found ',', expected: identifier after ','"),
    ("a in (xyz),", "found '', expected: identifier after ','"),
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("!!x", "unable to parse requirement: found '!', expected: identifier"),
    ("a b", f"unable to parse requirement: found 'b', expected: {BINARY_OPS}"),
    ("x nott in (y)", f"unable to parse requirement: found 'nott', expected: {BINARY_OPS}"),
    ("a (", f"unable to parse requirement: found '(', expected: {BINARY_OPS}"),
    ("x in", "unable to parse requirement: found '' expected: '('"),
    ("x in a", "unable to parse requirement: found 'a' expected: '('"),
    ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
    ("x in (=", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
    ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"),
    ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("x in (a,", "unable to parse requirement: found '', expected: ',', or identifier"),
    ("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
    ("x=(", "unable to parse requirement: found '(', expected: identifier"),
    ("x!=!", "unable to parse requirement: found '!', expected: identifier"),
    ("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
            "the value must be an integer"),
    ("x>99999999999999999999", "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": "
                               "for 'Gt', 'Lt' operators, the value must be an integer"),
    ("x>-1", f'unable to parse requirement: values[0][x]: Invalid value: "-1": {LABEL_VALUE_ERR}'),
    ("x=a||y=b", f'unable to parse requirement: values[0][x]: Invalid value: "a||y": {LABEL_VALUE_ERR}'),
    ("x=" + "a" * 64, f'unable to parse requirement: values[0][x]: Invalid value: "{"a" * 64}": '
                      "must be no more than 63 bytes"),
    ("x=-" + "a" * 64, f'unable to parse requirement: values[0][x]: Invalid value: "-{"a" * 64}": '
                       f"must be no more than 63 bytes; {LABEL_VALUE_ERR}"),
    ("x in (a@,b@)", f'unable to parse requirement: [values[0][x]: Invalid value: "a@": {LABEL_VALUE_ERR}, '
                     f'values[1][x]: Invalid value: "b@": {LABEL_VALUE_ERR}]'),
    ("x=é", f'unable to parse requirement: values[0][x]: Invalid value: "é": {LABEL_VALUE_ERR}'),
    ("x=\x7f", f'unable to parse requirement: values[0][x]: Invalid value: "\\x7f": {LABEL_VALUE_ERR}'),
    ("a/b/c", 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key '
              f"{LABEL_KEY_REGEX_ERR} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
    ("/a", 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'),
    ("a/", 'unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; '
           f"name part {LABEL_KEY_REGEX_ERR}"),
    ("Foo/bar", f'unable to parse requirement: <nil>: Invalid value: "Foo/bar": prefix part {SUBDOMAIN_ERR}'),
    ("-a", f'unable to parse requirement: <nil>: Invalid value: "-a": name part {LABEL_KEY_REGEX_ERR}'),
    ("a" * 64, f'unable to parse requirement: <nil>: Invalid value: "{"a" * 64}": '
               "name part must be no more than 63 bytes"),
    ("a" * 254 + "/b", f'unable to parse requirement: <nil>: Invalid value: "{"a" * 254}/b": '
                       "prefix part must be no more than 253 bytes"),
    ("a" * 254 + "/-", f'unable to parse requirement: <nil>: Invalid value: "{"a" * 254}/-": '
                       f"prefix part must be no more than 253 bytes; name part {LABEL_KEY_REGEX_ERR}"),
    ("é" * 32, f'unable to parse requirement: <nil>: Invalid value: "{"é" * 32}": '   # 64 bytes in UTF-8
               f"name part must be no more than 63 bytes; name part {LABEL_KEY_REGEX_ERR}"),
])
def test_label_parse_error_messages(text, message):
    assert parse_error(text) == message


def test_label_error_is_a_value_error():
    assert issubclass(SelectorError, ValueError)
    with pytest.raises(ValueError):
        parse_label_selector("(")


# labels: TestAdd, TestRequiresExactMatch, TestMatchesNothing

def test_add():
    s = LabelSelector().add(new_requirement("key", IN, ["value"]))
    assert s.requirements == (Requirement("key", IN, ["value"]),)
    s = s.add(new_requirement("key2", EQUALS, ["value2"]))
    assert s.requirements == (Requirement("key", IN, ["value"]), Requirement("key2", EQUALS, ["value2"]))
    assert str(LabelSelector().add(Requirement("b", EXISTS), Requirement("a", EXISTS))) == "a,b"


@pytest.mark.parametrize("reqs, label, want", [
    ([Requirement("key", IN, ["value"])], "key", "value"),
    ([Requirement("key", IN, ["value", "value2"])], "key", None),
    ([Requirement("key", IN, ["value", "value1"]), Requirement("key2", IN, ["value2"])], "key2", "value2"),
    ([Requirement("key", EQUALS, ["value"])], "key", "value"),
    ([Requirement("key", DOUBLE_EQUALS, ["value"])], "key", "value"),
    ([Requirement("key", NOT_EQUALS, ["value"])], "key", None),
    ([Requirement("key", IN, ["value"]), Requirement("key2", IN, ["value2"])], "key", "value"),
    ([Requirement("key", EXISTS), Requirement("key", EQUALS, ["v"])], "key", None),  # first requirement decides
])
def test_label_requires_exact_match(reqs, label, want):
    assert LabelSelector(reqs).requires_exact_match(label) == want


def test_matches_nothing():
    assert LabelSelector.nothing().matches_nothing
    assert not LabelSelector.everything().matches_nothing
    assert not label_selector_from_set({}).matches_nothing
    assert not label_selector_from_set({"key": "value"}).matches_nothing
    for text in ["", "a", "!a", "a=b", "a!=b", "a in (b)", "a notin (b)", "a,!a", "a=b,a!=b", "a in (b),a notin (b)"]:
        assert not parse_label_selector(text).matches_nothing
    nothing = LabelSelector.nothing()
    assert not nothing.matches({}) and not nothing.empty and str(nothing) == ""
    assert nothing.requires_exact_match("a") is None


# metav1.LabelSelector: TestLabelSelectorAsSelector and the errors of LabelSelectorAsSelector

@pytest.mark.parametrize("obj, out", [
    ({"matchLabels": {"foo": "bar"}}, "foo=bar"),
    ({"matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]}, "baz in (norf,qux)"),
    ({"matchLabels": {"foo": "bar"}, "matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]},
     "baz in (norf,qux),foo=bar"),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["b"]},
                           {"key": "c", "operator": "Exists"}, {"key": "d", "operator": "DoesNotExist"}]},
     "a notin (b),c,!d"),
    ({"matchLabels": {}, "matchExpressions": []}, ""),
    ({"matchLabels": None}, ""),
])
def test_label_selector_from_object(obj, out):
    assert str(label_selector_from_object(obj)) == out
    assert str(parse_label_selector(out)) == out


def test_label_selector_from_object_nil_and_empty():
    assert label_selector_from_object(None) == LabelSelector.nothing()
    assert not label_selector_from_object(None).matches({"a": "b"})
    assert not label_selector_from_object(None).empty
    assert label_selector_from_object({}).empty
    assert label_selector_from_object({}).matches({"a": "b"})


def test_label_selector_from_object_does_not_modify_input():
    obj = {"matchLabels": {"b": "1", "a": "2"},
           "matchExpressions": [{"key": "baz", "operator": "In", "values": ["qux", "norf"]}]}
    before = repr(obj)
    selector = label_selector_from_object(obj)
    assert repr(obj) == before
    assert selector.matches({"a": "2", "b": "1", "baz": "norf"})
    assert not selector.matches({"a": "2", "b": "1", "baz": "x"})


@pytest.mark.parametrize("obj, message", [
    ({"matchExpressions": [{"key": "baz", "operator": "Exists", "values": ["qux", "norf"]}]},
     'values: Invalid value: ["qux","norf"]: values set must be empty for exists and does not exist'),
    ({"matchExpressions": [{"key": "baz", "operator": "DoesNotExist", "values": ["<&>"]}]},
     '[values: Invalid value: ["\\u003c\\u0026\\u003e"]: values set must be empty for exists and does not exist, '
     f'values[0][baz]: Invalid value: "<&>": {LABEL_VALUE_ERR}]'),
    ({"matchExpressions": [{"key": "baz", "operator": "In", "values": []}]},
     "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
    ({"matchExpressions": [{"key": "baz", "operator": "NotIn"}]},
     "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
    ({"matchExpressions": [{"key": "baz", "operator": "Foo"}]}, '"Foo" is not a valid label selector operator'),
    ({"matchExpressions": [{"key": "baz", "operator": "in", "values": ["a"]}]},
     '"in" is not a valid label selector operator'),
    ({"matchExpressions": [{"key": "baz"}]}, '"" is not a valid label selector operator'),
    ({"matchExpressions": [{"key": "", "operator": "Exists"}]},
     f'key: Invalid value: "": name part must be non-empty; name part {LABEL_KEY_REGEX_ERR}'),
    ({"matchLabels": {"a b": "c"}}, f'key: Invalid value: "a b": name part {LABEL_KEY_REGEX_ERR}'),
    ({"matchLabels": {"a": "c d"}}, f'values[0][a]: Invalid value: "c d": {LABEL_VALUE_ERR}'),
    ({"matchLabels": {"a b": "c d"}}, f'[key: Invalid value: "a b": name part {LABEL_KEY_REGEX_ERR}, '
                                      f'values[0][a b]: Invalid value: "c d": {LABEL_VALUE_ERR}]'),
    ({"matchExpressions": [{"key": "k", "operator": "In", "values": ["ok", "bad value"]}]},
     f'values[1][k]: Invalid value: "bad value": {LABEL_VALUE_ERR}'),
])
def test_label_selector_from_object_errors(obj, message):
    with pytest.raises(SelectorError) as info:
        label_selector_from_object(obj)
    assert str(info.value) == message


@pytest.mark.parametrize("obj", ["x", {"matchLabels": []}, {"matchExpressions": {}}, {"matchExpressions": ["x"]},
                                 {"matchLabels": {"a": 1}}, {"matchExpressions": [{"key": "a", "operator": "In",
                                                                                   "values": "x"}]}])
def test_label_selector_from_object_malformed(obj):
    with pytest.raises(SelectorError):
        label_selector_from_object(obj)


# ---------------------------------------------------------------------------------------------------------------
# fields: TestSplitTerms, TestSplitTerm, TestEscapeValue

@pytest.mark.parametrize("text, terms", [
    ("a", ["a"]), ("a=avalue", ["a=avalue"]), ("a=avalue,b=bvalue", ["a=avalue", "b=bvalue"]),
    ("a=avalue,b==bvalue,c!=cvalue", ["a=avalue", "b==bvalue", "c!=cvalue"]),
    ("", []), ("a=a,", ["a=a", ""]), (",a=a", ["", "a=a"]),
    ("k=\\,,k2=v2", ["k=\\,", "k2=v2"]), ("k=\\\\,k2=v2", ["k=\\\\", "k2=v2"]),
    ("k=\\\\\\,,k2=v2", ["k=\\\\\\,", "k2=v2"]), ("k=\\a\\b\\", ["k=\\a\\b\\"]), ("k=\\", ["k=\\"]),
    ("함=수,목=록", ["함=수", "목=록"]),
])
def test_split_terms(text, terms):
    assert sel._split_terms(text) == terms


@pytest.mark.parametrize("term, want", [
    ("a=value", ("a", "=", "value")), ("b==value", ("b", "==", "value")), ("c!=value", ("c", "!=", "value")),
    ("", None), ("a", None),
    ("k=\\,", ("k", "=", "\\,")), ("k=\\=", ("k", "=", "\\=")),
    ("k=\\\\\\a\\b\\=\\,\\", ("k", "=", "\\\\\\a\\b\\=\\,\\")),
    ("함=수", ("함", "=", "수")),
    ("a!b=c", ("a!b", "=", "c")), ("a!==b", ("a", "!=", "=b")), ("a===b", ("a", "==", "=b")),
])
def test_split_term(term, want):
    assert sel._split_term(term) == want


@pytest.mark.parametrize("raw, escaped", [("", ""), ("a", "a"), ("=", "\\="), (",", "\\,"), ("\\", "\\\\"),
                                          ("\\=\\,\\", "\\\\\\=\\\\\\,\\\\")])
def test_escape_value(raw, escaped):
    assert escape_field_value(raw) == escaped
    assert unescape_field_value(escaped) == raw


@pytest.mark.parametrize("value, message", [
    ("\\", "invalid field selector: invalid escape sequence: \\"),
    ("\\\\\\", "invalid field selector: invalid escape sequence: \\"),
    ("\\a", "invalid field selector: invalid escape sequence: \\a"),
    ("a\\수", "invalid field selector: invalid escape sequence: \\수"),
    ("a=b", "invalid field selector: unescaped character in value: 61"),
    ("a,b", "invalid field selector: unescaped character in value: 44"),
])
def test_unescape_errors(value, message):
    with pytest.raises(SelectorError) as info:
        unescape_field_value(value)
    assert str(info.value) == message


# fields: TestSelectorParse, TestDeterministicParse, TestSelectorMatches

@pytest.mark.parametrize("text", ["x=a,y=b,z=c", "", "x!=a,y=b", "x=a||y\\=b", "x=a\\=\\=b"])
def test_field_parse_good_and_restring(text):
    assert str(parse_field_selector(text)) == text


@pytest.mark.parametrize("text, message", [
    ("x=a||y=b", "invalid field selector: unescaped character in value: 61"),
    ("x==a==b", "invalid field selector: unescaped character in value: 61"),
    ("x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"),
    ("x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"),
    ("x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"),
    ("x", "invalid selector: 'x'; can't understand 'x'"),
    ("b=\\q,a", "invalid selector: 'b=\\q,a'; can't understand 'a'"),      # terms are checked in sorted order
    ("b=\\q,a=1", "invalid field selector: invalid escape sequence: \\q"),
    ("a=\\", "invalid field selector: invalid escape sequence: \\"),
])
def test_field_parse_bad(text, message):
    assert parse_error(text, parse_field_selector) == message


def test_field_parse_details():
    assert str(parse_field_selector("x=a,a=x")) == str(parse_field_selector("a=x,x=a")) == "a=x,x=a"
    s = parse_field_selector("b==1,a!=2,c=x\\,y")
    assert s.requirements == [("a", "!=", "2"), ("b", "=", "1"), ("c", "=", "x,y")]
    assert str(s) == "a!=2,b=1,c=x\\,y"
    assert s.fields() == {"a", "b", "c"}
    # no trimming: spaces belong to the field and the value
    assert parse_field_selector("a = b").requirements == [("a ", "=", " b")]
    # a term with neither field nor value is dropped (the identity Transform); empty terms are skipped
    for text in ["=", "!=", "==", ",", "=,,!="]:
        assert parse_field_selector(text).empty
    assert str(parse_field_selector("a=b,=")) == "a=b"
    assert parse_field_selector("=x").requirements == [("", "=", "x")]


@pytest.mark.parametrize("text, fields, want", [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("foo=bar", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, True),
    ("baz=blah", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, True),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, True),
    ("foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, True),
    ("foo=blah", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, False),
    ("baz=bar", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}, False),
    # a missing field reads as ""
    ("spec.nodeName=", {}, True),
    ("spec.nodeName!=", {}, False),
    ("spec.nodeName!=", {"spec.nodeName": "n1"}, True),
])
def test_field_selector_matches(text, fields, want):
    assert parse_field_selector(text).matches(fields) is want


# fields: TestOneTermEqualSelector, TestSetMatches, TestSetIsEmpty, TestRequiresExactMatch, TestTransform

def test_field_one_term_and_set():
    assert FieldSelector.one_term_equal("x", "y").matches({"x": "y"})
    assert not FieldSelector.one_term_equal("x", "y").matches({"x": "z"})
    labelset = {"foo": "bar", "baz": "blah"}
    for s in ({}, {"foo": "bar"}, {"baz": "blah"}, {"foo": "bar", "baz": "blah"}):
        assert FieldSelector((k, "=", v) for k, v in s.items()).matches(labelset)
    for s in ({"foo": "=blah"}, {"baz": "=bar"}, {"foo": "=bar", "foobar": "bar", "baz": "blah"}):
        assert not FieldSelector((k, "=", v) for k, v in s.items()).matches(labelset)
    assert FieldSelector().empty and FieldSelector.everything().empty
    assert not FieldSelector([("", "=", "")]).empty
    assert not FieldSelector([("", "!=", "")]).empty
    nothing = FieldSelector.nothing()
    assert not nothing.empty and not nothing.matches({}) and str(nothing) == ""


@pytest.mark.parametrize("terms, field, want", [
    ([], "test", None),
    ([("", "=", "")], "test", None),
    ([("a", "=", "b")], "test", None),
    ([("test", "=", "b")], "test", "b"),
    ([("test", "=", "")], "test", ""),
    ([("test", "!=", "b")], "test", None),
    ([("test", "!=", "")], "test", None),
    ([("", "=", ""), ("test", "=", "b")], "test", "b"),
    ([("test", "!=", "a"), ("test", "=", "b")], "test", "b"),
])
def test_field_requires_exact_match(terms, field, want):
    assert FieldSelector(terms).requires_exact_match(field) == want


@pytest.mark.parametrize("text, fn, result, empty", [
    ("", lambda f, v: (f, v), "", True),
    ("a=b,c=d", lambda f, v: (f, v), "a=b,c=d", False),
    ("a=b,c=d", lambda f, v: ("e", "f") if f == "a" else (f, v), "e=f,c=d", False),
    ("a=b", lambda f, v: ("", ""), "", True),
    ("a=b,c=d,e=f", lambda f, v: ("", "") if f == "c" else (f, v), "a=b,e=f", False),
])
def test_field_transform(text, fn, result, empty):
    transformed = parse_field_selector(text).transform(fn)
    assert str(transformed) == result
    assert transformed.empty is empty


# check_fields: what kube-apiserver answers for an unsupported field

def test_check_fields_default_kinds():
    check_fields(parse_field_selector("metadata.name=a,metadata.namespace!=b"))
    with pytest.raises(SelectorError) as info:
        check_fields(parse_field_selector("spec.foo=bar"))
    assert str(info.value) == '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'
    assert unknown_field_selector('a"b') == '"a\\"b" is not a known field selector: only "metadata.name", ' \
                                           '"metadata.namespace"'


def test_check_fields_kinds_with_conversion_functions():
    pod_fields = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"]
    check_fields(parse_field_selector("spec.nodeName=n1,status.phase!=Running"), pod_fields)
    with pytest.raises(SelectorError) as info:
        check_fields(parse_field_selector("status.phase=Running,spec.foo=bar,a.b=c"), pod_fields)
    assert str(info.value) == "field label not supported: a.b"   # the first bad term in selector (sorted) order
    assert field_label_not_supported("spec.foo") == "field label not supported: spec.foo"
    with pytest.raises(SelectorError) as info:
        check_fields(parse_field_selector("=x"), pod_fields)
    assert str(info.value) == "field label not supported: "
    with pytest.raises(SelectorError) as info:
        check_fields(parse_field_selector("x=1"), ["status.successful"],
                     message=lambda f: f"field label {sel.go_quote(f)} not supported for batchv1.Job")
    assert str(info.value) == 'field label "x" not supported for batchv1.Job'


# ---------------------------------------------------------------------------------------------------------------
# Go formatting

@pytest.mark.parametrize("raw, quoted", [
    ("abc", '"abc"'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ("\n\t\r\a\b\f\v", '"\\n\\t\\r\\a\\b\\f\\v"'),
    ("\x00\x01\x7f", '"\\x00\\x01\\x7f"'), ("\x85\u00a0", '"\\u0085\\u00a0"'), ("é수", '"é수"'),
    ("\U0001F600", '"\U0001F600"'), ("\U000E0001", '"\\U000e0001"'), ("\udc80", '"\\xed\\xb2\\x80"'),
])
def test_go_quote(raw, quoted):
    assert sel.go_quote(raw) == quoted


# ---------------------------------------------------------------------------------------------------------------
# hypothesis: parsing raises nothing but SelectorError, and the canonical form is stable

SELECTOR_ALPHABET = "abcxyz019-_./=!(),<> \t\r\n\\\x00éin"


def _label_text():
    st = pytest.importorskip("hypothesis.strategies")
    words = st.sampled_from(["in", "notin", "x", "a.b/c", "=", "==", "!=", "!", "(", ")", ",", ">", "<", " ", "1",
                             "-1", "", "\x00"])
    return st.one_of(st.text(), st.text(alphabet=SELECTOR_ALPHABET), st.lists(words).map("".join))


def test_label_parse_raises_only_selector_error():
    hypothesis = pytest.importorskip("hypothesis")

    @hypothesis.settings(max_examples=1500, deadline=None)
    @hypothesis.given(_label_text())
    def check(text):
        try:
            parsed = parse_label_selector(text)
        except SelectorError as e:
            assert str(e)
            return
        canonical = str(parsed)
        assert parse_label_selector(canonical) == parsed
        assert str(parse_label_selector(canonical)) == canonical

    check()


def test_field_parse_raises_only_selector_error():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(max_examples=1500, deadline=None)
    @hypothesis.given(st.one_of(st.text(), st.text(alphabet=SELECTOR_ALPHABET)))
    def check(text):
        try:
            parsed = parse_field_selector(text)
        except SelectorError as e:
            assert str(e)
            return
        assert parse_field_selector(str(parsed)) == parsed

    check()


def test_field_escape_roundtrip():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(max_examples=500, deadline=None)
    @hypothesis.given(st.text(), st.text(alphabet="ab=!,\\ "))
    def check(value, field):
        assert unescape_field_value(escape_field_value(value)) == value
        # fields the parser can produce: no "=", no unescaped ",", not ending in "!" (that would read as "!=")
        if "=" in field or "," in field or "\\" in field or field.endswith("!") or not (field or value):
            return
        selector = FieldSelector([(field, "=", value)])
        assert parse_field_selector(str(selector)) == selector

    check()


def test_label_matching_agrees_with_a_direct_reading():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    keys, values = st.sampled_from(["a", "b", "c"]), st.sampled_from(["", "1", "2", "x"])
    ops = st.sampled_from([IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, EXISTS, DOES_NOT_EXIST, GREATER_THAN,
                           LESS_THAN])

    def expected(r, labels):
        present, v = r.key in labels, labels.get(r.key)
        if r.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and v in r.values
        if r.operator in (NOT_IN, NOT_EQUALS):
            return not present or v not in r.values
        if r.operator in (EXISTS, DOES_NOT_EXIST):
            return present == (r.operator == EXISTS)
        if not (present and v.isdigit()):
            return False
        return int(v) > int(r.values[0]) if r.operator == GREATER_THAN else int(v) < int(r.values[0])

    @hypothesis.settings(max_examples=500, deadline=None)
    @hypothesis.given(st.lists(st.tuples(keys, ops, values), max_size=4), st.dictionaries(keys, values))
    def check(specs, labels):
        reqs = []
        for key, op, value in specs:
            if op in (EXISTS, DOES_NOT_EXIST):
                reqs.append(new_requirement(key, op, []))
            elif op in (GREATER_THAN, LESS_THAN):
                reqs.append(new_requirement(key, op, [value if value.isdigit() else "1"]))
            else:
                reqs.append(new_requirement(key, op, [value]))
        s = LabelSelector(reqs)
        assert s.matches(labels) == all(expected(r, labels) for r in reqs)
        assert parse_label_selector(str(s)).matches(labels) == s.matches(labels)

    check()


# ---------------------------------------------------------------------------------------------------------------
# timing

def test_matching_speed(capsys):
    selector = parse_label_selector("app=web,tier in (frontend,backend),env!=prod,track,!canary")
    labels = {f"k{i}": f"v{i}" for i in range(5)}
    labels.update(app="web", tier="backend", env="dev", track="stable", team="a")
    assert len(labels) == 10 and selector.matches(labels)
    fields = parse_field_selector("metadata.name=pod-1,status.phase!=Failed,spec.nodeName=node-1")
    field_set = {"metadata.name": "pod-1", "metadata.namespace": "default", "status.phase": "Running",
                 "spec.nodeName": "node-1"}
    assert fields.matches(field_set)

    def best(stmt, number):
        return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6

    label_us = best(lambda: selector.matches(labels), 20000)
    field_us = best(lambda: fields.matches(field_set), 20000)
    parse_us = best(lambda: parse_label_selector("app=web,tier in (frontend,backend),env!=prod,track,!canary"), 500)
    with capsys.disabled():
        print(f"\n[selectors] label match (5 requirements, 10 labels): {label_us:.2f} µs; "
              f"field match (3 terms): {field_us:.2f} µs; label parse (5 requirements): {parse_us:.1f} µs")
    assert label_us < 50  # a few µs on an idle core; generous for shared CI machines
