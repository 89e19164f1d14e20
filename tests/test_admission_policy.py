"""ValidatingAdmissionPolicy against a real server: denials with upstream's message and codes, Warn, params,
matchConditions, selectors, failure policy, variables, updates taking effect live, kubectl."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time

import pytest
from support import ServerThread

KUBECTL = shutil.which("kubectl")
VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
VAPB = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"
VAP_KEY = "/registry/validatingadmissionpolicies/"
CONFIGMAPS_RULE = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                   "resources": ["configmaps"]}

_counter = itertools.count()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("vap") / "data", "--controllers=none",
                          "--disable-admission-plugins=ServiceAccount").start()
    yield server
    server.stop()


@pytest.fixture
def ns(srv):
    """A fresh namespace; every policy a test creates is scoped to it (see ``policy``) and deleted afterwards."""
    name = f"vap-{next(_counter)}"
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert code == 201, body
    yield name
    for path in (VAPB, VAP):
        _, items = srv.get_json(path)
        for item in items["items"]:
            srv.request("DELETE", f"{path}/{item['metadata']['name']}")


def policy(name: str, ns: str, validations, rules=(CONFIGMAPS_RULE,), **spec) -> dict:
    constraints = {"resourceRules": list(rules),
                   "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
    constraints.update(spec.pop("constraints", {}))
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name}, "spec": dict(matchConstraints=constraints, validations=validations, **spec)}


def binding(name: str, policy_name: str, actions=("Deny",), **spec) -> dict:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": dict(policyName=policy_name, validationActions=list(actions), **spec)}


def install(srv, pol: dict, bind: dict):
    code, _, body = srv.request("POST", VAP, pol)
    assert code == 201, body
    code, _, body = srv.request("POST", VAPB, bind)
    assert code == 201, body


def create_cm(srv, ns: str, name: str, data=None, labels=None):
    md = {"name": name}
    if labels:
        md["labels"] = labels
    code, headers, body = srv.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                      {"metadata": md, "data": data or {}})
    return code, headers, json.loads(body)


def eventually(check, timeout: float = 5.0):
    """Policies reach the plugin through a watch: retry until ``check()`` returns a true value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def denied(srv, ns: str, name: str, data=None, labels=None, code: int = 422):
    """Create a ConfigMap until the policy refuses it (the policy may still be on its way); the Status."""
    outcome = {}

    def attempt():
        got, _, body = create_cm(srv, ns, name, data, labels)
        if got == 201:
            srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/{name}")
            return False
        outcome["status"] = (got, body)
        return True
    assert eventually(attempt), f"configmap {name} was never denied"
    got, body = outcome["status"]
    assert got == code, body
    return body


def test_deny_has_upstreams_message_reason_and_details(srv, ns):
    install(srv, policy("no-bad", ns, [{"expression": "object.metadata.name != 'bad'"}]),
            binding("no-bad-binding", "no-bad"))
    body = denied(srv, ns, "bad")
    message = ("ValidatingAdmissionPolicy 'no-bad' with binding 'no-bad-binding' denied request: "
               "failed expression: object.metadata.name != 'bad'")
    assert body == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'configmaps "bad" is forbidden: {message}', "reason": "Invalid",
        "details": {"name": "bad", "kind": "configmaps", "causes": [{"message": message}]}, "code": 422}
    assert create_cm(srv, ns, "good")[0] == 201
    # the policy applies to updates too, and a binding does nothing for other namespaces
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/good",
                                {"metadata": {"name": "good"}, "data": {"a": "b"}})
    assert code == 200, body
    assert create_cm(srv, "default", f"bad-{ns}")[0] in (201, 409)


def test_message_message_expression_and_request_variable(srv, ns):
    install(srv, policy("msgs", ns, [
        {"expression": "!('a' in object.data)", "message": "  no key a  "},
        {"expression": "!('b' in object.data)",
         "messageExpression": "'user ' + request.userInfo.username + ' may not ' + request.operation + ' ' + "
                              "request.resource.resource + ' ' + request.name + ' in ' + request.namespace"},
        {"expression": "!('c' in object.data)", "messageExpression": "'line\\nbreak'", "message": "fallback"},
    ]), binding("msgs", "msgs"))
    body = denied(srv, ns, "with-a", {"a": "1"})
    assert body["message"].endswith("denied request: no key a")
    body = denied(srv, ns, "with-b", {"b": "1"})
    assert body["message"].endswith(f"denied request: user kubernetes-admin may not CREATE configmaps with-b in {ns}")
    body = denied(srv, ns, "with-c", {"c": "1"})   # a multi-line messageExpression falls back to message
    assert body["message"].endswith("denied request: fallback")


