"""LimitRanger (plugin/pkg/admission/limitranger): the LimitRange objects of a namespace give new pods' containers
their default requests and limits (noted in the ``kubernetes.io/limit-ranger`` annotation), then bound the
requests and limits of containers, pods and persistent volume claims (min, max, maxLimitRequestRatio)."""

from __future__ import annotations

import copy
from typing import Dict, List, Optional

from apiserver.admission.interface import CREATE, UPDATE, Attributes, forbidden
from apiserver.apis.quantity import Quantity
from apiserver.endpoints.status import StatusError
from apiserver.registry.strategy import default_requests_from_limits

ANNOTATION = "kubernetes.io/limit-ranger"
CONTAINER, POD, CLAIM = "Container", "Pod", "PersistentVolumeClaim"

ResourceList = Dict[str, Quantity]


def default_limit_range_item(item: dict) -> None:
    """SetDefaults_LimitRangeItem: a Container item's default limit is its max, its default request the default
    limit, else its min."""
    if not isinstance(item, dict) or item.get("type") != CONTAINER:
        return
    default = item.get("default") if isinstance(item.get("default"), dict) else {}
    request = item.get("defaultRequest") if isinstance(item.get("defaultRequest"), dict) else {}
    for key, value in (item.get("max") or {}).items():
        default.setdefault(key, value)
    for key, value in default.items():
        request.setdefault(key, value)
    for key, value in (item.get("min") or {}).items():
        request.setdefault(key, value)
    if default:
        item["default"] = default
    if request:
        item["defaultRequest"] = request


def resource_list(value) -> ResourceList:
    """A ResourceList's parsable entries (validation reports the others)."""
    out: ResourceList = {}
    if isinstance(value, dict):
        for key, text in value.items():
            q = Quantity.of(text)
            if q is not None:
                out[key] = q
    return out


def add_lists(total: ResourceList, more: ResourceList) -> None:
    for key, q in more.items():
        total[key] = total[key] + q if key in total else Quantity(q.value, q.format)


def max_lists(total: ResourceList, other: ResourceList) -> None:
    for key, q in other.items():
        if key not in total or q > total[key]:
            total[key] = Quantity(q.value, q.format)


def containers_of(spec: dict, key: str) -> List[dict]:
    return [c for c in spec.get(key) or () if isinstance(c, dict)]


def resources_of(container: dict, kind: str) -> ResourceList:
    return resource_list((container.get("resources") or {}).get(kind) if isinstance(container.get("resources"),
                                                                                    dict) else None)


def container_totals(spec: dict, kind: str = "requests") -> ResourceList:
    """podRequests/podLimits: the containers' sum, at least the largest init container (sidecars add up)."""
    total: ResourceList = {}
    for container in containers_of(spec, "containers"):
        add_lists(total, resources_of(container, kind))
    sidecars: ResourceList = {}
    init: ResourceList = {}
    for container in containers_of(spec, "initContainers"):
        own = resources_of(container, kind)
        if container.get("restartPolicy") == "Always":
            add_lists(total, own)
            add_lists(sidecars, own)
            own = dict(sidecars)
        else:
            combined: ResourceList = {}
            add_lists(combined, own)
            add_lists(combined, sidecars)
            own = combined
        max_lists(init, own)
    max_lists(total, init)
    return total


def _min(limit_type: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList):
    req, lim = requests.get(name), limits.get(name)
    if req is None:
        return f"minimum {name} usage per {limit_type} is {enforced}.  No request is specified"
    if enforced.cmp(req) > 0:
        return f"minimum {name} usage per {limit_type} is {enforced}, but request is {req}"
    if lim is not None and enforced.cmp(lim) > 0:
        return f"minimum {name} usage per {limit_type} is {enforced}, but limit is {lim}"
    return None


def _max(limit_type: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList):
    req, lim = requests.get(name), limits.get(name)
    if lim is None:
        return f"maximum {name} usage per {limit_type} is {enforced}.  No limit is specified"
    if lim.cmp(enforced) > 0:
        return f"maximum {name} usage per {limit_type} is {enforced}, but limit is {lim}"
    if req is not None and req.cmp(enforced) > 0:
        return f"maximum {name} usage per {limit_type} is {enforced}, but request is {req}"
    return None


def _max_request(limit_type: str, name: str, enforced: Quantity, requests: ResourceList):
    req = requests.get(name)
    if req is None:
        return f"maximum {name} usage per {limit_type} is {enforced}.  No request is specified"
    if req.cmp(enforced) > 0:
        return f"maximum {name} usage per {limit_type} is {enforced}, but request is {req}"
    return None


def _ratio(limit_type: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList):
    req, lim = requests.get(name), limits.get(name)
    req_milli = req.milli_value() if req is not None else 0
    lim_milli = lim.milli_value() if lim is not None else 0
    if req is None or req_milli == 0:
        return (f"{name} max limit to request ratio per {limit_type} is {enforced}, but no request is specified or "
                "request is 0")
    if lim is None or lim_milli == 0:
        return (f"{name} max limit to request ratio per {limit_type} is {enforced}, but no limit is specified or "
                "limit is 0")
    observed = lim_milli / req_milli
    if observed * 1000 > enforced.milli_value():
        return (f"{name} max limit to request ratio per {limit_type} is {enforced}, but provided ratio is "
                f"{observed:.6f}")
    return None


