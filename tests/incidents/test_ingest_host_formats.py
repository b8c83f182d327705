"""The Snort CSV, OpenSSH, fail2ban and Cowrie formats through the real
ingest: recognised without being named, stored, and counted the way their
parsers promise (allowed and non-traffic lines skipped, one event per attempt)."""

from datetime import timedelta

import pytest

from incidents.models import Event, Submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
THIS_HOST = "0.0.0.0"  # noqa: S104 (the target host logs without naming: an address stored, not bound)


def stored(user):
    return [
        (e.time, str(e.source_ip), e.source_port, str(e.target_ip), e.target_port, e.protocol)
        for e in Event.objects.filter(reporter=user).order_by("time", "source_ip")
    ]


def test_snort_csv_alerts_are_recognised_and_stored(submit, recent):
    user = UserFactory()
    stamp = (recent + timedelta(seconds=1)).strftime("%m/%d-%H:%M:%S.000001")
    log = (
        f'{recent:%m/%d-%H:%M:%S}.123456 ,1,2001219,20,"ET SCAN Potential SSH Scan",TCP,45.33.17.9,51234,'
        "100.70.4.2,22,00:1B:17:00:01:18,00:03:2D:3F:E5:63,0x4A,******S*,0x1A2B3C4D,0x0,40,0x400,51,0,54321,60,20,,,,\n"
        f'{stamp} ,1,384,8,"GPL ICMP_INFO PING",ICMP,185.220.101.4,,100.70.4.2,,'
        "00:1B:17:00:01:18,00:03:2D:3F:E5:63,0x62,,,,,,57,0,4242,84,20,8,0,4242,1\n"
    )
    sub = submit(user, text=log)
    assert (sub.status, sub.detected_format, sub.accepted, sub.rejected) == (Submission.Status.DONE, "snort_csv", 2, 0)
    assert stored(user) == [
        (recent, "45.33.17.9", 51234, "100.70.4.2", 22, "tcp"),
        (recent + timedelta(seconds=1), "185.220.101.4", 8, "100.70.4.2", 0, "icmp"),
    ]


def test_an_auth_log_stores_the_attempts_and_skips_the_login(submit, recent):
    user = UserFactory()
    syslog = recent.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1) if recent.day < 10 else f"{recent:%b %d %H:%M:%S}"
    log = (
        f"{syslog} web1 sshd[4242]: Invalid user admin from 45.33.17.9 port 51234\n"
        f"{syslog} web1 sshd[4242]: Failed password for invalid user admin from 45.33.17.9 port 51234 ssh2\n"
        f"{syslog} web1 sshd[4243]: Accepted publickey for alice from 89.248.165.7 port 50022 ssh2: ED25519 SHA256:x\n"
        f"{syslog} web1 sshd[4243]: pam_unix(sshd:session): session opened for user alice(uid=1000)\n"
    )
    sub = submit(user, text=log)
    assert (sub.detected_format, sub.lines, sub.rejected, sub.allowed, sub.not_traffic) == ("sshd", 4, 0, 1, 1)
    # The two lines of one attempt are one event: same second, same source port.
    assert stored(user) == [(recent, "45.33.17.9", 51234, THIS_HOST, 22, "tcp")]


def test_a_fail2ban_log_stores_the_bans(submit, recent):
    user = UserFactory()
    stamp = f"{recent:%Y-%m-%d %H:%M:%S},123"
    log = (
        f"{stamp} fail2ban.filter         [812]: INFO    [sshd] Found 45.33.17.9 - {recent:%Y-%m-%d %H:%M:%S}\n"
        f"{stamp} fail2ban.actions        [812]: NOTICE  [sshd] Ban 45.33.17.9\n"
        f"{stamp} fail2ban.actions        [812]: NOTICE  [nginx-http-auth] Ban 185.220.101.4\n"
        f"{stamp} fail2ban.actions        [812]: NOTICE  [sshd] Unban 89.248.165.7\n"
    )
    sub = submit(user, text=log)
    assert (sub.detected_format, sub.accepted, sub.not_traffic, sub.rejected) == ("fail2ban_log", 2, 2, 0)
    assert stored(user) == [
        (recent, "45.33.17.9", None, THIS_HOST, 22, "tcp"),
        (recent, "185.220.101.4", None, THIS_HOST, 80, "tcp"),
    ]


def test_a_cowrie_log_stores_one_event_per_session(submit, recent):
    user = UserFactory()
    stamp = f"{recent:%Y-%m-%dT%H:%M:%S}.123456Z"
    common = f'"session":"3f2a9c1d7e4b","src_ip":"45.33.17.9","sensor":"hp-ams-1","timestamp":"{stamp}"'
    log = (
        '{"eventid":"cowrie.session.connect","src_port":51234,"dst_ip":"100.70.4.2","dst_port":2222,'
        f'"protocol":"ssh",{common}}}\n'
        f'{{"eventid":"cowrie.login.failed","username":"root","password":"1234",{common}}}\n'
        f'{{"eventid":"cowrie.login.success","username":"root","password":"admin",{common}}}\n'
        f'{{"eventid":"cowrie.session.closed","duration":2.5,{common}}}\n'
    )
    sub = submit(user, text=log)
    assert (sub.detected_format, sub.accepted, sub.not_traffic, sub.rejected) == ("cowrie", 1, 3, 0)
    assert stored(user) == [(recent, "45.33.17.9", 51234, "100.70.4.2", 2222, "tcp")]
