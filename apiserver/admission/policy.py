"""ValidatingAdmissionPolicy (k8s.io/apiserver ``admission/plugin/policy/validating``): CEL validations from
``ValidatingAdmissionPolicy`` objects, applied where a ``ValidatingAdmissionPolicyBinding`` binds them.

Flow of one write (``validate``): the policies and bindings come from two list+watch caches (never read per
request); the hooks (policy, its bindings, the compiled expressions) are rebuilt only after a change. For each
policy whose ``matchConstraints`` select the write, each binding whose ``matchResources`` select it, each param
object of the binding's ``paramRef``: ``matchConditions``, then ``validations`` (with ``messageExpression``), then
``auditAnnotations``, all over the activation ``object``, ``oldObject``, ``request``, ``params``,
``namespaceObject`` and lazily evaluated ``variables``. A failed validation is acted on per the binding's
``validationActions``: Deny (the first denial refuses the write with the validation's reason), Warn (a Warning
header), Audit (an audit annotation). Evaluation and configuration errors follow the policy's ``failurePolicy``.

A denial is ``<resource> "<name>" is forbidden: ValidatingAdmissionPolicy '<policy>' with binding '<binding>'
denied request: <message>`` with the validation's reason and its code (no reason: Invalid, 422, as upstream).
The policy's ``status.observedGeneration`` and ``status.typeChecking`` (compile errors as expression warnings, for
policies stored before the API validated them) are kept current by the policy watch.

CEL: the language and libraries of ``apiserver/apiextensions/cel.py`` (its docstring lists them: the full
grammar, macros, ``cel.bind``, strings, lists, regex, sets, optionals, timestamps and durations), with these
variables: ``object`` and ``oldObject`` (plain JSON, null on create/delete), ``request`` (the AdmissionRequest
fields: kind, resource, subResource, requestKind, requestResource, name, namespace, operation, userInfo, dryRun,
options), ``params`` (declared only with ``paramKind``), ``namespaceObject``, ``variables``. Each variable is
evaluated on first use, once per evaluation, and sees only the variables declared before it. One cost budget
(``RUNTIME_CEL_COST_BUDGET``) covers a binding's expressions, each under ``PER_CALL_LIMIT``.

Deviations (documented): no ``authorizer`` variable (an expression using it does not compile, with a message
saying why); expressions are not type-checked against the resource's schema (``object`` is ``dyn``, so a typo is an
evaluation error rather than a warning in ``status.typeChecking``); params are read through the API store per
request (no param informers); ``matchPolicy: Equivalent`` finds only other versions of the same resource (custom
resources), whose objects differ only in ``apiVersion``; audit annotations are set on the request but there is no
audit log yet.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.admission import matching
from apiserver.admission.interface import Attributes, forbidden
from apiserver.apiextensions import cel
from apiserver.endpoints import selectors, status
from apiserver.storage import interface as st

log = logs.get_logger(__name__)

GROUP = "admissionregistration.k8s.io"
POLICIES = "/registry/validatingadmissionpolicies/"
BINDINGS = "/registry/validatingadmissionpolicybindings/"
NAMESPACES = "/registry/namespaces/"
# generic.admissionResources: policies never apply to the policy machinery itself
EXCLUDED = ("validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings")
REASON_CODES = {"Forbidden": 403, "Unauthorized": 401, "RequestEntityTooLarge": 413, "Invalid": 422}
MAX_AUDIT_ANNOTATION_VALUE = 10 * 1024
OUT_OF_BUDGET = "validation failed due to running out of cost budget, no further validation rules will be run"
FAILURE_ANNOTATION = "validation.policy.admission.k8s.io/validation_failure"
_AUTHORIZER = re.compile(r"(?<![\w.'\"])authorizer\s*\.")
SYNC_WAIT = 5.0   # a write arriving before the first list finished waits this long (upstream: WaitForReady)


# -- caches


class PrefixCache:
    """The objects under one storage prefix, name -> (revision, object), kept current by list+watch.

    The dict is replaced, never changed in place, so readers need no lock."""

    def __init__(self, storage: st.Store, prefix: str, stop: threading.Event, on_change, name: str):
        self.storage, self.prefix, self.stop, self.on_change = storage, prefix, stop, on_change
        self.items: Dict[str, Tuple[int, dict]] = {}
        self.synced = threading.Event()
        self.watcher = None   # stopped by close(), so the thread sees the stop at once
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            watcher = None
            try:
                page = self.storage.list(self.prefix)
                self.items = {kv.key[len(self.prefix):]: (kv.mod_revision, json.loads(kv.value))
                              for kv in page.items}
                self.synced.set()
                self.on_change(None)
                watcher = self.watcher = self.storage.watch(self.prefix, page.revision)
                while not self.stop.is_set():
                    event = watcher.next(0.5)
                    if event is None or event.type == st.PROGRESS:
                        continue
                    name = event.key[len(self.prefix):]
                    items = dict(self.items)
                    if event.type == st.DELETED:
                        items.pop(name, None)
                    else:
                        items[name] = (event.revision, json.loads(event.value))
                    self.items = items
                    self.on_change(name)
            except (st.StorageError, ValueError) as err:
                if self.stop.is_set():
                    return
                log.info("relisting", prefix=self.prefix, error=str(err))
                self.stop.wait(0.5)
            except Exception:  # noqa: BLE001 - a bug must not end the cache for good
                if self.stop.is_set():
                    return
                log.exception("policy cache failed; relisting", prefix=self.prefix)
                self.stop.wait(1.0)
            finally:
                if watcher is not None:
                    watcher.stop()


# -- compilation


class Expr:
    """One compiled expression (or its compile error, reported when it is evaluated, as upstream does)."""

    __slots__ = ("text", "program", "error")

    def __init__(self, text: str, variables: Tuple[str, ...], returns: Tuple[str, ...],
                 known: Tuple[str, ...] = ()):
        """``known``: the policy variables this expression may name (``variables.<name>``)."""
        self.text = text if isinstance(text, str) else ""
        self.program: Optional[cel.Program] = None
        self.error = ""
        try:
            self.program = cel.compile(self.text, variables, {"variables": known})
        except cel.CELCompileError as err:
            self.error = f"compilation failed: {err}"
            if _AUTHORIZER.search(self.text):
                self.error += "\n(the authorizer library is not supported by this server)"
            return
        got = self.program.result_type_name
        if got != "dyn" and "any" not in returns and got not in returns:
            self.program = None
            self.error = f"must evaluate to {returns[0]} but got {got}" if len(returns) == 1 else \
                f"must evaluate to one of [{' '.join(returns)}] but got {got}"


def _str(value) -> str:
    return value if isinstance(value, str) else ""


class CompiledPolicy:
    """A policy's expressions, compiled once per stored revision."""

    def __init__(self, policy: dict):
        spec = policy.get("spec") or {}
        self.name = (policy.get("metadata") or {}).get("name", "")
        self.failure_policy = spec.get("failurePolicy") or "Fail"
        constraints = spec.get("matchConstraints")
        self.match_constraints = matching.Criteria(constraints) if isinstance(constraints, dict) else None
        self.param_kind = spec.get("paramKind") if isinstance(spec.get("paramKind"), dict) else None
        names = ("object", "oldObject", "request", "namespaceObject", "variables")
        if self.param_kind is not None:
            names += ("params",)
        self.variables: List[Tuple[str, Expr]] = []
        known: Tuple[str, ...] = ()
        for v in _list(spec.get("variables")):
            self.variables.append((_str(v.get("name")), Expr(v.get("expression"), names, ("any",), known)))
            known += (_str(v.get("name")),)
        self.match_conditions = [(_str(m.get("name")), Expr(m.get("expression"), names, ("bool",), known))
                                 for m in _list(spec.get("matchConditions"))]
        self.validations = []
        for v in _list(spec.get("validations")):
            message_expr = v.get("messageExpression")
            self.validations.append({
                "expr": Expr(v.get("expression"), names, ("bool",), known),
                "message": _str(v.get("message")),
                "message_expr": Expr(message_expr, names, ("string",), known) if message_expr else None,
                "reason": v.get("reason") or "Invalid",
            })
        self.audit_annotations = [(_str(a.get("key")), Expr(a.get("valueExpression"), names, ("string", "null_type"),
                                                            known))
                                  for a in _list(spec.get("auditAnnotations"))]

    def warnings(self) -> List[dict]:
        """status.typeChecking.expressionWarnings: here, the expressions that do not compile."""
        found = []

        def add(path: str, expr: Optional[Expr]):
            if expr is not None and expr.error:
                found.append({"fieldRef": path, "warning": expr.error})
        for i, (_, e) in enumerate(self.variables):
            add(f"spec.variables[{i}].expression", e)
        for i, (_, e) in enumerate(self.match_conditions):
            add(f"spec.matchConditions[{i}].expression", e)
        for i, v in enumerate(self.validations):
            add(f"spec.validations[{i}].expression", v["expr"])
            add(f"spec.validations[{i}].messageExpression", v["message_expr"])
        for i, (_, e) in enumerate(self.audit_annotations):
            add(f"spec.auditAnnotations[{i}].valueExpression", e)
        return found


