"""ServiceAccount (plugin/pkg/admission/serviceaccount): a pod runs as a service account that exists (``default``
unless it names one), and gets its API credentials as the projected ``kube-api-access-<random>`` volume mounted
in every container, unless ``automountServiceAccountToken`` is false on the pod or on the service account.
Mirror pods are left alone but may not reference service accounts or secrets."""

from __future__ import annotations

import random
import time
from typing import Optional

from apiserver.admission.interface import CREATE, UPDATE, Attributes, forbidden
from apiserver.endpoints.status import StatusError
from apiserver.registry import meta

DEFAULT_NAME = "default"
ENFORCE_MOUNTABLE_SECRETS = "kubernetes.io/enforce-mountable-secrets"
VOLUME_PREFIX = "kube-api-access-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
TOKEN_EXPIRATION_SECONDS = 3607   # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
DEFAULT_ATTEMPTS = 10             # the default account is made by a controller: it may be a moment late


def token_volume(name: str) -> dict:
    """TokenVolumeSource: the token, the cluster CA and the namespace, as a projected volume."""
    return {"name": name, "projected": {
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
        "defaultMode": 420}}


class ServiceAccount:
    name = "ServiceAccount"

    def __init__(self, ctx):
        self.accounts = ctx.api.store(ctx.table.lookup("", "v1", "serviceaccounts"))
        self.stop = ctx.stop

    @staticmethod
    def _ignored(attrs: Attributes) -> bool:
        return (attrs.group != "" or attrs.plural != "pods" or attrs.subresource not in ("", "ephemeralcontainers")
                or not isinstance(attrs.obj, dict) or attrs.operation not in (CREATE, UPDATE))

    def admit(self, attrs: Attributes) -> None:
        if self._ignored(attrs) or attrs.operation != CREATE:
            return  # pods are only mutated when created
        pod = attrs.obj
        spec = pod.get("spec")
        if not isinstance(spec, dict) or _is_mirror(pod):
            return  # the kubelet deletes a mirror pod whose spec differs from its file; validate refuses bad ones
        if not spec.get("serviceAccountName"):   # the deprecated field is the v1 input's alias
            spec["serviceAccountName"] = spec.get("serviceAccount") or DEFAULT_NAME
        account = self._account(attrs, spec["serviceAccountName"])
        if _should_automount(account, spec):
            _mount_token(spec)
        if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
            spec["imagePullSecrets"] = [{"name": (s or {}).get("name", "")} for s in account["imagePullSecrets"]]

    def validate(self, attrs: Attributes) -> None:
        if self._ignored(attrs):
            return
        pod = attrs.obj
        spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
        if attrs.operation == UPDATE:
            if attrs.subresource == "ephemeralcontainers":
                self._check_ephemeral(attrs, spec)
            return
        if _is_mirror(pod):
            _check_mirror(attrs, spec)
            return
        if not spec.get("serviceAccountName"):
            raise forbidden(attrs, f"no service account specified for pod {attrs.namespace}/{attrs.name}")
        account = self._account(attrs, spec["serviceAccountName"])
        if _enforce_mountable_secrets(account):
            problem = _limit_secret_references(account, spec)
            if problem:
                raise forbidden(attrs, problem)

    def _check_ephemeral(self, attrs: Attributes, spec: dict) -> None:
        if not spec.get("serviceAccountName"):
            raise forbidden(attrs, f"no service account specified for pod {attrs.namespace}/{attrs.name}")
        account = self._account(attrs, spec["serviceAccountName"])
        if not _enforce_mountable_secrets(account):
            return
        mountable = {(s or {}).get("name") for s in account.get("secrets") or ()}
        for container in spec.get("ephemeralContainers") or ():
            problem = _container_secret_problem(container, mountable, "ephemeral container", account)
            if problem:
                raise forbidden(attrs, problem)

    def _account(self, attrs: Attributes, name: str) -> dict:
        """getServiceAccount: the default account is looked up a few times before the pod is refused."""
        attempts = DEFAULT_ATTEMPTS if name == DEFAULT_NAME else 1
        interval = (random.randrange(100) + 100) / 1000.0
        for attempt in range(attempts):
            if attempt:
                if self.stop is not None and self.stop.is_set():
                    break
                time.sleep(interval)
            try:
                return self.accounts.get(attrs.namespace, name)
            except StatusError as err:
                if err.code != 404:
                    raise forbidden(attrs, f"error looking up service account {attrs.namespace}/{name}: "
                                           f"{err.message}") from None
        raise forbidden(attrs, f"error looking up service account {attrs.namespace}/{name}: "
                               f'serviceaccount "{name}" not found')


def _is_mirror(pod: dict) -> bool:
    annotations = (pod.get("metadata") or {}).get("annotations")
    return isinstance(annotations, dict) and MIRROR_ANNOTATION in annotations


def _should_automount(account: dict, spec: dict) -> bool:
    """The pod's preference wins, then the account's; true by default."""
    if isinstance(spec.get("automountServiceAccountToken"), bool):
        return spec["automountServiceAccountToken"]
    if isinstance(account.get("automountServiceAccountToken"), bool):
        return account["automountServiceAccountToken"]
    return True


