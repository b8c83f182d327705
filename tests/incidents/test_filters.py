import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from incidents import filters
from incidents.filters import (
    OWN_NETWORK,
    REASONS,
    RESERVED,
    EventFilter,
    Rule,
    irc_proxy_check_rule,
    load_balancer_probe_rule,
    requested_scan_rule,
)
from incidents.parsers import ParseContext, ParsedEvent, get_parser

RECEIVED = datetime(2024, 11, 23, tzinfo=UTC)
HEAD = "Nov 22 10:00:01 gw kernel: [86400.12] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "


def parse(line: str) -> ParsedEvent:
    """One iptables log line, read by the real parser."""
    (event,) = get_parser("iptables").parse([line], ParseContext(received_at=RECEIVED))
    assert type(event) is ParsedEvent, event
    return event


def tcp(src, dst="198.51.100.7", spt=51234, dpt=22, flags="SYN"):
    return parse(
        f"{HEAD}SRC={src} DST={dst} LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT={spt} DPT={dpt} "
        f"WINDOW=29200 RES=0x00 {flags} URGP=0"
    )


def udp(src, dst="198.51.100.7", spt=40000, dpt=53, length=78):
    return parse(
        f"{HEAD}SRC={src} DST={dst} LEN={length} TOS=0x00 PREC=0x00 TTL=117 ID=31337 PROTO=UDP SPT={spt} DPT={dpt} "
        f"LEN={length - 20}"
    )


def icmp(src, dst="198.51.100.7", kind=8, code=0):
    return parse(
        f"{HEAD}SRC={src} DST={dst} LEN=84 TOS=0x00 PREC=0x00 TTL=54 ID=0 DF PROTO=ICMP TYPE={kind} CODE={code} "
        "ID=2201 SEQ=1"
    )


def at(event: ParsedEvent, when: datetime) -> ParsedEvent:
    return dataclasses.replace(event, time=when)


# --- sources: own networks and reserved space (the former SourceFilter's cases) ---


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
    f = EventFilter(own_networks=["203.0.113.64/26", "2001:db8:1::/48"])
    event = ParsedEvent(1, RECEIVED, source, "198.51.100.7", "tcp", 51234, 22, "S")
    assert f.reason(event) == reason


def test_own_network_wins_over_reserved_space():
    assert EventFilter(own_networks=["10.9.0.0/16"]).reason(tcp("10.9.1.1")) == "own-network"
    assert EventFilter(own_networks=["10.9.0.0/16"]).reason(tcp("10.8.1.1")) == "reserved"


def test_documentation_ranges_are_not_reserved():
    # Tests and examples use them as public addresses; they must stay unfiltered.
    f = EventFilter()
    for source in ("192.0.2.10", "198.51.100.10", "203.0.113.10"):
        assert f.reason(tcp(source)) == ""
    assert "203.0.113.0/24" not in filters.RESERVED_SOURCES


def test_unrelated_traffic_is_kept():
    f = EventFilter(own_networks=["198.51.100.0/24"], isp_dns=["192.0.2.53"], isp_dhcp=["192.0.2.67"])
    assert f.reason(tcp("45.33.32.156", dpt=22)) == ""
    assert f.reason(tcp("45.33.32.156", dpt=445)) == ""
    assert f.reason(udp("45.33.32.156", spt=40000, dpt=1434)) == ""  # SQL Slammer-style probe
    assert f.reason(icmp("45.33.32.156")) == ""  # a ping from anyone but a listed prober


def test_ipv4_mapped_source_is_classified_as_ipv4():
    f = EventFilter(own_networks=["45.33.32.0/24"])
    mapped = ParsedEvent(1, RECEIVED, "::ffff:10.1.2.3", "2001:db8::1", "tcp", 51234, 22, "S")
    assert f.reason(mapped) == "reserved"
    assert f.reason(dataclasses.replace(mapped, source_ip="::ffff:45.33.32.156")) == "own-network"


# --- the built-in catalogue, one realistic line each ---


def test_dns_reply_from_source_port_53():
    f = EventFilter()
    assert f.reason(udp("9.9.9.9", spt=53, dpt=41523, length=120)) == "service-reply"
    assert f.reason(tcp("9.9.9.9", spt=53, dpt=41523, flags="ACK FIN")) == "service-reply"
    assert f.reason(udp("9.9.9.9", spt=54, dpt=41523)) == ""


def test_ntp_and_dhcp_replies():
    f = EventFilter()
    assert f.reason(udp("162.159.200.1", spt=123, dpt=123)) == "service-reply"
    assert f.reason(udp("62.2.17.1", dst="255.255.255.255", spt=67, dpt=68, length=328)) == "service-reply"
    assert f.reason(tcp("162.159.200.1", spt=123, dpt=80)) == ""  # only UDP for NTP


