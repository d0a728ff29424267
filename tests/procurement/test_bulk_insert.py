"""Writing many need lines at once: on PostgreSQL through COPY, elsewhere through bulk_create. The suite runs on both
databases, so each test below checks the path of the database it runs on against what the ORM stores."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.services import texts_match_values
from procurement.models import MatchStatus, NeedLine
from procurement.services.bulk import need_lines_insert
from tests import factories as f

AWKWARD = 'Câble «\u00a0HDMI\u00a0» 5\u202fm\tonglet\nnouvelle ligne \\N antislash "guillemets" 100 % ; 😀 Ωμέγα'
COMPARED = [field.attname for field in NeedLine._meta.concrete_fields if field.attname not in ("id", "uuid")]


@pytest.fixture
def parents(campaign, commune_a, site_a, alice):
    item = f.CatalogItemFactory(label="Tablette tactile 10 pouces")
    return {
        "campaign_id": campaign.pk,
        "collectivity_id": commune_a.pk,
        "site_id": site_a.pk,
        "created_by_id": alice.pk,
        "catalog_item_id": item.pk,
        "cpv_id": item.cpv_id,
    }


def full_values(parents, text=AWKWARD) -> dict:
    return {
        **parents,
        "text": text,
        "quantity": 1_000_000,
        "unit": "lot",
        "wished_delivery_date": date(2027, 2, 28),
        "budget_ht": Decimal("123456789012.34"),
        "match_score": 87.5,
        "match_status": MatchStatus.REVIEW,
        "match_explanation": "mots communs : « tablette », « 10 pouces »",
        "match_candidates": [{"item_id": parents["catalog_item_id"], "label": "Tablette « 10 »", "score": 87.5}],
        "created_at": datetime(2026, 11, 21, 22, 30, 15, 123456, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 21, 22, 30, 15, 123456, tzinfo=UTC),
    }


def stored(line_filter) -> dict:
    line = NeedLine.objects.get(**line_filter)
    return {name: getattr(line, name) for name in COMPARED}


def test_inserted_lines_hold_exactly_what_the_orm_stores(parents):
    values = full_values(parents)
    began = timezone.now()
    assert need_lines_insert([values]) == 1
    orm = NeedLine(**{**values, "text": "par l'ORM"})
    orm.save()

    bulk, reference = stored({"text": AWKWARD}), stored({"pk": orm.pk})
    assert bulk.pop("text") == AWKWARD and reference.pop("text") == "par l'ORM"
    assert began <= bulk.pop("updated_at") <= reference.pop("updated_at")  # auto_now, as save() does
    assert bulk == reference
    assert bulk["budget_ht"] == Decimal("123456789012.34") and bulk["match_candidates"][0]["label"] == "Tablette « 10 »"


def test_left_out_values_take_the_model_defaults(parents):
    minimal = {key: parents[key] for key in ("campaign_id", "collectivity_id")}
    now = datetime(2026, 11, 21, tzinfo=UTC)
    rows = [{**minimal, "text": f"Casque {n}", "quantity": n, "created_at": now} for n in (1, 2)]
    assert need_lines_insert(rows) == 2

    lines = list(NeedLine.objects.order_by("quantity"))
    assert [line.text for line in lines] == ["Casque 1", "Casque 2"]
    assert lines[0].uuid != lines[1].uuid
    for line in lines:
        assert line.match_status == MatchStatus.PENDING and line.match_candidates == []
        assert line.unit == "unite" and line.exclusion_reason == "" and line.site_id is None
        assert line.catalog_item_id is None and line.excluded_at is None


def test_a_missing_required_value_is_refused_by_the_database_and_nothing_is_written(parents):
    good = full_values(parents, text="Ligne correcte")
    without_campaign = {key: value for key, value in full_values(parents).items() if key != "campaign_id"}
    with pytest.raises(IntegrityError), transaction.atomic():
        need_lines_insert([good, without_campaign])
    assert not NeedLine.objects.exists()


def test_a_failure_in_the_callers_transaction_leaves_nothing(parents):
    with pytest.raises(RuntimeError), transaction.atomic():
        need_lines_insert([full_values(parents, text=f"Ligne {n}") for n in range(2500)])
        assert NeedLine.objects.count() == 2500
        raise RuntimeError("the import fails after writing")
    assert not NeedLine.objects.exists()


def test_a_foreign_key_to_nothing_is_refused_by_the_database(parents):
    broken = {**full_values(parents), "site_id": 987_654_321}
    with pytest.raises(IntegrityError), transaction.atomic():
        need_lines_insert([broken])
        connection.check_constraints()  # foreign keys are checked at commit on both databases
    assert not NeedLine.objects.exists()


def test_match_values_of_a_text_are_what_need_lines_match_stores(parents, commune_a):
    from catalog.services import clear_index_cache, need_lines_match

    f.CatalogAliasFactory(item_id=parents["catalog_item_id"], text="tablette tactile", normalized="tablette tactile")
    clear_index_cache()
    line = f.NeedLineFactory(
        campaign_id=parents["campaign_id"], collectivity=commune_a, text="20 tablettes tactiles pour les CM1"
    )
    need_lines_match(lines=[line])
    line.refresh_from_db()

    values = texts_match_values(texts=[line.text, line.text], collectivity_id=commune_a.pk)
    assert list(values) == [line.text]
    assert values[line.text] == {name: getattr(line, name) for name in values[line.text]}
    assert values[line.text]["catalog_item_id"] == parents["catalog_item_id"]
