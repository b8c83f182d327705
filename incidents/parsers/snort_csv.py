"""Snort's CSV alert output (``alert_csv``), Snort 2 and Snort 3, and the
pfSense Snort package's alert file.

Layouts, from the output plugins (Snort 2 ``spo_csv.c``, Snort 3
``alert_csv.cc``) and the pfSense package (``snort_generate_conf.php``,
``snort_alerts.php``):

- Snort 2 default, 27 fields: ``timestamp,sig_generator,sig_id,sig_rev,msg,
  proto,src,srcport,dst,dstport,ethsrc,ethdst,ethlen,tcpflags,tcpseq,tcpack,
  tcplen,tcpwindow,ttl,tos,id,dgmlen,iplen,icmptype,icmpcode,icmpid,icmpseq``;
  ``msg`` in double quotes with backslash escapes, ``proto`` only TCP, UDP or
  ICMP, ports only for TCP and UDP, ICMP type and code in their own fields;
- pfSense: ``timestamp,sig_generator,sig_id,sig_rev,msg,proto,src,srcport,
  dst,dstport,id,classification,priority[,action,disposition]`` (13 fields
  in older packages, 15 now), Snort run with ``-y`` so stamps carry the year;
- Snort 3 default: ``timestamp pkt_num proto pkt_gen pkt_len dir src_ap
  dst_ap rule action`` separated by ``", "``, addresses as ``addr:port``
  (port 0 when the protocol has none), ``proto`` as TCP, UDP, ICMP4, ICMP6,
  IP4 or IP6;
- any configured subset of either, in the fields' own order.

No line says which fields were chosen, so each line is read by what its
fields look like: the stamp (``MM/DD[/YY]-hh:mm:ss.uuuuuu``, the sensor's
local time; without a year it gets the year the other year-less formats
give), the first two addresses are source and destination, a number or an
empty field right after an address is its port, the protocol is the field
before the source address or else the first protocol name on the line.

Every alert is an event: an IDS alert is a probe seen, whether or not an
inline sensor dropped it (Snort 3's ``allow`` action only says the packet was
not blocked). The one exception is the pfSense ``pass`` action: a pass rule
is the owner saying the traffic is fine.
"""

from __future__ import annotations

import csv
import re

from .base import LineError, ParseContext, ParsedEvent, Parser, Skipped, check_ip, check_port, tcp_flags
from .snort_fast import parser as _fast

_STAMP = re.compile(r"(\d\d)/(\d\d)(?:/(\d{4}|\d\d))?-(\d\d:\d\d:\d\d)(?:\.\d+)?", re.ASCII)
_MATCH = re.compile(r"\s*\d\d/\d\d(?:/\d{2,4})?-\d\d:\d\d:\d\d(?:\.\d+)?\s*,(?:[^,]*,){3}", re.ASCII)
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", re.ASCII)
_IPV4_PORT = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}", re.ASCII)
_DIGITS = re.compile(r"\d{1,5}", re.ASCII)
_RULE = re.compile(r"\d+:\d+:\d+", re.ASCII)
# Snort 2 names TCP, UDP and ICMP; Snort 3 (Packet::get_type) also ICMP4,
# ICMP6, and IP4 / IP6 for packets whose transport it did not decode.
_PROTOCOLS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "ICMP4": "icmp", "ICMP6": "icmpv6", "SCTP": "sctp"}
_NO_TRANSPORT = frozenset({"IP", "IP4", "IP6", "ETH", "ARP", "NONE"})
# The field names of both versions (and pfSense's two), for a header row.
_FIELD_NAMES = frozenset(
    {
        "timestamp",
        "sig_generator",
        "sig_id",
        "sig_rev",
        "msg",
        "proto",
        "src",
        "srcport",
        "dst",
        "dstport",
        "ethsrc",
        "ethdst",
        "ethlen",
        "ethtype",
        "udplength",
        "trheader",
        "tcpflags",
        "tcpseq",
        "tcpack",
        "tcplen",
        "tcpln",
        "tcpwindow",
        "ttl",
        "tos",
        "id",
        "dgmlen",
        "iplen",
        "icmptype",
        "icmpcode",
        "icmpid",
        "icmpseq",
        "classification",
        "priority",
        "action",
        "disposition",
        "class",
        "b64_data",
        "client_bytes",
        "client_pkts",
        "dir",
        "dst_addr",
        "dst_ap",
        "dst_port",
        "eth_dst",
        "eth_len",
        "eth_src",
        "eth_type",
        "flowstart_time",
        "geneve_vni",
        "gid",
        "icmp_code",
        "icmp_id",
        "icmp_seq",
        "icmp_type",
        "iface",
        "ip_id",
        "ip_len",
        "mpls",
        "pkt_gen",
        "pkt_len",
        "pkt_num",
        "rev",
        "rule",
        "seconds",
        "server_bytes",
        "server_pkts",
        "service",
        "sgt",
        "sid",
        "src_addr",
        "src_ap",
        "src_port",
        "target",
        "tcp_ack",
        "tcp_flags",
        "tcp_len",
        "tcp_seq",
        "tcp_win",
        "udp_len",
        "vlan",
    }
)
# The Snort 2 default layout, the only one whose ICMP type and code are known to sit in fixed places.
_DEFAULT_WIDTH, _DEFAULT_SRC, _ICMP_TYPE, _ICMP_CODE = 27, 6, 23, 24
_TCP_FLAGS = 13
_PFSENSE_SRC, _PFSENSE_ACTION = 6, 13
# CreateTCPFlagString: "12UAPRSF", a star for each flag not set; 1 and 2 are today's CWR and ECE.
_FLAG_LETTERS = {"1": "C", "2": "E", "U": "U", "A": "A", "P": "P", "R": "R", "S": "S", "F": "F"}


