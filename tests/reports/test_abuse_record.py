"""The public live record behind the coded link in an abuse mail."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

WORM = "45.33.32.156"
QUIET = "45.33.32.157"
TARGETS = {"a": "198.51.100.1", "b": "192.0.2.10", "b2": "192.0.2.11", "c": "192.0.2.99", "d": "198.51.100.50"}


@pytest.fixture
def sent():
    """When the report went out: noon UTC three days ago, so whole days lie
    before and after it and every event is in the past."""
    return (datetime.now(UTC) - timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)


def report_for(source, sent_at, **fields):
    from reports.models import AbuseReport, NetworkContact

    contact = NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", country="US", abuse_emails=["abuse@linode.example"]
    )
    return AbuseReport.objects.create(
        source_ip=source, contact=contact, state=AbuseReport.State.SENT, sent_at=sent_at, **fields
    )


def filter_port_for(user, port):
    from incidents.models import FilterRule

    FilterRule.objects.create(user=user, kind=FilterRule.Kind.PORT, port_from=port, reason="my own probe")


@pytest.fixture
def scanned(submit, sent):
    """WORM hits A two days before the report and C an hour before it; B
    twice after it; D after it too, but D filters that port out."""
    a, b, c, d = vouch(*(UserFactory() for _ in range(4)))
    filter_port_for(d, 23)
    submit(a, text=iptables_line(sent - timedelta(days=2), src=WORM, dst=TARGETS["a"], dpt=22))
    submit(
        b,
        text=iptables_line(sent + timedelta(days=1), src=WORM, dst=TARGETS["b"], dpt=22)
        + iptables_line(sent + timedelta(days=2), src=WORM, dst=TARGETS["b2"], dpt=80),
    )
    submit(c, text=iptables_line(sent - timedelta(hours=1), src=WORM, dst=TARGETS["c"], dpt=23))
    submit(d, text=iptables_line(sent + timedelta(days=1), src=WORM, dst=TARGETS["d"], dpt=23))
    return a, b, c, d


def get_record(client, report):
    return client.get(reverse("abuse-record", args=[report.token]))


def test_valid_token_shows_the_aggregates(client, scanned, sent):
    report = report_for(WORM, sent, events=2, reporters=2)
    response = get_record(client, report)
    assert response.status_code == 200
    record = response.context["record"]
    assert (record.source_ip, record.network, record.country, record.sent_at) == (WORM, "LINODE", "US", sent)
    assert (record.events, record.reporters) == (3 + 1, 3)  # A, B twice, C; D's event is filtered
    assert record.ports == [("tcp", 22, 2, 2), ("tcp", 23, 1, 1), ("tcp", 80, 1, 1)]
    assert (record.first_seen, record.last_seen) == (sent - timedelta(days=2), sent + timedelta(days=2))
    assert [(day, events, reporters) for day, events, reporters in record.days] == [
        ((sent - timedelta(days=2)).date(), 1, 1),
        (sent.date(), 1, 1),
        ((sent + timedelta(days=1)).date(), 1, 1),
        ((sent + timedelta(days=2)).date(), 1, 1),
    ]
    page = response.content.decode()
    assert f'<code data-testid="source">{WORM}</code>' in page
    assert "LINODE (US)" in page
    assert f"{sent:%Y-%m-%d %H:%M:%S} UTC" in page
    assert 'data-testid="timeline"' in page and 'data-testid="reporters-timeline"' in page


def test_events_after_the_report_count_as_since_and_earlier_ones_do_not(client, scanned, sent):
    response = get_record(client, report_for(WORM, sent))
    record = response.context["record"]
    assert (record.since_events, record.since_events_exact, record.since_reporters) == (2, True, 1)  # only B
    assert record.since_last == sent + timedelta(days=2)
    page = " ".join(response.content.decode().split())
    assert "Since the report:</strong> 2 events from 1 reporter, last at" in page
    assert f"{sent + timedelta(days=2):%Y-%m-%d %H:%M:%S} UTC" in page


def test_chart_marks_the_days_after_the_report(client, scanned, sent):
    response = get_record(client, report_for(WORM, sent))
    bars = {bar["day"]: bar for bar in response.context["chart"]["bars"]}
    assert not bars[(sent - timedelta(days=2)).date()]["after"]
    assert not bars[sent.date()]["after"] and bars[sent.date()]["sent_day"]
    assert bars[(sent + timedelta(days=1)).date()]["after"]
    assert bars[(sent + timedelta(days=2)).date()]["after"]
    chart = response.context["chart"]
    step = chart["width"] / len(chart["bars"])
    assert chart["sent_x"] == round((29 - 3 + 0.5) * step, 1)  # noon of the day three days ago
    page = response.content.decode()
    assert page.count('class="after-report"') == 3  # the two days after, and today
    assert 'data-testid="sent-marker"' in page


def test_accounts_that_do_not_count_add_nothing_to_the_record(client, submit, sent):
    (counted,) = vouch(UserFactory())
    fresh = UserFactory()  # no standing: within probation
    for user, port in ((counted, 22), (fresh, 23)):
        submit(user, text=iptables_line(sent + timedelta(hours=1), src=WORM, dpt=port))
    record = get_record(client, report_for(WORM, sent)).context["record"]
    assert (record.events, record.reporters, [p[:2] for p in record.ports]) == (1, 1, [("tcp", 22)])


def test_a_day_split_by_the_report_gives_a_lower_bound(client, submit, sent):
    (reporter,) = vouch(UserFactory())
    submit(
        reporter,
        text=iptables_line(sent - timedelta(hours=1), src=WORM)
        + iptables_line(sent + timedelta(hours=1), src=WORM, spt=40000)
        + iptables_line(sent + timedelta(hours=2), src=WORM, spt=40001),
    )
    response = get_record(client, report_for(WORM, sent))
    record = response.context["record"]
    # One rollup row holds all three: only "some of it after" is known.
    assert (record.since_events, record.since_events_exact, record.since_reporters) == (1, False, 1)
    assert record.since_last == sent + timedelta(hours=2)
    assert "at least 1 event from 1 reporter" in " ".join(response.content.decode().split())


def test_nothing_since_the_report(client, submit, sent):
    submit(vouch(UserFactory())[0], text=iptables_line(sent - timedelta(days=1), src=QUIET))
    response = get_record(client, report_for(QUIET, sent))
    record = response.context["record"]
    assert (record.since_events, record.since_reporters, record.since_last) == (0, 0, None)
    assert record.events == 1
    assert "Since the report:</strong> nothing." in response.content.decode()


def test_filtered_events_do_not_count(client, submit, sent):
    kept, filtering = vouch(UserFactory(), UserFactory())
    filter_port_for(filtering, 23)
    submit(kept, text=iptables_line(sent - timedelta(days=1), src=WORM, dpt=22))
    submit(filtering, text=iptables_line(sent + timedelta(days=1), src=WORM, dpt=23))
    record = get_record(client, report_for(WORM, sent)).context["record"]
    assert (record.events, record.reporters, record.ports) == (1, 1, [("tcp", 22, 1, 1)])
    assert (record.since_events, record.since_reporters) == (0, 0)
    assert record.last_seen == sent - timedelta(days=1)


def test_no_target_addresses_and_no_reporters(client, scanned, sent):
    page = get_record(client, report_for(WORM, sent)).content.decode()
    assert "LINODE" in page  # the page did render the record
    for target in TARGETS.values():
        assert target not in page
    for reporter in scanned:
        assert reporter.email not in page
    assert "abuse@linode.example" not in page


def test_no_sign_in_needed_and_not_kept_anywhere(client, scanned, sent):
    response = get_record(client, report_for(WORM, sent))
    assert response.status_code == 200  # not a redirect to the sign-in page
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_times_are_utc_even_for_a_signed_in_viewer(client, scanned, sent):
    viewer = UserFactory()
    viewer.timezone = "Asia/Tokyo"
    viewer.save()
    client.force_login(viewer)
    page = get_record(client, report_for(WORM, sent)).content.decode()
    assert f"{sent:%Y-%m-%d %H:%M:%S} UTC" in page
    assert f"{sent + timedelta(hours=9):%Y-%m-%d %H:%M}" not in page


def test_unknown_token_is_an_ordinary_404(client, scanned, sent):
    report = report_for(WORM, sent)
    missing = client.get("/no-such-page/")
    for token in ("no-such-token", report.token[:-1], report.token + "x"):
        response = client.get(reverse("abuse-record", args=[token]))
        assert response.status_code == 404
        assert response.content == missing.content


def test_footer_says_utc_even_to_a_signed_in_user_in_another_zone(client):
    from reports.models import AbuseReport, NetworkContact

    contact = NetworkContact.objects.create(netblock="45.33.0.0/17", organisation="LINODE")
    report = AbuseReport.objects.create(source_ip="45.33.32.156", contact=contact, state="queued")
    client.force_login(UserFactory(timezone="Asia/Tokyo"))
    page = client.get(f"/r/{report.token}/").content.decode()
    assert "Times on this page are in UTC." in page
    assert "Times are shown in Asia/Tokyo" not in page
