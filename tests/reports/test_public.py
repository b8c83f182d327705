"""The public selectors (reports.public) against known rollup rows. Every
reporter of the rows counts, each on its own, unless a test says otherwise;
k is the default, 3 (the rules about k and standing have their own tests in
test_public_anonymity.py)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from reports import public
from tests.rollup_rows import seen, store, sweep

pytestmark = pytest.mark.django_db

WORM = "45.33.32.156"
LONER = "45.33.32.157"
FEW = "45.33.32.158"
THREE = (1, 2, 3)


@pytest.fixture
def day():
    return public.last_whole_day()


def ago(day, n):
    return day - timedelta(days=n)


@pytest.fixture
def known_sources(day):
    """WORM: four reporters on the day (three on 22 and 23, one on 80), three
    the day before, two three days before. LONER: three reporters, many
    events. FEW: two reporters."""
    store(
        [seen(day, WORM, r, 22, events=2) for r in (1, 2, 3)]
        + [seen(day, WORM, r, 23) for r in (1, 2, 3)]
        + [seen(day, WORM, 4, 80), *(seen(ago(day, 1), WORM, r) for r in (1, 2, 3))]
        + [seen(ago(day, 3), WORM, 1), seen(ago(day, 3), WORM, 2)]
        + [seen(ago(day, 8), WORM, r) for r in (1, 2, 9)]  # before the 7 days of the average
        + [seen(day, LONER, 5, 23, events=50), seen(day, LONER, 6, 23), seen(day, LONER, 7, 23)]
        + [seen(day + timedelta(days=1), LONER, 8, 23)]
        + [seen(day, FEW, r, 22, events=500) for r in (5, 6)]
    )


def test_top_sources_rank_by_reporters_with_their_trend(known_sources, day):
    worm, loner = public.top_sources(day)  # FEW: fewer than k
    assert (worm.source_ip, worm.reporters, worm.events, worm.port_count) == (WORM, 4, 9, 2)
    assert worm.ports == ["tcp/22", "tcp/23"]  # most events first; 80, one reporter's, is left out
    # Three days before, two reporters: fewer than k, so 0.
    assert (worm.trend.value, worm.trend.previous, worm.trend.average) == (4, 3, round(3 / 7, 1))
    assert (worm.trend.direction, worm.trend.change, worm.trend.ratio) == ("up", 1, 10.0)
    assert (loner.source_ip, loner.reporters, loner.events) == (LONER, 3, 52)  # the next day's row is not counted
    assert loner.trend.direction == "new" and loner.trend.ratio is None


def test_top_ports_rank_by_sources_with_their_trend(day):
    store(
        sweep(day, 22, 30, 6)
        + sweep(ago(day, 1), 22, 10, 3)
        + sweep(ago(day, 2), 22, 4, 3)
        + sweep(ago(day, 3), 22, 50, 2)  # fewer than k reporters: as if nobody had watched the port that day
        + sweep(day, 23, 5, 5)
        + sweep(day, 8080, 50, 2)
    )
    port22, port23 = public.top_ports(day)
    assert (port22.name, port22.sources, port22.reporters, port22.events) == ("tcp/22", 30, 6, 30)
    assert (port22.trend.previous, port22.trend.average, port22.trend.direction) == (10, 2.0, "up")
    assert (port23.name, port23.sources, port23.trend.direction) == ("tcp/23", 5, "new")


def test_top_lists_are_limited(day):
    store([seen(day, f"203.0.113.{n}", r) for n in range(1, 13) for r in THREE])
    assert len(public.top_sources(day)) == public.front.TOP == 10


def test_portless_protocols_are_named_without_a_port(day):
    store([seen(day, WORM, r, -1, protocol="icmp") for r in THREE])
    assert public.top_ports(day)[0].name == "icmp"
    assert public.top_sources(day)[0].ports == ["icmp"]


@pytest.fixture
def fortnight(day):
    """Fifteen days of four ports' figures before and on ``day``."""
    rows = []
    for n in range(1, 16):
        d = ago(day, n)
        rows += sweep(d, 80, 3, 3, net="100.64")  # quiet: 3 sources from 3 reporters a day
        rows += sweep(d, 22, 30, 6, net="100.65")  # busy and steady
        rows += sweep(d, 23, 5 if n % 2 else 25, 3 if n % 2 else 10, net="100.66")  # busy and jumpy
    rows += sweep(day, 80, 45, 10, net="100.64")  # the jump: Code Red on port 80
    rows += sweep(day, 22, 31, 6, net="100.65")
    rows += sweep(day, 23, 50, 12, net="100.66")  # 3 times the median, but within its usual swings
    rows += sweep(day, 8080, 6, 3, net="100.67")  # new, but tiny
    store(rows)


