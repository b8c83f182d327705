import copy
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from portal.celery import app
from reports.models import BlockList
from reports.tasks import build_blocklist

from .conftest import DAY

pytestmark = pytest.mark.django_db


def test_beat_builds_the_list_shortly_after_midnight_utc():
    entry = settings.CELERY_BEAT_SCHEDULE["build-blocklist"]
    assert entry["task"] == build_blocklist.name and entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab) and schedule.hour == {0} and schedule.minute == {5}
    assert str(app.timezone) == "UTC"
    # Last run yesterday 00:05: due again at 00:05 today, not before.
    last = datetime(2026, 11, 19, 0, 5, tzinfo=UTC)
    schedule = copy.copy(schedule)
    schedule.nowfun = lambda: datetime(2026, 11, 20, 0, 4, tzinfo=UTC)
    assert not schedule.is_due(last).is_due
    schedule.nowfun = lambda: datetime(2026, 11, 20, 0, 5, 30, tzinfo=UTC)
    assert schedule.is_due(last).is_due


def test_the_task_builds_todays_list_once(seen):
    today = datetime.now(UTC).date()
    seen("45.33.32.156", day=today - timedelta(days=1))
    assert build_blocklist.apply().get() == str(today)
    first = BlockList.objects.get()
    assert build_blocklist.apply().get() == str(today)
    assert BlockList.objects.get().built_at == first.built_at
    assert [e["start"] for e in first.entries if not e["reserved"]] == ["45.33.32.0"]


def test_command_builds_a_day_and_rebuilds_on_request(seen):
    out = StringIO()
    call_command("build_blocklist", "--day", str(DAY), stdout=out)
    assert out.getvalue().startswith("block list 2026-11-20: 0 networks")
    seen("45.33.32.156")
    call_command("build_blocklist", "--day", str(DAY), stdout=out)
    assert BlockList.objects.get().entries[0]["reserved"]  # stored list kept
    call_command("build_blocklist", "--day", str(DAY), "--rebuild", stdout=out)
    assert BlockList.objects.get().entries[0]["start"] == "45.33.32.0"
