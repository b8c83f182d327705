import pytest
from rest_framework.test import APIClient

from portal.models import ApiToken


@pytest.fixture
def api():
    """A client as a script uses the API: no session, no cookies."""
    return APIClient()


@pytest.fixture
def as_user():
    """An APIClient that sends ``user``'s own API token on every request."""

    def _as(user):
        _, key = ApiToken.issue(user, "test script")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _as
