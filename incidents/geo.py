"""Where an address is, offline: its country and its autonomous system's
name and network, from the data file the geoip2fast package ships (built
from MaxMind's GeoLite2 Country and ASN data: pages that show it credit
"GeoLite2 data created by MaxMind").

The data are read on the first look-up in a process, never at import.
geoip2fast's files carry AS names and prefixes but not AS numbers.
"""

import ipaddress
import threading
from typing import NamedTuple

# Country and AS, IPv4 and IPv6 in one file: geoip2fast keeps its tables in module globals, so
# a second file (the IPv4-only one) loaded in the same process would replace the first.
DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
# What geoip2fast answers for private or reserved networks and for the part of IPv4 it has no
# data on, instead of a name.
NO_COUNTRY = "--"
NO_AS = ("", "<unknown>", "IANA.ORG")

_lock = threading.Lock()
_reader = None


class Place(NamedTuple):
    country: str | None  # ISO 3166 alpha-2
    as_name: str | None
    as_network: str | None  # the prefix the AS announces, as the data saw it


def _geoip():
    global _reader
    if _reader is None:
        with _lock:
            if _reader is None:
                from geoip2fast import GeoIP2Fast

                _reader = GeoIP2Fast(geoip2fast_data_file=DATA_FILE)
    return _reader


def place_of(ip: str) -> Place | None:
    """Country and AS of a public address; None for anything else (not an
    address, private, reserved)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    # geoip2fast reads an IPv6 address below 2**32 (::1, ::8.8.8.8) as the IPv4 one of that number.
    if not address.is_global or (address.version == 6 and int(address) < 2**32):
        return None
    found = _geoip().lookup(str(address))
    has_as = found.asn_name not in NO_AS
    return Place(
        country=found.country_code if len(found.country_code) == 2 and found.country_code != NO_COUNTRY else None,
        as_name=found.asn_name if has_as else None,
        as_network=found.asn_cidr if has_as else None,
    )


def country_of(ip: str) -> str | None:
    return place.country if (place := place_of(ip)) else None


def as_name_of(ip: str) -> str | None:
    return place.as_name if (place := place_of(ip)) else None


def as_network_of(ip: str) -> str | None:
    return place.as_network if (place := place_of(ip)) else None
