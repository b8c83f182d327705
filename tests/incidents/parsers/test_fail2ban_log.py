"""fail2ban's log, specified by example.

Lines written by hand from fail2ban's source: the log format set in
``fail2ban/server/server.py`` (``%(asctime)s %(name)-24s[%(process)d]:
%(levelname)-7s %(message)s``; ``%(name)-16s`` before 0.10, no pid in 0.8),
the messages of ``fail2ban/server/actions.py`` ("[%s] %sBan %s" with
"Restore " for restored tickets, "[%s] Unban %s", "[%s] %s already banned")
and ``filter.py`` ("[%s] Found %s - %s"), and the jail names and ports of
the stock ``config/jail.conf``. Addresses are made up.
"""

from datetime import UTC, datetime
from functools import partial

import pytest

from incidents.parsers import detect
from incidents.parsers.base import ParsedEvent, Rejection, Skipped
from incidents.parsers.fail2ban_log import jail_port, parser
from tests.incidents.parsers.helpers import make_ctx, parse_all, parse_one

RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ctx = partial(make_ctx, received=RECEIVED)
THIS_HOST = "0.0.0.0"  # noqa: S104 (fail2ban bans on the host that logs: an address stored, not bound)

BAN = "2026-11-22 10:00:01,123 fail2ban.actions        [812]: NOTICE  [sshd] Ban 45.33.17.9"
FOUND = "2026-11-22 10:00:00,981 fail2ban.filter         [812]: INFO    [sshd] Found 45.33.17.9 - 2026-11-22 10:00:00"
UNBAN = "2026-11-22 11:00:01,456 fail2ban.actions        [812]: NOTICE  [sshd] Unban 45.33.17.9"
RESTORE = "2026-11-22 09:00:05,001 fail2ban.actions        [812]: NOTICE  [sshd] Restore Ban 89.248.163.2"
ALREADY = "2026-11-22 10:01:30,000 fail2ban.actions        [812]: WARNING [sshd] 45.33.17.9 already banned"
STARTED = "2026-11-22 09:00:04,777 fail2ban.jail           [812]: INFO    Jail 'sshd' started"
LOGFILE = "2026-11-22 09:00:04,700 fail2ban.filter         [812]: INFO    [sshd] Added logfile: '/var/log/auth.log'"
SERVER = "2026-11-22 09:00:04,512 fail2ban.server         [812]: INFO    Starting Fail2ban v1.0.2"
WEB_BAN = "2026-11-22 10:05:00,000 fail2ban.actions        [812]: NOTICE  [nginx-botsearch] Ban 185.220.101.33"


def test_a_ban_is_an_event_on_the_jails_port_of_this_host():
    assert parse_one(parser, BAN, ctx()) == ParsedEvent(
        lineno=1,
        time=datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        source_ip="45.33.17.9",
        target_ip=THIS_HOST,
        protocol="tcp",
        source_port=None,
        target_port=22,
    )


def test_time_is_fail2bans_local_time_in_the_submission_zone():
    assert parse_one(parser, BAN, ctx("Europe/Berlin")).time == datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (FOUND, "not a traffic record: failure found (the ban counts)"),
        (UNBAN, "not a traffic record: fail2ban status message"),
        (RESTORE, "not a traffic record: fail2ban status message"),
        (ALREADY, "not a traffic record: fail2ban status message"),
        (STARTED, "not a traffic record: fail2ban status message"),
        (LOGFILE, "not a traffic record: fail2ban status message"),
        (SERVER, "not a traffic record: fail2ban status message"),
        ("# fail2ban.log kept with a note on top", "not a traffic record: comment"),
        (
            "2026-11-22 10:30:00,000 fail2ban.observer       [812]: NOTICE  [sshd] Increase Ban 45.33.17.9 "
            "(2 # 2:00:00 -> 2026-11-22 12:30:00)",
            "not a traffic record: fail2ban status message",
        ),
    ],
)
def test_found_unban_restore_and_status_lines_are_not_traffic_records(line, reason):
    assert parse_one(parser, line, ctx()) == Skipped(1, reason)


def test_a_log_of_failures_and_their_ban_counts_the_attack_once():
    founds = [FOUND.replace("10:00:00,981", f"10:00:0{i},000") for i in range(5)]
    events = [r for r in parse_all(parser, [*founds, BAN, UNBAN], ctx()) if isinstance(r, ParsedEvent)]
    assert [(e.source_ip, e.target_port) for e in events] == [("45.33.17.9", 22)]


