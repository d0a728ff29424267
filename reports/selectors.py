"""Reads of generated documents, scoped to who asks, and the detail rows the documents need."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.http import Http404

from procurement.models import Grouping, User
from procurement.selectors import groupings_for
from reports.models import GeneratedDocument
from tenders.models import LotLine
from tenders.selectors import schedule_key, with_outside_wording


def documents_for(*, user: User, grouping: Grouping) -> QuerySet[GeneratedDocument]:
    """The grouping's documents, for its coordinator and active members; nothing for anyone else."""
    if not groupings_for(user=user).filter(pk=grouping.pk).exists():
        return GeneratedDocument.objects.none()
    return grouping.documents.select_related("requested_by").order_by("-created_at", "-id")


def get_document_for(*, user: User, pk: int) -> GeneratedDocument:
    """One document; Http404 when missing or when the user is neither coordinator nor active member."""
    visible = groupings_for(user=user).values("pk")
    try:
        return GeneratedDocument.objects.select_related("grouping", "grouping__coordinator").get(
            pk=pk, grouping_id__in=visible
        )
    except (GeneratedDocument.DoesNotExist, ValueError, TypeError):
        raise Http404("Document introuvable.") from None


@dataclass(frozen=True)
class SiteItemRow:
    """Quantity of one catalog item for one member and delivery site within a lot."""

    lot_number: int
    collectivity_id: int
    collectivity_name: str
    site_uai: str
    site_name: str
    item_id: int | None
    key: int | str  # the price schedule row: the item, else the wording of a need « hors catalogue »
    item_label: str
    unit: str
    quantity: int


def site_item_rows(*, grouping: Grouping) -> list[SiteItemRow]:
    """Quantities per lot × member × site × item: the finest split of the price schedule.

    `tenders.selectors.grouping_totals` stops at lot × member × site and lot × item; the per-site DQE needs the
    item too, hence this one grouped query.
    """
    rows = (
        with_outside_wording(LotLine.objects.filter(lot__grouping=grouping))
        .values(
            "lot__number",
            "need_line__collectivity_id",
            "need_line__collectivity__name",
            "need_line__site__uai",
            "need_line__site__name",
            "need_line__catalog_item_id",
            "need_line__catalog_item__label",
            "need_line__catalog_item__unit",
            "wording",
            "wording_unit",
        )
        .annotate(quantity=Sum("need_line__quantity"))
        .order_by(
            "lot__number",
            "need_line__collectivity__name",
            "need_line__site__name",
            "need_line__catalog_item__label",
            "wording",
        )
    )
    return [
        SiteItemRow(
            lot_number=r["lot__number"],
            collectivity_id=r["need_line__collectivity_id"],
            collectivity_name=r["need_line__collectivity__name"],
            site_uai=r["need_line__site__uai"] or "",
            site_name=r["need_line__site__name"] or "",
            item_id=r["need_line__catalog_item_id"],
            key=schedule_key(r["need_line__catalog_item_id"], r["wording"]),
            item_label=r["need_line__catalog_item__label"] or r["wording"],
            unit=r["need_line__catalog_item__unit"] or r["wording_unit"],
            quantity=r["quantity"] or 0,
        )
        for r in rows
    ]
