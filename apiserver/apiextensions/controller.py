"""The apiextensions controllers, in one thread: establish CRDs (check names, serve their resources, set the
NamesAccepted and Established conditions) and, when a CRD is deleted, delete its objects before the CRD goes
(the ``customresourcecleanup.apiextensions.k8s.io`` finalizer), as upstream's apiextensions-apiserver does."""

from __future__ import annotations

import json
import threading
from typing import Callable, Dict, List, Optional

from apiserver import logs
from apiserver.apiextensions.crds import CLEANUP_FINALIZER, CRD_PREFIX, resources_for
from apiserver.apis.resources import ResourceDef, ResourceTable
from apiserver.endpoints.status import StatusError
from apiserver.registry import meta
from apiserver.registry.store import GenericStore, Options
from apiserver.storage import interface as st

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="kube-apiserver")


def _condition(kind: str, status: str, reason: str, message: str) -> dict:
    return {"type": kind, "status": status, "lastTransitionTime": meta.timestamp(), "reason": reason,
            "message": message}


def set_condition(conditions: List[dict], new: dict) -> List[dict]:
    """Replace the condition of the same type, keeping its transition time when the status did not change."""
    out = []
    for c in conditions:
        if c.get("type") == new["type"]:
            if c.get("status") == new["status"]:
                new = dict(new, lastTransitionTime=c.get("lastTransitionTime", new["lastTransitionTime"]))
            continue
        out.append(c)
    return out + [new]


