"""Catalog reads. The catalog and the CPV nomenclature are public: nothing here depends on who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from catalog import matching
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family

ITEM_ORDERINGS = {
    "libelle": ("label", "code"),
    "-libelle": ("-label", "-code"),
    "prix": ("reference_unit_price_ht", "label"),
    "-prix": ("-reference_unit_price_ht", "label"),
}


def families() -> QuerySet[Family]:
    return Family.objects.select_related("cpv").order_by("position", "name")


def search_filter(search: str) -> Q:
    """Items whose code, label, specs, CPV code or accepted global alias contain every word of ``search``."""
    condition = Q()
    for word in search.split()[:10]:
        normalized = matching.normalise(word)
        word_q = (
            Q(label__icontains=word)
            | Q(code__icontains=word)
            | Q(min_specs__icontains=word)
            | Q(cpv__code__startswith=word.split("-")[0])
        )
        if normalized:
            word_q |= Q(
                aliases__normalized__icontains=normalized,
                aliases__collectivity__isnull=True,
                aliases__status=AliasStatus.ACCEPTED,
            )
        condition &= word_q
    return condition


def catalog_items(*, search: str = "", family: str = "", ordering: str = "") -> QuerySet[CatalogItem]:
    """Active items, optionally filtered by a search text and a family code, in a known order."""
    qs = CatalogItem.objects.active().select_related("family", "cpv")
    if family:
        qs = qs.filter(family__code=family)
    search = (search or "").strip()[:200]
    if search:
        ids = CatalogItem.objects.active().filter(search_filter(search)).values("id")
        qs = qs.filter(id__in=ids)
    return qs.order_by(*ITEM_ORDERINGS.get(ordering, ("family__position", "label")))


def get_catalog_item(*, code: str) -> CatalogItem:
    """An active item by code; 404 when missing or inactive."""
    return get_object_or_404(CatalogItem.objects.active().select_related("family", "cpv"), code=code)


def global_aliases(*, item: CatalogItem) -> QuerySet[CatalogAlias]:
    return item.aliases.filter(collectivity__isnull=True, status=AliasStatus.ACCEPTED).order_by("text")


def cpv_codes(*, search: str = "") -> QuerySet[CpvCode]:
    """CPV codes whose code starts with, or whose French or English label contains, the search text."""
    qs = CpvCode.objects.all().order_by("code")
    search = (search or "").strip()[:200]
    if not search:
        return qs
    digits = search.replace("-", "").replace(" ", "")
    if digits.isdigit():
        return qs.filter(code__startswith=digits[:8])
    condition = Q()
    for word in search.split()[:10]:
        condition &= Q(label_fr__icontains=word) | Q(label_en__icontains=word)
    return qs.filter(condition)
