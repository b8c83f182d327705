"""k-anonymity for what public pages say about a source.

Someone who controls a source can knock on candidate addresses, one port
(or one hour) per candidate, and read the source's page: any figure that one
reporter alone makes tells him whom that reporter is. So a public figure
about a source is drawn only from reporters who count, counted as
independent groups (incidents.trust), and only where at least k of them
(settings.PUBLIC_K_REPORTERS) agree:

- a source is described at all once k saw it in the window; below k,
  nobody and a few look alike;
- of its ports only those k saw it on are shown, and its events are the
  events on those ports;
- a day's figures are shown once k saw it that day on those ports;
- its times are the k-th group's first and last sighting, rounded down to
  the hour: a time one reporter alone has is never shown.
"""

from datetime import datetime

from incidents.trust.selectors import counting_join


def counted_rows(where: str) -> str:
    """SourceDay rows matching ``where`` (on alias ``s``) of reporters who
    count, each with its reporter's group ``grp``: every column is in the
    covering (source_ip, day) index, so the rows themselves are not read."""
    return f"""SELECT s.source_ip, s.day, s.protocol, s.target_port, s.events, s.first_seen, s.last_seen, t.grp
    FROM incidents_source_day s {counting_join("s")} WHERE {where}"""  # noqa: S608 (no input in the text)


def to_hour(moment: datetime | None) -> datetime | None:
    """A public time: rounded down to the hour (in UTC, the pages' zone)."""
    return moment.replace(minute=0, second=0, microsecond=0) if moment else None


def seen_span(first: datetime | None, last: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The public first and last sighting from the k-th group's: to the hour,
    and the last no earlier than the first (with few reporters whose
    sightings do not overlap, the k-th from the last can come before the
    k-th; either time alone is one k reporters share)."""
    first, last = to_hour(first), to_hour(last)
    return first, max(first, last) if first and last else last
