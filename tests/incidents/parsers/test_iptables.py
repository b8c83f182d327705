"""Linux netfilter / iptables parser: a specification by example.

Sample lines follow real ones published with UFW, firewalld, EdgeOS/VyOS and
rsyslog/journald documentation and bug reports (addresses swapped for
documentation ranges where they were private)."""

from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from incidents.parsers import detect, iptables
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.iptables import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MAC = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00"

UFW_BLOCK = (
    f"Nov 22 10:00:01 web01 kernel: [62721.317859] [UFW BLOCK] IN=eth0 OUT= {MAC} SRC=203.0.113.5 "
    "DST=198.51.100.7 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51234 DPT=22 "
    "WINDOW=29200 RES=0x00 SYN URGP=0"
)
FIREWALLD_ZONE = (
    "Jul 19 19:21:07 vbox kernel: filter_IN_public_REJECT: IN=enp0s8 OUT= "
    "MAC=08:00:27:40:b7:96:d0:11:e5:1a:ce:3b:08:00 SRC=192.0.2.115 DST=198.51.100.108 LEN=64 TOS=0x00 "
    "PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=62290 DPT=80 WINDOW=65535 RES=0x00 CWR ECE SYN URGP=0"
)
FIREWALLD_FINAL = (
    "Oct  2 12:47:23 nas02 kernel: [132359.381122] FINAL_REJECT: IN=ens192 OUT= "
    "MAC=00:50:56:aa:bb:cc:00:50:56:dd:ee:ff:08:00 SRC=192.0.2.135 DST=198.51.100.10 LEN=49 TOS=0x00 "
    "PREC=0x00 TTL=64 ID=3340 PROTO=UDP SPT=46608 DPT=32414 LEN=29"
)
FIREWALLD_INVALID = (
    "Nov 22 10:00:02 web01 kernel: STATE_INVALID_DROP: IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.7 "
    "LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=443 DPT=40022 WINDOW=0 RES=0x00 ACK RST URGP=0"
)
EDGEOS_DROP = (
    "Sep 23 10:16:06 ER-4 kernel: [WAN_LOCAL-default-D]IN=eth0 OUT= MAC=02:00:5e:aa:bb:cc:02:00:5e:dd:ee:ff:08:00 "
    "SRC=203.0.113.9 DST=203.0.113.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51234 DPT=22 "
    "WINDOW=29200 RES=0x00 SYN URGP=0"
)
UFW_V6_ICMP = (
    "Nov 22 10:00:03 web01 kernel: [333021.138558] [UFW BLOCK] IN=eth0 OUT= "
    "MAC=33:33:00:00:00:01:80:3f:5d:87:e2:93:86:dd SRC=fe80:0000:0000:0000:823f:5dff:fe87:e293 "
    "DST=ff02:0000:0000:0000:0000:0000:0000:0001 LEN=76 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=130 CODE=0 "
)
UFW_V6_TCP = (
    "Nov 22 10:00:04 web01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01:80:3f:5d:87:e2:93:86:dd "
    "SRC=2001:0db8:0000:0000:0000:0000:0000:0005 DST=2001:0db8:0000:0000:0000:0000:0000:0001 LEN=80 TC=0 "
    "HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=23 WINDOW=64800 RES=0x00 SYN URGP=0"
)
ICMP_ERROR = (
    "Nov 22 10:00:05 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.7 LEN=576 TOS=0x00 PREC=0x00 "
    "TTL=49 ID=0 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.7 DST=203.0.113.7 LEN=548 TOS=0x00 PREC=0x00 "
    "TTL=64 ID=1 PROTO=UDP SPT=53 DPT=33434 LEN=528 ]"
)


ctx = partial(make_ctx, tz=BERLIN, received=RECEIVED)


def test_ufw_block_in_classic_syslog_is_read_in_the_submission_zone():
    assert parse_one(parser, UFW_BLOCK, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),  # 10:00:01 CET
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        tcp_flags="S",
    )


