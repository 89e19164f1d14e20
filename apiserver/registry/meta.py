"""Object metadata rules shared by every resource: names, generateName, uid, timestamps, validation messages."""

from __future__ import annotations

import datetime
import json
import random
import re
from typing import List, Optional, Tuple

Cause = Tuple[str, str, str]   # (field, reason, message)

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_LABEL_RE = re.compile(_DNS1123_LABEL + r"\Z")
_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN + r"\Z")
LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                 "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                     "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
# upstream's names.SimpleNameGenerator: no vowels, so generated suffixes never spell words
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_PREFIX = 58


def quote(value) -> str:
    """A value as upstream's field errors print it (Go's %#v for maps and slices of strings, %q for strings)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return "map[string]string{" + ", ".join(f"{quote(k)}:{quote(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[]string{" + ", ".join(quote(v) for v in value) + "}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def invalid(field_path: str, value, detail: str) -> Cause:
    return field_path, "FieldValueInvalid", f"Invalid value: {quote(value)}: {detail}"


def required(field_path: str, detail: str) -> Cause:
    return field_path, "FieldValueRequired", f"Required value: {detail}" if detail else "Required value"


def forbidden(field_path: str, detail: str) -> Cause:
    return field_path, "FieldValueForbidden", f"Forbidden: {detail}"


def immutable(field_path: str, value) -> Cause:
    return field_path, "FieldValueInvalid", f"Invalid value: {quote(value)}: field is immutable"


def validate_name(name: str, rule: str, field_path: str = "metadata.name") -> List[Cause]:
    if rule == "label":
        if len(name) > 63:
            return [invalid(field_path, name, "must be no more than 63 characters")]
        return [] if _LABEL_RE.match(name) else [invalid(field_path, name, LABEL_MESSAGE)]
    if rule == "path-segment":
        for bad, what in ((".", "may not be '.'"), ("..", "may not be '..'")):
            if name == bad:
                return [invalid(field_path, name, what)]
        for bad in ("/", "%"):
            if bad in name:
                return [invalid(field_path, name, f"may not contain '{bad}'")]
        return []
    if len(name) > 253:
        return [invalid(field_path, name, "must be no more than 253 characters")]
    return [] if _SUBDOMAIN_RE.match(name) else [invalid(field_path, name, SUBDOMAIN_MESSAGE)]


def generate_name(prefix: str) -> str:
    if len(prefix) > MAX_GENERATED_PREFIX:
        prefix = prefix[:MAX_GENERATED_PREFIX]
    return prefix + "".join(random.choice(_NAME_ALPHABET) for _ in range(5))


def new_uid() -> str:
    """A version 4 UUID from the process's seeded generator: unique, and no system call per object."""
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def timestamp(moment: Optional[datetime.datetime] = None) -> str:
    """RFC 3339 in UTC to the second, as metav1.Time marshals."""
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


TOTAL_ANNOTATION_SIZE = 256 * 1024


def validate_object_meta(md: dict) -> List[Cause]:
    """ValidateObjectMeta's label, annotation and finalizer rules, with upstream's messages."""
    from apiserver.endpoints.selectors import validate_label_key, validate_label_value

    causes: List[Cause] = []
    for key, value in (md.get("labels") or {}).items():
        problems = validate_label_key(key)
        if problems:
            causes.append(invalid("metadata.labels", key, "; ".join(problems)))
        problems = validate_label_value(value)
        if problems:
            causes.append(invalid("metadata.labels", value, "; ".join(problems)))
    annotations = md.get("annotations") or {}
    size = 0
    for key, value in annotations.items():
        problems = validate_label_key(key.lower())
        if problems:
            causes.append(invalid("metadata.annotations", key, "; ".join(problems)))
        size += len(key.encode()) + len(value.encode())
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(("metadata.annotations", "FieldValueTooLong",
                       f"Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes"))
    causes += validate_owner_references(md.get("ownerReferences"))
    for i, finalizer in enumerate(md.get("finalizers") or ()):
        problems = validate_label_key(finalizer) if "/" in finalizer or finalizer in (
            "kubernetes", "orphan", "foregroundDeletion") else ["a finalizer name must be a qualified name with a "
                                                                 "domain prefix"]
        if problems and "/" in finalizer:
            causes.append(invalid(f"metadata.finalizers[{i}]", finalizer, "; ".join(problems)))
    return causes


BANNED_OWNERS = {("v1", "Event"): "/v1, Kind=Event", ("events.k8s.io/v1", "Event"): "events.k8s.io/v1, Kind=Event"}


def validate_owner_references(refs) -> List[Cause]:
    """ValidateOwnerReferences: every field set, no banned owner kinds, at most one controller."""
    causes: List[Cause] = []
    if not isinstance(refs, list):
        return causes
    controllers = []
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
        if not api_version:
            causes.append(invalid("metadata.ownerReferences.apiVersion", api_version, "version must not be empty"))
        if not kind:
            causes.append(invalid("metadata.ownerReferences.kind", kind, "kind must not be empty"))
        if not ref.get("name"):
            causes.append(invalid("metadata.ownerReferences.name", ref.get("name") or "", "name must not be empty"))
        if not ref.get("uid"):
            causes.append(invalid("metadata.ownerReferences.uid", ref.get("uid") or "", "uid must not be empty"))
        if (api_version, kind) in BANNED_OWNERS:
            causes.append(invalid("metadata.ownerReferences", ref, f"{BANNED_OWNERS[(api_version, kind)]} is "
                                  "disallowed from being an owner"))
        if ref.get("controller") is True:
            controllers.append(ref)
    if len(controllers) > 1:
        first, second = (f"{c.get('kind')}/{c.get('name')}" for c in controllers[:2])
        causes.append(invalid("metadata.ownerReferences", refs, f"Only one reference can have Controller set to "
                              f"true. Found \"true\" in references for {first} and {second}"))
    return causes


def check_meta_types(md: dict) -> Optional[str]:
    """A message when metadata fields have the wrong JSON types (Go's decoder would refuse them: 400)."""
    for field in ("labels", "annotations"):
        value = md.get(field)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in value.items()):
            return f"json: cannot unmarshal into Go struct field ObjectMeta.metadata.{field} of type map[string]string"
    for field in ("name", "generateName", "namespace", "uid", "resourceVersion"):
        if md.get(field) is not None and not isinstance(md[field], str):
            return f"json: cannot unmarshal into Go struct field ObjectMeta.metadata.{field} of type string"
    finalizers = md.get("finalizers")
    if finalizers is not None and (not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers)):
        return "json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type []string"
    return None
