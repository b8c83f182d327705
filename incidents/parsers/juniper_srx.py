"""Juniper SRX security logs (Junos): sessions (RT_FLOW), screens (RT_IDS),
IDP attacks (RT_IDP) and UTM / security-intelligence verdicts.

Two shapes carry the same facts:

* structured data (``set security log format sd-syslog``, RFC 5424)::

    <14>1 2019-11-14T11:12:46.573+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_DENY
    [junos@2636.1.1.1.2.134 source-address="10.0.0.26" source-port="37233" ...
    protocol-id="17" icmp-type="0" policy-name="..." ...]

* plain text (``format syslog`` or a relay that rewrote the header)::

    Nov 22 10:00:01 srx RT_FLOW: RT_FLOW_SESSION_DENY: session denied
    203.0.113.5/51234->198.51.100.7/22 junos-ssh 6(0) default-deny untrust trust ...

What counts as blocked follows Juniper's references:

* RT_FLOW_SESSION_DENY is "a security session was not permitted by policy"
  (Junos System Log Messages Reference, RT_FLOW): always an event.
* Sessions exist only for traffic a policy permitted, so RT_FLOW_SESSION_CREATE,
  RT_FLOW_SESSION_CLOSE and the APPTRACK_SESSION_* messages that follow them
  are allowed traffic, unless the close reason names a deny ("policy deny").
  "unset" is not one: it is logged for sessions that carried traffic both
  ways for hours, the reason simply not recorded.
* RT_IDS RT_SCREEN_TCP, _UDP, _ICMP, _IP, _SESSION_LIMIT (and the _LS logical
  system variants): a screen drops what it logs unless it is configured
  ``alarm-without-drop`` ("ids-option", Junos CLI Reference), which the
  message's ``action`` says; releases that write no action drop by default,
  so a line without one is a drop.
* RT_IDP IDP_ATTACK_LOG_EVENT, SECINTEL_ACTION_LOG and the AAMW action logs:
  the rule's action decides ("action (Security IDP Policy)": drop-connection,
  drop-packet, close-client/-server/-client-and-server block; no-action,
  ignore-connection and mark-diffserv let the traffic through).
* RT_UTM verdicts apply to sessions a policy permitted: a *_BLOCKED message
  (URL, content) blocked that session, *_PERMITTED / *_PASSED ones let it
  through, and the rest (virus, spam detections) are content verdicts.
"""

from __future__ import annotations

import re
from datetime import datetime

from .base import LineError, ParsedEvent, Parser, Skipped, check_ip, check_port, parse_iso_time, protocol_name

