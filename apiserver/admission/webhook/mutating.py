"""MutatingAdmissionWebhook (``mutating/dispatcher.go``): webhooks are called one after another in the mutating
phase, each seeing the object as the ones before left it; a JSON patch in the answer is applied to the object.

Reinvocation (``reinvocationPolicy: IfNeeded``): when a webhook changes the object, the IfNeeded webhooks called
before it are called once more in a second round. Upstream reinvokes the whole mutating chain (its in-tree
mutating plugins too); the plugins here before this one do not mutate, so the second round is the webhooks'.
"""

from __future__ import annotations

import json
from typing import Set

from apiserver import logs
from apiserver.admission.interface import Attributes
from apiserver.admission.webhook import dispatch
from apiserver.admission.webhook.config import MUTATING_PREFIX, Hook, Invocation
from apiserver.admission.webhook.generic import WebhookPlugin
from apiserver.endpoints import status
from apiserver.endpoints.patch import PatchError, json_patch

log = logs.get_logger(__name__)

PATCH_ANNOTATION = "patch.webhook.admission.k8s.io/"
MUTATION_ANNOTATION = "mutation.webhook.admission.k8s.io/"
FAILED_OPEN_ANNOTATION = "failed-open." + MUTATION_ANNOTATION


class _Reinvocation:
    """webhookReinvokeContext: which IfNeeded webhooks ran before a later change, and so run again."""

    def __init__(self):
        self.previously_invoked: Set[str] = set()
        self.reinvoke: Set[str] = set()
        self.should_reinvoke = False

    def changed(self):
        self.reinvoke |= self.previously_invoked
        self.previously_invoked = set()
        self.should_reinvoke = True


class MutatingWebhook(WebhookPlugin):
    name = "MutatingAdmissionWebhook"
    mutating = True
    prefix = MUTATING_PREFIX

    def admit(self, attrs: Attributes) -> None:
        if not self.ready(attrs):
            return
        hooks = self.source.webhooks()
        if not hooks:
            return
        state = _Reinvocation()
        self._round(attrs, hooks, state, 0)
        if state.should_reinvoke and state.reinvoke:
            self._round(attrs, hooks, state, 1)

    def _round(self, attrs: Attributes, hooks, state: _Reinvocation, round_: int) -> None:
        for index, hook in enumerate(hooks):
            invocation = self.should_call(hook, attrs)
            if invocation is None:
                continue
            # a webhook skipped in the first round is not called for the first time on reinvocation
            if round_ and hook.uid not in state.reinvoke:
                continue
            changed, error = False, None
            try:
                changed = self._call(hook, invocation, attrs, round_, index)
            except dispatch.CallingError as err:
                error = err
            if changed:
                state.changed()
            if hook.reinvocation_policy == "IfNeeded":
                state.previously_invoked.add(hook.uid)
            if error is None:
                continue
            if hook.ignore_failures:
                log.warning("failed calling webhook, failing open", webhook=hook.name, error=str(error))
                attrs.annotations[f"{FAILED_OPEN_ANNOTATION}round_{round_}_index_{index}"] = hook.name
                continue
            log.warning("failed calling webhook, failing closed", webhook=hook.name, error=str(error))
            raise status.internal_error(str(error))

    def _call(self, hook: Hook, invocation: Invocation, attrs: Attributes, round_: int, index: int) -> bool:
        """Call one webhook and apply its patch to ``attrs.obj`` in place; True when the object changed."""
        changed = False
        try:
            result, sent = dispatch.call(hook, invocation, attrs, mutating=True)
            if not result.patch:
                return False
            try:
                operations = json.loads(result.patch)
            except ValueError as err:
                raise status.internal_error(str(err)) from None
            if not isinstance(operations, list):
                raise status.internal_error("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            if not operations:
                return False
            if sent is None or attrs.obj is None:
                raise status.internal_error(f"admission webhook {json.dumps(hook.name)} attempted to modify the "
                                            "object, which is not supported for this operation")
            if result.patch_type != "JSONPatch":
                raise dispatch.CallingError(hook.name, f"unsupported patch type {json.dumps(result.patch_type)}")
            try:
                patched = json_patch(sent, operations)
            except PatchError as err:
                raise status.internal_error(err.cause) from None
            if not isinstance(patched, dict):
                raise status.internal_error("the patched object is not a JSON object")
            changed = patched != sent
            attrs.annotations[f"{PATCH_ANNOTATION}round_{round_}_index_{index}"] = json.dumps(
                {"configuration": hook.configuration, "webhook": hook.name, "patch": operations,
                 "patchType": "JSONPatch"}, separators=(",", ":"))
            if invocation.converts(attrs):
                patched = dispatch.convert(patched, invocation.resource, attrs.resource)
            attrs.obj.clear()
            attrs.obj.update(patched)
            return changed
        finally:
            attrs.annotations[f"{MUTATION_ANNOTATION}round_{round_}_index_{index}"] = json.dumps(
                {"configuration": hook.configuration, "webhook": hook.name, "mutated": changed},
                separators=(",", ":"))
