"""Pages of the needs census follow-up and of the Excel round trip: completeness, reminders, reopening, the
template, the export, and the import (upload → preview → confirmation → progress)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from procurement import selectors, services
from procurement.errors import DomainError
from procurement.excel import CONTENT_TYPE, needs_export_xlsx, needs_template_xlsx
from procurement.imports import issue_text
from procurement.imports.forms import NeedsImportForm
from procurement.imports.selectors import get_import_job_for, import_jobs_for
from procurement.models import Campaign, Collectivity, ParticipationStatus
from procurement.services.imports import async_threshold
from procurement.services.reminders import reminder_recipients


def _coordinated_campaign(request, pk: int) -> Campaign:
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    if not selectors.can_coordinate_campaign(user=request.user, campaign=campaign):
        raise DjangoPermissionDenied("Seul le coordonnateur de la campagne peut suivre l'avancement des membres.")
    return campaign


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# Completeness, reminders, reopening


@login_required
@require_GET
def campaign_progress(request, pk: int):
    campaign = _coordinated_campaign(request, pk)
    rows = services.campaign_progress(campaign=campaign)
    totals = {
        "members": len(rows),
        "submitted": sum(1 for r in rows if r.participation.status == ParticipationStatus.SUBMITTED),
        "started": sum(1 for r in rows if r.participation.status == ParticipationStatus.STARTED),
        "invited": sum(1 for r in rows if r.participation.status == ParticipationStatus.INVITED),
        "lines": sum(r.lines for r in rows),
        "value": sum((r.estimated_value_ht for r in rows), 0),
    }
    return render(
        request,
        "procurement/campaign_progress.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "rows": rows,
            "totals": totals,
            "to_remind": len(reminder_recipients(campaign=campaign)),
        },
    )


@login_required
@require_POST
def participation_reopen(request, pk: int):
    campaign = _coordinated_campaign(request, pk)
    participation = get_object_or_404(campaign.participations, collectivity_id=request.POST.get("collectivity"))
    try:
        services.participation_reopen(campaign=campaign, collectivity=participation.collectivity, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"La déclaration de {participation.collectivity.name} est rouverte : le membre peut la corriger."
        )
    return redirect("procurement:campaign_progress", pk=campaign.pk)


@login_required
@require_POST
def campaign_remind(request, pk: int):
    campaign = _coordinated_campaign(request, pk)
    try:
        count = services.campaign_send_reminders(campaign=campaign, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if count:
            messages.success(
                request, f"{count} membre{'s' if count > 1 else ''} relancé{'s' if count > 1 else ''} par courriel."
            )
        else:
            messages.info(
                request,
                "Aucune relance envoyée : tous les membres ont transmis leur déclaration, ont déjà été relancés "
                "aujourd'hui, ou la campagne n'est pas ouverte à la saisie.",
            )
    return redirect("procurement:campaign_progress", pk=campaign.pk)


# Template and export


def _template_collectivities(request, campaign: Campaign):
    """A member's own collectivités; every member for the coordinator (who sends the templates around)."""
    if selectors.can_coordinate_campaign(user=request.user, campaign=campaign):
        return Collectivity.objects.filter(participations__campaign=campaign).order_by("name")
    return selectors.declaring_collectivities_for(user=request.user, campaign=campaign)


@login_required
@require_GET
def campaign_template(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    choices = _template_collectivities(request, campaign)
    wanted = request.GET.get("collectivite", "")
    if wanted:
        collectivity = get_object_or_404(choices, pk=wanted if wanted.isdigit() else 0)
    elif choices.count() == 1:
        collectivity = choices.get()
    else:
        raise Http404("Précisez la collectivité (?collectivite=…).")
    content = needs_template_xlsx(campaign=campaign, collectivity=collectivity)
    name = f"modele-besoins-{slugify(campaign.title)[:40]}-{slugify(collectivity.name)[:40]}.xlsx"
    return _xlsx(content, name)


@login_required
@require_GET
def campaign_export(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    lines = selectors.need_lines_for(user=request.user, campaign=campaign).order_by("collectivity__name", "pk")
    is_coordinator = selectors.can_coordinate_campaign(user=request.user, campaign=campaign)
    declaring = list(selectors.declaring_collectivities_for(user=request.user, campaign=campaign))
    collectivity = declaring[0] if len(declaring) == 1 and not is_coordinator else None
    content = needs_export_xlsx(campaign=campaign, lines=lines, collectivity=collectivity)
    who = slugify(collectivity.name)[:40] if collectivity else "tous-les-membres"
    return _xlsx(content, f"besoins-{slugify(campaign.title)[:40]}-{who}.xlsx")


# Import


@login_required
def campaign_import(request, pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    declaring = selectors.declaring_collectivities_for(user=request.user, campaign=campaign)
    if not declaring.exists():
        raise DjangoPermissionDenied("Vous ne déclarez de besoins pour aucune collectivité membre de cette campagne.")
    form = NeedsImportForm(request.POST or None, request.FILES or None, collectivities=declaring)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.needs_import_start(
                campaign=campaign,
                collectivity=form.cleaned_data["collectivity"],
                actor=request.user,
                filename=upload.name,
                content=upload.read(),
            )
        except DomainError as exc:
            form.add_error("file" if exc.code == "invalid_file" else None, exc.message)
        else:
            return redirect("procurement:campaign_import_detail", pk=campaign.pk, job_pk=job.pk)
    return render(
        request,
        "procurement/imports/upload.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "form": form,
            "declaring": declaring,
            "jobs": import_jobs_for(user=request.user, campaign=campaign)[:10],
            "accepts": campaign.accepts_declarations(),
        },
    )


def _job_context(request, campaign, job) -> dict:
    return {
        "nav": "campaigns",
        "campaign": campaign,
        "job": job,
        "errors": [issue_text(issue) for issue in job.errors],
        "more_errors": max(0, job.counts.get("errors", 0) - len(job.errors)),
        "large": job.rows > async_threshold(),
    }


@login_required
@require_GET
def campaign_import_detail(request, pk: int, job_pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    job = get_import_job_for(user=request.user, campaign=campaign, pk=job_pk)
    return render(request, "procurement/imports/detail.html", _job_context(request, campaign, job))


@never_cache
@login_required
@require_GET
def campaign_import_status(request, pk: int, job_pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    job = get_import_job_for(user=request.user, campaign=campaign, pk=job_pk)
    return render(request, "procurement/imports/_job_panel.html", _job_context(request, campaign, job))


@login_required
@require_POST
def campaign_import_confirm(request, pk: int, job_pk: int):
    campaign = selectors.get_campaign_for(user=request.user, pk=pk)
    job = get_import_job_for(user=request.user, campaign=campaign, pk=job_pk)
    try:
        job = services.needs_import_confirm(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == "done":
            created, updated = job.counts.get("create", 0), job.counts.get("update", 0)
            messages.success(request, f"Import terminé : {created} ligne(s) créée(s), {updated} mise(s) à jour.")
    return redirect("procurement:campaign_import_detail", pk=campaign.pk, job_pk=job.pk)
