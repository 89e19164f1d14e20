"""Defaults and validation of MutatingWebhookConfiguration and ValidatingWebhookConfiguration
(``pkg/apis/admissionregistration/v1/defaults.go`` and ``validation/validation.go``), with upstream's messages.

Updates are validated with upstream's ratcheting: what an old object already had (side effects other than
None/NoneOnDryRun, duplicate webhook names, only unknown review versions, match conditions) stays allowed."""

from __future__ import annotations

from typing import List, Optional

from apiserver.apiextensions import schema as s
from apiserver.endpoints.selectors import validate_label_key, validate_label_value
from apiserver.registry.meta import Cause

KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
ACCEPTED_REVIEW_VERSIONS = ("v1", "v1beta1")
NO_SIDE_EFFECTS = ("None", "NoneOnDryRun")
ALL_SIDE_EFFECTS = ("None", "NoneOnDryRun", "Some", "Unknown")
OPERATIONS = ("*", "CONNECT", "CREATE", "DELETE", "UPDATE")
SCOPES = ("*", "Cluster", "Namespaced")
MAX_MATCH_CONDITIONS = 64


# -- defaults


def default(obj: dict) -> None:
    """SetDefaults_{Validating,Mutating}Webhook, SetDefaults_Rule and SetDefaults_ServiceReference."""
    mutating = obj.get("kind") == "MutatingWebhookConfiguration"
    for hook in obj.get("webhooks") or ():
        if not isinstance(hook, dict):
            continue
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        if hook.get("namespaceSelector") is None:
            hook["namespaceSelector"] = {}
        if hook.get("objectSelector") is None:
            hook["objectSelector"] = {}
        if hook.get("timeoutSeconds") is None:
            hook["timeoutSeconds"] = 10
        if mutating and hook.get("reinvocationPolicy") is None:
            hook["reinvocationPolicy"] = "Never"
        for rule in hook.get("rules") or ():
            if isinstance(rule, dict) and rule.get("scope") is None:
                rule["scope"] = "*"
        config = hook.get("clientConfig")
        service = config.get("service") if isinstance(config, dict) else None
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443


# -- validation


class _Options:
    def __init__(self, old: Optional[dict]):
        old_hooks = [h for h in (old or {}).get("webhooks") or () if isinstance(h, dict)]
        self.check_match_conditions = True
        self.require_no_side_effects = True
        self.require_recognized_versions = True
        self.require_unique_names = True
        if old is not None:
            self.require_no_side_effects = all(h.get("sideEffects") in NO_SIDE_EFFECTS for h in old_hooks)
            self.require_recognized_versions = all(
                not h.get("admissionReviewVersions")
                or any(v in ACCEPTED_REVIEW_VERSIONS for v in h.get("admissionReviewVersions") or ())
                for h in old_hooks)
            names = [h.get("name") for h in old_hooks]
            self.require_unique_names = len(names) == len(set(names))


def validate(obj: dict, old: Optional[dict]) -> List[Cause]:
    opts = _Options(old)
    if old is not None:
        new_hooks = [h for h in obj.get("webhooks") or () if isinstance(h, dict)]
        old_hooks = [h for h in old.get("webhooks") or () if isinstance(h, dict)]
        opts.check_match_conditions = len(new_hooks) != len(old_hooks) or any(
            n.get("matchConditions") != o.get("matchConditions") for n, o in zip(new_hooks, old_hooks))
    mutating = obj.get("kind") == "MutatingWebhookConfiguration"
    causes: List[Cause] = []
    names = set()
    for i, hook in enumerate(obj.get("webhooks") or ()):
        path = f"webhooks[{i}]"
        if not isinstance(hook, dict):
            causes.append(s._invalid(path, hook, "must be an object"))
            continue
        causes += _webhook(hook, path, mutating, opts)
        causes += _review_versions(hook.get("admissionReviewVersions"), f"{path}.admissionReviewVersions", opts)
        name = hook.get("name")
        if opts.require_unique_names and isinstance(name, str) and name:
            if name in names:
                causes.append(s._duplicate(f"{path}.name", name))
            names.add(name)
    return causes


