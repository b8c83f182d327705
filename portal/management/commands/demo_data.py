"""Load demo accounts (idempotent) so a fresh `make run` has something to sign in with."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand

from portal.models import User

DEMO_USERS = [
    # (e-mail, password, staff)
    ("demo@example.org", "demo-portal-2026", False),
    ("admin@example.org", "admin-portal-2026", True),
]


def ensure_user(email: str, password: str, staff: bool) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(email=email, defaults={"is_staff": staff, "is_superuser": staff})
    if created:
        user.set_password(password)
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


class Command(BaseCommand):
    help = "Create demo accounts (and demo data where the apps provide it)."

    def handle(self, *args, **options):
        for email, password, staff in DEMO_USERS:
            ensure_user(email, password, staff)
        self.stdout.write(f"Demo login: {DEMO_USERS[0][0]} / {DEMO_USERS[0][1]}")
        self.stdout.write(f"Admin login: {DEMO_USERS[1][0]} / {DEMO_USERS[1][1]}  ({settings.SITE_URL}/admin/)")
