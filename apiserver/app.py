"""kube-apiserver's wiring (``cmd/kube-apiserver/app/server.go``): the server chain and ``run``.

Requests flow kube-apiserver → apiextensions-apiserver → not found; only the outermost server applies the
filter chain. The aggregator and the API groups join this chain in later steps.
"""

from __future__ import annotations

import threading

from apiserver.config import CompletedConfig
from apiserver.options import ServerRunOptions
from apiserver.server import healthz
from apiserver.server.genericapiserver import GenericAPIServer


def create_server_chain(config: CompletedConfig) -> GenericAPIServer:
    apiextensions = config.new("apiextensions-apiserver")
    kube = config.new("kube-apiserver", delegate=apiextensions)
    kube.add_health_checks(healthz.HealthCheck("storage", config.store.check))
    kube.add_destroy_func(config.store.close)
    return kube


def run(options: ServerRunOptions, stop: threading.Event) -> None:
    """Build the server from completed, validated options and serve until ``stop`` is set."""
    config = options.config().complete()
    server = create_server_chain(config)
    server.prepare_run().run(stop)
