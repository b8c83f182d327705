"""False-positive filtering at ingestion: which events are not worth reporting.

An ``EventFilter`` is built once per submission (``incidents.filter_loading``
builds it from the database; this module stays free of Django) from the
user's own networks, their ISP's DNS and DHCP servers, rules given by the
caller (user and portal rules) and the built-in catalogue
(``incidents.filter_catalogue``). ``reason(e)`` returns the code of the first
rule that matches the event, or "" to keep it. Filtered events are still
stored with their code, so a rule change can restore them; rollups leave
them out.

Rules themselves are defined in ``incidents.filter_rule``. The public names of
both modules are re-exported here, so callers keep importing from this one.

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
from socket import AF_INET, AF_INET6, inet_pton

from .filter_catalogue import (
    BUILTIN_RULES,
    GAME_DOOM,
    GAME_HALFLIFE,
    GAME_QUAKE,
    GAME_XBOX,
    IRC_PROXY_CHECK,
    IRC_PROXY_PORTS,
    ISP_DHCP,
    ISP_DNS,
    LB_PROBE,
    NETBIOS_BROADCAST,
    OWN_NETWORK,
    P2P_BITTORRENT,
    P2P_EDONKEY,
    P2P_GNUTELLA,
    P2P_KAZAA,
    REASONS,
    REQUESTED_SCAN,
    RESERVED,
    RESERVED_SOURCES,
    SERVICE_REPLY,
    irc_proxy_check_rule,
    load_balancer_probe_rule,
    requested_scan_rule,
)
from .filter_rule import CODE_MAX, AnyOfRule, Rule, _Compiled

# The public names of filter_rule and filter_catalogue, which callers import from here.
__all__ = [
    "BUILTIN_RULES",
    "CODE_MAX",
    "GAME_DOOM",
    "GAME_HALFLIFE",
    "GAME_QUAKE",
    "GAME_XBOX",
    "IRC_PROXY_CHECK",
    "IRC_PROXY_PORTS",
    "ISP_DHCP",
    "ISP_DNS",
    "LB_PROBE",
    "NETBIOS_BROADCAST",
    "OWN_NETWORK",
    "P2P_BITTORRENT",
    "P2P_EDONKEY",
    "P2P_GNUTELLA",
    "P2P_KAZAA",
    "REASONS",
    "REQUESTED_SCAN",
    "RESERVED",
    "RESERVED_SOURCES",
    "SERVICE_REPLY",
    "AnyOfRule",
    "EventFilter",
    "Rule",
    "irc_proxy_check_rule",
    "load_balancer_probe_rule",
    "requested_scan_rule",
]

# Per-source cache bound: about 150 bytes a source. Cleared when full, which
# costs one re-classification per source afterwards, not correctness.
_CACHE_MAX = 1 << 18
_V4_MAPPED = 0xFFFF << 32  # ::ffff:0:0/96


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
