from django import template

from reports.selectors import port_label

register = template.Library()


@register.filter
def port(value) -> str:
    """A rollup port for reading: a dash where the protocol has no ports."""
    return port_label(value)
