"""Who is asking: x509 client certificates, static bearer tokens and anonymous, combined as upstream does.

The chain (apiserver ``authentication/request/union``, ``group``, ``anonymous``): each authenticator either
says who the user is, says nothing (no credentials of its kind), or fails (credentials it cannot accept,
which is a 401 even when anonymous requests are allowed). Authenticated users get ``system:authenticated``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from apiserver import logs

log = logs.get_logger(__name__)

ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"
AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: Tuple[str, ...] = ()
    extra: Dict[str, List[str]] = field(default_factory=dict, hash=False, compare=False)


class AuthenticationError(Exception):
    """Credentials were given but cannot be accepted."""


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
    return UserInfo(name=name, groups=tuple(groups))


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
                 anonymous: bool = True, anonymous_allowed: Callable[[str], bool] = lambda path: True):
        self.client_certs = client_certs
        self.tokens = tokens or {}
        self.anonymous = anonymous
        self.anonymous_allowed = anonymous_allowed

    def authenticate(self, req) -> Optional[UserInfo]:
        """The user, or None when the request is not authenticated; raises AuthenticationError on bad credentials."""
        user = x509_user(req.peer_cert) if self.client_certs else None
        if user is None:
            authorization = req.headers.get("Authorization")
            if authorization is not None and len(req.headers.get_all("Authorization")) > 1:
                raise AuthenticationError("more than one Authorization header")   # never guess which one counts
            token = bearer_token(authorization)
            if token is not None:
                user = self.tokens.get(token)
                if user is None:
                    raise AuthenticationError("invalid bearer token")
                del req.headers["Authorization"]  # handlers never see credentials
        if user is not None:
            if AUTHENTICATED not in user.groups:
                user = UserInfo(user.name, user.uid, user.groups + (AUTHENTICATED,), user.extra)
            return user
        if self.anonymous and self.anonymous_allowed(req.path):
            return UserInfo(ANONYMOUS, groups=(UNAUTHENTICATED,))
        return None


PUBLIC_PATHS = frozenset(("/", "/healthz", "/livez", "/readyz", "/version", "/version/"))
PUBLIC_PREFIXES = ("/healthz/", "/livez/", "/readyz/")


def public_path(path: str) -> bool:
    """Paths anonymous users may reach until RBAC exists: health, version and the index."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
