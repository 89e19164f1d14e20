"""RBAC authorization (plugin/pkg/auth/authorizer/rbac): Roles, ClusterRoles and their bindings, kept in memory.

The cache lists and watches the four RBAC prefixes of storage and indexes bindings by subject, so a request
looks only at the bindings naming its user or one of its groups: the cost does not grow with the number of
bindings in the cluster. Rule matching follows ``rbac/v1`` helpers word for word (``*``, ``*/subresource``,
resourceNames, nonResourceURLs with a trailing ``*``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

from apiserver import logs
from apiserver.auth.authentication import UserInfo
from apiserver.auth.authorization import ALLOW, NO_OPINION, Attributes
from apiserver.storage import interface as st

ROLES = "/registry/roles/"
ROLE_BINDINGS = "/registry/rolebindings/"
CLUSTER_ROLES = "/registry/clusterroles/"
CLUSTER_ROLE_BINDINGS = "/registry/clusterrolebindings/"
RBAC_GROUP = "rbac.authorization.k8s.io"
log = logs.get_logger(__name__)


def service_account_user(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


# -- rule matching (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go)

def verb_matches(rule: dict, verb: str) -> bool:
    verbs = rule.get("verbs") or ()
    return "*" in verbs or verb in verbs


def api_group_matches(rule: dict, group: str) -> bool:
    groups = rule.get("apiGroups") or ()
    return "*" in groups or group in groups


def resource_matches(rule: dict, combined: str, subresource: str) -> bool:
    for resource in rule.get("resources") or ():
        if resource == "*" or resource == combined:
            return True
        if subresource and len(resource) == len(subresource) + 2 and resource.startswith("*/") \
                and resource.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: dict, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: dict, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url == "*" or url == path or (url.endswith("*") and path.startswith(url[:-1])):
            return True
    return False


def rule_allows(attrs: Attributes, rule: dict) -> bool:
    if attrs.is_resource_request:
        combined = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
        return (verb_matches(rule, attrs.verb) and api_group_matches(rule, attrs.api_group)
                and resource_matches(rule, combined, attrs.subresource) and resource_name_matches(rule, attrs.name))
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


def subject_matches(subject: dict, user: UserInfo, binding_namespace: str) -> bool:
    """appliesToUser: a User by name, a Group by membership, a ServiceAccount by its user name."""
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return bool(namespace) and service_account_user(namespace, name) == user.name
    return False


@dataclass(frozen=True)
class Binding:
    namespace: str      # "" for a ClusterRoleBinding
    name: str
    role_kind: str      # Role or ClusterRole
    role_name: str
    subjects: Tuple[dict, ...]

    def describe(self, user: UserInfo) -> str:
        """Upstream's binding describers, for the reason of an allowed request."""
        subject = next((s for s in self.subjects if subject_matches(s, user, self.namespace)), {})
        kind, name = subject.get("kind", ""), subject.get("name", "")
        if kind == "ServiceAccount":
            name = f"{name}/{subject.get('namespace') or self.namespace}"
        if self.namespace:
            return (f'RoleBinding "{self.name}/{self.namespace}" of {self.role_kind} "{self.role_name}" to '
                    f'{kind} "{name}"')
        return f'ClusterRoleBinding "{self.name}" of {self.role_kind} "{self.role_name}" to {kind} "{name}"'


def _subject_keys(subject: dict, binding_namespace: str) -> List[Tuple[str, str]]:
    """The index keys a subject is found under: ("user", name) or ("group", name)."""
    kind, name = subject.get("kind"), subject.get("name") or ""
    if kind == "User":
        return [("user", name)]
    if kind == "Group":
        return [("group", name)]
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return [("user", service_account_user(namespace, name))] if namespace else []
    return []


