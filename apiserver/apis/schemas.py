"""The OpenAPI definitions of the Kubernetes 1.32 API, and what the server derives from them.

The data (``data/definitions.json.gz``, made by ``scripts/gen_schemas.py``) is upstream's swagger 2.0
``definitions`` of Kubernetes 1.32.0 (Apache-2.0, the Kubernetes Authors): name -> schema with ``$ref`` as
``#/definitions/NAME``, descriptions and every ``x-kubernetes-*`` extension. It is loaded once, lazily.

* :func:`definitions`, :func:`definition_for`, :func:`resolve`: look-ups.
* :func:`unknown_fields` and :func:`strict_errors`: what upstream's strict decoding (sigs.k8s.io/json, used
  for ``fieldValidation=Strict|Warn``) reports for a built-in type: ``unknown field "spec.replicass"``,
  ``duplicate field "metadata.name"``, with paths like ``spec.template.spec.containers[0].imagee`` and
  ``metadata.labels.app`` (map keys are joined with a dot, list indices in brackets).
* :func:`field_meta`: a field's schema and patch metadata (strategic-merge-patch strategy and merge key,
  server-side-apply list and map types).

Returned schemas are shared: never mutate them.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from apiserver.codec.json import go_quote

__all__ = ["DATA_FILE", "FieldMeta", "MAX_STRICT_ERRORS", "OBJECT_META", "definition_for", "definitions",
           "field_meta", "info", "ref_name", "resolve", "strict_errors", "unknown_fields"]

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "definitions.json.gz")
REF_PREFIX = "#/definitions/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# sigs.k8s.io/json stops collecting strict errors at 100 (kubernetes_patch.go, saveStrictError).
MAX_STRICT_ERRORS = 100

# Go structs with no fields: every key in them is unknown. (Other definitions without properties are
# free-form: RawExtension, FieldsV1, JSON and friends decode through custom UnmarshalJSON, which sees no
# unknown fields; Patch is never decoded.)
_EMPTY_STRUCTS = frozenset({
    "io.k8s.api.apiserverinternal.v1alpha1.StorageVersionSpec",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus",
})

Schema = Dict[str, Any]
SchemaRef = Union[str, Schema]


@functools.lru_cache(maxsize=1)
def _document() -> Dict[str, Any]:
    with open(DATA_FILE, "rb") as f:
        return json.loads(gzip.decompress(f.read()))


def definitions() -> Dict[str, Schema]:
    """Every definition, by name (``io.k8s.api.apps.v1.Deployment``). Shared: do not mutate."""
    return _document()["definitions"]


def info() -> Dict[str, str]:
    """Where the data comes from: ``kubernetesVersion`` (1.32.0), ``license``, ``copyright``, ``source``."""
    return _document()["info"]


@functools.lru_cache(maxsize=1)
def _gvk_index() -> Dict[Tuple[str, str, str], str]:
    index = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            index[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return index


def definition_for(group: str, version: str, kind: str) -> Optional[str]:
    """The definition of a kind (core group is ``""``), from ``x-kubernetes-group-version-kind``."""
    return _gvk_index().get((group, version, kind))


def ref_name(schema: Schema) -> Optional[str]:
    """The definition name a schema's ``$ref`` points at, if it has one."""
    ref = schema.get("$ref")
    if ref is None:
        return None
    return ref[len(REF_PREFIX):] if ref.startswith(REF_PREFIX) else ref.rsplit("/", 1)[-1]


def resolve(schema: SchemaRef) -> Schema:
    """Follow ``$ref`` (or a definition name). Keys beside the ``$ref`` (a property's description, patch
    strategy, list type...) override the target's, as they describe this use of it; then a new dict is returned.
    Raises ``KeyError`` for an unknown definition.
    """
    if isinstance(schema, str):
        return definitions()[schema]
    seen = 0
    while "$ref" in schema:
        target = definitions()[ref_name(schema)]  # type: ignore[index]
        if len(schema) > 1:
            merged = dict(target)
            merged.update((k, v) for k, v in schema.items() if k != "$ref")
            if "$ref" not in target:
                merged.pop("$ref", None)
            schema = merged
        else:
            schema = target
        seen += 1
        if seen > 64:
            raise ValueError("$ref cycle")
    return schema


