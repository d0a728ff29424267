"""The coordinator's grouping editor: every operation, optimistic concurrency, proposals split by territory or
delivery window, State-funding flags (C. éduc. L211-8 5°), and who may reach which route."""

import datetime
import threading
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse

from procurement import services
from procurement.errors import ConflictError, DomainError, PermissionDenied
from procurement.models import AuditEvent, Grouping, GroupingStatus, MatchStatus, NeedLine, Role, SiteKind
from procurement.selectors import campaign_family_totals
from procurement.services import grouping_editor
from tenders.models import Lot, LotLine
from tests import factories as f

# ------------------------------------------------------------------------------------ shared builders


def make_catalog(price_tablet: str = "350.00", price_vpi: str = "2500.00") -> SimpleNamespace:
    """Two homogeneous families of the seed catalog, with one item each."""
    tab_cpv = f.CpvFactory()
    vpi_cpv = f.CpvFactory(code="32322000", code_with_check_digit="32322000-6", label_fr="Équipement multimédia")
    tablets = f.FamilyFactory(code="tablettes", name="Tablettes et accessoires", cpv=tab_cpv, position=40)
    displays = f.FamilyFactory(code="affichage-interactif", name="Affichage interactif", cpv=vpi_cpv, position=10)
    return SimpleNamespace(
        tablets=tablets,
        displays=displays,
        tablet=f.CatalogItemFactory(
            family=tablets, cpv=tab_cpv, label="Tablette 10 pouces", reference_unit_price_ht=Decimal(price_tablet)
        ),
        vpi=f.CatalogItemFactory(family=displays, cpv=vpi_cpv, label="VPI", reference_unit_price_ht=Decimal(price_vpi)),
    )


def pooled_line(campaign, collectivity, item, quantity, **kwargs) -> NeedLine:
    return f.NeedLineFactory(
        campaign=campaign,
        collectivity=collectivity,
        catalog_item=item,
        quantity=quantity,
        match_status=MatchStatus.CONFIRMED,
        match_score=92,
        **kwargs,
    )


def two_member_grouping(campaign, carol, commune_a, commune_b, site_a, site_b, launch=datetime.date(2026, 6, 1)):
    """Grouping "G" of the two families: 20 priced tablets for A (site A), 2 interactive displays for B (site B)."""
    catalog = make_catalog()
    pooled_line(campaign, commune_a, catalog.tablet, 20, site=site_a)
    pooled_line(campaign, commune_b, catalog.vpi, 2, site=site_b)
    return services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="G",
        family_ids=[catalog.tablets.pk, catalog.displays.pk],
        planned_launch_date=launch,
    )


def lot_of(line: NeedLine) -> int | None:
    lot_line = LotLine.objects.filter(need_line=line).select_related("lot").first()
    return lot_line.lot.number if lot_line else None


@pytest.fixture
def catalog(db):
    return make_catalog()


@pytest.fixture
def lines(campaign, catalog, commune_a, commune_b, site_a, site_b):
    return SimpleNamespace(
        a_tab=pooled_line(campaign, commune_a, catalog.tablet, 20, site=site_a),
        b_tab=pooled_line(campaign, commune_b, catalog.tablet, 10, site=site_b),
        a_vpi=pooled_line(campaign, commune_a, catalog.vpi, 3, site=site_a),
    )


@pytest.fixture
def grouping(campaign, carol, catalog, lines):
    """Lot 1 « Affichage interactif » (A's VPI), lot 2 « Tablettes et accessoires » (A's and B's tablets)."""
    return services.grouping_create_from_campaign(
        campaign=campaign,
        actor=carol,
        title="Groupement numérique",
        family_ids=[catalog.tablets.pk, catalog.displays.pk],
        planned_launch_date=datetime.date(2026, 6, 1),
    )


def lots(grouping) -> list[tuple[int, str, set[int]]]:
    return [
        (lot.number, lot.title, set(lot.lot_lines.values_list("need_line_id", flat=True)))
        for lot in Lot.objects.filter(grouping=grouping).order_by("number")
    ]


# ------------------------------------------------------------------------------------------- proposals


