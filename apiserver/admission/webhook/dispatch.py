"""Calling one webhook: the AdmissionReview it is sent (``request/admissionreview.go``), the HTTPS POST, and the
checks on its answer, with upstream's error texts (``util/webhook/error.go``, ``webhook/errors``).

Transport failures become ``CallingError`` (subject to the webhook's failurePolicy); a webhook that answers
``allowed: false`` becomes a ``Rejection`` (a Status error in the webhook's own words).
"""

from __future__ import annotations

import base64
import binascii
import copy
import http.client
import json
import select
import socket
import ssl
import time
import urllib.parse
from typing import Any, List, Optional

from apiserver.admission.interface import DELETE, Attributes
from apiserver.admission.webhook.config import Hook, Invocation, request_namespace
from apiserver.endpoints import status
from apiserver.registry import meta, strategy

REVIEW_API_VERSION = "admission.k8s.io/v1"
MAX_TIMEOUT = 30
MAX_RESPONSE_BYTES = 3 * 1024 * 1024 + 1024   # upstream's request body limit plus room for the envelope
USER_AGENT = "kube-apiserver-admission"


class CallingError(Exception):
    """webhookutil.ErrCallingWebhook: the webhook could not be asked, or its answer could not be read."""

    def __init__(self, webhook: str, reason: str):
        super().__init__(f"failed calling webhook {_go_quote(webhook)}: {reason}")
        self.webhook = webhook
        self.reason = reason


class Rejection(status.StatusError):
    """The webhook's own Status (errors.ToStatusErr); like metav1.Status, an empty reason is left out."""

    def status(self) -> dict:
        body = super().status()
        if not self.reason:
            body.pop("reason", None)
        return body


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def rejection(webhook: str, result: Any) -> Rejection:
    """ToStatusErr: ``admission webhook "<name>" denied the request: <message>``, code at least 400."""
    result = result if isinstance(result, dict) else {}
    denied = f"admission webhook {_go_quote(webhook)} denied the request"
    code = result.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) and code >= 400 else 400
    message, reason = result.get("message"), result.get("reason")
    if isinstance(message, str) and message:
        text = f"{denied}: {message}"
    elif isinstance(reason, str) and reason:
        text = f"{denied}: {reason}"
    else:
        text = f"{denied} without explanation"
    details = result.get("details") if isinstance(result.get("details"), dict) else None
    return Rejection(code, reason if isinstance(reason, str) else "", text, details)


def dry_run_unsupported(webhook: str) -> status.StatusError:
    return status.bad_request(f"admission webhook {_go_quote(webhook)} does not support dry run")


def check_dry_run(hook: Hook, attrs: Attributes) -> None:
    """A dry-run request reaches only webhooks that declare no side effects (None or NoneOnDryRun)."""
    if not attrs.dry_run:
        return
    if hook.side_effects is None:
        raise CallingError(hook.name, "Webhook SideEffects is nil")
    if hook.side_effects not in ("None", "NoneOnDryRun"):
        raise dry_run_unsupported(hook.name)


# -- the request


def convert(obj: Optional[dict], source, target) -> Optional[dict]:
    """An object of ``source``'s version as ``target``'s (equivalent resources share their storage)."""
    if obj is None or source is target:
        return obj
    if source.custom or target.custom:
        out = dict(obj)
    else:
        out = strategy.from_storage(target.group, target.version, target.kind,
                                    strategy.to_storage(source.group, source.kind, obj))
        out = dict(out)
    out["apiVersion"], out["kind"] = target.api_version, target.kind
    return out


def typed(obj: Optional[dict], resource) -> Optional[dict]:
    """The object as sent: with its apiVersion and kind, as a versioned object is encoded."""
    if obj is None:
        return None
    if obj.get("apiVersion") == resource.api_version and obj.get("kind") == resource.kind:
        return obj
    out = {"apiVersion": resource.api_version, "kind": resource.kind}
    out.update((k, v) for k, v in obj.items() if k not in ("apiVersion", "kind"))
    return out


def _gvk(r) -> dict:
    return {"group": r.group, "version": r.version, "kind": r.kind}


def _gvr(r) -> dict:
    return {"group": r.group, "version": r.version, "resource": r.plural}


def user_info(user) -> dict:
    """authenticationv1.UserInfo (empty fields left out, as omitempty does)."""
    info: dict = {}
    if user is None:
        return info
    if getattr(user, "name", ""):
        info["username"] = user.name
    if getattr(user, "uid", ""):
        info["uid"] = user.uid
    if getattr(user, "groups", ()):
        info["groups"] = list(user.groups)
    if getattr(user, "extra", None):
        info["extra"] = {k: list(v) for k, v in user.extra.items()}
    return info


