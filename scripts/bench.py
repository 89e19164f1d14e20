#!/usr/bin/env python3
"""Measure each serving path beside its ceiling, in one run, and print the ratios.

    python scripts/bench.py                 # every suite
    python scripts/bench.py serving         # /healthz over keep-alive TLS vs a bare ThreadingHTTPServer + TLS
    python scripts/bench.py etcd            # the server on etcd vs raw etcd (JSON gateway), free and pinned to one
                                            # CPU; and on SQLite
    python scripts/bench.py --cpu 1 api     # every server (and Python ceiling server) pinned to CPU 1

Servers run as subprocesses; load comes from separate client processes with keep-alive TLS connections,
the same client for the server and its ceiling. Figures go into the README by hand.
"""

from __future__ import annotations

import argparse
import http.server
import json
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

def ceiling_server(cert: str, key: str, body: bytes, port_file: str, cpu=None):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
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

        def handle_error(self, request, client_address):
            pass  # load generators drop connections at the end of a run

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

def _client_worker(port, path, cafile, certs, seconds, connections, out, method="GET", body=None):
    import threading
    ctx = ssl.create_default_context(cafile=cafile)
    if certs:
        ctx.load_cert_chain(*certs)
    def make_request(n):
        if body is None:
            return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n".encode()
        data = body.replace(b"{n}", str(n).encode())
        return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data
    import os as _os
    tag = f"{_os.getpid()}"
    counts, latencies = [], []
    start_at = time.monotonic() + 0.3
    stop_at = start_at + seconds

    def run(index=0):
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
            sock.sendall(make_request(f"{tag}-{index}-{n}") if body is not None else make_request(0))
            length = 0
            status = f.readline()
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            f.read(length)
            if not status.startswith((b"HTTP/1.1 200", b"HTTP/1.1 201")):
                raise RuntimeError(f"unexpected answer {status!r}")
            n += 1
            lat.append(time.monotonic() - t0)
        counts.append(n)
        latencies.extend(lat)
        sock.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(counts), latencies))


WRK_SCRIPT = """
local counter = 0
local threads = 0
local digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64_digits(n)   -- 4 base64 digits of a number below 2^24
  local s = ""
  for i = 1, 4 do
    local d = n % 64
    s = string.sub(digits, d + 1, d + 1) .. s
    n = math.floor(n / 64)
  end
  return s
end
local has_key64 = string.find(template, "{key64}", 1, true) ~= nil
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function request()
  counter = counter + 1
  local body = nil
  if template ~= "" then
    body = string.gsub(template, "{n}", tid .. "-" .. counter)
    if has_key64 then   -- a distinct etcd key per request, base64 as the JSON gateway wants it: "raw" + 6 bytes
      body = string.gsub(body, "{key64}", "cmF3" .. base64_digits(tid) .. base64_digits(counter))
    end
  end
  return wrk.format(method, path, headers, body)
end
"""
FIRST_WRK_KEY64 = "cmF3AAAAAAAB"   # {key64} of wrk thread 0's first request


def wrk_load(port, path, seconds=3.0, connections=8, method="GET", body=None, token=None, url=None):
    """The same measurement with wrk (C, epoll): the load generator then takes far less of the 2 cores. In
    ``body``, ``{n}`` becomes a number distinct per request and ``{key64}`` a distinct base64 etcd key. ``url``
    (scheme, host and port) instead of ``https://127.0.0.1:port``."""
    import tempfile as tf
    headers = {"Host": "localhost", "User-Agent": "bench"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    template = (body or b"").decode().replace("\\", "\\\\").replace('"', '\\"')
    script = (f'method = "{method}"\npath = "{path}"\nheaders = {lua_headers}\ntemplate = "{template}"\n'
              + WRK_SCRIPT)
    with tf.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--latency", "-s", f.name,
                              url or f"https://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 30)
    finally:
        os.unlink(f.name)
    text = out.stdout

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors or not rps:
        raise RuntimeError(f"wrk saw errors: {text}{out.stderr}")
    return {"rps": float(rps.group(1)), "p50_ms": latency(50), "p99_ms": latency(99)}


def load(port, path, cafile, certs=None, seconds=3.0, processes=2, connections=4, method="GET", body=None):
    """Requests/s and latency percentiles from ``processes`` × ``connections`` keep-alive connections."""
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_client_worker,
                                       args=(port, path, cafile, certs, seconds, connections, queue, method, body))
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


def measure(args, port, path, cafile, certs=None, token=None, seconds=None, method="GET", body=None, pids=None):
    """One load run with the chosen client: wrk (default when installed) or the Python client processes.
    ``pids`` ({name: pid}) adds ``cpu``: each process's CPU time (user + system) per request, in µs."""
    seconds = seconds or args.seconds
    before = {name: process_cpu(pid) for name, pid in (pids or {}).items()}
    if args.client == "wrk":
        result = wrk_load(port, path, seconds, args.processes * args.connections, method, body, token)
    else:
        result = load(port, path, cafile, certs, seconds, args.processes, args.connections, method, body)
    requests = result["rps"] * seconds
    if before and requests:
        result["cpu"] = {name: (process_cpu(pid) - before[name]) / requests * 1e6 for name, pid in pids.items()}
    return result


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


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


BENCH_TOKEN = "bench-token"


