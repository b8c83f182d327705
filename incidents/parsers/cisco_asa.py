"""Cisco PIX / ASA / Firepower Threat Defense syslog.

Message texts follow Cisco's "Cisco Secure Firewall ASA Series Syslog
Messages" (cisco.com/c/en/us/td/docs/security/asa/syslog/b_syslog.html, the
chapters 101001-199027, 302003-342008, 400000-450001, 500001-520025 and
700001-768004), which the FTD guide ("Cisco Secure Firewall Threat Defense
Syslog Messages") repeats for the same ids under ``%FTD-``. Older wordings
come from the "Cisco Security Appliance System Log Messages, Version 7.0" and
the access-list logging chapter of the ASA CLI configuration guide
("hit-cnt 1 (first hit)"). Accepted variants: identity-firewall user or FQDN
in parentheses after an address, IPv6 addresses, "protocol N" instead of a
name, interface names holding a colon.

FTD's own connection and intrusion events (430001-430005) are read from the
field reference in the FTD guide's chapter "Security Event Syslog Messages":
a connection whose AccessControlRuleAction blocks is an event, Allow, Trust,
Monitor and Fastpath are allowed traffic.

Every line with a Cisco tag gets one of three answers: an event (the packet
was denied or dropped, see ``_HANDLERS`` for each id and why), "allowed
traffic" (the device says it passed: built and torn-down connections,
"permitted", "est-allowed", "monitored", see ``_ALLOWED``), or "not a traffic
record: <family> (<id>)" for the rest (failover, configuration, VPN, system
and statistics messages). A message of a deny family that the parser does not
know but that reads like a deny is rejected with its id instead, so a deny is
never counted away unseen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .base import (
    MONTHS,
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Skipped,
    check_count,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    tcp_flags,
)

# "session" and similar class names, which may hold a hyphen, appear between
# the facility and the severity when "logging device-id" / EMBLEM formats are
# configured.
_TAG = re.compile(r"%(?:ASA|PIX|FTD|FWSM)-(?:[A-Za-z_]+(?:-[A-Za-z_]+)*-)?[0-7]-(\d{6})\b:?\s*")

# The last stamp before the tag wins (hence the greedy ".*"): when a syslog
# server prefixes its own receive time, the firewall's own stamp, closer to the
# tag, is the event time.
_STAMP = re.compile(
    r".*(?<![\w-])(?:"
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2})(?: (?P<year>\d{4}))?"
    r" (?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)?(?: (?P<zone>[A-Z]{2,5})(?=:))?"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)?)"
    r")"
)
# rsyslog's repeated-message reduction writes "message repeated N times: [msg]"
# for the N copies that followed the first, which has a line of its own. It
# keeps the syslog header, so the Cisco tag stands before the wrapper when the
# relay took it for the syslog tag, and inside it otherwise.
_REPEATED = re.compile(r"message repeated (\d+) times?: \[\s*")
# The zone after a device stamp ("Nov 20 2026 15:10:46 WEST:") is the name
# given to "clock timezone" / "clock summer-time", so any word can stand there.
# Those with one meaning read as their offset (minutes east of UTC):
_ZONE_OFFSETS = {
    **dict.fromkeys(("UTC", "GMT", "UT", "WET"), 0),
    **dict.fromkeys(("WEST", "CET", "MET", "WAT"), 60),
    **dict.fromkeys(("CEST", "MEST", "EET", "SAST", "CAT"), 120),
    **dict.fromkeys(("EEST", "MSK", "EAT"), 180),
    "PKT": 300,
    "NPT": 345,
    **dict.fromkeys(("ICT", "WIB"), 420),
    **dict.fromkeys(("AWST", "HKT", "SGT", "WITA"), 480),
    **dict.fromkeys(("JST", "KST", "WIT"), 540),
    "ACST": 570,
    "AEST": 600,
    "ACDT": 630,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "NDT": -150,
    "NST": -210,
    **dict.fromkeys(("ADT", "BRT", "ART", "CLST"), -180),
    **dict.fromkeys(("EDT", "CLT"), -240),
    "MDT": -360,
    "PDT": -420,
    "AKDT": -480,
    "AKST": -540,
    "HST": -600,
}
# ...and these have several, so the submission's zone must settle which: it is
# used when it prints the same name at that time (America/Chicago gives "CST"),
# otherwise the line is rejected with the readings, for the user to choose.
_AMBIGUOUS_ZONES = {
    "CST": "US Central (UTC-6), China (UTC+8) or Cuba (UTC-5)",
    "CDT": "US Central (UTC-5) or Cuba (UTC-4)",
    "EST": "US Eastern (UTC-5) or, on older devices, Australian Eastern (UTC+10)",
    "PST": "US Pacific (UTC-8) or Philippine (UTC+8)",
    "MST": "US Mountain (UTC-7) or Malaysian (UTC+8)",
    "IST": "India (UTC+5:30), Israel (UTC+2) or Ireland (UTC+1)",
    "BST": "British Summer (UTC+1) or Bangladesh (UTC+6)",
    "AST": "Atlantic (UTC-4) or Arabia (UTC+3)",
    "GST": "Gulf (UTC+4) or South Georgia (UTC-2)",
    "SST": "Samoa (UTC-11) or Singapore (UTC+8)",
    "ECT": "Ecuador (UTC-5) or Eastern Caribbean (UTC-4)",
}
# A name in neither table is the administrator's own ("clock timezone HQ 2"):
# it tells nothing a reader could check, so the stamp is read like one without
# a zone, in the submission's zone. Rejecting it instead would leave no choice
# of zone under which the log could be read at all.

_FLAG_LETTERS = {"FIN": "F", "SYN": "S", "RST": "R", "PSH": "P", "ACK": "A", "URG": "U", "ECE": "E", "CWR": "C"}
# 710003-710005 may name the service instead of the port.
_SERVICES = {"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "www": 80, "https": 443}
# 106018 may name the ICMP type with the keyword the ASA's access lists use.
_ICMP_TYPES = {
    "echo-reply": "0",
    "unreachable": "3",
    "source-quench": "4",
    "redirect": "5",
    "alternate-address": "6",
    "echo": "8",
    "router-advertisement": "9",
    "router-solicitation": "10",
    "time-exceeded": "11",
    "parameter-problem": "12",
    "timestamp-request": "13",
    "timestamp-reply": "14",
    "information-request": "15",
    "information-reply": "16",
    "mask-request": "17",
    "mask-reply": "18",
}

_USER = r"(?:\((?!type )[^)]*\))*"  # identity-firewall user, FQDN or SGT after an address
_ENDPOINT = r"(\S+?):([^\s/()]+)(?:/(\d+))?" + _USER  # interface:address[/port]
_HOSTPORT = r"([^\s/()]+)/(\w+)" + _USER  # address/port

_HOST = r"([^\s/(),]+)" + _USER  # a bare address

_R106001 = re.compile(rf"Inbound (\S+) connection denied from {_HOSTPORT} to {_HOSTPORT} flags (.*?)\s*on ")
_R106002 = re.compile(rf"(\S+) Connection denied by outbound list \S+ src {_HOST} dest {_HOST}")
_R106006 = re.compile(rf"Deny inbound (\S+) from {_HOSTPORT} to {_HOSTPORT}")
# 106011 is 106010 behind "(No xlate)".
_R106010 = re.compile(rf"Deny inbound (?:\(No xlate\) )?(?:protocol )?(\S+) src {_ENDPOINT} dst {_ENDPOINT}")
# The options come as hex or as names in quotes: 'IP options: "Router Alert"'.
_R106012 = re.compile(rf"Deny IP from {_HOST} to {_HOST}, IP options")
_R106013 = re.compile(rf"Dropping echo request from {_HOST} to PAT address {_HOST}")
_R106014 = re.compile(rf"Deny inbound (\S+) src {_ENDPOINT} dst {_ENDPOINT}\s*\(type (\d+), code (\d+)\)")
_R106015 = re.compile(rf"Deny (\S+) \(no connection\) from {_HOSTPORT} to {_HOSTPORT} flags (.*?)\s*on ")
_R106016 = re.compile(rf"Deny IP spoof from \(?{_HOST}\)? to {_HOST} on interface")
_R106017 = re.compile(rf"Deny IP due to Land Attack from {_HOST} to {_HOST}")
_R106018 = re.compile(rf"ICMP packet type (\S+) denied by outbound list \S+ src {_HOST} dest {_HOST}")
_R106020 = re.compile(rf"Deny IP teardrop fragment \([^)]*\) from {_HOST} to {_HOST}")
_R106021 = re.compile(r"Deny (?:protocol )?(\S+) reverse path check from (\S+) to (\S+) on ")
_R106022 = re.compile(rf"Deny (?:protocol )?(\S+) connection spoof from {_HOST} to {_HOST} on ")
# The ICMP type and code of 106023 sometimes lack the parentheses.
_R106023 = re.compile(
    rf"Deny (?:protocol )?(\S+) src {_ENDPOINT} dst {_ENDPOINT}\s*(?:\(?type (\d+), code (\d+)\)?,?)?\s*by access-group"
)
# The configuration guide prints "hit-cnt 1 (first hit)" and no space before "->".
_R106100 = re.compile(
    r"access-list \S+ (permitted|denied|est-allowed) (\S+) ([^\s/]+)/([^\s(]+)\((\d+)\)[^>]*?->\s*"
    r"([^\s/]+)/([^\s(]+)\((\d+)\).*?\bhit-cnt (\d+)"
)
# 106102/106103 (per-user and VPN filter ACLs): the guide writes the ports
# after a space; 106100's parentheses and arrow are accepted as well.
_R106103 = re.compile(
    r"access-list \S+ (permitted|denied) (\S+) for user (?:'[^']*'|\"[^\"]*\"|\S+) "
    r"([^\s/]+)/([^\s(]+?)(?:\((\d+)\)| (\d+)) (?:->\s*)?([^\s/]+)/([^\s(]+?)(?:\((\d+)\)| (\d+)).*?\bhit-cnt (\d+)"
)
_R110002 = re.compile(rf"Failed to locate egress interface for (\S+) from {_ENDPOINT} to {_HOST}(?:/(\d+))?")
_R110003 = re.compile(rf"Routing failed to locate next hop for (\S+) from {_ENDPOINT} to {_ENDPOINT}")
_R209005 = re.compile(
    r"(?:Invalid IP fragment|Discard IP fragment set|Fragment database limit)[^:]*: "
    r"src = ([^\s,]+), dest = ([^\s,]+), proto = ([^\s,]+)"
)
_R304002 = re.compile(rf"Access denied URL \S+ SRC {_HOST} DEST (\S+?):?(?: |$)")
_R313001 = re.compile(r"Denied (\S+) type=(\d+), code=(\d+) from (\S+) on interface")
# 313004 and 313009 in the words of the guide: "Denied ICMP type=icmp_type, from
# source_address on interface interface_name to dest_address: no matching
# session"; "Denied invalid ICMP code icmp-code, for src-ifc:src-address/src-port
# (mapped-src-address/mapped-src-port) to dest-ifc:dest-address/dest-port
# (mapped-dest-address/mapped-dest-port) [user], ICMP id icmp-id, ICMP type icmp-type".
_R313004 = re.compile(rf"Denied (\S+) type=(\d+), from {_HOST} on interface \S+ to (\S+?):? no matching session")
_R313005 = re.compile(
    rf"(?:No matching connection|Invalid destination) for ICMP error message: (\S+) src {_ENDPOINT} "
    rf"dst {_ENDPOINT}\s*\(type (\d+), code (\d+)\)"
)
_R313009 = re.compile(
    rf"Denied invalid (\S+) code (\d+), for {_ENDPOINT}(?: \([^)]*\))? to {_ENDPOINT}(?: \([^)]*\))?"
    r".*?\bICMP type (\d+)"
)
# "Dynamic Filter {monitored|dropped} {blacklisted|greylisted|...} protocol traffic
# from in_interface:src_ip_addr/src_port (mapped-ip/mapped-port) to
# out_interface:dest_ip_addr/dest_port (mapped-ip/mapped-port), ..."
_R338000 = re.compile(
    rf"Dynamic Filter (?:action )?(\w+) (?:\w+listed |ambiguous )?(\S+) traffic from {_ENDPOINT}(?: \([^)]*\))?,? "
    rf"to {_ENDPOINT}"
)
_R419001 = re.compile(rf"Dropping (\S+) packet from {_ENDPOINT} to {_ENDPOINT}")
_R419002 = re.compile(rf"Duplicate (\S+) SYN from {_ENDPOINT} to {_ENDPOINT}")
_R434002 = re.compile(rf"SFR requested to drop (\S+) packet from {_ENDPOINT} to {_ENDPOINT}")
_R500003 = re.compile(rf"Bad (\S+) hdr length \([^)]*\) from {_HOSTPORT} to {_HOSTPORT}")
_R500004 = re.compile(rf"Invalid transport field for protocol=([^\s,]+), from {_HOSTPORT} to {_HOSTPORT}")
_R710003 = re.compile(rf"(\S+) access denied by ACL from {_HOSTPORT} to (\S+?):([^\s/]+)/(\w+)")
_R710004 = re.compile(rf"(\S+) connection limit exceeded from {_HOSTPORT} to (\S+?):([^\s/]+)/(\w+)")
_R710005 = re.compile(rf"(\S+) request discarded from {_HOSTPORT} to (\S+?):([^\s/]+)/(\w+)")
_R710006 = re.compile(rf"(\S+) request discarded from {_HOST} to (\S+?):([^\s/]+)")

_NOT_AN_ADDRESS = re.compile(r"[g-zG-Z_]")


def _addr(text: str, role: str) -> str:
    if _NOT_AN_ADDRESS.search(text):
        # Interface names may hold a colon ("v1:outside:10.8.1.9"), and the
        # patterns split "interface:address" at the first one, so what is left
        # of the name goes first. Only lines with letters beyond hex pay for it.
        while ":" in text and _NOT_AN_ADDRESS.search(text):
            text = text.split(":", 1)[1]
        # With the "names" command the ASA logs a configured name instead of the address.
        if _NOT_AN_ADDRESS.search(text):
            raise LineError(f"the firewall logged the name {text!r} instead of the {role} address")
    return check_ip(text)


def _port(text: str | None) -> int | None:
    if text and not text.isdigit():
        port = _SERVICES.get(text.lower())
        if port is None:
            raise LineError(f"unknown service name {text!r} instead of a port")
        return port
    return check_port(text)


def _proto(text: str, source: str) -> str:
    proto = protocol_name(text)
    # Older releases call ICMPv6 plain "icmp"; the address family tells them apart.
    return "icmpv6" if proto == "icmp" and ":" in source else proto


def _flags(text: str) -> str:
    return tcp_flags(_FLAG_LETTERS.get(word, "") for word in text.upper().split())


# Each handler turns the message body into
# (protocol, source, source_port, target, target_port, tcp_flags, count, when),
# or returns a skip reason. ``when`` is an ISO time from the message body, for
# messages that carry one; the stamp before the tag is read otherwise.
Flow = tuple[str, str, int | None, str, int | None, str, int, str | None]
Handler = Callable[[str], "Flow | str"]


def _flow(proto, src, sport, dst, dport, flags="", count=1, when=None) -> Flow:
    source = _addr(src, "source")
    return (_proto(proto, source), source, _port(sport), _addr(dst, "target"), _port(dport), flags, count, when)


def _match(regex: re.Pattern, body: str) -> re.Match:
    m = regex.match(body)
    if m is None:
        raise LineError(f"unrecognised deny message text: {body[:80]!r}")
    return m


# Most messages share one of a few layouts, so their handlers are made by
# these factories from the message's pattern.


def _endpoints(regex: re.Pattern, flags: str = "") -> Handler:
    """ "protocol ... interface:address/port ... interface:address/port"."""

    def handler(body: str) -> Flow:
        m = _match(regex, body)
        return _flow(m[1], m[3], m[4], m[6], m[7], flags)

    return handler


def _hostports(regex: re.Pattern) -> Handler:
    """ "protocol ... address/port ... address/port"."""

    def handler(body: str) -> Flow:
        m = _match(regex, body)
        return _flow(m[1], m[2], m[3], m[4], m[5])

    return handler


def _addresses(regex: re.Pattern, protocol: str = "") -> Handler:
    """Two addresses without ports, after the protocol unless it is given:
    the guide calls the packet of the spoofing and options checks "IP", and
    so does the event."""

    def handler(body: str) -> Flow:
        m = _match(regex, body)
        if protocol:
            return _flow(protocol, m[1], None, m[2], None)
        return _flow(m[1], m[2], None, m[3], None)

    return handler


def _to_the_box(regex: re.Pattern) -> Handler:
    """7100xx, traffic to the device itself: "from address/port to interface:address/service"."""

    def handler(body: str) -> Flow:
        m = _match(regex, body)
        return _flow(m[1], m[2], m[3], m[5], m[6])

    return handler


def _with_flags(regex: re.Pattern) -> Handler:
    """106001 and 106015: "protocol ... address/port to address/port flags ..."."""

    def handler(body: str) -> Flow:
        m = _match(regex, body)
        return _flow(m[1], m[2], m[3], m[4], m[5], _flags(m[6]))

    return handler


def _m106013(body: str) -> Flow:
    m = _match(_R106013, body)
    return _flow("icmp", m[1], "8", m[2], "0")  # an echo request is type 8, code 0


def _m106014(body: str) -> Flow:
    m = _match(_R106014, body)
    return _flow(m[1], m[3], m[8], m[6], m[9])


def _m106018(body: str) -> Flow:
    m = _match(_R106018, body)
    icmp_type = m[1] if m[1].isdigit() else _ICMP_TYPES.get(m[1].lower())
    if icmp_type is None:
        raise LineError(f"unknown ICMP type {m[1]!r}")
    return _flow("icmp", m[2], icmp_type, m[3], None)


def _m106023(body: str) -> Flow:
    m = _match(_R106023, body)
    if m[8] is not None:  # ICMP: type and code stand in for the ports
        return _flow(m[1], m[3], m[8], m[6], m[9])
    return _flow(m[1], m[3], m[4], m[6], m[7])


def _m106100(body: str) -> Flow | str:
    m = _match(_R106100, body)
    if m[1] != "denied":
        return "allowed traffic"
    # For ICMP the numbers in parentheses are read as type and code, like the
    # "(type t, code c)" of the other messages. The PIX 6 / ASA 7 guides say
    # the first is 0 and the second the type; a line written that way would
    # read as type 0 with the type for the code.
    return _flow(m[2], m[4], m[5], m[7], m[8], count=check_count(int(m[9]) or 1))


def _m106103(body: str) -> Flow | str:
    m = _match(_R106103, body)
    if m[1] != "denied":
        return "allowed traffic"
    return _flow(m[2], m[4], m[5] or m[6], m[8], m[9] or m[10], count=check_count(int(m[11]) or 1))


def _m110002(body: str) -> Flow:
    m = _match(_R110002, body)
    return _flow(m[1], m[3], m[4], m[5], m[6])


def _m209005(body: str) -> Flow:
    m = _match(_R209005, body)
    return _flow(m[3], m[1], None, m[2], None)


def _m304002(body: str) -> Flow:
    # URL filtering refused a web request; the guide gives no ports.
    m = _match(_R304002, body)
    return _flow("tcp", m[1], None, m[2], None)


def _m313001(body: str) -> str:
    _match(_R313001, body)
    # A ParsedEvent needs a target address and this message has none (it is
    # ICMP to the firewall's own interface), so it is understood but not stored.
    return "denied ICMP to the firewall itself; the message names no target address"


def _m313004(body: str) -> Flow:
    m = _match(_R313004, body)
    return _flow(m[1], m[3], m[2], m[4], None)  # the code is not logged


def _m313005(body: str) -> Flow:
    # The event is the ICMP error itself; the packet it quotes ("Original IP
    # payload") is one the firewall passed, not the one it denied.
    m = _match(_R313005, body)
    return _flow(m[1], m[3], m[8], m[6], m[9])


def _m313009(body: str) -> Flow:
    m = _match(_R313009, body)
    return _flow(m[1], m[4], m[9], m[7], m[2])  # the logged ports are the ICMP id, not type and code


def _m338000(body: str) -> Flow | str:
    m = _match(_R338000, body)
    action = m[1].lower()
    if action == "dropped":
        return _flow(m[2], m[4], m[5], m[7], m[8])
    if action in ("monitored", "whitelisted"):
        return f"allowed traffic: dynamic filter {action}"
    raise LineError(f"unknown dynamic filter action {m[1]!r}")


def _m710006(body: str) -> Flow:
    m = _match(_R710006, body)
    return _flow(m[1], m[2], None, m[4], None)


# FTD connection and intrusion events (FTD syslog guide, chapter "Security
# Event Syslog Messages"): comma-separated "Name: value" fields whose set and
# order depend on the release and the logging settings, so each is looked up
# by name. ", " before the name keeps SrcIP from matching OriginalClientSrcIP.
_FTD_FIELDS = {
    name: re.compile(rf"(?:^|, ){name}: ([^,]*)")
    for name in (
        "AccessControlRuleAction",
        "InlineResult",
        "SrcIP",
        "DstIP",
        "SrcPort",
        "DstPort",
        "Protocol",
        "ICMPType",
        "ICMPCode",
        "FirstPacketSecond",
    )
}
# AccessControlRuleAction in the guide: Allow, Block, Block with reset,
# Fastpath, Interactive Block, Interactive Block with reset, Trust, Default
# Action; Monitor rules never decide, but the word is read as passing too.
_FTD_BLOCKS = frozenset(
    {"block", "block with reset", "interactive block", "interactive block with reset", "block with interactive"}
)
_FTD_PASSES = frozenset({"allow", "trust", "monitor", "fastpath"})
_PORTED = frozenset({"tcp", "udp", "sctp"})
_ICMP = frozenset({"icmp", "icmpv6"})


def _field(body: str, name: str) -> str | None:
    m = _FTD_FIELDS[name].search(body)
    return m[1].strip() if m else None


def _m430002(body: str) -> Flow | str:
    """430002 (connection start) and 430003 (connection end)."""
    action = _field(body, "AccessControlRuleAction")
    if action is None:
        raise LineError("connection event without AccessControlRuleAction")
    verdict = action.lower()
    if verdict in _FTD_PASSES:
        return f"allowed traffic: {action}"
    if verdict in _FTD_BLOCKS:
        return _ftd_flow(body)
    # "Default Action" names the policy's default without saying what it did,
    # and an empty action is a connection that closed before a rule matched.
    raise LineError(f"connection event whose AccessControlRuleAction {action!r} does not say whether it was blocked")


def _m430001(body: str) -> Flow | str:
    """Intrusion event: InlineResult says whether the packet was dropped."""
    result = (_field(body, "InlineResult") or "").lower()
    if not ("block" in result or "drop" in result):
        return "allowed traffic: intrusion event without a block"
    if result.startswith("would"):  # inline test mode: it passed
        return f"allowed traffic: intrusion event, {result}"
    return _ftd_flow(body)


def _ftd_flow(body: str) -> Flow:
    src, dst, proto = _field(body, "SrcIP"), _field(body, "DstIP"), _field(body, "Protocol")
    if not (src and dst and proto):
        raise LineError("FTD event without SrcIP, DstIP or Protocol")
    protocol = _proto(proto, src)
    sport = dport = None
    if protocol in _ICMP:
        # Type and code fields where the release writes them, else the port
        # fields, which hold them for ICMP as in the management center's
        # "Source Port / ICMP Type" columns.
        sport = _number(_field(body, "ICMPType")) or _number(_field(body, "SrcPort"))
        dport = _number(_field(body, "ICMPCode")) or _number(_field(body, "DstPort"))
    elif protocol in _PORTED:
        sport, dport = _field(body, "SrcPort"), _field(body, "DstPort")
    return _flow(protocol, src, sport, dst, dport, when=_field(body, "FirstPacketSecond") or None)


def _number(text: str | None) -> str | None:
    return text if text and text.isdigit() else None


def _unreadable(body: str) -> Flow:
    raise LineError("denied, but the message names no source and target address that can be read")


# The message ids read as traffic, from the ASA guide. Every id of the deny
# and drop families was weighed; the ones not here are in _NOT_TRAFFIC or
# fall to the check in _unhandled.
_HANDLERS: dict[str, Handler] = {
    "106001": _with_flags(_R106001),  # inbound TCP denied by the security levels
    "106002": _addresses(_R106002),  # connection denied by an outbound list
    "106006": _hostports(_R106006),  # inbound UDP denied
    "106007": _hostports(_R106006),  # inbound UDP denied, DNS
    "106010": _endpoints(_R106010),  # inbound denied
    "106011": _endpoints(_R106010),  # inbound denied, no translation
    "106012": _addresses(_R106012, "ip"),  # IP options
    "106013": _m106013,  # echo request to a PAT address dropped
    "106014": _m106014,  # inbound ICMP denied
    "106015": _with_flags(_R106015),  # TCP packet without a connection
    "106016": _addresses(_R106016, "ip"),  # spoofed source
    "106017": _addresses(_R106017, "ip"),  # land attack (source = target)
    "106018": _m106018,  # outbound ICMP denied
    "106020": _addresses(_R106020, "ip"),  # teardrop fragment
    "106021": _addresses(_R106021),  # unicast RPF
    "106022": _addresses(_R106022),  # connection spoof
    "106023": _m106023,  # denied by an access group
    # 106025/106026 (no security context found for the packet) put a VLAN in
    # front of an address list the guide gives no example of, and 106027
    # carries MAC addresses only: denied, but not as source and target.
    "106025": _unreadable,
    "106026": _unreadable,
    "106027": _unreadable,
    "106100": _m106100,  # access list entry with logging: permitted, denied, est-allowed
    "106102": _m106103,  # VPN filter access list: permitted or denied
    "106103": _m106103,  # per-user access list denied
    "110002": _m110002,  # no egress interface: dropped
    "110003": _endpoints(_R110003),  # no next hop: dropped
    "209003": _m209005,  # fragment database full: dropped
    "209004": _m209005,  # oversized fragment: dropped
    "209005": _m209005,  # too many fragments: dropped
    "304002": _m304002,  # URL filter denied the request
    "313001": _m313001,  # ICMP to the firewall denied: no target address
    "313003": _m313005,  # ICMP error quoting a packet the target never sent
    "313004": _m313004,  # ICMP reply without a session
    "313005": _m313005,  # ICMP error without a connection
    "313008": _m313001,  # the IPv6 twin of 313001
    "313009": _m313009,  # invalid ICMP code
    # Botnet traffic filter: 338001-338008 and 338201-338204 are "monitored"
    # (passed) or "dropped"; 338101-338104 whitelisted (passed).
    **{f"338{n:03d}": _m338000 for n in (*range(1, 9), *range(101, 105), *range(201, 205))},
    "419001": _endpoints(_R419001),  # TCP packet over the MSS dropped
    "419002": _endpoints(_R419002, "S"),  # duplicate SYN with another sequence number dropped
    "434002": _endpoints(_R434002),  # the FirePOWER (SFR) module asked for the drop
    "500003": _hostports(_R500003),  # bad TCP header length
    "500004": _hostports(_R500004),  # invalid transport field (port 0 and the like)
    "710003": _to_the_box(_R710003),  # access to the device denied by ACL
    "710004": _to_the_box(_R710004),  # management connection limit exceeded: refused
    "710005": _to_the_box(_R710005),  # request to the device discarded
    "710006": _m710006,  # request to the device discarded, protocol without ports
    # FTD only (FTD syslog guide): intrusion and connection events.
    "430001": _m430001,
    "430002": _m430002,
    "430003": _m430002,
}

# The device says these passed.
_ALLOWED = {
    "302013": "connection built",
    "302014": "connection torn down",
    "302015": "connection built",
    "302016": "connection torn down",
    "302017": "connection built",
    "302018": "connection torn down",
    "302020": "connection built",
    "302021": "connection torn down",
    "302022": "connection built",
    "302023": "connection torn down",
    "302024": "connection built",
    "302025": "connection torn down",
    "302026": "connection built",
    "302027": "connection torn down",
    "302035": "connection built",
    "302036": "connection torn down",
    "302303": "connection built",
    "302304": "connection torn down",
    "303002": "FTP transfer",
    "304001": "URL accessed",
    "434004": "passed by the FirePOWER module",
    "710002": "access to the device permitted",
}

# Ids without a handler that are not traffic records, named here because
# their family would say too little or their text reads like a deny:
# counters, the deny-flow cache, threat-detection statistics (733100 "drop
# rate exceeded" counts drops, it is not one), FTD file and malware events.
_NOT_TRAFFIC = {
    "106024": "access rules memory",
    "106101": "deny-flow cache state",
    "710001": "access request, the verdict follows in 710002 or 710003",
    "430004": "file event, its connection is in 430002/430003",
    "430005": "malware event, its connection is in 430002/430003",
    "733100": "threat-detection drop rate statistics",
    "733101": "threat-detection statistics",
    "733102": "threat-detection shun",
    "733103": "threat-detection shun removed",
    "733104": "TCP intercept statistics",
    "733105": "TCP intercept statistics",
}

# Families (the first three digits) in which a message the parser does not
# know may still be about a denied packet: such a line is rejected with the
# message id rather than skipped, so that a deny is never lost unseen.
_PACKET_FAMILIES = frozenset({"106", "110", "209", "313", "338", "419", "434", "500", "710"})
_DENY_WORDS = re.compile(r"\b(?:[Dd]en(?:y|ied)|[Dd]rop(?:ped|ping)?|[Dd]iscard(?:ed)?|[Bb]locked)\b")

# What the other families are about, from the guide's table of message classes.
_FAMILIES = {
    **dict.fromkeys(("101", "102", "103", "104", "105", "210", "311", "709"), "failover"),
    **dict.fromkeys(("109", "113", "611"), "authentication"),
    **dict.fromkeys(("111", "112", "208", "308"), "configuration"),
    **dict.fromkeys(("199", "211", "214", "216", "306", "307", "315", "414", "604", "606", "610", "612"), "system"),
    "605": "management login",
    "305": "address translation",
    "609": "host table",
    "411": "interface state",
    "302": "connection statistics",
    "733": "threat detection",
    **dict.fromkeys(("400", "401", "415"), "IP audit"),
    **dict.fromkeys(("318", "409", "503", "613", "107", "312"), "routing"),
    **dict.fromkeys(("316", "320", "402", "404", "501", "602", "702", "713", "714", "715", "750", "751", "752"), "VPN"),
    **dict.fromkeys(("716", "722", "725"), "SSL VPN"),
    "717": "certificates",
    "734": "dynamic access policy",
    "735": "environment",
    "746": "identity firewall",
    "747": "clustering",
    "212": "SNMP",
    "321": "resources",
    "444": "licensing",
}


# Skipped lines are most of an ASA log (302013/302014 above all), so their
# reasons are made once per id.
_SKIP_REASONS = {msg_id: f"allowed traffic: {what}" for msg_id, what in _ALLOWED.items()}


def _unhandled(msg_id: str, body: str) -> str:
    """The skip reason for a message no handler reads."""
    reason = _SKIP_REASONS.get(msg_id)
    if reason is not None:
        return reason
    what = _NOT_TRAFFIC.get(msg_id)
    family = msg_id[:3]
    if what is None and family in _PACKET_FAMILIES:
        if _DENY_WORDS.search(body):
            raise LineError(f"message {msg_id} looks like a deny this parser does not read: {body[:80]!r}")
        return f"not a traffic record: message ({msg_id})"  # not cached: the next one may read like a deny
    reason = _SKIP_REASONS[msg_id] = f"not a traffic record: {what or _FAMILIES.get(family, 'message')} ({msg_id})"
    return reason


def _time(header: str, ctx: ParseContext) -> datetime:
    m = _STAMP.match(header)
    if m is None:
        raise LineError("no time stamp before the message tag")
    if m["iso"]:
        return parse_iso_time(m["iso"], ctx)
    zone = m["zone"]
    if zone is not None and (zone in _ZONE_OFFSETS or zone in _AMBIGUOUS_ZONES):
        key = ("cisco zone", m["mon"], m["day"], m["year"], m["hms"], zone)
        cached = ctx._cache.get(key)
        if cached is None:
            cached = _zoned_time(m, zone, ctx)
            if len(ctx._cache) > 200_000:
                ctx._cache.clear()
            ctx._cache[key] = cached
        return cached
    if m["year"] is None:
        return ctx.syslog_time(m["mon"], m["day"], m["hms"])
    return ctx.naive_time(_naive(m, int(m["year"])))


def _naive(m: re.Match, year: int) -> datetime:
    hh, mm, ss = m["hms"].split(":")
    try:
        return datetime(year, MONTHS[m["mon"].lower()], int(m["day"]), int(hh), int(mm), int(ss))
    except ValueError:
        raise LineError(f"impossible date {m['mon']} {m['day']} {year} {m['hms']}") from None


def _zoned_time(m: re.Match, zone: str, ctx: ParseContext) -> datetime:
    if m["year"] is not None:
        return _in_zone(_naive(m, int(m["year"])), zone, ctx)
    # Without a year: the latest year that does not put the line after the
    # submission (a day of slack for clock skew), as ParseContext does.
    latest = ctx.received_at + timedelta(days=1)
    for year in (latest.year, latest.year - 1):
        try:
            placed = _in_zone(_naive(m, year), zone, ctx)
        except LineError:
            if m["mon"] == "Feb" and m["day"] == "29":
                continue  # not a leap year
            raise
        if placed <= latest:
            return placed
    raise LineError(f"cannot place {m['mon']} {m['day']} {m['hms']} {zone} in a year")


def _in_zone(naive: datetime, zone: str, ctx: ParseContext) -> datetime:
    offset = _ZONE_OFFSETS.get(zone)
    if offset is not None:
        return (naive - timedelta(minutes=offset)).replace(tzinfo=UTC)
    for fold in (0, 1):
        local = naive.replace(tzinfo=ctx.tz, fold=fold)
        if local.tzname() == zone:
            return local.astimezone(UTC)
    raise LineError(
        f"the device stamp's zone {zone} may be {_AMBIGUOUS_ZONES[zone]}; "
        f"choose the firewall's time zone for the upload ({ctx.tz.key} does not use {zone} then)"
    )


class CiscoAsaParser(Parser):
    name = "cisco_asa"
    label = "Cisco PIX / ASA / FTD syslog"

    def matches(self, line: str) -> bool:
        return "%" in line and _TAG.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        tag = _TAG.search(line)
        if tag is None:
            raise LineError("no %ASA-, %PIX- or %FTD- message tag")
        msg_id = tag[1]
        header, body = line[: tag.start()], line[tag.end() :]
        repeated = 1
        if body.startswith("message repeated "):
            wrapper = _REPEATED.match(body)
            if wrapper is not None:
                repeated, body = int(wrapper[1]), body[wrapper.end() :].rstrip().removesuffix("]")
        elif "repeated" in header:
            wrapper = _REPEATED.search(header)
            if wrapper is not None:
                repeated, body = int(wrapper[1]), body.rstrip().removesuffix("]")
        handler = _HANDLERS.get(msg_id)
        if handler is None:
            return Skipped(lineno, _unhandled(msg_id, body))
        flow = handler(body)
        if isinstance(flow, str):
            return Skipped(lineno, flow)
        proto, src, sport, dst, dport, flags, count, when = flow
        if repeated != 1:
            count = check_count(count * repeated)
        return ParsedEvent(
            lineno,
            parse_iso_time(when, ctx) if when else _time(header, ctx),
            src,
            dst,
            proto,
            sport,
            dport,
            flags if proto == "tcp" else "",
            count,
        )


parser = CiscoAsaParser()
