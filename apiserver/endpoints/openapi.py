"""OpenAPI documents of the served API: /openapi/v3 (an index and one OpenAPI 3.0 document per group-version)
and /openapi/v2 (one swagger 2.0 document), shaped as kube-apiserver 1.32 serves them.

kubectl needs them: ``create -f``, ``apply -f`` and ``edit`` (default ``--validate=strict``) look in the v3
document of the object's group-version for a ``patch`` operation carrying the object's
``x-kubernetes-group-version-kind`` and a ``fieldValidation`` parameter, and then leave validation to the server
(``fieldValidation=Strict``); ``kubectl explain`` and client-side apply's strategic merge patch read the schemas
under ``components.schemas``.

What is served, per group-version (as upstream's installer and kube-openapi builder3 make it):

* paths ``/apis/<g>/<v>/namespaces/{namespace}/<plural>[/{name}[/<subresource>]]``, ``/apis/<g>/<v>/<plural>``
  (all namespaces), ``/apis/<g>/<v>/watch/...`` and ``/apis/<g>/<v>/`` (the APIResourceList); operationIds such
  as ``patchAppsV1NamespacedDeployment``, ``x-kubernetes-action`` and ``x-kubernetes-group-version-kind`` on
  every resource operation, upstream's query parameters and descriptions, request bodies and responses with
  their media types (custom resources: JSON and YAML only, no strategic merge patch);
* ``components.schemas``: every definition the paths reach, from the 1.32 definitions in
  :mod:`apiserver.apis.schemas` plus whatever the ``extra_definitions`` provider adds (custom resources). A
  ``$ref`` with sibling keys (a description...) becomes ``allOf: [{$ref}]`` plus the siblings, as in upstream's
  v3 documents; IntOrString and Quantity get their v3 ``oneOf`` forms.

Documents are JSON with sorted keys, built lazily, cached on the :class:`OpenAPI` object and rebuilt when the
resources of their group-version change (or after :meth:`OpenAPI.invalidate`, for changed extra definitions).
The v3 index lists each document with ``?hash=<upper-case hex sha512 of its bytes>``; a document requested with
the current hash is answered ``Cache-Control: public, immutable`` (clients cache it on disk), with a stale hash
by a 301 to the current URL, as kube-openapi's handler3 does. Protobuf (gnostic) encodings are not produced: a
request accepting nothing but protobuf is answered 406 (kubectl 1.32 asks v3 documents as JSON).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple
from urllib.parse import urlencode

from apiserver.apis import schemas
from apiserver.apis.resources import GROUP_ORDER, ResourceDef, ResourceTable
from apiserver.server.request import Request, Response
from apiserver.version import GIT_VERSION

__all__ = ["OpenAPI", "V2_PROTOBUF", "V3_PROTOBUF", "etag"]

V3_PREFIX = "/openapi/v3"
V2_PATH = "/openapi/v2"
V3_PROTOBUF = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
V2_REF = "#/definitions/"
V3_REF = "#/components/schemas/"

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_WATCH = "application/json;stream=watch"
PROTOBUF_WATCH = "application/vnd.kubernetes.protobuf;stream=watch"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
STATUS_DEF = META + "Status"
DELETE_OPTIONS_DEF = META + "DeleteOptions"
PATCH_DEF = META + "Patch"
WATCH_EVENT_DEF = META + "WatchEvent"
LIST_META_DEF = META + "ListMeta"
OBJECT_META_DEF = META + "ObjectMeta"

# Resources whose DELETE answers with the deleted object rather than a Status (registry ReturnDeletedObject).
_RETURNS_DELETED_OBJECT = frozenset({("", "Pod"), ("", "Service")})

# subresource -> (HTTP methods, the kind it reads and writes: None for the resource's own kind)
_SUBRESOURCES: Dict[str, Tuple[Tuple[str, ...], Optional[Tuple[str, str, str]]]] = {
    "status": (("get", "put", "patch"), None),
    "scale": (("get", "put", "patch"), ("autoscaling", "v1", "Scale")),
    "finalize": (("put",), None),
    "ephemeralcontainers": (("get", "put", "patch"), None),
    "approval": (("get", "put", "patch"), None),
    "token": (("post",), ("authentication.k8s.io", "v1", "TokenRequest")),
    "eviction": (("post",), ("policy", "v1", "Eviction")),
    "binding": (("post",), ("", "v1", "Binding")),
}

# Query and path parameters: name -> (type, description). DeleteOptions' come from its definition.
_LIST_DOC = (
    "limit is a maximum number of responses to return for a list call. If more items exist, the server will set "
    "the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve "
    "the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero "
    "items) in the event all requested objects are filtered out and clients should only use the presence of the "
    "continue field to determine whether more results are available. Servers may choose not to support the limit "
    "argument and will return all of the available results. If limit is specified and the continue field is empty, "
    "clients may assume that no more results are available. This field is not supported if watch is true.\n\n"
    "The server guarantees that the objects returned when using continue will be identical to issuing a single "
    "list call without a limit - that is, no objects created, modified, or deleted after the first request is "
    "issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent "
    "snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can "
    "ensure they see all possible objects. If objects are updated during a chunked list the version of the object "
    "that was present at the time the first list result was calculated is returned.")
_CONTINUE_DOC = (
    "The continue option should be set when retrieving more results from the server. Since this value is server "
    "defined, clients may only use the continue value from a previous query result with identical query parameters "
    "(except for the value of continue) and the server may reject a continue value it does not recognize. If the "
    "specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a "
    "configuration change on the server, the server will respond with a 410 ResourceExpired error together with a "
    "continue token. If the client needs a consistent list, it must restart their list without the continue field. "
    "Otherwise, the client may send another list request with the token received with the 410 error, the server "
    "will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from "
    "the previous list results - objects that are created, modified, or deleted after the first list request will "
    "be included in the response, as long as their keys are after the \"next key\".\n\nThis field is not supported "
    "when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and "
    "not miss any modifications.")
_SEND_INITIAL_EVENTS_DOC = (
    "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with "
    "synthetic events to produce the current state of objects in the collection. Once all such events have been "
    "sent, a synthetic \"Bookmark\" event  will be sent. The bookmark will report the ResourceVersion (RV) "
    "corresponding to the set of objects, and be marked with `\"k8s.io/initial-events-end\": \"true\"` annotation. "
    "Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent "
    "to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` "
    "option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = "
    "NotOlderThan\n  is interpreted as \"data at least as new as the provided `resourceVersion`\"\n  and the "
    "bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one "
    "provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as \"consistent read\" and "
    "the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being "
    "processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults "
    "to true if `resourceVersion=\"\"` or `resourceVersion=\"0\"` (for backward compatibility reasons) and to false "
    "otherwise.")
_FIELD_VALIDATION_DOC = (
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing "
    "unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently "
    "dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is "
    "the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header "
    "for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The "
    "request will still succeed if there are no other errors, and will only persist the last of any duplicate "
    "fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any "
    "unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned "
    "from the server will contain all unknown and duplicate fields encountered.")
_FIELD_MANAGER_DOC = (
    "fieldManager is a name associated with the actor or entity that is making these changes. The value must be "
    "less than or 128 characters long, and only contain printable characters, as defined by "
    "https://golang.org/pkg/unicode/#IsPrint.")
_QUERY_PARAMS: Dict[str, Tuple[str, str]] = {
    "allowWatchBookmarks": ("boolean", (
        "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks "
        "may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks "
        "are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a "
        "session. If this is not a watch, this field is ignored.")),
    "continue": ("string", _CONTINUE_DOC),
    "fieldSelector": ("string", "A selector to restrict the list of returned objects by their fields. Defaults to "
                                "everything."),
    "labelSelector": ("string", "A selector to restrict the list of returned objects by their labels. Defaults to "
                                "everything."),
    "limit": ("integer", _LIST_DOC),
    "resourceVersion": ("string", (
        "resourceVersion sets a constraint on what resource versions a request may be served from. See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset")),
    "resourceVersionMatch": ("string", (
        "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that "
        "resourceVersionMatch be set for list calls where resourceVersion is set See "
        "https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\n"
        "Defaults to unset")),
    "sendInitialEvents": ("boolean", _SEND_INITIAL_EVENTS_DOC),
    "timeoutSeconds": ("integer", "Timeout for the list/watch call. This limits the duration of the call, "
                                  "regardless of any activity or inactivity."),
    "watch": ("boolean", "Watch for changes to the described resources and return them as a stream of add, "
                         "update, and remove notifications. Specify resourceVersion."),
    "pretty": ("string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent "
                         "indicates a browser or command-line HTTP tool (curl and wget)."),
    "fieldManager": ("string", _FIELD_MANAGER_DOC),
    "fieldManager/patch": ("string", _FIELD_MANAGER_DOC + (
        " This field is required for apply requests (application/apply-patch) but optional for non-apply patch "
        "types (JsonPatch, MergePatch, StrategicMergePatch).")),
    "fieldValidation": ("string", _FIELD_VALIDATION_DOC),
    "force": ("boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting "
                         "fields owned by other people. Force flag must be unset for non-apply patch requests."),
    "namespace": ("string", "object name and auth scope, such as for teams and projects"),
}
_DELETE_OPTION_PARAMS = ("dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
                         "orphanDependents", "propagationPolicy")
_LIST_PARAMS = ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
                "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_PATCH_PARAMS = ("dryRun", "fieldManager/patch", "fieldValidation", "force")
_DELETE_PARAMS = _DELETE_OPTION_PARAMS
_DELETECOLLECTION_PARAMS = ("continue", "dryRun", "fieldSelector", "gracePeriodSeconds",
                            "ignoreStoreReadErrorWithClusterBreakingPotential", "labelSelector", "limit",
                            "orphanDependents", "propagationPolicy", "resourceVersion", "resourceVersionMatch",
                            "sendInitialEvents", "timeoutSeconds")

_OK, _CREATED, _ACCEPTED, _UNAUTHORIZED = ("200", "OK"), ("201", "Created"), ("202", "Accepted"), \
    ("401", "Unauthorized")
_SECURITY_SCHEME = {"BearerToken": {"description": "Bearer Token authentication", "in": "header",
                                    "name": "authorization", "type": "apiKey"}}


# -- naming ---------------------------------------------------------------------------------------------------

def to_operation_id(text: str, capitalize_first: bool) -> str:
    """kube-apiserver's ToValidOperationID: drop punctuation, capitalise what follows it."""
    out = []
    capitalize = capitalize_first
    for i, ch in enumerate(text):
        if ch.isalpha() or ch == "_" or (i != 0 and ch.isdigit()):
            out.append(ch.upper() if capitalize else ch)
            capitalize = False
        else:
            capitalize = True
    return "".join(out)


