"""Namespace deletion (kube-controller-manager's namespace controller): a Terminating namespace has all its
content deleted, waits for that content's finalizers, then loses its ``kubernetes`` finalizer and goes."""

from __future__ import annotations

import json
import threading
from typing import Dict, List

from apiserver import logs
from apiserver.apiextensions.controller import set_condition
from apiserver.controllers import informer
from apiserver.endpoints.status import StatusError
from apiserver.registry import meta
from apiserver.registry.namespaces import terminating
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
PREFIX = "/registry/namespaces/"
MANAGER = Options(field_manager="kube-controller-manager")


class NamespaceController:
    name = "namespace"

    def __init__(self, api, table, storage):
        self.api = api
        self.table = table
        self.storage = storage
        self.namespaces = api.store(table.lookup("", "v1", "namespaces"))
        self._pending: Dict[str, bool] = {}

    def run(self, stop: threading.Event, synced: threading.Event):
        def on_object(key, obj):
            name = key[len(PREFIX):]
            if obj is not None and terminating(obj):
                self._pending[name] = True
                self.sync(name)
            else:
                self._pending.pop(name, None)

        def on_idle():
            for name in list(self._pending):
                self.sync(name)   # content with finalizers: look again until it is gone

        informer.run(self.storage, PREFIX, stop, on_object, synced.set, on_idle, name=self.name)

    def sync(self, name: str):
        try:
            remaining, finalizers = self.delete_content(name)
            self.namespaces.update_internal("", name, lambda ns: self.progress(ns, remaining, finalizers), MANAGER)
        except StatusError as err:
            if err.code == 404:
                self._pending.pop(name, None)
            else:
                log.info("namespace deletion retried", namespace=name, error=err.message)

    def delete_content(self, namespace: str):
        """Delete every namespaced object; returns {resource: count} still there and {finalizer: count}."""
        remaining: Dict[str, int] = {}
        finalizers: Dict[str, int] = {}
        seen = set()
        for r in list(self.table.resources):
            prefix = r.list_prefix(namespace)
            if not r.namespaced or prefix in seen or (r.info is not None and r.storage_kind):
                continue
            seen.add(prefix)
            store = self.api.store(r)
            for kv in self.storage.list(prefix).items:
                obj = json.loads(kv.value)
                md = obj.get("metadata") or {}
                if not md.get("deletionTimestamp"):
                    try:
                        obj, deleted = store.delete(namespace, md.get("name", ""),
                                                    {"propagationPolicy": "Background"}, MANAGER)
                    except StatusError as err:
                        if err.code == 404:
                            continue
                        raise
                    if deleted:
                        continue
                    md = obj.get("metadata") or {}
                qualified = f"{r.plural}.{r.group}"   # upstream prints core resources as "configmaps."
                remaining[qualified] = remaining.get(qualified, 0) + 1
                for f in md.get("finalizers") or ():
                    finalizers[f] = finalizers.get(f, 0) + 1
        return remaining, finalizers

    @staticmethod
    def progress(ns: dict, remaining: Dict[str, int], finalizers: Dict[str, int]) -> dict:
        """Upstream's deletion conditions; with nothing left, the ``kubernetes`` finalizer goes."""
        status = ns.setdefault("status", {})
        conditions: List[dict] = status.get("conditions") or []
        now = meta.timestamp()

        def cond(kind, value, reason, message):
            return {"type": kind, "status": value, "lastTransitionTime": now, "reason": reason, "message": message}
        for kind, reason, message in (
                ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
                ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
                 "All legacy kube types successfully parsed"),
                ("NamespaceDeletionContentFailure", "ContentDeleted",
                 "All content successfully deleted, may be waiting on finalization")):
            conditions = set_condition(conditions, cond(kind, "False", reason, message))
        if remaining:
            text = ", ".join(f"{res} has {n} resource instances" for res, n in sorted(remaining.items()))
            conditions = set_condition(conditions, cond("NamespaceContentRemaining", "True", "SomeResourcesRemain",
                                                        f"Some resources are remaining: {text}"))
        else:
            conditions = set_condition(conditions, cond("NamespaceContentRemaining", "False", "ContentRemoved",
                                                        "All content successfully removed"))
        if finalizers:
            text = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
            conditions = set_condition(conditions, cond(
                "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {text}"))
        else:
            conditions = set_condition(conditions, cond(
                "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                "All content-preserving finalizers finished"))
        status["conditions"] = conditions
        status["phase"] = "Terminating"
        if not remaining:
            spec = ns.setdefault("spec", {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != "kubernetes"]
        return ns
