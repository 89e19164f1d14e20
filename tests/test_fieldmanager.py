"""Server-side apply and managedFields (apiserver.registry.fieldmanager).

Expected values come from upstream: sigs.k8s.io/structured-merge-diff v4.4.2 (fieldpath/serialize_test.go golden
data, merge/*_test.go table tests, ported below with their YAML objects as dicts) and k8s.io/apimachinery
v0.32.0's managedfields (conflict messages, manager identity, capping, stripping), plus the managedFields that a
1.32 cluster writes for ``kubectl create deployment``.
"""

import copy
import json
import time

import pytest

from apiserver.codec.json import dumps, loads
from apiserver.registry import fieldmanager as fm

DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
CONFIGMAP = "io.k8s.api.core.v1.ConfigMap"
SERVICE = "io.k8s.api.core.v1.Service"
T0, T1, T2, T3, T4, T5 = (f"2024-01-0{i}T00:00:00Z" for i in range(1, 7))


# -- helpers ----------------------------------------------------------------------------------------------------

def F(name):
    return (0, name)


def K(*pairs):
    fields = [(pairs[i], fm.freeze(pairs[i + 1])) for i in range(0, len(pairs), 2)]
    return (1, tuple(sorted(fields, key=lambda f: f[0])))


def V(value):
    return (2, fm.freeze(value))


def I(index):  # noqa: E743
    return (3, index)


def P(*parts):
    return tuple(F(p) if isinstance(p, str) else p for p in parts)


def entries(obj):
    return obj["metadata"].get("managedFields", [])


def by_manager(obj):
    return {(e["manager"], e["operation"]): e for e in entries(obj)}


def owned(obj, manager, operation="Apply"):
    return fm.fieldsv1_decode(by_manager(obj)[(manager, operation)]["fieldsV1"])


def deployment_config(replicas=2, image="nginx:1.27", containers=None, **spec):
    containers = containers if containers is not None else [
        {"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {**({"replicas": replicas} if replicas is not None else {}),
                     "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": containers, **spec}}}}


def stored(obj, uid="uid-1"):
    """What storage hands back: the object with a uid (and never shared with the caller)."""
    obj = copy.deepcopy(obj)
    obj["metadata"]["uid"] = uid
    obj["metadata"]["resourceVersion"] = "1"
    return obj


def apply(live, config, manager="kubectl", force=False, now=T1, schema=DEPLOYMENT, **kw):
    api_version = config.get("apiVersion", "v1")
    kind = config.get("kind")
    return fm.apply(live, config, manager, force, api_version, now, schema, kind=kind, **kw)


def update(live, new, manager, now=T1, schema=DEPLOYMENT, api_version="apps/v1", subresource="", **kw):
    new = copy.deepcopy(new)
    mf = fm.managed_fields_for_update(live, new, manager, subresource, api_version, now, schema, **kw)
    if mf:
        new["metadata"]["managedFields"] = mf
    else:
        new["metadata"].pop("managedFields", None)
    return new


def canonical(value):
    return dumps(value).decode()


# -- FieldsV1 -----------------------------------------------------------------------------------------------------

# fieldpath/serialize_test.go TestSerializeV1GoldenData (structured-merge-diff v4.4.2)
GOLDEN = [
    r'{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\"name\":\"first\"}":{},'
    r'"k:{\"name\":\"second\"}":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},'
    r'"v:1":{},"v:2":{},"v:3":{},"v:\"aa\"":{},"v:\"ab\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}',
    r'{"f:aaa":{"k:{\"name\":\"second\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":'
    r'{"k:{\"port\":443,\"protocol\":\"udp\"}":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"k:{\"name\":\"first\"}":{}},'
    r'"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\"name\":\"second\"}":{}}},"f:aad":{"f:aac":{"v:1":{}},"f:aaf":'
    r'{"k:{\"name\":\"first\"}":{"k:{\"name\":\"first\"}":{}}},"i:1":{"i:1":{},"i:3":{"v:true":{}}}},"f:aae":{"f:aae":{},'
    r'"k:{\"port\":443,\"protocol\":\"tcp\"}":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:4":{"f:aaf":{}}},"f:aaf":'
    r'{"i:1":{"f:aac":{}},"i:2":{},"i:3":{}},"k:{\"name\":\"first\"}":{"f:aad":{"f:aaf":{}}},"k:{\"port\":443,\"protocol\":'
    r'\"tcp\"}":{"f:aaa":{"f:aad":{}}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"f:aac":{},"k:{\"name\":\"first\"}":{"i:3":'
    r'{}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"i:4":{}}},"v:1":{"f:aac":{"i:4":{}},"f:aaf":{},"k:{\"port\":443,'
    r'\"protocol\":\"tcp\"}":{}},"v:2":{"f:aad":{"f:aaf":{}},"i:1":{}},"v:3":{"f:aaa":{},"k:{\"name\":\"first\"}":{},'
    r'"i:2":{}},"v:\"aa\"":{"f:aab":{"f:aaf":{}},"f:aae":{},"k:{\"name\":\"first\"}":{"f:aad":{}},"i:2":{}},"v:\"ab\"":'
    r'{"f:aaf":{"i:4":{}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":'
    r'{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:1":{"f:aae":{"i:4":{}}}},"v:true":{"k:{\"name\":\"second\"}":'
    r'{"f:aaa":{}},"i:2":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"i:1":{"i:3":{"f:aaf":{}}},"i:2":{"f:aae":{},'
    r'"k:{\"port\":443,\"protocol\":\"tcp\"}":{"v:1":{}}},"i:3":{"f:aab":{"v:true":{"v:\"aa\"":{}}},"f:aaf":{},"i:1":{}},'
    r'"i:4":{"v:\"aa\"":{"f:aab":{"k:{\"name\":\"second\"}":{}}}}}',
]


@pytest.mark.parametrize("text", GOLDEN)
def test_fieldsv1_golden_round_trip(text):
    fields, _ = loads(text)
    paths = fm.fieldsv1_decode(fields)
    assert canonical(fm.fieldsv1_encode(paths)) == text
    # and again from the decoded paths
    assert fm.fieldsv1_decode(fm.fieldsv1_encode(paths)) == paths


def test_fieldsv1_brief_example():
    fields = {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
              "f:spec": {"f:containers": {'k:{"name":"nginx"}': {".": {}, "f:image": {}, "f:name": {}}}}}
    paths = fm.fieldsv1_decode(fields)
    nginx = K("name", "nginx")
    assert paths == {P("metadata", "labels"), P("metadata", "labels", "app"),
                     P("spec", "containers", nginx), P("spec", "containers", nginx, "image"),
                     P("spec", "containers", nginx, "name")}
    assert fm.fieldsv1_encode(paths) == fields
    assert canonical(fm.fieldsv1_encode(paths)) == canonical(fields)


