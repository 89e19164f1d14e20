"""What an object costs in quota (pkg/quota/v1/evaluator/core and generic): one evaluator per resource, shared by
the ResourceQuota admission plugin and the resourcequota controller.

Object counts: ``count/<resource>[.<group>]`` for every resource, and the legacy names ``pods``, ``services``,
``configmaps``, ``secrets``, ``persistentvolumeclaims``, ``resourcequotas``, ``replicationcontrollers``,
``services.loadbalancers``, ``services.nodeports``. Compute for pods (``cpu``, ``memory``, ``ephemeral-storage``,
their ``requests.``/``limits.`` forms, hugepages, extended ``requests.*``), storage for claims (``requests.storage``
and per storage class). Pod scopes: Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass,
CrossNamespacePodAffinity; objects other than pods match no scope, as upstream's.
"""

from __future__ import annotations

import datetime
from typing import Dict, Iterable, List, Optional

from apiserver.admission.interface import CREATE, UPDATE, Attributes
from apiserver.admission.limitranger import (
    ResourceList,
    add_lists,
    container_totals,
    containers_of,
    resource_list,
    resources_of,
)
from apiserver.apis.quantity import Quantity
from apiserver.registry import meta

LEGACY_ALIASES = {("", "configmaps"): "configmaps", ("", "secrets"): "secrets",
                  ("", "resourcequotas"): "resourcequotas",
                  ("", "replicationcontrollers"): "replicationcontrollers"}
