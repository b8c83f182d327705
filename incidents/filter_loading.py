"""Builds a user's EventFilter from the database.

The one place where filtering meets Django, so that incidents.filters stays
importable (and testable, and benchmarkable) without it.
"""

from django.db.models import Q

from portal.models import IspServer

from .filters import EventFilter


def rules_for(user) -> list:
    """The enabled stored rules that apply to ``user`` (portal-wide and their
    own) as filter Rules, oldest first. Expired rules stay: their time box
    still decides the events from before they ran out."""
    from .models import FilterRule

    rules = FilterRule.objects.filter(Q(user__isnull=True) | Q(user=user), enabled=True).order_by("pk")
    return [rule.as_filter_rule() for rule in rules]


def filter_for_user(user, rules=None) -> EventFilter:
    """The filter for ``user``: their own networks, their ISP's DNS and DHCP
    servers, then ``rules`` in the order given (default: the stored rules
    that apply to them), then the built-in catalogue."""
    if rules is None:
        rules = rules_for(user)
    dns: list[str] = []
    dhcp: list[str] = []
    for kind, address in user.isp_servers.values_list("kind", "address"):
        if kind == IspServer.Kind.DNS:
            dns.append(str(address))
        elif kind == IspServer.Kind.DHCP:
            dhcp.append(str(address))
    own = [str(cidr) for cidr in user.networks.values_list("cidr", flat=True)]
    return EventFilter(own_networks=own, isp_dns=dns, isp_dhcp=dhcp, rules=rules)
