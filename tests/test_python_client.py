"""The official Python client (`kubernetes` package) against the real server over TLS.

CRUD of ConfigMaps and Deployments, pagination, selectors, conflicts, watch (ordering, bookmarks, 410 after
compaction), each checked against what upstream kube-apiserver 1.32 answers.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from support import ServerThread, patch_as

kubernetes = pytest.importorskip("kubernetes")

from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

MERGE = "application/merge-patch+json"
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # no control loops: lists below are of exactly what the tests create
    server = ServerThread(tmp_path_factory.mktemp("pyclient") / "data", "--controllers=none").start()
    yield server
    server.stop()


def new_client(server: ServerThread) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(server.kubeconfig))


@pytest.fixture(scope="module")
def api_client(srv):
    c = new_client(srv)
    yield c
    c.close()


@pytest.fixture(scope="module")
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def apps(api_client):
    return client.AppsV1Api(api_client)


_ns_counter = itertools.count()


def make_namespace(core_api: client.CoreV1Api) -> str:
    name = f"py-{next(_ns_counter)}"
    created = core_api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert created.metadata.name == name
    return name


@pytest.fixture
def ns(core):
    return make_namespace(core)


def cm_body(name: str, data=None, labels=None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def deploy_body(name: str, replicas: int = 1, image: str = "nginx:1.27") -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image=image)]))))


def as_dict(value) -> dict:
    """Delete calls return a plain dict in recent clients (a V1Status model in older ones)."""
    return value if isinstance(value, dict) else client.ApiClient().sanitize_for_serialization(value)


def status_of(err: ApiException) -> dict:
    """The Status object in an error response."""
    status = json.loads(err.body)
    assert status["kind"] == "Status" and status["apiVersion"] == "v1" and status["status"] == "Failure"
    assert status["code"] == err.status
    return status


class Later(threading.Thread):
    """Runs fn after a delay in a thread; join() re-raises what it raised."""

    def __init__(self, delay: float, fn):
        super().__init__(daemon=True)
        self.delay, self.fn, self.error = delay, fn, None

    def run(self):
        time.sleep(self.delay)
        try:
            self.fn()
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread by join()
            self.error = err

    def join(self, timeout=None):
        super().join(timeout)
        if self.error is not None:
            raise self.error


# -- namespaces and ConfigMaps


def test_namespaces(core):
    name = make_namespace(core)
    ns = core.read_namespace(name)
    assert ns.status.phase == "Active"
    assert ns.metadata.labels == {"kubernetes.io/metadata.name": name}
    assert ns.spec.finalizers == ["kubernetes"]
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease", name} <= names


def test_configmap_crud(core, ns):
    created = core.create_namespaced_config_map(ns, cm_body("settings", {"mode": "fast"}, {"app": "demo"}))
    meta = created.metadata
    assert (created.kind, created.api_version) == ("ConfigMap", "v1")
    assert (meta.name, meta.namespace, meta.labels) == ("settings", ns, {"app": "demo"})
    assert UID.match(meta.uid) and int(meta.resource_version) > 0
    assert isinstance(meta.creation_timestamp, datetime)
    assert abs(meta.creation_timestamp - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert meta.creation_timestamp.microsecond == 0  # RFC 3339 to the second

    read = core.read_namespaced_config_map("settings", ns)
    assert read.data == {"mode": "fast"} and read.metadata.uid == meta.uid
    assert read.metadata.resource_version == meta.resource_version

    read.data["level"] = "3"
    replaced = core.replace_namespaced_config_map("settings", ns, read)
    assert replaced.data == {"mode": "fast", "level": "3"}
    assert int(replaced.metadata.resource_version) > int(meta.resource_version)

    patched = patch_as(core.patch_namespaced_config_map, "settings", ns, {"data": {"mode": "slow"},
                                                                "metadata": {"labels": {"tier": "x"}}},
                                               _content_type=MERGE)
    assert patched.data == {"mode": "slow", "level": "3"}
    assert patched.metadata.labels == {"app": "demo", "tier": "x"}

    listed = core.list_namespaced_config_map(ns)
    assert [c.metadata.name for c in listed.items] == ["settings"]
    assert int(listed.metadata.resource_version) >= int(patched.metadata.resource_version)

    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, cm_body("settings"))
    status = status_of(exc.value)
    assert (exc.value.status, status["reason"], status["message"]) == (
        409, "AlreadyExists", 'configmaps "settings" already exists')
    assert status["details"] == {"name": "settings", "kind": "configmaps"}

    deleted = as_dict(core.delete_namespaced_config_map("settings", ns))
    assert (deleted["kind"], deleted["status"]) == ("Status", "Success")
    assert deleted["details"] == {"name": "settings", "kind": "configmaps", "uid": meta.uid}
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("settings", ns)
    status = status_of(exc.value)
    assert (exc.value.status, status["reason"], status["message"]) == (
        404, "NotFound", 'configmaps "settings" not found')
    assert status["details"] == {"name": "settings", "kind": "configmaps"}


def test_stale_update_is_a_conflict(core, apps, ns):
    core.create_namespaced_config_map(ns, cm_body("contended", {"n": "0"}))
    first = core.read_namespaced_config_map("contended", ns)
    second = core.read_namespaced_config_map("contended", ns)
    first.data = {"n": "1"}
    core.replace_namespaced_config_map("contended", ns, first)
    second.data = {"n": "2"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("contended", ns, second)
    status = status_of(exc.value)
    assert (exc.value.status, status["reason"]) == (409, "Conflict")
    assert status["message"] == ('Operation cannot be fulfilled on configmaps "contended": the object has been '
                                 'modified; please apply your changes to the latest version and try again')
    assert status["details"] == {"name": "contended", "kind": "configmaps"}
    assert core.read_namespaced_config_map("contended", ns).data == {"n": "1"}

    apps.create_namespaced_deployment(ns, deploy_body("contended"))
    stale = apps.read_namespaced_deployment("contended", ns)
    patch_as(apps.patch_namespaced_deployment, "contended", ns, {"spec": {"replicas": 2}}, _content_type=MERGE)
    stale.spec.replicas = 5
    with pytest.raises(ApiException) as exc:
        apps.replace_namespaced_deployment("contended", ns, stale)
    status = status_of(exc.value)
    assert exc.value.status == 409
    assert status["message"] == ('Operation cannot be fulfilled on deployments.apps "contended": the object has '
                                 'been modified; please apply your changes to the latest version and try again')
    assert status["details"] == {"name": "contended", "group": "apps", "kind": "deployments"}
    assert apps.read_namespaced_deployment("contended", ns).spec.replicas == 2


# -- Deployments


def test_deployment_crud(apps, ns):
    created = apps.create_namespaced_deployment(ns, deploy_body("web", replicas=2))
    assert (created.kind, created.api_version) == ("Deployment", "apps/v1")
    assert created.metadata.generation == 1
    spec = created.spec
    # upstream's defaults, as clients read them back
    assert spec.strategy.type == "RollingUpdate"
    assert (spec.strategy.rolling_update.max_surge, spec.strategy.rolling_update.max_unavailable) == ("25%", "25%")
    assert (spec.revision_history_limit, spec.progress_deadline_seconds) == (10, 600)
    container = spec.template.spec.containers[0]
    assert (container.image_pull_policy, container.termination_message_path) == ("IfNotPresent",
                                                                                 "/dev/termination-log")
    assert (spec.template.spec.restart_policy, spec.template.spec.dns_policy) == ("Always", "ClusterFirst")

    read = apps.read_namespaced_deployment("web", ns)
    read.spec.template.spec.containers[0].image = "nginx:1.28"
    replaced = apps.replace_namespaced_deployment("web", ns, read)
    assert replaced.metadata.generation == 2
    assert replaced.spec.template.spec.containers[0].image == "nginx:1.28"

    labelled = patch_as(apps.patch_namespaced_deployment, "web", ns, {"metadata": {"labels": {"team": "a"}}},
                                                _content_type=MERGE)
    assert labelled.metadata.generation == 2  # metadata-only change
    assert labelled.metadata.labels == {"app": "web", "team": "a"}

    # the status subresource: writes only .status, never bumps the generation
    status = patch_as(apps.patch_namespaced_deployment_status, "web", ns, {"status": {
        "replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2, "observedGeneration": 2,
        "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}},
        _content_type=MERGE)
    assert status.status.ready_replicas == 2 and status.metadata.generation == 2
    assert status.status.conditions[0].type == "Available"
    ignored = patch_as(apps.patch_namespaced_deployment, "web", ns, {"status": {"readyReplicas": 0}},
                       _content_type=MERGE)
    assert ignored.status.ready_replicas == 2  # a main-resource write keeps the old status

    # the scale subresource
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert (scale.kind, scale.api_version) == ("Scale", "autoscaling/v1")
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (2, 2, "app=web")
    scaled = patch_as(apps.patch_namespaced_deployment_scale, "web", ns, {"spec": {"replicas": 4}}, _content_type=MERGE)
    assert scaled.spec.replicas == 4
    after = apps.read_namespaced_deployment("web", ns)
    assert after.spec.replicas == 4 and after.metadata.generation == 3

    listed = apps.list_namespaced_deployment(ns)
    assert [d.metadata.name for d in listed.items] == ["web"]
    everywhere = apps.list_deployment_for_all_namespaces(label_selector="team=a")
    assert [(d.metadata.namespace, d.metadata.name) for d in everywhere.items] == [(ns, "web")]

    deleted = as_dict(apps.delete_namespaced_deployment("web", ns, propagation_policy="Background"))
    assert (deleted["kind"], deleted["status"]) == ("Status", "Success")
    assert deleted["details"] == {"name": "web", "group": "apps", "kind": "deployments", "uid": created.metadata.uid}
    with pytest.raises(ApiException) as exc:
        apps.read_namespaced_deployment("web", ns)
    assert exc.value.status == 404
    assert status_of(exc.value)["message"] == 'deployments.apps "web" not found'


def test_patch_formats(core, apps, ns):
    """The client's default for a dict body is a strategic merge patch; a list body is a JSON patch."""
    body = deploy_body("patched")
    body.spec.template.spec.containers.append(client.V1Container(name="sidecar", image="busybox:1.36"))
    apps.create_namespaced_deployment(ns, body)

    # strategic merge: containers merge by name, so "app" stays and "sidecar" gets the new image
    patched = apps.patch_namespaced_deployment("patched", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "sidecar", "image": "busybox:1.37"}]}}}})
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [
        ("app", "nginx:1.27"), ("sidecar", "busybox:1.37")]
    assert patched.metadata.generation == 2
    # $patch: delete removes one element by its merge key
    patched = apps.patch_namespaced_deployment("patched", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "sidecar", "$patch": "delete"}]}}}})
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]

    # a merge patch replaces lists wholesale
    patched = patch_as(apps.patch_namespaced_deployment, "patched", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "only", "image": "nginx:1.28"}]}}}}, _content_type=MERGE)
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("only", "nginx:1.28")]

    # JSON patch (RFC 6902), including a failing test operation
    core.create_namespaced_config_map(ns, cm_body("jp", {"a": "1"}))
    patched = core.patch_namespaced_config_map("jp", ns, [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "2"},
        {"op": "add", "path": "/data/b", "value": "3"}])
    assert patched.data == {"a": "2", "b": "3"}
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("jp", ns, [{"op": "test", "path": "/data/a", "value": "1"}])
    assert exc.value.status == 422
    assert core.read_namespaced_config_map("jp", ns).data == {"a": "2", "b": "3"}


