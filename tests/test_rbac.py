"""RBAC end to end: bootstrap roles, the access matrix, reviews, escalation prevention, impersonation, and bad
input. One server (RBAC is the default mode) for the module; users are client certificates, a static token, a
service account token, an impersonation and anonymous."""

import json
import os
import subprocess
import time

import pytest
from support import ServerThread, issue_client_cert, write_token_file

NS_A, NS_B = "rbac-a", "rbac-b"
GROUP = "rbac.authorization.k8s.io"
RBAC = f"/apis/{GROUP}/v1"
WIDGETS = "/apis/rbac.example.com/v1"

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.rbac.example.com"},
    "spec": {"group": "rbac.example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


def cluster_role(name, rules, labels=None):
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels or {}}, "rules": rules}


def role(namespace, name, rules):
    return {"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": name, "namespace": namespace},
            "rules": rules}


def binding(namespace, name, role_kind, role_name, subjects):
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    md = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": md,
            "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role_name}, "subjects": subjects}


def user(name):
    return {"kind": "User", "apiGroup": GROUP, "name": name}


class User:
    """A client certificate (or a token, or nothing) to make requests as."""

    def __init__(self, srv, name, cert=None, token="", impersonate=None):
        self.srv, self.name, self.cert, self.token, self.impersonate = srv, name, cert, token, impersonate

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.impersonate:
            headers["Impersonate-User"] = self.impersonate
        kw = {"cert_file": self.cert[0], "key_file": self.cert[1]} if self.cert else {"cert": False}
        return self.srv.request(method, path, body, headers=headers, token=self.token, **kw)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rbac")
    tokens = write_token_file(tmp / "tokens.csv", ["viewer-token,token-viewer,uid-tv"])
    with ServerThread(tmp / "data", "--token-auth-file", tokens) as server:
        admin = server.request
        for ns in (NS_A, NS_B):
            assert admin("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": ns}})[0] == 201
            for kind, plural in (("ConfigMap", "configmaps"), ("Secret", "secrets")):
                assert admin("POST", f"/api/v1/namespaces/{ns}/{plural}", {
                    "apiVersion": "v1", "kind": kind, "metadata": {"name": "one"}})[0] == 201
        assert admin("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)[0] == 201
        # widgets join the aggregated roles the way operators ship it: labelled ClusterRoles
        assert admin("POST", f"{RBAC}/clusterroles", cluster_role(
            "widgets-view", [{"apiGroups": ["rbac.example.com"], "resources": ["widgets"], "verbs": ["get", "list",
                                                                                                   "watch"]}],
            {"rbac.authorization.k8s.io/aggregate-to-view": "true"}))[0] == 201
        assert admin("POST", f"{RBAC}/clusterroles", cluster_role(
            "widgets-edit", [{"apiGroups": ["rbac.example.com"], "resources": ["widgets"], "verbs": [
                "create", "delete", "deletecollection", "patch", "update"]}],
            {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}))[0] == 201
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            code, body = server.get_json(f"{WIDGETS}/namespaces/{NS_A}/widgets")
            if code == 200:
                break
            time.sleep(0.05)
        for ns in (NS_A, NS_B):
            assert admin("POST", f"{WIDGETS}/namespaces/{ns}/widgets", {
                "apiVersion": "rbac.example.com/v1", "kind": "Widget", "metadata": {"name": "one"}})[0] == 201
        bindings = [
            binding(NS_A, "viewer", "ClusterRole", "view", [user("viewer")]),
            binding(NS_A, "editor", "ClusterRole", "edit", [user("editor")]),
            binding(NS_A, "nsadmin", "ClusterRole", "admin", [user("nsadmin")]),
            binding(NS_A, "token-viewer", "ClusterRole", "view", [user("token-viewer")]),
            binding(NS_A, "cm-reader", "Role", "cm-reader", [user("cm-reader")]),
            binding(NS_A, "robot", "ClusterRole", "edit", [{"kind": "ServiceAccount", "name": "robot",
                                                            "namespace": NS_A}]),
        ]
        assert admin("POST", f"/api/v1/namespaces/{NS_A}/serviceaccounts", {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}})[0] == 201
        assert admin("POST", f"{RBAC}/namespaces/{NS_A}/roles", role(NS_A, "cm-reader", [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]))[0] == 201
        for b in bindings:
            assert admin("POST", f"{RBAC}/namespaces/{NS_A}/rolebindings", b)[0] == 201, b
        assert admin("POST", f"{RBAC}/clusterroles", cluster_role("impersonate-viewer", [
            {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["viewer"]}]))[0] \
            == 201
        assert admin("POST", f"{RBAC}/clusterrolebindings", binding(
            "", "impersonator", "ClusterRole", "impersonate-viewer", [user("impersonator")]))[0] == 201
        # aggregation is asynchronous (a controller): wait until view has the widget rules
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            view = server.get_json(f"{RBAC}/clusterroles/view")[1]
            edit = server.get_json(f"{RBAC}/clusterroles/edit")[1]
            if any("widgets" in r.get("resources", []) for r in view.get("rules") or []) and \
                    any("widgets" in r.get("resources", []) and "create" in r["verbs"] for r in edit.get("rules", [])):
                break
            time.sleep(0.05)
        server.tmp = tmp
        yield server