def _group_words(group: str) -> str:
    """The group as operationIds and tags spell it: ``core`` for the legacy group, without ``.k8s.io``."""
    group = group or "core"
    return group[:-len(".k8s.io")] if group.endswith(".k8s.io") else group


def operation_prefix(group: str, version: str) -> str:
    """``AppsV1``, ``CoreV1``, ``RbacAuthorizationV1``: what follows the verb in an operationId."""
    return to_operation_id(_group_words(group), True) + to_operation_id(version, True)


def tag(group: str, version: str = "") -> str:
    """``apps_v1``, ``core_v1``, ``rbacAuthorization_v1`` (``apps`` for a group's own document)."""
    words = to_operation_id(_group_words(group), False)
    return f"{words}_{to_operation_id(version, False)}" if version else words


def article(noun: str) -> str:
    """upstream's GetArticleForNoun with padding: ``" a "``, ``" an "``, or ``" "`` for a plural."""
    if not noun.endswith("ss") and noun.endswith("s"):
        return " "
    return " an " if noun[:1].lower() in "aeiou" else " a "


def api_prefix(group: str, version: str) -> str:
    """The document key and URL prefix of a group-version: ``api/v1``, ``apis/apps/v1``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def default_definition_name(group: str, version: str, kind: str) -> str:
    """How upstream names a custom resource's definition: ``com.example.stable.v1.CronTab``."""
    reversed_group = ".".join(reversed(group.split("."))) if group else "core"
    return f"{reversed_group}.{version}.{kind}"


def etag(data: bytes) -> str:
    """The quoted ETag of a document: upper-case hex sha512 of its bytes (kube-openapi's computeETag)."""
    return '"' + hashlib.sha512(data).hexdigest().upper() + '"'


# -- the operations of a group-version, before rendering --------------------------------------------------------

@dataclass(frozen=True)
class _Op:
    method: str                       # get, put, post, patch, delete
    operation_id: str
    description: str
    params: Tuple[str, ...]           # keys of query parameters
    responses: Tuple[Tuple[str, str, Optional[str]], ...]  # (code, description, definition)
    produces: Tuple[str, ...]
    tag: str
    action: Optional[str] = None
    gvk: Optional[Tuple[str, str, str]] = None
    body: Optional[str] = None        # request body definition
    consumes: Tuple[str, ...] = ()
    body_required: bool = True


@dataclass(frozen=True)
class _Path:
    path: str
    params: Tuple[Tuple[str, str], ...]   # ("name", kind) / ("path", key) / ("query", key), sorted by name
    ops: Tuple[_Op, ...]


@dataclass
class _Doc:
    """A built document: its bytes, ETag (quoted), hash (the ETag unquoted), build time, and what it was built
    from (``key``: rebuilt when that changes)."""

    key: Any
    data: bytes
    etag: str
    hash: str
    modified: float
    gzipped: Optional[bytes] = None


def _gvk_json(gvk: Tuple[str, str, str]) -> dict:
    return {"group": gvk[0], "kind": gvk[2], "version": gvk[1]}


# -- the service --------------------------------------------------------------------------------------------------

DefinitionFor = Callable[[str, str, str], Optional[str]]


class OpenAPI:
    """The OpenAPI v2 and v3 documents of a resource table.

    ``definition_for(group, version, kind)`` names the definition of a kind before the built-in definitions are
    consulted (custom resources: return e.g. ``com.example.stable.v1.CronTab`` and its ``...CronTabList``), and
    ``extra_definitions()`` returns ``{name: schema}`` for those names (swagger-2.0 style, ``$ref`` as
    ``#/definitions/NAME``; ``#/components/schemas/NAME`` is accepted too; mark the kind's schema with
    ``x-kubernetes-group-version-kind``). A served kind with no definition at all gets a minimal one (any fields,
    ObjectMeta metadata). Call :meth:`invalidate` when the extra definitions change; resources added to or removed
    from the table are noticed by themselves.

    Thread-safe; every document is built once per change of its inputs.
    """

    def __init__(self, table: ResourceTable, definition_for: Optional[DefinitionFor] = None,
                 extra_definitions: Optional[Callable[[], Dict[str, dict]]] = None,
                 version: str = GIT_VERSION, title: str = "Kubernetes"):
        self.table = table
        self.definition_for = definition_for
        self.extra_definitions = extra_definitions
        self.info = {"title": title, "version": version}
        self._lock = threading.RLock()
        self._generation = 0
        self._extra: Optional[Dict[str, dict]] = None          # this generation's extra + synthesized definitions
        self._builtin_v3: Dict[str, dict] = {}                  # converted built-in definitions (never change)
        self._extra_v3: Dict[str, dict] = {}
        self._builtin_refs: Dict[str, Tuple[str, ...]] = {}
        self._extra_refs: Dict[str, Tuple[str, ...]] = {}
        self._v3: Dict[str, _Doc] = {}
        self._v2: Optional[_Doc] = None
        self._index: Optional[_Doc] = None
        self.build_times: Dict[str, float] = {}                 # document -> seconds its last build took

    # -- inputs

    def invalidate(self) -> None:
        """Forget every document and extra definition (call when ``extra_definitions`` changed)."""
        with self._lock:
            self._generation += 1
            self._extra = None
            self._extra_v3 = {}
            self._extra_refs = {}
            self._v3.clear()
            self._v2 = None
            self._index = None

    def _extras(self) -> Dict[str, dict]:
        if self._extra is None:
            self._extra = dict(self.extra_definitions() or {}) if self.extra_definitions is not None else {}
        return self._extra

    def _definition(self, name: str) -> Optional[dict]:
        extra = self._extras().get(name)
        return extra if extra is not None else schemas.definitions().get(name)

    def _group_versions(self) -> List[Tuple[str, str]]:
        versions = self.table.group_versions()
        groups = [g for g in GROUP_ORDER if g in versions] + sorted(g for g in versions if g not in GROUP_ORDER)
        return [(g, v) for g in groups for v in versions[g]]

    def _resources(self, group: str, version: str) -> Tuple[ResourceDef, ...]:
        return tuple(r for r in self.table.resources if r.group == group and r.version == version)

    def definition_name(self, group: str, version: str, kind: str, resource: Optional[ResourceDef] = None) -> str:
        """The definition of a kind: the custom provider's, a built-in, else a synthesized one."""
        name = self.definition_for(group, version, kind) if self.definition_for is not None else None
        if name and self._definition(name) is not None:
            return name
        if resource is None or not resource.custom:
            builtin = schemas.definition_for(group, version, kind)
            if builtin:
                return builtin
        name = name or default_definition_name(group, version, kind)
        if self._definition(name) is None:
            self._extras()[name] = self._synthesize(group, version, kind)
        return name

    def _synthesize(self, group: str, version: str, kind: str) -> dict:
        gvk = [{"group": group, "kind": kind, "version": version}]
        if kind.endswith("List"):
            item = self.definition_name(group, version, kind[:-4])
            return {"description": f"{kind} is a list of {kind[:-4]}", "type": "object", "required": ["items"],
                    "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                   "items": {"type": "array", "items": {"$ref": V2_REF + item}},
                                   "metadata": {"$ref": V2_REF + LIST_META_DEF}},
                    "x-kubernetes-group-version-kind": gvk}
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"$ref": V2_REF + OBJECT_META_DEF}},
                "x-kubernetes-group-version-kind": gvk}

    # -- operations

    def _operations(self, group: str, version: str) -> List[_Path]:
        prefix = "/" + api_prefix(group, version)
        op_prefix = operation_prefix(group, version)
        gv_tag = tag(group, version)
        paths: List[_Path] = []
        paths.append(_Path(prefix + "/", (), (_Op(
            "get", f"get{op_prefix}APIResources", "get available resources", (),
            ((*_OK, META + "APIResourceList"), (*_UNAUTHORIZED, None)), (JSON, YAML, PROTOBUF), gv_tag),)))
        for r in sorted(self._resources(group, version), key=lambda r: r.plural):
            paths.extend(self._resource_paths(r, prefix, op_prefix, gv_tag))
        return paths

    def _resource_paths(self, r: ResourceDef, prefix: str, op_prefix: str, gv_tag: str) -> List[_Path]:
        gvk = (r.group, r.version, r.kind)
        obj = self.definition_name(r.group, r.version, r.kind, r)
        lst = self.definition_name(r.group, r.version, r.list_kind, r)
        verbs = set(r.verbs)
        if r.custom:
            produces: Tuple[str, ...] = (JSON, YAML)
            streams: Tuple[str, ...] = (JSON, YAML, JSON_WATCH)
            patches: Tuple[str, ...] = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)
        else:
            produces = (JSON, YAML, PROTOBUF)
            streams = (JSON, YAML, PROTOBUF, JSON_WATCH, PROTOBUF_WATCH)
            patches = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
        kind = r.kind
        ns = "Namespaced" if r.namespaced else ""
        ns_path = "/namespaces/{namespace}" if r.namespaced else ""
        ns_params: Tuple[Tuple[str, str], ...] = (("path", "namespace"),) if r.namespaced else ()
        pretty = (("query", "pretty"),)
        name_param = (("name", kind),)
        op = _op_factory(gv_tag, gvk)

        def collection_ops() -> List[_Op]:
            ops = []
            if "list" in verbs:
                ops.append(op("get", f"list{op_prefix}{ns}{kind}", f"list or watch objects of kind {kind}",
                              _LIST_PARAMS, ((*_OK, lst), (*_UNAUTHORIZED, None)), streams, "list"))
            if "create" in verbs:
                ops.append(op("post", f"create{op_prefix}{ns}{kind}", f"create{article(kind)}{kind}", _WRITE_PARAMS,
                              ((*_OK, obj), (*_CREATED, obj), (*_ACCEPTED, obj), (*_UNAUTHORIZED, None)), produces,
                              "post", body=obj, consumes=("*/*",)))
            if "deletecollection" in verbs:
                ops.append(op("delete", f"delete{op_prefix}Collection{ns}{kind}", f"delete collection of {kind}",
                              _DELETECOLLECTION_PARAMS, ((*_OK, STATUS_DEF), (*_UNAUTHORIZED, None)), produces,
                              "deletecollection", body=DELETE_OPTIONS_DEF, consumes=("*/*",), body_required=False))
            return ops

        def item_ops() -> List[_Op]:
            ops = []
            if "get" in verbs:
                ops.append(op("get", f"read{op_prefix}{ns}{kind}", f"read the specified {kind}", (),
                              ((*_OK, obj), (*_UNAUTHORIZED, None)), produces, "get"))
            if "update" in verbs:
                ops.append(op("put", f"replace{op_prefix}{ns}{kind}", f"replace the specified {kind}", _WRITE_PARAMS,
                              ((*_OK, obj), (*_CREATED, obj), (*_UNAUTHORIZED, None)), produces, "put",
                              body=obj, consumes=("*/*",)))
            if "patch" in verbs:
                ops.append(op("patch", f"patch{op_prefix}{ns}{kind}", f"partially update the specified {kind}",
                              _PATCH_PARAMS, ((*_OK, obj), (*_CREATED, obj), (*_UNAUTHORIZED, None)), produces,
                              "patch", body=PATCH_DEF, consumes=patches))
            if "delete" in verbs:
                deleted = obj if (r.group, r.kind) in _RETURNS_DELETED_OBJECT else STATUS_DEF
                ops.append(op("delete", f"delete{op_prefix}{ns}{kind}", f"delete{article(kind)}{kind}",
                              _DELETE_PARAMS, ((*_OK, deleted), (*_ACCEPTED, deleted), (*_UNAUTHORIZED, None)),
                              produces, "delete", body=DELETE_OPTIONS_DEF, consumes=("*/*",), body_required=False))
            return ops

        out: List[_Path] = []
        base = f"{prefix}{ns_path}/{r.plural}"
        collection = collection_ops()
        if collection:
            out.append(_Path(base, ns_params + pretty, tuple(collection)))
        items = item_ops()
        if items:
            out.append(_Path(base + "/{name}", name_param + ns_params + pretty, tuple(items)))
        for sub in r.subresources:
            sub_path = self._subresource_path(r, sub, base, op_prefix, ns, ns_params, gv_tag, produces, patches)
            if sub_path is not None:
                out.append(sub_path)
        list_params = tuple(("query", p) for p in _LIST_PARAMS)
        every = tuple(sorted(list_params + pretty, key=lambda p: p[1]))
        if "watch" in verbs:
            watch_base = f"{prefix}/watch{ns_path}/{r.plural}"
            watch_responses = ((*_OK, WATCH_EVENT_DEF), (*_UNAUTHORIZED, None))
            out.append(_Path(watch_base, _sorted_params(every + ns_params), (op(
                "get", f"watch{op_prefix}{ns}{kind}List", f"watch individual changes to a list of {kind}. "
                "deprecated: use the 'watch' parameter with a list operation instead.", (), watch_responses, streams,
                "watchlist"),)))
            out.append(_Path(watch_base + "/{name}", _sorted_params(every + name_param + ns_params), (op(
                "get", f"watch{op_prefix}{ns}{kind}", f"watch changes to an object of kind {kind}. deprecated: use "
                "the 'watch' parameter with a list operation instead, filtered to a single item with the "
                "'fieldSelector' parameter.", (), watch_responses, streams, "watch"),)))
            if r.namespaced:
                out.append(_Path(f"{prefix}/watch/{r.plural}", every, (op(
                    "get", f"watch{op_prefix}{kind}ListForAllNamespaces", f"watch individual changes to a list of "
                    f"{kind}. deprecated: use the 'watch' parameter with a list operation instead.", (),
                    watch_responses, streams, "watchlist"),)))
        if r.namespaced and "list" in verbs:
            out.append(_Path(f"{prefix}/{r.plural}", every, (op(
                "get", f"list{op_prefix}{kind}ForAllNamespaces", f"list or watch objects of kind {kind}", (),
                ((*_OK, lst), (*_UNAUTHORIZED, None)), streams, "list"),)))
        return out

    def _subresource_path(self, r: ResourceDef, sub: str, base: str, op_prefix: str, ns: str,
                          ns_params: Tuple[Tuple[str, str], ...], gv_tag: str, produces: Tuple[str, ...],
                          patches: Tuple[str, ...]) -> Optional[_Path]:
        spec = _SUBRESOURCES.get(sub)
        if spec is None:
            return None
        methods, sub_gvk = spec
        gvk = sub_gvk or (r.group, r.version, r.kind)
        obj = self.definition_name(*gvk) if sub_gvk else self.definition_name(r.group, r.version, r.kind, r)
        suffix = to_operation_id(sub, True)
        kind = r.kind
        op = _op_factory(gv_tag, gvk)
        ops = []
        for method in methods:
            if method == "get":
                ops.append(op("get", f"read{op_prefix}{ns}{kind}{suffix}", f"read {sub} of the specified {kind}",
                              (), ((*_OK, obj), (*_UNAUTHORIZED, None)), produces, "get"))
            elif method == "put":
                ops.append(op("put", f"replace{op_prefix}{ns}{kind}{suffix}", f"replace {sub} of the specified "
                              f"{kind}", _WRITE_PARAMS, ((*_OK, obj), (*_CREATED, obj), (*_UNAUTHORIZED, None)),
                              produces, "put", body=obj, consumes=("*/*",)))
            elif method == "patch":
                ops.append(op("patch", f"patch{op_prefix}{ns}{kind}{suffix}", f"partially update {sub} of the "
                              f"specified {kind}", _PATCH_PARAMS, ((*_OK, obj), (*_CREATED, obj),
                                                                    (*_UNAUTHORIZED, None)),
                              produces, "patch", body=PATCH_DEF, consumes=patches))
            elif method == "post":
                ops.append(op("post", f"create{op_prefix}{ns}{kind}{suffix}", f"create {sub} of{article(kind)}{kind}",
                              _WRITE_PARAMS, ((*_OK, obj), (*_CREATED, obj), (*_ACCEPTED, obj),
                                              (*_UNAUTHORIZED, None)), produces, "post", body=obj,
                              consumes=("*/*",)))
        params = (("name", gvk[2]),) + ns_params + (("query", "pretty"),)
        return _Path(f"{base}/{{name}}/{sub}", params, tuple(ops))

    def _discovery_paths(self, prefix: str) -> Optional[List[_Path]]:
        """The documents besides group-versions: ``api``, ``apis``, ``apis/<group>``, ``version``."""
        media = (JSON, YAML, PROTOBUF)
        if prefix == "api":
            return [_Path("/api/", (), (_Op("get", "getCoreAPIVersions", "get available API versions", (),
                                            ((*_OK, META + "APIVersions"),), media, "core"),))]
        if prefix == "apis":
            return [_Path("/apis/", (), (_Op("get", "getAPIVersions", "get available API versions", (),
                                             ((*_OK, META + "APIGroupList"),), media, "apis"),))]
        if prefix == "version":
            return [_Path("/version/", (), (_Op("get", "getCodeVersion", "get the version information for this "
                                                "server", (), ((*_OK, "io.k8s.apimachinery.pkg.version.Info"),
                                                               (*_UNAUTHORIZED, None)), (JSON,), "version"),))]
        if prefix.startswith("apis/") and prefix.count("/") == 1:
            group = prefix[5:]
            if group and group in self.table.group_versions():
                return [_Path(f"/apis/{group}/", (), (_Op(
                    "get", f"get{to_operation_id(_group_words(group), True)}APIGroup", "get information of a group",
                    (), ((*_OK, META + "APIGroup"),), media, tag(group)),))]
        return None

    # -- documents

    def prefixes(self) -> List[str]:
        """Every v3 document, by index key: ``api``, ``api/v1``, ``apis``, ``apis/apps``, ``apis/apps/v1``...,
        ``version``."""
        out = ["api", "apis", "version"]
        for group, version in self._group_versions():
            if group and f"apis/{group}" not in out:
                out.append(f"apis/{group}")
            out.append(api_prefix(group, version))
        return sorted(out)

    def _gv_of(self, prefix: str) -> Optional[Tuple[str, str]]:
        parts = prefix.split("/")
        if len(parts) == 2 and parts[0] == "api" and parts[1]:
            gv = ("", parts[1])
        elif len(parts) == 3 and parts[0] == "apis" and parts[1] and parts[2]:
            gv = (parts[1], parts[2])
        else:
            return None
        return gv if gv[1] in self.table.group_versions().get(gv[0], ()) else None

    def _v3_key(self, prefix: str) -> Any:
        gv = self._gv_of(prefix)
        if gv is not None:
            return (self._generation, prefix, self._resources(*gv))
        if prefix == "apis" or prefix.startswith("apis/"):
            return (self._generation, prefix, tuple(self._group_versions()))
        return (self._generation, prefix)

    def v3_cached(self, prefix: str) -> Optional[_Doc]:
        """The current document for a prefix (built if needed), or None for an unknown prefix."""
        prefix = prefix.strip("/")
        with self._lock:
            key = self._v3_key(prefix)
            doc = self._v3.get(prefix)
            if doc is not None and doc.key == key:
                return doc
            started = time.perf_counter()
            data = self._build_v3(prefix)
            if data is None:
                self._v3.pop(prefix, None)
                return None
            doc = _make_doc(key, data)
            self._v3[prefix] = doc
            self._index = None
            self.build_times["v3:" + prefix] = time.perf_counter() - started
            return doc

    def v3_document(self, prefix: str) -> Optional[bytes]:
        """The JSON bytes of the v3 document ``api/v1``, ``apis/apps/v1``... (None if not served)."""
        doc = self.v3_cached(prefix)
        return doc.data if doc is not None else None

    def v3_hash(self, prefix: str) -> Optional[str]:
        doc = self.v3_cached(prefix)
        return doc.hash if doc is not None else None

    def v3_index(self) -> dict:
        """``{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=<HASH>"}, ...}}``."""
        paths = {}
        for prefix in self.prefixes():
            doc = self.v3_cached(prefix)
            if doc is not None:
                paths[prefix] = {"serverRelativeURL": server_relative_url(prefix, doc.hash)}
        return {"paths": paths}

    def _index_doc(self) -> _Doc:
        with self._lock:
            index = self.v3_index()
            data = _dumps(index)
            if self._index is None or self._index.data != data:
                self._index = _make_doc(None, data)
            return self._index

    def warm(self) -> None:
        """Build every v3 document now (e.g. from a post-start hook), so that the first client does not wait."""
        self._index_doc()

    def _paths_for(self, prefix: str) -> Optional[List[_Path]]:
        gv = self._gv_of(prefix)
        if gv is not None:
            return self._operations(*gv)
        return self._discovery_paths(prefix)

    def _build_v3(self, prefix: str) -> Optional[bytes]:
        paths = self._paths_for(prefix)
        if paths is None:
            return None
        rendered: Dict[str, dict] = {}
        roots: Set[str] = set()
        param_cache: Dict[Tuple[str, str], dict] = {}
        for p in paths:
            rendered[p.path] = self._v3_path(p, roots, param_cache)
        components: Dict[str, Any] = {"schemas": {name: self._v3_schema(name) for name in self._closure(roots)}}
        if self._gv_of(prefix) is not None or prefix == "version":
            components["securitySchemes"] = _SECURITY_SCHEME
        doc = {"openapi": "3.0.0", "info": self.info, "paths": rendered, "components": components}
        return _dumps(doc)

    def _v3_param(self, where: str, key: str, cache: Dict[Tuple[str, str], dict]) -> dict:
        cached = cache.get((where, key))
        if cached is not None:
            return cached
        if where == "name":
            param = {"description": f"name of the {key}", "in": "path", "name": "name", "required": True,
                     "schema": {"type": "string", "uniqueItems": True}}
        else:
            name, typ, doc = _param_info(key)
            param = {"description": doc, "in": where, "name": name, "schema": {"type": typ, "uniqueItems": True}}
            if where == "path":
                param["required"] = True
        cache[(where, key)] = param
        return param

    def _v3_path(self, p: _Path, roots: Set[str], cache: Dict[Tuple[str, str], dict]) -> dict:
        item: Dict[str, Any] = {}
        if p.params:
            item["parameters"] = [self._v3_param(where, key, cache) for where, key in p.params]
        for op in p.ops:
            out: Dict[str, Any] = {"description": op.description, "operationId": op.operation_id}
            if op.params:
                out["parameters"] = [self._v3_param("query", key, cache) for key in op.params]
            if op.body is not None:
                roots.add(op.body)
                ref = {"schema": {"$ref": V3_REF + op.body}}
                out["requestBody"] = {"content": {media: ref for media in op.consumes}}
                if op.body_required:
                    out["requestBody"]["required"] = True
            responses = {}
            for code, text, definition in op.responses:
                if definition is None:
                    responses[code] = {"description": text}
                else:
                    roots.add(definition)
                    ref = {"schema": {"$ref": V3_REF + definition}}
                    responses[code] = {"content": {media: ref for media in op.produces}, "description": text}
            out["responses"] = responses
            out["tags"] = [op.tag]
            if op.action:
                out["x-kubernetes-action"] = op.action
            if op.gvk:
                out["x-kubernetes-group-version-kind"] = _gvk_json(op.gvk)
            item[op.method] = out
        return item

    # -- schemas

    def _refs(self, name: str) -> Tuple[str, ...]:
        builtin = name not in self._extras()
        cache = self._builtin_refs if builtin else self._extra_refs
        refs = cache.get(name)
        if refs is None:
            found: Set[str] = set()
            _collect_refs(self._definition(name), found)
            refs = cache[name] = tuple(sorted(found))
        return refs

    def _closure(self, roots: Iterable[str]) -> List[str]:
        seen: Set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen or self._definition(name) is None:
                continue
            seen.add(name)
            stack.extend(self._refs(name))
        return sorted(seen)

    def _v3_schema(self, name: str) -> dict:
        builtin = name not in self._extras()
        cache = self._builtin_v3 if builtin else self._extra_v3
        converted = cache.get(name)
        if converted is None:
            converted = cache[name] = _to_v3(self._definition(name), name)
        return converted

    def _v2_schema(self, name: str) -> dict:
        schema = self._definition(name)
        if name in self._extras():
            return _to_v2(schema)
        return schema  # type: ignore[return-value]

    # -- swagger 2.0

    def v2_cached(self) -> _Doc:
        with self._lock:
            key = (self._generation, tuple(self.table.resources))
            if self._v2 is not None and self._v2.key == key:
                return self._v2
            started = time.perf_counter()
            self._v2 = _make_doc(key, self._build_v2())
            self.build_times["v2"] = time.perf_counter() - started
            return self._v2

    def v2_document(self) -> bytes:
        """Swagger 2.0: every path of every served group-version, and the definitions they reach."""
        return self.v2_cached().data

    def _build_v2(self) -> bytes:
        paths: Dict[str, dict] = {}
        roots: Set[str] = set()
        cache: Dict[Tuple[str, str], dict] = {}
        for prefix in self.prefixes():
            for p in self._paths_for(prefix) or ():
                paths[p.path] = self._v2_path(p, roots, cache)
        definitions = {name: self._v2_schema(name) for name in self._closure(roots)}
        doc = {"swagger": "2.0", "info": self.info, "paths": paths, "definitions": definitions,
               "securityDefinitions": _SECURITY_SCHEME, "security": [{"BearerToken": []}]}
        return _dumps(doc)

    def _v2_param(self, where: str, key: str, cache: Dict[Tuple[str, str], dict]) -> dict:
        cached = cache.get((where, key))
        if cached is not None:
            return cached
        if where == "name":
            param = {"description": f"name of the {key}", "in": "path", "name": "name", "required": True,
                     "type": "string", "uniqueItems": True}
        else:
            name, typ, doc = _param_info(key)
            param = {"description": doc, "in": where, "name": name, "type": typ, "uniqueItems": True}
            if where == "path":
                param["required"] = True
        cache[(where, key)] = param
        return param

    def _v2_path(self, p: _Path, roots: Set[str], cache: Dict[Tuple[str, str], dict]) -> dict:
        item: Dict[str, Any] = {}
        if p.params:
            item["parameters"] = [self._v2_param(where, key, cache) for where, key in p.params]
        for op in p.ops:
            params = []
            if op.body is not None:
                roots.add(op.body)
                body = {"in": "body", "name": "body", "schema": {"$ref": V2_REF + op.body}}
                if op.body_required:
                    body["required"] = True
                params.append(body)
            params.extend(self._v2_param("query", key, cache) for key in op.params)
            out: Dict[str, Any] = {"description": op.description, "operationId": op.operation_id}
            if op.consumes:
                out["consumes"] = list(op.consumes)
            if params:
                out["parameters"] = params
            out["produces"] = list(op.produces)
            responses = {}
            for code, text, definition in op.responses:
                responses[code] = {"description": text}
                if definition is not None:
                    roots.add(definition)
                    responses[code]["schema"] = {"$ref": V2_REF + definition}
            out["responses"] = responses
            out["schemes"] = ["https"]
            out["tags"] = [op.tag]
            if op.action:
                out["x-kubernetes-action"] = op.action
            if op.gvk:
                out["x-kubernetes-group-version-kind"] = _gvk_json(op.gvk)
            item[op.method] = out
        return item

    # -- HTTP handlers

    def handle_v3(self, req: Request) -> Response:
        """``/openapi/v3`` (the index) and ``/openapi/v3/<prefix>`` (one document)."""
        path = req.path
        if path == V3_PREFIX:
            return self.handle_v3_index(req)
        return self.handle_v3_document(req)

    def handle_v3_index(self, req: Request) -> Response:
        doc = self._index_doc()
        headers = [("Content-Type", JSON), ("Etag", doc.etag), ("Last-Modified", _http_date(doc.modified))]
        if _not_modified(req, doc):
            return Response(304, [h for h in headers if h[0] != "Content-Type"], b"")
        return Response(200, headers, doc.data)

    def handle_v3_document(self, req: Request) -> Response:
        prefix = req.path[len(V3_PREFIX):].strip("/")
        if not _accepts_json(req.headers.get("Accept")):
            return Response(406, [("Vary", "Accept")], b"")
        doc = self.v3_cached(prefix) if prefix else None
        if doc is None:
            return Response.text("404 page not found\n", 404)
        headers = [("Vary", "Accept"), ("Content-Type", JSON), ("Etag", doc.etag)]
        wanted = req.param("hash")
        if wanted:
            if wanted != doc.hash:
                location = server_relative_url(prefix, doc.hash)
                body = f'<a href="{html.escape(location)}">Moved Permanently</a>.\n\n'.encode()
                return Response(301, [("Location", location), ("Content-Type", "text/html; charset=utf-8")], body)
            headers += [("Cache-Control", "public, immutable"),
                        ("Expires", _http_date(time.time() + 365 * 24 * 3600, rfc1123=True))]
        headers.append(("Last-Modified", _http_date(doc.modified)))
        if _not_modified(req, doc):
            return Response(304, [h for h in headers if h[0] != "Content-Type"], b"")
        return Response(200, headers, doc.data)

    def handle_v2(self, req: Request) -> Response:
        """``/openapi/v2`` as JSON (gzipped when the client accepts it, as upstream's handler does)."""
        if not _accepts_json(req.headers.get("Accept")):
            return Response(406, [("Vary", "Accept")], b"")
        doc = self.v2_cached()
        headers = [("Vary", "Accept"), ("Content-Type", JSON), ("Etag", doc.etag),
                   ("Last-Modified", _http_date(doc.modified))]
        if _not_modified(req, doc):
            return Response(304, [h for h in headers if h[0] != "Content-Type"], b"")
        if _accepts_gzip(req.headers.get("Accept-Encoding")):
            if doc.gzipped is None:
                doc.gzipped = gzip.compress(doc.data, compresslevel=6, mtime=0)
            headers = [("Vary", "Accept-Encoding")] + headers + [("Content-Encoding", "gzip")]
            return Response(200, headers, doc.gzipped)
        return Response(200, headers, doc.data)

    def install(self, server) -> None:
        """Add the routes to a GenericAPIServer: ``/openapi/v3``, ``/openapi/v3/...``, ``/openapi/v2``."""
        server.handle(V3_PREFIX, self.handle_v3_index)
        server.handle_prefix(V3_PREFIX + "/", self.handle_v3_document)
        server.handle(V2_PATH, self.handle_v2)


def _op_factory(gv_tag: str, gvk: Tuple[str, str, str]) -> Callable[..., _Op]:
    """An _Op factory with the tag and GVK filled in: ``op(method, id, description, params, responses, produces,
    action, **body)``."""
    def op(method: str, operation_id: str, description: str, params: Tuple[str, ...],
           responses: Tuple[Tuple[str, str, Optional[str]], ...], produces: Tuple[str, ...], action: str,
           **kw: Any) -> _Op:
        return _Op(method, operation_id, description, params, responses, produces, gv_tag, action, gvk, **kw)
    return op


def _sorted_params(params: Tuple[Tuple[str, str], ...]) -> Tuple[Tuple[str, str], ...]:
    return tuple(sorted(params, key=lambda p: "name" if p[0] == "name" else _param_info(p[1])[0]))


def _param_info(key: str) -> Tuple[str, str, str]:
    """(parameter name, type, description) of a parameter key."""
    if key in _DELETE_OPTION_PARAMS:
        prop = schemas.definitions()[DELETE_OPTIONS_DEF]["properties"][key]
        typ = "string" if prop.get("type") == "array" else prop.get("type", "string")
        return key, typ, prop.get("description", "")
    typ, doc = _QUERY_PARAMS[key]
    return key.split("/", 1)[0], typ, doc


