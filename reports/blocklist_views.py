"""The published block list: public, no sign-in, stored bytes only.

Every response carries an ETag (a digest of the bytes) and Last-Modified
(when the day's list was built), so proxies and clients can cache and a
conditional GET is answered 304 without a body. max-age runs to the next
UTC midnight, when the next list appears, but at most an hour, so a list
rebuilt during the day (late logs, a new key) reaches caches soon.
"""

import hashlib
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from . import blocklist, blocklist_formats, signing

TEXT = "text/plain; charset=utf-8"
CONTENT_TYPES = {
    blocklist_formats.TEXT_NAME: TEXT,
    blocklist_formats.JSON_NAME: "application/json",
    blocklist_formats.IPTABLES_NAME: TEXT,
    blocklist_formats.NFTABLES_NAME: TEXT,
}
MAX_AGE = 3600


def _max_age(now: datetime) -> int:
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC)
    return max(60, min(MAX_AGE, int((midnight - now).total_seconds())))


def _published(request, snapshot, body: bytes, content_type: str, filename: str | None = None):
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response["Last-Modified"] = http_date(snapshot.built_at.timestamp())
    response["Cache-Control"] = f"public, max-age={_max_age(timezone.now())}"
    # Scripts on other sites may fetch the list; it is public and carries no cookies' worth.
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=int(snapshot.built_at.timestamp()), response=response
    )


@require_safe
def blocklist_page(request):
    snapshot = blocklist.current_blocklist()
    entries = blocklist.snapshot_entries(snapshot)
    # Not cached publicly: the page's navigation differs for a signed-in user.
    return render(
        request,
        "reports/blocklist.html",
        {
            "snapshot": snapshot,
            "ranked": [e for e in entries if not e.reserved],
            "reserved": [e for e in entries if e.reserved],
            "files": list(CONTENT_TYPES),
            "key_name": blocklist_formats.KEY_NAME,
            "fingerprint": signing.fingerprint(snapshot.public_key),
            "size": blocklist.SIZE,
            "chain": blocklist_formats.CHAIN,
            "table": blocklist_formats.NFT_TABLE,
            "min_networks": settings.TRUST_MIN_NETWORKS,
            "targets_cap": settings.TRUST_TARGETS_PER_SOURCE_DAY,
        },
    )


@require_safe
def blocklist_file(request, name):
    snapshot = blocklist.current_blocklist()
    if name in CONTENT_TYPES:
        return _published(request, snapshot, snapshot.files[name].encode(), CONTENT_TYPES[name], name)
    signed = name.removesuffix(".sig")
    if name.endswith(".sig") and signed in CONTENT_TYPES:
        return _published(request, snapshot, snapshot.signature(signed), "application/octet-stream", name)
    raise Http404("no such file")


@require_safe
def blocklist_key(request):
    snapshot = blocklist.current_blocklist()
    return _published(
        request, snapshot, snapshot.public_key.encode(), "application/x-pem-file", blocklist_formats.KEY_NAME
    )
