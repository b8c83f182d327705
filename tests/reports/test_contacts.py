import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from reports import contacts, rdap
from reports.models import NetworkContact
from reports.tasks import resolve_contact, sources_needing_contacts
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db
RECORDED = Path(__file__).parent / "rdap"
LINODE = "45.33.32.156"


def recorded(ip):
    return json.loads((RECORDED / f"{ip}.json").read_text())


@pytest.fixture
def registry(monkeypatch):
    """RDAP answers from recordings; counts the questions asked."""
    asked = []

    def lookup(ip):
        asked.append(ip)
        return recorded(ip)

    monkeypatch.setattr(rdap, "lookup", lookup)
    return asked


@pytest.fixture
def registry_down(monkeypatch):
    def lookup(ip):
        raise rdap.LookupFailed("HTTPLookupError: timed out")

    monkeypatch.setattr(rdap, "lookup", lookup)


def test_recorded_answer_is_parsed_into_owner_country_and_abuse_address():
    info = rdap.parse(recorded(LINODE))
    assert (info.cidr, info.asn, info.organisation, info.country) == ("45.33.0.0/17", 63949, "LINODE", "US")
    assert info.abuse_emails == ["abuse@linode.com"]


def test_technical_contacts_stand_in_when_no_abuse_role_is_given():
    answer = recorded(LINODE)
    del answer["objects"]["LAS85-ARIN"]
    assert rdap.parse(answer).abuse_emails == ["support@linode.com"]


def test_longest_admin_netblock_wins_and_rdap_is_not_asked(registry):
    NetworkContact.objects.create(netblock="45.33.0.0/16", organisation="broad", abuse_emails=["a@example.net"])
    NetworkContact.objects.create(netblock="45.33.32.0/24", organisation="narrow", abuse_emails=["b@example.net"])
    assert contacts.resolve(LINODE).organisation == "narrow"
    assert registry == []


def test_rdap_answer_is_cached_with_a_refresh_date(registry):
    contact = contacts.resolve(LINODE)
    assert (contact.source, str(contact.netblock), contact.abuse_emails) == (
        "rdap",
        "45.33.0.0/17",
        ["abuse@linode.com"],
    )
    assert contact.refresh_after - timezone.now() > timedelta(days=contacts.RDAP_FRESH_DAYS - 1)
    assert contacts.resolve("45.33.99.1") == contact  # same network, from the cache
    assert registry == [LINODE]


def test_stale_rdap_answer_is_asked_again(registry):
    contacts.resolve(LINODE)
    NetworkContact.objects.update(refresh_after=timezone.now() - timedelta(seconds=1))
    contacts.resolve(LINODE)
    assert registry == [LINODE, LINODE]
    assert NetworkContact.objects.count() == 1


def test_admin_contact_for_the_asn_beats_the_rdap_answer(registry):
    NetworkContact.objects.create(asn=63949, organisation="Linode by arrangement", abuse_emails=["noc@example.net"])
    assert contacts.resolve(LINODE).organisation == "Linode by arrangement"


def test_failed_lookup_stores_nothing_and_the_task_retries(registry_down):
    with pytest.raises(rdap.LookupFailed):
        contacts.resolve(LINODE)
    assert not NetworkContact.objects.exists()
    assert rdap.LookupFailed in resolve_contact.autoretry_for


def test_private_space_is_never_looked_up(monkeypatch):
    def lookup(ip):
        raise rdap.NotRoutable("private")

    monkeypatch.setattr(rdap, "lookup", lookup)
    assert contacts.resolve("10.1.2.3") is None


def test_sweep_picks_sources_without_a_known_network(submit, recent, registry):
    user = UserFactory()
    submit(user, text=iptables_line(recent, src=LINODE) + iptables_line(recent, src="45.79.1.1"))
    NetworkContact.objects.create(netblock="45.79.0.0/16", organisation="known", abuse_emails=["x@example.net"])
    assert sources_needing_contacts() == [LINODE]
    contacts.resolve(LINODE)
    assert sources_needing_contacts() == []


def test_admin_finds_contacts_by_address_and_asn(admin_client):
    NetworkContact.objects.create(netblock="45.33.0.0/17", asn=63949, organisation="LINODE")
    NetworkContact.objects.create(netblock="198.51.100.0/24", organisation="Other")
    by_ip = admin_client.get("/admin/reports/networkcontact/", {"q": LINODE})
    assert [c.organisation for c in by_ip.context["cl"].result_list] == ["LINODE"]
    by_asn = admin_client.get("/admin/reports/networkcontact/", {"q": "AS63949"})
    assert [c.organisation for c in by_asn.context["cl"].result_list] == ["LINODE"]
