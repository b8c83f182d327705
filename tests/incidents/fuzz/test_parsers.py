"""Every parser, and format detection, against bad input.

For arbitrary text and for each format's own valid lines mutated: parsing
never raises; each non-blank line gets exactly one result carrying its line
number; every event is one the event table can hold; and valid lines mixed
with garbage still give exactly the events they give alone."""

import ipaddress
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.parsers import PARSERS, ParsedEvent, Parser, Rejection, Skipped, UnknownFormat, detect
from incidents.parsers.base import TCP_FLAG_ORDER, check_ip
from incidents.parsers.paloalto import _HEADER as PALOALTO_HEADER

from .counting import tried
from .seeds import context, header, valid_lines
from .strategies import any_line, bad_lines

IDS = [p.name for p in PARSERS]
# Event columns (incidents.models.Event) a parser's values must fit.
PROTOCOL_MAX = 16
INT4_MAX = 2**31 - 1


def nonblank(lines: list[str]) -> list[int]:
    return [n for n, line in enumerate(lines, start=1) if line.rstrip("\r\n").strip()]


def blank_but_a_bom(lines: list[str]) -> set[int]:
    """Lines of nothing but byte order marks: a parser may read them as blank."""
    return {n for n, line in enumerate(lines, start=1) if line.strip() and not line.replace("\ufeff", "").strip()}


def assert_valid_event(event: ParsedEvent) -> None:
    assert event.time.tzinfo is not None and event.time.utcoffset() == timedelta(0), event
    for ip in (event.source_ip, event.target_ip):
        ipaddress.ip_address(ip)  # raises for anything but an address
        assert check_ip(ip) == ip, f"{ip!r} is not in canonical form"
    for port in (event.source_port, event.target_port):
        assert port is None or (type(port) is int and 0 <= port <= 65535), event
    protocol = event.protocol
    assert protocol and len(protocol) <= PROTOCOL_MAX, event
    assert protocol.isascii() and protocol == protocol.lower() and protocol.isprintable() and " " not in protocol
    assert event.tcp_flags == "".join(c for c in TCP_FLAG_ORDER if c in event.tcp_flags), event
    assert protocol == "tcp" or not event.tcp_flags, event
    assert type(event.count) is int and 1 <= event.count <= INT4_MAX, event


def check_accounting(parser: Parser, lines: list[str], ctx) -> list:
    """Parse ``lines``; every non-blank line has exactly one result, in order."""
    results = list(parser.parse(lines, ctx))
    optional = blank_but_a_bom(lines)
    assert [r.lineno for r in results if r.lineno not in optional] == [n for n in nonblank(lines) if n not in optional]
    linenos = [r.lineno for r in results]
    assert linenos == sorted(set(linenos)) and set(linenos) <= set(nonblank(lines))
    for result in results:
        assert type(result) in (ParsedEvent, Skipped, Rejection)
        if type(result) is ParsedEvent:
            assert_valid_event(result)
        else:
            assert result.reason
    return results


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_every_format_has_seed_lines(parser):
    assert valid_lines(parser.name), f"no line of tests/incidents/parsers/test_{parser.name}.py parses as an event"


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
@given(data=st.data())
def test_bad_lines_are_each_answered_once(parser, data):
    lines = data.draw(st.lists(bad_lines(valid_lines(parser.name)), max_size=8))
    check_accounting(parser, [*header(parser), *lines], context(parser))
    tried(f"parser.{parser.name}")


def is_garbage(parser: Parser, line: str) -> bool:
    """A line that tells the parser nothing: no event on its own, and not a
    header that would change how later lines read."""
    if parser.name == "windows_firewall" and line.lstrip("\ufeff").startswith(("#Fields:", "#Time Format:")):
        return False
    if parser.name == "paloalto" and PALOALTO_HEADER.match(line):
        return False
    results = list(parser.parse([*header(parser), line], context(parser)))
    return not any(type(r) is ParsedEvent for r in results)


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
@given(data=st.data())
def test_good_lines_are_kept_among_garbage(parser, data):
    seeds = valid_lines(parser.name)
    good = data.draw(st.lists(st.sampled_from(seeds), min_size=1, max_size=5))
    garbage = data.draw(st.lists(bad_lines(seeds).filter(lambda line: is_garbage(parser, line)), max_size=6))
    mixed = data.draw(st.permutations([(True, g) for g in good] + [(False, g) for g in garbage]))
    head = header(parser)
    in_order = [line for is_good, line in mixed if is_good]
    alone = [r for r in parser.parse([*head, *in_order], context(parser)) if type(r) is ParsedEvent]
    results = check_accounting(parser, [*head, *(line for _, line in mixed)], context(parser))
    events = [r for r in results if type(r) is ParsedEvent]
    good_linenos = [len(head) + n for n, (is_good, _) in enumerate(mixed, start=1) if is_good]
    assert [e.lineno for e in events] == good_linenos
    for event, expected in zip(events, alone, strict=True):
        expected.lineno = event.lineno
        assert event == expected
    tried(f"parser.{parser.name}.interleaved")


@given(lines=st.lists(st.one_of(any_line, *(bad_lines(valid_lines(p.name)) for p in PARSERS)), max_size=12))
def test_detection_names_a_format_or_says_it_cannot(lines):
    try:
        parser = detect(lines)
    except UnknownFormat as exc:
        assert str(exc)
    else:
        assert parser in PARSERS
        sniffed = [line for line in lines if line.strip()]
        assert sniffed  # an empty log is never given a format
    tried("detect")
