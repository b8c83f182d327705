"""The public look-ups: an address, a port, a network. No sign-in, so the
same aggregates as the HTML pages (reports.public), from the same selectors
and the same key checks (reports.public.keys): counts of independent
reporters only, k-anonymous, never a reporter or a target address."""

from django.http import Http404, HttpResponsePermanentRedirect
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incidents.trust.models import KnownNetwork
from incidents.trust.selectors import known_networks_overlapping, public_k
from reports import listings, public
from reports.blocklist import blocklist_entry
from reports.public.keys import NotALookup, canonical_ip, checked_port, shown_network
from reports.public.labels import label_text
from reports.public.lookups import subnet_addresses, subnet_totals

from .pagination import PAGE_PARAMETERS, CountedRows, Pagination

MOVED = OpenApiResponse(description="Moved permanently to the canonical form of the key.")
NOT_FOUND = OpenApiResponse(description="Not a key the portal looks up.")


class PublicView(generics.GenericAPIView):
    """Public: no credentials needed. Anonymous callers are held to the
    anonymous rate per address; callers with credentials to their user rate."""

    permission_classes = [AllowAny]
    pagination_class = None


def checked(check, *args):
    try:
        return check(*args)
    except NotALookup as exc:
        raise Http404(str(exc)) from None


class PortField(serializers.IntegerField):
    """Rollups keep -1 for protocols without ports (ICMP): null to a reader."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value == -1 else value


def port_link(request, protocol: str, port: int) -> str:
    if port == -1:
        return reverse("api:public-port-portless", args=[protocol], request=request)
    return reverse("api:public-port", args=[protocol, port], request=request)


class PortSerializer(serializers.Serializer):
    """A port as every public row names it, and its link."""

    protocol = serializers.CharField()
    port = PortField()
    name = serializers.CharField(help_text="tcp/22; the protocol alone where it has no ports.")
    url = serializers.SerializerMethodField(help_text="This port's history.")

    def get_url(self, row) -> str:
        return port_link(self.context["request"], row.protocol, row.port)


class KnownSerializer(serializers.Serializer):
    """A network the portal knows by name (``incidents.trust.selectors.Known``):
    shown and labelled, never hidden; never listed nor reported to its network."""

    network = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=KnownNetwork.Kind.choices,
        help_text="scanner: a benign research scanner; never: well-known infrastructure, never listed.",
    )
    name = serializers.CharField(help_text="Who or what it is.")
    source = serializers.CharField(help_text="The published list it comes from; empty when the portal's own.")
    label = serializers.SerializerMethodField(help_text="What the pages call it.")

    def get_label(self, known) -> str:
        return label_text(known)


K_NOTE = "Seen by fewer than {k} independent reporters in the last {days} days."


# --- An address ---------------------------------------------------------------------------------------------


class PortCountSerializer(PortSerializer):
    """A ``PortCount``."""

    events = serializers.IntegerField()
    reporters = serializers.IntegerField()


class DailySerializer(serializers.Serializer):
    day = serializers.DateField()
    events = serializers.IntegerField()
    reporters = serializers.IntegerField()

    def to_representation(self, row):
        day, events, reporters = row
        return super().to_representation({"day": day, "events": events, "reporters": reporters})


class ForwardedSerializer(serializers.Serializer):
    """A ``Forwarded``: when, and to which organisation; nothing else of the contact."""

    sent_at = serializers.DateTimeField()
    organisation = serializers.CharField()


class BlockListEntrySerializer(serializers.Serializer):
    """A ``reports.blocklist.BlockListEntry``: the listed netblock holding the address."""

    cidr = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True, help_text="Null for a reserved range, listed whole.")
    attacks = serializers.IntegerField(allow_null=True)
    targets = serializers.IntegerField(allow_null=True, help_text="Distinct (reporter, target address) pairs.")
    reporters = serializers.IntegerField(allow_null=True)
    reserved = serializers.BooleanField()
    day = serializers.DateField(help_text="The day of the list.")


class ListingSerializer(serializers.Serializer):
    """A ``reports.listings.Explanation``: why a network is or is not listed."""

    network = serializers.CharField(help_text="The /24 the block list would list.")
    status = serializers.ChoiceField(choices=["listed", "held", "delisted", "never", "reserved", "not listed"])
    summary = serializers.CharField(help_text="In words, as the IP page says it.")
    rank = serializers.IntegerField(allow_null=True)
    day = serializers.DateField(allow_null=True, help_text="The list's day, when listed.")
    reporters = serializers.IntegerField(allow_null=True, help_text="Independent reporters; null below k.")
    weight = serializers.IntegerField(allow_null=True)
    first_seen = serializers.DateTimeField(allow_null=True, help_text="To the hour.")
    last_seen = serializers.DateTimeField(allow_null=True, help_text="To the hour.")
    rule = serializers.CharField(help_text="The block list's rule, in words.")
    can_appeal = serializers.BooleanField(help_text="Anyone may ask for a review at /blocklist/review/<address>/.")


class IpSummarySerializer(serializers.Serializer):
    """An ``IpSummary``, and where the newest block list has the address.

    k-anonymous: until at least ``k`` independent reporters saw the address
    in the window, ``shown`` is false and no figures, ports, days or times
    are given (an address nobody reported reads the same); then only ports
    and days at least ``k`` saw, and times to the hour."""

    ip = serializers.IPAddressField()
    days = serializers.IntegerField(help_text="The window of events, reporters, ports and daily figures.")
    k = serializers.IntegerField(help_text="Independent reporters needed before anything they saw is shown.")
    shown = serializers.BooleanField(help_text="At least k independent reporters saw it in the window.")
    note = serializers.SerializerMethodField(help_text="Why nothing is shown; null when shown.")
    events = serializers.IntegerField(allow_null=True, help_text="On the ports shown; null when not shown.")
    reporters = serializers.IntegerField(
        allow_null=True, help_text="Independent reporters, on any port; null when not shown."
    )
    ports = PortCountSerializer(many=True, help_text="Ports at least k independent reporters saw; the most first.")
    daily = DailySerializer(many=True, help_text="Days at least k saw it on the ports shown, oldest first.")
    first_seen = serializers.DateTimeField(
        allow_null=True, help_text="When the k-th independent reporter first saw it, rounded down to the hour."
    )
    last_seen = serializers.DateTimeField(
        allow_null=True, help_text="When the k-th from the last last saw it, rounded down to the hour."
    )
    network = serializers.CharField(allow_null=True, help_text="The owner's organisation, or its netblock.")
    netblock = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    forwarded = ForwardedSerializer(
        many=True, help_text="Reports to the network's abuse desk, newest first, to the hour; empty when not shown."
    )
    subnet = serializers.CharField(help_text="The /24 (IPv4) or /64 (IPv6) the address is in.")
    subnet_url = serializers.SerializerMethodField()
    known = KnownSerializer(allow_null=True, help_text="A research scanner or well-known infrastructure; else null.")
    blocklist = serializers.SerializerMethodField(help_text="Null when the newest list does not hold the address.")
    listing = serializers.SerializerMethodField(help_text="Why the address's network is or is not on the block list.")

    def get_note(self, summary) -> str | None:
        return None if summary.shown else K_NOTE.format(k=summary.k, days=summary.days)

    def get_subnet_url(self, summary) -> str:
        args = [summary.subnet_address, summary.subnet_prefix]
        return reverse("api:public-subnet", args=args, request=self.context["request"])

    @extend_schema_field(ListingSerializer)
    def get_listing(self, summary):
        return ListingSerializer(self.context["listing"]).data

    @extend_schema_field(BlockListEntrySerializer(allow_null=True))
    def get_blocklist(self, summary):
        entry = self.context["blocklist_entry"]
        return BlockListEntrySerializer(entry).data if entry else None


class IpView(PublicView):
    serializer_class = IpSummarySerializer

    @extend_schema(
        summary="What the portal knows of one source address",
        parameters=[OpenApiParameter("ip", str, OpenApiParameter.PATH, description="IPv4 or IPv6.")],
        responses={200: IpSummarySerializer, 301: MOVED, 404: NOT_FOUND},
    )
    def get(self, request, ip):
        canonical = checked(canonical_ip, ip)
        if canonical != ip:
            return HttpResponsePermanentRedirect(reverse("api:public-ip", args=[canonical]))
        summary = public.ip_summary(canonical)
        context = {
            **self.get_serializer_context(),
            "blocklist_entry": blocklist_entry(canonical),
            "listing": listings.explain(canonical),
        }
        return Response(IpSummarySerializer(summary, context=context).data)


# --- A port -------------------------------------------------------------------------------------------------


class PortDaySerializer(serializers.Serializer):
    """A ``PortDayFigures``: zeros on a day fewer than k independent reporters saw the port."""

    day = serializers.DateField()
    events = serializers.IntegerField(help_text="Of reporters who count.")
    sources = serializers.IntegerField(help_text="Distinct sources reporters who count saw.")
    reporters = serializers.IntegerField(help_text="Independent reporters.")
    counting = serializers.BooleanField(help_text="Events came in after sources and reporters were last counted.")


class PortHistorySerializer(serializers.Serializer):
    """A ``PortHistory``."""

    protocol = serializers.CharField()
    port = PortField()
    name = serializers.CharField()
    events = serializers.IntegerField(help_text="Over the whole window.")
    counting = serializers.BooleanField(help_text="Some day's sources and reporters are still being counted.")
    days = PortDaySerializer(many=True, help_text="Every day of the last 30, oldest first; zeros without reports.")


class PortView(PublicView):
    serializer_class = PortHistorySerializer

    @extend_schema(
        summary="One port's last 30 days",
        parameters=[OpenApiParameter("protocol", str, OpenApiParameter.PATH, description="tcp, udp, icmp ...")],
        responses={200: PortHistorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, protocol, port=-1):
        protocol, port = checked(checked_port, protocol, port)
        return Response(self.get_serializer(public.port_history(protocol, port)).data)


class PortlessView(PortView):
    @extend_schema(
        summary="The last 30 days of a protocol without ports (ICMP)",
        operation_id="ports_portless_retrieve",
        parameters=[OpenApiParameter("protocol", str, OpenApiParameter.PATH, description="icmp, icmpv6 ...")],
        responses={200: PortHistorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, protocol):
        return super().get(request, protocol)


# --- A network ----------------------------------------------------------------------------------------------


class SubnetAddressSerializer(serializers.Serializer):
    """A ``SubnetAddress``: an address at least k independent reporters saw."""

    ip = serializers.IPAddressField()
    url = serializers.SerializerMethodField(help_text="This address in detail.")
    events = serializers.IntegerField(help_text="On the ports at least k saw it on.")
    reporters = serializers.IntegerField(help_text="Independent reporters, on any port.")
    ports = serializers.IntegerField(help_text="Distinct target ports at least k saw it on.")
    first_seen = serializers.DateTimeField(
        allow_null=True, help_text="When the k-th first saw it, to the hour; null when no port is shown."
    )
    last_seen = serializers.DateTimeField(allow_null=True, help_text="When the k-th from the last did, to the hour.")
    known = KnownSerializer(allow_null=True, help_text="A research scanner or well-known infrastructure; else null.")

    def get_url(self, row) -> str:
        return reverse("api:public-ip", args=[row.ip], request=self.context["request"])


class SubnetSerializer(serializers.Serializer):
    network = serializers.CharField()
    days = serializers.IntegerField()
    k = serializers.IntegerField(help_text="Independent reporters an address needs to be listed.")
    address_count = serializers.IntegerField(
        help_text="Addresses in the network at least k independent reporters saw; those fewer saw are not counted."
    )
    events = serializers.IntegerField(help_text="Of the addresses listed, on their ports shown.")
    reporters = serializers.IntegerField(help_text="Distinct independent reporters of the addresses listed.")
    known = KnownSerializer(many=True, help_text="The known networks overlapping this one.")
    count = serializers.IntegerField(help_text="Rows in the paginated list (the addresses).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SubnetAddressSerializer(many=True)


class SubnetView(PublicView):
    serializer_class = SubnetAddressSerializer
    pagination_class = Pagination

    @extend_schema(
        summary="The reported addresses of one network",
        description="An IPv4 /24, or an IPv6 /48 or /64; the addresses by address.",
        parameters=[
            OpenApiParameter("network", str, OpenApiParameter.PATH, description="The network address."),
            *PAGE_PARAMETERS,
        ],
        responses={200: SubnetSerializer, 301: MOVED, 404: NOT_FOUND},
    )
    def get(self, request, network, prefix):
        parsed = checked(shown_network, network, prefix)
        address = str(parsed.network_address)
        if address != network:
            return HttpResponsePermanentRedirect(reverse("api:public-subnet", args=[address, prefix]))
        days = public.front.HISTORY_DAYS
        count, events, reporters = subnet_totals(str(parsed), days)
        known = known_networks_overlapping([str(parsed)])
        rows = CountedRows(count, lambda limit, offset: subnet_addresses(str(parsed), days, limit, offset, known))
        page = self.paginate_queryset(rows)
        paginated = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        totals = {"network": str(parsed), "days": days, "k": public_k(), "address_count": count, "events": events}
        labels = KnownSerializer(known, many=True).data
        return Response({**totals, "reporters": reporters, "known": labels, **paginated})
