"""The authorization review APIs (pkg/registry/authorization): SubjectAccessReview, LocalSubjectAccessReview,
SelfSubjectAccessReview and SelfSubjectRulesReview. Each is created, answered and never stored; ``kubectl auth
can-i`` (and ``--list``) ask them."""

from __future__ import annotations

import json
from typing import Callable, Dict, List, Tuple

from apiserver.apis.resources import ResourceTable
from apiserver.auth.authentication import MASTERS, UserInfo
from apiserver.auth.authorization import ALLOW, DENY, Attributes
from apiserver.endpoints import status

GROUP = "authorization.k8s.io"


def _invalid(kind: str, field: str, value, detail: str) -> status.StatusError:
    shown = json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else f'"{value}"'
    message = f'{kind}.{GROUP} "" is invalid: {field}: Invalid value: {shown}: {detail}'
    return status.StatusError(422, "Invalid", message, {"group": GROUP, "kind": kind, "causes": [
        {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}", "field": field}]})


def _attributes(kind: str, spec: dict, user: UserInfo) -> Attributes:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        raise _invalid(kind, "spec.resourceAttributes", resource, "exactly one of nonResourceAttributes or "
                       "resourceAttributes must be specified")
    if resource is not None:
        if not isinstance(resource, dict):
            raise status.bad_request("spec.resourceAttributes must be an object")
        return Attributes(user=user, verb=resource.get("verb") or "", is_resource_request=True,
                          api_group=resource.get("group") or "", api_version=resource.get("version") or "",
                          resource=resource.get("resource") or "", subresource=resource.get("subresource") or "",
                          namespace=resource.get("namespace") or "", name=resource.get("name") or "")
    if not isinstance(non_resource, dict):
        raise status.bad_request("spec.nonResourceAttributes must be an object")
    return Attributes(user=user, verb=non_resource.get("verb") or "", is_resource_request=False,
                      path=non_resource.get("path") or "")


def _answer(obj: dict, authorizer, attrs: Attributes) -> dict:
    decision, reason = authorizer.authorize(attrs)
    result = {"allowed": decision == ALLOW}
    if decision == DENY:
        result["denied"] = True
    if reason:
        result["reason"] = reason
    out = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"),
           "metadata": dict(obj.get("metadata") or {}, creationTimestamp=None), "spec": obj.get("spec") or {},
           "status": result}
    out["metadata"].pop("resourceVersion", None)
    return out


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise status.bad_request("spec must be an object")
    return spec


def _user_from_spec(kind: str, spec: dict) -> UserInfo:
    name, groups = spec.get("user") or "", spec.get("groups") or []
    if not name and not groups:
        raise _invalid(kind, "spec.user", name, 'at least one of user or group must be specified')
    extra = {k: list(v) for k, v in (spec.get("extra") or {}).items()}
    return UserInfo(name=name, uid=spec.get("uid") or "", groups=tuple(groups), extra=extra)


class Reviews:
    """The review handlers, registered on the REST handler as create-only resources."""

    def __init__(self, authorizer, rules_for: Callable[[UserInfo, str], Tuple[List[dict], List[dict], List[str]]]):
        self.authorizer = authorizer
        self.rules_for = rules_for

    def install(self, api, table: ResourceTable):
        handlers: Dict[str, Callable] = {
            "selfsubjectaccessreviews": self.self_subject_access_review,
            "subjectaccessreviews": self.subject_access_review,
            "localsubjectaccessreviews": self.local_subject_access_review,
            "selfsubjectrulesreviews": self.self_subject_rules_review,
        }
        for plural, handler in handlers.items():
            r = table.lookup(GROUP, "v1", plural)
            api.creators[(GROUP, plural, "")] = (r, handler)

    def self_subject_access_review(self, req, obj: dict, namespace: str, name: str) -> dict:
        attrs = _attributes("SelfSubjectAccessReview", _spec(obj), req.user)
        return _answer(obj, self.authorizer, attrs)

    def subject_access_review(self, req, obj: dict, namespace: str, name: str) -> dict:
        spec = _spec(obj)
        user = _user_from_spec("SubjectAccessReview", spec)
        return _answer(obj, self.authorizer, _attributes("SubjectAccessReview", spec, user))

    def local_subject_access_review(self, req, obj: dict, namespace: str, name: str) -> dict:
        spec = _spec(obj)
        user = _user_from_spec("LocalSubjectAccessReview", spec)
        attrs = _attributes("LocalSubjectAccessReview", spec, user)
        if not attrs.is_resource_request:
            raise _invalid("LocalSubjectAccessReview", "spec.nonResourceAttributes", spec.get(
                "nonResourceAttributes"), "disallowed on this kind of request")
        if attrs.namespace != namespace:
            raise status.bad_request(f"spec.resourceAttributes.namespace must match namespace: {namespace}")
        return _answer(obj, self.authorizer, attrs)

    def self_subject_rules_review(self, req, obj: dict, namespace: str, name: str) -> dict:
        spec = _spec(obj)
        ns = spec.get("namespace") or ""
        if not ns:
            raise status.bad_request("no namespace on request")
        resource_rules, non_resource_rules, errors = self.rules_for(req.user, ns)
        result = {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}
        if errors:
            result["incomplete"] = True
            result["evaluationError"] = "[" + ", ".join(errors) + "]" if len(errors) > 1 else errors[0]
        return {"kind": "SelfSubjectRulesReview", "apiVersion": f"{GROUP}/v1",
                "metadata": {"creationTimestamp": None}, "spec": spec, "status": result}


ALL_RESOURCES = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
ALL_URLS = {"verbs": ["*"], "nonResourceURLs": ["*"]}


def rules_resolver(modes: List[str], rbac_rules=None):
    """What a user may do in a namespace, as the authorizer chain sees it: system:masters and AlwaysAllow hold
    everything, RBAC adds its rules (the RuleResolvers union of the authorizer factory)."""
    def rules_for(user: UserInfo, namespace: str):
        resource: List[dict] = []
        non_resource: List[dict] = []
        errors: List[str] = []
        if MASTERS in user.groups:
            resource.append(dict(ALL_RESOURCES))
            non_resource.append(dict(ALL_URLS))
        for mode in modes:
            if mode == "AlwaysAllow":
                resource.append(dict(ALL_RESOURCES))
                non_resource.append(dict(ALL_URLS))
            elif mode == "RBAC" and rbac_rules is not None:
                r, n, e = rbac_rules(user, namespace)
                resource += r
                non_resource += n
                errors += e
        return resource, non_resource, errors
    return rules_for
