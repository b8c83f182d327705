from datetime import timedelta

import pytest

from incidents.ingest import ingest_submission
from incidents.models import Event, PortDay, SourceDay, Submission
from portal.models import OwnedNetwork
from tests.factories import UserFactory
from tests.incidents.conftest import gz, iptables_line, zipped

pytestmark = pytest.mark.django_db


def test_events_are_stored_in_utc_with_counts(submit, recent):
    user = UserFactory()
    bad = iptables_line(recent, src="203.0.113.300")
    log = iptables_line(recent) + iptables_line(recent + timedelta(seconds=1), dpt=23) + bad
    sub = submit(user, text=log)
    assert sub.status == Submission.Status.DONE
    assert sub.detected_format == "iptables"
    assert (sub.lines, sub.accepted, sub.duplicate, sub.filtered, sub.rejected) == (3, 2, 0, 0, 1)
    assert sub.rejected_lines[0]["line"] == 3
    assert "203.0.113.300" in sub.rejected_lines[0]["reason"]
    events = Event.objects.filter(reporter=user).order_by("time")
    assert [(e.time, str(e.source_ip), e.target_port, e.protocol, e.tcp_flags) for e in events] == [
        (recent, "203.0.113.5", 22, "tcp", "S"),
        (recent + timedelta(seconds=1), "203.0.113.5", 23, "tcp", "S"),
    ]
    assert all(e.submission_id == sub.pk for e in events)


def test_declared_zone_applies_to_lines_without_one(submit, recent):
    user = UserFactory()
    tokyo_wall_clock = recent + timedelta(hours=9)  # Asia/Tokyo is UTC+9, no DST
    sub = submit(user, text=iptables_line(tokyo_wall_clock), tz="Asia/Tokyo")
    assert sub.accepted == 1
    assert Event.objects.get(reporter=user).time == recent


def test_rollups_follow_new_events(submit, recent):
    a, b = UserFactory(), UserFactory()
    submit(a, text=iptables_line(recent, dst="198.51.100.7") + iptables_line(recent, dst="198.51.100.8"))
    submit(b, text=iptables_line(recent + timedelta(seconds=5), dst="192.0.2.77"))
    rows = SourceDay.objects.filter(source_ip="203.0.113.5", target_port=22).order_by("reporter_id")
    assert [(r.reporter_id, r.events, len(r.target_ips)) for r in rows] == [(a.pk, 2, 2), (b.pk, 1, 1)]
    assert PortDay.objects.get(day=recent.date(), target_port=22, protocol="tcp").events == 3


def test_resending_the_same_log_counts_nothing_twice(submit, recent):
    user = UserFactory()
    log = iptables_line(recent) + iptables_line(recent + timedelta(seconds=2), dpt=445)
    first = submit(user, text=log)
    second = submit(user, text=log)
    assert (first.accepted, first.duplicate) == (2, 0)
    assert (second.accepted, second.duplicate) == (0, 2)
    assert Event.objects.filter(reporter=user).count() == 2
    assert sum(SourceDay.objects.filter(reporter=user).values_list("events", flat=True)) == 2


def test_running_a_finished_submission_again_changes_nothing(submit, recent):
    user = UserFactory()
    sub = submit(user, text=iptables_line(recent))
    ingest_submission(sub.pk)
    sub.refresh_from_db()
    assert (sub.accepted, sub.duplicate, sub.attempts) == (1, 0, 1)
    assert SourceDay.objects.get(reporter=user).events == 1


def test_same_line_from_two_reporters_is_two_events(submit, recent):
    a, b = UserFactory(), UserFactory()
    assert submit(a, text=iptables_line(recent)).accepted == 1
    assert submit(b, text=iptables_line(recent)).accepted == 1


def test_allowed_traffic_is_counted_apart(submit, recent):
    user = UserFactory()
    sub = submit(user, text=iptables_line(recent, prefix="[UFW ALLOW] ") + iptables_line(recent, dpt=25))
    assert (sub.accepted, sub.allowed, sub.not_traffic, sub.skipped) == (1, 1, 0, 1)
    assert sub.skipped_reasons == {"allowed traffic": 1}


def test_future_and_too_old_times_are_rejected_with_reasons(submit, recent, settings):
    user = UserFactory()
    future = recent + timedelta(hours=3)
    old = recent - timedelta(days=settings.EVENT_MAX_AGE_DAYS + 2)
    log = iptables_line(recent) + iptables_line(future, dpt=1) + iptables_line(old, dpt=2)
    sub = submit(user, text=log, fmt="iptables")
    assert sub.accepted == 1
    reasons = {r["line"]: r["reason"] for r in sub.rejected_lines}
    assert "in the future" in reasons[2]
    assert f"older than {settings.EVENT_MAX_AGE_DAYS} days" in reasons[3]