def _list(value) -> List[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class Hook:
    """A policy that has bindings, with its compiled expressions."""

    def __init__(self, policy: dict, compiled: CompiledPolicy, bindings: List[dict]):
        self.policy = policy
        self.compiled = compiled
        self.bindings = []   # (binding, its matchResources as Criteria or None)
        for binding in bindings:
            match = (binding.get("spec") or {}).get("matchResources")
            self.bindings.append((binding, matching.Criteria(match) if isinstance(match, dict) else None))


# -- evaluation


class _OutOfBudget(Exception):
    pass


class _Budget:
    def __init__(self, total: int = cel.RUNTIME_CEL_COST_BUDGET):
        self.remaining = total

    def charge(self, cost: int):
        self.remaining -= cost
        if self.remaining < 0:
            raise _OutOfBudget()


class _Variables(dict):
    """``variables``: each variable is evaluated on first use and kept (k8s.io/apiserver ``cel/lazy``). A view
    shows the variables declared before the expression being evaluated."""

    __slots__ = ("_state", "_names")

    def __init__(self, state: _VariableState, names: Tuple[str, ...]):
        super().__init__()
        self._state = state
        self._names = names

    def __missing__(self, key):
        if key not in self._names:
            raise KeyError(key)
        return self._state.value(key)

    def __contains__(self, key) -> bool:
        return key in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def keys(self):
        return list(self._names)

    def items(self):
        return [(k, self[k]) for k in self._names]

    def values(self):
        return [self[k] for k in self._names]

    def get(self, key, default=None):
        return self[key] if key in self._names else default


class _VariableState:
    def __init__(self, variables: List[Tuple[str, Expr]], activation: dict, budget: _Budget):
        self.exprs = {}
        self.views = {}
        self.activation = activation
        self.budget = budget
        self.done: Dict[str, Tuple[bool, Any]] = {}
        names: Tuple[str, ...] = ()
        for name, expr in variables:
            if name in self.exprs:
                continue
            self.exprs[name] = expr
            self.views[name] = _Variables(self, names)
            names += (name,)
        self.all = _Variables(self, names)

    def value(self, name: str):
        if name not in self.done:
            expr = self.exprs[name]
            if expr.program is None:
                self.done[name] = (False, f'composited variable "{name}" fails to compile: {expr.error}')
            else:
                activation = dict(self.activation, variables=self.views[name])
                try:
                    value, cost = expr.program.evaluate_with_cost(activation, min(cel.PER_CALL_LIMIT,
                                                                                  max(self.budget.remaining, 0)))
                    self.budget.charge(cost)
                    self.done[name] = (True, value)
                except cel.CELCostLimitError:
                    raise
                except cel.CELEvalError as err:
                    self.done[name] = (False, f'composited variable "{name}" fails to evaluate: {err}')
        ok, value = self.done[name]
        if not ok:
            raise cel.CELEvalError(value)
        return value


def _evaluate(expr: Expr, activation: dict, budget: _Budget) -> Tuple[Any, str]:
    """(value, "") or (None, error message), in upstream's words; running out of budget raises _OutOfBudget."""
    if expr.program is None:
        return None, f"compilation error: {expr.error}"
    try:
        value, cost = expr.program.evaluate_with_cost(activation, min(cel.PER_CALL_LIMIT, max(budget.remaining, 0)))
    except cel.CELCostLimitError:
        if budget.remaining < cel.PER_CALL_LIMIT:
            raise _OutOfBudget() from None
        return None, f"expression '{expr.text}' resulted in error: operation cancelled: actual cost limit exceeded"
    except cel.CELEvalError as err:
        return None, f"expression '{expr.text}' resulted in error: {err}"
    budget.charge(cost)
    return value, ""


class Decision:
    """One expression's verdict; ``audit`` marks a failed auditAnnotation, which denies whatever the actions."""

    __slots__ = ("deny", "message", "reason", "audit")

    def __init__(self, deny: bool, message: str = "", reason: str = "", audit: bool = False):
        self.deny, self.message, self.reason, self.audit = deny, message, reason, audit


class _Request:
    """What one write offers the expressions, computed once: the request object, the namespace."""

    def __init__(self, plugin: ValidatingAdmissionPolicy, attrs: Attributes):
        self.plugin = plugin
        self.attrs = attrs
        self._namespace: Dict[str, Optional[dict]] = {}
        self._requests: Dict[tuple, dict] = {}

    def namespace(self, name: str) -> Optional[dict]:
        if name not in self._namespace:
            try:
                kv = self.plugin.storage.get(NAMESPACES + name)
                ns = json.loads(kv.value)
                ns.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
            except st.NotFoundError:
                ns = None
            self._namespace[name] = ns
        return self._namespace[name]

    def namespace_labels(self, name: str) -> dict:
        ns = self.namespace(name)
        if ns is None:
            raise matching.MatchError(f'namespaces "{name}" not found')
        return (ns.get("metadata") or {}).get("labels") or {}

    def namespace_object(self) -> Optional[dict]:
        """cel.CreateNamespaceObject: the namespace of a namespaced write (not of a namespace itself)."""
        a = self.attrs
        if not a.namespace or (a.group == "" and a.kind == "Namespace"):
            return None
        ns = self.namespace(a.namespace)
        if ns is None:
            raise status.not_found("", "namespaces", a.namespace)
        md = ns.get("metadata") or {}
        keep = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "finalizers")
        out = {"metadata": {k: md[k] for k in keep if k in md}}
        for field in ("spec", "status"):
            if field in ns:
                out[field] = ns[field]
        return out

    def request(self, gvr: matching.GVR, gvk: matching.GVK) -> dict:
        """cel.CreateAdmissionRequest, as its JSON form (empty optional fields left out)."""
        key = (gvr, gvk)
        if key not in self._requests:
            a = self.attrs
            r = a.resource
            user = a.user
            user_info: Dict[str, Any] = {}
            if user is not None:
                if getattr(user, "name", ""):
                    user_info["username"] = user.name
                if getattr(user, "uid", ""):
                    user_info["uid"] = user.uid
                if getattr(user, "groups", ()):
                    user_info["groups"] = list(user.groups)
                if getattr(user, "extra", None):
                    user_info["extra"] = {k: list(v) for k, v in user.extra.items()}
            options_kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}
            options = None
            if a.operation in options_kind:
                options = dict(a.options or {})
                options.setdefault("kind", options_kind[a.operation])
                options.setdefault("apiVersion", "meta.k8s.io/v1")
            req: Dict[str, Any] = {
                "uid": "",
                "kind": {"group": gvk[0], "version": gvk[1], "kind": gvk[2]},
                "resource": {"group": gvr[0], "version": gvr[1], "resource": gvr[2]},
                "requestKind": {"group": r.group, "version": r.version, "kind": r.kind},
                "requestResource": {"group": r.group, "version": r.version, "resource": r.plural},
                "operation": a.operation,
                "userInfo": user_info,
                "dryRun": bool(a.dry_run),
                "options": options,
            }
            if a.subresource:
                req["subResource"] = a.subresource
                req["requestSubResource"] = a.subresource
            name = a.name or ((a.obj or {}).get("metadata") or {}).get("name", "")
            if name:
                req["name"] = name
            if a.namespace:
                req["namespace"] = a.namespace
            self._requests[key] = req
        return self._requests[key]


