"""False-positive filtering at ingestion: which events are not worth reporting.

An ``EventFilter`` is built once per submission (``incidents.filter_loading``
builds it from the database; this module stays free of Django) from the
user's own networks, their ISP's DNS and DHCP servers, rules given by the
caller (user and portal rules) and the built-in catalogue below. ``reason(e)``
returns the code of the first rule that matches the event, or "" to keep it.
Filtered events are still stored with their code, so a rule change can
restore them; rollups leave them out.

Precedence, first match wins: own networks, reserved source space, ISP DNS
servers, ISP DHCP servers, the caller's rules in their order, the catalogue.

``reason`` runs once per event on the ingest hot path (about a million events
in a ten-second budget), so rules are compiled rather than interpreted:

* everything that depends only on the source address (own, reserved and ISP
  addresses, which rules' networks contain it) is worked out once per
  distinct source and cached; sources repeat about ten times in real logs;
* sources with the same set of network-specific rules share one *plan*: per
  protocol, a dict from target port and one from source port to the rules
  that can match there, so a typical event costs three dict look-ups;
* only rules with a time box, a broadcast condition or a condition the index
  does not cover are checked one by one, and only once the rest matched.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from socket import AF_INET, AF_INET6, inet_pton

from .parsers.base import protocol_name

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

CODE_MAX = 64  # incidents_event.filter_reason is varchar(64)
_ICMP = frozenset({"icmp", "icmpv6"})
# A port range up to this wide is expanded into dict keys; wider ones (a user
# rule for 1024-65535) are checked with comparisons instead, so memory stays
# small whatever the rules say.
_EXPAND_MAX = 4096
# Per-source cache bound: about 150 bytes a source. Cleared when full, which
# costs one re-classification per source afterwards, not correctness.
_CACHE_MAX = 1 << 18
_V4_MAPPED = 0xFFFF << 32  # ::ffff:0:0/96


def _port_ranges(value, field: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for item in value:
        lo, hi = (item, item) if isinstance(item, int) else item
        lo, hi = int(lo), int(hi)
        if not 0 <= lo <= hi <= 65535:
            raise ValueError(f"{field}: bad range {lo}-{hi}")
        ranges.append((lo, hi))
    return tuple(ranges)


def _utc(value: datetime | None) -> datetime | None:
    # Event times are aware UTC; a naive bound would not compare with them.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Rule:
    """One matching rule; every condition given must hold.

    Ports are target ports and source ports as the event carries them; for
    ICMP those hold the type (source port) and code (target port), so an
    echo request is ``protocol="icmp", source_ports=((8, 8),)``. A rule with
    port conditions and no protocol matches only protocols with ports (not
    ICMP), since "any protocol, port 3074" means TCP or UDP to a user.
    """

    code: str
    networks: tuple[str, ...] = ()
    protocol: str | None = None
    ports: tuple[tuple[int, int], ...] = ()
    source_ports: tuple[tuple[int, int], ...] = ()
    target_broadcast: bool = False
    starts: datetime | None = None
    ends: datetime | None = None

    def __post_init__(self):
        if not self.code or len(self.code) > CODE_MAX:
            raise ValueError(f"rule code must be 1 to {CODE_MAX} characters: {self.code!r}")
        networks = (self.networks,) if isinstance(self.networks, str) else self.networks
        canonical = tuple(str(ipaddress.ip_network(str(n).strip(), strict=False)) for n in networks)
        object.__setattr__(self, "networks", canonical)
        if self.protocol is not None:
            object.__setattr__(self, "protocol", protocol_name(self.protocol))
        object.__setattr__(self, "ports", _port_ranges(self.ports, "ports"))
        object.__setattr__(self, "source_ports", _port_ranges(self.source_ports, "source_ports"))
        object.__setattr__(self, "starts", _utc(self.starts))
        object.__setattr__(self, "ends", _utc(self.ends))
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValueError(f"rule {self.code}: time box ends before it starts")

    def matches(self, e) -> bool:
        """The whole rule, network included, checked plainly: the reference
        the compiled index in EventFilter must agree with."""
        if self.networks:
            source = ipaddress.ip_address(e.source_ip)
            if source.version == 6 and source.ipv4_mapped is not None:
                source = source.ipv4_mapped
            if not any(source in ipaddress.ip_network(n) for n in self.networks):
                return False
        if self.protocol is not None and e.protocol != self.protocol:
            return False
        if (self.ports or self.source_ports) and self.protocol is None and e.protocol in _ICMP:
            return False
        return _Compiled(0, self).check_all(e)

    def parts(self) -> tuple[Rule, ...]:
        """The plain rules this rule stands for: itself."""
        return (self,)


@dataclass(frozen=True, slots=True)
class AnyOfRule(Rule):
    """A rule that matches when any of its alternatives does, for purposes
    one rule cannot express (ICMP echo *or* TCP/UDP 53). Code, networks and
    time box are this rule's; protocol, ports and broadcast come from each
    alternative. It is still a Rule, so ``dataclasses.replace(rule, code=...,
    starts=..., ends=...)`` works on it as on any other."""

    alternatives: tuple[Rule, ...] = ()

    def __post_init__(self):
        Rule.__post_init__(self)
        if not self.alternatives:
            raise ValueError(f"rule {self.code}: no alternatives")
        if self.protocol is not None or self.ports or self.source_ports or self.target_broadcast:
            raise ValueError(f"rule {self.code}: protocol, ports and broadcast belong to the alternatives")
        object.__setattr__(self, "alternatives", tuple(self.alternatives))

    def matches(self, e) -> bool:
        return any(part.matches(e) for part in self.parts())

    def parts(self) -> tuple[Rule, ...]:
        return tuple(
            Rule(
                self.code,
                networks=self.networks,
                protocol=alt.protocol,
                ports=alt.ports,
                source_ports=alt.source_ports,
                target_broadcast=alt.target_broadcast,
                starts=self.starts,
                ends=self.ends,
            )
            for alt in self.alternatives
        )


class _Compiled:
    """A rule's conditions other than network and protocol, in the shape the
    index needs: small port ranges as sets (the index's keys), wide ones as
    ranges to compare."""

    __slots__ = (
        "broadcast",
        "code",
        "ends",
        "order",
        "protocol",
        "rule",
        "sp_ranges",
        "sp_set",
        "starts",
        "tp_ranges",
        "tp_set",
        "wants_ports",
    )

    def __init__(self, order: int, rule: Rule):
        self.order, self.rule, self.code, self.protocol = order, rule, rule.code, rule.protocol
        self.tp_ranges, self.tp_set = rule.ports, _expand(rule.ports)
        self.sp_ranges, self.sp_set = rule.source_ports, _expand(rule.source_ports)
        self.broadcast, self.starts, self.ends = rule.target_broadcast, rule.starts, rule.ends
        self.wants_ports = bool(rule.ports or rule.source_ports)

    def applies_to(self, protocol: str) -> bool:
        if self.protocol is not None:
            return self.protocol == protocol
        return not (self.wants_ports and protocol in _ICMP)

    def check(self, tp_known: bool, sp_known: bool):
        """A test for what the index did not already establish, or None when
        nothing is left to test."""
        tp = None if tp_known or not self.tp_ranges else (self.tp_set, self.tp_ranges)
        sp = None if sp_known or not self.sp_ranges else (self.sp_set, self.sp_ranges)
        broadcast, starts, ends = self.broadcast, self.starts, self.ends
        if tp is None and sp is None and not broadcast and starts is None and ends is None:
            return None

        def test(e) -> bool:
            if tp is not None and not _port_in(e.target_port, *tp):
                return False
            if sp is not None and not _port_in(e.source_port, *sp):
                return False
            if broadcast and not _is_broadcast(e.target_ip):
                return False
            t = e.time
            if starts is not None and t < starts:
                return False
            return ends is None or t < ends

        return test

    def check_all(self, e) -> bool:
        test = self.check(False, False)
        return test is None or test(e)


def _expand(ranges) -> frozenset[int] | None:
    if not ranges or sum(hi - lo + 1 for lo, hi in ranges) > _EXPAND_MAX:
        return None
    return frozenset(p for lo, hi in ranges for p in range(lo, hi + 1))


def _port_in(port: int | None, as_set, ranges) -> bool:
    if port is None:
        return False
    if as_set is not None:
        return port in as_set
    return any(lo <= port <= hi for lo, hi in ranges)


def _is_broadcast(target: str) -> bool:
    # Covers subnet broadcasts of /24 and wider networks and 255.255.255.255;
    # IPv6 has no broadcast.
    return target.endswith(".255")


def _candidates(rules, tp_known: bool, sp_known: bool):
    """What the index stores for one key: "" (nothing can match), a code
    (the first candidate matches unconditionally) or a tuple of (code, test)
    pairs to try in order, ending at the first unconditional one."""
    out = []
    for r in rules:
        test = r.check(tp_known and r.tp_set is not None, sp_known and r.sp_set is not None)
        out.append((r.code, test))
        if test is None:
            break
    if not out:
        return ""
    if out[0][1] is None:
        return out[0][0]
    return tuple(out)


class _Plan(dict):
    """The rules that apply to a group of sources, indexed per protocol.

    Maps a protocol to (by target port, by source port, rest); entries are
    built when a protocol is first seen, so odd protocols cost nothing until
    they appear.
    """

    __slots__ = ("rules",)

    def __init__(self, rules: list[_Compiled]):
        super().__init__()
        self.rules = rules

    def __missing__(self, protocol: str):
        rules = [r for r in self.rules if r.applies_to(protocol)]
        by_target = [r for r in rules if r.tp_set is not None]
        by_source = [r for r in rules if r.tp_set is None and r.sp_set is not None]
        rest = [r for r in rules if r.tp_set is None and r.sp_set is None]
        # A target-port key is reached for any source port, so it lists the
        # rules keyed by source port too; a source-port key is reached only
        # when no target-port key matched, so target-keyed rules cannot match.
        target_keys = {p for r in by_target for p in r.tp_set}
        targets = {
            p: _candidates((r for r in rules if r.tp_set is None or p in r.tp_set), True, False) for p in target_keys
        }
        source_keys = {p for r in by_source for p in r.sp_set}
        sources = {
            p: _candidates((r for r in rules if r.tp_set is None and (r.sp_set is None or p in r.sp_set)), False, True)
            for p in source_keys
        }
        entry = self[protocol] = (targets, sources, _candidates(rest, False, False))
        return entry


class EventFilter:
    """Decides, per event, whether it is a false positive and why."""

    def __init__(self, *, own_networks=(), isp_dns=(), isp_dhcp=(), rules=(), builtin=True):
        self.rules: tuple[Rule, ...] = tuple(_flatten(rules)) + (BUILTIN_RULES if builtin else ())
        compiled = [_Compiled(i, part) for i, part in enumerate(p for r in self.rules for p in r.parts())]
        self._everywhere = [r for r in compiled if not r.rule.networks]
        self._compiled = compiled
        spans: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, object]] = []
        for kind, networks in (
            (OWN_NETWORK, own_networks),
            (RESERVED, RESERVED_SOURCES),
            (ISP_DNS, isp_dns),
            (ISP_DHCP, isp_dhcp),
        ):
            spans += [(_network(n), kind) for n in ([networks] if isinstance(networks, str) else networks)]
        for r in compiled:
            spans += [(ipaddress.ip_network(n), r.order) for n in r.rule.networks]
        self._v4 = _partition([(n, k) for n, k in spans if n.version == 4], 32)
        self._v6 = _partition([(n, k) for n, k in spans if n.version == 6], 128)
        self._has = {kind for _, kind in spans if isinstance(kind, str)}
        self._plans: dict[frozenset[int], _Plan] = {}
        self._sources: dict[str, str | _Plan] = {}

    def codes(self) -> tuple[str, ...]:
        """Every code this filter can return, in precedence order."""
        found = [k for k in (OWN_NETWORK, RESERVED, ISP_DNS, ISP_DHCP) if k in self._has]
        found += [r.code for r in self.rules]
        return tuple(dict.fromkeys(found))

    def reason(self, e) -> str:
        """The code of the first rule matching the event, or "" to keep it."""
        plan = self._sources.get(e.source_ip)
        if plan is None:
            plan = self._source_plan(e.source_ip)
        if plan.__class__ is str:
            return plan
        by_target, by_source, rest = plan[e.protocol]
        found = by_target.get(e.target_port)
        if found is None:
            found = by_source.get(e.source_port)
            if found is None:
                found = rest
        if found.__class__ is str:
            return found
        for code, test in found:
            if test is None or test(e):
                return code
        return ""

    def _source_plan(self, source: str) -> str | _Plan:
        """Classify a source not seen yet: a code that settles every event
        from it, or the plan of rules that apply to it."""
        try:
            if ":" in source:
                value = int.from_bytes(inet_pton(AF_INET6, source), "big")
                if value >> 32 == 0xFFFF:  # ::ffff:a.b.c.d is an IPv4 source
                    bounds, values = self._v4
                    value -= _V4_MAPPED
                else:
                    bounds, values = self._v6
            else:
                value = int.from_bytes(inet_pton(AF_INET, source), "big")
                bounds, values = self._v4
        except OSError:
            raise ValueError(f"invalid source address {source!r}") from None
        found = values[bisect_right(bounds, value) - 1]
        if found.__class__ is not str:
            plan = self._plans.get(found)
            if plan is None:
                rules = self._everywhere + [self._compiled[i] for i in found] if found else self._everywhere
                plan = self._plans[found] = _Plan(sorted(rules, key=lambda r: r.order))
            found = plan
        sources = self._sources
        if len(sources) >= _CACHE_MAX:
            sources.clear()
        sources[source] = found
        return found


def _network(value) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(str(value).strip(), strict=False)


def _flatten(rules) -> Iterable[Rule]:
    # Nested lists or tuples of rules are accepted, so callers can pass groups
    # of rules (per user, per purpose) as they keep them.
    for item in rules:
        if isinstance(item, Rule):
            yield item
        elif isinstance(item, list | tuple):
            yield from _flatten(item)
        else:
            raise TypeError(f"not a Rule: {item!r}")


_PRECEDENCE = {OWN_NETWORK: 0, RESERVED: 1, ISP_DNS: 2, ISP_DHCP: 3}


def _partition(spans, bits: int) -> tuple[list[int], list]:
    """Cut the address space into intervals with one answer each: the
    source code of the highest-precedence span covering it, else the
    frozenset of rules whose networks cover it. A source is then classified
    by one bisect, however many networks there are."""
    events: dict[int, list[tuple[int, object]]] = {0: []}
    for network, kind in spans:
        start = int(network.network_address)
        events.setdefault(start, []).append((1, kind))
        end = int(network.broadcast_address) + 1
        if end < 1 << bits:
            events.setdefault(end, []).append((-1, kind))
    active: dict[object, int] = {}
    bounds, values = [], []
    for point in sorted(events):
        for delta, kind in events[point]:
            active[kind] = active.get(kind, 0) + delta
        present = [k for k, n in active.items() if n > 0]
        codes = sorted((k for k in present if isinstance(k, str)), key=_PRECEDENCE.__getitem__)
        value = codes[0] if codes else frozenset(k for k in present if not isinstance(k, str))
        if values and values[-1] == value:
            continue
        bounds.append(point)
        values.append(value)
    return bounds, values


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