def test_netbios_broadcast():
    f = EventFilter()
    assert f.reason(udp("45.33.32.156", dst="45.33.32.255", spt=138, dpt=138, length=229)) == "netbios-broadcast"
    assert f.reason(udp("45.33.32.156", dst="45.33.32.255", spt=1029, dpt=137)) == "netbios-broadcast"
    # Name-service chatter from port 137 is noise wherever it goes ...
    assert f.reason(udp("45.33.32.156", spt=137, dpt=137)) == "netbios-broadcast"
    # ... but a name-service query sent straight to one host from a random port is a probe.
    assert f.reason(udp("45.33.32.156", spt=1029, dpt=137)) == ""


def test_netbios_broadcast_from_the_lan_is_reserved_first():
    assert EventFilter().reason(udp("192.168.1.20", dst="192.168.1.255", spt=137, dpt=137)) == "reserved"


def test_bittorrent_probes():
    f = EventFilter()
    assert f.reason(udp("45.33.32.156", spt=51413, dpt=6881)) == "p2p-bittorrent"  # DHT ping
    assert f.reason(tcp("45.33.32.156", dpt=6889)) == "p2p-bittorrent"
    assert f.reason(tcp("45.33.32.156", dpt=6890)) == ""


def test_gnutella_kazaa_edonkey():
    f = EventFilter()
    assert f.reason(tcp("45.33.32.156", dpt=6346)) == "p2p-gnutella"
    assert f.reason(udp("45.33.32.156", dpt=6347)) == "p2p-gnutella"
    assert f.reason(tcp("45.33.32.156", dpt=1214)) == "p2p-kazaa"
    assert f.reason(udp("45.33.32.156", dpt=1214)) == "p2p-kazaa"
    assert f.reason(tcp("45.33.32.156", dpt=4662)) == "p2p-edonkey"
    assert f.reason(udp("45.33.32.156", spt=4672, dpt=4672)) == "p2p-edonkey"
    assert f.reason(udp("45.33.32.156", dpt=4665)) == "p2p-edonkey"
    assert f.reason(udp("45.33.32.156", dpt=4662)) == ""  # eMule's UDP port is 4672, not 4662


def test_games():
    f = EventFilter()
    assert f.reason(udp("45.33.32.156", spt=666, dpt=666)) == "game-doom"
    assert f.reason(tcp("45.33.32.156", dpt=666)) == ""  # old backdoor port: still reported
    assert f.reason(udp("45.33.32.156", spt=27960, dpt=27960)) == "game-quake"
    assert f.reason(udp("45.33.32.156", dpt=27963)) == "game-quake"
    assert f.reason(udp("45.33.32.156", dpt=27964)) == ""
    assert f.reason(udp("45.33.32.156", dpt=26000)) == "game-quake"
    assert f.reason(udp("45.33.32.156", spt=27015, dpt=27005)) == "game-halflife"
    assert f.reason(tcp("45.33.32.156", dpt=27015)) == "game-halflife"
    assert f.reason(udp("45.33.32.156", spt=3074, dpt=3074)) == "game-xbox"
    assert f.reason(tcp("45.33.32.156", dpt=3074)) == "game-xbox"


def test_builtin_catalogue_can_be_left_out():
    assert EventFilter(builtin=False).reason(udp("45.33.32.156", dpt=6881)) == ""
    assert EventFilter(builtin=False).reason(tcp("10.0.0.1")) == "reserved"


# --- rules the caller builds ---


def test_requested_scan_time_box_starts_inclusive_ends_exclusive():
    starts = datetime(2024, 11, 22, 10, 0, 1, tzinfo=UTC)
    ends = starts + timedelta(hours=1)
    f = EventFilter(rules=[requested_scan_rule(["45.33.32.0/24"], starts, ends)])
    probe = tcp("45.33.32.156", dpt=3389)
    assert probe.time == starts
    assert f.reason(probe) == "requested-scan"
    assert f.reason(at(probe, starts - timedelta(seconds=1))) == ""
    assert f.reason(at(probe, ends - timedelta(microseconds=1))) == "requested-scan"
    assert f.reason(at(probe, ends)) == ""
    assert f.reason(tcp("45.33.33.1", dpt=3389)) == ""  # another scanner, same time


