"""Garbage collection by ownerReferences (kube-controller-manager's garbage collector).

A graph of every object (uid → owners, dependents) is kept from one watch over the whole registry. Work is
level-triggered, by uid, in a worker thread: an object all of whose owners are gone is deleted (Background);
an owner being deleted with the ``orphan`` finalizer has itself removed from its dependents' ownerReferences,
then the finalizer; with ``foregroundDeletion`` its dependents are deleted (in the foreground too) and the
finalizer goes once no dependent that blocks owner deletion is left. A restart rebuilds the graph and finishes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from apiserver import logs
from apiserver.controllers import informer
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import FOREGROUND, ORPHAN, Options
from apiserver.storage import interface as st

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="generic-garbage-collector")


@dataclass
class Node:
    uid: str
    key: str
    namespace: str
    name: str
    namespaced: bool
    owners: List[dict]
    deleting: bool
    finalizers: List[str]
    dependents: Set[str] = field(default_factory=set)


class GarbageCollector:
    name = "garbagecollector"

    def __init__(self, api, table, storage):
        self.api = api
        self.table = table
        self.storage = storage
        self.nodes: Dict[str, Node] = {}
        self.by_key: Dict[str, str] = {}
        self.dependents: Dict[str, Set[str]] = {}    # owner uid → dependent uids (owners may not exist)
        self._queue: Dict[str, float] = {}          # uid → not before (monotonic)
        self._cond = threading.Condition()
        self._resources_generation = -1
        self._resource_by_directory: Dict[str, object] = {}

    # -- the graph

    def resource_for_key(self, key: str):
        """The resource a storage key belongs to, remembered per key directory until the table changes (every
        event passes here)."""
        directory = key.rsplit("/", 1)[0]
        if self._resources_generation != self.table.generation:
            self._resources_generation, self._resource_by_directory = self.table.generation, {}
        try:
            return self._resource_by_directory[directory]
        except KeyError:
            pass
        best = None
        for r in self.table.resources:
            if key.startswith(r.key_prefix) and (best is None or len(r.key_prefix) > len(best.key_prefix)):
                if best is None or not r.storage_kind:
                    best = r
        if len(self._resource_by_directory) > 10000:
            self._resource_by_directory = {}
        self._resource_by_directory[directory] = best
        return best

    def on_object(self, key: str, obj: Optional[dict]):
        with self._cond:
            old_uid = self.by_key.get(key)
            old = self.nodes.get(old_uid) if old_uid else None
            if obj is None:
                if old is not None:
                    self._forget(old)
                    for uid in list(self.dependents.get(old.uid, ())) + [o.get("uid") for o in old.owners]:
                        self._enqueue(uid)
                return
            md = obj.get("metadata") or {}
            uid = md.get("uid")
            if not uid:
                return
            r = self.resource_for_key(key)
            owners = [o for o in md.get("ownerReferences") or () if isinstance(o, dict) and o.get("uid")]
            node = Node(uid, key, md.get("namespace", ""), md.get("name", ""),
                        bool(r.namespaced) if r is not None else bool(md.get("namespace")),
                        owners, bool(md.get("deletionTimestamp")), list(md.get("finalizers") or ()))
            if old is not None:
                self._forget(old)
            self.nodes[uid] = node
            self.by_key[key] = uid
            for owner in owners:
                self.dependents.setdefault(owner["uid"], set()).add(uid)
            if owners or node.deleting:
                self._enqueue(uid)
            for owner in owners:   # an owner waiting for its dependents looks again when one changes
                owner_node = self.nodes.get(owner["uid"])
                if owner_node is not None and owner_node.deleting:
                    self._enqueue(owner_node.uid)
            for dep in self.dependents.get(uid, ()):   # an owner appeared or changed: its dependents re-check
                if node.deleting:
                    self._enqueue(dep)

    def _forget(self, node: Node):
        self.nodes.pop(node.uid, None)
        if self.by_key.get(node.key) == node.uid:
            self.by_key.pop(node.key, None)
        for owner in node.owners:
            deps = self.dependents.get(owner["uid"])
            if deps is not None:
                deps.discard(node.uid)
                if not deps:
                    self.dependents.pop(owner["uid"], None)

    def _enqueue(self, uid: Optional[str], delay: float = 0.0):
        if uid:
            when = time.monotonic() + delay
            self._queue[uid] = min(self._queue.get(uid, when), when)
            self._cond.notify()

    # -- running

    def run(self, stop: threading.Event, synced: threading.Event):
        worker = threading.Thread(target=self._work, args=(stop,), name="gc-worker", daemon=True)
        worker.start()
        informer.run(self.storage, "/registry/", stop, self.on_object, synced.set, name=self.name)
        with self._cond:
            self._cond.notify_all()
        worker.join(timeout=5)

    def _work(self, stop: threading.Event):
        while not stop.is_set():
            with self._cond:
                now = time.monotonic()
                ready = [uid for uid, when in self._queue.items() if when <= now]
                if not ready:
                    waits = [when - now for when in self._queue.values()]
                    self._cond.wait(min(waits + [0.5]))
                    continue
                for uid in ready:
                    del self._queue[uid]
            for uid in ready:
                try:
                    self.process(uid)
                except StatusError as err:
                    log.info("garbage collection retried", uid=uid, error=err.message)
                    with self._cond:
                        self._enqueue(uid, 1.0)
                except Exception:  # noqa: BLE001 - keep collecting
                    log.exception("garbage collection failed", uid=uid)
                    with self._cond:
                        self._enqueue(uid, 5.0)

    # -- decisions

    def process(self, uid: str):
        node = self.nodes.get(uid)
        if node is None:
            return
        if node.deleting and ORPHAN in node.finalizers:
            self.orphan_dependents(node)
            return
        if node.deleting and FOREGROUND in node.finalizers:
            self.delete_dependents(node)
            return
        if node.owners and not node.deleting:
            verdicts = [(ref, self.owner_exists(node, ref)) for ref in node.owners]
            if not any(ok for _, ok in verdicts):
                self.delete(node, "Background")
            elif not all(ok for _, ok in verdicts):
                self.drop_references(node, {ref["uid"] for ref, ok in verdicts if not ok})

    def owner_exists(self, node: Node, ref: dict) -> bool:
        """Whether the owner exists with this uid where the dependent may refer to it (scope rules)."""
        owner = self.nodes.get(ref["uid"])
        if owner is None:
            resolved = self._lookup(node, ref)
            if resolved is None:
                return True   # a kind this server does not serve: leave the dependent alone, as upstream
            return resolved
        if owner.namespaced and not node.namespaced:
            return True   # a namespaced owner of a cluster-scoped object: upstream leaves the object alone
        if owner.namespaced:
            return owner.namespace == node.namespace
        return True

    def _lookup(self, node: Node, ref: dict) -> Optional[bool]:
        """Read the owner from storage when the graph has not seen it (it may have just been created)."""
        api_version = ref.get("apiVersion", "")
        group, _, version = api_version.rpartition("/")
        r = self.table.by_kind(group, version, ref.get("kind", ""))
        if r is None:
            return None
        if r.namespaced and not node.namespaced:
            return None   # not resolvable for a cluster-scoped dependent: leave it alone, as upstream
        try:
            kv = self.storage.get(r.key(node.namespace if r.namespaced else "", ref.get("name", "")))
        except st.NotFoundError:
            return False
        return (json.loads(kv.value).get("metadata") or {}).get("uid") == ref["uid"]

    def delete(self, node: Node, policy: str):
        r = self.resource_for_key(node.key)
        if r is None:
            return
        try:
            self.api.store(r).delete(node.namespace if r.namespaced else "", node.name,
                                     {"propagationPolicy": policy, "preconditions": {"uid": node.uid}}, MANAGER)
        except StatusError as err:
            if err.code not in (404, 409):
                raise

    def delete_dependents(self, node: Node):
        """Foreground: delete every dependent (those with dependents of their own in the foreground too); the
        owner's finalizer goes once no dependent blocks it."""
        blocking = 0
        for dep_uid in list(self.dependents.get(node.uid, ())):
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            ref = next((o for o in dep.owners if o["uid"] == node.uid), {})
            blocks = bool(ref.get("blockOwnerDeletion"))
            if not dep.deleting:
                grandchildren = [self.nodes[u] for u in self.dependents.get(dep.uid, ()) if u in self.nodes]
                if any(g.deleting and FOREGROUND in g.finalizers for g in grandchildren) and blocks:
                    # a cycle, likely: as upstream, the dependent's reference stops blocking this owner
                    self.unblock(dep, node.uid)
                    blocks = False
                self.delete(dep, "Foreground" if grandchildren else "Background")
            if blocks:
                blocking += 1
        if blocking == 0:
            self.remove_finalizer(node, FOREGROUND)

    def unblock(self, dep: Node, owner_uid: str):
        def clear(obj: dict) -> dict:
            for ref in obj["metadata"].get("ownerReferences") or ():
                if ref.get("uid") == owner_uid:
                    ref["blockOwnerDeletion"] = False
            return obj
        self._update(dep, clear)

    def drop_references(self, dep: Node, dangling: set):
        """Remove references to owners that do not exist from an object that still has a real owner."""
        def drop(obj: dict) -> dict:
            obj["metadata"]["ownerReferences"] = [o for o in obj["metadata"].get("ownerReferences") or ()
                                                  if o.get("uid") not in dangling]
            return obj
        self._update(dep, drop)

    def _update(self, node: Node, mutate):
        r = self.resource_for_key(node.key)
        if r is None:
            return
        try:
            self.api.store(r).update_internal(node.namespace if r.namespaced else "", node.name, mutate, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise

    def orphan_dependents(self, node: Node):
        for dep_uid in list(self.dependents.get(node.uid, ())):
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            r = self.resource_for_key(dep.key)
            if r is None:
                continue

            def drop_owner(obj: dict, owner=node.uid) -> dict:
                refs = [o for o in obj["metadata"].get("ownerReferences") or () if o.get("uid") != owner]
                if refs:
                    obj["metadata"]["ownerReferences"] = refs
                else:
                    obj["metadata"].pop("ownerReferences", None)
                return obj
            try:
                self.api.store(r).update_internal(dep.namespace if r.namespaced else "", dep.name, drop_owner,
                                                  MANAGER)
            except StatusError as err:
                if err.code != 404:
                    raise
        self.remove_finalizer(node, ORPHAN)

    def remove_finalizer(self, node: Node, finalizer: str):
        r = self.resource_for_key(node.key)
        if r is None:
            return

        def drop(obj: dict) -> dict:
            remaining = [f for f in obj["metadata"].get("finalizers") or () if f != finalizer]
            if remaining:
                obj["metadata"]["finalizers"] = remaining
            else:
                obj["metadata"].pop("finalizers", None)
            return obj
        try:
            self.api.store(r).update_internal(node.namespace if r.namespaced else "", node.name, drop, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise
