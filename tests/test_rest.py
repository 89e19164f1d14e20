"""REST semantics of the generic store over real HTTPS: metadata, concurrency, delete, lists, watch, errors."""

import base64
import json
import threading
import time

import pytest

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def cm(name, data=None, **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict(name=name, **meta), "data": data or {"a": "b"}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def call(srv, method, path, body=None, headers=None):
    code, hdrs, raw = srv.request(method, path, body=body, headers=headers)
    return code, (json.loads(raw) if raw and raw[:1] in b"{[" else raw), hdrs


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from support import ServerThread
    # no control loops: these tests check the store's own semantics (a namespace stays Terminating)
    with ServerThread(tmp_path_factory.mktemp("rest"), "--controllers=none",
                      customize=lambda s: setattr(s.api, "bookmark_interval", 0.3)) as server:
        deadline = time.monotonic() + 10
        while server.request("GET", "/readyz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server


def test_create_answers_what_a_get_reads(srv):
    """The create response is the stored object as a GET reads it, byte for byte (generateName too); a kind stored
    as another (events.k8s.io Events) answers in its own form."""
    for body in (cm("same-bytes", {"k": "v\u00e9"}, labels={"a": "b"}), cm("", generateName="same-")):
        code, _, raw = srv.request("POST", CM, body=json.dumps(body).encode())
        assert code == 201, raw
        name = json.loads(raw)["metadata"]["name"]
        assert srv.request("GET", f"{CM}/{name}")[2] == raw
    event = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e1"},
             "eventTime": "2026-01-02T03:04:05.000000Z", "reportingController": "x/y", "reportingInstance": "i",
             "action": "Do", "reason": "Done", "type": "Normal", "note": "n",
             "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}}
    code, created, _ = call(srv, "POST", "/apis/events.k8s.io/v1/namespaces/default/events", event)
    assert code == 201 and created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "n", created
    assert call(srv, "GET", "/apis/events.k8s.io/v1/namespaces/default/events/e1")[1] == created


def test_create_get_update_delete(srv):
    code, obj, _ = call(srv, "POST", CM, cm("crud"))
    assert code == 201
    md = obj["metadata"]
    assert md["namespace"] == "default" and len(md["uid"]) == 36 and md["creationTimestamp"].endswith("Z")
    assert int(md["resourceVersion"]) > 0 and "generation" not in md
    code, got, _ = call(srv, "GET", f"{CM}/crud")
    assert code == 200 and got == obj
    got["data"] = {"a": "c"}
    code, updated, _ = call(srv, "PUT", f"{CM}/crud", got)
    assert code == 200 and int(updated["metadata"]["resourceVersion"]) > int(md["resourceVersion"])
    code, status, _ = call(srv, "PUT", f"{CM}/crud", got)  # got still carries the old resourceVersion
    assert code == 409 and status["reason"] == "Conflict"
    assert status["message"] == ('Operation cannot be fulfilled on configmaps "crud": the object has been modified; '
                                 'please apply your changes to the latest version and try again')
    unconditional = dict(updated, data={"a": "d"})
    del unconditional["metadata"]["resourceVersion"]
    assert call(srv, "PUT", f"{CM}/crud", unconditional)[0] == 200
    code, result, _ = call(srv, "DELETE", f"{CM}/crud")
    assert code == 200 and result["status"] == "Success" and result["details"]["name"] == "crud"
    code, status, _ = call(srv, "GET", f"{CM}/crud")
    assert code == 404 and status["message"] == 'configmaps "crud" not found'
    assert status["details"] == {"name": "crud", "kind": "configmaps"}


def test_already_exists_and_generate_name(srv):
    assert call(srv, "POST", CM, cm("dup"))[0] == 201
    code, status, _ = call(srv, "POST", CM, cm("dup"))
    assert code == 409 and status["reason"] == "AlreadyExists"
    assert status["message"] == 'configmaps "dup" already exists'
    body = cm("")
    body["metadata"] = {"generateName": "gen-"}
    code, obj, _ = call(srv, "POST", CM, body)
    name = obj["metadata"]["name"]
    assert code == 201 and name.startswith("gen-") and len(name) == 9
    assert set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_invalid_names_and_missing_name(srv):
    code, status, _ = call(srv, "POST", CM, cm("Bad_Name"))
    assert code == 422 and status["reason"] == "Invalid"
    assert status["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
                                        "a lowercase RFC 1123 subdomain must consist of")
    assert status["details"]["causes"][0]["field"] == "metadata.name"
    code, status, _ = call(srv, "POST", CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    assert code == 422 and "metadata.name: Required value: name or generateName is required" in status["message"]


def test_bad_bodies(srv):
    code, status, _ = call(srv, "POST", CM, b"{not json", {"Content-Type": "application/json"})
    assert code == 400 and status["kind"] == "Status"
    code, status, _ = call(srv, "POST", CM, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    assert code == 400 and "does not match the expected kind (ConfigMap)" in status["message"]
    code, status, _ = call(srv, "POST", CM, cm("x"), {"Content-Type": "text/html"})
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    body = cm("other-ns", namespace="kube-system")
    code, status, _ = call(srv, "POST", CM, body)
    assert code == 400 and "does not match the namespace sent on the request" in status["message"]
    code, status, _ = call(srv, "POST", CM, dict(cm("with-rv"), metadata={"name": "w", "resourceVersion": "5"}))
    assert code == 400 and status["message"] == "resourceVersion should not be set on objects to be created"
    code, status, _ = call(srv, "GET", f"{CM}/x", headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert code == 406
    assert call(srv, "GET", "/api/v1/namespaces/default/nothings")[0] == 404


def test_namespaces(srv):
    code, ns, _ = call(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": "ns-a"}})
    assert code == 201
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "ns-a"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    code, status, _ = call(srv, "POST", "/api/v1/namespaces/nope/configmaps", cm("x"))
    assert code == 404 and status["message"] == 'namespaces "nope" not found'
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert call(srv, "GET", f"/api/v1/namespaces/{name}")[0] == 200
    code, ns, _ = call(srv, "DELETE", "/api/v1/namespaces/ns-a")
    assert code == 200 and ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    code, status, _ = call(srv, "POST", "/api/v1/namespaces/ns-a/configmaps", cm("x"))
    assert code == 403 and status["message"] == ('configmaps "x" is forbidden: unable to create new content in '
                                                 'namespace ns-a because it is being terminated')


def test_dry_run_is_not_stored(srv):
    code, obj, _ = call(srv, "POST", f"{CM}?dryRun=All", cm("dry"))
    assert code == 201 and obj["metadata"]["uid"]
    assert call(srv, "GET", f"{CM}/dry")[0] == 404
    code, status, _ = call(srv, "POST", f"{CM}?dryRun=Maybe", cm("dry"))
    assert code == 400


def test_generation_status_and_scale(srv):
    code, d, _ = call(srv, "POST", DEPLOY, deployment("web"))
    assert code == 201 and d["metadata"]["generation"] == 1 and "status" not in d
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted
    d["metadata"]["labels"] = {"x": "y"}
    code, d, _ = call(srv, "PUT", f"{DEPLOY}/web", d)
    assert d["metadata"]["generation"] == 1  # metadata changes do not count
    d["spec"]["replicas"] = 2
    d["status"] = {"replicas": 99}
    code, d, _ = call(srv, "PUT", f"{DEPLOY}/web", d)
    assert d["metadata"]["generation"] == 2 and "status" not in d  # status ignored on the main resource
    d["status"] = {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    d["spec"]["replicas"] = 7
    code, d, _ = call(srv, "PUT", f"{DEPLOY}/web/status", d)
    assert code == 200 and d["status"]["replicas"] == 2 and d["spec"]["replicas"] == 2  # spec ignored on /status
    code, scale, _ = call(srv, "GET", f"{DEPLOY}/web/scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 2, "selector": "app=web"}
    code, scale, _ = call(srv, "PATCH", f"{DEPLOY}/web/scale", {"spec": {"replicas": 5}},
                          {"Content-Type": "application/merge-patch+json"})
    assert code == 200 and scale["spec"]["replicas"] == 5
    code, d, _ = call(srv, "GET", f"{DEPLOY}/web")
    assert d["spec"]["replicas"] == 5 and d["metadata"]["generation"] == 3


def test_merge_patch_and_unsupported_patch_types(srv):
    call(srv, "POST", CM, cm("patched", {"a": "1", "b": "2"}))
    code, obj, _ = call(srv, "PATCH", f"{CM}/patched", {"data": {"a": None, "c": "3"}, "metadata": {"labels":
                                                                                                   {"l": "v"}}},
                        {"Content-Type": "application/merge-patch+json"})
    assert code == 200 and obj["data"] == {"b": "2", "c": "3"} and obj["metadata"]["labels"] == {"l": "v"}
    code, obj, _ = call(srv, "PATCH", f"{CM}/patched", [{"op": "test", "path": "/data/b", "value": "2"},
                                                       {"op": "remove", "path": "/data"}],
                        {"Content-Type": "application/json-patch+json"})
    assert code == 200 and "data" not in obj
    code, obj, _ = call(srv, "PATCH", f"{CM}/patched", {"data": {"s": "1"}},
                        {"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 200 and obj["data"] == {"s": "1"}
    code, status, _ = call(srv, "PATCH", f"{CM}/patched", {"data": {}}, {"Content-Type": "application/foo"})
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    before = call(srv, "GET", f"{CM}/patched")[1]
    code, status, _ = call(srv, "PATCH", f"{CM}/patched", [{"op": "test", "path": "/data/s", "value": "no"}],
                           {"Content-Type": "application/json-patch+json"})
    assert code == 422 and call(srv, "GET", f"{CM}/patched")[1] == before  # nothing stored
    code, status, _ = call(srv, "PATCH", f"{CM}/nope", {"data": {}}, {"Content-Type": "application/merge-patch+json"})
    assert code == 404


def test_finalizers_and_preconditions(srv):
    call(srv, "POST", CM, cm("fin", finalizers=["example.com/keep"]))
    code, status, _ = call(srv, "DELETE", f"{CM}/fin", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                        "preconditions": {"uid": "wrong"}})
    assert code == 409 and "Precondition failed: UID in precondition: wrong" in status["message"]
    code, obj, _ = call(srv, "DELETE", f"{CM}/fin")
    assert code == 200 and obj["metadata"]["deletionTimestamp"] and obj["metadata"]["finalizers"]
    obj["metadata"]["finalizers"].append("example.com/another")
    code, status, _ = call(srv, "PUT", f"{CM}/fin", obj)
    assert code == 422 and "no new finalizers can be added if the object is being deleted" in status["message"]
    code, obj, _ = call(srv, "GET", f"{CM}/fin")
    obj["metadata"]["finalizers"] = []
    assert call(srv, "PUT", f"{CM}/fin", obj)[0] == 200
    assert call(srv, "GET", f"{CM}/fin")[0] == 404  # removing the last finalizer completed the delete


def test_list_pagination_is_a_snapshot(srv):
    ns = "/api/v1/namespaces/pages/configmaps"
    call(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pages"}})
    for i in range(25):
        call(srv, "POST", ns, cm(f"cm-{i:02d}"))
    code, page, _ = call(srv, "GET", f"{ns}?limit=10")
    assert len(page["items"]) == 10 and page["metadata"]["remainingItemCount"] == 15
    assert "kind" not in page["items"][0]  # list items carry no type meta, as upstream's
    names = [i["metadata"]["name"] for i in page["items"]]
    call(srv, "DELETE", f"{ns}/cm-24")
    call(srv, "POST", ns, cm("cm-99"))
    token = page["metadata"]["continue"]
    while token:
        code, page, _ = call(srv, "GET", f"{ns}?limit=10&continue={token}")
        assert code == 200
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert names == [f"cm-{i:02d}" for i in range(25)]  # the snapshot of the first page
    code, status, _ = call(srv, "GET", f"{ns}?limit=10&continue=bm90LWEtdG9rZW4")
    assert code == 400 and status["message"].startswith("invalid continue token")
    code, status, _ = call(srv, "GET", f"{ns}?limit=10&continue={page['metadata'].get('continue', 'x')}"
                                       "&resourceVersion=5")
    assert code == 400
    code, lst, _ = call(srv, "GET", "/api/v1/configmaps")  # all namespaces
    assert code == 200 and lst["kind"] == "ConfigMapList" and len(lst["items"]) >= 25
    code, empty, _ = call(srv, "GET", "/api/v1/namespaces/empty/configmaps")
    assert empty["items"] == []


def test_selectors(srv):
    ns = "/api/v1/namespaces/sel/configmaps"
    call(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sel"}})
    call(srv, "POST", ns, cm("a", labels={"tier": "web", "env": "prod"}))
    call(srv, "POST", ns, cm("b", labels={"tier": "db", "env": "prod"}))
    call(srv, "POST", ns, cm("c", labels={"tier": "web"}))

    def names(query):
        code, body, _ = call(srv, "GET", f"{ns}?{query}")
        assert code == 200, body
        return [i["metadata"]["name"] for i in body["items"]]
    assert names("labelSelector=tier%3Dweb") == ["a", "c"]
    assert names("labelSelector=tier%3Dweb,env") == ["a"]
    assert names("labelSelector=tier+in+(db,cache)") == ["b"]
    assert names("labelSelector=!env") == ["c"]
    assert names("fieldSelector=metadata.name%3Db") == ["b"]
    assert names("fieldSelector=metadata.name!%3Db&labelSelector=env%3Dprod") == ["a"]
    code, status, _ = call(srv, "GET", f"{ns}?labelSelector=tier%3D%3D%3D")
    assert code == 400
    code, status, _ = call(srv, "GET", f"{ns}?fieldSelector=spec.foo%3Dbar")
    assert code == 400 and "spec.foo" in status["message"]


def read_events(srv, path, count, timeout=5.0, headers=None):
    conn = srv.connection(timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    assert resp.status == 200
    events = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        line = resp.readline()
        if not line:
            break
        events.append(json.loads(line))
    conn.close()
    return events


def test_watch_from_list_revision_in_order(srv):
    ns = "/api/v1/namespaces/watch1/configmaps"
    call(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "watch1"}})
    call(srv, "POST", ns, cm("before"))
    _, lst, _ = call(srv, "GET", ns)
    rv = lst["metadata"]["resourceVersion"]

    def writes():
        time.sleep(0.2)
        call(srv, "POST", ns, cm("w1"))
        call(srv, "PATCH", f"{ns}/w1", {"data": {"x": "y"}}, {"Content-Type": "application/merge-patch+json"})
        call(srv, "DELETE", f"{ns}/w1")
    t = threading.Thread(target=writes)
    t.start()
    events = read_events(srv, f"{ns}?watch=true&resourceVersion={rv}", 3)
    t.join()
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(e["object"]["metadata"]["name"] == "w1" and e["object"]["kind"] == "ConfigMap" for e in events)
    revisions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert revisions == sorted(revisions) and revisions[0] > int(rv)


def test_watch_initial_events_bookmarks_and_selectors(srv):
    ns = "/api/v1/namespaces/watch2/configmaps"
    call(srv, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "watch2"}})
    call(srv, "POST", ns, cm("one", labels={"k": "v"}))
    call(srv, "POST", ns, cm("two"))
    events = read_events(srv, f"{ns}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                              "&resourceVersion=&allowWatchBookmarks=true&labelSelector=k%3Dv", 3, timeout=3)
    assert [e["type"] for e in events[:2]] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert events[1]["object"]["kind"] == "ConfigMap"
    assert events[2]["type"] == "BOOKMARK"  # periodic, the interval is shortened for this server
    # an object that stops matching the selector is DELETED for this watcher
    _, lst, _ = call(srv, "GET", ns)

    def relabel():
        time.sleep(0.2)
        call(srv, "PATCH", f"{ns}/one", {"metadata": {"labels": {"k": None}}},
             {"Content-Type": "application/merge-patch+json"})
    t = threading.Thread(target=relabel)
    t.start()
    events = read_events(srv, f"{ns}?watch=1&labelSelector=k%3Dv&resourceVersion={lst['metadata']['resourceVersion']}",
                         1)
    t.join()
    assert events[0]["type"] == "DELETED" and events[0]["object"]["metadata"]["name"] == "one"


def test_watch_too_old_and_timeout(srv):
    ns = "/api/v1/namespaces/default/configmaps"
    call(srv, "POST", ns, cm("compact-me"))
    store = srv.config.store
    store.compact(store.current_revision())
    events = read_events(srv, f"{ns}?watch=true&resourceVersion=1", 1)
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"
    assert events[0]["object"]["message"].startswith("too old resource version: 1 (")
    start = time.monotonic()
    conn = srv.connection()
    conn.request("GET", f"{ns}?watch=true&timeoutSeconds=1&resourceVersion={store.current_revision()}")
    resp = conn.getresponse()
    assert resp.read() == b"" and time.monotonic() - start < 3  # ends cleanly at the timeout
    code, status, _ = call(srv, "GET", f"{ns}/x?resourceVersion={store.current_revision() + 100}")
    assert code == 504 and "Too large resource version" in status["message"]


def test_tables_and_partial_metadata(srv):
    call(srv, "POST", CM, cm("tabled", {"a": "1", "b": "2"}))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    code, table, _ = call(srv, "GET", f"{CM}?limit=500", headers={"Accept": accept})
    assert code == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "Data", "Age"]
    row = next(r for r in table["rows"] if r["cells"][0] == "tabled")
    assert row["cells"][1] == 2 and row["object"]["kind"] == "PartialObjectMetadata"
    code, table, _ = call(srv, "GET", f"{CM}/tabled?includeObject=Object", headers={"Accept": accept})
    assert table["rows"][0]["object"]["kind"] == "ConfigMap"
    code, meta, _ = call(srv, "GET", f"{CM}/tabled",
                         headers={"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"})
    assert meta["kind"] == "PartialObjectMetadata" and "data" not in meta
    code, metas, _ = call(srv, "GET", CM,
                          headers={"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"})
    assert metas["kind"] == "PartialObjectMetadataList" and metas["items"]


def test_discovery(srv):
    code, api, _ = call(srv, "GET", "/api")
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    code, groups, _ = call(srv, "GET", "/apis")
    names = [g["name"] for g in groups["groups"]]
    assert "apps" in names and "rbac.authorization.k8s.io" in names
    code, res, _ = call(srv, "GET", "/apis/apps/v1")
    deploy = next(r for r in res["resources"] if r["name"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["storageVersionHash"] == "8aSe+NMegvE="
    assert any(r["name"] == "deployments/scale" and r["kind"] == "Scale" for r in res["resources"])
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    code, agg, headers = call(srv, "GET", "/apis", headers={"Accept": accept})
    assert headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert agg["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in agg["items"] if i["metadata"]["name"] == "apps")
    res = apps["versions"][0]["resources"]
    assert all("responseKind" in r for r in res)
    etag = headers["ETag"]
    code, _, _ = call(srv, "GET", "/apis", headers={"Accept": accept, "If-None-Match": etag})
    assert code == 304
    code, core, _ = call(srv, "GET", "/api", headers={"Accept": accept})
    assert [i["metadata"]["name"] for i in core["items"]] == [""]


def test_secret_data_round_trip_and_delete_collection(srv):
    ns = "/api/v1/namespaces/default/secrets"
    data = base64.b64encode(b"\x00\x01binary").decode()
    code, s, _ = call(srv, "POST", ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1",
                                                                                          "labels": {"dc": "1"}},
                                        "data": {"k": data}})
    assert code == 201 and s["type"] == "Opaque" and s["data"]["k"] == data
    call(srv, "POST", ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2", "labels": {"dc": "1"}}})
    code, result, _ = call(srv, "DELETE", f"{ns}?labelSelector=dc%3D1")
    assert code == 200 and sorted(i["metadata"]["name"] for i in result["items"]) == ["s1", "s2"]
    assert call(srv, "GET", f"{ns}/s1")[0] == 404


def test_field_validation_strict_warn_ignore_and_pruning(srv):
    body = deployment("fv")
    body["spec"]["replicass"] = 3
    body["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    code, status, _ = call(srv, "POST", f"{DEPLOY}?fieldValidation=Strict", body)
    assert code == 400
    assert status["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                                 'error: unknown field "spec.template.spec.containers[0].imagee", '
                                 'unknown field "spec.replicass"')  # in the order the body has them
    code, obj, headers = call(srv, "POST", DEPLOY, body)  # Warn is the default
    assert code == 201
    assert headers.get_all("Warning") == ['299 - "unknown field \\"spec.template.spec.containers[0].imagee\\""',
                                          '299 - "unknown field \\"spec.replicass\\""']
    assert "replicass" not in obj["spec"] and "imagee" not in obj["spec"]["template"]["spec"]["containers"][0]
    raw = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupe","name":"dupe"},"data":{}}'
    code, status, _ = call(srv, "POST", f"{CM}?fieldValidation=Strict", raw,
                           {"Content-Type": "application/json"})
    assert code == 400 and status["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                                                 'strict decoding error: duplicate field "metadata.name"')
    code, obj, headers = call(srv, "POST", f"{CM}?fieldValidation=Ignore", cm("ignored", extra="x"))
    assert code == 201 and "Warning" not in headers and "extra" not in obj["metadata"]


def test_service_defaults_and_cluster_ip_kept_on_replace(srv):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    code, created, _ = call(srv, "POST", "/api/v1/namespaces/default/services", svc)
    assert code == 201
    spec = created["spec"]
    assert spec["type"] == "ClusterIP" and spec["clusterIP"].startswith("10.") and spec["clusterIPs"] == [
        spec["clusterIP"]]
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    svc["spec"]["ports"] = [{"port": 8080}]
    code, replaced, _ = call(srv, "PUT", "/api/v1/namespaces/default/services/web", svc)
    assert code == 200 and replaced["spec"]["clusterIP"] == spec["clusterIP"]
