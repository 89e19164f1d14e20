"""The storage contract (``apiserver.storage.interface.Store``) checked on every backend: revisions, CRUD, paged
lists at a snapshot, compare-and-swap, watches, slow watchers, compaction, closing; then what only SQLite does:
durability across reopen and across a SIGKILL, and two stores (processes) sharing one database file."""

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from etcd_support import EtcdCluster

from apiserver.storage import new_store
from apiserver.storage.interface import (
    ADDED,
    DELETED,
    MODIFIED,
    PROGRESS,
    AlreadyExistsError,
    CompactedError,
    ConflictError,
    Event,
    KeyValue,
    ListResult,
    NotFoundError,
    StorageError,
    TooLargeRevisionError,
    UnavailableError,
    WatchTooSlowError,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
PODS = "/registry/pods/"
WAIT = 2.0  # the longest any single blocking call may take before the test fails instead of hanging


# -- fixtures and helpers


@pytest.fixture(params=["memory", "sqlite", "etcd3", "etcd3-cluster"])
def backend(request):
    return request.param


@pytest.fixture
def make_store(backend, tmp_path):
    """Make stores of the test's backend (for sqlite all on one file; for etcd3 a fresh etcd, one member or
    three); every one is closed after the test."""
    made = []
    cluster = None
    if backend.startswith("etcd3"):
        cluster = EtcdCluster(tmp_path, 3 if backend == "etcd3-cluster" else 1).start()

    def make(**options):
        path = str(tmp_path / "store.db") if backend == "sqlite" else None
        if cluster is not None:
            store = new_store("etcd3", etcd={"servers": cluster.servers.split(",")}, **options)
        else:
            store = new_store(backend, path, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        try:
            store.close()
        except StorageError:
            pass
    if cluster is not None:
        cluster.stop()


@pytest.fixture
def store(make_store):
    return make_store()


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "shared.db")


@pytest.fixture
def sqlite_stores(db_path):
    """Open sqlite stores on one file (``open_store(**options)``); every one is closed after the test."""
    made = []

    def open_store(**options):
        store = new_store("sqlite", db_path, **options)
        made.append(store)
        return store

    yield open_store
    for store in made:
        try:
            store.close()
        except StorageError:
            pass


def key(name, prefix=PODS):
    return f"{prefix}default/{name}"


def counter_update(kv):
    """A try_update that increments a JSON counter (creating it at 1)."""
    n = json.loads(kv.value)["n"] if kv is not None else 0
    return json.dumps({"n": n + 1}).encode()


def next_event(watcher, timeout=WAIT):
    """The next non-PROGRESS event; fails (rather than hangs) when none comes in time."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no event arrived in time"
        event = watcher.next(timeout=left)
        assert event is not None, "watch ended or timed out while an event was expected"
        if event.type != PROGRESS:
            return event


def events_until(watcher, revision, timeout=WAIT):
    """Every non-PROGRESS event up to and including ``revision``."""
    events = []
    deadline = time.monotonic() + timeout
    while not events or events[-1].revision < revision:
        events.append(next_event(watcher, max(0.01, deadline - time.monotonic())))
    return events


def assert_no_event(watcher, timeout=0.2):
    """Nothing but PROGRESS events arrive for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        event = watcher.next(timeout=left)
        assert event is None or event.type == PROGRESS, f"unexpected event {event}"


def run_threads(targets, timeout=10.0):
    """Run callables in threads at once; re-raise the first error; fail if any is still running at the timeout."""
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - handed to the test thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "threads still running: a store call hung"
    if errors:
        raise errors[0]


def snapshot(store, prefix=PODS, revision=None):
    result = store.list(prefix, revision=revision)
    return {kv.key: kv.value for kv in result.items}


# -- revisions and create


def test_create_returns_the_next_revision(store):
    start = store.current_revision()
    r1 = store.create(key("a"), b"1")
    r2 = store.create(key("b"), b"2")
    assert (r1, r2) == (start + 1, start + 2), "each write takes the next global revision"
    assert store.current_revision() == r2
    kv = store.get(key("a"))
    assert kv == KeyValue(key("a"), b"1", create_revision=r1, mod_revision=r1)


def test_update_keeps_create_revision_and_bumps_mod_revision(store):
    r1 = store.create(key("a"), b"v1")
    kv = store.guaranteed_update(key("a"), lambda cur: b"v2")
    assert kv.value == b"v2" and kv.create_revision == r1 and kv.mod_revision == r1 + 1
    assert store.get(key("a")) == kv
    assert store.current_revision() == r1 + 1


def test_delete_then_create_gets_a_new_create_revision(store):
    r1 = store.create(key("a"), b"v1")
    deleted = store.delete(key("a"))
    assert deleted.mod_revision == r1 + 1
    r3 = store.create(key("a"), b"v2")
    assert r3 == r1 + 2
    kv = store.get(key("a"))
    assert kv.create_revision == r3 and kv.mod_revision == r3 and kv.value == b"v2"


def test_create_existing_key_raises_and_changes_nothing(store):
    r1 = store.create(key("a"), b"v1")
    with pytest.raises(AlreadyExistsError) as info:
        store.create(key("a"), b"v2")
    assert info.value.key == key("a")
    assert store.current_revision() == r1, "a refused create must not use up a revision"
    assert store.get(key("a")).value == b"v1"


def test_get_missing_raises_not_found(store):
    with pytest.raises(NotFoundError):
        store.get(key("nope"))
    store.create(key("a"), b"1")
    store.delete(key("a"))
    with pytest.raises(NotFoundError):
        store.get(key("a"))


def test_get_min_revision(store):
    r1 = store.create(key("a"), b"1")
    assert store.get(key("a"), min_revision=r1).value == b"1"
    assert store.get(key("a"), min_revision=r1 - 1).value == b"1"
    with pytest.raises(TooLargeRevisionError):
        store.get(key("a"), min_revision=r1 + 1)


def test_check_passes_on_an_open_store(store):
    store.check()


# -- list


def test_list_returns_keys_in_order_under_the_prefix_only(store):
    for name in ["c", "a", "b"]:
        store.create(key(name), name.encode())
    store.create("/registry/podsecurity/x", b"other")  # shares the text "/registry/pods" but not the prefix
    store.create("/registry/pods", b"parent")           # the prefix without its slash is not under it
    store.create("/registry/services/default/a", b"svc")
    result = store.list(PODS)
    assert isinstance(result, ListResult)
    assert [kv.key for kv in result.items] == [key("a"), key("b"), key("c")]
    assert [kv.value for kv in result.items] == [b"a", b"b", b"c"]
    assert result.revision == store.current_revision()
    assert result.more is False and result.remaining == 0
    assert [kv.key for kv in store.list("/registry/pods").items] == [
        "/registry/pods", key("a"), key("b"), key("c"), "/registry/podsecurity/x"]


def test_list_of_an_empty_prefix(store):
    store.create(key("a"), b"1")
    result = store.list("/registry/nothing/")
    assert result.items == [] and result.more is False and result.remaining == 0
    assert result.revision == store.current_revision()


def test_list_items_carry_their_revisions(store):
    r1 = store.create(key("a"), b"1")
    kv = store.guaranteed_update(key("a"), lambda cur: b"2")
    (item,) = store.list(PODS).items
    assert item == KeyValue(key("a"), b"2", create_revision=r1, mod_revision=kv.mod_revision)


def test_list_limit_more_and_remaining(store):
    for i in range(5):
        store.create(key(f"k{i}"), b"x")
    page = store.list(PODS, limit=2)
    assert [kv.key for kv in page.items] == [key("k0"), key("k1")]
    assert page.more is True and page.remaining == 3
    exact = store.list(PODS, limit=5)
    assert len(exact.items) == 5 and exact.more is False and exact.remaining == 0
    bigger = store.list(PODS, limit=50)
    assert len(bigger.items) == 5 and bigger.more is False and bigger.remaining == 0
    last = store.list(PODS, limit=2, start_after=key("k2"))
    assert [kv.key for kv in last.items] == [key("k3"), key("k4")]
    assert last.more is False and last.remaining == 0


def test_list_limit_zero_does_not_fail(store):
    """limit=0 is either "no limit" (Kubernetes' meaning) or an empty page with ``more``; never an error."""
    for i in range(3):
        store.create(key(f"k{i}"), b"x")
    result = store.list(PODS, limit=0)
    assert (len(result.items), result.more, result.remaining) in ((3, False, 0), (0, True, 3)), result


def test_list_does_not_return_deleted_keys(store):
    for name in "abc":
        store.create(key(name), b"x")
    store.delete(key("b"))
    assert [kv.key for kv in store.list(PODS).items] == [key("a"), key("c")]
    page = store.list(PODS, limit=1)
    assert page.more is True and page.remaining == 1, "a deleted key must not count as remaining"


def test_list_at_a_past_revision_shows_that_snapshot(store):
    store.create(key("a"), b"a1")
    store.create(key("b"), b"b1")
    past = store.current_revision()
    store.guaranteed_update(key("a"), lambda cur: b"a2")
    store.delete(key("b"))
    store.create(key("c"), b"c1")
    result = store.list(PODS, revision=past)
    assert result.revision == past
    assert {kv.key: kv.value for kv in result.items} == {key("a"): b"a1", key("b"): b"b1"}
    assert all(kv.mod_revision <= past for kv in result.items)
    assert snapshot(store) == {key("a"): b"a2", key("c"): b"c1"}


def test_paged_list_is_one_snapshot_despite_writes_between_pages(store):
    """Pages after the first pass page 1's revision: together they are exactly that snapshot, whatever is
    created, updated or deleted meanwhile."""
    for i in range(10):
        store.create(key(f"k{i}"), f"v{i}".encode())
    expected = store.list(PODS).items
    page = store.list(PODS, limit=3)
    assert page.more and page.remaining == 7
    pages = [page]
    n = 0
    while pages[-1].more:
        n += 1
        # churn between pages: update a key not yet read, delete one, add new ones before and after
        store.guaranteed_update(key("k9"), lambda cur, n=n: f"changed{n}".encode())
        if n < 4:
            store.delete(key(f"k{9 - n}"))
        store.create(key(f"k{n}x"), b"new")
        store.create(key(f"z{n}"), b"new")
        last = pages[-1].items[-1].key
        pages.append(store.list(PODS, revision=page.revision, limit=3, start_after=last))
        assert len(pages) < 10, "paging does not end"
    assert [p.revision for p in pages] == [page.revision] * len(pages)
    got = [kv for p in pages for kv in p.items]
    assert got == expected, "the pages together must be the snapshot at page 1's revision"
    assert [p.remaining for p in pages] == [7, 4, 1, 0]


def test_list_at_a_revision_newer_than_current_raises_too_large(store):
    store.create(key("a"), b"1")
    with pytest.raises(TooLargeRevisionError):
        store.list(PODS, revision=store.current_revision() + 1)


def test_list_at_a_compacted_revision_raises(store):
    store.create(key("a"), b"1")
    old = store.current_revision()
    store.guaranteed_update(key("a"), lambda cur: b"2")
    store.compact(store.current_revision())
    with pytest.raises(CompactedError):
        store.list(PODS, revision=old)


# -- guaranteed_update


def test_guaranteed_update_passes_the_current_value(store):
    r1 = store.create(key("a"), b"v1")
    seen = []

    def bump(cur):
        seen.append(cur)
        return b"v2"

    kv = store.guaranteed_update(key("a"), bump)
    assert seen == [KeyValue(key("a"), b"v1", r1, r1)]
    assert kv == KeyValue(key("a"), b"v2", r1, r1 + 1) == store.get(key("a"))


@pytest.mark.parametrize("result", [b"same", None], ids=["identical-bytes", "none"])
def test_guaranteed_update_without_change_writes_nothing(store, result):
    r1 = store.create(key("a"), b"same")
    kv = store.guaranteed_update(key("a"), lambda cur: result)
    assert kv == KeyValue(key("a"), b"same", r1, r1), "a no-op update returns the current value unchanged"
    assert store.current_revision() == r1, "a no-op update must not take a revision"
    w = store.watch(PODS, from_revision=r1)
    assert_no_event(w, 0.1)
    w.stop()


def test_guaranteed_update_of_missing_key_raises_not_found(store):
    with pytest.raises(NotFoundError):
        store.guaranteed_update(key("a"), lambda cur: b"x")
    with pytest.raises(NotFoundError):
        store.get(key("a"))
    assert store.list(PODS).items == []


def test_guaranteed_update_ignore_not_found_creates(store):
    start = store.current_revision()
    seen = []

    def make(cur):
        seen.append(cur)
        return b"created"

    kv = store.guaranteed_update(key("a"), make, ignore_not_found=True)
    assert seen == [None], "with ignore_not_found a missing key is passed as None"
    assert kv == KeyValue(key("a"), b"created", start + 1, start + 1) == store.get(key("a"))


def test_guaranteed_update_ignore_not_found_on_existing_key_updates(store):
    r1 = store.create(key("a"), b"1")
    kv = store.guaranteed_update(key("a"), lambda cur: cur.value + b"2", ignore_not_found=True)
    assert kv == KeyValue(key("a"), b"12", r1, r1 + 1)


class Boom(Exception):
    pass


def test_guaranteed_update_exception_from_try_update_propagates(store):
    r1 = store.create(key("a"), b"1")

    def fail(cur):
        raise Boom("no")

    with pytest.raises(Boom):
        store.guaranteed_update(key("a"), fail)
    assert store.current_revision() == r1 and store.get(key("a")).value == b"1"


def test_guaranteed_update_precondition_refusal_writes_nothing(store):
    r1 = store.create(key("a"), b"1")
    seen, called = [], []

    def refuse(kv):
        seen.append(kv)
        raise ConflictError(kv.key, "uid mismatch")

    def update(cur):
        called.append(cur)
        return b"2"

    with pytest.raises(ConflictError):
        store.guaranteed_update(key("a"), update, precondition=refuse)
    assert seen and seen[0] == KeyValue(key("a"), b"1", r1, r1)
    assert store.current_revision() == r1 and store.get(key("a")).value == b"1"


def test_guaranteed_update_other_precondition_exception_propagates(store):
    r1 = store.create(key("a"), b"1")

    def broken(kv):
        raise Boom("broken precondition")

    with pytest.raises(Boom):
        store.guaranteed_update(key("a"), lambda cur: b"2", precondition=broken)
    assert store.current_revision() == r1


def test_guaranteed_update_passing_precondition_updates(store):
    r1 = store.create(key("a"), b"1")

    def rv_matches(kv):
        if kv.mod_revision != r1:
            raise ConflictError(kv.key)

    kv = store.guaranteed_update(key("a"), lambda cur: b"2", precondition=rv_matches)
    assert kv.value == b"2" and kv.mod_revision == r1 + 1


def test_guaranteed_update_retries_when_the_key_changes_underneath(store):
    """A write that lands between try_update's read and the swap makes the store call try_update again with
    the new value, so neither write is lost."""
    store.create(key("a"), b"x")
    calls = []
    interfered = threading.Event()

    def interfere():
        store.guaranteed_update(key("a"), lambda cur: cur.value + b"B")
        interfered.set()

    def append_a(cur):
        calls.append(cur.value)
        if len(calls) == 1:
            t = threading.Thread(target=interfere, daemon=True)
            t.start()
            t.join(WAIT)  # a store that holds its lock while calling try_update makes this time out instead
        return cur.value + b"A"

    kv = store.guaranteed_update(key("a"), append_a)
    assert interfered.wait(WAIT), "the interfering update never finished"
    final = store.get(key("a")).value
    assert sorted(final[1:]) == [ord("A"), ord("B")], f"an update was lost: {final!r}"
    if final == b"xBA":  # the usual case: try_update ran without a lock held, so the swap failed once
        assert calls == [b"x", b"xB"], "try_update must be retried with the value that won the race"
        assert kv.value == b"xBA" and kv.mod_revision == store.current_revision()


def test_guaranteed_update_under_contention_counts_exactly(store):
    """8 threads × 50 increments of one JSON counter: exactly 400, in exactly 400 revisions."""
    store.create(key("counter"), b'{"n": 0}')
    start = store.current_revision()
    barrier = threading.Barrier(8, timeout=WAIT)

    def worker():
        barrier.wait()
        for _ in range(50):
            store.guaranteed_update(key("counter"), counter_update)

    run_threads([worker] * 8, timeout=30)
    kv = store.get(key("counter"))
    assert json.loads(kv.value) == {"n": 400}
    assert store.current_revision() == start + 400 == kv.mod_revision


def test_guaranteed_update_retries_even_when_compaction_removed_the_row_it_read(store):
    """Two updates and a compaction land while try_update runs: the rows the stale read points at are gone,
    but the swap must still fail and try_update run again, or the two updates are lost."""
    store.create(key("counter"), b'{"n": 0}')
    calls = []

    def interfere():
        store.guaranteed_update(key("counter"), counter_update)
        store.guaranteed_update(key("counter"), counter_update)
        store.compact(store.current_revision())

    def increment(cur):
        calls.append(cur.value)
        if len(calls) == 1:
            run_threads([interfere])
        return counter_update(cur)

    kv = store.guaranteed_update(key("counter"), increment)
    assert json.loads(store.get(key("counter")).value) == {"n": 3}, \
        f"lost update: try_update saw {calls}, the store kept {kv.value!r}"
    assert len(calls) == 2


def test_guaranteed_update_ignore_not_found_does_not_overwrite_a_create_after_compaction(store):
    """The key was deleted (a tombstone); while try_update(None) runs, compaction drops the tombstone and
    another writer creates the key. The swap must fail and try_update see the new object, not overwrite it
    as if it were a second create."""
    store.create(key("a"), b"old")
    start = store.delete(key("a")).mod_revision
    w = store.watch(PODS, from_revision=start)
    calls = []

    def interfere():
        store.compact(store.current_revision())
        store.create(key("a"), b"B")

    def update(cur):
        calls.append(cur)
        if len(calls) == 1:
            run_threads([interfere])
        return (cur.value if cur is not None else b"") + b"A"

    kv = store.guaranteed_update(key("a"), update, ignore_not_found=True)
    events = events_until(w, kv.mod_revision)
    w.stop()
    assert [(e.type, e.value) for e in events] == [(ADDED, b"B"), (MODIFIED, b"BA")], \
        f"the create by another writer was overwritten: {events}"
    assert kv.value == b"BA" and kv.create_revision == start + 1 and len(calls) == 2


def test_concurrent_create_of_one_key_has_one_winner(store):
    start = store.current_revision()
    barrier = threading.Barrier(8, timeout=WAIT)
    won, lost = [], []

    def worker(i):
        barrier.wait()
        try:
            won.append((i, store.create(key("only"), str(i).encode())))
        except AlreadyExistsError:
            lost.append(i)

    run_threads([lambda i=i: worker(i) for i in range(8)])
    assert len(won) == 1 and len(lost) == 7, f"winners {won}, losers {lost}"
    (i, rev), = won
    assert rev == start + 1 == store.current_revision()
    assert store.get(key("only")).value == str(i).encode()


# -- delete


def test_delete_returns_the_deleted_value_at_the_deletion_revision(store):
    r1 = store.create(key("a"), b"v1")
    kv = store.delete(key("a"))
    assert kv == KeyValue(key("a"), b"v1", create_revision=r1, mod_revision=r1 + 1)
    assert store.current_revision() == r1 + 1
    with pytest.raises(NotFoundError):
        store.get(key("a"))


def test_delete_missing_raises_not_found(store):
    start = store.current_revision()
    with pytest.raises(NotFoundError):
        store.delete(key("a"))
    assert store.current_revision() == start


def test_delete_precondition_refusal_keeps_the_key(store):
    r1 = store.create(key("a"), b"v1")
    seen = []

    def refuse(kv):
        seen.append(kv)
        raise ConflictError(kv.key)

    with pytest.raises(ConflictError):
        store.delete(key("a"), precondition=refuse)
    assert seen == [KeyValue(key("a"), b"v1", r1, r1)]
    assert store.get(key("a")).value == b"v1" and store.current_revision() == r1
    store.delete(key("a"), precondition=lambda kv: None)
    with pytest.raises(NotFoundError):
        store.get(key("a"))


# -- watch


def test_watch_reports_added_modified_deleted(store):
    w = store.watch(PODS)
    r1 = store.create(key("a"), b"v1")
    r2 = store.guaranteed_update(key("a"), lambda cur: b"v2").mod_revision
    r3 = store.delete(key("a")).mod_revision
    e1, e2, e3 = (next_event(w) for _ in range(3))
    assert e1 == Event(ADDED, key("a"), b"v1", r1, e1.prev_value) and e1.prev_value is None
    assert e2 == Event(MODIFIED, key("a"), b"v2", r2, prev_value=b"v1")
    assert (e3.type, e3.key, e3.value, e3.revision) == (DELETED, key("a"), b"v2", r3), \
        "a DELETED event carries the object as it was"
    assert e3.prev_value in (None, b"v2")
    w.stop()


def test_watch_only_sees_keys_under_its_prefix(store):
    w = store.watch(PODS)
    store.create("/registry/podsecurity/x", b"no")
    store.create("/registry/pods", b"no")
    store.create("/registry/services/default/a", b"no")
    rev = store.create(key("a"), b"yes")
    e = next_event(w)
    assert (e.key, e.revision) == (key("a"), rev)
    assert_no_event(w, 0.1)
    w.stop()


def test_watch_events_come_in_strictly_increasing_revision_order(store):
    w = store.watch("/registry/")
    revs = []
    for i in range(20):
        revs.append(store.create(key(f"k{i}", "/registry/pods/" if i % 2 else "/registry/configmaps/"), b"x"))
    events = events_until(w, revs[-1])
    assert [e.revision for e in events] == revs
    w.stop()


def test_watch_from_none_sees_only_later_changes(store):
    store.create(key("before"), b"x")
    w = store.watch(PODS)
    rev = store.create(key("after"), b"y")
    e = next_event(w)
    assert (e.type, e.key, e.revision) == (ADDED, key("after"), rev)
    w.stop()


def test_watch_from_revision_replays_history_after_it(store):
    """from_revision=N gives exactly the events with revision > N, including ones written before watch()."""
    revs = [store.create(key(f"k{i}"), b"x") for i in range(5)]
    revs.append(store.guaranteed_update(key("k0"), lambda cur: b"y").mod_revision)
    revs.append(store.delete(key("k1")).mod_revision)
    w = store.watch(PODS, from_revision=revs[2])
    later = store.create(key("k9"), b"z")
    events = events_until(w, later)
    assert [e.revision for e in events] == revs[3:] + [later]
    assert [e.type for e in events] == [ADDED, ADDED, MODIFIED, DELETED, ADDED]
    assert events[2].prev_value in (None, b"x") and events[3].value == b"x"
    w.stop()
    w0 = store.watch(PODS, from_revision=0)
    assert [e.revision for e in events_until(w0, later)] == revs + [later]
    w0.stop()


def test_list_then_watch_from_its_revision_has_no_gap_and_no_duplicate(store):
    """While another thread writes, a list and a watch from the list's revision together give every change
    exactly once: applying the events to the list reproduces the final state."""
    stop = threading.Event()
    done = []

    def writer():
        i = 0
        while not stop.is_set() and i < 2000:
            k = key(f"k{i % 7}")
            if i % 3 == 2:
                try:
                    store.delete(k)
                except NotFoundError:
                    pass
            else:
                store.guaranteed_update(k, lambda cur, i=i: str(i).encode(), ignore_not_found=True)
            i += 1
        done.append(i)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        time.sleep(0.02)
        listed = store.list(PODS)
        w = store.watch(PODS, from_revision=listed.revision)
        time.sleep(0.05)
    finally:
        stop.set()
        t.join(WAIT * 5)
    assert not t.is_alive() and done
    final = store.current_revision()
    state = {kv.key: kv.value for kv in listed.items}
    revs = []
    if final > listed.revision:
        for e in events_until(w, final):
            revs.append(e.revision)
            if e.type == DELETED:
                assert e.key in state, f"DELETED for a key the client does not have: {e}"
                del state[e.key]
            else:
                assert (e.type == ADDED) == (e.key not in state), f"wrong type for {e}"
                state[e.key] = e.value
    assert revs == list(range(listed.revision + 1, final + 1)), "every revision after the list exactly once"
    assert state == snapshot(store)
    w.stop()


def test_watch_from_a_compacted_revision_raises(store):
    store.create(key("a"), b"1")
    old = store.current_revision()
    store.guaranteed_update(key("a"), lambda cur: b"2")
    store.guaranteed_update(key("a"), lambda cur: b"3")
    store.compact(store.current_revision())
    with pytest.raises(CompactedError):
        store.watch(PODS, from_revision=old)
    with pytest.raises(CompactedError):
        store.watch(PODS, from_revision=store.current_revision() - 1)


def read_all(watcher, timeout=0.5):
    """Non-PROGRESS events until ``timeout`` passes without one; a StorageError ends the list (as its type)."""
    got = []
    while True:
        try:
            event = watcher.next(timeout=timeout)
        except StorageError as err:
            return got + [type(err).__name__]
        if event is None:
            return got
        if event.type != PROGRESS:
            got.append(event.type)


def test_watcher_does_not_silently_miss_events_compacted_before_delivery(store):
    """A compaction right after a create and a delete, before the watcher was handed the events: the watcher
    must still get ADDED and DELETED, or an error that makes its client relist; silence leaves the client
    with a stale (or missing) object forever."""
    w = store.watch(PODS)
    store.create(key("a"), b"1")
    store.delete(key("a"))
    store.compact(store.current_revision())
    got = read_all(w)
    w.stop()
    assert got == [ADDED, DELETED] or (got and got[-1] in ("CompactedError", "WatchTooSlowError")), \
        f"the watcher got {got}"


def test_stop_from_another_thread_unblocks_next(store):
    w = store.watch(PODS)
    result = {}

    def read():
        start = time.monotonic()
        result["event"] = w.next(timeout=5)
        result["took"] = time.monotonic() - start

    t = threading.Thread(target=read, daemon=True)
    t.start()
    time.sleep(0.1)
    w.stop()
    t.join(WAIT)
    assert not t.is_alive(), "next() stayed blocked after stop()"
    assert result["event"] is None and result["took"] < WAIT
    assert w.next(timeout=0.1) is None, "a stopped watcher keeps returning None"
    assert list(w) == []


def test_next_returns_none_on_timeout(store):
    w = store.watch(PODS)
    start = time.monotonic()
    event = w.next(timeout=0.1)
    assert event is None or event.type == PROGRESS
    assert time.monotonic() - start < 1
    w.stop()


def test_request_progress_sends_a_progress_event(store):
    w = store.watch(PODS)
    revs = [store.create(key(f"k{i}"), b"x") for i in range(3)]
    store.create("/registry/other/x", b"outside the prefix")
    w.request_progress()
    delivered = []
    deadline = time.monotonic() + WAIT
    while True:
        event = w.next(timeout=max(0.01, deadline - time.monotonic()))
        assert event is not None, "no PROGRESS event after request_progress()"
        if event.type == PROGRESS:
            break
        delivered.append(event.revision)
    assert all(r <= event.revision for r in delivered), f"PROGRESS {event.revision} after events {delivered}"
    assert event.revision <= store.current_revision()
    # and once the events are read, a progress event covers them all
    w.request_progress()
    event = w.next(timeout=WAIT)
    while event is not None and event.type != PROGRESS:
        event = w.next(timeout=WAIT)
    assert event is not None and event.revision >= revs[-1]
    w.stop()


def test_progress_events_arrive_when_idle(make_store):
    store = make_store(progress_interval=0.2)
    store.create(key("a"), b"1")
    start_rev = store.current_revision()
    w = store.watch(PODS, from_revision=start_rev)
    start = time.monotonic()
    progress = []
    while len(progress) < 2 and time.monotonic() - start < 1.5:
        event = w.next(timeout=0.5)
        if event is not None:
            assert event.type == PROGRESS, f"unexpected {event}"
            progress.append((time.monotonic() - start, event.revision))
    assert len(progress) >= 2, f"expected PROGRESS every 0.2 s when idle, got {progress}"
    assert all(start_rev <= rev <= store.current_revision() for _, rev in progress)
    w.stop()


def test_slow_watcher_is_closed_without_slowing_writes(make_store):
    """watch_buffer=10: a watcher that never reads while 100 writes land gets WatchTooSlowError; the writes
    are not held up and a watcher that keeps reading gets all 100 events."""
    store = make_store(watch_buffer=10)
    slow = store.watch(PODS)
    fast = store.watch(PODS)
    got = []
    cond = threading.Condition()
    stop = threading.Event()

    def read_fast():
        while not stop.is_set():
            event = fast.next(timeout=0.1)
            if event is not None and event.type != PROGRESS:
                with cond:
                    got.append(event)
                    cond.notify_all()

    write_time = []

    def write():
        # paced by the fast reader, so only the slow watcher falls behind
        for i in range(100):
            t0 = time.monotonic()
            store.create(key(f"k{i:03d}"), b"x")
            write_time.append(time.monotonic() - t0)
            with cond:
                assert cond.wait_for(lambda i=i: len(got) > i, timeout=WAIT), "the reading watcher fell behind"

    reader = threading.Thread(target=read_fast, daemon=True)
    reader.start()
    try:
        run_threads([write], timeout=20)
    finally:
        stop.set()
        reader.join(WAIT)
    assert sum(write_time) < 1.0, f"100 writes took {sum(write_time):.2f} s: a slow watcher held them up"
    assert [e.key for e in got] == [key(f"k{i:03d}") for i in range(100)]
    received = []
    with pytest.raises(WatchTooSlowError):
        for _ in range(11):
            event = slow.next(timeout=0.5)
            assert event is not None, f"next() returned None after {received}: the slow watcher was not closed"
            received.append(event)
    assert [e.revision for e in received] == sorted(e.revision for e in received)
    slow.stop()
    fast.stop()


# -- compaction


def test_compact_keeps_newest_values_and_refuses_older_reads(store):
    old_rev = store.create(key("old"), b"written long ago")
    store.create(key("gone"), b"x")
    store.create(key("a"), b"a1")
    for i in range(5):
        store.guaranteed_update(key("a"), lambda cur, i=i: f"a{i + 2}".encode())
    store.delete(key("gone"))
    mid = store.current_revision()
    expected_mid = snapshot(store)
    store.guaranteed_update(key("a"), lambda cur: b"after")
    store.create(key("new"), b"n")
    store.compact(mid)
    assert store.compacted_revision() == mid
    with pytest.raises(CompactedError):
        store.list(PODS, revision=mid - 1)
    with pytest.raises(CompactedError):
        store.list(PODS, revision=old_rev)
    with pytest.raises(CompactedError):
        store.watch(PODS, from_revision=mid - 1)
    at_mid = store.list(PODS, revision=mid)
    assert {kv.key: kv.value for kv in at_mid.items} == expected_mid == {
        key("old"): b"written long ago", key("a"): b"a6"}
    assert at_mid.items[1].mod_revision == old_rev
    assert snapshot(store) == {key("old"): b"written long ago", key("a"): b"after", key("new"): b"n"}
    assert store.get(key("old")) == KeyValue(key("old"), b"written long ago", old_rev, old_rev)
    with pytest.raises(NotFoundError):
        store.get(key("gone"))
    w = store.watch(PODS, from_revision=mid)
    assert [(e.type, e.key) for e in events_until(w, store.current_revision())] == [
        (MODIFIED, key("a")), (ADDED, key("new"))]
    w.stop()
    # history newer than the compaction point is still readable
    assert store.list(PODS, revision=mid + 1).items[0].value == b"after"


def test_compact_then_write_and_delete(store):
    store.create(key("a"), b"1")
    store.create(key("b"), b"1")
    store.compact(store.current_revision())
    r = store.create(key("c"), b"1")
    assert r == store.current_revision()
    store.delete(key("a"))
    store.guaranteed_update(key("b"), lambda cur: b"2")
    assert snapshot(store) == {key("b"): b"2", key("c"): b"1"}
    with pytest.raises(AlreadyExistsError):
        store.create(key("b"), b"again")


def test_periodic_compaction(make_store):
    store = make_store(compaction_interval=0.2)
    assert store.compacted_revision() == 0
    store.create(key("a"), b"1")
    store.guaranteed_update(key("a"), lambda cur: b"2")
    store.create(key("b"), b"1")
    store.delete(key("b"))
    rev = store.current_revision()
    deadline = time.monotonic() + 1.5
    while store.compacted_revision() < rev and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.compacted_revision() >= rev, "compaction_interval=0.2 did not compact within 1.5 s"
    with pytest.raises(CompactedError):
        store.list(PODS, revision=rev - 1)
    assert snapshot(store) == {key("a"): b"2"}


def test_sqlite_compaction_removes_old_rows(tmp_path):
    """Through a fresh sqlite3 connection: after compact(R) only each live key's newest row at R and the rows
    newer than R remain in the ``kv`` table."""
    path = str(tmp_path / "c.db")
    store = new_store("sqlite", path)
    try:
        start = store.current_revision()
        store.create(key("keep"), b"k")
        keep_rev = store.current_revision()
        store.create(key("a"), b"a1")
        for i in range(4):
            store.guaranteed_update(key("a"), lambda cur, i=i: f"a{i}".encode())
        a_rev = store.current_revision()
        store.create(key("gone"), b"g")
        store.guaranteed_update(key("gone"), lambda cur: b"g2")
        store.delete(key("gone"))
        compact_at = store.current_revision()
        later = [store.guaranteed_update(key("a"), lambda cur: b"later").mod_revision,
                 store.create(key("z"), b"z"), store.delete(key("keep")).mod_revision]
        db = sqlite3.connect(path)
        try:
            before = db.execute("SELECT count(*) FROM kv").fetchone()[0]
        finally:
            db.close()
        assert before == store.current_revision() - start, "every write is one row before compaction"
        store.compact(compact_at)
        db = sqlite3.connect(path)
        try:
            rows = db.execute("SELECT rev, key FROM kv ORDER BY rev").fetchall()
        finally:
            db.close()
        expected = [(keep_rev, key("keep")), (a_rev, key("a"))] + \
            [(later[0], key("a")), (later[1], key("z")), (later[2], key("keep"))]
        assert rows == expected, "compaction should keep only live keys' newest rows and newer history"
        assert store.list(PODS, revision=compact_at).items == [
            KeyValue(key("a"), b"a3", a_rev - 4, a_rev), KeyValue(key("keep"), b"k", keep_rev, keep_rev)]
    finally:
        store.close()


# -- wait_for_revision


def test_wait_for_revision(store):
    store.create(key("a"), b"1")
    current = store.current_revision()
    start = time.monotonic()
    assert store.wait_for_revision(current, timeout=1.0) is True
    assert store.wait_for_revision(current - 1, timeout=1.0) is True
    assert time.monotonic() - start < 0.5, "a reached revision must not wait"

    start = time.monotonic()
    assert store.wait_for_revision(current + 1, timeout=0.2) is False
    took = time.monotonic() - start
    assert 0.15 <= took < 1.0, f"returned False after {took:.2f} s instead of the 0.2 s timeout"

    timer = threading.Timer(0.1, lambda: store.create(key("b"), b"2"))
    timer.start()
    try:
        start = time.monotonic()
        assert store.wait_for_revision(current + 1, timeout=WAIT) is True
        assert time.monotonic() - start < 1.0
    finally:
        timer.join(WAIT)


# -- close


def test_close_ends_watchers_and_later_calls_fail(store):
    r1 = store.create(key("a"), b"1")
    w = store.watch(PODS)
    idle = store.watch(PODS, from_revision=r1)
    result = {}

    def read():
        try:
            result["event"] = w.next(timeout=5)
        except UnavailableError as e:
            result["event"] = e

    t = threading.Thread(target=read, daemon=True)
    t.start()
    time.sleep(0.1)
    store.close()
    t.join(WAIT)
    assert not t.is_alive(), "a blocked next() did not return on close()"
    assert result["event"] is None or isinstance(result["event"], UnavailableError)
    try:
        event = idle.next(timeout=1.0)
        while event is not None and event.type == PROGRESS:
            event = idle.next(timeout=1.0)
        assert event is None
    except UnavailableError:
        pass
    calls = {
        "create": lambda: store.create(key("b"), b"x"),
        "get": lambda: store.get(key("a")),
        "list": lambda: store.list(PODS),
        "guaranteed_update": lambda: store.guaranteed_update(key("a"), lambda cur: b"2"),
        "delete": lambda: store.delete(key("a")),
        "watch": lambda: store.watch(PODS),
        "compact": lambda: store.compact(r1),
        "check": lambda: store.check(),
    }
    for name, call in calls.items():
        with pytest.raises(UnavailableError):
            call()
            pytest.fail(f"{name} after close() did not raise UnavailableError")


# -- sqlite: durability


def test_sqlite_reopen_keeps_keys_values_and_revisions(sqlite_stores):
    store = sqlite_stores()
    for i in range(5):
        store.create(key(f"k{i}"), f"v{i}".encode())
    store.guaranteed_update(key("k1"), lambda cur: b"updated")
    past = store.current_revision()
    store.delete(key("k2"))
    store.create(key("k2"), b"again")
    before = store.list(PODS)
    rev = store.current_revision()
    store.close()

    reopened = sqlite_stores()
    assert reopened.current_revision() == rev
    assert reopened.list(PODS) == before
    assert reopened.get(key("k1")) == store_kv(before, key("k1"))
    assert snapshot(reopened, revision=past)[key("k2")] == b"v2", "history survives a reopen"
    assert reopened.create(key("k9"), b"x") == rev + 1, "the revision counter continues"


def store_kv(result, k):
    return next(kv for kv in result.items if kv.key == k)


def test_sqlite_revision_is_not_reused_after_deleting_the_last_key(sqlite_stores):
    store = sqlite_stores()
    store.create(key("a"), b"1")
    rev = store.delete(key("a")).mod_revision
    store.close()
    reopened = sqlite_stores()
    assert reopened.current_revision() == rev
    assert reopened.create(key("a"), b"2") == rev + 1


def test_sqlite_revision_is_not_reused_after_compaction_removed_the_newest_row(sqlite_stores):
    store = sqlite_stores()
    store.create(key("a"), b"1")
    store.create(key("b"), b"1")
    rev = store.delete(key("b")).mod_revision
    store.compact(rev)  # the tombstone at rev, the newest row, is gone
    store.close()
    reopened = sqlite_stores()
    assert reopened.current_revision() == rev
    assert reopened.create(key("b"), b"2") == rev + 1
    assert snapshot(reopened) == {key("a"): b"1", key("b"): b"2"}


def test_sqlite_acknowledged_writes_survive_sigkill(tmp_path):
    """A writer process prints ``ack <rev> <key> <sha1>`` after each write returns; after SIGKILL every acked
    write is in the database, and a watch replays them in order without gaps."""
    path = str(tmp_path / "killed.db")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "storage_writer.py"), path],
                            env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []

    def read():
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        first = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"writer exited: {proc.stderr.read()}"
            if lines and first is None:
                first = time.monotonic()
            if first is not None and time.monotonic() - first >= 1.0 and len(lines) >= 200:
                break
            time.sleep(0.02)
        else:
            pytest.fail(f"the writer acknowledged only {len(lines)} writes")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        reader.join(WAIT)
        proc.stdout.close()
        proc.stderr.close()
    acks = []
    for line in lines:
        if not line.endswith("\n"):
            continue  # cut off by the kill: not acknowledged
        word, rev, k, digest = line.split()
        assert word == "ack"
        acks.append((int(rev), k, digest))
    assert len(acks) >= 200
    revs = [rev for rev, _, _ in acks]
    assert revs == list(range(revs[0], revs[0] + len(revs))), "a single writer's revisions are consecutive"

    db = sqlite3.connect(path)  # every acked row, straight from the table
    try:
        rows = {rev: (k, deleted, value) for rev, k, deleted, value in db.execute(
            "SELECT rev, key, deleted, value FROM kv WHERE rev BETWEEN ? AND ?", (revs[0], revs[-1]))}
    finally:
        db.close()
    for rev, k, digest in acks:
        assert rev in rows, f"acked write {rev} of {k} is missing"
        assert rows[rev][:2] == (k, int(digest == "-")), f"row {rev} is not the acked write of {k}"
        assert digest == "-" or hashlib.sha1(rows[rev][2]).hexdigest() == digest, f"acked value at {rev} differs"

    store = new_store("sqlite", path)
    try:
        assert store.current_revision() >= revs[-1]
        prefix = "/registry/widgets/"
        for rev, k, digest in acks[::25] + acks[-5:]:  # and through the API, as of each write's revision
            items = [kv for kv in store.list(k, revision=rev).items if kv.key == k]
            if digest == "-":
                assert items == [], f"{k} was deleted at {rev}"
            else:
                assert len(items) == 1, f"acked write {rev} of {k} is missing"
                assert items[0].mod_revision == rev
                assert hashlib.sha1(items[0].value).hexdigest() == digest, f"acked value of {k} at {rev} differs"
        w = store.watch(prefix, from_revision=revs[0] - 1)
        events = events_until(w, revs[-1], timeout=10)
        w.stop()
        assert [e.revision for e in events] == revs, "the watch must replay every acked write in order"
        for e, (_, k, digest) in zip(events, acks):
            assert e.key == k
            if digest == "-":
                assert e.type == DELETED
            else:
                assert e.type in (ADDED, MODIFIED) and hashlib.sha1(e.value).hexdigest() == digest
    finally:
        store.close()


