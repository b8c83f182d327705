from django import template

from reports.public.labels import label_text
from reports.public_views import port_url as _port_url

register = template.Library()


@register.simple_tag
def port_url(protocol: str, port: int) -> str:
    """{% port_url "tcp" 22 %}: the public page of a port."""
    return _port_url(protocol, port)


@register.filter
def known_label(known) -> str:
    """{{ known|known_label }}: "research scanner: Shodan"."""
    return label_text(known)
