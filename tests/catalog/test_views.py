from django.urls import reverse
from django.utils.html import escape

from catalog.models import AliasStatus, CatalogAlias, CatalogItem
from tests import factories as f


def test_catalog_page_is_public_and_lists_items(client, seeded):
    response = client.get(reverse("catalog:item_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Catalogue de référence" in body
    assert response.context["page"].paginator.per_page == 50
    assert response.context["page"].paginator.count == CatalogItem.objects.active().count()
    assert 'aria-current="page"' in body


def test_catalog_page_searches_labels_and_aliases(client, seeded):
    response = client.get(reverse("catalog:item_list"), {"q": "ipad"})
    codes = {item.code for item in response.context["page"].object_list}
    assert "tablette-ipad" in codes
    assert "ecran-24" not in codes

    response = client.get(reverse("catalog:item_list"), {"q": "TBI"})
    assert "tni-tableau-interactif" in {item.code for item in response.context["page"].object_list}


def test_catalog_page_filters_by_family_and_sorts_by_price(client, seeded):
    response = client.get(reverse("catalog:item_list"), {"famille": "tablettes", "tri": "-prix"})
    items = list(response.context["page"].object_list)
    assert items and {item.family.code for item in items} == {"tablettes"}
    prices = [item.reference_unit_price_ht for item in items]
    assert prices == sorted(prices, reverse=True)
    assert 'aria-sort="descending"' in response.content.decode()


def test_catalog_page_sorts_by_label(client, seeded):
    response = client.get(reverse("catalog:item_list"), {"tri": "libelle"})
    labels = [item.label for item in response.context["page"].object_list]
    assert labels == sorted(labels)


def test_catalog_page_paginates(client, seeded):
    response = client.get(reverse("catalog:item_list"), {"page": 2})
    assert response.context["page"].number == 2
    assert "Page 2 sur" in response.content.decode()


def test_catalog_page_shows_an_empty_state(client, seeded):
    response = client.get(reverse("catalog:item_list"), {"q": "zzzqqqxxx"})
    assert response.status_code == 200
    assert "Aucun article ne correspond" in response.content.decode()


def test_empty_catalog_page(client, db):
    response = client.get(reverse("catalog:item_list"))
    assert "Le catalogue est vide" in response.content.decode()


def test_item_detail_shows_specs_cpv_price_and_global_aliases(client, seeded, commune_a):
    item = CatalogItem.objects.get(code="vpi-ultra-courte-focale")
    CatalogAlias.objects.create(
        item=item,
        text="Alias secret de Bruz",
        normalized="alias secret bruz",
        collectivity=commune_a,
        status=AliasStatus.PROPOSED,
    )
    response = client.get(reverse("catalog:item_detail", args=[item.code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert item.label in body
    assert "38652120-7" in body
    assert "1\u202f450,00\u00a0€" in body
    assert escape(item.price_basis) in body
    assert "ultra courte focale" in body.lower()
    assert "vpi ucf" in body
    assert "Alias secret de Bruz" not in body  # learnt aliases stay private to their collectivité
    assert 'class="breadcrumb"' in body


def test_item_detail_unknown_or_inactive_code_is_404(client, db):
    assert client.get(reverse("catalog:item_detail", args=["nexiste-pas"])).status_code == 404
    inactive = f.CatalogItemFactory(code="ancien-modele", is_active=False)
    assert client.get(reverse("catalog:item_detail", args=[inactive.code])).status_code == 404
