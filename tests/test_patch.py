"""PATCH formats (apiserver.endpoints.patch): RFC 6902 JSON patch, RFC 7386 merge patch and strategic merge
patch, with the results and errors of kube-apiserver 1.32 (evanphx/json-patch v4, apimachinery strategicpatch)."""

import copy

import pytest

from apiserver.codec import json as kjson
from apiserver.endpoints.patch import (
    INVALID_MESSAGE,
    PANIC_MESSAGE,
    PatchError,
    json_patch,
    json_patch_strict_errors,
    merge_patch,
    strategic_merge_patch,
)

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"


def apply_failure(doc, ops, **kwargs):
    """The PatchError of a JSON patch whose operations fail: always upstream's generic 422."""
    with pytest.raises(PatchError) as info:
        json_patch(doc, ops, **kwargs)
    err = info.value
    assert (err.code, err.reason, err.message, err.details) == (422, "Invalid", INVALID_MESSAGE, {})
    return err.cause


# -- RFC 6902 Appendix A --------------------------------------------------------------------------------------

RFC6902_EXAMPLES = [
    ("A.1 add an object member", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("A.2 add an array element", {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("A.3 remove an object member", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ("A.4 remove an array element", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("A.5 replace a value", {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("A.6 move a value", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7 move an array element", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}], {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8 test a value: success", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.10 add a nested member object", {"foo": "bar"},
     [{"op": "add", "path": "/child", "value": {"grandchild": {}}}], {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11 ignore unrecognized elements", {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}], {"foo": "bar", "baz": "qux"}),
    ("A.14 ~ escape ordering", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ("A.16 add an array value", {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
]


@pytest.mark.parametrize("doc,ops,expected", [c[1:] for c in RFC6902_EXAMPLES], ids=[c[0] for c in RFC6902_EXAMPLES])
def test_rfc6902_examples(doc, ops, expected):
    before = copy.deepcopy((doc, ops))
    assert json_patch(doc, ops) == expected
    assert (doc, ops) == before  # inputs untouched


def test_rfc6902_a9_test_failure():
    cause = apply_failure({"baz": "qux", "foo": ["a", 2, "c"]}, [{"op": "test", "path": "/baz", "value": "bar"}])
    assert cause == "testing value /baz failed: test failed"


def test_rfc6902_a12_add_to_nonexistent_target():
    cause = apply_failure({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}])
    assert cause == 'add operation does not apply: doc is missing path: "/baz/bat": missing value'


def test_rfc6902_a13_invalid_patch_document():
    # a repeated "op": Go and our decoder keep the last one, so this is a remove of a missing member; strict
    # decoding reports the duplicate (a warning by default, part of the 422 with fieldValidation=Strict)
    body = b'[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]'
    ops, duplicates = kjson.loads(body)
    assert (ops, duplicates) == ([{"op": "remove", "path": "/baz", "value": "qux"}], ["[0].op"])
    assert json_patch_strict_errors(kjson.loads_pairs(body)) == ['json patch duplicate field "[0].op"']
    cause = apply_failure({"foo": "bar"}, ops)
    assert cause == "error in remove for path: '/baz': Unable to remove nonexistent key: baz: missing value"


def test_rfc6902_a15_strings_and_numbers_differ():
    cause = apply_failure({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}])
    assert cause == "testing value /~01 failed: test failed"


def test_rfc6902_a11_unknown_member_is_a_strict_error():
    assert json_patch_strict_errors([{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}]) == [
        'json patch unknown field "[0].xyz"']


# -- JSON patch: upstream's decoding, limits and library behaviour ----------------------------------------------

@pytest.mark.parametrize("ops,message", [
    ({"op": "add"}, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
    ("x", "error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp"),
    ([{"op": "add", "path": "/a"}, 5],
     "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
    ([["add"]], "error decoding patch: json: cannot unmarshal array into Go value of type handlers.jsonPatchOp"),
    ([{"op": "add", "path": 1}],
     "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string"),
    ([{"op": True}],
     "error decoding patch: json: cannot unmarshal bool into Go struct field jsonPatchOp.op of type string"),
    ([{"op": "move", "from": {}}],
     "error decoding patch: json: cannot unmarshal object into Go struct field jsonPatchOp.from of type string"),
])
def test_json_patch_undecodable_is_bad_request(ops, message):
    with pytest.raises(PatchError) as info:
        json_patch({"a": 1}, ops)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", message)


@pytest.mark.parametrize("ops,message", [
    ({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ([3], "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
])
def test_json_patch_undecodable_without_strict_decoding(ops, message):
    with pytest.raises(PatchError) as info:
        json_patch({"a": 1}, ops, strict=False)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", message)


def test_json_patch_operation_limit():
    ops = [{"op": "test", "path": "/a", "value": 1}] * 10000
    assert json_patch({"a": 1}, ops) == {"a": 1}
    with pytest.raises(PatchError) as info:
        json_patch({"a": 1}, ops + ops[:1])
    assert (info.value.code, info.value.reason, info.value.message) == (
        413, "RequestEntityTooLarge",
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001")


def test_json_patch_null_and_empty_patches_change_nothing():
    assert json_patch({"a": 1}, None) == {"a": 1}
    assert json_patch({"a": 1}, []) == {"a": 1}


@pytest.mark.parametrize("ops,cause", [
    ([{"op": "bogus", "path": "/a"}], "Unexpected kind: bogus"),
    ([{"path": "/a"}], "Unexpected kind: unknown"),
    ([None], "Unexpected kind: unknown"),
    ([{"op": "add", "value": 1}], "add operation failed to decode path: missing value"),
    ([{"op": "remove", "path": None}], "remove operation failed to decode path: missing value"),
    ([{"op": "replace", "value": 1}],
     "replace operation failed to decode path: operation missing path field: missing value"),
    ([{"op": "test", "value": 1}], "test operation failed to decode path: operation missing path field: missing value"),
    ([{"op": "move", "path": "/b"}],
     "move operation failed to decode from: operation, missing from field: missing value"),
    ([{"op": "copy", "path": "/b"}],
     "copy operation failed to decode from: operation, missing from field: missing value"),
    ([{"op": "copy", "from": "/a"}], "copy operation failed to decode path: missing value"),
    ([{"op": "add", "path": "", "value": {}}], 'add operation does not apply: doc is missing path: "": missing value'),
    ([{"op": "remove", "path": ""}], 'remove operation does not apply: doc is missing path: "": missing value'),
    ([{"op": "remove", "path": "/nope"}],
     "error in remove for path: '/nope': Unable to remove nonexistent key: nope: missing value"),
    ([{"op": "remove", "path": "/l/5"}],
     "error in remove for path: '/l/5': Unable to access invalid index: 5: invalid index referenced"),
    ([{"op": "remove", "path": "/l/-"}],
     "error in remove for path: '/l/-': strconv.Atoi: parsing \"-\": invalid syntax"),
    ([{"op": "add", "path": "/l/x", "value": 1}],
     "error in add for path: '/l/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": "
     "invalid syntax"),
    ([{"op": "add", "path": "/l/99999999999999999999", "value": 1}],
     "error in add for path: '/l/99999999999999999999': value was not a proper array index: '99999999999999999999': "
     "strconv.Atoi: parsing \"99999999999999999999\": value out of range"),
    ([{"op": "add", "path": "/l/4", "value": 1}],
     "error in add for path: '/l/4': Unable to access invalid index: 4: invalid index referenced"),
    ([{"op": "add", "path": "/l/-5", "value": 1}],
     "error in add for path: '/l/-5': Unable to access invalid index: -5: invalid index referenced"),
    ([{"op": "replace", "path": "/l/3", "value": 1}],
     "replace operation does not apply: doc is missing key: /l/3: missing value"),
    ([{"op": "replace", "path": "/x/y", "value": 1}],
     "replace operation does not apply: doc is missing path: /x/y: missing value"),
    ([{"op": "move", "from": "/x/y", "path": "/b"}],
     "move operation does not apply: doc is missing from path: /x/y: missing value"),
    ([{"op": "move", "from": "/nope", "path": "/b"}],
     "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"),
    ([{"op": "move", "from": "/m", "path": "/m/child"}],  # moving into itself: the source is gone first
     "move operation does not apply: doc is missing destination path: /m/child: missing value"),
    ([{"op": "move", "from": "/l/0", "path": "/l/3"}],
     "error in move for path: '/l/3': Unable to access invalid index: 3: invalid index referenced"),
    ([{"op": "copy", "from": "/a", "path": "/x/y"}],
     "copy operation does not apply: doc is missing destination path: /x/y: missing value"),
    ([{"op": "copy", "from": "/l/7", "path": "/b"}],
     "error in copy for from: '/l/7': Unable to access invalid index: 7: invalid index referenced"),
    ([{"op": "copy", "from": "/a", "path": "/l/9"}],
     "error while adding value during copy: Unable to access invalid index: 9: invalid index referenced"),
    ([{"op": "test", "path": "/x/y", "value": 1}],
     "test operation does not apply: is missing path: /x/y: missing value"),
    ([{"op": "test", "path": "/l/3", "value": 1}],
     "error in test for path: '/l/3': Unable to access invalid index: 3: invalid index referenced"),
    ([{"op": "test", "path": "/a"}], "testing value /a failed: test failed"),
    ([{"op": "test", "path": "/a", "value": None}], "testing value /a failed: test failed"),
    ([{"op": "test", "path": "/a", "value": 1.5}], "testing value /a failed: test failed"),
    ([{"op": "test", "path": "/a", "value": True}], "testing value /a failed: test failed"),
    ([{"op": "test", "path": "/m", "value": {"k": "v", "z": None}}], "testing value /m failed: test failed"),
    ([{"op": "test", "path": "", "value": {"a": 1}}], "testing value  failed: test failed"),
    ([{"op": "add", "path": "/b", "value": 1}, {"op": "test", "path": "/b", "value": 2}],
     "testing value /b failed: test failed"),
])
def test_json_patch_failures_carry_upstream_causes(ops, cause):
    doc = {"a": 1, "l": ["x", "y", "z"], "m": {"k": "v"}}
    assert apply_failure(doc, ops) == cause
    assert doc == {"a": 1, "l": ["x", "y", "z"], "m": {"k": "v"}}


@pytest.mark.parametrize("ops,expected", [
    # replace of a missing object member adds it (partialDoc.get never fails)
    ([{"op": "replace", "path": "/new", "value": 2}], {"a": 1, "l": ["x", "y"], "new": 2}),
    # copy from a missing member copies null
    ([{"op": "copy", "from": "/none", "path": "/c"}], {"a": 1, "l": ["x", "y"], "c": None}),
    # a missing value is null
    ([{"op": "add", "path": "/n"}], {"a": 1, "l": ["x", "y"], "n": None}),
    # negative indices count from the end; for add, -1 appends
    ([{"op": "add", "path": "/l/-1", "value": "z"}], {"a": 1, "l": ["x", "y", "z"]}),
    ([{"op": "add", "path": "/l/-3", "value": "w"}], {"a": 1, "l": ["w", "x", "y"]}),
    ([{"op": "remove", "path": "/l/-1"}], {"a": 1, "l": ["x"]}),
    ([{"op": "replace", "path": "/l/-2", "value": "X"}], {"a": 1, "l": ["X", "y"]}),
    ([{"op": "test", "path": "/l/-1", "value": "y"}], {"a": 1, "l": ["x", "y"]}),
    ([{"op": "add", "path": "/l/+1", "value": "p"}], {"a": 1, "l": ["x", "p", "y"]}),
    # the whole document: replace with an object or array, scalars ignored; test compares it all
    ([{"op": "replace", "path": "", "value": {"b": 2}}], {"b": 2}),
    ([{"op": "replace", "path": "", "value": 5}], {"a": 1, "l": ["x", "y"]}),
    ([{"op": "replace", "path": "", "value": None}], {"a": 1, "l": ["x", "y"]}),
    ([{"op": "test", "path": "", "value": {"l": ["x", "y"], "a": 1}}], {"a": 1, "l": ["x", "y"]}),
    # "/" is the member named ""; text before the first "/" is ignored
    ([{"op": "add", "path": "/", "value": 0}], {"a": 1, "l": ["x", "y"], "": 0}),
    ([{"op": "add", "path": "ignored/b", "value": 0}], {"a": 1, "l": ["x", "y"], "b": 0}),
    # escapes; unknown "~" sequences are kept
    ([{"op": "add", "path": "/a~1b~0c", "value": 0}, {"op": "add", "path": "/~2", "value": 1}],
     {"a": 1, "l": ["x", "y"], "a/b~c": 0, "~2": 1}),
    # test of a missing member against null passes
    ([{"op": "test", "path": "/none", "value": None}], {"a": 1, "l": ["x", "y"]}),
    # moves and copies keep working on the changed document
    ([{"op": "copy", "from": "/l", "path": "/k"}, {"op": "add", "path": "/k/-", "value": "z"},
      {"op": "move", "from": "/a", "path": "/l/0"}], {"l": [1, "x", "y"], "k": ["x", "y", "z"]}),
])
def test_json_patch_library_behaviour(ops, expected):
    assert json_patch({"a": 1, "l": ["x", "y"]}, ops) == expected


def test_json_patch_copies_are_independent():
    doc = {"a": {"b": [1]}}
    out = json_patch(doc, [{"op": "copy", "from": "/a", "path": "/c"}, {"op": "add", "path": "/c/b/-", "value": 2}])
    assert out == {"a": {"b": [1]}, "c": {"b": [1, 2]}}
    value = {"x": [1]}
    ops = [{"op": "add", "path": "/v", "value": value}, {"op": "add", "path": "/v/x/-", "value": 2}]
    assert json_patch({}, ops) == {"v": {"x": [1, 2]}}
    assert value == {"x": [1]}


def test_json_patch_copy_size_limit():
    doc = {"foo": ["A", "A" * 48]}  # each copy adds 50 bytes: the string and its quotes
    ops = [{"op": "copy", "path": "/foo/-", "from": "/foo/1"}] * 2
    assert json_patch(doc, ops, max_copy_bytes=100) == {"foo": ["A"] + ["A" * 48] * 3}
    cause = apply_failure(doc, ops + ops[:1], max_copy_bytes=100)
    assert cause == "Unable to complete the copy, the accumulated size increase of copy is 150, exceeding the limit 100"
    big = {"s": "x" * (3 * 1024 * 1024)}
    cause = apply_failure(big, [{"op": "copy", "from": "/s", "path": "/t"}])
    assert cause == ("Unable to complete the copy, the accumulated size increase of copy is 3145730, "
                     "exceeding the limit 3145728")


@pytest.mark.parametrize("doc,ops", [
    ({"a": 1}, [{"op": "replace", "path": ""}]),  # no value: nil dereference
    ({"a": 1}, [{"op": "test", "path": ""}]),
    ({"a": None}, [{"op": "test", "path": "/a"}]),
    ({"a": [None]}, [{"op": "test", "path": "/a", "value": [None]}]),
])
def test_json_patch_where_upstream_panics(doc, ops):
    with pytest.raises(PatchError) as info:
        json_patch(doc, ops)
    err = info.value
    assert (err.code, err.message, err.panic) == (500, PANIC_MESSAGE, True)


def test_json_patch_strict_errors():
    ops = [{"op": "add", "path": "/a", "value": 1, "Path": "/b", "extra": 1}, {"op": "remove", "path": "/a"}]
    assert json_patch_strict_errors(ops) == ['json patch unknown field "[0].Path"',
                                             'json patch unknown field "[0].extra"']
    body = b'[{"op":"add","path":"/a","value":{"x":1,"x":2,"l":[{"y":1,"y":2}]},"zz":1,"zz":2,"path":"/b"}]'
    assert json_patch_strict_errors(kjson.loads_pairs(body)) == [
        'json patch duplicate field "[0].value.x"', 'json patch duplicate field "[0].value.l[0].y"',
        'json patch unknown field "[0].zz"', 'json patch duplicate field "[0].path"']
    assert json_patch_strict_errors({"not": "a list"}) == []
    assert len(json_patch_strict_errors([{f"x{i}": 1 for i in range(150)}])) == 100


def test_patch_error_status():
    err = PatchError(500, "", "map: map[a:b] does not contain declared merge key: name")
    assert err.status() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": "map: map[a:b] does not contain declared merge key: name", "code": 500}
    with pytest.raises(PatchError) as info:
        json_patch({}, [{"op": "remove", "path": "/x"}])
    assert info.value.status() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": INVALID_MESSAGE, "reason": "Invalid", "details": {}, "code": 422}


# -- RFC 7386 Appendix A --------------------------------------------------------------------------------------

RFC7386_TABLE = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize("target,patch,expected", RFC7386_TABLE)
def test_rfc7386_examples(target, patch, expected):
    # strict=False: fieldValidation=Ignore, where the body is not first decoded into a map
    before = copy.deepcopy((target, patch))
    assert merge_patch(target, patch, strict=False) == expected
    assert (target, patch) == before


@pytest.mark.parametrize("patch", [None, "bar", 1, True])
def test_rfc7386_null_and_scalar_patches_are_bad_requests(patch):
    # RFC 7386 answers null and "bar" for {"a":"foo"}; upstream's library rejects them (ErrBadJSONPatch)
    with pytest.raises(PatchError) as info:
        merge_patch({"a": "foo"}, patch, strict=False)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", "Invalid JSON Patch")


@pytest.mark.parametrize("patch,message", [
    (None, "Invalid JSON Patch"),
    ("bar", "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"),
    (["c"], "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
    (1.5, "error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}"),
])
def test_merge_patch_strict_decoding(patch, message):
    # fieldValidation=Strict or Warn (the default) decodes the body into a map first
    with pytest.raises(PatchError) as info:
        merge_patch({"a": "foo"}, patch)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", message)
    for target, patch, expected in RFC7386_TABLE:
        if isinstance(patch, dict):
            assert merge_patch(target, patch) == expected


def test_merge_patch_null_target():
    with pytest.raises(PatchError) as info:
        merge_patch(None, {"a": 1})
    assert (info.value.code, info.value.reason, info.value.message) == (500, "", "Invalid JSON Document")


@pytest.mark.parametrize("target,patch,expected", [
    # inserted values lose their null members, also inside arrays; null array elements stay
    ({"a": 1}, {"b": {"c": None, "d": [{"e": None, "f": 1}, None]}}, {"a": 1, "b": {"d": [{"f": 1}, None]}}),
    ({"a": [1]}, {"a": [{"e": None}]}, {"a": [{}]}),
    # an array replacing an object is taken as is
    ({"a": {"x": 1}}, {"a": [{"e": None}]}, {"a": [{"e": None}]}),
    # a member that is null in the target counts as missing
    ({"title": None}, {"title": {"foo": "bar", "x": None}}, {"title": {"foo": "bar"}}),
    ({"array": ["one", "two"]}, {"array": []}, {"array": []}),
    ({"a": 1}, [None, {"b": None}], [None, {}]),
])
def test_merge_patch_library_behaviour(target, patch, expected):
    assert merge_patch(target, patch, strict=False) == expected


# -- strategic merge patch: Pods and Deployments --------------------------------------------------------------

def pod():
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "front"},
                     "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.27",
                 "env": [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "0"}],
                 "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "sidecar", "image": "busybox", "args": ["sleep", "3600"]},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
            "nodeSelector": {"disk": "ssd"},
        },
    }


def smp_pod(patch):
    original = pod()
    before = copy.deepcopy((original, patch))
    out = strategic_merge_patch(original, patch, POD)
    assert (original, patch) == before
    return out


def containers(obj):
    return obj["spec"]["containers"]


def test_smp_add_container_goes_first():
    out = smp_pod({"spec": {"containers": [{"name": "cache", "image": "redis"}]}})
    assert [c["name"] for c in containers(out)] == ["cache", "app", "sidecar"]
    assert containers(out)[1] == pod()["spec"]["containers"][0]


def test_smp_modify_container_by_name():
    out = smp_pod({"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "1"]}]}})
    assert containers(out)[1] == {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "1"]}
    assert containers(out)[0] == pod()["spec"]["containers"][0]


def test_smp_delete_container():
    out = smp_pod({"spec": {"containers": [{"name": "app", "$patch": "delete"}]}})
    assert [c["name"] for c in containers(out)] == ["sidecar"]


def test_smp_set_element_order():
    out = smp_pod({"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}})
    assert [c["name"] for c in containers(out)] == ["sidecar", "app"]
    assert "$setElementOrder/containers" not in out["spec"]


def test_smp_env_merge_and_delete_by_name():
    out = smp_pod({"spec": {"containers": [{"name": "app", "env": [
        {"name": "DEBUG", "value": "1"}, {"name": "MODE", "$patch": "delete"}, {"name": "NEW", "value": "x"}]}]}})
    assert containers(out)[0]["env"] == [{"name": "DEBUG", "value": "1"}, {"name": "NEW", "value": "x"}]


def test_smp_env_null_value_deletes_field():
    out = smp_pod({"spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": None}]}]}})
    assert containers(out)[0]["env"] == [{"name": "MODE"}, {"name": "DEBUG", "value": "0"}]


def test_smp_ports_merge_on_container_port():
    out = smp_pod({"spec": {"containers": [{"name": "app", "ports": [
        {"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}]}]}})
    assert containers(out)[0]["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"},
                                           {"containerPort": 443, "name": "https"}]


def test_smp_volumes_retain_keys_switch_source():
    patch = {"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "name": "data",
                                   "configMap": {"name": "cfg"}}]}}
    assert smp_pod(patch)["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cfg"}}]
    # without the directive both sources stay (and validation would reject the volume)
    patch = {"spec": {"volumes": [{"name": "data", "configMap": {"name": "cfg"}}]}}
    assert smp_pod(patch)["spec"]["volumes"] == [{"name": "data", "emptyDir": {}, "configMap": {"name": "cfg"}}]


def test_smp_retain_keys_must_list_every_patched_field():
    patch = {"spec": {"volumes": [{"$retainKeys": ["name"], "name": "data", "configMap": {"name": "cfg"}}]}}
    with pytest.raises(PatchError) as info:
        smp_pod(patch)
    assert (info.value.code, info.value.reason, info.value.message) == (
        400, "BadRequest", "invalid patch format of retainKeys")


def test_smp_tolerations_are_replaced_whole():
    out = smp_pod({"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}})
    assert out["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_smp_finalizers_union_and_delete_from_primitive_list():
    out = smp_pod({"metadata": {"finalizers": ["example.com/c", "example.com/a"]}})
    assert out["metadata"]["finalizers"] == ["example.com/c", "example.com/a", "example.com/b"]
    out = smp_pod({"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a", "example.com/zz"]}})
    assert out["metadata"]["finalizers"] == ["example.com/b"]
    out = smp_pod({"metadata": {"finalizers": None}})
    assert "finalizers" not in out["metadata"]


def test_smp_replace_directive_on_a_map():
    out = smp_pod({"metadata": {"labels": {"$patch": "replace", "app": "api"}}})
    assert out["metadata"]["labels"] == {"app": "api"}
    out = smp_pod({"spec": {"nodeSelector": {"$patch": "delete"}}})
    assert out["spec"]["nodeSelector"] == {}


def test_smp_replace_directive_in_a_list():
    out = smp_pod({"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}})
    assert containers(out) == [{"name": "only", "image": "x"}]


def test_smp_null_deletes_and_plain_fields_merge():
    out = smp_pod({"metadata": {"labels": {"tier": None, "new": "1"}}, "spec": {"nodeSelector": None,
                                                                               "hostname": "h"}})
    assert out["metadata"]["labels"] == {"app": "web", "new": "1"}
    assert "nodeSelector" not in out["spec"] and out["spec"]["hostname"] == "h"


def test_smp_unknown_fields_are_kept():
    out = smp_pod({"spec": {"bogus": {"x": 1, "y": None}, "containers": [{"name": "app", "imagee": "typo"}]}})
    assert out["spec"]["bogus"] == {"x": 1}
    assert containers(out)[0]["imagee"] == "typo"


def test_smp_null_patch_changes_nothing():
    assert strategic_merge_patch(pod(), None, POD) == pod()


def test_smp_kubectl_apply_three_way_patch():
    # the shape kubectl apply sends after a manifest drops the sidecar, adds a container, edits env and switches a
    # volume to a configMap (CreateThreeWayMergePatch with $setElementOrder and $retainKeys)
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}\n"}},
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "metrics"}],
            "$setElementOrder/volumes": [{"name": "data"}],
            "containers": [
                {"$setElementOrder/env": [{"name": "MODE"}, {"name": "LEVEL"}], "name": "app",
                 "env": [{"name": "LEVEL", "value": "info"}, {"$patch": "delete", "name": "DEBUG"}]},
                {"name": "metrics", "image": "prom/node-exporter"},
                {"$patch": "delete", "name": "sidecar"},
            ],
            "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}, "name": "data"}],
        },
    }
    out = smp_pod(patch)
    assert [c["name"] for c in containers(out)] == ["app", "metrics"]
    assert containers(out)[0]["env"] == [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "info"}]
    assert containers(out)[1] == {"name": "metrics", "image": "prom/node-exporter"}
    assert out["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cfg"}}]
    assert out["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": "{...}\n"}
    assert "$setElementOrder/containers" not in out["spec"]


def test_smp_deployment_template():
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.26"}],
                                       "imagePullSecrets": [{"name": "reg"}]}}},
    }
    patch = {"spec": {"replicas": 3,
                      "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                                            "imagePullSecrets": [{"name": "reg2"}]}}}}
    out = strategic_merge_patch(deployment, patch, DEPLOYMENT)
    assert out["spec"]["replicas"] == 3
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "app", "image": "nginx:1.27"}]
    assert out["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "reg2"}, {"name": "reg"}]


@pytest.mark.parametrize("patch,code,reason,message", [
    ([{"a": 1}], 400, "BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ("x", 400, "BadRequest", "json: cannot unmarshal string into Go value of type map[string]interface {}"),
    ({"spec": {"containers": [{"image": "x"}]}}, 500, "",
     "map: map[image:x] does not contain declared merge key: name"),
    ({"spec": {"containers": [{"$patch": "delete"}]}}, 500, "",
     "map: map[$patch:delete] does not contain declared merge key: name"),
    ({"metadata": {"labels": {"$patch": "merge"}}}, 500, "", "unknown patch type: merge in map: map[$patch:merge]"),
    ({"metadata": {"labels": {"$patch": 5, "a": "b"}}}, 500, "",
     "unknown patch type: %!s(int64=5) in map: map[$patch:5 a:b]"),
    ({"spec": {"containers": [{"name": "app", "$patch": "merge"}]}}, 500, "",
     "merging lists cannot yet be specified in the patch"),
    ({"spec": {"containers": [{"name": "app", "$patch": "bogus"}]}}, 500, "",
     "unknown patch type: bogus in map: map[$patch:bogus name:app]"),
    ({"spec": {"containers": ["app"]}}, 500, "",
     "list element types are not identical: [[map[env:[map[name:MODE value:prod] map[name:DEBUG value:0]] "
     "image:nginx:1.27 name:app ports:[map[containerPort:80 protocol:TCP]]] "
     "map[args:[sleep 3600] image:busybox name:sidecar]] [app]]"),
    ({"metadata": {"finalizers": [["x"]]}}, 500, "",
     "list element types are not identical: [[example.com/a example.com/b] [[x]]]"),
    ({"metadata": {"finalizers": [1.5]}}, 500, "",
     "list element types are not identical: [[example.com/a example.com/b] [1.5]]"),
    ({"spec": {"$setElementOrder/containers": "app"}}, 500, "",
     "expected a []interface {}, but received a string"),
    ({"spec": {"$setElementOrder/nodeSelector": []}}, 500, "",
     "expected a []interface {}, but received a map[string]interface {}"),
    ({"spec": {"$setElementOrder/bogus": []}}, 500, "",
     'unable to find api field in struct PodSpec for the json field "bogus"'),
    ({"spec": {"$setElementOrder/containers": [{"name": "app"}], "containers": [{"name": "sidecar"}]}}, 500, "",
     "The order in patch list:\n[map[name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n"),
    ({"spec": {"$setElementOrderX/containers": []}}, 400, "BadRequest", "invalid patch format of setElementOrder list"),
    ({"metadata": {"$deleteFromPrimitiveList": []}}, 400, "BadRequest", "invalid patch format of primitive list"),
    ({"spec": {"volumes": [{"name": "data", "$retainKeys": {"x": 1}}]}}, 400, "BadRequest",
     "invalid patch format of retainKeys"),
    ({"metadata": {"$deleteFromPrimitiveList/labels": [{"a": "b"}]}}, 200, "", ""),  # types differ: ignored
])
def test_smp_errors(patch, code, reason, message):
    if code == 200:
        assert smp_pod(patch) == pod()
        return
    with pytest.raises(PatchError) as info:
        smp_pod(patch)
    err = info.value
    assert (err.code, err.reason, err.message) == (code, reason, message)


def test_smp_free_form_and_map_fields():
    # ControllerRevision.data is a RawExtension: maps inside it cannot be merged (no api fields)
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1,
                "data": {"spec": {"a": 1}}}
    with pytest.raises(PatchError) as info:
        strategic_merge_patch(revision, {"data": {"spec": {"b": 2}}}, "io.k8s.api.apps.v1.ControllerRevision")
    assert (info.value.code, info.value.message) == (
        500, 'unable to find api field in struct RawExtension for the json field "spec"')
    out = strategic_merge_patch(revision, {"data": {"other": 2, "spec": 3}}, "io.k8s.api.apps.v1.ControllerRevision")
    assert out["data"] == {"spec": 3, "other": 2}
    # nor can maps whose values are structs (a Go map, not a struct: e.g. a CRD schema's properties)
    schema = {"type": "object", "properties": {"props": {"type": "object", "additionalProperties": {
        "type": "object", "properties": {"type": {"type": "string"}}}}}}
    original = {"props": {"spec": {"type": "object"}}}
    with pytest.raises(PatchError) as info:
        strategic_merge_patch(original, {"props": {"spec": {"type": "string"}}}, schema)
    assert (info.value.code, info.value.message) == (
        500, "merging an object in json but data type is not struct, instead is: map")
    assert strategic_merge_patch(original, {"props": {"spec": None, "x": {}}}, schema) == {"props": {"x": {}}}


def test_smp_new_values_drop_nulls_and_directives():
    out = smp_pod({"spec": {"securityContext": {"runAsUser": 1, "fsGroup": None,
                                                "sysctls": [{"name": "a", "$patch": "delete"}, {"name": "b"}]},
                            "affinity": {"$patch": "replace"}}})
    assert out["spec"]["securityContext"] == {"runAsUser": 1, "sysctls": [{"name": "b"}]}
    assert "affinity" not in out["spec"]


def test_smp_panics_where_upstream_does():
    with pytest.raises(PatchError) as info:  # reflect.TypeOf(nil).Kind()
        strategic_merge_patch({"mergingIntList": []}, {"mergingIntList": [None, 1]}, MERGE_ITEM)
    assert (info.value.code, info.value.message, info.value.panic) == (500, PANIC_MESSAGE, True)
    with pytest.raises(PatchError) as info:
        smp_pod({"spec": {"containers": [{"name": {"x": 1}}]}})
    assert info.value.panic


# -- strategic merge patch: upstream's patch_test.go cases ----------------------------------------------------

def merge_item(depth=5):
    """The schema of upstream's MergeItem test type (strategicpatch/patch_test.go), nested ``depth`` levels."""
    string = {"type": "string"}
    props = {"name": string, "value": string, "other": string}
    if depth:
        item = merge_item(depth - 1)
        merge = {"x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}
        simple_map = {"type": "object", "additionalProperties": string}
        int_list = {"type": "array", "items": {"type": "integer"}}
        props.update({
            "mergingList": {"type": "array", "items": item, **merge},
            "nonMergingList": {"type": "array", "items": item},
            "mergingIntList": {**int_list, "x-kubernetes-patch-strategy": "merge"},
            "nonMergingIntList": int_list,
            "mergeItemPtr": {**item, **merge},
            "simpleMap": simple_map,
            "replacingItem": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension",
                              "x-kubernetes-patch-strategy": "replace"},
            "retainKeysMap": {"type": "object", "x-kubernetes-patch-strategy": "retainKeys", "properties": {
                "name": string, "value": string, "other": string, "simpleMap": simple_map,
                "mergingIntList": {**int_list, "x-kubernetes-patch-strategy": "merge"},
                "mergingList": {"type": "array", "items": item, **merge},
                "nonMergingList": {"type": "array", "items": item}}},
            "retainKeysMergingList": {"type": "array", "items": item, **merge,
                                      "x-kubernetes-patch-strategy": "merge,retainKeys"},
        })
    return {"type": "object", "properties": props}


MERGE_ITEM = merge_item()

UPSTREAM_CASES = [
    ('$setElementOrder contains item that is not present in the list to be merged (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3}]},
     {'$setElementOrder/mergingList': [{'name': 3}, {'name': 2}, {'name': 1}],
      'mergingList': [{'name': 3, 'value': 3}, {'name': 1, 'value': 1}]},
     {'mergingList': [{'name': 3, 'value': 3}, {'name': 1, 'value': 1}]}, None),
    ('$setElementOrder contains item that is not present in the int list to be merged (two-way)',
     {'mergingIntList': [1, 3]}, {'$setElementOrder/mergingIntList': [3, 2, 1]}, {'mergingIntList': [3, 1]}, None),
    ('should check if order in $setElementOrder and patch list match (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}, {'name': 3}],
      'mergingList': [{'name': 3, 'value': 3}, {'name': 1, 'value': 1}]},
     None, "doesn't match"),
    ('$setElementOrder contains item that is not present in the int list to be merged (two-way)',
     {'mergingIntList': [1, 3, 2]}, {'$setElementOrder/mergingIntList': [1, 2, 3], 'mergingIntList': [3, 1]}, None,
     "doesn't match"),
    ('missing merge key should error out (two-way)', {'mergingList': [{'name': 1, 'value': 'a'}]},
     {'mergingList': [{'value': 'b'}]}, None, 'does not contain declared merge key'),
    ('$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list (two-way)',
     {'mergingIntList': [1, 2]}, {'$deleteFromPrimitiveList/mergingIntList': [3]}, {'mergingIntList': [1, 2]},
     None),
    ('$deleteFromPrimitiveList on empty primitive list should not add the item to the list (two-way)',
     {'mergingIntList': None}, {'$deleteFromPrimitiveList/mergingIntList': [3]}, {'mergingIntList': None}, None),
    ('$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list (two-way)',
     {'foo': ['bar']}, {'$deleteFromPrimitiveList/mergingIntList': [3]}, {'foo': ['bar']}, None),
    ('$deleteFromPrimitiveList should delete item from a list with merge patch strategy (two-way)',
     {'mergingIntList': [1, 2, 3]}, {'$deleteFromPrimitiveList/mergingIntList': [2]}, {'mergingIntList': [1, 3]},
     None),
    ('$deleteFromPrimitiveList should delete item from a list without merge patch strategy (two-way)',
     {'nonMergingIntList': [1, 2, 3]}, {'$deleteFromPrimitiveList/nonMergingIntList': [2]},
     {'nonMergingIntList': [1, 3]}, None),
    ('nested patch merge with empty list (two-way)', {'name': 'hi'},
     {'mergingList': [{'name': 'hello'}, {'$patch': 'delete', 'name': 'doesntexist'}]},
     {'name': 'hi', 'mergingList': [{'name': 'hello'}]}, None),
    ('nested patch merge with empty list (three-way)', {'name': 'hi', 'mergingList': [{'name': 'hello2'}]},
     {'$setElementOrder/mergingList': [{'name': 'hello'}, {'name': 'doesntexist'}],
      'mergingList': [{'name': 'hello'}]},
     {'name': 'hi', 'mergingList': [{'name': 'hello'}, {'name': 'hello2'}]}, None),
    ('delete items in lists of scalars (two-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [1, 2]}, None),
    ('delete items in lists of scalars (three-way)', {'mergingIntList': [1, 2, 3, 4]},
     {'$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [1, 2, 4]}, None),
    ('delete all duplicate items in lists of scalars (two-way)', {'mergingIntList': [1, 2, 3, 3]},
     {'$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [1, 2]}, None),
    ('delete all duplicate items in lists of scalars (three-way)', {'mergingIntList': [1, 2, 3, 3, 4]},
     {'$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [1, 2, 4]}, None),
    ('add and delete items in lists of scalars (two-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [1, 2, 4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
      'mergingIntList': [4]},
     {'mergingIntList': [1, 2, 4]}, None),
    ('add and delete items in lists of scalars (three-way)', {'mergingIntList': [1, 2, 3, 4]},
     {'$setElementOrder/mergingIntList': [1, 2, 4], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [1, 2, 4]}, None),
    ('merge lists of maps (two-way)', {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 1}, {'name': 2}, {'name': 3}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 1}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}]},
     None),
    ('merge lists of maps (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 1}, {'name': 2}, {'name': 3}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'},
                      {'name': 3, 'value': 3}]},
     None),
    ('add field to map in merging list (two-way)', {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}], 'mergingList': [{'name': 1, 'value': 1}]},
     {'mergingList': [{'name': 1, 'value': 1}, {'name': 2, 'value': 2}]}, None),
    ('add field to map in merging list (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}], 'mergingList': [{'name': 1, 'value': 1}]},
     {'mergingList': [{'name': 1, 'value': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]}, None),
    ('add duplicate field to map in merging list (two-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}], 'mergingList': [{'name': 1, 'value': 1}]},
     {'mergingList': [{'name': 1, 'value': 1}, {'name': 2, 'value': 2}]}, None),
    ('add duplicate field to map in merging list (three-way)',
     {'mergingList': [{'name': 1, 'value': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]}, {},
     {'mergingList': [{'name': 1, 'value': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]}, None),
    ('add an item that already exists in current object in merging list (two-way)',
     {'mergingList': [{'name': 1, 'value': 'a'}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}, {'name': 3}], 'mergingList': [{'name': 3}]},
     {'mergingList': [{'name': 1, 'value': 'a'}, {'name': 2}, {'name': 3}]}, None),
    ('add an item that already exists in current object in merging list (three-way)',
     {'mergingList': [{'name': 1, 'value': 'a', 'other': 'x'}, {'name': 2}, {'name': 3}]}, {},
     {'mergingList': [{'name': 1, 'value': 'a', 'other': 'x'}, {'name': 2}, {'name': 3}]}, None),
    ('delete map from merging list (two-way)', {'mergingList': [{'name': 1}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 2}], 'mergingList': [{'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2}]}, None),
    ('delete map from merging list (three-way)', {'mergingList': [{'name': 1}, {'name': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 2}], 'mergingList': [{'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'other': 'b'}]}, None),
    ('delete missing map from merging list (two-way)', {'mergingList': [{'name': 1}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 2}], 'mergingList': [{'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2}]}, None),
    ('delete missing map from merging list (three-way)', {'mergingList': [{'name': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 2}], 'mergingList': [{'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'other': 'b'}]}, None),
    ('add map and delete map from merging list (two-way)', {'mergingList': [{'name': 1}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 3}],
      'mergingList': [{'name': 3}, {'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2}, {'name': 3}]}, None),
    ('add map and delete map from merging list (three-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'other': 'b'}, {'name': 4, 'other': 'c'}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 3}],
      'mergingList': [{'name': 3}, {'name': 1, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'other': 'b'}, {'name': 4, 'other': 'c'}, {'name': 3}]}, None),
    ('delete field from map in merging list (two-way)',
     {'mergingList': [{'name': 1, 'value': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}], 'mergingList': [{'name': 1, 'value': None}]},
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]}, None),
    ('delete field from map in merging list (three-way)',
     {'mergingList': [{'name': 1, 'value': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}], 'mergingList': [{'name': 1, 'value': None}]},
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]}, None),
    ('replace non merging list nested in merging list (two-way)',
     {'mergingList': [{'name': 1, 'nonMergingList': [{'name': 1}, {'name': 2, 'value': 2}]}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
      'mergingList': [{'name': 1, 'nonMergingList': [{'name': 1, 'value': 1}]}]},
     {'mergingList': [{'name': 1, 'nonMergingList': [{'name': 1, 'value': 1}]}, {'name': 2}]}, None),
    ('replace non merging list nested in merging list (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a', 'nonMergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
                      {'name': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
      'mergingList': [{'name': 1, 'nonMergingList': [{'name': 1, 'value': 1}]}]},
     {'mergingList': [{'name': 1, 'other': 'a', 'nonMergingList': [{'name': 1, 'value': 1}]},
                      {'name': 2, 'other': 'b'}]},
     None),
    ('add field to map in merging list nested in merging list (two-way)',
     {'mergingList': [{'name': 1, 'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]}, {'name': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
      'mergingList': [{'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
                       'name': 1,
                       'mergingList': [{'name': 1, 'value': 1}]}]},
     {'mergingList': [{'name': 1, 'mergingList': [{'name': 1, 'value': 1}, {'name': 2, 'value': 2}]}, {'name': 2}]},
     None),
    ('add field to map in merging list nested in merging list (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a', 'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
                      {'name': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
      'mergingList': [{'$setElementOrder/mergingList': [{'name': 1}, {'name': 2}],
                       'name': 1,
                       'mergingList': [{'name': 1, 'value': 1}]}]},
     {'mergingList': [{'name': 1, 'other': 'a', 'mergingList': [{'name': 1, 'value': 1}, {'name': 2, 'value': 2}]},
                      {'name': 2, 'other': 'b'}]},
     None),
    ('add map to merging list by pointer (two-way)', {'mergeItemPtr': [{'name': 1}]},
     {'$setElementOrder/mergeItemPtr': [{'name': 1}, {'name': 2}], 'mergeItemPtr': [{'name': 2}]},
     {'mergeItemPtr': [{'name': 1}, {'name': 2}]}, None),
    ('add map to merging list by pointer (three-way)', {'mergeItemPtr': [{'name': 1, 'other': 'a'}, {'name': 3}]},
     {'$setElementOrder/mergeItemPtr': [{'name': 1}, {'name': 2}], 'mergeItemPtr': [{'name': 2}]},
     {'mergeItemPtr': [{'name': 1, 'other': 'a'}, {'name': 2}, {'name': 3}]}, None),
    ('merge lists of scalars (two-way)', {'mergingIntList': [1, 2]},
     {'$setElementOrder/mergingIntList': [1, 2, 3], 'mergingIntList': [3]}, {'mergingIntList': [1, 2, 3]}, None),
    ('merge lists of scalars (three-way)', {'mergingIntList': [1, 2, 4]},
     {'$setElementOrder/mergingIntList': [1, 2, 3], 'mergingIntList': [3]}, {'mergingIntList': [1, 2, 3, 4]}, None),
    ('add an item in a list of primitives and preserve order (two-way)', {'mergingIntList': [1, 2]},
     {'$setElementOrder/mergingIntList': [3, 1, 2], 'mergingIntList': [3]}, {'mergingIntList': [3, 1, 2]}, None),
    ('add an item in a list of primitives and preserve order (three-way)', {'mergingIntList': [1, 4, 2]},
     {'$setElementOrder/mergingIntList': [3, 1, 2], 'mergingIntList': [3]}, {'mergingIntList': [3, 1, 4, 2]}, None),
    ('delete an item in a list of primitives and preserve order (two-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [2, 1], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [2, 1]}, None),
    ('delete an item in a list of primitives and preserve order (three-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [2, 1], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [2, 1]}, None),
    ('add an item in a list and preserve order (two-way)', {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 3}, {'name': 1}, {'name': 2}],
      'mergingList': [{'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 3, 'value': 3}, {'name': 1}, {'name': 2, 'value': 2}]}, None),
    ('add an item in a list and preserve order (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 3}, {'name': 1}, {'name': 2}],
      'mergingList': [{'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 3, 'value': 3}, {'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     None),
    ('add multiple items in a list and preserve order (two-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 4}, {'name': 2}, {'name': 3}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 1}, {'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}]},
     None),
    ('add multiple items in a list and preserve order (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}]},
     {'$setElementOrder/mergingList': [{'name': 1}, {'name': 4}, {'name': 2}, {'name': 3}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 4, 'value': 4}, {'name': 2, 'value': 2, 'other': 'b'},
                      {'name': 3, 'value': 3}]},
     None),
    ('delete an item in a list and preserve order (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3, 'value': 3}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}], 'mergingList': [{'name': 3, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'value': 2}, {'name': 1}]}, None),
    ('delete an item in a list and preserve order (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}, {'name': 3, 'value': 3}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}], 'mergingList': [{'name': 3, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'value': 2, 'other': 'b'}, {'name': 1, 'other': 'a'}]}, None),
    ('add and delete an item in a list and preserve order (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3, 'value': 3}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 1}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, '$patch': 'delete'}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 1}]}, None),
    ('add and delete an item in a list and preserve order (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2, 'other': 'b'}, {'name': 3, 'value': 3}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 1}],
      'mergingList': [{'name': 4, 'value': 4}, {'name': 3, '$patch': 'delete'}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2, 'other': 'b'}, {'name': 1, 'other': 'a'}]},
     None),
    ('set elements order in a list (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 3}, {'name': 1}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}, {'name': 1}]},
     None),
    ('set elements order in a list (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4},
                      {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 3}, {'name': 1}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3},
                      {'name': 1, 'other': 'a'}]},
     None),
    ('set elements order in a list with server-only items (two-way)',
     {'mergingList': [{'name': 1}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4}, {'name': 2, 'value': 2}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 3}, {'name': 1}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}, {'name': 1}]},
     None),
    ('set elements order in a list with server-only items (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4},
                      {'name': 2, 'value': 2}, {'name': 9}]},
     {'$setElementOrder/mergingList': [{'name': 4}, {'name': 2}, {'name': 3}, {'name': 1}]},
     {'mergingList': [{'name': 4, 'value': 4}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3},
                      {'name': 1, 'other': 'a'}, {'name': 9}]},
     None),
    ('set elements order in a list with server-only items 2 (two-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}]},
     {'mergingList': [{'name': 2, 'value': 2}, {'name': 1}, {'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     None),
    ('set elements order in a list with server-only items 2 (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2}, {'name': 9}, {'name': 3, 'value': 3},
                      {'name': 4, 'value': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}]},
     {'mergingList': [{'name': 2, 'value': 2}, {'name': 1, 'other': 'a'}, {'name': 9}, {'name': 4, 'value': 4},
                      {'name': 3, 'value': 3}]},
     None),
    ('set elements order in a list with server-only items 3 (two-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 2}, {'name': 3, 'value': 3}, {'name': 4, 'value': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}]},
     {'mergingList': [{'name': 2, 'value': 2}, {'name': 1}, {'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     None),
    ('set elements order in a list with server-only items 3 (three-way)',
     {'mergingList': [{'name': 1, 'other': 'a'}, {'name': 2, 'value': 2}, {'name': 7}, {'name': 9}, {'name': 8},
                      {'name': 3, 'value': 3}, {'name': 4, 'value': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}]},
     {'mergingList': [{'name': 2, 'value': 2}, {'name': 1, 'other': 'a'}, {'name': 7}, {'name': 9}, {'name': 8},
                      {'name': 4, 'value': 4}, {'name': 3, 'value': 3}]},
     None),
    ('delete an item in a int list and preserve order (two-way)', {'mergingIntList': [1, 3, 2]},
     {'$setElementOrder/mergingIntList': [2, 1], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [2, 1]}, None),
    ('delete an item in a int list and preserve order (three-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [2, 1], '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [2, 1]}, None),
    ('add and delete an item in a int list and preserve order (two-way)', {'mergingIntList': [1, 3, 2]},
     {'$setElementOrder/mergingIntList': [4, 2, 1],
      'mergingIntList': [4],
      '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [4, 2, 1]}, None),
    ('add and delete an item in a int list and preserve order (three-way)', {'mergingIntList': [1, 2, 3]},
     {'$setElementOrder/mergingIntList': [4, 2, 1],
      'mergingIntList': [4],
      '$deleteFromPrimitiveList/mergingIntList': [3]},
     {'mergingIntList': [4, 2, 1]}, None),
    ('set elements order in a int list with server-only items (two-way)', {'mergingIntList': [1, 3, 4, 2]},
     {'$setElementOrder/mergingIntList': [4, 2, 3, 1]}, {'mergingIntList': [4, 2, 3, 1]}, None),
    ('set elements order in a int list with server-only items (three-way)', {'mergingIntList': [1, 3, 4, 2, 9]},
     {'$setElementOrder/mergingIntList': [4, 2, 3, 1]}, {'mergingIntList': [4, 2, 3, 1, 9]}, None),
    ('behavior of set element order for a merging list with duplicate (two-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 'dup1'}, {'name': 3}, {'name': 2, 'value': 'dup2'},
                      {'name': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}, {'name': 2}]},
     {'mergingList': [{'name': 2, 'value': 'dup1'}, {'name': 2, 'value': 'dup2'}, {'name': 1}, {'name': 4},
                      {'name': 3}]},
     None),
    ('behavior of set element order for a merging list with duplicate (three-way)',
     {'mergingList': [{'name': 1}, {'name': 2, 'value': 'dup1'}, {'name': 3}, {'name': 2, 'value': 'dup2'},
                      {'name': 4}]},
     {'$setElementOrder/mergingList': [{'name': 2}, {'name': 1}, {'name': 4}, {'name': 3}, {'name': 2}]},
     {'mergingList': [{'name': 2, 'value': 'dup1'}, {'name': 2, 'value': 'dup2'}, {'name': 1}, {'name': 4},
                      {'name': 3}]},
     None),
    ('behavior of set element order for a merging int list with duplicate (two-way)',
     {'mergingIntList': [1, 2, 3, 2, 4]}, {'$setElementOrder/mergingIntList': [2, 1, 4, 3, 2]},
     {'mergingIntList': [2, 2, 1, 4, 3]}, None),
    ('behavior of set element order for a merging int list with duplicate (three-way)',
     {'mergingIntList': [1, 2, 3, 2, 4]}, {'$setElementOrder/mergingIntList': [2, 1, 4, 3, 2]},
     {'mergingIntList': [2, 2, 1, 4, 3]}, None),
    ('retainKeys map should clear defaulted field (two-way)', {}, {'retainKeysMap': {'other': 'bar'}},
     {'retainKeysMap': {'other': 'bar'}}, None),
    ('retainKeys map should clear defaulted field (three-way)', {'retainKeysMap': {'value': 'foo'}},
     {'retainKeysMap': {'$retainKeys': ['other'], 'other': 'bar'}}, {'retainKeysMap': {'other': 'bar'}}, None),
    ('retainKeys map adds a field (two-way)', {'retainKeysMap': {'name': 'foo'}},
     {'retainKeysMap': {'$retainKeys': ['name', 'value'], 'value': 'bar'}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar'}}, None),
    ('retainKeys map adds a field (three-way)', {'retainKeysMap': {'name': 'foo'}},
     {'retainKeysMap': {'$retainKeys': ['name', 'value'], 'value': 'bar'}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar'}}, None),
    ('retainKeys map adds a field and clear a field (two-way)', {'retainKeysMap': {'name': 'foo'}},
     {'retainKeysMap': {'$retainKeys': ['name', 'value'], 'value': 'bar'}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar'}}, None),
    ('retainKeys map adds a field and clear a field (three-way)', {'retainKeysMap': {'name': 'foo', 'other': 'a'}},
     {'retainKeysMap': {'$retainKeys': ['name', 'value'], 'value': 'bar'}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar'}}, None),
    ('retainKeys map adds a field in a nested map (two-way)',
     {'retainKeysMap': {'name': 'foo', 'value': 'bar', 'simpleMap': {'key1': 'a'}}},
     {'retainKeysMap': {'$retainKeys': ['name', 'simpleMap', 'value'], 'simpleMap': {'key2': 'b'}}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar', 'simpleMap': {'key1': 'a', 'key2': 'b'}}}, None),
    ('retainKeys map adds a field in a nested map (three-way)',
     {'retainKeysMap': {'name': 'foo', 'value': 'bar', 'simpleMap': {'key1': 'a', 'key3': 'c'}}},
     {'retainKeysMap': {'$retainKeys': ['name', 'simpleMap', 'value'], 'simpleMap': {'key2': 'b'}}},
     {'retainKeysMap': {'name': 'foo', 'value': 'bar', 'simpleMap': {'key1': 'a', 'key2': 'b', 'key3': 'c'}}},
     None),
    ('retainKeys map deletes an item in nested merging int list (two-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 2, 3]}},
     {'retainKeysMap': {'$retainKeys': ['mergingIntList', 'name'],
                        '$deleteFromPrimitiveList/mergingIntList': [2],
                        '$setElementOrder/mergingIntList': [1, 3]}},
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 3]}}, None),
    ('retainKeys map deletes an item in nested merging int list (three-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 2, 3, 4]}},
     {'retainKeysMap': {'$retainKeys': ['mergingIntList', 'name'],
                        '$deleteFromPrimitiveList/mergingIntList': [2],
                        '$setElementOrder/mergingIntList': [1, 3]}},
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 3, 4]}}, None),
    ('retainKeys map adds an item and deletes an item in nested merging int list (two-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 2, 3]}},
     {'retainKeysMap': {'$retainKeys': ['mergingIntList', 'name'],
                        'mergingIntList': [5],
                        '$deleteFromPrimitiveList/mergingIntList': [2],
                        '$setElementOrder/mergingIntList': [1, 3, 5]}},
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 3, 5]}}, None),
    ('retainKeys map adds an item and deletes an item in nested merging int list (three-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 2, 3, 4]}},
     {'retainKeysMap': {'$retainKeys': ['mergingIntList', 'name'],
                        'mergingIntList': [5],
                        '$deleteFromPrimitiveList/mergingIntList': [2],
                        '$setElementOrder/mergingIntList': [1, 3, 5]}},
     {'retainKeysMap': {'name': 'foo', 'mergingIntList': [1, 3, 5, 4]}}, None),
    ('retainKeys map deletes an item in nested merging list (two-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingList': [{'name': 'a'}, {'name': 'b'}]}},
     {'retainKeysMap': {'$retainKeys': ['mergingList', 'name'],
                        '$setElementOrder/mergingList': [{'name': 'a'}],
                        'mergingList': [{'name': 'b', '$patch': 'delete'}]}},
     {'retainKeysMap': {'name': 'foo', 'mergingList': [{'name': 'a'}]}}, None),
    ('retainKeys map deletes an item in nested merging list (three-way)',
     {'retainKeysMap': {'name': 'foo', 'mergingList': [{'name': 'a'}, {'name': 'b'}, {'name': 'x'}]}},
     {'retainKeysMap': {'$retainKeys': ['mergingList', 'name'],
                        '$setElementOrder/mergingList': [{'name': 'a'}],
                        'mergingList': [{'name': 'b', '$patch': 'delete'}]}},
     {'retainKeysMap': {'name': 'foo', 'mergingList': [{'name': 'a'}, {'name': 'x'}]}}, None),
    ('retainKeys list of maps clears a field (two-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, {},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, None),
    ('retainKeys list of maps clears a field (three-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a', 'other': 'x'}]},
     {'$setElementOrder/retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}],
      'retainKeysMergingList': [{'$retainKeys': ['name', 'value'], 'name': 'foo'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, None),
    ('retainKeys list of maps changes a field and clear a field (two-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'old'}]},
     {'$setElementOrder/retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}],
      'retainKeysMergingList': [{'$retainKeys': ['name', 'value'], 'name': 'foo', 'value': 'new'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'new'}]}, None),
    ('retainKeys list of maps changes a field and clear a field (three-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'old', 'other': 'x'}]},
     {'$setElementOrder/retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}],
      'retainKeysMergingList': [{'$retainKeys': ['name', 'value'], 'name': 'foo', 'value': 'new'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'new'}]}, None),
    ('retainKeys list of maps adds a field and clear a field (two-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}]},
     {'$setElementOrder/retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}],
      'retainKeysMergingList': [{'$retainKeys': ['name', 'value'], 'name': 'foo', 'value': 'a'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, None),
    ('retainKeys list of maps adds a field and clear a field (three-way)',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'other': 'x'}]},
     {'$setElementOrder/retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}],
      'retainKeysMergingList': [{'$retainKeys': ['name', 'value'], 'name': 'foo', 'value': 'a'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, None),
    ('delete and reorder in one list, reorder in another (two-way)',
     {'mergingList': [{'name': 'a', 'value': 'a'}, {'name': 'b', 'value': 'b'}],
      'mergeItemPtr': [{'name': 'c', 'value': 'c'}, {'name': 'd', 'value': 'd'}]},
     {'$setElementOrder/mergingList': [{'name': 'b'}],
      '$setElementOrder/mergeItemPtr': [{'name': 'd'}, {'name': 'c'}],
      'mergingList': [{'$patch': 'delete', 'name': 'a'}]},
     {'mergingList': [{'name': 'b', 'value': 'b'}],
      'mergeItemPtr': [{'name': 'd', 'value': 'd'}, {'name': 'c', 'value': 'c'}]},
     None),
    ('delete and reorder in one list, reorder in another (three-way)',
     {'mergingList': [{'name': 'a', 'value': 'a'}, {'name': 'b', 'value': 'b'}],
      'mergeItemPtr': [{'name': 'c', 'value': 'c'}, {'name': 'd', 'value': 'd'}]},
     {'$setElementOrder/mergingList': [{'name': 'b'}],
      '$setElementOrder/mergeItemPtr': [{'name': 'd'}, {'name': 'c'}],
      'mergingList': [{'$patch': 'delete', 'name': 'a'}]},
     {'mergingList': [{'name': 'b', 'value': 'b'}],
      'mergeItemPtr': [{'name': 'd', 'value': 'd'}, {'name': 'c', 'value': 'c'}]},
     None),
    ('unique scalars when merging lists', {'mergingIntList': [1, 2]}, {'mergingIntList': [2, 3]},
     {'mergingIntList': [1, 2, 3]}, None),
    ('delete map from nested map', {'simpleMap': {'key1': 1, 'key2': 1}}, {'simpleMap': {'$patch': 'delete'}},
     {'simpleMap': {}}, None),
    ('delete all items from merging list', {'mergingList': [{'name': 1}, {'name': 2}]},
     {'mergingList': [{'$patch': 'replace'}]}, {'mergingList': []}, None),
    ('merge empty merging lists', {'mergingList': []}, {'mergingList': []}, {'mergingList': []}, None),
    ('delete all keys from map', {'name': 1, 'value': 1}, {'$patch': 'replace'}, {}, None),
    ('add key and delete all keys from map', {'name': 1, 'value': 1}, {'other': 'a', '$patch': 'replace'},
     {'other': 'a'}, None),
    ('delete all duplicate entries in a merging list',
     {'mergingList': [{'name': 1}, {'name': 1}, {'name': 2, 'value': 'a'}, {'name': 3}, {'name': 3}]},
     {'mergingList': [{'name': 1, '$patch': 'delete'}, {'name': 3, '$patch': 'delete'}]},
     {'mergingList': [{'name': 2, 'value': 'a'}]}, None),
    ('retainKeys map can add a field when no retainKeys directive present', {'retainKeysMap': {'name': 'foo'}},
     {'retainKeysMap': {'value': 'bar'}}, {'retainKeysMap': {'name': 'foo', 'value': 'bar'}}, None),
    ('retainKeys map can change a field when no retainKeys directive present',
     {'retainKeysMap': {'name': 'foo', 'value': 'a'}}, {'retainKeysMap': {'value': 'b'}},
     {'retainKeysMap': {'name': 'foo', 'value': 'b'}}, None),
    ('retainKeys map can delete a field when no retainKeys directive present',
     {'retainKeysMap': {'name': 'foo', 'value': 'a'}}, {'retainKeysMap': {'value': None}},
     {'retainKeysMap': {'name': 'foo'}}, None),
    ('retainKeys map merge an empty map', {'retainKeysMap': {'name': 'foo', 'value': 'a'}}, {'retainKeysMap': {}},
     {'retainKeysMap': {'name': 'foo', 'value': 'a'}}, None),
    ('retainKeys list can add a field when no retainKeys directive present',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}]},
     {'retainKeysMergingList': [{'name': 'foo', 'value': 'a'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]}, None),
    ('retainKeys list can change a field when no retainKeys directive present',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]},
     {'retainKeysMergingList': [{'name': 'foo', 'value': 'b'}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'b'}]}, None),
    ('retainKeys list can delete a field when no retainKeys directive present',
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo', 'value': 'a'}]},
     {'retainKeysMergingList': [{'name': 'foo', 'value': None}]},
     {'retainKeysMergingList': [{'name': 'bar'}, {'name': 'foo'}]}, None),
]


@pytest.mark.parametrize("original,patch,expected,error", [c[1:] for c in UPSTREAM_CASES],
                         ids=[c[0] for c in UPSTREAM_CASES])
def test_smp_upstream_cases(original, patch, expected, error):
    if error:
        with pytest.raises(PatchError) as info:
            strategic_merge_patch(original, patch, MERGE_ITEM)
        assert error in info.value.message
        return
    assert strategic_merge_patch(original, patch, MERGE_ITEM) == expected


def test_smp_list_of_lists_is_invalid():
    with pytest.raises(PatchError) as info:
        strategic_merge_patch({"mergingIntList": []}, {"mergingIntList": [[1]]}, MERGE_ITEM)
    err = info.value
    assert (err.code, err.reason, err.message, err.details, err.cause) == (
        422, "Invalid", INVALID_MESSAGE, {}, "lists of lists are not supported")


def test_smp_upstream_case_count():
    assert len(UPSTREAM_CASES) >= 30


def test_smp_replace_strategy_and_retain_keys_map():
    original = {"replacingItem": {"a": 1, "b": {"c": 2}}, "retainKeysMap": {"name": "x", "value": "y"}}
    out = strategic_merge_patch(original, {"replacingItem": {"b": {"d": 3}}}, MERGE_ITEM)
    assert out["replacingItem"] == {"b": {"d": 3}}
    out = strategic_merge_patch(original, {"retainKeysMap": {"$retainKeys": ["other"], "other": "z"}}, MERGE_ITEM)
    assert out["retainKeysMap"] == {"other": "z"}


def test_smp_delete_from_primitive_list_null_deletes_the_list():
    # upstream: a null parallel list deletes the list itself (the null check comes after the key rewrite)
    out = strategic_merge_patch({"mergingIntList": [1, 2]}, {"$deleteFromPrimitiveList/mergingIntList": None},
                                MERGE_ITEM)
    assert out == {}


def test_smp_empty_set_element_order_keeps_go_sort_order():
    # an empty $setElementOrder sorts server-only items with a comparator that is always true for unknown items:
    # only Go's insertion sort gives upstream's (reversed) order
    out = strategic_merge_patch({}, {"$setElementOrder/mergingIntList": [], "mergingIntList": [1, 2, 3]},
                                MERGE_ITEM)
    assert out == {"mergingIntList": [3, 2, 1]}
    many = list(range(45))
    out = strategic_merge_patch({}, {"$setElementOrder/mergingIntList": [], "mergingIntList": many}, MERGE_ITEM)
    assert sorted(out["mergingIntList"]) == many and out["mergingIntList"] != many


# -- properties -----------------------------------------------------------------------------------------------

def _json_values(st, null_in_arrays=True):
    scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=5)
    keys = st.text(max_size=4)

    def extend(children):
        items = children if null_in_arrays else children.filter(lambda v: v is not None)
        return st.lists(items, max_size=3) | st.dictionaries(keys, children, max_size=3)

    return st.recursive(scalars, extend, max_leaves=12)


def test_json_patch_add_then_remove_restores():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    def pointer(key):
        return "/" + key.replace("~", "~0").replace("/", "~1")

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.dictionaries(st.text(max_size=4), _json_values(st), max_size=4), st.text(max_size=4),
                      _json_values(st), st.lists(_json_values(st), max_size=4), st.data())
    def check(doc, key, value, array, data):
        doc = {k: v for k, v in doc.items() if k != key}
        ops = [{"op": "add", "path": pointer(key), "value": value}, {"op": "remove", "path": pointer(key)}]
        assert json_patch(doc, ops) == doc
        doc = dict(doc, arr=array) if key != "arr" else {"arr": array}
        index = data.draw(st.integers(0, len(array)))
        ops = [{"op": "add", "path": f"/arr/{index}", "value": value}, {"op": "remove", "path": f"/arr/{index}"}]
        assert json_patch(doc, ops) == doc
        ops = [{"op": "add", "path": "/arr/-", "value": value}, {"op": "remove", "path": f"/arr/{len(array)}"}]
        assert json_patch(doc, ops) == doc

    check()


def test_merge_patch_is_idempotent():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    # upstream keeps nulls inside arrays that replace an object but drops them where it prunes: patches whose
    # arrays hold no null members are idempotent
    values = _json_values(st, null_in_arrays=False)

    def no_null_members_in_arrays(value, in_array=False):
        if isinstance(value, dict):
            return all((v is not None or not in_array) and no_null_members_in_arrays(v, in_array)
                       for v in value.values())
        if isinstance(value, list):
            return all(no_null_members_in_arrays(v, True) for v in value)
        return True

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.dictionaries(st.text(max_size=3), values, max_size=4),
                      st.dictionaries(st.text(max_size=3), values, max_size=4))
    def check(target, patch):
        hypothesis.assume(no_null_members_in_arrays(patch))
        once = merge_patch(target, patch)
        assert merge_patch(once, patch) == once

    check()
