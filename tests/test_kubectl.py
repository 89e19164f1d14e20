"""kubectl end to end: unmodified kubectl binaries against the real server over TLS.

One server serves the whole module (every test works in its own namespace); kubectl runs with a HOME of its own
so its discovery cache starts empty. Expected outputs are upstream kube-apiserver 1.32's (server-side printers in
pkg/printers/internalversion, Status messages in apimachinery's errors package) as shown by kubectl 1.32.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import pytest
from support import ServerThread

try:
    import yaml
except ImportError:  # the round-trip checks against the manifests need PyYAML; everything else runs without it
    yaml = None

KUBECTL = shutil.which("kubectl")
SDK_BIN = "/usr/lib/google-cloud-sdk/bin"
HERE = os.path.dirname(os.path.abspath(__file__))
MANIFESTS = os.path.join(HERE, "manifests")
TIMEOUT = 60

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


# -- fixtures and helpers


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # no control loops: the tables and counts below are of exactly what the tests create (so no default service
    # account either: the ServiceAccount admission plugin, which needs one, is off)
    flags = ["--controllers=none", "--disable-admission-plugins=ServiceAccount"]
    cluster = None
    if os.environ.get("KUBECTL_TEST_BACKEND") == "etcd3":  # the same suite on a fresh single-member etcd
        from etcd_support import EtcdCluster
        cluster = EtcdCluster(tmp_path_factory.mktemp("etcd"), 1).start()
        flags += ["--storage-backend", "etcd3", "--etcd-servers", cluster.servers]
    server = ServerThread(tmp_path_factory.mktemp("kubectl") / "data", *flags).start()
    yield server
    server.stop()
    if cluster is not None:
        cluster.stop()


@pytest.fixture(scope="module")
def kube_env(tmp_path_factory):
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("kubectl-home")))
    env.pop("KUBECONFIG", None)
    return env


class Kubectl:
    def __init__(self, srv: ServerThread, env: dict):
        self.srv = srv
        self.env = env

    def command(self, args, binary: Optional[str] = None) -> List[str]:
        return [binary or KUBECTL, "--kubeconfig", str(self.srv.kubeconfig), *args]

    def __call__(self, *args: str, binary: Optional[str] = None, check: bool = True, timeout: float = TIMEOUT,
                 stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        result = subprocess.run(self.command(args, binary), capture_output=True, text=True, timeout=timeout,
                                env=self.env, input=stdin)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
        return result

    def fails(self, *args: str, **kw) -> str:
        result = self(*args, check=False, **kw)
        assert result.returncode != 0, f"kubectl {' '.join(args)} should have failed:\n{result.stdout}"
        return result.stderr

    def popen(self, *args: str, binary: Optional[str] = None) -> subprocess.Popen:
        return subprocess.Popen(self.command(args, binary), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env)


@pytest.fixture(scope="module")
def kubectl(srv, kube_env):
    return Kubectl(srv, kube_env)


_ns_counter = itertools.count()


@pytest.fixture
def ns(srv):
    """A fresh namespace for one test."""
    name = f"kc-{next(_ns_counter)}"
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": name}})
    assert code == 201, body
    return name


def api(srv: ServerThread, method: str, path: str, body=None, content_type: str = "", expect=(200, 201)) -> dict:
    headers = {"Content-Type": content_type} if content_type else None
    if content_type and not isinstance(body, (bytes, str)):
        body = json.dumps(body).encode()
    code, _, data = srv.request(method, path, body, headers=headers)
    assert code in expect, f"{method} {path}: {code} {data[:2000]!r}"
    return json.loads(data) if data else {}


def merge_patch(srv: ServerThread, path: str, patch: dict) -> dict:
    return api(srv, "PATCH", path, patch, content_type="application/merge-patch+json")


def configmap(srv: ServerThread, namespace: str, name: str, data: Optional[dict] = None,
              labels: Optional[dict] = None, finalizers: Optional[list] = None) -> dict:
    meta = {"name": name, "labels": labels or {}}
    if finalizers:
        meta["finalizers"] = finalizers
    return api(srv, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
               {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {}}, expect=(201,))


def deployment(srv: ServerThread, namespace: str, name: str, replicas: int = 1, image: str = "nginx:1.27") -> dict:
    body = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": image}]}}},
    }
    return api(srv, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", body, expect=(201,))


def exists(srv: ServerThread, path: str) -> bool:
    code, _, body = srv.request("GET", path)
    assert code in (200, 404), body
    return code == 200


def parse_table(text: str) -> Tuple[List[str], List[Dict[str, str]]]:
    """kubectl's human-readable table: columns start where their header starts (tabwriter, padding 3)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "no table printed"
    spans = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
    names = [name for _, name in spans]
    rows = []
    for line in lines[1:]:
        row = {}
        for i, (start, name) in enumerate(spans):
            end = spans[i + 1][0] if i + 1 < len(spans) else None
            row[name] = line[start:end].strip()
        rows.append(row)
    return names, rows


def by_name(rows: List[Dict[str, str]], column: str = "NAME") -> Dict[str, Dict[str, str]]:
    return {row[column]: row for row in rows}


def assert_subset(expected, actual, path: str = ""):
    """Everything the manifest said is in what the server returned (which may add defaults)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing from the server's object"
            assert_subset(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {expected!r} != {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


class LineReader:
    """Collects a long-running kubectl's stdout lines in a thread."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: List[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next(self, timeout: float = 15.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output from kubectl within {timeout}s; so far: {self.seen}") from None
        self.seen.append(line)
        return line

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        _, err = self.proc.communicate(timeout=10)
        return err


class Later(threading.Thread):
    """Runs fn after a delay in a thread; join() re-raises what it raised."""

    def __init__(self, delay: float, fn):
        super().__init__(daemon=True)
        self.delay, self.fn, self.error = delay, fn, None

    def run(self):
        time.sleep(self.delay)
        try:
            self.fn()
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread by join()
            self.error = err

    def join(self, timeout=None):
        super().join(timeout)
        if self.error is not None:
            raise self.error


RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
AGE = re.compile(r"\d+[smhdy]|<unknown>|<invalid>")


# -- api-resources


