"""Template helpers: French money and number formats, sortable table headers."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

register = template.Library()
NBSP = "\u202f"  # narrow no-break space, the French thousands separator


def _group(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


@register.filter
def euros(value, decimals: int = 2) -> str:
    """12345.6 → « 12 345,60 € ». Empty for None."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    text = _group(whole) + ("," + fraction if fraction else "")
    return f"{sign}{text}\u00a0€"


@register.filter
def number(value) -> str:
    """1200 → « 1 200 »."""
    if value is None or value == "":
        return ""
    try:
        integer = int(value)
    except (TypeError, ValueError):
        return str(value)
    return ("-" if integer < 0 else "") + _group(str(abs(integer)))


@register.simple_tag(takes_context=True)
def sort_th(context, label: str, key: str, css_class: str = ""):
    """A column header that sorts the table by `key` (?tri=key / ?tri=-key) and announces its state."""
    request = context["request"]
    current = context.get("tri", "")
    query = request.GET.copy()
    query.pop("page", None)
    if current == key:
        aria, next_key, arrow = "ascending", f"-{key}", " ▲"
    elif current == f"-{key}":
        aria, next_key, arrow = "descending", key, " ▼"
    else:
        aria, next_key, arrow = None, key, ""
    query["tri"] = next_key
    aria_attr = format_html(' aria-sort="{}"', aria) if aria else ""
    return format_html(
        '<th scope="col" class="{}"{}><a href="?{}">{}<span aria-hidden="true">{}</span></a></th>',
        css_class,
        aria_attr,
        query.urlencode(),
        label,
        arrow,
    )


@register.filter
def get_item(mapping, key):
    """{{ counts|get_item:"submitted" }}: a dictionary lookup with a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None
