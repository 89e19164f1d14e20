"""Audit logging end to end: a real server with --audit-policy-file and --audit-log-path, requests over TLS
and kubectl, then the audit file read back event by event."""

import gzip
import http.client
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from support import write_token_file

from apiserver import cli
from apiserver.audit import policy as audit_policy
from apiserver.audit import yamlsubset
from apiserver.audit.log import RotatingFile, legacy_line
from apiserver.options import OptionsError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KUBECTL = shutil.which("kubectl")
HAS_YAML = importlib.util.find_spec("yaml") is not None
MICRO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
BACKUP = re.compile(r"audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log\Z")

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  # health probes are not worth a line
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
  - level: Metadata
    omitStages: [RequestReceived]
    nonResourceURLs: ["/version"]
  - level: RequestResponse
    namespaces: ["rr"]
    resources:
      - group: ""
        resources: ["configmaps"]
  - level: Request
    resources:
      - group: ""
        resources: ["configmaps"]
  - level: None
    resources:
      - group: ""
        resources: ["namespaces"]
        resourceNames: ["quiet"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "namespaces/status"]
  - level: Metadata
"""


def write(path, text):
    path.write_text(text)
    return str(path)


def read_events(path):
    events = []
    if not os.path.exists(path):
        return events
    with open(path, encoding="utf-8") as f:
        for line in f:
            events.append(json.loads(line))
    return events


def wait_events(path, match, count, timeout=10.0):
    """The events matching ``match``, once at least ``count`` of them are in the file."""
    deadline = time.monotonic() + timeout
    while True:
        found = [ev for ev in read_events(path) if match(ev)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def by_id(audit_id):
    return lambda ev: ev["auditID"] == audit_id


@pytest.fixture
def audited(make_server, tmp_path):
    """A server with the policy above; returns (server, audit log path)."""
    policy = write(tmp_path / "policy.yaml", POLICY)
    tokens = write_token_file(tmp_path / "tokens.csv", ['alice-secret-token,alice,uid-1,"dev,ops"'])
    log = str(tmp_path / "logs" / "audit.log")
    srv = make_server("--audit-policy-file", policy, "--audit-log-path", log, "--token-auth-file", tokens,
                      "--controllers=none", "--authorization-mode=AlwaysAllow")
    return srv, log


def test_metadata_event_field_by_field(audited):
    srv, log = audited
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/default?pretty=false",
                                   headers={"User-Agent": "audit-test/1.0", "X-Forwarded-For": "10.1.2.3"})
    assert code == 200
    audit_id = headers["Audit-ID"]
    events = wait_events(log, by_id(audit_id), 2)
    assert [ev["stage"] for ev in events] == ["RequestReceived", "ResponseComplete"]
    received, complete = events
    for ev in events:
        assert ev["kind"] == "Event" and ev["apiVersion"] == "audit.k8s.io/v1"
        assert ev["level"] == "Metadata"
        assert ev["requestURI"] == "/api/v1/namespaces/default?pretty=false"
        assert ev["verb"] == "get"
        credential = ev["user"]["extra"].pop("authentication.kubernetes.io/credential-id")
        assert credential[0].startswith("X509SHA256=") and len(credential[0]) == 11 + 64
        assert ev["user"] == {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"],
                              "extra": {}}
        assert ev["sourceIPs"] == ["10.1.2.3", "127.0.0.1"]
        assert ev["userAgent"] == "audit-test/1.0"
        # as upstream's request info: a namespace's own namespace is its name
        assert ev["objectRef"] == {"resource": "namespaces", "namespace": "default", "name": "default",
                                   "apiVersion": "v1"}
        assert "requestObject" not in ev and "responseObject" not in ev and "impersonatedUser" not in ev
        assert MICRO.match(ev["requestReceivedTimestamp"]) and MICRO.match(ev["stageTimestamp"])
        assert ev["requestReceivedTimestamp"] == received["requestReceivedTimestamp"]
    assert received["stageTimestamp"] == received["requestReceivedTimestamp"]
    assert complete["stageTimestamp"] >= complete["requestReceivedTimestamp"]
    assert "responseStatus" not in received and "annotations" not in received  # authorization comes after
    assert complete["responseStatus"] == {"metadata": {}, "code": 200}
    assert complete["annotations"] == {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    # the client's own Audit-ID is kept, in the header and the events
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/default/configmaps", headers={"Audit-ID": "mine-1"})
    assert headers["Audit-ID"] == "mine-1"
    assert [ev["stage"] for ev in wait_events(log, by_id("mine-1"), 2)] == ["RequestReceived", "ResponseComplete"]


def test_levels_follow_the_first_matching_rule(audited):
    srv, log = audited
    assert srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": "rr"}})[0] == 201
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}, "data": {"k": "v"}}
    # RequestResponse in namespace rr: both objects
    code, headers, body = srv.request("POST", "/api/v1/namespaces/rr/configmaps", cm)
    assert code == 201
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["level"] == "RequestResponse" and complete["stage"] == "ResponseComplete"
    assert complete["verb"] == "create"
    assert complete["objectRef"] == {"resource": "configmaps", "namespace": "rr", "name": "c1", "apiVersion": "v1"}
    assert complete["requestObject"] == cm
    assert complete["responseObject"] == json.loads(body)
    assert complete["responseStatus"] == {"metadata": {}, "code": 201}
    # Request elsewhere: the request object only
    code, headers, _ = srv.request("POST", "/api/v1/namespaces/default/configmaps", cm)
    assert code == 201
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["level"] == "Request"
    assert complete["requestObject"] == cm and "responseObject" not in complete
    # a merge patch is logged as the patch itself
    code, headers, _ = srv.request("PATCH", "/api/v1/namespaces/default/configmaps/c1", {"data": {"k": "w"}},
                                   headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["verb"] == "patch" and complete["requestObject"] == {"data": {"k": "w"}}
    # a failure at Request level: the Status's fields, no response object
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/default/configmaps/missing")
    assert code == 404
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["responseStatus"] == {"metadata": {}, "status": "Failure",
                                          "message": 'configmaps "missing" not found', "reason": "NotFound",
                                          "details": {"name": "missing", "kind": "configmaps"}, "code": 404}
    assert "responseObject" not in complete
    # resourceNames: namespace "quiet" is not audited, another namespace is (Metadata: no objects)
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/quiet")
    assert code == 404
    quiet = headers["Audit-ID"]
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/loud")
    loud = wait_events(log, by_id(headers["Audit-ID"]), 2)
    assert [ev["level"] for ev in loud] == ["Metadata", "Metadata"]
    assert wait_events(log, by_id(quiet), 1, timeout=0.3) == []


def test_secrets_and_tokens_stay_out_of_metadata_events_and_logs(audited, capfd):
    srv, log = audited
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
              "stringData": {"password": "hunter2-do-not-log"}}
    code, headers, _ = srv.request("POST", "/api/v1/namespaces/default/secrets", secret, cert=False,
                                   token="alice-secret-token")
    assert code == 201
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["level"] == "Metadata"
    assert complete["user"] == {"username": "alice", "uid": "uid-1", "groups": ["dev", "ops", "system:authenticated"]}
    # at Metadata level the object is not logged, but its name fills objectRef (LogRequestObject)
    assert complete["objectRef"] == {"resource": "secrets", "namespace": "default", "name": "s1", "apiVersion": "v1"}
    assert "requestObject" not in complete and "responseObject" not in complete
    srv.request("GET", "/api/v1/namespaces/default/secrets/s1", cert=False, token="wrong-secret-token")
    wait_events(log, lambda ev: ev["responseStatus"]["code"] == 401 if "responseStatus" in ev else False, 1)
    text = open(log, encoding="utf-8").read()
    for leaked in ("hunter2", "aHVudGVyMi", "alice-secret-token", "wrong-secret-token", "Bearer"):
        assert leaked not in text
        out, err = capfd.readouterr()
        assert leaked not in out + err


def test_failed_authentication_is_audited(audited):
    srv, log = audited
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/default/pods", cert=False, token="not-a-token",
                                   headers={"User-Agent": "intruder"})
    assert code == 401
    events = wait_events(log, by_id(headers["Audit-ID"]), 1)
    time.sleep(0.2)
    events = [ev for ev in read_events(log) if ev["auditID"] == headers["Audit-ID"]]
    assert len(events) == 1
    ev = events[0]
    assert ev["stage"] == "ResponseStarted" and ev["level"] == "Metadata"
    assert ev["user"] == {}
    assert ev["verb"] == "list" and ev["userAgent"] == "intruder"
    assert ev["objectRef"] == {"resource": "pods", "namespace": "default", "apiVersion": "v1"}
    assert ev["responseStatus"] == {"metadata": {}, "status": "Failure", "message": "Unauthorized",
                                    "reason": "Unauthorized", "code": 401}
    assert "annotations" not in ev
    # anonymous (no credentials) outside the public paths: a 401 too
    code, headers, _ = srv.request("GET", "/apis", cert=False)
    assert code == 401
    [ev] = wait_events(log, by_id(headers["Audit-ID"]), 1)
    assert ev["stage"] == "ResponseStarted" and ev["responseStatus"]["code"] == 401 and "objectRef" not in ev


def test_forbidden_requests_carry_the_decision(make_server, tmp_path):
    policy = write(tmp_path / "policy.json", json.dumps({
        "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
        "rules": [{"level": "None", "nonResourceURLs": ["/readyz"]}, {"level": "Request"}]}))
    tokens = write_token_file(tmp_path / "tokens.csv", ["bob-token,bob,uid-2"])
    log = str(tmp_path / "audit.log")
    srv = make_server("--audit-policy-file", policy, "--audit-log-path", log, "--token-auth-file", tokens,
                      "--authorization-mode=AlwaysDeny", "--controllers=none")
    code, headers, _ = srv.request("POST", "/api/v1/namespaces/default/configmaps",
                                   {"metadata": {"name": "x"}}, cert=False, token="bob-token")
    assert code == 403
    events = wait_events(log, by_id(headers["Audit-ID"]), 2)
    assert [ev["stage"] for ev in events] == ["RequestReceived", "ResponseComplete"]
    complete = events[-1]
    assert complete["user"]["username"] == "bob"
    assert complete["responseStatus"] == {
        "metadata": {}, "status": "Failure", "reason": "Forbidden", "details": {"kind": "configmaps"}, "code": 403,
        "message": 'configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the '
                   'namespace "default": Everything is forbidden.'}
    assert complete["annotations"] == {"authorization.k8s.io/decision": "forbid",
                                       "authorization.k8s.io/reason": "Everything is forbidden."}
    assert "requestObject" not in complete  # refused before the body was read
    # system:masters is allowed before AlwaysDeny is asked
    code, headers, _ = srv.request("GET", "/api/v1/namespaces/default/configmaps")
    assert code == 200
    complete = wait_events(log, by_id(headers["Audit-ID"]), 2)[-1]
    assert complete["annotations"]["authorization.k8s.io/decision"] == "allow"


def test_non_resource_urls_and_rule_omit_stages(audited):
    srv, log = audited
    code, headers, _ = srv.request("GET", "/version")
    assert code == 200
    version_id = headers["Audit-ID"]
    code, headers, _ = srv.request("GET", "/healthz")
    healthz_id = headers["Audit-ID"]
    code, headers, _ = srv.request("GET", "/openapi/v2", headers={"Accept": "application/json"})
    openapi_id = headers["Audit-ID"]
    events = wait_events(log, by_id(version_id), 1)
    assert [ev["stage"] for ev in events] == ["ResponseComplete"]  # RequestReceived omitted by the rule
    assert events[0]["verb"] == "get" and events[0]["requestURI"] == "/version" and "objectRef" not in events[0]
    assert [ev["stage"] for ev in wait_events(log, by_id(openapi_id), 2)] == ["RequestReceived", "ResponseComplete"]
    assert wait_events(log, by_id(healthz_id), 1, timeout=0.3) == []


def test_policy_omit_stages_and_managed_fields(make_server, tmp_path):
    policy = write(tmp_path / "policy.yaml", """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
