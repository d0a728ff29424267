"""Import the CPV 2008 nomenclature: ``manage.py import_cpv [PATH]``."""

from django.core.management.base import BaseCommand, CommandError

from catalog.cpv_import import CpvImportError, default_cpv_path, import_cpv


class Command(BaseCommand):
    help = (
        "Importe la nomenclature CPV 2008 (colonnes code, code_with_check_digit, level, parent_code, label_fr, "
        "label_en). Par défaut : REFERENCE_DATA_DIR/reference/cpv/cpv_2008_fr_en.csv. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Fichier CSV de la nomenclature CPV")

    def handle(self, *args, path=None, **options):
        source = path or default_cpv_path()
        self.stdout.write(f"Import des codes CPV depuis {source}")
        try:
            result = import_cpv(source, progress=lambda n: self.stdout.write(f"  {n} codes traités…"))
        except CpvImportError as exc:
            raise CommandError(str(exc)) from exc
        summary = f"{result.rows} codes CPV importés : {result.created} créés, {result.updated} mis à jour."
        self.stdout.write(self.style.SUCCESS(summary))
