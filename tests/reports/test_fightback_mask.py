"""Destinations in abuse mail are masked: IPv4 to its upper octets, IPv6 to
FIGHTBACK_MASK_IPV6_PREFIX bits, never more than a /32 (a /48 is usually
one site, so one reporter)."""

import subprocess
import sys

import pytest

from reports import fightback
from reports.models import NetworkContact
from tests.processes import ROOT, child_env
from tests.trust_helpers import vouch

LINODE_V6 = "2600:3c00::f03c:91ff:fe18:bb2f"


def test_ipv6_is_masked_to_the_32(settings):
    assert fightback.mask("2a02:8108:1234:5600::7") == "2a02:8108::"
    settings.FIGHTBACK_MASK_IPV6_PREFIX = 24
    assert fightback.mask("2a02:8108:1234:5600::7") == "2a02:8100::"
    settings.FIGHTBACK_MASK_IPV6_PREFIX = 48  # only a test can set it past the check at start
    assert fightback.mask("2a02:8108:1234:5600::7") == "2a02:8108::"
    assert fightback.mask("198.51.100.77") == "198.51.0.0"


@pytest.mark.django_db
def test_the_abuse_mail_shows_ipv6_destinations_as_their_32(sightings, settings):
    settings.TRUST_REVIEW_FIRST_CONTACT = False
    NetworkContact.objects.create(
        netblock="2600:3c00::/32", organisation="LINODE", abuse_emails=["abuse@linode.example"]
    )
    vouch(*sightings(src=LINODE_V6, dst="2a02:8108:{n}::7"))
    (report,) = fightback.run()
    body = fightback.compose(report).body
    assert f"[{LINODE_V6}]:51234 -> [2a02:8108::]:22  flags S" in body
    assert "2a02:8108:1" not in body  # no reporter's /48


def test_a_prefix_longer_than_32_is_refused_at_start(db):
    child = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="portal.settings", FIGHTBACK_MASK_IPV6_PREFIX="48"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode != 0
    assert "ImproperlyConfigured: FIGHTBACK_MASK_IPV6_PREFIX must be 32 or shorter" in child.stderr
