"""Public figures are hard to poison and k-anonymous: only independent
reporters who count add to them, and nothing one reporter alone saw is
shown, on the pages or in the API (k = 3, the default)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import port_counts
from incidents.trust.models import KnownNetwork
from reports import public
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.public_rows import NEIGHBOUR, WORM
from tests.rollup_rows import seen, store, sweep
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

# The attacker's own source, and addresses he wonders whether someone watches:
# he probes each on a port of its own, then reads the source's public record.
PROBER = "45.33.32.200"
CANDIDATES = {"198.51.100.10": 1001, "198.51.100.20": 1002, "198.51.100.30": 1003}
WATCHED = "198.51.100.20"
NOBODY = "45.33.32.201"  # an address no one reported
ADDRESS_KEYS = ("ip", "subnet", "subnet_url")


@pytest.fixture
def api():
    return APIClient()


def ip_answer(api, ip: str) -> dict:
    body = api.get(f"/api/v1/ip/{ip}/").json()
    return {key: value for key, value in body.items() if key not in ADDRESS_KEYS}


def port_answer(api, port: int) -> dict:
    body = api.get(f"/api/v1/ports/tcp/{port}/").json()
    return {key: value for key, value in body.items() if key not in ("port", "name")}


def probe_seen_by(user, when: datetime, submit) -> None:
    """``user``'s firewall stands at WATCHED: it logs the one probe sent there."""
    submit(user, text=iptables_line(when, src=PROBER, dst=WATCHED, dpt=CANDIDATES[WATCHED]))


@pytest.mark.parametrize("counts", [True, False], ids=["a-real-reporter", "a-fake-reporter"])
def test_probing_candidates_tells_the_prober_nothing(api, client, submit, recent, counts):
    reporter = UserFactory()
    if counts:
        vouch(reporter)
    probe_seen_by(reporter, recent, submit)
    port_counts.refresh()

    # The source's record reads exactly as an address nobody reported.
    assert ip_answer(api, PROBER) == ip_answer(api, NOBODY)
    answer = ip_answer(api, PROBER)
    assert (answer["shown"], answer["ports"], answer["daily"], answer["first_seen"], answer["last_seen"]) == (
        False,
        [],
        [],
        None,
        None,
    )
    assert answer["note"] == "Seen by fewer than 3 independent reporters in the last 30 days."
    page = client.get(reverse("public-ip", args=[PROBER])).content.decode()
    assert 'data-testid="withheld"' in page and "fewer than 3 independent reporters" in page
    assert "1002" not in page and recent.strftime("%H:") not in page and 'data-testid="ports"' not in page
    # Nor does the port, the network or the day's summary tell.
    assert port_answer(api, 1002) == port_answer(api, 1009)
    assert client.get(reverse("public-port", args=["tcp", 1002])).context["history"].events == 0
    subnet = api.get("/api/v1/subnets/45.33.32.0/24/").json()
    assert (subnet["address_count"], subnet["results"], subnet["events"]) == (0, [], 0)
    top = api.get("/api/v1/top/", {"day": recent.date().isoformat()}).json()
    assert PROBER not in [s["source_ip"] for s in top["top_sources"]]
    assert 1002 not in [p["port"] for p in top["top_ports"]]


def test_ports_and_hours_appear_once_k_independent_reporters_saw_the_source(api, client, submit, recent):
    """Three reporters who count see the prober's sweep on port 22; the one
    at WATCHED also sees its probe on 1002: 22 is shown, 1002 never."""
    reporters = vouch(UserFactory(), UserFactory(), UserFactory())
    for n, reporter in enumerate(reporters):
        submit(reporter, text=iptables_line(recent - timedelta(minutes=40 - n), src=PROBER, dst=f"192.0.2.{n + 1}"))
    probe_seen_by(reporters[0], recent, submit)
    port_counts.refresh()

    answer = ip_answer(api, PROBER)
    assert (answer["shown"], answer["note"], answer["reporters"], answer["events"]) == (True, None, 3, 3)
    assert [(p["name"], p["reporters"]) for p in answer["ports"]] == [("tcp/22", 3)]
    # The sightings' own day: 40 minutes before "recent", which is another day just after midnight.
    day = (recent - timedelta(minutes=40)).date().isoformat()
    assert [(d["day"], d["events"], d["reporters"]) for d in answer["daily"]] == [(day, 3, 3)]
    hour = (recent - timedelta(minutes=38)).replace(minute=0, second=0)  # the third reporter's sighting
    assert datetime.fromisoformat(answer["first_seen"]) == datetime.fromisoformat(answer["last_seen"]) == hour
    page = client.get(reverse("public-ip", args=[PROBER])).content.decode()
    assert "tcp/22" in page and "tcp/1002" not in page and 'data-testid="withheld"' not in page
    assert hour.strftime("%Y-%m-%d %H:00") in page and recent.strftime("%H:%M:%S") not in page
    assert port_answer(api, 1002) == port_answer(api, 1009)


