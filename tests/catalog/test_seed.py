import json

import pytest

from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from catalog.seed import load_seed_catalog, read_seed
from procurement.models import AuditEvent

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
    # a retired alias names a real item, says why, and is no longer among that item's aliases
    by_code = {i["code"]: i for i in data["items"]}
    for row in data["retired_aliases"]:
        assert row["reason"]
        assert row["text"] not in by_code[row["item"]]["aliases"]


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


@pytest.mark.django_db
def test_loading_the_seed_retires_withdrawn_global_aliases_and_keeps_learnt_ones(tmp_path):
    from procurement.models import Collectivity

    data = read_seed()
    item_code = data["items"][0]["code"]
    data["items"][0]["aliases"].append("armoire forte")
    data["retired_aliases"] = []
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    load_seed_catalog(old)
    item = CatalogItem.objects.get(code=item_code)
    commune = Collectivity.objects.create(name="Commune A", kind="commune", insee_code="01001")
    CatalogAlias.objects.create(item=item, text="armoire forte", normalized="armoire forte", collectivity=commune)

    data["items"][0]["aliases"].remove("armoire forte")
    data["retired_aliases"] = [{"item": item_code, "text": "Armoire forte", "reason": "un coffre"}]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(data), encoding="utf-8")
    result = load_seed_catalog(new)

    assert result.aliases_retired == 1 and "retirés : 1" in str(result)
    remaining = CatalogAlias.objects.filter(item=item, normalized="armoire forte")
    assert list(remaining.values_list("collectivity", flat=True)) == [commune.pk]  # the learnt one stays
    assert load_seed_catalog(new).aliases_retired == 0  # idempotent
    event = AuditEvent.objects.get(action="catalog_alias.retire")
    assert event.actor is None and event.after == {"reason": "un coffre"}
    assert event.before["text"] == "armoire forte"
