"""Benchmark of the needs import: a 100,000-line XLSX parsed, validated, matched and stored.

    .venv/bin/python benchmarks/import_needs.py [--rows 100000] [--distinct-texts 600]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mutualis_bench .venv/bin/python benchmarks/import_needs.py

Without DATABASE_URL, a throwaway SQLite file is used (never the development database). The script migrates the
database, loads the seed catalog, writes the workbook, times openpyxl alone reading it (read_only, values), then
times the import (`needs_import_run`: parse + validate, then match + store in one transaction) and a second
import of the same file (idempotence: nothing to write). Prints seconds, lines/s, the ratio to openpyxl's read
time, and the peak memory of the process (ru_maxrss). Targets: ≤ 60 s, ≤ 3 × openpyxl, ≤ 500 MB.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCTS = [
    "Tablette tactile 10 pouces",
    "Ordinateur portable enseignant",
    "Vidéoprojecteur interactif",
    "Écran numérique interactif 75 pouces",
    "Casque audio avec micro",
    "Clé USB 32 Go",
    "Borne wifi",
    "Visualiseur de documents",
    "Imprimante laser couleur",
    "Classe mobile 16 tablettes",
    "Licence ENT",
    "Robot de programmation",
    "Enceinte bluetooth",
    "Souris sans fil",
    "Clavier filaire",
    "Chariot de recharge",
    "Ordinateur fixe élève",
    "Câble HDMI 5 m",
    "Appareil photo numérique",
    "Logiciel de lecture",
]
CLASSES = ["CP", "CE1", "CE2", "CM1", "CM2", "maternelle", "ULIS", "salle informatique", "direction", "BCD"]
HEADERS = [
    "Désignation du besoin",
    "Quantité",
    "Unité",
    "Site de livraison (UAI — nom)",
    "Date de livraison souhaitée",
    "Budget HT (€)",
]


def setup_django() -> str:
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='mutualis-bench-')}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
    import django

    django.setup()
    return os.environ["DATABASE_URL"].split("@")[-1]


def make_world(sites_count: int):
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from catalog.seed import load_seed_catalog
    from procurement.models import (
        Campaign,
        CampaignParticipation,
        Collectivity,
        CollectivityKind,
        NeedLine,
        Site,
        SiteKind,
    )
    from procurement.validators import uai_check_letter

    call_command("migrate", verbosity=0)
    load_seed_catalog()
    # The previous runs' lines, deleted in SQL: Django's delete collector would load them all into memory first,
    # and the process's peak memory is one of the figures measured.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {NeedLine._meta.db_table} WHERE campaign_id IN "
            f"(SELECT id FROM {Campaign._meta.db_table} WHERE title LIKE %s)",
            ["Benchmark%"],
        )
    departement, _ = Collectivity.objects.get_or_create(
        kind=CollectivityKind.DEPARTEMENT, insee_code="99", defaults={"name": "Département du benchmark"}
    )
    commune, _ = Collectivity.objects.get_or_create(
        kind=CollectivityKind.COMMUNE, insee_code="99001", defaults={"name": "Commune du benchmark"}
    )
    sites = []
    for n in range(sites_count):
        seven = f"{9900000 + n:07d}"
        site, _ = Site.objects.get_or_create(
            uai=seven + uai_check_letter(seven),
            defaults={"name": f"École du benchmark n°{n}", "kind": SiteKind.ECOLE, "competent_collectivity": commune},
        )
        sites.append(site)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        coordinator=departement,
        title=f"Benchmark {timezone.now():%Y-%m-%d %H:%M:%S}",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=60),
        status="open",
    )
    CampaignParticipation.objects.create(campaign=campaign, collectivity=commune)
    return campaign, commune, sites


def write_workbook(path: Path, rows: int, sites, distinct: int, start) -> None:
    from openpyxl import Workbook

    rng = random.Random(42)
    texts = [f"{product} pour {klass}" for product in PRODUCTS for klass in CLASSES]
    texts = (texts * (distinct // len(texts) + 1))[:distinct]
    texts = [text if i < len(PRODUCTS) * len(CLASSES) else f"{text} (lot {i})" for i, text in enumerate(texts)]
    labels = [f"{site.uai} — {site.name}" for site in sites]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Besoins")
    sheet.append(HEADERS)
    for _ in range(rows):
        sheet.append(
            [
                rng.choice(texts),
                rng.randint(1, 500),
                "unité",
                rng.choice(labels),
                start + timedelta(days=rng.randint(30, 300)),
                round(rng.uniform(50, 20000), 2),
            ]
        )
    workbook.save(path)


def openpyxl_read(path: Path) -> float:
    from openpyxl import load_workbook

    began = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    for sheet in workbook.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            pass
    workbook.close()
    return time.perf_counter() - began


def timed_import(campaign, commune, path: Path) -> tuple[float, float, dict]:
    import catalog.services as catalog_services
    from procurement.services.imports import needs_import_run

    matching = {"seconds": 0.0, "lines": 0}
    original = catalog_services.texts_match_values

    def counted(*, texts, **kwargs):
        began = time.perf_counter()
        texts = set(texts)
        outcome = original(texts=texts, **kwargs)
        matching["seconds"] += time.perf_counter() - began
        matching["lines"] += len(texts)
        return outcome

    catalog_services.texts_match_values = counted
    try:
        began = time.perf_counter()
        report = needs_import_run(
            campaign=campaign, collectivity=commune, actor=None, filename=path.name, content=path.read_bytes()
        )
        total = time.perf_counter() - began
    finally:
        catalog_services.texts_match_values = original
    if not report.ok:
        raise SystemExit(f"Import refusé : {report.as_dict()['errors'][:3]}")
    return total, matching["seconds"], {**report.counts, "matched_lines": matching["lines"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--distinct-texts", type=int, default=600)
    parser.add_argument("--sites", type=int, default=300)
    options = parser.parse_args()

    database = setup_django()
    from django.conf import settings
    from django.db import connection

    settings.NEEDS_IMPORT_MAX_ROWS = max(options.rows, 100_000)
    campaign, commune, sites = make_world(options.sites)
    path = Path(tempfile.mkdtemp(prefix="mutualis-bench-")) / "besoins.xlsx"
    began = time.perf_counter()
    write_workbook(path, options.rows, sites, options.distinct_texts, campaign.opens_on)
    print(f"Base : {connection.vendor} ({database})")
    print(
        f"Classeur : {options.rows:,} lignes, {options.distinct_texts} désignations distinctes, "
        f"{path.stat().st_size / 1e6:.1f} Mo, écrit en {time.perf_counter() - began:.1f} s"
    )

    reference = openpyxl_read(path)
    total, match_seconds, counts = timed_import(campaign, commune, path)
    again, _, counts_again = timed_import(campaign, commune, path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"openpyxl seul (lecture read_only) : {reference:.2f} s")
    print(
        f"Import complet : {total:.2f} s, {options.rows / total:,.0f} lignes/s, "
        f"{total / reference:.2f} × openpyxl ; dont rapprochement {match_seconds:.2f} s "
        f"({counts['matched_lines']} désignations distinctes rapprochées), lecture + contrôle + écriture "
        f"{total - match_seconds:.2f} s"
    )
    print(f"  décompte : {counts}")
    print(f"Réimport du même fichier : {again:.2f} s ({again / reference:.2f} × openpyxl), décompte : {counts_again}")
    print(f"Mémoire maximale du processus : {peak_mb:.0f} Mo")
    verdicts = [
        ("durée ≤ 60 s", total <= 60),
        ("≤ 3 × openpyxl", total <= 3 * reference),
        ("mémoire ≤ 500 Mo", peak_mb <= 500),
    ]
    print("Objectifs : " + ", ".join(f"{label} {'OK' if ok else 'NON ATTEINT'}" for label, ok in verdicts))


if __name__ == "__main__":
    main()
