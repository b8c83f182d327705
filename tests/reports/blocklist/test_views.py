import hashlib
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.http import http_date

from reports import blocklist
from reports.models import BlockList

from .conftest import hosts

pytestmark = pytest.mark.django_db

FILES = {
    "block.txt": "text/plain; charset=utf-8",
    "block.json": "application/json",
    "iptables.rules": "text/plain; charset=utf-8",
    "nftables.nft": "text/plain; charset=utf-8",
}


@pytest.fixture
def today_list(seen):
    """Today's list, with one network seen yesterday."""
    today = datetime.now(UTC).date()
    seen("45.33.32.156", day=today - timedelta(days=1), targets=hosts(2))
    return blocklist.build(today)


def test_every_file_is_public_with_cache_headers(client, today_list):
    for name, content_type in FILES.items():
        response = client.get(f"/blocklist/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type
        assert response.content.decode() == today_list.files[name]
        assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
        assert response["Last-Modified"] == http_date(today_list.built_at.timestamp())
        assert response["Cache-Control"].startswith("public, max-age=")
        assert 60 <= int(response["Cache-Control"].rsplit("=", 1)[1]) <= 3600
        signature = client.get(f"/blocklist/{name}.sig")
        assert signature.status_code == 200
        assert signature["Content-Type"] == "application/octet-stream"
        assert signature.content == today_list.signature(name)
    key = client.get("/blocklist/signing-key.pem")
    assert key.status_code == 200 and key.content.decode() == today_list.public_key
    assert key.content.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_conditional_get_is_answered_304(client, today_list):
    first = client.get("/blocklist/block.txt")
    again = client.get("/blocklist/block.txt", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    since = client.get("/blocklist/block.txt.sig", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    stale = client.get("/blocklist/block.txt", HTTP_IF_NONE_MATCH='"something-else"')
    assert stale.status_code == 200 and stale.content == first.content
    older = client.get("/blocklist/block.txt", HTTP_IF_MODIFIED_SINCE=http_date(0))
    assert older.status_code == 200


def test_a_missing_list_is_built_on_demand_once(client, seen):
    assert BlockList.objects.count() == 0
    first = client.get("/blocklist/block.json")
    assert first.status_code == 200
    today = datetime.now(UTC).date()
    assert list(BlockList.objects.values_list("day", flat=True)) == [today]
    assert first.json()["day"] == today.isoformat()
    assert client.get("/blocklist/block.json")["ETag"] == first["ETag"]
    assert BlockList.objects.count() == 1


def test_the_page_explains_the_list_and_how_to_verify(client, today_list):
    response = client.get("/blocklist/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in FILES:
        assert f'href="/blocklist/{name}"' in page and f'href="/blocklist/{name}.sig"' in page
    assert 'href="/blocklist/signing-key.pem"' in page
    assert "openssl dgst -sha256 -verify signing-key.pem -signature block.txt.sig block.txt" in page
    assert "45.33.32.0/24" in page and "192.168.0.0/16" in page
    for field in ("start, end", "netblock", "attacks", "name, country", "abuse"):
        assert f'<dt class="col-sm-3">{field}</dt>' in page
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"],
        input=today_list.public_key.encode(),
        capture_output=True,
        check=True,
    ).stdout
    assert f'data-testid="fingerprint">{hashlib.sha256(der).hexdigest()}<' in page


def test_unknown_files_are_404_and_only_reading_is_allowed(client, today_list):
    assert client.get("/blocklist/block.csv").status_code == 404
    assert client.get("/blocklist/block.csv.sig").status_code == 404
    assert client.get("/blocklist/.sig").status_code == 404
    assert client.post("/blocklist/block.txt").status_code == 405
    assert client.head("/blocklist/block.txt").status_code == 200
