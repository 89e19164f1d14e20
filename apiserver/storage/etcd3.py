"""The etcd3 backend: ``interface.Store`` over etcd's v3 JSON gateway, as upstream's ``storage/etcd3/store.go``.

Keys are ``--etcd-prefix`` + the key after ``/registry``; values are the REST layer's JSON, as the other backends
store them, so ``etcdctl get /registry/configmaps/default/x`` shows the object. Revisions are etcd's.

- create: txn(mod_revision(key) == 0 → put); guaranteed_update: read, try_update, txn(mod_revision == read →
  put, else → get) and retry with what the else branch returned; delete: txn(mod_revision == read → delete).
- list: one range at a revision (``limit``, ``count`` for what remains); pages pass the first page's revision.
- watch: one etcd watch stream per store, over the whole key space (so every revision passes through it and
  progress is exact: once revision R came through, every event up to R did), fanned out to watchers by prefix.
  Recent events stay in a ring for watches that start a little in the past; older starts read a catch-up
  stream. A broken stream resumes from the last revision + 1 on the next member.
- compaction: upstream's compactor (``compact_rev_key`` versions coordinate several API servers).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Deque, List, Optional

from apiserver import logs
from apiserver.storage.etcdclient import (
    AmbiguousError,
    EtcdClient,
    EtcdError,
    b64,
    header_revision,
    unb64,
)
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
    StorageError,
    Store,
    TooLargeRevisionError,
    TryUpdate,
    UnavailableError,
    Watcher,
)
from apiserver.storage.watch import WatcherSet

log = logs.get_logger(__name__)

REGISTRY = "/registry"
COMPACT_REV_KEY = "compact_rev_key"
ALL = "\0"   # key and range_end "\0": every key
PROBE_AFTER = 3.0      # seconds of a quiet watch stream before its member is probed
PROBE_TIMEOUT = 2.0
HISTORY_BYTES = 64 << 20   # the recent-events ring holds at most this many bytes of values


def key_end(key: bytes) -> bytes:
    """etcd's range_end for every key starting with ``key``."""
    data = bytearray(key)
    while data:
        if data[-1] < 0xFF:
            data[-1] += 1
            return bytes(data)
        data.pop()
    return b"\0"


