"""The tokens controller (kube-controller-manager's ``serviceaccount-token-controller``): a
``kubernetes.io/service-account-token`` Secret gets a long-lived token for its service account, the cluster CA and
its namespace; the Secrets of a service account that is gone are deleted."""

from __future__ import annotations

import base64
import json
import threading

from apiserver import logs
from apiserver.auth import serviceaccount as sat
from apiserver.controllers import informer
from apiserver.endpoints.status import StatusError
from apiserver.registry.store import Options

log = logs.get_logger(__name__)
MANAGER = Options(field_manager="kube-controller-manager")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class TokensController:
    name = "serviceaccount-token"

    def __init__(self, api, table, storage, ca_pem: str, issuer: sat.TokenIssuer):
        self.storage = storage
        self.ca_pem = ca_pem
        self.issuer = issuer
        self.accounts = api.store(table.lookup("", "v1", "serviceaccounts"))
        self.secrets = api.store(table.lookup("", "v1", "secrets"))

    def run(self, stop: threading.Event, synced: threading.Event):
        done = threading.Event()
        threads = [threading.Thread(target=informer.run, daemon=True, name=f"{self.name}-{n}", args=(
            self.storage, prefix, stop, handler, ready), kwargs={"name": self.name})
            for n, prefix, handler, ready in (
                ("secrets", "/registry/secrets/", self.on_secret, done.set),
                ("serviceaccounts", "/registry/serviceaccounts/", self.on_account, None))]
        for thread in threads:
            thread.start()
        done.wait(10)
        synced.set()
        for thread in threads:
            thread.join()

    def on_account(self, key: str, obj):
        if obj is not None:
            return
        namespace, name = key.split("/")[-2:]
        for kv in self.storage.list(f"/registry/secrets/{namespace}/").items:
            secret = json.loads(kv.value)
            annotations = (secret.get("metadata") or {}).get("annotations") or {}
            if secret.get("type") == sat.SECRET_TYPE and annotations.get(sat.SA_NAME_ANNOTATION) == name:
                self._delete(namespace, secret["metadata"]["name"], name)

    def on_secret(self, key: str, obj):
        namespace, secret_name = key.split("/")[-2:]
        if obj is None or obj.get("type") != sat.SECRET_TYPE or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return
        annotations = obj["metadata"].get("annotations") or {}
        account = annotations.get(sat.SA_NAME_ANNOTATION, "")
        try:
            sa = self.accounts.get(namespace, account) if account else None
        except StatusError as err:
            if err.code != 404:
                return
            sa = None
        wanted_uid = annotations.get(sat.SA_UID_ANNOTATION)
        if sa is None or (wanted_uid and wanted_uid != sa["metadata"].get("uid")):
            self._delete(namespace, secret_name, account)   # no such account (any more): the token goes
            return
        data = obj.get("data") or {}
        if data.get("token") and data.get("namespace") and data.get("ca.crt") == _b64(self.ca_pem) and \
                annotations.get(sat.SA_UID_ANNOTATION) == sa["metadata"].get("uid"):
            return
        self._fill(namespace, secret_name, sa)

    def _fill(self, namespace: str, secret_name: str, sa: dict):
        def mutate(secret: dict) -> dict:
            data = secret.setdefault("data", {}) or {}
            secret["data"] = data
            if self.ca_pem:
                data["ca.crt"] = _b64(self.ca_pem)
            if not data.get("namespace"):
                data["namespace"] = _b64(namespace)
            if not data.get("token"):
                data["token"] = _b64(self.issuer.generate_legacy(sa, secret_name))
            annotations = secret["metadata"].setdefault("annotations", {})
            annotations[sat.SA_NAME_ANNOTATION] = sa["metadata"]["name"]
            annotations[sat.SA_UID_ANNOTATION] = sa["metadata"].get("uid", "")
            return secret
        try:
            self.secrets.update_internal(namespace, secret_name, mutate, MANAGER)
        except StatusError as err:
            if err.code != 404:
                log.info("filling a service account token failed", namespace=namespace, secret=secret_name,
                         error=err.message)

    def _delete(self, namespace: str, secret_name: str, account: str):
        try:
            current = self.secrets.get(namespace, secret_name)
        except StatusError:
            return
        if current.get("type") != sat.SECRET_TYPE or \
                (current["metadata"].get("annotations") or {}).get(sat.SA_NAME_ANNOTATION, "") != account:
            return
        uid = (current["metadata"].get("annotations") or {}).get(sat.SA_UID_ANNOTATION)
        try:
            sa = self.accounts.get(namespace, account) if account else None
        except StatusError as err:
            if err.code != 404:
                return
            sa = None
        if sa is not None and (not uid or uid == sa["metadata"].get("uid")):
            return   # the account is there (again): keep the token
        try:
            self.secrets.delete(namespace, secret_name, {"preconditions": {"uid": current["metadata"].get("uid")}},
                                MANAGER)
        except StatusError as err:
            if err.code not in (404, 409):
                log.info("deleting a service account token failed", namespace=namespace, secret=secret_name,
                         error=err.message)
