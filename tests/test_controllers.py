"""The built-in control loops end to end: namespace deletion, garbage collection, default service accounts and the
kube-root-ca.crt ConfigMap, and ``--controllers``.

Expected behaviour is upstream kube-controller-manager 1.32's (pkg/controller/namespace, pkg/controller/
garbagecollector, pkg/controller/serviceaccount, pkg/controller/certificates/rootcacertpublisher) together with
kube-apiserver's NamespaceLifecycle admission and ObjectMeta validation. One server serves most of the module (every
test works in namespaces of its own); the ``--controllers`` tests start small servers of their own and the restart
test runs the real command in a subprocess. Every wait has a deadline.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid
from typing import Callable, Dict, List, Optional

import pytest
from support import ServerThread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")

GC_TIMEOUT = 10.0           # upstream's garbage collector acts within a second or two
CONTROLLER_TIMEOUT = 10.0   # service accounts, kube-root-ca.crt, namespace content deletion
NS_FINALIZE_TIMEOUT = 20.0  # upstream requeues a namespace whose content has finalizers after 15 s
STAYS_FOR = 1.5             # how long something that must not happen is watched for
HOLD = "example.com/hold"
GROUP = "gc.example.com"
ROOT_CA_DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")
WIDGETS_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {"group": GROUP, "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


# -- helpers


def api(srv, method: str, path: str, body=None, expect=(200, 201), content_type: str = "") -> dict:
    headers = {"Content-Type": content_type} if content_type else None
    if content_type and isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    code, _, data = srv.request(method, path, body, headers=headers)
    assert code in expect, f"{method} {path}: {code} {data[:2000]!r}"
    return json.loads(data) if data else {}


def call(srv, method: str, path: str, body=None, content_type: str = ""):
    """(code, decoded body) without asserting anything."""
    headers = {"Content-Type": content_type} if content_type else None
    if content_type and isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    code, _, data = srv.request(method, path, body, headers=headers)
    try:
        return code, json.loads(data)
    except ValueError:
        return code, data


def get(srv, path: str) -> Optional[dict]:
    code, body = call(srv, "GET", path)
    assert code in (200, 404), f"GET {path}: {code} {body}"
    return body if code == 200 else None


def merge_patch(srv, path: str, patch: dict) -> dict:
    return api(srv, "PATCH", path, patch, content_type="application/merge-patch+json")


def wait_for(fn: Callable, what: str, timeout: float = GC_TIMEOUT, pred: Callable = bool, interval: float = 0.05):
    """Poll ``fn`` until ``pred(value)``; the last value is in the failure message."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if pred(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s; last seen: {json.dumps(value)[:3000]}")
        time.sleep(interval)


def wait_gone(srv, *paths: str, timeout: float = GC_TIMEOUT, why: str = "deleted"):
    for path in paths:
        wait_for(lambda p=path: get(srv, p), f"{path} {why}", timeout, pred=lambda v: v is None)


def stays(srv, *paths: str, seconds: float = STAYS_FOR, why: str = "") -> Dict[str, dict]:
    """Every path keeps existing for ``seconds``; returns the last objects seen."""
    deadline = time.monotonic() + seconds
    last: Dict[str, dict] = {}
    while True:
        for path in paths:
            obj = get(srv, path)
            assert obj is not None, f"{path} was deleted{': ' + why if why else ''}"
            last[path] = obj
        if time.monotonic() > deadline:
            return last
        time.sleep(0.1)


_names = itertools.count()


def namespace(srv, prefix: str) -> str:
    name = f"{prefix}-{next(_names)}"
    api(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        expect=(201,))
    return name


def metadata(name: str, owners=(), finalizers=None, labels=None) -> dict:
    md = {"name": name}
    if owners:
        md["ownerReferences"] = list(owners)
    if finalizers:
        md["finalizers"] = list(finalizers)
    if labels:
        md["labels"] = labels
    return md


