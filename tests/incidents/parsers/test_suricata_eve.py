"""Suricata eve.json, specified by example.

Records follow the Suricata user guide ("Eve JSON Format": the alert example
with ``2017-04-07T22:24:37.251547+0100``, the zone-less common-section stamp
``2009-11-24T21:27:09.534255``), ``output-json-drop.c`` for drop records and
the Elastic ``suricata`` integration's pipeline fixtures (``test-eve-small.log``,
``test-eve-6-0.log``) for alert, flow, dns, http, tls, ssh, fileinfo and stats
records, shortened where their extra objects do not matter.
"""

from datetime import UTC, datetime
from functools import partial

import orjson
import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.snort_fast import parser as fast_parser
from incidents.parsers.suricata_eve import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, tzinfo=UTC)
SECOND_RECORD = "not a traffic record: second record of a dropped packet (counted once)"

DOCS_ALERT = (
    '{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"pcap_cnt":53381,'
    '"event_type":"alert","src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":80,'
    '"proto":"TCP","metadata":{"flowbits":["http.dottedquadhost"]},"tx_id":4,"alert":{"action":"allowed",'
    '"gid":1,"signature_id":2018358,"rev":10,"signature":"ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad '
    'with Fake Browser 1","category":"Potentially Bad Traffic","severity":2},"app_proto":"http"}'
)
ELASTIC_ALERT = (
    '{"timestamp":"2021-01-27T01:28:11.488362+0100","flow_id":1805461738637437,"in_iface":"enp6s0",'
    '"event_type":"alert","src_ip":"175.16.199.1","src_port":80,"dest_ip":"10.31.64.240","dest_port":47592,'
    '"proto":"TCP","ether":{"src_mac":"00:03:2d:3f:e5:63","dest_mac":"00:1b:17:00:01:18"},"alert":{'
    '"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check '
    'returned root","category":"Potentially Bad Traffic","severity":2},"app_proto":"http","flow":{'
    '"pkts_toserver":6,"pkts_toclient":5,"bytes_toserver":496,"bytes_toclient":876,'
    '"start":"2021-01-22T23:28:38.673917+0100"}}'
)
NOT_ALERTS = [
    '{"timestamp":"2018-07-05T15:01:09.820360-0400","flow_id":298824096901438,"in_iface":"en0","event_type":"ssh",'
    '"src_ip":"192.168.86.85","src_port":55406,"dest_ip":"192.168.253.112","dest_port":22,"proto":"TCP","ssh":{'
    '"client":{"proto_version":"2.0","software_version":"OpenSSH_7.6"}}}',
    '{"timestamp":"2018-07-05T15:43:47.690014-0400","flow_id":2115002772430095,"in_iface":"en0","event_type":"http",'
    '"src_ip":"192.168.86.85","src_port":56119,"dest_ip":"192.168.86.28","dest_port":63963,"proto":"TCP",'
    '"tx_id":0,"http":{"hostname":"192.168.86.28","url":"/dd.xml","http_method":"GET","status":200}}',
    '{"timestamp":"2018-07-05T15:51:20.213418-0400","flow_id":1684780223079543,"in_iface":"en0","event_type":"dns",'
    '"src_ip":"192.168.86.1","src_port":53,"dest_ip":"192.168.86.85","dest_port":39464,"proto":"UDP","dns":{'
    '"type":"answer","id":12308,"rcode":"NOERROR","rrname":"clients.l.google.com","rrtype":"A"}}',
    '{"timestamp":"2018-07-05T15:51:23.009510-0400","event_type":"stats","stats":{"uptime":5400,'
    '"capture":{"kernel_packets":430313,"kernel_drops":0},"detect":{"alert":2}}}',
    '{"timestamp":"2024-07-30T16:53:24.501575+0000","flow_id":1548007570151262,"in_iface":"ens4",'
    '"event_type":"flow","src_ip":"10.1.22.212","src_port":56984,"dest_ip":"10.1.46.5","dest_port":5005,'
    '"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":74,"state":"closed","reason":"timeout",'
    '"alerted":false},"tcp":{"tcp_flags":"1f","syn":true,"fin":true,"rst":true,"psh":true,"ack":true}}',
    '{"timestamp":"2018-07-05T15:51:50.666597-0400","flow_id":89751777876473,"in_iface":"en0","event_type":"tls",'
    '"src_ip":"192.168.86.85","src_port":56187,"dest_ip":"89.160.20.112","dest_port":443,"proto":"TCP",'
    '"tls":{"sni":"p33-btmmdns.icloud.com.","version":"TLS 1.2"}}',
    '{"timestamp":"2018-07-05T15:44:33.222441-0400","flow_id":2211411903323127,"in_iface":"en0",'
    '"event_type":"fileinfo","src_ip":"192.168.86.28","src_port":8008,"dest_ip":"192.168.86.85",'
    '"dest_port":56118,"proto":"TCP","fileinfo":{"filename":"/ssdp/device-desc.xml","size":1071}}',
    '{"timestamp":"2026-11-22T10:00:01.000001+0100","flow_id":1,"event_type":"anomaly","src_ip":"203.0.113.5",'
    '"src_port":1,"dest_ip":"198.51.100.7","dest_port":2,"proto":"TCP","anomaly":{"type":"stream",'
    '"event":"stream.pkt_invalid_timestamp"}}',
]


