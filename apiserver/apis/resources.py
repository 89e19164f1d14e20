"""The built-in resources, declared as data: names, scope, verbs, subresources, storage keys, field selectors.

Nothing in the handlers is special-cased per type: each resource is a ``ResourceDef``; behaviour that differs
per type (defaults on create, what counts as spec or status) is a named strategy hook in ``registry.strategy``.
Storage keys follow kube-apiserver's etcd layout (``/registry/<prefix>/<namespace>/<name>``), so the etcd
backend later stores objects exactly where upstream does.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAME_SUBDOMAIN, NAME_LABEL, NAME_PATH_SEGMENT = "subdomain", "label", "path-segment"
BASE_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class ScaleSpec:
    """Where a /scale subresource reads and writes replicas (JSON paths as key tuples)."""

    spec_replicas: Tuple[str, ...] = ("spec", "replicas")
    status_replicas: Tuple[str, ...] = ("status", "replicas")
    selector: Optional[Tuple[str, ...]] = ("spec", "selector")     # a LabelSelector object
    selector_is_map: bool = False                                    # ReplicationController: a plain map


@dataclass(frozen=True)
class ResourceDef:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()
    verbs: Tuple[str, ...] = ALL_VERBS
    storage_prefix: str = ""                  # under /registry; default <group>/<plural> as upstream does
    status: bool = False                      # has a /status subresource (spec and status written apart)
    scale: Optional[ScaleSpec] = None
    generation: bool = False                  # metadata.generation counts spec changes
    name_rule: str = NAME_SUBDOMAIN
    field_selectors: Tuple[str, ...] = ()     # besides metadata.name and metadata.namespace
    strategy: str = ""                        # named hooks in registry.strategy
    extra_subresources: Tuple[str, ...] = ()  # e.g. serviceaccounts/token, namespaces/finalize
    storage_kind: str = ""                    # another version's kind stores this one (events.k8s.io → v1)
    custom: bool = False                      # served from a CustomResourceDefinition
    list_kind_name: str = ""                  # when not <Kind>List (custom resources name their own)
    virtual: bool = False                     # create-only, nothing stored: a registered handler answers
    info: Any = field(default=None, compare=False, hash=False)   # custom resources: schema, columns, ...

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return self.list_kind_name or self.kind + "List"

    @property
    def group_resource(self) -> str:
        """``deployments.apps``, or ``pods`` for the core group: how upstream names a resource in errors."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key_prefix(self) -> str:
        prefix = self.storage_prefix or (f"{self.group}/{self.plural}" if self.group else self.plural)
        return f"/registry/{prefix}/"

    def key(self, namespace: str, name: str) -> str:
        return f"{self.key_prefix}{namespace}/{name}" if self.namespaced else f"{self.key_prefix}{name}"

    def list_prefix(self, namespace: str) -> str:
        return f"{self.key_prefix}{namespace}/" if self.namespaced and namespace else self.key_prefix

    @property
    def subresources(self) -> Tuple[str, ...]:
        subs = (("status",) if self.status else ()) + (("scale",) if self.scale else ())
        return subs + self.extra_subresources

    @property
    def all_field_selectors(self) -> Tuple[str, ...]:
        return BASE_FIELDS + self.field_selectors

    @property
    def storage_version_hash(self) -> str:
        """discovery's storageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64."""
        digest = hashlib.sha256(f"{self.group}/{self.version}/{self.kind}".encode()).digest()
        return base64.b64encode(digest[:8]).decode()


def _r(group, version, kind, plural, namespaced=True, **kw) -> ResourceDef:
    singular = kw.pop("singular", kind.lower())
    return ResourceDef(group, version, kind, plural, singular, namespaced, **kw)


_WORKLOAD = ("all",)
_REPLICAS = ScaleSpec()

