from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import FilterRule
from reports import blocklist, rdap
from reports.models import BlockList, NetworkContact
from reports.reserved import RESERVED
from tests.incidents.conftest import iptables_line

from .conftest import DAY, hosts

pytestmark = pytest.mark.django_db


def ranked(day=DAY):
    return [(e.cidr, e.targets, e.reporters, e.attacks) for e in blocklist.ranked_networks(day)]


def test_counts_exactly_the_three_whole_days_before_the_list_day(seen):
    for days_before, n in ((4, 50), (3, 1), (2, 2), (1, 4), (0, 50)):
        seen("45.33.32.156", day=DAY - timedelta(days=days_before), targets=hosts(n, f"10.{days_before}.0"))
    assert blocklist.window(DAY) == (DAY - timedelta(days=3), DAY - timedelta(days=1))
    # The day before the window and the list's own day are not counted.
    assert ranked() == [("45.33.32.0/24", 1 + 2 + 4, 1, 3)]


def test_weight_is_each_reporters_distinct_targets_per_source_and_day(seen):
    # Two reporters with the same private address are two targets ...
    seen("45.33.32.156", reporter=0, targets=["192.168.1.10"])
    seen("45.33.32.156", reporter=1, targets=["192.168.1.10"])
    # ... one reporter's address hit by one source on two ports is one ...
    seen("45.33.32.156", reporter=0, targets=["192.168.1.10"], port=3389)
    # ... and again one for another source of the /24, and on another day.
    seen("45.33.32.157", reporter=0, targets=["192.168.1.10"])
    seen("45.33.32.200", reporter=0, targets=["192.168.1.10"], day=DAY - timedelta(days=2), events=5)
    assert ranked() == [("45.33.32.0/24", 4, 2, 9)]


def test_one_reporters_targets_count_up_to_the_cap(seen, settings):
    seen("45.33.32.156", targets=hosts(64))
    seen("45.33.32.156", targets=hosts(3, "10.0.0"), day=DAY - timedelta(days=2))
    cap = settings.TRUST_TARGETS_PER_SOURCE_DAY
    assert ranked() == [("45.33.32.0/24", cap + 3, 1, 2)]


def test_ranked_by_independent_reporters_then_weight_then_address(seen):
    seen("61.177.172.1", targets=hosts(5))  # the most weight, but from one reporter
    seen("185.220.101.4", reporter=0, targets=hosts(1))  # two reporters outrank any one
    seen("185.220.101.4", reporter=1, targets=hosts(1))
    seen("91.240.118.9", targets=hosts(3), events=2**31 - 1)  # events are never ranked
    seen("80.94.95.1", targets=hosts(3), events=2)  # same as the next but for the address
    seen("80.94.92.1", targets=hosts(3), events=2)
    assert ranked() == [
        ("185.220.101.0/24", 2, 2, 2),
        ("61.177.172.0/24", 5, 1, 1),
        ("80.94.92.0/24", 3, 1, 2),
        ("80.94.95.0/24", 3, 1, 2),
        ("91.240.118.0/24", 3, 1, 2**31 - 1),
    ]


def test_only_the_top_twenty(seen):
    for i in range(21):
        seen(f"45.{i}.1.1", targets=hosts(30 - i))
    networks = [cidr for cidr, *_ in ranked()]
    assert len(networks) == blocklist.SIZE == 20
    assert networks[0] == "45.0.1.0/24" and networks[-1] == "45.19.1.0/24"
    assert "45.20.1.0/24" not in networks


def test_reserved_and_ipv6_sources_are_not_ranked(seen):
    seen("10.1.2.3", targets=hosts(9))
    seen("198.18.0.1", targets=hosts(9))
    seen("2001:db8::1", targets=hosts(9))
    seen("45.33.32.156")
    assert ranked() == [("45.33.32.0/24", 1, 1, 1)]


def test_filtered_events_are_not_counted(reporters, submit, settings):
    """End to end through ingestion: the rollups hold kept events only."""
    user = reporters[0]
    FilterRule.objects.create(user=user, kind=FilterRule.Kind.PORT, port_from=23, reason="my own telnet checks")
    when = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    log = iptables_line(when, src="45.33.32.156", dpt=22) + iptables_line(when, src="185.220.101.4", dpt=23)
    sub = submit(user, text=log)
    assert (sub.accepted, sub.filtered) == (1, 1)
    today = datetime.now(UTC).date()
    assert [cidr for cidr, *_ in ranked(today)] == ["45.33.32.0/24"]