def test_summer_time_line_is_two_hours_ahead_of_utc():
    event = parse_one(parser, FIREWALLD_ZONE, ctx())
    assert event.time == datetime(2026, 7, 19, 17, 21, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "protocol", "ports", "flags"),
    [
        (FIREWALLD_ZONE, "tcp", (62290, 80), "SEC"),  # CWR ECE SYN
        (FIREWALLD_FINAL, "udp", (46608, 32414), ""),
        (FIREWALLD_INVALID, "tcp", (443, 40022), "RA"),
        (EDGEOS_DROP, "tcp", (51234, 22), "S"),
    ],
)
def test_firewalld_and_edgeos_drops_are_events(line, protocol, ports, flags):
    event = parse_one(parser, line, ctx())
    assert isinstance(event, ParsedEvent)
    assert (event.protocol, (event.source_port, event.target_port), event.tcp_flags) == (protocol, ports, flags)


@pytest.mark.parametrize(
    "prefix",
    ["DROP ", "IPTABLES-DROP: ", "DROP", "", "[UFW LIMIT BLOCK] ", "INPUT-REJECT: ", "[ipv4-INP-filter-default-D]"],
)
def test_user_prefixes_and_no_prefix_are_events(prefix):
    line = UFW_BLOCK.replace("[UFW BLOCK] ", prefix)
    event = parse_one(parser, line, ctx())
    assert isinstance(event, ParsedEvent)
    assert event.source_ip == "203.0.113.5"


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("[UFW ALLOW] ", "allowed traffic"),
        ("ACCEPT-IN: ", "allowed traffic"),
        ("iptables accept ", "allowed traffic"),
        ("[WAN_IN-10-A]", "allowed traffic"),
        ("filter_IN_public_ALLOW: ", "allowed traffic"),
        ("[UFW AUDIT] ", "not a traffic record: audit entry (logged before the firewall decided)"),
    ],
)
def test_allowed_and_audit_lines_are_skipped(prefix, reason):
    assert parse_one(parser, UFW_BLOCK.replace("[UFW BLOCK] ", prefix), ctx()) == Skipped(1, reason)


def test_icmp_type_and_code_go_into_the_port_fields():
    line = UFW_BLOCK.replace(
        "PROTO=TCP SPT=51234 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0", "PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1"
    )
    event = parse_one(parser, line, ctx())
    assert (event.protocol, event.source_port, event.target_port, event.tcp_flags) == ("icmp", 8, 0, "")


def test_icmp_error_is_read_from_the_outer_packet_not_the_quoted_one():
    event = parse_one(parser, ICMP_ERROR, ctx())
    assert (event.source_ip, event.target_ip, event.protocol) == ("203.0.113.7", "198.51.100.7", "icmp")
    assert (event.source_port, event.target_port) == (3, 3)


def test_ipv6_addresses_are_canonical_and_icmpv6_keeps_type_and_code():
    icmp6, tcp6 = parse_all(parser, [UFW_V6_ICMP, UFW_V6_TCP], ctx())
    assert (icmp6.source_ip, icmp6.target_ip, icmp6.protocol) == ("fe80::823f:5dff:fe87:e293", "ff02::1", "icmpv6")
    assert (icmp6.source_port, icmp6.target_port) == (130, 0)
    assert (tcp6.source_ip, tcp6.target_ip, tcp6.target_port, tcp6.tcp_flags) == ("2001:db8::5", "2001:db8::1", 23, "S")
    assert tcp6.lineno == 2


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-22T10:00:01.123456+01:00", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),  # rsyslog RFC 3339
        ("2026-11-22T10:00:01+0100", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),  # journalctl -o short-iso
        ("2026-11-22T10:00:01Z", datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC)),
        ("2026-11-22T10:00:01", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),  # no zone: Europe/Berlin
        ("Nov 22 10:00:01.654321", datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),  # journalctl -o short-precise
    ],
)
def test_iso_and_precise_stamps(stamp, expected):
    event = parse_one(parser, UFW_BLOCK.replace("Nov 22 10:00:01", stamp), ctx())
    assert event.time == expected
    assert event.source_ip == "203.0.113.5"


def test_rfc5424_with_priority_and_no_kernel_colon():
    line = "<4>1 2026-11-22T10:00:01.5+01:00 web01 kernel - - - " + UFW_BLOCK.split("kernel: ", 1)[1]
    event = parse_one(parser, line, ctx())
    assert event.time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    assert event.target_port == 22


