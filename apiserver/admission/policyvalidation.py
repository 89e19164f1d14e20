"""API validation of ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects (upstream's
``pkg/apis/admissionregistration/validation``), the part that matters to the plugin: required fields, supported
values, and expressions that compile. Object names, rule contents and selector syntax are not checked here."""

from __future__ import annotations

import re
from typing import List

from apiserver.registry.meta import Cause, invalid, quote, required

FAILURE_POLICIES = ("Fail", "Ignore")
MATCH_POLICIES = ("Equivalent", "Exact")
REASONS = ("Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized")
ACTIONS = ("Audit", "Deny", "Warn")
NOT_FOUND_ACTIONS = ("Deny", "Allow")
_CEL_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")


def _not_supported(path: str, value, supported) -> Cause:
    return path, "FieldValueNotSupported", \
        f"Unsupported value: {quote(value)}: supported values: {', '.join(quote(s) for s in supported)}"


def _duplicate(path: str, value) -> Cause:
    return path, "FieldValueDuplicate", f"Duplicate value: {quote(value)}"


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _expression(path: str, text: str, names, returns, known=()) -> List[Cause]:
    from apiserver.admission.policy import Expr
    expr = Expr(text, names, returns, tuple(known))
    return [invalid(path, text, expr.error)] if expr.error else []


def _match_resources(match, path: str) -> List[Cause]:
    if not isinstance(match, dict):
        return []
    causes = []
    policy = match.get("matchPolicy")
    if policy is None:
        causes.append(required(f"{path}.matchPolicy", ""))
    elif policy not in MATCH_POLICIES:
        causes.append(_not_supported(f"{path}.matchPolicy", policy, MATCH_POLICIES))
    for field in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(match.get(field) or ()):
            if not isinstance(rule, dict):
                continue
            names = rule.get("resourceNames") or []
            for j, name in enumerate(names):
                if name in names[:j]:
                    causes.append(_duplicate(f"{path}.{field}[{i}].resourceNames[{j}]", name))
    return causes


