"""Tests for apiserver.server.metrics (the in-tree Prometheus client)."""

from __future__ import annotations

import math
import re
import sys
import threading
import time

import pytest

from apiserver.server.metrics import (
    CONTENT_TYPE,
    MUTATING_KIND,
    READ_ONLY_KIND,
    REQUEST_DURATION_BUCKETS,
    RESPONSE_SIZE_BUCKETS,
    APIServerMetrics,
    MetricFamily,
    Registry,
    api_server_metrics,
    format_value,
    process_collector,
)

# --------------------------------------------------------------------------
# A tiny, strict parser for the text exposition format 0.0.4, written here so
# the tests do not depend on prometheus_client.
# --------------------------------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_HELP_RE = re.compile(rf"^# HELP ({_NAME}) (.*)$")
_TYPE_RE = re.compile(rf"^# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)$")
_SAMPLE_NAME_RE = re.compile(rf"^({_NAME})")
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_UNESCAPE = {"\\": "\\", "n": "\n", '"': '"'}


def _unescape_help(text: str) -> str:
    table = {"\\": "\\", "n": "\n"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)


def _parse_labels(line: str, pos: int) -> tuple[dict[str, str], int]:
    """Parse ``{a="b",...}`` starting at line[pos] == '{'; return labels, end pos."""
    assert line[pos] == "{"
    pos += 1
    labels: dict[str, str] = {}
    while line[pos] != "}":
        m = _LABEL_NAME_RE.match(line, pos)
        assert m, f"bad label name at {pos}: {line!r}"
        name = m.group(0)
        pos = m.end()
        assert line[pos:pos + 2] == '="', f"expected =\" at {pos}: {line!r}"
        pos += 2
        value = []
        while line[pos] != '"':
            if line[pos] == "\\":
                esc = line[pos + 1]
                assert esc in _UNESCAPE, f"bad escape \\{esc} in {line!r}"
                value.append(_UNESCAPE[esc])
                pos += 2
            else:
                value.append(line[pos])
                pos += 1
        pos += 1
        assert name not in labels, f"duplicate label {name}"
        labels[name] = "".join(value)
        if line[pos] == ",":
            pos += 1
    return labels, pos + 1


def _parse_value(text: str) -> float:
    assert re.fullmatch(r"[+-]?Inf|NaN|[+-]?[0-9.]+(e[+-]?[0-9]+)?", text), text
    return float(text)


class Family:
    def __init__(self, name: str) -> None:
        self.name = name
        self.help: str | None = None
        self.type: str | None = None
        self.samples: list[tuple[str, dict[str, str], float]] = []

    def value(self, sample_name: str | None = None, **labels: str) -> float:
        name = sample_name or self.name
        hits = [v for n, ls, v in self.samples if n == name and ls == labels]
        assert len(hits) == 1, (name, labels, self.samples)
        return hits[0]


def parse(text: str) -> dict[str, Family]:
    """Parse an exposition; check structure; return families by name, in order."""
    assert text.endswith("\n")
    families: dict[str, Family] = {}
    current: Family | None = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            m = _HELP_RE.match(line)
            assert m, line
            assert m.group(1) not in families, f"family {m.group(1)} seen twice"
            current = families[m.group(1)] = Family(m.group(1))
            current.help = _unescape_help(m.group(2))
            continue
        if line.startswith("# TYPE "):
            m = _TYPE_RE.match(line)
            assert m and current is not None and m.group(1) == current.name, line
            assert current.type is None and not current.samples
            current.type = m.group(2)
            continue
        assert not line.startswith("#"), line
        m = _SAMPLE_NAME_RE.match(line)
        assert m and current is not None and current.type, line
        name, pos = m.group(1), m.end()
        labels: dict[str, str] = {}
        if line[pos] == "{":
            labels, pos = _parse_labels(line, pos)
        assert line[pos] == " ", line
        value = _parse_value(line[pos + 1:])
        allowed = {current.name}
        if current.type == "histogram":
            allowed = {current.name + s for s in ("_bucket", "_sum", "_count")}
        assert name in allowed, f"{name} inside family {current.name}"
        current.samples.append((name, labels, value))
    return families


