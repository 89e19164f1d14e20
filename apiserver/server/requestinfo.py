"""What a request is about (apiserver ``endpoints/request/requestinfo.go``): verb, group, resource, name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List
from urllib.parse import parse_qs

API_PREFIXES = frozenset(("api", "apis"))
GROUPLESS_PREFIXES = frozenset(("api",))
SPECIAL_VERBS = frozenset(("proxy", "watch"))
NAMESPACE_SUBRESOURCES = frozenset(("status", "finalize"))
LONG_RUNNING_VERBS = frozenset(("watch", "proxy"))
LONG_RUNNING_SUBRESOURCES = frozenset(("attach", "exec", "proxy", "log", "portforward"))
READ_ONLY_VERBS = frozenset(("get", "list", "watch"))
_METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch",
                 "DELETE": "delete"}


@dataclass
class RequestInfo:
    is_resource_request: bool = False
    path: str = ""
    verb: str = ""
    api_prefix: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    parts: List[str] = field(default_factory=list)

    @property
    def long_running(self) -> bool:
        return self.verb in LONG_RUNNING_VERBS or self.subresource in LONG_RUNNING_SUBRESOURCES

    @property
    def read_only(self) -> bool:
        return self.verb in READ_ONLY_VERBS

    @property
    def scope(self) -> str:
        """The ``scope`` label of apiserver metrics: resource, namespace or cluster."""
        if not self.is_resource_request:
            return ""
        if self.name:
            return "resource"
        return "namespace" if self.namespace else "cluster"


def _watch_param(query: dict) -> bool:
    values = query.get("watch")
    if not values:
        return False
    return values[0].lower() not in ("false", "0")


def _exact_name(query: dict) -> str:
    """``fieldSelector=metadata.name=x`` makes a list of one named object (for authorization and audit)."""
    for selector in query.get("fieldSelector", ()):
        for term in selector.split(","):
            key, sep, value = term.partition("==") if "==" in term else term.partition("=")
            if sep and key.strip() == "metadata.name" and not key.endswith("!"):
                if value and value not in (".", "..") and "/" not in value and "%" not in value:
                    return value
    return ""


def new_request_info(method: str, path: str, raw_query: str) -> RequestInfo:
    info = RequestInfo(path=path, verb=method.lower())
    parts = [p for p in path.strip("/").split("/")] if path.strip("/") else []
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return info
    info.api_prefix = parts[0]
    parts = parts[1:]
    if info.api_prefix not in GROUPLESS_PREFIXES:
        if len(parts) < 3:
            return info
        info.api_group = parts[0]
        parts = parts[1:]
    info.is_resource_request = True
    info.api_version = parts[0]
    parts = parts[1:]

    if parts and parts[0] in SPECIAL_VERBS:
        if len(parts) < 2:
            return RequestInfo(path=path, verb=method.lower())
        info.verb = parts[0]
        parts = parts[1:]
    else:
        info.verb = _METHOD_VERBS.get(method, "")

    if parts and parts[0] == "namespaces":
        if len(parts) > 1:
            info.namespace = parts[1]
            if len(parts) > 2 and parts[2] not in NAMESPACE_SUBRESOURCES:
                parts = parts[2:]
    info.parts = parts

    if len(parts) >= 3 and info.verb != "proxy":
        info.subresource = parts[2]
    if len(parts) >= 2:
        info.name = parts[1]
    if len(parts) >= 1:
        info.resource = parts[0]

    if not info.name and info.verb == "get":
        query = parse_qs(raw_query, keep_blank_values=True) if raw_query else {}
        info.verb = "watch" if _watch_param(query) else "list"
        info.name = _exact_name(query)
    if not info.name and info.verb == "delete":
        info.verb = "deletecollection"
    return info
