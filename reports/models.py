"""Who is told: the networks' abuse contacts and the reports sent to them."""

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db import models
from netfields import CidrAddressField, InetAddressField, NetManager


class NetworkContact(models.Model):
    """Who answers for a network: kept by admins, or learned from RDAP.

    Resolution order (reports.contacts): the admin-kept contact with the
    longest netblock containing the address, then an admin-kept contact for
    the address's ASN, then the cached RDAP answer while it is fresh.
    """

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin"
        RDAP = "rdap", "RDAP"

    class Preference(models.TextChoices):
        INDIVIDUAL = "individual", "One mail per source"
        BULK = "bulk", "Periodic bulk summary"
        DO_NOT_CONTACT = "none", "Do not contact"

    netblock = CidrAddressField(null=True, blank=True)
    asn = models.PositiveBigIntegerField("ASN", null=True, blank=True, db_index=True)
    organisation = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, where known.")
    abuse_emails = ArrayField(models.EmailField(), default=list, blank=True)
    failing_emails = ArrayField(
        models.EmailField(), default=list, blank=True, help_text="Addresses that bounced; skipped until cleared."
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
    preference = models.CharField(max_length=10, choices=Preference.choices, default=Preference.INDIVIDUAL)
    last_checked = models.DateTimeField(null=True, blank=True)
    refresh_after = models.DateTimeField(null=True, blank=True, help_text="RDAP answers are asked again after this.")
    notes = models.TextField(blank=True)

    objects = NetManager()

    class Meta:
        ordering = ["netblock"]
        indexes = [GistIndex(fields=["netblock"], opclasses=["inet_ops"], name="contact_netblock_gist")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(netblock__isnull=False) | models.Q(asn__isnull=False), name="contact_has_scope"
            )
        ]

    def __str__(self):
        scope = str(self.netblock) if self.netblock else f"AS{self.asn}"
        return f"{self.organisation or scope} ({scope})"

    @property
    def working_email(self) -> str | None:
        """The first abuse address that has not bounced: after a bounce the
        next run tries the next known address."""
        failing = {e.lower() for e in self.failing_emails}
        return next((e for e in self.abuse_emails if e.lower() not in failing), None)


def new_report_token() -> str:
    return secrets.token_urlsafe(24)


class AbuseReport(models.Model):
    """One source reported to one network contact (FightBack): what was said,
    when, and the token of the coded link to the source's live record.

    The first report to a contact waits for an admin (AWAITING_APPROVAL,
    with TRUST_REVIEW_FIRST_CONTACT): a person reads what the portal is about
    to tell a network it has never written to. Approved, it is QUEUED and
    sent as any other; REJECTED, it holds the quiet period like a sent one,
    so the next run does not ask again."""

    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting", "Awaiting approval"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        IN_BULK = "bulk", "In a bulk summary"
        REJECTED = "rejected", "Rejected by an admin"
        FAILED = "failed", "Failed"

    # States in which the contact has heard from us: a later report is not its first.
    CONTACTED = (State.SENT, State.IN_BULK)

    source_ip = InetAddressField(store_prefix_length=False)
    contact = models.ForeignKey(NetworkContact, on_delete=models.PROTECT, related_name="reports")
    token = models.CharField(max_length=40, unique=True, default=new_report_token, editable=False)
    events = models.PositiveBigIntegerField(default=0, help_text="Events summarised in the report.")
    reporters = models.PositiveIntegerField(default=0, help_text="Distinct reporters who saw the source.")
    first_event = models.DateTimeField(null=True, blank=True)
    last_event = models.DateTimeField(null=True, blank=True)

    class Outcome(models.TextChoices):
        UNKNOWN = "", "Not known yet"
        COMPROMISED = "compromised", "Compromised machine, being dealt with"
        FIXED = "fixed", "Fixed"
        DISPUTED = "disputed", "Disputed"
        NO_ANSWER = "no_answer", "No answer"

    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, help_text="Recorded by an admin.")
    outcome_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, help_text="When an admin approved or rejected it.")

    objects = NetManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source_ip", "sent_at"], name="abuse_report_source")]

    def __str__(self):
        return f"{self.source_ip} to {self.contact} ({self.get_state_display()})"


