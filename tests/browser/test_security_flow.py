"""In a real Chromium: the content security policy holds on the main pages
(the admin's too) with no violation, markup in users' data never runs, and a
user exports their data and deletes their account."""

import csv
import io
import re
import zipfile

import pytest

from incidents.models import Event, Submission
from portal.models import User
from reports.models import AbuseReport, NetworkContact
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.xss import plant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script: records every CSP violation the page reports.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


class Watch:
    def __init__(self, page):
        self.page, self.dialogs, self.console = page, [], []
        page.add_init_script(WATCH_CSP)
        page.on("dialog", self._dialog)
        page.on("console", lambda msg: self.console.append(msg.text))

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str, expect_status=200):
        response = self.page.goto(url)
        assert response.status == expect_status, url
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__csp")
        assert violations == [], f"{url}: {violations}"
        assert self.page.evaluate("window.__xss") is None, f"{url}: injected script ran"

    def assert_clean(self):
        assert self.dialogs == [], f"a script in users' data ran: {self.dialogs}"
        reported = [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]
        assert reported == []


def test_main_pages_hold_the_csp_and_markup_never_runs(page, live_server, submit, recent):
    base = live_server.url
    user = UserFactory()
    submission = plant(user, submit, recent)
    running = Submission.objects.create(user=user, name="still queued", raw_size=100)  # its page polls by script
    contact = NetworkContact.objects.create(asn=64520, organisation="Example Net", abuse_emails=["a@example.org"])
    report = AbuseReport.objects.create(
        source_ip="203.0.113.5", contact=contact, state=AbuseReport.State.SENT, sent_at=recent
    )
    watch = Watch(page)

    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", f"/r/{report.token}/"):
        watch.visit(base + path)
    sign_in(page, base, user)
    page.wait_for_url(f"{base}/")
    for path in (
        "/",
        "/submissions/new/",
        "/submissions/",
        f"/submissions/{submission.pk}/",
        "/profile/",
        "/rules/",
        "/report/ports/",
        "/report/filtered/",
        "/report/sources/203.0.113.5/",
        "/profile/delete/",
    ):
        watch.visit(base + path)
    watch.visit(f"{base}/submissions/{running.pk}/")
    # progress.js (a static file) ran: it fetched the progress and wrote it into the page.
    page.wait_for_function("document.getElementById('progress-bar').textContent.endsWith('%')")
    watch.assert_clean()

    page.context.clear_cookies()
    staff = UserFactory(is_staff=True, is_superuser=True)
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    for path in (
        "/admin/",
        "/admin/incidents/submission/",
        f"/admin/incidents/submission/{submission.pk}/change/",
        "/admin/incidents/inboundmail/",
        "/admin/portal/apitoken/",
        "/admin/incidents/filterrule/",
        "/admin/portal/user/",
        f"/admin/portal/user/{user.pk}/change/",
        "/admin/reports/abusereport/",
        "/admin/reports/abusereport/preview/",
    ):
        watch.visit(base + path)
    # The admin's own scripts work under the policy: the changelist's select-all box ticks every row.
    watch.visit(f"{base}/admin/incidents/submission/")
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() == Submission.objects.count()
    watch.assert_clean()


def test_export_my_data_then_delete_my_account(page, live_server, submit, recent, tmp_path):
    from tests.incidents.conftest import iptables_line

    base = live_server.url
    user = UserFactory()
    submit(user, text=iptables_line(recent) + iptables_line(recent, dpt=23), name="fw.log")
    sign_in(page, base, user)
    page.wait_for_url(f"{base}/")
    page.get_by_test_id("nav-profile").click()

    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    path = tmp_path / "export.zip"
    info.value.save_as(path)
    archive = zipfile.ZipFile(path)
    events = list(csv.reader(io.TextIOWrapper(archive.open("events.csv"), "utf-8")))
    assert len(events) == 3
    assert "fw.log" in archive.read("submissions.csv").decode()

    page.get_by_test_id("delete-account").click()
    page.fill("input[name=password]", "wrong-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=That is not your password.")
    assert User.objects.filter(pk=user.pk).exists()
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Your account is deleted")
    assert re.fullmatch(f"{base}/", page.url)
    assert page.locator("text=Sign in").count() >= 1
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Event.objects.filter(reporter_id=user.pk).exists()
