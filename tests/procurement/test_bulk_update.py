"""Updating many need lines at once (`need_lines_update`): one parameterised UPDATE run for all of them. The suite
runs on SQLite and PostgreSQL, so each test checks the database it runs on against what the ORM stores."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError

from procurement.models import MatchStatus, NeedLine
from procurement.services.bulk import need_lines_update
from tests import factories as f

FIELDS = ["catalog_item", "cpv", "match_score", "match_status", "match_explanation", "match_candidates", "updated_at"]
# every column but those each line has of its own
COMPARED = [
    field.attname for field in NeedLine._meta.concrete_fields if field.attname not in ("id", "uuid", "created_at")
]


def _decide(line: NeedLine, item) -> None:
    line.catalog_item, line.cpv = item, item.cpv
    line.match_score, line.match_status = 91.5, MatchStatus.MATCHED
    line.match_explanation = "Rapprochement sûr avec « Câble «\u00a0HDMI\u00a0» 5\u202fm » 😀"
    line.match_candidates = [{"item_id": item.pk, "label": "Tablette « 10 » \\N", "score": 91.5}]
    line.updated_at = datetime(2026, 11, 22, 7, 30, 15, 123456, tzinfo=UTC)


def _stored(pk: int) -> dict:
    line = NeedLine.objects.get(pk=pk)
    return {name: getattr(line, name) for name in COMPARED}


@pytest.mark.django_db
def test_updated_lines_hold_exactly_what_the_orm_stores(campaign, commune_a):
    item = f.CatalogItemFactory(label="Tablette tactile 10 pouces")
    bulk = f.NeedLineFactory.create_batch(3, campaign=campaign, collectivity=commune_a)
    reference = f.NeedLineFactory(campaign=campaign, collectivity=commune_a)
    untouched = f.NeedLineFactory(campaign=campaign, collectivity=commune_a)
    before = _stored(untouched.pk)
    for line in [*bulk, reference]:
        _decide(line, item)

    assert need_lines_update(bulk, FIELDS) == 3
    NeedLine.objects.bulk_update([reference], FIELDS)

    expected = _stored(reference.pk)
    assert expected["match_status"] == MatchStatus.MATCHED and expected["catalog_item_id"] == item.pk
    for line in bulk:
        assert _stored(line.pk) == expected
    assert _stored(untouched.pk) == before  # only the given lines are written


@pytest.mark.django_db
def test_only_the_named_fields_are_written(campaign, commune_a):
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, quantity=4)
    line.quantity, line.match_score = 40, 12.5
    need_lines_update([line], ["match_score"])
    line.refresh_from_db()
    assert (line.quantity, line.match_score) == (4, 12.5)


@pytest.mark.django_db
def test_a_refused_value_writes_nothing(campaign, commune_a):
    """The write is atomic: a line the database refuses (a status left empty) leaves every line as it was."""
    lines = f.NeedLineFactory.create_batch(2, campaign=campaign, collectivity=commune_a)
    lines[0].match_score, lines[1].match_score = 50.0, None
    lines[0].match_status, lines[1].match_status = MatchStatus.REVIEW, None
    with pytest.raises(IntegrityError):
        need_lines_update(lines, ["match_score", "match_status"])
    assert set(NeedLine.objects.values_list("match_status", flat=True)) == {MatchStatus.PENDING}


def test_unsaved_lines_are_refused():
    with pytest.raises(ValueError, match="saved lines"):
        need_lines_update([NeedLine(text="pas encore enregistrée")], ["match_score"])
