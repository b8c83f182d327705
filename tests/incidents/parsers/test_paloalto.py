"""Palo Alto Networks PAN-OS traffic logs (CSV), specified by example.

Positions follow PAN-OS "Traffic Log Fields" (9.1 to 11.x). The syslog lines
are the Elastic ``panw`` integration's ``test-panw-panos-traffic-sample.log``
(a PA-220 forwarding to syslog), with the action and addresses changed where
a deny is needed; the export header is the one written by the web interface's
"Export to CSV", as quoted in public projects that read such exports.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.paloalto import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# Elastic: an allowed, ended session.
ALLOWED = (
    "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:07,192.168.15.207,"
    "175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,apple-maps,vsys1,trust,untrust,ethernet1/2,"
    "ethernet1/1,send_to_mac,2018/11/30 16:09:07,22751,1,55113,443,16418,443,0x400053,tcp,allow,7734,1758,5976,36,"
    "2018/11/30 15:59:04,586,computer-and-internet-info,0,32091112,0x0,192.168.0.0-192.168.255.255,United States,0,16,"
    "20,tcp-fin,0,0,0,0,,PA-220,from-policy,,,0,,0,,N/A,0,0,0,0"
)
# The same record shape for an inbound SSH probe hitting the interzone default deny,
# repeated three times within five seconds.
DENY = (
    "Nov 22 10:00:02 PA-440 1,2026/11/22 10:00:02,012801096514,TRAFFIC,deny,2561,2026/11/22 10:00:01,203.0.113.5,"
    "198.51.100.7,0.0.0.0,0.0.0.0,interzone-default,,,not-applicable,vsys1,untrust,trust,ethernet1/1,,default,"
    "2026/11/22 10:00:02,0,3,51234,22,0,0,0x0,tcp,reset-both,74,74,0,1,2026/11/22 10:00:01,0,any,0,7213455,0x0,"
    '"Korea, Republic of",10.0.0.0-10.255.255.255,0,1,0,policy-deny,0,0,0,0,,PA-440,from-policy,,,0,,0,,N/A,0,0,0,0'
)
# Elastic: subtype deny for ping (the sample logs action "allow"; here it is the documented "drop").
PING_DROP = (
    "Nov 30 16:09:34 PA-220 1,2018/11/30 16:09:33,012801096514,TRAFFIC,drop,2049,2018/11/30 16:09:33,192.168.15.224,"
    "175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,ping,vsys1,trust,untrust,ethernet1/2,"
    "ethernet1/1,send_to_mac,2018/11/30 16:09:33,24242,6,0,0,0,0,0x500019,icmp,drop,1176,588,588,12,"
    "2018/11/30 16:09:19,0,any,0,32091136,0x0,192.168.0.0-192.168.255.255,United States,0,6,6,aged-out,0,0,0,0,,"
    "PA-220,from-policy,,,0,,0,,N/A,0,0,0,0"
)
THREAT = (
    "Nov 22 10:00:03 PA-440 1,2026/11/22 10:00:03,012801096514,THREAT,vulnerability,2561,2026/11/22 10:00:03,"
    "203.0.113.5,198.51.100.7,0.0.0.0,0.0.0.0,inbound,,,ssh,vsys1,untrust,trust,ethernet1/1,ethernet1/2,default,"
    "2026/11/22 10:00:03,7213456,1,51235,22,0,0,0x2000,tcp,reset-both,"
    '"",SSH User Authentication Brute Force Attempt(40015),any,high,client-to-server'
)
EXPORT_HEADER = (
    "Domain,Receive Time,Serial #,Type,Threat/Content Type,Config Version,Generate Time,Source address,"
    "Destination address,NAT Source IP,NAT Destination IP,Rule,Source User,Destination User,Application,"
    "Virtual System,Source Zone,Destination Zone,Inbound Interface,Outbound Interface,Log Action,Time Logged,"
    "Session ID,Repeat Count,Source Port,Destination Port,NAT Source Port,NAT Destination Port,Flags,IP Protocol,"
    "Action,Bytes,Bytes Sent,Bytes Received,Packets,Start Time,Elapsed Time (sec),Category,Padding,seqno,actionflags,"
    "Source Country,Destination Country,cpadding,pkts_sent,pkts_received"
)
EXPORT_ROW = (
    "1,2026/11/22 10:00:02,012801096514,TRAFFIC,drop,2561,2026/11/22 10:00:01,2001:db8::5,2001:db8::7,::,::,"
    "interzone-default,,,not-applicable,vsys1,untrust,trust,ethernet1/1,,default,2026/11/22 10:00:02,0,1,40000,"
    "3389,0,0,0x0,tcp,drop,78,78,0,1,2026/11/22 10:00:01,0,any,0,7213460,0x0,Netherlands,United States,0,1,0"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_syslog_forwarded_deny_with_repeat_count():
    assert parse_one(parser, DENY, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        count=3,
    )


def test_generated_time_is_the_firewalls_local_time():
    assert parse_one(parser, DENY, ctx("Asia/Tokyo")).time == datetime(2026, 11, 22, 1, 0, 1, tzinfo=UTC)


def test_receive_time_is_used_when_generated_time_is_empty():
    line = DENY.replace("TRAFFIC,deny,2561,2026/11/22 10:00:01,", "TRAFFIC,deny,2561,,")
    assert parse_one(parser, line, ctx()).time == datetime(2026, 11, 22, 10, 0, 2, tzinfo=UTC)


def test_icmp_has_no_ports_because_pan_os_logs_zeros():
    result = parse_one(parser, PING_DROP, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.count) == ("icmp", None, None, 6)
    assert (result.source_ip, result.target_ip) == ("192.168.15.224", "175.16.199.1")


@pytest.mark.parametrize("action", ["deny", "drop", "drop-icmp", "reset-client", "reset-server", "reset-both"])
def test_every_blocking_action_is_an_event(action):
    result = parse_one(parser, DENY.replace(",tcp,reset-both,", f",tcp,{action},"), ctx())
    assert isinstance(result, ParsedEvent)
    assert result.target_port == 22


def test_allowed_sessions_are_skipped():
    assert parse_one(parser, ALLOWED, ctx()) == Skipped(1, "allowed traffic")


def test_threat_logs_are_not_traffic_logs():
    assert parse_one(parser, THREAT, ctx()) == Skipped(1, "not a traffic log (THREAT)")


def test_a_quoted_field_with_a_comma_does_not_shift_the_columns():
    # PAN-OS quotes a value holding a comma; splitting on every comma would
    # shift every later column by one.
    line = DENY.replace(",interzone-default,", ',"deny, log and count",')
    result = parse_one(parser, line, ctx())
    assert (result.source_port, result.target_port, result.protocol, result.count) == (51234, 22, "tcp", 3)


def test_exported_csv_reads_columns_from_its_header_row():
    results = parse_all(parser, [EXPORT_HEADER, EXPORT_ROW], ctx())
    assert results == [
        Skipped(1, "header"),
        ParsedEvent(
            lineno=2,
            time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
            source_ip="2001:db8::5",
            target_ip="2001:db8::7",
            protocol="tcp",
            source_port=40000,
            target_port=3389,
        ),
    ]


def test_exported_csv_with_reordered_columns():
    header = (
        "Receive Time,Type,Source address,Destination address,Source Port,Destination Port,IP Protocol,Action,"
        "Repeat Count,Generate Time"
    )
    row = "2026/11/22 10:00:02,TRAFFIC,203.0.113.5,198.51.100.7,51234,23,tcp,deny,2,2026/11/22 10:00:01"
    results = parse_all(parser, ["Domain," + header, "1," + row], ctx())
    assert results[1] == ParsedEvent(
        2, datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), "203.0.113.5", "198.51.100.7", "tcp", 51234, 23, "", 2
    )


def test_an_export_header_may_start_with_receive_time_and_carry_a_byte_order_mark():
    header = "\ufeff" + EXPORT_HEADER.removeprefix("Domain,")
    row = EXPORT_ROW.removeprefix("1,")
    results = parse_all(parser, [header, row], ctx())
    assert results[0] == Skipped(1, "header")
    assert (results[1].source_ip, results[1].target_port) == ("2001:db8::5", 3389)


def test_an_export_header_without_a_needed_column_is_rejected():
    (result,) = parse_all(parser, [EXPORT_HEADER.replace(",Repeat Count,", ",Repeats,")], ctx())
    assert isinstance(result, Rejection)
    assert result.reason == "CSV header has no 'repeat count' column"


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        DENY,
        DENY.replace(",203.0.113.5,", ",203.0.113.555,"),
        DENY.replace(",tcp,reset-both,", ",tcp,quarantine,"),
        DENY.split(",0x0,tcp,")[0],
        DENY.replace(",0,3,51234,", ",0,three,51234,"),
        DENY.replace("TRAFFIC,deny,2561,2026/11/22 10:00:01,", "TRAFFIC,deny,2561,2026/11/31 10:00:01,"),
        "Nov 22 10:00:02 PA-440 this is not a log record",
        "",
        PING_DROP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 9]
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert all(isinstance(r, Rejection) for r in results[1:-1])
    assert [r.reason for r in results[1:-1]] == [
        "invalid IPv4 address '203.0.113.555'",
        "unknown action 'quarantine'",
        "a traffic record has at least 31 fields, this line has 28",
        "invalid repeat count 'three'",
        "unreadable time stamp '2026-11-31 10:00:01'",
        "not a PAN-OS log record (no receive time, serial number and type)",
    ]
    assert results[2].line == lines[2]


def test_detect_picks_paloalto_for_syslog_and_for_an_export():
    assert detect([ALLOWED, DENY, THREAT, PING_DROP]).name == "paloalto"
    assert detect([EXPORT_HEADER, EXPORT_ROW]).name == "paloalto"


@pytest.mark.parametrize(
    "line",
    [
        "1,2026/11/22 10:00:01,203.0.113.5,TCP,198.51.100.7,22",
        "time,source,destination,port",
        'date=2026-11-22 time=10:00:01 logid="0000000013" type="traffic" srcip=203.0.113.5 action="deny"',
        "2026-11-22 10:00:01 DROP TCP 203.0.113.5 192.168.1.10 51234 445 52 S 1 0 8192 - - - RECEIVE",
    ],
)
def test_matches_ignores_other_csv_and_log_formats(line):
    assert not parser.matches(line)
