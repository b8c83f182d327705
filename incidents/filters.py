"""False-positive filtering at ingestion.

A ``SourceFilter`` is built once per submission from the user's networks and
the built-in reserved ranges; ``reason(source_ip)`` answers in about a dict
look-up, since sources repeat. Filtered events are still stored, with their
reason, so a rule change can restore them; rollups leave them out.
"""

import ipaddress
from socket import AF_INET, AF_INET6, inet_pton

from portal.models import OwnedNetwork

OWN_NETWORK = "own network"
RESERVED = "private or reserved source"

# Sources that cannot be the real origin of internet traffic: private,
# loopback, link-local, CGNAT, benchmarking, multicast and reserved space.
RESERVED_SOURCES = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
]


def _spans(networks) -> list[tuple[int, int, str]]:
    return [(int(n.network_address), int(n.broadcast_address), reason) for n, reason in networks]


def _first_match(spans, value: int) -> str:
    # A handful of ranges, and each distinct source is looked up once: a scan
    # in priority order (own networks first) is clear and fast enough.
    for start, end, reason in spans:
        if start <= value <= end:
            return reason
    return ""


class SourceFilter:
    def __init__(self, own_networks=()):
        listed = [(ipaddress.ip_network(str(n), strict=False), OWN_NETWORK) for n in own_networks]
        listed += [(ipaddress.ip_network(n), RESERVED) for n in RESERVED_SOURCES]
        self._v4 = _spans((n, r) for n, r in listed if n.version == 4)
        self._v6 = _spans((n, r) for n, r in listed if n.version == 6)
        self._cache: dict[str, str] = {}

    @classmethod
    def for_user(cls, user) -> "SourceFilter":
        return cls(OwnedNetwork.objects.filter(user=user).values_list("cidr", flat=True))

    def reason(self, source_ip: str) -> str:
        cached = self._cache.get(source_ip)
        if cached is not None:
            return cached
        if ":" in source_ip:
            result = _first_match(self._v6, int.from_bytes(inet_pton(AF_INET6, source_ip), "big"))
        else:
            result = _first_match(self._v4, int.from_bytes(inet_pton(AF_INET, source_ip), "big"))
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[source_ip] = result
        return result
