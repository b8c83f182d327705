from django import template

from reports.charts import bar_rects as _bar_rects

register = template.Library()


@register.simple_tag
def bar_rects(chart: dict, colour: str, unit: str) -> str:
    """{% bar_rects chart "#0d6efd" "events" %}: the bars of a daily chart."""
    return _bar_rects(chart, colour, unit)
