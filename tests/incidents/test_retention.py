"""Raw submitted files go after SUBMISSION_RAW_RETENTION_DAYS; the record stays."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from incidents.models import Submission
from incidents.tasks import purge_raw_submissions
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db(transaction=True)


def age(submission, days):
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_old_raw_files_are_deleted_and_the_counts_stay(submit, recent, settings, client):
    settings.SUBMISSION_RAW_RETENTION_DAYS = 30
    user = UserFactory()
    old = submit(user, text=iptables_line(recent) + iptables_line(recent, src="300.1.1.1"))
    young = submit(user, text=iptables_line(recent, dpt=23))
    old_path, young_path = old.raw.path, young.raw.path
    age(old, 31)
    age(young, 29)

    assert purge_raw_submissions() == 1

    old.refresh_from_db()
    assert not old.raw and old.raw_deleted_at is not None
    assert (old.lines, old.accepted, old.rejected, old.status) == (2, 1, 1, Submission.Status.DONE)
    assert old.rejected_lines
    assert not Path(old_path).exists()
    assert Path(young_path).exists()
    young.refresh_from_db()
    assert young.raw and young.raw_deleted_at is None

    client.force_login(user)
    page = client.get(reverse("submission-detail", args=[old.pk])).content.decode()
    assert "The original file was deleted on" in page
    assert "kept for 30 days" in page
    assert 'data-count="accepted"' in page or "accepted" in page
    assert (
        "The original file was deleted"
        not in client.get(reverse("submission-detail", args=[young.pk])).content.decode()
    )

    assert purge_raw_submissions() == 0  # nothing twice


def test_unfinished_submissions_keep_their_file_whatever_their_age(submit, settings):
    settings.SUBMISSION_RAW_RETENTION_DAYS = 1
    user = UserFactory()
    queued = submit(user, text="x\n", run=False)
    age(queued, 10)
    assert purge_raw_submissions() == 0
    queued.refresh_from_db()
    assert queued.raw


def test_the_scheduler_runs_both_retention_tasks():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"incidents.tasks.purge_raw_submissions", "incidents.tasks.maintain_partitions"} <= tasks
