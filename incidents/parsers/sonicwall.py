"""SonicWall (SonicOS) syslog in the default / enhanced key=value format::

    id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=198.51.100.1 pri=1 c=32 m=36
    msg="TCP packet dropped" n=2686 src=203.0.113.5:51234:X1 dst=198.51.100.7:22:X0 proto=tcp/ssh

``m`` is the event id from the SonicOS Log Events Reference Guide; ``src``/``dst``
are ``address:port:interface[:hostname]``, with IPv6 addresses moved to
``srcV6``/``dstV6``. ``time`` is local to the firewall unless it ends in
``UTC`` (the "Display UTC in logs" setting). Key order differs between SonicOS
versions, so fields are looked up by name.

Whether the firewall let the traffic through is said, in order of trust, by:

1. ``fw_action`` (SonicOS 6.5 on): ``drop`` blocked it, ``forward`` passed it,
   ``NA`` means the event is no firewall action of its own.
2. The event id, as the SonicOS 6.5.1 Log Events Reference Guide names it:
   the packet drops and blocks below, the connection and "packet allowed"
   events, IPS/IDP/Anti-Spyware/App Control "Detection Alert"s (logged when
   the matching "Prevention Alert" is off, so the traffic passed), and the
   login, mail and flood-status events that are not about one connection.
   The FIN, XMAS and NULL scan events (177 to 179) are how SonicOS logs the
   invalid-flag packets it drops (SonicOS Enhanced Administrator Guide,
   Firewall > TCP Settings, "Invalid Flag Packets Dropped").
3. The message: "dropped", "denied" or "blocked" for ids not listed here,
   lines without ``m=``, and newer firmware.
"""

from __future__ import annotations

import re

from .base import LineError, ParsedEvent, Parser, Skipped, check_ip, check_port, parse_iso_time, protocol_name

_SIGNATURE = re.compile(r'\bid=\S+\s+sn=\S+\s+time="')
_PAIR = re.compile(r'(\w[\w.]*)=(?:"([^"]*)"|(\S*))')
# Most lines are connection records to skip; these settle that without
# splitting the whole line.
_EVENT_ID = re.compile(r"\sm=(\d+)")
_ACTION = re.compile(r'\sfw_action="?(\w+)')
_MSG = re.compile(r'\smsg="([^"]*)"')
_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?(?: (UTC|GMT|[+-]\d\d:?\d\d))?$")
_IP_PROTOCOL_NOTE = re.compile(r"IP Protocol: (\d+)")
_DROP_WORDS = re.compile(r"\b(?:dropped|denied|blocked|discarded|rejected)\b", re.IGNORECASE)
_ALLOW_WORDS = re.compile(r"\ballowed\b", re.IGNORECASE)
_MSG_PROTOCOL = re.compile(r"^(TCP|UDP|ICMPv6|ICMP)\b", re.IGNORECASE)

# Dropped or blocked traffic, by event id, with the protocol the event implies
# where its record may carry no proto= ("" where it does not imply one).
_DROP_IDS = {
    "14": "tcp",  # Web site access denied
    "22": "icmp",  # Ping of death dropped
    "23": "",  # IP spoof dropped
    "25": "tcp",  # Possible SYN flood attack detected (flood protection drops the excess)
    "27": "",  # Land attack dropped
    "36": "tcp",  # TCP connection / packet dropped
    "37": "udp",  # UDP packet dropped
    "38": "icmp",  # ICMP packet dropped due to policy
    "41": "",  # Unknown protocol dropped
    "81": "icmp",  # Smurf amplification attack dropped
    "82": "",  # Possible port scan detected
    "83": "",  # Probable port scan detected
    "173": "tcp",  # TCP connection from LAN denied
    "174": "udp",  # UDP packet from LAN dropped
    "175": "icmp",  # ICMP packet from LAN dropped
    "177": "tcp",  # Probable TCP FIN scan detected
    "178": "tcp",  # Probable TCP XMAS scan detected
    "179": "tcp",  # Probable TCP NULL scan detected
    "181": "tcp",  # TCP FIN packet dropped
    "229": "",  # IP spoof detected on packet to Central Gateway, packet dropped
    "267": "tcp",  # TCP Xmas Tree dropped
    "446": "tcp",  # FTP: PASV response spoof attack dropped
    "580": "tcp",  # TCP SYN/FIN packet dropped
    "606": "",  # Spank attack multicast packet dropped
    "609": "",  # IPS Prevention Alert
    "646": "",  # Packet dropped; connection limit for this source IP address has been reached
    "647": "",  # Packet dropped; connection limit for this destination IP address has been reached
    "790": "",  # IDP Prevention Alert
    "794": "",  # Anti-Spyware Prevention Alert
    "797": "tcp",  # Outbound connection to RBL-listed SMTP server dropped
    "798": "tcp",  # Inbound connection from RBL-listed SMTP server dropped
    "883": "",  # IP header checksum error; packet dropped
    "884": "tcp",  # TCP checksum error; packet dropped
    "885": "udp",  # UDP checksum error; packet dropped
    "886": "icmp",  # ICMP checksum error; packet dropped
    "897": "tcp",  # TCP packet received with invalid SYN Flood cookie; TCP packet dropped
    "1099": "",  # DNS rebind attack blocked
    "1155": "",  # Application Control Prevention Alert
    "1198": "",  # Initiator from country blocked
    "1199": "",  # Responder from country blocked
    "1200": "",  # Suspected Botnet initiator blocked
    "1201": "",  # Suspected Botnet responder blocked
    "1213": "udp",  # Possible UDP flood attack detected
    "1214": "icmp",  # Possible ICMP flood attack detected
    "1304": "",  # Packet is dropped due to NDPP rules
    "1373": "",  # IPv6 fragment dropped, invalid length
    "1374": "",  # IGMP packet dropped, incomplete fragments
    "1375": "udp",  # UDP fragment dropped, exceeds maximum IP datagram size
    "1376": "",  # Nestea/Teardrop attack dropped
    "1387": "tcp",  # TCP Null Flag dropped
    "1450": "udp",  # Possible UDPv6 flood attack detected
    "1451": "icmpv6",  # Possible ICMPv6 flood attack detected
    "1474": "",  # Initiator from country blocked, Source: Custom List
    "1475": "",  # Responder from country blocked, Source: Custom List
    "1476": "",  # Suspected Botnet initiator blocked, Source: Custom List
    "1477": "",  # Suspected Botnet responder blocked, Source: Custom List
    "1518": "",  # Suspected Botnet initiator blocked, Source: Dynamic List
    "1519": "",  # Suspected Botnet responder blocked, Source: Dynamic List
}
# Traffic that passed: 97 web site hit, 98 connection opened, 537 connection
# closed, 597 ICMP packet allowed, 598 ICMP packet from LAN allowed, 602
# "<service> packet allowed", 1153 SSL VPN traffic.
_ALLOWED_IDS = frozenset({"97", "98", "537", "597", "598", "602", "1153"})
# Detection without prevention: IPS (608), IDP (789), Anti-Spyware (795),
# Application Control (1154).
_DETECTED_IDS = frozenset({"608", "789", "795", "1154"})
# Events about logins, mail content and flood state, whose messages say
# "denied", "allowed" or "blocked" of something other than a connection.
_NOT_TRAFFIC_IDS = frozenset(
    {"24", "29", "30", "31", "32", "33", "34", "35", "165", "199", "200", "235", "236", "237", "238", "243", "244"}
    | {"245", "246", "248", "329", "438", "439", "486", "506", "507", "508", "509", "583", "986", "987", "1035"}
    | {"1048", "1080", "1108", "1180", "1181", "1182"}
    | {str(n) for n in (*range(745, 760), *range(856, 870), *range(898, 910), *range(1366, 1372))}
)
_PORTED = frozenset({"tcp", "udp", "sctp"})
_DROP, _ALLOWED, _DETECTED, _OTHER = "drop", "allowed", "detected", "other"


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


