"""Catalog pages: the public list and detail, and the review queue of need lines waiting for a human look."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import matching, selectors, services
from catalog.models import AliasStatus, CatalogItem, RematchJob, RematchStatus
from catalog.textnorm import extract_quantity
from procurement.errors import DomainError, PermissionDenied
from procurement.models import Campaign, MatchStatus, NeedLine
from procurement.selectors import (
    WRITER_ROLES,
    collectivity_ids_for,
    get_campaign_for,
    get_need_line_for,
    need_lines_for,
)

PAGE_SIZE = 50
REMATCH_DONE_FOR = timedelta(minutes=10)  # a finished rematch stays on the review queue this long
REVIEW_PAGE_SIZE = 25
REVIEW_STATUS_CHOICES = {
    "review": ("review",),
    "unmatched": ("unmatched",),
    "tous": ("review", "unmatched"),
    "confirmees": ("confirmed",),  # decided by a person: to correct a confirmation made by mistake
}


def item_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    family = request.GET.get("famille", "").strip()[:50]
    ordering = request.GET.get("tri", "")
    if ordering not in selectors.ITEM_ORDERINGS:
        ordering = ""
    items = selectors.catalog_items(search=search, family=family, ordering=ordering)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "families": selectors.families(),
        "search": search,
        "family": family,
        "tri": ordering or "score",
        "query": query.urlencode(),
        "nav": "catalog",
    }
    return render(request, "catalog/item_list.html", context)


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.get_catalog_item(code=code)
    context = {"item": item, "aliases": selectors.global_aliases(item=item), "nav": "catalog"}
    return render(request, "catalog/item_detail.html", context)


# --- Live preview of a wording's match -----------------------------------------------------------------------------


@login_required
def match_preview(request: HttpRequest) -> HttpResponse:
    """What a wording will be matched to, shown under the need line form as the buyer types (htmx fragment).

    Nothing is saved. The collectivité's learnt wordings count only when the user belongs to it; otherwise, and
    without one, only the global catalog and aliases are used (a wording taught by another collectivité is never
    revealed).
    """
    text = request.GET.get("text", "").strip()[:1000]
    wanted = request.GET.get("collectivity", "")
    scope = selectors.match_scope_for(user=request.user, wanted=int(wanted) if wanted.isdigit() else None)
    context = {"text": text}
    if text:
        result = services.match_text(text=text, collectivity_id=scope)
        item = (
            CatalogItem.objects.select_related("family").filter(pk=result.item_id).first() if result.item_id else None
        )
        context.update(result=result, item=item, quantity=extract_quantity(text)[0])
    return render(request, "catalog/_match_preview.html", context)


# --- Review queue -------------------------------------------------------------------------------------------------


def _score(value: str) -> float | None:
    try:
        return max(0.0, min(100.0, float(value.replace(",", "."))))
    except (AttributeError, ValueError):
        return None


def _decorate(lines: list[NeedLine], confirmable: set[int] | None) -> list[NeedLine]:
    """Attach to each line its candidates as catalog items and whether the user may confirm it."""
    items = selectors.candidate_items(lines=lines)
    # a line « hors catalogue » joins the lot of its CPV code, until it is pooled: its code may still be chosen
    outside = set(
        NeedLine.objects.filter(pk__in=[line.pk for line in lines])
        .outside_catalog_to_pool()
        .values_list("pk", flat=True)
    )
    index = None
    for line in lines:
        line.review_candidates = [
            (items[c["item_id"]], c.get("score"))
            for c in (line.match_candidates or [])
            if c.get("item_id") in items and items[c["item_id"]].is_active
        ]
        line.can_confirm = confirmable is None or line.collectivity_id in confirmable
        line.cpv_settable = line.can_confirm and line.pk in outside
        line.cpv_choices = []
        if line.cpv_settable:
            index = index or services.get_index()
            line.cpv_choices = matching.cpv_suggestions(index, line.text)
    return lines


@login_required
def review_queue(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign's lines to check, with filters by status, family of the proposed item and score range."""
    campaign = get_campaign_for(user=request.user, pk=pk)
    status = request.GET.get("statut", "review")
    status = status if status in REVIEW_STATUS_CHOICES else "review"
    family = request.GET.get("famille", "").strip()[:50]
    min_score = _score(request.GET.get("score_min", ""))
    max_score = _score(request.GET.get("score_max", ""))
    search = request.GET.get("q", "").strip()[:200]
    members = selectors.review_members(user=request.user, campaign=campaign, statuses=REVIEW_STATUS_CHOICES[status])
    member = request.GET.get("membre", "")
    member_id = int(member) if member.isdigit() and any(m.pk == int(member) for m in members) else None
    ordering = request.GET.get("tri", "")
    ordering = ordering if ordering in selectors.REVIEW_ORDERINGS else ""
    lines = selectors.review_lines_for(
        user=request.user,
        campaign=campaign,
        statuses=REVIEW_STATUS_CHOICES[status],
        family=family,
        min_score=min_score,
        max_score=max_score,
        search=search,
        collectivity_id=member_id,
        ordering=ordering,
    )
    page = Paginator(lines, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    confirmable = selectors.confirmable_collectivity_ids(user=request.user, campaign=campaign)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "campaign": campaign,
        "page": page,
        "lines": _decorate(list(page.object_list), confirmable),
        "families": selectors.families(),
        "family": family,
        "status": status,
        "min_score": "" if min_score is None else f"{min_score:g}",
        "max_score": "" if max_score is None else f"{max_score:g}",
        "search": search,
        "members": members if len(members) > 1 or member_id else (),
        "member_id": member_id,
        "tri": ordering or "score",
        "query": query.urlencode(),
        "items": CatalogItem.objects.active().order_by("label").only("code", "label"),
        "can_confirm_any": confirmable is None or bool(confirmable),
        **_rematch_context(request, campaign),
        # the default view lists lines to review: the unrecognised ones, waiting too, are announced
        "unrecognised": (
            selectors.review_lines_for(user=request.user, campaign=campaign, statuses=("unmatched",)).count()
            if status == "review"
            else 0
        ),
        "nav": "campaigns",
    }
    return render(request, "catalog/review_queue.html", context)


