"""The REST handlers: one generic implementation of every verb for every resource
(k8s.io/apiserver ``pkg/endpoints/handlers``).

Flow of a request: request info names the resource → ``APIHandler`` finds its ``GenericStore`` → the verb's
handler parses options and the body, calls the store, and encodes the answer (object, list, Table,
PartialObjectMetadata, or a stream of watch events).
"""

from __future__ import annotations

import base64
import collections
import datetime
import json
import random
import re
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.apis import typecheck
from apiserver.apis.resources import ResourceDef, ResourceTable
from apiserver.endpoints import negotiation as neg
from apiserver.endpoints import patch as patches
from apiserver.endpoints import status
from apiserver.endpoints.selectors import (
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from apiserver.endpoints.watchhub import WatchHub, WatchStream
from apiserver.registry import fieldmanager, meta, strategy
from apiserver.registry.namespaces import NamespaceCache
from apiserver.registry.store import GenericStore, Options
from apiserver.server.request import Request, Response
from apiserver.storage import interface as st

log = logs.get_logger(__name__)

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
# upstream's NamespaceLifecycle protects the first three; kube-node-lease too, by this project's choice


def _json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class ListOptions:
    """metav1.ListOptions from the query, validated as upstream does."""

    def __init__(self, req: Request, r: ResourceDef):
        q = req.param
        self.label_selector = self.field_selector = None
        try:
            if q("labelSelector"):
                self.label_selector = parse_label_selector(q("labelSelector"))
            if q("fieldSelector"):
                self.field_selector = parse_field_selector(q("fieldSelector"))
        except SelectorError as err:
            raise status.bad_request(str(err)) from None
        if self.field_selector is not None:
            allowed = set(r.all_field_selectors)
            for name in self.field_selector.fields():
                if name not in allowed:
                    raise status.bad_request(f'"{name}" is not a known field selector: only "metadata.name", '
                                             f'"metadata.namespace"' if not r.field_selectors else
                                             f"field label not supported: {name}")
        self.resource_version = q("resourceVersion") or ""
        self.match = q("resourceVersionMatch") or ""
        self.continue_token = q("continue") or ""
        self.watch = (q("watch") or "").lower() in ("true", "1")
        self.allow_bookmarks = (q("allowWatchBookmarks") or "").lower() in ("true", "1")
        self.send_initial_events = None if q("sendInitialEvents") is None else \
            q("sendInitialEvents").lower() in ("true", "1")
        self.limit = _int_param(q("limit"), "limit")
        self.timeout_seconds = _int_param(q("timeoutSeconds"), "timeoutSeconds")
        if self.match and self.match not in ("Exact", "NotOlderThan"):
            raise status.bad_request(f'resourceVersionMatch: Unsupported value: "{self.match}": supported values: '
                                     '"Exact", "NotOlderThan"')
        if self.match and not self.resource_version and not (self.watch and self.send_initial_events):
            raise status.bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
        if self.match == "Exact" and self.resource_version == "0":
            raise status.bad_request('resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        if self.continue_token and self.match:
            raise status.bad_request("resourceVersionMatch is forbidden when continue is provided")
        if self.continue_token and self.resource_version not in ("", "0"):
            raise status.bad_request("specifying resource version is not allowed when using continue")
        if self.send_initial_events is not None and not self.watch:
            raise status.bad_request("sendInitialEvents is forbidden for list")
        if self.send_initial_events is not None and self.match != "NotOlderThan":
            raise status.bad_request("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
        if self.send_initial_events and not self.allow_bookmarks:
            raise status.bad_request("sendInitialEvents requires setting allowWatchBookmarks to true")

    def predicate(self) -> Optional[Callable[[dict], bool]]:
        labels, fields = self.label_selector, self.field_selector
        if (labels is None or labels.empty) and (fields is None or fields.empty):
            return None

        def matches(obj: dict) -> bool:
            md = obj.get("metadata") or {}
            if labels is not None and not labels.matches(md.get("labels") or {}):
                return False
            if fields is not None and not fields.matches({f: strategy.field_value(obj, f) for f in fields.fields()}):
                return False
            return True
        return matches

    @property
    def has_selectors(self) -> bool:
        return self.predicate() is not None


def _int_param(value: Optional[str], name: str) -> Optional[int]:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise status.bad_request(f'invalid value for {name}: "{value}"') from None


def _revision(text: str) -> int:
    try:
        value = int(text)
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        raise status.bad_request(f"invalid resource version: {text}") from None


def encode_continue(revision: int, last_key: str, prefix: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": last_key[len(prefix):] + "\u0000"},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str, prefix: str) -> Tuple[int, str]:
    """(revision, key to start after) from an opaque continue token; 400 for a token we did not make."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
            raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        revision, start = data.get("rv"), data.get("start")
        if not isinstance(revision, int) or revision <= 0 or not isinstance(start, str) or not start:
            raise ValueError("encoded start key empty" if not start else "incorrect encoded start resourceVersion")
        return revision, prefix + start.rstrip("\u0000")
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise status.bad_request(f"invalid continue token: continue key is not valid: {err}") from None


class APIHandler:
    """Serves every resource request under /api and /apis."""

    def __init__(self, table: ResourceTable, storage: st.Store, streams_stop, min_request_timeout: int = 1800,
                 bookmark_interval: float = 60.0):
        self.table = table
        self.storage = storage
        self.streams_stop = streams_stop
        self.min_request_timeout = min_request_timeout
        self.bookmark_interval = bookmark_interval
        self._stores: Dict[Tuple[str, str, str], GenericStore] = {}
        self._event_cache: collections.OrderedDict[tuple, bytes] = collections.OrderedDict()
        self._event_cache_lock = threading.Lock()
        self.hub = WatchHub()
        self.namespaces = NamespaceCache(storage)
        self.decode_protobuf: Optional[Callable[[bytes], dict]] = None
        self.unknown_fields: Optional[Callable[[dict, ResourceDef], List[str]]] = None
        self.admission = None   # the admission chain, set once the plugins are built
        # (group, plural, subresource) -> (the kind the body is, handler(req, obj, namespace, name) -> answer):
        # virtual resources (reviews) and create-only subresources (serviceaccounts/token)
        self.creators: Dict[Tuple[str, str, str], Tuple[ResourceDef, Callable]] = {}

    def close(self):
        self.hub.close()
        self.namespaces.close()

    def store(self, r: ResourceDef) -> GenericStore:
        key = (r.group, r.version, r.plural)
        s = self._stores.get(key)
        if s is None or s.r is not r:
            s = self._stores[key] = GenericStore(r, self.storage)
        return s

    def __call__(self, req: Request) -> Response:
        info = req.info
        r = self.table.lookup(info.api_group, info.api_version, info.resource)
        if r is None:
            raise status.not_found_resource()
        sub = info.subresource
        creator = (r.group, r.plural, sub) in self.creators
        if (r.virtual and not creator) or (not sub and info.verb not in r.verbs):
            raise status.method_not_supported(r.group, r.plural, info.verb)
        if creator and sub:
            if info.verb != "create":
                raise status.method_not_supported(r.group, f"{r.plural}/{sub}", info.verb)
        elif sub and sub not in ("status", "scale", "finalize"):
            if sub in r.subresources:
                raise status.method_not_supported(r.group, f"{r.plural}/{sub}", info.verb)
            raise status.not_found_resource()
        if sub and sub not in r.subresources:
            raise status.not_found_resource()
        namespace = info.namespace if r.namespaced else ""
        if r.plural == "namespaces" and not r.group:
            namespace = ""
        verb = info.verb
        if r.info is not None and r.info.deprecation_warning:
            response = self._serve(req, r, namespace, verb, sub, info)
            response.headers.append(("Warning", "299 - " + json.dumps(r.info.deprecation_warning)))
            return response
        return self._serve(req, r, namespace, verb, sub, info)

    def _serve(self, req: Request, r: ResourceDef, namespace: str, verb: str, sub: str, info) -> Response:
        try:
            if verb == "get":
                return self.get(req, r, namespace, info.name, sub)
            if verb == "list":
                return self.list(req, r, namespace)
            if verb == "watch":
                return self.watch(req, r, namespace)
            if verb == "create":
                if info.name and not sub:
                    raise status.StatusError(405, "MethodNotAllowed",
                                             "the server does not allow this method on the requested resource")
                if r.namespaced and not namespace:
                    raise status.StatusError(405, "MethodNotAllowed",
                                             "the server does not allow this method on the requested resource")
                if r.info is not None and r.info.terminating:
                    raise status.StatusError(405, "MethodNotAllowed", "create not allowed while custom resource "
                                             "definition is terminating")
                return self.create(req, r, namespace)
            if verb in ("update", "patch"):
                if not info.name:
                    raise status.StatusError(405, "MethodNotAllowed",
                                             "the server does not allow this method on the requested resource")
                if verb == "update":
                    return self.update(req, r, namespace, info.name, sub)
                return self.patch(req, r, namespace, info.name, sub)
            if verb == "delete":
                return self.delete(req, r, namespace, info.name)
            if verb == "deletecollection":
                return self.delete_collection(req, r, namespace)
        except st.TooLargeRevisionError as err:
            raise status.StatusError(504, "Timeout", f"Timeout: {err}", {"retryAfterSeconds": 1},
                                     [("Retry-After", "1")]) from None
        except st.CompactedError as err:
            raise status.expired(str(err)) from None
        except st.UnavailableError as err:
            if getattr(self.storage, "etcd", False):
                # upstream passes etcd client errors through as they are: 500 without a reason ("Error from
                # server: etcdserver: request timed out" when there is no quorum)
                raise status.StatusError(500, "", str(err)) from None
            raise status.service_unavailable(str(err)) from None
        raise status.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                 "resource")

    # -- request parsing

    def options(self, req: Request) -> Options:
        dry_run = req.query.get("dryRun", [])
        for value in dry_run:
            if value != "All":
                raise status.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        manager = req.param("fieldManager") or req.user_agent.split("/", 1)[0]
        if len(manager) > 128:
            raise status.bad_request("fieldManager: Too long: may not be more than 128 bytes")
        audit = req.audit
        return Options(dry_run=bool(dry_run), field_manager=manager, user=req.user, admission=self.admission,
                       request_options=_request_options(req, bool(dry_run)),
                       annotations=audit.annotations if audit is not None else None)

    def decode_body(self, req: Request, r: ResourceDef, opts: Options, allow_kinds=()) -> dict:
        media = neg.content_type(req.headers.get("Content-Type"))
        body = req.body
        if media == neg.PROTOBUF:
            if r.custom or self.decode_protobuf is None:
                raise status.unsupported_media_type(("application/json", "application/yaml"))
            try:
                obj = self.decode_protobuf(body)
            except ValueError as err:  # ProtobufError
                raise status.bad_request(f"the body could not be decoded as protobuf: {err}") from None
            duplicates: List[str] = []
        elif media in (neg.JSON, neg.YAML, "text/plain", "*/*"):
            obj, duplicates = self._parse_json_or_yaml(body, media)
        else:
            raise status.unsupported_media_type()
        if not isinstance(obj, dict):
            raise status.bad_request(f"the object provided is unrecognized (must be of type {r.kind}): "
                                     f"couldn't get version/kind; json parse error: not an object")
        self.check_type(obj, r, allow_kinds)
        self.field_validation(req, r, obj, duplicates, opts)
        return obj

    def _parse_json_or_yaml(self, body: bytes, media: str):
        try:
            from apiserver.codec import json as kjson
        except ImportError:  # until the strict decoder exists
            kjson = None
        if media == neg.YAML and not body.lstrip().startswith((b"{", b"[")):
            try:
                import yaml
            except ImportError:
                raise status.StatusError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                                         "format - accepted media types include: application/json (YAML bodies need "
                                         "PyYAML, which is not installed on this server)") from None
            try:
                return yaml.safe_load(body), []
            except yaml.YAMLError as err:
                mark = getattr(err, "problem_mark", None)
                problem = (getattr(err, "problem", None) or str(err)).replace(
                    "mapping values are not allowed here", "mapping values are not allowed in this context")
                where = f"line {mark.line + 1}: " if mark is not None else ""
                raise status.bad_request(f"error decoding YAML: error converting YAML to JSON: yaml: {where}"
                                         f"{problem}") from None
        if kjson is not None:
            try:
                return kjson.loads(body)
            except kjson.JSONError as err:
                raise status.bad_request(str(err)) from None
        try:
            return json.loads(body), []
        except (ValueError, RecursionError) as err:
            raise status.bad_request(f"invalid JSON: {err}") from None

    def check_type(self, obj: dict, r: ResourceDef, allow_kinds=()):
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if (api_version, kind) in allow_kinds:
            return
        if kind is not None and kind != r.kind:
            raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({r.kind})")
        if api_version is not None and api_version != r.api_version:
            raise status.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                     f"version ({r.api_version})")

    def field_validation(self, req: Request, r: ResourceDef, obj: dict, duplicates: List[str], opts: Options,
                         patch_doc=None):
        """Wrong value types are refused; unknown and duplicate fields are reported as ``fieldValidation`` asks
        and then dropped: a built-in type keeps only the fields its schema has, as upstream's typed decoding
        does. ``patch_doc`` (for patches) shapes the errors as upstream's patch handler does."""
        directive = req.param("fieldValidation") or "Warn"
        if directive not in ("Ignore", "Warn", "Strict"):
            raise status.bad_request(f'fieldValidation: Unsupported value: "{directive}": supported values: '
                                     '"Ignore", "Strict", "Warn"')
        if r.custom:
            from apiserver.apiextensions import customresource
            unknown = customresource.prune(r, obj)   # undeclared fields go, as upstream's pruning does
        else:
            definition = self.definition(r)
            wrong = typecheck.type_errors(obj, definition)
            if wrong:
                raise self._decode_error(r, wrong[0], patch_doc)
            unknown = self.unknown_fields(obj, r) if self.unknown_fields is not None else []
        problems = [f'duplicate field "{d}"' for d in duplicates] + [f'unknown field "{u}"' for u in unknown]
        if problems and directive == "Strict":
            raise self._decode_error(r, "strict decoding error: " + ", ".join(problems), patch_doc)
        if problems and directive == "Warn":
            opts.warnings.extend(problems)
        if not r.custom:
            for path in unknown:
                prune_path(obj, path)

    @staticmethod
    def _decode_error(r: ResourceDef, message: str, patch_doc) -> status.StatusError:
        if patch_doc is None:  # create and update: the body could not be decoded into the type (400)
            return status.bad_request(f'{r.kind} in version "{r.version}" cannot be handled as a {r.kind}: {message}')
        shown = json.dumps(patch_doc, separators=(",", ":"))
        return status.StatusError(422, "Invalid", f' "" is invalid: patch: Invalid value: {json.dumps(shown)}: '
                                  f"{message}", {"causes": [{"reason": "FieldValueInvalid", "message":
                                                             f"Invalid value: {json.dumps(shown)}: {message}",
                                                             "field": "patch"}]})

    # -- encoding

    def respond(self, req: Request, r: ResourceDef, obj: dict, code: int = 200, opts: Optional[Options] = None,
                target: Optional[neg.Target] = None, raw: Optional[bytes] = None) -> Response:
        """``obj`` as JSON, or ``raw`` when the caller has its JSON already."""
        if target is None:
            target = neg.negotiate(req.headers.get("Accept"), allow_table=False, list_request=False)
        headers = [("Content-Type", target.media)]
        if opts is not None:
            for warning in opts.warnings:
                headers.append(("Warning", '299 - ' + json.dumps(warning)))
        return Response(code, headers, _json(obj) if raw is None else raw)

    def _object_target(self, req: Request) -> neg.Target:
        return neg.negotiate(req.headers.get("Accept"), allow_table=True, list_request=False)

    # -- verbs

    def get(self, req: Request, r: ResourceDef, namespace: str, name: str, sub: str) -> Response:
        target = self._object_target(req)
        rv = req.param("resourceVersion") or ""
        min_revision = _revision(rv) if rv not in ("", "0") else None
        store = self.store(r)
        if min_revision is not None:
            self.storage.wait_for_revision(min_revision, 3.0)
        if not sub and target.as_kind is None:
            raw = store.read_raw(store.get_raw(namespace, name, min_revision))
            if raw is not None:  # the stored JSON with its resourceVersion: no decode and re-encode
                return Response(200, [("Content-Type", target.media)], raw)
        obj = store.get(namespace, name, min_revision)
        if sub == "scale":
            obj = to_scale(r, obj)
        elif sub == "status" or not sub:
            pass
        return self._render_one(req, r, obj, target)

    def _render_one(self, req: Request, r: ResourceDef, obj: dict, target: neg.Target) -> Response:
        if target.as_kind == neg.TABLE:
            table = self.table_for(req, r, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                                   target)
            return Response(200, [("Content-Type", neg.JSON)], _json(table))
        if target.as_kind == neg.PARTIAL:
            return Response(200, [("Content-Type", neg.JSON)], _json(partial(obj, target.as_version)))
        return Response(200, [("Content-Type", target.media)], _json(obj))

    def list(self, req: Request, r: ResourceDef, namespace: str) -> Response:
        target = neg.negotiate(req.headers.get("Accept"), allow_table=True, list_request=True)
        opts = ListOptions(req, r)
        store = self.store(r)
        prefix = r.list_prefix(namespace)
        revision: Optional[int] = None
        start_after = None
        if opts.continue_token:
            revision, start_after = decode_continue(opts.continue_token, prefix)
            if revision < self.storage.compacted_revision():
                raise status.expired("The provided continue parameter is too old to display a consistent list "
                                     "result. You can start a new list without the continue parameter, or use the "
                                     "continue token in this response to retrieve the remainder of the results. "
                                     "Continuing with the provided token results in an inconsistent list - objects "
                                     "that were created, modified, or deleted between the time the first chunk was "
                                     "returned and now may show up in the list.")
        elif opts.resource_version not in ("", "0"):
            asked = _revision(opts.resource_version)
            if opts.match == "Exact" or (not opts.match and opts.limit):
                revision = asked
            else:
                if not self.storage.wait_for_revision(asked, 3.0):
                    raise st.TooLargeRevisionError(asked, self.storage.current_revision())
        limit = opts.limit if opts.limit and opts.limit > 0 else None
        predicate = opts.predicate()
        if target.as_kind is None and predicate is None:
            raw = store.list_page_raw(namespace, revision, limit, start_after)
            if raw is not None:  # stored JSON spliced into the list: no decode and re-encode per item
                items_raw, revision, last_key, remaining = raw
                list_meta = {"resourceVersion": str(revision)}
                if last_key is not None:
                    list_meta["continue"] = encode_continue(revision, last_key, prefix)
                    if remaining:
                        list_meta["remainingItemCount"] = remaining
                body = b'{"kind":%s,"apiVersion":%s,"metadata":%s,"items":[%s]}' % (
                    _json(r.list_kind), _json(r.api_version), _json(list_meta), b",".join(items_raw))
                return Response(200, [("Content-Type", target.media)], body)
        items, revision, last_key, remaining = store.list_page(namespace, revision, limit, start_after,
                                                               predicate)
        list_meta: Dict[str, object] = {"resourceVersion": str(revision)}
        if last_key is not None:
            list_meta["continue"] = encode_continue(revision, last_key, prefix)
            if remaining and not opts.has_selectors:
                list_meta["remainingItemCount"] = remaining
        if target.as_kind == neg.TABLE:
            return Response(200, [("Content-Type", neg.JSON)], _json(self.table_for(req, r, items, list_meta,
                                                                                    target)))
        if target.as_kind == neg.PARTIAL_LIST:
            body = {"kind": "PartialObjectMetadataList", "apiVersion": f"meta.k8s.io/{target.as_version}",
                    "metadata": list_meta, "items": [partial(o, target.as_version) for o in items]}
            return Response(200, [("Content-Type", neg.JSON)], _json(body))
        for item in items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        body = {"kind": r.list_kind, "apiVersion": r.api_version, "metadata": list_meta, "items": items}
        return Response(200, [("Content-Type", target.media)], _json(body))

    def table_for(self, req: Request, r: ResourceDef, items: List[dict], list_meta: dict,
                  target: neg.Target) -> dict:
        from apiserver.apis import printers  # only Table requests need the printers

        include = req.param("includeObject") or "Metadata"
        if include not in ("None", "Metadata", "Object"):
            raise status.bad_request(f'includeObject: Unsupported value: "{include}": supported values: "None", '
                                     '"Metadata", "Object"')
        now = datetime.datetime.now(datetime.timezone.utc)
        if r.custom and r.info is not None:
            from apiserver.apiextensions import crds
            columns = crds.column_definitions(r.info)

            def cells(obj):
                return crds.cells(r.info, obj, now, printers.translate_timestamp_since)
        else:
            columns = printers.table_columns(r.group, r.kind)

            def cells(obj):
                return printers.table_cells(r.group, r.kind, obj, now)
        rows = []
        for obj in items:
            row = {"cells": cells(obj)}
            if include == "Metadata":
                row["object"] = partial(obj, "v1")
            elif include == "Object":
                row["object"] = obj
            rows.append(row)
        table = {"kind": "Table", "apiVersion": f"meta.k8s.io/{target.as_version}", "metadata": list_meta,
                 "columnDefinitions": columns, "rows": rows}
        return table

    def create(self, req: Request, r: ResourceDef, namespace: str) -> Response:
        opts = self.options(req)
        creator = self.creators.get((r.group, r.plural, req.info.subresource))
        if creator is not None:
            body_kind, answer = creator
            obj = self.decode_body(req, body_kind, opts)
            return self.respond(req, body_kind, answer(req, obj, namespace, req.info.name), 201, opts)
        obj = self.decode_body(req, r, opts)
        created, raw = self.store(r).create_answer(namespace, obj, opts)
        return self.respond(req, r, created, 201, opts, raw=raw)

    def update(self, req: Request, r: ResourceDef, namespace: str, name: str, sub: str) -> Response:
        opts = self.options(req)
        if sub == "scale":
            scale = self.decode_body(req, r, opts, allow_kinds=(("autoscaling/v1", "Scale"),))
            updated = self._write_scale(r, namespace, name, scale, opts)
            return self.respond(req, r, updated, 200, opts)
        obj = self.decode_body(req, r, opts)
        updated, created = self.store(r).update(namespace, name, obj, opts, sub)
        return self.respond(req, r, updated, 201 if created else 200, opts)

    def patch(self, req: Request, r: ResourceDef, namespace: str, name: str, sub: str) -> Response:
        opts = self.options(req)
        media = neg.content_type(req.headers.get("Content-Type"))
        accepted = (neg.JSON_PATCH, neg.MERGE_PATCH, neg.APPLY_PATCH) if r.custom else \
            (neg.JSON_PATCH, neg.MERGE_PATCH, neg.STRATEGIC_PATCH, neg.APPLY_PATCH)
        if media not in accepted:
            raise status.unsupported_media_type(accepted)
        if req.param("force") is not None and media != neg.APPLY_PATCH:
            raise status.StatusError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may '
                                     "not be specified for non-apply patch",
                                     {"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                                         {"reason": "FieldValueForbidden", "message": "Forbidden: may not be "
                                          "specified for non-apply patch", "field": "force"}]})
        if media == neg.APPLY_PATCH:
            return self.apply(req, r, namespace, name, sub, opts)
        try:
            patch_doc, duplicates = self._parse_json_or_yaml(req.body, neg.JSON)
        except status.StatusError as err:
            strict_decode = media != neg.STRATEGIC_PATCH and (req.param("fieldValidation") or "Warn") != "Ignore"
            raise status.bad_request(("error decoding patch: " if strict_decode else "") + err.message) from None
        definition = self.definition(r)
        store = self.store(r)

        strict = (req.param("fieldValidation") or "Warn") != "Ignore"

        def apply_patch(current: dict, schema=definition) -> dict:
            try:
                if media == neg.JSON_PATCH:
                    return patches.json_patch(current, patch_doc, strict=strict)
                if media == neg.MERGE_PATCH:
                    return patches.merge_patch(current, patch_doc, strict=strict)
                return patches.strategic_merge_patch(current, patch_doc, schema)
            except patches.PatchError as err:
                if err.code >= 500:  # upstream answers some malformed patches 500; a client's mistake is a 422
                    raise status.StatusError(422, "Invalid", err.message) from None
                raise

        if sub == "scale":
            def mutate_scale(current: dict) -> dict:
                scale = apply_patch(to_scale(r, current), "io.k8s.api.autoscaling.v1.Scale")
                if not isinstance(scale, dict):
                    raise status.bad_request("the patch must produce an object")
                return from_scale(r, current, scale)
            updated, _ = store.update(namespace, name, {}, opts, "", mutate_scale)
            return self.respond(req, r, to_scale(r, updated), 200, opts)

        def mutate(current: dict) -> dict:
            patched = apply_patch(current)
            if not isinstance(patched, dict):
                raise status.invalid(r.group, r.kind, name, [("patch", "FieldValueInvalid",
                                                              "Invalid value: the patch must produce an object")])
            try:
                self.check_type(patched, r)
            except status.StatusError as err:
                raise self._decode_error(r, err.message, patch_doc) from None
            self.field_validation(req, r, patched, duplicates, opts, patch_doc)
            return patched

        updated, _ = store.update(namespace, name, {}, opts, sub, mutate)
        return self.respond(req, r, updated, 200, opts)

    def definition(self, r: ResourceDef):
        """The schema the patch and apply code merge by: a built-in definition name."""
        from apiserver.apis import schemas
        return schemas.definition_for(r.group, r.version, r.kind) or ""

    def apply(self, req: Request, r: ResourceDef, namespace: str, name: str, sub: str, opts: Options) -> Response:
        """Server-side apply: the body is the manager's whole intent; fields it stops applying go away."""
        manager = req.param("fieldManager")
        if not manager:
            raise status.StatusError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                                     "Required value: is required for apply patch",
                                     {"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                                         {"reason": "FieldValueRequired", "message": "Required value: is required "
                                          "for apply patch", "field": "fieldManager"}]})
        force = (req.param("force") or "").lower() == "true"
        applied, _ = self._parse_json_or_yaml(req.body, neg.YAML)
        if not isinstance(applied, dict):
            raise status.bad_request("error decoding YAML: the apply body must be an object")
        body_name = (applied.get("metadata") or {}).get("name") if isinstance(applied.get("metadata"), dict) else None
        if body_name not in (None, name):
            raise status.bad_request(f"the name of the object ({body_name}) does not match the name on the URL "
                                     f"({name})")
        store = self.store(r)
        schema = self.definition(r)
        reset = [("status",)] if r.status and not sub else ([("spec",)] if sub == "status" else None)
        opts.applied = True

        def run_apply(live: Optional[dict]) -> dict:
            try:
                result = fieldmanager.apply(live, applied, manager, force, r.api_version, meta.timestamp(), schema,
                                            subresource=sub, kind=r.kind, reset_fields=reset)
            except fieldmanager.ApplyConflict as err:
                raise status.StatusError(409, "Conflict", err.message, {"causes": err.causes}) from None
            except fieldmanager.ApplyError as err:
                raise status.StatusError(400 if err.code < 500 else 422, "BadRequest" if err.code < 500
                                         else "Invalid", err.message) from None
            self.field_validation(req, r, result, [], opts)
            return result

        try:
            store.get_raw(namespace, name)
        except status.StatusError as err:
            if err.code != 404 or sub:
                raise
            created = store.create(namespace, run_apply(None), opts)
            return self.respond(req, r, created, 201, opts)
        updated, _ = store.update(namespace, name, {}, opts, sub, run_apply)
        return self.respond(req, r, updated, 200, opts)

    def _write_scale(self, r: ResourceDef, namespace: str, name: str, scale: dict, opts: Options) -> dict:
        store = self.store(r)
        want_rv = (scale.get("metadata") or {}).get("resourceVersion")

        def mutate(current: dict) -> dict:
            if want_rv and want_rv != current["metadata"].get("resourceVersion"):
                raise status.conflict(r.group, r.plural, name, status.MODIFIED_CONFLICT)
            return from_scale(r, current, scale)
        updated, _ = store.update(namespace, name, {}, opts, "", mutate)
        return to_scale(r, updated)

    def delete(self, req: Request, r: ResourceDef, namespace: str, name: str) -> Response:
        opts = self.options(req)
        options = self.delete_options(req)
        opts.request_options.update((k, v) for k, v in options.items() if k not in ("kind", "apiVersion"))
        result, deleted = self.store(r).delete(namespace, name, options, opts)
        return self.respond(req, r, result, 200, opts)

    def delete_options(self, req: Request) -> dict:
        options: dict = {}
        body = req.body
        if body.strip():
            try:
                options = json.loads(body)
            except (ValueError, RecursionError) as err:
                raise status.bad_request(f"error decoding DeleteOptions: {err}") from None
            if not isinstance(options, dict):
                raise status.bad_request("DeleteOptions must be an object")
            if options.get("kind") not in (None, "DeleteOptions"):
                raise status.bad_request(f"the kind in the data ({options.get('kind')}) does not match the "
                                         "expected kind (DeleteOptions)")
        for key in ("gracePeriodSeconds",):
            if req.param(key) is not None:
                options[key] = _int_param(req.param(key), key)
        if req.param("propagationPolicy"):
            options["propagationPolicy"] = req.param("propagationPolicy")
        if req.param("orphanDependents") is not None:
            options["orphanDependents"] = req.param("orphanDependents").lower() == "true"
        policy = options.get("propagationPolicy")
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            raise status.StatusError(422, "Invalid", f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
                                     f'Unsupported value: "{policy}": supported values: "Foreground", '
                                     '"Background", "Orphan"')
        grace = options.get("gracePeriodSeconds")
        if grace is not None and not isinstance(grace, int):
            raise status.bad_request("gracePeriodSeconds must be an integer")
        return options

    def delete_collection(self, req: Request, r: ResourceDef, namespace: str) -> Response:
        opts = self.options(req)
        options = self.delete_options(req)
        list_opts = ListOptions(req, r)
        store = self.store(r)
        items, revision, _, _ = store.list_page(namespace, None, None, None, list_opts.predicate())
        deleted = []
        for obj in items:
            md = obj["metadata"]
            try:
                result, _ = store.delete(md.get("namespace", ""), md["name"], options, opts)
            except status.StatusError as err:
                if err.code == 404:
                    continue
                raise
            if result.get("kind") != "Status":
                result.pop("apiVersion", None)
                result.pop("kind", None)
                deleted.append(result)
            else:
                deleted.append(obj)
        for item in deleted:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        body = {"kind": r.list_kind, "apiVersion": r.api_version,
                "metadata": {"resourceVersion": str(self.storage.current_revision())}, "items": deleted}
        return self.respond(req, r, body, 200, opts)

    # -- watch

    def watch(self, req: Request, r: ResourceDef, namespace: str) -> Response:
        target = neg.negotiate(req.headers.get("Accept"), allow_table=True, list_request=False)
        opts = ListOptions(req, r)
        predicate = opts.predicate()
        store = self.store(r)
        prefix = r.list_prefix(namespace)
        rv = opts.resource_version
        timeout = opts.timeout_seconds
        if timeout is None or timeout <= 0:
            timeout = random.uniform(self.min_request_timeout, 2 * self.min_request_timeout)
        initial: List[dict] = []
        send_initial = opts.send_initial_events
        if send_initial is None:
            send_initial = rv in ("", "0")
        error_event = None
        watcher = None
        start_rev = None
        if send_initial:
            if rv not in ("", "0"):
                asked = _revision(rv)
                if not self.storage.wait_for_revision(asked, 3.0):
                    raise st.TooLargeRevisionError(asked, self.storage.current_revision())
            items, start_rev, _, _ = store.list_page(namespace, None, None, None, predicate)
            initial = items
        else:
            start_rev = _revision(rv) if rv else self.storage.current_revision()
        try:
            watcher = self.storage.watch(prefix, start_rev)
        except st.CompactedError as err:
            error_event = {"type": "ERROR", "object": status.StatusError(
                410, "Expired", f"too old resource version: {start_rev} ({err.compacted})").status()}
        encode = self._event_encoder(req, r, target)
        shared = predicate is None and encode is self._plain_encode

        def encode_event(event: st.Event) -> Optional[bytes]:
            if shared:  # every plain-JSON watcher without selectors sends the same bytes: encode once
                return self._shared_event(r, store, event)
            out = self._translate(store, event, predicate)
            return encode(*out) if out is not None else None

        pump = _WatchPump(self, r, watcher, initial, start_rev or 0, opts, timeout, encode, encode_event,
                          error_event)
        return Response(200, [("Content-Type", target.media if not target.as_kind else neg.JSON)], stream=pump)

    def _event_encoder(self, req: Request, r: ResourceDef, target: neg.Target):
        if target.as_kind == neg.TABLE:
            def encode(kind: str, obj: dict) -> bytes:
                if kind in ("BOOKMARK", "ERROR"):
                    return _json({"type": kind, "object": obj}) + b"\n"
                table = self.table_for(req, r, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion")},
                                       target)
                return _json({"type": kind, "object": table}) + b"\n"
        elif target.as_kind == neg.PARTIAL:
            def encode(kind: str, obj: dict) -> bytes:
                if kind == "ERROR":
                    return _json({"type": kind, "object": obj}) + b"\n"
                return _json({"type": kind, "object": partial(obj, target.as_version)}) + b"\n"
        else:
            encode = self._plain_encode
        return encode

    @staticmethod
    def _plain_encode(kind: str, obj: dict) -> bytes:
        return _json({"type": kind, "object": obj}) + b"\n"

    def _shared_event(self, r: ResourceDef, store: GenericStore, event: st.Event) -> bytes:
        key = (event.revision, event.key, r.group, r.version)
        line = self._event_cache.get(key)
        if line is None:
            kv = st.KeyValue(event.key, event.value, 0, event.revision)
            raw = store.read_raw(kv)
            if raw is not None:
                line = b'{"type":"%s","object":%s}\n' % (event.type.encode(), raw)
            else:
                line = self._plain_encode(event.type, store.read(kv))
            with self._event_cache_lock:
                self._event_cache[key] = line
                while len(self._event_cache) > 512:
                    self._event_cache.popitem(last=False)
        return line

    def _translate(self, store: GenericStore, event: st.Event, predicate) -> Optional[Tuple[str, dict]]:
        """A storage event as the client sees it; with selectors, objects moving in or out become ADDED/DELETED."""
        kv = st.KeyValue(event.key, event.value, 0, event.revision)
        obj = store.read(kv)
        if event.type == st.DELETED:
            if predicate is not None and not predicate(obj):
                return None
            return "DELETED", obj
        if predicate is None:
            return event.type, obj
        now_matches = predicate(obj)
        was = None
        if event.type == st.MODIFIED and event.prev_value is not None:
            was = predicate(store.read(st.KeyValue(event.key, event.prev_value, 0, event.revision)))
        if now_matches and (event.type == st.ADDED or was is False):
            return "ADDED", obj
        if now_matches:
            return "MODIFIED", obj
        if was:
            return "DELETED", obj
        return None


