"""pfSense / OPNsense filterlog lines, specified by example.

Lines come from public fixtures: the CrowdSec hub's ``pf-logs`` parser tests
(pfSense BSD lines and OPNsense RFC 5424 lines), the ioxxoi/floger wiki
(pfSense ICMP and TCP blocks) and a docker-pfsense README (CARP). Lines marked
"built" follow the field layout of the pfSense "Raw Filter Log Format" page
and the ``print-*.c`` sources of sysutils/filterlog and opnsense/filterlog,
with addresses from the documentation ranges.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.pf_filterlog import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

PFSENSE_SYN = (
    "Sep 28 10:38:24 pfSense filterlog: 53,,,1000102631,em0,match,block,in,4,0x0,,64,600,0,none,6,tcp,44,"
    "10.0.2.2,10.0.2.15,53792,22,0,S,31552001,,65535,,mss"
)
PFSENSE_PUSH_ACK = (
    "Sep 28 10:38:09 pfSense filterlog: 53,,,1000000301,em0,match,block,in,4,0x0,,64,420,0,none,6,tcp,460,"
    "10.0.2.2,10.0.2.15,53742,22,420,PA,29633380:29633800,3617062173,65535,,"
)
PFSENSE_FIN_ACK_OUT = (
    "Sep 28 10:38:41 pfSense filterlog: 6,,,1000102434,em0,match,block,out,4,0x0,,64,0,0,DF,6,tcp,40,"
    "10.0.2.15,10.0.2.2,22,53742,0,FA,3617062173,29633380,65535,,"
)
PFSENSE_ECHO_REQUEST = (
    "Dec  5 09:53:08 pfsense filterlog: 5,,,1000103483,vtnet1,match,block,in,4,0x0,,64,48961,0,DF,1,icmp,84,"
    "192.168.3.1,192.168.3.201,request,5113,6664"
)
PFSENSE_CARP = (
    "Nov 22 10:00:01 pfsense filterlog: 48,16777216,,1000000201,em0,match,block,in,4,0x10,,255,53650,0,DF,112,"
    "carp,56,192.168.11.1,224.0.0.18,advertise,255,1,2,0,1"
)
OPNSENSE_UDP = (
    '<134>1 2022-09-06T18:37:34+02:00 opnsense filterlog 69805 - [meta sequenceId="2633353"] '
    "10,,,02f4bab031b57d1e30553ce08e0ec131,re0,match,block,in,4,0x0,,118,28579,0,none,17,udp,132,"
    "212.102.36.22,37.120.48.198,49838,52938,112"
)
OPNSENSE_SYN = (
    '<134>1 2022-09-06T18:51:28+02:00 opnsense filterlog 69805 - [meta sequenceId="2654146"] '
    "10,,,02f4bab031b57d1e30553ce08e0ec131,re0,match,block,in,4,0x0,,47,59064,0,DF,6,tcp,60,"
    "154.6.147.87,37.120.48.198,48473,13680,0,S,3023053886,,7300,,mss;sackOK;TS;nop;wscale"
)
OPNSENSE_PASS = (
    '<134>1 2022-09-06T18:37:34+02:00 opnsense filterlog 69805 - [meta sequenceId="2633354"] '
    "103,,,40b9591224d055de2beec8b74ea486b1,re0,match,pass,in,4,0x0,,116,11172,0,none,17,udp,48,"
    "68.41.165.77,10.0.0.200,64752,51918,28"
)
OPNSENSE_IPV6_PASS = (
    '<134>1 2022-09-06T19:00:06+02:00 opnsense filterlog 57126 - [meta sequenceId="2667099"] '
    "98,,,881dd59a3e942966c90498ac104715a0,re0,match,pass,in,6,0x00,0x0ea87,51,udp,17,73,"
    "2008:8a0:702e:ce00:acc6:c7ee:fa01:2f8a,2c02:2454:ada:d900::1738,6881,51918,73"
)
# OPNsense's own log file drops the <PRI>1 part.
OPNSENSE_FILE_LINE = (
    '2026-03-10T17:20:33+00:00 OPNsense.internal filterlog 87496 - [meta sequenceId="7"] '
    "69,,,49484b4b90e87d327015604798f010e9,em0,match,block,out,4,0xb8,,64,21200,0,none,17,udp,76,"
    "192.168.122.91,51.91.83.168,123,123,56"
)
# Built: IPv6 TCP block, protoname before protonum as pfSense prints it.
IPV6_SYN = (
    "Nov 22 10:00:01 pfSense filterlog[45123]: 7,,,1000000105,igb0,match,block,in,6,0x00,0x00000,57,TCP,6,40,"
    "2001:db8:0:0:0:0:0:5,2001:db8::7,51234,443,0,S,1234567,,64800,,mss"
)
# Built: pfSense RFC 5424 with an empty structured-data part and a zone offset.
PFSENSE_RFC5424 = (
    "<134>1 2026-11-22T10:00:01.250000-05:00 pfSense.home.arpa filterlog 56469 - - "
    "4,,,1000000103,igb0,match,block,in,4,0x0,,241,54321,0,none,6,tcp,40,203.0.113.5,198.51.100.7,"
    "51234,3389,0,S,2961817417,,1024,,"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_pfsense_tcp_syn_block_is_an_event_with_every_field_normalised():
    assert parse_one(parser, PFSENSE_SYN, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 28, 10, 38, 24, tzinfo=UTC),
        source_ip="10.0.2.2",
        target_ip="10.0.2.15",
        protocol="tcp",
        source_port=53792,
        target_port=22,
        tcp_flags="S",
    )


@pytest.mark.parametrize(("line", "flags"), [(PFSENSE_PUSH_ACK, "PA"), (PFSENSE_FIN_ACK_OUT, "FA")])
def test_tcp_flag_letters_are_kept_in_canonical_order(line, flags):
    assert parse_one(parser, line, ctx()).tcp_flags == flags


def test_outbound_block_keeps_the_packet_direction_of_source_and_target():
    result = parse_one(parser, PFSENSE_FIN_ACK_OUT, ctx())
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "10.0.2.15",
        22,
        "10.0.2.2",
        53742,
    )


def test_opnsense_rfc5424_line_uses_its_own_offset_not_the_submission_zone():
    result = parse_one(parser, OPNSENSE_UDP, ctx("America/New_York"))
    assert result == ParsedEvent(
        lineno=1,
        time=datetime(2022, 9, 6, 16, 37, 34, tzinfo=UTC),
        source_ip="212.102.36.22",
        target_ip="37.120.48.198",
        protocol="udp",
        source_port=49838,
        target_port=52938,
    )


def test_opnsense_tcp_with_options_and_hash_tracker():
    result = parse_one(parser, OPNSENSE_SYN, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.tcp_flags) == ("tcp", 48473, 13680, "S")
    assert result.time == datetime(2022, 9, 6, 16, 51, 28, tzinfo=UTC)


def test_opnsense_file_line_without_pri_is_read():
    result = parse_one(parser, OPNSENSE_FILE_LINE, ctx())
    assert (result.time, result.source_ip, result.target_ip, result.target_port) == (
        datetime(2026, 3, 10, 17, 20, 33, tzinfo=UTC),
        "192.168.122.91",
        "51.91.83.168",
        123,
    )


def test_pfsense_rfc5424_with_empty_structured_data_and_fractional_seconds():
    result = parse_one(parser, PFSENSE_RFC5424, ctx())
    assert result.time == datetime(2026, 11, 22, 15, 0, 1, 250000, tzinfo=UTC)
    assert (result.source_ip, result.target_port, result.tcp_flags) == ("203.0.113.5", 3389, "S")


@pytest.mark.parametrize("line", [OPNSENSE_PASS, OPNSENSE_IPV6_PASS])
def test_pass_is_skipped_as_allowed_traffic(line):
    assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic")


@pytest.mark.parametrize("action", ["rdr", "nat", "binat", "scrub", "match"])
def test_non_block_actions_are_skipped_with_the_action_named(action):
    result = parse_one(parser, PFSENSE_SYN.replace(",block,", f",{action},"), ctx())
    assert result == Skipped(1, f"not a traffic record: '{action}' entry, not a verdict")


@pytest.mark.parametrize("action", ["reject", "synproxy-drop"])
def test_other_dropping_actions_are_events(action):
    assert isinstance(parse_one(parser, PFSENSE_SYN.replace(",block,", f",{action},"), ctx()), ParsedEvent)


def test_ipv6_tcp_block_reads_the_ipv6_field_order_and_canonicalises_the_address():
    assert parse_one(parser, IPV6_SYN, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="2001:db8::5",
        target_ip="2001:db8::7",
        protocol="tcp",
        source_port=51234,
        target_port=443,
        tcp_flags="S",
    )


def test_pfsense_icmp_echo_request_gives_type_and_code_and_last_december():
    assert parse_one(parser, PFSENSE_ECHO_REQUEST, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2025, 12, 5, 9, 53, 8, tzinfo=UTC),
        source_ip="192.168.3.1",
        target_ip="192.168.3.201",
        protocol="icmp",
        source_port=8,
        target_port=0,
    )


PFSENSE_ICMP_HEAD = (
    "Nov 22 10:00:01 pfSense filterlog: 5,,,1000103483,igb0,match,block,in,4,0x0,,52,1234,0,none,1,icmp,56,"
    "203.0.113.9,198.51.100.7,"
)


@pytest.mark.parametrize(
    ("tail", "type_code"),
    [
        ("reply,4660,164", (0, 0)),
        ("unreachport,198.51.100.20,UDP,5353", (3, 3)),
        ("unreachproto,198.51.100.20,47", (3, 2)),
        ("needfrag,198.51.100.20,1400", (3, 4)),
        ("unreach,host 198.51.100.20 unreachable - admin prohibited filter", (3, None)),
        ("timexceed,time exceeded in-transit", (11, 0)),
        ("timexceed,ip reassembly time exceeded", (11, 1)),
        ("tstamp,4660,1", (13, 0)),
        ("source quench36", (4, 0)),
        ("type-??36", (None, None)),
    ],
)
def test_pfsense_icmp_words_map_to_type_and_code(tail, type_code):
    result = parse_one(parser, PFSENSE_ICMP_HEAD + tail, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", *type_code)


OPN_V4 = "4,0x0,,52,1234,0,none,1,icmp,56,203.0.113.9,198.51.100.7"
OPN_V6 = "6,0x00,0x00000,255,ICMPv6,58,32,2001:db8::9,2001:db8::7"


@pytest.mark.parametrize(
    ("version_part", "tail", "expected"),
    [
        (OPN_V4, "datalength=64,echoreq,0,4660,1,", ("icmp", 8, 0)),
        (OPN_V4, "datalength=36,unreach,port-unr,,,", ("icmp", 3, 3)),
        (OPN_V4, "datalength=36,unknown(42),7,,,", ("icmp", 42, 7)),
        (OPN_V4, "datalength=1,truncated-icmp=1,,,,", ("icmp", None, None)),
        (OPN_V6, "datalength=32,neighbrsol,0,,,", ("icmpv6", 135, 0)),
        (OPN_V6, "datalength=64,echoreq,0,77,3,", ("icmpv6", 128, 0)),
        (OPN_V6, "datalength=48,unreach,admin-unr,,,", ("icmpv6", 1, 1)),
    ],
)
def test_opnsense_icmp_keywords_map_to_type_and_code(version_part, tail, expected):
    line = f"Nov 22 10:00:01 OPNsense filterlog[77]: 12,,,0,vtnet0,match,block,in,{version_part},{tail}"
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == expected


def test_pfsense_icmpv6_has_no_type_in_the_log():
    line = (
        "Nov 22 10:00:01 pfSense filterlog: 5,,,1000000103,igb0,match,block,in,6,0x00,0x00000,255,ICMPv6,58,32,"
        "fe80::1,ff02::1,"
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "icmpv6",
        "fe80::1",
        None,
        None,
    )


def test_ipv6_extension_header_is_reported_as_the_next_header_number():
    # pfSense logs the first next-header only: 0 is hop-by-hop options (here an MLD report).
    line = (
        "Nov 22 10:00:01 pfSense filterlog: 5,,,1000000103,igb0,match,block,in,6,0x00,0x00000,1,Options,0,36,"
        "fe80::1c2b:3cff:fe4d:5e6f,ff02::16,HBH,PADN,RTALERT,0x0000,"
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_ip, result.target_ip, result.source_port) == (
        "0",
        "fe80::1c2b:3cff:fe4d:5e6f",
        "ff02::16",
        None,
    )


def test_carp_block_keeps_the_protocol_number_and_has_no_ports():
    result = parse_one(parser, PFSENSE_CARP, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.target_ip) == (
        "112",
        None,
        None,
        "224.0.0.18",
    )


def test_non_first_ipv4_fragment_has_no_ports():
    line = (
        "Nov 22 10:00:01 pfSense filterlog: 5,,,1000000103,igb0,match,block,in,4,0x0,,57,4242,1480,+,17,udp,1500,"
        "203.0.113.5,198.51.100.7,"
    )
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("udp", None, None)


@pytest.mark.parametrize(
    "prefix",
    [
        "Nov 22 10:00:01 filterlog: ",  # forwarded BSD syslog: pfSense leaves the hostname out
        "Nov 22 10:00:01 fw1 filterlog[4512]: ",
        "<134>Nov 22 10:00:01 fw1 filterlog[4512]: ",
        "2026-11-22T10:00:01+00:00 fw1 filterlog[4512]: ",  # rsyslog's ISO file format
        "<134>1 2026-11-22T10:00:01Z fw1 filterlog 4512 - - ",
    ],
)
def test_syslog_header_variants(prefix):
    csv = "9,,,1000000103,igb0,match,block,in,4,0x0,,241,1,0,none,17,udp,40,203.0.113.5,198.51.100.7,5060,5060,20"
    result = parse_one(parser, prefix + csv, ctx())
    assert (result.time, result.target_port) == (datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), 5060)
    assert parser.matches(prefix + csv)


def test_zone_less_stamp_is_read_in_the_submission_zone():
    result = parse_one(parser, PFSENSE_SYN.replace("Sep 28", "Nov 22"), ctx("America/New_York"))
    assert result.time == datetime(2026, 11, 22, 15, 38, 24, tzinfo=UTC)  # EST is UTC-5


def test_local_time_in_the_spring_forward_gap_is_rejected():
    result = parse_one(parser, PFSENSE_SYN.replace("Sep 28 10:38:24", "Mar  8 02:30:00"), ctx("America/New_York"))
    assert isinstance(result, Rejection)
    assert result.reason == "local time 2026-03-08 02:30:00 does not exist in America/New_York"


def test_year_inference_puts_new_years_eve_in_the_previous_year():
    line = PFSENSE_SYN.replace("Sep 28 10:38:24", "Dec 31 23:59:59")
    assert parse_one(parser, line, ctx(received=datetime(2027, 1, 1, 0, 5, tzinfo=UTC))).time == datetime(
        2026, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        PFSENSE_SYN,
        PFSENSE_SYN.replace("10.0.2.2,", "10.0.2.999,"),
        "Sep 28 10:38:24 pfSense filterlog: 53,,,1000102631,em0,match,block,in,4,0x0,,64",
        PFSENSE_SYN.replace(",in,4,", ",in,5,"),
        PFSENSE_SYN.replace(",0,S,", ",0,SX,"),
        PFSENSE_SYN.replace(",53792,22,", ",53792,70000,"),
        PFSENSE_SYN.replace(",block,", ",frobnicate,"),
        "",
        "Sep 28 10:38:24 pfSense sshd[123]: Accepted publickey for admin",
        OPNSENSE_UDP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [type(r).__name__ for r in results] == ["ParsedEvent"] + ["Rejection"] * 7 + ["ParsedEvent"]
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '10.0.2.999'"),
        (3, "IPv4 filterlog record has 12 fields, at least 20 expected"),
        (4, "unknown IP version '5'"),
        (5, "invalid TCP flags 'SX'"),
        (6, "port 70000 out of range"),
        (7, "unknown filterlog action 'frobnicate'"),
        (9, "not a filterlog line (expected a syslog header followed by 'filterlog:')"),
    ]
    assert results[-1].lineno == 10
    assert results[2].line == lines[2]


def test_matches_recognises_filterlog_and_nothing_else():
    assert all(parser.matches(line) for line in (PFSENSE_SYN, OPNSENSE_UDP, OPNSENSE_IPV6_PASS, IPV6_SYN))
    assert not parser.matches("Sep 28 10:38:24 pfSense sshd[123]: Accepted publickey for admin")
    assert not parser.matches(
        "Nov 22 10:00:01.123456 rule 2/(match) block in on em0: 203.0.113.5.51234 > 198.51.100.7.22: S 1:1(0) win 16384"
    )
    assert not parser.matches("53,,,1000102631,em0,match,block,in,4,0x0,,64,600,0,none,6,tcp,44,10.0.2.2,10.0.2.15")


def test_detect_picks_filterlog_for_a_mixed_pfsense_sample():
    sample = [PFSENSE_SYN, PFSENSE_PUSH_ACK, "", OPNSENSE_PASS, PFSENSE_ECHO_REQUEST, IPV6_SYN, OPNSENSE_UDP]
    assert detect(sample) is parser
