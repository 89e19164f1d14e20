"""The handler chain: max-in-flight (429), timeouts (504), bad input, and metrics, over real TLS sockets."""

import json
import socket
import ssl
import threading
import time

import pytest
from support import read_head, write_token_file

from apiserver.server.request import Response


def slow_route(seconds_param="s"):
    def slow(req):
        time.sleep(float(req.param(seconds_param, "1")))
        return Response.text("done")
    return slow


@pytest.fixture
def tokens(tmp_path):
    return write_token_file(tmp_path / "tokens.csv", ["user-token,user,u1"])


def test_max_in_flight_429_and_masters_exempt(make_server, tokens):
    srv = make_server("--max-requests-inflight=1", "--token-auth-file", tokens, "--authorization-mode=AlwaysAllow",
                      routes={"/slow": slow_route()})
    results = []
    t = threading.Thread(target=lambda: results.append(srv.request("GET", "/slow?s=1", cert=False,
                                                                    token="user-token")))
    t.start()
    time.sleep(0.3)
    code, headers, body = srv.request("GET", "/slow?s=0", cert=False, token="user-token")
    assert (code, body) == (429, b"Too many requests, please try again later.\n")
    assert headers["Retry-After"] == "1"
    assert srv.request("GET", "/slow?s=0")[0] == 200   # system:masters is exempt
    t.join()
    assert results[0][0] == 200
    assert srv.request("GET", "/slow?s=0", cert=False, token="user-token")[0] == 200  # the slot was released


def test_request_timeout_answers_504_at_the_deadline(make_server):
    srv = make_server("--request-timeout=1s", routes={"/slow": slow_route()})
    start = time.monotonic()
    code, headers, body = srv.request("GET", "/slow?s=3")
    took = time.monotonic() - start
    assert code == 504 and took < 2.5
    assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Timeout: request did not complete within the allotted timeout",
                                "reason": "Timeout", "details": {}, "code": 504}
    assert headers["Connection"] == "close"
    assert srv.request("GET", "/healthz")[0] == 200


def test_timeout_query_parameter(server):
    srv = server
    code, _, body = srv.request("GET", "/healthz?timeout=abc")
    assert code == 400
    assert json.loads(body)["message"] == ('invalid timeout specified in the request URL - '
                                           'time: invalid duration "abc"')
    assert srv.request("GET", "/healthz?timeout=5s")[0] == 200


def test_timeout_query_shortens_deadline(make_server):
    srv = make_server(routes={"/slow": slow_route()})
    start = time.monotonic()
    assert srv.request("GET", "/slow?s=2&timeout=500ms")[0] == 504
    assert time.monotonic() - start < 1.8


def test_body_too_large_is_413(server):
    code, _, body = server.request("POST", "/api/v1/namespaces/default/configmaps", body=b"x" * (3 * 1024 * 1024 + 1),
                                   headers={"Content-Type": "application/json"})
    assert code == 413
    assert json.loads(body)["message"] == "Request entity too large: limit is 3145728"
    assert server.request("GET", "/healthz")[0] == 200


def raw_tls(srv):
    ctx = srv.ssl_context()
    sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=5), server_hostname="localhost")
    return sock


def test_malformed_request_line_is_400_and_server_keeps_serving(server):
    sock = raw_tls(server)
    sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    assert read_head(sock).startswith(b"HTTP/1.1 400")
    sock.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_oversized_header_is_431(server):
    sock = raw_tls(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    assert read_head(sock).startswith(b"HTTP/1.1 431")
    sock.close()
    sock = raw_tls(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n")
    assert read_head(sock).startswith(b"HTTP/1.1 431")
    sock.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_garbage_instead_of_tls_and_silent_clients(server):
    plain = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = plain.recv(100)
    except ConnectionError:
        data = b""
    assert not data.startswith(b"HTTP/")  # a TLS alert or a closed connection, never an HTTP answer
    plain.close()
    silent = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(5)]
    start = time.monotonic()
    assert server.request("GET", "/healthz")[0] == 200  # silent clients do not block accepting
    assert time.monotonic() - start < 1
    for s in silent:
        s.close()


def test_client_disconnect_mid_request(server):
    sock = raw_tls(server)
    sock.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"partial\":")
    sock.close()
    sock = raw_tls(server)
    sock.sendall(b"GET /heal")
    sock.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_keep_alive_and_chunked_body(server):
    conn = server.connection()
    for _ in range(3):
        assert server.request("GET", "/healthz", conn=conn)[::2] == (200, b"ok")
    sock = raw_tls(server)
    sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"5\r\nhello\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    deadline = time.monotonic() + 5
    while data.count(b"HTTP/1.1 ") < 2 and time.monotonic() < deadline:
        data += sock.recv(65536)
    assert data.count(b"HTTP/1.1 200") == 2
    sock.close()


