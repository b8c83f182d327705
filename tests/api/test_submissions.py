import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.ingest import ingest_submission
from incidents.models import Submission
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"


def test_raw_text_is_stored_queued_and_answered_with_its_status_url(
    as_user, recent, django_capture_on_commit_callbacks
):
    user = UserFactory(timezone="Europe/Berlin")
    with django_capture_on_commit_callbacks() as queued:
        response = as_user(user).post(URL + "?format=iptables", iptables_line(recent), content_type="text/plain")
    assert response.status_code == 202, response.content
    submission = Submission.objects.get(user=user)
    assert (submission.channel, submission.status, submission.declared_format, submission.timezone) == (
        "api",
        "queued",
        "iptables",
        "Europe/Berlin",  # the profile's zone when none is given
    )
    assert len(queued) == 1
    body = response.json()
    assert body["id"] == submission.pk
    assert body["url"] == f"http://testserver{URL}{submission.pk}/" == response["Location"]
    assert body["status"] == "queued"


def test_processed_log_shows_exact_counts_and_rejected_lines(as_user, recent, django_capture_on_commit_callbacks):
    user = UserFactory()
    client = as_user(user)
    log = (
        iptables_line(recent)
        + iptables_line(recent)  # the same line again: a duplicate
        + iptables_line(recent, src="1.2.3.999")  # rejected
        + iptables_line(recent, src="45.33.32.156", dpt=23)
    )
    with django_capture_on_commit_callbacks() as queued:
        created = client.post(URL + "?timezone=UTC", log, content_type="text/plain").json()
    assert len(queued) == 1
    ingest_submission(created["id"])  # what the queued task does in the worker
    detail = client.get(created["url"]).json()
    assert detail["status"] == "done"
    assert detail["detected_format"] == "iptables"
    counts = ("lines", "accepted", "duplicate", "filtered", "allowed", "not_traffic", "skipped", "rejected")
    assert {k: detail[k] for k in counts} == {
        "lines": 4,
        "accepted": 2,
        "duplicate": 1,
        "filtered": 0,
        "allowed": 0,
        "not_traffic": 0,
        "skipped": 0,
        "rejected": 1,
    }
    assert (detail["skipped_reasons"], detail["mostly_rejected"]) == ({}, False)
    assert detail["rejected_lines"] == [
        {
            "line": 3,
            "reason": "invalid IPv4 address '1.2.3.999'",
            "text": iptables_line(recent, src="1.2.3.999").strip(),
        }
    ]
    assert detail["progress"] == {"percent": 100, "lines_read": 4, "finished": True}


def test_progress_while_parsing_comes_from_the_worker(as_user, recent):
    from django.core.cache import cache

    from incidents.ingest import progress_key

    user = UserFactory()
    client = as_user(user)
    created = client.post(URL, iptables_line(recent), content_type="text/plain").json()
    Submission.objects.filter(pk=created["id"]).update(status="parsing")
    cache.set(progress_key(created["id"]), {"bytes": 50, "total": 200, "lines": 7})
    assert client.get(created["url"]).json()["progress"] == {"percent": 25, "lines_read": 7, "finished": False}


def test_gzip_body_and_multipart_file_are_taken_too(as_user, recent):
    user = UserFactory()
    client = as_user(user)
    data = gzip.compress(iptables_line(recent).encode())
    assert client.post(URL + "?name=fw.log.gz", data, content_type="application/gzip").status_code == 202
    upload = SimpleUploadedFile("fw.log", iptables_line(recent, dpt=80).encode())
    response = client.post(URL, {"file": upload, "format": "iptables", "timezone": "UTC"}, format="multipart")
    assert response.status_code == 202, response.content
    by_name = {s.name: s for s in Submission.objects.filter(user=user)}
    assert set(by_name) == {"fw.log.gz", "fw.log"}
    with by_name["fw.log.gz"].raw.open("rb") as raw:
        assert raw.read() == data  # stored as sent
    for submission in by_name.values():
        ingest_submission(submission.pk)
    assert sorted(Submission.objects.filter(user=user).values_list("accepted", flat=True)) == [1, 1]


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ("?format=nonsense", "x\n", "not a valid choice"),
        ("?timezone=Nowhere/Land", "x\n", "not a valid choice"),
        ("", "", "The body is empty"),
    ],
)
def test_bad_submissions_are_refused_with_400(as_user, query, body, message):
    user = UserFactory()
    response = as_user(user).post(URL + query, body, content_type="text/plain")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Submission.objects.exists()


def test_oversized_log_is_413_with_the_upload_message(as_user, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client = as_user(UserFactory())
    response = client.post(URL, "x" * (settings.UPLOAD_MAX_BYTES + 1), content_type="text/plain")
    assert response.status_code == 413
    assert "the limit is 1 MB. Compress it with gzip or zip, or split it into parts." in response.json()["detail"]
    upload = SimpleUploadedFile("big.log", b"x" * (settings.UPLOAD_MAX_BYTES + 1))
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert "the limit is 1 MB" in response.json()["detail"]
    assert not Submission.objects.exists()


def test_who_may_read_submissions(api, as_user, submit, recent):
    owner, other = UserFactory(), UserFactory()
    mine = submit(owner, text=iptables_line(recent), name="owner-secret.log")
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{mine.pk}/").status_code == 401
    assert api.post(URL, "x\n", content_type="text/plain").status_code == 401

    stranger = as_user(other)
    assert stranger.get(f"{URL}{mine.pk}/").status_code == 404  # not 403: it does not exist for them
    assert stranger.get(URL).json()["results"] == []

    listed = as_user(owner).get(URL).json()
    assert [s["name"] for s in listed["results"]] == ["owner-secret.log"]
    # The stored file's path and the reply address are the worker's business.
    assert not {"raw", "reply_to", "attempts", "user"} & set(listed["results"][0])


def test_list_is_paginated_and_filterable(as_user, submit, recent):
    user = UserFactory()
    for n in range(3):
        submit(user, text=iptables_line(recent, dpt=20 + n), name=f"log{n}", run=n != 2)
    client = as_user(user)
    page = client.get(URL + "?limit=2").json()
    assert (page["count"], len(page["results"]), page["previous"]) == (3, 2, None)
    assert [s["name"] for s in page["results"]] == ["log2", "log1"]
    assert [s["name"] for s in client.get(page["next"]).json()["results"]] == ["log0"]
    assert [s["name"] for s in client.get(URL + "?status=queued").json()["results"]] == ["log2"]


def test_session_writes_need_the_csrf_token(recent):
    from rest_framework.test import APIClient

    user = UserFactory()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(URL).status_code == 200  # reading with the session is fine
    response = browser.post(URL, iptables_line(recent), content_type="text/plain")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Submission.objects.exists()
