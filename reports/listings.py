"""Why a network is or is not on the block list, and the people who decide.

Three ways a human steps in (ListingReview):

- **Holds.** A network that is new in the list (not on the day before's)
  with a sudden weight (its independent reporters at least doubled against
  the window one day earlier) is held until an admin approves it, when
  TRUST_REVIEW_NEW_LISTINGS is on. Poisoning needs a jump; a steady worm
  builds up over days and is listed as it grows.
- **Appeals.** Anyone can ask for a listed network to be reviewed. It stays
  listed until an admin decides; appeals written from the network's abuse
  domain come first.
- **Delistings.** A delisted network stays out for BLOCKLIST_DELIST_DAYS,
  unless TRUST_MIN_NETWORKS independent reporters that were not counted at
  the decision see it afterwards.

Every decision rebuilds today's list and tells the requester (through the
outbox). ``explain`` puts all of it in words for the IP and subnet pages.
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.trust.selectors import counting_join, known_for_listing
from portal import outbox
from portal.models import OutboundMail

from .blocklist_ranking import SIZE, WINDOW_DAYS, rank, window
from .models import BlockList, ListingReview
from .reserved import RESERVED

SUDDEN_FACTOR = 2


def network_of(address: str) -> str:
    """The block list's network (the /24) of an IPv4 address or of a longer
    network; a shorter network is returned as it is."""
    net = ipaddress.ip_network(address, strict=False)
    if net.prefixlen < 24:
        return str(net)
    return str(ipaddress.ip_network(f"{net.network_address}/24", strict=False))


# --------------------------------------------------------------------- the build's filter


def _previous_networks(day: date) -> set[str]:
    snapshot = BlockList.objects.filter(day__lt=day).only("entries").order_by("-day").first()
    if snapshot is None:
        return set()
    return {f"{e['start']}/{e['netblock']}" for e in snapshot.entries if not e["reserved"]}


NEW_GROUPS = f"""
SELECT count(DISTINCT t.grp) FROM incidents_source_day s {counting_join("s")}
WHERE s.source_ip <<= %(network)s::inet AND s.first_seen > %(since)s AND s.day >= %(since_day)s
  AND NOT t.grp = ANY(%(known)s::int[])
"""  # noqa: S608 (our own clauses)


def groups_in(network: str, first_day: date, last_day: date) -> list[int]:
    """The independent reporters (groups) that saw ``network`` on those days."""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT DISTINCT t.grp FROM incidents_source_day s {counting_join("s")}
                WHERE s.source_ip <<= %(network)s::inet AND s.day >= %(first)s AND s.day <= %(last)s
                ORDER BY 1""",  # noqa: S608
            {"network": network, "first": first_day, "last": last_day},
        )
        return [row[0] for row in cur.fetchall()]


def _relisted_by_new_reporters(review: ListingReview) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            NEW_GROUPS,
            {
                "network": str(review.network),
                "since": review.decided_at,
                "since_day": review.decided_at.date(),
                "known": review.groups_at_decision,
            },
        )
        return cur.fetchone()[0] >= settings.TRUST_MIN_NETWORKS


def _sudden(day: date, candidates: list) -> set[str]:
    """The candidates whose independent reporters at least doubled against
    the window one day earlier (below the listing minimum counts as none)."""
    if not candidates:
        return set()
    first, last = window(day - timedelta(days=1))
    before = {
        r.network: r.reporters
        for r in rank(first, last, limit=len(candidates), networks=[c.network for c in candidates])
    }
    return {c.network for c in candidates if c.reporters >= SUDDEN_FACTOR * before.get(c.network, 0)}


def admitted(day: date, ranked: list, size: int) -> list:
    """The first ``size`` of ``ranked`` that reviews let through; holds the
    new and sudden ones (creating their reviews) on the way."""
    now = timezone.now()
    reviews = ListingReview.objects.filter(network__in=[r.network for r in ranked]).exclude(
        status=ListingReview.Status.DISMISSED
    )
    delisted, held, approved = {}, set(), set()
    for review in reviews.order_by("created_at"):
        net = str(review.network)
        if review.status == ListingReview.Status.DELISTED and review.delisted_until and review.delisted_until > now:
            delisted[net] = review
        elif review.kind == ListingReview.Kind.HOLD and review.status == ListingReview.Status.PENDING:
            held.add(net)
        elif review.status == ListingReview.Status.LISTED:
            approved.add(net)
    new = []
    if settings.TRUST_REVIEW_NEW_LISTINGS:
        previous = _previous_networks(day)
        new = [r for r in ranked if r.network not in previous and r.network not in approved | held]
    sudden = _sudden(day, new[: size + len(held) + len(delisted)])
    kept = []
    for r in ranked:
        if len(kept) == size:
            break
        if r.network in delisted and not _relisted_by_new_reporters(delisted[r.network]):
            continue
        if r.network in held:
            continue
        if r.network in sudden:
            _hold(r, day)
            continue
        kept.append(r)
    return kept


