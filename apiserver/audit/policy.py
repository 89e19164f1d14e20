"""The audit policy (audit.k8s.io/v1 ``Policy``): loading, upstream's validation, and rule evaluation
(apiserver ``pkg/audit/policy`` and ``pkg/apis/audit/validation``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from apiserver.audit import yamlsubset
from apiserver.registry import meta

LEVEL_NONE, LEVEL_METADATA, LEVEL_REQUEST, LEVEL_REQUEST_RESPONSE = "None", "Metadata", "Request", "RequestResponse"
LEVELS = (LEVEL_NONE, LEVEL_METADATA, LEVEL_REQUEST, LEVEL_REQUEST_RESPONSE)
_LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}

STAGE_REQUEST_RECEIVED, STAGE_RESPONSE_STARTED = "RequestReceived", "ResponseStarted"
STAGE_RESPONSE_COMPLETE, STAGE_PANIC = "ResponseComplete", "Panic"
STAGES = (STAGE_REQUEST_RECEIVED, STAGE_RESPONSE_STARTED, STAGE_RESPONSE_COMPLETE, STAGE_PANIC)

API_VERSION = "audit.k8s.io/v1"


def level_at_least(level: str, minimum: str) -> bool:
    return _LEVEL_ORDER.get(level, 0) >= _LEVEL_ORDER[minimum]


@dataclass(frozen=True)
class GroupResources:
    group: str = ""
    resources: Tuple[str, ...] = ()
    resource_names: Tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyRule:
    level: str = ""
    users: Tuple[str, ...] = ()
    user_groups: Tuple[str, ...] = ()
    verbs: Tuple[str, ...] = ()
    resources: Tuple[GroupResources, ...] = ()
    namespaces: Tuple[str, ...] = ()
    non_resource_urls: Tuple[str, ...] = ()
    omit_stages: Tuple[str, ...] = ()
    omit_managed_fields: Optional[bool] = None


@dataclass(frozen=True)
class RequestAuditConfig:
    """What the policy says about one request: its level, the stages not to record, and managedFields."""
    level: str = LEVEL_NONE
    omit_stages: frozenset = frozenset()
    omit_managed_fields: bool = False


@dataclass
class Policy:
    rules: List[PolicyRule] = field(default_factory=list)
    omit_stages: Tuple[str, ...] = ()
    omit_managed_fields: bool = False

    def evaluate(self, user, info) -> RequestAuditConfig:
        """The first matching rule decides (policy.EvaluatePolicyRule); no match means level None.

        ``user`` is a UserInfo or None (failed authentication), ``info`` the request's RequestInfo."""
        for rule in self.rules:
            if _rule_matches(rule, user, info):
                omit_managed = self.omit_managed_fields if rule.omit_managed_fields is None \
                    else rule.omit_managed_fields
                return RequestAuditConfig(rule.level, frozenset(self.omit_stages) | frozenset(rule.omit_stages),
                                          omit_managed)
        return RequestAuditConfig(LEVEL_NONE, frozenset(self.omit_stages), self.omit_managed_fields)


def _rule_matches(rule: PolicyRule, user, info) -> bool:
    if rule.users and (user is None or user.name not in rule.users):
        return False
    if rule.user_groups and (user is None or not any(g in rule.user_groups for g in user.groups)):
        return False
    if rule.verbs and info.verb not in rule.verbs:
        return False
    if rule.namespaces or rule.resources:
        return _matches_resource(rule, info)
    if rule.non_resource_urls:
        return not info.is_resource_request and any(_path_matches(info.path, spec)
                                                    for spec in rule.non_resource_urls)
    return True


def _path_matches(path: str, spec: str) -> bool:
    if spec == "*" or spec == path:
        return True
    return spec.endswith("*") and path.startswith(spec.rstrip("*"))


