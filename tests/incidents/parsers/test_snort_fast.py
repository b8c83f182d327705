"""Snort / Suricata one-line alerts, specified by example.

Sample lines come from the projects' own output code and public fixtures:
Snort 2.9 lines from the Elastic ``snort`` integration's pipeline tests
(``test-log-fast.log``, ``test-log-syslog.log``), the Snort 2.6 ``-A fast``
example in R. Bejtlich's "Snort command line output modes", Suricata lines
from the CDMCS training notes and Suricata's ``alert-fastlog.c`` /
``alert-syslog.c`` format strings. Addresses in invented lines are from the
documentation ranges.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.snort_fast import parser
from incidents.parsers.suricata_eve import parser as eve_parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

SNORT_TCP = (
    "04/24-15:50:29.236253  [**] [1:498:6] ATTACK-RESPONSES id check returned root [**] "
    "[Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 82.165.50.118:80 -> 69.143.202.28:39929"
)
SNORT_UDP = (
    "05/30-19:09:28.472094  [**] [1:2012811:2] ET DNS DNS Query to a .tk domain - Likely Hostile [**] "
    "[Classification: Potentially Bad Traffic] [Priority: 2] {UDP} 192.168.88.10:1029 -> 4.2.2.3:53"
)
SNORT_ICMP = (
    "01/21-02:23:42.208605  [**] [1:408:5] ICMP Echo Reply [**] [Classification: Misc activity] "
    "[Priority: 3] {ICMP} 31.7.62.154 -> 192.168.115.10"
)
SNORT_NO_CLASS = (
    "05/30-19:09:10.917356  [**] [1:477:3] ICMP Packet [**] [Priority: 0] {ICMP} 172.25.212.245 -> 172.25.212.153"
)
SURICATA_TCP = (
    "12/07/2015-19:30:03.307554  [**] [1:2200074:1] SURICATA TCPv4 invalid checksum [**] "
    "[Classification: (null)] [Priority: 3] {TCP} 192.168.11.11:42336 -> 192.168.12.12:80"
)
SURICATA_SSH = (
    "11/22/2026-10:00:01.123456  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] "
    "[Classification: Attempted Information Leak] [Priority: 2] {TCP} 203.0.113.5:51234 -> 198.51.100.7:22"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_snort_tcp_alert_without_year_gets_the_year_before_the_submission():
    assert parse_one(parser, SNORT_TCP, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 4, 24, 15, 50, 29, tzinfo=UTC),
        source_ip="82.165.50.118",
        target_ip="69.143.202.28",
        protocol="tcp",
        source_port=80,
        target_port=39929,
    )


def test_year_inference_places_late_december_in_the_previous_year():
    result = parse_one(
        parser, SNORT_UDP.replace("05/30-19:09:28", "12/30-23:59:58"), ctx(received=datetime(2026, 1, 2, tzinfo=UTC))
    )
    assert result.time == datetime(2025, 12, 30, 23, 59, 58, tzinfo=UTC)
    assert (result.protocol, result.source_port, result.target_port) == ("udp", 1029, 53)


def test_snort_icmp_has_no_ports():
    result = parse_one(parser, SNORT_ICMP, ctx())
    assert (result.source_ip, result.target_ip, result.protocol) == ("31.7.62.154", "192.168.115.10", "icmp")
    assert (result.source_port, result.target_port) == (None, None)
    assert result.time == datetime(2026, 1, 21, 2, 23, 42, tzinfo=UTC)


def test_alert_without_classification_is_still_an_event():
    result = parse_one(parser, SNORT_NO_CLASS, ctx())
    assert isinstance(result, ParsedEvent)
    assert (result.source_ip, result.target_ip) == ("172.25.212.245", "172.25.212.153")


def test_snort_dash_y_two_digit_year_is_used_as_is():
    line = SNORT_TCP.replace("04/24-15:50:29", "04/24/24-15:50:29")
    assert parse_one(parser, line, ctx()).time == datetime(2024, 4, 24, 15, 50, 29, tzinfo=UTC)


def test_suricata_four_digit_year():
    result = parse_one(parser, SURICATA_TCP, ctx())
    assert result.time == datetime(2015, 12, 7, 19, 30, 3, tzinfo=UTC)
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "192.168.11.11",
        42336,
        "192.168.12.12",
        80,
    )
    assert result.tcp_flags == ""


def test_time_without_zone_is_read_in_the_submission_zone():
    sydney = ctx("Australia/Sydney")
    # 10:00 in Sydney in November is daylight time, UTC+11.
    assert parse_one(parser, SURICATA_SSH, sydney).time == datetime(2026, 11, 21, 23, 0, 1, tzinfo=UTC)
    year_less = SNORT_TCP.replace("04/24-15:50:29", "11/22-10:00:01")
    assert parse_one(parser, year_less, sydney).time == datetime(2026, 11, 21, 23, 0, 1, tzinfo=UTC)


def test_local_time_in_a_dst_gap_is_rejected_with_the_reason():
    # Sydney clocks jumped from 02:00 to 03:00 on 4 October 2026.
    result = parse_one(parser, SURICATA_SSH.replace("11/22/2026-10:00", "10/04/2026-02:30"), ctx("Australia/Sydney"))
    assert isinstance(result, Rejection)
    assert "does not exist" in result.reason


def test_suricata_drop_and_would_drop_prefixes_are_alerts():
    for prefix in ("[Drop] ", "[wDrop] "):
        line = SURICATA_SSH.replace("  [**]", f"  {prefix}[**]", 1)
        result = parse_one(parser, line, ctx())
        assert isinstance(result, ParsedEvent), prefix
        assert (result.source_ip, result.target_port) == ("203.0.113.5", 22)


def test_suricata_icmp_carries_type_and_code_in_the_port_places():
    line = (
        "11/22/2026-10:00:01.123456  [**] [1:2100384:5] GPL ICMP_INFO PING [**] [Classification: Misc activity] "
        "[Priority: 3] {ICMP} 203.0.113.5:8 -> 198.51.100.7:0"
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)


def test_unnamed_protocol_number_is_normalised_and_zero_ports_dropped():
    line = (
        "11/22/2026-10:00:01.123456  [**] [1:2200003:2] ET POLICY GRE [**] [Classification: Misc activity] "
        "[Priority: 3] {PROTO:047} 203.0.113.5:0 -> 198.51.100.7:0"
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("gre", None, None)


@pytest.mark.parametrize(
    "addresses",
    ["[2001:db8::1]:51234 -> [2001:db8::2]:22", "2001:db8::1:51234 -> 2001:db8::2:22"],
    ids=["bracketed", "bare"],
)
def test_ipv6_tcp_with_ports(addresses):
    line = SURICATA_SSH.replace("203.0.113.5:51234 -> 198.51.100.7:22", addresses)
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2001:db8::1",
        51234,
        "2001:db8::2",
        22,
    )


def test_snort_ipv6_icmp_has_no_port_so_the_last_group_stays_in_the_address():
    line = (
        "11/22-10:00:01.123456  [**] [1:1000001:1] ICMPv6 ping [**] [Priority: 0] "
        "{IPV6-ICMP} 2001:db8:85a3::8a2e:370:7334 -> 2001:db8::2:1"
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.protocol) == (
        "2001:db8:85a3::8a2e:370:7334",
        "2001:db8::2:1",
        "icmpv6",
    )
    assert result.source_port is None


def test_suricata_ipv6_icmp_prints_type_and_code():
    line = (
        "11/22/2026-10:00:01.123456  [**] [1:2200094:1] SURICATA ICMPv6 ping [**] [Classification: (null)] "
        "[Priority: 3] {IPV6-ICMP} 2001:db8::1:128 -> 2001:db8::2:0"
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip) == ("2001:db8::1", "2001:db8::2")
    assert (result.protocol, result.source_port, result.target_port) == ("icmpv6", 128, 0)


def test_snort_tcp_fragment_without_ports_keeps_ipv6_addresses_whole():
    line = "11/22-10:00:01.123456  [**] [123:8:1] frag overlap [**] [Priority: 3] {TCP} 2001:db8::1 -> 2001:db8::2"
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.source_port) == ("2001:db8::1", "2001:db8::2", None)


def test_syslog_snort_alert():
    line = (
        "Sep  5 16:05:26 dev snort: [1:1000017:0] UDP Connection [Classification: Misc activity] "
        "[Priority: 3] {UDP} 10.150.10.44:55776 -> 10.25.10.22:32414"
    )
    assert parse_one(parser, line, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 5, 16, 5, 26, tzinfo=UTC),
        source_ip="10.150.10.44",
        target_ip="10.25.10.22",
        protocol="udp",
        source_port=55776,
        target_port=32414,
    )


def test_syslog_snort2_priority_colon_and_pid():
    line = (
        "Nov 22 10:00:01 ids snort[123]: [1:2001219:20] ET SCAN Potential SSH Scan "
        "[Classification: Attempted Information Leak] [Priority: 2]: {TCP} 203.0.113.5:51234 -> 198.51.100.7:22"
    )
    result = parse_one(parser, line, ctx("Australia/Sydney"))
    assert result.time == datetime(2026, 11, 21, 23, 0, 1, tzinfo=UTC)
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "203.0.113.5",
        51234,
        "198.51.100.7",
        22,
    )


def test_syslog_suricata_drop_and_ipv6_with_port():
    line = (
        "Nov 22 10:00:01 ids suricata[4321]: [Drop] [1:2001219:20] ET SCAN Potential SSH Scan "
        "[Classification: Attempted Information Leak] [Priority: 2] {TCP} 2001:db8::5:51234 -> 2001:db8::7:22"
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2001:db8::5",
        51234,
        "2001:db8::7",
        22,
    )


def test_syslog_icmp_and_iso_stamp_with_offset():
    line = (
        "2026-11-22T10:00:01.123456+01:00 dev snort[77]: [1:1000015:0] Pinging... [Classification: Misc activity] "
        "[Priority: 3] {ICMP} 10.50.10.88 -> 175.16.199.1"
    )
    result = parse_one(parser, line, ctx("Australia/Sydney"))
    assert result.time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    assert (result.protocol, result.source_port) == ("icmp", None)


def test_syslog_lines_that_are_not_alerts_are_skipped():
    result = parse_one(parser, "Nov 22 10:00:00 ids snort[123]: Commencing packet processing (pid=123)", ctx())
    assert result == Skipped(1, "not a traffic record: not an IDS alert")


def test_decoder_event_without_addresses_is_skipped():
    line = (
        "11/22/2026-10:00:01.123456  [**] [1:2200003:2] SURICATA IPv4 truncated packet [**] "
        "[Classification: (null)] [Priority: 3] [**] [Raw pkt: 00 1B 17 00 01 18 00 03 2D 3F E5 63 08 00 ]"
    )
    assert parse_one(parser, line, ctx()) == Skipped(1, "not a traffic record: alert without IP addresses")


def test_bad_lines_are_rejected_with_reason_and_good_lines_around_them_kept():
    lines = [
        SNORT_TCP,
        "this is not an alert",
        SNORT_UDP.replace("4.2.2.3", "4.2.2.300"),
        SNORT_UDP.replace(":53", ":70000"),
        SNORT_ICMP.replace("01/21-", "13/21-"),
        SNORT_UDP.replace("-> 4.2.2.3:53", "->"),
        "04/24-15:50:29.236253  [**] no signature id here [**] {TCP} 1.2.3.4:1 -> 5.6.7.8:2",
        "",
        SURICATA_TCP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [type(r).__name__ for r in results] == [
        "ParsedEvent",
        "Rejection",
        "Rejection",
        "Rejection",
        "Rejection",
        "Rejection",
        "Rejection",
        "ParsedEvent",
    ]
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 9]
    reasons = {r.lineno: r.reason for r in results if isinstance(r, Rejection)}
    assert reasons[2] == "not a Snort or Suricata alert line"
    assert reasons[3] == "invalid IPv4 address '4.2.2.300'"
    assert reasons[4] == "port 70000 out of range"
    assert "unreadable time stamp" in reasons[5]
    assert reasons[6] == "unreadable protocol or addresses"
    assert "generator:signature:revision" in reasons[7]
    assert results[2].line == lines[2]


def test_matches_alert_lines_but_not_other_formats():
    for line in (SNORT_TCP, SNORT_ICMP, SURICATA_TCP, SURICATA_SSH):
        assert parser.matches(line), line
    assert parser.matches(
        "Sep  5 16:05:26 dev snort: [1:1000016:0] TCP Connection [Priority: 3] "
        "{TCP} 10.50.20.59:58720 -> 10.50.10.190:22"
    )
    for other in (
        '{"timestamp":"2026-11-22T10:00:01.123456+0100","event_type":"alert","src_ip":"203.0.113.5"}',
        "Nov 22 10:00:01 fw kernel: [12345.678] DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 PROTO=TCP",
        "Nov 22 10:00:00 ids snort[123]: Commencing packet processing (pid=123)",
        "2026-11-22 10:00:01 DROP TCP 203.0.113.5 198.51.100.7 51234 22 60 S - - - - - - - RECEIVE",
    ):
        assert not parser.matches(other), other
    assert not eve_parser.matches(SNORT_TCP)


def test_detect_picks_this_parser_for_a_fast_log():
    sample = [SNORT_TCP, SNORT_UDP, SNORT_ICMP, SNORT_NO_CLASS, "", SURICATA_TCP]
    assert detect(sample) is parser
