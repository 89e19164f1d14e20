"""The PodSecurity admission plugin (plugin/pkg/admission/security/podsecurity over pod-security-admission's
``admission/admission.go``): pods are refused when they break their namespace's enforce level; pods and pod
templates get a warning and an audit annotation when they break the warn and audit levels; namespace labels are
validated, and tightening a namespace's enforce level warns about the pods already in it.

Validating only, for CREATE and UPDATE. No configuration file: the defaults are privileged:latest for all three
modes and nothing is exempt, as upstream without ``--admission-control-config-file``.
"""

from __future__ import annotations

import json
import time
from typing import Dict, List, Optional, Tuple

from apiserver.admission.interface import CREATE, UPDATE, Attributes, forbidden
from apiserver.admission.podsecurity import api
from apiserver.admission.podsecurity.checks import AggregateResult, Evaluator
from apiserver.endpoints import status
from apiserver.storage import interface as st

NAMESPACES_KEY = "/registry/namespaces/"
MAX_PODS_TO_CHECK = 3000        # defaultNamespaceMaxPodsToCheck
POD_CHECK_TIMEOUT = 1.0         # defaultNamespacePodCheckTimeout, seconds

# Pod subresources that carry no pod spec worth checking (ignoredPodSubresources); ephemeralcontainers and
# resize are checked.
IGNORED_POD_SUBRESOURCES = frozenset(("exec", "attach", "binding", "eviction", "log", "portforward", "proxy",
                                      "status"))

# The resources with a pod template (defaultPodSpecResources), and where the template is.
TEMPLATE_PATHS: Dict[Tuple[str, str], Tuple[str, ...]] = {
    ("", "replicationcontrollers"): ("spec", "template"),
    ("", "podtemplates"): ("template",),
    ("apps", "replicasets"): ("spec", "template"),
    ("apps", "deployments"): ("spec", "template"),
    ("apps", "statefulsets"): ("spec", "template"),
    ("apps", "daemonsets"): ("spec", "template"),
    ("batch", "jobs"): ("spec", "template"),
    ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template"),
}


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _labels(obj: Optional[dict]) -> Dict[str, str]:
    return _d(_d(_d(obj).get("metadata")).get("labels"))


def _warn(attrs: Attributes, message: str) -> None:
    """Add a warning once: the server's warning recorder drops duplicates, and an update may be retried."""
    if message not in attrs.warnings:
        attrs.warnings.append(message)