# -- strict decoding ------------------------------------------------------------------------------------------

# How to treat an object's keys, by schema.
_STRUCT, _MAP, _OPEN, _OPAQUE = 1, 2, 3, 4


def _shape(schema: Schema, name: Optional[str]) -> int:
    """_STRUCT: known properties only; _MAP: any key, values by additionalProperties; _OPEN: known properties
    checked, others allowed (x-kubernetes-preserve-unknown-fields); _OPAQUE: anything goes, nothing checked."""
    props = schema.get("properties")
    addl = schema.get("additionalProperties")
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return _OPEN if props else _OPAQUE
    if props is not None:
        return _STRUCT
    if isinstance(addl, dict):
        return _MAP
    if addl is True:
        return _OPAQUE
    if name is not None:
        # A named built-in definition without properties is a custom-unmarshalled type (or an empty struct).
        return _STRUCT if name in _EMPTY_STRUCTS else _OPAQUE
    # An inline schema without properties: a CRD's structural schema, where such an object keeps no field.
    return _STRUCT if schema.get("type") == "object" else _OPAQUE


# Every resource has these whatever its schema says: at a CRD's root and in x-kubernetes-embedded-resource
# objects upstream checks metadata against ObjectMeta (not the CRD's metadata schema) and keeps apiVersion/kind.
_RESOURCE_FIELDS: Dict[str, Schema] = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"$ref": REF_PREFIX + OBJECT_META},
}


def _fields(schema: Schema, name: Optional[str], resource: bool) -> Tuple[int, Dict[str, Schema]]:
    """An object schema's shape and known properties (``resource``: a CRD root)."""
    shape = _shape(schema, name)
    props = schema.get("properties") or {}
    if resource or schema.get("x-kubernetes-embedded-resource"):
        props = {**props, **_RESOURCE_FIELDS}
        if shape == _OPAQUE:
            shape = _OPEN
    return shape, props


class _Collector:
    """Go's saveStrictError: dedupe by (kind, path), keep the first ``limit``."""

    def __init__(self, limit: Optional[int]) -> None:
        self.limit = limit
        self.seen: set = set()
        self.items: List[Tuple[str, str]] = []

    def add(self, kind: str, path: str) -> None:
        if self.limit is not None and len(self.items) >= self.limit:
            return
        if (kind, path) in self.seen:
            return
        self.seen.add((kind, path))
        self.items.append((kind, path))


def _join(path: str, key: str) -> str:
    return key if not path else path + "." + key


_Compiled = Tuple[int, Dict[str, Schema], Any, Any]


def _compile(schema: Schema, name: Optional[str], resource: bool = False) -> _Compiled:
    """(shape, known properties, additionalProperties, items) of a resolved schema."""
    shape, props = _fields(schema, name, resource)
    return shape, props, schema.get("additionalProperties"), schema.get("items")


@functools.cache
def _compiled(name: str) -> _Compiled:
    return _compile(definitions()[name], name)


_CONTAINERS = (dict, list, tuple)


def _walk(value: Any, schema: Schema, path: str, out: _Collector, resource: bool = False) -> None:
    """Report unknown and duplicate fields under ``value`` (a dict, a pairs tuple or a list)."""
    ref = schema.get("$ref")
    if ref is not None and not resource:
        # the target alone: keys beside a $ref (description, patch metadata) do not change which fields exist
        shape, props, addl, items = _compiled(ref[len(REF_PREFIX):] if ref.startswith(REF_PREFIX) else ref)
    elif ref is not None:
        shape, props, addl, items = _compile(resolve(schema), ref_name(schema), resource)
    else:
        shape, props, addl, items = _compile(schema, None, resource)
    if isinstance(value, list):
        if isinstance(items, dict):
            for index, item in enumerate(value):
                if isinstance(item, _CONTAINERS):
                    _walk(item, items, f"{path}[{index}]", out)
        return
    if shape == _OPAQUE or not isinstance(value, (dict, tuple)):
        return
    pairs = value.items() if isinstance(value, dict) else value
    seen: Optional[set] = set() if isinstance(value, tuple) else None
    for key, item in pairs:
        sub = props.get(key)
        if sub is None:
            if shape == _MAP:
                sub = addl
            elif shape == _OPEN:
                if seen is not None:
                    _untyped_duplicates(key, item, path, out, seen)
                continue
            else:
                out.add("unknown field", key if not path else path + "." + key)
                continue
        if seen is not None:
            # Go checks duplicates of known fields and of map keys only (unknown values are skipped).
            if key in seen:
                out.add("duplicate field", key if not path else path + "." + key)
            else:
                seen.add(key)
        if isinstance(item, _CONTAINERS):
            _walk(item, sub, key if not path else path + "." + key, out)


