"""Cowrie honeypot JSON log, specified by example.

Records written by hand from Cowrie's "Output Event Code Reference"
(docs/OUTPUT.rst: the shared attributes eventid, message, sensor, timestamp,
src_ip, session, and each event id's own) and the connect message Cowrie's
SSH and Telnet factories log ("New connection: %(src_ip)s:%(src_port)s
(%(dst_ip)s:%(dst_port)s) [session: %(session)s]"). Addresses, sessions and
passwords are made up.
"""

import json
from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.cowrie import parser
from incidents.parsers.suricata_eve import parser as eve_parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ctx = partial(make_ctx, received=RECEIVED)


def record(eventid, **fields):
    base = {"eventid": eventid, "session": "3f2a9c1d7e4b", "sensor": "hp-ams-1", "src_ip": "45.33.17.9"}
    base.setdefault("timestamp", "2026-11-22T10:00:01.123456Z")
    return json.dumps({**base, **fields}, separators=(",", ":"))


CONNECT = record(
    "cowrie.session.connect",
    src_port=51234,
    dst_ip="100.70.4.2",
    dst_port=2222,
    protocol="ssh",
    message="New connection: 45.33.17.9:51234 (100.70.4.2:2222) [session: 3f2a9c1d7e4b]",
)
TELNET = record(
    "cowrie.session.connect",
    src_ip="185.220.101.4",
    src_port=40022,
    dst_ip="100.70.4.2",
    dst_port=2223,
    protocol="telnet",
    session="a0b1c2d3e4f5",
    message="New connection: 185.220.101.4:40022 (100.70.4.2:2223) [session: a0b1c2d3e4f5]",
)
VERSION = record("cowrie.client.version", version="SSH-2.0-Go", message="Remote SSH version: SSH-2.0-Go")
FAILED = record("cowrie.login.failed", username="root", password="123456", message="login attempt [root/123456] failed")
SUCCESS = record(
    "cowrie.login.success", username="root", password="admin", message="login attempt [root/admin] succeeded"
)
COMMAND = record("cowrie.command.input", input="uname -a", message="CMD: uname -a")
TCPIP = record(
    "cowrie.direct-tcpip.request",
    dst_ip="89.248.160.1",
    dst_port=80,
    src_port=5555,
    message="direct-tcp connection request to 89.248.160.1:80 from 127.0.0.1:5555",
)
CLOSED = record("cowrie.session.closed", duration=3.2, message="Connection lost after 3 seconds")


def test_a_connection_is_an_event_with_both_addresses_and_ports():
    assert parse_one(parser, CONNECT, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="45.33.17.9",
        target_ip="100.70.4.2",
        protocol="tcp",
        source_port=51234,
        target_port=2222,
    )


def test_telnet_connections_are_tcp_too():
    result = parse_one(parser, TELNET, ctx())
    assert (result.protocol, result.source_ip, result.target_port) == ("tcp", "185.220.101.4", 2223)


@pytest.mark.parametrize(
    "line", [VERSION, FAILED, SUCCESS, COMMAND, TCPIP, CLOSED], ids=lambda r: json.loads(r)["eventid"]
)
def test_the_rest_of_a_session_is_not_a_traffic_record(line):
    assert parse_one(parser, line, ctx()) == Skipped(1, "not a traffic record: Cowrie session event")


def test_a_whole_session_is_one_event_and_a_successful_login_is_never_allowed_traffic():
    results = parse_all(parser, [CONNECT, VERSION, FAILED, FAILED, SUCCESS, COMMAND, CLOSED], ctx())
    assert [r.lineno for r in results if isinstance(r, ParsedEvent)] == [1]
    assert not any(isinstance(r, Skipped) and r.reason == "allowed traffic" for r in results)


def test_times_are_utc_with_or_without_their_zone():
    for stamp in ("2026-11-22T10:00:01.123456Z", "2026-11-22T10:00:01.123456+00:00", "2026-11-22T10:00:01.123456"):
        line = CONNECT.replace("2026-11-22T10:00:01.123456Z", stamp)
        assert parse_one(parser, line, ctx("Asia/Tokyo")).time == datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC), stamp


def test_ipv6_and_v4_mapped_peers():
    v6 = parse_one(parser, CONNECT.replace('"45.33.17.9"', '"2a01:4f8:0:0::9"'), ctx())
    assert v6.source_ip == "2a01:4f8::9"
    mapped = parse_one(parser, CONNECT.replace('"45.33.17.9"', '"::ffff:45.33.17.9"'), ctx())
    assert mapped.source_ip == "45.33.17.9"


def test_bad_records_are_rejected_with_a_reason():
    bad = {
        CONNECT[:-5]: "malformed JSON",
        "[1, 2]": "not a JSON object",
        '{"event_type":"alert"}': "no cowrie eventid: not a Cowrie JSON record",
        CONNECT.replace('"dst_ip":"100.70.4.2",', ""): "session.connect without dst_ip",
        CONNECT.replace("45.33.17.9", "45.33.17.999"): "invalid IPv4 address '45.33.17.999'",
        CONNECT.replace("51234", "70000"): "port 70000 out of range",
        CONNECT.replace('"dst_port":2222', '"dst_port":[22]'): "invalid dst_port [22]",
        CONNECT.replace('"timestamp":"2026-11-22T10:00:01.123456Z"', '"timestamp":7'): "missing timestamp",
    }
    results = parse_all(parser, [CONNECT, *bad, TELNET], ctx())
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    reasons = {r.line: r.reason for r in results if isinstance(r, Rejection)}
    assert set(reasons) == set(bad)
    for line, reason in bad.items():
        assert reasons[line].startswith(reason), (reasons[line], reason)


def test_cowrie_and_suricata_eve_tell_each_other_apart():
    eve = (
        '{"timestamp":"2026-11-22T10:00:01.123456+0000","event_type":"alert","src_ip":"45.33.17.9",'
        '"src_port":51234,"dest_ip":"100.70.4.2","dest_port":22,"proto":"TCP","alert":{"signature_id":1}}'
    )
    for line in (CONNECT, FAILED, COMMAND, CLOSED):
        assert parser.matches(line) and not eve_parser.matches(line), line
    assert eve_parser.matches(eve) and not parser.matches(eve)
    # A command whose text names eve.json's keys is still Cowrie's.
    sneaky = record("cowrie.command.input", input='echo "event_type" "timestamp"')
    assert parser.matches(sneaky) and not eve_parser.matches(sneaky)


def test_detect_picks_cowrie_for_its_log():
    assert detect([CONNECT, VERSION, FAILED, SUCCESS, COMMAND, CLOSED, TELNET]) is parser