def _message(line: str) -> str:
    found = _MSG.search(line)
    return found.group(1).strip() if found else ""


def _verdict(event_id: str | None, action: str | None, line: str) -> str:
    if action == "drop":
        return _DROP
    if action == "forward":
        return _ALLOWED
    if event_id is not None:
        if event_id in _DROP_IDS:
            return _DROP
        if event_id in _ALLOWED_IDS:
            return _ALLOWED
        if event_id in _DETECTED_IDS:
            return _DETECTED
        if event_id in _NOT_TRAFFIC_IDS:
            return _OTHER
    message = _message(line)
    if _DROP_WORDS.search(message):
        return _DROP
    if _ALLOW_WORDS.search(message):
        return _ALLOWED
    return _OTHER


class SonicWallParser(Parser):
    name = "sonicwall"
    label = "SonicWall (SonicOS syslog)"

    def matches(self, line: str) -> bool:
        return "sn=" in line and _SIGNATURE.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx) -> ParsedEvent | Skipped | None:
        if _SIGNATURE.search(line) is None:
            raise LineError('not a SonicWall log line (expected id=, sn= and time="...")')
        found = _EVENT_ID.search(line)
        event_id = found.group(1) if found else None
        found = _ACTION.search(line)
        action = found.group(1).lower() if found else None
        verdict = _verdict(event_id, action, line)
        if verdict == _ALLOWED:
            return Skipped(lineno, "allowed traffic")
        if verdict == _DETECTED:
            alert = _message(line) or "alert"
            return Skipped(lineno, f"allowed traffic: m={event_id} {alert} (detected, not prevented)")
        if verdict == _OTHER:
            return self._other(lineno, line, event_id, action)

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
    def _other(lineno: int, line: str, event_id: str | None, action: str | None) -> Skipped:
        message = _message(line) or "no message"
        if event_id is None:
            if action is None:
                raise LineError(f"no event id (m=) and no fw_action: cannot tell what happened ({message})")
            return Skipped(lineno, f"not a traffic record: {message}")
        # A connection (proto=) whose event says neither dropped nor allowed
        # cannot be placed either way; "NA" says the firewall took no action.
        if action is None and " proto=" in line:
            raise LineError(f"event m={event_id} ({message}) does not say whether the traffic was dropped")
        return Skipped(lineno, f"not a traffic record: event m={event_id} ({message})")

    @staticmethod
    def _protocol(fields: dict[str, str], event_id: str | None) -> str:
        proto = fields.get("proto", "").partition("/")[0]
        if proto and proto != "0":
            return protocol_name(proto)
        note = _IP_PROTOCOL_NOTE.search(fields.get("note", ""))
        if note:
            return protocol_name(note.group(1))
        if _DROP_IDS.get(event_id or ""):
            return _DROP_IDS[event_id]
        named = _MSG_PROTOCOL.match(fields.get("msg", ""))
        if named:
            return protocol_name(named.group(1))
        what = f"event m={event_id}" if event_id else repr(fields.get("msg", ""))
        raise LineError(f"no protocol in {what} (no proto= field)")

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
