"""The admission plugins this server has, in upstream's order (kubeapiserver ``options/plugins.go``), and the
ones enabled by default. A plugin is made by ``factory(context)``; the context gives it the API to read other
objects and the server's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List

from apiserver.admission.interface import Chain

# AllOrderedPlugins, restricted to the plugins implemented here.
ORDER = ["NamespaceLifecycle", "LimitRanger", "ServiceAccount", "DefaultStorageClass", "PodSecurity",
         "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota"]

# Upstream's DefaultOffAdmissionPlugins leaves every plugin above on by default.
DEFAULT_OFF: List[str] = []


@dataclass
class PluginContext:
    """What plugins are built from: the REST handler (``api.store(r)`` reads and writes any resource), the
    resource table, the raw storage, and the server's stop event for plugins that run loops."""

    api: Any
    table: Any
    storage: Any
    stop: Any = None


def factories() -> Dict[str, Callable[[PluginContext], Any]]:
    """name -> factory; imported lazily so that one plugin's module is loaded only when it is enabled."""
    def namespace_lifecycle(ctx):
        from apiserver.admission.namespacelifecycle import NamespaceLifecycle
        return NamespaceLifecycle(ctx)

    def pod_security(ctx):
        from apiserver.admission.podsecurity.plugin import PodSecurity
        return PodSecurity(ctx)

    def validating_admission_policy(ctx):
        from apiserver.admission.policy import ValidatingAdmissionPolicy
        return ValidatingAdmissionPolicy(ctx)

    def mutating_webhook(ctx):
        from apiserver.admission.webhook.mutating import MutatingWebhook
        return MutatingWebhook(ctx)

    def validating_webhook(ctx):
        from apiserver.admission.webhook.validating import ValidatingWebhook
        return ValidatingWebhook(ctx)

    def limit_ranger(ctx):
        from apiserver.admission.limitranger import LimitRanger
        return LimitRanger(ctx)

    def service_account(ctx):
        from apiserver.admission.serviceaccount import ServiceAccount
        return ServiceAccount(ctx)

    def default_storage_class(ctx):
        from apiserver.admission.defaultstorageclass import DefaultStorageClass
        return DefaultStorageClass(ctx)

    def resource_quota(ctx):
        from apiserver.admission.resourcequota import ResourceQuota
        return ResourceQuota(ctx)

    return {"NamespaceLifecycle": namespace_lifecycle, "LimitRanger": limit_ranger, "ServiceAccount": service_account,
            "DefaultStorageClass": default_storage_class, "PodSecurity": pod_security,
            "MutatingAdmissionWebhook": mutating_webhook, "ValidatingAdmissionPolicy": validating_admission_policy,
            "ValidatingAdmissionWebhook": validating_webhook, "ResourceQuota": resource_quota}


def registered() -> List[str]:
    """Every plugin this server has, in order."""
    made = factories()
    return [name for name in ORDER if name in made]


def enabled_plugins(enable: List[str], disable: List[str]) -> List[str]:
    """The enabled plugin names in upstream's order: the defaults, plus ``enable``, minus ``disable``."""
    wanted = ((set(registered()) - set(DEFAULT_OFF)) | set(enable)) - set(disable)
    return [name for name in registered() if name in wanted]


def new_chain(names: List[str], ctx: PluginContext) -> Chain:
    made = factories()
    return Chain([made[name](ctx) for name in names])