BUILTIN: List[ResourceDef] = [
    # core/v1
    _r("", "v1", "Namespace", "namespaces", False, short_names=("ns",), status=True, name_rule=NAME_LABEL,
       field_selectors=("status.phase",), strategy="namespace", extra_subresources=("finalize",)),
    _r("", "v1", "ConfigMap", "configmaps", short_names=("cm",), strategy="immutable-data"),
    _r("", "v1", "Secret", "secrets", field_selectors=("type",), strategy="secret"),
    _r("", "v1", "Service", "services", short_names=("svc",), categories=_WORKLOAD, status=True,
       storage_prefix="services/specs", name_rule=NAME_LABEL, strategy="service"),
    _r("", "v1", "Endpoints", "endpoints", short_names=("ep",), storage_prefix="services/endpoints",
       singular="endpoints"),
    _r("", "v1", "Pod", "pods", short_names=("po",), categories=_WORKLOAD, status=True, strategy="pod",
       field_selectors=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")),
    _r("", "v1", "PodTemplate", "podtemplates"),
    _r("", "v1", "ReplicationController", "replicationcontrollers", short_names=("rc",), categories=_WORKLOAD,
       status=True, storage_prefix="controllers", generation=True, field_selectors=("status.replicas",),
       scale=ScaleSpec(selector=("spec", "selector"), selector_is_map=True)),
    _r("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",), extra_subresources=("token",)),
    _r("", "v1", "Event", "events", short_names=("ev",), strategy="event",
       field_selectors=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")),
    _r("", "v1", "Node", "nodes", False, short_names=("no",), status=True, storage_prefix="minions",
       field_selectors=("spec.unschedulable",)),
    _r("", "v1", "PersistentVolume", "persistentvolumes", False, short_names=("pv",), status=True),
    _r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short_names=("pvc",), status=True),
    _r("", "v1", "LimitRange", "limitranges", short_names=("limits",)),
    _r("", "v1", "ResourceQuota", "resourcequotas", short_names=("quota",), status=True),
    # apps/v1
    _r("apps", "v1", "Deployment", "deployments", short_names=("deploy",), categories=_WORKLOAD, status=True,
       scale=_REPLICAS, generation=True, storage_prefix="deployments"),
    _r("apps", "v1", "ReplicaSet", "replicasets", short_names=("rs",), categories=_WORKLOAD, status=True,
       scale=_REPLICAS, generation=True, storage_prefix="replicasets"),
    _r("apps", "v1", "StatefulSet", "statefulsets", short_names=("sts",), categories=_WORKLOAD, status=True,
       scale=_REPLICAS, generation=True, storage_prefix="statefulsets"),
    _r("apps", "v1", "DaemonSet", "daemonsets", short_names=("ds",), categories=_WORKLOAD, status=True,
       generation=True, storage_prefix="daemonsets"),
    _r("apps", "v1", "ControllerRevision", "controllerrevisions", storage_prefix="controllerrevisions"),
    # batch/v1, autoscaling/v2
    _r("batch", "v1", "Job", "jobs", categories=_WORKLOAD, status=True, generation=True, storage_prefix="jobs",
       field_selectors=("status.successful",), strategy="job"),
    _r("batch", "v1", "CronJob", "cronjobs", short_names=("cj",), categories=_WORKLOAD, status=True,
       generation=True, storage_prefix="cronjobs"),
    _r("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short_names=("hpa",),
       categories=_WORKLOAD, status=True, generation=True, storage_prefix="horizontalpodautoscalers"),
    # coordination, events, discovery
    _r("coordination.k8s.io", "v1", "Lease", "leases", storage_prefix="leases"),
    _r("events.k8s.io", "v1", "Event", "events", short_names=("ev",), storage_prefix="events",
       storage_kind="v1/Event", strategy="event",
       field_selectors=("regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                        "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath", "reason",
                        "reportingController", "type")),
    _r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", storage_prefix="endpointslices"),
    # networking, policy
    _r("networking.k8s.io", "v1", "Ingress", "ingresses", short_names=("ing",), status=True, generation=True,
       storage_prefix="ingress"),
    _r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, storage_prefix="ingressclasses"),
    _r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short_names=("netpol",), generation=True,
       storage_prefix="networkpolicies"),
    _r("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short_names=("pdb",), status=True,
       generation=True, storage_prefix="poddisruptionbudgets"),
    # rbac (stored now, enforced later)
    _r("rbac.authorization.k8s.io", "v1", "Role", "roles", storage_prefix="roles", name_rule=NAME_PATH_SEGMENT),
    _r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", storage_prefix="rolebindings",
       name_rule=NAME_PATH_SEGMENT),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, storage_prefix="clusterroles",
       name_rule=NAME_PATH_SEGMENT),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False,
       storage_prefix="clusterrolebindings", name_rule=NAME_PATH_SEGMENT),
    # authentication and authorization: reviews are asked, never stored
    _r("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False, verbs=("create",), virtual=True),
    _r("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=("create",),
       virtual=True),
    _r("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", verbs=("create",),
       virtual=True),
    _r("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False,
       verbs=("create",), virtual=True),
    _r("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False,
       verbs=("create",), virtual=True),
    _r("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False, verbs=("create",),
       virtual=True),
    # admissionregistration: webhooks and admission policies
    _r("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations",
       False, categories=("api-extensions",), storage_prefix="mutatingwebhookconfigurations"),
    _r("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations",
       False, categories=("api-extensions",), storage_prefix="validatingwebhookconfigurations"),
    _r("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", False,
       categories=("api-extensions",), status=True, generation=True,
       storage_prefix="validatingadmissionpolicies"),
    _r("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding",
       "validatingadmissionpolicybindings", False, categories=("api-extensions",),
       storage_prefix="validatingadmissionpolicybindings"),
    # apiextensions (the apiextensions-apiserver's; its custom resources are added at run time)
    _r("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
       short_names=("crd", "crds"), categories=("api-extensions",), status=True,
       storage_prefix="apiextensions.k8s.io/customresourcedefinitions", strategy="crd"),
    # storage, scheduling
    _r("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, short_names=("sc",),
       storage_prefix="storageclasses"),
    _r("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, short_names=("pc",),
       storage_prefix="priorityclasses"),
]

