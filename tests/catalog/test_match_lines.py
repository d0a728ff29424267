"""``manage.py match_lines``: CSV or XLSX in, CSV out, one pass."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_match_lines_reads_the_text_column_of_a_csv(seeded, tmp_path, django_assert_max_num_queries):
    source = tmp_path / "besoins.csv"
    source.write_text("site;text\nA;20 tablettes 10 pouces\nB;borne wifi\nC;😀\nD;écran interactif\n", "utf-8")
    output = tmp_path / "out.csv"

    with django_assert_max_num_queries(10):  # fingerprint + index build, never one query per line
        call_command("match_lines", str(source), "--output", str(output))

    rows = _read(output)
    assert list(rows[0]) == [
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
    assert [r["text"] for r in rows] == ["20 tablettes 10 pouces", "borne wifi", "😀", "écran interactif"]
    tablet = rows[0]
    assert tablet["quantity"] == "20" and tablet["status"] == "matched" and tablet["cpv_code"] == "30213200"
    assert tablet["catalog_item_label"] == "Tablette tactile 10 pouces"
    candidates = json.loads(tablet["candidates"])
    assert len(candidates) == 3 and candidates[0]["score"] >= candidates[1]["score"]
    assert rows[2]["status"] == "unmatched" and rows[2]["catalog_item_id"] == ""
    assert rows[3]["status"] == "review"


def test_match_lines_uses_the_first_column_of_an_xlsx_without_text_column(seeded, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Désignation", "Quantité"])
    sheet.append(["Vidéoprojecteur interactif ultra courte focale", 3])
    sheet.append([None, 1])
    source = tmp_path / "besoins.xlsx"
    workbook.save(source)
    output = tmp_path / "out.csv"
    printed = io.StringIO()

    call_command("match_lines", str(source), "--output", str(output), stdout=printed)

    rows = _read(output)
    assert rows[0]["status"] == "matched" and rows[0]["cpv_code"] == "38652120"
    assert rows[1]["status"] == "unmatched"
    assert "2 lignes rapprochées en" in printed.getvalue()
    assert ": 1 sûre, 0 à vérifier, 1 non reconnue. Résultat" in printed.getvalue()  # French agreement


def test_match_lines_reads_a_french_excel_csv_export(seeded, tmp_path):
    """Excel's « CSV (séparateur : point-virgule) » is Windows-1252 with semicolons and CRLF."""
    source = tmp_path / "besoins.csv"
    source.write_bytes(
        "Libellé;Quantité\r\nvidéoprojecteur interactif;2\r\nécran numérique 75 pouces;1\r\n".encode("cp1252")
    )
    output = tmp_path / "out.csv"

    call_command("match_lines", str(source), "--output", str(output))

    rows = _read(output)
    assert [r["text"] for r in rows] == ["vidéoprojecteur interactif", "écran numérique 75 pouces"]
    assert rows[0]["cpv_code"] == "38652120"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.csv", None, "Fichier introuvable"),
        ("faux.xlsx", b"pas un classeur", "classeur Excel lisible"),
        ("binaire.csv", b"text\n\x00\x01\x02\x00", "ni un classeur Excel"),
        ("vide.csv", b"", "est vide"),
        ("notes.pdf", b"%PDF", "Format non pris en charge"),
    ],
)
def test_match_lines_explains_unreadable_input_in_french(db, tmp_path, name, content, message):
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("match_lines", str(source), "--output", str(tmp_path / "out.csv"))