def test_proposal_makes_one_lot_per_family_and_says_why(grouping, lines):
    assert lots(grouping) == [
        (1, "Affichage interactif", {lines.a_vpi.pk}),
        (2, "Tablettes et accessoires", {lines.a_tab.pk, lines.b_tab.pk}),
    ]
    reason = LotLine.objects.get(need_line=lines.b_tab).reason
    assert "Tablettes et accessoires" in reason and "groupe CPV 302" in reason and "confirmé" in reason


def test_proposal_split_by_territory_uses_the_epci_else_the_departement(
    campaign, carol, catalog, commune_a, commune_b, departement, site_a, site_b
):
    epci = f.EpciFactory(name="Rennes Métropole")
    commune_a.epci = epci
    commune_a.save()
    a = pooled_line(campaign, commune_a, catalog.tablet, 20, site=site_a)
    b = pooled_line(campaign, commune_b, catalog.tablet, 10, site=site_b)

    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[catalog.tablets.pk], split_by="territory"
    )

    assert lots(grouping) == [
        (1, "Tablettes et accessoires — Ille-et-Vilaine", {b.pk}),
        (2, "Tablettes et accessoires — Rennes Métropole", {a.pk}),
    ]
    assert "EPCI Rennes Métropole" in LotLine.objects.get(need_line=a).reason
    assert "département Ille-et-Vilaine" in LotLine.objects.get(need_line=b).reason


def test_proposal_split_by_delivery_window_groups_lines_by_quarter(campaign, carol, catalog, commune_a, commune_b):
    march = pooled_line(campaign, commune_a, catalog.tablet, 5, wished_delivery_date=datetime.date(2027, 3, 15))
    january = pooled_line(campaign, commune_b, catalog.tablet, 5, wished_delivery_date=datetime.date(2027, 1, 4))
    september = pooled_line(campaign, commune_a, catalog.tablet, 5, wished_delivery_date=datetime.date(2027, 9, 1))
    undated = pooled_line(campaign, commune_b, catalog.tablet, 5)

    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[catalog.tablets.pk], split_by="delivery_window"
    )

    assert lots(grouping) == [
        (1, "Tablettes et accessoires — livraison T1 2027", {march.pk, january.pk}),
        (2, "Tablettes et accessoires — livraison T3 2027", {september.pk}),
        (3, "Tablettes et accessoires — livraison non datée", {undated.pk}),
    ]
    assert "livraison souhaitée le 15/03/2027" in LotLine.objects.get(need_line=march).reason


def test_proposal_refuses_an_unknown_split(campaign, carol, catalog, lines):
    with pytest.raises(DomainError, match="Découpage inconnu"):
        services.grouping_create_from_campaign(
            campaign=campaign, actor=carol, title="G", family_ids=[catalog.tablets.pk], split_by="colour"
        )


# ------------------------------------------------------------------------------------------ operations


def test_move_lines_to_another_lot_records_why_and_bumps_the_version(grouping, carol, lines):
    grouping = services.lot_move_lines(
        grouping=grouping,
        actor=carol,
        expected_version=1,
        lot_number=2,
        need_line_ids=[lines.b_tab.pk],
        target_lot_number=1,
        reason="livraison avec les écrans",
    )

    assert grouping.version == 2
    assert lot_of(lines.b_tab) == 1
    reason = LotLine.objects.get(need_line=lines.b_tab).reason
    assert "Déplacée du lot 2" in reason and "livraison avec les écrans" in reason
    event = AuditEvent.objects.get(action="grouping.lines_move")
    assert event.after["lines"] == [lines.b_tab.pk] and event.actor == carol


def test_moving_every_line_out_of_a_lot_removes_it_and_renumbers(grouping, carol, lines):
    grouping = services.lot_move_lines(
        grouping=grouping,
        actor=carol,
        expected_version=1,
        lot_number=1,
        need_line_ids=[lines.a_vpi.pk],
        target_lot_number=2,
    )
    assert lots(grouping) == [(1, "Tablettes et accessoires", {lines.a_tab.pk, lines.b_tab.pk, lines.a_vpi.pk})]


def test_move_refuses_lines_that_are_not_in_the_source_lot(grouping, carol, lines):
    with pytest.raises(DomainError, match="ne sont pas"):
        services.lot_move_lines(
            grouping=grouping,
            actor=carol,
            expected_version=1,
            lot_number=1,
            need_line_ids=[lines.a_tab.pk],
            target_lot_number=2,
        )
    assert Grouping.objects.get(pk=grouping.pk).version == 1