def _matches_resource(rule: PolicyRule, info) -> bool:
    if not info.is_resource_request:
        return False
    if rule.namespaces and info.namespace not in rule.namespaces:  # cluster-scoped: the empty string
        return False
    if not rule.resources:
        return True
    resource, sub = info.resource, info.subresource
    combined = f"{resource}/{sub}" if sub else resource
    for gr in rule.resources:
        if gr.group != info.api_group:
            continue
        if not gr.resources:
            return True
        if gr.resource_names and info.name not in gr.resource_names:
            continue
        for res in gr.resources:
            if res == combined or res == "*":
                return True
            if sub and res.startswith("*/") and sub == res[2:]:
                return True
            if res.endswith("/*") and resource == res[:-2]:
                return True
    return False


# -- loading


class PolicyError(ValueError):
    """A policy file the server cannot start with; the message is upstream's."""


def load_policy_file(path: str) -> Policy:
    """Read, decode and validate ``--audit-policy-file`` (policy.LoadPolicyFromFile, with its messages)."""
    if not path:
        raise PolicyError("file path not specified")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        reason = (err.strerror or str(err)).lower()  # Go's *PathError: "open <path>: <reason>"
        raise PolicyError(f'failed to read file path "{path}": open {path}: {reason}') from None
    try:
        return load_policy(data)
    except PolicyError as err:
        raise PolicyError(f"{err}: from file {path}") from None


def load_policy(data: bytes) -> Policy:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PolicyError(f"failed decoding: {err}") from None
    doc = _parse(text)
    if not isinstance(doc, dict):
        raise PolicyError(f"failed decoding: couldn't get version/kind; json parse error: json: cannot unmarshal "
                          f"{_json_type(doc)} into Go value of type struct {{ APIVersion string "
                          f"\"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}")
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if not kind:
        raise PolicyError(f"failed decoding: Object 'Kind' is missing in '{_compact(text)}'")
    if not api_version:
        raise PolicyError(f"failed decoding: Object 'apiVersion' is missing in '{_compact(text)}'")
    if api_version != API_VERSION or kind != "Policy":
        raise PolicyError(f'failed decoding: no kind "{kind}" is registered for version "{api_version}" in scheme '
                          f'"pkg/audit/scheme.go:30"')
    policy = _decode_policy(doc)
    errors = validate_policy(policy)
    if errors:
        raise PolicyError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    if not policy.rules:
        raise PolicyError("loaded illegal policy with 0 rules")
    return policy


def _parse(text: str):
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as err:
            raise PolicyError(f"failed decoding: {err}") from None
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise PolicyError(f"failed decoding: error converting YAML to JSON: {err}") from None
    try:
        return yamlsubset.loads(text)
    except ValueError as err:
        raise PolicyError(f"failed decoding: error converting YAML to JSON: {err}") from None


def _compact(text: str) -> str:
    return json.dumps(text)[1:-1] if len(text) < 200 else json.dumps(text[:200])[1:-1] + "..."


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _type_error(value, struct_field: str, go_type: str) -> PolicyError:
    return PolicyError(f"failed decoding: json: cannot unmarshal {_json_type(value)} into Go struct field "
                       f"{struct_field} of type {go_type}")


