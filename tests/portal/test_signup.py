import re

import pytest
from django.core import mail
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "alice@example.net", "password1": "long-enough-pass-42", "password2": "long-enough-pass-42"}


def confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_signup_sends_verification_and_blocks_sign_in_until_verified(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="alice@example.net")
    assert not user.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.net"]

    client.logout()
    response = client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_following_the_mailed_link_verifies_and_signs_in(client):
    client.post(reverse("account_signup"), SIGNUP)
    link = confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert User.objects.get(email="alice@example.net").emailaddress_set.get().verified
    assert client.get(reverse("profile")).status_code == 200


def test_signup_refuses_weak_password_and_duplicate_email(client):
    weak = {**SIGNUP, "password1": "123", "password2": "123"}
    response = client.post(reverse("account_signup"), weak)
    assert response.status_code == 200
    assert not User.objects.exists()

    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    again = {**SIGNUP, "email": "ALICE@example.net"}
    client.post(reverse("account_signup"), again)
    assert User.objects.filter(email__iexact="alice@example.net").count() == 1
