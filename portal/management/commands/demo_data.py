"""Load demo accounts and demo logs (idempotent) so a fresh `make run` has
something to sign in with and a report worth reading."""

import random
from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand

from portal.models import OwnedNetwork, User

DEMO_USERS = [
    # (e-mail, password, staff)
    ("demo@example.org", "demo-portal-2026", False),
    ("admin@example.org", "admin-portal-2026", True),
]
# Other reporters, so the demo user's sources are "seen by others" too.
NEIGHBOURS = [f"reporter{n}@example.org" for n in range(1, 6)]
WORMS = ["45.33.32.156", "185.220.101.4", "89.248.165.52", "193.163.125.12"]
PORTS = [22, 23, 445, 3389, 8080, 5900]


def ensure_user(email: str, password: str | None, staff: bool) -> tuple[User, bool]:
    """``password`` None: an account that can never sign in."""
    user, created = User.objects.get_or_create(email=email, defaults={"is_staff": staff, "is_superuser": staff})
    if created:
        user.set_password(password)  # None sets an unusable password
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


def demo_log(rng: random.Random, target: str, now: datetime, lines: int, worms: list[str]) -> str:
    """An iptables log of the last day: worms most reporters see, plus
    sources only this reporter sees, plus a little LAN noise to be filtered."""
    out = []
    for i in range(lines):
        when = now - timedelta(seconds=rng.randrange(86_000))
        roll = rng.random()
        if roll < 0.6:
            source, port = worms[i % len(worms)], PORTS[i % len(worms)]
        elif roll < 0.95:
            source, port = f"203.0.113.{rng.randrange(1, 255)}", rng.choice(PORTS)
        else:
            source, port = f"192.168.1.{rng.randrange(2, 254)}", 137
        out.append(
            f"{when:%b} {when.day:2d} {when:%H:%M:%S} gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC={source} DST={target} "
            f"LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID={i} DF PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT={port} "
            "WINDOW=29200 RES=0x00 SYN URGP=0\n"
        )
    return "".join(out)


class Command(BaseCommand):
    help = "Create demo accounts and demo logs."

    def handle(self, *args, **options):
        from incidents.ingest import ingest_submission
        from incidents.models import Submission
        from incidents.services import submission_create
        from incidents.trust.models import ReporterStanding

        demo, _ = ensure_user(*DEMO_USERS[0])
        ensure_user(*DEMO_USERS[1])
        if not Submission.objects.filter(user=demo).exists():
            rng = random.Random(2026)  # noqa: S311 - repeatable demo traffic, not a secret
            now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
            OwnedNetwork.objects.get_or_create(user=demo, cidr="198.51.100.0/28", defaults={"note": "demo office"})
            reporters = [(demo, "198.51.100.7", WORMS)]
            for n, email in enumerate(NEIGHBOURS):  # they only report, never sign in
                neighbour, _ = ensure_user(email, None, False)
                reporters.append((neighbour, f"192.0.2.{10 + n}", WORMS[: 2 + n % 3]))
            for user, _, _ in reporters:
                # Vouched for, as an admin would: new accounts count toward nothing public nor
                # toward anyone's "others" until past probation, which a demo has no time for.
                ReporterStanding.objects.update_or_create(
                    reporter=user, defaults={"counts": True, "vouched": True, "group": user.pk, "score": 1.0}
                )
            for user, target, worms in reporters:
                log = demo_log(rng, target, now, 400, worms)
                submission = submission_create(user=user, channel="web", text=log, name="demo firewall log")
                # Processed here rather than by the worker, so the report is ready at first sign-in.
                ingest_submission(submission.pk)
            from incidents import port_counts

            port_counts.refresh()  # the public pages' per-port counts, without waiting for the scheduler
            self.stdout.write(f"Demo logs loaded for {len(reporters)} reporters.")
        self.stdout.write(f"Demo login: {DEMO_USERS[0][0]} / {DEMO_USERS[0][1]}")
        self.stdout.write(f"Admin login: {DEMO_USERS[1][0]} / {DEMO_USERS[1][1]}  ({settings.SITE_URL}/admin/)")
