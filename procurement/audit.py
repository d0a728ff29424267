"""The audit trail: every service that changes state records one row here."""

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
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


# What each action code means, as the journal shows it. A code missing here is shown as is (and fails a test).
ACTION_LABELS = {
    "campaign.create": "Campagne créée",
    "campaign.status": "Statut de campagne changé",
    "campaign.invite": "Collectivité invitée à la campagne",
    "campaign.submit": "Déclaration transmise",
    "campaign.reopen": "Déclaration rouverte",
    "campaign.reminder": "Relance envoyée",
    "need_line.create": "Besoin déclaré",
    "need_line.update": "Besoin modifié",
    "need_line.delete": "Besoin supprimé",
    "need_line.confirm_match": "Rapprochement confirmé",
    "need_line.confirm_outside_catalog": "Ligne déclarée hors catalogue",
    "need_line.set_cpv": "Code CPV choisi pour une ligne hors catalogue",
    "need_line.match_same_wording": "Rapprochement repris d'une ligne de même libellé",
    "need_line.rematch": "Rapprochement relancé",
    "needs_import.upload": "Fichier de besoins déposé",
    "needs_import.confirm": "Import de besoins confirmé",
    "needs_import.apply": "Import de besoins enregistré",
    "needs_import.purge": "Anciens imports effacés",
    "grouping.create": "Groupement créé",
    "grouping.member_add": "Membre ajouté au groupement",
    "grouping.member_status": "Adhésion d'un membre modifiée",
    "grouping.lot_update": "Lot modifié",
    "grouping.lot_split": "Lot scindé",
    "grouping.lots_merge": "Lots fusionnés",
    "grouping.lines_move": "Lignes déplacées vers un autre lot",
    "grouping.lines_exclude": "Lignes écartées du groupement",
    "grouping.lines_reinstate": "Lignes réintégrées au groupement",
    "grouping.cost_sharing": "Répartition des frais modifiée",
    "grouping.launch": "Consultation lancée",
    "document.requested": "Document demandé",
    "document.generated": "Document produit",
    "document.failed": "Échec de production d'un document",
    "publication.create": "Demande publiée",
    "publication.supersede": "Publication remplacée",
    "publication.withdraw": "Publication retirée",
    "catalog_alias.accept_for_all": "Synonyme rendu valable pour tous",
    "catalog_alias.reject": "Synonyme refusé",
    "catalog_alias.supersede": "Synonyme remplacé par une correction de la collectivité",
    "catalog_alias.forget": "Synonyme appris retiré par la collectivité",
    "catalog_alias.retire": "Synonyme retiré du catalogue de référence",
    "reference.import_collectivites": "Référentiel des collectivités importé",
    "reference.import_etablissements": "Référentiel des établissements importé",
    "reference.import_territoire": "Territoire de démonstration chargé",
}
# The journal's filter: action code prefix → what it covers.
ACTION_FAMILIES = {
    "campaign.": "Campagnes et déclarations",
    "need_line.": "Lignes de besoin",
    "needs_import.": "Imports de besoins",
    "grouping.": "Groupements de commandes",
    "document.": "Documents",
    "publication.": "Publications",
    "catalog_alias.": "Catalogue",
    "reference.": "Référentiels",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def audit_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """The journal's « avant / après »: (field label, before, after) for each field that changed, in French.

    Fields are labelled with the target model's verbose names and choices ("Statut du rapprochement : À vérifier"
    rather than ``match_status: review``); a field present on one side only (creation, deletion) is listed.
    """
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("Valeur", _shown(before or None), _shown(after or None))]
    model = _target_model(event.target_type)
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] == after[key]:
            continue
        field = _model_field(model, key)
        label = str(field.verbose_name).capitalize() if field is not None else key.replace("_", " ").capitalize()
        rows.append(
            (
                label,
                _shown(before[key], field) if key in before else "",
                _shown(after[key], field) if key in after else "",
            )
        )
    return rows


def _target_model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _model_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None  # not a reverse relation ("lots", "need_lines")


def _shown(value: Any, field: models.Field | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 300 else text[:299] + "…"
    return str(value)


def _event(
    *,
    actor: User | None,
    action: str,
    target: models.Model | AuditTarget,
    collectivity: Collectivity | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """An unsaved audit row (anonymous actors are recorded as no actor)."""
    if not isinstance(target, AuditTarget):
        target = AuditTarget(type=target._meta.label_lower, id=str(target.pk), label=str(target))
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        collectivity=collectivity,
        action=action,
        target_type=target.type,
        target_id=target.id,
        target_repr=target.label[:300],
        before=before,
        after=after,
    )


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | AuditTarget,
    collectivity: Collectivity | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = _event(actor=actor, action=action, target=target, collectivity=collectivity, before=before, after=after)
    event.save(force_insert=True)
    return event


def audit_record_many(
    *,
    actor: User | None,
    action: str,
    changes: list[tuple[models.Model, Collectivity | None, dict[str, Any] | None, dict[str, Any] | None]],
) -> list[AuditEvent]:
    """One row per (target, collectivity, before, after), written with one bulk insert: for services that change
    many rows at once (matching a campaign's lines again) and must not write them one query each."""
    return AuditEvent.objects.bulk_create(
        [
            _event(actor=actor, action=action, target=target, collectivity=collectivity, before=before, after=after)
            for target, collectivity, before, after in changes
        ],
        batch_size=500,
    )