def test_fieldsv1_keys_and_values_are_ordered_as_upstream():
    ports = [K("containerPort", 443, "protocol", "TCP"), K("containerPort", 80, "protocol", "UDP"),
             K("containerPort", 80, "protocol", "TCP")]
    paths = {P("ports", pe) for pe in ports}
    # key fields sorted by name, items ordered by value (80 before 443: numbers compare as numbers)
    assert list(fm.fieldsv1_encode(paths)["f:ports"]) == [
        'k:{"containerPort":80,"protocol":"TCP"}', 'k:{"containerPort":80,"protocol":"UDP"}',
        'k:{"containerPort":443,"protocol":"TCP"}']
    # set values: numbers, then strings, then booleans (value.Compare)
    values = {P("finalizers", V(v)) for v in ("b", "a", 10, 2, True)}
    assert list(fm.fieldsv1_encode(values)["f:finalizers"]) == ["v:2", "v:10", 'v:"a"', 'v:"b"', "v:true"]
    # fields before keys before values before indices
    mixed = {P("x", F("z")), P("x", K("name", "a")), P("x", V("a")), P("x", I(0))}
    assert list(fm.fieldsv1_encode(mixed)["f:x"]) == ["f:z", 'k:{"name":"a"}', 'v:"a"', "i:0"]


def test_fieldsv1_decode_normalizes_key_order_and_html_escapes():
    decoded = fm.fieldsv1_decode({"f:ports": {'k:{"protocol":"TCP","containerPort":80}': {}}})
    assert decoded == {P("ports", K("containerPort", 80, "protocol", "TCP"))}
    assert list(fm.fieldsv1_encode(decoded)["f:ports"]) == ['k:{"containerPort":80,"protocol":"TCP"}']
    # Go's encoder escapes <, > and & inside the serialized key
    key = fm.fieldsv1_encode({P("l", K("name", "a<b&c"))})["f:l"]
    assert list(key) == [r'k:{"name":"a\u003cb\u0026c"}']
    assert fm.fieldsv1_decode({"f:l": key}) == {P("l", K("name", "a<b&c"))}


def test_fieldsv1_index_unknown_and_errors():
    assert fm.fieldsv1_decode({"i:3": {}, "f:a": {"i:0": {".": {}, "f:b": {}}}}) == {
        P(I(3)), P("a", I(0)), P("a", I(0), "b")}
    # TestDropUnknown: unknown element types are dropped
    assert canonical(fm.fieldsv1_encode(fm.fieldsv1_decode({"f:aaa": {}, "r:aab": {}}))) == '{"f:aaa":{}}'
    assert fm.fieldsv1_decode({}) == set()
    assert fm.fieldsv1_decode(None) == set()
    with pytest.raises(fm.FieldsV1Error, match="missing colon: fx"):
        fm.fieldsv1_decode({"fx": {}})
    with pytest.raises(fm.FieldsV1Error, match="key must be 2 characters long"):
        fm.fieldsv1_decode({"f": {}})
    with pytest.raises(fm.FieldsV1Error):
        fm.fieldsv1_decode({"i:x": {}})
    with pytest.raises(fm.FieldsV1Error):
        fm.fieldsv1_decode({"f:a": 1})


def test_path_strings():
    assert fm.path_string(P("spec", "replicas")) == ".spec.replicas"
    assert fm.path_string(P("spec", "containers", K("name", "nginx"), "image")) == \
        '.spec.containers[name="nginx"].image'
    assert fm.path_string(P("ports", K("protocol", "TCP", "containerPort", 80))) == \
        '.ports[containerPort=80,protocol="TCP"]'
    assert fm.path_string(P("metadata", "finalizers", V("a/b"))) == '.metadata.finalizers[="a/b"]'
    assert fm.path_string(P("args", I(2))) == ".args[2]"


# -- update tracking ----------------------------------------------------------------------------------------------

def created_deployment():
    """kubectl create deployment web --image=nginx, after defaulting (what the field manager sees on create)."""
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                     "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {},
                                                           "imagePullPolicy": "Always",
                                                           "terminationMessagePath": "/dev/termination-log",
                                                           "terminationMessagePolicy": "File"}],
                                           "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                                           "dnsPolicy": "ClusterFirst", "securityContext": {},
                                           "schedulerName": "default-scheduler"}}}}


def test_update_on_create_matches_a_real_cluster():
    mf = fm.managed_fields_for_update(None, created_deployment(), "kubectl-create", "", "apps/v1", T0, DEPLOYMENT)
    # what Kubernetes 1.32 records for `kubectl create deployment web --image=nginx`
    assert mf == [{
        "manager": "kubectl-create", "operation": "Update", "apiVersion": "apps/v1", "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {}, "f:selector": {},
                "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}},
                "f:template": {
                    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {
                        "f:containers": {'k:{"name":"nginx"}': {
                            ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
                            "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
                        "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {},
                        "f:terminationGracePeriodSeconds": {}}}}}}]
    # key order of the entry is Go's struct order
    assert list(mf[0]) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]


def test_update_two_managers_and_removal():
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 3
    scaled = update(live, scaled, "kubectl-scale", T1)
    assert [e["manager"] for e in entries(scaled)] == ["kubectl-create", "kubectl-scale"]
    assert owned(scaled, "kubectl-scale", "Update") == {P("spec", "replicas")}
    assert P("spec", "replicas") not in owned(scaled, "kubectl-create", "Update")
    assert by_manager(scaled)[("kubectl-create", "Update")]["time"] == T0  # losing a field keeps the time
    # a field removed by an update is removed from everyone's set
    edited = copy.deepcopy(scaled)
    del edited["metadata"]["labels"]
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    edited = update(scaled, edited, "kubectl-edit", T2)
    create_set = owned(edited, "kubectl-create", "Update")
    assert P("metadata", "labels", "app") not in create_set and P("metadata", "labels") not in create_set
    nginx = K("name", "nginx")
    assert owned(edited, "kubectl-edit", "Update") == {P("spec", "template", "spec", "containers", nginx, "image")}
    # the same manager again: its entry grows, its time moves
    again = copy.deepcopy(edited)
    again["spec"]["paused"] = True
    again = update(edited, again, "kubectl-edit", T3)
    entry = by_manager(again)[("kubectl-edit", "Update")]
    assert entry["time"] == T3
    assert fm.fieldsv1_decode(entry["fieldsV1"]) == {P("spec", "paused"),
                                                     P("spec", "template", "spec", "containers", nginx, "image")}


