"""My report: the sources that hit me, how many others saw them, one source in detail.

The numbers are the HTML report's: the same selectors (reports.selectors),
read from the rollups. No other reporter is ever named or addressed: only
how many there were."""

import ipaddress

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse

from reports import selectors

from .pagination import CountedRows, Pagination

DAYS = OpenApiParameter(
    "days", int, enum=list(selectors.WINDOWS), description="The window in UTC days, today included (default 7)."
)


class WindowSerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=selectors.WINDOWS, default=7)


def _days(request) -> int:
    window = WindowSerializer(data=request.query_params)
    window.is_valid(raise_exception=True)
    return window.validated_data["days"]


def _port(port: int) -> int | None:
    # Rollups keep -1 for protocols without ports (ICMP): null to a reader.
    return None if port == -1 else port


class PortsField(serializers.ListField):
    child = serializers.IntegerField(allow_null=True)

    def to_representation(self, data):
        return [_port(p) for p in data]


class SourceRowSerializer(serializers.Serializer):
    """A ``selectors.SourceRow``."""

    source_ip = serializers.IPAddressField()
    url = serializers.SerializerMethodField(help_text="This source in detail.")
    events = serializers.IntegerField()
    ports = PortsField(help_text="Target ports; null for protocols without ports.")
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    others_same_ports = serializers.IntegerField(help_text="Other reporters who saw it on the same ports.")
    others_any_port = serializers.IntegerField(help_text="Other reporters who saw it on any port.")
    portal_first_seen = serializers.DateTimeField()
    portal_last_seen = serializers.DateTimeField()
    network_owner = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    forwarded_at = serializers.DateTimeField(allow_null=True, help_text="Last report to the network's abuse desk.")
    label = serializers.CharField(
        help_text="seen only by you, seen by a few, widespread; or well-known infrastructure, research scanner."
    )
    low_confidence = serializers.BooleanField(help_text="One event nobody else saw: perhaps a wrong number.")

    def get_url(self, row) -> str:
        return reverse("api:report-source", args=[row.source_ip], request=self.context["request"])


class ReportSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    source_count = serializers.IntegerField(help_text="Distinct sources in the window.")
    event_count = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Rows in the paginated list (the sources).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SourceRowSerializer(many=True)


class PersonalReportView(generics.GenericAPIView):
    serializer_class = SourceRowSerializer
    pagination_class = Pagination

    @extend_schema(summary="My report: the sources that hit me", parameters=[DAYS], responses=ReportSerializer)
    def get(self, request):
        days = _days(request)
        source_count, event_count = selectors.personal_totals(request.user, days)
        rows = CountedRows(
            source_count,
            lambda limit, offset: selectors.personal_sources(request.user, days, limit=limit, offset=offset),
        )
        page = self.paginate_queryset(rows)
        paginated = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        return Response({"days": days, "source_count": source_count, "event_count": event_count, **paginated})


class PortEventsSerializer(serializers.Serializer):
    protocol = serializers.CharField()
    port = serializers.IntegerField(allow_null=True)
    events = serializers.IntegerField()


class MyPortSerializer(PortEventsSerializer):
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()


class PortalPortSerializer(PortEventsSerializer):
    reporters = serializers.IntegerField()


class PortalDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    events = serializers.IntegerField()
    reporters = serializers.IntegerField()


class MyLineSerializer(serializers.Serializer):
    """One of the caller's own events from this source."""

    time = serializers.DateTimeField()
    source_port = serializers.IntegerField(allow_null=True)
    target_ip = serializers.IPAddressField()
    target_port = serializers.IntegerField(allow_null=True)
    protocol = serializers.CharField()
    tcp_flags = serializers.CharField()
    count = serializers.IntegerField()
    filter_reason = serializers.CharField(help_text="Empty when kept; else the rule that filtered it.")
    filter_reason_text = serializers.CharField()


class SourceDetailSerializer(serializers.Serializer):
    """A ``selectors.SourceDetail``: mine in full, the portal's as totals."""

    source_ip = serializers.IPAddressField()
    days = serializers.IntegerField()
    my_ports = MyPortSerializer(many=True)
    my_lines = MyLineSerializer(many=True, help_text="My latest events from this source (at most 200).")
    portal_days = PortalDaySerializer(many=True, help_text="The portal's last 30 days.")
    portal_ports = PortalPortSerializer(many=True)
    portal_first_seen = serializers.DateTimeField(allow_null=True)
    portal_last_seen = serializers.DateTimeField(allow_null=True)
    reporters = serializers.IntegerField(help_text="Reporters who ever saw it, me included.")


class SourceDetailView(generics.GenericAPIView):
    serializer_class = SourceDetailSerializer
    pagination_class = None

    @extend_schema(
        summary="One source that hit me, and what the portal saw of it",
        parameters=[DAYS, OpenApiParameter("source_ip", str, OpenApiParameter.PATH, description="IPv4 or IPv6.")],
    )
    def get(self, request, source_ip):
        try:
            source_ip = str(ipaddress.ip_address(source_ip))
        except ValueError:
            raise Http404("not an IP address") from None
        days = _days(request)
        detail = selectors.source_detail(request.user, source_ip, days)
        texts = selectors.reason_texts(e.filter_reason for e in detail.my_lines if e.filter_reason)
        data = {
            "source_ip": source_ip,
            "days": days,
            "my_ports": [
                {"protocol": p, "port": _port(port), "events": n, "first_seen": first, "last_seen": last}
                for p, port, n, first, last in detail.my_ports
            ],
            "my_lines": [
                {
                    "time": e.time,
                    "source_port": e.source_port,
                    "target_ip": str(e.target_ip),
                    "target_port": e.target_port,
                    "protocol": e.protocol,
                    "tcp_flags": e.tcp_flags,
                    "count": e.count,
                    "filter_reason": e.filter_reason,
                    "filter_reason_text": texts.get(e.filter_reason, ""),
                }
                for e in detail.my_lines
            ],
            "portal_days": [{"day": d, "events": n, "reporters": r} for d, n, r in detail.portal_days],
            "portal_ports": [
                {"protocol": p, "port": _port(port), "events": n, "reporters": r}
                for p, port, n, r in detail.portal_ports
            ],
            "portal_first_seen": detail.portal_first_seen,
            "portal_last_seen": detail.portal_last_seen,
            "reporters": detail.reporters,
        }
        return Response(self.get_serializer(data).data)
