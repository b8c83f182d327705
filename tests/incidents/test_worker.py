import signal
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from incidents.ingest import ingest_submission, progress_key
from incidents.models import Event, SourceDay, Submission
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.processes import run_python, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def big_log(recent, n: int) -> str:
    return "".join(
        # Every line a distinct source, so none is a duplicate of another.
        iptables_line(recent - timedelta(seconds=i % 3600), src=f"45.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        for i in range(n)
    )


def test_killed_worker_leaves_nothing_and_the_rerun_counts_exactly(submit, recent):
    user = UserFactory()
    n = 200_000
    sub = submit(user, text=big_log(recent, n), run=False)

    child = run_python(f"from incidents.ingest import ingest_submission; ingest_submission({sub.pk})")
    # Kill it once it has visibly done part of the work.
    wait_for(lambda: (cache.get(progress_key(sub.pk)) or {}).get("lines", 0) > 0, process=child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    sub.refresh_from_db()
    assert sub.status == Submission.Status.PARSING
    assert not Event.objects.filter(submission_id=sub.pk).exists()
    assert not SourceDay.objects.filter(reporter=user).exists()

    ingest_submission(sub.pk)  # what the redelivered task (or the stalled-submission sweep) does
    sub.refresh_from_db()
    assert sub.status == Submission.Status.DONE
    assert (sub.lines, sub.accepted, sub.duplicate, sub.rejected) == (n, n, 0, 0)
    assert Event.objects.filter(submission_id=sub.pk).count() == n
    assert sum(SourceDay.objects.filter(reporter=user).values_list("events", flat=True)) == n


def test_upload_is_processed_by_a_real_worker(client, recent):
    user = UserFactory()
    client.force_login(user)
    worker = start_worker()
    try:
        response = client.post(
            reverse("submission-new"),
            {"text": iptables_line(recent) * 3 + iptables_line(recent, dpt=3389), "timezone": "UTC"},
        )
        assert response.status_code == 302
        sub = Submission.objects.get(user=user)

        def finished():
            sub.refresh_from_db()
            return sub.is_finished

        wait_for(finished, timeout=60, process=worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sub.status == Submission.Status.DONE
    assert (sub.lines, sub.accepted, sub.duplicate) == (4, 2, 2)
    progress = client.get(reverse("submission-progress", args=[sub.pk])).json()
    assert (progress["finished"], progress["percent"]) == (True, 100)
