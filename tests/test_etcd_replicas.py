"""Several API server processes on one 3-member etcd cluster: reads, watches and optimistic concurrency across
replicas, one controller leader, and faults (an etcd member killed during writes, quorum lost and regained, the
leading API server killed).

Replicas are real ``python -m apiserver --storage-backend etcd3`` processes (tests/test_replicas.py's Replica)
with short leader-election and endpoint-lease flags; etcd members are real processes (tests/etcd_support.py)."""

import http.client
import json
import signal
import socket
import ssl
import threading
import time

import pytest
from etcd_support import EtcdCluster
from test_replicas import (
    ENDPOINT_TTL,
    LEASE_DURATION,
    RETRY_PERIOD,
    delete_namespace_completes,
    endpoint_ports,
    holder,
    leader_of,
    replica_group,
    wait_for,
)

from apiserver.controllers import leaderelection

ETCD_DEADLINE = 5     # the etcd client's deadline per storage operation (EtcdStore's request_timeout)
STATUS_TIMEOUT = 15   # the client side's patience: no request may hang


@pytest.fixture
def cluster(tmp_path):
    c = EtcdCluster(tmp_path / "etcd", 3).start()
    yield c
    c.stop()


@pytest.fixture
def on_etcd(tmp_path, cluster):
    """``start(n)`` starts n API servers on the 3-member cluster, each with its own data dir."""
    yield from replica_group(tmp_path, ["--storage-backend", "etcd3", "--etcd-servers", cluster.servers,
                                        "--etcd-healthcheck-timeout=1s", "--etcd-readycheck-timeout=1s"])


def context(replica):
    ctx = ssl.create_default_context(cafile=str(replica.data / "pki" / "ca.crt"))
    ctx.load_cert_chain(str(replica.data / "pki" / "admin.crt"), str(replica.data / "pki" / "admin.key"))
    return ctx


class Watcher(threading.Thread):
    """A reflector on the ConfigMaps of one namespace through one replica: records every event; when the stream
    ends it watches again from the last resourceVersion, and on 410 lists again (as client-go does)."""

    def __init__(self, replica, namespace, rv):
        super().__init__(daemon=True)
        self.replica, self.namespace, self.rv = replica, namespace, rv
        self.events = []       # (type, name, resourceVersion)
        self.reconnects = 0    # streams that ended (closed by the server, or a failed request)
        self.expired = 0       # 410 answers (each followed by a relist)
        self.halt = threading.Event()
        self.conn = None
        self.start()

    def run(self):
        path = f"/api/v1/namespaces/{self.namespace}/configmaps"
        while not self.halt.is_set():
            try:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.replica.port, context=context(self.replica),
                                                        timeout=60)
                self.conn.request("GET", f"{path}?watch=1&allowWatchBookmarks=true&resourceVersion={self.rv}")
                resp = self.conn.getresponse()
                if resp.status == 410:
                    self.relist()
                    continue
                if resp.status != 200:
                    raise OSError(f"watch answered {resp.status}")
                for line in resp:
                    event = json.loads(line)
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        if obj.get("code") == 410:
                            self.relist()
                        break
                    self.rv = obj["metadata"]["resourceVersion"]
                    if event["type"] != "BOOKMARK":
                        self.events.append((event["type"], obj["metadata"]["name"], int(self.rv)))
            except (OSError, ValueError, http.client.HTTPException):
                time.sleep(0.2)
            finally:
                if self.conn is not None:
                    self.conn.close()
            if not self.halt.is_set():
                self.reconnects += 1

    def relist(self):
        self.expired += 1
        code, body = self.replica.request("GET", f"/api/v1/namespaces/{self.namespace}/configmaps")
        if code == 200:
            self.rv = body["metadata"]["resourceVersion"]

    def stop(self):
        self.halt.set()
        conn = self.conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.join(5)

    def seen(self, name):
        return any(n == name for _, n, _ in list(self.events))


def check_stream(events):
    """Every event once, in revision order."""
    revisions = [rv for _, _, rv in events]
    assert revisions == sorted(set(revisions)), f"events out of order or repeated: {events}"


