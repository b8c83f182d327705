import pytest

from incidents.filters import OWN_NETWORK, RESERVED, SourceFilter


@pytest.mark.parametrize(
    "source, reason",
    [
        ("10.1.2.3", RESERVED),
        ("172.31.255.255", RESERVED),
        ("172.32.0.1", ""),
        ("100.64.0.1", RESERVED),  # CGNAT
        ("169.254.10.10", RESERVED),
        ("224.0.0.251", RESERVED),  # multicast (mDNS)
        ("127.0.0.1", RESERVED),
        ("fe80::1", RESERVED),
        ("fd00::5", RESERVED),
        ("8.8.8.8", ""),
        ("2001:4860:4860::8888", ""),
        ("203.0.113.77", OWN_NETWORK),
        ("2001:db8:1::9", OWN_NETWORK),
    ],
)
def test_reasons(source, reason):
    f = SourceFilter(["203.0.113.64/26", "2001:db8:1::/48"])
    assert f.reason(source) == reason


def test_own_network_wins_over_reserved_space():
    assert SourceFilter(["10.9.0.0/16"]).reason("10.9.1.1") == OWN_NETWORK
    assert SourceFilter(["10.9.0.0/16"]).reason("10.8.1.1") == RESERVED
