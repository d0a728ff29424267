"""The audit trail: every service that changes state records one row here."""

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict

from procurement.models import AuditEvent, Collectivity, User


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a model's field values, for the before/after columns."""
    data = model_to_dict(instance, fields=fields)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


@dataclass(frozen=True)
class AuditTarget:
    """What an event is about when it is not one model instance: a reference dataset, a batch of jobs..."""

    type: str
    id: str
    label: str


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | AuditTarget,
    collectivity: Collectivity | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    if not isinstance(target, AuditTarget):
        target = AuditTarget(type=target._meta.label_lower, id=str(target.pk), label=str(target))
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        collectivity=collectivity,
        action=action,
        target_type=target.type,
        target_id=target.id,
        target_repr=target.label[:300],
        before=before,
        after=after,
    )
