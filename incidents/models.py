"""What happened: submissions, the events they carried, and the rollups every
report reads."""

import dataclasses
import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from netfields import CidrAddressField, InetAddressField, NetManager

from portal.models import TIMEZONE_CHOICES

from .parsers.base import is_allowed


class Submission(models.Model):
    """One log as it arrived. The raw file is kept compressed so a failed or
    interrupted ingest can always be run again from the original."""

    class Channel(models.TextChoices):
        WEB = "web", "Upload"
        MAIL = "mail", "Mail"
        API = "api", "API"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    MAX_REJECTED_KEPT = 100
    SKIPPED_REASONS_KEPT = 20

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    name = models.CharField("file name", max_length=255, blank=True)
    raw = models.FileField(upload_to="submissions/%Y/%m/%d/", max_length=255, blank=True)
    raw_size = models.BigIntegerField(default=0, help_text="Bytes as stored (compressed).")
    raw_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the raw file was deleted after its retention period."
    )
    declared_format = models.CharField(max_length=32, blank=True, help_text="Empty: recognise automatically.")
    detected_format = models.CharField(max_length=32, blank=True)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="UTC")
    reply_to = models.EmailField(blank=True, help_text="For mailed logs: where the confirmation goes.")
    # Where a web or API submission came from: reporters who submit from one
    # network count once toward public outputs (incidents.trust). Never shown.
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When the confirmation mail went out.")

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    lines = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    filtered = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Every line read is one of accepted, duplicate, filtered, allowed,
    # not_traffic or rejected; skipped is allowed + not_traffic.
    allowed = models.PositiveIntegerField(default=0, help_text="Traffic the device let through: not stored.")
    not_traffic = models.PositiveIntegerField(
        default=0, help_text="Lines recording no traffic (headers, DHCP, configuration): not stored."
    )
    skipped = models.PositiveIntegerField(default=0, help_text="Allowed and not-traffic lines together.")
    skipped_reasons = models.JSONField(
        default=dict, blank=True, help_text="Lines skipped by reason, the most frequent reasons; the rest as other."
    )
    rejected_lines = models.JSONField(default=list, blank=True, help_text="The first rejected lines with reasons.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"#{self.pk} {self.name or self.get_channel_display()}"

    def get_absolute_url(self):
        return reverse("submission-detail", args=[self.pk])

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def mostly_rejected(self) -> bool:
        """Over half the lines rejected or unrecognised: most likely the wrong
        format, or a device logging in a way the parser does not read."""
        return self.rejected * 2 > self.lines

    @property
    def skipped_unsorted(self) -> int:
        """Skipped lines of submissions processed before allowed and
        not-traffic lines were told apart."""
        return self.skipped - self.allowed - self.not_traffic

    def skipped_reasons_of(self, allowed: bool) -> list[tuple[str, int]]:
        """(reason, lines) of one kind of skipped line, most frequent first."""
        kind = [(reason, lines) for reason, lines in self.skipped_reasons.items() if is_allowed(reason) == allowed]
        return sorted(kind, key=lambda item: -item[1])

    @property
    def allowed_reasons(self) -> list[tuple[str, int]]:
        return self.skipped_reasons_of(allowed=True)

    @property
    def not_traffic_reasons(self) -> list[tuple[str, int]]:
        return self.skipped_reasons_of(allowed=False)


class Event(models.Model):
    """One blocked packet or connection attempt, in UTC.

    The table is created by a migration in raw SQL: PostgreSQL range-partitions
    it by day, which Django cannot express. The primary key doubles as the
    de-duplication key, so a resent log or a retried task never counts an
    event twice: the fingerprint hashes source, ports, target and protocol.
    Rows are written only by ``incidents.ingest`` with COPY and one INSERT.
    """

    pk = models.CompositePrimaryKey("reporter_id", "time", "fingerprint")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    time = models.DateTimeField()
    fingerprint = models.BigIntegerField()
    submission = models.ForeignKey(Submission, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    source_ip = InetAddressField(store_prefix_length=False)
    source_port = models.IntegerField(null=True)
    target_ip = InetAddressField(store_prefix_length=False)
    target_port = models.IntegerField(null=True)
    protocol = models.CharField(max_length=16)
    tcp_flags = models.CharField(max_length=8, blank=True)
    count = models.IntegerField(default=1)
    filter_reason = models.CharField(max_length=64, blank=True, help_text="Empty when the event is kept.")

    class Meta:
        managed = False
        db_table = "incidents_event"

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.source_ip}:{self.source_port} > {self.target_port}/{self.protocol}"


class SourceDay(models.Model):
    """Rollup: one source seen by one reporter on one port on one day.
    Updated by each ingested batch; every "how many others saw it" number is
    read from here, never by scanning events. Filtered events are left out."""

    pk = models.CompositePrimaryKey("day", "source_ip", "reporter_id", "protocol", "target_port")
    day = models.DateField()
    source_ip = InetAddressField(store_prefix_length=False)
    # No index of its own: source_day_reporter (reporter, day) serves every
    # look-up by reporter, and each index costs every ingest's rollup COPY.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", db_index=False
    )
    protocol = models.CharField(max_length=16)
    target_port = models.IntegerField(help_text="-1 where the protocol has no ports.")
    events = models.BigIntegerField()
    # Distinct target addresses, kept up to TARGETS_KEPT: past that a source is
    # sweeping and the exact number no longer changes any decision.
    target_ips = ArrayField(models.GenericIPAddressField(), default=list)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    TARGETS_KEPT = 64

    class Meta:
        db_table = "incidents_source_day"
        indexes = [
            # Covering: "how many others saw it" and a source's portal-wide
            # first and last sighting (the personal report, for each source
            # shown), and a source's or a /24's events by port and day (the
            # public IP and subnet pages) are answered from the index alone,
            # without visiting the rows, which lie scattered across every
            # reporter's daily uploads.
            models.Index(
                fields=["source_ip", "day"],
                include=["reporter", "protocol", "target_port", "events", "first_seen", "last_seen"],
                name="source_day_source_events",
            ),
            models.Index(fields=["reporter", "day"], name="source_day_reporter"),
        ]

    def __str__(self):
        return f"{self.day} {self.source_ip} > {self.target_port}/{self.protocol}"


