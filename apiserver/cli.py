"""The command: flags → complete → validate → ``app.run(options, stop)``.

The only place that configures logging and installs signal handlers. Exit codes: 0 after a clean stop,
1 for bad flags or a server that cannot start (one clear message, no traceback), 1 on a second signal.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from apiserver import app, logs
from apiserver.options import OptionsError, ServerRunOptions
from apiserver.server.signals import SignalHandler
from apiserver.version import GIT_VERSION, version_info

COMMAND = "apiserver"


class FlagError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise FlagError(message)


def build_parser(options: ServerRunOptions) -> argparse.ArgumentParser:
    parser = _Parser(prog=f"python -m {COMMAND}", allow_abbrev=False,
                     description="A Kubernetes API server (Kubernetes 1.32 API), in Python.")
    parser.add_argument("--version", nargs="?", const="true", default=None, metavar="true|raw",
                        help="print version information and quit")
    options.add_flags(parser)
    return parser


def parse_options(argv: Optional[List[str]]) -> ServerRunOptions:
    """Flags → completed, validated options; raises FlagError with every problem, one per line."""
    options = ServerRunOptions()
    parser = build_parser(options)
    try:
        namespace, rest = parser.parse_known_args(argv)
    except FlagError as err:
        raise FlagError(str(err).replace("argument ", "invalid argument for ", 1)) from None
    unknown = [a for a in rest if a.startswith("-")]
    if unknown:
        raise FlagError(f"unknown flag: {unknown[0].split('=', 1)[0]}")
    if rest:
        raise FlagError(f'"{COMMAND}" does not take any arguments, got {json.dumps(rest)}')
    options.print_version = namespace.version
    del namespace.version
    options.set_from(namespace)
    options.complete()
    errors = options.validate()
    if errors:
        raise FlagError("\n".join(errors))
    return options


def main(argv: Optional[List[str]] = None) -> int:
    try:
        options = parse_options(argv)
    except FlagError as err:
        return _fail(str(err))
    if options.print_version is not None:
        if options.print_version == "raw":
            print(json.dumps(version_info(), indent=2))
        else:
            print(f"Kubernetes {GIT_VERSION}")
        return 0

    logs.configure(options.logging.log_format, options.logging.log_level)
    log = logs.get_logger(__name__)
    signals = SignalHandler()
    stop = signals.install()
    try:
        app.run(options, stop)
    except OptionsError as err:
        log.error("cannot start the server", error=str(err))
        return _fail(str(err))
    finally:
        signals.restore()
    return 0


def _fail(message: str) -> int:
    for line in message.splitlines():
        print(f"Error: {line}", file=sys.stderr)
    return 1
