"""The admission plugins ServiceAccount, LimitRanger, ResourceQuota and DefaultStorageClass against a real server:
the defaulted fields, refusals with upstream kube-apiserver 1.32's messages (403 Forbidden), quota usage kept in
``status.used`` by admission and the resourcequota controller, and ``kubectl describe quota``.

One server with every control loop serves most of the module (each test has its own namespace); a second one
without control loops shows the refusals when the ``default`` service account does not exist.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest
from support import ServerThread

from apiserver.apis.quantity import Quantity

KUBECTL = shutil.which("kubectl")
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
_names = itertools.count()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("admission") / "data").start()
    yield server
    server.stop()


def call(srv, method, path, body=None, headers=None):
    code, _, raw = srv.request(method, path, body, headers=headers)
    return code, (json.loads(raw) if raw else None)


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def namespace(srv, with_account=True) -> str:
    name = f"adm-{next(_names)}"
    assert call(srv, "POST", "/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    if with_account:   # the serviceaccount controller makes it
        wait_for(lambda: call(srv, "GET", f"/api/v1/namespaces/{name}/serviceaccounts/default")[0] == 200,
                 what="the default service account")
    return name


def pod(name, containers=None, **spec):
    containers = containers or [{"name": "app", "image": "nginx:1.27"}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": dict(spec, containers=containers)}


def container(name="app", requests=None, limits=None):
    c = {"name": name, "image": "nginx:1.27"}
    if requests or limits:
        c["resources"] = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return c


def create(srv, ns, plural, obj, query=""):
    return call(srv, "POST", f"/api/v1/namespaces/{ns}/{plural}{query}", obj)


def refused(srv, ns, plural, obj, message):
    code, status = create(srv, ns, plural, obj)
    assert (code, status["reason"], status["code"]) == (403, "Forbidden", 403), status
    assert status["message"] == message
    return status


# -- ServiceAccount


def test_pod_gets_default_account_and_projected_token_volume(srv):
    ns = namespace(srv)
    body = pod("web", containers=[container("app"), container("sidecar")],
               initContainers=[container("init")])
    code, created = create(srv, ns, "pods", body)
    assert code == 201, created
    spec = created["spec"]
    assert spec["serviceAccountName"] == "default"
    assert spec["serviceAccount"] == "default"   # the deprecated alias v1 shows
    volume = spec["volumes"][-1]
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volume["name"])
    assert volume["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}
    mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}
    for c in spec["containers"] + spec["initContainers"]:
        assert c["volumeMounts"] == [mount], c["name"]
    # what is stored is what was answered
    assert call(srv, "GET", f"/api/v1/namespaces/{ns}/pods/web")[1]["spec"]["volumes"] == [volume]


def test_automount_false_on_pod_or_account_and_pod_preference_wins(srv):
    ns = namespace(srv)
    code, created = create(srv, ns, "pods", pod("off", automountServiceAccountToken=False))
    assert code == 201 and "volumes" not in created["spec"]
    assert "volumeMounts" not in created["spec"]["containers"][0]
    account = {"metadata": {"name": "robot"}, "automountServiceAccountToken": False,
               "imagePullSecrets": [{"name": "registry"}]}
    assert create(srv, ns, "serviceaccounts", account)[0] == 201
    code, created = create(srv, ns, "pods", pod("robot", serviceAccountName="robot"))
    assert code == 201 and "volumes" not in created["spec"]
    assert created["spec"]["imagePullSecrets"] == [{"name": "registry"}]   # copied from the account
    code, created = create(srv, ns, "pods", pod("robot-on", serviceAccountName="robot",
                                                automountServiceAccountToken=True,
                                                imagePullSecrets=[{"name": "mine"}]))
    assert code == 201 and created["spec"]["volumes"][0]["name"].startswith("kube-api-access-")
    assert created["spec"]["imagePullSecrets"] == [{"name": "mine"}]


def test_own_mount_at_token_path_is_kept(srv):
    ns = namespace(srv)
    own = {"name": "creds", "mountPath": MOUNT_PATH}
    body = pod("own", containers=[dict(container("a"), volumeMounts=[own]), container("b")],
               volumes=[{"name": "creds", "emptyDir": {}}])
    code, created = create(srv, ns, "pods", body)
    assert code == 201
    a, b = created["spec"]["containers"]
    assert a["volumeMounts"] == [own]
    token = created["spec"]["volumes"][1]["name"]
    assert b["volumeMounts"] == [{"name": token, "readOnly": True, "mountPath": MOUNT_PATH}]


def test_missing_service_account_is_refused(srv):
    ns = namespace(srv)
    refused(srv, ns, "pods", pod("p", serviceAccountName="nope"),
            f'pods "p" is forbidden: error looking up service account {ns}/nope: serviceaccount "nope" not found')
    refused(srv, ns, "pods", dict(pod("", serviceAccountName="nope"), metadata={"generateName": "gen-"}),
            f'pods "gen-" is forbidden: error looking up service account {ns}/nope: serviceaccount "nope" not found')


def test_mirror_pods_are_not_mutated_and_may_not_reference_accounts(srv):
    ns = namespace(srv)
    mirror = {"kubernetes.io/config.mirror": "hash"}
    body = dict(pod("static"), metadata={"name": "static", "annotations": mirror})
    code, created = create(srv, ns, "pods", body)
    assert code == 201, created
    assert "serviceAccountName" not in created["spec"] and "volumes" not in created["spec"]
    body = dict(pod("static2", serviceAccountName="default"), metadata={"name": "static2", "annotations": mirror})
    refused(srv, ns, "pods", body, 'pods "static2" is forbidden: a mirror pod may not reference service accounts')
    body = dict(pod("static3", volumes=[{"name": "s", "secret": {"secretName": "x"}}]),
                metadata={"name": "static3", "annotations": mirror})
    refused(srv, ns, "pods", body, 'pods "static3" is forbidden: a mirror pod may not reference secrets')


def test_service_account_name_cannot_change_on_update(srv):
    ns = namespace(srv)
    assert create(srv, ns, "serviceaccounts", {"metadata": {"name": "other"}})[0] == 201
    assert create(srv, ns, "pods", pod("p"))[0] == 201
    code, status = call(srv, "PATCH", f"/api/v1/namespaces/{ns}/pods/p", {"spec": {"serviceAccountName": "other"}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert code == 422, status
    assert status["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than '
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
        "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
        "(allow it to be set to 1 if it was previously negative)")
    # other updates are fine, and do not add a second token volume
    code, updated = call(srv, "PATCH", f"/api/v1/namespaces/{ns}/pods/p", {"metadata": {"labels": {"a": "b"}}},
                         headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and len(updated["spec"]["volumes"]) == 1


def test_without_default_account_pods_are_refused_unless_plugin_disabled(make_server):
    srv = make_server("--controllers=none")
    started = time.monotonic()
    refused(srv, "default", "pods", pod("p"), 'pods "p" is forbidden: error looking up service account '
                                              'default/default: serviceaccount "default" not found')
    assert time.monotonic() - started > 0.9   # the default account was looked for a few times first
    assert create(srv, "default", "serviceaccounts", {"metadata": {"name": "default"}})[0] == 201
    assert create(srv, "default", "pods", pod("p"))[0] == 201

    plain = make_server("--controllers=none", "--disable-admission-plugins=ServiceAccount")
    code, created = create(plain, "default", "pods", pod("p"))
    assert code == 201 and "serviceAccountName" not in created["spec"] and "volumes" not in created["spec"]


# -- LimitRanger


def limit_range(srv, ns, *limits, name="limits"):
    code, created = create(srv, ns, "limitranges", {"metadata": {"name": name}, "spec": {"limits": list(limits)}})
    assert code == 201, created
    return created


def test_limit_range_defaults_are_stored(srv):
    ns = namespace(srv)
    created = limit_range(srv, ns, {"type": "Container", "max": {"cpu": 1, "memory": "1Gi"}, "min": {"cpu": "0.1"},
                                    "default": {"memory": "512Mi"}})
    assert created["spec"]["limits"] == [{"type": "Container", "max": {"cpu": "1", "memory": "1Gi"},
                                          "min": {"cpu": "100m"}, "default": {"cpu": "1", "memory": "512Mi"},
                                          "defaultRequest": {"cpu": "1", "memory": "512Mi"}}]


def test_defaults_applied_to_containers_with_annotation(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                          "defaultRequest": {"cpu": "250m", "memory": "128Mi"}})
    body = pod("p", containers=[container("app"), container("half", requests={"cpu": "100m"})],
               initContainers=[container("init", limits={"memory": "200Mi"})])
    code, created = create(srv, ns, "pods", body)
    assert code == 201, created
    assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; "
        "memory request for container half; cpu, memory limit for container half; "
        "cpu request for init container init; cpu limit for init container init")
    app, half = created["spec"]["containers"]
    assert app["resources"] == {"limits": {"cpu": "500m", "memory": "256Mi"},
                                "requests": {"cpu": "250m", "memory": "128Mi"}}
    assert half["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                 "limits": {"cpu": "500m", "memory": "256Mi"}}
    # a limit without a request is the request too (API defaulting, before admission)
    assert created["spec"]["initContainers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "200Mi"}, "requests": {"cpu": "250m", "memory": "200Mi"}}
    assert created["status"]["qosClass"] == "Burstable"
    # a pod with everything set is not annotated
    body = pod("full", containers=[container(requests={"cpu": "1", "memory": "1Gi"},
                                             limits={"cpu": "1", "memory": "1Gi"})])
    code, created = create(srv, ns, "pods", body)
    assert code == 201 and "kubernetes.io/limit-ranger" not in (created["metadata"].get("annotations") or {})
    assert created["status"]["qosClass"] == "Guaranteed"


def test_limits_are_requests_for_pods_but_not_templates(srv):
    ns = namespace(srv)
    limits = {"cpu": "1", "memory": "1Gi"}
    code, created = create(srv, ns, "pods", pod("p", containers=[container(limits=limits)]))
    assert code == 201
    assert created["spec"]["containers"][0]["resources"] == {"limits": limits, "requests": limits}
    assert created["status"]["qosClass"] == "Guaranteed"
    code, created = create(srv, ns, "pods", pod("q"))
    assert created["status"]["qosClass"] == "BestEffort"
    deployment = {"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
        "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [container(limits={"cpu": "0.5"})]}}}}
    code, created = call(srv, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment)
    assert code == 201, created
    assert created["spec"]["template"]["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m"}}


def test_limit_range_min_max_messages(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "Container", "max": {"cpu": "500m"}, "min": {"memory": "64Mi"}})
    refused(srv, ns, "pods", pod("big", containers=[container(limits={"cpu": "1"})]),
            'pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1')
    refused(srv, ns, "pods", pod("small", containers=[container(requests={"memory": "32Mi"})]),
            'pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi')
    refused(srv, ns, "pods", pod("two", containers=[container(requests={"cpu": "2", "memory": "32Mi"},
                                                               limits={"cpu": "2"})]),
            'pods "two" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, '
            "maximum cpu usage per Container is 500m, but limit is 2]")
    refused(srv, ns, "pods", pod("init", containers=[container()],
                                 initContainers=[container("setup", limits={"cpu": "600m"})]),
            'pods "init" is forbidden: maximum cpu usage per Container is 500m, but limit is 600m')
    code, created = create(srv, ns, "pods", pod("ok", containers=[container(limits={"cpu": "0.5"})]))
    assert code == 201, created
    # the defaults (from max and min) fill what is missing; quantities are served in canonical form
    assert created["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m"},
                                                             "requests": {"cpu": "500m", "memory": "64Mi"}}


def test_limit_range_ratio_messages(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "Container", "maxLimitRequestRatio": {"memory": "2"}})
    refused(srv, ns, "pods", pod("ratio", containers=[container(requests={"memory": "100Mi"},
                                                                 limits={"memory": "250Mi"})]),
            'pods "ratio" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio '
            "is 2.500000")
    refused(srv, ns, "pods", pod("nolimit", containers=[container(requests={"memory": "100Mi"})]),
            'pods "nolimit" is forbidden: memory max limit to request ratio per Container is 2, but no limit is '
            "specified or limit is 0")
    good = container(requests={"memory": "100Mi"}, limits={"memory": "200Mi"})
    assert create(srv, ns, "pods", pod("fine", containers=[good]))[0] == 201


def test_pod_limits_sum_the_containers(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "Pod", "max": {"memory": "1Gi"}})
    both = [container("a", limits={"memory": "600Mi"}), container("b", limits={"memory": "600Mi"})]
    refused(srv, ns, "pods", pod("pair", containers=both),
            'pods "pair" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi')
    refused(srv, ns, "pods", pod("none"),
            'pods "none" is forbidden: maximum memory usage per Pod is 1Gi.  No limit is specified')


def test_claim_storage_bounds(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"}, "min": {"storage": "1Gi"}})

    def claim(name, size):
        return {"metadata": {"name": name}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                                                     "resources": {"requests": {"storage": size}}}}

    refused(srv, ns, "persistentvolumeclaims", claim("big", "5Gi"),
            'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, '
            "but request is 5Gi")
    refused(srv, ns, "persistentvolumeclaims", claim("tiny", "500Mi"),
            'persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, '
            "but request is 500Mi")
    assert create(srv, ns, "persistentvolumeclaims", claim("fine", "1536Mi"))[0] == 201


# -- ResourceQuota


def quota(srv, ns, hard, name="quota", **spec):
    code, created = create(srv, ns, "resourcequotas", {"metadata": {"name": name},
                                                      "spec": dict(spec, hard=hard)})
    assert code == 201, created
    # the controller fills the status; until then the quota does not count, as upstream's
    return wait_for(lambda: _status(srv, ns, name).get("used") is not None and _status(srv, ns, name),
                    what="quota status")


def _status(srv, ns, name):
    return call(srv, "GET", f"/api/v1/namespaces/{ns}/resourcequotas/{name}")[1].get("status") or {}


def used(srv, ns, name="quota"):
    return _status(srv, ns, name).get("used")


def test_quota_status_mirrors_hard_and_counts_existing_objects(srv):
    ns = namespace(srv)
    assert create(srv, ns, "configmaps", {"metadata": {"name": "one"}})[0] == 201
    status = quota(srv, ns, {"pods": 10, "count/configmaps": "5", "secrets": "3", "resourcequotas": "1",
                             "requests.cpu": "2", "count/deployments.apps": "4"})
    assert status["hard"] == {"count/configmaps": "5", "count/deployments.apps": "4", "pods": "10",
                              "requests.cpu": "2", "resourcequotas": "1", "secrets": "3"}
    # kube-root-ca.crt and "one"; the quota counts itself
    assert status["used"] == {"count/configmaps": "2", "count/deployments.apps": "0", "pods": "0",
                              "requests.cpu": "0", "resourcequotas": "1", "secrets": "0"}
    code, refusal = create(srv, ns, "resourcequotas", {"metadata": {"name": "second"}, "spec": {"hard": {}}})
    assert (code, refusal["message"]) == (403, 'resourcequotas "second" is forbidden: exceeded quota: quota, '
                                               "requested: resourcequotas=1, used: resourcequotas=1, limited: "
                                               "resourcequotas=1")


def test_pod_count_quota_refuses_and_delete_replenishes(srv):
    ns = namespace(srv)
    quota(srv, ns, {"pods": "2", "count/pods": "5"})
    for name in ("p1", "p2"):
        assert create(srv, ns, "pods", pod(name))[0] == 201
    assert used(srv, ns) == {"count/pods": "2", "pods": "2"}   # charged by admission, before the pods were stored
    refused(srv, ns, "pods", pod("p3"), 'pods "p3" is forbidden: exceeded quota: quota, requested: pods=1, '
                                        "used: pods=2, limited: pods=2")
    assert call(srv, "DELETE", f"/api/v1/namespaces/{ns}/pods/p1")[0] == 200
    wait_for(lambda: used(srv, ns) == {"count/pods": "1", "pods": "1"}, what="usage after the delete")
    assert create(srv, ns, "pods", pod("p3"))[0] == 201
    assert used(srv, ns) == {"count/pods": "2", "pods": "2"}


def test_compute_quota_requires_limits_and_sums_usage(srv):
    ns = namespace(srv)
    quota(srv, ns, {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"},
          name="compute")
    refused(srv, ns, "pods", pod("bare", containers=[container("app"), container("log", requests={"cpu": "1m"})]),
            'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: app,log; '
            "limits.memory for: app,log; requests.cpu for: app; requests.memory for: app,log")
    full = {"cpu": "300m", "memory": "512Mi"}
    for name in ("a", "b"):
        code, created = create(srv, ns, "pods", pod(name, containers=[container(requests=full, limits=full)]))
        assert code == 201, created
    assert used(srv, ns, "compute") == {"limits.cpu": "600m", "limits.memory": "1Gi", "requests.cpu": "600m",
                                        "requests.memory": "1Gi"}
    refused(srv, ns, "pods", pod("c", containers=[container(requests=full, limits=full)]),
            'pods "c" is forbidden: exceeded quota: compute, requested: requests.memory=512Mi, used: '
            "requests.memory=1Gi, limited: requests.memory=1Gi")
    assert call(srv, "DELETE", f"/api/v1/namespaces/{ns}/pods/a")[0] == 200
    wait_for(lambda: used(srv, ns, "compute") == {"limits.cpu": "300m", "limits.memory": "512Mi",
                                                  "requests.cpu": "300m", "requests.memory": "512Mi"},
             what="usage after the delete")


def test_limit_range_defaults_satisfy_compute_quota(srv):
    ns = namespace(srv)
    limit_range(srv, ns, {"type": "Container", "default": {"cpu": "200m", "memory": "128Mi"}})
    quota(srv, ns, {"limits.cpu": "1", "requests.memory": "1Gi"})
    assert create(srv, ns, "pods", pod("p"))[0] == 201
    assert used(srv, ns) == {"limits.cpu": "200m", "requests.memory": "128Mi"}


def test_quota_scopes_count_only_matching_pods(srv):
    ns = namespace(srv)
    quota(srv, ns, {"pods": "1"}, name="besteffort", scopes=["BestEffort"])
    assert create(srv, ns, "pods", pod("be1"))[0] == 201
    refused(srv, ns, "pods", pod("be2"), 'pods "be2" is forbidden: exceeded quota: besteffort, requested: pods=1, '
                                         "used: pods=1, limited: pods=1")
    sized = container(requests={"cpu": "10m"})
    assert create(srv, ns, "pods", pod("burstable", containers=[sized]))[0] == 201
    assert used(srv, ns, "besteffort") == {"pods": "1"}


def test_object_count_and_service_quotas(srv):
    ns = namespace(srv)
    quota(srv, ns, {"count/configmaps": "2", "services": "3", "services.nodeports": "2",
                    "services.loadbalancers": "1", "count/secrets": "1"})
    assert create(srv, ns, "configmaps", {"metadata": {"name": "a"}})[0] == 201   # with kube-root-ca.crt: 2
    refused(srv, ns, "configmaps", {"metadata": {"name": "b"}},
            'configmaps "b" is forbidden: exceeded quota: quota, requested: count/configmaps=1, used: '
            "count/configmaps=2, limited: count/configmaps=2")

    def service(name, kind, ports=1):
        return {"metadata": {"name": name}, "spec": {"type": kind, "ports": [
            {"port": 80 + i, "name": f"p{i}"} for i in range(ports)], "selector": {"app": "x"}}}

    assert create(srv, ns, "services", service("lb", "LoadBalancer"))[0] == 201
    refused(srv, ns, "services", service("lb2", "LoadBalancer"),
            'services "lb2" is forbidden: exceeded quota: quota, requested: services.loadbalancers=1, used: '
            "services.loadbalancers=1, limited: services.loadbalancers=1")
    refused(srv, ns, "services", service("np", "NodePort", ports=2),
            'services "np" is forbidden: exceeded quota: quota, requested: services.nodeports=2, used: '
            "services.nodeports=1, limited: services.nodeports=2")
    assert create(srv, ns, "services", service("ip", "ClusterIP", ports=3))[0] == 201
    assert used(srv, ns) == {"count/configmaps": "2", "count/secrets": "0", "services": "2",
                             "services.loadbalancers": "1", "services.nodeports": "1"}
    assert call(srv, "DELETE", f"/api/v1/namespaces/{ns}/services/lb")[0] == 200
    wait_for(lambda: used(srv, ns)["services.loadbalancers"] == "0", what="usage after the delete")
    assert used(srv, ns)["services"] == "1"


def test_claim_storage_quota_charges_expansion(srv):
    ns = namespace(srv)
    quota(srv, ns, {"requests.storage": "10Gi", "persistentvolumeclaims": "5",
                    "gold.storageclass.storage.k8s.io/requests.storage": "3Gi"})
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gold",
                                                    "resources": {"requests": {"storage": "2Gi"}}}}
    assert create(srv, ns, "persistentvolumeclaims", claim)[0] == 201
    assert used(srv, ns) == {"gold.storageclass.storage.k8s.io/requests.storage": "2Gi",
                             "persistentvolumeclaims": "1", "requests.storage": "2Gi"}
    patch = {"spec": {"resources": {"requests": {"storage": "4Gi"}}}}
    code, status = call(srv, "PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data", patch,
                        headers={"Content-Type": "application/merge-patch+json"})
    assert code == 403, status
    assert status["message"] == ('persistentvolumeclaims "data" is forbidden: exceeded quota: quota, requested: '
                                 "gold.storageclass.storage.k8s.io/requests.storage=2Gi, used: "
                                 "gold.storageclass.storage.k8s.io/requests.storage=2Gi, limited: "
                                 "gold.storageclass.storage.k8s.io/requests.storage=3Gi")
    patch = {"spec": {"resources": {"requests": {"storage": "3Gi"}}}}
    code, _ = call(srv, "PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data", patch,
                   headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200
    assert used(srv, ns) == {"gold.storageclass.storage.k8s.io/requests.storage": "3Gi",
                             "persistentvolumeclaims": "1", "requests.storage": "3Gi"}


def test_dry_run_is_checked_but_not_charged(srv):
    ns = namespace(srv)
    quota(srv, ns, {"pods": "1"})
    code, _ = create(srv, ns, "pods", pod("dry"), query="?dryRun=All")
    assert code == 201 and used(srv, ns) == {"pods": "0"}
    assert create(srv, ns, "pods", pod("real"))[0] == 201
    code, status = create(srv, ns, "pods", pod("dry2"), query="?dryRun=All")
    assert code == 403 and "exceeded quota: quota" in status["message"]


def test_concurrent_creates_never_exceed_quota(srv):
    ns = namespace(srv)
    quota(srv, ns, {"count/configmaps": "6"})   # kube-root-ca.crt uses one
    codes = []

    def make(i):
        codes.append(create(srv, ns, "configmaps", {"metadata": {"name": f"c{i}"}})[0])

    threads = [threading.Thread(target=make, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 5 + [403] * 5
    assert used(srv, ns) == {"count/configmaps": "6"}


def test_controller_corrects_usage_when_spec_changes(srv):
    ns = namespace(srv)
    for name in ("a", "b"):
        assert create(srv, ns, "secrets", {"metadata": {"name": name}})[0] == 201
    quota(srv, ns, {"secrets": "5"})
    assert used(srv, ns) == {"secrets": "2"}
    code, _ = call(srv, "PATCH", f"/api/v1/namespaces/{ns}/resourcequotas/quota",
                   {"spec": {"hard": {"secrets": "5", "configmaps": "9"}}},
                   headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200
    wait_for(lambda: _status(srv, ns, "quota") == {"hard": {"configmaps": "9", "secrets": "5"},
                                                   "used": {"configmaps": "1", "secrets": "2"}},
             what="the new hard limits")


def test_usage_not_charged_by_admission_is_found_at_restart(make_server, tmp_path):
    data = tmp_path / "restart"
    first = make_server("--disable-admission-plugins=ResourceQuota", data_dir=data)
    ns = namespace(first)
    quota(first, ns, {"count/secrets": "10"})
    for name in ("a", "b"):
        assert create(first, ns, "secrets", {"metadata": {"name": name}})[0] == 201
    assert used(first, ns) == {"count/secrets": "0"}   # nothing charged it, and nothing was deleted
    first.stop()
    second = make_server(data_dir=data)
    wait_for(lambda: used(second, ns) == {"count/secrets": "2"}, what="usage recalculated at start")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl_describe_quota(srv, tmp_path):
    ns = namespace(srv)
    quota(srv, ns, {"pods": "4", "requests.memory": "1Gi"}, name="team")
    mem = {"memory": "256Mi"}
    assert create(srv, ns, "pods", pod("p", containers=[container(requests=mem)]))[0] == 201
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("KUBECONFIG", None)
    out = subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), "describe", "quota", "team", "-n", ns],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines() if line.strip()]
    assert lines == [["Name:", "team"], ["Namespace:", ns], ["Resource", "Used", "Hard"], ["--------", "----", "----"],
                     ["pods", "1", "4"], ["requests.memory", "256Mi", "1Gi"]]


# -- DefaultStorageClass


def test_default_storage_class_newest_wins_and_explicit_class_kept(make_server):
    srv = make_server("--controllers=none", "--disable-admission-plugins=ServiceAccount")

    def storage_class(name, default):
        annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
        body = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "example.com/x",
                "metadata": {"name": name, "annotations": annotations}}
        assert call(srv, "POST", "/apis/storage.k8s.io/v1/storageclasses", body)[0] == 201

    def claim(name, **spec):
        body = {"metadata": {"name": name}, "spec": dict(spec, accessModes=["ReadWriteOnce"],
                                                         resources={"requests": {"storage": "1Gi"}})}
        code, created = create(srv, "default", "persistentvolumeclaims", body)
        assert code == 201, created
        return created["spec"].get("storageClassName")

    storage_class("plain", False)
    assert claim("none") is None
    storage_class("old", True)
    assert claim("one") == "old"
    time.sleep(1.05)   # creationTimestamp has seconds only
    storage_class("new", True)
    assert claim("two") == "new"
    assert claim("mine", storageClassName="plain") == "plain"
    assert claim("empty", storageClassName="") == ""


# -- quantities


@pytest.mark.parametrize("text, canonical", [
    ("500m", "500m"), ("0.5", "500m"), (".5", "500m"), ("1000", "1k"), ("1500", "1500"), ("1500000", "1500k"),
    ("1024", "1024"), ("1Ki", "1Ki"), ("2048Mi", "2Gi"), ("1.5Gi", "1536Mi"), ("1e3", "1e3"), ("0.1n", "1n"),
    ("-2", "-2"), (3, "3"), (0.25, "250m"), ("0", "0"), ("0.5Ki", "512"), ("12e6", "12e6"), ("1000Mi", "1000Mi")])
def test_quantity_canonical_form(text, canonical):
    assert str(Quantity.parse(text)) == canonical


def test_invalid_quantity_is_refused_as_upstream_decoding_does(srv):
    ns = namespace(srv)
    code, status = create(srv, ns, "pods", pod("bad", containers=[container(limits={"cpu": "lots"})]))
    assert (code, status["reason"]) == (400, "BadRequest")
    assert status["message"] == ('Pod in version "v1" cannot be handled as a Pod: quantities must match the regular '
                                 "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    code, status = create(srv, ns, "resourcequotas", {"metadata": {"name": "q"}, "spec": {"hard": {"pods": "1e"}}})
    assert (code, status["message"]) == (400, 'ResourceQuota in version "v1" cannot be handled as a ResourceQuota: '
                                              "unable to parse quantity's suffix")


def test_quantity_arithmetic_keeps_first_format():
    q = Quantity.parse
    assert str(q("512Mi") + q("512Mi")) == "1Gi"
    assert str(q("0") + q("1Gi")) == "1Gi"
    assert str(q("100m") + q("200m")) == "300m"
    assert q("1Gi") > q("1G") and q("1000m") == q("1")
    assert q("1.5").milli_value() == 1500 and q("1m").int_value() == 1
