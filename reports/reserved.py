"""The special-purpose IPv4 ranges commonly spoofed as sources: none of them
is ever a legitimate source on the Internet, so the block list carries them
whole, after the ranked networks.

From the IANA IPv4 Special-Purpose Address Registry (RFC 6890, section 2.2.2,
and the RFCs it names), plus multicast (RFC 5771) and the former class E
(RFC 1112, section 4), which include the limited broadcast address.
Private-Use and Shared Address Space are listed too: blocked on an
Internet-facing interface they catch spoofing; they must not be blocked on
an inside one, which is why the rule files leave that choice to the user.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReservedRange:
    cidr: str
    name: str
    rfc: str


RESERVED = (
    ReservedRange("0.0.0.0/8", "This host on this network", "RFC 1122"),
    ReservedRange("10.0.0.0/8", "Private-Use", "RFC 1918"),
    ReservedRange("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    ReservedRange("127.0.0.0/8", "Loopback", "RFC 1122"),
    ReservedRange("169.254.0.0/16", "Link Local", "RFC 3927"),
    ReservedRange("172.16.0.0/12", "Private-Use", "RFC 1918"),
    ReservedRange("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),
    ReservedRange("192.0.2.0/24", "Documentation, TEST-NET-1", "RFC 5737"),
    ReservedRange("192.168.0.0/16", "Private-Use", "RFC 1918"),
    ReservedRange("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    ReservedRange("198.51.100.0/24", "Documentation, TEST-NET-2", "RFC 5737"),
    ReservedRange("203.0.113.0/24", "Documentation, TEST-NET-3", "RFC 5737"),
    ReservedRange("224.0.0.0/4", "Multicast", "RFC 5771"),
    ReservedRange("240.0.0.0/4", "Reserved for Future Use", "RFC 1112"),
)
