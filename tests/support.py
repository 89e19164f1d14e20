"""Run the real server in a thread on a free loopback port, and talk to it over real TLS."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import ssl
import threading
import time
from typing import Callable, Dict, Optional

from apiserver import app, cli, pki
from apiserver.testing import exchange


class ServerThread:
    """The server's main line (options → config → chain → prepare_run → run) in a thread."""

    def __init__(self, data_dir: str, *flags: str, routes: Optional[Dict[str, Callable]] = None,
                 customize: Optional[Callable] = None, wait_ready: bool = True):
        self.data_dir = str(data_dir)
        self.flags = ["--data-dir", self.data_dir, "--secure-port", "0", *flags]
        self.routes = routes or {}
        self.customize = customize
        self.wait_ready = wait_ready
        self.stop_event = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.error: Optional[BaseException] = None

    def start(self) -> ServerThread:
        options = cli.parse_options(self.flags)
        config = options.config().complete()
        server = app.create_server_chain(config)
        for path, handler in self.routes.items():
            server.handle(path, handler)
        if self.customize is not None:
            self.customize(server)
        self.prepared = server.prepare_run()
        self.config = config
        self.port = config.secure_serving.address[1]
        self.url = config.server_url
        self.kubeconfig = config.kubeconfig_path
        self.pki = options.secure_serving.pki_files
        self.thread = threading.Thread(target=self._run, name="test-apiserver", daemon=True)
        self.thread.start()
        if not config.lifecycle.mux_and_discovery_complete.wait(10):
            raise RuntimeError("server did not start")
        if self.wait_ready and not config.lifecycle.has_been_ready.is_set():
            deadline = time.monotonic() + 10
            while self.request("GET", "/readyz")[0] != 200:  # post-start hooks (bootstrap) have finished
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not become ready")
                time.sleep(0.01)
        return self

    def _run(self):
        try:
            self.prepared.run(self.stop_event)
        except BaseException as err:  # noqa: BLE001 - reported to the test by stop()
            self.error = err

    def stop(self, timeout: float = 15.0):
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)
            assert not self.thread.is_alive(), "server did not stop"
        if self.error is not None:
            raise self.error

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- clients

    def ssl_context(self, cert: bool = True, cert_file: str = "", key_file: str = "") -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        if cert_file:
            ctx.load_cert_chain(cert_file, key_file)
        elif cert:
            ctx.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return ctx

    def connection(self, cert: bool = True, timeout: float = 10.0, **kw) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ssl_context(cert, **kw),
                                           timeout=timeout)

    def request(self, method: str, path: str, body=None, headers: Optional[dict] = None, cert: bool = True,
                token: str = "", conn: Optional[http.client.HTTPSConnection] = None, **kw):
        """One request; returns (status, headers, body bytes)."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if conn is not None:
            return exchange(conn, method, path, body, headers)
        return exchange(self.connection(cert, **kw), method, path, body, headers, close=True)

    def get_json(self, path: str, **kw):
        code, headers, body = self.request("GET", path, **kw)
        return code, json.loads(body)


def read_head(sock) -> bytes:
    """Bytes from ``sock`` until the end of an HTTP head (the blank line) or of the stream: the head and whatever
    came with it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def write_token_file(path, rows) -> str:
    with open(path, "w") as f:
        for row in rows:
            f.write(row + "\n")
    os.chmod(path, 0o600)
    return str(path)


def patch_as(method, *args, _content_type: str, **kwargs):
    """Call a ``kubernetes`` client patch method with a Content-Type. Clients new enough take ``_content_type``;
    older ones (the last that supports Python 3.9) pick it themselves, so their choice is overridden for this call."""
    from kubernetes.client.exceptions import ApiTypeError
    try:
        return method(*args, _content_type=_content_type, **kwargs)
    except ApiTypeError as err:
        if "_content_type" not in str(err):
            raise
    client = method.__self__.api_client
    original = client.select_header_content_type
    client.select_header_content_type = lambda *a, **k: _content_type
    try:
        return method(*args, **kwargs)
    finally:
        client.select_header_content_type = original


def issue_client_cert(srv, tmp_path, cn, orgs=(), ca_files=None):
    """A client certificate signed by the server's generated CA (or by another CA)."""
    ca_cert_path, ca_key_path = ca_files or (srv.pki.ca_cert, srv.pki.ca_key)
    ca_der = pki.pem_to_ders(open(ca_cert_path, "rb").read())[0]
    ca_key = pki.PrivateKey.from_pem(open(ca_key_path, "rb").read())
    key = pki.PrivateKey.generate()
    now = datetime.datetime.now(datetime.timezone.utc)
    der = pki.make_certificate(subject_cn=cn, organizations=orgs, public_key=key.public_key, issuer_cert_der=ca_der,
                               issuer_key=ca_key, usage="client", not_before=now - datetime.timedelta(hours=1),
                               not_after=now + datetime.timedelta(days=1))
    cert_file, key_file = tmp_path / f"{cn}.crt", tmp_path / f"{cn}.key"
    cert_file.write_bytes(pki.cert_to_pem(der))
    key_file.write_bytes(key.to_pem())
    return str(cert_file), str(key_file)
