"""The one outside look-up: RDAP through ipwhois. Tests replace ``lookup``
with recorded answers; everything after it is our code and is tested."""

from dataclasses import dataclass, field


class LookupFailed(Exception):
    """The registry could not be asked now (network, rate limit): try later."""


class NotRoutable(Exception):
    """Private or reserved space: no registry answers for it."""


def lookup(ip: str) -> dict:
    """ipwhois's parsed RDAP answer for ``ip`` (IPWhois.lookup_rdap)."""
    from ipwhois import IPWhois
    from ipwhois.exceptions import IPDefinedError, WhoisLookupError

    try:
        return IPWhois(ip, timeout=10).lookup_rdap(depth=1, retry_count=2, rate_limit_timeout=60)
    except IPDefinedError as exc:
        raise NotRoutable(str(exc)) from None
    except (WhoisLookupError, OSError, ValueError) as exc:
        # ipwhois's HTTP, ASN and rate-limit errors all derive from these.
        raise LookupFailed(f"{type(exc).__name__}: {exc}") from None


@dataclass
class NetworkInfo:
    cidr: str | None
    asn: int | None
    organisation: str
    country: str
    abuse_emails: list[str] = field(default_factory=list)


def parse(answer: dict) -> NetworkInfo:
    """What we keep from an answer: the network, its owner and country, and
    the addresses of the entities in the abuse role (technical contacts
    only when no abuse role is given)."""
    network = answer.get("network") or {}
    cidr = (network.get("cidr") or answer.get("asn_cidr") or "").split(",")[0].strip() or None
    asn_text = str(answer.get("asn") or "").split()[0] if answer.get("asn") else ""
    asn = int(asn_text) if asn_text.isdigit() else None
    organisation = network.get("name") or answer.get("asn_description") or ""
    country = (network.get("country") or answer.get("asn_country_code") or "")[:2].upper()
    by_role: dict[str, list[str]] = {}
    for obj in (answer.get("objects") or {}).values():
        emails = [e.get("value", "").strip().lower() for e in ((obj.get("contact") or {}).get("email") or [])]
        for role in obj.get("roles") or []:
            by_role.setdefault(role, []).extend(e for e in emails if "@" in e)
    abuse = by_role.get("abuse") or by_role.get("technical") or []
    return NetworkInfo(cidr, asn, organisation[:200], country, sorted(set(abuse)))
