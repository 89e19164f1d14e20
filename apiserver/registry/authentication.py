"""authentication.k8s.io/v1 answers: TokenRequest (serviceaccounts/token), TokenReview and SelfSubjectReview
(``pkg/registry/core/serviceaccount/storage/token.go``, ``pkg/registry/authentication/``). Nothing is stored."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Callable, Dict, Optional
from urllib.parse import urlsplit

from apiserver.apis.resources import _r
from apiserver.auth import serviceaccount
from apiserver.auth.authentication import AuthenticationError, Authenticator, UserInfo, intersect
from apiserver.endpoints import status
from apiserver.registry.store import Options
from apiserver.server.request import Response

GROUP = "authentication.k8s.io"
TOKEN_REQUEST = _r(GROUP, "v1", "TokenRequest", "token", verbs=("create",), virtual=True)
MIN_EXPIRATION = 10 * 60
MAX_EXPIRATION = 1 << 32


def _timestamp(when: float) -> str:
    return dt.datetime.fromtimestamp(int(when), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_info(user: UserInfo) -> dict:
    """authentication/v1 UserInfo: empty fields are left out, as Go's omitempty does."""
    out: dict = {}
    if user.name:
        out["username"] = user.name
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = {k: list(v) for k, v in sorted(user.extra.items())}
    return out


class TokenRequests:
    """POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token."""

    def __init__(self, api, table, issuer: serviceaccount.TokenIssuer):
        self.api = api
        self.table = table
        self.issuer = issuer

    def _get(self, plural: str, namespace: str, name: str) -> dict:
        return self.api.store(self.table.lookup("", "v1", plural)).get(namespace, name)

    def create(self, req, obj: dict, namespace: str, name: str) -> dict:
        md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if md.get("name") and md["name"] != name:
            raise status.invalid(GROUP, "TokenRequest", name, [
                ("metadata.name", "FieldValueInvalid",
                 f'Invalid value: "{md["name"]}": must match the service account name if specified')])
        if md.get("namespace") and md["namespace"] != namespace:
            raise status.invalid(GROUP, "TokenRequest", name, [
                ("metadata.namespace", "FieldValueInvalid",
                 f'Invalid value: "{md["namespace"]}": must match the service account namespace if specified')])
        sa = self._get("serviceaccounts", namespace, name)
        given = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        audiences = list(given.get("audiences") or ()) or list(self.issuer.api_audiences)
        expiration = given.get("expirationSeconds")
        if expiration is None:
            expiration = 3600   # SetDefaults_TokenRequestSpec
        ref = given.get("boundObjectRef")
        if isinstance(ref, dict):   # BoundObjectReference, its fields in Go's order, empty ones left out
            ref = {k: ref[k] for k in ("kind", "apiVersion", "name", "uid") if ref.get(k)}
        # TokenRequestSpec's fields have no omitempty: boundObjectRef is null when not given
        spec = {"audiences": audiences, "expirationSeconds": expiration, "boundObjectRef": ref}
        now = time.time()
        out = {"kind": "TokenRequest", "apiVersion": f"{GROUP}/v1",
               "metadata": dict(md, name=md.get("name") or name, namespace=md.get("namespace") or namespace,
                                creationTimestamp=_timestamp(now)),
               "spec": spec}
        causes = []
        if expiration < MIN_EXPIRATION:
            causes.append(("spec.expirationSeconds", "FieldValueInvalid",
                           f"Invalid value: {expiration}: may not specify a duration less than 10 minutes"))
        if expiration > MAX_EXPIRATION:
            causes.append(("spec.expirationSeconds", "FieldValueInvalid",
                           f"Invalid value: {expiration}: may not specify a duration larger than 2^32 seconds"))
        if causes:
            raise status.invalid(GROUP, "TokenRequest", "", causes)
        pod = secret = node = None
        if isinstance(ref, dict):
            pod, secret, node = self._bound(ref, namespace, name)
        if self.issuer.max_expiration and expiration > self.issuer.max_expiration:
            # upstream also sends the warning "requested expiration of N seconds shortened to M seconds"
            expiration = spec["expirationSeconds"] = self.issuer.max_expiration
        token_seconds, warn_after = expiration, 0
        kube_audiences = set(audiences) <= set(self.issuer.api_audiences)
        if self.issuer.extend_expiration and pod is not None and \
                expiration == serviceaccount.WARN_ONLY_EXPIRATION_SECONDS and kube_audiences:
            warn_after, token_seconds = expiration, serviceaccount.EXTENDED_EXPIRATION_SECONDS
        claims = serviceaccount.claims(sa, audiences, token_seconds, now, pod=pod, secret=secret, node=node,
                                       warn_after=warn_after)
        out["status"] = {"token": self.issuer.generate(claims),
                         "expirationTimestamp": _timestamp(now + expiration)}
        return out

    def _bound(self, ref: dict, namespace: str, name: str):
        api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
        group, _, version = api_version.rpartition("/")
        pod = secret = node = None
        ref_name = ref.get("name") or ""
        if group == "" and kind == "Pod":
            pod = obj = self._get("pods", namespace, ref_name)
            if (pod.get("spec") or {}).get("serviceAccountName") != name:
                raise status.bad_request(f'cannot bind token for serviceaccount "{name}" to pod running with '
                                         "different serviceaccount name.")
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name:   # ServiceAccountTokenPodNodeInfo: the node is named in the token when it exists
                try:
                    node = self._get("nodes", "", node_name)
                except status.StatusError as err:
                    if err.code != 404:
                        raise
                    node = {"metadata": {"name": node_name}}   # the name alone still says where the pod runs
        elif group == "" and kind == "Node":
            node = obj = self._get("nodes", "", ref_name)
        elif group == "" and kind == "Secret":
            secret = obj = self._get("secrets", namespace, ref_name)
        else:
            raise status.bad_request(f"cannot bind token to object of type {group}/{version}, Kind={kind}")
        uid = obj["metadata"].get("uid", "")
        if ref.get("uid") and ref["uid"] != uid:
            raise status.conflict(group, kind, ref_name, f"the UID in the bound object reference ({ref['uid']}) "
                                  "does not match the UID in record. The object might have been deleted and then "
                                  "recreated")
        return pod, secret, node


