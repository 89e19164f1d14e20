"""Audit logging as kube-apiserver does it (apiserver ``pkg/audit``): a policy decides each request's level and
omitted stages, an ``AuditContext`` collects the event, a backend writes it (``--audit-log-path``).

``Auditor`` is what the handler chain holds: ``start(req, user)`` evaluates the policy and returns the
request's context, or None when the request is not audited.
"""

from __future__ import annotations

import json
from typing import Optional

from apiserver.audit.event import AuditContext, add_annotation, decode_body
from apiserver.audit.policy import (
    LEVEL_METADATA,
    LEVEL_NONE,
    LEVELS,
    STAGE_PANIC,
    STAGE_REQUEST_RECEIVED,
    STAGE_RESPONSE_COMPLETE,
    STAGE_RESPONSE_STARTED,
    Policy,
    PolicyError,
    level_at_least,
    load_policy,
    load_policy_file,
)

__all__ = ["AuditContext", "Auditor", "Policy", "PolicyError", "add_annotation", "load_policy", "load_policy_file",
           "STAGE_PANIC", "STAGE_REQUEST_RECEIVED", "STAGE_RESPONSE_COMPLETE", "STAGE_RESPONSE_STARTED",
           "DECISION_ANNOTATION", "REASON_ANNOTATION"]

DECISION_ANNOTATION = "authorization.k8s.io/decision"
REASON_ANNOTATION = "authorization.k8s.io/reason"

# Verbs whose request body is the object itself (LogRequestObject fills objectRef from it at Metadata level).
_OBJECT_VERBS = frozenset(("create", "update"))


class Auditor:
    """The policy and the backend of one server."""

    def __init__(self, policy: Policy, sink, strict: bool = False, level_counter=None):
        self.policy = policy
        self.sink = sink
        self.strict = strict   # --audit-log-mode=blocking-strict: a request whose first event is lost fails
        self._levels = {}
        if level_counter is not None:
            self._levels = {level: level_counter.labels(level) for level in LEVELS}

    def start(self, req, user) -> Optional[AuditContext]:
        config = self.policy.evaluate(user, req.info)
        counter = self._levels.get(config.level)
        if counter is not None:
            counter.inc()   # apiserver_audit_level_total: one per request, None included
        if config.level == LEVEL_NONE:
            return None
        return AuditContext(config, self.sink, req, user, req.info)

    def failed_authentication(self, req, status: dict):
        """WithFailedAuthenticationAudit: one ResponseStarted event with user {} and the 401 Status."""
        ctx = self.start(req, None)
        if ctx is None:
            return
        ctx.log_response(status.get("code", 401), status)
        ctx.emit(STAGE_RESPONSE_STARTED)

    def shutdown(self):
        self.sink.shutdown()


def record_request_body(ctx: AuditContext, req):
    """Log the body the handler read: objectRef fields from create/update objects, the object or patch itself
    at level Request and above (upstream's LogRequestObject and LogRequestPatch)."""
    if not req.body_consumed or not level_at_least(ctx.level, LEVEL_METADATA):
        return
    body = req.body
    if not body:
        return
    verb = ctx.verb
    if verb not in _OBJECT_VERBS and not level_at_least(ctx.level, "Request"):
        return
    obj = decode_body(body, req.headers.get("Content-Type", ""))
    if obj is not None:
        ctx.log_request_object(obj, patch=verb == "patch")


def record_response(ctx: AuditContext, resp):
    """responseStatus from the code (and a Status body's fields); the body itself at level RequestResponse."""
    obj = None
    body = resp.body
    if resp.stream is None and body and body[:1] == b"{":
        content_type = (resp.header("Content-Type") or "").lower()
        if content_type.startswith("application/json") and (
                level_at_least(ctx.level, "RequestResponse") or b'"Status"' in body[:64]):
            try:
                obj = json.loads(body)
            except ValueError:
                obj = None
    ctx.log_response(resp.status, obj)

