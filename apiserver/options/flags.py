"""Flag value types with Go's (pflag's) syntax: durations like ``1m30s``, booleans like ``--x=false``."""

from __future__ import annotations

import argparse
import ipaddress

from apiserver.duration import parse_duration


def duration(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def integer(value: str) -> int:
    try:
        return int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f'failed to parse IP: "{value}"') from None


def add_bool(group, flag: str, default: bool, help_text: str, dest: str | None = None) -> None:
    """A pflag-style boolean: ``--flag`` means true, ``--flag=false`` turns it off."""
    group.add_argument(flag, dest=dest, type=boolean, nargs="?", const=True, default=default,
                       metavar="true|false", help=f"{help_text} (default {str(default).lower()})")
