"""The public pages: anonymous access, bad input, search, and privacy."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reports import public
from tests.public_rows import NEIGHBOUR, TARGETS, WORM

pytestmark = pytest.mark.django_db


def pages(client):
    urls = [
        reverse("home"),
        reverse("public-top"),
        reverse("public-ip", args=[WORM]),
        reverse("public-ip", args=[NEIGHBOUR]),
        reverse("public-subnet", args=["45.33.32.0", 24]),
        reverse("public-port", args=["tcp", 22]),
        reverse("public-port", args=["tcp", 3389]),
    ]
    return {url: client.get(url) for url in urls}


def test_public_pages_need_no_sign_in(client, reported):
    for url, response in pages(client).items():
        assert response.status_code == 200, url


def test_no_reporter_and_no_target_on_any_public_page(client, reported):
    for url, response in pages(client).items():
        page = response.content.decode()
        # The page has its figures, or says why not (NEIGHBOUR: one reporter).
        assert WORM in page or "tcp/" in page or 'data-testid="withheld"' in page, url
        for target in TARGETS:
            assert target not in page, (url, target)
        for user in reported:
            assert user.email not in page, (url, user.email)
            assert user.email.split("@")[0] not in page, url


def test_front_page_shows_the_summary_to_visitors(client, reported):
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "Did anyone else see that?" in page  # the welcome stays
    (top,) = [s for s in response.context["front"].top_sources if s.source_ip == WORM]
    assert (top.reporters, top.events) == (3, 3)
    assert f'href="{reverse("public-ip", args=[WORM])}"' in page
    assert f'href="{reverse("public-port", args=["tcp", 22])}"' in page
    assert 'data-testid="nav-top"' in page and 'action="/search/"' in page
    assert public.anomaly_rule() in page


def test_signed_in_home_is_still_the_personal_report(client, reported):
    client.force_login(reported[0])
    response = client.get(reverse("home"))
    assert "sources" in response.context and "front" not in response.context
    assert 'data-testid="nav-top"' in response.content.decode()
    assert client.get(reverse("public-top")).context["front"].top_sources[0].source_ip == WORM


def test_day_choice(client, reported):
    today = datetime.now(UTC).date()
    assert client.get(reverse("public-top")).context["front"].day == today - timedelta(days=1)
    assert client.get(reverse("public-top"), {"day": today.isoformat()}).context["front"].day == today
    for bad in ("yesterday", (today + timedelta(days=1)).isoformat(), (today - timedelta(days=90)).isoformat()):
        assert client.get(reverse("public-top"), {"day": bad}).context["front"].day == today - timedelta(days=1)


def test_ip_page(client, reported):
    response = client.get(reverse("public-ip", args=[WORM]))
    summary = response.context["summary"]
    assert (summary.events, summary.reporters) == (3, 3)
    assert response.context["blocklist_entry"] is None
    page = response.content.decode()
    assert 'data-testid="timeline"' in page
    assert f'href="{reverse("public-subnet", args=["45.33.32.0", 24])}"' in page


@pytest.mark.parametrize("bad", ["not-an-ip", "999.1.1.1", "45.33.32", "1.2.3.4.5"])
def test_ip_page_rejects_what_is_not_an_address(client, bad):
    assert client.get(reverse("public-ip", args=[bad])).status_code == 404


def test_ip_page_redirects_to_the_canonical_address(client):
    response = client.get(reverse("public-ip", args=["2001:DB8:0::1"]))
    assert (response.status_code, response["Location"]) == (301, reverse("public-ip", args=["2001:db8::1"]))


def test_subnet_page(client, reported):
    response = client.get(reverse("public-subnet", args=["45.33.32.0", 24]))
    assert [a.ip for a in response.context["subnet"].addresses] == [WORM]  # NEIGHBOUR: one reporter
    assert client.get(reverse("public-subnet", args=["2001:db8::", 64])).status_code == 200
    assert client.get(reverse("public-subnet", args=["2001:db8::", 48])).status_code == 200


@pytest.mark.parametrize(
    ("network", "prefix"), [("45.33.0.0", 16), ("45.33.32.0", 25), ("not-a-net", 24), ("2001:db8::", 56)]
)
def test_subnet_page_shows_only_its_sizes(client, network, prefix):
    assert client.get(reverse("public-subnet", args=[network, prefix])).status_code == 404


def test_subnet_page_redirects_to_the_network_address(client):
    response = client.get(reverse("public-subnet", args=["45.33.32.77", 24]))
    assert (response.status_code, response["Location"]) == (301, reverse("public-subnet", args=["45.33.32.0", 24]))


def test_port_page(client, reported):
    response = client.get(reverse("public-port", args=["tcp", 22]))
    history = response.context["history"]
    assert (history.name, history.events) == ("tcp/22", 3)
    (yesterday,) = [d for d in history.days if d.events]
    assert (yesterday.sources, yesterday.reporters) == (1, 3)
    page = response.content.decode()
    for chart in ("events-chart", "sources-chart", "reporters-chart"):
        assert f'data-testid="{chart}"' in page
    assert client.get(reverse("public-port-portless", args=["icmp"])).context["history"].name == "icmp"


@pytest.mark.parametrize(("protocol", "port"), [("tcp", 65536), ("TCP", 22), ("t_p", 22), ("x" * 17, 22)])
def test_port_page_rejects_what_is_not_a_port(client, protocol, port):
    assert client.get(reverse("public-port", args=[protocol, port])).status_code == 404


@pytest.mark.parametrize(
    ("query", "url"),
    [
        (WORM, reverse("public-ip", args=[WORM])),
        (f"  {WORM} ", reverse("public-ip", args=[WORM])),
        ("2001:DB8::1", reverse("public-ip", args=["2001:db8::1"])),
        (f"{WORM}/32", reverse("public-ip", args=[WORM])),
        ("22", reverse("public-port", args=["tcp", 22])),
        ("port 22", reverse("public-port", args=["tcp", 22])),
        ("udp/53", reverse("public-port", args=["udp", 53])),
        ("53/UDP", reverse("public-port", args=["udp", 53])),
        ("ICMP", reverse("public-port-portless", args=["icmp"])),
        ("45.33.32.0/24", reverse("public-subnet", args=["45.33.32.0", 24])),
        ("45.33.32.128/25", reverse("public-subnet", args=["45.33.32.0", 24])),
        ("45.33.32.77/24", reverse("public-subnet", args=["45.33.32.0", 24])),
        ("2001:db8:1:2::/64", reverse("public-subnet", args=["2001:db8:1:2::", 64])),
        ("2001:db8:1::/56", reverse("public-subnet", args=["2001:db8:1::", 48])),
    ],
)
def test_search_redirects(client, query, url):
    response = client.get(reverse("public-search"), {"q": query})
    assert (response.status_code, response["Location"]) == (302, url)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("hello", "Nothing to look up for “hello”"),
        ("70000", "Ports run from 0 to 65535"),
        ("45.33.0.0/16", "larger than the networks the portal shows"),
        ("45.33.32.0/33", "not a network in CIDR form"),
        ("tcp/22/udp", "names two protocols"),
        ("icmp/8", "icmp has no ports"),
        ("<script>", "Nothing to look up for “&lt;script&gt;”"),
    ],
)
def test_search_explains_what_it_cannot_look_up(client, query, says):
    response = client.get(reverse("public-search"), {"q": query})
    assert response.status_code == 400
    assert says in response.content.decode()


def test_empty_search_shows_the_form(client):
    response = client.get(reverse("public-search"))
    assert response.status_code == 200
    assert "Enter an IP address" in response.content.decode()


def test_ip_page_is_a_handful_of_queries(client, reported, django_assert_max_num_queries):
    """One read of the address's rollup rows, the contact (two at most), the
    reports sent, the block list, the known networks, and the listing's
    explanation (the newest list, its reviews, the network's independent
    reporters): the page is benchmarked under load (bench/web.py)."""
    with django_assert_max_num_queries(10):
        assert client.get(reverse("public-ip", args=[WORM])).status_code == 200


def test_ip_page_shows_the_block_list_status(client, reported, settings, tmp_path):
    from reports import blocklist

    settings.VAR_DIR = tmp_path  # the signing key is generated here, not in the real var/
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    blocklist.build()
    listed = client.get(reverse("public-ip", args=[WORM]))
    assert listed.context["blocklist_entry"].cidr == "45.33.32.0/24"
    assert "is number 1 on the" in listed.content.decode()
    reserved = client.get(reverse("public-ip", args=["10.1.2.3"]))
    assert reserved.context["blocklist_entry"].reserved
    assert "a reserved range" in reserved.content.decode()
    unlisted = client.get(reverse("public-ip", args=["8.8.8.8"]))
    assert unlisted.context["blocklist_entry"] is None
    assert "not on the" in unlisted.content.decode()
