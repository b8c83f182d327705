"""pfSense / OPNsense ``filterlog``: a syslog line carrying pf's CSV record.

Field layout from the pfSense "Raw Filter Log Format" page and the
filterlog sources of both projects (sysutils/filterlog, opnsense/filterlog):

    rule, subrule, anchor, tracker, interface, reason, action, direction, ipversion,
    IPv4: tos, ecn, ttl, id, offset, flags, protonum, protoname, length, src, dst
    IPv6: class, flowlabel, hoplimit, protoname, protonum, length, src, dst
    TCP/UDP: srcport, dstport, datalen [TCP: flags, seq, ack, window, urg, options]
    ICMP (pfSense): type word and type-specific values, e.g. ``request,id,seq``
    ICMP (recent OPNsense): datalength=N, type keyword, code keyword, id, seq, mtu
"""

from __future__ import annotations

import re

from .base import (
    LineError,
    ParsedEvent,
    Parser,
    Skipped,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    tcp_flags,
)

# Syslog header variants seen in the wild: BSD stamp (hostname left out when
# pfSense forwards), RFC 5424 (pfSense option, OPNsense default, with or
# without the <PRI>1 part in OPNsense's own files) and ISO stamp + BSD tag
# (rsyslog file format).
_PREFIX = (
    r"(?:<\d{1,3}>)?(?:1 )?"
    r"(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d))"
    r" (?:\S+ )?filterlog(?:\[\d+\]:| (?:\d+|-) \S+ (?:-|(?:\[[^\]]*\])+)|:) ?"
)
_LINE = re.compile(_PREFIX + r"(?P<csv>.*)$")
# Only a recognised header followed by the fixed start of the CSV record counts
# as this format when sniffing.
_SNIFF = re.compile(_PREFIX + r"\d+,\d*,[^,]*,[^,]*,[^,]*,[^,]*,[a-z-]+,(?:in|out|in/out),[46],")

_BLOCK_ACTIONS = frozenset({"block", "reject", "synproxy-drop"})
_OTHER_ACTIONS = frozenset({"match", "scrub", "nat", "binat", "rdr"})
_PORTED = frozenset({6, 17, 132})
_TCP_LETTERS = frozenset("FSRPAUEC")

# pfSense prints ICMP with tcpdump-style words; the code is only known where
# the word pins it down (or the RFC allows a single code).
_PFSENSE_ICMP = {
    "request": (8, 0),
    "reply": (0, 0),
    "unreachproto": (3, 2),
    "unreachport": (3, 3),
    "needfrag": (3, 4),
    "unreach": (3, None),
    "redirect": (5, None),
    "paramprob": (12, None),
    "maskreply": (18, 0),
    "tstamp": (13, 0),
    "tstampreply": (14, 0),
}
# pfSense's fall-back branch prints a description with the payload length
# glued on ("source quench36"), so these are matched as prefixes.
_PFSENSE_ICMP_PREFIXES = (
    ("routeradv", 9, None),
    ("source quench", 4, 0),
    ("router solicitation", 10, 0),
    ("information request", 15, 0),
    ("information reply", 16, 0),
    ("address mask request", 17, 0),
)

# Recent OPNsense uses the pf.conf(5) icmp-type / icmp-code keywords.
_PF_ICMP4_TYPES = {
    "echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6, "echoreq": 8, "routeradv": 9,
    "routersol": 10, "timex": 11, "paramprob": 12, "timereq": 13, "timerep": 14, "inforeq": 15,
    "inforep": 16, "maskreq": 17, "maskrep": 18, "trace": 30, "dataconv": 31, "mobredir": 32,
    "ipv6-where": 33, "ipv6-here": 34, "mobregreq": 35, "mobregrep": 36, "skip": 39, "photuris": 40,
}  # fmt: skip
_PF_ICMP6_TYPES = {
    "unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4, "echoreq": 128, "echorep": 129,
    "listqry": 130, "listenrep": 131, "listendone": 132, "routersol": 133, "routeradv": 134,
    "neighbrsol": 135, "neighbradv": 136, "redir": 137, "routrrenum": 138, "niqry": 139, "nirep": 140,
    "mtraceresp": 200, "mtrace": 201, "listenrepv2": 143,
}  # fmt: skip
_PF_ICMP4_CODES = {
    "net-unr": 0, "host-unr": 1, "proto-unr": 2, "port-unr": 3, "needfrag": 4, "srcfail": 5, "net-unk": 6,
    "host-unk": 7, "isolate": 8, "net-prohib": 9, "host-prohib": 10, "net-tos": 11, "host-tos": 12,
    "filter-prohib": 13, "host-preced": 14, "cutoff-preced": 15, "redir-net": 0, "redir-host": 1,
    "redir-tos-net": 2, "redir-tos-host": 3, "normal-adv": 0, "common-adv": 16, "transit": 0,
    "reassemb": 1, "badhead": 0, "optmiss": 1, "badlen": 2, "unknown-ind": 1, "auth-fail": 2,
    "decrypt-fail": 3,
}  # fmt: skip
_PF_ICMP6_CODES = {
    "noroute-unr": 0, "admin-unr": 1, "beyond-unr": 2, "addr-unr": 3, "port-unr": 4, "transit": 0,
    "reassemb": 1, "badhead": 0, "nxthdr": 1, "redironlink": 0, "redirrouter": 1,
}  # fmt: skip
_UNKNOWN_TYPE = re.compile(r"unknown\((\d+)\)$")


