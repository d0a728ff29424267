"""The data every document of a grouping is built from: one dict, computed once per generation.

Aggregates come from `tenders.selectors.grouping_totals` (never recomputed here); this module only arranges
them for the templates and the spreadsheet.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import CpvCode
from procurement.models import Grouping, GroupingMember, GroupingMemberStatus, Unit
from procurement.selectors import grouping_members
from reports.selectors import SiteItemRow, site_item_rows
from tenders.selectors import LotSummary, grouping_totals

UNIT_LABELS = dict(Unit.choices)


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit or "unité"))


@dataclass
class LotDocument:
    """One lot as the documents show it."""

    summary: LotSummary
    number: int
    title: str
    description: str
    cpv_code: str
    cpv_label: str
    items: list[dict]
    members: list[dict]
    sites: list[Any]
    site_rows: list[SiteItemRow] = field(default_factory=list)

    @property
    def site_count(self) -> int:
        return self.summary.site_count

    @property
    def quantity(self) -> int:
        return self.summary.quantity

    @property
    def value_ht(self) -> Decimal:
        return self.summary.value_ht

    @property
    def unpriced_lines(self) -> int:
        return self.summary.unpriced_lines


def _lot_document(
    summary: LotSummary, sirens: dict[int, str], rows: list[SiteItemRow], cpv_codes: dict[str, str]
) -> LotDocument:
    lot = summary.lot
    cpv = lot.cpv or (lot.family.cpv if lot.family_id and lot.family.cpv_id else None)
    items = [
        {**item, "unit_label": unit_label(item["unit"]), "cpv_display": cpv_codes.get(item["cpv"], item["cpv"])}
        for item in summary.items
    ]
    members = [
        {"name": s.collectivity_name, "siren": sirens.get(s.collectivity_id, ""), "quantity": s.quantity}
        for s in summary.members
    ]
    return LotDocument(
        summary=summary,
        number=lot.number,
        title=lot.title,
        description=lot.description,
        cpv_code=cpv.display_code if cpv else "",
        cpv_label=cpv.label_fr if cpv else "",
        items=items,
        members=members,
        sites=summary.sites,
        site_rows=[r for r in rows if r.lot_number == lot.number],
    )


def active_members(*, grouping: Grouping) -> list[GroupingMember]:
    return list(grouping_members(grouping=grouping).exclude(status=GroupingMemberStatus.WITHDRAWN))


def document_context(*, grouping: Grouping) -> dict[str, Any]:
    """Everything the specification, the tender summary and the price schedule need.

    `procedure` is the procedure assessment of the pooled total (None when it cannot be evaluated, e.g. no
    lot or a launch date beyond the known thresholds); templates show that section only when present.
    """
    totals = grouping_totals(grouping=grouping)
    members = active_members(grouping=grouping)
    sirens = {m.collectivity_id: m.collectivity.siren or "" for m in members}
    sirens.setdefault(grouping.coordinator_id, grouping.coordinator.siren or "")
    rows = site_item_rows(grouping=grouping)
    cpv_ids = {item["cpv"] for summary in totals.lots for item in summary.items if item["cpv"]}
    cpv_codes = {c.code: c.display_code for c in CpvCode.objects.filter(code__in=cpv_ids)}
    lots = [_lot_document(summary, sirens, rows, cpv_codes) for summary in totals.lots]
    total_months = grouping.duration_months * (1 + grouping.renewals)
    return {
        "grouping": grouping,
        "reference": grouping.reference,
        "title": grouping.title,
        "nature_label": grouping.get_nature_display(),
        "coordinator": grouping.coordinator,
        "campaign": grouping.campaign,
        "members": members,
        "sirens": sirens,
        "totals": totals,
        "lots": lots,
        "site_rows": rows,
        "duration_months": grouping.duration_months,
        "renewals": grouping.renewals,
        "total_duration_months": total_months,
        "planned_launch_date": grouping.planned_launch_date,
        "generated_on": timezone.localdate(),
        "generated_at": timezone.localtime(),
        "procedure": _procedure(grouping, totals),
    }


def _procedure(grouping: Grouping, totals):
    from procurement.grouping_rules import assess_grouping

    assessment = assess_grouping(grouping=grouping, totals=totals)
    return assessment if assessment.result else None
