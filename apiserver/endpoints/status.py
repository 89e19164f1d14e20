"""Status errors in upstream's form (apimachinery pkg/api/errors): every failure a client sees is one."""

from __future__ import annotations

import json
from typing import Optional


class StatusError(Exception):
    """An error that is answered as a ``Status`` object with a code, reason and message."""

    def __init__(self, code: int, reason: str, message: str, details: Optional[dict] = None,
                 headers: Optional[list] = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or []

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason}
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def body(self) -> bytes:
        return json.dumps(self.status(), separators=(",", ":")).encode()


def qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def forbidden(resource: str, group: str, name: str, cause: str) -> StatusError:
    """NewForbidden: ``<res> "<name>" is forbidden: <cause>``, or ``forbidden: <cause>`` without a resource."""
    qualified_resource = qualified(resource, group)
    if not qualified_resource and not name:
        message = f"forbidden: {cause}"
    elif not name:
        message = f"{qualified_resource} is forbidden: {cause}"
    else:
        message = f'{qualified_resource} "{name}" is forbidden: {cause}'
    details = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    return StatusError(403, "Forbidden", message, details)


def not_found_resource() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def request_entity_too_large(message: str) -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", message)


def too_many_requests(message: str, retry_after: int) -> StatusError:
    return StatusError(429, "TooManyRequests", message, {"retryAfterSeconds": retry_after},
                       headers=[("Retry-After", str(retry_after))])


def internal_error(cause: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})


def service_unavailable(message: str, retry_after: Optional[int] = None) -> StatusError:
    details = {"retryAfterSeconds": retry_after} if retry_after else None
    headers = [("Retry-After", str(retry_after))] if retry_after else None
    return StatusError(503, "ServiceUnavailable", message, details, headers)


def timeout(message: str) -> StatusError:
    return StatusError(504, "Timeout", f"Timeout: {message}", {})
