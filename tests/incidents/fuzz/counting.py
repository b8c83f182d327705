"""How many inputs each fuzz target ran, for the summary conftest prints."""

import collections

TRIED: collections.Counter = collections.Counter()


def tried(target: str, inputs: int = 1) -> None:
    TRIED[target] += inputs
