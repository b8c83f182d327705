"""Request rates, counted in the cache (Redis in production) so every web
process shares one count. Rates are read from settings per request rather
than once at import, so a changed setting (or a test's) takes effect."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _RateFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Requests without credentials, per client address."""


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Every request of a signed-in user (or, without one, of an address)."""


class SubmissionThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Submitting logs costs a worker's time: a stricter rate of its own."""

    scope = "submissions"
