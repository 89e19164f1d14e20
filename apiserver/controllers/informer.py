"""List, then watch, a storage prefix and hand every object to a callback; relist when the watch breaks."""

from __future__ import annotations

import json
import threading
from typing import Callable, Optional

from apiserver import logs
from apiserver.storage import interface as st

log = logs.get_logger(__name__)


def run(storage: st.Store, prefix: str, stop: threading.Event, on_object: Callable[[str, Optional[dict]], None],
        on_synced: Optional[Callable[[], None]] = None, on_idle: Optional[Callable[[], None]] = None,
        idle: float = 0.5, name: str = "informer", wants: Optional[Callable[[str], bool]] = None):
    """``on_object(key, obj)`` for every object listed or changed (``obj`` None once deleted), in revision order.
    ``on_idle`` runs when nothing happened for ``idle`` seconds (requeues, periodic checks). ``wants(key)``, when
    given, skips the keys the caller ignores before their values are decoded."""
    while not stop.is_set():
        watcher = None
        try:
            page = storage.list(prefix)
            for kv in page.items:
                if wants is None or wants(kv.key):
                    on_object(kv.key, json.loads(kv.value))
            if on_synced is not None:
                on_synced()
            watcher = storage.watch(prefix, page.revision)
            # A StopEvent (lifecycle.py) ends the watch when it is set; a plain Event is seen within ``idle``.
            call_on_set = getattr(stop, "call_on_set", None)
            if call_on_set is not None and not call_on_set(watcher.stop):
                return
            while not stop.is_set():
                event = watcher.next(idle)
                if event is None or event.type == st.PROGRESS:
                    if on_idle is not None and not stop.is_set():   # (a stopped watch returns None too)
                        on_idle()
                    continue
                if wants is None or wants(event.key):
                    on_object(event.key, None if event.type == st.DELETED else json.loads(event.value))
        except (st.StorageError, ValueError) as err:
            if stop.is_set():
                return
            log.info("relisting", informer=name, error=str(err))
            stop.wait(0.5)
        except Exception:  # noqa: BLE001 - a controller bug must not end the loop for good
            if stop.is_set():
                return
            log.exception("controller failed; relisting", informer=name)
            stop.wait(1.0)
        finally:
            if watcher is not None:
                watcher.stop()
                forget = getattr(stop, "forget", None)
                if forget is not None:
                    forget(watcher.stop)