def operation_options(attrs: Attributes) -> dict:
    """The Create/Update/DeleteOptions of the request (what the handler recorded, else their bare form)."""
    if attrs.options:
        return attrs.options
    kind = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}.get(attrs.operation)
    if kind is None:
        return {}
    options: dict = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
    if attrs.dry_run:
        options["dryRun"] = ["All"]
    return options


def admission_request(invocation: Invocation, attrs: Attributes, uid: str, obj: Optional[dict],
                      old: Optional[dict]) -> dict:
    """CreateV1AdmissionReview's request: ``kind``/``resource`` are what the webhook matched (an equivalent
    under matchPolicy Equivalent), ``requestKind``/``requestResource`` what the client asked for."""
    request = {"uid": uid, "kind": _gvk(invocation.resource), "resource": _gvr(invocation.resource)}
    if invocation.subresource:
        request["subResource"] = invocation.subresource
    request["requestKind"] = _gvk(attrs.resource)
    request["requestResource"] = _gvr(attrs.resource)
    if attrs.subresource:
        request["requestSubResource"] = attrs.subresource
    name = attrs.name or ((attrs.obj or {}).get("metadata") or {}).get("name") or ""
    if name:
        request["name"] = name
    namespace = request_namespace(attrs)
    if namespace:
        request["namespace"] = namespace
    request["operation"] = attrs.operation
    request["userInfo"] = user_info(attrs.user)
    request["object"] = obj
    request["oldObject"] = old
    request["dryRun"] = bool(attrs.dry_run)
    options = operation_options(attrs)
    request["options"] = options or None
    return request


def defaulted(obj: dict, resource) -> dict:
    """The object with its type's defaults: upstream decodes request bodies with defaulting, so mutating
    webhooks see defaulted objects (the registry here defaults after the mutating phase)."""
    out = copy.deepcopy(obj)
    try:
        if resource.custom:
            from apiserver.apiextensions import customresource
            customresource.default(resource, out)
        else:
            strategy.apply_defaults(resource.group, resource.kind, out, creating=False)
    except (TypeError, ValueError, AttributeError, KeyError):
        return copy.deepcopy(obj)   # a malformed object: validation refuses it later, with its own message
    return out


def versioned_objects(invocation: Invocation, attrs: Attributes, mutating: bool = False):
    """(object, oldObject) in the version the webhook is called for."""
    obj = None if attrs.operation == DELETE else typed(attrs.obj, attrs.resource)
    if mutating and obj is not None:
        obj = defaulted(obj, attrs.resource)
    old = typed(attrs.old, attrs.resource)
    if invocation.converts(attrs):
        obj, old = convert(obj, attrs.resource, invocation.resource), convert(old, attrs.resource,
                                                                               invocation.resource)
    return obj, old


def new_review(request: dict) -> dict:
    return {"kind": "AdmissionReview", "apiVersion": REVIEW_API_VERSION, "request": request}


def new_uid() -> str:
    return meta.new_uid()


# -- the call


def _endpoint(hook: Hook) -> urllib.parse.SplitResult:
    """The URL to POST to; a service reference cannot be routed by this server (no cluster network)."""
    config = hook.client_config
    url, service = config.get("url"), config.get("service")
    timeout = f"?timeout={hook_timeout(hook)}s"
    if isinstance(url, str) and url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https":
            raise CallingError(hook.name, f"could not get REST client: webhook URL {_go_quote(url)} is not "
                                          "https: only https webhooks can be called")
        return parts
    if isinstance(service, dict):
        port = service.get("port") or 443
        path = service.get("path") or ""
        target = f"https://{service.get('name', '')}.{service.get('namespace', '')}.svc:{port}{path}{timeout}"
        raise CallingError(hook.name, f"failed to call webhook: Post {_go_quote(target)}: service "
                                      f"{service.get('namespace', '')}/{service.get('name', '')} cannot be "
                                      "reached: this API server has no cluster network to route service webhooks "
                                      "through; use clientConfig.url")
    raise CallingError(hook.name, "could not get REST client: webhook configuration must have either service or "
                                  "URL")


