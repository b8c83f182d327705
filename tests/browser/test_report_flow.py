from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import paste_log_and_wait, sign_in
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.processes import start_worker, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOISY = "45.33.32.156"
QUIET = "45.33.32.157"


def test_upload_read_the_report_add_a_rule_and_see_it_change(page, live_server):
    user = UserFactory()
    recent = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    log = "".join(iptables_line(recent - timedelta(seconds=i), src=NOISY, spt=1000 + i) for i in range(5))
    log += iptables_line(recent, src=QUIET, dpt=3389)
    base = live_server.url

    worker = start_worker()
    try:
        sign_in(page, base, user)
        paste_log_and_wait(page, log)

        page.click("text=My report")
        assert page.inner_text("[data-testid=source-count]") == "2"
        assert page.inner_text(f"tr[data-source='{NOISY}'] [data-col=label]") == "seen only by you"

        page.click("text=Rules")
        page.select_option("select[name=kind]", "network")
        page.fill("input[name=network]", f"{NOISY}/32")
        page.fill("input[name=reason]", "my own test scanner")
        page.click("input[type=submit][value='Add rule']")
        page.wait_for_selector("text=my own test scanner")

        def report_changed():
            page.goto(f"{base}/")
            return page.inner_text("[data-testid=source-count]") == "1"

        wait_for(report_changed, timeout=60, process=worker, step=0.5)
        assert page.locator(f"tr[data-source='{NOISY}']").count() == 0
        assert page.locator(f"tr[data-source='{QUIET}']").count() == 1

        page.click("text=Filtered")
        assert "my own test scanner" in page.inner_text("[data-testid=filtered-summary]")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