def _split(line: str) -> list[str]:
    if '"' not in line:
        return [f.strip() for f in line.split(",")]
    try:
        row = next(csv.reader([line], escapechar="\\", skipinitialspace=True))
    except csv.Error as exc:
        raise LineError(f"malformed CSV: {exc}") from None
    return [f.strip() for f in row]


def _is_ip(text: str) -> bool:
    if _IPV4.fullmatch(text) is None and (text.count(":") < 2 or not text.replace(":", "").replace(".", "").isalnum()):
        return False
    try:
        check_ip(text)
    except LineError:
        return False
    return True


def _endpoint(text: str, fields: list[str]) -> tuple[str, str | None] | None:
    """An address field (``addr``) or, in Snort 3's ``*_ap`` fields, ``addr:port``."""
    if not text or not (text[0].isdigit() or text[0] in "abcdefABCDEF:["):
        return None
    if _IPV4_PORT.fullmatch(text):
        host, _, port = text.rpartition(":")
        return (host, port) if _is_ip(host) else None
    # A bare IPv6 address may end in what looks like a port; only Snort 3's
    # fields (known by their gid:sid:rev rule or IPv4 addr:port neighbours)
    # append one.
    if text.count(":") >= 2 and _with_ports(fields):
        host, _, port = text.rpartition(":")
        if port.isdigit() and _is_ip(host):
            return host, port
    if _is_ip(text):
        return text, None
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if sep and port.isdigit() and _is_ip(host):
            return host, port
    return None


def _with_ports(fields: list[str]) -> bool:
    return any(_RULE.fullmatch(f) or _IPV4_PORT.fullmatch(f) for f in fields)


def _flags(text: str) -> str:
    letters = text.replace("*", "")
    if any(c not in _FLAG_LETTERS for c in letters):
        raise LineError(f"invalid TCP flags {text[:20]!r} (expected Snort's 12UAPRSF)")
    return tcp_flags(_FLAG_LETTERS[c] for c in letters)


class SnortCsvParser(Parser):
    name = "snort_csv"
    label = "Snort CSV alerts (alert_csv, pfSense Snort package)"

    def matches(self, line: str) -> bool:
        if _MATCH.match(line):
            return True
        # A header row some exports put first, naming Snort's own fields.
        if not line.startswith("timestamp"):
            return False
        names = [n.strip().lower() for n in line.split(",")]
        return len(names) > 3 and all(n in _FIELD_NAMES for n in names)

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParsedEvent | Skipped | None:
        fields = _split(line)
        if fields[0].lower() == "timestamp" and all(f.lower() in _FIELD_NAMES for f in fields):
            return Skipped(lineno, "not a traffic record: header")
        stamp = next((i for i, f in enumerate(fields) if _STAMP.fullmatch(f)), None)
        if stamp is None:
            raise LineError("no Snort time stamp (MM/DD-hh:mm:ss.uuuuuu) in the line")
        month, day, year, hms = _STAMP.fullmatch(fields[stamp]).groups()
        # ts_print's stamp, as in the fast alerts: read it the same way.
        when = _fast._fast_time(month, day, year, hms, ctx)

        endpoints = []
        for i, f in enumerate(fields):
            if i != stamp and (found := _endpoint(f, fields)) is not None:
                endpoints.append((i, *found))
                if len(endpoints) == 2:
                    break
        if len(endpoints) < 2:
            raise LineError("alert without a source and a destination address")
        (si, src, sport), (di, dst, dport) = endpoints
        if sport is None and si + 1 < di and (fields[si + 1] == "" or _DIGITS.fullmatch(fields[si + 1])):
            sport = fields[si + 1] or None
        if dport is None and di + 1 < len(fields) and (fields[di + 1] == "" or _DIGITS.fullmatch(fields[di + 1])):
            dport = fields[di + 1] or None

        protocol = self._protocol(fields, si)
        flags = ""
        if protocol == "tcp" and len(fields) == _DEFAULT_WIDTH and si == _DEFAULT_SRC:
            flags = _flags(fields[_TCP_FLAGS])
        if protocol in ("icmp", "icmpv6"):
            # ICMP has no ports; Snort 3's addr:port fields print 0 for them.
            sport = dport = None
            if len(fields) == _DEFAULT_WIDTH and si == _DEFAULT_SRC:
                sport, dport = fields[_ICMP_TYPE] or None, fields[_ICMP_CODE] or None
        if si == _PFSENSE_SRC and len(fields) in (14, 15) and fields[_PFSENSE_ACTION].lower() == "pass":
            return Skipped(lineno, "allowed traffic")
        return ParsedEvent(
            lineno=lineno,
            time=when,
            source_ip=check_ip(src),
            target_ip=check_ip(dst),
            protocol=protocol,
            source_port=check_port(sport),
            target_port=check_port(dport),
            tcp_flags=flags,
        )

    @staticmethod
    def _protocol(fields: list[str], src: int) -> str:
        before = fields[src - 1].upper() if src > 0 else ""
        if before in _PROTOCOLS:
            return _PROTOCOLS[before]
        uppers = [f.upper() for f in fields]
        if found := next((_PROTOCOLS[u] for u in uppers if u in _PROTOCOLS), None):
            return found
        if word := next((u for u in uppers if u in _NO_TRANSPORT), None):
            raise LineError(f"alert on an {word} packet: Snort logged no transport protocol")
        if src > 0 and before == "":
            raise LineError("protocol field empty (Snort's CSV names only TCP, UDP and ICMP)")
        raise LineError("no protocol field")


parser = SnortCsvParser()