def test_split_selected_lines_into_a_new_lot(grouping, carol, lines, catalog):
    services.lot_split(
        grouping=grouping,
        actor=carol,
        expected_version=1,
        lot_number=2,
        by="lines",
        need_line_ids=[lines.b_tab.pk],
        title="Tablettes — maternelles",
    )
    new = Lot.objects.get(grouping=grouping, number=3)
    assert (new.title, new.family, new.cpv_id) == ("Tablettes — maternelles", catalog.tablets, "30213200")
    assert lot_of(lines.b_tab) == 3 and lot_of(lines.a_tab) == 2
    assert "Scission du lot 2" in LotLine.objects.get(need_line=lines.b_tab).reason


def test_split_refuses_to_empty_the_original_lot(grouping, carol, lines):
    with pytest.raises(DomainError, match="gardez-en au moins une"):
        services.lot_split(
            grouping=grouping,
            actor=carol,
            expected_version=1,
            lot_number=2,
            by="lines",
            need_line_ids=[lines.a_tab.pk, lines.b_tab.pk],
        )


def test_split_by_member_gives_each_member_its_lot(grouping, carol, lines, commune_a, commune_b):
    services.lot_split(grouping=grouping, actor=carol, expected_version=1, lot_number=2, by="member")
    assert lots(grouping)[1:] == [
        (2, f"Tablettes et accessoires — {commune_a.name}", {lines.a_tab.pk}),
        (3, f"Tablettes et accessoires — {commune_b.name}", {lines.b_tab.pk}),
    ]
    with pytest.raises(DomainError, match="un seul membre"):
        services.lot_split(grouping=grouping, actor=carol, expected_version=2, lot_number=1, by="member")


def test_merge_lots_into_the_first_and_renumber(grouping, carol, lines):
    services.lots_merge(
        grouping=grouping, actor=carol, expected_version=1, lot_numbers=[2, 1], title="Équipement des classes"
    )
    assert lots(grouping) == [(1, "Équipement des classes", {lines.a_tab.pk, lines.b_tab.pk, lines.a_vpi.pk})]
    merged = Lot.objects.get(grouping=grouping)
    assert merged.family is None  # two families in one lot: no single family any more
    state = services.grouping_editor_state(grouping=Grouping.objects.get(pk=grouping.pk))
    assert any("L2113-10" in w for w in state.lots[0].warnings)


def test_merge_needs_two_lots(grouping, carol):
    with pytest.raises(DomainError, match="au moins deux lots"):
        services.lots_merge(grouping=grouping, actor=carol, expected_version=1, lot_numbers=[1])


def test_exclude_lines_sends_them_back_to_the_campaign_with_the_reason(grouping, carol, lines, campaign):
    with pytest.raises(DomainError, match="motif"):
        services.lines_exclude(
            grouping=grouping, actor=carol, expected_version=1, need_line_ids=[lines.b_tab.pk], reason="  "
        )
    services.lines_exclude(
        grouping=grouping,
        actor=carol,
        expected_version=1,
        need_line_ids=[lines.b_tab.pk],
        reason="Besoin déjà couvert par un marché de la commune",
    )

    line = NeedLine.objects.get(pk=lines.b_tab.pk)
    assert lot_of(line) is None
    assert (line.excluded_from_grouping_id, line.exclusion_reason) == (
        grouping.pk,
        "Besoin déjà couvert par un marché de la commune",
    )
    assert campaign_family_totals(campaign=campaign)[0]["lines"] == 1  # back in the campaign pool
    state = services.grouping_editor_state(grouping=grouping)
    assert [nl.pk for nl in state.excluded] == [lines.b_tab.pk]


def test_reinstate_puts_an_excluded_line_back_into_a_lot(grouping, carol, lines):
    services.lines_exclude(
        grouping=grouping, actor=carol, expected_version=1, need_line_ids=[lines.b_tab.pk], reason="Doublon ?"
    )
    services.lines_reinstate(
        grouping=grouping, actor=carol, expected_version=2, need_line_ids=[lines.b_tab.pk], lot_number=2
    )
    line = NeedLine.objects.get(pk=lines.b_tab.pk)
    assert lot_of(line) == 2 and line.excluded_from_grouping is None
    assert "Réintégrée" in LotLine.objects.get(need_line=line).reason


