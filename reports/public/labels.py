"""Names for the known networks among public addresses: research scanners
and well-known infrastructure are labelled wherever an address is shown,
not hidden (incidents.trust keeps the lists)."""

import ipaddress

from incidents.trust.selectors import Known, known_networks_overlapping


def most_specific(address: str, known: list[Known]) -> Known | None:
    """The label of ``address`` among ``known``: the smallest network holding
    it, infrastructure before scanners (as trust's ``known_network``)."""
    ip = ipaddress.ip_address(address)
    holding = [k for k in known if ip in ipaddress.ip_network(k.network)]
    holding.sort(key=lambda k: (k.kind, -ipaddress.ip_network(k.network).prefixlen))
    return holding[0] if holding else None


def labels_of(addresses) -> dict[str, Known]:
    """The labelled addresses among ``addresses``, in one read."""
    addresses = list(addresses)
    known = known_networks_overlapping(addresses)
    labels = {a: most_specific(a, known) for a in addresses} if known else {}
    return {a: k for a, k in labels.items() if k}


def label_text(known: Known) -> str:
    """What a page or an answer calls a known network, in a few words."""
    if known.is_scanner:
        return f"research scanner: {known.name}"
    return f"well-known infrastructure: never listed ({known.name})"
