"""PATCH in its four forms and server-side apply, end to end: kubectl 1.32, the official Python client, lightkube.

One server serves the whole module; every test works in a namespace of its own and checks the resulting objects
through the API. Expected answers are upstream kube-apiserver 1.32's: the patch handler
(staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go), the field manager (k8s.io/apimachinery
pkg/util/managedfields), the Status errors of apimachinery's errors package, and what kubectl 1.32 prints for them.
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

import pytest
from support import ServerThread, patch_as

KUBECTL = shutil.which("kubectl")
TIMEOUT = 60
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
JSON_PATCH = "application/json-patch+json"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")

HAS_YAML = importlib.util.find_spec("yaml") is not None


# -- fixtures and helpers


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("apply") / "data").start()
    yield server
    server.stop()


_ns_counter = itertools.count()


@pytest.fixture
def ns(srv):
    """A fresh namespace for one test."""
    name = f"ap-{next(_ns_counter)}"
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": name}})
    assert code == 201, body
    return name


def call(srv: ServerThread, method: str, path: str, body=None, content_type: str = ""):
    """One request; returns (code, decoded JSON body)."""
    headers = {"Content-Type": content_type} if content_type else None
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    code, _, data = srv.request(method, path, body, headers=headers)
    return code, (json.loads(data) if data else {})


def api(srv: ServerThread, method: str, path: str, body=None, content_type: str = "", expect=(200, 201)) -> dict:
    code, obj = call(srv, method, path, body, content_type)
    assert code in expect, f"{method} {path}: {code} {json.dumps(obj)[:2000]}"
    return obj


def get(srv: ServerThread, path: str) -> dict:
    return api(srv, "GET", path, expect=(200,))


def deploy_path(namespace: str, name: str = "") -> str:
    base = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    return f"{base}/{name}" if name else base


def cm_path(namespace: str, name: str = "") -> str:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    return f"{base}/{name}" if name else base


def container(name: str, image: str, **fields) -> dict:
    return {"name": name, "image": image, **fields}


def deployment(name: str, replicas: int = 1, containers: Optional[List[dict]] = None,
               labels: Optional[Dict[str, str]] = None) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels if labels is not None else {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": containers or [container("app", "nginx:1.27")]}}},
    }


def create(srv: ServerThread, namespace: str, obj: dict) -> dict:
    path = deploy_path(namespace) if obj["kind"] == "Deployment" else cm_path(namespace)
    return api(srv, "POST", path, obj, expect=(201,))


def managers(obj: dict) -> Dict[str, dict]:
    """managedFields by (manager, operation), as `manager/Operation`."""
    entries = obj["metadata"].get("managedFields") or []
    by_key = {f"{e['manager']}/{e['operation']}": e for e in entries}
    assert len(by_key) == len(entries), f"duplicate managedFields entries: {entries}"
    return by_key


def owns_replicas(entry: dict) -> bool:
    return "f:replicas" in entry.get("fieldsV1", {}).get("f:spec", {})


def containers_of(obj: dict) -> List[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def write_manifest(directory, name: str, obj: dict) -> str:
    path = directory / name
    path.write_text(json.dumps(obj, indent=2))
    return str(path)


class Kubectl:
    """kubectl with a HOME of its own (so its discovery and OpenAPI caches start empty) and no editor or diff
    program from the environment."""

    def __init__(self, srv: ServerThread, home: str):
        self.srv = srv
        self.env = dict(os.environ, HOME=home)
        for var in ("KUBECONFIG", "KUBE_EDITOR", "EDITOR", "VISUAL", "KUBECTL_EXTERNAL_DIFF"):
            self.env.pop(var, None)

    def run(self, *args: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        return subprocess.run([KUBECTL, "--kubeconfig", str(self.srv.kubeconfig), *args], capture_output=True,
                              text=True, timeout=TIMEOUT, env=dict(self.env, **(env or {})))

    def ok(self, *args: str, env: Optional[dict] = None) -> str:
        result = self.run(*args, env=env)
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def fails(self, *args: str, env: Optional[dict] = None) -> str:
        result = self.run(*args, env=env)
        assert result.returncode != 0, f"kubectl {' '.join(args)} should have failed:\n{result.stdout}"
        return result.stderr


@pytest.fixture(scope="module")
def kubectl(srv, tmp_path_factory):
    return Kubectl(srv, str(tmp_path_factory.mktemp("kubectl-home")))


# -- kubectl apply (client-side)


@needs_kubectl
def test_kubectl_client_side_apply_reflects_the_manifest_and_keeps_others_fields(kubectl, srv, ns, tmp_path):
    v1 = deployment("web", replicas=2, labels={"app": "web", "tier": "frontend"}, containers=[
        container("app", "nginx:1.27", ports=[{"containerPort": 80}],
                  env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
        container("sidecar", "busybox:1.36", command=["sleep", "3600"])])
    first = write_manifest(tmp_path, "web-v1.json", v1)
    assert kubectl.ok("apply", "-f", first, "-n", ns) == "deployment.apps/web created\n"
    obj = get(srv, deploy_path(ns, "web"))
    assert json.loads(obj["metadata"]["annotations"][LAST_APPLIED])["spec"] == v1["spec"]
    assert managers(obj)["kubectl-client-side-apply/Update"]["apiVersion"] == "apps/v1"
    assert [c["name"] for c in containers_of(obj)] == ["app", "sidecar"]
    assert kubectl.ok("apply", "-f", first, "-n", ns) == "deployment.apps/web unchanged\n"
    assert get(srv, deploy_path(ns, "web"))["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]

    # someone else sets fields the manifest does not mention: apply keeps them
    api(srv, "PATCH", deploy_path(ns, "web") + "?fieldManager=other-writer",
        {"metadata": {"annotations": {"team": "payments"}}, "spec": {"minReadySeconds": 5}}, MERGE)

    # a label and a container removed, a container added, an env value and a port changed
    v2 = deployment("web", replicas=3, labels={"app": "web"}, containers=[
        container("app", "nginx:1.27", ports=[{"containerPort": 8080}],
                  env=[{"name": "A", "value": "10"}, {"name": "B", "value": "2"}]),
        container("metrics", "prom/statsd-exporter:v0.26.0", ports=[{"containerPort": 9102}])])
    second = write_manifest(tmp_path, "web-v2.json", v2)
    assert kubectl.ok("apply", "-f", second, "-n", ns) == "deployment.apps/web configured\n"
    obj = get(srv, deploy_path(ns, "web"))
    assert obj["metadata"]["labels"] == {"app": "web"}
    assert obj["metadata"]["annotations"]["team"] == "payments"
    assert obj["spec"]["minReadySeconds"] == 5
    assert obj["spec"]["replicas"] == 3
    app, metrics = containers_of(obj)
    assert (app["name"], app["image"]) == ("app", "nginx:1.27")
    assert app["env"] == [{"name": "A", "value": "10"}, {"name": "B", "value": "2"}]
    assert app["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert "command" not in app
    assert (metrics["name"], metrics["image"]) == ("metrics", "prom/statsd-exporter:v0.26.0")
    assert metrics["ports"] == [{"containerPort": 9102, "protocol": "TCP"}]
    applied = json.loads(obj["metadata"]["annotations"][LAST_APPLIED])
    applied["metadata"].pop("namespace", None)
    assert applied["metadata"].pop("annotations") == {}  # kubectl's own doing: the map it took the annotation from
    assert applied == v2
    assert obj["metadata"]["generation"] == 3  # created, other-writer's minReadySeconds, the second manifest
    assert {"kubectl-client-side-apply/Update", "other-writer/Update"} <= set(managers(obj))
    assert kubectl.ok("apply", "-f", second, "-n", ns) == "deployment.apps/web unchanged\n"


# -- kubectl apply --server-side


@needs_kubectl
def test_kubectl_server_side_apply_conflict_and_force(kubectl, srv, ns, tmp_path):
    manifest = deployment("ssa", replicas=2)
    first = write_manifest(tmp_path, "ssa-2.json", manifest)
    assert kubectl.ok("apply", "--server-side", "-f", first, "-n", ns) == "deployment.apps/ssa serverside-applied\n"
    obj = get(srv, deploy_path(ns, "ssa"))
    entry = managers(obj)["kubectl/Apply"]
    assert (entry["apiVersion"], entry["fieldsType"]) == ("apps/v1", "FieldsV1")
    assert RFC3339.match(entry["time"])
    assert owns_replicas(entry)
    assert 'k:{"name":"app"}' in entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert LAST_APPLIED not in (obj["metadata"].get("annotations") or {})
    assert obj["spec"]["replicas"] == 2

    # another manager takes .spec.replicas with an update
    obj = api(srv, "PATCH", deploy_path(ns, "ssa") + "?fieldManager=other", {"spec": {"replicas": 5}}, MERGE)
    assert owns_replicas(managers(obj)["other/Update"])
    assert not owns_replicas(managers(obj)["kubectl/Apply"])
    before = obj["metadata"]["resourceVersion"]

    changed = write_manifest(tmp_path, "ssa-4.json", deployment("ssa", replicas=4))
    err = kubectl.fails("apply", "--server-side", "-f", changed, "-n", ns)
    assert 'Apply failed with 1 conflict: conflict with "other" using apps/v1: .spec.replicas' in err
    assert "--force-conflicts" in err
    obj = get(srv, deploy_path(ns, "ssa"))
    assert (obj["spec"]["replicas"], obj["metadata"]["resourceVersion"]) == (5, before)

    out = kubectl.ok("apply", "--server-side", "--force-conflicts", "-f", changed, "-n", ns)
    assert out == "deployment.apps/ssa serverside-applied\n"
    obj = get(srv, deploy_path(ns, "ssa"))
    assert obj["spec"]["replicas"] == 4
    assert owns_replicas(managers(obj)["kubectl/Apply"])
    assert "other/Update" not in managers(obj)  # it owned nothing else, so its entry is gone

    # the same manifest again changes nothing
    rv = obj["metadata"]["resourceVersion"]
    assert kubectl.ok("apply", "--server-side", "-f", changed, "-n", ns) == "deployment.apps/ssa serverside-applied\n"
    again = get(srv, deploy_path(ns, "ssa"))
    assert again["metadata"]["resourceVersion"] == rv
    assert again["metadata"]["managedFields"] == obj["metadata"]["managedFields"]


# -- kubectl patch, edit, diff, set image, rollout, explain


@needs_kubectl
def test_kubectl_patch_json_merge_strategic(kubectl, srv, ns):
    create(srv, ns, deployment("pt", containers=[container("app", "nginx:1.27"),
                                                 container("sidecar", "busybox:1.36")]))
    out = kubectl.ok("patch", "deployment", "pt", "-n", ns, "--type", "strategic", "-p",
                     '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}}}')
    assert out == "deployment.apps/pt patched\n"
    obj = get(srv, deploy_path(ns, "pt"))
    assert [(c["name"], c["image"]) for c in containers_of(obj)] == [("app", "nginx:1.27"),
                                                                     ("sidecar", "busybox:1.37")]

    out = kubectl.ok("patch", "deployment", "pt", "-n", ns, "--type", "merge", "-p",
                     '{"metadata":{"labels":{"patched":"merge"}},"spec":{"minReadySeconds":3}}')
    assert out == "deployment.apps/pt patched\n"
    obj = get(srv, deploy_path(ns, "pt"))
    assert obj["metadata"]["labels"] == {"app": "pt", "patched": "merge"}
    assert obj["spec"]["minReadySeconds"] == 3
    assert "kubectl-patch/Update" in managers(obj)

    out = kubectl.ok("patch", "deployment", "pt", "-n", ns, "--type", "json", "-p",
                     '[{"op":"replace","path":"/spec/replicas","value":4},'
                     '{"op":"remove","path":"/spec/template/spec/containers/1"}]')
    assert out == "deployment.apps/pt patched\n"
    obj = get(srv, deploy_path(ns, "pt"))
    assert obj["spec"]["replicas"] == 4
    assert [c["name"] for c in containers_of(obj)] == ["app"]

    out = kubectl.ok("patch", "deployment", "pt", "-n", ns, "--type", "merge", "-p",
                     '{"metadata":{"labels":{"patched":"merge"}}}')
    assert out == "deployment.apps/pt patched (no change)\n"
    assert get(srv, deploy_path(ns, "pt"))["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def editor_script(directory, name: str, old: str, new: str) -> str:
    """An editor that rewrites `old` to `new` in the file kubectl hands it (and fails if `old` is not there)."""
    path = directory / name
    path.write_text(f"#!{sys.executable}\n"
                    "import sys\n"
                    "path = sys.argv[-1]\n"
                    "with open(path) as f:\n"
                    "    text = f.read()\n"
                    f"if {old!r} not in text:\n"
                    f"    sys.exit('editor: ' + {old!r} + ' not found in ' + path)\n"
                    "with open(path, 'w') as f:\n"
                    f"    f.write(text.replace({old!r}, {new!r}, 1))\n")
    path.chmod(0o755)
    return str(path)


@needs_kubectl
def test_kubectl_edit_with_editor_and_kube_editor(kubectl, srv, ns, tmp_path):
    create(srv, ns, deployment("ed"))
    image = editor_script(tmp_path, "image-editor", "image: nginx:1.27", "image: nginx:1.28")
    out = kubectl.ok("edit", "deployment/ed", "-n", ns, env={"EDITOR": image})
    assert out == "deployment.apps/ed edited\n"
    obj = get(srv, deploy_path(ns, "ed"))
    assert containers_of(obj)[0]["image"] == "nginx:1.28"
    assert "kubectl-edit/Update" in managers(obj)

    # KUBE_EDITOR wins over EDITOR
    label = editor_script(tmp_path, "label-editor", "app: ed\n  name: ed",
                          "app: ed\n    edited: kube-editor\n  name: ed")
    failing = editor_script(tmp_path, "failing-editor", "no such text", "")
    out = kubectl.ok("edit", "deployment/ed", "-n", ns, env={"KUBE_EDITOR": label, "EDITOR": failing})
    assert out == "deployment.apps/ed edited\n"
    obj = get(srv, deploy_path(ns, "ed"))
    assert obj["metadata"]["labels"] == {"app": "ed", "edited": "kube-editor"}
    assert containers_of(obj)[0]["image"] == "nginx:1.28"


@needs_kubectl
def test_kubectl_diff(kubectl, srv, ns, tmp_path):
    same = write_manifest(tmp_path, "diff-2.json", deployment("df", replicas=2))
    kubectl.ok("apply", "-f", same, "-n", ns)
    rv = get(srv, deploy_path(ns, "df"))["metadata"]["resourceVersion"]

    result = kubectl.run("diff", "-f", same, "-n", ns)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")

    changed = write_manifest(tmp_path, "diff-5.json", deployment("df", replicas=5))
    for extra in ([], ["--server-side"]):
        result = kubectl.run("diff", *extra, "-f", changed, "-n", ns)
        assert result.returncode == 1, f"kubectl diff {extra}: {result.stdout}\n{result.stderr}"
        lines = result.stdout.splitlines()
        assert "-  replicas: 2" in lines and "+  replicas: 5" in lines, result.stdout
        assert result.stderr == ""
    # diff is a dry run: nothing stored
    obj = get(srv, deploy_path(ns, "df"))
    assert (obj["spec"]["replicas"], obj["metadata"]["resourceVersion"]) == (2, rv)


@needs_kubectl
def test_kubectl_explain_containers(kubectl):
    out = kubectl.ok("explain", "deployment.spec.template.spec.containers")
    assert out.splitlines()[:3] == ["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1"]
    assert "FIELD: containers <[]Container>" in out
    assert "DESCRIPTION:" in out and "List of containers belonging to the pod." in out
    assert "FIELDS:" in out
    assert "  image\t<string>" in out and "  name\t<string> -required-" in out


@needs_kubectl
def test_kubectl_set_image(kubectl, srv, ns):
    create(srv, ns, deployment("img", containers=[container("app", "nginx:1.27"), container("side", "busybox")]))
    out = kubectl.ok("set", "image", "deployment/img", "app=nginx:1.28", "-n", ns)
    assert out == "deployment.apps/img image updated\n"
    obj = get(srv, deploy_path(ns, "img"))
    assert [(c["name"], c["image"]) for c in containers_of(obj)] == [("app", "nginx:1.28"), ("side", "busybox")]
    assert "kubectl-set/Update" in managers(obj)


@needs_kubectl
def test_kubectl_rollout_pause_resume_restart(kubectl, srv, ns):
    create(srv, ns, deployment("ro"))
    assert kubectl.ok("rollout", "pause", "deployment/ro", "-n", ns) == "deployment.apps/ro paused\n"
    assert get(srv, deploy_path(ns, "ro"))["spec"]["paused"] is True

    assert kubectl.ok("rollout", "resume", "deployment/ro", "-n", ns) == "deployment.apps/ro resumed\n"
    assert not get(srv, deploy_path(ns, "ro"))["spec"].get("paused")

    assert kubectl.ok("rollout", "restart", "deployment/ro", "-n", ns) == "deployment.apps/ro restarted\n"
    obj = get(srv, deploy_path(ns, "ro"))
    restarted = obj["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    assert RFC3339.match(restarted), restarted
    assert obj["metadata"]["generation"] == 4
    assert "kubectl-rollout/Update" in managers(obj)


@needs_kubectl
def test_kubectl_create_and_apply_with_strict_validation(kubectl, srv, ns, tmp_path):
    """No --validate=false: kubectl finds fieldValidation in /openapi/v3 and lets the server reject unknown
    fields; a create's decoding error is transformDecodeError's 400 (handlers/create.go)."""
    good = write_manifest(tmp_path, "strict.json", deployment("strict"))
    assert kubectl.ok("create", "-f", good, "-n", ns) == "deployment.apps/strict created\n"

    typo = deployment("typo")
    typo["spec"]["replicass"] = 2
    path = write_manifest(tmp_path, "typo.json", typo)
    expected = (f'Error from server (BadRequest): error when creating "{path}": Deployment in version "v1" cannot be '
                'handled as a Deployment: strict decoding error: unknown field "spec.replicass"')
    assert kubectl.fails("create", "-f", path, "-n", ns).strip() == expected
    assert kubectl.fails("apply", "-f", path, "-n", ns).strip() == expected
    assert call(srv, "GET", deploy_path(ns, "typo"))[0] == 404


@needs_kubectl
def test_kubectl_apply_unknown_field_to_existing_object(kubectl, srv, ns, tmp_path):
    """The three-way strategic merge patch is sent with fieldValidation=Strict: the unknown field fails the patch
    (applyPatchToObject: errors.NewInvalid(schema.GroupKind{}, "", patch: Invalid value: ...)), which kubectl shows
    as `The request is invalid: patch: Invalid value: "map[...]": strict decoding error: ...`."""
    create(srv, ns, deployment("strict"))
    existing = deployment("strict")
    existing["spec"]["replicass"] = 2
    before = get(srv, deploy_path(ns, "strict"))
    err = kubectl.fails("apply", "-f", write_manifest(tmp_path, "strict-typo.json", existing), "-n", ns)
    assert "The request is invalid: patch: Invalid value: " in err, err
    assert err.rstrip().endswith('strict decoding error: unknown field "spec.replicass"'), err
    assert get(srv, deploy_path(ns, "strict")) == before


# -- the official Python client


@pytest.fixture(scope="module")
def py_client(srv):
    pytest.importorskip("kubernetes")
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(srv.kubeconfig))
    yield client
    client.close()


def test_python_client_patch_methods(py_client, srv, ns):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    apps = client.AppsV1Api(py_client)
    core = client.CoreV1Api(py_client)
    body = deployment("py", replicas=2, containers=[container("app", "nginx:1.27"),
                                                    container("side", "busybox:1.36")])

    # server-side apply creates (201), then the same body again is a no-op (200, same resourceVersion)
    created, code, _ = patch_as(apps.patch_namespaced_deployment_with_http_info,
        "py", ns, body, field_manager="py-apply", _content_type=APPLY)
    assert code == 201 and created.spec.replicas == 2
    again, code, _ = patch_as(apps.patch_namespaced_deployment_with_http_info,
        "py", ns, body, field_manager="py-apply", force=False, _content_type=APPLY)
    assert code == 200 and again.metadata.resource_version == created.metadata.resource_version
    [entry] = again.metadata.managed_fields
    assert (entry.manager, entry.operation, entry.fields_type) == ("py-apply", "Apply", "FieldsV1")
    assert "f:replicas" in entry.fields_v1["f:spec"]

    # merge patch by another manager takes .spec.replicas
    patched = patch_as(apps.patch_namespaced_deployment, "py", ns, {"spec": {"replicas": 5}}, field_manager="other",
                                               _content_type=MERGE)
    assert patched.spec.replicas == 5
    assert {(e.manager, e.operation) for e in patched.metadata.managed_fields} == {("py-apply", "Apply"),
                                                                                   ("other", "Update")}
    # so applying another value conflicts ...
    changed = copy.deepcopy(body)
    changed["spec"]["replicas"] = 3
    with pytest.raises(ApiException) as exc:
        patch_as(apps.patch_namespaced_deployment, "py", ns, changed, field_manager="py-apply", _content_type=APPLY)
    assert exc.value.status == 409
    status = json.loads(exc.value.body)
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "other" using apps/v1: .spec.replicas'
    assert apps.read_namespaced_deployment("py", ns).spec.replicas == 5
    # ... until forced
    forced = patch_as(apps.patch_namespaced_deployment, "py", ns, changed, field_manager="py-apply", force=True,
                                              _content_type=APPLY)
    assert forced.spec.replicas == 3
    assert {(e.manager, e.operation) for e in forced.metadata.managed_fields} == {("py-apply", "Apply")}

    # strategic merge patch: the default for a dict body; containers merge by name
    patched = apps.patch_namespaced_deployment("py", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "side", "image": "busybox:1.37"}]}}}})
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("app", "nginx:1.27"),
                                                                                  ("side", "busybox:1.37")]
    # JSON patch: a list body
    patched = apps.patch_namespaced_deployment("py", ns, [
        {"op": "test", "path": "/spec/replicas", "value": 3},
        {"op": "replace", "path": "/spec/replicas", "value": 1},
        {"op": "remove", "path": "/spec/template/spec/containers/1"}])
    assert patched.spec.replicas == 1
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]
    stored = apps.read_namespaced_deployment("py", ns)
    assert stored.spec.replicas == 1 and len(stored.spec.template.spec.containers) == 1

    # ConfigMaps: merge patch null deletes a key; strategic and JSON patches; apply by another manager
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}, "data": {"a": "1", "b": "2"}})
    assert patch_as(core.patch_namespaced_config_map, "cm", ns, {"data": {"a": None, "c": "3"}},
                                            _content_type=MERGE).data == {"b": "2", "c": "3"}
    assert core.patch_namespaced_config_map("cm", ns, {"data": {"d": "4"}}).data == {"b": "2", "c": "3", "d": "4"}
    assert core.patch_namespaced_config_map("cm", ns, [{"op": "remove", "path": "/data/b"}]).data == {
        "c": "3", "d": "4"}
    applied = patch_as(core.patch_namespaced_config_map,
        "cm", ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"e": "5"}},
        field_manager="py-cm", _content_type=APPLY)
    assert applied.data == {"c": "3", "d": "4", "e": "5"}
    assert core.read_namespaced_config_map("cm", ns).data == {"c": "3", "d": "4", "e": "5"}


# -- lightkube


def test_lightkube_apply(srv, ns):
    pytest.importorskip("lightkube")
    from lightkube import Client, KubeConfig
    from lightkube.models.apps_v1 import DeploymentSpec
    from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
    from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
    from lightkube.resources.apps_v1 import Deployment
    from lightkube.resources.core_v1 import ConfigMap

    client = Client(config=KubeConfig.from_file(str(srv.kubeconfig)), namespace=ns)
    try:
        created = client.apply(ConfigMap(metadata=ObjectMeta(name="lk"), data={"a": "1", "b": "2"}),
                               field_manager="lightkube")
        assert created.data == {"a": "1", "b": "2"}
        updated = client.apply(ConfigMap(metadata=ObjectMeta(name="lk"), data={"b": "3"}),
                               field_manager="lightkube")
        assert updated.data == {"b": "3"}  # "a" is no longer applied by its only owner: removed
        stored = get(srv, cm_path(ns, "lk"))
        assert stored["data"] == {"b": "3"}
        assert [(e["manager"], e["operation"]) for e in stored["metadata"]["managedFields"]] == [
            ("lightkube", "Apply")]

        def lk_deployment(replicas: int, image: str) -> Deployment:
            return Deployment(metadata=ObjectMeta(name="lkd"), spec=DeploymentSpec(
                replicas=replicas, selector=LabelSelector(matchLabels={"app": "lkd"}),
                template=PodTemplateSpec(metadata=ObjectMeta(labels={"app": "lkd"}),
                                         spec=PodSpec(containers=[Container(name="app", image=image)]))))

        first = client.apply(lk_deployment(1, "nginx:1.27"), field_manager="lightkube")
        assert first.spec.replicas == 1
        second = client.apply(lk_deployment(2, "nginx:1.28"), field_manager="lightkube")
        assert second.spec.replicas == 2 and second.spec.template.spec.containers[0].image == "nginx:1.28"
        assert second.metadata.uid == first.metadata.uid
        assert client.get(Deployment, "lkd").spec.template.spec.containers[0].image == "nginx:1.28"
        rv = second.metadata.resourceVersion
        assert client.apply(lk_deployment(2, "nginx:1.28"), field_manager="lightkube").metadata.resourceVersion == rv
    finally:
        client.close()


# -- server-side apply over the raw API


def test_apply_yaml_without_pyyaml_is_a_clear_415(srv, ns):
    if HAS_YAML:
        pytest.skip("PyYAML is installed here; the minimal environment runs this test")
    code, status = call(srv, "PATCH", deploy_path(ns, "y") + "?fieldManager=m", "kind: Deployment\n", APPLY)
    assert code == 415 and "PyYAML" in status["message"]


@pytest.mark.skipif(not HAS_YAML, reason="YAML apply bodies need PyYAML (the minimal environment has none)")
def test_apply_same_manifest_twice_is_a_no_op(srv, ns):
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: twice\n  labels:\n    app: twice\n"
                "spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: twice\n  template:\n"
                "    metadata:\n      labels:\n        app: twice\n    spec:\n      containers:\n"
                "      - name: app\n        image: nginx:1.27\n")
    path = deploy_path(ns, "twice") + "?fieldManager=yaml-applier"
    code, created = call(srv, "PATCH", path, manifest, APPLY)
    assert code == 201, created
    code, again = call(srv, "PATCH", path, manifest, APPLY)
    assert code == 200, again
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == created["metadata"]["managedFields"]
    assert get(srv, deploy_path(ns, "twice")) == again
    # also as JSON, and with ?force=true: still nothing to do
    code, forced = call(srv, "PATCH", path + "&force=true", deployment("twice", replicas=2), APPLY)
    assert code == 200 and forced["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_apply_conflict_status(srv, ns):
    api(srv, "PATCH", deploy_path(ns, "cf") + "?fieldManager=mine", deployment("cf", replicas=1), APPLY)
    api(srv, "PATCH", deploy_path(ns, "cf") + "?fieldManager=theirs", {"spec": {"replicas": 2}}, MERGE)
    changed = deployment("cf", replicas=3, containers=[container("app", "nginx:1.28")])
    api(srv, "PATCH", deploy_path(ns, "cf") + "?fieldManager=theirs",
        [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.26"}], JSON_PATCH)
    before = get(srv, deploy_path(ns, "cf"))
    code, status = call(srv, "PATCH", deploy_path(ns, "cf") + "?fieldManager=mine", changed, APPLY)
    assert code == 409
    # NewApplyConflict (apimachinery errors.go) carries the causes only: no name, group or kind
    assert status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": ('Apply failed with 2 conflicts: conflicts with "theirs" using apps/v1:\n- .spec.replicas\n'
                    '- .spec.template.spec.containers[name="app"].image'),
        "reason": "Conflict",
        "details": {"causes": [
            {"reason": "FieldManagerConflict", "message": 'conflict with "theirs" using apps/v1',
             "field": ".spec.replicas"},
            {"reason": "FieldManagerConflict", "message": 'conflict with "theirs" using apps/v1',
             "field": '.spec.template.spec.containers[name="app"].image'}]},
        "code": 409}
    assert get(srv, deploy_path(ns, "cf")) == before


# -- bad input: a clear Status error, and the stored object unchanged

NOT_JSON = "{not json"
INVALID_REQUEST = "the server rejected our request due to an error in our request"
CONFIG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
              "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
FORCE_FORBIDDEN = 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
ACCEPTED = ("the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
            "application/apply-patch+yaml")
# jsonPatcher/smpPatcher: a patched object that does not decode is errors.NewInvalid(schema.GroupKind{}, "", ...)
PATCH_INVALID = ' "" is invalid: patch: Invalid value: '

# (id, target, query, content type, body, code, reason, message: exact, or (prefix, suffix))
BAD_PATCHES = [
    ("merge-not-json", "deploy", "", MERGE, NOT_JSON, 400, "BadRequest",
     "error decoding patch: invalid character 'n' looking for beginning of object key string"),
    ("json-patch-not-json", "deploy", "", JSON_PATCH, NOT_JSON, 400, "BadRequest",
     "error decoding patch: invalid character 'n' looking for beginning of object key string"),
    ("json-patch-not-a-list", "deploy", "", JSON_PATCH, {"op": "add"}, 400, "BadRequest",
     "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
    ("strategic-not-json", "deploy", "", STRATEGIC, NOT_JSON, 400, "BadRequest",
     "invalid character 'n' looking for beginning of object key string"),
    ("apply-not-yaml", "deploy", "?fieldManager=m", APPLY, "kind: Deployment\nmetadata: name: web\n", 400,
     "BadRequest", "error decoding YAML: error converting YAML to JSON: yaml: line 2: mapping values are not "
     "allowed in this context") if HAS_YAML else
    ("apply-not-yaml", "deploy", "?fieldManager=m", APPLY, "kind: Deployment\nmetadata: name: web\n", 415,
     "UnsupportedMediaType", ("the body of the request was in an unknown format", "which is not installed on this "
                                                                                  "server)")),
    ("json-patch-missing-path", "deploy", "", JSON_PATCH,
     [{"op": "replace", "path": "/spec/nothere/x", "value": 1}], 422, "Invalid", INVALID_REQUEST),
    ("json-patch-remove-missing", "cm", "", JSON_PATCH, [{"op": "remove", "path": "/data/nope"}], 422, "Invalid",
     INVALID_REQUEST),
    ("json-patch-failed-test", "cm", "", JSON_PATCH, [{"op": "test", "path": "/data/a", "value": "2"},
                                                      {"op": "remove", "path": "/data/a"}], 422, "Invalid",
     INVALID_REQUEST),
    ("merge-name", "deploy", "", MERGE, {"metadata": {"name": "other"}}, 400, "BadRequest",
     "the name of the object (other) does not match the name on the URL (web)"),
    ("strategic-name", "cm", "", STRATEGIC, {"metadata": {"name": "other"}}, 400, "BadRequest",
     "the name of the object (other) does not match the name on the URL (cm)"),
    ("merge-namespace", "deploy", "", MERGE, {"metadata": {"namespace": "other"}}, 400, "BadRequest",
     "the namespace of the provided object does not match the namespace sent on the request"),
    ("merge-uid", "deploy", "", MERGE, {"metadata": {"uid": "00000000-0000-0000-0000-000000000000"}}, 422,
     "Invalid", 'Deployment.apps "web" is invalid: metadata.uid: Invalid value: '
     '"00000000-0000-0000-0000-000000000000": field is immutable'),
    ("json-patch-uid", "cm", "", JSON_PATCH, [{"op": "replace", "path": "/metadata/uid", "value": "x"}], 422,
     "Invalid", 'ConfigMap "cm" is invalid: metadata.uid: Invalid value: "x": field is immutable'),
    ("merge-kind", "deploy", "", MERGE, {"kind": "ReplicaSet"}, 422, "Invalid", (PATCH_INVALID, "")),
    ("json-patch-kind", "cm", "", JSON_PATCH, [{"op": "replace", "path": "/kind", "value": "Secret"}], 422,
     "Invalid", (PATCH_INVALID, "")),
    ("merge-wrong-type", "deploy", "", MERGE, {"spec": {"replicas": "three"}}, 422, "Invalid",
     (PATCH_INVALID, ": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
                     "int32")),
    ("merge-unknown-field-strict", "deploy", "?fieldValidation=Strict", MERGE, {"spec": {"replicass": 2}}, 422,
     "Invalid", (PATCH_INVALID, ': strict decoding error: unknown field "spec.replicass"')),
    ("json-patch-no-containers", "deploy", "", JSON_PATCH,
     [{"op": "replace", "path": "/spec/template/spec/containers", "value": []}], 422, "Invalid",
     'Deployment.apps "web" is invalid: spec.template.spec.containers: Required value'),
    ("merge-negative-replicas", "deploy", "", MERGE, {"spec": {"replicas": -1}}, 422, "Invalid",
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    ("merge-bad-configmap-key", "cm", "", MERGE, {"data": {"bad key": "x"}}, 422, "Invalid",
     f'ConfigMap "cm" is invalid: data[bad key]: Invalid value: "bad key": {CONFIG_KEY}'),
    ("apply-without-apiversion-and-kind", "deploy", "?fieldManager=m", APPLY, {"metadata": {"name": "web"}}, 400,
     "BadRequest", "invalid object type: /, Kind="),
    ("apply-without-kind", "cm", "?fieldManager=m", APPLY, {"apiVersion": "v1", "metadata": {"name": "cm"}}, 400,
     "BadRequest", "invalid object type: /v1, Kind="),
    ("apply-other-version", "deploy", "?fieldManager=m", APPLY,
     {"apiVersion": "apps/v1beta1", "kind": "Deployment", "metadata": {"name": "web"}}, 400, "BadRequest",
     "invalid object type: apps/v1beta1, Kind=Deployment"),
    ("apply-managed-fields", "cm", "?fieldManager=m", APPLY,
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "managedFields": []}}, 400, "BadRequest",
     "metadata.managedFields must be nil"),
    ("apply-name", "cm", "?fieldManager=m", APPLY,
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}}, 400, "BadRequest",
     "the name of the object (other) does not match the name on the URL (cm)"),
    ("apply-without-field-manager", "deploy", "", APPLY, deployment("web"), 422, "Invalid",
     'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'),
    ("merge-with-force", "deploy", "?force=true", MERGE, {"metadata": {"labels": {"x": "y"}}}, 422, "Invalid",
     FORCE_FORBIDDEN),
    ("strategic-with-force-false", "cm", "?force=false", STRATEGIC, {"data": {"x": "y"}}, 422, "Invalid",
     FORCE_FORBIDDEN),
    ("unsupported-content-type", "deploy", "", "application/json", {"metadata": {}}, 415, "UnsupportedMediaType",
     ACCEPTED),
    ("yaml-content-type", "cm", "?fieldManager=m", "application/yaml", "data:\n  a: b\n", 415,
     "UnsupportedMediaType", ACCEPTED),
]


@pytest.mark.parametrize("target,query,content_type,body,code,reason,message", [c[1:] for c in BAD_PATCHES],
                         ids=[c[0] for c in BAD_PATCHES])
def test_bad_patch_is_a_status_error_and_changes_nothing(srv, ns, target, query, content_type, body, code, reason,
                                                         message):
    create(srv, ns, deployment("web"))
    create(srv, ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}})
    path = deploy_path(ns, "web") if target == "deploy" else cm_path(ns, "cm")
    before = get(srv, path)
    got, status = call(srv, "PATCH", path + query, body, content_type)
    assert (got, status.get("kind"), status.get("status"), status.get("reason")) == (code, "Status", "Failure",
                                                                                      reason), status
    assert status["code"] == code
    if isinstance(message, tuple):
        prefix, suffix = message
        assert status["message"].startswith(prefix) and status["message"].endswith(suffix), status["message"]
        if code == 422:
            assert [c["field"] for c in status["details"]["causes"]] == ["patch"], status
    else:
        assert status["message"] == message
    assert get(srv, path) == before
