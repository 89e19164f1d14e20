"""Serve HTTPS until stopped (apiserver ``pkg/server/secure_serving.go``).

``run_server`` runs two threads: one accepts and serves; the other waits for the stop event, then stops
accepting, closes idle connections, gives active requests up to the shutdown timeout, and cuts the rest.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from apiserver import logs
from apiserver.server.httpserver import HTTPServer

log = logs.get_logger(__name__)


@dataclass
class SecureServingInfo:
    listener: socket.socket
    ssl_context: ssl.SSLContext
    handshake_timeout: float = 10.0
    idle_timeout: float = 90.0

    @property
    def address(self) -> Tuple[str, int]:
        host, port = self.listener.getsockname()[:2]
        return host, port

    def serve(self, handler: Callable, shutdown_timeout: float, stop: threading.Event,
              request_done: Optional[Callable] = None) -> Tuple[threading.Event, threading.Event, HTTPServer]:
        """Start serving in the background; returns (stopped, listener_stopped, server)."""
        server = HTTPServer(self.listener, self.ssl_context, handler, request_done=request_done,
                            handshake_timeout=self.handshake_timeout, idle_timeout=self.idle_timeout)
        stopped, listener_stopped = run_server(server, shutdown_timeout, stop)
        return stopped, listener_stopped, server


def run_server(server: HTTPServer, shutdown_timeout: float, stop: threading.Event):
    stopped, listener_stopped = threading.Event(), threading.Event()
    host, port = server.address[:2]
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def serve():
        try:
            server.serve()
        finally:
            listener_stopped.set()
            log.info(f"Stopped listening on {where}")
            if not stop.is_set():
                log.error("the HTTP server stopped serving before it was asked to")

    def shut_down():
        stop.wait()
        server.shutdown()
        server.close_idle()
        if not server.wait_active(shutdown_timeout):
            log.warning("requests still active after the shutdown timeout; closing their connections",
                        active=server.active_count(), timeout=shutdown_timeout)
        left = server.close_all()
        if left:
            log.warning("connection threads still running at exit", count=left)
        stopped.set()

    threading.Thread(target=serve, name="https-serve", daemon=True).start()
    threading.Thread(target=shut_down, name="https-shutdown", daemon=True).start()
    log.info(f"Serving securely on {where}")
    return stopped, listener_stopped