def histogram_series(
    fam: Family, **labels: str
) -> tuple[list[tuple[str, float]], float, float]:
    """(le, cumulative count) pairs in order, sum, count for one label set."""
    buckets = []
    for n, ls, v in fam.samples:
        rest = {k: x for k, x in ls.items() if k != "le"}
        if n == fam.name + "_bucket" and rest == labels:
            buckets.append((ls["le"], v))
    return (buckets, fam.value(fam.name + "_sum", **labels),
            fam.value(fam.name + "_count", **labels))


# --------------------------------------------------------------------------
# Exposition format
# --------------------------------------------------------------------------

def test_counter_and_gauge_exposition():
    r = Registry()
    c = r.counter("http_requests_total", "Requests served.", ["method", "code"])
    g = r.gauge("temperature", "Current temperature.")
    c.labels("GET", "200").inc()
    c.labels("GET", "200").inc(2)
    c.labels("POST", 500).inc(0.5)  # non-str label values are str()-ed
    g.set(10)
    g.inc(5)
    g.dec(2.5)
    fams = parse(r.expose())
    assert list(fams) == sorted(fams)
    req = fams["http_requests_total"]
    assert req.type == "counter" and req.help == "Requests served."
    assert req.value(method="GET", code="200") == 3
    assert req.value(method="POST", code="500") == 0.5
    assert c.labels("POST", "500").get() == 0.5  # same child as labels(..., 500)
    temp = fams["temperature"]
    assert temp.type == "gauge" and temp.value() == 12.5
    assert g.get() == 12.5


def test_label_value_escaping_round_trips():
    r = Registry()
    tricky = 'say "hi"\\there\nnext line'
    c = r.counter("escapes_total", "Help with \\ backslash\nand newline.", ["v"])
    c.labels(tricky).inc(7)
    text = r.expose()
    # The raw newline must be escaped so every sample stays on one line.
    assert 'escapes_total{v="say \\"hi\\"\\\\there\\nnext line"} 7\n' in text
    assert "# HELP escapes_total Help with \\\\ backslash\\nand newline.\n" in text
    fam = parse(text)["escapes_total"]
    assert fam.help == "Help with \\ backslash\nand newline."
    assert fam.value(v=tricky) == 7


def test_histogram_buckets_sum_and_count():
    r = Registry()
    h = r.histogram("latency_seconds", "Latency.", ["verb"], buckets=[0.1, 0.5, 1, 5])
    values = [0.05, 0.1, 0.2, 0.5, 0.7, 1.0, 3, 10, 100]
    for v in values:
        h.labels("GET").observe(v)
    h.labels("PUT").observe(0.3)
    fam = parse(r.expose())["latency_seconds"]
    assert fam.type == "histogram"
    buckets, total, count = histogram_series(fam, verb="GET")
    assert [le for le, _ in buckets] == ["0.1", "0.5", "1", "5", "+Inf"]
    # "le" is inclusive: 0.1, 0.5 and 1.0 fall in their own bucket.
    assert [c for _, c in buckets] == [2, 4, 6, 7, 9]
    counts = [c for _, c in buckets]
    assert counts == sorted(counts), "buckets must be cumulative"
    assert buckets[-1] == ("+Inf", count) and count == len(values)
    assert total == pytest.approx(sum(values))
    buckets, total, count = histogram_series(fam, verb="PUT")
    assert [c for _, c in buckets] == [0, 1, 1, 1, 1] and total == 0.3 and count == 1


def test_unlabelled_histogram_and_nan():
    r = Registry()
    h = r.histogram("size_bytes", "Sizes.", buckets=[1, 2, float("inf")])
    h.observe(1)
    h.observe(float("nan"))  # counted in +Inf only, like the Go client
    fam = parse(r.expose())["size_bytes"]
    buckets, total, count = histogram_series(fam)
    assert buckets == [("1", 1), ("2", 1), ("+Inf", 2)]
    assert math.isnan(total) and count == 2
    cumulative, _, n = h.get()
    assert cumulative == [1, 1, 2] and n == 2


