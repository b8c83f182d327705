"""Helpers shared by the parser tests.

Each test module keeps its own sample lines and its own default submission
time, and binds them once, e.g.::

    ctx = partial(make_ctx, received=RECEIVED)

    def test_...():
        event = parse_one(parser, LINE, ctx())
        results = parse_all(parser, [LINE, OTHER], ctx("Europe/Berlin"))
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from incidents.parsers.base import ParseContext, Parser, ParseResult

DEFAULT_RECEIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def make_ctx(tz: str | ZoneInfo = "UTC", received: datetime = DEFAULT_RECEIVED) -> ParseContext:
    """A fresh context (own time stamp cache) for a submission in zone ``tz``
    (an IANA name or a ZoneInfo) that arrived at ``received``."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return ParseContext(tz=zone, received_at=received)


def parse_all(parser: Parser, lines: Iterable[str], ctx: ParseContext) -> list[ParseResult]:
    """Every result the parser yields for ``lines``, in order."""
    return list(parser.parse(lines, ctx))


def parse_one(parser: Parser, line: str, ctx: ParseContext) -> ParseResult:
    """The single result for a single line; fails if there is not exactly one."""
    (result,) = parse_all(parser, [line], ctx)
    return result
