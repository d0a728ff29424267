"""Requesting and generating a grouping's documents (PDF, Excel), recorded as job rows.

A request creates a pending `GeneratedDocument` and queues `reports.tasks.generate_document` on commit.
Generation runs outside any request; it records its progress row by row (each update is committed at once,
so pages polling the row see it move) and always ends in `done` or `failed`, never `running`.
"""

import logging
import shutil
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from procurement.audit import audit_record
from procurement.errors import DomainError, PermissionDenied
from procurement.models import Grouping, User
from procurement.selectors import can_manage_grouping
from reports.context import document_context
from reports.models import DocumentKind, GeneratedDocument, JobStatus
from reports.xlsx import price_schedule_xlsx

logger = logging.getLogger(__name__)

# A pending or running request younger than this is returned instead of queuing a duplicate (double clicks).
DEDUPLICATE_WITHIN = timedelta(minutes=10)
GENERIC_ERROR = (
    "La génération du document a échoué à cause d'une erreur inattendue. L'incident a été journalisé ; "
    "réessayez plus tard ou contactez l'administrateur."
)


# reports.pdf imports WeasyPrint, which is slow to import and logs while doing so: load it only to render.
def _specification(ctx: dict) -> bytes:
    from reports.pdf import render_pdf

    return render_pdf("pdf/specification.html", ctx)


def _tender_summary(ctx: dict) -> bytes:
    from reports.pdf import render_pdf

    return render_pdf("pdf/tender_summary.html", ctx)


# kind → (file name suffix, extension, renderer)
RENDERERS: dict[str, tuple[str, str, Callable[[dict], bytes]]] = {
    DocumentKind.SPECIFICATION: ("cahier-des-charges", "pdf", _specification),
    DocumentKind.TENDER_SUMMARY: ("synthese-consultation", "pdf", _tender_summary),
    DocumentKind.PRICE_SCHEDULE: ("bpu-dqe", "xlsx", price_schedule_xlsx),
}

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def human_filename(*, grouping: Grouping, kind: str) -> str:
    """`GC-2027-001-cahier-des-charges.pdf`: what the user's browser saves the file as."""
    suffix, extension, _ = RENDERERS[kind]
    reference = slugify(grouping.reference).upper() or f"groupement-{grouping.pk}"
    return f"{reference}-{suffix}.{extension}"


def content_type_for(document: GeneratedDocument) -> str:
    extension = Path(document.filename or document.file.name).suffix.lstrip(".").lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def _create_request(*, grouping: Grouping, kind: str, actor: User) -> tuple[GeneratedDocument, bool]:
    if not can_manage_grouping(user=actor, grouping=grouping):
        raise PermissionDenied("Seul le coordonnateur du groupement peut générer ses documents.")
    if kind not in RENDERERS:
        raise DomainError("Type de document inconnu.", field="kind", code="invalid_kind")
    recent = (
        GeneratedDocument.objects.select_for_update()
        .filter(grouping=grouping, kind=kind, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
        .filter(created_at__gte=timezone.now() - DEDUPLICATE_WITHIN)
        .first()
    )
    if recent is not None:
        return recent, False
    document = GeneratedDocument(grouping=grouping, kind=kind, requested_by=actor)
    document.full_clean(exclude=["file"])
    document.save()
    audit_record(
        actor=actor,
        action="document.requested",
        target=document,
        collectivity=grouping.coordinator,
        after={"kind": kind, "grouping": grouping.reference},
    )
    return document, True


@transaction.atomic
def document_request(*, grouping: Grouping, kind: str, actor: User) -> GeneratedDocument:
    """Ask for a document of the grouping; it is generated in the background once the transaction commits.

    Only the grouping's coordinator may ask (PermissionDenied otherwise). A pending or running request of
    the same kind is returned as is rather than duplicated.
    """
    from reports.tasks import generate_document

    document, created = _create_request(grouping=grouping, kind=kind, actor=actor)
    if created:
        transaction.on_commit(partial(generate_document.delay, document.pk))
    return document


def _progress(document: GeneratedDocument, **fields) -> None:
    for name, value in fields.items():
        setattr(document, name, value)
    GeneratedDocument.objects.filter(pk=document.pk).update(**fields)


def _render(document: GeneratedDocument) -> tuple[str, bytes]:
    if document.kind not in RENDERERS:
        raise DomainError(f"Type de document inconnu : « {document.kind} ».")
    requester = document.requested_by
    if requester is not None and not can_manage_grouping(user=requester, grouping=document.grouping):
        raise DomainError("Le demandeur n'est plus coordonnateur de ce groupement : document non généré.")
    _, _, renderer = RENDERERS[document.kind]
    with translation.override("fr"):
        ctx = document_context(grouping=document.grouping)
        _progress(document, progress=50)
        content = renderer(ctx)
    return human_filename(grouping=document.grouping, kind=document.kind), content


def document_generate(*, document_id: int) -> GeneratedDocument:
    """Build the file of a requested document. Ends `done` (file, name, size) or `failed` (French message).

    Idempotent: a document already done is returned unchanged (a task may be delivered twice).
    """
    document = GeneratedDocument.objects.select_related("grouping", "grouping__coordinator", "requested_by").get(
        pk=document_id
    )
    if document.status == JobStatus.DONE:
        return document
    _progress(document, status=JobStatus.RUNNING, progress=10, error="")
    try:
        filename, content = _render(document)
        _progress(document, progress=90)
        document.file.save(filename, ContentFile(content), save=False)
        _progress(
            document,
            file=document.file.name,
            filename=filename,
            size=len(content),
            status=JobStatus.DONE,
            progress=100,
            finished_at=timezone.now(),
        )
        event, after = "document.generated", {"filename": filename, "size": len(content)}
    except Exception as exc:
        logger.exception("Échec de la génération du document %s (%s)", document.pk, document.kind)
        message = exc.message if isinstance(exc, DomainError) else GENERIC_ERROR
        _progress(document, status=JobStatus.FAILED, error=message, finished_at=timezone.now())
        event, after = "document.failed", {"error": message}
    audit_record(
        actor=document.requested_by,
        action=event,
        target=document,
        collectivity=document.grouping.coordinator,
        after=after,
    )
    return document


def document_generate_now(*, grouping: Grouping, kind: str, actor: User) -> GeneratedDocument:
    """Request and generate in the calling process (demo command, scripts): no task is queued."""
    with transaction.atomic():
        document, _ = _create_request(grouping=grouping, kind=kind, actor=actor)
    return document_generate(document_id=document.pk)


def export_to(document: GeneratedDocument, directory: Path) -> Path:
    """Copy a finished document to `directory` under its human file name; returns the written path."""
    if document.status != JobStatus.DONE or not document.file:
        raise DomainError("Le document n'est pas encore disponible.")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / document.filename
    with document.file.open("rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
    return target
