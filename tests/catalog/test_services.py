import pytest

from catalog import services
from catalog.models import AliasStatus, CatalogAlias, CatalogItem
from procurement.errors import PermissionDenied
from procurement.models import AuditEvent, MatchStatus, NeedLine
from tests import factories as f

WORDINGS = [
    "20 tabblettes 10p pour CM1",
    "VPI ultra courte focale salle 12",
    "Maintenance 3 ans des TNI",
    "licences ENT collège",
    "PC portable enseignant",
    "borne wifi",
    "travaux de peinture du préau",
    "😀",
]


def _lines(campaign, collectivity, texts):
    return [f.NeedLineFactory(campaign=campaign, collectivity=collectivity, text=t, quantity=1) for t in texts]


def test_need_lines_match_sets_every_match_field(seeded, campaign, commune_a):
    lines = _lines(campaign, commune_a, WORDINGS)

    services.need_lines_match(lines=lines)

    by_text = {line.text: line for line in NeedLine.objects.filter(pk__in=[x.pk for x in lines])}
    tablet = by_text["20 tabblettes 10p pour CM1"]
    assert tablet.catalog_item.code == "tablette-tactile-10"
    assert tablet.cpv_id == "30213200"
    assert tablet.match_status == MatchStatus.MATCHED
    assert tablet.match_score >= 80
    assert "tablette" in tablet.match_explanation
    assert tablet.match_candidates[0] == {
        "item_id": tablet.catalog_item_id,
        "label": tablet.catalog_item.label,
        "score": tablet.match_score,
    }
    assert by_text["borne wifi"].catalog_item.code == "borne-wifi-6"
    assert by_text["Maintenance 3 ans des TNI"].catalog_item.code == "maintenance-tni-vpi"
    for text in ("travaux de peinture du préau", "😀"):
        assert by_text[text].match_status == MatchStatus.UNMATCHED
        assert by_text[text].catalog_item is None
        assert by_text[text].match_explanation.startswith("Non reconnue")


def test_need_lines_match_uses_a_bounded_number_of_queries(
    seeded, campaign, commune_a, commune_b, django_assert_max_num_queries
):
    lines = _lines(campaign, commune_a, WORDINGS * 4) + _lines(campaign, commune_b, WORDINGS * 3)[:18]
    assert len(lines) == 50

    # cold: fingerprint (3) + index build (3) + one bulk update (+ savepoints)
    with django_assert_max_num_queries(10):
        services.need_lines_match(lines=lines)
    # warm: the cached index is reused
    with django_assert_max_num_queries(6):
        services.need_lines_match(lines=lines)
    assert not NeedLine.objects.filter(pk__in=[x.pk for x in lines], match_status=MatchStatus.PENDING).exists()


def test_index_cache_is_rebuilt_when_the_catalog_changes(seeded):
    first = services.get_index()
    assert services.get_index() is first
    item = CatalogItem.objects.get(code="robot-thymio")
    CatalogAlias.objects.create(item=item, text="robot à roulettes vert", normalized="robot roulette vert")
    assert services.get_index() is not first


def test_need_lines_match_with_no_line_makes_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        services.need_lines_match(lines=[])


def test_need_lines_match_falls_back_to_a_cpv_code(seeded, campaign, commune_a):
    f.CpvFactory(code="39162110", code_with_check_digit="39162110-9", label_fr="Fournitures scolaires")
    [line] = _lines(campaign, commune_a, ["fournitures scolaires"])

    services.need_lines_match(lines=[line])

    line.refresh_from_db()
    assert line.catalog_item is None
    assert line.cpv_id == "39162110"
    assert line.match_status == MatchStatus.UNMATCHED
    assert "Code CPV proposé" in line.match_explanation


