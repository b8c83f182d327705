from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

WORM = "45.33.32.156"
LONER = "45.33.32.157"
SPLIT = "45.33.32.158"


@pytest.fixture
def three_reporters(submit, recent):
    """A, B and C, independent reporters who count, all see WORM on port 22;
    only A sees LONER; SPLIT hits A on 22 and B on 80."""
    a, b, c = vouch(UserFactory(), UserFactory(), UserFactory())
    submit(
        a,
        text=iptables_line(recent, src=WORM, dst="198.51.100.1") * 1
        + iptables_line(recent, src=LONER)
        + iptables_line(recent - timedelta(seconds=5), src=WORM, dst="198.51.100.1", spt=40000)
        + iptables_line(recent, src=SPLIT, dpt=22),
    )
    submit(b, text=iptables_line(recent, src=WORM, dst="192.0.2.10") + iptables_line(recent, src=SPLIT, dpt=80))
    submit(c, text=iptables_line(recent, src=WORM, dst="192.0.2.99"))
    return a, b, c


def rows_by_source(response):
    return {row.source_ip: row for row in response.context["sources"]}


def test_report_counts_other_reporters_on_the_same_ports(client, three_reporters):
    a, _, _ = three_reporters
    client.force_login(a)
    response = client.get(reverse("home"))
    rows = rows_by_source(response)
    assert (rows[WORM].events, rows[WORM].others_same_ports, rows[WORM].label) == (2, 2, "seen by a few")
    assert (rows[LONER].others_same_ports, rows[LONER].label) == (0, "seen only by you")
    assert (rows[SPLIT].others_same_ports, rows[SPLIT].others_any_port) == (0, 1)
    assert list(rows) == [WORM, LONER, SPLIT]  # ranked by events, then address
    assert response.context["source_count"] == 3


def test_others_are_independent_reporters_who_count(client, submit, recent, three_reporters):
    """Accounts of no standing add nothing to "others", nor do the user's own
    colleagues on one network; the user still sees every source of theirs."""
    a, b, c = three_reporters
    strangers = [UserFactory() for _ in range(4)]  # new accounts: no standing yet
    for n, stranger in enumerate(strangers):
        submit(stranger, text=iptables_line(recent, src=LONER, dst=f"203.0.113.{n + 1}"))
    colleague = UserFactory()
    vouch(a, colleague, group=a.pk)  # A's network: one independent reporter
    submit(colleague, text=iptables_line(recent, src=LONER, dst="198.51.100.9"))
    submit(colleague, text=iptables_line(recent, src=WORM, dst="198.51.100.9", spt=3))
    vouch(c, group=b.pk)  # B and C: one network

    client.force_login(a)
    rows = rows_by_source(client.get(reverse("home")))
    assert (rows[LONER].others_same_ports, rows[LONER].others_any_port, rows[LONER].label) == (0, 0, "seen only by you")
    assert (rows[WORM].others_same_ports, rows[WORM].others_any_port) == (1, 1)  # B and C as one
    assert list(rows) == [WORM, LONER, SPLIT]

    client.force_login(strangers[0])  # no standing: still its own report, with others counted as for anyone
    (row,) = client.get(reverse("home")).context["sources"]
    assert (row.source_ip, row.others_same_ports) == (LONER, 1)  # A and the colleague: one network


def test_widespread_threshold_is_a_setting(client, three_reporters, settings):
    settings.REPORT_WIDESPREAD_REPORTERS = 2
    client.force_login(three_reporters[0])
    assert rows_by_source(client.get(reverse("home")))[WORM].label == "widespread"


def test_single_unshared_packet_is_marked_low_confidence(client, three_reporters):
    client.force_login(three_reporters[0])
    rows = rows_by_source(client.get(reverse("home")))
    assert rows[LONER].low_confidence
    assert not rows[WORM].low_confidence


