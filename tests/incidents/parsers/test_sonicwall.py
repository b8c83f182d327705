"""SonicWall (SonicOS) key=value syslog, specified by example.

Lines come from the Elastic Beats ``sonicwall/firewall`` module's
``test/general.log``, Wazuh's SonicWall rule tests (an old-firmware TCP drop,
an IPv6 drop with ``srcV6``/``dstV6``), the u-siem SonicWall parser tests
(SSL VPN traffic, UTC stamps) and a SonicOS 7 field order from a public
detection-rule test. Event ids follow the SonicOS Log Events Reference as
mapped in RSA's SonicWall parser (36/37/38/41 packet drops, 98/537 connection
opened/closed). Lines marked "built" use documentation addresses.
"""

from datetime import UTC, datetime
from functools import partial

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.sonicwall import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# Built from the brief's example with the fields SonicOS 6 prints.
TCP_DROP_UTC = (
    '<134>id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=198.51.100.1 pri=1 c=32 m=36 '
    'msg="TCP packet dropped" n=2686 src=203.0.113.5:51234:X1 dst=198.51.100.7:22:X0 proto=tcp/ssh fw_action="drop"'
)
OLD_TCP_DROP = (
    'id=firewall sn=00301E0526B1 time="2004-04-01 10:39:35" fw=67.32.44.2 pri=5 c=64 m=36 '
    'msg="TCP connection dropped" n=2686 src=67.101.200.27:4507:WAN dst=67.32.44.2:445:LAN rule=0'
)
ICMP_DROP = (
    'Jan  3 13:45:43 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:14" fw=1.1.1.1 pri=5 c=256 m=38 '
    'msg="ICMP packet dropped" n=22070 src=219.89.19.223:1026:WAN dst=1.1.1.1:6822:WAN  type=3 code=3'
)
UDP_DROP_NO_SOURCE_PORT = (
    'id=firewall sn=00XX time="2005-10-22 00:12:11" fw=1.2.3.4 pri=5 c=128 m=37 msg="UDP packet dropped" '
    "n=14333 src=1.3.4.5 dst=2.5.6.7:1025:LAN"
)
IPV6_LINK_LOCAL_DROP = (
    'id=firewall sn=C0EAE4599999 time="2019-02-15 09:45:17 UTC" fw=2.228.169.242 pri=5 c=512 m=1233 '
    'msg="Unhandled link-local or multicast IPv6 packet dropped" n=56642 srcV6=fe80::9851:b780:9d9d:a29e '
    "src=:49702:X0-V514 dstV6=ff02::1:3 dst=:5355 srcMac=90:e6:ba:32:5c:45 dstMac=33:33:00:01:00:03 proto=udp/5355"
)
CONNECTION_OPENED = (
    'Jan  3 13:45:36 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:06" fw=1.1.1.1 pri=6 c=262144 '
    'm=98 msg="Connection Opened" n=23419 src=2.2.2.2:36701:WAN dst=1.1.1.1:50000:WAN proto=tcp/50000'
)
CONNECTION_CLOSED = (
    'Jan  3 13:45:37 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:07" fw=1.1.1.1 pri=6 c=1024 '
    'm=537 msg="Connection Closed" n=567996 src=192.168.4.10:27577:WAN dst=192.168.5.10:53:LAN proto=tcp/dns '
    "sent=257 rcvd=242"
)
SSL_VPN_TRAFFIC = (
    '<12>Feb 5 01:02:03 FWSonicWall 10.1.99.1 id=firewall sn=SERIALNUMBER111 time="2021-02-05 01:02:03 UTC" '
    'fw=111.222.111.222 pri=6 c=1024 m=1153 msg="SSL VPN Traffic" sess="sslvpnc" n=1234567890 '
    'usr="test@usiem.com" src=10.1.2.3:3080:X6-V80 dst=10.2.3.4:50005:X1 srcMac=9d:88:a1:7c:af:1a '
    'dstMac=5c:61:a0:81:cc:f1 proto=tcp/50005 rcvd=392 rule="123 (SSLVPN->NET_RRHH1)"'
)
ADMIN_LOGIN_DENIED = (
    'Jan  3 13:45:40 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:10" fw=1.1.1.1 pri=1 c=32 m=30 '
    'msg="Administrator login denied due to bad credentials" n=8 src=2.2.2.2:36703:WAN dst=1.1.1.1:50000:WAN'
)
WEB_SITE_DENIED = (
    'id=NSA2650GG sn=18B169D79980 time="2019-03-18 08:33:45 UTC" fw=83.211.91.146 pri=3 c=4 m=14 '
    'msg="Web site access denied" app=49177 appName="General HTTPS" n=838005 '
    "src=192.168.0.62:54993:X0:pc048.example.com dst=151.101.242.49:443:X1 proto=tcp/https dstname=example.com"
)
# SonicOS 7 moves msg= behind the addresses; the field order is the public rule test's.
SONICOS7_BOTNET = (
    '<129>  id=firewall sn=0017C5000001 time="2026-09-29 10:00:00" fw=192.0.2.1 pri=1 c=0 gcat=3 m=1200 '
    "srcMac=00:17:c5:00:00:01 src=203.0.113.66:40112:X1 srcZone=WAN natSrc=203.0.113.66:40112 "
    'dstMac=00:17:c5:00:00:02 dst=198.51.100.7:443:X0 dstZone=LAN proto=tcp/https rcvd=76 sess="Auto" '
    'rule="Deny botnet" msg="Suspected Botnet initiator blocked: 203.0.113.66" n=1001 fw_action="drop"'
)


