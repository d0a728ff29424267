"""Read the CPV 2008 nomenclature CSV and upsert it in bulk (used by ``manage.py import_cpv``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog.models import CpvCode, CpvLevel

REQUIRED_COLUMNS = ("code", "label_fr")
OPTIONAL_COLUMNS = ("code_with_check_digit", "label_en", "parent_code", "level")
BATCH_SIZE = 1000
LEVELS = {choice.value for choice in CpvLevel}


class CpvImportError(Exception):
    """The file cannot be imported; the message is in French and names the problem."""


@dataclass(frozen=True)
class CpvImportResult:
    rows: int
    created: int
    updated: int


def default_cpv_path() -> Path:
    return Path(settings.REFERENCE_DATA_DIR) / "reference" / "cpv" / "cpv_2008_fr_en.csv"


def infer_level(code: str) -> str:
    """CPV level from the trailing zeros of the 8 digits: 2 significant digits = division, 3 = group…"""
    significant = len(code.rstrip("0"))
    if significant <= 2:
        return CpvLevel.DIVISION
    return {3: CpvLevel.GROUP, 4: CpvLevel.CLASS, 5: CpvLevel.CATEGORY}.get(significant, CpvLevel.SUBCATEGORY)


def infer_parent(code: str) -> str | None:
    """The code one level up (30213100 → 30213000, 30200000 → 30000000), None for a division."""
    significant = len(code.rstrip("0"))
    if significant <= 2:
        return None
    keep = max(2, significant - 1)
    return code[:keep].ljust(8, "0")


def read_rows(path: Path) -> Iterator[CpvCode]:
    if not path.exists() or not path.is_file():
        raise CpvImportError(f"Fichier CPV introuvable : {path}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
            if "\x00" in header or ("," not in header and ";" not in header):
                raise CpvImportError(f"Le fichier {path.name} n'est pas un fichier CSV (séparateur introuvable).")
            fh.seek(0)
            delimiter = ";" if header.count(";") > header.count(",") else ","
            reader = csv.DictReader(fh, delimiter=delimiter)
            columns = [(c or "").strip() for c in reader.fieldnames or []]
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise CpvImportError(
                    f"Colonnes obligatoires absentes du fichier {path.name} : {', '.join(missing)} "
                    f"(colonnes attendues : {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})."
                )
            for line_number, row in enumerate(reader, start=2):
                yield _row_to_cpv(row, line_number)
    except UnicodeDecodeError as exc:
        raise CpvImportError(f"Le fichier {path.name} n'est pas un fichier CSV en UTF-8.") from exc
    except csv.Error as exc:
        raise CpvImportError(f"Le fichier {path.name} n'est pas un CSV valide : {exc}.") from exc


def _row_to_cpv(row: dict[str, str | None], line_number: int) -> CpvCode:
    row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
    code = row["code"].split("-")[0]
    if len(code) != 8 or not code.isdigit():
        raise CpvImportError(f"Ligne {line_number} : code CPV invalide « {row['code']} » (8 chiffres attendus).")
    if not row["label_fr"]:
        raise CpvImportError(f"Ligne {line_number} : libellé français (label_fr) vide pour le code {code}.")
    level = row.get("level", "")
    return CpvCode(
        code=code,
        code_with_check_digit=row.get("code_with_check_digit", "")[:10],
        label_fr=row["label_fr"][:400],
        label_en=row.get("label_en", "")[:400],
        parent_id=row.get("parent_code") or infer_parent(code),
        level=level if level in LEVELS else infer_level(code),
    )


@transaction.atomic
def import_cpv(path: Path | str | None = None, progress: Callable[[int], None] | None = None) -> CpvImportResult:
    """Upsert every code of the file by batches (bulk_create with update_conflicts: SQLite and PostgreSQL).

    Invariants: one row per code; existing rows get the file's labels, parent and level; rows absent from the
    file are left alone; the whole import is one transaction, so a bad line leaves the table untouched.
    """
    path = Path(path) if path else default_cpv_path()
    existing = set(CpvCode.objects.values_list("code", flat=True))
    seen: set[str] = set()
    batch: list[CpvCode] = []
    rows = created = 0
    for cpv in read_rows(path):
        if cpv.code in seen:
            continue
        seen.add(cpv.code)
        batch.append(cpv)
        rows += 1
        created += cpv.code not in existing
        if len(batch) >= BATCH_SIZE:
            _flush(batch)
            batch = []
            if progress:
                progress(rows)
    if not rows:
        raise CpvImportError(f"Le fichier {path.name} ne contient aucun code CPV.")
    _flush(batch)
    if progress:
        progress(rows)
    return CpvImportResult(rows=rows, created=created, updated=rows - created)


def _flush(batch: list[CpvCode]) -> None:
    if batch:
        CpvCode.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["code_with_check_digit", "label_fr", "label_en", "parent", "level"],
        )