def cm_path(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/configmaps" + (f"/{name}" if name else "")


def secret_path(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/secrets" + (f"/{name}" if name else "")


def widget_path(ns: str, name: str = "") -> str:
    return f"/apis/{GROUP}/v1/namespaces/{ns}/widgets" + (f"/{name}" if name else "")


def clusterrole_path(name: str = "") -> str:
    return "/apis/rbac.authorization.k8s.io/v1/clusterroles" + (f"/{name}" if name else "")


def configmap(srv, ns: str, name: str, owners=(), finalizers=None, labels=None) -> dict:
    return api(srv, "POST", cm_path(ns), {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": metadata(name, owners, finalizers, labels),
                                          "data": {"k": "v"}}, expect=(201,))


def secret(srv, ns: str, name: str, owners=(), finalizers=None) -> dict:
    return api(srv, "POST", secret_path(ns), {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                              "metadata": metadata(name, owners, finalizers),
                                              "stringData": {"k": "v"}}, expect=(201,))


def widget(srv, ns: str, name: str, owners=(), finalizers=None) -> dict:
    return api(srv, "POST", widget_path(ns), {"apiVersion": f"{GROUP}/v1", "kind": "Widget",
                                              "metadata": metadata(name, owners, finalizers),
                                              "spec": {"size": 1}}, expect=(201,))


def clusterrole(srv, name: str, owners=()) -> dict:
    return api(srv, "POST", clusterrole_path(), {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                                 "metadata": metadata(name, owners), "rules": []}, expect=(201,))


def deployment(srv, ns: str, name: str) -> dict:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}
    return api(srv, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body, expect=(201,))


KINDS = {"ConfigMap": "v1", "Secret": "v1", "Widget": f"{GROUP}/v1", "ClusterRole": "rbac.authorization.k8s.io/v1",
         "Namespace": "v1"}


def ref(obj: dict, block: Optional[bool] = None, controller: Optional[bool] = None) -> dict:
    kind = obj.get("kind") or ""
    out = {"apiVersion": obj.get("apiVersion") or KINDS[kind], "kind": kind, "name": obj["metadata"]["name"],
           "uid": obj["metadata"]["uid"]}
    if block is not None:
        out["blockOwnerDeletion"] = block
    if controller is not None:
        out["controller"] = controller
    return out


def chain(srv, ns: str, hold_c: bool = False):
    """ConfigMap a owns ConfigMap b owns Secret c, every reference blocking its owner's deletion."""
    a = configmap(srv, ns, "a")
    b = configmap(srv, ns, "b", owners=[ref(a, block=True, controller=True)])
    c = secret(srv, ns, "c", owners=[ref(b, block=True, controller=True)], finalizers=[HOLD] if hold_c else None)
    return a, b, c


def establish(srv, crd: dict):
    api(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, expect=(201,))

    def established():
        got = get(srv, f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}") or {}
        return {c["type"]: c["status"] for c in got.get("status", {}).get("conditions", [])}
    wait_for(established, "CRD established", 10, pred=lambda c: c.get("Established") == "True")


def cpu_seconds(srv) -> float:
    code, _, body = srv.request("GET", "/metrics")
    assert code == 200, body[:500]
    match = re.search(rb"^process_cpu_seconds_total (\S+)$", body, re.M)
    assert match, "no process_cpu_seconds_total in /metrics"
    return float(match.group(1))


def assert_idle(srv, seconds: float = 2.0, limit: float = 0.4):
    """The server (this test process) uses little CPU while nothing happens: no controller spins."""
    before = cpu_seconds(srv)
    time.sleep(seconds)  # measuring idle CPU is the point: nothing may happen during this interval
    used = cpu_seconds(srv) - before
    assert used < limit, f"{used:.2f}s of CPU in {seconds:g}s while idle (a controller is spinning?)"


def ready(srv) -> bool:
    return srv.request("GET", "/readyz")[0] == 200


def conditions(ns_obj: Optional[dict]) -> Dict[str, dict]:
    return {c["type"]: c for c in ((ns_obj or {}).get("status") or {}).get("conditions") or []}


def owner_uids(obj: Optional[dict]) -> List[str]:
    return [r.get("uid") for r in ((obj or {}).get("metadata") or {}).get("ownerReferences") or []]


# -- fixtures


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("controllers") / "data").start()
    try:
        establish(server, WIDGETS_CRD)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def kube_env(tmp_path_factory):
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("controllers-home")))
    env.pop("KUBECONFIG", None)
    return env


def run_kubectl(srv, env, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), *args], capture_output=True, text=True,
                            timeout=timeout, env=env)
    if check:
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def kubectl(srv, kube_env):
    if KUBECTL is None:
        pytest.skip("kubectl is not installed on this machine")
    return lambda *args, **kw: run_kubectl(srv, kube_env, *args, **kw)


@pytest.fixture(scope="module")
def k8s(srv):
    kubernetes = pytest.importorskip("kubernetes")
    client = kubernetes.config.new_client_from_config(config_file=str(srv.kubeconfig))
    return kubernetes.client, kubernetes.client.CoreV1Api(client), kubernetes.client.CustomObjectsApi(client)


# -- 1. namespace lifecycle


