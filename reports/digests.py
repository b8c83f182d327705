"""Per-user e-mail digests: what happened to a reporter in the last local day
or week, sent at 07:00 in the reporter's own time zone.

Schedule. A daily digest covers the previous local calendar day and is due
from 07:00 local; a weekly one covers the previous local Monday to Sunday and
is due from Monday 07:00 local. Periods are computed with zoneinfo from local
dates, so a 23- or 25-hour day around a DST change is still exactly one
period. ``period_start`` is the local midnight as an aware UTC datetime; the
unique (user, period_start) constraint on DigestSent makes every period
produce at most one mail: the row, the mail (into portal.outbox, which
delivers it after the commit) and ``sent_at`` are written in one
transaction, so a period is either wholly done or free for the next run.
The beat task runs every 15 minutes, so a missed run catches up on the next
one.

Content. Submissions are selected by their exact arrival time. Everything
read from the rollups (SourceDay, PortDay) is kept per UTC day; a period
reads the UTC days whose noon falls inside it (the days it overlaps most),
so consecutive periods share no day and skip none.
"""

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from portal import outbox
from portal.models import OutboundMail

from .models import AbuseReport, AbuseResponse, DigestSent
from .selectors import SourceRow, sources_between, totals_between

log = logging.getLogger(__name__)

SEND_AT = time(7, 0)
NOON = time(12, 0)
TOP_SOURCES = 10
TRENDING_PORTS = 5
ANSWER_LOOKBACK_DAYS = 30  # answers are shown for sources that hit the user this long before the period
UNSUBSCRIBE_SALT = "reports.digest.unsubscribe"


# --------------------------------------------------------------------------- schedule


@dataclass(frozen=True)
class Period:
    cadence: str
    first_day: date  # local, inclusive
    end_day: date  # local, exclusive
    tz: zoneinfo.ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        return local_midnight(self.end_day, self.tz)

    @property
    def due_at(self) -> datetime:
        return datetime.combine(self.end_day, SEND_AT, tzinfo=self.tz).astimezone(UTC)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def rollup_days(self) -> tuple[date, date]:
        """[first, end): the UTC days whose noon lies in [start, end). Each
        UTC day belongs to exactly one period, the one it overlaps most."""

        def first_noon_from(moment: datetime) -> date:
            return moment.date() if moment.time() <= NOON else moment.date() + timedelta(days=1)

        first = first_noon_from(self.start)
        return first, max(first, first_noon_from(self.end))

    @property
    def label(self) -> str:
        if self.cadence == "daily":
            return f"{self.first_day:%A, %-d %B %Y}"
        return f"{self.first_day:%-d %B} to {self.last_day:%-d %B %Y}"


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def current_period(cadence: str, tz: zoneinfo.ZoneInfo, now: datetime) -> Period:
    """The last complete period at ``now``: for a daily digest the previous
    local day, for a weekly one the previous local Monday to Sunday."""
    today = now.astimezone(tz).date()
    if cadence == "weekly":
        monday = today - timedelta(days=today.weekday())
        return Period(cadence, monday - timedelta(days=7), monday, tz)
    return Period(cadence, today - timedelta(days=1), today, tz)


def due_period(user, now: datetime) -> Period | None:
    """The period whose digest ``user`` is due at ``now`` (its DigestSent
    row aside), or None before 07:00 local on the sending day."""
    if user.digest not in ("daily", "weekly"):
        return None
    period = current_period(user.digest, user.tz, now)
    return period if now >= period.due_at else None


def digest_users():
    """Active users who chose a digest and whose address is verified."""
    from allauth.account.models import EmailAddress

    from portal.models import User

    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True, email__iexact=OuterRef("email"))
    # In id order, so a run goes through users in the same order every time.
    return User.objects.filter(is_active=True, digest__in=["daily", "weekly"]).filter(Exists(verified)).order_by("pk")


def due_digests(now: datetime) -> list[tuple]:
    """(user, period) for every digest that is due and not yet claimed."""
    candidates = []
    for user in digest_users().exclude(email=""):
        period = due_period(user, now)
        if period is not None:
            candidates.append((user, period))
    if not candidates:
        return []
    claimed = set(
        DigestSent.objects.filter(
            user__in=[u.pk for u, _ in candidates], period_start__gte=min(p.start for _, p in candidates)
        ).values_list("user_id", "period_start")
    )
    return [(u, p) for u, p in candidates if (u.pk, p.start) not in claimed]


# --------------------------------------------------------------------------- content


@dataclass
class TrendingPort:
    protocol: str
    port: int
    events: int
    previous: int

    @property
    def change(self) -> int:
        return self.events - self.previous

    @property
    def change_percent(self) -> int | None:
        return None if not self.previous else round(100 * self.change / self.previous)


@dataclass
class Digest:
    user: object
    period: Period
    submissions: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    sources: list[SourceRow] = field(default_factory=list)
    source_count: int = 0
    event_count: int = 0
    forwarded: list = field(default_factory=list)  # AbuseReport, with .answers
    answers: list = field(default_factory=list)  # AbuseResponse (human, automated)
    trending: list[TrendingPort] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.submissions or self.event_count or self.forwarded or self.answers)


