"""DShield's own HTTP clients, unchanged but for their URL and credentials.

The requests are built exactly as the clients build them: DShield.py
(``makeauthheader`` and ``post``, used by fwlogparser.py) and dshield.pl
(the ``submit`` routine), from DShield-ISC/dshield."""

import base64
import gzip
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime

import pytest

from incidents.ingest import ingest_submission
from incidents.models import Event, Submission
from portal.models import DShieldKey
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBMITAPI = "/api/v1/dshield/submitapi/"
DSHIELDLOG = "/api/v1/dshield/file/dshieldlog"


def python_client_header(userid, key: str) -> str:
    """DShield.py's makeauthheader()."""
    nonce = base64.b64encode(os.urandom(8))
    digest = hmac.new(nonce + str(userid).encode(), msg=key.encode(), digestmod=hashlib.sha256).digest()
    credentials = base64.b64encode(digest).decode()
    return f"ISC-HMAC-SHA256 Credentials={credentials} Userid={userid} Nonce={nonce.decode().rstrip()}"


def perl_client_header(userid, key: str) -> str:
    """dshield.pl: hmac_sha256_base64(decode_base64($apikey), $nonce.$userid), Perl's base64 without padding."""
    nonce = hmac.new(b"12345", b"4242", hashlib.sha256).digest()  # hmac_sha256(rand(), $$)
    digest = hmac.new(nonce + str(userid).encode(), base64.b64decode(key), hashlib.sha256).digest()
    credentials = base64.b64encode(digest).decode().rstrip("=")
    return f"credentials={credentials} nonce={base64.b64encode(nonce).decode()} userid={userid}"


@pytest.fixture
def credentials(as_user):
    user = UserFactory()
    issued = as_user(user).post("/api/v1/dshield/key/").json()
    return user, issued["userid"], issued["apikey"]


def firewall_post(api, userid, key, logs):
    header = python_client_header(userid, key)
    body = {"type": "firewall", "logs": logs, "authheader": header}
    return api.post(
        SUBMITAPI,
        json.dumps(body),
        content_type="application/json",
        HTTP_X_ISC_AUTHORIZATION=header,
        HTTP_X_ISC_LOGTYPE="firewall",
        HTTP_USER_AGENT="DShield PyLib 0.1",
    )


def test_issued_key_looks_like_a_dshield_key_and_is_not_stored(as_user):
    user = UserFactory()
    issued = as_user(user).post("/api/v1/dshield/key/")
    assert issued.status_code == 201
    data = issued.json()
    assert 10**8 <= data["userid"] < 10**9
    assert data["submitapi_url"] == f"http://testserver{SUBMITAPI}"
    # DShield.py accepts only keys matching ^[a-zA-Z0-9=+/]+$.
    assert set(data["apikey"]) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=+/")
    row = DShieldKey.objects.get(user=user)
    assert data["apikey"] not in str(DShieldKey.objects.filter(pk=row.pk).values().get())
    shown = as_user(user).get("/api/v1/dshield/key/").json()
    assert shown["userid"] == data["userid"] and "apikey" not in shown


def test_python_client_posts_firewall_records(api, credentials, recent):
    user, userid, key = credentials
    epoch = int(recent.timestamp())
    logs = [
        {
            "time": epoch,
            "sip": "45.33.32.156",
            "dip": "198.51.100.7",
            "proto": 6,
            "sport": "51234",
            "dport": "22",
            "flags": "S",
            "version": 4,
        },
        {
            "time": epoch,
            "sip": "45.33.32.157",
            "dip": "198.51.100.7",
            "proto": 1,
            "sport": "8",
            "dport": "0",
            "flags": "",
            "version": 4,
        },
        {
            "time": epoch,
            "sip": "1.2.3.999",
            "dip": "198.51.100.7",
            "proto": 17,
            "sport": "5",
            "dport": "53",
            "flags": "",
            "version": 4,
        },
    ]
    response = firewall_post(api, userid, key, logs)
    assert response.status_code == 200, response.content  # the client takes anything else as a failure
    submission = Submission.objects.get(pk=response.json()["submission"])
    assert (submission.user, submission.channel, submission.declared_format) == (user, "api", "dshield")
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    assert (submission.status, submission.lines, submission.accepted, submission.rejected) == ("done", 3, 2, 1)
    assert submission.rejected_lines[0]["line"] == 3
    events = {str(e.source_ip): e for e in Event.objects.filter(reporter=user)}
    assert events["45.33.32.156"].time == recent.astimezone(UTC)
    assert (events["45.33.32.156"].tcp_flags, events["45.33.32.157"].protocol) == ("S", "icmp")


