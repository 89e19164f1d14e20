"""Log format: JSON lines when stderr is not a terminal, a console renderer when it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

FORMATS = ("json", "console")
LEVELS = ("debug", "info", "warning", "error")


@dataclass
class LoggingOptions:
    log_format: str = ""
    log_level: str = "info"

    def add_flags(self, parser):
        g = parser.add_argument_group("logging flags")
        g.add_argument("--log-format", dest="logging.log_format", default=self.log_format, metavar="json|console",
                       help="log format (default: console on a terminal, json otherwise)")
        g.add_argument("--log-level", dest="logging.log_level", default=self.log_level, metavar="level",
                       help="debug, info, warning or error (default info)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        if self.log_format and self.log_format not in FORMATS:
            errors.append(f'--log-format "{self.log_format}" is not supported; use json or console')
        if self.log_level not in LEVELS:
            errors.append(f'--log-level "{self.log_level}" is not supported; use one of {", ".join(LEVELS)}')
        return errors

    def apply_to(self, config):
        pass
