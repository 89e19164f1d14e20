"""From a CustomResourceDefinition to the resources it serves: one ``ResourceDef`` per served version, with
what the REST layer needs to know in ``CustomResourceInfo`` (schema, printer columns, scale paths, ...)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from apiserver.apis.resources import ResourceDef, ScaleSpec

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
CRD_PREFIX = "/registry/apiextensions.k8s.io/customresourcedefinitions/"


@dataclass(frozen=True)
class CustomResourceInfo:
    crd_name: str
    crd_uid: str
    schema: Optional[dict]                 # the version's openAPIV3Schema
    storage_version: str
    printer_columns: Tuple[dict, ...]
    deprecation_warning: Optional[str]
    selectable_fields: Tuple[str, ...]
    terminating: bool = False              # the CRD is being deleted: no new objects


def _path(json_path: str) -> Tuple[str, ...]:
    """``.spec.replicas`` → ("spec", "replicas")."""
    return tuple(p for p in json_path.split(".") if p)


def storage_version(crd: dict) -> str:
    """The name of the version marked ``storage: true``, or "" (also for a CRD not yet validated)."""
    spec = crd.get("spec")
    versions = spec.get("versions") if isinstance(spec, dict) else None
    for version in versions if isinstance(versions, list) else ():
        if isinstance(version, dict) and version.get("storage") is True and isinstance(version.get("name"), str):
            return version["name"]
    return ""


def default_columns(version: dict, spec: dict) -> Tuple[dict, ...]:
    """additionalPrinterColumns, or upstream's default when none are given: the Age column."""
    columns = version.get("additionalPrinterColumns")
    if columns is None:
        columns = spec.get("additionalPrinterColumns")
    if not columns:
        columns = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    return tuple(columns)


def resources_for(crd: dict, terminating: bool = False) -> List[ResourceDef]:
    """The ResourceDefs of every served version (empty when the CRD is malformed)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
    if not (group and kind and plural):
        return []
    stored = storage_version(crd)
    md = crd.get("metadata") or {}
    out = []
    for version in spec.get("versions") or ():
        if not version.get("served"):
            continue
        subresources = version.get("subresources") or {}
        scale = None
        if isinstance(subresources.get("scale"), dict):
            s = subresources["scale"]
            scale = ScaleSpec(spec_replicas=_path(s.get("specReplicasPath", ".spec.replicas")),
                              status_replicas=_path(s.get("statusReplicasPath", ".status.replicas")),
                              selector=_path(s["labelSelectorPath"]) if s.get("labelSelectorPath") else None,
                              selector_is_map=False)
        warning = None
        if version.get("deprecated"):
            warning = version.get("deprecationWarning") or f"{group}/{version.get('name')} {kind} is deprecated"
        info = CustomResourceInfo(
            crd_name=md.get("name", ""), crd_uid=md.get("uid", ""),
            schema=((version.get("schema") or {}).get("openAPIV3Schema")),
            storage_version=stored, printer_columns=default_columns(version, spec), deprecation_warning=warning,
            selectable_fields=tuple(f.get("jsonPath", "").lstrip(".") for f in version.get("selectableFields") or ()),
            terminating=terminating)
        out.append(ResourceDef(
            group=group, version=version.get("name", ""), kind=kind, plural=plural,
            singular=names.get("singular") or kind.lower(), namespaced=spec.get("scope") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            storage_prefix=f"{group}/{plural}", status="status" in subresources, scale=scale, generation=True,
            field_selectors=info.selectable_fields, custom=True, list_kind_name=names.get("listKind") or "",
            storage_kind="" if version.get("name") == stored else f"{group}/{stored}/{kind}", info=info))
    return out


# -- printer columns: the JSONPath subset upstream allows in additionalPrinterColumns

_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[\*\]"
                      r"|\[\?\(@\.([A-Za-z0-9_\-.]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")


def json_path(obj: Any, path: str) -> List[Any]:
    """Evaluate ``.a.b[0].c``, ``[*]`` and ``[?(@.k=="v")]`` against an object; every match, in order."""
    values = [obj]
    pos = 0
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m:
            return []
        field, index, filter_key, filter_value = m.groups()
        nxt: List[Any] = []
        for v in values:
            if field is not None and isinstance(v, dict) and field in v:
                nxt.append(v[field])
            elif index is not None and isinstance(v, list) and int(index) < len(v):
                nxt.append(v[int(index)])
            elif m.group(0) == "[*]" and isinstance(v, list):
                nxt.extend(v)
            elif filter_key is not None and isinstance(v, list):
                for item in v:
                    got = item
                    for part in filter_key.split("."):
                        got = got.get(part) if isinstance(got, dict) else None
                    if got is not None and str(got) == filter_value:
                        nxt.append(item)
        values = nxt
        pos = m.end()
    return values


def column_definitions(info: CustomResourceInfo) -> List[Dict[str, Any]]:
    columns = [{"name": "Name", "type": "string", "format": "name",
                "description": "Name must be unique within a namespace. Is required when creating resources, "
                               "although some resources may allow a client to request the generation of an "
                               "appropriate name automatically. Name is primarily intended for creation "
                               "idempotence and configuration definition. Cannot be updated. More info: "
                               "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                "priority": 0}]
    for c in info.printer_columns:
        columns.append({"name": c.get("name", ""), "type": c.get("type", "string"), "format": c.get("format", ""),
                        "description": c.get("description", ""), "priority": int(c.get("priority", 0) or 0)})
    return columns


def cells(info: CustomResourceInfo, obj: dict, now, human_age) -> List[Any]:
    """One Table row: the name, then each column's first match (dates shown as ages, as upstream does)."""
    row: List[Any] = [(obj.get("metadata") or {}).get("name", "")]
    for c in info.printer_columns:
        found = json_path(obj, c.get("jsonPath", ""))
        value = found[0] if found else None
        kind = c.get("type", "string")
        if value is None:
            row.append(None)
        elif kind == "date":
            row.append(human_age(value, now))
        elif kind == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
            row.append(int(value))
        elif kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            row.append(value)
        elif kind == "boolean" and isinstance(value, bool):
            row.append(value)
        elif isinstance(value, (dict, list)):
            row.append(json.dumps(value, separators=(",", ":")))
        else:
            row.append(str(value) if not isinstance(value, bool) else str(value).lower())
    return row