def test_rename_and_change_the_cpv_of_a_lot(grouping, carol):
    f.CpvFactory(code="30213100", code_with_check_digit="30213100-6", label_fr="Ordinateurs portables")
    services.lot_rename(grouping=grouping, actor=carol, expected_version=1, lot_number=2, title="Tablettes élèves")
    services.lot_set_cpv(grouping=grouping, actor=carol, expected_version=2, lot_number=2, cpv="30213100-6")
    lot = Lot.objects.get(grouping=grouping, number=2)
    assert (lot.title, lot.cpv_id) == ("Tablettes élèves", "30213100")
    with pytest.raises(DomainError, match="Clé de contrôle"):
        services.lot_set_cpv(grouping=grouping, actor=carol, expected_version=3, lot_number=2, cpv="30213100-1")
    with pytest.raises(DomainError, match="n'existe pas"):
        services.lot_set_cpv(grouping=grouping, actor=carol, expected_version=3, lot_number=2, cpv="99999999")
    with pytest.raises(DomainError, match="n'est pas un code CPV"):
        services.lot_set_cpv(grouping=grouping, actor=carol, expected_version=3, lot_number=2, cpv="tablettes")


# -------------------------------------------------------------------------------- optimistic concurrency


EDITS = {
    "move": lambda g, u, v, ln: services.lot_move_lines(
        grouping=g, actor=u, expected_version=v, lot_number=2, need_line_ids=[ln.b_tab.pk], target_lot_number=1
    ),
    "split_lines": lambda g, u, v, ln: services.lot_split(
        grouping=g, actor=u, expected_version=v, lot_number=2, by="lines", need_line_ids=[ln.b_tab.pk]
    ),
    "split_member": lambda g, u, v, ln: services.lot_split(
        grouping=g, actor=u, expected_version=v, lot_number=2, by="member"
    ),
    "merge": lambda g, u, v, ln: services.lots_merge(grouping=g, actor=u, expected_version=v, lot_numbers=[1, 2]),
    "exclude": lambda g, u, v, ln: services.lines_exclude(
        grouping=g, actor=u, expected_version=v, need_line_ids=[ln.a_vpi.pk], reason="Hors périmètre"
    ),
    "rename": lambda g, u, v, ln: services.lot_rename(grouping=g, actor=u, expected_version=v, lot_number=1, title="X"),
    "cpv": lambda g, u, v, ln: services.lot_set_cpv(
        grouping=g, actor=u, expected_version=v, lot_number=1, cpv="30213200"
    ),
}


def snapshot_of(grouping) -> tuple:
    return (
        lots(grouping),
        list(Lot.objects.filter(grouping=grouping).order_by("number").values_list("title", "cpv_id", "family_id")),
        list(NeedLine.objects.order_by("pk").values_list("excluded_from_grouping_id", "exclusion_reason")),
    )


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_every_edit_with_a_stale_version_is_refused_and_changes_nothing(grouping, carol, lines, edit):
    # given: another coordinator saved a change since carol opened the editor at version 1
    other = f.MembershipFactory(collectivity=grouping.coordinator, role=Role.COORDINATOR).user
    services.lot_rename(grouping=grouping, actor=other, expected_version=1, lot_number=2, title="Tablettes")
    before = snapshot_of(grouping)
    events = AuditEvent.objects.count()

    # when: carol saves from her stale page
    with pytest.raises(ConflictError) as error:
        EDITS[edit](grouping, carol, 1, lines)

    # then: nothing changed, and she is told who changed it and what to do
    assert snapshot_of(grouping) == before
    assert Grouping.objects.get(pk=grouping.pk).version == 2
    assert AuditEvent.objects.count() == events
    assert f"Le groupement a été modifié par {other}" in error.value.message
    assert "rechargez la page" in error.value.message


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_every_edit_succeeds_with_the_current_version_and_bumps_it(grouping, carol, lines, edit):
    EDITS[edit](grouping, carol, 1, lines)
    assert Grouping.objects.get(pk=grouping.pk).version == 2


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_only_the_coordinator_edits(grouping, alice, lines, edit):
    with pytest.raises(PermissionDenied):
        EDITS[edit](grouping, alice, 1, lines)


