"""Membership workflow: invite → accept (deliberation) → sign the convention → launch; withdrawal before launch;
no latecomer after launch (domain.md §1.1, §9 E.20 and E.21)."""

import datetime

import pytest
from django.urls import reverse

from procurement import services
from procurement.errors import ConflictError, DomainError, PermissionDenied
from procurement.grouping_rules import assess_grouping
from procurement.models import AuditEvent, Grouping, GroupingMember, GroupingMemberStatus, GroupingStatus, NeedLine
from tenders.models import Lot
from tenders.selectors import grouping_totals
from tests import factories as f
from tests.procurement.test_grouping_editor import two_member_grouping

LAUNCH = datetime.date(2026, 6, 1)


@pytest.fixture
def grouping(campaign, carol, commune_a, commune_b, site_a, site_b):
    return two_member_grouping(campaign, carol, commune_a, commune_b, site_a, site_b, launch=LAUNCH)


def member(grouping, collectivity) -> GroupingMember:
    return GroupingMember.objects.get(grouping=grouping, collectivity=collectivity)


def sign(grouping, collectivity, actor, when=datetime.date(2026, 3, 10)) -> GroupingMember:
    m = member(grouping, collectivity)
    services.grouping_member_set_status(
        member=m,
        actor=actor,
        status=GroupingMemberStatus.ACCEPTED,
        deliberation_reference=f"DEL-{collectivity.pk}",
        deliberation_date=when,
    )
    return services.grouping_member_set_status(member=m, actor=actor, status=GroupingMemberStatus.SIGNED)


def test_full_workflow_from_invitation_to_launch(grouping, carol, alice, bob, commune_a, commune_b, departement):
    # given: a third collectivité invited by the coordinator
    extra = f.CommuneFactory(name="Chartres-de-Bretagne", departement=departement)
    invited = services.grouping_member_add(grouping=grouping, collectivity=extra, actor=carol)
    assert invited.status == GroupingMemberStatus.INVITED

    # when: every member deliberates then signs, and the coordinator launches
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob)
    sign(grouping, extra, carol)
    launched = services.grouping_launch(grouping=grouping, actor=carol, launch_date=datetime.date(2026, 6, 15))

    # then: the grouping is launched at that date and its membership is locked
    assert (launched.status, launched.planned_launch_date) == (GroupingStatus.LAUNCHED, datetime.date(2026, 6, 15))
    assert AuditEvent.objects.filter(action="grouping.launch").exists()
    with pytest.raises(DomainError, match="verrouillées"):
        services.grouping_member_set_status(
            member=member(grouping, commune_b), actor=bob, status=GroupingMemberStatus.WITHDRAWN
        )


def test_the_convention_cannot_be_signed_before_the_deliberation(grouping, alice, commune_a):
    with pytest.raises(DomainError, match="après la délibération"):
        services.grouping_member_set_status(
            member=member(grouping, commune_a), actor=alice, status=GroupingMemberStatus.SIGNED
        )


def test_launch_is_refused_until_every_member_has_signed_and_deliberated(grouping, carol, alice, commune_a):
    sign(grouping, commune_a, alice)
    with pytest.raises(DomainError) as error:
        services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH)
    message = error.value.message
    assert "L2113-7" in message and "Cesson-Sévigné : convention non signée, délibération non enregistrée" in message
    assert "Bruz" not in message
    assert Grouping.objects.get(pk=grouping.pk).status == GroupingStatus.DRAFT


def test_launch_is_refused_when_a_deliberation_postdates_the_launch(grouping, carol, alice, bob, commune_a, commune_b):
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob, when=datetime.date(2026, 7, 1))
    with pytest.raises(DomainError, match="postérieure au lancement"):
        services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH)


def test_withdrawn_members_do_not_block_the_launch(grouping, carol, alice, bob, commune_a, commune_b):
    sign(grouping, commune_a, alice)
    services.grouping_member_set_status(
        member=member(grouping, commune_b), actor=bob, status=GroupingMemberStatus.WITHDRAWN
    )
    assert services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH).status == "launched"


def test_only_the_coordinator_launches(grouping, alice, commune_a, commune_b, bob):
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob)
    with pytest.raises(PermissionDenied):
        services.grouping_launch(grouping=grouping, actor=alice, launch_date=LAUNCH)


def test_launch_with_a_stale_version_is_a_conflict(grouping, carol, alice, bob, commune_a, commune_b):
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob)
    with pytest.raises(ConflictError):
        services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH, expected_version=99)


def test_a_latecomer_is_refused_after_the_launch_with_the_explanation(
    grouping, carol, alice, bob, commune_a, commune_b, departement
):
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob)
    services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH)
    latecomer = f.CommuneFactory(name="Laillé", departement=departement)

    with pytest.raises(DomainError) as error:
        services.grouping_member_add(grouping=grouping, collectivity=latecomer, actor=carol)

    assert error.value.code == "latecomer"
    assert "Laillé ne peut pas rejoindre" in error.value.message
    assert "ne peut pas bénéficier des marchés de cette procédure" in error.value.message
    assert "01/06/2026" in error.value.message
    assert not GroupingMember.objects.filter(collectivity=latecomer).exists()


