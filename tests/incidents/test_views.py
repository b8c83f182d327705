import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Submission
from tests.factories import UserFactory
from tests.incidents.conftest import gz, iptables_line

pytestmark = pytest.mark.django_db


def test_pages_need_sign_in(client):
    for name in ("submission-new", "submission-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_form_defaults_to_the_profile_zone(client):
    client.force_login(UserFactory(timezone="America/Chicago"))
    form = client.get(reverse("submission-new")).context["form"]
    assert form.fields["timezone"].initial == "America/Chicago"


def test_paste_creates_a_queued_submission(client, recent, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("submission-new"), {"text": iptables_line(recent), "format": "iptables", "timezone": "UTC"}
        )
    sub = Submission.objects.get(user=user)
    assert response["Location"] == sub.get_absolute_url()
    assert (sub.channel, sub.status, sub.declared_format, sub.name) == ("web", "queued", "iptables", "pasted text")
    assert len(queued) == 1  # the ingest task is sent once the row is committed


def test_upload_keeps_the_file_compressed(client, recent):
    user = UserFactory()
    client.force_login(user)
    upload = SimpleUploadedFile("fw.log", iptables_line(recent).encode() * 100)
    client.post(reverse("submission-new"), {"file": upload, "timezone": "UTC"})
    sub = Submission.objects.get(user=user)
    with sub.raw.open("rb") as raw:
        assert raw.read(2) == b"\x1f\x8b"
    assert sub.raw_size < len(iptables_line(recent)) * 100
    assert sub.name == "fw.log"


def test_gzip_upload_is_stored_as_sent(client, recent):
    user = UserFactory()
    client.force_login(user)
    data = gz(iptables_line(recent))
    client.post(reverse("submission-new"), {"file": SimpleUploadedFile("fw.log.gz", data), "timezone": "UTC"})
    with Submission.objects.get(user=user).raw.open("rb") as raw:
        assert raw.read() == data


def test_oversized_upload_is_refused_with_a_clear_message(client, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(UserFactory())
    upload = SimpleUploadedFile("big.log", b"x" * (settings.UPLOAD_MAX_BYTES + 1))
    response = client.post(reverse("submission-new"), {"file": upload, "timezone": "UTC"})
    assert response.status_code in (400, 413)
    assert b"the limit is 1 MB" in response.content or b"larger than the limit of 1 MB" in response.content
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"timezone": "UTC"}, b"Upload a file or paste log lines"),
        ({"timezone": "UTC", "text": "x", "format": "nonsense"}, b"Select a valid choice"),
        ({"timezone": "Nowhere/Land", "text": "x"}, b"Select a valid choice"),
    ],
)
def test_bad_forms_are_refused(client, data, message):
    client.force_login(UserFactory())
    response = client.post(reverse("submission-new"), data)
    assert response.status_code == 400
    assert message in response.content
    assert not Submission.objects.exists()


def test_detail_shows_counts_and_rejected_lines(client, submit, recent):
    user = UserFactory()
    sub = submit(user, text=iptables_line(recent) + iptables_line(recent, src="1.2.3.999"))
    client.force_login(user)
    page = client.get(sub.get_absolute_url()).content.decode()
    assert 'data-count="accepted">1<' in page
    assert 'data-count="rejected">1<' in page
    assert "invalid IPv4 address" in page


def test_detail_escapes_log_text(client, submit, recent):
    user = UserFactory()
    sub = submit(user, text=iptables_line(recent, src="<script>alert(1)</script>"), fmt="iptables")
    client.force_login(user)
    page = client.get(sub.get_absolute_url()).content
    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;" in page


def test_submissions_are_private(client, submit, recent):
    owner, other = UserFactory(), UserFactory()
    sub = submit(owner, text=iptables_line(recent), name="owner-secret.log")
    client.force_login(other)
    assert client.get(sub.get_absolute_url()).status_code == 404
    assert client.get(reverse("submission-progress", args=[sub.pk])).status_code == 404
    assert b"owner-secret.log" not in client.get(reverse("submission-list")).content
    client.force_login(owner)
    assert b"owner-secret.log" in client.get(reverse("submission-list")).content
