"""The front page: top sources and ports of a day with their trends, and the
ports whose sources or reporters jumped above their own baseline. Every
figure counts independent reporters who count (incidents.trust), and a
source or a port's day is public only once k of them saw it."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from incidents.trust.selectors import Known, counting_join, public_k

from .labels import labels_of

TOP = 10
HISTORY_DAYS = 30
TREND_AVERAGE_DAYS = 7
FRONT_PAGE_CACHE_SECONDS = 60


def last_whole_day() -> date:
    """The front page's day: yesterday (UTC), the last day that is over."""
    return timezone.now().date() - timedelta(days=1)


def port_name(protocol: str, port: int) -> str:
    """``tcp/22``; ``icmp`` where the protocol has no ports."""
    return protocol if port == -1 else f"{protocol}/{port}"


@dataclass
class Trend:
    """One day's figure against the day before and against the average of the
    TREND_AVERAGE_DAYS before it (days without reports count as 0)."""

    value: int
    previous: int
    average: float

    @property
    def change(self) -> int:
        return self.value - self.previous

    @property
    def direction(self) -> str:
        """Against the day before: "new" (nothing then), "up", "down" or "same"."""
        if self.previous == 0:
            return "new" if self.value else "same"
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"

    @property
    def ratio(self) -> float | None:
        """The day over the 7-day average; None when the average is 0."""
        return round(self.value / self.average, 1) if self.average else None


@dataclass
class TopSource:
    source_ip: str
    events: int
    reporters: int
    ports: list[str]  # "tcp/22", at most three, the most reported first
    port_count: int  # ports at least k independent reporters saw it on
    trend: Trend  # of reporters
    known: Known | None = None  # a research scanner or well-known infrastructure


@dataclass
class TopPort:
    protocol: str
    port: int
    events: int
    sources: int
    reporters: int
    trend: Trend  # of sources

    @property
    def name(self) -> str:
        return port_name(self.protocol, self.port)


# The day's sources at least k independent reporters saw, the most first
# (ties by all their events); then, for each of the top ones, by range reads
# of (source_ip, day): its ports at least k saw, whose events are the events
# shown (a port fewer saw tells whom the source found), and its independent
# reporters on each of the 7 days before, where at least k (else 0).
TOP_SOURCES = f"""
WITH top AS (
    SELECT s.source_ip, count(DISTINCT t.grp) AS reporters
    FROM incidents_source_day s {counting_join("s")}
    WHERE s.day = %(day)s
    GROUP BY s.source_ip
    HAVING count(DISTINCT t.grp) >= %(k)s
    ORDER BY count(DISTINCT t.grp) DESC, sum(s.events) DESC, s.source_ip
    LIMIT %(limit)s
)
SELECT host(t.source_ip), p.events, t.reporters, p.port_count, p.ports, b.previous, b.reporter_days
FROM top t
CROSS JOIN LATERAL (
    SELECT coalesce(sum(groups) FILTER (WHERE day = %(previous)s), 0)::bigint AS previous,
           coalesce(sum(groups), 0)::bigint AS reporter_days
    FROM (SELECT s.day, count(DISTINCT g.grp) AS groups
          FROM incidents_source_day s {counting_join("s", "g")}
          WHERE s.source_ip = t.source_ip AND s.day >= %(week)s AND s.day < %(day)s
          GROUP BY s.day HAVING count(DISTINCT g.grp) >= %(k)s) d
) b
CROSS JOIN LATERAL (
    SELECT coalesce(sum(events), 0) AS events, count(*) AS port_count,
           (array_agg(ARRAY[protocol, target_port::text]
                      ORDER BY reporters DESC, events DESC, protocol, target_port))[1:3] AS ports
    FROM (SELECT s.protocol, s.target_port, count(DISTINCT g.grp) AS reporters, sum(s.events) AS events
          FROM incidents_source_day s {counting_join("s", "g")}
          WHERE s.source_ip = t.source_ip AND s.day = %(day)s
          GROUP BY s.protocol, s.target_port HAVING count(DISTINCT g.grp) >= %(k)s) q
) p
ORDER BY t.reporters DESC, p.events DESC, t.source_ip
"""  # noqa: S608 (table names, not input)


def _trend_params(day: date, limit: int) -> dict:
    return {
        "day": day,
        "previous": day - timedelta(days=1),
        "week": day - timedelta(days=TREND_AVERAGE_DAYS),
        "limit": limit,
        "k": public_k(),
    }


