"""FortiGate key=value traffic logs, specified by example.

Field names and action meanings follow the FortiOS Log Message Reference
(LOG_ID_TRAFFIC_DENY, LOG_ID_TRAFFIC_OTHER_ICMP_DENY). Lines marked "Elastic"
are from the Elastic ``fortinet_fortigate`` integration's pipeline tests
(``test-fortinet.log``, ``test-fortinet-7-4.log``); the rest are built on
their pattern with documentation addresses.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.fortigate import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# 2026-11-22 09:00:01 UTC in nanoseconds, as FortiOS 6.2+ writes eventtime.
DENY_SSH = (
    'date=2026-11-22 time=10:00:01 devname="FGT60F" devid="FGT60FTK20000001" eventtime=1795338001123456789 tz="+0100" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=203.0.113.5 srcport=51234 '
    'srcintf="wan1" srcintfrole="wan" dstip=198.51.100.7 dstport=22 dstintf="lan" dstintfrole="lan" '
    'srccountry="Reserved" dstcountry="Reserved" sessionid=74301 proto=6 action="deny" policyid=0 policytype="policy" '
    'service="SSH" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 '
    'craction=131072 crlevel="high"'
)
# Elastic test-fortinet.log: deny with a syslog priority and eventtime in seconds.
DENY_SNMP = (
    '<189>date=2020-04-23 time=01:16:08 devname="testswitch1" devid="somerouterid" logid="0000000013" type="traffic" '
    'subtype="forward" level="notice" vd="OPERATIONAL" eventtime=1592961368 srcip=10.10.10.10 srcport=60899 '
    'srcintf="srcintfname" srcintfrole="lan" dstip=67.43.156.13 dstport=161 dstintf="dstintfname" dstintfrole="lan" '
    'sessionid=155313 proto=17 action="deny" policyid=0 policytype="policy" service="SNMP" dstcountry="Reserved" '
    'srccountry="Reserved" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 '
    'craction=131072 crlevel="high"'
)
# Elastic test-fortinet-7-4.log: an allowed local-in session reset by the server.
SERVER_RST = (
    'date=2019-05-10 time=11:50:48 logid="0001000014" type="traffic" subtype="local" level="notice" vd="vdom1" '
    'eventtime=1557514248379911176 srcip=172.16.200.254 srcport=62024 srcintf="port11" srcintfrole="undefined" '
    'dstip=172.16.200.2 dstport=443 dstintf="vdom1" dstintfrole="undefined" sessionid=107478 proto=6 '
    'action="server-rst" policyid=0 policytype="local-in-policy" service="HTTPS" dstcountry="Reserved" '
    'srccountry="Reserved" trandisp="noop" app="Web Management(HTTPS)" duration=5 sentbyte=1247 rcvdbyte=1719 '
    'sentpkt=5 rcvdpkt=6 appcat="unscanned"'
)
# Elastic test-fortinet.log: an event log, not traffic.
EVENT = (
    '<189>date=2020-04-23 time=12:32:48 devname="testswitch3" devid="someotherrouteridagain" logid="0102043014" '
    'type="event" subtype="user" level="notice" vd="root" eventtime=1587231168439640874 tz="-0500" '
    'logdesc="FSSO logon authentication status" srcip=10.10.10.10 user="elasticouser" server="elasticserver" '
    'action="FSSO-logon" msg="FSSO-logon event from FSSO_elasticserver: user elasticouser logged on 10.10.10.10"'
)
# Without eventtime: FortiOS 5.x style, unquoted values.
DENY_V5 = (
    "date=2026-11-22 time=10:00:01 devname=FGT100D devid=FG100D3G00000001 logid=0000000013 type=traffic "
    "subtype=forward level=notice vd=root srcip=203.0.113.9 srcport=40000 srcintf=wan1 dstip=198.51.100.7 "
    "dstport=3389 dstintf=internal sessionid=1 proto=6 action=deny policyid=0 service=RDP"
)
ICMP_DENY = (
    'date=2026-11-22 time=10:00:05 eventtime=1795338005 logid="0000000006" type="traffic" subtype="local" '
    'level="warning" vd="root" srcip=203.0.113.7 identifier=4 srcintf="wan1" dstip=198.51.100.1 dstintf="root" '
    'proto=1 action="deny" policyid=0 policytype="local-in-policy" service="PING" icmpid="0x0004" icmptype="0x08" '
    'icmpcode="0x00"'
)


ctx = partial(make_ctx, received=RECEIVED)


def test_policy_deny_with_nanosecond_eventtime():
    assert parse_one(parser, DENY_SSH, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


def test_deny_with_priority_prefix_and_eventtime_in_seconds():
    assert parse_one(parser, DENY_SNMP, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2020, 6, 24, 1, 16, 8, tzinfo=UTC),
        source_ip="10.10.10.10",
        target_ip="67.43.156.13",
        protocol="udp",
        source_port=60899,
        target_port=161,
    )


@pytest.mark.parametrize("eventtime", ["1795338001", "1795338001123", "1795338001123456", "1795338001123456789"])
def test_eventtime_in_seconds_milli_micro_and_nanoseconds(eventtime):
    line = DENY_SSH.replace("1795338001123456789", eventtime)
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_eventtime_wins_over_date_and_time():
    line = DENY_SSH.replace("time=10:00:01", "time=23:59:59")
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_without_eventtime_the_tz_field_gives_the_offset():
    line = DENY_SSH.replace(" eventtime=1795338001123456789", "")
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "utc"),
    [
        ('"UTC+2:00"', datetime(2026, 11, 22, 8, 0, 1, tzinfo=UTC)),
        ('"-0500"', datetime(2026, 11, 22, 15, 0, 1, tzinfo=UTC)),
        ("+0530", datetime(2026, 11, 22, 4, 30, 1, tzinfo=UTC)),
    ],
)
def test_tz_in_its_various_spellings(tz, utc):
    line = DENY_SSH.replace(" eventtime=1795338001123456789", "").replace('tz="+0100"', f"tz={tz}")
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == utc


def test_first_of_two_tz_fields_is_used():
    line = DENY_SSH.replace(" eventtime=1795338001123456789", "") + ' tz="-0800"'
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_without_eventtime_or_tz_the_submission_zone_applies():
    result = parse_one(parser, DENY_V5, ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 11, 22, 1, 0, 1, tzinfo=UTC)
    assert (result.source_ip, result.target_port, result.protocol) == ("203.0.113.9", 3389, "tcp")


def test_a_named_zone_is_ambiguous_and_falls_back_to_the_submission_zone():
    line = DENY_V5 + ' tz="CEST"'
    assert parse_one(parser, line, ctx("Europe/Berlin")).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_icmp_type_and_code_are_read_from_hex_fields():
    result = parse_one(parser, ICMP_DENY, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)
    assert result.time == datetime(2026, 11, 22, 9, 0, 5, tzinfo=UTC)


def test_icmp_without_type_fields_has_no_ports():
    line = ICMP_DENY.replace(' icmpid="0x0004" icmptype="0x08" icmpcode="0x00"', "")
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", None, None)


def test_icmp_type_from_an_unnamed_icmp_service():
    line = ICMP_DENY.replace(' icmpid="0x0004" icmptype="0x08" icmpcode="0x00"', "").replace("PING", "icmp/3/3")
    result = parse_one(parser, line, ctx())
    assert (result.source_port, result.target_port) == (3, 3)


def test_ipv6_source_and_icmpv6():
    line = ICMP_DENY.replace("203.0.113.7", "2001:db8:0::7").replace("198.51.100.1", "2001:db8::1")
    result = parse_one(
        parser, line.replace("proto=1 ", "proto=58 ").replace('icmptype="0x08"', 'icmptype="128"'), ctx()
    )
    assert (result.source_ip, result.target_ip) == ("2001:db8::7", "2001:db8::1")
    assert (result.protocol, result.source_port, result.target_port) == ("icmpv6", 128, 0)


@pytest.mark.parametrize("action", ["accept", "close", "timeout", "client-rst", "server-rst", "start", "ip-conn"])
def test_every_action_but_deny_describes_an_allowed_session(action):
    assert parse_one(parser, DENY_SSH.replace('action="deny"', f'action="{action}"'), ctx()) == Skipped(
        1, "allowed traffic"
    )


def test_real_allowed_session_is_skipped():
    assert parse_one(parser, SERVER_RST, ctx()) == Skipped(1, "allowed traffic")


def test_other_log_types_are_skipped_with_their_type():
    assert parse_one(parser, EVENT, ctx()) == Skipped(1, "not a traffic log (type=event)")


def test_syslog_header_before_the_fields_is_ignored():
    result = parse_one(parser, "Nov 22 10:00:02 fgt60f.example.net " + DENY_SSH, ctx())
    assert (result.source_ip, result.time) == ("203.0.113.5", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC))


def test_quoted_values_with_spaces_and_equals_signs_do_not_confuse_the_fields():
    # The message comes before the real fields, so a quote-unaware split would see its srcip= first.
    quoted = 'msg="say \\"srcip=192.0.2.1 action=accept\\" now"'
    line = DENY_SSH.replace('logid="0000000013"', f'logid="0000000013" {quoted}')
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_port) == ("203.0.113.5", 22)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        DENY_SSH,
        DENY_SSH.replace("srcip=203.0.113.5", "srcip=203.0.113.500"),
        DENY_SSH.replace(' action="deny"', ""),
        DENY_SSH.replace(' type="traffic"', ""),
        DENY_SSH.replace(" dstip=198.51.100.7", ""),
        DENY_SSH.replace("dstport=22", "dstport=99999"),
        DENY_V5.replace("time=10:00:01", "time=25:00:01"),
        ICMP_DENY.replace('icmptype="0x08"', 'icmptype="echo"'),
        "",
        DENY_SNMP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert all(isinstance(r, Rejection) for r in results[1:-1])
    assert [r.reason for r in results[1:-1]] == [
        "invalid IPv4 address '203.0.113.500'",
        "traffic log without an action= field",
        "no type= field; not a FortiGate log line",
        "traffic log lacks srcip=, dstip= or proto=",
        "port 99999 out of range",
        "unreadable time stamp '2026-11-22T25:00:01'",
        "invalid ICMP type 'echo'",
    ]
    assert results[1].line == lines[1]


def test_detect_picks_fortigate():
    assert detect([EVENT, DENY_SSH, SERVER_RST, DENY_SNMP, DENY_V5]).name == "fortigate"


@pytest.mark.parametrize(
    "line",
    [
        'id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=198.51.100.1 pri=1 c=32 m=30 msg="Drop"',
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp src outside:203.0.113.5/1 dst inside:198.51.100.7/22 by x",
        "Nov 22 10:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 PROTO=TCP",
    ],
)
def test_matches_ignores_other_formats(line):
    assert not parser.matches(line)
