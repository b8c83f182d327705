"""The rule files load in the real tools: each test runs them in a network
namespace of its own (unshare -n), so the machine's firewall is untouched,
and loads twice, as a daily job would."""

import json
import shutil
import subprocess

import pytest

from reports import blocklist

from .conftest import DAY, hosts

pytestmark = pytest.mark.django_db


def in_namespace(script: str, files: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return subprocess.run(["unshare", "-n", "sh", "-ec", script], cwd=tmp_path, capture_output=True, text=True)


def prefix(element: dict) -> str:
    return f"{element['prefix']['addr']}/{element['prefix']['len']}"


def needs(tool: str):
    if not shutil.which(tool) or not shutil.which("unshare"):
        pytest.skip(f"{tool} is not installed (make system-test-deps)")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("no network namespace for a throwaway firewall here (needs CAP_SYS_ADMIN)")


@pytest.fixture
def files(seen):
    seen("45.33.32.156", targets=hosts(3))
    seen("185.220.101.4", targets=hosts(2))
    return blocklist.build(DAY).files


def test_iptables_restore_loads_the_chain_and_reloads_it_in_place(files, tmp_path):
    needs("iptables-restore")
    result = in_namespace(
        "iptables-restore --test --noflush < iptables.rules\n"
        "iptables -N MINE\n"
        "iptables-restore --noflush < iptables.rules\n"
        "iptables -A INPUT -i eth0 -j PORTAL-BLOCKLIST\n"
        "iptables-restore --noflush < iptables.rules\n"
        "iptables -S",
        {"iptables.rules": files["iptables.rules"]},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rules = result.stdout.splitlines()
    # Each load replaced the chain's rules; the user's own chain and jump were left alone.
    assert rules.count('-A PORTAL-BLOCKLIST -s 45.33.32.0/24 -m comment --comment "rank 1" -j DROP') == 1
    assert '-A PORTAL-BLOCKLIST -s 185.220.101.0/24 -m comment --comment "rank 2" -j DROP' in rules
    assert "-A PORTAL-BLOCKLIST -s 192.168.0.0/16 -m comment --comment reserved -j DROP" in rules
    assert "-N MINE" in rules and rules.count("-A INPUT -i eth0 -j PORTAL-BLOCKLIST") == 1
    assert len([r for r in rules if r.startswith("-A PORTAL-BLOCKLIST")]) == 2 + 14


def test_iptables_restore_refuses_a_broken_file(tmp_path):
    needs("iptables-restore")
    result = in_namespace(
        "iptables-restore --test --noflush < bad.rules", {"bad.rules": "*filter\n-A NOWHERE -s 1.2.3.0/24\n"}, tmp_path
    )
    assert result.returncode != 0


def test_nft_loads_the_table_and_sets_and_keeps_the_interfaces_named(files, tmp_path):
    needs("nft")
    result = in_namespace(
        "nft -c -f nftables.nft\n"
        "nft -f nftables.nft\n"
        'nft add element inet portal_blocklist internet_interfaces { "eth0" }\n'
        "nft -f nftables.nft\n"
        "nft -j list table inet portal_blocklist",
        {"nftables.nft": files["nftables.nft"]},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["nftables"]
    sets = {o["set"]["name"]: o["set"].get("elem", []) for o in listed if "set" in o}
    assert [prefix(e) for e in sets["networks"]] == ["45.33.32.0/24", "185.220.101.0/24"]
    assert len(sets["reserved"]) == 14 and "10.0.0.0/8" in [prefix(e) for e in sets["reserved"]]
    assert sets["internet_interfaces"] == ["eth0"]
    rules = [o["rule"] for o in listed if "rule" in o]
    assert len(rules) == 4  # two per chain, not doubled by the second load
    chains = {o["chain"]["name"]: o["chain"] for o in listed if "chain" in o}
    assert {(c["hook"], c["prio"], c["policy"]) for c in chains.values()} == {
        ("input", -5, "accept"),
        ("forward", -5, "accept"),
    }


def test_nft_refuses_a_broken_file(tmp_path):
    needs("nft")
    result = in_namespace(
        "nft -c -f bad.nft",
        {"bad.nft": "table inet x { set s { type ipv4_addr; } }\nadd element inet x s { }\n"},
        tmp_path,
    )
    assert result.returncode != 0
