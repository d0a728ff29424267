import pytest
from django.urls import reverse

from catalog.models import AliasStatus, CatalogAlias, CatalogItem
from tests import factories as f


def test_item_list_is_public_and_paginated(api_client, seeded):
    response = api_client.get("/api/v1/catalog/items/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == CatalogItem.objects.active().count()
    assert len(data["results"]) == 50
    first = data["results"][0]
    assert {"code", "label", "family", "cpv", "cpv_label", "unit", "reference_unit_price_ht", "price_basis"} <= set(
        first
    )


def test_item_list_filters_by_family_search_and_ordering(api_client, seeded):
    response = api_client.get("/api/v1/catalog/items/", {"family": "reseau", "ordering": "-reference_unit_price_ht"})
    results = response.json()["results"]
    assert results and {r["family"] for r in results} == {"reseau"}
    prices = [float(r["reference_unit_price_ht"]) for r in results]
    assert prices == sorted(prices, reverse=True)

    response = api_client.get("/api/v1/catalog/items/", {"search": "chromebook"})
    codes = {r["code"] for r in response.json()["results"]}
    assert "chromebook-eleve-11" in codes
    assert "ecran-24" not in codes


def test_item_detail_gives_global_aliases_only(api_client, seeded, commune_a):
    item = CatalogItem.objects.get(code="tablette-tactile-10")
    CatalogAlias.objects.create(
        item=item, text="privé", normalized="prive", collectivity=commune_a, status=AliasStatus.ACCEPTED
    )
    response = api_client.get("/api/v1/catalog/items/tablette-tactile-10/")
    assert response.status_code == 200
    data = response.json()
    assert data["cpv"] == "30213200"
    assert "tablette" in data["aliases"]
    assert "privé" not in data["aliases"]


def test_item_detail_unknown_code_is_404(api_client, db):
    assert api_client.get("/api/v1/catalog/items/nexiste-pas/").status_code == 404
    f.CatalogItemFactory(code="retire", is_active=False)
    assert api_client.get("/api/v1/catalog/items/retire/").status_code == 404


def test_family_list_is_public_with_item_counts(api_client, seeded):
    response = api_client.get("/api/v1/catalog/families/")
    assert response.status_code == 200
    results = response.json()["results"]
    tablets = next(r for r in results if r["code"] == "tablettes")
    assert tablets["item_count"] == CatalogItem.objects.filter(family__code="tablettes").count()
    assert [r["position"] for r in results] == sorted(r["position"] for r in results)


def test_cpv_list_is_public_and_searchable(api_client, seeded):
    response = api_client.get("/api/v1/cpv/", {"search": "tablette"})
    assert response.status_code == 200
    codes = [r["code"] for r in response.json()["results"]]
    assert codes == ["30213200"]

    response = api_client.get("/api/v1/cpv/", {"search": "302131"})
    assert [r["code"] for r in response.json()["results"]] == ["30213100"]
    assert "count" in response.json()


def test_catalog_api_is_in_the_openapi_schema(api_client, db):
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/catalog/items/{code}/" in body
    assert "/api/v1/cpv/" in body


def test_api_matches_texts_without_saving_anything(api_client, seeded, alice):
    from procurement.models import NeedLine

    api_client.force_authenticate(alice)
    texts = ["20 tabblettes 10p pour CM1", "repas de la cantine", "😀"]
    response = api_client.post(reverse("api:match_texts"), {"texts": texts}, format="json")
    assert response.status_code == 200
    tablet, meal, emoji = response.data["results"]
    assert tablet["item"] == "tablette-tactile-10" and tablet["status"] == "matched" and tablet["quantity"] == 20
    assert tablet["cpv"] == "30213200" and len(tablet["candidates"]) == 3
    assert meal["status"] == "unmatched" and meal["item"] is None
    assert emoji["status"] == "unmatched" and emoji["explanation"].startswith("Non reconnue")
    assert not NeedLine.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"texts": []}, {"texts": ["x"] * 501}, {"texts": ["a" * 1001]}, {"texts": "tablette"}]
)
def test_api_match_refuses_malformed_requests_with_the_field(api_client, seeded, alice, body):
    api_client.force_authenticate(alice)
    response = api_client.post(reverse("api:match_texts"), body, format="json")
    assert response.status_code == 400 and "texts" in response.data["errors"]


def test_api_match_needs_an_account(api_client, seeded):
    response = api_client.post(reverse("api:match_texts"), {"texts": ["tablette"]}, format="json")
    assert response.status_code in (401, 403)