def pinned(cpu):
    """A subprocess ``preexec_fn`` that runs the child on one CPU (``taskset -c cpu``), or None for no pinning.
    One CPython process runs one thread at a time; on one CPU, handing the GIL between its threads needs no
    wake-up of another CPU (see the README's "One CPU for the server")."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def start_apiserver(data_dir, *flags, token_rows=(), cpu=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    os.makedirs(data_dir, exist_ok=True)
    tokens = os.path.join(data_dir, "tokens.csv")
    with open(tokens, "w") as f:
        f.write(f'{BENCH_TOKEN},bench,bench-uid,"system:masters"\n')
        for row in token_rows:
            f.write(row + "\n")
    flags = ("--token-auth-file", tokens) + flags
    proc = subprocess.Popen([sys.executable, "-m", "apiserver", "--data-dir", data_dir, "--secure-port", "0",
                             "--log-format", "json", *flags], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=pinned(cpu))
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
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"), cpu=args.cpu)
        cafile = os.path.join(pki, "ca.crt")
        certs = (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        port_file = os.path.join(tmp, "ceiling.port")
        ceiling = multiprocessing.Process(target=ceiling_server, daemon=True,
                                          args=(os.path.join(pki, "apiserver.crt"), os.path.join(pki, "apiserver.key"),
                                                b"ok", port_file, args.cpu))
        ceiling.start()
        wait_for_file(port_file)
        ceiling_port = int(open(port_file).read())
        measure(args, ceiling_port, "/healthz", cafile, seconds=1)   # warm up both
        measure(args, port, "/healthz", cafile, certs, BENCH_TOKEN, seconds=1)
        results = []
        for _ in range(args.rounds):   # interleave, so drift on the machine hits both alike
            results.append((measure(args, ceiling_port, "/healthz", cafile),
                            measure(args, port, "/healthz", cafile, certs, BENCH_TOKEN)))
        stop(proc)
        ceiling.terminate()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best_ceiling = max((c for c, _ in results), key=lambda r: r["rps"])
    best_server = max((s for _, s in results), key=lambda r: r["rps"])
    print(f"serving: GET /healthz, {args.client}, {args.processes * args.connections} keep-alive TLS connections, "
          f"{args.seconds:g}s x {args.rounds} rounds (best round shown)")
    _row("ceiling (bare ThreadingHTTPServer + TLS)", best_ceiling)
    _row(f"apiserver /healthz ({'token' if args.client == 'wrk' else 'x509'} admin, logging on)", best_server)
    print(f"  ratio apiserver/ceiling: {best_server['rps'] / best_ceiling['rps']:.2f}  (target >= 0.8)")


def _row(name, r):
    cpu = "".join(f"   {who} CPU {us:,.0f} µs/req" for who, us in r.get("cpu", {}).items())
    print(f"  {name:48} {r['rps']:8.0f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms{cpu}")


# -- storage

def _value(i: int, size: int = 1000) -> bytes:
    head = b'{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-%d","namespace":"bench"},"data":{"x":"' % i
    return head + b"x" * max(0, size - len(head) - 3) + b'"}}'


def _rate(n, seconds):
    return n / seconds if seconds > 0 else float("inf")


def _threads(count, fn):
    import threading
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(count)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def raw_sqlite(path, synchronous, n=5000):
    """The ceiling: single-row autocommit inserts into a WAL database, and a scan of 1 KB rows."""
    import sqlite3
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v BLOB)")
    value = _value(0)
    start = time.perf_counter()
    for i in range(n):
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (f"/k/{i}", value))
    inserts = _rate(n, time.perf_counter() - start)
    start = time.perf_counter()
    rows = [json_loads(v) for (v,) in conn.execute("SELECT v FROM t LIMIT 3000")]
    scan = (time.perf_counter() - start) * 1000
    conn.close()
    return inserts, scan, len(rows)


def json_loads(data):
    import json
    return json.loads(data)


def bench_storage_backend(backend, tmp, synchronous="NORMAL"):
    from apiserver.storage import new_store
    path = os.path.join(tmp, f"{backend}-{synchronous}.db")
    store = new_store(backend, path, synchronous=synchronous)
    out = {}
    value = _value(0)
    n = 5000
    start = time.perf_counter()
    for i in range(n):
        store.create(f"/registry/configmaps/one/cm-{i}", value)
    out["create_1"] = _rate(n, time.perf_counter() - start)
    per = 1000
    took = _threads(8, lambda t: [store.create(f"/registry/configmaps/eight/t{t}-{i}", value) for i in range(per)])
    out["create_8"] = _rate(8 * per, took)
    start = time.perf_counter()
    for i in range(n):
        store.guaranteed_update(f"/registry/configmaps/one/cm-{i}", lambda kv: kv.value[:-3] + b'y"}}')
    out["update_1"] = _rate(n, time.perf_counter() - start)
    took = _threads(8, lambda t: [store.guaranteed_update(f"/registry/configmaps/one/cm-{(t * per + i) % n}",
                                                          lambda kv: kv.value[:-3] + b'z"}}') for i in range(per)])
    out["update_8"] = _rate(8 * per, took)
    start = time.perf_counter()
    for i in range(n):
        store.get(f"/registry/configmaps/one/cm-{i}")
    out["get_1"] = _rate(n, time.perf_counter() - start)
    took = _threads(8, lambda t: [store.get(f"/registry/configmaps/one/cm-{(t * 997 + i) % n}") for i in range(2000)])
    out["get_8"] = _rate(8 * 2000, took)
    for i in range(n, 10000):
        store.create(f"/registry/configmaps/one/cm-{i}", value)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        result = store.list("/registry/configmaps/one/")
        times.append((time.perf_counter() - start) * 1000)
        assert len(result.items) == 10000
    out["list_10k_ms"] = sorted(times)[len(times) // 2]
    start = time.perf_counter()   # the same 10,000 in pages of 500, as kubectl and client-go list
    after, revision = None, None
    while True:
        page = store.list("/registry/configmaps/one/", revision=revision, limit=500, start_after=after)
        revision, after = page.revision, page.items[-1].key if page.items else None
        if not page.more:
            break
    out["paged_10k_ms"] = (time.perf_counter() - start) * 1000
    store.close()
    store = new_store(backend, path, synchronous=synchronous)
    out["fanout"] = fanout(store)
    store.close()
    return out


def fanout(store, watchers=1000, rate=200, seconds=3.0):
    """Commit-to-delivery delay with ``watchers`` watchers on one prefix while ``rate`` writes/s land."""
    import threading
    stamps = {}
    delays = []
    lock = threading.Lock()
    ws = [store.watch("/registry/fanout/") for _ in range(watchers)]
    done = threading.Event()

    def reader(chunk):
        local = []
        while not done.is_set():
            got = False
            for w in chunk:
                e = w.next(0)
                while e is not None:
                    got = True
                    if e.type != "PROGRESS":
                        local.append(time.perf_counter() - stamps[e.key])
                    e = w.next(0)
            if not got:
                time.sleep(0.001)
        with lock:
            delays.extend(local)

    readers = [threading.Thread(target=reader, args=(ws[i::4],)) for i in range(4)]
    for t in readers:
        t.start()
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(n):
        target = start + i / rate
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        key = f"/registry/fanout/o-{i}"
        stamps[key] = time.perf_counter()
        store.create(key, b"{}")
    time.sleep(0.5)
    done.set()
    for t in readers:
        t.join()
    for w in ws:
        w.stop()
    delays.sort()
    return {"events": len(delays), "expected": n * watchers, "p50_ms": _pct(delays, 50) * 1000,
            "p99_ms": _pct(delays, 99) * 1000}


def bench_storage(args):
    tmp = tempfile.mkdtemp(prefix="bench-storage-")
    try:
        raw_normal = raw_sqlite(os.path.join(tmp, "raw-normal.db"), "NORMAL")
        raw_full = raw_sqlite(os.path.join(tmp, "raw-full.db"), "FULL", n=2000)
        results = {"memory": bench_storage_backend("memory", tmp),
                   "sqlite": bench_storage_backend("sqlite", tmp),
                   "sqlite FULL": bench_storage_backend("sqlite", tmp, "FULL")}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("storage: 1 KB values")
    print(f"  ceiling: raw SQLite WAL single-row commits: {raw_normal[0]:,.0f}/s (synchronous=NORMAL), "
          f"{raw_full[0]:,.0f}/s (FULL); decode a 3,000-row scan of 1 KB JSON: {raw_normal[1]:.1f} ms")
    head = f"  {'backend':12} {'create/s 1t':>12} {'create/s 8t':>12} {'update/s 1t':>12} {'update/s 8t':>12} " \
           f"{'get/s 1t':>10} {'get/s 8t':>10} {'list 10k':>9} {'by 500':>8} " \
           f"{'fan-out p50/p99 (1000 watchers, 200 w/s)':>42}"
    print(head)
    for name, r in results.items():
        f = r["fanout"]
        print(f"  {name:12} {r['create_1']:12,.0f} {r['create_8']:12,.0f} {r['update_1']:12,.0f} "
              f"{r['update_8']:12,.0f} {r['get_1']:10,.0f} {r['get_8']:10,.0f} {r['list_10k_ms']:7.1f}ms "
              f"{r['paged_10k_ms']:6.0f}ms "
              f"{f['p50_ms']:>22.1f} / {f['p99_ms']:.1f} ms ({f['events']}/{f['expected']} events)")
    sq = results["sqlite"]
    print(f"  sqlite creates vs raw commits: {sq['create_1'] / raw_normal[0]:.2f}; targets: >= 5,000 creates/s, "
          ">= 50,000 gets/s, list 10k < 100 ms, fan-out p99 < 50 ms")


# -- the REST API

def _https(port, pki, cert=None):
    import http.client
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    ctx.load_cert_chain(*(cert or (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))))
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)


def _call(conn, method, path, body=None):
    import json
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    resp = conn.getresponse()
    return resp.status, resp.read()


def _wait_ready(port, pki):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _call(_https(port, pki), "GET", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server not ready")


def watch_delivery(port, pki, watchers=500, rate=100, seconds=3.0):
    """p50/p99 from sending a create to each of ``watchers`` HTTP watch streams reading its event."""
    import json
    import selectors as sel
    import threading
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
    path = "/api/v1/namespaces/watchbench/configmaps?watch=true&resourceVersion=" + \
        json.loads(_call(_https(port, pki), "GET", "/api/v1/namespaces/watchbench/configmaps")[1])["metadata"][
            "resourceVersion"]
    socks = []
    selector = sel.DefaultSelector()
    for _ in range(watchers):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        s.setblocking(False)
        selector.register(s, sel.EVENT_READ, bytearray())
        socks.append(s)
    sent = {}
    delays = []
    done = threading.Event()

    def writer():
        conn = _https(port, pki)
        n = int(rate * seconds)
        start = time.perf_counter()
        for i in range(n):
            pause = start + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            name = f"w-{i}"
            sent[name] = time.perf_counter()
            _call(conn, "POST", "/api/v1/namespaces/watchbench/configmaps",
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}})
        time.sleep(1.0)
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    marker = b'"name":"w-'
    while not done.is_set():
        for key, _ in selector.select(0.1):
            buf = key.data
            try:
                while True:
                    chunk = key.fileobj.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            now = time.perf_counter()
            while True:
                i = buf.find(marker)
                if i < 0:
                    break
                j = buf.find(b'"', i + len(marker))
                if j < 0:
                    break
                name = "w-" + buf[i + len(marker):j].decode()
                if name in sent:
                    delays.append(now - sent[name])
                del buf[:j]
    t.join()
    for s in socks:
        s.close()
    delays.sort()
    return {"events": len(delays), "expected": int(rate * seconds) * watchers,
            "p50_ms": _pct(delays, 50) * 1000, "p99_ms": _pct(delays, 99) * 1000}


def bench_api(args):
    import json
    tmp = tempfile.mkdtemp(prefix="bench-api-")
    try:
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"), cpu=args.cpu)
        _wait_ready(port, pki)
        conn = _https(port, pki)
        for ns in ("bench", "listbench", "watchbench"):
            _call(conn, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                      "metadata": {"name": ns}})
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "labels": {"app": "bench"}},
              "data": {"key": "v" * 900}}
        _call(conn, "POST", "/api/v1/namespaces/bench/configmaps", cm)
        get_path = "/api/v1/namespaces/bench/configmaps/one"
        body = _call(conn, "GET", get_path)[1]
        for i in range(500):
            _call(conn, "POST", "/api/v1/namespaces/listbench/configmaps",
                  dict(cm, metadata={"name": f"cm-{i:03d}"}))
        list_times = []
        for _ in range(20):
            start = time.perf_counter()
            status, data = _call(conn, "GET", "/api/v1/namespaces/listbench/configmaps")
            list_times.append(time.perf_counter() - start)
            assert status == 200 and len(json.loads(data)["items"]) >= 500   # plus kube-root-ca.crt
        list_times.sort()
        port_file = os.path.join(tmp, "ceiling.port")
        ceiling = multiprocessing.Process(target=ceiling_server, daemon=True, args=(
            os.path.join(pki, "apiserver.crt"), os.path.join(pki, "apiserver.key"), body, port_file, args.cpu))
        ceiling.start()
        wait_for_file(port_file)
        ceiling_port = int(open(port_file).read())
        cafile, certs = os.path.join(pki, "ca.crt"), (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        measure(args, ceiling_port, get_path, cafile, seconds=1)
        measure(args, port, get_path, cafile, certs, BENCH_TOKEN, seconds=1)
        server = {"server": proc.pid}
        rounds = [(measure(args, ceiling_port, get_path, cafile),
                   measure(args, port, get_path, cafile, certs, BENCH_TOKEN, pids=server))
                  for _ in range(args.rounds)]
        create_body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c-{n}"},
                                  "data": {"key": "v" * 900}}).encode()
        creates = measure(args, port, "/api/v1/namespaces/bench/configmaps", cafile, certs, BENCH_TOKEN,
                          method="POST", body=create_body, pids=server)
        watch = watch_delivery(port, pki)
        stop(proc)
        ceiling.terminate()
        # The request path alone: no storage cost to speak of and no control loops reading every event.
        proc, port, pki = start_apiserver(os.path.join(tmp, "data-memory"), "--storage-backend", "memory",
                                          "--controllers=none", cpu=args.cpu)
        _wait_ready(port, pki)
        _call(_https(port, pki), "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": "bench"}})
        bare_creates = measure(args, port, "/api/v1/namespaces/bench/configmaps", os.path.join(pki, "ca.crt"),
                               (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key")), BENCH_TOKEN,
                               method="POST", body=create_body, pids={"server": proc.pid})
        stop(proc)
        from apiserver.storage import new_store
        store = new_store("sqlite", os.path.join(tmp, "raw.db"))
        value = json.dumps(cm).encode()
        start = time.perf_counter()
        for i in range(3000):
            store.create(f"/registry/configmaps/bench/c-{i}", value)
        storage_creates = 3000 / (time.perf_counter() - start)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best_ceiling = max((c for c, _ in rounds), key=lambda r: r["rps"])
    best_get = max((g for _, g in rounds), key=lambda r: r["rps"])
    print(f"api: sqlite store, {args.client}, {args.processes * args.connections} keep-alive TLS connections, "
          f"{'token' if args.client == 'wrk' else 'x509'} admin")
    _row("ceiling: bare TLS server, same body", best_ceiling)
    _row("GET one ConfigMap", best_get)
    print(f"  ratio GET/ceiling: {best_get['rps'] / best_ceiling['rps']:.2f}  (target >= 0.5)")
    print(f"  LIST 500 ConfigMaps (~1 KB each): p50 {_pct(list_times, 50) * 1000:.1f} ms, "
          f"p99 {_pct(list_times, 99) * 1000:.1f} ms")
    _row("POST ConfigMap (creates)", creates)
    print(f"  creates through the API / storage layer's own creates ({storage_creates:,.0f}/s): "
          f"{creates['rps'] / storage_creates:.2f}  (target >= 0.5)")
    _row("POST ConfigMap, memory store, no controllers", bare_creates)
    print(f"  creates / ceiling (a fixed body, no work): {creates['rps'] / best_ceiling['rps']:.2f}; "
          f"memory store, no controllers: {bare_creates['rps'] / best_ceiling['rps']:.2f}")
    print(f"  watch delivery, 500 HTTP watchers, 100 creates/s: p50 {watch['p50_ms']:.1f} ms, "
          f"p99 {watch['p99_ms']:.1f} ms ({watch['events']}/{watch['expected']} events; target p99 < 100 ms)")


# -- patch and apply

def _deployment(containers=5, replicas=1, image_tag="1"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "patched", "labels": {"app": "p"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "p"}},
                     "template": {"metadata": {"labels": {"app": "p"}}, "spec": {"containers": [
                         {"name": f"c{i}", "image": f"registry.example/c{i}:{image_tag}",
                          "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                          "ports": [{"containerPort": 8000 + i}],
                          "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
                         for i in range(containers)]}}}}


def bench_patch(args):
    import json
    tmp = tempfile.mkdtemp(prefix="bench-patch-")
    try:
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"), cpu=args.cpu)
        _wait_ready(port, pki)
        conn = _https(port, pki)
        path = "/apis/apps/v1/namespaces/default/deployments"
        _call(conn, "POST", path, _deployment())

        def request(method, url, body, content_type):
            data = json.dumps(body).encode()
            conn.request(method, url, body=data, headers={"Content-Type": content_type})
            resp = conn.getresponse()
            resp.read()
            if resp.status not in (200, 201):
                raise RuntimeError(f"{method} {url}: {resp.status}")

        def rate(kind):
            n, start, i = 0, time.perf_counter(), 0
            while time.perf_counter() - start < args.seconds:
                i += 1
                if kind == "update":
                    request("PUT", f"{path}/patched", _deployment(replicas=1 + i % 5), "application/json")
                elif kind == "merge":
                    request("PATCH", f"{path}/patched", {"spec": {"replicas": 1 + i % 5}},
                            "application/merge-patch+json")
                elif kind == "strategic":
                    request("PATCH", f"{path}/patched", {"spec": {"template": {"spec": {"containers": [
                        {"name": "c2", "image": f"registry.example/c2:{i}"}]}}}},
                            "application/strategic-merge-patch+json")
                else:
                    request("PATCH", f"{path}/patched?fieldManager=bench&force=true",
                            _deployment(replicas=1 + i % 5), "application/apply-patch+yaml")
                n += 1
            return n / (time.perf_counter() - start)

        rates = {kind: rate(kind) for kind in ("update", "merge", "strategic", "apply")}
        stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"patch: one keep-alive connection, a Deployment with 5 containers, {args.seconds:g}s each")
    for kind, value in rates.items():
        print(f"  {kind:10} {value:8.0f} req/s   ({value / rates['update']:.2f} of update)")
    print("  target: apply >= 0.5 of update")


# -- garbage collection and namespace deletion

def bench_gc(args, count=5000):
    import json
    tmp = tempfile.mkdtemp(prefix="bench-gc-")
    try:
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"), cpu=args.cpu)
        _wait_ready(port, pki)
        conn = _https(port, pki)

        def gone(path, timeout=600):
            start = time.perf_counter()
            while _call(conn, "GET", path)[0] != 404:
                if time.perf_counter() - start > timeout:
                    raise RuntimeError(f"{path} was not deleted")
                time.sleep(0.05)

        _call(conn, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "doomed"}})
        for i in range(count):
            _call(conn, "POST", "/api/v1/namespaces/doomed/configmaps",
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"a": "b"}})
        start = time.perf_counter()
        _call(conn, "DELETE", "/api/v1/namespaces/doomed")
        gone("/api/v1/namespaces/doomed")
        namespace_seconds = time.perf_counter() - start

        status, body = _call(conn, "POST", "/api/v1/namespaces/default/configmaps",
                             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
        owner = json.loads(body)["metadata"]
        ref = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["uid"]}]
        for i in range(count):
            _call(conn, "POST", "/api/v1/namespaces/default/configmaps",
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"dep-{i}", "ownerReferences": ref}})
        start = time.perf_counter()
        _call(conn, "DELETE", "/api/v1/namespaces/default/configmaps/owner")
        gone(f"/api/v1/namespaces/default/configmaps/dep-{count - 1}")
        while json.loads(_call(conn, "GET", "/api/v1/namespaces/default/configmaps?labelSelector=")[1])["items"] \
                and any(i["metadata"]["name"].startswith("dep-") for i in json.loads(
                    _call(conn, "GET", "/api/v1/namespaces/default/configmaps")[1])["items"]):
            time.sleep(0.05)
        gc_seconds = time.perf_counter() - start
        stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"gc: sqlite store, {count} ConfigMaps each")
    print(f"  delete a namespace holding {count} objects: gone after {namespace_seconds:.1f} s "
          f"({count / namespace_seconds:,.0f} objects/s)")
    print(f"  delete an owner with {count} dependents (Background): all gone after {gc_seconds:.1f} s "
          f"({count / gc_seconds:,.0f} objects/s)")


# -- rbac

RBAC_TOKEN = "rbac-bench-token"


def client_cert(pki_dir: str, cn: str, out_dir: str):
    """A client certificate for ``cn`` signed by the server's CA (for the Python load client; wrk uses tokens)."""
    import datetime

    from apiserver import pki
    ca_der = pki.pem_to_ders(open(os.path.join(pki_dir, "ca.crt"), "rb").read())[0]
    ca_key = pki.PrivateKey.from_pem(open(os.path.join(pki_dir, "ca.key"), "rb").read())
    key = pki.PrivateKey.generate()
    now = datetime.datetime.now(datetime.timezone.utc)
    der = pki.make_certificate(subject_cn=cn, organizations=(), public_key=key.public_key, issuer_cert_der=ca_der,
                               issuer_key=ca_key, usage="client", not_before=now - datetime.timedelta(hours=1),
                               not_after=now + datetime.timedelta(days=1))
    cert, key_file = os.path.join(out_dir, f"{cn}.crt"), os.path.join(out_dir, f"{cn}.key")
    with open(cert, "wb") as f:
        f.write(pki.cert_to_pem(der))
    with open(key_file, "wb") as f:
        f.write(key.to_pem())
    return cert, key_file


