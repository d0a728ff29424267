import datetime

from django import template

register = template.Library()

KIND_PLURALS = {
    "commune": ("commune", "communes"),
    "epci": ("EPCI", "EPCI"),
    "departement": ("département", "départements"),
    "region": ("région", "régions"),
    "autre": ("autre acheteur public", "autres acheteurs publics"),
}


@register.filter
def iso_date(value: str | None) -> datetime.date | datetime.datetime | None:
    """A snapshot stores ISO strings; templates format dates."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)
    except ValueError:
        return None


@register.filter
def members_by_kind(by_kind: dict | None) -> str:
    """{"commune": 12, "departement": 1} → "12 communes, 1 département"."""
    parts = []
    for kind, count in (by_kind or {}).items():
        singular, plural = KIND_PLURALS.get(kind, (kind, kind))
        parts.append(f"{count} {singular if count == 1 else plural}")
    return ", ".join(parts)
