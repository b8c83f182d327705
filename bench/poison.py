"""What an attacker needs to get an arbitrary address into each public
output, under the default settings, tried for real.

For each output (the block list's top 20, FightBack mail, a bulk summary,
the "widespread" label another reporter sees, a public page showing the
source's ports and times) and each kind of attacker, accounts are added one
at a time, each reporting the target on port 22 from an address of its own
network (or all from one network), until the output includes the target or
MAX_ACCOUNTS are tried. Printed as `name: value` lines: the least number of
accounts and of distinct networks (independent groups, as the portal counts
them) that got the target in, or `never (N accounts tried)`.

Attackers:
- fresh: verified accounts, a day old, no history;
- seasoned, one network: accounts past probation that report the popular
  scanners every firewall sees (so they agree with honest reporters and
  earn trust), all submitting from one /24;
- seasoned, distinct networks: the same, each from a network of its own;
- never-listed target: seasoned accounts on distinct networks reporting a
  public DNS resolver (8.8.8.8).

The block list is measured with TRUST_REVIEW_NEW_LISTINGS off (what the
ranking alone lets in; with it on, which is the default, every such entry
also waits for an admin) and FightBack with TRUST_REVIEW_FIRST_CONTACT off
likewise. Runs against a database of its own (DATABASE_URL's name with
`_poison_bench` appended), rebuilt each run; every scenario is rolled back.
"""

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from common import bench_database_url, bench_env, migrate, recreate_database

MAX_ACCOUNTS = int(os.environ.get("BENCH_POISON_ACCOUNTS", 8))
HONEST = 6
TARGET = "45.33.32.156"
NEVER_LISTED = "8.8.8.8"
SCANNERS = [f"{60 + i}.{i}.3.4" for i in range(40)]  # forty public /16s: what everyone sees


class Rollback(Exception):
    pass


def main() -> None:
    url = bench_database_url("_poison_bench")
    recreate_database(url)
    env = bench_env(url)
    migrate(env)
    import django

    django.setup()
    from django.conf import settings

    settings.TRUST_REVIEW_NEW_LISTINGS = False
    settings.TRUST_REVIEW_FIRST_CONTACT = False
    from incidents.trust import known_networks

    known_networks.known_networks_refresh()
    world = World()
    started = time.perf_counter()
    for output in OUTPUTS:
        for kind in ("fresh", "seasoned_one_network", "seasoned_distinct_networks", "never_listed"):
            print(f"{output.__name__}.{kind}: {world.least(output, kind)}", flush=True)
    print(f"seconds: {time.perf_counter() - started:.1f}")


def addresses_in_distinct_systems(n: int) -> list[str]:
    """``n`` public addresses each in an autonomous system of its own (by the
    offline data the portal groups reporters with), so that distinct means
    distinct to the portal too."""
    import ipaddress

    from incidents import geo

    found, systems = [], set()
    for a in range(11, 223):
        for b in (1, 77, 160):
            address = f"{a}.{b}.1.9"
            system = geo.as_name_of(address)
            if system and system not in systems and ipaddress.ip_address(address).is_global:
                systems.add(system)
                found.append(address)
                break
        if len(found) == n:
            return found
    raise RuntimeError("not enough autonomous systems in the offline data")