def test_reserved_ranges_follow_the_ranked_networks(seen):
    seen("45.33.32.156")
    entries = blocklist.entries_for(DAY)
    assert [e.cidr for e in entries] == ["45.33.32.0/24"] + [r.cidr for r in RESERVED]
    reserved = entries[1:]
    assert all(e.reserved and e.rank is None and e.attacks is None for e in reserved)
    assert {e.cidr for e in reserved} >= {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4"}
    assert reserved[1].name == "reserved: Private-Use (RFC 1918)"
    assert (reserved[-1].start, reserved[-1].end, reserved[-1].netblock) == ("240.0.0.0", "255.255.255.255", 4)


@pytest.fixture
def no_registry(monkeypatch):
    asked = []

    def lookup(ip):
        asked.append(ip)
        raise rdap.LookupFailed("the build must not ask")

    monkeypatch.setattr(rdap, "lookup", lookup)
    return asked


def test_names_come_from_stored_contacts_admin_first_and_never_a_lookup(seen, no_registry):
    seen("45.33.32.156", targets=hosts(3))
    seen("45.33.32.9", reporter=0)  # fewer targets but more reporters: the busiest source of the /24
    seen("45.33.32.9", reporter=1)
    seen("185.220.101.4", targets=hosts(2))
    seen("91.240.118.9")
    NetworkContact.objects.create(
        source="rdap", netblock="45.33.0.0/17", organisation="LINODE", country="US", abuse_emails=["abuse@linode.com"]
    )
    NetworkContact.objects.create(
        netblock="45.33.32.0/28", organisation="Admin kept", country="NL", abuse_emails=["abuse@kept.example"]
    )
    # Stale RDAP answers still name a network: the build cannot ask again.
    stale = datetime.now(UTC) - timedelta(days=1)
    NetworkContact.objects.create(
        source="rdap",
        netblock="185.220.100.0/22",
        organisation="Tor exit",
        country="DE",
        abuse_emails=["bounced@tor.example", "abuse@tor.example"],
        failing_emails=["bounced@tor.example"],
        refresh_after=stale,
    )
    by_net = {e.cidr: (e.name, e.country, e.abuse) for e in blocklist.ranked_networks(DAY)}
    assert by_net == {
        # Named by the source most reporters saw (45.33.32.9, inside the admin's /28).
        "45.33.32.0/24": ("Admin kept", "NL", "abuse@kept.example"),
        "185.220.101.0/24": ("Tor exit", "DE", "abuse@tor.example"),
        "91.240.118.0/24": ("", "", ""),
    }
    assert no_registry == []


def test_building_a_day_again_changes_nothing(seen):
    seen("45.33.32.156", targets=hosts(3))
    first = blocklist.build(DAY)
    seen("185.220.101.4", targets=hosts(9))  # a late log for the window
    again = blocklist.build(DAY)
    assert BlockList.objects.count() == 1
    assert (again.pk, again.files, again.signatures, again.built_at) == (
        first.pk,
        first.files,
        first.signatures,
        first.built_at,
    )
    assert [e["start"] for e in again.entries if not e["reserved"]] == ["45.33.32.0"]


def test_rebuild_replaces_a_changed_list_and_keeps_an_unchanged_one(seen):
    seen("45.33.32.156", targets=hosts(3))
    first = blocklist.build(DAY)
    same = blocklist.build(DAY, rebuild=True)
    assert (same.built_at, same.signatures) == (first.built_at, first.signatures)
    seen("185.220.101.4", targets=hosts(9))
    changed = blocklist.build(DAY, rebuild=True)
    assert BlockList.objects.count() == 1 and changed.pk == first.pk
    assert [e["start"] for e in changed.entries if not e["reserved"]] == ["185.220.101.0", "45.33.32.0"]
    assert changed.built_at > first.built_at and changed.signatures != first.signatures


def test_a_snapshot_per_day(seen):
    seen("45.33.32.156")
    blocklist.build(DAY)
    blocklist.build(DAY + timedelta(days=1))
    assert list(BlockList.objects.values_list("day", "first_day", "last_day")) == [
        (DAY + timedelta(days=1), DAY - timedelta(days=2), DAY),
        (DAY, DAY - timedelta(days=3), DAY - timedelta(days=1)),
    ]


def test_blocklist_entry_finds_the_latest_lists_netblock(seen):
    assert blocklist.blocklist_entry("45.33.32.156") is None  # no list yet
    seen("185.220.101.4", targets=hosts(4), events=7)
    seen("45.33.32.156", targets=hosts(2), events=3)
    blocklist.build(DAY - timedelta(days=1))
    blocklist.build(DAY)
    entry = blocklist.blocklist_entry("45.33.32.77")
    assert (entry.cidr, entry.rank, entry.attacks, entry.targets, entry.reserved, entry.day) == (
        "45.33.32.0/24",
        2,
        3,
        2,
        False,
        DAY,
    )
    reserved = blocklist.blocklist_entry("192.168.7.7")
    assert (reserved.cidr, reserved.rank, reserved.reserved) == ("192.168.0.0/16", None, True)
    assert blocklist.blocklist_entry("45.33.33.1") is None
    assert blocklist.blocklist_entry("2001:db8::1") is None
    assert blocklist.blocklist_entry("not an address") is None


def test_latest_blocklist_is_the_json_document(seen):
    assert blocklist.latest_blocklist() is None
    seen("45.33.32.156")
    blocklist.build(DAY)
    document = blocklist.latest_blocklist()
    assert (document["day"], document["first_day"], document["last_day"]) == ("2026-11-20", "2026-11-17", "2026-11-19")
    assert document["entries"][0]["cidr"] == "45.33.32.0/24"
    assert len(document["entries"]) == 1 + len(RESERVED)


def test_the_list_holds_no_reporter_or_target(seen, reporters):
    seen("45.33.32.156", targets=["192.0.2.77", "100.64.9.9"])
    snapshot = blocklist.build(DAY)
    for text in snapshot.files.values():
        assert "192.0.2.77" not in text and "100.64.9.9" not in text
        assert all(r.email not in text for r in reporters)
