"""What the tests of the C accelerators share (incidents/_rows.c,
incidents/_iptables.c): the hypothesis settings of their differential
tests, the check that CI built them, and the process's memory."""

import os

from hypothesis import HealthCheck, settings

DIFFERENTIAL = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_built_in_ci(extension, name: str, accelerated: bool, pure_python: bool) -> None:
    """CI has gcc: there a missing extension is a build failure, and it is
    in use unless PORTAL_PURE_PYTHON_ROWS asks for the reference."""
    if os.environ.get("CI"):
        assert extension is not None, f"{name} did not build: CI has gcc, so this is a build failure"
        assert accelerated or pure_python


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
