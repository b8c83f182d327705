from datetime import timedelta

from celery import shared_task
from django.db import OperationalError, connection
from django.utils import timezone

from . import contacts, rdap

RESOLVE_PER_RUN = 200


@shared_task(
    autoretry_for=(rdap.LookupFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=12,
    acks_late=True,
    rate_limit="30/m",  # registries throttle; a burst would only earn a ban
)
def resolve_contact(ip: str) -> None:
    """Learn who answers for ``ip``. A failed look-up is retried with backoff
    and, past that, asked again by the next sweep: the source waits, it is
    not lost."""
    contacts.resolve(ip)


def sources_needing_contacts(limit: int = RESOLVE_PER_RUN) -> list[str]:
    """The sources most reporters saw in the last day whose network is not
    known yet (no admin contact, no fresh RDAP answer)."""
    since = timezone.now().date() - timedelta(days=1)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT host(s.source_ip) FROM incidents_source_day s
            WHERE s.day >= %s
              AND NOT EXISTS (SELECT 1 FROM reports_networkcontact c
                              WHERE c.netblock >>= s.source_ip
                                AND (c.source = 'admin' OR c.refresh_after > now()))
            GROUP BY s.source_ip ORDER BY count(DISTINCT s.reporter_id) DESC, sum(s.events) DESC
            LIMIT %s
            """,
            [since, limit],
        )
        return [row[0] for row in cur.fetchall()]


@shared_task
def resolve_recent_sources() -> int:
    sources = sources_needing_contacts()
    for ip in sources:
        resolve_contact.delay(ip)
    return len(sources)


@shared_task
def fightback_run() -> int:
    from . import fightback

    fightback.send_stalled()
    return len(fightback.run())


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=10, acks_late=True)
def send_abuse_report(report_id: int) -> bool:
    from . import fightback

    return fightback.send(report_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=10, acks_late=True)
def send_bulk_reports() -> int:
    """Summarise and mail every bulk arrangement's due periods; a period
    already summarised is skipped, so a retry or a second run sends nothing."""
    from . import bulk

    return len(bulk.run())


@shared_task
def send_digests() -> dict:
    """Mail every per-user digest that is due (07:00 local, see reports.digests);
    a period already claimed is skipped, so a second or concurrent run sends nothing."""
    from . import digests

    return digests.send_due_digests()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=60, max_retries=10, acks_late=True)
def build_blocklist() -> str:
    """Build and sign today's block list (beat, shortly after midnight UTC).
    A day already built is left as it is, so a retry or a second run is a no-op."""
    from . import blocklist

    return str(blocklist.build().day)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=60, max_retries=10, acks_late=True)
def rebuild_blocklist() -> str:
    """Build today's list again after a review decided or a reporter's
    standing changed; an unchanged list keeps its bytes and ETag."""
    from . import blocklist

    return str(blocklist.build(rebuild=True).day)
