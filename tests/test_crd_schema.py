"""apiserver.apiextensions.schema: CRD schema validation, pruning, defaulting and CRD validation.

Expected messages are upstream's (Kubernetes 1.32): apiextensions-apiserver release-1.32 tests
(pkg/apiserver/validation/validation_test.go, schema/validation_test.go, pruning/algorithm_test.go,
defaulting/algorithm_test.go, pkg/apis/apiextensions/validation/validation_test.go), kube-openapi's error texts
(pkg/validation/errors/schema.go) and Go's regexp/syntax errors."""

from __future__ import annotations

import copy
import json
import time

import pytest

from apiserver.apiextensions import schema as S
from apiserver.apiextensions.schema import (
    GoRegexpError,
    check_format,
    compile_go_regexp,
    default,
    drop_nulls,
    go_match,
    nesting_error,
    prune,
    structural_errors,
    validate,
    validate_crd,
    validate_crd_status,
)


def causes_text(causes):
    return [f"{c[0]}: {c[2]}" for c in causes]


def field_schema(fragment: dict) -> dict:
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": {"x": fragment}}}}


# ---------------------------------------------------------------------------------------------------------------
# Go formatting


@pytest.mark.parametrize("value, v, js", [
    (1.0, "1", "1"), (1e6, "1e+06", "1000000"), (123456789.0, "1.23456789e+08", "123456789"),
    (100000.0, "100000", "100000"), (0.0001, "0.0001", "0.0001"), (0.00001, "1e-05", "0.00001"),
    (1.5, "1.5", "1.5"), (-2.25, "-2.25", "-2.25"), (1e21, "1e+21", "1e+21"), (1e-7, "1e-07", "1e-7"),
    (0.1, "0.1", "0.1"),
])
def test_go_float_and_json(value, v, js):
    assert S.go_float(value) == v
    assert S.go_json(value) == js


def test_go_sharp_v_and_json():
    assert S._go_sharp_v({"b": [1, "x", None, True], "a": 1.5}) == \
        'map[string]interface {}{"a":1.5, "b":[]interface {}{1, "x", interface {}(nil), true}}'
    assert S.go_json({"b": "<&>", "a": [1, 2.0]}) == '{"a":[1,2],"b":"\\u003c\\u0026\\u003e"}'


# ---------------------------------------------------------------------------------------------------------------
# Go regular expressions


@pytest.mark.parametrize("pattern, text, expected", [
    (r"^[a-z]+$", "abc", True),
    (r"^[a-z]+$", "abc\n", False),          # Go's $ is the end of the text, not before a final newline
    (r"a|b", "xbx", True),                  # MatchString is a search
    (r"(?i)ABC", "xabcx", True),
    (r"^\d{3}-\d{2}$", "123-45", True),
    (r"^\d+$", "١٢٣", False),               # \d is ASCII only
    (r"^\s$", "\v", False),                 # \s is [\t\n\f\r ]
    (r"\bfoo\b", "a foo b", True),
    (r"\bfoo\b", "afoob", False),
    (r"\Bo\B", "fo", False),
    (r"\Bo\B", "foo", True),
    (r"x*", "", True),
    (r"[[:alpha:]]+", "123", False),
    (r"[[:^digit:]]", "1a", True),
    (r"\pL", "é", True),
    (r"\p{Lu}", "a", False),
    (r"\PL", "a", False),
    (r"\p{Greek}", "λ", True),
    (r"(?m)^b$", "a\nb\nc", True),
    (r"^b$", "a\nb\nc", False),
    (r"\Ab", "ab", False),
    (r"b\z", "ab", True),
    (r"^a{2,3}$", "aaaa", False),
    (r"^a{2,}$", "aaaa", True),
    (r"a{,3}", "a{,3}", True),              # not a repetition in Go: a literal {,3}
    (r"\Qa.b\E", "axb", False),
    (r"\Qa.b\E", "a.b", True),
    (r"(?s).", "\n", True),
    (r".", "\n", False),
    (r"[^a]", "\n", True),
    (r"(?i)k", "\u212a", True),             # Kelvin sign folds to k
    (r"\x{41}\101\x41", "AAA", True),
    (r"^$", "", True),
    (r"(?U)a+?", "a", True),
    (r"^(?P<word>\w+)(?<n>\d)$", "ab1", True),
    (r"^*a", "a", True),                    # an empty-width assertion may be repeated in Go
    (r"(?i:A)a", "aA", False),
    (r"(?i:A)a", "Aa", True),
])
def test_go_regexp_matching(pattern, text, expected):
    assert go_match(pattern, text) is expected


