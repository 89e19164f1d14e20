"""The testing kit: apiserver.testing.KubeAPIServer and its pytest plugin (fixtures, failure reports)."""

import gc
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

from apiserver.testing import KubeAPIServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_start_stop_leaves_nothing_behind():
    KubeAPIServer().start().stop()   # key material made once per process
    before = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        started = time.perf_counter()
        server = KubeAPIServer().start()
        elapsed = time.perf_counter() - started
        port, data_dir = server.port, server.data_dir
        assert server.request("GET", "/api/v1/namespaces/default")[0] == 200
        stopping = time.perf_counter()
        server.stop()
        stop_took = time.perf_counter() - stopping
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    left = {t for t in threading.enumerate() if t not in before and t.is_alive()}
    assert not left, f"threads left behind: {left}"   # (threads of earlier tests may end meanwhile: not ours)
    assert not os.path.exists(data_dir)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))   # the port is free again
    assert elapsed < 2.0, f"start took {elapsed:.3f}s"   # ~50 ms on a quiet machine; CI runners are noisy
    # ~7 ms: no informer waits out its idle timeout (~460 ms when the quota admission's did)
    assert stop_took < 0.4, f"stop took {stop_took:.3f}s"


def test_sqlite_and_extra_flags():
    with KubeAPIServer(storage="sqlite", flags=["--authorization-mode", "AlwaysAllow"]) as server:
        assert os.path.exists(os.path.join(server.data_dir, "store.db"))
        user = server.make_user("anyone")
        assert server.request("GET", "/api/v1/namespaces", user=user)[0] == 200   # AlwaysAllow: no RBAC
        snap = server.snapshot()
        assert server.request("DELETE", "/api/v1/namespaces/default/services/kubernetes")[0] == 200
        assert server.request("GET", "/api/v1/namespaces/default/services/kubernetes")[0] == 404
        assert server.restore(snap) == 1
        assert server.request("GET", "/api/v1/namespaces/default/services/kubernetes")[0] == 200


def test_make_user_starts_without_rights(kube_apiserver, kube_namespace):
    alice = kube_apiserver.make_user("alice", groups=["developers"])
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    code, _, body = kube_apiserver.request("GET", path, user=alice)
    assert code == 403
    assert json.loads(body)["message"].startswith('configmaps is forbidden: User "alice" cannot list resource')
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "developers-edit"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "developers"}]}
    assert kube_apiserver.request("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{kube_namespace}/"
                                          "rolebindings", binding)[0] == 201
    assert kube_apiserver.request("GET", path, user=alice)[0] == 200
    assert kube_apiserver.request("GET", "/api/v1/namespaces/default/configmaps", user=alice)[0] == 403
    conn = http.client.HTTPSConnection("127.0.0.1", kube_apiserver.port, timeout=10,
                                       context=ssl.create_default_context(cafile=alice.ca_file))
    try:   # her bearer token: the same user, no client certificate
        assert kube_apiserver.request("GET", path, conn=conn,
                                      headers={"Authorization": f"Bearer {alice.token}"})[0] == 200
        code, _, body = kube_apiserver.request("GET", "/api/v1/namespaces/default/configmaps", conn=conn,
                                               headers={"Authorization": f"Bearer {alice.token}"})
        assert code == 403 and 'User "alice"' in json.loads(body)["message"]
    finally:
        conn.close()
    with open(alice.kubeconfig) as f:
        assert "alice" in f.read()


def test_snapshot_and_restore(kube_apiserver, kube_namespace):
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"

    def configmap(name, value):
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}

    for name in ("kept", "changed", "deleted"):
        assert kube_apiserver.request("POST", path, configmap(name, "1"))[0] == 201
    uid = json.loads(kube_apiserver.request("GET", f"{path}/deleted")[2])["metadata"]["uid"]
    snap = kube_apiserver.snapshot()
    code, _, body = kube_apiserver.request("GET", path)
    rv = json.loads(body)["metadata"]["resourceVersion"]

    assert kube_apiserver.request("PUT", f"{path}/changed", configmap("changed", "2"))[0] == 200
    assert kube_apiserver.request("DELETE", f"{path}/deleted")[0] == 200
    assert kube_apiserver.request("POST", path, configmap("added", "1"))[0] == 201

    conn = kube_apiserver.connection()   # a client watching from before the restore sees every change
    conn.request("GET", f"{path}?watch=1&resourceVersion={rv}")
    stream = conn.getresponse()
    assert kube_apiserver.restore(snap) >= 3
    assert kube_apiserver.restore(snap) == 0   # nothing left to do

    items = {cm["metadata"]["name"]: cm for cm in json.loads(kube_apiserver.request("GET", path)[2])["items"]
             if cm["metadata"]["name"] != "kube-root-ca.crt"}   # the root CA publisher's: made some time
    assert sorted(items) == ["changed", "deleted", "kept"]
    assert items["changed"]["data"] == {"v": "1"}
    assert items["deleted"]["metadata"]["uid"] == uid
    seen = []
    while len(seen) < 6:   # 3 changes before the restore, 3 by it
        event = json.loads(stream.readline())
        if event["object"]["metadata"]["name"] != "kube-root-ca.crt":
            seen.append((event["type"], event["object"]["metadata"]["name"]))
    conn.close()
    assert set(seen[3:]) == {("DELETED", "added"), ("MODIFIED", "changed"), ("ADDED", "deleted")}


FAILING = '''
def test_fails(kube_apiserver, kube_namespace):
    code, _, _ = kube_apiserver.request("GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/missing")
    assert code == 200

def test_passes(kubeconfig):
    import os
    assert os.environ["KUBECONFIG"] == kubeconfig
'''


def test_failure_report_lists_the_requests(tmp_path):
    (tmp_path / "test_report.py").write_text(FAILING)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "apiserver.testing.pytest_plugin",
                          "-p", "no:randomly", "-p", "no:cacheprovider", str(tmp_path / "test_report.py")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert "1 failed, 1 passed" in out.stdout, out.stdout + out.stderr
    report = out.stdout[out.stdout.index("API requests (call)"):]
    assert "get     /api/v1/namespaces/test-" in report
    assert '/configmaps/missing -> 404 (kubernetes-admin): configmaps "missing" not found' in report
    assert out.stdout.count("API requests (") == 1   # the passing test has no report


REQUEST_LINES = '''
from apiserver.testing import KubeAPIServer
with KubeAPIServer() as quiet:
    assert quiet.request("GET", "/api/v1/namespaces/quiet-marker")[0] == 404
with KubeAPIServer(log_requests=True) as loud:
    assert loud.request("GET", "/api/v1/namespaces/loud-marker")[0] == 404
'''


def test_request_log_lines_are_off_unless_asked_for():
    """A test's server writes no line per request (the failure report lists them); log_requests=True does."""
    out = subprocess.run([sys.executable, "-c", REQUEST_LINES], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    logged = out.stdout + out.stderr
    assert "loud-marker" in logged
    assert "quiet-marker" not in logged
