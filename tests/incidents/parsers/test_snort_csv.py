"""Snort CSV alerts, specified by example.

Lines written by hand from the output code: Snort 2 ``spo_csv.c``
(DEFAULT_CSV's 27 fields; msg through TextLog_Quote; proto only TCP, UDP or
ICMP; ports only for TCP and UDP; ethlen, tcpseq, tcpack, tcpwindow as
``0x%X``; tcpflags from CreateTCPFlagString, ``12UAPRSF`` with ``*`` for
unset), ``ts_print`` (``MM/DD[/YY]-hh:mm:ss.uuuuuu`` and a trailing space),
the pfSense package's ``output alert_csv: alert timestamp,sig_generator,
sig_id,sig_rev,msg,proto,src,srcport,dst,dstport,id,classification,priority,
action,disposition`` (and the older 13-field list), and Snort 3
``alert_csv.cc`` (default fields ``timestamp pkt_num proto pkt_gen pkt_len
dir src_ap dst_ap rule action``, separator ``", "``, ``addr:port`` with port
0 for protocols without ports). Addresses are made up.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.generic_csv import parser as generic_parser
from incidents.parsers.snort_csv import parser
from incidents.parsers.snort_fast import parser as fast_parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ctx = partial(make_ctx, received=RECEIVED)

ETH = "00:1B:17:00:01:18,00:03:2D:3F:E5:63"
SNORT2_TCP = (
    '11/20-14:03:11.123456 ,1,2001219,20,"ET SCAN Potential SSH Scan",TCP,45.33.17.9,51234,100.70.4.2,22,'
    f"{ETH},0x4A,******S*,0x1A2B3C4D,0x0,40,0x400,51,0,54321,60,20,,,,"
)
SNORT2_ICMP = (
    '11/20-14:03:12.000001 ,1,384,8,"GPL ICMP_INFO PING",ICMP,185.220.101.4,,100.70.4.2,,'
    f"{ETH},0x62,,,,,,57,0,4242,84,20,8,0,4242,1"
)
SNORT2_UDP = (
    '11/20-14:03:13.500000 ,1,2008581,3,"ET P2P BitTorrent DHT ping request",UDP,89.248.165.7,6881,100.70.4.2,6881,'
    f"{ETH},0x5E,,,,,,49,0,1,76,20,,,,"
)
PFSENSE = (
    '11/20/26-14:03:11.123456 ,1,2001219,20,"ET SCAN Potential SSH Scan",TCP,45.33.17.9,51234,100.70.4.2,22,'
    "54321,Attempted Information Leak,2,drop,"
)
PFSENSE_OLD = (
    '11/20/26-14:03:11.123456 ,1,2402000,6845,"ET DROP Dshield Block Listed Source group 1",TCP,89.248.165.7,'
    "47011,100.70.4.2,3389,8111,Misc Attack,2"
)
SNORT3 = "11/20-14:03:11.123456, 4, TCP, raw, 60, C2S, 45.33.17.9:51234, 100.70.4.2:22, 1:2001219:20, allow"
SNORT3_ICMP = "11/20-14:03:12.000001, 9, ICMP4, raw, 84, UNK, 185.220.101.4:0, 100.70.4.2:0, 1:384:8, allow"
SNORT3_V6 = "11/20-14:03:13.000001, 12, TCP, stream_tcp, 80, C2S, 2a01:4f8::9:51234, 2a01:4f8::2:443, 1:1:1, would_drop"
HEADER = "timestamp,sig_generator,sig_id,sig_rev,msg,proto,src,srcport,dst,dstport,id,classification,priority"


def test_snort2_default_layout_is_an_event_with_ports_and_flags():
    assert parse_one(parser, SNORT2_TCP, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC),
        source_ip="45.33.17.9",
        target_ip="100.70.4.2",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        tcp_flags="S",
    )


def test_snort2_icmp_carries_type_and_code_from_their_fields():
    result = parse_one(parser, SNORT2_ICMP, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "icmp",
        "185.220.101.4",
        8,
        0,
    )


def test_snort2_udp():
    result = parse_one(parser, SNORT2_UDP, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.tcp_flags) == ("udp", 6881, 6881, "")


@pytest.mark.parametrize(("flags", "expected"), [("***A**S*", "SA"), ("12*AP***", "PAEC"), ("*******F", "F")])
def test_snort_flag_letters_become_canonical(flags, expected):
    assert parse_one(parser, SNORT2_TCP.replace("******S*", flags), ctx()).tcp_flags == expected


def test_year_less_stamps_take_the_year_before_the_submission_and_the_sensors_zone():
    late = SNORT2_TCP.replace("11/20-14:03:11", "12/31-23:59:59")
    result = parse_one(parser, late, make_ctx(received=datetime(2027, 1, 1, 6, tzinfo=UTC)))
    assert result.time == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_one(parser, SNORT2_TCP, ctx("Europe/Berlin")).time == datetime(2026, 11, 20, 13, 3, 11, tzinfo=UTC)


def test_pfsense_alert_file_with_year_and_action():
    result = parse_one(parser, PFSENSE, ctx())
    assert (result.time, result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC),
        "45.33.17.9",
        51234,
        "100.70.4.2",
        22,
    )
    old = parse_one(parser, PFSENSE_OLD, ctx())
    assert (old.source_ip, old.target_port, old.protocol) == ("89.248.165.7", 3389, "tcp")


@pytest.mark.parametrize("action", ["alert", "drop", "sdrop", "reject", "log"])
def test_every_pfsense_alert_is_an_event(action):
    assert isinstance(parse_one(parser, PFSENSE.replace(",drop,", f",{action},"), ctx()), ParsedEvent)


def test_a_pfsense_pass_rule_is_allowed_traffic():
    assert parse_one(parser, PFSENSE.replace(",drop,", ",pass,"), ctx()) == Skipped(1, "allowed traffic")


def test_quoted_message_with_commas_and_escaped_quotes():
    line = PFSENSE_OLD.replace(
        '"ET DROP Dshield Block Listed Source group 1"', '"GPL WEB \\"cmd.exe\\" access, attempt"'
    )
    assert parse_one(parser, line, ctx()).source_ip == "89.248.165.7"


def test_snort3_default_fields():
    result = parse_one(parser, SNORT3, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port, result.protocol) == (
        "45.33.17.9",
        51234,
        "100.70.4.2",
        22,
        "tcp",
    )


def test_snort3_allow_and_would_drop_are_alerts_seen():
    assert isinstance(parse_one(parser, SNORT3, ctx()), ParsedEvent)
    assert isinstance(parse_one(parser, SNORT3_V6, ctx()), ParsedEvent)


def test_snort3_icmp_drops_the_zero_ports_and_ipv6_splits_the_port():
    icmp = parse_one(parser, SNORT3_ICMP, ctx())
    assert (icmp.protocol, icmp.source_port, icmp.target_port) == ("icmp", None, None)
    v6 = parse_one(parser, SNORT3_V6, ctx())
    assert (v6.source_ip, v6.source_port, v6.target_ip, v6.target_port) == ("2a01:4f8::9", 51234, "2a01:4f8::2", 443)


def test_snort2_ipv6_addresses_stay_whole():
    line = '11/20-14:03:11.123456 ,1,1000001,1,"v6 probe",TCP,2a01:4f8::9,51234,2a01:4f8::2,22'
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2a01:4f8::9",
        51234,
        "2a01:4f8::2",
        22,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('11/20-14:03:11.123456 ,"ET SCAN Potential SSH Scan",TCP,45.33.17.9,100.70.4.2', ("tcp", None, None)),
        ("11/20-14:03:11.123456 ,TCP,45.33.17.9,51234,100.70.4.2,22", ("tcp", 51234, 22)),
        ("11/20-14:03:11.123456 ,45.33.17.9,100.70.4.2,22,UDP", ("udp", None, 22)),
        ("11/20-14:03:11.123456, TCP, 45.33.17.9, 51234, 100.70.4.2, 22", ("tcp", 51234, 22)),
    ],
)
def test_configured_subsets_are_read_by_their_fields_shapes(line, expected):
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == expected
    assert (result.source_ip, result.target_ip) == ("45.33.17.9", "100.70.4.2")


def test_a_header_row_is_not_a_traffic_record():
    assert parse_one(parser, HEADER, ctx()) == Skipped(1, "not a traffic record: header")


def test_bad_lines_are_rejected_with_a_reason():
    bad = {
        "just some text, with commas, in it, here": "no Snort time stamp (MM/DD-hh:mm:ss.uuuuuu) in the line",
        SNORT2_TCP.replace("100.70.4.2", "x"): "alert without a source and a destination address",
        SNORT2_TCP.replace(",TCP,", ",,"): "protocol field empty (Snort's CSV names only TCP, UDP and ICMP)",
        SNORT3.replace("TCP", "IP4"): "alert on an IP4 packet: Snort logged no transport protocol",
        SNORT2_TCP.replace("51234", "70000"): "port 70000 out of range",
        SNORT2_TCP.replace("******S*", "******Z*"): "invalid TCP flags '******Z*' (expected Snort's 12UAPRSF)",
        SNORT2_TCP.replace("11/20-", "13/20-"): "unreadable time stamp 13/20-14:03:11",
        # An unterminated quote swallows the rest of the line into the message.
        '11/20-14:03:11.123456 ,1,2,3,"unterminated,TCP,45.33.17.9,1,100.70.4.2,2': "alert without a source",
    }
    results = parse_all(parser, [SNORT2_TCP, *bad, SNORT3], ctx())
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    reasons = {r.line: r.reason for r in results if isinstance(r, Rejection)}
    assert set(reasons) == set(bad)
    for line, reason in bad.items():
        assert reasons[line].startswith(reason), (reasons[line], reason)


def test_matches_snort_csv_only():
    for line in (SNORT2_TCP, SNORT2_ICMP, PFSENSE, PFSENSE_OLD, SNORT3, SNORT3_V6, HEADER):
        assert parser.matches(line), line
        assert not fast_parser.matches(line), line
    fast = (
        "11/20-14:03:11.123456  [**] [1:2001219:20] ET SCAN Potential SSH Scan [**] "
        "[Classification: Attempted Information Leak] [Priority: 2] {TCP} 45.33.17.9:51234 -> 100.70.4.2:22"
    )
    for other in (fast, "time,src_ip,dst_ip,protocol", "2026-11-20 14:03:11,45.33.17.9,100.70.4.2,tcp"):
        assert not parser.matches(other), other


def test_detect_picks_snort_csv_with_or_without_a_header():
    assert detect([SNORT2_TCP, SNORT2_ICMP, SNORT2_UDP]) is parser
    assert detect([PFSENSE, PFSENSE_OLD, PFSENSE.replace(",drop,", ",alert,")]) is parser
    assert detect([SNORT3, SNORT3_ICMP, SNORT3_V6]) is parser
    # The generic CSV parser would take this header too; Snort's own names win.
    assert generic_parser.matches(HEADER)
    assert detect([HEADER, PFSENSE_OLD, PFSENSE_OLD]) is parser