ctx = partial(make_ctx, received=RECEIVED)


def test_tcp_packet_dropped_with_utc_stamp_ignores_the_submission_zone():
    assert parse_one(parser, TCP_DROP_UTC, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


def test_stamp_without_zone_is_local_firewall_time():
    # 1 April 2004 was before that year's DST change, so New York was UTC-5.
    assert parse_one(parser, OLD_TCP_DROP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2004, 4, 1, 15, 39, 35, tzinfo=UTC),
        source_ip="67.101.200.27",
        target_ip="67.32.44.2",
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
    assert (result.time, result.source_ip) == (datetime(2007, 1, 3, 14, 48, 14, tzinfo=UTC), "219.89.19.223")


def test_newer_icmp_drop_uses_icmp_code_field():
    line = (
        'id=firewall sn=0017C5000000 time="2026-11-22 10:00:02 UTC" fw=198.51.100.1 pri=5 c=256 m=38 '
        'msg="ICMP packet dropped" n=77 src=203.0.113.9:8:X1 dst=198.51.100.7:0:X0 srcMac=00:17:c5:00:00:01 '
        'dstMac=00:17:c5:00:00:02 proto=icmp type=8 icmpCode=0 fw_action="drop"'
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)


def test_udp_drop_without_source_port():
    result = parse_one(parser, UDP_DROP_NO_SOURCE_PORT, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == ("udp", "1.3.4.5", None, 1025)


def test_ipv6_addresses_come_from_srcv6_and_dstv6():
    line = IPV6_LINK_LOCAL_DROP.replace('m=1233 msg="Unhandled link-local or multicast IPv6 packet dropped"', "m=37")
    line = line.replace("fe80::9851:b780:9d9d:a29e", "2001:db8:0:0::5").replace("ff02::1:3", "2001:db8::7")
    assert parse_one(parser, line, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2019, 2, 15, 9, 45, 17, tzinfo=UTC),
        source_ip="2001:db8::5",
        target_ip="2001:db8::7",
        protocol="udp",
        source_port=49702,
        target_port=5355,
    )


def test_unknown_protocol_drop_reads_the_protocol_from_the_note():
    line = (
        'id=firewall sn=0017C5000000 time="2026-11-22 10:00:03 UTC" fw=198.51.100.1 pri=6 c=1024 m=41 '
        'msg="Unknown protocol dropped" n=12 src=203.0.113.9::X1:probe.example dst=198.51.100.7::X0:fw '
        'note="IP Protocol: 47"'
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "gre",
        "203.0.113.9",
        None,
        None,
    )


def test_sonicos7_field_order_and_fw_action_drop_make_an_event():
    assert parse_one(parser, SONICOS7_BOTNET, ctx("Europe/Berlin")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 29, 8, 0, tzinfo=UTC),
        source_ip="203.0.113.66",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=40112,
        target_port=443,
    )


