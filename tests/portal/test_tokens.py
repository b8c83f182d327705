import pytest
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from portal.authentication import ApiTokenAuthentication
from portal.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def authenticate(key):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    return ApiTokenAuthentication().authenticate(request)


def test_create_shows_the_key_once_and_stores_only_its_hash(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("token-create"), {"name": "router cron"})
    key = client.get(reverse("profile")).context["new_token_key"]
    assert key and len(key) >= 40
    token = ApiToken.objects.get(user=user)
    assert token.name == "router cron"
    assert token.digest == ApiToken.hash(key) != key
    assert not ApiToken.objects.filter(digest=key).exists()
    # Second visit: the key is gone for good.
    assert client.get(reverse("profile")).context["new_token_key"] is None


def test_token_authenticates_its_owner_until_revoked(client):
    user = UserFactory()
    token, key = ApiToken.issue(user, "script")
    assert authenticate(key)[0] == user
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.force_login(user)
    client.post(reverse("token-revoke", args=[token.pk]))
    with pytest.raises(AuthenticationFailed):
        authenticate(key)


def test_unknown_key_fails():
    UserFactory()
    with pytest.raises(AuthenticationFailed):
        authenticate("not-a-key")


def test_inactive_user_token_fails():
    user = UserFactory()
    _, key = ApiToken.issue(user, "script")
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed):
        authenticate(key)


def test_other_users_cannot_revoke_or_see_tokens(client):
    owner, other = UserFactory(), UserFactory()
    token, _ = ApiToken.issue(owner, "owner's secret script")
    client.force_login(other)
    assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active
    assert b"owner&#x27;s secret script" not in client.get(reverse("profile")).content


def test_token_needs_a_name(client):
    client.force_login(UserFactory())
    response = client.post(reverse("token-create"), {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