class _WatchPump:
    """A watch response: the connection thread sends the initial events, then the hub streams the rest."""

    def __init__(self, api: APIHandler, r: ResourceDef, watcher, initial: List[dict], revision: int,
                 opts: ListOptions, timeout: float, encode, encode_event, error_event):
        self.api, self.r, self.watcher = api, r, watcher
        self.initial, self.revision, self.opts = initial, revision, opts
        self.deadline = time.monotonic() + timeout
        self.encode, self.encode_event, self.error_event = encode, encode_event, error_event

    def serve(self, send: Callable[[bytes], None], sock) -> None:
        if self.error_event is not None:
            send(_json(self.error_event) + b"\n")
            return
        try:
            for obj in self.initial:
                send(self.encode("ADDED", obj))
            if self.opts.send_initial_events and self.opts.allow_bookmarks:
                send(self.encode("BOOKMARK", bookmark(self.r, self.revision, initial_end=True)))
        except BaseException:
            self.close()
            raise
        marks = (lambda revision: self.encode("BOOKMARK", bookmark(self.r, revision))) \
            if self.opts.allow_bookmarks else None
        stream = WatchStream(self.watcher, self.encode_event, marks, self.deadline, self.api.bookmark_interval,
                             self.api.streams_stop)
        self.api.hub.serve(stream, send, sock)

    def close(self):
        if self.watcher is not None:
            self.watcher.stop()


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def prune_path(obj, path: str) -> None:
    """Delete the field at a strict-decoding path such as ``spec.template.spec.containers[0].imagee``."""
    tokens = [name if name else int(index) for name, index in _PATH_TOKEN.findall(path)]
    node = obj
    for token in tokens[:-1]:
        if isinstance(token, int):
            node = node[token] if isinstance(node, list) and token < len(node) else None
        else:
            node = node.get(token) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and tokens and isinstance(tokens[-1], str):
        node.pop(tokens[-1], None)


