"""Server-side table printers: the cells ``kubectl get`` shows.

kubectl asks for ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and prints the server's
``meta.k8s.io/v1`` Table: column definitions plus one row of cells per object. This module is a port of
upstream's printers (k8s.io/kubernetes ``pkg/printers/internalversion/printers.go``, ``AddHandlers`` and each
``printX`` function, Kubernetes 1.32) to plain functions over JSON-shaped objects, i.e. the objects as the API
serves them (``{"apiVersion": "v1", "kind": "Pod", "metadata": {...}, "spec": {...}, "status": {...}}``).

Upstream's printers work on internal types, converted from the served version; the few conversions that change
what is printed are done here on the JSON (``status.podIP``/``podIPs``, ``spec.clusterIP``/``clusterIPs``,
``events.k8s.io/v1`` Events, ``autoscaling/v1`` HorizontalPodAutoscalers).

The API server always asks its printers for the wide output (``printers.GenerateOptions{Wide: true}`` in
``pkg/printers/storage``) and lets kubectl drop the ``priority`` > 0 columns, so by default every column has a
cell. ``wide=False`` gives upstream's narrow output (as ``printers_test.go`` checks it).

Kinds without a printer get upstream's default table: ``rest.NewDefaultTableConvertor`` (``Name`` and a
``Created At`` date in RFC 3339) for built-in groups (Role, ClusterRole, LimitRange, CSIStorageCapacity,
CustomResourceDefinition, ...), and the apiextensions default (``Name`` and an ``Age`` date column) for any
other group, i.e. custom resources without additional printer columns.

Everything here is a pure function of its arguments; the tables are constants.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "default_table_columns",
    "format_label_selector",
    "format_labels",
    "has_printer",
    "human_duration",
    "row_conditions",
    "table_cells",
    "table_columns",
    "translate_timestamp_since",
]

_Col = Tuple[str, str, str, str, int]

_NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended for "
    "creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It "
    "is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

# (name, type, format, description, priority), in upstream's order (AddHandlers, Kubernetes 1.32).
_COLUMN_DEF_TABLE: Dict[str, Tuple[_Col, ...]] = {
    "Pod": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0),
        ("Status", "string", "", "The aggregate status of the containers in this pod.", 0),
        (
            "Restarts",
            "string",
            "",
            (
                "The number of times the containers in this pod have been restarted and when the last container in "
                "this pod has restarted."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "IP",
            "string",
            "",
            ("podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            1,
        ),
        (
            "Node",
            "string",
            "",
            (
                "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
                "scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for "
                "this node becomes responsible for the lifecycle of this pod. This field should not be used to "
                "express a desire for the pod to be scheduled on a specific node. "
                "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
            ),
            1,
        ),
        (
            "Nominated Node",
            "string",
            "",
            (
                "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
                "scheduled right away as preemption victims receive their graceful termination periods. This field "
                "does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the "
                "pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the "
                "resources on this node to a higher priority pod that is created after preemption. As a result, "
                "this field may be different than PodSpec.nodeName when the pod is scheduled."
            ),
            1,
        ),
        (
            "Readiness Gates",
            "string",
            "",
            (
                "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all "
                "its containers are ready AND all conditions specified in the readiness gates have status equal to "
                '"True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates'
            ),
            1,
        ),
    ),
    "PodTemplate": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 0),
        ("Images", "string", "", "Images referenced by each container in the template.", 0),
        ("Pod Labels", "string", "", "The labels for the pod template.", 0),
    ),
    "PodDisruptionBudget": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Min Available", "string", "", "The minimum number of pods that must be available.", 0),
        ("Max Unavailable", "string", "", "The maximum number of pods that may be unavailable.", 0),
        ("Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ReplicationController": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Desired",
            "integer",
            "",
            (
                "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit "
                "zero and unspecified. Defaults to 1. More info: "
                "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replic"
                "ationcontroller"
            ),
            0,
        ),
        (
            "Current",
            "integer",
            "",
            (
                "Replicas is the most recently observed number of replicas. More info: "
                "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replic"
                "ationcontroller"
            ),
            0,
        ),
        ("Ready", "integer", "", "The number of ready replicas for this replication controller.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "Selector is a label query over pods that should match the Replicas count. If Selector is empty, "
                "it is defaulted to the labels present on the Pod template. Label keys and values that must match "
                "in order to be controlled by this replication controller, if empty defaulted to labels on Pod "
                "template. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
            ),
            1,
        ),
    ),
    "ReplicaSet": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Desired",
            "integer",
            "",
            (
                "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit "
                "zero and unspecified. Defaults to 1. More info: "
                "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-repli"
                "cationcontroller"
            ),
            0,
        ),
        (
            "Current",
            "integer",
            "",
            (
                "Replicas is the most recently observed number of replicas. More info: "
                "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-repli"
                "cationcontroller"
            ),
            0,
        ),
        ("Ready", "integer", "", "The number of ready replicas for this replica set.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "Selector is a label query over pods that should match the replica count. If the selector is "
                "empty, it is defaulted to the labels present on the pod template. Label keys and values that must "
                "match in order to be controlled by this replica set. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
            ),
            1,
        ),
    ),
    "DaemonSet": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Desired",
            "integer",
            "",
            (
                "The total number of nodes that should be running the daemon pod (including nodes correctly "
                "running the daemon pod). More info: "
                "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
            ),
            0,
        ),
        (
            "Current",
            "integer",
            "",
            (
                "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon "
                "pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
            ),
            0,
        ),
        (
            "Ready",
            "integer",
            "",
            (
                "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
                "running and ready."
            ),
            0,
        ),
        ("Up-to-date", "integer", "", "The total number of nodes that are running updated daemon pod", 0),
        (
            "Available",
            "integer",
            "",
            (
                "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
                "running and available (ready for at least spec.minReadySeconds)"
            ),
            0,
        ),
        (
            "Node Selector",
            "string",
            "",
            (
                "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must "
                "match a node's labels for the pod to be scheduled on that node. More info: "
                "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "A label query over pods that are managed by the daemon set. Must match in order to be controlled. "
                "If empty, defaulted to labels on Pod template. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
            ),
            1,
        ),
    ),
    "Job": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Status", "string", "", "Status of the job.", 0),
        (
            "Completions",
            "string",
            "",
            (
                "The number of pods which reached phase Succeeded. The value increases monotonically for a given "
                "spec. However, it may decrease in reaction to scale down of elastic indexed jobs."
            ),
            0,
        ),
        ("Duration", "string", "", "Time required to complete the job.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "A label query over pods that should match the pod count. Normally, the system sets this field for "
                "you. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
            ),
            1,
        ),
    ),
    "CronJob": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Schedule", "string", "", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.", 0),
        (
            "Timezone",
            "string",
            "",
            (
                "The time zone name for the given schedule, see "
                "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default "
                "to the time zone of the kube-controller-manager process. The set of valid time zone names and the "
                "time zone offset is loaded from the system-wide time zone database by the API server during "
                "CronJob validation and the controller manager during execution. If no system-wide time zone "
                "database can be found a bundled version of the database is used instead. If the time zone name "
                "becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the "
                "controller will stop creating new new Jobs and will create a system event with the reason "
                "UnknownTimeZone. More information can be found in "
                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"
            ),
            0,
        ),
        (
            "Suspend",
            "boolean",
            "",
            (
                "This flag tells the controller to suspend subsequent executions, it does not apply to already "
                "started executions.  Defaults to false."
            ),
            0,
        ),
        ("Active", "integer", "", "A list of pointers to currently running jobs.", 0),
        (
            "Last Schedule",
            "string",
            "",
            "Information when was the last time the job was successfully scheduled.",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "A label query over pods that should match the pod count. Normally, the system sets this field for "
                "you. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
            ),
            1,
        ),
    ),
    "Service": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Type",
            "string",
            "",
            (
                "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are "
                'ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal '
                "IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that "
                "is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If "
                'clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of '
                'endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on '
                'every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on '
                "NodePort and creates an external load-balancer (if supported in the current cloud) which routes "
                'to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified '
                "externalName. Several other fields do not apply to ExternalName services. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
            ),
            0,
        ),
        (
            "Cluster-IP",
            "string",
            "",
            (
                "clusterIP is the IP address of the service and is usually assigned randomly. If an address is "
                "specified manually, is in-range (as per system configuration), and is not in use, it will be "
                "allocated to the service; otherwise creation of the service will fail. This field may not be "
                "changed through updates unless the type field is also being changed to ExternalName (which "
                "requires this field to be blank) or the type field is being changed from ExternalName (in which "
                'case this field may optionally be specified, as describe above).  Valid values are "None", '
                'empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" '
                "(no virtual IP), which is useful when direct endpoint connections are preferred and proxying is "
                "not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is "
                "specified when creating a Service of type ExternalName, creation will fail. This field will be "
                "wiped when updating a Service to type ExternalName. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
            ),
            0,
        ),
        (
            "External-IP",
            "string",
            "",
            (
                "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for "
                "this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring "
                "that traffic arrives at a node with this IP.  A common example is external load-balancers that "
                "are not part of the Kubernetes system."
            ),
            0,
        ),
        (
            "Port(s)",
            "string",
            "",
            (
                "The list of ports that are exposed by this service. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "Selector",
            "string",
            "",
            (
                "Route service traffic to pods with label keys and values matching this selector. If empty or not "
                "present, the service is assumed to have an external process managing its endpoints, which "
                "Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored "
                "if type is ExternalName. More info: "
                "https://kubernetes.io/docs/concepts/services-networking/service/"
            ),
            1,
        ),
    ),
    "Ingress": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Class",
            "string",
            "",
            "The name of the IngressClass resource that should be used for additional configuration",
            0,
        ),
        ("Hosts", "string", "", "Hosts that incoming requests are matched against before the ingress rule", 0),
        ("Address", "string", "", "Address is a list containing ingress points for the load-balancer", 0),
        ("Ports", "string", "", "Ports of TLS configurations that open", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "IngressClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Controller", "string", "", "Controller that is responsible for handling this class", 0),
        ("Parameters", "string", "", "A reference to a resource with additional parameters", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "StatefulSet": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Ready", "string", "", "Number of the pod with ready state", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
    ),
    "Endpoints": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Endpoints",
            "string",
            "",
            (
                "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according "
                "to the IPs they share. A single address with multiple ports, some of which are ready and some of "
                "which are not (because they come from different containers) will result in the address being "
                "displayed in different subsets for the different ports. No address will appear in both Addresses "
                "and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "Node": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Status", "string", "", "The status of the node", 0),
        ("Roles", "string", "", "The roles of the node", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Version", "string", "", "Kubelet Version reported by the node.", 0),
        (
            "Internal-IP",
            "string",
            "",
            (
                "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
                "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as "
                "mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it "
                "is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for "
                "an example. Consumers should assume that addresses can change during the lifetime of a Node. "
                "However, there are some exceptions where this may not be possible, such as Pods that inherit a "
                "Node's address in its own status or consumers of the downward API (status.hostIP)."
            ),
            1,
        ),
        (
            "External-IP",
            "string",
            "",
            (
                "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
                "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as "
                "mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it "
                "is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for "
                "an example. Consumers should assume that addresses can change during the lifetime of a Node. "
                "However, there are some exceptions where this may not be possible, such as Pods that inherit a "
                "Node's address in its own status or consumers of the downward API (status.hostIP)."
            ),
            1,
        ),
        (
            "OS-Image",
            "string",
            "",
            "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
            1,
        ),
        (
            "Kernel-Version",
            "string",
            "",
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            1,
        ),
        (
            "Container-Runtime",
            "string",
            "",
            "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
            1,
        ),
    ),
    "Event": (
        ("Last Seen", "string", "", "The time at which the most recent occurrence of this event was recorded.", 0),
        ("Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future", 0),
        (
            "Reason",
            "string",
            "",
            (
                "This should be a short, machine understandable string that gives the reason for the transition "
                "into the object's current status."
            ),
            0,
        ),
        ("Object", "string", "", "The object that this event is about.", 0),
        (
            "Subobject",
            "string",
            "",
            (
                "If referring to a piece of an object instead of an entire object, this string should contain a "
                "valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, "
                "if the object reference is to a container within a pod, this would take on a value like: "
                '"spec.containers{name}" (where "name" refers to the name of the container that triggered the '
                'event) or if no container name is specified "spec.containers[2]" (container with index 2 in '
                "this pod). This syntax is chosen only to have some well-defined way of referencing a part of an "
                "object."
            ),
            1,
        ),
        (
            "Source",
            "string",
            "",
            "The component reporting this event. Should be a short machine understandable string.",
            1,
        ),
        ("Message", "string", "", "A human-readable description of the status of this operation.", 0),
        (
            "First Seen",
            "string",
            "",
            "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
            1,
        ),
        ("Count", "string", "", "The number of times this event has occurred.", 1),
        ("Name", "string", "name", _NAME_DESC, 1),
    ),
    "Namespace": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Status", "string", "", "The status of the namespace", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "Secret": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Type",
            "string",
            "",
            (
                "Used to facilitate programmatic handling of secret data. More info: "
                "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
            ),
            0,
        ),
        (
            "Data",
            "string",
            "",
            (
                "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. "
                "The serialized form of the secret data is a base64 encoded string, representing the arbitrary "
                "(possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ServiceAccount": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Secrets",
            "string",
            "",
            (
                "Secrets is a list of the secrets in the same namespace that pods running using this "
                "ServiceAccount are allowed to use. Pods are only limited to this list if this service account has "
                'a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The '
                '"kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate '
                "namespaces to isolate access to mounted secrets. This field should not be used to find "
                "auto-generated service account token secrets for use outside of pods. Instead, tokens can be "
                "requested directly using the TokenRequest API, or service account token secrets can be manually "
                "created. More info: https://kubernetes.io/docs/concepts/configuration/secret"
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "PersistentVolume": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Capacity",
            "string",
            "",
            (
                "capacity is the description of the persistent volume's resources and capacity. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"
            ),
            0,
        ),
        (
            "Access Modes",
            "string",
            "",
            (
                "accessModes contains all ways the volume can be mounted. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
            ),
            0,
        ),
        (
            "Reclaim Policy",
            "string",
            "",
            (
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its "
                "claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default "
                "for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be "
                "supported by the volume plugin underlying this PersistentVolume. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"
            ),
            0,
        ),
        (
            "Status",
            "string",
            "",
            (
                "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"
            ),
            0,
        ),
        (
            "Claim",
            "string",
            "",
            (
                "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. "
                "Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. "
                "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"
            ),
            0,
        ),
        ("StorageClass", "string", "", "StorageClass of the pv", 0),
        ("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv", 0),
        (
            "Reason",
            "string",
            "",
            (
                "reason is a brief CamelCase string that describes any failure and is meant for machine parsing "
                "and tidy display in the CLI."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "VolumeMode",
            "string",
            "",
            (
                "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in "
                "raw block state. Value of Filesystem is implied when not included in spec."
            ),
            1,
        ),
    ),
    "PersistentVolumeClaim": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Status", "string", "", "phase represents the current phase of PersistentVolumeClaim.", 0),
        (
            "Volume",
            "string",
            "",
            "volumeName is the binding reference to the PersistentVolume backing this claim.",
            0,
        ),
        ("Capacity", "string", "", "capacity represents the actual resources of the underlying volume.", 0),
        (
            "Access Modes",
            "string",
            "",
            (
                "accessModes contains the actual access modes the volume backing the PVC has. More info: "
                "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
            ),
            0,
        ),
        ("StorageClass", "string", "", "StorageClass of the pvc", 0),
        ("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc", 0),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "VolumeMode",
            "string",
            "",
            (
                "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied "
                "when not included in claim spec."
            ),
            1,
        ),
    ),
    "ComponentStatus": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Status", "string", "", "Status of the component conditions", 0),
        ("Message", "string", "", "Message of the component conditions", 0),
        ("Error", "string", "", "Error of the component conditions", 0),
    ),
    "Deployment": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Ready", "string", "", "Number of the pod with ready state", 0),
        (
            "Up-to-date",
            "string",
            "",
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            0,
        ),
        (
            "Available",
            "string",
            "",
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Containers", "string", "", "Names of each container in the template.", 1),
        ("Images", "string", "", "Images referenced by each container in the template.", 1),
        (
            "Selector",
            "string",
            "",
            (
                "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones "
                "affected by this deployment."
            ),
            1,
        ),
    ),
    "HorizontalPodAutoscaler": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Reference",
            "string",
            "",
            (
                "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics "
                "should be collected, as well as to actually change the replica count."
            ),
            0,
        ),
        (
            "Targets",
            "string",
            "",
            (
                "metrics contains the specifications for which to use to calculate the desired replica count (the "
                "maximum replica count across all metrics will be used).  The desired replica count is calculated "
                "multiplying the ratio between the target value and the current value by the current number of "
                "pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the "
                "individual metric source types for more information about how each type of metric must respond."
            ),
            0,
        ),
        (
            "MinPods",
            "string",
            "",
            (
                "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down. "
                " It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero "
                "is enabled and at least one Object or External metric is configured.  Scaling is active as long "
                "as at least one metric value is available."
            ),
            0,
        ),
        (
            "MaxPods",
            "string",
            "",
            (
                "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. "
                "It cannot be less that minReplicas."
            ),
            0,
        ),
        (
            "Replicas",
            "string",
            "",
            (
                "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by "
                "the autoscaler."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ConfigMap": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Data",
            "string",
            "",
            (
                "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' "
                "or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in "
                "Data must not overlap with the keys in the BinaryData field, this is enforced during validation "
                "process."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "NetworkPolicy": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Pod-Selector",
            "string",
            "",
            (
                "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is "
                "applied to any pods selected by this field. Multiple network policies can select the same set of "
                "pods.  In this case, the ingress rules for each are combined additively. This field is NOT "
                "optional and follows standard label selector semantics. An empty podSelector matches all pods in "
                "this namespace."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "RoleBinding": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Role",
            "string",
            "",
            (
                "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. "
                "If the RoleRef cannot be resolved, the Authorizer must return an error."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Users", "string", "", "Users in the roleBinding", 1),
        ("Groups", "string", "", "Groups in the roleBinding", 1),
        ("ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1),
    ),
    "ClusterRoleBinding": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Role",
            "string",
            "",
            (
                "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be "
                "resolved, the Authorizer must return an error."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("Users", "string", "", "Users in the clusterRoleBinding", 1),
        ("Groups", "string", "", "Groups in the clusterRoleBinding", 1),
        ("ServiceAccounts", "string", "", "ServiceAccounts in the clusterRoleBinding", 1),
    ),
    "CertificateSigningRequest": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "SignerName",
            "string",
            "",
            (
                "Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. "
                "If empty, it will be defaulted:\n 1. If it's a kubelet client certificate, it is assigned\n    "
                '"kubernetes.io/kube-apiserver-client-kubelet".\n 2. If it\'s a kubelet serving certificate, it '
                'is assigned\n    "kubernetes.io/kubelet-serving".\n 3. Otherwise, it is assigned '
                '"kubernetes.io/legacy-unknown".\nDistribution of trust for signers happens out of band. You can '
                "select on this field using `spec.signerName`."
            ),
            0,
        ),
        ("Requestor", "string", "", "Base64-encoded PKCS#10 CSR data", 0),
        (
            "RequestedDuration",
            "string",
            "",
            (
                "expirationSeconds is the requested duration of validity of the issued certificate. The "
                "certificate signer may issue a certificate with a different validity duration so a client must "
                "check the delta between the notBefore and and notAfter fields in the issued certificate to "
                "determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes "
                "signers will honor this field as long as the requested duration is not greater than the maximum "
                "duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller "
                "manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer "
                "that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. "
                "Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose "
                "configured minimum is longer than the requested duration\n\nThe minimum valid value for "
                "expirationSeconds is 600, i.e. 10 minutes."
            ),
            0,
        ),
        ("Condition", "string", "", "Conditions applied to the request, such as approval or denial.", 0),
    ),
    "ClusterTrustBundle": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "SignerName",
            "string",
            "",
            (
                "signerName indicates the associated signer, if any.\n\nIn order to create or update a "
                "ClusterTrustBundle that sets signerName, you must have the following cluster-scoped permission: "
                "group=certificates.k8s.io resource=signers resourceName=<the signer name> verb=attest.\n\nIf "
                "signerName is not empty, then the ClusterTrustBundle object must be named with the signer name as "
                "a prefix (translating slashes to colons). For example, for the signer name `example.com/foo`, "
                "valid ClusterTrustBundle object names include `example.com:foo:abc` and "
                "`example.com:foo:v1`.\n\nIf signerName is empty, then the ClusterTrustBundle object's name must "
                "not have such a prefix.\n\nList/watch requests for ClusterTrustBundles can filter on this field "
                "using a `spec.signerName=NAME` field selector."
            ),
            0,
        ),
    ),
    "Lease": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Holder",
            "string",
            "",
            (
                "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader "
                "Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name "
                "field."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "LeaseCandidate": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "LeaseName",
            "string",
            "",
            "LeaseName is the name of the lease for which this candidate is contending. This field is immutable.",
            0,
        ),
        ("BinaryVersion", "string", "", "", 0),
        ("EmulationVersion", "string", "", "", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "StorageClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Provisioner", "string", "", "provisioner indicates the type of the provisioner.", 0),
        (
            "ReclaimPolicy",
            "string",
            "",
            (
                "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this "
                "storage class. Defaults to Delete."
            ),
            0,
        ),
        (
            "VolumeBindingMode",
            "string",
            "",
            (
                "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When "
                "unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the "
                "VolumeScheduling feature."
            ),
            0,
        ),
        (
            "AllowVolumeExpansion",
            "string",
            "",
            "allowVolumeExpansion shows whether the storage class allow volume expand.",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "VolumeAttributesClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("DriverName", "string", "", "Name of the CSI driver This field is immutable.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ControllerRevision": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Controller", "string", "", "Controller of the object", 0),
        ("Revision", "string", "", "revision indicates the revision of the state represented by Data.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ResourceQuota": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Request",
            "string",
            "",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
            0,
        ),
        (
            "Limit",
            "string",
            "",
            (
                "Limits control the maximum amount of cpu/memory that a container may use independent of "
                "contention on the node."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "PriorityClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Value",
            "integer",
            "",
            (
                "value represents the integer value of this priority class. This is the actual priority that pods "
                "receive when they have the name of this class in their pod spec."
            ),
            0,
        ),
        (
            "Global-Default",
            "boolean",
            "",
            (
                "globalDefault specifies whether this PriorityClass should be considered as the default priority "
                "for pods that do not have any priority class. Only one PriorityClass can be marked as "
                "`globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` "
                "field set to true, the smallest value of such global default PriorityClasses will be used as the "
                "default priority."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        (
            "PreemptionPolicy",
            "string",
            "",
            (
                "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, "
                "PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."
            ),
            0,
        ),
    ),
    "RuntimeClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Handler", "string", "", "", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "VolumeAttachment": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Attacher",
            "string",
            "name",
            (
                "attacher indicates the name of the volume driver that MUST handle this request. This is the name "
                "returned by GetPluginName()."
            ),
            0,
        ),
        ("PV", "string", "", "persistentVolumeName represents the name of the persistent volume to attach.", 0),
        ("Node", "string", "", "nodeName represents the node that the volume should be attached to.", 0),
        (
            "Attached",
            "boolean",
            "",
            (
                "attached indicates the volume is successfully attached. This field must only be set by the entity "
                "completing the attach operation, i.e. the external-attacher."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "EndpointSlice": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "AddressType",
            "string",
            "",
            (
                "addressType specifies the type of address carried by this EndpointSlice. All addresses in this "
                "slice must be the same type. This field is immutable after creation. The following address types "
                "are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. "
                "* FQDN: Represents a Fully Qualified Domain Name."
            ),
            0,
        ),
        (
            "Ports",
            "string",
            "",
            (
                "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must "
                "have a unique name. When ports is empty, it indicates that there are no defined ports. When a "
                'port is defined with a nil port value, it indicates "all ports". Each slice may include a '
                "maximum of 100 ports."
            ),
            0,
        ),
        (
            "Endpoints",
            "string",
            "",
            (
                "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 "
                "endpoints."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "CSINode": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Drivers", "integer", "", "Drivers indicates the number of CSI drivers registered on the node", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "CSIDriver": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "AttachRequired",
            "boolean",
            "",
            (
                "attachRequired indicates this CSI volume driver requires an attach operation (because it "
                "implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach "
                "controller should call the attach volume interface which checks the volumeattachment status and "
                "waits until the volume is attached before proceeding to mounting. The CSI external-attacher "
                "coordinates with CSI volume driver and updates the volumeattachment status when the attach "
                "operation is complete. If the CSIDriverRegistry feature gate is enabled and the value is "
                "specified to false, the attach operation will be skipped. Otherwise the attach operation will be "
                "called.\n\nThis field is immutable."
            ),
            0,
        ),
        (
            "PodInfoOnMount",
            "boolean",
            "",
            (
                "podInfoOnMount indicates this CSI volume driver requires additional pod information (like "
                "podName, podUID, etc.) during mount operations, if set to true. If set to false, pod information "
                "will not be passed on mount. Default is false.\n\nThe CSI driver specifies podInfoOnMount as part "
                "of driver deployment. If true, Kubelet will pass pod information as VolumeContext in the CSI "
                "NodePublishVolume() calls. The CSI driver is responsible for parsing and validating the "
                "information passed in as VolumeContext.\n\nThe following VolumeContext will be passed if "
                "podInfoOnMount is set to true. This list might grow, but the prefix will be used. "
                '"csi.storage.k8s.io/pod.name": pod.Name "csi.storage.k8s.io/pod.namespace": pod.Namespace '
                '"csi.storage.k8s.io/pod.uid": string(pod.UID) "csi.storage.k8s.io/ephemeral": "true" if the '
                "volume is an ephemeral inline volume\n                                defined by a "
                'CSIVolumeSource, otherwise "false"\n\n"csi.storage.k8s.io/ephemeral" is a new feature in '
                'Kubernetes 1.16. It is only required for drivers which support both the "Persistent" and '
                '"Ephemeral" VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this '
                "field. As Kubernetes 1.15 doesn't support this field, drivers can only support one mode when "
                "deployed on such a cluster and the deployment determines which mode that is, for example via a "
                "command line parameter of the driver.\n\nThis field was immutable in Kubernetes < 1.29 and now is "
                "mutable."
            ),
            0,
        ),
        (
            "StorageCapacity",
            "boolean",
            "",
            (
                "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage "
                "capacity that the driver deployment will report by creating CSIStorageCapacity objects with "
                "capacity information, if set to true.\n\nThe check can be enabled immediately when deploying a "
                "driver. In that case, provisioning new volumes with late binding will pause until the driver "
                "deployment has published some suitable CSIStorageCapacity object.\n\nAlternatively, the driver "
                "can be deployed with the field unset or false and it can be flipped later when storage capacity "
                "information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and now is "
                "mutable."
            ),
            0,
        ),
        (
            "TokenRequests",
            "string",
            "",
            (
                "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume "
                "for to do necessary authentication. Kubelet will pass the tokens in VolumeContext in the CSI "
                "NodePublishVolume calls. The CSI driver should parse and validate the following VolumeContext: "
                '"csi.storage.k8s.io/serviceAccount.tokens": {\n  "<audience>": {\n    "token": <token>,\n   '
                ' "expirationTimestamp": <expiration timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in '
                "each TokenRequest should be different and at most one token is empty string. To receive a new "
                "token after expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically."
            ),
            0,
        ),
        (
            "RequiresRepublish",
            "boolean",
            "",
            (
                "requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to "
                "reflect any possible change in the mounted volume. This field defaults to false.\n\nNote: After a "
                "successful initial NodePublishVolume call, subsequent calls to NodePublishVolume should only "
                "update the contents of the volume. New mount points will not be seen by a running container."
            ),
            0,
        ),
        (
            "Modes",
            "string",
            "",
            (
                "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if "
                'the list is empty is "Persistent", which is the usage defined by the CSI specification and '
                'implemented in Kubernetes via the usual PV/PVC mechanism.\n\nThe other mode is "Ephemeral". In '
                "this mode, volumes are defined inline inside the pod spec with CSIVolumeSource and their "
                "lifecycle is tied to the lifecycle of that pod. A driver has to be aware of this because it is "
                "only going to get a NodePublishVolume call for such a volume.\n\nFor more information about "
                "implementing this mode, see https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A "
                "driver can support one or more of these modes and more modes may be added in the future.\n\nThis "
                "field is beta. This field is immutable."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "CSIStorageCapacity": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "StorageClassName",
            "string",
            "",
            (
                "storageClassName represents the name of the StorageClass that the reported capacity applies to. "
                "It must meet the same requirements as the name of a StorageClass object (non-empty, DNS "
                "subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should "
                "be removed by its creator. This field is immutable."
            ),
            0,
        ),
        (
            "Capacity",
            "string",
            "",
            (
                "capacity is the value reported by the CSI driver in its GetCapacityResponse for a "
                "GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic "
                "is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can "
                "be used to provision volumes. If not set, that information is currently unavailable."
            ),
            0,
        ),
    ),
    "MutatingWebhookConfiguration": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Webhooks",
            "integer",
            "",
            "Webhooks indicates the number of webhooks registered in this configuration",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ValidatingWebhookConfiguration": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Webhooks",
            "integer",
            "",
            "Webhooks indicates the number of webhooks registered in this configuration",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ValidatingAdmissionPolicy": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Validations",
            "integer",
            "",
            "Validations indicates the number of validation rules defined in this configuration",
            0,
        ),
        (
            "ParamKind",
            "string",
            "",
            "ParamKind specifies the kind of resources used to parameterize this policy",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ValidatingAdmissionPolicyBinding": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "PolicyName",
            "string",
            "",
            "PolicyName indicates the policy definition which the policy binding binded to",
            0,
        ),
        ("ParamRef", "string", "", "ParamRef indicates the param resource which sets the configration param", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "MutatingAdmissionPolicy": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Mutations",
            "integer",
            "",
            "Mutation indicates the number of mutations rules defined in this configuration",
            0,
        ),
        (
            "ParamKind",
            "string",
            "",
            "ParamKind specifies the kind of resources used to parameterize this policy",
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "MutatingAdmissionPolicyBinding": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "PolicyName",
            "string",
            "",
            "PolicyName indicates the policy definition which the policy binding binded to",
            0,
        ),
        ("ParamRef", "string", "", "ParamRef indicates the param resource which sets the configration param", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "FlowSchema": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "PriorityLevel",
            "string",
            "",
            "`name` is the name of the priority level configuration being referenced Required.",
            0,
        ),
        (
            "MatchingPrecedence",
            "string",
            "",
            (
                "`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The "
                "chosen FlowSchema is among those with the numerically lowest (which we take to be logically "
                "highest) MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note "
                "that if the precedence is not specified, it will be set to 1000 as default."
            ),
            0,
        ),
        (
            "DistinguisherMethod",
            "string",
            "",
            (
                "`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this "
                "schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty "
                "string."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
        ("MissingPL", "string", "", "references a broken or non-existent PriorityLevelConfiguration", 0),
    ),
    "PriorityLevelConfiguration": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Type",
            "string",
            "",
            (
                "`type` indicates whether this priority level is subject to limitation on request execution.  A "
                'value of `"Exempt"` means that requests of this priority level are not subject to a limit (and '
                "thus are never queued) and do not detract from the capacity made available to other priority "
                'levels.  A value of `"Limited"` means that (a) requests of this priority level _are_ subject to '
                "limits and (b) some of the server's limited capacity is made available exclusively to this "
                "priority level. Required."
            ),
            0,
        ),
        (
            "NominalConcurrencyShares",
            "string",
            "",
            (
                "`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit "
                "(NominalCL) of this level. This is the number of execution seats available at this priority "
                "level. This is used both for requests dispatched from this priority level as well as requests "
                "dispatched from other priority levels borrowing seats from this level. The server's concurrency "
                "limit (ServerCL) is divided among the Limited priority levels in proportion to their NCS "
                "values:\n\nNominalCL(i)  = ceil( ServerCL * NCS(i) / sum_ncs ) sum_ncs = sum[priority level k] "
                "NCS(k)\n\nBigger numbers mean a larger nominal concurrency limit, at the expense of every other "
                "priority level.\n\nIf not specified, this field defaults to a value of 30.\n\nSetting this field "
                'to zero supports the construction of a "jail" for this priority level that is used to hold some '
                "request(s)"
            ),
            0,
        ),
        (
            "Queues",
            "string",
            "",
            (
                "`queues` is the number of queues for this priority level. The queues exist independently at each "
                "apiserver. The value must be positive.  Setting it to 1 effectively precludes shufflesharding and "
                "thus makes the distinguisher method of associated flow schemas irrelevant.  This field has a "
                "default value of 64."
            ),
            0,
        ),
        (
            "HandSize",
            "string",
            "",
            (
                "`handSize` is a small positive number that configures the shuffle sharding of requests into "
                "queues.  When enqueuing a request at this priority level the request's flow identifier (a string "
                "pair) is hashed and the hash value is used to shuffle the list of queues and deal a hand of the "
                "size specified here.  The request is put into one of the shortest queues in that hand. `handSize` "
                "must be no larger than `queues`, and should be significantly smaller (so that a few heavy flows "
                "do not saturate most of the queues).  See the user-facing documentation for more extensive "
                "guidance on setting this field.  This field has a default value of 8."
            ),
            0,
        ),
        (
            "QueueLengthLimit",
            "string",
            "",
            (
                "`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of "
                "this priority level at a time; excess requests are rejected.  This value must be positive.  If "
                "not specified, it will be defaulted to 50."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "StorageVersion": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "CommonEncodingVersion",
            "string",
            "",
            (
                "If all API server instances agree on the same encoding storage version, then this field is set to "
                "that version. Otherwise this field is left empty. API servers should finish updating its "
                "storageVersionStatus entry before serving write operations, so that this field will be in sync "
                "with the reality."
            ),
            0,
        ),
        ("StorageVersions", "string", "", "The reported versions per API server instance.", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "DeviceClass": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ResourceClaim": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("State", "string", "", "A summary of the current state (allocated, pending, reserved, etc.).", 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ResourceClaimTemplate": (
        ("Name", "string", "name", _NAME_DESC, 0),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ResourceSlice": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "Node",
            "string",
            "",
            (
                "NodeName identifies the node which provides the resources in this pool. A field selector can be "
                "used to list only ResourceSlice objects belonging to a certain node.\n\nThis field can be used to "
                "limit access from nodes to ResourceSlices with the same node name. It also indicates to "
                "autoscalers that adding new nodes of the same type as some old node might also make new resources "
                "available.\n\nExactly one of NodeName, NodeSelector and AllNodes must be set. This field is "
                "immutable."
            ),
            0,
        ),
        (
            "Driver",
            "string",
            "",
            (
                "Driver identifies the DRA driver providing the capacity information. A field selector can be used "
                "to list only ResourceSlice objects with a certain driver name.\n\nMust be a DNS subdomain and "
                "should end with a DNS domain owned by the vendor of the driver. This field is immutable."
            ),
            0,
        ),
        (
            "Pool",
            "string",
            "",
            (
                "Name is used to identify the pool. For node-local devices, this is often the node name, but this "
                "is not required.\n\nIt must not be longer than 253 characters and must consist of one or more DNS "
                "sub-domains separated by slashes. This field is immutable."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "ServiceCIDR": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "CIDRs",
            "string",
            "",
            (
                'CIDRs defines the IP blocks in CIDR notation (e.g. "192.168.0.0/24" or "2001:db8::/64") from '
                "which to assign service cluster IPs. Max of two CIDRs is allowed, one of each IP family. This "
                "field is immutable."
            ),
            0,
        ),
        ("Age", "string", "", _AGE_DESC, 0),
    ),
    "IPAddress": (
        ("Name", "string", "name", _NAME_DESC, 0),
        (
            "ParentRef",
            "string",
            "",
            (
                "ParentRef references the resource that an IPAddress is attached to. An IPAddress must reference a "
                "parent object."
            ),
            0,
        ),
    ),
    "StorageVersionMigration": (
        ("Name", "string", "", _NAME_DESC, 0),
        ("Resource", "string", "", "Fully qualified resource to migrate", 0),
    ),
}
_COLUMN_DEFS: Mapping[str, Tuple[_Col, ...]] = MappingProxyType(_COLUMN_DEF_TABLE)

# Default table convertors (k8s.io/apiserver pkg/registry/rest/table.go; apiextensions-apiserver
# serveDefaultColumnsIfEmpty + tableconvertor.New).
_DEFAULT_COLUMNS: Tuple[_Col, ...] = (
    ("Name", "string", "name", _NAME_DESC, 0),
    ("Created At", "date", "", _AGE_DESC, 0),
)
_CUSTOM_RESOURCE_COLUMNS: Tuple[_Col, ...] = (
    ("Name", "string", "name", _NAME_DESC, 0),
    ("Age", "date", "", _AGE_DESC, 0),
)

# API groups served by kube-apiserver itself (including the aggregator and apiextensions): a kind of one of
# these groups without a printer gets rest.NewDefaultTableConvertor; any other group is a custom resource.
_BUILTIN_GROUPS: FrozenSet[str] = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

_ZERO_TIME_RFC3339 = "0001-01-01T00:00:00Z"
_LOAD_BALANCER_WIDTH = 16
_LABEL_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
_NODE_LABEL_ROLE = "kubernetes.io/role"
_NODE_UNREACHABLE_POD_REASON = "NodeLost"
_BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
_IS_DEFAULT_STORAGE_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_IS_DEFAULT_VAC_ANNOTATION = "volumeattributesclass.alpha.kubernetes.io/is-default-class"

_POD_SUCCESS_CONDITIONS = (
    {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."},
)
_POD_FAILED_CONDITIONS = ({"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."},)


# --------------------------------------------------------------------------------------------------------------
# Durations and timestamps (k8s.io/apimachinery pkg/util/duration, printers.go translateTimestampSince)


def _go_seconds(d: timedelta) -> int:
    """``int(d.Seconds())``: whole seconds, truncated towards zero."""
    micros = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    whole = abs(micros) // 1_000_000
    return whole if micros >= 0 else -whole


def human_duration(d: timedelta) -> str:
    """Port of ``duration.HumanDuration``: a succinct duration with ~2-3 significant figures."""
    seconds = _go_seconds(d)
    # Allow deviation no more than 2 seconds (excluded) to tolerate machine time inconsistency.
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        if s == 0:
            return f"{minutes}m"
        return f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        if m == 0:
            return f"{hours}h"
        return f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        if h == 0:
            return f"{hours // 24}d"
        return f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        if dy == 0:
            return f"{hours // 24 // 365}y"
        return f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def _parse_time(value: Any) -> Optional[datetime]:
    """An RFC 3339 timestamp (metav1.Time or MicroTime) as an aware datetime; None for missing or zero."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    else:
        m = _RFC3339_RE.match(str(value).strip())
        if m is None:
            return None
        year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
        frac = m.group(7) or ""
        micro = int((frac + "000000")[:6]) if frac else 0
        if m.group(8):
            tz = timezone.utc
        else:
            offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
            tz = timezone(-offset if m.group(9) == "-" else offset)
        try:
            dt = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
        except ValueError:
            return None
    if dt.astimezone(timezone.utc).replace(tzinfo=None) == datetime(1, 1, 1):
        return None  # Go's zero time.
    return dt


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def translate_timestamp_since(timestamp: Any, now: datetime) -> str:
    """Port of ``translateTimestampSince``: the age of a timestamp, ``<unknown>`` when it is unset."""
    t = _parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration(_aware(now) - t)