def test_update_without_changes_keeps_entries_and_times():
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    same = update(live, copy.deepcopy(live), "other", T4)
    assert entries(same) == entries(live)


def test_update_entries_sorted_and_versioned_by_manager_identity():
    live = stored(update(None, created_deployment(), "b", T1))
    new = copy.deepcopy(live)
    new["spec"]["replicas"] = 5
    new = update(live, new, "a", T1)
    new2 = copy.deepcopy(new)
    new2["spec"]["paused"] = True
    new2 = update(new, new2, "a", T1, api_version="apps/v1beta2")
    # same time: ordered by manager, then apiVersion; the same name at another version is another manager
    assert [(e["manager"], e["apiVersion"]) for e in entries(new2)] == [
        ("a", "apps/v1"), ("a", "apps/v1beta2"), ("b", "apps/v1")]


def test_update_skipped_until_first_apply_and_reset():
    live = stored(created_deployment())  # an object that has no managedFields
    new = copy.deepcopy(live)
    new["spec"]["replicas"] = 4
    assert fm.managed_fields_for_update(live, new, "x", "", "apps/v1", T1, DEPLOYMENT) == []
    tracked = stored(update(None, created_deployment(), "kubectl-create", T0))
    for reset in ([], [{}]):
        new = copy.deepcopy(tracked)
        new["metadata"]["managedFields"] = reset
        assert fm.managed_fields_for_update(tracked, new, "x", "", "apps/v1", T1, DEPLOYMENT) == []


def test_update_uses_request_managed_fields_unless_subresource():
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    edited = copy.deepcopy(live)
    edited["metadata"]["managedFields"][0]["manager"] = "renamed"
    mf = fm.managed_fields_for_update(live, edited, "x", "", "apps/v1", T1, DEPLOYMENT)
    assert [e["manager"] for e in mf] == ["renamed"]
    # undecodable: the live object's are used
    broken = copy.deepcopy(live)
    broken["metadata"]["managedFields"][0]["operation"] = "Bogus"
    mf = fm.managed_fields_for_update(live, broken, "x", "", "apps/v1", T1, DEPLOYMENT)
    assert [e["manager"] for e in mf] == ["kubectl-create"]
    # on a subresource the request's managedFields are ignored
    mf = fm.managed_fields_for_update(live, edited, "x", "status", "apps/v1", T1, DEPLOYMENT)
    assert [e["manager"] for e in mf] == ["kubectl-create"]


def test_update_subresource_and_reset_fields():
    live = stored(update(None, created_deployment(), "kubectl-create", T0, reset_fields=[("status",)]))
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 1, "readyReplicas": 1}
    main = update(live, new, "someone", T1, reset_fields=[("status",)])
    assert entries(main) == entries(live)  # status is not owned through the main resource
    status = update(live, new, "kube-controller-manager", T1, subresource="status",
                    reset_fields=[("spec",), ("metadata",)])
    entry = by_manager(status)[("kube-controller-manager", "Update")]
    assert entry["subresource"] == "status"
    assert list(entry) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]
    assert fm.fieldsv1_decode(entry["fieldsV1"]) == {P("status", "replicas"), P("status", "readyReplicas")}


def test_update_manager_names():
    mf = fm.managed_fields_for_update(None, created_deployment(), "", "", "apps/v1", T0, DEPLOYMENT)
    assert mf[0]["manager"] == "unknown"


def test_cap_update_managers_merges_oldest_into_ancient_changes():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
          "data": {"base": "v"}}
    live = stored(update(None, cm, "creator", "2024-01-01T00:00:00Z", schema=CONFIGMAP, api_version="v1"))
    for i in range(11):
        new = copy.deepcopy(live)
        new["data"][f"k{i}"] = "v"
        live = update(live, new, f"m{i:02d}", f"2024-01-01T00:00:{i + 1:02d}Z", schema=CONFIGMAP, api_version="v1")
    names = [(e["manager"], e["time"]) for e in entries(live)]
    assert len(names) == 10
    # 12 Update managers: the oldest three (same version) become one bucket, with the newest of their times
    assert names[0] == ("ancient-changes", "2024-01-01T00:00:02Z")
    assert [n for n, _ in names[1:]] == [f"m{i:02d}" for i in range(2, 11)]
    # the creator added the data map itself (".")
    assert fm.fieldsv1_decode(entries(live)[0]["fieldsV1"]) == {P("data"), P("data", "base"), P("data", "k0"),
                                                                 P("data", "k1")}
    # an object whose only manager owned nothing (Go omits the empty map) is not tracked by later updates
    empty = stored(update(None, {**cm, "data": {}}, "creator", T0, schema=CONFIGMAP, api_version="v1"))
    assert "managedFields" not in empty["metadata"]
    new = copy.deepcopy(empty)
    new["data"] = {"a": "b"}
    assert "managedFields" not in update(empty, new, "x", T1, schema=CONFIGMAP, api_version="v1")["metadata"]


# -- apply --------------------------------------------------------------------------------------------------------

def test_apply_create_and_identical_reapply():
    created = apply(None, deployment_config(), now=T1)
    assert created["spec"]["replicas"] == 2 and created["metadata"]["name"] == "web"
    (entry,) = entries(created)
    assert entry == {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": T1,
                     "fieldsType": "FieldsV1", "fieldsV1": {
                         "f:metadata": {"f:labels": {"f:app": {}}},
                         "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
                             "f:metadata": {"f:labels": {"f:app": {}}},
                             "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                                 ".": {}, "f:image": {}, "f:name": {},
                                 # protocol is a key with default TCP (OpenAPI v3 of 1.32)
                                 "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {
                                     ".": {}, "f:containerPort": {}}}}}}}}}}
    live = stored(created)
    again = apply(live, deployment_config(), now=T2)
    assert again == live  # nothing changed: same object, same managedFields, same time: skip the write
    assert again is not live and again["metadata"] is not live["metadata"]


