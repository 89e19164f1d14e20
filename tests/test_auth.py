"""Authentication (x509, static tokens, anonymous) and AlwaysAllow/AlwaysDeny authorization, end to end
(RBAC itself: test_rbac.py)."""

import json
import ssl

import pytest
from support import issue_client_cert, write_token_file

UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


@pytest.fixture
def tokens(tmp_path):
    return write_token_file(tmp_path / "tokens.csv", [
        'alice-token,alice,uid-1,"dev,ops"',
        "bob-token,bob,uid-2",
        ",empty,uid-3",
    ])


def test_admin_certificate_is_authenticated(server):
    code, _, body = server.request("GET", "/api/v1/foos")
    assert code == 404 and json.loads(body)["reason"] == "NotFound"


def test_anonymous_with_rbac_gets_public_info_only(server):
    """RBAC (the default) decides for anonymous requests: system:public-info-viewer lets them read health and
    version, nothing else."""
    for path in ("/healthz", "/livez", "/readyz", "/version", "/version/"):
        assert server.request("GET", path, cert=False)[0] == 200, path
    for path in ("/readyz/ping", "/", "/metrics", "/api", "/api/v1/pods"):
        code, headers, body = server.request("GET", path, cert=False)
        assert code == 403, path
        status = json.loads(body)
        assert status["reason"] == "Forbidden"
        assert 'User "system:anonymous" cannot' in status["message"]
    assert json.loads(server.request("GET", "/metrics", cert=False)[2])["message"] == \
        'forbidden: User "system:anonymous" cannot get path "/metrics"'
    assert json.loads(server.request("GET", "/api/v1/pods", cert=False)[2])["message"] == \
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope'


def test_anonymous_without_rbac_reaches_only_public_paths(make_server):
    srv = make_server("--authorization-mode=AlwaysAllow")
    for path in ("/healthz", "/livez", "/readyz", "/readyz/ping", "/version", "/"):
        assert srv.request("GET", path, cert=False)[0] == 200, path
    for path in ("/metrics", "/api", "/api/v1/pods", "/nope"):
        code, headers, body = srv.request("GET", path, cert=False)
        assert code == 401, path
        assert json.loads(body) == UNAUTHORIZED
        assert headers["Content-Type"] == "application/json"


def test_anonymous_disabled(make_server):
    srv = make_server("--anonymous-auth=false")
    assert srv.request("GET", "/healthz", cert=False)[0] == 401
    assert srv.request("GET", "/healthz")[0] == 200


def test_static_tokens(make_server, tokens):
    srv = make_server("--token-auth-file", tokens, "--authorization-mode=AlwaysDeny")
    code, _, body = srv.request("GET", "/api/v1/namespaces/default/pods", cert=False, token="alice-token")
    assert code == 403
    status = json.loads(body)
    assert status["message"] == ('pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
                                 'in the namespace "default": Everything is forbidden.')
    assert status["reason"] == "Forbidden" and status["details"] == {"kind": "pods"}
    # a token that is not in the file is a 401 even where anonymous requests are allowed
    assert srv.request("GET", "/healthz", cert=False, token="wrong")[0] == 401
    # an empty token in the file authenticates nobody
    assert srv.request("GET", "/healthz", cert=False, headers={"Authorization": "Bearer "})[0] == 403
    # another scheme is not a bearer token: the request is anonymous
    code, _, body = srv.request("GET", "/healthz", cert=False, headers={"Authorization": "Basic Ym9iOng="})
    assert code == 403 and 'User "system:anonymous" cannot get path "/healthz"' in json.loads(body)["message"]
    # the scheme is case-insensitive
    code, _, body = srv.request("GET", "/apis/apps/v1/deployments", cert=False,
                                headers={"Authorization": "bearer bob-token"})
    assert json.loads(body)["message"] == ('deployments.apps is forbidden: User "bob" cannot list resource '
                                           '"deployments" in API group "apps" at the cluster scope: '
                                           'Everything is forbidden.')


def test_always_deny_message_for_paths_and_masters_exempt(make_server, tmp_path):
    srv = make_server("--authorization-mode=AlwaysDeny")
    code, _, body = srv.request("GET", "/healthz", cert=False)
    assert code == 403
    assert json.loads(body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'forbidden: User "system:anonymous" cannot get path "/healthz": Everything is forbidden.',
        "reason": "Forbidden", "details": {}, "code": 403}
    assert srv.request("GET", "/healthz")[0] == 200  # system:masters is always allowed
    cert, key = issue_client_cert(srv, tmp_path, "carol", ("team-a",))
    code, _, body = srv.request("GET", "/api/v1/namespaces/x/configmaps/cm1", cert_file=cert, key_file=key)
    assert code == 403
    assert json.loads(body)["message"] == ('configmaps "cm1" is forbidden: User "carol" cannot get resource '
                                           '"configmaps" in API group "" in the namespace "x": '
                                           'Everything is forbidden.')
    cert, key = issue_client_cert(srv, tmp_path, "dave", ("team-b", "system:masters"))
    assert srv.request("GET", "/metrics", cert_file=cert, key_file=key)[0] == 200


def test_certificate_from_another_ca_gets_no_access(server, make_server, tmp_path):
    other = make_server()  # its own data dir, so its own CA
    cert, key = str(other.pki.admin_cert), str(other.pki.admin_key)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        server.request("GET", "/metrics", cert_file=cert, key_file=key)
    assert server.request("GET", "/healthz")[0] == 200  # and the server serves everyone else


def test_client_ca_file_adds_a_trusted_ca(make_server, tmp_path):
    other = make_server()
    srv = make_server("--client-ca-file", str(other.pki.ca_cert), "--authorization-mode=AlwaysDeny")
    cert, key = issue_client_cert(srv, tmp_path, "erin", ca_files=(other.pki.ca_cert, other.pki.ca_key))
    code, _, body = srv.request("GET", "/metrics", cert_file=cert, key_file=key)
    assert code == 403 and 'User "erin"' in json.loads(body)["message"]
    assert srv.request("GET", "/metrics")[0] == 200  # the generated admin certificate still works
