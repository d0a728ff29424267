"""Validating every row of a needs file, then deciding what each row becomes: a new line, an update, or nothing.

Reads the database, never writes. Idempotence rules:
- a row carrying a line identifier (the hidden column of the template and exports) updates that line, which must
  belong to the same collectivité and campaign;
- a row without identifier that is identical to an existing line of the collectivité in the campaign (same
  normalised text, site, quantity and unit) is that line, not a new one; each existing line answers for one row
  only, so two identical rows in a file are two lines, and importing the same file again creates nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from openpyxl.utils import get_column_letter

from catalog.models import Family
from procurement.errors import DomainError
from procurement.imports import values as v
from procurement.imports.headers import BUDGET, DATE, FAMILY, QUANTITY, SITE, TEXT, UNIT, normalise
from procurement.imports.headers import UUID as ID
from procurement.imports.reading import FileRejected, Table, open_table
from procurement.models import Campaign, Collectivity, NeedLine, Site

# File column → NeedLine attribute, for the columns that carry a line's values.
ATTRIBUTES = {
    TEXT: "text",
    QUANTITY: "quantity",
    UNIT: "unit",
    SITE: "site_id",
    DATE: "wished_delivery_date",
    BUDGET: "budget_ht",
}
IDENTITY = ("text", "quantity", "unit", "site_id")  # what makes a row without identifier « the same line »
DATE_HORIZON_YEARS = 6
MAX_REPORTED_ERRORS = 500
PROGRESS_EVERY = 5000


@dataclass(slots=True)
class CleanRow:
    number: int
    uuid: UUID | None
    text: str
    quantity: int
    unit: str
    site_id: int | None
    wished_delivery_date: date | None
    budget_ht: Decimal | None

    def key(self) -> tuple:
        return (v.text_key(self.text), self.site_id, self.quantity, self.unit)


@dataclass(slots=True)
class ExistingLine:
    pk: int
    uuid: UUID
    text: str
    quantity: int
    unit: str
    site_id: int | None
    wished_delivery_date: date | None
    budget_ht: Decimal | None
    pooled: bool

    def key(self) -> tuple:
        return (v.text_key(self.text), self.site_id, self.quantity, self.unit)


@dataclass(slots=True)
class Update:
    line: ExistingLine
    row: CleanRow
    changed: list[str]


@dataclass
class ImportPlan:
    kind: str = ""
    sheet: str | None = None
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field key → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    creates: list[CleanRow] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    rejected_rows: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def present(self) -> list[str]:
        """NeedLine attributes the file carries: only these are compared and updated."""
        return [attribute for key, attribute in ATTRIBUTES.items() if key in self.columns]

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "create": len(self.creates),
            "update": len(self.updates),
            "unchanged": self.unchanged,
            "rejected": self.rejected_rows,
            "errors": self.error_count,
        }

    def add_error(self, issue: dict) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(issue)


def file_issue(message: str) -> dict:
    return {"sheet": None, "row": None, "column": None, "header": None, "message": message}


def issue_text(issue: dict) -> str:
    """« Feuille « Besoins », ligne 7, colonne C « Quantité » : message »."""
    parts = []
    if issue.get("sheet"):
        parts.append(f"feuille « {issue['sheet']} »")
    if issue.get("row"):
        parts.append(f"ligne {issue['row']}")
    if issue.get("column"):
        parts.append(f"colonne {issue['column']}" + (f" « {issue['header']} »" if issue.get("header") else ""))
    where = ", ".join(parts)
    return f"{where[:1].upper()}{where[1:]} : {issue['message']}" if where else issue["message"]


class _Context:
    """What validating a row needs, loaded once: the member's sites, the families, the date window."""

    def __init__(self, *, campaign: Campaign, collectivity: Collectivity):
        self.campaign = campaign
        self.collectivity = collectivity
        sites = Site.objects.filter(competent_collectivity=collectivity).values_list("pk", "uai", "name")
        self.site_by_uai = {uai: pk for pk, uai, _ in sites}
        self.site_by_name = {normalise(name): pk for pk, _, name in sites}
        self.families = {normalise(n) for pair in Family.objects.values_list("name", "code") for n in pair}
        self.earliest = campaign.opens_on
        self.latest = date(campaign.opens_on.year + DATE_HORIZON_YEARS, 12, 31)
        self.site_cache: dict[str, int | v.CellError | None] = {}


