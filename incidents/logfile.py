"""Reading a log as text lines, streaming, whatever it came packed in.

Plain text, gzip and zip (one log per archive) are recognised by their first
bytes, not their names. Nothing is read whole: decompression is bounded (a
zip or gzip bomb stops at LOG_MAX_UNCOMPRESSED_BYTES) and so is a single line
(a line without an end is cut and reported, not buffered).
"""

import contextlib
import gzip
import io
import lzma
import queue
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member's header; an empty archive's end record


class LogFileError(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


# What a damaged gzip or zip raises while it is opened or read: zlib and lzma
# errors are not OSErrors, and zipfile adds its own and some built-in ones.
DAMAGED = (
    EOFError,
    OSError,  # gzip.BadGzipFile, and bz2's errors
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,  # a compression method or zip version zipfile lacks
    RuntimeError,  # an encrypted member
    ValueError,  # a seek to a negative offset from a damaged header
    IndexError,  # a member name of length 0 in a damaged directory
)


class _CappedReader(io.RawIOBase):
    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.stream.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise LogFileError(f"the log is larger than {_size(self.limit)} once unpacked")
        buffer[: len(data)] = data
        return len(data)


def _size(limit: int) -> str:
    # A limit under a megabyte (a test's, or a small deployment's) must not read as "0 MB".
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def kind_of(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    return "text"


@contextmanager
def open_binary(raw, max_bytes: int):
    """Unpack ``raw`` (a binary file) into a bounded binary stream."""
    if not raw.seekable():
        with _spooled(raw, max_bytes) as spool, open_binary(spool, max_bytes) as stream:
            yield stream
        return
    head = raw.read(4)
    raw.seek(0)
    kind = kind_of(head)
    if kind == "gzip":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "zip":
        try:
            archive = zipfile.ZipFile(raw)
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise LogFileError(f"the zip file holds {len(members)} files; send one log per zip")
            stream = archive.open(members[0])
        except LogFileError:
            raise
        except DAMAGED as exc:
            # A damaged directory or member header, a method or version zipfile cannot unpack, or an
            # encrypted member (RuntimeError) are all reported the same way.
            raise LogFileError(f"the zip file is damaged or cannot be unpacked ({exc})") from None
    else:
        stream = raw
    yield io.BufferedReader(_CappedReader(stream, max_bytes), buffer_size=1024 * 1024)


def _spooled(pipe, max_bytes: int):
    """A pipe (``parselog -``) copied to a temporary file: its kind is told
    by its first bytes and a zip's directory is at its end, both read by
    seeking. Packed data larger than the unpacked limit cannot fit it."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    try:
        while chunk := pipe.read(BLOCK_BYTES):
            if spool.tell() + len(chunk) > max_bytes:
                raise LogFileError(f"the log is larger than {_size(max_bytes)} once unpacked")
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


# Lines are read a block at a time and split in bulk: per-line readline()
# through a text wrapper cost more than parsing the line did.
BLOCK_BYTES = 1024 * 1024
BOM = b"\xef\xbb\xbf"  # Windows tools write one; it is not part of the first line


def _cut(data: bytes) -> int:
    """Index just past the last line end in ``data``, 0 if none. A final CR
    is left for the next block, where it may turn out to be half a CRLF."""
    lf = data.rfind(b"\n")
    cr = data.rfind(b"\r", lf + 1, len(data) - 1)
    return max(lf, cr) + 1


def line_blocks(binary, max_chars: int, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The stream as blocks of whole lines, about ``size`` bytes each.

    A line too long to be a log line is cut to a stub that still counts as
    longer than ``max_chars`` (whatever its encoding) and the rest of it is
    dropped, so memory stays bounded by the block size.
    """
    cap = 4 * max_chars + 4  # bytes: surely more than max_chars characters
    carry, skipping, first = b"", False, True
    try:
        while data := binary.read(size):
            if first:
                data, first = data.removeprefix(BOM), False
            if skipping:
                ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
                if not ends:
                    continue
                data, skipping = data[min(ends) + 1 :], False
            buffer = carry + data if carry else data
            cut = _cut(buffer)
            if cut:
                yield buffer[:cut]
            carry = buffer[cut:]
            if len(carry) > cap:
                yield carry[:cap] + b"\n"
                carry, skipping = b"", True
    except LogFileError:
        raise  # the unpacked size limit: its own message
    except DAMAGED as exc:
        raise LogFileError(f"the compressed file is damaged or cut short ({exc})") from None
    if carry and not skipping:
        yield carry


def prefetched(blocks: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """``blocks``, produced ahead by a thread. Reading the file and inflating
    a gzip or zip release the GIL, so a packed log unpacks on another core
    while this one parses. What the blocks raise (a damaged archive, the
    size limit) is raised here, in order, after the blocks before it."""
    ahead: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def produce():
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        ahead.put((block, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put((None, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            ahead.put((None, exc))

    thread = threading.Thread(target=produce, name="log-reader", daemon=True)
    thread.start()
    try:
        while True:
            block, error = ahead.get()
            if error is not None:
                raise error
            if block is None:
                return
            yield block
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue see the stop
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)
        thread.join()


def count_lines(block: bytes) -> int:
    """Lines in a block from ``line_blocks``, counted as ``split_lines`` does."""
    n = block.count(b"\n")
    if b"\r" in block:
        n += block.count(b"\r") - block.count(b"\r\n")
    if block and block[-1:] not in b"\r\n":
        n += 1
    return n


# Where str.splitlines splits besides LF and CR.
_ASCII_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_OTHER_BREAKS = (*_ASCII_BREAKS, "\x85", "\u2028", "\u2029")


def split_lines(block: bytes) -> list[str]:
    """Decode a block and split it where universal newlines would (LF, CRLF
    or a lone CR), each line ending in a plain LF, so a line's length is its
    text alone."""
    text = block.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.splitlines keeps the line ends without copying each line again,
    # but also splits where universal newlines do not: only when none of
    # those characters is there (a fast search each; isascii() is a flag).
    if not any(c in text for c in (_ASCII_BREAKS if text.isascii() else _OTHER_BREAKS)):
        return text.splitlines(keepends=True)
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def mark_too_long(lines: list[str], first: int, max_chars: int) -> list[int]:
    """Blank out overlong lines in place (longer than ``max_chars`` without
    their line end); return their numbers (``first`` is the number of ``lines[0]``)."""
    if max(map(len, lines), default=0) <= max_chars:
        return []
    numbers = []
    for i, line in enumerate(lines):
        if len(line) > max_chars and len(line.rstrip("\r\n")) > max_chars:
            numbers.append(first + i)
            lines[i] = "\n"
    return numbers


class LineReader:
    """Iterate over decoded lines; overlong lines come out empty and their
    numbers are collected in ``too_long`` so line numbering stays true."""

    def __init__(self, binary, max_chars: int, blocks: Iterable[bytes] | None = None):
        self.blocks = blocks if blocks is not None else line_blocks(binary, max_chars)
        self.max_chars = max_chars
        self.too_long: list[int] = []

    def __iter__(self) -> Iterator[str]:
        lineno = 0
        for block in self.blocks:
            lines = split_lines(block)
            self.too_long.extend(mark_too_long(lines, lineno + 1, self.max_chars))
            lineno += len(lines)
            yield from lines
