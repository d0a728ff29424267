"""manage.py import_etablissements [--path DIR] [--departement 35 ...] [--include-private]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procurement.reference import ReferenceDataError, import_etablissements


class Command(BaseCommand):
    help = (
        "Importe ou met à jour les écoles, collèges et lycées depuis <path>/reference/etablissements/ "
        "(MENJ), rattachés à leur collectivité compétente. Importez d'abord les collectivités."
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
            help="Limite l'import à ce département (répétable).",
        )
        parser.add_argument(
            "--include-private",
            action="store_true",
            help="Importe aussi les établissements privés (is_public=False) ; par défaut seuls les publics.",
        )

    def handle(self, *args, path: Path | None, departements: list[str], include_private: bool, **options) -> None:
        departements = [code for value in departements for code in value.split(",") if code.strip()]
        try:
            report = import_etablissements(
                path or Path(settings.REFERENCE_DATA_DIR),
                departements=departements or None,
                include_private=include_private,
                progress=self.stdout.write,
            )
        except ReferenceDataError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(str(report)))
