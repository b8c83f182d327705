import psycopg
from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import outbox

# A database that went away mid-delivery is waited for, not given up on.
RETRY_DATABASE = {
    "autoretry_for": (OperationalError, InterfaceError, psycopg.OperationalError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": None,
    "acks_late": True,
}


@shared_task(**RETRY_DATABASE)
def deliver_mail(mail_id: int) -> int:
    """Deliver one outbox row, queued when the transaction that wrote it committed."""
    return outbox.deliver(mail_id)


@shared_task(**RETRY_DATABASE)
def deliver_outbox() -> int:
    """The sweep: deliver every unsent row that is due, whatever became of its task."""
    return outbox.deliver()
