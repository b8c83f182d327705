"""Bulk summaries count independent reporters only and leave out known
networks; an arrangement's threshold defaults to what an individual mail
needs and cannot be set below TRUST_MIN_NETWORKS."""

import importlib
from datetime import UTC, datetime, time, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError

from incidents.trust.models import KnownNetwork
from portal import outbox
from reports import bulk
from reports.models import BulkArrangement, NetworkContact
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db
GOOGLE_DNS = "8.8.8.8"
LINODE_V6 = "2600:3c00::f03c:91ff:fe18:bb2f"


@pytest.fixture
def google():
    return NetworkContact.objects.create(
        netblock="8.8.8.0/24",
        organisation="Google LLC",
        abuse_emails=["network-abuse@google.com"],
        preference=NetworkContact.Preference.BULK,
    )


@pytest.fixture
def period(recent):
    start = datetime.combine(recent.date(), time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def listed(arrangement, period):
    return [(r.source_ip, r.reporters, r.events) for r in bulk.qualifying_sources(arrangement, *period)]


def test_three_fresh_accounts_put_nothing_in_a_default_arrangement(sightings, google, period):
    """The replay: with an arrangement's old default threshold of one
    reporter, three invented lines put 8.8.8.8 in Google's summary."""
    arrangement = BulkArrangement.objects.create(contact=google, netblocks=["8.8.8.0/24"])
    sightings(counts=(4800000, 4800001, 4800001), src=GOOGLE_DNS)
    made = bulk.summarise(arrangement, *period)
    assert (made.sources, made.body, made.sent_at) == (0, "", None)
    assert outbox.deliver() == 0 and mail.outbox == []


def test_a_summary_counts_groups_of_counting_reporters(sightings, google, period, ordinary_google):
    arrangement = BulkArrangement.objects.create(contact=google, netblocks=["8.8.8.0/24"])
    users = sightings(counts=(1, 2, 3), src=GOOGLE_DNS)
    sightings(counts=(14400000,), src=GOOGLE_DNS)  # counts for nothing
    vouch(users[0], users[1], group=users[0].pk)
    vouch(users[2])
    assert listed(arrangement, period) == []  # two networks
    vouch(users[1])
    assert listed(arrangement, period) == [(GOOGLE_DNS, 3, 6)]
    KnownNetwork.objects.create(network="8.8.8.0/24", kind=KnownNetwork.Kind.NEVER_LIST, name="Google Public DNS")
    assert listed(arrangement, period) == []
    made = bulk.summarise(arrangement, *period)
    assert made.sources == 0 and outbox.deliver() == 0


def test_the_default_threshold_is_what_an_individual_mail_needs(google, settings):
    assert BulkArrangement.objects.create(contact=google).threshold == 3
    settings.FIGHTBACK_MIN_REPORTERS = 5
    assert BulkArrangement(contact=google).threshold == 5
    settings.FIGHTBACK_MIN_REPORTERS, settings.TRUST_MIN_NETWORKS = 3, 4
    assert BulkArrangement(contact=google).threshold == 4


def test_a_threshold_below_trust_min_networks_is_refused(google, settings):
    arrangement = BulkArrangement(contact=google, threshold=2)
    with pytest.raises(ValidationError) as refused:
        arrangement.full_clean()
    assert list(refused.value.message_dict) == ["threshold"]
    arrangement.threshold = 3
    arrangement.full_clean()
    settings.TRUST_MIN_NETWORKS = 2
    arrangement.threshold = 2
    arrangement.full_clean()


def test_a_row_below_the_floor_still_lists_nothing_below_it(sightings, google, period, ordinary_google):
    arrangement = BulkArrangement.objects.create(contact=google, netblocks=["8.8.8.0/24"])
    BulkArrangement.objects.filter(pk=arrangement.pk).update(threshold=1)  # from before the floor
    arrangement.refresh_from_db()
    vouch(*sightings(counts=(1, 1), src=GOOGLE_DNS))
    assert listed(arrangement, period) == []
    vouch(*sightings(counts=(1,), src=GOOGLE_DNS))
    assert listed(arrangement, period) == [(GOOGLE_DNS, 3, 3)]
    assert "at least 3 independent reporters" in bulk.render_body(arrangement, [], *period)


def test_the_migration_raises_earlier_thresholds_below_the_floor(google, settings):
    settings.FIGHTBACK_MIN_REPORTERS = 5
    # Saved without validation, as rows from before the floor were.
    low, floor, high = (BulkArrangement.objects.create(contact=google, threshold=n) for n in (1, 3, 7))
    migration = importlib.import_module("reports.migrations.0008_fightback_trust")
    migration.raise_thresholds(apps, None)
    assert dict(BulkArrangement.objects.values_list("pk", "threshold")) == {low.pk: 5, floor.pk: 3, high.pk: 7}


def test_an_ipv6_summary_carries_no_destination(sightings, period, settings):
    linode = NetworkContact.objects.create(
        netblock="2600:3c00::/32", organisation="LINODE", abuse_emails=["abuse@linode.example"]
    )
    arrangement = BulkArrangement.objects.create(contact=linode)
    vouch(*sightings(src=LINODE_V6, dst="2a02:8108:{n}::7"))
    made = bulk.summarise(arrangement, *period)
    assert made.sources == 1 and LINODE_V6 in made.body
    outputs = [made.body, bulk.download(made, "csv"), bulk.download(made, "json"), bulk.download(made, "txt")]
    for output in outputs:
        assert "2a02:8108" not in output  # not even masked: bulk summaries list no destinations


@pytest.fixture
def ordinary_google(db):
    """Here Google's resolver stands for any address: that it is never
    mailed about is the known-network tests' subject, not this one's."""
    from incidents.trust.models import KnownNetwork

    KnownNetwork.objects.filter(network__net_overlaps="8.8.8.0/24").delete()
