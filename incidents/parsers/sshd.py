"""OpenSSH server logs: ``auth.log`` / ``secure`` through syslog, and
``journalctl`` output of the ssh unit (prefixes in ``_syslog``).

Messages as OpenSSH writes them (``auth.c`` ``auth_log`` and
``auth_maxtries_exceeded``, ``auth2.c`` ``input_userauth_request``,
``sshd.c`` / ``sshd-session.c``, ``packet.c`` ``sshpkt_fatal``,
``srclimit.c``)::

    Failed password for [invalid user ]root from 45.33.1.2 port 51234 ssh2
    Invalid user admin from 45.33.1.2 port 51234
    error: maximum authentication attempts exceeded for root from 45.33.1.2 port 51234 ssh2 [preauth]
    Disconnecting authenticating user root 45.33.1.2 port 51234: Too many authentication failures [preauth]
    Connection closed by [invalid|authenticating user X ]45.33.1.2 port 51234 [preauth]
    banner exchange: Connection from 45.33.1.2 port 51234: invalid format
    drop connection #3 from [45.33.1.2]:51234 on [100.70.1.1]:22 penalty: failed authentication
    Accepted publickey for alice from 45.33.1.2 port 51234 ssh2: ED25519 SHA256:...

Events: every failed authentication (``Failed <method>``), unknown and
refused users, ``maximum authentication attempts``, the ``[preauth]``
disconnects and handshake failures (a connection that never got as far as a
login is a probe too), and connections sshd itself dropped (MaxStartups,
PerSourcePenalties). One attempt often leaves two lines within a second
(``Invalid user`` then ``Failed password for invalid user``); they have the
same source port and second, so the store keeps one event for them.

``Accepted`` logins are allowed traffic. Everything else sshd says (session
start and end, PAM's own lines, daemon start-up, partial or postponed
authentication, lines without an address) and other programs' lines in the
same file are not traffic records.

Where the attempt went: sshd names the client's address and *source* port
(``from 45.33.1.2 port 51234``), never its own address, and its own port only
in lines that are not about an attempt. So the target port is 22, sshd's
default, except in the ``drop connection`` lines that name it, and the target
address is the unspecified address (``0.0.0.0``, ``::`` for IPv6 clients):
RFC 1122's "this host", which is what auth.log means — the machine that wrote
it. The portal stores it like any address and filters sources only, so
reports show the reporter's own host as one target, which it is. Reading the
local address from LogLevel VERBOSE ``Connection from ... on ...`` lines would
tie each line to an earlier one and cost parallel parsing of large logs.
"""

from __future__ import annotations

import re

from ._syslog import SyslogLine, is_journal_marker, split
from .base import (
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Skipped,
    check_count,
    check_ip,
    check_port,
    this_host,
)

SSH_PORT = 22

_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth"})
# Detection: the tag of a syslog line from sshd or from what else auth.log
# and secure hold (a quiet host's auth.log is mostly cron and sudo, and is
# still an auth log); other programs are left to their own formats.
_TAG = re.compile(
    r"[ >](?:sshd(?:-session|-auth)?|sudo|su|CRON|cron|crond|systemd-logind|polkitd|pkexec|login|unix_chkpwd"
    r"|useradd|usermod|userdel|groupadd|passwd|chpasswd|gpasswd)(?:(?:\[\d+\])?: | [\d-]+ \S+ )",
    re.ASCII,
)

