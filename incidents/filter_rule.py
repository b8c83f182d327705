"""Filter rules: what the ingest filter (``incidents.filters``) matches events against.

A ``Rule`` is a frozen value: a code and conditions (source networks,
protocol, target and source ports, broadcast target, time box), validated and
normalised when it is built; an ``AnyOfRule`` matches when any of its
alternatives does. ``Rule.matches`` checks a rule plainly. ``_Compiled`` is a
rule's conditions other than network and protocol in the shape the engine's
index needs; it lives here so that ``matches`` and the engine test those
conditions with the same code.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime

from .parsers.base import protocol_name

CODE_MAX = 64  # incidents_event.filter_reason is varchar(64)
_ICMP = frozenset({"icmp", "icmpv6"})
# A port range up to this wide is expanded into dict keys; wider ones (a user
# rule for 1024-65535) are checked with comparisons instead, so memory stays
# small whatever the rules say.
_EXPAND_MAX = 4096


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
