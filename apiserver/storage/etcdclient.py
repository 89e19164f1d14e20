"""A client of etcd's v3 JSON gateway (``/v3/kv/*``, ``/v3/watch``, ``/v3/maintenance/status``) over HTTP/1.1.

Keep-alive connections are pooled per member and reused from any thread. A request goes to the preferred
member; on a connection error or an "unavailable" answer it moves on to the next, until its deadline. Writes
are only retried when they cannot have been applied; otherwise ``AmbiguousError`` tells the caller the outcome
is unknown (the store checks what is there). Watches use a socket of their own, read with timeouts.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import struct
import threading
import time
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from apiserver.storage.interface import UnavailableError

POOL_SIZE = 8
COMPACTED = "required revision has been compacted"
FUTURE = "required revision is a future revision"
# gRPC codes: 14 unavailable; answers that certainly did not apply a write
NOT_APPLIED = ("no leader", "not capable", "too many requests", "server is stopping", "is unhealthy",
               "raft: stopped")
AMBIGUOUS = ("request timed out", "leader changed", "timed out")


def b64(data) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode("ascii")


def unb64(data: Optional[str]) -> bytes:
    return base64.b64decode(data) if data else b""


def set_timeout(sock: socket.socket, seconds: float) -> None:
    """A plain socket stays blocking with the timeout in the kernel (SO_RCVTIMEO/SO_SNDTIMEO): Python's own
    timeout polls before every recv and send, two system calls and two hand-offs of the GIL where one does.
    A TLS socket keeps Python's timeout (OpenSSL must see each timeout as one)."""
    if isinstance(sock, ssl.SSLSocket) or not hasattr(socket, "SO_RCVTIMEO"):
        sock.settimeout(seconds)
        return
    whole = int(seconds)
    micros = max(int((seconds - whole) * 1e6), 0 if whole else 1000)   # zero would mean "never"
    try:
        value = struct.pack("@ll", whole, micros)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    except (OSError, struct.error):
        sock.settimeout(seconds)
        return
    sock.settimeout(None)


def retime(sock: socket.socket, timeout: float, current: Optional[float]) -> float:
    """``set_timeout`` unless the socket has ``timeout`` already (each change is a system call, and a connection's
    timeout rarely changes); returns the socket's timeout now."""
    if timeout != current:
        set_timeout(sock, timeout)
    return timeout


def _recv(sock: socket.socket, size: int) -> bytes:
    """recv, with the kernel's timeout (EAGAIN on a blocking socket) raised as Python's."""
    try:
        return sock.recv(size)
    except BlockingIOError:
        raise socket.timeout("timed out") from None