@pytest.mark.parametrize("pattern, message", [
    ("+", "error parsing regexp: missing argument to repetition operator: `+`"),
    ("a**", "error parsing regexp: invalid nested repetition operator: `**`"),
    ("a*{2}", "error parsing regexp: invalid nested repetition operator: `*{2}`"),
    ("(abc", "error parsing regexp: missing closing ): `(abc`"),
    ("abc)", "error parsing regexp: unexpected ): `abc)`"),
    ("[a", "error parsing regexp: missing closing ]: `[a`"),
    ("a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
    ("(a{10}){200}", "error parsing regexp: invalid repeat count: `{200}`"),
    ("(?=x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
    ("(?<=x)", "error parsing regexp: invalid named capture: `(?<=x)`"),
    ("(?!x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"),
    (r"(a)\1", r"error parsing regexp: invalid escape sequence: `\1`"),
    ("\\", "error parsing regexp: trailing backslash at end of expression: ``"),
    ("(?P<n-x>a)", "error parsing regexp: invalid named capture: `(?P<n-x>`"),
    ("[z-a]", "error parsing regexp: invalid character class range: `z-a`"),
    (r"\p{Foo}", r"error parsing regexp: invalid character class range: `\p{Foo}`"),
    ("[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"),
    (r"\C", r"error parsing regexp: invalid escape sequence: `\C`"),
    (r"\Z", r"error parsing regexp: invalid escape sequence: `\Z`"),
    ("a|*", "error parsing regexp: missing argument to repetition operator: `*`"),
    ("(*)", "error parsing regexp: missing argument to repetition operator: `*`"),
    ("(?i)*", "error parsing regexp: missing argument to repetition operator: `*`"),
    ("(?x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"),
    ("(?i-)", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"),
    ("[\\b]", r"error parsing regexp: invalid escape sequence: `\b`"),
    ("a*+", "error parsing regexp: invalid nested repetition operator: `*+`"),
    ("(" * 1001 + ")" * 1001, "error parsing regexp: expression nests too deeply: `" + "(" * 1001 + ")" * 1001 + "`"),
])
def test_go_regexp_errors(pattern, message):
    with pytest.raises(GoRegexpError) as err:
        compile_go_regexp(pattern)
    assert str(err.value) == message


def test_go_regexp_is_linear():
    # catastrophic for a backtracking engine, linear for an automaton
    start = time.monotonic()
    assert not go_match(r"^(a+)+$", "a" * 20000 + "b")
    assert not go_match(r"^(\w+\s?)*$", "word " * 2000 + "!")
    assert time.monotonic() - start < 10


# ---------------------------------------------------------------------------------------------------------------
# Formats


@pytest.mark.parametrize("fmt, good, bad", [
    ("date", "2020-02-29", "2021-02-29"),
    ("date-time", "2020-01-01T10:00:00Z", "2020-01-01 10:00:00Z"),
    ("datetime", "2020-01-01T10:00:00.123+01:00", "2020-01-01T24:00:00Z"),
    ("duration", "1h30m", "3 fortnights"),
    ("duration", "5 days", "abc"),
    ("ipv4", "01.2.3.4", "1.2.3"),          # leading zeros tolerated (ParseIPSloppy)
    ("ipv4", "::ffff:1.2.3.4", "::1"),
    ("ipv6", "fe80::1", "fe80::1%eth0"),
    ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
    ("mac", "00:11:22:33:44:55", "00:11:22:33:44"),
    ("mac", "0011.2233.4455", "0011.2233.44"),
    ("uuid", "123E4567-E89B-12D3-A456-426614174000", "123e4567"),
    ("uuid3", "123e4567-e89b-32d3-a456-426614174000", "123e4567-e89b-42d3-a456-426614174000"),
    ("uuid4", "123e4567-e89b-42d3-a456-426614174000", "123e4567-e89b-42d3-c456-426614174000"),
    ("uuid5", "123e4567-e89b-52d3-9456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
    ("byte", "aGVsbG8=", ""),
    ("uri", "https://example.com/a?b=c", "relative/path"),
    ("uri", "/absolute", "http://a b/"),
    ("email", "Jane <jane@example.com>", "jane@"),
    ("hostname", "foo.example.com", "-foo"),
    ("isbn10", "0-306-40615-2", "0-306-40615-3"),
    ("isbn13", "978-0-306-40615-7", "978-0-306-40615-8"),
    ("isbn", "0306406152", "12"),
    ("creditcard", "4111 1111 1111 1111", "4111 1111 1111 1112"),
    ("ssn", "123-45-6789", "123456789"),
    ("hexcolor", "#fff", "#ffff"),
    ("rgbcolor", "rgb(0, 128, 255)", "rgb(0,0,256)"),
    ("bsonobjectid", "507f1f77bcf86cd799439011", "507f1f77bcf86cd79943901z"),
])
def test_formats(fmt, good, bad):
    assert check_format(fmt, good) is True
    assert check_format(fmt, bad) is False


@pytest.mark.parametrize("fmt", ["int32", "int64", "float", "double", "Date-Time", "k8s-short-name", ""])
def test_formats_upstream_drops(fmt):
    assert check_format(fmt, "anything") is None
    assert validate({"spec": {"x": "anything"}}, field_schema({"type": "string", "format": fmt})) == []


# ---------------------------------------------------------------------------------------------------------------
# Value validation: every keyword failing (with upstream's message) and passing


KEYWORDS = [
    ({"type": "integer"}, "3", ("FieldValueTypeInvalid",
                                'Invalid value: "string": spec.x in body must be of type integer: "string"'), 3),
    ({"type": "integer"}, 1.5, ("FieldValueTypeInvalid",
                                'Invalid value: "number": spec.x in body must be of type integer: "number"'), 1.0),
    ({"type": "number"}, True, ("FieldValueTypeInvalid",
                                'Invalid value: "boolean": spec.x in body must be of type number: "boolean"'), 2),
    ({"type": "boolean"}, "true", ("FieldValueTypeInvalid",
                                   'Invalid value: "string": spec.x in body must be of type boolean: "string"'), False),
    ({"type": "string"}, 5, ("FieldValueTypeInvalid",
                             'Invalid value: "integer": spec.x in body must be of type string: "integer"'), "5"),
    ({"type": "array"}, {}, ("FieldValueTypeInvalid",
                             'Invalid value: "object": spec.x in body must be of type array: "object"'), []),
    ({"type": "object"}, [], ("FieldValueTypeInvalid",
                              'Invalid value: "array": spec.x in body must be of type object: "array"'), {}),
    ({"type": "string"}, None, ("FieldValueTypeInvalid",
                                'Invalid value: "null": spec.x in body must be of type string: "null"'), "a"),
    ({"type": "string", "enum": ["red", "blue"]}, "pink",
     ("FieldValueNotSupported", 'Unsupported value: "pink": supported values: "red", "blue"'), "red"),
    ({"type": "integer", "enum": [1, 2]}, 3, ("FieldValueNotSupported", 'Unsupported value: 3: supported values: '
                                                                        '"1", "2"'), 2),
    ({"type": "object", "enum": [{"a": 1}]}, {"a": 2},
     ("FieldValueNotSupported", 'Unsupported value: map[string]interface {}{"a":2}: supported values: "{\\"a\\":1}"'),
     {"a": 1}),
    ({"type": "string", "pattern": "^[a-z]+$"}, "ABC",
     ("FieldValueInvalid", "Invalid value: \"ABC\": spec.x in body should match '^[a-z]+$'"), "abc"),
    ({"type": "string", "minLength": 1}, "",
     ("FieldValueInvalid", 'Invalid value: "": spec.x in body should be at least 1 chars long'), "a"),
    ({"type": "string", "maxLength": 3}, "abcd", ("FieldValueTooLong", "Too long: may not be more than 3 bytes"),
     "äöü"),
    ({"type": "integer", "minimum": 1}, 0,
     ("FieldValueInvalid", "Invalid value: 0: spec.x in body should be greater than or equal to 1"), 1),
    ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 1,
     ("FieldValueInvalid", "Invalid value: 1: spec.x in body should be greater than 1"), 2),
    ({"type": "integer", "maximum": 10}, 11,
     ("FieldValueInvalid", "Invalid value: 11: spec.x in body should be less than or equal to 10"), 10),
    ({"type": "integer", "maximum": 10, "exclusiveMaximum": True}, 10,
     ("FieldValueInvalid", "Invalid value: 10: spec.x in body should be less than 10"), 9),
    ({"type": "number", "maximum": 1.5}, 2.5,
     ("FieldValueInvalid", "Invalid value: 2.5: spec.x in body should be less than or equal to 1.5"), 1.5),
    ({"type": "number", "minimum": 1000000}, 0.5,
     ("FieldValueInvalid", "Invalid value: 0.5: spec.x in body should be greater than or equal to 1e+06"), 1e6),
    ({"type": "integer", "multipleOf": 3}, 7,
     ("FieldValueInvalid", "Invalid value: 7: spec.x in body should be a multiple of 3"), -9),
    ({"type": "number", "multipleOf": 0.5}, 0.7,
     ("FieldValueInvalid", "Invalid value: 0.7: spec.x in body should be a multiple of 0.5"), 1.5),
    ({"type": "array", "minItems": 2}, ["a"],
     ("FieldValueInvalid", "Invalid value: 1: spec.x in body should have at least 2 items"), ["a", "b"]),
    ({"type": "array", "maxItems": 1}, ["a", "b"], ("FieldValueTooMany", "Too many: 2: must have at most 1 items"),
     ["a"]),
    ({"type": "array", "uniqueItems": True}, [1, 1],
     ("FieldValueInvalid", "Invalid value: \"\": spec.x in body shouldn't contain duplicates"), [1, 1.5]),
    ({"type": "object", "minProperties": 1}, {},
     ("FieldValueInvalid", "Invalid value: 0: spec.x in body should have at least 1 properties"), {"a": 1}),
    ({"type": "object", "maxProperties": 1}, {"a": 1, "b": 2},
     ("FieldValueTooMany", "Too many: 2: must have at most 1 items"), {"a": 1}),
    ({"type": "string", "format": "date-time"}, "yesterday",
     ("FieldValueTypeInvalid", 'Invalid value: "yesterday": spec.x in body must be of type date-time: "yesterday"'),
     "2024-01-02T03:04:05Z"),
    ({"type": "string", "format": "date"}, 5,      # kube-openapi's type validator checks the format first
     ("FieldValueTypeInvalid", 'Invalid value: "int64": spec.x in body must be of type date: "int64"'), "2024-01-02"),
    ({"x-kubernetes-int-or-string": True}, True,
     ("FieldValueTypeInvalid", 'Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"'),
     "50%"),
]


@pytest.mark.parametrize("fragment, bad, expected, good", KEYWORDS)
def test_keywords(fragment, bad, expected, good):
    schema = field_schema(fragment)
    assert validate({"spec": {"x": bad}}, schema) == [("spec.x",) + expected]
    assert validate({"spec": {"x": good}}, schema) == []


def test_nested_paths_required_items_additional_properties():
    schema = field_schema({"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}}}})
    causes = validate({"spec": {"x": {"items": [{"n": 1}, {"n": "2"}], "labels": {"a.b/c": 3}}}}, schema)
    assert causes_text(causes) == [
        'spec.x.items[1].n: Invalid value: "string": spec.x.items[1].n in body must be of type integer: "string"',
        'spec.x.labels.a.b/c: Invalid value: "integer": spec.x.labels.a.b/c in body must be of type string: '
        '"integer"',
        "spec.x.name: Required value"]
    assert causes[-1][1] == "FieldValueRequired"


def test_root_level_errors_have_nil_field():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False,
              "required": ["a"]}
    assert causes_text(validate({"b": 1}, schema)) == [
        '<nil>: Invalid value: "b": .b in body is a forbidden property', "a: Required value"]
    assert causes_text(validate({"spec": 1}, {"type": "string"})) == [
        '<nil>: Invalid value: "object":  in body must be of type string: "object"']


def test_junctors():
    schema = field_schema({"type": "integer", "anyOf": [{"minimum": 5}, {"maximum": 1}]})
    assert causes_text(validate({"spec": {"x": 3}}, schema)) == [
        '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
        "spec.x: Invalid value: 3: spec.x in body should be greater than or equal to 5"]
    assert validate({"spec": {"x": 0}}, schema) == []
    schema = field_schema({"type": "integer", "oneOf": [{"minimum": 1}, {"minimum": 2}]})
    assert causes_text(validate({"spec": {"x": 3}}, schema)) == [
        '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives']
    assert causes_text(validate({"spec": {"x": 0}}, schema)) == [
        '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid',
        "spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"]
    assert validate({"spec": {"x": 1}}, schema) == []
    schema = field_schema({"type": "integer", "allOf": [{"minimum": 5}, {"maximum": 1}]})
    assert causes_text(validate({"spec": {"x": 3}}, schema)) == [
        "spec.x: Invalid value: 3: spec.x in body should be greater than or equal to 5",
        "spec.x: Invalid value: 3: spec.x in body should be less than or equal to 1",
        '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf). None validated']
    assert causes_text(validate({"spec": {"x": 7}}, schema))[-1] == \
        '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf)'
    schema = field_schema({"type": "integer", "not": {"minimum": 5}})
    assert causes_text(validate({"spec": {"x": 7}}, schema)) == [
        '<nil>: Invalid value: "": "spec.x" must not validate the schema (not)']
    assert validate({"spec": {"x": 4}}, schema) == []


# pkg/apiserver/validation/validation_test.go TestValidateCustomResource (release-1.32)
UPSTREAM_VALUE_CASES = [
    ({"type": "object", "properties": {"field": {"type": "object", "nullable": False}}},
     [{}, {"field": {}}],
     [({"field": "foo"}, ['field: Invalid value: "string": field in body must be of type object: "string"']),
      ({"field": 42}, ['field: Invalid value: "integer": field in body must be of type object: "integer"']),
      ({"field": True}, ['field: Invalid value: "boolean": field in body must be of type object: "boolean"']),
      ({"field": 1.2}, ['field: Invalid value: "number": field in body must be of type object: "number"']),
      ({"field": []}, ['field: Invalid value: "array": field in body must be of type object: "array"']),
      ({"field": None}, ['field: Invalid value: "null": field in body must be of type object: "null"'])]),
    ({"type": "object", "properties": {"field": {"type": "object", "nullable": True}}},
     [{}, {"field": {}}, {"field": None}],
     [({"field": "foo"}, ['field: Invalid value: "string": field in body must be of type object: "string"'])]),
    ({"type": "object", "properties": {"field": {"x-kubernetes-int-or-string": True}}},
     [{}, {"field": 42}, {"field": "foo"}],
     [({"field": None}, ['field: Invalid value: "null": field in body must be of type integer,string: "null"']),
      ({"field": 1.2}, ['field: Invalid value: "number": field in body must be of type integer,string: "number"']),
      ({"field": []}, ['field: Invalid value: "array": field in body must be of type integer,string: "array"'])]),
    ({"type": "object", "properties": {"field": {"nullable": True, "x-kubernetes-int-or-string": True,
                                                 "anyOf": [{"type": "integer"}, {"type": "string"}]}}},
     [{}, {"field": None}, {"field": 42}, {"field": "foo"}],
     [({"field": True}, ['<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
                         'field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"',
                         'field: Invalid value: "boolean": field in body must be of type integer: "boolean"']),
      ({"field": {}}, ['<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
                       'field: Invalid value: "object": field in body must be of type integer,string: "object"',
                       'field: Invalid value: "object": field in body must be of type integer: "object"'])]),
    ({"type": "object", "properties": {"field": {"nullable": True, "x-kubernetes-int-or-string": True, "allOf": [
        {"anyOf": [{"type": "integer"}, {"type": "string"}]}]}}},
     [{}, {"field": None}, {"field": 42}, {"field": "foo"}],
     [({"field": []}, ['<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated',
                       '<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
                       'field: Invalid value: "array": field in body must be of type integer,string: "array"',
                       'field: Invalid value: "array": field in body must be of type integer: "array"'])]),
    ({"type": "object", "properties": {"field": {"type": "string", "pattern": "+"}}}, [],
     [({"field": "foo"}, ["field: Invalid value: \"foo\": field in body should match '+, but pattern is invalid: "
                          "error parsing regexp: missing argument to repetition operator: `+`'"])]),
    ({"type": "object", "required": ["field"], "properties": {"field": {
        "type": "object", "required": ["nested"], "properties": {"nested": {}}}}}, [],
     [({"test": "a"}, ["field: Required value"]), ({"field": {}}, ["field.nested: Required value"])]),
    ({"type": "object", "properties": {"field": {"type": "object", "required": ["nestedint", "nestedstring"],
                                                 "properties": {"nestedint": {"type": "integer", "enum": [1, 2]},
                                                                "nestedstring": {"type": "string",
                                                                                 "enum": ["a", "b"]}}}}}, [],
     [({"field": {}}, ["field.nestedint: Required value", "field.nestedstring: Required value"]),
      ({"field": {"nestedint": "x", "nestedstring": True}}, [
          'field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"',
          'field.nestedint: Unsupported value: "x": supported values: "1", "2"',
          'field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: '
          '"boolean"',
          'field.nestedstring: Unsupported value: true: supported values: "a", "b"'])]),
    ({"type": "object", "properties": {"fieldX": {"type": "object", "maxProperties": 2}}}, [],
     [({"fieldX": {"a": True, "b": True, "c": True}}, ["fieldX: Too many: 3: must have at most 2 items"])]),
    ({"type": "object", "properties": {"fieldX": {"type": "array", "maxItems": 2}}}, [],
     [({"fieldX": ["a", "b", "c"]}, ["fieldX: Too many: 3: must have at most 2 items"])]),
    ({"type": "object", "properties": {"fieldX": {"type": "string", "maxLength": 2}}}, [],
     [({"fieldX": "abc"}, ["fieldX: Too long: may not be more than 2 bytes"])]),
]


@pytest.mark.parametrize("schema, objects, failing", UPSTREAM_VALUE_CASES)
def test_upstream_value_validation(schema, objects, failing):
    for obj in objects:
        assert validate(obj, schema) == [], obj
    for obj, expected in failing:
        assert sorted(causes_text(validate(obj, schema))) == sorted(expected)


def test_schema_restricts_metadata_name():
    schema = {"type": "object", "properties": {"metadata": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"}}}}}
    assert validate_crd(crontab(**{"spec__versions__0__schema__openAPIV3Schema__properties__metadata":
                                   schema["properties"]["metadata"]})) == []
    assert validate({"metadata": {"name": "abc", "namespace": "default", "uid": "x"}}, schema) == []
    assert causes_text(validate({"metadata": {"name": "abcdef"}}, schema)) == [
        "metadata.name: Too long: may not be more than 5 bytes"]


def test_go_quirks_are_kept():
    # an integer converts to a one-rune string when compared with a string enum (reflect.Value.Convert)
    assert validate({"spec": {"x": 97}}, field_schema({"x-kubernetes-int-or-string": True, "enum": ["a"]})) == []
    # a float is truncated when compared with an integer enum
    assert validate({"spec": {"x": 1.5}}, field_schema({"type": "number", "enum": [1]})) == []
    # a nullable enum still refuses null unless null is listed
    assert causes_text(validate({"spec": {"x": None}}, field_schema({"type": "string", "nullable": True,
                                                                      "enum": ["a"]}))) == [
        'spec.x: Unsupported value: "null": supported values: "a"']
    # integral floats are integers; so are floats within 1e-9 relative error of one (swag.IsFloat64AJSONInteger)
    assert validate({"spec": {"x": 1000000000.5}}, field_schema({"type": "integer"})) == []
    # integer bounds are truncated before comparing an integer
    assert validate({"spec": {"x": 0}}, field_schema({"type": "integer", "minimum": 0.5})) == []
    # an integer multipleOf below 1 truncates to 0
    assert causes_text(validate({"spec": {"x": 3}}, field_schema({"type": "integer", "multipleOf": 0.5}))) == [
        "spec.x: Invalid value: 0: factor MultipleOf declared for spec.x must be positive: 0"]


def test_ratcheting_on_update():
    schema = field_schema({"type": "integer", "maximum": 10})
    schema["properties"]["spec"]["properties"]["y"] = {"type": "string"}
    old = {"spec": {"x": 11}}
    assert validate({"spec": {"x": 11}}, schema, old) == []
    assert validate({"spec": {"x": 11, "y": "changed"}}, schema, old) == []
    assert causes_text(validate({"spec": {"x": 12}}, schema, old)) == [
        "spec.x: Invalid value: 12: spec.x in body should be less than or equal to 10"]
    assert len(validate({"spec": {"x": 11}}, schema)) == 1
    # map lists correlate by key, whatever the order
    lst = {"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map",
                                                  "x-kubernetes-list-map-keys": ["k"], "items": {
                                                      "type": "object", "required": ["k"], "properties": {
                                                          "k": {"type": "string"}, "v": {"type": "integer",
                                                                                         "maximum": 1}}}}}}
    old = {"l": [{"k": "a", "v": 5}, {"k": "b", "v": 0}]}
    assert validate({"l": [{"k": "b", "v": 0}, {"k": "a", "v": 5}]}, lst, old) == []
    assert causes_text(validate({"l": [{"k": "b", "v": 6}, {"k": "a", "v": 5}]}, lst, old)) == [
        "l[0].v: Invalid value: 6: l[0].v in body should be less than or equal to 1"]


def test_list_types():
    schema = {"type": "object", "properties": {
        "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "objs": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "object",
                                                                             "x-kubernetes-map-type": "atomic"}},
        "map": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "map2": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a", "b"],
                 "items": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}},
        "labels": {"type": "object", "additionalProperties": {
            "type": "array", "x-kubernetes-list-type": "set", "items": {"type": "integer"}}}}}
    obj = {"set": ["x", "y", "x", "x"], "objs": [{"a": 1}, {"a": 1.0}],
           "map": [{"name": "a"}, {"name": "a"}, {}, {}],
           "map2": [{"a": "x", "b": 1}, {"a": "x", "b": 1}, {"a": "x"}],
           "labels": {"k": [1, 1]}}
    assert [(c[0], c[1]) for c in validate(obj, schema)] == [("set[2]", "FieldValueDuplicate")] * 1 + [
        ("objs[1]", "FieldValueDuplicate"), ("map[1]", "FieldValueDuplicate"), ("map[3]", "FieldValueDuplicate"),
        ("map2[1]", "FieldValueDuplicate"), ("labels[k][1]", "FieldValueDuplicate")]
    assert causes_text(validate(obj, schema)) == [
        'set[2]: Duplicate value: "x"', "objs[1]: Duplicate value: map[string]interface {}{\"a\":1}",
        'map[1]: Duplicate value: map[string]interface {}{"name":"a"}', "map[3]: Duplicate value: map[string]interface "
        "{}{}", 'map2[1]: Duplicate value: map[string]interface {}{"a":"x", "b":1}', "labels[k][1]: Duplicate value: 1"]
    assert causes_text(validate({"map": [{"name": "a"}, "b"]}, schema)) == [
        'map[1]: Invalid value: "string": map[1] in body must be of type object: "string"',
        'map[1]: Invalid value: "b": must be an object for an array of list-type map']
    # on update, list errors are only reported when the old object had none
    assert validate({"set": ["a", "a"]}, schema, {"set": ["b", "b"]}) == []


