"""Palo Alto Networks PAN-OS traffic and threat logs (CSV), specified by example.

Records are built field by field in the order of PAN-OS "Syslog Field
Descriptions" (Traffic Log Fields and Threat Log Fields, 9.1 to 11.x), with
the action values those pages document and generated addresses; the export
header is the column list of the web interface's "Export to CSV". Nothing is
taken from another project's samples.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.paloalto import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# The fields both formats share, in the documented order (0 to 30).
SHARED = (  # noqa: SIM905 - the documented order reads best as a line of names
    "future_use_0 receive_time serial type subtype future_use_5 generated_time src dst nat_src nat_dst "
    "rule src_user dst_user application vsys from_zone to_zone inbound_if outbound_if log_action "
    "future_use_21 session_id repeat_count sport dport nat_sport nat_dport flags protocol action"
).split()
# Traffic Log Fields after Action, up to Session End Reason and the device name (9.1).
TRAFFIC_TAIL = (  # noqa: SIM905 - the documented order reads best as a line of names
    "bytes bytes_sent bytes_received packets start_time elapsed category future_use_38 seqno action_flags "
    "src_country dst_country future_use_43 pkts_sent pkts_received session_end_reason dg1 dg2 dg3 dg4 "
    "vsys_name device_name action_source"
).split()
# Threat Log Fields after Action, up to the device name (9.1).
THREAT_TAIL = (  # noqa: SIM905 - the documented order reads best as a line of names
    "url threat_id category severity direction seqno action_flags src_location dst_location future_use_40 "
    "content_type pcap_id file_digest cloud url_index user_agent file_type xff referer sender subject "
    "recipient report_id dg1 dg2 dg3 dg4 vsys_name device_name"
).split()

COMMON = {
    "future_use_0": "1",
    "receive_time": "2026/11/22 10:00:02",
    "serial": "012801096514",
    "future_use_5": "2561",
    "generated_time": "2026/11/22 10:00:01",
    # No NAT: PAN-OS writes the unspecified address, which binds nothing here.
    "nat_src": "0.0.0.0",  # noqa: S104
    "nat_dst": "0.0.0.0",  # noqa: S104
    "vsys": "vsys1",
    "from_zone": "untrust",
    "to_zone": "trust",
    "inbound_if": "ethernet1/1",
    "log_action": "default",
    "future_use_21": "2026/11/22 10:00:02",
    "session_id": "0",
    "nat_sport": "0",
    "nat_dport": "0",
    "flags": "0x0",
}


def record(tail: list[str], **values: str) -> str:
    fields = {**COMMON, **values}
    return ",".join(fields.get(name, "") for name in SHARED + tail)


def traffic(**values: str) -> str:
    return record(TRAFFIC_TAIL, type="TRAFFIC", **values)


def threat(**values: str) -> str:
    return record(THREAT_TAIL, type="THREAT", **values)


# An inbound SSH probe hitting the interzone default deny, three times within five seconds.
DENY = "Nov 22 10:00:02 PA-440 " + traffic(
    subtype="deny",
    src="45.33.70.5",
    dst="100.70.0.7",
    rule="interzone-default",
    application="not-applicable",
    repeat_count="3",
    sport="51234",
    dport="22",
    protocol="tcp",
    action="reset-both",
    bytes="74",
    bytes_sent="74",
    bytes_received="0",
    packets="1",
    src_country='"Korea, Republic of"',
    dst_country="100.70.0.0-100.70.255.255",
    session_end_reason="policy-deny",
    device_name="PA-440",
    action_source="from-policy",
)
ALLOWED = "Nov 30 16:09:08 PA-220 " + traffic(
    subtype="end",
    src="100.70.15.207",
    dst="89.248.199.1",
    from_zone="trust",
    to_zone="untrust",
    rule="new_outbound_from_trust",
    application="ssl",
    session_id="22751",
    repeat_count="1",
    sport="55113",
    dport="443",
    protocol="tcp",
    action="allow",
    bytes="7734",
    session_end_reason="tcp-fin",
    device_name="PA-220",
)
PING_DROP = "Nov 22 10:00:34 PA-220 " + traffic(
    subtype="drop",
    src="185.220.104.24",
    dst="100.70.199.1",
    rule="interzone-default",
    application="ping",
    repeat_count="6",
    sport="0",
    dport="0",
    protocol="icmp",
    action="drop",
    session_end_reason="policy-deny",
)
SCAN = "<14>1 2026-11-22T10:00:03+01:00 PA-440 - - - - " + threat(
    subtype="scan",
    src="89.248.165.60",
    dst="100.70.0.7",
    application="not-applicable",
    repeat_count="1",
    sport="0",
    dport="0",
    protocol="tcp",
    action="drop",
    url="",
    threat_id="TCP Port scan(8001)",
    category="any",
    severity="critical",
    direction="client-to-server",
)
VULNERABILITY = "Nov 22 10:00:03 PA-440 " + threat(
    subtype="vulnerability",
    src="45.33.70.5",
    dst="100.70.0.7",
    rule="inbound",
    application="ssh",
    repeat_count="1",
    sport="51235",
    dport="22",
    protocol="tcp",
    action="reset-both",
    url='""',
    threat_id="SSH User Authentication Brute Force Attempt(40015)",
    category="any",
    severity="high",
    direction="client-to-server",
)
URL_BLOCK = "Nov 22 10:00:04 PA-440 " + threat(
    subtype="url",
    src="100.70.15.207",
    dst="89.248.1.1",
    protocol="tcp",
    sport="55000",
    dport="443",
    action="block-url",
    url="malware.example/",
)
# A SYSTEM record: shorter than a traffic one, it shares only the first seven fields with it.
SYSTEM = (
    "Nov 22 10:00:05 PA-440 1,2026/11/22 10:00:05,012801096514,SYSTEM,general,0,2026/11/22 10:00:05,,general,,0,0,"
    "general,informational,User admin logged in via Web from 100.70.0.50 using https,7213470,0x0,0,0,0,0,,PA-440,0,0,"
    "2026-11-22T10:00:05.123+01:00"
)
EXPORT_HEADER = (
    "Domain,Receive Time,Serial #,Type,Threat/Content Type,Config Version,Generate Time,Source address,"
    "Destination address,NAT Source IP,NAT Destination IP,Rule,Source User,Destination User,Application,"
    "Virtual System,Source Zone,Destination Zone,Inbound Interface,Outbound Interface,Log Action,Time Logged,"
    "Session ID,Repeat Count,Source Port,Destination Port,NAT Source Port,NAT Destination Port,Flags,IP Protocol,"
    "Action,Bytes,Bytes Sent,Bytes Received,Packets,Start Time,Elapsed Time (sec),Category,Padding,seqno,actionflags,"
    "Source Country,Destination Country,cpadding,pkts_sent,pkts_received"
)
EXPORT_ROW = traffic(
    subtype="drop",
    src="2a0e:97c0::5",
    dst="2a01:4f8::7",
    nat_src="::",
    nat_dst="::",
    rule="interzone-default",
    application="not-applicable",
    repeat_count="1",
    sport="40000",
    dport="3389",
    protocol="tcp",
    action="drop",
    src_country="Netherlands",
    dst_country="Germany",
)


ctx = partial(make_ctx, received=RECEIVED)


def test_the_builders_follow_the_documented_positions():
    cells = DENY.removeprefix("Nov 22 10:00:02 PA-440 ").replace('"Korea, Republic of"', "KR").split(",")
    assert (cells[3], cells[6], cells[7], cells[8], cells[23], cells[24], cells[25], cells[29], cells[30]) == (
        "TRAFFIC",
        "2026/11/22 10:00:01",
        "45.33.70.5",
        "100.70.0.7",
        "3",
        "51234",
        "22",
        "tcp",
        "reset-both",
    )
    assert threat(action="drop").split(",")[30] == "drop"


def test_syslog_forwarded_deny_with_repeat_count():
    assert parse_one(parser, DENY, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="45.33.70.5",
        target_ip="100.70.0.7",
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
    assert (result.source_ip, result.target_ip) == ("185.220.104.24", "100.70.199.1")


@pytest.mark.parametrize("action", ["deny", "drop", "drop-icmp", "reset-client", "reset-server", "reset-both"])
def test_every_blocking_traffic_action_is_an_event(action):
    result = parse_one(parser, DENY.replace(",tcp,reset-both,", f",tcp,{action},"), ctx())
    assert isinstance(result, ParsedEvent)
    assert result.target_port == 22


def test_allowed_sessions_are_skipped():
    assert parse_one(parser, ALLOWED, ctx()) == Skipped(1, "allowed traffic")


def test_newer_releases_add_fields_at_the_end_and_older_ones_stop_earlier():
    # PAN-OS 11 appends device identity, high-resolution time and more after the 9.1 fields.
    longer = DENY + ",0,0,0,0,,,,,," + "2026-11-22T10:00:01.123+01:00" + ",0" * 40
    shorter = DENY.split(",policy-deny,")[0]  # an 8.x record ending at Packets Received
    expected = (datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), "45.33.70.5", "100.70.0.7", "tcp", 51234, 22, 3)
    for event in parse_all(parser, [longer, shorter], ctx()):
        got = (event.time, event.source_ip, event.target_ip, event.protocol, event.source_port, event.target_port)
        assert (*got, event.count) == expected


def test_scan_and_vulnerability_threats_that_were_blocked_are_events():
    scan, vuln = parse_all(parser, [SCAN, VULNERABILITY], ctx())
    # A scan log sums up many probes: its zero ports are no port the scanner used.
    assert scan == ParsedEvent(1, datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), "89.248.165.60", "100.70.0.7", "tcp")
    assert (vuln.source_ip, vuln.source_port, vuln.target_port, vuln.protocol) == ("45.33.70.5", 51235, 22, "tcp")


@pytest.mark.parametrize("action", ["drop", "drop-all-packets", "reset-client", "block-ip", "random-drop", "deny"])
def test_every_blocking_threat_action_is_an_event(action):
    line = VULNERABILITY.replace(",tcp,reset-both,", f",tcp,{action},")
    assert parse_one(parser, line, ctx()).target_port == 22


def test_spyware_sinkholed_is_an_event():
    line = VULNERABILITY.replace(",vulnerability,", ",spyware,").replace(",tcp,reset-both,", ",udp,sinkhole,")
    assert parse_one(parser, line, ctx()).protocol == "udp"


@pytest.mark.parametrize(("subtype", "action"), [("vulnerability", "alert"), ("scan", "alert"), ("spyware", "allow")])
def test_threats_detected_but_not_blocked_let_the_traffic_through(subtype, action):
    line = VULNERABILITY.replace(",vulnerability,", f",{subtype},").replace(",tcp,reset-both,", f",tcp,{action},")
    assert parse_one(parser, line, ctx()) == Skipped(1, f"allowed traffic: {subtype} {action}")


def test_other_threat_subtypes_and_log_types_are_not_traffic_records():
    assert parse_all(parser, [URL_BLOCK, SYSTEM], ctx()) == [
        Skipped(1, "not a traffic record: threat log (url)"),
        Skipped(2, "not a traffic record: system log"),
    ]


def test_a_quoted_field_with_a_comma_does_not_shift_the_columns():
    # PAN-OS quotes a value holding a comma; splitting on every comma would
    # shift every later column by one.
    line = DENY.replace(",interzone-default,", ',"deny, log and count",')
    result = parse_one(parser, line, ctx())
    assert (result.source_port, result.target_port, result.protocol, result.count) == (51234, 22, "tcp", 3)


def test_exported_csv_reads_columns_from_its_header_row():
    results = parse_all(parser, [EXPORT_HEADER, EXPORT_ROW], ctx())
    assert results == [
        Skipped(1, "not a traffic record: header"),
        ParsedEvent(
            lineno=2,
            time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
            source_ip="2a0e:97c0::5",
            target_ip="2a01:4f8::7",
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
    row = "2026/11/22 10:00:02,TRAFFIC,45.33.70.5,100.70.0.7,51234,23,tcp,deny,2,2026/11/22 10:00:01"
    results = parse_all(parser, ["Domain," + header, "1," + row], ctx())
    assert results[1] == ParsedEvent(
        2, datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), "45.33.70.5", "100.70.0.7", "tcp", 51234, 23, "", 2
    )


def test_an_export_header_may_start_with_receive_time_and_carry_a_byte_order_mark():
    header = "\ufeff" + EXPORT_HEADER.removeprefix("Domain,")
    row = EXPORT_ROW.removeprefix("1,")
    results = parse_all(parser, [header, row], ctx())
    assert results[0] == Skipped(1, "not a traffic record: header")
    assert (results[1].source_ip, results[1].target_port) == ("2a0e:97c0::5", 3389)


def test_an_export_header_without_a_needed_column_is_rejected():
    (result,) = parse_all(parser, [EXPORT_HEADER.replace(",Repeat Count,", ",Repeats,")], ctx())
    assert isinstance(result, Rejection)
    assert result.reason == "CSV header has no 'repeat count' column"


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        DENY,
        DENY.replace(",45.33.70.5,", ",45.33.70.555,"),
        DENY.replace(",tcp,reset-both,", ",tcp,quarantine,"),
        DENY.split(",0x0,tcp,")[0],
        DENY.replace(",0,3,51234,", ",0,three,51234,"),
        DENY.replace("TRAFFIC,deny,2561,2026/11/22 10:00:01,", "TRAFFIC,deny,2561,2026/11/31 10:00:01,"),
        "Nov 22 10:00:02 PA-440 this is not a log record",
        VULNERABILITY.replace(",tcp,reset-both,", ",tcp,shrug,"),
        "",
        PING_DROP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert all(isinstance(r, Rejection) for r in results[1:-1])
    assert [r.reason for r in results[1:-1]] == [
        "invalid IPv4 address '45.33.70.555'",
        "unknown action 'quarantine'",
        "a traffic record has at least 31 fields, this line has 28",
        "invalid repeat count 'three'",
        "unreadable time stamp '2026-11-31 10:00:01'",
        "not a PAN-OS log record (no receive time, serial number and type)",
        "unknown vulnerability action 'shrug'",
    ]
    assert results[2].line == lines[2]


def test_detect_picks_paloalto_for_syslog_and_for_an_export():
    assert detect([ALLOWED, DENY, VULNERABILITY, PING_DROP]).name == "paloalto"
    assert detect([SCAN, SCAN, SYSTEM]).name == "paloalto"
    assert detect([EXPORT_HEADER, EXPORT_ROW]).name == "paloalto"


@pytest.mark.parametrize(
    "line",
    [
        "1,2026/11/22 10:00:01,45.33.70.5,TCP,100.70.0.7,22",
        "time,source,destination,port",
        'date=2026-11-22 time=10:00:01 logid="0000000013" type="traffic" srcip=45.33.70.5 action="deny"',
        "2026-11-22 10:00:01 DROP TCP 45.33.70.5 100.70.0.10 51234 445 52 S 1 0 8192 - - - RECEIVE",
    ],
)
def test_matches_ignores_other_csv_and_log_formats(line):
    assert not parser.matches(line)
