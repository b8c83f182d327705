"""What DShield-style clients send besides log lines, read the way they write it.

Clients of the DShield framework mail (or PUT) their log after a mail-like
header whose subject says ``FORMAT <format> USERID <id> TZ <offset> ...``: the
format of the lines (DSHIELD, or a native one such as IPTABLES) and the zone
of the lines that carry none. The newer Python client posts JSON records to
``/submitapi/`` instead; ``submitapi_lines`` turns them into DShield lines so
that one parser, with its line numbers and reasons, reads every channel.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .parsers import BY_NAME

_FORMAT = re.compile(r"\bFORMAT\s+([A-Z0-9_-]+)", re.IGNORECASE)
_TZ = re.compile(r"\bTZ\s+(UTC|GMT|Z|[+-]\d{1,2}(?::?\d\d)?)(?!\S)", re.IGNORECASE)
# DShield's names for the formats it takes in native form, where ours differ.
_FORMAT_NAMES = {"dshield": "dshield", "iptables": "iptables", "ufw": "iptables"}
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")


@dataclass(frozen=True)
class SubjectOptions:
    format: str = ""  # one of ours, or "" to recognise the lines
    timezone: str | None = None  # an IANA zone name, or None for the profile's


def subject_options(subject: str) -> SubjectOptions:
    fmt = _FORMAT.search(subject or "")
    tz = _TZ.search(subject or "")
    name = _FORMAT_NAMES.get(fmt.group(1).lower(), "") if fmt else ""
    return SubjectOptions(format=name if name in BY_NAME else "", timezone=offset_zone(tz.group(1)) if tz else None)


_AUTHKEY = re.compile(r"(\bAUTHKEY\s+)\S+", re.IGNORECASE)


def redact_subject(subject: str) -> str:
    """The subject without the key some clients put on it (``AUTHKEY <key>``:
    their DShield key, or this portal's submission token), for keeping."""
    return _AUTHKEY.sub(r"\1[redacted]", subject)


def offset_zone(text: str) -> str | None:
    """The IANA zone for a fixed UTC offset such as ``-05:00`` or ``+0100``.

    Whole hours map to ``Etc/GMT±N`` (whose sign is inverted, as POSIX has
    it); an offset such as +05:30 has no fixed-offset IANA name, so lines
    without a zone of their own are then read in the profile's zone."""
    text = text.strip().upper()
    if text in ("UTC", "GMT", "Z"):
        return "UTC"
    m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d\d))?", text)
    if m is None:
        return None
    sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if minutes or hours > 14:
        return None
    if hours == 0:
        return "UTC"
    # Etc/GMT-5 is five hours *ahead* of UTC.
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def split_header(body: str) -> tuple[dict[str, str], str]:
    """A body that starts with mail-like header lines (``From:``,
    ``Subject:``) up to a blank line: those headers, and the log after them.
    A body without them is all log."""
    lines = body.splitlines(keepends=True)
    if not lines or not _HEADER_LINE.match(lines[0]) or _looks_like_log(lines[0]):
        return {}, body
    headers: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.strip():
            return headers, "".join(lines[i + 1 :])
        if not _HEADER_LINE.match(line):
            return {}, body
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return {}, body


def _looks_like_log(line: str) -> bool:
    return "\t" in line or BY_NAME["dshield"].matches(line)


def submitapi_lines(records: list, userid: int) -> str:
    """DShield lines for the firewall records of a ``/submitapi/`` post.

    A record is ``{"time": epoch seconds, "sip", "dip", "proto": IANA number,
    "sport", "dport", "flags"}``; ICMP carries type and code as the ports, and
    protocols without ports leave them out. What is missing or malformed is
    written as it came (or as ``???``) so the parser rejects that line with a
    reason and the record's number."""
    out = []
    for record in records:
        record = record if isinstance(record, dict) else {}
        out.append(
            "\t".join(
                [
                    _when(record.get("time")),
                    str(userid),
                    "1",
                    _field(record.get("sip")),
                    _field(record.get("sport")),
                    _field(record.get("dip")),
                    _field(record.get("dport")),
                    _field(record.get("proto")),
                    _field(record.get("flags"), ""),
                ]
            )
            + "\n"
        )
    return "".join(out)


def _when(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")
        except (OverflowError, OSError, ValueError):
            pass
    return _field(value)


def _field(value, missing: str = "???") -> str:
    if value is None:
        return missing
    # Tabs and line ends would shift fields or split the record in two.
    return re.sub(r"[\t\r\n]", " ", str(value))