# -- events handed from the writer to the dispatcher (memory and sqlite), without reading them back


@pytest.mark.parametrize("backend", ["memory", "sqlite"], indirect=True)
def test_dispatched_events_equal_the_events_read_back(store):
    """Writers here hand their events to the dispatcher; a watcher must get exactly what reading the log gives."""
    start = store.current_revision()
    w = store.watch(PODS)
    store.create(key("a"), b"1")
    store.guaranteed_update(key("a"), lambda cur: b"2")
    store.delete(key("a"))
    store.create(key("a"), b"again")                                       # create over a tombstone
    store.guaranteed_update(key("b"), lambda cur: b"b1", ignore_not_found=True)   # update that creates
    store.delete(key("b"))
    store.guaranteed_update(key("b"), lambda cur: b"b2", ignore_not_found=True)   # ...over a tombstone
    last = store.current_revision()
    got = events_until(w, last)
    w.stop()
    assert got == store.events(start, last, PODS)
    assert [(e.type, e.value, e.prev_value) for e in got] == [
        (ADDED, b"1", None), (MODIFIED, b"2", b"1"), (DELETED, b"2", b"2"), (ADDED, b"again", None),
        (ADDED, b"b1", None), (DELETED, b"b1", b"b1"), (ADDED, b"b2", None)]


