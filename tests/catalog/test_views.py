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


def test_catalog_search_forgives_accents_plurals_and_typos(client, api_client, seeded):
    def found(query):
        response = client.get(reverse("catalog:item_list"), {"q": query})
        return {item.code for item in response.context["page"].object_list}

    exact = found("écran interactif")
    assert {"eni-65", "eni-75"} <= exact
    assert found("ecrans interactifs") == exact
    assert {"tablette-tactile-10", "tablette-ipad", "classe-mobile-16-tablettes"} <= found("tablete")
    assert "chromebook-eleve-11" in found("chromebok")
    assert found("tablete ecran") <= found("tablette") and not found("zzzqqqxxx")
    api = api_client.get("/api/v1/catalog/items/", {"search": "chromebok"})
    assert "chromebook-eleve-11" in {row["code"] for row in api.data["results"]}


def test_catalog_pages_show_the_unit_in_words(client, api_client, seeded):
    body = client.get(reverse("catalog:item_list"), {"q": "cable hdmi"}).content.decode()
    assert "<td>mètre</td>" in body or "<td>unité</td>" in body
    assert "<td>unite</td>" not in body and "<td>metre</td>" not in body
    row = api_client.get("/api/v1/catalog/items/eni-75/").data
    assert (row["unit"], row["unit_label"]) == ("unite", "unité")


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


# --- live preview under the need line form ------------------------------------------------------------------------


def test_the_preview_names_the_article_a_wording_will_get(client, seeded, alice):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("catalog:match_preview")
    body = client.get(url, {"text": "20 tabblettes 10p pour CM1"}).content.decode()
    assert "Article reconnu" in body and "Tablette tactile 10 pouces" in body and "quantité lue : 20" in body
    body = client.get(url, {"text": "clé USB 64 Go"}).content.decode()
    assert "À vérifier" in body and "Taille demandée (64 Go) absente de cet article." in body
    body = client.get(url, {"text": "repas de la cantine"}).content.decode()
    assert "Non reconnu" in body
    assert "pendant la saisie" in client.get(url).content.decode()


def test_the_preview_never_uses_another_collectivity_learnt_wordings(client, seeded, alice, bob, commune_b):
    from django.urls import reverse

    from catalog.models import AliasStatus, CatalogAlias, CatalogItem

    item = CatalogItem.objects.get(code="robot-sol-maternelle")
    CatalogAlias.objects.create(
        item=item,
        text="zorglub violet",
        normalized="zorglub violet",
        collectivity=commune_b,
        status=AliasStatus.PROPOSED,
    )
    url = reverse("catalog:match_preview")
    client.force_login(bob)
    assert item.label in client.get(url, {"text": "zorglub violet"}).content.decode()
    client.force_login(alice)  # asks with commune B's id: not hers, so only the global catalog counts
    body = client.get(url, {"text": "zorglub violet", "collectivity": commune_b.pk}).content.decode()
    assert item.label not in body and "Non reconnu" in body


def test_the_preview_needs_a_login(client, db):
    from django.urls import reverse

    response = client.get(reverse("catalog:match_preview"), {"text": "tablette"})
    assert response.status_code == 302
