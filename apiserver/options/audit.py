"""Audit flags (``--audit-policy-file``, ``--audit-log-*``), upstream's names, defaults and checks.

As upstream: without ``--audit-log-path`` nothing is audited; without a policy file no event is recorded; a
policy file that does not load or validate stops the server from starting, whether or not a log is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from apiserver import logs
from apiserver.options import flags

log = logs.get_logger(__name__)

MODES = ("batch", "blocking", "blocking-strict")
FORMATS = ("json", "legacy")
VERSIONS = ("audit.k8s.io/v1",)


@dataclass
class AuditOptions:
    policy_file: str = ""
    log_path: str = ""
    log_maxage: int = 0
    log_maxbackup: int = 0
    log_maxsize: int = 0
    log_compress: bool = False
    log_format: str = "json"
    log_mode: str = "blocking"
    log_batch_buffer_size: int = 10000
    log_version: str = "audit.k8s.io/v1"

    def add_flags(self, parser):
        g = parser.add_argument_group("audit flags")
        g.add_argument("--audit-policy-file", dest="audit.policy_file", default=self.policy_file, metavar="path",
                       help="path to the audit policy (audit.k8s.io/v1 Policy, YAML or JSON)")
        g.add_argument("--audit-log-path", dest="audit.log_path", default=self.log_path, metavar="path",
                       help="write audit events to this file ('-' means standard out); without it nothing is "
                            "audited")
        g.add_argument("--audit-log-maxage", dest="audit.log_maxage", type=flags.integer, default=self.log_maxage,
                       metavar="days", help="days to keep old audit log files (0: no limit)")
        g.add_argument("--audit-log-maxbackup", dest="audit.log_maxbackup", type=flags.integer,
                       default=self.log_maxbackup, metavar="n", help="old audit log files to keep (0: no limit)")
        g.add_argument("--audit-log-maxsize", dest="audit.log_maxsize", type=flags.integer,
                       default=self.log_maxsize, metavar="MB",
                       help="size in megabytes at which the audit log is rotated (0: 100)")
        flags.add_bool(g, "--audit-log-compress", self.log_compress, "gzip rotated audit log files",
                       dest="audit.log_compress")
        g.add_argument("--audit-log-format", dest="audit.log_format", default=self.log_format,
                       metavar="json|legacy", help="format of the saved audits (default json)")
        g.add_argument("--audit-log-mode", dest="audit.log_mode", default=self.log_mode,
                       metavar="batch|blocking|blocking-strict",
                       help="blocking: a request waits (at most a second) while the write queue is full; batch: "
                            "events are dropped instead (default blocking)")
        g.add_argument("--audit-log-batch-buffer-size", dest="audit.log_batch_buffer_size", type=flags.integer,
                       default=self.log_batch_buffer_size, metavar="n",
                       help="events queued for the writer before requests wait or events drop (default 10000)")
        g.add_argument("--audit-log-version", dest="audit.log_version", default=self.log_version,
                       metavar="group/version", help="API group and version of the events (default "
                                                     "audit.k8s.io/v1)")

    def complete(self):
        pass

    def validate(self) -> List[str]:
        """AuditLogOptions.Validate: checked only when the log backend is enabled."""
        if not self.log_path:
            return []
        errors = []
        if self.log_mode not in MODES:
            errors.append(f'invalid audit log mode {self.log_mode}, allowed modes are "{",".join(MODES)}"')
        if self.log_batch_buffer_size <= 0:
            errors.append(f"invalid audit log batch buffer size {self.log_batch_buffer_size}, must be a positive "
                          "number")
        if self.log_version not in VERSIONS:
            errors.append(f'invalid group version, allowed versions are ["{VERSIONS[0]}"]')
        if self.log_format not in FORMATS:
            errors.append(f'invalid audit log format {self.log_format}, allowed formats are "{",".join(FORMATS)}"')
        for flag, value in (("--audit-log-maxage", self.log_maxage), ("--audit-log-maxbackup", self.log_maxbackup),
                            ("--audit-log-maxsize", self.log_maxsize)):
            if value < 0:
                errors.append(f"{flag} {value} can't be a negative number")
        return errors

    def apply_to(self, config):
        """Load the policy (errors name the flag), open the log and put an ``Auditor`` on the config."""
        from apiserver.audit import Auditor, PolicyError, load_policy_file
        from apiserver.audit.log import LogBackend, open_output

        policy = None
        if self.policy_file:
            try:
                policy = load_policy_file(self.policy_file)
            except PolicyError as err:
                raise ValueError(f"--audit-policy-file: loading audit policy file: {err}") from None
        if not self.log_path:
            return
        if policy is None:
            log.info("no audit policy file provided, no events will be recorded for the log backend")
            return
        out = open_output(self.log_path, self.log_maxsize, self.log_maxbackup, self.log_maxage, self.log_compress)
        m = config.metrics
        backend = LogBackend(
            out, self.log_format, self.log_batch_buffer_size, block=0.0 if self.log_mode == "batch" else 1.0,
            event_counter=m.counter("apiserver_audit_event_total", "Counter of audit events generated and sent to "
                                                                   "the audit backend."),
            error_counter=m.counter("apiserver_audit_error_total", "Counter of audit events that failed to be "
                                                                   "audited properly. Plugin identifies the plugin "
                                                                   "affected by the error.", ("plugin",)
                                    ).labels("log"))
        levels = m.counter("apiserver_audit_level_total", "Counter of policy levels for audit events (1 per "
                                                          "request).", ("level",))
        config.auditor = Auditor(policy, backend, strict=self.log_mode == "blocking-strict", level_counter=levels)