def test_api_resources(kubectl):
    names, rows = parse_table(kubectl("api-resources").stdout)
    assert names == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    table = {(row["APIVERSION"], row["NAME"]): row for row in rows}
    assert table[("v1", "pods")] == {"NAME": "pods", "SHORTNAMES": "po", "APIVERSION": "v1", "NAMESPACED": "true",
                                     "KIND": "Pod"}
    assert table[("apps/v1", "deployments")] == {"NAME": "deployments", "SHORTNAMES": "deploy",
                                                 "APIVERSION": "apps/v1", "NAMESPACED": "true", "KIND": "Deployment"}
    assert table[("v1", "namespaces")]["NAMESPACED"] == "false"
    assert table[("v1", "namespaces")]["SHORTNAMES"] == "ns"
    assert table[("v1", "nodes")]["NAMESPACED"] == "false"
    assert table[("rbac.authorization.k8s.io/v1", "clusterroles")]["NAMESPACED"] == "false"
    assert table[("events.k8s.io/v1", "events")]["KIND"] == "Event"
    served = {(row["APIVERSION"], row["KIND"]) for row in rows}
    missing = {(k.api_version, k.kind) for k in KINDS} - served
    assert not missing, f"kinds missing from api-resources: {sorted(missing)}"
    for kind in KINDS:
        assert table[(kind.api_version, kind.plural)]["NAMESPACED"] == str(kind.namespaced).lower(), kind.kind

    apps = kubectl("api-resources", "--api-group=apps", "-o", "name").stdout.split()
    assert apps == ["controllerrevisions.apps", "daemonsets.apps", "deployments.apps", "replicasets.apps",
                    "statefulsets.apps"]
    cluster = kubectl("api-resources", "--namespaced=false", "-o", "name").stdout.split()
    assert {"namespaces", "nodes", "persistentvolumes", "clusterroles.rbac.authorization.k8s.io",
            "storageclasses.storage.k8s.io", "priorityclasses.scheduling.k8s.io"} <= set(cluster)
    assert "pods" not in cluster and "deployments.apps" not in cluster

    names, rows = parse_table(kubectl("api-resources", "-o", "wide", "--api-group=").stdout)
    assert names == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
    pods = by_name(rows)["pods"]
    assert pods["VERBS"] == "create,delete,deletecollection,get,list,patch,update,watch"
    assert pods["CATEGORIES"] == "all"


# -- create -f of every built-in kind, then get it back (JSON and table)

KINDS_NS = "e2e-kinds"


@dataclass
class Kind:
    file: str
    group: str
    version: str
    kind: str
    plural: str
    name: str
    namespaced: bool
    columns: List[str]
    cells: Dict[str, str] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """What to type after `kubectl get`: plural.group, unambiguous."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def created(self) -> str:
        """kubectl's `<kind>.<group>/<name> created` line."""
        return f"{self.kind.lower()}{'.' + self.group if self.group else ''}/{self.name} created"


AGE_COLS = ["AGE"]
EVENT_COLUMNS = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
CREATED_AT = ["NAME", "CREATED AT"]

