"""Computing each reporter's standing: probation, trust score, independence.

Run by ``standings_refresh`` (hourly, and at once after an admin suspends or
vouches). The score follows the shape of CrowdSec's published trust model:
a reporter earns trust with age and volume, and above all by *agreeing*
with other reporters (the sources it reports are also seen by independent
others) and by reporting sources spread over many networks, as a real
firewall does. A poisoner's invented sources agree with no one and sit in
the few networks he wants listed.

Independence: reporters who submit from one /24 (/48 for IPv6) or one
autonomous system, whose own networks overlap, or who submit from each
other's networks are tied together, and a tie is transitive; each connected
set is one *group*, named by its lowest reporter id, and public outputs
count distinct groups. Only reporters past probation are grouped.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import SourceDay, Submission
from portal.models import OwnedNetwork, User

from .models import ReporterStanding

WINDOW_DAYS = 30  # the reports that the score reads
TIES_DAYS = 90  # how far back submitting addresses tie reporters together
AGE_FULL_DAYS = 90
VOLUME_FULL_SOURCE_DAYS = 1000
AGREEMENT_FULL = 0.5  # half of one's sources also seen by others is as good as it gets
SPREAD_FULL_NETWORKS = 20  # distinct /16s (IPv6: /32s) of the sources reported
WEIGHTS = {"age": 0.2, "volume": 0.2, "agreement": 0.4, "spread": 0.2}


@dataclass
class Facts:
    reporter_id: int
    active: bool
    joined: datetime
    verified: bool
    submission_days: int
    vouched: bool = False
    suspended: bool = False
    sources: int = 0
    source_days: int = 0
    agreed: int = 0
    networks: int = 0
    reasons: list[str] = field(default_factory=list)

    def past_probation(self, now: datetime) -> bool:
        return (
            self.verified
            and (now - self.joined).days >= settings.TRUST_PROBATION_DAYS
            and self.submission_days >= settings.TRUST_PROBATION_SUBMISSION_DAYS
        )

    def components(self, now: datetime) -> dict[str, float]:
        age = (now - self.joined).total_seconds() / 86400
        agreement = self.agreed / self.sources if self.sources else 0.0
        return {
            "age": round(min(1.0, age / AGE_FULL_DAYS), 3),
            "volume": round(min(1.0, math.log10(1 + self.source_days) / math.log10(1 + VOLUME_FULL_SOURCE_DAYS)), 3),
            "agreement": round(min(1.0, agreement / AGREEMENT_FULL), 3),
            "spread": round(min(1.0, self.networks / SPREAD_FULL_NETWORKS), 3),
        }


def score_of(components: dict[str, float]) -> float:
    return round(sum(WEIGHTS[name] * value for name, value in components.items()), 3)


FACTS = f"""
SELECT u.id, u.is_active, u.date_joined,
       EXISTS (SELECT 1 FROM {EmailAddress._meta.db_table} e
               WHERE e.user_id = u.id AND e.verified AND lower(e.email) = lower(u.email)),
       (SELECT count(DISTINCT (s.created_at AT TIME ZONE 'UTC')::date) FROM {Submission._meta.db_table} s
        WHERE s.user_id = u.id AND s.status = %(done)s AND s.accepted > 0)
FROM {User._meta.db_table} u
"""  # noqa: S608 (table names, not input)

# Per reporter over the window: distinct sources, (source, day) pairs, the
# sources that some other group also reported ("agreed"), and the distinct
# networks those sources lie in. Groups are those of the first pass, given
# as two arrays.
REPORTS = f"""
WITH g (reporter_id, grp) AS (SELECT * FROM unnest(%(ids)s::int[], %(groups)s::int[])),
rs AS (
    SELECT reporter_id, source_ip, count(DISTINCT day) AS days
    FROM {SourceDay._meta.db_table} WHERE day >= %(since)s
    GROUP BY reporter_id, source_ip
),
src AS (
    SELECT rs.source_ip, count(DISTINCT g.grp) AS groups, min(g.grp) AS lo
    FROM rs JOIN g USING (reporter_id) GROUP BY rs.source_ip
)
SELECT rs.reporter_id, count(*), sum(rs.days),
       count(*) FILTER (WHERE src.groups >= 2 OR (src.groups = 1 AND src.lo IS DISTINCT FROM mine.grp)),
       count(DISTINCT network(set_masklen(rs.source_ip, CASE family(rs.source_ip) WHEN 4 THEN 16 ELSE 32 END)))
FROM rs
LEFT JOIN src USING (source_ip)
LEFT JOIN g mine ON mine.reporter_id = rs.reporter_id
GROUP BY rs.reporter_id
"""  # noqa: S608

SUBMIT_NETWORKS = f"""
SELECT DISTINCT user_id, host(client_ip), network(set_masklen(client_ip::inet,
       CASE family(client_ip::inet) WHEN 4 THEN 24 ELSE 48 END))::text
