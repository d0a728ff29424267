"""Read free-text lines from a CSV or XLSX file and write their matches as CSV (``manage.py match_lines``)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from catalog import matching

OUTPUT_COLUMNS = [
    "text",
    "quantity",
    "unit",
    "catalog_item_id",
    "catalog_item_label",
    "cpv_code",
    "score",
    "status",
    "candidates",
]
TEXT_COLUMN = "text"


class BatchError(Exception):
    """The input cannot be read; the message is in French and names the problem."""


def read_texts(path: Path) -> list[str]:
    """The texts of a CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or XLSX file: the ``text`` column,
    else the first one."""
    if not path.exists() or not path.is_file():
        raise BatchError(f"Fichier introuvable : {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise BatchError(f"Format non pris en charge : {path.name} (attendu : .csv ou .xlsx).")
    header = next(rows, None)
    if header is None:
        raise BatchError(f"Le fichier {path.name} est vide.")
    names = [str(c or "").strip().lower() for c in header]
    column = names.index(TEXT_COLUMN) if TEXT_COLUMN in names else 0
    return [str(row[column]) if column < len(row) and row[column] is not None else "" for row in rows]


def _csv_rows(path: Path) -> Iterator[list]:
    """Rows of a CSV file decoded and split as the needs import does: UTF-8, UTF-16 or Windows-1252 (a French
    Excel « CSV (séparateur : point-virgule) »), delimiter sniffed."""
    from procurement.imports.reading import FileRejected, csv_delimiters, decode_text

    try:
        text = decode_text(path.read_bytes())
    except FileRejected as exc:
        raise BatchError(f"{path.name} : {exc.message}") from exc
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiters(text)[0])
    except csv.Error as exc:
        raise BatchError(f"Le fichier {path.name} n'est pas un CSV valide : {exc}.") from exc


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise BatchError(f"Le fichier {path.name} n'est pas un classeur Excel lisible.") from exc
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def write_results(out: TextIO, texts: list[str], results: list[matching.MatchResult], labels: dict) -> None:
    """One CSV row per text: quantity and unit read from the text, the match, and the top 3 candidates as JSON."""
    writer = csv.writer(out)
    writer.writerow(OUTPUT_COLUMNS)
    for text, result in zip(texts, results, strict=True):
        quantity, unit, _ = matching.extract_quantity(text)
        candidates = [{"item_id": c.item_id, "label": c.label, "score": c.score} for c in result.candidates[:3]]
        writer.writerow(
            [
                text,
                quantity if quantity is not None else "",
                unit or "",
                result.item_id if result.item_id is not None else "",
                labels.get(result.item_id, "") if result.item_id is not None else "",
                result.cpv,
                f"{result.score:.1f}",
                result.status,
                json.dumps(candidates, ensure_ascii=False),
            ]
        )