def robot_token(srv) -> str:
    code, _, body = srv.request("POST", f"/api/v1/namespaces/{NS_A}/serviceaccounts/robot/token", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
    assert code == 201, body
    return json.loads(body)["status"]["token"]


@pytest.fixture(scope="module")
def users(srv):
    def cert_user(name, groups=()):
        return User(srv, name, issue_client_cert(srv, srv.tmp, name, groups))
    return {
        "viewer": cert_user("viewer"),
        "editor": cert_user("editor"),
        "nsadmin": cert_user("nsadmin"),
        "cm-reader": cert_user("cm-reader"),
        "token-viewer": User(srv, "token-viewer", token="viewer-token"),
        "impersonated-viewer": User(srv, "impersonator", issue_client_cert(srv, srv.tmp, "impersonator"),
                                    impersonate="viewer"),
        "robot-token": User(srv, f"system:serviceaccount:{NS_A}:robot", token=robot_token(srv)),
        "anonymous": User(srv, "system:anonymous"),
        "stranger": cert_user("stranger"),
    }


READ, WRITE = ("get", "list", "watch"), ("create", "update", "patch", "delete")
VIEW = {("configmaps", v) for v in READ} | {("widgets", v) for v in READ}
EDIT = {(r, v) for r in ("configmaps", "secrets", "widgets") for v in READ + WRITE}
EXPECTED = {   # what each user may do in NS_A; nobody may do anything in NS_B
    "viewer": VIEW, "token-viewer": VIEW, "impersonated-viewer": VIEW,
    "editor": EDIT, "nsadmin": EDIT, "robot-token": EDIT,
    "cm-reader": {("configmaps", "get"), ("configmaps", "list")},
    "anonymous": set(), "stranger": set(),
}


def base(resource, ns):
    return f"{WIDGETS}/namespaces/{ns}/widgets" if resource == "widgets" else f"/api/v1/namespaces/{ns}/{resource}"


def attempt(u: User, resource: str, verb: str, ns: str, n: int) -> int:
    path = base(resource, ns)
    kind = {"configmaps": "ConfigMap", "secrets": "Secret", "widgets": "Widget"}[resource]
    api_version = "rbac.example.com/v1" if resource == "widgets" else "v1"
    name = f"m-{n}"
    if verb in ("update", "patch", "delete"):   # the admin makes the object the user then changes
        assert u.srv.request("POST", path, {"apiVersion": api_version, "kind": kind,
                                            "metadata": {"name": name}})[0] == 201
    if verb == "get":
        return u.request("GET", f"{path}/one")[0]
    if verb == "list":
        return u.request("GET", path)[0]
    if verb == "watch":
        conn = u.srv.connection(**({"cert_file": u.cert[0], "key_file": u.cert[1]} if u.cert else {"cert": False}))
        headers = {"Authorization": f"Bearer {u.token}"} if u.token else {}
        if u.impersonate:
            headers["Impersonate-User"] = u.impersonate
        conn.request("GET", f"{path}?watch=1&timeoutSeconds=1", headers=headers)
        code = conn.getresponse().status
        conn.close()
        return code
    if verb == "create":
        return u.request("POST", path, {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})[0]
    if verb == "update":
        return u.request("PUT", f"{path}/{name}", {"apiVersion": api_version, "kind": kind,
                                                    "metadata": {"name": name}, "data" if kind != "Widget" else
                                                    "spec": {"k": "dg=="}})[0]
    if verb == "patch":
        return u.request("PATCH", f"{path}/{name}", {"metadata": {"labels": {"x": "y"}}},
                         headers={"Content-Type": "application/merge-patch+json"})[0]
    return u.request("DELETE", f"{path}/{name}")[0]


def test_access_matrix(srv, users):
    """Every user × resource × verb × namespace against the expected answer (403, or success)."""
    n = 0
    wrong = []
    for name, u in users.items():
        for ns in (NS_A, NS_B):
            for resource in ("configmaps", "secrets", "widgets"):
                for verb in READ + WRITE:
                    n += 1
                    code = attempt(u, resource, verb, ns, n)
                    allowed = ns == NS_A and (resource, verb) in EXPECTED[name]
                    ok = code in (200, 201) if allowed else code == 403
                    if not ok:
                        wrong.append((name, ns, resource, verb, code))
    assert not wrong, wrong


def test_denial_message_is_upstreams(users):
    code, _, body = users["viewer"].request("GET", f"/api/v1/namespaces/{NS_A}/secrets/one")
    assert code == 403
    assert json.loads(body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'secrets "one" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in '
                   f'the namespace "{NS_A}"',
        "reason": "Forbidden", "details": {"name": "one", "kind": "secrets"}, "code": 403}
    code, _, body = users["stranger"].request("GET", "/api/v1/nodes")
    assert json.loads(body)["message"] == ('nodes is forbidden: User "stranger" cannot list resource "nodes" in API '
                                           'group "" at the cluster scope')


def test_get_by_name_does_not_allow_list_or_watch(srv, users):
    srv.request("POST", f"{RBAC}/namespaces/{NS_B}/roles", role(NS_B, "one-secret", [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"], "resourceNames": ["one"]}]))
    srv.request("POST", f"{RBAC}/namespaces/{NS_B}/rolebindings",
                binding(NS_B, "one-secret", "Role", "one-secret", [user("stranger")]))
    u = users["stranger"]
    assert u.request("GET", f"/api/v1/namespaces/{NS_B}/secrets/one")[0] == 200   # bound just now: no lag
    assert u.request("GET", f"/api/v1/namespaces/{NS_B}/secrets/other")[0] == 403
    assert u.request("GET", f"/api/v1/namespaces/{NS_B}/secrets")[0] == 403
    assert u.request("GET", f"/api/v1/namespaces/{NS_B}/secrets?watch=1")[0] == 403
    srv.request("DELETE", f"{RBAC}/namespaces/{NS_B}/rolebindings/one-secret")
    deadline = time.monotonic() + 5
    while u.request("GET", f"/api/v1/namespaces/{NS_B}/secrets/one")[0] != 403:
        assert time.monotonic() < deadline, "revoked access still works"
        time.sleep(0.02)


def test_bootstrap_policy(srv):
    code, admin = srv.get_json(f"{RBAC}/clusterroles/cluster-admin")
    assert admin["rules"] == [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                              {"verbs": ["*"], "nonResourceURLs": ["*"]}]
    assert admin["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    assert admin["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    code, b = srv.get_json(f"{RBAC}/clusterrolebindings/cluster-admin")
    assert b["subjects"] == [{"kind": "Group", "apiGroup": GROUP, "name": "system:masters"}]
    view = srv.get_json(f"{RBAC}/clusterroles/view")[1]
    assert view["aggregationRule"] == {"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["namespaces"]} in view["rules"]
    edit = srv.get_json(f"{RBAC}/clusterroles/edit")[1]
    admin_role = srv.get_json(f"{RBAC}/clusterroles/admin")[1]
    assert all(r in edit["rules"] for r in view["rules"])          # edit aggregates view, admin aggregates edit
    assert all(r in admin_role["rules"] for r in edit["rules"])
    for name in ("system:discovery", "system:basic-user", "system:public-info-viewer"):
        assert srv.get_json(f"{RBAC}/clusterroles/{name}")[0] == 200
        assert srv.get_json(f"{RBAC}/clusterrolebindings/{name}")[0] == 200


def test_bootstrap_roles_come_back_after_a_restart_and_keep_additions(tmp_path):
    with ServerThread(tmp_path / "data") as srv:
        assert srv.request("DELETE", f"{RBAC}/clusterroles/system:basic-user")[0] == 200
        code, b = srv.get_json(f"{RBAC}/clusterrolebindings/system:discovery")
        b["subjects"].append({"kind": "Group", "apiGroup": GROUP, "name": "extra"})
        assert srv.request("PUT", f"{RBAC}/clusterrolebindings/system:discovery", b)[0] == 200
    with ServerThread(tmp_path / "data") as srv:
        assert srv.get_json(f"{RBAC}/clusterroles/system:basic-user")[0] == 200
        subjects = srv.get_json(f"{RBAC}/clusterrolebindings/system:discovery")[1]["subjects"]
        assert [s["name"] for s in subjects] == ["system:authenticated", "extra"]


def test_discovery_for_every_authenticated_user(users):
    for name in ("stranger", "token-viewer"):
        assert users[name].request("GET", "/api")[0] == 200
        assert users[name].request("GET", "/apis")[0] == 200
        assert users[name].request("GET", "/version")[0] == 200
    assert users["anonymous"].request("GET", "/api")[0] == 403
    assert users["anonymous"].request("GET", "/version")[0] == 200


# -- reviews

def test_self_subject_access_review(users):
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": NS_A, "verb": "get", "resource": "configmaps"}}}
    code, _, out = users["viewer"].request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    assert code == 201
    review = json.loads(out)
    assert review["status"] == {"allowed": True, "reason": f'RBAC: allowed by RoleBinding "viewer/{NS_A}" of '
                                                           'ClusterRole "view" to User "viewer"'}
    assert review["spec"] == body["spec"] and review["kind"] == "SelfSubjectAccessReview"
    body["spec"]["resourceAttributes"]["resource"] = "secrets"
    code, _, out = users["viewer"].request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    assert json.loads(out)["status"] == {"allowed": False}
    # anonymous users may not ask (system:basic-user is for authenticated users)
    assert users["anonymous"].request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                      body)[0] == 403
    bad = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}}
    code, _, out = users["viewer"].request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", bad)
    assert code == 422
    assert json.loads(out)["message"] == (
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: '
        "exactly one of nonResourceAttributes or resourceAttributes must be specified")


def test_subject_access_reviews(srv, users):
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "editor", "resourceAttributes": {"namespace": NS_A, "verb": "delete",
                                                             "resource": "secrets"}}}
    code, body = srv.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)[::2]
    assert code == 201 and json.loads(body)["status"]["allowed"] is True
    sar["spec"]["resourceAttributes"]["namespace"] = NS_B
    assert json.loads(srv.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)[2])[
        "status"] == {"allowed": False}
    sar["spec"] = {"groups": ["system:masters"], "nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
    assert json.loads(srv.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)[2])[
        "status"] == {"allowed": True}
    sar["spec"] = {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
    code, _, body = srv.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert code == 422 and "at least one of user or group must be specified" in json.loads(body)["message"]
    # the viewer may not ask about others
    assert users["viewer"].request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)[0] == 403
    # namespace admins may ask locally
    local = {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
             "spec": {"user": "viewer", "resourceAttributes": {"namespace": NS_A, "verb": "list",
                                                               "resource": "configmaps"}}}
    path = f"/apis/authorization.k8s.io/v1/namespaces/{NS_A}/localsubjectaccessreviews"
    code, _, body = users["nsadmin"].request("POST", path, local)
    assert code == 201 and json.loads(body)["status"]["allowed"] is True
    assert users["editor"].request("POST", path, local)[0] == 403
    local["spec"]["resourceAttributes"]["namespace"] = NS_B
    code, _, body = users["nsadmin"].request("POST", path, local)
    assert code == 400 and json.loads(body)["message"] == f"spec.resourceAttributes.namespace must match namespace: " \
                                                          f"{NS_A}"


