"""Property test: random sequences of operations give the same results on the memory and the sqlite backend.

Both stores get the same operations in lockstep (create, guaranteed_update, refused preconditions, delete, get,
paged lists at past revisions, compaction); each step must return the same value or raise the same error type.
At the end the revisions, the full list and the events of a watcher started at revision 0 must agree too.
"""

import os
import tempfile

import pytest

pytest.importorskip("hypothesis", reason="hypothesis is not installed (the minimal environment has only pytest)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apiserver.storage import new_store  # noqa: E402
from apiserver.storage.interface import PROGRESS, ConflictError, StorageError  # noqa: E402

KEYS = [f"{prefix}{name}" for prefix in ("/registry/pods/", "/registry/podsecurity/") for name in "abc"]
PREFIXES = ["/registry/pods/", "/registry/podsecurity/", "/registry/pods", "/registry/", "/registry/pods/b"]
WAIT = 2.0

keys = st.sampled_from(KEYS)
values = st.sampled_from([b"1", b"2", b"3"])  # few values, so updates that change nothing happen too

operations = st.one_of(
    st.tuples(st.just("create"), keys, values),
    st.tuples(st.just("update"), keys, st.one_of(st.none(), values), st.booleans()),
    st.tuples(st.just("update_refused"), keys),
    st.tuples(st.just("delete"), keys, st.booleans()),
    st.tuples(st.just("get"), keys, st.one_of(st.none(), st.integers(-1, 1))),
    st.tuples(st.just("list"), st.sampled_from(PREFIXES), st.one_of(st.none(), st.integers(-1, 6)),
              st.sampled_from([None, 1, 2, 3])),
    st.tuples(st.just("compact"), st.integers(0, 100)),
)


def refuse(kv):
    raise ConflictError(kv.key, "refused")


def paged_list(store, prefix, back, limit):
    """A list at ``current - back`` (None: now), every page of it when ``limit`` is set."""
    revision = None
    if back is not None:
        revision = store.current_revision() - back
        if revision < 1:
            revision = None
    page = store.list(prefix, revision=revision, limit=limit)
    pages = [page]
    while page.more:
        assert len(pages) <= len(KEYS), "paging does not end"
        page = store.list(prefix, revision=pages[0].revision, limit=limit, start_after=page.items[-1].key)
        pages.append(page)
    return pages


def run(store, op):
    kind = op[0]
    if kind == "create":
        return store.create(op[1], op[2])
    if kind == "update":
        _, key, value, ignore_not_found = op
        return store.guaranteed_update(key, lambda cur: value, ignore_not_found=ignore_not_found)
    if kind == "update_refused":
        return store.guaranteed_update(op[1], lambda cur: b"never", precondition=refuse)
    if kind == "delete":
        return store.delete(op[1], precondition=refuse if op[2] else None)
    if kind == "get":
        offset = op[2]
        return store.get(op[1], min_revision=None if offset is None else store.current_revision() + offset)
    if kind == "list":
        return paged_list(store, *op[1:])
    if kind == "compact":
        compacted, current = store.compacted_revision(), store.current_revision()
        # Let the watchers be handed every event first: a watcher lagging behind a compaction loses events
        # (test_storage.py::test_watcher_does_not_silently_miss_events_compacted_before_delivery), which is a
        # race, not what this test compares.
        assert store.wait_for_revision(current, WAIT)
        return store.compact(compacted + (current - compacted) * op[1] // 100)
    raise AssertionError(f"unknown operation {op}")


def outcome(store, op):
    try:
        return "ok", run(store, op)
    except StorageError as err:
        return "error", type(err).__name__


def events_upto(watcher, revision):
    events = []
    while not events or events[-1].revision < revision:
        event = watcher.next(timeout=WAIT)
        assert event is not None, f"no event up to {revision}; got {events}"
        if event.type != PROGRESS:
            events.append(event)
    return events


def watch_outcome(store, from_revision):
    try:
        watcher = store.watch("/registry/", from_revision=from_revision)
    except StorageError as err:
        return "error", type(err).__name__
    try:
        current = store.current_revision()
        return "ok", events_upto(watcher, current) if current > from_revision else []
    finally:
        watcher.stop()


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operations, max_size=30))
def test_memory_and_sqlite_agree(ops):
    with tempfile.TemporaryDirectory() as tmp:
        memory = new_store("memory")
        sqlite = new_store("sqlite", os.path.join(tmp, "store.db"))
        try:
            assert memory.current_revision() == sqlite.current_revision() == 0
            watchers = [memory.watch("/registry/", from_revision=0), sqlite.watch("/registry/", from_revision=0)]
            for i, op in enumerate(ops):
                expected = outcome(memory, op)
                got = outcome(sqlite, op)
                assert got == expected, f"step {i} {op}: memory {expected}, sqlite {got}"
                assert sqlite.current_revision() == memory.current_revision(), f"after step {i} {op}"
            current = memory.current_revision()
            assert sqlite.compacted_revision() == memory.compacted_revision()
            assert sqlite.list("/registry/") == memory.list("/registry/")
            if current > 0:
                streams = [events_upto(w, current) for w in watchers]
                assert streams[1] == streams[0], "the watchers from revision 0 saw different events"
                assert [e.revision for e in streams[0]] == list(range(1, current + 1))
            compacted = memory.compacted_revision()
            for start in sorted({0, compacted}):
                assert watch_outcome(sqlite, start) == watch_outcome(memory, start), f"watch from {start}"
        finally:
            memory.close()
            sqlite.close()
