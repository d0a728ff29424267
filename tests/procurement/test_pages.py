import datetime

import pytest
from django.urls import reverse

from procurement.models import AuditEvent, CampaignStatus, MatchStatus, NeedLine
from tests import factories as f


def test_anonymous_visitors_are_sent_to_the_login_page(client, campaign):
    response = client.get(reverse("procurement:campaign_detail", args=[campaign.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_page_states_accessibility_compliance(client, db):
    body = client.get("/").content.decode()
    assert "Accessibilité : partiellement conforme" in body
    assert 'lang="fr"' in body
    assert client.get(reverse("accessibility")).status_code == 200
    assert client.get(reverse("sources")).status_code == 200


def test_login_with_wrong_password_says_so_in_french(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "faux"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_dashboard_lists_the_users_campaigns(client, alice, campaign):
    client.force_login(alice)
    body = client.get(reverse("procurement:dashboard")).content.decode()
    assert campaign.title in body and "Acheteur" in body


def test_dashboard_says_where_declarations_stand_and_leads_to_the_lines_to_review(
    client, alice, carol, campaign, commune_a
):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="écran", match_status=MatchStatus.REVIEW)
    client.force_login(alice)
    body = client.get(reverse("procurement:dashboard")).content.decode()
    assert 'class="badge badge-invited">Invitée</span>' in body
    assert reverse("catalog:review_queue", args=[campaign.pk]) in body
    client.force_login(carol)
    body = client.get(reverse("procurement:dashboard")).content.decode()
    assert "0 transmise sur 2" in body and reverse("procurement:campaign_progress", args=[campaign.pk]) in body


def test_buyer_declares_a_need_through_the_form(client, alice, campaign, site_a):
    client.force_login(alice)
    url = reverse("procurement:need_line_create", args=[campaign.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"text": "20 tablettes 10 pouces", "quantity": "20", "unit": "unite", "site": site_a.pk}
    )
    assert response.status_code == 302
    line = NeedLine.objects.get()
    assert (line.quantity, line.site, line.created_by) == (20, site_a, alice)


def test_the_quantity_can_be_written_in_the_wording(client, alice, campaign):
    client.force_login(alice)
    url = reverse("procurement:need_line_create", args=[campaign.pk])
    client.post(url, {"text": "15 tablettes 10 pouces CM1", "quantity": "", "unit": "unite"})
    client.post(url, {"text": "30 licences ENT", "quantity": "", "unit": "unite"})
    client.post(url, {"text": "5 casques", "quantity": "8", "unit": "unite"})  # the field wins over the wording
    lines = {line.text: (line.quantity, line.unit) for line in NeedLine.objects.all()}
    assert lines == {
        "15 tablettes 10 pouces CM1": (15, "unite"),
        "30 licences ENT": (30, "licence"),
        "5 casques": (8, "unite"),
    }


def test_both_need_line_forms_preview_the_match_for_the_line_s_collectivity(client, alice, campaign, commune_a):
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="tablettes")
    client.force_login(alice)
    preview = reverse("catalog:match_preview")
    create = client.get(reverse("procurement:need_line_create", args=[campaign.pk])).content.decode()
    edit = client.get(reverse("procurement:need_line_edit", args=[line.pk])).content.decode()
    for body in (create, edit):
        assert f'hx-get="{preview}"' in body and 'id="apercu-rapprochement"' in body
    assert f"&quot;collectivity&quot;: {commune_a.pk}" in edit  # hx-vals: the line's own collectivité


def test_a_need_without_any_quantity_is_refused_with_the_way_to_give_one(client, alice, campaign):
    client.force_login(alice)
    url = reverse("procurement:need_line_create", args=[campaign.pk])
    response = client.post(url, {"text": "tablettes 10 pouces", "quantity": "", "unit": "unite"})
    assert response.status_code == 200
    assert "écrivez-la au début de la désignation" in response.content.decode()
    assert not NeedLine.objects.exists()


def test_the_form_shows_field_errors_and_saves_nothing(client, alice, campaign):
    client.force_login(alice)
    url = reverse("procurement:need_line_create", args=[campaign.pk])
    response = client.post(url, {"text": "", "quantity": "0", "unit": "unite"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Le formulaire contient" in body and "Ce champ est obligatoire" in body
    assert 'aria-invalid="true"' in body
    assert not NeedLine.objects.exists()


def test_closed_campaign_refuses_declarations_with_a_clear_message(client, alice, campaign):
    campaign.status = CampaignStatus.CLOSED
    campaign.save()
    client.force_login(alice)
    url = reverse("procurement:need_line_create", args=[campaign.pk])
    response = client.post(url, {"text": "PC", "quantity": "1", "unit": "unite"})
    assert "n&#x27;accepte pas de déclaration" in response.content.decode()
    assert not NeedLine.objects.exists()


def test_buyer_sees_only_its_own_lines_and_the_coordinator_sees_all(
    client, alice, carol, campaign, commune_a, commune_b
):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Tablettes de Bruz")
    f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text="Portables de Cesson")
    url = reverse("procurement:campaign_detail", args=[campaign.pk])

    client.force_login(alice)
    body = client.get(url).content.decode()
    assert "Tablettes de Bruz" in body and "Portables de Cesson" not in body

    client.force_login(carol)
    body = client.get(url).content.decode()
    assert "Tablettes de Bruz" in body and "Portables de Cesson" in body


def test_the_member_column_is_shown_only_to_who_sees_several_members(client, alice, carol, campaign, commune_a):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Tablettes de Bruz")
    url = reverse("procurement:campaign_detail", args=[campaign.pk])
    client.force_login(alice)
    assert "tri=-membre" not in client.get(url).content.decode()  # the sortable header of the column
    client.force_login(carol)
    assert "tri=-membre" in client.get(url).content.decode()


def test_campaign_lines_are_filterable_sortable_and_paginated(client, carol, campaign, commune_a):
    for n in range(55):
        f.NeedLineFactory(
            campaign=campaign,
            collectivity=commune_a,
            text=f"besoin {n:02d}",
            quantity=n + 1,
            match_status=MatchStatus.REVIEW if n % 5 == 0 else MatchStatus.UNMATCHED,
        )
    client.force_login(carol)
    url = reverse("procurement:campaign_detail", args=[campaign.pk])
    body = client.get(url, {"tri": "-quantite"}).content.decode()
    assert "Page 1 sur 2" in body and 'aria-sort="descending"' in body
    assert body.index("besoin 54") < body.index("besoin 53")
    body = client.get(url, {"statut": "review"}).content.decode()
    assert "besoin 05" in body and "besoin 06" not in body
    assert "besoin 07" in client.get(url, {"q": "besoin 07"}).content.decode()


def test_coordinator_forms_a_grouping_from_the_campaign_page(client, carol, campaign, commune_a, site_a):
    family = f.FamilyFactory(code="mobiles", name="Tablettes et classes mobiles")
    item = f.CatalogItemFactory(family=family)
    f.NeedLineFactory(
        campaign=campaign,
        collectivity=commune_a,
        site=site_a,
        catalog_item=item,
        match_status=MatchStatus.MATCHED,
        match_score=92,
    )
    client.force_login(carol)
    url = reverse("procurement:grouping_create", args=[campaign.pk])
    assert "Tablettes et classes mobiles — 1 ligne," in client.get(url).content.decode()
    response = client.post(
        url, {"title": "Tablettes 2027", "families": [family.pk], "duration_months": 12, "renewals": 1}
    )
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "Tablettes 2027" in detail and "Lot 1 — Tablettes et classes mobiles" in detail


def test_grouping_form_requires_a_family(client, carol, campaign, commune_a):
    item = f.CatalogItemFactory()
    f.NeedLineFactory(
        campaign=campaign, collectivity=commune_a, catalog_item=item, match_status=MatchStatus.MATCHED, match_score=90
    )
    client.force_login(carol)
    response = client.post(
        reverse("procurement:grouping_create", args=[campaign.pk]), {"title": "X", "duration_months": 12, "renewals": 0}
    )
    assert "Choisissez au moins une famille" in response.content.decode()


def test_a_buyer_cannot_open_the_grouping_form(client, alice, campaign):
    client.force_login(alice)
    assert client.get(reverse("procurement:grouping_create", args=[campaign.pk])).status_code == 403


def test_campaign_status_buttons_change_the_status(client, carol, campaign):
    client.force_login(carol)
    client.post(reverse("procurement:campaign_set_status", args=[campaign.pk]), {"status": "closed"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED


def test_coordinator_creates_a_campaign(client, carol, commune_a):
    client.force_login(carol)
    today = datetime.date.today()
    response = client.post(
        reverse("procurement:campaign_create"),
        {
            "title": "Numérique 2028",
            "opens_on": today.isoformat(),
            "closes_on": today.isoformat(),
            "members": [commune_a.pk],
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="campaign.create").exists()


def test_audit_log_shows_the_users_collectivity_events_only(client, alice, bob, campaign, commune_a, commune_b):
    from procurement import services

    services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="Tablettes Bruz", quantity=2)
    services.need_line_create(campaign=campaign, collectivity=commune_b, actor=bob, text="Portables Cesson", quantity=2)
    client.force_login(alice)
    body = client.get(reverse("procurement:audit_log")).content.decode()
    assert "Tablettes Bruz" in body and "Portables Cesson" not in body


@pytest.mark.parametrize(
    "name", ["procurement:campaign_detail", "procurement:need_line_create", "procurement:grouping_create"]
)
def test_an_outsider_gets_404_on_campaign_pages(client, oscar, campaign, name):
    client.force_login(oscar)
    assert client.get(reverse(name, args=[campaign.pk])).status_code == 404