# An address, dotted or with colons: never a bare number, which the greedy
# user parts below would otherwise take the port for.
_ADDR = r"((?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?)"
_REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*?) ?\]$", re.DOTALL)
# Greedy user parts: a client chooses its user name, and one that reads
# "x from 198.18.0.1 port 1" must not frame that address; sshd writes the
# real one last.
_FAILED = re.compile(rf"Failed \S+ for .* from {_ADDR}(?: port (\d+))?(?: ssh\d?)?(?:: .*| \[preauth\])?$", re.DOTALL)
_INVALID = re.compile(rf"(?:Invalid|Illegal) user .* from {_ADDR}(?: port (\d+))?\s*$", re.DOTALL)
_NOT_ALLOWED = re.compile(rf"User .* from {_ADDR} not allowed because ", re.DOTALL)
_ROOT_REFUSED = re.compile(rf"ROOT LOGIN REFUSED FROM {_ADDR}(?: port (\d+))?")
_MAX_TRIES = re.compile(
    rf"maximum authentication attempts exceeded for .* from {_ADDR} port (\d+)(?: ssh2)?(?: \[preauth\])?$", re.DOTALL
)
# "<verb> [invalid user X |authenticating user X |user X ]ADDR port N[: reason][ [preauth]]"
# Older sshd (before 7.x) leaves the port out.
_PEER = re.compile(rf"(?:(invalid|authenticating|) ?user .* )?{_ADDR}(?: port (\d+))?(?::.*)?$", re.DOTALL)
_CLOSED = (
    "Connection closed by ",
    "Connection reset by ",
    "Disconnected from ",
    "Disconnecting ",
    "Received disconnect from ",
    "ssh_dispatch_run_fatal: Connection from ",
)
_PREAUTH_ONLY = (
    "Timeout before authentication for ",
    "Did not receive identification string from ",
    "banner exchange: Connection from ",
    "Unable to negotiate with ",
    "Protocol major versions differ for ",
)
_BAD_VERSION = re.compile(rf"Bad protocol version identification .* from {_ADDR}(?: port (\d+))?\s*$", re.DOTALL)
# OpenSSH 9.8 says "Timeout before authentication for connection from A to B, pid = N".
_PEER_LOOSE = re.compile(rf"(?:connection from )?{_ADDR}(?: port (\d+))?(?=[ :,]|$)")
_DROP = re.compile(r"drop connection #\d+ from \[([^\]]+)\]:(\d+) on \[([^\]]+)\]:(\d+) ")
_WRAPPERS = re.compile(rf"refused connect from \S+ \({_ADDR}\)")
_PREFIXES = ("error: ", "fatal: ")

_NOT_ATTEMPT = {
    "pam": "not a traffic record: PAM message",
    "session": "not a traffic record: session message",
    "daemon": "not a traffic record: sshd daemon message",
    "partial": "not a traffic record: authentication in progress",
    "other": "not a traffic record: sshd message",
    "no address": "not a traffic record: sshd message without an address",
}
_SESSION = (
    "pam_unix(sshd:session)",
    "Starting session:",
    "Close session:",
    "session opened",
    "session closed",
    "User child is on pid",
    "Transferred:",
    "Changed root directory",
    "subsystem request",
)
_DAEMON = ("Server listening on", "Received signal", "Received SIGHUP", "Server terminated", "Starting sshd", "Exiting")


def _unmapped(address: str) -> str:
    # sshd on a dual-stack socket may print IPv4 clients as ::ffff:a.b.c.d.
    if address[:7].lower() == "::ffff:" and "." in address:
        return address[7:]
    return address


def _event(lineno: int, line: SyslogLine, ctx: ParseContext, source: str, sport: str | None, count: int = 1):
    src = check_ip(_unmapped(source))
    return ParsedEvent(
        lineno=lineno,
        time=line.time(ctx),
        source_ip=src,
        target_ip=this_host(src),
        protocol="tcp",
        source_port=check_port(sport),
        target_port=SSH_PORT,
        count=count,
    )


