"""The upload and paste view against bad input, through Django's test
client: any file name (path traversal, control characters, very long,
other scripts), content type and body, and multipart bodies broken by
hand. The answer is a redirect to a stored submission or the form again
with a reason; never a server error (the test client raises on one)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from incidents.models import Submission
from tests.factories import UserFactory
from tests.incidents.conftest import gz, iptables_line

from .counting import heavy, tried
from .strategies import NASTY

pytestmark = pytest.mark.django_db
A_LOG = iptables_line(datetime.now(UTC) - timedelta(hours=1)).encode()
BOUNDARY = "fuzzboundary7MA4YWxkTrZu0gW"

names = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "/abs/path.log",
            "fw\x00.log",
            "fw\r\nX-Injected: 1.log",
            "CON",
            ".",
            "..",
            "",
            "\u202efig.exe.log",
            "x" * 5000,
            "журнал.log.gz",
        ]
    ),
    st.lists(st.sampled_from(NASTY), max_size=12).map("".join),
)
content_types = st.one_of(
    st.sampled_from(["text/plain", "application/gzip", "application/zip", "application/octet-stream", "", "a/b; x="]),
    st.text(max_size=60),
)


@pytest.fixture
def signed_in(client):
    user = UserFactory()
    client.force_login(user)
    return client, user


def multipart(parts: list[tuple[bytes, bytes]]) -> bytes:
    """A multipart/form-data body from (headers, content) pairs."""
    body = b""
    for headers, content in parts:
        body += b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--" + BOUNDARY.encode() + b"--\r\n"


def field(name: str, value: str) -> tuple[bytes, bytes]:
    return f'Content-Disposition: form-data; name="{name}"'.encode(), value.encode()


def post(client, body: bytes):
    return client.generic(
        "POST", reverse("submission-new"), body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def assert_answered(response, user, before: int) -> None:
    created = Submission.objects.filter(user=user).count() - before
    if response.status_code == 302:
        assert created == 1
        sub = Submission.objects.filter(user=user).latest("pk")
        assert response["Location"] == sub.get_absolute_url()
        assert len(sub.name) <= 255 and "\x00" not in sub.name and "/" not in sub.name and "\\" not in sub.name
    elif response.status_code == 200:  # a POST with no fields at all shows the empty form, as a GET does
        assert created == 0 and not response.context["form"].is_bound
    else:
        assert response.status_code in (400, 413), response.status_code
        assert created == 0
        # The form again with its reasons, or (a body Django cannot parse) Django's own 400 page.
        assert response.context is None or response.context["form"].errors


@heavy(0.25)
@given(
    name=names,
    content_type=content_types,
    content=st.one_of(st.binary(max_size=500), st.just(A_LOG), st.just(gz(A_LOG.decode()))),
    fmt=st.sampled_from(["", "iptables", "nonsense", "dshield"]),
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "Mars/Olympus", ""]),
)
def test_any_file_name_type_and_body_is_answered(signed_in, name, content_type, content, fmt, timezone):
    client, user = signed_in
    before = Submission.objects.filter(user=user).count()
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    disposition = f'Content-Disposition: form-data; name="file"; filename="{quoted}"'
    headers = disposition.encode("utf-8", errors="surrogateescape") + f"\r\nContent-Type: {content_type}".encode()
    body = multipart([(headers, content), field("format", fmt), field("timezone", timezone)])
    assert_answered(post(client, body), user, before)
    tried("upload.file")


@heavy(0.25)
@given(text=st.text(max_size=400), fmt=st.sampled_from(["", "iptables", "generic_csv"]))
def test_any_pasted_text_is_answered(signed_in, text, fmt):
    client, user = signed_in
    before = Submission.objects.filter(user=user).count()
    response = client.post(reverse("submission-new"), {"text": text, "format": fmt, "timezone": "UTC"})
    assert_answered(response, user, before)
    tried("upload.paste")


@heavy(0.25)
@given(body=st.binary(max_size=600), cut=st.integers(0, 400))
def test_broken_multipart_bodies_are_answered(signed_in, body, cut):
    client, user = signed_in
    before = Submission.objects.filter(user=user).count()
    good = multipart(
        [(b'Content-Disposition: form-data; name="file"; filename="fw.log"', b"x\n"), field("timezone", "UTC")]
    )
    # Half the time arbitrary bytes, half a well-formed body cut and patched with them.
    mangled = body if cut % 2 else good[:cut] + body[:40] + good[cut + 40 :]
    assert_answered(post(client, mangled), user, before)
    tried("upload.multipart")


def test_an_oversize_upload_gets_the_limit_in_its_message(signed_in, settings):
    client, user = signed_in
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    headers = b'Content-Disposition: form-data; name="file"; filename="big.log"\r\nContent-Type: text/plain'
    content = A_LOG * (1024 * 1024 // len(A_LOG) + 20)  # just past the limit, within the body's slack
    response = post(client, multipart([(headers, content), field("timezone", "UTC")]))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The file is 1.0 MB; the limit is 1 MB. Compress it with gzip or zip, or split it into parts."
    ]
    assert not Submission.objects.filter(user=user).exists()


def test_a_body_past_the_limit_is_refused_before_it_is_read(signed_in, settings):
    client, user = signed_in
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    response = client.generic(
        "POST",
        reverse("submission-new"),
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
    )
    assert response.status_code == 413  # was a server error: add_error on the unbound form
    assert "The upload is larger than the limit of 1 MB." in response.content.decode()
    assert not Submission.objects.filter(user=user).exists()
