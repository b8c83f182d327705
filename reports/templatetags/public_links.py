from django import template

from reports.public_views import port_url as _port_url

register = template.Library()


@register.simple_tag
def port_url(protocol: str, port: int) -> str:
    """{% port_url "tcp" 22 %}: the public page of a port."""
    return _port_url(protocol, port)
