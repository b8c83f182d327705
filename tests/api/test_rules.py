import pytest

from incidents.models import Event, FilterRule
from incidents.reevaluate import reevaluate_reporter
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db

URL = "/api/v1/rules/"
SCANNER = "45.33.32.156"


def test_create_rule_reevaluates_and_reports_what_it_caught(
    as_user, submit, recent, django_capture_on_commit_callbacks
):
    user = UserFactory()
    submit(user, text=iptables_line(recent, src=SCANNER) + iptables_line(recent, src=SCANNER, dpt=23))
    client = as_user(user)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(URL, {"kind": "network", "network": "45.33.32.128/25"}, format="json")
    assert response.status_code == 201, response.content
    assert len(queued) == 1  # the same re-evaluation task the rules page queues
    rule = FilterRule.objects.get(user=user)
    assert response.json()["reason"] == rule.reason == "my rule: source 45.33.32.128/25"
    reevaluate_reporter(user.pk)  # what the queued task does in the worker
    assert set(Event.objects.filter(reporter=user).values_list("filter_reason", flat=True)) == {rule.code}
    assert client.get(f"{URL}{rule.pk}/").json()["caught"] == 2
    assert client.get(URL).json()["results"][0]["caught"] == 2


def test_change_and_delete_queue_reevaluation(as_user, django_capture_on_commit_callbacks):
    user = UserFactory()
    client = as_user(user)
    rule = client.post(URL, {"kind": "port", "port_from": 3074, "reason": "xbox"}, format="json").json()
    with django_capture_on_commit_callbacks() as queued:
        changed = client.patch(rule["url"], {"port_to": 3075}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["port_from"], changed.json()["port_to"], changed.json()["reason"]) == (3074, 3075, "xbox")
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued:
        assert client.delete(rule["url"]).status_code == 204
    assert len(queued) == 1
    assert not FilterRule.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "network"}, "network"),
        ({"kind": "port", "port_from": 80, "port_to": 70}, "port_to"),
        ({"kind": "lb_prober", "network": "192.0.2.0/24"}, "kind"),  # a portal-only kind
        ({"kind": "requested_scan", "network": "192.0.2.0/24"}, "starts_at"),
    ],
)
def test_same_validation_as_the_rules_page(as_user, data, field):
    response = as_user(UserFactory()).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not FilterRule.objects.exists()


def test_times_without_offset_are_in_the_profile_zone(as_user):
    client = as_user(UserFactory(timezone="Europe/Berlin"))
    data = {
        "kind": "requested_scan",
        "network": "192.0.2.0/24",
        "starts_at": "2026-11-20T10:00",
        "expires_at": "2026-11-20T12:00:00Z",
    }
    response = client.post(URL, data, format="json")
    assert response.status_code == 201, response.content
    rule = FilterRule.objects.get()
    assert rule.starts_at.isoformat() == "2026-11-20T09:00:00+00:00"
    assert rule.expires_at.isoformat() == "2026-11-20T12:00:00+00:00"


def test_other_users_rules_are_not_found_and_portal_rules_read_only(api, as_user):
    owner, other = UserFactory(), UserFactory()
    theirs = FilterRule.objects.create(user=owner, kind="port", port_from=25, reason="owner's secret rule")
    portal = FilterRule.objects.create(kind="network", network="198.18.0.0/15", reason="benchmark nets")
    assert api.get(URL).status_code == 401
    stranger = as_user(other)
    for method in ("get", "patch", "delete"):
        assert getattr(stranger, method)(f"{URL}{theirs.pk}/", {}, format="json").status_code == 404
    assert stranger.get(URL).json()["results"] == []
    assert stranger.get(f"{URL}{portal.pk}/").status_code == 404  # not editable as one's own
    assert stranger.delete(f"{URL}{portal.pk}/").status_code == 404
    listed = stranger.get("/api/v1/portal-rules/").json()["results"]
    assert listed == [{"id": portal.pk, "kind": "network", "reason": "benchmark nets", "caught": 0}]
    assert stranger.post("/api/v1/portal-rules/", {}, format="json").status_code == 405
    assert FilterRule.objects.count() == 2
