"""Creating submissions: every channel (upload, paste, mail, API) comes here."""

import gzip
import io
import os
import shutil
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction

from .logfile import kind_of
from .models import Submission
from .parsers import BY_NAME


class SubmissionTooLarge(ValueError):
    pass


def _limit_message(size: int) -> str:
    mb = settings.UPLOAD_MAX_BYTES / (1024 * 1024)
    return (
        f"The log is {size / (1024 * 1024):.1f} MB; the limit is {mb:.0f} MB. "
        "Compress it with gzip or zip, or split it into parts."
    )


def check_size(size: int) -> None:
    """Refuse a log over the limit, with the message every channel shows."""
    if size > settings.UPLOAD_MAX_BYTES:
        raise SubmissionTooLarge(_limit_message(size))


def _file_name(name: str) -> str:
    """A submission's name as it can be stored and shown: a mail's subject or attachment name
    is whatever the sender wrote, and NUL (PostgreSQL refuses it), control characters and
    lone surrogates (from raw 8-bit headers) are dropped."""
    return "".join(c for c in name if c.isprintable()).encode("utf-8", errors="replace").decode("utf-8")[:255]


def submission_create(
    *,
    user,
    channel: str,
    fileobj=None,
    text: str | None = None,
    name: str = "",
    declared_format: str = "",
    timezone: str | None = None,
    reply_to: str = "",
    client_ip: str | None = None,
) -> Submission:
    """Store the log as it came (compressed if it came plain) and queue it.

    ``fileobj`` is a binary file (an upload or a mail attachment); ``text`` is
    pasted text. The raw log is kept so processing can always be run again.
    """
    if declared_format and declared_format not in BY_NAME:
        raise ValueError(f"unknown format {declared_format!r}")
    if text is not None:
        # Pasted text is already bounded by the request size limit.
        fileobj = io.BytesIO(text.encode("utf-8"))
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    check_size(size)
    kind = kind_of(fileobj.read(4))
    fileobj.seek(0)

    with tempfile.TemporaryFile() as stored:
        if kind == "text":
            with gzip.GzipFile(fileobj=stored, mode="wb", compresslevel=1) as packed:
                shutil.copyfileobj(fileobj, packed, 1024 * 1024)
            suffix = ".gz"
        else:
            shutil.copyfileobj(fileobj, stored, 1024 * 1024)
            suffix = ".gz" if kind == "gzip" else ".zip"
        stored_size = stored.tell()
        stored.seek(0)
        submission = Submission(
            user=user,
            channel=channel,
            name=_file_name(name) or "pasted text",
            declared_format=declared_format,
            timezone=timezone or user.timezone,
            raw_size=stored_size,
            reply_to=reply_to,
            client_ip=client_ip,
        )
        with transaction.atomic():
            submission.save()
            submission.raw.save(f"{submission.pk}{suffix}", File(stored), save=False)
            submission.save(update_fields=["raw"])
            transaction.on_commit(lambda: _queue(submission.pk))
    return submission


def _queue(submission_id: int) -> None:
    from .tasks import ingest_submission

    ingest_submission.delay(submission_id)