def test_sqlite_interleaved_writers_on_one_file_reach_every_watcher_in_order(sqlite_stores):
    """Revisions written by another store leave gaps among this store's own: its dispatcher reads those."""
    a, b = sqlite_stores(), sqlite_stores()
    wa, wb = a.watch(PODS), b.watch(PODS)
    revs = []
    for i in range(40):
        writer = a if i % 3 else b
        revs.append(writer.create(key(f"k{i}"), b"%d" % i))
    for w in (wa, wb):
        got = events_until(w, revs[-1])
        assert [(e.revision, e.key, e.value) for e in got] == [
            (rev, key(f"k{i}"), b"%d" % i) for i, rev in enumerate(revs)]
        w.stop()


# -- sqlite: two stores on one file (two processes)


def test_sqlite_write_through_one_store_is_visible_in_another(sqlite_stores):
    a, b = sqlite_stores(), sqlite_stores()
    rev = a.create(key("x"), b"from a")
    assert b.get(key("x")) == KeyValue(key("x"), b"from a", rev, rev)
    result = b.list(PODS)
    assert result.revision >= rev and [kv.key for kv in result.items] == [key("x")]
    assert b.wait_for_revision(rev, timeout=WAIT)
    with pytest.raises(AlreadyExistsError):
        b.create(key("x"), b"from b")
    rev2 = b.guaranteed_update(key("x"), lambda cur: cur.value + b" and b").mod_revision
    assert rev2 == rev + 1
    assert a.get(key("x")).value == b"from a and b"