omitManagedFields: true
rules:
  - level: RequestResponse
    omitManagedFields: false
    namespaces: ["keep"]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"]}]
  - level: None
""")
    log = str(tmp_path / "audit.log")
    srv = make_server("--audit-policy-file", policy, "--audit-log-path", log, "--controllers=none")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"k": "v"}}
    code, headers, body = srv.request("POST", "/api/v1/namespaces/default/configmaps?fieldManager=t", cm)
    assert code == 201 and json.loads(body)["metadata"]["managedFields"]
    events = wait_events(log, by_id(headers["Audit-ID"]), 1)
    assert [ev["stage"] for ev in events] == ["ResponseComplete"]
    assert "managedFields" not in events[0]["responseObject"]["metadata"]
    assert events[0]["responseObject"]["metadata"]["name"] == "m"
    code, headers, body = srv.request("GET", "/api/v1/namespaces/default/configmaps")
    [ev] = wait_events(log, by_id(headers["Audit-ID"]), 1)
    assert ev["responseObject"]["kind"] == "ConfigMapList"
    assert all("managedFields" not in item["metadata"] for item in ev["responseObject"]["items"])
    # the rule's omitManagedFields: false wins over the policy's
    assert srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": "keep"}})[0] == 201
    code, headers, body = srv.request("POST", "/api/v1/namespaces/keep/configmaps?fieldManager=t", cm)
    [ev] = wait_events(log, by_id(headers["Audit-ID"]), 1)
    assert ev["responseObject"]["metadata"]["managedFields"] == json.loads(body)["metadata"]["managedFields"]


def test_watch_gets_response_started_then_complete(audited):
    srv, log = audited
    conn = srv.connection()
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1")
    resp = conn.getresponse()
    assert resp.status == 200
    audit_id = resp.headers["Audit-ID"]
    started = wait_events(log, by_id(audit_id), 2)
    assert [ev["stage"] for ev in started] == ["RequestReceived", "ResponseStarted"]  # while the watch is open
    assert started[1]["responseStatus"] == {"metadata": {}, "code": 200}
    resp.read()  # the server ends the watch after timeoutSeconds
    conn.close()
    events = wait_events(log, by_id(audit_id), 3)
    assert [ev["stage"] for ev in events] == ["RequestReceived", "ResponseStarted", "ResponseComplete"]
    assert all(ev["verb"] == "watch" and ev["level"] == "Request" for ev in events)
    assert events[2]["responseStatus"] == {"metadata": {}, "code": 200}
    assert events[2]["stageTimestamp"] > events[1]["stageTimestamp"]
    assert "responseObject" not in events[2]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_requests_are_audited(audited):
    srv, log = audited
    env = dict(os.environ, HOME=os.path.dirname(log))
    env.pop("KUBECONFIG", None)
    result = subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), "create", "configmap", "kc",
                             "--from-literal=a=b"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    events = wait_events(log, lambda ev: ev["verb"] == "create" and ev.get("objectRef", {}).get("name") == "kc"
                         and ev["stage"] == "ResponseComplete", 1)
    assert len(events) == 1
    ev = events[0]
    assert ev["userAgent"].startswith("kubectl/")
    assert ev["requestObject"]["data"] == {"a": "b"} and ev["level"] == "Request"
    assert ev["responseStatus"]["code"] == 201
    result = subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), "get", "configmap", "kc", "-o",
                             "name"], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.strip() == "configmap/kc"
    gets = wait_events(log, lambda ev: ev["verb"] == "get" and ev.get("objectRef", {}).get("name") == "kc", 2)
    assert [ev["stage"] for ev in gets] == ["RequestReceived", "ResponseComplete"]


def test_a_handler_that_fails_gets_a_panic_event(make_server, tmp_path):
    policy = write(tmp_path / "policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
                                             "- level: Metadata\n  nonResourceURLs: [/boom, /metrics]\n")
    log = str(tmp_path / "audit.log")

    def boom(req):
        raise RuntimeError("kaboom")

    srv = make_server("--audit-policy-file", policy, "--audit-log-path", log, "--controllers=none",
                      routes={"/boom": boom})
    code, headers, _ = srv.request("GET", "/boom")
    assert code == 500
    events = wait_events(log, by_id(headers["Audit-ID"]), 2)
    assert [ev["stage"] for ev in events] == ["RequestReceived", "Panic"]
    assert events[1]["responseStatus"] == {"metadata": {}, "status": "Failure", "message": "APIServer panic'd: kaboom",
                                           "reason": "InternalError", "code": 500}
    time.sleep(0.2)
    assert len([ev for ev in read_events(log) if ev["auditID"] == headers["Audit-ID"]]) == 2  # no ResponseComplete
    # upstream's audit metrics count the events and levels
    code, _, body = srv.request("GET", "/metrics")
    text = body.decode()
    assert re.search(r"^apiserver_audit_event_total [1-9]", text, re.M), text
    assert re.search(r'^apiserver_audit_level_total\{level="Metadata"\} [1-9]', text, re.M)
    assert re.search(r'^apiserver_audit_level_total\{level="None"\} [1-9]', text, re.M)  # /readyz: one per request


# -- policy files


@pytest.mark.parametrize("text, message", [
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n",
     'rules[0].level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", '
     '"RequestResponse"'),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- verbs: [get]\n", "rules[0].level: Required value"),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", "loaded illegal policy with 0 rules"),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [healthz]\n",
     "rules[0].nonResourceURLs[0]: Invalid value: \"healthz\": non-resource URL rules must begin with a '/' "
     "character"),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: ['/a*b']\n",
     "rules[0].nonResourceURLs[0]: Invalid value: \"/a*b\": non-resource URL wildcards '*' must be the final "
     "character of the rule"),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: ['/a']\n"
     "  namespaces: [x]\n",
     'rules[0].nonResourceURLs: Invalid value: []string{"/a"}: rules cannot apply to both regular resources and '
     'non-resource URLs'),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources:\n"
     "  - group: apps/v1\n    resourceNames: [x]\n",
     '[rules[0].resources.group: Invalid value: "apps/v1": a lowercase RFC 1123 subdomain'),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Done]\nrules:\n- level: None\n",
     'omitStages[0]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,'
     'Panic'),
    ("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  omitStages: [Later]\n",
     'rules[0].omitStages[0]: Invalid value: "Later"'),
    ("kind: Policy\nrules:\n- level: None\n", "failed decoding: Object 'apiVersion' is missing"),
    ("apiVersion: audit.k8s.io/v2\nkind: Policy\nrules:\n- level: None\n",
     'failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v2"'),
    ('{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": {"level": "None"}}',
     "failed decoding: json: cannot unmarshal object into Go struct field Policy.rules of type []v1.PolicyRule"),
])
def test_bad_policy_files_stop_the_server(tmp_path, text, message):
    path = write(tmp_path / "policy.yaml", text)
    options = cli.parse_options(["--data-dir", str(tmp_path / "data"), "--secure-port", "0",
                                 "--audit-policy-file", path])
    with pytest.raises(OptionsError) as err:
        options.config()
    assert str(err.value).startswith("--audit-policy-file: loading audit policy file: " + message)
    assert str(err.value).endswith(f": from file {path}")


def test_missing_policy_file_exits_1_naming_the_flag(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    result = subprocess.run([sys.executable, "-m", "apiserver", "--data-dir", str(tmp_path / "data"),
                             "--secure-port", "0", "--audit-policy-file", missing, "--audit-log-path",
                             str(tmp_path / "audit.log")], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1
    assert (f'Error: --audit-policy-file: loading audit policy file: failed to read file path "{missing}": '
            f"open {missing}: no such file or directory" in result.stderr)


@pytest.mark.parametrize("flag, message", [
    ("--audit-log-maxsize=-1", "--audit-log-maxsize -1 can't be a negative number"),
    ("--audit-log-maxbackup=-2", "--audit-log-maxbackup -2 can't be a negative number"),
    ("--audit-log-maxage=-3", "--audit-log-maxage -3 can't be a negative number"),
    ("--audit-log-mode=fast", 'invalid audit log mode fast, allowed modes are "batch,blocking,blocking-strict"'),
    ("--audit-log-format=xml", 'invalid audit log format xml, allowed formats are "json,legacy"'),
])
def test_bad_log_flags(tmp_path, flag, message):
    with pytest.raises(cli.FlagError) as err:
        cli.parse_options(["--data-dir", str(tmp_path), "--audit-log-path", str(tmp_path / "a.log"), flag])
    assert message in str(err.value)


def test_without_a_log_path_nothing_is_audited(make_server, tmp_path):
    policy = write(tmp_path / "policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: "
                                             "RequestResponse\n")
    srv = make_server("--audit-policy-file", policy, "--controllers=none")
    assert srv.config.auditor is None
    assert srv.request("GET", "/api/v1/namespaces")[0] == 200


class _Attrs:
    def __init__(self, **kw):
        self.__dict__.update(dict(verb="get", is_resource_request=True, path="", api_group="", namespace="",
                                  resource="", subresource="", name=""), **kw)


class _User:
    def __init__(self, name, groups=()):
        self.name, self.groups = name, groups


def test_rule_matching_as_upstream():
    policy = audit_policy.load_policy(b"""
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: RequestResponse
  resources: [{group: "", resources: ["pods/log"]}]
