import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_sign_in_and_out(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user
    client.post(reverse("account_logout"))
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_wrong_password_is_refused(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    # Even the right password is now refused for this account until the window passes.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content or response.status_code == 429


def test_password_reset_by_mail(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "a-brand-new-pass-77", "password2": "a-brand-new-pass-77"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-pass-77")


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-good-pass-55", "password2": "another-good-pass-55"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-good-pass-55")
