"""The address a request came from, as far as it can be believed."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT``
    proxies the entry that many places from the right of X-Forwarded-For
    (the leftmost ones are the client's to write). None when it is not an
    address."""
    proxies = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
