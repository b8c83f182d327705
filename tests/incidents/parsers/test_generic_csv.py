"""Generic CSV with a header row: a specification by example."""

from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.generic_csv import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = datetime(2026, 11, 23, tzinfo=UTC)
HEADER = "Timestamp,Source IP,Src Port,Destination IP,Dst Port,Protocol,Action,Flags"
DENY = "2026-11-20T14:03:11Z,203.0.113.5,51234,198.51.100.7,22,TCP,DENY,S"


ctx = partial(make_ctx, tz=BERLIN, received=RECEIVED)


def test_header_is_skipped_and_a_denied_row_becomes_an_event():
    header, event = parse_all(parser, [HEADER, DENY], ctx())
    assert header == Skipped(1, "not a traffic record: header")
    assert event == ParsedEvent(
        lineno=2,
        time=datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
        tcp_flags="S",
    )


@pytest.mark.parametrize("action", ["deny", "DROP", "Block", "reject", "denied", "blocked", "Dropped"])
def test_blocking_actions_are_events(action):
    _, result = parse_all(parser, [HEADER, DENY.replace("DENY", action)], ctx())
    assert isinstance(result, ParsedEvent)


@pytest.mark.parametrize("action", ["allow", "ACCEPT", "pass", "permit", ""])
def test_other_actions_are_allowed_traffic(action):
    _, result = parse_all(parser, [HEADER, DENY.replace("DENY", action)], ctx())
    assert result == Skipped(2, "allowed traffic")


def test_without_an_action_column_every_row_is_an_event():
    _, event = parse_all(
        parser, ["src,dst,proto,time", "203.0.113.5,198.51.100.7,udp,2026-11-20T14:03:11+01:00"], ctx()
    )
    assert (event.protocol, event.source_port, event.target_port, event.time) == (
        "udp",
        None,
        None,
        datetime(2026, 11, 20, 13, 3, 11, tzinfo=UTC),
    )


def test_semicolons_with_separate_date_and_time_read_in_the_submission_zone():
    _, event = parse_all(
        parser,
        [
            "date;time;src_ip;sport;dst_ip;dport;protocol;count",
            "2026-07-20;14:03:11;203.0.113.5;5060;198.51.100.7;5060;17;4",
        ],
        ctx(),
    )
    assert event.time == datetime(2026, 7, 20, 12, 3, 11, tzinfo=UTC)  # CEST
    assert (event.protocol, event.count, event.target_port) == ("udp", 4, 5060)


def test_tabs_epoch_seconds_and_ipv6():
    _, event = parse_all(
        parser,
        ["datetime\tsource\tdestination\tproto\tdest_port", "1763647391\t2001:0db8::5\t2001:db8::1\tICMPv6\t0"],
        ctx(),
    )
    assert event.time == datetime(2025, 11, 20, 14, 3, 11, tzinfo=UTC)
    assert (event.source_ip, event.target_ip, event.protocol) == ("2001:db8::5", "2001:db8::1", "icmpv6")


@pytest.mark.parametrize(("flags", "expected"), [("SA", "SA"), ('"SYN,ACK"', "SA"), ("FIN PSH ACK", "FPA"), ("", "")])
def test_tcp_flags_as_letters_or_words(flags, expected):
    _, event = parse_all(parser, [HEADER, DENY.replace(",S", "," + flags)], ctx())
    assert event.tcp_flags == expected


def test_slash_dates_and_byte_order_mark():
    _, event = parse_all(
        parser, ["\ufeff" + HEADER, DENY.replace("2026-11-20T14:03:11Z", "2026/11/20 15:03:11")], ctx()
    )
    assert event.time == datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)


def test_bad_rows_are_rejected_with_reason_and_line_number_and_good_rows_kept():
    results = parse_all(
        parser,
        [
            HEADER,
            DENY,
            DENY.replace("203.0.113.5", "not-an-ip"),
            DENY.replace("51234", "70000"),
            DENY.replace(",S", ",XYZ"),
            DENY.replace("2026-11-20T14:03:11Z", "yesterday"),
            DENY.replace(",DENY,S", ",DENY"),
            "",
            "# exported by fwtool",
            HEADER,
            DENY,
        ],
        ctx(),
    )
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]
    assert isinstance(results[1], ParsedEvent)
    assert isinstance(results[-1], ParsedEvent)
    assert all(isinstance(r, Rejection) for r in results[2:7])
    assert [r.reason for r in results[2:7]] == [
        "invalid IPv4 address 'not-an-ip'",
        "invalid source port '70000'",
        "invalid TCP flags 'XYZ'",
        "unreadable time stamp 'yesterday'",
        "expected 8 columns as in the header, found 7",
    ]
    assert results[7:9] == [Skipped(9, "not a traffic record: comment"), Skipped(10, "not a traffic record: header")]


def test_missing_required_columns_reject_every_row_with_the_reason():
    results = parse_all(
        parser, ["time,src_ip,dst_port,action", "2026-11-20T14:03:11Z,203.0.113.5,22,deny", "x,y,z,deny"], ctx()
    )
    assert [type(r) for r in results] == [Skipped, Rejection, Rejection]
    assert {r.reason for r in results[1:]} == {
        "the header row has no column for destination address, protocol",
    }
    assert [r.lineno for r in results[1:]] == [2, 3]


@pytest.mark.parametrize(
    "line",
    [
        HEADER,
        "time;src;dst;proto",
        "date\ttime\tsrc_ip\tdst_ip\tprotocol",
        '"Source","Destination","Protocol"',
    ],
)
def test_matches_header_rows_with_source_and_destination(line):
    assert parser.matches(line)


@pytest.mark.parametrize(
    "line",
    [
        DENY,
        "time,src_ip,protocol,dst_port",  # no destination address column
        "#Fields: date time action protocol src-ip dst-ip src-port dst-port size",  # W3C firewall log
        '{"timestamp": "2026-11-20T14:03:11Z", "src_ip": "203.0.113.5", "dest_ip": "198.51.100.7"}',
        "Nov 22 10:00:01 web01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 PROTO=TCP",
        "2026-11-20 14:03:11 -05:00\t0\t1\t203.0.113.5\t51234\t198.51.100.7\t22\t6\tS",
    ],
)
def test_does_not_match_data_rows_or_other_formats(line):
    assert not parser.matches(line)


def test_detect_picks_generic_csv_for_a_header_and_a_few_rows():
    sample = [HEADER, DENY, DENY.replace("DENY", "allow"), DENY.replace("22", "23")]
    assert detect(sample) is parser


def test_detect_picks_generic_csv_by_its_header_however_long_the_file():
    sample = [HEADER] + [DENY] * 60
    assert detect(sample) is parser


def test_a_header_like_line_later_in_a_file_does_not_make_it_csv():
    from incidents.parsers import UnknownFormat

    with pytest.raises(UnknownFormat):
        detect(["no log here"] * 10 + [HEADER])