def _untyped_duplicates(key: str, item: Any, path: str, out: _Collector, seen: set) -> None:
    """A field kept by x-kubernetes-preserve-unknown-fields: Go decodes it as interface{} and reports every
    duplicate inside."""
    child = _join(path, key)
    if key in seen:
        out.add("duplicate field", child)
    else:
        seen.add(key)
    _untyped(item, child, out)


def _untyped(node: Any, path: str, out: _Collector) -> None:
    if isinstance(node, tuple):
        keys: set = set()
        for key, item in node:
            child = _join(path, key)
            if key in keys:
                out.add("duplicate field", child)
            else:
                keys.add(key)
            _untyped(item, child, out)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _untyped(item, f"{path}[{index}]", out)


def _root(definition: SchemaRef) -> Schema:
    return {"$ref": REF_PREFIX + definition} if isinstance(definition, str) else definition


def unknown_fields(obj: Any, definition: SchemaRef) -> List[str]:
    """Paths of the fields of ``obj`` that the schema does not know, in document order (upstream's format:
    ``spec.replicass``, ``spec.template.spec.containers[0].imagee``, ``metadata.labelss``).

    ``definition`` is a definition name or a schema (e.g. a CRD's ``openAPIV3Schema``: at its root and in
    ``x-kubernetes-embedded-resource`` objects ``apiVersion`` and ``kind`` are known and ``metadata`` is checked
    against ObjectMeta, whatever the schema says). Maps check
    their values against ``additionalProperties``; ``x-kubernetes-preserve-unknown-fields`` keeps unknown keys;
    RawExtension, FieldsV1, JSON, JSONSchemaPropsOr*, Quantity, IntOrString and Time are not looked into.
    Not capped (upstream reports at most 100 strict errors: see :func:`strict_errors`).
    """
    out = _Collector(None)
    _walk(obj, _root(definition), "", out, not isinstance(definition, str))
    return [path for _, path in out.items]


def strict_errors(tree: Any, definition: SchemaRef, limit: Optional[int] = MAX_STRICT_ERRORS) -> List[str]:
    """Upstream's strict-decoding errors for a built-in type, in its order and words:
    ``unknown field "spec.x"``, ``duplicate field "spec.replicas"`` (deduplicated, at most 100).

    ``tree`` is what :func:`apiserver.codec.json.loads` returned when it found no duplicates, else
    :func:`apiserver.codec.json.loads_pairs` of the same body (pairs keep every occurrence, so the order and
    the errors inside a repeated field's earlier value match upstream exactly). Upstream's message is these
    joined with ``", "`` after ``"strict decoding error: "``. Custom resources are decoded untyped upstream:
    use loads()'s duplicates and :func:`unknown_fields` (reported there as ``.spec.x: field not declared in
    schema``).
    """
    out = _Collector(limit)
    _walk(tree, _root(definition), "", out, not isinstance(definition, str))
    return [f"{kind} {go_quote(path)}" for kind, path in out.items]