def test_self_subject_rules_review(users):
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": NS_A}}
    code, _, out = users["cm-reader"].request("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body)
    assert code == 201
    status = json.loads(out)["status"]
    assert {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"]} in status["resourceRules"]
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]} in status["resourceRules"]
    assert {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]} in \
        status["nonResourceRules"]
    assert status["incomplete"] is False


# -- escalation prevention

def test_escalation_prevention(srv, users):
    # the namespace admin may manage roles and bindings in its namespace, but only with rights it holds
    u = users["nsadmin"]
    path = f"{RBAC}/namespaces/{NS_A}/roles"
    ok = role(NS_A, "secret-reader", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
    assert u.request("POST", path, ok)[0] == 201
    too_much = role(NS_A, "node-reader", [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
                                          {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
    code, _, body = u.request("POST", path, too_much)
    assert code == 403
    assert json.loads(body)["message"] == (
        'roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "nsadmin" (groups=["system:authenticated"]) '
        'is attempting to grant RBAC permissions not currently held:\n'
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}')
    assert srv.get_json(f"{path}/node-reader")[0] == 404
    # binding a role it holds is fine; cluster-admin is not
    ok_binding = binding(NS_A, "bind-view", "ClusterRole", "view", [user("stranger")])
    assert u.request("POST", f"{RBAC}/namespaces/{NS_A}/rolebindings", ok_binding)[0] == 201
    bad_binding = binding(NS_A, "bind-admin", "ClusterRole", "cluster-admin", [user("nsadmin")])
    code, _, body = u.request("POST", f"{RBAC}/namespaces/{NS_A}/rolebindings", bad_binding)
    assert code == 403
    assert json.loads(body)["message"].startswith(
        'rolebindings.rbac.authorization.k8s.io "bind-admin" is forbidden: user "nsadmin" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n')
    # with the bind verb on cluster-admin it may
    srv.request("POST", f"{RBAC}/clusterroles", cluster_role("bind-cluster-admin", [
        {"apiGroups": [GROUP], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["cluster-admin"]}]))
    srv.request("POST", f"{RBAC}/namespaces/{NS_A}/rolebindings",
                binding(NS_A, "nsadmin-bind", "ClusterRole", "bind-cluster-admin", [user("nsadmin")]))
    assert u.request("POST", f"{RBAC}/namespaces/{NS_A}/rolebindings", bad_binding)[0] == 201
    # and the editor (no rbac rights at all) cannot even try
    assert users["editor"].request("POST", path, role(NS_A, "x", []))[0] == 403


# -- impersonation

def test_impersonation(srv, users):
    imp = User(srv, "impersonator", users["impersonated-viewer"].cert)
    code, _, body = imp.request("GET", f"/api/v1/namespaces/{NS_A}/configmaps",
                                headers={"Impersonate-User": "editor"})
    assert code == 403
    assert json.loads(body)["message"] == ('users "editor" is forbidden: User "impersonator" cannot impersonate '
                                           'resource "users" in API group "" at the cluster scope')
    code, _, body = imp.request("GET", f"/api/v1/namespaces/{NS_A}/secrets",
                                headers={"Impersonate-User": "viewer"})
    assert code == 403 and 'User "viewer" cannot list resource "secrets"' in json.loads(body)["message"]
    # groups need the impersonate verb on groups too
    code, _, body = imp.request("GET", "/api/v1/nodes", headers={"Impersonate-User": "viewer",
                                                                  "Impersonate-Group": "system:masters"})
    assert code == 403 and json.loads(body)["message"].startswith('groups "system:masters" is forbidden')
    code, _, body = imp.request("GET", "/api/v1/nodes", headers={"Impersonate-Group": "system:masters"})
    assert code == 400 and "without impersonating a user" in json.loads(body)["message"]
    # the admin (system:masters) may impersonate anyone; whoami shows the impersonated identity
    code, _, body = srv.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                                headers={"Impersonate-User": "someone", "Impersonate-Group": "team",
                                         "Impersonate-Extra-Scopes": "a", "Impersonate-Uid": "u-1"})
    assert code == 201
    assert json.loads(body)["status"]["userInfo"] == {"username": "someone", "uid": "u-1",
                                                      "groups": ["team", "system:authenticated"],
                                                      "extra": {"scopes": ["a"]}}
    code, _, body = srv.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": NS_A, "verb": "list", "resource": "secrets"}}},
        headers={"Impersonate-User": "editor"})
    assert code == 201 and json.loads(body)["status"]["allowed"] is True


# -- bad input

def test_bad_credentials_and_path_tricks(srv, users):
    code, _, body = srv.request("GET", "/api/v1/namespaces", cert=False, token="not-a-token")
    assert code == 401 and json.loads(body)["reason"] == "Unauthorized"
    headers = [("Authorization", "Bearer viewer-token"), ("Authorization", "Bearer viewer-token")]
    conn = srv.connection(cert=False)
    conn.putrequest("GET", f"/api/v1/namespaces/{NS_A}/configmaps")
    for name, value in headers:
        conn.putheader(name, value)
    conn.endheaders()
    assert conn.getresponse().status == 401
    conn.close()
    viewer = users["viewer"]
    for path in (f"/api/v1/namespaces/{NS_A}/../{NS_B}/configmaps",
                 f"/api/v1/namespaces/{NS_A}%2F..%2F{NS_B}/configmaps",
                 f"/api/v1/namespaces/{NS_A}/configmaps/../../{NS_B}/configmaps/one",
                 f"/api/v1/namespaces/{NS_A}/secrets%2Fone"):
        code = viewer.request("GET", path)[0]
        assert code not in (200, 201), path
    assert viewer.request("GET", f"/api/v1/namespaces/{NS_A}/configmaps")[0] == 200


# -- clients

def kubeconfig_for(srv, name, user_cert=None, token=None) -> str:
    """A kubeconfig with this user's certificate or token (the admin's when neither is given)."""
    if not user_cert and not token:
        return srv.kubeconfig
    credentials = {"token": token} if token else {"client-certificate": user_cert[0], "client-key": user_cert[1]}
    cluster = {"server": srv.url, "certificate-authority": str(srv.pki.ca_cert)}
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "c", "cluster": cluster}],
              "users": [{"name": name, "user": credentials}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": name}}]}
    path = os.path.join(srv.tmp, f"{name}.kubeconfig")
    with open(path, "w") as f:
        json.dump(config, f)   # JSON is YAML
    return path


def kubectl(srv, *args, user_cert=None, token=None, check=True):
    name = os.path.basename(user_cert[0])[:-4] if user_cert else "token" if token else "admin"
    cmd = ["kubectl", "--kubeconfig", kubeconfig_for(srv, name, user_cert, token)]
    result = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, KUBECACHEDIR=os.path.join(srv.tmp, "kubecache")))
    if check:
        assert result.returncode == 0, result.stderr
    return result


