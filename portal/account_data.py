"""A user's own data: export it all, or delete the account and everything in it.

Export is one ZIP of CSV files, produced as it is sent: the small tables are
written row by row and the events, which may be millions, come straight from
PostgreSQL's COPY in blocks, so a large account never sits in memory.

Deletion holds the reporter's lock exclusively, as a rule re-evaluation does
(ingest holds it shared), so no ingest adds events halfway; it subtracts the
user's share from the portal-wide port rollup (as incidents.reevaluate
corrects it), then removes events in every partition, rollups, and with the
user row (by cascade) submissions, rules, tokens, networks and addresses. Raw
files go after the commit. Abuse reports already sent stay: they name no
reporter, and their counts were true when sent.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from incidents.ingest import REPORTER_LOCK
from incidents.models import FilterRule, Submission

from .models import User

# Cells a spreadsheet would run as a formula when the export is opened in one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EVENTS_COPY = """
COPY (
    SELECT time, host(source_ip) AS source_ip, source_port, host(target_ip) AS target_ip, target_port, protocol,
           tcp_flags, count, filter_reason, submission_id
    FROM incidents_event WHERE reporter_id = {user} ORDER BY time, fingerprint
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


def _text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


class _Sink(io.RawIOBase):
    """Where the ZIP writes; each chunk is handed on and forgotten."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        self.size = 0
        return out


def _tables(user: User) -> Iterator[tuple[str, list[str], Iterator[list]]]:
    yield (
        "profile.csv",
        ["field", "value"],
        iter(
            [
                ["email", user.email],
                ["date_joined", user.date_joined.isoformat()],
                ["timezone", user.timezone],
                ["forwarding_opt_in", user.forwarding_opt_in],
                ["digest", user.digest],
                ["mail_confirmations", user.mail_confirmations],
                ["submit_address", user.submit_address],
                *(["email_address", a.email] for a in user.emailaddress_set.all()),
            ]
        ),
    )
    yield (
        "networks.csv",
        ["cidr", "note"],
        ([str(n.cidr), _text(n.note)] for n in user.networks.all()),
    )
    yield (
        "isp_servers.csv",
        ["kind", "address"],
        ([s.kind, str(s.address)] for s in user.isp_servers.all()),
    )
    # Names and prefixes only: the keys themselves are never stored.
    yield (
        "tokens.csv",
        ["name", "prefix", "created_at", "last_used_at", "revoked_at"],
        (
            [_text(t.name), t.prefix, t.created_at.isoformat(), _text(t.last_used_at), _text(t.revoked_at)]
            for t in user.api_tokens.all()
        ),
    )
    fields = [
        "id", "created_at", "channel", "name", "status", "declared_format", "detected_format", "timezone",
        "lines", "accepted", "duplicate", "filtered", "rejected", "allowed", "not_traffic", "skipped",
        "raw_size", "raw_deleted_at",
    ]  # fmt: skip
    yield (
        "submissions.csv",
        fields,
        (
            [_text(v) for v in row]
            for row in Submission.objects.filter(user=user).order_by("pk").values_list(*fields).iterator(2000)
        ),
    )
    rule_fields = [
        "kind", "network", "protocol", "port_from", "port_to", "reason", "starts_at", "expires_at", "enabled",
        "created_at",
    ]  # fmt: skip
    yield (
        "rules.csv",
        rule_fields,
        ([_text(v) for v in row] for row in FilterRule.objects.filter(user=user).values_list(*rule_fields)),
    )


def export_zip(user: User) -> Iterator[bytes]:
    """The user's data as a ZIP, in chunks."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in _tables(user):
            with archive.open(name, "w") as member, io.TextIOWrapper(member, "utf-8", newline="") as text:
                writer = csv.writer(text)
                writer.writerow(header)
                for row in rows:
                    writer.writerow(row)
            yield sink.drain()
        with (
            archive.open("events.csv", "w", force_zip64=True) as member,
            connection.cursor() as cursor,
            cursor.cursor.copy(EVENTS_COPY.format(user=int(user.pk))) as copy,
        ):
            # COPY hands over one row at a time: gather 64 kB before compressing, hand on 256 kB at a time.
            rows = bytearray()
            for row in copy:
                rows += row
                if len(rows) >= 64 * 1024:
                    member.write(rows)
                    rows.clear()
                    if sink.size >= 256 * 1024:
                        yield sink.drain()
            member.write(rows)
    yield sink.drain()


@dataclass
class Deleted:
    events: int
    submissions: int
    raw_files: int


PORT_DAY_SHARE = """
SELECT day, protocol, target_port, sum(events) FROM incidents_source_day WHERE reporter_id = %(user)s GROUP BY 1, 2, 3
"""
SUBTRACT_PORT_DAYS = f"""
UPDATE incidents_port_day p SET events = p.events - mine.events
FROM ({PORT_DAY_SHARE}) AS mine (day, protocol, target_port, events)
WHERE p.day = mine.day AND p.protocol = mine.protocol AND p.target_port = mine.target_port
"""  # noqa: S608 - no user input in the text
DROP_EMPTY_PORT_DAYS = """
DELETE FROM incidents_port_day p USING incidents_source_day s
WHERE s.reporter_id = %(user)s AND p.day = s.day AND p.protocol = s.protocol AND p.target_port = s.target_port
  AND p.events <= 0
"""


def delete_account(user: User) -> Deleted:
    """Delete the user and all their data; see the module's doc for the order."""
    params = {"user": user.pk}
    with transaction.atomic():
        # Lock order as ingest takes it (the submission's row, then the reporter's lock), after the user's row,
        # which stops new submissions: a deletion waits for a running ingest instead of deadlocking with it.
        User.objects.select_for_update().get(pk=user.pk)
        submissions = list(Submission.objects.select_for_update().filter(user=user).values_list("pk", "raw"))
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REPORTER_LOCK, user.pk % 2**31])
            cur.execute(SUBTRACT_PORT_DAYS, params)
            cur.execute(DROP_EMPTY_PORT_DAYS, params)
            cur.execute("DELETE FROM incidents_event WHERE reporter_id = %(user)s", params)
            events = cur.rowcount
            cur.execute("DELETE FROM incidents_source_day WHERE reporter_id = %(user)s", params)
            cur.execute("DELETE FROM incidents_filtered_day WHERE reporter_id = %(user)s", params)
        raw_names = [raw for _, raw in submissions if raw]
        storage = Submission._meta.get_field("raw").storage
        user.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in raw_names])
    return Deleted(events=events, submissions=len(submissions), raw_files=len(raw_names))