def test_a_jump_above_the_baseline_is_flagged(fortnight, day):
    (flagged,) = public.port_anomalies(day)
    assert (flagged.name, flagged.sources, flagged.reporters) == ("tcp/80", 45, 10)
    assert (flagged.baseline_sources, flagged.baseline_reporters) == (3, 3)
    assert flagged.flagged_on == ["sources", "reporters"]
    assert flagged.factor == 15.0


def test_steady_jumpy_and_tiny_ports_are_not_flagged(fortnight, day):
    names = {a.name for a in public.port_anomalies(day)}
    assert {"tcp/22", "tcp/23", "tcp/8080"}.isdisjoint(names)
    # The jumpy port passes the factor test alone; the deviations hold it back.
    jumpy = public.front.Baseline.of([5, 25] * 7)
    assert public.front.ANOMALY_FACTOR * jumpy.median <= 50 and not jumpy.exceeded_by(50, 10)


def test_the_day_before_the_jump_is_quiet(fortnight, day):
    assert public.port_anomalies(ago(day, 1)) == []


def test_a_jump_from_nothing_is_flagged_once_it_reaches_the_minimum(day):
    # 6666: sources enough, but from fewer than k independent reporters.
    store(sweep(ago(day, 10), 22, 1, 1) + sweep(day, 5555, 12, 6) + sweep(day, 6666, 40, 2))
    assert [a.name for a in public.port_anomalies(day)] == ["tcp/5555"]


def test_no_flags_without_enough_history(day):
    store(sweep(ago(day, 3), 80, 2, 2) + sweep(day, 80, 40, 8))
    assert public.front.baseline_days(day) == 3
    assert public.port_anomalies(day) == []


def test_port_history_has_every_day_of_the_window(day):
    today = day + timedelta(days=1)
    store(
        sweep(today, 22, 3, 3)
        + sweep(ago(day, 2), 22, 5, 5)
        + sweep(ago(day, 4), 22, 9, 2)  # fewer than k reporters: reads as none
        + sweep(ago(today, 30), 22, 9, 3)
        + sweep(day, 23, 7, 3)
    )
    history = public.port_history("tcp", 22)
    assert len(history.days) == 30
    assert (history.days[0].day, history.days[-1].day) == (ago(today, 29), today)
    figures = {d.day: (d.events, d.sources, d.reporters) for d in history.days if d.events}
    assert figures == {today: (3, 3, 3), ago(day, 2): (5, 5, 5)}  # 30 days back is outside; port 23 is not 22
    assert history.events == 8 and not history.counting


def test_port_history_says_when_counts_lag(day):
    from incidents.models import PortDay

    store(sweep(day, 22, 3, 3))
    PortDay.objects.filter(day=day, target_port=22).update(events=4)  # an ingest since the last count
    assert public.port_history("tcp", 22).counting


