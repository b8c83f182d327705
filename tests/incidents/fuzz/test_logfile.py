"""The file layer (open_binary and LineReader) against bad input: arbitrary
bytes, damaged and cut gzip and zip, bombs, overlong lines, other charsets
and line ends. A file either gives its lines, exactly, or stops with a
LogFileError whose message is for the user; nothing else ever escapes."""

import gzip
import io
import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.logfile import LineReader, LogFileError, open_binary

from .counting import tried

MAX_CHARS = 40
LINE_END = re.compile(r"\r\n|\r|\n")


def read(data: bytes, max_bytes: int = 10**7, max_chars: int = MAX_CHARS) -> tuple[list[str], list[int]]:
    with open_binary(io.BytesIO(data), max_bytes) as binary:
        reader = LineReader(binary, max_chars)
        return list(reader), reader.too_long


def expected_lines(text: str, max_chars: int = MAX_CHARS) -> tuple[list[str], list[int]]:
    """What LineReader must give for ``text``, worked out another way: split
    on every kind of line end, overlong lines emptied and their numbers kept."""
    pieces = LINE_END.split(text)
    if pieces[-1] == "":
        pieces.pop()  # the file ends with a line end
        ends = ["\n"] * len(pieces)
    else:
        ends = ["\n"] * (len(pieces) - 1) + [""]
    lines, too_long = [], []
    for n, (piece, end) in enumerate(zip(pieces, ends, strict=True), start=1):
        if len(piece) > max_chars:
            too_long.append(n)
            lines.append("\n")
        else:
            lines.append(piece + end)
    return lines, too_long


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1)


def zipped(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PACKERS = {
    "plain": lambda data: data,
    "gzip": gzipped,
    "zip": lambda data: zipped({"fw.log": data}),
    "zip-bzip2": lambda data: zipped({"fw.log": data}, zipfile.ZIP_BZIP2),
    "zip-lzma": lambda data: zipped({"fw.log": data}, zipfile.ZIP_LZMA),
}
# Text as logs come: short lines of any characters, any line ends, now and
# then one past the limit.
log_text = st.lists(
    st.tuples(
        st.one_of(st.text(max_size=MAX_CHARS), st.text(min_size=MAX_CHARS - 1, max_size=MAX_CHARS + 3)),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ),
    max_size=20,
).map(lambda pairs: "".join(line.replace("\r", "").replace("\n", "") + end for line, end in pairs))
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "shift_jis"]


@pytest.mark.parametrize("packing", PACKERS)
@given(text=log_text)
def test_lines_come_out_exactly_however_packed(packing, text):
    # A byte order mark at the start is not text of the first line.
    assert read(PACKERS[packing](text.encode())) == expected_lines(text.removeprefix("\ufeff"))
    tried(f"logfile.{packing}")


@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_read_as_text_with_replacement(data):
    if data.startswith((b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06")):
        data = b"x" + data  # a packed file is the next tests' business
    assert read(data) == expected_lines(data.decode("utf-8-sig", errors="replace"))
    tried("logfile.bytes")


@given(text=log_text, encoding=st.sampled_from(ENCODINGS))
def test_other_charsets_keep_their_line_count(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    lines, too_long = read(data, max_chars=10 * MAX_CHARS)
    expected, _ = expected_lines(text.removeprefix("\ufeff"), 10 * MAX_CHARS)
    assert not too_long
    if encoding.startswith("utf-16"):
        # A NUL beside every ASCII character, line ends included: every line end
        # still ends a line (CRLF becomes two), and the NULs are kept, not dropped.
        assert len(lines) >= len(expected)
        assert all(line.endswith("\n") for line in lines[:-1])
        assert not text or "\x00" in "".join(lines)
    else:
        assert len(lines) == len(expected)
    tried("logfile.charsets")


@pytest.mark.parametrize("packing", ["gzip", "zip", "zip-bzip2", "zip-lzma"])
@given(text=log_text.filter(bool), data=st.data())
def test_damaged_or_cut_archives_give_lines_or_a_clear_error(packing, text, data):
    packed = bytearray(PACKERS[packing](text.encode()))
    if data.draw(st.booleans()):
        del packed[data.draw(st.integers(4, len(packed) - 1)) :]
    for _ in range(data.draw(st.integers(0, 8))):
        packed[data.draw(st.integers(0, len(packed) - 1))] = data.draw(st.integers(0, 255))
    try:
        lines, _ = read(bytes(packed))
    except LogFileError as exc:
        assert re.search(r"damaged|cut short|cannot be unpacked|holds \d+ files|larger than", str(exc)), exc
    else:
        assert all(isinstance(line, str) for line in lines)
    tried(f"logfile.damaged.{packing}")


MAGIC = [b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"PK\x05\x06"]


@given(magic=st.sampled_from(MAGIC), rest=st.binary(max_size=300))
def test_arbitrary_bytes_behind_a_packed_file_header_are_refused_clearly(magic, rest):
    try:
        lines, _ = read(magic + rest)
    except LogFileError as exc:
        assert re.search(r"damaged|cut short|cannot be unpacked|holds \d+ files", str(exc)), exc
    else:
        assert all(isinstance(line, str) for line in lines)
    tried("logfile.magic")


@pytest.mark.parametrize("count", [0, 2, 5])
def test_a_zip_with_other_than_one_log_is_refused(count):
    archive = zipped({f"part{i}.log": b"a line\n" for i in range(count)})
    with pytest.raises(LogFileError, match=f"holds {count} files; send one log per zip"):
        read(archive)


@pytest.mark.parametrize("packing", ["gzip", "zip", "zip-bzip2"])
@pytest.mark.parametrize("filler", [b"\x00", b"\n", b"A"])
def test_a_bomb_stops_at_the_unpacked_limit(packing, filler):
    limit = 1024 * 1024
    bomb = PACKERS[packing](filler * (20 * limit))
    assert len(bomb) < limit // 10  # small packed, huge unpacked
    with pytest.raises(LogFileError, match="the log is larger than 1 MB once unpacked"):
        read(bomb, max_bytes=limit, max_chars=65536)


def test_a_plain_file_past_the_limit_stops_too():
    with pytest.raises(LogFileError, match="larger than 4096 bytes once unpacked"):
        read(b"line\n" * 2000, max_bytes=4096)
