"""The embedded default backend: one SQLite file in WAL mode, one append-only table.

    kv(rev INTEGER PRIMARY KEY AUTOINCREMENT, key, created, prev, deleted, value)
    UNIQUE(key, prev)  -- the compare-and-swap: two writers that read the same row cannot both append

``rev`` is the global revision; AUTOINCREMENT keeps revisions from ever being reused, even after compaction
removed the newest row. Writes in this process are serialized by the store's lock and a busy timeout covers
writers in other processes, so callers never see "database is locked". Reads use a small pool of their own
connections, each statement a consistent snapshot. Durability: ``synchronous=NORMAL`` (the default) survives a
killed process; ``FULL`` also survives power loss, at a cost the README measures.

Reads of one key (get, and the read before every update or delete) are served from ``RowCache`` while no other
process has written since its rows were current: see there why that check costs no system call.
"""

from __future__ import annotations

import functools
import mmap
import os
import sqlite3
import struct
import threading
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from apiserver import logs
from apiserver.storage.interface import Event, UnavailableError, prefix_end
from apiserver.storage.logstore import CASConflict, LogStore, Row

log = logs.get_logger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    rev INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    created INTEGER NOT NULL,
    prev INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev ON kv (key, prev);
CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

BUSY_TIMEOUT_MS = 30000
COMPACT_BATCH = 500
SYNCHRONOUS = ("NORMAL", "FULL")
WAL_INDEX_HEADER = 48           # the first copy of the WAL-index header at the start of the -shm file
CACHE_BYTES = 64 * 1024 * 1024  # RowCache starts over beyond this many bytes of values


class RowCache:
    """The newest row of keys this process read or wrote recently, trusted only while the database is as it was
    when they were current.

    "As it was" is checked on the WAL-index header (sqlite.org/walformat.html), the first 48 bytes of the
    ``-shm`` file that every connection to the database maps: each commit, by any process, rewrites it and
    increments its change counter (``iChange``); readers in every process rely on it to see new transactions.
    So the rows are current while the header reads exactly as it did when they were. Reading the header from
    our own read-only map is a memory access: a hit needs no query, so no system call and no release of the
    GIL, which with many request threads costs far more than the query itself.

    A row read from the database is kept only when the header did not change during the read; a row this
    process wrote is kept only when its commit moved the change counter by exactly one from the header the
    rows were current under (no one else committed in between). Any other change empties the cache: it is
    always safe to forget.

    The map comes from ``SHM_MAPS``, which keeps it open while any store of this process uses the file.
    """

    MISS = object()

    def __init__(self, shm: mmap.mmap, release: Callable[[], None], max_bytes: int = CACHE_BYTES):
        self._shm = shm
        self._release = release
        self._closed = False
        self._rows: Dict[str, Optional[Row]] = {}
        self._bytes = 0
        self._max_bytes = max_bytes
        self._header = b""   # the header the rows are current under
        self._lock = threading.Lock()

    @classmethod
    def open(cls, db_path: str) -> Optional[RowCache]:
        """A cache over ``db_path``'s -shm file, or None where it cannot be mapped (then nothing is cached)."""
        found = SHM_MAPS.acquire(db_path + "-shm")
        if found is None:
            return None
        shm, release = found
        return cls(shm, release)

    def header(self) -> bytes:
        return b"" if self._closed else self._shm[:WAL_INDEX_HEADER]

    def get(self, key: str):
        """The key's newest row (None: no rows), or MISS."""
        if self._closed or self._shm[:WAL_INDEX_HEADER] != self._header:
            return self.MISS
        return self._rows.get(key, self.MISS)

    def read(self, key: str, row, before: bytes):
        """``row`` was read from the database after the header read ``before``."""
        with self._lock:
            if self._closed:
                return
            now = self._shm[:WAL_INDEX_HEADER]
            if now != before:
                return   # something committed during the read: which state the row is from is unknown
            if now != self._header:
                self._clear(now)
            self._put(key, row)

    def wrote(self, row, before: bytes):
        """This process committed ``row``, its key's newest row, in one transaction that began after the header
        read ``before``."""
        with self._lock:
            if self._closed:
                return
            now = self._shm[:WAL_INDEX_HEADER]
            if before != self._header or _change_counter(now) != (_change_counter(before) + 1) & 0xFFFFFFFF:
                self._clear(now)   # another commit came first or in between: what else changed is unknown
                return
            self._header = now
            self._put(row.key, row)

    def clear(self):
        with self._lock:
            self._clear(b"")

    def disable(self):
        """No more reads of the map (before the store's connections close)."""
        with self._lock:
            self._closed = True
            self._clear(b"")

    def close(self):
        """Give the map back: only once this store's SQLite connections are closed."""
        self.disable()
        self._release()

    def _clear(self, header: bytes):
        self._rows = {}
        self._bytes = 0
        self._header = header

    def _put(self, key: str, row):
        old = self._rows.get(key)
        self._bytes += (len(row.value) if row is not None else 0) - (len(old.value) if old is not None else 0)
        self._rows[key] = row
        if self._bytes > self._max_bytes:
            self._clear(self._header)


