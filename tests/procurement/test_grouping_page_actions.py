"""The grouping page: its POST actions (invite, launch, cost sharing) and the figures it shows each reader."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procurement.models import Grouping, GroupingMember, GroupingMemberStatus
from tenders import selectors as tender_selectors
from tenders.selectors import grouping_totals, totals_for_members
from tests import factories as f
from tests.procurement.test_grouping_editor import two_member_grouping


@pytest.fixture
def grouping(campaign, carol, commune_a, commune_b, site_a, site_b):
    """Two members with priced needs in two lots: 20 tablets for A, 2 interactive displays for B."""
    return two_member_grouping(campaign, carol, commune_a, commune_b, site_a, site_b)


def detail(grouping, anchor: str = "") -> str:
    return reverse("procurement:grouping_detail", args=[grouping.pk]) + anchor


def flashed(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


# ------------------------------------------------------------------------------------------ POST actions


def test_inviting_a_member_redirects_to_the_members_section_with_its_name(client, grouping, carol, departement):
    extra = f.CommuneFactory(name="Laillé", departement=departement)
    client.force_login(carol)

    response = client.post(reverse("procurement:grouping_member_add", args=[grouping.pk]), {"collectivity": extra.pk})

    assert response.status_code == 302 and response.url == detail(grouping, "#membres")
    assert flashed(response) == [("success", "Laillé est invitée dans le groupement.")]
    assert GroupingMember.objects.get(grouping=grouping, collectivity=extra).status == GroupingMemberStatus.INVITED


def test_an_invalid_form_is_an_error_message_on_the_right_section(client, grouping, carol):
    client.force_login(carol)

    response = client.post(reverse("procurement:grouping_cost_sharing", args=[grouping.pk]), {"version": "1"})

    assert response.status_code == 302 and response.url == detail(grouping, "#repartition")
    [(level, message)] = flashed(response)
    assert level == "error" and "obligatoire" in message


def test_a_refused_operation_is_an_error_message_and_changes_nothing(client, grouping, carol):
    client.force_login(carol)

    response = client.post(
        reverse("procurement:grouping_launch", args=[grouping.pk]), {"version": "1", "launch_date": "2026-06-01"}
    )

    assert response.status_code == 302 and response.url == detail(grouping, "#lancement")
    [(level, message)] = flashed(response)
    assert level == "error" and "ne peut pas être lancée" in message
    assert Grouping.objects.get(pk=grouping.pk).status == grouping.status


def member_status(client, grouping, collectivity, data: dict):
    member = GroupingMember.objects.get(grouping=grouping, collectivity=collectivity)
    return client.post(reverse("procurement:grouping_member_status", args=[grouping.pk, member.pk]), data)


def test_a_member_records_its_adhesion_from_the_members_section(client, grouping, alice, commune_a):
    client.force_login(alice)

    response = member_status(
        client,
        grouping,
        commune_a,
        {"status": "accepted", "deliberation_reference": "DEL-2026-14", "deliberation_date": "2026-03-02"},
    )

    assert response.status_code == 302 and response.url == detail(grouping, "#membres")
    assert flashed(response) == [("success", f"Adhésion de {commune_a.name} mise à jour.")]
    member = GroupingMember.objects.get(grouping=grouping, collectivity=commune_a)
    assert (member.status, member.deliberation_reference) == (GroupingMemberStatus.ACCEPTED, "DEL-2026-14")


def test_an_adhesion_without_its_deliberation_is_refused_with_the_reason(client, grouping, alice, commune_a):
    client.force_login(alice)
    before = GroupingMember.objects.get(grouping=grouping, collectivity=commune_a).status

    response = member_status(client, grouping, commune_a, {"status": "accepted"})

    assert response.status_code == 302 and response.url == detail(grouping, "#membres")
    assert flashed(response) == [("error", "Indiquez la référence et la date de la délibération d'adhésion.")]
    assert GroupingMember.objects.get(grouping=grouping, collectivity=commune_a).status == before


def test_an_unknown_member_status_is_an_error_message(client, grouping, alice, commune_a):
    client.force_login(alice)

    response = member_status(client, grouping, commune_a, {"status": "invited"})

    [(level, message)] = flashed(response)
    assert response.url == detail(grouping, "#membres") and level == "error" and "invited" in message


def test_a_member_cannot_change_another_members_adhesion(client, grouping, bob, commune_a):
    """Bob's commune shares the grouping, so he sees the page, but Alice's membership is not his: 403."""
    client.force_login(bob)
    before = GroupingMember.objects.get(grouping=grouping, collectivity=commune_a).status

    response = member_status(client, grouping, commune_a, {"status": "withdrawn"})

    assert response.status_code == 403
    assert GroupingMember.objects.get(grouping=grouping, collectivity=commune_a).status == before


def cost_sharing(client, grouping, version: int):
    return client.post(
        reverse("procurement:grouping_cost_sharing", args=[grouping.pk]),
        {"version": str(version), "coordination_costs_ht": "10", "cost_sharing_key": "equal"},
    )


def test_a_member_cannot_post_the_coordinators_actions(client, grouping, alice):
    client.force_login(alice)
    url = reverse("procurement:grouping_launch", args=[grouping.pk])

    assert client.post(url, {"version": "1", "launch_date": "2026-06-01"}).status_code == 403
    assert cost_sharing(client, grouping, grouping.version).status_code == 403
    assert Grouping.objects.get(pk=grouping.pk).coordination_costs_ht == grouping.coordination_costs_ht


def test_a_domain_error_keeps_its_message(client, grouping, carol):
    """A stale version (someone saved meanwhile) is refused by the service with its own explanation."""
    client.force_login(carol)

    response = cost_sharing(client, grouping, grouping.version + 5)

    [(level, message)] = flashed(response)
    assert level == "error" and message.startswith("Le groupement a été modifié par")
    assert f"version ouverte : {grouping.version + 5}" in message
    assert Grouping.objects.get(pk=grouping.pk).coordination_costs_ht == grouping.coordination_costs_ht


def test_totals_for_members_equal_the_restricted_selector(grouping, commune_a, commune_b):
    full = grouping_totals(grouping=grouping)

    for ids in ({commune_a.pk}, {commune_b.pk}, set(), {commune_a.pk, commune_b.pk}):
        assert totals_for_members(full, ids) == grouping_totals(grouping=grouping, collectivity_ids=ids)
    assert totals_for_members(full, None) is full
    # the full totals are left as they were, for the cost sharing
    assert full == grouping_totals(grouping=grouping)


def test_the_member_page_computes_the_totals_once(client, grouping, alice, monkeypatch):
    calls = []

    def counted(**kwargs):
        calls.append(kwargs)
        return grouping_totals(**kwargs)

    monkeypatch.setattr(tender_selectors, "grouping_totals", counted)
    client.force_login(alice)

    assert client.get(detail(grouping)).status_code == 200
    assert calls == [{"grouping": grouping}]


def test_the_member_page_runs_the_totals_queries_once(client, grouping, alice):
    # given: the queries of one computation of the totals (read now: each request resets the query log)
    with CaptureQueriesContext(connection) as one_computation:
        grouping_totals(grouping=grouping)
    totals_sql = [q["sql"] for q in one_computation.captured_queries]
    client.force_login(alice)

    # when: a member opens the page
    with CaptureQueriesContext(connection) as page:
        assert client.get(detail(grouping)).status_code == 200

    # then: each of those queries ran once, not twice (once restricted, once for the cost sharing)
    ran = [q["sql"] for q in page.captured_queries]
    assert len(set(totals_sql)) == len(totals_sql) > 0
    assert [ran.count(sql) for sql in totals_sql] == [1] * len(totals_sql)


def test_a_member_sees_only_its_own_shares_and_its_cost_share(client, grouping, alice, carol, commune_a, commune_b):
    client.force_login(alice)

    response = client.get(detail(grouping))

    assert [m.collectivity_id for m in response.context["totals"].members] == [commune_a.pk]
    shares = {s.collectivity_id for lot in response.context["totals"].lots for s in lot.members + lot.sites}
    assert shares == {commune_a.pk}
    assert [m.collectivity_id for m in response.context["breakdown"].members] == [commune_a.pk]
    breakdown_section = response.content.decode().split('id="repartition"')[1].split("</section>")[0]
    assert commune_a.name in breakdown_section
    assert commune_b.name not in breakdown_section


def test_the_page_outline_links_to_sections_that_exist(client, grouping, carol):
    import re

    client.force_login(carol)
    body = client.get(detail(grouping)).content.decode()
    outline = body[body.index('aria-label="Sur cette page"') :]
    outline = outline[: outline.index("</nav>")]
    anchors = re.findall(r'href="#([\w-]+)"', outline)
    assert len(anchors) >= 4
    ids = set(re.findall(r'id="([\w-]+)"', body))
    assert set(anchors) <= ids, set(anchors) - ids
