"""ServiceAccount tokens end to end: TokenRequest (kubectl create token, the Python client), bound-token
authentication, TokenReview and SelfSubjectReview (kubectl auth whoami), against a real server over TLS.

Tokens the server must refuse are minted here with the server's own signing key file (expired, not yet valid)
or with keys of the test's own (another signer, another issuer), as an attacker or a clock skew would make them.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import time
import uuid

import pytest
from support import ServerThread, write_token_file

from apiserver import cli, pki
from apiserver.auth import jwt, serviceaccount

KUBECTL = shutil.which("kubectl")
OPENSSL = shutil.which("openssl")
ISSUER = "https://kubernetes.default.svc.cluster.local"
# upstream's loopback token authenticator comes first, so its "invalid bearer token" leads every aggregated error
AGG = "[invalid bearer token, {}]"
CRYPTO = "square/go-jose: error in cryptographic primitive"  # kube-apiserver 1.32 vendors square/go-jose.v2
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("satokens") / "data", "--controllers=none",
                          "--disable-admission-plugins=ServiceAccount").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kube_env(tmp_path_factory):
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("kubectl-home")))
    env.pop("KUBECONFIG", None)
    return env


_counter = itertools.count()


@pytest.fixture
def ns(srv):
    name = f"sat-{next(_counter)}"
    create(srv, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def create(srv, path, obj, expect=201, **kw) -> dict:
    code, _, body = srv.request("POST", path, obj, **kw)
    assert code == expect, body
    return json.loads(body)


def service_account(srv, ns, name="app") -> dict:
    return create(srv, f"/api/v1/namespaces/{ns}/serviceaccounts",
                  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})


def token_request(srv, ns, name="app", expect=201, **spec) -> dict:
    return create(srv, f"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
                  {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}, expect)


def review(srv, token, audiences=None, **kw) -> dict:
    spec = {"token": token}
    if audiences is not None:
        spec["audiences"] = audiences
    return create(srv, "/apis/authentication.k8s.io/v1/tokenreviews",
                  {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}, **kw)["status"]


def as_token(srv, token, path="/apis") -> int:
    """The status of a request made with nothing but the bearer token (discovery: every authenticated user may)."""
    code, _, body = srv.request("GET", path, cert=False, token=token)
    if code == 401:   # upstream's body: no detail, never the token
        assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    return code


def payload(token) -> dict:
    return json.loads(jwt.b64url_decode(token.split(".")[1]))


def header(token) -> dict:
    return json.loads(jwt.b64url_decode(token.split(".")[0]))


def server_key(srv) -> jwt.SigningKey:
    with open(os.path.join(srv.data_dir, "pki", "sa.key"), "rb") as f:
        return jwt.load_signing_key(f.read())


def mint(srv, sa, key=None, issuer=ISSUER, now=None, seconds=3600, audiences=(ISSUER,), **bound) -> str:
    """A token as the server would mint it, at another time or with another key or issuer."""
    claims = serviceaccount.claims(sa, audiences, seconds, time.time() if now is None else now, **bound)
    claims["iss"] = issuer
    return jwt.sign(claims, key or server_key(srv))


def kubectl(srv, env, *args, token="", check=True) -> subprocess.CompletedProcess:
    if token:   # the token alone: no client certificate, so the token is what authenticates
        base = [KUBECTL, "--server", srv.url, "--certificate-authority", str(srv.pki.ca_cert), "--token", token]
    else:
        base = [KUBECTL, "--kubeconfig", str(srv.kubeconfig)]
    result = subprocess.run(base + list(args), capture_output=True, text=True, timeout=30, env=env)
    if check:
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
    return result


# -- TokenRequest and whoami with kubectl


@needs_kubectl
def test_kubectl_create_token_then_whoami_with_it(srv, kube_env, ns):
    sa = service_account(srv, ns)
    token = kubectl(srv, kube_env, "create", "token", "app", "-n", ns).stdout.strip()
    claims = payload(token)
    assert header(token) == {"alg": "ES256", "kid": jwt.key_id(server_key(srv).public)}
    assert claims["iss"] == ISSUER and claims["aud"] == [ISSUER]
    assert claims["sub"] == f"system:serviceaccount:{ns}:app"
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 60
    uuid.UUID(claims["jti"])
    assert claims["kubernetes.io"] == {"namespace": ns, "serviceaccount": {"name": "app",
                                                                            "uid": sa["metadata"]["uid"]}}

    who = json.loads(kubectl(srv, kube_env, "auth", "whoami", "-o", "json", token=token).stdout)
    assert who["kind"] == "SelfSubjectReview" and who["apiVersion"] == "authentication.k8s.io/v1"
    assert who["status"]["userInfo"] == {
        "username": f"system:serviceaccount:{ns}:app", "uid": sa["metadata"]["uid"],
        "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]}}
    table = kubectl(srv, kube_env, "auth", "whoami", token=token).stdout.splitlines()
    assert table[1].split() == ["Username", f"system:serviceaccount:{ns}:app"]
    assert table[2].split() == ["UID", sa["metadata"]["uid"]]
    # RBAC decides what the account may do: nothing yet, then what a RoleBinding grants
    denied = kubectl(srv, kube_env, "get", "configmaps", "-n", ns, token=token, check=False)
    assert denied.returncode == 1
    assert f'User "system:serviceaccount:{ns}:app" cannot list resource "configmaps"' in denied.stderr
    kubectl(srv, kube_env, "create", "role", "cm-reader", "--verb=list", "--resource=configmaps", "-n", ns)
    kubectl(srv, kube_env, "create", "rolebinding", "app-cm-reader", "--role=cm-reader",
            f"--serviceaccount={ns}:app", "-n", ns)
    assert kubectl(srv, kube_env, "get", "configmaps", "-n", ns, token=token).returncode == 0

    duration = kubectl(srv, kube_env, "create", "token", "app", "-n", ns, "--duration", "2h", "--audience", "a",
                       "--audience", "b").stdout.strip()
    claims = payload(duration)
    assert claims["exp"] - claims["iat"] == 7200 and claims["aud"] == ["a", "b"]
    # a token for other audiences does not open this API
    failed = kubectl(srv, kube_env, "get", "namespaces", token=duration, check=False)
    assert failed.returncode != 0 and "Unauthorized" in failed.stderr


@needs_kubectl
def test_kubectl_create_token_errors(srv, kube_env, ns):
    missing = kubectl(srv, kube_env, "create", "token", "nobody", "-n", ns, check=False)
    assert 'serviceaccounts "nobody" not found' in missing.stderr
    service_account(srv, ns)
    short = kubectl(srv, kube_env, "create", "token", "app", "-n", ns, "--duration", "5m", check=False)
    assert ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not '
            "specify a duration less than 10 minutes") in short.stderr


@needs_kubectl
def test_whoami_x509_admin(srv, kube_env):
    who = json.loads(kubectl(srv, kube_env, "auth", "whoami", "-o", "json").stdout)
    with open(srv.pki.admin_cert, "rb") as f:
        der = pki.pem_to_ders(f.read())[0]
    assert who["status"]["userInfo"] == {
        "username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["X509SHA256=" + hashlib.sha256(der).hexdigest()]}}
    assert who["metadata"]["creationTimestamp"]
    text = kubectl(srv, kube_env, "auth", "whoami", "-o", "yaml").stdout
    assert "username: kubernetes-admin" in text and "- system:masters" in text
    table = kubectl(srv, kube_env, "auth", "whoami").stdout.splitlines()
    assert table[0].split() == ["ATTRIBUTE", "VALUE"]
    assert table[1].split() == ["Username", "kubernetes-admin"]
    assert table[2].split() == ["Groups", "[system:masters", "system:authenticated]"]


@needs_kubectl
def test_whoami_static_token(make_server, tmp_path, kube_env):
    path = write_token_file(tmp_path / "tokens.csv", ['s3cret,alice,u-1,"dev,ops"'])
    server = make_server("--controllers=none", f"--token-auth-file={path}")
    who = json.loads(kubectl(server, kube_env, "auth", "whoami", "-o", "json", token="s3cret").stdout)
    assert who["status"]["userInfo"] == {"username": "alice", "uid": "u-1",
                                         "groups": ["dev", "ops", "system:authenticated"]}
    # TokenReview of a static token: audience agnostic, so the API's audiences only
    assert review(server, "s3cret") == {"authenticated": True, "audiences": [ISSUER], "user": {
        "username": "alice", "uid": "u-1", "groups": ["dev", "ops", "system:authenticated"]}}
    assert review(server, "s3cret", audiences=["other"]) == {"user": {}, "error": "invalid bearer token"}


# -- the Python client


def test_python_client_token_request_and_reviews(srv, ns):
    kubernetes = pytest.importorskip("kubernetes")
    sa = service_account(srv, ns)
    api_client = kubernetes.config.new_client_from_config(config_file=str(srv.kubeconfig))
    core = kubernetes.client.CoreV1Api(api_client)
    body = kubernetes.client.AuthenticationV1TokenRequest(
        spec=kubernetes.client.V1TokenRequestSpec(audiences=[], expiration_seconds=1200))
    before = time.time()
    answer = core.create_namespaced_service_account_token("app", ns, body)
    assert answer.kind == "TokenRequest" and answer.metadata.name == "app" and answer.metadata.namespace == ns
    assert answer.spec.audiences == [ISSUER] and answer.spec.expiration_seconds == 1200
    assert answer.spec.bound_object_ref is None
    expires = answer.status.expiration_timestamp.timestamp()
    assert before + 1200 - 2 <= expires <= time.time() + 1200 + 1
    claims = payload(answer.status.token)
    assert claims["exp"] == int(expires)

    auth = kubernetes.client.AuthenticationV1Api(api_client)
    result = auth.create_token_review(kubernetes.client.V1TokenReview(
        spec=kubernetes.client.V1TokenReviewSpec(token=answer.status.token)))
    assert result.status.authenticated is True and result.status.audiences == [ISSUER]
    assert result.status.user.username == f"system:serviceaccount:{ns}:app"
    assert result.status.user.uid == sa["metadata"]["uid"]
    assert result.status.user.extra == {"authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]}
    me = auth.create_self_subject_review(kubernetes.client.V1SelfSubjectReview())
    assert me.status.user_info.username == "kubernetes-admin"

    # the token itself drives the client
    configuration = kubernetes.client.Configuration()
    configuration.host = srv.url
    configuration.ssl_ca_cert = str(srv.pki.ca_cert)
    configuration.api_key = {"authorization": "Bearer " + answer.status.token}
    with kubernetes.client.ApiClient(configuration) as as_sa:
        me = kubernetes.client.AuthenticationV1Api(as_sa).create_self_subject_review(
            kubernetes.client.V1SelfSubjectReview())
        assert me.status.user_info.username == f"system:serviceaccount:{ns}:app"
        assert me.status.user_info.groups[-1] == "system:authenticated"


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_signature_checks_out_with_openssl(srv, ns, tmp_path):
    service_account(srv, ns)
    token = token_request(srv, ns)["status"]["token"]
    signing_input, _, signature = token.rpartition(".")
    raw = jwt.b64url_decode(signature)
    der = pki.der_sequence(pki.der_integer(int.from_bytes(raw[:32], "big")),
                           pki.der_integer(int.from_bytes(raw[32:], "big")))
    (tmp_path / "data").write_bytes(signing_input.encode())
    (tmp_path / "sig").write_bytes(der)
    result = subprocess.run([OPENSSL, "dgst", "-sha256", "-verify", os.path.join(srv.data_dir, "pki", "sa.pub"),
                             "-signature", str(tmp_path / "sig"), str(tmp_path / "data")], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "Verified OK" in result.stdout, result.stderr


# -- TokenRequest rules


def test_token_request_validation(srv, ns):
    sa = service_account(srv, ns)
    status = token_request(srv, ns, expirationSeconds=599, expect=422)
    assert status["message"] == ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid '
                                 "value: 599: may not specify a duration less than 10 minutes")
    assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.expirationSeconds",
                                            "message": "Invalid value: 599: may not specify a duration less than "
                                                       "10 minutes"}]
    assert token_request(srv, ns, expirationSeconds=(1 << 32) + 1, expect=422)["message"].endswith(
        "may not specify a duration larger than 2^32 seconds")
    assert token_request(srv, ns, "ghost", expect=404)["message"] == 'serviceaccounts "ghost" not found'
    mismatch = create(srv, f"/api/v1/namespaces/{ns}/serviceaccounts/app/token", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "other"},
        "spec": {}}, 422)
    assert mismatch["message"] == ('TokenRequest.authentication.k8s.io "app" is invalid: metadata.name: Invalid '
                                   'value: "other": must match the service account name if specified')
    wrong_kind = create(srv, f"/api/v1/namespaces/{ns}/serviceaccounts/app/token", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app"}}, 400)
    assert "does not match the expected kind (TokenRequest)" in wrong_kind["message"]
    assert "cannot unmarshal string" in token_request(srv, ns, audiences="a", expect=400)["message"]
    code, _, body = srv.request("GET", f"/api/v1/namespaces/{ns}/serviceaccounts/app/token")
    assert code == 405, body
    unknown = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "ConfigMap", "name": "x"},
                            expect=400)
    assert unknown["message"] == "cannot bind token to object of type /v1, Kind=ConfigMap"
    answer = token_request(srv, ns, expirationSeconds=600)
    assert answer["spec"] == {"audiences": [ISSUER], "expirationSeconds": 600, "boundObjectRef": None}
    assert answer["metadata"]["name"] == "app" and answer["metadata"]["namespace"] == ns
    assert payload(answer["status"]["token"])["kubernetes.io"]["serviceaccount"]["uid"] == sa["metadata"]["uid"]


def pod(srv, ns, name, sa="app", node="") -> dict:
    spec = {"serviceAccountName": sa, "containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return create(srv, f"/api/v1/namespaces/{ns}/pods",
                  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def delete(srv, path):
    code, _, body = srv.request("DELETE", path)
    assert code in (200, 202), body


@needs_kubectl
def test_pod_bound_token(srv, kube_env, ns):
    service_account(srv, ns)
    node = create(srv, "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"{ns}-node"}})
    p = pod(srv, ns, "web", node=f"{ns}-node")
    token = kubectl(srv, kube_env, "create", "token", "app", "-n", ns, "--bound-object-kind", "Pod",
                    "--bound-object-name", "web").stdout.strip()
    bound = payload(token)["kubernetes.io"]
    assert bound["pod"] == {"name": "web", "uid": p["metadata"]["uid"]}
    assert bound["node"] == {"name": f"{ns}-node", "uid": node["metadata"]["uid"]}
    user = review(srv, token)["user"]
    assert user["extra"] == {
        "authentication.kubernetes.io/credential-id": [f"JTI={payload(token)['jti']}"],
        "authentication.kubernetes.io/node-name": [f"{ns}-node"],
        "authentication.kubernetes.io/node-uid": [node["metadata"]["uid"]],
        "authentication.kubernetes.io/pod-name": ["web"],
        "authentication.kubernetes.io/pod-uid": [p["metadata"]["uid"]]}

    bound_spec = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "web"})["spec"]
    assert bound_spec["boundObjectRef"] == {"kind": "Pod", "apiVersion": "v1", "name": "web"}
    stale = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "web", "uid": "x"},
                          expect=409)
    assert stale["message"] == ('Operation cannot be fulfilled on Pod "web": the UID in the bound object reference '
                                "(x) does not match the UID in record. The object might have been deleted and then "
                                "recreated")
    service_account(srv, ns, "other")
    pod(srv, ns, "elsewhere", sa="other")
    assert token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "elsewhere"},
                         expect=400)["message"] == ('cannot bind token for serviceaccount "app" to pod running with '
                                                    "different serviceaccount name.")
    pod(srv, ns, "unscheduled", node=f"{ns}-nowhere")   # its node is not there: the name alone is kept
    floating = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "unscheduled"})
    assert payload(floating["status"]["token"])["kubernetes.io"]["node"] == {"name": f"{ns}-nowhere"}
    assert review(srv, floating["status"]["token"])["user"]["extra"]["authentication.kubernetes.io/node-name"] == [
        f"{ns}-nowhere"]
    assert token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Pod", "name": "gone"},
                         expect=404)["message"] == 'pods "gone" not found'

    assert as_token(srv, token) == 200
    delete(srv, f"/api/v1/namespaces/{ns}/pods/web?gracePeriodSeconds=0")
    assert as_token(srv, token) == 401
    assert review(srv, token) == {"user": {}, "error": AGG.format("service account token has been invalidated")}
    pod(srv, ns, "web", node=f"{ns}-node")   # same name, new uid
    assert as_token(srv, token) == 401
    assert review(srv, token)["error"].startswith("[invalid bearer token, pod UID (")


def test_secret_and_node_bound_tokens(srv, ns):
    service_account(srv, ns)
    secret = create(srv, f"/api/v1/namespaces/{ns}/secrets",
                    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    token = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Secret", "name": "s",
                                                   "uid": secret["metadata"]["uid"]})["status"]["token"]
    assert payload(token)["kubernetes.io"]["secret"] == {"name": "s", "uid": secret["metadata"]["uid"]}
    assert as_token(srv, token) == 200
    delete(srv, f"/api/v1/namespaces/{ns}/secrets/s")
    assert as_token(srv, token) == 401
    assert review(srv, token)["error"] == AGG.format("service account token has been invalidated")

    node = create(srv, "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"{ns}-n"}})
    token = token_request(srv, ns, boundObjectRef={"apiVersion": "v1", "kind": "Node",
                                                   "name": f"{ns}-n"})["status"]["token"]
    assert review(srv, token)["user"]["extra"]["authentication.kubernetes.io/node-uid"] == [node["metadata"]["uid"]]
    delete(srv, f"/api/v1/nodes/{ns}-n")
    assert as_token(srv, token) == 401


# -- tokens the server refuses


def test_refused_after_service_account_recreated(srv, ns):
    sa = service_account(srv, ns)
    token = token_request(srv, ns)["status"]["token"]
    assert as_token(srv, token) == 200
    delete(srv, f"/api/v1/namespaces/{ns}/serviceaccounts/app")
    assert as_token(srv, token) == 401
    assert review(srv, token) == {"user": {}, "error": AGG.format('serviceaccounts "app" not found')}
    again = service_account(srv, ns)
    assert as_token(srv, token) == 401
    assert review(srv, token)["error"] == AGG.format(
        f"service account UID ({again['metadata']['uid']}) does not match claim ({sa['metadata']['uid']})")
    assert as_token(srv, token_request(srv, ns)["status"]["token"]) == 200


def test_refused_when_expired_or_not_yet_valid(srv, ns):
    sa = service_account(srv, ns)
    now = time.time()
    expired = mint(srv, sa, now=now - 3600 - 120, seconds=3600)
    assert as_token(srv, expired) == 401
    assert review(srv, expired) == {"user": {}, "error": AGG.format("service account token has expired")}
    within_leeway = mint(srv, sa, now=now - 3600 - 20, seconds=3600)   # go-jose allows a minute of skew
    assert as_token(srv, within_leeway) == 200
    future = mint(srv, sa, now=now + 600)
    assert as_token(srv, future) == 401
    assert review(srv, future)["error"] == AGG.format("service account token is not valid yet")


def test_refused_for_other_audiences(srv, ns):
    service_account(srv, ns)
    token = token_request(srv, ns, audiences=["vault"])["status"]["token"]
    assert as_token(srv, token) == 401
    assert review(srv, token)["error"] == AGG.format(
        f'token audiences ["vault"] is invalid for the target audiences ["{ISSUER}"]')
    answer = review(srv, token, audiences=["vault", "other"])
    assert answer["authenticated"] is True and answer["audiences"] == ["vault"]
    both = token_request(srv, ns, audiences=["vault", ISSUER])["status"]["token"]
    assert as_token(srv, both) == 200
    assert review(srv, both)["audiences"] == [ISSUER]


def test_refused_when_signed_by_another_key_or_issuer(srv, ns):
    sa = service_account(srv, ns)
    forged = mint(srv, sa, key=jwt.ECSigningKey(pki.PrivateKey.generate()))
    assert as_token(srv, forged) == 401
    assert review(srv, forged) == {"user": {}, "error": AGG.format(CRYPTO)}
    other_issuer = mint(srv, sa, issuer="https://elsewhere")
    assert as_token(srv, other_issuer) == 401
    assert review(srv, other_issuer)["error"] == "invalid bearer token"
    # a valid token with its claims changed after signing
    genuine = token_request(srv, ns)["status"]["token"]
    head, body, sig = genuine.split(".")
    claims = payload(genuine)
    claims["kubernetes.io"]["serviceaccount"]["name"] = "admin"
    tampered = ".".join([head, jwt.b64url_encode(json.dumps(claims).encode()), sig])
    assert as_token(srv, tampered) == 401
    assert review(srv, tampered)["error"] == AGG.format(CRYPTO)


def test_refused_when_malformed_or_unsigned(srv, ns):
    sa = service_account(srv, ns)
    claims = serviceaccount.claims(sa, [ISSUER], 3600, time.time())
    claims["iss"] = ISSUER
    unsigned = jwt.b64url_encode(b'{"alg":"none"}') + "." + jwt.b64url_encode(json.dumps(claims).encode()) + "."
    assert as_token(srv, unsigned) == 401
    assert review(srv, unsigned) == {"user": {}, "error": AGG.format(CRYPTO)}
    hs256 = jwt.b64url_encode(b'{"alg":"HS256"}') + "." + jwt.b64url_encode(json.dumps(claims).encode()) + ".c2ln"
    assert as_token(srv, hs256) == 401
    genuine = token_request(srv, ns)["status"]["token"]
    for bad in ("not-a-jwt", "a.b.c", genuine + ".x", genuine.replace(".", "", 1), "e30.e30.", genuine[:-3] + "!!!",
                "..", base64.b64encode(b"\xff\xfe").decode()):
        assert as_token(srv, bad) == 401, bad
        result = review(srv, bad)
        assert result["user"] == {} and "authenticated" not in result, bad
    assert review(srv, "a.b.c")["error"] == "invalid bearer token"
    # signed with the server's key but shaped wrong: refused, never a server error
    key = server_key(srv)
    for odd in ({"iss": [ISSUER]}, {"kubernetes.io": "x"}, {"kubernetes.io": {"serviceaccount": "x"}},
                {"exp": "soon"}, {"aud": 7}, {"kubernetes.io": {"namespace": ns, "serviceaccount": {"name": "app"}}}):
        assert as_token(srv, jwt.sign(dict(claims, **odd), key)) == 401, odd


def test_token_review_rules(srv, ns):
    status = create(srv, "/apis/authentication.k8s.io/v1/tokenreviews", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}}, 400)
    assert status["message"] == "token is required for TokenReview in authentication"
    service_account(srv, ns)
    token = token_request(srv, ns)["status"]["token"]
    answer = create(srv, "/apis/authentication.k8s.io/v1/tokenreviews", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "metadata": {"name": "r"},
        "spec": {"token": token, "audiences": []}})
    assert answer["metadata"] == {"name": "r", "creationTimestamp": None}
    assert answer["spec"] == {"token": token}
    assert answer["status"]["authenticated"] is True
    code, _, _ = srv.request("GET", "/apis/authentication.k8s.io/v1/tokenreviews")
    assert code == 405


def test_anonymous_whoami_is_forbidden(srv):
    """system:basic-user (which allows SelfSubjectReview) is bound to authenticated users only."""
    code, _, body = srv.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}, cert=False)
    assert code == 403
    assert json.loads(body)["message"] == (
        'selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource '
        '"selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope')


# -- flags and keys


def _write(path, data) -> str:
    path.write_bytes(data)
    return str(path)


def test_flags_keys_issuers_audiences_and_max_expiration(make_server, tmp_path):
    signer = jwt.ECSigningKey(pki.PrivateKey.generate())
    extra = jwt.ECSigningKey(pki.PrivateKey.generate())
    signing_file = _write(tmp_path / "signer.pem", jwt.ec_private_pem(signer))
    extra_pub = _write(tmp_path / "extra.pub", jwt.public_pem(extra.public))
    server = make_server("--controllers=none", f"--service-account-signing-key-file={signing_file}",
                         f"--service-account-key-file={extra_pub}", "--service-account-issuer=https://a",
                         "--service-account-issuer=https://b", "--api-audiences=x,y", "--api-audiences=z",
                         "--service-account-max-token-expiration=1h", "--service-account-extend-token-expiration=false")
    create(server, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    sa = service_account(server, "n")
    answer = token_request(server, "n", expirationSeconds=7200)
    assert answer["spec"] == {"audiences": ["x", "y", "z"], "expirationSeconds": 3600, "boundObjectRef": None}
    token = answer["status"]["token"]
    claims = payload(token)
    assert claims["iss"] == "https://a" and claims["aud"] == ["x", "y", "z"] and claims["exp"] - claims["iat"] == 3600
    assert header(token)["kid"] == jwt.key_id(signer.public)
    assert jwt.verify(token, [signer.public]) == claims
    assert as_token(server, token) == 200
    # the second issuer and the extra verification key are accepted; unknown issuers are not
    assert as_token(server, mint(server, sa, key=extra, issuer="https://b", audiences=["z"])) == 200
    assert as_token(server, mint(server, sa, key=extra, issuer="https://c", audiences=["z"])) == 401
    assert as_token(server, mint(server, sa, key=extra, issuer="https://b", audiences=[ISSUER])) == 401
    assert not os.path.exists(os.path.join(server.data_dir, "pki", "sa.key"))


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_rsa_signing_key(make_server, tmp_path):
    key = tmp_path / "rsa.key"
    subprocess.run([OPENSSL, "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    server = make_server("--controllers=none", f"--service-account-signing-key-file={key}")
    create(server, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    service_account(server, "n")
    token = token_request(server, "n")["status"]["token"]
    assert header(token)["alg"] == "RS256"
    assert as_token(server, token) == 200
    signing_input, _, signature = token.rpartition(".")
    (tmp_path / "data").write_bytes(signing_input.encode())
    (tmp_path / "sig").write_bytes(jwt.b64url_decode(signature))
    pub = subprocess.run([OPENSSL, "rsa", "-in", str(key), "-pubout"], check=True, capture_output=True).stdout
    (tmp_path / "rsa.pub").write_bytes(pub)
    result = subprocess.run([OPENSSL, "dgst", "-sha256", "-verify", str(tmp_path / "rsa.pub"), "-signature",
                             str(tmp_path / "sig"), str(tmp_path / "data")], capture_output=True, text=True)
    assert "Verified OK" in result.stdout, result.stderr
    (key,) = json.loads(server.request("GET", "/openid/v1/jwks")[2])["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["e"] == "AQAB" and key["kid"] == header(token)["kid"]
    public = jwt.RSAPublicKey(int.from_bytes(jwt.b64url_decode(key["n"]), "big"), 65537)
    assert jwt.verify(token, [public]) == payload(token)


def test_signing_key_survives_restart(make_server, tmp_path):
    data = tmp_path / "persist"
    first = make_server("--controllers=none", data_dir=data)
    create(first, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    service_account(first, "n")
    token = token_request(first, "n")["status"]["token"]
    assert os.stat(data / "pki" / "sa.key").st_mode & 0o077 == 0
    first.stop()
    second = make_server("--controllers=none", data_dir=data)
    assert as_token(second, token) == 200


@pytest.mark.parametrize("flags,message", [
    (["--service-account-max-token-expiration=30m"],
     "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"),
    (["--service-account-issuer=https://a", "--service-account-issuer=https://a"],
     'service-account-issuer "https://a" is already specified'),
    (["--service-account-issuer="], "service-account-issuer should not be an empty string"),
    (["--service-account-jwks-uri=http://x/keys"],
     "service-account-jwks-uri requires https scheme, parsed as: http://x/keys"),
])
def test_flag_validation(flags, message, tmp_path):
    with pytest.raises(cli.FlagError) as err:
        cli.parse_options(["--data-dir", str(tmp_path), *flags])
    assert str(err.value) == message


def test_bad_key_files_stop_the_server(tmp_path):
    from apiserver.options import OptionsError
    garbage = _write(tmp_path / "garbage.pem", b"not a key")
    for flag in ("--service-account-signing-key-file", "--service-account-key-file"):
        options = cli.parse_options(["--data-dir", str(tmp_path / "d"), "--secure-port", "0", f"{flag}={garbage}"])
        with pytest.raises(OptionsError, match=flag):
            options.config()


def test_certificate_wins_over_token(srv):
    # the admin certificate and a token together: the certificate wins, as upstream's authenticator order has it
    code, _, body = srv.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}, token="whatever")
    assert code == 201 and json.loads(body)["status"]["userInfo"]["username"] == "kubernetes-admin"


def test_discovery_names_token_request(srv):
    code, body = srv.get_json("/api/v1")
    token = next(r for r in body["resources"] if r["name"] == "serviceaccounts/token")
    assert token == {"name": "serviceaccounts/token", "singularName": "", "namespaced": True,
                     "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"]}
    code, body = srv.get_json("/apis/authentication.k8s.io/v1")
    assert {r["name"]: r for r in body["resources"]}["tokenreviews"] == {
        "name": "tokenreviews", "singularName": "tokenreview", "namespaced": False, "kind": "TokenReview",
        "verbs": ["create"]}
    code, body = srv.get_json("/api", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    resources = body["items"][0]["versions"][0]["resources"]
    sa = next(r for r in resources if r["resource"] == "serviceaccounts")
    assert sa["subresources"] == [{"subresource": "token", "verbs": ["create"], "responseKind": {
        "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"}}]


def test_issuer_discovery_documents_verify_tokens(srv, ns):
    service_account(srv, ns)
    token = token_request(srv, ns)["status"]["token"]
    code, headers, body = srv.request("GET", "/.well-known/openid-configuration")
    assert code == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"issuer": ISSUER, "jwks_uri": f"https://127.0.0.1:{srv.port}/openid/v1/jwks",
                                "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                                "id_token_signing_alg_values_supported": ["ES256"]}
    code, headers, body = srv.request("GET", "/openid/v1/jwks")
    assert code == 200 and headers["Content-Type"] == "application/jwk-set+json"
    (key,) = json.loads(body)["keys"]
    assert {k: key[k] for k in ("use", "kty", "crv", "alg")} == {"use": "sig", "kty": "EC", "crv": "P-256",
                                                                  "alg": "ES256"}
    assert key["kid"] == header(token)["kid"]
    point = pki.Point(int.from_bytes(jwt.b64url_decode(key["x"]), "big"),
                      int.from_bytes(jwt.b64url_decode(key["y"]), "big"))
    assert jwt.verify(token, [jwt.ECPublicKey(point)]) == payload(token)


def test_no_discovery_documents_for_a_non_https_issuer(make_server):
    server = make_server("--controllers=none", "--service-account-issuer=kubernetes/serviceaccount",
                         "--service-account-jwks-uri=https://keys.example/jwks")
    assert server.request("GET", "/openid/v1/jwks")[0] == 404
    create(server, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    service_account(server, "n")
    token = token_request(server, "n")["status"]["token"]
    assert payload(token)["iss"] == "kubernetes/serviceaccount" and payload(token)["aud"] == [
        "kubernetes/serviceaccount"]
    assert as_token(server, token) == 200


# -- Secret-held (legacy) tokens


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def secret_data(server, ns, name):
    code, _, body = server.request("GET", f"/api/v1/namespaces/{ns}/secrets/{name}")
    return json.loads(body) if code == 200 else None


@needs_kubectl
def test_secret_held_tokens(make_server, kube_env):
    server = make_server("--controllers=serviceaccount-token")
    create(server, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    sa = service_account(server, "n", "ci")
    create(server, "/api/v1/namespaces/n/secrets", {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "ci-token", "annotations": {"kubernetes.io/service-account.name": "ci"}}})
    secret = wait_for(lambda: (s := secret_data(server, "n", "ci-token")) and s.get("data", {}).get("token") and s)
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    with open(server.pki.ca_cert) as f:
        assert data["ca.crt"] == f.read()
    assert data["namespace"] == "n"
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == sa["metadata"]["uid"]
    token = data["token"]
    assert payload(token) == {
        "iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "n",
        "kubernetes.io/serviceaccount/secret.name": "ci-token", "kubernetes.io/serviceaccount/service-account.name":
            "ci", "kubernetes.io/serviceaccount/service-account.uid": sa["metadata"]["uid"],
        "sub": "system:serviceaccount:n:ci"}
    who = json.loads(kubectl(server, kube_env, "auth", "whoami", "-o", "json", token=token).stdout)
    assert who["status"]["userInfo"] == {"username": "system:serviceaccount:n:ci", "uid": sa["metadata"]["uid"],
                                         "groups": ["system:serviceaccounts", "system:serviceaccounts:n",
                                                    "system:authenticated"]}
    # its use is recorded on the Secret, once a day
    labels = wait_for(lambda: secret_data(server, "n", "ci-token")["metadata"].get("labels"))
    assert labels == {"kubernetes.io/legacy-token-last-used": time.strftime("%Y-%m-%d", time.gmtime())}
    # a copy that is no longer the Secret's is refused
    code, _, body = server.request("PATCH", "/api/v1/namespaces/n/secrets/ci-token", {"data": {
        "token": base64.b64encode(b"other").decode()}}, headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200, body
    assert as_token(server, token) == 401
    assert review(server, token)["error"] == AGG.format("token does not match server's copy")
    # marked invalid
    create(server, "/api/v1/namespaces/n/secrets", {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "old", "labels": {"kubernetes.io/legacy-token-invalid-since": "2024-01-01"},
                     "annotations": {"kubernetes.io/service-account.name": "ci"}}})
    old = base64.b64decode(wait_for(lambda: secret_data(server, "n", "old").get("data", {}).get("token"))).decode()
    assert as_token(server, old) == 401
    assert "has been marked invalid" in review(server, old)["error"]
    # the account goes, and its token Secrets with it
    delete(server, "/api/v1/namespaces/n/serviceaccounts/ci")
    wait_for(lambda: secret_data(server, "n", "old") is None and secret_data(server, "n", "ci-token") is None)
    # a token Secret for an account that does not exist is deleted
    create(server, "/api/v1/namespaces/n/secrets", {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "orphan", "annotations": {"kubernetes.io/service-account.name": "nobody"}}})
    wait_for(lambda: secret_data(server, "n", "orphan") is None)


def test_secret_held_token_refused_once_its_secret_is_gone(srv, ns):
    sa = service_account(srv, ns)
    secret = create(srv, f"/api/v1/namespaces/{ns}/secrets", {"apiVersion": "v1", "kind": "Secret",
                                                              "metadata": {"name": "held"}})
    token = jwt.sign(serviceaccount.legacy_claims(sa, "held"), server_key(srv))
    code, _, body = srv.request("PATCH", f"/api/v1/namespaces/{ns}/secrets/held", {"data": {
        "token": base64.b64encode(token.encode()).decode()}}, headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200, body
    assert secret["metadata"]["uid"]
    assert as_token(srv, token) == 200
    delete(srv, f"/api/v1/namespaces/{ns}/secrets/held")
    assert as_token(srv, token) == 401
    assert review(srv, token)["error"] == AGG.format("token has been invalidated")


def test_kubelet_sized_pod_tokens_are_extended(srv, ns):
    service_account(srv, ns)
    pod(srv, ns, "p")
    before = time.time()
    answer = token_request(srv, ns, expirationSeconds=3607, boundObjectRef={"apiVersion": "v1", "kind": "Pod",
                                                                            "name": "p"})
    claims = payload(answer["status"]["token"])
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600   # extended, with a warning time at the asked one
    assert claims["kubernetes.io"]["warnafter"] == claims["iat"] + 3607
    assert answer["spec"]["expirationSeconds"] == 3607
    expires = calendar.timegm(time.strptime(answer["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before + 3607 - 2 <= expires <= time.time() + 3607 + 1
    # not pod-bound, or another audience: as asked
    plain = payload(token_request(srv, ns, expirationSeconds=3607)["status"]["token"])
    assert plain["exp"] - plain["iat"] == 3607 and "warnafter" not in plain["kubernetes.io"]
    other = payload(token_request(srv, ns, expirationSeconds=3607, audiences=["vault"], boundObjectRef={
        "apiVersion": "v1", "kind": "Pod", "name": "p"})["status"]["token"])
    assert other["exp"] - other["iat"] == 3607