class _ConfigError(Exception):
    pass


# -- the plugin


class ValidatingAdmissionPolicy:
    name = "ValidatingAdmissionPolicy"

    def __init__(self, ctx):
        self.api = ctx.api
        self.table = ctx.table
        self.storage = ctx.storage
        self._stop = threading.Event()
        self._outer_stop = ctx.stop
        self._lock = threading.Lock()
        self._changes = 0          # bumped by the caches; hooks are rebuilt when it moved
        self._built = -1
        self._hooks: List[Hook] = []
        self._compiled: Dict[str, Tuple[int, CompiledPolicy]] = {}
        self.policies = PrefixCache(self.storage, POLICIES, self._stop, self._policy_changed, "vap-policies")
        self.bindings = PrefixCache(self.storage, BINDINGS, self._stop, self._binding_changed, "vap-bindings")
        self.policies.start()
        self.bindings.start()
        if self._outer_stop is not None:
            threading.Thread(target=self._follow_stop, name="vap-stop", daemon=True).start()

    def _follow_stop(self):
        while not self._stop.is_set():
            if self._outer_stop.wait(0.5):
                self._stop.set()

    def close(self):
        self._stop.set()
        for cache in (self.policies, self.bindings):
            if cache.watcher is not None:
                cache.watcher.stop()
            if cache.thread.is_alive():
                cache.thread.join(timeout=5)

    # -- caches

    def _binding_changed(self, name: Optional[str]):
        self._changes += 1

    def _policy_changed(self, name: Optional[str]):
        self._changes += 1
        names = [name] if name is not None else list(self.policies.items)
        for n in names:
            entry = self.policies.items.get(n)
            if entry is not None:
                self._update_status(n, *entry)

    def _compile(self, name: str, revision: int, policy: dict) -> CompiledPolicy:
        cached = self._compiled.get(name)
        if cached is not None and cached[0] == revision:
            return cached[1]
        compiled = CompiledPolicy(policy)
        self._compiled[name] = (revision, compiled)
        return compiled

    def _update_status(self, name: str, revision: int, policy: dict):
        """status.observedGeneration and status.typeChecking, as upstream's type-checking controller keeps them."""
        generation = (policy.get("metadata") or {}).get("generation")
        with self._lock:
            compiled = self._compile(name, revision, policy)
        type_checking = {"expressionWarnings": compiled.warnings()} if compiled.warnings() else {}
        current = policy.get("status") or {}
        if current.get("observedGeneration") == generation and current.get("typeChecking") == type_checking:
            return
        r = self.table.lookup(GROUP, "v1", "validatingadmissionpolicies")
        if r is None:
            return

        def mutate(obj: dict) -> dict:
            if (obj.get("metadata") or {}).get("generation") != generation:
                return obj   # changed meanwhile: its own event brings it back here
            new_status = dict(obj.get("status") or {})
            new_status["observedGeneration"] = generation
            new_status["typeChecking"] = type_checking
            obj["status"] = new_status
            return obj
        from apiserver.registry.store import Options
        try:
            self.api.store(r).update_internal("", name, mutate, Options())
        except status.StatusError as err:
            if err.code != 404:
                log.info("policy status not written", policy=name, error=err.message)
        except st.StorageError as err:
            log.info("policy status not written", policy=name, error=str(err))

    def hooks(self) -> Optional[List[Hook]]:
        """The policies that have bindings, rebuilt after any change; None until both caches listed once."""
        if not (self.policies.synced.is_set() and self.bindings.synced.is_set()):
            deadline = time.monotonic() + SYNC_WAIT
            for cache in (self.policies, self.bindings):
                if not cache.synced.wait(max(0.0, deadline - time.monotonic())):
                    return None
        changes = self._changes
        if changes == self._built:
            return self._hooks
        with self._lock:
            changes = self._changes
            if changes != self._built:
                by_policy: Dict[str, List[dict]] = {}
                for _, binding in sorted(self.bindings.items.values(), key=lambda e: _name(e[1])):
                    policy_name = (binding.get("spec") or {}).get("policyName")
                    if isinstance(policy_name, str) and policy_name:
                        by_policy.setdefault(policy_name, []).append(binding)
                hooks = []
                for policy_name in sorted(by_policy):
                    entry = self.policies.items.get(policy_name)
                    if entry is None:
                        continue   # a binding may come before its policy
                    revision, policy = entry
                    hooks.append(Hook(policy, self._compile(policy_name, revision, policy), by_policy[policy_name]))
                self._compiled = {k: v for k, v in self._compiled.items() if k in self.policies.items}
                self._hooks = hooks
                self._built = changes
            return self._hooks

    # -- admission

    def validate(self, attrs: Attributes) -> None:
        if attrs.group == GROUP and attrs.plural in EXCLUDED:
            return
        hooks = self.hooks()
        if hooks is None:
            raise forbidden(attrs, "not yet ready to handle request")
        if not hooks:
            return
        request = _Request(self, attrs)
        denied: List[Tuple[Decision, dict, Optional[dict]]] = []
        for hook in hooks:
            self._dispatch(hook, attrs, request, denied)
        if denied:
            decision, policy, binding = denied[0]
            policy_name = _name(policy)
            if binding is not None:
                message = f"ValidatingAdmissionPolicy '{policy_name}' with binding '{_name(binding)}' denied " \
                          f"request: {decision.message}"
            else:
                message = f"ValidatingAdmissionPolicy '{policy_name}' denied request: {decision.message}"
            err = forbidden(attrs, message)
            reason = decision.reason or "Invalid"
            err.reason = reason
            err.code = REASON_CODES.get(reason, 422)
            err.details = dict(err.details or {})
            err.details["causes"] = [{"message": message}]
            # the warnings gathered so far go out with the refusal, as upstream's warning recorder sends them
            err.headers = list(err.headers) + [("Warning", "299 - " + json.dumps(w)) for w in attrs.warnings]
            raise err

    def _dispatch(self, hook: Hook, attrs: Attributes, request: _Request, denied: list) -> None:
        compiled = hook.compiled
        policy = hook.policy

        def config_error(message: str, binding: Optional[dict]):
            if compiled.failure_policy == "Ignore":
                return
            if compiled.failure_policy != "Fail":
                denied.append((Decision(True, f"unrecognized failure policy: '{compiled.failure_policy}'"),
                               policy, binding))
                return
            prefix = "failed to configure binding" if binding is not None else "failed to configure policy"
            denied.append((Decision(True, f"{prefix}: {message}"), policy, binding))

        if compiled.match_constraints is None:
            config_error("policy contained no match constraints, a required field", None)
            return
        try:
            matched = matching.matches(compiled.match_constraints, attrs, request.namespace_labels, self.table)
        except matching.MatchError as err:
            config_error(str(err), None)
            return
        if matched is None:
            return
        gvr, gvk = matched
        param_resource = None
        if compiled.param_kind is not None:
            param_resource, error = self._param_resource(compiled.param_kind)
            if error:
                config_error(error, None)
                return
        annotations: Dict[str, List[str]] = {}
        for binding, match_resources in hook.bindings:
            spec = binding.get("spec") or {}
            if match_resources is not None:
                try:
                    if matching.matches(match_resources, attrs, request.namespace_labels, self.table) is None:
                        continue
                except matching.MatchError as err:
                    config_error(str(err), binding)
                    continue
            try:
                params = self._params(compiled, param_resource, spec.get("paramRef"), attrs)
            except _ConfigError as err:
                config_error(str(err), binding)
                continue
            if not params:
                continue
            namespace_object = request.namespace_object()
            actions = [a for a in spec.get("validationActions") or () if isinstance(a, str)]
            for param in params:
                decisions, audit = self._evaluate(compiled, attrs, request, gvr, gvk, param, namespace_object)
                for index, decision in enumerate(decisions):
                    if not decision.deny:
                        continue
                    if decision.audit:
                        denied.append((decision, policy, binding))   # an auditAnnotation failed under Fail
                        continue
                    for action in actions:
                        if action == "Deny":
                            denied.append((decision, policy, binding))
                        elif action == "Warn":
                            attrs.warnings.append(f"Validation failed for ValidatingAdmissionPolicy '{_name(policy)}' "
                                                  f"with binding '{_name(binding)}': {decision.message}")
                        elif action == "Audit":
                            attrs.annotations[FAILURE_ANNOTATION] = json.dumps([{
                                "message": decision.message, "policy": spec.get("policyName", ""),
                                "binding": _name(binding), "expressionIndex": index, "validationActions": actions,
                            }], separators=(",", ":"))
                for key, value in audit:
                    values = annotations.setdefault(key, [])
                    if value not in values:
                        values.append(value)
        for key, values in annotations.items():
            attrs.annotations[f"{_name(policy)}/{key}"] = ", ".join(values)

    def _param_resource(self, param_kind: dict):
        api_version = _str(param_kind.get("apiVersion"))
        kind = _str(param_kind.get("kind"))
        group, _, version = api_version.rpartition("/")
        if api_version.count("/") > 1:
            return None, f"failed to parse paramKind APIVersion: unexpected GroupVersion string: {api_version}"
        r = self.table.by_kind(group, version, kind)
        if r is None or r.virtual:
            return None, f"failed to find resource referenced by paramKind: '{group}/{version}, Kind={kind}'"
        return r, ""

    def _params(self, compiled: CompiledPolicy, r, param_ref, attrs: Attributes) -> List[Optional[dict]]:
        """generic.CollectParams: the param objects a binding names ([None] without paramKind or paramRef)."""
        if r is None or not isinstance(param_ref, dict):
            return [None]
        ref_namespace = _str(param_ref.get("namespace"))
        if r.namespaced:
            namespace = ref_namespace or attrs.namespace
            if not namespace:
                raise _ConfigError("cannot use namespaced paramRef in policy binding that matches cluster-scoped "
                                   "resources")
        else:
            if ref_namespace:
                raise _ConfigError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
            namespace = ""
        store = self.api.store(r)
        name = _str(param_ref.get("name"))
        selector = param_ref.get("selector")
        if name:
            if selector is not None:
                raise _ConfigError("paramRef.name and paramRef.selector are mutually exclusive")
            try:
                params = [store.get(namespace, name)]
            except status.StatusError as err:
                if err.code != 404:
                    raise _ConfigError(err.message) from None
                params = []
        elif selector is not None:
            try:
                sel = selectors.label_selector_from_object(selector)
            except (selectors.SelectorError, ValueError) as err:
                raise _ConfigError(str(err)) from None
            params = store.list_page(namespace, None, None, None,
                                     lambda o: sel.matches((o.get("metadata") or {}).get("labels") or {}))[0]
        else:
            raise _ConfigError("one of name or selector must be provided")
        if not params and param_ref.get("parameterNotFoundAction") == "Deny":
            raise _ConfigError("no params found for policy binding with `Deny` parameterNotFoundAction")
        for p in params:
            p.setdefault("apiVersion", r.api_version)
            p.setdefault("kind", r.kind)
        return params

    def _evaluate(self, compiled: CompiledPolicy, attrs: Attributes, request: _Request, gvr, gvk,
                  param: Optional[dict], namespace_object: Optional[dict]) -> Tuple[List[Decision], list]:
        """validator.Validate for one param: (decisions, published audit annotations)."""
        fail = compiled.failure_policy != "Ignore"
        obj, old = attrs.obj, attrs.old
        if gvk[:2] != (attrs.group, attrs.version):   # an equivalent version matched: only apiVersion differs
            api_version = f"{gvk[0]}/{gvk[1]}" if gvk[0] else gvk[1]
            obj = dict(obj, apiVersion=api_version) if obj is not None else None
            old = dict(old, apiVersion=api_version) if old is not None else None
        base = {"object": obj, "oldObject": old, "request": request.request(gvr, gvk), "params": param}

        def error_decision(message: str) -> Decision:
            return Decision(fail, message)

        # matchConditions see no namespaceObject (matchconditions.Matcher passes none)
        if compiled.match_conditions:
            budget = _Budget()
            activation = dict(base, namespaceObject=None)
            activation["variables"] = _VariableState(compiled.variables, activation, budget).all
            errors = []
            try:
                for _, expr in compiled.match_conditions:
                    value, error = _evaluate(expr, activation, budget)
                    if error:
                        errors.append(error)
                    elif value is False:
                        return [], []
            except _OutOfBudget:
                errors = [OUT_OF_BUDGET]
            if errors:
                if not fail:
                    return [], []
                return [error_decision(errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]")], []
        budget = _Budget()
        activation = dict(base, namespaceObject=namespace_object)
        state = _VariableState(compiled.variables, activation, budget)
        activation["variables"] = state.all
        decisions: List[Decision] = []
        try:
            for validation in compiled.validations:
                value, error = _evaluate(validation["expr"], activation, budget)
                if error:
                    decisions.append(error_decision(error))
                elif value is True:
                    decisions.append(Decision(False))
                else:
                    decisions.append(Decision(True, self._message(validation, activation, budget),
                                              validation["reason"]))
        except _OutOfBudget:
            return [error_decision(OUT_OF_BUDGET)], []
        audit = []
        try:
            for key, expr in compiled.audit_annotations:
                value, error = _evaluate(expr, activation, budget)
                if not error and value is not None and not isinstance(value, str):
                    error = f"valueExpression '{expr.text}' resulted in unsupported return type: " \
                            f"{_cel_type(value)}. Return type must be either string or null."
                if error:
                    if fail:
                        decisions.append(Decision(True, error, audit=True))
                    continue
                if value is not None and value.strip():
                    audit.append((key, value.strip()[:MAX_AUDIT_ANNOTATION_VALUE]))
        except _OutOfBudget:
            return [error_decision(OUT_OF_BUDGET)], []
        return decisions, audit

    @staticmethod
    def _message(validation: dict, activation: dict, budget: _Budget) -> str:
        message = ""
        expr = validation["message_expr"]
        if expr is not None:
            try:
                value, error = _evaluate(expr, dict(activation), budget)
            except _OutOfBudget:
                value, error = None, OUT_OF_BUDGET
            if not error and isinstance(value, str):
                message = value.strip()
                if len(message.encode()) > cel.MAX_EVALUATED_MESSAGE_EXPRESSION_SIZE or "\n" in message:
                    message = ""
        if not message and validation["message"]:
            message = validation["message"].strip()
        if not message:
            message = f"failed expression: {validation['expr'].text.strip()}"
        return message


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _cel_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__
