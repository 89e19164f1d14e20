"""API discovery: legacy (/api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io
v2 and v2beta1, with ETag), computed from the resource table so that added resources show up at once."""

from __future__ import annotations

import hashlib
import json
from typing import Dict, List, Optional, Tuple

from apiserver.apis.resources import GROUP_ORDER, ResourceDef, ResourceTable
from apiserver.endpoints import negotiation as neg
from apiserver.endpoints import status
from apiserver.server.request import Request, Response

SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"],
                     "finalize": ["update"], "token": ["create"]}
# subresources whose kind is another group's: (group, version, kind)
SUBRESOURCE_KINDS = {"scale": ("autoscaling", "v1", "Scale"), "token": ("authentication.k8s.io", "v1", "TokenRequest")}
AGGREGATED = "apidiscovery.k8s.io"


def _dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class Discovery:
    def __init__(self, table: ResourceTable, server_address: str):
        self.table = table
        self.server_address = server_address

    # -- what is served

    def groups(self) -> List[Tuple[str, List[str]]]:
        versions = self.table.group_versions()
        ordered = [g for g in GROUP_ORDER if g in versions] + sorted(g for g in versions if g not in GROUP_ORDER)
        return [(g, versions[g]) for g in ordered]

    def resources(self, group: str, version: str) -> List[ResourceDef]:
        return [r for r in self.table.resources if r.group == group and r.version == version]

    @staticmethod
    def api_resource(r: ResourceDef) -> dict:
        entry = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": sorted(r.verbs)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if not r.virtual:   # nothing stored, no storage version (reviews)
            entry["storageVersionHash"] = r.storage_version_hash
        return entry

    def resource_list(self, group: str, version: str) -> dict:
        entries = []
        for r in sorted(self.resources(group, version), key=lambda r: r.plural):
            entries.append(self.api_resource(r))
            for sub in r.subresources:
                entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                         "kind": r.kind, "verbs": SUBRESOURCE_VERBS.get(sub, ["get"])}
                if sub in SUBRESOURCE_KINDS:
                    group_, version_, kind_ = SUBRESOURCE_KINDS[sub]
                    entry.update(group=group_, version=version_, kind=kind_)
                entries.append(entry)
        body = {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version,
                "resources": entries}
        if group:
            body = {"kind": "APIResourceList", "apiVersion": "v1", **{k: v for k, v in body.items() if k != "kind"}}
        return body

    def group_entry(self, group: str, versions: List[str]) -> dict:
        listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": listed, "preferredVersion": listed[0]}

    def aggregated(self, legacy: bool, api_version: str) -> dict:
        items = []
        for group, versions in self.groups():
            if (group == "") != legacy:
                continue
            item_versions = []
            for version in versions:
                resources = []
                for r in sorted(self.resources(group, version), key=lambda r: r.plural):
                    entry = {"resource": r.plural,
                             "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                             "scope": "Namespaced" if r.namespaced else "Cluster",
                             "singularResource": r.singular, "verbs": sorted(r.verbs)}
                    if r.short_names:
                        entry["shortNames"] = list(r.short_names)
                    if r.categories:
                        entry["categories"] = list(r.categories)
                    subs = []
                    for sub in r.subresources:
                        group_, version_, kind_ = SUBRESOURCE_KINDS.get(sub, (r.group, r.version, r.kind))
                        kind = {"group": group_, "version": version_, "kind": kind_}
                        subs.append({"subresource": sub, "responseKind": kind,
                                     "verbs": SUBRESOURCE_VERBS.get(sub, ["get"])})
                    if subs:
                        entry["subresources"] = subs
                    resources.append(entry)
                item_versions.append({"version": version, "resources": resources, "freshness": "Current"})
            items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": item_versions})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}

    # -- handlers

    def _aggregated_version(self, req: Request) -> Optional[str]:
        for media in neg.parse_accept(req.headers.get("Accept")):
            if media.param("g") == AGGREGATED and media.param("as") == "APIGroupDiscoveryList" \
                    and media.param("v") in ("v2", "v2beta1") and media.type in (neg.JSON, "application/*"):
                return media.param("v")
            if media.param("as") is None and media.type in (neg.JSON, "*/*", "application/*", neg.YAML):
                return None
        return None

    def _respond_aggregated(self, req: Request, legacy: bool, version: str) -> Response:
        body = _dumps(self.aggregated(legacy, f"{AGGREGATED}/{version}"))
        etag = '"' + hashlib.sha256(body).hexdigest()[:32].upper() + '"'
        headers = [("Content-Type", f"application/json;g={AGGREGATED};v={version};as=APIGroupDiscoveryList"),
                   ("Vary", "Accept"), ("Cache-Control", "public"), ("ETag", etag)]
        if req.headers.get("If-None-Match") == etag:
            return Response(304, headers, b"")
        return Response(200, headers, body)

    def api(self, req: Request) -> Response:
        version = self._aggregated_version(req)
        if version:
            return self._respond_aggregated(req, True, version)
        body = {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}]}
        return Response(200, [("Content-Type", neg.JSON)], _dumps(body))

    def apis(self, req: Request) -> Response:
        version = self._aggregated_version(req)
        if version:
            return self._respond_aggregated(req, False, version)
        groups = [self.group_entry(g, v) for g, v in self.groups() if g]
        return Response(200, [("Content-Type", neg.JSON)], _dumps({"kind": "APIGroupList", "apiVersion": "v1",
                                                                   "groups": groups}))

    def group_paths(self, req: Request) -> Response:
        """/api/v1, /apis/<group>, /apis/<group>/<version>."""
        parts = [p for p in req.path.split("/") if p]
        versions: Dict[str, List[str]] = dict(self.groups())
        if parts[0] == "api" and len(parts) == 2 and parts[1] in versions.get("", []):
            return Response(200, [("Content-Type", neg.JSON)], _dumps(self.resource_list("", parts[1])))
        if parts[0] == "apis" and len(parts) == 2 and parts[1] in versions and parts[1]:
            body = {"kind": "APIGroup", "apiVersion": "v1", **self.group_entry(parts[1], versions[parts[1]])}
            return Response(200, [("Content-Type", neg.JSON)], _dumps(body))
        if parts[0] == "apis" and len(parts) == 3 and parts[2] in versions.get(parts[1], []) and parts[1]:
            return Response(200, [("Content-Type", neg.JSON)], _dumps(self.resource_list(parts[1], parts[2])))
        raise status.not_found_resource()
