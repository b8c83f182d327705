"""The smallest inputs the fuzz suite found breaking a parser or the file
layer, kept as plain tests so they stay fixed whatever the fuzzer draws."""

import gzip
import io
import zipfile

import pytest

from incidents.logfile import LineReader, LogFileError, open_binary
from incidents.parsers import ParsedEvent, Rejection, get_parser
from tests.incidents.parsers import (
    test_dshield,
    test_fortigate,
    test_generic_csv,
    test_iptables,
    test_juniper_srx,
    test_paloalto,
    test_pflog,
    test_snort_fast,
    test_suricata_eve,
)

PFLOG_TAIL = " rule 0/() block in on em0: 203.0.113.5.1 > 198.51.100.7.22: S 1:1(0) win 16384"

# (format, lines, the module whose context reads them, reason of the last line's rejection)
REJECTED = [
    # Near year 1 the zone's offset took the time past what datetime holds: OverflowError escaped the parser.
    (
        "dshield",
        ["0001-01-01 00:00:00\t0\t1\t203.0.113.5\t1\t198.51.100.7\t22\t6"],
        test_dshield,
        "time 0001-01-01 00:00:00 is out of range",
    ),
    (
        "dshield",
        ["0001-01-01 00:00:00 +01:00\t0\t1\t203.0.113.5\t1\t198.51.100.7\t22\t6"],
        test_dshield,
        "time stamp '0001-01-01 00:00:00+01:00' is out of range",
    ),
    (
        "generic_csv",
        [test_generic_csv.HEADER, "0001/01/01 00:00:00,203.0.113.5,1,198.51.100.7,22,TCP,DENY,S"],
        test_generic_csv,
        "time 0001-01-01 00:00:00 is out of range",
    ),
    # Unix seconds past year 9999 (OverflowError) or the platform's time_t (OSError).
    ("pflog", ["10000000000000000000" + PFLOG_TAIL], test_pflog, "time stamp 10000000000000000000 is out of range"),
    ("pflog", ["100000000000000000" + PFLOG_TAIL], test_pflog, "time stamp 100000000000000000 is out of range"),
    # Protocols the event table cannot hold (over 16 characters) or no firewall writes: each was
    # accepted as an event, and a long one would have failed the whole submission's COPY.
    (
        "iptables",
        [test_iptables.EDGEOS_DROP.replace("PROTO=TCP", "PROTO=\x1bTCP")],
        test_iptables,
        "invalid protocol '\\x1bTCP'",
    ),
    (
        "fortigate",
        [test_fortigate.DENY_SSH.replace("proto=6", "proto=" + "9" * 30)],
        test_fortigate,
        "invalid protocol number '99999999999999999999'",
    ),
    (
        "suricata_eve",
        [test_suricata_eve.DOCS_ALERT.replace('"proto":"TCP"', '"proto":"\u0663CP"')],
        test_suricata_eve,
        "invalid protocol '\u0663CP'",
    ),
    (
        "snort_fast",
        [test_snort_fast.SNORT_TCP.replace("{TCP}", "{\x08}")],
        test_snort_fast,
        "invalid protocol '\\x08'",
    ),
    (
        "paloalto",
        [test_paloalto.DENY.replace(",tcp,", ",\x00cp,")],
        test_paloalto,
        "invalid protocol '\\x00cp'",
    ),
    (
        "juniper_srx",
        [test_juniper_srx.SD_DENY_UDP.replace('protocol-id="17"', 'protocol-id="\u0660"')],
        test_juniper_srx,
        "invalid protocol '\u0660'",
    ),
    (
        "dshield",
        [test_dshield.GOOD.replace("\t6\t", "\t256\t")],
        test_dshield,
        "invalid protocol number '256'",
    ),
    # A repeat count past the event table's integer column.
    (
        "paloalto",
        [test_paloalto.DENY.replace(",0,3,51234,", ",0,012801096514,51234,")],
        test_paloalto,
        "count 12801096514 out of range",
    ),
]


@pytest.mark.parametrize("name, lines, module, reason", REJECTED, ids=[f"{c[0]}-{i}" for i, c in enumerate(REJECTED)])
def test_found_by_fuzzing_rejected_with_a_reason(name, lines, module, reason):
    results = list(get_parser(name).parse(lines, module.ctx()))
    assert results[-1] == Rejection(len(lines), reason, lines[-1])


def test_tcp_flags_on_the_iptables_fast_path_only_for_tcp():
    line = test_iptables.EDGEOS_DROP.replace("PROTO=TCP", "PROTO=0TCP")
    (event,) = get_parser("iptables").parse([line], test_iptables.ctx())
    assert type(event) is ParsedEvent and (event.protocol, event.tcp_flags) == ("0tcp", "")


def lines_of(data: bytes, max_chars: int) -> tuple[list[str], list[int]]:
    with open_binary(io.BytesIO(data), 10**7) as binary:
        reader = LineReader(binary, max_chars)
        return list(reader), reader.too_long


def test_an_overlong_line_in_a_log_with_cr_line_ends_costs_that_line_only():
    # The rest of the file was swallowed as the overlong line's continuation.
    assert lines_of(b"abc\rdefghijkl\rx\ry\n", 4) == (["abc\n", "\n", "x\n", "y\n"], [2])


def test_crlf_lines_up_to_the_limit_are_not_overlong():
    assert lines_of(b"abc\r\nxyz\r\n", 4) == (["abc\n", "xyz\n"], [])
    assert lines_of(b"abcd\nabcde\n", 4) == (["abcd\n", "\n"], [2])


def test_a_byte_order_mark_is_not_part_of_the_first_line():
    line = test_iptables.UFW_BLOCK
    (text,), _ = lines_of(b"\xef\xbb\xbf" + line.encode(), 65536)
    assert text == line
    (event,) = get_parser("iptables").parse([text], test_iptables.ctx())
    assert type(event) is ParsedEvent


def small_zip(method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("fw.log", "Nov 22 10:00:01 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5\n" * 3)
    return buffer.getvalue()


ARCHIVES = {
    "gzip": gzip.compress(b"Nov 22 10:00:01 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5\n" * 3),
    "zip-deflate": small_zip(zipfile.ZIP_DEFLATED),
    "zip-bzip2": small_zip(zipfile.ZIP_BZIP2),
    "zip-lzma": small_zip(zipfile.ZIP_LZMA),
}


@pytest.mark.parametrize("kind", ARCHIVES)
def test_every_single_byte_damage_gives_lines_or_a_clear_error(kind):
    """zlib.error, lzma.LZMAError, NotImplementedError (zip version or method),
    RuntimeError (the encrypted bit), ValueError (a negative seek) and
    IndexError (an empty member name) each escaped the file layer for some
    byte of these archives."""
    archive = ARCHIVES[kind]
    for at in range(len(archive)):
        for value in (0x00, 0x7F, 0x80, 0xFF, archive[at] ^ 0x01):
            damaged = archive[:at] + bytes([value]) + archive[at + 1 :]
            try:
                lines_of(damaged, 65536)
            except LogFileError as exc:
                assert "damaged" in str(exc) or "files; send one log" in str(exc)


def test_an_empty_zip_is_named_as_such():
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()  # the end record alone: read as text before
    with pytest.raises(LogFileError, match="the zip file holds 0 files"):
        lines_of(buffer.getvalue(), 65536)
