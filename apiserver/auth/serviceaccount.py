"""Service account tokens: minting bound tokens (``pkg/serviceaccount/claims.go``, ``jwt.go``) and
authenticating them (``jwtTokenAuthenticator`` with the bound-token ``validator``).

A token is a JWT whose issuer is one of ``--service-account-issuer``; it is accepted when one of the
verification keys signed it, it is within its lifetime (with go-jose's one-minute leeway), one of its
audiences is asked for, and the service account (and the pod, secret or node it is bound to) still exists
with the uid the token names.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence
from urllib.parse import urlsplit

from apiserver.auth import jwt
from apiserver.auth.authentication import CREDENTIAL_ID, AuthenticationError, TokenResponse, UserInfo, intersect

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
USERNAME_PREFIX = "system:serviceaccount:"
ALL_GROUP = "system:serviceaccounts"
POD_NAME, POD_UID = "authentication.kubernetes.io/pod-name", "authentication.kubernetes.io/pod-uid"
NODE_NAME, NODE_UID = "authentication.kubernetes.io/node-name", "authentication.kubernetes.io/node-uid"
OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/openid/v1/jwks"
LEEWAY = 60.0                                     # jwt.DefaultLeeway
WARN_ONLY_EXPIRATION_SECONDS = 3607               # what the kubelet asks for projected tokens
EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600     # token.ExpirationExtensionSeconds

Getter = Callable[[str, str, str], dict]          # (plural, namespace, name) -> object; raises AuthenticationError


def make_username(namespace: str, name: str) -> str:
    return f"{USERNAME_PREFIX}{namespace}:{name}"


def group_names(namespace: str) -> tuple:
    return (ALL_GROUP, f"system:serviceaccounts:{namespace}")


def _ref(obj: dict) -> dict:
    """A claim's object reference; empty fields are left out (omitempty)."""
    md = obj.get("metadata") or {}
    return {k: md[k] for k in ("name", "uid") if md.get(k)}


def claims(sa: dict, audiences: Sequence[str], expiration_seconds: int, now: float, *, pod: Optional[dict] = None,
           secret: Optional[dict] = None, node: Optional[dict] = None, warn_after: int = 0) -> dict:
    """The public and private claims of a bound token (``token.Claims``), without ``iss``."""
    md = sa["metadata"]
    issued = int(now)
    kubernetes = {"namespace": md["namespace"], "serviceaccount": _ref(sa)}
    if pod is not None:
        kubernetes["pod"] = _ref(pod)
        if node is not None:   # ServiceAccountTokenPodNodeInfo: the pod's node rides along
            kubernetes["node"] = _ref(node)
    elif secret is not None:
        kubernetes["secret"] = _ref(secret)
    elif node is not None:
        kubernetes["node"] = _ref(node)
    if warn_after:
        kubernetes["warnafter"] = issued + warn_after
    return {"aud": list(audiences), "exp": issued + int(expiration_seconds), "iat": issued,
            "jti": str(uuid.uuid4()), "kubernetes.io": kubernetes, "nbf": issued,
            "sub": make_username(md["namespace"], md["name"])}


