"""Real mail servers on loopback for tests.

- ``imap_server``: Dovecot (Debian's ``dovecot-imapd``, installed by
  ``make system-test-deps``) with one user whose mailbox is empty at the start of
  every test. One Dovecot runs for the whole pytest session (``dovecot_service``):
  it starts in ~50 ms but its master always takes ~1.1 s to stop. Between tests
  its IMAP sessions are ended and the user's maildir is removed.
- ``smtp_server``: an aiosmtpd ``Controller`` per test that keeps what it receives.
- ``smtp_mail_settings``: points Django's SMTP backend at ``smtp_server``.

Dovecot's master runs as root (as it is designed to) and drops its helpers to the
``dovecot``/``dovenull`` users that the package creates; mail is accessed as the
``dovecot`` user. Those users cannot see into pytest's temporary directories
(pytest keeps ``/tmp/pytest-of-root`` at mode 0700 and resets it on every run),
so the parts they must reach (base_dir with its sockets, the passwd-file, the
maildir) live in a private directory under the system temp dir that the fixture
removes afterwards; the config file, the log and the state dir stay in the
pytest tmp dir, where the log is kept for a look after a failure.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
HOST = "127.0.0.1"
IMAP_USER = "submit"
IMAP_PASSWORD = "submit-secret"
START_TIMEOUT = 15.0


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the servers retry if it is taken since)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------- IMAP


class StoredMessage(NamedTuple):
    uid: int
    flags: frozenset[str]
    raw: bytes


_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
_LIST_LINE = re.compile(rb'^\((?P<attrs>[^)]*)\) (?P<sep>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')


def _unquote(value: bytes) -> str:
    if value.startswith(b'"') and value.endswith(b'"'):
        value = re.sub(rb"\\(.)", rb"\1", value[1:-1])
    return value.decode()


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data, what: str):
    if typ != "OK":
        raise AssertionError(f"IMAP {what} failed: {typ} {data!r}")
    return data


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    separator: str
    maildir: Path
    log_path: Path

    def connect(self, timeout: float = 10.0) -> imaplib.IMAP4:
        """A logged-in imaplib client; the caller logs out (or uses it as a context manager)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=timeout)
        try:
            client.login(self.user, self.password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def create_folder(self, folder: str) -> None:
        with self.connect() as c:
            _check(*c.create(_quote(folder)), f"CREATE {folder}")

    def deliver(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] | list[str] = ()) -> int:
        """Store one message (IMAP APPEND) and return its UID; creates the folder when missing."""
        with self.connect() as c:
            if folder.upper() != "INBOX" and folder not in self._list(c):
                _check(*c.create(_quote(folder)), f"CREATE {folder}")
            flag_list = "(" + " ".join(flags) + ")" if flags else None
            data = _check(*c.append(_quote(folder), flag_list, None, raw), f"APPEND to {folder}")
        match = _APPENDUID.search(data[0] or b"")
        if not match:
            raise AssertionError(f"APPEND gave no APPENDUID: {data!r}")
        return int(match.group(1))

    def messages(self, folder: str = "INBOX") -> list[StoredMessage]:
        """Every message in the folder, by UID: (uid, flags, raw bytes), read without setting \\Seen.

        ``flags`` leaves out \\Recent (a per-session flag). ``raw`` is what the server
        sends: CRLF line endings even for a message delivered with bare LFs."""
        with self.connect() as c:
            count = int(_check(*c.select(_quote(folder), readonly=True), f"EXAMINE {folder}")[0])
            if count == 0:
                return []
            data = _check(*c.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])"), f"FETCH in {folder}")
        found = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            head, raw = item
            uid, flags = _FETCH_UID.search(head), _FETCH_FLAGS.search(head)
            if not uid or not flags:
                raise AssertionError(f"unexpected FETCH response: {head!r}")
            flag_set = frozenset(flags.group(1).decode().split()) - {"\\Recent"}  # per session, not stored
            found.append(StoredMessage(int(uid.group(1)), flag_set, raw))
        return sorted(found)

    def folders(self) -> list[str]:
        """Names of all folders, sorted (hierarchy separator: ``separator``)."""
        with self.connect() as c:
            return sorted(self._list(c))

    @staticmethod
    def _list(client: imaplib.IMAP4) -> list[str]:
        names = []
        for line in _check(*client.list('""', "*"), "LIST"):
            if line is None:
                continue
            if isinstance(line, tuple):  # the name came as a literal
                names.append(line[1].decode())
                continue
            match = _LIST_LINE.match(line)
            if not match:
                raise AssertionError(f"unexpected LIST response: {line!r}")
            names.append(_unquote(match.group("name")))
        return names


DOVECOT_CONF = """\
# Private Dovecot for a pytest session: plain IMAP on loopback, one user, a maildir.
protocols = imap
listen = {host}
instance_name = {instance}
base_dir = {base_dir}
state_dir = {state_dir}
log_path = {log_path}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Failed logins (tests of wrong passwords) must not slow down later ones: no
# failure delay, and no anvil auth penalty (growing delays per client IP).
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = {mail_uid_number}
mail_location = maildir:{mail_root}/%u
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = home={mail_root}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _imap_greeting(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            return s.recv(256).startswith(b"* OK")
    except OSError:
        return False


def live_processes():
    """(pid, command name, the /proc stat fields after it) of every process but zombies."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if rest[0] != "Z":
            yield int(entry), comm, rest


