"""Learning: a confirmed wording serves its collectivité at once, and everyone once an administrator accepts it."""

import pytest
from django.urls import reverse

from catalog import matching, services
from catalog.models import AliasStatus, CatalogAlias, CatalogItem
from procurement.errors import PermissionDenied
from procurement.models import AuditEvent, MatchStatus, NeedLine
from tests import factories as f

WORDING = "la petite bestiole jaune et noire"


def _match(campaign, collectivity, text):
    line = f.NeedLineFactory(campaign=campaign, collectivity=collectivity, text=text, quantity=1)
    services.need_lines_match(lines=[line])
    line.refresh_from_db()
    return line


@pytest.fixture
def learnt(seeded, campaign, commune_a, alice):
    robot = CatalogItem.objects.get(code="robot-sol-maternelle")
    line = _match(campaign, commune_a, f"3 {WORDING}")
    services.need_line_confirm_match(need_line=line, item=robot, actor=alice)
    return CatalogAlias.objects.get(item=robot, collectivity=commune_a)


def test_accepted_alias_then_matches_for_another_collectivity(learnt, campaign, commune_b):
    admin = f.UserFactory(username="admin", is_staff=True)
    assert _match(campaign, commune_b, WORDING).catalog_item_id != learnt.item_id

    alias = services.alias_accept_for_all(alias=learnt, actor=admin)

    assert alias.collectivity is None and alias.status == AliasStatus.ACCEPTED
    line_b = _match(campaign, commune_b, f"2 {WORDING}")
    assert line_b.catalog_item_id == learnt.item_id
    assert line_b.match_status == MatchStatus.MATCHED and line_b.match_score == 100.0
    assert AuditEvent.objects.filter(action="catalog_alias.accept_for_all", actor=admin).exists()


def test_accept_for_all_merges_duplicates(learnt, campaign, commune_b, bob):
    admin = f.UserFactory(username="admin", is_staff=True)
    line_b = _match(campaign, commune_b, WORDING)
    services.need_line_confirm_match(need_line=line_b, item=learnt.item, actor=bob)
    assert CatalogAlias.objects.filter(item=learnt.item, normalized=learnt.normalized).count() == 2

    services.alias_accept_for_all(alias=learnt, actor=admin)

    [only] = CatalogAlias.objects.filter(item=learnt.item, normalized=learnt.normalized)
    assert only.collectivity is None and only.status == AliasStatus.ACCEPTED


def test_accept_for_all_keeps_an_existing_global_alias(learnt):
    admin = f.UserFactory(username="admin", is_staff=True)
    existing = CatalogAlias.objects.create(
        item=learnt.item, text="bestiole", normalized=learnt.normalized, status=AliasStatus.REJECTED
    )
    kept = services.alias_accept_for_all(alias=learnt, actor=admin)
    assert kept.pk == existing.pk and kept.status == AliasStatus.ACCEPTED
    assert not CatalogAlias.objects.filter(pk=learnt.pk).exists()


def test_only_staff_may_accept_for_all(learnt, alice):
    with pytest.raises(PermissionDenied):
        services.alias_accept_for_all(alias=learnt, actor=alice)
    learnt.refresh_from_db()
    assert learnt.collectivity_id is not None


def test_admin_action_accepts_for_all(client, learnt, campaign, commune_b):
    admin = f.UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:catalog_catalogalias_changelist")
    assert client.get(changelist, {"portee": "collectivite"}).status_code == 200
    response = client.post(changelist, {"action": "accept_for_all", "_selected_action": [learnt.pk]}, follow=True)
    assert response.status_code == 200
    assert "valable pour tous" in response.content.decode()
    learnt.refresh_from_db()
    assert learnt.collectivity is None and learnt.status == AliasStatus.ACCEPTED
    assert _match(campaign, commune_b, WORDING).catalog_item_id == learnt.item_id
    assert NeedLine.objects.filter(collectivity=commune_b, catalog_item=learnt.item).exists()


def test_a_rejected_alias_no_longer_serves_its_collectivity(learnt, campaign, commune_a, alice):
    admin = f.UserFactory(username="admin", is_staff=True)
    assert _match(campaign, commune_a, WORDING).catalog_item_id == learnt.item_id
    with pytest.raises(PermissionDenied):
        services.alias_reject(alias=learnt, actor=alice)

    services.alias_reject(alias=learnt, actor=admin)

    assert _match(campaign, commune_a, WORDING).catalog_item_id != learnt.item_id
    assert AuditEvent.objects.filter(action="catalog_alias.reject", actor=admin).exists()


def test_the_admin_list_counts_the_collectivities_that_taught_a_wording(client, learnt, campaign, commune_b, bob):
    line = _match(campaign, commune_b, WORDING)
    services.need_line_confirm_match(need_line=line, item=learnt.item, actor=bob)
    admin = f.UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("admin:catalog_catalogalias_changelist"))
    assert response.status_code == 200
    shared = {alias.collectivity_id: alias.shared for alias in response.context["cl"].result_list}
    assert shared[learnt.collectivity_id] == 2

    response = client.post(
        reverse("admin:catalog_catalogalias_changelist"),
        {"action": "reject", "_selected_action": [learnt.pk]},
        follow=True,
    )
    learnt.refresh_from_db()
    assert learnt.status == AliasStatus.REJECTED
    assert "1 synonyme refusé." in response.content.decode()


def test_a_correction_replaces_what_the_collectivity_taught(seeded, campaign, commune_a, commune_b, alice, bob):
    wording = "la petite bestiole jaune et noire"
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=wording, quantity=1)
    other = f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text=wording, quantity=1)
    services.need_lines_match(lines=[line, other])
    wrong = CatalogItem.objects.get(code="robot-sol-maternelle")
    right = CatalogItem.objects.get(code="robot-thymio")
    services.need_line_confirm_match(need_line=line, item=wrong, actor=alice)  # a slip of the mouse
    services.need_line_confirm_match(need_line=other, item=wrong, actor=bob)  # commune B means it
    line.refresh_from_db()

    services.need_line_confirm_match(need_line=line, item=right, actor=alice)

    learnt = CatalogAlias.objects.filter(normalized=matching.normalise(wording))
    assert sorted(learnt.values_list("collectivity__name", "item__code")) == sorted(
        [(commune_a.name, "robot-thymio"), (commune_b.name, "robot-sol-maternelle")]
    )
    [row] = AuditEvent.objects.filter(action="catalog_alias.supersede")
    assert row.collectivity == commune_a and row.before["item"] == wrong.pk and row.after is None
    again = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=f"3 {wording}", quantity=3)
    services.need_lines_match(lines=[again])
    again.refresh_from_db()
    assert (again.catalog_item, again.match_status) == (right, MatchStatus.MATCHED)


def test_a_correction_leaves_a_rejected_alias_rejected(seeded, campaign, commune_a, alice):
    wording = "la petite bestiole jaune et noire"
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=wording, quantity=1)
    services.need_lines_match(lines=[line])
    first = services.alias_learn(need_line=line, item=CatalogItem.objects.get(code="robot-sol-maternelle"), actor=alice)
    CatalogAlias.objects.filter(pk=first.pk).update(status=AliasStatus.REJECTED)

    services.need_line_confirm_match(need_line=line, item=CatalogItem.objects.get(code="robot-thymio"), actor=alice)

    assert CatalogAlias.objects.get(pk=first.pk).status == AliasStatus.REJECTED
