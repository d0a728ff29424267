from django.urls import reverse

from tests.conftest import login

VENDOR_HOME = reverse("tenders:vendor_home")


def test_vendor_sees_its_organisation_and_the_published_demands(client, victor, publication):
    response = login(client, victor).get(VENDOR_HOME)

    body = response.content.decode()
    vendor = victor.vendors.get()
    assert response.status_code == 200
    assert vendor.name in body and vendor.siret in body
    assert [p.pk for p in response.context["publications"]] == [publication.pk]


def test_vendor_space_filters_like_the_public_list(client, victor, publication):
    response = login(client, victor).get(VENDOR_HOME, {"famille": "robotique"})

    assert list(response.context["publications"]) == []
    assert "Aucune demande publiée ne correspond" in response.content.decode()


def test_vendor_space_is_404_for_a_user_without_vendor(client, alice):
    assert login(client, alice).get(VENDOR_HOME).status_code == 404


def test_vendor_space_requires_login(client, db):
    response = client.get(VENDOR_HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
