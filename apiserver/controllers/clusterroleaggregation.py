"""ClusterRoles with an aggregationRule get the rules of every ClusterRole their selectors match
(pkg/controller/clusterroleaggregation): how ``admin``, ``edit`` and ``view`` pick up rules from
``rbac.authorization.k8s.io/aggregate-to-*`` roles, including ones users add for their custom resources."""

from __future__ import annotations

import threading
from typing import Dict, List, Optional

from apiserver import logs
from apiserver.controllers import informer
from apiserver.endpoints import selectors
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="clusterrole-aggregation-controller")
PREFIX = "/registry/clusterroles/"


class ClusterRoleAggregationController:
    name = "clusterrole-aggregation"

    def __init__(self, api, table, storage):
        self.storage = storage
        self.roles_store = api.store(table.lookup("rbac.authorization.k8s.io", "v1", "clusterroles"))
        self.roles: Dict[str, dict] = {}
        self._dirty = threading.Event()

    def run(self, stop: threading.Event, synced: threading.Event):
        listed = threading.Event()

        def on_object(key: str, obj: Optional[dict]):
            name = key[len(PREFIX):]
            if obj is None:
                self.roles.pop(name, None)
            else:
                self.roles[name] = obj
            self._dirty.set()

        def on_synced():
            listed.set()

        thread = threading.Thread(target=informer.run, args=(self.storage, PREFIX, stop, on_object, on_synced),
                                  kwargs={"name": self.name, "idle": 0.2}, name=f"{self.name}-informer", daemon=True)
        thread.start()
        listed.wait(10)
        self.sync_all()
        synced.set()
        while not stop.is_set():
            if self._dirty.wait(0.5):
                self._dirty.clear()
                stop.wait(0.02)   # let a burst of changes settle into one pass
                self.sync_all()
        thread.join()

    def sync_all(self):
        for name, role in sorted(self.roles.items()):
            rule = role.get("aggregationRule")
            if not isinstance(rule, dict):
                continue
            rules = self.aggregate(name, rule)
            if rules != (role.get("rules") or []):
                self.write(name, rules)

    def aggregate(self, name: str, aggregation: dict) -> List[dict]:
        matchers = []
        for selector in aggregation.get("clusterRoleSelectors") or ():
            try:
                matchers.append(selectors.label_selector_from_object(selector))
            except selectors.SelectorError:
                continue
        rules: List[dict] = []
        for other_name, other in sorted(self.roles.items()):
            if other_name == name:
                continue
            labels = (other.get("metadata") or {}).get("labels") or {}
            if not any(m.matches(labels) for m in matchers):
                continue
            for rule in other.get("rules") or ():
                if rule not in rules:
                    rules.append(rule)
        return rules

    def write(self, name: str, rules: List[dict]):
        def set_rules(current: dict) -> dict:
            current["rules"] = rules
            return current
        try:
            self.roles_store.update_internal("", name, set_rules, MANAGER)
        except StatusError as err:
            log.info("aggregation not written; retried on the next change", clusterrole=name, error=err.message)
