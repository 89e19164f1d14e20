"""Watch fan-out: one dispatcher per store delivers events, in revision order, to every watcher.

The dispatcher reads new events from the store's log (``source.events(after, upto)``) when a writer in this
process wakes it, or every ``poll_interval`` for writers in other processes, and appends them to each
matching watcher's bounded buffer. A watcher that falls ``buffer_size`` events behind is closed with
WatchTooSlowError: it never blocks writers or other watchers, and memory stays bounded.
"""

from __future__ import annotations

import collections
import threading
import time
from abc import ABC, abstractmethod
from typing import Dict, List, Optional

from apiserver import logs
from apiserver.storage.interface import (
    PROGRESS,
    CompactedError,
    Event,
    UnavailableError,
    Watcher,
    WatchTooSlowError,
)

log = logs.get_logger(__name__)


class _Watcher(Watcher):
    __slots__ = ("prefix", "after", "_dispatcher", "_cond", "_events", "_error", "_stopped", "progress_requested",
                 "_limit", "_history", "on_ready")

    def __init__(self, dispatcher: WatcherSet, prefix: str, after: int, history: List[Event], limit: int):
        self.prefix = prefix
        self.after = after              # live events at or below this revision came from history
        self._dispatcher = dispatcher
        self._cond = threading.Condition(threading.Lock())
        self._events = collections.deque(history)
        self._error: Optional[Exception] = None
        self._stopped = False
        self.progress_requested = False
        self._limit = limit
        self._history = len(history)  # history is delivered whole; the bound applies to live events
        self.on_ready = None          # called (by the dispatcher) after events or an error arrive

    def deliver(self, events: List[Event]) -> bool:
        """Append events (called by the dispatcher); False if the watcher is closed for being too slow."""
        with self._cond:
            if self._stopped or self._error is not None:
                return False
            if events and events[0].type == PROGRESS and self._events and self._events[-1].type == PROGRESS:
                self._events[-1] = events[0]  # an unread progress note is replaced, not queued
                accepted = True
            elif len(self._events) - self._history + len(events) > self._limit:
                self._error = WatchTooSlowError(
                    f"watcher on {self.prefix!r} fell more than {self._limit} events behind and was closed")
                accepted = False
            else:
                self._events.extend(events)
                accepted = True
            self._cond.notify_all()
        if self.on_ready is not None:
            self.on_ready()
        return accepted

    def fail(self, error: Exception):
        with self._cond:
            if self._error is None:
                self._error = error
            self._cond.notify_all()
        if self.on_ready is not None:
            self.on_ready()

    def next(self, timeout: Optional[float] = None) -> Optional[Event]:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._events:
                if self._stopped:
                    return None
                if self._error is not None:
                    raise self._error
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)
            if self._history:
                self._history -= 1
            return self._events.popleft()

    def request_progress(self) -> None:
        self.progress_requested = True
        self._dispatcher.wake(progress=True)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._events.clear()
            self._cond.notify_all()
        self._dispatcher.remove(self)


class WatcherSet(ABC):
    """Watchers by key prefix, and what every dispatcher does with them: add and remove, fan events out in
    revision order, progress notes, wait for a revision, end them all. A subclass finds the events (the log of an
    embedded store, an etcd watch stream) and calls ``_fan_out`` with ``_lock`` held."""

    def __init__(self, buffer_size: int, dispatched: int):
        self.buffer_size = buffer_size
        self._lock = threading.Lock()                # watchers and the dispatched revision
        self._cond = threading.Condition(self._lock)
        self._watchers: Dict[str, List[_Watcher]] = {}
        self._dispatched = dispatched
        self._closed = False

    @property
    def dispatched(self) -> int:
        return self._dispatched

    @abstractmethod
    def wake(self, revision: Optional[int] = None, progress: bool = False):
        """A writer of this store reached ``revision``, or a watcher asked for progress (``progress``)."""

    def wait_for(self, revision: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._dispatched >= revision or self._closed, timeout) \
                and self._dispatched >= revision

    def _add(self, prefix: str, after: int, history: List[Event]) -> _Watcher:
        """A new watcher (``_lock`` held): ``history`` first, then live events after ``after``."""
        watcher = _Watcher(self, prefix, after, history, self.buffer_size)
        self._watchers.setdefault(prefix, []).append(watcher)
        return watcher

    def remove(self, watcher: _Watcher):
        with self._lock:
            group = self._watchers.get(watcher.prefix)
            if group and watcher in group:
                group.remove(watcher)
                if not group:
                    del self._watchers[watcher.prefix]

    def _fan_out(self, events: List[Event]):
        """Hand ``events`` (revision order, ``_lock`` held) to each watcher whose prefix they are under; a
        watcher too far behind is dropped (it has failed with WatchTooSlowError)."""
        for prefix, watchers in list(self._watchers.items()):
            matching = [e for e in events if e.key.startswith(prefix)]
            if not matching:
                continue
            for watcher in list(watchers):
                batch = matching if matching[0].revision > watcher.after else \
                    [e for e in matching if e.revision > watcher.after]
                if batch and not watcher.deliver(batch):
                    watchers.remove(watcher)
                    log.info("watcher closed: too slow", prefix=prefix)
            if not watchers:
                self._watchers.pop(prefix, None)

    def _send_progress(self, everyone: bool):
        """A progress note at the dispatched revision to every watcher, or to those that asked for one."""
        with self._lock:
            revision = self._dispatched
            for watchers in self._watchers.values():
                for watcher in watchers:
                    if everyone or watcher.progress_requested:
                        watcher.progress_requested = False
                        watcher.deliver([Event(PROGRESS, "", b"", max(revision, watcher.after))])

    def _take_all(self, closing: bool = False) -> List[_Watcher]:
        """Every watcher, no longer registered (``_lock`` held); the caller fails them outside the lock."""
        if closing:
            self._closed = True
            self._cond.notify_all()
        watchers = [w for group in self._watchers.values() for w in group]
        self._watchers.clear()
        return watchers


class Dispatcher(WatcherSet):
    """Reads the store's log in revision order and fans events out to watchers by key prefix."""

    def __init__(self, source, buffer_size: int = 1000, progress_interval: float = 5.0,
                 poll_interval: Optional[float] = None, name: str = "storage"):
        super().__init__(buffer_size, source.current_revision())
        self.source = source
        self.progress_interval = progress_interval
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._hint = 0          # the newest revision a writer in this process reported
        # Events writers in this process recorded, by revision: dispatched without reading them back. Writers
        # add (under the store's write lock), the dispatcher thread pops; single dict operations need no lock.
        self._local: Dict[int, Event] = {}
        self._progress_wanted = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-watch-dispatcher", daemon=True)
        self._thread.start()

    def wake(self, revision: Optional[int] = None, progress: bool = False):
        """Dispatch soon; a writer in this process passes the revision it wrote, which spares a read. A progress
        request reads the store's revision instead: writers in other processes may be ahead of the hint."""
        if revision is not None and revision > self._hint:
            self._hint = revision
        if progress:
            self._progress_wanted = True
        self._wake.set()

    def record(self, event: Event):
        """A writer in this process wrote ``event`` (called in revision order, under the store's write lock)."""
        self._local[event.revision] = event

    def _local_events(self, upto: int) -> Optional[List[Event]]:
        """The events after the dispatched revision up to ``upto`` when writers here recorded every one of them;
        None when any is missing (a write by another process, or too many to take at once)."""
        local = self._local
        revisions = range(self._dispatched + 1, upto + 1)
        if len(revisions) > 1000 or any(rev not in local for rev in revisions):
            return None
        return [local.pop(rev) for rev in revisions]

    def _forget_local(self, upto: int):
        for rev in [rev for rev in list(self._local) if rev <= upto]:
            self._local.pop(rev, None)

    def watch(self, prefix: str, from_revision: Optional[int]) -> Watcher:
        with self._lock:
            if self._closed:
                raise UnavailableError("storage is closed")
            if from_revision is None:
                after = max(self.source.current_revision(), self._dispatched)
                history: List[Event] = []
            else:
                compacted = self.source.compacted_revision()
                if from_revision < compacted:
                    raise CompactedError(from_revision, compacted)
                after = from_revision
                history = self.source.events(from_revision, self._dispatched, prefix) \
                    if from_revision < self._dispatched else []
            return self._add(prefix, max(after, self._dispatched), history)

    def close(self):
        with self._lock:
            watchers = self._take_all(closing=True)
        self._wake.set()
        for watcher in watchers:
            watcher.fail(UnavailableError("storage is closed"))
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # -- the dispatcher thread

    def _run(self):
        last_progress = time.monotonic()
        while not self._closed:
            timeout = self.progress_interval
            if self.poll_interval is not None:
                timeout = min(timeout, self.poll_interval)
            woken = self._wake.wait(timeout)
            self._wake.clear()
            if self._closed:
                return
            try:
                hint, progress_wanted = self._hint, self._progress_wanted
                self._progress_wanted = False
                delivered = self._dispatch_new(hint if woken and hint > self._dispatched and not progress_wanted
                                               else None)
            except Exception as err:  # noqa: BLE001 - a broken read must not kill fan-out for good
                if self._closed:
                    return
                log.error("watch dispatch failed", error=str(err))
                time.sleep(0.1)
                continue
            now = time.monotonic()
            periodic = not delivered and now - last_progress >= self.progress_interval
            if delivered:
                last_progress = now
            self._send_progress(periodic)
            if periodic:
                last_progress = now

    def _dispatch_new(self, known: Optional[int] = None) -> bool:
        """Deliver events up to the store's revision: ``known`` (from a local writer) or read from the store,
        which is also when compaction by another process is noticed."""
        delivered = False
        while True:
            current = known if known is not None else self.source.current_revision()
            if current <= self._dispatched:
                return delivered
            compacted = self.source.compacted_revision() if known is None else 0
            if compacted > self._dispatched:
                # Another process compacted rows this dispatcher had not read: events may be missing, so
                # every watcher ends with "too old" and its client lists again, as with a compacted etcd.
                self._expire_all(CompactedError(self._dispatched, compacted))
                with self._lock:
                    self._dispatched = max(self._dispatched, compacted)
                continue
            events = self._local_events(current) if known is not None else None
            if events is None:
                events = self.source.events(self._dispatched, current, None, limit=1000)
                upto = events[-1].revision if len(events) == 1000 else current
                self._forget_local(upto)
            else:
                upto = current
            with self._lock:
                self._fan_out(events)
                self._dispatched = max(self._dispatched, upto)
                self._cond.notify_all()
            delivered = delivered or bool(events)

    def _expire_all(self, error: Exception):
        with self._lock:
            watchers = self._take_all()
        for watcher in watchers:
            watcher.fail(error)
        log.warning("watchers expired: history they needed was compacted", count=len(watchers))
