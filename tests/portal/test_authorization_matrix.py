"""Who may reach what: every URL pattern against a declared table.

The patterns come from the resolver (portal.urls and everything it includes),
so a new URL without a line in MATRIX fails ``test_every_url_pattern_is_declared``.
Each line says, for one pattern, the sample arguments and what each kind of
visitor gets: anonymous, the owner of the sample objects, another signed-in
user, and staff (a superuser who owns nothing). Another user's submissions,
rules, networks and tokens must be a 404 (or a redirect), never shown: every
non-owner answer is also checked for the owner's private marker text.

Adding a URL: one line, usually with a helper: ``public()``, ``signed_in()``,
``own(args)``, ``own_post(args)``, ``staff_only()``, ``capability(args, forged)``;
or ``Row(...)`` with the outcomes spelled out.

The admin's own generated views (changelists, change forms, ...) are covered
by ``test_admin_model_pages_are_for_staff_only``; allauth's views are declared
here like ours.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from incidents.models import FilterRule, Submission
from portal.models import ApiToken, IspServer, OwnedNetwork
from reports import digests
from reports.models import AbuseReport, BulkArrangement, BulkReport, ListingReview, NetworkContact
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

MARK = "owner-private-7f3a"  # in every sample object's text; never in an answer to anyone but the owner
LOGIN = "login"  # 302 to the sign-in page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's sign-in page
REDIRECT = "redirect"  # 302 elsewhere (e.g. a signed-in user sent away from the sign-in page)
ACTORS = ("anon", "other", "staff", "owner")  # owner last: its POSTs change things


@dataclass(frozen=True)
class World:
    owner: object
    other: object
    staff: object
    submission: Submission
    rule: FilterRule
    network: OwnedNetwork
    isp_server: IspServer
    token: ApiToken
    report: AbuseReport
    arrangement: BulkArrangement
    review: ListingReview


@dataclass(frozen=True)
class Row:
    args: Callable[[World], dict] | None = None  # reverse() kwargs
    method: str = "GET"
    anon: int | str = 200
    owner: int | str = 200
    other: int | str | None = None  # None: as owner (the page has no object of anyone's)
    staff: int | str | None = None  # None: as other
    forged: Callable[[World], dict] | None = None  # capability URLs: a made-up token must be a 404 for everyone
    data: dict = field(default_factory=dict)  # the POST body
    csrf_exempt: str = ""  # why a token-less POST is accepted (empty: it must be refused)
    still_there: Callable[[World], bool] | None = None  # after a refused POST, the object is intact

    def expected(self, actor: str):
        if actor == "anon":
            return self.anon
        if actor == "owner":
            return self.owner
        other = self.owner if self.other is None else self.other
        return other if actor == "other" or self.staff is None else self.staff


def public(**kw):
    return Row(**kw)


def signed_in(**kw):
    return Row(anon=LOGIN, **kw)


def own(args, **kw):
    return Row(args=args, anon=LOGIN, owner=200, other=404, **kw)


def own_post(args, still_there, **kw):
    return Row(args=args, method="POST", anon=LOGIN, owner=302, other=404, still_there=still_there, **kw)


# DRF checks CSRF only for cookie (session) authentication; these views take none, and a POST is a 405.
READS_NO_COOKIES = "GET only, and no cookie authentication: a POST is refused as 405"


def api(**kw):
    return Row(anon=401, **kw)


def api_own(args, **kw):
    return Row(args=args, anon=401, owner=200, other=404, **kw)


def staff_only(**kw):
    return Row(anon=ADMIN_LOGIN, owner=ADMIN_LOGIN, staff=200, **kw)


def capability(args, forged, **kw):
    return Row(args=args, forged=forged, **kw)


def _exists(model, attr):
    return lambda w: model.objects.filter(pk=getattr(w, attr).pk).exists()


def _token_active(w):
    return ApiToken.objects.get(pk=w.token.pk).is_active


MATRIX: dict[str, Row] = {
    # --- portal ---------------------------------------------------------------------------------------------
    "home": public(),
    "profile": signed_in(),
    "network-add": signed_in(method="POST", owner=302, data={"cidr": "192.0.2.0/24"}),
    "network-delete": own_post(lambda w: {"pk": w.network.pk}, _exists(OwnedNetwork, "network")),
    "isp-server-add": signed_in(method="POST", owner=302, data={"kind": "dns", "address": "192.0.2.53"}),
    "isp-server-delete": own_post(lambda w: {"pk": w.isp_server.pk}, _exists(IspServer, "isp_server")),
    "token-create": signed_in(method="POST", owner=302, data={"name": "cron"}),
    "token-revoke": own_post(lambda w: {"pk": w.token.pk}, _token_active),
    "account-export": signed_in(),
    "account-delete": signed_in(),
    # --- incidents --------------------------------------------------------------------------------------------
    "submission-list": signed_in(),
    "submission-new": signed_in(),
    "submission-detail": own(lambda w: {"pk": w.submission.pk}),
    "submission-progress": own(lambda w: {"pk": w.submission.pk}),
    "rule-list": signed_in(),
    "rule-delete": own_post(lambda w: {"pk": w.rule.pk}, _exists(FilterRule, "rule")),
    # --- reports ----------------------------------------------------------------------------------------------
    "fightback-stats": staff_only(),
    "report-source": signed_in(args=lambda w: {"source_ip": "203.0.113.5"}),
    "report-ports": signed_in(),
    "report-filtered": signed_in(),
    "abuse-record": capability(lambda w: {"token": w.report.token}, lambda w: {"token": "forged-token"}),
    "bulk-latest": capability(
        lambda w: {"token": w.arrangement.download_token, "extension": "txt"},
        lambda w: {"token": "forged-token", "extension": "txt"},
    ),
    "digest-unsubscribe": capability(
        lambda w: {"token": digests.unsubscribe_token(w.owner)},
        lambda w: {"token": "forged-token"},
        csrf_exempt="RFC 8058 one-click unsubscribe: mail clients POST without a token; the signed link is the proof",
    ),
    # --- public pages and the block list: aggregates for everyone, nothing of the owner's -------------------------
    "public-top": public(),
    "public-search": public(),
    "public-ip": public(args=lambda w: {"ip": "203.0.113.5"}),
    "public-subnet": public(args=lambda w: {"network": "203.0.113.0", "prefix": 24}),
    "public-port": public(args=lambda w: {"protocol": "tcp", "port": 22}),
    "public-port-portless": public(args=lambda w: {"protocol": "icmp"}),
    "blocklist": public(),
    "blocklist-file": public(args=lambda w: {"name": "block.txt"}),
    "blocklist-key": public(),
    "listing-review": public(args=lambda w: {"address": "45.33.32.156"}),
    "listing-review-status": capability(lambda w: {"token": w.review.token}, lambda w: {"token": "forged-token"}),
    # --- REST API: 401 without credentials; another user's objects are 404 --------------------------------------
    "api:api-root": api(),
    "api:submission-list": api(),
    "api:submission-detail": api_own(lambda w: {"pk": w.submission.pk}),
    "api:rule-list": api(),
    "api:rule-detail": api_own(lambda w: {"pk": w.rule.pk}),
    "api:portal-rule-list": api(),
    "api:report": api(),
    "api:report-source": api(args=lambda w: {"source_ip": "203.0.113.5"}),
    "api:dshield-key": api(owner=404),  # nobody has a DShield key yet
    "api:dshield-submitapi": Row(
        anon=401, owner=401, method="POST", csrf_exempt="DShield clients sign each request (HMAC header), no cookies"
    ),
    "api:dshield-log": Row(
        anon=401, owner=401, method="POST", csrf_exempt="DShield clients sign each request (HMAC header), no cookies"
    ),
    "api:public-ip": public(args=lambda w: {"ip": "203.0.113.5"}),
    "api:public-port": public(args=lambda w: {"protocol": "tcp", "port": 22}),
    "api:public-port-portless": public(args=lambda w: {"protocol": "icmp"}),
    "api:public-subnet": public(args=lambda w: {"network": "203.0.113.0", "prefix": 24}),
    "api:public-top": public(),
    "api:public-blocklist": public(),
    "api:schema": public(csrf_exempt=READS_NO_COOKIES),
    "api:docs": public(csrf_exempt=READS_NO_COOKIES),
    "api:redoc": public(csrf_exempt=READS_NO_COOKIES),
    # --- admin (its generated model pages: test_admin_model_pages_are_for_staff_only) ------------------------------
    "admin:index": staff_only(),
    "admin:reports_abusereport_preview": staff_only(),
    "admin:reports_bulkarrangement_preview": staff_only(args=lambda w: {"pk": w.arrangement.pk}),
    # --- allauth: signed-in visitors are sent on from the entrance pages ---------------------------------------------
    "account_login": public(owner=REDIRECT),
    "account_signup": public(owner=REDIRECT),
    "account_logout": public(anon=REDIRECT),  # GET shows the sign-out button; anonymous visitors are sent home
    "account_inactive": public(),
    "account_reauthenticate": signed_in(),
    "account_request_reauthentication_code": signed_in(),  # a code to one's own verified address
    "account_confirm_reauthentication_code": Row(anon=LOGIN, owner=REDIRECT),  # no code asked for: back to asking
    "account_email": signed_in(),
    "account_email_verification_sent": public(),
    "account_confirm_email": public(args=lambda w: {"key": "not-a-real-key"}),
    "account_change_password": signed_in(),
    "account_set_password": Row(anon=LOGIN, owner=REDIRECT),  # the user has a password: on to change it
    "account_reset_password": public(),
    "account_reset_password_done": public(),
    "account_reset_password_from_key": public(args=lambda w: {"uidb36": "zz", "key": "not-a-real-key"}),
    "account_reset_password_from_key_done": public(),
    "account_confirm_login_code": Row(anon=LOGIN, owner=REDIRECT),  # sign-in by code is off: no code pending
}

# Admin views generated by ModelAdmin and AdminSite: covered by the admin test below.
ADMIN_GENERATED = re.compile(
    r"^admin:(\w+_(changelist|add|change|delete|history|autocomplete)|login|logout|password_change"
    r"|password_change_done|autocomplete|jsi18n|view_on_site|app_list)$"
)


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) for every pattern, walking included URL confs."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else ""


def declared_patterns():
    seen = []
    for route, name in url_patterns():
        if route.startswith("admin/") and (not name or ADMIN_GENERATED.match(name)):
            continue
        seen.append((route, name))
    return seen


def test_every_url_pattern_is_declared():
    patterns = declared_patterns()
    unnamed = [route for route, name in patterns if not name]
    assert not unnamed, f"give these URL patterns a name, then a line in MATRIX: {unnamed}"
    missing = sorted(name for _, name in patterns if name not in MATRIX)
    assert not missing, f"URL patterns without a line in MATRIX (tests/portal/test_authorization_matrix.py): {missing}"
    stale = sorted(set(MATRIX) - {name for _, name in patterns})
    assert not stale, f"MATRIX lines for URL patterns that no longer exist: {stale}"


@pytest.fixture(autouse=True)
def _signing_key_in_tmp(settings, tmp_path):
    """The block list is built on first request; its key goes here, not into the real var/."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def world(db):
    owner, other = UserFactory(), UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    contact = NetworkContact.objects.create(asn=64500, organisation="Example Net", abuse_emails=["abuse@example.org"])
    now = timezone.now()
    report = AbuseReport.objects.create(
        source_ip="203.0.113.5", contact=contact, state=AbuseReport.State.SENT, sent_at=now, first_event=now,
        last_event=now, events=3, reporters=3,
    )  # fmt: skip
    arrangement = BulkArrangement.objects.create(contact=contact, netblocks=["203.0.113.0/24"])
    BulkReport.objects.create(
        arrangement=arrangement, period_start=now - timedelta(days=1), period_end=now, body="summary"
    )
    return World(
        owner=owner,
        other=other,
        staff=staff,
        submission=Submission.objects.create(
            user=owner, name=f"{MARK}.log", status=Submission.Status.DONE, lines=1, accepted=1
        ),
        rule=FilterRule.objects.create(user=owner, kind=FilterRule.Kind.PORT, port_from=9999, reason=MARK),
        network=OwnedNetwork.objects.create(user=owner, cidr="198.51.100.0/24", note=MARK),
        isp_server=IspServer.objects.create(user=owner, kind=IspServer.Kind.DNS, address="198.51.100.53"),
        token=ApiToken.issue(owner, MARK)[0],
        report=report,
        arrangement=arrangement,
        review=ListingReview.objects.create(network="45.33.32.0/24", kind="appeal", requester_email="noc@example.net"),
    )


