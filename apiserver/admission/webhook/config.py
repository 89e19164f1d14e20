"""Webhook configurations kept current from a storage watch, and which webhooks a request goes to.

``WebhookSource`` lists and watches one configuration kind's storage prefix (as upstream's
``configuration.New{Mutating,Validating}WebhookConfigurationManager`` does over an informer) and keeps the
webhooks in upstream's call order: configurations sorted by name, webhooks in their order within one.
``should_call`` is ``generic.Webhook.ShouldCallHook``: rules (with matchPolicy), namespaceSelector,
objectSelector and matchConditions.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.admission.interface import CREATE, UPDATE, Attributes
from apiserver.endpoints import status
from apiserver.endpoints.selectors import LabelSelector, SelectorError, label_selector_from_object
from apiserver.storage import interface as st

log = logs.get_logger(__name__)

GROUP = "admissionregistration.k8s.io"
MUTATING_PREFIX = "/registry/mutatingwebhookconfigurations/"
VALIDATING_PREFIX = "/registry/validatingwebhookconfigurations/"
# rules.IsExemptAdmissionConfigurationResource: admission configuration is never sent to webhooks, so a broken
# webhook cannot lock the cluster out of fixing it.
EXEMPT_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
DEFAULT_TIMEOUT = 10
MATCH_CONDITION_VARIABLES = ("object", "oldObject", "request")
MAX_IDLE_CONNECTIONS = 4


def is_exempt(attrs: Attributes) -> bool:
    return attrs.group == GROUP and attrs.kind in EXEMPT_KINDS


# -- one webhook


class Hook:
    """One webhook of a configuration with upstream's v1 defaults applied (the accessor of
    ``pkg/admission/plugin/webhook/accessors.go``); selectors, CEL programs and the TLS context are built once."""

    def __init__(self, uid: str, configuration: str, spec: dict, mutating: bool):
        self.uid = uid
        self.configuration = configuration
        self.mutating = mutating
        self.name = str(spec.get("name") or "")
        self.rules = [r for r in _list(spec.get("rules")) if isinstance(r, dict)]
        self.failure_policy = spec.get("failurePolicy") or "Fail"
        self.match_policy = spec.get("matchPolicy") or "Equivalent"
        self.side_effects = spec.get("sideEffects")        # no default in v1: required there
        timeout = spec.get("timeoutSeconds")
        self.timeout = timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else DEFAULT_TIMEOUT
        self.review_versions = [v for v in _list(spec.get("admissionReviewVersions")) if isinstance(v, str)]
        self.reinvocation_policy = spec.get("reinvocationPolicy") or "Never"
        self.client_config = spec.get("clientConfig") if isinstance(spec.get("clientConfig"), dict) else {}
        self.namespace_selector, self.namespace_selector_error = _selector(spec.get("namespaceSelector"))
        self.object_selector, self.object_selector_error = _selector(spec.get("objectSelector"))
        self.match_conditions = [c for c in _list(spec.get("matchConditions")) if isinstance(c, dict)]
        self._programs: Optional[List[Tuple[str, Any, Optional[str]]]] = None
        self._tls: Optional[Tuple[Optional[ssl.SSLContext], str]] = None
        self._idle: list = []      # keep-alive connections to the webhook's server
        self._closed = False
        self._lock = threading.Lock()

    @property
    def ignore_failures(self) -> bool:
        return self.failure_policy == "Ignore"

    def programs(self) -> List[Tuple[str, Any, Optional[str]]]:
        """(name, program or None, compile error) for every matchCondition, compiled on first use."""
        if self._programs is None:
            from apiserver.apiextensions import cel
            programs = []
            for condition in self.match_conditions:
                name, expression = str(condition.get("name") or ""), condition.get("expression")
                try:
                    programs.append((name, cel.compile(expression, MATCH_CONDITION_VARIABLES), None))
                except cel.CELError as err:
                    programs.append((name, None, f"compilation failed: {err}"))
            self._programs = programs
        return self._programs

    def tls_context(self) -> Tuple[Optional[ssl.SSLContext], str]:
        """The client TLS context for this webhook's server (its caBundle, else the public roots), or an error."""
        with self._lock:
            if self._tls is None:
                self._tls = _tls_context(self.client_config.get("caBundle"))
            return self._tls


    def take_connection(self):
        """An idle keep-alive connection to the webhook, or None."""
        with self._lock:
            return self._idle.pop() if self._idle else None

    def return_connection(self, conn) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections (the configuration changed: this accessor is no longer used)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _selector(value) -> Tuple[LabelSelector, str]:
    """metav1.LabelSelectorAsSelector of a defaulted selector: absent is ``{}``, which selects everything."""
    try:
        return label_selector_from_object({} if value is None else value), ""
    except SelectorError as err:
        return LabelSelector.nothing(), str(err)


