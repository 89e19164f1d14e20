"""The control loops that make the API behave like a cluster's control plane: namespace deletion, garbage
collection, default service accounts, aggregated cluster roles, resource quota usage. Each runs in its own
thread, started as a post-start hook, and reads the server's own storage (list, then watch) and writes through the
same registry code as the REST handlers."""

from __future__ import annotations

NAMES = ("namespace", "garbagecollector", "serviceaccount", "serviceaccount-token", "clusterrole-aggregation",
         "resourcequota")


def selected(flag_values) -> set:
    """``--controllers`` as upstream's: ``*`` (all), names to add, ``-name`` to remove, ``none``."""
    chosen = set()
    for value in flag_values:
        value = value.strip()
        if not value:
            continue
        if value == "none":
            chosen.clear()
        elif value == "*":
            chosen.update(NAMES)
        elif value.startswith("-"):
            if not chosen and all(v.strip().startswith("-") or v.strip() in ("", "*") for v in flag_values):
                chosen.update(NAMES)
            chosen.discard(value[1:])
        else:
            chosen.add(value)
    return chosen
