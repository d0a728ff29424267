"""Load or refresh the curated seed catalog: ``manage.py load_catalog [--path FILE]``."""

from django.core.management.base import BaseCommand, CommandError

from catalog.seed import load_seed_catalog


class Command(BaseCommand):
    help = "Charge ou met à jour le catalogue de référence (familles, articles, synonymes). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Fichier JSON du catalogue (par défaut : catalog/data/seed_catalog.json)")

    def handle(self, *args, path=None, **options):
        try:
            result = load_seed_catalog(path)
        except FileNotFoundError as exc:
            raise CommandError(f"Fichier introuvable : {exc.filename}") from exc
        except (ValueError, KeyError) as exc:
            raise CommandError(f"Fichier de catalogue invalide : {exc}") from exc
        self.stdout.write(self.style.SUCCESS(str(result)))