def test_embedded_resources():
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "x-kubernetes-preserve-unknown-fields": True},
        "templates": {"type": "object", "additionalProperties": {
            "type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}}}}}}
    ok = {"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"a": "b"}}}}}
    assert validate(ok, schema) == []
    bad = {"spec": {"template": {"kind": "my kind", "metadata": {"name": "a/b", "namespace": "Bad",
                                                                  "labels": {"-x": "ok"}, "generation": -1}},
                    "templates": {"one": {"apiVersion": "a/b/c", "kind": "", "metadata": {"labels": "x"}}}}}
    assert causes_text(validate(bad, schema)) == [
        "spec.template.apiVersion: Required value: must not be empty",
        'spec.template.kind: Invalid value: "my kind": may have mixed case, but should otherwise match: a DNS-1035 '
        "label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end "
        "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        "'[a-z]([-a-z0-9]*[a-z0-9])?')",
        "spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'",
        'spec.template.metadata.namespace: Invalid value: "Bad": a lowercase RFC 1123 label must consist of lower '
        "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
        "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "spec.template.metadata.generation: Invalid value: -1: must be greater than or equal to 0",
        'spec.template.metadata.labels: Invalid value: "-x": name part must consist of alphanumeric characters, '
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'spec.templates[one].apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
        'spec.templates[one].kind: Invalid value: "": must not be empty',
        'spec.templates[one].metadata: Invalid value: map[string]interface {}{"labels":"x"}: json: cannot unmarshal '
        "string into Go struct field ObjectMeta.labels of type map[string]string"]


def test_nesting_limit():
    deep = {}
    node = deep
    for _ in range(150):
        node["a"] = {}
        node = node["a"]
    assert nesting_error(deep) == ".".join(["a"] * 100)
    causes = validate(deep, {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    assert len(causes) == 1 and causes[0][1] == "FieldValueForbidden"
    assert causes[0][2] == "Forbidden: must not be nested more than 100 levels deep"
    deep_list = [[[]]]
    for _ in range(5000):
        deep_list = [deep_list]
    assert validate({"spec": deep_list}, {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    assert prune({"spec": deep_list}, {"type": "object"}) == ["spec"]
    default({"spec": deep_list}, {"type": "object", "properties": {"spec": {"type": "array", "items": {}}}})
    assert nesting_error({"a": [1, {"b": 2}]}) is None


# ---------------------------------------------------------------------------------------------------------------
# Pruning (schema/pruning/algorithm_test.go)

PRESERVE_SCHEMA = {
    "type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {
        "alpha": {"type": "string"}, "beta": {"type": "number"},
        "pruning": {"type": "object", "properties": {
            "preserving": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "pruning": {"type": "object"}}},
        "preserving": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {
            "preserving": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "preservingUnknownType": {"x-kubernetes-preserve-unknown-fields": True},
            "pruning": {"type": "object"}}},
        "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields": {
            "type": "object", "x-kubernetes-preserve-unknown-fields": True, "additionalProperties": {
                "type": "object", "properties": {"specified": {"type": "object"}}}},
        "preservingAdditionalPropertiesKeyPruneValues": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"specified": {"type": "object"}}}}}}
PRESERVE_IN = {
    "unspecified": "bar", "alpha": "abc", "beta": 42.0, "unspecifiedObject": {"unspecified": "bar"},
    "pruning": {"unspecified": "bar", "unspecifiedObject": {"unspecified": "bar"}, "pruning": {"unspecified": "bar"},
                "apiVersion": "unknown", "preserving": {"unspecified": "bar"}},
    "preserving": {"unspecified": "bar", "unspecifiedObject": {"unspecified": "bar"},
                   "pruning": {"unspecified": "bar"}, "preserving": {"unspecified": "bar"},
                   "preservingUnknownType": [{"foo": True}, {"bar": True}]},
    "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields": {
        "foo": {"specified": {"unspecified": "bar"}, "unspecified": "bar"}},
    "preservingAdditionalPropertiesKeyPruneValues": {"foo": {"specified": {"unspecified": "bar"},
                                                             "unspecified": "bar"}}}
PRESERVE_OUT = {
    "unspecified": "bar", "alpha": "abc", "beta": 42.0, "unspecifiedObject": {"unspecified": "bar"},
    "pruning": {"pruning": {}, "preserving": {"unspecified": "bar"}},
    "preserving": {"unspecified": "bar", "unspecifiedObject": {"unspecified": "bar"}, "pruning": {},
                   "preserving": {"unspecified": "bar"}, "preservingUnknownType": [{"foo": True}, {"bar": True}]},
    "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields": {"foo": {"specified": {}}},
    "preservingAdditionalPropertiesKeyPruneValues": {"foo": {"specified": {}}}}


@pytest.mark.parametrize("obj, schema, root, expected, pruned", [
    ([1, 2], {"items": {}}, False, [1, 2], []),
    ([{"a": 1}, {"b": 1}, {"a": 1, "b": 2, "c": 3}], {"items": {"properties": {"a": {}, "c": {}}}}, False,
     [{"a": 1}, {}, {"a": 1, "c": 3}], ["[1].b", "[2].b"]),
    ({"array": [{"a": 1}, {"b": 1}, {"a": 1, "b": 2, "c": 3}], "unspecified": {"a": 1},
      "specified": {"a": 1, "b": 2, "c": 3}},
     {"properties": {"array": {"items": {"properties": {"a": {}, "c": {}}}},
                     "specified": {"properties": {"a": {}, "c": {}}}}}, False,
     {"array": [{"a": 1}, {}, {"a": 1, "c": 3}], "specified": {"a": 1, "c": 3}},
     ["array[1].b", "array[2].b", "specified.b", "unspecified"]),
    (PRESERVE_IN, PRESERVE_SCHEMA, False, PRESERVE_OUT,
     ["preserving.pruning.unspecified", "preservingAdditionalPropertiesKeyPruneValues.foo.specified.unspecified",
      "preservingAdditionalPropertiesKeyPruneValues.foo.unspecified",
      "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.specified.unspecified",
      "preservingAdditionalPropertiesNotInheritingXPreserveUnknownFields.foo.unspecified", "pruning.apiVersion",
      "pruning.pruning.unspecified", "pruning.unspecified", "pruning.unspecifiedObject"]),
    ({"a": 1, "b": 1, "c": {"a": 1, "b": 2, "c": {"a": 1}}},
     {"properties": {"a": {}, "c": {"additionalProperties": {"type": "integer"}}}}, False,
     {"a": 1, "c": {"a": 1, "b": 2, "c": {}}}, ["b", "c.c.a"]),
    ({"a": 1, "b": 1, "c": {"a": 1, "b": 2, "c": {"a": 1, "apiVersion": "unknown"}}},
     {"properties": {"a": {}, "c": {"additionalProperties": False}}}, False,
     {"a": 1, "c": {"a": 1, "b": 2, "c": {}}}, ["b", "c.c.a", "c.c.apiVersion"]),
    ({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "x"}, "spec": {"a": 1, "b": 2}, "x": 1},
     {"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {}}}}}, True,
     {"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "x"}, "spec": {"a": 1}}, ["spec.b", "x"]),
])
def test_prune_upstream(obj, schema, root, expected, pruned):
    obj = copy.deepcopy(obj)
    assert prune(obj, schema, resource_root=root) == pruned
    assert obj == expected


def test_prune_embedded_resources():
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "embedded": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {
            "spec": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        "preserved": {"type": "object", "x-kubernetes-embedded-resource": True,
                      "x-kubernetes-preserve-unknown-fields": True}}}}}
    obj = {"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "x", "unknown": 1},
           "spec": {"embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "bogus": 1,
                                                                                   "labels": {}},
                                 "spec": {"a": "x", "b": "y"}, "status": {}},
                    "preserved": {"kind": "Pod", "anything": {"goes": True}}}}
    assert prune(obj, schema) == ["spec.embedded.spec.b", "spec.embedded.status", "spec.embedded.metadata.bogus"]
    assert obj["spec"]["embedded"] == {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                       "spec": {"a": "x"}}
    assert obj["spec"]["preserved"] == {"kind": "Pod", "anything": {"goes": True}}
    assert obj["metadata"] == {"name": "x", "unknown": 1}      # the root's metadata is the caller's


