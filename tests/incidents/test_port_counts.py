"""Distinct sources and reporters per port and day, recounted from SourceDay."""

import pytest

from incidents import port_counts
from incidents.models import PortDay
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db


def port22(day):
    return PortDay.objects.get(day=day, protocol="tcp", target_port=22)


def test_recount_gives_distinct_sources_and_reporters(submit, recent):
    a, b = UserFactory(), UserFactory()
    submit(a, text=iptables_line(recent, src="45.33.32.156") + iptables_line(recent, src="45.33.32.157", spt=2))
    submit(b, text=iptables_line(recent, src="45.33.32.156", spt=3) + iptables_line(recent, src="45.33.32.156", spt=4))
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters) == (4, 0, 0)  # ingest adds events only
    assert port_counts.stale_days() == [recent.date()]

    assert port_counts.refresh() == 1
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters, row.counted_events) == (4, 2, 2, 4)
    assert port_counts.stale_days() == []
    assert port_counts.refresh() == 0  # nothing moved: nothing recounted


def test_new_events_make_the_day_stale_again(submit, recent):
    a, c = UserFactory(), UserFactory()
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

    a = UserFactory()
    submit(a, text=iptables_line(recent, src="45.33.32.156"))
    port_counts.refresh()
    assert port22(recent.date()).sources == 1
    FilterRule.objects.create(user=a, kind=FilterRule.Kind.PORT, port_from=22, reason="my scanner")
    reevaluate_reporter(a.pk)
    port_counts.refresh()
    row = port22(recent.date())
    assert (row.events, row.sources, row.reporters) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_while_one_runs_does_nothing(submit, recent):
    from django.db import connection

    from tests.processes import run_python

    submit(UserFactory(), text=iptables_line(recent, src="45.33.32.156"))
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
