import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from incidents.models import SourceDay
from portal import outbox
from reports import bulk, bulk_formats
from reports.models import AbuseReport, BulkArrangement, BulkReport, NetworkContact, SuspiciousPort
from reports.selectors import personal_sources
from tests.factories import UserFactory
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

# A Wednesday: the last full day is Tuesday 7 May, the last full ISO week 29 April to 5 May.
NOW = datetime(2024, 5, 8, 3, 0, tzinfo=UTC)
DAY = date(2024, 5, 7)
SOURCE = "45.33.32.156"


@pytest.fixture
def contact():
    # Known by its ASN only: what it covers comes from the arrangement.
    return NetworkContact.objects.create(asn=63949, organisation="LINODE", abuse_emails=["abuse@linode.example"])


@pytest.fixture
def arrangement(contact):
    return BulkArrangement.objects.create(contact=contact, netblocks=["45.33.0.0/17"], threshold=3)


@pytest.fixture
def reporters():
    """Four independent reporters."""
    return list(vouch(*(UserFactory() for _ in range(4))))


@pytest.fixture
def seen_by(reporters):
    """Make ``count`` reporters see ``src`` on ``port`` on ``day`` (the rollup rows ingestion writes)."""

    def _seen(count=3, port=22, day=DAY, src=SOURCE, hour=10, events=2):
        # Seeded by a data migration, but a transactional test's flush empties it.
        SuspiciousPort.objects.get_or_create(protocol="tcp", port=22)
        SuspiciousPort.objects.get_or_create(protocol="tcp", port=3389)
        for i, user in enumerate(reporters[:count]):
            start = datetime(day.year, day.month, day.day, hour, i, tzinfo=UTC)
            SourceDay.objects.create(
                day=day,
                source_ip=src,
                reporter=user,
                protocol="tcp",
                target_port=port,
                events=events,
                target_ips=[f"198.51.{100 + i}.7"],
                first_seen=start,
                last_seen=start + timedelta(minutes=30),
            )

    return _seen


def sources(arrangement, start=datetime(2024, 5, 7, tzinfo=UTC), end=datetime(2024, 5, 8, tzinfo=UTC)):
    return [(r.source_ip, r.reporters, r.events, r.ports) for r in bulk.qualifying_sources(arrangement, start, end)]


# --------------------------------------------------------------------- periods


def test_due_periods_daily_weekly_and_first_run(arrangement, contact):
    weekly = BulkArrangement.objects.create(contact=contact, cadence="weekly")
    BulkArrangement.objects.create(contact=contact, active=False)
    due = {a.pk: (start, end) for a, start, end in bulk.due(NOW)}
    assert due == {
        arrangement.pk: (datetime(2024, 5, 7, tzinfo=UTC), datetime(2024, 5, 8, tzinfo=UTC)),
        weekly.pk: (datetime(2024, 4, 29, tzinfo=UTC), datetime(2024, 5, 6, tzinfo=UTC)),
    }
    # Covered: nothing due until the next period is over.
    arrangement.covered_until = datetime(2024, 5, 8, tzinfo=UTC)
    arrangement.save()
    weekly.covered_until = datetime(2024, 5, 6, tzinfo=UTC)
    weekly.save()
    assert bulk.due(NOW) == []
    assert [a.pk for a, *_ in bulk.due(datetime(2024, 5, 9, 0, 0, tzinfo=UTC))] == [arrangement.pk]
    assert [(a.pk, s, e) for a, s, e in bulk.due(datetime(2024, 5, 13, 0, 1, tzinfo=UTC)) if a.pk == weekly.pk] == [
        (weekly.pk, datetime(2024, 5, 6, tzinfo=UTC), datetime(2024, 5, 13, tzinfo=UTC))
    ]
    # Behind: the period starts where the last one ended.
    arrangement.covered_until = datetime(2024, 5, 5, tzinfo=UTC)
    arrangement.save()
    assert [(s, e) for a, s, e in bulk.due(NOW) if a.pk == arrangement.pk] == [
        (datetime(2024, 5, 5, tzinfo=UTC), datetime(2024, 5, 6, tzinfo=UTC))
    ]


