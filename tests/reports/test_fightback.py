import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from portal import outbox
from reports import fightback
from reports.models import AbuseReport, NetworkContact, SuspiciousPort
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db
SOURCE = "45.33.32.156"


@pytest.fixture(autouse=True)
def _no_first_contact_review(settings):
    # The rules after an admin's approval of a first contact; that review is test_fightback_review's.
    settings.TRUST_REVIEW_FIRST_CONTACT = False


@pytest.fixture
def contact():
    return NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", abuse_emails=["abuse@linode.example"]
    )


@pytest.fixture
def seen_by(submit, recent):
    """Make ``count`` independent reporters (the first ``opted`` of them opted in) see SOURCE on ``port``."""

    def _seen(count=3, opted=1, port=22, when=None, src=SOURCE):
        # Seeded by a data migration, but a transactional test's flush empties it.
        SuspiciousPort.objects.get_or_create(protocol="tcp", port=22)
        users = []
        for i in range(count):
            user = UserFactory(forwarding_opt_in=i < opted)
            submit(user, text=iptables_line(when or recent, src=src, dst=f"198.51.{100 + i}.{7 + i}", dpt=port))
            users.append(user)
        return vouch(*users)

    return _seen


def decisions():
    return {d.candidate.source_ip: d.action for d in fightback.plan()}


def test_a_source_meeting_every_rule_is_sent(seen_by, contact):
    seen_by()
    assert decisions() == {SOURCE: "send"}


def test_not_on_a_suspicious_port(seen_by, contact):
    seen_by(port=443)
    assert decisions() == {}
    SuspiciousPort.objects.create(protocol="tcp", port=443, note="admin added")
    assert decisions() == {SOURCE: "send"}


def test_too_few_reporters(seen_by, contact, settings):
    settings.FIGHTBACK_MIN_REPORTERS = 4
    seen_by(count=3)
    assert decisions() == {}
    settings.FIGHTBACK_MIN_REPORTERS = 3
    assert decisions() == {SOURCE: "send"}


def test_nobody_opted_in(seen_by, contact):
    seen_by(opted=0)
    assert decisions() == {}


def test_older_than_72_hours_is_not_reported(seen_by, contact, recent):
    seen_by(when=recent - timedelta(hours=80))
    assert decisions() == {}


def test_filtered_events_do_not_count(seen_by, contact):
    seen_by(src="10.20.30.40")  # private space: filtered at ingestion, so never in the rollups
    assert decisions() == {}


def test_quiet_period_per_contact_and_source(seen_by, contact):
    seen_by()
    report = AbuseReport.objects.create(source_ip=SOURCE, contact=contact, state="sent")
    assert decisions() == {SOURCE: "reported recently"}
    AbuseReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert decisions() == {SOURCE: "send"}


def test_unknown_contact_waits_for_a_lookup_and_do_not_contact_is_honoured(seen_by, contact):
    seen_by()
    contact.delete()
    assert decisions() == {SOURCE: "lookup"}
    NetworkContact.objects.create(
        netblock="45.33.0.0/16",
        organisation="L",
        abuse_emails=["a@x.example"],
        preference=NetworkContact.Preference.DO_NOT_CONTACT,
    )
    assert decisions() == {SOURCE: "do not contact"}


def test_masking():
    assert fightback.mask("198.51.100.77", 1) == "198.51.100.0"
    assert fightback.mask("198.51.100.77", 2) == "198.51.0.0"
    assert fightback.mask("2001:db8:1:2::77") == "2001:db8::"