def test_rule_times_without_zone_are_utc():
    rule = requested_scan_rule("45.33.32.0/24", datetime(2024, 11, 22, 10), datetime(2024, 11, 22, 11))
    assert rule.starts == datetime(2024, 11, 22, 10, tzinfo=UTC)
    assert EventFilter(rules=[rule]).reason(tcp("45.33.32.156")) == "requested-scan"


def test_irc_proxy_check():
    f = EventFilter(rules=[irc_proxy_check_rule(["130.239.18.0/24"])])
    assert f.reason(tcp("130.239.18.119", dpt=1080)) == "irc-proxy-check"
    assert f.reason(tcp("130.239.18.119", dpt=3128)) == "irc-proxy-check"
    assert f.reason(tcp("130.239.18.119", dpt=113)) == "irc-proxy-check"  # ident lookup
    assert f.reason(tcp("130.239.18.119", dpt=22)) == ""  # not a proxy port
    assert f.reason(tcp("45.33.32.156", dpt=1080)) == ""  # not the IRC server


def test_load_balancer_probes():
    f = EventFilter(rules=[load_balancer_probe_rule(["192.0.2.0/24", "2001:db8:99::/48"])])
    assert f.reason(icmp("192.0.2.44", kind=8)) == "lb-probe"
    assert f.reason(icmp("192.0.2.44", kind=0)) == ""  # echo reply is not a probe
    assert f.reason(udp("192.0.2.44", spt=50000, dpt=53)) == "lb-probe"
    assert f.reason(tcp("192.0.2.44", dpt=53)) == "lb-probe"
    assert f.reason(tcp("192.0.2.44", dpt=80)) == ""
    assert f.reason(icmp("45.33.32.156", kind=8)) == ""
    v6_echo = ParsedEvent(1, RECEIVED, "2001:db8:99::5", "2001:db8:1::1", "icmpv6", 128, 0)
    assert f.reason(v6_echo) == "lb-probe"


def test_db_rule_conversion_with_dataclasses_replace_keeps_working():
    # FilterRule.as_filter_rule replaces code and time box on whatever the helper returns.
    starts = datetime(2024, 11, 22, tzinfo=UTC)
    for helper in (load_balancer_probe_rule, irc_proxy_check_rule):
        rule = dataclasses.replace(helper(["192.0.2.0/24"]), code="rule:17", starts=starts, ends=None)
        f = EventFilter(rules=[rule])
        assert f.reason(tcp("192.0.2.1", dpt=53 if helper is load_balancer_probe_rule else 8080)) == "rule:17"
        assert f.reason(at(tcp("192.0.2.1", dpt=8080), starts - timedelta(seconds=1))) == ""


def test_helpers_refuse_an_empty_network_list():
    # An empty list would mean "any source".
    for make in (lambda: requested_scan_rule([], None, None), lambda: irc_proxy_check_rule([])):
        with pytest.raises(ValueError):
            make()
    with pytest.raises(ValueError):
        load_balancer_probe_rule(())


# --- precedence ---


def test_precedence_sources_before_rules_before_catalogue():
    f = EventFilter(
        own_networks=["45.33.32.0/24"],
        isp_dns=["62.2.24.158", "10.0.0.53"],
        isp_dhcp=["62.2.17.1"],
        rules=[
            Rule("rule:17", protocol="udp", ports=((6881, 6881),)),
            Rule("rule:18", protocol="udp", ports=((6881, 6889),)),
            Rule("rule:19", networks=("62.2.0.0/16",)),
        ],
    )
    assert f.reason(udp("45.33.32.156", dpt=6881)) == "own-network"
    assert f.reason(udp("10.0.0.53", spt=53)) == "reserved"  # reserved before ISP servers
    assert f.reason(udp("62.2.24.158", spt=53, dpt=40000)) == "isp-dns"  # before rules and service-reply
    assert f.reason(udp("62.2.17.1", spt=67, dpt=68)) == "isp-dhcp"
    assert f.reason(udp("62.2.99.1", spt=53, dpt=40000)) == "rule:19"  # caller's rules before the catalogue
    assert f.reason(udp("89.1.2.3", dpt=6881)) == "rule:17"  # caller's rules in their order
    assert f.reason(udp("89.1.2.3", dpt=6882)) == "rule:18"
    assert f.reason(tcp("89.1.2.3", dpt=6882)) == "p2p-bittorrent"


def test_expired_rule_falls_through_to_the_next():
    ends = datetime(2024, 11, 22, 10, tzinfo=UTC)
    f = EventFilter(rules=[Rule("rule:3", protocol="udp", ports=((6881, 6881),), ends=ends)])
    assert f.reason(at(udp("89.1.2.3", dpt=6881), ends - timedelta(seconds=1))) == "rule:3"
    assert f.reason(at(udp("89.1.2.3", dpt=6881), ends)) == "p2p-bittorrent"