# -- field metadata -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldMeta:
    """A field's resolved schema and its patch metadata (``None``/empty where the schema says nothing)."""

    schema: Schema = field(repr=False, hash=False)
    definition: Optional[str] = None  # the definition the field's $ref names, e.g. io.k8s.api.core.v1.Container
    type: Optional[str] = None  # "object", "array", "string", "integer", "number", "boolean"
    patch_strategy: Optional[str] = None  # x-kubernetes-patch-strategy: "merge", "retainKeys", "merge,retainKeys"
    patch_merge_key: Optional[str] = None  # x-kubernetes-patch-merge-key
    list_type: Optional[str] = None  # x-kubernetes-list-type: "atomic", "set", "map"
    list_map_keys: Tuple[str, ...] = ()  # x-kubernetes-list-map-keys
    map_type: Optional[str] = None  # x-kubernetes-map-type: "atomic", "granular"
    free_form: bool = False  # no schema below here (RawExtension, JSON, preserve-unknown-fields...)

    @property
    def patch_strategies(self) -> Tuple[str, ...]:
        """The strategies as a tuple: ``("merge", "retainKeys")``."""
        return tuple(self.patch_strategy.split(",")) if self.patch_strategy else ()

    @property
    def items(self) -> Optional[Schema]:
        """The resolved schema of a list's items."""
        sub = self.schema.get("items")
        return resolve(sub) if isinstance(sub, dict) else None


_FREE = FieldMeta(schema={}, free_form=True)


def _free(schema: Schema, name: Optional[str]) -> bool:
    return schema.get("type") in (None, "object") and "items" not in schema and _shape(schema, name) == _OPAQUE


def _meta(schema: Schema) -> FieldMeta:
    name = ref_name(schema)
    resolved = resolve(schema) if name is not None else schema
    return FieldMeta(
        schema=resolved,
        definition=name,
        type=resolved.get("type"),
        patch_strategy=resolved.get("x-kubernetes-patch-strategy"),
        patch_merge_key=resolved.get("x-kubernetes-patch-merge-key"),
        list_type=resolved.get("x-kubernetes-list-type"),
        list_map_keys=tuple(resolved.get("x-kubernetes-list-map-keys", ())),
        map_type=resolved.get("x-kubernetes-map-type"),
        free_form=_free(resolved, name),
    )


def _is_index(segment: Any) -> bool:
    if isinstance(segment, int) and not isinstance(segment, bool):
        return True
    return isinstance(segment, str) and (segment in ("[]", "*") or (segment.startswith("[") and segment.endswith("]")))


def _navigate(root: Schema, path: Sequence[Any], resource: bool) -> Optional[FieldMeta]:
    schema = root
    for segment in path:
        name = ref_name(schema)
        resolved = resolve(schema) if name is not None else schema
        if _is_index(segment) or isinstance(resolved.get("items"), dict):
            # an index enters a list; so does a field name after a list ("containers", "ports")
            sub = resolved.get("items")
            if not isinstance(sub, dict):
                return _FREE if _free(resolved, name) else None
            schema, resource = sub, False
            if _is_index(segment):
                continue
            name = ref_name(schema)
            resolved = resolve(schema) if name is not None else schema
        shape, props = _fields(resolved, name, resource)
        sub = props.get(segment)
        if sub is None:
            if shape == _MAP:
                sub = resolved["additionalProperties"]
            elif shape in (_OPEN, _OPAQUE) and not (shape == _OPAQUE and resolved.get("type") not in (None, "object")):
                return _FREE
            else:
                return None
        schema, resource = sub, False
    return _meta(schema)


@functools.lru_cache(maxsize=4096)
def _field_meta_cached(definition: str, path: Tuple[Any, ...]) -> Optional[FieldMeta]:
    return _navigate({"$ref": REF_PREFIX + definition}, path, False)


def field_meta(definition: SchemaRef, path: Sequence[Union[str, int]]) -> Optional[FieldMeta]:
    """Schema and patch metadata of the field at ``path`` under a definition name or a schema.

    ``path`` holds field names and map keys; a list is entered with an index (``0``, ``"[0]"``, ``"[]"`` or
    ``"*"``) or implicitly by naming a field of its items: ``["spec", "containers", "ports"]`` is the ports list
    of every container. An empty path describes the definition itself. Returns ``None`` for a field the schema
    does not have; a ``free_form`` FieldMeta with an empty schema for anything under a free-form value (RawExtension,
    JSON, an unknown key kept by x-kubernetes-preserve-unknown-fields).
    """
    if isinstance(definition, str):
        try:
            return _field_meta_cached(definition, tuple(path))
        except TypeError:  # unhashable segment
            pass
        return _navigate({"$ref": REF_PREFIX + definition}, path, False)
    return _navigate(definition, path, True)