@pytest.mark.parametrize("reason,code", [("Forbidden", 403), ("Unauthorized", 401),
                                         ("RequestEntityTooLarge", 413), ("Invalid", 422)])
def test_reason_gives_the_status_code(srv, ns, reason, code):
    install(srv, policy("reasons", ns, [{"expression": "false", "reason": reason, "message": "no"}]),
            binding("reasons", "reasons"))
    body = denied(srv, ns, "anything", code=code)
    assert body["reason"] == reason and body["code"] == code
    assert body["message"] == ('configmaps "anything" is forbidden: ValidatingAdmissionPolicy \'reasons\' with '
                               "binding 'reasons' denied request: no")


def test_warn_action_gives_a_warning_header_and_allows(srv, ns):
    install(srv, policy("warn", ns, [{"expression": "has(object.data) && 'owner' in object.data",
                                      "message": "every configmap needs an owner"}]),
            binding("warn-binding", "warn", actions=("Warn",)))
    expected = ("Validation failed for ValidatingAdmissionPolicy 'warn' with binding 'warn-binding': "
                "every configmap needs an owner")

    def warned():
        name = f"w{next(_counter)}"
        code, headers, body = create_cm(srv, ns, name)
        assert code == 201, body
        return headers.get_all("Warning") or []
    warnings = eventually(warned)
    assert warnings == [f'299 - "{expected}"']
    code, headers, _ = create_cm(srv, ns, "owned", {"owner": "me"})
    assert code == 201 and not headers.get_all("Warning")


def test_invalid_policies_and_bindings_are_refused(srv, ns):
    pol = policy("invalid", ns, [{"expression": "object.metadata.name ==", "reason": "Teapot"}],
                 failurePolicy="Sometimes")
    code, _, body = srv.request("POST", VAP, pol)
    assert code == 422, body
    status = json.loads(body)
    assert status["reason"] == "Invalid"
    causes = {c["field"]: c["message"] for c in status["details"]["causes"]}
    assert causes["spec.failurePolicy"] == 'Unsupported value: "Sometimes": supported values: "Fail", "Ignore"'
    assert causes["spec.validations[0].reason"] == ('Unsupported value: "Teapot": supported values: "Forbidden", '
                                                    '"Invalid", "RequestEntityTooLarge", "Unauthorized"')
    assert causes["spec.validations[0].expression"].startswith(
        'Invalid value: "object.metadata.name ==": compilation failed: ERROR: <input>:1:')
    pol = policy("forward", ns, [{"expression": "variables.b"}], variables=[
        {"name": "a", "expression": "variables.b"}, {"name": "b", "expression": "true"}])
    code, _, body = srv.request("POST", VAP, pol)
    assert code == 422, body
    assert [(c["field"], c["message"]) for c in json.loads(body)["details"]["causes"]] == [
        ("spec.variables[0].expression", 'Invalid value: "variables.b": compilation failed: ERROR: <input>:1:10: '
                                         "undefined field 'b'\n | variables.b\n | .........^")]
    code, _, body = srv.request("POST", VAP, policy("no-validations", ns, []))
    assert code == 422
    assert json.loads(body)["message"] == (
        'ValidatingAdmissionPolicy.admissionregistration.k8s.io "no-validations" is invalid: '
        "[spec.validations: Required value: validations or auditAnnotations must contain at least one item, "
        "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item]")
    code, _, body = srv.request("POST", VAPB, binding("both", "p", actions=("Deny", "Warn")))
    assert code == 422, body
    assert json.loads(body)["message"] == (
        'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "both" is invalid: spec.validationActions: '
        'Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn"}: must not contain both Deny and '
        "Warn (repeating the same validation failure information in the API response and headers serves no "
        "purpose)")
    code, _, body = srv.request("POST", VAPB, binding("none", "", actions=(), paramRef={"name": "x"}))
    assert code == 422, body
    assert [(c["field"], c["message"]) for c in json.loads(body)["details"]["causes"]] == [
        ("spec.policyName", "Required value"), ("spec.paramRef.parameterNotFoundAction", "Required value"),
        ("spec.validationActions", "Required value: at least one validation action is required")]


