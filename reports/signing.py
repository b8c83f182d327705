"""The block list's signing key: ECDSA P-256 with SHA-256.

Chosen so that anyone can check a file with the OpenSSL they already have
(``openssl dgst -sha256 -verify KEY -signature FILE.sig FILE``, the same on
OpenSSL 1.1, 3.x and LibreSSL), while the portal signs in-process with the
``cryptography`` package: nothing is shelled out, and files are signed once,
at build time. Signatures are DER, as ``openssl dgst -sign`` writes them.

The key is a PEM file (PKCS#8 or SEC1, unencrypted) named by
BLOCKLIST_SIGNING_KEY_FILE. Without that setting a key is generated once
under VAR_DIR, readable by its owner only, and reused: enough for one host;
several hosts must share one configured key, or the published key would
change with whichever host built the day's list.
"""

import contextlib
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_KEY_NAME = "blocklist-signing-key.pem"


def key_path() -> Path:
    configured = settings.BLOCKLIST_SIGNING_KEY_FILE
    return Path(configured) if configured else Path(settings.VAR_DIR) / DEFAULT_KEY_NAME


def load_key() -> ec.EllipticCurvePrivateKey:
    path = key_path()
    if not settings.BLOCKLIST_SIGNING_KEY_FILE and not path.exists():
        _generate(path)
    # A configured key that is missing is an error, not a reason to make one:
    # users pin the published key, and a silent new one would break them.
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"block list signing key {path}: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImproperlyConfigured(f"block list signing key {path}: must be an EC P-256 (prime256v1) key")
    return key


def _generate(path: Path) -> None:
    """Write a new key with mode 0600. It is written beside its final name and
    linked into place, so two processes starting at once keep one key and
    neither ever reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        # If another process won the race, its key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def fingerprint(pem: str) -> str:
    """SHA-256 of the DER public key, as
    ``openssl pkey -pubin -in KEY -outform DER | sha256sum`` prints it."""
    der = serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()
