"""The addresses of the ``reported`` fixture (tests/conftest.py): the public
pages' tests and the public API's read the same rows."""

WORM = "45.33.32.156"
NEIGHBOUR = "45.33.32.9"
TARGETS = ("198.51.100.23", "192.0.2.77", "203.0.113.99")
