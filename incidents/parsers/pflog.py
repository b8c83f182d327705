"""OpenBSD / FreeBSD pf logs as printed by ``tcpdump -n -e`` from a pflog file.

The header comes from tcpdump's print-pflog.c: OpenBSD prints
``rule 2/(match) block in on em0:`` and tcpdump.org (FreeBSD, pfSense's
tcpdump) prints ``rule 2/0(match): block in on em0:``. What follows is
tcpdump's usual packet line, in OpenBSD's classic style
(``1.2.3.4.5 > 6.7.8.9.22: S 1:1(0) win 16384``) or tcpdump.org's
(``Flags [S], seq 1, win 65535, length 0``).

Time stamps: ``-ttt`` on OpenBSD gives ``Nov 22 10:00:01.123456`` (local,
no year), ``-tttt`` on tcpdump.org gives ``2026-11-22 10:00:01.123456``
(local), ``-tt`` gives Unix seconds. The same text piped through syslog
(``tcpdump ... | logger``) keeps the syslog stamp in front.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .base import LineError, ParsedEvent, Parser, Skipped, check_ip, check_port, protocol_name, tcp_flags

_HEAD = re.compile(
    r"(?:<\d{1,3}>)?"
    r"(?:(?P<smon>[A-Z][a-z]{2}) +(?P<sday>\d{1,2}) (?P<shms>\d\d:\d\d:\d\d) (?:\S+ )?[\w./-]+(?:\[\d+\])?: )?"
    r"(?:(?:(?P<date>\d{4}-\d\d-\d\d) (?P<clock>\d\d:\d\d:\d\d)"
    r"|(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)"
    r"|(?P<epoch>\d+)|(?P<bare>\d\d:\d\d:\d\d))(?:\.\d+)? )?"
    r"rule (?P<rule>[^/\s]+)/\d*\((?P<reason>[^)]*)\):? (?:\[uid \d+, pid \d+\] )?"
    r"(?P<action>[\w-]+) (?P<dir>in|out|in/out) on (?P<iface>\S+): "
    r"(?:\[uid \d+, pid \d+\] )?(?:\[rewritten: [^\]]*\] )?"
    r"(?P<rest>.*)$"
)
# tcpdump.org -v puts the IP header in parentheses (with nested ones) first.
_IP_DETAIL = re.compile(r"\((?:[^()]|\([^()]*\))*\) *")
_ADDRESSES = re.compile(r"(?P<src>\S+) > (?P<dst>\S+):(?: (?P<payload>.*))?$")
_OLD_FLAGS = re.compile(r"(?:[SFRPWE]+\.?|\.) ")
_ACK = re.compile(r"\back \d")
_URG = re.compile(r"\burg \d")
_NEW_FLAGS = re.compile(r"Flags \[([^\]]*)\]")
# tcpdump.org letters: '.' is ACK, 'W' is CWR; 'e' (AccECN) has no slot.
_NEW_FLAG_MAP = {"F": "F", "S": "S", "R": "R", "P": "P", ".": "A", "U": "U", "E": "E", "W": "C"}
_OTHER_PROTOCOLS = {
    "gre": "gre", "esp": "esp", "ah": "51", "igmp": "2", "ospf": "89", "pim": "103", "carp": "112", "vrrp": "112",
}  # fmt: skip
_EARLIEST_EPOCH = 946_684_800  # 2000-01-01; smaller values are tcpdump time differences

_BLOCK_ACTIONS = frozenset({"block", "synproxy-drop"})
_OTHER_ACTIONS = frozenset({"match", "scrub", "nat", "binat", "rdr", "no-scrub", "no-nat", "no-binat", "no-rdr"})

# tcpdump's ICMP wording (print-icmp.c in both tcpdump lines); codes only where
# the words pin them down. Checked in order, so longer phrases come first.
_ICMP4 = (
    ("echo request", 8, 0),
    ("echo reply", 0, 0),
    ("source quench", 4, 0),
    ("router advertisement", 9, None),
    ("router solicitation", 10, 0),
    ("time exceeded in-transit", 11, 0),
    ("ip reassembly time exceeded", 11, 1),
    ("parameter problem", 12, None),
    ("time stamp request", 13, 0),
    ("time stamp reply", 14, 0),
    ("information request", 15, 0),
    ("information reply", 16, 0),
    ("address mask request", 17, 0),
    ("address mask is", 18, 0),
)
_UNREACH4 = (
    (" port ", 3),
    (" protocol ", 2),
    ("need to frag", 4),
    ("source route failed", 5),
    ("source host isolated", 8),
    ("admin prohibited filter", 13),
    ("host precedence violation", 14),
    ("precedence cutoff", 15),
)
_UNREACH4_BY_SCOPE = {
    ("net", ""): 0, ("host", ""): 1, ("net", "unknown"): 6, ("host", "unknown"): 7,
    ("net", "admin prohibited"): 9, ("host", "admin prohibited"): 10,
    ("net", "tos prohibited"): 11, ("host", "tos prohibited"): 12,
}  # fmt: skip
_ICMP6 = (
    ("echo request", 128, 0),
    ("echo reply", 129, 0),
    ("packet too big", 2, 0),
    ("time exceeded in-transit", 3, 0),
    ("ip6 reassembly time exceeded", 3, 1),
    ("time exceeded", 3, None),
    ("parameter problem", 4, None),
    ("multicast listener query", 130, 0),
    ("multicast listener report v2", 143, 0),
    ("multicast listener report", 131, 0),
    ("multicast listener done", 132, 0),
    ("router solicitation", 133, 0),
    ("router advertisement", 134, 0),
    ("neighbor sol", 135, 0),
    ("neighbor adv", 136, 0),
    ("redirect", 137, 0),
)
# OpenBSD: "2001:db8::1 unreachable route"; tcpdump.org: "destination unreachable, unreachable port, ..."
_UNREACH6 = (("port", 4), ("route", 0), ("prohibited", 1), ("beyond", 2), ("address", 3))


def _icmp4(text: str) -> tuple[int | None, int | None]:
    for phrase, icmp_type, code in _ICMP4:
        if text.startswith(phrase):
            return icmp_type, code
    if text.startswith("redirect"):  # "redirect[-tos] A to net|host B"
        offset = 2 if text.startswith("redirect-tos") else 0
        return 5, offset if " to net " in text else offset + 1 if " to host " in text else None
    if "unreachable" not in text:
        return None, None
    for phrase, code in _UNREACH4:
        if phrase in text:
            return 3, code
    scope, _, detail = text.partition(" ")
    detail = detail.split(" - ", 1)[1].split(",")[0] if " - " in detail else ""
    return 3, _UNREACH4_BY_SCOPE.get((scope, detail))


def _icmp6(text: str) -> tuple[int | None, int | None]:
    for phrase, icmp_type, code in _ICMP6:
        if text.startswith(phrase):
            return icmp_type, code
    if "unreachable" not in text:
        return None, None
    for word, code in _UNREACH6:
        if word in text:
            return 1, code
    return 1, None


def _split_address(token: str) -> tuple[str, str | None]:
    """tcpdump writes address and port joined by a dot, for IPv6 too."""
    if ":" in token:
        head, dot, tail = token.rpartition(".")
        if dot and "." not in head and tail.isalnum():
            return head, tail
        return token, None
    if token.count(".") == 4:
        head, _, tail = token.rpartition(".")
        return head, tail
    return token, None


def _port(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise LineError(f"port {text!r} is a service name; read the log with tcpdump -n")
    return check_port(text)


class PflogParser(Parser):
    name = "pflog"
    label = "OpenBSD / FreeBSD pf log (tcpdump -n -e)"

    def matches(self, line: str) -> bool:
        return "rule " in line and _HEAD.match(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        head = _HEAD.match(line)
        if head is None:
            raise LineError("not a pf log line (expected 'rule N/(reason) action in|out on interface:')")
        action = head.group("action")
        if action == "pass":
            return Skipped(lineno, "allowed traffic")
        if action in _OTHER_ACTIONS:
            return Skipped(lineno, f"not a traffic record: '{action}' entry, not a verdict")
        if action not in _BLOCK_ACTIONS:
            raise LineError(f"unknown pf action {action!r}")

        time = self._time(head, ctx)
        rest = head.group("rest")
        if rest.startswith("("):
            rest = _IP_DETAIL.sub("", rest, count=1)
        addresses = _ADDRESSES.match(rest)
        if addresses is None:
            raise LineError("no 'source > destination:' part after the pf header")
        src_ip, src_port = _split_address(addresses.group("src"))
        dst_ip, dst_port = _split_address(addresses.group("dst"))
        payload = (addresses.group("payload") or "").lstrip()

        event = ParsedEvent(lineno, time, check_ip(src_ip), check_ip(dst_ip), "")
        if payload.startswith(("icmp6:", "ICMP6,")):
            event.protocol = "icmpv6"
            event.source_port, event.target_port = _icmp6(payload[6:].lstrip(" ,"))
        elif payload.startswith(("icmp:", "ICMP ")):
            event.protocol = "icmp"
            event.source_port, event.target_port = _icmp4(payload[5:].lstrip())
        elif payload.startswith("[|icmp"):  # snap length cut the ICMP header off
            event.protocol = "icmpv6" if payload.startswith("[|icmp6") else "icmp"
        else:
            event.protocol = self._transport(payload, src_port is not None)
            if event.protocol in ("tcp", "udp", "sctp"):
                event.source_port, event.target_port = _port(src_port), _port(dst_port)
            if event.protocol == "tcp":
                event.tcp_flags = self._flags(payload)
        return event

    @staticmethod
    def _time(head: re.Match, ctx) -> datetime:
        if head.group("date"):
            try:
                naive = datetime.fromisoformat(f"{head.group('date')} {head.group('clock')}")
            except ValueError:
                raise LineError(f"unreadable time stamp {head.group('date')} {head.group('clock')}") from None
            return ctx.naive_time(naive)
        if head.group("mon"):
            return ctx.syslog_time(head.group("mon"), head.group("day"), head.group("hms"))
        if head.group("epoch"):
            seconds = int(head.group("epoch"))
            if seconds >= _EARLIEST_EPOCH:
                try:
                    return datetime.fromtimestamp(seconds, UTC)
                except (OverflowError, OSError, ValueError):  # past year 9999 or the platform's time_t
                    raise LineError(f"time stamp {seconds} is out of range") from None
            if not head.group("smon"):
                raise LineError("time stamp is a time difference (OpenBSD tcpdump -tttt); read the log with -ttt")
        elif head.group("bare") and not head.group("smon"):
            raise LineError("time stamp has no date; read the log with tcpdump -ttt (OpenBSD) or -tttt (others)")
        if head.group("smon"):
            return ctx.syslog_time(head.group("smon"), head.group("sday"), head.group("shms"))
        raise LineError("no time stamp; read the log with tcpdump -ttt (OpenBSD) or -tttt (others)")

    @staticmethod
    def _transport(payload: str, has_ports: bool) -> str:
        if payload.startswith(("Flags [", "tcp ", "[|tcp]")):
            return "tcp"
        if _OLD_FLAGS.match(payload) and (" win " in payload or "[|tcp]" in payload):
            return "tcp"
        if payload.startswith(("udp ", "UDP,", "[|udp]")):
            return "udp"
        if payload.startswith(("sctp", "SCTP")):
            return "sctp"
        if payload.startswith("ip-proto-"):
            return protocol_name(payload[9:].split()[0].rstrip(","))
        if has_ports:
            return "udp"  # tcpdump decodes UDP applications (DNS, NTP, ...) without naming UDP
        word = payload.split(" ", 1)[0].rstrip(",:").lower()
        for prefix, proto in _OTHER_PROTOCOLS.items():
            if word.startswith(prefix):
                return protocol_name(proto)
        raise LineError(f"unrecognised protocol in {payload[:40]!r}")

    @staticmethod
    def _flags(payload: str) -> str:
        new = _NEW_FLAGS.match(payload)
        if new:
            return tcp_flags(_NEW_FLAG_MAP.get(c, "") for c in new.group(1))
        if not _OLD_FLAGS.match(payload):
            return ""
        letters = payload.split(" ", 1)[0]
        # Classic tcpdump: SFRP plus W (CWR) and E (ECE); ACK and URG show as
        # "ack N" / "urg N". A lone "." means none of SFRPWE; after letters it is ACK.
        found = [c for c in letters if c != "."]
        if _ACK.search(payload) or (len(letters) > 1 and letters.endswith(".")):
            found.append("A")
        if _URG.search(payload):
            found.append("U")
        return tcp_flags("C" if c == "W" else c for c in found)


parser = PflogParser()