class PortDay(models.Model):
    """Rollup: one port on one day, portal-wide (filtered left out).

    ``events`` is added to by each ingested batch, so it is always current,
    and counts every reporter. Distinct sources and reporters cannot be added
    up batch by batch (a source seen again is not a new one), so they are
    recounted from SourceDay by ``incidents.port_counts.refresh`` (Celery
    beat, every few minutes) for the rows whose ``events`` moved since the
    last count: ``counted_events`` is the events total that count saw. The
    recount counts independent reporters only (incidents.trust), and so do
    ``public_events``, what public pages show. The database defaults let
    ingest's upsert create rows without knowing about these columns."""

    pk = models.CompositePrimaryKey("day", "protocol", "target_port")
    day = models.DateField()
    protocol = models.CharField(max_length=16)
    target_port = models.IntegerField()
    events = models.BigIntegerField()
    sources = models.BigIntegerField(
        db_default=0, help_text="Distinct source addresses reporters who count saw, as of the last count."
    )
    reporters = models.IntegerField(
        db_default=0, help_text="Distinct independent reporters (groups of reporters who count), as of the last count."
    )
    public_events = models.BigIntegerField(
        db_default=0, help_text="The events of reporters who count, as of the last count: what public pages show."
    )
    counted_events = models.BigIntegerField(db_default=0, help_text="The events the last count saw.")

    class Meta:
        db_table = "incidents_port_day"
        indexes = [
            # A port's history (the public port page, the anomaly baseline)
            # reads one port over many days; the key starts with the day.
            models.Index(fields=["protocol", "target_port", "day"], name="port_day_port"),
        ]

    def __str__(self):
        return f"{self.day} {self.target_port}/{self.protocol}"


