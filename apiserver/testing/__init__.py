"""A testing kit for operator and client authors: the whole server, in this process, on a free loopback port.

    with KubeAPIServer() as server:          # memory store; KubeAPIServer(storage="sqlite"), extra flags=[...]
        server.url, server.kubeconfig, server.admin.cert_file, server.ca_file
        alice = server.make_user("alice", groups=["dev"])   # a client certificate; RBAC gives her nothing yet
        state = server.snapshot(); ...; server.restore(state)

The pytest plugin (``apiserver.testing.pytest_plugin``) builds fixtures on this.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from apiserver import app, cli, pki
from apiserver.auth.authentication import UserInfo
from apiserver.storage import interface as st

__all__ = ["KubeAPIServer", "RequestLine", "Snapshot", "User", "KEY_CACHE", "exchange"]

# Never restored: they belong to the running server (leader election, identity and master leases), and writing
# an older renewal back would make its own controllers fight over them.
RESTORE_SKIP = ("/registry/leases/", "/registry/masterleases/")
START_TIMEOUT = 30.0
CLUSTER_ROLES = "/registry/clusterroles/"


class KeyCache:
    """Key material (CA, serving and admin certificates, service-account key) made once per process.

    Generating it is pure-Python elliptic-curve work; every later server gets the same files written into its own
    cert dir, where the server checks and reuses them (it would regenerate any that did not fit, e.g. other SANs).
    This is the only process-wide state of the kit: one object, keyed on nothing, holding immutable bytes.
    """

    FILES = ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "admin.crt", "admin.key", "sa.key", "sa.pub")

    def __init__(self):
        self._lock = threading.Lock()
        self._files: Dict[str, bytes] = {}

    def install(self, cert_dir: str) -> bool:
        """Write the cached files into ``cert_dir``; False if there is nothing cached yet, or the directory has a
        CA of its own already (a data dir the caller gave keeps its keys)."""
        with self._lock:
            files = dict(self._files)
        if not files or os.path.exists(os.path.join(cert_dir, "ca.crt")):
            return False
        os.makedirs(cert_dir, mode=0o700, exist_ok=True)
        for name, data in files.items():
            path = os.path.join(cert_dir, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if name.endswith(".key") else 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        return True

    def remember(self, cert_dir: str):
        with self._lock:
            if self._files:
                return
            files = {}
            for name in self.FILES:
                try:
                    with open(os.path.join(cert_dir, name), "rb") as f:
                        files[name] = f.read()
                except OSError:
                    return  # incomplete (e.g. a flag named another key file): cache nothing
            self._files = files

    def clear(self):
        with self._lock:
            self._files = {}


KEY_CACHE = KeyCache()


@dataclass(frozen=True)
class User:
    """A user the server authenticates by a client certificate signed by its CA."""

    name: str
    groups: Tuple[str, ...]
    cert_file: str
    key_file: str
    ca_file: str
    kubeconfig: str
    token: str = ""   # a static bearer token for the same user (as if in --token-auth-file)


@dataclass(frozen=True)
class RequestLine:
    """One API request as the server answered it."""

    method: str
    verb: str
    path: str
    status: int
    user: str
    message: str = ""   # the Status message of a failure

    def __str__(self):
        text = f"{self.verb or self.method:<7} {self.path} -> {self.status}"
        if self.user:
            text += f" ({self.user})"
        return text + (f": {self.message}" if self.message else "")


@dataclass(frozen=True)
class Snapshot:
    """Every stored object (key → stored bytes) at one revision."""

    revision: int
    values: Dict[str, bytes] = field(repr=False)

    def __len__(self):
        return len(self.values)


def exchange(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers: Optional[dict] = None,
             close: bool = False):
    """One request on ``conn`` (a dict or list body goes as JSON); returns (status, headers, body bytes).
    ``close`` closes the connection afterwards."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        if close:
            conn.close()


