"""manage.py import_collectivites [--path DIR] [--departement 35 ...] [--builtin]"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from procurement.management.base import ReferenceImportCommand
from procurement.reference import ImportReport, import_collectivites, load_builtin_territory


class Command(ReferenceImportCommand):
    help = (
        "Importe ou met à jour les régions, départements, EPCI et communes depuis "
        "<path>/reference/collectivites/*.csv (Etalab / INSEE / DGCL). Relancer la commande ne duplique rien."
    )
    kind = "collectivites"
    departement_help = "Limite communes et EPCI à ce département (répétable : --departement 35 --departement 56)."
    error_hint = " Vérifiez --path, ou chargez le territoire de démonstration avec --builtin."

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="Charge le territoire de démonstration intégré (Ille-et-Vilaine), écoles comprises, sans fichier.",
        )

    def run_import(
        self, data_dir: Path, *, departements: list[str] | None, builtin: bool, **options: Any
    ) -> ImportReport:
        if builtin:
            return load_builtin_territory(progress=self.stdout.write)
        return import_collectivites(data_dir, departements=departements, progress=self.stdout.write)

    def source(self, data_dir: Path, *, builtin: bool, **options: Any) -> str:
        return "territoire intégré (Ille-et-Vilaine)" if builtin else super().source(data_dir)

    def audit_kind(self, *, builtin: bool, **options: Any) -> str:
        return "territoire" if builtin else self.kind