def test_private_sources_and_own_networks_are_filtered_not_lost(submit, recent):
    user = UserFactory()
    OwnedNetwork.objects.create(user=user, cidr="203.0.113.0/24")
    log = (
        iptables_line(recent, src="192.168.1.20")
        + iptables_line(recent, src="203.0.113.9")
        + iptables_line(recent, src="198.18.0.1", dpt=80)
    )
    log += iptables_line(recent, src="45.33.32.156")
    sub = submit(user, text=log)
    assert (sub.accepted, sub.filtered) == (1, 3)
    reasons = {
        str(ip): why for ip, why in Event.objects.filter(reporter=user).values_list("source_ip", "filter_reason")
    }
    assert reasons["192.168.1.20"] == "reserved"
    assert reasons["203.0.113.9"] == "own-network"
    assert reasons["45.33.32.156"] == ""
    assert [str(r.source_ip) for r in SourceDay.objects.filter(reporter=user)] == ["45.33.32.156"]


def test_gzip_and_zip_uploads(submit, recent):
    user = UserFactory()
    assert submit(user, data=gz(iptables_line(recent)), name="fw.log.gz").accepted == 1
    assert submit(user, data=zipped({"fw.log": iptables_line(recent, dpt=80)}), name="fw.zip").accepted == 1


def test_zip_with_several_files_fails_whole_with_a_reason(submit, recent):
    user = UserFactory()
    sub = submit(user, data=zipped({"a.log": iptables_line(recent), "b.log": iptables_line(recent)}))
    assert sub.status == Submission.Status.FAILED
    assert "holds 2 files" in sub.error
    assert not Event.objects.filter(reporter=user).exists()


