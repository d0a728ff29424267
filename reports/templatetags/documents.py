"""Template helpers of the documents: French amounts and quantities, the kinds a coordinator may generate."""

from decimal import InvalidOperation

from django import template

from procurement.rules import NBSP, format_eur, group_thousands
from reports.models import DocumentKind, JobStatus

register = template.Library()


@register.filter
def euros(value) -> str:
    """12345.5 → « 12 345,50 € » (French format, non-breaking spaces); « — » for None."""
    try:
        return format_eur(value, suffix="", thousands=NBSP, empty="—")
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def quantity(value) -> str:
    """12345 → « 12 345 »."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return ("-" if number < 0 else "") + group_thousands(str(abs(number)), NBSP)


@register.simple_tag
def document_kinds() -> list[tuple[str, str]]:
    return [(kind.value, kind.label) for kind in DocumentKind]


@register.filter
def in_progress(document) -> bool:
    """A document still being generated: its status row keeps polling."""
    return document.status in (JobStatus.PENDING, JobStatus.RUNNING)
