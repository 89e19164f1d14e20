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
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message}
        if self.reason:   # omitempty: StatusReasonUnknown is ""
            body["reason"] = self.reason
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


def not_found(group: str, resource: str, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                       _details(name, group, resource))


def already_exists(group: str, resource: str, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                       _details(name, group, resource))


def conflict(group: str, resource: str, name: str, cause: str) -> StatusError:
    return StatusError(409, "Conflict", f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": '
                       f"{cause}", _details(name, group, resource))


MODIFIED_CONFLICT = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(group: str, kind: str, name: str, causes: list) -> StatusError:
    """422 Invalid: ``causes`` are (field, reason, message) with reasons like FieldValueInvalid."""
    rendered = []
    for field_path, reason, message in causes:
        rendered.append({"reason": reason, "message": message, "field": field_path})
    summary = ", ".join(f"{c['field']}: {c['message']}" if c["field"] else c["message"] for c in rendered)
    if len(rendered) > 1:
        summary = f"[{summary}]"
    details = {"name": name, "group": group, "kind": kind, "causes": rendered} if name else \
        {"group": group, "kind": kind, "causes": rendered}
    if not group:
        details.pop("group")
    qualified_kind = f"{kind}.{group}" if group else kind
    return StatusError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {summary}', details)


def method_not_supported(group: str, resource: str, verb: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed", f'{verb} is not supported on resources of kind '
                       f'"{qualified(resource, group)}"', {"group": group, "kind": resource} if group else
                       {"kind": resource})


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def unsupported_media_type(accepted=("application/json", "application/yaml",
                                     "application/vnd.kubernetes.protobuf")) -> StatusError:
    return StatusError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                       f"accepted media types include: {', '.join(accepted)}")


def expired(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def gone(message: str) -> StatusError:
    return StatusError(410, "Gone", message)


def _details(name: str, group: str, resource: str) -> dict:
    details = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return details
