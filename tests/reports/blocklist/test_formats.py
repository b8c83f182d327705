"""Each published file's exact text for a small known set: two networks (one
with an admin-kept contact, one unknown) and the reserved ranges."""

import json

import pytest

from reports import blocklist
from reports.models import NetworkContact
from reports.reserved import RESERVED

from .conftest import DAY, hosts

pytestmark = pytest.mark.django_db

TEXT = """\
#
#   Incident Portal block list for 2026-11-20
#   http://localhost:8000/blocklist/
#
#   The 20 IPv4 /24 networks seen by the most independent reporters
#   from 2026-11-17 to 2026-11-19 (whole UTC days), then the reserved ranges
#   commonly spoofed as sources (RFC 6890 special-purpose space, multicast, class E).
#   Independent reporters: verified accounts past probation, trusted, not suspended;
#   reporters on one network count once; a network needs 1 of them.
#   Ties: more targets (the most addresses a reporter saw a source reach on one port on a day,
#   counted up to 8), then the lower address. Attacks: events those
#   reporters saw from the network in those days, never ranked; events filtered as
#   false positives are not counted. Well-known infrastructure and research scanners
#   are never listed. Every listing is explained, and can be appealed, on the
#   portal's IP and subnet pages.
#   Block on Internet-facing interfaces only: the reserved ranges include the private
#   networks (RFC 1918, RFC 6598) you may use inside.
#
#   Signature: http://localhost:8000/blocklist/block.txt.sig (ECDSA P-256, SHA-256)
#   Key: http://localhost:8000/blocklist/signing-key.pem
#     openssl dgst -sha256 -verify signing-key.pem -signature block.txt.sig block.txt
#
#   Fields, tab-delimited: start, end, netblock (prefix length: start/netblock is the
#   network, as in DShield's block.txt), attacks (empty for a reserved range), name,
#   country, abuse (the network's abuse address).
#   start\tend\tnetblock\tattacks\tname\tcountry\tabuse
#
45.33.32.0\t45.33.32.255\t24\t8\tLINODE\tUS\tabuse@linode.com
185.220.101.0\t185.220.101.255\t24\t3\t\t\t
0.0.0.0\t0.255.255.255\t8\t\treserved: This host on this network (RFC 1122)\t\t
10.0.0.0\t10.255.255.255\t8\t\treserved: Private-Use (RFC 1918)\t\t
100.64.0.0\t100.127.255.255\t10\t\treserved: Shared Address Space (RFC 6598)\t\t
127.0.0.0\t127.255.255.255\t8\t\treserved: Loopback (RFC 1122)\t\t
169.254.0.0\t169.254.255.255\t16\t\treserved: Link Local (RFC 3927)\t\t
172.16.0.0\t172.31.255.255\t12\t\treserved: Private-Use (RFC 1918)\t\t
192.0.0.0\t192.0.0.255\t24\t\treserved: IETF Protocol Assignments (RFC 6890)\t\t
192.0.2.0\t192.0.2.255\t24\t\treserved: Documentation, TEST-NET-1 (RFC 5737)\t\t
192.168.0.0\t192.168.255.255\t16\t\treserved: Private-Use (RFC 1918)\t\t
198.18.0.0\t198.19.255.255\t15\t\treserved: Benchmarking (RFC 2544)\t\t
198.51.100.0\t198.51.100.255\t24\t\treserved: Documentation, TEST-NET-2 (RFC 5737)\t\t
203.0.113.0\t203.0.113.255\t24\t\treserved: Documentation, TEST-NET-3 (RFC 5737)\t\t
224.0.0.0\t239.255.255.255\t4\t\treserved: Multicast (RFC 5771)\t\t
240.0.0.0\t255.255.255.255\t4\t\treserved: Reserved for Future Use (RFC 1112)\t\t
"""

