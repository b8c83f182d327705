"""Rate limits: sign-up and password reset (django-allauth), uploads and
pastes (portal.ratelimit), each counted in the real cache (Redis in CI)."""

import pytest
from django.core import mail
from django.urls import reverse

from incidents.models import Submission
from portal import ratelimit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def paste(client, n: int):
    return client.post(reverse("submission-new"), {"text": f"line {n}\n", "format": "", "timezone": "UTC"})


def test_uploads_and_pastes_are_limited_per_user_with_a_clear_429(client, settings):
    settings.RATE_SUBMISSION = "3/h"  # hour-long windows: a test never straddles a window's end
    user = UserFactory()
    client.force_login(user)
    assert [paste(client, n).status_code for n in range(3)] == [302, 302, 302]
    response = paste(client, 4)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert b"Too many requests" in response.content
    assert b"try again in" in response.content
    assert Submission.objects.filter(user=user).count() == 3


def test_the_limit_is_per_user_and_reading_the_form_is_free(client, settings):
    settings.RATE_SUBMISSION = "2/h"
    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    for n in range(2):
        paste(client, n)
    assert paste(client, 3).status_code == 429
    assert client.get(reverse("submission-new")).status_code == 200
    client.force_login(second)
    assert paste(client, 1).status_code == 302


def test_every_listed_rate_applies():
    assert ratelimit.parse("10/m, 100/h,5/10m") == [
        ratelimit.Rate(10, 60),
        ratelimit.Rate(100, 3600),
        ratelimit.Rate(5, 600),
    ]
    with pytest.raises(ValueError, match="not a rate"):
        ratelimit.parse("ten a minute")
    assert [ratelimit.hit("test", "who", "100/d,2/h") for _ in range(2)] == [0, 0]
    assert 0 < ratelimit.hit("test", "who", "100/d,2/h") <= 3600


def test_sign_up_is_limited_per_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/m/ip"}
    statuses = []
    for n in range(4):
        client.logout()
        data = {"email": f"new{n}@example.net", "password1": "long-enough-pass-42", "password2": "long-enough-pass-42"}
        statuses.append(client.post(reverse("account_signup"), data).status_code)
    assert statuses == [302, 302, 302, 429]


def test_password_reset_is_limited_per_address_and_account(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "20/m/ip,2/m/key"}
    user = UserFactory()
    for _ in range(4):
        client.post(reverse("account_reset_password"), {"email": user.email})
    # The third and fourth request for the same account send nothing more.
    assert len(mail.outbox) == 2
