"""Match a file of free-text need lines against the catalog: ``manage.py match_lines INPUT --output OUTPUT``."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog import services
from catalog.batch import BatchError, read_texts, write_results
from procurement.templatetags.mutualis import plural_fr


class Command(BaseCommand):
    help = (
        "Rapproche du catalogue les lignes d'un fichier CSV ou XLSX (colonne « text », sinon la première colonne) "
        "et écrit un CSV : text, quantity, unit, catalog_item_id, catalog_item_label, cpv_code, score, status, "
        "candidates (3 meilleurs, en JSON). Un seul passage, sans requête par ligne."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="Fichier d'entrée (.csv ou .xlsx)")
        parser.add_argument("--output", "-o", required=True, help="Fichier CSV de sortie")

    def handle(self, *args, input: str, output: str, **options):
        started = time.perf_counter()
        try:
            texts = read_texts(Path(input))
        except BatchError as exc:
            raise CommandError(str(exc)) from exc
        index = services.get_index()
        results = services.match_texts(texts=texts)
        labels = {item_id: entry.label for item_id, entry in index.entries.items()}
        try:
            with open(output, "w", encoding="utf-8", newline="") as out:
                write_results(out, texts, results, labels)
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire le fichier de sortie {output} : {exc.strerror}.") from exc
        counts = {
            status: sum(1 for r in results if r.status == status) for status in ("matched", "review", "unmatched")
        }
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(texts)} {plural_fr('ligne', len(texts))} {plural_fr('rapprochée', len(texts))} en "
                f"{elapsed:.1f} s : {counts['matched']} {plural_fr('sûre', counts['matched'])}, "
                f"{counts['review']} à vérifier, {counts['unmatched']} "
                f"non {plural_fr('reconnue', counts['unmatched'])}. Résultat : {output}"
            )
        )