IPTABLES = """\
#
#   Incident Portal block list for 2026-11-20
#   http://localhost:8000/blocklist/
#
#   The 20 IPv4 /24 networks seen by the most independent reporters
#   from 2026-11-17 to 2026-11-19 (whole UTC days), then the reserved ranges
#   commonly spoofed as sources (RFC 6890 special-purpose space, multicast, class E).
#   Independent reporters: verified accounts past probation, trusted, not suspended;
#   reporters on one network count once; a network needs 1 of them.
#   Ties: more targets (the most addresses a reporter saw a source reach on one port on a day,
#   counted up to 8), then the lower address. Attacks: events those
#   reporters saw from the network in those days, never ranked; events filtered as
#   false positives are not counted. Well-known infrastructure and research scanners
#   are never listed. Every listing is explained, and can be appealed, on the
#   portal's IP and subnet pages.
#   Block on Internet-facing interfaces only: the reserved ranges include the private
#   networks (RFC 1918, RFC 6598) you may use inside.
#
#   Signature: http://localhost:8000/blocklist/iptables.rules.sig (ECDSA P-256, SHA-256)
#   Key: http://localhost:8000/blocklist/signing-key.pem
#     openssl dgst -sha256 -verify signing-key.pem -signature iptables.rules.sig iptables.rules
#
#   Load (creates or empties the chain PORTAL-BLOCKLIST, touches nothing else):
#     iptables-restore --noflush < iptables.rules
#   Then, once, send what arrives from the Internet through it (eth0: your outside interface):
#     iptables -I INPUT -i eth0 -j PORTAL-BLOCKLIST
#     iptables -I FORWARD -i eth0 -j PORTAL-BLOCKLIST
#
*filter
:PORTAL-BLOCKLIST - [0:0]
-F PORTAL-BLOCKLIST
-A PORTAL-BLOCKLIST -s 45.33.32.0/24 -m comment --comment "rank 1" -j DROP
-A PORTAL-BLOCKLIST -s 185.220.101.0/24 -m comment --comment "rank 2" -j DROP
-A PORTAL-BLOCKLIST -s 0.0.0.0/8 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 10.0.0.0/8 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 100.64.0.0/10 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 127.0.0.0/8 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 169.254.0.0/16 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 172.16.0.0/12 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 192.0.0.0/24 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 192.0.2.0/24 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 192.168.0.0/16 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 198.18.0.0/15 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 198.51.100.0/24 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 203.0.113.0/24 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 224.0.0.0/4 -m comment --comment "reserved" -j DROP
-A PORTAL-BLOCKLIST -s 240.0.0.0/4 -m comment --comment "reserved" -j DROP
COMMIT
"""

NFTABLES = """\
#
#   Incident Portal block list for 2026-11-20
#   http://localhost:8000/blocklist/
#
#   The 20 IPv4 /24 networks seen by the most independent reporters
#   from 2026-11-17 to 2026-11-19 (whole UTC days), then the reserved ranges
#   commonly spoofed as sources (RFC 6890 special-purpose space, multicast, class E).
#   Independent reporters: verified accounts past probation, trusted, not suspended;
#   reporters on one network count once; a network needs 1 of them.
#   Ties: more targets (the most addresses a reporter saw a source reach on one port on a day,
#   counted up to 8), then the lower address. Attacks: events those
#   reporters saw from the network in those days, never ranked; events filtered as
#   false positives are not counted. Well-known infrastructure and research scanners
#   are never listed. Every listing is explained, and can be appealed, on the
#   portal's IP and subnet pages.
#   Block on Internet-facing interfaces only: the reserved ranges include the private
#   networks (RFC 1918, RFC 6598) you may use inside.
#
#   Signature: http://localhost:8000/blocklist/nftables.nft.sig (ECDSA P-256, SHA-256)
#   Key: http://localhost:8000/blocklist/signing-key.pem
#     openssl dgst -sha256 -verify signing-key.pem -signature nftables.nft.sig nftables.nft
#
#   Load: nft -f nftables.nft   (one transaction: all of it or nothing)
#   The table portal_blocklist is created on first load; each load empties and refills
#   its sets and chains. Ranked networks are dropped on every interface; reserved
#   ranges only on the interfaces you name once in the set internet_interfaces
#   (loads keep it), because they include the private networks used inside:
#     nft add element inet portal_blocklist internet_interfaces { "eth0" }
#
table inet portal_blocklist {
\tset networks {
\t\ttype ipv4_addr
\t\tflags interval
\t}
\tset reserved {
\t\ttype ipv4_addr
\t\tflags interval
\t}
\tset internet_interfaces {
\t\ttype ifname
\t}
\tchain input {
\t\ttype filter hook input priority filter - 5; policy accept;
\t}
\tchain forward {
\t\ttype filter hook forward priority filter - 5; policy accept;
\t}
}
flush chain inet portal_blocklist input
flush chain inet portal_blocklist forward
flush set inet portal_blocklist networks
flush set inet portal_blocklist reserved
add element inet portal_blocklist networks {
\t45.33.32.0/24,
\t185.220.101.0/24
}
add element inet portal_blocklist reserved {
\t0.0.0.0/8,
\t10.0.0.0/8,
\t100.64.0.0/10,
\t127.0.0.0/8,
\t169.254.0.0/16,
\t172.16.0.0/12,
\t192.0.0.0/24,
\t192.0.2.0/24,
\t192.168.0.0/16,
\t198.18.0.0/15,
\t198.51.100.0/24,
\t203.0.113.0/24,
\t224.0.0.0/4,
\t240.0.0.0/4
}
add rule inet portal_blocklist input ip saddr @networks drop
add rule inet portal_blocklist input iifname @internet_interfaces ip saddr @reserved drop
add rule inet portal_blocklist forward ip saddr @networks drop
add rule inet portal_blocklist forward iifname @internet_interfaces ip saddr @reserved drop
"""


