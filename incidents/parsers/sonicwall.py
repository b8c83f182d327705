"""SonicWall (SonicOS) syslog in the default / enhanced key=value format::

    id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=198.51.100.1 pri=1 c=32 m=36
    msg="TCP packet dropped" n=2686 src=203.0.113.5:51234:X1 dst=198.51.100.7:22:X0 proto=tcp/ssh

``m`` is the event id from the SonicOS Log Events Reference; ``src``/``dst``
are ``address:port:interface[:hostname]``, with IPv6 addresses moved to
``srcV6``/``dstV6``. ``time`` is local to the firewall unless it ends in
``UTC`` (the "Display UTC in logs" setting). Key order differs between SonicOS
versions, so fields are looked up by name.
"""

from __future__ import annotations

import re

from .base import LineError, ParsedEvent, Parser, Skipped, check_ip, check_port, parse_iso_time, protocol_name

_SIGNATURE = re.compile(r'\bid=\S+\s+sn=\S+\s+time="')
_PAIR = re.compile(r'(\w[\w.]*)=(?:"([^"]*)"|(\S*))')
# Most lines are connection records to skip; these two settle that without
# splitting the whole line.
_EVENT_ID = re.compile(r"\sm=(\d+)")
_ACTION = re.compile(r'\sfw_action="?(\w+)')
_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?(?: (UTC|GMT|[+-]\d\d:?\d\d))?$")
_IP_PROTOCOL_NOTE = re.compile(r"IP Protocol: (\d+)")

# Packet-filter drops, named in the SonicOS event reference (and RSA's SonicWall
# parser): 36 TCP packet (older firmware: "TCP connection") dropped, 37 UDP,
# 38 ICMP, 41 unknown protocol dropped.
_DROP_IDS = {"36": "tcp", "37": "udp", "38": "icmp", "41": ""}
# Traffic that passed: 97 web site accessed, 98 connection opened, 537
# connection closed, 597 ICMP packet allowed, 602 packet allowed, 1153 SSL VPN traffic.
_ALLOW_IDS = frozenset({"97", "98", "537", "597", "602", "1153"})
_PORTED = frozenset({"tcp", "udp", "sctp"})


def _fields(line: str) -> dict[str, str]:
    return {key: quoted or bare for key, quoted, bare in _PAIR.findall(line)}


def _endpoint(fields: dict[str, str], name: str) -> tuple[str, str]:
    value = fields.get(name, "")
    v6 = fields.get(name + "V6")
    if v6:
        parts = value.split(":")
        return v6, parts[1] if len(parts) > 1 else ""
    if value.count(":") > 3:
        raise LineError(f"cannot split {name}={value} into address and port (expected {name}V6=)")
    address, _, rest = value.partition(":")
    if not address:
        raise LineError(f"missing {'source' if name == 'src' else 'destination'} address")
    return address, rest.partition(":")[0]


class SonicWallParser(Parser):
    name = "sonicwall"
    label = "SonicWall (SonicOS syslog)"

    def matches(self, line: str) -> bool:
        return " m=" in line and _SIGNATURE.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        if _SIGNATURE.search(line) is None:
            raise LineError('not a SonicWall log line (expected id=, sn= and time="...")')
        found = _EVENT_ID.search(line)
        if found is None:
            raise LineError("missing event id (m=)")
        event_id = found.group(1)
        found = _ACTION.search(line)
        action = found.group(1).lower() if found else ""
        if event_id not in _DROP_IDS and action != "drop":
            if event_id in _ALLOW_IDS or action == "forward":
                return Skipped(lineno, "allowed traffic")
            message = _fields(line).get("msg", "no message")
            return Skipped(lineno, f"event m={event_id} ({message}) is not a packet drop")

        fields = _fields(line)
        protocol = self._protocol(fields, event_id)
        time = self._time(fields.get("time", ""), ctx)
        src, sport = _endpoint(fields, "src")
        dst, dport = _endpoint(fields, "dst")
        event = ParsedEvent(lineno, time, check_ip(src), check_ip(dst), protocol)
        if protocol in _PORTED:
            event.source_port = check_port(sport)
            event.target_port = check_port(dport)
        elif protocol == "icmp" or protocol == "icmpv6":
            # The ports SonicOS writes next to ICMP addresses are not type/code.
            event.source_port = check_port(fields.get("type"))
            event.target_port = check_port(fields.get("code", fields.get("icmpCode")))
        return event

    @staticmethod
    def _protocol(fields: dict[str, str], event_id: str) -> str:
        proto = fields.get("proto", "").partition("/")[0]
        if proto:
            return protocol_name(proto)
        note = _IP_PROTOCOL_NOTE.search(fields.get("note", ""))
        if note:
            return protocol_name(note.group(1))
        if _DROP_IDS.get(event_id):
            return _DROP_IDS[event_id]
        raise LineError(f"no protocol in event m={event_id} (no proto= field)")

    @staticmethod
    def _time(value: str, ctx):
        stamp = _TIME.match(value)
        if stamp is None:
            raise LineError(f'unreadable or missing time="{value}"')
        zone = stamp.group(2)
        if zone is None:
            return parse_iso_time(stamp.group(1), ctx)
        if zone in ("UTC", "GMT"):
            zone = "+00:00"
        return parse_iso_time(f"{stamp.group(1)}{zone}", ctx)


parser = SonicWallParser()
