"""Namespace lifecycle state kept current from a storage watch, as upstream's NamespaceLifecycle admission
keeps an informer: creates check it without a storage read. A name it does not know yet is looked up live."""

from __future__ import annotations

import json
import threading
from typing import Dict, Optional

from apiserver import logs
from apiserver.storage import interface as st

log = logs.get_logger(__name__)

PREFIX = "/registry/namespaces/"


def terminating(namespace: dict) -> bool:
    return bool((namespace.get("metadata") or {}).get("deletionTimestamp")) or \
        (namespace.get("status") or {}).get("phase") == "Terminating"


class NamespaceCache:
    def __init__(self, storage: st.Store):
        self.storage = storage
        self._states: Dict[str, bool] = {}   # name → terminating
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._watcher: Optional[st.Watcher] = None
        self._thread = threading.Thread(target=self._run, name="namespace-cache", daemon=True)
        self._thread.start()

    def terminating(self, name: str) -> Optional[bool]:
        """Whether the namespace is terminating; None when the cache does not know it (ask storage)."""
        if not self._synced.is_set():
            return None
        return self._states.get(name)

    def _run(self):
        while not self._stop.is_set():
            try:
                page = self.storage.list(PREFIX)
                self._states = {kv.key[len(PREFIX):]: terminating(json.loads(kv.value)) for kv in page.items}
                self._watcher = self.storage.watch(PREFIX, page.revision)
                self._synced.set()
                while not self._stop.is_set():
                    event = self._watcher.next(1.0)
                    if event is None or event.type == st.PROGRESS:
                        continue
                    name = event.key[len(PREFIX):]
                    if event.type == st.DELETED:
                        self._states.pop(name, None)
                    else:
                        self._states[name] = terminating(json.loads(event.value))
            except (st.StorageError, ValueError) as err:
                self._synced.clear()
                if self._stop.is_set():
                    return
                log.info("namespace cache relisting", error=str(err))
                self._stop.wait(0.5)
            finally:
                if self._watcher is not None:
                    self._watcher.stop()
                    self._watcher = None

    def close(self):
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()
        self._thread.join(timeout=5)