class KubeAPIServer:
    """The server's main line (flags → config → server chain → prepare_run → run) in a thread of this process.

    ``storage`` is "memory" (default) or "sqlite"; ``flags`` are more server flags. ``start()``/``stop()`` or
    ``with``. Stopping leaves no thread and no bound port behind, and removes the data directory it made.
    ``log_requests``: the server's log line per request, off by default (a failed test's report lists the requests
    instead, and rendering a line for the console cost a quarter of a simple request's time).
    """

    def __init__(self, storage: str = "memory", flags: Sequence[str] = (), data_dir: Optional[str] = None,
                 key_cache: Optional[KeyCache] = KEY_CACHE, log_requests: bool = False):
        self.storage = storage
        self.log_requests = log_requests
        self.extra_flags = list(flags)
        self._own_dir = data_dir is None
        self.data_dir = data_dir
        self.key_cache = key_cache
        self.url = ""
        self.port = 0
        self.kubeconfig = ""
        self.ca_file = ""
        self.admin: Optional[User] = None
        self.store = None
        self.recorders: List[List[RequestLine]] = []   # every request is appended to each list here
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._threads_before: set = set()
        self._server_threads: set = set()
        self._error: Optional[BaseException] = None
        self._ca = None
        self._users = 0

    # -- running

    def start(self) -> KubeAPIServer:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        if self.data_dir is None:
            self.data_dir = tempfile.mkdtemp(prefix="kube-apiserver-")
        cert_dir = os.path.join(self.data_dir, "pki")
        cached = self.key_cache is not None and self.key_cache.install(cert_dir)
        flags = ["--data-dir", self.data_dir, "--secure-port", "0", "--bind-address", "127.0.0.1",
                 "--storage-backend", self.storage, *self.extra_flags]
        try:
            options = cli.parse_options(flags)
            base = options.config()
            base.log_requests = self.log_requests
            config = base.complete()
            server = app.create_server_chain(config)
            prepared = server.prepare_run()
        except BaseException:
            self._cleanup()
            raise
        if self.key_cache is not None and not cached:
            self.key_cache.remember(cert_dir)
        prepared.handler = self._recording(prepared.handler)
        self._prepared = prepared
        self.config = config
        self.store = config.store
        self.port = config.secure_serving.address[1]
        self.url = config.server_url
        self.kubeconfig = config.kubeconfig_path
        files = options.secure_serving.pki_files
        self.pki = files
        self.ca_file = str(files.ca_cert)
        self.admin = User(pki.ADMIN_USER, (pki.ADMIN_GROUP,), str(files.admin_cert), str(files.admin_key),
                          self.ca_file, self.kubeconfig)
        self._stop.clear()
        self._threads_before = set(threading.enumerate())
        self._thread = threading.Thread(target=self._run, name=f"kube-apiserver-{self.port}", daemon=True)
        self._thread.start()
        try:
            self._wait_ready(START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        # The server's threads (controllers, caches, fan-out) all exist once it is ready; threads that clients
        # start later (thread pools that never end) are not the server's to wait for.
        self._server_threads = set(threading.enumerate()) - self._threads_before
        return self

    def _run(self):
        try:
            self._prepared.run(self._stop)
        except BaseException as err:  # noqa: BLE001 - raised by stop()
            self._error = err

    def _wait_ready(self, timeout: float):
        deadline = time.monotonic() + timeout
        if not self.config.lifecycle.mux_and_discovery_complete.wait(timeout):
            raise RuntimeError("the server did not start serving")
        self._prepared.wait_post_start_hooks(max(0.0, deadline - time.monotonic()))
        conn = self.connection()
        try:
            while True:
                code, _, body = self.request("GET", "/readyz?verbose", conn=conn)
                if code == 200 and self._roles_aggregated():
                    return
                if self._error is not None or not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not become ready:\n{body.decode(errors='replace')}")
                time.sleep(0.005)
        finally:
            conn.close()

    def _roles_aggregated(self) -> bool:
        """The aggregated ClusterRoles (admin, edit, view...) have their rules. readyz does not wait for them (nor
        does upstream's, as kube-controller-manager fills them), but a test binding "edit" at once needs them."""
        if "clusterrole-aggregation" not in (getattr(self.config, "controllers", None) or ()):
            return True
        for kv in self.store.list(CLUSTER_ROLES).items:
            role = json.loads(kv.value)
            if role.get("aggregationRule") and not role.get("rules"):
                return False
        return True

    def stop(self, timeout: float = 15.0):
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError("the server did not stop")
            # Controllers run in detached threads that end within a second of the stop: wait for those that
            # started with this server (if another server started at the same moment, for its threads too).
            deadline = time.monotonic() + 5.0
            for other in self._server_threads:
                if other is not threading.current_thread():
                    other.join(max(0.0, deadline - time.monotonic()))
        self._cleanup()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _cleanup(self):
        if self._own_dir and self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> KubeAPIServer:
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- what clients see

    def _recording(self, handler: Callable) -> Callable:
        """The outermost handler, wrapped to give each recorder a line per request."""
        def record(req):
            resp = handler(req)
            if self.recorders:
                info = req.info
                message = ""
                if resp.status >= 400 and resp.body:
                    try:
                        message = json.loads(resp.body).get("message", "")
                    except (ValueError, AttributeError):
                        message = resp.body[:200].decode(errors="replace")
                path = req.path + (f"?{req.raw_query}" if req.raw_query else "")
                line = RequestLine(req.method, info.verb if info else "", path, resp.status,
                                   req.user.name if req.user is not None else "", message)
                for recorder in list(self.recorders):
                    recorder.append(line)
            return resp
        return record

    def ssl_context(self, user: Optional[User] = None) -> ssl.SSLContext:
        user = user or self.admin
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.load_cert_chain(user.cert_file, user.key_file)
        return ctx

    def connection(self, user: Optional[User] = None, timeout: float = 10.0) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ssl_context(user), timeout=timeout)

    def request(self, method: str, path: str, body=None, user: Optional[User] = None,
                conn: Optional[http.client.HTTPSConnection] = None, headers: Optional[dict] = None):
        """One request as ``user`` (default: the admin); returns (status, headers, body bytes)."""
        if conn is not None:
            return exchange(conn, method, path, body, headers)
        return exchange(self.connection(user), method, path, body, headers, close=True)

    # -- namespaces

    def create_namespace(self, name: str) -> None:
        code, _, body = self.request("POST", "/api/v1/namespaces",
                                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        if code != 201:
            raise RuntimeError(f"cannot create namespace {name}: {code} {body[:300]!r}")

    def delete_namespace(self, name: str, timeout: float = 30.0) -> None:
        """Delete as a client would, and wait until the namespace controller has emptied and removed it."""
        conn = self.connection()
        try:
            code, _, body = self.request("DELETE", f"/api/v1/namespaces/{name}", conn=conn)
            if code not in (200, 202, 404):
                raise RuntimeError(f"cannot delete namespace {name}: {code} {body[:300]!r}")
            deadline = time.monotonic() + timeout
            delay = 0.001
            while self.request("GET", f"/api/v1/namespaces/{name}", conn=conn)[0] != 404:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"namespace {name} was not deleted in {timeout:.0f}s")
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        finally:
            conn.close()

    # -- users

    def make_user(self, name: str, groups: Iterable[str] = ()) -> User:
        """A client certificate for ``name`` in ``groups``, signed by the server's CA, a kubeconfig using it, and a
        bearer token for the same user. With RBAC (the default authorization mode) the user may do nothing until a
        binding says so."""
        if self.admin is None:
            raise RuntimeError("the server is not running")
        groups = tuple(groups)
        if self._ca is None:
            with open(self.pki.ca_cert, "rb") as f:
                ca_der = pki.pem_to_ders(f.read())[0]
            with open(self.pki.ca_key, "rb") as f:
                self._ca = (ca_der, pki.PrivateKey.from_pem(f.read()))
        ca_der, ca_key = self._ca
        key = pki.PrivateKey.generate()
        now = datetime.datetime.now(datetime.timezone.utc)
        der = pki.make_certificate(subject_cn=name, organizations=groups, public_key=key.public_key,
                                   issuer_cert_der=ca_der, issuer_key=ca_key, usage="client",
                                   not_before=now - datetime.timedelta(hours=1),
                                   not_after=now + datetime.timedelta(days=7))
        self._users += 1
        directory = os.path.join(self.data_dir, "users")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        base = os.path.join(directory, f"{self._users}-{''.join(c if c.isalnum() else '_' for c in name)}")
        cert_pem, key_pem = pki.cert_to_pem(der), key.to_pem()
        pki.write_private_file(base + ".key", key_pem)
        with open(base + ".crt", "wb") as f:
            f.write(cert_pem)
        with open(self.ca_file, "rb") as f:
            ca_pem = f.read()
        pki.write_private_file(base + ".kubeconfig", pki.kubeconfig_yaml(
            server_url=self.url, ca_pem=ca_pem, client_cert_pem=cert_pem, client_key_pem=key_pem, user=name,
            context=f"{name}@apiserver").encode())
        return User(name, groups, base + ".crt", base + ".key", self.ca_file, base + ".kubeconfig",
                    self._add_token(name, groups))

    def _add_token(self, name: str, groups: Tuple[str, ...]) -> str:
        """A new static token, as if a row of --token-auth-file."""
        token = secrets.token_urlsafe(24)
        self.config.authenticator.add_static_token(
            token, UserInfo(name=name, uid=f"apiserver-testing-{self._users}", groups=groups))
        return token

    # -- snapshot and restore

    def snapshot(self) -> Snapshot:
        """Every stored object, as of now (one consistent list of the store)."""
        result = self.store.list("/")
        return Snapshot(result.revision, {kv.key: kv.value for kv in result.items if not _skipped(kv.key)})

    def restore(self, snapshot: Snapshot) -> int:
        """Make the store hold what ``snapshot`` held again; returns the number of writes it took.

        Restoring writes the difference as ordinary storage writes at new revisions (delete what is new, put
        back what changed or went): watchers — clients' informers and the server's own controllers and caches —
        see each change as an event and stay consistent without relisting; revisions never go backwards. Objects
        keep their uid and contents; their resourceVersion is new. Call it while the cluster is quiet (e.g. no
        namespace still being deleted), as a controller still working would go on changing what was restored.
        """
        store = self.store
        current = {kv.key: kv.value for kv in store.list("/").items if not _skipped(kv.key)}
        writes = 0
        for key in current.keys() - snapshot.values.keys():
            try:
                store.delete(key)
                writes += 1
            except st.NotFoundError:
                pass
        for key, value in snapshot.values.items():
            if current.get(key) == value:
                continue
            try:
                store.create(key, value)
            except st.AlreadyExistsError:
                store.guaranteed_update(key, lambda _current, value=value: value, ignore_not_found=True)
            writes += 1
        return writes


def _skipped(key: str) -> bool:
    return key.startswith(RESTORE_SKIP)
