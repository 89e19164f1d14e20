"""HTTP/1.1 over TLS with a thread per connection.

Flow: ``serve()`` accepts in one thread; each connection gets its own thread, which does the TLS handshake
(so a silent client cannot stall accepting), then loops: wait for a request line (idle), parse headers,
call the handler chain (active), write the response in one send. ``shutdown()`` stops accepting and closes
the listener; ``close_idle()`` wakes connections waiting for a next request; ``wait_active()`` lets
in-flight requests finish, as Go's ``http.Server.Shutdown`` does.
"""

from __future__ import annotations

import email.utils
import selectors
import socket
import ssl
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Callable, Optional

from apiserver import logs
from apiserver.endpoints import status
from apiserver.server.request import Request, Response

log = logs.get_logger(__name__)

MAX_REQUEST_BODY = 3 * 1024 * 1024   # upstream's limit for a request body
MAX_DRAIN = 64 * 1024                # unread bodies up to this size are skipped, larger ones close the connection
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _Connection(BaseHTTPRequestHandler):
    """One client connection; BaseHTTPRequestHandler parses request lines and headers."""

    protocol_version = "HTTP/1.1"
    server: HTTPServer

    def setup(self):
        srv = self.server
        raw = self.request
        raw.settimeout(srv.handshake_timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = self.connection = srv.ssl_context.wrap_socket(raw, server_side=True)
        self.peer_cert = self.connection.getpeercert() or None
        self.rfile = self.connection.makefile("rb", -1)
        self.wfile = _Writer(self.connection)
        self.write_lock = threading.Lock()
        self.responded = False
        self.state = "idle"

    def finish(self):
        for f in (self.wfile, self.rfile):
            try:
                f.close()
            except OSError:
                pass

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass  # every request is logged once, structured, by the server

    def send_error(self, code, message=None, explain=None):
        """Answer a request that could not be parsed as Go's server does: plain text, then close."""
        self.error_code = code
        self.close_connection = True
        text = f"{int(code)} {_REASONS.get(int(code), '')}"
        self.wfile.write(f"HTTP/1.1 {text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                         f"Content-Length: {len(text)}\r\n\r\n{text}".encode("latin-1"))

    def handle(self):
        srv = self.server
        srv.track(self)
        try:
            self.close_connection = False
            while not self.close_connection:
                self.handle_one_request()
        except (OSError, ValueError) as err:  # reset, timeout, TLS alert, or a socket closed by shutdown
            if not srv.closing:
                log.debug("connection ended", remote=self.client_address[0], error=str(err))
        finally:
            srv.untrack(self)
            try:
                self.connection.close()
            except OSError:
                pass

    def handle_one_request(self):
        srv = self.server
        if not srv.set_state(self, "idle"):
            self.close_connection = True
            return
        self.connection.settimeout(srv.idle_timeout)
        line = self.rfile.readline(65537)
        if not line:
            self.close_connection = True
            return
        received = time.monotonic()
        if not srv.set_state(self, "active"):
            self.close_connection = True
            return
        self.connection.settimeout(srv.read_timeout)
        self.raw_requestline = line
        self.error_code = None
        self.responded = False
        self.body_left = 0
        if len(line) > 65536:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            self.close_connection = True
        elif not self.parse_request():
            self.close_connection = True
        elif self.request_version == "HTTP/0.9":
            self.send_error(HTTPStatus.BAD_REQUEST)
        if self.error_code is not None:
            srv.logger_bad_request(self, line, self.error_code)
            return
        audit_id = self.headers.get("Audit-ID") or str(uuid.uuid4())
        req = Request(self.command, self.path, self.headers, self.client_address[0], self.peer_cert, audit_id,
                      received, self._read_body, self)
        try:
            self._prepare_body(req)
            resp = srv.handler(req)
        except status.StatusError as err:
            resp = Response.error(err)
        self.respond(req, resp)
        if not req.body_consumed and self.body_left:
            self._skip_body()
        srv.request_done(req, self.sent_status, self.sent_bytes)

    def _prepare_body(self, req: Request):
        """Check the framing headers now; the body itself is read when a handler asks for it."""
        self.chunked = False
        te = self.headers.get("Transfer-Encoding")
        if te is not None:
            if te.strip().lower() != "chunked":
                self.close_connection = True
                raise status.StatusError(501, "NotImplemented", f"unsupported transfer encoding: {te!r}")
            self.chunked = True
            self.body_left = -1
            return
        length = self.headers.get("Content-Length")
        if length is None:
            return
        try:
            self.body_left = int(length)
            if self.body_left < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise status.bad_request(f"invalid Content-Length: {length!r}") from None
        if self.body_left > self.server.max_body:
            # Read a body of up to twice the limit so the client, still sending, gets to see the 413.
            if self.body_left <= 2 * self.server.max_body:
                while self.body_left > 0:
                    chunk = self.rfile.read(min(self.body_left, 65536))
                    if not chunk:
                        break
                    self.body_left -= len(chunk)
            self.close_connection = self.body_left > 0
            raise status.request_entity_too_large(f"Request entity too large: limit is {self.server.max_body}")

    def _read_body(self) -> bytes:
        with self.write_lock:  # the timeout watchdog must not write while we read on the same TLS object
            if self.chunked:
                return self._read_chunked()
            data = self.rfile.read(self.body_left) if self.body_left else b""
            if len(data) < self.body_left:
                self.close_connection = True
                raise status.bad_request("unexpected EOF reading the request body")
            self.body_left = 0
            return data

    def _read_chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            size_line = self.rfile.readline(1026)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise status.bad_request("malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self.body_left = 0
                return b"".join(parts)
            total += size
            if total > self.server.max_body:
                self.close_connection = True
                raise status.request_entity_too_large(f"Request entity too large: limit is {self.server.max_body}")
            parts.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _skip_body(self):
        """Skip a body no handler read, so the connection can serve the next request."""
        if self.chunked:
            try:
                self._read_chunked()
            except status.StatusError:
                self.close_connection = True
        elif self.body_left > MAX_DRAIN:
            self.close_connection = True
        else:
            self.rfile.read(self.body_left)

    def respond(self, req: Request, resp: Response) -> bool:
        """Write the response unless the timeout watchdog already answered; returns whether it was written."""
        if resp.close or self.server.closing:
            self.close_connection = True
        with self.write_lock:
            if self.responded:
                self.close_connection = True  # the handler overran its deadline; its answer is dropped
                return False
            self.responded = True
            self.sent_status = resp.status
            if resp.stream is None:
                self._write_whole(req, resp)
            else:
                self._write_stream(req, resp)
            return True

    def respond_from_watchdog(self, req: Request, resp: Response) -> bool:
        """Answer a request whose handler is still running; never blocks the caller."""
        if not self.write_lock.acquire(blocking=False):
            return False
        try:
            if self.responded:
                return True
            self.responded = True
            self.close_connection = True
            self.sent_status = resp.status
            resp.close = True
            try:
                self._write_whole(req, resp)
            except OSError:
                pass
            return True
        finally:
            self.write_lock.release()

    def _head(self, req: Request, resp: Response, framing: str) -> bytes:
        lines = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, '')}", "Audit-ID: " + req.audit_id]
        has_cache_control = False
        for key, value in resp.headers:
            if key == "Cache-Control":
                has_cache_control = True
            lines.append(f"{key}: {value}")
        if not has_cache_control:
            lines.append("Cache-Control: no-cache, private")
        lines.append("Date: " + self.server.http_date())
        lines.append(framing)
        if self.close_connection:
            lines.append("Connection: close")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def _write_whole(self, req: Request, resp: Response):
        body = b"" if req.method == "HEAD" else resp.body
        self.sent_bytes = len(resp.body)
        self.wfile.write(self._head(req, resp, f"Content-Length: {len(resp.body)}") + body)

    def _write_stream(self, req: Request, resp: Response):
        self.sent_bytes = 0
        self.wfile.write(self._head(req, resp, "Transfer-Encoding: chunked"))
        try:
            for chunk in resp.stream:
                if chunk:
                    self.sent_bytes += len(chunk)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(resp.stream, "close", None)
            if close:
                close()


class HTTPServer:
    """Accepts TLS connections on a listening socket and runs ``handler(request) -> Response`` for each request."""

    def __init__(self, listener: socket.socket, ssl_context: ssl.SSLContext, handler: Callable[[Request], Response],
                 *, request_done: Optional[Callable] = None, handshake_timeout: float = 10.0,
                 idle_timeout: float = 90.0, read_timeout: float = 32.0, max_body: int = MAX_REQUEST_BODY):
        self.listener = listener
        self.ssl_context = ssl_context
        self.handler = handler
        self._request_done = request_done
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self.max_body = max_body
        self.closing = False
        self._lock = threading.Condition()
        self._connections: set = set()
        self._threads: set = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._date = (0, "")

    @property
    def address(self):
        return self.listener.getsockname()

    # -- accepting

    def serve(self):
        """Accept connections until ``shutdown()``; each gets its own thread."""
        self.listener.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.closing:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r or self.closing:
                        break
                    try:
                        sock, addr = self.listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError as err:  # e.g. EMFILE: log and keep serving
                        log.error("accept failed", error=str(err))
                        time.sleep(0.05)
                        continue
                    sock.setblocking(True)
                    thread = threading.Thread(target=self._connection_thread, args=(sock, addr),
                                              name=f"conn-{addr[0]}:{addr[1]}", daemon=True)
                    with self._lock:
                        self._threads.add(thread)
                    thread.start()
        self.listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _connection_thread(self, sock, addr):
        try:
            _Connection(sock, addr, self)
        except (OSError, ValueError) as err:  # TLS handshake failed: garbage, wrong protocol, timeout
            log.info("TLS handshake failed", remote=addr[0], error=str(err) or type(err).__name__)
        except Exception:  # noqa: BLE001 - one broken connection must not take the server down
            log.exception("connection failed", remote=addr[0])
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self._lock:
                self._threads.discard(threading.current_thread())
                self._lock.notify_all()

    def shutdown(self):
        """Stop accepting; the listener closes. Callable from any thread, more than once."""
        with self._lock:
            self.closing = True
            self._lock.notify_all()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # -- connection tracking, for a graceful stop

    def track(self, conn):
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn):
        with self._lock:
            self._connections.discard(conn)
            self._lock.notify_all()

    def set_state(self, conn, state: str) -> bool:
        """Mark a connection idle or active; False once closing (an idle connection then closes)."""
        with self._lock:
            conn.state = state
            if state == "idle":
                self._lock.notify_all()
            return not (self.closing and state == "idle")

    def close_idle(self):
        """Wake connections that wait for a next request, so they close (Go closes idle connections too)."""
        with self._lock:
            idle = [c for c in self._connections if c.state == "idle"]
        for conn in idle:
            _hard_shutdown(conn.connection)

    def wait_active(self, timeout: float) -> bool:
        """Wait until no connection is serving a request (idle ones are closed as they turn idle)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(c.state == "active" for c in self._connections):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.1))
        self.close_idle()
        return True

    def close_all(self, timeout: float = 1.0):
        """Cut every remaining connection and wait briefly for their threads to end."""
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            _hard_shutdown(conn.connection)
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._threads and time.monotonic() < deadline:
                self._lock.wait(0.05)
            return len(self._threads)

    def active_count(self) -> int:
        with self._lock:
            return sum(1 for c in self._connections if c.state == "active")

    # -- helpers for connections

    def http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        return self._date[1]

    def request_done(self, req: Request, code: int, size: int):
        if self._request_done is not None:
            self._request_done(req, code, size)

    def logger_bad_request(self, conn, line: bytes, code: int):
        log.info("bad request", remote=conn.client_address[0], code=int(code),
                 request_line=line[:200].decode("latin-1").rstrip())


class _Writer:
    """What BaseHTTPRequestHandler writes to: every write goes out whole, at once."""

    __slots__ = ("write",)

    def __init__(self, sock):
        self.write = sock.sendall

    def flush(self):
        pass

    def close(self):
        pass


def _hard_shutdown(sock):
    """Shut the TCP socket under a TLS socket, waking a thread blocked reading it."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