def test_apply_does_not_mutate_arguments():
    config = deployment_config()
    config_before = copy.deepcopy(config)
    live = stored(apply(None, config))
    live_before = copy.deepcopy(live)
    result = apply(live, deployment_config(replicas=5), force=True)
    result["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    result["metadata"]["labels"]["x"] = "y"
    assert config == config_before and live == live_before


def test_apply_removes_fields_no_longer_applied():
    live = stored(apply(None, deployment_config(), now=T1))
    config = deployment_config(replicas=None, image="nginx:1.28")
    config["metadata"]["labels"]["tier"] = "fe"
    result = apply(live, config, now=T2)
    assert "replicas" not in result["spec"]  # solely owned, no longer applied: removed
    assert result["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert by_manager(result)[("kubectl", "Apply")]["time"] == T2
    assert P("spec", "replicas") not in owned(result, "kubectl")


def test_apply_keeps_fields_another_applier_owns():
    live = stored(apply(None, deployment_config(), now=T1))
    shared = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
              "spec": {"replicas": 2}}
    live = stored(apply(live, shared, manager="other", now=T2))
    # two appliers, same values: no conflict, both own
    assert P("spec", "replicas") in owned(live, "kubectl") and P("spec", "replicas") in owned(live, "other")
    result = apply(live, deployment_config(replicas=None), now=T3)
    assert result["spec"]["replicas"] == 2
    assert result["metadata"]["labels"] == {"app": "web"}
    assert P("spec", "replicas") not in owned(result, "kubectl")
    assert owned(result, "other") == {P("metadata", "labels", "app"), P("spec", "replicas")}


def test_apply_keeps_fields_set_by_updates():
    live = stored(apply(None, deployment_config(), now=T1))
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    edited["metadata"]["labels"]["edited"] = "yes"
    live = stored(update(live, edited, "kubectl-edit", T2))
    result = apply(live, deployment_config(image="nginx:2"), now=T3)
    container = result["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:2" and container["env"] == [{"name": "A", "value": "1"}]
    assert result["metadata"]["labels"]["edited"] == "yes"


def test_apply_conflict_with_update_manager_and_force():
    live = stored(apply(None, deployment_config(), now=T1))
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    live = stored(update(live, scaled, "kubectl-client-side-apply", T2))
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, deployment_config(replicas=3), manager="ci", now=T3)
    assert err.value.message == \
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    assert err.value.code == 409
    assert err.value.conflicts == [("kubectl-client-side-apply", ".spec.replicas")]
    assert err.value.causes == [{"reason": "FieldManagerConflict",
                                 "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
                                 "field": ".spec.replicas"}]
    # applying the value the field already has is no conflict
    apply(live, deployment_config(replicas=5), manager="ci", now=T3)
    forced = apply(live, deployment_config(replicas=3), manager="ci", force=True, now=T3)
    assert forced["spec"]["replicas"] == 3
    assert P("spec", "replicas") in owned(forced, "ci")
    assert ("kubectl-client-side-apply", "Update") not in by_manager(forced)  # its only field went to ci


def test_apply_conflict_messages_many_managers():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "1", "c": "1"}}
    live = stored(update(None, cm, "x", T0, schema=CONFIGMAP, api_version="v1"))
    live = stored(apply(live, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                               "data": {"c": "1", "d": "1"}}, manager="y", schema=CONFIGMAP))
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
              "data": {"a": "2", "b": "2", "d": "2"}}
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, config, manager="z", schema=CONFIGMAP)
    assert err.value.message == ('Apply failed with 3 conflicts: conflicts with "x" using v1:\n- .data.a\n- .data.b\n'
                                 'conflicts with "y":\n- .data.d')
    only_x = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "2", "b": "2"}}
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, only_x, manager="z", schema=CONFIGMAP)
    assert err.value.message == 'Apply failed with 2 conflicts: conflicts with "x" using v1:\n- .data.a\n- .data.b'
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, only_x, manager="z", schema=CONFIGMAP, subresource="")
    status_live = stored(update(None, cm, "ctl", T0, schema=CONFIGMAP, api_version="v1", subresource="status"))
    with pytest.raises(fm.ApplyConflict) as err:
        apply(status_live, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "9"}},
              manager="z", schema=CONFIGMAP)
    assert err.value.message == \
        'Apply failed with 1 conflict: conflict with "ctl" with subresource "status" using v1: .data.a'


def test_apply_map_list_merges_by_key_and_prunes_items():
    containers = [{"name": "a", "image": "a:1", "ports": [{"containerPort": 80}, {"containerPort": 53,
                                                                                    "protocol": "UDP"}]},
                  {"name": "b", "image": "b:1"}]
    live = stored(apply(None, deployment_config(containers=containers)))
    # another applier adds a container and a port
    theirs = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"template": {"spec": {"containers": [
                  {"name": "a", "ports": [{"containerPort": 8080}]}, {"name": "sidecar", "image": "s:1"}]}}}}
    live = stored(apply(live, theirs, manager="mesh"))
    got = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in got] == ["a", "b", "sidecar"]
    assert [p["containerPort"] for p in got[0]["ports"]] == [80, 53, 8080]
    mesh = owned(live, "mesh")
    a = K("name", "a")
    assert P("spec", "template", "spec", "containers", a, "ports", K("containerPort", 8080, "protocol", "TCP")) in mesh
    assert P("spec", "template", "spec", "containers", a) in mesh and \
        P("spec", "template", "spec", "containers", a, "name") in mesh
    # kubectl drops container b and the UDP port: gone; mesh's items stay
    mine = [{"name": "a", "image": "a:2", "ports": [{"containerPort": 80}]}]
    result = apply(live, deployment_config(containers=mine))
    got = result["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in got] == ["a", "sidecar"]
    assert got[0]["image"] == "a:2" and [p["containerPort"] for p in got[0]["ports"]] == [80, 8080]


def test_apply_set_list_finalizers():
    def config(*finalizers):
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": list(finalizers)}}
    live = stored(apply(None, config("a.io/x", "b.io/y"), manager="one", schema=CONFIGMAP))
    live = stored(apply(live, config("c.io/z", "a.io/x"), manager="two", schema=CONFIGMAP))
    # mergingWalker's order: new items before the shared one they precede in the applied list
    assert live["metadata"]["finalizers"] == ["c.io/z", "a.io/x", "b.io/y"]
    assert owned(live, "two") == {P("metadata", "finalizers", V("c.io/z")), P("metadata", "finalizers", V("a.io/x"))}
    assert canonical(by_manager(live)[("one", "Apply")]["fieldsV1"]) == \
        r'{"f:metadata":{"f:finalizers":{"v:\"a.io/x\"":{},"v:\"b.io/y\"":{}}}}'
    result = apply(live, config(), manager="one", schema=CONFIGMAP)
    assert result["metadata"]["finalizers"] == ["c.io/z", "a.io/x"]  # b dropped, a still owned by two
    assert ("one", "Apply") not in by_manager(result)


def test_apply_atomic_list_and_atomic_struct():
    tolerations = [{"key": "a", "operator": "Exists"}]
    live = stored(apply(None, deployment_config(tolerations=tolerations)))
    mine = owned(live, "kubectl")
    assert P("spec", "template", "spec", "tolerations") in mine  # x-kubernetes-list-type: atomic: owned whole
    assert not any(len(p) > 4 and p[:4] == P("spec", "template", "spec", "tolerations") for p in mine)
    assert P("spec", "selector") in mine and not any(p[:2] == P("spec", "selector") and len(p) > 2 for p in mine)
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"template": {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}}}
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, other, manager="other")
    assert err.value.message == \
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.tolerations'
    result = apply(live, other, manager="other", force=True)
    assert result["spec"]["template"]["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]  # replaced
    assert P("spec", "template", "spec", "tolerations") not in owned(result, "kubectl")


def test_apply_granular_and_atomic_maps():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"selector": {"app": "a"}, "ports": [{"port": 80}]}}
    live = stored(apply(None, svc, manager="one", schema=SERVICE))
    assert by_manager(live)[("one", "Apply")]["fieldsV1"] == {"f:spec": {
        "f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}},
        "f:selector": {}}}  # Service.spec.selector is x-kubernetes-map-type: atomic
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "labels": {"x": "1"}},
             "spec": {"selector": {"app": "a", "tier": "b"}}}
    with pytest.raises(fm.ApplyConflict, match=r'conflict with "one": \.spec\.selector'):
        apply(live, other, manager="two", schema=SERVICE)
    result = apply(live, other, manager="two", schema=SERVICE, force=True)
    assert result["spec"]["selector"] == {"app": "a", "tier": "b"}
    assert owned(result, "two") == {P("metadata", "labels", "x"), P("spec", "selector")}


