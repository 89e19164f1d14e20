"""The in-memory backend: the same log semantics as sqlite in dicts and lists, for fast tests."""

from __future__ import annotations

import bisect
import threading
from typing import Dict, List, Optional, Tuple

from apiserver.storage.interface import Event, prefix_end
from apiserver.storage.logstore import CASConflict, LogStore, Row


class MemoryStore(LogStore):
    def __init__(self, **options):
        self._lock = threading.RLock()
        self._history: Dict[str, List[Row]] = {}   # key → its rows, oldest first
        self._keys: List[str] = []                  # every key with rows, sorted
        self._log: List[Row] = []                   # every row, in revision order
        self._by_rev: Dict[int, Row] = {}
        self._revision = 0
        self._compacted = 0
        super().__init__(name="memory", **options)

    def current_revision(self) -> int:
        return self._revision

    def compacted_revision(self) -> int:
        return self._compacted

    def _latest(self, key: str) -> Optional[Row]:
        rows = self._history.get(key)
        return rows[-1] if rows else None

    def _append(self, key: str, value: bytes, prev: int, created: Optional[int], deleted: bool) -> int:
        with self._lock:
            latest = self._latest(key)
            if (latest.rev if latest else 0) != prev:
                raise CASConflict(key)
            rev = self._revision + 1
            row = Row(rev, key, rev if created is None else created, prev, deleted, bytes(value))
            rows = self._history.get(key)
            if rows is None:
                self._history[key] = [row]
                bisect.insort(self._keys, key)
            else:
                rows.append(row)
            self._log.append(row)
            self._by_rev[rev] = row
            self._revision = rev
            return rev

    @staticmethod
    def _at(rows: List[Row], revision: int) -> Optional[Row]:
        for row in reversed(rows):
            if row.rev <= revision:
                return row
        return None

    def _range(self, prefix: str, revision: int, start_after: Optional[str],
               limit: Optional[int]) -> Tuple[List[Row], bool, int]:
        with self._lock:
            end = prefix_end(prefix)
            start = bisect.bisect_left(self._keys, prefix)
            if start_after is not None and start_after >= prefix:
                start = bisect.bisect_right(self._keys, start_after)
            items: List[Row] = []
            remaining = 0
            for key in self._keys[start:bisect.bisect_left(self._keys, end)]:
                row = self._at(self._history[key], revision)
                if row is None or row.deleted:
                    continue
                if limit is None or len(items) < limit:
                    items.append(row)
                else:
                    remaining += 1
            return items, remaining > 0, remaining

    def _events(self, after: int, upto: int, prefix: Optional[str], limit: Optional[int]) -> List[Event]:
        with self._lock:
            start = _first_after(self._log, after)
            events: List[Event] = []
            for row in self._log[start:]:
                if row.rev > upto or (limit is not None and len(events) >= limit):
                    break
                if prefix is None or row.key.startswith(prefix):
                    prev = self._by_rev.get(row.prev)
                    events.append(row.event(prev.value if prev is not None and not prev.deleted else None))
            return events

    def _compact(self, revision: int) -> None:
        with self._write_lock, self._lock:
            keep: List[Row] = []
            dropped = set()
            for key in list(self._history):
                rows = self._history[key]
                at = self._at(rows, revision)
                newer = [r for r in rows if r.rev > revision]
                older_kept = [at] if at is not None and not at.deleted else []
                dropped.update(r.rev for r in rows if r.rev <= revision and r not in older_kept)
                kept = older_kept + newer
                if kept:
                    self._history[key] = kept
                else:
                    del self._history[key]
                    self._keys.remove(key)
            for row in self._log:
                if row.rev not in dropped:
                    keep.append(row)
            self._log = keep
            for rev in dropped:
                self._by_rev.pop(rev, None)
            self._compacted = max(self._compacted, revision)


def _first_after(log: List[Row], revision: int) -> int:
    """Index of the first row with ``rev > revision`` (rows are in revision order)."""
    lo, hi = 0, len(log)
    while lo < hi:
        mid = (lo + hi) // 2
        if log[mid].rev <= revision:
            lo = mid + 1
        else:
            hi = mid
    return lo
