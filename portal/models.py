"""Accounts: the user (who is also the reporter) and what belongs to them."""

import base64
import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from netfields import CidrAddressField, InetAddressField, NetManager

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class EmailUserManager(UserManager):
    def _create_user(self, email, password, **extra_fields):
        # Django's UserManager expects a username; ours is the e-mail address.
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


def new_submit_token() -> str:
    return secrets.token_hex(8)


class User(AbstractUser):
    class Digest(models.TextChoices):
        OFF = "off", "Off"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    username = None
    email = models.EmailField("e-mail address", unique=True)
    timezone = models.CharField(
        max_length=64,
        choices=TIMEZONE_CHOICES,
        default="UTC",
        help_text="Used for every time shown to you and as the default zone of your uploads.",
    )
    forwarding_opt_in = models.BooleanField(
        "forward reports to network owners",
        default=False,
        help_text=(
            "When a source that hit you was also seen by other reporters on a suspicious port, the portal may "
            "send one polite report to the abuse desk of the network that owns the source. Your own addresses "
            "are masked in that mail; you get a copy."
        ),
    )
    digest = models.CharField("e-mail digest", max_length=8, choices=Digest.choices, default=Digest.OFF)
    mail_confirmations = models.BooleanField(
        "confirm mailed logs",
        default=True,
        help_text="Answer each log you mail in with what was accepted, filtered and rejected.",
    )
    submit_token = models.CharField(max_length=32, unique=True, default=new_submit_token, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()

    def __str__(self):
        return self.email

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def submit_address(self) -> str:
        """Where this user mails logs: the portal's submission box with the
        user's token as a plus-address (the token alone on the subject line
        works too)."""
        local, _, domain = settings.MAIL_SUBMIT_ADDRESS.partition("@")
        return f"{local}+{self.submit_token}@{domain}"


class OwnedNetwork(models.Model):
    """A network the user operates: traffic from it is never reported.
    Private to the user; never shown to anyone else."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="networks")
    cidr = CidrAddressField()
    note = models.CharField(max_length=100, blank=True)

    objects = NetManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "cidr"], name="unique_network_per_user")]
        ordering = ["cidr"]

    def __str__(self):
        return str(self.cidr)


class IspServer(models.Model):
    """The user's ISP's DNS and DHCP servers: their replies and lease traffic
    look like probes in a firewall log but are not."""

    class Kind(models.TextChoices):
        DNS = "dns", "DNS server"
        DHCP = "dhcp", "DHCP server"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="isp_servers")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    address = InetAddressField(store_prefix_length=False)

    objects = NetManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "address"], name="unique_isp_server")]
        ordering = ["kind", "address"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.address}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A per-user API key. Only its SHA-256 digest is stored: a database leak
    must not hand out working keys. The key is shown once, at creation."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="First characters, to tell keys apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        """Create a token; return it with the plain key, which is not kept."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[: cls.PREFIX_LENGTH], digest=cls.hash(key))
        return token, key

    @classmethod
    def authenticate(cls, key: str):
        token = cls.objects.active().select_related("user").filter(digest=cls.hash(key)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        # Touch at most once a minute: an API client must not turn every call into a write.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def is_active(self):
        return self.revoked_at is None


class DShieldKey(models.Model):
    """Credentials for DShield-style clients posting over HTTP: a numeric user
    id and a base64 key, as those clients are configured.

    Their HMAC schemes need the key itself on the server, which an ApiToken
    (kept only as a digest) cannot give. So the key is not stored at all: it
    is derived from SECRET_KEY and a random per-user salt, like Django's
    password-reset tokens; a database leak alone hands out no working key.
    Changing SECRET_KEY without listing the old one in SECRET_KEY_FALLBACKS
    invalidates every key."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dshield_key")
    # Random rather than the user's pk: it travels in clear on every line.
    userid = models.PositiveBigIntegerField("DShield user id", unique=True)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    KEY_SALT = "portal.models.DShieldKey"

    def __str__(self):
        return f"DShield user id {self.userid}"

    @classmethod
    def issue(cls, user) -> tuple["DShieldKey", str]:
        """A new user id and key for ``user``, replacing any earlier ones."""
        cls.objects.filter(user=user).delete()
        while True:
            userid = secrets.randbelow(9 * 10**8) + 10**8  # nine digits, as DShield's
            if not cls.objects.filter(userid=userid).exists():
                break
        row = cls.objects.create(user=user, userid=userid, salt=secrets.token_hex(16))
        return row, row.key()

    def key(self, secret: str | None = None) -> str:
        from django.utils.crypto import salted_hmac

        mac = salted_hmac(self.KEY_SALT, f"{self.userid}:{self.salt}", secret=secret, algorithm="sha256")
        return base64.b64encode(mac.digest()).decode()

    def candidate_keys(self) -> list[str]:
        """The key under the current SECRET_KEY and under each fallback, so
        a key rotation can be announced before old keys stop working."""
        return [self.key(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]

    def touch(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)


class OutboundMail(models.Model):
    """One mail the portal sends, rendered in full and committed in the same
    transaction as the record it belongs to; delivered afterwards, once, by
    portal.outbox (see there for the guarantee and its one window)."""

    class Kind(models.TextChoices):
        ABUSE = "abuse", "Abuse report"
        NOTICE = "notice", "Notice to a reporter"
        BULK = "bulk", "Bulk summary"
        DIGEST = "digest", "Digest"
        CONFIRMATION = "confirmation", "Mailed log confirmation"
        REPLY = "reply", "Mail intake rejection"
        REVIEW = "review", "Block-list review outcome"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    message_id = models.CharField(
        max_length=255, unique=True, help_text="Kept on every attempt, so a resend is the same message."
    )
    recipients = ArrayField(models.CharField(max_length=254), default=list)
    subject = models.CharField(max_length=255, blank=True)
    content = models.JSONField(help_text="The whole message as rendered: headers, body, alternatives, attachments.")
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True), name="outbound_mail_unsent"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {', '.join(self.recipients)}: {self.subject}"