def _tls_context(ca_bundle) -> Tuple[Optional[ssl.SSLContext], str]:
    if ca_bundle:
        try:
            pem = base64.b64decode(ca_bundle, validate=True).decode("ascii") if isinstance(ca_bundle, str) else ""
            if "-----BEGIN CERTIFICATE-----" not in pem:
                return None, "unable to load root certificates: unable to parse bytes as PEM block"
            return ssl.create_default_context(cadata=pem), ""
        except (binascii.Error, UnicodeDecodeError, ssl.SSLError, ValueError) as err:
            return None, f"unable to load root certificates: {err}"
    try:
        import certifi
        return ssl.create_default_context(cafile=certifi.where()), ""
    except (ImportError, OSError, ssl.SSLError):  # no certifi: the system's trust store
        return ssl.create_default_context(), ""


def build_hooks(configurations: List[dict], mutating: bool) -> List[Hook]:
    """Webhooks in call order: configurations by name, then in order; uid ``<configuration>/<webhook>/<n>``."""
    hooks = []
    for config in sorted(configurations, key=lambda c: str((c.get("metadata") or {}).get("name") or "")):
        config_name = str((config.get("metadata") or {}).get("name") or "")
        seen: Dict[str, int] = {}
        for spec in _list(config.get("webhooks")):
            if not isinstance(spec, dict):
                continue
            name = str(spec.get("name") or "")
            n = seen.get(name, 0)
            seen[name] = n + 1
            hooks.append(Hook(f"{config_name}/{name}/{n}", config_name, spec, mutating))
    return hooks


# -- the configurations, kept current


class WebhookSource:
    """List, then watch, a configuration prefix; ``webhooks()`` is the current snapshot (replaced, never changed)."""

    def __init__(self, storage: st.Store, prefix: str, mutating: bool, stop: Optional[threading.Event] = None):
        self.storage = storage
        self.prefix = prefix
        self.mutating = mutating
        self._configs: Dict[str, dict] = {}
        self._hooks: List[Hook] = []
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._outer_stop = stop
        self._watcher: Optional[st.Watcher] = None
        self._thread = threading.Thread(target=self._run, name=f"webhook-source-{prefix.strip('/').split('/')[-1]}",
                                        daemon=True)
        self._thread.start()

    def webhooks(self) -> List[Hook]:
        return self._hooks

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def _stopped(self) -> bool:
        return self._stop.is_set() or (self._outer_stop is not None and self._outer_stop.is_set())

    def _publish(self):
        old, self._hooks = self._hooks, build_hooks(list(self._configs.values()), self.mutating)
        for hook in old:
            hook.close()

    def _run(self):
        while not self._stopped():
            try:
                page = self.storage.list(self.prefix)
                self._configs = {kv.key: json.loads(kv.value) for kv in page.items}
                self._publish()
                self._watcher = self.storage.watch(self.prefix, page.revision)
                self._synced.set()
                while not self._stopped():
                    event = self._watcher.next(1.0)
                    if event is None or event.type == st.PROGRESS:
                        continue
                    configs = dict(self._configs)
                    if event.type == st.DELETED:
                        configs.pop(event.key, None)
                    else:
                        configs[event.key] = json.loads(event.value)
                    self._configs = configs
                    self._publish()
            except (st.StorageError, ValueError) as err:
                if self._stopped():
                    return
                log.info("webhook configurations relisting", prefix=self.prefix, error=str(err))
                self._stop.wait(0.5)
            except Exception:  # noqa: BLE001 - a bad configuration must not end the loop for good
                if self._stopped():
                    return
                log.exception("webhook configuration source failed; relisting", prefix=self.prefix)
                self._stop.wait(1.0)
            finally:
                if self._watcher is not None:
                    self._watcher.stop()
                    self._watcher = None

    def close(self):
        self._stop.set()
        watcher = self._watcher
        if watcher is not None:
            watcher.stop()
        self._thread.join(timeout=5)
        for hook in self._hooks:
            hook.close()


# -- matching


@dataclass
class Invocation:
    """A webhook to call, and the resource and kind it is called for (an equivalent one under matchPolicy
    Equivalent, whose object is converted to that version)."""

    hook: Hook
    resource: Any      # ResourceDef
    subresource: str

    def converts(self, attrs: Attributes) -> bool:
        return self.resource is not attrs.resource


def request_namespace(attrs: Attributes) -> str:
    """attr.GetNamespace(): for a namespace itself (not on create), the request info names it."""
    if attrs.group == "" and attrs.plural == "namespaces" and attrs.operation != CREATE:
        return attrs.name
    return attrs.namespace


def _exact_or_wildcard(items, requested: str) -> bool:
    return any(item == "*" or item == requested for item in items or ())


