"""The built-in filter catalogue: codes, their explanations and the built-in rules.

The codes of the built-in checks and rules, ``REASONS`` (what users read next
to a filtered event), ``RESERVED_SOURCES``, ``BUILTIN_RULES`` (which
``incidents.filters.EventFilter`` applies after the caller's rules) and
constructors for the rules that need the user's networks: requested scans,
IRC proxy checks and load-balancer probes.
"""

from __future__ import annotations

from datetime import datetime

from .filter_rule import AnyOfRule, Rule

OWN_NETWORK = "own-network"
RESERVED = "reserved"
ISP_DNS = "isp-dns"
ISP_DHCP = "isp-dhcp"
SERVICE_REPLY = "service-reply"
NETBIOS_BROADCAST = "netbios-broadcast"
P2P_GNUTELLA = "p2p-gnutella"
P2P_KAZAA = "p2p-kazaa"
P2P_EDONKEY = "p2p-edonkey"
P2P_BITTORRENT = "p2p-bittorrent"
GAME_DOOM = "game-doom"
GAME_QUAKE = "game-quake"
GAME_HALFLIFE = "game-halflife"
GAME_XBOX = "game-xbox"
REQUESTED_SCAN = "requested-scan"
IRC_PROXY_CHECK = "irc-proxy-check"
LB_PROBE = "lb-probe"

# What users read next to a filtered event, for every built-in code. Codes of
# database rules ("rule:17") are described by their rule.
REASONS: dict[str, str] = {
    OWN_NETWORK: "from one of your own networks",
    RESERVED: "private or reserved source address (cannot come from the internet)",
    ISP_DNS: "from your ISP's DNS server",
    ISP_DHCP: "from your ISP's DHCP server",
    SERVICE_REPLY: "reply from a DNS, NTP or DHCP server (service source port)",
    NETBIOS_BROADCAST: "Windows NetBIOS broadcast noise",
    P2P_GNUTELLA: "peer-to-peer traffic (Gnutella)",
    P2P_KAZAA: "peer-to-peer traffic (Kazaa/FastTrack)",
    P2P_EDONKEY: "peer-to-peer traffic (eDonkey/eMule)",
    P2P_BITTORRENT: "peer-to-peer traffic (BitTorrent)",
    GAME_DOOM: "online game traffic (Doom)",
    GAME_QUAKE: "online game traffic (Quake)",
    GAME_HALFLIFE: "online game traffic (Half-Life/Steam)",
    GAME_XBOX: "online game traffic (Xbox network)",
    REQUESTED_SCAN: "a scan you asked for (your own scanner, within its time window)",
    IRC_PROXY_CHECK: "open-proxy or ident check by an IRC server you use",
    LB_PROBE: "proximity probe by a load balancer (ping or DNS)",
}

# Sources that cannot be the real origin of internet traffic: private,
# loopback, link-local, CGNAT, benchmarking, multicast and reserved space.
# Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32) are deliberately absent: examples and tests use them as
# stand-ins for public addresses.
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


# Built-in catalogue. Ports checked against the IANA service name and port
# registry (service-names-port-numbers.csv) and the vendors' documentation:
#   53 domain, 67/68 bootps/bootpc, 123 ntp, 137/138 netbios-ns/-dgm (IANA;
#     RFC 1001/1002);
#   6346/6347 gnutella-svc/gnutella-rtr tcp+udp, 1214 kazaa tcp+udp (IANA);
#   eDonkey/eMule: client 4662/tcp, extended client 4672/udp, server 4661/tcp
#     and server UDP 4665 ("server port + 4") (eMule help, "Ports");
#   BitTorrent 6881-6889/tcp (BitTorrent FAQ: the original client's range;
#     3.2+ allowed up to 6999, which modern clients no longer use), and UDP
#     for DHT (BEP 5) and uTP on the same ports;
#   666 doom (IANA, "doom Id Software"); UDP only here: TCP 666 is an old
#     backdoor port and worth reporting;
#   26000 quake (IANA); Quake III 27960, +1 per further server on the host
#     (id's dedicated-server documentation, net_port);
#   Half-Life: 27015/udp game, 27015/tcp RCON (Valve Developer Wiki, "Half-Life
#     Dedicated Server"), 27005/udp client port;
#   3074 xbox tcp+udp (IANA "Xbox game port"; Microsoft KB 908874).
BUILTIN_RULES: tuple[Rule, ...] = (
    # Replies whose request the firewall's state table has forgotten.
    Rule(SERVICE_REPLY, protocol="udp", source_ports=((53, 53), (67, 68), (123, 123))),
    Rule(SERVICE_REPLY, protocol="tcp", source_ports=((53, 53),)),
    Rule(NETBIOS_BROADCAST, protocol="udp", ports=((137, 138),), target_broadcast=True),
    Rule(NETBIOS_BROADCAST, protocol="udp", ports=((137, 137),), source_ports=((137, 137),)),
    Rule(P2P_GNUTELLA, protocol="tcp", ports=((6346, 6347),)),
    Rule(P2P_GNUTELLA, protocol="udp", ports=((6346, 6347),)),
    Rule(P2P_KAZAA, protocol="tcp", ports=((1214, 1214),)),
    Rule(P2P_KAZAA, protocol="udp", ports=((1214, 1214),)),
    Rule(P2P_EDONKEY, protocol="tcp", ports=((4661, 4662),)),
    Rule(P2P_EDONKEY, protocol="udp", ports=((4665, 4665), (4672, 4672))),
    Rule(P2P_BITTORRENT, protocol="tcp", ports=((6881, 6889),)),
    Rule(P2P_BITTORRENT, protocol="udp", ports=((6881, 6889),)),
    Rule(GAME_DOOM, protocol="udp", ports=((666, 666),)),
    Rule(GAME_QUAKE, protocol="udp", ports=((26000, 26000), (27960, 27963))),
    Rule(GAME_HALFLIFE, protocol="udp", ports=((27005, 27005), (27015, 27015))),
    Rule(GAME_HALFLIFE, protocol="tcp", ports=((27015, 27015),)),
    Rule(GAME_XBOX, protocol="udp", ports=((3074, 3074),)),
    Rule(GAME_XBOX, protocol="tcp", ports=((3074, 3074),)),
)

