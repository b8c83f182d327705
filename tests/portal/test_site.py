import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_welcome_page_for_visitors(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Sign up" in response.content


def test_unknown_page_uses_the_site_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"There is nothing here" in response.content


def test_admin_console_is_for_staff_only(client):
    client.force_login(UserFactory())
    assert client.get("/admin/").status_code == 302
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Incident Portal admin" in response.content


def test_navigation_shows_admin_link_only_to_staff(client):
    client.force_login(UserFactory())
    assert b"Admin console" not in client.get(reverse("home")).content
    client.force_login(UserFactory(is_staff=True))
    assert b"Admin console" in client.get(reverse("home")).content


def test_deploy_check_is_clean_under_production_settings():
    inherited = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env = {
        **inherited,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.org",
        "SITE_URL": "https://portal.example.org",
        "SECURE_HSTS_SECONDS": "31536000",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
