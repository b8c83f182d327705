from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core import mail
from django.utils import timezone

from incidents.mail_intake import receive_mail
from incidents.models import InboundMail
from portal import outbox
from reports import fightback, stats
from reports.models import AbuseReport, AbuseResponse, NetworkContact
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db
SOURCE = "45.33.32.156"


@pytest.fixture
def contact():
    return NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", abuse_emails=["abuse@linode.example", "noc@linode.example"]
    )


@pytest.fixture
def report(contact):
    return AbuseReport.objects.create(
        source_ip=SOURCE, contact=contact, state="sent", sent_at=timezone.now(), sent_to="abuse@linode.example"
    )


def reply(report, *, subject="Re: Security issue", body="Thanks, we have cleaned the machine.", **headers):
    msg = EmailMessage()
    msg["From"] = headers.pop("sender", "Jane at Linode <jane@linode.example>")
    msg["To"] = f"abuse-replies+{report.token}@localhost"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def dsn(report, sender="MAILER-DAEMON@mx.linode.example"):
    """A delivery failure notice, from the failed address's own mail system by default."""
    msg = EmailMessage()
    msg["From"] = f"Mail Delivery System <{sender}>"
    msg["To"] = f"abuse-replies+{report.token}@localhost"
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg.set_content("This is the mail system. The message could not be delivered.")
    status = EmailMessage()
    status.set_content(
        "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; abuse@linode.example\nAction: failed\n"
    )
    msg.make_mixed()
    msg.attach(status)
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    return msg


def test_a_person_answering_is_attached_to_the_report_and_not_answered(report):
    outcome = receive_mail(reply(report).as_bytes())
    assert (outcome.status, outcome.reason) == ("response", "human")
    response = report.responses.get()
    assert (response.kind, response.sender) == ("human", "jane@linode.example")
    assert "cleaned the machine" in response.excerpt
    assert InboundMail.objects.get().outcome == "response"
    assert mail.outbox == []


def test_a_forged_bounce_switches_nothing_off(report, contact):
    """Anyone with the reply address could otherwise stop all mail to a network."""
    receive_mail(dsn(report, sender="MAILER-DAEMON@mx.attacker.example").as_bytes())
    response = report.responses.get()
    assert (response.kind, response.verified) == ("bounce", False)
    report.refresh_from_db()
    contact.refresh_from_db()
    assert report.state != "failed" and contact.failing_emails == []


def test_a_bounce_from_our_own_mail_system_counts(report, contact, settings):
    settings.DEFAULT_FROM_EMAIL = "portal@portal.example"
    receive_mail(dsn(report, sender="MAILER-DAEMON@relay.portal.example").as_bytes())
    contact.refresh_from_db()
    assert contact.failing_emails == ["abuse@linode.example"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"subject": "[Ticket#2026112210000123] Security issue - Source IP: 45.33.32.156"},
        {"subject": "Automatic reply: Security issue"},
    ],
)
def test_acknowledgements_are_automated(report, headers):
    receive_mail(reply(report, **headers).as_bytes())
    assert report.responses.get().kind == "automated"


def test_a_bounce_marks_the_address_failing_and_the_next_run_tries_the_next(report, contact, submit, recent, settings):
    settings.TRUST_REVIEW_FIRST_CONTACT = False  # the only mail it was sent bounced: it would be a first contact
    receive_mail(dsn(report).as_bytes())
    assert report.responses.get().kind == "bounce"
    report.refresh_from_db()
    contact.refresh_from_db()
    assert report.state == "failed"
    assert contact.failing_emails == ["abuse@linode.example"]
    assert contact.working_email == "noc@linode.example"

    for i in range(3):
        user = vouch(UserFactory(forwarding_opt_in=True))[0]
        submit(user, text=iptables_line(recent, src=SOURCE, dst=f"192.0.2.{i}"))
    assert [d.action for d in fightback.plan()] == ["send"]  # a failed report does not hold the quiet period
    (second,) = fightback.run()
    fightback.send(second.pk)
    outbox.deliver()
    second.refresh_from_db()
    assert second.sent_to == "noc@linode.example"
    assert [m.to for m in mail.outbox if "Security issue" in m.subject] == [["noc@linode.example"]]

    contact.failing_emails = contact.abuse_emails
    contact.save()
    AbuseReport.objects.filter(pk=second.pk).update(state="failed")
    assert [d.action for d in fightback.plan()] == ["no working address"]


def test_unknown_report_token_is_ordinary_mail(report):
    msg = reply(report)
    msg.replace_header("To", "abuse-replies+nosuchtoken@localhost")
    assert receive_mail(msg.as_bytes()).status == "rejected"
    assert not AbuseResponse.objects.exists()


def test_response_rates_per_network(report, contact, admin_client, client):
    bounced = AbuseReport.objects.create(
        source_ip="45.33.32.157", contact=contact, state="sent", sent_to="abuse@linode.example"
    )
    receive_mail(reply(report).as_bytes())
    receive_mail(dsn(bounced).as_bytes())
    AbuseReport.objects.filter(pk=report.pk).update(outcome="fixed")
    (rates,) = stats.network_rates()
    assert (rates.network, rates.sent, rates.answered, rates.by_people, rates.bounced, rates.acted) == (
        "LINODE",
        2,
        1,
        1,
        1,
        1,
    )
    assert rates.response_rate == 0.5
    assert b"50%" in admin_client.get("/fightback/").content
    client.force_login(UserFactory())
    assert client.get("/fightback/").status_code == 302  # staff only


def test_persistence_compares_reported_with_never_reported_sources(submit, recent, contact, settings):
    settings.FIGHTBACK_MIN_REPORTERS = 2
    for hours, source in ((2, "45.33.32.10"), (30, "45.33.32.11"), (50, "45.33.32.12")):
        for i in range(2):
            log = iptables_line(recent - timedelta(hours=hours), src=source, dst=f"192.0.2.{i}")
            log += iptables_line(recent, src=source, dst=f"192.0.2.{i}", dpt=23)
            submit(UserFactory(), text=log)
    AbuseReport.objects.create(source_ip="45.33.32.10", contact=contact, state="sent")
    result = stats.persistence()
    assert (result["reported"].sources, result["reported"].median_hours) == (1, 2.0)
    assert (result["never reported"].sources, result["never reported"].median_hours) == (2, 40.0)
    assert dict(result["never reported"].still_active)[24] == 1.0
    assert dict(result["reported"].still_active)[24] == 0.0