def test_learnt_alias_applies_only_to_its_collectivity(seeded, campaign, commune_a, commune_b, alice):
    # given a wording nobody can match
    wording = "la petite bestiole jaune et noire"
    line_a = _lines(campaign, commune_a, [f"4 {wording}"])[0]
    services.need_lines_match(lines=[line_a])
    line_a.refresh_from_db()
    assert (
        line_a.catalog_item is None
        or line_a.catalog_item.code != "robot-sol-maternelle"
        or (line_a.match_status != MatchStatus.MATCHED)
    )

    # when alice confirms it as the floor robot
    robot = CatalogItem.objects.get(code="robot-sol-maternelle")
    services.need_line_confirm_match(need_line=line_a, item=robot, actor=alice)

    # then commune A's next line with the same wording is matched for sure, commune B's is not
    new_a = _lines(campaign, commune_a, [f"2 {wording}"])[0]
    new_b = _lines(campaign, commune_b, [f"2 {wording}"])[0]
    services.need_lines_match(lines=[new_a, new_b])
    new_a.refresh_from_db()
    new_b.refresh_from_db()
    assert new_a.catalog_item == robot
    assert new_a.match_status == MatchStatus.MATCHED
    assert new_a.match_score == 100.0
    assert "appris par votre collectivité" in new_a.match_explanation
    assert not (new_b.catalog_item == robot and new_b.match_status == MatchStatus.MATCHED and new_b.match_score == 100)

    # and not at all when collectivity aliases are switched off
    services.need_lines_match(lines=[new_a], collectivity_aliases=False)
    new_a.refresh_from_db()
    assert new_a.match_score < 100.0


def test_alias_learn_records_a_proposed_alias_without_the_quantity(seeded, campaign, commune_a, alice):
    line = _lines(campaign, commune_a, ["12 Tablettes pour la classe de Mme Martin"])[0]
    item = CatalogItem.objects.get(code="tablette-tactile-10")

    alias = services.alias_learn(need_line=line, item=item, actor=alice)

    assert alias.collectivity == commune_a
    assert alias.status == AliasStatus.PROPOSED
    assert alias.created_by == alice
    assert alias.text == "Tablettes pour la classe de Mme Martin"
    assert alias.normalized == "tablette classe mme martin"
    assert services.alias_learn(need_line=line, item=item, actor=alice) == alias  # idempotent


def test_rejected_learnt_alias_is_ignored(seeded, campaign, commune_a, alice):
    robot = CatalogItem.objects.get(code="robot-sol-maternelle")
    CatalogAlias.objects.create(
        item=robot, text="zorglub", normalized="zorglub", collectivity=commune_a, status=AliasStatus.REJECTED
    )
    line = _lines(campaign, commune_a, ["zorglub"])[0]
    services.need_lines_match(lines=[line])
    line.refresh_from_db()
    assert line.catalog_item is None


def test_confirm_match_sets_confirmed_and_records_an_audit_row(seeded, campaign, commune_a, alice):
    line = _lines(campaign, commune_a, ["stylets pour ipad"])[0]
    services.need_lines_match(lines=[line])
    item = CatalogItem.objects.get(code="stylet-tablette")

    services.need_line_confirm_match(need_line=line, item=item, actor=alice)

    line.refresh_from_db()
    assert line.match_status == MatchStatus.CONFIRMED
    assert line.catalog_item == item
    assert line.cpv_id == item.cpv_id
    event = AuditEvent.objects.get(action="need_line.confirm_match")
    assert event.actor == alice
    assert event.collectivity == commune_a
    assert event.target_id == str(line.pk)
    assert event.after["match_status"] == MatchStatus.CONFIRMED
    assert event.before["match_status"] != MatchStatus.CONFIRMED
    assert CatalogAlias.objects.filter(collectivity=commune_a, item=item, status=AliasStatus.PROPOSED).exists()


def test_confirm_match_is_refused_to_another_collectivity(seeded, campaign, commune_a, bob, oscar):
    line = _lines(campaign, commune_a, ["borne wifi"])[0]
    item = CatalogItem.objects.get(code="borne-wifi-6")
    for outsider in (bob, oscar):
        with pytest.raises(PermissionDenied):
            services.need_line_confirm_match(need_line=line, item=item, actor=outsider)
    assert not AuditEvent.objects.filter(action="need_line.confirm_match").exists()
    assert not CatalogAlias.objects.filter(collectivity__isnull=False).exists()


def test_campaign_coordinator_may_confirm(seeded, campaign, commune_a, carol):
    line = _lines(campaign, commune_a, ["borne wifi"])[0]
    item = CatalogItem.objects.get(code="borne-wifi-haute-densite")
    services.need_line_confirm_match(need_line=line, item=item, actor=carol)
    line.refresh_from_db()
    assert line.catalog_item == item
