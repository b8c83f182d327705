"""Small server-drawn charts: an SVG needs no script, so it works under a
strict content security policy and in mail."""

from datetime import timedelta

from django.utils import timezone
from django.utils.html import format_html_join


def daily_bars(rows, days: int = 30, width: int = 600, height: int = 120) -> dict:
    """rows: (day, events, reporters) for the days that have data; missing
    days are drawn empty so gaps show."""
    by_day = {day: (events, reporters) for day, events, reporters in rows}
    today = timezone.now().date()
    span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    peak = max((events for events, _ in by_day.values()), default=0) or 1
    bar = width / days
    bars = []
    for i, day in enumerate(span):
        events, reporters = by_day.get(day, (0, 0))
        h = round((height - 14) * events / peak, 1)
        bars.append(
            {
                "x": round(i * bar + 1, 1),
                "y": round(height - h, 1),
                "w": round(bar - 2, 1),
                "h": h,
                "day": day,
                "events": events,
                "reporters": reporters,
            }
        )
    return {"bars": bars, "width": width, "height": height, "peak": peak if rows else 0}


def bar_rects(chart: dict, colour: str, unit: str) -> str:
    """The bars of ``daily_bars`` as SVG markup. Built here rather than in a
    template loop: the template engine localises every number it prints, and
    30 bars of it were half the IP page's time (bench/web.py)."""
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
        ((b["x"], b["y"], b["w"], b["h"], colour, b["day"].isoformat(), b["events"], unit) for b in chart["bars"]),
    )
