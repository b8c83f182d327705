import io
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.mailservers import dovecot_service, imap_server, smtp_mail_settings, smtp_server  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def _collected_static(django_test_environment):
    """Pages use the production static storage (hashed names from a manifest),
    so tests collect static files first, as a deployment does."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the cache (Redis in CI): start each test clean."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
def recent():
    """A whole-second UTC time an hour ago: inside every acceptance window."""
    return (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def submit():
    """Store a log as an upload would and (by default) ingest it at once."""
    from incidents.ingest import ingest_submission
    from incidents.models import Submission
    from incidents.services import submission_create

    def _submit(user, text=None, data=None, name="test.log", fmt="", tz="UTC", run=True):
        sub = submission_create(
            user=user,
            channel=Submission.Channel.WEB,
            text=text,
            fileobj=io.BytesIO(data) if data is not None else None,
            name=name,
            declared_format=fmt,
            timezone=tz,
        )
        if run:
            ingest_submission(sub.pk)
            sub.refresh_from_db()
        return sub

    return _submit


@pytest.fixture
def reported(submit):
    """Three independent reporters who count saw WORM yesterday (UTC) on port
    22, one also NEIGHBOUR on 3389, each at their own address; sent in as
    real logs."""
    from incidents import port_counts
    from reports import public
    from tests.factories import UserFactory
    from tests.incidents.conftest import iptables_line
    from tests.public_rows import NEIGHBOUR, TARGETS, WORM
    from tests.trust_helpers import vouch

    noon = datetime.combine(public.last_whole_day(), time(12), tzinfo=UTC)
    users = vouch(*(UserFactory(email=f"private-reporter-{n}@example.net") for n in range(3)))
    for n, (user, target) in enumerate(zip(users, TARGETS, strict=True)):
        log = iptables_line(noon + timedelta(minutes=n), src=WORM, dst=target)
        if n == 0:
            log += iptables_line(noon, src=NEIGHBOUR, dst=target, dpt=3389)
        submit(user, text=log)
    port_counts.refresh()
    return list(users)
