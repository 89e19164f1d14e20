"""CustomResourceDefinitions end to end: establishing, serving, schema rules, subresources, printer columns,
versions, deletion, kubectl, the Python client's CustomObjectsApi, and a real kopf operator."""

import json
import os
import shutil
import subprocess
import textwrap
import threading
import time

import pytest
from support import ServerThread

GROUP = "stable.example.com"
CRON = "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": f"crontabs.{GROUP}"},
    "spec": {
        "group": GROUP, "scope": "Namespaced",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"],
                  "categories": ["all"]},
        "versions": [
            {"name": "v1", "served": True, "storage": True,
             "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                      "statusReplicasPath": ".status.replicas",
                                                      "labelSelectorPath": ".status.selector"}},
             "additionalPrinterColumns": [
                 {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                 {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                 {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
             "schema": {"openAPIV3Schema": {
                 "type": "object",
                 "properties": {
                     "spec": {"type": "object",
                              "x-kubernetes-validations": [
                                  {"rule": "self.replicas <= self.maxReplicas",
                                   "message": "replicas must not exceed maxReplicas"}],
                              "properties": {
                                  "cronSpec": {"type": "string", "pattern": CRON},
                                  "image": {"type": "string"},
                                  "replicas": {"type": "integer", "minimum": 0, "default": 1},
                                  "maxReplicas": {"type": "integer", "default": 10},
                                  "color": {"type": "string", "enum": ["red", "blue"]}}},
                     "status": {"type": "object", "properties": {
                         "phase": {"type": "string"}, "replicas": {"type": "integer"},
                         "selector": {"type": "string"}, "updates": {"type": "integer"},
                         "conditions": {"type": "array", "items": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}},
                 }}}},
            {"name": "v1beta1", "served": True, "storage": False, "deprecated": True,
             "deprecationWarning": "stable.example.com/v1beta1 CronTab is deprecated; use v1",
             "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
        ]}}
BASE = f"/apis/{GROUP}/v1/namespaces/default/crontabs"


def call(srv, method, path, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    code, headers, raw = srv.request(method, path, body=data,
                                     headers={"Content-Type": content_type} if body is not None else {})
    return code, (json.loads(raw) if raw[:1] in b"{[" else raw), headers


def crontab(name, **spec):
    return {"apiVersion": f"{GROUP}/v1", "kind": "CronTab", "metadata": {"name": name},
            "spec": dict({"cronSpec": "* * * * */5", "image": "my-cron"}, **spec)}


def establish(srv, crd=CRD):
    code, body, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201, body
    # PrepareForCreate's status, before the controller has looked (clients read status.conditions at once)
    stored = [v["name"] for v in crd["spec"]["versions"] if v["storage"]]
    assert body["status"] == {"acceptedNames": {"plural": "", "kind": ""}, "storedVersions": stored}, body
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        _, got, _ = call(srv, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                                     f"{crd['metadata']['name']}")
        conditions = {c["type"]: c["status"] for c in got.get("status", {}).get("conditions", [])}
        if conditions.get("Established") == "True":
            return got
        time.sleep(0.02)
    raise AssertionError(f"not established: {got.get('status')}")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with ServerThread(tmp_path_factory.mktemp("crd")) as server:
        start = time.monotonic()
        crd = establish(server)
        server.established_in = time.monotonic() - start
        server.crd = crd
        yield server


def test_established_and_discoverable(srv):
    assert srv.established_in < 1.0
    conditions = {c["type"]: (c["status"], c["reason"]) for c in srv.crd["status"]["conditions"]}
    assert conditions["NamesAccepted"] == ("True", "NoConflicts")
    assert conditions["Established"] == ("True", "InitialNamesAccepted")
    assert srv.crd["status"]["acceptedNames"]["kind"] == "CronTab"
    assert srv.crd["status"]["storedVersions"] == ["v1"]
    assert "customresourcecleanup.apiextensions.k8s.io" in srv.crd["metadata"]["finalizers"]
    _, res, _ = call(srv, "GET", f"/apis/{GROUP}/v1")
    names = {r["name"]: r for r in res["resources"]}
    assert names["crontabs"]["shortNames"] == ["ct"] and names["crontabs"]["categories"] == ["all"]
    assert "crontabs/status" in names and names["crontabs/scale"]["kind"] == "Scale"
    _, groups, _ = call(srv, "GET", "/apis")
    group = next(g for g in groups["groups"] if g["name"] == GROUP)
    assert {v["version"] for v in group["versions"]} == {"v1", "v1beta1"}
    code, index, _ = call(srv, "GET", "/openapi/v3")
    assert f"apis/{GROUP}/v1" in index["paths"]


def test_defaults_pruning_and_validation(srv):
    body = crontab("defaults")
    body["spec"]["unknownField"] = "x"
    code, obj, headers = call(srv, "POST", BASE, body)
    assert code == 201, obj
    assert obj["spec"]["replicas"] == 1 and obj["spec"]["maxReplicas"] == 10     # defaulted
    assert "unknownField" not in obj["spec"]                                      # pruned
    assert obj["metadata"]["generation"] == 1
    assert any("unknownField" in w for w in headers.get_all("Warning") or [])
    code, status, _ = call(srv, "POST", f"{BASE}?fieldValidation=Strict", dict(crontab("strict"), extra=1))
    assert code == 400 and 'unknown field "extra"' in status["message"]
    code, status, _ = call(srv, "POST", BASE, crontab("bad", replicas=-1, color="pink"))
    assert code == 422 and status["reason"] == "Invalid"
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"spec.replicas", "spec.color"} <= fields
    code, status, _ = call(srv, "POST", BASE, crontab("rule", replicas=20, maxReplicas=5))
    assert code == 422 and "replicas must not exceed maxReplicas" in status["message"]
    assert call(srv, "GET", f"{BASE}/bad")[0] == 404   # nothing stored


def test_status_scale_generation_and_patches(srv):
    call(srv, "POST", BASE, crontab("sub", replicas=2))
    code, obj, _ = call(srv, "PATCH", f"{BASE}/sub/status", {"status": {"phase": "Ready", "replicas": 2,
                                                                         "selector": "app=sub"}},
                        "application/merge-patch+json")
    assert code == 200 and obj["status"]["phase"] == "Ready" and obj["metadata"]["generation"] == 1
    code, scale, _ = call(srv, "GET", f"{BASE}/sub/scale")
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 2, "selector": "app=sub"}
    code, scale, _ = call(srv, "PATCH", f"{BASE}/sub/scale", {"spec": {"replicas": 4}},
                          "application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 4
    code, obj, _ = call(srv, "GET", f"{BASE}/sub")
    assert obj["spec"]["replicas"] == 4 and obj["metadata"]["generation"] == 2
    code, status, _ = call(srv, "PATCH", f"{BASE}/sub", {"spec": {"image": "x"}},
                           "application/strategic-merge-patch+json")
    assert code == 415
    code, obj, _ = call(srv, "PATCH", f"{BASE}/sub", [{"op": "replace", "path": "/spec/image", "value": "y"}],
                        "application/json-patch+json")
    assert code == 200 and obj["spec"]["image"] == "y"
    code, status, _ = call(srv, "POST", BASE, b"k8s\x00garbage", "application/vnd.kubernetes.protobuf")
    assert code == 415


def test_printer_columns_and_versions(srv):
    call(srv, "POST", BASE, crontab("printed", replicas=3))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io"
    code, _, table = srv.request("GET", f"{BASE}/printed", headers={"Accept": accept})
    table = json.loads(table)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Spec", "Replicas", "Age"]
    assert table["rows"][0]["cells"][:3] == ["printed", "* * * * */5", 3]
    code, old, headers = call(srv, "GET", f"/apis/{GROUP}/v1beta1/namespaces/default/crontabs/printed")
    assert code == 200 and old["apiVersion"] == f"{GROUP}/v1beta1" and old["spec"]["replicas"] == 3
    assert headers["Warning"] == '299 - "stable.example.com/v1beta1 CronTab is deprecated; use v1"'


def test_name_conflicts_are_reported(srv):
    clash = json.loads(json.dumps(CRD))
    clash["metadata"]["name"] = f"crontabz.{GROUP}"
    clash["spec"]["names"] = {"plural": "crontabz", "singular": "crontabz", "kind": "CronTab"}
    code, body, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", clash)
    assert code == 201
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        _, got, _ = call(srv, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabz.{GROUP}")
        conditions = {c["type"]: c for c in got.get("status", {}).get("conditions", [])}
        if "NamesAccepted" in conditions:
            break
        time.sleep(0.02)
    assert conditions["NamesAccepted"]["status"] == "False" and conditions["NamesAccepted"]["reason"] == "KindConflict"
    assert conditions["Established"]["status"] == "False"


def test_invalid_crds_are_refused(srv):
    bad = json.loads(json.dumps(CRD))
    bad["metadata"]["name"] = "wrongname.example.com"
    code, status, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bad)
    assert code == 422 and "metadata.name" in status["message"]
    nonstructural = json.loads(json.dumps(CRD))
    nonstructural["metadata"]["name"] = f"others.{GROUP}"
    nonstructural["spec"]["names"] = {"plural": "others", "kind": "Other"}
    nonstructural["spec"]["versions"] = [{"name": "v1", "served": True, "storage": True, "schema": {
        "openAPIV3Schema": {"type": "object", "properties": {"spec": {"properties": {"a": {"type": "string"}}}}}}}]
    code, status, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", nonstructural)
    assert code == 422 and "type: Required value" in status["message"]
    badrule = json.loads(json.dumps(nonstructural))
    badrule["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {
        "type": "object", "x-kubernetes-validations": [{"rule": "self.undefinedFunction(1)"}]}
    code, status, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", badrule)
    assert code == 422 and "compilation failed" in status["message"]
    builtin = json.loads(json.dumps(nonstructural))
    builtin["metadata"]["name"] = "others.apps"
    builtin["spec"]["group"] = "apps"
    code, status, _ = call(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", builtin)
    assert code == 422


def test_deleting_a_crd_deletes_its_objects(tmp_path):
    with ServerThread(tmp_path / "data") as srv:
        crd = json.loads(json.dumps(CRD))
        crd["metadata"]["name"] = f"gadgets.{GROUP}"
        crd["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
        crd["spec"]["versions"] = [{"name": "v1", "served": True, "storage": True, "schema": {
            "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]
        establish(srv, crd)
        path = f"/apis/{GROUP}/v1/namespaces/default/gadgets"
        for i in range(3):
            assert call(srv, "POST", path, {"apiVersion": f"{GROUP}/v1", "kind": "Gadget",
                                            "metadata": {"name": f"g{i}"}})[0] == 201
        code, body, _ = call(srv, "DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{GROUP}")
        assert code == 200
        deadline = time.monotonic() + 10
        while call(srv, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{GROUP}")[0] != 404:
            assert time.monotonic() < deadline, "the CRD was not deleted"
            time.sleep(0.05)
        assert srv.config.store.list(f"/registry/{GROUP}/gadgets/").items == []
        while call(srv, "GET", path)[0] != 404:     # no longer served, once the controller has seen the deletion
            assert time.monotonic() < deadline, "the custom resource is still served"
            time.sleep(0.05)
        _, res, _ = call(srv, "GET", "/apis")
        assert GROUP not in [g["name"] for g in res["groups"]]


def test_python_client_custom_objects(srv):
    kubernetes = pytest.importorskip("kubernetes")
    client = kubernetes.config.new_client_from_config(config_file=srv.kubeconfig)
    api = kubernetes.client.CustomObjectsApi(client)
    api.create_namespaced_custom_object(GROUP, "v1", "default", "crontabs", crontab("pyclient"))
    got = api.get_namespaced_custom_object(GROUP, "v1", "default", "crontabs", "pyclient")
    assert got["spec"]["replicas"] == 1
    items = api.list_namespaced_custom_object(GROUP, "v1", "default", "crontabs")["items"]
    assert "pyclient" in [i["metadata"]["name"] for i in items]
    api.patch_namespaced_custom_object_status(GROUP, "v1", "default", "crontabs", "pyclient",
                                              {"status": {"phase": "Done"}})
    assert api.get_namespaced_custom_object_status(GROUP, "v1", "default", "crontabs",
                                                   "pyclient")["status"]["phase"] == "Done"
    watch = kubernetes.watch.Watch()
    rv = api.list_namespaced_custom_object(GROUP, "v1", "default", "crontabs")["metadata"]["resourceVersion"]
    threading.Timer(0.3, lambda: api.delete_namespaced_custom_object(GROUP, "v1", "default", "crontabs",
                                                                     "pyclient")).start()
    for event in watch.stream(api.list_namespaced_custom_object, GROUP, "v1", "default", "crontabs",
                              resource_version=rv, timeout_seconds=5):
        if event["type"] == "DELETED":
            assert event["object"]["metadata"]["name"] == "pyclient"
            watch.stop()
            break
    else:
        raise AssertionError("no DELETED event")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed on this machine")
def test_kubectl_with_a_crd(tmp_path):
    with ServerThread(tmp_path / "data") as srv:
        env = dict(os.environ, HOME=str(tmp_path))

        def kubectl(*args, check=True):
            result = subprocess.run(["kubectl", "--kubeconfig", srv.kubeconfig, *args], capture_output=True,
                                    text=True, timeout=60, env=env)
            if check:
                assert result.returncode == 0, result.stderr
            return result
        crd_file, obj_file = tmp_path / "crd.json", tmp_path / "ct.json"
        crd_file.write_text(json.dumps(CRD))
        obj_file.write_text(json.dumps(crontab("kubectl-ct", replicas=2)))
        kubectl("apply", "-f", str(crd_file))
        kubectl("wait", "--for=condition=Established", f"crd/crontabs.{GROUP}", "--timeout=10s")
        kubectl("create", "-f", str(obj_file))
        out = kubectl("get", "crontabs").stdout
        assert out.split("\n")[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
        assert "kubectl-ct" in out and "* * * * */5" in out
        yaml_out = kubectl("get", "ct", "kubectl-ct", "-o", "json").stdout
        assert json.loads(yaml_out)["spec"]["maxReplicas"] == 10
        kubectl("scale", "crontab/kubectl-ct", "--replicas=5")
        assert json.loads(kubectl("get", "ct", "kubectl-ct", "-o", "json").stdout)["spec"]["replicas"] == 5
        kubectl("patch", "ct", "kubectl-ct", "--type", "merge", "-p", '{"spec":{"image":"other"}}')
        assert "other" in kubectl("get", "ct", "kubectl-ct", "-o", "jsonpath={.spec.image}").stdout
        kubectl("delete", "crd", f"crontabs.{GROUP}")
        assert kubectl("get", "crontabs", check=False).returncode != 0
        assert srv.config.store.list(f"/registry/{GROUP}/crontabs/").items == []


OPERATOR = textwrap.dedent('''
    import os

    import kopf

    @kopf.on.login()
    def login(**_):
        # explicit credentials: the kubernetes package fixes its default KUBECONFIG path when first imported
        return kopf.ConnectionInfo(server=os.environ["TEST_SERVER"], ca_path=os.environ["TEST_CA"],
                                   certificate_path=os.environ["TEST_CERT"], private_key_path=os.environ["TEST_KEY"],
                                   default_namespace="default")

    @kopf.on.startup()
    def configure(settings, **_):
        settings.posting.enabled = False
        settings.watching.server_timeout = 10

    @kopf.on.create("stable.example.com", "v1", "crontabs")
    def created(spec, patch, **_):
        patch.status["phase"] = "Created"

    @kopf.on.update("stable.example.com", "v1", "crontabs")
    def updated(spec, status, patch, **_):
        patch.status["updates"] = (status.get("updates") or 0) + 1

    @kopf.on.delete("stable.example.com", "v1", "crontabs")
    def deleted(name, namespace, **_):
        import kubernetes
        client = kubernetes.config.new_client_from_config(config_file=os.environ["KUBECONFIG"])
        kubernetes.client.CoreV1Api(client).create_namespaced_config_map(namespace, {
            "metadata": {"name": f"deleted-{name}"}, "data": {"by": "kopf"}})
''')


def test_kopf_operator(srv, tmp_path, monkeypatch):
    pytest.importorskip("kopf")
    pytest.importorskip("kubernetes")
    from kopf.testing import KopfRunner
    operator = tmp_path / "operator.py"
    operator.write_text(OPERATOR)
    monkeypatch.setenv("KUBECONFIG", srv.kubeconfig)
    monkeypatch.setenv("TEST_SERVER", srv.url)
    monkeypatch.setenv("TEST_CA", str(srv.pki.ca_cert))
    monkeypatch.setenv("TEST_CERT", str(srv.pki.admin_cert))
    monkeypatch.setenv("TEST_KEY", str(srv.pki.admin_key))
    path = f"/apis/{GROUP}/v1/namespaces/default/crontabs"

    def wait_for(check, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    with KopfRunner(["run", "--standalone", "--namespace", "default", str(operator)], timeout=60) as runner:
        assert call(srv, "POST", path, crontab("kopf-ct"))[0] == 201
        wait_for(lambda: call(srv, "GET", f"{path}/kopf-ct")[1].get("status", {}).get("phase") == "Created",
                 "the create handler")
        call(srv, "PATCH", f"{path}/kopf-ct", {"spec": {"image": "v2"}}, "application/merge-patch+json")
        wait_for(lambda: call(srv, "GET", f"{path}/kopf-ct")[1].get("status", {}).get("updates", 0) >= 1,
                 "the update handler")
        obj = call(srv, "GET", f"{path}/kopf-ct")[1]
        assert any("kopf" in f for f in obj["metadata"].get("finalizers", []))   # kopf's own finalizer
        assert call(srv, "DELETE", f"{path}/kopf-ct")[0] == 200
        wait_for(lambda: call(srv, "GET", f"{path}/kopf-ct")[0] == 404, "the object to go")
        wait_for(lambda: call(srv, "GET", "/api/v1/namespaces/default/configmaps/deleted-kopf-ct")[0] == 200,
                 "the delete handler")
    assert runner.exit_code == 0, runner.output
    assert runner.exception is None


def test_deeply_nested_objects_are_refused(srv):
    nested = "1"
    for _ in range(2000):
        nested = '{"a":' + nested + "}"
    body = ('{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"deep"},"spec":' + nested
            + "}").encode()
    code, status, _ = call(srv, "POST", BASE, body)
    assert code == 400 and status["kind"] == "Status"
    assert call(srv, "GET", f"{BASE}/deep")[0] == 404
    assert call(srv, "GET", "/readyz")[0] == 200   # and the server is fine
