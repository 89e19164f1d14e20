"""``--controllers``: which built-in control loops run in the server (upstream's flag of the same name); leader
election among replicas (kube-controller-manager's ``--leader-elect*``) and the ``default/kubernetes`` endpoint
reconciler (kube-apiserver's ``--endpoint-reconciler-type``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from apiserver import controllers
from apiserver.controllers import leaderelection
from apiserver.options import flags

RECONCILERS = ("lease", "none")


@dataclass
class ControllerOptions:
    controllers: List[str] = field(default_factory=lambda: ["*"])
    leader_elect: bool = True
    leader_elect_lease_duration: float = 15.0
    leader_elect_renew_deadline: float = 10.0
    leader_elect_retry_period: float = 2.0
    endpoint_reconciler_type: str = "lease"
    endpoint_reconciler_interval: float = 10.0
    endpoint_lease_ttl: float = 15.0

    def add_flags(self, parser):
        g = parser.add_argument_group("controller flags")
        g.add_argument("--controllers", dest="controllers.controllers", default=self.controllers,
                       type=lambda v: [c.strip() for c in v.split(",")], metavar="names",
                       help=f"control loops to run: '*' (all: {', '.join(controllers.NAMES)}), 'none', a name to "
                            "enable, '-name' to disable (default *)")
        flags.add_bool(g, "--leader-elect", self.leader_elect,
                       "run the control loops only in the replica that holds the kube-system/kube-controller-manager "
                       "Lease", dest="controllers.leader_elect")
        for name, text in (("lease-duration", "how long non-leaders wait after the last observed renewal before "
                                              "taking over"),
                           ("renew-deadline", "how long the leader keeps retrying a renewal before it stops leading"),
                           ("retry-period", "how long to wait between acquisition and renewal attempts")):
            dest = "leader_elect_" + name.replace("-", "_")
            g.add_argument(f"--leader-elect-{name}", dest=f"controllers.{dest}", type=flags.duration,
                           default=getattr(self, dest), metavar="duration",
                           help=f"{text} (default {_go(getattr(self, dest))})")
        g.add_argument("--endpoint-reconciler-type", dest="controllers.endpoint_reconciler_type",
                       default=self.endpoint_reconciler_type, metavar="lease|none",
                       help="lease: each replica keeps a master lease and the live ones are the endpoints of "
                            "default/kubernetes; none: no endpoints (default lease)")
        g.add_argument("--endpoint-reconciler-interval", dest="controllers.endpoint_reconciler_interval",
                       type=flags.duration, default=self.endpoint_reconciler_interval, metavar="duration",
                       help="how often a replica renews its master lease and reconciles the endpoints (default 10s)")
        g.add_argument("--endpoint-lease-ttl", dest="controllers.endpoint_lease_ttl", type=flags.duration,
                       default=self.endpoint_lease_ttl, metavar="duration",
                       help="how long a master lease lives without renewal (default 15s)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        for value in self.controllers:
            name = value.lstrip("-")
            if name not in controllers.NAMES + ("*", "none", ""):
                errors.append(f'--controllers: "{value}" is not a known controller; known: '
                              f'{", ".join(controllers.NAMES)}')
        if self.leader_elect:
            # client-go's NewLeaderElector checks, with its messages
            if self.leader_elect_lease_duration <= self.leader_elect_renew_deadline:
                errors.append("--leader-elect-lease-duration: leaseDuration must be greater than renewDeadline")
            if self.leader_elect_renew_deadline <= leaderelection.JITTER * self.leader_elect_retry_period:
                errors.append("--leader-elect-renew-deadline: renewDeadline must be greater than "
                              "retryPeriod*JitterFactor")
            for name, go in (("lease_duration", "leaseDuration"), ("renew_deadline", "renewDeadline"),
                             ("retry_period", "retryPeriod")):
                if getattr(self, "leader_elect_" + name) <= 0:
                    errors.append(f"--leader-elect-{name.replace('_', '-')}: {go} must be greater than zero")
        if self.endpoint_reconciler_type not in RECONCILERS:
            errors.append(f'--endpoint-reconciler-type: invalid value "{self.endpoint_reconciler_type}"; valid: '
                          f'{", ".join(RECONCILERS)}')
        if self.endpoint_reconciler_interval <= 0:
            errors.append("--endpoint-reconciler-interval must be positive")
        if self.endpoint_lease_ttl <= self.endpoint_reconciler_interval:
            errors.append("--endpoint-lease-ttl must be longer than --endpoint-reconciler-interval")
        return errors

    def apply_to(self, config):
        config.controllers = controllers.selected(self.controllers)
        config.leader_election = leaderelection.Config(
            lease_duration=self.leader_elect_lease_duration, renew_deadline=self.leader_elect_renew_deadline,
            retry_period=self.leader_elect_retry_period) if self.leader_elect else None
        config.endpoint_reconciler = (self.endpoint_reconciler_interval, self.endpoint_lease_ttl) \
            if self.endpoint_reconciler_type == "lease" else None


def _go(seconds: float) -> str:
    return f"{seconds:g}s"
