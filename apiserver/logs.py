"""Structured logging: structlog when installed, a small stdlib fallback with the same call style otherwise.

Modules call ``log = logs.get_logger(__name__)`` and ``log.info("event", key=value)``. Only ``cli`` calls
``configure()``: JSON lines when stderr is not a terminal, a console renderer when it is.
"""

from __future__ import annotations

import json
import logging
import sys
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
    if structlog is not None:
        renderer = (structlog.processors.JSONRenderer(serializer=json.dumps) if fmt == "json"
                    else structlog.dev.ConsoleRenderer(colors=False))
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
            logger_factory=structlog.PrintLoggerFactory(stream),
            cache_logger_on_first_use=True,
        )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JSONFormatter() if fmt == "json" else _ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level, logging.INFO))
    return fmt


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
