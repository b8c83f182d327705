"""Distinct sources and independent reporters per port and day, and the
events public pages show, recounted from SourceDay."""

import pytest

from incidents import port_counts
from incidents.models import PortDay
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db


def port22(day):
    return PortDay.objects.get(day=day, protocol="tcp", target_port=22)


def test_recount_gives_distinct_sources_and_reporters(submit, recent):
    a, b = vouch(UserFactory(), UserFactory())
    submit(a, text=iptables_line(recent, src="45.33.32.156") + iptables_line(recent, src="45.33.32.157", spt=2))
    submit(b, text=iptables_line(recent, src="45.33.32.156", spt=3) + iptables_line(recent, src="45.33.32.156", spt=4))
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters) == (4, 0, 0)  # ingest adds events only
    assert port_counts.stale_days() == [recent.date()]

    assert port_counts.refresh() == 1
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters, row.counted_events, row.public_events) == (4, 2, 2, 4, 4)
    assert port_counts.stale_days() == []
    assert port_counts.refresh() == 0  # nothing moved: nothing recounted


def test_new_events_make_the_day_stale_again(submit, recent):
    a, c = vouch(UserFactory(), UserFactory())
    submit(a, text=iptables_line(recent, src="45.33.32.156"))
    port_counts.refresh()
    submit(c, text=iptables_line(recent, src="45.33.32.200"))
    assert port_counts.stale_days() == [recent.date()]
    port_counts.refresh()
    assert (port22(recent.date()).sources, port22(recent.date()).reporters) == (2, 2)


def test_rows_filtered_away_count_zero(submit, recent):
    """A rule that hides every event of a port leaves the port row at 0 events
    and no source rows: its counts go to 0 too."""
    from incidents.models import FilterRule
    from incidents.reevaluate import reevaluate_reporter

    (a,) = vouch(UserFactory())
    submit(a, text=iptables_line(recent, src="45.33.32.156"))
    port_counts.refresh()
    assert port22(recent.date()).sources == 1
    FilterRule.objects.create(user=a, kind=FilterRule.Kind.PORT, port_from=22, reason="my scanner")
    reevaluate_reporter(a.pk)
    port_counts.refresh()
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters, row.public_events) == (0, 0, 0, 0)


def test_only_independent_reporters_who_count_are_counted(submit, recent):
    """A reporter of no standing adds events to the port's total (ingest adds
    everyone's, so the day is seen to be stale) but nothing public; two on
    one network are one reporter."""
    counting, colleague, stranger = UserFactory(), UserFactory(), UserFactory()
    vouch(counting, colleague, group=counting.pk)
    submit(counting, text=iptables_line(recent, src="45.33.32.156"))
    submit(colleague, text=iptables_line(recent, src="45.33.32.157"))
    submit(stranger, text="".join(iptables_line(recent, src=f"203.0.113.{n}", spt=n) for n in range(1, 6)))
    port_counts.refresh()
    row = port22(recent.date())
    assert (row.events, row.counted_events) == (7, 7)
    assert (row.public_events, row.sources, row.reporters) == (2, 2, 1)


def test_a_change_of_standing_is_recounted_without_new_events(submit, recent):
    a, b = UserFactory(), UserFactory()
    vouch(a)
    submit(a, text=iptables_line(recent, src="45.33.32.156"))
    submit(b, text=iptables_line(recent, src="45.33.32.157"))
    port_counts.refresh()
    assert (port22(recent.date()).sources, port22(recent.date()).reporters) == (1, 1)
    assert port_counts.refresh() == 0

    vouch(b)  # an admin vouches: no event moved, yet the figures must
    assert port_counts.refresh() == 1
    assert (port22(recent.date()).sources, port22(recent.date()).reporters) == (2, 2)
    a.standing.counts = False  # suspended
    a.standing.save()
    port_counts.refresh()
    assert (port22(recent.date()).sources, port22(recent.date()).public_events) == (1, 1)
    assert port_counts.refresh() == 0


@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_while_one_runs_does_nothing(submit, recent):
    from django.db import connection

    from tests.processes import run_python

    submit(*vouch(UserFactory()), text=iptables_line(recent, src="45.33.32.156"))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, 0)", [port_counts.REFRESH_LOCK])
    try:
        # Another process (another session), which sees the committed rows.
        child = run_python("from incidents import port_counts; import sys; sys.exit(port_counts.refresh())")
        assert child.wait(timeout=60) == 0
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, 0)", [port_counts.REFRESH_LOCK])
    assert port22(recent.date()).sources == 0
    assert port_counts.refresh() == 1
    assert port22(recent.date()).sources == 1
