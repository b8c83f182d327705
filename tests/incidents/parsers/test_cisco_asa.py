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


def test_other_message_ids_are_not_deny_messages():
    assert parse_one(parser, FTD_302013, ctx()) == Skipped(1, "not a deny message")


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
