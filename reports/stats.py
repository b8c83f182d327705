"""FightBack's worth: do networks answer, and do reported sources stop sooner?

Persistence is the time between a source's first and last sighting portal-wide
(DESIGN.md). Sources that were reported are compared with sources that met
the reporter threshold but were never reported; the share still active after
each interval is the curve DESIGN.md describes (most stop within hours, a few
scan for days). A network has answered only by a verified reply
(reports.responses.verify): the reply address is known to every notified reporter."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

INTERVALS_HOURS = (1, 6, 24, 72, 168)

NETWORKS = """
SELECT c.id, coalesce(nullif(c.organisation, ''), host(c.netblock), 'AS' || c.asn::text),
       count(DISTINCT r.id) FILTER (WHERE r.state IN ('sent', 'failed')) AS sent,
       count(DISTINCT r.id) FILTER (WHERE EXISTS (
           SELECT 1 FROM reports_abuseresponse a WHERE a.report_id = r.id AND a.kind <> 'bounce' AND a.verified
       )) AS answered,
       count(DISTINCT r.id) FILTER (WHERE EXISTS (
           SELECT 1 FROM reports_abuseresponse a WHERE a.report_id = r.id AND a.kind = 'human' AND a.verified
       )) AS by_people,
       count(DISTINCT r.id) FILTER (WHERE EXISTS (
           SELECT 1 FROM reports_abuseresponse a WHERE a.report_id = r.id AND a.kind = 'bounce')) AS bounced,
       count(DISTINCT r.id) FILTER (WHERE r.outcome IN ('compromised', 'fixed')) AS acted
FROM reports_networkcontact c JOIN reports_abusereport r ON r.contact_id = c.id
GROUP BY c.id ORDER BY sent DESC, 2
"""

PERSISTENCE = """
WITH sources AS (
    SELECT source_ip, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
           count(DISTINCT reporter_id) AS reporters
    FROM incidents_source_day GROUP BY source_ip
), grouped AS (
    SELECT EXISTS (SELECT 1 FROM reports_abusereport r WHERE r.source_ip = s.source_ip AND r.state = 'sent')
               AS reported,
           extract(epoch FROM s.last_seen - s.first_seen) / 3600 AS hours
    FROM sources s WHERE s.reporters >= %(min_reporters)s
)
SELECT reported, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY hours),
       {still_active}
FROM grouped GROUP BY reported
"""


@dataclass
class NetworkRates:
    contact_id: int
    network: str
    sent: int
    answered: int
    by_people: int
    bounced: int
    acted: int

    @property
    def response_rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


@dataclass
class Persistence:
    sources: int
    median_hours: float
    still_active: list[tuple[int, float]]  # (after hours, share of sources)


def network_rates() -> list[NetworkRates]:
    with connection.cursor() as cur:
        cur.execute(NETWORKS)
        return [NetworkRates(*row) for row in cur.fetchall()]


def persistence() -> dict[str, Persistence | None]:
    """{"reported": …, "never reported": …} among sources over the threshold."""
    still = ", ".join(f"avg((hours > {h})::int)" for h in INTERVALS_HOURS)
    with connection.cursor() as cur:
        cur.execute(PERSISTENCE.format(still_active=still), {"min_reporters": settings.FIGHTBACK_MIN_REPORTERS})
        rows = cur.fetchall()
    result: dict[str, Persistence | None] = {"reported": None, "never reported": None}
    for reported, count, median, *shares in rows:
        result["reported" if reported else "never reported"] = Persistence(
            count, float(median or 0), [(h, float(s or 0)) for h, s in zip(INTERVALS_HOURS, shares, strict=True)]
        )
    return result