class SshdParser(Parser):
    name = "sshd"
    label = "OpenSSH server log (auth.log, secure, journalctl)"

    def matches(self, line: str) -> bool:
        return _TAG.search(line, 0, 120) is not None and split(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        parts = split(line)
        if parts is None:
            if is_journal_marker(line):
                return Skipped(lineno, "not a traffic record: journal marker")
            if line.lstrip().startswith("#"):
                return Skipped(lineno, "not a traffic record: comment")
            raise LineError("not a syslog or journal line")
        if parts.program not in _PROGRAMS:
            return Skipped(lineno, "not a traffic record: not from sshd")
        message, count = parts.message.rstrip(), 1
        if message.startswith("[ID "):  # Solaris: "[ID 800047 auth.info] Failed password ..."
            message = message.partition("] ")[2]
        if message.startswith("message repeated "):
            repeated = _REPEATED.match(message)
            if repeated is None:
                raise LineError("unreadable 'message repeated' line")
            count, message = check_count(int(repeated.group(1))), repeated.group(2)
        return self._message(lineno, parts, message, count, ctx)

    def _message(self, lineno, parts, message: str, count: int, ctx) -> ParseResult:
        if message.startswith(_PREFIXES):
            message = message[7:]
        head = message[:12]
        if head.startswith("Accepted "):
            return Skipped(lineno, "allowed traffic")
        if head.startswith("Failed "):
            return self._read(lineno, parts, ctx, _FAILED, message, count, "failed authentication")
        if head.startswith(("Invalid user", "Illegal user")):
            return self._read(lineno, parts, ctx, _INVALID, message, count, "invalid user")
        if head.startswith("maximum aut"):
            return self._read(lineno, parts, ctx, _MAX_TRIES, message, count, "maximum authentication attempts")
        if head.startswith("User ") and " not allowed because " in message:
            return self._read(lineno, parts, ctx, _NOT_ALLOWED, message, count, "refused user")
        if head.startswith("ROOT LOGIN R"):
            return self._read(lineno, parts, ctx, _ROOT_REFUSED, message, count, "refused root login")
        if message.startswith(_CLOSED):
            return self._closed(lineno, parts, message, count, ctx)
        if message.startswith(_PREAUTH_ONLY):
            rest = message[next(len(p) for p in _PREAUTH_ONLY if message.startswith(p)) :]
            return self._read(lineno, parts, ctx, _PEER_LOOSE, rest, count, "handshake")
        if head.startswith("Bad protocol"):
            return self._read(lineno, parts, ctx, _BAD_VERSION, message, count, "bad protocol version")
        if head.startswith("drop connec"):
            return self._dropped(lineno, parts, message, count, ctx)
        if head.startswith("refused conn"):
            return self._read(lineno, parts, ctx, _WRAPPERS, message, count, "refused connection")
        return Skipped(lineno, _NOT_ATTEMPT[self._kind(message)])

    @staticmethod
    def _read(lineno, parts, ctx, pattern: re.Pattern, message: str, count: int, what: str) -> ParseResult:
        m = pattern.match(message)
        if m is None:
            # sshd says UNKNOWN where the socket had no peer address left to read.
            if "UNKNOWN" in message:
                return Skipped(lineno, _NOT_ATTEMPT["no address"])
            raise LineError(f"unreadable sshd {what} line")
        return _event(lineno, parts, ctx, m.group(1), m.group(2) if pattern.groups > 1 else None, count)

    @staticmethod
    def _closed(lineno, parts, message: str, count: int, ctx) -> ParseResult:
        preauth = message.endswith("[preauth]")
        body = message.removesuffix("[preauth]").rstrip()
        verb = next(p for p in _CLOSED if body.startswith(p))
        m = _PEER.match(body, len(verb))
        if m is None:
            if " port " not in body or "UNKNOWN" in body:
                return Skipped(lineno, _NOT_ATTEMPT["no address"])
            raise LineError("unreadable sshd disconnect line")
        qualifier, source, sport = m.groups()
        # After a login, the same words end the session: only a connection
        # that never authenticated is an attempt.
        if not preauth and not qualifier:
            return Skipped(lineno, _NOT_ATTEMPT["session"])
        return _event(lineno, parts, ctx, source, sport, count)

    @staticmethod
    def _dropped(lineno, parts, message: str, count: int, ctx) -> ParsedEvent:
        m = _DROP.match(message)
        if m is None:
            raise LineError("unreadable sshd drop connection line")
        source, sport, target, dport = m.groups()
        event = _event(lineno, parts, ctx, source, sport, count)
        event.target_ip = check_ip(_unmapped(target))
        event.target_port = check_port(dport)
        return event

    @staticmethod
    def _kind(message: str) -> str:
        if message.startswith(("pam_", "PAM ", "PAM:", "PAM")) and "session" not in message[:24]:
            return "pam"
        if message.startswith(_SESSION) or "session" in message[:24] or "Disconnected from user" in message:
            return "session"
        if message.startswith(_DAEMON):
            return "daemon"
        if message.startswith(("Postponed ", "Partial ")):
            return "partial"
        if " from " not in message and " port " not in message:
            return "no address"
        return "other"


parser = SshdParser()
