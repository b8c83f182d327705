"""The public look-ups in the API: an address, a port, a network. The same
figures as the HTML pages for the same rows, bad keys refused, and nothing
of a reporter or a target address in any answer."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reports import blocklist, public
from tests.public_rows import NEIGHBOUR, TARGETS, WORM

pytestmark = pytest.mark.django_db

API = "http://testserver/api/v1"


@pytest.fixture
def key_dir(settings, tmp_path):
    """The block list's signing key is generated here, not in the real var/."""
    settings.VAR_DIR = tmp_path
    settings.BLOCKLIST_SIGNING_KEY_FILE = ""
    settings.TRUST_REVIEW_NEW_LISTINGS = False  # the fixture's network is new with a jump: no admin here


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_ip_has_the_ip_pages_figures(api, client, reported):
    from reports.models import AbuseReport, NetworkContact

    contact = NetworkContact.objects.create(netblock="45.33.0.0/17", organisation="LINODE", country="US")
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    AbuseReport.objects.create(source_ip=WORM, contact=contact, state=AbuseReport.State.SENT, sent_at=sent)
    body = api.get(f"/api/v1/ip/{WORM}/").json()
    html = client.get(reverse("public-ip", args=[WORM])).context["summary"]
    assert (body["ip"], body["days"], body["events"], body["reporters"]) == (WORM, html.days, 3, 3)
    assert (body["k"], body["shown"], body["note"], body["known"]) == (3, True, None, None)
    assert (html.events, html.reporters) == (3, 3)
    assert body["ports"] == [
        {"protocol": "tcp", "port": 22, "name": "tcp/22", "url": f"{API}/ports/tcp/22/", "events": 3, "reporters": 3}
    ]
    assert [(d["day"], d["events"], d["reporters"]) for d in body["daily"]] == [
        (day.isoformat(), events, reporters) for day, events, reporters in html.daily
    ]
    assert (when(body["first_seen"]), when(body["last_seen"])) == (html.first_seen, html.last_seen)
    assert (body["network"], body["netblock"], body["country"]) == ("LINODE", "45.33.0.0/17", "US")
    assert [(when(f["sent_at"]), f["organisation"]) for f in body["forwarded"]] == [
        (sent.replace(minute=0, second=0), "LINODE")
    ]
    assert (body["subnet"], body["subnet_url"]) == ("45.33.32.0/24", f"{API}/subnets/45.33.32.0/24/")
    assert body["blocklist"] is None


def test_ip_says_where_the_block_list_has_it(api, reported, key_dir):
    blocklist.build()
    listed = api.get(f"/api/v1/ip/{WORM}/").json()["blocklist"]
    entry = blocklist.blocklist_entry(WORM)
    assert listed == {
        "cidr": "45.33.32.0/24",
        "rank": 1,
        "attacks": entry.attacks,
        "targets": entry.targets,
        "reporters": 3,
        "reserved": False,
        "day": entry.day.isoformat(),
    }
    # WORM's three and NEIGHBOUR's one; targets per reporter, source and day: WORM's three and NEIGHBOUR's one.
    assert (entry.attacks, entry.targets) == (4, 4)
    reserved = api.get("/api/v1/ip/10.1.2.3/").json()["blocklist"]
    assert (reserved["reserved"], reserved["rank"], reserved["attacks"]) == (True, None, None)
    assert api.get("/api/v1/ip/8.8.8.8/").json()["blocklist"] is None


def test_ip_of_an_unreported_address(api):
    body = api.get("/api/v1/ip/2001:db8::1/").json()
    assert (body["shown"], body["events"], body["ports"], body["first_seen"], body["network"]) == (
        False,
        None,
        [],
        None,
        None,
    )
    assert body["note"] == "Seen by fewer than 3 independent reporters in the last 30 days."
    assert body["subnet_url"] == f"{API}/subnets/2001:db8::/64/"


@pytest.mark.parametrize("bad", ["not-an-ip", "999.1.1.1", "45.33.32", "1.2.3.4.5"])
def test_ip_refuses_what_is_not_an_address(api, bad):
    assert api.get(f"/api/v1/ip/{bad}/").status_code == 404


def test_ip_redirects_to_the_canonical_address(api):
    response = api.get("/api/v1/ip/2001:DB8:0::1/")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/ip/2001:db8::1/")


def test_port_has_the_port_pages_history(api, client, reported):
    body = api.get("/api/v1/ports/tcp/22/").json()
    html = client.get(reverse("public-port", args=["tcp", 22])).context["history"]
    assert (body["protocol"], body["port"], body["name"], body["events"]) == ("tcp", 22, "tcp/22", 3)
    assert body["counting"] is html.counting is False
    assert body["days"] == [
        {
            "day": d.day.isoformat(),
            "events": d.events,
            "sources": d.sources,
            "reporters": d.reporters,
            "counting": d.counting,
        }
        for d in html.days
    ]
    assert len(body["days"]) == public.front.HISTORY_DAYS
    (yesterday,) = [d for d in body["days"] if d["events"]]
    assert (yesterday["day"], yesterday["sources"], yesterday["reporters"]) == (
        public.last_whole_day().isoformat(),
        1,
        3,
    )


