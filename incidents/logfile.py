"""Reading a log as text lines, streaming, whatever it came packed in.

Plain text, gzip and zip (one log per archive) are recognised by their first
bytes, not their names. Nothing is read whole: decompression is bounded (a
zip or gzip bomb stops at LOG_MAX_UNCOMPRESSED_BYTES) and so is a single line
(a line without an end is cut and reported, not buffered).
"""

import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
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
    """Unpack ``raw`` (a seekable binary file) into a bounded binary stream."""
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


class LineReader:
    """Iterate over decoded lines; overlong lines come out empty and their
    numbers are collected in ``too_long`` so line numbering stays true."""

    def __init__(self, binary, max_chars: int):
        # utf-8-sig: a byte order mark (Windows tools write one) is not part of the first line.
        # newline=None: \n, \r\n and a lone \r (old Mac and some appliances) each end a line and come
        # out as one "\n", so a line's length is its text alone and a CRLF cut at the limit stays whole.
        self.text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline=None)
        self.max_chars = max_chars
        self.too_long: list[int] = []

    def __iter__(self) -> Iterator[str]:
        readline, limit = self.text.readline, self.max_chars + 1  # the longest line allowed and its end
        lineno = 0
        try:
            while line := readline(limit):
                lineno += 1
                if len(line) == limit and not line.endswith("\n"):
                    while (rest := readline(limit)) and not rest.endswith("\n"):
                        pass
                    self.too_long.append(lineno)
                    line = "\n"
                yield line
        except LogFileError:
            raise  # the unpacked size limit: its own message
        except DAMAGED as exc:
            raise LogFileError(f"the compressed file is damaged or cut short ({exc})") from None