class World:
    """Honest reporters, a contact for the target's network, a reporter the
    target also hit (who would see "widespread"), and attackers on demand."""

    def __init__(self):
        from django.db import transaction

        self.addresses = addresses_in_distinct_systems(HONEST + MAX_ACCOUNTS)
        with transaction.atomic():
            self.honest = [
                self._reporter(f"honest{n}@example.net", self.addresses[n], days_old=90) for n in range(HONEST)
            ]
            self._refresh()
        self.today = datetime.now(UTC).date()

    def _reporter(self, email, address, *, days_old, seasoned=True):
        from allauth.account.models import EmailAddress
        from django.utils import timezone

        from incidents.models import SourceDay, Submission
        from portal.models import User

        user = User.objects.create(email=email, date_joined=timezone.now() - timedelta(days=days_old))
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        days = 3 if seasoned else 0
        for d in range(days):
            sub = Submission.objects.create(user=user, status="done", accepted=40, lines=40, client_ip=address)
            Submission.objects.filter(pk=sub.pk).update(created_at=timezone.now() - timedelta(days=5 + d))
        if not days:
            Submission.objects.create(user=user, status="done", accepted=1, lines=1, client_ip=address)
        if seasoned:
            at = timezone.now() - timedelta(days=6)
            SourceDay.objects.bulk_create(
                SourceDay(
                    day=at.date(),
                    source_ip=s,
                    reporter=user,
                    protocol="tcp",
                    target_port=23,
                    events=1,
                    target_ips=["100.70.0.1"],
                    first_seen=at,
                    last_seen=at,
                )
                for s in SCANNERS
            )
        return user

    def _refresh(self):
        from incidents.trust.standings import standings_refresh

        standings_refresh()

    def report(self, user, source):
        from incidents import port_counts
        from incidents.models import SourceDay

        at = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
        SourceDay.objects.create(
            day=at.date(),
            source_ip=source,
            reporter=user,
            protocol="tcp",
            target_port=22,
            events=2**31 - 1,
            target_ips=[f"100.71.{n}.1" for n in range(64)],
            first_seen=at,
            last_seen=at,
        )
        port_counts.refresh()

    def least(self, output, kind: str) -> str:
        from django.db import transaction

        from incidents.trust.models import ReporterStanding

        target = NEVER_LISTED if kind == "never_listed" else TARGET
        result = f"never ({MAX_ACCOUNTS} accounts tried)"
        try:
            with transaction.atomic():
                context = output.prepare(self, target)
                attackers = []
                for n in range(1, MAX_ACCOUNTS + 1):
                    address = f"82.1.1.{n}" if kind == "seasoned_one_network" else self.addresses[HONEST + n - 1]
                    user = self._reporter(
                        f"{kind}{n}@attacker.example",
                        address,
                        days_old=1 if kind == "fresh" else 60,
                        seasoned=kind != "fresh",
                    )
                    user.forwarding_opt_in = True
                    user.save(update_fields=["forwarding_opt_in"])
                    attackers.append(user)
                    self._refresh()
                    self.report(user, target)
                    if output(self, target, context):
                        groups = (
                            ReporterStanding.objects.filter(reporter__in=attackers, counts=True)
                            .values("group")
                            .distinct()
                            .count()
                        )
                        result = f"{n} accounts, {groups} networks"
                        break
                raise Rollback
        except Rollback:
            pass
        return result


def blocklist_top20(world, target, context) -> bool:
    from reports import blocklist

    return any(e.network.overlaps(_net(target)) for e in blocklist.ranked_networks(world.today))


def fightback(world, target, context) -> bool:
    from reports import fightback as fb

    return any(d.candidate.source_ip == target and d.action in fb.CREATES for d in fb.plan())


def bulk_summary(world, target, context) -> bool:
    from reports import bulk

    end = datetime.now(UTC)
    return any(row.source_ip == target for row in bulk.qualifying_sources(context, end - timedelta(days=3), end))


def widespread_label(world, target, context) -> bool:
    from reports.selectors import sources_between

    rows = sources_between(world.honest[0], world.today - timedelta(days=3), world.today + timedelta(days=1))
    return any(r.source_ip == target and r.label == "widespread" for r in rows)


def public_ports_and_times(world, target, context) -> bool:
    from reports.public.lookups import ip_summary

    return bool(ip_summary(target).ports)


def _net(address):
    import ipaddress

    return ipaddress.ip_network(f"{address}/24", strict=False)


def _contact(world, target):
    from reports.models import NetworkContact

    return NetworkContact.objects.create(
        netblock=str(_net(target).supernet(new_prefix=16)),
        organisation="Target's network",
        abuse_emails=["abuse@target.example"],
    )


def _bulk_arrangement(world, target):
    from reports.models import BulkArrangement

    contact = _contact(world, target)
    contact.preference = "bulk"
    contact.save()
    return BulkArrangement.objects.create(contact=contact)


def _hit_honest(world, target):
    """The target also hit one honest reporter, who would see it labelled."""
    world.report(world.honest[0], target)


blocklist_top20.prepare = lambda world, target: None
fightback.prepare = _contact
bulk_summary.prepare = _bulk_arrangement
widespread_label.prepare = _hit_honest
public_ports_and_times.prepare = lambda world, target: None
OUTPUTS = [blocklist_top20, fightback, bulk_summary, widespread_label, public_ports_and_times]


if __name__ == "__main__":
    sys.exit(main())
