"""Leader election through a coordination.k8s.io/v1 Lease, as client-go's ``tools/leaderelection`` does for
kube-controller-manager: one replica at a time runs the control loops.

The record lives in ``kube-system/kube-controller-manager``; every write is a compare-and-swap on the Lease's
resourceVersion, so two replicas can never both win one round. A replica that cannot renew within the renew
deadline stops leading (its controllers get their stop event) and goes back to trying to acquire; client-go
would exit the process instead. On a graceful stop the lease is released (ReleaseOnCancel), so another replica
takes over at its next retry instead of after the lease duration.
"""

from __future__ import annotations

import datetime
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from apiserver import logs
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
JITTER = 1.2   # client-go's JitterFactor for the acquire loop
MANAGER = Options(field_manager="kube-controller-manager")


@dataclass
class Config:
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    namespace: str = "kube-system"
    name: str = "kube-controller-manager"
    identity: str = ""


def new_identity() -> str:
    """``<hostname>_<uuid>``, as kube-controller-manager's."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def micro_time(moment: Optional[datetime.datetime] = None) -> str:
    """metav1.MicroTime: RFC 3339 with microseconds, in UTC."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """``run(stop)`` campaigns until ``stop``; ``on_started(leading_stop)`` runs (in the elector's thread, so it
    must not block for long) each time this replica becomes leader, and ``leading_stop`` is set when it stops
    leading, for whatever reason."""

    def __init__(self, leases, config: Config, on_started: Callable[[threading.Event], None],
                 on_stopped: Optional[Callable[[], None]] = None):
        self.leases = leases   # a GenericStore of coordination.k8s.io/v1 leases
        self.config = config
        self.identity = config.identity or new_identity()
        self.on_started = on_started
        self.on_stopped = on_stopped
        self.first_attempt = threading.Event()   # set once the first acquisition attempt has been made
        self._observed_raw: Optional[dict] = None   # the spec last seen ...
        self._observed_at = 0.0                      # ... and when (monotonic): expiry is judged locally
        self._leading_stop: Optional[threading.Event] = None

    @property
    def leading(self) -> bool:
        return self._leading_stop is not None and not self._leading_stop.is_set()

    def run(self, stop: threading.Event):
        cfg = self.config
        try:
            while not stop.is_set():
                # acquire: the first attempt at once, then every retry period (jittered as client-go's)
                if not self._attempt():
                    self.first_attempt.set()
                    stop.wait(cfg.retry_period * (1 + random.random() * JITTER))
                    continue
                log.info("became leader", lease=f"{cfg.namespace}/{cfg.name}", identity=self.identity)
                self._leading_stop = threading.Event()
                try:
                    try:
                        self.on_started(self._leading_stop)
                    finally:
                        self.first_attempt.set()   # after the start: readyz then waits for the leader's caches
                    self._renew_until_lost(stop)
                finally:
                    self._leading_stop.set()
                    if self.on_stopped is not None:
                        self.on_stopped()
                if not stop.is_set():
                    log.warning("leader election lost", lease=f"{cfg.namespace}/{cfg.name}", identity=self.identity)
            self.release()
        finally:
            self.first_attempt.set()

    def _renew_until_lost(self, stop: threading.Event):
        cfg = self.config
        last_renew = time.monotonic()
        while not stop.wait(cfg.retry_period):
            if self._attempt():
                last_renew = time.monotonic()
            elif time.monotonic() - last_renew >= cfg.renew_deadline or self._held_by_other():
                return

    def _held_by_other(self) -> bool:
        spec = self._observed_raw or {}
        return bool(spec.get("holderIdentity")) and spec.get("holderIdentity") != self.identity

    def _attempt(self) -> bool:
        """client-go's tryAcquireOrRenew: True when this replica holds the lease after the call."""
        try:
            return self._try_acquire_or_renew()
        except StatusError as err:
            log.info("leader election attempt failed", error=err.message, identity=self.identity)
        except Exception:  # noqa: BLE001 - storage trouble: try again at the next period
            log.exception("leader election attempt failed", identity=self.identity)
        return False

    def _try_acquire_or_renew(self) -> bool:
        cfg = self.config
        now = micro_time()
        try:
            lease = self.leases.get(cfg.namespace, cfg.name)
        except StatusError as err:
            if err.code != 404:
                raise
            spec = {"holderIdentity": self.identity, "leaseDurationSeconds": _seconds(cfg.lease_duration),
                    "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
            self.leases.create(cfg.namespace, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": cfg.name, "namespace": cfg.namespace}, "spec": spec}, MANAGER)
            self._observe(spec)
            return True
        spec = dict(lease.get("spec") or {})
        if spec != self._observed_raw:
            self._observe(spec)
        holder = spec.get("holderIdentity") or ""
        duration = spec.get("leaseDurationSeconds") or 0
        mine = holder == self.identity
        if holder and not mine and self._observed_at + duration > time.monotonic():
            return False
        new = {"holderIdentity": self.identity, "leaseDurationSeconds": _seconds(cfg.lease_duration),
               "renewTime": now}
        if mine:
            new["acquireTime"] = spec.get("acquireTime") or now
            new["leaseTransitions"] = spec.get("leaseTransitions") or 0
        else:
            new["acquireTime"] = now
            new["leaseTransitions"] = (spec.get("leaseTransitions") or 0) + 1
        lease["spec"] = new   # keeps metadata.resourceVersion: a concurrent writer makes this a 409
        self.leases.update(cfg.namespace, cfg.name, lease, MANAGER)
        self._observe(new)
        return True

    def _observe(self, spec: dict):
        self._observed_raw = spec
        self._observed_at = time.monotonic()

    def release(self) -> bool:
        """client-go's ReleaseOnCancel: clear the holder and shorten the lease, if this replica holds it."""
        cfg = self.config
        try:
            lease = self.leases.get(cfg.namespace, cfg.name)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return False
            now = micro_time()
            lease["spec"] = {"holderIdentity": "", "leaseDurationSeconds": 1, "acquireTime": now, "renewTime": now,
                             "leaseTransitions": spec.get("leaseTransitions") or 0}
            self.leases.update(cfg.namespace, cfg.name, lease, MANAGER)
            log.info("released the leader lease", lease=f"{cfg.namespace}/{cfg.name}", identity=self.identity)
            return True
        except Exception as err:  # noqa: BLE001 - the lease then simply expires
            log.info("could not release the leader lease", error=str(err))
            return False


def _seconds(value: float) -> int:
    return max(1, int(round(value)))
