"""NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle): no new objects in a namespace that does not
exist or is being deleted, and the system namespaces cannot be deleted."""

from __future__ import annotations

import json

from apiserver.admission.interface import CREATE, DELETE, Attributes, forbidden
from apiserver.endpoints import status
from apiserver.registry.namespaces import terminating
from apiserver.storage import interface as st

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAMESPACES_KEY = "/registry/namespaces/"
ACCESS_REVIEWS = ("localsubjectaccessreviews", "subjectaccessreviews", "selfsubjectaccessreviews",
                  "selfsubjectrulesreviews")


class NamespaceLifecycle:
    name = "NamespaceLifecycle"

    def __init__(self, ctx):
        self.namespaces = ctx.api.namespaces   # the NamespaceCache the REST handler keeps current
        self.storage = ctx.storage

    def admit(self, attrs: Attributes) -> None:
        is_namespace = attrs.group == "" and attrs.plural == "namespaces"
        if is_namespace:
            if attrs.operation == DELETE and attrs.name in IMMORTAL_NAMESPACES:
                raise forbidden(attrs, "this namespace may not be deleted")
            return
        if not attrs.namespace or attrs.operation == DELETE:
            return
        if attrs.group == "authorization.k8s.io" and attrs.plural in ACCESS_REVIEWS:
            return
        is_terminating = self.namespaces.terminating(attrs.namespace)
        if is_terminating is None:  # not in the cache yet: read storage
            try:
                is_terminating = terminating(json.loads(self.storage.get(NAMESPACES_KEY + attrs.namespace).value))
            except st.NotFoundError:
                raise status.not_found("", "namespaces", attrs.namespace) from None
        if attrs.operation == CREATE and is_terminating:
            err = forbidden(attrs, f"unable to create new content in namespace {attrs.namespace} because it is "
                                   "being terminated")
            err.details["causes"] = [{"reason": "NamespaceTerminating", "message": f"namespace {attrs.namespace} "
                                      "is being terminated", "field": "metadata.namespace"}]
            raise err