def test_apply_body_errors():
    live = stored(apply(None, deployment_config()))
    body = deployment_config()
    body["metadata"]["managedFields"] = []
    with pytest.raises(fm.ApplyError) as err:
        apply(live, body)
    assert (err.value.message, err.value.code) == ("metadata.managedFields must be nil", 400)
    body = deployment_config()
    body["metadata"]["managedFields"] = None
    apply(live, body)  # null is fine
    body = deployment_config()
    body["kind"] = "ReplicaSet"
    with pytest.raises(fm.ApplyError, match=r"^invalid object type: apps/v1, Kind=ReplicaSet$"):
        apply(live, body, kind=None) if False else fm.apply(live, body, "kubectl", False, "apps/v1", T1, DEPLOYMENT,
                                                              kind="Deployment")
    body = {"metadata": {"name": "web"}}
    with pytest.raises(fm.ApplyError, match=r"^invalid object type: /, Kind=$"):
        fm.apply(live, body, "kubectl", False, "apps/v1", T1, DEPLOYMENT, kind="Deployment")
    assert fm.check_apply_body({"apiVersion": "v1", "kind": "Pod"}, "v1", "Pod") is None
    assert fm.check_apply_body({"apiVersion": "apps/v1beta1"}, "apps/v1", None) == (
        "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1")


def test_apply_typed_errors():
    body = deployment_config()
    body["spec"]["replicass"] = 3
    with pytest.raises(fm.ApplyError) as err:
        apply(None, body)
    assert err.value.code == 500
    assert err.value.message == ("failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
                                 ".spec.replicass: field not declared in schema")
    body = deployment_config(containers=[{"image": "nginx"}])
    with pytest.raises(fm.ApplyError) as err:
        apply(None, body)
    assert err.value.message.endswith(
        ".spec.template.spec.containers: element 0: associative list with keys has an element that omits key "
        'field "name" (and doesn\'t have default value)')
    body = deployment_config(containers=[{"name": "a", "image": "x", "ports": [{"protocol": "TCP"}]}])
    with pytest.raises(fm.ApplyError) as err:
        apply(None, body)
    assert err.value.message.endswith(
        '.spec.template.spec.containers[name="a"].ports: element 0: associative list with keys has an element that '
        'omits key field "containerPort" (and doesn\'t have default value)')
    body = deployment_config(containers=[{"name": "a"}, {"name": "a"}])
    with pytest.raises(fm.ApplyError) as err:
        apply(None, body)
    assert err.value.message.endswith('.spec.template.spec.containers: duplicate entries for key [name="a"]')
    body = deployment_config(replicas="two")
    body["spec"]["paused"] = "yes"
    with pytest.raises(fm.ApplyError) as err:
        apply(None, body)
    assert err.value.message == (
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n"
        "  .spec.replicas: expected numeric (int or float), got string\n"
        "  .spec.paused: expected boolean, got &{yes}")


def test_apply_takes_over_fields_from_before_first_apply():
    live = stored(created_deployment())  # no managedFields at all
    result = apply(live, deployment_config(replicas=1, image="nginx"), now=T2)
    managers = by_manager(result)
    assert set(managers) == {("before-first-apply", "Update"), ("kubectl", "Apply")}
    before = owned(result, "before-first-apply", "Update")
    assert P("spec", "revisionHistoryLimit") in before
    assert P("spec", "replicas") not in before or P("spec", "replicas") in owned(result, "kubectl")
    with pytest.raises(fm.ApplyConflict, match="before-first-apply"):
        apply(live, deployment_config(replicas=7, image="nginx"), now=T2)


def test_kubectl_upgrade_from_client_side_apply():
    """kubectl apply --server-side over an object kubectl apply (client side) manages: the annotation's fields
    are taken over without conflicts and the annotation follows the new configuration."""
    config = deployment_config(replicas=2)
    annotation = json.dumps(config, sort_keys=True, separators=(",", ":")) + "\n"
    obj = copy.deepcopy(config)
    obj["metadata"]["annotations"] = {fm.LAST_APPLIED_ANNOTATION: annotation}
    live = stored(update(None, obj, "kubectl-client-side-apply", T0))
    new_config = deployment_config(replicas=3)
    with pytest.raises(fm.ApplyConflict):  # any other manager conflicts
        apply(live, new_config, manager="other", now=T1)
    result = apply(live, new_config, manager="kubectl", now=T1)
    assert result["spec"]["replicas"] == 3
    assert P("spec", "replicas") in owned(result, "kubectl")
    assert json.loads(result["metadata"]["annotations"][fm.LAST_APPLIED_ANNOTATION]) == new_config
    assert result["metadata"]["annotations"][fm.LAST_APPLIED_ANNOTATION].endswith("}\n")
    # a field changed by someone else since the client-side apply still conflicts
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 9
    edited = stored(update(live, edited, "kubectl-client-side-apply", T1))
    with pytest.raises(fm.ApplyConflict, match=r"\.spec\.replicas"):
        apply(edited, new_config, manager="kubectl", now=T2)


def test_ignore_managed_fields_timestamps():
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    new = copy.deepcopy(live)
    new["metadata"]["managedFields"][0]["time"] = T5
    assert fm.ignore_managed_fields_timestamps(new, live)["metadata"]["managedFields"][0]["time"] == T0
    new["spec"]["replicas"] = 9
    new["metadata"]["managedFields"][0]["time"] = T5
    assert fm.ignore_managed_fields_timestamps(new, live)["metadata"]["managedFields"][0]["time"] == T5


