"""The BPU / DQE workbook (openpyxl, write-only): price schedule, quantities and per-member / per-site split.

The tenderer types unit prices in one place (the BPU sheet); every amount elsewhere is an Excel formula that
points to that cell, so the DQE and the member and site breakdowns always agree with the prices offered.
"""

from collections import defaultdict
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reports.context import unit_label

EURO = '#,##0.00\\ "€"'
QTY = "#,##0"
VAT_RATE = 0.20  # taux normal, applicable aux équipements numériques
VAT_LABEL = "TVA 20 %"

THIN = Side(style="thin", color="9AA5B1")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TOTAL_FILL = PatternFill("solid", fgColor="E8EEF5")
WRAP = Alignment(wrap_text=True, vertical="top")

BPU_SHEET = "BPU"
PRICE_COLUMN = "G"  # BPU column the tenderer fills in


class SheetWriter:
    """Appends styled rows to a write-only sheet and keeps track of the current row number."""

    def __init__(self, wb: Workbook, title: str, columns: list[tuple[str, float]], *, freeze: bool = True):
        self.ws = wb.create_sheet(title)
        self.row = 0
        for index, (_, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            self.ws.freeze_panes = "A2"
            self.ws.print_title_rows = "1:1"
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.page_setup.fitToHeight = 0
        self.headers = [name for name, _ in columns]

    def cell(self, value: Any, *, fmt: str | None = None, bold: bool = False, fill=None, wrap: bool = False):
        cell = WriteOnlyCell(self.ws, value=value)
        cell.border = BORDER
        if fmt:
            cell.number_format = fmt
        if bold:
            cell.font = Font(bold=True)
        if fill is not None:
            cell.fill = fill
        if wrap:
            cell.alignment = WRAP
        return cell

    def header(self) -> None:
        cells = []
        for name in self.headers:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cells.append(cell)
        self.append(cells)

    def append(self, cells: list) -> int:
        self.ws.append(cells)
        self.row += 1
        return self.row

    def blank(self) -> int:
        return self.append([])


def _price_numbers(lots) -> dict[tuple[int, int | str], str]:
    return {
        (lot.number, item["key"]): f"{lot.number}.{index:02d}"
        for lot in lots
        for index, item in enumerate(lot.items, start=1)
    }


def _instructions(wb: Workbook, ctx: dict) -> None:
    sheet = SheetWriter(wb, "Instructions", [("", 110)], freeze=False)
    ws = sheet.ws
    title = WriteOnlyCell(ws, value="Bordereau des prix unitaires (BPU) et détail quantitatif estimatif (DQE)")
    title.font = Font(bold=True, size=14, color="1F4E79")
    sheet.append([title])
    coordinator = ctx["coordinator"]
    lines = [
        f"Groupement de commandes {ctx['reference']} — {ctx['title']}",
        f"Coordonnateur : {coordinator.name}" + (f" (SIREN {coordinator.siren})" if coordinator.siren else ""),
        f"Document établi le {ctx['generated_on']:%d/%m/%Y}.",
        "",
        "Mode d'emploi",
        "1. Renseignez uniquement les cellules jaunes de la colonne « Prix unitaire HT (€) » de l'onglet BPU.",
        "2. Les prix sont exprimés en euros hors taxes, livraison, installation et garantie comprises.",
        "3. L'onglet DQE calcule automatiquement les montants (quantité × prix unitaire) et les totaux par lot.",
        "4. Les onglets « Répartition par membre » et « Répartition par site » détaillent les quantités de chaque "
        "membre du groupement et de chaque site de livraison, valorisées avec les mêmes prix.",
        "5. Ne modifiez ni les quantités, ni les désignations, ni les formules : les quantités sont estimatives "
        "et issues du recensement des besoins des membres.",
        "6. Répondez pour un ou plusieurs lots ; laissez vides les prix des lots auxquels vous ne répondez pas.",
        "",
    ]
    for line in lines:
        cell = WriteOnlyCell(ws, value=line)
        if line == "Mode d'emploi":
            cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        sheet.append([cell])
    legend = WriteOnlyCell(ws, value="Cellule à renseigner par le candidat")
    legend.fill, legend.border = INPUT_FILL, BORDER
    sheet.append([legend])


def _bpu(wb: Workbook, ctx: dict, numbers: dict) -> dict[tuple[int, int | str], int]:
    sheet = SheetWriter(
        wb,
        BPU_SHEET,
        [
            ("Lot", 8),
            ("N° prix", 9),
            ("Désignation", 40),
            ("Spécifications techniques minimales", 60),
            ("Unité", 11),
            ("Code CPV", 13),
            ("Prix unitaire HT (€)", 18),
        ],
    )
    sheet.header()
    validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    validation.error = "Saisissez un prix unitaire hors taxes positif ou nul."
    validation.errorTitle = "Prix unitaire"
    sheet.ws.data_validations.append(validation)
    rows: dict[tuple[int, int | str], int] = {}
    for lot in ctx["lots"]:
        for item in lot.items:
            key = (lot.number, item["key"])
            row = sheet.append(
                [
                    sheet.cell(lot.number),
                    sheet.cell(numbers[key]),
                    sheet.cell(item["label"], wrap=True),
                    sheet.cell(item["min_specs"], wrap=True),
                    sheet.cell(item["unit_label"]),
                    sheet.cell(item["cpv_display"] or lot.cpv_code),
                    sheet.cell(None, fmt=EURO, fill=INPUT_FILL),
                ]
            )
            rows[key] = row
            validation.add(f"{PRICE_COLUMN}{row}")
    return rows


def _dqe(wb: Workbook, ctx: dict, numbers: dict, bpu_rows: dict) -> None:
    sheet = SheetWriter(
        wb,
        "DQE",
        [
            ("Lot", 8),
            ("N° prix", 9),
            ("Désignation", 45),
            ("Unité", 11),
            ("Quantité", 11),
            ("Prix unitaire HT (€)", 18),
            ("Montant HT (€)", 18),
        ],
    )
    sheet.header()
    lot_totals = []
    for lot in ctx["lots"]:
        first = sheet.row + 1
        for item in lot.items:
            key = (lot.number, item["key"])
            r = sheet.row + 1
            sheet.append(
                [
                    sheet.cell(lot.number),
                    sheet.cell(numbers[key]),
                    sheet.cell(item["label"], wrap=True),
                    sheet.cell(item["unit_label"]),
                    sheet.cell(item["quantity"], fmt=QTY),
                    sheet.cell(f"={BPU_SHEET}!{PRICE_COLUMN}{bpu_rows[key]}", fmt=EURO),
                    sheet.cell(f"=E{r}*F{r}", fmt=EURO),
                ]
            )
        last = sheet.row
        total = f"=SUM(G{first}:G{last})" if last >= first else 0
        row = sheet.append(_total_row(sheet, f"Total lot {lot.number} HT — {lot.title}", 7, total, label_column=2))
        lot_totals.append(f"G{row}")
    sheet.blank()
    grand_total = "=" + "+".join(lot_totals) if lot_totals else 0
    grand = sheet.append(_total_row(sheet, "Total général HT", 7, grand_total, label_column=2))
    vat = sheet.append(_total_row(sheet, VAT_LABEL, 7, f"=G{grand}*{VAT_RATE}", label_column=2))
    sheet.append(_total_row(sheet, "Total général TTC", 7, f"=G{grand}+G{vat}", label_column=2))


def _total_row(sheet: SheetWriter, label: str, width: int, formula, *, label_column: int = 0) -> list:
    """A highlighted row: the label in `label_column`, the amount (a formula) in the last column."""
    cells = [sheet.cell(None, fill=TOTAL_FILL) for _ in range(width - 1)]
    cells[label_column] = sheet.cell(label, bold=True, fill=TOTAL_FILL)
    cells.append(sheet.cell(formula, fmt=EURO, bold=True, fill=TOTAL_FILL))
    return cells


def _members(wb: Workbook, ctx: dict, numbers: dict, bpu_rows: dict) -> None:
    sheet = SheetWriter(
        wb,
        "Répartition par membre",
        [
            ("Membre", 30),
            ("SIREN", 12),
            ("Lot", 7),
            ("N° prix", 9),
            ("Désignation", 40),
            ("Unité", 11),
            ("Quantité", 11),
            ("Prix unitaire HT (€)", 18),
            ("Montant HT (€)", 18),
        ],
    )
    sheet.header()
    quantities: dict[tuple, int] = defaultdict(int)
    labels: dict[tuple, tuple[str, str]] = {}
    for r in ctx["site_rows"]:
        key = (r.collectivity_name, r.collectivity_id, r.lot_number, numbers[(r.lot_number, r.key)], r.key)
        quantities[key] += r.quantity
        labels[key] = (r.item_label, unit_label(r.unit))
    sirens = ctx["sirens"]
    current, first = None, sheet.row + 1
    for key in sorted(quantities):
        name, cid, lot_number, number, item_key = key
        if current is not None and cid != current[1]:
            sheet.append(_total_row(sheet, f"Total {current[0]} HT", 9, f"=SUM(I{first}:I{sheet.row})"))
            first = sheet.row + 1
        current = (name, cid)
        r = sheet.row + 1
        label, unit = labels[key]
        sheet.append(
            [
                sheet.cell(name),
                sheet.cell(sirens.get(cid, "")),
                sheet.cell(lot_number),
                sheet.cell(number),
                sheet.cell(label, wrap=True),
                sheet.cell(unit),
                sheet.cell(quantities[key], fmt=QTY),
                sheet.cell(f"={BPU_SHEET}!{PRICE_COLUMN}{bpu_rows[(lot_number, item_key)]}", fmt=EURO),
                sheet.cell(f"=G{r}*H{r}", fmt=EURO),
            ]
        )
    if current is not None:
        sheet.append(_total_row(sheet, f"Total {current[0]} HT", 9, f"=SUM(I{first}:I{sheet.row})"))


def _sites(wb: Workbook, ctx: dict, numbers: dict, bpu_rows: dict) -> None:
    sheet = SheetWriter(
        wb,
        "Répartition par site",
        [
            ("Membre", 28),
            ("UAI", 11),
            ("Site", 34),
            ("Lot", 7),
            ("N° prix", 9),
            ("Désignation", 36),
            ("Unité", 11),
            ("Quantité", 11),
            ("Prix unitaire HT (€)", 18),
            ("Montant HT (€)", 18),
        ],
    )
    sheet.header()
    rows = sorted(ctx["site_rows"], key=lambda r: (r.collectivity_name, r.site_name, r.lot_number, r.item_label))
    for site_row in rows:
        key = (site_row.lot_number, site_row.key)
        r = sheet.row + 1
        sheet.append(
            [
                sheet.cell(site_row.collectivity_name),
                sheet.cell(site_row.site_uai),
                sheet.cell(site_row.site_name or "Site à préciser", wrap=True),
                sheet.cell(site_row.lot_number),
                sheet.cell(numbers[key]),
                sheet.cell(site_row.item_label, wrap=True),
                sheet.cell(unit_label(site_row.unit)),
                sheet.cell(site_row.quantity, fmt=QTY),
                sheet.cell(f"={BPU_SHEET}!{PRICE_COLUMN}{bpu_rows[key]}", fmt=EURO),
                sheet.cell(f"=H{r}*I{r}", fmt=EURO),
            ]
        )
    if rows:
        sheet.ws.auto_filter.ref = f"A1:J{sheet.row}"
        last = sheet.row
        sheet.blank()
        sheet.append(_total_row(sheet, "Total HT, tous sites", 10, f"=SUM(J2:J{last})"))


def price_schedule_xlsx(ctx: dict) -> bytes:
    """The BPU/DQE workbook of a grouping, from `reports.context.document_context`."""
    wb = Workbook(write_only=True)
    wb.properties.title = f"BPU / DQE — {ctx['reference']}"
    wb.properties.creator = ctx["coordinator"].name
    wb.properties.language = "fr-FR"
    numbers = _price_numbers(ctx["lots"])
    _instructions(wb, ctx)
    bpu_rows = _bpu(wb, ctx, numbers)
    _dqe(wb, ctx, numbers, bpu_rows)
    _members(wb, ctx, numbers, bpu_rows)
    _sites(wb, ctx, numbers, bpu_rows)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