KINDS = [
    Kind("namespace.yaml", "", "v1", "Namespace", "namespaces", "e2e-namespace", False,
         ["NAME", "STATUS", "AGE"], {"STATUS": "Active"}),
    Kind("configmap.yaml", "", "v1", "ConfigMap", "configmaps", "e2e-configmap", True,
         ["NAME", "DATA", "AGE"], {"DATA": "2"}),
    Kind("secret.yaml", "", "v1", "Secret", "secrets", "e2e-secret", True,
         ["NAME", "TYPE", "DATA", "AGE"], {"TYPE": "Opaque", "DATA": "2"}),
    Kind("service.yaml", "", "v1", "Service", "services", "e2e-service", True,
         ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
         {"TYPE": "ClusterIP", "EXTERNAL-IP": "<none>", "PORT(S)": "80/TCP"}),
    Kind("endpoints.yaml", "", "v1", "Endpoints", "endpoints", "e2e-endpoints", True,
         ["NAME", "ENDPOINTS", "AGE"], {"ENDPOINTS": "10.1.0.5:8080"}),
    Kind("pod.yaml", "", "v1", "Pod", "pods", "e2e-pod", True,
         ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], {"READY": "0/1", "STATUS": "Pending", "RESTARTS": "0"}),
    Kind("podtemplate.yaml", "", "v1", "PodTemplate", "podtemplates", "e2e-podtemplate", True,
         ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"],
         {"CONTAINERS": "app", "IMAGES": "nginx:1.27", "POD LABELS": "app=e2e"}),
    Kind("replicationcontroller.yaml", "", "v1", "ReplicationController", "replicationcontrollers",
         "e2e-replicationcontroller", True, ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
         {"DESIRED": "2", "CURRENT": "0", "READY": "0"}),
    Kind("serviceaccount.yaml", "", "v1", "ServiceAccount", "serviceaccounts", "e2e-serviceaccount", True,
         ["NAME", "SECRETS", "AGE"], {"SECRETS": "0"}),
    Kind("event.yaml", "", "v1", "Event", "events", "e2e-event", True, EVENT_COLUMNS,
         {"TYPE": "Normal", "REASON": "Testing", "OBJECT": "pod/e2e-pod",
          "MESSAGE": "an event for the end-to-end tests"}),
    Kind("node.yaml", "", "v1", "Node", "nodes", "e2e-node", False,
         ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], {"STATUS": "Unknown", "ROLES": "<none>", "VERSION": ""}),
    Kind("persistentvolume.yaml", "", "v1", "PersistentVolume", "persistentvolumes", "e2e-persistentvolume", False,
         ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
          "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"],
         {"CAPACITY": "1Gi", "ACCESS MODES": "RWO", "RECLAIM POLICY": "Retain", "STATUS": "Pending", "CLAIM": "",
          "STORAGECLASS": "e2e-storageclass", "VOLUMEATTRIBUTESCLASS": "<unset>", "REASON": ""}),
    Kind("persistentvolumeclaim.yaml", "", "v1", "PersistentVolumeClaim", "persistentvolumeclaims",
         "e2e-persistentvolumeclaim", True,
         ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"],
         {"STATUS": "Pending", "VOLUME": "", "CAPACITY": "", "ACCESS MODES": "", "STORAGECLASS": "e2e-storageclass",
          "VOLUMEATTRIBUTESCLASS": "<unset>"}),
    Kind("limitrange.yaml", "", "v1", "LimitRange", "limitranges", "e2e-limitrange", True, CREATED_AT),
    Kind("resourcequota.yaml", "", "v1", "ResourceQuota", "resourcequotas", "e2e-resourcequota", True,
         ["NAME", "REQUEST", "LIMIT", "AGE"], {"REQUEST": "", "LIMIT": ""}),
    Kind("deployment.yaml", "apps", "v1", "Deployment", "deployments", "e2e-deployment", True,
         ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], {"READY": "0/2", "UP-TO-DATE": "0", "AVAILABLE": "0"}),
    Kind("replicaset.yaml", "apps", "v1", "ReplicaSet", "replicasets", "e2e-replicaset", True,
         ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], {"DESIRED": "2", "CURRENT": "0", "READY": "0"}),
    Kind("statefulset.yaml", "apps", "v1", "StatefulSet", "statefulsets", "e2e-statefulset", True,
         ["NAME", "READY", "AGE"], {"READY": "0/2"}),
    Kind("daemonset.yaml", "apps", "v1", "DaemonSet", "daemonsets", "e2e-daemonset", True,
         ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
         {"DESIRED": "0", "CURRENT": "0", "READY": "0", "UP-TO-DATE": "0", "AVAILABLE": "0",
          "NODE SELECTOR": "kubernetes.io/os=linux"}),
    Kind("controllerrevision.yaml", "apps", "v1", "ControllerRevision", "controllerrevisions",
         "e2e-controllerrevision", True, ["NAME", "CONTROLLER", "REVISION", "AGE"],
         {"CONTROLLER": "<none>", "REVISION": "1"}),
    Kind("job.yaml", "batch", "v1", "Job", "jobs", "e2e-job", True,
         ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
         {"STATUS": "Running", "COMPLETIONS": "0/1", "DURATION": ""}),
    Kind("cronjob.yaml", "batch", "v1", "CronJob", "cronjobs", "e2e-cronjob", True,
         ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
         {"SCHEDULE": "*/5 * * * *", "TIMEZONE": "<none>", "SUSPEND": "False", "ACTIVE": "0",
          "LAST SCHEDULE": "<none>"}),
    Kind("horizontalpodautoscaler.yaml", "autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
         "e2e-horizontalpodautoscaler", True,
         ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
         {"REFERENCE": "Deployment/e2e-deployment", "TARGETS": "cpu: <unknown>/80%", "MINPODS": "1", "MAXPODS": "5",
          "REPLICAS": "0"}),
    Kind("lease.yaml", "coordination.k8s.io", "v1", "Lease", "leases", "e2e-lease", True,
         ["NAME", "HOLDER", "AGE"], {"HOLDER": "e2e-holder"}),
    Kind("event-events-k8s-io.yaml", "events.k8s.io", "v1", "Event", "events", "e2e-event-v1", True, EVENT_COLUMNS,
         {"TYPE": "Normal", "REASON": "Testing", "OBJECT": "pod/e2e-pod",
          "MESSAGE": "an events.k8s.io event for the end-to-end tests"}),
    Kind("endpointslice.yaml", "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "e2e-endpointslice", True,
         ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
         {"ADDRESSTYPE": "IPv4", "PORTS": "8080", "ENDPOINTS": "10.1.0.5"}),
    Kind("ingress.yaml", "networking.k8s.io", "v1", "Ingress", "ingresses", "e2e-ingress", True,
         ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
         {"CLASS": "e2e-ingressclass", "HOSTS": "e2e.example.com", "ADDRESS": "", "PORTS": "80"}),
    Kind("ingressclass.yaml", "networking.k8s.io", "v1", "IngressClass", "ingressclasses", "e2e-ingressclass", False,
         ["NAME", "CONTROLLER", "PARAMETERS", "AGE"],
         {"CONTROLLER": "example.com/ingress-controller", "PARAMETERS": "<none>"}),
    Kind("networkpolicy.yaml", "networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "e2e-networkpolicy",
         True, ["NAME", "POD-SELECTOR", "AGE"], {"POD-SELECTOR": "app=e2e"}),
    Kind("poddisruptionbudget.yaml", "policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets",
         "e2e-poddisruptionbudget", True, ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"],
         {"MIN AVAILABLE": "1", "MAX UNAVAILABLE": "N/A", "ALLOWED DISRUPTIONS": "0"}),
    Kind("role.yaml", "rbac.authorization.k8s.io", "v1", "Role", "roles", "e2e-role", True, CREATED_AT),
    Kind("rolebinding.yaml", "rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "e2e-rolebinding",
         True, ["NAME", "ROLE", "AGE"], {"ROLE": "Role/e2e-role"}),
    Kind("clusterrole.yaml", "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "e2e-clusterrole",
         False, CREATED_AT),
    Kind("clusterrolebinding.yaml", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
         "e2e-clusterrolebinding", False, ["NAME", "ROLE", "AGE"], {"ROLE": "ClusterRole/e2e-clusterrole"}),
    Kind("storageclass.yaml", "storage.k8s.io", "v1", "StorageClass", "storageclasses", "e2e-storageclass", False,
         ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
         {"PROVISIONER": "example.com/e2e-provisioner", "RECLAIMPOLICY": "Delete",
          "VOLUMEBINDINGMODE": "WaitForFirstConsumer", "ALLOWVOLUMEEXPANSION": "true"}),
    Kind("priorityclass.yaml", "scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "e2e-priorityclass",
         False, ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
         {"VALUE": "1000", "GLOBAL-DEFAULT": "false", "PREEMPTIONPOLICY": "PreemptLowerPriority"}),
    Kind("mutatingwebhookconfiguration.yaml", "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
         "mutatingwebhookconfigurations", "e2e-mutatingwebhook", False, ["NAME", "WEBHOOKS", "AGE"],
         {"WEBHOOKS": "1"}),
    Kind("validatingwebhookconfiguration.yaml", "admissionregistration.k8s.io", "v1",
         "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", "e2e-validatingwebhook", False,
         ["NAME", "WEBHOOKS", "AGE"], {"WEBHOOKS": "1"}),
    Kind("validatingadmissionpolicy.yaml", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy",
         "validatingadmissionpolicies", "e2e-policy", False, ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"],
         {"VALIDATIONS": "1", "PARAMKIND": "<unset>"}),
    Kind("validatingadmissionpolicybinding.yaml", "admissionregistration.k8s.io", "v1",
         "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", "e2e-policy-binding", False,
         ["NAME", "POLICYNAME", "PARAMREF", "AGE"], {"POLICYNAME": "e2e-policy", "PARAMREF": "<unset>"}),
    Kind("customresourcedefinition.yaml", "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
         "customresourcedefinitions", "widgets.e2e.example.com", False, CREATED_AT, {}),
]


