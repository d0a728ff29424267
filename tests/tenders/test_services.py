import datetime

import pytest

from procurement.errors import DomainError, PermissionDenied
from procurement.models import AuditEvent
from tenders.models import Publication, PublicationStatus
from tenders.services import publication_create, publication_withdraw
from tests import factories as f


def _publish(grouping, actor, **kwargs):
    params = {"title": "Demande", "summary": "", "expected_launch_date": datetime.date(2027, 3, 1), **kwargs}
    return publication_create(grouping=grouping, actor=actor, **params)


def test_publication_snapshot_sums_quantities_per_lot_item_and_territory(publication):
    content = publication.content

    assert publication.status == PublicationStatus.PUBLISHED
    assert content["reference"] == "GC-35-2027-001"
    assert content["nature"] == "supplies"
    assert (content["duration_months"], content["renewals"]) == (24, 1)
    assert content["coordinator"]["name"] == "Ille-et-Vilaine"
    assert content["members"] == {"count": 2, "by_kind": {"commune": 2}, "names": ["Bruz", "Cesson-Sévigné"]}
    assert content["totals"] == {"lots": 2, "quantity": 4290 + 440, "sites": 2}
    assert content["timeline"]["expected_launch_date"] == "2027-03-01"
    assert content["timeline"]["expected_delivery_end"] == "2027-08-31"

    lot1, lot2 = content["lots"]
    assert (lot1["number"], lot1["title"], lot1["quantity"]) == (1, "Tablettes et portables", 4290)
    assert lot1["family"] == {"code": "postes-mobiles", "name": "Postes de travail mobiles"}
    assert lot1["cpv"] == {"code": "30213200", "display_code": "30213200-7", "label": "Ordinateur tablette"}
    assert {i["label"]: i["quantity"] for i in lot1["items"]} == {
        "Ordinateur portable 14 pouces": 942,
        "Tablette tactile 10 pouces": 3348,
    }
    assert {i["unit_label"] for i in lot1["items"]} == {"unité"}
    assert (lot1["sites"], lot1["members"]) == (2, 2)
    assert lot1["territories"] == [
        {"name": "Ille-et-Vilaine", "code": "ille-et-vilaine", "quantity": 4290, "members": 2}
    ]
    assert lot2["quantity"] == 440
    assert lot2["items"] == [
        {
            "label": "Vidéoprojecteur interactif",
            "cpv": "38652120",
            "cpv_label": "Vidéoprojecteurs",
            "unit": "unite",
            "unit_label": "unité",
            "quantity": 440,
        }
    ]
    assert content["facets"] == {
        "families": {"affichage": "Affichage collectif", "postes-mobiles": "Postes de travail mobiles"},
        "territories": {"ille-et-vilaine": "Ille-et-Vilaine"},
    }


def test_publication_snapshot_counts_a_pooling_coordinator_as_member(grouping, lots, departement, items, carol):
    f.LotLineFactory(
        lot=lots[2],
        need_line=f.NeedLineFactory(
            campaign=grouping.campaign, collectivity=departement, catalog_item=items["projector"], quantity=30
        ),
    )

    publication = _publish(grouping, carol)

    assert publication.content["members"]["by_kind"] == {"commune": 2, "departement": 1}


def test_publication_create_records_an_audit_row(publication, carol):
    event = AuditEvent.objects.get(action="publication.create", target_id=str(publication.pk))
    assert event.actor == carol
    assert event.collectivity == publication.grouping.coordinator
    assert event.after["grouping"] == "GC-35-2027-001"


def test_publication_create_is_reserved_to_the_coordinator(grouping, lines, alice):
    with pytest.raises(PermissionDenied):
        _publish(grouping, alice)
    assert not Publication.objects.exists()


def test_publication_create_refuses_a_grouping_without_lot_lines(grouping, lots, carol):
    with pytest.raises(DomainError, match="aucune ligne"):
        _publish(grouping, carol)


