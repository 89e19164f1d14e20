"""RBAC escalation prevention (pkg/registry/rbac/validation, the roles' and bindings' policy-based storage): a
user may write a Role or ClusterRole only with permissions it holds itself (or with the ``escalate`` verb), and
bind a role only if it holds the role's permissions (or has ``bind`` on it). system:masters may do anything."""

from __future__ import annotations

from typing import List, Tuple

from apiserver.admission.interface import CREATE, UPDATE, Attributes, forbidden
from apiserver.auth.authentication import MASTERS
from apiserver.auth.authorization import ALLOW
from apiserver.auth.authorization import Attributes as AuthzAttributes
from apiserver.auth.rbac import RBAC_GROUP, RBACCache

ROLE_RESOURCES = {"roles": "Role", "clusterroles": "ClusterRole"}
BINDING_RESOURCES = ("rolebindings", "clusterrolebindings")


def breakdown(rule: dict) -> List[dict]:
    """One rule per group × resource × verb (× resourceName), and per nonResourceURL × verb (BreakdownRule)."""
    out = []
    names = rule.get("resourceNames") or []
    for group in rule.get("apiGroups") or ():
        for resource in rule.get("resources") or ():
            for verb in rule.get("verbs") or ():
                if names:
                    out += [{"apiGroups": [group], "resources": [resource], "verbs": [verb], "resourceNames": [n]}
                            for n in names]
                else:
                    out.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
    for url in rule.get("nonResourceURLs") or ():
        for verb in rule.get("verbs") or ():
            out.append({"nonResourceURLs": [url], "verbs": [verb]})
    return out


def _has_all(have, wanted) -> bool:
    return all(w in have for w in wanted)


def _resources_cover(have: List[str], wanted: List[str]) -> bool:
    if "*" in have or _has_all(have, wanted):
        return True
    for path in wanted:
        if path in have:
            continue
        if "/" not in path or "*/" + path.split("/", 1)[1] not in have:
            return False
    return True


def _urls_cover(have: List[str], wanted: List[str]) -> bool:
    return all(any(h == w or (h.endswith("*") and w.startswith(h[:-1])) for h in have) for w in wanted)


def rule_covers(owner: dict, sub: dict) -> bool:
    verbs, groups = owner.get("verbs") or [], owner.get("apiGroups") or []
    owner_names, sub_names = owner.get("resourceNames") or [], sub.get("resourceNames") or []
    names_ok = not owner_names if not sub_names else (not owner_names or _has_all(owner_names, sub_names))
    return (("*" in verbs or _has_all(verbs, sub.get("verbs") or []))
            and ("*" in groups or _has_all(groups, sub.get("apiGroups") or []))
            and _resources_cover(owner.get("resources") or [], sub.get("resources") or [])
            and names_ok and _urls_cover(owner.get("nonResourceURLs") or [], sub.get("nonResourceURLs") or []))


def missing_rules(owner_rules: List[dict], requested: List[dict]) -> List[dict]:
    missing = []
    for rule in requested:
        for sub in breakdown(rule):
            if not any(rule_covers(owner, sub) for owner in owner_rules):
                missing.append(sub)
    return missing


def compact(rules: List[dict]) -> List[dict]:
    """CompactRules: simple one-group one-resource rules that differ only in verbs become one."""
    simple = {}
    out = []
    for rule in rules:
        groups, resources, names = rule.get("apiGroups") or [], rule.get("resources") or [], rule.get(
            "resourceNames") or []
        if not rule.get("nonResourceURLs") and len(groups) == 1 and len(resources) == 1 and len(names) <= 1:
            key = (groups[0], resources[0], names[0] if names else None)
            if key in simple:
                simple[key]["verbs"] = simple[key]["verbs"] + list(rule.get("verbs") or [])
            else:
                simple[key] = dict(rule, verbs=list(rule.get("verbs") or []))
        else:
            out.append(rule)
    return out + list(simple.values())


def _go_quoted(values: List[str]) -> str:
    import json
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def compact_string(rule: dict) -> str:
    """PolicyRule.CompactString: the non-empty fields, Go %q lists."""
    parts = []
    for field, label in (("apiGroups", "APIGroups"), ("resources", "Resources"),
                         ("nonResourceURLs", "NonResourceURLs"), ("resourceNames", "ResourceNames"),
                         ("verbs", "Verbs")):
        if rule.get(field):
            parts.append(f"{label}:{_go_quoted(rule[field])}")
    return "{" + ", ".join(parts) + "}"


class EscalationCheck:
    """Runs in the validating phase of every write to roles and bindings; not an admission plugin upstream (it
    is part of the RBAC storage), so it cannot be disabled."""

    name = "RBACEscalationPrevention"

    def __init__(self, cache: RBACCache, authorizer):
        self.cache = cache
        self.authorizer = authorizer

    def validate(self, attrs: Attributes) -> None:
        if attrs.group != RBAC_GROUP or attrs.operation not in (CREATE, UPDATE) or attrs.subresource:
            return
        user = attrs.user
        if user is None or MASTERS in user.groups:
            return
        obj = attrs.obj or {}
        name = (obj.get("metadata") or {}).get("name", "") or attrs.name
        if attrs.plural in ROLE_RESOURCES:
            if self._allowed(user, "escalate", attrs.plural, attrs.namespace, name):
                return
            self._confirm(attrs, user, list(obj.get("rules") or []))
        elif attrs.plural in BINDING_RESOURCES:
            ref = obj.get("roleRef") or {}
            resource = "clusterroles" if ref.get("kind") == "ClusterRole" else "roles"
            if self._allowed(user, "bind", resource, attrs.namespace, ref.get("name", "")):
                return
            rules, error = self._role_rules(ref, attrs.namespace)
            if error:
                raise forbidden(attrs, error)
            self._confirm(attrs, user, rules)

    def _allowed(self, user, verb: str, resource: str, namespace: str, name: str) -> bool:
        decision, _ = self.authorizer.authorize(AuthzAttributes(
            user=user, verb=verb, is_resource_request=True, api_group=RBAC_GROUP, api_version="v1",
            resource=resource, namespace=namespace, name=name))
        return decision == ALLOW

    def _role_rules(self, ref: dict, namespace: str) -> Tuple[List[dict], str]:
        if ref.get("kind") == "ClusterRole":
            rules = self.cache.cluster_roles.get(ref.get("name", ""))
            return (rules, "") if rules is not None else \
                ([], f'clusterrole.rbac.authorization.k8s.io "{ref.get("name", "")}" not found')
        rules = self.cache.roles.get((namespace, ref.get("name", "")))
        return (rules, "") if rules is not None else \
            ([], f'role.rbac.authorization.k8s.io "{ref.get("name", "")}" not found')

    def _confirm(self, attrs: Attributes, user, requested: List[dict]):
        owner: List[dict] = []
        errors: List[str] = []
        for _, rules, error in self.cache.visit_rules(user, attrs.namespace):
            owner.extend(rules)
            if error:
                errors.append(error)
        missing = missing_rules(owner, requested)
        if not missing:
            return
        described = sorted({compact_string(r) for r in compact(missing)})
        message = (f"user {_go_quoted([user.name])[1:-1]} (groups={_go_quoted(list(user.groups))}) is attempting "
                   "to grant RBAC permissions not currently held:\n" + "\n".join(described))
        if errors:
            message += f"; resolution errors: [{' '.join(errors)}]"
        raise forbidden(attrs, message)