def test_every_manifest_is_covered():
    files = sorted(os.listdir(os.path.join(MANIFESTS, "kinds")))
    assert files == sorted(k.file for k in KINDS)
    assert len({(k.group, k.kind) for k in KINDS}) == 41


def test_every_served_kind_has_a_manifest(kubectl):
    """A kind the server starts serving needs a manifest under manifests/kinds (and a row in KINDS)."""
    _, rows = parse_table(kubectl("api-resources", "-o", "wide").stdout)
    served = {(row["APIVERSION"], row["KIND"]) for row in rows if "get" in row["VERBS"]}   # not the reviews
    assert served == {(k.api_version, k.kind) for k in KINDS}


@pytest.fixture(scope="module")
def kinds_ns(srv):
    """The namespace the per-kind manifests are created in (the core Event names it as its involved object's)."""
    api(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                            "metadata": {"name": KINDS_NS}}, expect=(201,))
    return KINDS_NS


def expected_object(manifest: dict) -> dict:
    """What the server must keep of a manifest (a Secret's stringData is merged into data)."""
    expected = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind", "metadata", "stringData")}
    if manifest["kind"] == "Secret":
        data = dict(expected.get("data") or {})
        for key, value in (manifest.get("stringData") or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        expected["data"] = data
    expected["metadata"] = {"name": manifest["metadata"]["name"], "labels": manifest["metadata"]["labels"]}
    return expected


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.file[:-5])
def test_create_f_and_get_every_kind(kubectl, kinds_ns, kind):
    path = os.path.join(MANIFESTS, "kinds", kind.file)
    result = kubectl("create", "-f", path, "-n", kinds_ns, "--validate=false")
    assert result.stdout == kind.created + "\n"

    obj = json.loads(kubectl("get", kind.resource, kind.name, "-n", kinds_ns, "-o", "json").stdout)
    assert obj["apiVersion"] == kind.api_version and obj["kind"] == kind.kind
    meta = obj["metadata"]
    assert meta["name"] == kind.name
    assert meta.get("namespace") == (kinds_ns if kind.namespaced else None)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", meta["uid"])
    assert int(meta["resourceVersion"]) > 0
    assert RFC3339.match(meta["creationTimestamp"])
    assert meta["labels"]["e2e"] == "kinds"
    if yaml is not None:
        with open(path) as f:
            assert_subset(expected_object(yaml.safe_load(f)), obj)

    names, rows = parse_table(kubectl("get", kind.resource, kind.name, "-n", kinds_ns).stdout)
    assert names == kind.columns
    assert len(rows) == 1
    row = rows[0]
    if "NAME" in names:
        assert row["NAME"] == kind.name
    if "AGE" in names:
        assert AGE.fullmatch(row["AGE"]), row
    if "CREATED AT" in names:
        assert row["CREATED AT"] == meta["creationTimestamp"]
    assert {k: row[k] for k in kind.cells} == kind.cells
    if kind.kind == "Service":
        assert ipaddress.ip_address(row["CLUSTER-IP"]).version == 4, row
        assert row["CLUSTER-IP"] == obj["spec"]["clusterIP"]


def test_get_f_directory_lists_every_kind(kubectl, kinds_ns):
    """All 36 manifests read back in one `get -f <dir>` (after the per-kind test created them)."""
    missing = [k for k in KINDS if not exists(kubectl.srv, object_path(k, kinds_ns))]
    assert not missing, f"create the kinds first: {[k.kind for k in missing]}"
    result = json.loads(kubectl("get", "-f", os.path.join(MANIFESTS, "kinds"), "-n", kinds_ns, "-o", "json").stdout)
    assert result["kind"] == "List"
    got = sorted((item["apiVersion"], item["kind"], item["metadata"]["name"]) for item in result["items"])
    assert got == sorted((k.api_version, k.kind, k.name) for k in KINDS)


def object_path(kind: Kind, namespace: str) -> str:
    base = f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1"
    scope = f"/namespaces/{namespace}" if kind.namespaced else ""
    return f"{base}{scope}/{kind.plural}/{kind.name}"


def test_create_f_twice_is_already_exists(kubectl, ns):
    path = os.path.join(MANIFESTS, "kinds", "configmap.yaml")
    kubectl("create", "-f", path, "-n", ns, "--validate=false")
    err = kubectl.fails("create", "-f", path, "-n", ns, "--validate=false")
    assert err.strip() == (f'Error from server (AlreadyExists): error when creating "{path}": '
                           'configmaps "e2e-configmap" already exists')


# -- get: tables, wide, json, yaml, selectors, all namespaces, chunking


