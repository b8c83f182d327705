"""Known networks: the refresh from the MISP warning lists, the root servers
and PORTAL_OWN_NETWORKS, and the selectors that read them."""

import importlib
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from incidents.trust import known_networks
from incidents.trust.models import KnownNetwork
from incidents.trust.selectors import known_network, known_network_sql
from incidents.trust.tasks import refresh_known_networks

pytestmark = pytest.mark.django_db

Kind, Origin = KnownNetwork.Kind, KnownNetwork.Origin
RESOLVERS_V4 = "MISP warning list: List of known IPv4 public DNS resolvers"


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The lists as a migrated install has them, whatever a flushing test
    before this module left."""
    with django_db_blocker.unblock():
        return known_networks.known_networks_refresh()


def rows():
    """How many known networks there are, and a digest of them all."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(string_agg(concat_ws('|', network, kind, name, origin, source, source_version),"
            " ',' ORDER BY network, kind, origin, source)) FROM trust_knownnetwork"
        )
        return cursor.fetchone()


def admin_row(network, kind=Kind.NEVER_LIST, name="Our upstream's resolver"):
    return KnownNetwork.objects.create(network=network, kind=kind, name=name, origin=Origin.ADMIN, source="ticket 12")


def test_refresh_loads_resolvers_root_servers_and_scanners():
    KnownNetwork.objects.all().delete()
    counts = known_networks.known_networks_refresh()

    google, cloudflare = known_network("8.8.8.8"), known_network("1.1.1.1")
    assert (google.kind, google.name, google.source) == (Kind.NEVER_LIST, "Public DNS resolver", RESOLVERS_V4)
    assert cloudflare.kind == Kind.NEVER_LIST
    assert known_network("2001:4860:4860::8888").name == "Public DNS resolver"
    assert known_network("198.41.0.4").name == "a.root-servers.net (Verisign)"
    assert known_network("2001:7fd::1").name == "k.root-servers.net (RIPE NCC)"
    assert known_network("104.16.0.1").name == "Cloudflare"
    shodan, censys = known_network("185.142.236.41"), known_network("162.142.125.10")
    assert (shodan.kind, shodan.name, shodan.is_scanner) == (Kind.SCANNER, "Shodan", True)
    assert (censys.kind, censys.name) == (Kind.SCANNER, "Censys")
    assert known_network("203.0.113.9") is None

    assert counts[RESOLVERS_V4] > 60_000
    assert counts["IANA root hints (named.root), root-servers.org"] == 26
    assert sum(counts.values()) == KnownNetwork.objects.count()
    version = KnownNetwork.objects.filter(source=RESOLVERS_V4).values_list("source_version", flat=True).distinct()
    assert list(version) == [str(known_networks.misp_list("public-dns-v4").version)]


def test_a_second_refresh_gives_the_same_rows(loaded):
    before = rows()
    assert known_networks.known_networks_refresh() == loaded
    assert rows() == before


def test_refresh_replaces_package_rows_and_keeps_admin_rows(loaded):
    mine = admin_row("198.51.100.53")
    KnownNetwork.objects.create(network="203.0.113.0/24", kind=Kind.NEVER_LIST, name="gone", origin=Origin.PACKAGE)
    KnownNetwork.objects.filter(network="8.8.8.8").delete()

    known_networks.known_networks_refresh()

    assert KnownNetwork.objects.get(pk=mine.pk).name == "Our upstream's resolver"
    assert known_network("203.0.113.1") is None
    assert known_network("8.8.8.8").name == "Public DNS resolver"
    assert KnownNetwork.objects.count() == sum(loaded.values()) + 1


def test_the_most_specific_network_wins_and_infrastructure_before_scanners(loaded):
    admin_row("198.51.100.0/24", name="A hosting network")
    admin_row("198.51.100.7", kind=Kind.SCANNER, name="A university's scanner")
    assert known_network("198.51.100.7").name == "A university's scanner"
    assert known_network("198.51.100.8").name == "A hosting network"

    admin_row("198.51.100.7", name="Its resolver too")
    assert known_network("198.51.100.7").name == "Its resolver too"


