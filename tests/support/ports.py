"""Loopback ports for a suite that ``ncms up`` starts in other processes.

They are chosen here and bound there later, so they come from below the kernel's
ephemeral range (where bind(0) and every outgoing connection take their ports, and
one could take a chosen port before the component binds it), together with the
plaintext health port each component binds beside its own under mutual TLS (the port
plus 10000, runtime.settings.health_address_of). Each is checked free when chosen.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

HEALTH_OFFSET = 10_000
LOWEST = 10_000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def unused_ports(count: int, *, consecutive: bool = False) -> list[int]:
    """``count`` free loopback ports (one after another with ``consecutive``), their
    health ports free too."""
    highest = min(_ephemeral_start(), 65536) - HEALTH_OFFSET - count
    chooser = random.Random()
    for _ in range(200):
        if consecutive:
            base = chooser.randrange(LOWEST, highest)
            ports = list(range(base, base + count))
        else:
            ports = chooser.sample(range(LOWEST, highest), count)
        if all(_free(port) and _free(port + HEALTH_OFFSET) for port in ports):
            return ports
    raise RuntimeError(f"no {count} free loopback ports below {highest}")
