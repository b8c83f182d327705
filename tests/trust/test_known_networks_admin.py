"""The admin's known networks: admins add and edit their own; the rows a
refresh replaces are read-only there."""

import pytest
from django.urls import reverse

from incidents.trust.models import KnownNetwork
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Kind, Origin = KnownNetwork.Kind, KnownNetwork.Origin
ADD = reverse("admin:trust_knownnetwork_add")
LIST = reverse("admin:trust_knownnetwork_changelist")


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def packaged():
    return KnownNetwork.objects.create(
        network="192.0.2.53", kind=Kind.NEVER_LIST, name="Test resolver", origin=Origin.PACKAGE, source="a list"
    )


def change_url(row):
    return reverse("admin:trust_knownnetwork_change", args=[row.pk])


def test_an_admin_adds_a_network_of_their_own(staff):
    form = {"network": "198.51.100.0/24", "kind": Kind.SCANNER, "name": "A university's scanner", "source": "ticket 7"}
    assert staff.post(ADD, form).status_code == 302
    row = KnownNetwork.objects.get(name="A university's scanner")
    assert (str(row.network), row.kind, row.origin) == ("198.51.100.0/24", Kind.SCANNER, Origin.ADMIN)

    again = staff.post(ADD, form)
    assert again.status_code == 200
    assert "An admin already added this network" in again.content.decode()
    assert KnownNetwork.objects.filter(name="A university's scanner").count() == 1

    form["name"] = "Renamed"
    assert staff.post(change_url(row), form).status_code == 302
    row.refresh_from_db()
    assert row.name == "Renamed"


def test_package_rows_are_read_only(staff, packaged):
    page = staff.get(change_url(packaged))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    form = {"network": "192.0.2.53", "kind": Kind.SCANNER, "name": "Changed", "source": "a list"}
    assert staff.post(change_url(packaged), form).status_code == 403
    delete = reverse("admin:trust_knownnetwork_delete", args=[packaged.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [packaged.pk], "post": "yes"}
    staff.post(LIST, bulk)
    packaged.refresh_from_db()
    assert (packaged.kind, packaged.name) == (Kind.NEVER_LIST, "Test resolver")


def test_search_by_address_finds_the_networks_around_it(staff, packaged):
    KnownNetwork.objects.create(network="192.0.2.0/24", kind=Kind.SCANNER, name="Test scanner", origin=Origin.ADMIN)
    found = staff.get(LIST, {"q": "192.0.2.0/25"}).content.decode()
    assert "Test resolver" in found and "Test scanner" in found
    by_name = staff.get(LIST, {"q": "scanner"}).content.decode()
    assert "Test scanner" in by_name and "Test resolver" not in by_name
    assert "Test resolver" not in staff.get(LIST, {"q": "192.0.2.128/25"}).content.decode()
