"""Every line read ends as exactly one of: accepted, duplicate, filtered,
allowed traffic, not a traffic record, or rejected; the submission's page,
its API resource and parselog say how many of each, and why."""

import pytest
from django.core.management import call_command

from incidents.ingest_rows import OTHER_ALLOWED, OTHER_NOT_TRAFFIC, SKIP_REASONS_COUNTED, Counts
from incidents.parsers import Skipped
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line

AUDIT = "not a traffic record: audit entry (logged before the firewall decided)"
NOT_FIREWALL = "not a traffic record: not a firewall line"


def every_kind(recent) -> str:
    stamp = f"{recent:%b %d %H:%M:%S}"
    return (
        iptables_line(recent)  # accepted
        + iptables_line(recent)  # duplicate
        + iptables_line(recent, src="192.168.1.20")  # filtered: a private source
        + iptables_line(recent, prefix="[UFW ALLOW] ", dpt=80)
        + iptables_line(recent, prefix="[UFW AUDIT] ", dpt=81)
        + f"{stamp} gw dhclient[812]: DHCPACK of 198.51.100.7 from 198.51.100.1\n"
        + f"{stamp} gw kernel: [1.0] usb 1-1: new high-speed USB device number 2\n"
        + iptables_line(recent, src="1.2.3.999")  # rejected
    )


@pytest.mark.django_db
def test_each_line_is_counted_once_by_what_became_of_it(submit, recent):
    sub = submit(UserFactory(), text=every_kind(recent), fmt="iptables")
    counts = (sub.accepted, sub.duplicate, sub.filtered, sub.allowed, sub.not_traffic, sub.rejected)
    assert counts == (1, 1, 1, 1, 3, 1)
    assert sub.lines == sum(counts) == 8
    assert sub.skipped == sub.allowed + sub.not_traffic
    assert sub.skipped_reasons == {"allowed traffic": 1, AUDIT: 1, NOT_FIREWALL: 2}
    assert [r["line"] for r in sub.rejected_lines] == [8]
    assert not sub.mostly_rejected


def test_past_the_distinct_reasons_counted_the_rest_count_by_kind():
    counts = Counts()
    for i in range(SKIP_REASONS_COUNTED + 3):
        counts.skip(Skipped(i, f"not a traffic record: message {i}"))
    counts.skip(Skipped(0, "allowed traffic: session 1"))
    counts.skip(Skipped(0, "not a traffic record: message 0"))
    assert len(counts.skipped_by) == SKIP_REASONS_COUNTED + 2
    assert counts.skipped_by[OTHER_NOT_TRAFFIC] == 3
    assert counts.skipped_by[OTHER_ALLOWED] == 1
    assert (counts.allowed, counts.not_traffic) == (1, SKIP_REASONS_COUNTED + 4)


def test_kept_reasons_are_the_most_frequent_and_still_add_up():
    counts = Counts()
    for reason, lines in [("allowed traffic", 5), ("allowed traffic: x", 1), ("not a traffic record: a", 3)]:
        counts.count_skipped(reason, lines)
    counts.count_skipped("not a traffic record: b", 1)
    assert counts.skipped_reasons(2) == {
        "allowed traffic": 5,
        "not a traffic record: a": 3,
        OTHER_ALLOWED: 1,
        OTHER_NOT_TRAFFIC: 1,
    }


def test_chunks_add_their_reasons():
    whole, part = Counts(), Counts()
    whole.count_skipped("allowed traffic", 2)
    part.count_skipped("allowed traffic", 1)
    part.count_skipped("not a traffic record: header", 1)
    whole.absorb(part)
    assert whole.skipped_by == {"allowed traffic": 3, "not a traffic record: header": 1}


def page(client, sub) -> str:
    client.force_login(sub.user)
    return client.get(sub.get_absolute_url()).content.decode()


def mostly_rejected(recent) -> str:
    return iptables_line(recent) + iptables_line(recent, src="1.2.3.999") + iptables_line(recent, src="1.2.3.998")


@pytest.mark.django_db
def test_the_page_shows_each_kind_and_the_reasons(client, submit, recent):
    text = page(client, submit(UserFactory(), text=every_kind(recent), fmt="iptables"))
    assert 'data-count="allowed">1<' in text
    assert 'data-count="not_traffic">3<' in text
    assert (
        '<tr data-kind="not_traffic"><td>not a traffic record: not a firewall line</td><td class="num">2</td>' in text
    )
    assert '<tr data-kind="allowed"><td>allowed traffic</td><td class="num">1</td>' in text
    assert 'data-testid="mostly-rejected"' not in text


@pytest.mark.django_db
def test_the_page_warns_when_most_lines_were_rejected(client, submit, recent):
    text = page(client, submit(UserFactory(), text=mostly_rejected(recent), fmt="iptables"))
    assert 'data-testid="mostly-rejected"' in text
    assert "(2 of 3)" in text


@pytest.mark.django_db
def test_the_page_of_an_older_submission_shows_its_skipped_lines_untold(client, submit, recent):
    sub = submit(UserFactory(), text=iptables_line(recent))
    type(sub).objects.filter(pk=sub.pk).update(skipped=4)
    assert 'data-count="skipped">4<' in page(client, sub)


@pytest.mark.django_db
def test_the_api_reports_each_kind_the_reasons_and_the_warning(client, submit, recent):
    user = UserFactory()
    mixed, bad = submit(user, text=every_kind(recent), fmt="iptables"), submit(user, text=mostly_rejected(recent))
    client.force_login(user)
    detail = client.get(f"/api/v1/submissions/{mixed.pk}/").json()
    assert (detail["allowed"], detail["not_traffic"], detail["skipped"]) == (1, 3, 4)
    assert detail["skipped_reasons"] == {"allowed traffic": 1, AUDIT: 1, NOT_FIREWALL: 2}
    assert detail["mostly_rejected"] is False
    assert client.get(f"/api/v1/submissions/{bad.pk}/").json()["mostly_rejected"] is True


def test_parselog_summary_counts_each_kind_with_reasons(tmp_path, recent, capsys):
    log = tmp_path / "fw.log"
    log.write_text(every_kind(recent))
    call_command("parselog", str(log), "--format", "iptables", "--processes", "1")
    err = capsys.readouterr().err
    # parselog stores nothing, so it neither filters nor drops repeats.
    assert "format iptables: 8 lines: 3 events, 1 allowed traffic, 3 not traffic records, 1 rejected" in err
    assert f"  {NOT_FIREWALL}: 2\n" in err and "  allowed traffic: 1\n" in err
    assert "warning" not in err


def test_parselog_warns_when_most_lines_were_rejected(tmp_path, recent, capsys):
    log = tmp_path / "fw.log"
    log.write_text(mostly_rejected(recent))
    call_command("parselog", str(log), "--format", "iptables", "--processes", "1")
    assert "warning: most lines (2 of 3) were rejected or not recognised\n" in capsys.readouterr().err
