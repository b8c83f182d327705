"""What happened: submissions, the events they carried, and the rollups every
report reads."""

import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from netfields import InetAddressField

from portal.models import TIMEZONE_CHOICES


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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    name = models.CharField("file name", max_length=255, blank=True)
    raw = models.FileField(upload_to="submissions/%Y/%m/%d/", max_length=255, blank=True)
    raw_size = models.BigIntegerField(default=0, help_text="Bytes as stored (compressed).")
    declared_format = models.CharField(max_length=32, blank=True, help_text="Empty: recognise automatically.")
    detected_format = models.CharField(max_length=32, blank=True)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="UTC")

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
    skipped = models.PositiveIntegerField(default=0, help_text="Understood but not stored: allowed traffic, headers.")
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
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
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
        indexes = [models.Index(fields=["source_ip", "day"], name="source_day_source")]

    def __str__(self):
        return f"{self.day} {self.source_ip} > {self.target_port}/{self.protocol}"


class PortDay(models.Model):
    """Rollup: events on one port on one day, portal-wide (filtered left out)."""

    pk = models.CompositePrimaryKey("day", "protocol", "target_port")
    day = models.DateField()
    protocol = models.CharField(max_length=16)
    target_port = models.IntegerField()
    events = models.BigIntegerField()

    class Meta:
        db_table = "incidents_port_day"

    def __str__(self):
        return f"{self.day} {self.target_port}/{self.protocol}"
