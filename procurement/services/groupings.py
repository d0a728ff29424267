"""Groupements de commandes: formation from a campaign into lots (membership: services/membership.py)."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    Campaign,
    CollectivityKind,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    MatchStatus,
    NeedLine,
    User,
)
from procurement.selectors import can_coordinate_campaign

SPLIT_NONE = "none"
SPLIT_TERRITORY = "territory"
SPLIT_DELIVERY_WINDOW = "delivery_window"
SPLIT_CHOICES = (SPLIT_NONE, SPLIT_TERRITORY, SPLIT_DELIVERY_WINDOW)
UNDATED = "livraison non datée"


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
    split_by: str = SPLIT_NONE,
    cpv_groups: Iterable[str] = (),
) -> Grouping:
    """Form a groupement de commandes from the campaign's matched lines: one lot per catalog family.

    Only lines that are matched or confirmed, and not already in a lot, are pooled. Every collectivité with a
    pooled line becomes a member (invited until it records its deliberation).

    `cpv_groups` (3-digit CPV groups, "302") pools the lines the buyers declared « hors catalogue »: one lot per
    group of their CPV code, the lines valued at the buyer's budget (there is no reference price).

    `split_by` optionally divides each family's lot by territory (the member's EPCI, else its département) or by
    delivery window (quarter of the wished delivery date). The pooled value is unchanged: every lot still counts
    in the value that sets the procedure (R2121-1, R2121-4). Each lot line says why it sits in its lot.
    """
    from catalog.models import Family
    from tenders.models import Lot, LotLine

    if not can_coordinate_campaign(user=actor, campaign=campaign):
        raise PermissionDenied("Seul le coordonnateur de la campagne peut former un groupement.")
    if split_by not in SPLIT_CHOICES:
        raise DomainError(
            "Découpage inconnu : choisissez « none », « territory » ou « delivery_window ».", field="split_by"
        )
    families = list(Family.objects.filter(pk__in=list(family_ids)).order_by("position", "name"))
    groups = sorted({g for g in cpv_groups if len(g) == 3 and g.isdigit()})
    if not families and not groups:
        raise DomainError("Choisissez au moins une famille d'achat à regrouper.", field="families")
    lines = list(
        NeedLine.objects.select_for_update(of=("self",))
        .filter(campaign=campaign, catalog_item__family__in=families, lot_line__isnull=True)
        .filter(match_status__in=[MatchStatus.MATCHED, MatchStatus.CONFIRMED])
        .select_related(
            "catalog_item",
            "catalog_item__family",
            "catalog_item__cpv",
            "collectivity__epci",
            "collectivity__departement",
        )
        .order_by("id")
    )
    outside = _outside_catalog_lines(campaign, groups) if groups else []
    if not lines and not outside:
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
        nature=_nature_of(families, [line.cpv_id for line in outside]),
    )
    grouping.full_clean()
    grouping.save()

    by_family: dict[int, list[NeedLine]] = {}
    for line in lines:
        by_family.setdefault(line.catalog_item.family_id, []).append(line)
    lot_lines, number = [], 0
    for family in [f for f in families if f.pk in by_family]:
        for label, group_lines in _split(by_family[family.pk], split_by):
            number += 1
            lot = Lot.objects.create(
                grouping=grouping,
                number=number,
                title=f"{family.name} — {label}"[:200] if label else family.name,
                family=family,
                cpv_id=family.cpv_id or _most_common_cpv(group_lines),
                description=family.description,
            )
            lot_lines += [
                LotLine(lot=lot, need_line=line, reason=_pooling_reason(line, split_by)) for line in group_lines
            ]
    by_group: dict[str, list[NeedLine]] = {}
    for line in outside:
        by_group.setdefault(line.cpv_id[:3], []).append(line)
    for group in groups:
        if group not in by_group:
            continue
        code, label = _group_cpv(group, by_group[group])
        for suffix, group_lines in _split(by_group[group], split_by):
            number += 1
            title = f"Hors catalogue — {label}"
            lot = Lot.objects.create(
                grouping=grouping,
                number=number,
                title=f"{title} — {suffix}"[:200] if suffix else title[:200],
                cpv_id=code,
                description="Besoins déclarés hors catalogue par les acheteurs : à décrire dans le cahier des charges.",
            )
            lot_lines += [
                LotLine(lot=lot, need_line=line, reason=_pooling_reason(line, split_by)) for line in group_lines
            ]
    LotLine.objects.bulk_create(lot_lines)
    lines = [*lines, *outside]

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
        after={
            **snapshot(grouping),
            "lots": number,
            "lines": len(lines),
            "members": len(member_ids),
            "split_by": split_by,
        },
    )
    return grouping


def _outside_catalog_lines(campaign: Campaign, groups: list[str]) -> list[NeedLine]:
    """The campaign's lines declared « hors catalogue » (confirmed, no item, a CPV code), not yet in a lot, whose
    code is in one of the 3-digit CPV ``groups``."""
    in_groups = Q()
    for group in groups:
        in_groups |= Q(cpv__code__startswith=group)
    return list(
        NeedLine.objects.select_for_update(of=("self",))
        .filter(campaign=campaign, cpv__isnull=False)
        .outside_catalog_to_pool()
        .filter(in_groups)
        .select_related("cpv", "collectivity__epci", "collectivity__departement")
        .order_by("id")
    )


def _group_cpv(group: str, lines: list[NeedLine]) -> tuple[str, str]:
    """(code, label) of a lot of lines declared « hors catalogue »: the group's own code of the nomenclature
    ("30200000" for "302"), else the lines' commonest code."""
    from catalog.models import CpvCode

    own = CpvCode.objects.filter(code=group.ljust(8, "0")).first()
    if own is not None:
        return own.code, own.label_fr
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.cpv_id] = counts.get(line.cpv_id, 0) + line.quantity
    commonest = max(sorted(counts), key=counts.get)  # ties: the smallest code, as the campaign's form says
    return commonest, next(line.cpv.label_fr for line in lines if line.cpv_id == commonest)


