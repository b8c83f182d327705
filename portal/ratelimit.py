"""Per-user rate limits for the portal's own forms (uploads and pastes).

Sign-in, sign-up and password reset are limited by django-allauth
(ACCOUNT_RATE_LIMITS); this covers what allauth does not see. Fixed windows
counted in the cache (Redis in production, so every web process shares the
counts): ``cache.add`` starts a window and ``cache.incr`` counts atomically.
"""

import functools
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


def parse(rates: str) -> list[Rate]:
    """``"10/m,100/h"`` (allauth's syntax without the key part; ``5/10m`` works too)."""
    parsed = []
    for part in filter(None, (p.strip() for p in rates.split(","))):
        match = RATE.match(part)
        if not match:
            raise ValueError(f"not a rate: {part!r} (write e.g. 10/m or 100/h)")
        amount, multiple, unit = match.groups()
        parsed.append(Rate(int(amount), int(multiple or 1) * PERIODS[unit]))
    return parsed


def hit(scope: str, who, rates: str) -> int:
    """Count one request of ``who`` in ``scope``; return 0 if allowed, else the
    seconds until the fullest window ends."""
    now = int(time.time())
    wait = 0
    for rate in parse(rates):
        window = now // rate.seconds
        key = f"ratelimit:{scope}:{who}:{rate.seconds}:{window}"
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr: a new window
            cache.add(key, 1, timeout=rate.seconds + 1)
            count = 1
        if count > rate.amount:
            wait = max(wait, (window + 1) * rate.seconds - now)
    return wait


def too_many(request, retry_after: int):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def per_user(scope: str, setting: str, methods=("POST",)):
    """Limit a signed-in view per user with the rates in ``settings.<setting>``
    (read at each request, so tests and operators can change them)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and request.user.is_authenticated:
                wait = hit(scope, request.user.pk, getattr(settings, setting))
                if wait:
                    return too_many(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