def _before(a: Optional[datetime], b: Optional[datetime]) -> bool:
    """``a.Before(b)`` with None as Go's zero time."""
    if b is None:
        return False
    if a is None:
        return True
    return a < b


def _rfc3339_utc(timestamp: Any) -> str:
    """``m.GetCreationTimestamp().Time.UTC().Format(time.RFC3339)``."""
    t = _parse_time(timestamp)
    if t is None:
        return _ZERO_TIME_RFC3339
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------------------------
# Small accessors


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> Sequence[Any]:
    return value if isinstance(value, (list, tuple)) else ()


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _i(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _m(obj.get("metadata"))


def _name(obj: Mapping[str, Any]) -> str:
    return _s(_meta(obj).get("name"))


def _age(obj: Mapping[str, Any], now: datetime) -> str:
    return translate_timestamp_since(_meta(obj).get("creationTimestamp"), now)


def _deleting(obj: Mapping[str, Any]) -> bool:
    return _meta(obj).get("deletionTimestamp") is not None


def _quantity(value: Any) -> str:
    """``resource.Quantity.String()`` of a served quantity; the zero quantity prints as ``0``."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        milli = value * 1000
        if milli == int(milli):
            return f"{int(milli)}m"
        return repr(value)
    return str(value)


def _quantity_ptr(value: Any) -> str:
    """``(*resource.Quantity).String()``: ``<nil>`` for a nil pointer."""
    if value is None:
        return "<nil>"
    return _quantity(value)


def _print_bool(value: bool) -> str:
    return "True" if value else "False"


def _print_bool_ptr(value: Any) -> str:
    if value is None:
        return "<unset>"
    return _print_bool(bool(value))


def _join_host_port(host: str, port: str) -> str:
    """``net.JoinHostPort``."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _list_with_more_string(items: List[str], more: bool, count: int, max_items: int) -> str:
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_items} more..."
    if ret == "":
        ret = "<unset>"
    return ret