def test_empty_labelled_metric_still_has_help_and_type():
    r = Registry()
    r.counter("nothing_total", "Nothing yet.", ["a"])
    fam = parse(r.expose())["nothing_total"]
    assert fam.type == "counter" and fam.samples == []


def test_families_sorted_including_collectors():
    r = Registry()
    r.gauge("m_b", "b").set(1)
    r.counter("m_d_total", "d").inc()

    def collector():
        yield MetricFamily("m_c", "gauge", "c").add(3, {"k": 'v"'})
        yield MetricFamily("m_a", "untyped", "a").add(float("inf"))

    r.add_collector(collector)
    fams = parse(r.expose())
    assert list(fams) == ["m_a", "m_b", "m_c", "m_d_total"]
    assert fams["m_a"].type == "untyped" and fams["m_a"].value() == math.inf
    assert fams["m_c"].value(k='v"') == 3


def test_remove_and_clear():
    r = Registry()
    g = r.gauge("g", "g", ["a"])
    g.labels("x").set(1)
    g.labels("y").set(2)
    g.remove("x")
    assert [ls for _, ls, _ in parse(r.expose())["g"].samples] == [{"a": "y"}]
    g.clear()
    assert parse(r.expose())["g"].samples == []


def test_gauge_track_inprogress():
    r = Registry()
    g = r.gauge("inflight", "In flight.")
    with g.track_inprogress():
        assert g.get() == 1
    assert g.get() == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (42.0, "42"), (0.005, "0.005"),
        (1.25, "1.25"), (1e-5, "1e-05"), (999999, "999999"), (1e6, "1e+06"),
        (1e10, "1e+10"), (1234567.5, "1.2345675e+06"),
        (0.1 + 0.2, "0.30000000000000004"),
        (float("inf"), "+Inf"), (float("-inf"), "-Inf"), (float("nan"), "NaN"),
    ],
)
def test_format_value_matches_go(value, text):
    assert format_value(value) == text
    if text != "NaN":
        assert float(text) == value


def test_content_type():
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


# --------------------------------------------------------------------------
# Concurrency and isolation
# --------------------------------------------------------------------------

def test_concurrent_increments_are_exact():
    r = Registry()
    c = r.counter("hits_total", "Hits.", ["path"])
    g = r.gauge("level", "Level.")
    h = r.histogram("obs", "Obs.", ["k"], buckets=[1])
    threads, per_thread = 8, 10_000
    barrier = threading.Barrier(threads)

    def work():
        barrier.wait()
        for i in range(per_thread):
            c.labels("/api").inc()
            g.inc()
            g.dec()
            h.labels("k").observe(i % 2)

    # A tiny switch interval makes lost updates likely if any lock is missing.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        sys.setswitchinterval(old)
    total = threads * per_thread
    assert c.labels("/api").get() == total == 80_000
    assert g.get() == 0
    fams = parse(r.expose())
    assert fams["hits_total"].value(path="/api") == 80_000
    buckets, s, n = histogram_series(fams["obs"], k="k")
    assert buckets == [("1", total), ("+Inf", total)] and n == total and s == total / 2


def test_registries_are_independent():
    a, b = Registry(), Registry()
    ca = a.counter("requests_total", "R.", ["code"])
    cb = b.counter("requests_total", "R.", ["code"])  # same name is fine elsewhere
    ca.labels("200").inc(3)
    cb.labels("500").inc()
    fa, fb = parse(a.expose()), parse(b.expose())
    assert fa["requests_total"].samples == [("requests_total", {"code": "200"}, 3)]
    assert fb["requests_total"].samples == [("requests_total", {"code": "500"}, 1)]
    ma, mb = api_server_metrics(Registry()), api_server_metrics(Registry())
    ma.current_inflight_requests.labels(MUTATING_KIND).set(4)
    assert mb.current_inflight_requests.labels(MUTATING_KIND).get() == 0


