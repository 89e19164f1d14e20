"""The embedded default backend: one SQLite file in WAL mode, one append-only table.

    kv(rev INTEGER PRIMARY KEY AUTOINCREMENT, key, created, prev, deleted, value)
    UNIQUE(key, prev)  -- the compare-and-swap: two writers that read the same row cannot both append

``rev`` is the global revision; AUTOINCREMENT keeps revisions from ever being reused, even after compaction
removed the newest row. Writes in this process are serialized by the store's lock and a busy timeout covers
writers in other processes, so callers never see "database is locked". Reads use a small pool of their own
connections, each statement a consistent snapshot. Durability: ``synchronous=NORMAL`` (the default) survives a
killed process; ``FULL`` also survives power loss, at a cost the README measures.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

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
        with self._reader() as conn:
            found = conn.execute("SELECT rev, key, created, prev, deleted, value FROM kv WHERE key = ? "
                                 "ORDER BY rev DESC LIMIT 1", (key,)).fetchone()
        return Row(*found) if found else None

    def _append(self, key: str, value: bytes, prev: int, created: Optional[int], deleted: bool) -> int:
        self._live()
        # The compare-and-swap: insert only while the key's newest row is still the one the writer read. The
        # unique (key, prev) index alone is not enough once compaction has removed that row.
        if created is None:  # a create: the row's own revision, the next one the sequence gives
            created_sql, args = "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0) + 1", ()
        else:
            created_sql, args = "?", (created,)
        try:
            cursor = self._writer.execute(
                f"INSERT INTO kv (key, created, prev, deleted, value) SELECT ?, {created_sql}, ?, ?, ? "
                "WHERE COALESCE((SELECT MAX(rev) FROM kv WHERE key = ?), 0) = ?",
                (key, *args, prev, int(deleted), value, key, prev))
        except sqlite3.IntegrityError:
            raise CASConflict(key) from None
        except sqlite3.Error as err:
            raise UnavailableError(f"storage write failed: {err}") from err
        if cursor.rowcount != 1:
            raise CASConflict(key)
        return cursor.lastrowid

    def _range(self, prefix: str, revision: int, start_after: Optional[str],
               limit: Optional[int]) -> Tuple[List[Row], bool, int]:
        lower = start_after if start_after is not None and start_after >= prefix else None
        newest = ("SELECT key, MAX(rev) AS rev FROM kv WHERE key >= ? AND key < ? AND rev <= ?"
                  + (" AND key > ?" if lower is not None else "") + " GROUP BY key")
        args: list = [prefix, prefix_end(prefix), revision] + ([lower] if lower is not None else [])
        query = ("SELECT k.rev, k.key, k.created, k.prev, k.deleted, k.value FROM kv k JOIN (" + newest
                 + ") n ON k.rev = n.rev WHERE k.deleted = 0 ORDER BY k.key")
        with self._reader() as conn, self._transaction(conn):
            if limit is None:
                rows = [Row(*r) for r in conn.execute(query, args)]
                return rows, False, 0
            rows = [Row(*r) for r in conn.execute(query + " LIMIT ?", args + [limit + 1])]
            if len(rows) <= limit:
                return rows, False, 0
            rows = rows[:limit]
            if not rows:
                return rows, True, 0
            count_args = [prefix, prefix_end(prefix), revision, rows[-1].key]
            remaining = conn.execute(
                "SELECT COUNT(*) FROM kv k JOIN (SELECT key, MAX(rev) AS rev FROM kv WHERE key >= ? AND key < ? "
                "AND rev <= ? AND key > ? GROUP BY key) n ON k.rev = n.rev WHERE k.deleted = 0",
                count_args).fetchone()[0]
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
        if removed:
            with self._write_lock:
                # executescript steps the pragma to the end; execute() would free a single page
                self._writer.executescript("PRAGMA incremental_vacuum;")
            log.debug("compaction removed rows", rows=removed, revision=revision)

    def close(self) -> None:
        if self._closed:
            return
        super().close()
        with self._write_lock:
            self._writer.close()
        while self._readers:
            self._readers.pop().close()


def _current(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").fetchone()
    return found[0] if found else 0


def _compacted(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT value FROM meta WHERE name = 'compacted'").fetchone()
    return found[0] if found else 0
