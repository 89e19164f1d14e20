"""``--enable-admission-plugins`` and ``--disable-admission-plugins`` (upstream's flags and rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from apiserver.admission import plugins


def _names(value: str) -> List[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


@dataclass
class AdmissionOptions:
    enable: List[str] = field(default_factory=list)
    disable: List[str] = field(default_factory=list)

    def add_flags(self, parser):
        g = parser.add_argument_group("admission flags")
        names = ", ".join(plugins.registered())
        g.add_argument("--enable-admission-plugins", dest="admission.enable", default=self.enable, type=_names,
                       metavar="names", help=f"admission plugins to enable besides the default ones; the order "
                                             f"is always upstream's. Plugins: {names}")
        g.add_argument("--disable-admission-plugins", dest="admission.disable", default=self.disable, type=_names,
                       metavar="names", help="admission plugins to disable, even default ones")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        known = set(plugins.registered())
        for flag, names in (("--enable-admission-plugins", self.enable), ("--disable-admission-plugins",
                                                                           self.disable)):
            for name in names:
                if name not in known:
                    errors.append(f"{flag} plugin \"{name}\" is unknown")
        both = sorted(set(self.enable) & set(self.disable))
        if both:
            errors.append(f"{both} in --enable-admission-plugins and --disable-admission-plugins overlapped")
        return errors

    def apply_to(self, config):
        config.admission_plugins = plugins.enabled_plugins(self.enable, self.disable)