# --------------------------------------------------------------------------
# Process metrics
# --------------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_process_metrics_on_linux():
    r = Registry()
    r.add_collector(process_collector())
    fams = parse(r.expose())
    expected = {
        "process_cpu_seconds_total": "counter",
        "process_resident_memory_bytes": "gauge",
        "process_virtual_memory_bytes": "gauge",
        "process_open_fds": "gauge",
        "process_max_fds": "gauge",
        "process_start_time_seconds": "gauge",
    }
    for name, typ in expected.items():
        assert fams[name].type == typ, name
    rss = fams["process_resident_memory_bytes"].value()
    assert rss > 0
    assert fams["process_virtual_memory_bytes"].value() >= rss
    open_fds = fams["process_open_fds"].value()
    assert open_fds > 0
    assert fams["process_max_fds"].value() >= open_fds
    assert fams["process_cpu_seconds_total"].value() >= 0
    start = fams["process_start_time_seconds"].value()
    now = time.time()
    assert now - 86400 < start <= now + 1


def test_process_metrics_without_proc(tmp_path):
    # Nothing under a missing procfs: metrics fall back or are omitted, never fail.
    collect = process_collector(str(tmp_path / "no-proc" / "self"))
    fams = {f.name: f for f in collect()}
    assert fams["process_cpu_seconds_total"].samples[0].value >= 0
    assert "process_resident_memory_bytes" not in fams
    assert "process_start_time_seconds" not in fams


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_wrong_label_count_raises():
    r = Registry()
    c = r.counter("c_total", "c", ["a", "b"])
    with pytest.raises(ValueError):
        c.labels("x")
    with pytest.raises(ValueError):
        c.labels("x", "y", "z")
    with pytest.raises(ValueError):
        c.inc()  # labelled metric used without labels
    h = r.histogram("h", "h", ["a"])
    with pytest.raises(ValueError):
        h.labels()


def test_negative_counter_increment_raises():
    r = Registry()
    c = r.counter("c_total", "c")
    c.inc(2)
    with pytest.raises(ValueError):
        c.inc(-1)
    assert c.get() == 2


def test_duplicate_registration_raises():
    r = Registry()
    r.counter("dup", "d")
    with pytest.raises(ValueError):
        r.counter("dup", "d")
    with pytest.raises(ValueError):
        r.gauge("dup", "d")
    with pytest.raises(ValueError):
        r.histogram("dup", "d")
    api_server_metrics(r)
    with pytest.raises(ValueError):
        api_server_metrics(r)


def test_invalid_definitions_raise():
    r = Registry()
    with pytest.raises(ValueError):
        r.counter("bad-name", "x")
    with pytest.raises(ValueError):
        r.counter("ok", "x", ["bad-label"])
    with pytest.raises(ValueError):
        r.counter("ok2", "x", ["__reserved"])
    with pytest.raises(ValueError):
        r.histogram("h1", "x", ["le"])
    with pytest.raises(ValueError):
        r.histogram("h2", "x", buckets=[2, 1])
    with pytest.raises(TypeError):
        r.gauge("g", "x", "single_string")


# --------------------------------------------------------------------------
# kube-apiserver metrics
# --------------------------------------------------------------------------

