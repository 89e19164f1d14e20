"""The etcd3 backend against real etcd: member failures (no acknowledged write lost, watches without gaps or
repeats, bounded failure and recovery without quorum), upstream's compactor, the flags, and a server on etcd
driven by kubectl (objects readable with etcdctl, the etcd health checks). The storage contract itself runs in
test_storage.py (backends etcd3 and etcd3-cluster)."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
from etcd_support import EtcdCluster, make_tls, require_etcd
from support import ServerThread

from apiserver import cli
from apiserver.storage import etcd3, new_store
from apiserver.storage.interface import (
    ADDED,
    PROGRESS,
    AlreadyExistsError,
    CompactedError,
    StorageError,
    UnavailableError,
)

CMS = "/registry/configmaps/"
KUBECTL = shutil.which("kubectl")
ETCDCTL = shutil.which("etcdctl")


@pytest.fixture
def cluster3(tmp_path):
    require_etcd()
    cluster = EtcdCluster(tmp_path, 3).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster1(tmp_path):
    require_etcd()
    cluster = EtcdCluster(tmp_path, 1).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def stores():
    made = []

    def make(cluster, **options):
        etcd = {"servers": cluster.servers.split(",")}
        etcd.update(options.pop("etcd", {}))
        store = new_store("etcd3", etcd=etcd, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        try:
            store.close()
        except StorageError:
            pass


def collect(watcher, revision, timeout=20.0):
    """Non-PROGRESS events until one at ``revision`` or later."""
    events = []
    deadline = time.monotonic() + timeout
    while not events or events[-1].revision < revision:
        left = deadline - time.monotonic()
        assert left > 0, f"no event up to {revision}; last {events[-1:]}"
        event = watcher.next(timeout=left)
        assert event is not None, "the watch ended"
        if event.type != PROGRESS:
            events.append(event)
    return events


def member_of_stream(store, cluster, timeout=10.0):
    """The member serving the store's watch stream (which its thread opens soon after the store starts)."""
    deadline = time.monotonic() + timeout
    while store._dispatcher._stream is None and time.monotonic() < deadline:
        time.sleep(0.02)
    stream = store._dispatcher._stream
    assert stream is not None, "the store has no watch stream"
    return [m.client_url for m in cluster.members].index(stream.endpoint.url)


def test_kill_one_of_three_members_during_writes(cluster3, stores):
    """Writes go on while the member serving the watch stream is killed: every acknowledged write is stored, and
    the watch resumes on another member without a gap or a repeat."""
    store = stores(cluster3)
    start = store.current_revision()
    watcher = store.watch(CMS)
    acked, failed = {}, []
    stop = threading.Event()

    def write():
        i = 0
        while not stop.is_set() and i < 300:
            key = f"{CMS}default/c{i:03d}"
            try:
                acked[key] = store.create(key, f"v{i}".encode())
            except (UnavailableError, AlreadyExistsError) as err:
                failed.append((key, err))
            i += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.5)
    victim = member_of_stream(store, cluster3)
    cluster3.kill(victim)
    writer.join(60)
    stop.set()
    assert not writer.is_alive(), "writes hung after a member was killed"
    assert len(acked) >= 250, f"too many writes failed with one member down: {failed[:3]}"
    stored = {kv.key: kv for kv in store.list(CMS).items}
    for key, rev in acked.items():
        assert key in stored and stored[key].mod_revision == rev, f"acknowledged write {key}@{rev} lost"
    events = collect(watcher, max(acked.values()))
    revs = [e.revision for e in events]
    assert revs == sorted(set(revs)), "the watch repeated or reordered events across the failover"
    assert set(acked.values()) <= set(revs), "the watch lost events across the failover"
    assert all(e.type == ADDED for e in events)
    assert member_of_stream(store, cluster3) != victim
    # the same events as a fresh watch replaying history from before the writes
    replay = store.watch(CMS, from_revision=start)
    assert [e.revision for e in collect(replay, revs[-1])] == revs
    replay.stop()
    watcher.stop()


