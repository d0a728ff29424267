import json

import pytest

from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from catalog.seed import load_seed_catalog, read_seed

UNITS = {"unite", "lot", "licence", "abonnement", "forfait", "jour", "heure", "mois", "an", "metre"}


def test_seed_file_is_complete_and_consistent():
    data = read_seed()
    families = {f["code"] for f in data["families"]}
    codes = [i["code"] for i in data["items"]]
    assert len(codes) >= 150
    assert len(codes) == len(set(codes))
    for item in data["items"]:
        assert item["family"] in families
        assert item["unit"] in UNITS
        assert len(item["cpv"]["code"]) == 8 and item["cpv"]["code"].isdigit()
        assert item["cpv"]["code_with_check_digit"].startswith(item["cpv"]["code"] + "-")
        assert item["cpv"]["label_fr"]
        assert float(item["reference_unit_price_ht"]) >= 0
        assert item["price_basis"] and item["label"]
        assert item["aliases"], item["code"]
    # both natures are covered: services are not forgotten
    assert {f["nature"] for f in data["families"]} == {"supplies", "services"}


@pytest.mark.django_db
def test_load_seed_catalog_creates_everything():
    data = read_seed()
    result = load_seed_catalog()
    assert result.items_created == len(data["items"]) == CatalogItem.objects.count()
    assert result.families_created == len(data["families"]) == Family.objects.count()
    assert result.aliases_created == CatalogAlias.objects.count() > len(data["items"])
    assert not CatalogAlias.objects.exclude(status=AliasStatus.ACCEPTED).exists()
    assert not CatalogAlias.objects.filter(collectivity__isnull=False).exists()
    tablet = CatalogItem.objects.get(code="tablette-tactile-10")
    assert tablet.cpv.display_code == "30213200-7"
    assert tablet.aliases.filter(normalized="ipad").exists() is False  # ipad belongs to the iPad item
    assert tablet.aliases.filter(normalized="tablette").exists()


@pytest.mark.django_db
def test_load_seed_catalog_is_idempotent():
    load_seed_catalog()
    counts = (
        CpvCode.objects.count(),
        Family.objects.count(),
        CatalogItem.objects.count(),
        CatalogAlias.objects.count(),
    )
    second = load_seed_catalog()
    assert (second.cpv_created, second.families_created, second.items_created, second.aliases_created) == (0, 0, 0, 0)
    assert (second.families_updated, second.items_updated) == (0, 0)
    assert counts == (
        CpvCode.objects.count(),
        Family.objects.count(),
        CatalogItem.objects.count(),
        CatalogAlias.objects.count(),
    )
    assert "articles : 0 créés" in str(second)


@pytest.mark.django_db
def test_load_seed_catalog_updates_changed_items_and_keeps_richer_cpv_rows(tmp_path):
    CpvCode.objects.create(
        code="30213200", code_with_check_digit="30213200-7", label_fr="Ordinateur tablette", label_en="Tablet computer"
    )
    load_seed_catalog()
    assert CpvCode.objects.get(code="30213200").label_en == "Tablet computer"

    data = read_seed()
    data["items"][0]["reference_unit_price_ht"] = "9999.00"
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    CatalogItem.objects.filter(code=data["items"][0]["code"]).update(is_active=False)

    result = load_seed_catalog(path)

    assert result.items_updated == 1
    item = CatalogItem.objects.get(code=data["items"][0]["code"])
    assert str(item.reference_unit_price_ht) == "9999.00"
    assert item.is_active is False  # loading deactivates nothing and reactivates nothing


@pytest.mark.django_db
def test_load_catalog_command_prints_counts():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("load_catalog", stdout=out)
    assert "articles" in out.getvalue() and "créés" in out.getvalue()