def test_params_from_a_configmap(srv, ns):
    deploy_rule = {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                   "resources": ["deployments"]}
    code, _, body = srv.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                {"metadata": {"name": "limits"}, "data": {"maxReplicas": "3"}})
    assert code == 201, body
    install(srv, policy("replicas", ns, [{
        "expression": "object.spec.replicas <= int(params.data.maxReplicas)",
        "messageExpression": "'replicas must be at most ' + params.data.maxReplicas",
        "reason": "Forbidden"}], rules=(deploy_rule,), paramKind={"apiVersion": "v1", "kind": "ConfigMap"}),
        binding("replicas", "replicas", paramRef={"name": "limits", "namespace": ns,
                                                  "parameterNotFoundAction": "Deny"}))

    def deployment(name: str, replicas: int):
        labels = {"app": name}
        return srv.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
            "metadata": {"name": name}, "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                                 "template": {"metadata": {"labels": labels},
                                                              "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    code, _, body = eventually(lambda: (lambda r: r if r[0] != 201 else None)(deployment("big", 5)))
    assert code == 403, body
    assert json.loads(body)["message"] == (
        "deployments.apps \"big\" is forbidden: ValidatingAdmissionPolicy 'replicas' with binding 'replicas' "
        "denied request: replicas must be at most 3")
    assert deployment("small", 2)[0] == 201
    # params are read when the request comes: a new limit applies at once
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/limits",
                                {"metadata": {"name": "limits"}, "data": {"maxReplicas": "10"}})
    assert code == 200, body
    assert deployment("big", 5)[0] == 201
    # a missing param object: parameterNotFoundAction Deny refuses, Allow lets the write through
    assert srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/limits")[0] == 200
    code, _, body = deployment("nolimit", 1)
    assert code == 422, body
    assert json.loads(body)["message"] == (
        "deployments.apps \"nolimit\" is forbidden: ValidatingAdmissionPolicy 'replicas' with binding 'replicas' "
        "denied request: failed to configure binding: no params found for policy binding with `Deny` "
        "parameterNotFoundAction")
    srv.request("DELETE", f"{VAPB}/replicas")
    code, _, body = srv.request("POST", VAPB, binding("replicas-allow", "replicas", paramRef={
        "name": "limits", "parameterNotFoundAction": "Allow"}))
    assert code == 201, body
    assert eventually(lambda: deployment(f"allowed{next(_counter)}", 50)[0] == 201)


def test_params_by_selector_each_param_is_checked(srv, ns):
    for name, word in (("deny-foo", "foo"), ("deny-bar", "bar")):
        code, _, body = srv.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {
            "metadata": {"name": name, "labels": {"role": "banned-word"}}, "data": {"word": word}})
        assert code == 201, body
    install(srv, policy("words", ns, [{"expression": "!object.metadata.name.contains(params.data.word)",
                                       "messageExpression": "'the word ' + params.data.word + ' is banned'"}],
                        paramKind={"apiVersion": "v1", "kind": "ConfigMap"}),
            binding("words", "words", paramRef={"selector": {"matchLabels": {"role": "banned-word"}},
                                                "parameterNotFoundAction": "Allow"}))
    assert denied(srv, ns, "a-bar-b")["message"].endswith("denied request: the word bar is banned")
    assert denied(srv, ns, "a-foo-b")["message"].endswith("denied request: the word foo is banned")
    assert create_cm(srv, ns, "a-baz-b")[0] == 201


def test_match_conditions_limit_what_is_checked(srv, ns):
    install(srv, policy("conditions", ns, [{"expression": "false", "message": "checked"}], matchConditions=[
        {"name": "checked-only", "expression": "object.metadata.name.startsWith('checked-')"},
        {"name": "not-exempt", "expression": "!has(object.metadata.labels) || "
                                             "!('exempt' in object.metadata.labels)"}]),
        binding("conditions", "conditions"))
    assert denied(srv, ns, "checked-1")["message"].endswith("denied request: checked")
    assert create_cm(srv, ns, "unchecked")[0] == 201
    assert create_cm(srv, ns, "checked-2", labels={"exempt": "yes"})[0] == 201


def test_namespace_selector_and_namespace_object(srv, ns):
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"metadata": {"name": f"{ns}-prod",
                                                                           "labels": {"env": "prod"}}})
    assert code == 201, body
    prod = f"{ns}-prod"
    pol = policy("prod-only", ns, [{"expression": "'approved' in object.data",
                                    "messageExpression": "namespaceObject.metadata.labels.env + ' needs approval'"}])
    pol["spec"]["matchConstraints"].pop("namespaceSelector")
    install(srv, pol, binding("prod-only", "prod-only", matchResources={
        "namespaceSelector": {"matchLabels": {"env": "prod"}}}))
    assert denied(srv, prod, "change")["message"].endswith("denied request: prod needs approval")
    assert create_cm(srv, prod, "approved-change", {"approved": "yes"})[0] == 201
    assert create_cm(srv, ns, "change")[0] == 201   # not a prod namespace
    srv.request("DELETE", f"/api/v1/namespaces/{prod}")


