"""What a search box entry means: an address, a port or a network."""

import ipaddress
import re
from dataclasses import dataclass

# The networks a subnet page shows: one IPv4 /24, or an IPv6 /48 or /64.
SUBNET_PREFIXES = {4: (24,), 6: (48, 64)}
PROTOCOL = r"[a-z][a-z0-9-]{0,15}"
PORT_QUERY = re.compile(
    rf"^(?:(?P<before>{PROTOCOL})\s*[/ :]\s*)?(?P<port>\d{{1,5}})(?:\s*/\s*(?P<after>{PROTOCOL}))?$", re.IGNORECASE
)
PORTLESS = {"icmp", "icmpv6"}
HELP = "Enter an IP address (45.33.32.156), a port (22, udp/53) or a network (45.33.32.0/24)."


class NotUnderstood(ValueError):
    """The entry is none of the things the portal can look up; the message says why."""


@dataclass
class Target:
    kind: str  # "ip", "port" or "subnet"
    ip: str = ""
    protocol: str = ""
    port: int = -1
    network: str = ""  # "45.33.32.0/24"


def subnet_network(network: ipaddress.IPv4Network | ipaddress.IPv6Network):
    """The subnet page a network is shown on: itself when its size is one the
    pages show, else the smallest such network that contains it. Raises
    NotUnderstood for a network larger than any of them."""
    sizes = SUBNET_PREFIXES[network.version]
    fitting = [p for p in sizes if p <= network.prefixlen]
    if not fitting:
        largest = "a /24" if network.version == 4 else "a /48"
        raise NotUnderstood(
            f"{network} is larger than the networks the portal shows ({largest} at most): "
            f"search for one {largest} in it."
        )
    return network.supernet(new_prefix=max(fitting))


def parse_query(text: str) -> Target:
    """What ``text`` asks for; raises NotUnderstood with a message for a reader."""
    text = (text or "").strip()
    if not text:
        raise NotUnderstood(HELP)
    try:
        return Target("ip", ip=str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    if "/" in text and (":" in text or "." in text):
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise NotUnderstood(f"“{text}” is not a network in CIDR form. {HELP}") from None
        if network.num_addresses == 1:
            return Target("ip", ip=str(network.network_address))
        return Target("subnet", network=str(subnet_network(network)))
    if text.lower() in PORTLESS:
        return Target("port", protocol=text.lower())
    match = PORT_QUERY.match(text)
    if match:
        if match["before"] and match["after"]:
            raise NotUnderstood(f"“{text}” names two protocols. {HELP}")
        port = int(match["port"])
        if port > 65535:
            raise NotUnderstood(f"Ports run from 0 to 65535; {port} is not one.")
        # "port 22" names no protocol; a bare number means TCP, what most probes are.
        before = match["before"] if (match["before"] or "").lower() != "port" else None
        protocol = (before or match["after"] or "tcp").lower()
        if protocol in PORTLESS:
            raise NotUnderstood(f"{protocol} has no ports: search for “{protocol}”.")
        return Target("port", protocol=protocol, port=port)
    raise NotUnderstood(f"Nothing to look up for “{text}”. {HELP}")
