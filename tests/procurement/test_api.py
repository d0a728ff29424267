from decimal import Decimal

from rest_framework.authtoken.models import Token

from procurement.models import MatchStatus, NeedLine
from tests import factories as f


def test_api_requires_authentication(api_client, campaign):
    response = api_client.get("/api/v1/campaigns/")
    assert response.status_code in (401, 403)


def test_token_authentication_works_for_scripts(api_client, alice, campaign):
    token = Token.objects.create(user=alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/v1/campaigns/")
    assert response.status_code == 200
    assert [c["title"] for c in response.json()["results"]] == [campaign.title]


def test_a_user_without_collectivity_is_denied(api_client, victor):
    api_client.force_authenticate(victor)
    assert api_client.get("/api/v1/need-lines/").status_code == 403


def test_buyer_declares_a_need_line_by_uai(api_client, alice, campaign, site_a):
    api_client.force_authenticate(alice)
    response = api_client.post(
        "/api/v1/need-lines/",
        {
            "campaign": campaign.pk,
            "text": "VPI ultra courte focale salle 12",
            "quantity": 2,
            "site": site_a.uai.lower(),
            "budget_ht": "5000.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["site"] == site_a.uai and body["quantity"] == 2
    assert body["match_status"] in {"matched", "review", "unmatched"}
    assert NeedLine.objects.get().budget_ht == Decimal("5000.00")


def test_invalid_need_line_gets_field_errors_in_french(api_client, alice, campaign):
    api_client.force_authenticate(alice)
    response = api_client.post(
        "/api/v1/need-lines/", {"campaign": campaign.pk, "text": "", "quantity": 0, "site": "0000000Z"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"text", "quantity"}
    assert "supérieure ou égale" in errors["quantity"][0]
    assert not NeedLine.objects.exists()


def test_unknown_uai_is_a_field_error(api_client, alice, campaign):
    api_client.force_authenticate(alice)
    response = api_client.post(
        "/api/v1/need-lines/", {"campaign": campaign.pk, "text": "PC", "quantity": 1, "site": "0350122T"}, format="json"
    )
    assert response.status_code == 400
    assert "0350122T" in response.json()["errors"]["site"][0]


def test_domain_errors_are_400_with_code_and_detail(api_client, alice, campaign, departement, commune_a):
    college = f.SiteFactory(kind="college", commune=commune_a, competent_collectivity=departement)
    api_client.force_authenticate(alice)
    response = api_client.post(
        "/api/v1/need-lines/",
        {"campaign": campaign.pk, "text": "PC", "quantity": 1, "site": college.uai},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "site" and "département" in response.json()["detail"]


def test_need_lines_are_paginated_filtered_and_scoped(api_client, alice, campaign, commune_a, commune_b):
    for n in range(3):
        f.NeedLineFactory(campaign=campaign, collectivity=commune_a, match_status=MatchStatus.REVIEW, text=f"a{n}")
    f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text="secret de B")
    api_client.force_authenticate(alice)
    body = api_client.get("/api/v1/need-lines/", {"match_status": "review", "page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert "secret de B" not in str(api_client.get("/api/v1/need-lines/").json())


def test_need_line_patch_and_delete(api_client, alice, campaign, commune_a):
    api_client.force_authenticate(alice)
    created = api_client.post(
        "/api/v1/need-lines/", {"campaign": campaign.pk, "text": "PC", "quantity": 1}, format="json"
    )
    pk = created.json()["id"]
    assert api_client.patch(f"/api/v1/need-lines/{pk}/", {"quantity": 4}, format="json").json()["quantity"] == 4
    assert api_client.patch(f"/api/v1/need-lines/{pk}/", {"quantity": -4}, format="json").status_code == 400
    assert api_client.delete(f"/api/v1/need-lines/{pk}/").status_code == 204
    assert not NeedLine.objects.exists()


def test_coordinator_creates_a_grouping_and_reads_its_totals(api_client, carol, alice, campaign, commune_a, site_a):
    family = f.FamilyFactory(code="mobiles", name="Tablettes")
    item = f.CatalogItemFactory(family=family, reference_unit_price_ht=Decimal("250.00"))
    f.NeedLineFactory(
        campaign=campaign,
        collectivity=commune_a,
        site=site_a,
        quantity=8,
        catalog_item=item,
        match_status=MatchStatus.MATCHED,
        match_score=90,
    )
    api_client.force_authenticate(alice)
    denied = api_client.post(
        "/api/v1/groupings/", {"campaign": campaign.pk, "title": "G", "families": ["mobiles"]}, format="json"
    )
    assert denied.status_code == 403

    api_client.force_authenticate(carol)
    response = api_client.post(
        "/api/v1/groupings/", {"campaign": campaign.pk, "title": "G", "families": ["mobiles"]}, format="json"
    )
    assert response.status_code == 201
    detail = api_client.get(f"/api/v1/groupings/{response.json()['id']}/").json()
    assert detail["totals"]["estimated_value_ht"] == "2000.00"
    assert detail["lots"][0]["sites"][0]["uai"] == site_a.uai


def test_grouping_with_unknown_family_is_a_field_error(api_client, carol, campaign):
    api_client.force_authenticate(carol)
    response = api_client.post(
        "/api/v1/groupings/", {"campaign": campaign.pk, "title": "G", "families": ["nope"]}, format="json"
    )
    assert response.status_code == 400 and "families" in response.json()["errors"]


def test_openapi_schema_and_docs_are_served(api_client, db):
    assert api_client.get("/api/v1/schema/").status_code == 200
    assert api_client.get("/api/v1/docs/").status_code == 200


def test_the_api_docs_load_nothing_from_another_origin(client, db):
    response = client.get("/api/v1/docs/")
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in body
    assert "cdn." not in body and "googleapis" not in body
    # ReDoc's own footer badge is an image on Redocly's CDN: the browser is told not to fetch it
    assert "img-src 'self' data:" in response["Content-Security-Policy"]


def test_outsider_gets_404_on_every_object_route(api_client, oscar, campaign, commune_a):
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a)
    grouping = f.GroupingFactory(campaign=campaign)
    api_client.force_authenticate(oscar)
    for url in [
        f"/api/v1/campaigns/{campaign.pk}/",
        f"/api/v1/campaigns/{campaign.pk}/participations/",
        f"/api/v1/need-lines/{line.pk}/",
        f"/api/v1/groupings/{grouping.pk}/",
    ]:
        assert api_client.get(url).status_code == 404, url
    assert api_client.patch(f"/api/v1/need-lines/{line.pk}/", {"quantity": 3}, format="json").status_code == 404
    assert api_client.delete(f"/api/v1/need-lines/{line.pk}/").status_code == 404
    assert (
        api_client.post(
            "/api/v1/need-lines/", {"campaign": campaign.pk, "text": "x", "quantity": 1}, format="json"
        ).status_code
        == 404
    )
    assert api_client.get("/api/v1/need-lines/").json()["count"] == 0
