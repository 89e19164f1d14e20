"""ResourceQuota (k8s.io/apiserver ``pkg/admission/plugin/resourcequota``): a write that would use more than a
quota of its namespace allows is refused; an admitted one is charged to the quotas' ``status.used`` before the
object is stored, with a compare-and-swap on each quota (retried on conflict), so concurrent writes cannot both
take the last unit. Quotas count only once the resourcequota controller has filled their ``status.hard``, as
upstream's. Dry runs are checked but not charged. Not done: the plugin's configuration file (limitedResources).

Which namespaces have quotas is kept by a watch, as upstream's lister; a namespace the watch has no quota for is
looked up live at most every 30 s (upstream's live-lookup cache), so a write to a namespace without quotas costs
no storage read — on etcd a round trip per create."""

from __future__ import annotations

import threading
import time
from typing import Dict, List, Set, Tuple

from apiserver.admission import quotausage as qu
from apiserver.admission.interface import CREATE, UPDATE, Attributes, forbidden
from apiserver.admission.limitranger import ResourceList, resource_list
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options
from apiserver.server.lifecycle import StopEvent

ATTEMPTS = 10
PREFIX = "/registry/resourcequotas/"
LIVE_LOOKUP_TTL = 30.0
MANAGER = Options(field_manager="kube-apiserver")


class _Stale(Exception):
    """The quota changed since it was read: evaluate again."""


def used_status(used: ResourceList) -> dict:
    return {k: str(used[k]) for k in sorted(used)}


class ResourceQuota:
    name = "ResourceQuota"

    def __init__(self, ctx):
        from apiserver.controllers import informer
        self.quotas = ctx.api.store(ctx.table.lookup("", "v1", "resourcequotas"))
        self._by_namespace: Dict[str, Set[str]] = {}    # from the watch
        self._no_quota_until: Dict[str, float] = {}     # live lookups that found none, until when they count
        self._stop = StopEvent()   # ends the informer's watch at once when closing
        self._synced = threading.Event()
        self._thread = threading.Thread(target=informer.run, daemon=True, name="resourcequota-admission",
                                        args=(ctx.storage, PREFIX, self._stop, self._on_quota, self._synced.set),
                                        kwargs={"name": self.name})
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(5)

    def _on_quota(self, key: str, obj):
        namespace, _, name = key[len(PREFIX):].partition("/")
        names = self._by_namespace.setdefault(namespace, set())
        if obj is None:
            names.discard(name)
        else:
            names.add(name)
            self._no_quota_until.pop(namespace, None)

    def _may_have_quotas(self, namespace: str) -> bool:
        """False only when neither the watch nor a recent live lookup knows a quota in the namespace."""
        if not self._synced.is_set() or self._by_namespace.get(namespace):
            return True
        return self._no_quota_until.get(namespace, 0.0) < time.monotonic()

    def validate(self, attrs: Attributes) -> None:
        if attrs.subresource or not attrs.namespace or attrs.operation not in (CREATE, UPDATE):
            return
        if not isinstance(attrs.obj, dict) or not qu.handles(attrs):
            return
        if not self._may_have_quotas(attrs.namespace):
            return
        for _ in range(ATTEMPTS):
            items, _, _, _ = self.quotas.list_page(attrs.namespace, None, None, None, None)
            if not items:
                if len(self._no_quota_until) > 10000:
                    self._no_quota_until = {}
                self._no_quota_until[attrs.namespace] = time.monotonic() + LIVE_LOOKUP_TTL
                return
            charges = self.check(attrs, items)
            if not charges or attrs.dry_run:
                return
            try:
                for quota_obj, used in charges:
                    self._charge(quota_obj, used)
                return
            except _Stale:
                continue   # another write charged a quota meanwhile: evaluate against its new usage
        raise forbidden(attrs, "the quota status kept changing while it was updated; please try again")

    def check(self, attrs: Attributes, quotas: List[dict]) -> List[Tuple[dict, ResourceList]]:
        """CheckRequest: the quotas whose usage changes, with their new usage; refusals as upstream's."""
        group, plural, obj = attrs.group, attrs.plural, attrs.obj
        interesting = []
        for quota_obj in quotas:
            status = quota_obj.get("status") if isinstance(quota_obj.get("status"), dict) else {}
            hard = resource_list(status.get("hard"))
            if not qu.quota_matches(group, plural, quota_obj, hard, obj):
                continue
            name = quota_obj["metadata"]["name"]
            restricted = qu.matching_resources(group, plural, hard)
            problem = qu.constraints(group, plural, restricted, obj)
            if problem:
                raise forbidden(attrs, f"failed quota: {name}: {problem}")
            used_names = status.get("used") if isinstance(status.get("used"), dict) else {}
            if any(r not in used_names for r in restricted):
                raise forbidden(attrs, f"status unknown for quota: {name}, resources: {','.join(sorted(restricted))}")
            interesting.append((quota_obj, hard, resource_list(status.get("used"))))
        if not interesting:
            return []
        delta = qu.usage(group, plural, obj)
        negative = sorted(k for k, v in delta.items() if v.sign() < 0)
        if negative:
            raise forbidden(attrs, f"quota usage is negative for resource(s): {','.join(negative)}")
        if attrs.operation == UPDATE and isinstance(attrs.old, dict):
            delta = qu.subtract_non_negative(delta, qu.usage(group, plural, attrs.old))
        delta = {k: v for k, v in delta.items() if not v.is_zero()}
        if not delta:
            return []
        charges = []
        for quota_obj, hard, used in interesting:
            requested = {k: v for k, v in delta.items() if k in hard}
            new_used = qu.add(used, requested)
            exceeded = sorted(k for k in requested if new_used[k] > hard[k])
            if exceeded:
                failed = [qu.pretty({k: items[k] for k in exceeded if k in items}) for items in (requested, used, hard)]
                raise forbidden(attrs, f"exceeded quota: {quota_obj['metadata']['name']}, requested: {failed[0]}, "
                                       f"used: {failed[1]}, limited: {failed[2]}")
            if requested:
                charges.append((quota_obj, new_used))
        return charges

    def _charge(self, quota_obj: dict, used: ResourceList) -> None:
        md = quota_obj["metadata"]
        seen = md.get("resourceVersion")

        def mutate(current: dict) -> dict:
            if current["metadata"].get("resourceVersion") != seen:
                raise _Stale()
            current.setdefault("status", {})["used"] = used_status(used)
            return current

        try:
            self.quotas.update_internal(md["namespace"], md["name"], mutate, MANAGER)
        except StatusError as err:
            if err.code == 404:
                raise _Stale() from None   # the quota went away: evaluate without it
            raise