def overlaps_known(network, **kinds):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {known_network_sql('n', **kinds)} FROM (VALUES (%s::cidr)) v(n)", [network])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_sql_clause_matches_a_network_overlapping_a_known_one(loaded):
    assert overlaps_known("8.8.8.0/24")  # the /24 the block list would rank holds the resolver 8.8.8.8
    assert overlaps_known("162.142.125.0/24")
    assert not overlaps_known("203.0.113.0/24")
    assert not overlaps_known("8.8.8.0/24", kinds=(Kind.SCANNER,))
    assert overlaps_known("162.142.125.0/24", kinds=(Kind.SCANNER,))


def test_own_networks_are_never_listed(settings, loaded):
    settings.PORTAL_OWN_NETWORKS = ["192.0.2.0/24", "2001:db8:5::/48", "198.51.100.25/32"]
    counts = known_networks.known_networks_refresh()

    assert counts[known_networks.OWN_NETWORKS_SOURCE] == 3
    own = known_network("192.0.2.80")
    assert (own.kind, own.name, own.network) == (Kind.NEVER_LIST, settings.SITE_NAME, "192.0.2.0/24")
    assert known_network("2001:db8:5::443").network == "2001:db8:5::/48"
    assert known_network("198.51.100.25").network == "198.51.100.25/32"
    assert overlaps_known("192.0.2.0/24")


def test_a_bad_own_network_stops_the_refresh_and_leaves_the_rows(settings, loaded):
    before = rows()
    settings.PORTAL_OWN_NETWORKS = ["192.0.2.1/24"]
    with pytest.raises(ValueError, match=re.escape("PORTAL_OWN_NETWORKS: '192.0.2.1/24'")):
        known_networks.known_networks_refresh()
    assert rows() == before


def test_cloud_compute_is_not_known(loaded):
    """Rented VMs attack like any other host: the cloud lists are not picked,
    and Akamai's list has its cloud (formerly Linode) carved out."""
    clouds = KnownNetwork.objects.filter(source__iregex=r"aws|amazon|azure|gcp|google cloud|oracle|linode")
    assert not clouds.exists()
    assert not KnownNetwork.objects.filter(name="Akamai", network__net_overlaps="172.232.0.0/13").exists()


def test_carving_a_hole_keeps_the_rest():
    import ipaddress

    nets = [ipaddress.ip_network(n) for n in ("172.224.0.0/12", "10.0.0.0/8", "2001:db8::/32", "172.232.5.0/24")]
    parts = {str(p) for p in known_networks._carve(nets, [ipaddress.ip_network("172.232.0.0/13")])}
    assert parts == {"172.224.0.0/13", "10.0.0.0/8", "2001:db8::/32"}


def test_canonical_spelling():
    assert known_networks.canonical(" 8.8.8.8/32 ") == known_networks.canonical("8.8.8.8") == "8.8.8.8"
    assert known_networks.canonical("2001:DB8:0::/48") == "2001:db8::/48"
    with pytest.raises(ValueError):
        known_networks.canonical("8.8.8.8/24")


def test_the_command_prints_what_it_loaded(loaded):
    admin_row("198.51.100.53")
    out = io.StringIO()
    call_command("refresh_known_networks", stdout=out)
    lines = out.getvalue().splitlines()
    version = known_networks.misp_list("public-dns-v4").version
    assert f"{loaded[RESOLVERS_V4]:7d}  package never   {RESOLVERS_V4} (version {version})" in lines
    assert "      1  admin   never   ticket 12" in lines
    assert lines[-1] == f"{sum(loaded.values()) + 1:7d}  known networks in all"


def test_the_task_and_the_migration_run_the_refresh(loaded):
    KnownNetwork.objects.all().delete()
    assert refresh_known_networks.apply().get() == dict(loaded)

    KnownNetwork.objects.all().delete()
    migration = importlib.import_module("incidents.trust.migrations.0002_known_networks")
    with connection.schema_editor() as editor:
        migration.load(None, editor)
    assert KnownNetwork.objects.count() == sum(loaded.values())
