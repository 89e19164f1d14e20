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
import ssl
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
    def __init__(self, name: str, data_dir: str, client_port: int, peer_port: int, tls: Optional[dict] = None):
        self.name = name
        self.data_dir = data_dir
        self.tls = tls
        self.client_url = f"{'https' if tls else 'http'}://127.0.0.1:{client_port}"
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
             "--logger", "zap", "--log-level", "error", *self.tls_flags()],
            stdout=log, stderr=log)
        log.close()

    def tls_flags(self) -> List[str]:
        if not self.tls:
            return []
        return ["--cert-file", self.tls["cert"], "--key-file", self.tls["key"], "--trusted-ca-file", self.tls["ca"],
                "--client-cert-auth"]

    def healthy(self) -> bool:
        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls["ca"])
            context.load_cert_chain(self.tls["client_cert"], self.tls["client_key"])
        try:
            with urllib.request.urlopen(self.client_url + "/health", timeout=0.5, context=context) as resp:
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


def make_tls(directory) -> dict:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (openssl). The server certificate is for
    client auth too: etcd 3.4's JSON gateway dials the member's gRPC port with it."""
    d = str(directory)
    os.makedirs(d, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt",
        "-days", "2", "-subj", "/CN=etcd-test-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
            "-subj", f"/CN=etcd-{name}")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(ext + "\n")
        run("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-out", f"{d}/{name}.crt", "-days", "2", "-extfile", f"{d}/{name}.ext")
    return {"ca": f"{d}/ca.crt", "cert": f"{d}/server.crt", "key": f"{d}/server.key",
            "client_cert": f"{d}/client.crt", "client_key": f"{d}/client.key"}


class EtcdCluster:
    def __init__(self, directory, size: int = 1, tls: Optional[dict] = None):
        require_etcd()
        ports = free_ports(2 * size)
        self.tls = tls
        self.members = [Member(f"m{i}", os.path.join(str(directory), f"etcd-m{i}"), ports[2 * i], ports[2 * i + 1],
                               tls) for i in range(size)]
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

    def leader_index(self) -> int:
        """Which member leads now (etcdctl endpoint status, from every member)."""
        import json
        statuses = json.loads(self.etcdctl("endpoint", "status", "-w", "json"))
        leaders = {status["Status"]["leader"] for status in statuses}
        assert len(leaders) == 1, statuses
        for status in statuses:
            if status["Status"]["header"]["member_id"] in leaders:
                return [m.client_url for m in self.members].index(status["Endpoint"])
        raise AssertionError(f"no member leads: {statuses}")

    def restart(self, index: int, wait: bool = True):
        member = self.members[index]
        member.start(self.initial_cluster, state="existing")
        if wait:
            self.wait_healthy(members=[member])

    def etcdctl(self, *args: str) -> str:
        env = dict(os.environ, ETCDCTL_API="3")
        tls = ["--cacert", self.tls["ca"], "--cert", self.tls["client_cert"], "--key", self.tls["client_key"]] \
            if self.tls else []
        return subprocess.run(["etcdctl", "--endpoints", self.servers, *tls, *args], env=env, check=True,
                              capture_output=True, text=True, timeout=20).stdout

    def stop(self):
        for member in self.members:
            member.kill()

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *exc):
        self.stop()
