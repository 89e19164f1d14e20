"""The generic registry store: one implementation of create, get, list, update, delete and watch semantics
for every resource (k8s.io/apiserver ``pkg/registry/generic/registry/store.go``).

Objects are JSON-shaped dicts. They are stored as JSON bytes without ``metadata.resourceVersion``: the
storage revision of the key is the resourceVersion, set on every object read.
"""

from __future__ import annotations

import copy
import datetime
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from apiserver.apis.resources import ResourceDef
from apiserver.endpoints import status
from apiserver.registry import meta, strategy
from apiserver.storage import interface as st

FOREGROUND, ORPHAN = "foregroundDeletion", "orphan"


@dataclass
class Options:
    """What a request asks beyond the object: dry run, field manager, warnings to send back."""

    dry_run: bool = False
    field_manager: str = ""
    warnings: List[str] = field(default_factory=list)
    applied: bool = False      # server-side apply already computed managedFields
    user: Any = None           # who asks (UserInfo), for admission
    admission: Any = None      # the admission chain (admit/validate), or None for the server's own writes
    request_options: dict = field(default_factory=dict)   # Create/Update/DeleteOptions, for admission
    annotations: Optional[dict] = None   # the request's audit annotations, which admission plugins add to

    def admit(self, operation: str, r: ResourceDef, namespace: str, name: str, obj: Optional[dict],
              old: Optional[dict], subresource: str = "", validating: bool = False) -> None:
        """Run one admission phase over a write; the chain refuses with a StatusError."""
        if self.admission is None:
            return
        from apiserver.admission.interface import Attributes
        attrs = Attributes(operation, r, namespace, name, obj, old, self.user, subresource, self.dry_run,
                           self.request_options, self.warnings)
        if self.annotations is not None:
            attrs.annotations = self.annotations
        if validating:
            self.admission.validate(attrs)
        else:
            self.admission.admit(attrs)


def encode(obj: dict) -> bytes:
    """Stored form: JSON with apiVersion, kind and metadata first and no resourceVersion (the revision is)."""
    md = obj.get("metadata")
    if isinstance(md, dict) and "resourceVersion" in md:
        md = {k: v for k, v in md.items() if k != "resourceVersion"}
    ordered = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": md}
    ordered.update((k, v) for k, v in obj.items() if k not in ordered)
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()


