"""FightBack counts independent reporters only: what invented accounts can
no longer make the portal tell a network (the replays of the attacks), and
the figures a mail and its notices give."""

import pytest
from django.core import mail
from django.utils import timezone

from incidents.trust.models import KnownNetwork, ReporterStanding
from portal import outbox
from reports import fightback
from reports.models import AbuseReport, NetworkContact
from tests.reports.conftest import SOURCE
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db
GOOGLE_DNS = "8.8.8.8"


@pytest.fixture
def google():
    return NetworkContact.objects.create(
        netblock="8.8.8.0/24", organisation="Google LLC", abuse_emails=["network-abuse@google.com"]
    )


def candidates():
    return {c.source_ip: (c.reporters, c.events) for c in fightback.candidates()}


def test_three_fresh_accounts_cannot_make_the_portal_mail_google(sightings, google):
    """The replay: three new accounts, one invented line each on port 22,
    one opted in, made the portal mail network-abuse@google.com about
    8.8.8.8 ("3 independent reporters ... 14400002 attempts")."""
    sightings(counts=(4800000, 4800001, 4800001), src=GOOGLE_DNS)
    assert fightback.plan() == []
    assert fightback.run() == []
    outbox.deliver()
    assert not AbuseReport.objects.exists()
    assert mail.outbox == []


def test_accounts_on_one_network_count_once(sightings, linode):
    users = sightings()
    vouch(*users, group=users[0].pk)
    assert candidates() == {}
    vouch(users[2])  # its own network now
    assert candidates() == {}  # two networks
    vouch(users[1])
    assert candidates() == {SOURCE: (3, 3)}


@pytest.mark.parametrize("kind", [KnownNetwork.Kind.NEVER_LIST, KnownNetwork.Kind.SCANNER])
def test_a_known_network_is_never_a_candidate_whoever_saw_it(sightings, google, kind, ordinary_google):
    vouch(*sightings(src=GOOGLE_DNS))
    assert candidates() == {GOOGLE_DNS: (3, 3)}
    KnownNetwork.objects.create(network="8.8.8.0/24", kind=kind, name="Google Public DNS")
    assert candidates() == {}
    assert fightback.run() == [] and not AbuseReport.objects.exists()


def test_the_opted_in_reporter_must_itself_count(sightings, linode):
    vouch(*sightings(opted=0))
    (opted,) = sightings(counts=(1,), opted=1)
    assert candidates() == {}
    vouch(opted)
    (candidate,) = fightback.candidates()
    assert (candidate.reporters, candidate.opted_in) == (4, [opted.pk])


def test_never_fewer_than_trust_min_networks(sightings, linode, settings):
    settings.FIGHTBACK_MIN_REPORTERS = 1
    vouch(*sightings(counts=(1, 1)))
    assert candidates() == {}  # TRUST_MIN_NETWORKS is 3
    settings.TRUST_MIN_NETWORKS = 2
    assert candidates() == {SOURCE: (2, 2)}


def test_a_suspended_reporters_rows_leave_the_count(sightings, linode):
    users = vouch(*sightings(counts=(1, 2, 3, 4)))
    assert candidates() == {SOURCE: (4, 10)}
    ReporterStanding.objects.filter(reporter=users[3]).update(
        counts=False, suspended_at=timezone.now(), suspended_reason="invented lines"
    )
    assert candidates() == {SOURCE: (3, 6)}
    ReporterStanding.objects.filter(reporter=users[2]).update(counts=False, suspended_at=timezone.now())
    assert candidates() == {}


def test_the_mail_and_notices_give_the_counting_figures_only(sightings, linode, settings):
    settings.TRUST_REVIEW_FIRST_CONTACT = False
    counting = vouch(*sightings(counts=(1, 1, 1), opted=1))
    # An account that does not count, opted in, claiming millions of attempts on another port.
    (fresh,) = sightings(counts=(14400000,), opted=1, dpt=3389)
    (report,) = fightback.run()
    assert (report.reporters, report.events) == (3, 3)
    fightback.send(report.pk)
    assert outbox.deliver() == 2  # the abuse mail and the one counting opted-in reporter's notice
    (abuse,) = [m for m in mail.outbox if m.to == ["abuse@linode.example"]]
    assert "3 independent reporters saw this address" in abuse.body
    assert "(3 attempts in all), on: tcp/22.\n" in abuse.body
    assert "3389" not in abuse.body and "14400" not in abuse.body
    (notice,) = [m for m in mail.outbox if m.to != ["abuse@linode.example"]]
    assert notice.to == [counting[0].email] and fresh.email not in notice.to
    assert "seen by 3 independent reporters" in notice.body


@pytest.fixture
def ordinary_google(db):
    """Here Google's resolver stands for any address: that it is never
    mailed about is the known-network tests' subject, not this one's."""
    from incidents.trust.models import KnownNetwork

    KnownNetwork.objects.filter(network__net_overlaps="8.8.8.0/24").delete()