def test_damaged_gzip_never_half_lands(submit, recent):
    user = UserFactory()
    data = gz("".join(iptables_line(recent + timedelta(seconds=i % 3000), spt=1000 + i) for i in range(20000)))
    sub = submit(user, data=data[: len(data) // 2])
    assert sub.status == Submission.Status.FAILED
    assert "damaged or cut short" in sub.error
    assert not Event.objects.filter(reporter=user).exists()
    assert not SourceDay.objects.filter(reporter=user).exists()


def test_unpacked_size_is_bounded(submit, recent, settings):
    settings.LOG_MAX_UNCOMPRESSED_BYTES = 10_000
    user = UserFactory()
    sub = submit(user, data=gz(iptables_line(recent) * 200))
    assert sub.status == Submission.Status.FAILED
    assert "larger than" in sub.error
    assert not Event.objects.filter(reporter=user).exists()


def test_overlong_line_is_rejected_and_the_rest_kept(submit, recent, settings):
    user = UserFactory()
    log = iptables_line(recent) + "x" * (settings.LOG_MAX_LINE_CHARS * 3) + "\n" + iptables_line(recent, dpt=8080)
    sub = submit(user, text=log)
    assert sub.accepted == 2
    assert sub.rejected_lines == [
        {"line": 2, "reason": f"line longer than {settings.LOG_MAX_LINE_CHARS} characters", "text": ""}
    ]


def test_unrecognised_format_fails_with_advice(submit):
    sub = submit(UserFactory(), text="hello\nworld\n")
    assert sub.status == Submission.Status.FAILED
    assert "choose it from the list" in sub.error


@pytest.mark.django_db(transaction=True)
def test_partitions_are_created_for_the_days_events_fall_on(submit, recent):
    from incidents import partitions

    user = UserFactory()
    old = recent - timedelta(days=20)
    partitions_before = partitions.existing()
    with __import__("django").db.connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {partitions.name_for(old.date())}")
    assert old.date() not in partitions.existing()
    assert submit(user, text=iptables_line(old)).accepted == 1
    assert old.date() in partitions.existing()
    assert partitions_before <= partitions.existing()


def test_a_line_repeated_within_one_file_is_one_event(submit, recent):
    user = UserFactory()
    sub = submit(user, text=iptables_line(recent) * 3)
    assert (sub.lines, sub.accepted, sub.duplicate) == (3, 1, 0 + 2)
    assert SourceDay.objects.get(reporter=user).events == 1


def test_partly_overlapping_log_adds_only_the_new_events(submit, recent):
    user = UserFactory()
    older = iptables_line(recent - timedelta(seconds=10), dpt=21)
    shared = iptables_line(recent, dpt=22)
    newer = iptables_line(recent + timedelta(seconds=10), dpt=23)
    submit(user, text=older + shared)
    sub = submit(user, text=shared + newer)
    assert (sub.accepted, sub.duplicate) == (1, 1)
    assert sorted(SourceDay.objects.filter(reporter=user).values_list("target_port", "events")) == [
        (21, 1),
        (22, 1),
        (23, 1),
    ]


def test_rollups_are_the_same_when_partial_rollups_spill(submit, recent, monkeypatch):
    from incidents import ingest

    # Two and a half hours of lines, kept within one UTC day so that they make one day's rollups.
    noon = (recent - timedelta(days=1)).replace(hour=12, minute=0, second=0)
    lines = [iptables_line(noon - timedelta(seconds=i), src=f"45.1.{i % 7}.1", dpt=20 + i % 5) for i in range(9000)]
    log = "".join(lines)
    calm, spilling = UserFactory(), UserFactory()
    submit(calm, text=log)
    monkeypatch.setattr(ingest, "COPY_CHUNK", 100)
    monkeypatch.setattr(ingest._Rollup, "MAX_KEYS", 3)
    submit(spilling, text=log)

    def rollups(user):
        return source_days(user, targets=sorted)

    assert len(rollups(calm)) == 35
    assert rollups(calm) == rollups(spilling)


def source_days(user, targets) -> list[tuple]:
    """The user's SourceDay rows, comparable: ``targets`` of each row's target addresses."""
    return sorted(
        (str(r.source_ip), r.target_port, r.events, r.first_seen, r.last_seen, targets(r.target_ips))
        for r in SourceDay.objects.filter(reporter=user)
    )


@pytest.mark.django_db(transaction=True)
def test_partitions_and_rollups_past_retention_are_dropped(submit, recent, settings):
    from incidents import partitions
    from incidents.tasks import maintain_partitions

    user = UserFactory()
    old, kept = recent - timedelta(days=10), recent
    submit(user, text=iptables_line(old, dpt=21) + iptables_line(kept, dpt=22))
    settings.EVENT_RETENTION_DAYS = 5
    maintain_partitions()
    assert old.date() not in partitions.existing()
    assert kept.date() in partitions.existing()
    assert list(Event.objects.filter(reporter=user).values_list("target_port", flat=True)) == [22]
    assert list(SourceDay.objects.filter(reporter=user).values_list("target_port", flat=True)) == [22]
    assert not PortDay.objects.filter(day=old.date()).exists()
    assert recent.date() + timedelta(days=7) in partitions.existing()  # and the coming week exists


def test_spilled_rollups_merge_targets_and_keep_keys_staged_once(submit, recent, monkeypatch):
    # Spills leave some keys in several partial rows (their targets merged,
    # up to TARGETS_KEPT) beside keys staged once (their row kept as is).
    from incidents import ingest

    lines = [
        iptables_line(recent - timedelta(seconds=i), src=f"45.1.{i % 3}.1", dst=f"198.51.100.{i // 3 % 90 + 1}", dpt=22)
        for i in range(600)
    ]
    lines.insert(300, iptables_line(recent, src="45.9.9.9", dst="198.51.100.200", dpt=23))
    log = "".join(lines)
    calm, spilling = UserFactory(), UserFactory()
    submit(calm, text=log)
    monkeypatch.setattr(ingest, "COPY_CHUNK", 50)  # the bound is checked between COPY chunks
    monkeypatch.setattr(ingest._Rollup, "MAX_KEYS", 2)
    submit(spilling, text=log)

    def rollups(user):
        return source_days(user, targets=len)

    assert rollups(calm) == rollups(spilling)
    assert [row[-1] for row in rollups(calm)] == [SourceDay.TARGETS_KEPT] * 3 + [1]
    once = SourceDay.objects.get(reporter=spilling, source_ip="45.9.9.9")
    assert (once.events, [str(ip) for ip in once.target_ips]) == (1, ["198.51.100.200"])
    merged = SourceDay.objects.get(reporter=spilling, source_ip="45.1.0.1")
    assert len({str(ip) for ip in merged.target_ips}) == SourceDay.TARGETS_KEPT


def test_first_log_of_a_day_copies_rollups_and_later_ones_merge(submit, recent, monkeypatch):
    # A reporter's first log of its days takes the COPY path; a later log of
    # the same day must merge into those rows through the upsert.
    from incidents import ingest

    copied = []
    real = ingest._insert_rollups
    monkeypatch.setattr(ingest, "_insert_rollups", lambda *a: copied.append(real(*a)) or copied[-1])
    user = UserFactory()
    submit(user, text=iptables_line(recent, dst="198.51.100.7") + iptables_line(recent, src="192.0.2.9", dpt=80))
    submit(user, text=iptables_line(recent + timedelta(seconds=3), dst="198.51.100.8"))
    assert copied == [True, False]
    assert source_days(user, targets=sorted) == [
        ("192.0.2.9", 80, 1, recent, recent, ["198.51.100.7"]),
        ("203.0.113.5", 22, 2, recent, recent + timedelta(seconds=3), ["198.51.100.7", "198.51.100.8"]),
    ]
    assert PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=22).events == 2
    assert PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=80).events == 1


