"""Need lines declared by members, one by one or in bulk, and matched to the catalog."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError
from procurement.models import (
    AuditEvent,
    Campaign,
    Collectivity,
    NeedLine,
    ParticipationStatus,
    Site,
    SiteKind,
    User,
)
from procurement.services.guards import get_participation, require_open, require_writer

NEED_LINE_FIELDS = ["text", "quantity", "unit", "site", "wished_delivery_date", "budget_ht"]
COMPETENCE_REASON = {
    SiteKind.ECOLE: "les écoles relèvent de la commune ou de l'EPCI compétent (C. éduc. L212-4)",
    SiteKind.COLLEGE: "les collèges relèvent du département (C. éduc. L213-2)",
    SiteKind.LYCEE: "les lycées relèvent de la région (C. éduc. L214-6)",
}


def check_site_competence(*, site: Site | None, collectivity: Collectivity) -> None:
    """A member records needs only for sites within its competence (domain.md §7.1, §9 E.23)."""
    if site is None:
        return
    if site.competent_collectivity_id != collectivity.pk:
        reason = COMPETENCE_REASON.get(site.kind, "ce site relève d'une autre collectivité")
        raise DomainError(
            f"Le site « {site.name} » ({site.uai}) ne relève pas de la compétence de {collectivity.name} : {reason}.",
            field="site",
        )


@transaction.atomic
def need_line_create(
    *,
    campaign: Campaign,
    collectivity: Collectivity,
    actor: User,
    text: str,
    quantity: int,
    unit: str = "unite",
    site: Site | None = None,
    wished_delivery_date: date | None = None,
    budget_ht: Decimal | None = None,
) -> NeedLine:
    """Declare one need in an open campaign for a participating collectivité, then match it to the catalog."""
    require_writer(collectivity=collectivity, actor=actor)
    participation = get_participation(campaign=campaign, collectivity=collectivity)
    require_open(campaign=campaign, participation=participation)
    check_site_competence(site=site, collectivity=collectivity)
    line = NeedLine(
        campaign=campaign,
        collectivity=collectivity,
        created_by=actor,
        text=(text or "").strip(),
        quantity=quantity,
        unit=unit,
        site=site,
        wished_delivery_date=wished_delivery_date,
        budget_ht=budget_ht,
    )
    line.full_clean()
    line.save()
    _match([line])
    if participation.status == ParticipationStatus.INVITED:
        participation.status = ParticipationStatus.STARTED
        participation.save(update_fields=["status"])
    audit_record(
        actor=actor, action="need_line.create", target=line, collectivity=collectivity, after=_line_state(line)
    )
    return line


@transaction.atomic
def need_lines_bulk_create(
    *, campaign: Campaign, collectivity: Collectivity, actor: User, rows: list[dict]
) -> list[NeedLine]:
    """Declare many needs at once (imports, demo): all rows are validated before any is saved, then the lines
    are stored in one batch and matched to the catalog in one pass. If any row is wrong, nothing is saved.

    Each row holds the keyword arguments of `need_line_create` (text, quantity, unit, site, ...).
    """
    require_writer(collectivity=collectivity, actor=actor)
    participation = get_participation(campaign=campaign, collectivity=collectivity)
    require_open(campaign=campaign, participation=participation)
    lines, errors = [], []
    for number, row in enumerate(rows, start=1):
        line = NeedLine(campaign=campaign, collectivity=collectivity, created_by=actor, **row)
        line.text = (line.text or "").strip()
        try:
            check_site_competence(site=row.get("site"), collectivity=collectivity)
            line.full_clean(exclude=["campaign", "collectivity", "site", "created_by"])
        except DomainError as exc:
            errors.append(f"Ligne {number} : {exc.message}")
        except ValidationError as exc:
            errors.append(f"Ligne {number} : " + " ".join(exc.messages))
        lines.append(line)
    if errors:
        raise DomainError("Aucune ligne n'a été enregistrée. " + " ".join(errors[:20]))
    lines = NeedLine.objects.bulk_create(lines)
    _match(lines)
    if participation.status == ParticipationStatus.INVITED:
        participation.status = ParticipationStatus.STARTED
        participation.save(update_fields=["status"])
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                collectivity=collectivity,
                action="need_line.create",
                target_type="procurement.needline",
                target_id=str(line.pk),
                target_repr=str(line)[:300],
                after=_line_state(line),
            )
            for line in lines
        ]
    )
    return lines


@transaction.atomic
def need_line_update(*, line: NeedLine, actor: User, **changes) -> NeedLine:
    """Change what the buyer declared; a changed text is matched again."""
    require_writer(collectivity=line.collectivity, actor=actor)
    require_open(
        campaign=line.campaign, participation=get_participation(campaign=line.campaign, collectivity=line.collectivity)
    )
    _require_not_pooled(line)
    unknown = set(changes) - set(NEED_LINE_FIELDS)
    if unknown:
        raise DomainError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    check_site_competence(site=changes.get("site", line.site), collectivity=line.collectivity)
    before = _line_state(line)
    text_changed = "text" in changes and changes["text"].strip() != line.text
    for name, value in changes.items():
        setattr(line, name, value.strip() if name == "text" else value)
    line.full_clean()
    line.save()
    if text_changed:
        _match([line])
    audit_record(
        actor=actor,
        action="need_line.update",
        target=line,
        collectivity=line.collectivity,
        before=before,
        after=_line_state(line),
    )
    return line


@transaction.atomic
def need_line_delete(*, line: NeedLine, actor: User) -> None:
    require_writer(collectivity=line.collectivity, actor=actor)
    require_open(
        campaign=line.campaign, participation=get_participation(campaign=line.campaign, collectivity=line.collectivity)
    )
    _require_not_pooled(line)
    audit_record(
        actor=actor, action="need_line.delete", target=line, collectivity=line.collectivity, before=_line_state(line)
    )
    line.delete()


def _match(lines: list[NeedLine]) -> None:
    from catalog.services import need_lines_match

    need_lines_match(lines=lines)


def _line_state(line: NeedLine) -> dict:
    state = snapshot(line, [*NEED_LINE_FIELDS, "catalog_item", "match_status", "match_score"])
    return state


def _require_not_pooled(line: NeedLine) -> None:
    if hasattr(line, "lot_line"):
        raise DomainError(
            "Cette ligne fait partie d'un lot de groupement : "
            "demandez au coordonnateur de l'en retirer avant de la modifier."
        )
