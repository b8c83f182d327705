"""Polling the submission mailbox over IMAP.

Each unseen message is fetched without marking it (BODY.PEEK), processed, and
flagged \\Seen only after its submissions are committed. A crash in between
leaves it unseen; the next poll finds it again and the ledger (InboundMail)
recognises it, so nothing is lost and nothing is processed twice.
"""

import contextlib
import imaplib
import logging
import re

from django.conf import settings

from .mail_intake import receive_mail

log = logging.getLogger(__name__)
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def connect() -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if settings.IMAP_SSL else imaplib.IMAP4
    conn = cls(settings.IMAP_HOST, settings.IMAP_PORT, timeout=60)
    conn.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
    return conn


def poll(limit: int = 200) -> int:
    """Process up to ``limit`` unseen messages; return how many."""
    if not settings.IMAP_HOST:
        return 0
    conn = connect()
    try:
        conn.select(settings.IMAP_FOLDER)
        _, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()[:limit]
        for uid in uids:
            _, meta = conn.uid("FETCH", uid, "(RFC822.SIZE)")
            match = SIZE.search(b" ".join(part if isinstance(part, bytes) else b"" for part in meta))
            size = int(match.group(1)) if match else 0
            # Past the cap only the header is fetched: enough to answer, never the whole thing in memory.
            what = "(BODY.PEEK[HEADER])" if size > settings.MAIL_MAX_BYTES else "(BODY.PEEK[])"
            _, fetched = conn.uid("FETCH", uid, what)
            raw = next(part[1] for part in fetched if isinstance(part, tuple))
            outcome = receive_mail(raw, size=size or len(raw))
            log.info("mail uid %s: %s %s", uid.decode(), outcome.status, outcome.reason)
            conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        return len(uids)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
