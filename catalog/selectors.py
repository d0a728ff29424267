"""Catalog reads. The catalog and the CPV nomenclature are public: nothing here depends on who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from catalog import matching
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from procurement.models import Campaign, NeedLine, User
from procurement.selectors import (
    WRITER_ROLES,
    can_coordinate_campaign,
    collectivity_ids_for,
    need_lines_for,
    user_has_role,
)

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
    """Active items, optionally filtered by a search text and a family code, in a known order.

    The search keeps an item when its code, label, specifications, CPV code or global aliases contain every word
    (``search_filter``), or when its wordings use every word in any spelling the matching index knows, so that
    accents, plurals and typos still find it ("ecrans interactifs", "tablete").
    """
    qs = CatalogItem.objects.active().select_related("family", "cpv")
    if family:
        qs = qs.filter(family__code=family)
    search = (search or "").strip()[:200]
    if search:
        from catalog.services import get_index  # the index cache lives with the services that rebuild it

        spelt = matching.search_items(get_index(), search)
        qs = qs.filter(
            Q(id__in=CatalogItem.objects.active().filter(search_filter(search)).values("id")) | Q(id__in=spelt)
        )
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


# --- Review queue ---------------------------------------------------------------------------------------------------

REVIEW_STATUSES = ("review", "unmatched")


def review_lines_for(
    *,
    user: User,
    campaign: Campaign | None,
    statuses: tuple[str, ...] = REVIEW_STATUSES,
    family: str = "",
    min_score: float | None = None,
    max_score: float | None = None,
    search: str = "",
    collectivity_id: int | None = None,
    ordering: str = "",
) -> QuerySet[NeedLine]:
    """Need lines of a campaign that wait for a human look, as the user may see them.

    Buyers see their collectivités' lines, the campaign's coordinator sees all lines (``need_lines_for``).
    ``family`` filters on the family of the proposed item; the score range on ``match_score``; ``search`` on the
    wording (every word, case and accents aside); ``collectivity_id`` on the member. Ordered by ``ordering`` (a key of
    ``REVIEW_ORDERINGS``), by default by score, the most uncertain first. ``campaign`` None: every campaign the
    user sees.
    """
    qs = need_lines_for(user=user, campaign=campaign).filter(match_status__in=statuses)
    if family:
        qs = qs.filter(catalog_item__family__code=family)
    if min_score is not None:
        qs = qs.filter(match_score__gte=min_score)
    if max_score is not None:
        qs = qs.filter(match_score__lte=max_score)
    if collectivity_id is not None:
        qs = qs.filter(collectivity_id=collectivity_id)
    words = [_folded(word) for word in (search or "").split()[:10]]
    if words:
        # accents and case aside, in Python: SQLite's LIKE folds ASCII only, and a queue holds a few thousand lines
        ids = [pk for pk, text in qs.values_list("pk", "text") if all(w in _folded(text) for w in words)]
        qs = qs.filter(pk__in=ids)
    return qs.order_by(*REVIEW_ORDERINGS.get(ordering, REVIEW_ORDERINGS["score"]))


def _folded(text: str) -> str:
    return matching.strip_accents(text.casefold())


REVIEW_ORDERINGS = {
    "score": ("match_score", "pk"),
    "-score": ("-match_score", "pk"),
    "libelle": ("text", "pk"),
    "-libelle": ("-text", "-pk"),
    "membre": ("collectivity__name", "match_score", "pk"),
    "-membre": ("-collectivity__name", "match_score", "pk"),
    "quantite": ("quantity", "pk"),
    "-quantite": ("-quantity", "pk"),
}


def review_members(*, user: User, campaign: Campaign, statuses: tuple[str, ...]) -> QuerySet:
    """The collectivités that have lines in the user's review queue of the campaign, by name (member filter)."""
    from procurement.models import Collectivity

    ids = need_lines_for(user=user, campaign=campaign).filter(match_status__in=statuses).values("collectivity_id")
    return Collectivity.objects.filter(pk__in=ids).order_by("name").only("pk", "name")


def can_confirm_line(*, user: User, line: NeedLine) -> bool:
    """Buyers and coordinators of the line's collectivité, and the campaign's coordinator (viewers cannot)."""
    return user_has_role(user=user, collectivity=line.collectivity, roles=WRITER_ROLES) or can_coordinate_campaign(
        user=user, campaign=line.campaign
    )


def candidate_items(*, lines: list[NeedLine]) -> dict[int, CatalogItem]:
    """The catalog items named in the lines' stored candidates, by id (one query)."""
    ids = {c.get("item_id") for line in lines for c in (line.match_candidates or [])}
    return CatalogItem.objects.select_related("family").in_bulk({i for i in ids if isinstance(i, int)})


def confirmable_collectivity_ids(*, user: User, campaign: Campaign) -> set[int] | None:
    """Collectivités whose lines the user may confirm in this campaign; None means all (the coordinator)."""
    if can_coordinate_campaign(user=user, campaign=campaign):
        return None
    return set(collectivity_ids_for(user=user, roles=WRITER_ROLES))


def match_scope_for(*, user: User, wanted: int | None) -> int | None:
    """Whose learnt wordings count when ``user`` matches a free text: the collectivité asked for if the user
    belongs to it, else the user's only collectivité, else none (global catalog and aliases only). A wording
    taught by another collectivité is never used for someone outside it."""
    own = collectivity_ids_for(user=user)
    if wanted in own:
        return wanted
    return own[0] if len(own) == 1 else None


def learnt_aliases_for(*, user: User, search: str = "") -> QuerySet[CatalogAlias]:
    """The wordings the user's collectivités taught by confirming matches (every status), newest first;
    ``search`` keeps those whose wording or item label holds every word, case and accents aside."""
    qs = (
        CatalogAlias.objects.filter(collectivity_id__in=collectivity_ids_for(user=user))
        .select_related("item", "collectivity", "created_by")
        .order_by("-created_at", "-pk")
    )
    words = [_folded(word) for word in (search or "").split()[:10]]
    if words:
        ids = [
            pk
            for pk, text, label in qs.values_list("pk", "text", "item__label")
            if all(w in _folded(f"{text} {label}") for w in words)
        ]
        qs = qs.filter(pk__in=ids)
    return qs


def get_learnt_alias_for(*, user: User, pk: int) -> CatalogAlias:
    """A wording one of the user's collectivités taught; 404 for any other (a global alias, another's)."""
    return get_object_or_404(learnt_aliases_for(user=user), pk=pk)