# ---------------------------------------------------------------------------------------------------------------
# Defaulting (schema/defaulting/algorithm_test.go)

@pytest.mark.parametrize("obj, schema, expected", [
    (None, {}, None),
    (4, {"default": "foo"}, 4),
    ([1, 2], {"items": {"default": "foo"}}, [1, 2]),
    ([{"a": 1}, {"b": 1}, {"c": 1}],
     {"items": {"properties": {"a": {"default": "A"}, "b": {"default": "B"}, "c": {"default": "C"}}}},
     [{"a": 1, "b": "B", "c": "C"}, {"a": "A", "b": 1, "c": "C"}, {"a": "A", "b": "B", "c": 1}]),
    ({"array": [{"a": 1}, {"b": 2}], "object": {"a": 1}, "additionalProperties": {"x": {"a": 1}, "y": {"b": 2}}},
     {"properties": {"array": {"items": {"properties": {"a": {"default": "A"}, "b": {"default": "B"}}}},
                     "object": {"properties": {"a": {"default": "N"}, "b": {"default": "O"}}},
                     "additionalProperties": {"additionalProperties": {
                         "properties": {"a": {"default": "alpha"}, "b": {"default": "beta"}}}},
                     "foo": {"default": "bar"}}},
     {"array": [{"a": 1, "b": "B"}, {"a": "A", "b": 2}], "object": {"a": 1, "b": "O"},
      "additionalProperties": {"x": {"a": 1, "b": "beta"}, "y": {"a": "alpha", "b": 2}}, "foo": "bar"}),
    ([{}, {"a": 1}, {"a": 0}, {"a": 0.0}, {"a": ""}, {"a": None}, {"a": []}, {"a": {}}],
     {"items": {"properties": {"a": {"default": "A"}}}},
     [{"a": "A"}, {"a": 1}, {"a": 0}, {"a": 0.0}, {"a": ""}, {"a": "A"}, {"a": []}, {"a": {}}]),
    ([None], {"nullable": True, "items": {"properties": {"a": {"default": "A"}}}}, [None]),
    ([None], {"items": {"default": "A"}}, ["A"]),
    ({"a": None}, {"properties": {"a": {"nullable": True, "default": "A"}}}, {"a": None}),
    ({"a": None}, {"properties": {"a": {"default": "A"}}}, {"a": "A"}),
    ({"a": None}, {"additionalProperties": {"nullable": True, "default": "A"}}, {"a": None}),
    ({"a": None}, {"additionalProperties": {"default": "A"}}, {"a": "A"}),
])
def test_default_upstream(obj, schema, expected):
    obj = copy.deepcopy(obj)
    default(obj, schema)
    assert obj == expected


