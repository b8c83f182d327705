"""How a bulk summary is written: the rows of qualifying sources, and one
renderer per format (a plain-text table, CSV, X-ARF style JSON). Pure
functions of the rows, so the exact output is easy to test."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from django.conf import settings


@dataclass
class Row:
    source_ip: str
    first_seen: datetime
    last_seen: datetime
    ports: list[str]
    reporters: int
    events: int
    token: str = ""

    @property
    def link(self) -> str:
        return f"{settings.SITE_URL}/r/{self.token}/" if self.token else ""


# --------------------------------------------------------------------- formats


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


TEXT_HEADER = ("Source", "First seen (UTC)", "Last seen (UTC)", "Ports", "Reporters", "Link")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.source_ip,
        _stamp(row.first_seen),
        _stamp(row.last_seen),
        ",".join(row.ports),
        str(row.reporters),
        row.link,
    )


def render_text(rows: list[Row]) -> str:
    """A plain-text table, columns padded with spaces, one source a line."""
    lines = [TEXT_HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(TEXT_HEADER) - 1)]
    out = []
    for line in lines:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*padded, line[-1]]).rstrip())
    return "\n".join(out) + "\n"


CSV_HEADER = ("source", "first_seen_utc", "last_seen_utc", "ports", "reporters", "events", "link")


def render_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            [
                r.source_ip,
                f"{r.first_seen.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
                f"{r.last_seen.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
                " ".join(r.ports),
                r.reporters,
                r.events,
                r.link,
            ]
        )
    return buffer.getvalue()


def xarf_report(row: Row) -> dict:
    """One source as an X-ARF (v0.2 style) report. One port: "login-attack"
    on that port; several: "port-scan". No attachment: targets are never sent."""
    report = {
        "Reported-From": settings.FIGHTBACK_REPLY_ADDRESS,
        "Category": "abuse",
        "Report-Type": "login-attack" if len(row.ports) == 1 else "port-scan",
        "Report-ID": row.token,
        "User-Agent": settings.SITE_NAME,
        "Date": format_datetime(row.first_seen.astimezone(UTC)),
        "Source": row.source_ip,
        "Source-Type": "ip-address",
        "Attachment": "none",
        "Occurrences": row.events,
        "Reporters": row.reporters,
        "Last-Seen": format_datetime(row.last_seen.astimezone(UTC)),
        "Ports": row.ports,
        "Link": row.link,
    }
    if len(row.ports) == 1:
        protocol, _, port = row.ports[0].partition("/")
        report["Port"] = int(port)
        report["Protocol"] = protocol
    return report


def render_xarf(rows: list[Row]) -> str:
    return json.dumps([xarf_report(r) for r in rows], indent=2) + "\n"


RENDERERS = {"txt": render_text, "csv": render_csv, "json": render_xarf}
