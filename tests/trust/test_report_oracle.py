"""A signed-in account can name any source in a log of its own; its report
must not then tell it what other reporters watch, nor when they looked."""

from datetime import UTC, datetime, time, timedelta

import pytest

from incidents.models import SourceDay
from reports.selectors import source_detail, sources_between
from tests.factories import UserFactory
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
PROBE = "45.33.32.156"


def saw(user, port, minute):
    at = datetime.combine(YESTERDAY, time(14, minute, 17), tzinfo=UTC)
    SourceDay.objects.create(
        day=YESTERDAY,
        source_ip=PROBE,
        reporter=user,
        protocol="tcp",
        target_port=port,
        events=1,
        target_ips=["100.70.0.1"],
        first_seen=at,
        last_seen=at,
    )


def report_row(user):
    (row,) = sources_between(user, YESTERDAY, YESTERDAY + timedelta(days=2))
    return row


def test_one_watcher_is_not_unmasked_by_the_probers_own_report():
    prober, watcher = UserFactory(), UserFactory()
    vouch(prober, watcher)
    for port in (1001, 1002, 1003):  # one port per candidate address
        saw(prober, port, minute=1)
    saw(watcher, 1002, minute=41)
    detail = source_detail(prober, PROBE, 7)
    assert detail.portal_ports == [] and detail.portal_days == [] and detail.reporters == 0
    assert detail.portal_first_seen is None and detail.portal_last_seen is None
    row = report_row(prober)
    # The prober's own times, not the watcher's 14:41:17.
    assert row.portal_last_seen == datetime.combine(YESTERDAY, time(14, 1, 17), tzinfo=UTC)


def test_with_k_independent_reporters_the_ports_they_share_show_to_the_hour():
    prober, *watchers = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    vouch(prober, *watchers)
    saw(prober, 1002, minute=1)
    for n, watcher in enumerate(watchers):
        saw(watcher, 1002, minute=10 + n)
    saw(watchers[0], 1003, minute=50)  # one reporter alone on this port: not shown
    detail = source_detail(prober, PROBE, 7)
    assert [(proto, port) for proto, port, *_ in detail.portal_ports] == [("tcp", 1002)]
    assert detail.portal_last_seen.minute == 0 and detail.portal_last_seen.hour == 14
    row = report_row(prober)
    assert row.portal_first_seen == datetime.combine(YESTERDAY, time(14), tzinfo=UTC)


def test_a_known_network_is_never_widespread(settings):
    from incidents.trust.models import KnownNetwork

    settings.REPORT_WIDESPREAD_REPORTERS = 2
    me, *others = (UserFactory() for _ in range(4))
    vouch(me, *others)
    for n, user in enumerate([me, *others]):
        saw(user, 53, minute=n)
    assert report_row(me).label == "widespread"
    KnownNetwork.objects.create(network="45.33.32.156/32", kind="never", name="A resolver", source="test")
    assert report_row(me).label == "well-known infrastructure"
    KnownNetwork.objects.filter(network="45.33.32.156/32").update(kind="scanner")
    assert report_row(me).label == "research scanner"
