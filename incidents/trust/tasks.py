from celery import shared_task

from .known_networks import known_networks_refresh


@shared_task
def refresh_known_networks() -> dict[str, int]:
    """Reload the package and built-in known networks (beat runs it daily)."""
    return dict(known_networks_refresh())


@shared_task
def refresh_standings() -> dict:
    """Recompute every reporter's standing (beat, hourly)."""
    from .standings import standings_refresh

    return standings_refresh()
