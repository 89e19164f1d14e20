"""Structured logging: structlog when installed, a small stdlib fallback with the same call style otherwise.

Modules call ``log = logs.get_logger(__name__)`` and ``log.info("event", key=value)``. Only ``cli`` calls
``configure()``: JSON lines when stderr is not a terminal, a console renderer when it is.
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import sys
import threading
import time

try:
    import structlog
except ImportError:  # the server runs without structlog
    structlog = None

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def get_logger(name: str):
    if structlog is not None:
        return structlog.get_logger(name)
    return _StdlibLogger(logging.getLogger(name))


def configure(fmt: str = "", level: str = "info", stream=None) -> str:
    """Set up logging for the process; returns the format used ("json" or "console")."""
    stream = stream or sys.stderr
    if not fmt:
        fmt = "console" if stream.isatty() else "json"
    out = BatchingWriter(stream)
    atexit.register(out.flush_now)
    if structlog is not None:
        renderer = (structlog.processors.JSONRenderer(serializer=json.dumps) if fmt == "json"
                    else structlog.dev.ConsoleRenderer(colors=False))
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
            logger_factory=_LineLoggerFactory(out, fmt, _LEVELS.get(level, logging.INFO)),
            cache_logger_on_first_use=True,
        )
    handler = logging.StreamHandler(out)
    handler.setFormatter(_JSONFormatter() if fmt == "json" else _ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level, logging.INFO))
    return fmt


class _LineLoggerFactory:
    """structlog's logger factory; it also remembers where lines go, for ``request_logger``'s fast path."""

    def __init__(self, out, fmt: str, level: int):
        self.out = out
        self.fmt = fmt
        self.level = level

    def __call__(self, *args):
        return _LineLogger(self.out)


def request_logger(name: str):
    """``log(**fields)`` for the one line per request. With JSON output the line is rendered straight to JSON
    (the same fields structlog would write: the request's, then event, level, timestamp): the per-request
    log is the hottest log call, and structlog's generic pipeline would cost a quarter of a simple GET."""
    factory = structlog.get_config().get("logger_factory") if structlog is not None else None
    if isinstance(factory, _LineLoggerFactory) and factory.fmt == "json":
        if factory.level > logging.INFO:
            return lambda **fields: None
        write = factory.out.write
        clock = _Clock()

        def log_request(**fields):
            fields["event"], fields["level"], fields["timestamp"] = "request", "info", clock.iso()
            write(json.dumps(fields) + "\n")
        return log_request
    logger = get_logger(name)
    return lambda **fields: logger.info("request", **fields)


class _Clock:
    """ISO 8601 UTC timestamps with microseconds, formatting the seconds part once per second."""

    __slots__ = ("_second", "_prefix")

    def __init__(self):
        self._second, self._prefix = -1, ""

    def iso(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1e6):06d}Z"


class _LineLogger:
    """structlog's output end: each rendered event becomes one line (cheaper than print())."""

    __slots__ = ("_write",)

    def __init__(self, out):
        self._write = out.write

    def msg(self, message: str):
        self._write(message + "\n")

    debug = info = warning = warn = error = critical = exception = fatal = failure = err = log = msg


class BatchingWriter:
    """A file-like writer that hands lines to a background thread, which writes them in batches.

    One write system call per batch instead of one per log line keeps logging off the request threads'
    critical path. Lines are written within ``interval`` seconds, and at exit.
    """

    def __init__(self, stream, interval: float = 0.05):
        self._stream = stream
        self._interval = interval
        self._lines: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def write(self, text: str) -> int:
        self._lines.append(text)  # deque.append is atomic: no lock on the hot path
        return len(text)

    def flush(self):
        pass  # print(..., flush=True) calls this for every line; the writer thread flushes instead

    def isatty(self) -> bool:
        return self._stream.isatty()

    def flush_now(self):
        with self._lock:
            lines = self._lines
            parts = []
            while lines:
                parts.append(lines.popleft())
            if parts:
                try:
                    self._stream.write("".join(parts))
                    self._stream.flush()
                except (OSError, ValueError):
                    pass  # the stream is gone (closed pipe at exit): nothing sensible left to do

    def _run(self):
        while True:
            time.sleep(self._interval)
            if self._lines:
                self.flush_now()


class _StdlibLogger:
    """structlog's ``log.info("event", key=value)`` on top of the logging module."""

    __slots__ = ("_logger",)

    def __init__(self, logger: logging.Logger):
        self._logger = logger

    def _log(self, level: int, event: str, exc_info=False, **fields):
        if self._logger.isEnabledFor(level):
            self._logger.log(level, event, exc_info=exc_info, extra={"fields": fields})

    def debug(self, event, **fields):
        self._log(logging.DEBUG, event, **fields)

    def info(self, event, **fields):
        self._log(logging.INFO, event, **fields)

    def warning(self, event, **fields):
        self._log(logging.WARNING, event, **fields)

    def error(self, event, **fields):
        self._log(logging.ERROR, event, **fields)

    def exception(self, event, **fields):
        self._log(logging.ERROR, event, exc_info=True, **fields)


class _JSONFormatter(logging.Formatter):
    def format(self, record):
        entry = {"event": record.getMessage(), "level": record.levelname.lower(),
                 "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "logger": record.name}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _ConsoleFormatter(logging.Formatter):
    def format(self, record):
        fields = " ".join(f"{k}={v}" for k, v in getattr(record, "fields", {}).items())
        line = f"{time.strftime('%H:%M:%S', time.localtime(record.created))} [{record.levelname.lower():7}] " \
               f"{record.getMessage():30} {fields}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
