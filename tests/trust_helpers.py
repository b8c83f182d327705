"""Making test reporters count toward public outputs, as an admin's vouching
does: each is its own independent reporter unless given a shared group."""

from incidents.trust.models import ReporterStanding


def vouch(*users, group=None):
    """Every user in ``users`` counts; with ``group``, all as one network."""
    for user in users:
        ReporterStanding.objects.update_or_create(
            reporter=user,
            defaults={"counts": True, "vouched": True, "group": group or user.pk, "score": 1.0},
        )
    return users
