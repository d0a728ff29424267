"""Needs import: files as users send them, validation, all-or-nothing, idempotence, hostile files, the command."""

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from procurement.imports import plan_import
from procurement.imports.headers import recognise
from procurement.imports.values import CellError, parse_budget, parse_date, parse_quantity, parse_unit
from procurement.models import AuditEvent, CampaignStatus, NeedLine, ParticipationStatus
from procurement.services.imports import needs_import_run
from tests import factories as f

HEADERS = ["Désignation du besoin", "Quantité", "Unité", "Site de livraison (UAI — nom)", "Date souhaitée", "Budget HT"]


# Files built the way users' tools build them


def xlsx_bytes(rows, *, title="Besoins", extra_sheets=()) -> bytes:
    """A workbook written by openpyxl: `rows` on the first sheet, then (title, rows, state) extra sheets."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, extra_rows, state in extra_sheets:
        extra = workbook.create_sheet(name)
        extra.sheet_state = state
        for row in extra_rows:
            extra.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_xml(ref: str, value, strings: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):  # (formula, cached value), as Excel saves a computed formula
        formula, cached = value
        kind = ' t="str"' if isinstance(cached, str) else ""
        return f'<c r="{ref}"{kind}><f>{escape(formula)}</f><v>{escape(str(cached))}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    strings.append(str(value))
    return f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>'


def raw_xlsx(sheets: list[dict]) -> bytes:
    """A minimal workbook written by hand, like producers other than openpyxl: shared strings, formulas with
    cached values, merged cells, hidden sheets, no declared dimension, no styles part.

    Each sheet: {"name", "rows": [[...]], "state": "visible"|"hidden", "merges": ["E3:E5"]}.
    """
    from openpyxl.utils import get_column_letter

    strings: list[str] = []
    parts = {}
    for number, sheet in enumerate(sheets, start=1):
        rows_xml = "".join(
            f'<row r="{r}">'
            + "".join(_cell_xml(f"{get_column_letter(c)}{r}", value, strings) for c, value in enumerate(row, 1))
            + "</row>"
            for r, row in enumerate(sheet["rows"], start=1)
        )
        merges = sheet.get("merges", [])
        merge_xml = (
            f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges) + "</mergeCells>"
            if merges
            else ""
        )
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows_xml}</sheetData>{merge_xml}</worksheet>"
        )
    sheets_xml = "".join(
        f'<sheet name="{escape(s["name"])}" sheetId="{n}" r:id="rId{n}"'
        + (f' state="{s["state"]}"' if s.get("state", "visible") != "visible" else "")
        + "/>"
        for n, s in enumerate(sheets, start=1)
    )
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["xl/workbook.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{rel_ns}">'
        f"<sheets>{sheets_xml}</sheets></workbook>"
    )
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>"
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{rel_ns}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{sheet_rels}<Relationship Id="rId{len(sheets) + 1}" Type="{rel_ns}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    parts["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{main}.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    parts["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
        f"{overrides}</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def csv_bytes(rows, *, delimiter=";", encoding="cp1252", bom=False) -> bytes:
    """As Excel or LibreOffice save « CSV (séparateur : point-virgule) » on a French Windows: cp1252, CRLF."""
    text = "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def run(campaign, collectivity, content, *, filename="besoins.xlsx", actor=None, dry_run=False):
    return needs_import_run(
        campaign=campaign, collectivity=collectivity, actor=actor, filename=filename, content=content, dry_run=dry_run
    )


def messages(report) -> str:
    return "\n".join(error["text"] for error in report.as_dict()["errors"])


@pytest.fixture
def future():
    return timezone.localdate() + timedelta(days=60)


# Cell values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/2026", date(2026, 3, 12)),
        ("12-03-2026", date(2026, 3, 12)),
        ("12.03.26", date(2026, 3, 12)),
        ("2026-03-12", date(2026, 3, 12)),
        ("mars 2026", date(2026, 3, 1)),
        ("Février 2027", date(2027, 2, 1)),
        ("1er septembre 2026", date(2026, 9, 1)),
        ("03/2026", date(2026, 3, 1)),
        (46000, date(2025, 12, 9)),
    ],
)
def test_dates_are_read_in_french_formats(text, expected):
    assert parse_date(text) == expected


def test_an_impossible_date_says_how_to_write_it():
    with pytest.raises(CellError, match="JJ/MM/AAAA"):
        parse_date("31/02/2026")


@pytest.mark.parametrize(
    ("text", "expected"), [("1 200", 1200), ("1\u00a0200", 1200), ("1\u202f200", 1200), (12.0, 12), ("12,0", 12)]
)
def test_quantities_accept_thousands_separators(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["12,5", "0", "-3", "1000001", "douze", "12 u"])
def test_quantity_must_be_a_whole_number_in_range(text):
    with pytest.raises(CellError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", Decimal("12.50")),
        ("1 200,50 €", Decimal("1200.50")),
        ("1.200,50", Decimal("1200.50")),
        (3500, Decimal("3500.00")),
    ],
)
def test_budgets_accept_french_decimals(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("Unités", "unite"), ("u", "unite"), ("Licences", "licence"), ("mètre", "metre")]
)
def test_units_accept_labels_and_plurals(text, expected):
    assert parse_unit(text) == expected


@pytest.mark.parametrize(
    "header",
    ["Qté", "QUANTITÉ", "quantite", "Qte", "Nb", "  Quantité * "],
)
def test_quantity_header_variants_are_recognised(header):
    assert recognise(["Désignation", header]).columns == {"text": 0, "quantity": 1}


def test_reordered_and_renamed_headers_are_recognised():
    headers = recognise(["Budget HT (€)", "Code UAI", "Libellé", "Date souhaitée", "Qté", "Commentaire"])
    assert headers.columns == {"budget": 0, "site": 1, "text": 2, "date": 3, "quantity": 4}
    assert headers.unknown == ["Commentaire"]


def test_description_du_besoin_and_etablissement_are_recognised():
    headers = recognise(["Description du besoin", "Établissement", "Quantité demandée"])
    assert headers.columns == {"text": 0, "site": 1, "quantity": 2}


# Importing


def test_a_valid_file_creates_the_lines_and_matches_them(campaign, commune_a, site_a, alice, future):
    content = xlsx_bytes(
        [
            HEADERS,
            ["15 tablettes 10 pouces pour les CM1", 15, "unité", f"{site_a.uai} — {site_a.name}", future, 5250],
            ["Vidéoprojecteur interactif", "2", "", site_a.uai, None, "1 200,50"],
        ]
    )
    report = run(campaign, commune_a, content, actor=alice)
    assert report.ok and report.applied, messages(report)
    assert report.counts["create"] == 2
    first, second = NeedLine.objects.order_by("pk")
    assert (first.quantity, first.site, first.wished_delivery_date, first.budget_ht) == (15, site_a, future, 5250)
    assert (second.quantity, second.unit, second.budget_ht) == (2, "unite", Decimal("1200.50"))
    assert first.created_by == alice and first.match_status != "pending"
    assert AuditEvent.objects.filter(action="needs_import.apply").exists()
    assert campaign.participations.get(collectivity=commune_a).status == ParticipationStatus.STARTED


def test_any_wrong_row_saves_nothing_and_names_sheet_row_and_column(campaign, commune_a, site_b):
    content = xlsx_bytes(
        [
            HEADERS,
            ["Tablettes", 10],
            ["Casques", "12,5"],
            ["", 3],
            ["Écrans", 4, "caisse"],
            ["Bornes wifi", 2, "", site_b.uai],
        ]
    )
    report = run(campaign, commune_a, content)
    assert not report.ok and not report.applied
    assert NeedLine.objects.count() == 0
    text = messages(report)
    assert (
        "Feuille « Besoins », ligne 3, colonne B « Quantité » : La quantité « 12,5 » n'est pas un nombre entier" in text
    )
    assert "ligne 4, colonne A « Désignation du besoin » : La désignation du besoin est obligatoire" in text
    assert "ligne 5, colonne C « Unité »" in text
    assert (
        f"ligne 6, colonne D « Site de livraison (UAI — nom) » : Le site « {site_b.name} » ({site_b.uai}) ne relève pas"
        in text
    )
    assert report.counts["rejected"] == 4


def test_dates_before_the_campaign_opening_are_refused_with_the_first_allowed_day(campaign, commune_a):
    content = xlsx_bytes([HEADERS, ["Tablettes", 3, "", "", "01/01/2020"]])
    report = run(campaign, commune_a, content)
    assert f"à partir du {campaign.opens_on:%d/%m/%Y}" in messages(report)


def test_unknown_uai_and_too_long_text_are_refused(campaign, commune_a):
    content = xlsx_bytes([HEADERS, ["x" * 1001, 3], ["Tablettes", 3, "", "9999999Z"]])
    text = messages(run(campaign, commune_a, content))
    assert "1001 caractères" in text and "code UAI 9999999Z" in text


def test_importing_the_same_file_twice_creates_nothing_new(campaign, commune_a, site_a):
    content = xlsx_bytes(
        [
            HEADERS,
            ["Tablettes 10 pouces", 15, "", site_a.uai],
            ["Tablettes 10 pouces", 15, "", site_a.uai],
            ["Casques", 30],
        ]
    )
    assert run(campaign, commune_a, content).counts["create"] == 3
    again = run(campaign, commune_a, content)
    assert again.ok and again.counts == {**again.counts, "create": 0, "update": 0, "unchanged": 3}
    assert NeedLine.objects.count() == 3


def test_identity_ignores_case_accents_and_spacing_but_not_quantity(campaign, commune_a):
    run(campaign, commune_a, xlsx_bytes([HEADERS, ["Écran   interactif", 2]]))
    report = run(campaign, commune_a, xlsx_bytes([HEADERS, ["ecran interactif", 2], ["Écran interactif", 3]]))
    assert (report.counts["unchanged"], report.counts["create"]) == (1, 1)


def test_a_row_without_identifier_updates_budget_and_date_of_its_identical_line(campaign, commune_a, future):
    run(campaign, commune_a, xlsx_bytes([HEADERS, ["Casques audio", 30]]))
    report = run(campaign, commune_a, xlsx_bytes([HEADERS, ["Casques audio", 30, "", "", future, "450"]]))
    assert report.counts["update"] == 1 and NeedLine.objects.count() == 1
    assert NeedLine.objects.get().budget_ht == Decimal("450.00")


def test_rows_with_a_known_identifier_update_their_line(campaign, commune_a):
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Tablettes", quantity=10)
    headers = ["Identifiant Mutualis", *HEADERS]
    report = run(campaign, commune_a, xlsx_bytes([headers, [str(line.uuid), "Tablettes 10 pouces", 12]]))
    assert report.ok and report.counts["update"] == 1
    line.refresh_from_db()
    assert (line.text, line.quantity) == ("Tablettes 10 pouces", 12)
    event = AuditEvent.objects.get(action="need_line.update", target_id=str(line.pk))
    assert event.before["quantity"] == 10 and event.after["quantity"] == 12


def test_an_identifier_of_another_collectivity_is_refused(campaign, commune_a, commune_b):
    foreign = f.NeedLineFactory(campaign=campaign, collectivity=commune_b)
    report = run(
        campaign, commune_a, xlsx_bytes([["Identifiant Mutualis", *HEADERS], [str(foreign.uuid), "Piratage", 1]])
    )
    assert "ne correspond à aucune ligne de votre collectivité" in messages(report)
    foreign.refresh_from_db()
    assert foreign.text != "Piratage"


def test_the_template_example_row_is_ignored(campaign, commune_a):
    content = xlsx_bytes(
        [["Identifiant Mutualis", *HEADERS], ["EXEMPLE", "EXEMPLE — 15 tablettes", 15], ["", "Casques", 4]]
    )
    report = run(campaign, commune_a, content)
    assert report.counts["rows"] == 1 and NeedLine.objects.get().text == "Casques"


def test_closed_campaign_refuses_imports(campaign, commune_a):
    campaign.status = CampaignStatus.CLOSED
    campaign.save()
    with pytest.raises(Exception, match="n'accepte pas de déclaration"):
        run(campaign, commune_a, xlsx_bytes([HEADERS, ["Tablettes", 3]]))


def test_a_submitted_declaration_refuses_imports(campaign, commune_a):
    campaign.participations.filter(collectivity=commune_a).update(status=ParticipationStatus.SUBMITTED)
    with pytest.raises(Exception, match="rouvrir"):
        run(campaign, commune_a, xlsx_bytes([HEADERS, ["Tablettes", 3]]))


def test_a_buyer_cannot_import_for_another_collectivity(campaign, commune_b, alice):
    with pytest.raises(Exception, match="droit de déclarer"):
        run(campaign, commune_b, xlsx_bytes([HEADERS, ["Tablettes", 3]]), actor=alice)


def test_matching_runs_once_per_distinct_text_and_copies_the_outcome(campaign, commune_a, monkeypatch):
    from catalog import services as catalog_services

    item = f.CatalogItemFactory(label="Tablette tactile 10 pouces")
    f.CatalogAliasFactory(item=item, text="tablette tactile", normalized="tablette tactile")
    catalog_services.clear_index_cache()
    calls = []
    original = catalog_services.matching.match
    monkeypatch.setattr(
        catalog_services.matching,
        "match",
        lambda index, text, **kw: (calls.append(text), original(index, text, **kw))[1],
    )
    rows = [HEADERS] + [["Tablette tactile", n, "", ""] for n in range(1, 41)] + [["Casque audio", 1]]
    report = run(campaign, commune_a, xlsx_bytes(rows))
    assert report.ok and sorted(calls) == ["Casque audio", "Tablette tactile"]  # two distinct texts, 41 lines
    matched = set(
        NeedLine.objects.filter(text="Tablette tactile").values_list("catalog_item_id", "match_status", "match_score")
    )
    assert len(matched) == 1 and next(iter(matched))[0] == item.pk


# Files as real users send them


def test_csv_from_excel_in_windows_1252_with_semicolons(campaign, commune_a, site_a):
    content = csv_bytes(
        [
            ["Libellé", "Qté", "Établissement", "Date souhaitée", "Budget HT"],
            ["Vidéoprojecteur élève", "1 200", site_a.uai, "mars 2099", "12,5"],
            ["Câbles HDMI", "3", "", "", ""],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
        ]
    )
    assert b"\xe9" in content  # é in cp1252
    report = run(campaign, commune_a, content, filename="besoins.csv")
    assert "trop lointaine" in messages(report)  # 2099 is outside the window
    content = content.replace(b"mars 2099", f"{campaign.closes_on:%d/%m/%Y}".encode())
    report = run(campaign, commune_a, content, filename="besoins.csv")
    assert report.ok, messages(report)
    line = NeedLine.objects.get(text="Vidéoprojecteur élève")
    assert (line.quantity, line.budget_ht, line.site) == (1200, Decimal("12.50"), site_a)


def test_csv_in_utf8_with_bom_and_commas(campaign, commune_a):
    content = csv_bytes(
        [["Désignation", "Quantité"], ["Tablettes tactiles", "5"]], delimiter=",", encoding="utf-8", bom=True
    )
    report = run(campaign, commune_a, content, filename="besoins.csv")
    assert report.ok and NeedLine.objects.get().text == "Tablettes tactiles"


def test_csv_with_tabs_and_excel_sep_line(campaign, commune_a):
    content = b"sep=\t\r\n" + csv_bytes(
        [["Description du besoin", "Nb"], ["Casques", "7"]], delimiter="\t", encoding="utf-8"
    )
    assert run(campaign, commune_a, content, filename="export.txt").counts["create"] == 1


def test_hand_written_xlsx_with_hidden_sheet_merged_cells_and_cached_formulas(campaign, commune_a, site_a):
    # given a workbook as Excel saves it: a hidden leftover sheet that looks like data, a title row, a site merged
    # over three rows, quantities computed by formulas (with their cached values), no styles and no dimension
    hidden = {"name": "Ancienne saisie", "state": "hidden", "rows": [["Désignation", "Quantité"], ["Vieux besoin", 99]]}
    visible = {
        "name": "Saisie 2027",
        "rows": [
            ["Besoins de la commune pour 2027"],
            ["Qté", "Libellé", "Code UAI", "Budget HT (€)"],
            [("2*6", 12), "Tablettes", f"{site_a.uai} — {site_a.name}", ("B9*10", 3000)],
            [("SUM(1,2)", 3), "Casques", None, None],
            [4, "Claviers", None, "1 200"],
            [None, None, None, None],
        ],
        "merges": ["C3:C5", "A1:D1"],
    }
    content = raw_xlsx([hidden, {"name": "Notes", "rows": [["Rien ici"]]}, visible])
    # when it is imported
    report = run(campaign, commune_a, content)
    # then only the visible sheet with headers counts, the merged site applies to each row, formulas give values
    assert report.ok, messages(report)
    assert report.sheet == "Saisie 2027" and report.counts["create"] == 3
    lines = {line.text: line for line in NeedLine.objects.all()}
    assert set(lines) == {"Tablettes", "Casques", "Claviers"}
    assert all(line.site == site_a for line in lines.values())
    assert (lines["Tablettes"].quantity, lines["Tablettes"].budget_ht, lines["Casques"].quantity) == (12, 3000, 3)


def test_errors_point_to_the_rows_of_the_visible_sheet(campaign, commune_a):
    content = raw_xlsx(
        [{"name": "Feuil1", "rows": [["titre"], [], ["Désignation", "Quantité"], ["Tablettes", "beaucoup"]]}]
    )
    assert "Feuille « Feuil1 », ligne 4, colonne B « Quantité »" in messages(run(campaign, commune_a, content))


def test_missing_quantity_column_is_named(campaign, commune_a):
    text = messages(run(campaign, commune_a, xlsx_bytes([["Désignation", "Site", "Budget"], ["Tablettes", "", 3]])))
    assert "Il manque la colonne « Quantité »" in text


# Hostile files: a clear message, nothing saved


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (3 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "vide.xlsx", "Le fichier est vide"),
        (b"   \r\n", "vide.csv", "Le fichier est vide"),
        (b"<html>not a workbook</html>", "besoins.xlsx", "n'est pas un classeur Excel"),
        (b"PK\x03\x04 truncated garbage", "besoins.xlsx", "n'est pas un classeur Excel (.xlsx) lisible"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "protege.xlsx", "protégé par un mot de passe"),
        (bytes(range(256)) * 20, "binaire.csv", "ni un classeur Excel"),
        (b"Nom;Prenom\r\nDupont;Jean\r\n", "autre.csv", "ne contient pas les en-têtes attendus"),
        (b"D\xe9signation;Quantit\xe9\r\n", "entetes.csv", "aucune ligne de besoin"),
    ],
)
def test_hostile_or_empty_files_are_refused_clearly(campaign, commune_a, content, filename, expected):
    report = run(campaign, commune_a, content, filename=filename)
    assert not report.ok and expected in messages(report)
    assert NeedLine.objects.count() == 0


def test_a_zip_bomb_is_refused_before_opening(campaign, commune_a, settings):
    settings.NEEDS_IMPORT_MAX_UNZIPPED_BYTES = 2 * 1024 * 1024
    content = _zip_bomb()
    assert len(content) < 20_000
    assert "une fois décompressé" in messages(run(campaign, commune_a, content))


def test_a_docx_like_archive_is_not_a_workbook(campaign, commune_a):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert "pas un classeur Excel" in messages(run(campaign, commune_a, buffer.getvalue()))


def test_too_many_rows_are_refused(campaign, commune_a, settings):
    settings.NEEDS_IMPORT_MAX_ROWS = 5
    report = run(campaign, commune_a, xlsx_bytes([HEADERS] + [[f"Besoin {n}", 1] for n in range(6)]))
    assert "plus de 5 lignes" in messages(report) and NeedLine.objects.count() == 0
    assert run(campaign, commune_a, xlsx_bytes([HEADERS] + [[f"Besoin {n}", 1] for n in range(5)])).ok


def test_dry_run_saves_nothing(campaign, commune_a):
    report = run(campaign, commune_a, xlsx_bytes([HEADERS, ["Tablettes", 3]]), dry_run=True)
    assert report.ok and not report.applied and report.counts["create"] == 1
    assert NeedLine.objects.count() == 0


def test_plan_reports_ignored_columns(campaign, commune_a):
    plan = plan_import(
        campaign=campaign,
        collectivity=commune_a,
        content=xlsx_bytes([["Libellé", "Qté", "Remarque"], ["A", 1]]),
        filename="x.xlsx",
    )
    assert plan.ignored_columns == ["Remarque"] and plan.columns == {"text": "Libellé", "quantity": "Qté"}


# The command


def test_command_imports_by_insee_code_and_is_idempotent(campaign, commune_a, tmp_path, capsys):
    path = tmp_path / "besoins.xlsx"
    path.write_bytes(xlsx_bytes([HEADERS, ["Tablettes", 3], ["Casques", 4]]))
    call_command("import_needs", str(path), campaign=campaign.pk, collectivite=commune_a.insee_code)
    assert "2 lignes lues : 2 ont été créées" in capsys.readouterr().out
    call_command("import_needs", str(path), campaign=campaign.pk, collectivite=commune_a.siren, format="json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and payload["counts"]["create"] == 0 and payload["counts"]["unchanged"] == 2
    assert NeedLine.objects.count() == 2


def test_command_exits_non_zero_with_json_errors(campaign, commune_a, tmp_path, capsys):
    path = tmp_path / "besoins.csv"
    path.write_bytes(csv_bytes([["Désignation", "Quantité"], ["Tablettes", "12,5"]]))
    with pytest.raises(CommandError) as error:
        call_command("import_needs", str(path), campaign=campaign.pk, collectivite=commune_a.insee_code, format="json")
    assert error.value.returncode == 1
    payload = json.loads(capsys.readouterr().out)
    assert not payload["ok"] and payload["errors"][0]["row"] == 2 and payload["errors"][0]["column"] == "B"
    assert "n'est pas un nombre entier" in payload["errors"][0]["text"]
    assert NeedLine.objects.count() == 0


def test_command_refuses_an_unknown_collectivity(campaign, tmp_path, capsys):
    path = tmp_path / "b.csv"
    path.write_bytes(b"x")
    with pytest.raises(CommandError, match="Aucune collectivité"):
        call_command("import_needs", str(path), campaign=campaign.pk, collectivite="00000", format="json")
    assert json.loads(capsys.readouterr().out)["ok"] is False