def test_sqlite_watcher_sees_writes_of_another_store(sqlite_stores):
    a, b = sqlite_stores(), sqlite_stores()
    w = b.watch(PODS)
    start = time.monotonic()
    rev = a.create(key("x"), b"from a")
    e = next_event(w, timeout=1.5)
    assert time.monotonic() - start < 1.5
    assert (e.type, e.key, e.value, e.revision) == (ADDED, key("x"), b"from a", rev)
    rev2 = a.guaranteed_update(key("x"), lambda cur: b"changed").mod_revision
    e = next_event(w, timeout=1.5)
    assert (e.type, e.value, e.revision) == (MODIFIED, b"changed", rev2)
    w.stop()


def test_sqlite_watcher_of_another_store_sees_a_delete_compacted_right_away(sqlite_stores):
    """Store A deletes a key and compacts at once, between two polls of store B: B's watcher, which saw the
    ADDED, must get the DELETED (or an error making its client relist), not silence."""
    a, b = sqlite_stores(), sqlite_stores()
    w = b.watch(PODS)
    a.create(key("x"), b"1")
    assert next_event(w, timeout=1.5).type == ADDED
    a.delete(key("x"))
    a.compact(a.current_revision())
    got = read_all(w, timeout=1.0)
    w.stop()
    assert got == [DELETED] or (got and got[-1] in ("CompactedError", "WatchTooSlowError")), \
        f"B's watcher got {got} after A's delete and compaction"


