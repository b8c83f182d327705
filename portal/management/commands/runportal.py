"""Start the web server, the Celery worker and the Celery beat scheduler
together (``make run``). Ctrl-C stops all three, and the embedded PostgreSQL
when the portal started it."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from honcho.manager import Manager

from portal.embedded import stop_database


class Command(BaseCommand):
    help = "Run web server, worker and scheduler together for local use."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        python = sys.executable
        manager = Manager()
        manager.add_process("web", f"{python} manage.py runserver {addr} --noreload")
        manager.add_process("worker", f"{python} -m celery -A portal worker --loglevel INFO --concurrency 2")
        manager.add_process(
            "beat",
            f"{python} -m celery -A portal beat --loglevel INFO --schedule {settings.CELERY_BEAT_SCHEDULE_FILENAME}",
        )
        self.stdout.write(self.style.SUCCESS(f"Portal at http://{addr}/  (Ctrl-C stops everything)"))
        try:
            manager.loop()
        finally:
            if settings.EMBEDDED_DATABASE:
                stop_database(settings.VAR_DIR)
        sys.exit(manager.returncode)
