"""A small, dependency-free Prometheus client for the API server.

Every metric lives on a :class:`Registry` instance (there is no global default
registry), so several servers in one process keep separate metrics.  All
updates are thread-safe.  :meth:`Registry.expose` renders the Prometheus text
exposition format, version 0.0.4.
"""

from __future__ import annotations

import math
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

try:  # Absent on Windows; only used as a fallback where /proc is missing.
    import resource
except ImportError:  # pragma: no cover - platform dependent
    resource = None  # type: ignore[assignment]

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_BUCKETS",
    "MUTATING_KIND",
    "READ_ONLY_KIND",
    "REQUEST_DURATION_BUCKETS",
    "RESPONSE_SIZE_BUCKETS",
    "APIServerMetrics",
    "Counter",
    "CounterChild",
    "Gauge",
    "GaugeChild",
    "Histogram",
    "HistogramChild",
    "MetricFamily",
    "Registry",
    "Sample",
    "api_server_metrics",
    "format_value",
    "process_collector",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The Prometheus client libraries' default latency buckets.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)

# kube-apiserver's apiserver_request_duration_seconds buckets.
REQUEST_DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5,
    2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
)

# kube-apiserver's apiserver_response_sizes buckets: 1KB .. 10GB, x10 each.
RESPONSE_SIZE_BUCKETS: tuple[float, ...] = tuple(1000.0 * 10**i for i in range(8))

# Values of the request_kind label of apiserver_current_inflight_requests.
READ_ONLY_KIND = "readOnly"
MUTATING_KIND = "mutating"

_METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_TYPES = frozenset({"counter", "gauge", "histogram", "summary", "untyped"})


# --------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------

def format_value(value: float) -> str:
    """Format a sample value the way the Go client does (strconv 'g', shortest).

    Matching Go matters for ``le`` labels: dashboards select buckets by the
    label's exact string, e.g. ``le="1e+06"``.
    """
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if v == math.inf:
        return "+Inf"
    if v == -math.inf:
        return "-Inf"
    # Fast path: Go prints integers below 1e6 as plain digits (and -0 as 0).
    if -1e6 < v < 1e6 and v == int(v):
        return str(int(v))
    return _go_shortest_g(v)


