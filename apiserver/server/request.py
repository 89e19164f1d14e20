"""The request and response objects that the handler chain passes along."""

from __future__ import annotations

import json
from typing import Callable, Iterable, Optional
from urllib.parse import parse_qs

from apiserver.endpoints.status import StatusError

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


class Request:
    """One HTTP request: what the client sent plus what the filters learned (user, request info, deadline)."""

    __slots__ = ("method", "target", "path", "raw_query", "_query", "headers", "remote", "peer_cert",
                 "audit_id", "info", "user", "deadline", "received", "_read_body", "_body", "long_running",
                 "conn", "impersonator", "audit")

    def __init__(self, method: str, target: str, headers, remote: str, peer_cert: Optional[dict],
                 audit_id: str, received: float, read_body: Callable[[], bytes], conn=None):
        self.method = method
        self.target = target
        path, _, query = target.partition("?")
        self.path = path
        self.raw_query = query
        self._query = None
        self.headers = headers
        self.remote = remote
        self.peer_cert = peer_cert
        self.audit_id = audit_id
        self.received = received
        self.info = None        # RequestInfo, set by the request-info filter
        self.user = None        # UserInfo, set by the authentication filter (the impersonated user, if any)
        self.impersonator = None  # the authenticated UserInfo when the request impersonates another user
        self.deadline = None    # monotonic time, set by the timeout filter
        self.long_running = False
        self._read_body = read_body
        self._body = None
        self.conn = conn        # the connection, so the timeout watchdog can answer for a stuck handler
        self.audit = None       # the AuditContext, set by the audit filter when the policy audits the request

    @property
    def query(self) -> dict:
        if self._query is None:
            self._query = parse_qs(self.raw_query, keep_blank_values=True) if self.raw_query else {}
        return self._query

    def param(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def body(self) -> bytes:
        """The request body, read on first use (after authentication), at most the server's limit."""
        if self._body is None:
            self._body = self._read_body()
        return self._body

    @property
    def body_consumed(self) -> bool:
        return self._body is not None

    @property
    def user_agent(self) -> str:
        return self.headers.get("User-Agent", "")


class Response:
    """A status, headers and either a whole body or a stream of chunks (for long-running requests)."""

    __slots__ = ("status", "headers", "body", "stream", "close")

    def __init__(self, status: int = 200, headers: Optional[list] = None, body: bytes = b"",
                 stream: Optional[Iterable[bytes]] = None):
        self.status = status
        self.headers = headers if headers is not None else []
        self.body = body
        self.stream = stream
        self.close = False

    @classmethod
    def json(cls, obj, status: int = 200, indent: Optional[int] = None, headers: Optional[list] = None):
        if indent:
            data = json.dumps(obj, indent=indent).encode()
        else:
            data = json.dumps(obj, separators=(",", ":")).encode()
        return cls(status, [("Content-Type", JSON)] + (headers or []), data)

    @classmethod
    def text(cls, text: str, status: int = 200, headers: Optional[list] = None):
        return cls(status, [("Content-Type", TEXT), ("X-Content-Type-Options", "nosniff")] + (headers or []),
                   text.encode())

    @classmethod
    def error(cls, err: StatusError):
        return cls(err.code, [("Content-Type", JSON)] + err.headers, err.body())

    def header(self, name: str) -> Optional[str]:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None