def test_validation_helpers():
    good = [{"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:a": {}}}]
    assert fm.validate_managed_fields(good) is None
    assert fm.validate_managed_fields([{**good[0], "operation": "Patch"}]) == "operation must be `Apply` or `Update`"
    assert fm.validate_managed_fields([{**good[0], "apiVersion": ""}]) == "apiVersion must not be empty"
    assert fm.validate_managed_fields([{**good[0], "fieldsType": ""}]) == \
        "missing fieldsType in managed fields entry 0"
    assert fm.validate_managed_fields([good[0], {**good[0], "fieldsType": "FieldsV2"}]) == \
        'invalid fieldsType "FieldsV2" in managed fields entry 1'
    assert fm.validate_managed_fields([{**good[0], "fieldsV1": {"x": {}}}]).startswith(
        "error decoding versioned set from {m Update v1 <nil> FieldsV1 ")
    causes = fm.managed_fields_field_errors([{**good[0], "operation": "Patch", "fieldsType": "X",
                                              "manager": "a\x07", "subresource": "s" * 257}])
    assert causes == [
        ("metadata.managedFields[0].operation", "FieldValueInvalid",
         'Invalid value: "Patch": must be `Apply` or `Update`'),
        ("metadata.managedFields[0].fieldsType", "FieldValueInvalid", 'Invalid value: "X": must be `FieldsV1`'),
        ("metadata.managedFields[0].manager", "FieldValueInvalid",
         'Invalid value: "a\x07": invalid character U+0007 (at position 1)'),
        ("metadata.managedFields[0].subresource", "FieldValueTooLong", "Too long: may not be more than 256 bytes"),
    ]
    assert fm.field_manager_errors("m" * 129) == [("fieldManager", "FieldValueTooLong",
                                                   "Too long: may not be more than 128 bytes")]
    assert fm.manager_or_user_agent("mine", "kubectl/v1.32.0 (linux/amd64)") == "mine"
    assert fm.manager_or_user_agent("", "kubectl/v1.32.0 (linux/amd64) kubernetes/abc") == "kubectl"
    assert fm.manager_or_user_agent(None, "a\x00b" + "c" * 200) == "ab" + "c" * 126
    assert fm.manager_or_user_agent("", "") == ""


