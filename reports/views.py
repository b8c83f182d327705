import ipaddress
from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from . import charts, selectors, stats
from .models import AbuseReport

DEFAULT_DAYS = 7


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in selectors.WINDOWS else DEFAULT_DAYS


@login_required
def personal_report(request):
    days = _days(request)
    page = max(1, int(request.GET["page"])) if request.GET.get("page", "").isdigit() else 1
    per_page = 50
    sources = selectors.personal_sources(request.user, days, limit=per_page, offset=(page - 1) * per_page)
    source_count, event_count = selectors.personal_totals(request.user, days)
    return render(
        request,
        "reports/personal_report.html",
        {
            "days": days,
            "windows": selectors.WINDOWS,
            "sources": sources,
            "source_count": source_count,
            "event_count": event_count,
            "page": page,
            "has_next": page * per_page < source_count,
            "widespread_at": settings.REPORT_WIDESPREAD_REPORTERS,
        },
    )


@login_required
def source_page(request, source_ip):
    try:
        source_ip = str(ipaddress.ip_address(source_ip))
    except ValueError:
        raise Http404("not an IP address") from None
    days = _days(request)
    detail = selectors.source_detail(request.user, source_ip, days)
    _explain(detail.my_lines)
    return render(
        request,
        "reports/source.html",
        {
            "source_ip": source_ip,
            "days": days,
            "windows": selectors.WINDOWS,
            "detail": detail,
            "chart": charts.daily_bars(detail.portal_days, days=30),
        },
    )


@login_required
def port_view(request):
    days = _days(request)
    rows = selectors.port_comparison(request.user, days)
    return render(
        request,
        "reports/ports.html",
        {
            "days": days,
            "windows": selectors.WINDOWS,
            "rows": rows,
            "portal_top": selectors.portal_top_ports(days),
        },
    )


@login_required
def filtered_view(request):
    days = _days(request)
    summary = selectors.filtered_summary(request.user, days)
    recent = selectors.recent_filtered_events(request.user, days)
    reasons = selectors.reason_texts(code for code, _ in summary)
    _explain(recent)
    return render(
        request,
        "reports/filtered.html",
        {
            "days": days,
            "windows": selectors.WINDOWS,
            "summary": [(code, reasons[code], events) for code, events in summary],
            "recent": recent,
        },
    )


def _explain(events) -> None:
    """Give each event the text of its filter reason, for the templates."""
    texts = selectors.reason_texts(e.filter_reason for e in events if e.filter_reason)
    for e in events:
        e.reason_text = texts.get(e.filter_reason, "")


@never_cache
def abuse_record(request, token):
    """The public live record an abuse desk reaches through the coded link in
    an abuse mail: no sign-in; an unknown token is an ordinary 404."""
    report = get_object_or_404(AbuseReport.objects.select_related("contact"), token=token)
    record = selectors.abuse_record(report)
    events = charts.daily_bars(record.days, days=selectors.RECORD_DAYS)
    reporters = charts.daily_bars([(d, r, r) for d, _, r in record.days], days=selectors.RECORD_DAYS, height=48)
    response = render(
        request,
        "reports/abuse_record.html",
        {
            "record": record,
            "chart": _mark_sending(events, record.sent_at),
            "reporters_chart": _mark_sending(reporters, record.sent_at),
        },
    )
    # The URL is a capability: never pass it on to another site, nor let a
    # search engine keep the page.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _mark_sending(chart: dict, sent_at) -> dict:
    """Mark the bars of the days after the report, and where on the day of
    the report it was sent (``chart["sent_x"]``, None outside the chart)."""
    sent_day = sent_at.astimezone(UTC).date() if sent_at else None
    chart["sent_x"] = None
    step = chart["width"] / len(chart["bars"])
    for i, bar in enumerate(chart["bars"]):
        bar["after"] = sent_day is not None and bar["day"] > sent_day
        bar["sent_day"] = bar["day"] == sent_day
        if bar["sent_day"]:
            into_day = sent_at.astimezone(UTC) - datetime.combine(sent_day, time.min, tzinfo=UTC)
            chart["sent_x"] = round((i + into_day.total_seconds() / 86400) * step, 1)
    return chart


@staff_member_required
def fightback_stats(request):
    return render(
        request,
        "reports/fightback_stats.html",
        {"networks": stats.network_rates(), "persistence": stats.persistence(), "intervals": stats.INTERVALS_HOURS},
    )


# --- Bulk summaries (reports.bulk) ------------------------------------------------

BULK_CONTENT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def bulk_latest(request, token, extension):
    """The latest summary of a bulk arrangement, for its network's tools: no
    sign-in, the token in the URL is the credential; anything else is a 404."""
    from django.http import HttpResponse

    from . import bulk
    from .models import BulkReport

    if extension not in BULK_CONTENT_TYPES:
        raise Http404("unknown format")
    report = (
        BulkReport.objects.select_related("arrangement__contact")
        .filter(arrangement__download_token=token, arrangement__active=True)
        .order_by("-period_start")
        .first()
    )
    if report is None:
        raise Http404("no such summary")
    response = HttpResponse(bulk.download(report, extension), content_type=BULK_CONTENT_TYPES[extension])
    name = f"bulk-{report.period_start:%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