POD_RESOURCES = ("count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                 "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods")
POD_PREFIXES = ("hugepages-", "requests.hugepages-")
# The mistake upstream keeps for compatibility: quota on these makes every container state them.
VALIDATION_SET = frozenset(("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"))
SERVICE_RESOURCES = ("count/services", "services", "services.loadbalancers", "services.nodeports")
CLAIM_RESOURCES = ("persistentvolumeclaims", "requests.storage")
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
ONE = Quantity(1)


def count_name(group: str, plural: str) -> str:
    """ObjectCountQuotaResourceNameFor: ``count/pods``, ``count/deployments.apps``."""
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def is_native(name: str) -> bool:
    """helper.IsNativeResource: no domain, or a kubernetes.io one."""
    return "/" not in name or name.split("/", 1)[0].endswith("kubernetes.io")


def _pod_matching(names: Iterable[str]) -> List[str]:
    out = []
    for name in names:
        if name in POD_RESOURCES or name.startswith(POD_PREFIXES) or (
                name.startswith("requests.") and not is_native(name)):
            out.append(name)
    return out


def matching_resources(group: str, plural: str, names: Iterable[str]) -> List[str]:
    """The quota resource names this resource's evaluator tracks, among ``names``."""
    names = list(names)
    if group == "" and plural == "pods":
        return _pod_matching(names)
    if group == "" and plural == "services":
        return [n for n in names if n in SERVICE_RESOURCES]
    if group == "" and plural == "persistentvolumeclaims":
        return [n for n in names if n in CLAIM_RESOURCES or n == count_name("", plural) or any(
            n.endswith(STORAGE_CLASS_SUFFIX + r) for r in CLAIM_RESOURCES)]
    wanted = {count_name(group, plural), LEGACY_ALIASES.get((group, plural))}
    return [n for n in names if n in wanted]


# -- pods

def _terminal(pod: dict) -> bool:
    return ((pod.get("status") or {}).get("phase")) in ("Failed", "Succeeded")


def pod_charged(pod: dict, now: Optional[datetime.datetime] = None) -> bool:
    """QuotaV1Pod: pods that finished, or whose deletion grace ran out, no longer use compute quota."""
    if _terminal(pod):
        return False
    md = pod.get("metadata") or {}
    grace = md.get("deletionGracePeriodSeconds")
    deleted = meta.parse_timestamp(md.get("deletionTimestamp") or "")
    if deleted is not None and isinstance(grace, int):
        if (now or meta.now()) > deleted + datetime.timedelta(seconds=grace):
            return False
    return True


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def pod_totals(spec: dict, kind: str) -> ResourceList:
    """resourcehelper.PodRequests/PodLimits: the containers' totals (``container_totals``) plus the overhead
    (for limits, only where a limit is set)."""
    total = container_totals(spec, kind)
    overhead = resource_list(spec.get("overhead"))
    if kind == "requests":
        add_lists(total, overhead)
    else:
        add_lists(total, {k: v for k, v in overhead.items() if k in total})
    return total


def compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper."""
    out: ResourceList = {"pods": Quantity(1)}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            out[name] = requests[name]
            out["requests." + name] = requests[name]
        if name in limits:
            out["limits." + name] = limits[name]
    for name, q in requests.items():
        if name.startswith("hugepages-"):
            out[name] = q
            out["requests." + name] = q
        elif not is_native(name):
            out["requests." + name] = q
    return out


def pod_usage(pod: dict) -> ResourceList:
    usage: ResourceList = {"count/pods": Quantity(1)}
    if not pod_charged(pod):
        return usage
    spec = _spec(pod)
    usage.update(compute_usage(pod_totals(spec, "requests"), pod_totals(spec, "limits")))
    return usage


def pod_constraints(required: Iterable[str], pod: dict) -> Optional[str]:
    """podEvaluator.Constraints: with cpu or memory quota, every container must state them."""
    required_set = set(required) & VALIDATION_SET
    missing: Dict[str, set] = {}
    spec = _spec(pod)
    for container in containers_of(spec, "containers") + containers_of(spec, "initContainers"):
        have = set(compute_usage(resources_of(container, "requests"), resources_of(container, "limits")))
        for name in required_set - have:
            missing.setdefault(name, set()).add(container.get("name", ""))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing))


def is_terminating(pod: dict) -> bool:
    deadline = _spec(pod).get("activeDeadlineSeconds")
    return isinstance(deadline, int) and not isinstance(deadline, bool) and deadline >= 0


def is_best_effort(pod: dict) -> bool:
    """QoS BestEffort: no container asks for or limits cpu or memory (positive amounts only)."""
    spec = _spec(pod)
    for key in ("containers", "initContainers"):
        for container in containers_of(spec, key):
            for kind in ("requests", "limits"):
                for name, q in resources_of(container, kind).items():
                    if name in ("cpu", "memory") and q.sign() > 0:
                        return False
    return True


def _cross_namespace_affinity(pod: dict) -> bool:
    affinity = _spec(pod).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        terms = affinity.get(kind) or {}
        for term in terms.get("requiredDuringSchedulingIgnoredDuringExecution") or ():
            if isinstance(term, dict) and (term.get("namespaces") or term.get("namespaceSelector") is not None):
                return True
        for weighted in terms.get("preferredDuringSchedulingIgnoredDuringExecution") or ():
            term = (weighted or {}).get("podAffinityTerm") or {}
            if term.get("namespaces") or term.get("namespaceSelector") is not None:
                return True
    return False


def pod_matches_scope(selector: dict, pod: dict) -> bool:
    scope = selector.get("scopeName")
    if scope == "Terminating":
        return is_terminating(pod)
    if scope == "NotTerminating":
        return not is_terminating(pod)
    if scope == "BestEffort":
        return is_best_effort(pod)
    if scope == "NotBestEffort":
        return not is_best_effort(pod)
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(pod)
    if scope == "PriorityClass":
        name = _spec(pod).get("priorityClassName") or ""
        op, values = selector.get("operator"), selector.get("values") or []
        if op == "Exists":
            return bool(name)
        if op == "DoesNotExist":
            return not name
        if op == "In":
            return bool(name) and name in values
        if op == "NotIn":
            return not name or name not in values
    return False


# -- services and claims

def service_usage(service: dict) -> ResourceList:
    spec = _spec(service)
    usage: ResourceList = {"count/services": Quantity(1), "services": Quantity(1)}
    ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
    kind = spec.get("type")
    if kind == "NodePort":
        usage["services.nodeports"] = Quantity(len(ports))
    elif kind == "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is False:
            usage["services.nodeports"] = Quantity(sum(1 for p in ports if p.get("nodePort")))
        else:
            usage["services.nodeports"] = Quantity(len(ports))
        usage["services.loadbalancers"] = Quantity(1)
    return usage


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName."""
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return annotations["volume.beta.kubernetes.io/storage-class"] or ""
    return _spec(claim).get("storageClassName") or ""


def claim_usage(claim: dict) -> ResourceList:
    usage: ResourceList = {"persistentvolumeclaims": Quantity(1), "count/persistentvolumeclaims": Quantity(1)}
    storage_class = claim_class(claim)
    if storage_class:
        usage[storage_class + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims"] = Quantity(1)
    resources = _spec(claim).get("resources")
    request = resource_list((resources or {}).get("requests") if isinstance(resources, dict) else None).get(
        "storage")
    if request is not None:
        usage["requests.storage"] = request
        if storage_class:
            usage[storage_class + STORAGE_CLASS_SUFFIX + "requests.storage"] = request
    return usage


# -- the evaluator interface the plugin and the controller use

def usage(group: str, plural: str, obj: dict) -> ResourceList:
    if group == "" and plural == "pods":
        return pod_usage(obj)
    if group == "" and plural == "services":
        return service_usage(obj)
    if group == "" and plural == "persistentvolumeclaims":
        return claim_usage(obj)
    out: ResourceList = {count_name(group, plural): Quantity(1)}
    alias = LEGACY_ALIASES.get((group, plural))
    if alias:
        out[alias] = Quantity(1)
    return out


def handles(attrs: Attributes) -> bool:
    """Which writes can change usage: creates, and updates of services, claims, and pods whose Terminating
    scope changes."""
    if attrs.subresource:
        return False
    if attrs.operation == CREATE:
        return True
    if attrs.operation != UPDATE or attrs.group != "":
        return False
    if attrs.plural in ("services", "persistentvolumeclaims"):
        return True
    if attrs.plural == "pods" and isinstance(attrs.old, dict) and isinstance(attrs.obj, dict):
        return is_terminating(attrs.old) != is_terminating(attrs.obj)
    return False


def matches_scope(group: str, plural: str, selector: dict, obj: dict) -> bool:
    if group == "" and plural == "pods":
        return pod_matches_scope(selector, obj)
    return False


def constraints(group: str, plural: str, required: Iterable[str], obj: dict) -> Optional[str]:
    if group == "" and plural == "pods":
        return pod_constraints(required, obj)
    return None


def scope_selectors(quota: dict) -> List[dict]:
    """getScopeSelectorsFromQuota: spec.scopes as Exists, then spec.scopeSelector's expressions."""
    spec = _spec(quota)
    out = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or () if isinstance(s, str)]
    selector = spec.get("scopeSelector")
    if isinstance(selector, dict):
        out += [e for e in selector.get("matchExpressions") or () if isinstance(e, dict)]
    return out


def quota_matches(group: str, plural: str, quota_obj: dict, hard_names: Iterable[str], obj: dict) -> bool:
    """generic.Matches: the quota tracks one of this resource's names and every scope matches the object."""
    if not matching_resources(group, plural, hard_names):
        return False
    return all(matches_scope(group, plural, s, obj) for s in scope_selectors(quota_obj))


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.Add: a copy of ``a`` with ``b`` added."""
    out = {k: Quantity(v.value, v.format) for k, v in a.items()}
    for key, q in b.items():
        out[key] = out[key] + q if key in out else Quantity(q.value, q.format)
    return out


def subtract_non_negative(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.SubtractWithNonNegativeResult."""
    out: ResourceList = {}
    for key, q in a.items():
        value = q - b[key] if key in b else Quantity(q.value, q.format)
        out[key] = value if value.sign() >= 0 else Quantity(0, q.format)
    for key, q in b.items():
        if key not in out:
            out[key] = Quantity(0, q.format)
    return out


def pretty(items: ResourceList) -> str:
    """prettyPrint: ``name=value`` sorted by name, comma separated."""
    return ",".join(f"{k}={items[k]}" for k in sorted(items))
