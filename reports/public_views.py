"""The public pages: no sign-in, aggregates only (reports.public). Views
parse the URL, call one selector, render."""

import ipaddress
from datetime import date, timedelta

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from . import charts, public
from .blocklist import blocklist_entry
from .public.search import SUBNET_PREFIXES, NotUnderstood, parse_query

PROTOCOL_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _day(request) -> date:
    """?day=YYYY-MM-DD within the last HISTORY_DAYS (today included);
    anything else: the last whole day."""
    today = timezone.now().date()
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return public.last_whole_day()
    return day if today - timedelta(days=public.front.HISTORY_DAYS - 1) <= day <= today else public.last_whole_day()


def front_context(request) -> dict:
    """What the public summary shows, for the anonymous front page and /top/."""
    day = _day(request)
    today = timezone.now().date()
    return {
        "front": public.front_page(day),
        "is_today": day == today,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day < today else None,
        "anomaly_rule": public.anomaly_rule(),
        "anomaly_min_history": public.front.ANOMALY_MIN_HISTORY_DAYS,
        "refresh_minutes": settings.PORT_COUNTS_REFRESH_SECONDS // 60,
        "cache_seconds": public.front.FRONT_PAGE_CACHE_SECONDS,
    }


def top(request):
    return render(request, "reports/public/top.html", front_context(request))


def port_url(protocol: str, port: int) -> str:
    """A port page's address; protocols without ports (-1 in the rollups) have no port in it."""
    if port == -1:
        return reverse("public-port-portless", args=[protocol])
    return reverse("public-port", args=[protocol, port])


def port_page(request, protocol, port=-1):
    if not set(protocol) <= PROTOCOL_CHARS or len(protocol) > 16 or not -1 <= port <= 65535:
        raise Http404("not a port")
    history = public.port_history(protocol, port)
    rows = [(d.day, d.events, d.reporters) for d in history.days]
    return render(
        request,
        "reports/public/port.html",
        {
            "history": history,
            "events_chart": charts.daily_bars(rows, days=len(rows)),
            "sources_chart": charts.daily_bars([(d.day, d.sources, d.reporters) for d in history.days], height=60),
            "reporters_chart": charts.daily_bars([(d.day, d.reporters, d.reporters) for d in history.days], height=60),
            "refresh_minutes": settings.PORT_COUNTS_REFRESH_SECONDS // 60,
        },
    )


def ip_page(request, ip):
    try:
        canonical = str(ipaddress.ip_address(ip))
    except ValueError:
        raise Http404("not an IP address") from None
    if canonical != ip:
        return redirect("public-ip", canonical, permanent=True)
    summary = public.ip_summary(canonical)
    return render(
        request,
        "reports/public/ip.html",
        {
            "summary": summary,
            "chart": charts.daily_bars(summary.daily, days=summary.days),
            "blocklist_entry": blocklist_entry(canonical),
        },
    )


def subnet_page(request, network, prefix):
    try:
        parsed = ipaddress.ip_network(f"{network}/{prefix}", strict=False)
    except ValueError:
        raise Http404("not a network") from None
    if prefix not in SUBNET_PREFIXES[parsed.version]:
        raise Http404("not a network size the portal shows")
    if str(parsed.network_address) != network:
        return redirect("public-subnet", str(parsed.network_address), prefix, permanent=True)
    return render(request, "reports/public/subnet.html", {"subnet": public.subnet_summary(str(parsed))})


def search(request):
    query = request.GET.get("q", "")
    try:
        target = parse_query(query)
    except NotUnderstood as exc:
        status = 400 if query.strip() else 200
        return render(request, "reports/public/search.html", {"query": query, "message": str(exc)}, status=status)
    if target.kind == "ip":
        return redirect("public-ip", target.ip)
    if target.kind == "port":
        return redirect(port_url(target.protocol, target.port))
    address, prefix = target.network.split("/")
    return redirect("public-subnet", address, int(prefix))
