import psycopg
from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import ingest, partitions, port_counts
from .models import Submission


@shared_task(
    # psycopg's own error too: COPY runs on the raw psycopg cursor, so a
    # PostgreSQL that dies mid-COPY raises it unwrapped by Django.
    autoretry_for=(OperationalError, InterfaceError, psycopg.OperationalError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=None,
    acks_late=True,
)
def ingest_submission(submission_id: int) -> None:
    ingest.ingest_submission(submission_id)
    # Read again rather than use what ingest returned: a redelivered task
    # finds the submission already done (ingest returns None) and must still
    # confirm it if the first run died between the ingest's commit and here.
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is not None and submission.channel == submission.Channel.MAIL:
        from .mail_intake import confirm

        confirm(submission)


@shared_task
def requeue_stalled_submissions() -> int:
    """Send again any submission that is queued or stuck "processing" with no
    worker holding it (a lost message, a killed worker): ingest is idempotent,
    so an extra run of one still queued costs a lock check. Mailed logs that
    finished but lost their task before the confirmation are confirmed."""
    from .mail_intake import confirm_finished

    confirm_finished()
    return ingest.requeue_stalled(ingest_submission.delay)


@shared_task
def maintain_partitions() -> None:
    """Create the coming days' partitions; drop those past retention."""
    partitions.ensure(partitions.accepted_window())
    partitions.drop_before(partitions.retention_start())


@shared_task
def count_port_sources() -> int:
    """Recount distinct sources and reporters per port and day where events
    moved (incidents.port_counts); beat runs it every few minutes."""
    return port_counts.refresh()


@shared_task
def purge_raw_submissions() -> int:
    """Delete raw files of finished submissions past SUBMISSION_RAW_RETENTION_DAYS."""
    from .retention import purge_raw_files

    return purge_raw_files()


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=None, acks_late=True)
def reevaluate_filters(user_id: int | None = None) -> None:
    """One reporter after their rule changed; everyone after a portal rule did."""
    from .reevaluate import reevaluate_reporter, reporters_with_events

    for reporter in [user_id] if user_id is not None else reporters_with_events():
        reevaluate_reporter(reporter)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3)
def poll_mailbox() -> int:
    from .mailbox import poll

    return poll()