def test_defaults_are_copies_and_top_down():
    schema = {"properties": {"spec": {"type": "object", "default": {}, "properties": {
        "list": {"type": "array", "default": [{"x": 1}], "items": {"properties": {"y": {"default": 2}}}}}}}}
    a, b = {}, {}
    default(a, schema)
    default(b, schema)
    assert a == {"spec": {"list": [{"x": 1, "y": 2}]}}
    a["spec"]["list"][0]["x"] = 5
    assert b["spec"]["list"][0]["x"] == 1
    assert schema["properties"]["spec"]["properties"]["list"]["default"] == [{"x": 1}]


def test_drop_nulls():
    schema = {"properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True},
                             "c": {"type": "string", "default": "C"},
                             "m": {"additionalProperties": {"type": "string"}},
                             "l": {"items": {"type": "string"}}}}
    obj = {"a": None, "b": None, "c": None, "d": None, "m": {"k": None}, "l": [None]}
    drop_nulls(obj, schema)
    assert obj == {"b": None, "c": None, "d": None, "m": {}, "l": [None]}
    default(obj, schema)
    assert obj["c"] == "C"


# ---------------------------------------------------------------------------------------------------------------
# Structural schemas (schema/validation.go, complete.go)

@pytest.mark.parametrize("schema, expected", [
    ({"type": "object", "properties": {"spec": {"properties": {"x": {"type": "string"}}}}},
     ["properties[spec].type: Required value: must not be empty for specified object fields"]),
    ({"type": "object", "properties": {"a": {"type": "array"}}},
     ["properties[a].items: Required value: must be specified"]),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {}}}},
     ["properties[a].items.type: Required value: must not be empty for specified array items"]),
    ({}, ["type: Required value: must not be empty at the root"]),
    ({"type": "string"}, ['type: Invalid value: "string": must be object at the root']),
    ({"type": "object", "additionalProperties": {"type": "string"}},
     ["additionalProperties: Forbidden: must not be used at the root"]),
    ({"type": "object", "properties": {"a": {"x-kubernetes-int-or-string": True,
                                             "x-kubernetes-preserve-unknown-fields": True}}},
     ["properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if "
      "x-kubernetes-int-or-string is true"]),
    ({"type": "object", "properties": {"a": {"x-kubernetes-embedded-resource": True}}},
     ["properties[a].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without "
      "x-kubernetes-preserve-unknown-fields",
      "properties[a].type: Required value: must be object if x-kubernetes-embedded-resource is true"]),
    ({"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-embedded-resource": True,
                                             "x-kubernetes-preserve-unknown-fields": True,
                                             "properties": {"kind": {"type": "integer"}}}}},
     ['properties[a].properties[kind].type: Invalid value: "integer": must be string']),
    ({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}}},
     ["properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is "
      "implicitly specified"]),
    ({"type": "object", "properties": {"metadata": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 10}}}}}, []),
    ({"type": "object", "properties": {"metadata": {"type": "string"}}},
     ['properties[metadata].type: Invalid value: "string": must be object']),
    ({"type": "object", "properties": {"a": {"type": "string", "anyOf": [
        {"type": "string", "description": "d", "default": "x", "nullable": True,
         "x-kubernetes-preserve-unknown-fields": True, "x-kubernetes-list-type": "set", "properties": {
             "metadata": {}}}]}}},
     ["properties[a].anyOf[0].default: Forbidden: must be undefined to be structural",
      "properties[a].anyOf[0].description: Forbidden: must be empty to be structural",
      "properties[a].anyOf[0].nullable: Forbidden: must be false to be structural",
      "properties[a].anyOf[0].properties[metadata]: Forbidden: must not be specified in a nested context",
      "properties[a].anyOf[0].type: Forbidden: must be empty to be structural",
      "properties[a].anyOf[0].x-kubernetes-list-type: Forbidden: must be undefined to be structural",
      "properties[a].anyOf[0].x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural"]),
    ({"type": "object", "properties": {"a": {"x-kubernetes-int-or-string": True, "anyOf": [
        {"type": "integer"}, {"type": "string"}]}}}, []),
    ({"type": "object", "properties": {"a": {"x-kubernetes-int-or-string": True, "allOf": [{"anyOf": [
        {"type": "integer"}, {"type": "string"}]}, {"maximum": 3}]}}}, []),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(a"}}},
     ['properties[a].pattern: Invalid value: "(a": must be a valid regular expression, but isn\'t: error parsing '
      "regexp: missing closing ): `(a`"]),
    # completeness (schema/validation_test.go)
    ({"type": "object", "properties": {"bar": {"type": "string"}}, "allOf": [{"properties": {"foo": {
        "minLength": 2}}}]},
     ["properties[foo]: Required value: because it is defined in allOf[0].properties[foo]"]),
    ({"type": "object", "properties": {"bar": {"type": "string"}}, "anyOf": [{"properties": {"bar": {
        "items": {"minLength": 2}}}}]},
     ["properties[bar].items: Required value: because it is defined in anyOf[0].properties[bar].items"]),
])
def test_structural(schema, expected):
    assert causes_text(structural_errors(schema)) == expected