def _layout_container_cells(containers: Any) -> Tuple[str, str]:
    names = [_s(_m(c).get("name")) for c in _l(containers)]
    images = [_s(_m(c).get("image")) for c in _l(containers)]
    return ",".join(names), ",".join(images)


def _format_resource_name(group: str, kind: str, name: str) -> str:
    """``formatResourceName(GroupKind, name, withKind=true)``."""
    if group == "" and kind == "":
        return name
    gk = kind if group == "" else f"{kind}.{group}"
    return gk.lower() + "/" + name


# --------------------------------------------------------------------------------------------------------------
# Labels and label selectors (k8s.io/apimachinery pkg/labels, metav1 helpers)


def format_labels(label_map: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted by key, ``<none>`` when empty."""
    m = _m(label_map)
    text = ",".join(f"{k}={_s(m[k])}" for k in sorted(m))
    return text or "<none>"


class _InvalidSelector(Exception):
    pass


def _requirement_string(key: str, op: str, values: List[str]) -> str:
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return "!" + key
    symbol = {"=": "=", "in": " in ", "notin": " notin "}[op]
    vals = values[0] if len(values) == 1 else ",".join(sorted(values))
    if op in ("in", "notin"):
        return f"{key}{symbol}({vals})"
    return f"{key}{symbol}{vals}"


def _label_selector_string(selector: Any) -> str:
    """``metav1.LabelSelectorAsSelector(selector).String()``; raises _InvalidSelector on a bad operator."""
    if selector is None:
        return ""  # labels.Nothing()
    sel = _m(selector)
    match_labels = _m(sel.get("matchLabels"))
    expressions = _l(sel.get("matchExpressions"))
    if len(match_labels) + len(expressions) == 0:
        return ""  # labels.Everything()
    reqs: List[Tuple[str, str]] = []
    for k, v in match_labels.items():
        reqs.append((_s(k), _requirement_string(_s(k), "=", [_s(v)])))
    for expr in expressions:
        e = _m(expr)
        key = _s(e.get("key"))
        values = [_s(v) for v in _l(e.get("values"))]
        op = {"In": "in", "NotIn": "notin", "Exists": "Exists", "DoesNotExist": "DoesNotExist"}.get(
            _s(e.get("operator"))
        )
        if op is None:
            raise _InvalidSelector(f"{e.get('operator')!r} is not a valid label selector operator")
        if op in ("in", "notin") and not values:
            raise _InvalidSelector("for 'in', 'notin' operators, values set can't be empty")
        if op in ("Exists", "DoesNotExist") and values:
            raise _InvalidSelector("values set must be empty for exists and does not exist")
        reqs.append((key, _requirement_string(key, op, values)))
    reqs.sort(key=lambda r: r[0])
    return ",".join(r[1] for r in reqs)


def format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` for an empty selector, ``<error>`` for an invalid one."""
    try:
        text = _label_selector_string(selector)
    except _InvalidSelector:
        return "<error>"
    return text or "<none>"


def _label_selector_go_string(selector: Any) -> str:
    """``(*metav1.LabelSelector).String()`` (the generated protobuf String)."""
    sel = _m(selector)
    exprs = "[]LabelSelectorRequirement{"
    for expr in _l(sel.get("matchExpressions")):
        e = _m(expr)
        values = "[" + " ".join(_s(v) for v in _l(e.get("values"))) + "]"
        key, operator = _s(e.get("key")), _s(e.get("operator"))
        exprs += f"LabelSelectorRequirement{{Key:{key},Operator:{operator},Values:{values},}},"
    exprs += "}"
    labels = _m(sel.get("matchLabels"))
    label_text = "map[string]string{" + "".join(f"{k}: {_s(labels[k])}," for k in sorted(labels)) + "}"
    return f"&LabelSelector{{MatchLabels:{label_text},MatchExpressions:{exprs},}}"


def _controller_ref(obj: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    """``metav1.GetControllerOf``."""
    for ref in _l(_meta(obj).get("ownerReferences")):
        r = _m(ref)
        if r.get("controller") is True:
            return r
    return None


# --------------------------------------------------------------------------------------------------------------
# Pods


def _is_restartable_init_container(container: Optional[Mapping[str, Any]]) -> bool:
    return container is not None and container.get("restartPolicy") == "Always"


def _has_pod_ready_condition(conditions: Sequence[Any]) -> bool:
    for c in conditions:
        cond = _m(c)
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return True
    return False


def _is_pod_initialized_condition_true(conditions: Sequence[Any]) -> bool:
    for c in conditions:
        cond = _m(c)
        if cond.get("type") != "Initialized":
            continue
        return cond.get("status") == "True"
    return False


def _finished_at(container_status: Mapping[str, Any]) -> Tuple[bool, Optional[datetime]]:
    terminated = _m(container_status.get("lastState")).get("terminated")
    if terminated is None:
        return False, None
    return True, _parse_time(_m(terminated).get("finishedAt"))


def _print_pod(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    conditions = _l(status.get("conditions"))
    init_specs = _l(spec.get("initContainers"))

    restarts = 0
    restartable_init_restarts = 0
    total_containers = len(_l(spec.get("containers")))
    ready_containers = 0
    last_restart: Optional[datetime] = None
    last_restartable_init_restart: Optional[datetime] = None

    phase = _s(status.get("phase"))
    reason = phase
    if _s(status.get("reason")) != "":
        reason = _s(status.get("reason"))

    # If the Pod carries {type:PodScheduled, reason:SchedulingGated}, set reason to 'SchedulingGated'.
    for c in conditions:
        cond = _m(c)
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_containers: Dict[str, Mapping[str, Any]] = {}
    for c in init_specs:
        container = _m(c)
        init_containers[_s(container.get("name"))] = container
        if _is_restartable_init_container(container):
            total_containers += 1

    initializing = False
    for i, cs in enumerate(_l(status.get("initContainerStatuses"))):
        container = _m(cs)
        restarts += _i(container.get("restartCount"))
        has_last, finished = _finished_at(container)
        if has_last and _before(last_restart, finished):
            last_restart = finished
        restartable = _is_restartable_init_container(init_containers.get(_s(container.get("name"))))
        if restartable:
            restartable_init_restarts += _i(container.get("restartCount"))
            if has_last and _before(last_restartable_init_restart, finished):
                last_restartable_init_restart = finished
        state = _m(container.get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and _i(_m(terminated).get("exitCode")) == 0:
            continue
        if restartable and container.get("started") is True:
            if container.get("ready") is True:
                ready_containers += 1
            continue
        if terminated is not None:
            # initialization is failed
            term = _m(terminated)
            if _s(term.get("reason")) == "":
                if _i(term.get("signal")) != 0:
                    reason = f"Init:Signal:{_i(term.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{_i(term.get('exitCode'))}"
            else:
                reason = "Init:" + _s(term.get("reason"))
        elif (
            waiting is not None
            and _s(_m(waiting).get("reason")) != ""
            and _m(waiting).get("reason") != "PodInitializing"
        ):
            reason = "Init:" + _s(_m(waiting).get("reason"))
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _is_pod_initialized_condition_true(conditions):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        for cs in reversed(_l(status.get("containerStatuses"))):
            container = _m(cs)
            restarts += _i(container.get("restartCount"))
            has_last, finished = _finished_at(container)
            if has_last and _before(last_restart, finished):
                last_restart = finished
            state = _m(container.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and _s(_m(waiting).get("reason")) != "":
                reason = _s(_m(waiting).get("reason"))
            elif terminated is not None and _s(_m(terminated).get("reason")) != "":
                reason = _s(_m(terminated).get("reason"))
            elif terminated is not None:
                term = _m(terminated)
                if _i(term.get("signal")) != 0:
                    reason = f"Signal:{_i(term.get('signal'))}"
                else:
                    reason = f"ExitCode:{_i(term.get('exitCode'))}"
            elif container.get("ready") is True and state.get("running") is not None:
                has_running = True
                ready_containers += 1

        # change pod status back to "Running" if there is at least one container still reporting as "Running"
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(conditions) else "NotReady"

    if _deleting(obj) and _s(status.get("reason")) == _NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif _deleting(obj) and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = f"{restarts} ({human_duration(_aware(now) - last_restart)} ago)"

    cells: List[Any] = [
        _name(obj),
        f"{ready_containers}/{total_containers}",
        reason,
        restarts_str,
        _age(obj, now),
    ]
    if wide:
        node_name = _s(spec.get("nodeName")) or "<none>"
        nominated = _s(status.get("nominatedNodeName")) or "<none>"
        # v1 -> internal conversion: podIP wins over podIPs[0] when both are set.
        pod_ip = _s(status.get("podIP"))
        if pod_ip == "" and _l(status.get("podIPs")):
            pod_ip = _s(_m(_l(status.get("podIPs"))[0]).get("ip"))
        readiness_gates = "<none>"
        gates = _l(spec.get("readinessGates"))
        if gates:
            true_conditions = 0
            for gate in gates:
                condition_type = _m(gate).get("conditionType")
                for c in conditions:
                    cond = _m(c)
                    if cond.get("type") == condition_type:
                        if cond.get("status") == "True":
                            true_conditions += 1
                        break
            readiness_gates = f"{true_conditions}/{len(gates)}"
        cells += [pod_ip or "<none>", node_name, nominated, readiness_gates]
    return cells


def row_conditions(group: str, kind: str, obj: Mapping[str, Any]) -> List[Dict[str, str]]:
    """The ``conditions`` of a Table row: upstream marks Succeeded and Failed pods as Completed."""
    if _normalize_group(group) == "" and kind == "Pod":
        phase = _m(obj.get("status")).get("phase")
        if phase == "Succeeded":
            return [dict(c) for c in _POD_SUCCESS_CONDITIONS]
        if phase == "Failed":
            return [dict(c) for c in _POD_FAILED_CONDITIONS]
    return []


def _print_pod_template(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    template = _m(obj.get("template"))
    names, images = _layout_container_cells(_m(template.get("spec")).get("containers"))
    return [_name(obj), names, images, format_labels(_m(template.get("metadata")).get("labels"))]


# --------------------------------------------------------------------------------------------------------------
# Workloads


def _int_or_string(value: Any) -> str:
    """``intstr.IntOrString.String()``."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(int(value))
    return _s(value)


def _print_pod_disruption_budget(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    min_available = "N/A" if spec.get("minAvailable") is None else _int_or_string(spec.get("minAvailable"))
    max_unavailable = "N/A" if spec.get("maxUnavailable") is None else _int_or_string(spec.get("maxUnavailable"))
    return [
        _name(obj),
        min_available,
        max_unavailable,
        _i(_m(obj.get("status")).get("disruptionsAllowed")),
        _age(obj, now),
    ]


def _print_replication_controller(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    cells: List[Any] = [
        _name(obj),
        _i(spec.get("replicas")),
        _i(status.get("replicas")),
        _i(status.get("readyReplicas")),
        _age(obj, now),
    ]
    if wide:
        names, images = _layout_container_cells(_m(_m(spec.get("template")).get("spec")).get("containers"))
        cells += [names, images, format_labels(spec.get("selector"))]
    return cells


def _print_replica_set(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    cells: List[Any] = [
        _name(obj),
        _i(spec.get("replicas")),
        _i(status.get("replicas")),
        _i(status.get("readyReplicas")),
        _age(obj, now),
    ]
    if wide:
        names, images = _layout_container_cells(_m(_m(spec.get("template")).get("spec")).get("containers"))
        cells += [names, images, format_label_selector(spec.get("selector"))]
    return cells


def _has_job_condition(conditions: Sequence[Any], condition_type: str) -> bool:
    for c in conditions:
        cond = _m(c)
        if cond.get("type") == condition_type:
            return cond.get("status") == "True"
    return False


def _print_job(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    succeeded = _i(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_i(spec.get('completions'))}"
    else:
        parallelism = _i(spec.get("parallelism")) if spec.get("parallelism") is not None else 0
        if parallelism > 1:
            completions = f"{succeeded}/1 of {parallelism}"
        else:
            completions = f"{succeeded}/1"
    start = _parse_time(status.get("startTime"))
    completion = _parse_time(status.get("completionTime"))
    if start is None:
        job_duration = ""
    elif completion is None:
        job_duration = human_duration(_aware(now) - start)
    else:
        job_duration = human_duration(completion - start)
    conditions = _l(status.get("conditions"))
    if _has_job_condition(conditions, "Complete"):
        job_status = "Complete"
    elif _has_job_condition(conditions, "Failed"):
        job_status = "Failed"
    elif _deleting(obj):
        job_status = "Terminating"
    elif _has_job_condition(conditions, "Suspended"):
        job_status = "Suspended"
    elif _has_job_condition(conditions, "FailureTarget"):
        job_status = "FailureTarget"
    else:
        job_status = "Running"
    cells: List[Any] = [_name(obj), job_status, completions, job_duration, _age(obj, now)]
    if wide:
        names, images = _layout_container_cells(_m(_m(spec.get("template")).get("spec")).get("containers"))
        cells += [names, images, format_label_selector(spec.get("selector"))]
    return cells


def _print_cron_job(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    last_schedule = "<none>"
    if status.get("lastScheduleTime") is not None:
        last_schedule = translate_timestamp_since(status.get("lastScheduleTime"), now)
    time_zone = "<none>" if spec.get("timeZone") is None else _s(spec.get("timeZone"))
    cells: List[Any] = [
        _name(obj),
        _s(spec.get("schedule")),
        time_zone,
        _print_bool_ptr(spec.get("suspend")),
        len(_l(status.get("active"))),
        last_schedule,
        _age(obj, now),
    ]
    if wide:
        job_spec = _m(_m(spec.get("jobTemplate")).get("spec"))
        names, images = _layout_container_cells(_m(_m(job_spec.get("template")).get("spec")).get("containers"))
        cells += [names, images, format_label_selector(job_spec.get("selector"))]
    return cells


def _print_stateful_set(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    cells: List[Any] = [
        _name(obj),
        f"{_i(status.get('readyReplicas'))}/{_i(spec.get('replicas'))}",
        _age(obj, now),
    ]
    if wide:
        names, images = _layout_container_cells(_m(_m(spec.get("template")).get("spec")).get("containers"))
        cells += [names, images]
    return cells


def _print_daemon_set(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    pod_spec = _m(_m(spec.get("template")).get("spec"))
    cells: List[Any] = [
        _name(obj),
        _i(status.get("desiredNumberScheduled")),
        _i(status.get("currentNumberScheduled")),
        _i(status.get("numberReady")),
        _i(status.get("updatedNumberScheduled")),
        _i(status.get("numberAvailable")),
        format_labels(pod_spec.get("nodeSelector")),
        _age(obj, now),
    ]
    if wide:
        names, images = _layout_container_cells(pod_spec.get("containers"))
        cells += [names, images, format_label_selector(spec.get("selector"))]
    return cells


def _print_deployment(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    try:
        selector = _label_selector_string(spec.get("selector"))
    except _InvalidSelector:
        selector = "<invalid>"
    cells: List[Any] = [
        _name(obj),
        f"{_i(status.get('readyReplicas'))}/{_i(spec.get('replicas'))}",
        _i(status.get("updatedReplicas")),
        _i(status.get("availableReplicas")),
        _age(obj, now),
    ]
    if wide:
        names, images = _layout_container_cells(_m(_m(spec.get("template")).get("spec")).get("containers"))
        cells += [names, images, selector]
    return cells


def _print_controller_revision(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    controller = "<none>"
    ref = _controller_ref(obj)
    if ref is not None:
        api_version = _s(ref.get("apiVersion"))
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        controller = _format_resource_name(group, _s(ref.get("kind")), _s(ref.get("name")))
    return [_name(obj), controller, _i(obj.get("revision")), _age(obj, now)]


# --------------------------------------------------------------------------------------------------------------
# Services and networking


def _load_balancer_status_stringer(lb_status: Any, wide: bool) -> str:
    result = set()
    for ingress in _l(_m(lb_status).get("ingress")):
        ing = _m(ingress)
        if _s(ing.get("ip")) != "":
            result.add(_s(ing.get("ip")))
        elif _s(ing.get("hostname")) != "":
            result.add(_s(ing.get("hostname")))
    r = ",".join(sorted(result))
    if not wide and len(r) > _LOAD_BALANCER_WIDTH:
        r = r[: _LOAD_BALANCER_WIDTH - 3] + "..."
    return r


def _service_external_ip(obj: Mapping[str, Any], wide: bool) -> str:
    spec = _m(obj.get("spec"))
    svc_type = spec.get("type")
    external_ips = [_s(ip) for ip in _l(spec.get("externalIPs"))]
    if svc_type in ("ClusterIP", "NodePort"):
        if external_ips:
            return ",".join(external_ips)
        return "<none>"
    if svc_type == "LoadBalancer":
        lb_ips = _load_balancer_status_stringer(_m(obj.get("status")).get("loadBalancer"), wide)
        if external_ips:
            results: List[str] = []
            if lb_ips:
                results += lb_ips.split(",")
            results += external_ips
            return ",".join(results)
        if lb_ips:
            return lb_ips
        return "<pending>"
    if svc_type == "ExternalName":
        return _s(spec.get("externalName"))
    return "<unknown>"


def _make_port_string(ports: Any) -> str:
    pieces = []
    for p in _l(ports):
        port = _m(p)
        if _i(port.get("nodePort")) > 0:
            pieces.append(f"{_i(port.get('port'))}:{_i(port.get('nodePort'))}/{_s(port.get('protocol'))}")
        else:
            pieces.append(f"{_i(port.get('port'))}/{_s(port.get('protocol'))}")
    return ",".join(pieces)


def _print_service(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    # v1 -> internal conversion: clusterIP wins over clusterIPs[0] when both are set.
    internal_ip = _s(spec.get("clusterIP"))
    if internal_ip == "" and _l(spec.get("clusterIPs")):
        internal_ip = _s(_l(spec.get("clusterIPs"))[0])
    ports = _make_port_string(spec.get("ports")) or "<none>"
    cells: List[Any] = [
        _name(obj),
        _s(spec.get("type")),
        internal_ip or "<none>",
        _service_external_ip(obj, wide),
        ports,
        _age(obj, now),
    ]
    if wide:
        cells.append(format_labels(spec.get("selector")))
    return cells


def _format_endpoints(obj: Mapping[str, Any]) -> str:
    subsets = _l(obj.get("subsets"))
    if not subsets:
        return "<none>"
    items: List[str] = []
    max_items = 3
    more = False
    count = 0
    for s in subsets:
        subset = _m(s)
        addresses = _l(subset.get("addresses"))
        ports = _l(subset.get("ports"))
        if not ports:
            # It's possible to have headless services with no ports.
            count += len(addresses)
            for addr in addresses:
                if len(items) == max_items:
                    more = True
                    break
                items.append(_s(_m(addr).get("ip")))
            continue
        for p in ports:
            port = _m(p)
            count += len(addresses)
            for addr in addresses:
                if len(items) == max_items:
                    more = True
                    break
                items.append(_join_host_port(_s(_m(addr).get("ip")), str(_i(port.get("port")))))
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_items} more..."
    return ret


def _print_endpoints(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _format_endpoints(obj), _age(obj, now)]


def _format_discovery_ports(ports: Any) -> str:
    items: List[str] = []
    max_items = 3
    more = False
    count = 0
    for p in _l(ports):
        port = _m(p)
        if len(items) < max_items:
            if port.get("port") is not None:
                items.append(str(_i(port.get("port"))))
            elif port.get("name") is not None:
                items.append(_s(port.get("name")))
            else:
                items.append("*")
        elif len(items) == max_items:
            more = True
        count += 1
    return _list_with_more_string(items, more, count, max_items)


def _format_discovery_endpoints(endpoints: Any) -> str:
    items: List[str] = []
    max_items = 3
    more = False
    count = 0
    for e in _l(endpoints):
        for address in _l(_m(e).get("addresses")):
            if len(items) < max_items:
                items.append(_s(address))
            elif len(items) == max_items:
                more = True
            count += 1
    return _list_with_more_string(items, more, count, max_items)


def _print_endpoint_slice(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [
        _name(obj),
        _s(obj.get("addressType")),
        _format_discovery_ports(obj.get("ports")),
        _format_discovery_endpoints(obj.get("endpoints")),
        _age(obj, now),
    ]


def _format_hosts(rules: Any) -> str:
    rule_list = _l(rules)
    items: List[str] = []
    max_items = 3
    more = False
    for r in rule_list:
        if len(items) == max_items:
            more = True
        host = _s(_m(r).get("host"))
        if not more and host != "":
            items.append(host)
    if not items:
        return "*"
    ret = ",".join(items)
    if more:
        return f"{ret} + {len(rule_list) - max_items} more..."
    return ret


def _print_ingress(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    class_name = "<none>" if spec.get("ingressClassName") is None else _s(spec.get("ingressClassName"))
    return [
        _name(obj),
        class_name,
        _format_hosts(spec.get("rules")),
        _load_balancer_status_stringer(_m(obj.get("status")).get("loadBalancer"), wide),
        "80, 443" if _l(spec.get("tls")) else "80",
        _age(obj, now),
    ]


def _print_ingress_class(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    parameters = "<none>"
    if spec.get("parameters") is not None:
        params = _m(spec.get("parameters"))
        parameters = _s(params.get("kind"))
        if params.get("apiGroup") is not None:
            parameters += "." + _s(params.get("apiGroup"))
        parameters += "/" + _s(params.get("name"))
    return [_name(obj), _s(spec.get("controller")), parameters, _age(obj, now)]


def _print_network_policy(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    pod_selector = _m(obj.get("spec")).get("podSelector")
    return [_name(obj), format_label_selector(pod_selector if pod_selector is not None else {}), _age(obj, now)]


def _print_service_cidr(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    cidrs = ",".join(_s(c) for c in _l(_m(obj.get("spec")).get("cidrs")))
    return [_name(obj), cidrs, _age(obj, now)]


def _print_ip_address(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    parent = "<none>"
    ref = _m(obj.get("spec")).get("parentRef")
    if ref is not None:
        r = _m(ref)
        group, resource = _s(r.get("group")), _s(r.get("resource"))
        parent = (resource if group == "" else f"{resource}.{group}").lower()
        if _s(r.get("namespace")) != "":
            parent += "/" + _s(r.get("namespace"))
        parent += "/" + _s(r.get("name"))
    # Upstream appends the age too, a third cell for two columns (kubectl drops it); kept to the columns here.
    return [_name(obj), parent]


# --------------------------------------------------------------------------------------------------------------
# Nodes, namespaces, config


def _find_node_roles(obj: Mapping[str, Any]) -> List[str]:
    roles = set()
    for k, v in _m(_meta(obj).get("labels")).items():
        key = _s(k)
        if key.startswith(_LABEL_NODE_ROLE_PREFIX):
            role = key[len(_LABEL_NODE_ROLE_PREFIX) :]
            if role:
                roles.add(role)
        elif key == _NODE_LABEL_ROLE and _s(v) != "":
            roles.add(_s(v))
    return sorted(roles)


def _node_address(obj: Mapping[str, Any], address_type: str) -> str:
    for a in _l(_m(obj.get("status")).get("addresses")):
        addr = _m(a)
        if addr.get("type") == address_type:
            return _s(addr.get("address"))
    return "<none>"


def _print_node(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    status = _m(obj.get("status"))
    condition_map: Dict[str, Mapping[str, Any]] = {}
    for c in _l(status.get("conditions")):
        cond = _m(c)
        condition_map[_s(cond.get("type"))] = cond
    node_status: List[str] = []
    ready = condition_map.get("Ready")
    if ready is not None:
        node_status.append("Ready" if ready.get("status") == "True" else "NotReady")
    if not node_status:
        node_status.append("Unknown")
    if _m(obj.get("spec")).get("unschedulable") is True:
        node_status.append("SchedulingDisabled")
    roles = ",".join(_find_node_roles(obj)) or "<none>"
    info = _m(status.get("nodeInfo"))
    cells: List[Any] = [
        _name(obj),
        ",".join(node_status),
        roles,
        _age(obj, now),
        _s(info.get("kubeletVersion")),
    ]
    if wide:
        cells += [
            _node_address(obj, "InternalIP"),
            _node_address(obj, "ExternalIP"),
            _s(info.get("osImage")) or "<unknown>",
            _s(info.get("kernelVersion")) or "<unknown>",
            _s(info.get("containerRuntimeVersion")) or "<unknown>",
        ]
    return cells


def _print_namespace(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _s(_m(obj.get("status")).get("phase")), _age(obj, now)]


def _print_secret(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _s(obj.get("type")), len(_m(obj.get("data"))), _age(obj, now)]


def _print_service_account(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_l(obj.get("secrets"))), _age(obj, now)]


def _print_config_map(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_m(obj.get("data"))) + len(_m(obj.get("binaryData"))), _age(obj, now)]


def _print_component_status(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    status, message, error = "Unknown", "", ""
    for c in _l(obj.get("conditions")):
        cond = _m(c)
        if cond.get("type") == "Healthy":
            status = "Healthy" if cond.get("status") == "True" else "Unhealthy"
            message = _s(cond.get("message"))
            error = _s(cond.get("error"))
            break
    return [_name(obj), status, message, error]


def _print_resource_quota(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    status = _m(obj.get("status"))
    hard = _m(status.get("hard"))
    used = _m(status.get("used"))
    requests: List[str] = []
    limits: List[str] = []
    for resource in sorted(_s(k) for k in hard):
        pieces = resource.split(".")
        target = limits if len(pieces) > 1 and pieces[0] == "limits" else requests
        target.append(f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard.get(resource))}")
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


# --------------------------------------------------------------------------------------------------------------
# Events (core/v1 and events.k8s.io/v1)


def _event_as_core(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """An events.k8s.io/v1 Event in core/v1 field names (Convert_v1_Event_To_core_Event)."""
    return {
        "metadata": obj.get("metadata"),
        "involvedObject": obj.get("regarding"),
        "source": obj.get("deprecatedSource"),
        "message": obj.get("note"),
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
        "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "count": obj.get("deprecatedCount"),
        "eventTime": obj.get("eventTime"),
        "series": obj.get("series"),
        "reportingComponent": obj.get("reportingController"),
        "reportingInstance": obj.get("reportingInstance"),
        "type": obj.get("type"),
        "reason": obj.get("reason"),
    }


def _print_event(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    if _parse_time(obj.get("firstTimestamp")) is None:
        first_timestamp = translate_timestamp_since(obj.get("eventTime"), now)
    else:
        first_timestamp = translate_timestamp_since(obj.get("firstTimestamp"), now)
    if _parse_time(obj.get("lastTimestamp")) is None:
        last_timestamp = first_timestamp
    else:
        last_timestamp = translate_timestamp_since(obj.get("lastTimestamp"), now)
    count = _i(obj.get("count"))
    series = obj.get("series")
    if series is not None:
        last_timestamp = translate_timestamp_since(_m(series).get("lastObservedTime"), now)
        count = _i(_m(series).get("count"))
    elif count == 0:
        # Singleton events don't have a count set in the new API.
        count = 1
    involved = _m(obj.get("involvedObject"))
    kind = _s(involved.get("kind")).lower()
    target = f"{kind}/{_s(involved.get('name'))}" if _s(involved.get("name")) else kind
    message = _s(obj.get("message")).strip()
    if not wide:
        return [last_timestamp, _s(obj.get("type")), _s(obj.get("reason")), target, message]
    source = _m(obj.get("source"))
    component = _s(source.get("component")) or _s(obj.get("reportingComponent"))
    instance = _s(source.get("host")) or _s(obj.get("reportingInstance"))
    event_source = component if instance == "" else component + ", " + instance
    return [
        last_timestamp,
        _s(obj.get("type")),
        _s(obj.get("reason")),
        target,
        _s(involved.get("fieldPath")),
        event_source,
        message,
        first_timestamp,
        count,
        _name(obj),
    ]


def _print_events_event(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return _print_event(_event_as_core(obj), now, wide)


# --------------------------------------------------------------------------------------------------------------
# Storage


def _access_modes(modes: Any) -> str:
    """``helper.GetAccessModesAsString``."""
    present = {_s(m) for m in _l(modes)}
    out = []
    for mode, short in (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ):
        if mode in present:
            out.append(short)
    return ",".join(out)


def _storage_class_of(obj: Mapping[str, Any]) -> str:
    """``helper.GetPersistentVolumeClass`` / ``GetPersistentVolumeClaimClass``: beta annotation first."""
    annotations = _m(_meta(obj).get("annotations"))
    if _BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return _s(annotations[_BETA_STORAGE_CLASS_ANNOTATION])
    return _s(_m(obj.get("spec")).get("storageClassName"))


def _print_persistent_volume(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    claim = ""
    if spec.get("claimRef") is not None:
        ref = _m(spec.get("claimRef"))
        claim = _s(ref.get("namespace")) + "/" + _s(ref.get("name"))
    phase = "Terminating" if _deleting(obj) else _s(status.get("phase"))
    volume_mode = "<unset>" if spec.get("volumeMode") is None else _s(spec.get("volumeMode"))
    vac = "<unset>" if spec.get("volumeAttributesClassName") is None else _s(spec.get("volumeAttributesClassName"))
    return [
        _name(obj),
        _quantity(_m(spec.get("capacity")).get("storage")),
        _access_modes(spec.get("accessModes")),
        _s(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        _storage_class_of(obj),
        vac,
        _s(status.get("reason")),
        _age(obj, now),
        volume_mode,
    ]


def _print_persistent_volume_claim(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    phase = "Terminating" if _deleting(obj) else _s(status.get("phase"))
    vac = "<unset>" if spec.get("volumeAttributesClassName") is None else _s(spec.get("volumeAttributesClassName"))
    capacity = ""
    access_modes = ""
    if _s(spec.get("volumeName")) != "":
        access_modes = _access_modes(status.get("accessModes"))
        capacity = _quantity(_m(status.get("capacity")).get("storage"))
    volume_mode = "<unset>" if spec.get("volumeMode") is None else _s(spec.get("volumeMode"))
    return [
        _name(obj),
        phase,
        _s(spec.get("volumeName")),
        capacity,
        access_modes,
        _storage_class_of(obj),
        vac,
        _age(obj, now),
        volume_mode,
    ]


def _print_storage_class(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    name = _name(obj)
    annotations = _m(_meta(obj).get("annotations"))
    if any(annotations.get(a) == "true" for a in _IS_DEFAULT_STORAGE_CLASS_ANNOTATIONS):
        name += " (default)"
    reclaim = "Delete" if obj.get("reclaimPolicy") is None else _s(obj.get("reclaimPolicy"))
    binding = "Immediate" if obj.get("volumeBindingMode") is None else _s(obj.get("volumeBindingMode"))
    expansion = bool(obj.get("allowVolumeExpansion")) if obj.get("allowVolumeExpansion") is not None else False
    return [name, _s(obj.get("provisioner")), reclaim, binding, expansion, _age(obj, now)]


def _print_volume_attributes_class(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    name = _name(obj)
    if _m(_meta(obj).get("annotations")).get(_IS_DEFAULT_VAC_ANNOTATION) == "true":
        name += " (default)"
    return [name, _s(obj.get("driverName")), _age(obj, now)]


def _print_volume_attachment(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    pv = _s(_m(spec.get("source")).get("persistentVolumeName"))
    attached = _m(obj.get("status")).get("attached") is True
    return [_name(obj), _s(spec.get("attacher")), pv, _s(spec.get("nodeName")), attached, _age(obj, now)]


def _print_csi_node(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_l(_m(obj.get("spec")).get("drivers"))), _age(obj, now)]


def _print_csi_driver(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    attach_required = True if spec.get("attachRequired") is None else spec.get("attachRequired") is True
    modes = ",".join(_s(m) for m in _l(spec.get("volumeLifecycleModes"))) or "<none>"
    token_requests = "<unset>"
    if spec.get("tokenRequests") is not None:
        token_requests = ",".join(_s(_m(t).get("audience")) for t in _l(spec.get("tokenRequests")))
    return [
        _name(obj),
        attach_required,
        spec.get("podInfoOnMount") is True,
        spec.get("storageCapacity") is True,
        token_requests,
        spec.get("requiresRepublish") is True,
        modes,
        _age(obj, now),
    ]


# --------------------------------------------------------------------------------------------------------------
# Autoscaling


def _hpa_as_v2(obj: Mapping[str, Any]) -> Tuple[Sequence[Any], Sequence[Any]]:
    """spec.metrics and status.currentMetrics; autoscaling/v1 objects are converted as upstream does."""
    spec = _m(obj.get("spec"))
    status = _m(obj.get("status"))
    if obj.get("apiVersion") != "autoscaling/v1":
        return _l(spec.get("metrics")), _l(status.get("currentMetrics"))
    metrics: List[Any] = []
    current: List[Any] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        target = {"type": "Utilization", "averageUtilization": spec.get("targetCPUUtilizationPercentage")}
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": target}})
    if status.get("currentCPUUtilizationPercentage") is not None:
        value = {"averageUtilization": status.get("currentCPUUtilizationPercentage")}
        current.append({"type": "Resource", "resource": {"name": "cpu", "current": value}})
    return metrics, current


def _format_hpa_metrics(specs: Sequence[Any], statuses: Sequence[Any]) -> str:
    if not specs:
        return "<none>"
    items: List[str] = []
    max_items = 2
    count = 0

    def status_of(i: int, field: str) -> Optional[Mapping[str, Any]]:
        if len(statuses) > i and _m(statuses[i]).get(field) is not None:
            return _m(_m(statuses[i]).get(field))
        return None

    for i, s in enumerate(specs):
        spec = _m(s)
        metric_type = spec.get("type")
        if metric_type in ("External", "Object"):
            field = "external" if metric_type == "External" else "object"
            target = _m(_m(spec.get(field)).get("target"))
            st = status_of(i, field)
            if target.get("averageValue") is not None:
                current = "<unknown>"
                if st is not None and _m(st.get("current")).get("averageValue") is not None:
                    current = _quantity(_m(st.get("current")).get("averageValue"))
                items.append(f"{current}/{_quantity(target.get('averageValue'))} (avg)")
            else:
                current = "<unknown>"
                if st is not None:
                    current = _quantity_ptr(_m(st.get("current")).get("value"))
                items.append(f"{current}/{_quantity_ptr(target.get('value'))}")
        elif metric_type == "Pods":
            target = _m(_m(spec.get("pods")).get("target"))
            st = status_of(i, "pods")
            current = "<unknown>"
            if st is not None:
                current = _quantity_ptr(_m(st.get("current")).get("averageValue"))
            items.append(f"{current}/{_quantity_ptr(target.get('averageValue'))}")
        elif metric_type in ("Resource", "ContainerResource"):
            field = "resource" if metric_type == "Resource" else "containerResource"
            source = _m(spec.get(field))
            target = _m(source.get("target"))
            st = status_of(i, field)
            if target.get("averageValue") is not None:
                current = "<unknown>"
                if st is not None:
                    current = _quantity_ptr(_m(st.get("current")).get("averageValue"))
                items.append(f"{_s(source.get('name'))}: {current}/{_quantity(target.get('averageValue'))}")
            else:
                current = "<unknown>"
                if st is not None and _m(st.get("current")).get("averageUtilization") is not None:
                    current = f"{_i(_m(st.get('current')).get('averageUtilization'))}%"
                target_text = "<auto>"
                if target.get("averageUtilization") is not None:
                    target_text = f"{_i(target.get('averageUtilization'))}%"
                items.append(f"{_s(source.get('name'))}: {current}/{target_text}")
        else:
            items.append("<unknown type>")
        count += 1
    more = False
    if count > max_items:
        items = items[:max_items]
        more = True
    ret = ", ".join(items)
    if more:
        return f"{ret} + {count - max_items} more..."
    return ret


def _print_horizontal_pod_autoscaler(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    ref = _m(spec.get("scaleTargetRef"))
    metrics, current = _hpa_as_v2(obj)
    min_pods = "<unset>" if spec.get("minReplicas") is None else f"{_i(spec.get('minReplicas'))}"
    return [
        _name(obj),
        f"{_s(ref.get('kind'))}/{_s(ref.get('name'))}",
        _format_hpa_metrics(metrics, current),
        min_pods,
        _i(spec.get("maxReplicas")),
        _i(_m(obj.get("status")).get("currentReplicas")),
        _age(obj, now),
    ]


# --------------------------------------------------------------------------------------------------------------
# RBAC, certificates, coordination, scheduling, node


def _subjects_strings(subjects: Any) -> Tuple[List[str], List[str], List[str]]:
    users: List[str] = []
    groups: List[str] = []
    sas: List[str] = []
    for s in _l(subjects):
        subject = _m(s)
        kind = subject.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{_s(subject.get('namespace'))}/{_s(subject.get('name'))}")
        elif kind == "User":
            users.append(_s(subject.get("name")))
        elif kind == "Group":
            groups.append(_s(subject.get("name")))
    return users, groups, sas


def _print_role_binding(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    ref = _m(obj.get("roleRef"))
    cells: List[Any] = [_name(obj), f"{_s(ref.get('kind'))}/{_s(ref.get('name'))}", _age(obj, now)]
    if wide:
        users, groups, sas = _subjects_strings(obj.get("subjects"))
        cells += [", ".join(users), ", ".join(groups), ", ".join(sas)]
    return cells


def _extract_csr_status(obj: Mapping[str, Any]) -> str:
    approved = denied = failed = False
    status = _m(obj.get("status"))
    for c in _l(status.get("conditions")):
        t = _m(c).get("type")
        if t == "Approved":
            approved = True
        elif t == "Denied":
            denied = True
        elif t == "Failed":
            failed = True
    if denied:
        text = "Denied"
    elif approved:
        text = "Approved"
    else:
        text = "Pending"
    if failed:
        text += ",Failed"
    if _s(status.get("certificate")) != "":
        text += ",Issued"
    return text


def _print_certificate_signing_request(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    signer = _s(spec.get("signerName")) or "<none>"
    requested = "<none>"
    if spec.get("expirationSeconds") is not None:
        requested = human_duration(timedelta(seconds=_i(spec.get("expirationSeconds"))))
    return [_name(obj), _age(obj, now), signer, _s(spec.get("username")), requested, _extract_csr_status(obj)]


def _print_cluster_trust_bundle(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _s(_m(obj.get("spec")).get("signerName")) or "<none>"]


def _print_lease(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _s(_m(obj.get("spec")).get("holderIdentity")), _age(obj, now)]


def _print_lease_candidate(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    return [
        _name(obj),
        _s(spec.get("leaseName")),
        _s(spec.get("binaryVersion")),
        _s(spec.get("emulationVersion")),
        _age(obj, now),
    ]


def _print_priority_class(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    cells: List[Any] = [_name(obj), _i(obj.get("value")), obj.get("globalDefault") is True, _age(obj, now)]
    if wide:
        cells.append(_s(obj.get("preemptionPolicy")))
    return cells


def _print_runtime_class(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _s(obj.get("handler")), _age(obj, now)]


# --------------------------------------------------------------------------------------------------------------
# Admission, API priority and fairness, storage versions, dynamic resource allocation, aggregation


def _print_webhook_configuration(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_l(obj.get("webhooks"))), _age(obj, now)]


def _param_kind(obj: Mapping[str, Any]) -> str:
    kind = _m(obj.get("spec")).get("paramKind")
    if kind is None:
        return "<unset>"
    return _s(_m(kind).get("apiVersion")) + "/" + _s(_m(kind).get("kind"))


def _print_validating_admission_policy(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_l(_m(obj.get("spec")).get("validations"))), _param_kind(obj), _age(obj, now)]


def _print_mutating_admission_policy(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), len(_l(_m(obj.get("spec")).get("mutations"))), _param_kind(obj), _age(obj, now)]


def _print_admission_policy_binding(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    param_name = "<unset>"
    if spec.get("paramRef") is not None:
        ref = _m(spec.get("paramRef"))
        if _s(ref.get("name")) != "":
            if _s(ref.get("namespace")) != "":
                param_name = _s(ref.get("namespace")) + "/" + _s(ref.get("name"))
            else:
                # Can't tell from here if param is cluster-scoped, so all params without names get * namespace
                param_name = "*/" + _s(ref.get("name"))
        elif ref.get("selector") is not None:
            param_name = _label_selector_go_string(ref.get("selector"))
    return [_name(obj), _s(spec.get("policyName")), param_name, _age(obj, now)]


def _print_flow_schema(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    method = "<none>"
    if spec.get("distinguisherMethod") is not None:
        method = _s(_m(spec.get("distinguisherMethod")).get("type"))
    bad_pl_ref = "?"
    for c in _l(_m(obj.get("status")).get("conditions")):
        cond = _m(c)
        if cond.get("type") == "Dangling":
            bad_pl_ref = _s(cond.get("status"))
            break
    return [
        _name(obj),
        _s(_m(spec.get("priorityLevelConfiguration")).get("name")),
        _i(spec.get("matchingPrecedence")),
        method,
        _age(obj, now),
        bad_pl_ref,
    ]


def _print_priority_level_configuration(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    ncs: Any = "<none>"
    queues: Any = "<none>"
    hand_size: Any = "<none>"
    queue_length_limit: Any = "<none>"
    if spec.get("limited") is not None:
        limited = _m(spec.get("limited"))
        ncs = _i(limited.get("nominalConcurrencyShares"))
        queuing = _m(limited.get("limitResponse")).get("queuing")
        if queuing is not None:
            q = _m(queuing)
            queues = _i(q.get("queues"))
            hand_size = _i(q.get("handSize"))
            queue_length_limit = _i(q.get("queueLengthLimit"))
    return [_name(obj), _s(spec.get("type")), ncs, queues, hand_size, queue_length_limit, _age(obj, now)]


def _print_storage_version(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    status = _m(obj.get("status"))
    common = "<unset>" if status.get("commonEncodingVersion") is None else _s(status.get("commonEncodingVersion"))
    items: List[str] = []
    max_items = 3
    more = False
    count = 0
    for sv in _l(status.get("storageVersions")):
        v = _m(sv)
        if len(items) < max_items:
            items.append(f"{_s(v.get('apiServerID'))}={_s(v.get('encodingVersion'))}")
        elif len(items) == max_items:
            more = True
        count += 1
    return [_name(obj), common, _list_with_more_string(items, more, count, max_items), _age(obj, now)]


def _print_storage_version_migration(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    r = _m(_m(obj.get("spec")).get("resource"))
    return [_name(obj), f"{_s(r.get('resource'))}.{_s(r.get('version'))}.{_s(r.get('group'))}"]


def _print_name_age(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    return [_name(obj), _age(obj, now)]


def _print_resource_claim(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    status = _m(obj.get("status"))
    states: List[str] = []
    if _deleting(obj):
        states.append("deleted")
    if status.get("allocation") is None:
        if not _deleting(obj):
            states.append("pending")
    else:
        states.append("allocated")
        if _l(status.get("reservedFor")):
            states.append("reserved")
    return [_name(obj), ",".join(states), _age(obj, now)]


def _print_resource_slice(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    spec = _m(obj.get("spec"))
    return [
        _name(obj),
        _s(spec.get("nodeName")),
        _s(spec.get("driver")),
        _s(_m(spec.get("pool")).get("name")),
        _age(obj, now),
    ]


def _print_api_service(obj: Mapping[str, Any], now: datetime, wide: bool) -> List[Any]:
    # k8s.io/kube-aggregator pkg/registry/apiservice/etcd (*REST).ConvertToTable
    spec = _m(obj.get("spec"))
    service = "Local"
    if spec.get("service") is not None:
        svc = _m(spec.get("service"))
        service = f"{_s(svc.get('namespace'))}/{_s(svc.get('name'))}"
    status = "Unknown"
    for c in _l(_m(obj.get("status")).get("conditions")):
        cond = _m(c)
        if cond.get("type") == "Available":
            if cond.get("status") == "True":
                status = "True"
            elif _s(cond.get("reason")) != "":
                status = f"{_s(cond.get('status'))} ({_s(cond.get('reason'))})"
            else:
                status = _s(cond.get("status"))
            break
    return [_name(obj), service, status, _age(obj, now)]


_APISERVICE_COLUMNS: Tuple[_Col, ...] = (
    ("Name", "string", "name", _NAME_DESC, 0),
    ("Service", "string", "", "The reference to the service that hosts this API endpoint.", 0),
    ("Available", "string", "", "Whether this service is available.", 0),
    ("Age", "string", "", _AGE_DESC, 0),
)


# --------------------------------------------------------------------------------------------------------------
# Registry: (group, kind) -> (column definitions, print function)

_Printer = Callable[[Mapping[str, Any], datetime, bool], List[Any]]

_PRINTER_TABLE: Dict[Tuple[str, str], Tuple[str, _Printer]] = {
    ("", "Pod"): ("Pod", _print_pod),
    ("", "PodTemplate"): ("PodTemplate", _print_pod_template),
    ("", "ReplicationController"): ("ReplicationController", _print_replication_controller),
    ("", "Service"): ("Service", _print_service),
    ("", "Endpoints"): ("Endpoints", _print_endpoints),
    ("", "Node"): ("Node", _print_node),
    ("", "Event"): ("Event", _print_event),
    ("", "Namespace"): ("Namespace", _print_namespace),
    ("", "Secret"): ("Secret", _print_secret),
    ("", "ServiceAccount"): ("ServiceAccount", _print_service_account),
    ("", "PersistentVolume"): ("PersistentVolume", _print_persistent_volume),
    ("", "PersistentVolumeClaim"): ("PersistentVolumeClaim", _print_persistent_volume_claim),
    ("", "ComponentStatus"): ("ComponentStatus", _print_component_status),
    ("", "ConfigMap"): ("ConfigMap", _print_config_map),
    ("", "ResourceQuota"): ("ResourceQuota", _print_resource_quota),
    ("apps", "Deployment"): ("Deployment", _print_deployment),
    ("apps", "ReplicaSet"): ("ReplicaSet", _print_replica_set),
    ("apps", "StatefulSet"): ("StatefulSet", _print_stateful_set),
    ("apps", "DaemonSet"): ("DaemonSet", _print_daemon_set),
    ("apps", "ControllerRevision"): ("ControllerRevision", _print_controller_revision),
    ("batch", "Job"): ("Job", _print_job),
    ("batch", "CronJob"): ("CronJob", _print_cron_job),
    ("autoscaling", "HorizontalPodAutoscaler"): ("HorizontalPodAutoscaler", _print_horizontal_pod_autoscaler),
    ("policy", "PodDisruptionBudget"): ("PodDisruptionBudget", _print_pod_disruption_budget),
    ("networking.k8s.io", "Ingress"): ("Ingress", _print_ingress),
    ("networking.k8s.io", "IngressClass"): ("IngressClass", _print_ingress_class),
    ("networking.k8s.io", "NetworkPolicy"): ("NetworkPolicy", _print_network_policy),
    ("networking.k8s.io", "ServiceCIDR"): ("ServiceCIDR", _print_service_cidr),
    ("networking.k8s.io", "IPAddress"): ("IPAddress", _print_ip_address),
    ("discovery.k8s.io", "EndpointSlice"): ("EndpointSlice", _print_endpoint_slice),
    ("events.k8s.io", "Event"): ("Event", _print_events_event),
    ("rbac.authorization.k8s.io", "RoleBinding"): ("RoleBinding", _print_role_binding),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): ("ClusterRoleBinding", _print_role_binding),
    ("certificates.k8s.io", "CertificateSigningRequest"): (
        "CertificateSigningRequest",
        _print_certificate_signing_request,
    ),
    ("certificates.k8s.io", "ClusterTrustBundle"): ("ClusterTrustBundle", _print_cluster_trust_bundle),
    ("coordination.k8s.io", "Lease"): ("Lease", _print_lease),
    ("coordination.k8s.io", "LeaseCandidate"): ("LeaseCandidate", _print_lease_candidate),
    ("storage.k8s.io", "StorageClass"): ("StorageClass", _print_storage_class),
    ("storage.k8s.io", "VolumeAttributesClass"): ("VolumeAttributesClass", _print_volume_attributes_class),
    ("storage.k8s.io", "VolumeAttachment"): ("VolumeAttachment", _print_volume_attachment),
    ("storage.k8s.io", "CSINode"): ("CSINode", _print_csi_node),
    ("storage.k8s.io", "CSIDriver"): ("CSIDriver", _print_csi_driver),
    # CSIStorageCapacity has a printer upstream, but its store registers rest.NewDefaultTableConvertor.
    ("scheduling.k8s.io", "PriorityClass"): ("PriorityClass", _print_priority_class),
    ("node.k8s.io", "RuntimeClass"): ("RuntimeClass", _print_runtime_class),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): (
        "MutatingWebhookConfiguration",
        _print_webhook_configuration,
    ),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): (
        "ValidatingWebhookConfiguration",
        _print_webhook_configuration,
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): (
        "ValidatingAdmissionPolicy",
        _print_validating_admission_policy,
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"): (
        "ValidatingAdmissionPolicyBinding",
        _print_admission_policy_binding,
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"): (
        "MutatingAdmissionPolicy",
        _print_mutating_admission_policy,
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"): (
        "MutatingAdmissionPolicyBinding",
        _print_admission_policy_binding,
    ),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): ("FlowSchema", _print_flow_schema),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): (
        "PriorityLevelConfiguration",
        _print_priority_level_configuration,
    ),
    ("internal.apiserver.k8s.io", "StorageVersion"): ("StorageVersion", _print_storage_version),
    ("storagemigration.k8s.io", "StorageVersionMigration"): (
        "StorageVersionMigration",
        _print_storage_version_migration,
    ),
    ("resource.k8s.io", "DeviceClass"): ("DeviceClass", _print_name_age),
    ("resource.k8s.io", "ResourceClaim"): ("ResourceClaim", _print_resource_claim),
    ("resource.k8s.io", "ResourceClaimTemplate"): ("ResourceClaimTemplate", _print_name_age),
    ("resource.k8s.io", "ResourceSlice"): ("ResourceSlice", _print_resource_slice),
    ("apiregistration.k8s.io", "APIService"): ("APIService", _print_api_service),
}
_PRINTERS: Mapping[Tuple[str, str], Tuple[str, _Printer]] = MappingProxyType(_PRINTER_TABLE)


_CORE_VERSION_RE = re.compile(r"^v\d+(?:(?:alpha|beta)\d+)?$")


def _normalize_group(group: str) -> str:
    group = group or ""
    if "/" in group:  # tolerate an apiVersion ("apps/v1") for a group
        group = group.split("/", 1)[0]
    elif _CORE_VERSION_RE.match(group):  # "v1": the core group's apiVersion
        group = ""
    return "" if group == "core" else group


def _columns_for(key: str) -> Tuple[_Col, ...]:
    if key == "APIService":
        return _APISERVICE_COLUMNS
    return _COLUMN_DEFS[key]


def _as_dict(col: _Col) -> Dict[str, Any]:
    name, typ, fmt, description, priority = col
    return {"name": name, "type": typ, "format": fmt, "description": description, "priority": priority}


def has_printer(group: str, kind: str) -> bool:
    """Whether upstream prints this kind with a dedicated table printer (else the default table is used)."""
    return (_normalize_group(group), kind) in _PRINTERS


def default_table_columns(group: str) -> List[Dict[str, Any]]:
    """The default table of a kind without printer: built-in groups get ``Name``/``Created At``, others (custom
    resources without additional printer columns) ``Name``/``Age``."""
    if _normalize_group(group) in _BUILTIN_GROUPS:
        return [_as_dict(c) for c in _DEFAULT_COLUMNS]
    return [_as_dict(c) for c in _CUSTOM_RESOURCE_COLUMNS]


def table_columns(group: str, kind: str, *, wide: bool = True) -> List[Dict[str, Any]]:
    """metav1.TableColumnDefinition dicts (name, type, format, description, priority) for a kind.

    ``wide=False`` drops the priority > 0 columns, as upstream's table generator does without ``-o wide``.
    """
    entry = _PRINTERS.get((_normalize_group(group), kind))
    if entry is None:
        return default_table_columns(group)
    return [_as_dict(c) for c in _columns_for(entry[0]) if wide or c[4] == 0]


def table_cells(group: str, kind: str, obj: Mapping[str, Any], now: datetime, *, wide: bool = True) -> List[Any]:
    """The cells of one Table row for ``obj``, in the order of ``table_columns(group, kind)``.

    ``now`` is the reference time for ages (naive datetimes are taken as UTC). Numbers are ints, booleans bools.
    """
    g = _normalize_group(group)
    entry = _PRINTERS.get((g, kind))
    obj = _m(obj)
    if entry is not None:
        return entry[1](obj, now, wide)
    if g in _BUILTIN_GROUPS:
        return [_name(obj), _rfc3339_utc(_meta(obj).get("creationTimestamp"))]
    created = _meta(obj).get("creationTimestamp")
    if created is None:
        return [_name(obj), None]
    if _parse_time(created) is None and created not in ("", _ZERO_TIME_RFC3339):
        return [_name(obj), "<invalid>"]
    return [_name(obj), translate_timestamp_since(created, now)]