def test_other_log_types_are_refused(api, credentials):
    _, userid, key = credentials
    header = python_client_header(userid, key)
    response = api.post(SUBMITAPI, {"type": "sshlogin", "logs": []}, format="json", HTTP_X_ISC_AUTHORIZATION=header)
    assert response.status_code == 400
    assert "Only firewall logs" in response.json()["detail"]


def test_a_replayed_header_is_refused(api, credentials, recent):
    _, userid, key = credentials
    header = python_client_header(userid, key)
    body = {"type": "firewall", "logs": []}
    first = api.post(SUBMITAPI, body, format="json", HTTP_X_ISC_AUTHORIZATION=header)
    again = api.post(SUBMITAPI, body, format="json", HTTP_X_ISC_AUTHORIZATION=header)
    assert (first.status_code, again.status_code) == (200, 401)
    assert "nonce" in again.json()["detail"]


@pytest.mark.parametrize(
    "make",
    [
        lambda userid, key: python_client_header(userid, base64.b64encode(b"x" * 32).decode()),  # wrong key
        lambda userid, key: python_client_header(userid + 1, key),  # someone else's id
        lambda userid, key: "ISC-HMAC-SHA256 Userid=1",
    ],
)
def test_wrong_credentials_are_refused(api, credentials, make):
    _, userid, key = credentials
    response = api.post(
        SUBMITAPI, {"type": "firewall", "logs": []}, format="json", HTTP_X_ISC_AUTHORIZATION=make(userid, key)
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "ISC-HMAC-SHA256"
    assert api.post(SUBMITAPI, {"type": "firewall", "logs": []}, format="json").status_code == 401
    assert not Submission.objects.exists()


def test_api_tokens_and_sessions_do_not_open_the_dshield_endpoints(as_user, credentials):
    user, _, _ = credentials
    assert as_user(user).post(SUBMITAPI, {"type": "firewall", "logs": []}, format="json").status_code == 401


def test_revoked_key_stops_working(api, as_user, credentials):
    user, userid, key = credentials
    assert as_user(user).delete("/api/v1/dshield/key/").status_code == 204
    assert firewall_post(api, userid, key, []).status_code == 401


def test_perl_client_puts_its_mail_like_log_and_gets_its_checksums(api, credentials, recent):
    user, userid, key = credentials
    tz = "-05:00"
    local = recent.astimezone(datetime.strptime(tz, "%z").tzinfo)
    lines = f"{local:%Y-%m-%d %H:%M:%S} {tz}\t{userid}\t1\t45.33.32.156\t51234\t198.51.100.7\t22\t6\tS\n"
    lines += f"{local:%Y-%m-%d %H:%M:%S} {tz}\t{userid}\t1\t45.33.32.157\t40000\t198.51.100.7\t23\t6\tS\n"
    subject = f"FORMAT DSHIELD USERID {userid} AUTHKEY {key} TZ {tz} CLIENTNAME RASPI Version 0.2"
    log = f"From: {user.email}\nSubject: {subject}\n\n{lines}"
    response = api.put(
        DSHIELDLOG,
        log.encode(),
        content_type="text/plain",
        HTTP_X_ISC_AUTHORIZATION=perl_client_header(userid, key),
        HTTP_USER_AGENT="dshield.pl submit script",
    )
    assert response.status_code == 200, response.content
    reply = response.content.decode()
    # What dshield.pl compares with what it sent.
    assert f"<bytes>{len(log.encode())}</bytes>" in reply
    assert f"<sha1checksum>{hashlib.sha1(log.encode(), usedforsecurity=False).hexdigest()}</sha1checksum>" in reply
    assert f"<md5checksum>{hashlib.md5(log.encode(), usedforsecurity=False).hexdigest()}</md5checksum>" in reply
    submission = Submission.objects.get(user=user)
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    # The header block (and the key on its subject line) is not kept as log lines.
    assert (submission.detected_format, submission.lines, submission.accepted, submission.rejected) == (
        "dshield",
        2,
        2,
        0,
    )
    with submission.raw.open("rb") as raw:
        assert key.encode() not in gzip.decompress(raw.read())
