"""PodSecurity admission against the real server: pods refused with upstream's exact words at the namespace's
enforce level, warnings at its warn level, audit annotations at its audit level, pod templates warned about but
never refused, namespace labels validated, and the pods already in a namespace reported when its enforce level
tightens. Expected texts are kube-apiserver 1.32's (k8s.io/pod-security-admission policy/check_*.go and
admission/admission.go).

One server serves the module (no control loops; each test works in namespaces of its own); a second one records
the audit annotations the plugin leaves on each write, and a third runs with the plugin disabled.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import subprocess
from typing import List, Optional

import pytest
from support import ServerThread

KUBECTL = shutil.which("kubectl")
PREFIX = "pod-security.kubernetes.io/"
MERGE = {"Content-Type": "application/merge-patch+json"}

# The four reasons a pod without any securityContext breaks at restricted, for container "c".
PLAIN_RESTRICTED = (
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
    'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
    '"Localhost")')
PLAIN_REASONS = "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"

_names = itertools.count()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("podsecurity") / "data", "--controllers=none",
                          "--disable-admission-plugins=ServiceAccount").start()
    yield server
    server.stop()


# -- helpers

def namespace(srv: ServerThread, labels: Optional[dict] = None, prefix: str = "ps") -> str:
    name = f"{prefix}-{next(_names)}"
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}
    code, _, out = srv.request("POST", "/api/v1/namespaces", body)
    assert code == 201, out
    return name


def levels(enforce: str = "", warn: str = "", audit: str = "", **versions: str) -> dict:
    labels = {PREFIX + mode: level for mode, level in (("enforce", enforce), ("warn", warn), ("audit", audit))
              if level}
    labels.update({PREFIX + mode.replace("_", "-"): v for mode, v in versions.items()})
    return labels


def pod(name: str = "p", spec: Optional[dict] = None, **metadata) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": dict(metadata, name=name),
            "spec": spec if spec is not None else {"containers": [{"name": "c", "image": "busybox"}]}}


def restricted_spec() -> dict:
    """A pod that passes restricted."""
    return {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "busybox", "securityContext": {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}


def create(srv: ServerThread, ns: str, obj: dict, plural: str = "pods", group: str = ""):
    """POST; returns (code, body, warnings)."""
    base = f"/apis/{group}/v1" if group else "/api/v1"
    code, headers, out = srv.request("POST", f"{base}/namespaces/{ns}/{plural}", obj)
    return code, json.loads(out), warnings(headers)


def warnings(headers) -> List[str]:
    found = []
    for value in headers.get_all("Warning") or []:
        assert value.startswith("299 - "), value
        found.append(json.loads(value[len("299 - "):]))
    return found


def label(srv: ServerThread, ns: str, labels: dict):
    code, headers, out = srv.request("PATCH", f"/api/v1/namespaces/{ns}", {"metadata": {"labels": labels}},
                                     headers=MERGE)
    return code, json.loads(out), warnings(headers)


def refused(srv: ServerThread, ns: str, obj: dict, policy: str, detail: str):
    code, out, warned = create(srv, ns, obj)
    assert code == 403, out
    assert out["reason"] == "Forbidden"
    name = obj["metadata"]["name"]
    assert out["message"] == f'pods "{name}" is forbidden: violates PodSecurity "{policy}": {detail}'
    assert out["details"] == {"name": name, "kind": "pods"}
    assert warned == []


def with_changes(spec: dict, change) -> dict:
    spec = copy.deepcopy(spec)
    change(spec)
    return spec


def c0(spec: dict) -> dict:
    return spec["containers"][0]


def sc(obj: dict) -> dict:
    return obj.setdefault("securityContext", {})


# -- baseline: a pod with no securityContext, changed one way at a time

BASELINE_CASES = [
    ("plain", lambda s: None, None),
    ("host-network", lambda s: s.update(hostNetwork=True), "host namespaces (hostNetwork=true)"),
    ("host-pid-ipc", lambda s: s.update(hostPID=True, hostIPC=True), "host namespaces (hostPID=true, hostIPC=true)"),
    ("privileged", lambda s: sc(c0(s)).update(privileged=True),
     'privileged (container "c" must not set securityContext.privileged=true)'),
    ("not-privileged", lambda s: sc(c0(s)).update(privileged=False), None),
    ("capabilities", lambda s: sc(c0(s)).update(capabilities={"add": ["SYS_TIME", "NET_ADMIN", "CHOWN"]}),
     'non-default capabilities (container "c" must not include "NET_ADMIN", "SYS_TIME" in '
     'securityContext.capabilities.add)'),
    ("default-capabilities", lambda s: sc(c0(s)).update(capabilities={"add": ["CHOWN", "NET_BIND_SERVICE"]}), None),
    ("host-path", lambda s: s.update(volumes=[{"name": "host", "hostPath": {"path": "/etc"}},
                                             {"name": "scratch", "emptyDir": {}}]),
     'hostPath volumes (volume "host")'),
    ("host-ports", lambda s: c0(s).update(ports=[{"containerPort": 80, "hostPort": 8080},
                                                 {"containerPort": 81, "hostPort": 80}]),
     'hostPort (container "c" uses hostPorts 80, 8080)'),
    ("apparmor", lambda s: sc(c0(s)).update(appArmorProfile={"type": "Unconfined"}),
     'forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")'),
    ("apparmor-runtime-default", lambda s: sc(s).update(appArmorProfile={"type": "RuntimeDefault"}), None),
    ("selinux", lambda s: sc(s).update(seLinuxOptions={"type": "spc_t", "user": "system_u"}),
     'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'),
    ("selinux-allowed", lambda s: sc(c0(s)).update(seLinuxOptions={"type": "container_engine_t", "level": "s0"}),
     None),
    ("proc-mount", lambda s: (s.update(hostUsers=False), sc(c0(s)).update(procMount="Unmasked")),
     'procMount (container "c" must not set securityContext.procMount to "Unmasked")'),
    ("seccomp", lambda s: sc(s).update(seccompProfile={"type": "Unconfined"}),
     'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'),
    ("seccomp-unset", lambda s: None, None),
    ("sysctls", lambda s: sc(s).update(sysctls=[{"name": "kernel.msgmax", "value": "1"},
                                                {"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}]),
     "forbidden sysctls (kernel.msgmax)"),
    ("host-process", lambda s: (s.update(hostNetwork=True),
                                sc(s).update(windowsOptions={"hostProcess": True}),
                                sc(c0(s)).update(windowsOptions={"hostProcess": True})),
     "host namespaces (hostNetwork=true), hostProcess (pod and container \"c\" must not set "
     "securityContext.windowsOptions.hostProcess=true)"),
    ("many", lambda s: (s.update(hostNetwork=True), sc(c0(s)).update(privileged=True),
                        s.update(initContainers=[{"name": "init", "image": "busybox",
                                                  "securityContext": {"privileged": True}}])),
     'host namespaces (hostNetwork=true), privileged (containers "init", "c" must not set '
     "securityContext.privileged=true)"),
]


@pytest.fixture(scope="module")
def baseline_ns(srv):
    return namespace(srv, levels(enforce="baseline"), prefix="baseline")


@pytest.mark.parametrize("case,change,detail", BASELINE_CASES, ids=[c[0] for c in BASELINE_CASES])
def test_baseline_matrix(srv, baseline_ns, case, change, detail):
    obj = pod(case, with_changes(pod()["spec"], change))
    if detail is None:
        code, out, warned = create(srv, baseline_ns, obj)
        assert code == 201, out
        assert warned == []   # warn follows the enforce level when it is not set
    else:
        refused(srv, baseline_ns, obj, "baseline:latest", detail)


# -- restricted: a pod that passes, broken one way at a time

RESTRICTED_CASES = [
    ("compliant", lambda s: None, None),
    ("plain", lambda s: s.clear() or s.update(pod()["spec"]), PLAIN_RESTRICTED),
    ("escalation", lambda s: sc(c0(s)).update(allowPrivilegeEscalation=True),
     'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)'),
    ("net-bind-service", lambda s: sc(c0(s))["capabilities"].update(add=["NET_BIND_SERVICE"]), None),
    ("chown", lambda s: sc(c0(s))["capabilities"].update(add=["CHOWN", "SYS_ADMIN"]),
     'unrestricted capabilities (container "c" must not include "CHOWN", "SYS_ADMIN" in '
     "securityContext.capabilities.add)"),
    ("no-drop-all", lambda s: sc(c0(s)).update(capabilities={"drop": ["NET_RAW"], "add": ["SYS_TIME"]}),
     'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" '
     'must not include "SYS_TIME" in securityContext.capabilities.add)'),
    ("run-as-root", lambda s: sc(c0(s)).update(runAsNonRoot=False),
     'runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)'),
    ("non-root-on-container", lambda s: (sc(s).pop("runAsNonRoot"), sc(c0(s)).update(runAsNonRoot=True)), None),
    ("uid-0", lambda s: sc(s).update(runAsUser=0),
     "runAsUser=0 (pod must not set runAsUser=0)"),
    ("uid-1000", lambda s: sc(s).update(runAsUser=1000), None),
    ("seccomp-missing", lambda s: sc(s).pop("seccompProfile"),
     'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
     '"Localhost")'),
    ("seccomp-on-container", lambda s: (sc(s).pop("seccompProfile"),
                                        sc(c0(s)).update(seccompProfile={"type": "Localhost",
                                                                         "localhostProfile": "p.json"})), None),
    ("seccomp-unconfined", lambda s: sc(c0(s)).update(seccompProfile={"type": "Unconfined"}),
     'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")'),
    ("host-path", lambda s: s.update(volumes=[{"name": "host", "hostPath": {"path": "/etc"}}]),
     'restricted volume types (volume "host" uses restricted volume type "hostPath")'),
    ("volumes", lambda s: s.update(volumes=[
        {"name": "a", "nfs": {"server": "nfs.example", "path": "/"}},
        {"name": "ok", "configMap": {"name": "cm"}},
        {"name": "b", "gitRepo": {"repository": "https://example.com/r.git"}},
        {"name": "c", "nfs": {"server": "nfs.example", "path": "/x"}},
        {"name": "pvc", "persistentVolumeClaim": {"claimName": "data"}}]),
     'restricted volume types (volumes "a", "b", "c" use restricted volume types "gitRepo", "nfs")'),
    ("containers", lambda s: (s.update(securityContext={}), s.update(
        initContainers=[{"name": "i", "image": "busybox"}],
        containers=[{"name": "c1", "image": "busybox"}, {"name": "c2", "image": "busybox"}])),
     'allowPrivilegeEscalation != false (containers "i", "c1", "c2" must set '
     'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "i", "c1", "c2" must '
     'set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or containers "i", "c1", "c2" must '
     'set securityContext.runAsNonRoot=true), seccompProfile (pod or containers "i", "c1", "c2" must set '
     'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'),
    ("baseline-too", lambda s: (s.update(hostNetwork=True), sc(c0(s)).update(privileged=True,
                                                                             allowPrivilegeEscalation=True)),
     'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), '
     'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)'),
    ("windows", lambda s: s.clear() or s.update(os={"name": "windows"}, containers=[{"name": "c", "image": "i"}]),
     'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)'),
]


@pytest.fixture(scope="module")
def restricted_ns(srv):
    return namespace(srv, levels(enforce="restricted"), prefix="restricted")


@pytest.mark.parametrize("case,change,detail", RESTRICTED_CASES, ids=[c[0] for c in RESTRICTED_CASES])
def test_restricted_matrix(srv, restricted_ns, case, change, detail):
    obj = pod(case, with_changes(restricted_spec(), change))
    if detail is None:
        code, out, warned = create(srv, restricted_ns, obj)
        assert code == 201, out
        assert warned == []
    else:
        refused(srv, restricted_ns, obj, "restricted:latest", detail)


def test_generated_name_is_in_the_message(srv, restricted_ns):
    obj = pod()
    obj["metadata"] = {"generateName": "gen-"}
    code, out, _ = create(srv, restricted_ns, obj)
    assert code == 403
    name = out["details"]["name"]
    assert name.startswith("gen-") and len(name) > len("gen-")
    assert out["message"] == f'pods "{name}" is forbidden: violates PodSecurity "restricted:latest": {PLAIN_RESTRICTED}'


def test_dry_run_is_refused_too(srv, restricted_ns):
    code, _, out = srv.request("POST", f"/api/v1/namespaces/{restricted_ns}/pods?dryRun=All", pod("dry"))
    assert code == 403
    assert json.loads(out)["message"].endswith(PLAIN_RESTRICTED)


# -- versions

def test_enforce_version_picks_the_checks_of_that_release(srv):
    # runAsUser=0 is checked from v1.23 on
    old = namespace(srv, levels(enforce="restricted", enforce_version="v1.22"))
    spec = with_changes(restricted_spec(), lambda s: sc(s).update(runAsUser=0))
    code, out, warned = create(srv, old, pod("root", spec))
    assert code == 201, out
    assert warned == []   # warn follows enforce: restricted:v1.22
    new = namespace(srv, levels(enforce="restricted", enforce_version="v1.23"))
    refused(srv, new, pod("root", spec), "restricted:v1.23", "runAsUser=0 (pod must not set runAsUser=0)")

    # net.ipv4.tcp_rmem is allowed from v1.32 on
    sysctl = with_changes(pod()["spec"], lambda s: sc(s).update(sysctls=[{"name": "net.ipv4.tcp_rmem",
                                                                          "value": "4096 87380 6291456"}]))
    v131 = namespace(srv, levels(enforce="baseline", enforce_version="v1.31"))
    refused(srv, v131, pod("tcp", sysctl), "baseline:v1.31", "forbidden sysctls (net.ipv4.tcp_rmem)")
    for version in ("v1.32", "v1.40", "latest"):
        ns = namespace(srv, levels(enforce="baseline", enforce_version=version))
        assert create(srv, ns, pod("tcp", sysctl))[0] == 201

    # before v1.25 a windows pod still has to set what it cannot set
    windows = {"os": {"name": "windows"}, "containers": [{"name": "c", "image": "i"}]}
    v124 = namespace(srv, levels(enforce="restricted", enforce_version="v1.24"))
    refused(srv, v124, pod("win", windows), "restricted:v1.24", PLAIN_RESTRICTED)

    # before v1.19 seccomp was checked in annotations
    v118 = namespace(srv, levels(enforce="restricted", enforce_version="v1.18"))
    # (API validation refuses an annotation that contradicts the field, so the pod sets only the annotation)
    annotated = pod("ann", with_changes(restricted_spec(), lambda s: sc(s).pop("seccompProfile")), annotations={
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined"})
    refused(srv, v118, annotated, "restricted:v1.18", 'seccompProfile (forbidden annotation '
            'seccomp.security.alpha.kubernetes.io/pod="unconfined")')


# -- warn

def test_warn_level_warns_and_allows(srv):
    ns = namespace(srv, levels(warn="restricted"))
    code, out, warned = create(srv, ns, pod())
    assert code == 201, out
    assert warned == [f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}']
    code, _, warned = create(srv, ns, pod("ok", restricted_spec()))
    assert code == 201 and warned == []


def test_warn_with_enforce_warns_only_when_enforce_allows(srv):
    ns = namespace(srv, levels(enforce="baseline", warn="restricted", warn_version="v1.30"))
    code, _, warned = create(srv, ns, pod())
    assert code == 201
    assert warned == [f'would violate PodSecurity "restricted:v1.30": {PLAIN_RESTRICTED}']
    # refused by enforce: no warning
    refused(srv, ns, pod("net", {"hostNetwork": True, "containers": [{"name": "c", "image": "busybox"}]}),
            "baseline:latest", "host namespaces (hostNetwork=true)")


def test_enforce_sets_warn_when_warn_is_looser(srv):
    # the enforce version goes with it
    ns = namespace(srv, levels(enforce="restricted", enforce_version="v1.28"))
    code, _, warned = create(srv, ns, {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                                       "template": {"spec": pod()["spec"]}}, "podtemplates")
    assert code == 201
    assert warned == [f'would violate PodSecurity "restricted:v1.28": {PLAIN_RESTRICTED}']
    # an explicit warn label wins, even a looser one
    ns = namespace(srv, levels(enforce="restricted", warn="privileged"))
    code, _, warned = create(srv, ns, {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                                       "template": {"spec": pod()["spec"]}}, "podtemplates")
    assert code == 201 and warned == []


# -- workloads: warn and audit, never enforce

def _template(spec: Optional[dict] = None) -> dict:
    return {"metadata": {"labels": {"app": "a"}},
            "spec": spec if spec is not None else {"containers": [{"name": "c", "image": "busybox"}]}}


def workloads(spec: Optional[dict] = None):
    selector = {"matchLabels": {"app": "a"}}
    job_spec = {"template": dict(_template(spec), spec=dict(_template(spec)["spec"], restartPolicy="Never"))}
    return [
        ("apps", "deployments", "Deployment", {"selector": selector, "template": _template(spec)}),
        ("apps", "replicasets", "ReplicaSet", {"selector": selector, "template": _template(spec)}),
        ("apps", "statefulsets", "StatefulSet", {"selector": selector, "serviceName": "s",
                                                 "template": _template(spec)}),
        ("apps", "daemonsets", "DaemonSet", {"selector": selector, "template": _template(spec)}),
        ("batch", "jobs", "Job", job_spec),
        ("batch", "cronjobs", "CronJob", {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job_spec}}),
        ("", "replicationcontrollers", "ReplicationController", {"selector": {"app": "a"},
                                                                 "template": _template(spec)}),
    ]


def test_workloads_get_warnings_not_refusals(srv, restricted_ns):
    for group, plural, kind, spec in workloads():
        obj = {"apiVersion": f"{group}/v1" if group else "v1", "kind": kind, "metadata": {"name": "w"}, "spec": spec}
        code, out, warned = create(srv, restricted_ns, obj, plural, group)
        assert code == 201, (plural, out)
        assert warned == [f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}'], plural
    template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "w"}, "template": _template()}
    code, out, warned = create(srv, restricted_ns, template, "podtemplates")
    assert code == 201, out
    assert warned == [f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}']


def test_compliant_workloads_and_other_resources_are_quiet(srv, restricted_ns):
    for group, plural, kind, spec in workloads(restricted_spec()):
        obj = {"apiVersion": f"{group}/v1" if group else "v1", "kind": kind, "metadata": {"name": "ok"},
               "spec": spec}
        code, out, warned = create(srv, restricted_ns, obj, plural, group)
        assert code == 201, (plural, out)
        assert warned == [], plural
    code, _, warned = create(srv, restricted_ns, {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "cm"}}, "configmaps")
    assert code == 201 and warned == []


def test_workload_updates_are_checked_again(srv, restricted_ns):
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "updated"},
           "spec": workloads()[0][3]}
    assert create(srv, restricted_ns, dep, "deployments", "apps")[0] == 201
    code, headers, out = srv.request("PATCH", f"/apis/apps/v1/namespaces/{restricted_ns}/deployments/updated",
                                     {"metadata": {"labels": {"x": "y"}}}, headers=MERGE)
    assert code == 200, out
    assert warnings(headers) == [f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}']
    # deployments/status is a subresource: not checked
    code, headers, out = srv.request("PATCH", f"/apis/apps/v1/namespaces/{restricted_ns}/deployments/updated/status",
                                     {"status": {"replicas": 0}}, headers=MERGE)
    assert code == 200, out
    assert warnings(headers) == []


# -- the default: no labels, privileged

def test_no_labels_allow_everything(srv):
    ns = namespace(srv)
    spec = {"hostNetwork": True, "hostPID": True, "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
            "containers": [{"name": "c", "image": "busybox", "securityContext": {
                "privileged": True, "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}}}]}
    code, out, warned = create(srv, ns, pod("root", spec))
    assert code == 201, out
    assert warned == []
    code, out, warned = create(srv, ns, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                                         "spec": workloads(spec)[0][3]}, "deployments", "apps")
    assert code == 201 and warned == []


def test_kube_system_is_not_special(srv):
    code, _, warned = label(srv, "kube-system", levels(enforce="restricted"))
    assert code == 200
    try:
        refused(srv, "kube-system", pod("sys"), "restricted:latest", PLAIN_RESTRICTED)
    finally:
        label(srv, "kube-system", {PREFIX + "enforce": None})


# -- pod updates

def test_only_significant_pod_updates_are_checked(srv):
    ns = namespace(srv)
    assert create(srv, ns, pod("old"))[0] == 201
    code, _, warned = label(srv, ns, levels(enforce="restricted"))
    assert code == 200
    path = f"/api/v1/namespaces/{ns}/pods/old"
    # metadata only: allowed, no warning
    code, headers, out = srv.request("PATCH", path, {"metadata": {"labels": {"a": "b"}}}, headers=MERGE)
    assert code == 200, out
    assert warnings(headers) == []
    # status: never checked
    code, headers, out = srv.request("PATCH", path + "/status", {"status": {"phase": "Running"}}, headers=MERGE)
    assert code == 200, out
    # a new image: checked against the enforce level
    code, headers, out = srv.request("PATCH", path, {"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}},
                                     headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 403, out
    assert json.loads(out)["message"] == (f'pods "old" is forbidden: violates PodSecurity "restricted:latest": '
                                          f"{PLAIN_RESTRICTED}")


# -- namespaces

def test_invalid_labels_are_refused_on_create(srv):
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bad-labels", "labels": {
        PREFIX + "enforce": "strict", PREFIX + "enforce-version": "1.25", PREFIX + "audit": "Baseline",
        PREFIX + "audit-version": "v1.025", PREFIX + "warn": "", PREFIX + "warn-version": "v2.0"}}}
    code, _, out = srv.request("POST", "/api/v1/namespaces", body)
    assert code == 422, out
    status = json.loads(out)
    levels_msg = "must be one of privileged, baseline, restricted"
    version_msg = 'must be "latest" or "v1.x"'
    expected = [
        ("enforce", "strict", levels_msg), ("enforce-version", "1.25", version_msg),
        ("audit", "Baseline", levels_msg), ("audit-version", "v1.025", version_msg),
        ("warn", "", levels_msg), ("warn-version", "v2.0", version_msg)]
    assert status["reason"] == "Invalid"
    assert status["details"] == {"name": "bad-labels", "kind": "Namespace", "causes": [
        {"reason": "FieldValueInvalid", "message": f'Invalid value: "{value}": {msg}',
         "field": f"metadata.labels[{PREFIX}{key}]"} for key, value, msg in expected]}
    assert status["message"] == 'Namespace "bad-labels" is invalid: [' + ", ".join(
        f'metadata.labels[{PREFIX}{key}]: Invalid value: "{value}": {msg}' for key, value, msg in expected) + "]"
    assert srv.request("GET", "/api/v1/namespaces/bad-labels")[0] == 404


def test_invalid_labels_are_refused_on_update(srv):
    ns = namespace(srv)
    code, out, _ = label(srv, ns, {PREFIX + "enforce": "Restricted"})
    assert code == 422
    assert out["message"] == (f'Namespace "{ns}" is invalid: metadata.labels[{PREFIX}enforce]: Invalid value: '
                              '"Restricted": must be one of privileged, baseline, restricted')
    code, out, _ = label(srv, ns, {PREFIX + "warn-version": "v1.x"})
    assert code == 422
    assert out["message"] == (f'Namespace "{ns}" is invalid: metadata.labels[{PREFIX}warn-version]: Invalid value: '
                              '"v1.x": must be "latest" or "v1.x"')
    for good in ({PREFIX + "warn-version": "v1.0"}, {PREFIX + "audit-version": "v1.99"},
                 {PREFIX + "enforce": "privileged", PREFIX + "enforce-version": "latest"}):
        assert label(srv, ns, good)[0] == 200


def test_tightening_enforce_warns_about_existing_pods(srv):
    ns = namespace(srv)
    for name in ("b-plain", "a-plain", "c-plain"):
        assert create(srv, ns, pod(name))[0] == 201
    net = {"hostNetwork": True, "containers": [{"name": "c", "image": "busybox"}]}
    assert create(srv, ns, pod("host", net))[0] == 201
    assert create(srv, ns, pod("good", restricted_spec()))[0] == 201

    code, _, warned = label(srv, ns, levels(enforce="baseline"))
    assert code == 200
    assert warned == [f'existing pods in namespace "{ns}" violate the new PodSecurity enforce level '
                      '"baseline:latest"',
                      "host: host namespaces"]
    code, _, warned = label(srv, ns, levels(enforce="restricted"))
    assert code == 200
    assert warned == [f'existing pods in namespace "{ns}" violate the new PodSecurity enforce level '
                      '"restricted:latest"',
                      f"a-plain (and 2 other pods): {PLAIN_REASONS}",
                      f"host: host namespaces, {PLAIN_REASONS}"]
    # the same level again, or a looser one: nothing to say
    assert label(srv, ns, {"other": "label"})[2] == []
    assert label(srv, ns, levels(enforce="baseline"))[2] == []
    # a new version of the same level is checked
    code, _, warned = label(srv, ns, levels(enforce="baseline", enforce_version="v1.0"))
    assert warned[-1] == "host: host namespaces"
    assert label(srv, ns, levels(enforce="privileged"))[2] == []


def test_tightening_warns_with_dry_run_and_kubectl_label(srv, tmp_path):
    ns = namespace(srv)
    assert create(srv, ns, pod("only"))[0] == 201
    code, headers, out = srv.request("PATCH", f"/api/v1/namespaces/{ns}?dryRun=All",
                                     {"metadata": {"labels": levels(enforce="restricted")}}, headers=MERGE)
    assert code == 200
    assert warnings(headers)[1] == f"only: {PLAIN_REASONS}"
    assert PREFIX + "enforce" not in (json.loads(srv.request("GET", f"/api/v1/namespaces/{ns}")[2])
                                      ["metadata"].get("labels") or {})
    if KUBECTL is None:
        return
    result = kubectl(srv, tmp_path, "label", "namespace", ns, f"{PREFIX}enforce=restricted")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f'Warning: existing pods in namespace "{ns}" violate the new PodSecurity enforce level "restricted:latest"',
        f"Warning: only: {PLAIN_REASONS}"]


def test_namespace_status_and_finalize_are_not_checked(srv):
    ns = namespace(srv, levels(enforce="restricted"))
    code, _, out = srv.request("PATCH", f"/api/v1/namespaces/{ns}/status",
                               {"metadata": {"labels": {PREFIX + "enforce": "bogus"}}}, headers=MERGE)
    assert code == 200, out


# -- kubectl

def kubectl(srv: ServerThread, tmp_path, *args: str, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("KUBECONFIG", None)
    return subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), *args], capture_output=True, text=True,
                          timeout=60, env=env, input=stdin)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl_run_and_create_deployment(srv, restricted_ns, tmp_path):
    result = kubectl(srv, tmp_path, "run", "web", "--image=nginx", "-n", restricted_ns)
    assert result.returncode != 0
    detail = PLAIN_RESTRICTED.replace('"c"', '"web"')
    assert result.stderr.strip() == (f'Error from server (Forbidden): pods "web" is forbidden: violates PodSecurity '
                                     f'"restricted:latest": {detail}')
    result = kubectl(srv, tmp_path, "create", "deployment", "web", "--image=nginx", "-n", restricted_ns)
    assert result.returncode == 0, result.stderr
    detail = PLAIN_RESTRICTED.replace('"c"', '"nginx"')
    assert result.stderr.strip() == f'Warning: would violate PodSecurity "restricted:latest": {detail}'
    assert result.stdout.strip() == "deployment.apps/web created"


# -- audit annotations, recorded from the plugin on a server of their own

@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    recorded = []

    def record(server):
        plugin = next(p for p in server.api.admission.plugins if p.name == "PodSecurity")
        validate = plugin.validate

        def recording(attrs):
            try:
                validate(attrs)
            finally:
                recorded.append((attrs.plural, attrs.name, dict(attrs.annotations)))
        plugin.validate = recording

    server = ServerThread(tmp_path_factory.mktemp("podsecurity-audit") / "data", "--controllers=none",
                          "--disable-admission-plugins=ServiceAccount", customize=record).start()
    server.recorded = recorded
    yield server
    server.stop()


def annotations_of(srv: ServerThread, plural: str, name: str) -> dict:
    found = [a for p, n, a in srv.recorded if p == plural and n == name]
    assert found, (plural, name)
    return found[-1]


def test_audit_annotations(audited):
    srv = audited
    ns = namespace(srv, levels(enforce="baseline", audit="restricted"))
    assert create(srv, ns, pod("audited"))[0] == 201
    assert annotations_of(srv, "pods", "audited") == {
        PREFIX + "enforce-policy": "baseline:latest",
        PREFIX + "audit-violations": f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}'}
    assert create(srv, ns, pod("clean", restricted_spec()))[0] == 201
    assert annotations_of(srv, "pods", "clean") == {PREFIX + "enforce-policy": "baseline:latest"}
    code, _, warned = create(srv, ns, {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "tpl"},
                                       "template": {"spec": pod()["spec"]}}, "podtemplates")
    assert code == 201 and warned == []
    assert annotations_of(srv, "podtemplates", "tpl") == {
        PREFIX + "audit-violations": f'would violate PodSecurity "restricted:latest": {PLAIN_RESTRICTED}'}
    # refused pods are audited too
    net = {"hostNetwork": True, "containers": [{"name": "c", "image": "busybox"}]}
    assert create(srv, ns, pod("net", net))[0] == 403
    assert annotations_of(srv, "pods", "net")[PREFIX + "audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true), allowPrivilegeEscalation')
    # a privileged namespace says so
    free = namespace(srv)
    assert create(srv, free, pod("free"))[0] == 201
    assert annotations_of(srv, "pods", "free") == {PREFIX + "enforce-policy": "privileged:latest"}


# -- the plugin can be turned off

def test_disabled_plugin_checks_nothing(make_server):
    srv = make_server("--controllers=none", "--disable-admission-plugins=PodSecurity,ServiceAccount")
    ns = namespace(srv, {PREFIX + "enforce": "restricted", PREFIX + "warn": "nonsense"})
    code, out, warned = create(srv, ns, pod())
    assert code == 201, out
    assert warned == []


def test_labels_set_while_the_plugin_was_off(make_server, tmp_path):
    """Invalid labels stored before the plugin was on: a bad enforce level enforces restricted (fail closed), a bad
    warn level warns nothing (fail open), and an update that keeps the same errors is allowed."""
    data = tmp_path / "shared"
    off = make_server("--controllers=none", "--disable-admission-plugins=PodSecurity,ServiceAccount", data_dir=data)
    ns = namespace(off, {PREFIX + "enforce": "strict", PREFIX + "warn": "loud"})
    off.stop()
    srv = make_server("--controllers=none", "--disable-admission-plugins=ServiceAccount", data_dir=data)
    refused(srv, ns, pod(), "restricted:latest", PLAIN_RESTRICTED)
    code, out, warned = create(srv, ns, pod("ok", restricted_spec()))
    assert code == 201 and warned == [], out
    # other labels may change while the errors stay the same; new errors are refused
    assert label(srv, ns, {"team": "a"})[0] == 200
    code, out, _ = label(srv, ns, {PREFIX + "audit": "x"})
    assert code == 422
    assert out["message"] == (f'Namespace "{ns}" is invalid: [metadata.labels[{PREFIX}enforce]: Invalid value: '
                              f'"strict": must be one of privileged, baseline, restricted, metadata.labels[{PREFIX}'
                              'audit]: Invalid value: "x": must be one of privileged, baseline, restricted, '
                              f'metadata.labels[{PREFIX}warn]: Invalid value: "loud": must be one of privileged, '
                              'baseline, restricted]')
    code, _, warned = label(srv, ns, {PREFIX + "enforce": "baseline", PREFIX + "warn": None})
    assert code == 200 and warned == []


# -- the evaluator on its own, for what API validation keeps from reaching it

def test_evaluator_apparmor_annotations_and_profiles():
    from apiserver.admission.podsecurity.api import BASELINE, LATEST, LevelVersion
    from apiserver.admission.podsecurity.checks import Evaluator

    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/b": "unconfined",
                            "container.apparmor.security.beta.kubernetes.io/a": "localhost/x",
                            "container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}}
    spec = {"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
            "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Localhost"}}}]}
    result = Evaluator().evaluate(LevelVersion(BASELINE, LATEST), meta, spec)
    assert result.forbidden_detail() == (
        'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", '
        '"container.apparmor.security.beta.kubernetes.io/b="unconfined"")')
    assert result.forbidden_reason() == "forbidden AppArmor profiles"


def test_evaluator_orders_checks_by_id_baseline_first():
    from apiserver.admission.podsecurity.api import LATEST, RESTRICTED, LevelVersion, Version
    from apiserver.admission.podsecurity.checks import Evaluator

    spec = {"hostIPC": True, "securityContext": {"seLinuxOptions": {"role": "r"}, "seccompProfile": {"type": "x"},
                                                 "sysctls": [{"name": "a.b"}, {"name": "c.d"}]},
            "volumes": [{"name": "v", "hostPath": {}}, {"name": "w", "image": {"reference": "r"}}],
            "containers": [{"name": "c", "securityContext": {
                "runAsUser": 0, "procMount": "Unmasked", "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, "runAsNonRoot": True}}]}
    result = Evaluator().evaluate(LevelVersion(RESTRICTED, LATEST), {}, spec)
    assert result.reasons == ["host namespaces", "procMount", "seLinuxOptions", "forbidden sysctls",
                              "restricted volume types", "runAsUser=0", "seccompProfile"]
    assert result.details[4] == 'volumes "v", "w" use restricted volume types "hostPath", "unknown"'
    assert result.details[6] == 'pod must not set securityContext.seccompProfile.type to "x"'
    # v1.21: capabilities are baseline's, runAsUser is not checked yet
    older = Evaluator().evaluate(LevelVersion(RESTRICTED, Version(21)), {}, spec)
    assert "runAsUser=0" not in older.reasons
    assert "restricted volume types" in older.reasons and "hostPath volumes" not in older.reasons