def test_noop_changes():
    """apimachinery fieldmanager_test.go TestNoOpChanges: a new applier of identical values adds an entry (with
    no time: the object did not change); a no-op update and a no-op forced re-apply change nothing."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}}
    schema = "io.k8s.api.core.v1.Pod"
    live = stored(apply(None, pod, manager="fieldmanager_test_apply", schema=schema, now=T1))
    other = apply(live, pod, manager="fieldmanager_test_apply_other", schema=schema, now=T2)
    assert other != live
    assert by_manager(other)[("fieldmanager_test_apply_other", "Apply")] == {
        "manager": "fieldmanager_test_apply_other", "operation": "Apply", "apiVersion": "v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}}}
    # an entry without a time sorts first among appliers (time 0)
    assert [e["manager"] for e in entries(other)] == ["fieldmanager_test_apply_other", "fieldmanager_test_apply"]
    other = stored(other)
    assert update(other, copy.deepcopy(other), "fieldmanager_test_update", T3, schema=schema,
                  api_version="v1") == other
    assert apply(other, pod, manager="fieldmanager_test_apply", force=True, schema=schema, now=T4) == other


def test_update_strips_meta_fields():
    """TestApplyStripsFields: type and object meta fields are never owned; an undecodable request list falls back
    to the (empty) live one."""
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "b", "namespace": "b", "uid": "b", "generation": 0, "resourceVersion": "b",
                        "creationTimestamp": T0,
                        "managedFields": [{"manager": "update", "operation": "Apply", "apiVersion": "apps/v1"}]}}
    assert fm.managed_fields_for_update(None, obj, "fieldmanager_test", "", "apps/v1", T1, DEPLOYMENT) == []


def test_update_via_subresource_cannot_reset():
    """TestUpdateViaSubresources: on a subresource the request can neither set nor reset managedFields."""
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    new = copy.deepcopy(live)
    new["metadata"]["managedFields"] = []
    new["spec"]["replicas"] = 3
    mf = fm.managed_fields_for_update(live, new, "scaler", "scale", "apps/v1", T1, DEPLOYMENT)
    assert [(e["manager"], e.get("subresource")) for e in mf] == [("kubectl-create", None), ("scaler", "scale")]


def test_empty_entries_are_dropped_and_times_normalized():
    live = stored(update(None, created_deployment(), "kubectl-create", T0))
    new = copy.deepcopy(live)
    new["metadata"]["managedFields"].append({"manager": "ghost", "operation": "Update", "apiVersion": "apps/v1",
                                             "fieldsType": "FieldsV1", "time": "2024-01-01T02:00:00+02:00"})
    new["metadata"]["managedFields"][0]["time"] = "2024-01-01T01:00:00.5+01:00"
    new["spec"]["paused"] = True
    mf = fm.managed_fields_for_update(live, new, "x", "", "apps/v1", T1, DEPLOYMENT)
    assert [(e["manager"], e["time"]) for e in mf] == [("kubectl-create", T0), ("x", T1)]


def test_apply_null_values():
    live = stored(apply(None, deployment_config()))
    body = deployment_config()
    body["spec"]["replicas"] = None
    result = apply(live, body)
    assert "replicas" not in result["spec"]  # Go drops the null: the strategy's defaults apply
    assert P("spec", "replicas") in owned(result, "kubectl")  # but the applier owns the field
    cr = {"apiVersion": "e/v1", "kind": "K", "metadata": {"name": "n"}, "spec": {"extra": {"keep": None}}}
    assert apply(None, cr, schema=CRD_SCHEMA)["spec"] == {"extra": {"keep": None}}


# -- custom resources (OpenAPI v3 schemas) ------------------------------------------------------------------------

CRD_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {
            "size": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "hosts": {"type": "array", "items": {"type": "string"}},
            "routes": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["path"],
                       "items": {"type": "object", "properties": {"path": {"type": "string"},
                                                                  "backend": {"type": "string"}}}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "port": {"x-kubernetes-int-or-string": True},
        }},
    },
}


def test_custom_resource_apply_and_update():
    cr = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
          "spec": {"size": 1, "tags": ["a"], "hosts": ["h1"], "routes": [{"path": "/", "backend": "b"}],
                   "extra": {"free": {"form": [1, 2]}}, "port": "http"}}
    live = stored(apply(None, cr, manager="m", schema=CRD_SCHEMA))
    # "free" is a key of a map, not a declared field: a member itself; lists there are atomic
    assert by_manager(live)[("m", "Apply")]["fieldsV1"] == {"f:spec": {
        "f:extra": {"f:free": {".": {}, "f:form": {}}}, "f:hosts": {}, "f:port": {},
        "f:routes": {'k:{"path":"/"}': {".": {}, "f:backend": {}, "f:path": {}}},
        "f:size": {}, "f:tags": {'v:"a"': {}}}}
    # an update records new maps (spec here) with ".": upstream's unstructured objects have no zero values
    created = fm.managed_fields_for_update(None, cr, "creator", "", "example.com/v1", T0, CRD_SCHEMA)
    assert created[0]["fieldsV1"]["f:spec"]["."] == {}
    compiled = fm.compile_schema(CRD_SCHEMA)
    assert fm.apply(live, cr, "m", False, "example.com/v1", T2, compiled) == live


def test_custom_resource_schema_change_to_atomic():
    """merge/schema_change_test.go to-atomic: ownership below a now-atomic struct collapses onto it."""
    granular = {"type": "object", "properties": {"struct": {"type": "object", "properties": {
        "numeric": {"type": "integer"}, "string": {"type": "string"}}}}}
    atomic = copy.deepcopy(granular)
    atomic["properties"]["struct"]["x-kubernetes-map-type"] = "atomic"
    obj = {"apiVersion": "e/v1", "kind": "K", "metadata": {"name": "n"}}
    live = stored(apply(None, {**obj, "struct": {"numeric": 1}}, manager="one", schema=granular))
    with pytest.raises(fm.ApplyConflict) as err:
        apply(live, {**obj, "struct": {"string": "string"}}, manager="two", schema=atomic)
    assert err.value.conflicts == [("one", ".struct")]
    result = apply(live, {**obj, "struct": {"string": "string"}}, manager="two", schema=atomic, force=True)
    assert result["struct"] == {"string": "string"}
    assert [e["manager"] for e in entries(result)] == ["two"]
    assert owned(result, "two") == {P("struct")}


# -- structured-merge-diff merge/*_test.go, ported ------------------------------------------------------------------

class State:
    """internal/fixture: live object and managers, driven through the updater (no meta stripping, no times)."""

    def __init__(self, schema):
        self.compiled = fm.compile_schema(schema)
        self.live = None
        self.managed = fm._Managed()

    def _ctx(self, version):
        return fm._Context(self.compiled, version, None)

    def apply(self, obj, manager, version="v1", force=False, conflicts=None):
        managed = fm._Managed()
        managed.fields = dict(self.managed.fields)
        try:
            new, _, changed = fm._smd_apply(self.live, obj, managed, (manager, "", "", ""), force,
                                            self._ctx(version))
        except fm._Conflicts as err:
            got = sorted((mid[0], path) for mid, paths in err.conflicts.items() for path in paths)
            assert conflicts is not None, f"unexpected conflicts {got}"
            assert got == sorted(conflicts)
            return
        assert conflicts is None, "expected conflicts"
        self.managed = managed
        if changed:
            self.live = new

    def update(self, obj, manager, version="v1"):
        fm._smd_update(self.live, obj, self.managed, (manager, "", "", ""), self._ctx(version))
        self.live = obj

    def check(self, obj, managed):
        assert self.live == obj
        got = {mid[0]: (vs.paths, vs.version) for mid, vs in self.managed.fields.items()}
        assert got == managed


LEAF = {"type": "object", "properties": {"numeric": {"type": "number"}, "string": {"type": "string"},
                                         "bool": {"type": "boolean"}}}
SETS = {"type": "object", "properties": {"list": {"type": "array", "items": {"type": "string"},
                                                  "x-kubernetes-list-type": "set"}}}
ASSOC = {"type": "object", "properties": {"list": {
    "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
    "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "number"}}}}}}
PORTS = {"type": "object", "properties": {"containerPorts": {
    "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
    "items": {"type": "object", "properties": {"port": {"type": "number"},
                                               "protocol": {"type": "string", "default": "TCP"},
                                               "name": {"type": "string"}}}}}}


def test_smd_leaf_apply_twice():
    s = State(LEAF)
    s.apply({"numeric": 1, "string": "string"}, "default")
    s.apply({"numeric": 2, "string": "string", "bool": False}, "default", version="v2")
    s.check({"numeric": 2, "string": "string", "bool": False},
            {"default": ({P("numeric"), P("string"), P("bool")}, "v2")})


def test_smd_leaf_apply_update_apply_no_conflict():
    s = State(LEAF)
    s.apply({"numeric": 1, "string": "string"}, "default")
    s.update({"numeric": 1, "string": "string", "bool": True}, "controller", version="v2")
    s.apply({"numeric": 2, "string": "string"}, "default")
    s.check({"numeric": 2, "string": "string", "bool": True},
            {"default": ({P("numeric"), P("string")}, "v1"), "controller": ({P("bool")}, "v2")})


def test_smd_leaf_apply_update_apply_with_conflict():
    s = State(LEAF)
    s.apply({"numeric": 1, "string": "string"}, "default")
    s.update({"numeric": 1, "string": "controller string", "bool": True}, "controller")
    s.apply({"numeric": 2, "string": "user string"}, "default", conflicts=[("controller", P("string"))])
    s.apply({"numeric": 2, "string": "user string"}, "default", force=True)
    s.check({"numeric": 2, "string": "user string", "bool": True},
            {"default": ({P("numeric"), P("string")}, "v1"), "controller": ({P("bool")}, "v1")})


def test_smd_set_apply_update_apply_no_overlap():
    s = State(SETS)
    s.apply({"list": ["a", "c"]}, "default")
    s.update({"list": ["a", "b", "c", "d"]}, "controller")
    s.apply({"list": ["a", "aprime", "c", "cprime"]}, "default")
    s.check({"list": ["a", "b", "aprime", "c", "d", "cprime"]},
            {"default": ({P("list", V(x)) for x in ("a", "aprime", "c", "cprime")}, "v1"),
             "controller": ({P("list", V("b")), P("list", V("d"))}, "v1")})


def test_smd_set_apply_twice_reorder_and_remove():
    s = State(SETS)
    s.apply({"list": ["a", "b", "c", "d"]}, "default")
    s.apply({"list": ["a", "d", "c", "b"]}, "default")
    s.check({"list": ["a", "d", "c", "b"]}, {"default": ({P("list", V(x)) for x in "abcd"}, "v1")})
    s.update({"list": ["a", "c", "b", "d"]}, "controller")  # reordering owns nothing
    s.apply({"list": ["a", "c"]}, "default")
    s.check({"list": ["a", "c"]}, {"default": ({P("list", V("a")), P("list", V("c"))}, "v1")})


def test_smd_multiple_appliers_remove_one_keep_one():
    s = State(ASSOC)

    def items(*names):
        return {"list": [{"name": n} for n in names]}

    s.apply(items("a", "b", "c"), "apply-one")
    s.apply(items("c", "d"), "apply-two", version="v2")
    s.apply(items("a"), "apply-one", version="v3")
    s.check(items("a", "c", "d"), {
        "apply-one": ({P("list", K("name", "a")), P("list", K("name", "a"), "name")}, "v3"),
        "apply-two": ({P("list", K("name", x)) for x in "cd"} | {P("list", K("name", x), "name") for x in "cd"},
                      "v2")})


def test_smd_multiple_appliers_same_value_and_conflict():
    s = State(ASSOC)
    s.apply({"list": [{"name": "a", "value": 0}]}, "apply-one")
    s.apply({"list": [{"name": "a", "value": 0}]}, "apply-two", version="v2")
    paths = {P("list", K("name", "a")), P("list", K("name", "a"), "name"), P("list", K("name", "a"), "value")}
    s.check({"list": [{"name": "a", "value": 0}]}, {"apply-one": (paths, "v1"), "apply-two": (paths, "v2")})
    s.apply({"list": [{"name": "a", "value": 1}]}, "apply-three",
            conflicts=[("apply-one", P("list", K("name", "a"), "value")),
                       ("apply-two", P("list", K("name", "a"), "value"))])


def test_smd_key_removing_obsolete_applied_structs():
    s = State(ASSOC)
    s.apply({"list": [{"name": "a", "value": 1}]}, "default")
    s.apply({"list": [{"name": "b", "value": 2}]}, "default")
    s.check({"list": [{"name": "b", "value": 2}]}, {"default": (
        {P("list", K("name", "b")), P("list", K("name", "b"), "name"), P("list", K("name", "b"), "value")}, "v1")})


def test_smd_default_keys():
    s = State(PORTS)
    s.apply({"containerPorts": [{"port": 80}, {"port": 80, "protocol": "UDP"}]}, "default")
    tcp, udp = K("port", 80, "protocol", "TCP"), K("port", 80, "protocol", "UDP")
    s.check({"containerPorts": [{"port": 80}, {"port": 80, "protocol": "UDP"}]}, {"default": (
        {P("containerPorts", tcp), P("containerPorts", tcp, "port"), P("containerPorts", udp),
         P("containerPorts", udp, "port"), P("containerPorts", udp, "protocol")}, "v1")})
    s = State(PORTS)
    s.apply({"containerPorts": [{"port": 80, "protocol": "TCP", "name": "foo"}]}, "apply-one")
    s.apply({"containerPorts": [{"port": 80, "name": "bar"}]}, "apply-two",
            conflicts=[("apply-one", P("containerPorts", tcp, "name"))])
    errors = []
    fm._validate({"containerPorts": [{"protocol": "TCP"}]}, fm.compile_schema(PORTS).root, errors)
    assert errors == [(".containerPorts", 'element 0: associative list with keys has an element that omits key '
                                          'field "port" (and doesn\'t have default value)')]
    errors = []
    fm._validate({"containerPorts": [{"port": 80}, {"port": 80}]}, fm.compile_schema(PORTS).root, errors)
    assert errors == [(".containerPorts", 'duplicate entries for key [port=80,protocol="TCP"]')]


DUPS = {"type": "object", "properties": {"list": {
    "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
    "items": {"type": "object", "properties": {"name": {"type": "string"}, "value1": {"type": "number"},
                                               "value2": {"type": "number"}}}}}}


def test_smd_duplicates_ownership():
    """merge/duplicates_test.go list/ownership/*: a duplicated key is owned once, as a whole."""
    a, b = K("name", "a"), K("name", "b")
    s = State(DUPS)
    s.update({"list": [{"name": "a", "value1": 1}, {"name": "a", "value1": 2}, {"name": "b", "value1": 3}]},
             "updater-one")
    one = {P("list"), P("list", a), P("list", b), P("list", b, "name"), P("list", b, "value1")}
    s.check(s.live, {"updater-one": (one, "v1")})
    s.update({"list": [{"name": "a", "value1": 1}, {"name": "a", "value1": 3}, {"name": "b", "value1": 3}]},
             "updater-two")
    s.check(s.live, {"updater-one": (one - {P("list", a)}, "v1"), "updater-two": ({P("list", a)}, "v1")})


def test_smd_duplicates_merge_change_duplicated_item():
    """merge/duplicates_test.go list/merge/change_duplicated_item."""
    a, b = K("name", "a"), K("name", "b")
    s = State(DUPS)
    s.update({"list": [{"name": "a", "value1": 1}, {"name": "a", "value1": 2}, {"name": "b", "value1": 3}]},
             "updater")
    s.apply({"list": [{"name": "a", "value1": 3}]}, "applier", conflicts=[("updater", P("list", a))])
    s.apply({"list": [{"name": "a", "value1": 3}]}, "applier", force=True)
    s.check({"list": [{"name": "a", "value1": 3}, {"name": "b", "value1": 3}]}, {
        "updater": ({P("list"), P("list", b), P("list", b, "name"), P("list", b, "value1")}, "v1"),
        "applier": ({P("list", a), P("list", a, "name"), P("list", a, "value1")}, "v1")})


# -- performance ----------------------------------------------------------------------------------------------------

def test_apply_timing():
    def container(i):
        return {"name": f"c{i}", "image": f"img:{i}", "args": ["--a"], "ports": [{"containerPort": 8080 + i}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                "volumeMounts": [{"name": "data", "mountPath": f"/d{i}"}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}}
    config = deployment_config(containers=[container(i) for i in range(5)], volumes=[{"name": "data",
                                                                                      "emptyDir": {}}])
    live = stored(apply(None, config, now=T1))
    changed = copy.deepcopy(config)
    changed["spec"]["template"]["spec"]["containers"][2]["image"] = "img:new"
    del changed["spec"]["template"]["spec"]["containers"][4]
    new = copy.deepcopy(live)
    new["spec"]["replicas"] = 9
    runs = 50
    for label, fn in (("apply create", lambda: apply(None, config, now=T1)),
                      ("apply identical", lambda: apply(live, config, now=T2)),
                      ("apply change+prune", lambda: apply(live, changed, now=T2)),
                      ("update", lambda: fm.managed_fields_for_update(live, new, "x", "", "apps/v1", T2,
                                                                      DEPLOYMENT))):
        fn()
        start = time.perf_counter()
        for _ in range(runs):
            fn()
        print(f"{label}: {(time.perf_counter() - start) * 1000 / runs:.2f} ms (Deployment, 5 containers)")
