"""One request's audit event (audit.k8s.io/v1 ``Event``) and its context, as upstream's ``AuditContext``:
built when the policy says the request is audited, filled in as the request goes (annotations, objects,
response status), and handed to the backend once per stage."""

from __future__ import annotations

import datetime
import ipaddress
import json
import threading
import time
from typing import Optional

from apiserver import logs
from apiserver.audit.policy import (
    API_VERSION,
    LEVEL_METADATA,
    LEVEL_REQUEST,
    LEVEL_REQUEST_RESPONSE,
    STAGE_PANIC,
    STAGE_REQUEST_RECEIVED,
    RequestAuditConfig,
    level_at_least,
)

log = logs.get_logger(__name__)

MAX_USER_AGENT = 1024
_OBJECT_REF_FIELDS = ("resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion",
                      "subresource")


def micro_time(wall: float) -> str:
    """metav1.MicroTime's JSON form: UTC, always six fractional digits."""
    return datetime.datetime.fromtimestamp(wall, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def user_info(user) -> dict:
    """authentication/v1 UserInfo with its omitempty fields; {} for no user (failed authentication)."""
    if user is None:
        return {}
    out = {"username": user.name} if user.name else {}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = {k: list(v) for k, v in user.extra.items()}
    return out


def _ip(text: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def source_ips(req) -> list:
    """utilnet.SourceIPs: X-Forwarded-For, then X-Real-Ip, then the peer address (not repeated)."""
    ips = []
    forwarded = req.headers.get("X-Forwarded-For")
    if forwarded:
        ips = [ip for ip in (_ip(part) for part in forwarded.split(",")) if ip is not None]
    real = req.headers.get("X-Real-Ip")
    if real:
        ip = _ip(real)
        if ip is not None and ip not in ips:
            ips.append(ip)
    remote = _ip(req.remote) if req.remote else None
    if remote is not None and (not ips or ips[-1] != remote):
        ips.append(remote)
    return ips


def strip_managed_fields(obj):
    """A copy without metadata.managedFields: the object, a list's items, or a Table's row objects."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    md = out.get("metadata")
    if isinstance(md, dict) and "managedFields" in md:
        out["metadata"] = {k: v for k, v in md.items() if k != "managedFields"}
    items = out.get("items")
    if isinstance(items, list):
        out["items"] = [strip_managed_fields(item) for item in items]
    rows = out.get("rows")
    if out.get("kind") == "Table" and isinstance(rows, list):
        out["rows"] = [dict(row, object=strip_managed_fields(row["object"]))
                       if isinstance(row, dict) and isinstance(row.get("object"), dict) else row for row in rows]
    return out


class AuditContext:
    """The audit state of one request; ``req.audit`` while the request runs."""

    def __init__(self, config: RequestAuditConfig, sink, req, user, info):
        self.config = config
        self.level = config.level
        self._sink = sink
        self._lock = threading.Lock()
        wall = time.time() - (time.monotonic() - req.received)
        agent = req.user_agent
        if len(agent) > MAX_USER_AGENT:
            agent = agent[:MAX_USER_AGENT] + "...TRUNCATED"
        self.audit_id = req.audit_id
        self.request_uri = req.target
        self.verb = info.verb if info is not None else req.method.lower()
        self.user = user_info(user)
        self.impersonated_user: Optional[dict] = None
        self.source_ips = source_ips(req)
        self.user_agent = agent
        self.object_ref: Optional[dict] = None
        if info is not None and info.is_resource_request:
            self.object_ref = {"resource": info.resource, "namespace": info.namespace, "name": info.name,
                               "apiGroup": info.api_group, "apiVersion": info.api_version,
                               "subresource": info.subresource}
        self.response_status: Optional[dict] = None
        self.request_object = None
        self.response_object = None
        self.received = micro_time(wall)
        self.annotations: dict = {}

    # -- what handlers and filters record

    def add_annotation(self, key: str, value: str):
        """Set an annotation once; a different value for a set key is refused (upstream's logAnnotation)."""
        with self._lock:
            current = self.annotations.get(key)
            if current is not None and current != value:
                log.warning("audit annotation already set", key=key, value=value, current=current,
                            audit_id=self.audit_id)
                return
            self.annotations[key] = value

    def log_impersonated_user(self, user):
        self.impersonated_user = user_info(user)

    def log_request_object(self, obj, patch: bool = False):
        """Fill objectRef from the object's metadata; keep the object itself at level Request and above."""
        if isinstance(obj, dict) and not patch and self.object_ref is not None:
            md = obj.get("metadata")
            if isinstance(md, dict):
                for key in ("namespace", "name", "uid", "resourceVersion"):
                    if not self.object_ref.get(key) and isinstance(md.get(key), str):
                        self.object_ref[key] = md[key]
        if level_at_least(self.level, LEVEL_REQUEST):
            self.request_object = strip_managed_fields(obj) if self.config.omit_managed_fields else obj

    def log_response(self, code: int, obj=None):
        """The response code, a Status's bounded fields, and the object itself at level RequestResponse."""
        status = {"metadata": {}}
        if isinstance(obj, dict) and obj.get("kind") == "Status":
            for key in ("status", "message", "reason", "details"):
                if key in obj and obj[key] not in ("", None):
                    status[key] = obj[key]
        status["code"] = code
        self.response_status = status
        if obj is not None and level_at_least(self.level, LEVEL_REQUEST_RESPONSE):
            self.response_object = strip_managed_fields(obj) if self.config.omit_managed_fields else obj

    def log_panic(self, err: BaseException):
        self.response_status = {"metadata": {}, "status": "Failure",
                                "message": f"APIServer panic'd: {err}", "reason": "InternalError", "code": 500}

    # -- emitting

    def event(self, stage: str) -> dict:
        """The Event at ``stage``, in upstream's field order with its omitempty rules."""
        ev = {"kind": "Event", "apiVersion": API_VERSION, "level": self.level, "auditID": self.audit_id,
              "stage": stage, "requestURI": self.request_uri, "verb": self.verb, "user": self.user}
        if self.impersonated_user is not None:
            ev["impersonatedUser"] = self.impersonated_user
        if self.source_ips:
            ev["sourceIPs"] = self.source_ips
        if self.user_agent:
            ev["userAgent"] = self.user_agent
        if self.object_ref is not None:
            ev["objectRef"] = {k: self.object_ref[k] for k in _OBJECT_REF_FIELDS if self.object_ref.get(k)}
        if self.response_status is not None:
            ev["responseStatus"] = self.response_status
        if self.request_object is not None:
            ev["requestObject"] = self.request_object
        if self.response_object is not None:
            ev["responseObject"] = self.response_object
        ev["requestReceivedTimestamp"] = self.received
        ev["stageTimestamp"] = self.received if stage == STAGE_REQUEST_RECEIVED else micro_time(time.time())
        if self.annotations:
            with self._lock:
                ev["annotations"] = dict(self.annotations)
        return ev

    def emit(self, stage: str) -> bool:
        """Hand the event at ``stage`` to the sink unless the policy omits that stage."""
        if stage in self.config.omit_stages:
            return True
        return self._sink.process(self.event(stage))

    def panic(self, err: BaseException):
        self.log_panic(err)
        self.emit(STAGE_PANIC)


def add_annotation(req, key: str, value: str):
    """Record an audit annotation on the request's event, if it is audited at Metadata or above."""
    ctx = getattr(req, "audit", None)
    if ctx is not None and level_at_least(ctx.level, LEVEL_METADATA):
        ctx.add_annotation(key, value)


def decode_body(body: bytes, content_type: str):
    """The request body as JSON data, for requestObject: JSON, YAML (PyYAML) or protobuf; None if undecodable."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/vnd.kubernetes.protobuf":
        try:
            from apiserver.codec import protobuf
            return protobuf.decode(body)
        except Exception:  # noqa: BLE001 - the handler already answered the client about a bad body
            return None
    try:
        return json.loads(body)
    except ValueError:
        pass
    if "yaml" in media:
        try:
            import yaml
        except ImportError:
            yaml = None
        try:
            if yaml is not None:
                return yaml.safe_load(body)
            from apiserver.audit import yamlsubset
            return yamlsubset.loads(body.decode("utf-8"))
        except Exception:  # noqa: BLE001 - a bad body: the handler has answered the client about it
            return None
    return None