@needs_kubectl
def test_namespace_deletion_waits_for_finalized_content(srv, kubectl):
    ns = f"nsdel-x-{next(_names)}"
    assert kubectl("create", "ns", ns).stdout.strip() == f"namespace/{ns} created"
    configmap(srv, ns, "plain")
    configmap(srv, ns, "held", finalizers=[HOLD])
    secret(srv, ns, "plain")
    secret(srv, ns, "held", finalizers=[HOLD])
    deployment(srv, ns, "web")
    widget(srv, ns, "plain")
    widget(srv, ns, "held", finalizers=[HOLD])
    held = [cm_path(ns, "held"), secret_path(ns, "held"), widget_path(ns, "held")]
    plain = [cm_path(ns, "plain"), secret_path(ns, "plain"), widget_path(ns, "plain"),
             f"/apis/apps/v1/namespaces/{ns}/deployments/web"]

    result = kubectl("delete", "ns", ns, "--wait=false")
    assert result.stdout.strip() == f'namespace "{ns}" deleted'
    got = get(srv, f"/api/v1/namespaces/{ns}")
    assert got["status"]["phase"] == "Terminating" and got["metadata"].get("deletionTimestamp"), got
    assert got["spec"]["finalizers"] == ["kubernetes"]

    wait_gone(srv, *plain, timeout=CONTROLLER_TIMEOUT, why="deleted by the namespace controller")
    for path in held:
        obj = get(srv, path)
        assert obj is not None and obj["metadata"].get("deletionTimestamp"), f"{path}: {obj}"

    # the exact text of the content message is checked in the next test
    expected = {
        "NamespaceContentRemaining": ("True", "SomeResourcesRemain"),
        "NamespaceFinalizersRemaining": ("True", "SomeFinalizersRemain",
                                         "Some content in the namespace has finalizers remaining: "
                                         f"{HOLD} in 3 resource instances"),
    }

    def seen():
        return {t: (c.get("status"), c.get("reason"), c.get("message"))
                for t, c in conditions(get(srv, f"/api/v1/namespaces/{ns}")).items()}
    found = wait_for(seen, "the namespace's conditions", CONTROLLER_TIMEOUT,
                     pred=lambda s: all(s.get(t, ())[:len(v)] == v for t, v in expected.items()))
    content = found["NamespaceContentRemaining"][2]
    for part in ("configmaps", "secrets", f"widgets.{GROUP}"):
        assert part in content and "deployments" not in content, content

    code, status = call(srv, "POST", cm_path(ns), {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "new"}})
    assert code == 403, status
    assert status["reason"] == "Forbidden"

    for path in held:
        merge_patch(srv, path, {"metadata": {"finalizers": None}})
    wait_gone(srv, *held, timeout=CONTROLLER_TIMEOUT)
    wait_gone(srv, f"/api/v1/namespaces/{ns}", timeout=NS_FINALIZE_TIMEOUT, why="finalized and deleted")

    # the refusal's text last (so that a wording difference does not hide the rest): NamespaceLifecycle admission
    # names the object being created, and adds a NamespaceTerminating cause
    assert status["message"] == (f'configmaps "new" is forbidden: unable to create new content in namespace {ns} '
                                 "because it is being terminated")
    assert {"reason": "NamespaceTerminating", "message": f"namespace {ns} is being terminated",
            "field": "metadata.namespace"} in status["details"].get("causes", []), status


@needs_kubectl
def test_namespace_conditions_include_the_false_ones(srv, kubectl):
    """Upstream's namespace controller writes all five deletion conditions on each pass."""
    ns = namespace(srv, "nsdel-cond")
    configmap(srv, ns, "held", finalizers=[HOLD])
    secret(srv, ns, "held", finalizers=[HOLD])
    widget(srv, ns, "held", finalizers=[HOLD])
    kubectl("delete", "ns", ns, "--wait=false")
    expected = {
        "NamespaceDeletionDiscoveryFailure": ("False", "ResourcesDiscovered", "All resources successfully discovered"),
        "NamespaceDeletionGroupVersionParsingFailure": ("False", "ParsedGroupVersions",
                                                        "All legacy kube types successfully parsed"),
        "NamespaceDeletionContentFailure": ("False", "ContentDeleted",
                                            "All content successfully deleted, may be waiting on finalization"),
        # "<resource>.<group>": the core group's resources end in a dot
        "NamespaceContentRemaining": ("True", "SomeResourcesRemain",
                                      "Some resources are remaining: configmaps. has 1 resource instances, "
                                      f"secrets. has 1 resource instances, widgets.{GROUP} has 1 resource instances"),
        "NamespaceFinalizersRemaining": ("True", "SomeFinalizersRemain",
                                         f"Some content in the namespace has finalizers remaining: {HOLD} in 3 "
                                         "resource instances"),
    }
    try:
        wait_for(lambda: {t: (c.get("status"), c.get("reason"), c.get("message"))
                          for t, c in conditions(get(srv, f"/api/v1/namespaces/{ns}")).items()},
                 "all five namespace deletion conditions", CONTROLLER_TIMEOUT, pred=lambda s: s == expected)
    finally:
        for path in (cm_path(ns, "held"), secret_path(ns, "held"), widget_path(ns, "held")):
            merge_patch(srv, path, {"metadata": {"finalizers": None}})
    wait_gone(srv, f"/api/v1/namespaces/{ns}", timeout=NS_FINALIZE_TIMEOUT)


