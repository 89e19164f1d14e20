"""OpenAPI v2/v3 documents (apiserver.endpoints.openapi): structure against upstream's shape, caching, the HTTP
handlers, and kubectl 1.32 end to end (explain, create -f with the default strict validation, apply -f)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import time
from typing import Any, Dict, Iterator, Optional

import pytest
from support import ServerThread

from apiserver.apis import schemas
from apiserver.apis.resources import ResourceDef, ResourceTable, builtin_table
from apiserver.endpoints import openapi
from apiserver.endpoints.openapi import OpenAPI
from apiserver.server.httpserver import Headers
from apiserver.server.request import Request

KUBECTL = shutil.which("kubectl")
HERE = os.path.dirname(os.path.abspath(__file__))
MANIFESTS = os.path.join(HERE, "manifests")
TIMEOUT = 60

PATCH_TYPES = {"application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml"}


@pytest.fixture(scope="module")
def service() -> OpenAPI:
    return OpenAPI(builtin_table())


def doc(service: OpenAPI, prefix: str) -> dict:
    data = service.v3_document(prefix)
    assert data is not None, prefix
    return json.loads(data)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:  # JSONSchemaProps has a property named "$ref": that one is a schema, not a reference
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def gvk(r: ResourceDef) -> dict:
    return {"group": r.group, "version": r.version, "kind": r.kind}


def request(path: str, headers: Optional[Dict[str, str]] = None, method: str = "GET") -> Request:
    return Request(method, path, Headers(list((headers or {}).items())), "127.0.0.1", None, "audit", time.time(),
                   lambda: b"")


def header(resp, name: str) -> Optional[str]:
    return resp.header(name)


# -- structure -------------------------------------------------------------------------------------------------

def expected_paths(r: ResourceDef) -> Dict[str, Dict[str, str]]:
    """path -> {method: x-kubernetes-action} that upstream serves for a resource (all verbs)."""
    prefix = f"/apis/{r.group}/{r.version}" if r.group else f"/api/{r.version}"
    ns = "/namespaces/{namespace}" if r.namespaced else ""
    base = f"{prefix}{ns}/{r.plural}"
    if r.virtual:   # reviews: create only
        return {base: {"post": "post"}}
    out = {
        base: {"get": "list", "post": "post", "delete": "deletecollection"},
        base + "/{name}": {"get": "get", "put": "put", "patch": "patch", "delete": "delete"},
        f"{prefix}/watch{ns}/{r.plural}": {"get": "watchlist"},
        f"{prefix}/watch{ns}/{r.plural}/{{name}}": {"get": "watch"},
    }
    if r.namespaced:
        out[f"{prefix}/{r.plural}"] = {"get": "list"}
        out[f"{prefix}/watch/{r.plural}"] = {"get": "watchlist"}
    for sub in r.subresources:
        out[f"{base}/{{name}}/{sub}"] = {"put": "put"} if sub == "finalize" else {"post": "post"} \
            if sub == "token" else {"get": "get", "put": "put", "patch": "patch"}
    return out


def test_every_served_resource_has_its_paths_and_operations(service):
    table = builtin_table()
    for group, versions in table.group_versions().items():
        for version in versions:
            prefix = f"apis/{group}/{version}" if group else f"api/{version}"
            d = doc(service, prefix)
            assert d["openapi"] == "3.0.0"
            assert d["info"]["title"] == "Kubernetes"
            for r in (r for r in table.resources if (r.group, r.version) == (group, version)):
                for path, methods in expected_paths(r).items():
                    assert path in d["paths"], path
                    item = d["paths"][path]
                    for method, action in methods.items():
                        op = item[method]
                        assert op["x-kubernetes-action"] == action, (path, method)
                        want = {"group": "autoscaling", "version": "v1", "kind": "Scale"} \
                            if path.endswith("/scale") else {"group": "authentication.k8s.io", "version": "v1",
                                                             "kind": "TokenRequest"} \
                            if path.endswith("/token") else gvk(r)
                        assert op["x-kubernetes-group-version-kind"] == {k: want[k] for k in
                                                                         ("group", "kind", "version")}
                        assert op["tags"] == [openapi.tag(group, version)]
                        assert "401" in op["responses"]
                        if method == "patch":
                            names = [p["name"] for p in op["parameters"]]
                            assert names == ["dryRun", "fieldManager", "fieldValidation", "force"], path
                            assert set(op["requestBody"]["content"]) == PATCH_TYPES
                            assert op["requestBody"]["required"] is True
                        if method in ("post", "put"):
                            assert [p["name"] for p in op["parameters"]] == ["dryRun", "fieldManager",
                                                                             "fieldValidation"]
                    names = [p["name"] for p in item.get("parameters", [])]
                    assert names == sorted(names), path
                    if "{name}" in path:
                        assert "name" in names
                    if "{namespace}" in path:
                        assert "namespace" in names


def test_kubectl_finds_field_validation_for_every_kind(service):
    """What kubectl's queryParamVerifierV3 does: the first patch operation with the GVK must list fieldValidation
    among its own (operation-level) parameters."""
    table = builtin_table()
    for r in (r for r in table.resources if "patch" in r.verbs):
        d = doc(service, f"apis/{r.group}/{r.version}" if r.group else f"api/{r.version}")
        matching = [item["patch"] for item in d["paths"].values() if "patch" in item
                    and item["patch"]["x-kubernetes-group-version-kind"] == {"group": r.group, "kind": r.kind,
                                                                             "version": r.version}]
        assert matching, r.kind
        for op in matching:
            assert "fieldValidation" in [p["name"] for p in op["parameters"]]


def test_refs_resolve_inside_each_document(service):
    for prefix in service.prefixes():
        d = doc(service, prefix)
        found = set(refs(d))
        assert found, prefix
        for ref in found:
            assert ref.startswith("#/components/schemas/"), ref
            assert ref[len("#/components/schemas/"):] in d["components"]["schemas"], (prefix, ref)
    # and nothing unreachable is carried along
    d = doc(service, "apis/apps/v1")
    used = {ref.rsplit("/", 1)[-1] for ref in refs(d)}
    assert set(d["components"]["schemas"]) == used


def test_top_level_types_carry_their_gvk_and_descriptions(service):
    d = doc(service, "apis/apps/v1")
    s = d["components"]["schemas"]
    assert s["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert s["io.k8s.api.apps.v1.Deployment"]["description"].startswith("Deployment enables declarative updates")
    # a $ref with siblings becomes allOf + siblings; a bare $ref stays bare
    assert s["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec"}],
        "description": schemas.definitions()["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"][
            "description"]}
    containers = s["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    limits = s["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]
    assert limits["additionalProperties"] == {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource"
                                                      ".Quantity"}
    assert s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"] == [{"type": "integer"},
                                                                           {"type": "string"}]
    assert s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert s["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"] == [{"type": "string"}, {"type": "number"}]
    assert "type" not in s["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert d["components"]["securitySchemes"]["BearerToken"]["type"] == "apiKey"
    # the shared built-in definitions are not modified by the conversion
    assert "$ref" in schemas.definitions()["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]


def test_operations_as_upstream_names_them(service):
    apps = doc(service, "apis/apps/v1")["paths"]
    item = apps["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert item["patch"]["operationId"] == "patchAppsV1NamespacedDeployment"
    assert item["patch"]["description"] == "partially update the specified Deployment"
    assert [p["name"] for p in item["parameters"]] == ["name", "namespace", "pretty"]
    assert item["parameters"][0]["description"] == "name of the Deployment"
    assert item["parameters"][0]["required"] is True
    assert item["parameters"][0]["schema"] == {"type": "string", "uniqueItems": True}
    assert item["delete"]["operationId"] == "deleteAppsV1NamespacedDeployment"
    assert [p["name"] for p in item["delete"]["parameters"]] == [
        "dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential", "orphanDependents",
        "propagationPolicy"]
    assert "required" not in item["delete"]["requestBody"]
    assert set(item["get"]["responses"]["200"]["content"]) == {
        "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
    coll = apps["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert coll["get"]["operationId"] == "listAppsV1NamespacedDeployment"
    assert coll["post"]["operationId"] == "createAppsV1NamespacedDeployment"
    assert coll["post"]["description"] == "create a Deployment"
    assert coll["delete"]["operationId"] == "deleteAppsV1CollectionNamespacedDeployment"
    assert set(coll["get"]["responses"]["200"]["content"]) == {
        "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
        "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"}
    assert [p["name"] for p in coll["get"]["parameters"]] == [
        "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
        "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"]
    assert apps["/apis/apps/v1/deployments"]["get"]["operationId"] == "listAppsV1DeploymentForAllNamespaces"
    assert apps["/apis/apps/v1/watch/deployments"]["get"]["operationId"] == \
        "watchAppsV1DeploymentListForAllNamespaces"
    assert apps["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"]["get"]["operationId"] == \
        "watchAppsV1NamespacedDeployment"
    scale = apps["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["get"]["operationId"] == "readAppsV1NamespacedDeploymentScale"
    assert scale["parameters"][0]["description"] == "name of the Scale"
    assert scale["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"}
    assert apps["/apis/apps/v1/"]["get"]["operationId"] == "getAppsV1APIResources"

    core = doc(service, "api/v1")["paths"]
    assert core["/api/v1/namespaces/{name}/finalize"]["put"]["operationId"] == "replaceCoreV1NamespaceFinalize"
    assert core["/api/v1/namespaces"]["post"]["operationId"] == "createCoreV1Namespace"
    assert core["/api/v1/namespaces/{namespace}/endpoints"]["post"]["description"] == "create Endpoints"
    assert core["/api/v1/namespaces/{namespace}/pods/{name}"]["delete"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"].endswith(".core.v1.Pod")
    assert core["/api/v1/namespaces/{namespace}/pods/{name}/status"]["patch"]["operationId"] == \
        "patchCoreV1NamespacedPodStatus"
    rbac = doc(service, "apis/rbac.authorization.k8s.io/v1")["paths"]
    assert rbac["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["delete"]["operationId"] == \
        "deleteRbacAuthorizationV1CollectionClusterRole"
    assert rbac["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["get"]["tags"] == ["rbacAuthorization_v1"]
    net = doc(service, "apis/networking.k8s.io/v1")["paths"]
    assert net["/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses"]["post"]["description"] == \
        "create an Ingress"
    assert net["/apis/networking.k8s.io/v1/watch/ingresses"]["get"]["operationId"] == \
        "watchNetworkingV1IngressListForAllNamespaces"


def test_discovery_documents(service):
    assert doc(service, "api")["paths"]["/api/"]["get"]["operationId"] == "getCoreAPIVersions"
    assert doc(service, "apis")["paths"]["/apis/"]["get"]["operationId"] == "getAPIVersions"
    group = doc(service, "apis/apps")
    assert group["paths"]["/apis/apps/"]["get"]["operationId"] == "getAppsAPIGroup"
    assert group["paths"]["/apis/apps/"]["get"]["tags"] == ["apps"]
    assert doc(service, "version")["paths"]["/version/"]["get"]["operationId"] == "getCodeVersion"
    for unknown in ("apis/nope/v1", "apis/apps/v9", "apis/nope", "api/v2", "", "apis", "logs"):
        if unknown != "apis":
            assert service.v3_document(unknown) is None, unknown


def test_index_lists_every_document_with_its_hash(service):
    index = service.v3_index()
    table = builtin_table()
    expected = {"api", "apis", "version"}
    for group, versions in table.group_versions().items():
        for version in versions:
            expected.add(f"apis/{group}/{version}" if group else f"api/{version}")
            if group:
                expected.add(f"apis/{group}")
    assert set(index["paths"]) == expected
    for prefix, entry in index["paths"].items():
        data = service.v3_document(prefix)
        digest = hashlib.sha512(data).hexdigest().upper()
        assert entry == {"serverRelativeURL": f"/openapi/v3/{prefix}?hash={digest}"}


def test_build_time_and_cache(capsys):
    schemas.definitions()  # the data file loads once per process; not part of a document's build
    timings = []
    for _ in range(3):
        fresh = OpenAPI(builtin_table())
        started = time.perf_counter()
        data = fresh.v3_document("apis/apps/v1")
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    again = fresh.v3_document("apis/apps/v1")
    cached = time.perf_counter() - started
    assert again is data
    started = time.perf_counter()
    fresh.warm()
    everything = time.perf_counter() - started
    core = fresh.build_times["v3:api/v1"]
    started = time.perf_counter()
    v2 = fresh.v2_document()
    v2_time = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n  apps/v1: {len(data)} bytes, built in {min(timings) * 1000:.1f} ms (cold, best of 3), "
              f"{cached * 1e6:.0f} us cached; api/v1: {len(fresh.v3_document('api/v1'))} bytes in "
              f"{core * 1000:.1f} ms; every other v3 document: {everything * 1000:.1f} ms; "
              f"v2: {len(v2)} bytes in {v2_time * 1000:.1f} ms")
    assert min(timings) < 0.050
    assert cached < 0.005


def test_table_changes_rebuild_documents():
    table = builtin_table()
    service = OpenAPI(table)
    before = service.v3_document("apis/apps/v1")
    hash_before = service.v3_index()["paths"]["apis/apps/v1"]["serverRelativeURL"]
    table.remove("apps", "v1", "controllerrevisions")
    after = service.v3_document("apis/apps/v1")
    assert after != before
    assert "/apis/apps/v1/namespaces/{namespace}/controllerrevisions" not in json.loads(after)["paths"]
    assert service.v3_index()["paths"]["apis/apps/v1"]["serverRelativeURL"] != hash_before
    # a new group-version shows up in the index
    table.add(ResourceDef("example.com", "v1alpha1", "Widget", "widgets", "widget", True, custom=True))
    index = service.v3_index()
    assert "apis/example.com/v1alpha1" in index["paths"] and "apis/example.com" in index["paths"]
    table.remove("example.com", "v1alpha1", "widgets")
    assert "apis/example.com/v1alpha1" not in service.v3_index()["paths"]
    assert service.v3_document("apis/example.com/v1alpha1") is None


def crd_definitions(color_description: str = "The colour.") -> Dict[str, dict]:
    return {
        "com.example.stable.v1.CronTab": {
            "description": "A CronTab.", "type": "object",
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
                           "spec": {"$ref": "#/definitions/com.example.stable.v1.CronTabSpec",
                                    "description": "The spec."}},
            "x-kubernetes-group-version-kind": [{"group": "stable.example.com", "kind": "CronTab",
                                                 "version": "v1"}]},
        "com.example.stable.v1.CronTabSpec": {
            "type": "object", "properties": {"color": {"type": "string", "description": color_description}}},
    }


def test_custom_resources_use_the_extra_definitions():
    table = ResourceTable()
    table.add(ResourceDef("stable.example.com", "v1", "CronTab", "crontabs", "crontab", True, status=True,
                          custom=True))
    table.add(ResourceDef("stable.example.com", "v1", "Gadget", "gadgets", "gadget", False, custom=True))
    extra = {"defs": crd_definitions()}
    calls = []

    def definition_for(group, version, kind):
        calls.append(kind)
        name = f"com.example.stable.v1.{kind}"
        return name if name in extra["defs"] else None

    service = OpenAPI(table, definition_for=definition_for, extra_definitions=lambda: extra["defs"])
    d = doc(service, "apis/stable.example.com/v1")
    item = d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]
    assert item["patch"]["operationId"] == "patchStableExampleComV1NamespacedCronTab"
    assert item["patch"]["tags"] == ["stableExampleCom_v1"]
    assert set(item["patch"]["requestBody"]["content"]) == PATCH_TYPES - {"application/strategic-merge-patch+json"}
    assert set(item["get"]["responses"]["200"]["content"]) == {"application/json", "application/yaml"}
    lst = d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"]["get"]
    assert set(lst["responses"]["200"]["content"]) == {"application/json", "application/yaml",
                                                        "application/json;stream=watch"}
    s = d["components"]["schemas"]
    assert s["com.example.stable.v1.CronTab"]["properties"]["spec"] == {
        "allOf": [{"$ref": "#/components/schemas/com.example.stable.v1.CronTabSpec"}], "description": "The spec."}
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in s
    # no list definition was given: one is made, listing the kind
    assert s["com.example.stable.v1.CronTabList"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/com.example.stable.v1.CronTab"}
    # no definition at all: any fields, ObjectMeta metadata, its GVK
    gadget = s["com.example.stable.v1.Gadget"]
    assert gadget["x-kubernetes-preserve-unknown-fields"] is True
    assert gadget["x-kubernetes-group-version-kind"] == [{"group": "stable.example.com", "kind": "Gadget",
                                                          "version": "v1"}]
    for ref in refs(d):
        assert ref.rsplit("/", 1)[-1] in s
    # v2 has them too, with v2 refs
    v2 = json.loads(service.v2_document())
    assert v2["definitions"]["com.example.stable.v1.CronTab"]["properties"]["spec"]["$ref"] == \
        "#/definitions/com.example.stable.v1.CronTabSpec"
    # changed definitions are served after invalidate()
    before = service.v3_document("apis/stable.example.com/v1")
    extra["defs"] = crd_definitions("The color.")
    assert service.v3_document("apis/stable.example.com/v1") is before
    service.invalidate()
    after = json.loads(service.v3_document("apis/stable.example.com/v1"))
    assert after["components"]["schemas"]["com.example.stable.v1.CronTabSpec"]["properties"]["color"][
        "description"] == "The color."


def test_v2_document(service):
    v2 = json.loads(service.v2_document())
    assert v2["swagger"] == "2.0"
    assert v2["securityDefinitions"]["BearerToken"]["in"] == "header"
    op = v2["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["operationId"] == "patchAppsV1NamespacedDeployment"
    assert set(op["consumes"]) == PATCH_TYPES
    assert op["parameters"][0] == {"in": "body", "name": "body", "required": True,
                                   "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}
    assert [p["name"] for p in op["parameters"][1:]] == ["dryRun", "fieldManager", "fieldValidation", "force"]
    assert op["parameters"][1]["type"] == "string"
    assert op["responses"]["200"]["schema"] == {"$ref": "#/definitions/io.k8s.api.apps.v1.Deployment"}
    assert op["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    assert "/api/v1/namespaces/{namespace}/pods" in v2["paths"]
    for ref in set(refs(v2)):
        assert ref.startswith("#/definitions/") and ref[len("#/definitions/"):] in v2["definitions"], ref


# -- HTTP handlers -----------------------------------------------------------------------------------------------

def test_v3_index_handler_etag_and_304(service):
    resp = service.handle_v3(request("/openapi/v3"))
    assert resp.status == 200
    assert header(resp, "Content-Type") == "application/json"
    tag = header(resp, "Etag")
    assert tag == openapi.etag(resp.body) and tag.startswith('"') and len(tag) == 130
    assert json.loads(resp.body) == service.v3_index()
    assert resp.body.startswith(b'{"paths":{"api":{"serverRelativeURL":"/openapi/v3/api?hash=')
    again = service.handle_v3(request("/openapi/v3", {"If-None-Match": tag}))
    assert again.status == 304 and again.body == b"" and header(again, "Etag") == tag
    assert service.handle_v3(request("/openapi/v3", {"If-None-Match": '"other"'})).status == 200


def test_v3_document_handler(service):
    url = service.v3_index()["paths"]["apis/apps/v1"]["serverRelativeURL"]
    digest = url.split("hash=")[1]
    resp = service.handle_v3(request(url, {"Accept": "application/json"}))
    assert resp.status == 200
    assert resp.body == service.v3_document("apis/apps/v1")
    assert header(resp, "Content-Type") == "application/json"
    assert header(resp, "Etag") == f'"{digest}"'
    assert header(resp, "Cache-Control") == "public, immutable"
    assert header(resp, "Expires").endswith(" UTC")
    assert header(resp, "Vary") == "Accept"
    # without a hash: no caching headers
    plain = service.handle_v3(request("/openapi/v3/apis/apps/v1"))
    assert plain.status == 200 and header(plain, "Cache-Control") is None
    # a stale hash redirects to the current one
    stale = service.handle_v3(request("/openapi/v3/apis/apps/v1?hash=ABC"))
    assert stale.status == 301 and header(stale, "Location") == url
    # conditional requests
    cond = service.handle_v3(request(url, {"If-None-Match": f'W/"{digest}", "x"'}))
    assert cond.status == 304 and cond.body == b""
    # content negotiation: JSON or wildcards; protobuf alone is not acceptable
    for accept in ("application/json, */*", "*/*", "application/*", "", "application/json;q=0.5"):
        assert service.handle_v3(request(url, {"Accept": accept} if accept else {})).status == 200, accept
    for accept in (openapi.V3_PROTOBUF, "text/html", "application/json;q=0"):
        assert service.handle_v3(request(url, {"Accept": accept})).status == 406, accept
    assert service.handle_v3(request(url, {"Accept": f"{openapi.V3_PROTOBUF}, application/json"})).status == 200
    # unknown documents
    for path in ("/openapi/v3/apis/nope/v1", "/openapi/v3/", "/openapi/v3/apis/apps/v1/extra"):
        missing = service.handle_v3(request(path))
        assert missing.status == 404 and missing.body == b"404 page not found\n", path


def test_v2_handler(service):
    resp = service.handle_v2(request("/openapi/v2", {"Accept": "application/json"}))
    assert resp.status == 200 and header(resp, "Content-Type") == "application/json"
    assert resp.body == service.v2_document()
    assert header(resp, "Etag") == openapi.etag(resp.body)
    zipped = service.handle_v2(request("/openapi/v2", {"Accept-Encoding": "gzip"}))
    assert header(zipped, "Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == resp.body
    assert len(zipped.body) < len(resp.body) / 4
    assert service.handle_v2(request("/openapi/v2", {"If-None-Match": header(resp, "Etag")})).status == 304
    assert service.handle_v2(request("/openapi/v2", {"Accept": openapi.V2_PROTOBUF})).status == 406


def test_if_modified_since_and_install(service):
    resp = service.handle_v3(request("/openapi/v3/apis/apps/v1"))
    since = header(resp, "Last-Modified")
    assert since.endswith(" GMT")
    assert service.handle_v3(request("/openapi/v3/apis/apps/v1", {"If-Modified-Since": since})).status == 304
    assert service.handle_v3(request("/openapi/v3/apis/apps/v1",
                                     {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})).status == 200

    class Recorder:
        def __init__(self):
            self.routes, self.prefixes = {}, {}

        def handle(self, path, handler):
            self.routes[path] = handler

        def handle_prefix(self, prefix, handler):
            self.prefixes[prefix] = handler

    server = Recorder()
    service.install(server)
    assert set(server.routes) == {"/openapi/v3", "/openapi/v2"} and set(server.prefixes) == {"/openapi/v3/"}
    assert server.routes["/openapi/v3"](request("/openapi/v3")).status == 200
    assert server.prefixes["/openapi/v3/"](request("/openapi/v3/api/v1")).status == 200


# -- through the real server -------------------------------------------------------------------------------------

def install(server, log: Optional[list] = None) -> None:
    """What the app does: one OpenAPI service over the server's resource table (``log`` records every request
    to it as (method, target, status))."""
    api = getattr(server, "api", None)
    service = OpenAPI(api.table if api is not None else builtin_table())

    def logged(handler):
        def handle(req):
            resp = handler(req)
            if log is not None:
                log.append((req.method, req.target, resp.status))
            return resp
        return handle

    server.handle(openapi.V3_PREFIX, logged(service.handle_v3_index))
    server.handle_prefix(openapi.V3_PREFIX + "/", logged(service.handle_v3_document))
    server.handle(openapi.V2_PATH, logged(service.handle_v2))


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    log: list = []
    server = ServerThread(tmp_path_factory.mktemp("openapi") / "data", customize=lambda s: install(s, log))
    server.openapi_requests = log
    server.start()
    yield server
    server.stop()


def test_served_over_tls(srv):
    code, headers, body = srv.request("GET", "/openapi/v3")
    assert code == 200
    index = json.loads(body)
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, headers, body = srv.request("GET", url, headers={"Accept": "application/json"})
    assert code == 200 and headers["Cache-Control"] == "public, immutable"
    assert hashlib.sha512(body).hexdigest().upper() == url.split("hash=")[1]
    code, _, body = srv.request("GET", url, headers={"If-None-Match": headers["Etag"]})
    assert code == 304 and body == b""
    code, headers, body = srv.request("GET", "/openapi/v2", headers={"Accept-Encoding": "gzip"})
    assert code == 200 and json.loads(gzip.decompress(body))["swagger"] == "2.0"
    code, _, _ = srv.request("GET", "/openapi/v3/apis/nope/v1")
    assert code == 404


# -- kubectl 1.32 end to end ---------------------------------------------------------------------------------

needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  {replicas_field}: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
"""


