import pytest
from django.urls import reverse

from portal.models import IspServer, OwnedNetwork, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_requires_sign_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_new_user_defaults_forwarding_off_and_digest_off():
    user = UserFactory()
    assert user.forwarding_opt_in is False
    assert user.digest == User.Digest.OFF
    assert user.timezone == "UTC"


def test_edit_settings(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("profile"), {"timezone": "Europe/Berlin", "forwarding_opt_in": "on", "digest": "weekly"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.timezone, user.forwarding_opt_in, user.digest) == ("Europe/Berlin", True, "weekly")


def test_unknown_time_zone_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"timezone": "Mars/Olympus", "digest": "off"})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.timezone == "UTC"


def test_profile_explains_forwarding(client):
    client.force_login(UserFactory())
    assert b"abuse desk" in client.get(reverse("profile")).content


def test_times_are_shown_in_the_users_zone(client):
    user = UserFactory(timezone="Asia/Tokyo")
    client.force_login(user)
    response = client.get(reverse("profile"))
    assert b"Times are shown in Asia/Tokyo" in response.content


def test_add_and_remove_network(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("network-add"), {"cidr": "203.0.113.7/28", "note": "office"})
    assert response.status_code == 302
    network = OwnedNetwork.objects.get(user=user)
    assert str(network.cidr) == "203.0.113.0/28"
    client.post(reverse("network-delete", args=[network.pk]))
    assert not OwnedNetwork.objects.exists()


@pytest.mark.parametrize("bad", ["not a network", "300.1.1.0/24", "10.0.0.0/33"])
def test_invalid_network_is_refused_with_a_message(client, bad):
    client.force_login(UserFactory())
    response = client.post(reverse("network-add"), {"cidr": bad})
    assert response.status_code == 400
    assert b"Enter a network such as" in response.content
    assert not OwnedNetwork.objects.exists()


def test_duplicate_network_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("network-add"), {"cidr": "2001:db8:1::/48"})
    response = client.post(reverse("network-add"), {"cidr": "2001:db8:1::/48"})
    assert response.status_code == 400
    assert OwnedNetwork.objects.count() == 1


def test_isp_servers(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("isp-server-add"), {"kind": "dns", "address": "198.51.100.53"})
    client.post(reverse("isp-server-add"), {"kind": "dhcp", "address": "198.51.100.1"})
    assert sorted((s.kind, str(s.address)) for s in user.isp_servers.all()) == [
        ("dhcp", "198.51.100.1"),
        ("dns", "198.51.100.53"),
    ]
    server = user.isp_servers.get(kind="dns")
    client.post(reverse("isp-server-delete", args=[server.pk]))
    assert list(user.isp_servers.values_list("kind", flat=True)) == ["dhcp"]


def test_networks_are_private_to_their_owner(client):
    owner, other = UserFactory(), UserFactory()
    network = OwnedNetwork.objects.create(user=owner, cidr="192.0.2.0/24")
    server = IspServer.objects.create(user=owner, kind="dns", address="192.0.2.53")
    client.force_login(other)
    page = client.get(reverse("profile")).content
    assert b"192.0.2.0/24" not in page and b"192.0.2.53" not in page
    assert client.post(reverse("network-delete", args=[network.pk])).status_code == 404
    assert client.post(reverse("isp-server-delete", args=[server.pk])).status_code == 404
    assert OwnedNetwork.objects.filter(pk=network.pk).exists()
    assert IspServer.objects.filter(pk=server.pk).exists()


def test_deleting_needs_post(client):
    user = UserFactory()
    network = OwnedNetwork.objects.create(user=user, cidr="192.0.2.0/24")
    client.force_login(user)
    assert client.get(reverse("network-delete", args=[network.pk])).status_code == 405


def test_profile_shows_the_users_own_submission_address(client, settings):
    settings.MAIL_SUBMIT_ADDRESS = "submit@portal.example.org"
    user, other = UserFactory(), UserFactory()
    client.force_login(user)
    page = client.get(reverse("profile")).content.decode()
    assert f"submit+{user.submit_token}@portal.example.org" in page
    assert other.submit_token not in page


def test_mail_confirmations_can_be_turned_off(client):
    user = UserFactory()
    assert user.mail_confirmations is True
    client.force_login(user)
    client.post(reverse("profile"), {"timezone": "UTC", "digest": "off"})
    user.refresh_from_db()
    assert user.mail_confirmations is False