def test_window_limits_what_is_counted(client, submit, recent):
    user = UserFactory()
    submit(user, text=iptables_line(recent - timedelta(days=4), src=LONER))
    client.force_login(user)
    assert client.get(reverse("home"), {"days": 1}).context["source_count"] == 0
    assert client.get(reverse("home"), {"days": 7}).context["source_count"] == 1
    assert client.get(reverse("home"), {"days": 999}).context["days"] == 7  # unknown windows fall back


def test_first_and_last_seen_are_portal_wide_to_the_hour_once_k_saw_it(client, submit, recent):
    a, b, c = vouch(UserFactory(), UserFactory(), UserFactory())
    submit(a, text=iptables_line(recent, src=WORM))
    submit(
        b,
        text=iptables_line(recent - timedelta(hours=3), src=WORM)
        + iptables_line(recent + timedelta(minutes=5), src=WORM, spt=1),
    )
    client.force_login(a)
    row = rows_by_source(client.get(reverse("home")))[WORM]
    # Two reporters: the other's times would say when that one looked; the user sees its own.
    assert (row.first_seen, row.last_seen) == (recent, recent)
    assert (row.portal_first_seen, row.portal_last_seen) == (recent, recent)
    submit(c, text=iptables_line(recent, src=WORM))
    row = rows_by_source(client.get(reverse("home")))[WORM]
    hour = timedelta(hours=1)
    first, last = recent - timedelta(hours=3), recent + timedelta(minutes=5)
    assert (row.portal_first_seen, row.portal_last_seen) == (
        first.replace(minute=0, second=0),
        last.replace(minute=0, second=0),
    )
    assert row.portal_last_seen <= last < row.portal_last_seen + hour


def test_source_page_shows_own_lines_and_no_other_reporters_addresses(client, three_reporters):
    a, _, _ = three_reporters
    client.force_login(a)
    response = client.get(reverse("report-source", args=[WORM]))
    page = response.content.decode()
    assert response.context["detail"].reporters == 3
    assert len(response.context["detail"].my_lines) == 2
    assert "198.51.100.1" in page  # A's own target
    assert "192.0.2.10" not in page and "192.0.2.99" not in page  # B's and C's
    assert "<svg" in page


def test_source_page_rejects_non_addresses(client):
    client.force_login(UserFactory())
    assert client.get(reverse("report-source", args=["not-an-ip"])).status_code == 404


def test_port_view_compares_with_the_portal(client, three_reporters):
    a, _, _ = three_reporters
    client.force_login(a)
    rows = client.get(reverse("report-ports")).context["rows"]
    assert [(proto, port, mine, portal) for proto, port, mine, _, portal in rows] == [("tcp", 22, 4, 6)]


def test_report_pages_need_sign_in(client):
    for url in (reverse("report-ports"), reverse("report-filtered"), reverse("report-source", args=[WORM])):
        assert client.get(url).status_code == 302


def test_network_owner_and_country_where_known(client, three_reporters):
    from reports.models import NetworkContact

    NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", country="US", source="rdap", abuse_emails=["a@example.net"]
    )
    NetworkContact.objects.create(netblock="45.33.32.158/32", organisation="Hand-kept", source="admin")
    client.force_login(three_reporters[0])
    rows = rows_by_source(client.get(reverse("home")))
    assert (rows[WORM].network_owner, rows[WORM].country) == ("LINODE", "US")
    assert rows[SPLIT].network_owner == "Hand-kept"  # the admin's word first


def test_forwarded_sources_show_when(client, three_reporters):
    from django.utils import timezone

    from reports.models import AbuseReport, NetworkContact

    contact = NetworkContact.objects.create(netblock="45.33.0.0/17", organisation="LINODE")
    sent = timezone.now().replace(microsecond=0)
    AbuseReport.objects.create(source_ip=WORM, contact=contact, state=AbuseReport.State.SENT, sent_at=sent)
    AbuseReport.objects.create(source_ip=LONER, contact=contact, state=AbuseReport.State.QUEUED)
    client.force_login(three_reporters[0])
    rows = rows_by_source(client.get(reverse("home")))
    assert rows[WORM].forwarded_at == sent
    assert rows[LONER].forwarded_at is None  # queued is not forwarded yet
