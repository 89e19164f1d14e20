"""Every active namespace gets the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap (the
service account and root-CA-cert publisher controllers); deleting either makes it come back."""

from __future__ import annotations

import threading

from apiserver import logs
from apiserver.controllers import informer
from apiserver.endpoints.status import StatusError
from apiserver.registry.namespaces import terminating
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="kube-controller-manager")
ROOT_CA = "kube-root-ca.crt"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such "
               "as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")


class ServiceAccountController:
    name = "serviceaccount"

    def __init__(self, api, table, storage, ca_pem: str):
        self.storage = storage
        self.ca_pem = ca_pem
        self.namespaces = api.store(table.lookup("", "v1", "namespaces"))
        self.accounts = api.store(table.lookup("", "v1", "serviceaccounts"))
        self.configmaps = api.store(table.lookup("", "v1", "configmaps"))
        self._active = set()

    def run(self, stop: threading.Event, synced: threading.Event):
        done = {"namespaces": threading.Event()}

        def on_namespace(key, obj):
            name = key.rsplit("/", 1)[-1]
            if obj is None or terminating(obj):
                self._active.discard(name)
                return
            self._active.add(name)
            self.ensure(name)

        def on_dependent(key, obj):
            namespace, name = key.split("/")[-2:]
            if namespace not in self._active or name not in ("default", ROOT_CA):
                return
            if obj is None:
                self.ensure(namespace)
            elif name == ROOT_CA and key.startswith("/registry/configmaps/") and obj.get("data") != {
                    "ca.crt": self.ca_pem}:
                self.reset_ca(namespace)   # the publisher puts the CA back, as upstream's does

        def dependent_key(key: str) -> bool:   # every ConfigMap passes by: decode only the two that matter
            return key.endswith(("/default", "/" + ROOT_CA))

        threads = [threading.Thread(target=informer.run, daemon=True, name=f"{self.name}-{n}", args=(
            self.storage, prefix, stop, handler, event.set if event else None),
            kwargs={"name": self.name, "wants": None if n == "namespaces" else dependent_key})
            for n, prefix, handler, event in (
                ("namespaces", "/registry/namespaces/", on_namespace, done["namespaces"]),
                ("serviceaccounts", "/registry/serviceaccounts/", on_dependent, None),
                ("configmaps", "/registry/configmaps/", on_dependent, None))]
        for thread in threads:
            thread.start()
        done["namespaces"].wait(10)
        synced.set()
        for thread in threads:
            thread.join()

    def reset_ca(self, namespace: str):
        def reset(obj: dict) -> dict:
            obj["data"] = {"ca.crt": self.ca_pem}
            obj.pop("binaryData", None)
            return obj
        try:
            self.configmaps.update_internal(namespace, ROOT_CA, reset, MANAGER)
        except StatusError as err:
            if err.code != 404:
                log.info("resetting kube-root-ca.crt failed", namespace=namespace, error=err.message)

    def ensure(self, namespace: str):
        for store, obj in (
                (self.accounts, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
                (self.configmaps, {"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": ROOT_CA, "annotations": {"kubernetes.io/description":
                                                                                 DESCRIPTION}},
                                   "data": {"ca.crt": self.ca_pem}})):
            try:
                store.get(namespace, obj["metadata"]["name"])
                continue
            except StatusError as err:
                if err.code != 404:
                    continue
            try:
                store.create(namespace, obj, MANAGER)
            except StatusError as err:
                if err.code not in (403, 404, 409):  # terminating or gone meanwhile, or created by someone else
                    log.info("creating a default object failed", namespace=namespace, error=err.message)
