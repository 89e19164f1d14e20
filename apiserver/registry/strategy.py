"""Per-type behaviour, by name: defaults on create and update, validation, selectable fields, conversion.

A ``ResourceDef`` names its strategy; resources without one get the generic behaviour. Defaults follow
upstream's defaulters for the fields clients commonly read back (kubectl describe, wait, rollout).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import random
import re
from typing import Callable, Dict, List, Optional

from apiserver.registry.meta import Cause, forbidden, invalid, required, timestamp

_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")
CONFIG_KEY_MESSAGE = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                      "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
POD_UPDATE_FORBIDDEN = ("pod updates may not change fields other than `spec.containers[*].image`,"
                        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                        "set to 1 if it was previously negative)")


def _dig(obj: dict, *path, default=None):
    for part in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(part)
        if obj is None:
            return default
    return obj


# -- defaults

def default_pod_spec(spec: dict) -> None:
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or ():
            if not isinstance(container, dict):
                continue
            image = container.get("image") or ""
            tagged = ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
            container.setdefault("imagePullPolicy", "IfNotPresent" if tagged or "@" in image else "Always")
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            resources = container.setdefault("resources", {})
            if isinstance(resources, dict):
                _canonical_quantities(resources.get("requests"))
                _canonical_quantities(resources.get("limits"))
            for port in container.get("ports") or ():
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def default_requests_from_limits(resources: dict) -> None:
    """SetDefaults_Pod: a container's missing requests are its limits (pods only, not pod templates)."""
    limits = resources.get("limits")
    if isinstance(limits, dict) and limits:
        requests = resources.get("requests")
        if not isinstance(requests, dict):
            requests = resources["requests"] = {}
        for key, value in limits.items():
            requests.setdefault(key, value)


