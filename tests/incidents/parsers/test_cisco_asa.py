"""Cisco PIX / ASA / FTD deny messages, specified by example.

Every sample line is written by hand from the message formats in Cisco's
"Cisco Secure Firewall ASA Series Syslog Messages" (the ``%ASA-n-NNNNNN:``
text with its placeholders filled in) and the ASA CLI configuration guide's
chapter "Logging for Access Lists" (106100 examples); none is copied from
another project's test data. Addresses are generated: sources from
45.33.0.0/16, 185.220.0.0/16 and 89.248.0.0/16, targets from 100.70.0.0/16,
IPv6 sources from 2a0c:9a40::/32 and targets from fd70::/16.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.cisco_asa import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# "Deny protocol src [interface_name:source_address/source_port] dst
# interface_name:dest_address/dest_port by access_group acl_ID [hash codes]"
ASA_106023 = (
    "Apr 15 2025 09:36:50: %ASA-4-106023: Deny tcp src outside:45.33.18.30/63016 dst dmz:100.70.2.8/53 "
    'by access-group "outside_in" [0xe3aab522, 0x0]'
)
# "Inbound TCP connection denied from IP_address/port to IP_address/port flags tcp_flags on interface ..."
ASA_106001 = (
    "May  5 18:40:50 fw01: %ASA-2-106001: Inbound TCP connection denied from 185.220.41.2/43803 "
    "to 100.70.10.10/14322 flags SYN  on interface outside"
)
# "Deny inbound UDP from outside_address/outside_port to inside_address/inside_port on interface ..."
ASA_106006 = (
    "Apr 30 2025 09:23:02: %ASA-2-106006: Deny inbound UDP from 89.248.2.66/137 to 100.70.2.42/137 on interface outside"
)
# "... due to DNS {Response|Query}"
ASA_106007 = (
    "Apr 30 2025 09:22:33: %ASA-2-106007: Deny inbound UDP from 89.248.0.66/12981 to 100.70.2.60/53 due to DNS Query"
)
# "Deny inbound protocol src [interface_name:source_address/source_port] dst [interface_name:dest_address/dest_port]"
ASA_106010 = (
    "May  5 19:02:25 fw01: %ASA-3-106010: Deny inbound sctp src outside:45.33.10.10/5114 dst inside:100.70.10.11/2"
)
# "Deny inbound icmp src interface_name:IP_address dst interface_name:IP_address (type dec, code dec)"
ASA_106014 = (
    "May  5 19:02:26 fw01: %ASA-3-106014: Deny inbound icmp src outside:45.33.10.10 "
    "dst inside:100.70.10.11(type 8, code 0)"
)
# "Deny TCP (no connection) from IP_address/port to IP_address/port flags tcp_flags on interface ..."
ASA_106015 = (
    "May  5 19:02:58 fw01: %ASA-6-106015: Deny TCP (no connection) from 185.220.2.2/53089 to 100.70.10.10/443 "
    "flags FIN PSH ACK  on interface outside"
)
# "Deny protocol reverse path check from source_address to dest_address on interface interface_name"
ASA_106021 = (
    "May  5 18:40:50 fw01: %ASA-1-106021: Deny TCP reverse path check from 185.220.2.2 to 100.70.10.10 "
    "on interface outside"
)
# 106023 with a protocol number and no ports (GRE)
ASA_106023_GRE = (
    "Apr 27 2025 02:03:03 fw01: %ASA-4-106023: Deny protocol 47 src outside:89.248.69.144 dst inside:100.70.98.44 "
    'by access-group "outside_in"'
)
# 106023 for ICMPv6: "[type {string}, code {code}]"
ASA_106023_IPV6_ICMP = (
    "Apr 27 2025 02:03:03 fw01: %ASA-4-106023: Deny icmp src outside:2a0c:9a40:add:4002:91f2:a9b2:e09a:6fc6 "
    'dst inside:fd70:add:4002::1 (type 128, code 0) by access-group "outside_in"'
)
# "[([idfw_user|FQDN_string], sg_info)]" after the destination
ASA_106023_FQDN = (
    "Apr 27 02:02:02 fw01: %ASA-4-106023: Deny tcp src outside:45.33.10.2/56444 "
    'dst srv:100.70.2.2/51635(www.example.net) by access-group "global_access_1"'
)
# "access-list acl_ID {permitted | denied | est-allowed} protocol interface_name/source_address(source_port) ->
# interface_name/dest_address(dest_port) hit-cnt number ({first hit | number-second interval}) hash codes"
ASA_106100_DENIED = (
    "Apr 24 2025 16:00:28 fw01 : %ASA-6-106100: access-list outside_in denied udp outside/45.33.2.101(1039) -> "
    "inside/100.70.2.10(53) hit-cnt 1 first hit [0xd820e56a, 0x0]"
)
ASA_106100_PERMITTED = (
    "Apr 24 2025 16:00:27 fw01 : %ASA-6-106100: access-list inside_in permitted udp inside/100.70.2.3(1065) -> "
    "outside/45.33.2.57(53) hit-cnt 144 300-second interval [0xe982c7a4, 0x0]"
)
ASA_106100_EST_ALLOWED = (
    "Apr 30 2025 09:23:43: %ASA-5-106100: access-list outside_in est-allowed tcp outside/45.33.0.88(40443) -> "
    "inside/100.70.0.46(49840) hit-cnt 1 first hit [0x71a87d94, 0x0]"
)
# 106100 relayed by rsyslog with an RFC 3339 stamp.
ASA_106100_ISO = (
    "2025-09-26T11:55:18-04:00 core-fw01 : %ASA-6-106100: access-list outside_in denied tcp "
    "outside/185.220.114.83(48466) -> inside/100.70.254.12(443) hit-cnt 3 300-second interval "
    "[0x1d5dc28a, 0x00000000]"
)
# "{TCP|UDP} access denied by ACL from source_IP/source_port to interface_name:dest_IP/service"
ASA_710003 = (
    "Apr 27 02:03:03 fw01: %ASA-3-710003: TCP access denied by ACL from 89.248.69.144/6370 to outside:100.70.157.61/23"
)
# "Denied ICMP type=number, code=code from IP_address on interface interface_name"
ASA_313001 = "Sep 12 2025 06:53:02 fw01 : %ASA-3-313001: Denied ICMP type=3, code=3 from 45.33.3.5 on interface outside"
# "Built {inbound|outbound} TCP connection_id for interface:real-address/real-port (mapped-address/mapped-port)
# to interface:real-address/real-port (mapped-address/mapped-port)"
FTD_302013 = (
    "May  5 17:51:17 fw01: %FTD-6-302013: Built inbound TCP connection 111111111 for outside:45.33.10.10/53500 "
    "(45.33.10.10/53500) to inside:100.70.2.2/443 (100.70.2.2/443)"
)
# 106100 with a configured name where the source address belongs ("names" command)
ASA_106100_NAME = (
    "Oct 20 2025 15:15:15 fw01: %ASA-5-106100: access-list outside_in denied tcp "
    "outside/scanner.example.net(27218) -> inside/100.70.157.61(53) hit-cnt 1 first hit [0x16847359, 0x00000000]"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_106023_access_group_deny_with_the_devices_own_year():
    assert parse_one(parser, ASA_106023, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2025, 4, 15, 9, 36, 50, tzinfo=UTC),
        source_ip="45.33.18.30",
        target_ip="100.70.2.8",
        protocol="tcp",
        source_port=63016,
        target_port=53,
    )


def test_106001_inbound_syn_without_year_gets_the_year_of_the_submission():
    assert parse_one(parser, ASA_106001, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 5, 5, 18, 40, 50, tzinfo=UTC),
        source_ip="185.220.41.2",
        target_ip="100.70.10.10",
        protocol="tcp",
        source_port=43803,
        target_port=14322,
        tcp_flags="S",
    )


def test_year_inference_puts_late_december_in_the_year_before_a_january_submission():
    line = ASA_106001.replace("May  5 18:40:50", "Dec 31 23:59:59")
    result = parse_one(parser, line, ctx(received=datetime(2027, 1, 2, 8, 0, tzinfo=UTC)))
    assert result.time == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_106015_no_connection_keeps_all_flags_in_canonical_order():
    result = parse_one(parser, ASA_106015, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "185.220.2.2",
        53089,
        "100.70.10.10",
        443,
    )
    assert (result.protocol, result.tcp_flags) == ("tcp", "FPA")


def test_106015_rst_alone():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-6-106015: Deny TCP (no connection) from 45.33.150.65/2278 to 100.70.128.83/80 "
        "flags RST on interface outside",
        ctx(),
    )
    assert (result.source_ip, result.target_port, result.tcp_flags) == ("45.33.150.65", 80, "R")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (ASA_106006, ("89.248.2.66", 137, "100.70.2.42", 137)),
        (ASA_106007, ("89.248.0.66", 12981, "100.70.2.60", 53)),
    ],
)
def test_106006_and_106007_inbound_udp(line, expected):
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == expected
    assert (result.protocol, result.tcp_flags) == ("udp", "")


def test_106010_other_protocol_keeps_its_ports():
    result = parse_one(parser, ASA_106010, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("sctp", 5114, 2)
    assert (result.source_ip, result.target_ip) == ("45.33.10.10", "100.70.10.11")


def test_106014_icmp_type_and_code_stand_in_for_the_ports():
    result = parse_one(parser, ASA_106014, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)
    assert result.target_ip == "100.70.10.11"


def test_106021_reverse_path_check_has_no_ports():
    result = parse_one(parser, ASA_106021, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("tcp", None, None)
    assert (result.source_ip, result.target_ip) == ("185.220.2.2", "100.70.10.10")


def test_106023_protocol_number_without_ports():
    result = parse_one(parser, ASA_106023_GRE, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("gre", None, None)
    assert result.time == datetime(2025, 4, 27, 2, 3, 3, tzinfo=UTC)


def test_106023_ipv6_icmp_is_icmpv6_with_canonical_addresses():
    result = parse_one(parser, ASA_106023_IPV6_ICMP, ctx())
    assert result.source_ip == "2a0c:9a40:add:4002:91f2:a9b2:e09a:6fc6"
    assert result.target_ip == "fd70:add:4002::1"
    assert (result.protocol, result.source_port, result.target_port) == ("icmpv6", 128, 0)


def test_106023_ipv6_tcp_addresses_are_canonical():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp src outside:2a0c:9a40:0000::0005/51234 "
        'dst inside:fd70::7/22 by access-group "outside-in" [0x0, 0x0]',
        ctx(),
    )
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2a0c:9a40::5",
        51234,
        "fd70::7",
        22,
    )


def test_106023_fqdn_and_identity_user_after_an_address_are_ignored():
    assert parse_one(parser, ASA_106023_FQDN, ctx()).target_ip == "100.70.2.2"
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny udp src outside:45.33.113.5/5060(LOCAL\\alice) "
        'dst inside:100.70.100.7/5060 by access-group "outside_in" [0x0, 0x0]',
        ctx(),
    )
    assert (result.source_ip, result.source_port, result.protocol) == ("45.33.113.5", 5060, "udp")


def test_106100_denied_uses_the_hit_count_and_the_iso_offset():
    assert parse_one(parser, ASA_106100_ISO, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2025, 9, 26, 15, 55, 18, tzinfo=UTC),
        source_ip="185.220.114.83",
        target_ip="100.70.254.12",
        protocol="tcp",
        source_port=48466,
        target_port=443,
        count=3,
    )


def test_106100_first_hit_counts_once():
    result = parse_one(parser, ASA_106100_DENIED, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.count) == ("udp", 1039, 53, 1)


def test_106100_icmp_numbers_are_type_and_code():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106100: access-list outside_in denied icmp outside/45.33.113.5(8) -> "
        "inside/100.70.100.7(0) hit-cnt 2 first hit [0x91c26a3, 0x0]",
        ctx(),
    )
    assert (result.protocol, result.source_port, result.target_port, result.count) == ("icmp", 8, 0, 2)


@pytest.mark.parametrize("line", [ASA_106100_PERMITTED, ASA_106100_EST_ALLOWED])
def test_106100_permitted_and_est_allowed_are_allowed_traffic(line):
    assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic")


def test_710003_access_to_the_box_denied_by_acl():
    result = parse_one(parser, ASA_710003, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "89.248.69.144",
        6370,
        "100.70.157.61",
        23,
    )


def test_710003_service_name_instead_of_port():
    result = parse_one(parser, ASA_710003.replace("/23", "/https"), ctx())
    assert result.target_port == 443


def test_313001_has_no_target_address_and_is_skipped_with_a_reason():
    result = parse_one(parser, ASA_313001, ctx())
    assert isinstance(result, Skipped)
    assert "no target address" in result.reason


def test_a_built_connection_is_allowed_traffic():
    assert parse_one(parser, FTD_302013, ctx()) == Skipped(1, "allowed traffic: connection built")


def test_pix_and_ftd_tags_and_a_class_name_in_the_tag_are_understood():
    body = 'Deny tcp src outside:45.33.113.5/51234 dst inside:100.70.100.7/22 by access-group "outside_in" [0x0, 0x0]'
    for tag in ("%PIX-4-106023:", "%FTD-4-106023:", "%ASA-session-4-106023:"):
        result = parse_one(parser, f"Nov 22 2026 10:00:01 fw01 : {tag} {body}", ctx())
        assert (result.source_ip, result.target_port) == ("45.33.113.5", 22), tag


def test_priority_prefix_and_colon_after_the_device_stamp():
    result = parse_one(
        parser,
        "<164>Aug 28 2025 19:34:14: %ASA-4-106023: Deny tcp src outside:45.33.187.190/63659 "
        'dst dmz-1:100.70.191.142/8827 by access-group "outside_access_in" [0x0, 0x0]',
        ctx(),
    )
    assert result.time == datetime(2025, 8, 28, 19, 34, 14, tzinfo=UTC)
    assert result.target_port == 8827


def test_device_stamp_without_zone_is_read_in_the_submission_zone():
    result = parse_one(parser, ASA_106023.replace("Apr 15 2025", "Nov 22 2026"), ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 11, 22, 0, 36, 50, tzinfo=UTC)


def test_year_less_stamp_is_read_in_the_submission_zone():
    result = parse_one(parser, ASA_106001.replace("May  5 18:40:50", "Nov 22 10:00:01"), ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 11, 22, 1, 0, 1, tzinfo=UTC)


def test_device_stamp_marked_utc_ignores_the_submission_zone():
    result = parse_one(
        parser, ASA_106023.replace("Apr 15 2025 09:36:50:", "Nov 22 2026 10:00:01 UTC:"), ctx("Asia/Tokyo")
    )
    assert result.time == datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC)


def test_device_stamp_wins_over_the_syslog_servers_receive_stamp():
    line = "Nov 22 19:00:05 fw01.example.net " + ASA_106023.replace(
        "Apr 15 2025 09:36:50:", "Nov 22 2026 10:00:01 UTC:"
    )
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC)


def test_local_time_in_a_dst_gap_is_rejected_not_guessed():
    result = parse_one(parser, ASA_106023.replace("Apr 15 2025 09:36:50", "Mar 29 2026 02:30:00"), ctx("Europe/Berlin"))
    assert isinstance(result, Rejection)
    assert "does not exist" in result.reason


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        ASA_106023,
        ASA_106100_NAME,
        "%ASA-4-106023: " + ASA_106023.split(": %ASA-4-106023: ")[1],
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp frobnicated",
        "Nov 22 2026 10:00:01: a line with no message tag",
        ASA_106023.replace("45.33.18.30", "45.33.18.300"),
        "",
        ASA_106001,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 8]
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    rejected = results[1:6]
    assert all(isinstance(r, Rejection) for r in rejected)
    assert "name 'scanner.example.net' instead of the source address" in rejected[0].reason
    assert rejected[0].line == ASA_106100_NAME
    assert rejected[1].reason == "no time stamp before the message tag"
    assert "unrecognised deny message text" in rejected[2].reason
    assert "no %ASA-" in rejected[3].reason
    assert "45.33.18.300" in rejected[4].reason


def test_a_name_logged_instead_of_the_target_address_is_rejected():
    body = (
        'Deny tcp src outside:45.33.1.1/50240 dst inside:www.example.com/23 by access-group "S_OUT" [0x54c7fa80, 0x0]'
    )
    result = parse_one(parser, f"Nov 22 2026 10:00:01: %ASA-4-106023: {body}", ctx())
    assert isinstance(result, Rejection)
    assert result.reason == "the firewall logged the name 'www.example.com' instead of the target address"


def test_an_impossible_device_date_is_rejected():
    result = parse_one(parser, ASA_106023.replace("Apr 15 2025", "Feb 30 2026"), ctx())
    assert isinstance(result, Rejection)
    assert result.reason == "impossible date Feb 30 2026 09:36:50"


def test_106100_with_ipv6_addresses():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106100: access-list outside_in denied tcp outside/2a0c:9a40::5(51234) -> "
        "inside/fd70::7(22) hit-cnt 1 first hit [0x91c26a3, 0x0]",
        ctx(),
    )
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "2a0c:9a40::5",
        51234,
        "fd70::7",
        22,
    )


def test_detect_picks_cisco_asa_for_a_mixed_asa_log():
    sample = [FTD_302013, ASA_106023, ASA_106100_PERMITTED, ASA_106001, ASA_313001]
    assert detect(sample).name == "cisco_asa"


@pytest.mark.parametrize(
    "line",
    [
        "Nov 22 10:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=45.33.113.5 DST=100.70.100.7 PROTO=TCP SPT=1 DPT=22",
        'date=2026-11-22 time=10:00:01 logid="0000000013" type="traffic" srcip=45.33.113.5 action="deny"',
        "2026-11-22 10:00:01 DROP TCP 45.33.113.5 100.70.1.10 51234 445 52 S 1 0 8192 - - - RECEIVE",
        "100% done",
    ],
)
def test_matches_ignores_other_formats(line):
    assert not parser.matches(line)


@pytest.mark.parametrize(
    "line",
    [
        # Interface names with a colon (a context or VRF prefix such as "v1:outside"), hand-written from 106023.
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp src v1:outside:45.33.8.9/54864 dst v1:inside:100.70.1.5/22 "
        'by access-group "outside_in" [0x0, 0x0]',
        "Nov 22 2026 10:00:01: %ASA-3-710003: TCP access denied by ACL from 45.33.8.9/54864 "
        "to v1:outside:100.70.1.5/22",
        "Nov 22 2026 10:00:01: %ASA-6-106100: access-list outside_in denied tcp v1:outside/45.33.8.9(54864) -> "
        "v1:inside/100.70.1.5(22) hit-cnt 1 first hit [0x0, 0x0]",
    ],
)
def test_an_interface_name_with_a_colon_is_split_from_the_address(line):
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "45.33.8.9",
        54864,
        "100.70.1.5",
        22,
    )


def test_an_interface_name_with_a_colon_before_an_ipv6_address():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny udp src v1:outside:2a0c:9a40:1::5/5353 "
        'dst v1:inside:fd70::7/5353 by access-group "outside_in" [0x0, 0x0]',
        ctx(),
    )
    assert (result.source_ip, result.target_ip, result.target_port) == ("2a0c:9a40:1::5", "fd70::7", 5353)


def test_a_name_after_an_interface_with_a_colon_is_still_reported_as_a_name():
    result = parse_one(
        parser,
        "Nov 22 2026 10:00:01: %ASA-4-106023: Deny tcp src v1:outside:45.33.8.9/54864 dst v1:inside:mail-gw/25 "
        'by access-group "outside_in" [0x0, 0x0]',
        ctx(),
    )
    assert isinstance(result, Rejection)
    assert result.reason == "the firewall logged the name 'mail-gw' instead of the target address"


STAMP = "Nov 20 2026 15:10:46 fw01 : "

# Each body is written by hand from the message format in the ASA guide, quoted
# above it with the placeholders the guide uses.
DENY_MESSAGES = [
    # %ASA-2-106002: protocol Connection denied by outbound list acl_ID src inside_address dest outside_address
    (
        "%ASA-2-106002: udp Connection denied by outbound list inside_out src 100.70.4.4 dest 45.33.9.9",
        ("udp", "100.70.4.4", None, "45.33.9.9", None),
    ),
    # %ASA-3-106011: Deny inbound (No xlate) string
    (
        "%ASA-3-106011: Deny inbound (No xlate) udp src outside:185.220.7.1/5060 dst outside:100.70.0.1/5060",
        ("udp", "185.220.7.1", 5060, "100.70.0.1", 5060),
    ),
    # %ASA-6-106012: Deny IP from IP_address to IP_address, IP options hex.
    (
        '%ASA-6-106012: Deny IP from 45.33.1.165 to 100.70.183.38, IP options: "Router Alert"',
        ("ip", "45.33.1.165", None, "100.70.183.38", None),
    ),
    (
        "%ASA-6-106012: Deny IP from 45.33.1.165 to 100.70.183.38, IP options 0x14.",
        ("ip", "45.33.1.165", None, "100.70.183.38", None),
    ),
    # %ASA-2-106013: Dropping echo request from IP_address to PAT address IP_address
    (
        "%ASA-2-106013: Dropping echo request from 89.248.1.2 to PAT address 100.70.0.9",
        ("icmp", "89.248.1.2", 8, "100.70.0.9", 0),
    ),
    # %ASA-2-106016: Deny IP spoof from (IP_address) to IP_address on interface interface_name.
    (
        "%ASA-2-106016: Deny IP spoof from (100.70.9.9) to 100.70.1.20 on interface outside",
        ("ip", "100.70.9.9", None, "100.70.1.20", None),
    ),
    # %ASA-2-106017: Deny IP due to Land Attack from IP_address to IP_address
    (
        "%ASA-2-106017: Deny IP due to Land Attack from 100.70.2.71 to 100.70.2.71",
        ("ip", "100.70.2.71", None, "100.70.2.71", None),
    ),
    # %ASA-2-106018: ICMP packet type ICMP_type denied by outbound list acl_ID src inside_address dest outside_address
    (
        "%ASA-2-106018: ICMP packet type 8 denied by outbound list inside_out src 100.70.4.4 dest 45.33.9.9",
        ("icmp", "100.70.4.4", 8, "45.33.9.9", None),
    ),
    (
        "%ASA-2-106018: ICMP packet type echo-reply denied by outbound list inside_out src 100.70.4.4 dest 45.33.9.9",
        ("icmp", "100.70.4.4", 0, "45.33.9.9", None),
    ),
    # %ASA-2-106020: Deny IP teardrop fragment (size = number, offset = number) from IP_address to IP_address
    (
        "%ASA-2-106020: Deny IP teardrop fragment (size = 36, offset = 0) from 185.220.3.3 to 100.70.3.3",
        ("ip", "185.220.3.3", None, "100.70.3.3", None),
    ),
    # %ASA-1-106022: Deny protocol connection spoof from source_address to dest_address on interface interface_name
    (
        "%ASA-1-106022: Deny TCP connection spoof from 185.220.3.3 to 100.70.3.3 on interface outside",
        ("tcp", "185.220.3.3", None, "100.70.3.3", None),
    ),
    # %ASA-4-106103: access-list acl_ID denied protocol for user username interface_name/source_address source_port
    # interface_name/dest_address dest_port hit-cnt number first hit hash codes
    (
        "%ASA-4-106103: access-list vpn_user_acl denied tcp for user alice outside/45.33.6.6 40000 "
        "inside/100.70.6.6 445 hit-cnt 4 first hit [0x2a3f, 0x0]",
        ("tcp", "45.33.6.6", 40000, "100.70.6.6", 445, "", 4),
    ),
    (
        "%ASA-4-106103: access-list vpn_user_acl denied udp for user 'LOCAL\\bob' outside/45.33.6.6(40000) -> "
        "inside/100.70.6.6(161) hit-cnt 1 first hit [0x2a3f, 0x0]",
        ("udp", "45.33.6.6", 40000, "100.70.6.6", 161),
    ),
    # %ASA-6-110002: Failed to locate egress interface for protocol from src interface:src IP/src port to
    # dest IP/dest port
    (
        "%ASA-6-110002: Failed to locate egress interface for UDP from outside:89.248.5.5/1900 to 100.70.200.1/1900",
        ("udp", "89.248.5.5", 1900, "100.70.200.1", 1900),
    ),
    # %ASA-6-110003: Routing failed to locate next hop for protocol from src interface:src IP/src port to
    # dest interface:dest IP/dest port
    (
        "%ASA-6-110003: Routing failed to locate next hop for TCP from outside:89.248.5.5/4444 to inside:100.70.9.1/23",
        ("tcp", "89.248.5.5", 4444, "100.70.9.1", 23),
    ),
    # %ASA-4-209005: Discard IP fragment set with more than number elements: src = Too many elements are in a
    # fragment set. (the variables after it: src = IP_address, dest = IP_address, proto = protocol, id = number)
    (
        "%ASA-4-209005: Discard IP fragment set with more than 24 elements: src = 45.33.7.7, dest = 100.70.7.7, "
        "proto = UDP, id = 31337",
        ("udp", "45.33.7.7", None, "100.70.7.7", None),
    ),
    # %ASA-5-304002: Access denied URL chars SRC IP_address DEST IP_address: chars
    (
        "%ASA-5-304002: Access denied URL http://malware.example.net/x.exe SRC 100.70.8.8 DEST 185.220.8.8 "
        "on interface inside",
        ("tcp", "100.70.8.8", None, "185.220.8.8", None),
    ),
    # %ASA-4-313004: Denied ICMP type=icmp_type, from source_address on interface interface_name to dest_address:
    # no matching session
    (
        "%ASA-4-313004: Denied ICMP type=0, from 45.33.2.2 on interface outside to 100.70.2.2: no matching session",
        ("icmp", "45.33.2.2", 0, "100.70.2.2", None),
    ),
    # %ASA-4-313005: No matching connection for ICMP error message: icmp_msg_info on interface_name interface.
    # Original IP payload: embedded_frame_info; icmp_msg_info = icmp src src_interface_name:src_address dst
    # dest_interface_name:dest_address (type icmp_type, code icmp_code); embedded_frame_info = prot src
    # source_address/source_port dst dest_address/dest_port. The ICMP error is the event, type and code its ports.
    (
        "%ASA-4-313005: No matching connection for ICMP error message: icmp src outside:45.33.2.2 "
        "dst inside:100.70.2.2 (type 3, code 0) on outside interface. Original IP payload: udp src "
        "100.70.2.2/33434 dst 45.33.2.9/53.",
        ("icmp", "45.33.2.2", 3, "100.70.2.2", 0),
    ),
    # %ASA-4-313009: Denied invalid ICMP code icmp-code, for src-ifc:src-address/src-port
    # (mapped-src-address/mapped-src-port) to dest-ifc:dest-address/dest-port (mapped-dest-address/mapped-dest-port)
    # [user], ICMP id icmp-id, ICMP type icmp-type
    (
        "%ASA-4-313009: Denied invalid ICMP code 9, for outside:45.33.2.2/0 (45.33.2.2/0) to "
        "inside:100.70.2.2/0 (100.70.2.2/0), ICMP id 4711, ICMP type 8",
        ("icmp", "45.33.2.2", 8, "100.70.2.2", 9),
    ),
    # %ASA-4-338008: Dynamic Filter dropped blacklisted protocol traffic from in_interface:src_ip_addr/src_port
    # (mapped-ip/mapped-port) to out_interface:dest_ip_addr/dest_port (mapped-ip/mapped-port), destination
    # malicious address resolved from local or dynamic list: ip address/netmask, threat-level: level_value,
    # category: category_name
    (
        "%ASA-4-338008: Dynamic Filter dropped blacklisted TCP traffic from inside:100.70.5.5/50123 "
        "(100.70.5.5/50123) to outside:185.220.5.5/443 (185.220.5.5/443), destination 185.220.5.5 resolved "
        "from dynamic list: 185.220.5.0/255.255.255.0, threat-level: very-high, category: Malware",
        ("tcp", "100.70.5.5", 50123, "185.220.5.5", 443),
    ),
    # 338007 is the same with the source malicious.
    (
        "%ASA-4-338007: Dynamic Filter dropped blacklisted UDP traffic from outside:185.220.5.5/53 "
        "(185.220.5.5/53) to inside:100.70.5.5/50123 (100.70.5.5/50123), source 185.220.5.5 resolved "
        "from dynamic list: 185.220.5.0/255.255.255.0, threat-level: high, category: Botnet",
        ("udp", "185.220.5.5", 53, "100.70.5.5", 50123),
    ),
    # %ASA-4-419001: Dropping TCP packet from src_ifc:src_IP/src_port to dest_ifc:dest_IP/dest_port, reason:
    # MSS exceeded, MSS size, data size
    (
        "%ASA-4-419001: Dropping TCP packet from outside:45.33.4.4/4444 to inside:100.70.4.4/80, reason: "
        "MSS exceeded, MSS 1380, data 1460",
        ("tcp", "45.33.4.4", 4444, "100.70.4.4", 80),
    ),
    # %ASA-4-419002: Duplicate TCP SYN from in_interface:src_address/src_port to out_interface:dest_address/dest_port
    # with different initial sequence number
    (
        "%ASA-4-419002: Duplicate TCP SYN from outside:45.33.4.4/4444 to inside:100.70.4.4/80 with different "
        "initial sequence number",
        ("tcp", "45.33.4.4", 4444, "100.70.4.4", 80, "S"),
    ),
    # %ASA-4-434002: SFR requested to drop protocol packet from ingress interface:source IP address/source port
    # to egress interface:destination IP address/destination port
    (
        "%ASA-4-434002: SFR requested to drop TCP packet from outside:89.248.3.3/51000 to inside:100.70.3.3/3389",
        ("tcp", "89.248.3.3", 51000, "100.70.3.3", 3389),
    ),
    # %ASA-4-500004: Invalid transport field for protocol=protocol, from source_address/source_port to
    # dest_address/dest_port
    (
        "%ASA-4-500004: Invalid transport field for protocol=UDP, from 45.33.0.1/0 to 100.70.0.2/0",
        ("udp", "45.33.0.1", 0, "100.70.0.2", 0),
    ),
    # %ASA-5-500003: Bad TCP hdr length (hdrlen=bytes, pktlen=bytes) from source_address/source_port to
    # dest_address/dest_port, flags: tcp_flags, on interface interface_name
    (
        "%ASA-5-500003: Bad TCP hdr length (hdrlen=4, pktlen=40) from 45.33.0.1/1234 to 100.70.0.2/80, "
        "flags: S, on interface outside",
        ("tcp", "45.33.0.1", 1234, "100.70.0.2", 80),
    ),
    # %ASA-3-710004: TCP connection limit exceeded from Src_ip/Src_port to In_name:Dest_ip/Dest_port (current
    # connections/connection limit = Curr_conn/Conn_lmt)
    (
        "%ASA-3-710004: TCP connection limit exceeded from 89.248.8.8/5555 to outside:100.70.0.1/22 "
        "(current connections/connection limit = 5/5)",
        ("tcp", "89.248.8.8", 5555, "100.70.0.1", 22),
    ),
    # %ASA-7-710005: {TCP|UDP|SCTP} request discarded from source_address/source_port to
    # interface_name:dest_address/service
    (
        "%ASA-7-710005: UDP request discarded from 89.248.8.8/137 to outside:100.70.0.255/137",
        ("udp", "89.248.8.8", 137, "100.70.0.255", 137),
    ),
    (
        "%ASA-7-710005: TCP request discarded from 89.248.8.8/40000 to outside:100.70.0.1/telnet",
        ("tcp", "89.248.8.8", 40000, "100.70.0.1", 23),
    ),
    # %ASA-7-710006: protocol request discarded from source_address to interface_name:dest_address
    (
        "%ASA-7-710006: ESP request discarded from 89.248.8.8 to outside:100.70.0.1",
        ("esp", "89.248.8.8", None, "100.70.0.1", None),
    ),
]


def stamped_event(proto, src, sport, dst, dport, flags="", count=1):
    return ParsedEvent(1, datetime(2026, 11, 20, 15, 10, 46, tzinfo=UTC), src, dst, proto, sport, dport, flags, count)


@pytest.mark.parametrize(("body", "expected"), DENY_MESSAGES, ids=[b.split(":")[0][1:] for b, _ in DENY_MESSAGES])
def test_deny_and_drop_messages_become_events(body, expected):
    assert parse_one(parser, STAMP + body, ctx()) == stamped_event(*expected)


# Lines the device says it let through, hand-written from the guide's formats.
ALLOWED_MESSAGES = [
    (
        "%ASA-6-302014: Teardown TCP connection 4711 for outside:45.33.1.1/51000 to inside:100.70.1.1/443 "
        "duration 0:00:05 bytes 6120 TCP FINs",
        "allowed traffic: connection torn down",
    ),
    (
        "%ASA-6-302015: Built inbound UDP connection 4712 for outside:45.33.1.1/53 (45.33.1.1/53) to "
        "inside:100.70.1.1/50000 (100.70.1.1/50000)",
        "allowed traffic: connection built",
    ),
    (
        "%ASA-6-302020: Built inbound ICMP connection for faddr 45.33.1.1/0 gaddr 100.70.1.1/0 laddr 100.70.1.1/0",
        "allowed traffic: connection built",
    ),
    (
        "%ASA-4-106102: access-list vpn_filter permitted tcp for user alice outside/45.33.6.6 40000 "
        "inside/100.70.6.6 445 hit-cnt 1 first hit [0x2a3f, 0x0]",
        "allowed traffic",
    ),
    (
        "%ASA-4-338002: Dynamic Filter monitored blacklisted TCP traffic from inside:100.70.5.5/50123 "
        "(100.70.5.5/50123) to outside:185.220.5.5/443 (185.220.5.5/443), destination malicious address "
        "resolved from dynamic list: bad.example.net, threat-level: high, category: Malware",
        "allowed traffic: dynamic filter monitored",
    ),
    (
        "%ASA-7-710002: TCP access permitted from 45.33.1.1/51000 to outside:100.70.0.1/https",
        "allowed traffic: access to the device permitted",
    ),
]


@pytest.mark.parametrize(("body", "reason"), ALLOWED_MESSAGES)
def test_what_the_device_let_through_is_allowed_traffic(body, reason):
    assert parse_one(parser, STAMP + body, ctx()) == Skipped(1, reason)


# Cisco messages that are not about a connection, hand-written from the guide.
NOT_TRAFFIC_MESSAGES = [
    ("%ASA-1-104001: (Primary) Switching to ACTIVE - Set by the config command.", "failover (104001)"),
    ("%ASA-5-111008: User 'admin' executed the 'write memory' command.", "configuration (111008)"),
    (
        "%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 12 per second, max configured rate "
        "is 10; Current average rate is 5 per second, max configured rate is 5; Cumulative total count is 3012",
        "threat-detection drop rate statistics (733100)",
    ),
    (
        "%ASA-4-106101: Number of cached deny-flows for ACL log has reached limit (4096).",
        "deny-flow cache state (106101)",
    ),
    (
        "%ASA-4-113019: Group = vpn-users, Username = alice, IP = 45.33.1.1, Session disconnected. "
        "Session Type: SSL, Duration: 0h:10m:00s, Bytes xmt: 1000, Bytes rcv: 2000, Reason: User Requested",
        "authentication (113019)",
    ),
    (
        "%ASA-5-713904: IP = 45.33.1.1, Received encrypted packet with no matching SA, dropping",
        "VPN (713904)",
    ),
    (
        "%ASA-6-305011: Built dynamic TCP translation from inside:100.70.1.1/50000 to outside:100.70.0.1/50000",
        "address translation (305011)",
    ),
    ("%ASA-5-880001: a message from a release newer than this parser", "message (880001)"),
]


@pytest.mark.parametrize(("body", "what"), NOT_TRAFFIC_MESSAGES)
def test_other_cisco_messages_are_not_traffic_records(body, what):
    assert parse_one(parser, STAMP + body, ctx()) == Skipped(1, f"not a traffic record: {what}")


def test_an_unknown_message_of_a_deny_family_that_reads_like_a_deny_is_rejected_not_skipped():
    result = parse_one(parser, STAMP + "%ASA-4-106999: Deny tcp src outside:45.33.1.1/1 dst inside:100.70.1.1/2", ctx())
    assert isinstance(result, Rejection)
    assert result.reason.startswith("message 106999 looks like a deny this parser does not read")


def test_a_deny_message_without_readable_addresses_is_rejected():
    result = parse_one(
        parser,
        STAMP + "%ASA-4-106027: Failed to determine the security context for the packet:vlan10 ethertype 0x8100 "
        "src 0011.2233.4455 dst 5566.7788.99aa",
        ctx(),
    )
    assert isinstance(result, Rejection)
    assert "names no source and target address" in result.reason


@pytest.mark.parametrize(
    "body",
    [
        "%ASA-4-106023: Deny icmp src outside:45.33.2.2 dst inside:100.70.2.2 (type 3, code 0) "
        'by access-group "outside_in" [0x0, 0x0]',
        "%ASA-4-106023: Deny icmp src outside:45.33.2.2 dst inside:100.70.2.2 type 3, code 0, "
        'by access-group "outside_in" [0x0, 0x0]',
        "%ASA-3-106014: Deny inbound icmp src outside:45.33.2.2 dst inside:100.70.2.2 (type 3, code 0)",
        "%ASA-4-106100: access-list outside_in denied icmp outside/45.33.2.2(3) -> inside/100.70.2.2(0) "
        "hit-cnt 1 first hit [0x0, 0x0]",
        "%ASA-4-313005: No matching connection for ICMP error message: icmp src outside:45.33.2.2 "
        "dst inside:100.70.2.2 (type 3, code 0) on outside interface. Original IP payload: tcp src "
        "100.70.2.2/443 dst 45.33.2.9/51515.",
        "%ASA-4-313009: Denied invalid ICMP code 0, for outside:45.33.2.2/0 (45.33.2.2/0) to "
        "inside:100.70.2.2/0 (100.70.2.2/0), ICMP id 0, ICMP type 3",
    ],
)
def test_icmp_about_a_tcp_or_udp_target_keeps_type_and_code_not_the_quoted_ports(body):
    # ICMP convention (base.ParsedEvent): the type is the source port, the code the target port.
    result = parse_one(parser, STAMP + body, ctx())
    assert (result.protocol, result.source_ip, result.target_ip) == ("icmp", "45.33.2.2", "100.70.2.2")
    assert (result.source_port, result.target_port) == (3, 0)


# rsyslog's "$RepeatedMsgReduction on" (rsyslog documentation, rsconf1_repeatedmsgreduction) writes
# "message repeated N times: [msg]"; both lines are hand-written from that format.
REPEATED_AFTER_TAG = (
    "Nov 20 15:10:46 fw01 %ASA-4-106023: message repeated 3 times: [ Deny tcp src outside:45.33.18.30/63016 "
    'dst dmz:100.70.2.8/23 by access-group "outside_in" [0xe3aab522, 0x0]]'
)
REPEATED_AROUND_TAG = (
    "Nov 20 15:10:47 fw01 message repeated 4 times: [ Nov 20 2026 15:10:46: %ASA-4-106023: Deny tcp src "
    'outside:45.33.18.30/63016 dst dmz:100.70.2.8/23 by access-group "outside_in" [0xe3aab522, 0x0]]'
)


@pytest.mark.parametrize(("line", "count"), [(REPEATED_AFTER_TAG, 3), (REPEATED_AROUND_TAG, 4)])
def test_message_repeated_reads_the_inner_message_and_counts_the_repeats(line, count):
    assert parse_one(parser, line, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 20, 15, 10, 46, tzinfo=UTC),
        source_ip="45.33.18.30",
        target_ip="100.70.2.8",
        protocol="tcp",
        source_port=63016,
        target_port=23,
        count=count,
    )


def test_message_repeated_multiplies_a_hit_count():
    line = (
        "Nov 20 15:10:46 fw01 %ASA-6-106100: message repeated 2 times: [ access-list outside_in denied tcp "
        "outside/185.220.114.83(48466) -> inside/100.70.254.12(443) hit-cnt 5 300-second interval [0x1d5d, 0x0]]"
    )
    assert parse_one(parser, line, ctx()).count == 10


def test_message_repeated_around_an_allowed_message_is_still_allowed_traffic():
    line = (
        "Nov 20 15:10:46 fw01 %ASA-6-106100: message repeated 2 times: [ access-list inside_in permitted udp "
        "inside/100.70.2.3(1065) -> outside/45.33.2.57(53) hit-cnt 1 first hit [0xe982c7a4, 0x0]]"
    )
    assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic")


# The zone after the device stamp is the name configured with "clock timezone" / "clock summer-time"
# (ASA command reference); the lines are hand-written.
ZONED = ASA_106023.replace("Apr 15 2025 09:36:50:", "Nov 20 2026 15:10:46 {zone}:")
ZONED_NO_YEAR = ASA_106023.replace("Apr 15 2025 09:36:50:", "Jul 20 15:10:46 {zone}:")


@pytest.mark.parametrize(
    ("zone", "utc"),
    [
        ("UTC", datetime(2026, 11, 20, 15, 10, 46, tzinfo=UTC)),
        ("GMT", datetime(2026, 11, 20, 15, 10, 46, tzinfo=UTC)),
        ("WEST", datetime(2026, 11, 20, 14, 10, 46, tzinfo=UTC)),
        ("CET", datetime(2026, 11, 20, 14, 10, 46, tzinfo=UTC)),
        ("CEST", datetime(2026, 11, 20, 13, 10, 46, tzinfo=UTC)),
        ("EDT", datetime(2026, 11, 20, 19, 10, 46, tzinfo=UTC)),
        ("AEST", datetime(2026, 11, 20, 5, 10, 46, tzinfo=UTC)),
        ("NST", datetime(2026, 11, 20, 18, 40, 46, tzinfo=UTC)),
    ],
)
def test_an_unambiguous_zone_name_after_the_stamp_is_its_offset_whatever_the_submission_zone(zone, utc):
    assert parse_one(parser, ZONED.format(zone=zone), ctx("Asia/Tokyo")).time == utc


def test_a_zone_name_after_a_stamp_without_year_still_gets_the_year_of_the_submission():
    result = parse_one(parser, ZONED_NO_YEAR.format(zone="CEST"), ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 7, 20, 13, 10, 46, tzinfo=UTC)
    late = ZONED_NO_YEAR.replace("Jul 20 15:10:46", "Dec 31 23:30:00").format(zone="UTC")
    january = ctx(received=datetime(2027, 1, 1, 0, 10, tzinfo=UTC))
    assert parse_one(parser, late, january).time == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "submission_zone", "utc"),
    [
        ("CST", "America/Chicago", datetime(2026, 11, 20, 21, 10, 46, tzinfo=UTC)),
        ("CST", "Asia/Shanghai", datetime(2026, 11, 20, 7, 10, 46, tzinfo=UTC)),
        ("IST", "Asia/Kolkata", datetime(2026, 11, 20, 9, 40, 46, tzinfo=UTC)),
        ("PST", "America/Los_Angeles", datetime(2026, 11, 20, 23, 10, 46, tzinfo=UTC)),
    ],
)
def test_an_ambiguous_zone_name_is_read_in_the_submission_zone_when_that_zone_uses_the_name(zone, submission_zone, utc):
    assert parse_one(parser, ZONED.format(zone=zone), ctx(submission_zone)).time == utc


def test_an_ambiguous_zone_name_the_submission_zone_does_not_use_is_rejected_with_the_readings():
    result = parse_one(parser, ZONED.format(zone="IST"), ctx("Europe/Berlin"))
    assert isinstance(result, Rejection)
    assert result.reason == (
        "the device stamp's zone IST may be India (UTC+5:30), Israel (UTC+2) or Ireland (UTC+1); "
        "choose the firewall's time zone for the upload (Europe/Berlin does not use IST then)"
    )


def test_the_summer_name_tells_the_two_readings_of_the_repeated_hour_apart():
    # 2026-10-25 02:30 happens twice in Berlin; "CEST" and "CET" say which.
    line = ASA_106023.replace("Apr 15 2025 09:36:50:", "Oct 25 2026 02:30:00 {zone}:")
    assert parse_one(parser, line.format(zone="CEST"), ctx("Europe/Berlin")).time == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert parse_one(parser, line.format(zone="CET"), ctx("Europe/Berlin")).time == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )


def test_a_zone_name_of_the_administrators_own_reads_like_no_zone():
    result = parse_one(parser, ZONED.format(zone="HQ"), ctx("Asia/Tokyo"))
    assert result.time == datetime(2026, 11, 20, 6, 10, 46, tzinfo=UTC)


# FTD connection events, hand-written from the field list of the FTD syslog guide's "Security Event Syslog
# Messages" (430002 at the start of a connection, 430003 at its end): comma-separated "Name: value" fields.
FTD_BLOCK = (
    "<113>Nov 20 2026 15:10:47 ftd01 : %FTD-1-430002: EventPriority: Low, DeviceUUID: "
    "6f1c0a2e-8b3d-11ef-9a51-4c6e2d9b7a10, InstanceID: 1, FirstPacketSecond: 2026-11-20T15:10:46Z, "
    "ConnectionID: 40123, AccessControlRuleAction: Block, SrcIP: 185.220.33.7, DstIP: 100.70.3.9, SrcPort: 51234, "
    "DstPort: 22, Protocol: tcp, IngressInterface: outside, EgressInterface: inside, IngressZone: OUTSIDE, "
    "EgressZone: INSIDE, IngressVRF: Global, EgressVRF: Global, ACPolicy: Edge, AccessControlRuleName: "
    "Block-SSH, Prefilter Policy: Default Prefilter Policy, User: No Authentication Required, InitiatorPackets: 1, "
    "ResponderPackets: 0, InitiatorBytes: 74, ResponderBytes: 0, NAPPolicy: Balanced Security and Connectivity"
)


def ftd_with_action(action):
    return FTD_BLOCK.replace("AccessControlRuleAction: Block,", f"AccessControlRuleAction: {action},")


FTD_ALLOW = ftd_with_action("Allow")


def test_ftd_blocked_connection_is_an_event_timed_by_its_first_packet():
    assert parse_one(parser, FTD_BLOCK, ctx("Asia/Tokyo")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 20, 15, 10, 46, tzinfo=UTC),
        source_ip="185.220.33.7",
        target_ip="100.70.3.9",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


@pytest.mark.parametrize(
    "action", ["Block with reset", "Interactive Block", "Interactive Block with reset", "Block with interactive"]
)
def test_ftd_every_kind_of_block_is_an_event(action):
    line = ftd_with_action(action)
    result = parse_one(parser, line.replace("430002", "430003"), ctx())
    assert (result.source_ip, result.target_port) == ("185.220.33.7", 22)


@pytest.mark.parametrize("action", ["Allow", "Trust", "Monitor", "Fastpath"])
def test_ftd_allowed_trusted_and_monitored_connections_are_allowed_traffic(action):
    line = ftd_with_action(action)
    assert parse_one(parser, line, ctx()) == Skipped(1, f"allowed traffic: {action}")


@pytest.mark.parametrize("action", ["Default Action", "", "Quarantine"])
def test_ftd_an_action_that_does_not_say_whether_it_blocked_is_rejected(action):
    line = ftd_with_action(action)
    result = parse_one(parser, line, ctx())
    assert isinstance(result, Rejection)
    assert f"AccessControlRuleAction {action!r} does not say whether it was blocked" in result.reason


def test_ftd_without_first_packet_time_uses_the_stamp_before_the_tag():
    line = FTD_BLOCK.replace(" FirstPacketSecond: 2026-11-20T15:10:46Z,", "")
    assert parse_one(parser, line, ctx("Asia/Tokyo")).time == datetime(2026, 11, 20, 6, 10, 47, tzinfo=UTC)


def test_ftd_icmp_takes_type_and_code_and_ipv6_is_icmpv6():
    line = FTD_BLOCK.replace("SrcPort: 51234, DstPort: 22, Protocol: tcp", "SrcPort: 8, DstPort: 0, Protocol: icmp")
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)
    with_fields = parse_one(parser, line.replace("Protocol: icmp", "Protocol: icmp, ICMPType: 3, ICMPCode: 1"), ctx())
    assert (with_fields.source_port, with_fields.target_port) == (3, 1)
    v6 = line.replace("SrcIP: 185.220.33.7, DstIP: 100.70.3.9", "SrcIP: 2a0c:9a40:3::7, DstIP: fd70::9")
    assert parse_one(parser, v6, ctx()).protocol == "icmpv6"


def test_ftd_a_protocol_without_ports_keeps_none():
    line = FTD_BLOCK.replace("SrcPort: 51234, DstPort: 22, Protocol: tcp", "SrcPort: 0, DstPort: 0, Protocol: gre")
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("gre", None, None)


def test_ftd_the_original_client_address_is_not_the_source():
    line = FTD_BLOCK.replace("EventPriority: Low,", "EventPriority: Low, OriginalClientSrcIP: 89.248.1.1,")
    assert parse_one(parser, line, ctx()).source_ip == "185.220.33.7"


def test_ftd_an_event_without_addresses_is_rejected():
    result = parse_one(parser, FTD_BLOCK.replace("SrcIP: 185.220.33.7, ", ""), ctx())
    assert isinstance(result, Rejection)
    assert result.reason == "FTD event without SrcIP, DstIP or Protocol"


# 430001 intrusion events: InlineResult (FTD syslog guide) says whether the packet was dropped.
FTD_INTRUSION = (
    "Nov 20 2026 15:10:46 ftd01 : %FTD-1-430001: DeviceUUID: 6f1c0a2e-8b3d-11ef-9a51-4c6e2d9b7a10, InstanceID: 1, "
    "SrcIP: 89.248.7.7, DstIP: 100.70.7.7, SrcPort: 40404, DstPort: 80, Protocol: tcp, InlineResult: Blocked, "
    "GID: 1, SID: 31978, Revision: 5, Message: SERVER-WEBAPP example exploit attempt, Classification: "
    "Attempted Administrator Privilege Gain, Priority: 1"
)


def test_ftd_intrusion_event_blocked_inline_is_an_event():
    result = parse_one(parser, FTD_INTRUSION, ctx())
    assert (result.source_ip, result.target_ip, result.protocol, result.target_port) == (
        "89.248.7.7",
        "100.70.7.7",
        "tcp",
        80,
    )


@pytest.mark.parametrize(
    ("inline", "reason"),
    [
        ("InlineResult: Would have blocked, ", "allowed traffic: intrusion event, would have blocked"),
        ("", "allowed traffic: intrusion event without a block"),
    ],
)
def test_ftd_intrusion_event_that_was_not_blocked_is_allowed_traffic(inline, reason):
    line = FTD_INTRUSION.replace("InlineResult: Blocked, ", inline)
    assert parse_one(parser, line, ctx()) == Skipped(1, reason)


def test_ftd_file_events_are_not_traffic_records():
    line = (
        "Nov 20 2026 15:10:46 ftd01 : %FTD-1-430004: DeviceUUID: 6f1c0a2e-8b3d-11ef-9a51-4c6e2d9b7a10, "
        "SrcIP: 100.70.7.7, DstIP: 185.220.9.9, SrcPort: 50000, DstPort: 80, Protocol: tcp, FileAction: Block"
    )
    assert parse_one(parser, line, ctx()) == Skipped(
        1, "not a traffic record: file event, its connection is in 430002/430003 (430004)"
    )


def test_ftd_lines_with_asa_ids_read_as_asa_messages():
    line = ASA_106023.replace("%ASA-4-106023", "%FTD-4-106023")
    assert parse_one(parser, line, ctx()) == parse_one(parser, ASA_106023, ctx())


def test_detect_recognises_an_ftd_log():
    sample = [FTD_ALLOW, FTD_ALLOW.replace("430002", "430003"), FTD_BLOCK, FTD_INTRUSION, FTD_302013]
    assert detect(sample).name == "cisco_asa"


@pytest.mark.parametrize(
    "sample",
    [
        # a device stamp with a zone name, and a syslog server's stamp in front
        [ZONED.format(zone="CEST"), "Nov 20 15:10:47 relay " + ZONED.format(zone="UTC")] * 3,
        # rsyslog's repeat wrapper, both shapes
        [REPEATED_AFTER_TAG, REPEATED_AROUND_TAG, ASA_106023],
        # RFC 5424 header of "logging timestamp rfc5424" (ASA 9.10 and later, as in the guide's example)
        [
            "<166>2026-11-20T15:10:46Z fw01 : %ASA-6-110002: Failed to locate egress interface for UDP from "
            "outside:89.248.5.5/1900 to 100.70.200.1/1900",
            "<166>2026-11-20T15:10:47Z fw01 : " + FTD_302013.split(": ", 1)[1].replace("%FTD", "%ASA"),
        ],
        # a class name between facility and severity, one of them with a hyphen
        [
            ASA_106023.replace("%ASA-4-", "%ASA-session-4-"),
            FTD_302013.replace("%FTD-6-", "%FTD-tag-switching-6-"),
        ],
        # nothing but messages that are skipped
        [FTD_302013, ALLOWED_MESSAGES[0][0], NOT_TRAFFIC_MESSAGES[0][0], FTD_ALLOW],
    ],
)
def test_detect_recognises_cisco_logs_in_their_usual_shapes(sample):
    assert detect(sample).name == "cisco_asa"
    assert all(parser.matches(line) for line in sample)