@needs_kubectl
def test_blocking_namespace_delete_returns_within_seconds(srv, kubectl):
    ns = f"nsdel-y-{next(_names)}"
    kubectl("create", "ns", ns)
    configmap(srv, ns, "one")
    configmap(srv, ns, "two")
    secret(srv, ns, "three")
    widget(srv, ns, "four")
    start = time.monotonic()
    result = kubectl("delete", "ns", ns, timeout=60)
    took = time.monotonic() - start
    assert result.stdout.strip() == f'namespace "{ns}" deleted'
    assert took < 8, f"kubectl delete ns took {took:.1f}s"
    code, status = call(srv, "GET", f"/api/v1/namespaces/{ns}")
    assert code == 404 and status["message"] == f'namespaces "{ns}" not found', status
    store = srv.config.store
    for prefix in ("/registry/configmaps/", "/registry/secrets/", f"/registry/{GROUP}/widgets/",
                   "/registry/serviceaccounts/"):
        assert store.list(prefix + ns + "/").items == [], prefix


@needs_kubectl
def test_system_namespaces_cannot_be_deleted(make_server, kube_env):
    srv = make_server()  # a server of its own: if the delete is wrongly accepted, nothing else is affected
    result = run_kubectl(srv, kube_env, "delete", "ns", "default", check=False)
    assert result.returncode != 0, result.stdout
    assert result.stderr.strip() == ('Error from server (Forbidden): namespaces "default" is forbidden: '
                                     "this namespace may not be deleted")
    # upstream protects default, kube-system and kube-public; the issue asks for kube-node-lease too
    for name in ("kube-system", "kube-public", "kube-node-lease"):
        code, status = call(srv, "DELETE", f"/api/v1/namespaces/{name}")
        assert code == 403, status
        assert status["reason"] == "Forbidden" and status["code"] == 403
        assert status["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
        assert status["details"] == {"name": name, "kind": "namespaces"}
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        got = get(srv, f"/api/v1/namespaces/{name}")
        assert got["status"]["phase"] == "Active" and "deletionTimestamp" not in got["metadata"], got


# -- 2. service accounts and the root CA ConfigMap


def sa_path(ns: str, name: str = "default") -> str:
    return f"/api/v1/namespaces/{ns}/serviceaccounts/{name}"


def test_every_namespace_gets_default_service_account_and_root_ca(srv):
    ca = open(srv.pki.ca_cert).read()
    ns = namespace(srv, "sa-new")
    for name in (ns, "default", "kube-system", "kube-public", "kube-node-lease"):
        sa = wait_for(lambda n=name: get(srv, sa_path(n)), f"ServiceAccount {name}/default", CONTROLLER_TIMEOUT)
        assert sa["metadata"]["namespace"] == name
        cm = wait_for(lambda n=name: get(srv, cm_path(n, "kube-root-ca.crt")), f"ConfigMap {name}/kube-root-ca.crt",
                      CONTROLLER_TIMEOUT)
        assert cm["data"] == {"ca.crt": ca}, f"{name}: {cm.get('data')}"
        assert cm["metadata"].get("annotations", {}).get("kubernetes.io/description") == ROOT_CA_DESCRIPTION, \
            cm["metadata"].get("annotations")


def test_default_service_account_and_root_ca_are_recreated(srv):
    ca = open(srv.pki.ca_cert).read()
    ns = namespace(srv, "sa-again")
    sa = wait_for(lambda: get(srv, sa_path(ns)), "default ServiceAccount", CONTROLLER_TIMEOUT)
    cm = wait_for(lambda: get(srv, cm_path(ns, "kube-root-ca.crt")), "kube-root-ca.crt", CONTROLLER_TIMEOUT)
    api(srv, "DELETE", sa_path(ns))
    api(srv, "DELETE", cm_path(ns, "kube-root-ca.crt"))
    new_sa = wait_for(lambda: get(srv, sa_path(ns)), "default ServiceAccount recreated", CONTROLLER_TIMEOUT,
                      pred=lambda o: o is not None and o["metadata"]["uid"] != sa["metadata"]["uid"])
    assert new_sa["metadata"]["name"] == "default"
    new_cm = wait_for(lambda: get(srv, cm_path(ns, "kube-root-ca.crt")), "kube-root-ca.crt recreated",
                      CONTROLLER_TIMEOUT,
                      pred=lambda o: o is not None and o["metadata"]["uid"] != cm["metadata"]["uid"])
    assert new_cm["data"] == {"ca.crt": ca}
    # upstream's publisher also puts back data someone changed
    merge_patch(srv, cm_path(ns, "kube-root-ca.crt"), {"data": {"ca.crt": "tampered", "extra": "x"}})
    wait_for(lambda: get(srv, cm_path(ns, "kube-root-ca.crt")), "kube-root-ca.crt data restored", CONTROLLER_TIMEOUT,
             pred=lambda o: o is not None and o.get("data") == {"ca.crt": ca})


# -- 3. garbage collection


def test_background_cascade(srv):
    ns = namespace(srv, "gc-bg")
    a, b, c = chain(srv, ns)
    api(srv, "DELETE", cm_path(ns, "a"))
    assert get(srv, cm_path(ns, "a")) is None, "a Background delete removes the owner at once"
    wait_gone(srv, cm_path(ns, "b"), secret_path(ns, "c"), why="collected (Background)")


def test_foreground_cascade_keeps_the_owner_until_dependents_are_gone(srv, k8s):
    client, core, _ = k8s
    ns = namespace(srv, "gc-fg")
    chain(srv, ns, hold_c=True)   # c keeps a finalizer: the cascade stops there until it is removed
    core.delete_namespaced_config_map("a", ns, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    a = get(srv, cm_path(ns, "a"))
    assert a is not None and a["metadata"].get("deletionTimestamp"), a
    assert "foregroundDeletion" in a["metadata"].get("finalizers", []), a["metadata"]

    b = wait_for(lambda: get(srv, cm_path(ns, "b")), "b deleted in the foreground too (it has a dependent)",
                 pred=lambda o: o is not None and o["metadata"].get("deletionTimestamp")
                 and "foregroundDeletion" in o["metadata"].get("finalizers", []))
    c = wait_for(lambda: get(srv, secret_path(ns, "c")), "c marked for deletion",
                 pred=lambda o: o is not None and o["metadata"].get("deletionTimestamp"))
    assert c["metadata"]["finalizers"] == [HOLD]
    last = stays(srv, cm_path(ns, "a"), cm_path(ns, "b"), why="its dependents still exist (Foreground)")
    for path in (cm_path(ns, "a"), cm_path(ns, "b")):
        assert "foregroundDeletion" in last[path]["metadata"].get("finalizers", []), last[path]["metadata"]
    assert b["metadata"]["ownerReferences"][0]["uid"] == a["metadata"]["uid"]

    merge_patch(srv, secret_path(ns, "c"), {"metadata": {"finalizers": None}})
    wait_gone(srv, secret_path(ns, "c"), cm_path(ns, "b"), cm_path(ns, "a"), why="deleted once c let go")


@needs_kubectl
def test_orphan_removes_the_owner_reference(srv, kubectl):
    ns = namespace(srv, "gc-orphan")
    a, b, c = chain(srv, ns)
    result = kubectl("delete", "configmap", "a", "-n", ns, "--cascade=orphan", timeout=30)
    assert result.stdout.strip() == 'configmap "a" deleted'
    wait_gone(srv, cm_path(ns, "a"))
    last = stays(srv, cm_path(ns, "b"), secret_path(ns, "c"), why="orphaned, not collected")
    assert last[cm_path(ns, "b")]["metadata"].get("ownerReferences") in (None, []), last[cm_path(ns, "b")]
    assert owner_uids(last[secret_path(ns, "c")]) == [b["metadata"]["uid"]]
    assert "orphan" not in (last[cm_path(ns, "b")]["metadata"].get("finalizers") or [])


def test_orphan_with_the_python_client(srv, k8s):
    client, core, _ = k8s
    ns = namespace(srv, "gc-orphan-py")
    a, b, c = chain(srv, ns)
    core.delete_namespaced_config_map("a", ns, body=client.V1DeleteOptions(propagation_policy="Orphan"))
    wait_gone(srv, cm_path(ns, "a"), why="deleted after its dependents were orphaned")
    got = core.read_namespaced_config_map("b", ns)
    assert not got.metadata.owner_references
    assert [r.uid for r in core.read_namespaced_secret("c", ns).metadata.owner_references] == [b["metadata"]["uid"]]


def test_custom_resources_own_and_are_owned(srv, k8s):
    _, core, custom = k8s
    ns = namespace(srv, "gc-cr")
    owner = widget(srv, ns, "owner")
    configmap(srv, ns, "of-widget", owners=[ref(owner, block=True)])
    secret(srv, ns, "of-widget", owners=[ref(owner)])
    cm_owner = configmap(srv, ns, "cm-owner")
    widget(srv, ns, "of-configmap", owners=[ref(cm_owner, block=True, controller=True)])
    stays(srv, cm_path(ns, "of-widget"), secret_path(ns, "of-widget"), widget_path(ns, "of-configmap"),
          seconds=0.5, why="their owners exist")
    custom.delete_namespaced_custom_object(GROUP, "v1", ns, "widgets", "owner")
    core.delete_namespaced_config_map("cm-owner", ns)
    wait_gone(srv, cm_path(ns, "of-widget"), secret_path(ns, "of-widget"), widget_path(ns, "of-configmap"),
              why="collected after their owner was deleted")


def test_dangling_owner_references(srv):
    ns = namespace(srv, "gc-dangling")
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": str(uuid.uuid4())}
    configmap(srv, ns, "lone", owners=[ghost])
    named = configmap(srv, ns, "named")
    configmap(srv, ns, "wrong-uid", owners=[dict(ref(named), uid=str(uuid.uuid4()))])
    parent = configmap(srv, ns, "parent")
    configmap(srv, ns, "half", owners=[ref(parent), dict(ghost, name="ghost2", uid=str(uuid.uuid4()))])
    wait_gone(srv, cm_path(ns, "lone"), why="collected: its only owner does not exist")
    wait_gone(srv, cm_path(ns, "wrong-uid"), why="collected: its owner's name exists with another uid")
    stays(srv, cm_path(ns, "half"), cm_path(ns, "parent"), cm_path(ns, "named"), why="it still has a valid owner")
    # upstream removes the dangling reference from an object that keeps a valid owner
    wait_for(lambda: get(srv, cm_path(ns, "half")), "the dangling reference removed from 'half'",
             pred=lambda o: owner_uids(o) == [parent["metadata"]["uid"]])


def test_owner_scope_rules(srv):
    ns_a, ns_b = namespace(srv, "gc-scope-a"), namespace(srv, "gc-scope-b")
    suffix = next(_names)
    in_a = configmap(srv, ns_a, "owner")
    twin_a = configmap(srv, ns_a, "twin")
    configmap(srv, ns_b, "twin")
    role = clusterrole(srv, f"gc-owner-{suffix}")
    ns_obj = get(srv, f"/api/v1/namespaces/{ns_b}")
    ns_obj.setdefault("kind", "Namespace")
    # namespaced dependents: an owner in another namespace does not count (looked up in the dependent's namespace)
    configmap(srv, ns_b, "cross-ns", owners=[ref(in_a)])
    configmap(srv, ns_b, "cross-ns-twin", owners=[ref(twin_a)])
    # namespaced dependents of cluster-scoped owners: valid
    configmap(srv, ns_b, "of-clusterrole", owners=[ref(role, block=True)])
    configmap(srv, ns_b, "of-namespace", owners=[ref(ns_obj)])
    # cluster-scoped dependents of cluster-scoped owners: valid
    clusterrole(srv, f"gc-dep-{suffix}", owners=[ref(role)])

    wait_gone(srv, cm_path(ns_b, "cross-ns"), cm_path(ns_b, "cross-ns-twin"),
              why="collected: its owner is in another namespace")
    stays(srv, cm_path(ns_b, "of-clusterrole"), cm_path(ns_b, "of-namespace"), clusterrole_path(f"gc-dep-{suffix}"),
          cm_path(ns_a, "owner"), cm_path(ns_b, "twin"), why="not to be collected")
    api(srv, "DELETE", clusterrole_path(f"gc-owner-{suffix}"))
    wait_gone(srv, cm_path(ns_b, "of-clusterrole"), clusterrole_path(f"gc-dep-{suffix}"),
              why="collected after the ClusterRole owning it was deleted")
    assert get(srv, cm_path(ns_b, "of-namespace")) is not None


def test_cluster_scoped_dependent_of_a_namespaced_owner_is_left_alone(srv):
    """Upstream's collector cannot look up a namespaced owner for a cluster-scoped dependent (an owner reference has
    no namespace): attemptToDeleteItem gets namespacedOwnerOfClusterScopedObjectErr and forgets the item."""
    ns = namespace(srv, "gc-scope-c")
    suffix = next(_names)
    owner = configmap(srv, ns, "owner")
    clusterrole(srv, f"gc-bad-{suffix}", owners=[ref(owner)])
    clusterrole(srv, f"gc-bad-ghost-{suffix}", owners=[dict(ref(owner), name="ghost", uid=str(uuid.uuid4()))])
    stays(srv, clusterrole_path(f"gc-bad-{suffix}"), clusterrole_path(f"gc-bad-ghost-{suffix}"),
          why="a cluster-scoped object whose owner is namespaced is not collected while that owner exists")
    api(srv, "DELETE", cm_path(ns, "owner"))
    stays(srv, clusterrole_path(f"gc-bad-{suffix}"), why="nor after that owner is deleted")


# -- 5. bad input


@pytest.mark.parametrize("change, message", [
    ({"uid": ""}, 'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty'),
    ({"apiVersion": ""}, 'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty'),
    ({"kind": ""}, 'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty'),
    ({"name": ""}, 'metadata.ownerReferences.name: Invalid value: "": name must not be empty'),
    ({"apiVersion": "v1", "kind": "Event"}, "/v1, Kind=Event is disallowed from being an owner"),
])
def test_invalid_owner_references_are_refused(srv, change, message):
    name = f"bad-owner-{next(_names)}"
    owner = dict({"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": str(uuid.uuid4())}, **change)
    code, status = call(srv, "POST", cm_path("default"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": name, "ownerReferences": [owner]}})
    if code == 201:
        call(srv, "DELETE", cm_path("default", name))
    assert code == 422, f"{code}: {json.dumps(status)[:1500]}"
    assert status["reason"] == "Invalid"
    assert status["message"].startswith(f'ConfigMap "{name}" is invalid: ')
    assert message in status["message"], status["message"]
    if "uid" in change:
        assert status["message"] == f'ConfigMap "{name}" is invalid: {message}'
        assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "message":
                                                'Invalid value: "": uid must not be empty',
                                                "field": "metadata.ownerReferences.uid"}]


def test_two_controller_owner_references_are_refused(srv):
    owners = [{"apiVersion": "v1", "kind": "ConfigMap", "name": n, "uid": str(uuid.uuid4()), "controller": True}
              for n in ("x", "y")]
    code, status = call(srv, "POST", cm_path("default"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": "two-controllers",
                                                                       "ownerReferences": owners}})
    if code == 201:
        call(srv, "DELETE", cm_path("default", "two-controllers"))
    assert code == 422, f"{code}: {json.dumps(status)[:1500]}"
    assert 'Only one reference can have Controller set to true. Found "true" in references for ConfigMap/x and ' \
           "ConfigMap/y" in status["message"], status["message"]


def test_owner_of_unknown_kind_leaves_dependent_alone(srv):
    ns = namespace(srv, "gc-unknown")
    configmap(srv, ns, "unknown-group", owners=[{"apiVersion": "nothing.example.com/v1", "kind": "Nothing",
                                                 "name": "x", "uid": str(uuid.uuid4())}])
    configmap(srv, ns, "unknown-kind", owners=[{"apiVersion": "v1", "kind": "Bogus", "name": "x",
                                                "uid": str(uuid.uuid4())}])
    # a control: a dangling reference of a known kind, made after the unknown ones, is collected
    configmap(srv, ns, "control", owners=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "x",
                                           "uid": str(uuid.uuid4())}])
    wait_gone(srv, cm_path(ns, "control"), why="collected (its owner does not exist)")
    stays(srv, cm_path(ns, "unknown-group"), cm_path(ns, "unknown-kind"),
          why="upstream cannot resolve the owner's resource and leaves the dependent")
    assert ready(srv)
    assert_idle(srv)
    assert ready(srv)


