"""Levels, versions and the policy of a namespace from its labels (pod-security-admission ``api/``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

PRIVILEGED, BASELINE, RESTRICTED = "privileged", "baseline", "restricted"
LEVELS = (PRIVILEGED, BASELINE, RESTRICTED)

LABEL_PREFIX = "pod-security.kubernetes.io/"
ENFORCE_LEVEL_LABEL = LABEL_PREFIX + "enforce"
ENFORCE_VERSION_LABEL = LABEL_PREFIX + "enforce-version"
AUDIT_LEVEL_LABEL = LABEL_PREFIX + "audit"
AUDIT_VERSION_LABEL = LABEL_PREFIX + "audit-version"
WARN_LEVEL_LABEL = LABEL_PREFIX + "warn"
WARN_VERSION_LABEL = LABEL_PREFIX + "warn-version"

# Audit annotation keys; the plugin prefixes them with LABEL_PREFIX.
EXEMPTION_REASON_KEY = "exempt"
AUDIT_VIOLATIONS_KEY = "audit-violations"
ENFORCED_POLICY_KEY = "enforce-policy"

_VERSION = re.compile(r"^v1\.([0-9]|[1-9][0-9]*)$")
LEVEL_ERROR = "must be one of " + ", ".join(LEVELS)
VERSION_ERROR = 'must be "latest" or "v1.x"'


@dataclass(frozen=True)
class Version:
    """A policy version: ``v1.<minor>``, or latest (newer than every numbered version)."""

    minor: int = 0
    latest: bool = False

    def __str__(self) -> str:
        return "latest" if self.latest else f"v1.{self.minor}"

    def older(self, other: Version) -> bool:
        if self.latest:
            return False
        return other.latest or self.minor < other.minor


LATEST = Version(latest=True)


@dataclass(frozen=True)
class LevelVersion:
    level: str
    version: Version

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


@dataclass(frozen=True)
class Policy:
    enforce: LevelVersion
    audit: LevelVersion
    warn: LevelVersion

    def fully_privileged(self) -> bool:
        return self.enforce.level == self.audit.level == self.warn.level == PRIVILEGED


DEFAULT_POLICY = Policy(LevelVersion(PRIVILEGED, LATEST), LevelVersion(PRIVILEGED, LATEST),
                        LevelVersion(PRIVILEGED, LATEST))

# A label error: (field path, reason, message) as status.invalid takes them.
LabelError = Tuple[str, str, str]


def parse_level(value: str) -> Tuple[str, bool]:
    """The level, and whether it was valid; an invalid level reads as restricted (fail closed)."""
    return (value, True) if value in LEVELS else (RESTRICTED, False)


def parse_version(value: str) -> Tuple[Version, bool]:
    """The version, and whether it was valid; an invalid version reads as latest."""
    if value == "latest":
        return LATEST, True
    match = _VERSION.match(value) if isinstance(value, str) else None
    if match is None:
        return LATEST, False
    return Version(int(match.group(1))), True


def compare_levels(a: str, b: str) -> int:
    """-1, 0 or +1 as level a is less, as, or more strict than b."""
    return (LEVELS.index(a) > LEVELS.index(b)) - (LEVELS.index(a) < LEVELS.index(b))


def _error(label: str, value: str, message: str) -> LabelError:
    from json import dumps
    return (f"metadata.labels[{label}]", "FieldValueInvalid",
            f"Invalid value: {dumps(value, ensure_ascii=False)}: {message}")


def policy_to_evaluate(labels: Dict[str, str], defaults: Policy = DEFAULT_POLICY) -> Tuple[Policy, List[LabelError]]:
    """api.PolicyToEvaluate: the namespace's policy from its labels over the defaults, and the label errors.
    A policy is always returned: a bad enforce level reads as restricted, a bad audit or warn level as
    privileged, a bad version as latest."""
    errors: List[LabelError] = []
    if not labels:
        return defaults, errors
    enforce_level, enforce_version = defaults.enforce.level, defaults.enforce.version
    audit_level, audit_version = defaults.audit.level, defaults.audit.version
    warn_level, warn_version = defaults.warn.level, defaults.warn.version
    has_enforce_level = has_warn_level = has_warn_version = False
    if ENFORCE_LEVEL_LABEL in labels:
        value = labels[ENFORCE_LEVEL_LABEL]
        enforce_level, ok = parse_level(value)
        has_enforce_level = ok   # a bad enforce level does not carry over to warn
        if not ok:
            errors.append(_error(ENFORCE_LEVEL_LABEL, value, LEVEL_ERROR))
    if ENFORCE_VERSION_LABEL in labels:
        value = labels[ENFORCE_VERSION_LABEL]
        enforce_version, ok = parse_version(value)
        if not ok:
            errors.append(_error(ENFORCE_VERSION_LABEL, value, VERSION_ERROR))
    if AUDIT_LEVEL_LABEL in labels:
        value = labels[AUDIT_LEVEL_LABEL]
        audit_level, ok = parse_level(value)
        if not ok:
            errors.append(_error(AUDIT_LEVEL_LABEL, value, LEVEL_ERROR))
            audit_level = PRIVILEGED   # fail open for audit
    if AUDIT_VERSION_LABEL in labels:
        value = labels[AUDIT_VERSION_LABEL]
        audit_version, ok = parse_version(value)
        if not ok:
            errors.append(_error(AUDIT_VERSION_LABEL, value, VERSION_ERROR))
    if WARN_LEVEL_LABEL in labels:
        value = labels[WARN_LEVEL_LABEL]
        has_warn_level = True
        warn_level, ok = parse_level(value)
        if not ok:
            errors.append(_error(WARN_LEVEL_LABEL, value, LEVEL_ERROR))
            warn_level = PRIVILEGED    # fail open for warn
    if WARN_VERSION_LABEL in labels:
        value = labels[WARN_VERSION_LABEL]
        has_warn_version = True
        warn_version, ok = parse_version(value)
        if not ok:
            errors.append(_error(WARN_VERSION_LABEL, value, VERSION_ERROR))
    # warn defaults to the enforce level when that is set explicitly and is stricter
    if not has_warn_level and has_enforce_level and compare_levels(enforce_level, warn_level) > 0:
        warn_level = enforce_level
        if not has_warn_version:
            warn_version = enforce_version
    return Policy(LevelVersion(enforce_level, enforce_version), LevelVersion(audit_level, audit_version),
                  LevelVersion(warn_level, warn_version)), errors


def aggregate_message(errors: List[LabelError]) -> str:
    """utilerrors.NewAggregate(errs).Error(): one message, or several in brackets."""
    messages = [f"{path}: {message}" for path, _, message in errors]
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
