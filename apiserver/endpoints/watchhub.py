"""Watch streams written by one thread.

A thread per HTTP watch that wakes for every event costs too much in CPython once hundreds of clients watch:
every event would wake every thread. Instead each watch's connection thread hands its stream to the hub and
waits; storage watchers tell the hub when they have events, and the hub thread drains them, encodes each event
once (shared by every plain-JSON watcher) and writes to the sockets that can take data without blocking. Ticks
end streams at their timeout or at shutdown, and ask for bookmarks.
"""

from __future__ import annotations

import select
import threading
import time
from typing import Callable, List, Optional, Set

from apiserver import logs
from apiserver.storage import interface as st

log = logs.get_logger(__name__)

MAX_PENDING = 4 * 1024 * 1024   # bytes a client may fall behind before its stream is closed


class WatchStream:
    """One HTTP watch: its storage watcher, how to encode events, when to end."""

    def __init__(self, watcher: st.Watcher, encode: Callable[[st.Event], Optional[bytes]],
                 bookmark: Optional[Callable[[int], bytes]], deadline: float, bookmark_interval: float,
                 streams_stop: threading.Event):
        self.watcher = watcher
        self.encode = encode
        self.bookmark = bookmark            # None unless the client allows bookmarks
        self.deadline = deadline
        self.bookmark_interval = bookmark_interval
        self.streams_stop = streams_stop
        self.last_bookmark = time.monotonic()
        self.done = threading.Event()
        self.send: Optional[Callable[[bytes], None]] = None
        self.sock = None
        self.pending: List[bytes] = []
        self.pending_bytes = 0

    def pump(self) -> bool:
        """Drain ready events and write what the socket takes; False once the stream has ended."""
        try:
            while True:
                event = self.watcher.next(0)
                if event is None:
                    break
                if event.type == st.PROGRESS:
                    if self.bookmark is None or event.revision <= 0:
                        continue
                    data = self.bookmark(event.revision)
                    self.last_bookmark = time.monotonic()
                else:
                    data = self.encode(event)
                if data:
                    self.pending.append(data)
                    self.pending_bytes += len(data)
        except (st.WatchTooSlowError, st.UnavailableError, st.CompactedError):
            self.flush(force=True)
            return False  # the client watches again from its last resourceVersion
        return self.flush()

    def flush(self, force: bool = False) -> bool:
        if not self.pending:
            return True
        if not force:
            try:
                _, writable, _ = select.select([], [self.sock], [], 0)
            except (OSError, ValueError):
                return False
            if not writable:
                return self.pending_bytes <= MAX_PENDING
        data = b"".join(self.pending)
        self.pending, self.pending_bytes = [], 0
        try:
            self.send(data)
        except OSError:
            return False
        return True

    def tick(self, now: float) -> bool:
        if self.streams_stop.is_set() or now >= self.deadline:
            return False
        if self.bookmark is not None and now - self.last_bookmark >= self.bookmark_interval:
            self.last_bookmark = now
            self.watcher.request_progress()
        return self.flush()

    def finish(self):
        self.watcher.stop()
        self.done.set()


class WatchHub:
    def __init__(self, tick: float = 0.2):
        self._tick = tick
        self._cond = threading.Condition()
        self._streams: Set[WatchStream] = set()
        self._ready: Set[WatchStream] = set()
        self._thread: Optional[threading.Thread] = None
        self._stopped = False

    def serve(self, stream: WatchStream, send: Callable[[bytes], None], sock) -> None:
        """Run ``stream`` until it ends; called by the connection's thread, which waits here meanwhile."""
        stream.send, stream.sock = send, sock
        with self._cond:
            if self._stopped:
                stream.finish()
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watch-hub", daemon=True)
                self._thread.start()
            self._streams.add(stream)
            self._ready.add(stream)
            stream.watcher.on_ready = lambda: self._mark(stream)
            self._cond.notify()
        stream.done.wait()

    def _mark(self, stream: WatchStream):
        with self._cond:
            self._ready.add(stream)
            self._cond.notify()

    def close(self):
        with self._cond:
            self._stopped = True
            streams = list(self._streams)
            self._streams.clear()
            self._cond.notify()
        for stream in streams:
            stream.finish()

    def _run(self):
        next_tick = time.monotonic() + self._tick
        while True:
            with self._cond:
                if self._stopped:
                    return
                if not self._ready:
                    self._cond.wait(max(0.0, next_tick - time.monotonic()))
                ready, self._ready = self._ready, set()
            for stream in ready:
                if stream in self._streams and not stream.pump():
                    self._end(stream)
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + self._tick
                for stream in list(self._streams):
                    if not stream.tick(now):
                        self._end(stream)

    def _end(self, stream: WatchStream):
        with self._cond:
            self._streams.discard(stream)
            self._ready.discard(stream)
        try:
            stream.finish()
        except Exception:  # noqa: BLE001 - ending one stream must not stop the hub
            log.exception("ending a watch stream failed")
