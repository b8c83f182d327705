"""Format detection across every format's own lines: each format's sample
(the lines its spec reads as events, after its header) is recognised as that
format, and the host and honeypot formats claim no line of another format."""

import pytest

from incidents.forms import SubmissionForm
from incidents.parsers import PARSERS, cowrie, detect, fail2ban_log, snort_csv, sshd
from tests.incidents.fuzz.seeds import header, valid_lines

IDS = [p.name for p in PARSERS]
NEW = [snort_csv.parser, sshd.parser, fail2ban_log.parser, cowrie.parser]


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
def test_each_formats_own_lines_are_recognised_as_that_format(parser):
    sample = [*header(parser), *valid_lines(parser.name)]
    assert detect(sample) is parser


@pytest.mark.parametrize("parser", [p for p in PARSERS if p not in NEW], ids=lambda p: p.name)
def test_the_new_formats_claim_no_event_line_of_another_format(parser):
    for line in valid_lines(parser.name):
        claimed = [new.name for new in NEW if new.matches(line)]
        assert not claimed, (claimed, line)


def test_the_upload_form_offers_every_format():
    offered = dict(SubmissionForm().fields["format"].choices)
    for new in NEW:
        assert offered[new.name] == new.label
