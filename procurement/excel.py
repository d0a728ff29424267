"""Needs workbooks (openpyxl, write-only): the template a member fills in, and the export of a campaign's lines.

Both share the columns of `procurement.imports.headers`, with the line identifier in a hidden first column, so a
file exported from Mutualis, edited and imported again updates the lines it identifies. Dropdowns read their
choices from a hidden « Listes » sheet (the import ignores hidden sheets); the header row is protected, the data
cells are not.
"""

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.models import Family
from procurement.imports.headers import (
    BUDGET,
    COLUMNS,
    DATE,
    EXPORT_ONLY_HEADERS,
    FAMILY,
    QUANTITY,
    SITE,
    TEXT,
    UNIT,
    UUID,
)
from procurement.imports.values import MAX_TEXT_LENGTH
from procurement.models import MAX_QUANTITY, Campaign, Collectivity, NeedLine, Site, Unit

NEEDS_SHEET = "Besoins"
INSTRUCTIONS_SHEET = "Mode d'emploi"
LISTS_SHEET = "Listes"
TEMPLATE_BLANK_ROWS = 500  # prepared rows under the example (formats, unlocked); the validations reach further
VALIDATION_MARGIN = 5000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATE_FORMAT = "DD/MM/YYYY"
QUANTITY_FORMAT = "#,##0"
EURO_FORMAT = '#,##0.00\\ "€"'
FORMATS = {QUANTITY: QUANTITY_FORMAT, DATE: DATE_FORMAT, BUDGET: EURO_FORMAT}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
INFO_FILL = PatternFill("solid", fgColor="E8EEF5")
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
EXAMPLE_FILL = PatternFill("solid", fgColor="F2F2F2")
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="top")
INFO_WIDTHS = (30, 40, 16, 18)


def site_label(site: Site) -> str:
    """What the site dropdown shows, and the import reads back (the UAI code comes first)."""
    return f"{site.uai} — {site.name}"


def _letter(key: str) -> str:
    return get_column_letter([column.key for column in COLUMNS].index(key) + 1)