def _go_shortest_g(v: float) -> str:
    # repr() yields the shortest round-tripping digits, as Go does; only the
    # choice between fixed and exponent notation differs, so redo that part.
    sign, digit_tuple, exp = Decimal(repr(v)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exp += len(digit_tuple) - len(digits)
    nd = len(digits)
    x = nd + exp - 1  # exponent in d.ddd x 10^x form
    prefix = "-" if sign else ""
    if x < -4 or x >= 6:  # Go uses precision 6 for this decision when shortest
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{prefix}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{prefix}0.{'0' * (-x - 1)}{digits}"
    if nd <= x + 1:
        return prefix + digits + "0" * (x + 1 - nd)
    return f"{prefix}{digits[:x + 1]}.{digits[x + 1:]}"


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label_string(names: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(
        f'{n}="{_escape_label_value(v)}"' for n, v in zip(names, values)
    )


def _check_metric_name(name: str) -> None:
    if not _METRIC_NAME_RE.match(name):
        raise ValueError(f"invalid metric name {name!r}")


def _check_label_names(labelnames: Sequence[str], reserved: Sequence[str] = ()) -> None:
    if len(set(labelnames)) != len(labelnames):
        raise ValueError(f"duplicate label names in {list(labelnames)!r}")
    for ln in labelnames:
        if not _LABEL_NAME_RE.match(ln) or ln.startswith("__"):
            raise ValueError(f"invalid label name {ln!r}")
        if ln in reserved:
            raise ValueError(f"label name {ln!r} is reserved")


# --------------------------------------------------------------------------
# Sample families (what collectors yield)
# --------------------------------------------------------------------------

class Sample(NamedTuple):
    """One exposition line: full sample name, labels, value."""

    name: str
    labels: Mapping[str, str]
    value: float


@dataclass
class MetricFamily:
    """A named, typed group of samples, as yielded by collectors."""

    name: str
    type: str
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, labels: Mapping[str, str] | None = None,
            suffix: str = "") -> MetricFamily:
        """Append a sample named ``name + suffix``; returns self for chaining."""
        self.samples.append(Sample(self.name + suffix, dict(labels or {}), value))
        return self

    def _render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {_escape_help(self.help)}\n")
        out.append(f"# TYPE {self.name} {self.type}\n")
        for s in self.samples:
            if s.labels:
                ls = _label_string(list(s.labels), [str(v) for v in s.labels.values()])
                out.append(f"{s.name}{{{ls}}} {format_value(s.value)}\n")
            else:
                out.append(f"{s.name} {format_value(s.value)}\n")


# --------------------------------------------------------------------------
# Children: one per label-value combination; these hold the numbers.
# --------------------------------------------------------------------------

class CounterChild:
    """A monotonically increasing value."""

    __slots__ = ("_labelstr", "_lock", "_value")

    def __init__(self, labelstr: str) -> None:
        self._lock = threading.Lock()
        self._value = 0.0
        self._labelstr = labelstr

    def inc(self, amount: float = 1) -> None:
        """Add ``amount`` (must be >= 0)."""
        if amount < 0:
            raise ValueError("counters can only increase; got negative amount")
        with self._lock:  # += on an attribute is not atomic across threads
            self._value += amount

    def get(self) -> float:
        """Current value."""
        return self._value

    def _render(self, name: str, out: list[str]) -> None:
        out.append(_sample_line(name, self._labelstr, self._value))


class GaugeChild:
    """A value that can go up and down."""

    __slots__ = ("_labelstr", "_lock", "_value")

    def __init__(self, labelstr: str) -> None:
        self._lock = threading.Lock()
        self._value = 0.0
        self._labelstr = labelstr

    def inc(self, amount: float = 1) -> None:
        """Add ``amount``."""
        with self._lock:
            self._value += amount

    def dec(self, amount: float = 1) -> None:
        """Subtract ``amount``."""
        with self._lock:
            self._value -= amount

    def set(self, value: float) -> None:
        """Set to ``value``."""
        value = float(value)
        with self._lock:  # so a concurrent inc() cannot overwrite this set()
            self._value = value

    def get(self) -> float:
        """Current value."""
        return self._value

    @contextmanager
    def track_inprogress(self) -> Iterator[None]:
        """Increment on entry and decrement on exit (e.g. in-flight requests)."""
        self.inc()
        try:
            yield
        finally:
            self.dec()

    def _render(self, name: str, out: list[str]) -> None:
        out.append(_sample_line(name, self._labelstr, self._value))


class HistogramChild:
    """Counts observations into cumulative buckets, plus their sum."""

    __slots__ = ("_bounds", "_counts", "_inf_index", "_labelstr", "_lock", "_sum")

    def __init__(self, labelstr: str, bounds: tuple[float, ...]) -> None:
        self._lock = threading.Lock()
        self._bounds = bounds  # finite upper bounds, sorted
        self._inf_index = len(bounds)
        self._counts = [0] * (len(bounds) + 1)  # per-bucket, not cumulative
        self._sum = 0.0
        self._labelstr = labelstr

    def observe(self, value: float) -> None:
        """Record one observation."""
        value = float(value)
        # Buckets are "le" (<=), which bisect_left gives.  NaN compares false
        # everywhere so it lands at 0; send it to +Inf only, as Go does.
        i = bisect_left(self._bounds, value)
        if i == 0 and math.isnan(value):
            i = self._inf_index
        with self._lock:
            self._counts[i] += 1
            self._sum += value

    def get(self) -> tuple[list[int], float, int]:
        """(cumulative bucket counts incl. +Inf, sum, count), consistent snapshot."""
        with self._lock:
            counts = list(self._counts)
            total = self._sum
        cumulative, acc = [], 0
        for c in counts:
            acc += c
            cumulative.append(acc)
        return cumulative, total, acc

    def _render(self, name: str, out: list[str], le_strings: Sequence[str]) -> None:
        cumulative, total, count = self.get()
        prefix = self._labelstr + "," if self._labelstr else ""
        bucket = name + "_bucket{" + prefix + 'le="'
        for le, c in zip(le_strings, cumulative):
            out.append(f'{bucket}{le}"}} {c}\n')
        out.append(_sample_line(name + "_sum", self._labelstr, total))
        out.append(_sample_line(name + "_count", self._labelstr, count))


def _sample_line(name: str, labelstr: str, value: float) -> str:
    if labelstr:
        return f"{name}{{{labelstr}}} {format_value(value)}\n"
    return f"{name} {format_value(value)}\n"


# --------------------------------------------------------------------------
# Metrics: a name, help, label names and the children keyed by label values.
# --------------------------------------------------------------------------

class _Metric:
    _type = "untyped"
    _reserved_labels: tuple[str, ...] = ()

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        if isinstance(labelnames, str):
            raise TypeError("labelnames must be a sequence of strings, not a string")
        _check_metric_name(name)
        labelnames = tuple(labelnames)
        _check_label_names(labelnames, self._reserved_labels)
        self.name = name
        self.help = help
        self.labelnames = labelnames
        self._lock = threading.Lock()
        self._children: dict[tuple[str, ...], object] = {}
        self._default = self._new_child(()) if not labelnames else None
        if self._default is not None:
            self._children[()] = self._default

    def _new_child(self, values: tuple[str, ...]):  # pragma: no cover - abstract
        raise NotImplementedError

    def labels(self, *values: object):
        """The child for these label values (positional, one per label name)."""
        # Lock-free fast path: a dict read is atomic in CPython, and children
        # are never replaced once inserted, so a hit is always the right child.
        child = self._children.get(values)  # type: ignore[arg-type]
        if child is not None:
            return child
        return self._labels_slow(values)

    def _labels_slow(self, values: tuple[object, ...]):
        if len(values) != len(self.labelnames):
            raise ValueError(
                f"{self.name}: expected {len(self.labelnames)} label values "
                f"{self.labelnames!r}, got {len(values)}"
            )
        key = tuple(v if isinstance(v, str) else str(v) for v in values)
        with self._lock:
            child = self._children.get(key)
            if child is None:
                child = self._new_child(key)
                self._children[key] = child
        # Non-str values (e.g. code=200) are keyed by their str() form; they
        # take this slow path every time rather than aliasing keys, because
        # 1 == 1.0 == True would otherwise map to the same child.
        return child

    def remove(self, *values: object) -> None:
        """Drop the child for these label values (no error if absent)."""
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: wrong number of label values")
        if not self.labelnames:
            raise ValueError(f"{self.name}: cannot remove an unlabelled metric")
        key = tuple(str(v) for v in values)
        with self._lock:
            self._children.pop(key, None)

    def clear(self) -> None:
        """Drop all children of a labelled metric."""
        if self.labelnames:
            with self._lock:
                self._children.clear()

    def _only(self):
        if self._default is None:
            raise ValueError(
                f"{self.name} has labels {self.labelnames!r}; use .labels(...)"
            )
        return self._default

    def _sorted_children(self) -> list:
        with self._lock:
            items = list(self._children.items())
        items.sort(key=lambda kv: kv[0])
        return [child for _, child in items]

    def _render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {_escape_help(self.help)}\n")
        out.append(f"# TYPE {self.name} {self._type}\n")
        for child in self._sorted_children():
            child._render(self.name, out)


class Counter(_Metric):
    """A counter metric; use ``labels(...)`` or, if unlabelled, ``inc`` directly."""

    _type = "counter"

    def _new_child(self, values: tuple[str, ...]) -> CounterChild:
        return CounterChild(_label_string(self.labelnames, values))

    def labels(self, *values: object) -> CounterChild:
        """The child for these label values (positional, one per label name)."""
        return super().labels(*values)

    def inc(self, amount: float = 1) -> None:
        """Increment an unlabelled counter."""
        self._only().inc(amount)

    def get(self) -> float:
        """Value of an unlabelled counter."""
        return self._only().get()


class Gauge(_Metric):
    """A gauge metric; use ``labels(...)`` or, if unlabelled, the methods directly."""

    _type = "gauge"

    def _new_child(self, values: tuple[str, ...]) -> GaugeChild:
        return GaugeChild(_label_string(self.labelnames, values))

    def labels(self, *values: object) -> GaugeChild:
        """The child for these label values (positional, one per label name)."""
        return super().labels(*values)

    def inc(self, amount: float = 1) -> None:
        """Increment an unlabelled gauge."""
        self._only().inc(amount)

    def dec(self, amount: float = 1) -> None:
        """Decrement an unlabelled gauge."""
        self._only().dec(amount)

    def set(self, value: float) -> None:
        """Set an unlabelled gauge."""
        self._only().set(value)

    def get(self) -> float:
        """Value of an unlabelled gauge."""
        return self._only().get()

    def track_inprogress(self):
        """Context manager: +1 on entry, -1 on exit (unlabelled gauge)."""
        return self._only().track_inprogress()


class Histogram(_Metric):
    """A histogram metric with fixed upper bounds; ``+Inf`` is implicit."""

    _type = "histogram"
    _reserved_labels = ("le",)

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (),
                 buckets: Sequence[float] = DEFAULT_BUCKETS) -> None:
        bounds = [float(b) for b in buckets]
        if any(math.isnan(b) for b in bounds):
            raise ValueError("histogram buckets must not be NaN")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("histogram buckets must be strictly increasing")
        if bounds and bounds[-1] == math.inf:
            bounds.pop()  # +Inf is always added; accept it given explicitly
        if not bounds:
            raise ValueError("histogram needs at least one finite bucket")
        self.buckets: tuple[float, ...] = tuple(bounds)
        # "le" strings are formatted once here, not on every scrape.
        self._le_strings = tuple(format_value(b) for b in bounds) + ("+Inf",)
        super().__init__(name, help, labelnames)

    def _new_child(self, values: tuple[str, ...]) -> HistogramChild:
        return HistogramChild(_label_string(self.labelnames, values), self.buckets)

    def labels(self, *values: object) -> HistogramChild:
        """The child for these label values (positional, one per label name)."""
        return super().labels(*values)

    def observe(self, value: float) -> None:
        """Observe into an unlabelled histogram."""
        self._only().observe(value)

    def get(self) -> tuple[list[int], float, int]:
        """Snapshot of an unlabelled histogram: (cumulative buckets, sum, count)."""
        return self._only().get()

    def _render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {_escape_help(self.help)}\n")
        out.append(f"# TYPE {self.name} histogram\n")
        for child in self._sorted_children():
            child._render(self.name, out, self._le_strings)


