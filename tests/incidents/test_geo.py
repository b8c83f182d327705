"""Offline country and AS of an address, from geoip2fast's data file."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from incidents import geo


def test_public_addresses_have_a_country_and_an_as():
    assert geo.place_of("8.8.8.8") == geo.Place("US", "GOOGLE", "8.8.8.0/24")
    assert (geo.country_of("2001:4860:4860::8888"), geo.as_name_of("2001:4860:4860::8888")) == ("US", "GOOGLE")
    assert (geo.country_of("2606:4700:4700::1111"), geo.as_name_of("2606:4700:4700::1111")) == ("US", "CLOUDFLARENET")
    assert geo.country_of("193.0.14.129") == "NL"  # k.root-servers.net
    assert "RIPE NCC" in geo.as_name_of("193.0.14.129")
    assert geo.as_network_of("193.0.14.129") == "193.0.14.0/23"


def test_an_ipv4_mapped_address_is_its_ipv4_address():
    assert geo.place_of("::ffff:8.8.8.8") == geo.place_of("8.8.8.8")


@pytest.mark.parametrize(
    "ip",
    ["10.1.2.3", "192.168.0.1", "127.0.0.1", "100.64.0.1", "::1", "::8.8.8.8", "fe80::1", "2001:db8::1", "", "8.8.8"],
)
def test_private_reserved_and_malformed_addresses_have_none(ip):
    assert geo.place_of(ip) is None
    assert (geo.country_of(ip), geo.as_name_of(ip), geo.as_network_of(ip)) == (None, None, None)


def test_the_data_are_loaded_once_per_process():
    with ThreadPoolExecutor(max_workers=4) as pool:
        readers = set(map(id, pool.map(lambda _: geo._geoip(), range(8))))
    assert len(readers) == 1


def test_importing_loads_nothing():
    """Web processes that never look up a country do not pay for the data."""
    script = (
        "import sys, incidents.geo as geo; "
        "assert 'geoip2fast' not in sys.modules; "
        "assert geo.country_of('8.8.8.8') == 'US'; "
        "assert 'geoip2fast' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[2])
