"""HTTP/1.1 over TLS with a thread per connection.

Flow: ``serve()`` accepts in one thread; each connection gets its own thread, which does the TLS handshake
(so a silent client cannot stall accepting), then loops: wait for a request line (idle), parse headers,
call the handler chain (active), write the response in one send. Sockets block without timeouts; the accept
loop cuts a connection whose read or write is past its deadline (the idle timeout). ``shutdown()`` stops
accepting and closes the listener; ``close_idle()`` wakes connections waiting for a next request;
``wait_active()`` lets in-flight requests finish, as Go's ``http.Server.Shutdown`` does.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import selectors
import socket
import ssl
import threading
import time
from http import HTTPStatus
from typing import Callable, Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.endpoints import status
from apiserver.registry.meta import new_uid
from apiserver.server.request import Request, Response

log = logs.get_logger(__name__)

MAX_REQUEST_BODY = 3 * 1024 * 1024   # upstream's limit for a request body
MAX_LINE = 65536                     # one request or header line
MAX_HEADERS = 100
MAX_HEADER_BYTES = 1024 * 1024       # Go's DefaultMaxHeaderBytes, as upstream's MaxHeaderBytes
MAX_DRAIN = 64 * 1024                # unread bodies up to this size are skipped, larger ones close the connection
WRITE_PIECE = 1024 * 1024            # a write's deadline is renewed for every piece this large
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class BadRequest(Exception):
    """A request that cannot be parsed; answered with a plain-text status and the connection is closed."""

    def __init__(self, code: int, reason: str = ""):
        super().__init__(reason or _REASONS.get(code, ""))
        self.code = code


class Headers:
    """Request headers: case-insensitive lookup of the first value, as Go's Header.Get."""

    __slots__ = ("_items", "_first")

    def __init__(self, items: List[Tuple[str, str]]):
        self._items = items
        first: Dict[str, str] = {}
        for name, value in items:
            first.setdefault(name.lower(), value)
        self._first = first

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._first.get(name.lower(), default)

    def get_all(self, name: str) -> List[str]:
        lowered = name.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __getitem__(self, name: str) -> Optional[str]:
        return self._first.get(name.lower())

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._first

    def __delitem__(self, name: str):
        lowered = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]
        self._first.pop(lowered, None)

    def items(self) -> List[Tuple[str, str]]:
        return list(self._items)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class _Connection:
    """One client connection: TLS handshake, then requests until the client or the server closes it."""

    def __init__(self, sock: socket.socket, client_address, server: HTTPServer):
        self.server = server
        self.client_address = client_address
        sock.settimeout(server.handshake_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection = server.ssl_context.wrap_socket(sock, server_side=True)
        self.peer_cert = self.connection.getpeercert() or None
        if self.peer_cert:   # the DER too: a certificate's credential id is its fingerprint
            self.peer_cert["der"] = self.connection.getpeercert(binary_form=True)
        # After the handshake the socket blocks, with no timeout of Python's: with one, every read of a TLS
        # socket is a failed read, a poll and a read again, three hand-offs of the GIL where one does. The
        # accept loop enforces Go's IdleTimeout instead, from these deadlines (see HTTPServer._reap).
        self.connection.settimeout(None)
        self.read_deadline = 0.0    # monotonic time a pending read must end by; 0 while none is pending
        self.write_deadline = 0.0
        self.rfile = self.connection.makefile("rb", -1)
        self.write_lock = threading.Lock()
        self.responded = False
        self.state = "idle"
        self.close_connection = False
        self.handle()

    def handle(self):
        srv = self.server
        srv.track(self)
        try:
            while not self.close_connection:
                self.handle_one_request()
        except (OSError, ValueError) as err:  # reset, timeout, TLS alert, or a socket closed by shutdown
            if not srv.closing:
                log.debug("connection ended", remote=self.client_address[0], error=str(err))
        finally:
            srv.untrack(self)
            try:
                self.rfile.close()
                self.connection.close()
            except OSError:
                pass

    def handle_one_request(self):
        srv = self.server
        if not srv.set_state(self, "idle"):
            self.close_connection = True
            return
        self.read_deadline = time.monotonic() + srv.idle_timeout   # for the request line and headers
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            self.close_connection = True
            return
        received = time.monotonic()
        if not srv.set_state(self, "active"):
            self.close_connection = True
            return
        self.responded = False
        self.body_left = 0
        self.chunked = False
        self.expect_continue = False
        try:
            method, target, headers = self._parse(line)
        except BadRequest as err:
            self.read_deadline = 0.0
            self._send_plain(err.code, str(err))
            srv.bad_request(self, line, err.code)
            return
        self.read_deadline = 0.0
        self.headers = headers
        audit_id = headers.get("Audit-ID") or new_uid()
        req = Request(method, target, headers, self.client_address[0], self.peer_cert, audit_id, received,
                      self._read_body, self)
        try:
            self._prepare_body(req)
            resp = srv.handler(req)
        except status.StatusError as err:
            resp = Response.error(err)
        self.respond(req, resp)
        if not req.body_consumed and (self.body_left or self.chunked):
            self._skip_body()
        srv.request_done(req, self.sent_status, self.sent_bytes)

    def _parse(self, line: bytes):
        """Parse the request line and headers with Go's limits (1 MiB of headers at most, in all)."""
        if len(line) > MAX_LINE:
            raise BadRequest(414)
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3:
            raise BadRequest(400, "malformed HTTP request")
        method, target, version = parts
        if version == "HTTP/1.1":
            self.close_connection = False
        elif version == "HTTP/1.0":
            self.close_connection = True
        elif version.startswith("HTTP/") and version[5:6].isdigit() and version[5:6] >= "2":
            raise BadRequest(505)
        else:
            raise BadRequest(400, "malformed HTTP version")
        if not _TOKEN.fullmatch(method) or not target.startswith("/"):
            raise BadRequest(400, "malformed HTTP request")
        items: List[Tuple[str, str]] = []
        total = len(line)
        while True:
            raw = self.rfile.readline(MAX_LINE + 1)
            total += len(raw)
            if len(raw) > MAX_LINE or total > MAX_HEADER_BYTES or len(items) >= MAX_HEADERS:
                raise BadRequest(431)
            if raw in (b"\r\n", b"\n"):
                break
            if not raw:
                raise BadRequest(400, "unexpected EOF in headers")
            text = raw.decode("latin-1").rstrip("\r\n")
            name, sep, value = text.partition(":")
            if not sep or not _TOKEN.fullmatch(name):
                raise BadRequest(400, "malformed MIME header line")
            items.append((name, value.strip(" \t")))
        headers = Headers(items)
        if version == "HTTP/1.1" and "host" not in headers._first:
            raise BadRequest(400, "missing required Host header")
        connection = headers.get("Connection", "").lower()
        if "close" in connection:
            self.close_connection = True
        elif "keep-alive" in connection:
            self.close_connection = False
        self.expect_continue = headers.get("Expect", "").lower() == "100-continue" and version == "HTTP/1.1"
        return method, target, headers

    def _send_plain(self, code: int, text: str):
        """Answer a request that could not be parsed as Go's server does: plain text, then close."""
        self.close_connection = True
        body = f"{code} {_REASONS.get(code, '')}" + (f": {text}" if text != _REASONS.get(code, "") else "")
        self.write(f"HTTP/1.1 {code} {_REASONS.get(code, '')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode("latin-1"))

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
                with self._reading():
                    while self.body_left > 0:
                        chunk = self.rfile.read(min(self.body_left, 65536))
                        if not chunk:
                            break
                        self.body_left -= len(chunk)
            self.close_connection = self.body_left > 0
            raise status.request_entity_too_large(f"Request entity too large: limit is {self.server.max_body}")

    @contextlib.contextmanager
    def _reading(self):
        """A read of the body: the accept loop cuts it once it has taken longer than the idle timeout."""
        self.read_deadline = time.monotonic() + self.server.idle_timeout
        try:
            yield
        finally:
            self.read_deadline = 0.0

    def _read_body(self) -> bytes:
        with self.write_lock:  # the timeout watchdog must not write while we read on the same TLS object
            if self.expect_continue:
                self.expect_continue = False
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            with self._reading():
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
        if not self.chunked and self.body_left > MAX_DRAIN:
            self.close_connection = True
            return
        try:
            with self._reading():
                if self.chunked:
                    self._read_chunked()
                else:
                    self.rfile.read(self.body_left)
        except status.StatusError:
            self.close_connection = True

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

    def write(self, data: bytes):
        """Send all of ``data``; the accept loop cuts a client that takes no MiB of it for the idle timeout (a
        slow reader of a large list is not cut, one that stopped reading is)."""
        view = memoryview(data) if len(data) > WRITE_PIECE else data
        try:
            for start in range(0, max(len(data), 1), WRITE_PIECE):
                self.write_deadline = time.monotonic() + self.server.idle_timeout
                self.connection.sendall(view[start:start + WRITE_PIECE])
        finally:
            self.write_deadline = 0.0

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
        self.write(self._head(req, resp, f"Content-Length: {len(resp.body)}") + body)

    def _write_stream(self, req: Request, resp: Response):
        self.sent_bytes = 0
        self.write(self._head(req, resp, "Transfer-Encoding: chunked"))

        def send(chunk: bytes):
            if chunk:
                self.sent_bytes += len(chunk)
                self.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))

        try:
            serve = getattr(resp.stream, "serve", None)
            if serve is not None:
                # A pump: another thread pushes chunks through send() while this one waits. The socket is
                # used by one thread at a time: this thread does not touch it until serve() returns.
                serve(send, self.connection)
            else:
                for chunk in resp.stream:
                    send(chunk)
            self.write(b"0\r\n\r\n")
        finally:
            close = getattr(resp.stream, "close", None)
            if close:
                close()


