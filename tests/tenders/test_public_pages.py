import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from tenders.exports import FIELDNAMES
from tenders.models import PublicationStatus
from tenders.services import publication_withdraw
from tests.tenders.conftest import copy_publication

LIST = reverse("tenders:demand_list")


def _titles(response) -> list[str]:
    return [p.content["title"] for p in response.context["publications"]]


def test_anonymous_visitor_reads_the_list(client, publication):
    response = client.get(LIST)

    assert response.status_code == 200
    assert escape(publication.content["title"]) in response.content.decode()
    assert "Postes de travail mobiles" in response.content.decode()


def test_list_shows_an_empty_state(client, db):
    response = client.get(LIST)

    assert response.status_code == 200
    assert "Aucune demande n'est publiée" in response.content.decode()


def test_list_hides_superseded_and_withdrawn(client, publication):
    copy_publication(publication, title="Ancienne version", status=PublicationStatus.SUPERSEDED)
    copy_publication(publication, title="Retirée", status=PublicationStatus.WITHDRAWN)

    assert _titles(client.get(LIST)) == [publication.content["title"]]


def test_list_searches_title_and_summary(client, publication):
    copy_publication(publication, title="Classes mobiles du Morbihan")

    assert _titles(client.get(LIST, {"q": "morbihan"})) == ["Classes mobiles du Morbihan"]
    assert _titles(client.get(LIST, {"q": "rentrée 2027"})) == [publication.content["title"]]


def test_list_filters_by_family_and_territory_from_the_snapshots(client, publication):
    copy_publication(
        publication, title="Robots", family=("robotique", "Robotique"), territory=("finistere", "Finistère")
    )

    response = client.get(LIST)
    form = response.context["filter_form"]
    assert ("robotique", "Robotique") in form.fields["famille"].widget.choices
    assert ("ille-et-vilaine", "Ille-et-Vilaine") in form.fields["territoire"].widget.choices
    assert _titles(client.get(LIST, {"famille": "robotique"})) == ["Robots"]
    assert _titles(client.get(LIST, {"famille": "affichage"})) == [publication.content["title"]]
    assert _titles(client.get(LIST, {"territoire": "finistere"})) == ["Robots"]
    assert _titles(client.get(LIST, {"territoire": "ille-et-vilaine"})) == [publication.content["title"]]


def test_list_sorts_by_expected_launch(client, publication):
    copy_publication(publication, title="Plus tôt", expected_launch_date=datetime.date(2026, 12, 1))
    copy_publication(publication, title="Sans date")

    titles = _titles(client.get(LIST, {"tri": "expected_launch_date"}))

    assert titles == ["Plus tôt", publication.content["title"], "Sans date"]


def test_list_paginates_by_twenty(client, publication):
    for n in range(24):
        copy_publication(publication, title=f"Demande {n}")

    first, second = client.get(LIST), client.get(LIST, {"page": 2})

    assert len(first.context["publications"]) == 20
    assert len(second.context["publications"]) == 5
    assert "Page 2 sur 2" in second.content.decode()


def test_detail_shows_the_snapshot_in_french(client, publication):
    response = client.get(reverse("tenders:demand_detail", args=[publication.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for text in ["Ille-et-Vilaine", "30213200-7", "Ordinateur tablette", "942", "440", "1 mars 2027"]:
        assert text in body
    assert "4\xa0290" in body and "3\xa0348" in body  # French thousands separator
    assert "2 communes" in body
    assert "Bruz" in body and "Cesson-Sévigné" in body


@pytest.mark.parametrize("status", [PublicationStatus.SUPERSEDED, PublicationStatus.WITHDRAWN])
def test_detail_is_404_once_offline(client, publication, status):
    publication.status = status
    publication.save()

    for name in ["tenders:demand_detail", "tenders:demand_ocds"]:
        assert client.get(reverse(name, args=[publication.pk])).status_code == 404


def test_detail_is_404_for_unknown(client, db):
    assert client.get(reverse("tenders:demand_detail", args=[999])).status_code == 404


def test_withdrawn_publication_leaves_the_page(client, publication, carol):
    publication_withdraw(publication=publication, actor=carol)

    assert client.get(reverse("tenders:demand_detail", args=[publication.pk])).status_code == 404


def test_feed_is_atom_in_french(client, publication):
    response = client.get(reverse("tenders:demand_feed"))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert 'xml:lang="fr"' in body
    assert publication.content["title"] in body
    assert reverse("tenders:demand_detail", args=[publication.pk]) in body


def test_csv_export_has_one_row_per_publication_and_lot(client, publication):
    response = client.get(reverse("tenders:demand_export_csv"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response.status_code == 200
    assert list(rows[0]) == FIELDNAMES
    assert [(r["lot_numero"], r["lot_quantite"], r["cpv_code"]) for r in rows] == [
        ("1", "4290", "30213200-7"),
        ("2", "440", "38652120-7"),
    ]
    assert rows[0]["membres_par_type"] == "commune:2"
    assert rows[0]["lot_territoires"] == "Ille-et-Vilaine (4290)"


def test_json_export_documents_its_columns(client, publication):
    data = json.loads(client.get(reverse("tenders:demand_export_json")).content)

    assert [c["nom"] for c in data["colonnes"]] == FIELDNAMES
    assert len(data["donnees"]) == 2
    assert data["donnees"][1]["lot_intitule"] == "Vidéoprojecteurs"


def test_exports_apply_the_list_filters(client, publication):
    copy_publication(publication, title="Robots", family=("robotique", "Robotique"))

    data = json.loads(client.get(reverse("tenders:demand_export_json"), {"famille": "robotique"}).content)

    assert {row["titre"] for row in data["donnees"]} == {"Robots"}
