"""Reading a log as text lines, streaming, whatever it came packed in.

Plain text, gzip and zip (one log per archive) are recognised by their first
bytes, not their names. Nothing is read whole: decompression is bounded (a
zip or gzip bomb stops at LOG_MAX_UNCOMPRESSED_BYTES) and so is a single line
(a line without an end is cut and reported, not buffered).
"""

import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class LogFileError(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


class _CappedReader(io.RawIOBase):
    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.stream.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise LogFileError(f"the log is larger than {self.limit // (1024 * 1024)} MB once unpacked")
        buffer[: len(data)] = data
        return len(data)


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
        except zipfile.BadZipFile as exc:
            raise LogFileError(f"the zip file is damaged ({exc})") from None
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise LogFileError(f"the zip file holds {len(members)} files; send one log per zip")
        stream = archive.open(members[0])
    else:
        stream = raw
    yield io.BufferedReader(_CappedReader(stream, max_bytes), buffer_size=1024 * 1024)


class LineReader:
    """Iterate over decoded lines; overlong lines come out empty and their
    numbers are collected in ``too_long`` so line numbering stays true."""

    def __init__(self, binary, max_chars: int):
        self.text = io.TextIOWrapper(binary, encoding="utf-8", errors="replace", newline="")
        self.max_chars = max_chars
        self.too_long: list[int] = []

    def __iter__(self) -> Iterator[str]:
        readline, limit = self.text.readline, self.max_chars
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
        except (EOFError, zipfile.BadZipFile, gzip.BadGzipFile, OSError) as exc:
            raise LogFileError(f"the compressed file is damaged or cut short ({exc})") from None