def test_allowed_traffic_is_skipped():
    forwarded = SONICOS7_BOTNET.replace('fw_action="drop"', 'fw_action="forward"')
    assert parse_all(parser, [CONNECTION_OPENED, CONNECTION_CLOSED, SSL_VPN_TRAFFIC, forwarded], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "allowed traffic"),
        Skipped(3, "allowed traffic"),
        Skipped(4, "allowed traffic"),
    ]


def test_allowed_ids_without_fw_action_are_skipped():
    # Built: ICMP allowed (597), packet allowed (602) and web site accessed (97) in the SonicOS 6 layout.
    head = 'id=firewall sn=0017C5000000 time="2026-11-22 10:00:01" fw=198.51.100.1 pri=6 c=1024 '
    lines = [
        head + 'm=597 msg="ICMP packet allowed" n=3 src=198.51.100.7:8:X0:fw dst=203.0.113.5:0:X1:probe type=8 code=0',
        head + 'm=602 msg="DNS packet allowed" n=4 src=198.51.100.7:5353:X0:fw dst=203.0.113.5:53:X1:ns proto=udp/dns',
        head + "m=97 n=5 src=198.51.100.7:50000:X0 dst=203.0.113.5:443:X1 proto=tcp/https dstname=example.com",
    ]
    assert parse_all(parser, lines, ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "allowed traffic"),
        Skipped(3, "allowed traffic"),
    ]


def test_events_that_are_not_packet_drops_are_skipped_with_the_message():
    assert parse_all(parser, [ADMIN_LOGIN_DENIED, WEB_SITE_DENIED, IPV6_LINK_LOCAL_DROP], ctx()) == [
        Skipped(1, "event m=30 (Administrator login denied due to bad credentials) is not a packet drop"),
        Skipped(2, "event m=14 (Web site access denied) is not a packet drop"),
        Skipped(3, "event m=1233 (Unhandled link-local or multicast IPv6 packet dropped) is not a packet drop"),
    ]


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        TCP_DROP_UTC,
        TCP_DROP_UTC.replace("src=203.0.113.5:", "src=203.0.113.256:"),
        TCP_DROP_UTC.replace(' time="2026-11-22 10:00:01 UTC"', ' time="yesterday"'),
        TCP_DROP_UTC.replace(":22:X0", ":70000:X0"),
        TCP_DROP_UTC.replace(" m=36 ", " "),
        TCP_DROP_UTC.replace("src=203.0.113.5:51234:X1", "src=2001:db8::5:51234:X1"),
        TCP_DROP_UTC.replace("src=203.0.113.5:51234:X1 ", ""),
        TCP_DROP_UTC.replace(" m=36 ", " m=1200 ").replace(" proto=tcp/ssh", ""),
        "Nov 22 10:00:01 fw kernel: eth0 link up",
        OLD_TCP_DROP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '203.0.113.256'"),
        (3, 'unreadable or missing time="yesterday"'),
        (4, "port 70000 out of range"),
        (5, "missing event id (m=)"),
        (6, "cannot split src=2001:db8::5:51234:X1 into address and port (expected srcV6=)"),
        (7, "missing source address"),
        (8, "no protocol in event m=1200 (no proto= field)"),
        (9, 'not a SonicWall log line (expected id=, sn= and time="...")'),
    ]
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1, 10]


def test_unreadable_time_value_is_rejected():
    line = TCP_DROP_UTC.replace("2026-11-22 10:00:01 UTC", "2026-11-22 10:00:01 PST")
    assert parse_one(parser, line, ctx()) == Rejection(1, 'unreadable or missing time="2026-11-22 10:00:01 PST"', line)


def test_matches_sonicwall_lines_only():
    assert all(parser.matches(line) for line in (TCP_DROP_UTC, ICMP_DROP, SONICOS7_BOTNET, CONNECTION_OPENED))
    assert not parser.matches(
        'date=2026-11-22 time=10:00:01 devname="FGT60F" devid="FGT60F0000000001" logid="0000000013" type="traffic" '
        'subtype="forward" level="notice" srcip=203.0.113.5 srcport=51234 dstip=198.51.100.7 dstport=22 action="deny"'
    )
    assert not parser.matches("Nov 22 10:00:01 fw kernel: eth0 link up")


def test_detect_picks_sonicwall():
    sample = [CONNECTION_OPENED, ICMP_DROP, CONNECTION_CLOSED, "", TCP_DROP_UTC, ADMIN_LOGIN_DENIED]
    assert detect(sample) is parser
