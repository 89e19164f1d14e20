"""The real command in a subprocess: flags, exit codes, signals, graceful shutdown, logs, kubectl."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))


def env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + HERE)


class Proc:
    """A server process on a free port; its kubeconfig tells where it listens."""

    def __init__(self, tmp_path, *flags, script=None):
        self.data = tmp_path / "data"
        cmd = [sys.executable, script] if script else [sys.executable, "-m", "apiserver"]
        self.proc = subprocess.Popen(cmd + ["--data-dir", str(self.data), "--secure-port", "0",
                                            "--log-format", "json", *flags],
                                     env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Drain the logs as they come: a full pipe would block the server wherever it writes to stderr.
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stderr.readline, "")),
                                       daemon=True)
        self.reader.start()
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "".join(self.lines)
            try:
                text = (self.data / "admin.kubeconfig").read_text()
                self.port = int(re.search(r"server: \"?https://127\.0\.0\.1:(\d+)", text).group(1))
                if self.get("/readyz")[0] == 200:
                    return
            except (OSError, AttributeError):
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become ready")

    def context(self):
        ctx = ssl.create_default_context(cafile=str(self.data / "pki" / "ca.crt"))
        ctx.load_cert_chain(str(self.data / "pki" / "admin.crt"), str(self.data / "pki" / "admin.key"))
        return ctx

    def get(self, path, timeout=10):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context(), timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=20):
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return self.proc.returncode, "".join(self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def procs():
    started = []
    yield lambda *a, **kw: started.append(Proc(*a, **kw)) or started[-1]
    for p in started:
        p.kill()


def run_cli(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "apiserver", *args], env=env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--nope"], "Error: unknown flag: --nope"),
    (["extra"], 'Error: "apiserver" does not take any arguments, got ["extra"]'),
    (["--secure-port=x"], 'Error: invalid argument for --secure-port: strconv.ParseInt: parsing "x": invalid syntax'),
    (["--request-timeout=5"], 'Error: invalid argument for --request-timeout: time: missing unit in duration "5"'),
    (["--bind-address=300.1.1.1"], 'Error: invalid argument for --bind-address: failed to parse IP: "300.1.1.1"'),
    (["--log-format=xml"], 'Error: --log-format "xml" is not supported; use json or console'),
])
def test_bad_flags_exit_1_with_one_clear_message(args, message, tmp_path):
    result = run_cli("--data-dir", str(tmp_path), *args)
    assert result.returncode == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr


def test_validation_reports_every_error(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "--secure-port=-1", "--max-mutating-requests-inflight=-2",
                     "--tls-cert-file=/missing", "--tls-private-key-file=/missing")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Error: --max-mutating-requests-inflight can not be negative value" in lines
    assert "Error: --secure-port -1 must be between 0 and 65535, inclusive (0 picks a free port)" in lines
    assert "Error: --tls-cert-file '/missing': cannot read the file" in lines
    assert "Error: --tls-private-key-file '/missing': cannot read the file" in lines


def test_version_flag():
    result = run_cli("--version")
    assert result.returncode == 0 and re.match(r"Kubernetes v1\.32\.\d+\+apiserver", result.stdout)


def test_port_in_use(tmp_path):
    busy = socket.create_server(("127.0.0.1", 0))
    try:
        port = busy.getsockname()[1]
        result = run_cli("--data-dir", str(tmp_path), "--secure-port", str(port))
    finally:
        busy.close()
    assert result.returncode == 1
    assert f"failed to listen on 127.0.0.1:{port}: address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_unusable_certificate(tmp_path):
    bad = tmp_path / "bad.crt"
    bad.write_text("not a certificate")
    result = run_cli("--data-dir", str(tmp_path / "d"), "--secure-port=0", f"--tls-cert-file={bad}",
                     f"--tls-private-key-file={bad}")
    assert result.returncode == 1
    assert "Error: --tls-cert-file/--tls-private-key-file: cannot load the certificate and key" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_lets_in_flight_request_finish(procs, tmp_path):
    p = procs(tmp_path, script=os.path.join(HERE, "slow_server.py"))
    result = {}
    t = threading.Thread(target=lambda: result.update(r=p.get("/slow?s=2")))
    t.start()
    time.sleep(0.5)
    p.signal()
    t.join(10)
    assert result["r"] == (200, b"done")
    code, err = p.wait()
    assert code == 0
    events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
    assert f"Stopped listening on 127.0.0.1:{p.port}" in events
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p.port), timeout=2).close()


def test_second_signal_exits_1_at_once(procs, tmp_path):
    p = procs(tmp_path, "--shutdown-delay-duration=30s")
    p.signal()
    time.sleep(0.3)
    p.signal(signal.SIGINT)
    start = time.monotonic()
    code, _ = p.wait(timeout=5)
    assert code == 1 and time.monotonic() - start < 3


def test_readyz_fails_during_shutdown_delay(procs, tmp_path):
    p = procs(tmp_path, "--shutdown-delay-duration=4s")   # room for a loaded CI machine
    assert p.get("/readyz") == (200, b"ok")
    start = time.monotonic()
    p.signal()
    deadline = time.monotonic() + 3
    while p.get("/readyz")[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert p.get("/readyz") == (500, b"[+]ping ok\n[+]log ok\n[+]storage ok\n"
                                     b"[+]poststarthook/start-apiextensions-controllers ok\n"
                                     b"[+]poststarthook/bootstrap-controller ok\n"
                                     b"[+]poststarthook/start-clusterrole-aggregation-controller ok\n"
                                     b"[+]poststarthook/start-garbagecollector-controller ok\n"
                                     b"[+]poststarthook/start-namespace-controller ok\n"
                                     b"[+]poststarthook/start-resourcequota-controller ok\n"
                                     b"[+]poststarthook/start-serviceaccount-controller ok\n"
                                     b"[+]poststarthook/start-serviceaccount-token-controller ok\n"
                                     b"[+]poststarthook/start-kube-apiserver-identity-lease-controller ok\n"
                                     b"[+]poststarthook/start-kube-apiserver-identity-lease-garbage-collector ok\n"
                                     b"[+]poststarthook/rbac/bootstrap-roles ok\n"
                                     b"[-]shutdown failed: reason withheld\nreadyz check failed\n")
    assert p.get("/healthz") == (200, b"ok")
    assert p.get("/version")[0] == 200
    code, err = p.wait()
    assert code == 0
    assert time.monotonic() - start >= 4
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    order = [e["signal"] for e in events if e.get("event") == "lifecycle"]
    assert order.index("ShutdownInitiated") < order.index("AfterShutdownDelayDuration") \
        < order.index("NotAcceptingNewRequest") < order.index("InFlightRequestsDrained")


def test_one_json_log_line_per_request(procs, tmp_path):
    p = procs(tmp_path)
    p.get("/healthz")
    p.get("/api/v1/namespaces/x/foos")
    p.signal()
    code, err = p.wait()
    assert code == 0
    requests = [json.loads(line) for line in err.splitlines()
                if line.startswith("{") and json.loads(line)["event"] == "request"]
    pods = [r for r in requests if r["path"] == "/api/v1/namespaces/x/foos"]
    assert len(pods) == 1
    entry = pods[0]
    assert entry["code"] == 404 and entry["verb"] == "list" and entry["user"] == "kubernetes-admin"
    assert entry["latency_ms"] >= 0 and len(entry["audit_id"]) == 36 and "timestamp" in entry
    assert "BEGIN" not in err  # no key material in logs


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed on this machine")
def test_kubectl_get_raw_readyz(procs, tmp_path):
    p = procs(tmp_path)
    result = subprocess.run(["kubectl", "--kubeconfig", str(p.data / "admin.kubeconfig"), "get", "--raw",
                             "/readyz?verbose"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, HOME=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("readyz check passed\n")
    assert "[+]shutdown ok" in result.stdout
    assert "version" not in result.stderr.lower()  # no version-skew warning