def test_object_selector_and_excluded_resource_names(srv, ns):
    install(srv, policy("selected", ns, [{"expression": "false", "message": "selected"}], constraints={
        "objectSelector": {"matchExpressions": [{"key": "checked", "operator": "Exists"}]},
        "excludeResourceRules": [dict(CONFIGMAPS_RULE, resourceNames=["allowed"])]}),
        binding("selected", "selected"))
    assert denied(srv, ns, "one", labels={"checked": "1"})["message"].endswith("denied request: selected")
    assert create_cm(srv, ns, "two")[0] == 201
    assert create_cm(srv, ns, "allowed", labels={"checked": "1"})[0] == 201


@pytest.mark.parametrize("failure_policy", ["Fail", "Ignore"])
def test_failure_policy_on_an_expression_error(srv, ns, failure_policy):
    install(srv, policy("broken", ns, [{"expression": "object.data.missing == 'x'"}],
                        failurePolicy=failure_policy), binding("broken", "broken"))
    # an object the policy clearly matches proves the policy is in place before judging the error case
    install(srv, policy("marker", ns, [{"expression": "object.metadata.name != 'marker'"}]),
            binding("marker", "marker"))
    denied(srv, ns, "marker")
    code, _, body = create_cm(srv, ns, "probe", {"other": "1"})
    if failure_policy == "Ignore":
        assert code == 201, body
    else:
        assert code == 422, body
        assert body["message"] == (
            "configmaps \"probe\" is forbidden: ValidatingAdmissionPolicy 'broken' with binding 'broken' denied "
            "request: expression 'object.data.missing == 'x'' resulted in error: no such key: missing")


def test_stored_policy_that_does_not_compile_denies_and_shows_in_status(srv, ns):
    # the API refuses such a policy; one stored before (by an older server) is still served and acted on
    pol = policy("uncompilable", ns, [{"expression": "object.metadata.name =="}], failurePolicy="Fail")
    pol["metadata"].update(uid="7d1f4b8e-0000-4000-8000-000000000001", generation=1,
                           creationTimestamp="2024-01-01T00:00:00Z")
    srv.config.store.create(VAP_KEY + "uncompilable", json.dumps(pol).encode())
    code, _, body = srv.request("POST", VAPB, binding("uncompilable", "uncompilable"))
    assert code == 201, body
    body = denied(srv, ns, "any")
    assert "with binding 'uncompilable' denied request: compilation error: compilation failed: ERROR: <input>:1:" \
        in body["message"]

    def status():
        _, got = srv.get_json(f"{VAP}/uncompilable")
        return got.get("status", {}).get("observedGeneration") == 1 and got["status"]
    st = eventually(status)
    assert st and st["typeChecking"]["expressionWarnings"][0]["fieldRef"] == "spec.validations[0].expression"
    assert st["typeChecking"]["expressionWarnings"][0]["warning"].startswith("compilation failed: ERROR: <input>:1:")


def test_variables(srv, ns):
    install(srv, policy("vars", ns, [
        {"expression": "!variables.tooMany", "messageExpression": "'too many keys: ' + string(variables.keys)"},
        {"expression": "cel.bind(name, object.metadata.name, name != 'bound' && name != 'x' + name)"},
    ], variables=[{"name": "keys", "expression": "has(object.data) ? size(object.data) : 0"},
                  {"name": "tooMany", "expression": "variables.keys > 2"}]),
        binding("vars", "vars"))
    assert denied(srv, ns, "big", {"a": "1", "b": "2", "c": "3"})["message"].endswith(
        "denied request: too many keys: 3")
    assert create_cm(srv, ns, "small", {"a": "1"})[0] == 201
    assert denied(srv, ns, "bound")["message"].endswith("failed expression: cel.bind(name, object.metadata.name, "
                                                        "name != 'bound' && name != 'x' + name)")