@pytest.fixture
def pods(srv, ns):
    """p1 scheduled and running (status written through /status), p2 pending."""
    base = f"/api/v1/namespaces/{ns}/pods"
    for name, labels, node in (("p1", {"app": "web", "tier": "frontend"}, "node-1"), ("p2", {"app": "db"}, None)):
        spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
        if node:
            spec["nodeName"] = node
        api(srv, "POST", base, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                                "spec": spec}, expect=(201,))
    merge_patch(srv, f"{base}/p1/status", {"status": {
        "phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}], "hostIP": "192.168.0.10",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": True, "started": True, "restartCount": 0,
                               "image": "nginx:1.27", "imageID": "",
                               "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}})
    return ns


def test_get_pods_table_and_wide(kubectl, pods):
    names, rows = parse_table(kubectl("get", "pods", "-n", pods).stdout)
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r["NAME"] for r in rows] == ["p1", "p2"]
    table = by_name(rows)
    assert (table["p1"]["READY"], table["p1"]["STATUS"], table["p1"]["RESTARTS"]) == ("1/1", "Running", "0")
    assert (table["p2"]["READY"], table["p2"]["STATUS"], table["p2"]["RESTARTS"]) == ("0/1", "Pending", "0")

    names, rows = parse_table(kubectl("get", "po", "-n", pods, "-o", "wide").stdout)
    assert names == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    table = by_name(rows)
    assert {k: table["p1"][k] for k in ("IP", "NODE", "NOMINATED NODE", "READINESS GATES")} == {
        "IP": "10.1.2.3", "NODE": "node-1", "NOMINATED NODE": "<none>", "READINESS GATES": "<none>"}
    assert (table["p2"]["IP"], table["p2"]["NODE"]) == ("<none>", "<none>")


def test_get_pods_json_and_yaml(kubectl, pods):
    listed = json.loads(kubectl("get", "pods", "-n", pods, "-o", "json").stdout)
    assert listed["kind"] == "List" and listed["apiVersion"] == "v1"
    assert [(p["kind"], p["apiVersion"], p["metadata"]["name"]) for p in listed["items"]] == [
        ("Pod", "v1", "p1"), ("Pod", "v1", "p2")]
    p1 = listed["items"][0]
    assert p1["status"]["phase"] == "Running" and p1["spec"]["nodeName"] == "node-1"

    one = json.loads(kubectl("get", "pod", "p2", "-n", pods, "-o", "json").stdout)
    assert one["kind"] == "Pod" and one["metadata"]["namespace"] == pods and one["status"]["phase"] == "Pending"
    assert one["spec"]["restartPolicy"] == "Always"  # defaulted by the server

    text = kubectl("get", "pod", "p1", "-n", pods, "-o", "yaml").stdout
    assert text.startswith("apiVersion: v1\nkind: Pod\nmetadata:\n")
    assert "  name: p1\n" in text and f"  namespace: {pods}\n" in text
    if yaml is not None:
        doc = yaml.safe_load(text)
        assert doc["metadata"]["labels"] == {"app": "web", "tier": "frontend"}
        assert doc["status"]["podIP"] == "10.1.2.3"


def test_get_with_label_and_field_selectors(kubectl, pods):
    def names(*args):
        return kubectl("get", "pods", "-n", pods, "-o", "name", *args).stdout.split()

    assert names("-l", "app=web") == ["pod/p1"]
    assert names("-l", "app in (web,db)") == ["pod/p1", "pod/p2"]
    assert names("-l", "app!=web") == ["pod/p2"]
    assert names("-l", "tier") == ["pod/p1"]
    assert names("-l", "!tier") == ["pod/p2"]
    assert names("-l", "app=web,tier=backend") == []
    assert names("--field-selector", "status.phase=Running") == ["pod/p1"]
    assert names("--field-selector", "spec.nodeName=node-1") == ["pod/p1"]
    assert names("--field-selector", "metadata.name=p2") == ["pod/p2"]
    assert names("--field-selector", "metadata.name!=p2,status.phase=Running", "-l", "app=web") == ["pod/p1"]
    empty = kubectl("get", "pods", "-n", pods, "-l", "app=nope")
    assert empty.stdout == "" and empty.stderr.strip() == f"No resources found in {pods} namespace."


def test_get_all_namespaces(kubectl, srv, ns):
    other = f"{ns}-other"
    api(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}},
        expect=(201,))
    configmap(srv, ns, "a1", {"k": "v"}, labels={"sel": ns})
    configmap(srv, other, "a2", {"k": "v", "l": "w"}, labels={"sel": ns})
    names, rows = parse_table(kubectl("get", "configmaps", "-A", "-l", f"sel={ns}").stdout)
    assert names == ["NAMESPACE", "NAME", "DATA", "AGE"]
    # a cluster-wide list is in storage-key order (/registry/configmaps/<namespace>/<name>): "kc-N-other/" < "kc-N/"
    assert [(r["NAMESPACE"], r["NAME"], r["DATA"]) for r in rows] == [(other, "a2", "2"), (ns, "a1", "1")]


def test_get_chunk_size_pages_through_the_list(kubectl, srv, ns):
    for i in range(5):
        configmap(srv, ns, f"chunk-{i}", {str(j): "x" for j in range(i)})
    result = kubectl("get", "configmaps", "-n", ns, "--chunk-size=2", "-v=6")
    names, rows = parse_table(result.stdout)
    assert names == ["NAME", "DATA", "AGE"]
    assert [(r["NAME"], r["DATA"]) for r in rows] == [(f"chunk-{i}", str(i)) for i in range(5)]
    assert result.stdout.count("NAME") == 1
    lists = re.findall(rf"GET https://\S+/api/v1/namespaces/{ns}/configmaps\?(\S+) 200 OK", result.stderr)
    assert len(lists) == 3, result.stderr
    assert lists[0] == "limit=2"
    assert all("continue=" in q and "limit=2" in q for q in lists[1:])

    # the same through -o json: kubectl merges the pages into one List
    listed = json.loads(kubectl("get", "configmaps", "-n", ns, "--chunk-size=2", "-o", "json").stdout)
    assert [i["metadata"]["name"] for i in listed["items"]] == [f"chunk-{i}" for i in range(5)]


