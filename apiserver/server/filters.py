"""The handler chain's filters, each ``with_x(handler, ...) -> handler`` (apiserver ``pkg/server/filters``,
``pkg/endpoints/filters``).

``GenericAPIServer.build_handler_chain`` stacks them, outermost first: panic recovery → request info →
shutdown (retry-after, wait groups) → authentication → audit → impersonation → authorization →
max-in-flight → timeout → handler.
Every response carries an ``Audit-ID`` (set when the request is read) and ``Cache-Control``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Callable, List, Optional, Tuple
from urllib.parse import unquote

from apiserver import audit, logs
from apiserver.auth.authentication import (
    ANONYMOUS,
    AUTHENTICATED,
    MASTERS,
    UNAUTHENTICATED,
    AuthenticationError,
    UserInfo,
)
from apiserver.auth.authorization import ALLOW, Attributes, forbidden_message
from apiserver.duration import parse_duration
from apiserver.endpoints import status
from apiserver.server.request import Request, Response
from apiserver.server.requestinfo import new_request_info

log = logs.get_logger(__name__)

Handler = Callable[[Request], Response]


def with_panic_recovery(handler: Handler) -> Handler:
    """An unexpected exception becomes a 500 for this request only, logged once with its audit ID."""

    def recover(req: Request) -> Response:
        try:
            return handler(req)
        except status.StatusError as err:
            return Response.error(err)
        except Exception:  # noqa: BLE001 - nothing a client sends may take a connection or the server down
            log.exception("handler failed", method=req.method, path=req.path, audit_id=req.audit_id)
            return Response.text("This request caused apiserver to panic. Look in the logs for details.\n", 500)

    return recover


def with_request_info(handler: Handler) -> Handler:
    def request_info(req: Request) -> Response:
        req.info = new_request_info(req.method, req.path, req.raw_query)
        req.long_running = req.info.long_running
        return handler(req)

    return request_info


class WaitGroup:
    """A wait group that refuses new members once someone waits on it (upstream's SafeWaitGroup)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._count = 0
        self._waiting = False

    def add(self) -> bool:
        with self._cond:
            if self._waiting:
                return False
            self._count += 1
            return True

    def done(self):
        with self._cond:
            self._count -= 1
            if self._count <= 0:
                self._cond.notify_all()

    def wait(self, timeout: Optional[float]) -> bool:
        """Refuse new members and wait until the count is zero; False on timeout."""
        with self._cond:
            self._waiting = True
            return self._cond.wait_for(lambda: self._count <= 0, timeout)

    @property
    def count(self) -> int:
        return self._count


_EXEMPT_PATHS = ("/readyz", "/livez", "/healthz", "/metrics")


def exempt_from_retry_after(req: Request) -> bool:
    """Requests still served while draining: health, metrics, and other API servers (with_retry_after.go)."""
    return req.path.startswith(_EXEMPT_PATHS) or req.user_agent.startswith("kube-apiserver/")


def with_retry_after(handler: Handler, not_accepting: threading.Event) -> Handler:
    """``--shutdown-send-retry-after``: once draining, answer new requests 429 and close."""

    def retry_after(req: Request) -> Response:
        if not_accepting.is_set() and not exempt_from_retry_after(req):
            resp = Response.text("The apiserver is shutting down, please try again later.\n", 429,
                                 [("Retry-After", "5")])
            resp.close = True
            return resp
        return handler(req)

    return retry_after


def with_wait_groups(handler: Handler, non_long_running: WaitGroup, long_running: WaitGroup,
                     long_running_gauge=None) -> Handler:
    """Count requests so a graceful stop can drain them; refuse new ones once draining (waitgroup.go)."""

    def wait_groups(req: Request) -> Response:
        group = long_running if req.long_running else non_long_running
        if not group.add():
            if exempt_from_retry_after(req):
                return handler(req)  # the same exemptions as retry-after, or draining could wait forever
            raise status.service_unavailable("apiserver is shutting down", retry_after=1)
        counted = False
        try:
            resp = handler(req)
            if req.long_running and resp.stream is not None:
                resp.stream = _counted_stream(resp.stream, group, long_running_gauge, req)
                counted = True
            return resp
        finally:
            if not counted:
                group.done()

    return wait_groups


def _counted_stream(stream, group: WaitGroup, gauge, req: Request):
    """Keep a long-running request counted (wait group and gauge) until its stream has ended."""
    labels = None
    if gauge is not None:
        info = req.info
        labels = gauge.labels(info.verb.upper(), info.api_group, info.api_version, info.resource,
                              info.subresource, info.scope, "apiserver")

    def done():
        if labels is not None:
            labels.dec()
        group.done()

    if labels is not None:
        labels.inc()
    if hasattr(stream, "serve"):
        return _CountedPump(stream, done)
    return _counted_generator(stream, done)


def _counted_generator(stream, done):
    try:
        yield from stream
    finally:
        done()


class _CountedPump:
    def __init__(self, pump, done):
        self._pump = pump
        self._done = done

    def serve(self, send, sock):
        try:
            self._pump.serve(send, sock)
        finally:
            self._done()

    def close(self):
        close = getattr(self._pump, "close", None)
        if close is not None:
            close()


def with_authentication(handler: Handler, authenticator, auditor=None) -> Handler:
    """Who is asking; a request that fails is answered 401 and audited (WithFailedAuthenticationAudit)."""

    def authentication(req: Request) -> Response:
        try:
            user = authenticator.authenticate(req)
        except AuthenticationError as err:
            log.info("authentication failed", path=req.path, remote=req.remote, error=str(err),
                     audit_id=req.audit_id)
            user = None
        if user is None:
            err = status.unauthorized()
            if auditor is not None:
                auditor.failed_authentication(req, err.status())
            raise err
        req.user = user
        return handler(req)

    return authentication


IMPERSONATE_USER, IMPERSONATE_GROUP, IMPERSONATE_UID = "Impersonate-User", "Impersonate-Group", "Impersonate-Uid"
IMPERSONATE_EXTRA = "impersonate-extra-"
SA_PREFIX = "system:serviceaccount:"


def _impersonation_requests(headers) -> List[Tuple[str, str, str, str]]:
    """(resource, namespace, name, extra key) per thing to impersonate (buildImpersonationRequests)."""
    wanted = []
    user = headers.get(IMPERSONATE_USER) or ""
    if user:
        parts = user[len(SA_PREFIX):].split(":") if user.startswith(SA_PREFIX) else []
        if len(parts) == 2 and all(parts):
            wanted.append(("serviceaccounts", parts[0], parts[1], ""))
        else:
            wanted.append(("users", "", user, ""))
    others = [("groups", "", g, "") for g in headers.get_all(IMPERSONATE_GROUP)]
    for name, value in headers.items():
        if name.lower().startswith(IMPERSONATE_EXTRA):
            key = unquote(name[len(IMPERSONATE_EXTRA):].lower())
            others.append(("userextras", "", value, key))
    uid = headers.get(IMPERSONATE_UID) or ""
    if uid:
        others.append(("uids", "", uid, ""))
    if others and not user:
        raise status.bad_request(f"requested {[o[2] for o in others]} without impersonating a user")
    return wanted + others


def with_impersonation(handler: Handler, authorizer) -> Handler:
    """``Impersonate-*`` headers: act as another user, if the ``impersonate`` verb allows each part
    (impersonation.go). Every impersonation header is removed before the request goes on."""

    def impersonation(req: Request) -> Response:
        headers = req.headers
        if not any(name.lower().startswith("impersonate-") for name, _ in headers.items()):
            return handler(req)
        wanted = _impersonation_requests(headers)
        requester = req.user
        name, uid, groups, extra = "", "", [], {}
        groups_given = bool(headers.get_all(IMPERSONATE_GROUP))
        for resource, namespace, value, key in wanted:
            attrs = Attributes(user=requester, verb="impersonate", is_resource_request=True,
                               api_group="authentication.k8s.io" if resource in ("userextras", "uids") else "",
                               api_version="v1", resource=resource, subresource=key, namespace=namespace,
                               name=value)
            decision, reason = authorizer.authorize(attrs)
            if decision != ALLOW:
                message = forbidden_message(attrs) + (f": {reason}" if reason else "")
                raise status.forbidden(resource, attrs.api_group, value, message)
            if resource == "serviceaccounts":
                name = f"{SA_PREFIX}{namespace}:{value}"
                if not groups_given:
                    groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
            elif resource == "users":
                name = value
            elif resource == "groups":
                groups.append(value)
            elif resource == "userextras":
                extra.setdefault(key, []).append(value)
            else:
                uid = value
        if name != ANONYMOUS:
            if AUTHENTICATED not in groups and UNAUTHENTICATED not in groups:
                groups.append(AUTHENTICATED)
        elif UNAUTHENTICATED not in groups:
            groups.append(UNAUTHENTICATED)
        req.impersonator = requester
        req.user = UserInfo(name=name, uid=uid, groups=tuple(groups), extra=extra)
        for header, _ in headers.items():
            if header.lower().startswith("impersonate-") and header in headers:
                del headers[header]
        return handler(req)

    return impersonation


def with_audit(handler: Handler, auditor) -> Handler:
    """Audit events per the policy (WithAudit): RequestReceived, ResponseStarted for long-running requests,
    ResponseComplete (when a stream ends), or Panic. Without an auditor (no --audit-log-path) it is not in the
    chain at all."""
    if auditor is None:
        return handler

    def audit_filter(req: Request) -> Response:
        ctx = auditor.start(req, req.user)
        if ctx is None:
            return handler(req)
        req.audit = ctx
        if not ctx.emit(audit.STAGE_REQUEST_RECEIVED) and auditor.strict:
            return Response.text(f"Internal Server Error: {json.dumps(req.target)}: failed to store audit event\n",
                                 500)
        try:
            resp = handler(req)
        except status.StatusError as err:
            resp = Response.error(err)
        except BaseException as err:
            audit.record_request_body(ctx, req)
            ctx.panic(err)
            raise
        audit.record_request_body(ctx, req)
        audit.record_response(ctx, resp)
        if req.impersonator is not None and ctx.impersonated_user is None:   # the impersonation filter ran
            ctx.log_impersonated_user(req.user)
        if req.long_running:
            ctx.emit(audit.STAGE_RESPONSE_STARTED)
        if resp.stream is None:
            ctx.emit(audit.STAGE_RESPONSE_COMPLETE)
        else:
            resp.stream = _wrap_stream(resp.stream, lambda: ctx.emit(audit.STAGE_RESPONSE_COMPLETE))
        return resp

    return audit_filter


def _wrap_stream(stream, done):
    """Call ``done`` once a streamed response has ended, for a pump or a plain iterator alike."""
    if hasattr(stream, "serve"):
        return _CountedPump(stream, done)
    return _counted_generator(stream, done)


def with_authorization(handler: Handler, authorizer) -> Handler:
    def authorization(req: Request) -> Response:
        info = req.info
        attrs = Attributes(user=req.user, verb=info.verb, is_resource_request=info.is_resource_request,
                           path=req.path, api_group=info.api_group, api_version=info.api_version,
                           resource=info.resource, subresource=info.subresource, namespace=info.namespace,
                           name=info.name)
        decision, reason = authorizer.authorize(attrs)
        if decision == ALLOW:
            if req.audit is not None:
                audit.add_annotation(req, audit.DECISION_ANNOTATION, "allow")
                audit.add_annotation(req, audit.REASON_ANNOTATION, reason)
            return handler(req)
        if req.audit is not None:
            audit.add_annotation(req, audit.DECISION_ANNOTATION, "forbid")
            audit.add_annotation(req, audit.REASON_ANNOTATION, reason)
        message = forbidden_message(attrs) + (f": {reason}" if reason else "")
        log.info("forbidden", user=req.user.name, verb=info.verb, path=req.path, reason=reason,
                 audit_id=req.audit_id)
        raise status.forbidden(info.resource, info.api_group, info.name, message)

    return authorization


def with_max_in_flight(handler: Handler, max_read_only: int, max_mutating: int, inflight_gauge=None) -> Handler:
    """Bound concurrent requests per kind; long-running requests and system:masters are exempt (maxinflight.go)."""
    read_only = threading.BoundedSemaphore(max_read_only) if max_read_only > 0 else None
    mutating = threading.BoundedSemaphore(max_mutating) if max_mutating > 0 else None
    gauges = {}
    if inflight_gauge is not None:
        gauges = {True: inflight_gauge.labels("readOnly"), False: inflight_gauge.labels("mutating")}

    def max_in_flight(req: Request) -> Response:
        if req.long_running:
            return handler(req)
        is_read_only = req.info.read_only
        limiter = read_only if is_read_only else mutating
        gauge = gauges.get(is_read_only)
        if limiter is None or MASTERS in req.user.groups:
            if gauge is None:
                return handler(req)
            gauge.inc()
            try:
                return handler(req)
            finally:
                gauge.dec()
        if not limiter.acquire(blocking=False):
            log.info("too many requests", kind="readOnly" if is_read_only else "mutating", path=req.path,
                     audit_id=req.audit_id)
            return Response.text("Too many requests, please try again later.\n", 429, [("Retry-After", "1")])
        if gauge is not None:
            gauge.inc()
        try:
            return handler(req)
        finally:
            limiter.release()
            if gauge is not None:
                gauge.dec()

    return max_in_flight


class TimeoutWatchdog:
    """Answers 504 for requests still running past their deadline (one thread per server).

    Handlers run in their connection's thread and cannot be interrupted; as upstream's timeout filter does,
    the client gets its 504 at the deadline and whatever the handler produces later is dropped.
    """

    def __init__(self, tick: float = 0.1):
        self._tick = tick
        self._cond = threading.Condition()
        self._pending: dict = {}
        self._stopped = False
        self._thread: Optional[threading.Thread] = None

    def start(self):
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="timeout-watchdog", daemon=True)
                self._thread.start()

    def stop(self):
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def watch(self, req: Request):
        self._pending[id(req)] = req  # no lock, no notify: dict writes are atomic and the watchdog polls

    def unwatch(self, req: Request):
        self._pending.pop(id(req), None)

    def _run(self):
        with self._cond:
            while not self._stopped:
                self._cond.wait(self._tick)
                now = time.monotonic()
                expired = [r for r in list(self._pending.values()) if r.deadline is not None and r.deadline <= now]
                for req in expired:
                    if req.conn is None or req.conn.respond_from_watchdog(req, Response.error(_TIMEOUT)):
                        self._pending.pop(id(req), None)
                        log.info("request timed out", method=req.method, path=req.path, audit_id=req.audit_id)


_TIMEOUT = status.timeout("request did not complete within the allotted timeout")


def with_timeout(handler: Handler, request_timeout: float, watchdog: Optional[TimeoutWatchdog]) -> Handler:
    """Deadline = min(``?timeout=``, ``--request-timeout``) for requests that are not long-running."""

    def timeout(req: Request) -> Response:
        if req.long_running:
            return handler(req)
        limit = request_timeout
        raw = req.param("timeout")
        if raw:
            try:
                asked = parse_duration(raw)
            except ValueError as err:
                raise status.bad_request(f"invalid timeout specified in the request URL - {err}") from None
            if asked > 0:
                limit = min(limit, asked) if limit > 0 else asked
        if limit <= 0 or watchdog is None:
            return handler(req)
        req.deadline = req.received + limit
        watchdog.watch(req)
        try:
            return handler(req)
        finally:
            watchdog.unwatch(req)

    return timeout
