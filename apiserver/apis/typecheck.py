"""Value types of built-in objects, as Go's decoder enforces them: a string where an int32 belongs is refused
(the server must never store ``replicas: "three"``). Messages follow encoding/json's ``cannot unmarshal``."""

from __future__ import annotations

from typing import Any, List, Optional

from apiserver.apis import schemas

_JSON_KIND = {dict: "object", list: "array", str: "string", bool: "bool", int: "number", float: "number"}
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Types whose JSON form is not their schema's plain type
_LENIENT = {"io.k8s.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.api.resource.Quantity",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
            "io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"}
_GO_TYPES = {("integer", "int32"): "int32", ("integer", "int64"): "int64", ("integer", None): "int",
             ("number", "double"): "float64", ("number", None): "float64", ("boolean", None): "bool",
             ("string", None): "string", ("string", "byte"): "[]uint8"}


def type_errors(obj: Any, definition: str, limit: int = 10) -> List[str]:
    """``json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`` ..."""
    errors: List[str] = []
    if definition:
        _walk(obj, definition, definition, "", errors, limit, 0)
    return errors


def _struct_name(definition: Optional[str]) -> str:
    return (definition or "").rsplit(".", 1)[-1]


def _walk(value: Any, schema: Any, owner: Optional[str], path: str, errors: List[str], limit: int,
          depth: int) -> None:
    if len(errors) >= limit or depth > 200 or value is None:
        return
    name = schema if isinstance(schema, str) else schemas.ref_name(schema)
    if name == _QUANTITY and isinstance(value, str):
        from apiserver.apis.quantity import QuantityError, parse
        try:
            parse(value)
        except QuantityError as err:   # Quantity.UnmarshalJSON's error
            errors.append(str(err))
        return
    if name in _LENIENT:
        return
    try:
        resolved = schemas.resolve(schema)
    except KeyError:
        return
    if name:
        owner = name
    kind = resolved.get("type")
    if resolved.get("x-kubernetes-preserve-unknown-fields") or resolved.get("format") == "int-or-string":
        return
    if kind is None and "properties" not in resolved:
        return
    expected = kind or "object"
    ok = {"object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
          "boolean": isinstance(value, bool),
          "integer": isinstance(value, int) and not isinstance(value, bool),
          "number": isinstance(value, (int, float)) and not isinstance(value, bool)}.get(expected, True)
    if not ok:
        go_type = _GO_TYPES.get((expected, resolved.get("format")), _GO_TYPES.get((expected, None), expected))
        if expected == "object":
            go_type = f"v1.{_struct_name(name or owner)}" if name else "map[string]string"
        elif expected == "array":
            go_type = "[]" + ("string" if (resolved.get("items") or {}).get("type") == "string" else "interface {}")
        errors.append(f"json: cannot unmarshal {_JSON_KIND.get(type(value), 'value')} into Go struct field "
                      f"{_struct_name(owner)}{path} of type {go_type}")
        return
    if expected == "object":
        props = resolved.get("properties") or {}
        extra = resolved.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                _walk(item, props[key], owner, f"{path}.{key}", errors, limit, depth + 1)
            elif isinstance(extra, dict):
                _walk(item, extra, owner, f"{path}.{key}", errors, limit, depth + 1)
    elif expected == "array" and isinstance(resolved.get("items"), dict):
        for item in value:
            _walk(item, resolved["items"], owner, path, errors, limit, depth + 1)