def bookmark(r: ResourceDef, revision: int, initial_end: bool = False) -> dict:
    md: Dict[str, object] = {"resourceVersion": str(revision)}
    if initial_end:
        md["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": r.kind, "apiVersion": r.api_version, "metadata": md}


def partial(obj: dict, version: str = "v1") -> dict:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}",
            "metadata": obj.get("metadata", {})}


def _request_options(req: Request, dry_run: bool) -> dict:
    """The request's Create/Update/Patch/DeleteOptions as admission webhooks are sent them."""
    kind = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
            "DELETE": "DeleteOptions"}.get(req.method)
    if kind is None:
        return {}
    options: dict = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
    if dry_run:
        options["dryRun"] = ["All"]
    if kind != "DeleteOptions":
        for param in ("fieldManager", "fieldValidation"):
            if req.param(param):
                options[param] = req.param(param)
        if kind == "PatchOptions" and req.param("force") is not None:
            options["force"] = req.param("force").lower() == "true"
    return options


# -- the scale subresource

def _get(obj: dict, path: Tuple[str, ...]):
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: dict, path: Tuple[str, ...], value):
    for part in path[:-1]:
        obj = obj.setdefault(part, {})
    obj[path[-1]] = value


def to_scale(r: ResourceDef, obj: dict) -> dict:
    spec = r.scale
    md = obj["metadata"]
    selector = _get(obj, spec.selector) if spec.selector else None
    if isinstance(selector, str):   # custom resources keep the selector serialized (labelSelectorPath)
        selector_text = selector
    elif spec.selector_is_map and isinstance(selector, dict):
        selector_text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    elif isinstance(selector, dict):
        parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
        for expr in selector.get("matchExpressions") or ():
            op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
            if op == "In":
                parts.append(f"{key} in ({','.join(values)})")
            elif op == "NotIn":
                parts.append(f"{key} notin ({','.join(values)})")
            elif op == "Exists":
                parts.append(key)
            elif op == "DoesNotExist":
                parts.append(f"!{key}")
        selector_text = ",".join(parts)
    else:
        selector_text = ""
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
             "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                          if k in md},
             "spec": {"replicas": _get(obj, spec.spec_replicas) or 0},
             "status": {"replicas": _get(obj, spec.status_replicas) or 0}}
    if selector_text:
        scale["status"]["selector"] = selector_text
    return scale


def from_scale(r: ResourceDef, current: dict, scale: dict) -> dict:
    replicas = _get(scale, ("spec", "replicas"))
    if replicas is None:
        replicas = 0
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise status.invalid("autoscaling", "Scale", current["metadata"]["name"], [
            ("spec.replicas", "FieldValueInvalid",
             f"Invalid value: {replicas}: must be greater than or equal to 0")])
    _set(current, r.scale.spec_replicas, replicas)
    return current