def pod_qos(spec) -> str:
    """ComputePodQOS: BestEffort without cpu or memory amounts, Guaranteed when every container limits both and
    the requests equal the limits, else Burstable."""
    from apiserver.apis.quantity import Quantity
    requests: Dict[str, Quantity] = {}
    limits: Dict[str, Quantity] = {}
    guaranteed = True
    spec = spec if isinstance(spec, dict) else {}
    for container in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        resources = container.get("resources") if isinstance(container, dict) else None
        resources = resources if isinstance(resources, dict) else {}
        found = set()
        for kind, total in (("requests", requests), ("limits", limits)):
            values = resources.get(kind) if isinstance(resources.get(kind), dict) else {}
            for name, text in values.items():
                q = Quantity.of(text)
                if name not in ("cpu", "memory") or q is None or q.sign() <= 0:
                    continue
                total[name] = total[name] + q if name in total else q
                if kind == "limits":
                    found.add(name)
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(name in limits and limits[name] == q for name, q in requests.items()) and \
            len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def default_template(obj: dict) -> None:
    template = _dig(obj, "spec", "template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        default_pod_spec(template.get("spec"))


def _default_deployment(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            if isinstance(rolling, dict):
                rolling.setdefault("maxUnavailable", "25%")
                rolling.setdefault("maxSurge", "25%")
    default_template(obj)


def _default_replicated(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
    default_template(obj)


def _default_statefulset(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    default_template(obj)


def _default_daemonset(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    default_template(obj)


def _default_job(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    uid = _dig(obj, "metadata", "uid") or ""
    name = _dig(obj, "metadata", "name") or ""
    if not spec.get("manualSelector") and "selector" not in spec and uid:
        # upstream's job strategy generates the selector from the job's uid
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        template = spec.setdefault("template", {})
        if isinstance(template, dict):
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                           "controller-uid": uid, "job-name": name})
    default_template(obj)


def _default_cronjob(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_spec = _dig(spec, "jobTemplate", "spec")
        if isinstance(job_spec, dict):
            default_pod_spec(_dig(job_spec, "template", "spec"))


def _default_service(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = str(SERVICE_CIDR[random.randrange(10, SERVICE_CIDR.num_addresses - 1)])
        if spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    obj.setdefault("status", {"loadBalancer": {}})


def _default_secret(obj: dict) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        # write-only convenience field: merged into data, base64-encoded, as upstream's conversion does
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        for key, value in string_data.items():
            if isinstance(value, str):
                data[key] = base64.b64encode(value.encode()).decode()
        obj["data"] = data


def _default_pod(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or ():
                resources = container.get("resources") if isinstance(container, dict) else None
                if isinstance(resources, dict):
                    default_requests_from_limits(resources)
    default_pod_spec(spec)
    if isinstance(spec, dict) and spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]   # v1 shows the deprecated alias too


def _initial_pod_status(obj: dict) -> None:
    obj["status"] = {"phase": "Pending", "qosClass": pod_qos(obj.get("spec"))}


def _default_namespace(obj: dict) -> None:
    meta = obj.setdefault("metadata", {})
    meta.setdefault("labels", {})[NAMESPACE_LABEL] = meta.get("name", "")
    spec = obj.setdefault("spec", {})
    spec.setdefault("finalizers", ["kubernetes"])
    obj["status"] = {"phase": "Active"}


DEFAULTERS: Dict[str, Callable[[dict], None]] = {
    "apps/Deployment": _default_deployment, "apps/ReplicaSet": _default_replicated,
    "/ReplicationController": _default_replicated, "apps/StatefulSet": _default_statefulset,
    "apps/DaemonSet": _default_daemonset, "batch/Job": _default_job, "batch/CronJob": _default_cronjob,
    "/Service": _default_service, "/Secret": _default_secret, "/Pod": _default_pod,
    "/PodTemplate": lambda obj: default_pod_spec(_dig(obj, "template", "spec")),
}


def _pending_volume(obj: dict) -> None:
    obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": timestamp()}


def _pending_claim(obj: dict) -> None:
    obj["status"] = {"phase": "Pending"}


def _default_priority_class(obj: dict) -> None:
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _default_crd(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("conversion", {"strategy": "None"})
        names = spec.get("names")
        if isinstance(names, dict) and names.get("kind"):
            names.setdefault("singular", names["kind"].lower())
            names.setdefault("listKind", names["kind"] + "List")


def _initial_crd_status(obj: dict) -> None:
    """PrepareForCreate: the status starts empty but for storedVersions, and serializes as upstream's does
    (acceptedNames and storedVersions have no omitempty), so clients can read status.conditions at once."""
    from apiserver.apiextensions.crds import storage_version
    stored = storage_version(obj)
    obj["status"] = {"acceptedNames": {"plural": "", "kind": ""}, "storedVersions": [stored] if stored else []}


def _default_match_resources(match: dict) -> None:
    """admissionregistration v1 SetDefaults_MatchResources, and SetDefaults_Rule for each rule."""
    match.setdefault("matchPolicy", "Equivalent")
    match.setdefault("namespaceSelector", {})
    match.setdefault("objectSelector", {})
    for field in ("resourceRules", "excludeResourceRules"):
        for rule in match.get(field) or ():
            if isinstance(rule, dict):
                rule.setdefault("scope", "*")


def _default_validating_admission_policy(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("failurePolicy", "Fail")
        if isinstance(spec.get("matchConstraints"), dict):
            _default_match_resources(spec["matchConstraints"])


def _default_validating_admission_policy_binding(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("matchResources"), dict):
        _default_match_resources(spec["matchResources"])


DEFAULTERS["admissionregistration.k8s.io/ValidatingAdmissionPolicy"] = _default_validating_admission_policy
DEFAULTERS["admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding"] = \
    _default_validating_admission_policy_binding


def _canonical_quantities(values) -> None:
    """A ResourceList as upstream serves it: canonical quantities, sorted by name (Go marshals maps sorted)."""
    from apiserver.apis.quantity import canonical
    if isinstance(values, dict):
        items = sorted((k, canonical(v)) for k, v in values.items())
        values.clear()
        values.update(items)


def _default_limit_range(obj: dict) -> None:
    from apiserver.admission.limitranger import default_limit_range_item
    for item in _dig(obj, "spec", "limits") or ():
        default_limit_range_item(item)
        if isinstance(item, dict):
            for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
                _canonical_quantities(item.get(field))


def _default_resource_quota(obj: dict) -> None:
    _canonical_quantities(_dig(obj, "spec", "hard"))


DEFAULTERS["scheduling.k8s.io/PriorityClass"] = _default_priority_class
DEFAULTERS["/LimitRange"] = _default_limit_range
DEFAULTERS["/ResourceQuota"] = _default_resource_quota
DEFAULTERS["apiextensions.k8s.io/CustomResourceDefinition"] = _default_crd


def _default_webhook_configuration(obj: dict) -> None:
    from apiserver.admission.webhook import validation
    validation.default(obj)


DEFAULTERS["admissionregistration.k8s.io/MutatingWebhookConfiguration"] = _default_webhook_configuration
DEFAULTERS["admissionregistration.k8s.io/ValidatingWebhookConfiguration"] = _default_webhook_configuration
WEBHOOK_CONFIGURATIONS = ("admissionregistration.k8s.io/MutatingWebhookConfiguration",
                          "admissionregistration.k8s.io/ValidatingWebhookConfiguration")
CREATE_ONLY: Dict[str, Callable[[dict], None]] = {
    "/Namespace": _default_namespace, "/Pod": _initial_pod_status, "/PersistentVolume": _pending_volume,
    "/PersistentVolumeClaim": _pending_claim,
    "apiextensions.k8s.io/CustomResourceDefinition": _initial_crd_status}


def apply_defaults(group: str, kind: str, obj: dict, creating: bool = True) -> None:
    defaulter = DEFAULTERS.get(f"{group}/{kind}")
    if defaulter is not None:
        defaulter(obj)
    if creating and f"{group}/{kind}" in CREATE_ONLY:
        CREATE_ONLY[f"{group}/{kind}"](obj)


def prepare_update(group: str, kind: str, new: dict, old: dict) -> None:
    """Values the server allocated stay when an update leaves them out (a Service's cluster IP)."""
    if f"{group}/{kind}" == "/Service":
        new_spec, old_spec = new.get("spec"), old.get("spec") or {}
        if isinstance(new_spec, dict):
            for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if not new_spec.get(field) and old_spec.get(field):
                    new_spec[field] = old_spec[field]


# -- validation

def _validate_config_keys(obj: dict) -> List[Cause]:
    causes = []
    for field in ("data", "binaryData", "stringData"):
        values = obj.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            continue
        for key in values:
            if not _CONFIG_KEY.match(key):
                causes.append(invalid(f"{field}[{key}]", key, CONFIG_KEY_MESSAGE))
    return causes


def _validate_pod_spec(spec, path: str) -> List[Cause]:
    if not isinstance(spec, dict):
        return [required(path, "")]
    causes = []
    containers = spec.get("containers")
    if not containers:
        causes.append(required(f"{path}.containers", ""))
    names = set()
    for key in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(key) or ()):
            where = f"{path}.{key}[{i}]"
            if not isinstance(container, dict):
                continue
            name = container.get("name")
            if not name:
                causes.append(required(f"{where}.name", ""))
            elif name in names:
                causes.append((f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
            names.add(name)
            if not container.get("image") and key == "containers":
                causes.append(required(f"{where}.image", ""))
    return causes


def _validate_selector_matches_template(obj: dict) -> List[Cause]:
    selector = _dig(obj, "spec", "selector")
    if not isinstance(selector, dict) or not selector:
        return [required("spec.selector", "")]
    labels = _dig(obj, "spec", "template", "metadata", "labels") or {}
    match = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match.items()):
        return [invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")]
    return []


def _validate_replicas(obj: dict) -> List[Cause]:
    replicas = _dig(obj, "spec", "replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
        return [invalid("spec.replicas", replicas, "must be greater than or equal to 0")]
    return []


def validate(group: str, kind: str, obj: dict) -> List[Cause]:
    key = f"{group}/{kind}"
    if key == "apiextensions.k8s.io/CustomResourceDefinition":
        from apiserver.apiextensions import customresource
        return customresource.validate_crd(obj, None)
    if key in ("/ConfigMap", "/Secret"):
        return _validate_config_keys(obj)
    if key == "admissionregistration.k8s.io/ValidatingAdmissionPolicy":
        from apiserver.admission import policyvalidation
        return policyvalidation.validate_policy(obj)
    if key == "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding":
        from apiserver.admission import policyvalidation
        return policyvalidation.validate_binding(obj)
    if key in WEBHOOK_CONFIGURATIONS:
        from apiserver.admission.webhook import validation
        return validation.validate(obj, None)
    if key == "/Pod":
        return _validate_pod_spec(obj.get("spec"), "spec")
    if key in ("apps/Deployment", "apps/ReplicaSet", "apps/StatefulSet", "apps/DaemonSet"):
        return _validate_replicas(obj) + _validate_selector_matches_template(obj) + \
            _validate_pod_spec(_dig(obj, "spec", "template", "spec"), "spec.template.spec")
    if key == "/ReplicationController":
        return _validate_replicas(obj)
    if key == "batch/Job":
        causes = _validate_pod_spec(_dig(obj, "spec", "template", "spec"), "spec.template.spec")
        policy = _dig(obj, "spec", "template", "spec", "restartPolicy")
        if policy not in ("OnFailure", "Never"):
            causes.append(("spec.template.spec.restartPolicy", "FieldValueNotSupported",
                           f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"'))
        return causes
    return []


def validate_update(group: str, kind: str, new: dict, old: dict) -> List[Cause]:
    if f"{group}/{kind}" == "apiextensions.k8s.io/CustomResourceDefinition":
        from apiserver.apiextensions import customresource
        return customresource.validate_crd(new, old)
    if f"{group}/{kind}" in WEBHOOK_CONFIGURATIONS:
        from apiserver.admission.webhook import validation
        return validation.validate(new, old)
    causes = validate(group, kind, new)
    if f"{group}/{kind}" in ("/ConfigMap", "/Secret") and old.get("immutable"):
        for field in ("data", "binaryData", "immutable"):
            if new.get(field) != old.get(field):
                causes.append(forbidden(field, "field is immutable when `immutable` is set"))
    if f"{group}/{kind}" == "/Pod" and _dig(new, "spec", "serviceAccountName") != _dig(old, "spec",
                                                                                     "serviceAccountName"):
        causes.append(forbidden("spec", POD_UPDATE_FORBIDDEN))   # the one pod spec field checked on update yet
    if f"{group}/{kind}" == "batch/Job":
        for field in ("selector", "template"):
            if _dig(new, "spec", field) != _dig(old, "spec", field) and field == "selector":
                causes.append(invalid("spec.selector", _dig(new, "spec", field), "field is immutable"))
    return causes


# -- selectable fields

def _str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_value(obj: dict, field: str) -> str:
    """The value a field selector compares (the conversion functions of pkg/apis/*/v1 do the same)."""
    if field == "source":  # core Event: source.component
        return _str(_dig(obj, "source", "component"))
    if field == "spec.unschedulable":
        return _str(bool(_dig(obj, "spec", "unschedulable")))
    if field == "spec.hostNetwork":
        return _str(bool(_dig(obj, "spec", "hostNetwork")))
    return _str(_dig(obj, *field.split(".")))


# -- graceful deletion

def grace_period(group: str, kind: str, obj: dict, requested: Optional[int]) -> int:
    """Seconds a delete waits (pods on a node only: nothing else here has a kubelet to finish it)."""
    if f"{group}/{kind}" != "/Pod":
        return 0
    if not _dig(obj, "spec", "nodeName") or _dig(obj, "status", "phase") in ("Failed", "Succeeded"):
        return 0
    if requested is not None:
        return max(0, requested)
    return int(_dig(obj, "spec", "terminationGracePeriodSeconds", default=30))


# -- conversion between versions that share storage

_EVENT_FIELDS = [("regarding", "involvedObject"), ("note", "message"), ("deprecatedSource", "source"),
                 ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
                 ("deprecatedCount", "count"), ("reportingController", "reportingComponent")]


def to_storage(group: str, kind: str, obj: dict) -> dict:
    """events.k8s.io/v1 Events are stored as core v1 Events, as upstream stores them."""
    if group != "events.k8s.io":
        return obj
    out = copy.copy(obj)
    for new_name, old_name in _EVENT_FIELDS:
        if new_name in out:
            out[old_name] = out.pop(new_name)
    out["apiVersion"], out["kind"] = "v1", "Event"
    return out


def from_storage(group: str, version: str, kind: str, obj: dict) -> dict:
    if group != "events.k8s.io":
        return obj
    out = copy.copy(obj)
    for new_name, old_name in _EVENT_FIELDS:
        if old_name in out:
            out[new_name] = out.pop(old_name)
    if out.get("reportingController") is None and isinstance(out.get("deprecatedSource"), dict):
        out["reportingController"] = out["deprecatedSource"].get("component", "")
    out["apiVersion"], out["kind"] = f"{group}/{version}", kind
    return out