class RBACCache:
    """The RBAC objects of storage, indexed; four informer threads keep it current."""

    def __init__(self, storage: st.Store):
        self.storage = storage
        self._lock = threading.Lock()
        self.roles: Dict[Tuple[str, str], List[dict]] = {}        # (namespace, name) -> rules
        self.cluster_roles: Dict[str, List[dict]] = {}           # name -> rules
        self._bindings: Dict[str, Binding] = {}                  # storage key -> binding
        # (namespace, kind, name) -> {key: Binding}; namespace "" holds the ClusterRoleBindings
        self._by_subject: Dict[Tuple[str, str, str], Dict[str, Binding]] = {}
        self.generation = 0
        self._stop = threading.Event()
        self._fresh = threading.Condition()
        self._seen: Dict[str, int] = {}                          # prefix -> revision the cache has caught up to
        self._watchers: Dict[str, st.Watcher] = {}
        self._synced = {prefix: threading.Event() for prefix in (ROLES, ROLE_BINDINGS, CLUSTER_ROLES,
                                                                 CLUSTER_ROLE_BINDINGS)}
        self._threads: List[threading.Thread] = []

    def start(self):
        for prefix in self._synced:
            thread = threading.Thread(target=self._run, args=(prefix,), daemon=True,
                                      name="rbac-" + prefix.split("/")[2])
            thread.start()
            self._threads.append(thread)

    def _run(self, prefix: str):
        """List, then watch, one prefix; relist when the watch breaks. Records how far it has seen."""
        while not self._stop.is_set():
            watcher = None
            try:
                page = self.storage.list(prefix)
                listed = {kv.key for kv in page.items}
                with self._lock:
                    for key in [k for k in self._keys(prefix) if k not in listed]:
                        self._apply(key, None)
                    for kv in page.items:
                        self._apply(kv.key, json.loads(kv.value))
                watcher = self.storage.watch(prefix, page.revision)
                with self._fresh:
                    self._watchers[prefix] = watcher
                    self._seen[prefix] = page.revision
                    self._fresh.notify_all()
                self._synced[prefix].set()
                while not self._stop.is_set():
                    event = watcher.next(1.0)
                    if event is None:
                        continue
                    if event.type != st.PROGRESS:
                        with self._lock:
                            self._apply(event.key, None if event.type == st.DELETED else json.loads(event.value))
                    with self._fresh:
                        self._seen[prefix] = max(self._seen.get(prefix, 0), event.revision)
                        self._fresh.notify_all()
            except (st.StorageError, ValueError) as err:
                log.info("rbac cache relisting", prefix=prefix, error=str(err))
                self._stop.wait(0.5)
            finally:
                with self._fresh:
                    self._watchers.pop(prefix, None)
                if watcher is not None:
                    watcher.stop()

    def _keys(self, prefix: str) -> List[str]:
        if prefix == CLUSTER_ROLES:
            return [CLUSTER_ROLES + name for name in self.cluster_roles]
        if prefix == ROLES:
            return [f"{ROLES}{ns}/{name}" for ns, name in self.roles]
        return [key for key in self._bindings if key.startswith(prefix)]

    def catch_up(self, timeout: float = 1.0) -> bool:
        """Wait until every RBAC write committed so far is in the cache (read-your-writes for a denied request:
        a client that just created a binding is not refused because the cache lagged a few milliseconds)."""
        target = self.storage.current_revision()
        deadline = time.monotonic() + timeout
        with self._fresh:
            if all(self._seen.get(p, 0) >= target for p in self._synced):
                return True
            while not all(self._seen.get(p, 0) >= target for p in self._synced):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # asked again while waiting: an answer can come from before a write by another replica
                for watcher in self._watchers.values():
                    watcher.request_progress()
                self._fresh.wait(min(left, 0.1))
        return True

    def wait_synced(self, timeout: float) -> bool:
        return all(event.wait(timeout) for event in self._synced.values())

    def close(self):
        self._stop.set()
        with self._fresh:
            watchers = list(self._watchers.values())
        for watcher in watchers:   # wakes threads waiting for an event, so they see the stop now
            watcher.stop()
        for thread in self._threads:
            thread.join(5)

    # -- updates from storage

    def _apply(self, key: str, obj: Optional[dict]):
        self.generation += 1   # cached decisions made before this change no longer count
        if key.startswith(CLUSTER_ROLES):
            name = key[len(CLUSTER_ROLES):]
            if obj is None:
                self.cluster_roles.pop(name, None)
            else:
                self.cluster_roles[name] = _rules(obj)
        elif key.startswith(ROLES):
            namespace, _, name = key[len(ROLES):].partition("/")
            if obj is None:
                self.roles.pop((namespace, name), None)
            else:
                self.roles[(namespace, name)] = _rules(obj)
        else:
            self._index_binding(key, obj)

    def _index_binding(self, key: str, obj: Optional[dict]):
        old = self._bindings.pop(key, None)
        if old is not None:
            for subject in old.subjects:
                for kind, name in _subject_keys(subject, old.namespace):
                    self._by_subject.get((old.namespace, kind, name), {}).pop(key, None)
        if obj is None:
            return
        md = obj.get("metadata") or {}
        ref = obj.get("roleRef") or {}
        subjects = tuple(s for s in obj.get("subjects") or () if isinstance(s, dict))
        binding = Binding(md.get("namespace", "") if key.startswith(ROLE_BINDINGS) else "", md.get("name", ""),
                          ref.get("kind", ""), ref.get("name", ""), subjects)
        self._bindings[key] = binding
        for subject in subjects:
            for kind, name in _subject_keys(subject, binding.namespace):
                self._by_subject.setdefault((binding.namespace, kind, name), {})[key] = binding

    # -- queries

    def bindings_for(self, user: UserInfo, namespace: str) -> List[Binding]:
        """ClusterRoleBindings, then RoleBindings of ``namespace``, that may name this user (then checked)."""
        keys = [("user", user.name)] + [("group", g) for g in user.groups]
        found: Dict[str, Binding] = {}
        scopes = ("", namespace) if namespace else ("",)
        for scope in scopes:
            for kind, name in keys:
                found.update(self._by_subject.get((scope, kind, name), {}))
        # the index keys come from the subjects themselves, so every binding found names this user or a group
        return [b for b in found.values() if not b.namespace] + [b for b in found.values() if b.namespace]

    def rules_of(self, binding: Binding) -> Tuple[Optional[List[dict]], str]:
        """The rules a binding grants, or (None, error) when its role does not exist."""
        if binding.role_kind == "ClusterRole":
            rules = self.cluster_roles.get(binding.role_name)
            if rules is None:
                return None, f'clusterrole.rbac.authorization.k8s.io "{binding.role_name}" not found'
            return rules, ""
        if binding.role_kind == "Role" and binding.namespace:
            rules = self.roles.get((binding.namespace, binding.role_name))
            if rules is None:
                return None, f'role.rbac.authorization.k8s.io "{binding.role_name}" not found'
            return rules, ""
        return None, f"unsupported role reference kind: {binding.role_kind!r}"

    def visit_rules(self, user: UserInfo, namespace: str) -> Iterator[Tuple[Optional[Binding], List[dict], str]]:
        """(binding, rules, error) for every binding that applies to the user in ``namespace``."""
        for binding in self.bindings_for(user, namespace):
            rules, error = self.rules_of(binding)
            yield binding, rules or [], error