def hook_timeout(hook: Hook) -> int:
    return max(1, min(MAX_TIMEOUT, hook.timeout))


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _transport_error(err: BaseException, host: str, port: int) -> str:
    """The Go net/http error text for a failed call (what upstream's messages show)."""
    if isinstance(err, (socket.timeout, TimeoutError)):
        return "context deadline exceeded"
    if isinstance(err, ConnectionRefusedError):
        return f"dial tcp {_host_port(host, port)}: connect: connection refused"
    if isinstance(err, ssl.SSLCertVerificationError):
        message = err.verify_message or str(err)
        if err.verify_code in (18, 19, 20, 21):   # self-signed, unknown issuer
            message = "certificate signed by unknown authority"
        elif err.verify_code == 62:   # hostname mismatch (Go names the certificate's names; Python does not)
            message = f"certificate is not valid for {host}"
        elif err.verify_code == 10:
            message = "certificate has expired or is not yet valid"
        return f"tls: failed to verify certificate: x509: {message}"
    if isinstance(err, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host"
    if isinstance(err, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "EOF"
    if isinstance(err, ssl.SSLError):
        return f"tls: {err.reason or err}"
    if isinstance(err, (ConnectionResetError, BrokenPipeError)):
        return "read: connection reset by peer"
    if isinstance(err, http.client.RemoteDisconnected):
        return "EOF"
    return str(err) or type(err).__name__


def _error_body(code: int, body: bytes) -> str:
    """client-go's error for a non-2xx answer: the Status message if the body is one, else a generic text."""
    try:
        decoded = json.loads(body)
        if isinstance(decoded, dict) and decoded.get("kind") == "Status" and decoded.get("message"):
            return str(decoded["message"])
    except ValueError:
        pass
    text = body.decode("utf-8", "replace").strip()
    generic = {400: "the server rejected our request for an unknown reason",
               401: "the server has asked for the client to provide credentials",
               403: "forbidden", 404: "the server could not find the requested resource",
               405: "the server does not allow this method on the requested resource",
               409: "the server reported a conflict", 429: "the server has received too many requests and has "
               "asked us to try again later", 503: "the server is currently unable to handle the request",
               504: "the server was unable to return a response in the time allotted, but may still be processing "
               "the request"}
    if code in generic and not (code >= 500 and text):
        return generic[code]
    if code >= 500:
        return f"an error on the server ({_go_quote(text)}) has prevented the request from succeeding"
    return f"the server responded with the status code {code} but did not return more information"


def _idle_connection(hook: Hook):
    """A kept-alive connection the server has not closed meanwhile (an idle socket that is readable has seen
    the server's close, or something unasked for)."""
    while True:
        conn = hook.take_connection()
        if conn is None or conn.sock is None:
            return None
        try:
            readable = select.select([conn.sock], [], [], 0)[0]
        except (OSError, ValueError):
            readable = [conn.sock]
        if not readable:
            return conn
        conn.close()


def post(hook: Hook, review: dict) -> dict:
    """POST the review and decode the answer; any failure is a CallingError."""
    parts = _endpoint(hook)
    context, tls_error = hook.tls_context()
    if context is None:
        raise CallingError(hook.name, f"could not get REST client: {tls_error}")
    timeout = hook_timeout(hook)
    query = f"timeout={timeout}s"
    path = (parts.path or "/") + "?" + (f"{parts.query}&{query}" if parts.query else query)
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query and f"{parts.query}&{query}"
                                   or query, ""))
    host, port = parts.hostname or "", parts.port or 443
    body = json.dumps(review, separators=(",", ":"), ensure_ascii=False).encode()
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        return left

    headers = {"Content-Type": "application/json", "Accept": "application/json, */*", "User-Agent": USER_AGENT}
    for attempt in range(2):
        conn, reused = _idle_connection(hook), True
        keep = False
        try:
            if conn is None:
                conn, reused = http.client.HTTPSConnection(host, port, context=context, timeout=remaining()), False
                conn.connect()
            conn.sock.settimeout(remaining())
            conn.request("POST", path, body=body, headers=headers)
            conn.sock.settimeout(remaining())
            resp = conn.getresponse()
            data = resp.read(MAX_RESPONSE_BYTES + 1)
            remaining()
            keep = resp.isclosed() and not resp.will_close
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError,
                ssl.SSLZeroReturnError) as err:
            # the server closed an idle keep-alive connection before reading this request: try a new one
            if reused and attempt == 0:
                continue
            raise CallingError(hook.name, f"failed to call webhook: Post {_go_quote(url)}: "
                                          f"{_transport_error(err, host, port)}") from None
        except (OSError, http.client.HTTPException) as err:
            raise CallingError(hook.name, f"failed to call webhook: Post {_go_quote(url)}: "
                                          f"{_transport_error(err, host, port)}") from None
        finally:
            if conn is not None:
                if keep:
                    hook.return_connection(conn)
                else:
                    conn.close()
    if len(data) > MAX_RESPONSE_BYTES:
        raise CallingError(hook.name, f"failed to call webhook: Post {_go_quote(url)}: the response is larger than "
                                      f"{MAX_RESPONSE_BYTES} bytes")
    if not 200 <= resp.status < 300:
        raise CallingError(hook.name, f"failed to call webhook: {_error_body(resp.status, data)}")
    try:
        answer = json.loads(data)
    except ValueError as err:
        raise CallingError(hook.name, f"failed to call webhook: {err}") from None
    if not isinstance(answer, dict):
        raise CallingError(hook.name, "failed to call webhook: json: cannot unmarshal into Go value of type "
                                      "v1.AdmissionReview")
    return answer