class EtcdError(Exception):
    """An error answer from etcd (``code`` is the gRPC code)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def compacted(self) -> bool:
        return COMPACTED in self.message

    @property
    def future(self) -> bool:
        return FUTURE in self.message


class AmbiguousError(UnavailableError):
    """A write was sent but no answer came: it may or may not have been applied."""


class ProtocolError(ConnectionError):
    """An answer that is not the HTTP/1.1 a gateway sends."""


class GatewayConnection:
    """One keep-alive HTTP/1.1 connection to a member for unary JSON calls: each request leaves in one write and
    its answer usually arrives in one read. http.client parses every answer's headers with the email package and
    builds a reader per response; on the path of every storage call that cost more than the call itself."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.sock: Optional[socket.socket] = None
        self._head = f"Host: {endpoint.host}:{endpoint.port}\r\nContent-Type: application/json\r\n"
        self._timeout: Optional[float] = None

    def connect(self, timeout: float):
        self.sock = self.endpoint.raw_socket(timeout)
        set_timeout(self.sock, timeout)
        self._timeout = timeout

    def send(self, path: str, data: bytes, timeout: float):
        """POST ``data`` to ``path``; ``receive`` reads the answer."""
        sock = self.sock
        if sock is None:
            raise ConnectionError("not connected")
        self._timeout = retime(sock, timeout, self._timeout)
        try:
            sock.sendall(f"POST {path} HTTP/1.1\r\n{self._head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        except BlockingIOError:
            raise socket.timeout("timed out") from None

    def receive(self) -> Tuple[int, bytes]:
        """The answer: (status, body). http.client.RemoteDisconnected when the member had closed the connection
        before answering (a pooled connection gone stale), OSError or ProtocolError otherwise."""
        sock = self.sock
        if sock is None:
            raise ConnectionError("not connected")
        buf = b""
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = _recv(sock, 65536)
            if not chunk:
                if not buf:
                    raise http.client.RemoteDisconnected("etcd closed the connection without an answer")
                raise ProtocolError("etcd closed the connection in the middle of an answer")
            buf += chunk
            if len(buf) > 65536 and buf.find(b"\r\n\r\n") < 0:
                raise ProtocolError("answer headers too long")
        lines = buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP answer: {lines[0][:80]!r}")
        status = int(parts[1])
        length = None
        chunked = close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = "close" in value.lower()
        rest = buf[end + 4:]
        if chunked:
            body = self._read_chunked(rest)
        elif length is not None:
            got = bytearray(rest)
            while len(got) < length:
                got += self._recv(length - len(got))
            body = bytes(got[:length])
        else:   # no length: the body ends with the connection
            close = True
            while True:
                chunk = _recv(sock, 65536)
                if not chunk:
                    break
                rest += chunk
            body = rest
        if close:
            self.close()
        return status, body

    def _read_chunked(self, first: bytes) -> bytes:
        buf = bytearray(first)   # appended to and consumed from the front: no copy of everything per read
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n")
            while line_end < 0:
                buf += self._recv()
                line_end = buf.find(b"\r\n")
            try:
                size = int(bytes(buf[:line_end]).split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise ProtocolError("bad chunk size") from None
            need = line_end + 2 + size + 2
            while len(buf) < need:
                buf += self._recv(need - len(buf))
            if size == 0:
                # trailers, if any, end with an empty line: this gateway sends none
                return bytes(body)
            body += buf[line_end + 2:line_end + 2 + size]
            del buf[:need]

    def _recv(self, wanted: int = 65536) -> bytes:
        chunk = _recv(self.sock, min(max(wanted, 65536), 1 << 20)) if self.sock is not None else b""
        if not chunk:
            raise ProtocolError("etcd closed the connection in the middle of an answer")
        return chunk

    def close(self):
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


class Endpoint:
    def __init__(self, url: str, context: Optional[ssl.SSLContext]):
        parts = urlsplit(url if "://" in url else "https://" + url)
        self.url = url
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 2379
        self.context = context if self.https else None
        self._idle: List[GatewayConnection] = []
        self._lock = threading.Lock()

    def take(self) -> Tuple[GatewayConnection, bool]:
        """An idle pooled connection (reused=True) or a new, not yet connected one."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return GatewayConnection(self), False

    def give(self, conn: GatewayConnection):
        if conn.sock is None:
            return
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def raw_socket(self, timeout: float) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = self.context.wrap_socket(sock, server_hostname=self.host)
        return sock


def tls_context(cafile: Optional[str], certfile: Optional[str], keyfile: Optional[str]) -> ssl.SSLContext:
    """Verify members with ``cafile``, else certifi's CA store, else the system's; a client cert for mutual TLS."""
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
    else:
        try:
            import certifi
            context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            context = ssl.create_default_context()
    if certfile:
        context.load_cert_chain(certfile, keyfile or None)
    return context


class EtcdClient:
    def __init__(self, servers: List[str], cafile: Optional[str] = None, certfile: Optional[str] = None,
                 keyfile: Optional[str] = None, request_timeout: float = 5.0, dial_timeout: float = 2.0):
        if not servers:
            raise ValueError("no etcd servers")
        context = None
        if any(s.startswith("https://") or "://" not in s for s in servers):
            context = tls_context(cafile, certfile, keyfile)
        self.endpoints = [Endpoint(s, context) for s in servers]
        self.request_timeout = request_timeout
        self.dial_timeout = dial_timeout
        # One member that accepts connections but does not answer (stopped, partitioned) must not use up the
        # whole deadline: each attempt gets part of it, then the next member is tried.
        self.attempt_timeout = max(1.0, request_timeout / 2)
        self._preferred = 0
        self._closed = False

    def close(self):
        self._closed = True
        for endpoint in self.endpoints:
            endpoint.close()

    def _order(self) -> List[Endpoint]:
        start = self._preferred
        return self.endpoints[start:] + self.endpoints[:start]

    def _demote(self, endpoint: Endpoint):
        index = self.endpoints.index(endpoint)
        if self.endpoints[self._preferred] is endpoint:
            self._preferred = (index + 1) % len(self.endpoints)

    def call(self, path: str, body: dict, write: bool = False, timeout: Optional[float] = None,
             endpoint: Optional[Endpoint] = None) -> dict:
        """POST ``body`` to ``path`` (on ``endpoint`` only, if given); the decoded answer. EtcdError for an error
        answer, UnavailableError when no member answers in time, AmbiguousError for a write whose fate is
        unknown."""
        if self._closed:
            raise UnavailableError("storage is closed")
        data = json.dumps(body).encode()
        deadline = time.monotonic() + (timeout or self.request_timeout)
        last: Optional[BaseException] = None
        attempt = 0
        only = endpoint
        while True:
            for endpoint in [only] if only is not None else self._order():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise UnavailableError(f"etcd cluster is unavailable or misconfigured: {last}")
                attempt += 1
                sent = False
                reused = False
                conn = None
                try:
                    conn, reused = endpoint.take()
                    if conn.sock is None:
                        conn.connect(min(left, self.dial_timeout))
                    conn.send(path, data, min(left, self.attempt_timeout))
                    sent = True
                    status, raw = conn.receive()
                except (OSError, ssl.SSLError, ValueError) as err:
                    if conn is not None:
                        conn.close()
                    last = err
                    # A pooled connection the member had closed fails before the request reached it.
                    stale = reused and isinstance(err, (http.client.RemoteDisconnected, BrokenPipeError,
                                                         ConnectionResetError))
                    if write and sent and not stale:
                        self._demote(endpoint)
                        raise AmbiguousError(f"etcd write to {endpoint.url} got no answer: {err}") from None
                    self._demote(endpoint)
                    continue
                endpoint.give(conn)
                try:
                    answer = json.loads(raw) if raw else {}
                except ValueError:
                    answer = {"error": raw.decode(errors="replace"), "code": 2}
                if status == 200 and "error" not in answer:
                    return answer
                message = str(answer.get("message") or answer.get("error") or raw[:200])
                code = int(answer.get("code") or 0)
                if code == 14 or any(s in message for s in NOT_APPLIED):
                    last = EtcdError(code, message)
                    self._demote(endpoint)
                    continue
                if any(s in message for s in AMBIGUOUS):
                    if write:
                        raise AmbiguousError(f"etcd: {message}")
                    last = EtcdError(code, message)
                    self._demote(endpoint)
                    continue
                raise EtcdError(code, message)
            # every member failed once: wait a little (an election takes a moment), then go round again
            left = deadline - time.monotonic()
            if left <= 0:
                raise UnavailableError(f"etcd cluster is unavailable or misconfigured: {last}")
            time.sleep(min(0.1 * attempt, 0.5, left))

    # -- watch streams

    def open_watch(self, create: dict, endpoint: Endpoint, timeout: float) -> WatchStream:
        """Open ``/v3/watch`` on ``endpoint`` with one create request; the stream of answers."""
        sock = endpoint.raw_socket(timeout)
        try:
            data = json.dumps({"create_request": create}).encode()
            head = (f"POST /v3/watch HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
            set_timeout(sock, timeout)
            sock.sendall(head + data)
            stream = WatchStream(sock, endpoint)
            stream.read_head(timeout)
            return stream
        except BaseException:
            sock.close()
            raise


class WatchStream:
    """The answers of one ``/v3/watch`` POST: a chunked HTTP body of JSON messages, one a line."""

    def __init__(self, sock: socket.socket, endpoint: Endpoint):
        self.sock = sock
        self.endpoint = endpoint
        self._buf = b""
        self._body = b""
        self._chunked = True
        self._closed = False
        self._timeout: Optional[float] = None

    def _fill(self, timeout: float) -> bool:
        """Read more bytes; False on timeout; raises ConnectionError at EOF. The socket's own timeout does the
        waiting (see ``set_timeout``): one recv per read, where select and a timeout change cost two more calls."""
        self._timeout = retime(self.sock, max(timeout, 0.001), self._timeout)
        try:
            data = _recv(self.sock, 65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        if not data:
            raise ConnectionError("etcd closed the watch stream")
        self._buf += data
        return True

    def read_head(self, timeout: float):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buf:
            if not self._fill(max(0.0, deadline - time.monotonic())) and time.monotonic() >= deadline:
                raise socket.timeout("no answer to the watch request")
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        self._chunked = "chunked" in headers.get("transfer-encoding", "")
        if status != 200:
            raise ConnectionError(f"watch refused: HTTP {status}")

    def _decode_chunks(self):
        if not self._chunked:
            self._body += self._buf
            self._buf = b""
            return
        while True:
            line_end = self._buf.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self._buf[:line_end].split(b";")[0] or b"0", 16)
            if size == 0:
                raise ConnectionError("etcd ended the watch stream")
            if len(self._buf) < line_end + 2 + size + 2:
                return
            self._body += self._buf[line_end + 2:line_end + 2 + size]
            self._buf = self._buf[line_end + 2 + size + 2:]

    def messages(self, timeout: float) -> Iterator[Optional[dict]]:
        """Yield each decoded message (one a line), or None after ``timeout`` seconds without one."""
        while not self._closed:
            self._decode_chunks()
            newline = self._body.find(b"\n")
            if newline >= 0:
                line, self._body = self._body[:newline], self._body[newline + 1:]
                if line.strip():
                    yield json.loads(line)
                continue
            if not self._fill(timeout):
                yield None

    def close(self):
        self._closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def header_revision(answer: dict) -> int:
    return int(answer.get("header", {}).get("revision", 0))


def endpoints_of(servers: str) -> List[str]:
    return [s.strip() for s in servers.split(",") if s.strip()]


def status(client: EtcdClient) -> Dict:
    return client.call("/v3/maintenance/status", {})
