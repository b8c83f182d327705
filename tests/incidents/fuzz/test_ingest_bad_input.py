"""The whole ingest (incidents.ingest.ingest_submission on a stored
submission) against bad input. A submission ends DONE with counts that add
up, its good lines kept and every other line reported, or FAILED with a
reason and nothing of it stored; no exception ever escapes."""

import gzip
import io
import itertools
import re
import zipfile
from datetime import timedelta

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from incidents.ingest import ingest_submission
from incidents.models import Event, SourceDay, Submission
from incidents.parsers import PARSERS, ParseContext, ParsedEvent, get_parser
from incidents.services import submission_create
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

from .counting import heavy, tried
from .seeds import valid_lines
from .strategies import any_line, bad_lines, mutated

pytestmark = pytest.mark.django_db
# Each example's good lines fall in a minute of their own, so a reporter shared by
# all examples of a test (making a user hashes a password: slow) never sees a
# line twice.
_MINUTES = itertools.count()


@pytest.fixture
def reporter():
    return UserFactory()


MAX_CHARS = 300  # LOG_MAX_LINE_CHARS for these tests, so that overlong lines stay cheap
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
PACKINGS = st.sampled_from(["plain", "gzip", "zip"])
CHARSETS = st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-8-sig", "utf-16"])
FAILURE = re.compile(r"damaged|cut short|cannot be unpacked|holds \d+ files|larger than|format|empty")


def pack(data: bytes, packing: str) -> bytes:
    if packing == "gzip":
        return gzip.compress(data, compresslevel=1)
    if packing == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("fw.log", data)
        return buffer.getvalue()
    return data


def store(user, data: bytes, declared_format: str = "") -> Submission:
    return submission_create(
        user=user,
        channel=Submission.Channel.WEB,
        fileobj=io.BytesIO(data),
        name="fuzz.log",
        declared_format=declared_format,
    )


def rollup_events(user) -> int:
    return SourceDay.objects.filter(reporter=user).aggregate(total=Sum("events"))["total"] or 0


def ingested(submission: Submission) -> Submission:
    """Ingest ``submission`` and check it ended whole or not at all."""
    before = rollup_events(submission.user)
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    stored = Event.objects.filter(submission_id=submission.pk)
    added = rollup_events(submission.user) - before
    if submission.status == Submission.Status.DONE:
        s = submission
        assert s.lines == s.accepted + s.duplicate + s.filtered + s.rejected + s.allowed + s.not_traffic
        assert s.skipped == s.allowed + s.not_traffic == sum(s.skipped_reasons.values())
        assert stored.count() == s.accepted + s.filtered
        assert added == (stored.filter(filter_reason="").aggregate(total=Sum("count"))["total"] or 0)
        assert len(s.rejected_lines) == min(s.rejected, Submission.MAX_REJECTED_KEPT)
        numbers = [r["line"] for r in s.rejected_lines]
        assert numbers == sorted(numbers) and all(r["reason"] for r in s.rejected_lines)
    else:
        assert submission.status == Submission.Status.FAILED, submission.status
        assert FAILURE.search(submission.error), submission.error
        assert not stored.exists() and added == 0
    return submission


def is_garbage(line: str, ctx: ParseContext) -> bool:
    return not any(type(r) is ParsedEvent for r in get_parser("iptables").parse([line], ctx))


