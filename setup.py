"""The C extension only; everything else about the package is in pyproject.toml.

optional=True: where there is no compiler the install still succeeds, and
incidents.ingest_rows and incidents.parsers.iptables use their pure-Python
references.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("incidents._rows", ["incidents/_rows.c"], optional=True),
        Extension("incidents._iptables", ["incidents/_iptables.c"], optional=True),
    ]
)
