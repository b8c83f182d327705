"""Juniper SRX RT_FLOW session logs, specified by example.

Structured-data lines come from the Elastic Beats ``juniper/srx`` module's
``test/flow.log`` and from Wazuh's Junos decoder tests (a relay's BSD header
in front of the device's RFC 5424 header). Plain lines come from the
logstash-patterns-core ``RT_FLOW3`` spec, public SRX parser tests and a
Juniper forum sample (ICMP, no hostname). Lines marked "built" follow the same
shapes with documentation addresses.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.juniper_srx import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

SD_DENY_UDP = (
    "<14>1 2019-11-14T11:12:46.573+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.134 "
    'source-address="10.0.0.26" source-port="37233" destination-address="10.128.0.1" destination-port="161" '
    'connection-tag="0" service-name="None" protocol-id="17" icmp-type="0" policy-name="MgmtAccess-trust-cleanup" '
    'source-zone-name="trust" destination-zone-name="junos-host" application="UNKNOWN" nested-application="UNKNOWN" '
    'username="N/A" roles="N/A" packet-incoming-interface=".local..0" encrypted="No" reason="Denied by policy" '
    'session-id-32="7087" application-category="N/A" application-sub-category="N/A" application-risk="1" '
    'application-characteristics="N/A"]'
)
SD_DENY_TCP = (
    "<14>1 2014-05-01T08:26:51.179Z fw01 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.39 "
    'source-address="1.2.3.4" source-port="56639" destination-address="5.6.7.8" destination-port="2003" '
    'service-name="None" protocol-id="6" icmp-type="0" policy-name="log-all-else" source-zone-name="campus" '
    'destination-zone-name="mngmt" application="UNKNOWN" nested-application="UNKNOWN" username="N/A" roles="N/A" '
    'packet-incoming-interface="reth6.0" encrypted="No "]'
)
RELAYED_SD_DENY = (
    "Sep 23 13:54:55 192.168.1.1 junos-flow: 2017-09-23T13:54:54.803Z sis-srx-mic-01 RT_FLOW - RT_FLOW_SESSION_DENY "
    '[junos@2636.1.1.1.2.39 source-address="192.168.1.1" source-port="1080" destination-address="192.168.1.2" '
    'destination-port="8010" service-name="junos-dns-udp" protocol-id="17" icmp-type="0" '
    'policy-name="Local-Default-Deny" source-zone-name="trust" destination-zone-name="untrust" application="UNKNOWN" '
    'nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface="intf2.302" '
    'encrypted="UNKNOWN" reason="policy deny"]'
)
SD_DENY_LS = (
    "<14>1 2020-11-14T11:12:46.573+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_DENY_LS [junos@2636.1.1.1.2.134 "
    'source-address="10.0.0.26" source-port="37233" destination-address="10.128.0.1" destination-port="161" '
    'connection-tag="0" service-name="None" protocol-id="17" icmp-type="0" policy-name="MgmtAccess-trust-cleanup" '
    'source-zone-name="trust" destination-zone-name="junos-host" reason="Denied by policy" session-id-32="7087"]'
)
SD_CREATE = (
    "<14>1 2019-11-14T09:37:51.184+01:00 SRX-GW1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.134 "
    'source-address="10.0.0.1" source-port="594" destination-address="10.128.0.1" destination-port="10400" '
    'connection-tag="0" service-name="icmp" nat-source-address="10.0.0.1" nat-source-port="594" '
    'nat-destination-address="10.128.0.1" nat-destination-port="10400" protocol-id="1" '
    'policy-name="vpn_trust_permit-all" source-zone-name="vpn" destination-zone-name="trust" session-id-32="6093"]'
)
SD_CLOSE_FIN = (
    '<14>1 2019-04-12T14:29:06.576Z cixi RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.129 reason="TCP FIN" '
    'source-address="10.3.255.203" source-port="47776" destination-address="8.23.224.110" destination-port="80" '
    'connection-tag="0" service-name="junos-http" protocol-id="6" policy-name="permit_all" source-zone-name="trust" '
    'destination-zone-name="untrust" session-id-32="5" packets-from-client="6" bytes-from-client="337" '
    'packets-from-server="4" bytes-from-server="535" elapsed-time="1"]'
)
APPTRACK = (
    "<14>1 2013-01-19T15:18:17.040 SRX100HM RT_FLOW - APPTRACK_SESSION_CREATE [junos@2636.1.1.1.2.41 "
    'source-address="192.168.224.30" source-port="3129" destination-address="207.17.137.56" destination-port="21" '
    'service-name="junos-ftp" application="UNKNOWN" protocol-id="6" policy-name="General-Outbound"]'
)
PLAIN_DENY_UDP = (
    "Sep 29 23:49:20 SRX-1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.0.0.1/54924->192.168.1.1/53 "
    "junos-dns-udp 17(0) default-deny(global) trust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy deny"
)
PLAIN_DENY_ICMP = (
    "Nov  3 19:06:50  SRX220RGA RT_FLOW: RT_FLOW_SESSION_DENY: session denied 88.198.106.22/0->67.52.223.15/0 "
    "ICMP 1(3) unknown untrust unknown ICMP ICMP unknown(unknown) ge-0/0/7.0"
)
PLAIN_DENY_NO_HOST = (
    "Dec 16 05:02:28  RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.0.0.32/9370->63.251.254.131/370 None 17(0) "
    "default-permit trust untrust"
)
# Built around a public parser test's message body: newer Junos adds a connection tag.
PLAIN_DENY_TAGGED = (
    "Nov 22 10:00:02 srx-edge RT_FLOW: RT_FLOW_SESSION_DENY: session denied 203.0.113.5/8->198.51.100.9/0 0x0 icmp "
    "1(8) deny-all untrust servers UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0 No policy deny 0"
)
PLAIN_RFC5424 = (
    "<14>1 2016-05-25T14:47:23Z host.name.com RT_FLOW - RT_FLOW_SESSION_DENY: session denied "
    "2.2.2.20/60000->1.1.1.10/8090 None 6(0) DEFAULT-DENY ZONE-UNTRUST ZONE-DMZ UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0"
)


ctx = partial(make_ctx, received=RECEIVED)


def test_structured_deny_is_an_event_in_utc():
    assert parse_one(parser, SD_DENY_UDP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2019, 11, 14, 10, 12, 46, 573000, tzinfo=UTC),
        source_ip="10.0.0.26",
        target_ip="10.128.0.1",
        protocol="udp",
        source_port=37233,
        target_port=161,
    )


def test_structured_tcp_deny_with_z_stamp():
    assert parse_one(parser, SD_DENY_TCP, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2014, 5, 1, 8, 26, 51, 179000, tzinfo=UTC),
        source_ip="1.2.3.4",
        target_ip="5.6.7.8",
        protocol="tcp",
        source_port=56639,
        target_port=2003,
    )


def test_relay_header_is_ignored_in_favour_of_the_device_stamp():
    result = parse_one(parser, RELAYED_SD_DENY, ctx())
    assert result.time == datetime(2017, 9, 23, 13, 54, 54, 803000, tzinfo=UTC)
    assert (result.source_ip, result.target_port, result.protocol) == ("192.168.1.1", 8010, "udp")


def test_logical_system_deny_is_an_event():
    result = parse_one(parser, SD_DENY_LS, ctx())
    assert (result.time, result.source_ip, result.target_port) == (
        datetime(2020, 11, 14, 10, 12, 46, 573000, tzinfo=UTC),
        "10.0.0.26",
        161,
    )


def test_structured_icmp_deny_puts_the_icmp_type_in_the_source_port():
    line = SD_DENY_TCP.replace('protocol-id="6" icmp-type="0"', 'protocol-id="1" icmp-type="8"')
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, None)


def test_structured_ipv6_deny():
    line = (
        "<14>1 2026-11-22T10:00:01.000-05:00 srx-edge RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.129 "
        'source-address="2001:db8:0:0::5" source-port="51234" destination-address="2001:db8::7" destination-port="22" '
        'connection-tag="0" service-name="junos-ssh" protocol-id="6" icmp-type="0" policy-name="default-deny" '
        'source-zone-name="untrust" destination-zone-name="trust" reason="policy deny"]'
    )
    assert parse_one(parser, line, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 15, 0, 1, tzinfo=UTC),
        source_ip="2001:db8::5",
        target_ip="2001:db8::7",
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


def test_iso_stamp_without_offset_is_read_in_the_submission_zone():
    line = SD_DENY_TCP.replace("2014-05-01T08:26:51.179Z", "2026-07-01T08:26:51")
    assert parse_one(parser, line, ctx("America/New_York")).time == datetime(2026, 7, 1, 12, 26, 51, tzinfo=UTC)


def test_allowed_sessions_are_skipped():
    assert parse_all(parser, [SD_CREATE, SD_CLOSE_FIN, APPTRACK], ctx()) == [
        Skipped(1, "allowed traffic"),
        Skipped(2, "allowed traffic"),
        Skipped(3, "allowed traffic"),
    ]


def test_close_with_a_deny_reason_is_an_event():
    line = SD_CLOSE_FIN.replace('reason="TCP FIN"', 'reason="policy deny"')
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.protocol, result.source_port, result.target_port) == (
        "10.3.255.203",
        "8.23.224.110",
        "tcp",
        47776,
        80,
    )


def test_plain_deny_is_an_event_in_the_submission_zone():
    assert parse_one(parser, PLAIN_DENY_UDP, ctx("America/New_York")) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 9, 30, 3, 49, 20, tzinfo=UTC),  # EDT is UTC-4
        source_ip="10.0.0.1",
        target_ip="192.168.1.1",
        protocol="udp",
        source_port=54924,
        target_port=53,
    )


def test_plain_icmp_deny_takes_the_type_from_the_parentheses():
    icmp, tagged = parse_all(parser, [PLAIN_DENY_ICMP, PLAIN_DENY_TAGGED], ctx())
    assert (icmp.protocol, icmp.source_port, icmp.target_port) == ("icmp", 3, None)
    assert icmp.time == datetime(2026, 11, 3, 19, 6, 50, tzinfo=UTC)
    assert (tagged.protocol, tagged.source_ip, tagged.source_port) == ("icmp", "203.0.113.5", 8)


def test_plain_deny_without_hostname_in_december_belongs_to_last_year():
    result = parse_one(parser, PLAIN_DENY_NO_HOST, ctx())
    assert (result.time, result.protocol, result.target_port) == (
        datetime(2025, 12, 16, 5, 2, 28, tzinfo=UTC),
        "udp",
        370,
    )


def test_plain_text_under_an_rfc5424_header():
    result = parse_one(parser, PLAIN_RFC5424, ctx("Asia/Tokyo"))
    assert (result.time, result.source_ip, result.target_port, result.protocol) == (
        datetime(2016, 5, 25, 14, 47, 23, tzinfo=UTC),
        "2.2.2.20",
        8090,
        "tcp",
    )


def test_plain_ipv6_deny():
    line = (
        "Nov 22 10:00:01 srx-edge RT_FLOW: RT_FLOW_SESSION_DENY: session denied 2001:db8::5/51234->2001:db8::7/22 "
        "junos-ssh 6(0) default-deny untrust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No policy deny"
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip, result.source_port, result.target_port) == (
        "2001:db8::5",
        "2001:db8::7",
        51234,
        22,
    )


def test_plain_stamp_with_year_uses_that_year():
    line = PLAIN_DENY_UDP.replace("Sep 29 23:49:20", "Sep 29 2024 23:49:20.250")
    assert parse_one(parser, line, ctx()).time == datetime(2024, 9, 29, 23, 49, 20, tzinfo=UTC)


PLAIN_CLOSE = (
    "Nov 22 10:00:03 srx-edge RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed {reason}: "
    "203.0.113.5/51234->198.51.100.7/443 junos-https 203.0.113.5/51234->198.51.100.7/443 1 2 6 allow-web untrust "
    "dmz 4021 1(60) 0(0) 1 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No"
)


def test_plain_close_depends_on_the_reason():
    denied, normal = parse_all(
        parser, [PLAIN_CLOSE.format(reason="policy deny"), PLAIN_CLOSE.format(reason="TCP FIN")], ctx()
    )
    # NAT rule names "1" and "2" are digits too; the protocol is the 6 before the policy.
    assert (denied.protocol, denied.source_port, denied.target_port) == ("tcp", 51234, 443)
    assert normal == Skipped(2, "allowed traffic")


def test_plain_create_is_allowed_traffic():
    line = (
        "Dec  6 13:10:49  SRX220RGA RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.183.1.1/16138->"
        "10.194.201.112/9100 None 10.183.1.1/16138->10.194.201.112/9100 None None 6 trust-to-print trust print 5510"
    )
    assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic")


def test_other_junos_messages_are_skipped_and_garbage_is_rejected():
    results = parse_all(
        parser,
        [
            "Nov 22 10:00:01 srx-edge sshd[4242]: Accepted password for admin from 198.51.100.20 port 50022 ssh2",
            "<14>1 2026-11-22T10:00:01Z srx-edge RT_FLOW - RT_FLOW_SESSION_SOMETHING_NEW [junos@2636.1.1.1.2.129]",
            "this is not a syslog line",
        ],
        ctx(),
    )
    assert results == [
        Skipped(1, "not an RT_FLOW session message"),
        Skipped(2, "RT_FLOW_SESSION_SOMETHING_NEW is not a session deny"),
        Rejection(3, "not a Juniper syslog line", "this is not a syslog line"),
    ]


def test_bad_lines_are_rejected_with_reason_and_line_number_and_good_lines_kept():
    lines = [
        SD_DENY_TCP,
        SD_DENY_TCP.replace('source-address="1.2.3.4"', 'source-address="1.2.3"'),
        SD_DENY_TCP.replace('protocol-id="6" ', ""),
        SD_DENY_TCP.replace('destination-port="2003"', 'destination-port="65536"'),
        "Nov 22 10:00:01 srx RT_FLOW: RT_FLOW_SESSION_DENY: session denied somewhere",
        "RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.0.0.1/1->10.0.0.2/2 junos-dns-udp 17(0) p a b",
        SD_DENY_TCP.replace("2014-05-01T08:26:51.179Z", "2014-13-01T08:26:51.179Z"),
        PLAIN_DENY_UDP,
    ]
    results = parse_all(parser, lines, ctx())
    assert [(r.lineno, r.reason) for r in results if isinstance(r, Rejection)] == [
        (2, "invalid IPv4 address '1.2.3'"),
        (3, "RT_FLOW_SESSION_DENY without protocol-id"),
        (4, "port 65536 out of range"),
        (5, "unreadable 'session denied' message"),
        (6, "no time stamp before the RT_FLOW message"),
        (7, "unreadable time stamp '2014-13-01T08:26:51.179Z'"),
    ]
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1, 8]


def test_matches_only_rt_flow_session_lines():
    assert all(parser.matches(line) for line in (SD_DENY_UDP, SD_CREATE, PLAIN_DENY_UDP, APPTRACK, RELAYED_SD_DENY))
    assert not parser.matches("Nov 22 10:00:01 srx-edge sshd[4242]: Accepted password for admin")
    assert not parser.matches(
        '<14>1 2026-11-22T10:00:01Z srx RT_IDS - RT_SCREEN_TCP [junos@2636.1.1.1.2.129 attack-name="TCP port scan!"]'
    )


@pytest.mark.parametrize("sample", [[SD_DENY_UDP, SD_CREATE, SD_CLOSE_FIN], [PLAIN_DENY_UDP, PLAIN_DENY_ICMP, ""]])
def test_detect_picks_juniper_srx(sample):
    assert detect(sample) is parser