class PodSecurity:
    name = "PodSecurity"

    def __init__(self, ctx, evaluator: Optional[Evaluator] = None):
        self.storage = ctx.storage
        self.pods = ctx.table.lookup("", "v1", "pods")
        self.evaluator = evaluator or Evaluator()
        self.defaults = api.DEFAULT_POLICY

    def validate(self, attrs: Attributes) -> None:
        if attrs.operation not in (CREATE, UPDATE):
            return
        key = (attrs.group, attrs.plural)
        if key == ("", "namespaces"):
            self._validate_namespace(attrs)
        elif key == ("", "pods"):
            self._validate_pod(attrs)
        elif key in TEMPLATE_PATHS:
            self._validate_pod_controller(attrs, TEMPLATE_PATHS[key])

    # -- namespaces

    def _validate_namespace(self, attrs: Attributes) -> None:
        if attrs.subresource:
            return
        new_policy, new_errors = api.policy_to_evaluate(_labels(attrs.obj), self.defaults)
        if attrs.operation == CREATE:
            if new_errors:
                raise self._invalid(attrs, new_errors)
            return
        old_policy, old_errors = api.policy_to_evaluate(_labels(attrs.old), self.defaults)
        if new_errors and (not old_errors or new_errors != old_errors):
            raise self._invalid(attrs, new_errors)
        new, old = new_policy.enforce, old_policy.enforce
        if new == old or new.level == api.PRIVILEGED:
            return
        if new.version == old.version and api.compare_levels(new.level, old.level) < 1:
            return   # no stricter than before
        namespace = _d(_d(attrs.obj).get("metadata")).get("name") or attrs.name
        for warning in self.evaluate_pods_in_namespace(namespace, new):
            _warn(attrs, warning)

    @staticmethod
    def _invalid(attrs: Attributes, errors: List[api.LabelError]) -> status.StatusError:
        name = attrs.name or _d(_d(attrs.obj).get("metadata")).get("name", "")
        return status.invalid(attrs.group, attrs.kind, name, errors)

    def evaluate_pods_in_namespace(self, namespace: str, enforce: api.LevelVersion) -> List[str]:
        """The warnings for a namespace whose enforce level tightens: one line per distinct set of reasons, naming
        one pod and how many others share it, checking controllers' first pods first, within a time budget."""
        deadline = time.monotonic() + POD_CHECK_TIMEOUT
        try:
            page = self.storage.list(self.pods.list_prefix(namespace))
        except st.StorageError:
            return ["failed to list pods while checking new PodSecurity enforce level"]
        pods = []
        for kv in page.items:
            try:
                pods.append(json.loads(kv.value))
            except ValueError:
                continue
        prioritized = _prioritize(pods)
        total = len(prioritized)
        prioritized = prioritized[:MAX_PODS_TO_CHECK]
        checked = len(prioritized)
        order: List[str] = []                       # distinct reasons, first seen first
        counts: Dict[str, List] = {}                # reasons -> [smallest pod name, pod count]
        for i, pod in enumerate(prioritized):
            result = self.evaluator.evaluate(enforce, pod.get("metadata"), pod.get("spec"))
            if not result.allowed:
                reason = result.forbidden_reason()
                name = _d(pod.get("metadata")).get("name", "")
                if reason not in counts:
                    counts[reason] = [name, 0]
                    order.append(reason)
                elif name < counts[reason][0]:
                    counts[reason][0] = name
                counts[reason][1] += 1
            if time.monotonic() > deadline:
                checked = i + 1
                break
        warnings = []
        if checked < total:
            warnings.append(f"new PodSecurity enforce level only checked against the first {checked} of {total} "
                            "existing pods")
        if order:
            warnings.append(f'existing pods in namespace "{namespace}" violate the new PodSecurity enforce level '
                            f'"{enforce}"')
        lines = []
        for reason in order:
            name, count = counts[reason]
            if count == 1:
                lines.append(f"{name}: {reason}")
            elif count == 2:
                lines.append(f"{name} (and 1 other pod): {reason}")
            else:
                lines.append(f"{name} (and {count - 1} other pods): {reason}")
        return warnings + sorted(lines)

    # -- pods and pod templates

    def _namespace_policy(self, namespace: str) -> Optional[Tuple[api.Policy, List[api.LabelError]]]:
        """The policy of a namespace, read from storage (upstream reads its informer, then the API); None when
        the namespace cannot be read."""
        try:
            obj = json.loads(self.storage.get(NAMESPACES_KEY + namespace).value)
        except (st.StorageError, ValueError):
            return None
        return api.policy_to_evaluate(_labels(obj), self.defaults)

    def _validate_pod(self, attrs: Attributes) -> None:
        if attrs.subresource in IGNORED_POD_SUBRESOURCES:
            return
        found = self._namespace_policy(attrs.namespace)
        if found is None:
            attrs.annotations[api.LABEL_PREFIX + "error"] = (
                f'Internal error occurred: failed to lookup namespace "{attrs.namespace}"')
            raise status.internal_error(f'failed to lookup namespace "{attrs.namespace}"')
        policy, errors = found
        if not errors and policy.fully_privileged():
            attrs.annotations[api.LABEL_PREFIX + api.ENFORCED_POLICY_KEY] = str(
                api.LevelVersion(api.PRIVILEGED, api.LATEST))
            return
        pod = _d(attrs.obj)
        if attrs.operation == UPDATE and not significant_pod_update(pod, _d(attrs.old)):
            return
        self._evaluate(attrs, policy, errors, pod.get("metadata"), pod.get("spec"), enforce=True)

    def _validate_pod_controller(self, attrs: Attributes, path: Tuple[str, ...]) -> None:
        if attrs.subresource:
            return
        found = self._namespace_policy(attrs.namespace)
        if found is None:
            attrs.annotations[api.LABEL_PREFIX + "error"] = (
                f'failed to lookup namespace "{attrs.namespace}": namespaces "{attrs.namespace}" not found')
            return
        policy, errors = found
        if not errors and policy.warn.level == api.PRIVILEGED and policy.audit.level == api.PRIVILEGED:
            return
        template = _d(attrs.obj)
        for key in path:
            template = _d(template.get(key))
        self._evaluate(attrs, policy, errors, template.get("metadata"), template.get("spec"), enforce=False)

    def _evaluate(self, attrs: Attributes, policy: api.Policy, errors: List[api.LabelError], meta, spec,
                  enforce: bool) -> None:
        """EvaluatePod: enforce (pods only) refuses; audit annotates; warn warns when the write is allowed."""
        annotations: Dict[str, str] = {}
        if errors:
            annotations["error"] = f"Failed to parse policy: {api.aggregate_message(errors)}"
        results: Dict[api.LevelVersion, AggregateResult] = {}
        refusal = None
        if enforce:
            annotations[api.ENFORCED_POLICY_KEY] = str(policy.enforce)
            result = self.evaluator.evaluate(policy.enforce, meta, spec)
            if not result.allowed:
                refusal = forbidden(attrs, f'violates PodSecurity "{policy.enforce}": {result.forbidden_detail()}')
            results[policy.enforce] = result
        audit = results.get(policy.audit)
        if audit is None:
            audit = results[policy.audit] = self.evaluator.evaluate(policy.audit, meta, spec)
        if not audit.allowed:
            annotations[api.AUDIT_VIOLATIONS_KEY] = (f'would violate PodSecurity "{policy.audit}": '
                                                     f"{audit.forbidden_detail()}")
        if refusal is None:
            warn = results.get(policy.warn)
            if warn is None:
                warn = self.evaluator.evaluate(policy.warn, meta, spec)
            if not warn.allowed:
                _warn(attrs, f'would violate PodSecurity "{policy.warn}": {warn.forbidden_detail()}')
        for key, value in annotations.items():
            attrs.annotations[api.LABEL_PREFIX + key] = value
        if refusal is not None:
            raise refusal


