"""Per-member breakdown and the sharing of coordination costs: exact cents, largest remainder, each key."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse

from procurement import services
from procurement.cost_sharing import (
    CostSharingError,
    MemberBasis,
    build_breakdown,
    largest_remainder,
    share_costs,
)
from procurement.errors import ConflictError
from procurement.models import CostSharingKey, Grouping
from tests.procurement.test_grouping_editor import make_catalog, pooled_line

D = Decimal

# --------------------------------------------------------------------------------------------- pure part


def test_equal_shares_give_the_left_over_cent_deterministically():
    members = [MemberBasis(3, "C"), MemberBasis(1, "A"), MemberBasis(2, "B")]
    shares = share_costs(costs=D("100.00"), key="equal", members=members)
    assert shares == {1: D("33.34"), 2: D("33.33"), 3: D("33.33")}
    assert share_costs(costs=D("100.00"), key="equal", members=list(reversed(members))) == shares


def test_value_key_is_pro_rata_of_the_estimated_value():
    members = [MemberBasis(1, "A", D("7000.00")), MemberBasis(2, "B", D("5000.00")), MemberBasis(3, "C", D("0"))]
    shares = share_costs(costs=D("1000.00"), key="value", members=members)
    # exact quotas 583.333… and 416.666…: the remainder cent goes to the largest fraction (B)
    assert shares == {1: D("583.33"), 2: D("416.67"), 3: D("0.00")}


def test_population_key_and_missing_population():
    members = [MemberBasis(1, "Bruz", population=18000), MemberBasis(2, "Cesson", population=17000)]
    assert share_costs(costs=D("3500.00"), key="population", members=members) == {1: D("1800.00"), 2: D("1700.00")}
    with pytest.raises(CostSharingError, match="population inconnue pour Laillé"):
        share_costs(costs=D("10.00"), key="population", members=[*members, MemberBasis(3, "Laillé")])


def test_largest_remainder_breaks_ties_by_weight_then_id():
    shares = largest_remainder(total=D("0.05"), weights={1: Fraction(1), 2: Fraction(1), 3: Fraction(2)})
    # quotas 1.25, 1.25, 2.5 cents: floors 1, 1, 2; one cent left → largest remainder (3)
    assert shares == {1: D("0.01"), 2: D("0.01"), 3: D("0.03")}
    shares = largest_remainder(total=D("0.02"), weights={7: Fraction(1), 4: Fraction(1), 9: Fraction(1)})
    assert shares == {4: D("0.01"), 7: D("0.01"), 9: D("0.00")}


@pytest.mark.parametrize("seed", range(25))
def test_shares_always_sum_exactly_to_the_costs(seed):
    rng = random.Random(seed)
    costs = D(rng.randint(0, 10_000_000)) / 100
    members = [
        MemberBasis(i, f"M{i}", D(rng.randint(0, 5_000_000)) / 100, rng.randint(1, 500_000))
        for i in range(1, rng.randint(2, 40))
    ]
    for key in ("value", "equal", "population"):
        try:
            shares = share_costs(costs=costs, key=key, members=members)
        except CostSharingError:
            assert key == "value" and not any(m.value_ht for m in members)
            continue
        assert sum(shares.values()) == costs
        assert all(s >= 0 and s == s.quantize(D("0.01")) for s in shares.values())


def test_costs_must_be_in_cents_and_not_negative():
    with pytest.raises(CostSharingError, match="centimes"):
        share_costs(costs=D("10.005"), key="equal", members=[MemberBasis(1, "A")])
    with pytest.raises(CostSharingError, match="négatifs"):
        share_costs(costs=D("-1"), key="equal", members=[MemberBasis(1, "A")])
    with pytest.raises(CostSharingError, match="Aucune base"):
        share_costs(costs=D("10"), key="value", members=[MemberBasis(1, "A", D("0"))])
    assert share_costs(costs=D("0"), key="value", members=[MemberBasis(1, "A", D("0"))]) == {1: D("0.00")}


def test_breakdown_reports_the_error_instead_of_shares():
    breakdown = build_breakdown(lots=[], members=[MemberBasis(1, "A")], periods=2, costs=D("10"), key="population")
    assert "population inconnue" in breakdown.error and breakdown.members[0].cost_share_ht is None


# ------------------------------------------------------------------------------------------- with a grouping


@pytest.fixture
def grouping(campaign, carol, commune_a, commune_b, site_a, site_b):
    # A: 20 tablets × 350 = 7 000 € and 3 VPI × 2 500 = 7 500 €; B: 10 tablets = 3 500 € (per period)
    catalog = make_catalog()
    pooled_line(campaign, commune_a, catalog.tablet, 20, site=site_a)
    pooled_line(campaign, commune_a, catalog.vpi, 3, site=site_a)
    pooled_line(campaign, commune_b, catalog.tablet, 10, site=site_b)
    grouping = services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="G",
        family_ids=[catalog.tablets.pk, catalog.displays.pk],
        renewals=1,
    )
    return services.grouping_set_cost_sharing(
        grouping=grouping,
        actor=carol,
        expected_version=1,
        coordination_costs_ht=D("1000.00"),
        cost_sharing_key=CostSharingKey.VALUE,
    )


def test_breakdown_per_member_per_lot_and_cost_shares(grouping, commune_a, commune_b):
    breakdown = services.grouping_breakdown(grouping=grouping)
    a, b = breakdown.members
    assert (a.name, a.quantity, a.value_ht, a.total_value_ht) == ("Bruz", 23, D("14500.00"), D("29000.00"))
    assert [(lot.lot_number, lot.quantity, lot.value_ht) for lot in a.lots] == [
        (1, 3, D("7500.00")),
        (2, 20, D("7000.00")),
    ]
    assert (b.name, b.value_ht, b.share_of_value) == ("Cesson-Sévigné", D("3500.00"), D("19.44"))
    # 1 000 € × 14 500 / 18 000 = 805.555… and 194.444…
    assert (a.cost_share_ht, b.cost_share_ht) == (D("805.56"), D("194.44"))
    assert a.cost_share_ht + b.cost_share_ht == grouping.coordination_costs_ht
    assert breakdown.periods == 2 and breakdown.total_value_ht == D("36000.00")


@pytest.mark.parametrize(
    ("key", "expected"),
    [("equal", (D("500.00"), D("500.00"))), ("population", (D("500.00"), D("500.00"))), ("value", None)],
)
def test_each_key_through_the_service(grouping, carol, commune_a, commune_b, key, expected):
    grouping = services.grouping_set_cost_sharing(
        grouping=grouping, actor=carol, expected_version=2, coordination_costs_ht=D("1000.00"), cost_sharing_key=key
    )
    shares = tuple(m.cost_share_ht for m in services.grouping_breakdown(grouping=grouping).members)
    assert sum(shares) == D("1000.00")
    if expected:
        assert shares == expected


def test_cost_sharing_settings_use_the_version(grouping, carol):
    with pytest.raises(ConflictError):
        services.grouping_set_cost_sharing(
            grouping=grouping, actor=carol, expected_version=1, coordination_costs_ht=D("5"), cost_sharing_key="equal"
        )
    assert Grouping.objects.get(pk=grouping.pk).coordination_costs_ht == D("1000.00")


def test_each_member_sees_its_own_figures_and_the_coordinator_all(api_client, grouping, alice, carol, oscar):
    url = reverse("api:grouping-breakdown", args=[grouping.pk])
    api_client.force_authenticate(alice)
    data = api_client.get(url).json()
    assert [m["name"] for m in data["members"]] == ["Bruz"]
    assert data["members"][0]["cost_share_ht"] == "805.56"
    assert data["members"][0]["lots"][0]["total_value_ht"] == "15000.00"

    api_client.force_authenticate(carol)
    assert [m["name"] for m in api_client.get(url).json()["members"]] == ["Bruz", "Cesson-Sévigné"]

    api_client.force_authenticate(oscar)
    assert api_client.get(url).status_code == 404


def test_the_grouping_page_shows_the_breakdown_section(client, grouping, alice, carol):
    url = reverse("procurement:grouping_detail", args=[grouping.pk])
    client.force_login(alice)
    body = client.get(url).content.decode()
    assert "Répartition par membre et frais de coordination" in body
    assert "805,56" in body and "194,44" not in body and "Modifier les frais" not in body

    client.force_login(carol)
    body = client.get(url).content.decode()
    assert "805,56" in body and "194,44" in body and "Modifier les frais" in body


def test_the_coordinator_changes_the_key_through_the_page_and_the_api(client, api_client, grouping, carol):
    client.force_login(carol)
    client.post(
        reverse("procurement:grouping_cost_sharing", args=[grouping.pk]),
        {"version": "2", "coordination_costs_ht": "300.01", "cost_sharing_key": "equal"},
    )
    grouping = Grouping.objects.get(pk=grouping.pk)
    assert (grouping.coordination_costs_ht, grouping.cost_sharing_key, grouping.version) == (D("300.01"), "equal", 3)

    api_client.force_authenticate(carol)
    url = reverse("api:grouping-cost-sharing", args=[grouping.pk])
    response = api_client.put(
        url, {"expected_version": 3, "coordination_costs_ht": "99.99", "cost_sharing_key": "value"}, format="json"
    )
    assert response.status_code == 200
    assert sum(D(m["cost_share_ht"]) for m in response.json()["members"]) == D("99.99")
    stale = api_client.put(
        url, {"expected_version": 3, "coordination_costs_ht": "1", "cost_sharing_key": "value"}, format="json"
    )
    assert stale.status_code == 409
