"""The audit log backend (``--audit-log-*``): events become lines (JSON or upstream's legacy text), written by
one thread from a bounded queue, into a file rotated as upstream's lumberjack does."""

from __future__ import annotations

import datetime
import gzip
import json
import os
import queue
import shutil
import sys
import threading
import time
from typing import Callable, List, Optional, Tuple

from apiserver import logs

log = logs.get_logger(__name__)

MEGABYTE = 1024 * 1024
DEFAULT_MAX_SIZE_MB = 100   # lumberjack's default when --audit-log-maxsize is 0
_BACKUP_TIME = "%Y-%m-%dT%H-%M-%S"
_STOP = object()


class RotatingFile:
    """lumberjack.Logger: rotate when a write would pass ``max_size_mb``; backups are named
    ``<name>-<UTC 2006-01-02T15-04-05.000><ext>``; keep at most ``max_backups`` and none older than
    ``max_age_days`` (0 = no limit); optionally gzip the backups. Used from one thread only."""

    def __init__(self, path: str, max_size_mb: int = 0, max_backups: int = 0, max_age_days: int = 0,
                 compress: bool = False, clock: Callable[[], float] = time.time):
        self.path = path
        self.max_bytes = (max_size_mb or DEFAULT_MAX_SIZE_MB) * MEGABYTE
        self.max_backups = max_backups
        self.max_age_days = max_age_days
        self.compress = compress
        self._clock = clock
        self._file = None
        self._size = 0

    def write(self, data: bytes):
        if len(data) > self.max_bytes:
            raise ValueError(f"write length {len(data)} exceeds maximum file size {self.max_bytes}")
        if self._file is None:
            self._open_existing_or_new(len(data))
        if self._size + len(data) > self.max_bytes:
            self.rotate()
        self._file.write(data)
        self._size += len(data)

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def rotate(self):
        self.close()
        self._open_new()
        self._mill()

    def _open_existing_or_new(self, write_len: int):
        self._mill()
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            self._open_new()
            return
        if size + write_len >= self.max_bytes:
            self.rotate()
            return
        self._file = open(self.path, "ab")
        self._size = size

    def _open_new(self):
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o755, exist_ok=True)
        mode = 0o600
        try:
            mode = os.stat(self.path).st_mode & 0o777
            os.rename(self.path, self.backup_name())
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
        self._file = os.fdopen(fd, "wb")
        self._size = 0

    def backup_name(self) -> str:
        directory, filename = os.path.split(self.path)
        prefix, ext = os.path.splitext(filename)
        now = datetime.datetime.fromtimestamp(self._clock(), datetime.timezone.utc)
        stamp = now.strftime(_BACKUP_TIME) + f".{now.microsecond // 1000:03d}"
        return os.path.join(directory, f"{prefix}-{stamp}{ext}")

    def backups(self) -> List[Tuple[float, str]]:
        """(time, path) of every backup of this file, newest first (lumberjack's oldLogFiles)."""
        directory, filename = os.path.split(self.path)
        directory = directory or "."
        prefix, ext = os.path.splitext(filename)
        prefix += "-"
        found = []
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        for name in names:
            for suffix in (ext, ext + ".gz"):
                if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
                    stamp = name[len(prefix):len(name) - len(suffix)]
                    try:
                        moment = datetime.datetime.strptime(stamp, _BACKUP_TIME + ".%f")
                    except ValueError:
                        continue
                    found.append((moment.replace(tzinfo=datetime.timezone.utc).timestamp(),
                                  os.path.join(directory, name)))
                    break
        found.sort(reverse=True)
        return found

    def _mill(self):
        if not self.max_backups and not self.max_age_days and not self.compress:
            return
        files = self.backups()
        remove = []
        if 0 < self.max_backups < len(files):
            preserved, kept = set(), []
            for moment, path in files:
                preserved.add(path[:-3] if path.endswith(".gz") else path)
                (remove if len(preserved) > self.max_backups else kept).append((moment, path))
            files = kept
        if self.max_age_days > 0:
            cutoff = self._clock() - self.max_age_days * 86400
            remove.extend(f for f in files if f[0] < cutoff)
            files = [f for f in files if f[0] >= cutoff]
        for _, path in remove:
            try:
                os.remove(path)
            except OSError as err:
                log.warning("cannot remove an old audit log", path=path, error=str(err))
        if self.compress:
            for _, path in files:
                if not path.endswith(".gz"):
                    _gzip(path)


def _gzip(path: str):
    try:
        with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(path + ".gz", os.stat(path).st_mode & 0o777)
        os.remove(path)
    except OSError as err:
        log.warning("cannot compress an old audit log", path=path, error=str(err))


