"""The generic API server: its routes, delegation chain, handler chain and the run/stop sequence.

Phases are types, as upstream: ``CompletedConfig.new()`` makes a ``GenericAPIServer``; only
``prepare_run()`` makes a ``PreparedServer``, and only that has ``run(stop)``:

    run(stop): non_blocking_run() → wait stop → ShutdownInitiated (readyz fails) → shutdown delay →
               AfterShutdownDelayDuration → pre-shutdown hooks → NotAcceptingNewRequest (stop listening)
               → drain requests, end streams → InFlightRequestsDrained → listener and server stopped
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.endpoints import status
from apiserver.server import filters, healthz
from apiserver.server.lifecycle import StopEvent
from apiserver.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from apiserver.server.request import Request, Response
from apiserver.version import version_info

log = logs.get_logger(__name__)

Handler = Callable[[Request], Response]


class GenericAPIServer:
    """Routes of one server in the chain; requests it cannot serve go to its delegate."""

    def __init__(self, name: str, config, delegate: Optional[GenericAPIServer] = None):
        self.name = name
        self.config = config
        self.delegate = delegate
        self.routes: Dict[str, Handler] = {}
        self.prefix_routes: List[Tuple[str, Handler]] = []
        self.healthz_checks: List[healthz.HealthCheck] = [healthz.ping(), healthz.log_check()]
        self.livez_checks: List[healthz.HealthCheck] = list(self.healthz_checks)
        self.readyz_checks: List[healthz.HealthCheck] = list(self.healthz_checks)
        self.post_start_hooks: Dict[str, Callable[[threading.Event], None]] = {}
        self.pre_shutdown_hooks: Dict[str, Callable[[], None]] = {}
        self.destroy_funcs: List[Callable[[], None]] = []   # run once the server has stopped (close storage)
        if delegate is not None:
            self.healthz_checks = _merge(self.healthz_checks, delegate.healthz_checks)
            self.livez_checks = _merge(self.livez_checks, delegate.livez_checks)
            self.readyz_checks = _merge(self.readyz_checks, delegate.readyz_checks)
            self.post_start_hooks.update(delegate.post_start_hooks)
            self.pre_shutdown_hooks.update(delegate.pre_shutdown_hooks)
            self.destroy_funcs.extend(delegate.destroy_funcs)
        self.handle("/version", self._version)
        self.handle("/version/", self._version)
        self.handle("/", self._index)
        self.handle("/metrics", self._metrics)

    # -- routes

    def handle(self, path: str, handler: Handler):
        self.routes[path] = handler

    def handle_prefix(self, prefix: str, handler: Handler):
        """Serve every path under ``prefix``; registering a prefix again replaces its handler."""
        self.prefix_routes = [(p, h) for p, h in self.prefix_routes if p != prefix] + [(prefix, handler)]

    def lookup(self, path: str) -> Optional[Handler]:
        handler = self.routes.get(path)
        if handler is not None:
            return handler
        for prefix, prefix_handler in self.prefix_routes:
            if path.startswith(prefix):
                return prefix_handler
        return self.delegate.lookup(path) if self.delegate is not None else None

    def listed_paths(self) -> List[str]:
        paths = set(self.routes) | {p.rstrip("/") for p, _ in self.prefix_routes}
        if self.delegate is not None:
            paths.update(self.delegate.listed_paths())
        return sorted(paths)

    def _index(self, req: Request) -> Response:
        return Response.json({"paths": self.listed_paths()}, indent=2)

    def _version(self, req: Request) -> Response:
        return Response.json(version_info(), indent=2)

    def _metrics(self, req: Request) -> Response:
        return Response(200, [("Content-Type", METRICS_CONTENT_TYPE)], self.config.metrics.expose().encode())

    # -- checks and hooks

    def add_health_checks(self, *checks: healthz.HealthCheck):
        """Checks for all three endpoints (healthz, livez, readyz)."""
        self.healthz_checks.extend(checks)
        self.livez_checks.extend(checks)
        self.readyz_checks.extend(checks)

    def add_readyz_checks(self, *checks: healthz.HealthCheck):
        self.readyz_checks.extend(checks)

    def add_post_start_hook(self, name: str, hook: Callable[[threading.Event], None]):
        """``hook(stop)`` runs in its own thread once serving starts; readyz waits for it to return."""
        if name in self.post_start_hooks:
            raise ValueError(f"unable to add {name!r} because it was already registered")
        self.post_start_hooks[name] = hook

    def add_pre_shutdown_hook(self, name: str, hook: Callable[[], None]):
        self.pre_shutdown_hooks[name] = hook

    def add_destroy_func(self, func: Callable[[], None]):
        self.destroy_funcs.append(func)

    def prepare_run(self) -> PreparedServer:
        """Install health endpoints (readyz's shutdown check last) and return the runnable server."""
        if self.delegate is not None:
            self.delegate.prepare_run()
        return PreparedServer(self)


def _merge(own: List[healthz.HealthCheck], delegated: List[healthz.HealthCheck]) -> List[healthz.HealthCheck]:
    names = {c.name for c in own}
    return own + [c for c in delegated if c.name not in names]


class _PostStartHook:
    def __init__(self, name: str, hook: Callable[[threading.Event], None]):
        self.name = name
        self.hook = hook
        self.done = threading.Event()
        self.error: Optional[str] = None

    def run(self, stop: threading.Event):
        try:
            self.hook(stop)
        except Exception as err:  # noqa: BLE001 - a failed hook keeps readyz red, it does not crash the server
            self.error = str(err)
            log.exception("post-start hook failed", hook=self.name)
        else:
            self.done.set()

    def check(self):
        if not self.done.is_set():
            raise RuntimeError(self.error or "not finished")


class PreparedServer:
    """A server ready to run: ``run(stop)`` serves until ``stop`` is set, then shuts down gracefully."""

    def __init__(self, server: GenericAPIServer):
        self.server = server
        cfg = server.config
        self.config = cfg
        self.lifecycle = cfg.lifecycle
        self.non_long_running = filters.WaitGroup()
        self.long_running = filters.WaitGroup()
        self.streams_stop = cfg.streams_stop    # long-running handlers end their streams when this is set
        self.hooks_stop = StopEvent()   # post-start hooks (controllers) stop when this is set
        self.watchdog = filters.TimeoutWatchdog()
        self.http_server = None
        self._hooks = [_PostStartHook(name, hook) for name, hook in server.post_start_hooks.items()]
        hook_checks = [healthz.HealthCheck(f"poststarthook/{h.name}", h.check) for h in self._hooks]
        shutdown_check = healthz.HealthCheck("shutdown", self._shutdown_check)
        routes = server.routes
        healthz.install(routes, "healthz", server.healthz_checks + hook_checks)
        healthz.install(routes, "livez", server.livez_checks + [
            healthz.delayed(c, cfg.livez_grace_period) for c in hook_checks])
        healthz.install(routes, "readyz", server.readyz_checks + hook_checks + [shutdown_check],
                        self.lifecycle.has_been_ready.signal)
        self.handler = self.build_handler_chain(self._director)
        self._log_request = logs.request_logger(__name__) if cfg.log_requests else _no_log

    def _shutdown_check(self):
        if self.lifecycle.shutdown_initiated.signaled():
            raise RuntimeError("process is shutting down")

    # -- request path

    def _director(self, req: Request) -> Response:
        handler = self.server.lookup(req.path)
        if handler is None:
            return self._not_found(req)
        return handler(req)

    def _not_found(self, req: Request) -> Response:
        if not self.lifecycle.mux_and_discovery_complete.signaled():
            raise status.service_unavailable("the request has been made before all known HTTP paths have been "
                                             "installed, please try again", retry_after=5)
        if req.info is not None and req.info.is_resource_request:
            raise status.not_found_resource()
        return Response(404, [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
                        b"404 page not found\n")

    def build_handler_chain(self, handler: Handler) -> Handler:
        """Wrap the director in upstream's filters; innermost first here, so the list reads bottom-up."""
        cfg = self.config
        metrics = cfg.api_metrics
        handler = filters.with_timeout(handler, cfg.request_timeout, self.watchdog)
        handler = filters.with_max_in_flight(handler, cfg.max_requests_inflight, cfg.max_mutating_requests_inflight,
                                             metrics.current_inflight_requests)
        handler = filters.with_authorization(handler, cfg.authorizer)
        handler = filters.with_impersonation(handler, cfg.authorizer)
        handler = filters.with_audit(handler, cfg.auditor)
        handler = filters.with_authentication(handler, cfg.authenticator, cfg.auditor)
        handler = filters.with_wait_groups(handler, self.non_long_running, self.long_running,
                                           metrics.longrunning_requests)
        if cfg.shutdown_send_retry_after:
            handler = filters.with_retry_after(handler, self.lifecycle.not_accepting_new_requests.event)
        handler = filters.with_request_info(handler)
        return filters.with_panic_recovery(handler)

    def request_done(self, req: Request, code: int, size: int):
        """One log line and the request metrics, after the response is written."""
        elapsed = time.monotonic() - req.received
        info = req.info
        user = req.user.name if req.user is not None else ""
        self._log_request(verb=info.verb if info else "", method=req.method, path=req.path, code=code,
                          latency_ms=round(elapsed * 1000, 3), user=user, user_agent=req.user_agent,
                          audit_id=req.audit_id, remote=req.remote)
        if info is None:
            return
        m = self.config.api_metrics
        verb = _metric_verb(req, info)
        dry_run = "All" if req.param("dryRun") else ""
        m.request_total.labels(verb, dry_run, info.api_group, info.api_version, info.resource, info.subresource,
                               info.scope, "apiserver", str(code)).inc()
        m.request_duration_seconds.labels(verb, dry_run, info.api_group, info.api_version, info.resource,
                                          info.subresource, info.scope, "apiserver").observe(elapsed)
        m.response_sizes.labels(verb, info.api_group, info.api_version, info.resource, info.subresource,
                                info.scope, "apiserver").observe(size)

    def wait_post_start_hooks(self, timeout: float) -> bool:
        """Wait until every post-start hook (bootstrap policy, controllers' caches) has finished; False on timeout."""
        deadline = time.monotonic() + timeout
        return all(hook.done.wait(max(0.0, deadline - time.monotonic())) for hook in self._hooks)

    # -- running

    def non_blocking_run(self, http_stop: threading.Event, shutdown_timeout: float):
        """Start serving and the post-start hooks; returns (stopped, listener_stopped) events."""
        self.watchdog.start()
        stopped, listener_stopped, self.http_server = self.config.secure_serving.serve(
            self.handler, shutdown_timeout, http_stop, self.request_done)
        self.lifecycle.mux_and_discovery_complete.signal()
        for hook in self._hooks:
            threading.Thread(target=hook.run, args=(self.hooks_stop,), name=f"poststarthook-{hook.name}",
                             daemon=True).start()
        return stopped, listener_stopped

    def run(self, stop: threading.Event):
        """Serve until ``stop`` is set, then stop in upstream's order; returns when the server has stopped."""
        cfg = self.config
        signals = self.lifecycle
        shutdown_timeout = 2.0 if cfg.shutdown_send_retry_after else cfg.request_timeout
        http_stop = (signals.in_flight_requests_drained if cfg.shutdown_send_retry_after
                     else signals.not_accepting_new_requests).event
        stopped, listener_stopped = self.non_blocking_run(http_stop, shutdown_timeout)

        stop.wait()
        signals.shutdown_initiated.signal()
        if cfg.shutdown_delay_duration > 0:
            time.sleep(cfg.shutdown_delay_duration)
        signals.after_shutdown_delay_duration.signal()
        for name, hook in self.server.pre_shutdown_hooks.items():
            try:
                hook()
            except Exception:  # noqa: BLE001
                log.exception("pre-shutdown hook failed", hook=name)
        signals.pre_shutdown_hooks_stopped.signal()
        signals.not_accepting_new_requests.signal()

        if not self.non_long_running.wait(shutdown_timeout):
            log.warning("in-flight requests did not finish in time", left=self.non_long_running.count)
        self.streams_stop.set()
        grace = cfg.shutdown_watch_termination_grace_period
        if not self.long_running.wait(grace if grace > 0 else 0.5):
            log.info("long-running requests still open at shutdown", left=self.long_running.count)
        signals.in_flight_requests_drained.signal()

        listener_stopped.wait()
        signals.http_server_stopped_listening.signal()
        stopped.wait()
        self.hooks_stop.set()
        self.watchdog.stop()
        for destroy in self.server.destroy_funcs:
            try:
                destroy()
            except Exception:  # noqa: BLE001
                log.exception("cleanup after stop failed")


def _no_log(**fields):
    pass


def _metric_verb(req: Request, info) -> str:
    """The verb label of apiserver metrics: upper-case, LIST/WATCH/APPLY told apart (metrics.go CleanVerb)."""
    if not info.is_resource_request:
        return req.method
    verb = info.verb.upper()
    if verb == "PATCH" and req.headers.get("Content-Type", "").startswith("application/apply-patch"):
        return "APPLY"
    return {"CREATE": "POST", "UPDATE": "PUT", "DELETECOLLECTION": "DELETE"}.get(verb, verb)
