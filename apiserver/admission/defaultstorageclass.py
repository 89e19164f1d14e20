"""DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault): a claim created without a storage
class gets the default StorageClass; with several defaults, the newest one (then the first by name)."""

from __future__ import annotations

from typing import Optional

from apiserver.admission.interface import CREATE, Attributes

IS_DEFAULT = "storageclass.kubernetes.io/is-default-class"
BETA_IS_DEFAULT = "storageclass.beta.kubernetes.io/is-default-class"
BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def is_default(storage_class: dict) -> bool:
    annotations = (storage_class.get("metadata") or {}).get("annotations") or {}
    return annotations.get(IS_DEFAULT) == "true" or annotations.get(BETA_IS_DEFAULT) == "true"


class DefaultStorageClass:
    name = "DefaultStorageClass"

    def __init__(self, ctx):
        self.classes = ctx.api.store(ctx.table.lookup("storage.k8s.io", "v1", "storageclasses"))

    def admit(self, attrs: Attributes) -> None:
        if attrs.operation != CREATE or not attrs.is_("", "persistentvolumeclaims") or not isinstance(attrs.obj,
                                                                                                        dict):
            return
        claim = attrs.obj
        spec = claim.get("spec")
        if not isinstance(spec, dict):
            return
        annotations = (claim.get("metadata") or {}).get("annotations") or {}
        if spec.get("storageClassName") is not None or BETA_CLASS in annotations:
            return   # "" is a class too: the claim asks for no class
        default = self.default_class()
        if default is not None:
            spec["storageClassName"] = default

    def default_class(self) -> Optional[str]:
        """GetDefaultClass: the newest default; RFC 3339 times of one format sort as text."""
        items, _, _, _ = self.classes.list_page("", None, None, None, None)
        defaults = [c["metadata"] for c in items if is_default(c)]
        if not defaults:
            return None
        defaults.sort(key=lambda md: md.get("name", ""))
        defaults.sort(key=lambda md: md.get("creationTimestamp", ""), reverse=True)
        return defaults[0].get("name")