# ---------------------------------------------------------------------------------------------------------------
# CRD validation

CRONTAB = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
        "group": "stable.example.com", "scope": "Namespaced",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {
                    "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
                    "image": {"type": "string"},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1}}},
                "status": {"type": "object", "properties": {"replicas": {"type": "integer"},
                                                            "labelSelector": {"type": "string"}}}}}},
            "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                     "statusReplicasPath": ".status.replicas",
                                                     "labelSelectorPath": ".status.labelSelector"}},
            "additionalPrinterColumns": [{"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                                         {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]}]}}


def crontab(**changes):
    crd = copy.deepcopy(CRONTAB)
    for path, value in changes.items():
        node = crd
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if value is KeyError:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return crd


def version_schema(crd):
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def test_crontab_end_to_end():
    assert validate_crd(CRONTAB) == []
    schema = version_schema(CRONTAB)
    obj = {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "my-new-cron-object"},
           "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "extra": True}}
    assert prune(obj, schema) == ["spec.extra"]
    drop_nulls(obj, schema)
    default(obj, schema)
    assert obj["spec"] == {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 1}
    assert validate(obj, schema) == []
    obj["spec"].update(replicas=11, cronSpec="every minute")
    assert causes_text(validate(obj, schema)) == [
        "spec.cronSpec: Invalid value: \"every minute\": spec.cronSpec in body should match "
        "'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'",
        "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"]
    status = {"replicas": "one"}
    assert causes_text(validate(status, schema["properties"]["status"], root="status")) == [
        'status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"']
    assert validate_crd_status({"spec": CRONTAB["spec"], "status": {"storedVersions": ["v1"]}}) == []


def test_crd_single_version_errors_are_reported_at_spec_validation():
    # the internal CRD hoists identical per-version schemas, subresources and columns (v1 conversion)
    crd = crontab()
    version_schema(crd)["properties"]["spec"]["properties"]["foo"] = {"properties": {"bar": {}}}
    crd["spec"]["versions"][0]["subresources"]["scale"]["specReplicasPath"] = ".status.replicas"
    crd["spec"]["versions"][0]["additionalPrinterColumns"][0]["type"] = "str"
    assert validate_crd(crd) == [
        ("spec.validation.openAPIV3Schema.properties[spec].properties[foo].properties[bar].type", "FieldValueRequired",
         "Required value: must not be empty for specified object fields"),
        ("spec.validation.openAPIV3Schema.properties[spec].properties[foo].type", "FieldValueRequired",
         "Required value: must not be empty for specified object fields"),
        ("spec.subresources.scale.specReplicasPath", "FieldValueInvalid",
         'Invalid value: ".status.replicas": should be a json path under .spec'),
        ("spec.additionalPrinterColumns[0].type", "FieldValueInvalid",
         'Invalid value: "str": must be one of boolean,date,integer,number,string')]


def test_crd_multi_version_errors_are_reported_per_version():
    crd = crontab()
    v2 = copy.deepcopy(crd["spec"]["versions"][0])
    v2.update(name="v2", storage=False)
    v2["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["x"] = {}
    crd["spec"]["versions"].append(v2)
    assert causes_text(validate_crd(crd)) == [
        "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[x].type: Required value: must not be "
        "empty for specified object fields"]


def test_crd_spec_errors():
    crd = crontab(metadata__name="x.y", spec__group="example", spec__scope="Global",
                  spec__versions__0__storage=False, spec__names__kind="Cron Tab",
                  spec__names__shortNames=["ok", "Bad"], spec__names__categories=["all", "9"])
    texts = causes_text(validate_crd(crd))
    assert texts[:3] == [
        'metadata.name: Invalid value: "x.y": must be spec.names.plural+"."+spec.group',
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']
    assert texts[3].startswith("spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{"
                               'apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false')
    assert texts[3].endswith("}}: must have exactly one version marked as storage version")
    assert texts[4].startswith('spec.names.kind: Invalid value: "Cron Tab": may have mixed case, but should otherwise '
                               "match: a DNS-1035 label must consist of")
    assert texts[5].startswith('spec.names.listKind: Invalid value: "Cron TabList": may have mixed case')
    assert texts[6].startswith('spec.names.shortNames[1]: Invalid value: "Bad": a DNS-1035 label')
    assert texts[7].startswith('spec.names.categories[1]: Invalid value: "9": a DNS-1035 label')
    assert len(texts) == 8


def test_crd_required_fields():
    crd = {"metadata": {"name": "a"}, "spec": {"versions": [{"name": "v1", "served": True, "storage": True}]}}
    assert causes_text(validate_crd(crd)) == [
        'metadata.name: Invalid value: "a": must be spec.names.plural+"."+spec.group',
        "spec.group: Required value", "spec.scope: Required value",
        "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
        "spec.names.plural: Required value", "spec.names.singular: Required value", "spec.names.kind: Required value",
        "spec.names.listKind: Required value"]
    crd = crontab()
    crd["spec"]["versions"].append(dict(copy.deepcopy(crd["spec"]["versions"][0]), storage=False))
    assert causes_text(validate_crd(crd))[0].endswith("must contain unique version names")
    crd = crontab(spec__versions__0__name="V1")
    assert causes_text(validate_crd(crd)) == [
        'spec.versions[0].name: Invalid value: "V1": a DNS-1035 label must consist of lower case alphanumeric '
        "characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
        "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        'spec.version: Invalid value: "V1": a DNS-1035 label must consist of lower case alphanumeric characters or '
        "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]


def test_crd_schema_rules():
    crd = crontab()
    s = version_schema(crd)
    s["properties"]["spec"]["properties"].update({
        "u": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
        "t": {"type": "null"},
        "both": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}},
        "lm": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object", "properties": {
            "k": {"type": "string"}}}},
        "mt": {"type": "string", "x-kubernetes-map-type": "atomic"},
        "p": {"type": "object", "x-kubernetes-preserve-unknown-fields": False},
        "v": {"type": "string", "x-kubernetes-validations": [{"rule": " "}, {"rule": "self.size() > 1",
                                                                             "reason": "Nope"}]}})
    texts = causes_text(validate_crd(crd))
    prefix = "spec.validation.openAPIV3Schema.properties[spec].properties"
    for expected in [
        f"{prefix}[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes "
        "quadratic",
        f'{prefix}[t].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", '
        '"object", "string"',
        f"{prefix}[t].type: Forbidden: type cannot be set to null, use nullable as an alternative",
        f"{prefix}[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
        f"{prefix}[lm].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
        f'{prefix}[mt].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified',
        f"{prefix}[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined",
        f"{prefix}[v].x-kubernetes-validations[0].rule: Required value: rule is not specified",
        f'{prefix}[v].x-kubernetes-validations[1].reason: Unsupported value: "Nope": supported values: '
        '"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"']:
        assert expected in texts