def test_deployment_validation_error(apps, ns):
    body = deploy_body("bad")
    body.spec.selector = client.V1LabelSelector(match_labels={"app": "other"})
    with pytest.raises(ApiException) as exc:
        apps.create_namespaced_deployment(ns, body)
    status = status_of(exc.value)
    assert (exc.value.status, status["reason"]) == (422, "Invalid")
    assert status["message"].startswith('Deployment.apps "bad" is invalid: spec.template.metadata.labels: '
                                        'Invalid value: map[string]string{"app":"bad"}: '
                                        '`selector` does not match template `labels`')
    assert status["details"]["kind"] == "Deployment" and status["details"]["group"] == "apps"


# -- lists: pagination and selectors


def test_list_pagination(core, ns):
    for i in range(7):
        core.create_namespaced_config_map(ns, cm_body(f"page-{i}", {"i": str(i)}))
    first = core.list_namespaced_config_map(ns, limit=3)
    assert [c.metadata.name for c in first.items] == ["page-0", "page-1", "page-2"]
    assert first.metadata._continue and first.metadata.remaining_item_count == 4
    snapshot = first.metadata.resource_version

    # later pages are a consistent snapshot: a write after the first page does not show up
    core.create_namespaced_config_map(ns, cm_body("page-9"))
    core.delete_namespaced_config_map("page-5", ns)
    second = core.list_namespaced_config_map(ns, limit=3, _continue=first.metadata._continue)
    assert [c.metadata.name for c in second.items] == ["page-3", "page-4", "page-5"]
    assert second.metadata.remaining_item_count == 1
    assert second.metadata.resource_version == snapshot
    third = core.list_namespaced_config_map(ns, limit=3, _continue=second.metadata._continue)
    assert [c.metadata.name for c in third.items] == ["page-6"]
    assert third.metadata._continue is None and third.metadata.remaining_item_count is None

    # a fresh list sees the writes; limit larger than the list: no continue
    fresh = core.list_namespaced_config_map(ns, limit=50)
    assert [c.metadata.name for c in fresh.items] == [f"page-{i}" for i in (0, 1, 2, 3, 4, 6, 9)]
    assert fresh.metadata._continue is None and fresh.metadata.remaining_item_count is None
    assert int(fresh.metadata.resource_version) > int(snapshot)

    # with a selector: pages are filtered, and remainingItemCount is not given
    selected = core.list_namespaced_config_map(ns, limit=2, field_selector="metadata.name!=page-0")
    assert [c.metadata.name for c in selected.items] == ["page-1", "page-2"]
    assert selected.metadata._continue and selected.metadata.remaining_item_count is None

    with pytest.raises(ApiException) as exc:
        core.list_namespaced_config_map(ns, limit=3, _continue="not-a-token")
    status = status_of(exc.value)
    assert (exc.value.status, status["reason"]) == (400, "BadRequest")
    assert status["message"].startswith("invalid continue token")
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_config_map(ns, limit=3, _continue=first.metadata._continue, resource_version=snapshot)
    assert exc.value.status == 400
    assert status_of(exc.value)["message"] == "specifying resource version is not allowed when using continue"


