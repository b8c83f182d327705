"""The one switch for the ingest's C accelerators (incidents/_rows.c,
incidents/_iptables.c): each is used when it was built and imports, unless
PORTAL_PURE_PYTHON_ROWS is set (to anything but "" or "0"), which selects the
Python they mirror, the reference, for all of them at once."""

import os

PURE_PYTHON = os.environ.get("PORTAL_PURE_PYTHON_ROWS", "") not in ("", "0")
