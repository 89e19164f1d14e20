"""What the REST layer does with custom resources: schema defaulting, pruning of undeclared fields, validation
against the version's openAPIV3Schema and its ``x-kubernetes-validations`` CEL rules, and the CRD's own
validation (its schema must be structural and its rules must compile)."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from apiserver.apis.resources import ResourceDef

Cause = Tuple[str, str, str]
_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _schema(r: ResourceDef) -> Optional[dict]:
    return r.info.schema if r.info is not None else None


def default(r: ResourceDef, obj: dict) -> None:
    """Nulls the schema does not allow go, then defaults apply (upstream's order, after pruning)."""
    from apiserver.apiextensions import schema as s
    if _schema(r):
        s.drop_nulls(obj, _schema(r))
        s.default(obj, _schema(r))


def prune(r: ResourceDef, obj: dict) -> List[str]:
    """Drop fields the schema does not declare; returns their paths (unknown fields for field validation)."""
    from apiserver.apiextensions import schema as s
    if not _schema(r):
        return []
    return s.prune(obj, _schema(r))


def validate(r: ResourceDef, obj: dict, old: Optional[dict]) -> List[Cause]:
    from apiserver.apiextensions import schema as s
    schema = _schema(r)
    if not schema:
        return []
    causes = list(s.validate(obj, schema, old))
    causes += rule_causes(schema, obj, old, old is not None, "")
    return causes


def rule_causes(schema: Any, value: Any, old: Any, has_old: bool, path: str) -> List[Cause]:
    """Evaluate ``x-kubernetes-validations`` at every schema node that has a value (oldSelf where it correlates)."""
    from apiserver.apiextensions import cel
    if not isinstance(schema, dict):
        return []
    causes: List[Cause] = []
    for rule in schema.get("x-kubernetes-validations") or ():
        try:
            message = cel.evaluate_rule(rule, value, old if has_old else None, has_old, schema=schema,
                                        is_root=path == "")
        except (cel.CELEvalError, cel.CELCompileError) as err:
            message = str(err)
        if message:
            field_path = (path + (rule.get("fieldPath") or "")).lstrip(".") or "<nil>"
            shown = _TYPE_NAMES.get(type(value), "object") if isinstance(value, (dict, list)) else value
            from apiserver.registry.meta import quote
            causes.append((field_path, "FieldValueInvalid", f"Invalid value: {quote(shown)}: {message}"))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key) if key in props else (extra if isinstance(extra, dict) else None)
            if sub is None:
                continue
            correlated = has_old and isinstance(old, dict) and key in old
            where = f"{path}.{key}" if key in props else f"{path}[{key}]"
            causes += rule_causes(sub, item, old.get(key) if correlated else None, correlated, where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        list_type = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        old_items = old if has_old and isinstance(old, list) else []
        for i, item in enumerate(value):
            match, found = None, False
            if list_type == "map" and keys and isinstance(item, dict):
                for candidate in old_items:
                    if isinstance(candidate, dict) and all(candidate.get(k) == item.get(k) for k in keys):
                        match, found = candidate, True
                        break
            elif list_type == "set" and item in old_items:
                match, found = item, True
            causes += rule_causes(items, item, match, found, f"{path}[{i}]")
    return causes


def compile_rules(crd: dict) -> List[Cause]:
    """Every x-kubernetes-validations rule must compile: rules outside the supported CEL subset are refused."""
    from apiserver.apiextensions import cel
    causes: List[Cause] = []

    def walk(schema: Any, path: str):
        if not isinstance(schema, dict):
            return
        for i, rule in enumerate(schema.get("x-kubernetes-validations") or ()):
            where = f"{path}.x-kubernetes-validations[{i}]"
            if not isinstance(rule, dict):
                continue
            for field in ("rule", "messageExpression"):
                text = rule.get(field)
                if not text:
                    continue
                try:
                    cel.compile(text)
                except cel.CELCompileError as err:
                    causes.append((f"{where}.{field}", "FieldValueInvalid",
                                   f"Invalid value: {_go(text)}: compilation failed: {err}"))
            if not causes:
                for subfield, message in cel.rule_definition_errors(rule):
                    causes.append((f"{where}.{subfield}", "FieldValueInvalid", message))
        for key, sub in (schema.get("properties") or {}).items():
            walk(sub, f"{path}.properties[{key}]")
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{path}.{key}")
        for key in ("allOf", "anyOf", "oneOf"):
            for j, sub in enumerate(schema.get(key) or ()):
                walk(sub, f"{path}.{key}[{j}]")

    for i, version in enumerate((crd.get("spec") or {}).get("versions") or ()):
        walk(((version or {}).get("schema") or {}).get("openAPIV3Schema"),
             f"spec.versions[{i}].schema.openAPIV3Schema")
    return causes


def _go(text: str) -> str:
    from apiserver.registry.meta import quote
    return quote(text)


def validate_crd(crd: dict, old: Optional[dict]) -> List[Cause]:
    from apiserver.apiextensions import schema as s
    return list(s.validate_crd(crd, old)) + compile_rules(crd)
