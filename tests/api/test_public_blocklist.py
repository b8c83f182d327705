"""The block list in the API: the document block.json publishes, and where
its signed files are."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from reports import blocklist, signing
from reports.models import BlockList

pytestmark = pytest.mark.django_db

URL = "/api/v1/blocklist/"


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    """The signing key is generated here, not in the real var/."""
    settings.VAR_DIR = tmp_path
    settings.BLOCKLIST_SIGNING_KEY_FILE = ""
    settings.SITE_URL = "https://portal.example"
    settings.TRUST_REVIEW_NEW_LISTINGS = False  # the fixture's network is new with a jump: no admin here


def test_blocklist_is_the_published_document(api, client, reported):
    body = api.get(URL).json()
    published = json.loads(client.get("/blocklist/block.json").content)
    signed = body.pop("signed")
    assert body == published
    today = datetime.now(UTC).date()
    assert (body["day"], body["entries"][0]["cidr"], body["entries"][0]["rank"]) == (
        today.isoformat(),
        "45.33.32.0/24",
        1,
    )
    snapshot = BlockList.objects.get(day=today)
    assert signed == {
        "document": "https://portal.example/blocklist/block.json",
        "signature": "https://portal.example/blocklist/block.json.sig",
        "public_key": "https://portal.example/blocklist/signing-key.pem",
        "fingerprint": signing.fingerprint(snapshot.public_key),
    }
    for url in signed["document"], signed["signature"], signed["public_key"]:
        assert client.get(url.removeprefix("https://portal.example")).status_code == 200, url


def test_blocklist_is_todays_even_before_the_scheduled_build(api, reported):
    # Yesterday's list is stored; today's is not yet: the API answers with
    # today's, as the signed files do, not the newest stored one.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    blocklist.build(yesterday)
    assert api.get(URL).json()["day"] == datetime.now(UTC).date().isoformat()
    assert BlockList.objects.count() == 2
