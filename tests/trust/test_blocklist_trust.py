"""What it takes to get a network onto the block list, replayed as an
attacker would try it, and the reviews that keep a human in the loop."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.models import SourceDay
from incidents.trust import standings
from incidents.trust.models import KnownNetwork
from portal import outbox
from portal.models import OutboundMail
from reports import blocklist, listings
from reports.models import ListingReview
from tests.factories import UserFactory

from .conftest import background, dshield_lines

pytestmark = pytest.mark.django_db

TODAY = datetime.now(UTC).date()
WINDOW = [TODAY - timedelta(days=n) for n in (1, 2, 3)]
TARGET = "45.33.32.0/24"


def listed(day=TODAY) -> list[str]:
    return [e.cidr for e in blocklist.ranked_networks(day)]


def attack(reporter, day, source="45.33.32.156", port=22, targets=("100.70.0.1",)):
    at = datetime.combine(day, time(15), tzinfo=UTC)
    SourceDay.objects.create(
        day=day,
        source_ip=source,
        reporter=reporter,
        protocol="tcp",
        target_port=port,
        events=3,
        target_ips=list(targets),
        first_seen=at,
        last_seen=at + timedelta(minutes=1),
    )


@pytest.fixture
def honest(seasoned, refresh):
    """Five seasoned reporters on five networks, with the background every firewall sees."""
    users = [seasoned(n) for n in range(1, 6)]
    for user in users:
        background(user, TODAY - timedelta(days=10))
    refresh()
    return users


def test_one_fresh_account_with_invented_lines_lists_nothing(submit, refresh, settings):
    """The attack: 15,360 DShield lines, 3 sources x 20 ports x 64 targets x
    4 days, each with a count near 2^31, from one new account."""
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    attacker = UserFactory()
    sources = ["8.8.8.8", "1.1.1.1", "13.107.42.14"]
    ports = range(20, 40)
    targets = [f"100.71.0.{n}" for n in range(1, 65)]
    # Four whole past days (noon today may still be ahead): the window and the day before it.
    log = "".join(dshield_lines(day, sources, ports, targets) for day in [*WINDOW, TODAY - timedelta(days=4)])
    sub = submit(attacker, text=log, fmt="dshield")
    assert sub.accepted == 15360
    refresh()
    assert listed() == []
    snapshot = blocklist.build(TODAY)
    assert "1.1.1.0" not in snapshot.files["iptables.rules"]


def test_accounts_within_probation_move_nothing(seasoned, refresh, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    fresh = [seasoned(n, days_old=2) for n in range(1, 6)]
    for user in fresh:
        attack(user, WINDOW[0])
    refresh()
    assert listed() == []


def test_seasoned_reporters_on_one_network_count_once(seasoned, refresh, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    sybils = [seasoned(n, address=f"81.200.1.{n}") for n in range(1, 6)]  # one /24
    others = [seasoned(n) for n in (6, 7)]
    for user in [*sybils, *others]:
        background(user, TODAY - timedelta(days=10))
    refresh()
    for user in sybils:
        attack(user, WINDOW[0])
    assert listed() == []
    attack(others[0], WINDOW[1])
    assert listed() == []  # two networks
    attack(others[1], WINDOW[2])
    assert listed() == [TARGET]  # three
    assert blocklist.ranked_networks(TODAY)[0].reporters == 3


def test_one_reporter_never_outweighs_two(honest, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    settings.TRUST_MIN_NETWORKS = 1
    attack(honest[0], WINDOW[0], source="61.177.172.1", targets=[f"100.70.1.{n}" for n in range(64)])
    attack(honest[1], WINDOW[0], source="185.220.101.4")
    attack(honest[2], WINDOW[0], source="185.220.101.4")
    assert listed()[:2] == ["185.220.101.0/24", "61.177.172.0/24"]


def test_never_listed_whatever_the_reporters(honest, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    KnownNetwork.objects.create(network="8.8.8.8/32", kind="never", name="Google Public DNS", source="test list")
    KnownNetwork.objects.create(network="71.6.135.0/24", kind="scanner", name="Shodan", source="test list")
    for user in honest:
        attack(user, WINDOW[0], source="8.8.8.8")
        attack(user, WINDOW[0], source="8.8.8.77")  # the /24 holds a resolver: listing it would break DNS
        attack(user, WINDOW[0], source="71.6.135.131")
    assert listed() == []
    assert listings.explain("8.8.8.77").status == "never"
    assert "Shodan" in listings.explain("71.6.135.131").summary


def test_suspending_a_reporter_takes_its_weight_out_at_once(honest, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    for user in honest[:3]:
        attack(user, WINDOW[0])
    assert listed() == [TARGET]
    standings.reporter_suspend(reporter_id=honest[0].pk, reason="invented logs")
    assert listed() == []


def test_new_and_sudden_waits_for_an_admin(honest, django_capture_on_commit_callbacks):
    for user in honest[:3]:
        attack(user, WINDOW[0])
    assert listed() == []  # held: new in the list, from nothing to three
    review = ListingReview.objects.get()
    assert (str(review.network), review.kind, review.status) == (TARGET, "hold", "pending")
    assert review.evidence["reporters"] == 3
    assert listings.explain("45.33.32.156").status == "held"
    assert listed() == [] and ListingReview.objects.count() == 1  # held once
    listings.review_decide(review=review, delist=False)
    assert listed() == [TARGET]


def test_a_network_that_grew_steadily_is_not_held(honest):
    attack(honest[0], WINDOW[2])
    attack(honest[1], WINDOW[2])
    attack(honest[2], WINDOW[1])
    attack(honest[3], WINDOW[0])
    # Four now against three a day earlier (the window one day back): not a jump.
    assert listed() == [TARGET]


def test_no_review_on_a_mature_portal(honest, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    for user in honest[:3]:
        attack(user, WINDOW[0])
    assert listed() == [TARGET] and not ListingReview.objects.exists()


def test_an_appeal_delists_for_a_while_unless_new_reporters_come(
    honest, settings, client, smtp_mail_settings, smtp_server
):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    for user in honest[:3]:
        attack(user, WINDOW[0])
    blocklist.build(TODAY)
    assert listings.explain("45.33.32.156").status == "listed"
    page = client.get("/blocklist/review/45.33.32.156/")
    assert page.status_code == 200 and b"Ask for a review" in page.content
    response = client.post(
        "/blocklist/review/45.33.32.156/",
        {"email": "noc@linode.example", "name": "NOC", "message": "This is our customer's honeypot."},
    )
    review = ListingReview.objects.get(kind="appeal")
    assert response.status_code == 302 and response["Location"] == f"/blocklist/review/status/{review.token}/"
    status = client.get(response["Location"])
    assert b"Waiting for an admin" in status.content and b"noc@linode.example" not in status.content
    admin = UserFactory(is_staff=True)
    listings.review_decide(review=review, delist=True, by=admin, note="Confirmed with the owner.")
    review.refresh_from_db()
    assert review.status == "delisted" and review.groups_at_decision == sorted(u.pk for u in honest[:3])
    assert listed() == []
    assert listings.explain("45.33.32.156").status == "delisted"
    notice = OutboundMail.objects.get(kind=OutboundMail.Kind.REVIEW)
    assert notice.recipients == ["noc@linode.example"] and "delisted" in notice.subject
    assert outbox.deliver(notice.pk) == 1
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["noc@linode.example"]
    assert "Confirmed with the owner." in received.message.get_content()
    # The same reporters again: still out.
    later = timezone.now() + timedelta(minutes=1)
    for user in honest[:3]:
        SourceDay.objects.filter(reporter=user, source_ip="45.33.32.156").update(first_seen=later, last_seen=later)
    assert listed() == []
    # Three reporters not counted at the decision: back on.
    others = [UserFactory() for _ in range(3)]
    from tests.trust_helpers import vouch

    vouch(*others)
    for user in others:
        attack(user, TODAY, source="45.33.32.160")
        SourceDay.objects.filter(reporter=user).update(first_seen=later)
    assert listed(TODAY + timedelta(days=1)) == [TARGET]


def test_only_a_listed_network_can_be_appealed(honest, client):
    response = client.post("/blocklist/review/45.33.32.156/", {"email": "x@example.org", "message": "please"})
    assert response.status_code == 400 and not ListingReview.objects.exists()


def test_appeals_are_rate_limited_per_address(honest, client, settings):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    for user in honest[:3]:
        attack(user, WINDOW[0])
    blocklist.build(TODAY)
    codes = [
        client.post("/blocklist/review/45.33.32.156/", {"email": f"x{n}@example.org", "message": "m"}).status_code
        for n in range(6)
    ]
    assert codes == [302] * 5 + [429]


def test_the_explanation_of_an_unlisted_network_names_the_rule(honest):
    attack(honest[0], WINDOW[0])
    explanation = listings.explain("45.33.32.156")
    assert explanation.status == "not listed"
    assert "seen by fewer than 3 independent reporters" in explanation.summary
    assert "needs at least 3" in explanation.summary and explanation.reporters is None
    assert "independent reporters" in explanation.rule


@pytest.fixture
def published_lists(db):
    from incidents.trust.known_networks import known_networks_refresh

    known_networks_refresh()


def _open_resolver_alone_in_its_network() -> str:
    """An address on MISP's public-dns-v4 list whose /24 nothing else known speaks for."""
    from incidents.trust.selectors import known_network

    for row in KnownNetwork.objects.filter(origin="package", kind="never", source__contains="IPv4 public DNS"):
        address = str(row.network).split("/")[0]
        if known_network(listings.network_of(address), network=True) is None:
            return address
    raise AssertionError("no such address in the list")


def test_a_big_resolvers_network_is_never_listed(honest, settings, published_lists):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    for user in honest:
        attack(user, WINDOW[0], source="8.8.8.77")  # not the resolver's address, but its network
    assert listed() == []
    assert "Google Public DNS" in listings.explain("8.8.8.77").summary


def test_an_open_resolver_on_a_home_line_shields_only_itself(honest, settings, published_lists):
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    resolver = _open_resolver_alone_in_its_network()
    for user in honest[:3]:
        attack(user, WINDOW[0], source=resolver)
    assert listed() == []
    assert listings.explain(resolver).status == "never"
    neighbour = resolver.rsplit(".", 1)[0] + (".200" if not resolver.endswith(".200") else ".201")
    for user in honest[:3]:
        attack(user, WINDOW[0], source=neighbour)
    assert listed() == [listings.network_of(resolver)]
    assert listings.explain(neighbour).status == "not listed"  # not yet on a built list, but not "never"