def _mount_token(spec: dict) -> None:
    volumes = spec.get("volumes") if isinstance(spec.get("volumes"), list) else []
    volume_name: Optional[str] = None
    for volume in volumes:
        name = (volume or {}).get("name") if isinstance(volume, dict) else None
        if isinstance(name, str) and name.startswith(VOLUME_PREFIX):
            volume_name = name   # the pod already carries a token volume: mount that one
            break
    has_volume = volume_name is not None
    if volume_name is None:
        volume_name = meta.generate_name(VOLUME_PREFIX)
    mount = {"name": volume_name, "readOnly": True, "mountPath": MOUNT_PATH}
    needs_volume = False
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or ():
            if not isinstance(container, dict):
                continue
            mounts = container.get("volumeMounts")
            if not isinstance(mounts, list):
                mounts = container["volumeMounts"] = []
            if any(isinstance(m, dict) and m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue   # a mount at the token path of the user's own wins
            mounts.append(dict(mount))
            needs_volume = True
    if needs_volume and not has_volume:
        volumes.append(token_volume(volume_name))
        spec["volumes"] = volumes


def _check_mirror(attrs: Attributes, spec: dict) -> None:
    if spec.get("serviceAccountName"):
        raise forbidden(attrs, "a mirror pod may not reference service accounts")
    if _references_secrets(spec):
        raise forbidden(attrs, "a mirror pod may not reference secrets")
    for volume in spec.get("volumes") or ():
        for source in ((volume or {}).get("projected") or {}).get("sources") or ():
            if isinstance(source, dict) and source.get("serviceAccountToken") is not None:
                raise forbidden(attrs, "a mirror pod may not use ServiceAccountToken volume projections")


def _references_secrets(spec: dict) -> bool:
    """podutil.VisitPodSecretNames over every container kind: any secret named anywhere."""
    if spec.get("imagePullSecrets"):
        return True
    for volume in spec.get("volumes") or ():
        if not isinstance(volume, dict):
            continue
        if volume.get("secret") is not None:
            return True
        for source in (volume.get("projected") or {}).get("sources") or ():
            if isinstance(source, dict) and source.get("secret") is not None:
                return True
        for kind in ("azureFile", "cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos", "csi"):
            source = volume.get(kind)
            if isinstance(source, dict) and (source.get("secretRef") or source.get("secretName")
                                             or source.get("nodePublishSecretRef")):
                return True
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if not isinstance(container, dict):
                continue
            if any(isinstance(e, dict) and e.get("secretRef") for e in container.get("envFrom") or ()):
                return True
            if any(isinstance(e, dict) and ((e.get("valueFrom") or {}).get("secretKeyRef"))
                   for e in container.get("env") or ()):
                return True
    return False


def _enforce_mountable_secrets(account: dict) -> bool:
    value = ((account.get("metadata") or {}).get("annotations") or {}).get(ENFORCE_MOUNTABLE_SECRETS)
    return value in ("1", "t", "T", "true", "TRUE", "True")   # strconv.ParseBool


def _container_secret_problem(container, mountable: set, what: str, account: dict) -> Optional[str]:
    if not isinstance(container, dict):
        return None
    name = account["metadata"]["name"]
    for env in container.get("env") or ():
        ref = ((env or {}).get("valueFrom") or {}).get("secretKeyRef") if isinstance(env, dict) else None
        if isinstance(ref, dict) and ref.get("name") not in mountable:
            return (f'{what} {container.get("name")} with envVar {env.get("name")} referencing '
                    f'secret.secretName="{ref.get("name")}" is not allowed because service account {name} does not '
                    "reference that secret")
    for env_from in container.get("envFrom") or ():
        ref = (env_from or {}).get("secretRef") if isinstance(env_from, dict) else None
        if isinstance(ref, dict) and ref.get("name") not in mountable:
            return (f'{what} {container.get("name")} with envFrom referencing secret.secretName="{ref.get("name")}" '
                    f"is not allowed because service account {name} does not reference that secret")
    return None


def _limit_secret_references(account: dict, spec: dict) -> Optional[str]:
    """With kubernetes.io/enforce-mountable-secrets, a pod may use only the secrets its account lists."""
    name = account["metadata"]["name"]
    mountable = {(s or {}).get("name") for s in account.get("secrets") or () if isinstance(s, dict)}
    for volume in spec.get("volumes") or ():
        secret = (volume or {}).get("secret") if isinstance(volume, dict) else None
        if isinstance(secret, dict) and secret.get("secretName") not in mountable:
            return (f'volume with secret.secretName="{secret.get("secretName")}" is not allowed because service '
                    f"account {name} does not reference that secret")
    for key, what in (("initContainers", "init container"), ("containers", "container")):
        for container in spec.get(key) or ():
            problem = _container_secret_problem(container, mountable, what, account)
            if problem:
                return problem
    pull = {(s or {}).get("name") for s in account.get("imagePullSecrets") or () if isinstance(s, dict)}
    for i, ref in enumerate(spec.get("imagePullSecrets") or ()):
        ref_name = (ref or {}).get("name") if isinstance(ref, dict) else None
        if ref_name not in pull:
            return (f'imagePullSecrets[{i}].name="{ref_name}" is not allowed because service account {name} does '
                    "not reference that imagePullSecret")
    return None
