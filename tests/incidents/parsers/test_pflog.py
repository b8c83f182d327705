"""pf logs read with ``tcpdump -n -e``, specified by example.

Lines come from public sources: the OpenBSD pf decoder of OSSEC
(``decoders/plugins/pf_decoder.c``, OpenBSD ``-ttt`` lines and a line
forwarded through syslog), fail2ban-style pf filters' tests (syslog-wrapped
lines without an inner stamp, tcpdump.org ``Flags [S]`` style, IPv6), a Go
pflog reader's comments (IGMP, DNS-decoded UDP) and the brief's own example.
Lines marked "built" follow OpenBSD's and tcpdump.org's print-pflog.c,
print-tcp.c and print-icmp*.c with documentation addresses.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.pflog import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

OPENBSD_SYN = (
    "Mar 30 15:47:05.522341 rule 4/(match) block in on lo0: 127.0.0.1.48784 > 127.0.0.1.23: "
    "S 1381529123:1381529123(0) win 16384 <mss 33184,nop,nop,sackOK,nop,wscale 0,[|tcp]> (DF) [tos 0x10]"
)
BRIEF_SYN = (
    "Nov 22 10:00:01.123456 rule 2/(match) block in on em0: 203.0.113.5.51234 > 198.51.100.7.22: "
    "S 123456:123456(0) win 16384 <mss 1460> (DF)"
)
OLD_STYLE_HEADER = (
    "Nov 22 10:00:02.000001 rule 1/0(match): block in on fxp0: 203.0.113.5.51234 > 198.51.100.7.80: "
    "S 1:1(0) win 16384 (DF)"
)
WRAPPED_NO_INNER_STAMP = (
    "Feb 16 16:43:20 firewall pf: rule 0/(match) block in on ep0: 194.54.59.189.2559 > 194.54.107.19.139: [|tcp] (DF)"
)
WRAPPED_TCPDUMP_ORG_IPV6 = (
    "Jan 05 12:00:00 fw pf: rule 18/0(match): block in on bce0: 2a02:840:beef:1d::2.42214 > 2a02:840:1:200::2.80: "
    "Flags [S]"
)
WRAPPED_TCPDUMP_ORG = (
    "Mar 28 09:00:01 gw pf: rule 22/0(match): block in on vlan2: 10.52.0.39.58012 > 10.55.0.131.8080: "
    "Flags [S], seq 2837144143, win 14600, length 0"
)
OSSEC_WRAPPED_PASS = (
    "Mar 30 15:33:26 enigma pf: Mar 30 15:32:33.483712 rule 2/(match) pass in on xl0: 140.211.166.3.6667 > "
    "192.168.2.10.16290: P 7408:7677(269) ack 1773 win 2520 <nop,nop,timestamp 3960674784 2860123562> (DF)"
)
OSSEC_UDP = "Mar 30 15:54:22.171929 rule 3/(match) block out on xl0: 192.168.2.10.1514 > 192.168.2.190.1030:  udp 73"
IGMP = (
    "Sep 28 03:50:20.124951 rule 11/(match) block in on em1: 10.0.0.11 > 224.0.0.22: igmp-2 [v2] (DF) [tos 0xc0] "
    "[ttl 1]"
)
MDNS = "Sep 28 03:50:16.900084 rule 11/(match) block in on em1: 10.0.0.11.5353 > 224.0.0.251.5353: 0*- [0q] 1/0/0 (96)"
MATCH_RULE = (
    "Apr 29 21:08:24.386474 rule 3/(match) match in on em0: 192.168.103.44.14054 > 81.93.163.115.80: "
    "S 1381487359:1381487359(0) win 16384 (DF)"
)
FREEBSD_TTTT = (
    "2026-11-22 10:00:06.123456 rule 0/0(match): block in on em0: 203.0.113.5.51234 > 198.51.100.7.23: "
    "Flags [S.], seq 1, ack 1, win 65535, length 0"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_openbsd_ttt_syn_block_is_an_event_with_every_field_normalised():
    assert parse_one(parser, OPENBSD_SYN, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 3, 30, 15, 47, 5, tzinfo=UTC),
        source_ip="127.0.0.1",
        target_ip="127.0.0.1",
        protocol="tcp",
        source_port=48784,
        target_port=23,
        tcp_flags="S",
    )


def test_brief_example_and_the_older_rule_header_form():
    first, second = parse_all(parser, [BRIEF_SYN, OLD_STYLE_HEADER], ctx())
    assert (first.source_ip, first.source_port, first.target_port, first.tcp_flags) == ("203.0.113.5", 51234, 22, "S")
    assert (second.lineno, second.time, second.target_port) == (2, datetime(2026, 11, 22, 10, 0, 2, tzinfo=UTC), 80)


BUILT_TCP = "Nov 22 10:00:01.000001 rule 2/(match) block in on em0: 203.0.113.5.40000 > 198.51.100.7.443: "


@pytest.mark.parametrize(
    ("tcp_text", "flags"),
    [
        ("S 1:1(0) ack 2 win 16384", "SA"),  # classic tcpdump shows ACK as "ack N"
        (". ack 1 win 16384", "A"),
        ("R 0:0(0) win 0", "R"),
        ("FP 1:2(1) win 512 urg 1", "FPU"),
        ("SWE 1:1(0) win 16384", "SEC"),  # W is CWR, E is ECE
        (". win 1024", ""),  # no flags at all: a NULL scan
        ("Flags [S.], seq 1, ack 2, win 65535, length 0", "SA"),
        ("Flags [F.], seq 1, ack 2, win 512, length 0", "FA"),
        ("Flags [P.], seq 1:10, ack 2, win 512, length 9", "PA"),
        ("Flags [FPU], seq 1, win 1024, urg 0, length 0", "FPU"),
        ("Flags [SEW], seq 1, win 65535, length 0", "SEC"),
        ("Flags [none], seq 1, win 1024, length 0", ""),
        ("[|tcp] (DF)", ""),
        ("S 1:1(0) [|tcp]", "S"),  # snap length cut the options and window off
        ("S. 1:1(0) win 16384", "SA"),
    ],
)
def test_tcp_flags_in_both_tcpdump_styles(tcp_text, flags):
    result = parse_one(parser, BUILT_TCP + tcp_text, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.tcp_flags) == ("tcp", 40000, 443, flags)


def test_tcpdump_org_tttt_date_is_read_in_the_submission_zone():
    result = parse_one(parser, FREEBSD_TTTT, ctx("America/New_York"))
    assert result == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 15, 0, 6, tzinfo=UTC),
        source_ip="203.0.113.5",
        target_ip="198.51.100.7",
        protocol="tcp",
        source_port=51234,
        target_port=23,
        tcp_flags="SA",
    )


def test_openbsd_ttt_stamp_is_read_in_the_submission_zone():
    assert parse_one(parser, BRIEF_SYN, ctx("Europe/Berlin")).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_tt_unix_seconds_are_utc_whatever_the_submission_zone():
    line = "1795341601.123456 rule 0/0(match): block in on em0: 203.0.113.9.5060 > 198.51.100.7.5060: UDP, length 420"
    result = parse_one(parser, line, ctx("Asia/Tokyo"))
    assert (result.time, result.protocol, result.target_port) == (
        datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        "udp",
        5060,
    )


def test_syslog_wrapped_line_prefers_the_tcpdump_stamp():
    line = OSSEC_WRAPPED_PASS.replace(" pass in ", " block in ")
    result = parse_one(parser, line, ctx())
    assert result.time == datetime(2026, 3, 30, 15, 32, 33, tzinfo=UTC)
    assert (result.source_port, result.target_port, result.tcp_flags) == (6667, 16290, "PA")


def test_syslog_wrapped_line_without_tcpdump_stamp_uses_the_syslog_stamp():
    result = parse_one(parser, WRAPPED_NO_INNER_STAMP, ctx())
    assert result == ParsedEvent(
        lineno=1,
        time=datetime(2026, 2, 16, 16, 43, 20, tzinfo=UTC),
        source_ip="194.54.59.189",
        target_ip="194.54.107.19",
        protocol="tcp",
        source_port=2559,
        target_port=139,
    )


def test_syslog_wrapper_without_hostname():
    line = "Nov 22 10:00:12 pf: " + BRIEF_SYN.replace("Nov 22 10:00:01.123456 ", "")
    result = parse_one(parser, line, ctx())
    assert (result.time, result.target_port) == (datetime(2026, 11, 22, 10, 0, 12, tzinfo=UTC), 22)


def test_syslog_wrapped_tcpdump_org_lines():
    ipv4, ipv6 = parse_all(parser, [WRAPPED_TCPDUMP_ORG, WRAPPED_TCPDUMP_ORG_IPV6], ctx())
    assert (ipv4.source_ip, ipv4.target_port, ipv4.tcp_flags) == ("10.52.0.39", 8080, "S")
    assert ipv6 == ParsedEvent(
        lineno=2,
        time=datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
        source_ip="2a02:840:beef:1d::2",
        target_ip="2a02:840:1:200::2",
        protocol="tcp",
        source_port=42214,
        target_port=80,
        tcp_flags="S",
    )


def test_openbsd_ipv6_tcp():
    line = (
        "Nov 22 10:00:05.000001 rule 5/(match) block in on em0: 2001:db8:0::5.40000 > 2001:db8::7.443: "
        "S 1:1(0) win 65535 <mss 1440>"
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.source_port, result.target_port) == (
        "2001:db8::5",
        "2001:db8::7",
        40000,
        443,
    )


BUILT_UDP = "Nov 22 10:00:03.000001 rule 3/(match) block in on em0: 203.0.113.9.5353 > 198.51.100.7.161: udp 32"


@pytest.mark.parametrize(
    ("line", "ports"),
    [
        (OSSEC_UDP, (1514, 1030)),
        (MDNS, (5353, 5353)),  # tcpdump decoded DNS and did not say "udp"
        (
            "Nov 22 10:00:03.000001 rule 3/(match) block in on em0: 203.0.113.9.5353 > 198.51.100.7.161: udp 32",
            (5353, 161),
        ),
    ],
)
def test_udp_blocks(line, ports):
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.tcp_flags) == ("udp", *ports, "")


BUILT_ICMP = "Nov 22 10:00:04.000001 rule 4/(match) block in on em0: 203.0.113.9 > 198.51.100.7: "


@pytest.mark.parametrize(
    ("text", "type_code"),
    [
        ("icmp: echo request (DF)", (8, 0)),
        ("icmp: echo reply", (0, 0)),
        ("icmp: 198.51.100.7 udp port 53 unreachable", (3, 3)),
        ("icmp: 198.51.100.7 protocol 47 unreachable", (3, 2)),
        ("icmp: host 198.51.100.7 unreachable - admin prohibited filter", (3, 13)),
        ("icmp: net 198.51.100.0 unreachable", (3, 0)),
        ("icmp: host 198.51.100.7 unreachable", (3, 1)),
        ("icmp: 198.51.100.7 unreachable - need to frag (mtu 1400)", (3, 4)),
        ("icmp: time exceeded in-transit", (11, 0)),
        ("icmp: redirect 198.51.100.7 to host 198.51.100.1", (5, 1)),
        ("icmp: redirect-tos 198.51.100.0 to net 198.51.100.1", (5, 2)),
        ("icmp: type-#42", (None, None)),
        ("ICMP echo request, id 4660, seq 1, length 64", (8, 0)),
        ("ICMP 198.51.100.7 udp port 53 unreachable, length 36", (3, 3)),
        ("[|icmp]", (None, None)),
    ],
)
def test_icmp_type_and_code_from_tcpdump_wording(text, type_code):
    result = parse_one(parser, BUILT_ICMP + text, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", *type_code)


BUILT_ICMP6 = "Nov 22 10:00:09.000001 rule 4/(match) block in on em0: 2001:db8::9 > 2001:db8::7: "


@pytest.mark.parametrize(
    ("text", "type_code"),
    [
        ("icmp6: echo request", (128, 0)),
        ("icmp6: neighbor sol: who has 2001:db8::7", (135, 0)),
        ("icmp6: 2001:db8::7 unreachable route", (1, 0)),
        ("ICMP6, echo request, id 1, seq 1, length 64", (128, 0)),
        ("ICMP6, destination unreachable, unreachable port, 2001:db8::7 udp port 53, length 64", (1, 4)),
        ("ICMP6, multicast listener report v2, 1 group record(s), length 28", (143, 0)),
    ],
)
def test_icmpv6_type_and_code(text, type_code):
    result = parse_one(parser, BUILT_ICMP6 + text, ctx())
    assert (result.protocol, result.source_ip, result.source_port, result.target_port) == (
        "icmpv6",
        "2001:db8::9",
        *type_code,
    )


def test_portless_protocols_are_named_from_tcpdump_output():
    esp = "Nov 22 10:00:01.000001 rule 4/(match) block in on em0: 203.0.113.9 > 198.51.100.7: esp spi 0x1 seq 1 len 88"
    raw = "Nov 22 10:00:01.000001 rule 4/(match) block in on em0: 203.0.113.9 > 198.51.100.7: ip-proto-253 20"
    igmp, esp_event, raw_event = parse_all(parser, [IGMP, esp, raw], ctx())
    assert (igmp.protocol, igmp.source_port, igmp.target_port) == ("2", None, None)
    assert (esp_event.protocol, raw_event.protocol) == ("esp", "253")


@pytest.mark.parametrize(
    "header",
    [
        "rule 2.sshguard.1/(match) block in on em0:",  # anchor rule
        "rule def/(match) block in on em0:",  # default rule
        "rule 1/(match) [uid 0, pid 4242] block in on em0:",  # OpenBSD -v
        "rule 1/0(match): block in on em0: (tos 0x0, ttl 64, id 54321, offset 0, flags [DF], proto TCP (6), length 60)",
    ],
)
def test_header_variants(header):
    line = f"Nov 22 10:00:01.000001 {header} 203.0.113.5.51234 > 198.51.100.7.22: S 1:1(0) win 16384"
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_port, result.tcp_flags) == ("203.0.113.5", 22, "S")
    assert parser.matches(line)


def test_pass_is_allowed_traffic_and_match_rules_are_not_blocks():
    assert parse_all(parser, [OSSEC_WRAPPED_PASS, MATCH_RULE, FREEBSD_TTTT.replace("block in", "pass out")], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "not a traffic record: 'match' entry, not a verdict"),
        Skipped(3, "allowed traffic"),
    ]


def test_year_inference_puts_new_years_eve_in_the_previous_year():
    line = BRIEF_SYN.replace("Nov 22 10:00:01.123456", "Dec 31 23:59:59.999999")
    assert parse_one(parser, line, ctx(received=datetime(2027, 1, 1, 0, 5, tzinfo=UTC))).time == datetime(
        2026, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def test_stamps_without_a_date_are_rejected_unless_syslog_gives_one():
    delta = "0.000123 rule 2/(match) block in on em0: 203.0.113.5.53 > 198.51.100.7.1024: udp 10"
    clock = "10:00:10.000001 rule 2/(match) block in on em0: 203.0.113.5.53 > 198.51.100.7.1024: udp 10"
    wrapped_delta = "Nov 22 10:00:12 fw pf: " + delta
    results = parse_all(parser, [delta, clock, wrapped_delta], ctx())
    assert [(r.lineno, r.reason) for r in results[:2]] == [
        (1, "time stamp is a time difference (OpenBSD tcpdump -tttt); read the log with -ttt"),
        (2, "time stamp has no date; read the log with tcpdump -ttt (OpenBSD) or -tttt (others)"),
    ]
    assert results[2].time == datetime(2026, 11, 22, 10, 0, 12, tzinfo=UTC)


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        BRIEF_SYN,
        BRIEF_SYN.replace("203.0.113.5.51234", "203.0.113.500.51234"),
        BRIEF_SYN.replace("198.51.100.7.22", "198.51.100.7.ssh"),
        BRIEF_SYN.replace("block in", "explode in"),
        "Nov 22 10:00:01.123456 rule 2/(match) block in on em0: [|ip]",
        "Nov 22 10:00:01.123456 rule 2/(match) block in on em0: 203.0.113.9 > 198.51.100.7: wibble 7",
        BRIEF_SYN.replace(".51234 >", ".99999 >"),
        "tcpdump: WARNING: snaplen raised from 116 to 160",
        OPENBSD_SYN,
    ]
    results = parse_all(parser, lines, ctx())
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '203.0.113.500'"),
        (3, "port 'ssh' is a service name; read the log with tcpdump -n"),
        (4, "unknown pf action 'explode'"),
        (5, "no 'source > destination:' part after the pf header"),
        (6, "unrecognised protocol in 'wibble 7'"),
        (7, "port 99999 out of range"),
        (8, "not a pf log line (expected 'rule N/(reason) action in|out on interface:')"),
    ]
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1, 9]


def test_matches_recognises_pflog_and_not_filterlog_or_plain_syslog():
    assert all(parser.matches(line) for line in (OPENBSD_SYN, WRAPPED_NO_INNER_STAMP, FREEBSD_TTTT, IGMP))
    assert not parser.matches(
        "Sep 28 10:38:24 pfSense filterlog: 53,,,1000102631,em0,match,block,in,4,0x0,,64,600,0,none,6,tcp,44,"
        "10.0.2.2,10.0.2.15,53792,22,0,S,31552001,,65535,,mss"
    )
    assert not parser.matches("Nov 22 10:00:01 gw sshd[42]: error: maximum authentication attempts exceeded (rule 5)")


def test_detect_picks_pflog_for_an_openbsd_sample():
    sample = [BRIEF_SYN, OPENBSD_SYN, OSSEC_UDP, IGMP, MDNS, OSSEC_WRAPPED_PASS, "", BUILT_ICMP + "icmp: echo request"]
    assert detect(sample) is parser
