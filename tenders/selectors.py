"""Aggregated figures of a grouping's lots: per lot, per member and per delivery site.

Everything is computed in a few grouped queries, whatever the number of lines. Values are estimated from the
catalog's reference unit prices (quantity × reference price HT); a line without a catalog item (declared « hors
catalogue ») is valued at its buyer's budget; a line with neither counts for quantities but not for value, and is
reported as such.
"""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Case, CharField, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from procurement.models import Collectivity, Grouping, NeedLine, Site, line_value
from tenders.models import Lot, LotLine

ZERO = Decimal("0.00")
LINE_VALUE = line_value("need_line__")


def with_outside_wording(lot_lines: QuerySet[LotLine]) -> QuerySet[LotLine]:
    """Lot lines annotated with what names a line without a catalog item in a price schedule: its ``wording``
    (the buyer's text), ``wording_unit`` and ``wording_cpv``; empty for a line with an item, so that grouping by
    them keeps one row per item and gives one row per distinct need « hors catalogue »."""
    no_item = Q(need_line__catalog_item__isnull=True)
    text = CharField()
    return lot_lines.annotate(
        wording=Case(When(no_item, then=F("need_line__text")), default=Value(""), output_field=text),
        wording_unit=Case(When(no_item, then=F("need_line__unit")), default=Value(""), output_field=text),
        wording_cpv=Case(
            When(no_item & Q(need_line__cpv__isnull=False), then=F("need_line__cpv_id")),
            default=Value(""),
            output_field=text,
        ),
    )


def schedule_key(item_id: int | None, wording: str) -> int | str:
    """What makes a row of a lot's price schedule: its catalog item, else the wording of a need « hors catalogue »."""
    return item_id if item_id is not None else f"hors-catalogue:{wording}"


@dataclass
class Share:
    """One member's (or one site's) part of a lot."""

    collectivity_id: int
    collectivity_name: str
    quantity: int = 0
    value_ht: Decimal = ZERO
    lines: int = 0
    site_id: int | None = None
    site_name: str = ""
    site_uai: str = ""


@dataclass
class LotSummary:
    lot: Lot
    quantity: int = 0
    value_ht: Decimal = ZERO
    lines: int = 0
    unpriced_lines: int = 0
    members: list[Share] = field(default_factory=list)
    sites: list[Share] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def site_count(self) -> int:
        return len([s for s in self.sites if s.site_id is not None])


@dataclass
class GroupingTotals:
    lots: list[LotSummary]
    quantity: int
    value_ht: Decimal
    lines: int
    member_count: int
    site_count: int
    members: list[Share]


def lots_for_grouping(*, grouping: Grouping) -> QuerySet[Lot]:
    return grouping.lots.select_related("family", "cpv").order_by("number")


def lot_lines_for_grouping(*, grouping: Grouping) -> QuerySet[NeedLine]:
    return (
        NeedLine.objects.filter(lot_line__lot__grouping=grouping)
        .select_related("collectivity", "site", "catalog_item", "catalog_item__family", "lot_line__lot")
        .with_estimated_value()
        .order_by("lot_line__lot__number", "collectivity__name", "id")
    )


