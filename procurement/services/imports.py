"""Importing a needs file into a campaign for one member: at once (command, API), or as a job row with a preview
and a confirmation (pages), in the background when the file is large.

Invariants:
- nothing is written unless every row of the file is valid: the whole file is validated, then saved in one
  transaction, under a lock on the member's participation (two imports of one member never interleave);
- importing the same file again creates nothing (see `procurement.imports.planning`), and a file exported from
  Mutualis, edited and imported again updates the lines it identifies;
- the campaign must accept declarations and the member must not have submitted, as for `need_line_create`;
- new and re-worded lines are matched to the catalog in bulk before they are written, each distinct text once
  (`catalog.services.texts_match_values`), and stored with their match in the same statements;
- the file is kept in the job row only until the import ends (done, invalid or failed).
"""

import gc
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from procurement.audit import audit_record
from procurement.errors import DomainError, PermissionDenied
from procurement.imports import FileRejected, ImportPlan, estimate_rows, file_issue, issue_text, plan_import
from procurement.imports.reading import max_file_bytes
from procurement.models import (
    AuditEvent,
    Campaign,
    CampaignParticipation,
    Collectivity,
    ImportStatus,
    NeedLine,
    NeedsImportJob,
    ParticipationStatus,
    Site,
    Unit,
    User,
)
from procurement.services.bulk import need_lines_insert
from procurement.services.guards import get_participation, require_open, require_writer

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
PREVIEW_ROWS = 20
GENERIC_ERROR = (
    "L'import a échoué à cause d'une erreur inattendue ; aucune ligne n'a été enregistrée. L'incident a été "
    "journalisé : réessayez plus tard ou contactez l'administrateur."
)
FIELD_LABELS = {
    "text": "Désignation",
    "quantity": "Quantité",
    "unit": "Unité",
    "site_id": "Site",
    "wished_delivery_date": "Date souhaitée",
    "budget_ht": "Budget HT",
}


def async_threshold() -> int:
    """Files with more rows than this are analysed and imported by a background task."""
    return int(getattr(settings, "NEEDS_IMPORT_ASYNC_ROWS", 2000))


@dataclass
class ImportReport:
    applied: bool
    counts: dict[str, int]
    errors: list[dict]
    error_count: int
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "applied": self.applied,
            "counts": self.counts,
            "sheet": self.sheet,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "error_count": self.error_count,
            "errors": [{**issue, "text": issue_text(issue)} for issue in self.errors],
        }


def _report(plan: ImportPlan, *, applied: bool) -> ImportReport:
    return ImportReport(
        applied=applied,
        counts=plan.counts(),
        errors=plan.errors,
        error_count=plan.error_count,
        sheet=plan.sheet,
        columns=plan.columns,
        ignored_columns=plan.ignored_columns,
    )


def needs_import_check(*, campaign: Campaign, collectivity: Collectivity, actor: User | None) -> None:
    """May `actor` declare needs for `collectivity` in `campaign` today? `actor=None` is a trusted system import
    (the command run by an administrator): only the campaign rules apply."""
    if actor is not None:
        require_writer(collectivity=collectivity, actor=actor)
    require_open(campaign=campaign, participation=get_participation(campaign=campaign, collectivity=collectivity))


def needs_import_run(
    *,
    campaign: Campaign,
    collectivity: Collectivity,
    actor: User | None,
    filename: str,
    content: bytes,
    dry_run: bool = False,
) -> ImportReport:
    """Import a file at once: validate every row, then save everything in one transaction, or nothing."""
    if dry_run:
        needs_import_check(campaign=campaign, collectivity=collectivity, actor=actor)
        with _bulk_work():
            plan = plan_import(campaign=campaign, collectivity=collectivity, content=content, filename=filename)
        return _report(plan, applied=False)
    with transaction.atomic():
        return _import(campaign=campaign, collectivity=collectivity, actor=actor, filename=filename, content=content)