# --------------------------------------------------------------------- sources


def test_qualifying_sources_by_netblock(arrangement, seen_by):
    seen_by()
    seen_by(src="45.33.200.1")  # outside 45.33.0.0/17
    seen_by(src="45.33.32.157", port=443)  # not a suspicious port
    seen_by(src="45.33.32.158", day=date(2024, 5, 6))  # the day before the period
    seen_by(src="45.33.32.159", port=3389, count=4, events=1)
    assert sources(arrangement) == [(SOURCE, 3, 6, ["tcp/22"]), ("45.33.32.159", 4, 4, ["tcp/3389"])]
    row = bulk.qualifying_sources(arrangement, datetime(2024, 5, 7, tzinfo=UTC), datetime(2024, 5, 8, tzinfo=UTC))[0]
    assert row.first_seen == datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
    assert row.last_seen == datetime(2024, 5, 7, 10, 32, tzinfo=UTC)


def test_qualifying_sources_by_asn_of_the_learned_contact(contact, seen_by):
    arrangement = BulkArrangement.objects.create(contact=contact, asns=[64500])
    NetworkContact.objects.create(
        netblock="203.0.113.0/24", asn=64500, source=NetworkContact.Source.RDAP, abuse_emails=["a@b.example"]
    )
    NetworkContact.objects.create(netblock="198.51.100.0/24", asn=64501, source=NetworkContact.Source.RDAP)
    seen_by(src="203.0.113.9")
    seen_by(src="198.51.100.9")
    seen_by(src=SOURCE)
    # 64500 by the arrangement; the contact's own ASN (63949) learned for no network yet.
    assert sources(arrangement) == [("203.0.113.9", 3, 6, ["tcp/22"])]
    NetworkContact.objects.create(netblock="45.33.0.0/17", asn=63949, source=NetworkContact.Source.RDAP)
    assert sources(arrangement) == [(SOURCE, 3, 6, ["tcp/22"]), ("203.0.113.9", 3, 6, ["tcp/22"])]  # by address


def test_threshold_of_independent_reporters(arrangement, seen_by, settings):
    seen_by(count=2)
    assert sources(arrangement) == []
    seen_by(count=2, port=3389)  # the same reporters on another port: still two
    assert sources(arrangement) == []
    arrangement.threshold = 2
    assert sources(arrangement) == []  # below TRUST_MIN_NETWORKS, which holds
    settings.TRUST_MIN_NETWORKS = 2
    assert sources(arrangement) == [(SOURCE, 2, 8, ["tcp/22", "tcp/3389"])]


# --------------------------------------------------------------------- formats


@pytest.fixture
def rows(settings):
    settings.SITE_URL, settings.SITE_NAME = "https://portal.example.org", "Incident Portal"
    settings.FIGHTBACK_REPLY_ADDRESS = "abuse-replies@portal.example.org"
    return [
        bulk_formats.Row(
            "203.0.113.9", datetime(2024, 5, 7, 8, 0, 5, tzinfo=UTC), datetime(2024, 5, 7, 9, 30, tzinfo=UTC),
            ["tcp/22"], 3, 12, "tok1",
        ),
        bulk_formats.Row(
            "2001:db8::1", datetime(2024, 5, 7, 1, 2, 3, tzinfo=UTC), datetime(2024, 5, 7, 23, 59, 59, tzinfo=UTC),
            ["tcp/22", "tcp/3389"], 12, 40, "tok2",
        ),
    ]  # fmt: skip


def test_text_table_exactly(rows):
    assert bulk_formats.render_text(rows) == (
        "Source       First seen (UTC)     Last seen (UTC)      Ports            Reporters  Link\n"
        "203.0.113.9  2024-05-07 08:00:05  2024-05-07 09:30:00  tcp/22           3          "
        "https://portal.example.org/r/tok1/\n"
        "2001:db8::1  2024-05-07 01:02:03  2024-05-07 23:59:59  tcp/22,tcp/3389  12         "
        "https://portal.example.org/r/tok2/\n"
    )


