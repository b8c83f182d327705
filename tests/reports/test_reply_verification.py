"""A reply to an abuse report is the desk's answer only when verified: from
the contact's abuse address or domain and, where our MTA's
Authentication-Results are trusted (MAIL_AUTHSERV_ID), authenticated for
that domain. Anyone who got a notice has the reply address, so the others
are kept, shown as unverified, and never counted."""

import importlib
from email.message import EmailMessage

import pytest
from django.apps import apps
from django.utils import timezone

from incidents.mail_intake import receive_mail
from reports import stats
from reports.models import AbuseReport, AbuseResponse, NetworkContact

pytestmark = pytest.mark.django_db
SOURCE = "45.33.32.156"
OUR_MTA = "mx.portal.example"


@pytest.fixture
def report(linode):
    return AbuseReport.objects.create(
        source_ip=SOURCE, contact=linode, state="sent", sent_at=timezone.now(), sent_to="abuse@linode.example"
    )


def reply(report, sender, *results, body="Thanks, the machine is cleaned. No need to report it again."):
    """A reply as it reaches the intake, with ``results`` as Authentication-Results headers, topmost first."""
    msg = EmailMessage()
    for value in results:
        msg["Authentication-Results"] = value
    msg["From"] = sender
    msg["To"] = f"abuse-replies+{report.token}@localhost"
    msg["Subject"] = "Re: Security issue - Source IP: 45.33.32.156"
    msg.set_content(body)
    return msg


def received(report, sender, *results) -> AbuseResponse:
    assert receive_mail(reply(report, sender, *results).as_bytes()).status == "response"
    return report.responses.latest("pk")


def rates():
    (row,) = stats.network_rates()
    return row.answered, row.by_people


def test_a_forged_reply_is_kept_unverified_and_never_counted(report, admin_client):
    """The replay: a reporter who got the notice writes to the reply address
    as the abuse desk; it was recorded as the desk's human answer."""
    forged = received(report, "Linode Abuse <reporter@evil.example>")
    assert (forged.kind, forged.verified) == ("human", False)
    assert forged.verification == "From reporter@evil.example is neither the contact's abuse address nor at its domain"
    assert rates() == (0, 0)
    page = admin_client.get(f"/admin/reports/abusereport/{report.pk}/change/").content.decode()
    assert "neither the contact&#x27;s abuse address nor at its domain" in page
    assert 'alt="False"' in page  # the verified column


def test_a_reply_from_the_desk_is_verified_and_counted(report):
    by_domain = received(report, "Jane at Linode <jane@linode.example>")
    assert (by_domain.verified, by_domain.verification) == (True, "From jane@linode.example is at the contact's domain")
    assert rates() == (1, 1)
    by_address = received(report, "abuse@LINODE.example")
    assert (by_address.verified, by_address.verification) == (
        True,
        "From abuse@linode.example is the contact's abuse address",
    )


def test_headers_are_ignored_without_a_trusted_authserv_id(report):
    response = received(report, "jane@linode.example", f"{OUR_MTA}; dkim=fail header.d=linode.example; spf=fail")
    assert response.verified  # anyone can write the header: without MAIL_AUTHSERV_ID it says nothing


def test_only_one_from_address(report):
    response = received(report, "jane@linode.example, reporter@evil.example")
    assert (response.verified, response.verification) == (False, "not exactly one From address")


def test_a_free_mail_domain_proves_nothing(report, linode):
    linode.abuse_emails = ["smallisp.abuse@gmail.com"]
    linode.save()
    assert not received(report, "anyone@gmail.com").verified
    assert received(report, "smallisp.abuse@gmail.com").verified


DKIM_PASS = f"{OUR_MTA}; dkim=pass header.d=linode.example header.i=@linode.example"
NOT_OURS = "not authenticated by our MTA"


@pytest.mark.parametrize(
    ("results", "verified", "why"),
    [
        ((), False, NOT_OURS),
        ((DKIM_PASS,), True, "dkim pass for linode.example"),
        (
            (f"{OUR_MTA} 1; spf=pass smtp.mailfrom=bounces@mail.linode.example",),
            True,
            "spf pass for mail.linode.example",
        ),
        (("MX.Portal.Example; dkim=pass header.d=linode.example",), True, "dkim pass for linode.example"),
        ((f"{OUR_MTA}; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example",), False, NOT_OURS),
        (
            (f"{OUR_MTA}; dkim=fail header.d=linode.example; spf=softfail smtp.mailfrom=linode.example",),
            False,
            NOT_OURS,
        ),
        ((f"{OUR_MTA}; dkim=neutral header.d=linode.example (body hash)",), False, NOT_OURS),
        (("mx.elsewhere.example; dkim=pass header.d=linode.example",), False, NOT_OURS),
        # The sender wrote a passing one in our name; ours, on top, says otherwise (or cannot be read).
        ((f"{OUR_MTA}; spf=fail smtp.mailfrom=linode.example", DKIM_PASS), False, NOT_OURS),
        ((f"{OUR_MTA}; this is ; not = valid (", DKIM_PASS), False, NOT_OURS),
    ],
)
def test_a_trusted_authentication_results_must_pass_for_the_domain(report, settings, results, verified, why):
    settings.MAIL_AUTHSERV_ID = OUR_MTA
    response = received(report, "abuse@linode.example", *results)
    assert response.verified is verified
    assert response.verification.startswith("From abuse@linode.example is the contact's abuse address; ")
    assert why in response.verification
    assert rates() == ((1, 1) if verified else (0, 0))


def test_earlier_responses_are_checked_by_their_sender(report, linode):
    rows = {
        sender: AbuseResponse.objects.create(report=report, kind="human", sender=sender, verified=True)
        for sender in ("jane@linode.example", "reporter@evil.example", "")
    }
    migration = importlib.import_module("reports.migrations.0008_fightback_trust")
    migration.mark_earlier_responses(apps, None)
    verified = {s: AbuseResponse.objects.get(pk=r.pk).verified for s, r in rows.items()}
    assert verified == {"jane@linode.example": True, "reporter@evil.example": False, "": False}
    assert AbuseResponse.objects.get(pk=rows[""].pk).verification.startswith("recorded before replies were verified")


def test_a_contact_without_that_domain(report):
    NetworkContact.objects.filter(pk=report.contact_id).update(abuse_emails=["abuse@other.example"])
    report.refresh_from_db()
    assert not received(report, "jane@linode.example").verified