def _pfsense_icmp(fields: list[str], p: int) -> tuple[int | None, int | None]:
    word = fields[p].strip() if p < len(fields) else ""
    if word in _PFSENSE_ICMP:
        return _PFSENSE_ICMP[word]
    if word == "timexceed":
        detail = fields[p + 1] if p + 1 < len(fields) else ""
        return 11, 0 if "in-transit" in detail else 1 if "reassembly" in detail else None
    for prefix, icmp_type, code in _PFSENSE_ICMP_PREFIXES:
        if word.startswith(prefix):
            return icmp_type, code
    return None, None


def _opnsense_icmp(fields: list[str], p: int, v6: bool) -> tuple[int | None, int | None]:
    type_word = fields[p + 1] if p + 1 < len(fields) else ""
    code_word = fields[p + 2] if p + 2 < len(fields) else ""
    unknown = _UNKNOWN_TYPE.match(type_word)
    icmp_type = int(unknown.group(1)) if unknown else (_PF_ICMP6_TYPES if v6 else _PF_ICMP4_TYPES).get(type_word)
    if icmp_type is None:
        return None, None  # truncated-icmp=N or a keyword we do not know
    if code_word.isdigit():
        return icmp_type, int(code_word)
    return icmp_type, (_PF_ICMP6_CODES if v6 else _PF_ICMP4_CODES).get(code_word)


class FilterlogParser(Parser):
    name = "pf_filterlog"
    label = "pfSense / OPNsense filterlog"

    def matches(self, line: str) -> bool:
        return "filterlog" in line and _SNIFF.match(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        m = _LINE.match(line)
        if m is None:
            raise LineError("not a filterlog line (expected a syslog header followed by 'filterlog:')")
        fields = m.group("csv").split(",")
        if len(fields) < 9:
            raise LineError(f"filterlog record has {len(fields)} fields, at least 9 expected")
        action = fields[6]
        if action == "pass":
            return Skipped(lineno, "allowed traffic")
        if action in _OTHER_ACTIONS:
            return Skipped(lineno, f"not a traffic record: '{action}' entry, not a verdict")
        if action not in _BLOCK_ACTIONS:
            raise LineError(f"unknown filterlog action {action!r}")

        version = fields[8]
        if version == "4":
            if len(fields) < 20:
                raise LineError(f"IPv4 filterlog record has {len(fields)} fields, at least 20 expected")
            proto_id, src, dst, p = fields[15], fields[18], fields[19], 20
            fragment = fields[13] not in ("0", "")
        elif version == "6":
            if len(fields) < 17:
                raise LineError(f"IPv6 filterlog record has {len(fields)} fields, at least 17 expected")
            proto_id, src, dst, p = fields[13], fields[15], fields[16], 17
            fragment = False
        else:
            raise LineError(f"unknown IP version {version!r}")
        if not proto_id.isdigit():
            raise LineError(f"invalid protocol number {proto_id!r}")

        if m.group("iso"):
            time = parse_iso_time(m.group("iso"), ctx)
        else:
            time = ctx.syslog_time(m.group("mon"), m.group("day"), m.group("hms"))
        event = ParsedEvent(lineno, time, check_ip(src), check_ip(dst), protocol_name(proto_id))

        number = int(proto_id)
        if number in _PORTED and not fragment:
            if len(fields) < p + 2:
                raise LineError("filterlog record ends before the ports")
            event.source_port = check_port(fields[p])
            event.target_port = check_port(fields[p + 1])
            if number == 6 and len(fields) > p + 3:
                letters = fields[p + 3]
                if not _TCP_LETTERS.issuperset(letters):
                    raise LineError(f"invalid TCP flags {letters!r}")
                event.tcp_flags = tcp_flags(letters)
        elif number in (1, 58) and not fragment:
            if p < len(fields) and fields[p].startswith("datalength="):
                event.source_port, event.target_port = _opnsense_icmp(fields, p, number == 58)
            else:
                event.source_port, event.target_port = _pfsense_icmp(fields, p)
        return event


parser = FilterlogParser()