@dataclass
class TokenIssuer:
    """What TokenRequest needs to mint tokens (``--service-account-*`` flags), and what discovery publishes."""

    issuer: str
    key: jwt.SigningKey
    api_audiences: Sequence[str]
    max_expiration: int = 0          # seconds; 0: no limit
    extend_expiration: bool = True
    public_keys: Sequence[jwt.PublicKey] = ()   # every verification key, for the JWKS document
    jwks_uri: str = ""                          # --service-account-jwks-uri

    def generate(self, private_and_public: dict) -> str:
        return jwt.sign(dict(private_and_public, iss=self.issuer), self.key)

    def generate_legacy(self, sa: dict, secret_name: str) -> str:
        """A Secret-held token: no expiry, no audience, the legacy issuer (the tokens controller's)."""
        return jwt.sign(legacy_claims(sa, secret_name), self.key)

    def openid_configuration(self, external_address: str) -> Optional[dict]:
        """``/.well-known/openid-configuration`` (openidmetadata.go), or None when the issuer is not an https
        URL without query or fragment, which OIDC requires."""
        parts = urlsplit(self.issuer)
        if parts.scheme != "https" or parts.query or parts.fragment or not parts.netloc:
            return None
        return {"issuer": self.issuer, "jwks_uri": self.jwks_uri or f"https://{external_address}{JWKS_PATH}",
                "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": sorted({k.alg for k in self.public_keys})}

    def jwks(self) -> dict:
        """``/openid/v1/jwks``: the verification keys as go-jose writes a JSONWebKeySet."""
        keys = []
        for key in self.public_keys:
            entry = {"use": "sig", "kty": "EC" if isinstance(key, jwt.ECPublicKey) else "RSA", "kid": jwt.key_id(key)}
            if isinstance(key, jwt.ECPublicKey):
                entry.update(crv="P-256", alg=key.alg, x=jwt.b64url_encode(key.point.x.to_bytes(32, "big")),
                             y=jwt.b64url_encode(key.point.y.to_bytes(32, "big")))
            else:
                e = key.e.to_bytes((key.e.bit_length() + 7) // 8, "big")
                entry.update(alg=key.alg, n=jwt.b64url_encode(key.n.to_bytes(key.size, "big")),
                             e=jwt.b64url_encode(e))
            keys.append(entry)
        return {"keys": keys}


def _go_quote_list(values: Sequence[str]) -> str:
    """Go's %q of a []string: ``["a" "b"]``."""
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def _number(claims_: dict, name: str) -> Optional[float]:
    value = claims_.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AuthenticationError("square/go-jose/jwt: expected number value to unmarshal NumericDate")
    return float(value)


class ServiceAccountTokenAuthenticator:
    """Accepts service account tokens of its issuers (signature, audiences, then its validator); says nothing
    about tokens from other issuers (``jwtTokenAuthenticator``)."""

    _CACHE_SIZE = 4096

    def __init__(self, issuers: Sequence[str], keys: List[jwt.PublicKey], implicit_audiences: Sequence[str],
                 validator):
        self.issuers = frozenset(issuers)
        self.keys = list(keys)
        self.implicit_audiences = tuple(implicit_audiences)
        self.validator = validator   # BoundValidator or LegacyValidator: validate(token, public) -> UserInfo
        # Signatures verified before, by token digest: verifying is pure, so remembering it changes no answer.
        self._verified: collections.OrderedDict[bytes, dict] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _claims(self, token: str) -> Optional[dict]:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            cached = self._verified.get(digest)
            if cached is not None:
                self._verified.move_to_end(digest)
                return cached
        try:
            jwt.parse(token)
        except jwt.JWTError:
            return None   # not a JWS at all: not ours to judge
        try:
            verified = jwt.verify(token, self.keys)
        except jwt.JWTError as err:
            raise AuthenticationError(str(err), err.messages) from None
        with self._lock:
            self._verified[digest] = verified
            if len(self._verified) > self._CACHE_SIZE:
                self._verified.popitem(last=False)
        return verified

    def authenticate_token(self, token: str, audiences: Optional[Sequence[str]]) -> Optional[TokenResponse]:
        unverified = jwt.unverified_claims(token)
        if unverified is None or not isinstance(unverified.get("iss"), str) or unverified["iss"] not in self.issuers:
            return None
        public = self._claims(token)
        if public is None:
            return None
        if public.get("iss") not in self.issuers:
            raise AuthenticationError(f"token issuer {json.dumps(public.get('iss'))} is invalid")
        aud = public.get("aud")
        if aud is None:
            aud = []
        if isinstance(aud, str):
            aud = [aud]
        if not isinstance(aud, list) or not all(isinstance(a, str) for a in aud):
            raise AuthenticationError("square/go-jose/jwt: expected string or array value to unmarshal to Audience")
        token_audiences = list(aud)
        if not token_audiences:
            token_audiences = list(self.implicit_audiences)   # legacy tokens carry no audience
        requested = list(audiences) if audiences is not None else list(self.implicit_audiences)
        auds = intersect(token_audiences, requested)
        if not auds and self.implicit_audiences:
            raise AuthenticationError(f"token audiences {_go_quote_list(token_audiences)} is invalid for the target "
                                      f"audiences {_go_quote_list(requested)}")
        return TokenResponse(self.validator.validate(token, public), auds)


class BoundValidator:
    """Bound tokens (TokenRequest's): lifetime, then the objects the token names must still be there."""

    def __init__(self, getter: Getter, clock: Callable[[], float] = time.time):
        self.getter = getter
        self.clock = clock

    def validate(self, token: str, public: dict) -> UserInfo:
        now = self.clock()
        nbf, exp, iat = _number(public, "nbf"), _number(public, "exp"), _number(public, "iat")
        if nbf is not None and now + LEEWAY < nbf:
            raise AuthenticationError("service account token is not valid yet")
        if exp is not None and now - LEEWAY > exp:
            raise AuthenticationError("service account token has expired")
        if iat is not None and now + LEEWAY < iat:
            raise AuthenticationError("service account token is issued in the future")
        private = public.get("kubernetes.io")
        if not isinstance(private, dict):
            raise AuthenticationError("service account token claims could not be validated due to unexpected "
                                      "private claim")
        namespace = str(private.get("namespace") or "")
        sa_ref = private.get("serviceaccount") if isinstance(private.get("serviceaccount"), dict) else {}
        pod_ref, secret_ref, node_ref = private.get("pod"), private.get("secret"), private.get("node")
        invalid_before = now - LEEWAY

        def deleted(obj: dict) -> bool:
            stamp = (obj.get("metadata") or {}).get("deletionTimestamp")
            return bool(stamp) and _parse_time(stamp) < invalid_before

        sa_name = str(sa_ref.get("name") or "")
        sa = self.getter("serviceaccounts", namespace, sa_name)   # not found: upstream's NotFound message
        sa_uid = sa["metadata"].get("uid", "")
        if sa_uid != sa_ref.get("uid"):
            raise AuthenticationError(f"service account UID ({sa_uid}) does not match claim ({sa_ref.get('uid', '')})")
        if deleted(sa):
            raise AuthenticationError(f"service account {namespace}/{sa_name} has been deleted")
        if isinstance(secret_ref, dict):
            self._bound("secrets", namespace, secret_ref, deleted, "secret UID ({}) does not match service account "
                        "secret ref claim ({})")
        extra = {}
        if isinstance(pod_ref, dict):
            self._bound("pods", namespace, pod_ref, deleted, "pod UID ({}) does not match service account pod ref "
                        "claim ({})")
            if pod_ref.get("name") and pod_ref.get("uid"):
                extra[POD_NAME], extra[POD_UID] = [pod_ref["name"]], [pod_ref["uid"]]
        if isinstance(node_ref, dict):
            if not isinstance(pod_ref, dict):   # a pod-bound token only carries its node's name along
                self._bound("nodes", "", node_ref, deleted, "node UID ({}) does not match service account node ref "
                            "claim ({})")
            if node_ref.get("name"):
                extra[NODE_NAME] = [node_ref["name"]]
                if node_ref.get("uid"):
                    extra[NODE_UID] = [node_ref["uid"]]
        if isinstance(public.get("jti"), str) and public["jti"]:
            extra[CREDENTIAL_ID] = ["JTI=" + public["jti"]]
        return UserInfo(make_username(namespace, sa_name), sa_uid, group_names(namespace),
                        dict(sorted(extra.items())))

    def _bound(self, plural: str, namespace: str, ref: dict, deleted, uid_mismatch: str) -> None:
        """The bound object must still exist, with the token's uid, and not be deleted (more than a leeway ago)."""
        try:
            obj = self.getter(plural, namespace, str(ref.get("name") or ""))
        except AuthenticationError:
            raise AuthenticationError("service account token has been invalidated") from None
        uid = obj["metadata"].get("uid", "")
        if uid != ref.get("uid"):
            raise AuthenticationError(uid_mismatch.format(uid, ref.get("uid", "")))
        if deleted(obj):
            raise AuthenticationError("service account token has been invalidated")


LEGACY_ISSUER = "kubernetes/serviceaccount"
SECRET_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
SA_UID_ANNOTATION = "kubernetes.io/service-account.uid"
LAST_USED_LABEL = "kubernetes.io/legacy-token-last-used"
INVALID_SINCE_LABEL = "kubernetes.io/legacy-token-invalid-since"
_LEGACY = "kubernetes.io/serviceaccount/"


def legacy_claims(sa: dict, secret_name: str) -> dict:
    """The claims of a Secret-held token (``LegacyClaims``), signed with ``iss: kubernetes/serviceaccount``."""
    md = sa["metadata"]
    return {"iss": LEGACY_ISSUER, _LEGACY + "namespace": md["namespace"], _LEGACY + "secret.name": secret_name,
            _LEGACY + "service-account.name": md["name"], _LEGACY + "service-account.uid": md.get("uid", ""),
            "sub": make_username(md["namespace"], md["name"])}


class LegacyValidator:
    """Tokens from ``kubernetes.io/service-account-token`` Secrets (``legacy.go``): with ``--service-account-lookup``
    the Secret must still hold this very token and the account must exist with the claimed uid; the Secret's
    last use is recorded in a label once a day."""

    def __init__(self, getter: Getter, lookup: bool = True, clock: Callable[[], float] = time.time):
        self.getter = getter
        self.lookup = lookup
        self.clock = clock
        self.mark_used: Optional[Callable[[str, str, str, str], None]] = None   # (ns, secret, uid, day); set later

    def validate(self, token: str, public: dict) -> UserInfo:
        claims = {name: public.get(_LEGACY + name) for name in ("namespace", "secret.name", "service-account.name",
                                                               "service-account.uid")}
        if not public.get("sub"):
            raise AuthenticationError("sub claim is missing")
        for claim, label in (("namespace", "namespace"), ("secret.name", "secretName"),
                             ("service-account.name", "serviceAccountName"),
                             ("service-account.uid", "serviceAccountUID")):
            if not isinstance(claims[claim], str) or not claims[claim]:
                raise AuthenticationError(f"{label} claim is missing")
        namespace, secret_name = claims["namespace"], claims["secret.name"]
        name, uid = claims["service-account.name"], claims["service-account.uid"]
        if public["sub"] != make_username(namespace, name):
            raise AuthenticationError("sub claim is invalid")
        if self.lookup:
            try:
                secret = self.getter("secrets", namespace, secret_name)
            except AuthenticationError:
                raise AuthenticationError("token has been invalidated") from None
            md = secret.get("metadata") or {}
            if md.get("deletionTimestamp"):
                raise AuthenticationError("token has been invalidated")
            stored = (secret.get("data") or {}).get("token") or ""
            try:
                stored = base64.b64decode(stored).decode("utf-8", "replace")
            except ValueError:
                stored = ""
            if not hmac.compare_digest(stored.encode(), token.encode()):
                raise AuthenticationError("token does not match server's copy")
            sa = self.getter("serviceaccounts", namespace, name)
            if (sa.get("metadata") or {}).get("deletionTimestamp"):
                raise AuthenticationError(f"service account {namespace}/{name} has been deleted")
            if sa["metadata"].get("uid") != uid:
                raise AuthenticationError(f"service account UID ({sa['metadata'].get('uid', '')}) does not match "
                                          f"claim ({uid})")
            labels = md.get("labels") or {}
            if labels.get(INVALID_SINCE_LABEL):
                raise AuthenticationError(
                    f"the token in secret {namespace}/{secret_name} for service account {namespace}/{name} has been "
                    "marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, "
                    f"or remove the '{INVALID_SINCE_LABEL}' label from the secret to temporarily allow use of this "
                    "token")
            now = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
            today, tomorrow = now.strftime("%Y-%m-%d"), (now + dt.timedelta(days=1)).strftime("%Y-%m-%d")
            if labels.get(LAST_USED_LABEL) not in (today, tomorrow) and self.mark_used is not None:
                self.mark_used(namespace, secret_name, md.get("uid", ""), today)
        return UserInfo(make_username(namespace, name), uid, group_names(namespace))


def _parse_time(stamp: str) -> float:
    try:
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return 0.0


def storage_getter(store) -> Getter:
    """Reads service accounts, pods, secrets and nodes straight from storage (no cache: a deletion counts at once)."""
    from apiserver.apis.resources import BUILTIN
    from apiserver.storage.interface import NotFoundError
    defs = {r.plural: r for r in BUILTIN if not r.group and r.plural in ("serviceaccounts", "pods", "secrets",
                                                                         "nodes")}

    def get(plural: str, namespace: str, name: str) -> dict:
        r = defs[plural]
        if not name or (r.namespaced and not namespace):
            raise AuthenticationError(f'{plural} "{name}" not found')
        try:
            kv = store.get(r.key(namespace, name))
        except NotFoundError:
            raise AuthenticationError(f'{plural} "{name}" not found') from None
        return json.loads(kv.value)

    return get
