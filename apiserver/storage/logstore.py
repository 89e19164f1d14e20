"""The store semantics shared by the embedded backends (memory and sqlite): an append-only log of rows.

Each create, update and delete appends one row whose number is the global revision; a key's current value
is its newest row; a delete appends a tombstone (carrying the deleted value, for DELETED events). A row
records the revision of the key's previous row (``prev``), and appending is a compare-and-swap on it: two
writers that read the same ``prev`` cannot both append. Backends provide the rows; this class provides the
contract of ``interface.Store`` on top, plus watch fan-out and periodic compaction.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from typing import List, NamedTuple, Optional, Tuple

from apiserver import logs
from apiserver.storage.interface import (
    ADDED,
    DELETED,
    MODIFIED,
    AlreadyExistsError,
    CompactedError,
    Event,
    KeyValue,
    ListResult,
    NotFoundError,
    Precondition,
    Store,
    TooLargeRevisionError,
    TryUpdate,
    UnavailableError,
    Watcher,
)
from apiserver.storage.watch import Dispatcher

log = logs.get_logger(__name__)


class Row(NamedTuple):   # a tuple: made for every row a list reads
    rev: int
    key: str
    created: int        # revision that created this incarnation of the key
    prev: int           # revision of the key's previous row, 0 for none
    deleted: bool
    value: bytes

    def key_value(self) -> KeyValue:
        return KeyValue(self.key, self.value, self.created, self.rev)

    def event(self, prev_value: Optional[bytes]) -> Event:
        if self.deleted:
            kind = DELETED
        elif self.created == self.rev:
            kind = ADDED
        else:
            kind = MODIFIED
        return Event(kind, self.key, self.value, self.rev, prev_value)


class CASConflict(Exception):
    """Another writer appended to this key after we read it."""


class LogStore(Store):
    """``interface.Store`` over a backend's rows; subclasses implement the ``_``-prefixed primitives."""

    def __init__(self, *, watch_buffer: int = 1000, progress_interval: float = 5.0,
                 poll_interval: Optional[float] = None, compaction_interval: float = 0.0, name: str = "storage"):
        self._write_lock = threading.Lock()   # one writer at a time in this process: no "database is locked"
        self._closed = False
        self._dispatcher = Dispatcher(self, buffer_size=watch_buffer, progress_interval=progress_interval,
                                      poll_interval=poll_interval, name=name)
        self._compactor = None
        if compaction_interval > 0:
            self._compactor = Compactor(self, compaction_interval)

    # -- primitives a backend provides

    @abstractmethod
    def _latest(self, key: str) -> Optional[Row]:
        """The key's newest row (a tombstone if it was deleted last), or None."""

    @abstractmethod
    def _append(self, key: str, value: bytes, prev: int, created: Optional[int], deleted: bool) -> int:
        """Append a row (``created=None``: this row creates the key); CASConflict if ``prev`` is stale."""

    @abstractmethod
    def _range(self, prefix: str, revision: int, start_after: Optional[str],
               limit: Optional[int]) -> Tuple[List[Row], bool, int]:
        """Live rows under ``prefix`` as of ``revision`` in key order: (rows, more, remaining)."""

    @abstractmethod
    def _events(self, after: int, upto: int, prefix: Optional[str], limit: Optional[int]) -> List[Event]:
        """Events with revisions in (after, upto], oldest first, optionally under ``prefix``."""

    @abstractmethod
    def _compact(self, revision: int) -> None:
        """Drop rows not needed to read at ``revision`` or later, and record the compaction point."""

    # -- the contract

    def _live(self):
        if self._closed:
            raise UnavailableError("storage is closed")

    def create(self, key: str, value: bytes) -> int:
        self._live()
        prev = 0  # first try as a new key: one statement in the common case
        while True:
            with self._write_lock:
                try:
                    rev = self._append(key, value, prev, None, False)
                except CASConflict:
                    row = self._latest(key)  # the key has rows: live (exists) or a tombstone (create after it)
                    if row is not None and not row.deleted:
                        raise AlreadyExistsError(key) from None
                    prev = row.rev if row else 0
                    continue
                self._dispatcher.record(Event(ADDED, key, value, rev, None))
            self._dispatcher.wake(rev)
            return rev

    def get(self, key: str, min_revision: Optional[int] = None) -> KeyValue:
        self._live()
        if min_revision:
            current = self.current_revision()
            if min_revision > current:
                raise TooLargeRevisionError(min_revision, current)
        row = self._latest(key)
        if row is None or row.deleted:
            raise NotFoundError(key)
        return row.key_value()

    def list(self, prefix: str, revision: Optional[int] = None, limit: Optional[int] = None,
             start_after: Optional[str] = None) -> ListResult:
        self._live()
        if limit is not None and limit <= 0:
            limit = None  # as upstream: limit=0 means no limit
        current = self.current_revision()
        if revision is None or revision == 0:
            revision = current
        elif revision > current:
            raise TooLargeRevisionError(revision, current)
        compacted = self.compacted_revision()
        if revision < compacted:
            raise CompactedError(revision, compacted)
        rows, more, remaining = self._range(prefix, revision, start_after, limit)
        if self.compacted_revision() > revision:  # compacted while we read: the snapshot may be incomplete
            raise CompactedError(revision, self.compacted_revision())
        return ListResult([r.key_value() for r in rows], revision, more, remaining)

    def guaranteed_update(self, key: str, try_update: TryUpdate, precondition: Optional[Precondition] = None,
                          ignore_not_found: bool = False) -> KeyValue:
        self._live()
        while True:
            row = self._latest(key)
            current = row.key_value() if row is not None and not row.deleted else None
            if current is None and not ignore_not_found:
                raise NotFoundError(key)
            if current is not None and precondition is not None:
                precondition(current)
            value = try_update(current)
            if value is None:
                if current is None:
                    raise NotFoundError(key)
                return current
            if current is not None and value == current.value:
                return current
            with self._write_lock:
                try:
                    rev = self._append(key, value, row.rev if row else 0,
                                       current.create_revision if current else None, False)
                except CASConflict:
                    continue
                self._dispatcher.record(Event(MODIFIED, key, value, rev, current.value) if current is not None
                                        else Event(ADDED, key, value, rev, None))
            self._dispatcher.wake(rev)
            return KeyValue(key, value, current.create_revision if current else rev, rev)

    def delete(self, key: str, precondition: Optional[Precondition] = None) -> KeyValue:
        self._live()
        while True:
            row = self._latest(key)
            if row is None or row.deleted:
                raise NotFoundError(key)
            if precondition is not None:
                precondition(row.key_value())
            with self._write_lock:
                try:
                    rev = self._append(key, row.value, row.rev, row.created, True)
                except CASConflict:
                    continue
                self._dispatcher.record(Event(DELETED, key, row.value, rev, row.value))
            self._dispatcher.wake(rev)
            return KeyValue(key, row.value, row.created, rev)

    def watch(self, prefix: str, from_revision: Optional[int] = None) -> Watcher:
        self._live()
        return self._dispatcher.watch(prefix, from_revision)

    def events(self, after: int, upto: int, prefix: Optional[str], limit: Optional[int] = None) -> List[Event]:
        """Events with revisions in (after, upto], oldest first (the dispatcher's source)."""
        return self._events(after, upto, prefix, limit)

    def compact(self, revision: int) -> None:
        self._live()
        current = self.current_revision()
        if revision > current:
            raise TooLargeRevisionError(revision, current)
        compacted = self.compacted_revision()
        if revision < compacted:
            raise CompactedError(revision, compacted)
        # Watchers here must have their events before the rows go: let the dispatcher catch up first.
        self._dispatcher.wake()
        self._dispatcher.wait_for(revision, 5.0)
        self._compact(revision)

    def wait_for_revision(self, revision: int, timeout: float) -> bool:
        if revision <= self._dispatcher.dispatched or revision <= self.current_revision():
            return True
        self._dispatcher.wake()
        return self._dispatcher.wait_for(revision, timeout)

    def check(self) -> None:
        self._live()
        self.current_revision()

    def close(self) -> None:
        if self._closed:
            return
        if self._compactor is not None:
            self._compactor.stop()
        self._dispatcher.close()
        self._closed = True


class Compactor:
    """Every ``interval``, compact to the revision that was current one interval ago.

    So history (for watches that resume and paged lists) is always kept for at least one interval, as
    upstream's compactor does with etcd (``--etcd-compaction-interval``).
    """

    def __init__(self, store: LogStore, interval: float):
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storage-compactor", daemon=True)
        self._thread.start()

    def _run(self):
        last = self.store.current_revision()
        while not self._stop.wait(self.interval):
            try:
                if last > self.store.compacted_revision():
                    self.store.compact(last)
                    log.info("compacted storage", revision=last)
                last = self.store.current_revision()
            except Exception as err:  # noqa: BLE001 - try again next interval
                log.warning("compaction failed", error=str(err))

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
