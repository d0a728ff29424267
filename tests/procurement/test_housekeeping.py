"""System chores: the audit row of the reference-data imports, and the purge of abandoned needs-import jobs."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from procurement.models import AuditEvent, Collectivity, ImportStatus, NeedsImportJob, Site
from procurement.services.housekeeping import needs_import_jobs_purge
from tests.procurement import test_reference_import as reference_files

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 20, 3, 0, tzinfo=datetime.UTC)
WEEK = datetime.timedelta(days=7)
FILE = b"designation;quantite\nTablette;12\n"


def run(command: str, *args, **options) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


# ------------------------------------------------------------------------------------ reference imports


@pytest.fixture
def data_dir(tmp_path):
    reference_files.write_collectivites(tmp_path)
    reference_files.write_etablissements(tmp_path)
    reference_files._fill_lycee_defaults(tmp_path)
    return tmp_path


def test_importing_collectivites_writes_a_system_audit_row(data_dir):
    run("import_collectivites", path=data_dir, departement=["35"])

    event = AuditEvent.objects.get(action="reference.import_collectivites")
    assert (event.actor, event.collectivity, event.target_id) == (None, None, "collectivites")
    assert event.after["source"] == str(data_dir / "reference" / "collectivites")
    assert event.after["departements"] == ["35"]
    assert event.after["created"] == Collectivity.objects.count() > 0
    assert event.after["by_kind"]["communes"]["created"] == Collectivity.objects.filter(kind="commune").count()
    assert "collectivités" in event.target_repr


def test_a_second_import_is_audited_with_nothing_created(data_dir):
    run("import_collectivites", path=data_dir)
    run("import_collectivites", path=data_dir)

    first, second = AuditEvent.objects.filter(action="reference.import_collectivites").order_by("pk")
    assert first.after["created"] > 0
    assert (second.after["created"], second.after["updated"]) == (0, 0)
    assert second.after["unchanged"] == first.after["created"]


def test_importing_etablissements_audits_its_counts(data_dir):
    run("import_collectivites", path=data_dir)
    output = run("import_etablissements", path=data_dir, include_private=True)

    event = AuditEvent.objects.get(action="reference.import_etablissements")
    assert event.after["created"] == Site.objects.count() > 0
    assert event.after["source"] == str(data_dir / "reference" / "etablissements")
    assert "créations" in output


def test_a_failed_reference_import_writes_no_audit_row(tmp_path):
    with pytest.raises(CommandError, match=r"introuvable.*--builtin"):
        run("import_collectivites", path=tmp_path / "absent")

    assert not AuditEvent.objects.filter(action__startswith="reference.").exists()


def test_the_builtin_territory_is_audited_as_such():
    run("import_collectivites", builtin=True)

    event = AuditEvent.objects.get()
    assert (event.action, event.after["source"]) == (
        "reference.import_territoire",
        "territoire intégré (Ille-et-Vilaine)",
    )
    assert event.after["created"] == Collectivity.objects.count() + Site.objects.count()


def test_comma_separated_departements_are_split(data_dir):
    run("import_etablissements", path=data_dir, departement=["35,56", "29"])

    assert AuditEvent.objects.get().after["departements"] == ["29", "35", "56"]


# ------------------------------------------------------------------------------------------ import jobs


@pytest.fixture
def make_job(campaign, commune_a, alice):
    def make(status: str, age: datetime.timedelta, *, content: bytes = FILE) -> NeedsImportJob:
        return NeedsImportJob.objects.create(
            campaign=campaign,
            collectivity=commune_a,
            created_by=alice,
            filename=f"{status}.csv",
            size=len(FILE),
            content=content,
            status=status,
            created_at=NOW - age,
        )

    return make


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_job_exactly_n_days_old_is_kept_and_one_a_second_older_is_deleted(frozen, make_job):
    on_the_boundary = make_job(ImportStatus.READY, WEEK)
    past_it = make_job(ImportStatus.READY, WEEK + datetime.timedelta(seconds=1))

    purge = needs_import_jobs_purge(older_than_days=7)

    assert list(NeedsImportJob.objects.values_list("pk", flat=True)) == [on_the_boundary.pk]
    assert bytes(NeedsImportJob.objects.get().content) == FILE
    assert [job["id"] for job in purge.deleted_jobs] == [past_it.pk]


def test_only_jobs_that_imported_nothing_are_deleted(frozen, make_job):
    old = WEEK * 2
    deleted = [make_job(status, old) for status in (ImportStatus.READY, ImportStatus.INVALID, ImportStatus.FAILED)]
    in_progress = [
        make_job(status, old)
        for status in (ImportStatus.PENDING, ImportStatus.ANALYSING, ImportStatus.QUEUED, ImportStatus.RUNNING)
    ]
    done = make_job(ImportStatus.DONE, old, content=b"")
    recent = make_job(ImportStatus.READY, datetime.timedelta(days=1))

    purge = needs_import_jobs_purge()

    remaining = set(NeedsImportJob.objects.values_list("pk", flat=True))
    assert remaining == {job.pk for job in [*in_progress, done, recent]}
    assert not remaining & {job.pk for job in deleted}
    assert all(bytes(NeedsImportJob.objects.get(pk=job.pk).content) == FILE for job in in_progress)
    assert purge.deleted == {"ready": 1, "invalid": 1, "failed": 1} and purge.stuck == 4


def test_a_done_job_keeps_its_row_and_loses_a_leftover_file(frozen, make_job):
    done = make_job(ImportStatus.DONE, WEEK * 2)

    purge = needs_import_jobs_purge()

    done.refresh_from_db()
    assert (bytes(done.content), done.size, done.status) == (b"", len(FILE), ImportStatus.DONE)
    assert purge.cleared_ids == [done.pk]


def test_the_purge_is_audited_and_the_jobs_history_stays(frozen, make_job):
    job = make_job(ImportStatus.READY, WEEK * 2)
    AuditEvent.objects.create(action="needs_import.upload", target_type="procurement.needsimportjob", target_id=job.pk)
    done = make_job(ImportStatus.DONE, WEEK * 2)

    needs_import_jobs_purge(older_than_days=7)

    event = AuditEvent.objects.get(action="needs_import.purge")
    assert (event.actor, event.collectivity) == (None, None)
    assert event.after["deleted"] == {"ready": 1} and event.after["cleared_files"] == [done.pk]
    assert event.after["deleted_jobs"][0] | {"created_at": None} == {
        "id": job.pk,
        "collectivity": job.collectivity_id,
        "campaign": job.campaign_id,
        "filename": "ready.csv",
        "status": "ready",
        "created_at": None,
    }
    assert AuditEvent.objects.filter(action="needs_import.upload", target_id=str(job.pk)).exists()


def test_a_purge_with_nothing_to_do_writes_no_audit_row(frozen, make_job):
    make_job(ImportStatus.READY, datetime.timedelta(days=1))

    purge = needs_import_jobs_purge()

    assert purge.deleted_count == 0 and not AuditEvent.objects.exists()


def test_command_prints_a_french_summary(frozen, make_job):
    make_job(ImportStatus.READY, WEEK * 2)
    make_job(ImportStatus.FAILED, WEEK * 2)
    make_job(ImportStatus.RUNNING, WEEK * 2)

    output = run("purge_import_jobs", "--older-than-days", "7")

    assert "Imports de besoins créés avant le 13/05/2026" in output
    assert "2 supprimés (prêt à importer : 1, échec : 1)." in output
    assert "Imports terminés dont le fichier a été effacé : 0." in output
    assert "Imports encore en cours après ce délai, laissés intacts : 1." in output
    assert NeedsImportJob.objects.count() == 1


def test_dry_run_lists_the_jobs_and_changes_nothing(frozen, make_job):
    ready = make_job(ImportStatus.READY, WEEK * 2)
    make_job(ImportStatus.DONE, WEEK * 2)

    output = run("purge_import_jobs", "--dry-run")

    assert f"n° {ready.pk} — ready.csv (prêt à importer, créé le 06/05/2026)" in output
    assert "1 seraient supprimés" in output and "le fichier serait effacé : 1." in output
    assert NeedsImportJob.objects.count() == 2
    assert all(bytes(job.content) == FILE for job in NeedsImportJob.objects.all())
    assert not AuditEvent.objects.exists()


def test_the_delay_must_be_at_least_one_day():
    with pytest.raises(CommandError, match="au moins 1 jour"):
        run("purge_import_jobs", "--older-than-days", "0")


def test_the_periodic_task_purges_and_is_scheduled_daily(frozen, make_job, settings):
    from procurement.tasks import purge_import_jobs

    make_job(ImportStatus.INVALID, WEEK * 3)
    kept = make_job(ImportStatus.INVALID, datetime.timedelta(days=2))

    assert purge_import_jobs.delay().get() == 1
    assert list(NeedsImportJob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert purge_import_jobs.delay(1).get() == 1 and not NeedsImportJob.objects.exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-import-jobs"]
    assert schedule == {"task": purge_import_jobs.name, "schedule": 24 * 3600}
