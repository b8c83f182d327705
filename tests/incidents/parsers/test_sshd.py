"""OpenSSH server logs (auth.log, secure, journalctl), specified by example.

Every line here was written by hand from OpenSSH's own format strings
(``auth.c`` auth_log: "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s";
``auth2.c``: "Invalid user %.100s from %.100s port %d"; ``auth.c``
auth_maxtries_exceeded; ``packet.c`` sshpkt_fatal: "Connection closed by
%s%s%s port %d", "Disconnected from ..."; ``sshd.c`` / ``sshd-session.c``:
"banner exchange: Connection from %s port %d: %s", "Timeout before
authentication for %s port %d"; ``srclimit.c``: "drop connection #%d from
[%s]:%d on [%s]:%d ...") wrapped in the syslog and journalctl prefixes those
tools document (rsyslog's traditional and RFC 3339 file formats, journalctl
``-o short``, ``short-iso``, ``short-full``, ``short-unix``). Addresses are
made up.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.sshd import parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ctx = partial(make_ctx, received=RECEIVED)
# auth.log never names the host's own address: "this host" stands for it.
THIS_HOST = "0.0.0.0"  # noqa: S104 (an address stored, not bound)

FAILED_ROOT = "Nov 22 10:00:01 web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2"
FAILED_INVALID = (
    "Nov 22 10:00:02 web1 sshd[4243]: Failed password for invalid user admin from 185.220.101.4 port 40022 ssh2"
)
INVALID_USER = "Nov 22 10:00:02 web1 sshd[4243]: Invalid user admin from 185.220.101.4 port 40022"
FAILED_KEY = (
    "Nov 22 10:00:03 web1 sshd[4244]: Failed publickey for git from 89.248.165.7 port 33110 ssh2: "
    "RSA SHA256:q0bJ3kPzVbFmxTx8yQ6o6n7l0Ew4zRr1n4p9Yl2uJ0c"
)
MAX_TRIES = (
    "Nov 22 10:00:04 web1 sshd[4245]: error: maximum authentication attempts exceeded for root "
    "from 45.33.17.9 port 51300 ssh2 [preauth]"
)
CLOSED_AUTHENTICATING = (
    "Nov 22 10:00:05 web1 sshd[4246]: Connection closed by authenticating user root 45.33.17.9 port 51302 [preauth]"
)
DISCONNECTED_INVALID = (
    "Nov 22 10:00:06 web1 sshd[4247]: Disconnected from invalid user oracle 185.220.101.4 port 40100 [preauth]"
)
BANNER = "Nov 22 10:00:07 web1 sshd[4248]: banner exchange: Connection from 89.248.165.7 port 60111: invalid format"
ACCEPTED = (
    "Nov 22 10:00:08 web1 sshd[4249]: Accepted publickey for alice from 45.33.20.1 port 50022 ssh2: "
    "ED25519 SHA256:Yk3tX0m3QjO8b1C0hJv7mJ2m2rHq0yF5eQ2d3w9s8aA"
)
PAM_FAILURE = (
    "Nov 22 10:00:01 web1 sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
    "tty=ssh ruser= rhost=45.33.17.9  user=root"
)
SESSION_OPENED = "Nov 22 10:00:08 web1 sshd[4249]: pam_unix(sshd:session): session opened for user alice(uid=1000)"
CRON = "Nov 22 10:17:01 web1 CRON[5001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
SUDO = "Nov 22 10:20:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/true"


def event(line, tz="UTC"):
    result = parse_one(parser, line, ctx(tz))
    assert isinstance(result, ParsedEvent), result
    return result


def test_failed_password_is_an_event_on_port_22_from_the_client_source_port():
    assert event(FAILED_ROOT) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="45.33.17.9",
        target_ip=THIS_HOST,
        protocol="tcp",
        source_port=51234,
        target_port=22,
    )


@pytest.mark.parametrize(
    ("line", "source", "sport"),
    [
        (FAILED_INVALID, "185.220.101.4", 40022),
        (INVALID_USER, "185.220.101.4", 40022),
        (FAILED_KEY, "89.248.165.7", 33110),
        (MAX_TRIES, "45.33.17.9", 51300),
        (CLOSED_AUTHENTICATING, "45.33.17.9", 51302),
        (DISCONNECTED_INVALID, "185.220.101.4", 40100),
        (BANNER, "89.248.165.7", 60111),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Failed none for invalid user ubnt from 45.33.3.3 port 4000 ssh2",
            "45.33.3.3",
            4000,
        ),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Failed keyboard-interactive/pam for root from 45.33.3.3 port 4001 ssh2",
            "45.33.3.3",
            4001,
        ),
        ("Nov 22 10:00:09 web1 sshd[9]: Connection closed by 45.33.3.3 port 4002 [preauth]", "45.33.3.3", 4002),
        ("Nov 22 10:00:09 web1 sshd[9]: Connection reset by 45.33.3.3 port 4003 [preauth]", "45.33.3.3", 4003),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Received disconnect from 45.33.3.3 port 4004:11: Bye Bye [preauth]",
            "45.33.3.3",
            4004,
        ),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Disconnecting invalid user pi 45.33.3.3 port 4005: "
            "Too many authentication failures [preauth]",
            "45.33.3.3",
            4005,
        ),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Unable to negotiate with 45.33.3.3 port 4006: no matching key exchange "
            "method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
            "45.33.3.3",
            4006,
        ),
        (
            "Nov 22 10:00:09 web1 sshd[9]: fatal: Timeout before authentication for 45.33.3.3 port 4007",
            "45.33.3.3",
            4007,
        ),
        (
            "Nov 22 10:00:09 web1 sshd[9]: Did not receive identification string from 45.33.3.3 port 4008",
            "45.33.3.3",
            4008,
        ),
        ("Nov 22 10:00:09 web1 sshd[9]: Did not receive identification string from 45.33.3.3", "45.33.3.3", None),
        (
            "Nov 22 10:00:09 web1 sshd[9]: User root from 45.33.3.3 not allowed because not listed in AllowUsers",
            "45.33.3.3",
            None,
        ),
        ("Nov 22 10:00:09 web1 sshd[9]: refused connect from scanner.example (45.33.3.3)", "45.33.3.3", None),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_attempts_that_never_logged_in_are_events(line, source, sport):
    result = event(line)
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        source,
        sport,
        THIS_HOST,
        22,
    )


@pytest.mark.parametrize(
    ("line", "sport"),
    [
        # OpenSSH before 7.x: no port in these messages
        ("Nov 22 10:00:09 web1 sshd[9]: Invalid user test from 45.33.3.3", None),
        ("Nov 22 10:00:09 web1 sshd[9]: Connection closed by 45.33.3.3 [preauth]", None),
        ("Nov 22 10:00:09 web1 sshd[9]: Received disconnect from 45.33.3.3: 11: Bye Bye [preauth]", None),
        ("Nov 22 10:00:09 web1 sshd[9]: Illegal user test from 45.33.3.3", None),
        # protocol 1
        ("Nov 22 10:00:09 web1 sshd[9]: Failed password for root from 45.33.3.3 port 4010 ssh1", 4010),
        # OpenSSH 9.8's sshd-session names both ends and no port
        (
            "Nov 22 10:00:09 web1 sshd-session[9]: Timeout before authentication for connection from 45.33.3.3 "
            "to 100.70.4.2, pid = 77",
            None,
        ),
        # Solaris puts a message id first; some senders leave the host out
        (
            "Nov 22 10:00:09 web1 sshd[9]: [ID 800047 auth.info] Failed password for root from 45.33.3.3 "
            "port 4011 ssh2",
            4011,
        ),
        ("Nov 22 10:00:09 sshd[9]: Failed password for root from 45.33.3.3 port 4012 ssh2", 4012),
    ],
)
def test_older_and_other_systems_sshd_lines(line, sport):
    result = event(line)
    assert (result.source_ip, result.source_port, result.target_port) == ("45.33.3.3", sport, 22)


def test_the_port_in_from_ip_port_is_the_source_not_the_target():
    result = event(FAILED_ROOT.replace("port 51234", "port 22"))
    assert (result.source_port, result.target_port) == (22, 22)
    assert event(FAILED_ROOT).target_port == 22


def test_dropped_connection_names_the_listening_address_and_port():
    line = (
        "Nov 22 10:00:10 web1 sshd[812]: drop connection #3 from [45.33.17.9]:51400 on [100.70.4.2]:2222 "
        "penalty: failed authentication"
    )
    result = event(line)
    assert (result.source_ip, result.source_port, result.target_ip, result.target_port) == (
        "45.33.17.9",
        51400,
        "100.70.4.2",
        2222,
    )


def test_ipv6_client_gets_the_ipv6_unspecified_target_and_mapped_ipv4_is_unmapped():
    v6 = event("Nov 22 10:00:01 web1 sshd[1]: Failed password for root from 2a01:4f8:0:0::7 port 51234 ssh2")
    assert (v6.source_ip, v6.target_ip) == ("2a01:4f8::7", "::")
    mapped = event("Nov 22 10:00:01 web1 sshd[1]: Invalid user x from ::ffff:45.33.17.9 port 1")
    assert (mapped.source_ip, mapped.target_ip) == ("45.33.17.9", THIS_HOST)


def test_a_user_name_cannot_frame_another_address():
    line = (
        "Nov 22 10:00:01 web1 sshd[1]: Failed password for invalid user x from 89.248.1.1 port 1 ssh2 "
        "from 45.33.17.9 port 51234 ssh2"
    )
    assert (event(line).source_ip, event(line).source_port) == ("45.33.17.9", 51234)


def test_successful_logins_are_allowed_traffic():
    for line in (
        ACCEPTED,
        "Nov 22 10:00:08 web1 sshd[4249]: Accepted password for bob from 45.33.20.1 port 50023 ssh2",
        "Nov 22 10:00:08 web1 sshd[4249]: message repeated 2 times: [ Accepted password for bob from 45.33.20.1 "
        "port 50023 ssh2]",
    ):
        assert parse_one(parser, line, ctx()) == Skipped(1, "allowed traffic"), line


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (PAM_FAILURE, "not a traffic record: PAM message"),
        (
            "Nov 22 10:00:01 web1 sshd[4242]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh "
            "ruser= rhost=45.33.17.9  user=root",
            "not a traffic record: PAM message",
        ),
        (SESSION_OPENED, "not a traffic record: session message"),
        (
            "Nov 22 11:00:00 web1 sshd[4249]: Received disconnect from 45.33.20.1 port 50022:11: disconnected by user",
            "not a traffic record: session message",
        ),
        (
            "Nov 22 11:00:00 web1 sshd[4249]: Disconnected from user alice 45.33.20.1 port 50022",
            "not a traffic record: session message",
        ),
        (
            "Nov 22 09:00:00 web1 sshd[800]: Server listening on :: port 22.",
            "not a traffic record: sshd daemon message",
        ),
        (
            "Nov 22 10:00:00 web1 sshd[4249]: Postponed keyboard-interactive for alice from 45.33.20.1 port 50022 ssh2",
            "not a traffic record: authentication in progress",
        ),
        (
            "Nov 22 10:00:00 web1 sshd[4249]: Partial publickey for alice from 45.33.20.1 port 50022 ssh2: "
            "ED25519 SHA256:x",
            "not a traffic record: authentication in progress",
        ),
        (
            "Nov 22 10:00:00 web1 sshd[4250]: error: kex_exchange_identification: Connection closed by remote host",
            "not a traffic record: sshd message without an address",
        ),
        (
            "Nov 22 10:00:00 web1 sshd[4250]: Did not receive identification string from UNKNOWN port 65535",
            "not a traffic record: sshd message without an address",
        ),
        (
            'Nov 22 10:00:00 web1 sshd[4250]: Connection from 45.33.17.9 port 51234 on 100.70.4.2 port 22 rdomain ""',
            "not a traffic record: sshd message",
        ),
        (CRON, "not a traffic record: not from sshd"),
        (SUDO, "not a traffic record: not from sshd"),
        ("-- Boot 0f6a1c2e9d8b4c7aa1b2c3d4e5f60718 --", "not a traffic record: journal marker"),
        ("-- No entries --", "not a traffic record: journal marker"),
        ("# a comment some tools put in their sample logs", "not a traffic record: comment"),
    ],
)
def test_lines_that_are_not_attempts_are_skipped_with_their_kind(line, reason):
    assert parse_one(parser, line, ctx()) == Skipped(1, reason)


def test_message_repeated_counts_the_repeats():
    line = (
        "Nov 22 10:00:01 web1 sshd[4242]: message repeated 5 times: [ Failed password for root from 45.33.17.9 "
        "port 51234 ssh2]"
    )
    result = event(line)
    assert (result.source_ip, result.count) == ("45.33.17.9", 5)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # journalctl -o short and rsyslog's traditional format: no year, no zone.
        (FAILED_ROOT, datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),
        # short-precise
        (FAILED_ROOT.replace("10:00:01", "10:00:01.512034"), datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),
        # short-iso: the offset on the line wins over the submission's zone
        (
            "2026-11-22T10:00:01+0000 web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
        # rsyslog RFC 3339 / short-iso-precise, OpenSSH 9.8's sshd-session
        (
            "2026-11-22T10:00:01.512034-05:00 web1 sshd-session[4242]: Failed password for root from 45.33.17.9 "
            "port 51234 ssh2",
            datetime(2026, 11, 22, 15, 0, 1, tzinfo=UTC),
        ),
        # short-full names the zone; UTC is exact, another name is read in the submission's zone
        (
            "Sun 2026-11-22 10:00:01 UTC web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
        (
            "Sun 2026-11-22 10:00:01 CET web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2",
            datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC),
        ),
        # short-unix: seconds since the epoch
        (
            "1795341601.512034 web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
        # received over the network with a priority, and RFC 5424
        ("<38>" + FAILED_ROOT, datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)),
        (
            "<38>1 2026-11-22T10:00:01.512Z web1 sshd 4242 - - Failed password for root from 45.33.17.9 "
            "port 51234 ssh2",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
    ],
)
def test_time_stamps_of_syslog_and_journalctl(line, expected):
    assert event(line, "Europe/Berlin").time == expected


def test_year_less_stamp_in_late_december_belongs_to_the_year_before():
    result = parse_one(
        parser, FAILED_ROOT.replace("Nov 22", "Dec 31"), make_ctx(received=datetime(2027, 1, 1, 8, tzinfo=UTC))
    )
    assert result.time == datetime(2026, 12, 31, 10, 0, 1, tzinfo=UTC)


BAD = {
    "this is not a log line": "not a syslog or journal line",
    FAILED_ROOT.replace("45.33.17.9", "45.33.17.300"): "invalid IPv4 address '45.33.17.300'",
    FAILED_ROOT.replace("port 51234", "port 70000"): "port 70000 out of range",
    "Nov 22 10:00:01 web1 sshd[4242]: Failed password for root": "unreadable sshd failed authentication line",
    "Nov 22 10:00:01 web1 sshd[4242]: message repeated lots: [ Failed ]": "unreadable 'message repeated' line",
}


def test_each_bad_line_costs_itself_only():
    results = parse_all(parser, [FAILED_ROOT, *BAD, INVALID_USER], ctx())
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert {r.line: r.reason for r in results[1:-1] if isinstance(r, Rejection)} == BAD


def test_matches_sshd_and_auth_log_companions_only():
    for line in (FAILED_ROOT, ACCEPTED, PAM_FAILURE, CRON, SUDO, "<38>1 2026-11-22T10:00:01Z web1 sshd 4242 - - x"):
        assert parser.matches(line), line
    for other in (
        "Nov 22 10:00:01 web1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=45.33.17.9 DST=100.70.4.2 PROTO=TCP SPT=1 DPT=22",
        "Nov 22 10:00:01 web1 systemd[1]: Started ssh.service - OpenBSD Secure Shell server.",
        "2026-11-22 10:00:01,123 fail2ban.actions        [812]: NOTICE  [sshd] Ban 45.33.17.9",
        "Nov 22 10:00:01 web1 postfix/smtpd[77]: connect from unknown[45.33.17.9]",
        "this is not a log line",
    ):
        assert not parser.matches(other), other


def test_detect_picks_sshd_for_an_auth_log_and_a_quiet_one():
    attack = [FAILED_ROOT, PAM_FAILURE, INVALID_USER, FAILED_INVALID, MAX_TRIES, ACCEPTED, SESSION_OPENED, CRON]
    assert detect(attack) is parser
    assert detect([CRON, SUDO, CRON, ACCEPTED, SESSION_OPENED]) is parser
    journal = ["-- Logs begin at Sun 2026-11-22 09:00:00 UTC, end at Sun 2026-11-22 11:00:00 UTC. --", *attack]
    assert detect(journal) is parser