class SharedMaps:
    """Read-only maps of the first bytes of -shm files: one per file in this process, unmapped and closed when
    the last store using it gives it back.

    Process-wide on purpose, like the POSIX locks it protects: closing any descriptor of a file drops every
    lock this process holds on that file, SQLite's included, whichever store's connection took them. Another
    process that then finds the -shm file unlocked truncates it, and the next read of any map of it is a
    SIGBUS. So a descriptor is closed only when no store of this process has the database open any more.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._maps: Dict[Tuple[int, int], list] = {}    # (device, inode) -> [fd, map, users]

    def acquire(self, path: str) -> Optional[Tuple[mmap.mmap, Callable[[], None]]]:
        """The map of ``path`` and the function that gives it back, or None if it cannot be mapped."""
        with self._lock:
            try:
                st = os.stat(path)
            except OSError:
                return None
            key = (st.st_dev, st.st_ino)
            entry = self._maps.get(key)
            if entry is None:
                if st.st_size < WAL_INDEX_HEADER:
                    return None
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    return None
                try:
                    shm = mmap.mmap(fd, WAL_INDEX_HEADER, mmap.MAP_SHARED, mmap.PROT_READ)
                except (OSError, ValueError):
                    return None   # the descriptor stays open: closing it could drop SQLite's locks
                entry = self._maps[key] = [fd, shm, 0]
            entry[2] += 1
            return entry[1], functools.partial(self._release, key)

    def _release(self, key: Tuple[int, int]):
        with self._lock:
            entry = self._maps[key]
            entry[2] -= 1
            if entry[2] == 0:
                del self._maps[key]
                entry[1].close()
                os.close(entry[0])


SHM_MAPS = SharedMaps()


def _change_counter(header: bytes) -> int:
    return struct.unpack_from("=I", header, 8)[0] if len(header) >= 12 else -1


class SQLiteStore(LogStore):
    def __init__(self, path: str, *, synchronous: str = "NORMAL", read_connections: int = 8,
                 poll_interval: float = 0.1, **options):
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        self.path = path
        self._synchronous = synchronous
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        try:
            self._writer = self._connect()
            self._writer.executescript(SCHEMA)
        except sqlite3.Error as err:
            raise UnavailableError(f"cannot open the database {path}: {err}") from err
        self._readers: List[sqlite3.Connection] = []
        self._pool_size = read_connections
        self._cache = RowCache.open(path)   # the writer above holds the -shm file open, and keeps it so
        super().__init__(poll_interval=poll_interval, name="sqlite", **options)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Only takes effect on a new file, before WAL mode writes its header: lets compaction hand freed
        # pages back to the file system, so the file shrinks as well as stops growing.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        return conn

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection from the pool (list.pop and append are atomic: no lock on this hot path)."""
        self._live()
        try:
            conn = self._readers.pop()
        except IndexError:
            conn = self._connect()
        try:
            yield conn
        finally:
            if len(self._readers) < self._pool_size:
                self._readers.append(conn)
            else:
                conn.close()

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection, mode: str = "DEFERRED"):
        conn.execute(f"BEGIN {mode}")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- revisions

    def current_revision(self) -> int:
        with self._reader() as conn:
            return _current(conn)

    def compacted_revision(self) -> int:
        with self._reader() as conn:
            return _compacted(conn)

    # -- primitives

    def _latest(self, key: str) -> Optional[Row]:
        cache = self._cache
        if cache is not None:
            row = cache.get(key)
            if row is not RowCache.MISS:
                self._live()
                return row
            before = cache.header()
        with self._reader() as conn:
            found = conn.execute("SELECT rev, key, created, prev, deleted, value FROM kv WHERE key = ? "
                                 "ORDER BY rev DESC LIMIT 1", (key,)).fetchone()
        row = Row(*found) if found else None
        if cache is not None:
            cache.read(key, row, before)
        return row

    def _append(self, key: str, value: bytes, prev: int, created: Optional[int], deleted: bool) -> int:
        self._live()
        # The compare-and-swap: insert only while the key's newest row is still the one the writer read. The
        # unique (key, prev) index alone is not enough once compaction has removed that row.
        if created is None:  # a create: the row's own revision, the next one the sequence gives
            created_sql, args = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0) + 1", ()
        else:
            created_sql, args = "?", (created,)
        cache = self._cache
        before = cache.header() if cache is not None else b""
        try:
            cursor = self._writer.execute(
                f"INSERT INTO kv (key, created, prev, deleted, value) SELECT ?, {created_sql}, ?, ?, ? "
                "WHERE COALESCE((SELECT MAX(rev) FROM kv WHERE key = ?), 0) = ?",
                (key, *args, prev, int(deleted), value, key, prev))
        except sqlite3.IntegrityError:
            raise CASConflict(key) from None
        except sqlite3.Error as err:
            if cache is not None:
                cache.clear()
            raise UnavailableError(f"storage write failed: {err}") from err
        if cursor.rowcount != 1:
            raise CASConflict(key)
        rev = cursor.lastrowid
        if cache is not None:
            cache.wrote(Row(rev, key, rev if created is None else created, prev, deleted, value), before)
        return rev

    def _range(self, prefix: str, revision: int, start_after: Optional[str],
               limit: Optional[int]) -> Tuple[List[Row], bool, int]:
        lower = start_after if start_after is not None and start_after >= prefix else None
        # Each key's newest row at ``revision``, walking the (key, rev) index in key order: ORDER BY needs no sort
        # of the values, and a page stops after its rows instead of reading (and sorting) the rest of the range.
        where = ("k.key >= ? AND k.key < ?" + (" AND k.key > ?" if lower is not None else "")
                 + " AND k.rev = (SELECT MAX(m.rev) FROM kv m WHERE m.key = k.key AND m.rev <= ?) AND k.deleted = 0")
        args: list = [prefix, prefix_end(prefix)] + ([lower] if lower is not None else []) + [revision]
        query = f"SELECT k.rev, k.key, k.created, k.prev, k.deleted, k.value FROM kv k WHERE {where} ORDER BY k.key"
        with self._reader() as conn, self._transaction(conn):
            if limit is None:
                return [Row(*r) for r in conn.execute(query, args)], False, 0
            rows = [Row(*r) for r in conn.execute(query + " LIMIT ?", args + [limit + 1])]
            if len(rows) <= limit:
                return rows, False, 0
            rows = rows[:limit]
            if not rows:
                return rows, True, 0
            count = ("SELECT COUNT(*) FROM (SELECT MAX(rev) AS rev FROM kv WHERE key > ? AND key < ? AND rev <= ? "
                     "GROUP BY key) n CROSS JOIN kv k ON k.rev = n.rev WHERE k.deleted = 0")   # order does not matter
            remaining = conn.execute(count, [rows[-1].key, prefix_end(prefix), revision]).fetchone()[0]
            return rows, True, remaining

    def _events(self, after: int, upto: int, prefix: Optional[str], limit: Optional[int]) -> List[Event]:
        query = ("SELECT k.rev, k.key, k.created, k.prev, k.deleted, k.value, p.value, p.deleted FROM kv k "
                 "LEFT JOIN kv p ON p.rev = k.prev WHERE k.rev > ? AND k.rev <= ?")
        args: list = [after, upto]
        if prefix is not None:
            query += " AND k.key >= ? AND k.key < ?"
            args += [prefix, prefix_end(prefix)]
        query += " ORDER BY k.rev"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._reader() as conn:
            found = conn.execute(query, args).fetchall()
        return [Row(*r[:6]).event(r[6] if r[6] is not None and not r[7] else None) for r in found]

    def _compact(self, revision: int) -> None:
        """Delete, in small batches, rows superseded as of ``revision`` and tombstones at or before it."""
        removed = 0
        while True:
            with self._write_lock:
                self._live()
                with self._transaction(self._writer, "IMMEDIATE"):
                    batch = self._writer.execute(
                        "DELETE FROM kv WHERE rev IN (SELECT k.rev FROM kv k WHERE k.rev <= ? AND (k.deleted = 1 "
                        "OR EXISTS (SELECT 1 FROM kv n WHERE n.key = k.key AND n.rev > k.rev AND n.rev <= ?)) "
                        "LIMIT ?)", (revision, revision, COMPACT_BATCH)).rowcount
                    if batch < COMPACT_BATCH:
                        self._writer.execute(
                            "INSERT INTO meta (name, value) VALUES ('compacted', ?) ON CONFLICT (name) "
                            "DO UPDATE SET value = MAX(value, excluded.value)", (revision,))
            removed += batch
            if batch < COMPACT_BATCH:
                break
        if self._cache is not None:
            self._cache.clear()   # tombstones it holds may be gone now
        if removed:
            with self._write_lock:
                # executescript steps the pragma to the end; execute() would free a single page
                self._writer.executescript("PRAGMA incremental_vacuum;")
            log.debug("compaction removed rows", rows=removed, revision=revision)

    def close(self) -> None:
        if self._closed:
            return
        super().close()
        if self._cache is not None:
            self._cache.disable()
        with self._write_lock:
            self._writer.close()
        while self._readers:
            self._readers.pop().close()
        if self._cache is not None:
            self._cache.close()   # only now: closing its descriptors would drop SQLite's locks on the -shm file


def _current(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").fetchone()
    return found[0] if found else 0


def _compacted(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT value FROM meta WHERE name = 'compacted'").fetchone()
    return found[0] if found else 0