def test_label_and_field_selectors(core, ns):
    for name, labels in (("a", {"app": "web", "tier": "front"}), ("b", {"app": "web", "tier": "back"}),
                         ("c", {"app": "db"}), ("d", None)):
        core.create_namespaced_config_map(ns, cm_body(name, labels=labels))

    def names(**kw):
        return [c.metadata.name for c in core.list_namespaced_config_map(ns, **kw).items]

    assert names(label_selector="app=web") == ["a", "b"]
    assert names(label_selector="app==web,tier=back") == ["b"]
    assert names(label_selector="app!=web") == ["c", "d"]
    assert names(label_selector="tier in (front,side)") == ["a"]
    assert names(label_selector="tier notin (front)") == ["b", "c", "d"]
    assert names(label_selector="tier") == ["a", "b"]
    assert names(label_selector="!app") == ["d"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.name!=c", label_selector="app") == ["a", "b"]
    assert names(field_selector=f"metadata.namespace={ns}", label_selector="app=db") == ["c"]
    everywhere = core.list_config_map_for_all_namespaces(label_selector="app=web", field_selector="metadata.name=b")
    assert [(c.metadata.namespace, c.metadata.name) for c in everywhere.items] == [(ns, "b")]

    with pytest.raises(ApiException) as exc:
        core.list_namespaced_config_map(ns, label_selector="app in (web")
    assert exc.value.status == 400
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_config_map(ns, field_selector="data.x=y")
    assert exc.value.status == 400
    assert status_of(exc.value)["message"] == \
        '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'


# -- watch


def test_watch_added_modified_deleted_in_order(core, ns):
    core.create_namespaced_config_map(ns, cm_body("old"))
    rv = core.list_namespaced_config_map(ns).metadata.resource_version

    def writes():
        core.create_namespaced_config_map(ns, cm_body("watched", {"n": "0"}))
        patch_as(core.patch_namespaced_config_map, "watched", ns, {"data": {"n": "1"}}, _content_type=MERGE)
        core.delete_namespaced_config_map("watched", ns)

    writer = Later(0.3, writes)
    writer.start()
    w = watch.Watch()
    events = []
    try:
        for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=20):
            events.append(event)
            if len(events) == 3:
                w.stop()
    finally:
        writer.join()
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(isinstance(e["object"], client.V1ConfigMap) for e in events)
    assert [e["object"].metadata.name for e in events] == ["watched"] * 3
    assert [e["object"].data for e in events] == [{"n": "0"}, {"n": "1"}, {"n": "1"}]
    assert all((e["raw_object"]["kind"], e["raw_object"]["apiVersion"]) == ("ConfigMap", "v1") for e in events)
    rvs = [int(e["object"].metadata.resource_version) for e in events]
    assert int(rv) < rvs[0] < rvs[1] < rvs[2]
    assert w.resource_version == str(rvs[2])