def test_csv_exactly(rows):
    assert bulk_formats.render_csv(rows) == (
        "source,first_seen_utc,last_seen_utc,ports,reporters,events,link\r\n"
        "203.0.113.9,2024-05-07T08:00:05Z,2024-05-07T09:30:00Z,tcp/22,3,12,https://portal.example.org/r/tok1/\r\n"
        "2001:db8::1,2024-05-07T01:02:03Z,2024-05-07T23:59:59Z,tcp/22 tcp/3389,12,40,"
        "https://portal.example.org/r/tok2/\r\n"
    )
    assert bulk_formats.render_csv([]) == "source,first_seen_utc,last_seen_utc,ports,reporters,events,link\r\n"


def test_xarf_exactly(rows):
    common = {"Reported-From": "abuse-replies@portal.example.org", "Category": "abuse"}
    expected = [
        {
            **common,
            "Report-Type": "login-attack",
            "Report-ID": "tok1",
            "User-Agent": "Incident Portal",
            "Date": "Tue, 07 May 2024 08:00:05 +0000",
            "Source": "203.0.113.9",
            "Source-Type": "ip-address",
            "Attachment": "none",
            "Occurrences": 12,
            "Reporters": 3,
            "Last-Seen": "Tue, 07 May 2024 09:30:00 +0000",
            "Ports": ["tcp/22"],
            "Link": "https://portal.example.org/r/tok1/",
            "Port": 22,
            "Protocol": "tcp",
        },
        {
            **common,
            "Report-Type": "port-scan",
            "Report-ID": "tok2",
            "User-Agent": "Incident Portal",
            "Date": "Tue, 07 May 2024 01:02:03 +0000",
            "Source": "2001:db8::1",
            "Source-Type": "ip-address",
            "Attachment": "none",
            "Occurrences": 40,
            "Reporters": 12,
            "Last-Seen": "Tue, 07 May 2024 23:59:59 +0000",
            "Ports": ["tcp/22", "tcp/3389"],
            "Link": "https://portal.example.org/r/tok2/",
        },
    ]
    output = bulk_formats.render_xarf(rows)
    assert output == json.dumps(expected, indent=2) + "\n"
    assert output.startswith('[\n  {\n    "Reported-From": "abuse-replies@portal.example.org",\n')
    assert "198.51." not in output  # no target, not even masked


# --------------------------------------------------------------------- sending


def test_sends_once_even_when_run_twice(arrangement, seen_by, settings):
    settings.SITE_URL, settings.SITE_NAME = "https://portal.example.org", "Incident Portal"
    seen_by()
    (made,) = bulk.run(NOW)
    assert bulk.run(NOW) == []
    assert bulk.summarise(arrangement, made.period_start, made.period_end, NOW) is None  # the unique guard
    assert outbox.deliver() == 1
    assert BulkReport.objects.count() == 1 and len(mail.outbox) == 1
    arrangement.refresh_from_db()
    assert arrangement.covered_until == datetime(2024, 5, 8, tzinfo=UTC)
    made.refresh_from_db()
    assert made.sources == 1 and made.sent_at == NOW
    report = AbuseReport.objects.get()
    assert (report.state, report.sent_at, report.contact, report.reporters) == ("bulk", NOW, arrangement.contact, 3)
    message = mail.outbox[0]
    assert message.to == ["abuse@linode.example"] and message.attachments == []
    assert message.subject == "Bulk security report for LINODE: 1 source, 2024-05-07"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert (
        message.body
        == made.body
        == (
            "Hello,\n\n"
            "This is the daily summary Incident Portal sends LINODE under your bulk arrangement: the sources in your "
            "networks that at least 3 independent reporters saw trying to connect to ports where such attempts matter "
            "(remote shells, file sharing, databases, remote desktops) between 2024-05-07 00:00 and 2024-05-08 00:00 "
            "UTC.\n\n"
            "1 sources, 6 attempts in all. Each link leads to the live record of the source, including anything "
            "reported after this mail. Destination addresses are never listed.\n\n"
            "Source        First seen (UTC)     Last seen (UTC)      Ports   Reporters  Link\n"
            f"45.33.32.156  2024-05-07 10:00:00  2024-05-07 10:32:00  tcp/22  3          "
            f"https://portal.example.org/r/{report.token}/\n\n"
            "Replies to this message reach us and are read. To change the format, the period or the addresses, "
            "just reply.\n\n"
            "-- \nIncident Portal\nhttps://portal.example.org\n"
        )
    )


