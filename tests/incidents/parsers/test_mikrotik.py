"""MikroTik RouterOS firewall log parser: a specification by example.

Lines follow ones published in MikroTik's own documentation (``log print``
output for the VRF and packet-flow pages), RouterOS parsers' test suites and
syslog captures (classic stamps, RFC 3339 stamps, the chain as syslog tag
with ``bsd-syslog``, prefixes glued to the chain name on RouterOS 6)."""

from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.mikrotik import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
INPUT = (
    "Nov 22 10:00:01 router firewall,info input: in:ether1 out:(unknown 0), src-mac 00:11:22:33:44:55, "
    "proto TCP (SYN), 203.0.113.5:51234->198.51.100.7:22, len 60"
)


ctx = partial(make_ctx, tz=BERLIN, received=RECEIVED)


def with_prefix(prefix):
    return INPUT.replace("firewall,info input:", f"firewall,info {prefix} input:")


def test_drop_rule_without_prefix_is_an_event():
    assert parse_one(parser, INPUT, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),  # 10:00:01 CET
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        tcp_flags="S",
    )


@pytest.mark.parametrize("prefix", ["DROP", "vedetta-drop", "BLOCKED", "reject_wan", "DENY-SSH", "wan denied"])
def test_prefixes_naming_a_block_are_events(prefix):
    assert isinstance(parse_one(parser, with_prefix(prefix), ctx()), ParsedEvent)


@pytest.mark.parametrize("prefix", ["ACCEPT", "allow-lan", "Permitted"])
def test_prefixes_naming_an_accept_are_skipped(prefix):
    assert parse_one(parser, with_prefix(prefix), ctx()) == Skipped(1, "allowed traffic")


def test_prefix_naming_neither_is_rejected_with_the_prefix_in_the_reason():
    line = with_prefix("cs-filter")
    assert parse_one(parser, line, ctx()) == Rejection(
        1, "log prefix 'cs-filter' does not say drop, reject, block or deny", line
    )


def test_routeros6_prefix_glued_to_the_chain_name():
    dropped = INPUT.replace("firewall,info input:", "firewall,info DROP_WANinput:")
    accepted = INPUT.replace("firewall,info input:", "firewall,info ACCEPT_LANforward:")
    assert isinstance(parse_one(parser, dropped, ctx()), ParsedEvent)
    assert parse_one(parser, accepted, ctx()) == Skipped(1, "allowed traffic")


def test_documentation_icmp_line_uses_type_and_code_as_ports():
    line = (
        "sep/03 09:02:02 firewall,info drop forward: in:ether2 out:(unknown 0), src-mac 02:00:00:00:00:02, "
        "proto ICMP (type 8, code 0), 10.7.7.7->10.8.8.8, len 84"
    )
    event = parse_one(parser, line, ctx())
    assert (event.protocol, event.source_port, event.target_port, event.tcp_flags) == ("icmp", 8, 0, "")
    assert event.time == datetime(2026, 9, 3, 7, 2, 2, tzinfo=UTC)  # CEST, year from the submission


@pytest.mark.parametrize(
    ("proto", "protocol", "flags"),
    [
        ("proto TCP (ACK,FIN)", "tcp", "FA"),
        ("proto TCP (SYN,ECE,CWR)", "tcp", "SEC"),
        ("proto TCP", "tcp", ""),
        ("proto UDP", "udp", ""),
        ("proto 47", "gre", ""),
    ],
)
def test_protocol_and_tcp_flags(proto, protocol, flags):
    event = parse_one(parser, INPUT.replace("proto TCP (SYN)", proto), ctx())
    assert (event.protocol, event.tcp_flags) == (protocol, flags)


@pytest.mark.parametrize(
    ("addresses", "source", "target", "ports"),
    [
        ("[2001:db8::1]:443->[2001:db8::2]:51234", "2001:db8::1", "2001:db8::2", (443, 51234)),
        ("2001:db8::1.443->2001:db8::2.22", "2001:db8::1", "2001:db8::2", (443, 22)),
        ("2001:0db8:0000::5->2001:db8::1", "2001:db8::5", "2001:db8::1", (None, None)),
    ],
)
def test_ipv6_forms(addresses, source, target, ports):
    event = parse_one(parser, INPUT.replace("203.0.113.5:51234->198.51.100.7:22", addresses), ctx())
    assert (event.source_ip, event.target_ip, (event.source_port, event.target_port)) == (source, target, ports)


def test_icmpv6_without_ports():
    line = INPUT.replace(
        "proto TCP (SYN), 203.0.113.5:51234->198.51.100.7:22", "proto 58 (type 128, code 0), fe80::1->ff02::1"
    )
    event = parse_one(parser, line, ctx())
    assert (event.protocol, event.source_ip, event.target_ip, event.source_port, event.target_port) == (
        "icmpv6",
        "fe80::1",
        "ff02::1",
        128,
        0,
    )


