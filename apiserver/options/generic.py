"""Request limits, timeouts and shutdown behaviour (apiserver ``options/server_run_options.go``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from apiserver.options import flags


@dataclass
class GenericServerRunOptions:
    request_timeout: float = 60.0
    min_request_timeout: int = 1800
    max_requests_inflight: int = 400
    max_mutating_requests_inflight: int = 200
    shutdown_delay_duration: float = 0.0
    shutdown_send_retry_after: bool = False
    shutdown_watch_termination_grace_period: float = 0.0
    livez_grace_period: float = 0.0

    def add_flags(self, parser):
        g = parser.add_argument_group("generic flags")
        g.add_argument("--request-timeout", dest="generic.request_timeout", type=flags.duration,
                       default=self.request_timeout, metavar="duration",
                       help="the longest a non-long-running request may take (default 1m0s)")
        g.add_argument("--min-request-timeout", dest="generic.min_request_timeout", type=flags.integer,
                       default=self.min_request_timeout, metavar="int",
                       help="minimum seconds a watch may last; watches last a random time in [min, 2*min) "
                            "(default 1800)")
        g.add_argument("--max-requests-inflight", dest="generic.max_requests_inflight", type=flags.integer,
                       default=self.max_requests_inflight, metavar="int",
                       help="maximum non-mutating requests in flight; 0 means no limit (default 400)")
        g.add_argument("--max-mutating-requests-inflight", dest="generic.max_mutating_requests_inflight",
                       type=flags.integer, default=self.max_mutating_requests_inflight, metavar="int",
                       help="maximum mutating requests in flight; 0 means no limit (default 200)")
        g.add_argument("--shutdown-delay-duration", dest="generic.shutdown_delay_duration", type=flags.duration,
                       default=self.shutdown_delay_duration, metavar="duration",
                       help="time to keep serving after a stop is requested, while /readyz fails (default 0s)")
        flags.add_bool(g, "--shutdown-send-retry-after", self.shutdown_send_retry_after,
                       "while draining keep listening and answer new requests 429 with Retry-After",
                       dest="generic.shutdown_send_retry_after")
        g.add_argument("--shutdown-watch-termination-grace-period", type=flags.duration,
                       dest="generic.shutdown_watch_termination_grace_period",
                       default=self.shutdown_watch_termination_grace_period, metavar="duration",
                       help="how long active watches may drain at shutdown (default 0s)")
        g.add_argument("--livez-grace-period", dest="generic.livez_grace_period", type=flags.duration,
                       default=self.livez_grace_period, metavar="duration",
                       help="after start, /livez treats unfinished post-start hooks as healthy for this long "
                            "(default 0s)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        errors = []
        for flag, value in (("--max-requests-inflight", self.max_requests_inflight),
                            ("--max-mutating-requests-inflight", self.max_mutating_requests_inflight),
                            ("--request-timeout", self.request_timeout),
                            ("--min-request-timeout", self.min_request_timeout),
                            ("--shutdown-delay-duration", self.shutdown_delay_duration),
                            ("--shutdown-watch-termination-grace-period",
                             self.shutdown_watch_termination_grace_period),
                            ("--livez-grace-period", self.livez_grace_period)):
            if value < 0:
                errors.append(f"{flag} can not be negative value")
        return errors

    def apply_to(self, config):
        config.request_timeout = self.request_timeout
        config.min_request_timeout = self.min_request_timeout
        config.max_requests_inflight = self.max_requests_inflight
        config.max_mutating_requests_inflight = self.max_mutating_requests_inflight
        config.shutdown_delay_duration = self.shutdown_delay_duration
        config.shutdown_send_retry_after = self.shutdown_send_retry_after
        config.shutdown_watch_termination_grace_period = self.shutdown_watch_termination_grace_period
        config.livez_grace_period = self.livez_grace_period
