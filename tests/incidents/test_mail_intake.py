import gzip
import io
import zipfile
from email.message import EmailMessage

import pytest
from django.core import mail

from incidents.mail_intake import receive_mail
from incidents.models import InboundMail, RejectionNotice, Submission
from incidents.tasks import ingest_submission
from portal import outbox
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.incidents.conftest import mail_message as message

pytestmark = pytest.mark.django_db


def test_log_in_the_body_becomes_a_mail_submission(recent):
    user = UserFactory()
    outcome = receive_mail(message(user, body=iptables_line(recent) * 2))
    assert outcome.status == "accepted"
    (submission,) = outcome.submissions
    assert (submission.channel, submission.reply_to, submission.user) == ("mail", user.email, user)
    assert InboundMail.objects.get().submissions.get() == submission
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    assert (submission.status, submission.accepted, submission.duplicate) == ("done", 1, 1)


def test_token_on_the_subject_line_works_too(recent):
    user = UserFactory()
    raw = message(user, to="submit@localhost", subject=f"logs {user.submit_token}", body=iptables_line(recent))
    assert receive_mail(raw).status == "accepted"


def test_attachments_text_gzip_and_zip_each_become_a_submission(recent):
    user = UserFactory()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("fw.log", iptables_line(recent, dpt=80))
    attachments = [
        ("fw.log", iptables_line(recent, dpt=22).encode()),
        ("fw.log.gz", gzip.compress(iptables_line(recent, dpt=23).encode())),
        ("fw.zip", packed.getvalue()),
    ]
    outcome = receive_mail(message(user, body="nightly logs attached\n", attachments=attachments))
    names = sorted(s.name for s in outcome.submissions)
    assert names == ["firewall log", "fw.log", "fw.log.gz", "fw.zip"]  # the body's line is a log too
    for submission in outcome.submissions:
        ingest_submission(submission.pk)
    accepted = dict(Submission.objects.filter(user=user).values_list("name", "accepted"))
    assert (accepted["fw.log"], accepted["fw.log.gz"], accepted["fw.zip"]) == (1, 1, 1)


def test_any_charset_is_read(recent):
    user = UserFactory()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = user.email, user.submit_address, "Protokoll"
    msg.set_content("Grüße vom Router\n" + iptables_line(recent), charset="iso-8859-1", cte="quoted-printable")
    (submission,) = receive_mail(msg.as_bytes()).submissions
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.accepted == 1


def test_unknown_sender_gets_one_polite_rejection_a_day(recent):
    user = UserFactory()
    stranger = "someone@elsewhere.example"
    first = receive_mail(message(user, sender=stranger, body=iptables_line(recent)))
    second = receive_mail(message(user, sender=stranger, subject="again", body=iptables_line(recent)))
    assert first.status == second.status == "rejected"
    assert not Submission.objects.exists()
    assert outbox.deliver() == 1
    assert len(mail.outbox) == 1
    reply = mail.outbox[0]
    assert reply.to == [stranger]
    assert reply.extra_headers["Auto-Submitted"] == "auto-replied"
    assert "valid submission token from a known sender" in reply.body
    assert RejectionNotice.objects.count() == 1


def test_wrong_token_creates_nothing(recent):
    user = UserFactory()
    assert receive_mail(message(user, to="submit+0123456789abcdef@localhost", body=iptables_line(recent))).status == (
        "rejected"
    )
    assert not Submission.objects.exists()


def test_html_only_mail_is_refused_with_the_reason(recent):
    user = UserFactory()
    outcome = receive_mail(message(user, html=f"<pre>{iptables_line(recent)}</pre>"))
    assert (outcome.status, outcome.reason) == (
        "rejected",
        "it is HTML only; send the log as plain text or as an attachment",
    )
    outbox.deliver()
    assert "HTML only" in mail.outbox[0].body


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Return_Path": "<>"},
    ],
)
def test_automated_mail_is_never_answered(headers):
    user = UserFactory()
    outcome = receive_mail(message(user, sender="nobody@example.org", body="x\n", **headers))
    assert outcome.status == "ignored"
    assert mail.outbox == []


def test_mail_from_ourselves_is_ignored(settings):
    user = UserFactory()
    outcome = receive_mail(message(user, sender=settings.DEFAULT_FROM_EMAIL, body="loop?\n"))
    assert outcome.status == "ignored"
    assert mail.outbox == []


def test_oversized_message_and_attachment_are_refused(settings, recent):
    user = UserFactory()
    settings.MAIL_MAX_ATTACHMENT_BYTES = 1024
    outcome = receive_mail(message(user, body="see attached\n", attachments=[("big.log", b"x" * 2048)]))
    assert outcome.status == "rejected" and "larger than" in outcome.reason
    settings.MAIL_MAX_BYTES = 2000
    outcome = receive_mail(message(user, subject="huge", body=iptables_line(recent) * 20))
    assert outcome.status == "rejected" and "message is larger than" in outcome.reason
    assert not Submission.objects.exists()


def test_the_same_message_twice_is_processed_once(recent):
    user = UserFactory()
    raw = message(user, body=iptables_line(recent))
    assert receive_mail(raw).status == "accepted"
    assert receive_mail(raw).status == "duplicate"
    assert Submission.objects.count() == 1


def test_confirmation_after_processing_once_and_only_when_wanted(recent):
    user = UserFactory()
    (submission,) = receive_mail(message(user, body=iptables_line(recent) + "junk line\n")).submissions
    ingest_submission(submission.pk)
    ingest_submission(submission.pk)  # a retried task must not mail twice
    assert outbox.deliver() == 1
    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert confirmation.to == [user.email]
    assert "Accepted: 1" in confirmation.body
    assert f"/submissions/{submission.pk}/" in confirmation.body

    user.mail_confirmations = False
    user.save()
    (quiet,) = receive_mail(message(user, subject="second", body=iptables_line(recent, dpt=25))).submissions
    ingest_submission(quiet.pk)
    assert outbox.deliver() == 0
    assert len(mail.outbox) == 1


def test_the_confirmation_counts_each_kind_and_warns_when_most_lines_were_rejected(recent):
    user = UserFactory()
    body = iptables_line(recent, prefix="[UFW ALLOW] ") + "junk line\n" + iptables_line(recent, src="1.2.3.999") * 3
    (submission,) = receive_mail(message(user, body=body)).submissions
    ingest_submission(submission.pk)
    assert outbox.deliver() == 1
    text = mail.outbox[0].body
    assert "Allowed traffic: 1\nNot traffic records: 1\nRejected or unrecognised: 3\n" in text
    assert "Most lines were rejected or not recognised" in text


def test_a_confirmation_whose_task_was_lost_is_sent_by_the_sweep(recent):
    from incidents import ingest
    from incidents.mail_intake import confirm_finished

    user = UserFactory()
    (submission,) = receive_mail(message(user, body=iptables_line(recent))).submissions
    ingest.ingest_submission(submission.pk)  # done, then the task died before confirming
    assert confirm_finished() == 0  # just finished: its task may still confirm
    assert confirm_finished(older_than_minutes=0) == 1
    assert confirm_finished(older_than_minutes=0) == 0
    assert outbox.deliver() == 1
    assert "Accepted: 1" in mail.outbox[0].body
