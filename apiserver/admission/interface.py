"""The admission contract: what a plugin is told about a write, and the chain that runs the plugins.

A plugin has a ``name`` and may define ``admit(attrs)`` (mutating phase: may change ``attrs.obj`` in place) and
``validate(attrs)`` (validating phase: may only refuse). Either raises a ``StatusError`` to refuse the write;
``forbidden`` gives upstream's usual 403. The mutating phase runs before the registry's own defaulting and
validation, the validating phase after them, right before storage (as ``admission.NewChainHandler`` and the
registry's ``createValidation``/``updateValidation`` do upstream).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from apiserver.endpoints import status

CREATE, UPDATE, DELETE, CONNECT = "CREATE", "UPDATE", "DELETE", "CONNECT"


@dataclass
class Attributes:
    """One write as admission sees it (admission.Attributes)."""

    operation: str
    resource: Any                 # the ResourceDef: group, version, kind, plural, namespaced
    namespace: str
    name: str
    obj: Optional[dict]           # the new object (None on delete); mutating plugins change it in place
    old: Optional[dict]           # the stored object (None on create)
    user: Any = None              # UserInfo of the requester
    subresource: str = ""
    dry_run: bool = False
    options: dict = field(default_factory=dict)        # CreateOptions, UpdateOptions or DeleteOptions
    warnings: List[str] = field(default_factory=list)  # sent back as Warning headers
    annotations: dict = field(default_factory=dict)    # audit annotations, key -> value

    @property
    def group(self) -> str:
        return self.resource.group

    @property
    def version(self) -> str:
        return self.resource.version

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def plural(self) -> str:
        return self.resource.plural

    def is_(self, group: str, plural: str, subresource: str = "") -> bool:
        """Whether this write is to ``group``/``plural`` (and the given subresource; "" is the main resource)."""
        return self.resource.group == group and self.resource.plural == plural and self.subresource == subresource


def forbidden(attrs: Attributes, message: str) -> status.StatusError:
    """admission.NewForbidden: ``<resource> "<name>" is forbidden: <message>``; before a generated name exists,
    the generateName prefix stands for it (extractResourceName)."""
    md = attrs.obj.get("metadata") if isinstance(attrs.obj, dict) else None
    md = md if isinstance(md, dict) else {}
    name = attrs.name or md.get("name") or md.get("generateName") or ("Unknown" if attrs.obj is not None else "")
    return status.forbidden(attrs.plural, attrs.group, name, message)


class Chain:
    """The enabled plugins in upstream's order; each phase asks every plugin that has it."""

    def __init__(self, plugins: List[Any]):
        self.plugins = list(plugins)
        self._mutating = [p for p in self.plugins if hasattr(p, "admit")]
        self._validating = [p for p in self.plugins if hasattr(p, "validate")]

    @property
    def names(self) -> List[str]:
        return [p.name for p in self.plugins]

    def admit(self, attrs: Attributes) -> None:
        for plugin in self._mutating:
            plugin.admit(attrs)

    def validate(self, attrs: Attributes) -> None:
        for plugin in self._validating:
            plugin.validate(attrs)

    def close(self) -> None:
        for plugin in self.plugins:
            close = getattr(plugin, "close", None)
            if close is not None:
                close()