def _children(pid: int, name: str) -> list[int]:
    """PIDs of the live children of ``pid`` whose command name is ``name``."""
    return [entry for entry, comm, rest in live_processes() if comm == name and int(rest[1]) == pid]


def _stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()  # the master stops its children (shutdown_clients = yes) in about a second
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@dataclass
class Dovecot:
    """The running Dovecot of a pytest session (use ``imap_server`` in tests)."""

    process: subprocess.Popen
    server: ImapServer
    workdir: Path

    def reset(self, timeout: float = 10.0) -> None:
        """End every IMAP session and remove the user's maildir: the next login finds it empty."""
        if self.process.poll() is not None:
            raise AssertionError(f"Dovecot exited with {self.process.returncode}; see {self.server.log_path}")
        sessions = _children(self.process.pid, "imap")
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _children(self.process.pid, "imap"):
            if time.monotonic() > deadline:
                raise AssertionError(f"Dovecot's IMAP sessions {sessions} did not end within {timeout} s")
            time.sleep(0.01)
        shutil.rmtree(self.server.maildir, ignore_errors=True)


def _start_dovecot(workdir: Path, private: Path, attempts: int = 3) -> Dovecot:
    """Write the config and run ``dovecot -F`` until its IMAP greeting answers."""
    mail_user = pwd.getpwnam("dovecot")
    mail_group = grp.getgrgid(mail_user.pw_gid)
    base_dir, mail_root, passwd = private / "run", private / "mail", private / "passwd"
    state_dir, log_dir = workdir / "state", workdir / "log"
    for d in (state_dir, log_dir, mail_root):
        d.mkdir(parents=True, exist_ok=True)
    os.chown(mail_root, mail_user.pw_uid, mail_user.pw_gid)
    mail_root.chmod(0o700)
    passwd.write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::::\n")
    os.chown(passwd, 0, mail_user.pw_gid)  # read by the auth process (dovecot user)
    passwd.chmod(0o640)
    # Dovecot's master ends with the pytest process even when it is killed.
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []

    for _ in range(attempts):
        port = free_port()
        log_path = log_dir / f"dovecot-{port}.log"
        conf = workdir / "dovecot.conf"
        conf.write_text(
            DOVECOT_CONF.format(
                host=HOST,
                port=port,
                instance=f"test-{os.getpid()}-{port}",
                base_dir=base_dir,
                state_dir=state_dir,
                log_path=log_path,
                mail_uid=mail_user.pw_name,
                mail_gid=mail_group.gr_name,
                mail_uid_number=mail_user.pw_uid,
                mail_root=mail_root,
                passwd=passwd,
                separator="/",
            )
        )
        stderr_path = log_dir / f"dovecot-{port}.stderr"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [*prefix, DOVECOT, "-F", "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _imap_greeting(HOST, port):
                server = ImapServer(HOST, port, IMAP_USER, IMAP_PASSWORD, "/", mail_root / IMAP_USER, log_path)
                return Dovecot(process, server, workdir)
            time.sleep(0.02)
        exited = process.poll()
        _stop(process)
        output = stderr_path.read_text(errors="replace")
        if log_path.exists():
            output += log_path.read_text(errors="replace")
        if "Address already in use" not in output:
            how = f"gave no greeting in {START_TIMEOUT} s" if exited is None else f"exited with {exited}"
            raise AssertionError(f"Dovecot on {HOST}:{port} {how}:\n{output}")
        shutil.rmtree(base_dir, ignore_errors=True)
    raise AssertionError(f"Dovecot found no free port in {attempts} attempts")


@pytest.fixture(scope="session")
def dovecot_service(tmp_path_factory):
    """One Dovecot for the pytest session (starting takes ~50 ms, stopping ~1.1 s)."""
    if not os.access(DOVECOT, os.X_OK):
        pytest.fail("Dovecot is not installed: run `make system-test-deps` (Debian package dovecot-imapd)")
    if os.geteuid() != 0:
        pytest.fail("the imap_server fixture runs Dovecot's master as root, as Debian's service does")
    workdir = tmp_path_factory.mktemp("dovecot")
    private = Path(tempfile.mkdtemp(prefix="test-dovecot-"))
    private.chmod(0o711)  # the dovecot users go through it, but cannot list it
    try:
        service = _start_dovecot(workdir, private)
        try:
            yield service
        finally:
            _stop(service.process)
    finally:
        shutil.rmtree(private, ignore_errors=True)


@pytest.fixture
def imap_server(dovecot_service):
    """The session's Dovecot with an empty mailbox and no open IMAP sessions for this test."""
    dovecot_service.reset()
    yield dovecot_service.server
    dovecot_service.reset()


# --------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    content: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        mail = ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        with self._arrived:
            self.messages.append(mail)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait, bounded, until at least ``count`` messages arrived; return them all."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"{len(self.messages)} of {count} messages arrived within {timeout} s")
            return list(self.messages)


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on loopback that keeps every message it is sent."""
    from aiosmtpd.controller import Controller

    for attempt in range(3):
        server = SmtpServer(HOST, free_port())
        controller = Controller(server, hostname=HOST, port=server.port, ready_timeout=10.0)
        try:
            controller.start()
        except OSError:
            if attempt == 2:
                raise
            continue
        break
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_mail_settings(settings, smtp_server):
    """Django sends mail over SMTP to ``smtp_server`` for this test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return settings