ctx = partial(make_ctx, received=RECEIVED)


def record(**fields) -> str:
    base = {
        "timestamp": "2026-11-22T10:00:01.123456+0100",
        "flow_id": 1122334455,
        "in_iface": "eth0",
        "event_type": "alert",
        "src_ip": "203.0.113.5",
        "src_port": 51234,
        "dest_ip": "198.51.100.7",
        "dest_port": 22,
        "proto": "TCP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2001219, "rev": 20, "severity": 2},
    }
    base.update(fields)
    return orjson.dumps({k: v for k, v in base.items() if v is not None}).decode()


def test_documented_alert_with_offset_without_colon():
    assert parse_one(parser, DOCS_ALERT, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2017, 4, 7, 21, 24, 37, tzinfo=UTC),
        source_ip="192.168.2.14",
        target_ip="209.53.113.5",
        protocol="tcp",
        source_port=50096,
        target_port=80,
    )


def test_offset_wins_over_the_submission_zone():
    result = parse_one(parser, ELASTIC_ALERT, ctx("Australia/Sydney"))
    assert result.time == datetime(2021, 1, 27, 0, 28, 11, tzinfo=UTC)
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "175.16.199.1",
        80,
        "10.31.64.240",
        47592,
    )


def test_timestamp_without_offset_is_read_in_the_submission_zone():
    line = record(timestamp="2009-11-24T21:27:09.534255")
    # Sydney is on daylight time (UTC+11) in November.
    assert parse_one(parser, line, ctx("Australia/Sydney")).time == datetime(2009, 11, 24, 10, 27, 9, tzinfo=UTC)
    assert parse_one(parser, record(timestamp="2026-11-22T10:00:01.5+00:00"), ctx()).time == datetime(
        2026, 11, 22, 10, 0, 1, tzinfo=UTC
    )


@pytest.mark.parametrize("action", ["allowed", "blocked"])
def test_alert_is_an_event_whatever_its_action(action):
    result = parse_one(parser, record(alert={"action": action, "signature_id": 2001219}), ctx())
    assert isinstance(result, ParsedEvent)
    assert (result.source_ip, result.target_port) == ("203.0.113.5", 22)


@pytest.mark.parametrize("line", NOT_ALERTS, ids=lambda line: orjson.loads(line)["event_type"])
def test_other_event_types_are_skipped(line):
    assert parse_one(parser, line, ctx()) == Skipped(1, "not a traffic record: not an alert")


def test_drop_record_is_an_event_with_the_packet_flags():
    line = record(
        event_type="drop",
        alert=None,
        drop={"len": 60, "tos": 0, "ttl": 51, "ipid": 4242, "tcpseq": 1, "tcpack": 0, "tcpwin": 1024,
              "syn": True, "ack": False, "psh": False, "rst": False, "urg": False, "fin": False},
    )  # fmt: skip
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port, result.tcp_flags) == ("tcp", 51234, 22, "S")
    assert result.time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


def test_tcp_flags_from_the_tcp_object():
    assert parse_one(parser, record(tcp={"tcp_flags": "1b", "syn": True}), ctx()).tcp_flags == "FSPA"
    assert parse_one(parser, record(tcp={"syn": True, "ack": True, "ecn": True}), ctx()).tcp_flags == "SAE"
    assert parse_one(parser, record(), ctx()).tcp_flags == ""
    assert parse_one(parser, record(proto="UDP", dest_port=53, tcp={"tcp_flags": "02"}), ctx()).tcp_flags == ""


