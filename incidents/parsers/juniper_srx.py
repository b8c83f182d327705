"""Juniper SRX ``RT_FLOW`` session messages (Junos security logging).

Two shapes carry the same facts:

* structured data (``set security log format sd-syslog``, RFC 5424)::

    <14>1 2019-11-14T11:12:46.573+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_DENY
    [junos@2636.1.1.1.2.134 source-address="10.0.0.26" source-port="37233" ...
    protocol-id="17" icmp-type="0" policy-name="..." ...]

* plain text (``format syslog`` or a relay that rewrote the header)::

    Nov 22 10:00:01 srx RT_FLOW: RT_FLOW_SESSION_DENY: session denied
    203.0.113.5/51234->198.51.100.7/22 junos-ssh 6(0) default-deny untrust trust ...

Only denied sessions are events: RT_FLOW_SESSION_DENY, and a session close
whose reason says it was denied. Created and normally closed sessions passed
the policy, so they are allowed traffic.
"""

from __future__ import annotations

import re
from datetime import datetime

from .base import LineError, ParsedEvent, Parser, Skipped, check_ip, check_port, parse_iso_time, protocol_name

_TAG = re.compile(r"\b(RT_FLOW_SESSION_[A-Z_]+|APPTRACK_SESSION_[A-Z_]+)\b")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?:(?P<year>\d{4}) )?(?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)? "
)
# Parameters are looked up one by one: a deny carries two dozen of them and
# only six matter. The leading space keeps "nat-source-address" from matching.
_SD = {
    key: re.compile(rf' {key}="([^"]*)"')
    for key in ("source-address", "source-port", "destination-address", "destination-port", "protocol-id", "icmp-type")
}
_SD_REASON = re.compile(r' reason="([^"]*)"')
_FLOW = r"(?P<src>[0-9A-Fa-f.:]+)/(?P<sport>\d+)->(?P<dst>[0-9A-Fa-f.:]+)/(?P<dport>\d+)"
# Between the flow and "proto(icmp-type)" sit the service name and, in newer
# Junos, a connection tag; the count varies, so it is skipped lazily.
_PLAIN_DENY = re.compile(r"session denied " + _FLOW + r" (?:\S+ ){1,3}?(?P<proto>\d+)\((?P<icmp>\d+)\)")
_PLAIN_CLOSE = re.compile(r"session closed (?P<reason>[^:]*): " + _FLOW + r" ")
# After the NAT fields a plain close reads "proto policy from-zone to-zone
# session-id packets(bytes)"; NAT rule names may be digits, so the protocol
# is found by what follows it rather than by position.
_PLAIN_CLOSE_PROTO = re.compile(r" (\d+) \S+ \S+ \S+ \d+ \d+\(\d+\)")
_PORTED = frozenset({"tcp", "udp", "sctp"})


def _denied(reason: str) -> bool:
    reason = reason.lower()
    return "deny" in reason or "denied" in reason


class JuniperSrxParser(Parser):
    name = "juniper_srx"
    label = "Juniper SRX (RT_FLOW session logs)"

    def matches(self, line: str) -> bool:
        return "RT_FLOW" in line and _TAG.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        tag_match = _TAG.search(line)
        if tag_match is None:
            if _BSD.match(line) or _ISO.search(line):
                return Skipped(lineno, "not an RT_FLOW session message")
            raise LineError("not a Juniper syslog line")
        tag = tag_match.group(1)
        body = line[tag_match.end() :]
        structured = "[junos@" in body

        # Application tracking only follows sessions a policy let through.
        if tag.startswith(("RT_FLOW_SESSION_CREATE", "APPTRACK_SESSION")):
            return Skipped(lineno, "allowed traffic")
        if tag.startswith("RT_FLOW_SESSION_CLOSE"):
            reason = _SD_REASON.search(body) if structured else _PLAIN_CLOSE.search(body)
            if reason is None or not _denied(reason.group(1)):
                return Skipped(lineno, "allowed traffic")
        elif not tag.startswith("RT_FLOW_SESSION_DENY"):
            return Skipped(lineno, f"{tag} is not a session deny")

        time = self._time(line[: tag_match.start()], ctx)
        if structured:
            return self._from_sd(lineno, time, tag, body)
        return self._from_plain(lineno, time, tag, body)

    @staticmethod
    def _time(header: str, ctx) -> datetime:
        # A relay may put its own BSD stamp in front of the device's ISO stamp;
        # the device's, which has a zone, is the one to trust.
        iso = _ISO.search(header)
        if iso:
            return parse_iso_time(iso.group(0), ctx)
        bsd = _BSD.match(header)
        if bsd is None:
            raise LineError("no time stamp before the RT_FLOW message")
        if bsd.group("year"):
            try:
                naive = datetime.strptime(
                    f"{bsd.group('year')} {bsd.group('mon')} {bsd.group('day')} {bsd.group('hms')}", "%Y %b %d %H:%M:%S"
                )
            except ValueError:
                raise LineError(f"unreadable time stamp {bsd.group(0).strip()!r}") from None
            return ctx.naive_time(naive)
        return ctx.syslog_time(bsd.group("mon"), bsd.group("day"), bsd.group("hms"))

    @staticmethod
    def _from_sd(lineno: int, time: datetime, tag: str, body: str) -> ParsedEvent:
        sd = {}
        for key, pattern in _SD.items():
            found = pattern.search(body)
            if found:
                sd[key] = found.group(1)
        for key in ("source-address", "destination-address", "protocol-id"):
            if not sd.get(key):
                raise LineError(f"{tag} without {key}")
        protocol = protocol_name(sd["protocol-id"])
        event = ParsedEvent(lineno, time, check_ip(sd["source-address"]), check_ip(sd["destination-address"]), protocol)
        if protocol in _PORTED:
            event.source_port = check_port(sd.get("source-port"))
            event.target_port = check_port(sd.get("destination-port"))
        elif protocol in ("icmp", "icmpv6") and "icmp-type" in sd:
            event.source_port = check_port(sd["icmp-type"])
        return event

    @staticmethod
    def _from_plain(lineno: int, time: datetime, tag: str, body: str) -> ParsedEvent:
        if tag.startswith("RT_FLOW_SESSION_DENY"):
            flow = _PLAIN_DENY.search(body)
            if flow is None:
                raise LineError("unreadable 'session denied' message")
            proto_id, icmp_type = flow.group("proto"), flow.group("icmp")
        else:
            flow = _PLAIN_CLOSE.search(body)
            proto = _PLAIN_CLOSE_PROTO.search(body, flow.end()) if flow else None
            if proto is None:
                raise LineError("unreadable 'session closed' message")
            proto_id, icmp_type = proto.group(1), None
        protocol = protocol_name(proto_id)
        event = ParsedEvent(lineno, time, check_ip(flow.group("src")), check_ip(flow.group("dst")), protocol)
        if protocol in _PORTED:
            event.source_port = check_port(flow.group("sport"))
            event.target_port = check_port(flow.group("dport"))
        elif protocol in ("icmp", "icmpv6") and icmp_type is not None:
            event.source_port = check_port(icmp_type)
        return event


parser = JuniperSrxParser()