def test_ownership_cycle_is_collected_without_spinning(srv):
    ns = namespace(srv, "gc-cycle")
    a = configmap(srv, ns, "a")
    b = configmap(srv, ns, "b", owners=[ref(a)])
    merge_patch(srv, cm_path(ns, "a"), {"metadata": {"ownerReferences": [ref(b)]}})
    stays(srv, cm_path(ns, "a"), cm_path(ns, "b"), seconds=0.5, why="each owner exists")
    api(srv, "DELETE", cm_path(ns, "a"))
    wait_gone(srv, cm_path(ns, "a"), cm_path(ns, "b"), why="collected (cycle)")
    assert_idle(srv)
    assert ready(srv)


def test_foreground_delete_of_a_blocking_cycle_completes(srv, k8s):
    client, core, _ = k8s
    ns = namespace(srv, "gc-cycle-fg")
    a = configmap(srv, ns, "a")
    b = configmap(srv, ns, "b", owners=[ref(a, block=True)])
    merge_patch(srv, cm_path(ns, "a"), {"metadata": {"ownerReferences": [ref(b, block=True)]}})
    core.delete_namespaced_config_map("a", ns, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    wait_gone(srv, cm_path(ns, "a"), cm_path(ns, "b"), why="deleted (upstream unblocks a foreground cycle)")
    assert_idle(srv)


# -- 6. --controllers


def test_controllers_without_garbage_collector(make_server):
    srv = make_server("--controllers=-garbagecollector")
    ns = namespace(srv, "no-gc")
    owner = configmap(srv, ns, "owner")
    configmap(srv, ns, "dependent", owners=[ref(owner)])
    configmap(srv, ns, "dangling", owners=[dict(ref(owner), name="ghost", uid=str(uuid.uuid4()))])
    wait_for(lambda: get(srv, sa_path(ns)), "the default ServiceAccount (serviceaccount controller still on)",
             CONTROLLER_TIMEOUT)
    api(srv, "DELETE", cm_path(ns, "owner"))
    stays(srv, cm_path(ns, "dependent"), cm_path(ns, "dangling"), why="no garbage collector runs")
    code, status = call(srv, "DELETE", f"/api/v1/namespaces/{namespace(srv, 'no-gc-ns')}")
    assert code == 200, status


def test_controllers_none(make_server):
    srv = make_server("--controllers=none")
    ns = namespace(srv, "none")
    owner = configmap(srv, ns, "owner")
    configmap(srv, ns, "dependent", owners=[ref(owner)])
    api(srv, "DELETE", cm_path(ns, "owner"))
    api(srv, "DELETE", f"/api/v1/namespaces/{ns}")
    stays(srv, cm_path(ns, "dependent"), f"/api/v1/namespaces/{ns}", why="no controllers run")
    assert get(srv, sa_path(ns)) is None, "a default ServiceAccount appeared with --controllers=none"
    assert get(srv, cm_path(ns, "kube-root-ca.crt")) is None, "kube-root-ca.crt appeared with --controllers=none"
    got = get(srv, f"/api/v1/namespaces/{ns}")
    assert got["status"]["phase"] == "Terminating" and got["spec"]["finalizers"] == ["kubernetes"], got


def test_unknown_controller_name_is_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "apiserver", "--data-dir", str(tmp_path), "--secure-port=0",
                             "--controllers=namespace,bogus"], env=proc_env(), capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "bogus" in result.stderr and "Traceback" not in result.stderr, result.stderr[-2000:]