@login_required
@require_POST
def review_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a line's match with the posted item code (a candidate or any item found with the search box).

    htmx requests get the line's row back; plain posts are redirected to the queue.
    """
    line = get_need_line_for(user=request.user, pk=pk)
    code = request.POST.get("item", "").strip()[:80]
    item = CatalogItem.objects.active().filter(code=code).first()
    error = ""
    same_wording = []
    try:
        if item is None:
            raise DomainError(_("Choisissez un article du catalogue (code inconnu : « %(code)s »).") % {"code": code})
        confirmed = services.need_line_confirm_match(need_line=line, item=item, actor=request.user)
        same_wording = confirmed.same_wording_matched
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        error = exc.message
    if not request.htmx or same_wording:
        # other rows of the queue changed too: the whole page is shown again, with the message
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _confirmed_message(item, len(same_wording)))
        if request.htmx:
            return HttpResponse(headers={"HX-Refresh": "true"})
        return redirect("catalog:review_queue", pk=line.campaign_id)
    return _review_row(request, pk, error)


@login_required
@require_POST
def review_outside_catalog(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare that no catalog item fits the line. htmx requests get the row back; plain posts go to the queue."""
    line = get_need_line_for(user=request.user, pk=pk)
    error = ""
    try:
        services.need_line_confirm_outside_catalog(need_line=line, actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        error = exc.message
    success = _("« %(text)s » est déclarée hors catalogue.") % {"text": line.text[:80]}
    return _decided(request, line, error, success, reverse("catalog:review_queue", args=[line.campaign_id]))


@login_required
@require_POST
def review_set_cpv(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the CPV code of a line declared « hors catalogue » (the lot it joins). htmx requests get the row
    back; plain posts go to the queue's confirmed lines."""
    line = get_need_line_for(user=request.user, pk=pk)
    error = success = ""
    try:
        cpv = services.cpv_code_from_input(request.POST.get("cpv", "")[:40])
        services.need_line_set_cpv(need_line=line, cpv=cpv, actor=request.user)
        success = _("« %(text)s » : code CPV %(code)s %(label)s.") % {
            "text": line.text[:80],
            "code": cpv.code,
            "label": cpv.label_fr,
        }
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        error = exc.message
    back = reverse("catalog:review_queue", args=[line.campaign_id]) + "?statut=confirmees"
    return _decided(request, line, error, success, back)


def _decided(request: HttpRequest, line: NeedLine, error: str, success: str, back: str) -> HttpResponse:
    """After a decision on one line: htmx gets the line's row back (with the error, if any); a plain post goes
    ``back`` with the error or the success as a message."""
    if request.htmx:
        return _review_row(request, line.pk, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect(back)


def _with_posted_filters(request: HttpRequest, url: str) -> str:
    """``url`` with the query string the form posted as « filtres »: the list comes back as it was filtered. Only a
    query string is taken (parsed and encoded again), never another address."""
    filters = QueryDict(request.POST.get("filtres", "")[:1000]).urlencode()
    return f"{url}?{filters}" if filters else url


def _review_row(request: HttpRequest, pk: int, error: str) -> HttpResponse:
    """The line's row of the review queue, read again after a decision (htmx swaps it in place)."""
    line = get_need_line_for(user=request.user, pk=pk)
    confirmable = selectors.confirmable_collectivity_ids(user=request.user, campaign=line.campaign)
    context = {"line": _decorate([line], confirmable)[0], "error": error}
    return render(request, "catalog/_review_row.html", context)


def _confirmed_message(item: CatalogItem, same_wording: int) -> str:
    return _("Ligne confirmée : « %(label)s ».") % {"label": item.label} + _same_wording_message(same_wording)


def _same_wording_message(count: int) -> str:
    if not count:
        return ""
    return " " + ngettext(
        "%(count)d autre ligne de même libellé a reçu le même article.",
        "%(count)d autres lignes de même libellé ont reçu le même article.",
        count,
    ) % {"count": count}


@login_required
@require_POST
def review_bulk_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the first candidate of every selected line of one campaign, all or nothing."""
    campaign = get_campaign_for(user=request.user, pk=pk)
    ids = [int(i) for i in request.POST.getlist("lignes") if i.isdigit()][:500]
    lines = list(need_lines_for(user=request.user, campaign=campaign).filter(pk__in=ids))
    back = _with_posted_filters(request, reverse("catalog:review_queue", args=[campaign.pk]))
    if not lines:
        messages.error(request, _("Sélectionnez au moins une ligne."))
        return redirect(back)
    try:
        outcome = services.need_lines_confirm_first_candidate(lines=lines, actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    message = ngettext(
        "%(count)d ligne confirmée avec son premier article proposé.",
        "%(count)d lignes confirmées avec leur premier article proposé.",
        outcome.confirmed,
    ) % {"count": outcome.confirmed}
    messages.success(request, message + _same_wording_message(outcome.same_wording))
    return redirect(back)


@login_required
@require_POST
def review_rematch(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a worker to run the matching again on the campaign's undecided lines (after the catalog or its aliases
    changed); the review queue then shows how far it is."""
    campaign = get_campaign_for(user=request.user, pk=pk)
    try:
        services.campaign_rematch_start(campaign=campaign, actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    return redirect("catalog:review_queue", pk=campaign.pk)


@login_required
def review_rematch_status(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    """The progress panel of a rematch the user asked for (htmx polls it while the job runs)."""
    campaign = get_campaign_for(user=request.user, pk=pk)
    job = get_object_or_404(RematchJob, pk=job_pk, campaign=campaign, requested_by=request.user)
    # polled from a page listing the lines as they were: once finished, it offers to list them again
    context = {"campaign": campaign, "job": job, "summary": _rematch_summary(job), "live": True}
    return render(request, "catalog/_rematch_panel.html", context)


def _rematch_context(request: HttpRequest, campaign: Campaign) -> dict:
    """The user's last rematch of the campaign, for the review queue: while it runs (a job older than
    ``services.REMATCH_LOST_AFTER`` is taken as lost), then for REMATCH_DONE_FOR once finished, with what it did."""
    now = timezone.now()
    job = (
        RematchJob.objects.filter(campaign=campaign, requested_by=request.user)
        .filter(
            Q(
                status__in=(RematchStatus.PENDING, RematchStatus.RUNNING),
                created_at__gte=now - services.REMATCH_LOST_AFTER,
            )
            | Q(finished_at__gte=now - REMATCH_DONE_FOR)
        )
        .first()
    )
    return {"rematch_job": job, "rematch_summary": _rematch_summary(job)}


def _rematch_summary(job: RematchJob | None) -> str:
    """What a finished rematch did, in a sentence; nothing while it runs or once it failed (its error says why)."""
    return rematch_message(job) if job is not None and job.status == RematchStatus.DONE else ""


def rematch_message(outcome: services.RematchOutcome | RematchJob) -> str:
    if not outcome.considered:
        return _("Aucune ligne en attente de décision : rien à relancer.")
    counts = {status: outcome.statuses.get(status, 0) for status in services.UNDECIDED_STATUSES}
    counts[MatchStatus.MATCHED] = outcome.statuses.get(MatchStatus.MATCHED, 0)
    return _(
        "Rapprochement relancé sur %(considered)d ligne(s) non confirmée(s), %(changed)d modifiée(s) : "
        "%(matched)d désormais rapprochée(s), %(review)d à vérifier, %(unmatched)d non reconnue(s)."
    ) % {
        "considered": outcome.considered,
        "changed": outcome.changed,
        "matched": counts[MatchStatus.MATCHED],
        "review": counts[MatchStatus.REVIEW],
        "unmatched": counts[MatchStatus.UNMATCHED] + counts[MatchStatus.PENDING],
    }


# --- Wordings learnt by the user's collectivités ------------------------------------------------------------------


@login_required
def learnt_aliases(request: HttpRequest) -> HttpResponse:
    """What the user's collectivités taught the matching engine by confirming lines, with a way to withdraw it."""
    search = request.GET.get("q", "").strip()[:200]
    aliases = selectors.learnt_aliases_for(user=request.user, search=search)
    page = Paginator(aliases, PAGE_SIZE).get_page(request.GET.get("page"))
    writer_of = set(collectivity_ids_for(user=request.user, roles=WRITER_ROLES))
    for alias in page.object_list:
        alias.can_forget = alias.collectivity_id in writer_of and alias.status != AliasStatus.REJECTED
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "search": search, "query": query.urlencode(), "nav": "catalog"}
    return render(request, "catalog/learnt_aliases.html", context)


@login_required
@require_POST
def learnt_alias_forget(request: HttpRequest, pk: int) -> HttpResponse:
    alias = selectors.get_learnt_alias_for(user=request.user, pk=pk)
    try:
        services.alias_forget(alias=alias, actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("« %(text)s » ne sera plus rapproché de « %(label)s » pour %(collectivity)s.")
            % {"text": alias.text, "label": alias.item.label, "collectivity": alias.collectivity.name},
        )
    return redirect(_with_posted_filters(request, reverse("catalog:learnt_aliases")))
