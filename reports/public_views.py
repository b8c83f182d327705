"""The public pages: no sign-in, aggregates only (reports.public). Views
parse the URL, call one selector, render."""

from datetime import date, timedelta

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from incidents.trust.selectors import public_k

from . import charts, listings, public
from .blocklist import blocklist_entry
from .public.keys import NotALookup, canonical_ip, checked_port, history_day, shown_network
from .public.search import NotUnderstood, parse_query


def _day(request) -> date:
    """?day=YYYY-MM-DD within the last HISTORY_DAYS (today included);
    anything else: the last whole day."""
    try:
        return history_day(request.GET.get("day", ""))
    except NotALookup:
        return public.last_whole_day()


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
        "k": public_k(),
    }


def top(request):
    return render(request, "reports/public/top.html", front_context(request))


def port_url(protocol: str, port: int) -> str:
    """A port page's address; protocols without ports (-1 in the rollups) have no port in it."""
    if port == -1:
        return reverse("public-port-portless", args=[protocol])
    return reverse("public-port", args=[protocol, port])


def port_page(request, protocol, port=-1):
    try:
        checked_port(protocol, port)
    except NotALookup as exc:
        raise Http404(str(exc)) from None
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
            "k": public_k(),
        },
    )


def ip_page(request, ip):
    try:
        canonical = canonical_ip(ip)
    except NotALookup as exc:
        raise Http404(str(exc)) from None
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
            "explanation": listings.explain(canonical),
        },
    )


def subnet_page(request, network, prefix):
    try:
        parsed = shown_network(network, prefix)
    except NotALookup as exc:
        raise Http404(str(exc)) from None
    if str(parsed.network_address) != network:
        return redirect("public-subnet", str(parsed.network_address), prefix, permanent=True)
    context = {"subnet": public.subnet_summary(str(parsed))}
    if parsed.version == 4 and parsed.prefixlen >= 24:
        context["explanation"] = listings.explain(str(parsed))
    return render(request, "reports/public/subnet.html", context)


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