# -- 4. restart in the middle of a cascade


def proc_env() -> dict:
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + HERE)


class Proc:
    """The real command on a free port (as in test_process.py); logs go to a file, not a pipe nobody reads."""

    def __init__(self, data, log_path, *flags):
        self.data = data
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "apiserver", "--data-dir", str(data), "--secure-port",
                                      "0", "--storage-backend", "sqlite", "--log-format", "json", *flags],
                                     env=proc_env(), stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None
        self.conn: Optional[http.client.HTTPSConnection] = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited: {self.proc.returncode}"
            try:
                text = (data / "admin.kubeconfig").read_text()
                self.port = int(re.search(r"server: \"?https://127\.0\.0\.1:(\d+)", text).group(1))
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except (OSError, AttributeError, http.client.HTTPException):
                self.conn = None
            time.sleep(0.05)
        raise AssertionError("server did not become ready")

    def context(self):
        ctx = ssl.create_default_context(cafile=str(self.data / "pki" / "ca.crt"))
        ctx.load_cert_chain(str(self.data / "pki" / "admin.crt"), str(self.data / "pki" / "admin.key"))
        return ctx

    def request(self, method, path, body=None):
        """One request on a kept-alive connection: (code, decoded body)."""
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context(), timeout=15)
        headers = {}
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data

    def cpu_seconds(self) -> float:
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout=30) -> int:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.flush()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