# One search finds the message tag near the start of the line; which family
# it is decides everything else.
_TAG = re.compile(
    r"\b(RT_FLOW_SESSION_[A-Z_]+|APPTRACK_SESSION_[A-Z_]+|RT_SCREEN_[A-Z_]+|IDP_[A-Z_]+|SECINTEL_[A-Z_]+"
    r"|(?:SRX_)?AAMW_[A-Z_]+|WEBFILTER_[A-Z_]+|CONTENT_FILTERING_[A-Z_]+|AV_[A-Z_]+|ANTISPAM_[A-Z_]+)\b"
)
# The security processes, as the header names them: "RT_FLOW:" in plain
# text, "RT_FLOW -" (no process id) in RFC 5424.
_MATCH = re.compile(r"\bRT_(?:FLOW|IDS|IDP|UTM|SECINTEL|AAMW)(?::|\s+-\s)")
_JUNOS_EVENT = re.compile(r"\w\[\d+\]: [A-Z][A-Z0-9]*_[A-Z0-9_]+: ")
_SECURITY_PROCESS = re.compile(r"\b(RT_[A-Z_]+)(?::|\s+-)\s+([A-Z][A-Z0-9_]*)?")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?:(?P<year>\d{4}) )?(?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)? "
)
# What names a message: "host process[pid]: TAG:" in plain text,
# "host process pid TAG" in RFC 5424.
_PLAIN_PROCESS = re.compile(r" ([\w.-]+)(?:\[\d+\])?: (?:([A-Z][A-Z0-9_]+):)?")
_SD_PROCESS = re.compile(r"<\d{1,3}>1 \S+ \S+ (\S+) \S+ (\S+)")
# Parameters are looked up one by one: a deny carries two dozen of them and
# only a few matter. The leading space keeps "nat-source-address" from matching.
_SD = {
    key: re.compile(rf' {key}="([^"]*)"')
    for key in (
        "source-address",
        "source-port",
        "destination-address",
        "destination-port",
        "protocol-id",
        "protocol-name",
        "protocol",
        "icmp-type",
        "action",
        "attack-name",
        "reason",
    )
}
_FLOW = r"(?P<src>[0-9A-Fa-f.:]+)/(?P<sport>\d+)->(?P<dst>[0-9A-Fa-f.:]+)/(?P<dport>\d+)"
# Between the flow and "proto(icmp-type)" sit the service name and, in newer
# Junos, a connection tag; the count varies, so it is skipped lazily.
_PLAIN_DENY = re.compile(r"session denied " + _FLOW + r" (?:\S+ ){1,3}?(?P<proto>\d+)\((?P<icmp>\d+)\)")
_PLAIN_CLOSE = re.compile(r"session closed (?P<reason>[^:]*): " + _FLOW + r" ")
# After the NAT fields a plain close reads "proto policy from-zone to-zone
# session-id packets(bytes)"; NAT rule names may be digits, so the protocol
# is found by what follows it rather than by position.
_PLAIN_CLOSE_PROTO = re.compile(r" (\d+) \S+ \S+ \S+ \d+ \d+\(\d+\)")
# Screens: "<attack> source: a[:port], destination: b[:port], [protocol-id: n,]
# zone name: z, interface name: i[, action: drop]".
_PLAIN_SOURCE = re.compile(r"\bsource: ([^,\s]+)")
_PLAIN_DESTINATION = re.compile(r"\bdestination: ([^,\s]+)")
_PLAIN_PROTOCOL_ID = re.compile(r"\bprotocol-id: (\d+)")
_PLAIN_SCREEN_ACTION = re.compile(r", action: ([\w-]+)")
# IDP: "<zone/interface:address:port->zone/interface:address:port> for TCP
# protocol ... action=DROP"; interface names hold slashes, zone names do not.
_PLAIN_IDP = re.compile(
    r"<[^<>/]*/[^<>:]*:(?P<src>[^<>]+?):(?P<sport>\d+)->[^<>/]*/[^<>:]*:(?P<dst>[^<>]+?):(?P<dport>\d+)>"
    r" for (?P<proto>\S+) protocol"
)
_PLAIN_ACTION = re.compile(r"\baction=([\w-]+)")
# UTM: "source-address(source-port)->destination-address(destination-port)".
_PLAIN_UTM_FLOW = re.compile(r"(?P<src>[0-9A-Fa-f.:]+)\((?P<sport>\d+)\)->(?P<dst>[0-9A-Fa-f.:]+)\((?P<dport>\d+)\)")
_PORTED = frozenset({"tcp", "udp", "sctp"})
# Screen families that carry no port in plain text, and the protocol each implies.
_SCREEN_PROTOCOL = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp"}
_SCREEN_ALARM_ONLY = frozenset({"alarm-without-drop", "alarm"})
# IDP, security intelligence and anti-malware actions, upper-cased; any
# other is rejected by name rather than guessed.
_BLOCKING = ("DROP", "CLOSE", "BLOCK", "RESET", "REJECT", "DENY", "SINKHOLE")
_PASSING = frozenset(
    {"NONE", "NO-ACTION", "NO_ACTION", "IGNORE", "IGNORE-CONNECTION", "IGNORE_CONNECTION", "DIFFSERV"}
    | {"MARK-DIFFSERV", "MARK_DIFFSERV", "PERMIT", "ALLOW"}
)
# Session-level verdicts read like the IDP ones; the rest of RT_IDP reports
# state (AppDDoS thresholds), not a connection.
_ACTION_TAGS = ("IDP_ATTACK_LOG_EVENT", "IDP_APPDDOS_APP_ATTACK_EVENT", "SECINTEL_ACTION_LOG", "AAMW_ACTION_LOG")


def _denied(reason: str) -> bool:
    reason = reason.lower()
    return "deny" in reason or "denied" in reason or "reject" in reason


def _sd(body: str, key: str) -> str | None:
    found = _SD[key].search(body)
    return found.group(1) if found else None


