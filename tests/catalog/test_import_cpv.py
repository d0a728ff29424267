import pytest
from django.core.management import CommandError, call_command

from catalog.models import CpvCode

HEADER = "code,code_with_check_digit,division,level,parent_code,label_fr,label_en\n"
ROWS = (
    '30000000,30000000-9,30,division,,"Machines de bureau, matériel et fournitures informatiques","Office machinery"\n'
    "30200000,30200000-1,30,group,30000000,Matériel et fournitures informatiques,Computer equipment and supplies\n"
    "30210000,30210000-4,30,class,30200000,Machines de traitement des données (matériel),Data-processing machines\n"
    "30213000,30213000-5,30,category,30210000,Ordinateurs personnels,Personal computers\n"
    "30213100,30213100-6,30,subcategory,30213000,Ordinateurs portables,Portable computers\n"
)


def _write(tmp_path, text, name="cpv.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_import_cpv_creates_codes_with_parents_and_levels(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    call_command("import_cpv", str(path), stdout=None)
    laptop = CpvCode.objects.get(code="30213100")
    assert laptop.code_with_check_digit == "30213100-6"
    assert laptop.parent.code == "30213000"
    assert laptop.level == "subcategory"
    assert laptop.label_en == "Portable computers"
    assert CpvCode.objects.get(code="30000000").parent is None
    assert CpvCode.objects.count() == 5


@pytest.mark.django_db
def test_import_cpv_is_idempotent_and_updates_labels(tmp_path):
    call_command("import_cpv", str(_write(tmp_path, HEADER + ROWS)))
    renamed = _write(tmp_path, HEADER + ROWS.replace("Ordinateurs portables", "Portables"), "v2.csv")

    call_command("import_cpv", str(renamed))

    assert CpvCode.objects.count() == 5
    assert CpvCode.objects.get(code="30213100").label_fr == "Portables"


@pytest.mark.django_db
def test_import_cpv_infers_parent_and_level_when_columns_are_missing(tmp_path):
    path = _write(tmp_path, "code;label_fr\n30213100-6;Ordinateurs portables\n30000000;Machines de bureau\n")
    call_command("import_cpv", str(path))
    laptop = CpvCode.objects.get(code="30213100")
    assert (laptop.parent_id, laptop.level, laptop.code_with_check_digit) == ("30213000", "subcategory", "")
    assert CpvCode.objects.get(code="30000000").level == "division"


@pytest.mark.django_db
def test_import_cpv_reports_progress(tmp_path, capsys):
    from io import StringIO

    out = StringIO()
    call_command("import_cpv", str(_write(tmp_path, HEADER + ROWS)), stdout=out)
    assert "5 codes traités" in out.getvalue()
    assert "5 créés" in out.getvalue()


@pytest.mark.django_db
def test_import_cpv_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_cpv", str(tmp_path / "absent.csv"))


@pytest.mark.django_db
def test_import_cpv_rejects_a_file_that_is_not_csv(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(CommandError, match="n'est pas un fichier CSV"):
        call_command("import_cpv", str(path))
    assert CpvCode.objects.count() == 0


@pytest.mark.django_db
def test_import_cpv_names_the_missing_columns(tmp_path):
    path = _write(tmp_path, "identifiant,libelle\n30213100,Ordinateurs portables\n")
    with pytest.raises(CommandError, match="code, label_fr"):
        call_command("import_cpv", str(path))


@pytest.mark.django_db
def test_import_cpv_rejects_a_bad_code_and_saves_nothing(tmp_path):
    path = _write(tmp_path, HEADER + ROWS + "ABC,,,,,Libellé,Label\n")
    with pytest.raises(CommandError, match="Ligne 7 : code CPV invalide"):
        call_command("import_cpv", str(path))
    assert CpvCode.objects.count() == 0