def test_crd_status_subresource_root_schema():
    crd = crontab()
    version_schema(crd)["additionalProperties"] = True
    texts = causes_text(validate_crd(crd))
    assert texts[0].startswith("spec.validation.openAPIV3Schema: Invalid value: apiextensions.JSONSchemaProps{ID:\"\"")
    assert texts[0].endswith("}: only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum "
                             "MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items "
                             "Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed "
                             "at the root of the schema if the status subresource is enabled")
    assert texts[1] == "spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root"
    crd = crontab()
    version_schema(crd)["nullable"] = True
    assert "spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root" in \
        causes_text(validate_crd(crd))


def test_crd_defaults():
    crd = crontab()
    version_schema(crd)["properties"]["spec"]["properties"]["replicas"]["default"] = 0
    assert causes_text(validate_crd(crd)) == [
        "spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: 0:  in body "
        "should be greater than or equal to 1"]
    crd = crontab()
    version_schema(crd)["properties"]["metadata"] = {"type": "object", "default": {"name": "x"}}
    assert causes_text(validate_crd(crd)) == [
        "spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level "
        "metadata"]


def test_crd_defaults_upstream_table():
    # TestValidateCustomResourceDefinition "defaults with enabled feature gate, unstructural schema" neighbours:
    # only the (type, field) pairs are asserted upstream
    properties = {
        "a": {"type": "object", "properties": {"foo": {"type": "string"}}, "default": {"foo": "abc", "bar": 42}},
        "b": {"type": "object", "properties": {"foo": {"type": "string"}}, "default": {"foo": "abc"}},
        "c": {"type": "object", "properties": {"foo": {"type": "string"}}, "default": {"foo": 42}},
        "d": {"type": "object", "properties": {"good": {"type": "string", "pattern": "a"},
                                               "bad": {"type": "string", "pattern": "b"}},
              "default": {"good": "a", "bad": "a"}},
        "e": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {
            "preserveUnknownFields": {"type": "object", "default": {"foo": "abc", "bar": 42}},
            "nestedProperties": {"type": "object", "properties": {"foo": {"type": "string"}},
                                 "default": {"foo": "abc", "bar": 42}}}},
        "embedded-fine": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {
            "foo": {"type": "string"}}, "default": {"foo": "abc", "apiVersion": "foo/v1", "kind": "v1",
                                                   "metadata": {"name": "foo"}}},
        "embedded-preserve": {"type": "object", "x-kubernetes-embedded-resource": True,
                              "x-kubernetes-preserve-unknown-fields": True, "properties": {"foo": {"type": "string"}},
                              "default": {"foo": "abc", "apiVersion": "foo/v1", "kind": "v1",
                                          "metadata": {"name": "foo"}, "bar": 42}},
        "embedded-preserve-unpruned-objectmeta": {
            "type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True,
            "properties": {"foo": {"type": "string"}},
            "default": {"foo": "abc", "apiVersion": "foo/v1", "kind": "v1",
                        "metadata": {"name": "foo", "unspecified": "bar"}, "bar": 42}}}
    crd = {"metadata": {"name": "plural.group.com"}, "spec": {
        "group": "group.com", "scope": "Namespaced",
        "names": {"plural": "plural", "singular": "singular", "kind": "Plural", "listKind": "PluralList"},
        "versions": [{"name": "version", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": properties}}}]}}
    prefix = "spec.validation.openAPIV3Schema."
    assert [(c[1], c[0]) for c in validate_crd(crd)] == [
        ("FieldValueInvalid", prefix + "properties[a].default"),
        ("FieldValueTypeInvalid", prefix + "properties[c].default.foo"),
        ("FieldValueInvalid", prefix + "properties[d].default.bad"),
        ("FieldValueInvalid", prefix + "properties[e].properties[preserveUnknownFields].default"),
        ("FieldValueInvalid", prefix + "properties[e].properties[nestedProperties].default")]


def test_crd_embedded_metadata_defaults():
    crd = crontab()
    version_schema(crd)["properties"]["spec"]["properties"]["embedded"] = {
        "type": "object", "x-kubernetes-embedded-resource": True, "properties": {
            "kind": {"type": "string", "default": "%"},
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "default": "a/b"}}}}}
    assert causes_text(validate_crd(crd)) == [
        'spec.validation.openAPIV3Schema.properties[spec].properties[embedded].properties[kind].default: Invalid '
        'value: "%": must result in valid metadata: kind: Invalid value: "%": may have mixed case, but should '
        "otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
        "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "spec.validation.openAPIV3Schema.properties[spec].properties[embedded].properties[metadata].properties[name]."
        'default: Invalid value: "a/b": must result in valid metadata: metadata.name: Invalid value: "a/b": may not '
        "contain '/'"]


def test_crd_conversion():
    crd = crontab(spec__conversion={"strategy": "Webhook"})
    assert causes_text(validate_crd(crd)) == [
        "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
        "spec.conversion.conversionReviewVersions: Required value"]
    crd = crontab(spec__conversion={"strategy": "Webhook", "webhook": {
        "clientConfig": {"url": "http://user@host/path?q=1#f"}, "conversionReviewVersions": ["v1", "v1"]}})
    assert causes_text(validate_crd(crd)) == [
        "spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; "
        "desired format: https://host[/path]",
        'spec.conversion.webhookClientConfig.url: Invalid value: "user": user information is not permitted in the '
        "URL",
        'spec.conversion.webhookClientConfig.url: Invalid value: "f": fragments are not permitted in the URL',
        'spec.conversion.webhookClientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL',
        'spec.conversion.conversionReviewVersions[1]: Invalid value: "v1": duplicate version']
    crd = crontab(spec__conversion={"strategy": "Webhook", "webhook": {
        "clientConfig": {"service": {"name": "svc", "namespace": "ns", "path": "/Bad//x", "port": 0}},
        "conversionReviewVersions": ["v3"]}})
    texts = causes_text(validate_crd(crd))
    assert texts[0] == ("spec.conversion.webhookClientConfig.service.port: Invalid value: 0: port is not valid: must "
                        "be between 1 and 65535, inclusive")
    assert texts[1].startswith('spec.conversion.webhookClientConfig.service.path: Invalid value: "/Bad//x": '
                               "segment[0]: a lowercase RFC 1123 subdomain")
    assert texts[2] == ('spec.conversion.webhookClientConfig.service.path: Invalid value: "/Bad//x": segment[1] may '
                        "not be empty")
    assert texts[3] == ('spec.conversion.conversionReviewVersions: Invalid value: []string{"v3"}: must include at '
                        "least one of v1, v1beta1")
    crd = crontab(spec__conversion={"strategy": "None", "webhook": {"conversionReviewVersions": ["v1"]}})
    assert causes_text(validate_crd(crd)) == [
        "spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook"]
    crd = crontab(spec__conversion={"strategy": "Other"})
    assert causes_text(validate_crd(crd)) == [
        'spec.conversion.strategy: Unsupported value: "Other": supported values: "None", "Webhook"']


def test_crd_protected_groups_need_approval():
    crd = crontab(spec__group="stable.k8s.io", metadata__name="crontabs.stable.k8s.io")
    assert validate_crd(crd) == [(
        "metadata.annotations[api-approved.kubernetes.io]", "FieldValueRequired",
        'Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see '
        "https://github.com/kubernetes/enhancements/pull/1111")]
    crd["metadata"]["annotations"] = {"api-approved.kubernetes.io": "yes"}
    assert causes_text(validate_crd(crd)) == [
        'metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval '
        'annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see '
        "https://github.com/kubernetes/enhancements/pull/1111"]
    for ok in ("https://github.com/kubernetes/kubernetes/pull/78458", "unapproved, experimental-only"):
        crd["metadata"]["annotations"] = {"api-approved.kubernetes.io": ok}
        assert validate_crd(crd) == []
    # an update that leaves the approval state alone is not checked again
    old = crontab(spec__group="stable.k8s.io", metadata__name="crontabs.stable.k8s.io")
    new = copy.deepcopy(old)
    assert validate_crd(new, old) == []


def test_crd_update_immutable_fields():
    old = crontab()
    old["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
    new = crontab(spec__group="other.example.com", spec__scope="Cluster", spec__names__kind="Other",
                  spec__names__plural="others")
    assert causes_text(validate_crd(new, old)) == [
        'spec.scope: Invalid value: "Cluster": field is immutable',
        'spec.names.kind: Invalid value: "Other": field is immutable',
        'spec.group: Invalid value: "other.example.com": field is immutable',
        'spec.names.plural: Invalid value: "others": field is immutable']
    old.pop("status")
    assert len(validate_crd(new, old)) == 2
    assert causes_text(validate_crd(crontab(spec__preserveUnknownFields=True))) == [
        "spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema",
        "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields "
        "to true in spec.versions[*].schema instead"]


def test_crd_selectable_fields():
    crd = crontab(spec__versions__0__selectableFields=[{"jsonPath": ".spec.image"}, {"jsonPath": ".spec.nope"},
                                                       {"jsonPath": ".metadata.name"}, {"jsonPath": ".spec"},
                                                       {"jsonPath": ".spec.image"}, {"jsonPath": ""}])
    assert causes_text(validate_crd(crd)) == [
        'spec.selectableFields[1].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a '
        "valid field",
        'spec.selectableFields[2].jsonPath: Invalid value: ".metadata.name": is an invalid path: does not refer to a '
        "valid field",
        'spec.selectableFields[3].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or '
        "integer. Enum string fields and strings with formats are allowed.",
        'spec.selectableFields[4].jsonPath: Duplicate value: ".spec.image"',
        "spec.selectableFields[5].jsonPath: Required value"]


def test_crd_status_validation():
    assert validate_crd_status({"spec": CRONTAB["spec"], "status": {}}) == [
        ("status.storedVersions", "FieldValueInvalid",
         "Invalid value: []string(nil): must have at least one stored version")]
    assert causes_text(validate_crd_status({"spec": CRONTAB["spec"], "status": {"storedVersions": ["v0"]}})) == [
        'status.storedVersions: Invalid value: []string{"v0"}: must have the storage version v1',
        'status.storedVersions[0]: Invalid value: "v0": must appear in spec.versions']


def test_crd_deprecation_warning():
    crd = crontab(spec__versions__0__deprecationWarning="old")
    assert causes_text(validate_crd(crd)) == [
        'spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions']
    crd = crontab(spec__versions__0__deprecated=True, spec__versions__0__deprecationWarning="a\tb")
    assert causes_text(validate_crd(crd)) == [
        'spec.versions[0].deprecationWarning: Invalid value: "a\\tb": must only contain printable UTF-8 characters; '
        "non-printable character found at index 1"]


def test_malformed_input_does_not_raise():
    for crd in ({}, {"spec": None}, {"spec": {"versions": [None, 1, {"schema": 3}]}}, {"spec": {"names": []}},
                {"metadata": "x", "spec": {"versions": [{"name": 1, "schema": {"openAPIV3Schema": {
                    "type": 5, "properties": [], "items": "x", "required": "a", "enum": {}}}}]}}):
        validate_crd(crd)
        validate_crd(crd, crd)
        validate_crd_status(crd)
    for schema in ({"type": 5}, {"properties": [], "items": [1]}, {"maximum": "x", "pattern": 3, "enum": {}},
                   {"additionalProperties": "x", "allOf": [1, None]}):
        for obj in (None, 1, "x", [], {}, {"a": [1, {"b": None}]}):
            validate(obj, schema)
            prune(copy.deepcopy(obj), schema)
            default(copy.deepcopy(obj), schema)
            drop_nulls(copy.deepcopy(obj), schema)


# ---------------------------------------------------------------------------------------------------------------
# Properties: nothing raises for random objects against random small schemas


def _strategies():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
    values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                        st.dictionaries(st.sampled_from("abcxyz"), c, max_size=4)),
                          max_leaves=12)
    leaf = st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["string", "integer", "number", "boolean", "object", "array", ""]),
        "nullable": st.booleans(), "default": values, "enum": st.lists(scalars, max_size=3),
        "format": st.sampled_from(["date", "date-time", "uri", "ipv4", "int32", "byte", "email", "duration"]),
        "pattern": st.sampled_from(["^a", "[0-9]+$", "(x|y)*", "+", "\\pL"]),
        "minimum": st.integers(-5, 5), "maximum": st.floats(-5, 5), "multipleOf": st.sampled_from([0.5, 2, 0]),
        "exclusiveMinimum": st.booleans(), "minLength": st.integers(0, 3), "maxLength": st.integers(0, 3),
        "minItems": st.integers(0, 2), "maxItems": st.integers(0, 2), "uniqueItems": st.booleans(),
        "x-kubernetes-int-or-string": st.booleans(), "x-kubernetes-preserve-unknown-fields": st.booleans(),
        "x-kubernetes-embedded-resource": st.booleans(),
        "x-kubernetes-list-type": st.sampled_from(["set", "map", "atomic"]),
        "x-kubernetes-list-map-keys": st.lists(st.sampled_from("abx"), max_size=2),
        "required": st.lists(st.sampled_from("abcxyz"), max_size=2)})
    schemas = st.recursive(leaf, lambda c: st.one_of(
        st.builds(lambda s, p: dict(s, properties=p), leaf, st.dictionaries(st.sampled_from("abcxyz"), c,
                                                                            max_size=3)),
        st.builds(lambda s, i: dict(s, items=i), leaf, c),
        st.builds(lambda s, a: dict(s, additionalProperties=a), leaf, st.one_of(st.booleans(), c)),
        st.builds(lambda s, a, k: dict(s, **{k: a}), leaf, st.lists(c, min_size=1, max_size=2),
                  st.sampled_from(["allOf", "anyOf", "oneOf"])),
        st.builds(lambda s, n: dict(s, **{"not": n}), leaf, c)), max_leaves=6)
    return hypothesis, st, values, schemas