class TokenReviews:
    """POST /apis/authentication.k8s.io/v1/tokenreviews: who a token is, asked of the request authenticator."""

    def __init__(self, authenticator: Optional[Authenticator], api_audiences):
        self.authenticator = authenticator
        self.api_audiences = list(api_audiences)

    def create(self, req, obj: dict, namespace: str, name: str) -> dict:
        if namespace:
            raise status.bad_request(f"namespace is not allowed on this type: {namespace}")
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            raise status.bad_request("token is required for TokenReview in authentication")
        md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        asked = list(spec.get("audiences") or ())
        out = {"kind": "TokenReview", "apiVersion": f"{GROUP}/v1", "metadata": dict(md, creationTimestamp=None),
               "spec": dict({"token": token}, **({"audiences": asked} if asked else {}))}
        if self.authenticator is None:
            return out
        audiences = asked or self.api_audiences
        result: dict = {"user": {}}
        try:
            response = self.authenticator.authenticate_token(token, audiences or None)
        except AuthenticationError as err:
            result["error"] = str(err)
        else:
            if audiences and not intersect(response.audiences, audiences):
                raise status.internal_error("error validating audiences")
            result = {"authenticated": True, "user": user_info(response.user)}
            if response.audiences:
                result["audiences"] = list(response.audiences)
        out["status"] = result
        return out


def self_subject_review(req, obj: dict, namespace: str, name: str) -> dict:
    """POST /apis/authentication.k8s.io/v1/selfsubjectreviews: the requester's own user info."""
    if req.user is None:
        raise status.bad_request("no user present on request")
    return {"kind": "SelfSubjectReview", "apiVersion": f"{GROUP}/v1",
            "metadata": {"creationTimestamp": _timestamp(time.time())},
            "status": {"userInfo": user_info(req.user)}}


def issuer_discovery(issuer: serviceaccount.TokenIssuer, server_url: str) -> Dict[str, Callable]:
    """``/.well-known/openid-configuration`` and ``/openid/v1/jwks`` (ServiceAccountIssuerDiscovery), when the
    issuer is an https URL; the documents never change while the server runs, so they are built once."""
    configuration = issuer.openid_configuration(urlsplit(server_url).netloc)
    if configuration is None:
        return {}
    documents = {serviceaccount.OPENID_CONFIGURATION_PATH: ("application/json", configuration),
                 serviceaccount.JWKS_PATH: ("application/jwk-set+json", issuer.jwks())}
    routes = {}
    for path, (media, document) in documents.items():
        body = json.dumps(document, separators=(",", ":")).encode()

        def serve(req, media=media, body=body) -> Response:
            if req.method not in ("GET", "HEAD"):
                raise status.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the "
                                         "requested resource")
            return Response(200, [("Content-Type", media), ("Cache-Control", "public, max-age=3600")], body)

        routes[path] = serve
    return routes


def last_used_marker(api, table) -> Callable[[str, str, str, str], None]:
    """Labels a token Secret with the day its token was last used (LegacyServiceAccountTokenTracking)."""
    secrets = api.store(table.lookup("", "v1", "secrets"))

    def mark(namespace: str, name: str, uid: str, day: str):
        def label(secret: dict) -> dict:
            if secret["metadata"].get("uid") == uid:   # the same Secret, not one made again under its name
                secret["metadata"].setdefault("labels", {})[serviceaccount.LAST_USED_LABEL] = day
            return secret
        try:
            secrets.update_internal(namespace, name, label, Options(field_manager="kube-apiserver"))
        except status.StatusError:
            pass   # gone meanwhile: the next use finds out

    return mark