def grouping_totals(*, grouping: Grouping, collectivity_ids: set[int] | None = None) -> GroupingTotals:
    """Totals per lot, member and site. `collectivity_ids` restricts member/site detail to those members.

    Lot totals always cover every member: a member of a grouping sees the pooled totals, but only its own
    share in the detail.
    """
    lots = list(lots_for_grouping(grouping=grouping))
    summaries = {lot.pk: LotSummary(lot=lot) for lot in lots}
    base = LotLine.objects.filter(lot__grouping=grouping)
    value = Coalesce(Sum(LINE_VALUE), ZERO, output_field=DecimalField(max_digits=16, decimal_places=2))

    for row in base.values("lot_id").annotate(
        qty=Sum("need_line__quantity"),
        value=value,
        n=Count("id"),
        unpriced=Count("id", filter=Q(need_line__catalog_item__isnull=True, need_line__budget_ht__isnull=True)),
    ):
        summary = summaries[row["lot_id"]]
        summary.quantity, summary.value_ht, summary.lines = row["qty"] or 0, row["value"], row["n"]
        summary.unpriced_lines = row["unpriced"]

    names = dict(Collectivity.objects.filter(need_lines__lot_line__lot__grouping=grouping).values_list("id", "name"))
    for row in (
        base.values("lot_id", "need_line__collectivity_id")
        .annotate(qty=Sum("need_line__quantity"), value=value, n=Count("id"))
        .order_by("need_line__collectivity_id")
    ):
        cid = row["need_line__collectivity_id"]
        if collectivity_ids is None or cid in collectivity_ids:
            summaries[row["lot_id"]].members.append(
                Share(cid, names.get(cid, ""), row["qty"] or 0, row["value"], row["n"])
            )

    sites = {s.pk: s for s in Site.objects.filter(need_lines__lot_line__lot__grouping=grouping).distinct()}
    for row in base.values("lot_id", "need_line__collectivity_id", "need_line__site_id").annotate(
        qty=Sum("need_line__quantity"), value=value, n=Count("id")
    ):
        cid, sid = row["need_line__collectivity_id"], row["need_line__site_id"]
        if collectivity_ids is not None and cid not in collectivity_ids:
            continue
        site = sites.get(sid)
        summaries[row["lot_id"]].sites.append(
            Share(
                cid,
                names.get(cid, ""),
                row["qty"] or 0,
                row["value"],
                row["n"],
                site_id=sid,
                site_name=site.name if site else "",
                site_uai=site.uai if site else "",
            )
        )

    for row in (
        with_outside_wording(base)
        .values(
            "lot_id",
            "need_line__catalog_item_id",
            "need_line__catalog_item__label",
            "need_line__catalog_item__unit",
            "need_line__catalog_item__reference_unit_price_ht",
            "need_line__catalog_item__min_specs",
            "need_line__catalog_item__cpv_id",
            "wording",
            "wording_unit",
            "wording_cpv",
        )
        .annotate(qty=Sum("need_line__quantity"), value=value)
        .order_by("need_line__catalog_item__label", "wording")
    ):
        summaries[row["lot_id"]].items.append(
            {
                "item_id": row["need_line__catalog_item_id"],
                "key": schedule_key(row["need_line__catalog_item_id"], row["wording"]),
                "label": row["need_line__catalog_item__label"] or row["wording"],
                "unit": row["need_line__catalog_item__unit"] or row["wording_unit"],
                "unit_price_ht": row["need_line__catalog_item__reference_unit_price_ht"],
                "min_specs": row["need_line__catalog_item__min_specs"] or "",
                "cpv": row["need_line__catalog_item__cpv_id"] or row["wording_cpv"],
                "quantity": row["qty"] or 0,
                "value_ht": row["value"],
            }
        )

    for summary in summaries.values():
        summary.sites.sort(key=lambda s: (s.collectivity_name, s.site_name))
        summary.members.sort(key=lambda s: s.collectivity_name)

    member_totals: dict[int, Share] = {}
    for summary in summaries.values():
        for share in summary.members:
            total = member_totals.setdefault(
                share.collectivity_id, Share(share.collectivity_id, share.collectivity_name)
            )
            total.quantity += share.quantity
            total.value_ht += share.value_ht
            total.lines += share.lines

    ordered = [summaries[lot.pk] for lot in lots]
    return GroupingTotals(
        lots=ordered,
        quantity=sum(s.quantity for s in ordered),
        value_ht=sum((s.value_ht for s in ordered), ZERO),
        lines=sum(s.lines for s in ordered),
        member_count=len(set(names)),
        site_count=len(sites),
        members=sorted(member_totals.values(), key=lambda s: s.collectivity_name),
    )


def totals_for_members(totals: GroupingTotals, collectivity_ids: set[int] | None) -> GroupingTotals:
    """What `grouping_totals(grouping=..., collectivity_ids=...)` returns, derived from the full totals without
    a query: pooled lot and grouping totals stay, the member and site detail keeps only these collectivités
    (None: all, the coordinator). The full totals are left untouched for the cost-sharing breakdown."""
    if collectivity_ids is None:
        return totals

    def visible(shares: list[Share]) -> list[Share]:
        return [share for share in shares if share.collectivity_id in collectivity_ids]

    lots = [replace(summary, members=visible(summary.members), sites=visible(summary.sites)) for summary in totals.lots]
    return replace(totals, lots=lots, members=visible(totals.members))


def territory_of(collectivity: Collectivity) -> str:
    """The territory under which a member's needs are shown publicly: its département, else itself."""
    if collectivity.kind == "commune" and collectivity.departement_id:
        return collectivity.departement.name
    return collectivity.name


def territory_totals(*, grouping: Grouping) -> list[dict]:
    """Quantities per lot and territory (members' départements): what a public summary may show."""
    rows = (
        LotLine.objects.filter(lot__grouping=grouping)
        .values("lot__number", "lot__title", "need_line__collectivity_id")
        .annotate(quantity=Sum("need_line__quantity"))
    )
    members = Collectivity.objects.filter(need_lines__lot_line__lot__grouping=grouping).select_related("departement")
    territory = {c.pk: territory_of(c) for c in members.distinct()}
    totals: dict[tuple, dict] = {}
    for r in rows:
        key = (r["lot__number"], territory[r["need_line__collectivity_id"]])
        entry = totals.setdefault(
            key,
            {"lot_number": key[0], "lot_title": r["lot__title"], "territory": key[1], "quantity": 0, "members": set()},
        )
        entry["quantity"] += r["quantity"] or 0
        entry["members"].add(r["need_line__collectivity_id"])
    result = []
    for key in sorted(totals):
        entry = totals[key]
        result.append({**entry, "members": len(entry["members"])})
    return result
