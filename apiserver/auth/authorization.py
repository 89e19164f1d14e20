"""What a user may do: AlwaysAllow, AlwaysDeny and RBAC (``rbac``), behind upstream's always-allowed
``system:masters`` group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

from apiserver.auth.authentication import MASTERS, UserInfo

ALLOW, DENY, NO_OPINION = "Allow", "Deny", "NoOpinion"
MODES = ("AlwaysAllow", "AlwaysDeny", "RBAC")


@dataclass(frozen=True)
class Attributes:
    user: UserInfo
    verb: str
    is_resource_request: bool
    path: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""


class AlwaysAllow:
    def authorize(self, attrs: Attributes) -> Tuple[str, str]:
        return ALLOW, ""


class AlwaysDeny:
    def authorize(self, attrs: Attributes) -> Tuple[str, str]:
        return NO_OPINION, "Everything is forbidden."


class PrivilegedGroups:
    """Members of these groups may do anything (upstream puts this first for system:masters)."""

    def __init__(self, groups: Sequence[str] = (MASTERS,)):
        self.groups = frozenset(groups)

    def authorize(self, attrs: Attributes) -> Tuple[str, str]:
        if self.groups.intersection(attrs.user.groups):
            return ALLOW, ""
        return NO_OPINION, ""


class Union:
    """The first Allow or Deny wins; without one the answer is NoOpinion with every reason joined."""

    def __init__(self, authorizers: List):
        self.authorizers = authorizers

    def authorize(self, attrs: Attributes) -> Tuple[str, str]:
        reasons = []
        for authorizer in self.authorizers:
            decision, reason = authorizer.authorize(attrs)
            if decision != NO_OPINION:
                return decision, reason
            if reason:
                reasons.append(reason)
        return NO_OPINION, "\n".join(reasons)


def new_authorizer(modes: Sequence[str], rbac=None):
    """The union of ``--authorization-mode``'s authorizers behind system:masters; ``rbac`` is the RBAC
    authorizer when the modes name it."""
    by_mode = {"AlwaysAllow": AlwaysAllow, "AlwaysDeny": AlwaysDeny, "RBAC": lambda: rbac}
    return Union([PrivilegedGroups()] + [by_mode[m]() for m in modes])


def forbidden_message(attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage, word for word."""
    name = attrs.user.name if attrs.user else ""
    if not attrs.is_resource_request:
        return f'User "{name}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
    if attrs.namespace:
        return (f'User "{name}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" '
                f'in the namespace "{attrs.namespace}"')
    return (f'User "{name}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" '
            "at the cluster scope")
