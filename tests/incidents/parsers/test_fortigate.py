"""FortiGate key=value logs, specified by example.

Field names, log ids and action meanings follow the FortiOS Log Message
Reference: LOG_ID_TRAFFIC_DENY (0000000013), LOG_ID_TRAFFIC_OTHER_ICMP_DENY,
LOGID_ATTCK_SIGNATURE_TCP_UDP (0419016384, whose ``action`` the 7.6 reference
spells out: detected, dropped, reset, reset_client, reset_server,
drop_session, pass_session, clear_session), LOGID_ATTCK_ANOMALY_TCP_UDP
(0720018432), the web filter's category block (0316013056) and the system
event "Admin login successful" (0100032001); the header fields (date, time,
eventtime, tz) are those every message of the reference lists. Every line is
written by hand in that shape, with generated addresses.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.fortigate import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# 10:00:01 at +0100 is 09:00:01 UTC, which eventtime says in nanoseconds, as FortiOS 6.2+ writes it.
DENY_SSH = (
    'date=2026-11-22 time=10:00:01 devname="FGT60F" devid="FGT60FTK20000001" eventtime=1795338001123456789 tz="+0100" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=45.33.60.5 srcport=51234 '
    'srcintf="wan1" srcintfrole="wan" dstip=100.70.0.7 dstport=22 dstintf="lan" dstintfrole="lan" '
    'srccountry="Reserved" dstcountry="Reserved" sessionid=74301 proto=6 action="deny" policyid=0 policytype="policy" '
    'service="SSH" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 '
    'craction=131072 crlevel="high"'
)
# FortiOS 6.0 style: a syslog priority, eventtime in seconds and no tz.
DENY_SNMP = (
    '<189>date=2026-04-23 time=01:16:08 devname="fgt-branch" devid="FG100E0000000002" logid="0000000013" '
    'type="traffic" subtype="forward" level="notice" vd="root" eventtime=1776906968 srcip=185.220.103.10 '
    'srcport=60899 srcintf="wan1" srcintfrole="wan" dstip=100.70.43.13 dstport=161 dstintf="internal" '
    'dstintfrole="lan" sessionid=155313 proto=17 action="deny" policyid=0 policytype="policy" service="SNMP" '
    'trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned"'
)
# An allowed local-in session that the server reset.
SERVER_RST = (
    'date=2026-05-10 time=11:50:48 logid="0001000014" type="traffic" subtype="local" level="notice" vd="root" '
    'eventtime=1778413848379911176 tz="+0000" srcip=100.70.200.254 srcport=62024 srcintf="port11" '
    'dstip=100.70.200.2 dstport=443 dstintf="root" sessionid=107478 proto=6 action="server-rst" policyid=0 '
    'policytype="local-in-policy" service="HTTPS" trandisp="noop" app="Web Management(HTTPS)" duration=5 '
    "sentbyte=1247 rcvdbyte=1719 sentpkt=5 rcvdpkt=6"
)
EVENT = (
    'date=2026-11-22 time=12:32:48 devname="FGT60F" devid="FGT60FTK20000001" logid="0100032001" type="event" '
    'subtype="system" level="information" vd="root" eventtime=1795347168439640874 tz="+0100" '
    'logdesc="Admin login successful" sn="1795347168" user="admin" ui="https(100.70.0.50)" method="https" '
    'srcip=100.70.0.50 dstip=100.70.0.1 action="login" status="success" reason="none" profile="super_admin" '
    'msg="Administrator admin logged in successfully from https(100.70.0.50)"'
)
# Without eventtime or tz: FortiOS 5.x style, unquoted values.
DENY_V5 = (
    "date=2026-11-22 time=10:00:01 devname=FGT100D devid=FG100D3G00000001 logid=0000000013 type=traffic "
    "subtype=forward level=notice vd=root srcip=89.248.9.9 srcport=40000 srcintf=wan1 dstip=100.70.0.7 "
    "dstport=3389 dstintf=internal sessionid=1 proto=6 action=deny policyid=0 service=RDP"
)
ICMP_DENY = (
    'date=2026-11-22 time=10:00:05 tz="+0100" eventtime=1795338005 logid="0000000006" type="traffic" '
    'subtype="local" level="warning" vd="root" srcip=45.33.61.7 identifier=4 srcintf="wan1" dstip=100.70.0.1 '
    'dstintf="root" proto=1 action="deny" policyid=0 policytype="local-in-policy" service="PING" icmpid="0x0004" '
    'icmptype="0x08" icmpcode="0x00"'
)
IPS_DROPPED = (
    'date=2026-11-22 time=10:00:03 devname="FGT60F" devid="FGT60FTK20000001" eventtime=1795338003000000000 '
    'tz="+0100" logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" '
    'severity="critical" srcip=45.33.88.8 srccountry="Reserved" dstip=100.70.0.20 dstcountry="Reserved" '
    'srcintf="wan1" srcintfrole="wan" dstintf="dmz" dstintfrole="dmz" sessionid=1234567 action="dropped" proto=6 '
    'service="HTTP" policyid=5 attack="Apache.Log4j.Error.Log.Remote.Code.Execution" srcport=52222 dstport=80 '
    'direction="outgoing" attackid=51006 profile="default" incidentserialno=123 '
    'msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution" crscore=50 craction=4096 crlevel="critical"'
)
ANOMALY = (
    'date=2026-11-22 time=10:00:04 devname="FGT60F" devid="FGT60FTK20000001" eventtime=1795338004000000000 '
    'tz="+0100" logid="0720018432" type="anomaly" subtype="anomaly" level="alert" vd="root" severity="critical" '
    'srcip=185.220.101.50 dstip=100.70.0.21 srcintf="wan1" srcintfrole="wan" sessionid=0 action="clear_session" '
    'proto=6 service="tcp/22" count=2001 attack="tcp_syn_flood" srcport=40000 dstport=22 attackid=100663396 '
    'policyid=1 policytype="DoS-policy" msg="anomaly: tcp_syn_flood, 2001 > threshold 2000" crscore=50'
)
URL_BLOCKED = (
    'date=2026-11-22 time=10:00:06 devname="FGT60F" devid="FGT60FTK20000001" eventtime=1795338006000000000 '
    'tz="+0100" logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" '
    'policyid=1 sessionid=99 srcip=100.70.1.50 srcport=50000 srcintf="internal" dstip=89.248.1.1 dstport=443 '
    'dstintf="wan1" proto=6 service="HTTPS" hostname="malware.example" profile="default" action="blocked" '
    'reqtype="direct" url="/" sentbyte=0 rcvdbyte=0 direction="outgoing" '
    'msg="URL belongs to a denied category in policy" method="domain" cat=26 catdesc="Malicious Websites"'
)


ctx = partial(make_ctx, received=RECEIVED)


def test_policy_deny_whose_date_time_tz_and_eventtime_agree():
    assert parse_one(parser, DENY_SSH, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),
        source_ip="45.33.60.5",
        target_ip="100.70.0.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


def test_date_and_time_win_over_an_eventtime_that_disagrees():
    line = DENY_SSH.replace("eventtime=1795338001123456789", "eventtime=1795384801000000000")  # 22:00:01 UTC
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    line = DENY_SSH.replace("time=10:00:01", "time=23:59:59")
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 22, 59, 59, tzinfo=UTC)


def test_without_tz_date_and_time_are_in_the_submission_zone_whatever_eventtime_says():
    # eventtime 1776906968 is 01:16:08 UTC; the firewall's local 01:16:08 in Tokyo is 16:16:08 UTC the day before.
    result = parse_one(parser, DENY_SNMP, ctx("Asia/Tokyo"))
    assert result == ParsedEvent(
        lineno=1,
        time=datetime(2026, 4, 22, 16, 16, 8, tzinfo=UTC),
        source_ip="185.220.103.10",
        target_ip="100.70.43.13",
        protocol="udp",
        source_port=60899,
        target_port=161,
    )


def test_without_eventtime_or_tz_the_submission_zone_applies():
    result = parse_one(parser, DENY_V5, ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 11, 22, 1, 0, 1, tzinfo=UTC)
    assert (result.source_ip, result.target_port, result.protocol) == ("89.248.9.9", 3389, "tcp")


def test_the_repeated_hour_of_a_clock_change_is_placed_by_eventtime():
    # 02:30 on 25 October 2026 happens twice in Berlin; eventtime says it was the second (01:30 UTC).
    line = DENY_SNMP.replace("date=2026-04-23 time=01:16:08", "date=2026-10-25 time=02:30:00").replace(
        "eventtime=1776906968", "eventtime=1792891800"
    )
    assert parse_one(parser, line, ctx("Europe/Berlin")).time == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    without = line.replace(" eventtime=1792891800", "")
    assert parse_one(parser, without, ctx("Europe/Berlin")) == Rejection(
        1, "local time 2026-10-25 02:30:00 is ambiguous in Europe/Berlin (clock change)", without
    )


@pytest.mark.parametrize("eventtime", ["1795338001", "1795338001123", "1795338001123456", "1795338001123456789"])
def test_without_date_and_time_eventtime_in_seconds_milli_micro_or_nanoseconds(eventtime):
    line = DENY_SSH.replace("date=2026-11-22 time=10:00:01 ", "").replace("1795338001123456789", eventtime)
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
    line = DENY_SSH.replace('tz="+0100"', f"tz={tz}")
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == utc


def test_first_of_two_tz_fields_is_used():
    line = DENY_SSH + ' tz="-0800"'
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


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
    line = ICMP_DENY.replace("45.33.61.7", "2a0e:97c0:0::7").replace("100.70.0.1", "2a01:4f8::1")
    result = parse_one(
        parser, line.replace("proto=1 ", "proto=58 ").replace('icmptype="0x08"', 'icmptype="128"'), ctx()
    )
    assert (result.source_ip, result.target_ip) == ("2a0e:97c0::7", "2a01:4f8::1")
    assert (result.protocol, result.source_port, result.target_port) == ("icmpv6", 128, 0)


@pytest.mark.parametrize("action", ["accept", "close", "timeout", "client-rst", "server-rst", "start", "ip-conn"])
def test_every_traffic_action_but_deny_describes_an_allowed_session(action):
    assert parse_one(parser, DENY_SSH.replace('action="deny"', f'action="{action}"'), ctx()) == Skipped(
        1, "allowed traffic"
    )


def test_allowed_local_in_session_is_skipped():
    assert parse_one(parser, SERVER_RST, ctx()) == Skipped(1, "allowed traffic")


def test_ips_drop_is_an_event():
    assert parse_one(parser, IPS_DROPPED, ctx()) == ParsedEvent(
        1, datetime(2026, 11, 22, 9, 0, 3, tzinfo=UTC), "45.33.88.8", "100.70.0.20", "tcp", 52222, 80
    )


@pytest.mark.parametrize("action", ["reset", "reset_client", "reset_server", "drop_session", "clear_session"])
def test_every_blocking_ips_action_is_an_event(action):
    assert parse_one(parser, IPS_DROPPED.replace('action="dropped"', f'action="{action}"'), ctx()).target_port == 80


@pytest.mark.parametrize("action", ["detected", "pass_session"])
def test_ips_detection_without_blocking_let_the_traffic_through(action):
    line = IPS_DROPPED.replace('action="dropped"', f'action="{action}"')
    assert parse_one(parser, line, ctx()) == Skipped(1, f"allowed traffic: ips {action}")


def test_dos_anomaly_cleared_and_url_blocked_are_events():
    anomaly, url = parse_all(parser, [ANOMALY, URL_BLOCKED], ctx())
    assert (anomaly.source_ip, anomaly.target_ip, anomaly.protocol, anomaly.target_port) == (
        "185.220.101.50",
        "100.70.0.21",
        "tcp",
        22,
    )
    assert (url.source_ip, url.target_ip, url.target_port) == ("100.70.1.50", "89.248.1.1", 443)
    passed = URL_BLOCKED.replace('action="blocked"', 'action="passthrough"')
    assert parse_one(parser, passed, ctx()) == Skipped(1, "allowed traffic: webfilter passthrough")


@pytest.mark.parametrize(
    ("subtype", "action", "blocked"),
    [("dns", "redirect", True), ("dns", "pass", False), ("virus", "analytics", False), ("webfilter", "warning", False)],
)
def test_other_utm_verdicts(subtype, action, blocked):
    line = URL_BLOCKED.replace('subtype="webfilter"', f'subtype="{subtype}"').replace("blocked", action)
    result = parse_one(parser, line, ctx())
    assert type(result) is (ParsedEvent if blocked else Skipped)


def test_event_logs_are_not_traffic_records():
    assert parse_one(parser, EVENT, ctx()) == Skipped(1, "not a traffic record: event log")


def test_syslog_header_before_the_fields_is_ignored():
    result = parse_one(parser, "Nov 22 10:00:02 fgt60f.example.net " + DENY_SSH, ctx())
    assert (result.source_ip, result.time) == ("45.33.60.5", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC))


def test_quoted_values_with_spaces_and_equals_signs_do_not_confuse_the_fields():
    # The message comes before the real fields, so a quote-unaware split would see its srcip= first.
    quoted = 'msg="say \\"srcip=100.70.9.9 action=accept\\" now"'
    line = DENY_SSH.replace('logid="0000000013"', f'logid="0000000013" {quoted}')
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_port) == ("45.33.60.5", 22)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        DENY_SSH,
        DENY_SSH.replace("srcip=45.33.60.5", "srcip=45.33.60.500"),
        DENY_SSH.replace(' action="deny"', ""),
        DENY_SSH.replace(' type="traffic"', ""),
        DENY_SSH.replace(" dstip=100.70.0.7", ""),
        DENY_SSH.replace("dstport=22", "dstport=99999"),
        DENY_V5.replace("time=10:00:01", "time=25:00:01"),
        ICMP_DENY.replace('icmptype="0x08"', 'icmptype="echo"'),
        IPS_DROPPED.replace('action="dropped"', 'action="quarantined"'),
        DENY_V5.replace("date=2026-11-22 time=10:00:01 ", ""),
        "",
        DENY_SNMP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert all(isinstance(r, Rejection) for r in results[1:-1])
    assert [r.reason for r in results[1:-1]] == [
        "invalid IPv4 address '45.33.60.500'",
        "traffic log without an action= field",
        "no type= field; not a FortiGate log line",
        "traffic log lacks srcip=, dstip= or proto=",
        "port 99999 out of range",
        "unreadable time stamp '2026-11-22T25:00:01'",
        "invalid ICMP type 'echo'",
        "ips log with unknown action 'quarantined'",
        "no date= and time= (or eventtime=) fields",
    ]
    assert results[1].line == lines[1]


def test_an_unreadable_time_is_not_papered_over_by_eventtime():
    line = DENY_SNMP.replace("time=01:16:08", "time=25:16:08")
    assert parse_one(parser, line, ctx()).reason == "unreadable time stamp '2026-04-23T25:16:08'"


def test_detect_picks_fortigate():
    assert detect([EVENT, DENY_SSH, SERVER_RST, DENY_SNMP, DENY_V5]).name == "fortigate"
    assert detect([IPS_DROPPED, ANOMALY, URL_BLOCKED]).name == "fortigate"


@pytest.mark.parametrize(
    "line",
    [
        'id=firewall sn=0017C5000000 time="2026-11-22 10:00:01 UTC" fw=100.70.0.1 pri=1 c=32 m=30 msg="Drop"',
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp src outside:45.33.5.5/1 dst inside:100.70.0.7/22 by x",
        "Nov 22 10:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=45.33.5.5 DST=100.70.0.7 PROTO=TCP",
    ],
)
def test_matches_ignores_other_formats(line):
    assert not parser.matches(line)