def test_get_deployments_table_and_wide(kubectl, srv, ns):
    deployment(srv, ns, "web", replicas=2)
    merge_patch(srv, f"/apis/apps/v1/namespaces/{ns}/deployments/web/status", {"status": {
        "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1}})
    names, rows = parse_table(kubectl("get", "deploy", "-n", ns).stdout)
    assert names == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert [(r["NAME"], r["READY"], r["UP-TO-DATE"], r["AVAILABLE"]) for r in rows] == [("web", "1/2", "2", "1")]
    names, rows = parse_table(kubectl("get", "deployments.apps", "web", "-n", ns, "-o", "wide").stdout)
    assert names == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert {k: rows[0][k] for k in ("CONTAINERS", "IMAGES", "SELECTOR")} == {
        "CONTAINERS": "app", "IMAGES": "nginx:1.27", "SELECTOR": "app=web"}


def test_get_configmaps_namespaces_services(kubectl, srv, ns):
    configmap(srv, ns, "one", {"a": "1"})
    configmap(srv, ns, "three", {"a": "1", "b": "2", "c": "3"})
    names, rows = parse_table(kubectl("get", "cm", "-n", ns).stdout)
    assert names == ["NAME", "DATA", "AGE"]
    assert [(r["NAME"], r["DATA"]) for r in rows] == [("one", "1"), ("three", "3")]

    names, rows = parse_table(kubectl("get", "namespaces").stdout)
    assert names == ["NAME", "STATUS", "AGE"]
    table = by_name(rows)
    assert {"default", "kube-system", "kube-public", "kube-node-lease", ns} <= set(table)
    assert table[ns]["STATUS"] == "Active" and table["default"]["STATUS"] == "Active"

    base = f"/api/v1/namespaces/{ns}/services"
    api(srv, "POST", base, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                            "spec": {"selector": {"app": "web"}, "ports": [
                                {"name": "http", "port": 80, "targetPort": 8080},
                                {"name": "dns", "port": 53, "protocol": "UDP"}]}}, expect=(201,))
    api(srv, "POST", base, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless"},
                            "spec": {"clusterIP": "None", "selector": {"app": "db"},
                                     "ports": [{"port": 5432}]}}, expect=(201,))
    names, rows = parse_table(kubectl("get", "svc", "-n", ns, "-o", "wide").stdout)
    assert names == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    table = by_name(rows)
    assert {k: table["web"][k] for k in ("TYPE", "EXTERNAL-IP", "PORT(S)", "SELECTOR")} == {
        "TYPE": "ClusterIP", "EXTERNAL-IP": "<none>", "PORT(S)": "80/TCP,53/UDP", "SELECTOR": "app=web"}
    assert ipaddress.ip_address(table["web"]["CLUSTER-IP"]).version == 4
    assert {k: table["headless"][k] for k in ("TYPE", "CLUSTER-IP", "PORT(S)")} == {
        "TYPE": "ClusterIP", "CLUSTER-IP": "None", "PORT(S)": "5432/TCP"}


def test_get_not_found_and_bad_field_selector(kubectl, srv, ns):
    assert kubectl.fails("get", "cm", "nope", "-n", ns).strip() == \
        'Error from server (NotFound): configmaps "nope" not found'
    assert kubectl.fails("get", "deploy", "nope", "-n", ns).strip() == \
        'Error from server (NotFound): deployments.apps "nope" not found'

    err = kubectl.fails("get", "pods", "-n", ns, "--field-selector", "spec.foo=bar")
    assert err.strip() == ('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
                           'selector "", field selector "spec.foo=bar": field label not supported: spec.foo')
    code, _, body = srv.request("GET", f"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.foo%3Dbar")
    status = json.loads(body)
    assert (code, status["reason"], status["message"]) == (400, "BadRequest", "field label not supported: spec.foo")

    err = kubectl.fails("get", "configmaps", "-n", ns, "--field-selector", "data.x=y")
    assert err.strip() == ('Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match '
                           'label selector "", field selector "data.x=y": "data.x" is not a known field selector: '
                           'only "metadata.name", "metadata.namespace"')


# -- imperative create: kubectl 1.32 sends protobuf, 1.31 JSON


@pytest.mark.parametrize("version, content_type", [("1.32", "application/vnd.kubernetes.protobuf"),
                                                   ("1.31", "application/json")])
def test_create_imperative(kubectl, srv, version, content_type):
    binary = os.path.join(SDK_BIN, f"kubectl.{version}")
    if not os.access(binary, os.X_OK):
        pytest.skip(f"{binary} is not installed")
    name = f"imperative-{version.replace('.', '-')}"

    def create(*args):
        result = kubectl("-v=7", "create", *args, binary=binary)
        posts = re.findall(r"\] POST https://\S+\n(?:.*\n)*?.*Content-Type: (\S+)", result.stderr)
        assert posts == [content_type], result.stderr
        return result.stdout

    assert create("namespace", name) == f"namespace/{name} created\n"
    assert create("configmap", "settings", "-n", name, "--from-literal=mode=fast",
                  "--from-literal=level=3") == "configmap/settings created\n"
    assert create("secret", "generic", "creds", "-n", name, "--from-literal=user=admin",
                  "--from-literal=password=s3cr3t") == "secret/creds created\n"
    assert create("deployment", "web", "-n", name, "--image=nginx:1.27", "--replicas=2",
                  "--port=80") == "deployment.apps/web created\n"
    assert create("job", "once", "-n", name, "--image=busybox:1.36", "--", "echo", "hello") == \
        "job.batch/once created\n"

    namespace = api(srv, "GET", f"/api/v1/namespaces/{name}")
    assert namespace["status"] == {"phase": "Active"}
    assert namespace["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}
    cm = api(srv, "GET", f"/api/v1/namespaces/{name}/configmaps/settings")
    assert cm["data"] == {"mode": "fast", "level": "3"}
    secret = api(srv, "GET", f"/api/v1/namespaces/{name}/secrets/creds")
    assert secret["type"] == "Opaque"
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {"user": "admin",
                                                                                     "password": "s3cr3t"}
    deploy = api(srv, "GET", f"/apis/apps/v1/namespaces/{name}/deployments/web")
    assert deploy["spec"]["replicas"] == 2 and deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("nginx", "nginx:1.27")
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert deploy["metadata"]["generation"] == 1
    job = api(srv, "GET", f"/apis/batch/v1/namespaces/{name}/jobs/once")
    pod_spec = job["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Never"
    assert pod_spec["containers"][0]["command"] == ["echo", "hello"]
    assert pod_spec["containers"][0]["image"] == "busybox:1.36"

    # and read back through the same kubectl
    assert kubectl("get", "deploy,job,cm,secret", "-n", name, "-o", "name", binary=binary).stdout.split() == [
        "deployment.apps/web", "job.batch/once", "configmap/settings", "secret/creds"]


# -- replace, delete


def test_replace_f(kubectl, srv, ns):
    v1 = os.path.join(MANIFESTS, "replace", "configmap-v1.yaml")
    v2 = os.path.join(MANIFESTS, "replace", "configmap-v2.yaml")
    assert kubectl("create", "-f", v1, "-n", ns, "--validate=false").stdout == "configmap/replace-me created\n"
    before = api(srv, "GET", f"/api/v1/namespaces/{ns}/configmaps/replace-me")
    assert kubectl("replace", "-f", v2, "-n", ns, "--validate=false").stdout == "configmap/replace-me replaced\n"
    after = api(srv, "GET", f"/api/v1/namespaces/{ns}/configmaps/replace-me")
    assert after["data"] == {"mode": "slow", "added": "yes"}
    assert after["metadata"]["labels"] == {"version": "v2"}
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])

    d1 = os.path.join(MANIFESTS, "replace", "deployment-v1.yaml")
    d2 = os.path.join(MANIFESTS, "replace", "deployment-v2.yaml")
    kubectl("create", "-f", d1, "-n", ns, "--validate=false")
    assert kubectl("replace", "-f", d2, "-n", ns, "--validate=false").stdout == \
        "deployment.apps/replace-deploy replaced\n"
    deploy = api(srv, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments/replace-deploy")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert deploy["metadata"]["generation"] == 2

    missing = os.path.join(MANIFESTS, "replace", "configmap-missing.yaml")
    err = kubectl.fails("replace", "-f", missing, "-n", ns, "--validate=false")
    assert err.strip() == (f'Error from server (NotFound): error when replacing "{missing}": '
                           'configmaps "never-created" not found')


def test_delete(kubectl, srv, ns):
    configmap(srv, ns, "gone")
    deployment(srv, ns, "gone-deploy")
    assert kubectl("delete", "cm", "gone", "-n", ns).stdout == 'configmap "gone" deleted\n'
    assert not exists(srv, f"/api/v1/namespaces/{ns}/configmaps/gone")
    assert kubectl("delete", "deployment/gone-deploy", "-n", ns, "--wait").stdout == \
        'deployment.apps "gone-deploy" deleted\n'
    assert not exists(srv, f"/apis/apps/v1/namespaces/{ns}/deployments/gone-deploy")

    for i in range(3):
        configmap(srv, ns, f"bulk-{i}", labels={"bulk": "yes"})
    configmap(srv, ns, "keep")
    result = kubectl("delete", "cm", "-n", ns, "-l", "bulk=yes")
    assert result.stdout.splitlines() == [f'configmap "bulk-{i}" deleted' for i in range(3)]
    assert kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split() == ["configmap/keep"]

    path = os.path.join(MANIFESTS, "kinds", "configmap.yaml")
    kubectl("create", "-f", path, "-n", ns, "--validate=false")
    assert kubectl("delete", "-f", path, "-n", ns).stdout == 'configmap "e2e-configmap" deleted\n'

    assert kubectl.fails("delete", "cm", "nope", "-n", ns).strip() == \
        'Error from server (NotFound): configmaps "nope" not found'


def test_delete_waits_for_finalizers(kubectl, srv, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    configmap(srv, ns, "held", finalizers=["example.com/hold"])
    configmap(srv, ns, "held-nowait", finalizers=["example.com/hold"])

    # --wait=false: the object stays, marked for deletion
    assert kubectl("delete", "cm", "held-nowait", "-n", ns, "--wait=false").stdout == \
        'configmap "held-nowait" deleted\n'
    obj = api(srv, "GET", f"{path}/held-nowait")
    assert obj["metadata"]["deletionTimestamp"] and obj["metadata"]["finalizers"] == ["example.com/hold"]
    merge_patch(srv, f"{path}/held-nowait", {"metadata": {"finalizers": None}})
    assert not exists(srv, f"{path}/held-nowait")

    # --wait (the default): kubectl watches until another client removes the finalizer
    releaser = Later(1.5, lambda: merge_patch(srv, f"{path}/held", {"metadata": {"finalizers": None}}))
    start = time.monotonic()
    releaser.start()
    try:
        result = kubectl("delete", "cm", "held", "-n", ns, "--timeout=30s")
    finally:
        releaser.join()
    assert result.stdout == 'configmap "held" deleted\n'
    assert time.monotonic() - start >= 1.4
    assert not exists(srv, f"{path}/held")


# -- watch


def test_get_watch(kubectl, srv, ns):
    configmap(srv, ns, "before", {"a": "1"})
    reader = LineReader(kubectl.popen("get", "cm", "-n", ns, "-w"))
    try:
        assert reader.next().split() == ["NAME", "DATA", "AGE"]
        assert reader.next().split()[:2] == ["before", "1"]
        configmap(srv, ns, "w1")
        assert reader.next().split()[:2] == ["w1", "0"]
        merge_patch(srv, f"/api/v1/namespaces/{ns}/configmaps/w1", {"data": {"k": "v", "l": "w"}})
        assert reader.next().split()[:2] == ["w1", "2"]
        api(srv, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/w1")
        assert reader.next().split()[:2] == ["w1", "2"]
        assert reader.proc.poll() is None, "kubectl get -w ended on its own"
    finally:
        err = reader.stop()
    assert "error" not in err.lower(), err


def test_get_watch_output_watch_events(kubectl, srv, ns):
    configmap(srv, ns, "before")
    reader = LineReader(kubectl.popen("get", "configmaps", "-n", ns, "--watch", "--output-watch-events"))
    try:
        assert reader.next().split() == ["EVENT", "NAME", "DATA", "AGE"]
        assert reader.next().split()[:3] == ["ADDED", "before", "0"]
        configmap(srv, ns, "w2", {"a": "1"})
        assert reader.next().split()[:3] == ["ADDED", "w2", "1"]
        merge_patch(srv, f"/api/v1/namespaces/{ns}/configmaps/w2", {"metadata": {"labels": {"x": "y"}}})
        assert reader.next().split()[:3] == ["MODIFIED", "w2", "1"]
        api(srv, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/w2")
        assert reader.next().split()[:3] == ["DELETED", "w2", "1"]
    finally:
        err = reader.stop()
    assert "error" not in err.lower(), err


def test_get_watch_one_object_json(kubectl, srv, ns):
    configmap(srv, ns, "solo", {"n": "0"})
    configmap(srv, ns, "other")
    reader = LineReader(kubectl.popen("get", "cm", "solo", "-n", ns, "-w", "-o", "jsonpath={.data.n}{\"\\n\"}"))
    try:
        assert reader.next() == "0"
        merge_patch(srv, f"/api/v1/namespaces/{ns}/configmaps/other", {"data": {"n": "x"}})  # not watched
        merge_patch(srv, f"/api/v1/namespaces/{ns}/configmaps/solo", {"data": {"n": "1"}})
        assert reader.next() == "1"
    finally:
        reader.stop()


# -- wait


def test_wait_for_condition_available(kubectl, srv, ns):
    deployment(srv, ns, "ready-soon")
    status_path = f"/apis/apps/v1/namespaces/{ns}/deployments/ready-soon/status"
    merge_patch(srv, status_path, {"status": {"conditions": [
        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}]}})
    proc = kubectl.popen("wait", "--for=condition=Available", "deploy/ready-soon", "-n", ns, "--timeout=30s")
    try:
        time.sleep(1.0)  # let kubectl find the condition unmet and start watching
        assert proc.poll() is None, proc.communicate()
        current = api(srv, "GET", status_path)
        current["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1, "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability."}]}
        api(srv, "PUT", status_path, current)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == "deployment.apps/ready-soon condition met\n"

    # already met: returns at once; never met: times out with kubectl's message
    assert kubectl("wait", "--for=condition=Available=True", "deployment/ready-soon", "-n", ns,
                   "--timeout=10s").stdout == "deployment.apps/ready-soon condition met\n"
    start = time.monotonic()
    err = kubectl.fails("wait", "--for=condition=Progressing", "deploy/ready-soon", "-n", ns, "--timeout=1s")
    assert err.strip() == "error: timed out waiting for the condition on deployments/ready-soon"
    assert time.monotonic() - start < 10
    assert kubectl("wait", "--for=jsonpath={.status.readyReplicas}=1", "deploy/ready-soon", "-n", ns,
                   "--timeout=10s").stdout == "deployment.apps/ready-soon condition met\n"


def test_wait_for_delete(kubectl, srv, ns):
    configmap(srv, ns, "doomed")

    remover = Later(1.0, lambda: api(srv, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/doomed"))
    start = time.monotonic()
    remover.start()
    try:
        result = kubectl("wait", "--for=delete", "configmap/doomed", "-n", ns, "--timeout=30s")
    finally:
        remover.join()
    assert result.stdout == "configmap/doomed condition met\n"
    assert time.monotonic() - start >= 0.9


# -- label, annotate, scale


def test_label_and_annotate(kubectl, srv, ns):
    configmap(srv, ns, "tagged")
    path = f"/api/v1/namespaces/{ns}/configmaps/tagged"

    def meta():
        return api(srv, "GET", path)["metadata"]

    assert kubectl("label", "cm", "tagged", "-n", ns, "env=prod", "team=a").stdout == "configmap/tagged labeled\n"
    assert meta()["labels"] == {"env": "prod", "team": "a"}
    err = kubectl.fails("label", "cm", "tagged", "-n", ns, "env=dev")
    assert err.strip() == "error: 'env' already has a value (prod), and --overwrite is false"
    assert kubectl("label", "cm", "tagged", "-n", ns, "env=dev", "--overwrite").stdout == \
        "configmap/tagged labeled\n"
    assert meta()["labels"] == {"env": "dev", "team": "a"}
    assert kubectl("label", "cm", "tagged", "-n", ns, "env-").stdout == "configmap/tagged unlabeled\n"
    assert meta()["labels"] == {"team": "a"}

    assert kubectl("annotate", "cm", "tagged", "-n", ns, "note=first",
                   "example.com/owner=me").stdout == "configmap/tagged annotated\n"
    assert meta()["annotations"] == {"note": "first", "example.com/owner": "me"}
    err = kubectl.fails("annotate", "cm", "tagged", "-n", ns, "note=second")
    assert err.strip() == "error: --overwrite is false but found the following declared annotation(s): " \
                          "'note' already has a value (first)"
    assert kubectl("annotate", "cm", "tagged", "-n", ns, "note=second", "--overwrite").stdout == \
        "configmap/tagged annotated\n"
    assert meta()["annotations"] == {"note": "second", "example.com/owner": "me"}
    assert kubectl("annotate", "cm", "tagged", "-n", ns, "note-").stdout == "configmap/tagged annotated\n"
    assert meta()["annotations"] == {"example.com/owner": "me"}

    # a namespaced object of another group, and several at once by selector
    deployment(srv, ns, "lbl")
    assert kubectl("label", "deploy/lbl", "-n", ns, "tier=web").stdout == "deployment.apps/lbl labeled\n"
    deploy = api(srv, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments/lbl")
    assert deploy["metadata"]["labels"] == {"app": "lbl", "tier": "web"}
    assert deploy["metadata"]["generation"] == 1  # metadata changes do not bump the generation
    configmap(srv, ns, "more", labels={"team": "a"})
    result = kubectl("label", "cm", "-n", ns, "-l", "team=a", "reviewed=yes")
    assert sorted(result.stdout.splitlines()) == ["configmap/more labeled", "configmap/tagged labeled"]


@pytest.mark.parametrize("manifest, resource, shown", [
    ("deployment.yaml", "deploy/e2e-deployment", "deployment.apps/e2e-deployment"),
    ("replicaset.yaml", "rs/e2e-replicaset", "replicaset.apps/e2e-replicaset"),
    ("statefulset.yaml", "statefulset/e2e-statefulset", "statefulset.apps/e2e-statefulset"),
    ("replicationcontroller.yaml", "rc/e2e-replicationcontroller", "replicationcontroller/e2e-replicationcontroller"),
])
def test_scale(kubectl, ns, manifest, resource, shown):
    kubectl("create", "-f", os.path.join(MANIFESTS, "kinds", manifest), "-n", ns, "--validate=false")
    assert kubectl("scale", resource, "-n", ns, "--replicas=3").stdout == f"{shown} scaled\n"
    assert kubectl("get", resource, "-n", ns, "-o", "jsonpath={.spec.replicas} {.metadata.generation}").stdout \
        == "3 2"
    err = kubectl.fails("scale", resource, "-n", ns, "--current-replicas=5", "--replicas=1")
    assert err.strip() == "error: Expected replicas to be 5, was 3"
    assert kubectl("get", resource, "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout == "3"


# -- describe


def test_describe(kubectl, srv, pods):
    ns = pods
    configmap(srv, ns, "described", {"greeting": "hello"})
    deployment(srv, ns, "described", replicas=2)

    def describe(*args):
        result = kubectl("describe", *args, "-n", ns)
        assert result.stderr == ""
        return result.stdout

    out = describe("pod", "p1")
    assert re.search(r"^Name:\s+p1$", out, re.M) and re.search(rf"^Namespace:\s+{ns}$", out, re.M)
    assert re.search(r"^Node:\s+node-1/192\.168\.0\.10$", out, re.M)
    assert re.search(r"^Status:\s+Running$", out, re.M) and re.search(r"^IP:\s+10\.1\.2\.3$", out, re.M)
    assert re.search(r"^\s+Image:\s+nginx:1\.27$", out, re.M)

    out = describe("deployment", "described")
    assert re.search(r"^Name:\s+described$", out, re.M)
    assert re.search(r"^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$", out, re.M)
    assert re.search(r"^StrategyType:\s+RollingUpdate$", out, re.M)

    out = describe("configmap", "described")
    assert re.search(r"^Name:\s+described$", out, re.M)
    assert "Data\n====\ngreeting:\n----\nhello\n" in out

    out = kubectl("describe", "namespace", ns).stdout
    assert re.search(rf"^Name:\s+{ns}$", out, re.M) and re.search(r"^Status:\s+Active$", out, re.M)
    assert re.search(rf"^Labels:\s+kubernetes\.io/metadata\.name={ns}$", out, re.M)

    # describe by label selector prints every match
    out = describe("pods", "-l", "app in (web,db)")
    assert re.findall(r"^Name:\s+(\S+)$", out, re.M) == ["p1", "p2"]