def deployment(tmp_path, name: str, replicas: int = 2, replicas_field: str = "replicas") -> str:
    path = tmp_path / f"{name}-{replicas}-{replicas_field}.yaml"
    path.write_text(DEPLOYMENT.format(name=name, replicas=replicas, replicas_field=replicas_field))
    return str(path)


class Kubectl:
    def __init__(self, srv: ServerThread, home: str):
        self.srv = srv
        self.env = dict(os.environ, HOME=home)
        self.env.pop("KUBECONFIG", None)

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([KUBECTL, "--kubeconfig", str(self.srv.kubeconfig), *args], capture_output=True,
                              text=True, timeout=TIMEOUT, env=self.env)


@pytest.fixture(scope="module")
def kubectl(srv, tmp_path_factory):
    return Kubectl(srv, str(tmp_path_factory.mktemp("kubectl-home")))


@pytest.fixture(scope="module")
def namespace(srv):
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": "openapi-e2e"}})
    assert code == 201, body
    return "openapi-e2e"


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@needs_kubectl
def test_kubectl_explain(kubectl):
    out = ok(kubectl("explain", "deployment.spec.template.spec.containers"))
    lines = out.splitlines()
    assert lines[:3] == ["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1"]
    assert "FIELD: containers <[]Container>" in out
    assert "List of containers belonging to the pod." in out
    assert "  image\t<string>" in out and "  ports\t<[]ContainerPort>" in out
    assert "  resources\t<ResourceRequirements>" in out
    out = ok(kubectl("explain", "deployment.spec.strategy.rollingUpdate.maxSurge"))
    assert "FIELD: maxSurge <IntOrString>" in out
    out = ok(kubectl("explain", "pods"))
    assert "KIND:       Pod" in out and "Pod is a collection of containers" in out
    out = ok(kubectl("explain", "clusterroles.rules"))
    assert "GROUP:      rbac.authorization.k8s.io" in out and "FIELD: rules <[]PolicyRule>" in out


