"""System chores run by commands and periodic tasks (no acting user): the audit row of a reference-data import,
and the purge of abandoned needs-import jobs.

Both write their audit row with `actor=None` and no collectivité: they concern the platform, not one member.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from procurement import reference
from procurement.audit import AuditTarget, audit_record
from procurement.errors import DomainError
from procurement.models import AuditEvent, ImportStatus, NeedsImportJob

REFERENCE_TARGET = "procurement.reference_data"
REFERENCE_LABELS = {
    "collectivites": "collectivités",
    "etablissements": "établissements scolaires",
    "territoire": "territoire de démonstration",
}

# Nothing of these was imported, so their row is not needed once the user has had time to read the outcome:
# a preview never confirmed (ready), a file to correct (invalid), an unexpected failure (failed).
PURGED_STATUSES = (ImportStatus.READY, ImportStatus.INVALID, ImportStatus.FAILED)
IN_PROGRESS_STATUSES = (ImportStatus.PENDING, ImportStatus.ANALYSING, ImportStatus.QUEUED, ImportStatus.RUNNING)


# ------------------------------------------------------------------------------------ reference imports


def reference_import_record(
    *, kind: str, source: str, report: reference.ImportReport, departements: list[str] | None = None
) -> AuditEvent:
    """The audit row of one run of a reference import (`kind`: collectivites, etablissements or territoire):
    where the data came from and what was created, updated, left unchanged and skipped, per kind of row."""
    by_kind = {
        key: {"created": s.created, "updated": s.updated, "unchanged": s.unchanged, "skipped": s.skipped}
        for key, s in report.stats.items()
    }
    return audit_record(
        actor=None,
        collectivity=None,
        action=f"reference.import_{kind}",
        target=AuditTarget(
            type=REFERENCE_TARGET,
            id=kind,
            label=f"Données de référence : {REFERENCE_LABELS.get(kind, kind)} ({source})",
        ),
        after={
            "source": source,
            "departements": sorted(departements or []),
            "created": report.created,
            "updated": report.updated,
            "unchanged": sum(s.unchanged for s in report.stats.values()),
            "skipped": report.skipped,
            "by_kind": by_kind,
            "warnings": len(report.warnings),
        },
    )


# -------------------------------------------------------------------------------------- needs-import jobs


@dataclass
class ImportJobsPurge:
    """What a purge did (or would do, in a dry run)."""

    cutoff: datetime
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)  # status → jobs deleted
    deleted_jobs: list[dict[str, Any]] = field(default_factory=list)
    cleared_ids: list[int] = field(default_factory=list)  # done jobs whose leftover file was dropped
    stuck: int = 0  # jobs still in progress past the cutoff: left alone, for an operator to look at

    @property
    def deleted_count(self) -> int:
        return sum(self.deleted.values())

    def summary(self) -> str:
        """In French, one line per fact, for the command's output."""
        when = f"{timezone.localtime(self.cutoff):%d/%m/%Y %H:%M}"
        by_status = ", ".join(f"{ImportStatus(status).label.lower()} : {n}" for status, n in self.deleted.items())
        deleted = f"{self.deleted_count} {'seraient supprimés' if self.dry_run else 'supprimés'}"
        cleared = "serait effacé" if self.dry_run else "a été effacé"
        lines = [
            f"Imports de besoins créés avant le {when} : {deleted}" + (f" ({by_status})." if by_status else "."),
            f"Imports terminés dont le fichier {cleared} : {len(self.cleared_ids)}.",
        ]
        if self.stuck:
            lines.append(f"Imports encore en cours après ce délai, laissés intacts : {self.stuck}.")
        return "\n".join(lines)


@transaction.atomic
def needs_import_jobs_purge(*, older_than_days: int = 7, dry_run: bool = False) -> ImportJobsPurge:
    """Delete the needs-import jobs created more than `older_than_days` days ago that imported nothing (preview
    never confirmed, file to correct, failure), their stored file with them.

    Invariants: a job exactly `older_than_days` old is kept; done jobs keep their row (the record of what was
    imported) and only lose a file still stored in it; jobs in progress are never touched; the rows are locked,
    so a job confirmed meanwhile is no longer `ready` and stays. One audit row when anything changed.
    """
    if older_than_days < 1:
        raise DomainError("Le délai de conservation doit être d'au moins 1 jour.", field="older_than_days")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = NeedsImportJob.objects.filter(created_at__lt=cutoff)
    # Lock what may change (no aggregate under FOR UPDATE: PostgreSQL refuses it).
    locked = old if dry_run else old.select_for_update()
    purge = ImportJobsPurge(cutoff=cutoff, dry_run=dry_run)
    jobs = list(locked.filter(status__in=PURGED_STATUSES).order_by("pk").defer("content", "preview", "errors"))
    for job in jobs:
        purge.deleted[job.status] = purge.deleted.get(job.status, 0) + 1
        purge.deleted_jobs.append(
            {
                "id": job.pk,
                "collectivity": job.collectivity_id,
                "campaign": job.campaign_id,
                "filename": job.filename,
                "status": job.status,
                "created_at": job.created_at.isoformat(),
            }
        )
    done_with_file = locked.filter(status=ImportStatus.DONE).exclude(content=b"")
    purge.cleared_ids = list(done_with_file.order_by("pk").values_list("pk", flat=True))
    purge.stuck = old.filter(status__in=IN_PROGRESS_STATUSES).count()
    if dry_run or not (jobs or purge.cleared_ids):
        return purge

    NeedsImportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    NeedsImportJob.objects.filter(pk__in=purge.cleared_ids).update(content=b"")
    audit_record(
        actor=None,
        collectivity=None,
        action="needs_import.purge",
        target=AuditTarget(
            type=NeedsImportJob._meta.label_lower,
            id="",
            label=f"Purge des imports de besoins de plus de {older_than_days} jours",
        ),
        after={
            "older_than_days": older_than_days,
            "cutoff": cutoff.isoformat(),
            "deleted": purge.deleted,
            "deleted_jobs": purge.deleted_jobs,
            "cleared_files": purge.cleared_ids,
            "left_in_progress": purge.stuck,
        },
    )
    return purge
