"""A user's data: the export (everything of theirs, nothing of anyone else's,
streamed) and the deletion of the account with all of it."""

import csv
import io
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from incidents import partitions
from incidents.models import Event, FilteredDay, FilterRule, InboundMail, PortDay, SourceDay, Submission
from portal.models import ApiToken, OwnedNetwork, User
from reports.models import AbuseReport, NetworkContact
from tests.factories import PASSWORD, UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db(transaction=True)


def export(client) -> dict[str, list[list[str]]]:
    response = client.get(reverse("account-export"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: list(csv.reader(io.TextIOWrapper(archive.open(name), "utf-8"))) for name in archive.namelist()}


def log_for(recent, src="203.0.113.5", ports=(22, 23)) -> str:
    return "".join(iptables_line(recent - timedelta(seconds=i), src=src, dpt=p) for i, p in enumerate(ports))


def test_export_holds_everything_of_the_user_and_nothing_else(client, submit, recent):
    user, other = UserFactory(), UserFactory()
    OwnedNetwork.objects.create(user=user, cidr="198.51.100.0/24", note='=HYPERLINK("http://x")')
    token, key = ApiToken.issue(user, "router cron")
    FilterRule.objects.create(user=user, kind=FilterRule.Kind.PORT, port_from=8080, reason="my proxy")
    submit(user, text=log_for(recent) + iptables_line(recent, src="10.0.0.1"), name="fw.log")
    submit(other, text=log_for(recent, src="203.0.113.99"), name="others.log")
    client.force_login(user)

    files = export(client)

    assert set(files) == {
        "profile.csv", "networks.csv", "isp_servers.csv", "tokens.csv", "submissions.csv", "rules.csv", "events.csv",
    }  # fmt: skip
    assert ["email", user.email] in files["profile.csv"]
    # A cell a spreadsheet would run as a formula is kept as text.
    assert files["networks.csv"][1] == ["198.51.100.0/24", '\'=HYPERLINK("http://x")']
    assert files["tokens.csv"][1][:2] == ["router cron", token.prefix]
    assert key not in str(files) and token.digest not in str(files)
    submissions = files["submissions.csv"]
    assert [row[3] for row in submissions[1:]] == ["fw.log"]
    header = submissions[0]
    assert submissions[1][header.index("accepted")] == "2"
    assert submissions[1][header.index("filtered")] == "1"
    assert files["rules.csv"][1][files["rules.csv"][0].index("reason")] == "my proxy"
    events = files["events.csv"]
    assert events[0][:5] == ["time", "source_ip", "source_port", "target_ip", "target_port"]
    assert len(events) - 1 == Event.objects.filter(reporter=user).count() == 3
    assert {row[1] for row in events[1:]} == {"203.0.113.5", "10.0.0.1"}
    assert "203.0.113.99" not in str(files) and "others.log" not in str(files)


def test_a_large_export_is_streamed_not_held_in_memory(client, settings):
    user = UserFactory()
    submission = Submission.objects.create(user=user, status=Submission.Status.DONE)
    day = timezone.now().date()
    partitions.ensure([day])
    rows = 200_000
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO incidents_event (reporter_id, time, submission_id, source_ip, source_port, target_ip, "
            "target_port, protocol, tcp_flags, count, filter_reason) "
            "SELECT %s, %s::date + n * interval '0.1 second', %s, '203.0.113.7', 40000, '198.51.100.1', n %% 65535, "
            "'tcp', 'S', 1, '' FROM generate_series(1, %s) AS n",
            [user.pk, day, submission.pk, rows],
        )
    client.force_login(user)
    response = client.get(reverse("account-export"))

    tracemalloc.start()
    size = chunks = 0
    try:
        for chunk in response.streaming_content:
            size += len(chunk)
            chunks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        with connection.cursor() as cur:  # the event table is not flushed between tests
            cur.execute("DELETE FROM incidents_event WHERE reporter_id = %s", [user.pk])
    # Some 18 MB of CSV (compressed to ``size``) passes through; no more than a few blocks at a time.
    assert chunks > 5
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while streaming {size / 1e6:.1f} MB"


def port_days() -> dict:
    return {(p.day, p.protocol, p.target_port): p.events for p in PortDay.objects.all()}


def port_days_from_events(*users) -> dict:
    """What the port rollup should say: the kept events of these users (the
    event table is not flushed between tests; other tests' reporters differ)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (time AT TIME ZONE 'UTC')::date, protocol, coalesce(target_port, -1), sum(count) "
            "FROM incidents_event WHERE filter_reason = '' AND reporter_id = ANY(%s) GROUP BY 1, 2, 3",
            [[u.pk for u in users]],
        )
        return {(d, p, t): n for d, p, t, n in cur.fetchall()}


def test_deleting_the_account_removes_all_of_it_and_corrects_the_portal_counts(client, submit, recent):
    leaving, staying = UserFactory(), UserFactory()
    OwnedNetwork.objects.create(user=leaving, cidr="198.51.100.0/24")
    ApiToken.issue(leaving, "cron")
    FilterRule.objects.create(user=leaving, kind=FilterRule.Kind.PORT, port_from=25, reason="mail")
    shared = submit(leaving, text=log_for(recent, ports=(22, 23, 25)) + iptables_line(recent, src="10.1.1.1"))
    submit(leaving, text=log_for(recent - timedelta(days=3), ports=(80,)))
    submit(staying, text=log_for(recent, ports=(22, 443)))
    raw_files = [Path(s.raw.path) for s in Submission.objects.filter(user=leaving)]
    contact = NetworkContact.objects.create(asn=64501, abuse_emails=["abuse@example.org"])
    report = AbuseReport.objects.create(source_ip="203.0.113.5", contact=contact, state=AbuseReport.State.SENT)
    mail = InboundMail.objects.create(digest="d" * 64, user=leaving, outcome=InboundMail.Outcome.ACCEPTED)
    assert port_days() == port_days_from_events(leaving, staying)
    staying_events = Event.objects.filter(reporter=staying).count()
    client.force_login(leaving)

    wrong = client.post(reverse("account-delete"), {"password": "not-my-password"})
    assert wrong.status_code == 400
    assert b"That is not your password." in wrong.content
    assert User.objects.filter(pk=leaving.pk).exists()

    response = client.post(reverse("account-delete"), {"password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert b"Your account is deleted" in response.content
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert not Event.objects.filter(reporter_id=leaving.pk).exists()
    assert not SourceDay.objects.filter(reporter_id=leaving.pk).exists()
    assert not FilteredDay.objects.filter(reporter_id=leaving.pk).exists()
    assert not Submission.objects.filter(pk=shared.pk).exists()
    assert not FilterRule.objects.filter(user_id=leaving.pk).exists()
    assert not ApiToken.objects.filter(user_id=leaving.pk).exists()
    assert not OwnedNetwork.objects.filter(user_id=leaving.pk).exists()
    assert not any(path.exists() for path in raw_files)
    # The portal-wide counts are what the remaining events say, and no empty rows linger.
    assert port_days() == port_days_from_events(leaving, staying)
    assert all(n > 0 for n in port_days().values())
    assert Event.objects.filter(reporter=staying).count() == staying_events
    # Sent reports stay; the ledger keeps the mail without the user.
    assert AbuseReport.objects.filter(pk=report.pk).exists()
    mail.refresh_from_db()
    assert mail.user is None


def test_the_confirmation_page_explains_and_asks_for_the_password(client):
    client.force_login(UserFactory())
    page = client.get(reverse("account-delete")).content.decode()
    assert 'type="password"' in page
    assert "Reports already sent to network owners stay" in page
    assert reverse("account-export") in page
