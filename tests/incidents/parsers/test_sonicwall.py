"""SonicWall (SonicOS) key=value syslog, specified by example.

Event ids and messages are those of the SonicOS 6.5.1 Log Events Reference
Guide (36/37/38/41 packet drops, 173-175 LAN denies, 267 TCP Xmas Tree, 608
IPS Detection against 609 IPS Prevention, 98/537 connection opened/closed,
1198 and 1200 geo-IP and botnet blocks); field names follow its "Index of
Syslog Tag Field Description" and SonicOS 7's field order (``msg`` after the
addresses, ``fw_action``). Every line is written by hand in that shape, with
generated addresses.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.sonicwall import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

HEAD = 'id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=100.70.0.1 '

TCP_DROP_UTC = (
    '<134>id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=100.70.0.1 pri=1 c=32 m=36 '
    'msg="TCP packet dropped" n=2686 src=45.33.40.5:51234:X1 dst=100.70.0.7:22:X0 proto=tcp/ssh fw_action="drop"'
)
# Older firmware: "TCP connection dropped", WAN/LAN interface names, no zone on the stamp.
OLD_TCP_DROP = (
    'id=firewall sn=00301E0526B1 time="2004-04-01 10:39:35" fw=100.70.44.2 pri=5 c=64 m=36 '
    'msg="TCP connection dropped" n=2686 src=185.220.200.27:4507:WAN dst=100.70.44.2:445:LAN rule=0'
)
# Behind a relay's syslog header; the ports next to ICMP addresses are not type and code.
ICMP_DROP = (
    'Jan  3 13:45:43 100.70.5.1 id=firewall sn=0017C5000002 time="2007-01-03 14:48:14" fw=100.70.1.1 pri=5 c=256 '
    'm=38 msg="ICMP packet dropped due to Policy" n=22070 src=89.248.19.223:1026:WAN dst=100.70.1.1:6822:WAN '
    "type=3 code=3"
)
UDP_DROP_NO_SOURCE_PORT = (
    'id=firewall sn=0017C5000003 time="2005-10-22 00:12:11" fw=100.70.2.4 pri=5 c=128 m=37 msg="UDP packet dropped" '
    "n=14333 src=45.33.4.5 dst=100.70.6.7:1025:LAN"
)
CONNECTION_OPENED = (
    'Jan  3 13:45:36 100.70.5.1 id=firewall sn=0017C5000002 time="2007-01-03 14:48:06" fw=100.70.1.1 pri=6 '
    'c=262144 m=98 msg="Connection Opened" n=23419 src=45.33.2.2:36701:WAN dst=100.70.1.1:50000:WAN proto=tcp/50000'
)
CONNECTION_CLOSED = (
    'Jan  3 13:45:37 100.70.5.1 id=firewall sn=0017C5000002 time="2007-01-03 14:48:07" fw=100.70.1.1 pri=6 c=1024 '
    'm=537 msg="Connection Closed" n=567996 src=100.70.4.10:27577:WAN dst=100.70.5.10:53:LAN proto=tcp/dns '
    "sent=257 rcvd=242"
)
SSL_VPN_TRAFFIC = (
    '<12>Feb 5 01:02:03 fw-edge 100.70.99.1 id=firewall sn=0017C5000004 time="2026-02-05 01:02:03 UTC" '
    'fw=100.70.222.1 pri=6 c=1024 m=1153 msg="SSL VPN Traffic" sess="sslvpnc" n=1234567890 usr="someone" '
    'src=100.70.2.3:3080:X6-V80 dst=100.70.3.4:50005:X1 proto=tcp/50005 rcvd=392 rule="123 (SSLVPN->LAN)"'
)
ADMIN_LOGIN_DENIED = (
    'Jan  3 13:45:40 100.70.5.1 id=firewall sn=0017C5000002 time="2007-01-03 14:48:10" fw=100.70.1.1 pri=1 c=32 '
    'm=30 msg="Administrator login denied due to bad credentials" n=8 src=45.33.2.2:36703:WAN dst=100.70.1.1:443:WAN'
)
WEB_SITE_DENIED = (
    'id=firewall sn=0017C5000005 time="2026-03-18 08:33:45 UTC" fw=100.70.91.146 pri=3 c=4 m=14 '
    'msg="Web site access denied" app=49177 appName="General HTTPS" n=838005 '
    "src=100.70.0.62:54993:X0:pc048.example dst=89.248.242.49:443:X1 proto=tcp/https dstname=blocked.example"
)
XMAS_TREE = HEAD + 'pri=1 c=32 m=267 msg="TCP Xmas Tree dropped" n=55 src=185.220.101.33:40404:X1 dst=100.70.0.7:80:X0'
# SonicOS 7 moves msg= behind the addresses and adds zones and fw_action.
SONICOS7_BOTNET = (
    '<129>  id=firewall sn=0017C5000001 time="2026-09-29 10:00:00" fw=100.70.0.1 pri=1 c=0 gcat=3 m=1200 '
    "srcMac=00:17:c5:00:00:01 src=185.220.101.66:40112:X1 srcZone=WAN natSrc=185.220.101.66:40112 "
    'dstMac=00:17:c5:00:00:02 dst=100.70.0.7:443:X0 dstZone=LAN proto=tcp/https rcvd=76 sess="Auto" '
    'rule="Deny botnet" msg="Suspected Botnet initiator blocked: 185.220.101.66" n=1001 fw_action="drop"'
)
# Built in the SonicOS 7 order, without an event id: only msg and fw_action tell what happened.
NO_EVENT_ID_DROP = (
    'id=firewall sn=2CB8ED000000 time="2026-11-22 10:00:05 UTC" fw=100.70.0.1 pri=5 c=0 gcat=6 '
    "src=89.248.167.5:5000:X1 dst=100.70.0.8:3389:X0 srcZone=WAN dstZone=LAN proto=tcp/3389 "
    'msg="Packet dropped by access rule" fw_action="drop"'
)
IPS_PREVENTION = (
    HEAD + 'pri=1 c=32 m=609 msg="IPS Prevention Alert: WEB-ATTACKS Apache Struts RCE" sid=1234 ipscat="WEB-ATTACKS" '
    "ipspri=1 n=77 src=45.33.77.7:40010:X1 dst=100.70.0.9:8080:X0 proto=tcp/8080"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_tcp_packet_dropped_with_utc_stamp_ignores_the_submission_zone():
    assert parse_one(parser, TCP_DROP_UTC, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="45.33.40.5",
        target_ip="100.70.0.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


def test_stamp_without_zone_is_local_firewall_time():
    # 1 April 2004 was before that year's DST change, so New York was UTC-5.
    assert parse_one(parser, OLD_TCP_DROP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2004, 4, 1, 15, 39, 35, tzinfo=UTC),
        source_ip="185.220.200.27",
        target_ip="100.70.44.2",
        protocol="tcp",
        source_port=4507,
        target_port=445,
    )


def test_summer_local_stamp_uses_daylight_time():
    line = TCP_DROP_UTC.replace("2026-11-22 10:00:01 UTC", "2026-07-01 10:00:01")
    assert parse_one(parser, line, ctx("America/New_York")).time == datetime(2026, 7, 1, 14, 0, 1, tzinfo=UTC)


def test_icmp_drop_takes_type_and_code_not_the_logged_ports():
    result = parse_one(parser, ICMP_DROP, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 3, 3)
    assert (result.time, result.source_ip) == (datetime(2007, 1, 3, 14, 48, 14, tzinfo=UTC), "89.248.19.223")


def test_newer_icmp_drop_uses_icmp_code_field():
    line = (
        HEAD + 'pri=5 c=256 m=38 msg="ICMP packet dropped due to Policy" n=77 src=45.33.9.9:8:X1 dst=100.70.0.7:0:X0 '
        'srcMac=00:17:c5:00:00:01 dstMac=00:17:c5:00:00:02 proto=icmp type=8 icmpCode=0 fw_action="drop"'
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)


def test_udp_drop_without_source_port():
    result = parse_one(parser, UDP_DROP_NO_SOURCE_PORT, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "udp",
        "45.33.4.5",
        None,
        1025,
    )


def test_ipv6_addresses_come_from_srcv6_and_dstv6():
    line = (
        HEAD + 'pri=5 c=128 m=37 msg="UDP packet dropped" n=56642 srcV6=2a0e:97c0:0:0::5 src=:49702:X1 '
        "dstV6=2a01:4f8::7 dst=:5355:X0 srcMac=90:e6:ba:32:5c:45 dstMac=33:33:00:01:00:03 proto=udp/5355"
    )
    assert parse_one(parser, line, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="2a0e:97c0::5",
        target_ip="2a01:4f8::7",
        protocol="udp",
        source_port=49702,
        target_port=5355,
    )


def test_unknown_protocol_drop_reads_the_protocol_from_the_note():
    line = (
        HEAD + 'pri=6 c=1024 m=41 msg="Unknown protocol dropped" n=12 src=45.33.9.9::X1:probe.example '
        'dst=100.70.0.7::X0:fw note="IP Protocol: 47"'
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "gre",
        "45.33.9.9",
        None,
        None,
    )


def test_sonicos7_field_order_and_fw_action_drop_make_an_event():
    assert parse_one(parser, SONICOS7_BOTNET, ctx("Europe/Berlin")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 29, 8, 0, tzinfo=UTC),
        source_ip="185.220.101.66",
        target_ip="100.70.0.7",
        protocol="tcp",
        source_port=40112,
        target_port=443,
    )


def test_attack_drops_without_a_proto_field_take_the_protocol_their_event_implies():
    assert parse_one(parser, XMAS_TREE, ctx()) == ParsedEvent(
        1, datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), "185.220.101.33", "100.70.0.7", "tcp", 40404, 80
    )


@pytest.mark.parametrize(
    ("event_id", "message", "protocol"),
    [
        ("173", "TCP connection from LAN denied", "tcp"),
        ("174", "UDP packet from LAN dropped", "udp"),
        ("580", "TCP SYN/FIN packet dropped", "tcp"),
        ("1198", "Initiator from country blocked: Initiator IP:45.33.50.5 Country Name:Examplia", "tcp"),
        ("1387", "TCP Null Flag dropped", "tcp"),
        ("178", "Probable TCP XMAS scan detected", "tcp"),
        ("646", "Packet dropped; connection limit for this source IP address has been reached", "tcp"),
    ],
)
def test_drop_and_block_events_of_the_reference_are_events(event_id, message, protocol):
    line = HEAD + f'pri=1 c=32 m={event_id} msg="{message}" n=5 src=45.33.50.5:41000:X1 dst=100.70.0.7:23:X0'
    if event_id in ("1198", "646"):
        line += " proto=tcp/telnet"
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.protocol, result.target_port) == (
        "45.33.50.5",
        "100.70.0.7",
        protocol,
        23,
    )


def test_ids_not_in_the_reference_list_are_read_from_their_message():
    # A SonicOS 6 debug-category drop with no proto= field: the message names the protocol.
    line = (
        HEAD + 'pri=6 c=512 m=888 msg="TCP packet received on non-existent/closed connection; TCP packet dropped" '
        'n=1683 src=89.248.1.9:4444:X1 dst=100.70.0.7:80:X1 note="TCP Flag(s): ACK"'
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("tcp", 4444, 80)


def test_prevention_is_an_event_and_detection_only_let_the_traffic_through():
    detection = IPS_PREVENTION.replace("m=609", "m=608").replace("Prevention Alert", "Detection Alert")
    prevented, detected, detected_but_dropped = parse_all(
        parser, [IPS_PREVENTION, detection, detection + ' fw_action="drop"'], ctx()
    )
    assert (prevented.source_ip, prevented.target_port) == ("45.33.77.7", 8080)
    assert detected == Skipped(
        2,
        "allowed traffic: m=608 IPS Detection Alert: WEB-ATTACKS Apache Struts RCE (detected, not prevented)",
    )
    assert type(detected_but_dropped) is ParsedEvent


def test_lines_without_an_event_id_are_read_by_fw_action():
    forwarded = NO_EVENT_ID_DROP.replace('fw_action="drop"', 'fw_action="forward"').replace("dropped", "matched")
    event, allowed = parse_all(parser, [NO_EVENT_ID_DROP, forwarded], ctx())
    assert event == ParsedEvent(
        1, datetime(2026, 11, 22, 10, 0, 5, tzinfo=UTC), "89.248.167.5", "100.70.0.8", "tcp", 5000, 3389
    )
    assert allowed == Skipped(2, "allowed traffic")


def test_allowed_traffic_is_skipped():
    forwarded = SONICOS7_BOTNET.replace('fw_action="drop"', 'fw_action="forward"')
    assert parse_all(parser, [CONNECTION_OPENED, CONNECTION_CLOSED, SSL_VPN_TRAFFIC, forwarded], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "allowed traffic"),
        Skipped(3, "allowed traffic"),
        Skipped(4, "allowed traffic"),
    ]


def test_allowed_ids_without_fw_action_are_skipped():
    lines = [
        HEAD + 'pri=6 m=597 msg="ICMP packet allowed" n=3 src=100.70.0.7:8:X0:fw dst=45.33.5.5:0:X1 type=8 code=0',
        HEAD + 'pri=6 m=598 msg="ICMP packet from LAN allowed" n=4 src=100.70.0.9:8:X0 dst=100.70.0.1:0:X0 type=8',
        HEAD + 'pri=6 m=602 msg="DNS packet allowed" n=5 src=45.33.5.5:53:X1 dst=100.70.0.7:5353:X0 proto=udp/dns',
        HEAD + "pri=6 m=97 n=6 src=100.70.0.7:50000:X0 dst=45.33.5.5:443:X1 proto=tcp/https dstname=example.com",
    ]
    assert parse_all(parser, lines, ctx()) == [Skipped(n, "allowed traffic") for n in (1, 2, 3, 4)]


def test_fw_action_na_is_no_firewall_action_of_its_own():
    opened = CONNECTION_OPENED + ' fw_action="NA"'
    login = ADMIN_LOGIN_DENIED + ' fw_action="NA"'
    assert parse_all(parser, [opened, login], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "not a traffic record: event m=30 (Administrator login denied due to bad credentials)"),
    ]


def test_web_site_access_denied_is_blocked_traffic():
    result = parse_one(parser, WEB_SITE_DENIED, ctx())
    assert (result.source_ip, result.target_ip, result.protocol, result.target_port) == (
        "100.70.0.62",
        "89.248.242.49",
        "tcp",
        443,
    )


def test_events_that_are_not_about_a_connection_are_not_traffic_records():
    lines = [
        ADMIN_LOGIN_DENIED,
        HEAD + 'pri=6 c=16 m=1110 msg="Assigned IP address 100.70.0.50" n=9 src=100.70.0.1:67:X0 dst=100.70.0.50:68:X0',
        HEAD + 'pri=1 c=32 m=864 msg="SYN-Flooding machine 45.33.66.6 blacklisted" n=10',
    ]
    assert parse_all(parser, lines, ctx()) == [
        Skipped(1, "not a traffic record: event m=30 (Administrator login denied due to bad credentials)"),
        Skipped(2, "not a traffic record: event m=1110 (Assigned IP address 100.70.0.50)"),
        Skipped(3, "not a traffic record: event m=864 (SYN-Flooding machine 45.33.66.6 blacklisted)"),
    ]


def test_lines_that_do_not_say_what_happened_are_rejected_not_skipped():
    lines = [
        HEAD + 'pri=6 c=1024 m=4242 msg="Something new" n=1 src=45.33.5.5:1:X1 dst=100.70.0.7:2:X0 proto=tcp/2',
        NO_EVENT_ID_DROP.replace(' fw_action="drop"', "").replace("dropped", "seen"),
    ]
    assert [(r.lineno, r.reason) for r in parse_all(parser, lines, ctx())] == [
        (1, "event m=4242 (Something new) does not say whether the traffic was dropped"),
        (2, "no event id (m=) and no fw_action: cannot tell what happened (Packet seen by access rule)"),
    ]


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        TCP_DROP_UTC,
        TCP_DROP_UTC.replace("src=45.33.40.5:", "src=45.33.40.256:"),
        TCP_DROP_UTC.replace(' time="2026-11-22 10:00:01 UTC"', ' time="yesterday"'),
        TCP_DROP_UTC.replace(":22:X0", ":70000:X0"),
        TCP_DROP_UTC.replace("src=45.33.40.5:51234:X1", "src=2a0e:97c0::5:51234:X1"),
        TCP_DROP_UTC.replace("src=45.33.40.5:51234:X1 ", ""),
        TCP_DROP_UTC.replace(" m=36 ", " m=1200 ").replace(" proto=tcp/ssh", "").replace("TCP packet", "Packet"),
        "Nov 22 10:00:01 fw kernel: eth0 link up",
        OLD_TCP_DROP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '45.33.40.256'"),
        (3, 'unreadable or missing time="yesterday"'),
        (4, "port 70000 out of range"),
        (5, "cannot split src=2a0e:97c0::5:51234:X1 into address and port (expected srcV6=)"),
        (6, "missing source address"),
        (7, "no protocol in event m=1200 (no proto= field)"),
        (8, 'not a SonicWall log line (expected id=, sn= and time="...")'),
    ]
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1, 9]


def test_unreadable_time_value_is_rejected():
    line = TCP_DROP_UTC.replace("2026-11-22 10:00:01 UTC", "2026-11-22 10:00:01 PST")
    assert parse_one(parser, line, ctx()) == Rejection(1, 'unreadable or missing time="2026-11-22 10:00:01 PST"', line)


def test_matches_sonicwall_lines_only():
    assert all(
        parser.matches(line) for line in (TCP_DROP_UTC, ICMP_DROP, SONICOS7_BOTNET, CONNECTION_OPENED, NO_EVENT_ID_DROP)
    )
    assert not parser.matches(
        'date=2026-11-22 time=10:00:01 devname="FGT60F" devid="FGT60F0000000001" logid="0000000013" type="traffic" '
        'subtype="forward" level="notice" srcip=45.33.5.5 srcport=51234 dstip=100.70.0.7 dstport=22 action="deny"'
    )
    assert not parser.matches("Nov 22 10:00:01 fw kernel: eth0 link up")


@pytest.mark.parametrize(
    "sample",
    [
        [CONNECTION_OPENED, ICMP_DROP, CONNECTION_CLOSED, "", TCP_DROP_UTC, ADMIN_LOGIN_DENIED],
        # SonicOS 7 lines without event ids.
        [NO_EVENT_ID_DROP, NO_EVENT_ID_DROP.replace('"drop"', '"forward"')],
    ],
)
def test_detect_picks_sonicwall(sample):
    assert detect(sample) is parser