class CRDController:
    def __init__(self, storage: st.Store, table: ResourceTable, crds: GenericStore,
                 store_for: Callable[[ResourceDef], GenericStore], changed: Callable[[], None]):
        self.storage = storage
        self.table = table
        self.crds = crds
        self.store_for = store_for
        self.changed = changed
        self._served: Dict[str, List[ResourceDef]] = {}   # CRD name → the resources it serves
        self._terminating: Dict[str, dict] = {}
        self._lock = threading.Lock()

    def run(self, stop: threading.Event, ready: Optional[threading.Event] = None):
        while not stop.is_set():
            watcher = None
            try:
                page = self.storage.list(CRD_PREFIX)
                seen = set()
                for kv in page.items:
                    crd = self.crds.read(kv)
                    seen.add(crd["metadata"]["name"])
                    self.sync(crd)
                for name in list(self._served):
                    if name not in seen:
                        self.unserve(name)
                if ready is not None:
                    ready.set()
                watcher = self.storage.watch(CRD_PREFIX, page.revision)
                while not stop.is_set():
                    event = watcher.next(0.5)
                    if event is None or event.type == st.PROGRESS:
                        for crd in list(self._terminating.values()):
                            self.sync(crd)   # keep deleting objects until none are left
                        continue
                    name = event.key[len(CRD_PREFIX):]
                    if event.type == st.DELETED:
                        self.unserve(name)
                    else:
                        self.sync(self.crds.read(st.KeyValue(event.key, event.value, 0, event.revision)))
            except (st.StorageError, ValueError, StatusError) as err:
                if stop.is_set():
                    return
                log.info("crd controller relisting", error=str(err))
                stop.wait(0.5)
            finally:
                if watcher is not None:
                    watcher.stop()

    # -- establishing

    def conflicts(self, crd: dict) -> Optional[tuple]:
        """(reason, message) when another resource of the group already uses one of this CRD's names."""
        spec = crd.get("spec") or {}
        names, group, own = spec.get("names") or {}, spec.get("group"), crd["metadata"]["name"]
        for r in self.table.resources:
            if r.group != group or (r.info is not None and r.info.crd_name == own):
                continue
            if r.plural == names.get("plural"):
                return "PluralConflict", f'"{r.plural}" is already in use'
            if r.kind == names.get("kind"):
                return "KindConflict", f'"{r.kind}" is already in use'
            if r.singular and r.singular == names.get("singular"):
                return "SingularConflict", f'"{r.singular}" is already in use'
            for short in names.get("shortNames") or ():
                if short in r.short_names:
                    return "ShortNamesConflict", f'"{short}" is already in use'
        return None

    def sync(self, crd: dict):
        md = crd["metadata"]
        name = md["name"]
        if md.get("deletionTimestamp"):
            self._terminating[name] = crd
            self.serve(name, resources_for(crd, terminating=True))
            self.cleanup(crd)
            return
        self._terminating.pop(name, None)
        conflict = self.conflicts(crd)
        if conflict is None:
            self.serve(name, resources_for(crd))
        names = (crd.get("spec") or {}).get("names") or {}

        def establish(current: dict) -> dict:
            current_md = current["metadata"]
            finalizers = current_md.get("finalizers") or []
            if CLEANUP_FINALIZER not in finalizers:
                current_md["finalizers"] = finalizers + [CLEANUP_FINALIZER]
            status = current.setdefault("status", {})
            conditions = status.get("conditions") or []
            if conflict is None:
                accepted = {k: v for k, v in names.items()}
                accepted.setdefault("singular", names.get("kind", "").lower())
                accepted.setdefault("listKind", names.get("kind", "") + "List")
                status["acceptedNames"] = accepted
                conditions = set_condition(conditions, _condition("NamesAccepted", "True", "NoConflicts",
                                                                  "no conflicts found"))
                conditions = set_condition(conditions, _condition("Established", "True", "InitialNamesAccepted",
                                                                  "the initial names have been accepted"))
            else:
                status.setdefault("acceptedNames", {"plural": "", "kind": ""})
                conditions = set_condition(conditions, _condition("NamesAccepted", "False", *conflict))
                conditions = set_condition(conditions, _condition("Established", "False", "NotAccepted",
                                                                  "not all names are accepted"))
            status["conditions"] = conditions
            stored = [v.get("name") for v in (current.get("spec") or {}).get("versions") or () if v.get("storage")]
            status["storedVersions"] = sorted(set(status.get("storedVersions") or []) | set(stored))
            return current

        try:
            self.crds.update_internal("", name, establish, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise

    def serve(self, name: str, resources: List[ResourceDef]):
        with self._lock:
            for old in self._served.get(name, []):
                if all((r.group, r.version, r.plural) != (old.group, old.version, old.plural) for r in resources):
                    self.table.remove(old.group, old.version, old.plural)
            for r in resources:
                self.table.add(r)
            self._served[name] = resources
        self.changed()

    def unserve(self, name: str):
        with self._lock:
            for old in self._served.pop(name, []):
                current = self.table.lookup(old.group, old.version, old.plural)
                if current is not None and current.info is not None and current.info.crd_name == name:
                    self.table.remove(old.group, old.version, old.plural)
        self._terminating.pop(name, None)
        self.changed()

    # -- deletion

    def cleanup(self, crd: dict):
        """Delete every object of the CRD; once none is left, drop the finalizer so the CRD goes."""
        name = crd["metadata"]["name"]
        if CLEANUP_FINALIZER not in (crd["metadata"].get("finalizers") or ()):
            return
        resources = self._served.get(name) or resources_for(crd, terminating=True)
        remaining = 0
        if resources:
            store = self.store_for(resources[0])
            prefix = resources[0].key_prefix
            for kv in self.storage.list(prefix).items:
                obj = json.loads(kv.value)
                obj_md = obj.get("metadata") or {}
                remaining += 1
                if obj_md.get("deletionTimestamp"):
                    continue   # waiting for its finalizers
                try:
                    store.delete(obj_md.get("namespace", ""), obj_md.get("name", ""),
                                 {"propagationPolicy": "Background"}, MANAGER)
                except StatusError as err:
                    if err.code != 404:
                        log.info("deleting a custom object failed", crd=name, error=err.message)
            remaining = len(self.storage.list(prefix).items)

        def progress(current: dict) -> dict:
            status = current.setdefault("status", {})
            if remaining:
                status["conditions"] = set_condition(status.get("conditions") or [], _condition(
                    "Terminating", "True", "InstanceDeletionInProgress",
                    "CustomResource deletion is in progress"))
            else:
                current["metadata"]["finalizers"] = [f for f in current["metadata"].get("finalizers") or []
                                                     if f != CLEANUP_FINALIZER]
            return current

        try:
            self.crds.update_internal("", name, progress, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise
