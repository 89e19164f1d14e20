"""kube-apiserver's wiring (``cmd/kube-apiserver/app/server.go``): the server chain and ``run``.

Requests flow kube-apiserver → apiextensions-apiserver → not found; only the outermost server applies the
filter chain. The kube-apiserver serves discovery and every built-in resource through one generic REST handler.
"""

from __future__ import annotations

import threading
from typing import Optional

from apiserver import logs
from apiserver.admission.interface import Chain
from apiserver.admission.plugins import PluginContext, new_chain
from apiserver.apiextensions.controller import CRDController
from apiserver.apis.resources import builtin_table
from apiserver.auth import bootstrappolicy
from apiserver.auth.authorization import new_authorizer
from apiserver.auth.escalation import EscalationCheck
from apiserver.auth.rbac import RBACAuthorizer, RBACCache
from apiserver.auth.reviews import Reviews, rules_resolver
from apiserver.config import CompletedConfig
from apiserver.controllers.clusterroleaggregation import ClusterRoleAggregationController
from apiserver.controllers.endpointreconciler import LeaseEndpointReconciler
from apiserver.controllers.garbagecollector import GarbageCollector
from apiserver.controllers.identitylease import IdentityLease
from apiserver.controllers.leaderelection import LeaderElector
from apiserver.controllers.namespace import NamespaceController
from apiserver.controllers.resourcequota import ResourceQuotaController
from apiserver.controllers.serviceaccount import ServiceAccountController
from apiserver.controllers.serviceaccounttokens import TokensController
from apiserver.endpoints.discovery import Discovery
from apiserver.endpoints.handlers import APIHandler
from apiserver.endpoints.openapi import OpenAPI
from apiserver.options import ServerRunOptions
from apiserver.registry import authentication
from apiserver.registry.store import GenericStore, Options
from apiserver.server import healthz
from apiserver.server.genericapiserver import GenericAPIServer
from apiserver.server.request import Request, Response

log = logs.get_logger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def create_server_chain(config: CompletedConfig) -> GenericAPIServer:
    table = builtin_table()
    api = APIHandler(table, config.store, config.streams_stop, config.min_request_timeout, config.bookmark_interval)
    openapi = OpenAPI(table, definition_for=lambda g, v, k: _custom_definition(table, g, v, k),
                      extra_definitions=lambda: _custom_schemas(table))
    apiextensions = config.new("apiextensions-apiserver")
    install_apiextensions(apiextensions, config, table, api, openapi)
    kube = config.new("kube-apiserver", delegate=apiextensions)
    if getattr(config.store, "etcd", False):  # upstream's names for the etcd3 backend
        kube.add_health_checks(healthz.cached(healthz.HealthCheck("etcd", config.store.check)))
        kube.add_readyz_checks(healthz.cached(healthz.HealthCheck("etcd-readiness", config.store.ready_check)))
        install_object_counts(kube, config, table)
    else:
        kube.add_health_checks(healthz.cached(healthz.HealthCheck("storage", config.store.check)))
    install_api(kube, config, table, api, openapi)
    install_admission(kube, config, table, api)
    install_authentication(kube, config, table, api)
    install_authorization(kube, config, table, api)
    if config.auditor is not None:
        kube.add_destroy_func(config.auditor.shutdown)  # the last requests' events are written before exit
    kube.add_destroy_func(config.store.close)  # last: everything above reads storage until it stops
    return kube


def install_object_counts(server: GenericAPIServer, config: CompletedConfig, table):
    """apiserver_storage_objects, polled from etcd every --etcd-count-metric-poll-period (0 disables)."""
    period = config.store.count_metric_poll_period
    if period <= 0:
        return
    from apiserver.storage.etcd3 import poll_object_counts
    gauge = config.metrics.gauge(
        "apiserver_storage_objects", "[STABLE] Number of stored objects at the time of last check split by kind. "
        "In case of a fetching error, the value will be -1.", ["resource"])

    def resources():
        seen = {}
        for r in table.resources:
            seen.setdefault(f"{r.plural}.{r.group}" if r.group else r.plural, r.key_prefix)
        return sorted(seen.items())

    def start(stop: threading.Event):
        threading.Thread(target=poll_object_counts, args=(config.store, resources, gauge, period, stop),
                         name="storage-object-counts", daemon=True).start()

    server.add_post_start_hook("storage-object-count-tracker-hook", start)


def install_apiextensions(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler, openapi):
    """CustomResourceDefinitions: the controller that establishes them and cleans up after them."""
    crds = GenericStore(table.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions"), config.store)
    controller = CRDController(config.store, table, crds, api.store, changed=openapi.invalidate)

    def start(stop: threading.Event):
        ready = threading.Event()
        threading.Thread(target=controller.run, args=(stop, ready), name="crd-controller", daemon=True).start()
        ready.wait(10)   # readyz waits until every existing CRD is served again

    server.add_post_start_hook("start-apiextensions-controllers", start)


def _custom_definition(table, group: str, version: str, kind: str):
    r = table.by_kind(group, version, kind)
    if r is None or not r.custom:
        return None
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def _custom_schemas(table) -> dict:
    out = {}
    for r in table.resources:
        if r.custom and r.info is not None and r.info.schema:
            name = _custom_definition(table, r.group, r.version, r.kind)
            out[name] = dict(r.info.schema, **{"x-kubernetes-group-version-kind": [
                {"group": r.group, "version": r.version, "kind": r.kind}]})
    return out


def install_api(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler, openapi):
    host, port = config.secure_serving.address
    discovery = Discovery(table, f"{host}:{port}")
    try:
        from apiserver.codec import protobuf
        api.decode_protobuf = protobuf.decode
    except ImportError:
        pass
    try:
        from apiserver.apis import schemas
        api.unknown_fields = lambda obj, r: schemas.unknown_fields(obj, schemas.definition_for(r.group, r.version,
                                                                                                 r.kind) or "")
    except ImportError:
        pass

    def route(req: Request) -> Response:
        if req.info.is_resource_request:
            return api(req)
        return discovery.group_paths(req)

    openapi.install(server)  # documents are built on first request and cached
    server.handle("/api", discovery.api)
    server.handle("/apis", discovery.apis)
    server.handle("/api/", discovery.api)    # go-restful ignores a trailing slash: kr8s asks for /api/
    server.handle("/apis/", discovery.apis)
    server.handle_prefix("/api/", route)
    server.handle_prefix("/apis/", route)
    reconciler = None
    if config.endpoint_reconciler is not None:
        interval, ttl = config.endpoint_reconciler
        reconciler = LeaseEndpointReconciler(
            config.store, api.store(table.lookup("", "v1", "endpoints")),
            api.store(table.lookup("discovery.k8s.io", "v1", "endpointslices")), _endpoint_ip(host), port, interval,
            ttl)
        # upstream's kubernetesservice controller: its replica's address goes before the server stops serving
        server.add_pre_shutdown_hook("stop-kubernetes-service-controller", reconciler.remove_endpoints)
    server.add_post_start_hook("bootstrap-controller", lambda stop: bootstrap(api, table, config, reconciler))
    install_controllers(server, config, table, api)
    install_identity_lease(server, config, table, api, port)
    server.add_destroy_func(api.close)
    server.api = api


def install_identity_lease(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler, port: int):
    """This replica's identity Lease in kube-system, and the garbage collector of expired ones (upstream's
    APIServerIdentity hooks)."""
    identity = IdentityLease(api.store(table.lookup("coordination.k8s.io", "v1", "leases")), port)

    def start(run):
        return lambda stop: threading.Thread(target=run, args=(stop,), name="identity-lease", daemon=True).start()
    server.add_post_start_hook("start-kube-apiserver-identity-lease-controller", start(identity.run_renewals))
    server.add_post_start_hook("start-kube-apiserver-identity-lease-garbage-collector", start(identity.run_gc))
    server.identity_lease = identity


def _endpoint_ip(host: str) -> str:
    """The IPv4 address replicas are reached at (upstream: --advertise-address); loopback when bound to all."""
    return host if host and ":" not in host and host != "0.0.0.0" else "127.0.0.1"


def install_admission(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler):
    """The admission chain every API write passes (--enable/--disable-admission-plugins)."""
    ctx = PluginContext(api=api, table=table, storage=config.store, stop=config.streams_stop)
    api.admission = new_chain(config.admission_plugins, ctx)
    server.add_destroy_func(api.admission.close)


def install_authorization(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler):
    """The authorizer of --authorization-mode, the access review APIs, and with RBAC its cache, bootstrap policy
    and escalation checks on role and binding writes."""
    modes = config.authorization_modes
    rbac = None
    if "RBAC" in modes:
        cache = RBACCache(config.store)
        cache.start()
        server.add_destroy_func(cache.close)
        rbac = RBACAuthorizer(cache)
        group = "rbac.authorization.k8s.io"
        roles = api.store(table.lookup(group, "v1", "clusterroles"))
        bindings = api.store(table.lookup(group, "v1", "clusterrolebindings"))

        def bootstrap_roles(stop: threading.Event):
            bootstrappolicy.reconcile(roles, bindings)
            if not cache.wait_synced(10) or not cache.catch_up(10):
                raise RuntimeError("the RBAC cache has not caught up with storage")

        server.add_post_start_hook("rbac/bootstrap-roles", bootstrap_roles)
    config.authorizer = new_authorizer(modes, rbac)
    Reviews(config.authorizer, rules_resolver(modes, rbac.rules_for if rbac else None)).install(api, table)
    if rbac is not None:
        api.admission = Chain(api.admission.plugins + [EscalationCheck(rbac.cache, config.authorizer)])


def install_authentication(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler):
    """authentication.k8s.io: TokenRequest (serviceaccounts/token), TokenReview and SelfSubjectReview; the
    service account issuer's OpenID discovery documents."""
    if config.token_issuer is not None:
        tokens = authentication.TokenRequests(api, table, config.token_issuer)
        api.creators[("", "serviceaccounts", "token")] = (authentication.TOKEN_REQUEST, tokens.create)
        for path, handler in authentication.issuer_discovery(config.token_issuer, config.server_url).items():
            server.handle(path, handler)
    for token_authenticator in getattr(config.authenticator, "token_authenticators", ()):
        validator = getattr(token_authenticator, "validator", None)
        if hasattr(validator, "mark_used"):   # Secret-held tokens record their last use on the Secret
            validator.mark_used = authentication.last_used_marker(api, table)
    reviews = authentication.TokenReviews(config.authenticator, config.api_audiences)
    api.creators[("authentication.k8s.io", "tokenreviews", "")] = (
        table.lookup("authentication.k8s.io", "v1", "tokenreviews"), reviews.create)
    api.creators[("authentication.k8s.io", "selfsubjectreviews", "")] = (
        table.lookup("authentication.k8s.io", "v1", "selfsubjectreviews"), authentication.self_subject_review)


def install_controllers(server: GenericAPIServer, config: CompletedConfig, table, api: APIHandler):
    """The built-in control loops chosen with --controllers, each a post-start hook with its own readyz check.
    With --leader-elect they run only in the replica holding the kube-controller-manager Lease."""
    makers = {
        "namespace": lambda: NamespaceController(api, table, config.store),
        "garbagecollector": lambda: GarbageCollector(api, table, config.store),
        "serviceaccount": lambda: ServiceAccountController(api, table, config.store, config.ca_pem),
        "clusterrole-aggregation": lambda: ClusterRoleAggregationController(api, table, config.store),
        "resourcequota": lambda: ResourceQuotaController(api, table, config.store),
        "serviceaccount-token": lambda: TokensController(api, table, config.store, config.ca_pem, config.token_issuer),
    }
    names = sorted(config.controllers)
    if not names:
        return
    loops = ControlLoops({name: makers[name] for name in names})
    if config.leader_election is None:
        for name in names:
            server.add_post_start_hook(f"start-{name}-controller",
                                       lambda stop, name=name: loops.start_one(name, stop).wait(10))
        return
    leases = api.store(table.lookup("coordination.k8s.io", "v1", "leases"))
    elector = LeaderElector(leases, config.leader_election, on_started=loops.start)
    campaign = Campaign(elector)
    for name in names:
        def start(stop: threading.Event, name=name):
            campaign.start()
            campaign.elector.first_attempt.wait(10)   # the first acquisition is immediate: a lone replica leads
            synced = loops.synced.get(name)
            if elector.leading and synced is not None:
                synced.wait(10)   # readyz waits for the leader's caches; a non-leader is ready at once

        server.add_post_start_hook(f"start-{name}-controller", start)
    server.add_pre_shutdown_hook("stop-controller-leader-election", campaign.stop)
    server.add_destroy_func(campaign.stop)
    server.leader_elector = elector


class ControlLoops:
    """Fresh controllers, each in its own thread, every time they start (a new leader starts from a relist)."""

    def __init__(self, makers: dict):
        self.makers = makers
        self.synced: dict = {}

    def start_one(self, name: str, stop: threading.Event) -> threading.Event:
        controller = self.makers[name]()
        synced = self.synced[name] = threading.Event()
        threading.Thread(target=controller.run, args=(stop, synced), name=f"{controller.name}-controller",
                         daemon=True).start()
        return synced

    def start(self, stop: threading.Event):
        for name in self.makers:
            self.start_one(name, stop)


class Campaign:
    """The leader elector's thread: started by the first controller hook, stopped (and the lease released) before
    the server stops serving, so another replica takes over at its next retry."""

    def __init__(self, elector: LeaderElector):
        self.elector = elector
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def start(self):
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self.elector.run, args=(self._stop,),
                                                name="leader-election", daemon=True)
                self._thread.start()

    def stop(self):
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join(10)


def bootstrap(api: APIHandler, table, config: CompletedConfig, reconciler: Optional[LeaseEndpointReconciler] = None):
    """Create the system namespaces and the ``default/kubernetes`` Service, as upstream's bootstrap controller,
    and keep this replica among the Service's endpoints."""
    namespaces = GenericStore(table.lookup("", "v1", "namespaces"), config.store)
    for name in SYSTEM_NAMESPACES:
        _ensure(namespaces, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    services = GenericStore(table.lookup("", "v1", "services"), config.store)
    port = config.secure_serving.address[1]
    _ensure(services, "default", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "sessionAffinity": "None",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]}})
    if reconciler is not None:
        reconciler.reconcile()
        threading.Thread(target=reconciler.run, args=(config.streams_stop,), name="endpoint-reconciler",
                         daemon=True).start()


def _ensure(store: GenericStore, namespace: str, obj: dict):
    from apiserver.endpoints.status import StatusError
    try:
        store.create(namespace, obj, Options(field_manager="kube-apiserver"))
    except StatusError as err:
        if err.code != 409:
            raise


def run(options: ServerRunOptions, stop: threading.Event) -> None:
    """Build the server from completed, validated options and serve until ``stop`` is set."""
    config = options.config().complete()
    server = create_server_chain(config)
    server.prepare_run().run(stop)