class EtcdStore(Store):
    etcd = True   # the server installs the etcd health checks instead of "storage"

    def __init__(self, servers: List[str], prefix: str = REGISTRY, cafile: Optional[str] = None,
                 certfile: Optional[str] = None, keyfile: Optional[str] = None, compaction_interval: float = 300.0,
                 watch_buffer: int = 1000, progress_interval: float = 5.0, healthcheck_timeout: float = 2.0,
                 readycheck_timeout: float = 2.0, request_timeout: float = 5.0, history: int = 10000,
                 count_metric_poll_period: float = 0.0):
        self.client = EtcdClient(servers, cafile, certfile, keyfile, request_timeout=request_timeout)
        self.prefix = prefix.rstrip("/")
        self.healthcheck_timeout = healthcheck_timeout
        self.readycheck_timeout = readycheck_timeout
        self.count_metric_poll_period = count_metric_poll_period
        self._closed = False
        self._compacted = 0
        try:
            answer = self.client.call("/v3/kv/range", {"key": b64(COMPACT_REV_KEY)})
        except EtcdError as err:
            self.client.close()
            raise UnavailableError(f"etcd: {err}") from None
        except UnavailableError:
            self.client.close()
            raise
        for kv in answer.get("kvs", []):
            self._compacted = _int(unb64(kv.get("value")))
        self._dispatcher = EtcdDispatcher(self, header_revision(answer), watch_buffer, progress_interval, history)
        self._compactor = Compactor(self, compaction_interval) if compaction_interval > 0 else None

    # -- keys

    def etcd_key(self, key: str) -> bytes:
        rest = key[len(REGISTRY):] if key.startswith(REGISTRY) else key
        return (self.prefix + rest).encode()

    def logical_key(self, key: bytes) -> Optional[str]:
        prefix = self.prefix.encode()
        if not key.startswith(prefix):
            return None
        return REGISTRY + key[len(prefix):].decode("utf-8", "surrogateescape")

    def _kv(self, kv: dict) -> KeyValue:
        return KeyValue(self.logical_key(unb64(kv["key"])) or "", unb64(kv.get("value")),
                        _int(kv.get("create_revision")), _int(kv.get("mod_revision")))

    # -- calls

    def _live(self):
        if self._closed:
            raise UnavailableError("storage is closed")

    def _call(self, path: str, body: dict, write: bool = False, timeout: Optional[float] = None) -> dict:
        self._live()
        try:
            return self.client.call(path, body, write=write, timeout=timeout)
        except EtcdError as err:
            if err.compacted:
                raise CompactedError(_int(body.get("revision")), max(self._compacted, 1)) from None
            raise UnavailableError(f"etcd: {err.message}") from None

    def _read(self, key: str, timeout: Optional[float] = None) -> tuple:
        answer = self._call("/v3/kv/range", {"key": b64(self.etcd_key(key))}, timeout=timeout)
        kvs = answer.get("kvs") or []
        return (self._kv(kvs[0]) if kvs else None), header_revision(answer)

    def _txn(self, ekey: bytes, mod_revision: int, success: dict, read_on_failure: bool = True,
             timeout: Optional[float] = None) -> dict:
        body = {"compare": [{"key": b64(ekey), "target": "MOD", "result": "EQUAL", "mod_revision": mod_revision}],
                "success": [success],
                "failure": [{"request_range": {"key": b64(ekey)}}] if read_on_failure else []}
        return self._call("/v3/kv/txn", body, write=True, timeout=timeout)

    @staticmethod
    def _failure_kv(answer: dict) -> Optional[dict]:
        for response in answer.get("responses") or []:
            kvs = (response.get("response_range") or {}).get("kvs") or []
            if kvs:
                return kvs[0]
        return None

    # -- the contract

    def create(self, key: str, value: bytes) -> int:
        ekey = self.etcd_key(key)
        put = {"request_put": {"key": b64(ekey), "value": b64(value)}}
        deadline = time.monotonic() + self.client.request_timeout
        while True:
            # every call gets what is left of the one deadline: without quorum the create fails within it
            try:
                # as upstream's Create: If(notFound).Then(put), no read on failure (the answer is AlreadyExists)
                answer = self._txn(ekey, 0, put, read_on_failure=False,
                                   timeout=max(deadline - time.monotonic(), 0.01))
            except AmbiguousError:
                if time.monotonic() > deadline:
                    raise
                # Sent, no answer: if the key now holds exactly our bytes, the create was ours.
                try:
                    current, _ = self._read(key, timeout=max(deadline - time.monotonic(), 0.01))
                except UnavailableError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
                    continue
                if current is not None and current.value == value:
                    return current.mod_revision
                if current is not None:
                    raise AlreadyExistsError(key) from None
                continue
            if answer.get("succeeded"):
                rev = header_revision(answer)
                self._dispatcher.wake(rev)
                return rev
            raise AlreadyExistsError(key)

    def get(self, key: str, min_revision: Optional[int] = None) -> KeyValue:
        current, rev = self._read(key)
        if min_revision and min_revision > rev:
            raise TooLargeRevisionError(min_revision, rev)
        if current is None:
            raise NotFoundError(key)
        return current

    def list(self, prefix: str, revision: Optional[int] = None, limit: Optional[int] = None,
             start_after: Optional[str] = None) -> ListResult:
        self._live()
        if limit is not None and limit <= 0:
            limit = None
        start = self.etcd_key(prefix)
        end = key_end(start)
        if start_after is not None and start_after >= prefix:
            start = self.etcd_key(start_after) + b"\0"
        body: dict = {"key": b64(start), "range_end": b64(end)}
        if revision:
            if revision < self._compacted:
                raise CompactedError(revision, self._compacted)
            body["revision"] = revision
        if limit:
            body["limit"] = limit
        try:
            answer = self.client.call("/v3/kv/range", body)
        except EtcdError as err:
            if err.compacted:
                self._refresh_compacted(revision or 0)
                raise CompactedError(revision or 0, max(self._compacted, (revision or 0) + 1)) from None
            if err.future:
                raise TooLargeRevisionError(revision or 0, self.current_revision()) from None
            raise UnavailableError(f"etcd: {err.message}") from None
        items = [self._kv(kv) for kv in answer.get("kvs") or []]
        more = bool(answer.get("more"))
        remaining = max(0, _int(answer.get("count")) - len(items)) if more else 0
        return ListResult(items, revision or header_revision(answer), more, remaining)

    def guaranteed_update(self, key: str, try_update: TryUpdate, precondition: Optional[Precondition] = None,
                          ignore_not_found: bool = False) -> KeyValue:
        ekey = self.etcd_key(key)
        current, _ = self._read(key)
        written: Optional[bytes] = None   # what an ambiguous write tried to store
        while True:
            if written is not None and current is not None and current.value == written:
                return current   # the write whose answer was lost did land
            written = None
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
            put = {"request_put": {"key": b64(ekey), "value": b64(value)}}
            try:
                answer = self._txn(ekey, current.mod_revision if current else 0, put)
            except AmbiguousError:
                written = value
                current = self._read_retrying(key)
                continue
            if answer.get("succeeded"):
                rev = header_revision(answer)
                self._dispatcher.wake(rev)
                return KeyValue(key, value, current.create_revision if current else rev, rev)
            found = self._failure_kv(answer)
            current = self._kv(found) if found is not None else None

    def _read_retrying(self, key: str) -> Optional[KeyValue]:
        deadline = time.monotonic() + self.client.request_timeout
        while True:
            try:
                return self._read(key)[0]
            except UnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def delete(self, key: str, precondition: Optional[Precondition] = None) -> KeyValue:
        ekey = self.etcd_key(key)
        current, _ = self._read(key)
        while True:
            if current is None:
                raise NotFoundError(key)
            if precondition is not None:
                precondition(current)
            request = {"request_delete_range": {"key": b64(ekey), "prev_kv": True}}
            answer = self._txn(ekey, current.mod_revision, request)
            if answer.get("succeeded"):
                rev = header_revision(answer)
                self._dispatcher.wake(rev)
                return KeyValue(key, current.value, current.create_revision, rev)
            found = self._failure_kv(answer)
            current = self._kv(found) if found is not None else None

    def watch(self, prefix: str, from_revision: Optional[int] = None) -> Watcher:
        self._live()
        return self._dispatcher.watch(prefix, from_revision)

    def current_revision(self) -> int:
        return header_revision(self._call("/v3/kv/range", {"key": b64(COMPACT_REV_KEY), "keys_only": True}))

    def compacted_revision(self) -> int:
        return self._compacted

    def note_compacted(self, revision: int):
        if revision > self._compacted:
            self._compacted = revision

    def _refresh_compacted(self, at_least: int):
        """After etcd said "compacted" for ``at_least``: learn how far (compact_rev_key, else just past it)."""
        try:
            answer = self.client.call("/v3/kv/range", {"key": b64(COMPACT_REV_KEY)})
            for kv in answer.get("kvs", []):
                self.note_compacted(_int(unb64(kv.get("value"))))
        except (EtcdError, UnavailableError):
            pass
        self.note_compacted(at_least + 1)

    def compact(self, revision: int) -> None:
        current = self.current_revision()
        if revision > current:
            raise TooLargeRevisionError(revision, current)
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        # The watch stream must be past the revision first: etcd cancels a lagging (unsynced) watcher whose next
        # revision gets compacted, and every watcher of this store would then have to relist.
        self._dispatcher.wait_for(revision, 5.0)
        try:
            self.client.call("/v3/kv/compaction", {"revision": revision}, write=True)
        except EtcdError as err:
            if not err.compacted:
                raise UnavailableError(f"etcd: {err.message}") from None
            # etcd had compacted at least this far already (another server, or etcdctl)
        self.note_compacted(revision)

    def wait_for_revision(self, revision: int, timeout: float) -> bool:
        if revision <= self._dispatcher.dispatched:
            return True
        deadline = time.monotonic() + timeout
        while True:
            try:
                if revision <= self.current_revision():
                    return True
            except UnavailableError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._dispatcher.wait_for(revision, min(left, 0.1)):
                return True

    def check(self) -> None:
        """The etcd health check: a read of ``<prefix>/health`` within --etcd-healthcheck-timeout."""
        self._call("/v3/kv/range", {"key": b64(self.prefix + "/health")}, timeout=self.healthcheck_timeout)

    def ready_check(self) -> None:
        self._call("/v3/kv/range", {"key": b64(self.prefix + "/health")}, timeout=self.readycheck_timeout)

    def count(self, prefix: str) -> int:
        start = self.etcd_key(prefix)
        answer = self._call("/v3/kv/range", {"key": b64(start), "range_end": b64(key_end(start)), "count_only": True})
        return _int(answer.get("count"))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._compactor is not None:
            self._compactor.stop()
        self._dispatcher.close()
        self.client.close()


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class EtcdDispatcher(WatcherSet):
    """One etcd watch stream over the whole key space, fanned out to watchers by key prefix."""

    def __init__(self, store: EtcdStore, start: int, buffer_size: int, progress_interval: float, history: int):
        super().__init__(buffer_size, start)
        self.store = store
        self.client = store.client
        self.progress_interval = progress_interval
        self.history = history
        self._ring: Deque[Event] = collections.deque()   # every event in (floor, dispatched], oldest first
        self._ring_bytes = 0
        self._floor = start
        self._written = start     # the newest revision this store's own writes got
        self._written_lock = threading.Lock()
        self._last_event = time.monotonic()
        self._stream = None
        self._progress_wake = threading.Event()
        self._reader = threading.Thread(target=self._run, name="etcd-watch", daemon=True)
        self._ticker = threading.Thread(target=self._progress_loop, name="etcd-watch-progress", daemon=True)
        self._reader.start()
        self._ticker.start()

    def wake(self, revision: Optional[int] = None, progress: bool = False):
        """A write of this store landed at ``revision``: a watch "from now" starts after it. ``progress`` (a
        watcher's request_progress, as the generic dispatcher takes it) sends the progress notifications now."""
        if revision is not None:
            with self._written_lock:   # concurrent writers finish out of revision order
                self._written = max(self._written, revision)
        if progress:   # only then: a write must not wake the progress thread (a context switch per write)
            self._progress_wake.set()

    # -- watchers

    def watch(self, prefix: str, from_revision: Optional[int]) -> Watcher:
        compacted = self.store.compacted_revision()
        if from_revision is not None and from_revision < compacted:
            raise CompactedError(from_revision, compacted)
        caught_up: List[Event] = []
        target = from_revision
        for _ in range(5):
            with self._lock:
                if self._closed:
                    raise UnavailableError("storage is closed")
                if from_revision is None:
                    return self._add(prefix, max(self._dispatched, self._written), [])
                if target >= self._floor:
                    history = caught_up + [e for e in self._ring
                                           if e.revision > target and e.key.startswith(prefix)]
                    return self._add(prefix, max(from_revision, self._dispatched), history)
                upto = self._dispatched
            caught_up = self._catch_up(prefix, from_revision, upto)
            target = upto
        raise UnavailableError("watch could not catch up with etcd")

    def _catch_up(self, prefix: str, after: int, upto: int) -> List[Event]:
        """Events under ``prefix`` in (after, upto] from a stream of their own (older than the ring)."""
        deadline = time.monotonic() + 30
        last_error: Optional[BaseException] = None
        while time.monotonic() < deadline:
            for endpoint in self.client._order():
                events: List[Event] = []
                try:
                    stream = self.client.open_watch(
                        {"key": b64(ALL), "range_end": b64(ALL), "start_revision": after + 1, "prev_kv": True},
                        endpoint, self.client.dial_timeout)
                except (OSError, ConnectionError, ValueError) as err:
                    last_error = err
                    continue
                try:
                    for message in stream.messages(1.0):
                        if time.monotonic() > deadline:
                            raise UnavailableError("watch catch-up timed out")
                        if message is None:
                            continue
                        result = message.get("result") or {}
                        if "error" in message:
                            raise ConnectionError(str(message["error"]))
                        if _int(result.get("compact_revision")):
                            compacted = _int(result.get("compact_revision"))
                            self.store.note_compacted(compacted)
                            raise CompactedError(after, compacted)
                        if result.get("canceled"):
                            raise ConnectionError(result.get("cancel_reason") or "watch canceled")
                        done = False
                        for event in self._convert(result.get("events") or []):
                            if event.revision > upto:
                                done = True
                                break
                            if event.key.startswith(prefix):
                                events.append(event)
                        top = max((_int(e["kv"].get("mod_revision")) for e in result.get("events") or []),
                                  default=0)
                        if done or top >= upto:
                            return events
                except (OSError, ConnectionError, ValueError) as err:
                    last_error = err
                finally:
                    stream.close()
            time.sleep(0.1)
        raise UnavailableError(f"watch catch-up failed: {last_error}")

    def _convert(self, raw_events: List[dict]) -> List[Event]:
        out = []
        for raw in raw_events:
            kv = raw.get("kv") or {}
            ekey = unb64(kv.get("key"))
            deleted = raw.get("type") == "DELETE"
            if ekey == COMPACT_REV_KEY.encode() and not deleted:
                self.store.note_compacted(_int(unb64(kv.get("value"))))
            key = self.store.logical_key(ekey)
            if key is None:
                continue
            rev = _int(kv.get("mod_revision"))
            prev = raw.get("prev_kv")
            prev_value = unb64(prev.get("value")) if prev else None
            if deleted:
                out.append(Event(DELETED, key, prev_value or b"", rev, prev_value))
            else:
                kind = ADDED if _int(kv.get("create_revision")) == rev else MODIFIED
                out.append(Event(kind, key, unb64(kv.get("value")), rev, prev_value))
        return out

    # -- the stream

    def _run(self):
        while not self._closed:
            for endpoint in self.client._order():
                if self._closed:
                    return
                try:
                    stream = self.client.open_watch(
                        {"key": b64(ALL), "range_end": b64(ALL), "start_revision": self._dispatched + 1,
                         "prev_kv": True, "progress_notify": True}, endpoint, self.client.dial_timeout)
                except (OSError, ConnectionError, ValueError) as err:
                    log.debug("etcd watch: cannot open", endpoint=endpoint.url, error=str(err))
                    self.client._demote(endpoint)
                    continue
                self._stream = stream
                try:
                    self._consume(stream)
                except (OSError, ConnectionError, ValueError) as err:
                    if not self._closed:
                        log.info("etcd watch stream broke; resuming", endpoint=endpoint.url, error=str(err),
                                 revision=self._dispatched + 1)
                        self.client._demote(endpoint)
                finally:
                    stream.close()
                    self._stream = None
            if not self._closed:
                time.sleep(0.1)

    def _consume(self, stream):
        quiet_since = time.monotonic()
        for message in stream.messages(1.0):
            if self._closed:
                return
            if message is None:
                if time.monotonic() - quiet_since >= PROBE_AFTER:
                    # A quiet stream may be a stopped or partitioned member: it must still answer a
                    # (linearizable) read, or the stream moves to another member.
                    try:
                        self.client.call("/v3/kv/range", {"key": b64(COMPACT_REV_KEY), "keys_only": True},
                                         timeout=PROBE_TIMEOUT, endpoint=stream.endpoint)
                    except (EtcdError, UnavailableError) as err:
                        raise ConnectionError(f"member does not answer: {err}") from None
                    quiet_since = time.monotonic()
                continue
            quiet_since = time.monotonic()
            if "error" in message:
                raise ConnectionError(str(message["error"]))
            result = message.get("result") or {}
            compacted = _int(result.get("compact_revision"))
            if compacted:
                self._compacted_away(compacted)
                return
            if result.get("canceled"):
                raise ConnectionError(result.get("cancel_reason") or "watch canceled")
            if result.get("created"):
                continue
            raw = result.get("events") or []
            if raw:
                top = max(_int(e.get("kv", {}).get("mod_revision")) for e in raw)
                self._apply(self._convert(raw), top)
            else:  # a progress notification: every event up to the header's revision came through
                self._apply([], header_revision(result))

    def _apply(self, events: List[Event], revision: int):
        with self._lock:
            if events:
                self._last_event = time.monotonic()
                self._ring.extend(events)
                self._ring_bytes += sum(len(e.value) + len(e.prev_value or b"") for e in events)
                while len(self._ring) > self.history or self._ring_bytes > HISTORY_BYTES:
                    self._floor = self._drop_oldest().revision
                    while self._ring and self._ring[0].revision == self._floor:
                        self._drop_oldest()
                self._fan_out(events)
            if revision > self._dispatched:
                self._dispatched = revision
            self._cond.notify_all()

    def _drop_oldest(self) -> Event:
        event = self._ring.popleft()
        self._ring_bytes -= len(event.value) + len(event.prev_value or b"")
        return event

    def _compacted_away(self, compacted: int):
        """The stream's start was compacted (it was down a long time): watchers relist, the stream restarts."""
        self.store.note_compacted(compacted)
        with self._lock:
            watchers = self._take_all()
            self._ring.clear()
            self._ring_bytes = 0
            self._dispatched = max(self._dispatched, compacted - 1)
            self._floor = self._dispatched
        for watcher in watchers:
            watcher.fail(CompactedError(self._dispatched, compacted))
        log.warning("etcd watch restarted after compaction; watchers expired", count=len(watchers))

    # -- progress

    def _progress_loop(self):
        last_progress = time.monotonic()
        while not self._closed:
            self._progress_wake.wait(min(self.progress_interval, 1.0))
            self._progress_wake.clear()
            if self._closed:
                return
            with self._lock:
                requested = any(w.progress_requested for group in self._watchers.values() for w in group)
            if requested:
                # Progress up to now: wait (briefly) until the stream has passed the current revision.
                try:
                    target = self.store.current_revision()
                    self.wait_for(target, 2.0)
                except Exception:  # noqa: BLE001 - the progress event then covers what did come through
                    pass
            now = time.monotonic()
            periodic = now - last_progress >= self.progress_interval and now - self._last_event >= \
                self.progress_interval
            if periodic or requested:
                self._send_progress(periodic)
            if periodic:
                last_progress = now

    def close(self):
        with self._lock:
            watchers = self._take_all(closing=True)
        self._progress_wake.set()
        stream = self._stream
        if stream is not None:
            stream.close()
        for watcher in watchers:
            watcher.fail(UnavailableError("storage is closed"))
        for thread in (self._reader, self._ticker):
            if thread is not threading.current_thread():
                thread.join(timeout=5)