class _StdoutFile:
    """``--audit-log-path -``: lines go to standard output."""

    def write(self, data: bytes):
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            out.write(data)
        else:
            sys.stdout.write(data.decode("utf-8"))

    def flush(self):
        sys.stdout.flush()

    def close(self):
        self.flush()


def json_line(ev: dict) -> str:
    return json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n"


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def legacy_line(ev: dict) -> str:
    """pkg/audit/format.go EventString, the ``--audit-log-format=legacy`` line."""
    user = ev.get("user") or {}
    username, groups = "<none>", "<none>"
    if user.get("username"):
        username = user["username"]
        if user.get("groups"):
            groups = ",".join(_go_quote(g) for g in user["groups"])
    as_user, as_groups = "<self>", "<lookup>"
    impersonated = ev.get("impersonatedUser")
    if impersonated is not None:
        as_user = impersonated.get("username", "")
        if impersonated.get("groups") is not None:
            as_groups = ",".join(_go_quote(g) for g in impersonated["groups"])
    namespace = (ev.get("objectRef") or {}).get("namespace") or "<none>"
    response = str(ev["responseStatus"]["code"]) if ev.get("responseStatus") else "<deferred>"
    ips = ev.get("sourceIPs") or ["<unknown>"]
    received = ev["requestReceivedTimestamp"].rstrip("Z").rstrip("0").rstrip(".") + "Z"
    return (f"{received} AUDIT: id={_go_quote(ev['auditID'])} stage={_go_quote(ev['stage'])} "
            f"ip={_go_quote(ips[0])} method={_go_quote(ev['verb'])} user={_go_quote(username)} "
            f"groups={_go_quote(groups)} as={_go_quote(as_user)} asgroups={_go_quote(as_groups)} "
            f"user-agent={_go_quote(ev.get('userAgent', ''))} namespace={_go_quote(namespace)} "
            f"uri={_go_quote(ev['requestURI'])} response=\"{response}\"\n")


FORMATS = {"json": json_line, "legacy": legacy_line}


class LogBackend:
    """Renders each event on the caller's thread (the event changes after) and queues the line; one writer
    thread writes the queued lines in batches. A full queue makes the caller wait at most ``block`` seconds
    (0 in batch mode) before the event is dropped and counted, so a slow disk never stalls requests for long."""

    def __init__(self, out, fmt: str = "json", buffer_size: int = 10000, block: float = 1.0,
                 event_counter=None, error_counter=None):
        self._out = out
        self._render = FORMATS[fmt]
        self._queue: queue.Queue = queue.Queue(max(buffer_size, 1))
        self._block = block
        self._events = event_counter
        self._errors = error_counter
        self._dropped = 0
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()
        self._stopped = False

    def process(self, ev: dict) -> bool:
        if self._stopped:
            return False
        if self._thread is None:
            self._start()
        line = self._render(ev).encode("utf-8")
        if self._events is not None:
            self._events.inc()
        try:
            if self._block > 0:
                self._queue.put(line, timeout=self._block)
            else:
                self._queue.put_nowait(line)
        except queue.Full:
            self._dropped += 1
            if self._errors is not None:
                self._errors.inc()
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.error("audit log backend is full; events dropped", dropped=self._dropped,
                          audit_id=ev.get("auditID"))
            return False
        return True

    def _start(self):
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-log-writer", daemon=True)
                self._thread.start()

    def _run(self):
        while True:
            item = self._queue.get()
            batch = [item]
            while len(batch) < 1000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = False
            for line in batch:
                if line is _STOP:
                    stop = True
                    continue
                try:
                    self._out.write(line)
                except (OSError, ValueError) as err:
                    if self._errors is not None:
                        self._errors.inc()
                    log.error("cannot write an audit event", error=str(err))
            try:
                self._out.flush()
            except (OSError, ValueError) as err:
                log.error("cannot flush the audit log", error=str(err))
            if stop:
                return

    def shutdown(self, timeout: float = 5.0):
        """Write what is queued, then close the file (the server's destroy func)."""
        self._stopped = True
        if self._thread is not None:
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                pass
            self._thread.join(timeout)
        try:
            self._out.close()
        except OSError:
            pass


def open_output(path: str, max_size_mb: int, max_backups: int, max_age_days: int, compress: bool):
    """The file of ``--audit-log-path`` (``-`` is standard output); created now so errors show at start."""
    if path == "-":
        return _StdoutFile()
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_RDWR, 0o600))
    except OSError as err:
        raise ValueError(f"--audit-log-path: ensureLogFile: {err}") from None
    return RotatingFile(path, max_size_mb, max_backups, max_age_days, compress)