def test_rollup_key_arriving_after_the_check_is_merged_not_lost(submit, recent, monkeypatch):
    # Another ingest of the same reporter may add a key between the check and
    # the COPY: the COPY fails on it, and the savepoint hands over to the upsert.
    from incidents import ingest

    user = UserFactory()
    submit(user, text=iptables_line(recent, dst="198.51.100.7"))
    monkeypatch.setattr(ingest, "REPORTER_HAS_DAYS", "SELECT false")
    sub = submit(user, text=iptables_line(recent + timedelta(seconds=1), dst="198.51.100.8"))
    assert sub.status == Submission.Status.DONE
    assert source_days(user, targets=sorted) == [
        ("203.0.113.5", 22, 2, recent, recent + timedelta(seconds=1), ["198.51.100.7", "198.51.100.8"])
    ]
    assert PortDay.objects.get(day=recent.date(), protocol="tcp", target_port=22).events == 2


@pytest.mark.parametrize("rollup_class", ["_PyRollup", "_Rollup"])
def test_copied_rollups_are_in_key_order(recent, rollup_class):
    # The order PostgreSQL gives the same keys: IPv4 before IPv6, addresses
    # by their bytes (not as text), then protocol and port. The reference
    # and the rollup in use (the C one, when built) sort alike.
    from incidents import ingest_rows

    day = recent.date()
    keys = [
        (day, "2001:db8::1", "tcp", 22),
        (day, "10.0.0.9", "tcp", 22),
        (day, "9.0.0.10", "udp", None),
        (day, "9.0.0.10", "tcp", 80),
        (day, "9.0.0.10", "tcp", 443),
        (day - timedelta(days=1), "200.0.0.1", "tcp", 22),
    ]
    rollup = getattr(ingest_rows, rollup_class)()
    for key in keys:
        rollup.add(*key, "198.51.100.1", recent, 1)
    rollup.sort()
    assert list(rollup.rows) == [
        (day - timedelta(days=1), "200.0.0.1", "tcp", 22),
        (day, "9.0.0.10", "tcp", 80),
        (day, "9.0.0.10", "tcp", 443),
        (day, "9.0.0.10", "udp", None),
        (day, "10.0.0.9", "tcp", 22),
        (day, "2001:db8::1", "tcp", 22),
    ]


