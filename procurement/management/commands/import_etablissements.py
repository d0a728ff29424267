"""manage.py import_etablissements [--path DIR] [--departement 35 ...] [--include-private]"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from procurement.management.base import ReferenceImportCommand
from procurement.reference import ImportReport, import_etablissements


class Command(ReferenceImportCommand):
    help = (
        "Importe ou met à jour les écoles, collèges et lycées depuis <path>/reference/etablissements/ "
        "(MENJ), rattachés à leur collectivité compétente. Importez d'abord les collectivités."
    )
    kind = "etablissements"
    departement_help = "Limite l'import à ce département (répétable)."

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--include-private",
            action="store_true",
            help="Importe aussi les établissements privés (is_public=False) ; par défaut seuls les publics.",
        )

    def run_import(
        self, data_dir: Path, *, departements: list[str] | None, include_private: bool, **options: Any
    ) -> ImportReport:
        return import_etablissements(
            data_dir, departements=departements, include_private=include_private, progress=self.stdout.write
        )