class SuspiciousPort(models.Model):
    """Ports where an unsolicited connection is worth a network owner's time
    (remote shells, file sharing, databases, remote desktops): FightBack
    reports only sources seen on these. Kept by admins; defaults come with
    the migration."""

    protocol = models.CharField(max_length=8, default="tcp")
    port = models.PositiveIntegerField()
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["protocol", "port"]
        constraints = [models.UniqueConstraint(fields=["protocol", "port"], name="unique_suspicious_port")]

    def __str__(self):
        return f"{self.protocol}/{self.port} {self.note}".strip()


class AbuseResponse(models.Model):
    """A message that came back about a report, through the per-report reply
    address: a delivery failure, an automated acknowledgement, or a person.

    Anyone who has seen the coded link can write to the reply address, so
    only a ``verified`` message (reports.responses.verify) is the desk's
    answer: unverified ones are kept and shown as such, never counted."""

    class Kind(models.TextChoices):
        BOUNCE = "bounce", "Bounce (delivery failed)"
        AUTOMATED = "automated", "Automated (acknowledgement, ticket)"
        HUMAN = "human", "Human"

    report = models.ForeignKey(AbuseReport, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sender = models.CharField(max_length=254, blank=True)
    verified = models.BooleanField(
        default=False, help_text="From the contact's abuse address or domain, and authenticated where our MTA says."
    )
    verification = models.CharField(max_length=200, blank=True, help_text="Why it is verified or not.")
    subject = models.CharField(max_length=255, blank=True)
    excerpt = models.TextField(blank=True, help_text="The start of the message's text.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at"]

    def __str__(self):
        return f"{self.get_kind_display()} about {self.report.source_ip}"


def new_download_token() -> str:
    return secrets.token_urlsafe(32)


def least_bulk_threshold() -> int:
    """The least an arrangement may ask for: the independent reporters
    anything that leaves the building needs (a few accounts are easily made)."""
    return settings.TRUST_MIN_NETWORKS


def default_bulk_threshold() -> int:
    """What an individual FightBack mail needs."""
    return max(settings.FIGHTBACK_MIN_REPORTERS, least_bulk_threshold())


class BulkArrangement(models.Model):
    """A large network's arrangement: instead of one mail per source, a
    periodic summary of all qualifying sources in its networks, mailed
    and/or downloadable with the arrangement's own token."""

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Format(models.TextChoices):
        TEXT = "text", "Plain-text table in the body"
        CSV = "csv", "CSV"
        XARF = "xarf", "X-ARF style JSON, one report per source"

    contact = models.ForeignKey(NetworkContact, on_delete=models.CASCADE, related_name="bulk_arrangements")
    cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.DAILY)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.TEXT)
    recipients = ArrayField(
        models.EmailField(), default=list, blank=True, help_text="Empty: the contact's working abuse address."
    )
    threshold = models.PositiveIntegerField(
        default=default_bulk_threshold, help_text="Least independent reporters for a source to be listed."
    )
    netblocks = ArrayField(
        models.CharField(max_length=49), default=list, blank=True, help_text="Networks covered (CIDR)."
    )
    asns = ArrayField(models.PositiveBigIntegerField(), default=list, blank=True, help_text="ASNs covered.")
    send_mail = models.BooleanField(default=True, help_text="Off: download only.")
    download_token = models.CharField(max_length=64, unique=True, default=new_download_token, editable=False)
    active = models.BooleanField(default=True)
    covered_until = models.DateTimeField(null=True, blank=True, help_text="End of the last period summarised.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contact"]

    def __str__(self):
        return f"{self.get_cadence_display()} {self.get_format_display()} for {self.contact}"

    def clean(self):
        if self.threshold is not None and self.threshold < least_bulk_threshold():
            raise ValidationError(
                {"threshold": f"At least {least_bulk_threshold()}: fewer independent reporters are easily invented."}
            )

    @property
    def effective_threshold(self) -> int:
        """The threshold in force: a row from before the floor, or a floor
        raised since, still lists no source below it."""
        return max(self.threshold, least_bulk_threshold())