class Writer(threading.Thread):
    """Creates ConfigMaps through one replica as fast as they are answered; records (name, code, rv, seconds)."""

    def __init__(self, replica, namespace, prefix):
        super().__init__(daemon=True)
        self.replica, self.namespace, self.prefix = replica, namespace, prefix
        self.results = []
        self.halt = threading.Event()
        self.start()

    def run(self):
        i = 0
        while not self.halt.is_set():
            name = f"{self.prefix}-{i}"
            i += 1
            started = time.monotonic()
            try:
                code, body = self.replica.request("POST", f"/api/v1/namespaces/{self.namespace}/configmaps",
                                                  {"metadata": {"name": name}, "data": {"i": str(i)}},
                                                  timeout=STATUS_TIMEOUT + 5)
            except OSError:
                code, body = None, None
            rv = int(body["metadata"]["resourceVersion"]) if code == 201 else None
            self.results.append((name, code, rv, time.monotonic() - started))

    def stop(self):
        self.halt.set()
        self.join(STATUS_TIMEOUT + 10)

    @property
    def acknowledged(self):
        return [(name, rv) for name, code, rv, _ in self.results if code == 201]


class ReadyPoller(threading.Thread):
    """Polls /readyz through one replica, recording every answer's code (to see whether readiness flaps)."""

    def __init__(self, replica):
        super().__init__(daemon=True)
        self.replica = replica
        self.codes = []
        self.halt = threading.Event()
        self.start()

    def run(self):
        while not self.halt.is_set():
            try:
                self.codes.append(self.replica.request("GET", "/readyz", timeout=5)[0])
            except OSError:
                self.codes.append(None)
            time.sleep(0.2)

    def stop(self):
        self.halt.set()
        self.join(10)


def create_namespace(replica, name):
    code, ns = replica.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert code == 201, ns
    return ns["metadata"]["resourceVersion"]


def sentinel_seen(watchers, via, namespace, name):
    """Write one more ConfigMap and wait until every watcher saw it: then they saw everything before it."""
    code, body = via.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": name}})
    assert code == 201, body
    assert wait_for(lambda: all(w.seen(name) for w in watchers), 10), \
        [(w.replica.port, w.events[-3:], w.reconnects) for w in watchers]


def listed_names(replica, namespace):
    code, body = replica.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")
    assert code == 200, body
    return {item["metadata"]["name"] for item in body["items"]}


def assert_unavailable(code, body):
    """Upstream passes etcd's error through: 500, a Status without a reason (kubectl: "Error from server: ...")."""
    assert code == 500, (code, body)
    assert isinstance(body, dict) and body.get("kind") == "Status" and body.get("status") == "Failure", body
    assert body.get("code") == 500 and "reason" not in body and body.get("message"), body


# -- tests