def test_bad_transfer_encoding_and_content_length(server):
    for head in (b"Transfer-Encoding: gzip\r\n", b"Content-Length: -5\r\n", b"Content-Length: abc\r\n"):
        sock = raw_tls(server)
        sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
        assert read_head(sock)[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 501")
        sock.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_tls_minimum_version(make_server):
    srv = make_server("--tls-min-version=VersionTLS13")
    ctx = srv.ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionError)):
        srv.request("GET", "/healthz", conn=__import__("http.client").client.HTTPSConnection(
            "127.0.0.1", srv.port, context=ctx, timeout=5))
    assert srv.request("GET", "/healthz")[0] == 200


def parse_metrics(text):
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, _, value = line.rpartition(" ")
            samples[name_labels] = float(value)
    return samples


def test_metrics(server):
    server.request("GET", "/healthz")
    server.request("GET", "/api/v1/namespaces/default/pods")
    server.request("GET", "/api/v1/namespaces/default/foos")
    code, headers, body = server.request("GET", "/metrics")
    assert code == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    samples = parse_metrics(text)
    assert "# TYPE apiserver_request_total counter" in text
    assert "# TYPE apiserver_request_duration_seconds histogram" in text
    key = ('apiserver_request_total{verb="LIST",dry_run="",group="",version="v1",resource="pods",subresource="",'
           'scope="namespace",component="apiserver",code="200"}')
    assert samples[key] == 1
    assert samples[key.replace('resource="pods"', 'resource="foos"').replace('code="200"', 'code="404"')] == 1
    assert any(k.startswith('apiserver_request_total{verb="GET"') and 'code="200"' in k for k in samples)
    assert samples['apiserver_current_inflight_requests{request_kind="readOnly"}'] >= 1  # this scrape
    assert samples["process_resident_memory_bytes"] > 0
    assert samples["process_open_fds"] > 0
    assert samples["process_cpu_seconds_total"] > 0


def test_idle_slow_and_non_reading_clients_are_cut_after_the_idle_timeout(make_server):
    """Connection sockets block without a timeout; the accept loop cuts whatever waits past the idle timeout: a
    client that sends nothing after the handshake, one that never finishes its headers or its body, and one that
    stops reading a large answer. Meanwhile the others are served; a kept-alive client is not cut between
    requests that come in time, nor a client that reads a large answer slowly but steadily."""
    big = b"x" * (32 * 1024 * 1024)
    srv = make_server("--controllers=none", routes={"/big": lambda req: Response(200, [], big)},
                      customize=lambda s: setattr(s.config.secure_serving, "idle_timeout", 0.6))

    def cut(sock, within):
        sock.settimeout(within)
        start = time.monotonic()
        try:
            while sock.recv(65536):
                pass
        except (ConnectionError, ssl.SSLError):
            pass
        return time.monotonic() - start

    silent = raw_tls(srv)
    headers = raw_tls(srv)
    headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    body = raw_tls(srv)
    body.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    reader = raw_tls(srv)
    reader.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    slow = raw_tls(srv)   # reads the whole answer, a MiB about every 0.1 s: slower than the idle timeout in all
    slow.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    slow_got = []

    def read_slowly():
        got, head, start = 0, b"", time.monotonic()
        slow.settimeout(10)
        while time.monotonic() - start < 30:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break
            if b"\r\n\r\n" not in head:
                head += chunk[:200]
            got += len(chunk)
            if b"\r\n\r\n" in head and got >= head.index(b"\r\n\r\n") + 4 + len(big):
                break
            time.sleep(0.1 * len(chunk) / (1 << 20))
        slow_got.append((got - head.index(b"\r\n\r\n") - 4, time.monotonic() - start))
    slow_thread = threading.Thread(target=read_slowly)
    slow_thread.start()
    kept = raw_tls(srv)
    for _ in range(4):   # requests 0.3 s apart on one connection: each waits less than the idle timeout
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_head(kept).startswith(b"HTTP/1.1 200")
        time.sleep(0.3)
    for sock in (silent, headers, body):
        assert cut(sock, 5) < 2.5
    time.sleep(1.5)   # the reader has not read: its answer stalls in the server's send until cut
    received = 0
    reader.settimeout(5)
    try:
        while True:
            chunk = reader.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
    except (ConnectionError, ssl.SSLError):
        pass
    assert 0 < received < len(big)
    slow_thread.join(40)
    got, took = slow_got[0]
    assert took > 0.6 and got == len(big), (got, took)   # the whole body, slower than the idle timeout
    assert srv.request("GET", "/healthz")[0] == 200
    for sock in (silent, headers, body, reader, kept, slow):
        sock.close()
