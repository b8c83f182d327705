"""Who may call the API, how fast, and the public schema and docs."""

import re

import pytest
from django.core.management import call_command

from portal.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRIVATE = ["/api/v1/submissions/", "/api/v1/report/", "/api/v1/rules/", "/api/v1/portal-rules/", "/api/v1/dshield/key/"]
PUBLIC = [
    "/api/v1/ip/45.33.32.156/",
    "/api/v1/ports/tcp/22/",
    "/api/v1/ports/icmp/",
    "/api/v1/subnets/45.33.32.0/24/",
    "/api/v1/top/",
    "/api/v1/blocklist/",
]


@pytest.fixture
def key_dir(settings, tmp_path):
    """The block list's signing key is generated here, not in the real var/."""
    settings.VAR_DIR = tmp_path
    settings.BLOCKLIST_SIGNING_KEY_FILE = ""


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.mark.parametrize("url", PRIVATE)
def test_every_private_endpoint_wants_credentials(api, url):
    response = api.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token not-a-key", "Token ", "Bearer x"])
def test_bad_credentials_are_refused(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/v1/submissions/").status_code == 401


def test_revoked_token_stops_working(as_user):
    user = UserFactory()
    client = as_user(user)
    assert client.get("/api/v1/submissions/").status_code == 200
    ApiToken.objects.get(user=user).revoke()
    assert client.get("/api/v1/submissions/").status_code == 401


def test_users_are_throttled_with_retry_after(as_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"},
    }
    client, other = as_user(UserFactory()), as_user(UserFactory())
    assert [client.get("/api/v1/rules/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get("/api/v1/rules/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert other.get("/api/v1/rules/").status_code == 200  # counted per user


def test_submissions_have_a_stricter_rate(as_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "submissions": "2/hour"},
    }
    client = as_user(UserFactory())
    codes = [client.post("/api/v1/submissions/", "x\n", content_type="text/plain").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert int(client.post("/api/v1/submissions/", "x\n", content_type="text/plain")["Retry-After"]) > 60
    assert client.get("/api/v1/submissions/").status_code == 200  # reading is not a submission


def test_anonymous_requests_are_throttled(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/minute"},
    }
    assert [api.get("/api/v1/schema/").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_look_ups_want_no_credentials(api, key_dir, url):
    response = api.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", PUBLIC)
def test_public_look_ups_are_throttled_at_the_anonymous_rate(api, key_dir, settings, url):
    _rates(settings, anon="2/minute")
    codes = [api.get(url).status_code for _ in range(3)]
    assert codes == [200, 200, 429], url
    assert 0 < int(api.get(url)["Retry-After"]) <= 60


def test_public_look_ups_count_a_user_at_the_user_rate(api, as_user, settings):
    _rates(settings, anon="1/minute", user="3/minute")
    client = as_user(UserFactory())
    assert [client.get("/api/v1/top/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert api.get("/api/v1/top/").status_code == 200  # an anonymous caller has a count of its own
    assert api.get("/api/v1/top/").status_code == 429


def test_public_look_ups_refuse_bad_credentials(api):
    # A wrong key is an error to report, not a silent fall back to anonymous.
    api.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert api.get("/api/v1/top/").status_code == 401


def test_schema_has_no_warnings_or_errors(tmp_path):
    # The command exits with an error on any warning (--fail-on-warn).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    paths = (
        "/api/v1/submissions/{id}/",
        "/api/v1/report/sources/{source_ip}/",
        "/api/v1/rules/{id}/",
        "/api/v1/ip/{ip}/",
        "/api/v1/ports/{protocol}/{port}/",
        "/api/v1/ports/{protocol}/",
        "/api/v1/subnets/{network}/{prefix}/",
        "/api/v1/top/",
        "/api/v1/blocklist/",
    )
    for path in paths:
        assert path in schema


def test_docs_are_served_with_local_assets(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("swagger-ui-bundle" in a for a in assets), assets
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    for asset in assets:
        # Hashed names from the manifest, served by WhiteNoise as in production.
        assert re.search(r"\.[0-9a-f]{12}\.", asset), asset
        assert client.get(asset).status_code == 200, asset
    assert client.get("/api/v1/redoc/").status_code == 200