def test_run_creates_one_report_and_sends_one_plain_polite_mail(seen_by, contact, django_capture_on_commit_callbacks):
    users = seen_by(count=3, opted=2)
    with django_capture_on_commit_callbacks() as queued:
        (report,) = fightback.run()
    assert len(queued) == 1
    assert fightback.run() == []  # quiet period: the next run makes none
    fightback.send(report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert fightback.send(report.pk) is False  # sent once, whatever retries
    assert mail.outbox == []  # queued in the outbox, delivered by its task
    assert outbox.deliver() == 3  # the abuse mail and two reporters' notices
    assert outbox.deliver() == 0
    report.refresh_from_db()
    assert report.state == "sent" and report.sent_at is not None
    abuse = [m for m in mail.outbox if m.to == ["abuse@linode.example"]]
    assert len(abuse) == 1
    message = abuse[0]
    assert message.subject == f"Security issue - Source IP: {SOURCE}"
    assert message.attachments == [] and message.content_subtype == "plain"
    assert message.reply_to == [f"abuse-replies+{report.token}@localhost"]
    body = message.body
    assert "3 independent reporters" in body and "tcp/22" in body and "UTC" in body
    assert f"/r/{report.token}/" in body
    for i in range(len(users)):  # destinations are masked: no reporter's address in the mail
        assert f"198.51.{100 + i}.{7 + i}" not in body
    assert "198.51.0.0:22" in body


def test_opted_in_reporters_get_a_notice(seen_by, contact):
    users = seen_by(count=3, opted=2)
    (report,) = fightback.run()
    fightback.send(report.pk)
    outbox.deliver()
    noticed = sorted(m.to[0] for m in mail.outbox if m.to != ["abuse@linode.example"])
    assert noticed == sorted(u.email for u in users[:2])


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_one_report(seen_by, contact):
    seen_by()
    results = []

    def one_run():
        try:
            results.append(len(fightback.run()))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [0, 1]
    assert AbuseReport.objects.count() == 1


def test_admin_previews_the_next_run_without_sending(seen_by, contact, admin_client, client):
    seen_by()
    page = admin_client.get("/admin/reports/abusereport/preview/")
    assert page.status_code == 200
    assert [(d.candidate.source_ip, d.action) for d in page.context["decisions"]] == [(SOURCE, "send")]
    assert not AbuseReport.objects.exists() and mail.outbox == []
    assert b"Preview next run" in admin_client.get("/admin/reports/abusereport/").content
    client.force_login(UserFactory())
    assert client.get("/admin/reports/abusereport/preview/").status_code == 302


def test_the_mail_text_exactly(seen_by, contact, recent, settings):
    settings.SITE_NAME, settings.SITE_URL = "Incident Portal", "https://portal.example.org"
    seen_by(count=3, opted=1, when=recent)
    (report,) = fightback.run()
    message = fightback.compose(report)
    stamp = f"{recent:%Y-%m-%d %H:%M:%S}"
    samples = "\n".join(f"{stamp}  tcp  {SOURCE}:51234 -> 198.51.0.0:22  flags S" for _ in range(3))
    assert message.body == (
        "Hello,\n\n"
        "We run Incident Portal, a community service where people who operate firewalls share the connection "
        f"attempts their firewalls blocked. Your network is listed as responsible for {SOURCE} (LINODE).\n\n"
        f"Between {recent:%Y-%m-%d %H:%M} and {recent:%Y-%m-%d %H:%M} UTC, 3 independent reporters saw this "
        "address try to connect to their systems (3 attempts in all), on: tcp/22.\n\n"
        "This often means the machine is infected or misconfigured, and its owner may not know. We would be "
        "grateful if you could look into it. If it is a scanner that is meant to do this, please tell us and we "
        "will not report it again.\n\n"
        "A sample of the attempts (times in UTC, destination addresses masked):\n\n"
        f"{samples}\n\n"
        "The live record of this address, including anything reported after this mail:\n"
        f"https://portal.example.org/r/{report.token}/\n\n"
        "Replies to this message reach us and are read. We send you at most one report about this address in "
        "30 days.\n\n"
        "-- \nIncident Portal\nhttps://portal.example.org\n"
    )
    assert message.subject == f"Security issue - Source IP: {SOURCE}"
    assert message.to == ["abuse@linode.example"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_report_whose_send_task_was_lost_is_sent_by_the_next_run(seen_by, contact):
    seen_by()
    (report,) = fightback.run()  # its send task never ran
    assert fightback.send_stalled() == 0  # too recent: its task may still come
    AbuseReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert fightback.send_stalled() == 1
    assert fightback.send_stalled() == 0
    report.refresh_from_db()
    assert report.state == "sent"
    assert outbox.deliver() == 2  # the abuse mail and the opted-in reporter's notice