def test_without_quorum_writes_fail_in_bounded_time_and_recover(cluster3, stores):
    store = stores(cluster3, etcd={"request_timeout": 3.0})
    store.create(CMS + "default/before", b"1")
    watcher = store.watch(CMS)
    cluster3.kill(1)
    cluster3.kill(2)
    for call in (lambda: store.create(CMS + "default/during", b"x"), lambda: store.get(CMS + "default/before")):
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            call()
        assert time.monotonic() - started < 8, "a call without quorum hung instead of failing"
    cluster3.restart(1, wait=False)
    cluster3.restart(2, wait=False)
    deadline = time.monotonic() + 30
    while True:
        try:
            rev = store.create(CMS + "default/after", b"2")
            break
        except AlreadyExistsError:  # an earlier attempt's answer was lost but it landed
            rev = store.get(CMS + "default/after").mod_revision
            break
        except UnavailableError:
            assert time.monotonic() < deadline, "writes did not recover after the members came back"
            time.sleep(0.2)
    events = collect(watcher, rev, timeout=30)
    assert events[-1].key == CMS + "default/after" and events[-1].revision == rev


def test_store_fails_over_to_the_next_server(cluster3, stores):
    cluster3.kill(0)
    store = stores(cluster3)  # the first --etcd-servers entry is down
    rev = store.create(CMS + "default/a", b"1")
    assert store.get(CMS + "default/a").mod_revision == rev


def test_compactor_coordinates_through_compact_rev_key(cluster1, stores):
    """Two stores compacting every 0.3 s: compact_rev_key's version is the logical clock; etcd is compacted to
    a revision seen one interval earlier, and reads before it are refused."""
    a = stores(cluster1, compaction_interval=0.3)
    b = stores(cluster1, compaction_interval=0.3)
    a.create(CMS + "default/x", b"1")
    old = a.current_revision()
    a.guaranteed_update(CMS + "default/x", lambda cur: b"2")
    deadline = time.monotonic() + 5
    while a.compacted_revision() <= old and time.monotonic() < deadline:
        time.sleep(0.1)
    assert a.compacted_revision() > old
    with pytest.raises(CompactedError):
        b.list(CMS, revision=old)
    out = cluster1.etcdctl("get", "compact_rev_key", "-w", "json")
    kv = json.loads(out)["kvs"][0]
    assert int(kv["version"]) >= 2


def test_keys_under_the_etcd_prefix_and_values_as_stored(cluster1, stores):
    store = stores(cluster1, etcd={"prefix": "/custom/prefix"})
    store.create("/registry/configmaps/default/x", b'{"kind":"ConfigMap"}')
    assert cluster1.etcdctl("get", "/custom/prefix/configmaps/default/x", "--print-value-only").strip() == \
        '{"kind":"ConfigMap"}'
    assert [kv.key for kv in store.list(CMS).items] == ["/registry/configmaps/default/x"]


def test_etcd3_needs_etcd_servers():
    with pytest.raises(cli.FlagError) as info:
        cli.parse_options(["--storage-backend", "etcd3"])
    assert "--etcd-servers must be specified" in str(info.value)


