"""The first abuse mail to a contact waits for an admin: approved, it goes
out through the usual send path and the outbox to a real SMTP server;
rejected, it never goes and the source is not put to the admin again."""

import pytest
from django.core import mail

from portal import outbox
from reports import fightback, tasks
from reports.models import AbuseReport
from tests.factories import UserFactory
from tests.reports.conftest import SOURCE
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/reports/abusereport/"


@pytest.fixture
def seen_by(sightings):
    """Three independent reporters (the first opted in) see ``src`` on tcp/22."""
    return lambda src=SOURCE: vouch(*sightings(src=src))


def decisions():
    return {d.candidate.source_ip: d.action for d in fightback.plan()}


def act(admin_client, action, report):
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": [report.pk]}, follow=True)


def test_the_first_mail_waits_and_once_approved_goes_out_over_smtp(
    seen_by, linode, admin_client, admin_user, smtp_server, smtp_mail_settings, django_capture_on_commit_callbacks
):
    users = seen_by()
    assert decisions() == {SOURCE: fightback.Action.REVIEW}
    with django_capture_on_commit_callbacks() as queued:
        (report,) = fightback.run()
    assert queued == [] and report.state == AbuseReport.State.AWAITING_APPROVAL
    assert fightback.run() == [] and decisions() == {SOURCE: fightback.Action.AWAITING_APPROVAL}
    assert fightback.send(report.pk) is False  # a stray send task cannot send it
    assert fightback.send_stalled(older_than_minutes=0) == 0
    assert outbox.deliver() == 0

    waiting = admin_client.get(CHANGELIST, {"state__exact": "awaiting"})
    assert list(waiting.context["cl"].result_list) == [report]
    assert b"Awaiting approval" in waiting.content

    with django_capture_on_commit_callbacks() as queued:
        page = act(admin_client, "approve", report)
    assert b"Approved 1 reports" in page.content
    assert len(queued) == 1  # the send task
    report.refresh_from_db()
    assert (report.state, report.reviewed_by) == (AbuseReport.State.QUEUED, admin_user)
    assert report.reviewed_at is not None
    assert tasks.send_abuse_report(report.pk) is True  # what the worker does with it
    assert outbox.deliver() == 2  # the abuse mail and the opted-in reporter's notice
    received = {tuple(m.recipients): m.message for m in smtp_server.wait_for(2)}
    assert set(received) == {("abuse@linode.example",), (users[0].email,)}
    abuse = received[("abuse@linode.example",)]
    assert abuse["Subject"] == f"Security issue - Source IP: {SOURCE}"
    assert "3 independent reporters" in abuse.get_body(("plain",)).get_content()
    report.refresh_from_db()
    assert report.state == AbuseReport.State.SENT

    # Approving again does nothing; the contact has now heard from us, so the next source goes at once.
    page = act(admin_client, "approve", report)
    assert b"Approved 0 reports" in page.content and b"not awaiting approval" in page.content
    seen_by(src="45.33.32.157")
    assert decisions()["45.33.32.157"] == fightback.Action.SEND


def test_a_rejected_first_mail_is_never_sent_and_is_not_asked_again(seen_by, linode, admin_client, admin_user):
    seen_by()
    (report,) = fightback.run()
    page = act(admin_client, "reject", report)
    assert b"Rejected 1 reports" in page.content
    report.refresh_from_db()
    assert (report.state, report.reviewed_by) == (AbuseReport.State.REJECTED, admin_user)
    assert fightback.send(report.pk) is False
    assert fightback.run() == [] and decisions() == {SOURCE: fightback.Action.REPORTED_RECENTLY}
    assert act(admin_client, "approve", report).status_code == 200
    report.refresh_from_db()
    assert report.state == AbuseReport.State.REJECTED  # a rejected report cannot be approved later
    assert outbox.deliver() == 0 and mail.outbox == []


def test_what_counts_as_an_earlier_contact(seen_by, linode):
    seen_by()
    other = AbuseReport.objects.create(source_ip="45.33.32.9", contact=linode, state=AbuseReport.State.FAILED)
    assert decisions() == {SOURCE: fightback.Action.REVIEW}  # a bounced mail reached nobody
    AbuseReport.objects.filter(pk=other.pk).update(state=AbuseReport.State.REJECTED)
    assert decisions() == {SOURCE: fightback.Action.REVIEW}
    AbuseReport.objects.filter(pk=other.pk).update(state=AbuseReport.State.IN_BULK)
    assert decisions() == {SOURCE: fightback.Action.SEND}
    AbuseReport.objects.filter(pk=other.pk).update(state=AbuseReport.State.SENT)
    assert decisions() == {SOURCE: fightback.Action.SEND}


def test_review_off_sends_the_first_mail_at_once(seen_by, linode, settings):
    settings.TRUST_REVIEW_FIRST_CONTACT = False
    seen_by()
    (report,) = fightback.run()
    assert report.state == AbuseReport.State.QUEUED


def test_the_preview_says_a_first_mail_waits(seen_by, linode, admin_client):
    seen_by()
    page = admin_client.get(f"{CHANGELIST}preview/")
    assert b"First mail to this contact: an admin approves it first" in page.content
    assert not AbuseReport.objects.exists()


def test_only_staff_can_approve(seen_by, linode, client):
    seen_by()
    (report,) = fightback.run()
    client.force_login(UserFactory())
    assert act(client, "approve", report).redirect_chain[0][0].startswith("/admin/login/")
    report.refresh_from_db()
    assert report.state == AbuseReport.State.AWAITING_APPROVAL
