"""Nothing a client sends yields a 500: random bodies, queries and paths against the real server."""

import json
import random
import string

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
FIELDS = ["apiVersion", "kind", "metadata", "spec", "status", "data", "name", "labels", "finalizers",
          "containers", "replicas", "selector", "template", "generateName", "namespace", "resourceVersion"]
OBJECTS = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(alphabet="ab-./", max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), children, max_size=5),
    max_leaves=25)
PATHS = ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/pods",
         "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces", "/api/v1/nodes",
         "/apis/batch/v1/namespaces/default/jobs", "/api/v1/namespaces/default/services"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@given(path=st.sampled_from(PATHS), body=JSON_VALUES | OBJECTS,
       method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
       content_type=st.sampled_from(["application/json", "application/merge-patch+json", "application/yaml",
                                     "application/vnd.kubernetes.protobuf", "text/plain", ""]))
@SETTINGS
def test_random_bodies(server, path, body, method, content_type):
    if method != "POST":
        path += "/x"
    code, headers, raw = server.request(method, path, body=json.dumps(body).encode(),
                                        headers={"Content-Type": content_type} if content_type else {})
    assert code < 500, raw
    if code >= 400:
        assert json.loads(raw)["kind"] == "Status"


@given(query=st.dictionaries(st.sampled_from(["labelSelector", "fieldSelector", "limit", "continue",
                                              "resourceVersion", "resourceVersionMatch", "watch", "timeoutSeconds",
                                              "sendInitialEvents", "allowWatchBookmarks", "dryRun",
                                              "fieldValidation", "timeout", "includeObject", "propagationPolicy"]),
                             st.text(alphabet=string.printable, max_size=12), max_size=4),
       path=st.sampled_from(PATHS), method=st.sampled_from(["GET", "DELETE"]))
@SETTINGS
def test_random_queries(server, query, path, method):
    from urllib.parse import urlencode
    if "watch" in query:
        query["timeoutSeconds"] = "1"
    code, _, raw = server.request(method, f"{path}?{urlencode(query)}", timeout=15)
    assert code < 500, raw


@given(segments=st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-._~%", min_size=1, max_size=8),
                         min_size=1, max_size=7))
@SETTINGS
def test_random_paths(server, segments):
    for prefix in ("/api/", "/apis/"):
        code, _, raw = server.request(random.choice(["GET", "POST", "DELETE"]), prefix + "/".join(segments))
        assert code < 500, raw
