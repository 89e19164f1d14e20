"""Which writes an admission policy applies to: ``MatchResources`` (resource rules, exclusions, namespace and object
selectors, match policy), as k8s.io/apiserver ``admission/plugin/policy/matching`` and the webhook predicates
(``predicates/rules``, ``predicates/namespace``, ``predicates/object``) decide it."""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from apiserver.admission.interface import Attributes
from apiserver.endpoints import selectors

# (group, version, resource) and (group, version, kind) of the resource a rule matched
GVR = Tuple[str, str, str]
GVK = Tuple[str, str, str]


class MatchError(Exception):
    """The match criteria cannot be applied (a bad selector, a namespace that is gone): a configuration error."""


def _exact_or_wildcard(items, requested: str) -> bool:
    return any(item == "*" or item == requested for item in items or ())


def _scope_matches(scope: Optional[str], resource: GVR, namespace: str) -> bool:
    is_namespace = resource == ("", "v1", "namespaces")
    if scope in (None, "*"):
        return True
    if scope == "Namespaced":
        return not is_namespace and namespace != ""
    if scope == "Cluster":
        return is_namespace or namespace == ""
    return False


def rule_matches(rule: dict, operation: str, resource: GVR, subresource: str, namespace: str) -> bool:
    """``rules.Matcher.Matches``: scope, operation, group, version, then ``resource[/subresource]`` with ``*``."""
    if not _scope_matches(rule.get("scope"), resource, namespace):
        return False
    ops = rule.get("operations") or ()
    if not ("*" in ops or operation in ops):
        return False
    if not _exact_or_wildcard(rule.get("apiGroups"), resource[0]):
        return False
    if not _exact_or_wildcard(rule.get("apiVersions"), resource[1]):
        return False
    for res in rule.get("resources") or ():
        res, _, sub = res.partition("/")
        if (res == "*" or res == resource[2]) and (sub == "*" or sub == subresource):
            return True
    return False


def _named_rule_matches(rule: dict, attrs: Attributes, resource: GVR) -> bool:
    if not rule_matches(rule, attrs.operation, resource, attrs.subresource, attrs.namespace):
        return False
    names = rule.get("resourceNames") or ()
    return not names or attrs.name in names


def _rules_match(rules, match_policy: Optional[str], attrs: Attributes, table) -> Optional[Tuple[GVR, GVK]]:
    """The (resource, kind) a rule matched, trying equivalent resources under ``matchPolicy: Equivalent``."""
    r = attrs.resource
    resource = (r.group, r.version, r.plural)
    for rule in rules or ():
        if isinstance(rule, dict) and _named_rule_matches(rule, attrs, resource):
            return resource, (r.group, r.version, r.kind)
    if match_policy == "Exact" or table is None:
        return None
    # Equivalent: the same resource served at another version (a custom resource with several versions)
    for other in table.resources:
        if other.group != r.group or other.plural != r.plural or other.version == r.version:
            continue
        equivalent = (other.group, other.version, other.plural)
        for rule in rules or ():
            if isinstance(rule, dict) and _named_rule_matches(rule, attrs, equivalent):
                return equivalent, (other.group, other.version, other.kind)
    return None


def _selector(obj, field: str):
    try:
        return selectors.label_selector_from_object(obj if obj is not None else {})
    except (selectors.SelectorError, ValueError) as err:
        raise MatchError(f"{field}: {err}") from None


def _labels(obj: Optional[dict]) -> Optional[dict]:
    if not isinstance(obj, dict):
        return None
    return (obj.get("metadata") or {}).get("labels") or {}


class Criteria:
    """A MatchResources with its selectors parsed once (policies and bindings change rarely, writes often)."""

    __slots__ = ("rules", "exclude", "match_policy", "namespace_selector", "object_selector", "error")

    def __init__(self, match: dict):
        self.rules = match.get("resourceRules")
        self.exclude = match.get("excludeResourceRules")
        self.match_policy = match.get("matchPolicy")
        self.error = ""
        try:
            self.namespace_selector = _selector(match.get("namespaceSelector"), "namespaceSelector")
            self.object_selector = _selector(match.get("objectSelector"), "objectSelector")
        except MatchError as err:
            self.error = str(err)


def matches(criteria: Criteria, attrs: Attributes, namespace_labels: Callable[[str], dict],
            table=None) -> Optional[Tuple[GVR, GVK]]:
    """``matching.Matcher.Matches``: None when ``criteria`` does not select the write, else the matched
    (resource, kind). ``namespace_labels(name)`` gives a namespace's labels (or raises MatchError).
    Unset fields have their API defaults (every namespace, every object, ``matchPolicy: Equivalent``)."""
    if criteria.error:
        raise MatchError(criteria.error)
    match_policy = criteria.match_policy
    if _rules_match(criteria.exclude, match_policy, attrs, table) is not None:
        return None
    if not criteria.rules:
        r = attrs.resource
        matched = (r.group, r.version, r.plural), (r.group, r.version, r.kind)
    else:
        matched = _rules_match(criteria.rules, match_policy, attrs, table)
        if matched is None:
            return None
    object_selector = criteria.object_selector
    if not object_selector.empty:
        new_matches = attrs.obj is not None and object_selector.matches(_labels(attrs.obj))
        old_matches = attrs.old is not None and object_selector.matches(_labels(attrs.old))
        if not (new_matches or old_matches):
            return None
    namespace_selector = criteria.namespace_selector
    is_namespace = attrs.group == "" and attrs.plural == "namespaces"
    if not namespace_selector.empty and (attrs.namespace or is_namespace):
        if is_namespace and not attrs.subresource and attrs.operation in ("CREATE", "UPDATE"):
            labels = _labels(attrs.obj) or {}
        else:
            labels = namespace_labels(attrs.namespace or attrs.name)
        if not namespace_selector.matches(labels):
            return None
    return matched
