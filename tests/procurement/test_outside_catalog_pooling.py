"""Lines the buyers declared « hors catalogue » are pooled by CPV group, valued at their budgets."""

from decimal import Decimal

import pytest
from django.urls import reverse

from procurement import selectors, services
from procurement.errors import DomainError
from procurement.models import MatchStatus, ProcurementNature
from reports.models import DocumentKind, JobStatus
from reports.services import document_generate_now
from tenders.models import LotLine
from tenders.selectors import grouping_totals
from tests import factories as f
from tests.conftest import login
from tests.reports.helpers import read_file, workbook


@pytest.fixture
def outside(campaign, commune_a, commune_b, site_a, site_b):
    software = f.CpvFactory(code="48100000", code_with_check_digit="48100000-9", label_fr="Progiciels sectoriels")
    library = f.CpvFactory(code="48160000", code_with_check_digit="48160000-7", label_fr="Logiciels de bibliothèque")
    furniture = f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    make = f.NeedLineFactory
    common = {"campaign": campaign, "catalog_item": None, "match_status": MatchStatus.CONFIRMED}
    return {
        "a_bcdi": make(
            **common,
            collectivity=commune_a,
            site=site_a,
            text="Logiciel de gestion de BCD",
            quantity=1,
            cpv=library,
            budget_ht=Decimal("900.00"),
        ),
        "b_bcdi": make(
            **common,
            collectivity=commune_b,
            site=site_b,
            text="Logiciel de gestion de BCD",
            quantity=2,
            cpv=library,
            budget_ht=Decimal("1500.00"),
        ),
        "b_other": make(
            **common, collectivity=commune_b, text="Progiciel de restauration scolaire", quantity=1, cpv=software
        ),
        "a_chairs": make(**common, collectivity=commune_a, text="Tables et chaises", quantity=30, cpv=furniture),
        "a_review": make(
            campaign=campaign,
            collectivity=commune_a,
            text="Logiciel de prêt",
            quantity=1,
            cpv=library,
            match_status=MatchStatus.REVIEW,
        ),
    }


def test_outside_catalog_lines_are_offered_per_cpv_group(campaign, outside):
    rows = selectors.campaign_outside_catalog_totals(campaign=campaign)

    assert [(r["group"], r["label"], r["lines"], r["quantity"], r["members"]) for r in rows] == [
        ("391", "Mobilier scolaire", 1, 30, 1),  # "39100000" is not in the table: its lines' code names it
        ("481", "Progiciels sectoriels", 3, 4, 2),
    ]
    assert rows[1]["value"] == Decimal("2400.00")  # the budgets; a line to review is not offered


def test_a_cpv_group_becomes_one_lot_valued_at_the_buyers_budgets(campaign, carol, outside, commune_a, commune_b):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="Logiciels", family_ids=[], cpv_groups=["481"]
    )

    (lot,) = grouping.lots.all()
    assert (lot.title, lot.cpv_id, lot.family_id) == ("Hors catalogue — Progiciels sectoriels", "48100000", None)
    pooled = set(LotLine.objects.filter(lot=lot).values_list("need_line", flat=True))
    assert pooled == {outside["a_bcdi"].pk, outside["b_bcdi"].pk, outside["b_other"].pk}
    assert set(grouping.members.all()) == {commune_a, commune_b}
    assert grouping.nature == ProcurementNature.SUPPLIES  # software packages are supplies
    reason = LotLine.objects.get(need_line=outside["a_bcdi"]).reason
    assert "Hors catalogue" in reason and "48160000" in reason

    (summary,) = grouping_totals(grouping=grouping).lots
    assert summary.value_ht == Decimal("2400.00")
    assert summary.unpriced_lines == 1  # the line without a budget is counted apart
    rows = {(i["label"], i["quantity"], i["cpv"]) for i in summary.items}
    assert rows == {
        ("Logiciel de gestion de BCD", 3, "48160000"),
        ("Progiciel de restauration scolaire", 1, "48100000"),
    }


def test_the_price_schedule_gives_each_need_outside_the_catalog_its_own_row(campaign, carol, outside):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="Logiciels", family_ids=[], cpv_groups=["481"]
    )

    document = document_generate_now(grouping=grouping, kind=DocumentKind.PRICE_SCHEDULE, actor=carol)

    assert document.status == JobStatus.DONE, document.error
    bpu = [list(r) for r in workbook(read_file(document))["BPU"].iter_rows(min_row=2, values_only=True)]
    assert [row[:3] for row in bpu] == [
        [1, "1.01", "Logiciel de gestion de BCD"],
        [1, "1.02", "Progiciel de restauration scolaire"],
    ]


