"""Stop on SIGTERM/SIGINT (apiserver ``pkg/server/signal.go``): the first sets the stop event, the second exits 1.

The interpreter itself writes each signal's number to a pipe (``signal.set_wakeup_fd``), from whichever thread
the kernel delivered it to, and a relay thread reads the pipe and acts. Neither step needs the main thread:

- Python runs signal handlers only on the main thread, between bytecodes. A signal the kernel hands to another
  thread (any thread may get a process-directed signal) does not interrupt the main thread's blocking wait, so
  a handler-based stop can sit unnoticed while the main thread waits for it: seen in CI as a SIGTERM that did
  nothing for seconds.
- Setting a ``threading.Event`` inside a handler can deadlock: if the main thread was just inside
  ``stop.wait()`` holding the event's condition lock, ``stop.set()`` waits for it forever.

The Python-level handler is installed (so the signals no longer kill the process) and does nothing.
"""

from __future__ import annotations

import os
import signal
import threading

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _ignore(signum, frame):
    """The relay thread acts on the signal; nothing is left to do on the main thread."""


class SignalHandler:
    """Installed on the main thread: the stop event is set by the relay thread on the first shutdown signal."""

    def __init__(self):
        self.stop = threading.Event()
        self._previous: dict = {}
        self._previous_wakeup_fd = -1
        self._write_fd = -1

    def _relay(self, read_fd: int):
        wanted = {int(sig) for sig in SHUTDOWN_SIGNALS}
        try:
            while True:
                data = os.read(read_fd, 64)
                if not data:   # restore() closed the write end
                    return
                for signum in data:
                    if signum not in wanted:
                        continue
                    if self.stop.is_set():
                        os._exit(1)  # second signal: the user insists
                    self.stop.set()
        finally:
            os.close(read_fd)

    def install(self) -> threading.Event:
        for sig in SHUTDOWN_SIGNALS:
            if signal.getsignal(sig) is _ignore:
                raise RuntimeError("the shutdown signal handler is already set up")
        read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)   # required by set_wakeup_fd: a flood of signals never blocks
        threading.Thread(target=self._relay, args=(read_fd,), name="signal-relay", daemon=True).start()
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        for sig in SHUTDOWN_SIGNALS:
            self._previous[sig] = signal.signal(sig, _ignore)
        return self.stop

    def restore(self):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._write_fd >= 0:
            signal.set_wakeup_fd(self._previous_wakeup_fd)
            os.close(self._write_fd)   # the relay reads end-of-file, closes the read end and returns
            self._write_fd = -1

    def request_shutdown(self) -> bool:
        """Stop as if a signal came; False if a stop was already requested."""
        if self.stop.is_set():
            return False
        self.stop.set()
        return True


def setup_signal_handler() -> threading.Event:
    """Install the handler and return the stop event; a second call raises (as upstream's panics)."""
    return SignalHandler().install()
