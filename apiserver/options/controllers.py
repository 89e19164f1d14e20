"""``--controllers``: which built-in control loops run in the server (upstream's flag of the same name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from apiserver import controllers


@dataclass
class ControllerOptions:
    controllers: List[str] = field(default_factory=lambda: ["*"])

    def add_flags(self, parser):
        g = parser.add_argument_group("controller flags")
        g.add_argument("--controllers", dest="controllers.controllers", default=self.controllers,
                       type=lambda v: [c.strip() for c in v.split(",")], metavar="names",
                       help=f"control loops to run: '*' (all: {', '.join(controllers.NAMES)}), 'none', a name to "
                            "enable, '-name' to disable (default *)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        for value in self.controllers:
            name = value.lstrip("-")
            if name not in controllers.NAMES + ("*", "none", ""):
                errors.append(f'--controllers: "{value}" is not a known controller; known: '
                              f'{", ".join(controllers.NAMES)}')
        return errors

    def apply_to(self, config):
        config.controllers = controllers.selected(self.controllers)
