"""Server configuration: ``Config`` is filled by the options, ``complete()`` makes the only ``CompletedConfig``
from which a ``GenericAPIServer`` can be made (apiserver ``pkg/server/config.go``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from apiserver.server.genericapiserver import GenericAPIServer
from apiserver.server.lifecycle import LifecycleSignals
from apiserver.server.metrics import Registry, api_server_metrics
from apiserver.server.secure_serving import SecureServingInfo


@dataclass
class Config:
    secure_serving: Optional[SecureServingInfo] = None
    authenticator: Any = None
    authorizer: Any = None                           # built with the server chain from authorization_modes
    authorization_modes: list = field(default_factory=lambda: ["RBAC"])
    request_timeout: float = 60.0
    min_request_timeout: int = 1800
    max_requests_inflight: int = 400
    max_mutating_requests_inflight: int = 200
    shutdown_delay_duration: float = 0.0
    shutdown_send_retry_after: bool = False
    shutdown_watch_termination_grace_period: float = 0.0
    livez_grace_period: float = 0.0
    data_dir: str = ""
    store: Any = None
    kubeconfig_path: str = ""
    server_url: str = ""
    metrics: Registry = field(default_factory=Registry)
    bookmark_interval: float = 60.0   # how often an idle watch with allowWatchBookmarks gets a bookmark
    controllers: set = field(default_factory=set)   # names of the control loops to run
    leader_election: Any = None                      # controllers.leaderelection.Config; None: always run them
    endpoint_reconciler: Any = None                  # (interval, lease TTL) of the master leases; None: off
    ca_pem: str = ""                                 # the cluster CA, for kube-root-ca.crt
    admission_plugins: list = field(default_factory=list)   # enabled admission plugin names, in order
    auditor: Any = None                              # audit policy and backend; None: nothing is audited
    token_issuer: Any = None                         # serviceaccount.TokenIssuer, for TokenRequest
    api_audiences: list = field(default_factory=list)   # --api-audiences, for TokenReview
    log_requests: bool = True                        # one log line per request (the testing kit turns it off)

    def complete(self) -> CompletedConfig:
        if self.secure_serving is None:
            raise ValueError("secure serving is not configured")
        return CompletedConfig(self, LifecycleSignals(), api_server_metrics(self.metrics))


class CompletedConfig:
    """A configuration with every default filled in; the only thing a server is made from."""

    def __init__(self, config: Config, lifecycle: LifecycleSignals, api_metrics):
        self.__dict__.update(vars(config))
        self.lifecycle = lifecycle
        self.api_metrics = api_metrics
        self.streams_stop = threading.Event()   # long-running handlers end their streams when this is set

    def new(self, name: str, delegate: Optional[GenericAPIServer] = None) -> GenericAPIServer:
        return GenericAPIServer(name, self, delegate)