class BulkReport(models.Model):
    """One summary of one arrangement for one period; a period is never sent twice."""

    arrangement = models.ForeignKey(BulkArrangement, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    sources = models.PositiveIntegerField(default=0)
    body = models.TextField(blank=True, help_text="The summary exactly as sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "period_start"], name="one_bulk_report_per_period")
        ]

    def __str__(self):
        return f"{self.arrangement} {self.period_start:%Y-%m-%d}"


class DigestSent(models.Model):
    """A user's digest for one period; the scheduler running twice sends one."""

    user = models.ForeignKey("portal.User", on_delete=models.CASCADE, related_name="digests_sent")
    cadence = models.CharField(max_length=8)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    empty = models.BooleanField(default=False, help_text="Nothing happened: no mail went out.")

    class Meta:
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["user", "period_start"], name="one_digest_per_period")]

    def __str__(self):
        return f"{self.user} {self.cadence} {self.period_start:%Y-%m-%d}"


class BlockList(models.Model):
    """One day's block list exactly as published (reports.blocklist): every
    file's text and its detached signature, made once at build time, so a
    request only reads stored bytes and a client's cached copy stays valid
    until the next day's list."""

    day = models.DateField(unique=True, help_text="The day the list is for; it counts the days before it.")
    first_day = models.DateField(help_text="First whole UTC day counted.")
    last_day = models.DateField(help_text="Last whole UTC day counted.")
    entries = models.JSONField(default=list, help_text="The ranked networks, then the reserved ranges.")
    files = models.JSONField(default=dict, help_text="File name to its text, as served.")
    signatures = models.JSONField(default=dict, help_text="File name to its detached signature (base64 of DER).")
    public_key = models.TextField(help_text="PEM of the key that signed these files.")
    built_at = models.DateTimeField(help_text="When these files were made (Last-Modified).")

    class Meta:
        ordering = ["-day"]
        get_latest_by = "day"

    def __str__(self):
        return f"block list {self.day}"

    def signature(self, name: str) -> bytes:
        import base64

        return base64.b64decode(self.signatures[name])


def new_review_token() -> str:
    return secrets.token_urlsafe(16)


class ListingReview(models.Model):
    """A human look at one block-list network (reports.listing_reviews):
    either the portal held it back (new in the list with a sudden weight)
    or someone asked for it to be delisted. Until an admin decides, a held
    network is not listed and an appealed one stays listed."""

    class Kind(models.TextChoices):
        HOLD = "hold", "New with a sudden weight: held for approval"
        APPEAL = "appeal", "Review requested"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an admin"
        LISTED = "listed", "Listed: the listing stands"
        DELISTED = "delisted", "Delisted"
        DISMISSED = "dismissed", "Dismissed without notice (spam, duplicate)"

    network = CidrAddressField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requester_email = models.EmailField(blank=True)
    requester_name = models.CharField(max_length=120, blank=True)
    message = models.TextField(blank=True, max_length=4000)
    from_owner = models.BooleanField(
        default=False, help_text="The requester writes from the network's abuse domain: reviewed first."
    )
    evidence = models.JSONField(default=dict, blank=True, help_text="The network's figures when the review opened.")
    groups_at_decision = ArrayField(
        models.IntegerField(), default=list, blank=True, help_text="Independent reporters counted when decided."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision_note = models.CharField(max_length=500, blank=True, help_text="Sent to the requester.")
    delisted_until = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_review_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NetManager()

    class Meta:
        ordering = ["status", "-from_owner", "created_at"]
        indexes = [models.Index(fields=["network", "status"], name="listing_review_network")]

    def __str__(self):
        return f"{self.network}: {self.get_kind_display()} ({self.get_status_display()})"