def test_dmesg_wall_clock_stamp_is_read_but_uptime_alone_is_rejected():
    body = UFW_BLOCK.split("kernel: [62721.317859] ", 1)[1]
    dated, undated = parse_all(parser, ["[Sun Nov 22 10:00:01 2026] " + body, "[62721.317859] " + body], ctx())
    assert dated.time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    assert isinstance(undated, Rejection)
    assert undated.lineno == 2
    assert "no time stamp" in undated.reason


def test_year_is_the_one_that_puts_the_line_just_before_the_submission():
    context = ctx(received=datetime(2027, 1, 2, 8, 0, tzinfo=UTC))
    late, early = parse_all(
        parser, [UFW_BLOCK.replace("Nov 22", "Dec 31"), UFW_BLOCK.replace("Nov 22", "Jan  1")], context
    )
    assert late.time == datetime(2026, 12, 31, 9, 0, 1, tzinfo=UTC)
    assert early.time == datetime(2027, 1, 1, 9, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(("stamp", "year"), [("Nov 23 10:00:15", 2026), ("Nov 23 10:00:45", 2025)])
def test_seconds_past_the_one_day_horizon_belong_to_the_previous_year(stamp, year):
    # The horizon is received_at + 1 day = 2026-11-23 10:00:30 UTC; the
    # minute's start lies before it, the second may not.
    context = ctx(received=datetime(2026, 11, 22, 10, 0, 30, tzinfo=UTC), tz=ZoneInfo("UTC"))
    event = parse_one(parser, UFW_BLOCK.replace("Nov 22 10:00:01", stamp), context)
    assert event.time == datetime(year, 11, 23, 10, 0, int(stamp[-2:]), tzinfo=UTC)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    results = parse_all(
        parser,
        [
            UFW_BLOCK,
            UFW_BLOCK.replace("SRC=203.0.113.5", "SRC=203.0.113.300"),
            UFW_BLOCK.replace("SPT=51234", "SPT=70000"),
            UFW_BLOCK.replace("SRC=203.0.113.5 ", ""),
            UFW_BLOCK.replace("Nov 22 10:00:01", "Mar 29 02:30:00"),  # inside the spring-forward gap
            UFW_BLOCK.replace("Nov 22 10:00:01", "Oct 25 02:30:00"),  # inside the repeated hour
            "",
            FIREWALLD_FINAL,
        ],
        ctx(),
    )
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 8]
    assert isinstance(results[0], ParsedEvent)
    assert isinstance(results[-1], ParsedEvent)
    rejected = results[1:6]
    assert all(isinstance(r, Rejection) for r in rejected)
    assert [r.reason for r in rejected] == [
        "invalid IPv4 address '203.0.113.300'",
        "invalid port SPT=70000",
        "no SRC= address",
        "local time 2026-03-29 02:30:00 does not exist in Europe/Berlin",
        "local time 2026-10-25 02:30:00 is ambiguous in Europe/Berlin (clock change)",
    ]
    assert rejected[0].line == UFW_BLOCK.replace("SRC=203.0.113.5", "SRC=203.0.113.300")


def test_other_syslog_noise_is_skipped():
    noise = "Nov 22 10:00:03 web01 sshd[1234]: Failed password for root from 192.0.2.4 port 11111 ssh2"
    assert parse_all(parser, [noise, "\n", UFW_BLOCK], ctx())[0] == Skipped(
        1, "not a traffic record: not a firewall line"
    )
    assert [r.lineno for r in parse_all(parser, [noise, "\n", UFW_BLOCK], ctx())] == [1, 3]


def test_tcp_sequence_logging_does_not_turn_the_ack_number_into_a_flag():
    line = UFW_BLOCK.replace("WINDOW=29200", "SEQ=2860236587 ACK=0 WINDOW=29200")
    assert parse_one(parser, line, ctx()).tcp_flags == "S"
    assert parse_one(parser, UFW_BLOCK.replace(" SYN ", " ACK PSH FIN "), ctx()).tcp_flags == "FPA"


