"""Template helpers: French money and number formats, sortable table headers."""

from decimal import InvalidOperation

from django import template
from django.utils.html import format_html

from procurement.audit import action_label as _action_label
from procurement.audit import audit_changes as _audit_changes
from procurement.rules import format_eur, group_thousands

register = template.Library()
NNBSP = "\u202f"  # narrow no-break space, the French thousands separator of the pages


@register.filter
def euros(value, decimals: int = 2) -> str:
    """12345.6 → « 12 345,60 € ». Empty for None."""
    try:
        return format_eur(value, decimals=int(decimals), suffix="", thousands=NNBSP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def number(value) -> str:
    """1200 → « 1 200 »."""
    if value is None or value == "":
        return ""
    try:
        integer = int(value)
    except (TypeError, ValueError):
        return str(value)
    return ("-" if integer < 0 else "") + group_thousands(str(abs(integer)), NNBSP)


@register.filter
def pluralize_fr(value) -> str:
    """ "s" from 2 on, as French counts (« 0 ligne », « 1 ligne », « 2 lignes »); Django's ``pluralize`` follows
    English and writes « 0 lignes ». A list counts by its length."""
    try:
        count = len(value) if isinstance(value, (list, tuple, set, dict)) else float(value)
    except (TypeError, ValueError):
        return ""
    return "s" if count >= 2 else ""


@register.filter
def action_label(code: str) -> str:
    """An audit action code in words: « need_line.confirm_match » → « Rapprochement confirmé »."""
    return _action_label(code)


@register.filter
def audit_changes(event) -> list[tuple[str, str, str]]:
    return _audit_changes(event)


def plural_fr(word: str, count) -> str:
    """French plural of a unit name for a count: 1 unité, 2 unités, 3 mois (from 2 on, as French counts)."""
    try:
        many = abs(float(count)) >= 2
    except (TypeError, ValueError):
        many = False
    return word + "s" if many and word and word[-1] not in "sxz" else word


@register.filter
def quantity_unit(line) -> str:
    """A need line's quantity with its unit, agreed in number: « 1 200 unités », « 1 licence », « 3 mois »."""
    return f"{number(line.quantity)} {plural_fr(str(line.get_unit_display()), line.quantity)}"


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
