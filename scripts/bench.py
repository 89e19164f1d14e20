#!/usr/bin/env python3
"""Measure each serving path beside its ceiling, in one run, and print the ratios.

    python scripts/bench.py                 # every suite
    python scripts/bench.py serving         # /healthz over keep-alive TLS vs a bare ThreadingHTTPServer + TLS

Servers run as subprocesses; load comes from separate client processes with keep-alive TLS connections,
the same client for the server and its ceiling. Figures go into the README by hand.
"""

from __future__ import annotations

import argparse
import http.server
import multiprocessing
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


# -- the ceiling: a bare ThreadingHTTPServer behind TLS serving a fixed body

def ceiling_server(cert: str, key: str, body: bytes, port_file: str):
    class Fixed(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, addr = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stall on keep-alive
            return sock, addr

    server = Server(("127.0.0.1", 0), Fixed)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


# -- load: keep-alive TLS connections, one thread each, in several processes

def _client_worker(port, path, cafile, certs, seconds, connections, out):
    import threading
    ctx = ssl.create_default_context(cafile=cafile)
    if certs:
        ctx.load_cert_chain(*certs)
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n".encode()
    counts, latencies = [], []
    start_at = time.monotonic() + 0.3
    stop_at = start_at + seconds

    def run():
        sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = sock.makefile("rb")
        n = 0
        lat = []
        while time.monotonic() < start_at:
            time.sleep(0.01)
        while True:
            t0 = time.monotonic()
            if t0 >= stop_at:
                break
            sock.sendall(request)
            length = 0
            status = f.readline()
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            f.read(length)
            if not status.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer {status!r}")
            n += 1
            lat.append(time.monotonic() - t0)
        counts.append(n)
        latencies.extend(lat)
        sock.close()

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(counts), latencies))


def load(port, path, cafile, certs=None, seconds=3.0, processes=2, connections=4):
    """Requests/s and latency percentiles from ``processes`` × ``connections`` keep-alive connections."""
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_client_worker,
                                       args=(port, path, cafile, certs, seconds, connections, queue))
               for _ in range(processes)]
    for w in workers:
        w.start()
    total, latencies = 0, []
    for _ in workers:
        n, lat = queue.get()
        total += n
        latencies.extend(lat)
    for w in workers:
        w.join()
    latencies.sort()
    return {"rps": total / seconds, "p50_ms": _pct(latencies, 50) * 1000, "p99_ms": _pct(latencies, 99) * 1000}


def _pct(values, p):
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


# -- processes

def wait_for_file(path, timeout=30):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.05)


def start_apiserver(data_dir, *flags):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "apiserver", "--data-dir", data_dir, "--secure-port", "0",
                             "--log-format", "json", *flags], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    kubeconfig = os.path.join(data_dir, "admin.kubeconfig")
    wait_for_file(kubeconfig)
    text = open(kubeconfig).read()
    port = int(re.search(r'server: "?https://127\.0\.0\.1:(\d+)', text).group(1))
    pki = os.path.join(data_dir, "pki")
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    del ctx
    return proc, port, pki


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- suites

def bench_serving(args):
    tmp = tempfile.mkdtemp(prefix="bench-serving-")
    try:
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"))
        cafile = os.path.join(pki, "ca.crt")
        certs = (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        port_file = os.path.join(tmp, "ceiling.port")
        ceiling = multiprocessing.Process(target=ceiling_server, daemon=True,
                                          args=(os.path.join(pki, "apiserver.crt"), os.path.join(pki, "apiserver.key"),
                                                b"ok", port_file))
        ceiling.start()
        wait_for_file(port_file)
        ceiling_port = int(open(port_file).read())
        kw = dict(seconds=args.seconds, processes=args.processes, connections=args.connections)
        load(ceiling_port, "/healthz", cafile, **dict(kw, seconds=1))   # warm up both
        load(port, "/healthz", cafile, certs, **dict(kw, seconds=1))
        results = []
        for _ in range(args.rounds):   # interleave, so drift on the machine hits both alike
            results.append((load(ceiling_port, "/healthz", cafile, **kw),
                            load(port, "/healthz", cafile, certs, **kw)))
        stop(proc)
        ceiling.terminate()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best_ceiling = max((c for c, _ in results), key=lambda r: r["rps"])
    best_server = max((s for _, s in results), key=lambda r: r["rps"])
    print(f"serving: GET /healthz, {args.processes}x{args.connections} keep-alive TLS connections, "
          f"{args.seconds:g}s x {args.rounds} rounds (best round shown)")
    _row("ceiling (bare ThreadingHTTPServer + TLS)", best_ceiling)
    _row("apiserver /healthz (x509 admin, logging on)", best_server)
    print(f"  ratio apiserver/ceiling: {best_server['rps'] / best_ceiling['rps']:.2f}  (target >= 0.8)")


def _row(name, r):
    print(f"  {name:48} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms")


SUITES = {"serving": bench_serving}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", choices=[[], *SUITES], default=[])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per client process")
    args = parser.parse_args()
    for name in args.suites or list(SUITES):
        SUITES[name](args)


if __name__ == "__main__":
    main()