def test_quantities_in_a_pod_policy(srv, ns):
    rule = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
    install(srv, policy("memory", ns, [{
        "expression": "object.spec.containers.all(c, quantity(c.resources.limits.memory)"
                      ".isLessThan(quantity('1Gi')))",
        "message": "memory limits must stay under 1Gi", "reason": "Forbidden"}], rules=(rule,)),
        binding("memory", "memory"))

    def pod(name: str, memory: str):
        return srv.request("POST", f"/api/v1/namespaces/{ns}/pods", {"metadata": {"name": name}, "spec": {
            "containers": [{"name": "c", "image": "i", "resources": {"limits": {"memory": memory}}}]}})
    code, _, body = eventually(lambda: (lambda r: r if r[0] != 201 else None)(pod(f"big{next(_counter)}", "2Gi")))
    assert code == 403 and json.loads(body)["message"].endswith("denied request: memory limits must stay under 1Gi")
    assert pod("small", "512Mi")[0] == 201


def test_delete_sees_the_old_object(srv, ns):
    rule = dict(CONFIGMAPS_RULE, operations=["DELETE"])
    install(srv, policy("keep", ns, [{"expression": "object == null && oldObject.metadata.name != 'keep'",
                                      "messageExpression": "request.operation + ' of ' + oldObject.metadata.name"}],
                        rules=(rule,)), binding("keep", "keep"))
    for name in ("keep", "drop"):
        assert create_cm(srv, ns, name)[0] == 201

    def refused():
        code, _, body = srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/keep")
        return code == 422 and json.loads(body)
    body = eventually(refused)
    assert body and body["message"].endswith("denied request: DELETE of keep")
    assert srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/drop")[0] == 200


def test_authorizer_is_not_supported(srv, ns):
    code, _, body = srv.request("POST", VAP, policy("authz", ns, [
        {"expression": "authorizer.group('').resource('pods').check('get').allowed()"}]))
    assert code == 422, body
    assert "the authorizer library is not supported by this server" in json.loads(body)["message"]


def test_policy_updates_take_effect_without_restart(srv, ns):
    install(srv, policy("live", ns, [{"expression": "object.metadata.name != 'first'"}]), binding("live", "live"))
    denied(srv, ns, "first")
    _, pol = srv.get_json(f"{VAP}/live")
    pol["spec"]["validations"] = [{"expression": "object.metadata.name != 'second'"}]
    code, _, body = srv.request("PUT", f"{VAP}/live", pol)
    assert code == 200, body
    assert denied(srv, ns, "second")["message"].endswith("failed expression: object.metadata.name != 'second'")
    assert create_cm(srv, ns, "first")[0] == 201
    assert eventually(lambda: srv.get_json(f"{VAP}/live")[1]["status"].get("observedGeneration") == 2)
    # the binding turned to Warn, then gone: no more denials
    _, bind = srv.get_json(f"{VAPB}/live")
    bind["spec"]["validationActions"] = ["Warn"]
    assert srv.request("PUT", f"{VAPB}/live", bind)[0] == 200
    assert eventually(lambda: create_cm(srv, ns, f"second-{next(_counter)}")[0] == 201 or None) is not None
    assert srv.request("DELETE", f"{VAPB}/live")[0] == 200

    def allowed():
        code, headers, _ = create_cm(srv, ns, f"second{next(_counter)}")
        return code == 201 and not headers.get_all("Warning")
    assert eventually(allowed)


def test_binding_to_a_missing_policy_does_nothing_until_it_exists(srv, ns):
    code, _, body = srv.request("POST", VAPB, binding("early", "late"))
    assert code == 201, body
    assert create_cm(srv, ns, "before")[0] == 201
    code, _, body = srv.request("POST", VAP, policy("late", ns, [{"expression": "false", "message": "late"}]))
    assert code == 201, body
    assert denied(srv, ns, "after")["message"].endswith("denied request: late")


def test_policies_do_not_apply_to_policies(srv, ns):
    rule = {"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"], "resources": ["*"]}
    pol = policy("everything", ns, [{"expression": "false"}], rules=(rule,))
    pol["spec"]["matchConstraints"].pop("namespaceSelector")
    pol["spec"]["matchConstraints"]["objectSelector"] = {"matchLabels": {"blocked": ns}}
    install(srv, pol, binding("everything", "everything"))
    denied(srv, ns, "blocked", labels={"blocked": ns})
    # policies and bindings stay writable, so a bad policy can always be fixed
    code, _, body = srv.request("POST", VAPB, dict(binding("another", "everything"),
                                                   metadata={"name": "another", "labels": {"blocked": ns}}))
    assert code == 201, body