def test_property_nothing_raises():
    hypothesis, st, values, schemas = _strategies()

    @hypothesis.settings(max_examples=300, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(obj=values, old=values, schema=schemas)
    def check(obj, old, schema):
        causes = validate(copy.deepcopy(obj), schema, old)
        assert all(isinstance(c, tuple) and len(c) == 3 and all(isinstance(p, str) for p in c) for c in causes)
        pruned_obj = copy.deepcopy(obj)
        paths = prune(pruned_obj, schema)
        assert all(isinstance(p, str) for p in paths)
        drop_nulls(pruned_obj, schema)
        default(pruned_obj, schema)
        json.dumps(pruned_obj)
        structural_errors(schema, "s")
        crd = crontab()
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = schema
        validate_crd(crd)

    check()


def test_property_pruned_and_defaulted_objects_are_stable():
    hypothesis, st, values, schemas = _strategies()

    @hypothesis.settings(max_examples=200, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(obj=st.dictionaries(st.sampled_from("abcxyz"), values, max_size=4), schema=schemas)
    def check(obj, schema):
        prune(obj, schema)
        again = copy.deepcopy(obj)
        assert prune(again, schema) == []    # pruning is idempotent
        assert again == obj
        # ratcheting only ever drops errors: an update that changes nothing reports a subset of create's errors
        assert set(validate(obj, schema, copy.deepcopy(obj))) <= set(validate(obj, schema))

    check()
