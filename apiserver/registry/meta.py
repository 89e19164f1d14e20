"""Object metadata rules shared by every resource: names, generateName, uid, timestamps, validation messages."""

from __future__ import annotations

import datetime
import random
import re
import uuid
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
    """A value as Go's %q would print it in validation messages."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def invalid(field_path: str, value, detail: str) -> Cause:
    return field_path, "FieldValueInvalid", f"Invalid value: {quote(value)}: {detail}"


def required(field_path: str, detail: str) -> Cause:
    return field_path, "FieldValueRequired", f"Required value: {detail}"


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
    return str(uuid.uuid4())


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