def test_reuses_a_recent_report_and_shows_as_forwarded(arrangement, seen_by, reporters):
    seen_by()
    earlier = AbuseReport.objects.create(source_ip=SOURCE, contact=arrangement.contact, state="sent", sent_at=NOW)
    bulk.run(NOW)
    outbox.deliver()
    assert list(AbuseReport.objects.all()) == [earlier]
    assert f"/r/{earlier.token}/" in mail.outbox[0].body
    AbuseReport.objects.all().delete()
    BulkReport.objects.all().delete()
    BulkArrangement.objects.filter(pk=arrangement.pk).update(covered_until=None)
    bulk.run(NOW)
    new = AbuseReport.objects.get()
    assert new.state == "bulk" and new.token != earlier.token
    # The personal report shows the source as forwarded (it looks back from today: move the rows there).
    today = datetime.now(UTC).date()
    SourceDay.objects.filter(source_ip=SOURCE).update(day=today)
    (row,) = personal_sources(reporters[0], 1)
    assert row.forwarded_at == NOW


def test_an_empty_period_is_recorded_and_sends_nothing(arrangement, seen_by):
    seen_by(count=1)  # below the threshold
    (made,) = bulk.run(NOW)
    assert (made.sources, made.body, made.sent_at) == (0, "", None)
    assert outbox.deliver() == 0 and mail.outbox == [] and not AbuseReport.objects.exists()
    arrangement.refresh_from_db()
    assert arrangement.covered_until == datetime(2024, 5, 8, tzinfo=UTC)


def test_download_only_sends_no_mail(arrangement, seen_by):
    arrangement.send_mail = False
    arrangement.save()
    seen_by()
    (made,) = bulk.run(NOW)
    assert outbox.deliver() == 0
    assert made.sources == 1 and made.sent_at is None and mail.outbox == []


def test_catches_up_on_missed_periods_one_report_each(arrangement, seen_by):
    arrangement.covered_until = datetime(2024, 5, 5, tzinfo=UTC)
    arrangement.save()
    seen_by(day=date(2024, 5, 5))
    seen_by(day=date(2024, 5, 7))
    made = bulk.run(NOW)
    assert [(m.period_start.day, m.sources) for m in made] == [(5, 1), (6, 0), (7, 1)]
    assert outbox.deliver() == 2
    assert len(mail.outbox) == 2


def test_csv_and_xarf_go_as_attachments(arrangement, seen_by):
    seen_by()
    arrangement.format = "csv"
    arrangement.recipients = ["noc@linode.example", "soc@linode.example"]
    arrangement.save()
    bulk.run(NOW)
    outbox.deliver()
    message = mail.outbox[0]
    assert message.to == ["noc@linode.example", "soc@linode.example"]
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("bulk-2024-05-07.csv", "text/csv")
    assert content.splitlines()[1].startswith(f"{SOURCE},2024-05-07T10:00:00Z,2024-05-07T10:32:00Z,tcp/22,3,6,")
    assert "The list is attached as bulk-2024-05-07.csv. Sources by port: tcp/22 (1)." in message.body
    arrangement.format = "xarf"
    arrangement.covered_until = None
    arrangement.save()
    BulkReport.objects.all().delete()
    bulk.run(NOW)
    outbox.deliver()
    ((name, content, mimetype),) = mail.outbox[1].attachments
    assert (name, mimetype) == ("bulk-2024-05-07.json", "application/json")
    assert [r["Source"] for r in json.loads(content)] == [SOURCE]


