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
    etcd_servers: str = ""
    etcd_prefix: str = "/registry"
    etcd_cafile: str = ""
    etcd_certfile: str = ""
    etcd_keyfile: str = ""
    etcd_compaction_interval: float = 300.0
    etcd_count_metric_poll_period: float = 60.0
    etcd_healthcheck_timeout: float = 2.0
    etcd_readycheck_timeout: float = 2.0

    def add_flags(self, parser):
        g = parser.add_argument_group("storage flags")
        g.add_argument("--data-dir", dest="storage.data_dir", default=self.data_dir, metavar="path",
                       help="directory for the store, pki/ and admin.kubeconfig (default ./apiserver-data)")
        g.add_argument("--storage-backend", dest="storage.storage_backend", default=self.storage_backend,
                       metavar="sqlite|memory|etcd3",
                       help="sqlite: a file under --data-dir (default); memory: nothing survives a restart; "
                            "etcd3: the etcd cluster of --etcd-servers")
        g.add_argument("--compaction-interval", dest="storage.compaction_interval", type=flags.duration,
                       default=self.compaction_interval, metavar="duration",
                       help="how often history older than one interval is compacted; 0 disables (default 5m0s)")
        g.add_argument("--sqlite-synchronous", dest="storage.sqlite_synchronous", default=self.sqlite_synchronous,
                       metavar="NORMAL|FULL", help="NORMAL survives a killed process; FULL also survives power loss, "
                                                   "at a cost (default NORMAL)")
        g.add_argument("--sqlite-path", dest="storage.sqlite_path", default=self.sqlite_path, metavar="path",
                       help="the SQLite store file; several servers (replicas) may share one (default "
                            "<data-dir>/store.db)")
        e = parser.add_argument_group("etcd flags (--storage-backend etcd3)")
        e.add_argument("--etcd-servers", dest="storage.etcd_servers", default=self.etcd_servers, metavar="strings",
                       help="List of etcd servers to connect with (scheme://ip:port), comma separated.")
        e.add_argument("--etcd-prefix", dest="storage.etcd_prefix", default=self.etcd_prefix, metavar="string",
                       help='The prefix to prepend to all resource paths in etcd. (default "/registry")')
        e.add_argument("--etcd-cafile", dest="storage.etcd_cafile", default="", metavar="string",
                       help="SSL Certificate Authority file used to secure etcd communication.")
        e.add_argument("--etcd-certfile", dest="storage.etcd_certfile", default="", metavar="string",
                       help="SSL certification file used to secure etcd communication.")
        e.add_argument("--etcd-keyfile", dest="storage.etcd_keyfile", default="", metavar="string",
                       help="SSL key file used to secure etcd communication.")
        e.add_argument("--etcd-compaction-interval", dest="storage.etcd_compaction_interval", type=flags.duration,
                       default=self.etcd_compaction_interval, metavar="duration",
                       help="The interval of compaction requests. If 0, the compaction request from apiserver is "
                            "disabled. (default 5m0s)")
        e.add_argument("--etcd-count-metric-poll-period", dest="storage.etcd_count_metric_poll_period",
                       type=flags.duration, default=self.etcd_count_metric_poll_period, metavar="duration",
                       help="Frequency of polling etcd for number of resources per type. 0 disables the metric "
                            "collection. (default 1m0s)")
        e.add_argument("--etcd-healthcheck-timeout", dest="storage.etcd_healthcheck_timeout", type=flags.duration,
                       default=self.etcd_healthcheck_timeout, metavar="duration",
                       help="The timeout to use when checking etcd health. (default 2s)")
        e.add_argument("--etcd-readycheck-timeout", dest="storage.etcd_readycheck_timeout", type=flags.duration,
                       default=self.etcd_readycheck_timeout, metavar="duration",
                       help="The timeout to use when checking etcd readiness (default 2s)")

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
        if self.storage_backend == "etcd3" and not self.servers():
            errors.append("--etcd-servers must be specified")
        if self.etcd_compaction_interval < 0:
            errors.append("--etcd-compaction-interval can not be negative value")
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
            if self.storage_backend == "etcd3":
                config.store = storage.new_store("etcd3", compaction_interval=self.etcd_compaction_interval, etcd=dict(
                    servers=self.servers(), prefix=self.etcd_prefix, cafile=self.etcd_cafile or None,
                    certfile=self.etcd_certfile or None, keyfile=self.etcd_keyfile or None,
                    healthcheck_timeout=self.etcd_healthcheck_timeout,
                    readycheck_timeout=self.etcd_readycheck_timeout,
                    count_metric_poll_period=self.etcd_count_metric_poll_period))
                return
            config.store = storage.new_store(self.storage_backend, self.sqlite_path,
                                             synchronous=self.sqlite_synchronous,
                                             compaction_interval=self.compaction_interval)
        except storage.StorageError as err:
            raise ValueError(f"--storage-backend {self.storage_backend}: {err}") from None

    def servers(self) -> List[str]:
        return [s.strip() for s in self.etcd_servers.split(",") if s.strip()]
