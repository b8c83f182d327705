"""Servers the fault tests may kill: a private PostgreSQL and a private Redis.

The machine's PostgreSQL and Redis are shared, so they are never touched:
every fault test gets its own database in a PostgreSQL cluster started for
the session (Debian's binaries, run as the ``postgres`` user, on a free
loopback port) and a Redis of its own, and only those are killed, by their
own process ids.

- ``PrivatePostgres``: ``kill()`` is SIGKILL to the postmaster's whole process
  group (what an OOM kill or a crash leaves: no shutdown checkpoint); the
  next ``start()`` goes through crash recovery from the WAL. fsync is off
  (the OS page cache outlives a killed process), synchronous_commit is on
  (a commit has reached the OS before the client hears of it).
- ``PrivateRedis``: no persistence, so a killed Redis comes back empty and
  every queued task is lost: the hardest case for the sweeps.
- ``HoldingSmtp``: the aiosmtpd server of tests/mailservers.py that can hold
  one SMTP command (EHLO, or the end of DATA) of the n-th session until the
  test releases it: a deterministic "in the middle" for a kill.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from tests.mailservers import HOST, SmtpServer, free_port, live_processes

PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
START_TIMEOUT = 30.0


def _wait(condition, timeout: float, what: str, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} within {timeout} s")


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies aside)."""
    return any(int(fields[2]) == pgid for _, _, fields in live_processes())


def _kill_group(process: subprocess.Popen, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout)
    _wait(lambda: not _group_alive(process.pid), timeout, f"process group {process.pid} still running")


class PrivatePostgres:
    def __init__(self, root: Path):
        self.datadir = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.datadir.mkdir(mode=0o700)
        os.chown(self.datadir, *_postgres_ids())
        subprocess.run(
            [PG_BIN / "initdb", "-D", self.datadir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            user="postgres",
            check=True,
            capture_output=True,
            timeout=120,
        )

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host=HOST, port=self.port, user="postgres", dbname=dbname, **kwargs)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(PG_BIN / "postgres", "-D", self.datadir, "-p", str(self.port)),
                    *("-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories="),
                    *("-c", "fsync=off", "-c", "synchronous_commit=on", "-c", "max_connections=50"),
                ],
                user="postgres",
                start_new_session=True,  # its own process group: kill() takes every backend with it
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        _wait(self._ready, START_TIMEOUT, f"PostgreSQL on {self.port} did not accept connections (see {self.log})")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"PostgreSQL exited with {self.process.returncode}; see {self.log}")
        try:
            with self.connect(connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once.

        Each backend calls setsid() at fork, so the postmaster's process
        group holds only itself: the backends are found as its children. A
        backend kept busy (a COPY fed at full speed) does not stop to notice
        that the postmaster died, and while one lives on, attached to the
        old shared memory, a new postmaster refuses to start."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGSTOP)  # forks no backend while they are listed
        children = [pid for pid, _, fields in live_processes() if int(fields[1]) == self.process.pid]
        _kill_group(self.process)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        alive = set(children)
        _wait(
            lambda: not alive.intersection(pid for pid, _, _ in live_processes()),
            10.0,
            f"backends of PostgreSQL on {self.port} still running",
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # immediate shutdown
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


class PrivateRedis:
    def __init__(self, root: Path):
        self.port = free_port()
        self.log = root / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.port), "--bind", HOST),
                    *("--save", "", "--appendonly", "no", "--protected-mode", "no"),
                ],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        _wait(self._ready, START_TIMEOUT, f"Redis on {self.port} did not answer PING (see {self.log})")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}; see {self.log}")
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        _kill_group(self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _kill_group(self.process)


class HoldingSmtp(SmtpServer):
    """An SmtpServer that can hold the n-th EHLO or the n-th end of DATA.

    Held at EHLO, the client has connected but sent no message: nothing is
    accepted yet. Held at DATA, the server has the whole message (the final
    dot) and has kept it, and withholds only its 250: a client killed then
    never learns that its message went, the one window SMTP leaves."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port)
        self.counts: collections.Counter = collections.Counter()
        self.hold_stage: str | None = None
        self.hold_nth = 0
        self.holding = threading.Event()
        self.released = threading.Event()

    def hold(self, stage: str, nth: int) -> None:
        self.hold_stage, self.hold_nth = stage, nth
        self.holding.clear()
        self.released.clear()

    def release(self) -> None:
        self.hold_stage = None
        self.released.set()

    async def _maybe_hold(self, stage: str) -> None:
        self.counts[stage] += 1
        if stage == self.hold_stage and self.counts[stage] == self.hold_nth:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 120)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # aiosmtpd hook
        session.host_name = hostname  # the hook's duty once it is defined
        await self._maybe_hold("EHLO")
        return responses

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)  # kept: the server owns it now
        await self._maybe_hold("DATA")
        return reply

    def message_ids(self) -> collections.Counter:
        with self._arrived:
            return collections.Counter(m.message["Message-ID"] for m in self.messages)


def private_root() -> Path:
    """A directory the postgres user can reach (pytest's tmp dirs are root-only)."""
    root = Path(tempfile.mkdtemp(prefix="test-faults-"))
    root.chmod(0o755)
    return root
