"""The template and the export: they open, carry dropdowns and a hidden identifier, and round-trip."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from procurement.excel import LISTS_SHEET, NEEDS_SHEET, needs_export_xlsx, needs_template_xlsx
from procurement.models import NeedLine
from procurement.selectors import need_lines_for
from procurement.services.imports import needs_import_run
from tests import factories as f


def open_book(content: bytes):
    return load_workbook(io.BytesIO(content))


def save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def family(db):
    return f.FamilyFactory(name="Postes de travail mobiles")


def test_template_has_instructions_lists_and_a_protected_header(campaign, commune_a, site_a, family):
    book = open_book(needs_template_xlsx(campaign=campaign, collectivity=commune_a))
    assert book.sheetnames == ["Mode d'emploi", NEEDS_SHEET, LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert book.active.title == NEEDS_SHEET
    instructions = " ".join(str(c.value) for row in book["Mode d'emploi"].iter_rows() for c in row if c.value)
    assert campaign.title in instructions and "EXEMPLE" in instructions and commune_a.name in instructions

    sheet = book[NEEDS_SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Identifiant Mutualis", "Désignation du besoin", "Quantité"]
    assert sheet.column_dimensions["A"].hidden
    assert sheet.protection.sheet and sheet[1][1].protection.locked
    assert not sheet["B3"].protection.locked and not sheet["B2"].protection.locked
    assert sheet["A2"].value == "EXEMPLE" and sheet["B2"].value.startswith("EXEMPLE")
    assert sheet["E2"].value == f"{site_a.uai} — {site_a.name}"
    assert sheet["G3"].number_format == "DD/MM/YYYY" and "€" in sheet["H3"].number_format
    assert sheet.column_dimensions["B"].width >= 50
    assert sheet.freeze_panes == "B2"

    validations = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    assert validations["C2"].type == "whole" and validations["C2"].formula2 == "1000000"
    assert validations["D2"].type == "list" and "Listes" in validations["D2"].formula1
    assert validations["E2"].type == "list" and validations["F2"].type == "list"
    assert validations["G2"].type == "date" and f"DATE({campaign.opens_on.year}" in validations["G2"].formula1
    lists = book[LISTS_SHEET]
    assert [c.value for c in lists["A"]][1:4] == ["unité", "lot", "licence"]
    assert lists["B2"].value == f"{site_a.uai} — {site_a.name}" and lists["C2"].value == family.name


def test_template_only_lists_the_members_own_sites(campaign, commune_a, site_a, site_b):
    book = open_book(needs_template_xlsx(campaign=campaign, collectivity=commune_a))
    sites = [c.value for c in book[LISTS_SHEET]["B"] if c.value][1:]
    assert sites == [f"{site_a.uai} — {site_a.name}"]


def test_filled_template_imports_without_the_example(campaign, commune_a, site_a, family):
    # given the template, filled in Excel: two rows under the example
    book = open_book(needs_template_xlsx(campaign=campaign, collectivity=commune_a))
    sheet = book[NEEDS_SHEET]
    wished = timezone.localdate() + timedelta(days=30)
    sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = "Tablettes 10 pouces", 15, "unité", sheet["E2"].value
    sheet["F3"], sheet["G3"], sheet["H3"] = family.name, wished, 5250
    sheet["B4"], sheet["C4"], sheet["D4"] = "Licences ENT", 300, "licence"
    # when it is imported
    report = needs_import_run(
        campaign=campaign, collectivity=commune_a, actor=None, filename="modele.xlsx", content=save(book)
    )
    # then the example row is ignored and both lines exist
    assert report.ok, report.as_dict()["errors"]
    assert report.counts["create"] == 2
    tablets = NeedLine.objects.get(text="Tablettes 10 pouces")
    assert (tablets.site, tablets.wished_delivery_date, tablets.budget_ht) == (site_a, wished, Decimal("5250.00"))
    assert NeedLine.objects.get(text="Licences ENT").unit == "licence"


def test_export_edit_and_reimport_updates_the_identified_lines(campaign, commune_a, site_a, alice):
    # given two lines of commune A, exported by its buyer
    kept = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Casques audio", quantity=30)
    edited = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Tablettes", quantity=10, site=site_a)
    lines = need_lines_for(user=alice, campaign=campaign).order_by("pk")
    book = open_book(needs_export_xlsx(campaign=campaign, lines=lines, collectivity=commune_a))
    sheet = book[NEEDS_SHEET]
    assert sheet["A2"].value == str(kept.uuid) and sheet["A3"].value == str(edited.uuid)
    assert sheet["I1"].value == "Collectivité" and sheet["I2"].value == commune_a.name
    # when the buyer changes a quantity, adds a row, and imports the file back
    sheet["C3"] = 12
    sheet["B4"], sheet["C4"] = "Vidéoprojecteur", 1
    report = needs_import_run(
        campaign=campaign, collectivity=commune_a, actor=alice, filename="export.xlsx", content=save(book)
    )
    # then the edited line is updated, the other is untouched, one line is created, none duplicated
    assert report.ok, report.as_dict()["errors"]
    assert (report.counts["update"], report.counts["unchanged"], report.counts["create"]) == (1, 1, 1)
    edited.refresh_from_db()
    assert edited.quantity == 12 and edited.site == site_a
    assert NeedLine.objects.filter(campaign=campaign, collectivity=commune_a).count() == 3
    # and importing the same file again changes nothing
    again = needs_import_run(
        campaign=campaign, collectivity=commune_a, actor=alice, filename="export.xlsx", content=save(book)
    )
    assert (again.counts["create"], again.counts["update"]) == (0, 0)


def test_buyer_exports_its_own_lines_and_coordinator_all(campaign, commune_a, commune_b, alice, carol):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Ligne de A")
    f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text="Ligne de B")

    def texts(user):
        book = open_book(
            needs_export_xlsx(campaign=campaign, lines=need_lines_for(user=user, campaign=campaign), collectivity=None)
        )
        return {row[1] for row in book[NEEDS_SHEET].iter_rows(min_row=2, values_only=True)}

    assert texts(alice) == {"Ligne de A"}
    assert texts(carol) == {"Ligne de A", "Ligne de B"}