def test_a_latecomer_is_refused_through_the_api_and_the_page(
    api_client, client, grouping, carol, alice, bob, commune_a, commune_b, departement
):
    sign(grouping, commune_a, alice)
    sign(grouping, commune_b, bob)
    services.grouping_launch(grouping=grouping, actor=carol, launch_date=LAUNCH)
    latecomer = f.CommuneFactory(name="Laillé", departement=departement)

    api_client.force_authenticate(carol)
    response = api_client.post(
        reverse("api:grouping-members", args=[grouping.pk]), {"collectivity": latecomer.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "latecomer"

    client.force_login(carol)
    response = client.post(
        reverse("procurement:grouping_member_add", args=[grouping.pk]), {"collectivity": latecomer.pk}, follow=True
    )
    assert "ne peut pas bénéficier" in response.content.decode()
    assert not GroupingMember.objects.filter(collectivity=latecomer).exists()


def test_withdrawal_before_launch_recomputes_totals_and_procedure(grouping, bob, commune_b):
    # given: 20 tablets at 350 € for A (7 000 €) and 2 VPI at 2 500 € for B (5 000 €)
    assert grouping_totals(grouping=grouping).value_ht == 12000
    version = Grouping.objects.get(pk=grouping.pk).version

    # when: B withdraws
    services.grouping_member_set_status(
        member=member(grouping, commune_b), actor=bob, status=GroupingMemberStatus.WITHDRAWN
    )

    # then: its needs leave the lots (the emptied lot disappears), every figure is recomputed
    grouping = Grouping.objects.get(pk=grouping.pk)
    totals = grouping_totals(grouping=grouping)
    assert totals.value_ht == 7000 and totals.member_count == 1
    assert list(Lot.objects.filter(grouping=grouping).values_list("number", "title")) == [
        (1, "Tablettes et accessoires")
    ]
    assert assess_grouping(grouping=grouping, totals=totals).total_value_ht == 7000
    assert grouping.version == version + 1
    line = NeedLine.objects.get(collectivity=commune_b)
    assert line.excluded_from_grouping == grouping and "Retrait de Cesson-Sévigné" in line.exclusion_reason


def test_a_withdrawn_member_can_be_invited_again_and_its_lines_reinstated(grouping, carol, bob, commune_b):
    services.grouping_member_set_status(
        member=member(grouping, commune_b), actor=bob, status=GroupingMemberStatus.WITHDRAWN
    )
    with pytest.raises(DomainError, match="inviter de nouveau"):
        services.grouping_member_set_status(
            member=member(grouping, commune_b),
            actor=bob,
            status=GroupingMemberStatus.ACCEPTED,
            deliberation_reference="D",
            deliberation_date=LAUNCH,
        )
    services.grouping_member_add(grouping=grouping, collectivity=commune_b, actor=carol)
    assert member(grouping, commune_b).status == GroupingMemberStatus.INVITED
    grouping = Grouping.objects.get(pk=grouping.pk)
    line = NeedLine.objects.get(collectivity=commune_b)
    services.lines_reinstate(
        grouping=grouping, actor=carol, expected_version=grouping.version, need_line_ids=[line.pk], lot_number=1
    )
    assert grouping_totals(grouping=grouping).value_ht == 12000


def test_an_active_member_cannot_be_added_twice(grouping, carol, commune_a):
    with pytest.raises(DomainError, match="déjà membre"):
        services.grouping_member_add(grouping=grouping, collectivity=commune_a, actor=carol)


def test_member_status_through_the_api(api_client, grouping, bob, commune_b):
    api_client.force_authenticate(bob)
    url = reverse("api:grouping-member-status", args=[grouping.pk, member(grouping, commune_b).pk])
    response = api_client.post(
        url, {"status": "accepted", "deliberation_reference": "DEL-7", "deliberation_date": "2026-03-01"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert api_client.post(url, {"status": "signed"}, format="json").json()["status"] == "signed"


def test_launch_through_the_page_shows_what_is_missing_then_launches(client, grouping, carol, alice, bob, commune_a):
    client.force_login(carol)
    detail = reverse("procurement:grouping_detail", args=[grouping.pk])
    body = client.get(detail).content.decode()
    assert "Lancer la consultation" in body and "convention non signée" in body

    response = client.post(
        reverse("procurement:grouping_launch", args=[grouping.pk]),
        {"version": "1", "launch_date": "2026-06-01"},
        follow=True,
    )
    assert "ne peut pas être lancée" in response.content.decode()

    sign(grouping, commune_a, alice)
    sign(grouping, grouping.memberships.exclude(collectivity=commune_a).get().collectivity, bob)
    response = client.post(
        reverse("procurement:grouping_launch", args=[grouping.pk]),
        {"version": str(Grouping.objects.get(pk=grouping.pk).version), "launch_date": "2026-06-01"},
        follow=True,
    )
    assert "Consultation lancée" in response.content.decode()
    assert Grouping.objects.get(pk=grouping.pk).status == GroupingStatus.LAUNCHED
    editor = client.get(reverse("procurement:grouping_editor", args=[grouping.pk])).content.decode()
    assert "ne sont plus modifiables" in editor and "Appliquer aux lignes" not in editor