class FilterRule(models.Model):
    """A false-positive rule kept by an admin (portal-wide, user empty) or by
    one user. Built-in rules live in code (incidents.filter_catalogue); these extend
    them. Saving or deleting one re-evaluates the affected events."""

    class Kind(models.TextChoices):
        NETWORK = "network", "Source network"
        PORT = "port", "Target port (any protocol)"
        PROTOCOL_PORT = "protocol_port", "Protocol and target port"
        REQUESTED_SCAN = "requested_scan", "A scan I asked for (from a scanner's network, for a time)"
        IRC_SERVER = "irc_server", "An IRC server I use (its open-proxy checks)"
        LB_PROBER = "lb_prober", "Load-balancer proximity prober"

    class Protocol(models.TextChoices):
        ANY = "", "Any"
        TCP = "tcp", "TCP"
        UDP = "udp", "UDP"
        ICMP = "icmp", "ICMP"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="filter_rules",
        help_text="Empty for a portal-wide rule.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    network = CidrAddressField(null=True, blank=True)
    protocol = models.CharField(max_length=8, choices=Protocol.choices, blank=True)
    port_from = models.PositiveIntegerField(null=True, blank=True)
    port_to = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: the same as the first port.")
    reason = models.CharField(max_length=120, help_text="Shown next to every event the rule catches.")
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NetManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.reason

    @property
    def code(self) -> str:
        return f"rule:{self.pk}"

    @property
    def scope(self) -> str:
        return "portal" if self.user_id is None else "user"

    REQUIRED = {
        Kind.NETWORK: ("network",),
        Kind.PORT: ("port_from",),
        Kind.PROTOCOL_PORT: ("protocol", "port_from"),
        Kind.REQUESTED_SCAN: ("network", "starts_at", "expires_at"),
        Kind.IRC_SERVER: ("network",),
        Kind.LB_PROBER: ("network",),
    }

    def clean(self):
        errors = {}
        for name in self.REQUIRED.get(self.kind, ()):
            if getattr(self, name) in (None, ""):
                errors[name] = f"A “{self.get_kind_display()}” rule needs this."
        if self.port_from is not None and self.port_from > 65535:
            errors["port_from"] = "Ports run from 0 to 65535."
        if self.port_to is not None and (self.port_from is None or not self.port_from <= self.port_to <= 65535):
            errors["port_to"] = "The last port must be at least the first and at most 65535."
        if self.starts_at and self.expires_at and self.expires_at <= self.starts_at:
            errors["expires_at"] = "The end must come after the start."
        if errors:
            raise ValidationError(errors)

    def as_filter_rule(self):
        """This rule as the ingest filter applies it (incidents.filters.Rule)."""
        from . import filters

        networks = (str(self.network),) if self.network else ()
        if self.kind == self.Kind.IRC_SERVER:
            rule = filters.irc_proxy_check_rule(networks)
        elif self.kind == self.Kind.LB_PROBER:
            rule = filters.load_balancer_probe_rule(networks)
        else:
            ports = ((self.port_from, self.port_to or self.port_from),) if self.port_from is not None else ()
            protocol = self.protocol or None if self.kind != self.Kind.PORT else None
            rule = filters.Rule(code=self.code, networks=networks, protocol=protocol, ports=ports)
        return dataclasses.replace(rule, code=self.code, starts=self.starts_at, ends=self.expires_at)


class FilteredDay(models.Model):
    """Rollup: events one reporter had filtered on one day, by reason code,
    so the filtered view and each rule's count never scan events."""

    pk = models.CompositePrimaryKey("reporter_id", "day", "reason")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    day = models.DateField()
    reason = models.CharField(max_length=64)
    events = models.BigIntegerField()

    class Meta:
        db_table = "incidents_filtered_day"

    def __str__(self):
        return f"{self.day} {self.reason}: {self.events}"


class InboundMail(models.Model):
    """Every message the submission box received, by a digest of its bytes:
    a message is stored here in the same transaction as its submissions, so
    one seen again (an IMAP flag lost in a crash, an MTA retry) is recognised
    and processed nothing twice."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        IGNORED = "ignored", "Ignored (automated mail)"
        RESPONSE = "response", "Answer to an abuse report"

    digest = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    submissions = models.ManyToManyField(Submission, blank=True, related_name="mails")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.sender}: {self.get_outcome_display()}"


class RejectionNotice(models.Model):
    """At most one polite rejection a day per sender: a misconfigured job
    mailing every minute must not turn the portal into a mail cannon."""

    sender = models.CharField(max_length=254)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "day"], name="one_rejection_a_day")]

    def __str__(self):
        return f"{self.sender} {self.day}"
