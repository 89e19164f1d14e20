"""Stop on SIGTERM/SIGINT (apiserver ``pkg/server/signal.go``): the first sets the stop event, the second exits 1.

The handler itself only writes one byte to a pipe. Setting a ``threading.Event`` inside a signal handler can
deadlock: Python runs handlers on the main thread between bytecodes, and if that thread was just inside
``stop.wait()`` holding the event's condition lock, ``stop.set()`` would wait for it forever. A relay thread
reads the pipe and does the locking work instead.
"""

from __future__ import annotations

import os
import signal
import threading

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalHandler:
    """Installed on the main thread; the handler only records the signal, the relay thread acts on it."""

    def __init__(self):
        self.stop = threading.Event()
        self._previous: dict = {}
        self._pipe = None

    def _on_signal(self, signum, frame):
        try:
            os.write(self._pipe[1], b"s")
        except (OSError, TypeError):  # restored meanwhile: nothing left to stop
            pass

    def _relay(self, read_fd: int):
        try:
            while True:
                data = os.read(read_fd, 64)
                if not data:   # restore() closed the write end
                    return
                for _ in data:
                    if self.stop.is_set():
                        os._exit(1)  # second signal: the user insists
                    self.stop.set()
        finally:
            os.close(read_fd)

    def install(self) -> threading.Event:
        for sig in SHUTDOWN_SIGNALS:
            current = signal.getsignal(sig)
            if isinstance(getattr(current, "__self__", None), SignalHandler):
                raise RuntimeError("the shutdown signal handler is already set up")
        self._pipe = os.pipe()
        os.set_blocking(self._pipe[1], False)   # a flood of signals must never block the main thread
        threading.Thread(target=self._relay, args=(self._pipe[0],), name="signal-relay", daemon=True).start()
        for sig in SHUTDOWN_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self.stop

    def restore(self):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._pipe is not None:
            write_fd = self._pipe[1]
            self._pipe = None
            os.close(write_fd)   # the relay reads end-of-file, closes the read end and returns

    def request_shutdown(self) -> bool:
        """Stop as if a signal came; False if a stop was already requested."""
        if self.stop.is_set():
            return False
        self.stop.set()
        return True


def setup_signal_handler() -> threading.Event:
    """Install the handler and return the stop event; a second call raises (as upstream's panics)."""
    return SignalHandler().install()