@needs_kubectl
def test_kubectl_create_with_strict_validation(kubectl, namespace, tmp_path, srv):
    out = ok(kubectl("create", "-f", deployment(tmp_path, "strict"), "-n", namespace))
    assert out == "deployment.apps/strict created\n"
    code, obj = srv.get_json(f"/apis/apps/v1/namespaces/{namespace}/deployments/strict")
    assert code == 200 and obj["spec"]["replicas"] == 2

    typo = deployment(tmp_path, "typo", replicas_field="replicass")
    bad = kubectl("create", "-f", typo, "-n", namespace)
    assert bad.returncode != 0
    assert bad.stderr.strip() == (f'Error from server (BadRequest): error when creating "{typo}": Deployment in '
                                  'version "v1" cannot be handled as a Deployment: strict decoding error: unknown '
                                  'field "spec.replicass"')
    assert srv.request("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/typo")[0] == 404


@needs_kubectl
def test_kubectl_create_every_kind_with_strict_validation(kubectl, srv):
    """Every served kind's group-version document passes kubectl's fieldValidation check (else kubectl 1.32 would
    fall back to /openapi/v2 as protobuf, which this server does not produce, and fail)."""
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": "e2e-kinds"}})
    assert code == 201, body
    files = sorted(os.listdir(os.path.join(MANIFESTS, "kinds")))
    result = kubectl("create", "-f", os.path.join(MANIFESTS, "kinds"), "-n", "e2e-kinds")
    assert result.returncode == 0, result.stderr
    created = [line for line in result.stdout.splitlines() if line.endswith(" created")]
    assert len(created) == len(files), result.stdout