def test_sqlite_reads_see_every_write_of_another_store_at_once(sqlite_stores):
    """Each store keeps recently read rows in memory; a commit by the other store must make them stale at once."""
    a, b = sqlite_stores(), sqlite_stores()
    rng = random.Random(7)
    model = {}
    for step in range(300):
        writer, reader = (a, b) if rng.random() < 0.5 else (b, a)
        k = key(f"k{rng.randrange(4)}")
        reader.get(k) if k in model else None   # the reader caches what it saw
        action = rng.choice(["create", "update", "delete"])
        try:
            if action == "create":
                writer.create(k, b"c%d" % step)
                model[k] = b"c%d" % step
            elif action == "update":
                writer.guaranteed_update(k, lambda cur, s=step: b"u%d" % s, ignore_not_found=True)
                model[k] = b"u%d" % step
            else:
                writer.delete(k)
                model.pop(k)
        except (AlreadyExistsError, NotFoundError):
            pass
        for store in (a, b):
            for name in ("k0", "k1", "k2", "k3"):
                if key(name) in model:
                    assert store.get(key(name)).value == model[key(name)], (step, action, name)
                else:
                    with pytest.raises(NotFoundError):
                        store.get(key(name))


READ_WHILE_OTHERS_OPEN = """
import sys, time
from apiserver.storage import new_store
first = new_store("sqlite", sys.argv[1])
store = new_store("sqlite", sys.argv[1])        # two stores of one process on the file; one closes
store.create("/registry/configmaps/default/x", b"v")
first.close()
print("ready", flush=True)
end = time.monotonic() + 3
n = 0
while time.monotonic() < end:
    assert store.get("/registry/configmaps/default/x").value == b"v"     # from the map and the cache
    n += 1
    store.guaranteed_update("/registry/configmaps/default/n", lambda cur: b"%d" % n, ignore_not_found=True)
    assert [kv.key for kv in store.list("/registry/configmaps/default/").items][-1].endswith("/x")
store.close()
print("done", flush=True)
"""


