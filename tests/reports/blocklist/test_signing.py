import os
import stat
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from reports import blocklist, signing

from .conftest import DAY, hosts

pytestmark = pytest.mark.django_db


def openssl_verify(tmp_path, public_key: str, name: str, data: bytes, signature: bytes):
    """What the page tells users to run, in a subprocess."""
    (tmp_path / "signing-key.pem").write_text(public_key)
    (tmp_path / name).write_bytes(data)
    (tmp_path / f"{name}.sig").write_bytes(signature)
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "signing-key.pem", "-signature", f"{name}.sig", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def snapshot(seen):
    seen("45.33.32.156", targets=hosts(3))
    return blocklist.build(DAY)


@pytest.mark.parametrize("name", ["block.txt", "block.json", "iptables.rules", "nftables.nft"])
def test_openssl_verifies_each_file_and_rejects_a_changed_one(snapshot, tmp_path, name):
    data = snapshot.files[name].encode()
    good = openssl_verify(tmp_path, snapshot.public_key, name, data, snapshot.signature(name))
    assert (good.returncode, good.stdout.strip()) == (0, "Verified OK")
    tampered = data.replace(b"45.33.32.0", b"45.33.31.0")
    assert tampered != data
    bad = openssl_verify(tmp_path, snapshot.public_key, name, tampered, snapshot.signature(name))
    assert bad.returncode == 1 and "Verification failure" in bad.stdout
    # Nor does another file's signature pass.
    other = "block.json" if name != "block.json" else "block.txt"
    swapped = openssl_verify(tmp_path, snapshot.public_key, name, data, snapshot.signature(other))
    assert swapped.returncode == 1


def test_default_key_is_generated_once_under_var_dir_owner_only(key_dir, seen):
    path = key_dir / signing.DEFAULT_KEY_NAME
    assert not path.exists()
    first = blocklist.build(DAY)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    pem = path.read_bytes()
    second = blocklist.build(DAY.replace(day=DAY.day + 1))
    assert path.read_bytes() == pem and second.public_key == first.public_key
    assert [p.name for p in key_dir.iterdir()] == [signing.DEFAULT_KEY_NAME]  # no temporary left behind


def test_a_configured_key_made_by_openssl_signs(settings, tmp_path, seen):
    key = tmp_path / "site-key.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key)],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout"], check=True, capture_output=True, text=True)
    settings.BLOCKLIST_SIGNING_KEY_FILE = str(key)
    snapshot = blocklist.build(DAY)
    assert snapshot.public_key == public.stdout
    assert not (tmp_path / signing.DEFAULT_KEY_NAME).exists()
    result = openssl_verify(
        tmp_path, public.stdout, "block.txt", snapshot.files["block.txt"].encode(), snapshot.signature("block.txt")
    )
    assert result.returncode == 0


def test_a_configured_key_that_is_missing_or_not_p256_is_refused(settings, tmp_path):
    settings.BLOCKLIST_SIGNING_KEY_FILE = str(tmp_path / "nowhere.pem")
    with pytest.raises(ImproperlyConfigured, match=r"nowhere\.pem"):
        signing.load_key()
    assert not (tmp_path / "nowhere.pem").exists()  # never made up where one was named
    ed25519 = tmp_path / "ed25519.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", str(ed25519)], check=True)
    settings.BLOCKLIST_SIGNING_KEY_FILE = str(ed25519)
    with pytest.raises(ImproperlyConfigured, match="P-256"):
        signing.load_key()