def _fully_qualified_name(path: str, name) -> List[Cause]:
    if not name:
        return [s._required(path)]
    errs = s.is_dns1123_subdomain(str(name))
    if errs:
        return [s._invalid(path, name, ",".join(errs))]
    if len(str(name).split(".")) < 3:
        return [s._invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


def _webhook(hook: dict, path: str, mutating: bool, opts: _Options) -> List[Cause]:
    causes = _fully_qualified_name(f"{path}.name", hook.get("name"))
    for i, rule in enumerate(hook.get("rules") or ()):
        causes += _rule(rule if isinstance(rule, dict) else {}, f"{path}.rules[{i}]")
    for field, accepted in (("failurePolicy", ("Fail", "Ignore")), ("matchPolicy", ("Equivalent", "Exact"))):
        if hook.get(field) is not None and hook.get(field) not in accepted:
            causes.append(s._not_supported(f"{path}.{field}", hook.get(field), accepted))
    allowed = NO_SIDE_EFFECTS if opts.require_no_side_effects else ALL_SIDE_EFFECTS
    side_effects = hook.get("sideEffects")
    if side_effects is None:
        causes.append(s._required(f"{path}.sideEffects", "must specify one of " + ", ".join(allowed)))
    elif side_effects not in allowed:
        causes.append(s._not_supported(f"{path}.sideEffects", side_effects, allowed))
    timeout = hook.get("timeoutSeconds")
    if timeout is not None and (not s._is_int(timeout) or not 1 <= timeout <= 30):
        causes.append(s._invalid(f"{path}.timeoutSeconds", timeout, "the timeout value must be between 1 and 30 "
                                                                    "seconds"))
    for field in ("namespaceSelector", "objectSelector"):
        if hook.get(field) is not None:
            causes += _label_selector(hook[field], f"{path}.{field}")
    if mutating and hook.get("reinvocationPolicy") is not None and \
            hook["reinvocationPolicy"] not in ("IfNeeded", "Never"):
        causes.append(s._not_supported(f"{path}.reinvocationPolicy", hook["reinvocationPolicy"],
                                       ("IfNeeded", "Never")))
    config = hook.get("clientConfig") if isinstance(hook.get("clientConfig"), dict) else {}
    url, service = config.get("url"), config.get("service")
    if (url is None) == (service is None):
        causes.append(s._required(f"{path}.clientConfig", "exactly one of url or service is required"))
    elif url is not None:
        causes += s._webhook_url_causes(f"{path}.clientConfig.url", str(url))
    else:
        causes += s._webhook_service_causes(f"{path}.clientConfig.service", service if isinstance(service, dict)
                                            else {})
    if opts.check_match_conditions:
        causes += _match_conditions(hook.get("matchConditions") or [], f"{path}.matchConditions")
    return causes


def _go_typed_strings(type_name: str, values) -> s._GoRaw:
    return s._GoRaw(f"[]{type_name}{{" + ", ".join(s.go_quote(str(v)) for v in values) + "}")


def _rule(rule: dict, path: str) -> List[Cause]:
    causes: List[Cause] = []
    operations = rule.get("operations") or []
    if not operations:
        causes.append(s._required(f"{path}.operations"))
    if len(operations) > 1 and "*" in operations:
        causes.append(s._invalid(f"{path}.operations", _go_typed_strings("admissionregistration.OperationType",
                                                                         operations),
                                 "if '*' is present, must not specify other operations"))
    for i, operation in enumerate(operations):
        if operation not in OPERATIONS:
            causes.append(s._not_supported(f"{path}.operations[{i}]", operation, OPERATIONS))
    groups, versions = rule.get("apiGroups") or [], rule.get("apiVersions") or []
    if not groups:
        causes.append(s._required(f"{path}.apiGroups"))
    if len(groups) > 1 and "*" in groups:
        causes.append(s._invalid(f"{path}.apiGroups", s._go_strings(groups),
                                 "if '*' is present, must not specify other API groups"))
    if not versions:
        causes.append(s._required(f"{path}.apiVersions"))
    if len(versions) > 1 and "*" in versions:
        causes.append(s._invalid(f"{path}.apiVersions", s._go_strings(versions),
                                 "if '*' is present, must not specify other API versions"))
    for i, version in enumerate(versions):
        if version == "":
            causes.append(s._required(f"{path}.apiVersions[{i}]"))
    causes += _resources(rule.get("resources") or [], f"{path}.resources")
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        causes.append(s._not_supported(f"{path}.scope", scope, SCOPES))
    return causes


def _resources(resources: list, path: str) -> List[Cause]:
    causes: List[Cause] = []
    if not resources:
        causes.append(s._required(path))
    with_wildcard_sub, with_wildcard_res = set(), set()
    double = single = plain = False
    for i, res_sub in enumerate(resources):
        res_sub = str(res_sub)
        if res_sub == "":
            causes.append(s._required(f"{path}[{i}]"))
            continue
        double = double or res_sub == "*/*"
        single = single or res_sub == "*"
        if "/" not in res_sub:
            plain = res_sub != "*"
            continue
        res, sub = res_sub.split("/", 1)
        if res in with_wildcard_sub:
            causes.append(s._invalid(f"{path}[{i}]", res_sub, f"if '{res}/*' is present, must not specify {res_sub}"))
        if sub in with_wildcard_res:
            causes.append(s._invalid(f"{path}[{i}]", res_sub, f"if '*/{sub}' is present, must not specify {res_sub}"))
        if sub == "*":
            with_wildcard_sub.add(res)
        if res == "*":
            with_wildcard_res.add(sub)
    if len(resources) > 1 and double:
        causes.append(s._invalid(path, s._go_strings(resources), "if '*/*' is present, must not specify other "
                                                                 "resources"))
    if single and plain:
        causes.append(s._invalid(path, s._go_strings(resources), "if '*' is present, must not specify other "
                                                                 "resources without subresources"))
    return causes


def _review_versions(versions, path: str, opts: _Options) -> List[Cause]:
    versions = versions if isinstance(versions, list) else []
    if not versions:
        return [s._required(path, "must specify one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS))]
    causes: List[Cause] = []
    seen = set()
    for i, version in enumerate(versions):
        version = str(version)
        if version in seen:
            causes.append(s._invalid(f"{path}[{i}]", version, "duplicate version"))
            continue
        seen.add(version)
        for err in s.is_dns1035_label(version):
            causes.append(s._invalid(f"{path}[{i}]", version, err))
    if opts.require_recognized_versions and not any(v in ACCEPTED_REVIEW_VERSIONS for v in seen):
        causes.append(s._invalid(path, s._go_strings([str(v) for v in versions]),
                                 "must include at least one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS)))
    return causes


def _label_selector(selector, path: str) -> List[Cause]:
    """metav1validation.ValidateLabelSelector."""
    if not isinstance(selector, dict):
        return [s._invalid(path, selector, "must be a label selector")]
    causes: List[Cause] = []
    for i, expr in enumerate(selector.get("matchExpressions") or ()):
        expr_path = f"{path}.matchExpressions[{i}]"
        expr = expr if isinstance(expr, dict) else {}
        operator, values = expr.get("operator"), expr.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                causes.append(s._required(f"{expr_path}.values", "must be specified when `operator` is 'In' or "
                                                                 "'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                causes.append(s._forbidden(f"{expr_path}.values", "may not be specified when `operator` is "
                                                                  "'Exists' or 'DoesNotExist'"))
        else:
            causes.append(s._invalid(f"{expr_path}.operator", operator, "not a valid selector operator"))
        key = str(expr.get("key") or "")
        for err in validate_label_key(key):
            causes.append(s._invalid(f"{expr_path}.key", key, err))
        for j, value in enumerate(values):
            for err in validate_label_value(str(value)):
                causes.append(s._invalid(f"{expr_path}.values[{j}]", value, err))
    labels = selector.get("matchLabels") or {}
    for key, value in labels.items() if isinstance(labels, dict) else ():
        for err in validate_label_key(str(key)):
            causes.append(s._invalid(f"{path}.matchLabels", key, err))
        for err in validate_label_value(str(value)):
            causes.append(s._invalid(f"{path}.matchLabels", value, err))
    return causes


def _match_conditions(conditions: list, path: str) -> List[Cause]:
    from apiserver.admission.webhook.config import MATCH_CONDITION_VARIABLES
    from apiserver.apiextensions import cel

    causes: List[Cause] = []
    if len(conditions) > MAX_MATCH_CONDITIONS:
        causes.append((path, "FieldValueTooMany", f"Too many: {len(conditions)}: must have at most "
                                                  f"{MAX_MATCH_CONDITIONS} items"))
    names = set()
    for i, condition in enumerate(conditions):
        item = f"{path}[{i}]"
        condition = condition if isinstance(condition, dict) else {}
        expression = str(condition.get("expression") or "").strip()
        if not expression:
            causes.append(s._required(f"{item}.expression"))
        else:
            try:
                # the authorizer variable is not offered here (no authorizer library in the CEL subset)
                program = cel.compile(expression, MATCH_CONDITION_VARIABLES)
                if program.result_type not in ("bool", "dyn"):
                    causes.append(s._invalid(f"{item}.expression", expression, "must evaluate to bool"))
            except cel.CELError as err:
                causes.append(s._invalid(f"{item}.expression", expression, f"compilation failed: {err}"))
        name = condition.get("name")
        if not name:
            causes.append(s._required(f"{item}.name"))
        else:
            for err in validate_label_key(str(name)):
                causes.append(s._invalid(f"{item}.name", name, err))
            if name in names:
                causes.append(s._duplicate(f"{item}.name", name))
            names.add(name)
    return causes
