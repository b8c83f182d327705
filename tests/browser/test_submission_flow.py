from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Submission
from tests.browser.conftest import paste_log_and_wait, sign_in
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.processes import start_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_paste_a_log_watch_it_process_and_read_the_counts(page, live_server):
    user = UserFactory()
    recent = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    log = "".join(iptables_line(recent - timedelta(seconds=i), dpt=22 + i) for i in range(50))
    log += iptables_line(recent, src="10.0.0.8") + iptables_line(recent, src="300.1.1.1")

    worker = start_worker()
    try:
        sign_in(page, live_server.url, user)
        paste_log_and_wait(page, log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert page.inner_text("[data-count=accepted]") == "50"
    assert page.inner_text("[data-count=filtered]") == "1"
    assert page.inner_text("[data-count=rejected]") == "1"
    assert "invalid IPv4 address '300.1.1.1'" in page.inner_text("[data-testid=rejected]")
    assert Submission.objects.get(user=user).status == Submission.Status.DONE