def server_relative_url(prefix: str, digest: str) -> str:
    return f"{V3_PREFIX}/{prefix}?{urlencode({'hash': digest})}"


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _make_doc(key: Any, data: bytes) -> _Doc:
    tag_ = etag(data)
    return _Doc(key, data, tag_, tag_[1:-1], time.time())


# -- schema conversion ------------------------------------------------------------------------------------------

_V3_OVERRIDES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"format": "int-or-string",
                                                         "oneOf": [{"type": "integer"}, {"type": "string"}]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
}


def _ref_target(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _collect_refs(node: Any, out: Set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            out.add(_ref_target(ref))
        for value in node.values():
            if isinstance(value, (dict, list)):
                _collect_refs(value, out)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, (dict, list)):
                _collect_refs(value, out)


def _to_v3(schema: Any, name: Optional[str] = None) -> Any:
    """A swagger-2.0 schema as OpenAPI 3: ``$ref``s point into ``#/components/schemas/``, and one with sibling
    keys becomes ``{"allOf": [{"$ref": ...}], <siblings>}``."""
    if name is not None and name in _V3_OVERRIDES:
        out = {k: v for k, v in schema.items() if k not in ("type", "format")}
        out.update(_V3_OVERRIDES[name])
        return out
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = {"$ref": V3_REF + _ref_target(ref)}
            if len(schema) == 1:
                return target
            out = {"allOf": [target]}
            for key, value in schema.items():
                if key != "$ref":
                    out[key] = _to_v3(value) if isinstance(value, (dict, list)) else value
            return out
        return {k: (_to_v3(v) if isinstance(v, (dict, list)) else v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_to_v3(v) if isinstance(v, (dict, list)) else v for v in schema]
    return schema


def _to_v2(schema: Any) -> Any:
    """Point every ``$ref`` into ``#/definitions/`` (for extra definitions written with v3 refs)."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = V2_REF + _ref_target(value)
            else:
                out[key] = _to_v2(value) if isinstance(value, (dict, list)) else value
        return out
    if isinstance(schema, list):
        return [_to_v2(v) for v in schema]
    return schema


# -- HTTP helpers -----------------------------------------------------------------------------------------------

def _parse_accept(header: Optional[str]) -> List[Tuple[str, str]]:
    """(type, subtype) of each clause with q > 0, best first (goautoneg's order: q, then specificity)."""
    clauses = []
    for index, part in enumerate((header or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        main, _, sub = media.partition("/")
        sub = sub or "*"
        specificity = (main != "*") + (sub != "*")
        clauses.append((-q, -specificity, index, main, sub))
    clauses.sort()
    return [(main, sub) for _, _, _, main, sub in clauses]


def _accepts_json(header: Optional[str]) -> bool:
    """Whether some acceptable clause can be answered with JSON. Clauses naming the protobuf encodings (which
    this server cannot produce) are passed over, so ``Accept: <protobuf>`` alone is answered 406."""
    for main, sub in _parse_accept(header):
        if main not in ("application", "*"):
            continue
        if sub in ("json", "*"):
            return True
    return False


def _accepts_gzip(header: Optional[str]) -> bool:
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        if fields[0].lower() not in ("gzip", "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _etag_matches(header: str, current: str) -> bool:
    """Go's checkIfNoneMatch: ``*`` or any listed tag equal to ours (weak comparison)."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == current:
            return True
    return False


def _not_modified(req: Request, doc: _Doc) -> bool:
    if req.method not in ("GET", "HEAD"):
        return False
    inm = req.headers.get("If-None-Match")
    if inm is not None:
        return _etag_matches(inm, doc.etag)
    ims = req.headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError):
            return False
        return int(doc.modified) <= since
    return False


def _http_date(ts: float, rfc1123: bool = False) -> str:
    """``Mon, 02 Jan 2006 15:04:05 GMT`` (Go's http.TimeFormat; ``rfc1123`` writes ``UTC`` as Go's
    time.RFC1123 does for the Expires header)."""
    text = formatdate(ts, usegmt=True)
    return text[:-3] + "UTC" if rfc1123 else text
