"""Log-format parsers: one module per format behind ``base.Parser``.

``PARSERS`` is the registry, in the order ties are broken when recognising a
format: specific formats first, the generic CSV last (after Snort's CSV,
whose optional header row it would also take).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import (
    cisco_asa,
    cowrie,
    dshield,
    fail2ban_log,
    fortigate,
    generic_csv,
    iptables,
    juniper_srx,
    mikrotik,
    paloalto,
    pf_filterlog,
    pflog,
    snort_csv,
    snort_fast,
    sonicwall,
    sshd,
    suricata_eve,
    windows_firewall,
)
from .base import (
    ALLOWED,
    NOT_TRAFFIC,
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Rejection,
    Skipped,
    is_allowed,
)

PARSERS: list[Parser] = [
    dshield.parser,
    iptables.parser,
    pf_filterlog.parser,
    pflog.parser,
    cisco_asa.parser,
    windows_firewall.parser,
    suricata_eve.parser,
    cowrie.parser,
    snort_fast.parser,
    snort_csv.parser,
    fortigate.parser,
    paloalto.parser,
    juniper_srx.parser,
    sonicwall.parser,
    mikrotik.parser,
    # Host logs after the firewalls: a syslog file holding both is read for its firewall lines.
    sshd.parser,
    fail2ban_log.parser,
    generic_csv.parser,
]
BY_NAME: dict[str, Parser] = {p.name: p for p in PARSERS}

SNIFF_LINES = 50


class UnknownFormat(ValueError):
    pass


def get_parser(name: str) -> Parser:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; known: {', '.join(BY_NAME)}") from None


def detect(sample: Iterable[str]) -> Parser:
    """Recognise the format from the first lines of a log.

    The parser that matches the largest share of the sample wins (a format
    known only by its header row is judged on the first line); a log where
    no parser matches at least a quarter of the lines is refused rather than
    guessed, so the user is asked to pick the format.
    """
    lines = []
    for line in sample:
        if line.strip():
            lines.append(line.rstrip("\r\n"))
        if len(lines) >= SNIFF_LINES:
            break
    if not lines:
        raise UnknownFormat("the log is empty")
    best, best_score = None, 0
    for parser in PARSERS:
        if parser.recognised_by_first_line:
            score = len(lines) if parser.matches(lines[0]) else 0
        else:
            score = sum(1 for line in lines if parser.matches(line))
        if score > best_score:
            best, best_score = parser, score
    if best is None or best_score * 4 < len(lines):
        raise UnknownFormat("the log format was not recognised; choose it from the list")
    return best


def choices() -> list[tuple[str, str]]:
    return [(p.name, p.label) for p in PARSERS]


__all__ = [
    "ALLOWED",
    "BY_NAME",
    "NOT_TRAFFIC",
    "PARSERS",
    "LineError",
    "ParseContext",
    "ParseResult",
    "ParsedEvent",
    "Parser",
    "Rejection",
    "Skipped",
    "UnknownFormat",
    "choices",
    "detect",
    "get_parser",
    "is_allowed",
]
