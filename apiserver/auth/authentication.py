"""Who is asking: x509 client certificates, bearer tokens and anonymous, combined as upstream does.

The chain (apiserver ``authentication/request/union``, ``group``, ``anonymous``): each authenticator either
says who the user is, says nothing (no credentials of its kind), or fails (credentials it cannot accept,
which is a 401 even when anonymous requests are allowed). Authenticated users get ``system:authenticated``.
Bearer tokens go through a list of token authenticators (``token/union``): static tokens, then service
account tokens; each is asked for the request's audiences (the API audiences, or a TokenReview's).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from apiserver import logs

log = logs.get_logger(__name__)

ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"
AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
INVALID_BEARER_TOKEN = "invalid bearer token"   # bearertoken.go: a token no authenticator took or refused


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: Tuple[str, ...] = ()
    extra: Dict[str, List[str]] = field(default_factory=dict, hash=False, compare=False)


class AuthenticationError(Exception):
    """Credentials were given but cannot be accepted. ``messages``: the errors of an aggregate, which an outer
    aggregate flattens as Go's utilerrors does."""

    def __init__(self, message: str, messages: Optional[List[str]] = None):
        super().__init__(message)
        self.messages = messages or [message]


@dataclass(frozen=True)
class TokenResponse:
    """An authenticated token: its user and the audiences it was accepted for (authenticator.Response)."""

    user: UserInfo
    audiences: Tuple[str, ...] = ()


def intersect(have: Sequence[str], wanted: Sequence[str]) -> Tuple[str, ...]:
    """authenticator.Audiences.Intersect: the wanted audiences that are had, in the wanted order."""
    return tuple(aud for aud in wanted if aud in have)


class StaticTokenAuthenticator:
    """``--token-auth-file`` tokens: audience-agnostic, so accepted only for the API's own audiences."""

    def __init__(self, tokens: Dict[str, UserInfo], implicit_audiences: Sequence[str] = ()):
        self.tokens = tokens
        self.implicit_audiences = tuple(implicit_audiences)

    def authenticate_token(self, token: str, audiences: Optional[Sequence[str]]) -> Optional[TokenResponse]:
        auds: Tuple[str, ...] = ()
        if audiences is not None:   # WrapAudienceAgnosticToken
            auds = intersect(self.implicit_audiences, audiences)
            if not auds:
                return None
        user = self.tokens.get(token)
        return TokenResponse(user, auds) if user is not None else None


def x509_user(peer_cert: Optional[dict]) -> Optional[UserInfo]:
    """The user of a verified client certificate: CN is the name, each O a group (x509.CommonNameUserConversion)."""
    if not peer_cert:
        return None
    name, groups = "", []
    for rdn in peer_cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                name = value
            elif key == "organizationName":
                groups.append(value)
    if not name:
        return None  # upstream: a certificate without a common name authenticates no one
    extra = {}
    if peer_cert.get("der"):   # x509.CommonNameUserConversion names the credential by its fingerprint
        extra[CREDENTIAL_ID] = ["X509SHA256=" + hashlib.sha256(peer_cert["der"]).hexdigest()]
    return UserInfo(name=name, groups=tuple(groups), extra=extra)


def load_token_file(path: str) -> Dict[str, UserInfo]:
    """Read ``--token-auth-file``: CSV ``token,user,uid[,"group1,group2"]`` (tokenfile.go's rules)."""
    tokens: Dict[str, UserInfo] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for number, record in enumerate(csv.reader(f), start=1):
            if not record:
                continue
            if len(record) < 3:
                raise ValueError(f"token file '{path}' must have at least 3 columns (token, user name, user uid), "
                                 f"found {len(record)}")
            if record[0] == "":
                log.warning("empty token in token file", path=path, record=number)
                continue
            if record[0] in tokens:
                log.warning("duplicate token in token file; the last one wins", path=path, record=number)
            groups = tuple(record[3].split(",")) if len(record) >= 4 else ()
            tokens[record[0]] = UserInfo(name=record[1], uid=record[2], groups=groups)
    return tokens


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    if not authorization:
        return None
    parts = authorization.strip().split(" ", 2)
    if len(parts) < 2 or parts[0].lower() != "bearer":
        return None
    return parts[1] or None  # an empty token is no credential (bearertoken.go)


class Authenticator:
    """The request authenticator: x509, then tokens, then (if enabled) anonymous for the allowed paths."""

    def __init__(self, *, client_certs: bool = True, tokens: Optional[Dict[str, UserInfo]] = None,
                 anonymous: bool = True, anonymous_allowed: Callable[[str], bool] = lambda path: True,
                 token_authenticators: Sequence = (), api_audiences: Sequence[str] = ()):
        self.client_certs = client_certs
        self.api_audiences = tuple(api_audiences)
        self.token_authenticators = [StaticTokenAuthenticator(tokens or {}, self.api_audiences)]
        self.token_authenticators.extend(token_authenticators)
        self.anonymous = anonymous
        self.anonymous_allowed = anonymous_allowed

    def add_static_token(self, token: str, user: UserInfo) -> None:
        """One more ``--token-auth-file`` row, at run time (the testing kit's users)."""
        self.token_authenticators[0].tokens[token] = user

    def authenticate_token(self, token: str, audiences: Optional[Sequence[str]] = None) -> TokenResponse:
        """The first token authenticator's answer; raises AuthenticationError with upstream's aggregated message.

        ``audiences`` default to the API audiences, as kube-apiserver's authentication filter sets them.
        """
        if audiences is None and self.api_audiences:
            audiences = self.api_audiences
        # Upstream puts the loopback client's token authenticator (a bearer authenticator of its own) before the
        # configured ones, so its "invalid bearer token" leads every aggregated error, as TokenReview shows.
        errors: List[str] = [INVALID_BEARER_TOKEN]
        for authenticator in self.token_authenticators:
            try:
                response = authenticator.authenticate_token(token, audiences)
            except AuthenticationError as err:
                errors.extend(m for m in err.messages if m not in errors)
                continue
            if response is not None:
                return TokenResponse(_with_authenticated(response.user), response.audiences)
        raise AuthenticationError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")

    def authenticate(self, req) -> Optional[UserInfo]:
        """The user, or None when the request is not authenticated; raises AuthenticationError on bad credentials."""
        user = x509_user(req.peer_cert) if self.client_certs else None
        if user is None:
            authorization = req.headers.get("Authorization")
            if authorization is not None and len(req.headers.get_all("Authorization")) > 1:
                raise AuthenticationError("more than one Authorization header")   # never guess which one counts
            token = bearer_token(authorization)
            if token is not None:
                user = self.authenticate_token(token).user
                del req.headers["Authorization"]  # handlers never see credentials
        if user is not None:
            return _with_authenticated(user)
        if self.anonymous and self.anonymous_allowed(req.path):
            return UserInfo(ANONYMOUS, groups=(UNAUTHENTICATED,))
        return None


def _with_authenticated(user: UserInfo) -> UserInfo:
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.name, user.uid, user.groups + (AUTHENTICATED,), user.extra)


PUBLIC_PATHS = frozenset(("/", "/healthz", "/livez", "/readyz", "/version", "/version/"))
PUBLIC_PREFIXES = ("/healthz/", "/livez/", "/readyz/")


def public_path(path: str) -> bool:
    """Paths anonymous users may reach until RBAC exists: health, version and the index."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