def rule_matches(rule: dict, operation: str, group: str, version: str, plural: str, subresource: str,
                 namespace: str) -> bool:
    """rules.Matcher.Matches: scope, operation, group, version and resource (``*``, ``pods/*``, ``*/status``)."""
    scope = rule.get("scope") or "*"
    is_namespace = group == "" and plural == "namespaces"
    if scope == "Namespaced":
        if is_namespace or not namespace:
            return False
    elif scope == "Cluster":
        if not (is_namespace or not namespace):
            return False
    elif scope != "*":
        return False
    if not any(op == "*" or op == operation for op in rule.get("operations") or ()):
        return False
    if not _exact_or_wildcard(rule.get("apiGroups"), group) or not _exact_or_wildcard(rule.get("apiVersions"),
                                                                                       version):
        return False
    for res in rule.get("resources") or ():
        if not isinstance(res, str):
            continue
        name, _, sub = res.partition("/")
        if (name == "*" or name == plural) and (sub == "*" or sub == subresource):
            return True
    return False


def _rules_match(hook: Hook, attrs: Attributes, resource, namespace: str) -> bool:
    return any(rule_matches(rule, attrs.operation, resource.group, resource.version, resource.plural,
                            attrs.subresource, namespace) for rule in hook.rules)


def equivalents(table, resource) -> list:
    """The same stored resource served elsewhere (EquivalentResourceMapper: the same storage prefix): other
    versions of a custom resource, events in events.k8s.io and core."""
    if table is None:
        return []
    prefix = resource.key_prefix
    return [r for r in table.resources if r is not resource and r.key_prefix == prefix and not r.virtual]


class Matcher:
    """Decides whether a webhook is called for a request (generic.Webhook.ShouldCallHook)."""

    def __init__(self, table, namespace_labels: Callable[[str], dict]):
        self.table = table
        self.namespace_labels = namespace_labels

    def should_call(self, hook: Hook, attrs: Attributes, request_for: Callable[[Invocation], dict]
                    ) -> Optional[Invocation]:
        """The invocation, None when the webhook does not apply, or a StatusError (raised)."""
        namespace = request_namespace(attrs)
        invocation = None
        if _rules_match(hook, attrs, attrs.resource, namespace):
            invocation = Invocation(hook, attrs.resource, attrs.subresource)
        elif hook.match_policy == "Equivalent":
            for rule in hook.rules:   # earlier rules first
                for other in equivalents(self.table, attrs.resource):
                    if rule_matches(rule, attrs.operation, other.group, other.version, other.plural,
                                    attrs.subresource, namespace):
                        invocation = Invocation(hook, other, attrs.subresource)
                        break
                if invocation is not None:
                    break
        if invocation is None:
            return None
        if not self._namespace_matches(hook, attrs, namespace):
            return None
        if not self._object_matches(hook, attrs):
            return None
        if hook.match_conditions and not self._conditions_match(hook, attrs, request_for(invocation), invocation):
            return None
        return invocation

    def _namespace_matches(self, hook: Hook, attrs: Attributes, namespace: str) -> bool:
        is_namespace = attrs.group == "" and attrs.plural == "namespaces"
        if not namespace and not is_namespace:
            return True   # cluster-scoped objects are never exempted by a namespaceSelector
        if hook.namespace_selector_error:
            raise status.internal_error(hook.namespace_selector_error)
        if hook.namespace_selector.empty:
            return True
        if is_namespace and not attrs.subresource and attrs.operation in (CREATE, UPDATE):
            labels = ((attrs.obj or {}).get("metadata") or {}).get("labels")
        else:
            labels = self.namespace_labels(namespace)
        return hook.namespace_selector.matches(labels if isinstance(labels, dict) else {})

    def _object_matches(self, hook: Hook, attrs: Attributes) -> bool:
        if hook.object_selector_error:
            raise status.internal_error(hook.object_selector_error)
        if hook.object_selector.empty:
            return True

        def labels_match(obj) -> bool:
            if not isinstance(obj, dict):
                return False
            labels = (obj.get("metadata") or {}).get("labels")
            return hook.object_selector.matches(labels if isinstance(labels, dict) else {})

        return labels_match(attrs.obj) or labels_match(attrs.old)

    def _conditions_match(self, hook: Hook, attrs: Attributes, request: dict, invocation: Invocation) -> bool:
        """matchconditions.Matcher: any false skips the webhook; errors follow the failurePolicy (Fail refuses
        the request with 403, Ignore skips the webhook)."""
        from apiserver.apiextensions import cel
        activation = {"object": cel.value_from_json(request.get("object"), None),
                      "oldObject": cel.value_from_json(request.get("oldObject"), None),
                      "request": cel.value_from_json({k: v for k, v in request.items()
                                                      if k not in ("object", "oldObject")}, None)}
        errors = []
        for name, program, compile_error in hook.programs():
            if program is None:
                errors.append(f"match condition {name!r} {compile_error}")
                continue
            try:
                result = program.evaluate(activation, cel.RUNTIME_CEL_COST_BUDGET)
            except cel.CELError as err:
                errors.append(f"expression '{program.expression}' resulted in error: {err}")
                continue
            if result is False:
                return False
            if result is not True:
                errors.append(f"expression '{program.expression}' resulted in error: expected a bool, got "
                              f"{type(result).__name__}")
        if errors:
            if hook.ignore_failures:
                return False
            message = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            raise status.forbidden(attrs.plural, attrs.group, attrs.name, message)
        return True
