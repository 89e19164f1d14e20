"""The resourcequota controller (pkg/controller/resourcequota): a quota's ``status.hard`` mirrors its
``spec.hard`` and ``status.used`` is what its namespace really uses. Quotas are recalculated when created or
changed, when an object of their namespace is deleted (or a pod, service or claim changes), and every
``resync`` seconds; admission charges creates as they happen.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Dict, List, Optional, Set, Tuple

from apiserver import logs
from apiserver.admission import quotausage as qu
from apiserver.admission.limitranger import ResourceList, resource_list
from apiserver.admission.resourcequota import used_status
from apiserver.apis.quantity import Quantity
from apiserver.controllers import informer
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options
from apiserver.storage import interface as st

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="kube-controller-manager")
PREFIX = "/registry/resourcequotas/"
RESYNC_SECONDS = 300.0          # --resource-quota-sync-period
CORE_EVALUATED = (("", "pods"), ("", "services"), ("", "persistentvolumeclaims"), ("", "configmaps"),
                  ("", "secrets"), ("", "resourcequotas"), ("", "replicationcontrollers"))


class _Stale(Exception):
    """The quota changed while its usage was computed."""


def needs_sync(quota_obj: dict) -> bool:
    spec_hard = (quota_obj.get("spec") or {}).get("hard") or {}
    status = quota_obj.get("status") or {}
    hard, used = status.get("hard"), status.get("used")
    if hard is None or used is None:
        return True
    if resource_list(hard) != resource_list(spec_hard) or set(hard) != set(spec_hard):
        return True
    return False


class ResourceQuotaController:
    name = "resourcequota"

    def __init__(self, api, table, storage, resync: float = RESYNC_SECONDS):
        self.api = api
        self.table = table
        self.storage = storage
        self.resync = resync
        self.quotas = api.store(table.lookup("", "v1", "resourcequotas"))
        self._by_namespace: Dict[str, Set[str]] = {}
        self._dirty: Set[str] = set()
        self._cond = threading.Condition()
        self._changing = tuple(table.lookup("", "v1", p).key_prefix for p in ("pods", "services",
                                                                            "persistentvolumeclaims"))

    def run(self, stop: threading.Event, synced: threading.Event):
        listed = threading.Event()

        def on_synced():
            listed.set()
            synced.set()

        def on_quota(key: str, obj: Optional[dict]):
            namespace, name = key[len(PREFIX):].split("/", 1)
            with self._cond:
                names = self._by_namespace.setdefault(namespace, set())
                if obj is None:
                    names.discard(name)
                    return
                names.add(name)
                if needs_sync(obj) or not listed.is_set():   # at start every quota is recalculated once
                    self._mark(namespace)

        threads = [
            threading.Thread(target=informer.run, args=(self.storage, PREFIX, stop, on_quota, on_synced),
                             kwargs={"name": self.name}, name="resourcequota-informer", daemon=True),
            threading.Thread(target=self._watch_changes, args=(stop,), name="resourcequota-replenish", daemon=True)]
        for thread in threads:
            thread.start()
        self._work(stop)
        for thread in threads:
            thread.join()

    def _mark(self, namespace: str):
        """Caller holds the condition."""
        self._dirty.add(namespace)
        self._cond.notify()

    def _work(self, stop: threading.Event):
        next_resync = time.monotonic() + self.resync
        while not stop.is_set():
            with self._cond:
                if not self._dirty:
                    self._cond.wait(0.5)
                if time.monotonic() >= next_resync:
                    next_resync = time.monotonic() + self.resync
                    self._dirty.update(ns for ns, names in self._by_namespace.items() if names)
                dirty, self._dirty = self._dirty, set()
            for namespace in sorted(dirty):
                if stop.is_set():
                    return
                try:
                    self.sync_namespace(namespace)
                except Exception:  # noqa: BLE001 - one namespace's failure must not stop the loop
                    log.exception("resource quota sync failed", namespace=namespace)

    def _watch_changes(self, stop: threading.Event):
        """Replenishment: deletes anywhere, and changes of pods, services and claims, in namespaces with quotas."""
        while not stop.is_set():
            watcher = None
            try:
                watcher = self.storage.watch("/registry/", self.storage.current_revision())
                while not stop.is_set():
                    event = watcher.next(0.5)
                    if event is None or event.type == st.PROGRESS:
                        continue
                    if event.key.startswith(PREFIX):
                        continue
                    if event.type == st.DELETED or (event.type == st.MODIFIED and event.key.startswith(
                            self._changing)):
                        namespace = event.key.rsplit("/", 2)[-2]
                        with self._cond:
                            if self._by_namespace.get(namespace):
                                self._mark(namespace)
            except st.StorageError as err:
                if stop.is_set():
                    return
                log.info("resource quota watch restarted", error=str(err))
                with self._cond:   # events may have been missed: look at every quota again
                    for namespace, names in self._by_namespace.items():
                        if names:
                            self._mark(namespace)
                stop.wait(0.5)
            finally:
                if watcher is not None:
                    watcher.stop()
                if stop.is_set():
                    with self._cond:   # the worker waits on the condition: let it see the stop now
                        self._cond.notify_all()

    # -- usage

    def sync_namespace(self, namespace: str):
        items, _, _, _ = self.quotas.list_page(namespace, None, None, None, None)
        for quota_obj in items:
            for _ in range(5):
                try:
                    self.sync(quota_obj)
                    break
                except _Stale:
                    try:
                        quota_obj = self.quotas.get(namespace, quota_obj["metadata"]["name"])
                    except StatusError:
                        break

    def sync(self, quota_obj: dict):
        """syncResourceQuota: status.hard from spec.hard, status.used recalculated for what it tracks."""
        md = quota_obj["metadata"]
        status = quota_obj.get("status") or {}
        hard = resource_list((quota_obj.get("spec") or {}).get("hard"))
        used = resource_list(status.get("used"))
        used.update(self.calculate(md["namespace"], quota_obj, hard))
        used = {k: v for k, v in used.items() if k in hard}
        new_status = {"hard": used_status(hard), "used": used_status(used)}
        if status == new_status:
            return
        seen = md.get("resourceVersion")

        def mutate(current: dict) -> dict:
            if current["metadata"].get("resourceVersion") != seen:
                raise _Stale()
            current["status"] = new_status
            return current

        try:
            self.quotas.update_internal(md["namespace"], md["name"], mutate, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise

    def calculate(self, namespace: str, quota_obj: dict, hard: ResourceList) -> ResourceList:
        """CalculateUsage: each evaluator that tracks one of the hard names sums its objects that match the
        quota's scopes; every tracked name starts at zero."""
        selectors = qu.scope_selectors(quota_obj)
        result: ResourceList = {}
        for group, plural in self._evaluated(hard):
            names = qu.matching_resources(group, plural, hard)
            if not names:
                continue
            stats: ResourceList = {n: Quantity(0) for n in names}
            for obj in self._objects(namespace, group, plural, bool(selectors)):
                if all(qu.matches_scope(group, plural, s, obj) for s in selectors):
                    stats = qu.add(stats, qu.usage(group, plural, obj))
            result = qu.add(result, stats)
        return {k: v for k, v in result.items() if k in hard}

    @staticmethod
    def _evaluated(hard: ResourceList) -> List[Tuple[str, str]]:
        out = list(CORE_EVALUATED)
        for name in hard:
            if name.startswith("count/"):
                plural, _, group = name[len("count/"):].partition(".")
                if (group, plural) not in out:
                    out.append((group, plural))
        return out

    def _objects(self, namespace: str, group: str, plural: str, decode_all: bool) -> List[dict]:
        r = next((r for r in self.table.resources if r.group == group and r.plural == plural and r.namespaced),
                 None)
        if r is None:
            return []
        kvs = self.storage.list(r.list_prefix(namespace)).items
        if (group, plural) in CORE_EVALUATED[:3] or decode_all:
            return [json.loads(kv.value) for kv in kvs]
        return [{} for _ in kvs]   # counted by key: nothing else of theirs matters
