"""Template helpers of the documents: French amounts and quantities, the kinds a coordinator may generate."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from reports.models import DocumentKind, JobStatus

register = template.Library()

NBSP = "\u00a0"


def group_thousands(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


@register.filter
def euros(value) -> str:
    """12345.5 → « 12 345,50 € » (French format, non-breaking spaces)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    return f"{sign}{group_thousands(units)},{cents}{NBSP}€"


@register.filter
def quantity(value) -> str:
    """12345 → « 12 345 »."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return ("-" if number < 0 else "") + group_thousands(str(abs(number)))


@register.simple_tag
def document_kinds() -> list[tuple[str, str]]:
    return [(kind.value, kind.label) for kind in DocumentKind]


@register.filter
def in_progress(document) -> bool:
    """A document still being generated: its status row keeps polling."""
    return document.status in (JobStatus.PENDING, JobStatus.RUNNING)