def validate_policy(obj: dict) -> List[Cause]:
    """validateValidatingAdmissionPolicySpec."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes: List[Cause] = []
    failure_policy = spec.get("failurePolicy")
    if failure_policy is None:
        causes.append(required("spec.failurePolicy", ""))
    elif failure_policy not in FAILURE_POLICIES:
        causes.append(_not_supported("spec.failurePolicy", failure_policy, FAILURE_POLICIES))
    param_kind = spec.get("paramKind")
    names = ("object", "oldObject", "request", "namespaceObject", "variables")
    if isinstance(param_kind, dict):
        names += ("params",)
        if not param_kind.get("apiVersion"):
            causes.append(required("spec.paramKind.apiVersion", ""))
        elif _text(param_kind.get("apiVersion")).count("/") > 1:
            causes.append(invalid("spec.paramKind.apiVersion", param_kind["apiVersion"],
                                  f"unexpected GroupVersion string: {param_kind['apiVersion']}"))
        if not param_kind.get("kind"):
            causes.append(required("spec.paramKind.kind", ""))
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, dict):
        causes.append(required("spec.matchConstraints", ""))
    else:
        causes += _match_resources(constraints, "spec.matchConstraints")
        if not constraints.get("resourceRules"):
            causes.append(required("spec.matchConstraints.resourceRules", ""))
    known = tuple(_text(v.get("name")) for v in spec.get("variables") or () if isinstance(v, dict))
    seen = set()
    for i, condition in enumerate(spec.get("matchConditions") or ()):
        if not isinstance(condition, dict):
            continue
        path = f"spec.matchConditions[{i}]"
        text = _text(condition.get("expression"))
        if not text.strip():
            causes.append(required(f"{path}.expression", ""))
        else:
            causes += _expression(f"{path}.expression", text.strip(), names, ("bool",), known)
        name = _text(condition.get("name"))
        if not name:
            causes.append(required(f"{path}.name", ""))
        elif name in seen:
            causes.append(_duplicate(f"{path}.name", name))
        seen.add(name)
    for i, variable in enumerate(spec.get("variables") or ()):
        if not isinstance(variable, dict):
            continue
        path = f"spec.variables[{i}]"
        name = _text(variable.get("name"))
        if not name.strip():
            causes.append(required(f"{path}.name", "name is not specified"))
        elif not _CEL_IDENT.match(name):
            causes.append(invalid(f"{path}.name", name, "name is not a valid CEL identifier"))
        text = _text(variable.get("expression"))
        if not text.strip():
            causes.append(required(f"{path}.expression", "expression is not specified"))
        else:
            causes += _expression(f"{path}.expression", text, names, ("any",), known[:i])
    validations = spec.get("validations") or []
    annotations = spec.get("auditAnnotations") or []
    if not validations and not annotations:
        message = "validations or auditAnnotations must contain at least one item"
        return causes + [required("spec.validations", message), required("spec.auditAnnotations", message)]
    for i, validation in enumerate(validations):
        if isinstance(validation, dict):
            causes += _validation(validation, f"spec.validations[{i}]", names, known)
    keys = set()
    for i, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            continue
        path = f"spec.auditAnnotations[{i}]"
        text = _text(annotation.get("valueExpression")).strip()
        if not text:
            causes.append(required(f"{path}.valueExpression", "valueExpression is not specified"))
        elif len(text.encode()) > 5 * 1024:
            causes.append(required(f"{path}.valueExpression", "must not exceed 5120 bytes in length"))
        else:
            causes += _expression(f"{path}.valueExpression", text, names, ("string", "null_type"), known)
        key = _text(annotation.get("key"))
        if key in keys:
            causes.append(_duplicate(f"{path}.key", key))
        keys.add(key)
    return causes


def _validation(validation: dict, path: str, names, known) -> List[Cause]:
    causes: List[Cause] = []
    text = _text(validation.get("expression"))
    if not text.strip():
        causes.append(required(f"{path}.expression", "expression is not specified"))
    else:
        causes += _expression(f"{path}.expression", text, names, ("bool",), known)
    message_expression = _text(validation.get("messageExpression"))
    if message_expression and not message_expression.strip():
        causes.append(invalid(f"{path}.messageExpression", message_expression, "must be non-empty if specified"))
    elif message_expression.strip():
        causes += _expression(f"{path}.messageExpression", message_expression, names, ("string",), known)
    message = _text(validation.get("message"))
    if message and not message.strip():
        causes.append(invalid(f"{path}.message", message, "message must be non-empty if specified"))
    elif "\n" in message.strip() or "\r" in message.strip():
        causes.append(invalid(f"{path}.message", message, "message must not contain line breaks"))
    reason = validation.get("reason")
    if reason is not None and reason not in REASONS:
        causes.append(_not_supported(f"{path}.reason", reason, REASONS))
    return causes


def validate_binding(obj: dict) -> List[Cause]:
    """validateValidatingAdmissionPolicyBindingSpec."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes: List[Cause] = []
    if not spec.get("policyName"):
        causes.append(required("spec.policyName", ""))
    ref = spec.get("paramRef")
    if isinstance(ref, dict):
        has_name, has_selector = bool(ref.get("name")), ref.get("selector") is not None
        if has_name and has_selector:
            causes.append(("spec.paramRef.name", "FieldValueForbidden",
                           "Forbidden: name and selector are mutually exclusive"))
            causes.append(("spec.paramRef.selector", "FieldValueForbidden",
                           "Forbidden: name and selector are mutually exclusive"))
        if not has_name and not has_selector:
            causes.append(required("spec.paramRef", "one of name or selector must be specified"))
        action = ref.get("parameterNotFoundAction")
        if not action:
            causes.append(required("spec.paramRef.parameterNotFoundAction", ""))
        elif action not in NOT_FOUND_ACTIONS:
            causes.append(_not_supported("spec.paramRef.parameterNotFoundAction", action, NOT_FOUND_ACTIONS))
    # upstream names this path "matchResouces"
    causes += _match_resources(spec.get("matchResources"), "spec.matchResouces")
    actions = spec.get("validationActions") or []
    path = "spec.validationActions"
    seen: List[str] = []
    for i, action in enumerate(actions):
        if action not in ACTIONS:
            causes.append(_not_supported(f"{path}[{i}]", action, ACTIONS))
        if action in seen:
            causes.append(_duplicate(f"{path}[{i}]", action))
        seen.append(action)
    if "Deny" in seen and "Warn" in seen:
        shown = "[]admissionregistration.ValidationAction{" + ", ".join(quote(a) for a in actions) + "}"
        causes.append((path, "FieldValueInvalid", f"Invalid value: {shown}: must not contain both Deny and Warn "
                       "(repeating the same validation failure information in the API response and headers serves "
                       "no purpose)"))
    if not seen:
        causes.append(required(path, "at least one validation action is required"))
    return causes