def test_port_says_when_sources_are_still_being_counted(api, reported):
    from incidents.models import PortDay

    PortDay.objects.filter(day=public.last_whole_day(), target_port=22).update(events=4)  # an ingest since
    body = api.get("/api/v1/ports/tcp/22/").json()
    assert body["counting"] is True
    assert [d["counting"] for d in body["days"]].count(True) == 1


def test_a_protocol_without_ports(api):
    body = api.get("/api/v1/ports/icmp/").json()
    assert (body["protocol"], body["port"], body["name"], body["events"]) == ("icmp", None, "icmp", 0)


@pytest.mark.parametrize("path", ["tcp/65536", "TCP/22", "t_p/22", "x" * 17 + "/22", "tcp/-1", "tcp/ssh"])
def test_port_refuses_what_is_not_a_port(api, path):
    assert api.get(f"/api/v1/ports/{path}/").status_code == 404


def test_subnet_has_the_subnet_pages_addresses(api, client, reported):
    body = api.get("/api/v1/subnets/45.33.32.0/24/").json()
    html = client.get(reverse("public-subnet", args=["45.33.32.0", 24])).context["subnet"]
    assert (body["network"], body["days"], body["address_count"], body["count"]) == ("45.33.32.0/24", 30, 1, 1)
    assert (body["events"], body["reporters"]) == (html.events, html.reporters) == (3, 3)
    assert [(a["ip"], a["events"], a["reporters"], a["ports"]) for a in body["results"]] == [
        (a.ip, a.events, a.reporters, a.ports) for a in html.addresses
    ]
    assert [a["ip"] for a in body["results"]] == [WORM]  # NEIGHBOUR: one reporter
    assert (body["k"], body["known"], body["results"][0]["known"]) == (3, [], None)
    assert body["results"][0]["url"] == f"{API}/ip/{WORM}/"
    assert when(body["results"][0]["first_seen"]) == html.addresses[0].first_seen


def test_subnet_addresses_are_paginated(api, reported, submit):
    from tests.incidents.conftest import iptables_line

    noon = datetime.combine(public.last_whole_day(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    for user in reported:  # NEIGHBOUR seen by k
        submit(user, text=iptables_line(noon, src=NEIGHBOUR, dst="198.51.100.200", dpt=3389))
    first = api.get("/api/v1/subnets/45.33.32.0/24/?limit=1").json()
    assert (first["count"], [a["ip"] for a in first["results"]], first["previous"]) == (2, [NEIGHBOUR], None)
    rest = api.get(first["next"]).json()
    assert ([a["ip"] for a in rest["results"]], rest["next"]) == ([WORM], None)
    assert rest["address_count"] == 2  # the totals are the network's, on every page


def test_subnet_sizes_the_pages_show(api):
    for path in ("2001:db8::/64", "2001:db8::/48"):
        assert api.get(f"/api/v1/subnets/{path}/").json()["address_count"] == 0


@pytest.mark.parametrize("path", ["45.33.0.0/16", "45.33.32.0/25", "not-a-net/24", "2001:db8::/56", "45.33.32.0/x"])
def test_subnet_refuses_other_sizes(api, path):
    assert api.get(f"/api/v1/subnets/{path}/").status_code == 404


def test_subnet_redirects_to_the_network_address(api):
    response = api.get("/api/v1/subnets/45.33.32.77/24/")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/subnets/45.33.32.0/24/")


def test_no_reporter_and_no_target_in_any_answer(api, reported, key_dir):
    blocklist.build()
    urls = [
        f"/api/v1/ip/{WORM}/",
        f"/api/v1/ip/{NEIGHBOUR}/",
        "/api/v1/ports/tcp/22/",
        "/api/v1/ports/tcp/3389/",
        "/api/v1/subnets/45.33.32.0/24/",
        "/api/v1/top/",
        "/api/v1/blocklist/",
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "45.33.32." in body or "tcp/" in body, url  # the answer has its figures (or its key)
        for target in TARGETS:
            assert target not in body, (url, target)
        for user in reported:
            assert user.email not in body, (url, user.email)
            assert user.email.split("@")[0] not in body, url


def test_ip_is_as_few_queries_as_the_page(api, reported, django_assert_max_num_queries):
    """The page's ten (tests/reports/test_public_views.py): the API adds none."""
    with django_assert_max_num_queries(10):
        assert api.get(f"/api/v1/ip/{WORM}/").status_code == 200
