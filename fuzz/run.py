"""Long fuzz runs: the hypothesis suite with the ``long`` profile, then each
atheris target for a while; prints ``name: value`` lines (inputs tried per
target). Make target: ``make fuzz`` (FUZZ_EXAMPLES, FUZZ_SECONDS)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("FUZZ_SECONDS", "120"))


def hypothesis_suite() -> int:
    env = {**os.environ, "FUZZ_PROFILE": "long"}
    command = [sys.executable, "-m", "pytest", "tests/incidents/fuzz", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    counts = re.findall(r"^([\w.-]+): (\d+)$", result.stdout, re.MULTILINE)
    for name, value in counts:
        print(f"hypothesis.{name}: {value}")
    for line in result.stdout.splitlines():
        if line.startswith("FAILED") or re.match(r"\d+ (passed|failed)", line):
            print(line)  # the failing example is kept under var/hypothesis/examples and tried first next time
    if not result.stdout.strip():
        print(result.stderr[-2000:])
    return result.returncode


def atheris_target(name: str) -> int:
    try:
        import atheris  # noqa: F401
    except ImportError:
        print(f"atheris.{name}: skipped (pip install -e '.[fuzz]')")
        return 0
    command = [sys.executable, "fuzz/atheris_targets.py", name, f"-max_total_time={SECONDS}", "-rss_limit_mb=1024"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    done = re.search(r"Done (\d+) runs", result.stderr)
    print(f"atheris.{name}: {done.group(1) if done else 'crashed'}")
    if result.returncode:
        print(result.stderr[-3000:])
    return result.returncode


if __name__ == "__main__":
    failures = hypothesis_suite()
    for target in ("parsers", "logfile"):
        failures |= atheris_target(target)
    sys.exit(1 if failures else 0)
