"""Resolving the contact for a source address (admin table first, then RDAP)."""

from datetime import timedelta

from django.db.models import Func, IntegerField
from django.utils import timezone

from . import rdap
from .models import NetworkContact

RDAP_FRESH_DAYS = 30


class _MaskLen(Func):
    function = "masklen"
    output_field = IntegerField()


def _longest(queryset, ip: str):
    return (
        queryset.filter(netblock__net_contains_or_equals=ip)
        .annotate(prefix=_MaskLen("netblock"))
        .order_by("-prefix")
        .first()
    )


def known_contact(ip: str, *, stale_ok: bool = False) -> NetworkContact | None:
    """The contact for ``ip`` from what is stored, without asking anyone.
    ``stale_ok`` accepts an RDAP answer past its refresh date: a name and a
    country for a published list, where asking again is not an option."""
    admin = NetworkContact.objects.filter(source=NetworkContact.Source.ADMIN)
    contact = _longest(admin.exclude(netblock=None), ip)
    if contact:
        return contact
    learned = _longest(NetworkContact.objects.filter(source=NetworkContact.Source.RDAP), ip)
    if learned and learned.asn:
        by_asn = admin.filter(asn=learned.asn, netblock=None).first()
        if by_asn:
            return by_asn
    if learned and (stale_ok or (learned.refresh_after and learned.refresh_after > timezone.now())):
        return learned
    return None


def resolve(ip: str) -> NetworkContact | None:
    """The contact for ``ip``, asking RDAP when nothing fresh is stored.
    Raises rdap.LookupFailed when the registry cannot be asked now."""
    contact = known_contact(ip)
    if contact:
        return contact
    try:
        info = rdap.parse(rdap.lookup(ip))
    except rdap.NotRoutable:
        return None
    now = timezone.now()
    fields = {
        "asn": info.asn,
        "organisation": info.organisation,
        "country": info.country,
        "abuse_emails": info.abuse_emails,
        "last_checked": now,
        "refresh_after": now + timedelta(days=RDAP_FRESH_DAYS),
    }
    if info.cidr:
        contact, _ = NetworkContact.objects.update_or_create(
            source=NetworkContact.Source.RDAP, netblock=info.cidr, defaults=fields
        )
    else:
        contact = NetworkContact.objects.create(source=NetworkContact.Source.RDAP, netblock=f"{ip}", **fields)
    # The admin's word still wins if they keep this ASN.
    return known_contact(ip) or contact
