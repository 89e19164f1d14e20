"""Real etcd for tests: members on free loopback ports with fresh data dirs, one member or a 3-member cluster.

``EtcdCluster(tmp, size).start()`` waits until every member answers ``/health``; ``stop()`` kills them all. A member
can be killed and restarted (same data dir) for fault tests. Tests skip when the ``etcd`` binary is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from typing import List, Optional

import pytest

ETCD = shutil.which("etcd")


def require_etcd():
    if ETCD is None:
        pytest.skip("the etcd binary is not on PATH (apt-get install etcd-server etcd-client)")


def free_ports(n: int) -> List[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Member:
    def __init__(self, name: str, data_dir: str, client_port: int, peer_port: int):
        self.name = name
        self.data_dir = data_dir
        self.client_url = f"http://127.0.0.1:{client_port}"
        self.peer_url = f"http://127.0.0.1:{peer_port}"
        self.process: Optional[subprocess.Popen] = None
        self.log_path = data_dir + ".log"

    def start(self, initial_cluster: str, state: str = "new"):
        os.makedirs(os.path.dirname(self.data_dir), exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [ETCD, "--name", self.name, "--data-dir", self.data_dir,
             "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
             "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
             "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
             "--initial-cluster-token", "test", "--heartbeat-interval", "50", "--election-timeout", "500",
             "--logger", "zap", "--log-level", "error"],
            stdout=log, stderr=log)
        log.close()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.client_url + "/health", timeout=0.5) as resp:
                return json.loads(resp.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class EtcdCluster:
    def __init__(self, directory, size: int = 1):
        require_etcd()
        ports = free_ports(2 * size)
        self.members = [Member(f"m{i}", os.path.join(str(directory), f"etcd-m{i}"), ports[2 * i], ports[2 * i + 1])
                        for i in range(size)]
        self.initial_cluster = ",".join(f"{m.name}={m.peer_url}" for m in self.members)

    @property
    def servers(self) -> str:
        return ",".join(m.client_url for m in self.members)

    def start(self, timeout: float = 20.0) -> EtcdCluster:
        for member in self.members:
            member.start(self.initial_cluster)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 20.0, members: Optional[List[Member]] = None):
        deadline = time.monotonic() + timeout
        for member in members or self.members:
            while not member.healthy():
                if not member.running:
                    raise RuntimeError(f"etcd {member.name} exited: {open(member.log_path).read()[-2000:]}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"etcd {member.name} did not become healthy")
                time.sleep(0.05)

    def kill(self, index: int):
        self.members[index].kill()

    def restart(self, index: int, wait: bool = True):
        member = self.members[index]
        member.start(self.initial_cluster, state="existing")
        if wait:
            self.wait_healthy(members=[member])

    def etcdctl(self, *args: str) -> str:
        env = dict(os.environ, ETCDCTL_API="3")
        return subprocess.run(["etcdctl", "--endpoints", self.servers, *args], env=env, check=True,
                              capture_output=True, text=True, timeout=20).stdout

    def stop(self):
        for member in self.members:
            member.kill()

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *exc):
        self.stop()