def significant_pod_update(pod: dict, old: dict) -> bool:
    """isSignificantPodUpdate: only a changed image, a changed number of containers or a new ephemeral container
    can change the verdict (the rest of a pod's spec is immutable)."""
    spec, old_spec = _d(pod.get("spec")), _d(old.get("spec"))
    for key in ("containers", "initContainers"):
        new_list, old_list = _list(spec.get(key)), _list(old_spec.get(key))
        if len(new_list) != len(old_list):
            return True
        if any(_d(a).get("image") != _d(b).get("image") for a, b in zip(new_list, old_list)):
            return True
    old_ephemeral = {_d(c).get("name"): _d(c) for c in _list(old_spec.get("ephemeralContainers"))}
    for container in _list(spec.get("ephemeralContainers")):
        previous = old_ephemeral.get(_d(container).get("name"))
        if previous is None or previous.get("image") != _d(container).get("image"):
            return True
    return False


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _prioritize(pods: List[dict]) -> List[dict]:
    """prioritizePods: the first pod of each controller (and every pod without one) before its siblings."""
    first, duplicates = [], []
    seen = set()
    for pod in pods:
        controller = next((ref for ref in _list(_d(pod.get("metadata")).get("ownerReferences"))
                           if _d(ref).get("controller") is True), None)
        if controller is None:
            first.append(pod)
            continue
        uid = controller.get("uid")
        if uid in seen:
            duplicates.append(pod)
            continue
        first.append(pod)
        seen.add(uid)
    return first + duplicates
