"""Revisioned object storage: the contract in ``interface``; ``memory`` and ``sqlite`` backends."""

from __future__ import annotations

from typing import Optional

from apiserver.storage.interface import StorageError, Store

__all__ = ["BACKENDS", "StorageError", "Store", "new_store"]

BACKENDS = ("sqlite", "memory", "etcd3")


def new_store(backend: str, path: Optional[str] = None, *, synchronous: str = "NORMAL",
              compaction_interval: float = 0.0, watch_buffer: int = 1000, progress_interval: float = 5.0,
              etcd: Optional[dict] = None) -> Store:
    """A store of ``backend``; for etcd3, ``etcd`` holds EtcdStore's options (servers, prefix, TLS files...)."""
    options = dict(compaction_interval=compaction_interval, watch_buffer=watch_buffer,
                   progress_interval=progress_interval)
    if backend == "memory":
        from apiserver.storage.memory import MemoryStore
        return MemoryStore(**options)
    if backend == "sqlite":
        if not path:
            raise ValueError("the sqlite backend needs a database path")
        from apiserver.storage.sqlite import SQLiteStore
        return SQLiteStore(path, synchronous=synchronous, **options)
    if backend == "etcd3":
        from apiserver.storage.etcd3 import EtcdStore
        return EtcdStore(**(etcd or {}), **options)
    raise ValueError(f"unknown storage backend {backend!r}; valid: {', '.join(BACKENDS)}")
