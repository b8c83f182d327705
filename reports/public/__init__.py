"""What the public pages read: top sources and ports, port anomalies, a
port's history, an address and a network. No sign-in, so aggregates only: no
reporter, no target address, never a per-reporter figure. Everything comes
from the rollups (SourceDay, PortDay), never from the event table; an
address's and a network's queries are range reads of SourceDay's
(source_ip, day) index.

Public figures count independent reporters who count (incidents.trust):
nobody else adds to them. What is said of a source or of a port's day is
k-anonymous (``anonymity``): nothing one reporter alone saw is shown.

Plain functions returning dataclasses, so the REST API can serve the same
answers (``dataclasses.asdict``). Days are UTC days.
"""

from .front import (
    ANOMALY_BASELINE_DAYS,
    FrontPage,
    PortAnomaly,
    TopPort,
    TopSource,
    Trend,
    anomaly_rule,
    front_page,
    last_whole_day,
    port_anomalies,
    port_name,
    top_ports,
    top_sources,
)
from .lookups import (
    Forwarded,
    IpSummary,
    PortCount,
    PortHistory,
    SubnetAddress,
    SubnetSummary,
    ip_summary,
    port_history,
    subnet_summary,
)

__all__ = [
    "ANOMALY_BASELINE_DAYS",
    "Forwarded",
    "FrontPage",
    "IpSummary",
    "PortAnomaly",
    "PortCount",
    "PortHistory",
    "SubnetAddress",
    "SubnetSummary",
    "TopPort",
    "TopSource",
    "Trend",
    "anomaly_rule",
    "front_page",
    "ip_summary",
    "last_whole_day",
    "port_anomalies",
    "port_history",
    "port_name",
    "subnet_summary",
    "top_ports",
    "top_sources",
]
