"""Health endpoints, /version, the index and NotFound, with upstream's exact bodies."""

import json
import threading
import time

from apiserver.server.request import Request

NOSNIFF = "nosniff"


def test_healthz_livez_readyz_ok(server):
    for name in ("healthz", "livez", "readyz"):
        code, headers, body = server.request("GET", f"/{name}")
        assert (code, body) == (200, b"ok")
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert headers["X-Content-Type-Options"] == NOSNIFF


HOOKS = ("[+]poststarthook/start-apiextensions-controllers ok\n[+]poststarthook/bootstrap-controller ok\n"
         "[+]poststarthook/start-clusterrole-aggregation-controller ok\n"
         "[+]poststarthook/start-garbagecollector-controller ok\n[+]poststarthook/start-namespace-controller ok\n"
         "[+]poststarthook/start-resourcequota-controller ok\n[+]poststarthook/start-serviceaccount-controller ok\n"
         "[+]poststarthook/start-serviceaccount-token-controller ok\n"
         "[+]poststarthook/start-kube-apiserver-identity-lease-controller ok\n"
         "[+]poststarthook/start-kube-apiserver-identity-lease-garbage-collector ok\n"
         "[+]poststarthook/rbac/bootstrap-roles ok\n")
CHECKS = "[+]ping ok\n[+]log ok\n[+]storage ok\n" + HOOKS


def test_verbose_lists_checks_in_order(server):
    code, _, body = server.request("GET", "/readyz?verbose")
    assert code == 200
    assert body.decode() == CHECKS + "[+]shutdown ok\nreadyz check passed\n"
    code, _, body = server.request("GET", "/livez?verbose")
    assert body.decode() == CHECKS + "livez check passed\n"


def test_exclude_and_unknown_exclude(server):
    code, _, body = server.request("GET", "/readyz?verbose&exclude=log&exclude=nope&exclude=alsonot")
    assert code == 200
    assert body.decode() == ("[+]ping ok\n[+]log excluded: ok\n[+]storage ok\n" + HOOKS + "[+]shutdown ok\n"
                             'warn: some health checks cannot be excluded: no matches for "alsonot","nope"\n'
                             "readyz check passed\n")


def test_per_check_paths(server):
    assert server.request("GET", "/livez/ping")[::2] == (200, b"ok")
    assert server.request("GET", "/readyz/shutdown")[::2] == (200, b"ok")
    assert server.request("GET", "/healthz/log")[::2] == (200, b"ok")
    code, _, body = server.request("GET", "/healthz/nope")
    assert (code, body) == (404, b"404 page not found\n")


def test_readyz_fails_after_shutdown_initiated(server):
    server.config.lifecycle.shutdown_initiated.signal()
    code, headers, body = server.request("GET", "/readyz")
    assert code == 500
    assert body.decode() == CHECKS + "[-]shutdown failed: reason withheld\nreadyz check failed\n"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    code, _, body = server.request("GET", "/readyz/shutdown")
    assert (code, body) == (500, b"internal server error: process is shutting down\n")
    assert server.request("GET", "/healthz")[::2] == (200, b"ok")
    assert server.request("GET", "/readyz?exclude=shutdown")[::2] == (200, b"ok")


def test_post_start_hook_gates_readyz_not_livez_in_grace(make_server):
    release = threading.Event()
    srv = make_server("--livez-grace-period=1h", wait_ready=False,
                      customize=lambda server: server.add_post_start_hook("test-hook", lambda stop: release.wait(10)))
    code, _, body = srv.request("GET", "/readyz")
    assert code == 500
    assert "[-]poststarthook/test-hook failed: reason withheld\n" in body.decode()
    assert srv.request("GET", "/readyz/poststarthook/test-hook")[::2] == (
        500, b"internal server error: not finished\n")
    assert srv.request("GET", "/livez")[::2] == (200, b"ok")  # within the grace period
    assert srv.request("GET", "/healthz")[0] == 500             # healthz has no grace period
    assert not srv.config.lifecycle.has_been_ready.signaled()
    release.set()
    deadline = time.monotonic() + 15
    while srv.request("GET", "/readyz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.request("GET", "/readyz")[::2] == (200, b"ok")
    assert srv.config.lifecycle.has_been_ready.signaled()


def test_version(server):
    code, headers, body = server.request("GET", "/version")
    assert code == 200 and headers["Content-Type"] == "application/json"
    info = json.loads(body)
    assert (info["major"], info["minor"]) == ("1", "32")
    assert info["gitVersion"].startswith("v1.32.")
    assert set(info) == {"major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion",
                         "compiler", "platform"}
    assert body.startswith(b'{\n  "major"')  # indented, as upstream


def test_index_lists_paths(server):
    code, body = server.get_json("/")
    assert code == 200
    for path in ("/healthz", "/livez", "/readyz", "/readyz/shutdown", "/version", "/metrics", "/healthz/ping"):
        assert path in body["paths"]
    assert body["paths"] == sorted(body["paths"])


def test_not_found_plain_and_resource(server):
    code, headers, body = server.request("GET", "/nope")
    assert (code, body) == (404, b"404 page not found\n")
    code, headers, body = server.request("GET", "/api/v1/foos")
    assert code == 404
    assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "the server could not find the requested resource",
                                "reason": "NotFound", "details": {}, "code": 404}


def test_not_found_before_mux_complete_is_503(tmp_path):
    from apiserver import app, cli
    options = cli.parse_options(["--data-dir", str(tmp_path), "--secure-port", "0"])
    config = options.config().complete()
    try:
        prepared = app.create_server_chain(config).prepare_run()
        admin = {"subject": ((("commonName", "admin"),), (("organizationName", "system:masters"),))}
        req = Request("GET", "/nope", {}, "127.0.0.1", admin, "id", 0.0, lambda: b"")
        resp = prepared.handler(req)
        assert resp.status == 503
        assert resp.header("Retry-After") == "5"
        body = json.loads(resp.body)
        assert body["message"] == ("the request has been made before all known HTTP paths have been installed, "
                                   "please try again")
        assert body["details"] == {"retryAfterSeconds": 5}
    finally:
        config.secure_serving.listener.close()


def test_every_response_has_audit_id_and_cache_control(server):
    for path in ("/healthz", "/nope", "/api/v1/foos", "/version"):
        _, headers, _ = server.request("GET", path)
        assert headers["Cache-Control"] == "no-cache, private"
        assert len(headers["Audit-ID"]) == 36
    _, headers, _ = server.request("GET", "/healthz", headers={"Audit-ID": "my-id"})
    assert headers["Audit-ID"] == "my-id"
    _, headers, _ = server.request("GET", "/api/v1/pods", cert=False)
    assert headers["Audit-ID"] and headers["Cache-Control"] == "no-cache, private"


def test_cached_check_runs_at_most_once_per_ttl():
    from apiserver.server import healthz
    now = [0.0]
    calls = []

    def check():
        calls.append(now[0])
        if now[0] >= 2:
            raise RuntimeError("down")
    cached = healthz.cached(healthz.HealthCheck("storage", check), ttl=1.0, clock=lambda: now[0])
    cached.check()
    now[0] = 0.5
    cached.check()
    assert calls == [0.0]
    now[0] = 2.0
    for _ in range(2):
        try:
            cached.check()
        except RuntimeError as err:
            assert str(err) == "down"
        else:
            raise AssertionError("the failure must be reported")
    assert calls == [0.0, 2.0]
