from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = pytest.mark.django_db

WORM, LONER, SPLIT = "45.33.32.156", "45.33.32.157", "45.33.32.158"
URL = "/api/v1/report/"


@pytest.fixture
def three_reporters(submit, recent):
    """A, B and C, independent reporters who count, all see WORM on port 22;
    only A sees LONER; SPLIT hits A on 22 and B on 80."""
    a, b, c = vouch(UserFactory(), UserFactory(), UserFactory())
    submit(
        a,
        text=iptables_line(recent, src=WORM, dst="198.51.100.1")
        + iptables_line(recent, src=LONER)
        + iptables_line(recent - timedelta(seconds=5), src=WORM, dst="198.51.100.1", spt=40000)
        + iptables_line(recent, src=SPLIT, dpt=22),
    )
    submit(b, text=iptables_line(recent, src=WORM, dst="192.0.2.10") + iptables_line(recent, src=SPLIT, dpt=80))
    submit(c, text=iptables_line(recent, src=WORM, dst="192.0.2.99"))
    return a, b, c


def test_report_has_the_html_reports_numbers(client, as_user, three_reporters):
    a, _, _ = three_reporters
    report = as_user(a).get(URL + "?days=3").json()
    client.force_login(a)
    page = client.get(reverse("home") + "?days=3").context
    assert (report["days"], report["source_count"], report["event_count"]) == (
        3,
        page["source_count"],
        page["event_count"],
    )
    rows = {row["source_ip"]: row for row in report["results"]}
    html = {row.source_ip: row for row in page["sources"]}
    assert set(rows) == set(html) == {WORM, LONER, SPLIT}
    for ip, row in rows.items():
        assert (row["events"], row["others_same_ports"], row["others_any_port"], row["label"]) == (
            html[ip].events,
            html[ip].others_same_ports,
            html[ip].others_any_port,
            html[ip].label,
        )
    assert (rows[WORM]["events"], rows[WORM]["others_same_ports"], rows[WORM]["ports"]) == (2, 2, [22])
    assert (rows[SPLIT]["others_same_ports"], rows[SPLIT]["others_any_port"]) == (0, 1)
    assert rows[LONER]["label"] == "seen only by you"
    assert rows[WORM]["url"] == f"http://testserver{URL}sources/{WORM}/"


def test_report_hides_other_reporters_addresses(as_user, three_reporters):
    a, b, c = three_reporters
    body = as_user(a).get(URL).content.decode() + as_user(a).get(f"{URL}sources/{WORM}/").content.decode()
    for secret in ("192.0.2.10", "192.0.2.99", b.email, c.email, str(b.pk) + ","):
        assert secret not in body


def test_report_is_paginated(as_user, three_reporters):
    a, _, _ = three_reporters
    client = as_user(a)
    first = client.get(URL + "?limit=2").json()
    assert (first["count"], len(first["results"]), first["source_count"]) == (3, 2, 3)
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    seen = [r["source_ip"] for r in first["results"] + rest["results"]]
    assert sorted(seen) == sorted({WORM, LONER, SPLIT})
    assert first["results"][0]["source_ip"] == WORM  # most events first, as on the page


def test_report_refuses_an_unknown_window(as_user):
    response = as_user(UserFactory()).get(URL + "?days=5")
    assert response.status_code == 400
    assert "days" in response.json()


def test_report_is_only_ever_the_callers_own(api, as_user, three_reporters):
    _, b, _ = three_reporters
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}sources/{WORM}/").status_code == 401
    nobody = as_user(UserFactory()).get(URL).json()
    assert (nobody["source_count"], nobody["results"]) == (0, [])
    mine = {r["source_ip"] for r in as_user(b).get(URL).json()["results"]}
    assert mine == {WORM, SPLIT}  # not LONER, which only A saw


def test_source_detail_has_my_lines_and_portal_totals(as_user, three_reporters, recent):
    a, _, _ = three_reporters
    detail = as_user(a).get(f"{URL}sources/{WORM}/?days=7").json()
    assert detail["source_ip"] == WORM
    assert detail["reporters"] == 3
    assert [(p["protocol"], p["port"], p["events"]) for p in detail["my_ports"]] == [("tcp", 22, 2)]
    assert [(p["port"], p["events"], p["reporters"]) for p in detail["portal_ports"]] == [(22, 4, 3)]
    assert {line["target_ip"] for line in detail["my_lines"]} == {"198.51.100.1"}
    assert len(detail["my_lines"]) == 2


def test_source_detail_of_something_not_an_address_is_404(as_user):
    assert as_user(UserFactory()).get(f"{URL}sources/not-an-ip/").status_code == 404
