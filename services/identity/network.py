"""Allowed client addresses of a user: IPv4 and IPv6 addresses and CIDR ranges."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadAddressList(ValueError):
    pass


def parse_address(text: str) -> Address | None:
    """The address, with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Parse ``1.2.3.4``, ``10.0.0.0/8``, ``2001:db8::/32`` ...; host bits are refused."""
    networks: list[Network] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError:
            raise BadAddressList(_reason(entry)) from None
        if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
            mapped = network.network_address.ipv4_mapped
            network = ipaddress.ip_network(f"{mapped}/{max(network.prefixlen - 96, 0)}")
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def _reason(entry: str) -> str:
    """Why an entry is refused, in Chinese (it reaches hospitals inside E2001)."""
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return f"{entry} 不是IP地址或CIDR网段 (如 10.1.2.3, 10.1.0.0/16, 2001:db8::/32)"
    return f"{entry} 的主机位不为0, 网段应写作 {network.with_prefixlen}"


def split_list(text: str) -> list[str]:
    """The entries of a comma (or semicolon, or space) separated list."""
    return [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part.strip()]


def format_networks(networks: Iterable[Network]) -> str:
    return ",".join(n.with_prefixlen if n.num_addresses > 1 else str(n.network_address)
                    for n in networks)


@lru_cache(maxsize=10_000)
def _networks_of(stored: str) -> tuple[Network, ...]:
    return parse_networks(stored.split(","))


@lru_cache(maxsize=65_536)
def is_allowed(stored_list: str, client_ip: str) -> bool:
    """Whether ``client_ip`` falls in the stored (normalised) list. Empty list: nobody."""
    address = parse_address(client_ip)
    if address is None:
        return False
    return any(address.version == n.version and address in n for n in _networks_of(stored_list))
