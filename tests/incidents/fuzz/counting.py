"""How many inputs each fuzz target ran, for the summary conftest prints."""

import collections

TRIED: collections.Counter = collections.Counter()


def tried(target: str, inputs: int = 1) -> None:
    TRIED[target] += inputs


def heavy(share: float):
    """Settings for a target whose every input costs a database round or a
    request: a share of the loaded profile's examples (at least 10)."""
    from hypothesis import settings

    return settings(max_examples=max(10, int(settings().max_examples * share)))
