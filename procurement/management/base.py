"""What the reference-data import commands share: the --path and --departement options, the French error on a
missing or unreadable file, the printed report and the audit row of the run."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procurement.reference import ImportReport, ReferenceDataError, reference_folder
from procurement.services.housekeeping import reference_import_record


class ReferenceImportCommand(BaseCommand):
    """Subclasses set `kind` (the sub-folder of `reference/`, also the name of the audit row), the help of
    --departement, and implement `run_import`; `add_import_arguments` adds their own options."""

    kind: str
    departement_help: str
    error_hint: str = ""  # appended to the message of a ReferenceDataError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            type=Path,
            default=None,
            help="Dossier des données de référence (par défaut : settings.REFERENCE_DATA_DIR).",
        )
        parser.add_argument(
            "--departement",
            dest="departements",
            action="append",
            default=[],
            metavar="CODE",
            help=self.departement_help,
        )
        self.add_import_arguments(parser)

    def add_import_arguments(self, parser: CommandParser) -> None:
        """Options of one command only."""

    def run_import(self, data_dir: Path, *, departements: list[str] | None, **options: Any) -> ImportReport:
        raise NotImplementedError

    def source(self, data_dir: Path, **options: Any) -> str:
        """Where the data came from, for the audit row: the folder actually read."""
        return str(reference_folder(data_dir, self.kind))

    def handle(self, *args: Any, path: Path | None, departements: list[str], **options: Any) -> None:
        codes = [code.strip() for value in departements for code in value.split(",") if code.strip()]
        data_dir = path or Path(settings.REFERENCE_DATA_DIR)
        try:
            report = self.run_import(data_dir, departements=codes or None, **options)
        except ReferenceDataError as exc:
            raise CommandError(exc.message + self.error_hint) from exc
        reference_import_record(
            kind=self.audit_kind(**options),
            source=self.source(data_dir, **options),
            report=report,
            departements=codes,
        )
        self.stdout.write(self.style.SUCCESS(str(report)))

    def audit_kind(self, **options: Any) -> str:
        return self.kind
