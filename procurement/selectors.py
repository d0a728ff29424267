"""Reads that depend on who asks. Every queryset here is already scoped to the user's collectivités.

Single objects go through `get_<entity>_for(user=..., pk=...)`, which raises Http404 for missing and foreign
objects alike, so nobody learns what exists elsewhere.
"""

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from procurement.models import (
    AuditEvent,
    Campaign,
    CampaignParticipation,
    Collectivity,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    Membership,
    NeedLine,
    Role,
    Site,
    User,
)

WRITER_ROLES = (Role.BUYER, Role.COORDINATOR)


def collectivity_ids_for(*, user: User, roles: tuple[str, ...] | None = None) -> list[int]:
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return list(memberships.values_list("collectivity_id", flat=True))


def collectivities_for(*, user: User, roles: tuple[str, ...] | None = None) -> QuerySet[Collectivity]:
    return Collectivity.objects.filter(pk__in=collectivity_ids_for(user=user, roles=roles)).order_by("name")


def user_has_role(*, user: User, collectivity: Collectivity, roles: tuple[str, ...]) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, collectivity=collectivity, role__in=roles).exists()
    )


def sites_for_collectivity(*, collectivity: Collectivity) -> QuerySet[Site]:
    return Site.objects.filter(competent_collectivity=collectivity).order_by("kind", "name")


# Campaigns


def campaigns_for(*, user: User) -> QuerySet[Campaign]:
    ids = collectivity_ids_for(user=user)
    return (
        Campaign.objects.filter(Q(coordinator_id__in=ids) | Q(participations__collectivity_id__in=ids))
        .distinct()
        .select_related("coordinator")
    )


def get_campaign_for(*, user: User, pk: int) -> Campaign:
    try:
        return campaigns_for(user=user).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404("Campagne introuvable.") from None


def can_coordinate_campaign(*, user: User, campaign: Campaign) -> bool:
    return user_has_role(user=user, collectivity=campaign.coordinator, roles=(Role.COORDINATOR,))


def declaring_collectivities_for(*, user: User, campaign: Campaign) -> QuerySet[Collectivity]:
    """The user's collectivités that take part in the campaign and where the user may write needs."""
    return collectivities_for(user=user, roles=WRITER_ROLES).filter(participations__campaign=campaign)


def participations_for(*, user: User, campaign: Campaign) -> QuerySet[CampaignParticipation]:
    """All participations for the coordinator; only the user's own otherwise."""
    qs = campaign.participations.select_related("collectivity").order_by("collectivity__name")
    if can_coordinate_campaign(user=user, campaign=campaign):
        return qs
    return qs.filter(collectivity_id__in=collectivity_ids_for(user=user))


# Need lines


def need_lines_for(*, user: User, campaign: Campaign | None = None) -> QuerySet[NeedLine]:
    """Lines of the user's collectivités, plus every line of the campaigns their collectivité coordinates."""
    ids = collectivity_ids_for(user=user)
    qs = NeedLine.objects.filter(Q(collectivity_id__in=ids) | Q(campaign__coordinator_id__in=ids))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.select_related(
        "campaign", "collectivity", "site", "catalog_item", "catalog_item__family", "cpv"
    ).with_estimated_value()


def get_need_line_for(*, user: User, pk: int) -> NeedLine:
    try:
        return need_lines_for(user=user).get(pk=pk)
    except (NeedLine.DoesNotExist, ValueError, TypeError):
        raise Http404("Ligne de besoin introuvable.") from None


def campaign_family_totals(*, campaign: Campaign) -> list[dict]:
    """Matched lines not yet pooled, per catalog family: what a coordinator can turn into lots."""
    lines = (
        NeedLine.objects.filter(campaign=campaign, catalog_item__isnull=False, lot_line__isnull=True)
        .filter(match_status__in=["matched", "confirmed"])
        .with_estimated_value()
    )
    return list(
        lines.values("catalog_item__family_id", "catalog_item__family__name", "catalog_item__family__code")
        .annotate(
            lines=Count("id"),
            quantity=Sum("quantity"),
            value=Sum("estimated_value_ht"),
            members=Count("collectivity", distinct=True),
        )
        .order_by("catalog_item__family__position", "catalog_item__family__name")
    )


def campaign_outside_catalog_totals(*, campaign: Campaign) -> list[dict]:
    """Lines the buyers declared « hors catalogue » (confirmed, no item, a CPV code), not yet pooled, per 3-digit
    CPV group: {"group", "label", "lines", "quantity", "value" (their budgets), "members"}, by group code."""
    from catalog.models import CpvCode

    lines = NeedLine.objects.filter(campaign=campaign, cpv__isnull=False).outside_catalog_to_pool()
    rows = (
        lines.annotate(group=Substr("cpv_id", 1, 3))
        .values("group")
        .annotate(
            lines=Count("id"),
            quantity=Sum("quantity"),
            value=Sum("budget_ht"),
            members=Count("collectivity", distinct=True),
        )
        .order_by("group")
    )
    rows = list(rows)
    labels = dict(
        CpvCode.objects.filter(code__in=[row["group"].ljust(8, "0") for row in rows]).values_list("code", "label_fr")
    )
    # a group missing from the nomenclature table is named by its lines' commonest code, as its lot will be
    commonest: dict[str, tuple[int, str]] = {}
    for code, label, quantity in (
        lines.values_list("cpv_id", "cpv__label_fr").annotate(q=Sum("quantity")).order_by("cpv_id")
    ):
        if quantity > commonest.get(code[:3], (-1, ""))[0]:
            commonest[code[:3]] = (quantity, label)
    for row in rows:
        row["label"] = labels.get(row["group"].ljust(8, "0")) or commonest[row["group"]][1]
    return rows


def campaign_outside_catalog_without_cpv(*, campaign: Campaign) -> int:
    """Lines declared « hors catalogue » that no CPV code classifies: they cannot be pooled by group."""
    return NeedLine.objects.filter(campaign=campaign, cpv__isnull=True).outside_catalog_to_pool().count()


# Groupings


def groupings_for(*, user: User) -> QuerySet[Grouping]:
    ids = collectivity_ids_for(user=user)
    active_member = Q(memberships__collectivity_id__in=ids) & ~Q(memberships__status=GroupingMemberStatus.WITHDRAWN)
    return Grouping.objects.filter(Q(coordinator_id__in=ids) | active_member).distinct().select_related("coordinator")


def get_grouping_for(*, user: User, pk: int) -> Grouping:
    try:
        return groupings_for(user=user).get(pk=pk)
    except (Grouping.DoesNotExist, ValueError, TypeError):
        raise Http404("Groupement introuvable.") from None


def can_manage_grouping(*, user: User, grouping: Grouping) -> bool:
    return user_has_role(user=user, collectivity=grouping.coordinator, roles=(Role.COORDINATOR,))


def grouping_members(*, grouping: Grouping) -> QuerySet[GroupingMember]:
    return grouping.memberships.select_related("collectivity").order_by("collectivity__name")


def visible_member_ids(*, user: User, grouping: Grouping) -> set[int] | None:
    """Collectivités whose figures the user may see in a grouping: None means all (the coordinator)."""
    if can_manage_grouping(user=user, grouping=grouping):
        return None
    return set(collectivity_ids_for(user=user))


# Audit trail


def audit_events_for(*, user: User) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(collectivity_id__in=collectivity_ids_for(user=user)).select_related(
        "actor", "collectivity"
    )
