"""Markup planted where users' and strangers' text reaches pages: a rejected
log line and the source field it names, a file name, a mailed subject, a
token name, a rule's reason. Shared by the response checks and the browser."""

from incidents.models import FilterRule, InboundMail
from portal.models import ApiToken
from tests.incidents.conftest import iptables_line

SCRIPT = "<script>window.__xss=1;alert(1)</script>"
IMG = '"><img src=x onerror="window.__xss=1;alert(2)">'
PAYLOAD = f"{SCRIPT}{IMG}"
ESCAPED_SCRIPT = "&lt;script&gt;window.__xss=1;alert(1)&lt;/script&gt;"


def plant(user, submit, recent):
    """Give ``user`` data full of markup; return the processed submission."""
    FilterRule.objects.create(user=user, kind=FilterRule.Kind.PORT, port_from=2222, reason=f"rule {PAYLOAD}")
    ApiToken.issue(user, f"token {SCRIPT}")  # names are at most 80 characters
    InboundMail.objects.create(
        digest=str(user.pk).rjust(64, "0"), sender=user.email, subject=f"subject {PAYLOAD}", user=user,
        outcome=InboundMail.Outcome.ACCEPTED,
    )  # fmt: skip
    log = (
        iptables_line(recent)
        + iptables_line(recent, dpt=2222)
        + iptables_line(recent, src=SCRIPT)
        + iptables_line(recent, dst=IMG)
    )
    return submit(user, text=log, name=f"file {PAYLOAD}.log")
