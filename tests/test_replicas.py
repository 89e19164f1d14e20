"""Several API server replicas on one store: leader election for the control loops (the kube-controller-manager
Lease), the ``default/kubernetes`` endpoints kept by master leases, reads and watches across replicas.

Replicas are real processes (``python -m apiserver``), each with its own --data-dir (certificates, kubeconfig)
and one shared --sqlite-path; lease durations are shortened by flags to keep the tests short."""

import datetime
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time

import pytest

from apiserver.controllers import leaderelection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
ENDPOINTS = "/api/v1/namespaces/default/endpoints/kubernetes"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 4.0, 2.0, 0.5
ENDPOINT_INTERVAL, ENDPOINT_TTL = 1.0, 3.0
FAST = [f"--leader-elect-lease-duration={LEASE_DURATION:g}s", f"--leader-elect-renew-deadline={RENEW_DEADLINE:g}s",
        f"--leader-elect-retry-period={RETRY_PERIOD * 1000:g}ms",
        f"--endpoint-reconciler-interval={ENDPOINT_INTERVAL:g}s", f"--endpoint-lease-ttl={ENDPOINT_TTL:g}s"]


class Replica:
    """One server process on a free port, on the shared store (a SQLite path, or a list of storage flags)."""

    def __init__(self, data, store, *flags):
        self.data = data
        storage = list(store) if isinstance(store, (list, tuple)) else ["--sqlite-path", str(store)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apiserver", "--data-dir", str(data), *storage,
             "--secure-port", "0", "--log-format", "json", *FAST, *flags],
            env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []   # drained as they come: a full pipe would block the server
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stderr.readline, "")),
                                       daemon=True)
        self.reader.start()
        self.port = None

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "".join(self.lines)
            try:
                text = (self.data / "admin.kubeconfig").read_text()
                self.port = int(re.search(r"server: \"?https://127\.0\.0\.1:(\d+)", text).group(1))
                if self.request("GET", "/readyz")[0] == 200:
                    return self
            except (OSError, AttributeError):
                pass
            time.sleep(0.05)
        raise AssertionError("replica did not become ready:\n" + "".join(self.lines))

    @property
    def identity(self):
        """The holder identity this replica campaigns with (from its log)."""
        for line in list(self.lines):
            if '"became leader"' in line or "became leader" in line:
                try:
                    return json.loads(line).get("identity")
                except ValueError:
                    continue
        return None

    def request(self, method, path, body=None, timeout=10):
        ctx = ssl.create_default_context(cafile=str(self.data / "pki" / "ca.crt"))
        ctx.load_cert_chain(str(self.data / "pki" / "admin.crt"), str(self.data / "pki" / "admin.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, (json.loads(data) if data.startswith(b"{") else data)
        finally:
            conn.close()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return self.proc.returncode


def replica_group(tmp_path, store):
    """A fixture body: yields ``start(n, *flags)``, which starts n replicas on ``store`` (all at once, each with
    its own data dir, then waits for each to be ready); every one is killed afterwards."""
    started = []

    def start(n, *flags):
        group = [Replica(tmp_path / f"replica-{len(started) + i}", store, *flags) for i in range(n)]
        started.extend(group)
        return [r.wait_ready() for r in group]

    yield start
    for r in started:
        r.stop(signal.SIGKILL)


@pytest.fixture
def replicas(tmp_path):
    """``start(n)`` starts n replicas on one shared SQLite file."""
    yield from replica_group(tmp_path, tmp_path / "shared" / "store.db")


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def holder(replica):
    code, lease = replica.request("GET", LEASE)
    assert code == 200, lease
    return lease["spec"]


def leader_of(group):
    """The replica whose identity holds the lease (after it has logged becoming leader)."""
    def find():
        spec = holder(group[0])
        return next((r for r in group if r.identity and r.identity == spec.get("holderIdentity")), None)
    return wait_for(find, LEASE_DURATION + 3)


def delete_namespace_completes(via, name, timeout=10):
    """Create a namespace with a ConfigMap through ``via``, delete it, and see it go (the namespace controller)."""
    assert via.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    code, body = via.request("POST", f"/api/v1/namespaces/{name}/configmaps", {"metadata": {"name": "c"}})
    assert code == 201, body
    assert via.request("DELETE", f"/api/v1/namespaces/{name}")[0] == 200
    return wait_for(lambda: via.request("GET", f"/api/v1/namespaces/{name}")[0] == 404, timeout)


def endpoint_ports(replica):
    code, ep = replica.request("GET", ENDPOINTS)
    assert code == 200, ep
    ports = set()
    for subset in ep.get("subsets") or []:
        assert [a["ip"] for a in subset["addresses"]] == ["127.0.0.1"]
        assert [(p["name"], p["protocol"]) for p in subset["ports"]] == [("https", "TCP")]
        ports.update(p["port"] for p in subset["ports"])
    return ports


def slice_ports(replica):
    code, body = replica.request("GET", SLICES + "?labelSelector=kubernetes.io/service-name%3Dkubernetes")
    assert code == 200, body
    ports = set()
    for s in body["items"]:
        assert s["addressType"] == "IPv4"
        assert s["metadata"]["name"].startswith("kubernetes")
        if s["endpoints"]:
            assert [e["addresses"] for e in s["endpoints"]] == [["127.0.0.1"]] * len(s["endpoints"])
            ports.update(p["port"] for p in s["ports"])
    return ports


# -- tests


def test_one_leader_runs_the_controllers_and_every_replica_serves_the_same_store(replicas):
    a, b = replicas(2)
    leader = leader_of([a, b])
    assert leader is not None, "no replica holds the kube-controller-manager lease"
    follower = b if leader is a else a
    spec = holder(follower)
    assert spec["leaseDurationSeconds"] == int(LEASE_DURATION)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", spec["renewTime"]), spec
    assert re.fullmatch(r"[^_]+_[0-9a-f-]{36}", spec["holderIdentity"]), spec
    assert follower.identity is None   # the follower never led
    assert not any("became leader" in line for line in follower.lines)
    # the follower is ready, and a namespace deleted through it goes (the leader's namespace controller)
    assert follower.request("GET", "/readyz")[0] == 200
    assert delete_namespace_completes(follower, "through-follower")

    # a write through one replica is seen through the other: get, and a watch from a resourceVersion
    code, cm = a.request("POST", "/api/v1/namespaces/default/configmaps",
                         {"metadata": {"name": "shared"}, "data": {"k": "v"}})
    assert code == 201, cm
    code, got = b.request("GET", "/api/v1/namespaces/default/configmaps/shared")
    assert code == 200 and got["data"] == {"k": "v"} and got["metadata"]["uid"] == cm["metadata"]["uid"]

    ctx = ssl.create_default_context(cafile=str(b.data / "pki" / "ca.crt"))
    ctx.load_cert_chain(str(b.data / "pki" / "admin.crt"), str(b.data / "pki" / "admin.key"))
    conn = http.client.HTTPSConnection("127.0.0.1", b.port, context=ctx, timeout=10)
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion="
                 + cm["metadata"]["resourceVersion"])
    resp = conn.getresponse()
    assert resp.status == 200
    started = time.monotonic()
    code, _ = a.request("PUT", "/api/v1/namespaces/default/configmaps/shared",
                        dict(cm, data={"k": "changed"}))
    assert code == 200
    event = json.loads(resp.readline())
    assert event["type"] == "MODIFIED" and event["object"]["data"] == {"k": "changed"}
    assert time.monotonic() - started < 3
    conn.close()

    # both replicas are the kubernetes Service's endpoints, in Endpoints and EndpointSlices
    assert wait_for(lambda: endpoint_ports(a) == {a.port, b.port}, 5), endpoint_ports(a)
    assert wait_for(lambda: slice_ports(b) == {a.port, b.port}, 5), slice_ports(b)
    code, ep = a.request("GET", ENDPOINTS)
    assert ep["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] == "true"


def test_killed_leader_is_replaced_within_the_lease_duration(replicas):
    group = replicas(2)
    leader = leader_of(group)
    assert leader is not None
    survivor = next(r for r in group if r is not leader)
    before = holder(survivor)
    assert wait_for(lambda: endpoint_ports(survivor) == {r.port for r in group}, 5)

    leader.stop(signal.SIGKILL)
    killed = time.monotonic()
    assert wait_for(lambda: survivor.identity, LEASE_DURATION + 3), "the survivor never became leader"
    took = time.monotonic() - killed
    assert took <= LEASE_DURATION + 2 * RETRY_PERIOD * (1 + leaderelection.JITTER) + 1, took
    after = holder(survivor)
    assert after["holderIdentity"] == survivor.identity != before["holderIdentity"]
    assert after["leaseTransitions"] == before["leaseTransitions"] + 1
    assert after["acquireTime"] > before["acquireTime"]
    assert delete_namespace_completes(survivor, "after-takeover")

    # the killed replica's master lease expires: it leaves the endpoints after the TTL, not before
    gone = wait_for(lambda: endpoint_ports(survivor) == {survivor.port}, ENDPOINT_TTL + 2 * ENDPOINT_INTERVAL + 2)
    assert gone, endpoint_ports(survivor)
    assert time.monotonic() - killed >= ENDPOINT_TTL - ENDPOINT_INTERVAL - 0.5
    assert slice_ports(survivor) == {survivor.port}


def test_stopped_leader_releases_the_lease_and_its_endpoint(replicas):
    group = replicas(3)
    leader = leader_of(group)
    assert leader is not None
    others = [r for r in group if r is not leader]
    assert wait_for(lambda: endpoint_ports(others[0]) == {r.port for r in group}, 5)

    stopped = time.monotonic()
    assert leader.stop(signal.SIGTERM) == 0
    released = holder(others[0])
    # released (ReleaseOnCancel) or already taken by another replica; never still the stopped leader's
    assert released["holderIdentity"] != leader.identity
    new_leader = wait_for(lambda: next((r for r in others if r.identity), None), LEASE_DURATION)
    assert new_leader is not None
    assert time.monotonic() - stopped < LEASE_DURATION - 1, "the handover waited for the lease to expire"
    assert [r for r in others if r.identity] == [new_leader]   # exactly one took over
    assert holder(new_leader)["holderIdentity"] == new_leader.identity
    # the stopped replica removed its own endpoint at once (no TTL wait)
    assert endpoint_ports(others[0]) == {r.port for r in others}
    assert slice_ports(others[1]) == {r.port for r in others}
    assert delete_namespace_completes(others[1], "after-handover")


def test_a_lone_replica_leads_at_once_and_steps_down_when_the_lease_is_taken(make_server):
    srv = make_server(*FAST)
    elector = srv.prepared.server.leader_elector
    assert elector.leading   # ready means the first acquisition already happened
    code, lease = srv.get_json(LEASE)
    assert code == 200 and lease["spec"]["holderIdentity"] == elector.identity
    assert lease["spec"]["leaseTransitions"] == 0 and lease["spec"]["acquireTime"] == lease["spec"]["renewTime"]

    # another holder appears with a fresh lease: this replica stops its controllers ...
    lease["spec"].update(holderIdentity="someone-else", renewTime=leaderelection.micro_time(), leaseTransitions=1)
    code, body = srv.request("PUT", LEASE, lease)[::2]
    assert code == 200, body
    assert wait_for(lambda: not elector.leading, RETRY_PERIOD * 3), "still leading after losing the lease"
    assert srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": "stalled"}})[0] == 201
    assert srv.request("DELETE", "/api/v1/namespaces/stalled")[0] == 200
    time.sleep(1)
    code, ns = srv.get_json("/api/v1/namespaces/stalled")
    assert code == 200 and ns["status"]["phase"] == "Terminating"   # no namespace controller runs
    # ... and takes over again once that holder stops renewing, the controllers with it
    assert wait_for(lambda: elector.leading, LEASE_DURATION + 3)
    assert wait_for(lambda: srv.request("GET", "/api/v1/namespaces/stalled")[0] == 404, 10)
    code, lease = srv.get_json(LEASE)
    assert lease["spec"]["holderIdentity"] == elector.identity and lease["spec"]["leaseTransitions"] == 2


def test_without_leader_election_no_lease_is_taken(make_server):
    srv = make_server("--leader-elect=false", "--endpoint-reconciler-type=none")
    assert srv.request("GET", LEASE)[0] == 404
    assert srv.request("GET", ENDPOINTS)[0] == 404
    assert srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": "gone"}})[0] == 201
    assert srv.request("DELETE", "/api/v1/namespaces/gone")[0] == 200
    assert wait_for(lambda: srv.request("GET", "/api/v1/namespaces/gone")[0] == 404, 10)


@pytest.mark.parametrize("flags, message", [
    (["--leader-elect-lease-duration=5s", "--leader-elect-renew-deadline=5s"],
     "--leader-elect-lease-duration: leaseDuration must be greater than renewDeadline"),
    (["--leader-elect-renew-deadline=2s", "--leader-elect-retry-period=2s"],
     "--leader-elect-renew-deadline: renewDeadline must be greater than retryPeriod*JitterFactor"),
    (["--endpoint-reconciler-type=master-count"], '--endpoint-reconciler-type: invalid value "master-count"'),
])
def test_flag_errors(tmp_path, flags, message):
    from apiserver import cli
    with pytest.raises(cli.FlagError) as err:
        cli.parse_options(["--data-dir", str(tmp_path), *flags])
    assert any(line.startswith(message) for line in str(err.value).splitlines()), str(err.value)


def test_identity_leases_one_per_replica_and_expired_ones_are_collected(make_server, tmp_path):
    a = make_server(*FAST)
    label = "apiserver.kubernetes.io/identity%3Dkube-apiserver"
    old = leaderelection.micro_time(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2))
    code, body = a.request("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", {
        "metadata": {"name": "apiserver-gone", "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver"}},
        "spec": {"holderIdentity": "apiserver-gone_x", "leaseDurationSeconds": 3600, "renewTime": old}})[::2]
    assert code == 201, body
    # a second replica on the same store: its garbage collector runs at start
    b = make_server(*FAST, "--sqlite-path", str(a.config.store.path), data_dir=tmp_path / "b")

    def identities():
        code, leases = b.get_json("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=" + label)
        assert code == 200
        return {lease["metadata"]["name"]: lease for lease in leases["items"]}
    assert wait_for(lambda: "apiserver-gone" not in identities(), 5), identities()
    ids = identities()
    assert len(ids) == 2, ids
    for srv in (a, b):
        lease = ids[srv.prepared.server.identity_lease.name]
        assert re.fullmatch(r"apiserver-[a-z2-7]{26}", lease["metadata"]["name"])
        assert lease["spec"]["holderIdentity"].startswith(lease["metadata"]["name"] + "_")
        assert lease["spec"]["leaseDurationSeconds"] == 3600
        assert lease["metadata"]["labels"]["kubernetes.io/hostname"]
    # and only one of the two runs the controllers
    assert [srv.prepared.server.leader_elector.leading for srv in (a, b)] == [True, False]
