"""« Formulations apprises »: what a collectivité taught the engine, and withdrawing a wording confirmed by mistake."""

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import AliasStatus, CatalogAlias, CatalogItem
from procurement.errors import DomainError
from procurement.models import AuditEvent, MatchStatus, Role
from tests import factories as f
from tests.conftest import login

WORDING = "la petite bestiole jaune et noire"


@pytest.fixture
def taught(seeded, campaign, commune_a, commune_b, alice, bob):
    """Commune A taught WORDING → the floor robot (by mistake), commune B taught « écran géant » → ENI 86."""
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=f"3 {WORDING}", quantity=3)
    other = f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text="écran géant", quantity=1)
    services.need_lines_match(lines=[line, other])
    services.need_line_confirm_match(
        need_line=line, item=CatalogItem.objects.get(code="robot-sol-maternelle"), actor=alice
    )
    services.need_line_confirm_match(need_line=other, item=CatalogItem.objects.get(code="eni-86"), actor=bob)
    return CatalogAlias.objects.get(collectivity=commune_a)


@pytest.fixture
def viewer(commune_a):
    return f.MembershipFactory(user=f.UserFactory(username="vera"), collectivity=commune_a, role=Role.VIEWER).user


def test_a_buyer_sees_what_her_collectivity_taught_and_nothing_else(client, taught, alice):
    response = login(client, alice).get(reverse("catalog:learnt_aliases"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["page"].object_list] == [taught.pk]
    body = response.content.decode()
    assert WORDING in body and "Robot de sol" in body and "écran géant" not in body
    assert "Retirer" in body


def test_the_list_searches_wordings_and_items_accents_aside(client, taught, alice):
    client = login(client, alice)
    found = client.get(reverse("catalog:learnt_aliases"), {"q": "BESTIOLE robot"})
    assert [a.pk for a in found.context["page"].object_list] == [taught.pk]
    none = client.get(reverse("catalog:learnt_aliases"), {"q": "écran"})
    assert not none.context["page"].object_list and "Aucune formulation ne correspond" in none.content.decode()


def test_withdrawing_a_wording_stops_it_serving_the_next_matches(client, taught, campaign, commune_a, alice):
    response = login(client, alice).post(
        reverse("catalog:learnt_alias_forget", args=[taught.pk]), {"filtres": "q=bestiole"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("catalog:learnt_aliases") + "?q=bestiole"
    message = str(next(iter(response.context["messages"])))
    assert message == f"« {WORDING} » ne sera plus rapproché de « {taught.item.label} » pour {commune_a.name}."
    assert not CatalogAlias.objects.filter(pk=taught.pk).exists()
    [row] = AuditEvent.objects.filter(action="catalog_alias.forget")
    assert row.collectivity == commune_a and row.before["text"] == WORDING and row.actor == alice
    again = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=WORDING, quantity=1)
    services.need_lines_match(lines=[again])
    again.refresh_from_db()
    assert again.match_status != MatchStatus.MATCHED or again.catalog_item_id != taught.item_id


def test_a_viewer_sees_the_wordings_but_cannot_withdraw_them(client, taught, viewer):
    client = login(client, viewer)
    page = client.get(reverse("catalog:learnt_aliases"))
    assert [a.pk for a in page.context["page"].object_list] == [taught.pk]
    assert "Retirer" not in page.content.decode()
    refused = client.post(reverse("catalog:learnt_alias_forget", args=[taught.pk]))
    assert refused.status_code == 403
    assert "Seuls les acheteurs et coordonnateurs de" in refused.content.decode()
    assert CatalogAlias.objects.filter(pk=taught.pk).exists()


def test_another_collectivity_gets_404(client, taught, bob):
    assert login(client, bob).post(reverse("catalog:learnt_alias_forget", args=[taught.pk])).status_code == 404
    assert CatalogAlias.objects.filter(pk=taught.pk).exists()


def test_a_wording_refused_by_an_administrator_stays_refused(client, taught, alice):
    CatalogAlias.objects.filter(pk=taught.pk).update(status=AliasStatus.REJECTED)
    client = login(client, alice)
    assert "Retirer" not in client.get(reverse("catalog:learnt_aliases")).content.decode()
    response = client.post(reverse("catalog:learnt_alias_forget", args=[taught.pk]), follow=True)
    assert "déjà refusé ce synonyme" in str(next(iter(response.context["messages"])))
    assert CatalogAlias.objects.get(pk=taught.pk).status == AliasStatus.REJECTED


def test_an_empty_list_says_how_wordings_are_learnt(client, seeded, alice):
    body = login(client, alice).get(reverse("catalog:learnt_aliases")).content.decode()
    assert "n'ont encore appris aucune formulation" in body


def test_a_global_alias_is_not_the_collectivitys_to_withdraw(seeded, alice):
    alias = CatalogAlias.objects.filter(collectivity__isnull=True).first()
    with pytest.raises(DomainError, match="seul un administrateur"):
        services.alias_forget(alias=alias, actor=alice)


# --- API ----------------------------------------------------------------------------------------------------------


def test_api_lists_the_collectivitys_learnt_wordings(api_client, taught, alice):
    api_client.force_authenticate(alice)
    response = api_client.get(reverse("api:learnt_alias_list"))
    assert response.status_code == 200
    [row] = response.data["results"]
    assert row["id"] == taught.pk and row["text"] == WORDING and row["item"] == "robot-sol-maternelle"
    assert row["status"] == "proposed" and row["created_by"]
    assert api_client.get(reverse("api:learnt_alias_list"), {"search": "écran"}).data["results"] == []


def test_api_withdraws_a_wording_and_refuses_who_may_not(api_client, taught, alice, bob, viewer):
    url = reverse("api:learnt_alias_detail", args=[taught.pk])
    api_client.force_authenticate(bob)
    assert api_client.delete(url).status_code == 404
    api_client.force_authenticate(viewer)
    refused = api_client.delete(url)
    assert refused.status_code == 403 and "Seuls les acheteurs et coordonnateurs" in refused.data["detail"]
    api_client.force_authenticate(alice)
    assert api_client.get(url).data["text"] == WORDING
    assert api_client.delete(url).status_code == 204
    assert not CatalogAlias.objects.filter(pk=taught.pk).exists()
    assert api_client.delete(url).status_code == 404


def test_api_keeps_a_refused_wording_refused(api_client, taught, alice):
    CatalogAlias.objects.filter(pk=taught.pk).update(status=AliasStatus.REJECTED)
    api_client.force_authenticate(alice)
    response = api_client.delete(reverse("api:learnt_alias_detail", args=[taught.pk]))
    assert response.status_code == 400 and "déjà refusé" in response.data["detail"]
