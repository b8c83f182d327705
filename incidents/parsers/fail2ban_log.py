"""fail2ban's own log (``/var/log/fail2ban.log``), and the same lines sent
to syslog or the journal (``logtarget = SYSLOG``).

Layout, from fail2ban's logging set-up (``fail2ban/server/server.py``:
``%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s`` since
0.10, ``%(name)-16s[%(process)d]`` in 0.9, no pid in 0.8) and the messages of
``fail2ban/server/actions.py`` and ``filter.py``::

    2026-11-22 10:00:01,123 fail2ban.actions        [812]: NOTICE  [sshd] Ban 45.33.1.2
    2026-11-22 10:00:01,123 fail2ban.filter         [812]: INFO    [sshd] Found 45.33.1.2 - 2026-11-22 10:00:00
    2026-11-22 11:00:01,123 fail2ban.actions        [812]: NOTICE  [sshd] Unban 45.33.1.2
    2026-11-22 12:00:01,123 fail2ban.actions        [812]: NOTICE  [sshd] Restore Ban 45.33.1.2

Each ``Ban`` is an event: fail2ban's verdict that the source attacked the
jail's service, and the moment its firewall began to block it. ``Found``
lines are each failure the jail's filter matched; they are not counted,
because the ban that follows already stands for them (counting both would
count one attack maxretry + 1 times) and because failures that never add up
to a ban include the owner's own mistyped passwords. ``Restore Ban`` (the
bans re-applied from fail2ban's database at start-up, already counted when
they were made), ``Unban``, ``already banned`` and fail2ban's status lines
are not traffic records.

The jail names the service; its port is the first one the stock jail.conf
gives that jail (``port = http,https`` is 80, ``smtp,465,submission`` is 25)
and is read from the name's first word, so ``sshd-aggressive`` or
``nginx-botsearch`` find theirs too. A jail the table does not know (a
local one, ``recidive`` which bans every port) has no target port. The time
is fail2ban's local time, read in the submission's zone. As for sshd, the
target address is the host's own, which the log does not name: the
unspecified address ("this host", see ``sshd``).
"""

from __future__ import annotations

import re

from ._syslog import split
from .base import (
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Skipped,
    check_ip,
    parse_iso_time,
    this_host,
)

# First word of a jail name -> the first port of the stock jail.conf's
# "port =" line for the jails starting with it; the web applications that
# ship their own jail files (wordpress, drupal, nextcloud) ban http,https too.
JAIL_PORTS = {
    "ssh": 22,
    "sshd": 22,
    "dropbear": 22,
    "selinux": 22,  # selinux-ssh
    "apache": 80,
    "nginx": 80,
    "lighttpd": 80,
    "php": 80,  # php-url-fopen
    "suhosin": 80,
    "roundcube": 80,
    "openwebmail": 80,
    "horde": 80,
    "groupoffice": 80,
    "sogo": 80,
    "tine20": 80,
    "guacamole": 80,
    "wordpress": 80,
    "wp": 80,
    "drupal": 80,
    "phpmyadmin": 80,
    "nextcloud": 80,
    "gitlab": 80,
    "haproxy": 80,
    "traefik": 80,
    "webmin": 10000,
    "squid": 80,
    "3proxy": 3128,
    "proftpd": 21,
    "pure": 21,  # pure-ftpd
    "gssftpd": 21,
    "wuftpd": 21,
    "vsftpd": 21,
    "ftp": 21,
    "assp": 25,
    "courier": 25,
    "postfix": 25,
    "sendmail": 587,  # sendmail-auth: submission,465,smtp
    "qmail": 25,
    "exim": 25,
    "sieve": 25,
    "dovecot": 110,  # pop3,pop3s,imap,imaps,...
    "solid": 110,  # solid-pop3d
    "kerio": 143,
    "perdition": 143,
    "cyrus": 143,
    "uwimap": 143,
    "named": 53,
    "nsd": 53,
    "asterisk": 5060,
    "freeswitch": 5060,
    "mysqld": 3306,
    "mssql": 1433,
    "mongodb": 27017,
    "ejabberd": 5222,
    "murmur": 64738,
    "monit": 2812,
    "openhab": 8080,
}

_FILE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)? (fail2ban(?:\.[\w.-]+)?) *(?:\[\d+\])?: +([A-Z]+) +(.*)",
    re.ASCII | re.DOTALL,
)
# Through syslog the program is the logger's name and the stamp is syslog's.
_SYSLOGGED = re.compile(r"(?:fail2ban(?:\.[\w.-]+)? *(?:\[\d+\])?: +)?([A-Z]+) +(\[.*)", re.ASCII | re.DOTALL)
_JAIL = re.compile(r"\[([^\]]+)\] +(.*)", re.DOTALL)
_BAN = re.compile(r"Ban ([0-9A-Fa-f:.]+)\s*$")
_LEVELS = frozenset({"DEBUG", "INFO", "NOTICE", "WARNING", "WARN", "ERROR", "CRITICAL", "HEAVYDEBUG"})
_MATCH = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)? fail2ban[\w.-]* *(?:\[\d+\])?: ", re.ASCII)
_MATCH_SYSLOG = re.compile(r" fail2ban(?:[\w.-]*)(?:\[\d+\])?: (?:fail2ban[\w.-]* *(?:\[\d+\])?: +)?[A-Z]+ ", re.ASCII)


def jail_port(jail: str) -> int | None:
    name = jail.lower()
    port = JAIL_PORTS.get(name)
    if port is None:
        port = JAIL_PORTS.get(re.split(r"[-_.]", name, maxsplit=1)[0])
    return port


class Fail2banParser(Parser):
    name = "fail2ban_log"
    label = "fail2ban log (fail2ban.log)"

    def matches(self, line: str) -> bool:
        if line[:1].isdigit() and _MATCH.match(line):
            return True
        return "fail2ban" in line[:80] and _MATCH_SYSLOG.search(line, 0, 160) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        if m := _FILE.match(line):
            stamp, _logger, level, message = m.groups()
            when = None
        else:
            parts = split(line)
            if parts is None or not parts.program.startswith("fail2ban"):
                if line.lstrip().startswith("#"):
                    return Skipped(lineno, "not a traffic record: comment")
                raise LineError("not a fail2ban log line")
            inner = _FILE.match(parts.message)
            if inner is not None:
                stamp, _logger, level, message = inner.groups()
                when = None
            else:
                m = _SYSLOGGED.match(parts.message)
                if m is None:
                    return Skipped(lineno, "not a traffic record: fail2ban status message")
                level, message = m.groups()
                stamp, when = "", parts
        if level not in _LEVELS:
            raise LineError(f"unknown log level {level!r}")
        jailed = _JAIL.match(message)
        if jailed is None:
            return Skipped(lineno, "not a traffic record: fail2ban status message")
        jail, action = jailed.groups()
        if not (action.startswith("Ban ") or action.rstrip() == "Ban"):
            if action.startswith("Found "):
                return Skipped(lineno, "not a traffic record: failure found (the ban counts)")
            return Skipped(lineno, "not a traffic record: fail2ban status message")
        ban = _BAN.match(action)
        if ban is None:
            raise LineError("unreadable Ban line (expected an address after Ban)")
        source = check_ip(ban.group(1))
        return ParsedEvent(
            lineno=lineno,
            time=when.time(ctx) if when is not None else parse_iso_time(stamp, ctx),
            source_ip=source,
            target_ip=this_host(source),
            protocol="tcp",
            target_port=jail_port(jail),
        )


parser = Fail2banParser()