def test_families_and_cpv_groups_make_lots_together(campaign, carol, outside, commune_a):
    tablets = f.FamilyFactory(code="mobiles", name="Tablettes")
    item = f.CatalogItemFactory(family=tablets, reference_unit_price_ht=Decimal("300.00"))
    f.NeedLineFactory(
        campaign=campaign,
        collectivity=commune_a,
        catalog_item=item,
        quantity=5,
        match_status=MatchStatus.MATCHED,
        match_score=92,
    )

    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[tablets.pk], cpv_groups=["391", "481"]
    )

    titles = list(grouping.lots.order_by("number").values_list("title", flat=True))
    assert titles == ["Tablettes", "Hors catalogue — Mobilier scolaire", "Hors catalogue — Progiciels sectoriels"]
    assert grouping.lots.get(number=2).cpv_id == "39160000"  # no group code in the table: the lines' commonest code
    assert selectors.campaign_outside_catalog_totals(campaign=campaign) == []  # everything pooled


def test_nothing_chosen_or_nothing_left_is_a_clear_error(campaign, carol, outside):
    with pytest.raises(DomainError, match="au moins une famille"):
        services.grouping_create_from_campaign(campaign=campaign, actor=carol, title="G", family_ids=[], cpv_groups=[])
    with pytest.raises(DomainError, match="Aucune ligne"):
        services.grouping_create_from_campaign(
            campaign=campaign, actor=carol, title="G", family_ids=[], cpv_groups=["722"]
        )


def test_the_coordinator_pools_them_from_the_grouping_form(client, campaign, carol, outside):
    client = login(client, carol)
    url = reverse("procurement:grouping_create", args=[campaign.pk])

    f.NeedLineFactory(
        campaign=campaign, collectivity=outside["a_bcdi"].collectivity, catalog_item=None, cpv=None,
        match_status=MatchStatus.CONFIRMED, text="Objet introuvable",
    )  # fmt: skip
    page = client.get(url)
    assert page.status_code == 200
    assert "Une ligne déclarée hors catalogue n'a pas de code CPV" in page.content.decode()
    assert "Besoins hors catalogue à regrouper" in page.content.decode()
    assert "481 — Progiciels sectoriels — 3 lignes, 4 unités, 2 membres" in page.content.decode()

    response = client.post(
        url, {"title": "Logiciels des BCD", "cpv_groups": ["481"], "duration_months": 12, "renewals": 0}
    )
    assert response.status_code == 302
    lot = LotLine.objects.get(need_line=outside["a_bcdi"]).lot
    assert lot.grouping.title == "Logiciels des BCD"

    empty = client.post(url, {"title": "Rien", "duration_months": 12, "renewals": 0})
    assert "Choisissez au moins une famille" in empty.content.decode()


def test_an_outsider_cannot_open_the_grouping_form(client, campaign, oscar, outside):
    assert login(client, oscar).get(reverse("procurement:grouping_create", args=[campaign.pk])).status_code == 404


def test_api_pools_cpv_groups_and_refuses_a_malformed_one(api_client, campaign, carol, outside):
    api_client.force_authenticate(carol)
    url = reverse("api:grouping-list")

    bad = api_client.post(url, {"campaign": campaign.pk, "title": "G", "cpv_groups": ["48"]}, format="json")
    assert bad.status_code == 400
    assert "3 chiffres" in str(bad.json()), bad.json()

    created = api_client.post(url, {"campaign": campaign.pk, "title": "G", "cpv_groups": ["481"]}, format="json")
    assert created.status_code == 201, created.content
    assert LotLine.objects.filter(lot__grouping_id=created.json()["id"]).count() == 3


def test_with_nothing_to_pool_the_form_still_says_which_lines_need_a_cpv_code(client, campaign, carol, commune_a):
    f.NeedLineFactory(
        campaign=campaign, collectivity=commune_a, catalog_item=None, cpv=None, match_status=MatchStatus.CONFIRMED
    )

    page = login(client, carol).get(reverse("procurement:grouping_create", args=[campaign.pk])).content.decode()

    assert "Aucune ligne rapprochée à regrouper dans cette campagne." in page
    assert "Une ligne déclarée hors catalogue n'a pas de code CPV" in page
    review = reverse("catalog:review_queue", args=[campaign.pk])
    assert f'href="{review}?statut=confirmees"' in page
