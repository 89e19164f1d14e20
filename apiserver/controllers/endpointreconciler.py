"""The endpoints of the ``default/kubernetes`` Service: upstream's lease endpoint reconciler
(``pkg/controlplane/reconcilers/lease.go``, ``--endpoint-reconciler-type=lease``).

Every replica keeps a master lease, the key ``/registry/masterleases/<ip>:<port>`` (upstream:
``/registry/masterleases/<ip>`` with an etcd lease as TTL; the store interface has no TTLs, so the value is an
Endpoints-shaped object carrying its expiry time, and expired keys are removed by whichever replica notices).
Each interval a replica renews its own lease and writes the live replicas' addresses into the Endpoints
``default/kubernetes`` and its EndpointSlice, as upstream's EndpointsAdapter does. Replicas on one host share
the IP and differ in port, so each distinct port is its own subset (and its own slice: ``kubernetes`` for the
first, ``kubernetes-<port>`` for the others); upstream's replicas share one port and differ in IP.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Dict, List, Optional, Tuple

from apiserver import logs
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options
from apiserver.storage import interface as st

log = logs.get_logger(__name__)
PREFIX = "/registry/masterleases/"
NAMESPACE, NAME = "default", "kubernetes"
EXPIRES = "apiserver.kubernetes.io/master-lease-expires"   # in the lease value: seconds since the epoch
MANAGER = Options(field_manager="kube-apiserver")
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


class LeaseEndpointReconciler:
    def __init__(self, storage: st.Store, endpoints, slices, ip: str, port: int, interval: float = 10.0,
                 ttl: float = 15.0):
        self.storage = storage
        self.endpoints = endpoints   # GenericStore of v1 endpoints
        self.slices = slices         # GenericStore of discovery.k8s.io/v1 endpointslices
        self.ip = ip
        self.port = port
        self.interval = interval
        self.ttl = ttl
        self.key = f"{PREFIX}{ip}:{port}"
        self._stop = threading.Event()
        self._lock = threading.Lock()   # one reconcile at a time, and none after stop_reconciling

    # -- master leases

    def update_lease(self):
        value = json.dumps({"kind": "Endpoints", "apiVersion": "v1", "metadata": {
            "name": self.ip, "annotations": {EXPIRES: f"{time.time() + self.ttl:.3f}"}},
            "subsets": [{"addresses": [{"ip": self.ip}], "ports": [{"port": self.port, "protocol": "TCP"}]}]},
            separators=(",", ":")).encode()
        self.storage.guaranteed_update(self.key, lambda current: value, ignore_not_found=True)

    def live(self) -> List[Tuple[str, int]]:
        """The (ip, port) of every unexpired master lease; expired ones are deleted."""
        out = []
        now = time.time()
        for kv in self.storage.list(PREFIX).items:
            try:
                obj = json.loads(kv.value)
                expires = float(obj["metadata"]["annotations"][EXPIRES])
                subset = obj["subsets"][0]
                address = (subset["addresses"][0]["ip"], int(subset["ports"][0]["port"]))
            except (ValueError, KeyError, IndexError, TypeError):
                continue
            if expires > now:
                out.append(address)
                continue

            def unchanged(current: st.KeyValue, revision=kv.mod_revision):
                if current.mod_revision != revision:
                    raise st.ConflictError(current.key)   # renewed meanwhile
            try:
                self.storage.delete(kv.key, unchanged)
                log.info("removed an expired master lease", key=kv.key)
            except (st.NotFoundError, st.ConflictError):
                pass
        return sorted(out)

    # -- reconciling

    def reconcile(self):
        """Renew this replica's lease and make the endpoints list the live replicas (ReconcileEndpoints)."""
        with self._lock:
            if self._stop.is_set():
                return
            self.update_lease()
            addresses = self.live()
            if (self.ip, self.port) not in addresses:
                addresses = sorted(addresses + [(self.ip, self.port)])
            self._write(addresses)

    def remove_endpoints(self):
        """On shutdown (upstream's RemoveEndpoints): drop this replica's lease and its address, at once."""
        with self._lock:
            self._stop.set()
            try:
                self.storage.delete(self.key)
            except st.NotFoundError:
                pass
            self._write([a for a in self.live() if a != (self.ip, self.port)])

    def run(self, stop: threading.Event):
        while not stop.wait(self.interval) and not self._stop.is_set():
            try:
                self.reconcile()
            except (StatusError, st.StorageError) as err:
                log.info("endpoint reconcile failed; retried at the next interval", error=str(err))
            except Exception:  # noqa: BLE001 - keep reconciling
                log.exception("endpoint reconcile failed")

    def _write(self, addresses: List[Tuple[str, int]]):
        by_port: Dict[int, List[str]] = {}
        for ip, port in addresses:
            by_port.setdefault(port, []).append(ip)
        subsets = [{"addresses": [{"ip": ip} for ip in sorted(set(ips))],
                    "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
                   for port, ips in sorted(by_port.items())]

        def endpoints(obj: dict) -> dict:
            md = obj.setdefault("metadata", {})
            md["labels"] = dict(md.get("labels") or {}, **{SKIP_MIRROR_LABEL: "true"})
            if subsets:
                obj["subsets"] = subsets
            else:
                obj.pop("subsets", None)
            return obj
        _apply(self.endpoints, NAME, {"apiVersion": "v1", "kind": "Endpoints"}, endpoints)

        wanted = {}
        for i, subset in enumerate(subsets):
            port = subset["ports"][0]["port"]
            wanted[NAME if i == 0 else f"{NAME}-{port}"] = subset
        if not subsets:
            wanted[NAME] = None
        for name, subset in wanted.items():
            def slice_(obj: dict, subset=subset) -> dict:
                md = obj.setdefault("metadata", {})
                md["labels"] = {SERVICE_NAME_LABEL: NAME}
                obj["addressType"] = "IPv4"
                obj["endpoints"] = [{"addresses": [a["ip"]], "conditions": {"ready": True}}
                                    for a in (subset or {}).get("addresses", [])]
                obj["ports"] = list((subset or {}).get("ports", []))
                return obj
            _apply(self.slices, name, {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                       "addressType": "IPv4", "endpoints": []}, slice_)
        for kv in self.storage.list(self.slices.r.key(NAMESPACE, f"{NAME}-")).items:
            name = json.loads(kv.value).get("metadata", {}).get("name", "")
            if name not in wanted:
                try:
                    self.slices.delete(NAMESPACE, name, {}, MANAGER)
                except StatusError as err:
                    if err.code != 404:
                        raise


def _apply(store, name: str, base: dict, mutate) -> Optional[dict]:
    """Update ``default/<name>`` with ``mutate``, creating it when missing."""
    for _ in range(3):
        try:
            return store.update_internal(NAMESPACE, name, mutate, MANAGER)[0]
        except StatusError as err:
            if err.code != 404:
                raise
        obj = mutate(dict(base, metadata={"name": name, "namespace": NAMESPACE}))
        try:
            return store.create(NAMESPACE, obj, MANAGER)
        except StatusError as err:
            if err.code != 409:
                raise
    return None