def test_cycle_collector_rests_during_ingest_and_wakes_after(submit, recent, monkeypatch):
    import gc

    from incidents import ingest

    seen = []
    real = ingest._stage
    monkeypatch.setattr(ingest, "_stage", lambda *a: seen.append(gc.isenabled()) or real(*a))
    assert gc.isenabled()
    submit(UserFactory(), text=iptables_line(recent))
    assert seen == [False]
    assert gc.isenabled()
    monkeypatch.setattr(ingest, "_stage", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        submit(UserFactory(), text=iptables_line(recent))
    assert gc.isenabled()


def _stored_source_days(user) -> list[tuple]:
    return sorted(
        (r.day, str(r.source_ip), r.protocol, r.target_port, r.events, r.first_seen, r.last_seen, r.target_ips)
        for r in SourceDay.objects.filter(reporter=user)
    )


def _rollups_of(rollup_class, recent, extra=()):
    from incidents import ingest_rows

    rollup = getattr(ingest_rows, rollup_class)()
    yesterday = recent - timedelta(days=1)
    adds = [
        (recent.date(), "203.0.113.5", "tcp", 22, "198.51.100.7", recent, 3),
        (recent.date(), "203.0.113.5", "tcp", 22, "2001:db8::7", recent + timedelta(microseconds=250), 1),
        (recent.date(), "203.0.113.5", "tcp", 22, "198.51.100.8", recent - timedelta(hours=1), 2**40),
        (recent.date(), "2001:db8:ffff::1", "udp", None, "198.51.100.7", recent, 1),
        (yesterday.date(), "::ffff:192.0.2.1", "icmp", 8, "198.51.100.9", yesterday, 1),
        *extra,
    ]
    for add in adds:
        rollup.add(*add)
    rollup.sort()
    return rollup


@pytest.mark.skipif("not __import__('incidents.ingest_rows').ingest_rows.ACCELERATED")
def test_binary_copy_of_rollups_stores_what_the_text_copy_stores(recent):
    from django.db import connection

    from incidents import ingest

    by_binary, by_text = UserFactory(), UserFactory()
    binary, text = _rollups_of("_Rollup", recent), _rollups_of("_PyRollup", recent)
    assert binary.source_day_binary(by_binary.pk, 0, 10) is not None
    assert not hasattr(text, "source_day_binary")
    with connection.cursor() as c:
        ingest._copy_source_days(binary, c.cursor, by_binary.pk)
        ingest._copy_source_days(text, c.cursor, by_text.pk)
    stored = _stored_source_days(by_binary)
    assert stored == _stored_source_days(by_text)
    assert len(stored) == 3
    ((*_, events, first, last, targets),) = [row for row in stored if row[1] == "203.0.113.5"]
    assert (events, first, last, targets) == (
        3 + 1 + 2**40,
        recent - timedelta(hours=1),
        recent + timedelta(microseconds=250),
        ["198.51.100.7", "2001:db8::7", "198.51.100.8"],
    )


@pytest.mark.skipif("not __import__('incidents.ingest_rows').ingest_rows.ACCELERATED")
def test_a_row_binary_cannot_hold_sends_them_all_as_text(recent, monkeypatch, caplog):
    # "198.51.100.9/32" is an inet to PostgreSQL, not an address to
    # inet_pton: found after the first chunk went out in binary.
    from django.db import connection

    from incidents import ingest

    monkeypatch.setattr(ingest, "COPY_CHUNK", 1)
    user, reference = UserFactory(), UserFactory()
    extra = [(recent.date(), "192.0.2.1", "tcp", 80, "198.51.100.9/32", recent, 1)]
    rollup = _rollups_of("_Rollup", recent, extra)
    assert rollup.source_day_binary(user.pk, 0, 1) is not None
    assert any(rollup.source_day_binary(user.pk, i, 1) is None for i in range(len(rollup)))
    with connection.cursor() as c:
        ingest._copy_source_days(rollup, c.cursor, user.pk)
        ingest._copy_source_days(_rollups_of("_PyRollup", recent, extra), c.cursor, reference.pk)
    assert "text COPY" in caplog.text
    assert _stored_source_days(user) == _stored_source_days(reference)
    assert len(_stored_source_days(user)) == 4


@pytest.mark.skipif("not __import__('incidents.ingest_rows').ingest_rows.ACCELERATED")
def test_rollups_of_naive_times_are_not_sent_in_binary(recent):
    rollup = _rollups_of("_Rollup", recent.replace(tzinfo=None))
    assert rollup.source_day_binary(1, 0, 10) is None


@pytest.mark.skipif("not __import__('incidents.ingest_rows').ingest_rows.ACCELERATED")
def test_binary_copy_of_rollups_counts_days_across_leap_rules():
    from datetime import UTC, date, datetime

    from django.db import connection

    from incidents import ingest, ingest_rows

    days = [date(1900, 3, 1), date(2000, 2, 29), date(2000, 3, 1), date(2100, 3, 1), date(2024, 12, 31)]
    users = UserFactory(), UserFactory()
    for user, rollup in zip(users, (ingest_rows._Rollup(), ingest_rows._PyRollup()), strict=True):
        for day in days:
            t = datetime(day.year, day.month, day.day, 23, 59, 59, 999_999, tzinfo=UTC)
            rollup.add(day, "203.0.113.5", "tcp", 22, "198.51.100.7", t, 1)
        rollup.sort()
        with connection.cursor() as c:
            ingest._copy_source_days(rollup, c.cursor, user.pk)
    assert [row[0] for row in _stored_source_days(users[0])] == days[:3] + days[4:] + days[3:4]
    assert _stored_source_days(users[0]) == _stored_source_days(users[1])
