"""Real processes for tests: a Celery worker or a one-off command, pointed at
the test database and Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or "localhost"
    if host.startswith("/"):
        host = quote(host, safe="")
    auth = quote(s.get("USER") or "postgres", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DATABASE_URL=test_database_url(), PYTHONUNBUFFERED="1", **extra)
    return env


def start_worker(log: Path | None = None, **env) -> subprocess.Popen:
    """A Celery worker (one process: killing it kills the task it runs);
    ``env`` overrides variables (REDIS_URL, EMAIL_URL), ``log`` keeps its output."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=child_env(**env),
            stdout=output,
            stderr=output,
        )
    finally:
        if log is not None:
            output.close()


def run_python(code: str, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="portal.settings", **env),
    )


def wait_for(condition, timeout: float = 60.0, process: subprocess.Popen | None = None, step: float = 0.05):
    """Wait, bounded, until condition() is true; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode} before the condition held")
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")