class Compactor:
    """Upstream's compactor (``storage/etcd3/compact.go``): every interval, compact to the revision seen one
    interval ago, if ``compact_rev_key``'s version still is the one this server last saw; another server that
    compacted meanwhile bumped it, and this one then just learns the new version and waits another interval."""

    def __init__(self, store: EtcdStore, interval: float):
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="etcd-compactor", daemon=True)
        self._thread.start()

    def _run(self):
        compact_time, rev = 0, 0
        while not self._stop.wait(self.interval):
            try:
                compact_time, rev = self._compact(compact_time, rev)
            except Exception as err:  # noqa: BLE001 - try again next interval
                log.warning("etcd: compact failed", error=str(err))

    def _compact(self, compact_time: int, rev: int):
        key = b64(COMPACT_REV_KEY)
        answer = self.store.client.call("/v3/kv/txn", {
            "compare": [{"key": key, "target": "VERSION", "result": "EQUAL", "version": compact_time}],
            "success": [{"request_put": {"key": key, "value": b64(str(rev))}}],
            "failure": [{"request_range": {"key": key}}]}, write=True)
        current = header_revision(answer)
        if not answer.get("succeeded"):
            kvs = (answer["responses"][0].get("response_range") or {}).get("kvs") or [{}]
            return _int(kvs[0].get("version")), current
        if rev:
            self.store._dispatcher.wait_for(rev, 5.0)
            try:
                self.store.client.call("/v3/kv/compaction", {"revision": rev}, write=True)
            except EtcdError as err:
                if not err.compacted:
                    raise
            self.store.note_compacted(rev)
            log.info("etcd: compacted", revision=rev)
        return compact_time + 1, current

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


def poll_object_counts(store: EtcdStore, resources, gauge, period: float, stop: threading.Event):
    """``--etcd-count-metric-poll-period``: ``apiserver_storage_objects{resource}`` from count-only ranges (-1
    when a count fails), now and then every period. ``resources()`` gives (label, key prefix) pairs."""
    while True:
        for label, prefix in resources():
            if stop.is_set() or store._closed:
                return
            try:
                gauge.labels(label).set(store.count(prefix))
            except StorageError:
                gauge.labels(label).set(-1)
        if stop.wait(period):
            return