def bench_rbac(args, bindings=1000):
    """GET one ConfigMap as a user RBAC allows through a RoleBinding among ``bindings`` others, beside the same
    GET as system:masters (allowed before RBAC is asked)."""
    tmp = tempfile.mkdtemp(prefix="bench-rbac-")
    try:
        proc, port, pki = start_apiserver(os.path.join(tmp, "data"), cpu=args.cpu,
                                          token_rows=[f"{RBAC_TOKEN},rbac-user,rbac-uid"])
        _wait_ready(port, pki)
        conn = _https(port, pki)
        group = "/apis/rbac.authorization.k8s.io/v1"
        namespaces = [f"team-{i}" for i in range(20)]
        for ns in namespaces:
            _call(conn, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                      "metadata": {"name": ns}})
        for i in range(bindings - 1):   # other users' bindings, spread over the namespaces
            ns = namespaces[i % len(namespaces)]
            _call(conn, "POST", f"{group}/namespaces/{ns}/rolebindings", {
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": f"user-{i}"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": f"user-{i}"},
                             {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"group-{i}"}]})
        _call(conn, "POST", f"{group}/namespaces/team-0/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rbac-user"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "rbac-user"}]})
        _call(conn, "POST", "/api/v1/namespaces/team-0/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}, "data": {"key": "v" * 900}})
        path = "/api/v1/namespaces/team-0/configmaps/one"
        cafile = os.path.join(pki, "ca.crt")
        admin = (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        user = client_cert(pki, "rbac-user", tmp)
        deadline = time.monotonic() + 30   # the view role is filled in by the aggregation controller
        while _call(_https(port, pki, user), "GET", path)[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("rbac-user was never allowed")
            time.sleep(0.1)
        measure(args, port, path, cafile, admin, BENCH_TOKEN, seconds=1)
        measure(args, port, path, cafile, user, RBAC_TOKEN, seconds=1)
        rounds = [(measure(args, port, path, cafile, admin, BENCH_TOKEN),
                   measure(args, port, path, cafile, user, RBAC_TOKEN)) for _ in range(args.rounds)]
        stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    masters = max((m for m, _ in rounds), key=lambda r: r["rps"])
    rbac = max((r for _, r in rounds), key=lambda r: r["rps"])
    print(f"rbac: GET one ConfigMap, {args.client}, {args.processes * args.connections} keep-alive TLS connections, "
          f"{bindings} RoleBindings")
    _row("system:masters (no RBAC lookup)", masters)
    _row("user bound by a RoleBinding to view", rbac)
    print(f"  ratio RBAC user/system:masters: {rbac['rps'] / masters['rps']:.2f}  (target >= 0.9)")


# -- etcd

def start_etcd(tmp):
    """A single-member etcd on free loopback ports (fsync as in production); returns (process, client URL)."""
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    client, peer = (f"http://127.0.0.1:{p}" for p in ports)
    proc = subprocess.Popen(["etcd", "--name", "b", "--data-dir", os.path.join(tmp, "etcd"),
                             "--listen-client-urls", client, "--advertise-client-urls", client,
                             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                             "--initial-cluster", f"b={peer}", "--log-level", "error", "--logger", "zap"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import urllib.request
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(client + "/health", timeout=1) as resp:
                if b"true" in resp.read():
                    return proc, client
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("etcd did not start")
        time.sleep(0.05)


def raw_etcd(args, url, etcd_pid):
    """The ceiling: puts/s and range gets/s of 1 KB values through the JSON gateway over as many keep-alive
    connections as the server gets, from the same load generator (wrk, or Python threads with --client python);
    and etcd's CPU time per put (µs)."""
    import base64
    import json
    value = base64.b64encode(_value(0)).decode()
    connections = args.processes * args.connections
    before = process_cpu(etcd_pid)
    if args.client == "wrk":
        put = json.dumps({"key": "{key64}", "value": value}).encode()
        puts = wrk_load(0, "/v3/kv/put", args.seconds, connections, "POST", put, url=url)["rps"]
        etcd_us = (process_cpu(etcd_pid) - before) / (puts * args.seconds) * 1e6 if puts else 0.0
        get = json.dumps({"key": FIRST_WRK_KEY64}).encode()
        gets = wrk_load(0, "/v3/kv/range", args.seconds, connections, "POST", get, url=url)["rps"]
        return puts, gets, etcd_us
    puts = _python_gateway_load(url, args.seconds, connections, "/v3/kv/put", lambda i, n: {
        "key": base64.b64encode(f"/raw/{i}/{n}".encode()).decode(), "value": value})
    etcd_us = (process_cpu(etcd_pid) - before) / (puts * args.seconds) * 1e6 if puts else 0.0
    gets = _python_gateway_load(url, args.seconds, connections, "/v3/kv/range",
                                lambda i, n: {"key": base64.b64encode(b"/raw/0/0").decode()})
    return puts, gets, etcd_us


def _python_gateway_load(url, seconds, threads, path, body_for):
    """Requests/s of ``threads`` Python threads, each POSTing ``body_for(thread, n)`` on a keep-alive connection."""
    import http.client
    import json
    from urllib.parse import urlsplit
    host, port = urlsplit(url).hostname, urlsplit(url).port
    counts = [0] * threads

    def worker(i):
        conn = http.client.HTTPConnection(host, port, timeout=30)
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            conn.request("POST", path, body=json.dumps(body_for(i, n)), headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
            n += 1
        counts[i] = n
        conn.close()
    took = _threads(threads, worker)
    return sum(counts) / took


def _server_round(args, data_dir, cm, name, etcd_pid, *flags, cpu=None):
    """A server started with ``flags`` (control loops off; on CPU ``cpu`` only, if given), warmed up; then creates
    (names starting with ``name``) and GETs of one ConfigMap through it, with CPU per request of the server and
    of etcd (``etcd_pid``)."""
    import json
    proc, port, pki = start_apiserver(data_dir, "--controllers=none", *flags, cpu=cpu)
    try:
        _wait_ready(port, pki)
        conn = _https(port, pki)
        _call(conn, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "bench"}})   # 409 on etcd after round 1
        _call(conn, "POST", "/api/v1/namespaces/bench/configmaps", cm)
        pids = {"server": proc.pid, **({"etcd": etcd_pid} if etcd_pid else {})}
        cafile, certs = os.path.join(pki, "ca.crt"), (os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        path = "/api/v1/namespaces/bench/configmaps"
        warm = json.dumps(dict(cm, metadata={"name": f"warm-{name}-{{n}}"})).encode()
        measure(args, port, path, cafile, certs, BENCH_TOKEN, seconds=1, method="POST", body=warm)
        body = json.dumps(dict(cm, metadata={"name": f"{name}-{{n}}"})).encode()
        creates = measure(args, port, path, cafile, certs, BENCH_TOKEN, method="POST", body=body, pids=pids)
        reads = measure(args, port, path + "/one", cafile, certs, BENCH_TOKEN, pids=pids)
        return creates, reads
    finally:
        stop(proc)


def one_cpu(args) -> int:
    """The CPU a pinned server runs on: --cpu, else the last this process may use."""
    return args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))


def bench_etcd(args):
    """The server on etcd against raw etcd, in interleaved rounds (drift on the machine hits both alike), free to
    use every CPU and pinned to one; and the same server on SQLite against raw SQLite."""
    if not shutil.which("etcd"):
        print("etcd: skipped (no etcd binary)")
        return
    tmp = tempfile.mkdtemp(prefix="bench-etcd-")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}, "data": {"key": "v" * 900}}
    cpu = one_cpu(args)
    rounds = []
    try:
        etcd, url = start_etcd(tmp)
        try:
            # Raw etcd runs with no server up: a running server's watch would see (and etcd send) every raw put.
            for n in range(args.rounds):
                raw = raw_etcd(args, url, etcd.pid)
                flags = ("--storage-backend", "etcd3", "--etcd-servers", url)
                free = _server_round(args, os.path.join(tmp, f"data-etcd3-{n}"), cm, f"r{n}", etcd.pid, *flags)
                one = _server_round(args, os.path.join(tmp, f"data-etcd3-{n}-cpu"), cm, f"p{n}", etcd.pid, *flags,
                                    cpu=cpu)
                rounds.append((raw, free, one))
        finally:
            etcd.kill()
            etcd.wait(10)
        sqlite = _server_round(args, os.path.join(tmp, "data-sqlite"), cm, "s", None, cpu=args.cpu)
        sqlite_inserts, _, _ = raw_sqlite(os.path.join(tmp, "raw.db"), "NORMAL")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    connections = args.processes * args.connections
    print(f"etcd: etcd {_etcd_version()} single member, JSON gateway; {args.client}, {connections} keep-alive "
          f"connections to etcd (raw) and TLS connections to the server; {args.rounds} rounds of raw etcd, then the "
          f"server started for the round on every CPU, then pinned to CPU {cpu}")
    for n, ((puts, gets, etcd_put_us), (creates, reads), (creates1, reads1)) in enumerate(rounds, 1):
        print(f"  round {n}: raw etcd puts {puts:6.0f}/s (etcd CPU {etcd_put_us:,.0f} µs/put), server creates "
              f"{creates['rps']:6.0f}/s: {creates['rps'] / puts:.2f}, pinned {creates1['rps']:6.0f}/s: "
              f"{creates1['rps'] / puts:.2f};  raw range gets {gets:6.0f}/s, server GETs {reads['rps']:6.0f}/s: "
              f"{reads['rps'] / gets:.2f}, pinned {reads1['rps']:6.0f}/s: {reads1['rps'] / gets:.2f}")
    best_puts = max(r[0][0] for r in rounds)
    best_gets = max(r[0][1] for r in rounds)
    print(f"  best rounds: raw etcd puts {best_puts:8.0f} /s   raw range gets {best_gets:8.0f} /s")
    for label, index in (("", 1), (f", pinned to CPU {cpu}", 2)):
        creates = max((r[index][0] for r in rounds), key=lambda r: r["rps"])
        reads = max((r[index][1] for r in rounds), key=lambda r: r["rps"])
        ratios = sorted(r[index][0]["rps"] / r[0][0] for r in rounds)
        _row(f"server on etcd{label}: POST ConfigMap (creates)", creates)
        _row(f"server on etcd{label}: GET one ConfigMap", reads)
        print(f"  creates / raw etcd puts: {creates['rps'] / best_puts:.2f} (best rounds; median of the rounds "
              f"{ratios[len(ratios) // 2]:.2f}; target >= 0.5);  GETs / raw etcd gets: {reads['rps'] / best_gets:.2f}")
    sqlite_creates, sqlite_reads = sqlite
    print(f"  raw SQLite inserts (WAL, NORMAL, 1 KB)           {sqlite_inserts:8.0f} /s")
    _row("server on SQLite: POST ConfigMap (creates)", sqlite_creates)
    _row("server on SQLite: GET one ConfigMap", sqlite_reads)
    print(f"  creates / raw SQLite inserts: {sqlite_creates['rps'] / sqlite_inserts:.2f}")


def _etcd_version():
    try:
        out = subprocess.run(["etcd", "--version"], capture_output=True, text=True, timeout=10).stdout
        return out.split()[2]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


# -- testing kit

FIRST_START = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from apiserver import logs
logs.configure("console", level="warning")
from apiserver.testing import KubeAPIServer
t1 = time.perf_counter()
server = KubeAPIServer().start()
t2 = time.perf_counter()
server.stop()
print(json.dumps({{"import": t1 - t0, "start": t2 - t1}}))
"""


def _ms(values):
    values = sorted(values)
    return f"median {values[len(values) // 2] * 1000:7.1f} ms   min {values[0] * 1000:7.1f} ms"


def bench_testing(args, starts=10, namespaces=20, objects=1000):
    """The testing kit (apiserver.testing): start-up, kube_namespace per test, snapshot and restore."""
    from apiserver import logs
    from apiserver.testing import KubeAPIServer
    logs.configure("console", level="warning")
    print("testing: the in-process server of apiserver.testing (envtest, for comparison, publishes ~7 s to start)")

    firsts, imports, walls = [], [], []
    for _ in range(3):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIRST_START.format(root=ROOT)], capture_output=True, text=True,
                             check=True)
        walls.append(time.perf_counter() - t0)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        firsts.append(figures["start"])
        imports.append(figures["import"])
    print(f"  first start in a fresh process      {_ms(firsts)}   (import {_ms(imports)}; "
          f"whole process {_ms(walls)})")

    KubeAPIServer().start().stop()
    later, stops = [], []
    for _ in range(starts):
        t0 = time.perf_counter()
        server = KubeAPIServer().start()
        t1 = time.perf_counter()
        server.stop()
        later.append(t1 - t0)
        stops.append(time.perf_counter() - t1)
    print(f"  later start (to ready)              {_ms(later)}")
    print(f"  stop (no thread left)               {_ms(stops)}")

    with KubeAPIServer() as server:
        ups, downs = [], []
        for i in range(namespaces):
            name = f"bench-{i}"
            t0 = time.perf_counter()
            server.create_namespace(name)
            t1 = time.perf_counter()
            for j in range(5):   # a test leaves a few objects behind, which the namespace deletion removes
                server.request("POST", f"/api/v1/namespaces/{name}/configmaps",
                               {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{j}"}})
            t2 = time.perf_counter()
            server.delete_namespace(name)
            ups.append(t1 - t0)
            downs.append(time.perf_counter() - t2)
        print(f"  kube_namespace set-up               {_ms(ups)}")
        print(f"  kube_namespace tear-down (5 objects) {_ms(downs)}")

    for storage in ("memory", "sqlite"):
        with KubeAPIServer(storage=storage) as server:
            server.create_namespace("bench")
            conn = server.connection()
            path = "/api/v1/namespaces/bench/configmaps"
            for i in range(objects):
                server.request("POST", path, {"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": f"cm-{i:04d}"}, "data": {"i": str(i)}}, conn=conn)
            snaps = []
            for _ in range(5):
                t0 = time.perf_counter()
                snap = server.snapshot()
                snaps.append(time.perf_counter() - t0)
            noop = []
            for _ in range(5):
                t0 = time.perf_counter()
                server.restore(snap)
                noop.append(time.perf_counter() - t0)
            for i in range(10):
                server.request("DELETE", f"{path}/cm-{i:04d}", conn=conn)
            t0 = time.perf_counter()
            few = server.restore(snap)
            few_time = time.perf_counter() - t0
            server.request("DELETE", path, conn=conn)   # deletecollection: every object goes
            t0 = time.perf_counter()
            every = server.restore(snap)
            every_time = time.perf_counter() - t0
            conn.close()
        print(f"  {storage:<6} store, {len(snap)} objects: snapshot {_ms(snaps)};  restore with nothing changed "
              f"{_ms(noop)}")
        print(f"  {storage:<6} restore after {few} changes {few_time * 1000:.1f} ms;  after {every} "
              f"{every_time * 1000:.1f} ms")


SUITES = {"serving": bench_serving, "storage": bench_storage, "api": bench_api, "patch": bench_patch,
          "gc": bench_gc, "rbac": bench_rbac, "etcd": bench_etcd, "testing": bench_testing}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suites", nargs="*", choices=[[], *SUITES], default=[])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="connections per client process")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="load generator (default: wrk when installed)")
    parser.add_argument("--cpu", type=int, default=None,
                        help="run every server (and Python ceiling server) on this CPU only, as `taskset -c CPU` "
                             "does; the etcd suite measures its server both ways whatever this says")
    args = parser.parse_args()
    for name in args.suites or list(SUITES):
        SUITES[name](args)


if __name__ == "__main__":
    main()