def client_for(world: World, actor: str, **kw) -> Client:
    client = Client(**kw)
    if actor != "anon":
        client.force_login(getattr(world, actor))
    return client


def check(response, expected, actor: str, url: str):
    where = f"{actor} {response.request['REQUEST_METHOD']} {url}"
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("account_login")), where
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("admin:login")), where
    elif expected == REDIRECT:
        assert response.status_code == 302, where
        assert not response["Location"].startswith(reverse("account_login")), where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}, expected {expected}"
    if actor != "owner" and not getattr(response, "streaming", False):
        assert MARK not in response.content.decode(errors="replace"), f"{where} shows the owner's data"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_visitor_gets_what_the_table_says(name, world):
    row = MATRIX[name]
    url = reverse(name, kwargs=row.args(world) if row.args else None)
    for actor in ACTORS:
        client = client_for(world, actor)
        response = client.post(url, row.data) if row.method == "POST" else client.get(url)
        check(response, row.expected(actor), actor, url)
        if row.still_there and actor != "owner":
            assert row.still_there(world), f"{actor} changed the owner's object through {url}"
    if row.still_there:
        assert not row.still_there(world), f"the owner's POST to {url} did nothing"
    if row.forged:
        forged = reverse(name, kwargs=row.forged(world))
        for actor in ACTORS:
            check(client_for(world, actor).get(forged), 404, actor, forged)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_post_without_csrf_token_is_refused(name, world):
    """Every form's POST (and every other URL's: a POST the view ignores must
    not slip through either) is refused without the CSRF token."""
    row = MATRIX[name]
    url = reverse(name, kwargs=row.args(world) if row.args else None)
    actor = "staff" if row.staff == 200 else ("owner" if row.owner not in (LOGIN, ADMIN_LOGIN) else "anon")
    if actor == "owner" and row.anon in (200, REDIRECT) and row.owner == REDIRECT:
        actor = "anon"  # the entrance pages' forms are for visitors
    response = client_for(world, actor, enforce_csrf_checks=True).post(url, row.data)
    if row.csrf_exempt:
        assert response.status_code != 403, url
    else:
        assert response.status_code == 403, f"{actor} POST {url} without a CSRF token: {response.status_code}"
        if row.still_there:
            assert row.still_there(world)


def test_a_post_with_the_token_goes_through(world):
    """The refusals above are about the token, not about the client: with it, the same POST works."""
    client = client_for(world, "owner", enforce_csrf_checks=True)
    page = client.get(reverse("profile"))
    token = page.cookies["csrftoken"].value
    url = reverse("network-delete", kwargs={"pk": world.network.pk})
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not OwnedNetwork.objects.filter(pk=world.network.pk).exists()


def test_admin_model_pages_are_for_staff_only(world):
    """Every registered model's list and add pages: the admin's sign-in for
    anonymous visitors and plain users, the page for staff."""
    assert len(admin.site._registry) > 5
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        request = RequestFactory().get("/")
        request.user = world.staff
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        for url in urls:
            for actor in ("anon", "other", "owner"):
                check(client_for(world, actor).get(url), ADMIN_LOGIN, actor, url)
            assert client_for(world, "staff").get(url).status_code == 200, url


def test_signing_in_for_real_reaches_the_owner_pages(world):
    """force_login is what the matrix uses; the real sign-in leads to the same place."""
    client = Client()
    client.post(reverse("account_login"), {"login": world.owner.email, "password": PASSWORD})
    assert client.get(reverse("submission-detail", kwargs={"pk": world.submission.pk})).status_code == 200