DEPENDENTS = 300


def test_restart_in_the_middle_of_a_cascade(tmp_path):
    data, log_path = tmp_path / "data", tmp_path / "server.log"
    started: List[Proc] = []
    try:
        p = Proc(data, log_path)
        started.append(p)
        code, owner = p.request("POST", cm_path("default"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                             "metadata": {"name": "owner"}})
        assert code == 201, owner
        for i in range(DEPENDENTS):
            code, body = p.request("POST", cm_path("default"), {
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": f"dep-{i:03d}", "labels": {"cascade": "restart"},
                             "ownerReferences": [ref(dict(owner, apiVersion="v1", kind="ConfigMap"))]}})
            assert code == 201, body
        code, body = p.request("DELETE", cm_path("default", "owner"))
        assert code == 200, body
        exit_code = p.stop()
        assert exit_code == 0, f"SIGTERM with controllers running: exit {exit_code}; log {log_path}"

        p = Proc(data, log_path)
        started.append(p)
        code, body = p.request("GET", cm_path("default", "owner"))
        assert code == 404, body

        def remaining():
            code, body = p.request("GET", cm_path("default") + "?labelSelector=cascade%3Drestart")
            assert code == 200, body
            return len(body["items"])
        at_restart = remaining()
        print(f"{at_restart} of {DEPENDENTS} dependents were left when the server restarted")
        wait_for(remaining, "every dependent collected after the restart", 30, pred=lambda n: n == 0, interval=0.2)
        before = p.cpu_seconds()
        time.sleep(2)  # idle CPU over a fixed interval is what is measured
        used = p.cpu_seconds() - before
        assert used < 0.4, f"{used:.2f}s of CPU in 2s while idle after the cascade"
        assert p.stop() == 0
    finally:
        for proc in started:
            proc.kill()