kubectl_missing = pytest.mark.skipif(subprocess.run(["which", "kubectl"], capture_output=True).returncode != 0,
                                     reason="kubectl is not installed")


@kubectl_missing
def test_kubectl_as_users(srv, users):
    assert "one" in kubectl(srv, "get", "configmaps", "-n", NS_A, user_cert=users["viewer"].cert).stdout
    denied = kubectl(srv, "get", "secrets", "-n", NS_A, user_cert=users["viewer"].cert, check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == (f'Error from server (Forbidden): secrets is forbidden: User "viewer" cannot list '
                                     f'resource "secrets" in API group "" in the namespace "{NS_A}"')
    assert "one" in kubectl(srv, "get", "configmaps", "-n", NS_A, token="viewer-token").stdout
    kubectl(srv, "create", "configmap", "by-editor", "-n", NS_A, user_cert=users["editor"].cert)
    denied = kubectl(srv, "create", "configmap", "by-viewer", "-n", NS_A, user_cert=users["viewer"].cert,
                     check=False)
    assert denied.returncode == 1 and "cannot create resource" in denied.stderr
    # --as: the admin impersonates
    assert "one" in kubectl(srv, "get", "widgets", "-n", NS_A, "--as", "viewer").stdout
    denied = kubectl(srv, "delete", "widget", "one", "-n", NS_A, "--as", "viewer", check=False)
    assert denied.returncode == 1 and 'User "viewer" cannot delete resource "widgets"' in denied.stderr


@kubectl_missing
def test_kubectl_auth_can_i(srv, users):
    def can_i(*args, **kw):
        return kubectl(srv, "auth", "can-i", *args, check=False, **kw)
    yes = can_i("get", "configmaps", "-n", NS_A, user_cert=users["viewer"].cert)
    assert (yes.returncode, yes.stdout.strip()) == (0, "yes")
    no = can_i("get", "secrets", "-n", NS_A, user_cert=users["viewer"].cert)
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    assert can_i("create", "widgets.rbac.example.com", "-n", NS_A, "--as", "editor").stdout.strip() == "yes"
    assert can_i("create", "widgets.rbac.example.com", "-n", NS_B, "--as", "editor").stdout.strip() == "no"
    assert can_i("get", "/metrics").stdout.strip() == "yes"    # admin
    assert can_i("get", "/metrics", "--as", "editor").stdout.strip() == "no"
    listing = can_i("--list", "-n", NS_A, user_cert=users["cm-reader"].cert)
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["configmaps", "[]", "[]", "[get", "list]"] in rows


def test_python_client_as_viewer(srv, users):
    kubernetes = pytest.importorskip("kubernetes")
    configuration = kubernetes.client.Configuration()
    configuration.host = srv.url
    configuration.ssl_ca_cert = str(srv.pki.ca_cert)
    configuration.cert_file, configuration.key_file = users["viewer"].cert
    with kubernetes.client.ApiClient(configuration) as client:
        core = kubernetes.client.CoreV1Api(client)
        assert "one" in [cm.metadata.name for cm in core.list_namespaced_config_map(NS_A).items]
        with pytest.raises(kubernetes.client.ApiException) as err:
            core.read_namespaced_secret("one", NS_A)
        assert err.value.status == 403
        assert json.loads(err.value.body)["reason"] == "Forbidden"
        with pytest.raises(kubernetes.client.ApiException) as err:
            core.create_namespaced_config_map(NS_A, {"metadata": {"name": "nope"}})
        assert err.value.status == 403
        review = kubernetes.client.AuthorizationV1Api(client).create_self_subject_access_review(
            {"spec": {"resourceAttributes": {"namespace": NS_A, "verb": "watch", "resource": "configmaps"}}})
        assert review.status.allowed is True
