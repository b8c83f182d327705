"""Windows Firewall pfirewall.log, specified by example.

The header block and the 2005 lines are plaso's ``test_data/firewall.log``
(a Windows XP SP2 log); the ``pid`` column and the 2022/2023 lines are
Windows 10/11 logs quoted in public scripts that read pfirewall.log. Invented
lines use the documentation address ranges.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.windows_firewall import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

HEADER = [
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin "
    "icmptype icmpcode info path pid",
    "",
]
SMB_SYN = "2022-01-31 12:24:51 DROP TCP 192.168.9.163 192.168.9.212 63619 445 64 S 1031365855 0 65535 - - - RECEIVE 4"
OUTBOUND = "2023-11-20 17:53:54 DROP TCP 192.168.10.30 34.120.208.123 61005 443 0 - 0 0 0 - - - SEND 11188"
NETBIOS = "2005-04-11 08:05:57 DROP UDP 123.45.78.90 123.156.78.255 137 137 78 - - - - - - - RECEIVE"
PUSH_ACK = (
    "2005-04-11 08:06:27 DROP TCP 123.45.78.90 123.156.78.90 80 1774 576 AP 123456789 987654321 12345 - - - RECEIVE"
)
FIN_ACK = (
    "2005-04-11 08:48:46 DROP TCP 123.45.78.90 123.156.78.90 80 1693 40 FA 2351482979 694744025 64675 - - - RECEIVE"
)
PING = "2005-04-11 08:08:58 DROP ICMP 123.45.78.90 123.156.78.90 - - 78 - - - - 8 0 - RECEIVE"
OPEN = "2005-04-11 08:09:29 OPEN TCP 123.45.78.90 123.156.78.90 1606 445 - - - - - - - - -"
CLOSE = "2005-04-11 08:09:30 CLOSE TCP 123.45.78.90 123.156.78.90 1607 139 - - - - - - - - -"
ALLOW = "2026-11-22 10:00:02 ALLOW UDP 192.168.1.10 192.0.2.53 53211 53 0 - - - - - - - SEND 1876"
LOST = "2005-04-11 08:52:26 INFO-EVENTS-LOST - - - - - - - - - - - - 59 -"
IPV6 = "2026-11-22 10:00:01 DROP UDP 2001:db8:0:0::1 2001:db8::2 54002 53 72 - - - - - - - RECEIVE 8802"
ICMPV6 = "2026-11-22 10:00:03 DROP ICMPv6 2001:db8::9 2001:db8::2 - - 64 - - - - 128 0 - RECEIVE 4"


ctx = partial(make_ctx, received=RECEIVED)


def events(lines, context=None):
    return [r for r in parse_all(parser, lines, context or ctx()) if isinstance(r, ParsedEvent)]


def test_a_windows_10_log_with_headers():
    results = parse_all(parser, [*HEADER, SMB_SYN], ctx())
    assert results == [
        Skipped(1, "not a traffic record: header"),
        Skipped(2, "not a traffic record: header"),
        Skipped(3, "not a traffic record: header"),
        Skipped(4, "not a traffic record: header"),
        ParsedEvent(
            lineno=6,
            time=datetime(2022, 1, 31, 12, 24, 51, tzinfo=UTC),
            source_ip="192.168.9.163",
            target_ip="192.168.9.212",
            protocol="tcp",
            source_port=63619,
            target_port=445,
            tcp_flags="S",
        ),
    ]


def test_local_times_are_read_in_the_submission_zone():
    (event,) = events([*HEADER, SMB_SYN], ctx("Asia/Tokyo"))
    assert event.time == datetime(2022, 1, 31, 3, 24, 51, tzinfo=UTC)


def test_time_format_utc_header_overrides_the_submission_zone():
    lines = ["#Time Format: UTC", HEADER[3], SMB_SYN]
    (event,) = events(lines, ctx("Asia/Tokyo"))
    assert event.time == datetime(2022, 1, 31, 12, 24, 51, tzinfo=UTC)


def test_a_local_time_in_the_repeated_autumn_hour_is_rejected():
    line = SMB_SYN.replace("2022-01-31 12:24:51", "2026-10-25 02:30:00")
    (result,) = parse_all(parser, [line], ctx("Europe/Berlin"))
    assert isinstance(result, Rejection)
    assert "ambiguous" in result.reason


def test_tcp_flags_are_put_in_canonical_order():
    assert [e.tcp_flags for e in events([PUSH_ACK, FIN_ACK, OUTBOUND])] == ["PA", "FA", ""]


def test_udp_drop_without_tcp_columns():
    (event,) = events([NETBIOS])
    assert (event.protocol, event.source_port, event.target_port, event.tcp_flags) == ("udp", 137, 137, "")
    assert event.target_ip == "123.156.78.255"


def test_icmp_type_and_code_come_from_their_own_columns():
    (event,) = events([PING])
    assert (event.protocol, event.source_port, event.target_port) == ("icmp", 8, 0)


def test_ipv6_and_icmpv6():
    v6, ping6 = events([*HEADER, IPV6, ICMPV6])
    assert (v6.source_ip, v6.target_ip, v6.protocol) == ("2001:db8::1", "2001:db8::2", "udp")
    assert (ping6.protocol, ping6.source_port, ping6.target_port) == ("icmpv6", 128, 0)


@pytest.mark.parametrize("line", [OPEN, CLOSE, ALLOW])
def test_allowed_and_logged_connections_are_allowed_traffic(line):
    (result,) = parse_all(parser, [line], ctx())
    assert result == Skipped(1, "allowed traffic")


def test_events_lost_notice_is_skipped():
    (result,) = parse_all(parser, [LOST], ctx())
    assert isinstance(result, Skipped)
    assert "lost" in result.reason


def test_fields_header_sets_the_column_order():
    lines = [
        "#Fields: action date time src-ip src-port dst-ip dst-port protocol tcpflags",
        "DROP 2026-11-22 10:00:01 203.0.113.5 51234 198.51.100.7 3389 TCP S",
    ]
    (event,) = events(lines)
    assert (event.source_ip, event.source_port, event.target_ip, event.target_port) == (
        "203.0.113.5",
        51234,
        "198.51.100.7",
        3389,
    )
    assert (event.protocol, event.tcp_flags) == ("tcp", "S")


def test_a_file_without_fields_header_uses_the_windows_order():
    (event,) = events([SMB_SYN])
    assert (event.source_ip, event.target_port) == ("192.168.9.163", 445)
    assert parser.parse_line(7, SMB_SYN, ctx()) == ParsedEvent(
        7, datetime(2022, 1, 31, 12, 24, 51, tzinfo=UTC), "192.168.9.163", "192.168.9.212", "tcp", 63619, 445, "S"
    )


def test_a_fields_header_without_required_columns_is_rejected_and_the_old_order_kept():
    results = parse_all(parser, ["#Fields: date time action", SMB_SYN], ctx())
    assert isinstance(results[0], Rejection)
    assert results[0].reason == "#Fields header lacks protocol, src-ip, dst-ip"
    assert isinstance(results[1], ParsedEvent)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        *HEADER,
        SMB_SYN,
        SMB_SYN.replace("192.168.9.163", "192.168.9.333"),
        "2026-11-22 10:00:01 DROP UDP 2001:db8::1",
        SMB_SYN.replace("DROP", "BOUNCE"),
        SMB_SYN.replace("2022-01-31", "2022-02-31"),
        SMB_SYN.replace(" 63619 ", " 70000 "),
        PING.replace(" 8 0 ", " x 0 "),
        SMB_SYN.replace("DROP TCP", "DROP -"),
        NETBIOS,
    ]
    results = parse_all(parser, lines, ctx())[4:]
    assert [r.lineno for r in results] == list(range(6, 15))
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    reasons = [r.reason for r in results[1:-1]]
    assert all(isinstance(r, Rejection) for r in results[1:-1])
    assert reasons == [
        "invalid IPv4 address '192.168.9.333'",
        "expected at least 6 space-separated fields, found 5",
        "unknown action 'BOUNCE'",
        "unreadable time stamp '2022-02-31 12:24:51'",
        "port 70000 out of range",
        "invalid ICMP type 'x'",
        "missing protocol",
    ]
    assert results[1].line == lines[6]


def test_byte_order_mark_before_the_first_header_is_ignored():
    results = parse_all(parser, ["\ufeff#Version: 1.5", *HEADER[1:], SMB_SYN], ctx())
    assert results[0] == Skipped(1, "not a traffic record: header")
    assert isinstance(results[-1], ParsedEvent)


def test_detect_picks_windows_firewall_for_a_log_with_and_without_headers():
    assert detect([*HEADER, SMB_SYN, OPEN, CLOSE, PUSH_ACK]).name == "windows_firewall"
    assert detect([SMB_SYN, NETBIOS, OUTBOUND]).name == "windows_firewall"


@pytest.mark.parametrize(
    "line",
    [
        "#Version: 1.0",
        "#Fields: date time s-ip cs-method cs-uri-stem",
        "2026-11-22 10:00:01 192.0.2.1 GET /index.html",
        "Nov 22 10:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.7 PROTO=TCP",
    ],
)
def test_matches_ignores_iis_and_other_logs(line):
    assert not parser.matches(line)