@pytest.fixture
def known_address(day):
    from reports.models import AbuseReport, NetworkContact

    store(
        [
            seen(day, WORM, 1, 22, events=3, hour=9, minute=10, until=time(15, 50)),
            seen(day, WORM, 2, 22, hour=11, minute=40),
            seen(day, WORM, 3, 22, hour=13, minute=25),
            seen(day, WORM, 4, 22, hour=10, until=time(17, 30)),
            seen(ago(day, 2), WORM, 3, 80),  # one reporter's port
            seen(ago(day, 40), WORM, 1, 23, hour=4),  # before the window
            seen(day, LONER, 7, 22),
        ]
    )
    contact = NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", country="US", abuse_emails=["abuse@linode.example"]
    )
    sent = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=13, minutes=27)
    AbuseReport.objects.create(source_ip=WORM, contact=contact, state=AbuseReport.State.SENT, sent_at=sent)
    AbuseReport.objects.create(source_ip=WORM, contact=contact, state=AbuseReport.State.QUEUED)
    return sent


def test_ip_summary(known_address, day):
    summary = public.ip_summary(WORM)
    assert (summary.shown, summary.events, summary.reporters) == (True, 6, 4)
    assert [(p.name, p.events, p.reporters) for p in summary.ports] == [("tcp/22", 6, 4)]
    assert summary.daily == [(day, 6, 4)]
    # The third reporter to see it came at 11:40; the third from the last left at 13:25.
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    assert (summary.first_seen, summary.last_seen) == (start + timedelta(hours=11), start + timedelta(hours=13))
    assert (summary.network, summary.netblock, summary.country) == ("LINODE", "45.33.0.0/17", "US")
    # Not the queued one; to the hour.
    assert [(f.sent_at, f.organisation) for f in summary.forwarded] == [(start + timedelta(hours=13), "LINODE")]
    assert summary.subnet == "45.33.32.0/24"


def test_ip_summary_of_an_unreported_address():
    summary = public.ip_summary("2001:db8::1")
    assert (summary.shown, summary.events, summary.reporters, summary.ports) == (False, None, None, [])
    assert (summary.first_seen, summary.network, summary.forwarded, summary.subnet) == (None, None, [], "2001:db8::/64")


def test_subnet_summary(day):
    store(
        [seen(day, "45.33.32.1", r, hour=8 + r) for r in THREE]
        + [seen(day, "45.33.32.1", 4, 80)]  # one reporter's port
        + [seen(day, "45.33.32.7", r, 80, events=2, hour=8 + r) for r in (1, 2, 4)]
        + [seen(day, "45.33.32.7", r, 22, events=3) for r in (4, 5)]  # two reporters' port
        + [seen(day, "45.33.32.200", r, events=4) for r in (2, 5)]  # fewer than k: neither listed nor counted
        + [seen(day, "45.33.33.1", r) for r in THREE]  # another /24
        + [seen(ago(day, 40), "45.33.32.9", r) for r in THREE]  # too long ago
    )
    subnet = public.subnet_summary("45.33.32.0/24")
    assert [(a.ip, a.events, a.reporters, a.ports) for a in subnet.addresses] == [
        ("45.33.32.1", 3, 4, 1),  # reporters on any port; events and ports of the ports k saw
        ("45.33.32.7", 6, 4, 1),
    ]
    # The third of them to come, and the third from the last: no earlier than the first.
    at = {h: datetime.combine(day, time(h), tzinfo=UTC) for h in (11, 12)}
    assert [(a.first_seen, a.last_seen) for a in subnet.addresses] == [(at[11], at[11]), (at[12], at[12])]
    assert (subnet.address_count, subnet.events, subnet.reporters, subnet.truncated) == (2, 9, 5, False)


def test_front_page_is_cached_briefly(day):
    store([seen(day, WORM, r) for r in THREE])
    assert [s.source_ip for s in public.front_page(day).top_sources] == [WORM]
    store([seen(day, LONER, r) for r in (1, 2, 3, 4)])
    assert [s.source_ip for s in public.front_page(day).top_sources] == [WORM]  # from the cache
    from django.core.cache import cache

    cache.delete(f"public:front:{day.isoformat()}")
    assert [s.source_ip for s in public.front_page(day).top_sources] == [LONER, WORM]
