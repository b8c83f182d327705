"""DShield tab-separated submission format: a specification by example.

Field order and the Snort-style flag letters follow the DShield client
framework (``dshield/iptables/iptables.pl`` in jullrich/dshieldhoneypot):
date time zone, user id, count, source ip, source port, target ip, target
port, protocol, flags; ICMP type and code sit in the port columns."""

from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.dshield import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = datetime(2026, 11, 23, tzinfo=UTC)


def row(*fields):
    return "\t".join(fields)


GOOD = row("2026-11-20 14:03:11 -05:00", "0", "3", "203.0.113.5", "51234", "198.51.100.7", "22", "6", "S")


ctx = partial(make_ctx, tz=BERLIN, received=RECEIVED)


def test_full_line_with_zone_is_converted_to_utc():
    assert parse_one(parser, GOOD, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 20, 19, 3, 11, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        tcp_flags="S",
        count=3,
    )


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-20 14:03:11", datetime(2026, 11, 20, 13, 3, 11, tzinfo=UTC)),  # submission zone, CET
        ("2026-07-20 14:03:11", datetime(2026, 7, 20, 12, 3, 11, tzinfo=UTC)),  # CEST
        ("2026-11-20 14:03:11 +0530", datetime(2026, 11, 20, 8, 33, 11, tzinfo=UTC)),
        ("2026-11-20 14:03:11 UTC", datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)),
        ("2026-11-20T14:03:11Z", datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)),
    ],
)
def test_time_zone_is_optional(stamp, expected):
    assert parse_one(parser, GOOD.replace("2026-11-20 14:03:11 -05:00", stamp), ctx()).time == expected


@pytest.mark.parametrize(
    ("proto", "expected"),
    [("6", "tcp"), ("TCP", "tcp"), ("17", "udp"), ("udp", "udp"), ("47", "gre"), ("132", "sctp")],
)
def test_protocol_as_number_or_name(proto, expected):
    line = row("2026-11-20 14:03:11 +00:00", "0", "1", "203.0.113.5", "5000", "198.51.100.7", "53", proto)
    assert parse_one(parser, line, ctx()).protocol == expected


def test_icmp_type_and_code_and_unknown_ports():
    icmp, udp = parse_all(
        parser,
        [
            row("2026-11-20 14:03:11 +00:00", "0", "1", "203.0.113.5", "8", "198.51.100.7", "0", "1", ""),
            row("2026-11-20 14:03:12 +00:00", "12345", "1", "203.0.113.6", "???", "198.51.100.7", "???", "UDP"),
        ],
        ctx(),
    )
    assert (icmp.protocol, icmp.source_port, icmp.target_port, icmp.tcp_flags) == ("icmp", 8, 0, "")
    assert (udp.protocol, udp.source_port, udp.target_port, udp.lineno) == ("udp", None, None, 2)


@pytest.mark.parametrize(
    ("flags", "expected"), [("S", "S"), ("AS", "SA"), ("12****S*", "SEC"), ("***AP***", "PA"), ("FSRPAU", "FSRPAU")]
)
def test_snort_style_flags_become_canonical_letters(flags, expected):
    assert parse_one(parser, GOOD.replace("\tS", "\t" + flags), ctx()).tcp_flags == expected


def test_ipv6_addresses_are_canonical():
    line = row("2026-11-20 14:03:11 +00:00", "0", "1", "2001:0db8::0005", "40000", "2001:db8:0:0::1", "23", "6", "S")
    event = parse_one(parser, line, ctx())
    assert (event.source_ip, event.target_ip) == ("2001:db8::5", "2001:db8::1")


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    results = parse_all(
        parser,
        [
            GOOD,
            GOOD.replace("\t0\t3\t", "\tabc\t3\t"),
            GOOD.replace("\t0\t3\t", "\t0\t0\t"),
            GOOD.replace("203.0.113.5", "203.0.113.256"),
            GOOD.replace("51234", "70000"),
            GOOD.replace("2026-11-20 14:03:11 -05:00", "20/11/2026 14:03"),
            GOOD.replace("\tS", "\tXZ"),
            GOOD.replace("\t6\t", "\t???\t"),
            "2026-11-20 14:03:11 -05:00 0 3 203.0.113.5 51234 198.51.100.7 22 6 S",
            row("2026-11-20 14:03:11 +00:00", "0", "1", "203.0.113.5", "300", "198.51.100.7", "0", "ICMP"),
            "# written by dshield.pl",
            GOOD,
        ],
        ctx(),
    )
    assert [r.lineno for r in results] == list(range(1, 13))
    assert isinstance(results[0], ParsedEvent)
    assert isinstance(results[-1], ParsedEvent)
    assert results[10] == Skipped(11, "not a traffic record: comment")
    reasons = [r.reason for r in results[1:10]]
    assert all(isinstance(r, Rejection) for r in results[1:10])
    assert reasons == [
        "invalid user id 'abc'",
        "invalid count '0'",
        "invalid IPv4 address '203.0.113.256'",
        "invalid source port '70000'",
        "unreadable date and time '20/11/2026 14:03' (expected YYYY-MM-DD HH:MM:SS and an optional zone)",
        "invalid TCP flags 'XZ' (expected letters from 12UAPRSF)",
        "protocol is unknown ('???')",
        "expected 8 or 9 tab-separated fields, found 1",
        "invalid ICMP type/code 300/0",
    ]
    assert results[3].line == GOOD.replace("203.0.113.5", "203.0.113.256")


def test_local_time_in_the_spring_forward_gap_is_rejected():
    [result] = parse_all(parser, [GOOD.replace("2026-11-20 14:03:11 -05:00", "2026-03-29 02:30:00")], ctx())
    assert result.reason == "local time 2026-03-29 02:30:00 does not exist in Europe/Berlin"


def test_detect_picks_dshield():
    sample = [GOOD, GOOD.replace("51234", "51235"), row("2026-11-20 14:03:13", "0", "1", "::1", "1", "::2", "2", "17")]
    assert detect(sample) is parser


@pytest.mark.parametrize(
    "line",
    [
        "Nov 22 10:00:01 web01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 LEN=60 "
        "TOS=0x00 PREC=0x00 TTL=52 ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0",
        "time\tsrc_ip\tdst_ip\tprotocol",
        "2026-11-20 14:03:11\t203.0.113.5\t198.51.100.7\ttcp\t22",
    ],
)
def test_matches_only_dshield_lines(line):
    assert parser.matches(GOOD)
    assert not parser.matches(line)
