"""Groupements de commandes: formation from a campaign, lots, membership workflow."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    Campaign,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    MatchStatus,
    NeedLine,
    Role,
    User,
)
from procurement.selectors import can_coordinate_campaign, user_has_role


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
