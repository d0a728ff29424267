"""Reads behind the public demand pages, the vendor space, the open-data exports and the public API.

Public reads go through `published_publications()` only: superseded and withdrawn publications are as
unknown as missing ones. Filters read the frozen snapshot (`content.facets`), never live grouping data.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404

from procurement.models import Grouping, User
from tenders.models import Publication, Vendor

ORDERINGS = {
    "-published_at": (F("published_at").desc(), F("pk").desc()),
    "published_at": (F("published_at").asc(), F("pk").asc()),
    "expected_launch_date": (F("expected_launch_date").asc(nulls_last=True), F("published_at").desc()),
    "-expected_launch_date": (F("expected_launch_date").desc(nulls_last=True), F("published_at").desc()),
}
DEFAULT_ORDERING = "-published_at"


@dataclass(frozen=True)
class DemandFilters:
    q: str = ""
    family: str = ""
    territory: str = ""
    ordering: str = DEFAULT_ORDERING


def published_publications() -> QuerySet[Publication]:
    # Only model columns that are themselves public are read next to `content` (title, summary, dates).
    return Publication.objects.published().only(
        "pk", "title", "summary", "expected_launch_date", "published_at", "content", "status"
    )


def get_published_publication(*, pk: int) -> Publication:
    try:
        return published_publications().get(pk=pk)
    except (Publication.DoesNotExist, ValueError, TypeError):
        raise Http404("Publication introuvable.") from None


def filter_publications(qs: QuerySet[Publication], *, filters: DemandFilters) -> QuerySet[Publication]:
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    if filters.family:
        qs = qs.filter(content__facets__families__has_key=filters.family)
    if filters.territory:
        qs = qs.filter(content__facets__territories__has_key=filters.territory)
    return qs.order_by(*ORDERINGS.get(filters.ordering, ORDERINGS[DEFAULT_ORDERING]))


def demand_facets(qs: QuerySet[Publication] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Families and territories found in the published snapshots, as sorted (code, name) choices."""
    qs = published_publications() if qs is None else qs
    families: dict[str, str] = {}
    territories: dict[str, str] = {}
    for facets in qs.order_by().values_list("content__facets", flat=True):
        if isinstance(facets, dict):
            families.update(facets.get("families") or {})
            territories.update(facets.get("territories") or {})
    return {
        "families": sorted(families.items(), key=lambda kv: kv[1].lower()),
        "territories": sorted(territories.items(), key=lambda kv: kv[1].lower()),
    }


def publications_for_grouping(*, grouping: Grouping) -> QuerySet[Publication]:
    """Every publication of a grouping, newest first: for its coordinator and members (caller checks access)."""
    return grouping.publications.select_related("published_by").order_by("-published_at", "-pk")


def get_vendor_for(*, user: User) -> Vendor:
    """The vendor organisation of a user; 404 for anyone who belongs to none."""
    vendor = Vendor.objects.filter(users=user).order_by("name").first() if user.is_authenticated else None
    if vendor is None:
        raise Http404("Aucune organisation fournisseur n'est rattachée à ce compte.")
    return vendor