@contextmanager
def _bulk_work():
    """Pause the cyclic garbage collector while hundreds of thousands of small objects are built: its repeated
    passes over them cost a quarter of an import's time, and these objects hold no reference cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    *, campaign: Campaign, collectivity: Collectivity, actor: User | None, filename: str, content: bytes
) -> ImportReport:
    """Lock, check, validate, write. Must run inside a transaction."""
    with _bulk_work():
        return _import_locked(
            campaign=campaign, collectivity=collectivity, actor=actor, filename=filename, content=content
        )


def _import_locked(*, campaign, collectivity, actor, filename, content) -> ImportReport:
    CampaignParticipation.objects.select_for_update().filter(campaign=campaign, collectivity=collectivity).first()
    needs_import_check(campaign=campaign, collectivity=collectivity, actor=actor)
    plan = plan_import(campaign=campaign, collectivity=collectivity, content=content, filename=filename)
    if not plan.ok:
        return _report(plan, applied=False)
    _write(plan, campaign=campaign, collectivity=collectivity, actor=actor)
    participation = get_participation(campaign=campaign, collectivity=collectivity)
    if plan.creates and participation.status == ParticipationStatus.INVITED:
        participation.status = ParticipationStatus.STARTED
        participation.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="needs_import.apply",
        target=participation,
        collectivity=collectivity,
        after={"filename": filename, "sheet": plan.sheet, **plan.counts()},
    )
    return _report(plan, applied=True)


# Writing


def _chunks(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match_values(texts, collectivity: Collectivity) -> dict[str, dict]:
    """Match each distinct text once, before anything is written: lines are then stored with their match."""
    from catalog.services import texts_match_values

    return texts_match_values(texts=texts, collectivity_id=collectivity.pk)


def _write(plan: ImportPlan, *, campaign: Campaign, collectivity: Collectivity, actor: User | None) -> None:
    now = timezone.now()
    reworded = [update for update in plan.updates if "text" in update.changed]
    matches = _match_values([row.text for row in plan.creates] + [update.row.text for update in reworded], collectivity)
    common = {
        "campaign_id": campaign.pk,
        "collectivity_id": collectivity.pk,
        "created_by_id": actor.pk if actor is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    need_lines_insert(
        [
            {
                **common,
                "text": row.text,
                "quantity": row.quantity,
                "unit": row.unit,
                "site_id": row.site_id,
                "wished_delivery_date": row.wished_delivery_date,
                "budget_ht": row.budget_ht,
                **matches[row.text],
            }
            for row in plan.creates
        ]
    )
    if plan.updates:
        _write_updates(plan, collectivity=collectivity, actor=actor, now=now, matches=matches)


def _write_updates(plan: ImportPlan, *, collectivity, actor, now, matches: dict[str, dict]) -> None:
    present = plan.present
    names = [NeedLine._meta.get_field(attribute).name for attribute in present]
    from catalog.services import MATCH_FIELDS

    for updates in _chunks(plan.updates):
        kept, reworded, events = [], [], []
        for update in updates:
            line = NeedLine(pk=update.line.pk, collectivity_id=collectivity.pk)
            for attribute in present:
                setattr(line, attribute, getattr(update.row, attribute))
            line.updated_at = now
            if "text" in update.changed:
                for attname, value in matches[line.text].items():
                    setattr(line, attname, value)
                reworded.append(line)
            else:
                kept.append(line)
            events.append(_update_event(update, actor=actor, collectivity=collectivity, when=now))
        NeedLine.objects.bulk_update(kept, [*names, "updated_at"], batch_size=BATCH_SIZE)
        NeedLine.objects.bulk_update(reworded, [*names, "updated_at", *MATCH_FIELDS], batch_size=BATCH_SIZE)
        AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def _update_event(update, *, actor, collectivity, when) -> AuditEvent:
    before = {name: getattr(update.line, name) for name in update.changed}
    after = {name: getattr(update.row, name) for name in update.changed}
    return AuditEvent(
        created_at=when,
        actor=actor if actor is not None and actor.is_authenticated else None,
        collectivity=collectivity,
        action="need_line.update",
        target_type="procurement.needline",
        target_id=str(update.line.pk),
        target_repr=f"{update.row.quantity} × {update.row.text[:60]}",
        before=_json_safe({**before, "source": "import"}),
        after=_json_safe(after),
    )


# Jobs: upload → analysis (preview) → confirmation → import


def _set(job: NeedsImportJob, **fields) -> None:
    """Update the job row at once (outside a transaction, pages polling it see it move)."""
    for name, value in fields.items():
        setattr(job, name, value)
    NeedsImportJob.objects.filter(pk=job.pk).update(**fields)


def _queue(job: NeedsImportJob) -> None:
    from procurement.tasks import run_needs_import

    transaction.on_commit(partial(run_needs_import.delay, job.pk))


@transaction.atomic
def needs_import_start(
    *,
    campaign: Campaign,
    collectivity: Collectivity,
    actor: User,
    filename: str,
    content: bytes,
    auto_apply: bool = False,
) -> NeedsImportJob:
    """Store an uploaded file as a job and analyse it: at once for a small file, in the background otherwise.

    With `auto_apply` (the API without dry run), a valid file is imported right after its analysis.
    """
    needs_import_check(campaign=campaign, collectivity=collectivity, actor=actor)
    if len(content) > max_file_bytes():
        raise FileRejected(
            f"Le fichier pèse {len(content) / 1024 / 1024:.0f} Mo, au-delà de la limite de "
            f"{max_file_bytes() / 1024 / 1024:.0f} Mo : découpez-le en plusieurs fichiers."
        )
    job = NeedsImportJob.objects.create(
        campaign=campaign,
        collectivity=collectivity,
        created_by=actor,
        filename=(filename or "fichier")[:255],
        size=len(content),
        content=content,
        auto_apply=auto_apply,
    )
    audit_record(
        actor=actor,
        action="needs_import.upload",
        target=job,
        collectivity=collectivity,
        after={"filename": job.filename, "size": job.size},
    )
    if estimate_rows(content=content, filename=filename) > async_threshold():
        _queue(job)
    else:
        needs_import_analyse(job_id=job.pk)
    job.refresh_from_db()
    return job


def needs_import_analyse(*, job_id: int) -> NeedsImportJob:
    """Validate the job's file and record the preview (counts, first rows, errors). Ends `ready` or `invalid`
    (or `failed` on an unexpected error); a valid `auto_apply` job is then imported."""
    job = NeedsImportJob.objects.select_related("campaign", "collectivity", "created_by").get(pk=job_id)
    if job.status != ImportStatus.PENDING:
        return job
    content = bytes(job.content)
    estimate = max(estimate_rows(content=content, filename=job.filename), 1)
    _set(job, status=ImportStatus.ANALYSING, progress=1)
    try:
        if job.created_by is None:
            raise PermissionDenied("L'auteur de cet import n'a plus de compte : déposez le fichier à nouveau.")
        needs_import_check(campaign=job.campaign, collectivity=job.collectivity, actor=job.created_by)
        with _bulk_work():
            plan = plan_import(
                campaign=job.campaign,
                collectivity=job.collectivity,
                content=content,
                filename=job.filename,
                progress=lambda rows: _set(job, progress=min(95, 1 + rows * 95 // estimate)),
            )
    except DomainError as exc:
        plan = ImportPlan()
        plan.add_error(file_issue(exc.message))
    except Exception:
        logger.exception("Échec de l'analyse de l'import %s", job.pk)
        return _fail(job)
    if not plan.ok:
        _finish(job, ImportStatus.INVALID, plan)
        return job
    _set(
        job,
        status=ImportStatus.READY,
        progress=100,
        rows=plan.rows,
        counts=plan.counts(),
        errors=[],
        preview=_preview(plan),
    )
    if job.auto_apply:
        _set(job, status=ImportStatus.QUEUED, progress=0)
        return needs_import_apply(job_id=job.pk)
    return job


@transaction.atomic
def needs_import_confirm(*, job: NeedsImportJob, actor: User) -> NeedsImportJob:
    """The user confirms a previewed import: it runs at once when small, in the background otherwise."""
    job = NeedsImportJob.objects.select_for_update().select_related("collectivity").get(pk=job.pk)
    require_writer(collectivity=job.collectivity, actor=actor)
    if job.status != ImportStatus.READY:
        raise DomainError(f"Cet import ne peut pas être confirmé : il est « {job.get_status_display().lower()} ».")
    _set(job, status=ImportStatus.QUEUED, progress=0)
    audit_record(
        actor=actor, action="needs_import.confirm", target=job, collectivity=job.collectivity, after=job.counts
    )
    if job.rows > async_threshold():
        _queue(job)
    else:
        needs_import_apply(job_id=job.pk)
    job.refresh_from_db()
    return job


def needs_import_apply(*, job_id: int) -> NeedsImportJob:
    """Import a confirmed job. The file is validated again against the current lines (they may have changed
    since the preview): the job ends `done`, or `invalid` with the errors, or `failed`; never half-imported."""
    job = NeedsImportJob.objects.select_related("campaign", "collectivity", "created_by").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return job
    _set(job, status=ImportStatus.RUNNING, progress=5)
    try:
        if job.created_by is None:
            raise PermissionDenied("L'auteur de cet import n'a plus de compte : déposez le fichier à nouveau.")
        with transaction.atomic():
            report = _import(
                campaign=job.campaign,
                collectivity=job.collectivity,
                actor=job.created_by,
                filename=job.filename,
                content=bytes(job.content),
            )
    except DomainError as exc:
        plan = ImportPlan()
        plan.add_error(file_issue(exc.message))
        _finish(job, ImportStatus.INVALID, plan)
        return job
    except Exception:
        logger.exception("Échec de l'import %s", job.pk)
        return _fail(job)
    _set(
        job,
        status=ImportStatus.DONE if report.ok else ImportStatus.INVALID,
        progress=100,
        counts=report.counts,
        rows=report.counts.get("rows", 0),
        errors=report.errors,
        content=b"",
        finished_at=timezone.now(),
    )
    return job


def needs_import_run_job(*, job_id: int) -> NeedsImportJob:
    """What the background task does: analyse a pending job, or import a queued one."""
    job = NeedsImportJob.objects.only("status").get(pk=job_id)
    if job.status == ImportStatus.PENDING:
        return needs_import_analyse(job_id=job_id)
    return needs_import_apply(job_id=job_id)


def _finish(job: NeedsImportJob, status: str, plan: ImportPlan) -> None:
    _set(
        job,
        status=status,
        progress=100,
        rows=plan.rows,
        counts=plan.counts(),
        errors=plan.errors,
        preview=_preview(plan) if plan.columns else {},
        content=b"",
        finished_at=timezone.now(),
    )


def _fail(job: NeedsImportJob) -> NeedsImportJob:
    _set(
        job,
        status=ImportStatus.FAILED,
        errors=[file_issue(GENERIC_ERROR)],
        content=b"",
        finished_at=timezone.now(),
    )
    return job


def _preview(plan: ImportPlan) -> dict:
    """What the page shows before confirmation: the columns understood and the first rows of each kind."""
    rows = list(plan.creates[:PREVIEW_ROWS]) + [u.row for u in plan.updates[:PREVIEW_ROWS]]
    site_ids = {row.site_id for row in rows if row.site_id} | {
        u.line.site_id for u in plan.updates[:PREVIEW_ROWS] if u.line.site_id
    }
    sites = {
        pk: f"{uai} — {name}" for pk, uai, name in Site.objects.filter(pk__in=site_ids).values_list("pk", "uai", "name")
    }

    def shown(name: str, value) -> str:
        if value is None or value == "":
            return ""
        if name == "site_id":
            return sites.get(value, "")
        if name == "unit":
            return str(Unit(value).label)
        if name == "wished_delivery_date":
            return f"{value:%d/%m/%Y}"
        return str(value)

    return {
        "sheet": plan.sheet,
        "header_row": plan.header_row,
        "columns": plan.columns,
        "ignored_columns": plan.ignored_columns,
        "create": [
            {"row": row.number, **{name: shown(name, getattr(row, name)) for name in FIELD_LABELS}}
            for row in plan.creates[:PREVIEW_ROWS]
        ],
        "update": [
            {
                "row": u.row.number,
                "text": u.row.text,
                "changes": [
                    {
                        "field": FIELD_LABELS[name],
                        "before": shown(name, getattr(u.line, name)),
                        "after": shown(name, getattr(u.row, name)),
                    }
                    for name in u.changed
                ],
            }
            for u in plan.updates[:PREVIEW_ROWS]
        ],
    }