@heavy(0.4)
@given(data=st.data())
def test_good_lines_land_and_every_other_line_is_reported(settings, recent, reporter, data):
    """An iptables log of good lines, garbage and overlong lines, any line
    ends, packed or not: exactly the good lines land."""
    settings.LOG_MAX_LINE_CHARS = MAX_CHARS
    ctx = ParseContext(received_at=recent + timedelta(hours=1))
    start = recent - timedelta(minutes=next(_MINUTES))
    good = [iptables_line(start + timedelta(seconds=i), dpt=1000 + i).rstrip("\n") for i in range(5)]
    good = data.draw(st.lists(st.sampled_from(good), min_size=1, max_size=5, unique=True))
    garbage = data.draw(
        st.lists(
            st.one_of(any_line, st.sampled_from(good).flatmap(mutated)).filter(lambda line: is_garbage(line, ctx)),
            max_size=3,
        )
    )
    overlong = data.draw(st.lists(st.text(min_size=MAX_CHARS + 1, max_size=MAX_CHARS + 50), max_size=2))
    lines = data.draw(st.permutations(good + garbage + [line.replace("\r", "").replace("\n", "") for line in overlong]))
    text = "".join(line + data.draw(LINE_ENDS) for line in lines)
    packing = data.draw(PACKINGS)
    sub = ingested(store(reporter, pack(text.encode(), packing), declared_format="iptables"))

    assert sub.status == Submission.Status.DONE, sub.error
    assert sub.accepted == len(good)
    told = [line for line in garbage if line.strip()]
    assert sub.rejected + sub.skipped == len(told) + len(overlong)
    assert sub.lines == len(good) + len(told) + len(overlong)
    tried(f"ingest.mixed.{packing}")


@heavy(0.4)
@given(
    lines=st.lists(st.one_of(*(bad_lines(valid_lines(p.name)) for p in PARSERS)), max_size=8),
    line_end=LINE_ENDS,
    charset=CHARSETS,
    packing=PACKINGS,
    declared=st.sampled_from(["", *(p.name for p in PARSERS)]),
)
def test_any_log_of_any_format_ends_whole_or_not_at_all(
    settings, reporter, lines, line_end, charset, packing, declared
):
    settings.LOG_MAX_LINE_CHARS = MAX_CHARS
    data = line_end.join(lines).encode(charset, errors="replace")
    sub = ingested(store(reporter, pack(data, packing), declared_format=declared))
    if declared:  # intact, and no format to recognise: nothing can fail it
        assert sub.status == Submission.Status.DONE, sub.error
    tried(f"ingest.any.{charset}")


@heavy(0.4)
@given(data=st.binary(max_size=600), cut=st.integers(0, 600), declared=st.sampled_from(["", "iptables", "dshield"]))
def test_arbitrary_and_damaged_bytes_end_whole_or_not_at_all(recent, reporter, data, cut, declared):
    packed = pack(iptables_line(recent).encode() * 3, "gzip" if cut % 2 else "zip")
    body = data if cut % 3 == 0 else packed[: cut % len(packed)] + data[:8] + packed[cut % len(packed) + 8 :]
    ingested(store(reporter, body, declared_format=declared))
    tried("ingest.bytes")


@pytest.mark.parametrize("packing", ["gzip", "zip"])
def test_a_bomb_behind_good_lines_lands_nothing(settings, recent, packing):
    settings.LOG_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    user = UserFactory()
    good = "".join(iptables_line(recent + timedelta(seconds=i), dpt=1000 + i) for i in range(50))
    unpacked = good.encode() + b"\n" * (8 * 1024 * 1024)
    bomb = gzip.compress(unpacked, compresslevel=9) if packing == "gzip" else pack(unpacked, "zip")
    assert len(bomb) < 50_000  # a thousandth of what it unpacks to
    sub = ingested(store(user, bomb))
    assert (sub.status, sub.error) == (Submission.Status.FAILED, "the log is larger than 1 MB once unpacked")
    assert not Event.objects.filter(reporter=user).exists()
    assert not SourceDay.objects.filter(reporter=user).exists()


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_nul_bytes_and_latin1_in_rejected_lines_are_reported(recent, line_end):
    user = UserFactory()
    log = [iptables_line(recent).rstrip("\n"), "caf\xe9 \x00 kernel: IN=eth0 OUT= SRC=\x00", "\x00IN=\x00 OUT="]
    sub = ingested(store(user, line_end.join(log).encode("latin-1"), declared_format="iptables"))
    assert (sub.status, sub.accepted, sub.rejected) == (Submission.Status.DONE, 1, 2)
    assert [r["line"] for r in sub.rejected_lines] == [2, 3]
    # NUL (which PostgreSQL's jsonb cannot hold) shows as the replacement character, as latin-1 does.
    assert [r["text"] for r in sub.rejected_lines] == [
        "caf\ufffd \ufffd kernel: IN=eth0 OUT= SRC=\ufffd",
        "\ufffdIN=\ufffd OUT=",
    ]
