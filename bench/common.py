"""What the benchmarks share: a database of their own, derived from
DATABASE_URL (or the embedded server), recreated and migrated on demand."""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_database_url(suffix: str = "_bench") -> str:
    """DATABASE_URL with ``suffix`` appended to the database name, or
    ``portal<suffix>`` on the embedded server: never the real data."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        base, _, name = url.rpartition("/")
        return f"{base}/{name.split('?')[0]}{suffix}"
    from portal.embedded import database

    params = database(ROOT / "var")
    return f"postgres://postgres@{quote(params['HOST'], safe='')}/portal{suffix}"


def bench_env(url: str) -> dict:
    """The environment for this process and its children, pointed at ``url``;
    also applied to this process (before Django is set up)."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    os.environ.update(env)
    return env


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def admin_conninfo(url: str) -> str:
    """A psycopg connection string for the server's maintenance database."""
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    return admin_url.replace("postgres://", "postgresql://", 1)


def conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def database_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(admin_conninfo(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone() is not None


def recreate_database(url: str) -> None:
    import psycopg

    with psycopg.connect(admin_conninfo(url), autocommit=True) as conn:
        name = database_name(url)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def wait_for_http(host: str, port: int, path: str, deadline: float) -> None:
    """Until a server on host:port answers ``path`` (any status), or ``deadline`` (monotonic) passes."""
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", path, headers={"Host": host})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise SystemExit(f"nothing answered on {host}:{port}")


def start_gunicorn(env: dict, host: str, port: int, workers: int, log) -> subprocess.Popen:
    """The portal under gunicorn's sync workers, as deployed; output to ``log`` (a binary file)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"{host}:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
