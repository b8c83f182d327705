from datetime import UTC, datetime, time, timedelta

import pytest

from incidents import port_counts
from reports import public
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.trust_helpers import vouch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORM = "45.33.32.156"
NEIGHBOUR = "45.33.32.9"
TARGET = "198.51.100.23"


def test_visitor_looks_up_an_address_its_network_and_a_port(page, live_server, submit):
    noon = datetime.combine(public.last_whole_day(), time(12), tzinfo=UTC)
    for n in range(3):
        log = iptables_line(noon + timedelta(minutes=n), src=WORM, dst=TARGET)
        if n == 0:
            log += iptables_line(noon, src=NEIGHBOUR, dst=TARGET, dpt=3389)
        submit(*vouch(UserFactory()), text=log)
    port_counts.refresh()
    base = live_server.url

    page.goto(f"{base}/")
    assert page.inner_text(f"[data-testid=top-sources] tr[data-source='{WORM}'] td:nth-child(2)") == "3"
    assert "tcp/22" in page.inner_text("[data-testid=top-ports]")

    page.fill("[data-testid=search-form] input[name=q]", f" {WORM} ")
    page.click("[data-testid=search-form] button[type=submit]")
    page.wait_for_url(f"{base}/ip/{WORM}/")
    assert page.inner_text("[data-testid=reporters]") == "3"
    assert page.inner_text("[data-testid=blocklist]") == "not on the block list"

    page.click("[data-testid=subnet-link]")
    page.wait_for_url(f"{base}/subnet/45.33.32.0/24/")
    assert page.inner_text("[data-testid=address-count]") == "1"  # NEIGHBOUR: one reporter, not listed
    assert page.locator(f"tr[data-source='{NEIGHBOUR}']").count() == 0

    page.click(f"tr[data-source='{WORM}'] a")
    page.wait_for_url(f"{base}/ip/{WORM}/")
    page.click("[data-testid=ports] a:text('tcp/22')")
    page.wait_for_url(f"{base}/port/tcp/22/")
    assert page.inner_text("[data-testid=port]") == "tcp/22"
    bars = page.locator("[data-testid=events-chart] rect")
    assert bars.count() == 30
    heights = [float(bars.nth(i).get_attribute("height")) for i in range(30)]
    assert heights[-2] > 0 and sum(1 for h in heights if h > 0) == 1  # yesterday's bar, and only it

    page.goto(f"{base}/ip/{NEIGHBOUR}/")
    assert "Seen by fewer than 3 independent reporters" in page.inner_text("[data-testid=withheld]")
    assert page.locator("[data-testid=ports]").count() == 0

    # The nav's search box, from any page; something it cannot look up is explained.
    page.fill("[data-testid=nav-search]", "not a thing")
    page.press("[data-testid=nav-search]", "Enter")
    page.wait_for_url(f"{base}/search/?q=not+a+thing")
    assert "Nothing to look up for “not a thing”" in page.inner_text("[data-testid=search-message]")
    assert TARGET not in page.content()


def test_a_network_owner_reads_why_it_is_listed_and_asks_for_a_review(page, live_server, submit, settings, tmp_path):
    from reports import blocklist

    settings.VAR_DIR = tmp_path  # the signing key is made here
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    noon = datetime.combine(public.last_whole_day(), time(12), tzinfo=UTC)
    for n in range(3):
        submit(*vouch(UserFactory()), text=iptables_line(noon + timedelta(minutes=n), src=WORM, dst=TARGET))
    blocklist.build()
    base = live_server.url

    page.goto(f"{base}/ip/{WORM}/")
    listing = page.locator("[data-testid=listing]")
    assert listing.get_attribute("data-status") == "listed"
    assert "3 independent reporters" in listing.inner_text()
    assert "independent reporters" in page.inner_text("[data-testid=listing-rule]")
    page.click("[data-testid=appeal]")
    page.wait_for_url(f"{base}/blocklist/review/45.33.32.0/")
    page.fill("input[name=email]", "noc@linode.example")
    page.fill("textarea[name=message]", "A customer's honeypot; we have asked them to stop.")
    page.click("[data-testid=review-form] button[type=submit]")
    page.wait_for_url(f"{base}/blocklist/review/status/**")
    assert page.inner_text("[data-testid=review-status]") == "Waiting for an admin"
    assert "noc@linode.example" not in page.content()