def test_nat_line_reports_the_packet_as_it_arrived():
    line = (
        "2023-03-14T01:28:08-04:00 AONE_BWC_RTR prerouting: in:1.ether5 out:(unknown 0), "
        "src-mac 2c:c8:1b:ca:7b:2d, proto TCP (ACK,FIN), 172.17.103.127:34923->52.88.118.255:80, "
        "NAT (172.17.103.127:34923->103.175.130.19:34923)->52.88.118.255:80, len 52"
    )
    event = parse_one(parser, line, ctx(received=datetime(2023, 3, 15, tzinfo=UTC)))
    assert event.time == datetime(2023, 3, 14, 5, 28, 8, tzinfo=UTC)
    assert (event.source_ip, event.source_port, event.target_ip, event.target_port) == (
        "172.17.103.127",
        34923,
        "52.88.118.255",
        80,
    )


def test_chain_as_syslog_tag_and_connection_state():
    line = (
        "May 21 17:30:15 MikroTik dstnat: in:br-wan out:(unknown 0), connection-state:new src-mac e4:41:64:92:9d:70, "
        "proto TCP (SYN), 179.43.177.244:37104->82.126.156.59:80, len 60"
    )
    event = parse_one(parser, line, ctx())
    assert (event.source_ip, event.target_port, event.time) == (
        "179.43.177.244",
        80,
        datetime(2026, 5, 21, 15, 30, 15, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("jan/15 14:30:01", datetime(2026, 1, 15, 13, 30, 1, tzinfo=UTC)),  # log print, year inferred
        ("jan/15/2025 14:30:01", datetime(2025, 1, 15, 13, 30, 1, tzinfo=UTC)),  # RouterOS 6 disk log
        ("2026-01-15 14:30:01", datetime(2026, 1, 15, 13, 30, 1, tzinfo=UTC)),  # RouterOS 7 log print
        ("<30>Jan 15 14:30:01 RB4011-HQ", datetime(2026, 1, 15, 13, 30, 1, tzinfo=UTC)),
        # Fractions are dropped: syslog stamps are whole seconds everywhere else.
        ("2026-01-15T14:30:01.250+00:00 gw", datetime(2026, 1, 15, 14, 30, 1, tzinfo=UTC)),
    ],
)
def test_router_and_syslog_stamps(stamp, expected):
    line = INPUT.replace("Nov 22 10:00:01 router", stamp)
    assert parse_one(parser, line, ctx()).time == expected


def test_year_is_inferred_from_the_submission():
    context = ctx(received=datetime(2027, 1, 2, 8, 0, tzinfo=UTC))
    event = parse_one(parser, INPUT.replace("Nov 22", "Dec 31"), context)
    assert event.time == datetime(2026, 12, 31, 9, 0, 1, tzinfo=UTC)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    results = parse_all(
        parser,
        [
            INPUT,
            INPUT.replace("203.0.113.5:51234", "203.0.113.500:51234"),
            INPUT.replace(":51234", ":99999"),
            INPUT.replace("Nov 22 10:00:01 router ", "23:34:12 "),
            INPUT.replace("Nov 22 10:00:01 router ", ""),
            INPUT.replace("Nov 22 10:00:01", "Mar 29 02:30:00"),
            "Nov 22 10:00:09 router system,info,account user admin logged in from 10.1.0.5 via winbox",
            INPUT,
        ],
        ctx(),
    )
    assert [r.lineno for r in results] == list(range(1, 9))
    assert isinstance(results[0], ParsedEvent)
    assert isinstance(results[-1], ParsedEvent)
    assert results[6] == Skipped(7, "not a traffic record: not a firewall line")
    assert all(isinstance(r, Rejection) for r in results[1:6])
    assert [r.reason for r in results[1:6]] == [
        "invalid IPv4 address '203.0.113.500'",
        "invalid source port '99999'",
        "time stamp has no date (RouterOS prints today's entries with the time only)",
        "no time stamp at the start of the line",
        "local time 2026-03-29 02:30:00 does not exist in Europe/Berlin",
    ]


def test_detect_picks_mikrotik():
    sample = [
        INPUT,
        with_prefix("DROP"),
        "Nov 22 10:00:09 router system,info,account user admin logged in from 10.1.0.5 via winbox",
        INPUT.replace("proto TCP (SYN)", "proto UDP"),
    ]
    assert detect(sample) is parser


@pytest.mark.parametrize(
    "line",
    [
        "Nov 22 10:00:01 web01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 LEN=60 "
        "TOS=0x00 PREC=0x00 TTL=52 ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0",
        "Nov 22 10:00:09 router system,info,account user admin logged in from 10.1.0.5 via winbox",
        "2026-11-20 14:03:11 -05:00\t0\t1\t203.0.113.5\t51234\t198.51.100.7\t22\t6\tS",
    ],
)
def test_matches_only_routeros_firewall_lines(line):
    assert parser.matches(INPUT)
    assert not parser.matches(line)
