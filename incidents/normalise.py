"""Checks every format shares, after its parser: times that cannot be right
are rejected, with the reason, rather than stored."""

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings

from .parsers import ParseContext, ParsedEvent, Parser, ParseResult, Rejection, detect, get_parser

FUTURE_SLACK = timedelta(hours=1)


def checked(results: Iterable[ParseResult], *, now: datetime, max_age_days: int) -> Iterator[ParseResult]:
    latest = now + FUTURE_SLACK
    earliest = now - timedelta(days=max_age_days)
    placed = None  # parsers hand out one datetime object per stamp: a run of lines checks it once
    for result in results:
        if type(result) is ParsedEvent and result.time is not placed:
            if result.time > latest:
                yield Rejection(result.lineno, f"time {result.time:%Y-%m-%d %H:%M:%S} UTC is in the future", "")
                continue
            if result.time < earliest:
                yield Rejection(
                    result.lineno, f"time {result.time:%Y-%m-%d %H:%M:%S} UTC is older than {max_age_days} days", ""
                )
                continue
            placed = result.time
        yield result


def too_long_rejections(linenos: Iterable[int], max_chars: int) -> list[Rejection]:
    return [Rejection(n, f"line longer than {max_chars} characters", "") for n in linenos]


def parse_lines(lines: Iterable[str], ctx: ParseContext, declared_format: str = "") -> tuple[Parser, Iterator]:
    """Pick the parser (declared, or recognised from the first lines) and
    return it with the checked results of all the lines."""
    lines = iter(lines)
    if declared_format:
        parser = get_parser(declared_format)
    else:
        head = list(itertools.islice(lines, 200))
        parser = detect(head)
        lines = itertools.chain(head, lines)
    results = checked(parser.parse(lines, ctx), now=ctx.received_at, max_age_days=settings.EVENT_MAX_AGE_DAYS)
    return parser, results