def _rules(obj: dict) -> List[dict]:
    return [r for r in obj.get("rules") or () if isinstance(r, dict)]


class RBACAuthorizer:
    """Allow when a rule of a bound role allows; otherwise no opinion, with the lookup errors as the reason."""

    MAX_CACHED = 10000

    def __init__(self, cache: RBACCache):
        self.cache = cache
        # Allowed requests, remembered until any RBAC object changes: a client repeating the same request (the
        # common case) costs one lookup. Denials are never cached, so a new binding counts at once.
        self._allowed: Dict[Attributes, Tuple[int, str]] = {}

    def authorize(self, attrs: Attributes, fresh: bool = False) -> Tuple[str, str]:
        generation = self.cache.generation
        hit = self._allowed.get(attrs)
        if hit is not None and hit[0] == generation:
            return ALLOW, hit[1]
        decision, reason = self._decide(attrs, fresh)
        if decision == ALLOW:
            if len(self._allowed) >= self.MAX_CACHED:
                self._allowed = {}
            self._allowed[attrs] = (generation, reason)
        return decision, reason

    def _decide(self, attrs: Attributes, fresh: bool) -> Tuple[str, str]:
        errors: List[str] = []
        for binding, rules, error in self.cache.visit_rules(attrs.user, attrs.namespace):
            if error:
                errors.append(error)
            for rule in rules:
                if rule_allows(attrs, rule):
                    return ALLOW, "RBAC: allowed by " + binding.describe(attrs.user)
        if not fresh and self.cache.catch_up():
            return self._decide(attrs, fresh=True)
        if not errors:
            return NO_OPINION, ""
        return NO_OPINION, "RBAC: " + (errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")

    def rules_for(self, user: UserInfo, namespace: str) -> Tuple[List[dict], List[dict], List[str]]:
        """(resource rules, non-resource rules, errors) the user holds in ``namespace`` (SelfSubjectRulesReview)."""
        resource_rules: List[dict] = []
        non_resource: List[dict] = []
        errors: List[str] = []
        for _, rules, error in self.cache.visit_rules(user, namespace):
            if error:
                errors.append(error)
            for rule in rules:
                if rule.get("nonResourceURLs"):
                    non_resource.append({"verbs": list(rule.get("verbs") or []),
                                         "nonResourceURLs": list(rule["nonResourceURLs"])})
                else:
                    out = {"verbs": list(rule.get("verbs") or []), "apiGroups": list(rule.get("apiGroups") or []),
                           "resources": list(rule.get("resources") or [])}
                    if rule.get("resourceNames"):
                        out["resourceNames"] = list(rule["resourceNames"])
                    resource_rules.append(out)
        return resource_rules, non_resource, errors