def trending_ports(first: date, end: date, limit: int = TRENDING_PORTS) -> list[TrendingPort]:
    """Ports with more events portal-wide on [first, end) than in the period
    of the same length before it, biggest rise first."""
    previous = first - (end - first)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT protocol, target_port, current, previous FROM (
                SELECT protocol, target_port,
                       coalesce(sum(events) FILTER (WHERE day >= %(first)s), 0) AS current,
                       coalesce(sum(events) FILTER (WHERE day < %(first)s), 0) AS previous
                FROM incidents_port_day WHERE day >= %(previous)s AND day < %(end)s
                GROUP BY protocol, target_port
            ) p
            WHERE current > previous
            ORDER BY current - previous DESC, current DESC, protocol, target_port
            LIMIT %(limit)s
            """,
            {"first": first, "end": end, "previous": previous, "limit": limit},
        )
        return [TrendingPort(*row) for row in cur.fetchall()]


def _sources_seen(user, first: date, end: date):
    from incidents.models import SourceDay

    return SourceDay.objects.filter(reporter_id=user.pk, day__gte=first, day__lt=end).values("source_ip")


def build_digest(user, period: Period) -> Digest:
    from incidents.models import Submission

    first, end = period.rollup_days
    digest = Digest(user=user, period=period)
    submissions = Submission.objects.filter(user=user, created_at__gte=period.start, created_at__lt=period.end)
    digest.submissions = list(submissions.order_by("created_at"))
    counts = ("lines", "accepted", "duplicate", "filtered", "rejected")
    sums = submissions.aggregate(**{c: Sum(c) for c in counts})
    digest.totals = {c: sums[c] or 0 for c in counts}
    digest.sources = sources_between(user, first, end, limit=TOP_SOURCES)
    digest.source_count, digest.event_count = totals_between(user, first, end)
    answer_kinds = [AbuseResponse.Kind.HUMAN, AbuseResponse.Kind.AUTOMATED]
    digest.forwarded = list(
        AbuseReport.objects.filter(
            sent_at__gte=period.start,
            sent_at__lt=period.end,
            source_ip__in=_sources_seen(user, first, end),
        )
        .select_related("contact")
        .order_by("sent_at")
    )
    digest.answers = list(
        AbuseResponse.objects.filter(
            kind__in=answer_kinds,
            verified=True,  # anyone with the link can write to the reply address
            received_at__gte=period.start,
            received_at__lt=period.end,
            report__source_ip__in=_sources_seen(user, first - timedelta(days=ANSWER_LOOKBACK_DAYS), end),
        )
        .select_related("report", "report__contact")
        .order_by("received_at")
    )
    by_report = {}
    for answer in digest.answers:
        by_report.setdefault(answer.report_id, []).append(answer)
    for report in digest.forwarded:
        report.answers = by_report.get(report.pk, [])
    digest.trending = trending_ports(first, end)
    return digest


# --------------------------------------------------------------------------- mail


def unsubscribe_token(user) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def user_from_token(token: str):
    """The user id in a signed unsubscribe token; signing.BadSignature if forged."""
    return signing.loads(token, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user) -> str:
    return f"{settings.SITE_URL}/digest/unsubscribe/{unsubscribe_token(user)}/"


def compose(digest: Digest) -> EmailMultiAlternatives:
    user, period = digest.user, digest.period
    unsubscribe = unsubscribe_url(user)
    context = {
        "digest": digest,
        "period": period,
        "tz_name": user.timezone,
        "report_url": f"{settings.SITE_URL}/",
        "profile_url": f"{settings.SITE_URL}/profile/",
        "unsubscribe_url": unsubscribe,
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
    }
    kind = "Daily" if period.cadence == "daily" else "Weekly"
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {kind} digest: {period.label}",
        body=render_to_string("reports/digest_email.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("reports/digest_email.html", context), "text/html")
    return message


def send_digest(user, period: Period, now: datetime | None = None) -> str:
    """Claim, build and queue one digest. Returns "sent", "empty" or
    "skipped" (another run claimed the period first)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # A concurrent run waits here on the unique key until this one commits.
            claim = DigestSent.objects.create(
                user=user, cadence=period.cadence, period_start=period.start, period_end=period.end
            )
            digest = build_digest(user, period)
            if digest.empty:
                DigestSent.objects.filter(pk=claim.pk).update(empty=True)
                return "empty"
            outbox.queue(compose(digest), OutboundMail.Kind.DIGEST)
            DigestSent.objects.filter(pk=claim.pk).update(sent_at=now)
    except IntegrityError:
        return "skipped"
    return "sent"


def send_due_digests(now: datetime | None = None) -> dict[str, int]:
    """Send every digest due at ``now``; one failing user does not stop the others."""
    now = now or timezone.now()
    results = {"sent": 0, "empty": 0, "skipped": 0, "failed": 0}
    for user, period in due_digests(now):
        try:
            results[send_digest(user, period, now)] += 1
        except Exception:
            log.exception("digest for user %s, period %s, failed", user.pk, period.start)
            results["failed"] += 1
    return results


def unsubscribe(user_id: int) -> int:
    from portal.models import User

    return User.objects.filter(pk=user_id).update(digest=User.Digest.OFF)
