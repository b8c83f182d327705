from datetime import date

from django.core.management.base import BaseCommand

from reports import blocklist


class Command(BaseCommand):
    help = "Build and sign a day's block list (today, UTC, by default); --rebuild recomputes a stored one."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--rebuild", action="store_true", help="recompute (late logs, a new key)")

    def handle(self, *args, day=None, rebuild=False, **options):
        snapshot = blocklist.build(day, rebuild=rebuild)
        ranked = sum(1 for e in snapshot.entries if not e["reserved"])
        built = f"{snapshot.built_at:%Y-%m-%d %H:%M:%S}"
        self.stdout.write(f"block list {snapshot.day}: {ranked} networks, built {built} UTC")
