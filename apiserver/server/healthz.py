"""/healthz, /livez and /readyz with upstream's bodies and codes (apiserver ``pkg/server/healthz/healthz.go``)."""

from __future__ import annotations

import time
from typing import Callable, Dict, List, Optional

from apiserver import logs
from apiserver.server.request import Request, Response

log = logs.get_logger(__name__)


class HealthCheck:
    """A named check: ``check()`` returns None when healthy and raises (any exception) when not."""

    __slots__ = ("name", "check")

    def __init__(self, name: str, check: Callable[[], None]):
        self.name = name
        self.check = check


def ping() -> HealthCheck:
    return HealthCheck("ping", lambda: None)


def log_check() -> HealthCheck:
    return HealthCheck("log", lambda: None)


def delayed(check: HealthCheck, grace_period: float, clock=time.monotonic) -> HealthCheck:
    """During the grace period after start a failing check counts as healthy (``--livez-grace-period``)."""
    start = clock()

    def run():
        if clock() - start < grace_period:
            return
        check.check()

    return HealthCheck(check.name, run)


def cached(check: HealthCheck, ttl: float = 1.0, clock=time.monotonic) -> HealthCheck:
    """Run an expensive check (a storage round trip) at most once per ``ttl``; probes in between get its result."""
    state = {"at": float("-inf"), "error": None}

    def run():
        now = clock()
        if now - state["at"] >= ttl:
            try:
                check.check()
                state["error"] = None
            except Exception as err:  # noqa: BLE001 - remembered and raised to every caller until the next run
                state["error"] = err
            state["at"] = now
        if state["error"] is not None:
            raise state["error"]

    return HealthCheck(check.name, run)


def _quoted(names: List[str]) -> str:
    return ",".join(f'"{n}"' for n in sorted(names))


def root_handler(name: str, checks: List[HealthCheck], first_time_healthy: Optional[Callable[[], None]] = None):
    """The handler of ``/<name>``: every check, ``?exclude=`` and ``?verbose`` as upstream."""

    def handle(req: Request) -> Response:
        excluded = set(req.query.get("exclude", ()))
        lines: List[str] = []
        failed: List[str] = []
        for check in checks:
            if check.name in excluded:
                excluded.discard(check.name)
                lines.append(f"[+]{check.name} excluded: ok\n")
                continue
            try:
                check.check()
            except Exception as err:  # noqa: BLE001 - any failure of a check is reported, never raised
                lines.append(f"[-]{check.name} failed: reason withheld\n")
                failed.append(check.name)
                log.info("health check failed", endpoint=name, check=check.name, error=str(err))
            else:
                lines.append(f"[+]{check.name} ok\n")
        if excluded:
            lines.append(f"warn: some health checks cannot be excluded: no matches for {_quoted(list(excluded))}\n")
        if failed:
            return Response.text("".join(lines) + f"{name} check failed\n", 500)
        if first_time_healthy is not None:
            first_time_healthy()
        if "verbose" not in req.query:
            return Response.text("ok")
        return Response.text("".join(lines) + f"{name} check passed\n")

    return handle


def check_handler(check: HealthCheck):
    """The handler of ``/<name>/<check>``."""

    def handle(req: Request) -> Response:
        try:
            check.check()
        except Exception as err:  # noqa: BLE001
            return Response.text(f"internal server error: {err}\n", 500)
        return Response.text("ok")

    return handle


def install(routes: Dict[str, Callable], name: str, checks: List[HealthCheck],
            first_time_healthy: Optional[Callable[[], None]] = None):
    routes["/" + name] = root_handler(name, checks, first_time_healthy)
    for check in checks:
        routes[f"/{name}/{check.name}"] = check_handler(check)
