import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from procurement import services
from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    AuditEvent,
    CampaignStatus,
    GroupingMemberStatus,
    MatchStatus,
    NeedLine,
    ParticipationStatus,
    Role,
    SiteKind,
)
from tenders.models import LotLine
from tenders.selectors import grouping_totals
from tests import factories as f


def test_buyer_declares_a_need_which_is_audited_and_starts_the_participation(campaign, alice, commune_a, site_a):
    line = services.need_line_create(
        campaign=campaign,
        collectivity=commune_a,
        actor=alice,
        text="  20 tablettes 10 pouces CM1 ",
        quantity=20,
        site=site_a,
        budget_ht=Decimal("7000.00"),
    )

    assert line.text == "20 tablettes 10 pouces CM1"
    assert line.match_status != MatchStatus.PENDING
    event = AuditEvent.objects.get(action="need_line.create", target_id=str(line.pk))
    assert event.actor == alice and event.collectivity == commune_a
    assert event.after["quantity"] == 20
    assert campaign.participations.get(collectivity=commune_a).status == ParticipationStatus.STARTED


def test_buyer_cannot_declare_for_another_collectivity(campaign, alice, commune_b):
    with pytest.raises(PermissionDenied):
        services.need_line_create(campaign=campaign, collectivity=commune_b, actor=alice, text="PC", quantity=1)
    assert not NeedLine.objects.exists()


def test_a_viewer_cannot_declare(campaign, commune_a):
    viewer = f.MembershipFactory(collectivity=commune_a, role=Role.VIEWER).user
    with pytest.raises(PermissionDenied):
        services.need_line_create(campaign=campaign, collectivity=commune_a, actor=viewer, text="PC", quantity=1)


def test_a_collectivity_not_invited_cannot_declare(campaign, oscar, commune_c):
    with pytest.raises(DomainError, match="n'est pas invitée"):
        services.need_line_create(campaign=campaign, collectivity=commune_c, actor=oscar, text="PC", quantity=1)


@pytest.mark.parametrize(
    ("status", "opens", "closes"),
    [
        (CampaignStatus.DRAFT, -5, 5),
        (CampaignStatus.CLOSED, -5, 5),
        (CampaignStatus.OPEN, 1, 10),  # not open yet
        (CampaignStatus.OPEN, -10, -1),  # window over
    ],
)
def test_nothing_can_be_declared_outside_the_campaign_window(campaign, alice, commune_a, status, opens, closes):
    today = datetime.date.today()
    campaign.status = status
    campaign.opens_on = today + datetime.timedelta(days=opens)
    campaign.closes_on = today + datetime.timedelta(days=closes)
    campaign.save()
    with pytest.raises(DomainError, match="n'accepte pas de déclaration"):
        services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="PC", quantity=1)


def test_a_need_for_a_college_is_refused_to_a_commune_with_the_reason(campaign, alice, commune_a, departement):
    college = f.SiteFactory(kind=SiteKind.COLLEGE, commune=commune_a, competent_collectivity=departement)
    with pytest.raises(DomainError, match="collèges relèvent du département") as error:
        services.need_line_create(
            campaign=campaign, collectivity=commune_a, actor=alice, text="PC", quantity=1, site=college
        )
    assert error.value.field == "site"


@pytest.mark.parametrize("quantity", [0, 1_000_001])
def test_absurd_quantities_are_refused_and_nothing_is_saved(campaign, alice, commune_a, quantity):
    with pytest.raises(ValidationError) as error:
        services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="PC", quantity=quantity)
    assert "quantity" in error.value.message_dict
    assert not NeedLine.objects.exists()
    assert not AuditEvent.objects.filter(action="need_line.create").exists()


def test_bulk_declaration_is_all_or_nothing(campaign, alice, commune_a, site_a):
    rows = [
        {"text": "15 tablettes", "quantity": 15, "site": site_a},
        {"text": "", "quantity": 2},
        {"text": "VPI", "quantity": -1},
    ]
    with pytest.raises(DomainError) as error:
        services.need_lines_bulk_create(campaign=campaign, collectivity=commune_a, actor=alice, rows=rows)
    assert "Ligne 2" in error.value.message and "Ligne 3" in error.value.message
    assert not NeedLine.objects.exists()


def test_bulk_declaration_stores_matches_and_audits_every_line(campaign, alice, commune_a, site_a):
    rows = [{"text": f"{n} tablettes", "quantity": n, "site": site_a} for n in range(1, 6)]
    lines = services.need_lines_bulk_create(campaign=campaign, collectivity=commune_a, actor=alice, rows=rows)
    assert len(lines) == 5 and all(line.pk for line in lines)
    assert NeedLine.objects.filter(match_status=MatchStatus.PENDING).count() == 0
    assert AuditEvent.objects.filter(action="need_line.create").count() == 5


