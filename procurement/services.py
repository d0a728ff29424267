"""State changes of the core domain. Each service runs in one transaction, validates, and writes an audit row.

Callers (views, API, commands, tasks) pass the acting user explicitly and never save domain models themselves.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    AuditEvent,
    Campaign,
    CampaignParticipation,
    CampaignStatus,
    Collectivity,
    CollectivityKind,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    MatchStatus,
    NeedLine,
    ParticipationStatus,
    Role,
    Site,
    SiteKind,
    User,
)
from procurement.selectors import can_coordinate_campaign, user_has_role

NEED_LINE_FIELDS = ["text", "quantity", "unit", "site", "wished_delivery_date", "budget_ht"]
COMPETENCE = {
    SiteKind.ECOLE: (CollectivityKind.COMMUNE, CollectivityKind.EPCI),
    SiteKind.COLLEGE: (CollectivityKind.DEPARTEMENT,),
    SiteKind.LYCEE: (CollectivityKind.REGION,),
}
COMPETENCE_REASON = {
    SiteKind.ECOLE: "les écoles relèvent de la commune ou de l'EPCI compétent (C. éduc. L212-4)",
    SiteKind.COLLEGE: "les collèges relèvent du département (C. éduc. L213-2)",
    SiteKind.LYCEE: "les lycées relèvent de la région (C. éduc. L214-6)",
}


# Campaigns


@transaction.atomic
def campaign_create(
    *,
    coordinator: Collectivity,
    actor: User,
    title: str,
    opens_on: date,
    closes_on: date,
    scope: str = "",
    members: Iterable[Collectivity] = (),
) -> Campaign:
    """Create a draft campaign of `coordinator`, inviting `members`. Only a coordinator of it may do so."""
    if not user_has_role(user=actor, collectivity=coordinator, roles=(Role.COORDINATOR,)):
        raise PermissionDenied("Seul un coordonnateur de la collectivité peut créer une campagne.")
    campaign = Campaign(
        coordinator=coordinator, title=title, scope=scope, opens_on=opens_on, closes_on=closes_on, created_by=actor
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor, action="campaign.create", target=campaign, collectivity=coordinator, after=snapshot(campaign)
    )
    for member in members:
        campaign_invite(campaign=campaign, collectivity=member, actor=actor)
    return campaign


@transaction.atomic
def campaign_invite(*, campaign: Campaign, collectivity: Collectivity, actor: User) -> CampaignParticipation:
    _require_campaign_coordinator(campaign=campaign, actor=actor)
    participation, created = CampaignParticipation.objects.get_or_create(campaign=campaign, collectivity=collectivity)
    if created:
        audit_record(
            actor=actor,
            action="campaign.invite",
            target=participation,
            collectivity=campaign.coordinator,
            after={"collectivity": collectivity.name},
        )
    return participation


CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.OPEN},
    CampaignStatus.OPEN: {CampaignStatus.CLOSED},
    CampaignStatus.CLOSED: {CampaignStatus.OPEN, CampaignStatus.ARCHIVED},
    CampaignStatus.ARCHIVED: set(),
}


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, status: str, actor: User) -> Campaign:
    """Move a campaign through draft → open → closed → archived (a closed campaign may reopen)."""
    _require_campaign_coordinator(campaign=campaign, actor=actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status not in CAMPAIGN_TRANSITIONS[campaign.status]:
        raise DomainError(
            f"Une campagne « {campaign.get_status_display()} » ne peut pas passer au statut "
            f"« {CampaignStatus(status).label} ».",
            field="status",
        )
    before = snapshot(campaign, ["status"])
    campaign.status = status
    campaign.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="campaign.status",
        target=campaign,
        collectivity=campaign.coordinator,
        before=before,
        after=snapshot(campaign, ["status"]),
    )
    return campaign


@transaction.atomic
def participation_submit(*, campaign: Campaign, collectivity: Collectivity, actor: User) -> CampaignParticipation:
    """A member marks its declaration as transmitted to the coordinator."""
    _require_writer(collectivity=collectivity, actor=actor)
    participation = _participation(campaign=campaign, collectivity=collectivity)
    if not campaign.need_lines.filter(collectivity=collectivity).exists():
        raise DomainError("Déclarez au moins une ligne de besoin avant de transmettre votre déclaration.")
    participation.status = ParticipationStatus.SUBMITTED
    participation.submitted_at = timezone.now()
    participation.save(update_fields=["status", "submitted_at"])
    audit_record(actor=actor, action="campaign.submit", target=participation, collectivity=collectivity)
    return participation


# Need lines


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
    _require_writer(collectivity=collectivity, actor=actor)
    participation = _participation(campaign=campaign, collectivity=collectivity)
    _require_open(campaign=campaign, participation=participation)
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
    _require_writer(collectivity=collectivity, actor=actor)
    participation = _participation(campaign=campaign, collectivity=collectivity)
    _require_open(campaign=campaign, participation=participation)
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
    _require_writer(collectivity=line.collectivity, actor=actor)
    _require_open(
        campaign=line.campaign, participation=_participation(campaign=line.campaign, collectivity=line.collectivity)
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
    _require_writer(collectivity=line.collectivity, actor=actor)
    _require_open(
        campaign=line.campaign, participation=_participation(campaign=line.campaign, collectivity=line.collectivity)
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


# Groupings


def _next_reference(year: int) -> str:
    prefix = f"GC-{year}-"
    last = Grouping.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference"))["m"]
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:03d}"


@transaction.atomic
def grouping_create_from_campaign(
    *,
    campaign: Campaign,
    actor: User,
    family_ids: Iterable[int],
    title: str,
    planned_launch_date: date | None = None,
    duration_months: int = 12,
    renewals: int = 0,
) -> Grouping:
    """Form a groupement de commandes from the campaign's matched lines: one lot per catalog family.

    Only lines that are matched or confirmed, and not already in a lot, are pooled. Every collectivité with a
    pooled line becomes a member (invited until it records its deliberation).
    """
    from catalog.models import Family
    from tenders.models import Lot, LotLine

    if not can_coordinate_campaign(user=actor, campaign=campaign):
        raise PermissionDenied("Seul le coordonnateur de la campagne peut former un groupement.")
    families = list(Family.objects.filter(pk__in=list(family_ids)).order_by("position", "name"))
    if not families:
        raise DomainError("Choisissez au moins une famille d'achat à regrouper.", field="families")
    lines = list(
        NeedLine.objects.select_for_update()
        .filter(campaign=campaign, catalog_item__family__in=families, lot_line__isnull=True)
        .filter(match_status__in=[MatchStatus.MATCHED, MatchStatus.CONFIRMED])
        .select_related("catalog_item", "catalog_item__family", "catalog_item__cpv")
        .order_by("id")
    )
    if not lines:
        raise DomainError("Aucune ligne rapprochée et non encore regroupée dans ces familles.", field="families")

    year = (planned_launch_date or timezone.localdate()).year
    grouping = Grouping(
        reference=_next_reference(year),
        title=title.strip(),
        campaign=campaign,
        coordinator=campaign.coordinator,
        planned_launch_date=planned_launch_date,
        duration_months=duration_months,
        renewals=renewals,
        created_by=actor,
        nature=_nature_of(families),
    )
    grouping.full_clean()
    grouping.save()

    by_family: dict[int, list[NeedLine]] = {}
    for line in lines:
        by_family.setdefault(line.catalog_item.family_id, []).append(line)
    lot_lines = []
    for number, family in enumerate([f for f in families if f.pk in by_family], start=1):
        family_lines = by_family[family.pk]
        lot = Lot.objects.create(
            grouping=grouping,
            number=number,
            title=family.name,
            family=family,
            cpv_id=family.cpv_id or _most_common_cpv(family_lines),
            description=family.description,
        )
        lot_lines += [LotLine(lot=lot, need_line=line, reason=_pooling_reason(line)) for line in family_lines]
    LotLine.objects.bulk_create(lot_lines)

    member_ids = sorted({line.collectivity_id for line in lines})
    GroupingMember.objects.bulk_create(
        [
            GroupingMember(
                grouping=grouping,
                collectivity_id=cid,
                status=GroupingMemberStatus.ACCEPTED
                if cid == campaign.coordinator_id
                else GroupingMemberStatus.INVITED,
            )
            for cid in member_ids
        ]
    )
    audit_record(
        actor=actor,
        action="grouping.create",
        target=grouping,
        collectivity=grouping.coordinator,
        after={**snapshot(grouping), "lots": len(by_family), "lines": len(lines), "members": len(member_ids)},
    )
    return grouping


def _nature_of(families) -> str:
    natures = {f.nature for f in families}
    return "services" if natures == {"services"} else "supplies"


def _most_common_cpv(lines: list[NeedLine]) -> str | None:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.catalog_item.cpv_id] = counts.get(line.catalog_item.cpv_id, 0) + line.quantity
    return max(counts, key=counts.get) if counts else None


def _pooling_reason(line: NeedLine) -> str:
    item = line.catalog_item
    how = (
        "confirmé par l'acheteur" if line.match_status == MatchStatus.CONFIRMED else f"score {line.match_score:.0f}/100"
    )
    return f"Famille « {item.family.name} » : rapprochée de « {item.label} » ({how})."[:300]


@transaction.atomic
def grouping_member_set_status(
    *,
    member: GroupingMember,
    actor: User,
    status: str,
    deliberation_reference: str = "",
    deliberation_date: date | None = None,
) -> GroupingMember:
    """A member records its adhesion (with its deliberation), its signature of the convention, or withdraws.

    The member's own buyers or coordinators, or the grouping's coordinator, may do so; a grouping that has
    launched its consultation is locked (a latecomer cannot benefit from the procedure, domain.md §1.1).
    """
    grouping = member.grouping
    allowed = user_has_role(user=actor, collectivity=member.collectivity, roles=(Role.BUYER, Role.COORDINATOR))
    allowed = allowed or user_has_role(user=actor, collectivity=grouping.coordinator, roles=(Role.COORDINATOR,))
    if not allowed:
        raise PermissionDenied("Vous ne pouvez pas modifier l'adhésion de ce membre.")
    if grouping.status != "draft":
        raise DomainError("La consultation est lancée : les adhésions sont verrouillées.")
    if status == GroupingMemberStatus.ACCEPTED and not (deliberation_reference and deliberation_date):
        raise DomainError(
            "Indiquez la référence et la date de la délibération d'adhésion.", field="deliberation_reference"
        )
    before = snapshot(member, ["status", "deliberation_reference", "deliberation_date"])
    member.status = status
    if deliberation_reference:
        member.deliberation_reference = deliberation_reference
    if deliberation_date:
        member.deliberation_date = deliberation_date
    member.withdrawn_at = timezone.now() if status == GroupingMemberStatus.WITHDRAWN else None
    try:
        member.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    member.save()
    if status == GroupingMemberStatus.WITHDRAWN:
        # A withdrawn member's needs leave the lots; totals are recomputed from what remains.
        from tenders.models import LotLine

        LotLine.objects.filter(lot__grouping=grouping, need_line__collectivity=member.collectivity).delete()
    audit_record(
        actor=actor,
        action="grouping.member_status",
        target=member,
        collectivity=grouping.coordinator,
        before=before,
        after=snapshot(member, ["status", "deliberation_reference", "deliberation_date"]),
    )
    return member


# Guards


def _require_writer(*, collectivity: Collectivity, actor: User) -> None:
    if not user_has_role(user=actor, collectivity=collectivity, roles=(Role.BUYER, Role.COORDINATOR)):
        raise PermissionDenied(f"Vous n'avez pas le droit de déclarer des besoins pour {collectivity.name}.")


def _require_campaign_coordinator(*, campaign: Campaign, actor: User) -> None:
    if not can_coordinate_campaign(user=actor, campaign=campaign):
        raise PermissionDenied("Seul le coordonnateur de la campagne peut faire cette opération.")


def _participation(*, campaign: Campaign, collectivity: Collectivity) -> CampaignParticipation:
    try:
        return CampaignParticipation.objects.get(campaign=campaign, collectivity=collectivity)
    except CampaignParticipation.DoesNotExist:
        raise DomainError(f"{collectivity.name} n'est pas invitée à la campagne « {campaign.title} ».") from None


def _require_open(*, campaign: Campaign, participation: CampaignParticipation) -> None:
    if not campaign.accepts_declarations():
        raise DomainError(
            f"La campagne « {campaign.title} » n'accepte pas de déclaration aujourd'hui "
            f"(ouverte du {campaign.opens_on:%d/%m/%Y} au {campaign.closes_on:%d/%m/%Y}, "
            f"statut : {campaign.get_status_display().lower()})."
        )
    if participation.status == ParticipationStatus.SUBMITTED:
        raise DomainError(
            "Votre déclaration a été transmise au coordonnateur : demandez-lui de la rouvrir pour la modifier."
        )
