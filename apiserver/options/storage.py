"""Where the server keeps its data: the store, ``pki/`` and the admin kubeconfig live under ``--data-dir``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List


@dataclass
class StorageOptions:
    data_dir: str = "./apiserver-data"

    def add_flags(self, parser):
        g = parser.add_argument_group("storage flags")
        g.add_argument("--data-dir", dest="storage.data_dir", default=self.data_dir, metavar="path",
                       help="directory for the store, pki/ and admin.kubeconfig (default ./apiserver-data)")

    def complete(self):
        self.data_dir = os.path.abspath(self.data_dir)

    def validate(self) -> List[str]:
        if not self.data_dir:
            return ["--data-dir must not be empty"]
        if os.path.exists(self.data_dir) and not os.path.isdir(self.data_dir):
            return [f"--data-dir {self.data_dir!r} exists and is not a directory"]
        return []

    def apply_to(self, config):
        try:
            os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        except OSError as err:
            raise ValueError(f"--data-dir {self.data_dir!r}: cannot create it: {err.strerror}") from None
        config.data_dir = self.data_dir
