"""Delete the needs-import jobs that imported nothing and are older than a few days, their stored file with them.

    manage.py purge_import_jobs [--older-than-days 7] [--dry-run]

Meant for a daily cron or Celery beat entry. Done imports keep their row (only a leftover file is dropped);
imports in progress are never touched.
"""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from procurement.errors import DomainError
from procurement.models import ImportStatus
from procurement.services.housekeeping import needs_import_jobs_purge


class Command(BaseCommand):
    help = (
        "Supprime les imports de besoins jamais confirmés, à corriger ou en échec, créés il y a plus de N jours, "
        "avec leur fichier. Les imports terminés gardent leur trace ; les imports en cours ne sont pas touchés."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=7,
            metavar="N",
            help="Âge minimal, en jours, des imports à supprimer (par défaut : 7).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Afficher ce qui serait supprimé sans rien changer.")

    def handle(self, *args: Any, older_than_days: int, dry_run: bool, **options: Any) -> None:
        try:
            purge = needs_import_jobs_purge(older_than_days=older_than_days, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if dry_run:
            for job in purge.deleted_jobs:
                created = timezone.localtime(datetime.fromisoformat(job["created_at"]))
                status = ImportStatus(job["status"]).label.lower()
                self.stdout.write(f"  n° {job['id']} — {job['filename']} ({status}, créé le {created:%d/%m/%Y})")
        self.stdout.write(self.style.SUCCESS(purge.summary()))