def _evidence(r, day: date) -> dict:
    return {
        "day": day.isoformat(),
        "reporters": r.reporters,
        "weight": r.weight,
        "attacks": r.events,
        "first_seen": r.first_seen.astimezone(UTC).isoformat(),
        "last_seen": r.last_seen.astimezone(UTC).isoformat(),
    }


def _hold(r, day: date) -> ListingReview:
    review, _ = ListingReview.objects.get_or_create(
        network=r.network,
        kind=ListingReview.Kind.HOLD,
        status=ListingReview.Status.PENDING,
        defaults={"evidence": _evidence(r, day)},
    )
    return review


# --------------------------------------------------------------------- requests and decisions


class NotListed(ValueError):
    """Only a listed (or held) network can be reviewed."""


def _owner_domain(network: str) -> str | None:
    from .contacts import known_contact

    contact = known_contact(str(ipaddress.ip_network(network).network_address), stale_ok=True)
    email = contact.working_email if contact else None
    return email.rpartition("@")[2].lower() if email else None


def review_request(*, network: str, email: str, name: str = "", message: str = "") -> ListingReview:
    """Ask for a review of a listed network; asking again while one is
    pending returns that one."""
    network = network_of(network)
    listed = current_listing(network)
    if listed is None:
        raise NotListed(f"{network} is not on the current block list.")
    existing = ListingReview.objects.filter(
        network=network,
        kind=ListingReview.Kind.APPEAL,
        status=ListingReview.Status.PENDING,
        requester_email__iexact=email,
    ).first()
    if existing:
        return existing
    return ListingReview.objects.create(
        network=network,
        kind=ListingReview.Kind.APPEAL,
        requester_email=email,
        requester_name=name[:120],
        message=message[:4000],
        from_owner=email.rpartition("@")[2].lower() == _owner_domain(network),
        evidence=listed,
    )


def review_decide(*, review: ListingReview, delist: bool, by=None, note: str = "") -> ListingReview:
    """Delist the network, or keep it listed (approving a hold). Rebuilds
    today's list and tells the requester, both after the commit."""
    now = timezone.now()
    first, last = window(now.astimezone(UTC).date())
    with transaction.atomic():
        review = ListingReview.objects.select_for_update().get(pk=review.pk)
        if review.status != ListingReview.Status.PENDING and not (
            delist and review.status == ListingReview.Status.LISTED
        ):
            return review
        review.status = ListingReview.Status.DELISTED if delist else ListingReview.Status.LISTED
        review.decided_at, review.decided_by, review.decision_note = now, by, note[:500]
        review.groups_at_decision = groups_in(str(review.network), first, last + timedelta(days=1))
        review.delisted_until = now + timedelta(days=settings.BLOCKLIST_DELIST_DAYS) if delist else None
        review.save()
        if review.requester_email:
            outbox.queue(_outcome_mail(review), OutboundMail.Kind.REVIEW)
        transaction.on_commit(_rebuild_today)
    return review


def review_dismiss(*, review: ListingReview, by=None) -> None:
    ListingReview.objects.filter(pk=review.pk, status=ListingReview.Status.PENDING).update(
        status=ListingReview.Status.DISMISSED, decided_at=timezone.now(), decided_by=by
    )


def _rebuild_today() -> None:
    from .tasks import rebuild_blocklist

    rebuild_blocklist.delay()


def _outcome_mail(review: ListingReview) -> EmailMessage:
    context = {
        "review": review,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "status_url": f"{settings.SITE_URL}/blocklist/review/status/{review.token}/",
    }
    subject = render_to_string("reports/mail/listing_review_subject.txt", context).strip()
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("reports/mail/listing_review_body.txt", context),
        to=[review.requester_email],
        headers={"Auto-Submitted": "auto-replied"},
    )


# --------------------------------------------------------------------- explanations


@dataclass
class Explanation:
    """Why ``network`` is or is not listed, for pages and the API."""

    network: str
    status: str  # listed, held, delisted, never, reserved, not listed
    summary: str
    rank: int | None = None
    day: date | None = None
    reporters: int | None = None
    weight: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    rule: str = ""
    can_appeal: bool = False


