"""API server identity leases (KEP-1965): each replica keeps a ``kube-system`` Lease named after its id, labelled
``apiserver.kubernetes.io/identity=kube-apiserver``, renewed every 10 seconds for an hour's duration; expired
ones are garbage-collected (upstream's ``lease.Controller`` and ``apiserverleasegc``).

The id is ``apiserver-`` and the base32 of a SHA-256, as upstream's, but of ``<hostname>:<port>`` rather than
the hostname alone: replicas here share a host and differ only in port.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import socket
import threading
import uuid

from apiserver import logs
from apiserver.controllers.leaderelection import micro_time
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
NAMESPACE = "kube-system"
LABEL = "apiserver.kubernetes.io/identity"
COMPONENT = "kube-apiserver"
HOSTNAME_LABEL = "kubernetes.io/hostname"
DURATION_SECONDS = 3600
RENEW_INTERVAL = 10.0
GC_PERIOD = 3600.0
MANAGER = Options(field_manager="kube-apiserver")


def server_id(hostname: str, port: int) -> str:
    digest = hashlib.sha256(f"{hostname}:{port}".encode()).digest()[:16]
    return "apiserver-" + base64.b32encode(digest).decode().rstrip("=").lower()


class IdentityLease:
    def __init__(self, leases, port: int, renew_interval: float = RENEW_INTERVAL, gc_period: float = GC_PERIOD):
        self.leases = leases   # GenericStore of coordination.k8s.io/v1 leases
        self.hostname = socket.gethostname()
        self.name = server_id(self.hostname, port)
        self.holder = f"{self.name}_{uuid.uuid4()}"
        self.renew_interval = renew_interval
        self.gc_period = gc_period

    def renew(self):
        """Create the lease, or take it over and renew it (``lease.Controller``'s ensureLease and renew)."""
        def heartbeat(lease: dict) -> dict:
            md = lease.setdefault("metadata", {})
            md["labels"] = dict(md.get("labels") or {}, **{LABEL: COMPONENT, HOSTNAME_LABEL: self.hostname})
            spec = lease.setdefault("spec", {})
            spec.update(holderIdentity=self.holder, leaseDurationSeconds=DURATION_SECONDS, renewTime=micro_time())
            return lease
        try:
            self.leases.update_internal(NAMESPACE, self.name, heartbeat, MANAGER)
        except StatusError as err:
            if err.code != 404:
                raise
            self.leases.create(NAMESPACE, heartbeat({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": NAMESPACE}}), MANAGER)

    def collect(self):
        """Delete every identity lease expired (renewTime + duration in the past), as ``apiserverleasegc``."""
        now = datetime.datetime.now(datetime.timezone.utc)
        def identity(obj: dict) -> bool:
            return ((obj.get("metadata") or {}).get("labels") or {}).get(LABEL) == COMPONENT
        items = self.leases.list_page(NAMESPACE, None, None, None, identity)[0]
        for lease in items:
            md, spec = lease.get("metadata") or {}, lease.get("spec") or {}
            if not _expired(spec, now):
                continue
            try:
                self.leases.delete(NAMESPACE, md["name"], {"preconditions": {
                    "resourceVersion": md.get("resourceVersion")}}, MANAGER)
                log.info("deleted an expired apiserver identity lease", lease=md["name"])
            except StatusError as err:
                if err.code not in (404, 409):
                    raise

    def run_renewals(self, stop: threading.Event):
        self._loop(stop, self.renew, self.renew_interval, "identity lease renewal")

    def run_gc(self, stop: threading.Event):
        self._loop(stop, self.collect, self.gc_period, "identity lease garbage collection")

    @staticmethod
    def _loop(stop: threading.Event, step, period: float, what: str):
        while True:   # wait.Until: at once, then every period
            try:
                step()
            except Exception as err:  # noqa: BLE001 - retried at the next period
                log.info(f"{what} failed", error=str(err))
            if stop.wait(period):
                return


def _expired(spec: dict, now: datetime.datetime) -> bool:
    renew, duration = spec.get("renewTime"), spec.get("leaseDurationSeconds")
    if not renew or duration is None:
        return True
    try:
        renewed = datetime.datetime.strptime(renew[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return True
    return renewed + datetime.timedelta(seconds=duration) < now
