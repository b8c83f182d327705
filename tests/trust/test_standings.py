"""Who counts toward public outputs (incidents.trust.standings)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from incidents.trust import standings
from incidents.trust.models import ReporterStanding
from portal.models import OwnedNetwork
from tests.factories import UserFactory

from .conftest import background

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.now().date() - timedelta(days=1)


def standing(user) -> ReporterStanding:
    return ReporterStanding.objects.get(reporter=user)


def test_a_fresh_account_counts_for_nothing_and_is_told_why(refresh):
    fresh = UserFactory()
    refresh()
    s = standing(fresh)
    assert not s.counts
    assert any("days old (probation: 14)" in r for r in s.reasons)
    assert any("accepted logs on 0 days" in r for r in s.reasons)


def test_a_seasoned_reporter_who_agrees_with_others_counts(seasoned, refresh):
    a, b, c = seasoned(1), seasoned(2), seasoned(3)
    for user in (a, b, c):
        background(user, YESTERDAY)
    refresh()
    for user in (a, b, c):
        s = standing(user)
        assert s.counts, s.reasons
        assert s.components["agreement"] == 1.0 and s.components["spread"] == 1.0
        assert s.group == user.pk
    assert standing(a).score >= 0.8


def test_probation_needs_verification_age_and_history(seasoned, refresh, settings):
    young = seasoned(1, days_old=5)
    unverified = seasoned(2)
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    idle = seasoned(3)
    idle.submissions.all().delete()
    others = [seasoned(n) for n in (4, 5)]
    for user in (young, unverified, idle, *others):
        background(user, YESTERDAY)
    refresh()
    assert not standing(young).counts and not standing(unverified).counts and not standing(idle).counts
    assert "e-mail address not verified" in standing(unverified).reasons
    assert all(standing(u).counts for u in others)
    settings.TRUST_PROBATION_DAYS = 3
    refresh()
    assert standing(young).counts


def test_invented_sources_nobody_else_sees_earn_no_trust(seasoned, refresh):
    honest = [seasoned(n) for n in (1, 2)]
    for user in honest:
        background(user, YESTERDAY)
    poisoner = seasoned(3)
    background(poisoner, YESTERDAY, sources=["8.8.8.8", "8.8.8.9", "8.8.8.10"])
    refresh()
    s = standing(poisoner)
    assert s.components["agreement"] == 0.0
    assert not s.counts and any("trust" in r and "below" in r for r in s.reasons)


def test_reporters_on_one_network_are_one_group(seasoned, refresh):
    a, b = seasoned(1, address="81.9.9.10"), seasoned(2, address="81.9.9.200")  # one /24
    c = seasoned(3)
    d, e = seasoned(4), seasoned(5)
    OwnedNetwork.objects.create(user=d, cidr="91.1.0.0/16")
    OwnedNetwork.objects.create(user=e, cidr="91.1.2.0/24")  # inside d's network
    for user in (a, b, c, d, e):
        background(user, YESTERDAY)
    refresh()
    assert standing(a).group == standing(b).group == a.pk
    assert standing(c).group == c.pk
    assert standing(d).group == standing(e).group == d.pk
    # Agreement counts other groups only: a and b agreeing with each other is one voice.
    assert all(standing(u).counts for u in (a, b, c, d, e))


def test_reporters_in_one_autonomous_system_are_one_group(seasoned, refresh, settings):
    settings.TRUST_GROUP_BY_ASN = True
    # Two /24s of one British ISP (Virgin Media in the offline data), one of a French one.
    a, b = seasoned(1, address="82.1.1.9"), seasoned(2, address="82.2.1.9")
    c = seasoned(3, address="81.1.0.7")
    for user in (a, b, c):
        background(user, YESTERDAY)
    refresh()
    assert standing(a).group == standing(b).group == a.pk
    assert standing(c).group == c.pk


def test_submitting_from_anothers_network_ties_them(seasoned, refresh):
    owner = seasoned(1)
    OwnedNetwork.objects.create(user=owner, cidr="92.5.0.0/16")
    guest = seasoned(2, address="92.5.77.1")
    for user in (owner, guest, seasoned(3)):
        background(user, YESTERDAY)
    refresh()
    assert standing(guest).group == owner.pk


def test_agreement_with_ones_own_group_is_not_agreement(seasoned, refresh):
    a, b = seasoned(1, address="81.9.9.10"), seasoned(2, address="81.9.9.11")
    for user in (a, b):
        background(user, YESTERDAY)
    refresh()
    assert standing(a).components["agreement"] == 0.0


def test_suspension_and_vouching_are_an_admins(seasoned, refresh):
    users = [seasoned(n) for n in (1, 2, 3)]
    for user in users:
        background(user, YESTERDAY)
    refresh()
    standings.reporter_suspend(reporter_id=users[0].pk, reason="invented logs")
    s = standing(users[0])
    assert not s.counts and s.suspended_reason == "invented logs" and "suspended by an admin" in s.reasons
    refresh()  # the next scheduled run keeps it suspended
    assert not standing(users[0]).counts
    standings.reporter_reinstate(reporter_id=users[0].pk)
    assert standing(users[0]).counts
    fresh = UserFactory()
    standings.reporter_vouch(reporter_id=fresh.pk)
    assert standing(fresh).counts and standing(fresh).vouched


def test_a_deactivated_account_does_not_count(seasoned, refresh):
    users = [seasoned(n) for n in (1, 2, 3)]
    for user in users:
        background(user, YESTERDAY)
    type(users[0]).objects.filter(pk=users[0].pk).update(is_active=False)
    refresh()
    assert not standing(users[0]).counts
