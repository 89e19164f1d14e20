"""ValidatingAdmissionWebhook (``validating/dispatcher.go``): every matching webhook is asked in the validating
phase; as upstream, they are called in parallel (one thread each beyond the first) and all are asked even when
one refuses. Upstream returns whichever error arrives first; here it is the first in call order."""

from __future__ import annotations

import threading
from typing import List, Optional

from apiserver import logs
from apiserver.admission.interface import Attributes
from apiserver.admission.webhook import dispatch
from apiserver.admission.webhook.config import VALIDATING_PREFIX, Invocation
from apiserver.admission.webhook.generic import WebhookPlugin
from apiserver.endpoints import status

log = logs.get_logger(__name__)

FAILED_OPEN_ANNOTATION = "failed-open.validating.webhook.admission.k8s.io/"


class ValidatingWebhook(WebhookPlugin):
    name = "ValidatingAdmissionWebhook"
    mutating = False
    prefix = VALIDATING_PREFIX

    def validate(self, attrs: Attributes) -> None:
        if not self.ready(attrs):
            return
        invocations: List[Invocation] = []
        for hook in self.source.webhooks():
            invocation = self.should_call(hook, attrs)
            if invocation is not None:
                invocations.append(invocation)
        if not invocations:
            return
        errors: List[Optional[Exception]] = [None] * len(invocations)
        threads = []
        for index, invocation in enumerate(invocations[1:], 1):
            thread = threading.Thread(target=self._call, args=(invocation, attrs, index, errors),
                                      name="validating-webhook", daemon=True)
            thread.start()
            threads.append(thread)
        self._call(invocations[0], attrs, 0, errors)
        for thread in threads:
            thread.join()
        for error in errors:
            if error is not None:
                raise error

    def _call(self, invocation: Invocation, attrs: Attributes, index: int, errors: list) -> None:
        hook = invocation.hook
        try:
            dispatch.call(hook, invocation, attrs, mutating=False)
        except dispatch.CallingError as err:
            if hook.ignore_failures:
                log.warning("failed calling webhook, failing open", webhook=hook.name, error=str(err))
                attrs.annotations[f"{FAILED_OPEN_ANNOTATION}round_0_index_{index}"] = hook.name
                return
            log.warning("failed calling webhook, failing closed", webhook=hook.name, error=str(err))
            errors[index] = status.internal_error(str(err))
        except status.StatusError as err:
            errors[index] = err
        except Exception as err:  # noqa: BLE001 - upstream's panic recovery for one webhook call
            if hook.ignore_failures:
                attrs.annotations[f"{FAILED_OPEN_ANNOTATION}round_0_index_{index}"] = hook.name
                return
            log.exception("validating webhook call failed", webhook=hook.name)
            errors[index] = status.internal_error(f"ValidatingAdmissionWebhook/{hook.name} has panicked: {err}")