def test_api_server_metrics():
    r = Registry()
    m = api_server_metrics(r)
    assert isinstance(m, APIServerMetrics)
    m.request_total.labels("GET", "", "apps", "v1", "deployments", "", "namespace",
                           "apiserver", "200").inc()
    m.request_duration_seconds.labels("GET", "", "apps", "v1", "deployments", "",
                                      "namespace", "apiserver").observe(0.03)
    m.longrunning_requests.labels("WATCH", "", "v1", "pods", "", "cluster",
                                  "apiserver").inc()
    m.response_sizes.labels("LIST", "", "v1", "pods", "", "cluster",
                            "apiserver").observe(2500)
    m.request_terminations_total.labels("POST", "", "v1", "pods", "", "namespace",
                                        "apiserver", "429").inc()
    fams = parse(r.expose())

    total = fams["apiserver_request_total"]
    assert total.type == "counter"
    assert total.help == (
        "Counter of apiserver requests broken out for each verb, dry run value, group, "
        "version, resource, scope, component, and HTTP response code."
    )
    assert list(total.samples[0][1]) == [
        "verb", "dry_run", "group", "version", "resource",
        "subresource", "scope", "component", "code",
    ]

    dur = fams["apiserver_request_duration_seconds"]
    assert dur.type == "histogram"
    labels = {"verb": "GET", "dry_run": "", "group": "apps", "version": "v1",
              "resource": "deployments", "subresource": "", "scope": "namespace",
              "component": "apiserver"}
    buckets, s, n = histogram_series(dur, **labels)
    assert [float(le) for le, _ in buckets[:-1]] == list(REQUEST_DURATION_BUCKETS)
    assert len(REQUEST_DURATION_BUCKETS) == 23 and REQUEST_DURATION_BUCKETS[-1] == 60
    assert buckets[1] == ("0.025", 0) and buckets[2] == ("0.05", 1) and n == 1

    sizes = fams["apiserver_response_sizes"]
    rlabels = {"verb": "LIST", "group": "", "version": "v1", "resource": "pods",
               "subresource": "", "scope": "cluster", "component": "apiserver"}
    buckets, s, n = histogram_series(sizes, **rlabels)
    assert [le for le, _ in buckets] == ["1000", "10000", "100000", "1e+06", "1e+07",
                                         "1e+08", "1e+09", "1e+10", "+Inf"]
    assert RESPONSE_SIZE_BUCKETS == tuple(1000 * 10**i for i in range(8))
    assert s == 2500 and n == 1

    inflight = fams["apiserver_current_inflight_requests"]
    assert inflight.type == "gauge"
    assert inflight.value(request_kind=READ_ONLY_KIND) == 0
    assert inflight.value(request_kind=MUTATING_KIND) == 0
    assert fams["apiserver_longrunning_requests"].value(verb="WATCH", **{
        k: v for k, v in rlabels.items() if k != "verb"}) == 1
    term = fams["apiserver_request_terminations_total"]
    assert term.type == "counter"
    assert term.value(verb="POST", group="", version="v1", resource="pods",
                      subresource="", scope="namespace", component="apiserver",
                      code="429") == 1
    if sys.platform.startswith("linux"):
        assert "process_resident_memory_bytes" in fams


# --------------------------------------------------------------------------
# Hot-path cost (reported, not asserted: the machine is shared)
# --------------------------------------------------------------------------

def test_hot_path_timing(capsys):
    r = Registry()
    m = api_server_metrics(r)
    n = 100_000
    lv = ("GET", "", "apps", "v1", "deployments", "", "namespace", "apiserver")
    counter, hist = m.request_total, m.request_duration_seconds
    counter.labels(*lv, "200")
    child = hist.labels(*lv)

    def best_of(fn) -> float:
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            best = min(best, (time.perf_counter() - t0) / n * 1e6)
        return best

    def labels_inc():
        for _ in range(n):
            counter.labels("GET", "", "apps", "v1", "deployments", "", "namespace",
                           "apiserver", "200").inc()

    def observe():
        for _ in range(n):
            child.observe(0.123)

    def labels_observe():
        for _ in range(n):
            hist.labels(*lv).observe(0.123)

    t_inc, t_obs = best_of(labels_inc), best_of(observe)
    t_lobs = best_of(labels_observe)
    t0 = time.perf_counter()
    text = r.expose()
    t_expose = (time.perf_counter() - t0) * 1e3
    with capsys.disabled():
        print(f"\n[metrics timing] labels(9).inc(): {t_inc:.2f} us, "
              f"observe(): {t_obs:.2f} us, labels(8).observe(): {t_lobs:.2f} us, "
              f"expose(): {t_expose:.2f} ms ({len(text)} bytes)")
    assert counter.labels(*lv, "200").get() == 3 * n