def test_update_rematches_a_changed_text_and_keeps_before_and_after(campaign, alice, commune_a):
    line = services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="PC", quantity=1)
    services.need_line_update(line=line, actor=alice, text="vidéoprojecteur", quantity=3)
    line.refresh_from_db()
    assert line.quantity == 3
    event = AuditEvent.objects.get(action="need_line.update")
    assert event.before["quantity"] == 1 and event.after["quantity"] == 3
    assert event.before["text"] == "PC" and event.after["text"] == "vidéoprojecteur"


def test_a_submitted_declaration_is_frozen_until_reopened(campaign, alice, commune_a):
    line = services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="PC", quantity=1)
    services.participation_submit(campaign=campaign, collectivity=commune_a, actor=alice)
    with pytest.raises(DomainError, match="transmise"):
        services.need_line_update(line=line, actor=alice, quantity=2)


def test_submitting_an_empty_declaration_is_refused(campaign, alice, commune_a):
    with pytest.raises(DomainError, match="au moins une ligne"):
        services.participation_submit(campaign=campaign, collectivity=commune_a, actor=alice)


def test_campaign_lifecycle_follows_its_transitions(campaign, carol, alice):
    campaign.status = CampaignStatus.DRAFT
    campaign.save()
    with pytest.raises(PermissionDenied):
        services.campaign_set_status(campaign=campaign, status=CampaignStatus.OPEN, actor=alice)
    with pytest.raises(DomainError, match="ne peut pas passer"):
        services.campaign_set_status(campaign=campaign, status=CampaignStatus.ARCHIVED, actor=carol)
    for status in (
        CampaignStatus.OPEN,
        CampaignStatus.CLOSED,
        CampaignStatus.OPEN,
        CampaignStatus.CLOSED,
        CampaignStatus.ARCHIVED,
    ):
        campaign = services.campaign_set_status(campaign=campaign, status=status, actor=carol)
        assert campaign.status == status
    assert AuditEvent.objects.filter(action="campaign.status").count() == 5


def test_campaign_creation_requires_a_coordinator_and_valid_dates(departement, carol, alice, commune_a):
    today = datetime.date.today()
    with pytest.raises(PermissionDenied):
        services.campaign_create(coordinator=departement, actor=alice, title="X", opens_on=today, closes_on=today)
    with pytest.raises(ValidationError):
        services.campaign_create(
            coordinator=departement, actor=carol, title="X", opens_on=today, closes_on=today - datetime.timedelta(1)
        )
    campaign = services.campaign_create(
        coordinator=departement,
        actor=carol,
        title="Numérique 2028",
        opens_on=today,
        closes_on=today,
        members=[commune_a],
    )
    assert campaign.status == CampaignStatus.DRAFT
    assert list(campaign.members.all()) == [commune_a]


@pytest.fixture
def matched_lines(campaign, commune_a, commune_b, site_a, site_b):
    tablets = f.FamilyFactory(code="mobiles", name="Tablettes et classes mobiles")
    displays = f.FamilyFactory(code="affichage", name="Affichage interactif", position=2)
    tablet = f.CatalogItemFactory(family=tablets, reference_unit_price_ht=Decimal("300.00"))
    vpi = f.CatalogItemFactory(family=displays, label="VPI", reference_unit_price_ht=Decimal("2500.00"))
    make = f.NeedLineFactory
    return {
        "tablets": tablets,
        "displays": displays,
        "a_tablets": make(
            campaign=campaign,
            collectivity=commune_a,
            site=site_a,
            quantity=20,
            catalog_item=tablet,
            match_status=MatchStatus.MATCHED,
            match_score=95,
        ),
        "b_tablets": make(
            campaign=campaign,
            collectivity=commune_b,
            site=site_b,
            quantity=10,
            catalog_item=tablet,
            match_status=MatchStatus.CONFIRMED,
            match_score=70,
        ),
        "a_vpi": make(
            campaign=campaign,
            collectivity=commune_a,
            site=site_a,
            quantity=3,
            catalog_item=vpi,
            match_status=MatchStatus.MATCHED,
            match_score=90,
        ),
        "b_review": make(
            campaign=campaign,
            collectivity=commune_b,
            quantity=4,
            catalog_item=tablet,
            match_status=MatchStatus.REVIEW,
            match_score=55,
        ),
    }


