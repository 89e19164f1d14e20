"""Content negotiation: which representation a client accepts, and how its request body is encoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from apiserver.endpoints import status

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

TABLE, PARTIAL, PARTIAL_LIST = "Table", "PartialObjectMetadata", "PartialObjectMetadataList"


@dataclass(frozen=True)
class MediaType:
    type: str
    params: Tuple[Tuple[str, str], ...] = ()

    def param(self, name: str) -> Optional[str]:
        for key, value in self.params:
            if key == name:
                return value
        return None


def parse_media_type(text: str) -> MediaType:
    parts = [p.strip() for p in text.split(";")]
    params = []
    for p in parts[1:]:
        key, sep, value = p.partition("=")
        if sep:
            params.append((key.strip().lower(), value.strip().strip('"')))
    return MediaType(parts[0].lower(), tuple(params))


def parse_accept(header: Optional[str]) -> List[MediaType]:
    if not header:
        return [MediaType("*/*")]
    return [parse_media_type(part) for part in header.split(",") if part.strip()]


@dataclass(frozen=True)
class Target:
    """What to send back: ``media`` is the Content-Type; ``as_kind`` is Table/PartialObjectMetadata or None."""

    media: str
    as_kind: Optional[str] = None
    as_version: str = "v1"


def negotiate(accept: Optional[str], *, allow_table: bool, list_request: bool) -> Target:
    """Pick the first acceptable representation, as upstream's negotiation does (q-values are not used)."""
    for media in parse_accept(accept):
        as_kind = media.param("as")
        if as_kind:
            if media.type not in (JSON, "application/*", "*/*") or media.param("g") != "meta.k8s.io":
                continue
            version = media.param("v") or ""
            if version not in ("v1", "v1beta1"):
                continue
            if as_kind == TABLE and allow_table:
                return Target(JSON, TABLE, version)
            if as_kind == PARTIAL and allow_table and not list_request:
                return Target(JSON, PARTIAL, version)
            if as_kind == PARTIAL_LIST and allow_table and list_request:
                return Target(JSON, PARTIAL_LIST, version)
            if as_kind == PARTIAL and allow_table and list_request:
                return Target(JSON, PARTIAL_LIST, version)
            continue
        if media.type in (JSON, "application/*", "*/*"):
            return Target(JSON)
        if media.type == YAML:
            return Target(YAML)
    raise status.not_acceptable("only the following media types are accepted: application/json, application/yaml, "
                                "application/vnd.kubernetes.protobuf")


def content_type(header: Optional[str]) -> str:
    if not header:
        return JSON
    return parse_media_type(header).type