def plan_import(
    *,
    campaign: Campaign,
    collectivity: Collectivity,
    content: bytes,
    filename: str,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read and validate the whole file, then sort its rows into creates, updates and unchanged lines.

    File-level problems (format, size, headers) come back as a single error; row problems name the sheet, the
    row and the column. The plan is `ok` only when no row is wrong; callers save nothing otherwise.
    """
    plan = ImportPlan()
    try:
        with open_table(content=content, filename=filename) as table:
            plan.kind, plan.sheet, plan.header_row = table.kind, table.sheet, table.header_row
            plan.columns = dict(table.headers.labels)
            plan.ignored_columns = list(table.headers.unknown)
            rows = _read_rows(table, plan, _Context(campaign=campaign, collectivity=collectivity), progress)
    except FileRejected as exc:
        return _rejected(plan, exc.message)
    if plan.rows == 0:
        return _rejected(
            plan,
            "Le fichier ne contient aucune ligne de besoin sous les en-têtes (la ligne d'exemple du modèle est "
            "ignorée) : ajoutez vos lignes puis déposez-le à nouveau.",
        )
    _sort_rows(rows, plan, table, campaign=campaign, collectivity=collectivity)
    return plan


def _rejected(plan: ImportPlan, message: str) -> ImportPlan:
    plan.creates, plan.updates, plan.unchanged = [], [], 0
    plan.add_error(file_issue(message))
    return plan


def _issue(table: Table, number: int, key: str | None, message: str) -> dict:
    index = table.headers.columns.get(key) if key else None
    return {
        "sheet": table.sheet,
        "row": number,
        "column": get_column_letter(index + 1) if index is not None else None,
        "header": table.headers.labels.get(key) if key else None,
        "message": message,
    }


def _read_rows(table: Table, plan: ImportPlan, ctx: _Context, progress) -> list[CleanRow]:
    """First pass: every cell of every row parsed and checked on its own; sites outside the member's list are
    resolved in bulk at the end."""
    columns = table.headers.columns
    indexes = [(key, columns.get(key)) for key in (ID, TEXT, QUANTITY, UNIT, SITE, FAMILY, DATE, BUDGET)]
    clean: list[CleanRow] = []
    foreign_uai: dict[str, list[CleanRow]] = {}
    for number, cells in table.rows:
        size = len(cells)
        raw = {key: (cells[index] if index is not None and index < size else None) for key, index in indexes}
        if v.is_example(raw[ID], raw[TEXT]):
            continue
        plan.rows += 1
        if progress is not None and plan.rows % PROGRESS_EVERY == 0:
            progress(plan.rows)
        problems: list[tuple[str, str]] = []
        row = _parse_row(number, raw, ctx, problems)
        if row is not None and row.site_id is None and not v.is_blank(raw[SITE]):
            uai = v.parse_uai(raw[SITE])
            if uai is not None:
                foreign_uai.setdefault(uai, []).append(row)
        if problems:
            plan.rejected_rows += 1
            for key, message in problems:
                plan.add_error(_issue(table, number, key, message))
        else:
            clean.append(row)
    if foreign_uai:
        rejected = _resolve_foreign_sites(foreign_uai, table, plan, ctx)
        clean = [row for row in clean if row.number not in rejected]
    return clean


def _parse_row(number: int, raw: dict, ctx: _Context, problems: list) -> CleanRow | None:
    def read(key, parser):
        try:
            return parser(raw[key])
        except v.CellError as exc:
            problems.append((key, exc.message))
            return None

    row = CleanRow(
        number=number,
        uuid=read(ID, v.parse_uuid),
        text=read(TEXT, v.parse_text),
        quantity=read(QUANTITY, v.parse_quantity),
        unit=read(UNIT, v.parse_unit),
        site_id=read(SITE, lambda value: _own_site(value, ctx)),
        wished_delivery_date=read(DATE, lambda value: _date_in_window(value, ctx)),
        budget_ht=read(BUDGET, v.parse_budget),
    )
    family = raw[FAMILY]
    if not v.is_blank(family) and normalise(family) not in ctx.families:
        problems.append(
            (FAMILY, f"La famille « {v.shown(family)} » n'existe pas : choisissez-la dans la liste ou laissez vide.")
        )
    return row


def _own_site(value: object, ctx: _Context) -> int | None:
    """The member's site named by a UAI code or by its exact name; None for central delivery or a foreign UAI
    (checked afterwards, in bulk). Results are remembered: a file names the same sites over and over."""
    if v.is_blank(value):
        return None
    key = str(value)
    if key not in ctx.site_cache:
        try:
            ctx.site_cache[key] = _find_own_site(value, ctx)
        except v.CellError as exc:
            ctx.site_cache[key] = exc
    found = ctx.site_cache[key]
    if isinstance(found, v.CellError):
        raise found
    return found


def _find_own_site(value: object, ctx: _Context) -> int | None:
    uai = v.parse_uai(value)
    if uai is not None:
        return ctx.site_by_uai.get(uai)
    site_id = ctx.site_by_name.get(normalise(value))
    if site_id is None:
        raise v.CellError(
            f"Le site « {v.shown(value)} » n'est pas reconnu : choisissez un établissement dans la liste ou "
            "indiquez son code UAI (8 caractères, par exemple 0350001A). Laissez vide pour une livraison centrale."
        )
    return site_id


def _date_in_window(value: object, ctx: _Context) -> date | None:
    wished = v.parse_date(value)
    if wished is None:
        return None
    if wished < ctx.earliest:
        raise v.CellError(
            f"La date souhaitée ({wished:%d/%m/%Y}) est antérieure à l'ouverture de la campagne : indiquez une date "
            f"à partir du {ctx.earliest:%d/%m/%Y}, ou laissez vide."
        )
    if wished > ctx.latest:
        raise v.CellError(
            f"La date souhaitée ({wished:%d/%m/%Y}) est trop lointaine : indiquez une date au plus tard le "
            f"{ctx.latest:%d/%m/%Y}, ou laissez vide."
        )
    return wished


def _resolve_foreign_sites(pending: dict[str, list[CleanRow]], table: Table, plan: ImportPlan, ctx) -> set[int]:
    """UAI codes that are not the member's sites: unknown codes and sites of another collectivité are errors."""
    from procurement.services.needs import check_site_competence  # services import this package

    known: dict[str, Site] = {}
    codes = list(pending)
    for start in range(0, len(codes), 500):
        for site in Site.objects.filter(uai__in=codes[start : start + 500]):
            known[site.uai] = site
    rejected: set[int] = set()
    for uai, rows in pending.items():
        site = known.get(uai)
        for row in rows:
            if site is None:
                message = (
                    f"Aucun établissement n'est connu sous le code UAI {uai} : vérifiez le code, ou choisissez un "
                    "établissement dans la liste."
                )
            else:
                try:
                    check_site_competence(site=site, collectivity=ctx.collectivity)
                    row.site_id = site.pk
                    continue
                except DomainError as exc:
                    message = exc.message + " Choisissez un établissement de votre collectivité."
            plan.add_error(_issue(table, row.number, SITE, message))
            plan.rejected_rows += 1
            rejected.add(row.number)
    return rejected


def _existing_lines(*, campaign: Campaign, collectivity: Collectivity) -> list[ExistingLine]:
    rows = (
        NeedLine.objects.filter(campaign=campaign, collectivity=collectivity)
        .order_by("pk")
        .values_list(
            "pk", "uuid", "text", "quantity", "unit", "site_id", "wished_delivery_date", "budget_ht", "lot_line__id"
        )
    )
    return [ExistingLine(*values[:8], pooled=values[8] is not None) for values in rows.iterator(chunk_size=5000)]


def _sort_rows(rows: list[CleanRow], plan: ImportPlan, table: Table, *, campaign, collectivity) -> None:
    """Second pass: rows with an identifier first (they claim their line), then the others by identity."""
    existing = _existing_lines(campaign=campaign, collectivity=collectivity)
    by_uuid = {line.uuid: line for line in existing}
    claimed: set[int] = set()
    seen_uuid: dict[UUID, int] = {}
    present = plan.present
    for row in rows:
        if row.uuid is None:
            continue
        line = by_uuid.get(row.uuid)
        if row.uuid in seen_uuid:
            message = (
                f"Cette ligne porte le même identifiant que la ligne {seen_uuid[row.uuid]} : pour ajouter une ligne "
                "copiée, videz sa cellule « Identifiant Mutualis »."
            )
        elif line is None:
            message = (
                "Cet identifiant ne correspond à aucune ligne de votre collectivité dans cette campagne (ligne "
                "supprimée, ou copiée d'un autre fichier) : videz la cellule pour créer une nouvelle ligne."
            )
        else:
            seen_uuid[row.uuid] = row.number
            claimed.add(line.pk)
            _update_or_keep(line, row, plan, table, present)
            continue
        plan.add_error(_issue(table, row.number, ID, message))
        plan.rejected_rows += 1
    pool: dict[tuple, list[ExistingLine]] = {}
    for line in reversed(existing):
        if line.pk not in claimed:
            pool.setdefault(line.key(), []).append(line)
    for row in rows:
        if row.uuid is not None:
            continue
        same = pool.get(row.key())
        if same:
            # same line by identity: the cosmetic differences of the text do not make an update
            _update_or_keep(same.pop(), row, plan, table, [name for name in present if name not in IDENTITY])
        else:
            plan.creates.append(row)


def _update_or_keep(line: ExistingLine, row: CleanRow, plan: ImportPlan, table: Table, present: list[str]) -> None:
    changed = [name for name in present if getattr(line, name) != getattr(row, name)]
    if not changed:
        plan.unchanged += 1
    elif line.pooled:
        plan.add_error(
            _issue(
                table,
                row.number,
                ID,
                "Cette ligne fait partie d'un lot de groupement et ne peut plus être modifiée : remettez ses valeurs "
                "d'origine, ou demandez au coordonnateur de la retirer du lot.",
            )
        )
        plan.rejected_rows += 1
    else:
        plan.updates.append(Update(line=line, row=row, changed=changed))
