import datetime

from django.urls import reverse

from tenders.api.views import PublicDemandDetail, PublicDemandList
from tenders.models import PublicationStatus
from tests.tenders.conftest import copy_publication

LIST = reverse("api:public_demand_list")

SNAPSHOT_FIELDS = {
    "id",
    "url",
    "ocds_url",
    "title",
    "summary",
    "reference",
    "nature",
    "nature_label",
    "duration_months",
    "renewals",
    "coordinator",
    "members",
    "timeline",
    "totals",
    "families",
    "territories",
    "lots",
}


def _titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


def test_anonymous_reads_the_list(api_client, publication):
    response = api_client.get(LIST)

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert set(data["results"][0]) == SNAPSHOT_FIELDS


def test_anonymous_reads_one_demand(api_client, publication):
    response = api_client.get(reverse("api:public_demand_detail", args=[publication.pk]))

    data = response.json()
    assert response.status_code == 200
    assert set(data) == SNAPSHOT_FIELDS
    assert data["members"] == {"count": 2, "by_kind": {"commune": 2}, "names": ["Bruz", "Cesson-Sévigné"]}
    assert [lot["quantity"] for lot in data["lots"]] == [4290, 440]
    assert set(data["lots"][0]) == {
        "number", "title", "family", "cpv", "quantity", "sites", "members", "items", "territories",
    }  # fmt: skip
    assert set(data["lots"][0]["items"][0]) == {"label", "cpv", "cpv_label", "unit", "unit_label", "quantity"}
    assert data["timeline"]["expected_launch_date"] == "2027-03-01"
    assert data["url"].endswith(reverse("tenders:demand_detail", args=[publication.pk]))


def test_offline_and_unknown_demands_are_404(api_client, publication):
    withdrawn = copy_publication(publication, title="Retirée", status=PublicationStatus.WITHDRAWN)
    superseded = copy_publication(publication, title="Remplacée", status=PublicationStatus.SUPERSEDED)

    for pk in [withdrawn.pk, superseded.pk, 999]:
        assert api_client.get(reverse("api:public_demand_detail", args=[pk])).status_code == 404
    assert _titles(api_client.get(LIST)) == [publication.content["title"]]


def test_list_paginates_by_twenty(api_client, publication):
    for n in range(24):
        copy_publication(publication, title=f"Demande {n}")

    first = api_client.get(LIST).json()
    second = api_client.get(LIST, {"page": 2}).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (25, 20, 5)
    assert first["next"] and second["previous"]


def test_list_filters_by_family_territory_and_search(api_client, publication):
    copy_publication(
        publication, title="Robots", family=("robotique", "Robotique"), territory=("finistere", "Finistère")
    )

    assert _titles(api_client.get(LIST, {"family": "robotique"})) == ["Robots"]
    assert _titles(api_client.get(LIST, {"family": "postes-mobiles"})) == [publication.content["title"]]
    assert _titles(api_client.get(LIST, {"territory": "finistere"})) == ["Robots"]
    assert _titles(api_client.get(LIST, {"family": "inconnue"})) == []
    assert _titles(api_client.get(LIST, {"search": "robots"})) == ["Robots"]


def test_list_orders_by_expected_launch(api_client, publication):
    copy_publication(publication, title="Plus tôt", expected_launch_date=datetime.date(2026, 12, 1))

    assert _titles(api_client.get(LIST, {"ordering": "expected_launch_date"}))[0] == "Plus tôt"
    assert _titles(api_client.get(LIST, {"ordering": "-expected_launch_date"}))[0] == publication.content["title"]
    assert api_client.get(LIST, {"ordering": "budget"}).status_code == 400


def test_public_endpoints_are_open_and_throttled():
    for view in [PublicDemandList, PublicDemandDetail]:
        assert [p.__name__ for p in view.permission_classes] == ["AllowAny"]
        assert view.throttle_scope == "public"


def test_public_endpoints_appear_in_the_openapi_schema(api_client, db, carol):
    api_client.force_authenticate(carol)
    response = api_client.get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/public/demands/" in response.json()["paths"]
