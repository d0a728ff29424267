"""Pages of the tenders app: public demand pages and open data, coordinator publishing, vendor space."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from procurement.errors import DomainError
from procurement.models import Grouping
from procurement.selectors import can_manage_grouping, get_grouping_for
from tenders import ocds
from tenders.exports import COLUMNS, export_rows, rows_to_csv
from tenders.forms import DemandFilterForm, PublishForm
from tenders.models import LotLine, Publication
from tenders.selectors_public import (
    demand_facets,
    filter_publications,
    get_published_publication,
    get_vendor_for,
    publications_for_grouping,
    published_publications,
)
from tenders.services import publication_create, publication_withdraw
from tenders.snapshot import build_snapshot

PAGE_SIZE = 20
OCDS_OCID_PREFIX = getattr(settings, "OCDS_OCID_PREFIX", "ocds-mutual")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "tenders/forbidden.html", {"message": message}, status=403)


def _filtered_demands(request: HttpRequest) -> tuple[DemandFilterForm, QuerySet[Publication]]:
    form = DemandFilterForm(request.GET or None, facets=demand_facets())
    return form, filter_publications(published_publications(), filters=form.to_filters())


def _demand_context(request: HttpRequest) -> dict:
    form, publications = _filtered_demands(request)
    page = Paginator(publications, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"filter_form": form, "page_obj": page, "publications": page.object_list, "export_columns": COLUMNS}


# Public pages


@require_GET
def demand_list(request: HttpRequest) -> HttpResponse:
    return render(request, "tenders/demand_list.html", {**_demand_context(request), "nav": "demands"})


@require_GET
def demand_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_published_publication(pk=pk)
    return render(
        request,
        "tenders/demand_detail.html",
        {"publication": publication, "content": publication.content, "nav": "demands"},
    )


@require_GET
def demand_ocds(request: HttpRequest, pk: int) -> JsonResponse:
    publication = get_published_publication(pk=pk)
    package = ocds.release_package(
        publication_id=publication.pk,
        content=publication.content,
        package_uri=request.build_absolute_uri(),
        ocid_prefix=OCDS_OCID_PREFIX,
        tz=timezone.get_default_timezone(),
    )
    return JsonResponse(package, json_dumps_params={"ensure_ascii": False, "indent": 2})


def _export_rows(request: HttpRequest):
    _, publications = _filtered_demands(request)
    return export_rows(
        publications, url_for=lambda p: request.build_absolute_uri(reverse("tenders:demand_detail", args=[p.pk]))
    )


@require_GET
def demand_export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(rows_to_csv(_export_rows(request)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="marches-a-venir.csv"'
    return response


@require_GET
def demand_export_json(request: HttpRequest) -> HttpResponse:
    data = {
        "titre": "Marchés à venir : demande agrégée publiée par les groupements de commandes",
        "genere_le": timezone.now().isoformat(),
        "colonnes": [{"nom": name, "description": description} for name, description in COLUMNS],
        "donnees": list(_export_rows(request)),
    }
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="marches-a-venir.json"'
    return response


# Coordinator side


def _preview(grouping: Grouping, form: PublishForm) -> dict:
    """The snapshot that publishing would store now, from the form's valid fields (or the defaults)."""
    data: dict = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    return build_snapshot(
        grouping=grouping,
        title=data.get("title", grouping.title),
        summary=data.get("summary", ""),
        expected_launch_date=data.get("expected_launch_date", grouping.planned_launch_date),
        expected_delivery_start=data.get("expected_delivery_start"),
        expected_delivery_end=data.get("expected_delivery_end"),
    )


@login_required
def publish(request: HttpRequest, grouping_pk: int) -> HttpResponse:
    grouping = get_grouping_for(user=request.user, pk=grouping_pk)
    if not can_manage_grouping(user=request.user, grouping=grouping):
        return _forbidden(request, "Seul le coordonnateur du groupement peut publier sa demande agrégée.")

    initial = {"title": grouping.title, "expected_launch_date": grouping.planned_launch_date}
    form = PublishForm(request.POST or None, initial=initial)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            publication = publication_create(grouping=grouping, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "La demande agrégée est publiée : les fournisseurs peuvent la consulter.")
            return redirect("tenders:demand_detail", pk=publication.pk)

    context = {
        "grouping": grouping,
        "form": form,
        "content": _preview(grouping, form),
        "has_lines": LotLine.objects.filter(lot__grouping=grouping).exists(),
        "publications": publications_for_grouping(grouping=grouping),
        "can_manage": True,
        "nav": "groupings",
    }
    return render(request, "tenders/publish.html", context)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(Publication.objects.only("pk", "grouping_id", "status"), pk=pk)
    grouping = get_grouping_for(user=request.user, pk=publication.grouping_id)
    if not can_manage_grouping(user=request.user, grouping=grouping):
        return _forbidden(request, "Seul le coordonnateur du groupement peut retirer cette publication.")
    try:
        publication_withdraw(publication=publication, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "La publication est retirée : elle n'est plus visible des fournisseurs.")
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("tenders:publish", grouping_pk=grouping.pk)


# Vendor space


@login_required
@require_GET
def vendor_home(request: HttpRequest) -> HttpResponse:
    vendor = get_vendor_for(user=request.user)
    return render(request, "tenders/vendor_home.html", {**_demand_context(request), "vendor": vendor})