class JuniperSrxParser(Parser):
    name = "juniper_srx"
    label = "Juniper SRX (session, screen, IDP and UTM logs)"

    def matches(self, line: str) -> bool:
        # Junos system messages count too, so that a log where they outnumber
        # the security ones is still recognised: structured ones by Juniper's
        # enterprise number, plain ones by their "process[pid]: TAG_NAME:".
        if "[junos@2636" in line:
            return True
        found = _TAG.search(line)
        if found is None:
            return _JUNOS_EVENT.search(line) is not None
        # Tags that other vendors could write (AV_, IDP_) count only after a
        # Junos security process name.
        return found.group(1).startswith(("RT_", "APPTRACK_")) or _MATCH.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        tag_match = _TAG.search(line)
        if tag_match is None:
            return self._other(lineno, line)
        tag = tag_match.group(1)
        body = line[tag_match.end() :]
        structured = "[junos@" in body

        if tag.startswith("RT_FLOW_SESSION_DENY"):
            kind = "deny"
        elif tag.startswith(("RT_FLOW_SESSION_CLOSE", "APPTRACK_SESSION_CLOSE")):
            if structured:
                reason = _sd(body, "reason")
            else:
                found = _PLAIN_CLOSE.search(body)
                reason = found.group("reason") if found else None
            if reason is None or not _denied(reason):
                return Skipped(lineno, "allowed traffic")
            kind = "close"
        elif tag.startswith(("RT_FLOW_SESSION_CREATE", "APPTRACK_SESSION_")):
            return Skipped(lineno, "allowed traffic")
        elif tag.startswith("RT_SCREEN_"):
            kind = "screen"
        elif tag.startswith(_ACTION_TAGS) or tag.startswith("SRX_AAMW_ACTION_LOG"):
            kind = "action"
        elif tag.startswith(("WEBFILTER_", "CONTENT_FILTERING_", "AV_", "ANTISPAM_")):
            if "BLOCKED" in tag:
                kind = "utm"
            elif "PERMITTED" in tag or "PASSED" in tag:
                return Skipped(lineno, f"allowed traffic: {tag}")
            else:
                return Skipped(lineno, f"not a traffic record: {tag} (a content verdict, not a block)")
        elif tag.startswith(("IDP_", "AAMW_", "SRX_AAMW_", "SECINTEL_")):
            return Skipped(lineno, f"not a traffic record: {tag}")
        else:
            raise LineError(f"unknown Junos security message {tag}")

        time = self._time(line[: tag_match.start()], ctx)
        if kind == "screen":
            return self._screen(lineno, time, tag, body, structured)
        if kind == "action":
            return self._action(lineno, time, tag, body, structured)
        if kind == "utm":
            return self._utm(lineno, time, tag, body, structured)
        if structured:
            return self._from_sd(lineno, time, tag, body)
        return self._from_plain(lineno, time, tag, body)

    @staticmethod
    def _other(lineno: int, line: str) -> Skipped:
        """A line without a security message tag: a Junos system message, or
        a security process's message this parser does not know."""
        if not (_BSD.match(line) or _ISO.search(line)):
            raise LineError("not a Juniper syslog line")
        process = _SECURITY_PROCESS.search(line)
        if process is not None:
            raise LineError(f"unknown {process.group(1)} message {process.group(2) or ''}".rstrip())
        named = _SD_PROCESS.match(line)
        if named is not None:
            what = named.group(2) if named.group(2) != "-" else named.group(1)
        else:
            named = _PLAIN_PROCESS.search(line)
            what = (named.group(2) or named.group(1)) if named else "system"
        return Skipped(lineno, f"not a traffic record: {what} message")

    @staticmethod
    def _time(header: str, ctx) -> datetime:
        # A relay may put its own BSD stamp in front of the device's ISO stamp;
        # the device's, which has a zone, is the one to trust.
        iso = _ISO.search(header)
        if iso:
            return parse_iso_time(iso.group(0), ctx)
        bsd = _BSD.match(header)
        if bsd is None:
            raise LineError("no time stamp before the Junos message")
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
    def _event(lineno, time, src, dst, protocol, sport=None, dport=None, icmp_type=None) -> ParsedEvent:
        event = ParsedEvent(lineno, time, check_ip(src), check_ip(dst), protocol)
        if protocol in _PORTED:
            event.source_port = check_port(sport)
            event.target_port = check_port(dport)
        elif protocol in ("icmp", "icmpv6") and icmp_type is not None:
            event.source_port = check_port(icmp_type)
        return event

    @classmethod
    def _from_sd(cls, lineno: int, time: datetime, tag: str, body: str) -> ParsedEvent:
        src, dst, proto = _sd(body, "source-address"), _sd(body, "destination-address"), _sd(body, "protocol-id")
        for key, value in (("source-address", src), ("destination-address", dst), ("protocol-id", proto)):
            if not value:
                raise LineError(f"{tag} without {key}")
        protocol = protocol_name(proto)
        return cls._event(
            lineno,
            time,
            src,
            dst,
            protocol,
            _sd(body, "source-port"),
            _sd(body, "destination-port"),
            _sd(body, "icmp-type"),
        )

    @classmethod
    def _from_plain(cls, lineno: int, time: datetime, tag: str, body: str) -> ParsedEvent:
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
        return cls._event(
            lineno,
            time,
            flow.group("src"),
            flow.group("dst"),
            protocol_name(proto_id),
            flow.group("sport"),
            flow.group("dport"),
            icmp_type,
        )

    @classmethod
    def _screen(cls, lineno: int, time: datetime, tag: str, body: str, structured: bool) -> ParsedEvent | Skipped:
        family = tag[len("RT_SCREEN_") :].removesuffix("_LS").split("_")[0]
        if structured:
            action = _sd(body, "action")
            src, dst = _sd(body, "source-address"), _sd(body, "destination-address")
            sport, dport, proto = _sd(body, "source-port"), _sd(body, "destination-port"), _sd(body, "protocol-id")
        else:
            found = _PLAIN_SCREEN_ACTION.search(body)
            action = found.group(1) if found else None
            src, sport = cls._screen_endpoint(_PLAIN_SOURCE.search(body), family)
            dst, dport = cls._screen_endpoint(_PLAIN_DESTINATION.search(body), family)
            found = _PLAIN_PROTOCOL_ID.search(body)
            proto = found.group(1) if found else None
        if action is not None and action.lower() != "drop":
            if action.lower() in _SCREEN_ALARM_ONLY:
                return Skipped(lineno, "allowed traffic: screen alarm without drop")
            raise LineError(f"unknown screen action {action!r} in {tag}")
        if not src or not dst:
            attack = _sd(body, "attack-name") if structured else body.lstrip(": ").partition(" source:")[0]
            missing = "source" if not src else "destination"
            raise LineError(f"{tag} ({attack or 'screen'}) names no {missing} address")
        if proto:
            protocol = protocol_name(proto)
        elif family in _SCREEN_PROTOCOL:
            protocol = _SCREEN_PROTOCOL[family]
        else:
            raise LineError(f"{tag} without a protocol-id")
        if protocol == "icmp" and ":" in src:
            protocol = "icmpv6"
        return cls._event(lineno, time, src, dst, protocol, sport, dport)

    @staticmethod
    def _screen_endpoint(found: re.Match | None, family: str) -> tuple[str | None, str | None]:
        if found is None:
            return None, None
        value = found.group(1)
        # TCP and UDP screens write "address:port", IPv6 addresses included;
        # the others write the bare address.
        if family in ("TCP", "UDP") or (":" in value and "." in value):
            address, colon, port = value.rpartition(":")
            if colon and port.isdigit():
                return address, port
        return value, None

    @classmethod
    def _action(cls, lineno: int, time: datetime, tag: str, body: str, structured: bool) -> ParsedEvent | Skipped:
        if structured:
            action = _sd(body, "action")
            src, dst = _sd(body, "source-address"), _sd(body, "destination-address")
            sport, dport = _sd(body, "source-port"), _sd(body, "destination-port")
            proto = _sd(body, "protocol-id") or _sd(body, "protocol-name") or _sd(body, "protocol")
        else:
            flow = _PLAIN_IDP.search(body)
            found = _PLAIN_ACTION.search(body)
            if flow is None or found is None:
                raise LineError(f"unreadable {tag} message (structured logging reads best)")
            action = found.group(1)
            src, dst, sport, dport, proto = (flow.group(k) for k in ("src", "dst", "sport", "dport", "proto"))
        if not action:
            raise LineError(f"{tag} without an action")
        verdict = action.upper()
        if verdict in _PASSING:
            return Skipped(lineno, f"allowed traffic: {tag} action {action}")
        if not verdict.startswith(_BLOCKING):
            raise LineError(f"unknown action {action!r} in {tag}")
        if not src or not dst or not proto:
            raise LineError(f"{tag} without source-address, destination-address or protocol")
        return cls._event(lineno, time, src, dst, protocol_name(proto), sport, dport)

    @classmethod
    def _utm(cls, lineno: int, time: datetime, tag: str, body: str, structured: bool) -> ParsedEvent:
        # UTM inspects HTTP, FTP and mail sessions: always TCP.
        if structured:
            src, dst = _sd(body, "source-address"), _sd(body, "destination-address")
            sport, dport = _sd(body, "source-port"), _sd(body, "destination-port")
            if not src or not dst:
                raise LineError(f"{tag} without source-address or destination-address")
            return cls._event(lineno, time, src, dst, "tcp", sport, dport)
        flow = _PLAIN_UTM_FLOW.search(body)
        if flow is None:
            raise LineError(f"unreadable {tag} message")
        return cls._event(lineno, time, flow["src"], flow["dst"], "tcp", flow["sport"], flow["dport"])


parser = JuniperSrxParser()