class HTTPServer:
    """Accepts TLS connections on a listening socket and runs ``handler(request) -> Response`` for each request."""

    def __init__(self, listener: socket.socket, ssl_context: ssl.SSLContext, handler: Callable[[Request], Response],
                 *, request_done: Optional[Callable] = None, handshake_timeout: float = 10.0,
                 idle_timeout: float = 90.0, max_body: int = MAX_REQUEST_BODY):
        self.listener = listener
        self.ssl_context = ssl_context
        self.handler = handler
        self._request_done = request_done
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self.closing = False
        self._lock = threading.Condition()
        self._connections: set = set()
        self._threads: set = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._date = (0, "")
        self._reap_every = max(0.05, min(1.0, idle_timeout / 4))
        self._next_reap = 0.0

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
                for key, _ in selector.select(self._reap_every):
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
                self._reap()
        self.listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _reap(self):
        """Cut connections whose pending read or write is past its deadline (their sockets block without a
        timeout): a client that sends nothing, sends a request too slowly, or stops reading its answer."""
        now = time.monotonic()
        if now < self._next_reap:
            return
        self._next_reap = now + self._reap_every
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            read, write = conn.read_deadline, conn.write_deadline
            if (read and read < now) or (write and write < now):
                log.debug("connection timed out", remote=conn.client_address[0], state=conn.state)
                _hard_shutdown(conn.connection)

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
        """Mark a connection idle or active; False once closing (an idle connection then closes).

        No lock: an attribute write is atomic, and ``wait_active`` polls rather than waits for a notify.
        """
        conn.state = state
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

    def bad_request(self, conn, line: bytes, code: int):
        log.info("bad request", remote=conn.client_address[0], code=int(code),
                 request_line=line[:200].decode("latin-1").rstrip())


def _hard_shutdown(sock):
    """Shut the TCP socket under a TLS socket, waking a thread blocked reading it."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
