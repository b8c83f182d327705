"""Coverage-guided fuzzing with atheris (libFuzzer) for long runs; one target
per process, since libFuzzer ends the process when it is done.

    python fuzz/atheris_targets.py parsers -runs=100000
    python fuzz/atheris_targets.py logfile -max_total_time=60

``parsers``: the first byte picks a parser, the rest is its log; the checks
are the property suite's (one result per non-blank line, valid events).
``logfile``: the bytes are a file as uploaded; only lines or a LogFileError
may come out. fuzz/run.py runs every target and prints the inputs tried.
"""

import io
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    from incidents.logfile import LineReader, LogFileError, open_binary
    from incidents.parsers import PARSERS
from tests.incidents.fuzz.seeds import context
from tests.incidents.fuzz.test_parsers import check_accounting


def parsers(data: bytes) -> None:
    if not data:
        return
    parser = PARSERS[data[0] % len(PARSERS)]
    lines = data[1:].decode("utf-8", errors="replace").replace("\r", "\n").split("\n")
    check_accounting(parser, lines, context(parser))


def logfile(data: bytes) -> None:
    try:
        with open_binary(io.BytesIO(data), 1024 * 1024) as binary:
            for line in LineReader(binary, 1000):
                assert isinstance(line, str)
    except LogFileError:
        pass


TARGETS = {"parsers": parsers, "logfile": logfile}

if __name__ == "__main__":
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()