def test_publication_create_refuses_delivery_ending_before_it_starts(grouping, lines, carol):
    with pytest.raises(DomainError) as exc:
        _publish(
            grouping,
            carol,
            expected_delivery_start=datetime.date(2027, 9, 1),
            expected_delivery_end=datetime.date(2027, 7, 1),
        )
    assert exc.value.field == "expected_delivery_end"


def test_republishing_supersedes_the_previous_publication(publication, grouping, carol):
    second = _publish(grouping, carol, title="Deuxième version")

    publication.refresh_from_db()
    assert publication.status == PublicationStatus.SUPERSEDED
    assert second.status == PublicationStatus.PUBLISHED
    assert list(Publication.objects.published()) == [second]
    assert AuditEvent.objects.filter(action="publication.supersede", target_id=str(publication.pk)).exists()


def test_republishing_leaves_other_groupings_publications_alone(publication, carol, lines):
    other = f.PublicationFactory(grouping=f.GroupingFactory(campaign=publication.grouping.campaign))

    _publish(publication.grouping, carol)

    other.refresh_from_db()
    assert other.status == PublicationStatus.PUBLISHED


def test_snapshot_is_frozen_against_later_changes(publication, lines, lots, grouping, items):
    lines["a_tablet"].quantity = 5000
    lines["a_tablet"].save()
    f.LotLineFactory(lot=lots[2], need_line=lines["b_printer"])
    lots[1].title = "Titre modifié après publication"
    lots[1].save()

    publication.refresh_from_db()
    assert publication.content["lots"][0]["quantity"] == 4290
    assert publication.content["lots"][0]["title"] == "Tablettes et portables"
    assert len(publication.content["lots"][1]["items"]) == 1


def test_withdraw_takes_the_publication_offline(publication, carol):
    publication_withdraw(publication=publication, actor=carol)

    publication.refresh_from_db()
    assert publication.status == PublicationStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="publication.withdraw", target_id=str(publication.pk)).exists()


def test_withdraw_is_reserved_to_the_coordinator(publication, alice):
    with pytest.raises(PermissionDenied):
        publication_withdraw(publication=publication, actor=alice)


def test_withdraw_refuses_a_publication_already_offline(publication, carol):
    publication_withdraw(publication=publication, actor=carol)
    with pytest.raises(DomainError):
        publication_withdraw(publication=publication, actor=carol)


def test_a_territory_of_a_single_member_is_pooled_into_other_territories(grouping, lots, items, carol, lines):
    # given an EPCI member: its territory is itself, so its row would be a per-member quantity
    epci = f.EpciFactory(name="Vallons de Haute Bretagne Communauté")
    f.GroupingMemberFactory(grouping=grouping, collectivity=epci)
    line = f.NeedLineFactory(
        campaign=grouping.campaign, collectivity=epci, catalog_item=items["projector"], quantity=61
    )
    f.LotLineFactory(lot=lots[2], need_line=line)

    content = _publish(grouping, carol).content

    assert content["lots"][1]["territories"] == [
        {"name": "Ille-et-Vilaine", "code": "ille-et-vilaine", "quantity": 440, "members": 2},
        {"name": "Autres territoires", "code": "", "quantity": 61, "members": 1},
    ]
    assert content["facets"]["territories"] == {"ille-et-vilaine": "Ille-et-Vilaine"}
    assert "Vallons de Haute Bretagne Communauté" in content["members"]["names"]


@pytest.mark.parametrize("change", ["supersede", "withdraw"])
def test_status_changes_are_audited_with_before_and_after(publication, grouping, carol, change):
    if change == "supersede":
        _publish(grouping, carol, title="Deuxième version")
    else:
        publication_withdraw(publication=publication, actor=carol)

    event = AuditEvent.objects.get(action=f"publication.{change}", target_id=str(publication.pk))
    expected = PublicationStatus.SUPERSEDED if change == "supersede" else PublicationStatus.WITHDRAWN
    assert (event.before["status"], event.after["status"]) == (PublicationStatus.PUBLISHED, expected)
    assert (event.actor, event.collectivity) == (carol, grouping.coordinator)
