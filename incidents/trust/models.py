"""The records of trust: one standing per reporter, and the well-known
networks the portal never lists or labels as research scanners."""

from django.conf import settings
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from netfields import CidrAddressField, NetManager


class ReporterStanding(models.Model):
    """Whether, and as whom, a reporter counts toward public outputs.

    Recomputed by ``services.standings_refresh`` (periodically, and at once
    when an admin suspends or vouches). Public queries join this table on
    ``counts`` and count distinct ``group``: reporters who submit from one
    network, or whose own networks overlap, share a group and so count once.
    A reporter without a row counts for nothing."""

    reporter = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="standing"
    )
    counts = models.BooleanField(default=False, help_text="Adds weight to public outputs.")
    group = models.IntegerField(
        db_column="grp",
        null=True,
        blank=True,
        help_text="Independence group: the lowest reporter id of the reporters it is tied to.",
    )
    score = models.FloatField(default=0.0, help_text="Trust from 0 to 1.")
    components = models.JSONField(default=dict, blank=True, help_text="The parts of the score.")
    reasons = models.JSONField(default=list, blank=True, help_text="Why it counts or does not, in words.")
    vouched = models.BooleanField(
        default=False, help_text="An admin vouches for this reporter: probation and score do not apply."
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["reporter"], condition=models.Q(counts=True), name="standing_counting")]

    def __str__(self):
        return f"{self.reporter}: {'counts' if self.counts else 'does not count'} ({self.score:.2f})"


class KnownNetwork(models.Model):
    """A network the portal knows by name: never listed nor mailed about
    (``NEVER_LIST``), or labelled as a benign research scanner (``SCANNER``:
    shown as such everywhere, never listed, never mailed)."""

    class Kind(models.TextChoices):
        NEVER_LIST = "never", "Never listed (well-known infrastructure)"
        SCANNER = "scanner", "Research scanner"

    class Origin(models.TextChoices):
        PACKAGE = "package", "Published list (shipped by a package)"
        BUILTIN = "builtin", "Built in"
        ADMIN = "admin", "Added by an admin"

    network = CidrAddressField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text="Who or what it is, as shown on pages.")
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.ADMIN)
    source = models.CharField(max_length=200, blank=True, help_text="The list it came from, cited on pages.")
    source_version = models.CharField(max_length=40, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    objects = NetManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "kind", "origin", "source"], name="known_network_once")
        ]
        indexes = [GistIndex(fields=["network"], name="known_network_gist", opclasses=["inet_ops"])]

    def __str__(self):
        return f"{self.network} {self.name}"