def decode(kv: st.KeyValue) -> dict:
    obj = json.loads(kv.value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
    return obj


_METADATA = b'"metadata":{'


def with_revision(value: bytes, revision: int, type_meta: bool = True) -> Optional[bytes]:
    """The stored JSON with ``metadata.resourceVersion`` set, without decoding it (None if not in stored form).

    Stored objects start ``{"apiVersion":…,"kind":…,"metadata":{`` (see ``encode``), so the first
    ``"metadata":{`` is the object's own. Without ``type_meta`` the result omits apiVersion and kind, as upstream's
    list items do."""
    if not value.startswith(b'{"apiVersion":'):
        return None
    at = value.find(_METADATA)
    if at < 0:
        return None
    body = at + len(_METADATA)
    rv = b'"resourceVersion":"%d"' % revision
    rest = value[body:]
    rv = rv if rest.startswith(b"}") else rv + b","
    head = value[:body] if type_meta else b"{" + _METADATA
    return head + rv + rest


class GenericStore:
    """REST semantics for one resource over the revisioned storage."""

    def __init__(self, resource: ResourceDef, storage: st.Store):
        self.r = resource
        self.storage = storage

    # -- helpers

    def _from_storage(self, obj: dict) -> dict:
        if self.r.custom:  # conversion strategy None: only apiVersion changes between versions
            obj["apiVersion"] = self.r.api_version
            return obj
        return strategy.from_storage(self.r.group, self.r.version, self.r.kind, obj)

    def _to_storage(self, obj: dict) -> dict:
        if self.r.custom and self.r.info is not None:
            return dict(obj, apiVersion=f"{self.r.group}/{self.r.info.storage_version}")
        return strategy.to_storage(self.r.group, self.r.kind, obj)

    def _custom_causes(self, obj: dict, old: Optional[dict]) -> list:
        if not self.r.custom:
            return []
        from apiserver.apiextensions import customresource
        customresource.default(self.r, obj)
        return customresource.validate(self.r, obj, old)

    def read_raw(self, kv: st.KeyValue, type_meta: bool = True) -> Optional[bytes]:
        """The object's JSON for a client without decoding it, when no conversion is needed."""
        if self.r.storage_kind:
            return None
        return with_revision(kv.value, kv.mod_revision, type_meta)

    def get_raw(self, namespace: str, name: str, min_revision: Optional[int] = None) -> st.KeyValue:
        try:
            return self.storage.get(self.r.key(namespace, name), min_revision)
        except st.NotFoundError:
            raise self.not_found(name) from None

    def read(self, kv: st.KeyValue) -> dict:
        return self._from_storage(decode(kv))

    def not_found(self, name: str) -> status.StatusError:
        return status.not_found(self.r.group, self.r.plural, name)

    def _invalid(self, name: str, causes) -> status.StatusError:
        return status.invalid(self.r.group, self.r.kind, name, causes)

    # -- create

    def create(self, namespace: str, obj: dict, opts: Options) -> dict:
        return self.create_answer(namespace, obj, opts)[0]

    def create_answer(self, namespace: str, obj: dict, opts: Options) -> Tuple[dict, Optional[bytes]]:
        """Create, and the created object's JSON as a GET would read it (None on a dry run or when the stored
        form is another kind's): the caller answers with it instead of encoding the object again."""
        r = self.r
        md = obj.get("metadata")
        if md is None:
            md = obj["metadata"] = {}
        if not isinstance(md, dict):
            raise status.bad_request("metadata must be an object")
        wrong = meta.check_meta_types(md)
        if wrong:
            raise status.bad_request(wrong)
        if r.namespaced:
            body_ns = md.get("namespace") or ""
            if body_ns and body_ns != namespace:
                raise status.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            md["namespace"] = namespace
        else:
            md.pop("namespace", None)
        if md.get("resourceVersion"):
            raise status.bad_request("resourceVersion should not be set on objects to be created")
        opts.admit("CREATE", r, namespace, md.get("name") or "", obj, None)
        if not md.get("name"):
            prefix = md.get("generateName")
            if not prefix:
                raise self._invalid("", [meta.required("metadata.name", "name or generateName is required")])
            md["name"] = meta.generate_name(prefix)
        self._prepare_create(obj)
        if not opts.applied:
            self._track_managed_fields(None, obj, opts, "")
        causes = meta.validate_name(md["name"], r.name_rule)
        causes += meta.validate_object_meta(md)
        causes += strategy.validate(r.group, r.kind, obj)
        causes += self._custom_causes(obj, None)
        if causes:
            raise self._invalid(md["name"], causes)
        opts.admit("CREATE", r, namespace, md["name"], obj, None, validating=True)
        if opts.dry_run:
            return obj, None
        for attempt in range(8):
            value = encode(self._to_storage(obj))
            try:
                rev = self.storage.create(r.key(namespace, md["name"]), value)
                break
            except st.AlreadyExistsError:
                if not md.get("generateName") or attempt == 7:
                    raise status.already_exists(r.group, r.plural, md["name"]) from None
                md["name"] = meta.generate_name(md["generateName"])
        md["resourceVersion"] = str(rev)
        return obj, (None if r.storage_kind else with_revision(value, rev))

    def _track_managed_fields(self, live: Optional[dict], new: dict, opts: Options, subresource: str):
        """metadata.managedFields for a non-apply write: the manager owns what it set or changed."""
        from apiserver.apis import schemas
        from apiserver.registry import fieldmanager

        r = self.r
        schema = schemas.definition_for(r.group, r.version, r.kind)
        if schema is None:
            return
        reset = [("status",)] if r.status and not subresource else None
        managed = fieldmanager.managed_fields_for_update(live, new, opts.field_manager, subresource, r.api_version,
                                                         meta.timestamp(), schema, reset_fields=reset)
        if managed:
            new["metadata"]["managedFields"] = managed
        else:
            new["metadata"].pop("managedFields", None)

    def _prepare_create(self, obj: dict):
        r = self.r
        md = obj["metadata"]
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = meta.timestamp()
        for transient in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(transient, None)
        if r.generation:
            md["generation"] = 1
        else:
            md.pop("generation", None)
        if r.status:
            obj.pop("status", None)  # status is written through /status only
        obj["apiVersion"], obj["kind"] = r.api_version, r.kind
        strategy.apply_defaults(r.group, r.kind, obj)

    # -- get and list

    def get(self, namespace: str, name: str, min_revision: Optional[int] = None) -> dict:
        try:
            return self.read(self.storage.get(self.r.key(namespace, name), min_revision))
        except st.NotFoundError:
            raise self.not_found(name) from None

    def list_page_raw(self, namespace: str, revision: Optional[int], limit: Optional[int],
                      start_after: Optional[str]) -> Optional[Tuple[List[bytes], int, Optional[str], int]]:
        """Like ``list_page`` without selectors, as list-item JSON (no apiVersion/kind) without decoding;
        None when the objects need conversion."""
        if self.r.storage_kind:
            return None
        page = self.storage.list(self.r.list_prefix(namespace), revision, limit, start_after)
        items = []
        for kv in page.items:
            raw = with_revision(kv.value, kv.mod_revision, type_meta=False)
            if raw is None:
                return None
            items.append(raw)
        last = page.items[-1].key if page.more and page.items else None
        return items, page.revision, last, page.remaining if page.more else 0

    def list_page(self, namespace: str, revision: Optional[int], limit: Optional[int], start_after: Optional[str],
                  predicate: Optional[Callable[[dict], bool]]) -> Tuple[List[dict], int, Optional[str], int]:
        """Up to ``limit`` matching objects: (items, revision, last key if more remain, remaining count)."""
        prefix = self.r.list_prefix(namespace)
        items: List[dict] = []
        while True:
            want = None if limit is None else (limit - len(items) if predicate is None else max(limit, 50))
            page = self.storage.list(prefix, revision, want, start_after)
            revision = page.revision
            for kv in page.items:
                obj = self.read(kv)
                if predicate is None or predicate(obj):
                    items.append(obj)
                    if limit is not None and len(items) == limit:
                        last = kv.key
                        more = page.more or kv is not page.items[-1]
                        if not more:
                            return items, revision, None, 0
                        remaining = page.remaining + (len(page.items) - page.items.index(kv) - 1) \
                            if predicate is None else 0
                        return items, revision, last, remaining
            if not page.more:
                return items, revision, None, 0
            start_after = page.items[-1].key

    # -- update

    def update(self, namespace: str, name: str, obj: dict, opts: Options, subresource: str = "",
               mutate: Optional[Callable[[dict], dict]] = None) -> Tuple[dict, bool]:
        """PUT (and the read-modify-write of patch, when ``mutate`` computes the new object from the current)."""
        r = self.r
        key = r.key(namespace, name)
        result: Dict[str, object] = {}

        def try_update(current: Optional[st.KeyValue]) -> Optional[bytes]:
            if current is None:
                raise self.not_found(name)
            old = self.read(current)
            new = mutate(copy.deepcopy(old)) if mutate is not None else copy.deepcopy(obj)
            if not isinstance(new, dict) or not isinstance(new.get("metadata", {}), dict):
                raise status.bad_request("the object must be a JSON object with an object metadata")
            new_md = new.setdefault("metadata", {})
            wrong = meta.check_meta_types(new_md)
            if wrong:
                raise status.bad_request(wrong)
            if new_md.get("name") not in (None, name):
                raise status.bad_request(f"the name of the object ({new_md.get('name')}) does not match the name "
                                         f"on the URL ({name})")
            if r.namespaced and new_md.get("namespace") not in (None, "", namespace):
                raise status.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            rv = new_md.get("resourceVersion")
            if rv and rv != str(current.mod_revision):
                raise status.conflict(r.group, r.plural, name, status.MODIFIED_CONFLICT)
            opts.admit("UPDATE", r, namespace, name, new, old, subresource)
            merged = self._prepare_update(new, old, subresource)
            if not opts.applied:
                self._track_managed_fields(old, merged, opts, subresource)
            causes = self._validate_update(merged, old)
            if causes:
                raise self._invalid(name, causes)
            opts.admit("UPDATE", r, namespace, name, merged, old, subresource, validating=True)
            result["object"] = merged
            if _same(merged, old):
                return None  # nothing changed: no write, same resourceVersion
            if opts.dry_run:
                raise _DryRun()
            return encode(self._to_storage(merged))

        return self._write(key, name, try_update, result), False

    def _prepare_update(self, new: dict, old: dict, subresource: str) -> dict:
        r = self.r
        new_md, old_md = new["metadata"], old["metadata"]
        if subresource == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            return merged
        new["apiVersion"], new["kind"] = r.api_version, r.kind
        new_md["name"] = old_md["name"]
        if r.namespaced:
            new_md["namespace"] = old_md.get("namespace", "")
        new_md["creationTimestamp"] = old_md.get("creationTimestamp")
        for kept in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            if kept in old_md:
                new_md[kept] = old_md[kept]
            else:
                new_md.pop(kept, None)
        if not new_md.get("uid"):
            new_md["uid"] = old_md.get("uid")
        if r.status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if r.kind == "Namespace" and not r.group:
            new_md.setdefault("labels", {})[strategy.NAMESPACE_LABEL] = old_md["name"]
            if subresource == "finalize":
                old_spec_rest = {k: v for k, v in old.get("spec", {}).items() if k != "finalizers"}
                new["spec"] = dict(old_spec_rest, finalizers=(new.get("spec") or {}).get("finalizers") or [])
            else:
                new["spec"] = old.get("spec", {})
        strategy.prepare_update(r.group, r.kind, new, old)
        strategy.apply_defaults(r.group, r.kind, new, creating=False)
        if r.generation:
            generation = old_md.get("generation", 1)
            if _spec(new) != _spec(old):
                generation += 1
            new_md["generation"] = generation
        elif "generation" in old_md:
            new_md["generation"] = old_md["generation"]
        else:
            new_md.pop("generation", None)
        return new

    def _validate_update(self, new: dict, old: dict) -> List[meta.Cause]:
        new_md, old_md = new["metadata"], old["metadata"]
        causes = []
        if new_md.get("uid") != old_md.get("uid"):
            causes.append(meta.immutable("metadata.uid", new_md.get("uid")))
        if old_md.get("deletionTimestamp"):
            added = [f for f in new_md.get("finalizers") or () if f not in (old_md.get("finalizers") or ())]
            if added:
                causes.append(meta.forbidden("metadata.finalizers", "no new finalizers can be added if the object "
                                             f"is being deleted, found new finalizers {_go_strings(added)}"))
        causes += meta.validate_object_meta(new_md)
        causes += strategy.validate_update(self.r.group, self.r.kind, new, old)
        causes += self._custom_causes(new, old)
        return causes

    # -- delete

    def delete(self, namespace: str, name: str, options: dict, opts: Options) -> Tuple[dict, bool]:
        """Returns (object or Status, deleted now); with finalizers the object is only marked."""
        r = self.r
        key = r.key(namespace, name)
        preconditions = options.get("preconditions") or {}
        policy = options.get("propagationPolicy")
        if options.get("orphanDependents") is not None and policy is None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        grace_requested = options.get("gracePeriodSeconds")

        def check(kv: st.KeyValue):
            current = self.read(kv)
            md = current["metadata"]
            want_uid, want_rv = preconditions.get("uid"), preconditions.get("resourceVersion")
            if want_uid is not None and want_uid != md.get("uid"):
                raise status.conflict(r.group, r.plural, name, f"Precondition failed: UID in precondition: "
                                      f"{want_uid}, UID in object meta: {md.get('uid', '')}")
            if want_rv is not None and want_rv != md.get("resourceVersion"):
                raise status.conflict(r.group, r.plural, name, f"Precondition failed: ResourceVersion in "
                                      f"precondition: {want_rv}, ResourceVersion in object meta: "
                                      f"{md.get('resourceVersion')}")
            return current

        try:
            kv = self.storage.get(key)
        except st.NotFoundError:
            raise self.not_found(name) from None
        current = check(kv)
        opts.admit("DELETE", r, namespace, name, None, current)
        opts.admit("DELETE", r, namespace, name, None, current, validating=True)
        md = current["metadata"]
        finalizers = list(md.get("finalizers") or [])
        if policy == "Foreground" and FOREGROUND not in finalizers:
            finalizers.append(FOREGROUND)
        elif policy == "Orphan" and ORPHAN not in finalizers:
            finalizers.append(ORPHAN)
        grace = strategy.grace_period(r.group, r.kind, current, grace_requested)
        graceful = bool(finalizers) or grace > 0 or bool(_spec_finalizers(current))
        if not graceful:
            if opts.dry_run:
                return self._deleted_response(current), True
            try:
                deleted = self.storage.delete(key, lambda kv_: check(kv_) and None)
            except st.NotFoundError:
                raise self.not_found(name) from None
            out = self.read(st.KeyValue(deleted.key, deleted.value, deleted.create_revision, deleted.mod_revision))
            return self._deleted_response(out), True

        def mark(current_obj: dict) -> dict:
            current_md = current_obj["metadata"]
            merged = list(current_md.get("finalizers") or [])
            merged += [f for f in finalizers if f not in merged]
            if merged:
                current_md["finalizers"] = merged
            if not current_md.get("deletionTimestamp"):
                current_md["deletionTimestamp"] = meta.timestamp(meta.now() + datetime.timedelta(seconds=grace))
                current_md["deletionGracePeriodSeconds"] = grace
            if r.kind == "Namespace" and not r.group:
                current_obj.setdefault("status", {})["phase"] = "Terminating"
            return current_obj

        obj, _ = self.update_internal(namespace, name, mark, opts)
        return obj, False

    def update_internal(self, namespace: str, name: str, mutate: Callable[[dict], dict], opts: Options):
        """A server-side read-modify-write that may touch deletion fields and status (deletion, finalizers)."""
        key = self.r.key(namespace, name)
        result: Dict[str, dict] = {}

        def try_update(current: Optional[st.KeyValue]) -> Optional[bytes]:
            if current is None:
                raise self.not_found(name)
            old = self.read(current)
            new = mutate(copy.deepcopy(old))
            result["object"] = new
            if opts.dry_run:
                raise _DryRun()
            return None if _same(new, old) else encode(self._to_storage(new))

        return self._write(key, name, try_update, result), True

    def _write(self, key: str, name: str, try_update, result: dict) -> dict:
        """Run a read-modify-write; a deleting object whose last finalizer went is then removed for good."""
        try:
            kv = self.storage.guaranteed_update(key, try_update)
        except st.NotFoundError:
            raise self.not_found(name) from None
        except _DryRun:
            return result["object"]
        obj_out = self.read(kv)
        md = obj_out["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers") and not _spec_finalizers(obj_out):
            self._finish_delete(key, kv)  # the last finalizer is gone: the delete completes
        return obj_out

    def _finish_delete(self, key: str, kv: st.KeyValue):
        def unchanged(current: st.KeyValue):
            if current.mod_revision != kv.mod_revision:
                raise st.ConflictError(key)
        try:
            self.storage.delete(key, unchanged)
        except (st.NotFoundError, st.ConflictError):
            pass  # someone else finished it, or changed it again (then the next update decides)

    def _deleted_response(self, obj: dict) -> dict:
        if self.r.kind in ("Pod", "Service", "Namespace") and not self.r.group:
            return obj
        md = obj.get("metadata", {})
        details = {"name": md.get("name", ""), "kind": self.r.plural, "uid": md.get("uid", "")}
        if self.r.group:
            details = {"name": details["name"], "group": self.r.group, "kind": self.r.plural, "uid": details["uid"]}
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


class _DryRun(Exception):
    """Raised inside try_update to leave storage untouched after a full dry-run pass."""


def _spec(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _same(a: dict, b: dict) -> bool:
    def strip(o):
        md = {k: v for k, v in o.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
        return dict(o, metadata=md)
    return strip(a) == strip(b)


def _spec_finalizers(obj: dict) -> list:
    """Namespaces carry finalizers in spec (the namespace controller removes ``kubernetes``)."""
    if obj.get("kind") == "Namespace" and obj.get("apiVersion") == "v1":
        return (obj.get("spec") or {}).get("finalizers") or []
    return []


def _go_strings(values: List[str]) -> str:
    return "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"