def test_ipv6_events_from_the_parser():
    f = EventFilter(own_networks=["2001:db8:1::/48"])
    line = (
        "Nov 22 10:00:01 gw kernel: [86400.5] [UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01:00:11:22:33:44:55:86:dd "
        "SRC={src} DST=2001:db8:2::7 LEN=72 TC=0 HOPLIMIT=58 FLOWLBL=813337 PROTO=UDP SPT=51413 DPT={dpt} LEN=32"
    )
    assert f.reason(parse(line.format(src="2a01:4f8:c17:1::2", dpt=6881))) == "p2p-bittorrent"
    assert f.reason(parse(line.format(src="2a01:4f8:c17:1::2", dpt=5060))) == ""
    assert f.reason(parse(line.format(src="2001:db8:1:5::2", dpt=5060))) == "own-network"
    assert f.reason(parse(line.format(src="fe80::2", dpt=5060))) == "reserved"


def test_rule_without_protocol():
    f = EventFilter(rules=[Rule("rule:4", ports=((0, 0),)), Rule("rule:5", networks=("89.1.0.0/16",))])
    assert f.reason(tcp("45.33.32.156", dpt=0)) == "rule:4"
    assert f.reason(udp("45.33.32.156", dpt=0)) == "rule:4"
    # Port conditions never match ICMP's type/code, even when the numbers fit.
    assert f.reason(icmp("45.33.32.156", kind=8, code=0)) == ""
    # A network rule without other conditions matches every protocol, odd ones too.
    gre = ParsedEvent(1, RECEIVED, "89.1.2.3", "198.51.100.7", "gre")
    assert f.reason(gre) == "rule:5"
    assert f.reason(icmp("89.1.2.3")) == "rule:5"


def test_wide_port_ranges_and_source_ports():
    f = EventFilter(
        builtin=False,
        rules=[
            Rule("rule:6", networks=("89.1.0.0/16",), protocol="tcp", ports=((1024, 65535),)),
            Rule("rule:7", protocol="udp", source_ports=((10000, 60000),), ports=((9999, 9999),)),
        ],
    )
    assert f.reason(tcp("89.1.2.3", dpt=1024)) == "rule:6"
    assert f.reason(tcp("89.1.2.3", dpt=65535)) == "rule:6"
    assert f.reason(tcp("89.1.2.3", dpt=1023)) == ""
    assert f.reason(tcp("89.2.2.3", dpt=2000)) == ""
    assert f.reason(udp("45.33.32.156", spt=10000, dpt=9999)) == "rule:7"
    assert f.reason(udp("45.33.32.156", spt=9999, dpt=9999)) == ""


def test_overlapping_networks():
    f = EventFilter(
        builtin=False,
        rules=[
            Rule("rule:8", networks=("89.1.2.0/24",), protocol="tcp", ports=((80, 80),)),
            Rule("rule:9", networks=("89.0.0.0/8",), protocol="tcp"),
        ],
    )
    assert f.reason(tcp("89.1.2.3", dpt=80)) == "rule:8"
    assert f.reason(tcp("89.1.2.3", dpt=81)) == "rule:9"
    assert f.reason(tcp("89.200.2.3", dpt=80)) == "rule:9"
    assert f.reason(tcp("90.0.0.1", dpt=80)) == ""


# --- the compiled index against the plain definition ---


def test_index_agrees_with_rule_definitions_on_random_events():
    rng = random.Random(20241122)
    t0 = datetime(2024, 11, 22, tzinfo=UTC)
    networks = ["45.33.32.0/24", "45.33.0.0/16", "89.1.0.0/16", "2001:db8:5::/48"]

    def ranges():
        lo = rng.choice([0, 53, 80, 137, 1000, 6881, 60000])
        return ((lo, lo + rng.choice([0, 1, 8, 5000])),) if rng.random() < 0.6 else ()

    rules = []
    for i in range(25):
        starts = t0 + timedelta(hours=rng.randrange(-5, 5)) if rng.random() < 0.3 else None
        rules.append(
            Rule(
                f"rule:{i}",
                networks=tuple(rng.sample(networks, rng.randrange(0, 3))),
                protocol=rng.choice([None, "tcp", "udp", "icmp", "gre"]),
                ports=ranges(),
                source_ports=ranges() if rng.random() < 0.4 else (),
                target_broadcast=rng.random() < 0.15,
                starts=starts,
                ends=starts + timedelta(hours=3) if starts and rng.random() < 0.7 else None,
            )
        )
    f = EventFilter(rules=rules)
    sources = ["45.33.32.7", "45.33.99.7", "89.1.2.3", "8.8.8.8", "2001:db8:5::1", "2001:db8:6::1", "10.0.0.1"]
    ports = [0, 53, 54, 67, 80, 123, 137, 1000, 1001, 1008, 6000, 6881, 6889, 27015, 60000, 65000, None]
    checked = 0
    for _ in range(20_000):
        protocol = rng.choice(["tcp", "udp", "icmp", "icmpv6", "gre"])
        event = ParsedEvent(
            1,
            t0 + timedelta(minutes=rng.randrange(-600, 600)),
            rng.choice(sources),
            rng.choice(["198.51.100.7", "198.51.100.255"]),
            protocol,
            rng.choice(ports),
            rng.choice(ports),
        )
        expected = _reference(f, event)
        assert f.reason(event) == expected, event
        checked += bool(expected)
    assert checked > 2000  # the random rules did match often enough to test something


