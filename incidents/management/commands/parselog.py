"""Parse a log and print what the portal would store, without storing anything.

Events go to standard output as JSON lines; rejected lines go to standard
error with their numbers and reasons, then a summary.
"""

import sys
import zoneinfo
from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.logfile import LineReader, LogFileError, open_binary
from incidents.normalise import parse_lines, too_long_rejections
from incidents.parsers import BY_NAME, ParseContext, ParsedEvent, Rejection, UnknownFormat


class Command(BaseCommand):
    help = "Parse a firewall log and print normalised events as JSON lines; nothing is stored."

    def add_arguments(self, parser):
        parser.add_argument("file", help="log file: plain, .gz or .zip; - for standard input")
        parser.add_argument("--format", choices=sorted(BY_NAME), help="log format (default: recognise it)")
        parser.add_argument("--timezone", default="UTC", help="zone of lines that carry none (default UTC)")

    def handle(self, *args, file, format, timezone, **options):
        try:
            tz = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"unknown time zone {timezone!r}") from None
        now = datetime.now(UTC)
        ctx = ParseContext(tz=tz, received_at=now)
        out, err = sys.stdout.buffer, sys.stderr
        events = rejected = skipped = 0
        try:
            raw = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(str(exc)) from None
        with raw, open_binary(raw, settings.LOG_MAX_UNCOMPRESSED_BYTES) as binary:
            reader = LineReader(binary, settings.LOG_MAX_LINE_CHARS)
            try:
                parser, results = parse_lines(reader, ctx, format or "")
                buffer = []
                for result in results:
                    kind = type(result)
                    if kind is ParsedEvent:
                        events += 1
                        # orjson writes the slotted dataclass and its UTC datetime natively.
                        buffer.append(orjson.dumps(result))
                        if len(buffer) >= 2000:
                            out.write(b"\n".join(buffer) + b"\n")
                            buffer.clear()
                    elif kind is Rejection:
                        rejected += 1
                        err.write(f"line {result.lineno}: {result.reason}: {result.line[:200]}\n")
                    else:
                        skipped += 1
                if buffer:
                    out.write(b"\n".join(buffer) + b"\n")
            except (LogFileError, UnknownFormat) as exc:
                raise CommandError(str(exc)) from None
            for result in too_long_rejections(reader.too_long, settings.LOG_MAX_LINE_CHARS):
                rejected += 1
                err.write(f"line {result.lineno}: {result.reason}\n")
        out.flush()
        err.write(f"format {parser.name}: {events} events, {skipped} skipped, {rejected} rejected\n")
