"""Read one RFC 5322 message on standard input (an MTA pipe, e.g. Postfix
or Exim) and turn its logs into submissions.

Exit status follows sysexits: 0 when the message was taken (accepted,
refused with a reply, or recognised as already processed), 75 (EX_TEMPFAIL)
when the database cannot be reached, so the MTA keeps the message and
retries later instead of losing it."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from incidents.mail_intake import receive_mail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Process one mailed log from standard input (for an MTA pipe)."

    def handle(self, *args, **options):
        # Read one byte past the cap: enough to know it is too large, never more.
        raw = sys.stdin.buffer.read(settings.MAIL_MAX_BYTES + 1)
        try:
            outcome = receive_mail(raw)
        except DatabaseError as exc:
            self.stderr.write(f"temporary failure: {exc}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{outcome.status}{': ' + outcome.reason if outcome.reason else ''}")
        for submission in outcome.submissions:
            self.stdout.write(f"submission {submission.pk}: {submission.name}")
