import re

import pytest

from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def read_mail_files(folder) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.iterdir()))


def test_sign_up_verify_by_mail_file_sign_in_and_edit_profile(page, live_server, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", "browser@example.net")
    page.fill("input[name=password1]", "browser-pass-2026!")
    page.fill("input[name=password2]", "browser-pass-2026!")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", read_mail_files(tmp_path)).group(1)
    page.goto(base + link)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")

    # Sign out, then in again with the verified address.
    page.click("text=Sign out")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "browser@example.net")
    page.fill("input[name=password]", "browser-pass-2026!")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.get_by_test_id("nav-profile").inner_text() == "browser@example.net"

    page.get_by_test_id("nav-profile").click()
    page.select_option("select[name=timezone]", "Europe/Vienna")
    page.check("input[name=forwarding_opt_in]")
    page.select_option("select[name=digest]", "daily")
    page.click("text=Save settings")
    page.wait_for_selector("text=Your settings are saved.")
    page.fill("input[name=cidr]", "198.51.100.0/24")
    page.click("text=Add network")
    page.wait_for_selector("text=198.51.100.0/24")

    user = User.objects.get(email="browser@example.net")
    assert (user.timezone, user.forwarding_opt_in, user.digest) == ("Europe/Vienna", True, "daily")
    assert [str(n.cidr) for n in user.networks.all()] == ["198.51.100.0/24"]
