"""Parse a log and print what the portal would store, without storing anything.

Events go to standard output as JSON lines; rejected lines go to standard
error with their numbers and reasons, then a summary: each count, and the
lines set aside (allowed traffic, not traffic records) by reason. A large log in a
format whose lines read alone is parsed in chunks by helper processes, as
the worker does; the output is the same, in the same order.
"""

import os
import sys
import zoneinfo
from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.ingest_chunks import LogChunks
from incidents.ingest_rows import Counts
from incidents.logfile import LogFileError, mark_too_long, open_binary, split_lines
from incidents.normalise import parse_lines, too_long_rejections
from incidents.parallel import ChunkPool
from incidents.parsers import BY_NAME, ParseContext, ParsedEvent, Rejection, UnknownFormat

# Between two events in orjson's encoding of a list of them. It cannot occur
# inside an encoded string (orjson escapes every quote in one), so replacing
# it splits the list into exactly orjson.dumps(event) per line: one C call a
# chunk instead of one per event.
_BETWEEN = b'},{"lineno":'
_BETWEEN_LINES = b'}\n{"lineno":'


def printed(results) -> tuple[bytes, str, int, int, dict[str, int]]:
    """Events as JSON lines, rejections as text, how many of each, and the
    skipped lines by reason (events, rejected, skipped_by)."""
    events, errors, skipped = [], [], {}
    add = events.append
    for result in results:
        kind = type(result)
        if kind is ParsedEvent:
            add(result)
        elif kind is Rejection:
            errors.append(f"line {result.lineno}: {result.reason}: {result.line[:200]}\n")
        else:
            skipped[result.reason] = skipped.get(result.reason, 0) + 1
    # orjson writes the slotted dataclass and its UTC datetime natively.
    out = orjson.dumps(events)[1:-1].replace(_BETWEEN, _BETWEEN_LINES) + b"\n" if events else b""
    return out, "".join(errors), len(events), len(errors), skipped


class Command(BaseCommand):
    help = "Parse a firewall log and print normalised events as JSON lines; nothing is stored."

    def add_arguments(self, parser):
        parser.add_argument("file", help="log file: plain, .gz or .zip; - for standard input")
        parser.add_argument("--format", choices=sorted(BY_NAME), help="log format (default: recognise it)")
        parser.add_argument("--timezone", default="UTC", help="zone of lines that carry none (default UTC)")
        parser.add_argument(
            "--processes",
            type=int,
            default=min(os.cpu_count() or 1, 8),
            help="processes parsing a large log (default: the cores; 1: this one alone)",
        )

    def handle(self, *args, file, format, timezone, processes, **options):
        try:
            tz = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"unknown time zone {timezone!r}") from None
        ctx = ParseContext(tz=tz, received_at=datetime.now(UTC))
        out, err = sys.stdout.buffer, sys.stderr
        events = rejected = 0
        skipped = Counts()
        too_long: list[int] = []
        try:
            raw = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(str(exc)) from None
        with raw, open_binary(raw, settings.LOG_MAX_UNCOMPRESSED_BYTES) as binary:
            try:
                log = LogChunks(binary, ctx, format or "", processes=processes)
                for data, errors, e, r, s, long in self._chunks(log, format or ""):
                    out.write(data)
                    err.write(errors)
                    events, rejected = events + e, rejected + r
                    for reason, lines in s.items():
                        skipped.count_skipped(reason, lines)
                    too_long.extend(long)
            except (LogFileError, UnknownFormat) as exc:
                raise CommandError(str(exc)) from None
        for result in too_long_rejections(too_long, settings.LOG_MAX_LINE_CHARS):
            rejected += 1
            err.write(f"line {result.lineno}: {result.reason}\n")
        out.flush()
        err.write(summary(log.parser.name, events, rejected, skipped))

    def _chunks(self, log: LogChunks, declared_format: str):
        if log.parallel:

            def work(first: int, block: bytes):
                lines = split_lines(block)
                long = mark_too_long(lines, first, log.max_chars)
                return (*printed(log.results(lines, first)), long)

            with ChunkPool(work, log.processes) as pool:
                yield from pool.map(log.numbered())
            return
        reader = log.reader()
        log.parser, results = parse_lines(reader, log.ctx, declared_format)
        for batch in _batches(results, 2000):
            yield (*printed(batch), [])
        yield b"", "", 0, 0, {}, reader.too_long


def summary(parser_name: str, events: int, rejected: int, skipped: Counts, reasons_shown: int = 20) -> str:
    lines = events + rejected + sum(skipped.skipped_by.values())
    text = [
        f"format {parser_name}: {lines} lines: {events} events, {skipped.allowed} allowed traffic, "
        f"{skipped.not_traffic} not traffic records, {rejected} rejected or unrecognised\n"
    ]
    text.extend(f"  {reason}: {n}\n" for reason, n in skipped.skipped_reasons(reasons_shown).items())
    if rejected * 2 > lines:
        text.append(f"warning: most lines ({rejected} of {lines}) were rejected or not recognised\n")
    return "".join(text)


def _batches(results, size: int):
    batch = []
    for result in results:
        batch.append(result)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
