"""Pages of the documents: ask for one, follow its generation, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from procurement.errors import DomainError, PermissionDenied
from procurement.selectors import get_grouping_for
from reports.models import DocumentKind, GeneratedDocument, JobStatus
from reports.selectors import get_document_for
from reports.services import content_type_for, document_request


@login_required
@require_POST
def generate(request, grouping_pk: int):
    grouping = get_grouping_for(user=request.user, pk=grouping_pk)
    kind = request.POST.get("kind", "")
    try:
        document = document_request(grouping=grouping, kind=kind, actor=request.user)
    except PermissionDenied as exc:
        return render(request, "reports/forbidden.html", {"message": exc.message, "grouping": grouping}, status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = DocumentKind(document.kind).label
        if document.status == JobStatus.DONE:
            messages.success(request, f"Document généré : {label}.")
        elif document.status == JobStatus.FAILED:
            messages.error(request, f"La génération a échoué : {label}. {document.error}")
        else:
            messages.success(request, f"Génération demandée : {label}. Le document sera disponible dans un instant.")
    return redirect(reverse("procurement:grouping_detail", kwargs={"pk": grouping.pk}) + "#titre-documents")


def finished_file(document: GeneratedDocument) -> FileResponse:
    """The stored file of a finished document, as an attachment under its human name; 404 otherwise."""
    if document.status != JobStatus.DONE or not document.file:
        raise Http404("Document non disponible.")
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("Document non disponible.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.filename, content_type=content_type_for(document)
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def download(request, pk: int):
    return finished_file(get_document_for(user=request.user, pk=pk))


@never_cache
@login_required
@require_GET
def status(request, pk: int):
    document = get_document_for(user=request.user, pk=pk)
    return render(request, "reports/_document_status.html", {"document": document})