def test_delivered_over_smtp(arrangement, seen_by, smtp_server, smtp_mail_settings):
    arrangement.format = "csv"
    arrangement.save()
    seen_by()
    bulk.run(NOW)
    assert outbox.deliver() == 1
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["abuse@linode.example"]
    message = received.message
    assert message["Subject"] == "Bulk security report for LINODE: 1 source, 2024-05-07"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",)).get_content()
    assert "1 sources, 6 attempts in all" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "bulk-2024-05-07.csv"
    assert attachment.get_content().startswith("source,first_seen_utc,")


# --------------------------------------------------------------------- admin


def test_preview_changes_nothing(arrangement, seen_by, admin_client, client):
    arrangement.covered_until = datetime(2024, 5, 7, tzinfo=UTC)
    arrangement.save()
    seen_by()
    page = admin_client.get(f"/admin/reports/bulkarrangement/{arrangement.pk}/preview/")
    assert page.status_code == 200
    preview = page.context["preview"]
    assert (preview.start, preview.end, preview.to) == (
        datetime(2024, 5, 7, tzinfo=UTC),
        datetime(2024, 5, 8, tzinfo=UTC),
        ["abuse@linode.example"],
    )
    assert [r.source_ip for r in preview.rows] == [SOURCE]
    assert SOURCE.encode() in page.content and b"Bulk security report for LINODE: 1 source" in page.content
    assert not BulkReport.objects.exists() and not AbuseReport.objects.exists() and mail.outbox == []
    arrangement.refresh_from_db()
    assert arrangement.covered_until == datetime(2024, 5, 7, tzinfo=UTC)
    change = admin_client.get(f"/admin/reports/bulkarrangement/{arrangement.pk}/change/")
    assert b"Preview next summary" in change.content
    client.force_login(UserFactory())
    assert client.get(f"/admin/reports/bulkarrangement/{arrangement.pk}/preview/").status_code == 302


def test_admin_resends_the_stored_summary(arrangement, seen_by, admin_client):
    seen_by()
    (made,) = bulk.run(NOW)
    BulkReport.objects.filter(pk=made.pk).update(body="The text as it was sent.\n")
    response = admin_client.post(
        "/admin/reports/bulkreport/", {"action": "resend", "_selected_action": [made.pk]}, follow=True
    )
    assert b"Resent 1 summaries." in response.content
    assert outbox.deliver() == 2  # the first summary and, as a new message, its resend
    assert len(mail.outbox) == 2
    assert mail.outbox[1].body == "The text as it was sent.\n"
    assert mail.outbox[1].subject == mail.outbox[0].subject
    assert BulkReport.objects.count() == 1 and AbuseReport.objects.count() == 1
    assert admin_client.get(f"/admin/reports/bulkarrangement/{arrangement.pk}/change/").status_code == 200


# --------------------------------------------------------------------- download


def test_download_by_token(arrangement, seen_by, client, contact, settings):
    settings.SITE_URL = "https://portal.example.org"
    url = f"/bulk/{arrangement.download_token}/latest"
    assert client.get(f"{url}.csv").status_code == 404  # nothing summarised yet
    seen_by()
    bulk.run(NOW)
    token = AbuseReport.objects.get().token
    response = client.get(f"{url}.csv")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode() == (
        "source,first_seen_utc,last_seen_utc,ports,reporters,events,link\r\n"
        f"{SOURCE},2024-05-07T10:00:00Z,2024-05-07T10:32:00Z,tcp/22,3,6,https://portal.example.org/r/{token}/\r\n"
    )
    text = client.get(f"{url}.txt")
    assert text["Content-Type"] == "text/plain; charset=utf-8" and f"/r/{token}/" in text.content.decode()
    assert [r["Source"] for r in client.get(f"{url}.json").json()] == [SOURCE]
    # The latest period wins.
    bulk.run(datetime(2024, 5, 9, 1, tzinfo=UTC))
    assert client.get(f"{url}.csv").content.count(b"\r\n") == 1  # 8 May: nobody seen, header only
    other = BulkArrangement.objects.create(contact=contact)
    assert client.get(f"/bulk/{other.download_token}/latest.csv").status_code == 404
    assert client.get("/bulk/not-a-token/latest.csv").status_code == 404
    assert client.get(f"{url}.exe").status_code == 404