def public_answers(api) -> dict:
    """Every public figure the reported fixture's rows make, as a script reads them."""
    today = datetime.now(UTC).date()
    for day in (public.last_whole_day(), today):
        cache.delete(f"public:front:{day.isoformat()}")  # the front page's short cache
    urls = [
        f"/api/v1/ip/{WORM}/",
        f"/api/v1/ip/{NEIGHBOUR}/",
        "/api/v1/ip/45.33.32.77/",
        "/api/v1/ports/tcp/22/",
        "/api/v1/ports/tcp/3389/",
        "/api/v1/subnets/45.33.32.0/24/",
        "/api/v1/top/",
        f"/api/v1/top/?day={today.isoformat()}",
    ]
    answers = {url: api.get(url).json() for url in urls}
    for url in urls[-2:]:
        answers[url].pop("computed_at")
    return answers


def test_a_reporter_who_does_not_count_adds_nothing_public(api, client, reported, submit):
    before = public_answers(api)
    noon = datetime.combine(public.last_whole_day(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    for n in range(3):  # new accounts, no standing yet: enough of them to pass k, were they counted
        sources = (WORM, NEIGHBOUR, "45.33.32.77")
        log = "".join(
            iptables_line(noon + timedelta(minutes=n), src=src, dst="203.0.113.9", dpt=port, spt=spt)
            for src in sources
            for port in (22, 3389)
            for spt in range(1, 6)
        )
        submit(UserFactory(), text=log)
    port_counts.refresh()
    assert public_answers(api) == before
    page = client.get(reverse("public-ip", args=[NEIGHBOUR])).content.decode()
    assert 'data-testid="withheld"' in page


def test_reporters_who_do_not_count_raise_no_early_warning():
    day = public.last_whole_day()
    quiet = []
    for n in range(1, 16):
        quiet += sweep(day - timedelta(days=n), 80, 3, 3)  # 3 sources from 3 reporters a day
    store(quiet)
    # Ten fresh accounts knock 45 sources onto port 80: a jump, were they counted.
    store(sweep(day, 80, 45, 10, net="100.70", first=2000), counting=[])
    assert public.port_anomalies(day) == []
    assert public.top_ports(day) == []
    assert [d.events for d in public.port_history("tcp", 80).days if d.day == day] == [0]
    assert public.top_sources(day) == []


def test_reporters_on_one_network_count_once():
    day = public.last_whole_day()
    store([seen(day, WORM, r) for r in (1, 2, 3)], groups={2: 1})  # 1 and 2: one network
    summary = public.ip_summary(WORM)
    assert (summary.shown, summary.reporters) == (False, None)
    assert public.top_sources(day) == [] and public.top_ports(day) == []

    store([seen(day, WORM, 4, hour=13)])
    summary = public.ip_summary(WORM)
    assert (summary.shown, summary.reporters, [(p.name, p.reporters) for p in summary.ports]) == (
        True,
        3,
        [("tcp/22", 3)],
    )
    (top,) = public.top_sources(day)
    (port,) = public.top_ports(day)
    assert (top.reporters, port.reporters, port.sources) == (3, 3, 1)


@pytest.fixture
def known(db):
    scanner = KnownNetwork.objects.create(
        network="45.33.32.128/25",
        kind=KnownNetwork.Kind.SCANNER,
        name="Example Internet Survey",
        source="MISP warning list: research scanners",
    )
    resolver = KnownNetwork.objects.create(
        network="45.33.32.9/32", kind=KnownNetwork.Kind.NEVER_LIST, name="Example Public DNS", source="MISP: public-dns"
    )
    return scanner, resolver


def test_research_scanners_and_infrastructure_are_labelled(api, client, reported, known):
    """WORM is in a research scanner's range, NEIGHBOUR is a public resolver:
    shown and labelled wherever they appear, hidden nowhere."""
    body = api.get(f"/api/v1/ip/{WORM}/").json()
    assert body["known"] == {
        "network": "45.33.32.128/25",
        "kind": "scanner",
        "name": "Example Internet Survey",
        "source": "MISP warning list: research scanners",
        "label": "research scanner: Example Internet Survey",
    }
    assert body["shown"] and body["reporters"] == 3
    page = client.get(reverse("public-ip", args=[WORM])).content.decode()
    assert 'data-kind="scanner"' in page and "Example Internet Survey" in page
    assert "MISP warning list: research scanners" in page

    resolver = client.get(reverse("public-ip", args=[NEIGHBOUR])).content.decode()
    assert "Well-known infrastructure: never listed" in resolver and "Example Public DNS" in resolver
    assert api.get(f"/api/v1/ip/{NEIGHBOUR}/").json()["known"]["kind"] == "never"

    front = client.get(reverse("public-top")).content.decode()
    assert 'data-testid="known-badge" data-kind="scanner"' in front
    assert "research scanner: Example Internet Survey" in front

    subnet = client.get(reverse("public-subnet", args=["45.33.32.0", 24])).content.decode()
    assert subnet.count('data-testid="known"') == 2 and "research scanner: Example Internet Survey" in subnet
    subnet_api = api.get("/api/v1/subnets/45.33.32.0/24/").json()
    assert sorted(k["kind"] for k in subnet_api["known"]) == ["never", "scanner"]
    assert subnet_api["results"][0]["known"]["name"] == "Example Internet Survey"
    assert api.get("/api/v1/top/").json()["top_sources"][0]["known"]["kind"] == "scanner"