def test_watch_without_resource_version_starts_with_current_state(core, ns):
    for name in ("x", "y"):
        core.create_namespaced_config_map(ns, cm_body(name))
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_config_map, ns, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    assert seen == [("ADDED", "x"), ("ADDED", "y")]


def test_watch_ends_at_timeout_seconds(core, ns):
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    start = time.monotonic()
    events = list(watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=1))
    assert events == []
    assert 0.9 <= time.monotonic() - start < 5


def test_watch_with_label_selector_filters(core, ns):
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, cm_body("other", labels={"app": "b"}))
    core.create_namespaced_config_map(ns, cm_body("mine", labels={"app": "a"}))
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, label_selector="app=a",
                          timeout_seconds=10):
        assert (event["type"], event["object"].metadata.name) == ("ADDED", "mine")
        w.stop()


def test_watch_bookmarks(make_server):
    # no control loops: the watch must see nothing but bookmarks (no kube-root-ca.crt arriving late)
    server = make_server("--controllers=none", customize=lambda s: setattr(s.api, "bookmark_interval", 0.5))
    with new_client(server) as api_client:
        core = client.CoreV1Api(api_client)
        ns = make_namespace(core)
        core.create_namespaced_config_map(ns, cm_body("marked"))
        rv = core.list_namespaced_config_map(ns).metadata.resource_version

        w = watch.Watch()
        start = time.monotonic()
        bookmark = None
        for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv,
                              allow_watch_bookmarks=True, timeout_seconds=10):
            assert event["type"] == "BOOKMARK", event
            bookmark = event
            w.stop()
        assert bookmark is not None, "no bookmark within the watch's 10 s"
        assert time.monotonic() - start < 5
        raw = bookmark["raw_object"]
        assert (raw["kind"], raw["apiVersion"]) == ("ConfigMap", "v1")
        assert list(raw["metadata"]) == ["resourceVersion"]
        assert int(raw["metadata"]["resourceVersion"]) >= int(rv)
        assert w.resource_version == raw["metadata"]["resourceVersion"]  # the client resumes from a bookmark

        # without allowWatchBookmarks: none, even with the short interval
        events = list(watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv,
                                           timeout_seconds=2))
        assert events == []


