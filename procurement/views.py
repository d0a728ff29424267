"""Pages of the core domain. Views resolve objects through selectors (404 for foreign objects) and call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.models import Family
from procurement import selectors, services
from procurement.audit import ACTION_FAMILIES
from procurement.errors import DomainError
from procurement.forms import CampaignForm, GroupingCreateForm, MemberStatusForm, NeedLineEditForm, NeedLineForm
from procurement.models import (
    CampaignStatus,
    Collectivity,
    CollectivityKind,
    MatchStatus,
    NeedLine,
    ParticipationStatus,
    Role,
    Site,
)


def home(request):
    from tenders.models import Publication

    latest = Publication.objects.published().order_by("-published_at")[:3]
    return render(request, "home.html", {"latest_publications": latest})


def accessibility(request):
    return render(request, "accessibility.html")


def sources(request):
    return render(request, "sources.html")


def paginate(request, queryset, per_page: int = 50):
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def ordering(request, allowed: dict[str, str], default: str) -> tuple[str, str]:
    """Return (order_by expression, current key) from ?tri=key or ?tri=-key, among allowed keys only."""
    key = request.GET.get("tri", default)
    bare = key.lstrip("-")
    if bare not in allowed:
        key, bare = default, default.lstrip("-")
    prefix = "-" if key.startswith("-") else ""
    return prefix + allowed[bare], key


@login_required
def dashboard(request):
    user = request.user
    collectivities = list(selectors.collectivities_for(user=user))
    if not collectivities and user.vendors.exists():
        return redirect("tenders:vendor_home")
    roles = {m.collectivity_id: m.get_role_display() for m in user.memberships.all()}
    campaigns = selectors.campaigns_for(user=user).exclude(status=CampaignStatus.ARCHIVED).order_by("-opens_on")[:10]
    own_ids = [c.pk for c in collectivities]
    campaign_rows = []
    for campaign in campaigns:
        lines = campaign.need_lines.all()
        coordinates = selectors.can_coordinate_campaign(user=user, campaign=campaign)
        if not coordinates:
            lines = lines.filter(collectivity_id__in=own_ids)
        stats = lines.aggregate(n=Count("id"), review=Count("id", filter=Q(match_status=MatchStatus.REVIEW)))
        # where the declarations stand: the coordinator's count of transmitted ones, a member's own status
        participations = campaign.participations.select_related("collectivity")
        declarations = (
            participations.aggregate(
                total=Count("id"), submitted=Count("id", filter=Q(status=ParticipationStatus.SUBMITTED))
            )
            if coordinates
            else None
        )
        own = list(participations.filter(collectivity_id__in=own_ids)) if not coordinates else []
        campaign_rows.append({"campaign": campaign, "declarations": declarations, "own": own, **stats})
    groupings = selectors.groupings_for(user=user).order_by("-created_at")[:10]
    return render(
        request,
        "procurement/dashboard.html",
        {
            "nav": "dashboard",
            "collectivities": [(c, roles.get(c.pk)) for c in collectivities],
            "campaign_rows": campaign_rows,
            "groupings": groupings,
        },
    )


# Campaigns


@login_required
def campaign_list(request):
    campaigns = selectors.campaigns_for(user=request.user).annotate(participants=Count("participations", distinct=True))
    status = request.GET.get("statut", "")
    if status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    order, current = ordering(
        request, {"titre": "title", "ouverture": "opens_on", "cloture": "closes_on", "statut": "status"}, "-ouverture"
    )
    page, query = paginate(request, campaigns.order_by(order, "pk"), 25)
    can_create = selectors.collectivities_for(user=request.user, roles=(Role.COORDINATOR,)).exists()
    return render(
        request,
        "procurement/campaign_list.html",
        {
            "nav": "campaigns",
            "page": page,
            "query": query,
            "tri": current,
            "status": status,
            "statuses": CampaignStatus.choices,
            "can_create": can_create,
        },
    )


@login_required
def campaign_create(request):
    coordinators = selectors.collectivities_for(user=request.user, roles=(Role.COORDINATOR,))
    if not coordinators.exists():
        raise DjangoPermissionDenied("Seul un coordonnateur peut créer une campagne.")
    coordinator = coordinators.first()
    member_choices = Collectivity.objects.exclude(pk=coordinator.pk).filter(
        Q(departement=coordinator) | Q(region=coordinator) | Q(epci=coordinator) | Q(kind=CollectivityKind.EPCI)
    )
    form = CampaignForm(request.POST or None, member_choices=member_choices.order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                coordinator=coordinator,
                actor=request.user,
                title=form.cleaned_data["title"],
                scope=form.cleaned_data["scope"],
                opens_on=form.cleaned_data["opens_on"],
                closes_on=form.cleaned_data["closes_on"],
                members=form.cleaned_data["members"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Campagne créée en brouillon. Ouvrez-la quand les invitations sont prêtes.")
            return redirect("procurement:campaign_detail", pk=campaign.pk)
    return render(
        request, "procurement/campaign_form.html", {"nav": "campaigns", "form": form, "coordinator": coordinator}
    )


@login_required
def campaign_detail(request, pk: int):
    user = request.user
    campaign = selectors.get_campaign_for(user=user, pk=pk)
    is_coordinator = selectors.can_coordinate_campaign(user=user, campaign=campaign)
    lines = selectors.need_lines_for(user=user, campaign=campaign)

    filters = {
        "q": request.GET.get("q", "").strip(),
        "statut": request.GET.get("statut", ""),
        "famille": request.GET.get("famille", ""),
        "membre": request.GET.get("membre", ""),
    }
    if filters["q"]:
        lines = lines.filter(Q(text__icontains=filters["q"]) | Q(catalog_item__label__icontains=filters["q"]))
    if filters["statut"] in MatchStatus.values:
        lines = lines.filter(match_status=filters["statut"])
    if filters["famille"].isdigit():
        lines = lines.filter(catalog_item__family_id=int(filters["famille"]))
    if filters["membre"].isdigit():
        lines = lines.filter(collectivity_id=int(filters["membre"]))
    order, current = ordering(
        request,
        {
            "membre": "collectivity__name",
            "texte": "text",
            "quantite": "quantity",
            "score": "match_score",
            "valeur": "estimated_value_ht",
            "article": "catalog_item__label",
        },
        "membre",
    )
    totals = lines.aggregate(lines=Count("id"), quantity=Sum("quantity"), value=Sum("estimated_value_ht"))
    to_review = selectors.need_lines_for(user=user, campaign=campaign).filter(match_status=MatchStatus.REVIEW).count()
    page, query = paginate(request, lines.order_by(order, "pk"), 50)

    participations = selectors.participations_for(user=user, campaign=campaign).annotate(
        lines=Count("collectivity__need_lines", filter=Q(collectivity__need_lines__campaign=campaign))
    )
    own_ids = set(selectors.collectivity_ids_for(user=user))
    # The coordinator gets counts here and the full table on the progress page; members see their own row.
    status_counts = (
        {row["status"]: row["n"] for row in campaign.participations.values("status").annotate(n=Count("id"))}
        if is_coordinator
        else {}
    )
    declaring = selectors.declaring_collectivities_for(user=user, campaign=campaign)
    own_participations = [p for p in participations if p.collectivity_id in own_ids]
    context = {
        "nav": "campaigns",
        "campaign": campaign,
        "is_coordinator": is_coordinator,
        "page": page,
        "query": query,
        "tri": current,
        "filters": filters,
        "totals": totals,
        "to_review": to_review,
        "participations": own_participations,
        # One member's own lines need no "Membre" column; the coordinator and multi-collectivité users do.
        "show_member": is_coordinator or len(own_participations) > 1,
        "status_counts": status_counts,
        "participation_statuses": ParticipationStatus.choices,
        "can_declare": campaign.accepts_declarations() and declaring.exists(),
        "declaring": declaring,
        "match_statuses": MatchStatus.choices,
        "families": Family.objects.filter(items__need_lines__campaign=campaign).distinct(),
        "member_choices": [p.collectivity for p in participations] if is_coordinator else [],
        "family_totals": selectors.campaign_family_totals(campaign=campaign) if is_coordinator else [],
        "transitions": _campaign_transitions(campaign) if is_coordinator else [],
    }
    return render(request, "procurement/campaign_detail.html", context)


def _campaign_transitions(campaign):
    labels = {
        CampaignStatus.OPEN: "Ouvrir la campagne" if campaign.status == CampaignStatus.DRAFT else "Rouvrir la campagne",
        CampaignStatus.CLOSED: "Clôturer la campagne",
        CampaignStatus.ARCHIVED: "Archiver la campagne",
    }
    return [(status, labels[status]) for status in services.CAMPAIGN_TRANSITIONS[campaign.status]]


@login_required
@require_POST
def campaign_set_status(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    try:
        services.campaign_set_status(campaign=campaign, status=request.POST.get("status", ""), actor=request.user)
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Statut inconnu."))
    else:
        messages.success(request, "Le statut de la campagne a été mis à jour.")
    return redirect("procurement:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def participation_submit(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    collectivity = get_object_or_404(
        selectors.declaring_collectivities_for(user=request.user, campaign=campaign),
        pk=request.POST.get("collectivity"),
    )
    try:
        services.participation_submit(campaign=campaign, collectivity=collectivity, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"La déclaration de {collectivity.name} a été transmise au coordonnateur.")
    return redirect("procurement:campaign_detail", pk=campaign.pk)


# Need lines


@login_required
def need_line_create(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    declaring = selectors.declaring_collectivities_for(user=request.user, campaign=campaign)
    if not declaring.exists():
        raise DjangoPermissionDenied("Vous ne pouvez pas déclarer de besoin dans cette campagne.")
    sites = Site.objects.filter(competent_collectivity__in=declaring).order_by("kind", "name")
    form = NeedLineForm(request.POST or None, collectivities=declaring, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            line = services.need_line_create(
                campaign=campaign,
                collectivity=form.cleaned_data["collectivity"],
                actor=request.user,
                **form.service_kwargs(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _match_message(line))
            if "add_another" in request.POST:
                return redirect("procurement:need_line_create", pk=campaign.pk)
            return redirect("procurement:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "procurement/need_line_form.html",
        {"nav": "campaigns", "campaign": campaign, "form": form, "show_preview": True},
    )


def _match_message(line: NeedLine) -> str:
    if line.match_status in (MatchStatus.MATCHED, MatchStatus.CONFIRMED) and line.catalog_item:
        return f"Besoin enregistré et rapproché de « {line.catalog_item.label} » (score {line.match_score:.0f}/100)."
    if line.match_status == MatchStatus.REVIEW:
        return "Besoin enregistré. Le rapprochement avec le catalogue est incertain : il sera vérifié."
    return "Besoin enregistré. Aucun article du catalogue ne correspond : le coordonnateur le qualifiera."


@login_required
def need_line_edit(request, pk: int):
    line = selectors.get_need_line_for(user=request.user, pk=pk)
    if not selectors.user_has_role(user=request.user, collectivity=line.collectivity, roles=selectors.WRITER_ROLES):
        raise DjangoPermissionDenied("Seuls les acheteurs de la collectivité peuvent modifier ce besoin.")
    sites = Site.objects.filter(competent_collectivity=line.collectivity).order_by("kind", "name")
    form = NeedLineEditForm(request.POST or None, instance=NeedLine.objects.get(pk=line.pk), sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            services.need_line_update(line=line, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Besoin modifié.")
            return redirect("procurement:campaign_detail", pk=line.campaign_id)
    return render(
        request,
        "procurement/need_line_form.html",
        {"nav": "campaigns", "campaign": line.campaign, "form": form, "line": line, "show_preview": True},
    )


@login_required
def need_line_delete(request, pk: int):
    line = selectors.get_need_line_for(user=request.user, pk=pk)
    if not selectors.user_has_role(user=request.user, collectivity=line.collectivity, roles=selectors.WRITER_ROLES):
        raise DjangoPermissionDenied("Seuls les acheteurs de la collectivité peuvent supprimer ce besoin.")
    if request.method == "POST":
        try:
            services.need_line_delete(line=line, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Besoin supprimé.")
        return redirect("procurement:campaign_detail", pk=line.campaign_id)
    return render(request, "procurement/need_line_confirm_delete.html", {"nav": "campaigns", "line": line})


# Groupings


@login_required
def grouping_list(request):
    groupings = selectors.groupings_for(user=request.user).annotate(
        lots_count=Count("lots", distinct=True), members_count=Count("memberships", distinct=True)
    )
    order, current = ordering(
        request, {"reference": "reference", "titre": "title", "creation": "created_at", "statut": "status"}, "-creation"
    )
    page, query = paginate(request, groupings.order_by(order, "pk"), 25)
    return render(
        request, "procurement/grouping_list.html", {"nav": "groupings", "page": page, "query": query, "tri": current}
    )


@login_required
def grouping_create(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    if not selectors.can_coordinate_campaign(user=request.user, campaign=campaign):
        raise DjangoPermissionDenied("Seul le coordonnateur de la campagne peut former un groupement.")
    rows = selectors.campaign_family_totals(campaign=campaign)
    outside_rows = selectors.campaign_outside_catalog_totals(campaign=campaign)
    form = GroupingCreateForm(
        request.POST or None,
        family_rows=rows,
        outside_rows=outside_rows,
        initial={"title": f"Groupement de commandes — {campaign.title}"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grouping = services.grouping_create_from_campaign(
                campaign=campaign,
                actor=request.user,
                family_ids=[f.pk for f in data["families"]],
                title=data["title"],
                planned_launch_date=data["planned_launch_date"],
                duration_months=data["duration_months"],
                renewals=data["renewals"],
                split_by=data["split_by"],
                cpv_groups=data["cpv_groups"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Groupement {grouping.reference} formé : {grouping.lots.count()} lot(s).")
            return redirect("procurement:grouping_detail", pk=grouping.pk)
    return render(
        request,
        "procurement/grouping_form.html",
        {
            "nav": "groupings",
            "campaign": campaign,
            "form": form,
            "rows": rows or outside_rows,
            "without_cpv": selectors.campaign_outside_catalog_without_cpv(campaign=campaign),
        },
    )


@login_required
def grouping_detail(request, pk: int):
    from procurement.grouping_views import grouping_page_context
    from reports.selectors import documents_for
    from tenders.selectors import grouping_totals, totals_for_members
    from tenders.selectors_public import publications_for_grouping

    user = request.user
    grouping = selectors.get_grouping_for(user=user, pk=pk)
    can_manage = selectors.can_manage_grouping(user=user, grouping=grouping)
    visible = selectors.visible_member_ids(user=user, grouping=grouping)
    # Computed once: the cost-sharing breakdown needs every member's shares, the page only the visible ones.
    all_totals = grouping_totals(grouping=grouping)
    totals = totals_for_members(all_totals, visible)
    members = selectors.grouping_members(grouping=grouping)
    own_ids = set(selectors.collectivity_ids_for(user=user))
    context = {
        "nav": "groupings",
        "grouping": grouping,
        "can_manage": can_manage,
        "totals": totals,
        "members": members,
        "editable_member_ids": {m.pk for m in members if can_manage or m.collectivity_id in own_ids},
        "member_form": MemberStatusForm(),
        "procedure": _procedure_for(grouping, totals),
        "documents": documents_for(user=user, grouping=grouping),
        "publications": publications_for_grouping(grouping=grouping),
        **grouping_page_context(user=user, grouping=grouping, totals=all_totals),
    }
    return render(request, "procurement/grouping_detail.html", context)


def _procedure_for(grouping, totals):
    from procurement.grouping_rules import assess_grouping

    return assess_grouping(grouping=grouping, totals=totals)


# Audit trail


@login_required
def audit_log(request):
    events = selectors.audit_events_for(user=request.user)
    collectivity = request.GET.get("collectivite", "")
    if collectivity.isdigit():
        events = events.filter(collectivity_id=int(collectivity))
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page, query = paginate(request, events.order_by("-created_at", "-id"), 50)
    return render(
        request,
        "procurement/audit_log.html",
        {
            "nav": "audit",
            "page": page,
            "query": query,
            "collectivities": selectors.collectivities_for(user=request.user),
            "current_collectivity": collectivity,
            "action": action,
            "action_families": ACTION_FAMILIES,
        },
    )
