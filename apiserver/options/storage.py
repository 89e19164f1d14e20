"""Where and how objects are stored: ``--data-dir`` (store, ``pki/``, admin kubeconfig) and the backend."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List

from apiserver import storage
from apiserver.options import flags
from apiserver.storage.sqlite import SYNCHRONOUS

DATABASE = "store.db"


@dataclass
class StorageOptions:
    data_dir: str = "./apiserver-data"
    storage_backend: str = "sqlite"
    compaction_interval: float = 300.0
    sqlite_synchronous: str = "NORMAL"
    sqlite_path: str = ""

    def add_flags(self, parser):
        g = parser.add_argument_group("storage flags")
        g.add_argument("--data-dir", dest="storage.data_dir", default=self.data_dir, metavar="path",
                       help="directory for the store, pki/ and admin.kubeconfig (default ./apiserver-data)")
        g.add_argument("--storage-backend", dest="storage.storage_backend", default=self.storage_backend,
                       metavar="sqlite|memory",
                       help="sqlite: a file under --data-dir (default); memory: nothing survives a restart")
        g.add_argument("--compaction-interval", dest="storage.compaction_interval", type=flags.duration,
                       default=self.compaction_interval, metavar="duration",
                       help="how often history older than one interval is compacted; 0 disables (default 5m0s)")
        g.add_argument("--sqlite-synchronous", dest="storage.sqlite_synchronous", default=self.sqlite_synchronous,
                       metavar="NORMAL|FULL", help="NORMAL survives a killed process; FULL also survives power loss, "
                                                   "at a cost (default NORMAL)")
        g.add_argument("--sqlite-path", dest="storage.sqlite_path", default=self.sqlite_path, metavar="path",
                       help="the SQLite store file; several servers (replicas) may share one (default "
                            "<data-dir>/store.db)")

    def complete(self):
        self.data_dir = os.path.abspath(self.data_dir)
        self.sqlite_synchronous = self.sqlite_synchronous.upper()
        self.sqlite_path = os.path.abspath(self.sqlite_path or os.path.join(self.data_dir, DATABASE))

    def validate(self) -> List[str]:
        errors = []
        if not self.data_dir:
            errors.append("--data-dir must not be empty")
        elif os.path.exists(self.data_dir) and not os.path.isdir(self.data_dir):
            errors.append(f"--data-dir {self.data_dir!r} exists and is not a directory")
        if self.storage_backend not in storage.BACKENDS:
            errors.append(f'--storage-backend "{self.storage_backend}" is not supported; valid: '
                          f'{", ".join(storage.BACKENDS)}')
        if self.compaction_interval < 0:
            errors.append("--compaction-interval can not be negative value")
        if self.sqlite_synchronous not in SYNCHRONOUS:
            errors.append(f'--sqlite-synchronous "{self.sqlite_synchronous}" is not supported; valid: '
                          f'{", ".join(SYNCHRONOUS)}')
        return errors

    def apply_to(self, config):
        try:
            os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        except OSError as err:
            raise ValueError(f"--data-dir {self.data_dir!r}: cannot create it: {err.strerror}") from None
        config.data_dir = self.data_dir
        try:
            config.store = storage.new_store(self.storage_backend, self.sqlite_path,
                                             synchronous=self.sqlite_synchronous,
                                             compaction_interval=self.compaction_interval)
        except storage.StorageError as err:
            raise ValueError(f"--storage-backend {self.storage_backend}: {err}") from None
