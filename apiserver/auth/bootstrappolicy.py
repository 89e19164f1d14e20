"""Upstream's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go), restricted to the
resources this server serves, and the post-start hook that reconciles it into storage at every start."""

from __future__ import annotations

from typing import List

from apiserver.endpoints import status
from apiserver.registry.store import Options

MANAGER = Options(field_manager="kube-apiserver")
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate"
BOOTSTRAPPING = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"


def rule(groups: List[str], resources: List[str], verbs: List[str]) -> dict:
    return {"verbs": verbs, "apiGroups": groups, "resources": resources}


def url_rule(urls: List[str], verbs: List[str]) -> dict:
    return {"verbs": verbs, "nonResourceURLs": urls}


def cluster_role(name: str, rules: List[dict], labels=None, aggregate_from: str = "") -> dict:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": dict(BOOTSTRAPPING, **(labels or {})),
                         "annotations": {AUTOUPDATE: "true"}},
            "rules": rules}
    if aggregate_from:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGGREGATE_TO + aggregate_from: "true"}}]}
    return role


def cluster_role_binding(name: str, role: str, groups: List[str]) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": dict(BOOTSTRAPPING), "annotations": {AUTOUPDATE: "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups]}


def cluster_roles() -> List[dict]:
    health = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    return [
        cluster_role("cluster-admin", [rule(["*"], ["*"], ["*"]), url_rule(["*"], ["*"])]),
        cluster_role("system:discovery", [url_rule(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                    "/openapi", "/openapi/*", "/readyz", "/version", "/version/"],
                                                   ["get"])]),
        cluster_role("system:monitoring", [url_rule(["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics",
                                                     "/metrics/slis", "/readyz", "/readyz/*"], ["get"])]),
        cluster_role("system:basic-user", [
            rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
            rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])]),
        cluster_role("system:public-info-viewer", [url_rule(health, ["get"])]),
        cluster_role("system:auth-delegator", [
            rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
            rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"])]),
        cluster_role("admin", [], aggregate_from="admin"),
        cluster_role("edit", [], {AGGREGATE_TO + "admin": "true"}, aggregate_from="edit"),
        cluster_role("view", [], {AGGREGATE_TO + "edit": "true"}, aggregate_from="view"),
        cluster_role("system:aggregate-to-admin", [
            rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
            rule(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], RW)],
            {AGGREGATE_TO + "admin": "true"}),
        cluster_role("system:aggregate-to-edit", [
            rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"],
                 READ),
            rule([""], ["serviceaccounts"], ["impersonate"]),
            rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], WRITE),
            rule([""], ["pods/eviction"], ["create"]),
            rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                        "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"],
                 WRITE),
            rule([""], ["serviceaccounts/token"], ["create"]),
            rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                            "replicasets/scale", "statefulsets", "statefulsets/scale"], WRITE),
            rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
            rule(["batch"], ["cronjobs", "jobs"], WRITE),
            rule(["extensions"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                                  "ingresses", "networkpolicies", "replicasets", "replicasets/scale",
                                  "replicationcontrollers/scale"], WRITE),
            rule(["policy"], ["poddisruptionbudgets"], WRITE),
            rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
            rule(["coordination.k8s.io"], ["leases"], RW)],
            {AGGREGATE_TO + "edit": "true"}),
        cluster_role("system:aggregate-to-view", [
            rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                        "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                        "services/status"], READ),
            rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                        "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], READ),
            rule([""], ["namespaces"], READ),
            rule(["discovery.k8s.io"], ["endpointslices"], READ),
            rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                            "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                            "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"], READ),
            rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
            rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
            rule(["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                  "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                                  "replicasets", "replicasets/scale", "replicasets/status",
                                  "replicationcontrollers/scale"], READ),
            rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
            rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ)],
            {AGGREGATE_TO + "view": "true"}),
    ]


def cluster_role_bindings() -> List[dict]:
    return [
        cluster_role_binding("cluster-admin", "cluster-admin", ["system:masters"]),
        cluster_role_binding("system:discovery", "system:discovery", ["system:authenticated"]),
        cluster_role_binding("system:basic-user", "system:basic-user", ["system:authenticated"]),
        cluster_role_binding("system:public-info-viewer", "system:public-info-viewer",
                             ["system:authenticated", "system:unauthenticated"]),
        cluster_role_binding("system:monitoring", "system:monitoring", ["system:monitoring"]),
    ]


def reconcile(roles_store, bindings_store) -> None:
    """Create what is missing; where autoupdate is on, add missing rules and subjects (never remove: upstream's
    reconciliation only adds, so cluster admins can extend the defaults)."""
    for wanted in cluster_roles():
        _reconcile_one(roles_store, wanted, "rules")
    for wanted in cluster_role_bindings():
        _reconcile_one(bindings_store, wanted, "subjects")


def _reconcile_one(store, wanted: dict, field: str):
    name = wanted["metadata"]["name"]
    try:
        store.create("", wanted, MANAGER)
        return
    except status.StatusError as err:
        if err.code != 409:
            raise

    def add_missing(current: dict) -> dict:
        if (current["metadata"].get("annotations") or {}).get(AUTOUPDATE) == "false":
            return current
        have = list(current.get(field) or [])
        if field == "rules" and current.get("aggregationRule"):
            return current   # the aggregation controller owns an aggregated role's rules
        for item in wanted[field]:
            if item not in have:
                have.append(item)
        current[field] = have
        return current

    store.update_internal("", name, add_missing, MANAGER)