def _lists_sheet(workbook: Workbook, sites: list[Site], families: list[str]) -> dict[str, str]:
    """A hidden sheet holding the dropdown choices; returns the range of each list."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    units = [str(unit.label) for unit in Unit]
    labels = [site_label(site) for site in sites]
    sheet.append(["Unités", "Sites de livraison", "Familles"])
    for index in range(max(len(units), len(labels), len(families))):
        sheet.append(
            [
                units[index] if index < len(units) else None,
                labels[index] if index < len(labels) else None,
                families[index] if index < len(families) else None,
            ]
        )
    ranges = {UNIT: f"'{LISTS_SHEET}'!$A$2:$A${len(units) + 1}"}
    if labels:
        ranges[SITE] = f"'{LISTS_SHEET}'!$B$2:$B${len(labels) + 1}"
    if families:
        ranges[FAMILY] = f"'{LISTS_SHEET}'!$C$2:$C${len(families) + 1}"
    return ranges


def _validations(campaign: Campaign, lists: dict[str, str], last_row: int) -> list[DataValidation]:
    def rule(key: str, **options) -> DataValidation:
        letter = _letter(key)
        validation = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True, **options)
        validation.add(f"{letter}2:{letter}{last_row}")
        return validation

    opens = campaign.opens_on
    rules = [
        rule(
            TEXT,
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(MAX_TEXT_LENGTH),
            errorTitle="Désignation trop longue",
            error=f"{MAX_TEXT_LENGTH} caractères au plus.",
            promptTitle="Désignation du besoin",
            prompt="Décrivez le besoin en clair, par exemple « 15 tablettes 10 pouces pour les CM1 ».",
        ),
        rule(
            QUANTITY,
            type="whole",
            operator="between",
            formula1="1",
            formula2=str(MAX_QUANTITY),
            errorTitle="Quantité invalide",
            error="Saisissez un nombre entier de 1 à 1 000 000.",
            promptTitle="Quantité",
            prompt="Un nombre entier de 1 à 1 000 000.",
        ),
        rule(
            UNIT,
            type="list",
            formula1=lists[UNIT],
            errorTitle="Unité inconnue",
            error="Choisissez une unité dans la liste.",
        ),
        rule(
            DATE,
            type="date",
            operator="greaterThanOrEqual",
            formula1=f"DATE({opens.year},{opens.month},{opens.day})",
            errorTitle="Date invalide",
            error=f"Une date au format JJ/MM/AAAA, à partir du {opens:%d/%m/%Y}.",
            promptTitle="Date de livraison souhaitée",
            prompt=f"Facultatif. Au format JJ/MM/AAAA, à partir du {opens:%d/%m/%Y}.",
        ),
        rule(
            BUDGET,
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            errorTitle="Budget invalide",
            error="Un montant positif en euros hors taxes.",
            promptTitle="Budget HT",
            prompt="Facultatif. Montant hors taxes en euros.",
        ),
    ]
    for key, title in ((SITE, "Site de livraison"), (FAMILY, "Famille")):
        if key in lists:
            # A warning, not a refusal: typing a bare UAI code is allowed, the import checks it.
            rules.append(
                rule(
                    key,
                    type="list",
                    formula1=lists[key],
                    errorStyle="warning",
                    errorTitle=f"{title} hors liste",
                    error="Cette valeur n'est pas dans la liste : l'import la vérifiera.",
                )
            )
    return rules


class _NeedsSheet:
    """The « Besoins » sheet: protected header row, hidden identifier column, formats, dropdowns."""

    def __init__(self, workbook: Workbook, *, with_info: bool):
        self.sheet = workbook.create_sheet(NEEDS_SHEET)
        self.with_info = with_info
        for index, column in enumerate(COLUMNS, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        for offset, width in enumerate(INFO_WIDTHS if with_info else ()):
            self.sheet.column_dimensions[get_column_letter(len(COLUMNS) + offset + 1)].width = width
        self.sheet.column_dimensions[_letter(UUID)].hidden = True
        self.sheet.freeze_panes = "B2"
        protection = self.sheet.protection
        protection.sheet = True
        for allowed in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
            setattr(protection, allowed, False)
        self.width = len(COLUMNS) + (len(EXPORT_ONLY_HEADERS) if with_info else 0)

    def setup(self, campaign: Campaign, lists: dict[str, str], last_row: int) -> None:
        for validation in _validations(campaign, lists, last_row):
            self.sheet.data_validations.append(validation)
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(self.width)}{max(last_row, 2)}"

    def header(self) -> None:
        headers = [column.header for column in COLUMNS] + (list(EXPORT_ONLY_HEADERS) if self.with_info else [])
        cells = []
        for value in headers:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, Alignment(wrap_text=True)
            cells.append(cell)
        self.sheet.append(cells)

    def row(self, values: dict, *, info: list | None = None, example: bool = False) -> None:
        cells = []
        for column in COLUMNS:
            cell = WriteOnlyCell(self.sheet, value=values.get(column.key))
            cell.protection = UNLOCKED
            if column.key in FORMATS:
                cell.number_format = FORMATS[column.key]
            if example:
                cell.font, cell.fill = EXAMPLE_FONT, EXAMPLE_FILL
            cells.append(cell)
        for value in info or []:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.fill = INFO_FILL
            cells.append(cell)
        self.sheet.append(cells)


def _instructions(workbook: Workbook, *, campaign: Campaign, collectivity: Collectivity | None, export: bool):
    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET)
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 100
    title = WriteOnlyCell(sheet, value=f"Recensement des besoins — {campaign.title}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append([])
    sheet.append(["Coordonnateur", campaign.coordinator.name])
    sheet.append(["Collectivité", collectivity.name if collectivity else "Tous les membres"])
    sheet.append(["Période de saisie", f"du {campaign.opens_on:%d/%m/%Y} au {campaign.closes_on:%d/%m/%Y}"])
    sheet.append([])
    steps = [
        "Saisissez une ligne par besoin dans la feuille « Besoins » (une ligne par site de livraison).",
        "La ligne grisée marquée « EXEMPLE » montre une ligne remplie : elle est ignorée à l'import.",
        "Enregistrez le fichier au format .xlsx (ou CSV), puis déposez-le sur la page « Importer » de la campagne.",
        "Mutualis vérifie toutes les lignes avant d'enregistrer quoi que ce soit : si une ligne est à corriger, "
        "aucune n'est enregistrée et chaque erreur indique la ligne et la colonne.",
        "Vous pouvez déposer le même fichier plusieurs fois : les lignes déjà importées ne sont pas dupliquées. "
        "Exportez vos lignes, modifiez-les et déposez le fichier : les lignes existantes sont mises à jour.",
        "La colonne A (masquée) identifie les lignes déjà enregistrées : ne la modifiez pas. Pour ajouter une ligne "
        "copiée d'une autre, videz sa cellule dans cette colonne.",
    ]
    if export:
        steps.append(
            "Les colonnes sur fond bleu clair (collectivité, article, rapprochement, valeur) sont "
            "données à titre d'information et ne sont pas relues à l'import."
        )
    heading = WriteOnlyCell(sheet, value="Mode d'emploi")
    heading.font = Font(bold=True)
    sheet.append([heading])
    for number, step in enumerate(steps, start=1):
        cell = WriteOnlyCell(sheet, value=step)
        cell.alignment = WRAP
        sheet.append([f"Étape {number}" if number <= 4 else "À savoir", cell])
    sheet.append([])
    heading = WriteOnlyCell(sheet, value="Colonnes de la feuille « Besoins »")
    heading.font = Font(bold=True)
    sheet.append([heading])
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.help)
        cell.alignment = WRAP
        sheet.append([column.header, cell])


def _families() -> list[str]:
    return list(Family.objects.order_by("position", "name").values_list("name", flat=True))


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def needs_template_xlsx(*, campaign: Campaign, collectivity: Collectivity) -> bytes:
    """The empty template of a member: its sites, the units and the families in dropdowns, one example row."""
    workbook = Workbook(write_only=True)
    _instructions(workbook, campaign=campaign, collectivity=collectivity, export=False)
    needs = _NeedsSheet(workbook, with_info=False)
    sites = list(Site.objects.filter(competent_collectivity=collectivity).order_by("name"))
    lists = _lists_sheet(workbook, sites, _families())
    needs.setup(campaign, lists, TEMPLATE_BLANK_ROWS + VALIDATION_MARGIN)
    needs.header()
    needs.row(
        {
            UUID: "EXEMPLE",
            TEXT: "EXEMPLE — 15 tablettes tactiles 10 pouces pour la classe de CM1 (ligne ignorée à l'import)",
            QUANTITY: 15,
            UNIT: str(Unit.UNIT.label),
            SITE: site_label(sites[0]) if sites else None,
            DATE: campaign.opens_on + timedelta(days=90),
            BUDGET: Decimal("5250.00"),
        },
        example=True,
    )
    for _ in range(TEMPLATE_BLANK_ROWS):
        needs.row({})
    workbook.active = 1
    return _save(workbook)


def needs_export_xlsx(*, campaign: Campaign, lines: Iterable[NeedLine], collectivity: Collectivity | None) -> bytes:
    """The lines of a campaign in the template's columns, with their identifiers, plus read-only information
    (collectivité, catalog item, match status, estimated value). `lines` come from a selector (already scoped)
    with `with_estimated_value()`; `collectivity` is None when the coordinator exports every member."""
    lines = list(lines)
    workbook = Workbook(write_only=True)
    _instructions(workbook, campaign=campaign, collectivity=collectivity, export=True)
    needs = _NeedsSheet(workbook, with_info=True)
    member_ids = {line.collectivity_id for line in lines} | ({collectivity.pk} if collectivity else set())
    sites = list(Site.objects.filter(competent_collectivity_id__in=member_ids).order_by("name"))
    lists = _lists_sheet(workbook, sites, _families())
    needs.setup(campaign, lists, len(lines) + VALIDATION_MARGIN)
    needs.header()
    for line in lines:
        item = line.catalog_item
        needs.row(
            {
                UUID: str(line.uuid),
                TEXT: line.text,
                QUANTITY: line.quantity,
                UNIT: line.get_unit_display(),
                SITE: site_label(line.site) if line.site else None,
                FAMILY: item.family.name if item else None,
                DATE: line.wished_delivery_date,
                BUDGET: line.budget_ht,
            },
            info=[
                line.collectivity.name,
                item.label if item else None,
                line.get_match_status_display(),
                getattr(line, "estimated_value_ht", None),
            ],
        )
    workbook.active = 1
    return _save(workbook)