def aggregate(errors: List[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message alone, several (without repeats) in brackets."""
    seen: List[str] = []
    for message in errors:
        if message not in seen:
            seen.append(message)
    return seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"


def _items(limit_range: dict) -> List[dict]:
    items = []
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if isinstance(item, dict):
            item = copy.deepcopy(item)
            default_limit_range_item(item)
            items.append(item)
    return items


def _check(item: dict, limit_type: str, requests: ResourceList, limits: ResourceList, errors: List[str]):
    for field, check in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name, enforced in resource_list(item.get(field)).items():
            message = check(limit_type, name, enforced, requests, limits)
            if message:
                errors.append(message)


def validate_pod(limit_range: dict, pod: dict) -> List[str]:
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    errors: List[str] = []
    for item in _items(limit_range):
        if item.get("type") == CONTAINER:
            for key in ("containers", "initContainers"):
                for container in containers_of(spec, key):
                    _check(item, CONTAINER, resources_of(container, "requests"), resources_of(container, "limits"),
                           errors)
        elif item.get("type") == POD:
            _check(item, POD, container_totals(spec, "requests"), container_totals(spec, "limits"), errors)
    return errors


def validate_claim(limit_range: dict, claim: dict) -> List[str]:
    """Claims are never defaulted: storage is required; only their requests are bounded."""
    spec = claim.get("spec") if isinstance(claim.get("spec"), dict) else {}
    requests = resource_list((spec.get("resources") or {}).get("requests") if isinstance(spec.get("resources"),
                                                                                         dict) else None)
    errors: List[str] = []
    for item in _items(limit_range):
        if item.get("type") != CLAIM:
            continue
        for name, enforced in resource_list(item.get("min")).items():
            message = _min(CLAIM, name, enforced, requests, {})
            if message:
                errors.append(message)
        for name, enforced in resource_list(item.get("max")).items():
            message = _max_request(CLAIM, name, enforced, requests)
            if message:
                errors.append(message)
    return errors


def merge_defaults(limit_range: dict, pod: dict) -> None:
    """PodMutateLimitFunc: missing requests and limits from the Container item's defaults, then the annotation."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    default_requests: Dict[str, object] = {}
    default_limits: Dict[str, object] = {}
    for item in _items(limit_range):
        if item.get("type") == CONTAINER:
            default_requests.update(resource_list(item.get("defaultRequest")))
            default_limits.update(resource_list(item.get("default")))
    notes: List[str] = []
    for key, what in (("containers", "container"), ("initContainers", "init container")):
        for container in containers_of(spec, key):
            resources = container.get("resources")
            if not isinstance(resources, dict):
                resources = container["resources"] = {}
            default_requests_from_limits(resources)   # decoding does this upstream, before admission
            set_requests, set_limits = [], []
            for kind, defaults, changed in (("limits", default_limits, set_limits),
                                            ("requests", default_requests, set_requests)):
                if not defaults:
                    continue
                current = resources.get(kind)
                if not isinstance(current, dict):
                    current = resources[kind] = {}
                for name, q in defaults.items():
                    if name not in current:
                        current[name] = str(q)
                        changed.append(name)
                if changed:   # served sorted, as Go marshals maps
                    resources[kind] = dict(sorted(current.items()))
            if set_requests:
                notes.append(", ".join(sorted(set_requests)) + f" request for {what} {container.get('name')}")
            if set_limits:
                notes.append(", ".join(sorted(set_limits)) + f" limit for {what} {container.get('name')}")
    if notes:
        md = pod.setdefault("metadata", {})
        if not isinstance(md.get("annotations"), dict):
            md["annotations"] = {}
        md["annotations"][ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


class LimitRanger:
    name = "LimitRanger"

    def __init__(self, ctx):
        self.limit_ranges = ctx.api.store(ctx.table.lookup("", "v1", "limitranges"))

    @staticmethod
    def _supports(attrs: Attributes) -> Optional[str]:
        if attrs.group != "" or attrs.subresource or not isinstance(attrs.obj, dict):
            return None
        if attrs.plural == "pods" and attrs.operation == CREATE:
            return "pods"   # containers cannot change after creation: updates need no check
        if attrs.plural == "persistentvolumeclaims" and attrs.operation in (CREATE, UPDATE):
            return "persistentvolumeclaims"
        return None

    def _ranges(self, attrs: Attributes) -> List[dict]:
        if isinstance(attrs.old, dict) and (attrs.old.get("metadata") or {}).get("deletionTimestamp"):
            return []   # objects being deleted are left alone
        try:
            items, _, _, _ = self.limit_ranges.list_page(attrs.namespace, None, None, None, None)
        except StatusError as err:
            raise forbidden(attrs, f"unable to {attrs.operation} {attrs.plural} at this time because there was an "
                                   f"error enforcing limit ranges: {err.message}") from None
        return items

    def admit(self, attrs: Attributes) -> None:
        if self._supports(attrs) != "pods":
            return
        for limit_range in self._ranges(attrs):
            merge_defaults(limit_range, attrs.obj)

    def validate(self, attrs: Attributes) -> None:
        kind = self._supports(attrs)
        if kind is None:
            return
        for limit_range in self._ranges(attrs):
            errors = validate_pod(limit_range, attrs.obj) if kind == "pods" else validate_claim(limit_range,
                                                                                                  attrs.obj)
            if errors:
                raise forbidden(attrs, aggregate(errors))