@pytest.mark.skipif(KUBECTL is None or ETCDCTL is None, reason="kubectl and etcdctl are needed")
def test_server_on_etcd_with_kubectl(cluster1, tmp_path):
    srv = ServerThread(tmp_path / "data", "--storage-backend", "etcd3", "--etcd-servers", cluster1.servers,
                       "--etcd-healthcheck-timeout", "1s", "--etcd-count-metric-poll-period", "1s").start()
    try:
        env = dict(os.environ, HOME=str(tmp_path / "home"))
        env.pop("KUBECONFIG", None)

        def kubectl(*args):
            result = subprocess.run(["kubectl", "--kubeconfig", str(srv.kubeconfig), *args], capture_output=True,
                                    text=True, timeout=60, env=env)
            assert result.returncode == 0, result.stderr
            return result.stdout

        watch = subprocess.Popen(["kubectl", "--kubeconfig", str(srv.kubeconfig), "get", "configmaps", "-w",
                                  "--output-watch-events", "-o", "json", "--request-timeout", "30s"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            time.sleep(1.5)
            kubectl("create", "configmap", "x", "--from-literal=a=b")
            got = json.loads(kubectl("get", "configmap", "x", "-o", "json"))
            assert got["data"] == {"a": "b"}
            names = kubectl("get", "configmaps", "-o", "jsonpath={.items[*].metadata.name}").split()
            assert "x" in names
            stored = json.loads(cluster1.etcdctl("get", "/registry/configmaps/default/x", "--print-value-only"))
            assert stored["kind"] == "ConfigMap" and stored["data"] == {"a": "b"}
            assert stored["metadata"]["uid"] == got["metadata"]["uid"]
            deadline = time.monotonic() + 5
            while True:
                metrics = srv.request("GET", "/metrics")[2].decode()
                found = re.search(r'^apiserver_storage_objects\{resource="configmaps"\} (\S+)$', metrics, re.M)
                if found and float(found.group(1)) >= 1:
                    break
                assert time.monotonic() < deadline, "apiserver_storage_objects did not count the configmap"
                time.sleep(0.2)
            kubectl("delete", "configmap", "x")
            assert cluster1.etcdctl("get", "/registry/configmaps/default/x") == ""
            seen = []
            deadline = time.monotonic() + 20
            decoder = json.JSONDecoder()
            buffer = ""
            while ("DELETED", "x") not in seen and time.monotonic() < deadline:
                line = watch.stdout.readline()
                if not line:
                    break
                buffer += line
                try:
                    event, _ = decoder.raw_decode(buffer.strip())
                except ValueError:
                    continue
                buffer = ""
                seen.append((event["type"], event["object"]["metadata"]["name"]))
            assert ("ADDED", "x") in seen and ("DELETED", "x") in seen, seen
        finally:
            watch.kill()
            watch.wait(10)
        for path in ("/livez/etcd", "/readyz/etcd", "/healthz/etcd", "/readyz/etcd-readiness"):
            code, _, body = srv.request("GET", path)
            assert (code, body) == (200, b"ok"), path
        code, _, body = srv.request("GET", "/readyz?verbose")
        assert b"[+]etcd ok" in body and b"[+]etcd-readiness ok" in body and b"[+]storage" not in body
        cluster1.stop()
        time.sleep(1.1)  # the cached result expires
        started = time.monotonic()
        code = srv.request("GET", "/livez/etcd")[0]
        assert code == 500 and time.monotonic() - started < 3
    finally:
        srv.stop(timeout=60)   # with etcd gone, the lease release and endpoint removal each wait out a deadline


def test_mutual_tls(tmp_path, stores):
    """https members that require client certificates: --etcd-cafile, --etcd-certfile and --etcd-keyfile."""
    require_etcd()
    tls = make_tls(tmp_path / "tls")
    with EtcdCluster(tmp_path, 1, tls=tls) as cluster:
        store = stores(cluster, etcd={"cafile": tls["ca"], "certfile": tls["client_cert"],
                                      "keyfile": tls["client_key"]})
        watcher = store.watch(CMS)
        rev = store.create(CMS + "default/tls", b"secure")
        assert collect(watcher, rev)[-1].value == b"secure"
        watcher.stop()
        assert cluster.etcdctl("get", "/registry/configmaps/default/tls", "--print-value-only").strip() == "secure"
        with pytest.raises(UnavailableError):  # no client certificate: the member refuses the handshake
            new_store("etcd3", etcd={"servers": cluster.servers.split(","), "cafile": tls["ca"],
                                     "request_timeout": 2.0})


def test_watch_older_than_the_event_ring_catches_up_from_etcd(cluster1, stores):
    """A watch from a revision the in-memory ring no longer holds reads the gap from etcd, then goes on live."""
    store = stores(cluster1, etcd={"history": 5})
    start = store.current_revision()
    revs = []
    for i in range(30):
        prefix = CMS if i % 3 else "/registry/secrets/"
        rev = store.create(f"{prefix}default/k{i}", str(i).encode())
        if i % 3:
            revs.append(rev)
    assert store._dispatcher.wait_for(revs[-1], 5)
    assert store._dispatcher._floor > start, "the ring should have dropped the first events"
    watcher = store.watch(CMS, from_revision=start)
    later = store.create(CMS + "default/later", b"x")
    events = collect(watcher, later)
    assert [e.revision for e in events] == revs + [later]
    watcher.stop()


def _wakeups(thread: threading.Thread) -> int:
    """How often the kernel switched ``thread`` out because it waited (Linux)."""
    with open(f"/proc/self/task/{thread.native_id}/status") as f:
        return int(f.read().split("\nvoluntary_ctxt_switches:")[1].split()[0])


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_writes_finishing_out_of_order_keep_the_newest_revision_and_leave_the_progress_thread_asleep(
        cluster1, stores):
    """Concurrent writers learn their revisions out of order: a watch "from now" still starts after the newest,
    and no write wakes the progress thread (that cost a context switch and a GIL hand-off per write)."""
    store = stores(cluster1)
    revs = [store.create(f"{CMS}default/w{i}", b"x") for i in range(50)]
    dispatcher = store._dispatcher
    ticker = dispatcher._ticker
    time.sleep(0.05)
    before = _wakeups(ticker)
    for rev in reversed(revs):   # the newest first, as when its writer answered before the others
        dispatcher.wake(rev)
        time.sleep(0.001)
    woken = _wakeups(ticker) - before
    assert woken <= 2, f"the progress thread woke {woken} times for 50 writes"   # its own 1 s tick at most
    watcher = store.watch(CMS, from_revision=None)
    assert watcher.after == revs[-1]
    watcher.stop()


def test_stopped_member_is_left_for_the_others(cluster3, stores):
    """A member that keeps its connections open but answers nothing (SIGSTOP): requests move on to the other
    members within the per-attempt timeout, and the watch stream leaves it without losing events."""
    store = stores(cluster3, etcd={"request_timeout": 4.0})
    watcher = store.watch(CMS)
    first = store.create(CMS + "default/first", b"1")
    victim = cluster3.members[member_of_stream(store, cluster3)]
    victim.process.send_signal(signal.SIGSTOP)
    try:
        revs = [first]
        for i in range(5):
            started = time.monotonic()
            try:
                revs.append(store.create(f"{CMS}default/k{i}", b"x"))
            except UnavailableError:  # an attempt that timed out on the stopped member may be ambiguous once
                revs.append(store.create(f"{CMS}default/k{i}-again", b"x"))
            assert time.monotonic() - started < 10
        events = collect(watcher, revs[-1], timeout=30)
        assert [e.revision for e in events] == revs
        assert cluster3.members[member_of_stream(store, cluster3)] is not victim
    finally:
        victim.process.send_signal(signal.SIGCONT)
    watcher.stop()


def test_watch_resuming_after_compaction_never_skips_events(cluster3, stores):
    """The only member a store knows stops answering; meanwhile another server writes and compacts. When the
    member is back, the store's watchers either get every event in order (the member replays the writes before
    the compaction) or end with CompactedError (their clients relist): never a silent gap. Which one happens
    depends on whether the stream is reopened before or after the member applies the compaction."""
    x = cluster3.members[0]
    lonely = new_store("etcd3", etcd={"servers": [x.client_url], "request_timeout": 2.0})
    try:
        other = stores(cluster3)
        other.create(CMS + "default/a", b"1")
        assert lonely.wait_for_revision(other.current_revision(), 5)
        watcher = lonely.watch(CMS)
        x.process.send_signal(signal.SIGSTOP)
        written = []
        try:
            for i in range(5):
                written.append(other.guaranteed_update(CMS + "default/a", lambda cur, i=i: str(i).encode())
                               .mod_revision)
            other.compact(other.current_revision())
            time.sleep(etcd3.PROBE_AFTER + 0.5)   # long enough, sometimes, for the stream to be given up
        finally:
            x.process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 30
        seen = []
        try:
            while time.monotonic() < deadline and (not seen or seen[-1] < written[-1]):
                event = watcher.next(timeout=1.0)
                if event is not None and event.type != PROGRESS:
                    seen.append(event.revision)
            assert seen == written, "events were skipped or repeated"
        except CompactedError:
            assert seen == written[:len(seen)], "events before the compaction error were skipped or repeated"
        assert time.monotonic() < deadline, "the watcher neither caught up nor was expired"
        fresh = lonely.watch(CMS)
        rev = other.guaranteed_update(CMS + "default/a", lambda cur: b"after").mod_revision
        assert collect(fresh, rev)[-1].value == b"after"
        fresh.stop()
    finally:
        lonely.close()