def test_watch_from_compacted_revision_is_410(make_server):
    server = make_server("--controllers=none")
    with new_client(server) as api_client:
        core = client.CoreV1Api(api_client)
        ns = make_namespace(core)
        old_rv = core.list_namespaced_config_map(ns).metadata.resource_version
        for i in range(4):
            core.create_namespaced_config_map(ns, cm_body(f"c{i}"))
        page = core.list_namespaced_config_map(ns, limit=2)
        core.create_namespaced_config_map(ns, cm_body("c9"))
        store = server.config.store
        store.compact(store.current_revision())

        # the raw stream: 200, one ERROR event carrying a 410 Expired Status, then the end
        code, headers, body = server.request(
            "GET", f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={old_rv}&timeoutSeconds=5")
        assert code == 200 and headers["Content-Type"].startswith("application/json")
        lines = body.decode().splitlines()
        assert len(lines) == 1, lines
        event = json.loads(lines[0])
        assert event["type"] == "ERROR"
        status = event["object"]
        assert (status["kind"], status["apiVersion"], status["status"]) == ("Status", "v1", "Failure")
        assert (status["code"], status["reason"]) == (410, "Expired")
        assert re.fullmatch(rf"too old resource version: {old_rv} \(\d+\)", status["message"]), status

        # the Python client turns it into ApiException(410) (no retry when timeout_seconds is given)
        with pytest.raises(ApiException) as exc:
            for _ in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=old_rv,
                                          timeout_seconds=5):
                pass
        assert exc.value.status == 410
        assert exc.value.reason == f"Expired: {status['message']}"

        # a list continuation from before the compaction is expired too
        with pytest.raises(ApiException) as exc:
            core.list_namespaced_config_map(ns, limit=2, _continue=page.metadata._continue)
        status = status_of(exc.value)
        assert (exc.value.status, status["reason"]) == (410, "Expired")
        assert status["message"].startswith("The provided continue parameter is too old to display a consistent "
                                            "list result.")

        # and watching from the current revision still works
        rv = core.list_namespaced_config_map(ns).metadata.resource_version
        core.create_namespaced_config_map(ns, cm_body("after"))
        w = watch.Watch()
        for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10):
            assert (event["type"], event["object"].metadata.name) == ("ADDED", "after")
            w.stop()