def _string(obj: dict, key: str, struct_field: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _type_error(value, struct_field, "string")
    return value


def _bool(obj: dict, key: str, struct_field: str) -> Optional[bool]:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _type_error(value, struct_field, "bool")
    return value


def _strings(obj: dict, key: str, struct_field: str, go_type: str = "string") -> Tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _type_error(value, struct_field, "[]" + go_type)
    for item in value:
        if not isinstance(item, str):
            raise _type_error(item, struct_field, go_type)
    return tuple(value)


def _objects(obj: dict, key: str, struct_field: str, go_type: str) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_error(value, struct_field, "[]" + go_type)
    for item in value:
        if not isinstance(item, dict):
            raise _type_error(item, struct_field, go_type)
    return value


def _decode_policy(doc: dict) -> Policy:
    rules = []
    for raw in _objects(doc, "rules", "Policy.rules", "v1.PolicyRule"):
        resources = tuple(
            GroupResources(group=_string(gr, "group", "PolicyRule.rules.resources.group"),
                           resources=_strings(gr, "resources", "PolicyRule.rules.resources.resources"),
                           resource_names=_strings(gr, "resourceNames", "PolicyRule.rules.resources.resourceNames"))
            for gr in _objects(raw, "resources", "PolicyRule.rules.resources", "v1.GroupResources"))
        rules.append(PolicyRule(
            level=_string(raw, "level", "PolicyRule.rules.level"),
            users=_strings(raw, "users", "PolicyRule.rules.users"),
            user_groups=_strings(raw, "userGroups", "PolicyRule.rules.userGroups"),
            verbs=_strings(raw, "verbs", "PolicyRule.rules.verbs"),
            resources=resources,
            namespaces=_strings(raw, "namespaces", "PolicyRule.rules.namespaces"),
            non_resource_urls=_strings(raw, "nonResourceURLs", "PolicyRule.rules.nonResourceURLs"),
            omit_stages=_strings(raw, "omitStages", "PolicyRule.rules.omitStages", "v1.Stage"),
            omit_managed_fields=_bool(raw, "omitManagedFields", "PolicyRule.rules.omitManagedFields"),
        ))
    return Policy(rules=rules, omit_stages=_strings(doc, "omitStages", "Policy.omitStages", "v1.Stage"),
                  omit_managed_fields=bool(_bool(doc, "omitManagedFields", "Policy.omitManagedFields")))


def validate_policy(policy: Policy) -> List[str]:
    """validation.ValidatePolicy: every error as ``field: message``."""
    errors = _validate_omit_stages(policy.omit_stages, "omitStages")
    for i, rule in enumerate(policy.rules):
        errors.extend(_validate_rule(rule, f"rules[{i}]"))
    return errors


def _cause(cause) -> str:
    return f"{cause[0]}: {cause[2]}"


def _validate_rule(rule: PolicyRule, path: str) -> List[str]:
    errors = []
    if not rule.level:
        errors.append(_cause(meta.required(f"{path}.level", "")))
    elif rule.level not in LEVELS:
        errors.append(f'{path}.level: Unsupported value: {meta.quote(rule.level)}: supported values: '
                      + ", ".join(f'"{lv}"' for lv in LEVELS))
    for i, url in enumerate(rule.non_resource_urls):
        if url == "*":
            continue
        if not url.startswith("/"):
            errors.append(_cause(meta.invalid(f"{path}.nonResourceURLs[{i}]", url,
                                              "non-resource URL rules must begin with a '/' character")))
        if url and "*" in url[:-1]:
            errors.append(_cause(meta.invalid(f"{path}.nonResourceURLs[{i}]", url,
                                              "non-resource URL wildcards '*' must be the final character of the "
                                              "rule")))
    for gr in rule.resources:
        if gr.group:
            for cause in meta.validate_name(gr.group, "subdomain", f"{path}.resources.group"):
                errors.append(_cause(cause))
        if gr.resource_names and not gr.resources:
            errors.append(_cause(meta.invalid(f"{path}.resources.resourceNames", list(gr.resource_names),
                                              "using resourceNames requires at least one resource")))
    errors.extend(_validate_omit_stages(rule.omit_stages, f"{path}.omitStages"))
    if rule.non_resource_urls and (rule.resources or rule.namespaces):
        errors.append(_cause(meta.invalid(f"{path}.nonResourceURLs", list(rule.non_resource_urls),
                                          "rules cannot apply to both regular resources and non-resource URLs")))
    return errors


def _validate_omit_stages(stages, path: str) -> List[str]:
    return [_cause(meta.invalid(f"{path}[{i}]", stage, "allowed stages are " + ",".join(STAGES)))
            for i, stage in enumerate(stages) if stage not in STAGES]
