"""Values from users or from the outside world on their way into mail headers.

A file name, a mail subject, a token name or an address from RDAP may carry
CR/LF (an RFC 2047 encoded word decodes to anything), and a line break in a
header would start a header of the sender's choosing. Django refuses such a
header with BadHeaderError, which would crash the run that sends the mail;
so text is folded onto one line here, and an address that is not exactly one
clean address is dropped, before any mail is built.
"""

import logging
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

log = logging.getLogger(__name__)

# Every character str.splitlines() breaks on, and the other C0/C1 controls.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value, limit: int = 200) -> str:
    """``value`` on one line: runs of line breaks and controls become one space."""
    return CONTROLS.sub(" ", str(value or "")).strip()[:limit]


def header_address(value) -> str | None:
    """The address if it is one plain, valid address; None otherwise."""
    address = str(value or "").strip()
    if not address or CONTROLS.search(address) or "," in address:
        return None
    try:
        validate_email(address)
    except ValidationError:
        return None
    return address


def header_addresses(values) -> list[str]:
    clean = []
    for value in values:
        address = header_address(value)
        if address is None:
            log.warning("dropped a recipient that is not one plain address: %r", value)
        else:
            clean.append(address)
    return clean