def top_sources(day: date, limit: int = TOP) -> list[TopSource]:
    """The sources most independent reporters saw on ``day`` (at least k),
    with the trend of their reporters. Reads that day's SourceDay rows (its
    key starts with the day); labels the known networks among them."""
    with connection.cursor() as cur:
        cur.execute(TOP_SOURCES, _trend_params(day, limit))
        rows = cur.fetchall()
    known = labels_of([row[0] for row in rows])
    return [
        TopSource(
            source_ip=ip,
            events=events,
            reporters=reporters,
            ports=[port_name(proto, int(port)) for proto, port in ports or []],
            port_count=port_count,
            trend=Trend(reporters, previous, round(reporter_days / TREND_AVERAGE_DAYS, 1)),
            known=known.get(ip),
        )
        for ip, events, reporters, port_count, ports, previous, reporter_days in rows
    ]


# A port's figures of a day as public pages show them: only once at least k
# independent reporters saw the port that day; below, the day reads as no
# reports at all, as if nobody watched the port (a port few watch tells who).
PUBLIC_PORT_DAY = """(
    SELECT day, protocol, target_port, public_events AS events, sources, reporters, counted_events <> events AS counting
    FROM incidents_port_day WHERE reporters >= %(k)s
)"""

TOP_PORTS = f"""
WITH top AS (
    SELECT protocol, target_port, events, sources, reporters FROM {PUBLIC_PORT_DAY} p WHERE day = %(day)s
    ORDER BY sources DESC, events DESC, protocol, target_port LIMIT %(limit)s
)
SELECT t.protocol, t.target_port, t.events, t.sources, t.reporters,
       coalesce(b.previous, 0), coalesce(b.week, 0)
FROM top t
CROSS JOIN LATERAL (
    SELECT sum(sources) FILTER (WHERE day = %(previous)s) AS previous, sum(sources) AS week
    FROM {PUBLIC_PORT_DAY} d
    WHERE d.protocol = t.protocol AND d.target_port = t.target_port AND d.day >= %(week)s AND d.day < %(day)s
) b
ORDER BY t.sources DESC, t.events DESC, t.protocol, t.target_port
"""  # noqa: S608 (no input in the text)


def top_ports(day: date, limit: int = TOP) -> list[TopPort]:
    """The ports most sources tried on ``day``, with the trend of their sources."""
    with connection.cursor() as cur:
        cur.execute(TOP_PORTS, _trend_params(day, limit))
        rows = cur.fetchall()
    return [
        TopPort(proto, port, events, sources, reporters, Trend(sources, previous, round(week / TREND_AVERAGE_DAYS, 1)))
        for proto, port, events, sources, reporters, previous, week in rows
    ]


# --- Anomalies: the early warning -----------------------------------------------------------------------------

# A port is flagged on a day when its distinct sources, or its distinct
# reporters, on that day are all of:
#   - at least ANOMALY_MINIMUM (so a port tried by a handful never flaps),
#   - at least ANOMALY_FACTOR times the median of the ANOMALY_BASELINE_DAYS
#     before it (days without reports count as 0), and
#   - at least ANOMALY_DEVIATIONS robust deviations above that median (the
#     median absolute deviation scaled by 1.4826, at least 1), so a port
#     that is always noisy and jumpy needs a bigger jump.
# Medians, not means: one earlier burst does not raise the bar for weeks.
# No flags before the portal has ANOMALY_MIN_HISTORY_DAYS of history, when
# every port would look new.
ANOMALY_BASELINE_DAYS = 14
ANOMALY_MIN_HISTORY_DAYS = 7
ANOMALY_FACTOR = 3
ANOMALY_DEVIATIONS = 5
ANOMALY_MINIMUM = {"sources": 10, "reporters": 5}
MAD_TO_SD = 1.4826


def anomaly_rule() -> str:
    """The rule in words, for the page; built from the same constants."""
    return (
        f"A port is flagged when, on the day, its distinct sources (at least {ANOMALY_MINIMUM['sources']}) or its "
        f"distinct independent reporters (at least {ANOMALY_MINIMUM['reporters']}) reach {ANOMALY_FACTOR} times their "
        f"median over the previous {ANOMALY_BASELINE_DAYS} days and {ANOMALY_DEVIATIONS} robust deviations (median "
        "absolute deviation times 1.4826, at least 1) above it. Only reporters who count are counted, and a day on "
        f"which fewer than {public_k()} independent reporters saw the port counts as 0, as do days without reports."
    )


