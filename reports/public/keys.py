"""The keys a public look-up takes from its URL (an address, a port, a
network, a day), checked in one place for the HTML pages and the REST API
alike. Each function returns the canonical key or raises NotALookup; a
caller answers 404 (or 400 for a query parameter), or redirects when the
canonical form differs from what was asked."""

import ipaddress
from datetime import date, timedelta

from django.utils import timezone

from .front import HISTORY_DAYS
from .search import SUBNET_PREFIXES

PROTOCOL_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class NotALookup(ValueError):
    """The key is not one the public pages answer for; the message says why."""


def canonical_ip(text: str) -> str:
    """``2001:DB8:0::1`` is ``2001:db8::1``."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise NotALookup("not an IP address") from None


def checked_port(protocol: str, port: int) -> tuple[str, int]:
    """A protocol as the rollups spell it and a port, -1 for none (ICMP)."""
    if not set(protocol) <= PROTOCOL_CHARS or not 0 < len(protocol) <= 16 or not -1 <= port <= 65535:
        raise NotALookup("not a port")
    return protocol, port


def shown_network(network: str, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network of that size around ``network``, if it is a size the pages show."""
    try:
        parsed = ipaddress.ip_network(f"{network}/{prefix}", strict=False)
    except ValueError:
        raise NotALookup("not a network") from None
    if prefix not in SUBNET_PREFIXES[parsed.version]:
        raise NotALookup("not a network size the portal shows")
    return parsed


def history_day(text: str) -> date:
    """A YYYY-MM-DD day within the last HISTORY_DAYS (today included): the
    days the rollups keep figures for the front page's trends."""
    today = timezone.now().date()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise NotALookup("not a YYYY-MM-DD date") from None
    if not today - timedelta(days=HISTORY_DAYS - 1) <= day <= today:
        raise NotALookup(f"not one of the last {HISTORY_DAYS} days")
    return day