def test_a_stop_event_ends_an_informer_waiting_on_its_watch_at_once():
    """Informers wait for their next watch event up to ``idle`` seconds; a StopEvent ends that wait when it is set
    (shutdown took ~0.5 s per informer before, the kit's stop ~460 ms), and one set first is never waited on."""
    import threading

    from apiserver.controllers import informer
    from apiserver.server.lifecycle import StopEvent
    from apiserver.storage import new_store

    store = new_store("memory")
    try:
        seen = []
        stop = StopEvent()
        synced = threading.Event()
        thread = threading.Thread(target=informer.run, args=(store, "/registry/configmaps/", stop,
                                                             lambda key, obj: seen.append(key), synced.set),
                                  kwargs={"idle": 30.0}, daemon=True)
        thread.start()
        assert synced.wait(5)
        store.create("/registry/configmaps/default/a", b'{"metadata": {"name": "a"}}')
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == ["/registry/configmaps/default/a"]
        started = time.monotonic()
        stop.set()
        thread.join(5)
        assert not thread.is_alive() and time.monotonic() - started < 1.0
        assert not stop.call_on_set(lambda: None)   # set already: nothing to register
        informer.run(store, "/registry/configmaps/", stop, lambda key, obj: None, idle=30.0)   # returns at once
    finally:
        store.close()
