"""The public summary of a day, as the front page and /top/ show it: top
sources and ports with their trends, and the port anomalies. Read through
the same short-lived cache as those pages (reports.public.front_page)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse

from reports import public
from reports.public.front import HISTORY_DAYS
from reports.public.keys import NotALookup, history_day

from .lookups import KnownSerializer, PortSerializer, PublicView


class DaySerializer(serializers.Serializer):
    day = serializers.CharField(required=False)

    def validate_day(self, value):
        try:
            return history_day(value)
        except NotALookup as exc:
            raise serializers.ValidationError(str(exc)) from None


class TrendSerializer(serializers.Serializer):
    """A ``Trend``: the day against the day before and the 7 days before."""

    value = serializers.IntegerField()
    previous = serializers.IntegerField()
    average = serializers.FloatField()
    change = serializers.IntegerField()
    direction = serializers.CharField(help_text="new, up, down or same: against the day before.")
    ratio = serializers.FloatField(allow_null=True, help_text="The day over the 7-day average; null when it is 0.")


class TopSourceSerializer(serializers.Serializer):
    """A ``TopSource``."""

    source_ip = serializers.IPAddressField()
    url = serializers.SerializerMethodField(help_text="This address in detail.")
    events = serializers.IntegerField(help_text="On the ports at least k independent reporters saw it on.")
    reporters = serializers.IntegerField(help_text="Independent reporters; at least k.")
    ports = serializers.ListField(
        child=serializers.CharField(), help_text="tcp/22 ..., at most three, each seen by at least k."
    )
    port_count = serializers.IntegerField(help_text="Ports at least k independent reporters saw it on.")
    trend = TrendSerializer(help_text="Of reporters; a day fewer than k saw it counts as 0.")
    known = KnownSerializer(allow_null=True, help_text="A research scanner or well-known infrastructure; else null.")

    def get_url(self, row) -> str:
        return reverse("api:public-ip", args=[row.source_ip], request=self.context["request"])


class PortDayTotalsSerializer(PortSerializer):
    """A port's day, once at least k independent reporters saw the port that day."""

    events = serializers.IntegerField(help_text="Of reporters who count.")
    sources = serializers.IntegerField(help_text="Distinct sources reporters who count saw.")
    reporters = serializers.IntegerField(help_text="Independent reporters.")


class TopPortSerializer(PortDayTotalsSerializer):
    """A ``TopPort``."""

    trend = TrendSerializer(help_text="Of sources.")


class PortAnomalySerializer(PortDayTotalsSerializer):
    """A ``PortAnomaly``."""

    baseline_sources = serializers.FloatField(help_text="Median over the baseline days.")
    baseline_reporters = serializers.FloatField()
    flagged_on = serializers.ListField(child=serializers.CharField(), help_text="sources, reporters.")
    factor = serializers.FloatField(allow_null=True, help_text="Sources over their baseline; null when it is 0.")


class FrontPageSerializer(serializers.Serializer):
    """A ``FrontPage``."""

    day = serializers.DateField()
    computed_at = serializers.DateTimeField(help_text="The figures are cached for a minute.")
    top_sources = TopSourceSerializer(many=True)
    top_ports = TopPortSerializer(many=True)
    anomalies = PortAnomalySerializer(many=True, help_text="The biggest jump first.")
    baseline_days = serializers.IntegerField(help_text="Days of history the anomalies are measured against.")
    anomaly_rule = serializers.SerializerMethodField(help_text="When a port is flagged, in words.")

    def get_anomaly_rule(self, page) -> str:
        return public.anomaly_rule()


class TopView(PublicView):
    serializer_class = FrontPageSerializer

    @extend_schema(
        summary="A day's top sources and ports, and the port anomalies",
        parameters=[
            OpenApiParameter(
                "day",
                OpenApiTypes.DATE,
                description=f"YYYY-MM-DD, one of the last {HISTORY_DAYS} days (default yesterday, UTC).",
            )
        ],
    )
    def get(self, request):
        query = DaySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("day") or public.last_whole_day()
        return Response(self.get_serializer(public.front_page(day)).data)