def test_icmp_type_and_code_take_the_port_places():
    line = record(proto="ICMP", src_port=None, dest_port=None, icmp_type=8, icmp_code=0)
    result = parse_one(parser, line, ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("icmp", 8, 0)


def test_ipv6_icmp_and_uncompressed_addresses():
    line = record(
        proto="IPv6-ICMP",
        src_ip="fe80:0000:0000:0000:fada:0cff:fedc:87f1",
        dest_ip="2001:0db8:0000:0000:0000:0000:0000:0002",
        src_port=None,
        dest_port=None,
        icmp_type=128,
        icmp_code=0,
    )
    result = parse_one(parser, line, ctx())
    assert (result.source_ip, result.target_ip) == ("fe80::fada:cff:fedc:87f1", "2001:db8::2")
    assert (result.protocol, result.source_port, result.target_port) == ("icmpv6", 128, 0)


def test_numeric_protocol_and_portless_protocols():
    result = parse_one(parser, record(proto="047", src_port=None, dest_port=None), ctx())
    assert (result.protocol, result.source_port, result.target_port) == ("gre", None, None)
    assert parse_one(parser, record(proto="PROTO:050"), ctx()).protocol == "esp"
    assert parse_one(parser, record(proto="ESP"), ctx()).source_port is None


def test_alert_without_addresses_is_skipped():
    assert parse_one(
        parser, record(src_ip=None, dest_ip=None, src_port=None, dest_port=None, proto=None), ctx()
    ) == Skipped(1, "not a traffic record: alert without IP addresses")


def test_bad_lines_are_rejected_with_reason_and_good_lines_around_them_kept():
    lines = [
        DOCS_ALERT,
        DOCS_ALERT[:120],
        "[1, 2, 3]",
        '{"timestamp":"2026-11-22T10:00:01.1+0100","src_ip":"203.0.113.5"}',
        record(src_ip="203.0.113.500"),
        record(timestamp="22/11/2026 10:00:01"),
        record(timestamp=None),
        record(dest_port=70000),
        record(proto=None),
        record(tcp={"tcp_flags": "zz"}),
        "",
        ELASTIC_ALERT,
    ]
    results = parse_all(parser, lines, ctx())
    assert [r.lineno for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert isinstance(results[0], ParsedEvent)
    assert isinstance(results[-1], ParsedEvent)
    rejections = results[1:-1]
    assert all(isinstance(r, Rejection) for r in rejections)
    reasons = {r.lineno: r.reason for r in rejections}
    assert reasons[2].startswith("malformed JSON (")
    assert reasons[3] == "not a JSON object"
    assert reasons[4] == "no event_type: not a Suricata eve.json record"
    assert reasons[5] == "invalid IPv4 address '203.0.113.500'"
    assert reasons[6].startswith("unreadable time stamp")
    assert reasons[7] == "missing timestamp"
    assert reasons[8] == "port 70000 out of range"
    assert reasons[9] == "missing protocol"
    assert reasons[10] == "unreadable tcp_flags 'zz'"
    assert rejections[0].line == DOCS_ALERT[:120]


def test_blocked_alert_and_drop_record_of_one_packet_count_once():
    blocked = record(alert={"action": "blocked", "signature_id": 2001219})
    drop = record(event_type="drop", alert=None, drop={"syn": True})
    other_packet = record(event_type="drop", alert=None, src_port=51235, drop={"syn": True})
    allowed = record(alert={"action": "allowed", "signature_id": 2001219})
    results = parse_all(parser, [blocked, allowed, drop, other_packet], ctx())
    assert [type(r).__name__ for r in results] == ["ParsedEvent", "ParsedEvent", "Skipped", "ParsedEvent"]
    assert results[2] == Skipped(3, SECOND_RECORD)
    # Either order: the drop record may be written first.
    assert parse_all(parser, [drop, blocked], ctx())[1] == Skipped(2, SECOND_RECORD)
    # Line by line there is no pairing.
    assert isinstance(parser.parse_line(3, drop, ctx()), ParsedEvent)


def test_matches_eve_records_only():
    for line in [DOCS_ALERT, ELASTIC_ALERT, *NOT_ALERTS]:
        assert parser.matches(line)
    for other in (
        '{ "timestamp" : "07/16-09:23:39.153899", "pkt_num" : 5, "proto" : "TCP", "src_ap" : "192.168.1.2:50284" }',
        "11/22/2026-10:00:01.123456  [**] [1:2001219:20] ET SCAN [**] [Priority: 2] {TCP} 1.2.3.4:1 -> 5.6.7.8:2",
        "Nov 22 10:00:01 fw kernel: DROP IN=eth0 SRC=203.0.113.5 DST=198.51.100.7 PROTO=TCP",
    ):
        assert not parser.matches(other), other
    assert not fast_parser.matches(DOCS_ALERT)


def test_detect_picks_this_parser_for_an_eve_log():
    assert detect([*NOT_ALERTS, DOCS_ALERT, ELASTIC_ALERT]) is parser
