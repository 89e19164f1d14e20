"""``--authorization-mode``: a comma list, each mode asked in order, behind the always-allowed system:masters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from apiserver.auth import authorization


@dataclass
class AuthorizationOptions:
    modes: List[str] = field(default_factory=lambda: ["RBAC"])

    def add_flags(self, parser):
        g = parser.add_argument_group("authorization flags")
        g.add_argument("--authorization-mode", dest="authorization.modes", default=self.modes,
                       type=lambda v: [m.strip() for m in v.split(",") if m.strip()], metavar="modes",
                       help="ordered comma list of AlwaysAllow, AlwaysDeny, RBAC (default RBAC)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        if not self.modes:
            errors.append("--authorization-mode: at least one authorization mode must be passed")
        for mode in self.modes:
            if mode not in authorization.MODES:
                errors.append(f'--authorization-mode: "{mode}" is not a valid mode; valid modes: '
                              f'{", ".join(authorization.MODES)}')
        if len(set(self.modes)) != len(self.modes):
            errors.append(f"--authorization-mode: {','.join(self.modes)} has mode specified more than once")
        return errors

    def apply_to(self, config):
        """The authorizer itself is built with the server (RBAC reads storage); here only the modes."""
        config.authorization_modes = list(self.modes)
