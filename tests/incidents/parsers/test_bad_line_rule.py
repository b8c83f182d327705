"""Every parser keeps the same rule, also those with their own parse loop:
a line that breaks the parser in a way nobody foresaw costs that line, not
the whole log."""

import pytest

from incidents.parsers import ParsedEvent, Rejection, get_parser
from incidents.parsers import paloalto as paloalto_module
from tests.incidents.parsers import test_generic_csv, test_paloalto, test_suricata_eve, test_windows_firewall


def failing_on_line_2(step):
    def wrapped(*args, **kwargs):
        lineno = next(a for a in args if isinstance(a, int))
        if lineno == 2:
            raise TypeError("a bug nobody foresaw")
        return step(*args, **kwargs)

    return wrapped


CASES = [
    # (format, object holding the per-line step, its name, lines: first and third are events, context)
    (
        "generic_csv",
        "parser",
        "_row",
        [
            test_generic_csv.HEADER,
            test_generic_csv.DENY,
            test_generic_csv.DENY,
            test_generic_csv.DENY.replace("51234", "51235"),
        ],
        test_generic_csv.ctx,
    ),
    (
        "windows_firewall",
        "parser",
        "_row",
        [test_windows_firewall.SMB_SYN, test_windows_firewall.SMB_SYN, test_windows_firewall.PING],
        test_windows_firewall.ctx,
    ),
    (
        "paloalto",
        "module",
        "_event",
        [test_paloalto.DENY, test_paloalto.DENY, test_paloalto.PING_DROP],
        test_paloalto.ctx,
    ),
    (
        "suricata_eve",
        "parser",
        "_parse",
        [test_suricata_eve.DOCS_ALERT, test_suricata_eve.DOCS_ALERT, test_suricata_eve.ELASTIC_ALERT],
        test_suricata_eve.ctx,
    ),
]


@pytest.mark.parametrize("name, holder, step, lines, ctx", CASES, ids=[c[0] for c in CASES])
def test_an_unforeseen_error_costs_one_line(monkeypatch, name, holder, step, lines, ctx):
    parser = get_parser(name)
    target = paloalto_module if holder == "module" else parser
    monkeypatch.setattr(target, step, failing_on_line_2(getattr(target, step)))
    results = list(parser.parse(lines, ctx()))
    rejected = [r for r in results if isinstance(r, Rejection)]
    assert [(r.lineno, r.reason) for r in rejected] == [(2, "unreadable line (TypeError)")]
    assert sum(isinstance(r, ParsedEvent) for r in results) >= 2  # the lines around it are kept