@needs_kubectl
def test_kubectl_apply(kubectl, namespace, tmp_path, srv):
    first = deployment(tmp_path, "applied", replicas=1)
    assert ok(kubectl("apply", "-f", first, "-n", namespace)) == "deployment.apps/applied created\n"
    code, obj = srv.get_json(f"/apis/apps/v1/namespaces/{namespace}/deployments/applied")
    assert code == 200
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]
    assert ok(kubectl("apply", "-f", first, "-n", namespace)) == "deployment.apps/applied unchanged\n"
    # a change is sent as a strategic merge patch computed from the v3 schemas
    second = ok(kubectl("apply", "-f", deployment(tmp_path, "applied", replicas=3), "-n", namespace))
    assert second == "deployment.apps/applied configured\n"
    assert srv.get_json(f"/apis/apps/v1/namespaces/{namespace}/deployments/applied")[1]["spec"]["replicas"] == 3


@needs_kubectl
def test_kubectl_caches_documents_by_hash(srv, tmp_path):
    """kubectl keeps the documents in its HTTP disk cache: a second run revalidates the index (304) and reads
    the immutable, hash-addressed group-version document from the cache without asking for it."""
    home = tmp_path / "home"
    home.mkdir()
    fresh = Kubectl(srv, str(home))
    log = srv.openapi_requests
    start = len(log)
    ok(fresh("explain", "deployment.spec.replicas"))
    first = log[start:]
    assert [(m, t.split("?")[0], c) for m, t, c in first] == [("GET", "/openapi/v3", 200),
                                                               ("GET", "/openapi/v3/apis/apps/v1", 200)]
    assert "hash=" in first[1][1]
    assert (home / ".kube" / "cache" / "http").is_dir()
    start = len(log)
    ok(fresh("explain", "deployment.spec.replicas"))
    assert [(m, t.split("?")[0], c) for m, t, c in log[start:]] == [("GET", "/openapi/v3", 304)]
