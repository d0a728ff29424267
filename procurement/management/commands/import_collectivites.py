"""manage.py import_collectivites [--path DIR] [--departement 35 ...] [--builtin]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procurement.reference import ReferenceDataError, import_collectivites, load_builtin_territory


class Command(BaseCommand):
    help = (
        "Importe ou met à jour les régions, départements, EPCI et communes depuis "
        "<path>/reference/collectivites/*.csv (Etalab / INSEE / DGCL). Relancer la commande ne duplique rien."
    )

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
            help="Limite communes et EPCI à ce département (répétable : --departement 35 --departement 56).",
        )
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="Charge le territoire de démonstration intégré (Ille-et-Vilaine), écoles comprises, sans fichier.",
        )

    def handle(self, *args, path: Path | None, departements: list[str], builtin: bool, **options) -> None:
        departements = [code for value in departements for code in value.split(",") if code.strip()]
        try:
            if builtin:
                report = load_builtin_territory(progress=self.stdout.write)
            else:
                report = import_collectivites(
                    path or Path(settings.REFERENCE_DATA_DIR),
                    departements=departements or None,
                    progress=self.stdout.write,
                )
        except ReferenceDataError as exc:
            raise CommandError(
                f"{exc.message} Vérifiez --path, ou chargez le territoire de démonstration avec --builtin."
            ) from exc
        self.stdout.write(self.style.SUCCESS(str(report)))
