"""The MutatingAdmissionWebhook and ValidatingAdmissionWebhook admission plugins (k8s.io/apiserver
``pkg/admission/plugin/webhook``): ``config`` keeps the configurations and matches requests to webhooks,
``dispatch`` calls a webhook, ``mutating`` and ``validating`` are the plugins."""
