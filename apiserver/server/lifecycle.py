"""Named, close-once lifecycle events that drive a graceful stop (apiserver ``pkg/server/lifecycle_signals.go``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from apiserver import logs

log = logs.get_logger(__name__)


class LifecycleSignal:
    """An event that fires once; waiting on it is waiting for that point of the lifecycle."""

    __slots__ = ("name", "_event")

    def __init__(self, name: str):
        self.name = name
        self._event = threading.Event()

    def signal(self):
        if not self._event.is_set():
            self._event.set()
            log.info("lifecycle", signal=self.name)

    def signaled(self) -> bool:
        return self._event.is_set()

    is_set = signaled

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._event.wait(timeout)

    @property
    def event(self) -> threading.Event:
        return self._event


class StopEvent(threading.Event):
    """A stop channel that also runs the callbacks registered with it when it is set, as cancelling a Go context
    wakes everything waiting on its Done(): an informer waiting for its next watch event ends at once instead of
    at its next idle timeout."""

    def __init__(self):
        super().__init__()
        self._guard = threading.Lock()
        self._callbacks: List[Callable[[], None]] = []

    def call_on_set(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` when the event is set; False (and nothing registered) when it is set already."""
        with self._guard:
            if self.is_set():
                return False
            self._callbacks.append(callback)
            return True

    def forget(self, callback: Callable[[], None]) -> None:
        with self._guard:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def set(self) -> None:
        with self._guard:
            super().set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


def _signal(name: str):
    return field(default_factory=lambda: LifecycleSignal(name))


@dataclass
class LifecycleSignals:
    shutdown_initiated: LifecycleSignal = _signal("ShutdownInitiated")
    after_shutdown_delay_duration: LifecycleSignal = _signal("AfterShutdownDelayDuration")
    pre_shutdown_hooks_stopped: LifecycleSignal = _signal("PreShutdownHooksStopped")
    not_accepting_new_requests: LifecycleSignal = _signal("NotAcceptingNewRequest")
    in_flight_requests_drained: LifecycleSignal = _signal("InFlightRequestsDrained")
    http_server_stopped_listening: LifecycleSignal = _signal("HTTPServerStoppedListening")
    has_been_ready: LifecycleSignal = _signal("HasBeenReady")
    mux_and_discovery_complete: LifecycleSignal = _signal("MuxAndDiscoveryComplete")
