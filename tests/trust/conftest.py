from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.models import SourceDay, Submission
from incidents.trust.standings import standings_refresh
from tests.factories import UserFactory
from tests.rollup_rows import seen


@pytest.fixture(autouse=True)
def blocklist_key(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.BLOCKLIST_SIGNING_KEY_FILE = ""
    # The tests' submitting addresses are invented: grouping by their real
    # autonomous systems is test_standings.py's subject alone.
    settings.TRUST_GROUP_BY_ASN = False


def dshield_lines(day, sources, ports, targets, count=2**31 - 2) -> str:
    """Invented DShield lines: every source on every port against every target, at noon of ``day``."""
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    return "".join(
        f"{noon + timedelta(seconds=n):%Y-%m-%d %H:%M:%S} +00:00\t0\t{count}\t{src}\t40000\t{dst}\t{port}\t6\tS\n"
        for n, (src, port, dst) in enumerate((s, p, t) for s in sources for p in ports for t in targets)
    )


@pytest.fixture
def seasoned(db):
    """A reporter past probation: verified, old enough, with accepted logs on
    enough days, submitting from ``address`` (its own /24 by default)."""

    def _seasoned(n: int, address: str | None = None, days_old: int = 60):
        user = UserFactory(email=f"seasoned{n}@example.net")
        type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days_old))
        for d in range(3):
            sub = Submission.objects.create(
                user=user,
                status=Submission.Status.DONE,
                accepted=10,
                lines=10,
                client_ip=address or f"81.{n}.{d}.7",
            )
            Submission.objects.filter(pk=sub.pk).update(created_at=timezone.now() - timedelta(days=10 + d))
        user.refresh_from_db()
        return user

    return _seasoned


BACKGROUND = [f"{60 + i}.{i}.3.4" for i in range(40)]  # forty public /16s


def background(reporter, day, sources=BACKGROUND, port=22):
    """What a real firewall sees: sources that others see too."""
    SourceDay.objects.bulk_create(seen(day, s, reporter.pk, port, hour=9) for s in sources)


@pytest.fixture
def refresh():
    return standings_refresh