# Ports IRC networks' open-proxy monitors connect back to, from the scanner
# blocks of HOPM's doc/reference.conf (ircd-hybrid/hopm: "default" and
# "extended") and BOPM's bopm.conf.sample and bopm.conf.blitzed
# (blitzed-org/bopm), plus 113: ircds query the client's ident (RFC 1413)
# on every connection.
# fmt: off
IRC_PROXY_PORTS: tuple[int, ...] = tuple(
    sorted(
        {
            # HTTP CONNECT / POST
            80, 81, 443, 808, 2282, 3128, 3332, 3802, 4480, 5748, 6588, 7441, 8000, 8001, 8080, 8081, 65506,
            # SOCKS 4/5
            559, 1027, 1080, 1182, 1978, 2425, 4438, 4914, 5104, 5113, 5262, 5634, 6552, 6561, 6826, 7198, 7366,
            7464, 7810, 8130, 8148, 8520, 8814, 9036, 9100, 9186, 9447, 9578, 10001, 15859, 17771, 18844, 29992,
            30021, 30022, 31121, 38884, 38994,
            # Wingate and routers (telnet), Wingate on 1181
            23, 1181,
            # ident
            113,
        }
    )
)
# fmt: on


def requested_scan_rule(networks, starts: datetime | None, ends: datetime | None, code: str = REQUESTED_SCAN) -> Rule:
    """A scan the user runs against themselves from the given scanner
    networks: everything from there inside the time box (start inclusive,
    end exclusive) is filtered."""
    if not networks:
        raise ValueError("a requested scan needs the scanner's networks")
    return Rule(code, networks=tuple([networks] if isinstance(networks, str) else networks), starts=starts, ends=ends)


def irc_proxy_check_rule(irc_server_networks, code: str = IRC_PROXY_CHECK) -> Rule:
    """Connections from the IRC servers the user connects to (and their
    proxy scanners, which may sit on other hosts: list those networks too)
    to the ports proxy monitors test."""
    if not irc_server_networks:
        raise ValueError("an IRC proxy-check rule needs the IRC servers' networks")
    networks = [irc_server_networks] if isinstance(irc_server_networks, str) else irc_server_networks
    return Rule(code, networks=tuple(networks), protocol="tcp", ports=tuple((p, p) for p in IRC_PROXY_PORTS))


def load_balancer_probe_rule(networks, code: str = LB_PROBE) -> AnyOfRule:
    """Proximity probes of global load balancers from the given prober
    networks: ICMP(v6) echo requests and DNS queries over UDP or TCP to the
    client's resolver."""
    if not networks:
        raise ValueError("a load-balancer probe rule needs the probers' networks")
    nets = tuple([networks] if isinstance(networks, str) else networks)
    return AnyOfRule(code, networks=nets, alternatives=_LB_PROBES)


_LB_PROBES = (
    Rule(LB_PROBE, protocol="icmp", source_ports=((8, 8),)),  # echo request (type in source_port)
    Rule(LB_PROBE, protocol="icmpv6", source_ports=((128, 128),)),  # echo request
    Rule(LB_PROBE, protocol="udp", ports=((53, 53),)),
    Rule(LB_PROBE, protocol="tcp", ports=((53, 53),)),
)
