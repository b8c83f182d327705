"""Reading a log in chunks, and staging its rows in parser processes.

``LogChunks`` reads the unpacked log a block of whole lines at a time, and
knows the parser for it (declared, or recognised from the first lines) and
whether its lines can be parsed apart: a format whose lines each read alone
is parsed in chunks by helper processes (``incidents.parallel``), each chunk
carrying its first line number, so line numbers, rejections and counts come
out as from one process reading the log in order.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from .ingest_rows import Counts, _Rollup, _RowWriter, copy_text
from .logfile import LineReader, count_lines, line_blocks, mark_too_long, prefetched, split_lines
from .normalise import checked, parse_lines
from .parallel import ChunkPool, available
from .parsers import ParseContext, Parser, detect, get_parser

# A chunk for a helper: big enough that passing it costs little per line
# (a few thousand lines), small enough that what a helper holds at once fits
# the allocator's free arenas: 4 MB chunks cost twice the system time here,
# in page faults on memory freed and mapped again for every chunk.
CHUNK_BYTES = 1024 * 1024
SAMPLE_LINES = 200  # what parse_lines recognises a format from
# A helper hands its partial rollups over at this share of the worker's
# bound, so the worker's own (merged, then spilled) stay within the bound.
HELPER_ROLLUP_SHARE = 4


class LogChunks:
    """The blocks of one unpacked log and how to parse them."""

    def __init__(self, binary, ctx: ParseContext, declared_format: str = "", processes: int | None = None):
        self.ctx = ctx
        self.max_chars = settings.LOG_MAX_LINE_CHARS
        blocks = line_blocks(binary, self.max_chars, CHUNK_BYTES)
        # Enough blocks for the sample the format is recognised from, and one
        # more to know whether there is more than one chunk.
        head, sampled = [], 0
        for block in blocks:
            head.append(block)
            sampled += count_lines(block)
            if sampled >= SAMPLE_LINES:
                break
        head.extend(itertools.islice(blocks, 1))
        self.blocks = itertools.chain(head, blocks)
        self.parser: Parser | None = None
        self.processes = 0
        wanted = available(settings.INGEST_PARSE_PROCESSES if processes is None else processes)
        if len(head) < 2 or not wanted:
            return  # one chunk or one core: parse in order, here
        sample = split_lines(b"".join(head[:-1]))[:SAMPLE_LINES]
        mark_too_long(sample, 1, self.max_chars)
        parser = get_parser(declared_format) if declared_format else detect(sample)
        if parser.line_independent:
            self.parser, self.processes = parser, wanted

    @property
    def parallel(self) -> bool:
        return self.processes > 1

    def numbered(self) -> Iterator[tuple[int, bytes]]:
        """(first line number, block) for each block."""
        lineno = 1
        for block in self.blocks:
            yield lineno, block
            lineno += count_lines(block)

    def reader(self) -> LineReader:
        """The lines, in order, for one process; the blocks are read ahead."""
        return LineReader(None, self.max_chars, blocks=prefetched(self.blocks))

    def results(self, lines, chunk_start: int = 1):
        """Checked parse results of some lines with this log's parser."""
        return checked(
            self.parser.parse(lines, self.ctx, start=chunk_start),
            now=self.ctx.received_at,
            max_age_days=settings.EVENT_MAX_AGE_DAYS,
        )


@dataclass
class Batch:
    """One chunk staged by a helper, as it goes back to the worker."""

    copy: bytes
    counts: Counts
    rollup: dict | None


class _ChunkStager:
    """Runs in each helper: one chunk of lines to COPY bytes, counts and
    rejections. The writer (and its repeat window) and the partial rollups
    live as long as the helper, which takes chunks in increasing order: a
    source seen in many chunks is one rollup row, handed over when the
    rollups fill up or the log ends (``hand_over``), not one per chunk."""

    def __init__(self, log: LogChunks, writer: _RowWriter, with_rollup: bool):
        self.log, self.writer = log, writer
        self.rollup = _Rollup() if with_rollup else None
        writer.add_to_rollup = self.rollup.add if with_rollup else None

    def __call__(self, step: str, *args):
        return getattr(self, step)(*args)

    def stage(self, first: int, block: bytes) -> Batch:
        lines = split_lines(block)
        counts = Counts(too_long=mark_too_long(lines, first, self.log.max_chars))
        writer = self.writer
        writer.filtered, writer.filtered_by = 0, {}
        text = "".join(copy_text(self.log.results(lines, first), writer, counts, rows_at_once=len(lines) + 1))
        counts.filtered, counts.filtered_by = writer.filtered, writer.filtered_by
        full = self.rollup is not None and self.rollup.full(HELPER_ROLLUP_SHARE)
        return Batch(text.encode(), counts, self.hand_over() if full else None)

    def hand_over(self) -> dict | None:
        if self.rollup is None:
            return None
        rows = self.rollup.rows
        self.rollup.clear()
        return rows


def staged_in_parallel(
    log: LogChunks, writer: _RowWriter, counts: Counts, rollup: _Rollup | None, db_socket: int
) -> Iterator[bytes]:
    """COPY data of the log's chunks, in order, from helper processes;
    ``counts`` and ``rollup`` take in each chunk's as it comes. Which targets
    a sweeping source's rollup keeps past TARGETS_KEPT may differ from one
    process reading in order; how many never does."""
    stager = _ChunkStager(log, writer, rollup is not None)
    with ChunkPool(stager, log.processes, owner_fds=(db_socket,)) as pool:
        for batch in pool.map(("stage", *item) for item in log.numbered()):
            counts.absorb(batch.counts)
            if batch.rollup:
                rollup.merge(batch.rollup)
            yield batch.copy
        for rows in pool.each("hand_over"):
            if rows:
                rollup.merge(rows)
                yield b""  # lets the caller spill the rollups before more come


def staged_in_order(log: LogChunks, declared_format: str, writer: _RowWriter, counts: Counts, rows_at_once: int):
    """COPY text of the whole log parsed here, in order; returns the parser
    through ``log.parser`` once recognised."""
    reader = log.reader()
    log.parser, results = parse_lines(reader, log.ctx, declared_format)
    yield from copy_text(results, writer, counts, rows_at_once)
    counts.too_long.extend(reader.too_long)
    counts.filtered, counts.filtered_by = writer.filtered, writer.filtered_by
