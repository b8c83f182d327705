"""A day's summary in the API: the front page's top lists, trends and anomalies."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reports import public
from tests.public_rows import WORM
from tests.rollup_rows import store, sweep

pytestmark = pytest.mark.django_db

URL = "/api/v1/top/"


def test_top_has_the_top_pages_lists(api, client, reported):
    body = api.get(URL).json()
    front = client.get(reverse("public-top")).context["front"]
    assert body["day"] == front.day.isoformat() == public.last_whole_day().isoformat()
    sources = [(s["source_ip"], s["events"], s["reporters"], s["ports"], s["port_count"]) for s in body["top_sources"]]
    assert sources == [(s.source_ip, s.events, s.reporters, s.ports, s.port_count) for s in front.top_sources]
    worm = body["top_sources"][0]
    assert (worm["source_ip"], worm["reporters"], worm["ports"], worm["known"]) == (WORM, 3, ["tcp/22"], None)
    assert worm["url"] == f"http://testserver/api/v1/ip/{WORM}/"
    assert worm["trend"] == {"value": 3, "previous": 0, "average": 0.0, "change": 3, "direction": "new", "ratio": None}
    assert [(p["name"], p["events"], p["sources"], p["reporters"]) for p in body["top_ports"]] == [
        (p.name, p.events, p.sources, p.reporters) for p in front.top_ports
    ]
    assert body["top_ports"][0]["url"] == "http://testserver/api/v1/ports/tcp/22/"
    assert (body["anomalies"], body["baseline_days"]) == ([], front.baseline_days)
    assert body["anomaly_rule"] == public.anomaly_rule()


def test_top_of_another_day(api, reported):
    today = datetime.now(UTC).date()
    body = api.get(URL, {"day": today.isoformat()}).json()
    assert (body["day"], body["top_sources"]) == (today.isoformat(), [])


@pytest.mark.parametrize("offset", [1, -30, -90])
def test_top_refuses_days_it_has_no_figures_for(api, offset):
    day = datetime.now(UTC).date() + timedelta(days=offset)
    response = api.get(URL, {"day": day.isoformat()})
    assert response.status_code == 400
    assert "day" in response.json()


def test_top_refuses_what_is_not_a_day(api):
    assert api.get(URL, {"day": "yesterday"}).status_code == 400


def test_top_has_the_port_anomalies(api):
    day = public.last_whole_day()
    rows = []
    for n in range(1, 16):
        rows += sweep(day - timedelta(days=n), 80, 3, 3)  # quiet: 3 sources from 3 reporters a day
    rows += sweep(day, 80, 45, 10)  # the jump
    store(rows)
    (anomaly,) = api.get(URL).json()["anomalies"]
    (expected,) = public.port_anomalies(day)
    assert anomaly == {
        "protocol": "tcp",
        "port": 80,
        "name": "tcp/80",
        "url": "http://testserver/api/v1/ports/tcp/80/",
        "events": 45,
        "sources": 45,
        "reporters": 10,
        "baseline_sources": expected.baseline_sources,
        "baseline_reporters": expected.baseline_reporters,
        "flagged_on": ["sources", "reporters"],
        "factor": expected.factor,
    }
    assert expected.factor == 15.0