- level: Request
  resources: [{group: "", resources: ["*/status"]}]
- level: Metadata
  resources: [{group: "apps", resources: ["deployments/*"]}]
- level: RequestResponse
  users: [alice]
  verbs: [delete]
- level: Request
  userGroups: [ops]
  resources: [{group: "apps"}]
- level: None
  resources: [{group: "", resources: ["secrets"], resourceNames: ["hidden"]}]
- level: Metadata
  resources: [{group: "", resources: ["*"]}]
- level: Request
  nonResourceURLs: ["/metrics", "/debug/*"]
""")
    bob, alice, ops = _User("bob"), _User("alice"), _User("carol", ("ops",))

    def level(user, **kw):
        return policy.evaluate(user, _Attrs(**kw)).level

    assert level(bob, resource="pods", subresource="log") == "RequestResponse"
    assert level(bob, resource="pods") == "Metadata"
    assert level(bob, resource="nodes", subresource="status") == "Request"
    assert level(bob, api_group="apps", resource="deployments", subresource="scale") == "Metadata"
    assert level(bob, api_group="apps", resource="deployments") == "Metadata"  # "deployments/*" matches it too
    assert level(alice, verb="delete", api_group="batch", resource="jobs") == "RequestResponse"
    assert level(ops, api_group="apps", resource="replicasets") == "Request"
    assert level(None, api_group="apps", resource="replicasets") == "None"  # no user matches no user rule
    assert level(bob, resource="secrets", name="hidden") == "None"
    assert level(bob, resource="secrets", name="other") == "Metadata"
    assert level(bob, is_resource_request=False, path="/metrics") == "Request"
    assert level(bob, is_resource_request=False, path="/debug/pprof/heap") == "Request"
    assert level(bob, is_resource_request=False, path="/metricsx") == "None"


@pytest.mark.skipif(not HAS_YAML, reason="PyYAML is not installed")
def test_yaml_subset_reads_policies_as_pyyaml_does():
    import yaml
    for text in (POLICY, "a: 1\nb:\n- x\n- y: 'it''s'\n  z: [1, {a: \"b c\"}]\n", "- - a\n  - b\n- c # note\n",
                 "---\nk: {a: [x, y], b: null}\nempty:\nt: true\n"):
        assert yamlsubset.loads(text) == yaml.safe_load(text)


def test_yaml_subset_errors_name_the_line():
    with pytest.raises(ValueError, match="line 2"):
        yamlsubset.loads("a: 1\n  b: 2\n")
    with pytest.raises(ValueError, match="line 1"):
        yamlsubset.loads("a: &anchor x\n")


# -- the log file


def test_rotation_keeps_maxbackup_files(make_server, tmp_path):
    policy = write(tmp_path / "policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
                                             "- level: RequestResponse\n  verbs: [create]\n- level: None\n")
    log_dir = tmp_path / "logs"
    log = str(log_dir / "audit.log")
    srv = make_server("--audit-policy-file", policy, "--audit-log-path", log, "--audit-log-maxsize", "1",
                      "--audit-log-maxbackup", "2", "--controllers=none")
    blob = "x" * 200_000
    ids = []
    for i in range(12):  # each event carries the object twice: about 400 KB, so a 1 MB file holds two
        code, headers, _ = srv.request("POST", "/api/v1/namespaces/default/configmaps",
                                       {"metadata": {"name": f"big-{i}"}, "data": {"blob": blob}})
        assert code == 201
        ids.append(headers["Audit-ID"])
        time.sleep(0.01)  # backups are named by the millisecond
    wait_events(log, by_id(ids[-1]), 2)
    srv.stop()  # the destroy func writes what is queued and closes the file
    names = sorted(os.listdir(log_dir))
    backups = [n for n in names if n != "audit.log"]
    assert len(backups) == 2, names
    assert all(BACKUP.match(n) for n in backups), backups
    seen = []
    for name in names:
        path = log_dir / name
        assert path.stat().st_size <= 1024 * 1024
        assert (path.stat().st_mode & 0o777) == 0o600
        seen.extend(ev["auditID"] for ev in read_events(str(path)))
    # the newest events are all there, each complete; the oldest went with the removed backups
    assert ids[-1] in seen and ids[-2] in seen
    assert ids[0] not in seen
    assert srv.config.auditor.sink.process({"level": "Metadata"}) is False  # closed after stop


def test_rotating_file_as_lumberjack(tmp_path):
    now = [1_800_000_000.0]
    path = str(tmp_path / "audit.log")
    f = RotatingFile(path, max_size_mb=1, max_backups=0, max_age_days=1, compress=True, clock=lambda: now[0])
    line = b"x" * 400_000 + b"\n"
    f.write(line)
    f.write(line)
    f.write(line)  # a third would pass 1 MB: the file is rotated first
    f.flush()
    [backup] = [n for n in os.listdir(tmp_path) if n != "audit.log"]
    assert backup == "audit-2027-01-15T08-00-00.000.log.gz"  # compressed after rotation
    with gzip.open(tmp_path / backup) as gz:
        assert gz.read() == line * 2
    assert os.path.getsize(path) == len(line)
    with pytest.raises(ValueError, match="exceeds maximum file size"):
        f.write(b"y" * (1024 * 1024 + 1))
    now[0] += 2 * 86400 + 0.5  # two days later the old backup is past --audit-log-maxage
    f.write(line)
    f.write(line)
    f.flush()
    backups = sorted(n for n in os.listdir(tmp_path) if n != "audit.log")
    assert backups == ["audit-2027-01-17T08-00-00.500.log.gz"]
    f.close()
    # reopening appends to the existing file
    again = RotatingFile(path, max_size_mb=1)
    again.write(b"z\n")
    again.close()
    assert open(path, "rb").read() == line + b"z\n"


def test_legacy_format_line():
    ev = {"auditID": "id-1", "stage": "ResponseComplete", "verb": "get", "requestURI": "/api/v1/pods",
          "user": {"username": "alice", "groups": ["dev", "system:authenticated"]}, "sourceIPs": ["127.0.0.1"],
          "userAgent": "curl", "objectRef": {"resource": "pods", "namespace": "ns"},
          "responseStatus": {"metadata": {}, "code": 200}, "requestReceivedTimestamp": "2026-11-27T01:02:03.450000Z"}
    assert legacy_line(ev) == (
        '2026-11-27T01:02:03.45Z AUDIT: id="id-1" stage="ResponseComplete" ip="127.0.0.1" method="get" '
        'user="alice" groups="\\"dev\\",\\"system:authenticated\\"" as="<self>" asgroups="<lookup>" '
        'user-agent="curl" namespace="ns" uri="/api/v1/pods" response="200"\n')


def test_stdout_log_path(tmp_path):
    """``--audit-log-path -``: events on standard output, written before the process exits; no token in the
    audit events or in the server's own JSON logs."""
    policy = write(tmp_path / "policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
                                             "- level: RequestResponse\n  nonResourceURLs: [/version, /apis]\n")
    tokens = write_token_file(tmp_path / "tokens.csv", ["stdout-secret-token,carol,uid-3"])
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "apiserver", "--data-dir", str(data), "--secure-port", "0",
                             "--audit-policy-file", policy, "--audit-log-path", "-", "--controllers=none",
                             "--token-auth-file", tokens, "--log-format", "json", "--log-level", "debug",
                             "--authorization-mode=AlwaysAllow"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=ROOT),
                            text=True)
    try:
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline:
            try:
                port = int(re.search(r"https://127\.0\.0\.1:(\d+)", (data / "admin.kubeconfig").read_text()).group(1))
            except (OSError, AttributeError):
                time.sleep(0.05)
        import ssl
        ctx = ssl.create_default_context(cafile=str(data / "pki" / "ca.crt"))

        def get(path, token):
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                resp.read()
                return resp.status, resp.headers["Audit-ID"]
            finally:
                conn.close()

        ok = None
        while ok is None and time.monotonic() < deadline:
            try:
                ok = get("/version", "stdout-secret-token")
            except OSError:
                time.sleep(0.05)
        denied = get("/apis", "bad-secret-token")
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ok[0] == 200 and denied[0] == 401
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [ev["stage"] for ev in events if ev["auditID"] == ok[1]] == ["RequestReceived", "ResponseComplete"]
    assert [ev["stage"] for ev in events if ev["auditID"] == denied[1]] == ["ResponseStarted"]
    assert '"authentication failed"' in err  # the server did log the failure, without the token
    for secret in ("stdout-secret-token", "bad-secret-token", "Bearer"):
        assert secret not in out and secret not in err