def test_sqlite_process_reading_from_its_cache_survives_others_opening_the_file(db_path):
    """The row cache maps the -shm file; if that ever dropped SQLite's locks on it (closing any descriptor of
    the file does, also when another store of the process closes), the next process to open the database would
    truncate the file under the map and the reader would die of SIGBUS."""
    reader = subprocess.Popen([sys.executable, "-c", READ_WHILE_OTHERS_OPEN, db_path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert reader.stdout.readline().strip() == "ready"
    for i in range(5):
        other = new_store("sqlite", db_path)
        assert other.get("/registry/configmaps/default/x").value == b"v"
        other.create(f"/registry/configmaps/default/o{i}", b"o")
        other.close()
        time.sleep(0.1)
    out, err = reader.communicate(timeout=20)
    assert reader.returncode == 0 and out.strip() == "done", (reader.returncode, err)


def test_sqlite_repeated_reads_come_from_memory(sqlite_stores):
    store = sqlite_stores()
    rev = store.create(key("x"), b"v")
    assert store.get(key("x")) == KeyValue(key("x"), b"v", rev, rev)
    cached = store._cache.get(key("x"))
    assert cached is not store._cache.MISS and cached.value == b"v"
    store.compact(store.current_revision())
    assert store._cache.get(key("x")) is store._cache.MISS   # compaction may drop rows: start over
    assert store.get(key("x")).value == b"v"


def test_sqlite_cas_across_two_stores_counts_exactly(sqlite_stores):
    a, b = sqlite_stores(), sqlite_stores()
    a.create(key("counter"), b'{"n": 0}')
    start = a.current_revision()
    barrier = threading.Barrier(2, timeout=WAIT)

    def worker(store):
        barrier.wait()
        for _ in range(50):
            store.guaranteed_update(key("counter"), counter_update)

    run_threads([lambda: worker(a), lambda: worker(b)], timeout=30)
    assert json.loads(a.get(key("counter")).value) == {"n": 100}
    assert json.loads(b.get(key("counter")).value) == {"n": 100}
    assert a.current_revision() == start + 100
    assert b.wait_for_revision(start + 100, timeout=WAIT)


def test_sqlite_concurrent_create_across_two_stores_has_one_winner(sqlite_stores):
    a, b = sqlite_stores(), sqlite_stores()
    barrier = threading.Barrier(2, timeout=WAIT)
    won, lost = [], []

    def worker(store, name):
        barrier.wait()
        try:
            won.append(store.create(key("only"), name))
        except AlreadyExistsError:
            lost.append(name)

    run_threads([lambda: worker(a, b"a"), lambda: worker(b, b"b")])
    assert len(won) == 1 and len(lost) == 1
    assert a.get(key("only")).value == b.get(key("only")).value != lost[0]


def test_sqlite_file_shrinks_after_compaction(tmp_path):
    """Compaction gives pages back (auto_vacuum=INCREMENTAL), so the file does not grow without bound."""
    import os

    from apiserver.storage import new_store
    path = str(tmp_path / "shrink.db")
    store = new_store("sqlite", path)
    try:
        value = b"x" * 4000
        for round_ in range(5):
            for i in range(200):
                key = f"/registry/configmaps/default/cm-{i}"
                if round_ == 0:
                    store.create(key, value)
                else:
                    store.guaranteed_update(key, lambda kv, r=round_: value + str(r).encode())
        store._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = os.path.getsize(path)
        store.compact(store.current_revision())
        store._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = os.path.getsize(path)
        assert after < before * 0.5, (before, after)
    finally:
        store.close()