@pytest.fixture
def files(seen):
    seen("45.33.32.156", reporter=0, targets=hosts(3), events=5)
    seen("45.33.32.157", reporter=1, targets=hosts(2), events=3)
    seen("185.220.101.4", targets=hosts(2), events=3)
    NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", country="US", abuse_emails=["abuse@linode.com"]
    )
    return blocklist.build(DAY).files


def test_block_txt(files):
    assert files["block.txt"] == TEXT


def test_iptables_rules(files):
    assert files["iptables.rules"] == IPTABLES


def test_nftables_nft(files):
    assert files["nftables.nft"] == NFTABLES


def test_block_json(files):
    text = files["block.json"]
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert list(document) == ["day", "first_day", "last_day", "url", "definition", "entries"]
    assert (document["day"], document["first_day"], document["last_day"], document["url"]) == (
        "2026-11-20",
        "2026-11-17",
        "2026-11-19",
        "http://localhost:8000/blocklist/",
    )
    assert document["definition"].startswith("The 20 IPv4 /24 networks seen by the most independent reporters")
    ranked = {
        "start": "45.33.32.0",
        "end": "45.33.32.255",
        "netblock": 24,
        "cidr": "45.33.32.0/24",
        "attacks": 8,
        "targets": 5,  # the same three addresses of two reporters: 3 + 2
        "reporters": 2,
        "name": "LINODE",
        "country": "US",
        "abuse": "abuse@linode.com",
        "reserved": False,
        "first_seen": "2026-11-19T10:00:00+00:00",
        "last_seen": "2026-11-19T10:05:00+00:00",
        "explained": "http://localhost:8000/subnet/45.33.32.0/24/",
    }
    assert document["entries"][0] == {"rank": 1, **ranked}
    assert document["entries"][1] == {
        "rank": 2,
        "start": "185.220.101.0",
        "end": "185.220.101.255",
        "netblock": 24,
        "cidr": "185.220.101.0/24",
        "attacks": 3,
        "targets": 2,
        "reporters": 1,
        "name": "",
        "country": "",
        "abuse": "",
        "reserved": False,
        "first_seen": "2026-11-19T10:00:00+00:00",
        "last_seen": "2026-11-19T10:05:00+00:00",
        "explained": "http://localhost:8000/subnet/185.220.101.0/24/",
    }
    reserved = document["entries"][2:]
    assert [(e["cidr"], e["name"]) for e in reserved] == [(r.cidr, f"reserved: {r.name} ({r.rfc})") for r in RESERVED]
    assert reserved[2] == {
        "rank": None,
        "start": "100.64.0.0",
        "end": "100.127.255.255",
        "netblock": 10,
        "cidr": "100.64.0.0/10",
        "attacks": None,
        "targets": None,
        "reporters": None,
        "name": "reserved: Shared Address Space (RFC 6598)",
        "country": "",
        "abuse": "",
        "first_seen": None,
        "last_seen": None,
        "explained": None,
        "reserved": True,
    }


def test_registry_text_cannot_break_a_line_or_reach_a_rule_file(seen):
    seen("45.33.32.156")
    NetworkContact.objects.create(
        netblock="45.33.32.0/24", organisation='Evil\tCorp\n-A PORTAL-BLOCKLIST -j ACCEPT "', country="US"
    )
    files = blocklist.build(DAY).files
    line = next(line for line in files["block.txt"].splitlines() if not line.startswith("#"))
    assert line.split("\t") == [
        "45.33.32.0",
        "45.33.32.255",
        "24",
        "1",
        'Evil Corp -A PORTAL-BLOCKLIST -j ACCEPT "',
        "US",
        "",
    ]
    for name in ("iptables.rules", "nftables.nft"):
        assert "Evil" not in files[name] and "ACCEPT" not in files[name]
