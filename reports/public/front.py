"""The front page: top sources and ports of a day with their trends, and the
ports whose sources or reporters jumped above their own baseline."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

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
    port_count: int
    trend: Trend  # of reporters


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


TOP_SOURCES = """
WITH top AS (
    SELECT source_ip, sum(events) AS events, count(DISTINCT reporter_id) AS reporters,
           count(DISTINCT (protocol, target_port)) AS port_count
    FROM incidents_source_day WHERE day = %(day)s
    GROUP BY source_ip
    ORDER BY count(DISTINCT reporter_id) DESC, sum(events) DESC, source_ip
    LIMIT %(limit)s
)
SELECT host(t.source_ip), t.events, t.reporters, t.port_count, p.ports, b.previous, b.reporter_days
FROM top t
CROSS JOIN LATERAL (
    SELECT count(DISTINCT reporter_id) FILTER (WHERE day = %(previous)s) AS previous,
           count(DISTINCT (day, reporter_id)) AS reporter_days
    FROM incidents_source_day s
    WHERE s.source_ip = t.source_ip AND s.day >= %(week)s AND s.day < %(day)s
) b
CROSS JOIN LATERAL (
    SELECT array_agg(ARRAY[protocol, target_port::text] ORDER BY reporters DESC, events DESC) AS ports
    FROM (SELECT protocol, target_port, count(DISTINCT reporter_id) AS reporters, sum(events) AS events
          FROM incidents_source_day s WHERE s.source_ip = t.source_ip AND s.day = %(day)s
          GROUP BY protocol, target_port ORDER BY 3 DESC, 4 DESC LIMIT 3) q
) p
ORDER BY t.reporters DESC, t.events DESC, t.source_ip
"""


def _trend_params(day: date, limit: int) -> dict:
    return {
        "day": day,
        "previous": day - timedelta(days=1),
        "week": day - timedelta(days=TREND_AVERAGE_DAYS),
        "limit": limit,
    }


def top_sources(day: date, limit: int = TOP) -> list[TopSource]:
    """The sources most reporters saw on ``day``, with the trend of their
    reporters. Reads that day's SourceDay rows (its key starts with the day)."""
    with connection.cursor() as cur:
        cur.execute(TOP_SOURCES, _trend_params(day, limit))
        rows = cur.fetchall()
    return [
        TopSource(
            source_ip=ip,
            events=events,
            reporters=reporters,
            ports=[port_name(proto, int(port)) for proto, port in ports or []],
            port_count=port_count,
            trend=Trend(reporters, previous, round(reporter_days / TREND_AVERAGE_DAYS, 1)),
        )
        for ip, events, reporters, port_count, ports, previous, reporter_days in rows
    ]


TOP_PORTS = """
WITH top AS (
    SELECT protocol, target_port, events, sources, reporters FROM incidents_port_day WHERE day = %(day)s
    ORDER BY sources DESC, events DESC, protocol, target_port LIMIT %(limit)s
)
SELECT t.protocol, t.target_port, t.events, t.sources, t.reporters,
       coalesce(b.previous, 0), coalesce(b.week, 0)
FROM top t
CROSS JOIN LATERAL (
    SELECT sum(sources) FILTER (WHERE day = %(previous)s) AS previous, sum(sources) AS week
    FROM incidents_port_day d
    WHERE d.protocol = t.protocol AND d.target_port = t.target_port AND d.day >= %(week)s AND d.day < %(day)s
) b
ORDER BY t.sources DESC, t.events DESC, t.protocol, t.target_port
"""


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
        f"distinct reporters (at least {ANOMALY_MINIMUM['reporters']}) reach {ANOMALY_FACTOR} times their median over "
        f"the previous {ANOMALY_BASELINE_DAYS} days and {ANOMALY_DEVIATIONS} robust deviations (median absolute "
        "deviation times 1.4826, at least 1) above it. Days without reports count as 0."
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


ANOMALY_CANDIDATES = """
SELECT c.protocol, c.target_port, c.events, c.sources, c.reporters,
       array_agg(b.day) FILTER (WHERE b.day IS NOT NULL),
       array_agg(b.sources) FILTER (WHERE b.day IS NOT NULL),
       array_agg(b.reporters) FILTER (WHERE b.day IS NOT NULL)
FROM incidents_port_day c
LEFT JOIN incidents_port_day b
    ON b.protocol = c.protocol AND b.target_port = c.target_port AND b.day >= %(since)s AND b.day < %(day)s
WHERE c.day = %(day)s AND (c.sources >= %(min_sources)s OR c.reporters >= %(min_reporters)s)
GROUP BY c.protocol, c.target_port, c.events, c.sources, c.reporters
"""


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
