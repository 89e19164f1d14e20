"""The version this server reports: Kubernetes 1.32, so kubectl 1.32 shows no skew warning."""

from __future__ import annotations

import platform
import sys

from apiserver import __version__

KUBE_MAJOR = "1"
KUBE_MINOR = "32"
# Semver build metadata names this project without confusing version parsers.
GIT_VERSION = f"v{KUBE_MAJOR}.{KUBE_MINOR}.0+apiserver.py.{__version__}"

_MACHINES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def version_info() -> dict:
    """The body of /version, with upstream's field names (apimachinery pkg/version/types.go)."""
    machine = platform.machine().lower()
    return {
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "gitVersion": GIT_VERSION,
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",
        "compiler": sys.implementation.name,
        "platform": f"{sys.platform}/{_MACHINES.get(machine, machine)}",
    }