# The preferred (and only) version of each built-in group, in upstream's discovery order.
GROUP_ORDER = ["", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling",
               "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
               "admissionregistration.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
               "scheduling.k8s.io"]


@dataclass
class ResourceTable:
    """Every served resource, looked up by group/version/plural or by group/kind."""

    resources: List[ResourceDef] = field(default_factory=list)
    generation: int = 0   # bumped on every change, so caches (OpenAPI, discovery) know to rebuild
    _by_path: Dict[Tuple[str, str, str], ResourceDef] = field(default_factory=dict)
    _by_kind: Dict[Tuple[str, str, str], ResourceDef] = field(default_factory=dict)

    def add(self, resource: ResourceDef):
        """Add or replace a resource. Lists are replaced, never changed in place: readers iterate without locks."""
        key = (resource.group, resource.version, resource.plural)
        old = self._by_path.get(key)
        self.resources = [r for r in self.resources if r is not old] + [resource]
        self._by_path[key] = resource
        self._by_kind[(resource.group, resource.version, resource.kind)] = resource
        self.generation += 1

    def remove(self, group: str, version: str, plural: str):
        resource = self._by_path.pop((group, version, plural), None)
        if resource is not None:
            self.resources = [r for r in self.resources if r is not resource]
            if self._by_kind.get((group, version, resource.kind)) is resource:
                self._by_kind.pop((group, version, resource.kind), None)
            self.generation += 1

    def lookup(self, group: str, version: str, plural: str) -> Optional[ResourceDef]:
        return self._by_path.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> Optional[ResourceDef]:
        return self._by_kind.get((group, version, kind))

    def group_versions(self) -> Dict[str, List[str]]:
        versions: Dict[str, List[str]] = {}
        for r in self.resources:
            listed = versions.setdefault(r.group, [])
            if r.version not in listed:
                listed.append(r.version)
        return versions


def builtin_table() -> ResourceTable:
    table = ResourceTable()
    for resource in BUILTIN:
        table.add(resource)
    return table
