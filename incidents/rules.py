"""Changing filter rules: every path (the rules page, the admin console)
comes through here so the affected events are always re-evaluated."""

from django.db import transaction


def _queue(user_id):
    from .tasks import reevaluate_filters

    transaction.on_commit(lambda: reevaluate_filters.delay(user_id))


def rule_saved(rule) -> None:
    _queue(rule.user_id)


def rule_deleted(rule) -> None:
    _queue(rule.user_id)
