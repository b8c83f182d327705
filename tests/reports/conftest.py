import pytest

from reports.models import NetworkContact, SuspiciousPort
from tests.factories import UserFactory

SOURCE = "45.33.32.156"


def dshield_line(when, src, count=1, dst="198.51.100.7", dpt=22) -> str:
    """One line of the DShield format, which carries a count of attempts."""
    return f"{when:%Y-%m-%d %H:%M:%S} +00:00\t0\t{count}\t{src}\t51234\t{dst}\t{dpt}\t6\tS\n"


@pytest.fixture
def linode(db):
    return NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", abuse_emails=["abuse@linode.example"]
    )


@pytest.fixture
def sightings(submit, recent):
    """New accounts (the first ``opted`` opted in, none counting yet) each
    send one line about ``src``, one per attempt ``counts``, to a target of
    their own; returns the accounts."""

    def _seen(counts=(1, 1, 1), opted=1, src=SOURCE, dpt=22, dst="198.51.{n}.7"):
        # Seeded by a data migration, but a transactional test's flush empties it.
        SuspiciousPort.objects.get_or_create(protocol="tcp", port=dpt)
        users = [UserFactory(forwarding_opt_in=i < opted) for i in range(len(counts))]
        for i, (user, count) in enumerate(zip(users, counts, strict=True)):
            sub = submit(user, text=dshield_line(recent, src, count, dst=dst.format(n=100 + i), dpt=dpt))
            assert sub.accepted == 1, sub.status
        return users

    return _seen
