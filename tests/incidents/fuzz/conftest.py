"""Hypothesis profiles for the fuzz suite, and the count of inputs tried.

``ci`` (the default) is bounded and derandomised: the same inputs every run,
no example database on disk, so CI is fast and never depends on what an
earlier run left behind. ``long`` (``make fuzz``) draws fresh inputs, as many
as FUZZ_EXAMPLES says per target, and keeps the failures it finds under
var/hypothesis/examples so the next long run tries them first.

Every property counts the inputs it really ran (``counting.tried``); the totals are
printed at the end as ``name: value`` lines.
"""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from .counting import TRIED

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=_SLOW_OK
)
# Hypothesis's own files (its caches, the long profile's examples) under var/, never the
# working tree's .hypothesis: nothing a run leaves there is in git or read by CI's profile.
HOME = Path(__file__).resolve().parents[3] / "var" / "hypothesis"
set_hypothesis_home_dir(HOME)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
    database=DirectoryBasedExampleDatabase(HOME / "examples"),
    deadline=None,
    suppress_health_check=_SLOW_OK,
)
settings.load_profile(os.environ.get("FUZZ_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    if TRIED and (os.environ.get("FUZZ_PROFILE") == "long" or terminalreporter.config.option.verbose > 0):
        terminalreporter.section("inputs tried per fuzz target")
        for target, count in sorted(TRIED.items()):
            terminalreporter.write_line(f"{target}: {count}")
        terminalreporter.write_line(f"total: {sum(TRIED.values())}")
