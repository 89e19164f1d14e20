"""What both webhook plugins share (generic.Webhook): the configuration source, the matcher, readiness, and
the list of webhooks a request is for."""

from __future__ import annotations

import json
from typing import Optional

from apiserver.admission.interface import Attributes, forbidden
from apiserver.admission.webhook import dispatch
from apiserver.admission.webhook.config import Hook, Invocation, Matcher, WebhookSource, is_exempt
from apiserver.endpoints import status
from apiserver.storage import interface as st

NAMESPACES_KEY = "/registry/namespaces/"
READY_WAIT = 10.0   # upstream's WaitForReady


class WebhookPlugin:
    mutating = False
    prefix = ""

    def __init__(self, ctx):
        self.storage = ctx.storage
        self.source = WebhookSource(ctx.storage, self.prefix, self.mutating, ctx.stop)
        self.matcher = Matcher(ctx.table, self._namespace_labels)

    def _namespace_labels(self, name: str) -> dict:
        """The labels of a namespace, read when a webhook with a namespaceSelector matches (upstream reads its
        namespace informer, then the API on a miss)."""
        try:
            ns = json.loads(self.storage.get(NAMESPACES_KEY + name).value)
        except st.NotFoundError:
            raise status.not_found("", "namespaces", name) from None
        labels = (ns.get("metadata") or {}).get("labels")
        return labels if isinstance(labels, dict) else {}

    def ready(self, attrs: Attributes) -> bool:
        """False for requests webhooks never see; waits for the configurations to be listed once."""
        if is_exempt(attrs):
            return False
        if not self.source.wait_synced(READY_WAIT):
            raise forbidden(attrs, "not yet ready to handle request")
        return True

    def should_call(self, hook: Hook, attrs: Attributes) -> Optional[Invocation]:
        return self.matcher.should_call(hook, attrs, lambda inv: dispatch.admission_request(
            inv, attrs, "", *dispatch.versioned_objects(inv, attrs, self.mutating)))

    def close(self):
        self.source.close()