def _reference(f: EventFilter, event) -> str:
    if event.source_ip == "10.0.0.1":
        return "reserved"
    for rule in f.rules:
        if rule.matches(event):
            return rule.code
    return ""


def test_source_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(filters, "_CACHE_MAX", 3)
    f = EventFilter(rules=[Rule("rule:1", networks=("45.33.32.0/24",))])
    for i in range(10):
        assert f.reason(tcp(f"45.33.32.{i + 1}")) == "rule:1"
        assert f.reason(tcp(f"45.34.32.{i + 1}")) == ""
    assert len(f._sources) <= 3


# --- the rule type itself ---


def test_rule_validation():
    with pytest.raises(ValueError):
        Rule("")
    with pytest.raises(ValueError):
        Rule("x" * 65)
    with pytest.raises(ValueError):
        Rule("rule:1", ports=((10, 5),))
    with pytest.raises(ValueError):
        Rule("rule:1", ports=((1, 70000),))
    with pytest.raises(ValueError):
        Rule("rule:1", networks=("not-a-network",))
    with pytest.raises(ValueError):
        Rule("rule:1", starts=datetime(2024, 1, 2, tzinfo=UTC), ends=datetime(2024, 1, 1, tzinfo=UTC))
    rule = Rule("rule:1", networks=["10.9.1.1/16"], protocol="17", ports=[(80, 81)])
    assert (rule.networks, rule.protocol, rule.ports) == (("10.9.0.0/16",), "udp", ((80, 81),))
    assert hash(rule) == hash(Rule("rule:1", networks=("10.9.0.0/16",), protocol="udp", ports=((80, 81),)))


def test_every_builtin_code_has_text_for_users():
    helpers = [
        requested_scan_rule(["192.0.2.0/24"], None, None),
        irc_proxy_check_rule(["192.0.2.0/24"]),
        load_balancer_probe_rule(["192.0.2.0/24"]),
    ]
    f = EventFilter(own_networks=["198.51.100.0/24"], isp_dns=["192.0.2.53"], isp_dhcp=["192.0.2.67"], rules=helpers)
    codes = f.codes()
    assert codes[:4] == ("own-network", "reserved", "isp-dns", "isp-dhcp")
    assert set(codes) == set(REASONS)
    assert all(REASONS[c] for c in codes)
    assert REASONS["p2p-bittorrent"] == "peer-to-peer traffic (BitTorrent)"


@pytest.mark.django_db
def test_filter_for_user_reads_networks_and_isp_servers():
    from incidents.filter_loading import filter_for_user
    from portal.models import IspServer, OwnedNetwork
    from tests.factories import UserFactory

    user, other = UserFactory(), UserFactory()
    OwnedNetwork.objects.create(user=user, cidr="45.33.32.0/24")
    IspServer.objects.create(user=user, kind=IspServer.Kind.DNS, address="62.2.24.158")
    IspServer.objects.create(user=user, kind=IspServer.Kind.DHCP, address="62.2.17.1")
    OwnedNetwork.objects.create(user=other, cidr="89.1.0.0/16")
    f = filter_for_user(user, rules=[Rule("rule:1", protocol="tcp", ports=((8080, 8080),))])
    assert f.reason(tcp("45.33.32.156")) == "own-network"
    assert f.reason(udp("62.2.24.158", spt=53, dpt=40000)) == "isp-dns"
    assert f.reason(udp("62.2.17.1", spt=67, dpt=68)) == "isp-dhcp"
    assert f.reason(tcp("89.1.2.3", dpt=8080)) == "rule:1"  # not the other user's network
    assert f.reason(tcp("89.1.2.3", dpt=22)) == ""