def test_grouping_pools_matched_lines_into_one_lot_per_family(campaign, carol, matched_lines, commune_a, commune_b):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="Groupement numérique",
        family_ids=[matched_lines["tablets"].pk, matched_lines["displays"].pk],
    )

    lots = list(grouping.lots.order_by("number"))
    assert [lot.title for lot in lots] == ["Tablettes et classes mobiles", "Affichage interactif"]
    assert set(LotLine.objects.filter(lot=lots[0]).values_list("need_line", flat=True)) == {
        matched_lines["a_tablets"].pk,
        matched_lines["b_tablets"].pk,
    }
    assert not hasattr(NeedLine.objects.get(pk=matched_lines["b_review"].pk), "lot_line")  # doubtful line left out
    assert set(grouping.members.all()) == {commune_a, commune_b}
    reason = LotLine.objects.get(need_line=matched_lines["b_tablets"]).reason
    assert "Tablettes et classes mobiles" in reason and "confirmé" in reason
    assert grouping.reference.startswith("GC-")


def test_grouping_totals_per_lot_member_and_site(campaign, carol, matched_lines, commune_a):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="G",
        family_ids=[matched_lines["tablets"].pk, matched_lines["displays"].pk],
    )
    totals = grouping_totals(grouping=grouping)
    tablets, displays = totals.lots
    assert (tablets.quantity, tablets.value_ht, tablets.member_count, tablets.site_count) == (
        30,
        Decimal("9000.00"),
        2,
        2,
    )
    assert (displays.quantity, displays.value_ht) == (3, Decimal("7500.00"))
    assert totals.value_ht == Decimal("16500.00")
    shares = {m.collectivity_name: (m.quantity, m.value_ht) for m in totals.members}
    assert shares[commune_a.name] == (23, Decimal("13500.00"))

    own = grouping_totals(grouping=grouping, collectivity_ids={commune_a.pk})
    assert own.lots[0].quantity == 30  # pooled total stays whole
    assert [m.collectivity_name for m in own.lots[0].members] == [commune_a.name]
    assert all(site.collectivity_id == commune_a.pk for site in own.lots[0].sites)


def test_only_the_campaign_coordinator_forms_groupings(campaign, alice, matched_lines):
    with pytest.raises(PermissionDenied):
        services.grouping_create_from_campaign(
            campaign=campaign, actor=alice, title="G", family_ids=[matched_lines["tablets"].pk]
        )


def test_a_family_without_poolable_lines_is_refused(campaign, carol):
    empty = f.FamilyFactory(code="vide", name="Vide")
    with pytest.raises(DomainError, match="Aucune ligne"):
        services.grouping_create_from_campaign(campaign=campaign, actor=carol, title="G", family_ids=[empty.pk])


def test_member_adhesion_needs_its_deliberation_and_withdrawal_recomputes_totals(
    campaign, carol, bob, matched_lines, commune_b
):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[matched_lines["tablets"].pk]
    )
    member = grouping.memberships.get(collectivity=commune_b)
    with pytest.raises(DomainError, match="délibération"):
        services.grouping_member_set_status(member=member, actor=bob, status=GroupingMemberStatus.ACCEPTED)
    services.grouping_member_set_status(
        member=member,
        actor=bob,
        status=GroupingMemberStatus.ACCEPTED,
        deliberation_reference="DEL-2026-12",
        deliberation_date=datetime.date(2026, 10, 1),
    )
    assert grouping_totals(grouping=grouping).quantity == 30

    services.grouping_member_set_status(member=member, actor=bob, status=GroupingMemberStatus.WITHDRAWN)
    assert grouping_totals(grouping=grouping).quantity == 20
    assert AuditEvent.objects.filter(action="grouping.member_status").count() == 2


def test_an_outsider_cannot_change_a_membership(campaign, carol, oscar, matched_lines, commune_b):
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[matched_lines["tablets"].pk]
    )
    with pytest.raises(PermissionDenied):
        services.grouping_member_set_status(
            member=grouping.memberships.get(collectivity=commune_b), actor=oscar, status=GroupingMemberStatus.WITHDRAWN
        )


def test_grouping_references_are_numbered_per_year(campaign, carol, matched_lines):
    first = services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="G1",
        family_ids=[matched_lines["tablets"].pk],
        planned_launch_date=datetime.date(2027, 2, 1),
    )
    second = services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="G2",
        family_ids=[matched_lines["displays"].pk],
        planned_launch_date=datetime.date(2027, 3, 1),
    )
    assert (first.reference, second.reference) == ("GC-2027-001", "GC-2027-002")