Collector = Callable[[], Iterable[MetricFamily]]


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

class Registry:
    """Holds metrics and collectors; renders them for a /metrics endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metrics: dict[str, _Metric] = {}
        self._collectors: list[Collector] = []

    def _register(self, metric: _Metric) -> _Metric:
        with self._lock:
            if metric.name in self._metrics:
                raise ValueError(f"metric {metric.name!r} is already registered")
            self._metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Counter:
        """Create and register a counter."""
        return self._register(Counter(name, help, labelnames))  # type: ignore[return-value]

    def gauge(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Gauge:
        """Create and register a gauge."""
        return self._register(Gauge(name, help, labelnames))  # type: ignore[return-value]

    def histogram(self, name: str, help: str, labelnames: Sequence[str] = (),
                  buckets: Sequence[float] = DEFAULT_BUCKETS) -> Histogram:
        """Create and register a histogram."""
        return self._register(  # type: ignore[return-value]
            Histogram(name, help, labelnames, buckets)
        )

    def get(self, name: str) -> _Metric | None:
        """The registered metric called ``name``, if any."""
        with self._lock:
            return self._metrics.get(name)

    def add_collector(self, fn: Collector) -> None:
        """Add ``fn``; it is called at every scrape and yields MetricFamily objects."""
        with self._lock:
            self._collectors.append(fn)

    def expose(self) -> str:
        """Render every metric in the text exposition format 0.0.4."""
        with self._lock:
            metrics = list(self._metrics.values())
            collectors = list(self._collectors)
        # Collectors run outside the registry lock: they may be slow (they
        # read /proc) and must not block registration or other scrapes.
        families: list[tuple[str, object]] = [(m.name, m) for m in metrics]
        for fn in collectors:
            for fam in fn():
                if fam.type not in _TYPES:
                    raise ValueError(
                        f"collector family {fam.name!r}: bad type {fam.type!r}"
                    )
                families.append((fam.name, fam))
        families.sort(key=lambda nf: nf[0])
        out: list[str] = []
        for _, fam in families:
            fam._render(out)  # type: ignore[attr-defined]
        return "".join(out)


# --------------------------------------------------------------------------
# Process metrics
# --------------------------------------------------------------------------

def process_collector(proc_dir: str = "/proc/self") -> Collector:
    """A collector for the standard ``process_*`` metrics.

    Reads Linux procfs under ``proc_dir`` when present and falls back to
    ``os``/``resource`` otherwise; a metric that cannot be read is omitted.
    """
    system_stat = os.path.join(os.path.dirname(proc_dir.rstrip("/")) or "/", "stat")
    # Boot time never changes, so it is read once per collector, lazily.
    boot: dict[str, float] = {}

    def sysconf(name: str, default: int) -> int:
        try:
            v = os.sysconf(name)
            return v if v > 0 else default
        except (AttributeError, ValueError, OSError):
            return default

    def boot_time() -> float:
        if "t" not in boot:
            with open(system_stat, encoding="ascii") as f:
                for line in f:
                    if line.startswith("btime "):
                        boot["t"] = float(line.split()[1])
                        break
                else:
                    raise ValueError("no btime in " + system_stat)
        return boot["t"]

    def read_stat() -> list[str] | None:
        try:
            with open(os.path.join(proc_dir, "stat"), encoding="ascii",
                      errors="replace") as f:
                data = f.read()
        except OSError:
            return None
        # comm (field 2) may contain spaces and ')'; fields resume after the last ')'.
        return data[data.rfind(")") + 2:].split()

    def max_fds() -> float | None:
        try:
            with open(os.path.join(proc_dir, "limits"), encoding="ascii") as f:
                for line in f:
                    if line.startswith("Max open files"):
                        soft = line[len("Max open files"):].split()[0]
                        return math.inf if soft == "unlimited" else float(soft)
        except (OSError, ValueError, IndexError):
            pass
        if resource is not None:
            try:
                soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
                return math.inf if soft == resource.RLIM_INFINITY else float(soft)
            except (OSError, ValueError, AttributeError):
                pass
        return None

    def open_fds() -> float | None:
        try:
            return float(len(os.listdir(os.path.join(proc_dir, "fd"))))
        except OSError:
            pass
        # /dev/fd lists this process's fds on macOS/BSD; on Linux without a
        # readable procfs it may be a stale symlink, so only use it as a fallback.
        if not os.path.isdir(proc_dir):
            try:
                return float(len(os.listdir("/dev/fd")))
            except OSError:
                pass
        return None

    def collect() -> Iterator[MetricFamily]:
        ticks = sysconf("SC_CLK_TCK", 100)
        page = sysconf("SC_PAGE_SIZE", 4096)
        fields = read_stat()
        # Field numbers per proc(5), minus 3 because the split starts at "state".
        cpu = rss = vsize = start = None
        if fields is not None:
            try:
                cpu = (int(fields[11]) + int(fields[12])) / ticks
                vsize = float(fields[20])
                rss = float(int(fields[21]) * page)
                start = boot_time() + int(fields[19]) / ticks
            except (IndexError, ValueError, OSError):
                pass
        if cpu is None:
            t = os.times()
            cpu = t.user + t.system

        yield MetricFamily("process_cpu_seconds_total", "counter",
                           "Total user and system CPU time spent in seconds.").add(cpu)
        nfds = open_fds()
        if nfds is not None:
            yield MetricFamily("process_open_fds", "gauge",
                               "Number of open file descriptors.").add(nfds)
        mfds = max_fds()
        if mfds is not None:
            yield MetricFamily("process_max_fds", "gauge",
                               "Maximum number of open file descriptors.").add(mfds)
        if vsize is not None:
            yield MetricFamily("process_virtual_memory_bytes", "gauge",
                               "Virtual memory size in bytes.").add(vsize)
        if rss is not None:
            yield MetricFamily("process_resident_memory_bytes", "gauge",
                               "Resident memory size in bytes.").add(rss)
        if start is not None:
            yield MetricFamily("process_start_time_seconds", "gauge",
                               "Start time of the process since unix epoch in seconds."
                               ).add(start)

    return collect


# --------------------------------------------------------------------------
# kube-apiserver metrics
# --------------------------------------------------------------------------

_REQUEST_LABELS = ("verb", "dry_run", "group", "version", "resource",
                   "subresource", "scope", "component")
_RESOURCE_LABELS = ("verb", "group", "version", "resource", "subresource",
                    "scope", "component")


@dataclass(frozen=True)
class APIServerMetrics:
    """The API server's metrics, named and labelled as kube-apiserver's."""

    request_total: Counter
    request_duration_seconds: Histogram
    current_inflight_requests: Gauge
    longrunning_requests: Gauge
    response_sizes: Histogram
    request_terminations_total: Counter


def api_server_metrics(registry: Registry) -> APIServerMetrics:
    """Register kube-apiserver's request metrics and process metrics on ``registry``."""
    m = APIServerMetrics(
        request_total=registry.counter(
            "apiserver_request_total",
            "Counter of apiserver requests broken out for each verb, dry run value, "
            "group, version, resource, scope, component, and HTTP response code.",
            _REQUEST_LABELS + ("code",),
        ),
        request_duration_seconds=registry.histogram(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, "
            "group, version, resource, subresource, scope and component.",
            _REQUEST_LABELS,
            buckets=REQUEST_DURATION_BUCKETS,
        ),
        current_inflight_requests=registry.gauge(
            "apiserver_current_inflight_requests",
            "Maximal number of currently used inflight request limit of this "
            "apiserver per request kind in last second.",
            ("request_kind",),
        ),
        longrunning_requests=registry.gauge(
            "apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests broken out by verb, "
            "group, version, resource, scope and component. Not all requests are "
            "tracked this way.",
            _RESOURCE_LABELS,
        ),
        response_sizes=registry.histogram(
            "apiserver_response_sizes",
            "Response size distribution in bytes for each group, version, verb, "
            "resource, subresource, scope and component.",
            _RESOURCE_LABELS,
            buckets=RESPONSE_SIZE_BUCKETS,
        ),
        request_terminations_total=registry.counter(
            "apiserver_request_terminations_total",
            "Number of requests which apiserver terminated in self-defense.",
            _RESOURCE_LABELS + ("code",),
        ),
    )
    # Both kinds always appear (at 0), as upstream's do, so alerts see a series.
    m.current_inflight_requests.labels(READ_ONLY_KIND)
    m.current_inflight_requests.labels(MUTATING_KIND)
    registry.add_collector(process_collector())
    return m
