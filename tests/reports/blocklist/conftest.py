from datetime import UTC, date, datetime, timedelta

import pytest

from incidents.models import SourceDay
from portal.models import User
from tests.trust_helpers import vouch

# The list of 20 November counts 17, 18 and 19 November.
DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    """The embedded default: no key configured, so one is generated under VAR_DIR."""
    settings.VAR_DIR = tmp_path
    settings.BLOCKLIST_SIGNING_KEY_FILE = ""
    return tmp_path


@pytest.fixture(autouse=True)
def one_reporter_lists(settings):
    """These tests are about the list's mechanics (window, ranking, files):
    one independent reporter is enough and nothing waits for review. What
    it takes to be listed is tests/trust/test_blocklist_trust.py's subject."""
    settings.TRUST_MIN_NETWORKS = 1
    settings.TRUST_REVIEW_NEW_LISTINGS = False


@pytest.fixture
def reporters(db):
    # No passwords: hashing six of them would be most of a test's time.
    return vouch(*(User.objects.create(email=f"reporter{i}@example.net") for i in range(6)))


@pytest.fixture
def seen(reporters):
    """A rollup row as ingestion writes it: reporter ``reporter`` saw ``src``
    on ``day`` hit ``targets`` (its own addresses, the same numbers for every
    reporter, as behind everyone's NAT) with ``events`` events."""

    def _seen(src, day=DAY - timedelta(days=1), reporter=0, targets=("192.168.1.10",), events=1, port=22):
        start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        return SourceDay.objects.create(
            day=day,
            source_ip=src,
            reporter=reporters[reporter],
            protocol="tcp",
            target_port=port,
            events=events,
            target_ips=list(targets),
            first_seen=start,
            last_seen=start + timedelta(minutes=5),
        )

    return _seen


def hosts(n: int, net: str = "192.168.1") -> list[str]:
    return [f"{net}.{i}" for i in range(1, n + 1)]
