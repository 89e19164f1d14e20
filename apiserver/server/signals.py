"""Stop on SIGTERM/SIGINT (apiserver ``pkg/server/signal.go``): the first sets the stop event, the second exits 1."""

from __future__ import annotations

import os
import signal
import threading

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalHandler:
    """Installed on the main thread; the handler only records the signal, the main line does the work."""

    def __init__(self):
        self.stop = threading.Event()
        self._previous: dict = {}

    def _on_signal(self, signum, frame):
        if self.stop.is_set():
            os._exit(1)  # second signal: the user insists
        self.stop.set()

    def install(self) -> threading.Event:
        for sig in SHUTDOWN_SIGNALS:
            current = signal.getsignal(sig)
            if isinstance(getattr(current, "__self__", None), SignalHandler):
                raise RuntimeError("the shutdown signal handler is already set up")
        for sig in SHUTDOWN_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self.stop

    def restore(self):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def request_shutdown(self) -> bool:
        """Stop as if a signal came; False if a stop was already requested."""
        if self.stop.is_set():
            return False
        self.stop.set()
        return True


def setup_signal_handler() -> threading.Event:
    """Install the handler and return the stop event; a second call raises (as upstream's panics)."""
    return SignalHandler().install()
