"""The revisioned key-value store every resource lives in, modelled on k8s.io/apiserver ``pkg/storage.Interface``
and mapping one-to-one onto etcd v3.

Every create, update and delete gets a new global revision (a client's ``resourceVersion``). Keys follow
upstream: ``/registry/<resource>/<namespace>/<name>`` for the core group, ``/registry/<group>/<resource>/...``
otherwise. Values are bytes (the REST layer encodes objects). Errors are typed, so the REST layer can map
each onto its Status code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterator, List, NamedTuple, Optional

# -- errors


class StorageError(Exception):
    """Base of every storage error."""


class NotFoundError(StorageError):
    def __init__(self, key: str):
        super().__init__(f"key not found: {key}")
        self.key = key


class AlreadyExistsError(StorageError):
    def __init__(self, key: str):
        super().__init__(f"key exists: {key}")
        self.key = key


class ConflictError(StorageError):
    """A precondition failed (uid or resourceVersion): the caller's view of the object is stale."""

    def __init__(self, key: str, message: str = ""):
        super().__init__(message or f"precondition failed for {key}")
        self.key = key


class CompactedError(StorageError):
    """The revision asked for is older than the compaction point (410 Gone / Expired for clients)."""

    def __init__(self, revision: int, compacted: int):
        super().__init__(f"too old resource version: {revision} ({compacted})")
        self.revision = revision
        self.compacted = compacted


class TooLargeRevisionError(StorageError):
    """The revision asked for is newer than the store's (504 ``Too large resource version`` for clients)."""

    def __init__(self, revision: int, current: int):
        super().__init__(f"Too large resource version: {revision}, current: {current}")
        self.revision = revision
        self.current = current


class UnavailableError(StorageError):
    """The store cannot be reached or is closed (503 for clients)."""


class WatchTooSlowError(StorageError):
    """A watcher did not read its events fast enough and was closed; it should watch again from its last revision."""


# -- values


class KeyValue(NamedTuple):   # a tuple: made for every row a list returns, at a quarter of a dataclass's cost
    key: str
    value: bytes
    create_revision: int
    mod_revision: int


@dataclass(frozen=True)
class ListResult:
    items: List[KeyValue]
    revision: int           # the snapshot the list was read at
    more: bool              # whether keys remain after the last item
    remaining: int = 0      # how many remain (0 when unknown or none)


ADDED, MODIFIED, DELETED, PROGRESS = "ADDED", "MODIFIED", "DELETED", "PROGRESS"


@dataclass(frozen=True)
class Event:
    """A change: ADDED, MODIFIED or DELETED (``value`` is the object as deleted), or PROGRESS: every event up
    to ``revision`` has been delivered (the REST layer turns these into bookmarks)."""

    type: str
    key: str
    value: bytes
    revision: int
    prev_value: Optional[bytes] = None


# -- the interface

Precondition = Callable[[KeyValue], None]        # raises ConflictError when the current object does not qualify
TryUpdate = Callable[[Optional[KeyValue]], Optional[bytes]]


class Watcher(ABC):
    """A stream of events in revision order; ``stop()`` ends it, from any thread."""

    @abstractmethod
    def next(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, or None on timeout or once stopped; raises WatchTooSlowError or UnavailableError."""

    @abstractmethod
    def request_progress(self) -> None:
        """Ask for a PROGRESS event once every event so far has been delivered."""

    @abstractmethod
    def stop(self) -> None:
        """End the stream; ``next()`` then returns None."""

    def __iter__(self) -> Iterator[Event]:
        while True:
            event = self.next()
            if event is None:
                return
            yield event


class Store(ABC):
    """The contract every backend (memory, sqlite, etcd3) keeps; the shared test suite checks it."""

    @abstractmethod
    def create(self, key: str, value: bytes) -> int:
        """Store a new key; returns its revision. AlreadyExistsError if the key exists."""

    @abstractmethod
    def get(self, key: str, min_revision: Optional[int] = None) -> KeyValue:
        """The current value. NotFoundError; TooLargeRevisionError if ``min_revision`` is ahead of the store."""

    @abstractmethod
    def list(self, prefix: str, revision: Optional[int] = None, limit: Optional[int] = None,
             start_after: Optional[str] = None) -> ListResult:
        """Keys under ``prefix`` in key order, as of ``revision`` (default: now), at most ``limit``, after
        ``start_after``. A paged list passes the first page's revision to get one consistent snapshot.
        CompactedError for a revision older than the compaction point."""

    @abstractmethod
    def guaranteed_update(self, key: str, try_update: TryUpdate, precondition: Optional[Precondition] = None,
                          ignore_not_found: bool = False) -> KeyValue:
        """Read, ``try_update(current)`` → new value, compare-and-swap on the mod revision, retried on conflict.

        ``current`` is None only with ``ignore_not_found`` (then the update creates the key). Returning the
        same bytes (or None) writes nothing and returns the current value. Exceptions from ``try_update`` or
        ``precondition`` propagate and nothing is written."""

    @abstractmethod
    def delete(self, key: str, precondition: Optional[Precondition] = None) -> KeyValue:
        """Delete a key; returns the deleted value with the deletion's revision as ``mod_revision``."""

    @abstractmethod
    def watch(self, prefix: str, from_revision: Optional[int] = None) -> Watcher:
        """Events under ``prefix`` after ``from_revision`` (default: from now). CompactedError if too old."""

    @abstractmethod
    def current_revision(self) -> int:
        """The newest revision in the store."""

    @abstractmethod
    def compacted_revision(self) -> int:
        """The oldest revision still readable (0 before any compaction)."""

    @abstractmethod
    def compact(self, revision: int) -> None:
        """Forget history before ``revision``: reads and watches at older revisions get CompactedError."""

    @abstractmethod
    def wait_for_revision(self, revision: int, timeout: float) -> bool:
        """Wait until the store has reached ``revision``; False on timeout."""

    @abstractmethod
    def check(self) -> None:
        """Raise if the store is not usable (health checks)."""

    @abstractmethod
    def close(self) -> None:
        """Stop watchers and background work and release the store."""


def prefix_end(prefix: str) -> str:
    """The first key after every key that starts with ``prefix`` (etcd's range_end for a prefix)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