@dataclass
class Baseline:
    median: float
    spread: float  # the robust deviation: 1.4826 times the MAD, at least 1

    @classmethod
    def of(cls, values: list[int]) -> "Baseline":
        median = statistics.median(values)
        mad = statistics.median(abs(v - median) for v in values)
        return cls(median, max(MAD_TO_SD * mad, 1.0))

    def exceeded_by(self, value: int, minimum: int) -> bool:
        return (
            value >= minimum
            and value >= ANOMALY_FACTOR * self.median
            and value >= self.median + ANOMALY_DEVIATIONS * self.spread
        )


@dataclass
class PortAnomaly:
    protocol: str
    port: int
    events: int
    sources: int
    reporters: int
    baseline_sources: float  # medians over the baseline days
    baseline_reporters: float
    flagged_on: list[str]  # "sources", "reporters"

    @property
    def name(self) -> str:
        return port_name(self.protocol, self.port)

    @property
    def factor(self) -> float | None:
        """Sources over their baseline median; None when that median is 0."""
        return round(self.sources / self.baseline_sources, 1) if self.baseline_sources else None


def history_start() -> date | None:
    """The first day the portal has port figures for (the key starts with the day)."""
    with connection.cursor() as cur:
        cur.execute("SELECT min(day) FROM incidents_port_day")
        return cur.fetchone()[0]


def baseline_days(day: date) -> int:
    """How many of the ANOMALY_BASELINE_DAYS before ``day`` the portal has history for."""
    first = history_start()
    if first is None or first >= day:
        return 0
    return min(ANOMALY_BASELINE_DAYS, (day - first).days)


ANOMALY_CANDIDATES = f"""
SELECT c.protocol, c.target_port, c.events, c.sources, c.reporters,
       array_agg(b.day) FILTER (WHERE b.day IS NOT NULL),
       array_agg(b.sources) FILTER (WHERE b.day IS NOT NULL),
       array_agg(b.reporters) FILTER (WHERE b.day IS NOT NULL)
FROM {PUBLIC_PORT_DAY} c
LEFT JOIN {PUBLIC_PORT_DAY} b
    ON b.protocol = c.protocol AND b.target_port = c.target_port AND b.day >= %(since)s AND b.day < %(day)s
WHERE c.day = %(day)s AND (c.sources >= %(min_sources)s OR c.reporters >= %(min_reporters)s)
GROUP BY c.protocol, c.target_port, c.events, c.sources, c.reporters
"""  # noqa: S608 (no input in the text)


def port_anomalies(day: date) -> list[PortAnomaly]:
    """Ports whose sources or reporters on ``day`` jumped well above their own
    recent baseline (the rule above), the biggest jump first."""
    days = baseline_days(day)
    if days < ANOMALY_MIN_HISTORY_DAYS:
        return []
    since = day - timedelta(days=days)
    params = {
        "day": day,
        "since": since,
        "min_sources": ANOMALY_MINIMUM["sources"],
        "min_reporters": ANOMALY_MINIMUM["reporters"],
        "k": public_k(),
    }
    with connection.cursor() as cur:
        cur.execute(ANOMALY_CANDIDATES, params)
        rows = cur.fetchall()
    flagged = []
    for proto, port, events, sources, reporters, b_days, b_sources, b_reporters in rows:
        span = [since + timedelta(days=n) for n in range(days)]
        sources_by_day = dict(zip(b_days or [], b_sources or [], strict=True))
        reporters_by_day = dict(zip(b_days or [], b_reporters or [], strict=True))
        by_sources = Baseline.of([sources_by_day.get(d, 0) for d in span])
        by_reporters = Baseline.of([reporters_by_day.get(d, 0) for d in span])
        on = [
            name
            for name, baseline, value in (("sources", by_sources, sources), ("reporters", by_reporters, reporters))
            if baseline.exceeded_by(value, ANOMALY_MINIMUM[name])
        ]
        if on:
            anomaly = PortAnomaly(proto, port, events, sources, reporters, by_sources.median, by_reporters.median, on)
            flagged.append(anomaly)
    flagged.sort(key=lambda a: (-(a.sources / max(a.baseline_sources, 1)), -a.sources, a.protocol, a.port))
    return flagged


@dataclass
class FrontPage:
    day: date
    top_sources: list[TopSource]
    top_ports: list[TopPort]
    anomalies: list[PortAnomaly]
    baseline_days: int
    computed_at: datetime = field(default_factory=timezone.now)


def front_page(day: date) -> FrontPage:
    """The front page's figures for ``day``, cached briefly: every anonymous
    visit reads them, and they change only as logs come in."""
    key = f"public:front:{day.isoformat()}"
    page = cache.get(key)
    if page is None:
        page = FrontPage(day, top_sources(day), top_ports(day), port_anomalies(day), baseline_days(day))
        cache.set(key, page, FRONT_PAGE_CACHE_SECONDS)
    return page
