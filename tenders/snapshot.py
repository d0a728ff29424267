"""The public snapshot of a grouping's demand: what a publication may show, and nothing else.

The snapshot is built by whitelisting fields from aggregated figures only (`grouping_totals`,
`territory_totals`): pooled quantities per lot, per catalog item and per territory, counts of members and
sites, and the members' names (public buyers in a groupement are public). It never carries a budget, a price,
a value, a per-member or per-site figure, a site name or UAI, the text of a need line, or anything from lines
outside the lots. Pages, the API, the feed, the exports and OCDS all read this dict, never live data.
"""

import datetime
from collections import Counter
from typing import Any

from django.utils.text import slugify

from catalog.models import CpvCode
from procurement.models import Collectivity, CollectivityKind, Grouping, GroupingMemberStatus, Unit
from tenders.selectors import grouping_totals, territory_totals

SNAPSHOT_SCHEMA = "mutualis.demande-agregee/1"
UNIT_LABELS = dict(Unit.choices)
KIND_LABELS = dict(CollectivityKind.choices)
MIN_MEMBERS_PER_TERRITORY = 2
OTHER_TERRITORIES = "Autres territoires"


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat() if value else None


def _cpv(code: CpvCode | None) -> dict | None:
    if code is None:
        return None
    return {"code": code.code, "display_code": code.display_code, "label": code.label_fr}


def _members(*, grouping: Grouping, pooled_ids: set[int]) -> list[Collectivity]:
    """Active members of the grouping, plus any collectivité whose lines sit in a lot."""
    active = grouping.memberships.exclude(status=GroupingMemberStatus.WITHDRAWN).values_list(
        "collectivity_id", flat=True
    )
    ids = set(active) | pooled_ids
    return list(Collectivity.objects.filter(pk__in=ids).order_by("name"))


def _items(summary, cpv_labels: dict[str, str]) -> list[dict]:
    items: list[dict] = []
    outside: dict[tuple[str, str], dict] = {}
    for item in summary.items:
        # Whitelist: label, classification, unit and pooled quantity. Prices and values stay out.
        unit = item["unit"] or ""
        cpv = item["cpv"] or ""
        row = {
            "label": item["label"],
            "cpv": cpv,
            "cpv_label": cpv_labels.get(cpv, ""),
            "unit": unit,
            "unit_label": str(UNIT_LABELS.get(unit, unit or "unités diverses")),
            "quantity": int(item["quantity"]),
        }
        if item["item_id"] is None:
            # A need « hors catalogue » is named by its buyer's own words, which are never published: its public row
            # is its CPV code, its quantities added up with the other needs of that code and unit.
            same = outside.get((cpv, unit))
            if same is not None:
                same["quantity"] += row["quantity"]
                continue
            row["label"] = (
                f"Besoin hors catalogue — {row['cpv_label']}" if row["cpv_label"] else "Besoin hors catalogue"
            )
            outside[(cpv, unit)] = row
        items.append(row)
    return items


def _territories(rows: list[dict]) -> dict[int, list[dict]]:
    """Per lot, quantities per territory. A territory with a single member would name that member next to
    its own quantity (an EPCI, a commune without département): such rows are pooled into one « Autres
    territoires » row, which is not offered as a filter."""
    per_lot: dict[int, list[dict]] = {}
    others: dict[int, dict] = {}
    for row in rows:
        if row["members"] < MIN_MEMBERS_PER_TERRITORY:
            other = others.setdefault(
                row["lot_number"], {"name": OTHER_TERRITORIES, "code": "", "quantity": 0, "members": 0}
            )
            other["quantity"] += int(row["quantity"])
            other["members"] += int(row["members"])
            continue
        per_lot.setdefault(row["lot_number"], []).append(
            {
                "name": row["territory"],
                "code": slugify(row["territory"]),
                "quantity": int(row["quantity"]),
                "members": int(row["members"]),
            }
        )
    for number, other in others.items():
        per_lot.setdefault(number, []).append(other)
    return per_lot


def _lots(*, grouping: Grouping) -> tuple[list[dict], int]:
    totals = grouping_totals(grouping=grouping)
    territories = _territories(territory_totals(grouping=grouping))
    codes = {item["cpv"] for s in totals.lots for item in s.items if item["cpv"]}
    cpv_labels = dict(CpvCode.objects.filter(code__in=codes).values_list("code", "label_fr"))
    lots = []
    for summary in totals.lots:
        if not summary.lines:
            continue  # an empty lot is not demand
        lot = summary.lot
        family = lot.family
        lots.append(
            {
                "number": lot.number,
                "title": lot.title,
                "family": {"code": family.code, "name": family.name} if family else None,
                "cpv": _cpv(lot.cpv or (family.cpv if family else None)),
                "quantity": int(summary.quantity),
                "sites": summary.site_count,
                "members": summary.member_count,
                "items": _items(summary, cpv_labels),
                "territories": territories.get(lot.number, []),
            }
        )
    return lots, totals.site_count


def build_snapshot(
    *,
    grouping: Grouping,
    title: str,
    summary: str,
    expected_launch_date: datetime.date | None,
    expected_delivery_start: datetime.date | None = None,
    expected_delivery_end: datetime.date | None = None,
    published_at: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The dict stored in `Publication.content`. Also used, unsaved, as the coordinator's preview."""
    lots, site_count = _lots(grouping=grouping)
    members = _members(grouping=grouping, pooled_ids=pooled_collectivity_ids(grouping=grouping))
    coordinator = grouping.coordinator
    families = {lot["family"]["code"]: lot["family"]["name"] for lot in lots if lot["family"]}
    territories = {t["code"]: t["name"] for lot in lots for t in lot["territories"] if t["code"]}
    return {
        "schema": SNAPSHOT_SCHEMA,
        "title": title,
        "summary": summary,
        "reference": grouping.reference,
        "nature": grouping.nature,
        "nature_label": str(grouping.get_nature_display()),
        "duration_months": grouping.duration_months,
        "renewals": grouping.renewals,
        "coordinator": {
            "name": coordinator.name,
            "kind": coordinator.kind,
            "kind_label": str(KIND_LABELS.get(coordinator.kind, "")),
        },
        "members": {
            "count": len(members),
            "by_kind": dict(sorted(Counter(m.kind for m in members).items())),
            "names": [m.name for m in members],
        },
        "timeline": {
            "published_at": _iso(published_at),
            "expected_launch_date": _iso(expected_launch_date),
            "expected_delivery_start": _iso(expected_delivery_start),
            "expected_delivery_end": _iso(expected_delivery_end),
        },
        "totals": {"lots": len(lots), "quantity": sum(lot["quantity"] for lot in lots), "sites": site_count},
        "lots": lots,
        # Filter keys: ASCII slugs, so that `has_key` lookups behave the same on SQLite and PostgreSQL.
        "facets": {"families": dict(sorted(families.items())), "territories": dict(sorted(territories.items()))},
    }


def pooled_collectivity_ids(*, grouping: Grouping) -> set[int]:
    return set(Collectivity.objects.filter(need_lines__lot_line__lot__grouping=grouping).values_list("pk", flat=True))