@pytest.mark.parametrize(
    ("jail", "port"),
    [
        ("sshd", 22),
        ("ssh", 22),
        ("sshd-ddos", 22),
        ("dropbear", 22),
        ("apache-auth", 80),
        ("nginx-http-auth", 80),
        ("nginx-botsearch", 80),
        ("postfix", 25),
        ("postfix-sasl", 25),
        ("sendmail-auth", 587),
        ("dovecot", 110),
        ("vsftpd", 21),
        ("proftpd", 21),
        ("pure-ftpd", 21),
        ("asterisk", 5060),
        ("mysqld-auth", 3306),
        ("named-refused", 53),
        ("webmin-auth", 10000),
        ("recidive", None),
        ("my-own-jail", None),
    ],
)
def test_jail_names_map_to_their_stock_ports(jail, port):
    assert jail_port(jail) == port
    line = BAN.replace("[sshd]", f"[{jail}]")
    assert parse_one(parser, line, ctx()).target_port == port


def test_older_layouts_without_padding_or_pid():
    for line in (
        "2016-11-22 10:00:01,123 fail2ban.actions[812]: WARNING [ssh] Ban 45.33.17.9",
        "2013-11-22 10:00:01,123 fail2ban.actions: WARNING [ssh] Ban 45.33.17.9",
    ):
        result = parse_one(parser, line, make_ctx(received=datetime(2016, 11, 23, tzinfo=UTC)))
        assert (result.source_ip, result.target_port) == ("45.33.17.9", 22), line


def test_ipv6_ban_has_the_ipv6_unspecified_target():
    result = parse_one(parser, BAN.replace("45.33.17.9", "2a01:4f8:c17:0::1"), ctx())
    assert (result.source_ip, result.target_ip) == ("2a01:4f8:c17::1", "::")


def test_lines_sent_through_syslog_or_the_journal():
    for line, expected in (
        (
            "Nov 22 10:00:01 web1 fail2ban.actions[812]: NOTICE [sshd] Ban 45.33.17.9",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
        (
            "Nov 22 10:00:02 web1 fail2ban-server[812]: 2026-11-22 10:00:01,123 fail2ban.actions        [812]: "
            "NOTICE  [sshd] Ban 45.33.17.9",
            datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC),
        ),
    ):
        result = parse_one(parser, line, ctx())
        assert isinstance(result, ParsedEvent), line
        assert (result.source_ip, result.target_port, result.time) == ("45.33.17.9", 22, expected)
    unban = "Nov 22 11:00:01 web1 fail2ban.actions[812]: NOTICE [sshd] Unban 45.33.17.9"
    assert parse_one(parser, unban, ctx()) == Skipped(1, "not a traffic record: fail2ban status message")


def test_bad_lines_are_rejected_with_a_reason():
    bad = {
        BAN.replace("45.33.17.9", "45.33.17.900"): "invalid IPv4 address '45.33.17.900'",
        BAN.replace("Ban 45.33.17.9", "Ban"): "unreadable Ban line (expected an address after Ban)",
        BAN.replace("NOTICE ", "LOUD   "): "unknown log level 'LOUD'",
        "Nov 22 10:00:01 web1 kernel: something else": "not a fail2ban log line",
        "not a log line": "not a fail2ban log line",
    }
    results = parse_all(parser, [BAN, *bad, BAN], ctx())
    assert isinstance(results[0], ParsedEvent) and isinstance(results[-1], ParsedEvent)
    assert {r.line: r.reason for r in results if isinstance(r, Rejection)} == bad


def test_matches_fail2ban_lines_only():
    syslogged = "Nov 22 10:00:01 web1 fail2ban.actions[812]: NOTICE [sshd] Ban 45.33.17.9"
    for line in (BAN, FOUND, UNBAN, STARTED, syslogged):
        assert parser.matches(line), line
    for other in (
        "Nov 22 10:00:01 web1 sshd[4242]: Failed password for root from 45.33.17.9 port 51234 ssh2",
        "2026-11-22 10:00:01 DROP TCP 45.33.17.9 100.70.4.2 51234 22 60 S - - - - - - - RECEIVE",
        "2026-11-22 10:00:01 -05:00\t0\t1\t45.33.17.9\t51234\t100.70.4.2\t22\t6",
    ):
        assert not parser.matches(other), other


def test_detect_picks_fail2ban_for_its_log():
    assert detect([SERVER, LOGFILE, STARTED, RESTORE, FOUND, FOUND, BAN, WEB_BAN, UNBAN]) is parser