class Result:
    """request.AdmissionResponse: what a verified answer says."""

    def __init__(self, allowed: bool, patch: Optional[bytes], patch_type: str, result: Any, warnings: List[str],
                 annotations: dict):
        self.allowed = allowed
        self.patch = patch
        self.patch_type = patch_type
        self.result = result
        self.warnings = warnings
        self.annotations = annotations


def verify(hook: Hook, uid: str, answer: dict, mutating: bool) -> Result:
    """VerifyAdmissionResponse, for admission.k8s.io/v1."""
    def invalid(message: str) -> CallingError:
        return CallingError(hook.name, f"received invalid webhook response: {message}")

    response = answer.get("response")
    if not isinstance(response, dict):
        raise invalid("webhook response was absent")
    got_uid = response.get("uid") if isinstance(response.get("uid"), str) else ""
    if got_uid != uid:
        raise invalid(f"expected response.uid={_go_quote(uid)}, got {_go_quote(got_uid)}")
    api_version = answer.get("apiVersion") if isinstance(answer.get("apiVersion"), str) else ""
    kind = answer.get("kind") if isinstance(answer.get("kind"), str) else ""
    if api_version != REVIEW_API_VERSION or kind != "AdmissionReview":
        group, _, version = api_version.rpartition("/")
        raise invalid(f"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
                      f"{group}/{version}, Kind={kind}")
    raw_patch, patch_type = response.get("patch"), response.get("patchType")
    patch = None
    if raw_patch:
        try:
            patch = base64.b64decode(raw_patch, validate=True) if isinstance(raw_patch, str) else None
        except (binascii.Error, ValueError):
            patch = None
        if patch is None:
            raise CallingError(hook.name, "failed to call webhook: illegal base64 data in response.patch")
    if mutating:
        if patch and patch_type is None:
            raise invalid("webhook returned response.patch but not response.patchType")
        if not patch and patch_type is not None:
            raise invalid("webhook returned response.patchType but not response.patch")
        if patch_type is not None and not patch_type:
            raise invalid(f"webhook returned invalid response.patchType of {_go_quote(str(patch_type))}")
    else:
        if patch:
            raise invalid("validating webhook may not return response.patch")
        if patch_type is not None:
            raise invalid("validating webhook may not return response.patchType")
    warnings = [w for w in response.get("warnings") or () if isinstance(w, str)] \
        if isinstance(response.get("warnings"), list) else []
    annotations = response.get("auditAnnotations") if isinstance(response.get("auditAnnotations"), dict) else {}
    return Result(response.get("allowed") is True, patch, patch_type or "", response.get("status"), warnings,
                  annotations)


def call(hook: Hook, invocation: Invocation, attrs: Attributes, mutating: bool):
    """One call: (result, the object sent). Dry-run and review-version checks come first, as upstream's."""
    check_dry_run(hook, attrs)
    if "v1" not in hook.review_versions:
        raise CallingError(hook.name, "could not create admission objects: webhook does not accept known "
                                      "AdmissionReview versions (v1, v1beta1)")
    obj, old = versioned_objects(invocation, attrs, mutating)
    uid = new_uid()
    review = new_review(admission_request(invocation, attrs, uid, obj, old))
    answer = post(hook, review)
    result = verify(hook, uid, answer, mutating)
    for key, value in result.annotations.items():
        attrs.annotations[f"{hook.name}/{key}"] = value
    attrs.warnings.extend(result.warnings)
    if not result.allowed:
        raise rejection(hook.name, result.result)
    return result, obj