def rule_text() -> str:
    return (
        f"The block list holds the {SIZE} IPv4 /24 networks seen by the most independent reporters (at least "
        f"{settings.TRUST_MIN_NETWORKS}: verified, past probation, trusted, on distinct networks) over the "
        f"{WINDOW_DAYS} whole UTC days before the list's day; ties go to more targets, counted up to "
        f"{settings.TRUST_TARGETS_PER_SOURCE_DAY} per reporter, source and day. Well-known infrastructure and "
        "research scanners are never listed."
    )


def current_listing(network: str) -> dict | None:
    """The newest list's entry for ``network`` (a /24), or None."""
    snapshot = BlockList.objects.only("day", "entries").order_by("-day").first()
    if snapshot is None:
        return None
    start = network.split("/")[0]
    for e in snapshot.entries:
        if not e["reserved"] and e["start"] == start:
            return {**e, "day": snapshot.day.isoformat()}
    return None


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def explain(address: str) -> Explanation:
    """Why the /24 of ``address`` (an IPv4 address or network) is or is not
    on the newest list, in words and figures."""
    ip = ipaddress.ip_network(address, strict=False)
    if ip.version != 4:
        return Explanation(str(ip), "not listed", "The block list holds IPv4 networks only.", rule=rule_text())
    network = network_of(address)
    rule = rule_text()
    for r in RESERVED:
        if ip.subnet_of(ipaddress.ip_network(r.cidr)):
            return Explanation(
                network,
                "reserved",
                f"Reserved address space ({r.name}, {r.rfc}): listed whole, "
                "since it is never a real source on the Internet.",
                rule=rule,
            )
    known = known_for_listing(address, network)
    if known is not None:
        what = "a research scanner" if known.is_scanner else "well-known infrastructure"
        return Explanation(network, "never", f"Never listed: {what} ({known.name}; from {known.source}).", rule=rule)
    review = (
        ListingReview.objects.filter(network=network)
        .exclude(status=ListingReview.Status.DISMISSED)
        .order_by("-created_at")
        .first()
    )
    now = timezone.now()
    if (
        review
        and review.status == ListingReview.Status.DELISTED
        and review.delisted_until
        and review.delisted_until > now
        and not _relisted_by_new_reporters(review)
    ):
        return Explanation(
            network,
            "delisted",
            f"Delisted after a review on {review.decided_at:%Y-%m-%d}; it stays out until "
            f"{review.delisted_until:%Y-%m-%d} unless {settings.TRUST_MIN_NETWORKS} new independent reporters see it.",
            rule=rule,
        )
    entry = current_listing(network)
    if entry is not None:
        return Explanation(
            network,
            "listed",
            f"Listed at rank {entry['rank']} on the list of {entry['day']}: {entry['reporters']} independent "
            f"reporters on as many networks, weight {entry['targets']}.",
            rank=entry["rank"],
            day=date.fromisoformat(entry["day"]),
            reporters=entry["reporters"],
            weight=entry["targets"],
            first_seen=_iso(entry.get("first_seen")),
            last_seen=_iso(entry.get("last_seen")),
            rule=rule,
            can_appeal=True,
        )
    if review and review.kind == ListingReview.Kind.HOLD and review.status == ListingReview.Status.PENDING:
        return Explanation(
            network,
            "held",
            "New in the list with a sudden weight: waiting for an admin's review before it is listed.",
            rule=rule,
            reporters=review.evidence.get("reporters"),
        )
    first, last = window(now.astimezone(UTC).date())
    groups = len(groups_in(network, first, last))
    k = settings.PUBLIC_K_REPORTERS
    if groups < k:
        # Below k the count itself would tell a prober whether one reporter watches his source.
        summary = (
            f"Not listed: seen by fewer than {k} independent reporters from {first} to {last}; listing needs at "
            f"least {settings.TRUST_MIN_NETWORKS}."
        )
        groups = None
    elif groups < settings.TRUST_MIN_NETWORKS:
        summary = (
            f"Not listed: {groups} independent reporters saw it from {first} to {last}; listing needs at least "
            f"{settings.TRUST_MIN_NETWORKS}."
        )
    else:
        summary = (
            f"Not listed: {groups} independent reporters saw it from {first} to {last}, fewer than the "
            "networks ranked above it."
        )
    return Explanation(network, "not listed", summary, reporters=groups, rule=rule)