def _nature_of(families, outside_cpvs: Iterable[str] = ()) -> str:
    from catalog.matching import code_kind

    kinds = {"supply": "supplies", "works": "works"}
    natures = {f.nature for f in families} | {kinds.get(code_kind(code), "services") for code in outside_cpvs}
    return natures.pop() if natures in ({"services"}, {"works"}) else "supplies"


def _most_common_cpv(lines: list[NeedLine]) -> str | None:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.catalog_item.cpv_id] = counts.get(line.catalog_item.cpv_id, 0) + line.quantity
    return max(counts, key=counts.get) if counts else None


def _territory(line: NeedLine) -> tuple[str, str]:
    """(label, why) of the territory a line is split into: the member's EPCI, else its département."""
    collectivity = line.collectivity
    if collectivity.kind == CollectivityKind.COMMUNE and collectivity.epci_id:
        return collectivity.epci.name, f"{collectivity.name} est membre de l'EPCI {collectivity.epci.name}"
    if collectivity.kind == CollectivityKind.COMMUNE and collectivity.departement_id:
        name = collectivity.departement.name
        return name, f"{collectivity.name} est située dans le département {name}"
    return collectivity.name, f"besoins propres de {collectivity.name}"


def _window(line: NeedLine) -> tuple[str, str]:
    """(label, why) of the delivery window of a line: the quarter of its wished delivery date."""
    when = line.wished_delivery_date
    if when is None:
        return UNDATED, "aucune date de livraison souhaitée"
    quarter = (when.month - 1) // 3 + 1
    return f"livraison T{quarter} {when.year}", f"livraison souhaitée le {when:%d/%m/%Y}"


def _window_order(label: str) -> tuple:
    if label == UNDATED:
        return (1, 0, 0)
    quarter, year = label.removeprefix("livraison T").split()
    return (0, int(year), int(quarter))


def _split(lines: list[NeedLine], split_by: str) -> list[tuple[str, list[NeedLine]]]:
    """The lines of one family, grouped into lots: [(label suffix, lines)], in a stable order."""
    if split_by == SPLIT_NONE:
        return [("", lines)]
    key = _territory if split_by == SPLIT_TERRITORY else _window
    groups: dict[str, list[NeedLine]] = {}
    for line in lines:
        groups.setdefault(key(line)[0], []).append(line)
    order = (lambda label: label.casefold()) if split_by == SPLIT_TERRITORY else _window_order
    return [(label, groups[label]) for label in sorted(groups, key=order)]


def _pooling_reason(line: NeedLine, split_by: str = SPLIT_NONE) -> str:
    item = line.catalog_item
    how = (
        "confirmé par l'acheteur" if line.match_status == MatchStatus.CONFIRMED else f"score {line.match_score:.0f}/100"
    )
    if item is None:
        reason = (
            f"Hors catalogue (déclaré par l'acheteur), groupe CPV {line.cpv_id[:3]} : code {line.cpv_id} "
            f"« {line.cpv.label_fr} »."
        )
    else:
        reason = (
            f"Famille « {item.family.name} » (groupe CPV {item.cpv_id[:3]}) : rapprochée de « {item.label} » ({how})."
        )
    if split_by == SPLIT_TERRITORY:
        label, why = _territory(line)
        reason = f"Territoire « {label} » ({why}). " + reason
    elif split_by == SPLIT_DELIVERY_WINDOW:
        label, why = _window(line)
        reason = f"Fenêtre « {label} » ({why}). " + reason
    return reason[:300]