def test_editing_is_possible_only_while_the_grouping_is_in_preparation(grouping, carol, lines):
    Grouping.objects.filter(pk=grouping.pk).update(status=GroupingStatus.LAUNCHED)
    with pytest.raises(DomainError, match="ne peuvent plus être modifiés"):
        EDITS["move"](grouping, carol, 1, lines)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_saving_at_once_exactly_one_wins(grouping, carol, lines, monkeypatch):
    # given: two coordinators who opened the editor at version 1
    carl = f.MembershipFactory(collectivity=grouping.coordinator, role=Role.COORDINATOR).user
    real_bump = grouping_editor.bump_version

    def slow_bump(locked):  # widen the window between the version check and the write
        time.sleep(0.3)
        return real_bump(locked)

    monkeypatch.setattr(grouping_editor, "bump_version", slow_bump)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(actor, title):
        try:
            start.wait()
            services.lot_rename(grouping=grouping, actor=actor, expected_version=1, lot_number=2, title=title)
            outcomes[title] = "saved"
        except ConflictError:
            outcomes[title] = "conflict"
        finally:
            connection.close()

    # when: both save at the same moment
    threads = [threading.Thread(target=save, args=(carol, "Carol")), threading.Thread(target=save, args=(carl, "Carl"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then: exactly one wins, the other is told to reload; the version moved once
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(title for title, outcome in outcomes.items() if outcome == "saved")
    assert Lot.objects.get(grouping=grouping, number=2).title == winner
    assert Grouping.objects.get(pk=grouping.pk).version == 2


# ---------------------------------------------------------------------------------------- State funding


def test_pedagogical_resources_for_a_college_are_flagged_as_state_expenses(campaign, carol, departement, commune_a):
    ent = f.FamilyFactory(code="ent-ressources", name="ENT et ressources numériques", nature="services")
    resources = f.CatalogItemFactory(family=ent, label="Banque de ressources pédagogiques")
    tablets = make_catalog()
    college = f.SiteFactory(kind=SiteKind.COLLEGE, name="Collège Anne de Bretagne", competent_collectivity=departement)
    school = f.SiteFactory(commune=commune_a, competent_collectivity=commune_a)
    flagged = pooled_line(campaign, departement, resources, 1, site=college)
    fine_school = pooled_line(campaign, commune_a, resources, 1, site=school)
    fine_hardware = pooled_line(campaign, departement, tablets.tablet, 30, site=college)
    grouping = services.grouping_create_from_campaign(
        campaign=campaign, actor=carol, title="G", family_ids=[ent.pk, tablets.tablets.pk]
    )

    flags = services.state_funding_flags(grouping=grouping)
    assert [flag.line.pk for flag in flags] == [flagged.pk]
    assert "L211-8 5°" in flags[0].message and "Collège Anne de Bretagne" in flags[0].message
    state = services.grouping_editor_state(grouping=grouping)
    warnings = {line.pk: line.state_funding_warning for entry in state.lots for line in entry.lines}
    assert warnings[flagged.pk] and not warnings[fine_school.pk] and not warnings[fine_hardware.pk]
    assert state.flags == 1


def test_state_funding_flags_show_on_the_grouping_page_and_the_editor(client, campaign, carol, departement):
    ent = f.FamilyFactory(code="ent-ressources", name="ENT et ressources numériques", nature="services")
    item = f.CatalogItemFactory(family=ent, label="Manuel numérique")
    lycee = f.SiteFactory(kind=SiteKind.LYCEE, name="Lycée Chateaubriand", competent_collectivity=departement)
    pooled_line(campaign, departement, item, 100, site=lycee)
    grouping = services.grouping_create_from_campaign(campaign=campaign, actor=carol, title="G", family_ids=[ent.pk])
    client.force_login(carol)

    detail = client.get(reverse("procurement:grouping_detail", args=[grouping.pk])).content.decode()
    editor = client.get(reverse("procurement:grouping_editor", args=[grouping.pk])).content.decode()
    assert "L211-8 5°" in detail and "Lycée Chateaubriand" in detail
    assert "Financement État (C. éduc. L211-8 5°)" in editor


# ------------------------------------------------------------------------------------------------ pages


def test_coordinator_edits_lots_through_the_editor_page(client, grouping, carol, lines):
    client.force_login(carol)
    url = reverse("procurement:grouping_editor", args=[grouping.pk])
    body = client.get(url).content.decode()
    assert 'name="version" value="1"' in body and "Pourquoi dans ce lot" in body

    response = client.post(
        reverse("procurement:grouping_lot_lines", args=[grouping.pk, 2]),
        {"version": "1", "lines": [lines.b_tab.pk], "action": "move", "target_lot": "1", "reason": ""},
    )
    assert response.status_code == 302 and response["Location"] == url
    assert lot_of(lines.b_tab) == 1

    response = client.post(
        reverse("procurement:grouping_lot_lines", args=[grouping.pk, 1]),
        {"version": "2", "lines": [lines.b_tab.pk], "action": "exclude", "reason": "Hors périmètre"},
    )
    assert lot_of(lines.b_tab) is None
    client.post(reverse("procurement:grouping_lot_update", args=[grouping.pk, 1]), {"version": "3", "title": "Écrans"})
    client.post(
        reverse("procurement:grouping_lines_reinstate", args=[grouping.pk]),
        {"version": "4", "lines": [lines.b_tab.pk], "lot": "2"},
    )
    client.post(reverse("procurement:grouping_lot_split_by_member", args=[grouping.pk, 2]), {"version": "5"})
    client.post(
        reverse("procurement:grouping_lots_merge", args=[grouping.pk]),
        {"version": "6", "lots": ["2", "3"], "title": "Tablettes"},
    )
    assert Grouping.objects.get(pk=grouping.pk).version == 7
    assert lots(grouping) == [(1, "Écrans", {lines.a_vpi.pk}), (2, "Tablettes", {lines.a_tab.pk, lines.b_tab.pk})]


def test_a_stale_form_gets_409_with_the_explanation_and_changes_nothing(client, grouping, carol, lines):
    services.lot_rename(grouping=grouping, actor=carol, expected_version=1, lot_number=1, title="Écrans")
    client.force_login(carol)
    response = client.post(
        reverse("procurement:grouping_lot_lines", args=[grouping.pk, 2]),
        {"version": "1", "lines": [lines.b_tab.pk], "action": "move", "target_lot": "1"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "a été modifié par" in body and "rechargez la page" in body and 'name="version" value="2"' in body
    assert lot_of(lines.b_tab) == 2


def test_htmx_edits_answer_with_the_editor_fragment(client, grouping, carol, lines):
    client.force_login(carol)
    response = client.post(
        reverse("procurement:grouping_lot_update", args=[grouping.pk, 2]),
        {"version": "1", "title": "Tablettes élèves", "cpv": "30213200-7"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="editeur"')
    assert "Tablettes élèves" in body and 'name="version" value="2"' in body
    stale = client.post(
        reverse("procurement:grouping_lot_update", args=[grouping.pk, 2]),
        {"version": "1", "title": "Autre"},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 200 and 'role="alert"' in stale.content.decode()


# --------------------------------------------------------------------------------------------------- API


def api_url(name, grouping, *args):
    return reverse(f"api:{name}", args=[grouping.pk, *args])


def test_api_editor_state_and_move_lines(api_client, grouping, carol, lines):
    api_client.force_authenticate(carol)
    state = api_client.get(api_url("grouping-lots", grouping)).json()
    assert state["version"] == 1 and [lot["number"] for lot in state["lots"]] == [1, 2]
    assert state["lots"][1]["lines"][0]["reason"]

    response = api_client.post(
        api_url("grouping-lot-move-lines", grouping, 2),
        {"expected_version": 1, "lines": [lines.b_tab.pk], "target_lot": 1, "reason": "même livraison"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert lines.b_tab.pk in [line["id"] for line in response.json()["lots"][0]["lines"]]


def test_api_stale_version_is_409_and_nothing_changes(api_client, grouping, carol, lines):
    api_client.force_authenticate(carol)
    api_client.patch(api_url("grouping-lot-detail", grouping, 1), {"expected_version": 1, "title": "A"}, format="json")
    response = api_client.post(
        api_url("grouping-lot-split", grouping, 2),
        {"expected_version": 1, "by": "lines", "lines": [lines.b_tab.pk]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and "rechargez la page" in response.json()["detail"]
    assert lot_of(lines.b_tab) == 2


def test_api_every_editing_operation(api_client, grouping, carol, lines):
    api_client.force_authenticate(carol)
    calls = [
        ("grouping-lot-detail", (2,), "patch", {"title": "Tablettes", "cpv": "30213200-7"}),
        ("grouping-lot-split", (2,), "post", {"by": "member"}),
        ("grouping-lots-merge", (), "post", {"lots": [2, 3], "title": "Tablettes"}),
        ("grouping-lines-exclude", (), "post", {"lines": [lines.a_vpi.pk], "reason": "Hors périmètre"}),
    ]
    for version, (name, args, method, payload) in enumerate(calls, start=1):
        response = getattr(api_client, method)(
            api_url(name, grouping, *args), {"expected_version": version, **payload}, format="json"
        )
        assert response.status_code == 200, (name, response.json())
    response = api_client.post(
        api_url("grouping-lines-reinstate", grouping),
        {"expected_version": 5, "lines": [lines.a_vpi.pk], "lot": 1},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["version"] == 6
    assert [(lot["number"], lot["title"]) for lot in response.json()["lots"]] == [(1, "Tablettes")]


def test_api_domain_errors_are_400_in_french(api_client, grouping, carol, lines):
    api_client.force_authenticate(carol)
    response = api_client.post(
        api_url("grouping-lines-exclude", grouping), {"expected_version": 1, "lines": [999999], "reason": "x"}
    )
    assert response.status_code == 400 and "rechargez la page" in response.json()["detail"]


# --------------------------------------------------------------------------------------------- tenancy


def page_routes(grouping):
    pk = grouping.pk
    return [
        ("get", reverse("procurement:grouping_editor", args=[pk])),
        ("post", reverse("procurement:grouping_lot_lines", args=[pk, 1])),
        ("post", reverse("procurement:grouping_lot_split_by_member", args=[pk, 1])),
        ("post", reverse("procurement:grouping_lot_update", args=[pk, 1])),
        ("post", reverse("procurement:grouping_lots_merge", args=[pk])),
        ("post", reverse("procurement:grouping_lines_reinstate", args=[pk])),
        ("post", reverse("procurement:grouping_member_add", args=[pk])),
        ("post", reverse("procurement:grouping_launch", args=[pk])),
        ("post", reverse("procurement:grouping_cost_sharing", args=[pk])),
    ]


def api_routes(grouping, member_pk):
    return [
        ("get", api_url("grouping-lots", grouping)),
        ("post", api_url("grouping-lot-move-lines", grouping, 1)),
        ("post", api_url("grouping-lot-split", grouping, 1)),
        ("post", api_url("grouping-lots-merge", grouping)),
        ("patch", api_url("grouping-lot-detail", grouping, 1)),
        ("post", api_url("grouping-lines-exclude", grouping)),
        ("post", api_url("grouping-lines-reinstate", grouping)),
        ("post", api_url("grouping-members", grouping)),
        ("post", api_url("grouping-launch", grouping)),
        ("put", api_url("grouping-cost-sharing", grouping)),
    ]


READ_ROUTES = [
    ("get", "procurement:grouping_whatif"),
    ("get", "api:grouping-breakdown"),
    ("get", "api:grouping-withdrawal-simulation"),
]


def test_outsider_gets_404_on_every_page_and_api_route(client, api_client, grouping, oscar):
    client.force_login(oscar)
    api_client.force_authenticate(oscar)
    member = grouping.memberships.first()
    for method, url in page_routes(grouping):
        assert getattr(client, method)(url).status_code == 404, url
    for method, url in [
        *api_routes(grouping, member.pk),
        ("post", api_url("grouping-member-status", grouping, member.pk)),
    ]:
        assert getattr(api_client, method)(url, {}, format="json").status_code == 404, url
    for method, name in READ_ROUTES:
        test_client = api_client if name.startswith("api:") else client
        assert getattr(test_client, method)(reverse(name, args=[grouping.pk])).status_code == 404, name


def test_a_member_who_does_not_coordinate_gets_403_on_editing_routes(client, api_client, grouping, alice):
    client.force_login(alice)
    api_client.force_authenticate(alice)
    for method, url in page_routes(grouping):
        assert getattr(client, method)(url).status_code == 403, url
    for method, url in api_routes(grouping, None):
        response = getattr(api_client, method)(url, {"expected_version": 1}, format="json")
        assert response.status_code == 403, url
    for method, name in READ_ROUTES:  # but may read its own figures
        test_client = api_client if name.startswith("api:") else client
        assert getattr(test_client, method)(reverse(name, args=[grouping.pk])).status_code == 200, name
