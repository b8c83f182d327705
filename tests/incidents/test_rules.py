from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import Event, FilteredDay, FilterRule, PortDay, SourceDay
from incidents.reevaluate import reevaluate_reporter
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db

SCANNER = "45.33.32.156"
OTHER = "45.33.32.200"


def kept_sources(user):
    return sorted({str(ip) for ip in SourceDay.objects.filter(reporter=user).values_list("source_ip", flat=True)})


def filtered_by(user, code):
    return sum(FilteredDay.objects.filter(reporter=user, reason=code).values_list("events", flat=True))


def changed_and_reevaluated(user, capture, action):
    """Do ``action``; check it queued one re-evaluation, then run it as the worker would."""
    with capture() as queued:
        response = action()
    assert len(queued) == 1
    reevaluate_reporter(user.pk)
    return response


def add_rule(client, user, capture, **data):
    response = changed_and_reevaluated(user, capture, lambda: client.post(reverse("rule-list"), data))
    assert response.status_code == 302, response.content
    return FilterRule.objects.latest("pk")


def test_adding_and_removing_a_network_rule_reevaluates_stored_events(
    client, submit, recent, django_capture_on_commit_callbacks
):
    user = UserFactory()
    submit(
        user,
        text=iptables_line(recent, src=SCANNER)
        + iptables_line(recent, src=SCANNER, dpt=23)
        + iptables_line(recent, src=OTHER),
    )
    port22 = PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=22).events
    client.force_login(user)

    rule = add_rule(client, user, django_capture_on_commit_callbacks, kind="network", network="45.33.32.128/25")
    assert kept_sources(user) == []  # both sources are inside the /25
    assert set(Event.objects.filter(reporter=user).values_list("filter_reason", flat=True)) == {rule.code}
    assert filtered_by(user, rule.code) == 3
    assert PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=22).events == port22 - 2
    assert client.get(reverse("rule-list")).context["own"][0].caught == 3
    assert client.get(reverse("home")).context["source_count"] == 0

    changed_and_reevaluated(
        user, django_capture_on_commit_callbacks, lambda: client.post(reverse("rule-delete", args=[rule.pk]))
    )
    assert kept_sources(user) == [SCANNER, OTHER]
    assert filtered_by(user, rule.code) == 0
    assert PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=22).events == port22
    assert client.get(reverse("home")).context["source_count"] == 2


def test_protocol_and_port_rule(client, submit, recent, django_capture_on_commit_callbacks):
    user = UserFactory()
    submit(user, text=iptables_line(recent, src=SCANNER, dpt=8080) + iptables_line(recent, src=OTHER, dpt=22))
    client.force_login(user)
    add_rule(
        client,
        user,
        django_capture_on_commit_callbacks,
        kind="protocol_port",
        protocol="tcp",
        port_from=8000,
        port_to=8999,
    )
    assert kept_sources(user) == [OTHER]


def test_rules_apply_at_ingestion_too(client, submit, recent, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    add_rule(client, user, django_capture_on_commit_callbacks, kind="port", port_from=23)
    sub = submit(user, text=iptables_line(recent, src=SCANNER, dpt=23) + iptables_line(recent, src=SCANNER, dpt=22))
    assert (sub.accepted, sub.filtered) == (1, 1)


def test_expiry_and_time_boxes(submit, recent):
    user = UserFactory()
    log = iptables_line(recent - timedelta(minutes=30), src=SCANNER) + iptables_line(recent, src=SCANNER, dpt=23)
    submit(user, text=log)
    FilterRule.objects.create(
        user=user,
        kind=FilterRule.Kind.REQUESTED_SCAN,
        network=f"{SCANNER}/32",
        starts_at=recent - timedelta(hours=1),
        expires_at=recent,  # exclusive: the event at `recent` is after the scan window
        reason="my scan",
    )
    reevaluate_reporter(user.pk)
    reasons = dict(Event.objects.filter(reporter=user).values_list("target_port", "filter_reason"))
    assert reasons[22].startswith("rule:") and reasons[23] == ""


def test_portal_rules_apply_to_everyone(submit, recent):
    a, b = UserFactory(), UserFactory()
    submit(a, text=iptables_line(recent, src=SCANNER))
    submit(b, text=iptables_line(recent, src=SCANNER, dpt=23))
    FilterRule.objects.create(kind=FilterRule.Kind.NETWORK, network=f"{SCANNER}/32", reason="research scanner")
    from incidents.tasks import reevaluate_filters

    reevaluate_filters(None)
    assert kept_sources(a) == kept_sources(b) == []


def test_rule_form_needs_what_the_kind_needs(client):
    client.force_login(UserFactory())
    response = client.post(reverse("rule-list"), {"kind": "protocol_port", "port_from": 22})
    assert response.status_code == 400
    assert not FilterRule.objects.exists()
    response = client.post(reverse("rule-list"), {"kind": "network", "network": "not a network"})
    assert response.status_code == 400


def test_rules_are_private(client):
    owner, other = UserFactory(), UserFactory()
    rule = FilterRule.objects.create(user=owner, kind="network", network="45.33.32.0/24", reason="owner's rule")
    client.force_login(other)
    assert client.post(reverse("rule-delete", args=[rule.pk])).status_code == 404
    assert b"owner&#x27;s rule" not in client.get(reverse("rule-list")).content
    assert FilterRule.objects.filter(pk=rule.pk).exists()


def test_filtered_view_lists_reasons_and_counts(client, submit, recent):
    user = UserFactory()
    submit(user, text=iptables_line(recent, src="192.168.1.7") * 1 + iptables_line(recent, src="10.1.1.1", dpt=23))
    client.force_login(user)
    response = client.get(reverse("report-filtered"))
    assert [(code, events) for code, _, events in response.context["summary"]] == [("reserved", 2)]
    assert len(response.context["recent"]) == 2


def test_a_rule_without_a_reason_is_described_from_itself(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    add_rule(client, user, django_capture_on_commit_callbacks, kind="network", network="45.33.32.128/25", reason="")
    assert FilterRule.objects.get(user=user).reason == "my rule: source 45.33.32.128/25"
