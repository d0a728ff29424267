"""What-if view: the effect of each member's withdrawal on the total, the procedure and the publicity.

Values are per period × (1 + renewals): a 12-month marché renewable 3 times counts 4 periods (R2121-1).
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from procurement import selectors, services
from procurement.grouping_rules import assess_grouping
from procurement.models import GroupingMemberStatus
from procurement.rules import Procedure
from tenders.selectors import grouping_totals
from tests.procurement.test_grouping_editor import make_catalog, pooled_line


@pytest.fixture
def grouping(campaign, carol, departement, commune_a, commune_b):
    # per period: département 50 000 €, Bruz 4 000 €, Cesson-Sévigné 100 € → 54 100 € × 4 periods = 216 400 €
    catalog = make_catalog(price_tablet="100.00")
    pooled_line(campaign, departement, catalog.tablet, 500)
    pooled_line(campaign, commune_a, catalog.tablet, 40)
    pooled_line(campaign, commune_b, catalog.tablet, 1)
    return services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="Tablettes 2026-2030",
        family_ids=[catalog.tablets.pk],
        planned_launch_date=datetime.date(2026, 6, 1),
        duration_months=12,
        renewals=3,
    )


def simulate(grouping):
    members = list(selectors.grouping_members(grouping=grouping))
    return services.grouping_withdrawal_simulation(
        grouping=grouping, totals=grouping_totals(grouping=grouping), members=members
    )


def test_withdrawal_that_crosses_216_000_changes_the_band(grouping):
    simulation = simulate(grouping)

    assert simulation.baseline.total_value_ht == Decimal("216400.00")
    assert simulation.baseline.result.procedure == Procedure.FORMALISEE
    effects = {e.member.collectivity.name: e for e in simulation.effects}

    # Bruz leaves: 50 100 × 4 = 200 400 < 216 000 → MAPA, BOAMP or JAL instead of BOAMP + JOUE
    bruz = effects["Bruz"]
    assert (bruz.value_ht, bruz.remaining_total_ht) == (Decimal("4000.00"), Decimal("200400.00"))
    assert bruz.assessment.result.procedure == Procedure.MAPA
    assert bruz.band_changes and bruz.publicity_changes

    # Cesson-Sévigné leaves: 54 000 × 4 = 216 000, still ≥ 216 000 → formalised, nothing changes
    cesson = effects["Cesson-Sévigné"]
    assert cesson.remaining_total_ht == Decimal("216000.00")
    assert not cesson.band_changes and not cesson.publicity_changes

    # the département leaves: 4 100 × 4 = 16 400 < 60 000 → no publicity needed
    departement = effects["Ille-et-Vilaine"]
    assert departement.assessment.result.procedure == Procedure.DISPENSE and departement.band_changes
    assert [e.member.collectivity.name for e in simulation.band_changers] == ["Bruz", "Ille-et-Vilaine"]


def test_the_simulation_needs_no_query_per_member(grouping, django_assert_num_queries):
    totals = grouping_totals(grouping=grouping)
    members = list(selectors.grouping_members(grouping=grouping))
    with django_assert_num_queries(0):
        services.grouping_withdrawal_simulation(grouping=grouping, totals=totals, members=members)


def test_the_prediction_matches_the_actual_withdrawal(grouping, alice, commune_a):
    predicted = next(e for e in simulate(grouping).effects if e.member.collectivity_id == commune_a.pk)
    services.grouping_member_set_status(
        member=grouping.memberships.get(collectivity=commune_a), actor=alice, status=GroupingMemberStatus.WITHDRAWN
    )
    actual = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))
    assert actual.total_value_ht == predicted.remaining_total_ht
    assert actual.result.procedure == predicted.assessment.result.procedure


def test_a_lot_held_by_one_member_disappears_from_its_scenario(campaign, carol, commune_a, commune_b):
    catalog = make_catalog()
    pooled_line(campaign, commune_a, catalog.tablet, 10)
    pooled_line(campaign, commune_b, catalog.vpi, 1)
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[catalog.tablets.pk, catalog.displays.pk]
    )
    effects = {e.member.collectivity_id: e for e in simulate(grouping).effects}
    assert effects[commune_b.pk].lots_emptied == ["Lot 1 — Affichage interactif"]
    assert effects[commune_b.pk].remaining_value_ht == Decimal("3500.00")


def test_the_page_highlights_members_whose_departure_changes_the_band(client, grouping, carol):
    client.force_login(carol)
    body = client.get(reverse("procurement:grouping_whatif", args=[grouping.pk])).content.decode()
    assert body.count("Change de procédure") == 3  # the notice, Bruz's row, the département's row
    assert body.count('class="row-highlight"') == 2
    assert "Le retrait de Bruz, Ille-et-Vilaine changerait la procédure" in body
    assert "Sans effet sur la procédure" in body


def test_a_member_sees_only_the_effect_of_its_own_withdrawal(client, api_client, grouping, alice, oscar):
    client.force_login(alice)
    body = client.get(reverse("procurement:grouping_whatif", args=[grouping.pk])).content.decode()
    assert "Bruz" in body and "Cesson-Sévigné" not in body

    api_client.force_authenticate(alice)
    data = api_client.get(reverse("api:grouping-withdrawal-simulation", args=[grouping.pk])).json()
    assert [e["collectivity"]["name"] for e in data["effects"]] == ["Bruz"]
    assert data["effects"][0]["band_changes"] is True
    assert data["effects"][0]["assessment"]["procedure"] == "mapa"
    assert data["baseline"]["total_value_ht"] == "216400.00"

    client.force_login(oscar)
    assert client.get(reverse("procurement:grouping_whatif", args=[grouping.pk])).status_code == 404


def test_the_coordinator_gets_every_member_through_the_api(api_client, grouping, carol):
    api_client.force_authenticate(carol)
    data = api_client.get(reverse("api:grouping-withdrawal-simulation", args=[grouping.pk])).json()
    assert {e["collectivity"]["name"]: e["band_changes"] for e in data["effects"]} == {
        "Bruz": True,
        "Cesson-Sévigné": False,
        "Ille-et-Vilaine": True,
    }