def test_replicas_on_one_etcd_cluster_share_reads_watches_and_concurrency(on_etcd):
    a, b = on_etcd(2)
    rv = create_namespace(a, "shared")
    watchers = [Watcher(r, "shared", rv) for r in (a, b)]
    try:
        # writes through either replica are read at once through the other (etcd reads are linearizable)
        path = "/api/v1/namespaces/shared/configmaps"
        for i in range(10):
            via, other = (a, b) if i % 2 == 0 else (b, a)
            code, cm = via.request("POST", path, {"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}})
            assert code == 201, cm
            code, got = other.request("GET", f"{path}/cm-{i}")
            assert code == 200 and got["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"], got
            if i % 3 == 0:
                assert other.request("DELETE", f"{path}/cm-{i}")[0] == 200

        # optimistic concurrency across replicas: B's update from a stale read is refused after A's update
        code, stale = b.request("GET", f"{path}/cm-1")
        assert code == 200
        code, fresh = a.request("PUT", f"{path}/cm-1", dict(stale, data={"by": "a"}))
        assert code == 200 and int(fresh["metadata"]["resourceVersion"]) > int(stale["metadata"]["resourceVersion"])
        code, body = b.request("PUT", f"{path}/cm-1", dict(stale, data={"by": "b"}))
        assert code == 409, body
        assert body["kind"] == "Status" and body["reason"] == "Conflict"
        assert body["message"] == ('Operation cannot be fulfilled on configmaps "cm-1": the object has been '
                                   'modified; please apply your changes to the latest version and try again')
        assert a.request("GET", f"{path}/cm-1")[1]["data"] == {"by": "a"}
        code, body = b.request("DELETE", f"{path}/cm-1", {"preconditions": {
            "resourceVersion": stale["metadata"]["resourceVersion"]}})
        assert code == 409 and body["reason"] == "Conflict", body

        # every replica's watch sees every event, in the same order, with the same resourceVersions
        sentinel_seen(watchers, a, "shared", "sentinel")
    finally:
        for w in watchers:
            w.stop()
    assert watchers[0].events == watchers[1].events
    check_stream(watchers[0].events)
    kinds = [(t, n) for t, n, _ in watchers[0].events if n != "kube-root-ca.crt"]   # the controller's
    assert kinds.count(("ADDED", "cm-0")) == 1 and ("DELETED", "cm-0") in kinds and ("MODIFIED", "cm-1") in kinds
    assert len(kinds) == 10 + 4 + 1 + 1   # creates, deletes, the update, the sentinel
    assert all(w.reconnects == 0 and w.expired == 0 for w in watchers)

    # the control loops run on exactly one replica, and a namespace deleted through the other goes
    leader = leader_of([a, b])
    assert leader is not None, "no replica holds the kube-controller-manager lease"
    follower = b if leader is a else a
    assert follower.identity is None and holder(follower)["holderIdentity"] == leader.identity
    assert delete_namespace_completes(follower, "through-follower")
    # and the kubernetes Service's endpoints are both replicas
    assert wait_for(lambda: endpoint_ports(b) == {a.port, b.port}, ENDPOINT_TTL), endpoint_ports(b)


def raft_leader(cluster):
    """The index of the member that leads the etcd cluster's raft group."""
    status = json.loads(cluster.etcdctl("endpoint", "status", "-w", "json"))
    leader = status[0]["Status"]["leader"]
    return next(i for i, s in enumerate(status) if s["Status"]["header"]["member_id"] == leader)


@pytest.mark.parametrize("victim", ["preferred", "raft-leader"])
def test_one_etcd_member_killed_during_writes(on_etcd, cluster, victim):
    """``preferred``: the member the API servers call first (the first of --etcd-servers), which also carries
    their watch streams; ``raft-leader``: the etcd leader, so writes wait for an election."""
    a, b = on_etcd(2)
    rv = create_namespace(a, "stream")
    watchers = [Watcher(r, "stream", rv) for r in (a, b)]
    pollers = [ReadyPoller(r) for r in (a, b)]
    writers = [Writer(a, "stream", "a"), Writer(b, "stream", "b")]
    try:
        time.sleep(1.5)
        cluster.kill(0 if victim == "preferred" else raft_leader(cluster))
        time.sleep(3)
        for w in writers:
            w.stop()
        for p in pollers:
            p.stop()
        # ready through both after a short settle
        for r in (a, b):
            assert wait_for(lambda r=r: r.request("GET", "/readyz")[0] == 200, 5), r.request("GET", "/readyz?verbose")
        sentinel_seen(watchers, a, "stream", "sentinel")
    finally:
        for w in watchers + writers + pollers:
            w.stop()

    acknowledged = [x for w in writers for x in w.acknowledged]
    after_kill = [x for w in writers for x in w.results[-5:]]
    assert len(acknowledged) > 20 and all(code == 201 for _, code, _, _ in after_kill), after_kill
    # no acknowledged write lost: each is read through both replicas, with its resourceVersion
    for r in (a, b):
        names = listed_names(r, "stream")
        assert {name for name, _ in acknowledged} <= names
        for name, rv in acknowledged[::7]:
            code, got = r.request("GET", f"/api/v1/namespaces/stream/configmaps/{name}")
            assert code == 200 and int(got["metadata"]["resourceVersion"]) == rv
    # both watches saw every write once, in the same order, nothing left out (even writes whose answer was lost)
    assert watchers[0].events == watchers[1].events
    check_stream(watchers[0].events)
    assert {(name, rv) for _, name, rv in watchers[0].events} >= set(acknowledged)
    assert {n for _, n, _ in watchers[0].events} == names
    failed = [(name, code) for w in writers for name, code, _, _ in w.results if code != 201]
    slowest = max(s for w in writers for _, _, _, s in w.results)
    flaps = [[c for c in p.codes if c != 200] for p in pollers]
    print(f"\n{len(acknowledged)} writes acknowledged, failed: {failed}, slowest {slowest:.2f}s, readyz not 200: "
          f"{flaps}, watch reconnects: {[w.reconnects for w in watchers]}")
    assert slowest < STATUS_TIMEOUT


def test_quorum_lost_then_regained(on_etcd, cluster):
    a, b = on_etcd(2)
    rv = create_namespace(a, "quorum")
    path = "/api/v1/namespaces/quorum/configmaps"
    assert a.request("POST", path, {"metadata": {"name": "before"}})[0] == 201
    watchers = [Watcher(r, "quorum", rv) for r in (a, b)]
    assert wait_for(lambda: all(w.seen("before") for w in watchers), 5)
    # The leader goes, and one follower: the survivor, a follower, cannot take a write into its log. (Were the
    # survivor the leader, a write could wait in its log and be committed once the others return, after its
    # client got a timeout: a timeout says nothing of a write's fate, in raft and upstream alike.)
    leader = cluster.leader_index()
    down = [leader, (leader + 1) % 3]
    try:
        for index in down:
            cluster.kill(index)
        # without quorum: writes and reads (linearizable, as upstream's) fail with a Status within the deadline
        for r, method, target, body in [(a, "POST", path, {"metadata": {"name": "lost"}}),
                                        (b, "POST", path, {"metadata": {"name": "lost"}}),
                                        (a, "GET", path + "/before", None), (b, "GET", path, None),
                                        (b, "PUT", path + "/before", {"metadata": {"name": "before"}})]:
            started = time.monotonic()
            code, answer = r.request(method, target, body, timeout=STATUS_TIMEOUT + 5)
            took = time.monotonic() - started
            print(f"\nwithout quorum: {method} {target}: {code} {answer} in {took:.2f}s")
            assert_unavailable(code, answer)
            assert took < 2 * ETCD_DEADLINE, (method, target, took)
        for r in (a, b):
            assert wait_for(lambda r=r: r.request("GET", "/readyz/etcd")[0] == 500, 5)
            assert r.request("GET", "/readyz")[0] == 500
        # a namespaced write is refused, not queued: nothing of it appears after recovery
        for index in down:
            cluster.restart(index, wait=False)
        cluster.wait_healthy()
        for r in (a, b):
            assert wait_for(lambda r=r: r.request("GET", "/readyz")[0] == 200, 10), r.request("GET", "/readyz?verbose")
        for i, r in enumerate((a, b)):
            code, body = r.request("POST", path, {"metadata": {"name": f"after-{i}"}})
            assert code == 201, body
        assert a.request("GET", path + "/lost")[0] == 404
        # the watches resume: every event once, in order
        sentinel_seen(watchers, b, "quorum", "sentinel")
    finally:
        for w in watchers:
            w.stop()
    assert watchers[0].events == watchers[1].events
    check_stream(watchers[0].events)
    names = [n for _, n, _ in watchers[0].events if n != "kube-root-ca.crt"]
    assert names == ["before", "after-0", "after-1", "sentinel"]
    print(f"\nwatch reconnects: {[w.reconnects for w in watchers]}, 410s: {[w.expired for w in watchers]}")


def test_killed_leading_api_server_is_replaced(on_etcd):
    group = on_etcd(2)
    leader = leader_of(group)
    assert leader is not None
    survivor = next(r for r in group if r is not leader)
    before = holder(survivor)
    leader.stop(signal.SIGKILL)
    killed = time.monotonic()
    assert survivor.request("GET", "/readyz")[0] == 200
    assert wait_for(lambda: survivor.identity, LEASE_DURATION + 3), "the survivor never became leader"
    took = time.monotonic() - killed
    assert took <= LEASE_DURATION + 2 * RETRY_PERIOD * (1 + leaderelection.JITTER) + 1, took
    after = holder(survivor)
    assert after["holderIdentity"] == survivor.identity != before["holderIdentity"]
    assert after["leaseTransitions"] == before["leaseTransitions"] + 1
    assert delete_namespace_completes(survivor, "after-takeover")