def test_protocol_without_ports_is_kept_by_number_name():
    line = UFW_BLOCK.replace("PROTO=TCP SPT=51234 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0", "PROTO=47")
    event = parse_one(parser, line, ctx())
    assert (event.protocol, event.source_port, event.target_port) == ("gre", None, None)


def test_fast_path_and_line_by_line_reading_agree():
    lines = [
        UFW_BLOCK,
        FIREWALLD_ZONE,
        FIREWALLD_FINAL,
        FIREWALLD_INVALID,
        EDGEOS_DROP,
        UFW_V6_ICMP,
        UFW_V6_TCP,
        ICMP_ERROR,
        UFW_BLOCK.replace("[UFW BLOCK]", "[UFW ALLOW]"),
        UFW_BLOCK.replace("Nov 22 10:00:01", "2026-11-22T10:00:01.123456+01:00"),
        UFW_BLOCK.replace("SPT=51234", "SPT=70000"),
        UFW_BLOCK.replace(" SYN ", " "),  # a NULL scan: no flags at all
    ]
    context = ctx()
    expected = []
    for lineno, line in enumerate(lines, start=1):
        try:
            expected.append(parser.parse_line(lineno, line, context))
        except ValueError as exc:
            expected.append(Rejection(lineno, str(exc), line))
    assert parse_all(parser, lines, ctx()) == expected
    assert expected[-1].tcp_flags == ""


def test_common_lines_do_not_need_the_line_by_line_reader(monkeypatch):
    # Guards the ingest hot path: these shapes must be read by the fast regex.
    def slow(*args):
        raise AssertionError(f"slow path taken for {args[1]!r}")

    monkeypatch.setattr(parser, "parse_line", slow)
    results = parse_all(
        parser,
        [
            UFW_BLOCK,
            FIREWALLD_ZONE,
            FIREWALLD_FINAL,
            ICMP_ERROR,
            UFW_BLOCK.replace("Nov 22 10:00:01", "2026-11-22T10:00:01.123456+01:00"),
            UFW_BLOCK.replace("[UFW BLOCK]", "[UFW ALLOW]"),
        ],
        ctx(),
    )
    assert [type(r) for r in results] == [ParsedEvent] * 5 + [Skipped]


def test_a_parser_bug_costs_the_line_not_the_log(monkeypatch):
    # An unforeseen exception (here a TypeError from protocol_name on ICMP) in
    # the fast path or in parse_line must reject that line like LineError does.
    real = iptables.protocol_name

    def buggy(value):
        if str(value).upper().startswith("ICMP"):
            raise TypeError("bug")
        return real(value)

    monkeypatch.setattr(iptables, "protocol_name", buggy)
    results = parse_all(parser, [UFW_BLOCK, ICMP_ERROR, UFW_V6_ICMP, FIREWALLD_FINAL], ctx())
    assert [type(r) for r in results] == [ParsedEvent, Rejection, Rejection, ParsedEvent]
    assert results[1] == Rejection(2, "unreadable line (TypeError)", ICMP_ERROR)
    assert results[2] == Rejection(3, "unreadable line (TypeError)", UFW_V6_ICMP)
    assert results[3].lineno == 4


def test_detect_picks_iptables_for_a_kern_log():
    sample = [UFW_BLOCK, FIREWALLD_FINAL, "Nov 22 10:00:03 web01 systemd[1]: Started Session 4.", EDGEOS_DROP]
    assert detect(sample) is parser


@pytest.mark.parametrize(
    "line",
    [
        "Nov 22 10:00:01 router firewall,info input: in:ether1 out:(unknown 0), proto TCP (SYN), "
        "203.0.113.5:51234->198.51.100.7:22, len 60",
        "2026-11-20 14:03:11 -05:00\t0\t1\t203.0.113.5\t51234\t198.51.100.7\t22\t6\tS",
        "time,src_ip,dst_ip,protocol",
        "Nov 22 10:00:03 web01 sshd[1234]: Accepted publickey for admin",
    ],
)
def test_matches_only_netfilter_lines(line):
    assert parser.matches(UFW_BLOCK)
    assert not parser.matches(line)
