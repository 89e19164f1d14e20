"""Table printers: cases ported from upstream's printers_test.go and duration_test.go (Kubernetes 1.32).

Upstream's tests call each printX with GenerateOptions{} (narrow) or {Wide: true}; here ``wide=False`` and the
default (wide, as the API server prints) stand for them. Times are relative to a fixed ``NOW``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from apiserver.apis import printers
from apiserver.apis.printers import (
    format_label_selector,
    format_labels,
    has_printer,
    human_duration,
    row_conditions,
    table_cells,
    table_columns,
    translate_timestamp_since,
)

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def ts(delta: timedelta = timedelta(0)) -> str:
    """An RFC 3339 timestamp ``delta`` after NOW (metav1.Time / MicroTime as served)."""
    t = NOW + delta
    if t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ALMOST_NOW = ts(timedelta(seconds=1.9))  # time.Now().Add(1.9e9): prints as "0s"
FIVE_MIN_AGO = ts(timedelta(seconds=-300))  # time.Now().Add(-3e11)
TEN_YEARS_AGO = ts(timedelta(days=-3650))


def meta(name: str = "", created: str = None, **extra) -> dict:
    m = {"name": name}
    if created is not None:
        m["creationTimestamp"] = created
    m.update(extra)
    return {"metadata": m}


def cells(group, kind, obj, wide=True):
    return table_cells(group, kind, obj, NOW, wide=wide)


# ----------------------------------------------------------------------------------------------------------------
# duration.HumanDuration, translateTimestampSince

S, M, H, D = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
MS, US = timedelta(milliseconds=1), timedelta(microseconds=1)


@pytest.mark.parametrize(
    "d,want",
    [
        (S, "1s"),
        (70 * S, "70s"),
        (190 * S, "3m10s"),
        (70 * M, "70m"),
        (47 * H, "47h"),
        (49 * H, "2d1h"),
        ((8 * 24 + 2) * H, "8d"),
        (367 * 24 * H, "367d"),
        ((365 * 2 * 24 + 25) * H, "2y1d"),
        ((365 * 8 * 24 + 2) * H, "8y"),
        # boundaries
        (-2 * S, "<invalid>"),
        (-2 * S + US, "0s"),
        (timedelta(0), "0s"),
        (S - MS, "0s"),
        (59 * S, "59s"),
        (2 * M - MS, "119s"),
        (2 * M, "2m"),
        (2 * M + S, "2m1s"),
        (10 * M - MS, "9m59s"),
        (10 * M, "10m"),
        (10 * M + S, "10m"),
        (3 * H - MS, "179m"),
        (3 * H, "3h"),
        (3 * H + M, "3h1m"),
        (4 * H, "4h"),
        (8 * H - MS, "7h59m"),
        (8 * H, "8h"),
        (8 * H + 59 * M, "8h"),
        (2 * D - MS, "47h"),
        (2 * D, "2d"),
        (2 * D + H, "2d1h"),
        (3 * D, "3d"),
        (8 * D - MS, "7d23h"),
        (8 * D, "8d"),
        (8 * D + 23 * H, "8d"),
        (2 * 365 * D - MS, "729d"),
        (2 * 365 * D, "2y"),
        (2 * 365 * D + 23 * H, "2y"),
        (2 * 365 * D + 23 * H + 59 * M, "2y"),
        (2 * 365 * D + D - MS, "2y"),
        (2 * 365 * D + D, "2y1d"),
        (3 * 365 * D, "3y"),
        (7 * 365 * D, "7y"),
        (8 * 365 * D - MS, "7y364d"),
        (8 * 365 * D, "8y"),
        (8 * 365 * D + 364 * D, "8y"),
        (9 * 365 * D, "9y"),
    ],
)
def test_human_duration(d, want):
    assert human_duration(d) == want


@pytest.mark.parametrize(
    "timestamp,want",
    [
        (ts(timedelta(seconds=2.1)), "<invalid>"),  # a while from now
        (ts(timedelta(seconds=1.9)), "0s"),  # almost now
        (ts(), "0s"),
        (None, "<unknown>"),
        ("", "<unknown>"),
        ("0001-01-01T00:00:00Z", "<unknown>"),
        (ts(timedelta(seconds=-30)), "30s"),
        (ts(timedelta(seconds=-300)), "5m"),
        (ts(timedelta(seconds=-6000)), "100m"),  # an hour ago
        (ts(-2 * D), "2d"),
        (ts(-90 * D), "90d"),
        (TEN_YEARS_AGO, "10y"),
        ("2024-06-01T13:59:00+02:00", "60s"),  # offsets are honoured
        ("2024-06-01T11:59:58.123456Z", "1s"),  # MicroTime
    ],
)
def test_translate_timestamp_since(timestamp, want):
    assert translate_timestamp_since(timestamp, NOW) == want


def test_naive_now_is_utc():
    naive = NOW.replace(tzinfo=None)
    assert translate_timestamp_since(ts(timedelta(seconds=-300)), naive) == "5m"


# ----------------------------------------------------------------------------------------------------------------
# Column definitions

ALL_PRINTED = sorted(printers._PRINTERS)
NO_AGE_UPSTREAM = {
    ("", "PodTemplate"),
    ("", "ComponentStatus"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("networking.k8s.io", "IPAddress"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
}


@pytest.mark.parametrize("group,kind", ALL_PRINTED, ids=["/".join(k) for k in ALL_PRINTED])
def test_every_kind_has_name_and_age(group, kind):
    cols = table_columns(group, kind)
    names = [c["name"] for c in cols]
    assert "Name" in names
    for c in cols:
        assert set(c) == {"name", "type", "format", "description", "priority"}
        assert c["type"] in ("string", "integer", "boolean", "date")
        assert c["priority"] in (0, 1)
    name_col = cols[names.index("Name")]
    if kind != "StorageVersionMigration":  # upstream forgot Format: "name" there
        assert name_col["format"] == "name"
    assert name_col["description"].startswith("Name must be unique within a namespace.")
    if (group, kind) in NO_AGE_UPSTREAM:
        assert "Age" not in names
    elif kind == "Event":  # events are aged by their last occurrence
        assert "Age" not in names and names[0] == "Last Seen"
    else:
        age = cols[names.index("Age")]
        assert age["type"] == "string"
        assert age["description"].startswith("CreationTimestamp is a timestamp representing the server time")


@pytest.mark.parametrize("group,kind", ALL_PRINTED, ids=["/".join(k) for k in ALL_PRINTED])
def test_every_kind_cells_match_columns(group, kind):
    for obj in ({}, {"metadata": {"name": "x", "creationTimestamp": FIVE_MIN_AGO}}, {"spec": None, "status": None}):
        row = table_cells(group, kind, obj, NOW)
        assert len(row) == len(table_columns(group, kind)), row
        for cell in row:
            assert cell is None or isinstance(cell, (str, int, bool))


@pytest.mark.parametrize(
    "group,kind", [("rbac.authorization.k8s.io", "Role"), ("", "LimitRange"), ("example.com", "Widget")]
)
def test_default_kinds_cells_match_columns(group, kind):
    obj = meta("x", FIVE_MIN_AGO)
    assert not has_printer(group, kind)
    assert len(table_cells(group, kind, obj, NOW)) == len(table_columns(group, kind)) == 2


def test_pod_columns():
    assert table_columns("", "Pod") == [
        {"name": "Name", "type": "string", "format": "name", "description": printers._NAME_DESC, "priority": 0},
        {
            "name": "Ready",
            "type": "string",
            "format": "",
            "description": "The aggregate readiness state of this pod for accepting traffic.",
            "priority": 0,
        },
        {
            "name": "Status",
            "type": "string",
            "format": "",
            "description": "The aggregate status of the containers in this pod.",
            "priority": 0,
        },
        {
            "name": "Restarts",
            "type": "string",
            "format": "",
            "description": "The number of times the containers in this pod have been restarted and when the last "
            "container in this pod has restarted.",
            "priority": 0,
        },
        {"name": "Age", "type": "string", "format": "", "description": printers._AGE_DESC, "priority": 0},
        {
            "name": "IP",
            "type": "string",
            "format": "",
            "description": "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
            "yet allocated.",
            "priority": 1,
        },
        {
            "name": "Node",
            "type": "string",
            "format": "",
            "description": printers._COLUMN_DEFS["Pod"][6][3],
            "priority": 1,
        },
        {
            "name": "Nominated Node",
            "type": "string",
            "format": "",
            "description": printers._COLUMN_DEFS["Pod"][7][3],
            "priority": 1,
        },
        {
            "name": "Readiness Gates",
            "type": "string",
            "format": "",
            "description": printers._COLUMN_DEFS["Pod"][8][3],
            "priority": 1,
        },
    ]
    assert printers._NAME_DESC.endswith("working-with-objects/names#names")
    assert "in UTC.\n\nPopulated by the system." in printers._AGE_DESC
    assert [c["name"] for c in table_columns("", "Pod", wide=False)] == ["Name", "Ready", "Status", "Restarts", "Age"]


@pytest.mark.parametrize(
    "group,kind,names",
    [
        ("apps", "Deployment", ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]),
        ("apps", "ReplicaSet", ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"]),
        (
            "",
            "ReplicationController",
            ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
        ),
        ("apps", "StatefulSet", ["Name", "Ready", "Age", "Containers", "Images"]),
        (
            "apps",
            "DaemonSet",
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        ("", "Service", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]),
        ("", "Endpoints", ["Name", "Endpoints", "Age"]),
        (
            "",
            "Node",
            [
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime",
            ],
        ),
        ("", "Namespace", ["Name", "Status", "Age"]),
        ("", "ConfigMap", ["Name", "Data", "Age"]),
        ("", "Secret", ["Name", "Type", "Data", "Age"]),
        ("", "ServiceAccount", ["Name", "Secrets", "Age"]),
        (
            "",
            "Event",
            ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"],
        ),
        (
            "events.k8s.io",
            "Event",
            ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"],
        ),
        ("batch", "Job", ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]),
        (
            "batch",
            "CronJob",
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        ("coordination.k8s.io", "Lease", ["Name", "Holder", "Age"]),
        (
            "",
            "PersistentVolume",
            [
                "Name",
                "Capacity",
                "Access Modes",
                "Reclaim Policy",
                "Status",
                "Claim",
                "StorageClass",
                "VolumeAttributesClass",
                "Reason",
                "Age",
                "VolumeMode",
            ],
        ),
        (
            "",
            "PersistentVolumeClaim",
            [
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age",
                "VolumeMode",
            ],
        ),
        ("networking.k8s.io", "Ingress", ["Name", "Class", "Hosts", "Address", "Ports", "Age"]),
        ("networking.k8s.io", "IngressClass", ["Name", "Controller", "Parameters", "Age"]),
        ("networking.k8s.io", "NetworkPolicy", ["Name", "Pod-Selector", "Age"]),
        ("policy", "PodDisruptionBudget", ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]),
        (
            "autoscaling",
            "HorizontalPodAutoscaler",
            ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
        ),
        ("", "ResourceQuota", ["Name", "Request", "Limit", "Age"]),
        (
            "rbac.authorization.k8s.io",
            "RoleBinding",
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"],
        ),
        (
            "rbac.authorization.k8s.io",
            "ClusterRoleBinding",
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"],
        ),
        (
            "storage.k8s.io",
            "StorageClass",
            ["Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"],
        ),
        ("scheduling.k8s.io", "PriorityClass", ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]),
        ("discovery.k8s.io", "EndpointSlice", ["Name", "AddressType", "Ports", "Endpoints", "Age"]),
        ("apps", "ControllerRevision", ["Name", "Controller", "Revision", "Age"]),
        ("", "PodTemplate", ["Name", "Containers", "Images", "Pod Labels"]),
        ("apiregistration.k8s.io", "APIService", ["Name", "Service", "Available", "Age"]),
    ],
)
def test_column_names(group, kind, names):
    assert [c["name"] for c in table_columns(group, kind)] == names


def test_column_types_priorities_and_descriptions():
    def col(group, kind, name):
        return next(c for c in table_columns(group, kind) if c["name"] == name)

    assert col("", "Pod", "Restarts")["type"] == "string"
    assert col("apps", "ReplicaSet", "Desired")["type"] == "integer"
    assert col("apps", "ReplicaSet", "Selector")["priority"] == 1
    assert col("batch", "CronJob", "Suspend")["type"] == "boolean"
    assert col("scheduling.k8s.io", "PriorityClass", "Global-Default")["type"] == "boolean"
    assert col("scheduling.k8s.io", "PriorityClass", "PreemptionPolicy")["priority"] == 0
    assert col("", "Event", "Name")["priority"] == 1 and col("", "Event", "Name")["format"] == "name"
    assert col("", "Event", "Object")["description"] == "The object that this event is about."
    assert col("", "Event", "Last Seen")["description"] == (
        "The time at which the most recent occurrence of this event was recorded."
    )
    assert col("", "Node", "Status")["description"] == "The status of the node"
    assert col("", "Node", "Version")["description"] == "Kubelet Version reported by the node."
    assert col("", "Service", "Type")["description"].startswith("type determines how the Service is exposed.")
    assert col("", "ConfigMap", "Data")["description"].startswith("Data contains the configuration data.")
    assert col("coordination.k8s.io", "Lease", "Holder")["description"].startswith(
        "holderIdentity contains the identity of the holder of a current lease."
    )
    assert col("apps", "ReplicaSet", "Desired")["description"].startswith("Replicas is the number of desired replicas.")
    assert col("node.k8s.io", "RuntimeClass", "Handler")["description"] == ""  # ObjectMeta has no "handler"


def test_default_table_columns():
    builtin = table_columns("rbac.authorization.k8s.io", "Role")
    assert builtin == [
        {"name": "Name", "type": "string", "format": "name", "description": printers._NAME_DESC, "priority": 0},
        {"name": "Created At", "type": "date", "format": "", "description": printers._AGE_DESC, "priority": 0},
    ]
    assert table_columns("", "LimitRange") == builtin
    assert table_columns("rbac.authorization.k8s.io", "ClusterRole") == builtin
    assert table_columns("storage.k8s.io", "CSIStorageCapacity") == builtin
    assert table_columns("apiextensions.k8s.io", "CustomResourceDefinition") == builtin
    custom = table_columns("stable.example.com", "CronTab")
    assert [c["name"] for c in custom] == ["Name", "Age"]
    assert custom[1]["type"] == "date"


def test_default_table_cells():
    obj = {"metadata": {"name": "admin", "creationTimestamp": "2024-05-31T14:00:00+02:00"}}
    assert cells("rbac.authorization.k8s.io", "Role", obj) == ["admin", "2024-05-31T12:00:00Z"]
    assert cells("", "LimitRange", {"metadata": {"name": "lr"}}) == ["lr", "0001-01-01T00:00:00Z"]
    assert cells("stable.example.com", "CronTab", obj) == ["admin", "24h"]
    assert cells("stable.example.com", "CronTab", {"metadata": {"name": "c"}}) == ["c", None]
    assert cells("stable.example.com", "CronTab", {"metadata": {"name": "c", "creationTimestamp": "x"}}) == [
        "c",
        "<invalid>",
    ]


def test_has_printer_and_group_spellings():
    assert has_printer("", "Pod")
    assert has_printer("core", "Pod")
    assert has_printer("v1", "Pod")
    assert has_printer("apps/v1", "Deployment")
    assert has_printer("events.k8s.io", "Event")
    assert not has_printer("apps", "Pod")
    assert not has_printer("rbac.authorization.k8s.io", "Role")
    assert not has_printer("rbac.authorization.k8s.io", "ClusterRole")
    assert not has_printer("", "LimitRange")
    assert not has_printer("storage.k8s.io", "CSIStorageCapacity")
    assert not has_printer("v2ray.example", "Pod")


# ----------------------------------------------------------------------------------------------------------------
# Pods (TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide, TestPrintNonTerminatedPod)


def running(ready=False, restarts=0, finished=None):
    cs = {"ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if finished is not None:
        cs["lastState"] = {"terminated": {"finishedAt": finished}}
    return cs


def pod(name, containers=1, init=0, status=None, **meta_extra):
    obj = meta(name, **meta_extra)
    obj["spec"] = {"containers": [{"name": f"c{i}"} for i in range(containers)]}
    if isinstance(init, int):
        if init:
            obj["spec"]["initContainers"] = [{"name": f"i{i}"} for i in range(init)]
    else:
        obj["spec"]["initContainers"] = init
    obj["status"] = status or {}
    return obj


TEN_S_AGO = ts(-10 * S)
ALWAYS = "Always"


@pytest.mark.parametrize(
    "obj,want",
    [
        (  # name, num of containers, restarts, container ready status
            pod("test1", 2, status={"phase": "podPhase", "containerStatuses": [running(True, 3), {"restartCount": 3}]}),
            ["test1", "1/2", "podPhase", "6", "<unknown>"],
        ),
        (  # container error overwrites pod phase
            pod(
                "test2",
                2,
                status={
                    "phase": "podPhase",
                    "containerStatuses": [
                        running(True, 3),
                        {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                    ],
                },
            ),
            ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>"],
        ),
        (  # terminated state; the first container overwrites the rest
            pod(
                "test3",
                2,
                status={
                    "phase": "podPhase",
                    "containerStatuses": [
                        {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                        {"state": {"terminated": {"reason": "ContainerTerminatedReason"}}, "restartCount": 3},
                    ],
                },
            ),
            ["test3", "0/2", "ContainerWaitingReason", "6", "<unknown>"],
        ),
        (  # ready is not enough for reporting running
            pod(
                "test4",
                2,
                status={
                    "phase": "podPhase",
                    "containerStatuses": [running(True, 3), {"ready": True, "restartCount": 3}],
                },
            ),
            ["test4", "1/2", "podPhase", "6", "<unknown>"],
        ),
        (
            pod(
                "test5",
                2,
                status={
                    "reason": "podReason",
                    "phase": "podPhase",
                    "containerStatuses": [running(True, 3), {"ready": True, "restartCount": 3}],
                },
            ),
            ["test5", "1/2", "podReason", "6", "<unknown>"],
        ),
        (  # one running, one completed, w/o ready condition
            pod(
                "test6",
                2,
                status={
                    "phase": "Running",
                    "containerStatuses": [
                        {"ready": True, "restartCount": 3, "state": {"terminated": {"reason": "Completed"}}},
                        running(True, 3),
                    ],
                },
            ),
            ["test6", "1/2", "NotReady", "6", "<unknown>"],
        ),
        (  # one running, one completed, with ready condition
            pod(
                "test6",
                2,
                status={
                    "phase": "Running",
                    "containerStatuses": [
                        {
                            "ready": True,
                            "restartCount": 3,
                            "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                        },
                        running(True, 3),
                    ],
                    "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": ts()}],
                },
            ),
            ["test6", "1/2", "Running", "6", "<unknown>"],
        ),
        (  # 1 init container restarting and 1 container not running
            pod(
                "test7",
                1,
                1,
                status={
                    "phase": "podPhase",
                    "initContainerStatuses": [running(False, 3, TEN_S_AGO)],
                    "containerStatuses": [{"ready": False, "restartCount": 0, "state": {"waiting": {}}}],
                },
            ),
            ["test7", "0/1", "Init:0/1", "3 (10s ago)", "<unknown>"],
        ),
        (  # 2 init containers, one restarting and the other not running
            pod(
                "test8",
                1,
                2,
                status={
                    "phase": "podPhase",
                    "initContainerStatuses": [running(False, 3, TEN_S_AGO), {"state": {"waiting": {}}}],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                },
            ),
            ["test8", "0/1", "Init:0/2", "3 (10s ago)", "<unknown>"],
        ),
        (  # 2 init containers, one completed without restarts and the other restarting
            pod(
                "test9",
                1,
                2,
                status={
                    "phase": "podPhase",
                    "initContainerStatuses": [{"state": {"terminated": {}}}, running(False, 3, TEN_S_AGO)],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                },
            ),
            ["test9", "0/1", "Init:1/2", "3 (10s ago)", "<unknown>"],
        ),
        (  # 2 init containers, one completed with restarts and the other restarting
            pod(
                "test10",
                1,
                2,
                status={
                    "phase": "podPhase",
                    "initContainerStatuses": [
                        {
                            "restartCount": 2,
                            "state": {"terminated": {}},
                            "lastState": {"terminated": {"finishedAt": ts(-2 * M)}},
                        },
                        running(False, 3, TEN_S_AGO),
                    ],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                },
            ),
            ["test10", "0/1", "Init:1/2", "5 (10s ago)", "<unknown>"],
        ),
        (  # 1 init container completed with restarts and one container restarting
            pod(
                "test11",
                1,
                1,
                status={
                    "phase": "Running",
                    "initContainerStatuses": [
                        {
                            "restartCount": 2,
                            "state": {"terminated": {}},
                            "lastState": {"terminated": {"finishedAt": ts(-2 * M)}},
                        }
                    ],
                    "containerStatuses": [running(False, 4, ts(-20 * S))],
                },
            ),
            ["test11", "0/1", "Running", "4 (20s ago)", "<unknown>"],
        ),
        (  # 1 container that restarted 5d ago
            pod("test12", 1, status={"phase": "Running", "containerStatuses": [running(True, 3, ts(-5 * D))]}),
            ["test12", "1/1", "Running", "3 (5d ago)", "<unknown>"],
        ),
        (  # 2 containers, one never restarted, the other restarted 10d ago
            pod(
                "test13",
                2,
                status={"phase": "Running", "containerStatuses": [running(True, 0), running(True, 3, ts(-10 * D))]},
            ),
            ["test13", "2/2", "Running", "3 (10d ago)", "<unknown>"],
        ),
        (  # 2 containers, one restarted 5d ago and the other restarted 20d ago
            pod(
                "test14",
                2,
                status={
                    "phase": "Running",
                    "containerStatuses": [running(True, 6, ts(-5 * D)), running(True, 3, ts(-20 * D))],
                },
            ),
            ["test14", "2/2", "Running", "9 (5d ago)", "<unknown>"],
        ),
        (  # PodScheduled condition with reason SchedulingGated
            pod(
                "test15",
                2,
                status={
                    "phase": "podPhase",
                    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
                },
            ),
            ["test15", "0/2", "SchedulingGated", "0", "<unknown>"],
        ),
        (  # succeeded
            pod(
                "test16",
                status={
                    "phase": "Succeeded",
                    "containerStatuses": [{"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}],
                },
            ),
            ["test16", "0/1", "Completed", "0", "<unknown>"],
        ),
        (  # failed
            pod(
                "test17",
                status={
                    "phase": "Failed",
                    "containerStatuses": [{"state": {"terminated": {"reason": "Error", "exitCode": 1}}}],
                },
            ),
            ["test17", "0/1", "Error", "0", "<unknown>"],
        ),
        (  # succeeded with deletion
            pod(
                "test18",
                status={
                    "phase": "Succeeded",
                    "containerStatuses": [{"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}],
                },
                deletionTimestamp=TEN_S_AGO,
            ),
            ["test18", "0/1", "Completed", "0", "<unknown>"],
        ),
        (  # running with deletion
            pod(
                "test19",
                status={"phase": "Running", "containerStatuses": [running(False, 0)]},
                deletionTimestamp=TEN_S_AGO,
            ),
            ["test19", "0/1", "Terminating", "0", "<unknown>"],
        ),
        (  # pending with deletion
            pod("test20", status={"phase": "Pending"}, deletionTimestamp=TEN_S_AGO),
            ["test20", "0/1", "Terminating", "0", "<unknown>"],
        ),
        (  # non-terminated phases print as they are
            pod("test21", 2, status={"phase": "Pending", "containerStatuses": [running(True, 3), {"restartCount": 3}]}),
            ["test21", "1/2", "Pending", "6", "<unknown>"],
        ),
        (
            pod("test22", 2, status={"phase": "Unknown", "containerStatuses": [running(True, 3), {"restartCount": 3}]}),
            ["test22", "1/2", "Unknown", "6", "<unknown>"],
        ),
    ],
)
def test_print_pod(obj, want):
    assert cells("", "Pod", obj, wide=False) == want


def test_print_pod_status_reasons():
    # NodeLost: the node controller sets status.reason; once deleted the pod is Unknown.
    lost = pod("lost", status={"phase": "Running", "reason": "NodeLost"})
    assert cells("", "Pod", lost, wide=False)[2] == "NodeLost"
    lost["metadata"]["deletionTimestamp"] = TEN_S_AGO
    assert cells("", "Pod", lost, wide=False)[2] == "Unknown"
    back_off = pod(
        "crash",
        status={
            "phase": "Running",
            "containerStatuses": [
                {
                    "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"finishedAt": ts(-90 * S), "exitCode": 1}},
                }
            ],
        },
        created=ts(-3 * H),
    )
    assert cells("", "Pod", back_off, wide=False) == ["crash", "0/1", "CrashLoopBackOff", "7 (90s ago)", "3h"]
    signal = pod("sig", status={"phase": "Running", "containerStatuses": [{"state": {"terminated": {"signal": 9}}}]})
    assert cells("", "Pod", signal, wide=False)[2] == "Signal:9"
    code = pod("code", status={"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 2}}}]})
    assert cells("", "Pod", code, wide=False)[2] == "ExitCode:2"
    init_signal = pod(
        "is", init=1, status={"initContainerStatuses": [{"state": {"terminated": {"signal": 15, "exitCode": 143}}}]}
    )
    assert cells("", "Pod", init_signal, wide=False)[2] == "Init:Signal:15"
    init_code = pod("ic", init=1, status={"initContainerStatuses": [{"state": {"terminated": {"exitCode": 3}}}]})
    assert cells("", "Pod", init_code, wide=False)[2] == "Init:ExitCode:3"
    init_error = pod(
        "ie", init=1, status={"initContainerStatuses": [{"state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
    )
    assert cells("", "Pod", init_error, wide=False)[2] == "Init:Error"
    init_waiting = pod(
        "iw", init=2, status={"initContainerStatuses": [{"state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
    )
    assert cells("", "Pod", init_waiting, wide=False)[2] == "Init:ImagePullBackOff"
    pod_initializing = pod(
        "pi", init=2, status={"initContainerStatuses": [{"state": {"waiting": {"reason": "PodInitializing"}}}]}
    )
    assert cells("", "Pod", pod_initializing, wide=False)[2] == "Init:0/2"


def sidecars(*names):
    return [{"name": n, "restartPolicy": ALWAYS} for n in names]


@pytest.mark.parametrize(
    "obj,want",
    [
        (  # 2 restartable init containers, the first one running but not started
            pod(
                "test1",
                1,
                sidecars("restartable-init-1", "restartable-init-2"),
                status={
                    "phase": "Pending",
                    "initContainerStatuses": [
                        dict(running(False, 3, TEN_S_AGO), name="restartable-init-1", started=False),
                        {"name": "restartable-init-2", "state": {"waiting": {}}, "started": False},
                    ],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                    "conditions": [{"type": "Initialized", "status": "False"}],
                },
            ),
            ["test1", "0/3", "Init:0/2", "3 (10s ago)", "<unknown>"],
        ),
        (  # the first one started and the second one running but not started
            pod(
                "test1",
                1,
                sidecars("restartable-init-1", "restartable-init-2"),
                status={
                    "phase": "Pending",
                    "initContainerStatuses": [
                        dict(running(False, 3, TEN_S_AGO), name="restartable-init-1", started=True),
                        {"name": "restartable-init-2", "state": {"running": {}}, "started": False},
                    ],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                    "conditions": [{"type": "Initialized", "status": "False"}],
                },
            ),
            ["test1", "0/3", "Init:1/2", "3 (10s ago)", "<unknown>"],
        ),
        (  # 2 restartable init containers started and 1 container running
            pod(
                "test2",
                1,
                sidecars("restartable-init-1", "restartable-init-2"),
                status={
                    "phase": "Running",
                    "initContainerStatuses": [
                        dict(running(False, 3, TEN_S_AGO), name="restartable-init-1", started=True),
                        {"name": "restartable-init-2", "state": {"running": {}}, "started": True},
                    ],
                    "containerStatuses": [running(True, 4, ts(-20 * S))],
                    "conditions": [{"type": "Initialized", "status": "True"}],
                },
            ),
            ["test2", "1/3", "Running", "7 (10s ago)", "<unknown>"],
        ),
        (  # 2 restartable init containers completed with non-zero and 1 container completed
            pod(
                "test3",
                1,
                sidecars("restartable-init-1", "restartable-init-2"),
                status={
                    "phase": "Succeeded",
                    "initContainerStatuses": [
                        {
                            "name": "restartable-init-1",
                            "restartCount": 3,
                            "state": {"terminated": {"reason": "Error", "exitCode": 137}},
                            "started": False,
                            "lastState": {"terminated": {"finishedAt": TEN_S_AGO}},
                        },
                        {
                            "name": "restartable-init-2",
                            "state": {"terminated": {"reason": "Error", "exitCode": 137}},
                            "started": False,
                        },
                    ],
                    "containerStatuses": [
                        {
                            "restartCount": 4,
                            "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                            "lastState": {"terminated": {"finishedAt": ts(-20 * S)}},
                        }
                    ],
                    "conditions": [{"type": "Initialized", "status": "True"}],
                },
            ),
            ["test3", "0/3", "Completed", "7 (10s ago)", "<unknown>"],
        ),
        (  # container statuses for non-existent init containers and containers
            pod(
                "test4",
                1,
                [{"name": "init1", "image": "initimage"}, {"name": "sidecar1", "image": "s", "restartPolicy": ALWAYS}],
                status={
                    "phase": "Running",
                    "initContainerStatuses": [{"name": "initinvalid"}, {"name": "init1"}, {"name": "sidecar1"}],
                    "containerStatuses": [{"name": "containerinvalid"}, {"name": "container1"}],
                },
            ),
            ["test4", "0/2", "Init:0/2", "0", "<unknown>"],
        ),
    ],
)
def test_print_pod_with_restartable_init_container(obj, want):
    assert cells("", "Pod", obj, wide=False) == want


def readiness_pod(name, pod_ips, pod_ip=None):
    status = {
        "conditions": [{"type": "condition1", "status": "False"}, {"type": "condition2", "status": "True"}],
        "phase": "podPhase",
        "podIPs": [{"ip": ip} for ip in pod_ips],
        "containerStatuses": [running(True, 3), {"restartCount": 3}],
        "nominatedNodeName": "node1",
    }
    if pod_ip:
        status["podIP"] = pod_ip
    obj = pod(name, 2, status=status)
    obj["spec"]["nodeName"] = "test1"
    obj["spec"]["readinessGates"] = [{"conditionType": f"condition{i}"} for i in (1, 2, 3)]
    return obj


def test_print_pod_wide():
    want = ["test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"]
    assert cells("", "Pod", readiness_pod("test1", ["1.1.1.1"])) == want
    assert cells("", "Pod", readiness_pod("test1", ["1.1.1.1", "2001:db8::"])) == want
    assert cells("", "Pod", readiness_pod("test1", [], pod_ip="1.1.1.1")) == want
    none = pod(
        "test2",
        2,
        status={
            "phase": "podPhase",
            "containerStatuses": [
                running(True, 3),
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
            ],
        },
    )
    assert cells("", "Pod", none) == [
        "test2",
        "1/2",
        "ContainerWaitingReason",
        "6",
        "<unknown>",
        "<none>",
        "<none>",
        "<none>",
        "<none>",
    ]


def test_pod_row_conditions():
    status = {"containerStatuses": [running(True, 3), {"restartCount": 3}]}
    assert row_conditions("", "Pod", pod("a", 2, status=dict(status, phase="Running"))) == []
    assert row_conditions("", "Pod", pod("a", 2, status=dict(status, phase="Succeeded"))) == [
        {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
    ]
    assert row_conditions("", "Pod", pod("a", 2, status=dict(status, phase="Failed"))) == [
        {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
    ]
    assert cells("", "Pod", pod("a", 2, status=dict(status, phase="Succeeded")), wide=False)[2] == "Succeeded"
    assert row_conditions("apps", "Deployment", {}) == []


def test_print_pod_template():
    def template(name, containers, labels=None):
        return {
            "metadata": {"name": name},
            "template": {"metadata": {"name": name, "labels": labels}, "spec": {"containers": containers}},
        }

    assert cells("", "PodTemplate", template("pod-template-1", [])) == ["pod-template-1", "", "", "<none>"]
    two = [{"name": "fake-container1", "image": "fake-image1"}, {"name": "fake-container2", "image": "fake-image2"}]
    assert cells("", "PodTemplate", template("pod-template-2", two)) == [
        "pod-template-2",
        "fake-container1,fake-container2",
        "fake-image1,fake-image2",
        "<none>",
    ]
    assert cells("", "PodTemplate", template("pod-template-3", [], {"foo": "bar"})) == [
        "pod-template-3",
        "",
        "",
        "foo=bar",
    ]


# ----------------------------------------------------------------------------------------------------------------
# Workloads

TWO_CONTAINERS = {
    "spec": {
        "containers": [
            {"name": "fake-container1", "image": "fake-image1"},
            {"name": "fake-container2", "image": "fake-image2"},
        ]
    }
}
FOO_BAR = {"matchLabels": {"foo": "bar"}}


def test_print_deployment():
    obj = dict(
        meta("test1", ALMOST_NOW),
        spec={"replicas": 5, "template": TWO_CONTAINERS, "selector": FOO_BAR},
        status={"replicas": 10, "updatedReplicas": 2, "availableReplicas": 1, "unavailableReplicas": 4},
    )
    assert cells("apps", "Deployment", obj, wide=False) == ["test1", "0/5", 2, 1, "0s"]
    assert cells("apps", "Deployment", obj) == [
        "test1",
        "0/5",
        2,
        1,
        "0s",
        "fake-container1,fake-container2",
        "fake-image1,fake-image2",
        "foo=bar",
    ]
    obj["spec"]["selector"] = None
    assert cells("apps", "Deployment", obj)[-1] == ""
    obj["spec"]["selector"] = {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}
    assert cells("apps", "Deployment", obj)[-1] == "<invalid>"


def test_print_daemon_set():
    obj = dict(
        meta("test1", ALMOST_NOW),
        spec={"template": TWO_CONTAINERS, "selector": FOO_BAR},
        status={
            "currentNumberScheduled": 2,
            "desiredNumberScheduled": 3,
            "numberReady": 1,
            "updatedNumberScheduled": 2,
            "numberAvailable": 0,
        },
    )
    assert cells("apps", "DaemonSet", obj, wide=False) == ["test1", 3, 2, 1, 2, 0, "<none>", "0s"]
    assert cells("apps", "DaemonSet", obj) == [
        "test1",
        3,
        2,
        1,
        2,
        0,
        "<none>",
        "0s",
        "fake-container1,fake-container2",
        "fake-image1,fake-image2",
        "foo=bar",
    ]
    obj["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    assert cells("apps", "DaemonSet", obj)[6] == "kubernetes.io/os=linux"


def test_print_replica_set():
    obj = dict(
        meta("test1", ALMOST_NOW),
        spec={"replicas": 5, "template": TWO_CONTAINERS, "selector": FOO_BAR},
        status={"replicas": 5, "readyReplicas": 2},
    )
    assert cells("apps", "ReplicaSet", obj, wide=False) == ["test1", 5, 5, 2, "0s"]
    assert cells("apps", "ReplicaSet", obj) == [
        "test1",
        5,
        5,
        2,
        "0s",
        "fake-container1,fake-container2",
        "fake-image1,fake-image2",
        "foo=bar",
    ]
    second = dict(meta("replicaset2", ALMOST_NOW), spec={"replicas": 4}, status={"replicas": 3, "readyReplicas": 1})
    assert cells("apps", "ReplicaSet", second, wide=False) == ["replicaset2", 4, 3, 1, "0s"]
    assert cells("apps", "ReplicaSet", second)[5:] == ["", "", "<none>"]


def test_print_replication_controller():
    template = {
        "metadata": {"labels": {"a": "b"}},
        "spec": {"containers": [{"name": "test", "image": "test_image", "imagePullPolicy": "IfNotPresent"}]},
    }
    rc = dict(
        meta("rc1", namespace="test-namespace"), spec={"replicas": 0, "selector": {"a": "b"}, "template": template}
    )
    assert cells("", "ReplicationController", rc, wide=False) == ["rc1", 0, 0, 0, "<unknown>"]
    rc["spec"]["replicas"] = 5
    rc["status"] = {"replicas": 3, "readyReplicas": 1}
    assert cells("", "ReplicationController", rc, wide=False) == ["rc1", 5, 3, 1, "<unknown>"]
    assert cells("", "ReplicationController", rc) == ["rc1", 5, 3, 1, "<unknown>", "test", "test_image", "a=b"]
    bookmark = {"metadata": {"annotations": {"k8s.io/initial-events-end": "true"}}, "spec": {"replicas": 0}}
    assert cells("", "ReplicationController", bookmark) == ["", 0, 0, 0, "<unknown>", "", "", "<none>"]


def test_print_stateful_set():
    obj = dict(
        meta("test1", ALMOST_NOW),
        spec={"replicas": 5, "template": TWO_CONTAINERS},
        status={"replicas": 5, "readyReplicas": 2},
    )
    assert cells("apps", "StatefulSet", obj, wide=False) == ["test1", "2/5", "0s"]
    assert cells("apps", "StatefulSet", obj) == [
        "test1",
        "2/5",
        "0s",
        "fake-container1,fake-container2",
        "fake-image1,fake-image2",
    ]


JOB_TEMPLATE = {
    "spec": {
        "containers": [
            {"name": "fake-job-container1", "image": "fake-job-image1"},
            {"name": "fake-job-container2", "image": "fake-job-image2"},
        ]
    }
}


def job(name, created=ALMOST_NOW, spec=None, status=None, **extra):
    return dict(meta(name, created, **extra), spec=spec or {}, status=status or {})


@pytest.mark.parametrize(
    "obj,want",
    [
        (
            job(
                "job1",
                spec={"completions": 2, "template": JOB_TEMPLATE, "selector": {"matchLabels": {"job-label": "v"}}},
                status={"succeeded": 1},
            ),
            ["job1", "Running", "1/2", "", "0s"],
        ),
        (job("job2", TEN_YEARS_AGO), ["job2", "Running", "0/1", "", "10y"]),
        (  # with duration
            job("job3", TEN_YEARS_AGO, status={"startTime": ts(M), "completionTime": ts(31 * M)}),
            ["job3", "Running", "0/1", "30m", "10y"],
        ),
        (job("job4", TEN_YEARS_AGO, status={"startTime": ts(-20 * M)}), ["job4", "Running", "0/1", "20m", "10y"]),
        (
            job("job5", status={"conditions": [{"type": "Complete", "status": "True"}]}),
            ["job5", "Complete", "0/1", "", "0s"],
        ),
        (
            job("job6", status={"conditions": [{"type": "Failed", "status": "True"}]}),
            ["job6", "Failed", "0/1", "", "0s"],
        ),
        (
            job("job7", status={"conditions": [{"type": "Suspended", "status": "True"}]}),
            ["job7", "Suspended", "0/1", "", "0s"],
        ),
        (
            job("job8", status={"conditions": [{"type": "FailureTarget", "status": "True"}]}),
            ["job8", "FailureTarget", "0/1", "", "0s"],
        ),
        (job("job9", deletionTimestamp=ALMOST_NOW), ["job9", "Terminating", "0/1", "", "0s"]),
        (job("job10", spec={"parallelism": 3}, status={"succeeded": 1}), ["job10", "Running", "1/1 of 3", "", "0s"]),
        (  # the first condition of a type decides
            job(
                "job11",
                status={
                    "conditions": [{"type": "Complete", "status": "False"}, {"type": "Complete", "status": "True"}]
                },
            ),
            ["job11", "Running", "0/1", "", "0s"],
        ),
    ],
)
def test_print_job(obj, want):
    assert cells("batch", "Job", obj, wide=False) == want


def test_print_job_wide():
    obj = job(
        "job1",
        spec={
            "completions": 2,
            "template": JOB_TEMPLATE,
            "selector": {"matchLabels": {"job-label": "job-label-value"}},
        },
        status={"succeeded": 1},
    )
    assert cells("batch", "Job", obj) == [
        "job1",
        "Running",
        "1/2",
        "",
        "0s",
        "fake-job-container1,fake-job-container2",
        "fake-job-image1,fake-job-image2",
        "job-label=job-label-value",
    ]


def cron_job(name, created, schedule="0/5 * * * ?", time_zone=None, last=None, active=0):
    spec = {
        "schedule": schedule,
        "suspend": False,
        "jobTemplate": {"spec": {"completions": 2, "template": JOB_TEMPLATE, "selector": {"matchLabels": {"a": "b"}}}},
    }
    if time_zone is not None:
        spec["timeZone"] = time_zone
    status = {"active": [{"name": f"j{i}"} for i in range(active)]}
    if last is not None:
        status["lastScheduleTime"] = last
    return dict(meta(name, created), spec=spec, status=status)


def test_print_cron_job():
    assert cells("batch", "CronJob", cron_job("cronjob1", ALMOST_NOW, last=ALMOST_NOW), wide=False) == [
        "cronjob1",
        "0/5 * * * ?",
        "<none>",
        "False",
        0,
        "0s",
        "0s",
    ]
    assert cells("batch", "CronJob", cron_job("cronjob1", ALMOST_NOW, time_zone="LOCAL", last=ALMOST_NOW))[2] == "LOCAL"
    assert cells("batch", "CronJob", cron_job("cronjob1", ALMOST_NOW, last=ALMOST_NOW)) == [
        "cronjob1",
        "0/5 * * * ?",
        "<none>",
        "False",
        0,
        "0s",
        "0s",
        "fake-job-container1,fake-job-container2",
        "fake-job-image1,fake-job-image2",
        "a=b",
    ]
    assert cells("batch", "CronJob", cron_job("cronjob2", FIVE_MIN_AGO, last=ts(-30 * S), active=2), wide=False) == [
        "cronjob2",
        "0/5 * * * ?",
        "<none>",
        "False",
        2,
        "30s",
        "5m",
    ]
    assert cells("batch", "CronJob", cron_job("cronjob3", FIVE_MIN_AGO), wide=False)[5:] == ["<none>", "5m"]
    unset = cron_job("cronjob4", FIVE_MIN_AGO)
    del unset["spec"]["suspend"]
    assert cells("batch", "CronJob", unset)[3] == "<unset>"


def test_print_controller_revision():
    def revision(name, revision, owners):
        return dict(meta(name, ALMOST_NOW, ownerReferences=owners), revision=revision)

    owner = {"controller": True, "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "foo"}
    assert cells("apps", "ControllerRevision", revision("test1", 1, [owner])) == [
        "test1",
        "daemonset.apps/foo",
        1,
        "0s",
    ]
    not_controller = {"controller": False, "kind": "ABC", "name": "foo"}
    assert cells("apps", "ControllerRevision", revision("test2", 2, [not_controller])) == ["test2", "<none>", 2, "0s"]
    assert cells("apps", "ControllerRevision", revision("test3", 3, [])) == ["test3", "<none>", 3, "0s"]
    assert cells("apps", "ControllerRevision", revision("test4", 4, None)) == ["test4", "<none>", 4, "0s"]
    core_owner = {"controller": True, "apiVersion": "v1", "kind": "Pod", "name": "p"}
    assert cells("apps", "ControllerRevision", revision("test5", 5, [core_owner]))[1] == "pod/p"


@pytest.mark.parametrize(
    "spec,want",
    [
        ({"minAvailable": 22}, ["pdb1", "22", "N/A", 5, "0s"]),
        ({"maxUnavailable": 11}, ["pdb1", "N/A", "11", 5, "0s"]),
        ({"maxUnavailable": "25%"}, ["pdb1", "N/A", "25%", 5, "0s"]),
    ],
)
def test_print_pod_disruption_budget(spec, want):
    obj = dict(meta("pdb1", ALMOST_NOW, namespace="ns1"), spec=spec, status={"disruptionsAllowed": 5})
    assert cells("policy", "PodDisruptionBudget", obj) == want


# ----------------------------------------------------------------------------------------------------------------
# Services and networking


def service(name, svc_type, ports=(), cluster_ips=("1.2.3.4",), external_ips=None, ingress=None, **spec_extra):
    spec = {"type": svc_type, "ports": list(ports), "clusterIPs": list(cluster_ips)}
    if external_ips is not None:
        spec["externalIPs"] = list(external_ips)
    spec.update(spec_extra)
    obj = dict(meta(name), spec=spec)
    if ingress is not None:
        obj["status"] = {"loadBalancer": {"ingress": ingress}}
    return obj


def tcp(port, protocol="TCP", **extra):
    return dict({"port": port, "protocol": protocol}, **extra)


def test_print_service_load_balancer():
    ports3 = [tcp(80), tcp(8090, "UDP"), tcp(8000)]
    svc = service("service1", "LoadBalancer", [tcp(80)], ingress=[{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}])
    assert cells("", "Service", svc, wide=False) == [
        "service1",
        "LoadBalancer",
        "1.2.3.4",
        "2.3.4.5,3.4.5.6",
        "80/TCP",
        "<unknown>",
    ]
    pending = service("service2", "LoadBalancer", [tcp(80), tcp(8090, "UDP"), tcp(8000), tcp(7777, "SCTP")])
    assert cells("", "Service", pending, wide=False)[3:5] == ["<pending>", "80/TCP,8090/UDP,8000/TCP,7777/SCTP"]
    single = service("service3", "LoadBalancer", ports3, ingress=[{"ip": "2.3.4.5"}])
    assert cells("", "Service", single, wide=False)[3:5] == ["2.3.4.5", "80/TCP,8090/UDP,8000/TCP"]
    # Long external IP lists are elided, except in wide output (the server always prints wide).
    ingress = [{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}, {"ip": "5.6.7.8", "hostname": "host5678"}]
    elided = service("service4", "LoadBalancer", ports3, selector={"foo": "bar"}, ingress=ingress)
    assert cells("", "Service", elided, wide=False)[3] == "2.3.4.5,3.4.5..."
    assert cells("", "Service", elided) == [
        "service4",
        "LoadBalancer",
        "1.2.3.4",
        "2.3.4.5,3.4.5.6,5.6.7.8",
        "80/TCP,8090/UDP,8000/TCP",
        "<unknown>",
        "foo=bar",
    ]
    hostname = service("service5", "LoadBalancer", [tcp(80)], ingress=[{"hostname": "lb.example.com"}])
    assert cells("", "Service", hostname)[3] == "lb.example.com"


def test_print_service():
    ext1, ext2 = ["80.11.12.10"], ["80.11.12.10", "80.11.12.11"]
    cluster = service("test1", "ClusterIP", [tcp(2233, "tcp")], ["10.9.8.7"], selector={"foo": "bar"})
    assert cells("", "Service", cluster, wide=False) == [
        "test1",
        "ClusterIP",
        "10.9.8.7",
        "<none>",
        "2233/tcp",
        "<unknown>",
    ]
    assert cells("", "Service", cluster) == [
        "test1",
        "ClusterIP",
        "10.9.8.7",
        "<none>",
        "2233/tcp",
        "<unknown>",
        "foo=bar",
    ]
    node_port = service("test2", "NodePort", [tcp(8888, "tcp", nodePort=9999)], ["10.9.8.7"])
    assert cells("", "Service", node_port, wide=False)[1:5] == ["NodePort", "10.9.8.7", "<none>", "8888:9999/tcp"]
    lb = service("test3", "LoadBalancer", [tcp(8888, "tcp")], ["10.9.8.7"])
    assert cells("", "Service", lb, wide=False)[3] == "<pending>"
    lb_ext = service("test4", "LoadBalancer", [tcp(8888, "tcp")], ["10.9.8.7"], ext1)
    assert cells("", "Service", lb_ext, wide=False)[3] == "80.11.12.10"
    lb_both = service(
        "test5", "LoadBalancer", [tcp(8888, "tcp")], ["10.9.8.7"], ext1, [{"ip": "3.4.5.6", "hostname": "t.c"}]
    )
    assert cells("", "Service", lb_both, wide=False)[3] == "3.4.5.6,80.11.12.10"
    lb_mul = service(
        "test6",
        "LoadBalancer",
        [tcp(8888, "tcp")],
        ["10.9.8.7"],
        ext2,
        [{"ip": "2.3.4.5", "hostname": "a"}, {"ip": "3.4.5.6", "hostname": "b"}],
    )
    assert cells("", "Service", lb_mul, wide=False)[3] == "2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11"
    ext_name = service("test7", "ExternalName", cluster_ips=(), externalName="my.database.example.com")
    del ext_name["spec"]["ports"]
    assert cells("", "Service", ext_name, wide=False) == [
        "test7",
        "ExternalName",
        "<none>",
        "my.database.example.com",
        "<none>",
        "<unknown>",
    ]
    # the served v1 object carries clusterIP too; it wins over clusterIPs[0], as in the v1 -> internal conversion
    headless = service("test8", "ClusterIP", [tcp(80)], cluster_ips=(), clusterIP="None")
    assert cells("", "Service", headless)[2] == "None"
    assert cells("", "Service", service("test9", "ClusterIP", cluster_ips=()))[2:5] == ["<none>", "<none>", "<none>"]


def test_print_endpoints():
    def endpoints(name, created, subsets=None):
        obj = meta(name, created)
        if subsets is not None:
            obj["subsets"] = subsets
        return obj

    assert cells("", "Endpoints", endpoints("endpoint1", ALMOST_NOW)) == ["endpoint1", "<none>", "0s"]
    two = [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}]
    assert cells("", "Endpoints", endpoints("endpoint3", FIVE_MIN_AGO, [{"addresses": two}])) == [
        "endpoint3",
        "1.2.3.4,5.6.7.8",
        "5m",
    ]
    port = [{"port": 8001, "protocol": "tcp"}]
    assert cells("", "Endpoints", endpoints("endpoint2", ALMOST_NOW, [{"addresses": two, "ports": port}])) == [
        "endpoint2",
        "1.2.3.4:8001,5.6.7.8:8001",
        "0s",
    ]
    four = two + [{"ip": "9.8.7.6"}, {"ip": "6.6.6.6"}]
    assert cells("", "Endpoints", endpoints("endpoint2", ALMOST_NOW, [{"addresses": four, "ports": port}])) == [
        "endpoint2",
        "1.2.3.4:8001,5.6.7.8:8001,9.8.7.6:8001 + 1 more...",
        "0s",
    ]
    v6 = [{"addresses": [{"ip": "2001:db8::1"}], "ports": [{"port": 443}]}]
    assert cells("", "Endpoints", endpoints("endpoint4", ALMOST_NOW, v6))[1] == "[2001:db8::1]:443"


def test_print_endpoint_slice():
    def eps(name, created, address_type, ports, endpoints):
        return dict(meta(name, created), addressType=address_type, ports=ports, endpoints=endpoints)

    def port(name, number):
        return {"name": name, "port": number, "protocol": "TCP"}

    addrs1 = {"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}
    addrs2 = {"addresses": ["10.2.3.4", "2001:db8::2345:6789"]}
    assert cells(
        "discovery.k8s.io", "EndpointSlice", eps("abcslice.123", ALMOST_NOW, "IPv4", [port("http", 80)], [addrs1])
    ) == [
        "abcslice.123",
        "IPv4",
        "80",
        "10.1.2.3,2001:db8::1234:5678",
        "0s",
    ]
    two_ports = [port("http", 80), port("https", 443)]
    assert cells(
        "discovery.k8s.io",
        "EndpointSlice",
        eps("longerslicename.123", FIVE_MIN_AGO, "IPv6", two_ports, [addrs1, addrs2]),
    ) == ["longerslicename.123", "IPv6", "80,443", "10.1.2.3,2001:db8::1234:5678,10.2.3.4 + 1 more...", "5m"]
    four_ports = two_ports + [port("extra1", 3000), port("extra2", 3001)]
    assert (
        cells(
            "discovery.k8s.io",
            "EndpointSlice",
            eps("multiportslice.123", FIVE_MIN_AGO, "IPv4", four_ports, [addrs1, addrs2]),
        )[2]
        == "80,443,3000 + 1 more..."
    )
    assert cells("discovery.k8s.io", "EndpointSlice", eps("empty", FIVE_MIN_AGO, "IPv4", [], [])) == [
        "empty",
        "IPv4",
        "<unset>",
        "<unset>",
        "5m",
    ]
    named = [{"name": "http"}, {}]
    assert cells("discovery.k8s.io", "EndpointSlice", eps("n", FIVE_MIN_AGO, "FQDN", named, []))[2] == "http,*"


def test_print_ingress():
    obj = dict(
        meta("test1", TEN_YEARS_AGO),
        spec={
            "ingressClassName": "foo",
            "defaultBackend": {"service": {"name": "default-backend", "port": {"name": "default-backend"}}},
        },
        status={"loadBalancer": {"ingress": [{"ip": "2.3.4.5", "hostname": "localhost.localdomain"}]}},
    )
    assert cells("networking.k8s.io", "Ingress", obj) == ["test1", "foo", "*", "2.3.4.5", "80", "10y"]
    obj["spec"] = {
        "rules": [{"host": "a.com"}, {"host": "b.com"}, {}, {"host": "c.com"}, {"host": "d.com"}],
        "tls": [{"hosts": ["a.com"]}],
    }
    assert cells("networking.k8s.io", "Ingress", obj)[1:5] == [
        "<none>",
        "a.com,b.com,c.com + 2 more...",
        "2.3.4.5",
        "80, 443",
    ]


def test_print_ingress_class():
    def ingress_class(name, created, controller, parameters=None):
        spec = {"controller": controller}
        if parameters is not None:
            spec["parameters"] = parameters
        return dict(meta(name, created), spec=spec)

    params = {"kind": "customgroup", "name": "example"}
    assert cells(
        "networking.k8s.io", "IngressClass", ingress_class("test1", TEN_YEARS_AGO, "example.com/controller", params)
    ) == [
        "test1",
        "example.com/controller",
        "customgroup/example",
        "10y",
    ]
    with_group = dict(params, apiGroup="example.com")
    assert cells("networking.k8s.io", "IngressClass", ingress_class("test1", TEN_YEARS_AGO, "c", with_group))[2] == (
        "customgroup.example.com/example"
    )
    assert cells("networking.k8s.io", "IngressClass", ingress_class("test2", ts(-11 * 365 * D), "c2")) == [
        "test2",
        "c2",
        "<none>",
        "11y",
    ]


def test_print_network_policy():
    assert cells("networking.k8s.io", "NetworkPolicy", dict(meta("policy1", ALMOST_NOW), spec={})) == [
        "policy1",
        "<none>",
        "0s",
    ]
    obj = dict(meta("policy2", ALMOST_NOW), spec={"podSelector": FOO_BAR})
    assert cells("networking.k8s.io", "NetworkPolicy", obj) == ["policy2", "foo=bar", "0s"]


def test_print_service_cidr_and_ip_address():
    cidr = dict(meta("test9"), spec={"cidrs": ["10.1.0.0/16", "fd00:1:1::/64"]})
    assert cells("networking.k8s.io", "ServiceCIDR", cidr) == ["test9", "10.1.0.0/16,fd00:1:1::/64", "<unknown>"]
    ref = {"group": "mygroup", "resource": "myresource", "namespace": "mynamespace", "name": "myname"}
    ip = dict(meta("192.168.2.2", TEN_YEARS_AGO), spec={"parentRef": ref})
    assert cells("networking.k8s.io", "IPAddress", ip) == ["192.168.2.2", "myresource.mygroup/mynamespace/myname"]
    core_ref = {"resource": "services", "name": "kubernetes"}
    ip = dict(meta("10.0.0.1"), spec={"parentRef": core_ref})
    assert cells("networking.k8s.io", "IPAddress", ip) == ["10.0.0.1", "services/kubernetes"]


# ----------------------------------------------------------------------------------------------------------------
# Nodes, namespaces, config


def node(name, conditions=None, unschedulable=False, labels=None, node_info=None, addresses=None):
    obj = meta(name)
    if labels:
        obj["metadata"]["labels"] = labels
    obj["spec"] = {"unschedulable": True} if unschedulable else {}
    status = {}
    if conditions is not None:
        status["conditions"] = conditions
    if node_info is not None:
        status["nodeInfo"] = node_info
    if addresses is not None:
        status["addresses"] = addresses
    obj["status"] = status
    return obj


READY = {"type": "Ready", "status": "True"}
NOT_READY = {"type": "Ready", "status": "False"}


@pytest.mark.parametrize(
    "obj,status",
    [
        (node("foo1", [READY]), "Ready"),
        (node("foo2", [READY], unschedulable=True), "Ready,SchedulingDisabled"),
        (node("foo3", [READY, READY]), "Ready"),
        (node("foo4", [NOT_READY]), "NotReady"),
        (node("foo5", [NOT_READY], unschedulable=True), "NotReady,SchedulingDisabled"),
        (node("foo6", [{"type": "InvalidValue", "status": "True"}]), "Unknown"),
        (node("foo7", [{}]), "Unknown"),
        (node("foo8", [{"type": "InvalidValue", "status": "True"}], unschedulable=True), "Unknown,SchedulingDisabled"),
        (node("foo9", [{}], unschedulable=True), "Unknown,SchedulingDisabled"),
        (node("foo10", [{"type": "Ready", "status": "Unknown"}]), "NotReady"),
    ],
)
def test_print_node_status(obj, status):
    assert cells("", "Node", obj, wide=False) == [obj["metadata"]["name"], status, "<none>", "<unknown>", ""]


def test_print_node_role():
    assert cells("", "Node", node("foo9"), wide=False) == ["foo9", "Unknown", "<none>", "<unknown>", ""]
    labels = {
        "node-role.kubernetes.io/master": "",
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/proxy": "",
        "kubernetes.io/role": "node",
    }
    assert cells("", "Node", node("foo10", labels=labels), wide=False)[2] == "control-plane,master,node,proxy"
    assert cells("", "Node", node("foo11", labels={"kubernetes.io/role": "node"}), wide=False)[2] == "node"
    assert cells("", "Node", node("foo12", labels={"node-role.kubernetes.io/": "x"}), wide=False)[2] == "<none>"


@pytest.mark.parametrize(
    "node_info,addresses,want",
    [
        (
            {"osImage": "fake-os-image"},
            [{"type": "ExternalIP", "address": "1.1.1.1"}],
            ["<none>", "1.1.1.1", "fake-os-image", "<unknown>", "<unknown>"],
        ),
        (
            {"kernelVersion": "fake-kernel-version"},
            [{"type": "ExternalIP", "address": "1.1.1.1"}],
            ["<none>", "1.1.1.1", "<unknown>", "fake-kernel-version", "<unknown>"],
        ),
        (
            {"containerRuntimeVersion": "foo://1.2.3"},
            [{"type": "ExternalIP", "address": "1.1.1.1"}],
            ["<none>", "1.1.1.1", "<unknown>", "<unknown>", "foo://1.2.3"],
        ),
        (
            {},
            [{"type": "InternalIP", "address": "1.1.1.1"}],
            ["1.1.1.1", "<none>", "<unknown>", "<unknown>", "<unknown>"],
        ),
        (
            {},
            [
                {"type": "ExternalIP", "address": "2.2.2.2"},
                {"type": "InternalIP", "address": "3.3.3.3"},
                {"type": "ExternalIP", "address": "4.4.4.4"},
            ],
            ["3.3.3.3", "2.2.2.2", "<unknown>", "<unknown>", "<unknown>"],
        ),
        (
            {},
            [
                {"type": "InternalIP", "address": "2.2.2.2"},
                {"type": "ExternalIP", "address": "3.3.3.3"},
                {"type": "InternalIP", "address": "4.4.4.4"},
            ],
            ["2.2.2.2", "3.3.3.3", "<unknown>", "<unknown>", "<unknown>"],
        ),
    ],
)
def test_print_node_wide(node_info, addresses, want):
    assert (
        cells("", "Node", node("foo1", node_info=node_info, addresses=addresses))
        == [
            "foo1",
            "Unknown",
            "<none>",
            "<unknown>",
            "",
        ]
        + want
    )


def test_print_node_name_and_version():
    assert cells("", "Node", node("127.0.0.1"), wide=False) == ["127.0.0.1", "Unknown", "<none>", "<unknown>", ""]
    assert cells("", "Node", node(""), wide=False)[0] == ""
    versioned = node("n", [READY], node_info={"kubeletVersion": "v1.32.0"})
    assert cells("", "Node", versioned, wide=False) == ["n", "Ready", "<none>", "<unknown>", "v1.32.0"]


def test_print_namespace():
    ns = dict(meta("namespace1", ALMOST_NOW), status={"phase": "FooStatus"})
    assert cells("", "Namespace", ns) == ["namespace1", "FooStatus", "0s"]
    assert cells("", "Namespace", meta("namespace2")) == ["namespace2", "", "<unknown>"]


def test_print_secret():
    token = "kubernetes.io/service-account-token"
    secret = dict(meta("secret1", ALMOST_NOW), type=token, data={"token": "c2VjcmV0IGRhdGE="})
    assert cells("", "Secret", secret) == ["secret1", token, 1, "0s"]
    assert cells("", "Secret", dict(meta("secret1", ALMOST_NOW), type=token)) == ["secret1", token, 0, "0s"]


def test_print_service_account():
    assert cells("", "ServiceAccount", dict(meta("sa1", ALMOST_NOW), secrets=[])) == ["sa1", 0, "0s"]
    two = dict(meta("sa1", ALMOST_NOW), secrets=[{"name": "Secret1"}, {"name": "Secret2"}])
    assert cells("", "ServiceAccount", two) == ["sa1", 2, "0s"]


def test_print_config_map():
    assert cells("", "ConfigMap", meta("configmap1", ALMOST_NOW)) == ["configmap1", 0, "0s"]
    assert cells("", "ConfigMap", dict(meta("configmap2", ALMOST_NOW), data={"foo": "bar"})) == ["configmap2", 1, "0s"]
    both = dict(meta("configmap3", ALMOST_NOW), data={"foo": "bar"}, binaryData={"bin": "YmluYXJ5IGRhdGE="})
    assert cells("", "ConfigMap", both) == ["configmap3", 2, "0s"]


def test_print_component_status():
    assert cells("", "ComponentStatus", dict(meta("cs1"), conditions=[])) == ["cs1", "Unknown", "", ""]
    healthy = {"type": "Healthy", "status": "True", "message": "test message", "error": "test error"}
    assert cells("", "ComponentStatus", dict(meta("cs2"), conditions=[healthy])) == [
        "cs2",
        "Healthy",
        "test message",
        "test error",
    ]
    unhealthy = dict(healthy, status="False")
    assert cells("", "ComponentStatus", dict(meta("cs3"), conditions=[unhealthy]))[1] == "Unhealthy"


def test_print_resource_quota():
    used = {
        "cpu": "1",
        "memory": "1Gi",
        "pods": "1",
        "services": "1",
        "replicationcontrollers": "1",
        "resourcequotas": "1",
        "limits.cpu": "2",
        "limits.memory": "2Gi",
    }
    hard = {
        "cpu": "100",
        "memory": "4Gi",
        "pods": "10",
        "services": "10",
        "replicationcontrollers": "10",
        "resourcequotas": "1",
        "limits.cpu": "200",
        "limits.memory": "8Gi",
    }
    obj = dict(meta("test-resourcequota", FIVE_MIN_AGO), spec={}, status={"used": used, "hard": hard})
    assert cells("", "ResourceQuota", obj) == [
        "test-resourcequota",
        "cpu: 1/100, memory: 1Gi/4Gi, pods: 1/10, replicationcontrollers: 1/10, resourcequotas: 1/1, services: 1/10",
        "limits.cpu: 2/200, limits.memory: 2Gi/8Gi",
        "5m",
    ]
    fresh = dict(meta("fresh", FIVE_MIN_AGO), status={"hard": {"pods": 10}})
    assert cells("", "ResourceQuota", fresh) == ["fresh", "pods: 0/10", "", "5m"]


# ----------------------------------------------------------------------------------------------------------------
# Events


def event(name, **fields):
    return dict(meta(name), **fields)


def test_print_event():
    three_days, two_days = ts(-3 * D), ts(-2 * D)
    deployment = {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"}
    basic = event(
        "event1",
        source={"component": "kubelet"},
        involvedObject={"kind": "Pod", "name": "Pod Name", "fieldPath": "spec.containers{foo}"},
        reason="Event Reason",
        message="Message Data",
        firstTimestamp=three_days,
        lastTimestamp=two_days,
        count=6,
        type="Normal",
    )
    assert cells("", "Event", basic, wide=False) == ["2d", "Normal", "Event Reason", "pod/Pod Name", "Message Data"]
    wide = event(
        "event2",
        source={"component": "kubelet", "host": "Node1"},
        involvedObject=deployment,
        reason="Event Reason",
        message="Message Data",
        firstTimestamp=three_days,
        lastTimestamp=two_days,
        count=6,
        type="Warning",
    )
    assert cells("", "Event", wide) == [
        "2d",
        "Warning",
        "Event Reason",
        "deployment/Deployment Name",
        "spec.containers{foo}",
        "kubelet, Node1",
        "Message Data",
        "3d",
        6,
        "event2",
    ]
    no_first = dict(wide, firstTimestamp=None, eventTime=three_days, lastTimestamp=three_days, count=1)
    assert cells("", "Event", no_first)[0] == "3d" and cells("", "Event", no_first)[7:9] == ["3d", 1]
    no_last = dict(wide, lastTimestamp=None, eventTime=three_days, firstTimestamp=three_days, count=1)
    assert cells("", "Event", no_last)[0] == "3d" and cells("", "Event", no_last)[7:9] == ["3d", 1]
    neither = dict(wide, lastTimestamp=None, firstTimestamp=None, eventTime=ts(-3 * D - 5 * US), count=1)
    assert cells("", "Event", neither)[0] == "3d" and cells("", "Event", neither)[7:9] == ["3d", 1]
    series = dict(neither, count=None, series={"count": 2, "lastObservedTime": two_days})
    assert cells("", "Event", series)[0] == "2d" and cells("", "Event", series)[7:9] == ["3d", 2]
    singleton = dict(neither, count=None)
    assert cells("", "Event", singleton)[8] == 1
    reporting = event(
        "event2",
        reportingComponent="kubelet",
        reportingInstance="test",
        involvedObject=deployment,
        reason="Event Reason",
        message="  Message Data\n",
        firstTimestamp=three_days,
        lastTimestamp=two_days,
        count=6,
        type="Warning",
    )
    assert cells("", "Event", reporting)[5:7] == ["kubelet, test", "Message Data"]
    assert cells("", "Event", event("e", involvedObject={"kind": "Node"}), wide=False) == [
        "<unknown>",
        "",
        "",
        "node",
        "",
    ]


def test_print_events_k8s_io_event():
    new_api = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "nginx.17e", "namespace": "default"},
        "eventTime": ts(-90 * S + 5 * US),
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-node1",
        "action": "Binding",
        "reason": "Scheduled",
        "regarding": {"kind": "Pod", "namespace": "default", "name": "nginx"},
        "note": "Successfully assigned default/nginx to node1",
        "type": "Normal",
    }
    assert cells("events.k8s.io", "Event", new_api) == [
        "89s",
        "Normal",
        "Scheduled",
        "pod/nginx",
        "",
        "default-scheduler, default-scheduler-node1",
        "Successfully assigned default/nginx to node1",
        "89s",
        1,
        "nginx.17e",
    ]
    deprecated = dict(
        new_api,
        deprecatedSource={"component": "kubelet", "host": "node1"},
        deprecatedFirstTimestamp=ts(-3 * D),
        deprecatedLastTimestamp=ts(-2 * D),
        deprecatedCount=4,
        series={"count": 7, "lastObservedTime": ts(-5 * M + 5 * US)},
    )
    assert cells("events.k8s.io", "Event", deprecated) == [
        "4m59s",
        "Normal",
        "Scheduled",
        "pod/nginx",
        "",
        "kubelet, node1",
        "Successfully assigned default/nginx to node1",
        "3d",
        7,
        "nginx.17e",
    ]


# ----------------------------------------------------------------------------------------------------------------
# Storage


def test_print_persistent_volume():
    claim_ref = {"name": "test", "namespace": "default"}

    def pv(name, phase, modes, capacity, storage_class=None, vac=None, **extra):
        spec = {"claimRef": claim_ref, "accessModes": modes, "capacity": {"storage": capacity}}
        if storage_class is not None:
            spec["storageClassName"] = storage_class
        if vac is not None:
            spec["volumeAttributesClassName"] = vac
        return dict(meta(name, **extra), spec=spec, status={"phase": phase})

    def row(name, size, modes, phase, sc="", vac="<unset>"):
        return [name, size, modes, "", phase, "default/test", sc, vac, "", "<unknown>", "<unset>"]

    assert cells("", "PersistentVolume", pv("test1", "Bound", ["ReadOnlyMany"], "4Gi")) == row(
        "test1", "4Gi", "ROX", "Bound"
    )
    assert cells("", "PersistentVolume", pv("test2", "Failed", ["ReadOnlyMany"], "4Gi")) == row(
        "test2", "4Gi", "ROX", "Failed"
    )
    assert cells("", "PersistentVolume", pv("test3", "Pending", ["ReadWriteMany"], "10Gi")) == row(
        "test3", "10Gi", "RWX", "Pending"
    )
    assert cells("", "PersistentVolume", pv("test4", "Pending", ["ReadWriteOnce"], "10Gi", "my-scn")) == row(
        "test4", "10Gi", "RWO", "Pending", "my-scn"
    )
    assert cells("", "PersistentVolume", pv("test4", "Pending", ["ReadWriteOnce"], "10Gi", "my-scn", "my-vacn")) == row(
        "test4", "10Gi", "RWO", "Pending", "my-scn", "my-vacn"
    )
    assert cells("", "PersistentVolume", pv("test5", "Available", ["ReadWriteOnce"], "10Gi", "my-scn")) == row(
        "test5", "10Gi", "RWO", "Available", "my-scn"
    )
    assert cells("", "PersistentVolume", pv("test6", "Released", ["ReadWriteOnce"], "10Gi", "my-scn")) == row(
        "test6", "10Gi", "RWO", "Released", "my-scn"
    )
    full = pv(
        "test7",
        "Bound",
        ["ReadWriteOncePod", "ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce"],
        "1Ti",
        "ignored",
        deletionTimestamp=TEN_S_AGO,
        annotations={"volume.beta.kubernetes.io/storage-class": "beta"},
    )
    full["spec"]["persistentVolumeReclaimPolicy"] = "Retain"
    full["spec"]["volumeMode"] = "Block"
    full["status"]["reason"] = "Because"
    assert cells("", "PersistentVolume", full) == [
        "test7",
        "1Ti",
        "RWO,ROX,RWX,RWOP",
        "Retain",
        "Terminating",
        "default/test",
        "beta",
        "<unset>",
        "Because",
        "<unknown>",
        "Block",
    ]
    assert cells("", "PersistentVolume", dict(meta("bare"), spec={}))[1:6] == ["0", "", "", "", ""]


def test_print_persistent_volume_claim():
    def pvc(name, phase, modes, capacity, volume="my-volume", mode="Filesystem", sc=None, vac=None):
        spec = {}
        if volume:
            spec["volumeName"] = volume
        if mode:
            spec["volumeMode"] = mode
        if sc is not None:
            spec["storageClassName"] = sc
        if vac is not None:
            spec["volumeAttributesClassName"] = vac
        status = {"phase": phase, "accessModes": modes, "capacity": {"storage": capacity}}
        return dict(meta(name), spec=spec, status=status)

    claim = "PersistentVolumeClaim"
    assert cells("", claim, pvc("test1", "Bound", ["ReadOnlyMany"], "4Gi")) == [
        "test1",
        "Bound",
        "my-volume",
        "4Gi",
        "ROX",
        "",
        "<unset>",
        "<unknown>",
        "Filesystem",
    ]
    assert cells("", claim, pvc("test2", "Lost", ["ReadOnlyMany"], "4Gi", volume="")) == [
        "test2",
        "Lost",
        "",
        "",
        "",
        "",
        "<unset>",
        "<unknown>",
        "Filesystem",
    ]
    assert cells("", claim, pvc("test3", "Pending", ["ReadWriteMany"], "10Gi"))[1:5] == [
        "Pending",
        "my-volume",
        "10Gi",
        "RWX",
    ]
    assert cells("", claim, pvc("test4", "Pending", ["ReadWriteOnce"], "10Gi", sc="my-scn"))[4:] == [
        "RWO",
        "my-scn",
        "<unset>",
        "<unknown>",
        "Filesystem",
    ]
    assert cells("", claim, pvc("test5", "Pending", ["ReadWriteOnce"], "10Gi", mode=None, sc="my-scn"))[8] == "<unset>"
    assert cells("", claim, pvc("test5", "Pending", ["ReadWriteOnce"], "10Gi", mode=None, sc="my-scn", vac="my-vacn"))[
        5:7
    ] == ["my-scn", "my-vacn"]


def test_print_storage_class():
    def sc(name, created, **fields):
        return dict(meta(name, created), provisioner="kubernetes.io/nfs", **fields)

    assert cells(
        "storage.k8s.io", "StorageClass", dict(meta("sc1", ALMOST_NOW), provisioner="kubernetes.io/glusterfs")
    ) == [
        "sc1",
        "kubernetes.io/glusterfs",
        "Delete",
        "Immediate",
        False,
        "0s",
    ]
    assert cells("storage.k8s.io", "StorageClass", sc("sc2", FIVE_MIN_AGO)) == [
        "sc2",
        "kubernetes.io/nfs",
        "Delete",
        "Immediate",
        False,
        "5m",
    ]
    assert cells("storage.k8s.io", "StorageClass", sc("sc3", FIVE_MIN_AGO, reclaimPolicy="Delete"))[2] == "Delete"
    assert cells(
        "storage.k8s.io", "StorageClass", sc("sc4", FIVE_MIN_AGO, reclaimPolicy="Retain", volumeBindingMode="Immediate")
    )[2:4] == ["Retain", "Immediate"]
    assert cells(
        "storage.k8s.io",
        "StorageClass",
        sc("sc5", FIVE_MIN_AGO, reclaimPolicy="Retain", volumeBindingMode="WaitForFirstConsumer"),
    )[2:5] == ["Retain", "WaitForFirstConsumer", False]
    assert cells(
        "storage.k8s.io",
        "StorageClass",
        sc(
            "sc6",
            FIVE_MIN_AGO,
            reclaimPolicy="Retain",
            allowVolumeExpansion=True,
            volumeBindingMode="WaitForFirstConsumer",
        ),
    ) == ["sc6", "kubernetes.io/nfs", "Retain", "WaitForFirstConsumer", True, "5m"]
    default = sc("standard", FIVE_MIN_AGO)
    default["metadata"]["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    assert cells("storage.k8s.io", "StorageClass", default)[0] == "standard (default)"
    default["metadata"]["annotations"] = {"storageclass.beta.kubernetes.io/is-default-class": "true"}
    assert cells("storage.k8s.io", "StorageClass", default)[0] == "standard (default)"


def test_print_volume_attributes_class():
    vac = dict(meta("vac1", ALMOST_NOW), driverName="fake")
    assert cells("storage.k8s.io", "VolumeAttributesClass", vac) == ["vac1", "fake", "0s"]
    params = dict(meta("vac2", FIVE_MIN_AGO), driverName="fake", parameters={"iops": "500"})
    assert cells("storage.k8s.io", "VolumeAttributesClass", params) == ["vac2", "fake", "5m"]


def test_print_csi_and_volume_attachment():
    driver = dict(meta("csi.example.com", FIVE_MIN_AGO), spec={})
    assert cells("storage.k8s.io", "CSIDriver", driver) == [
        "csi.example.com",
        True,
        False,
        False,
        "<unset>",
        False,
        "<none>",
        "5m",
    ]
    driver["spec"] = {
        "attachRequired": False,
        "podInfoOnMount": True,
        "storageCapacity": True,
        "tokenRequests": [{"audience": "a"}, {"audience": "b"}],
        "requiresRepublish": True,
        "volumeLifecycleModes": ["Persistent", "Ephemeral"],
    }
    assert cells("storage.k8s.io", "CSIDriver", driver)[1:7] == [False, True, True, "a,b", True, "Persistent,Ephemeral"]
    csi_node = dict(meta("node1", FIVE_MIN_AGO), spec={"drivers": [{"name": "a"}, {"name": "b"}]})
    assert cells("storage.k8s.io", "CSINode", csi_node) == ["node1", 2, "5m"]
    attachment = dict(
        meta("va1", FIVE_MIN_AGO),
        spec={"attacher": "csi.example.com", "source": {"persistentVolumeName": "pv1"}, "nodeName": "node1"},
        status={"attached": True},
    )
    assert cells("storage.k8s.io", "VolumeAttachment", attachment) == [
        "va1",
        "csi.example.com",
        "pv1",
        "node1",
        True,
        "5m",
    ]


# ----------------------------------------------------------------------------------------------------------------
# Autoscaling

CPU_UTIL = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
}


def hpa(metrics=None, current=None, min_replicas=2, api_version="autoscaling/v2"):
    spec = {"scaleTargetRef": {"name": "some-rc", "kind": "ReplicationController"}, "maxReplicas": 10}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    if metrics is not None:
        spec["metrics"] = metrics
    status = {"currentReplicas": 4, "desiredReplicas": 5}
    if current is not None:
        status["currentMetrics"] = current
    return dict(meta("some-hpa"), apiVersion=api_version, spec=spec, status=status)


def external(target, metric="some-external-metric"):
    return {"type": "External", "external": {"metric": {"name": metric}, "target": target}}


def external_status(current):
    return {"type": "External", "external": {"metric": {"name": "some-external-metric"}, "current": current}}


@pytest.mark.parametrize(
    "obj,targets",
    [
        (hpa(min_replicas=None), "<none>"),
        (hpa([external({"type": "AverageValue", "averageValue": "100m"})]), "<unknown>/100m (avg)"),
        (
            hpa(
                [external({"type": "AverageValue", "averageValue": "100m"})],
                [external_status({"averageValue": "50m"})],
            ),
            "50m/100m (avg)",
        ),
        (hpa([external({"type": "Value", "value": "100m"})]), "<unknown>/100m"),
        (hpa([external({"type": "Value", "value": "100m"})], [external_status({"value": "50m"})]), "50m/100m"),
        (
            hpa([{"type": "Pods", "pods": {"metric": {"name": "m"}, "target": {"averageValue": "100m"}}}]),
            "<unknown>/100m",
        ),
        (
            hpa(
                [{"type": "Pods", "pods": {"metric": {"name": "m"}, "target": {"averageValue": "100m"}}}],
                [{"type": "Pods", "pods": {"metric": {"name": "m"}, "current": {"averageValue": "50m"}}}],
            ),
            "50m/100m",
        ),
        (
            hpa([{"type": "Object", "object": {"describedObject": {"kind": "Service"}, "target": {"value": "100m"}}}]),
            "<unknown>/100m",
        ),
        (
            hpa(
                [{"type": "Object", "object": {"target": {"type": "Value", "value": "100m"}}}],
                [{"type": "Object", "object": {"current": {"value": "50m"}}}],
            ),
            "50m/100m",
        ),
        (
            hpa(
                [{"type": "Object", "object": {"target": {"type": "AverageValue", "averageValue": "100m"}}}],
                [{"type": "Object", "object": {"current": {"averageValue": "50m"}}}],
            ),
            "50m/100m (avg)",
        ),
        (
            hpa([{"type": "Resource", "resource": {"name": "cpu", "target": {"averageValue": "100m"}}}]),
            "cpu: <unknown>/100m",
        ),
        (
            hpa(
                [{"type": "Resource", "resource": {"name": "cpu", "target": {"averageValue": "100m"}}}],
                [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "50m"}}}],
            ),
            "cpu: 50m/100m",
        ),
        (hpa([CPU_UTIL]), "cpu: <unknown>/80%"),
        (
            hpa(
                [CPU_UTIL],
                [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "current": {"averageUtilization": 50, "averageValue": "40m"}},
                    }
                ],
            ),
            "cpu: 50%/80%",
        ),
        (
            hpa(
                [
                    {
                        "type": "ContainerResource",
                        "containerResource": {
                            "name": "cpu",
                            "container": "application",
                            "target": {"averageValue": "100m"},
                        },
                    }
                ]
            ),
            "cpu: <unknown>/100m",
        ),
        (
            hpa(
                [
                    {
                        "type": "ContainerResource",
                        "containerResource": {"name": "cpu", "target": {"averageValue": "100m"}},
                    }
                ],
                [
                    {
                        "type": "ContainerResource",
                        "containerResource": {"name": "cpu", "current": {"averageValue": "50m"}},
                    }
                ],
            ),
            "cpu: 50m/100m",
        ),
        (
            hpa(
                [
                    {
                        "type": "ContainerResource",
                        "containerResource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80},
                        },
                    }
                ],
                [
                    {
                        "type": "ContainerResource",
                        "containerResource": {"name": "cpu", "current": {"averageUtilization": 50}},
                    }
                ],
            ),
            "cpu: 50%/80%",
        ),
        (  # multiple specs
            hpa(
                [
                    {
                        "type": "Pods",
                        "pods": {"metric": {"name": "some-pods-metric"}, "target": {"averageValue": "100m"}},
                    },
                    CPU_UTIL,
                    {
                        "type": "Pods",
                        "pods": {"metric": {"name": "other-pods-metric"}, "target": {"averageValue": "400m"}},
                    },
                ],
                [
                    {"type": "Pods", "pods": {"current": {"averageValue": "50m"}}},
                    {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 50}}},
                ],
            ),
            "50m/100m, cpu: 50%/80% + 1 more...",
        ),
        (hpa([{"type": "Resource", "resource": {"name": "memory", "target": {}}}]), "memory: <unknown>/<auto>"),
        (hpa([{"type": "Mystery"}]), "<unknown type>"),
        (  # autoscaling/v1 objects are converted as the server does
            dict(
                meta("some-hpa"),
                apiVersion="autoscaling/v1",
                spec={
                    "scaleTargetRef": {"name": "some-rc", "kind": "ReplicationController"},
                    "minReplicas": 2,
                    "maxReplicas": 10,
                    "targetCPUUtilizationPercentage": 80,
                },
                status={"currentReplicas": 4, "currentCPUUtilizationPercentage": 50},
            ),
            "cpu: 50%/80%",
        ),
    ],
)
def test_print_hpa(obj, targets):
    min_pods = "<unset>" if "minReplicas" not in obj["spec"] else "2"
    assert cells("autoscaling", "HorizontalPodAutoscaler", obj) == [
        "some-hpa",
        "ReplicationController/some-rc",
        targets,
        min_pods,
        10,
        4,
        "<unknown>",
    ]


# ----------------------------------------------------------------------------------------------------------------
# RBAC, certificates, coordination, scheduling, node, admission, flow control, DRA, aggregation


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_print_role_binding(kind):
    basic = dict(
        meta("binding1", ALMOST_NOW),
        subjects=[{"kind": "User", "name": "system:kube-controller-manager"}],
        roleRef={"kind": "Role", "name": "extension-apiserver-authentication-reader"},
    )
    group = "rbac.authorization.k8s.io"
    assert cells(group, kind, basic, wide=False) == ["binding1", "Role/extension-apiserver-authentication-reader", "0s"]
    wide = dict(
        meta("binding2", ALMOST_NOW),
        subjects=[
            {"kind": "User", "name": "user-name"},
            {"kind": "Group", "name": "group-name"},
            {"kind": "ServiceAccount", "name": "service-account-name", "namespace": "service-account-namespace"},
            {"kind": "Other", "name": "ignored"},
        ],
        roleRef={"kind": "Role", "name": "role-name"},
    )
    assert cells(group, kind, wide) == [
        "binding2",
        "Role/role-name",
        "0s",
        "user-name",
        "group-name",
        "service-account-namespace/service-account-name",
    ]


def test_print_certificate_signing_request():
    def csr(spec=None, status=None):
        return dict(meta("csr1", ALMOST_NOW), spec=spec or {}, status=status or {})

    group, kind = "certificates.k8s.io", "CertificateSigningRequest"
    assert cells(group, kind, csr()) == ["csr1", "0s", "<none>", "", "<none>", "Pending"]
    approved = {"conditions": [{"type": "Approved"}]}
    assert cells(group, kind, csr({"username": "CSR Requestor"}, approved))[3:] == [
        "CSR Requestor",
        "<none>",
        "Approved",
    ]
    spec = {"username": "CSR Requestor", "signerName": "example.com/test-signer", "expirationSeconds": 7 * 86400 + 3600}
    assert cells(group, kind, csr(spec, approved)) == [
        "csr1",
        "0s",
        "example.com/test-signer",
        "CSR Requestor",
        "7d1h",
        "Approved",
    ]
    issued = dict(approved, certificate="Y2VydCBkYXRh")
    assert cells(group, kind, csr({}, issued))[5] == "Approved,Issued"
    assert cells(group, kind, csr({}, {"conditions": [{"type": "Denied"}]}))[5] == "Denied"
    assert (
        cells(group, kind, csr({}, {"conditions": [{"type": "Approved"}, {"type": "Failed"}]}))[5] == "Approved,Failed"
    )


def test_print_lease_and_lease_candidate():
    lease = dict(meta("lease1", ALMOST_NOW), spec={"holderIdentity": "holder1"})
    assert cells("coordination.k8s.io", "Lease", lease) == ["lease1", "holder1", "0s"]
    lease2 = dict(meta("lease2", FIVE_MIN_AGO), spec={"holderIdentity": "holder2"})
    assert cells("coordination.k8s.io", "Lease", lease2) == ["lease2", "holder2", "5m"]
    assert cells("coordination.k8s.io", "Lease", dict(meta("free", FIVE_MIN_AGO), spec={})) == ["free", "", "5m"]
    candidate = dict(
        meta("test-lease", FIVE_MIN_AGO),
        spec={"binaryVersion": "b", "emulationVersion": "e", "leaseName": "test-lease-name"},
    )
    assert cells("coordination.k8s.io", "LeaseCandidate", candidate) == [
        "test-lease",
        "test-lease-name",
        "b",
        "e",
        "5m",
    ]


def test_print_priority_class():
    pc1 = dict(meta("pc1", ALMOST_NOW), value=1, preemptionPolicy="Never")
    assert cells("scheduling.k8s.io", "PriorityClass", pc1, wide=False) == ["pc1", 1, False, "0s"]
    pc2 = dict(meta("pc2", FIVE_MIN_AGO), value=1000000000, globalDefault=True, preemptionPolicy="PreemptLowerPriority")
    assert cells("scheduling.k8s.io", "PriorityClass", pc2, wide=False) == ["pc2", 1000000000, True, "5m"]
    assert cells("scheduling.k8s.io", "PriorityClass", pc2) == ["pc2", 1000000000, True, "5m", "PreemptLowerPriority"]
    del pc2["preemptionPolicy"]
    assert cells("scheduling.k8s.io", "PriorityClass", pc2) == ["pc2", 1000000000, True, "5m", ""]


def test_print_runtime_class():
    assert cells("node.k8s.io", "RuntimeClass", dict(meta("rc1", ALMOST_NOW), handler="h1")) == ["rc1", "h1", "0s"]
    assert cells("node.k8s.io", "RuntimeClass", dict(meta("rc2", FIVE_MIN_AGO), handler="h2")) == ["rc2", "h2", "5m"]


def test_print_admission():
    group = "admissionregistration.k8s.io"
    webhooks = dict(meta("hooks", FIVE_MIN_AGO), webhooks=[{"name": "a"}, {"name": "b"}])
    assert cells(group, "ValidatingWebhookConfiguration", webhooks) == ["hooks", 2, "5m"]
    assert cells(group, "MutatingWebhookConfiguration", meta("none", FIVE_MIN_AGO)) == ["none", 0, "5m"]
    policy = dict(
        meta("policy", FIVE_MIN_AGO),
        spec={"validations": [{"expression": "true"}], "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}},
    )
    assert cells(group, "ValidatingAdmissionPolicy", policy) == ["policy", 1, "v1/ConfigMap", "5m"]
    assert cells(group, "MutatingAdmissionPolicy", dict(meta("m", FIVE_MIN_AGO), spec={})) == ["m", 0, "<unset>", "5m"]
    binding = dict(
        meta("config", FIVE_MIN_AGO),
        spec={
            "policyName": "test-scale.example.com",
            "paramRef": {"name": "test-scale-setting.example.com", "parameterNotFoundAction": "Deny"},
        },
    )
    assert cells(group, "ValidatingAdmissionPolicyBinding", binding) == [
        "config",
        "test-scale.example.com",
        "*/test-scale-setting.example.com",
        "5m",
    ]
    binding["spec"]["paramRef"]["namespace"] = "ns"
    assert cells(group, "MutatingAdmissionPolicyBinding", binding)[2] == "ns/test-scale-setting.example.com"
    binding["spec"]["paramRef"] = {"selector": {"matchLabels": {"b": "2", "a": "1"}}}
    assert cells(group, "ValidatingAdmissionPolicyBinding", binding)[2] == (
        "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{},}"
    )
    binding["spec"] = {"policyName": "p"}
    assert cells(group, "ValidatingAdmissionPolicyBinding", binding)[2] == "<unset>"


def test_print_flow_control():
    group = "flowcontrol.apiserver.k8s.io"
    fs = dict(
        meta("all-matcher", ALMOST_NOW),
        spec={
            "priorityLevelConfiguration": {"name": "allee"},
            "matchingPrecedence": 2147483647,
            "distinguisherMethod": {"type": "ByUser"},
        },
    )
    assert cells(group, "FlowSchema", fs) == ["all-matcher", "allee", 2147483647, "ByUser", "0s", "?"]
    dangling = dict(
        meta("some-matcher", FIVE_MIN_AGO),
        spec={"priorityLevelConfiguration": {"name": "allee"}, "distinguisherMethod": {"type": "ByNamespace"}},
        status={"conditions": [{"type": "Dangling", "status": "True", "lastTransitionTime": ts(-H)}]},
    )
    assert cells(group, "FlowSchema", dangling) == ["some-matcher", "allee", 0, "ByNamespace", "5m", "True"]
    exempt = dict(meta("exempt", FIVE_MIN_AGO), spec={"priorityLevelConfiguration": {"name": "allee"}})
    assert cells(group, "FlowSchema", exempt) == ["exempt", "allee", 0, "<none>", "5m", "?"]
    unlimited = dict(meta("unlimited", ALMOST_NOW), spec={"type": "Exempt"})
    assert cells(group, "PriorityLevelConfiguration", unlimited) == [
        "unlimited",
        "Exempt",
        "<none>",
        "<none>",
        "<none>",
        "<none>",
        "0s",
    ]
    unqueued = dict(
        meta("unqueued", ALMOST_NOW),
        spec={"type": "Limited", "limited": {"nominalConcurrencyShares": 47, "limitResponse": {"type": "Reject"}}},
    )
    assert cells(group, "PriorityLevelConfiguration", unqueued) == [
        "unqueued",
        "Limited",
        47,
        "<none>",
        "<none>",
        "<none>",
        "0s",
    ]
    queuing = {"queues": 8, "handSize": 3, "queueLengthLimit": 4}
    queued = dict(
        meta("queued", ALMOST_NOW),
        spec={
            "type": "Limited",
            "limited": {"nominalConcurrencyShares": 42, "limitResponse": {"type": "Queue", "queuing": queuing}},
        },
    )
    assert cells(group, "PriorityLevelConfiguration", queued) == ["queued", "Limited", 42, 8, 3, 4, "0s"]


def test_print_storage_version():
    group = "internal.apiserver.k8s.io"

    def sv(name, versions=None, common=None):
        status = {}
        if versions is not None:
            status["storageVersions"] = [{"apiServerID": a, "encodingVersion": e} for a, e in versions]
        if common is not None:
            status["commonEncodingVersion"] = common
        return dict(meta(name, ALMOST_NOW), status=status)

    assert cells(group, "StorageVersion", sv("empty")) == ["empty", "<unset>", "<unset>", "0s"]
    assert cells(group, "StorageVersion", sv("valid", [("1", "v1"), ("2", "v1")], "v1")) == [
        "valid",
        "v1",
        "1=v1,2=v1",
        "0s",
    ]
    assert cells(group, "StorageVersion", sv("disagree", [("1", "v1"), ("2", "v1"), ("3", "v2")]))[1:3] == [
        "<unset>",
        "1=v1,2=v1,3=v2",
    ]
    more = [("1", "v1"), ("2", "v1"), ("3", "v1"), ("4", "v1")]
    assert cells(group, "StorageVersion", sv("agreeWithMore", more, "v1"))[2] == "1=v1,2=v1,3=v1 + 1 more..."
    migration = dict(
        meta("print-test"),
        spec={"resource": {"group": "test-group", "version": "test-version", "resource": "test-resource"}},
    )
    assert cells("storagemigration.k8s.io", "StorageVersionMigration", migration) == [
        "print-test",
        "test-resource.test-version.test-group",
    ]


def test_print_dynamic_resource_allocation():
    group = "resource.k8s.io"
    assert cells(group, "DeviceClass", meta("test-deviceclass", FIVE_MIN_AGO)) == ["test-deviceclass", "5m"]
    assert cells(group, "DeviceClass", meta("test-deviceclass")) == ["test-deviceclass", "<unknown>"]
    assert cells(group, "ResourceClaimTemplate", meta("t", FIVE_MIN_AGO)) == ["t", "5m"]
    claim = dict(meta("test-resourceclaim", FIVE_MIN_AGO), spec={"devices": {"requests": [{"name": "r"}]}})
    assert cells(group, "ResourceClaim", claim) == ["test-resourceclaim", "pending", "5m"]
    claim["status"] = {"allocation": {}, "reservedFor": [{"resource": "pods", "name": "pod-test", "uid": "u"}]}
    assert cells(group, "ResourceClaim", claim)[1] == "allocated,reserved"
    claim["status"] = {"allocation": {}}
    assert cells(group, "ResourceClaim", claim)[1] == "allocated"
    deleted = dict(meta("test-resourceclaim", FIVE_MIN_AGO, deletionTimestamp=ts()), spec={})
    assert cells(group, "ResourceClaim", deleted) == ["test-resourceclaim", "deleted", "5m"]
    slice_ = dict(
        meta("test-resourceslice", FIVE_MIN_AGO),
        spec={"nodeName": "nodeName", "driver": "driverName", "pool": {"name": "poolName", "resourceSliceCount": 1}},
    )
    assert cells(group, "ResourceSlice", slice_) == ["test-resourceslice", "nodeName", "driverName", "poolName", "5m"]


def test_print_cluster_trust_bundle():
    bundle = dict(meta("test-cluster-trust-bundle"), spec={"signerName": "test-signer-name"})
    assert cells("certificates.k8s.io", "ClusterTrustBundle", bundle) == [
        "test-cluster-trust-bundle",
        "test-signer-name",
    ]
    assert cells("certificates.k8s.io", "ClusterTrustBundle", meta("b")) == ["b", "<none>"]


def test_print_api_service():
    group = "apiregistration.k8s.io"
    local = dict(
        meta("v1.apps", FIVE_MIN_AGO), spec={}, status={"conditions": [{"type": "Available", "status": "True"}]}
    )
    assert cells(group, "APIService", local) == ["v1.apps", "Local", "True", "5m"]
    remote = dict(
        meta("v1beta1.metrics.k8s.io", FIVE_MIN_AGO),
        spec={"service": {"namespace": "kube-system", "name": "metrics-server"}},
        status={"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]},
    )
    assert cells(group, "APIService", remote) == [
        "v1beta1.metrics.k8s.io",
        "kube-system/metrics-server",
        "False (MissingEndpoints)",
        "5m",
    ]
    assert cells(group, "APIService", meta("x"))[2] == "Unknown"


# ----------------------------------------------------------------------------------------------------------------
# Label helpers


def test_format_labels_and_selectors():
    assert format_labels({}) == "<none>"
    assert format_labels(None) == "<none>"
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({}) == "<none>"
    selector = {
        "matchLabels": {"tier": "web", "app": "nginx"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "zone", "operator": "NotIn", "values": ["b"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "owner", "operator": "Exists"},
        ],
    }
    assert format_label_selector(selector) == "app=nginx,!canary,env in (dev,prod),owner,tier=web,zone notin (b)"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "Like"}]}) == "<error>"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}) == "<error>"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}) == (
        "<error>"
    )


def test_pure_functions_do_not_mutate_input():
    obj = readiness_pod("test1", ["1.1.1.1"])
    snapshot = repr(obj)
    for group, kind in ALL_PRINTED:
        table_cells(group, kind, obj, NOW)
    assert repr(obj) == snapshot
    cols = table_columns("", "Pod")
    cols[0]["name"] = "changed"
    assert table_columns("", "Pod")[0]["name"] == "Name"
