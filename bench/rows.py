"""copy_text alone: the C rows (incidents._rows) against the Python reference.

Parses the generated iptables log of bench/ingest.py (BENCH_LINES lines,
1,000,000 by default; made here when missing, or BENCH_LOG names one) once,
then times copy_text over the parsed results, rollup and the built-in filter
rules included, as the worker's fast path runs it, and _Rollup.lines where
the worker spills (when the rollup is full, checked after each chunk of 4000
rows, as ingest._stage does). No database. Prints `name: value` lines: CPU
microseconds per event, the best of REPEATS (3) runs of each.
"""

import gzip
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT
from ingest import generate

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from incidents import ingest_rows  # noqa: E402
from incidents.filters import EventFilter  # noqa: E402
from incidents.ingest_rows import Counts  # noqa: E402
from incidents.normalise import parse_lines  # noqa: E402
from incidents.parsers import ParseContext  # noqa: E402

LINES = int(os.environ.get("BENCH_LINES", 1_000_000))
REPEATS = int(os.environ.get("REPEATS", 3))


def results() -> list:
    if "BENCH_LOG" in os.environ:
        path = Path(os.environ["BENCH_LOG"])
    else:
        path = ROOT / "var" / "bench" / f"iptables-{LINES}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path, LINES)
    with gzip.open(path, "rt", errors="replace") if path.suffix == ".gz" else path.open(errors="replace") as log:
        ctx = ParseContext(received_at=datetime.now(UTC))
        return list(parse_lines(log, ctx)[1])


def run(impl, parsed, reason) -> tuple[float, float, int]:
    """CPU seconds in copy_text and in the spills' lines, and the text's size."""
    rollup_cls, writer_cls, copy_text = impl
    rollup = rollup_cls()
    writer = writer_cls(1, 1, reason, rollup)
    counts = Counts()
    size, spilling, start = 0, 0.0, time.process_time()
    for chunk in copy_text(parsed, writer, counts, 4000):
        size += len(chunk)
        if rollup.full():
            spilling -= time.process_time()
            size += sum(len(line) for line in rollup.lines())
            rollup.clear()
            spilling += time.process_time()
    spilling -= time.process_time()
    size += sum(len(line) for line in rollup.lines())
    spilling += time.process_time()
    return time.process_time() - start - spilling, spilling, size


def main():
    parsed = results()
    print(f"events: {len(parsed)}")
    reason = EventFilter().reason  # the built-in rules, as a user without rules of their own
    impls = {"python": (ingest_rows._PyRollup, ingest_rows._PyRowWriter, ingest_rows._py_copy_text)}
    if ingest_rows._rows is not None:
        impls["c"] = (ingest_rows._CRollup, ingest_rows._CRowWriter, ingest_rows._c_copy_text)
    sizes = set()
    for name, impl in impls.items():
        best = min(run(impl, parsed, reason) for _ in range(REPEATS))
        sizes.add(best[2])
        print(f"copy_text_{name}_us_per_event: {best[0] / len(parsed) * 1e6:.3f}")
        print(f"spill_lines_{name}_us_per_event: {best[1] / len(parsed) * 1e6:.3f}")
    assert len(sizes) == 1, "the implementations wrote different amounts of text"


if __name__ == "__main__":
    main()
