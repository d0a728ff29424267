"""Opening the files users send: XLSX (visible sheet with recognisable headers) or CSV (any usual encoding and
delimiter), defended against hostile files, and read as rows of raw cell values.

No ORM here. Every refusal is a `FileRejected` with a French message that says what to do; nothing else escapes
(a corrupt file never becomes a server error).
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from procurement.errors import DomainError
from procurement.imports.headers import COLUMNS_BY_KEY, HeaderMap, recognise
from procurement.imports.values import is_blank

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SCAN_ROWS = 30
CSV_DELIMITERS = ";,\t"
MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
DIMENSION_REF = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*[0-9]*:?[A-Z]*([0-9]+)\"")
RESAVE_HINT = (
    "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx, ou partez du modèle à télécharger."
)


def max_rows() -> int:
    return int(getattr(settings, "NEEDS_IMPORT_MAX_ROWS", 100_000))


def max_unzipped_bytes() -> int:
    return int(getattr(settings, "NEEDS_IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024))


def max_file_bytes() -> int:
    return int(getattr(settings, "NEEDS_IMPORT_MAX_FILE_BYTES", 30 * 1024 * 1024))


class FileRejected(DomainError):
    """The file as a whole cannot be imported (format, size, protection, no recognisable headers)."""

    code = "invalid_file"


@dataclass
class Table:
    """The sheet chosen in a file: where its headers are and an iterator over its non-empty data rows."""

    kind: str  # "xlsx" or "csv"
    sheet: str | None  # None for a CSV file
    header_row: int
    headers: HeaderMap
    rows: Iterator[tuple[int, Sequence]]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} Mo"


def detect_format(*, content: bytes, filename: str) -> str:
    """'xlsx' or 'csv' from the bytes themselves (the name is a hint only); FileRejected for anything else."""
    name = (filename or "").lower()
    if not content or not content.strip():
        raise FileRejected("Le fichier est vide : enregistrez vos besoins dans le modèle puis déposez-le à nouveau.")
    if len(content) > max_file_bytes():
        raise FileRejected(
            f"Le fichier pèse {_megabytes(len(content))}, au-delà de la limite de {_megabytes(max_file_bytes())} : "
            "découpez-le en plusieurs fichiers."
        )
    if content.startswith(OLE2_MAGIC):
        raise FileRejected(
            "Ce fichier est protégé par un mot de passe, ou enregistré dans l'ancien format Excel 97-2003 (.xls) : "
            "retirez le mot de passe et enregistrez-le au format .xlsx (Fichier › Enregistrer sous)."
        )
    if content.startswith(ZIP_MAGIC):
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise FileRejected(f"Ce fichier n'est pas un classeur Excel (.xlsx) valide. {RESAVE_HINT}")
    return "csv"


@contextmanager
def open_table(*, content: bytes, filename: str) -> Iterator[Table]:
    """The table to import from an uploaded file. Rows are read lazily, while the context is open."""
    kind = detect_format(content=content, filename=filename)
    if kind == "xlsx":
        with _open_xlsx(content) as table:
            yield table
    else:
        yield _open_csv(content)


def estimate_rows(*, content: bytes, filename: str) -> int:
    """A cheap guess of the number of rows (declared sheet dimensions, or line count), to pick sync or async."""
    try:
        kind = detect_format(content=content, filename=filename)
    except FileRejected:
        return 0
    if kind == "csv":
        return content.count(b"\n")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            estimate = 0
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with archive.open(info) as member:
                        head = member.read(4096)
                    match = DIMENSION_REF.search(head)
                    estimate = max(estimate, int(match.group(1)) if match else info.file_size // 150)
            return estimate
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


# XLSX


def _check_archive(content: bytes) -> None:
    """Refuse what openpyxl must not open: not a workbook, encrypted members, or a zip bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRejected(f"Ce fichier n'est pas un classeur Excel (.xlsx) lisible. {RESAVE_HINT}") from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise FileRejected(
            "Ce fichier est une archive ZIP mais pas un classeur Excel (.xlsx) : un document OpenDocument (.ods) "
            f"ou Word, peut-être. {RESAVE_HINT}"
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise FileRejected("Ce classeur est chiffré : retirez le mot de passe puis enregistrez-le à nouveau.")
    unzipped = sum(info.file_size for info in infos)
    if unzipped > max_unzipped_bytes():
        raise FileRejected(
            f"Ce classeur occupe {_megabytes(unzipped)} une fois décompressé, au-delà de la limite de "
            f"{_megabytes(max_unzipped_bytes())} : il contient sans doute beaucoup de cellules vides mises en forme. "
            "Copiez vos lignes dans le modèle vierge, ou découpez le fichier."
        )


def _merged_ranges(archive: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet, read from its XML (the read-only worksheet does not expose them)."""
    refs: set[bytes] = set()
    tail = b""
    with archive.open(path.lstrip("/")) as member:
        while chunk := member.read(1 << 20):
            buffer = tail + chunk
            if b"mergeCell" in buffer:
                refs.update(MERGE_REF.findall(buffer))
            tail = buffer[-256:]
    return [range_boundaries(ref.decode()) for ref in refs]


def _fill_merged(rows: Iterator[tuple[int, Sequence]], merges: list[tuple[int, int, int, int]]):
    """Give every row of a vertically merged range the value of its first cell (a site merged over its lines)."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for min_col, min_row, _max_col, max_row in merges:
        if max_row > min_row:
            starts.setdefault(min_row, []).append((min_col - 1, max_row))
    active: list[tuple[int, int, object]] = []
    for number, row in rows:
        if number in starts or active:
            row = list(row)
            active = [(col, last, value) for col, last, value in active if last >= number]
            for col, _last, value in active:
                row.extend([None] * (col + 1 - len(row)))
                if is_blank(row[col]):
                    row[col] = value
            for col, last in starts.get(number, ()):
                active.append((col, last, row[col] if col < len(row) else None))
        yield number, row


@contextmanager
def _open_xlsx(content: bytes) -> Iterator[Table]:
    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many kinds of errors on a damaged file
        raise FileRejected(f"Ce classeur est endommagé ou d'un format non pris en charge. {RESAVE_HINT}") from None
    try:
        yield _choose_sheet(workbook)
    finally:
        workbook.close()


def _choose_sheet(workbook) -> Table:
    best: tuple[int, str, int, HeaderMap] | None = None
    try:
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue  # hidden sheets are lists or leftovers, never the user's data
            sheet.reset_dimensions()  # declared dimensions are often wrong: read every row present
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            for number, cells in rows:
                headers = recognise(cells)
                if not headers.missing:
                    merges = _merged_ranges(workbook._archive, sheet._worksheet_path)
                    data = _limited(_non_empty(_guarded(_fill_merged(rows, merges))))
                    return Table("xlsx", sheet.title, number, headers, data)
                if best is None or headers.score() > best[0]:
                    best = (headers.score(), sheet.title, number, headers)
                if number >= HEADER_SCAN_ROWS:
                    break
    except FileRejected:
        raise
    except Exception:
        raise FileRejected(f"Ce classeur n'a pas pu être lu. {RESAVE_HINT}") from None
    raise _no_headers(best, csv_file=False)


def _no_headers(best: tuple[int, str | None, int, HeaderMap] | None, *, csv_file: bool) -> FileRejected:
    if best is not None and best[0] >= 2:
        _, sheet, number, headers = best
        missing = " et ".join(f"« {COLUMNS_BY_KEY[key].header} »" for key in headers.missing)
        where = f"la ligne {number}" if csv_file else f"la feuille « {sheet} », ligne {number}"
        return FileRejected(
            f"Il manque la colonne {missing} dans les en-têtes de {where} : ajoutez-la ou renommez l'en-tête "
            "(par exemple « Quantité » ou « Désignation »)."
        )
    where = "Le fichier" if csv_file else "Aucune feuille visible du classeur"
    return FileRejected(
        f"{where} ne contient pas les en-têtes attendus (au moins « Désignation du besoin » et « Quantité »). "
        "Partez du modèle à télécharger, ou renommez vos en-têtes de colonnes."
    )


def _guarded(rows):
    try:
        yield from rows
    except FileRejected:
        raise
    except Exception:
        raise FileRejected(
            f"Ce classeur est endommagé : une partie de la feuille est illisible. {RESAVE_HINT}"
        ) from None


def _non_empty(rows):
    for number, row in rows:
        if any(not is_blank(value) for value in row):
            yield number, row


def _limited(rows):
    limit = max_rows()
    for count, item in enumerate(rows, start=1):
        if count > limit:
            raise FileRejected(
                f"Le fichier contient plus de {limit:,} lignes de besoins".replace(",", "\u202f")
                + " : découpez-le en plusieurs fichiers."
            )
        yield item


# CSV


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel « texte Unicode »), else Windows-1252."""
    if content.startswith(codecs.BOM_UTF8):
        content, encodings = content[len(codecs.BOM_UTF8) :], ("utf-8", "cp1252")
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRejected("Le fichier n'est pas un texte lisible : enregistrez-le au format CSV ou .xlsx.")
    controls = sum(1 for char in text[:20000] if ord(char) < 32 and char not in "\t\r\n")
    if "\x00" in text or controls > 10:
        raise FileRejected(f"Ce fichier n'est ni un classeur Excel (.xlsx) ni un fichier CSV lisible. {RESAVE_HINT}")
    return text


def csv_delimiters(text: str) -> list[str]:
    """Candidate delimiters of a CSV text, the sniffed one first (a French Excel export uses « ; »)."""
    sample = text[:65536]
    sample = sample[: sample.rfind("\n")] if "\n" in sample else sample
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ";"
    return [sniffed, *(d for d in CSV_DELIMITERS if d != sniffed)]


def _open_csv(content: bytes) -> Table:
    text = decode_text(content)
    first_line, _, rest = text.partition("\n")
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) == 5:
        candidates, text = [first_line.strip()[4]], rest  # Excel's « sep=; » first line
    else:
        candidates = csv_delimiters(text)
    best = None
    for delimiter in candidates:
        rows = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
        try:
            for number, cells in rows:
                headers = recognise(cells)
                if not headers.missing:
                    return Table("csv", None, number, headers, _limited(_non_empty(_csv_rows(rows))))
                if best is None or headers.score() > best[0]:
                    best = (headers.score(), None, number, headers)
                if number >= HEADER_SCAN_ROWS:
                    break
        except csv.Error as exc:
            raise FileRejected(
                f"Le fichier CSV est mal formé ({exc}) : enregistrez-le à nouveau depuis le tableur."
            ) from None
    raise _no_headers(best, csv_file=True)


def _csv_rows(rows):
    try:
        yield from rows
    except csv.Error as exc:
        raise FileRejected(
            f"Le fichier CSV est mal formé ({exc}) : vérifiez les guillemets, ou enregistrez-le à nouveau depuis "
            "le tableur."
        ) from None