FROM {Submission._meta.db_table} WHERE client_ip IS NOT NULL AND created_at >= %(since)s
"""  # noqa: S608
OVERLAPPING_NETWORKS = f"""
SELECT DISTINCT a.user_id, b.user_id FROM {OwnedNetwork._meta.db_table} a
JOIN {OwnedNetwork._meta.db_table} b ON a.cidr && b.cidr AND a.user_id < b.user_id
UNION
SELECT DISTINCT s.user_id, o.user_id FROM {Submission._meta.db_table} s
JOIN {OwnedNetwork._meta.db_table} o ON o.cidr >>= s.client_ip::inet AND o.user_id <> s.user_id
WHERE s.client_ip IS NOT NULL AND s.created_at >= %(since)s
"""  # noqa: S608


class _Groups:
    """Union-find over reporter ids; a group is named by its lowest id."""

    def __init__(self, ids):
        self.parent = {i: i for i in ids}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def tie(self, a: int, b: int) -> None:
        if a in self.parent and b in self.parent:
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                self.parent[max(ra, rb)] = min(ra, rb)


def _autonomous_system(address: str) -> str | None:
    """The AS an address is in, by name: the offline data carry names, not numbers."""
    from incidents import geo  # loads its data on first use: only when there are addresses to place

    return geo.as_name_of(address)


def groups_of(ids: set[int], now: datetime) -> dict[int, int]:
    """Each reporter of ``ids`` with its independence group."""
    groups = _Groups(ids)
    since = now - timedelta(days=TIES_DAYS)
    first_by_key: dict[str, int] = {}

    def tie_by(key: str, user_id: int) -> None:
        first = first_by_key.setdefault(key, user_id)
        groups.tie(first, user_id)

    with connection.cursor() as cur:
        cur.execute(SUBMIT_NETWORKS, {"since": since})
        for user_id, address, network in cur.fetchall():
            if user_id not in ids:
                continue
            tie_by(f"net:{network}", user_id)
            if settings.TRUST_GROUP_BY_ASN and (system := _autonomous_system(address)):
                tie_by(f"as:{system}", user_id)
        cur.execute(OVERLAPPING_NETWORKS, {"since": since})
        for a, b in cur.fetchall():
            groups.tie(a, b)
    return {i: groups.find(i) for i in ids}


def _facts(now: datetime) -> dict[int, Facts]:
    with connection.cursor() as cur:
        cur.execute(FACTS, {"done": Submission.Status.DONE})
        facts = {row[0]: Facts(*row) for row in cur.fetchall()}
    for reporter_id, vouched, suspended in ReporterStanding.objects.values_list(
        "reporter_id", "vouched", "suspended_at"
    ):
        if reporter_id in facts:
            facts[reporter_id].vouched = vouched
            facts[reporter_id].suspended = suspended is not None
    return facts


def _reasons(f: Facts, now: datetime, components: dict[str, float], score: float) -> list[str]:
    reasons = []
    if f.suspended:
        reasons.append("suspended by an admin")
    if not f.active:
        reasons.append("account inactive")
    if f.vouched:
        reasons.append("vouched for by an admin: probation and score do not apply")
    else:
        if not f.verified:
            reasons.append("e-mail address not verified")
        age = (now - f.joined).days
        if age < settings.TRUST_PROBATION_DAYS:
            reasons.append(f"account {age} days old (probation: {settings.TRUST_PROBATION_DAYS})")
        if f.submission_days < settings.TRUST_PROBATION_SUBMISSION_DAYS:
            reasons.append(
                f"accepted logs on {f.submission_days} days (probation: {settings.TRUST_PROBATION_SUBMISSION_DAYS})"
            )
        if score < settings.TRUST_MIN_SCORE:
            reasons.append(f"trust {score:.2f} below {settings.TRUST_MIN_SCORE:.2f}")
    reasons.append(
        f"{f.sources} sources in {WINDOW_DAYS} days, {f.agreed} also seen by independent others, "
        f"in {f.networks} networks; trust {score:.2f} "
        f"(age {components['age']:.2f}, volume {components['volume']:.2f}, "
        f"agreement {components['agreement']:.2f}, spread {components['spread']:.2f})"
    )
    return reasons


def standings_refresh(now: datetime | None = None) -> dict[str, int]:
    """Recompute every reporter's standing; return how many count and how
    many do not."""
    now = now or timezone.now()
    facts = _facts(now)
    eligible = {i for i, f in facts.items() if f.active and not f.suspended and (f.vouched or f.past_probation(now))}
    group = groups_of(eligible, now)
    with connection.cursor() as cur:
        cur.execute(
            REPORTS,
            {"ids": list(group), "groups": list(group.values()), "since": (now - timedelta(days=WINDOW_DAYS)).date()},
        )
        for reporter_id, sources, source_days, agreed, networks in cur.fetchall():
            if reporter_id in facts:
                f = facts[reporter_id]
                f.sources, f.source_days, f.agreed, f.networks = sources, int(source_days), agreed, networks
    rows = []
    for reporter_id, f in facts.items():
        components = f.components(now)
        score = score_of(components)
        counts = reporter_id in eligible and (f.vouched or score >= settings.TRUST_MIN_SCORE)
        rows.append(
            ReporterStanding(
                reporter_id=reporter_id,
                counts=counts,
                group=group.get(reporter_id),
                score=score,
                components=components,
                reasons=_reasons(f, now, components, score),
                computed_at=now,
            )
        )
    with transaction.atomic():
        ReporterStanding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["reporter"],
            update_fields=["counts", "group", "score", "components", "reasons", "computed_at"],
        )
    counting = sum(r.counts for r in rows)
    return {"counting": counting, "not counting": len(rows) - counting}


def reporter_suspend(*, reporter_id: int, reason: str, now: datetime | None = None) -> None:
    """Take a reporter's weight out of everything public, past reports
    included: public figures are computed from the rollups at read time, so
    a reporter who stops counting stops counting everywhere at once."""
    now = now or timezone.now()
    ReporterStanding.objects.update_or_create(
        reporter_id=reporter_id, defaults={"suspended_at": now, "suspended_reason": reason[:200], "counts": False}
    )
    standings_refresh(now)


def reporter_reinstate(*, reporter_id: int) -> None:
    ReporterStanding.objects.filter(reporter_id=reporter_id).update(suspended_at=None, suspended_reason="")
    standings_refresh()


def reporter_vouch(*, reporter_id: int, vouched: bool = True) -> None:
    ReporterStanding.objects.update_or_create(reporter_id=reporter_id, defaults={"vouched": vouched})
    standings_refresh()
