"""Juniper SRX security logs, specified by example.

Every line is written by hand from the message formats in Juniper's
references, with generated addresses: the Junos System Log Messages
Reference (RT_FLOW_SESSION_DENY, _CREATE, _CLOSE and APPTRACK_SESSION_*;
RT_SCREEN_TCP, _UDP, _ICMP, _IP, _SESSION_LIMIT; IDP_ATTACK_LOG_EVENT;
WEBFILTER_URL_BLOCKED / _PERMITTED; SECINTEL_ACTION_LOG), "Information
Provided in Session Log Entries for SRX Series" (the structured-data field
names and their order) and the Junos CLI Reference for screen
``alarm-without-drop`` and the IDP rule actions. The screen examples follow
the ones Juniper's RT_SCREEN_TCP description quotes ("SYN flood!", "Port
scan!", "No TCP flag!").
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.juniper_srx import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

SD = "<14>1 {stamp} srx-gw1 {process} - {tag} [junos@2636.1.1.1.2.129 {params}]"

SD_DENY_UDP = SD.format(
    stamp="2026-11-14T11:12:46.573+01:00",
    process="RT_FLOW",
    tag="RT_FLOW_SESSION_DENY",
    params='source-address="45.33.20.5" source-port="37233" destination-address="100.70.0.1" destination-port="161" '
    'connection-tag="0" service-name="None" protocol-id="17" icmp-type="0" policy-name="mgmt-cleanup" '
    'source-zone-name="untrust" destination-zone-name="junos-host" application="UNKNOWN" '
    'nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface="ge-0/0/0.0" '
    'encrypted="No" reason="Denied by policy" session-id-32="7087"',
)
SD_DENY_TCP = SD.format(
    stamp="2026-05-01T08:26:51.179Z",
    process="RT_FLOW",
    tag="RT_FLOW_SESSION_DENY",
    params='source-address="185.220.101.4" source-port="56639" destination-address="100.70.2.8" '
    'destination-port="2003" service-name="None" protocol-id="6" icmp-type="0" policy-name="log-all-else" '
    'source-zone-name="untrust" destination-zone-name="mgmt" packet-incoming-interface="reth6.0" encrypted="No"',
)
SD_CREATE = SD.format(
    stamp="2026-11-14T09:37:51.184+01:00",
    process="RT_FLOW",
    tag="RT_FLOW_SESSION_CREATE",
    params='source-address="100.70.5.1" source-port="594" destination-address="45.33.7.7" destination-port="443" '
    'connection-tag="0" service-name="junos-https" nat-source-address="100.70.5.1" nat-source-port="594" '
    'nat-destination-address="45.33.7.7" nat-destination-port="443" protocol-id="6" policy-name="trust-out" '
    'source-zone-name="trust" destination-zone-name="untrust" session-id-32="6093"',
)
SD_CLOSE = SD.format(
    stamp="2026-04-12T14:29:06.576Z",
    process="RT_FLOW",
    tag="RT_FLOW_SESSION_CLOSE",
    params='reason="TCP FIN" source-address="100.70.5.20" source-port="47776" destination-address="89.248.160.4" '
    'destination-port="80" connection-tag="0" service-name="junos-http" protocol-id="6" policy-name="permit_all" '
    'source-zone-name="trust" destination-zone-name="untrust" session-id-32="5" packets-from-client="6" '
    'bytes-from-client="337" packets-from-server="4" bytes-from-server="535" elapsed-time="1"',
)
APPTRACK = SD.format(
    stamp="2026-01-19T15:18:17.040",
    process="RT_FLOW",
    tag="APPTRACK_SESSION_CREATE",
    params='source-address="100.70.224.30" source-port="3129" destination-address="45.33.137.56" '
    'destination-port="21" service-name="junos-ftp" application="UNKNOWN" protocol-id="6" '
    'policy-name="General-Outbound"',
)
PLAIN_DENY_UDP = (
    "Sep 29 23:49:20 srx-1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 45.33.9.1/54924->100.70.1.1/53 "
    "junos-dns-udp 17(0) default-deny(global) untrust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy deny"
)
# The ICMP type rides in the parentheses after the protocol; older releases leave out the host name.
PLAIN_DENY_ICMP = (
    "Nov  3 19:06:50  srx220 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 89.248.106.22/0->100.70.223.15/0 "
    "ICMP 1(3) unknown untrust unknown ICMP ICMP unknown(unknown) ge-0/0/7.0"
)
PLAIN_DENY_NO_HOST = (
    "Dec 16 05:02:28  RT_FLOW: RT_FLOW_SESSION_DENY: session denied 45.33.0.32/9370->100.70.254.131/370 None 17(0) "
    "default-deny untrust trust"
)
# Newer Junos adds a connection tag between the flow and the service.
PLAIN_DENY_TAGGED = (
    "Nov 22 10:00:02 srx-edge RT_FLOW: RT_FLOW_SESSION_DENY: session denied 185.220.100.5/8->100.70.0.9/0 0x0 icmp "
    "1(8) deny-all untrust servers UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0 No policy deny 0"
)
PLAIN_RFC5424 = (
    "<14>1 2026-05-25T14:47:23Z srx.example RT_FLOW - RT_FLOW_SESSION_DENY: session denied "
    "89.248.2.20/60000->100.70.1.10/8090 None 6(0) DEFAULT-DENY ZONE-UNTRUST ZONE-DMZ UNKNOWN UNKNOWN N/A(N/A) "
    "ge-0/0/0.0"
)
PLAIN_CLOSE = (
    "Nov 22 10:00:03 srx-edge RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed {reason}: "
    "45.33.30.5/51234->100.70.0.7/443 junos-https 45.33.30.5/51234->100.70.0.7/443 1 2 6 allow-web untrust "
    "dmz 4021 {packets} 0(0) 1 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No"
)

# Screens, structured and plain; the plain text after the structured data repeats it.
SCREEN_SYN_FLOOD = SD.format(
    stamp="2026-11-22T10:00:01.000+01:00",
    process="RT_IDS",
    tag="RT_SCREEN_TCP",
    params='attack-name="SYN flood!" source-address="45.33.12.7" source-port="40001" destination-address="100.70.3.9" '
    'destination-port="22" source-zone-name="untrust" interface-name="ge-0/0/0.0" action="drop"',
) + (
    " SYN flood! source: 45.33.12.7:40001, destination: 100.70.3.9:22, zone name: untrust, "
    "interface name: ge-0/0/0.0, action: drop"
)
SCREEN_PORT_SCAN = (
    "Nov 22 10:00:02 srx-edge RT_IDS: RT_SCREEN_TCP: TCP port scan! source: 185.220.101.4:51234, "
    "destination: 100.70.3.9:8080, zone name: untrust, interface name: ge-0/0/0.0, action: drop"
)
SCREEN_ICMP_SWEEP = (
    "Nov 22 10:00:03 srx-edge RT_IDS: RT_SCREEN_ICMP: ICMP address sweep! source: 89.248.165.2, "
    "destination: 100.70.3.10, zone name: untrust, interface name: ge-0/0/0.0, action: drop"
)
SCREEN_TEARDROP = (
    "Nov 22 10:00:04 srx-edge RT_IDS: RT_SCREEN_IP: Tear drop attack! source: 89.248.165.3, "
    "destination: 100.70.3.11, protocol-id: 17, zone name: untrust, interface name: ge-0/0/0.0, action: drop"
)
SCREEN_SPOOFING = SD.format(
    stamp="2026-08-24T04:58:58.724Z",
    process="RT_IDS",
    tag="RT_SCREEN_IP",
    params='attack-name="IP spoofing!" source-address="45.33.99.1" destination-address="100.70.9.1" '
    'protocol-id="17" source-zone-name="untrust" interface-name="ge-0/0/0.0" action="drop"',
)
SCREEN_UDP_FLOOD = SD.format(
    stamp="2026-11-22T10:00:05Z",
    process="RT_IDS",
    tag="RT_SCREEN_UDP",
    params='attack-name="UDP flood!" source-address="185.220.102.8" source-port="5353" '
    'destination-address="100.70.3.12" destination-port="53" source-zone-name="untrust" '
    'interface-name="ge-0/0/0.0" action="drop"',
)
SCREEN_SESSION_LIMIT = SD.format(
    stamp="2026-11-22T10:00:06Z",
    process="RT_IDS",
    tag="RT_SCREEN_SESSION_LIMIT",
    params='attack-name="Src IP session limit!" source-address="89.248.163.1" source-port="40000" '
    'destination-address="100.70.3.13" destination-port="25" protocol-id="6" source-zone-name="untrust" '
    'interface-name="ge-0/0/0.0" action="drop"',
)
# Releases before the action field: a screen drops unless configured alarm-without-drop.
SCREEN_NO_ACTION = (
    "Nov 22 10:00:07 srx-edge RT_IDS: RT_SCREEN_TCP: No TCP flag! source: 45.33.1.2:9069, "
    "destination: 100.70.3.9:34176, zone name: external, interface name: reth0.0"
)

IDP_SD = SD.format(
    stamp="2026-11-22T10:00:08Z",
    process="RT_IDP",
    tag="IDP_ATTACK_LOG_EVENT",
    params='epoch-time="1795341608" message-type="SIG" source-address="185.220.101.9" source-port="45610" '
    'destination-address="100.70.8.20" destination-port="80" protocol-name="TCP" service-name="SERVICE_IDP" '
    'application-name="HTTP" rule-name="9" rulebase-name="IPS" policy-name="Recommended" export-id="15229" '
    'repeat-count="0" action="DROP" threat-severity="HIGH" attack-name="HTTP:STC:SCRIPT:UNI-SHELLCODE" '
    'nat-source-address="0.0.0.0" nat-source-port="0" nat-destination-address="0.0.0.0" nat-destination-port="0" '
    'elapsed-time="0" source-zone-name="untrust" source-interface-name="ge-0/0/0.0" destination-zone-name="dmz" '
    'destination-interface-name="ge-0/0/2.0" packet-log-id="0" alert="no" username="N/A" roles="N/A" message="-"',
)
IDP_PLAIN = (
    "Nov 22 10:00:09 srx-edge RT_IDP: IDP_ATTACK_LOG_EVENT: IDP: at 1795341609, SIG Attack log "
    "<untrust/ge-0/0/0.0:89.248.160.9:50123->dmz/ge-0/0/2.0:100.70.8.21:445> for TCP protocol and service "
    "SERVICE_IDP application SMB by rule 3 of rulebase IPS in policy Recommended. attack: id=3322, repeat=0, "
    "action=CLOSE, threat-severity=CRITICAL, name=SMB:EXPLOIT:ETERNALBLUE, NAT <0.0.0.0:0->0.0.0.0:0>, "
    "time-elapsed=0, inbytes=0, outbytes=0, inpackets=0, outpackets=0, intf:ge-0/0/0.0->ge-0/0/2.0, "
    "packet-log-id: 0, alert=no, username=N/A, roles=N/A and misc-message -"
)
URL_BLOCKED = SD.format(
    stamp="2026-11-22T10:00:10Z",
    process="RT_UTM",
    tag="WEBFILTER_URL_BLOCKED",
    params='source-address="100.70.4.12" source-port="51544" destination-address="89.248.160.33" '
    'destination-port="80" category="Enhanced_Malicious_Web_Sites" reason="BY_PRE_DEFINED" '
    'profile="web-filter-ewf" url="malware.example" obj="/" username="N/A" roles="N/A"',
)
URL_BLOCKED_PLAIN = (
    'Nov 22 10:00:11 srx-edge RT_UTM: WEBFILTER_URL_BLOCKED: WebFilter: ACTION="URL Blocked" '
    '100.70.4.13(51545)->89.248.160.34(443) CATEGORY="Malicious" REASON="BY_PRE_DEFINED" PROFILE="web-filter-ewf" '
    "URL=malware.example OBJ=/ username N/A roles N/A"
)
SECINTEL_BLOCK = SD.format(
    stamp="2026-11-22T10:00:12Z",
    process="RT_SECINTEL",
    tag="SECINTEL_ACTION_LOG",
    params='category="secintel" sub-category="Blacklist" action="BLOCK" action-detail="DROP" http-host="N/A" '
    'threat-severity="0" source-address="89.248.165.77" source-port="41234" destination-address="100.70.3.9" '
    'destination-port="443" protocol-id="6" feed-name="cc_ip_data" policy-name="secintel-policy" '
    'source-zone-name="untrust" destination-zone-name="trust"',
)


ctx = partial(make_ctx, received=RECEIVED)


def test_structured_deny_is_an_event_in_utc():
    assert parse_one(parser, SD_DENY_UDP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 14, 10, 12, 46, 573000, tzinfo=UTC),
        source_ip="45.33.20.5",
        target_ip="100.70.0.1",
        protocol="udp",
        source_port=37233,
        target_port=161,
    )


def test_structured_tcp_deny_with_z_stamp():
    assert parse_one(parser, SD_DENY_TCP, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 5, 1, 8, 26, 51, 179000, tzinfo=UTC),
        source_ip="185.220.101.4",
        target_ip="100.70.2.8",
        protocol="tcp",
        source_port=56639,
        target_port=2003,
    )


def test_relay_header_is_ignored_in_favour_of_the_device_stamp():
    line = "Sep 23 13:54:55 100.70.1.1 junos-flow: " + SD_DENY_UDP.removeprefix("<14>1 ")
    result = parse_one(parser, line, ctx())
    assert result.time == datetime(2026, 11, 14, 10, 12, 46, 573000, tzinfo=UTC)
    assert (result.source_ip, result.target_port, result.protocol) == ("45.33.20.5", 161, "udp")


def test_logical_system_deny_is_an_event():
    result = parse_one(parser, SD_DENY_UDP.replace("RT_FLOW_SESSION_DENY", "RT_FLOW_SESSION_DENY_LS"), ctx())
    assert (result.source_ip, result.target_port) == ("45.33.20.5", 161)


def test_structured_icmp_deny_puts_the_icmp_type_in_the_source_port():
    line = SD_DENY_TCP.replace('protocol-id="6" icmp-type="0"', 'protocol-id="1" icmp-type="8"')
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, None)


def test_structured_ipv6_deny():
    line = SD_DENY_TCP.replace('"185.220.101.4"', '"2a0e:97c0:0:0::5"').replace('"100.70.2.8"', '"2a01:4f8:c0c::7"')
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.target_port) == ("2a0e:97c0::5", "2a01:4f8:c0c::7", 2003)


def test_iso_stamp_without_offset_is_read_in_the_submission_zone():
    line = SD_DENY_TCP.replace("2026-05-01T08:26:51.179Z", "2026-07-01T08:26:51")
    assert parse_one(parser, line, ctx("America/New_York")).time == datetime(2026, 7, 1, 12, 26, 51, tzinfo=UTC)


def test_sessions_a_policy_permitted_are_allowed_traffic():
    assert parse_all(parser, [SD_CREATE, SD_CLOSE, APPTRACK], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "allowed traffic"),
        Skipped(3, "allowed traffic"),
    ]


@pytest.mark.parametrize("reason", ["policy deny", "Denied by policy", "pre-id default policy deny"])
def test_close_with_a_deny_reason_is_an_event(reason):
    result = parse_one(parser, SD_CLOSE.replace('reason="TCP FIN"', f'reason="{reason}"'), ctx())
    assert (result.source_ip, result.target_ip, result.protocol, result.source_port, result.target_port) == (
        "100.70.5.20",
        "89.248.160.4",
        "tcp",
        47776,
        80,
    )


@pytest.mark.parametrize("reason", ["TCP FIN", "TCP CLIENT RST", "idle Timeout", "aged out", "unset", "CLI"])
def test_close_with_any_other_reason_ended_an_allowed_session(reason):
    assert parse_one(parser, SD_CLOSE.replace('reason="TCP FIN"', f'reason="{reason}"'), ctx()) == Skipped(
        1, "allowed traffic"
    )


def test_plain_deny_is_an_event_in_the_submission_zone():
    assert parse_one(parser, PLAIN_DENY_UDP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 30, 3, 49, 20, tzinfo=UTC),  # EDT is UTC-4
        source_ip="45.33.9.1",
        target_ip="100.70.1.1",
        protocol="udp",
        source_port=54924,
        target_port=53,
    )


def test_plain_icmp_deny_takes_the_type_from_the_parentheses():
    icmp, tagged = parse_all(parser, [PLAIN_DENY_ICMP, PLAIN_DENY_TAGGED], ctx())
    assert (icmp.protocol, icmp.source_port, icmp.target_port) == ("icmp", 3, None)
    assert icmp.time == datetime(2026, 11, 3, 19, 6, 50, tzinfo=UTC)
    assert (tagged.protocol, tagged.source_ip, tagged.source_port) == ("icmp", "185.220.100.5", 8)


def test_plain_deny_without_hostname_in_december_belongs_to_last_year():
    result = parse_one(parser, PLAIN_DENY_NO_HOST, ctx())
    assert (result.time, result.protocol, result.target_port) == (
        datetime(2025, 12, 16, 5, 2, 28, tzinfo=UTC),
        "udp",
        370,
    )


def test_plain_text_under_an_rfc5424_header():
    result = parse_one(parser, PLAIN_RFC5424, ctx("Asia/Tokyo"))
    assert (result.time, result.source_ip, result.target_port, result.protocol) == (
        datetime(2026, 5, 25, 14, 47, 23, tzinfo=UTC),
        "89.248.2.20",
        8090,
        "tcp",
    )


def test_plain_ipv6_deny():
    line = PLAIN_DENY_UDP.replace("45.33.9.1/", "2a0e:97c0::5/").replace("100.70.1.1/", "2a01:4f8:c0c::7/")
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.source_port, result.target_port) == (
        "2a0e:97c0::5",
        "2a01:4f8:c0c::7",
        54924,
        53,
    )


def test_plain_stamp_with_year_uses_that_year():
    line = PLAIN_DENY_UDP.replace("Sep 29 23:49:20", "Sep 29 2024 23:49:20.250")
    assert parse_one(parser, line, ctx()).time == datetime(2024, 9, 29, 23, 49, 20, tzinfo=UTC)


def test_plain_close_depends_on_the_reason():
    denied, normal, unset = parse_all(
        parser,
        [
            PLAIN_CLOSE.format(reason="policy deny", packets="1(60)"),
            PLAIN_CLOSE.format(reason="TCP FIN", packets="12(4020)"),
            PLAIN_CLOSE.format(reason="unset", packets="58(5362)"),
        ],
        ctx(),
    )
    # NAT rule names "1" and "2" are digits too; the protocol is the 6 before the policy.
    assert (denied.protocol, denied.source_port, denied.target_port) == ("tcp", 51234, 443)
    assert normal == Skipped(2, "allowed traffic")
    assert unset == Skipped(3, "allowed traffic")


def test_plain_create_is_allowed_traffic():
    line = (
        "Dec  6 13:10:49  srx220 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 100.70.1.1/16138->"
        "45.33.201.112/9100 None 100.70.1.1/16138->45.33.201.112/9100 None None 6 trust-to-print trust print 5510"
    )
    assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic")


def test_structured_screen_drop_is_an_event_with_ports():
    assert parse_one(parser, SCREEN_SYN_FLOOD, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),
        source_ip="45.33.12.7",
        target_ip="100.70.3.9",
        protocol="tcp",
        source_port=40001,
        target_port=22,
    )


def test_plain_screen_drops_of_every_family():
    scan, sweep, teardrop = parse_all(parser, [SCREEN_PORT_SCAN, SCREEN_ICMP_SWEEP, SCREEN_TEARDROP], ctx())
    assert scan == ParsedEvent(
        1, datetime(2026, 11, 22, 10, 0, 2, tzinfo=UTC), "185.220.101.4", "100.70.3.9", "tcp", 51234, 8080
    )
    # ICMP and IP screens give addresses only; the IP family names its protocol.
    assert (sweep.source_ip, sweep.target_ip, sweep.protocol, sweep.source_port) == (
        "89.248.165.2",
        "100.70.3.10",
        "icmp",
        None,
    )
    assert (teardrop.source_ip, teardrop.protocol, teardrop.source_port, teardrop.target_port) == (
        "89.248.165.3",
        "udp",
        None,
        None,
    )


def test_structured_ip_udp_and_session_limit_screens():
    spoof, flood, limit = parse_all(parser, [SCREEN_SPOOFING, SCREEN_UDP_FLOOD, SCREEN_SESSION_LIMIT], ctx())
    assert (spoof.source_ip, spoof.target_ip, spoof.protocol, spoof.target_port) == (
        "45.33.99.1",
        "100.70.9.1",
        "udp",
        None,
    )
    assert (flood.protocol, flood.source_port, flood.target_port) == ("udp", 5353, 53)
    assert (limit.source_ip, limit.protocol, limit.target_port) == ("89.248.163.1", "tcp", 25)


def test_screen_of_a_logical_system():
    line = SCREEN_SYN_FLOOD.replace("RT_SCREEN_TCP", "RT_SCREEN_TCP_LS")
    assert parse_one(parser, line, ctx()).target_port == 22


def test_screen_without_an_action_field_dropped_by_default():
    result = parse_one(parser, SCREEN_NO_ACTION, ctx())
    assert (result.source_ip, result.protocol, result.source_port, result.target_port) == (
        "45.33.1.2",
        "tcp",
        9069,
        34176,
    )


def test_plain_ipv6_screens_split_the_port_off_the_last_group():
    tcp = SCREEN_PORT_SCAN.replace("185.220.101.4:51234", "2a0e:97c0:0:0:0:0:0:2:3240").replace(
        "100.70.3.9:8080", "2a01:4f8:0:0:0:0:0:2:139"
    )
    icmp = SCREEN_ICMP_SWEEP.replace("89.248.165.2", "2a0e:97c0::9").replace("100.70.3.10", "2a01:4f8::10")
    scan, sweep = parse_all(parser, [tcp, icmp], ctx())
    assert (scan.source_ip, scan.source_port, scan.target_ip, scan.target_port) == (
        "2a0e:97c0::2",
        3240,
        "2a01:4f8::2",
        139,
    )
    assert (sweep.source_ip, sweep.target_ip, sweep.protocol) == ("2a0e:97c0::9", "2a01:4f8::10", "icmpv6")


def test_screen_alarm_without_drop_let_the_traffic_through():
    lines = [
        SCREEN_SYN_FLOOD.replace('action="drop"', 'action="alarm-without-drop"'),
        SCREEN_PORT_SCAN.replace("action: drop", "action: alarm-without-drop"),
    ]
    assert parse_all(parser, lines, ctx()) == [
        Skipped(1, "allowed traffic: screen alarm without drop"),
        Skipped(2, "allowed traffic: screen alarm without drop"),
    ]


def test_screens_that_cannot_be_stored_are_rejected_with_the_reason():
    # Built: the source-based SYN flood screen names only the attacker.
    source_only = (
        "Nov 22 10:00:08 srx-edge RT_IDS: RT_SCREEN_TCP_SRC_IP: SYN flood Src-IP based! source: 45.33.5.5, "
        "zone name: untrust, interface name: ge-0/0/0.0, action: drop"
    )
    lines = [
        source_only,
        SCREEN_SYN_FLOOD.replace('action="drop"', 'action="quarantine"'),
        SCREEN_SESSION_LIMIT.replace(' protocol-id="6"', ""),
    ]
    assert [(r.lineno, r.reason) for r in parse_all(parser, lines, ctx())] == [
        (1, "RT_SCREEN_TCP_SRC_IP (SYN flood Src-IP based!) names no destination address"),
        (2, "unknown screen action 'quarantine' in RT_SCREEN_TCP"),
        (3, "RT_SCREEN_SESSION_LIMIT without a protocol-id"),
    ]


def test_idp_attack_dropped_or_closed_is_an_event():
    structured, plain = parse_all(parser, [IDP_SD, IDP_PLAIN], ctx())
    assert structured == ParsedEvent(
        1, datetime(2026, 11, 22, 10, 0, 8, tzinfo=UTC), "185.220.101.9", "100.70.8.20", "tcp", 45610, 80
    )
    assert (plain.source_ip, plain.target_ip, plain.source_port, plain.target_port, plain.protocol) == (
        "89.248.160.9",
        "100.70.8.21",
        50123,
        445,
        "tcp",
    )


@pytest.mark.parametrize("action", ["DROP_PACKET", "CLOSE_CLIENT_AND_SERVER", "CLOSE_SERVER"])
def test_every_blocking_idp_action_is_an_event(action):
    assert parse_one(parser, IDP_SD.replace('action="DROP"', f'action="{action}"'), ctx()).target_port == 80


@pytest.mark.parametrize("action", ["NONE", "IGNORE", "DIFFSERV"])
def test_idp_rules_that_only_log_let_the_traffic_through(action):
    assert parse_one(parser, IDP_SD.replace('action="DROP"', f'action="{action}"'), ctx()) == Skipped(
        1, f"allowed traffic: IDP_ATTACK_LOG_EVENT action {action}"
    )


def test_idp_plain_ipv6_endpoints():
    line = IDP_PLAIN.replace("89.248.160.9:50123", "2a0e:97c0::15:50123").replace("100.70.8.21:445", "2a01:4f8::21:445")
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2a0e:97c0::15",
        50123,
        "2a01:4f8::21",
        445,
    )


def test_url_blocked_is_an_event_and_url_permitted_allowed_traffic():
    structured, plain, permitted = parse_all(
        parser, [URL_BLOCKED, URL_BLOCKED_PLAIN, URL_BLOCKED.replace("URL_BLOCKED", "URL_PERMITTED")], ctx()
    )
    assert structured == ParsedEvent(
        1, datetime(2026, 11, 22, 10, 0, 10, tzinfo=UTC), "100.70.4.12", "89.248.160.33", "tcp", 51544, 80
    )
    assert (plain.source_ip, plain.source_port, plain.target_ip, plain.target_port) == (
        "100.70.4.13",
        51545,
        "89.248.160.34",
        443,
    )
    assert permitted == Skipped(3, "allowed traffic: WEBFILTER_URL_PERMITTED")


def test_security_intelligence_block_is_an_event_and_permit_allowed_traffic():
    blocked, permitted = parse_all(
        parser, [SECINTEL_BLOCK, SECINTEL_BLOCK.replace('action="BLOCK"', 'action="PERMIT"')], ctx()
    )
    assert (blocked.source_ip, blocked.target_ip, blocked.protocol, blocked.target_port) == (
        "89.248.165.77",
        "100.70.3.9",
        "tcp",
        443,
    )
    assert permitted == Skipped(2, "allowed traffic: SECINTEL_ACTION_LOG action PERMIT")


def test_messages_that_are_not_about_a_connection():
    lines = [
        "Nov 22 10:00:01 srx-edge sshd[4242]: Accepted password for admin from 45.33.20.20 port 50022 ssh2",
        "Nov 22 10:00:02 srx-edge mgd[5150]: UI_COMMIT: User 'admin' requested 'commit' operation",
        SD.format(stamp="2026-11-22T10:00:03Z", process="mgd", tag="UI_LOGIN_EVENT", params='username="admin"'),
        SD.format(
            stamp="2026-11-22T10:00:04Z",
            process="RT_IDP",
            tag="IDP_APPDDOS_APP_STATE_EVENT",
            params='ddos-application-name="HTTP" destination-address="100.70.8.20"',
        ),
        URL_BLOCKED.replace("WEBFILTER_URL_BLOCKED", "AV_VIRUS_DETECTED_MT"),
    ]
    assert parse_all(parser, lines, ctx()) == [
        Skipped(1, "not a traffic record: sshd message"),
        Skipped(2, "not a traffic record: UI_COMMIT message"),
        Skipped(3, "not a traffic record: UI_LOGIN_EVENT message"),
        Skipped(4, "not a traffic record: IDP_APPDDOS_APP_STATE_EVENT"),
        Skipped(5, "not a traffic record: AV_VIRUS_DETECTED_MT (a content verdict, not a block)"),
    ]


def test_unknown_security_messages_are_rejected_not_skipped():
    lines = [
        SD.format(stamp="2026-11-22T10:00:01Z", process="RT_FLOW", tag="RT_FLOW_SESSION_SOMETHING_NEW", params=""),
        "Nov 22 10:00:02 srx-edge RT_FLOW: FLOW_REASSEMBLE_SUCCEED: packet reassembled",
        "this is not a syslog line",
    ]
    assert parse_all(parser, lines, ctx()) == [
        Rejection(1, "unknown Junos security message RT_FLOW_SESSION_SOMETHING_NEW", lines[0]),
        Rejection(2, "unknown RT_FLOW message FLOW_REASSEMBLE_SUCCEED", lines[1]),
        Rejection(3, "not a Juniper syslog line", lines[2]),
    ]


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        SD_DENY_TCP,
        SD_DENY_TCP.replace('source-address="185.220.101.4"', 'source-address="185.220.101"'),
        SD_DENY_TCP.replace('protocol-id="6" ', ""),
        SD_DENY_TCP.replace('destination-port="2003"', 'destination-port="65536"'),
        "Nov 22 10:00:01 srx RT_FLOW: RT_FLOW_SESSION_DENY: session denied somewhere",
        "RT_FLOW: RT_FLOW_SESSION_DENY: session denied 45.33.0.1/1->100.70.0.2/2 junos-dns-udp 17(0) p a b",
        SD_DENY_TCP.replace("2026-05-01T08:26:51.179Z", "2026-13-01T08:26:51.179Z"),
        IDP_SD.replace('action="DROP"', 'action="SHRUG"'),
        IDP_PLAIN.replace("<untrust/", "untrust/"),
        PLAIN_DENY_UDP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '185.220.101'"),
        (3, "RT_FLOW_SESSION_DENY without protocol-id"),
        (4, "port 65536 out of range"),
        (5, "unreadable 'session denied' message"),
        (6, "no time stamp before the Junos message"),
        (7, "unreadable time stamp '2026-13-01T08:26:51.179Z'"),
        (8, "unknown action 'SHRUG' in IDP_ATTACK_LOG_EVENT"),
        (9, "unreadable IDP_ATTACK_LOG_EVENT message (structured logging reads best)"),
    ]
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1, 10]


def test_matches_security_messages_only():
    assert all(
        parser.matches(line)
        for line in (SD_DENY_UDP, SD_CREATE, PLAIN_DENY_UDP, APPTRACK, SCREEN_PORT_SCAN, SCREEN_SPOOFING, IDP_PLAIN)
    )
    assert all(parser.matches(line) for line in (URL_BLOCKED, SECINTEL_BLOCK))
    assert not parser.matches("Nov 22 10:00:01 srx-edge sshd[4242]: Accepted password for admin")
    assert not parser.matches("Nov 22 10:00:01 host CRON[4242]: (root) CMD (run-parts /etc/cron.hourly)")
    # Tags other vendors could write count only after a Junos security process.
    assert not parser.matches('date=2026-11-22 time=10:00:01 type="utm" subtype="virus" msg="AV_ENGINE_UPDATE"')


@pytest.mark.parametrize(
    "sample",
    [
        [SD_DENY_UDP, SD_CREATE, SD_CLOSE],
        [PLAIN_DENY_UDP, PLAIN_DENY_ICMP, ""],
        # A log of nothing but screen drops, plain and structured.
        [SCREEN_PORT_SCAN, SCREEN_ICMP_SWEEP, SCREEN_TEARDROP, SCREEN_NO_ACTION],
        [SCREEN_SYN_FLOOD, SCREEN_SPOOFING, SCREEN_UDP_FLOOD, SCREEN_SESSION_LIMIT],
        [IDP_SD, IDP_PLAIN, URL_BLOCKED],
        # System messages outnumbering the security ones.
        [
            "Nov 22 10:00:01 srx-edge mgd[5150]: UI_COMMIT: User 'admin' requested 'commit' operation",
            "Nov 22 10:00:02 srx-edge mgd[5150]: UI_COMMIT_COMPLETED: commit complete",
            SD.format(stamp="2026-11-22T10:00:03Z", process="sshd", tag="SSHD_LOGIN_FAILED", params='username="x"'),
            PLAIN_DENY_UDP,
        ],
    ],
)
def test_detect_picks_juniper_srx(sample):
    assert detect(sample) is parser