def test_defaults_are_stored(srv, ns):
    install(srv, policy("defaults", ns, [{"expression": "true"}]),
            binding("defaults", "defaults", matchResources={}))
    _, pol = srv.get_json(f"{VAP}/defaults")
    assert pol["spec"]["failurePolicy"] == "Fail"
    assert pol["spec"]["matchConstraints"]["matchPolicy"] == "Equivalent"
    assert pol["spec"]["matchConstraints"]["objectSelector"] == {}
    assert pol["spec"]["matchConstraints"]["resourceRules"][0]["scope"] == "*"
    _, bind = srv.get_json(f"{VAPB}/defaults")
    assert bind["spec"]["matchResources"] == {"matchPolicy": "Equivalent", "namespaceSelector": {},
                                              "objectSelector": {}}


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl_create_policy_and_binding(srv, ns, tmp_path):
    manifest = tmp_path / "policy.yaml"
    manifest.write_text(f"""apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: kubectl-policy
spec:
  matchConstraints:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: {ns}
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  validations:
  - expression: "object.metadata.name.size() <= 5"
    message: name too long
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: kubectl-binding
spec:
  policyName: kubectl-policy
  validationActions: [Deny]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: kubectl-warn
spec:
  policyName: kubectl-policy
  validationActions: [Warn]
""")
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("KUBECONFIG", None)

    def kubectl(*args):
        return subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), *args], capture_output=True,
                              text=True, timeout=60, env=env)
    result = kubectl("create", "-f", str(manifest))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "validatingadmissionpolicy.admissionregistration.k8s.io/kubectl-policy created",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/kubectl-binding created",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/kubectl-warn created"]
    denied(srv, ns, "much-too-long")
    result = kubectl("create", "configmap", "way-too-long", "-n", ns)
    assert result.returncode != 0
    assert "Warning: Validation failed for ValidatingAdmissionPolicy 'kubectl-policy' with binding " \
           "'kubectl-warn': name too long" in result.stderr
    denial = "ValidatingAdmissionPolicy 'kubectl-policy' with binding 'kubectl-binding' denied request: name too long"
    assert result.stderr.splitlines()[-1] == \
        f'error: failed to create configmap: configmaps "way-too-long" is forbidden: {denial}'
    # from a manifest, kubectl shows a 422 as an invalid object (its cause has no field)
    cm = tmp_path / "cm.yaml"
    cm.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: way-too-long\n  namespace: {ns}\n")
    result = kubectl("create", "-f", str(cm))
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1] == f'The configmaps "way-too-long" is invalid: : {denial}'
    result = kubectl("create", "configmap", "short", "-n", ns)
    assert result.returncode == 0, result.stderr
    result = eventually(lambda: (lambda r: r if r.stdout == "1" else None)(kubectl(
        "get", "validatingadmissionpolicy", "kubectl-policy", "-o", "jsonpath={.status.observedGeneration}")))
    assert result is not None


@pytest.mark.parametrize("match_policy", ["Equivalent", "Exact"])
def test_match_policy_with_a_custom_resource_in_two_versions(srv, ns, match_policy):
    group = f"vap{next(_counter)}.example.com"
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"widgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema},
                                 {"name": "v2", "served": True, "storage": False, "schema": schema}]}}
    code, _, body = srv.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201, body
    rule = {"apiGroups": [group], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["widgets"]}
    install(srv, policy("widgets", ns, [{
        "expression": "false",
        "messageExpression": "object.apiVersion + ' as ' + request.kind.version + ', asked as ' + "
                             "request.requestKind.version"}], rules=(rule,), constraints={"matchPolicy": match_policy}),
        binding("widgets", "widgets"))

    def create(version: str, name: str):
        path = f"/apis/{group}/{version}/namespaces/{ns}/widgets"
        return eventually(lambda: (lambda r: r if r[0] != 404 else None)(srv.request("POST", path, {
            "apiVersion": f"{group}/{version}", "kind": "Widget", "metadata": {"name": name}})))
    code, _, body = eventually(lambda: (lambda r: r if r[0] == 422 else None)(create("v1", f"a{next(_counter)}")))
    assert json.loads(body)["message"].endswith(f"denied request: {group}/v1 as v1, asked as v1")
    code, _, body = create("v2", "b")
    if match_policy == "Exact":
        assert code == 201, body
    else:
        assert code == 422, body
        assert json.loads(body)["message"].endswith(f"denied request: {group}/v1 as v1, asked as v2")
    srv.request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}")
