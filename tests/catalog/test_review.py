"""The review queue: page, htmx confirmation, bulk confirmation, API, and who may do what."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, RematchJob, RematchStatus
from procurement.errors import DomainError, PermissionDenied
from procurement.models import AuditEvent, MatchStatus, NeedLine, Role
from tests import factories as f
from tests.conftest import login

TEXTS_A = ["casque audio enfant avec micro", "écran interactif", "travaux de peinture du préau"]


@pytest.fixture
def lines(seeded, campaign, commune_a, commune_b):
    """Matched lines: commune A has review and unmatched lines, commune B one review line."""
    made = [f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text=t, quantity=2) for t in TEXTS_A]
    made.append(f.NeedLineFactory(campaign=campaign, collectivity=commune_b, text="écran interactif", quantity=1))
    services.need_lines_match(lines=made)
    return NeedLine.objects.filter(pk__in=[x.pk for x in made]).order_by("pk")


@pytest.fixture
def viewer(commune_a):
    """A viewer (lecteur) of commune A: sees its lines, may not confirm them."""
    return f.MembershipFactory(user=f.UserFactory(username="vera"), collectivity=commune_a, role=Role.VIEWER).user


def _review_url(campaign, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('catalog:review_queue', args=[campaign.pk])}{'?' if query else ''}{query}"


def _line(lines, text, collectivity):
    return lines.get(text=text, collectivity=collectivity)


# --- page -------------------------------------------------------------------------------------------------------


def test_buyer_sees_only_her_collectivity_review_lines(client, lines, campaign, alice, commune_a):
    response = login(client, alice).get(_review_url(campaign))
    assert response.status_code == 200
    shown = response.context["lines"]
    assert shown and all(line.collectivity_id == commune_a.pk for line in shown)
    assert all(line.match_status == MatchStatus.REVIEW for line in shown)
    line = shown[0]
    assert line.review_candidates and line.can_confirm
    assert "Confirmer" in response.content.decode()


def test_a_select_all_box_is_offered_only_to_who_may_confirm(client, lines, campaign, alice, viewer):
    page = login(client, alice).get(_review_url(campaign)).content.decode()
    assert page.count("data-select-all") == 1 and "Sélectionner toutes les lignes de cette page" in page
    assert "data-select-all" not in login(client, viewer).get(_review_url(campaign)).content.decode()


def test_review_page_searches_wordings_filters_members_and_sorts(client, lines, campaign, carol, commune_b):
    client = login(client, carol)
    found = client.get(_review_url(campaign, statut="tous", q="ÉCRAN inter"))
    assert {line.text for line in found.context["lines"]} == {"écran interactif"}
    assert [m.name for m in found.context["members"]] == sorted(m.name for m in found.context["members"])
    member = client.get(_review_url(campaign, statut="tous", membre=commune_b.pk))
    assert {line.collectivity_id for line in member.context["lines"]} == {commune_b.pk}
    by_text = client.get(_review_url(campaign, statut="tous", tri="-libelle"))
    texts = [line.text for line in by_text.context["lines"]]
    assert texts == sorted(texts, reverse=True) and len(texts) == 4
    assert 'aria-sort="descending"' in by_text.content.decode()
    by_score = client.get(_review_url(campaign, statut="tous"))
    scores = [line.match_score for line in by_score.context["lines"]]
    assert scores == sorted(scores)
    ignored = client.get(_review_url(campaign, statut="tous", membre="999999", tri="nimporte"))
    assert len(ignored.context["lines"]) == 4  # an unknown member or sort is ignored, not an error


def test_a_buyer_with_one_collectivity_gets_no_member_filter(client, lines, campaign, alice):
    response = login(client, alice).get(_review_url(campaign))
    assert not response.context["members"] and 'id="membre"' not in response.content.decode()


def test_coordinator_sees_every_member_line(client, lines, campaign, carol):
    response = login(client, carol).get(_review_url(campaign, statut="tous"))
    shown = {line.pk for line in response.context["lines"]}
    assert shown == set(lines.filter(match_status__in=["review", "unmatched"]).values_list("pk", flat=True))


def test_review_page_filters_by_status_family_and_score(client, lines, campaign, alice):
    client = login(client, alice)
    unmatched = client.get(_review_url(campaign, statut="unmatched")).context["lines"]
    assert [line.text for line in unmatched] == ["travaux de peinture du préau"]
    audio = client.get(_review_url(campaign, famille="audio-video")).context["lines"]
    assert [line.text for line in audio] == ["casque audio enfant avec micro"]
    assert client.get(_review_url(campaign, score_max=10)).context["lines"] == []
    high = client.get(_review_url(campaign, score_min=0, score_max=100)).context["lines"]
    assert len(high) == 2


def test_review_page_paginates(client, seeded, campaign, commune_a, alice):
    made = [f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="écran interactif") for _ in range(30)]
    services.need_lines_match(lines=made)
    response = login(client, alice).get(_review_url(campaign))
    assert response.context["page"].paginator.count == 30
    assert len(response.context["lines"]) == 25


def test_htmx_confirm_swaps_the_row_and_learns_the_wording(client, lines, campaign, alice, commune_a):
    line = _line(lines, "casque audio enfant avec micro", commune_a)
    item = CatalogItem.objects.get(code="casque-micro-usb")
    response = login(client, alice).post(
        reverse("catalog:review_confirm", args=[line.pk]), {"item": item.code}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="ligne-{line.pk}"')
    assert "Confirmée" in body and item.label in body
    line.refresh_from_db()
    assert line.match_status == MatchStatus.CONFIRMED and line.catalog_item == item
    assert CatalogAlias.objects.filter(item=item, collectivity=commune_a, status=AliasStatus.PROPOSED).exists()


def test_confirming_a_line_gives_its_item_to_the_same_wording_at_once(
    client, lines, campaign, alice, commune_a, commune_b
):
    """The identical lines of the same collectivité in the queue take the item (status matched, not confirmed:
    nobody looked at them); other collectivités' lines and other wordings are left alone; the page reloads."""
    line = _line(lines, "écran interactif", commune_a)
    twin = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="3 Écrans interactifs", quantity=3)
    services.need_lines_match(lines=[twin])
    item = CatalogItem.objects.get(code="eni-75")

    response = login(client, alice).post(
        reverse("catalog:review_confirm", args=[line.pk]), {"item": item.code}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200 and response.headers["HX-Refresh"] == "true"
    twin.refresh_from_db()
    assert (twin.match_status, twin.catalog_item, twin.match_score) == (MatchStatus.MATCHED, item, 100.0)
    assert "Même libellé" in twin.match_explanation
    other = _line(lines, "écran interactif", commune_b)
    assert other.match_status == MatchStatus.REVIEW  # proposed to B as before, still for B to check
    assert _line(lines, "casque audio enfant avec micro", commune_a).match_status == MatchStatus.REVIEW
    assert AuditEvent.objects.filter(action="need_line.match_same_wording", target_id=str(twin.pk)).count() == 1
    page = client.get(_review_url(campaign)).content.decode()
    assert "1 autre ligne de même libellé a reçu le même article." in page


def test_confirm_with_an_unknown_code_shows_an_error_in_the_row(client, lines, alice, commune_a):
    line = _line(lines, "casque audio enfant avec micro", commune_a)
    response = login(client, alice).post(
        reverse("catalog:review_confirm", args=[line.pk]), {"item": "nexiste-pas"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "code inconnu" in response.content.decode()
    line.refresh_from_db()
    assert line.match_status == MatchStatus.REVIEW


def test_plain_post_confirm_redirects_to_the_queue(client, lines, campaign, alice, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    response = login(client, alice).post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "eni-75"})
    assert response.status_code == 302
    assert response.url == _review_url(campaign)


def test_bulk_confirm_confirms_the_first_candidate_of_selected_lines(client, lines, campaign, alice, commune_a):
    review = list(lines.filter(collectivity=commune_a, match_status=MatchStatus.REVIEW))
    response = login(client, alice).post(
        reverse("catalog:review_bulk_confirm", args=[campaign.pk]), {"lignes": [x.pk for x in review]}
    )
    assert response.status_code == 302
    for line in review:
        first = line.match_candidates[0]["item_id"]
        line.refresh_from_db()
        assert line.match_status == MatchStatus.CONFIRMED
        assert line.catalog_item_id == first
    assert AuditEvent.objects.filter(action="need_line.confirm_match").count() == len(review)


def test_bulk_confirm_returns_to_the_queue_as_it_was_filtered(client, lines, campaign, carol, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    response = login(client, carol).post(
        reverse("catalog:review_bulk_confirm", args=[campaign.pk]),
        {"lignes": [line.pk], "filtres": "statut=tous&famille=affichage-interactif&tri=-score"},
    )
    assert response.status_code == 302
    assert response.url == _review_url(campaign) + "?statut=tous&famille=affichage-interactif&tri=-score"


def test_bulk_confirm_learns_each_wording_and_matches_the_lines_that_say_the_same(
    client, campaign, alice, commune_a, commune_b, seeded
):
    def line(text, collectivity=commune_a):
        return f.NeedLineFactory(campaign=campaign, collectivity=collectivity, text=text, quantity=1)

    chosen = [line("casque audio enfant avec micro"), line("écran interactif")]
    twins = [line("3 casque audio enfant avec micro"), line("ECRAN interactif !")]
    elsewhere = line("casque audio enfant avec micro", commune_b)  # same words, another collectivité: not taught
    services.need_lines_match(lines=[*chosen, *twins, elsewhere])
    for x in [*chosen, *twins, elsewhere]:
        x.refresh_from_db()
        assert x.match_status == MatchStatus.REVIEW
    firsts = [x.match_candidates[0]["item_id"] for x in chosen]

    response = login(client, alice).post(
        reverse("catalog:review_bulk_confirm", args=[campaign.pk]), {"lignes": [x.pk for x in chosen]}, follow=True
    )

    message = str(next(iter(response.context["messages"])))
    assert message == (
        "2 lignes confirmées avec leur premier article proposé. "
        "2 autres lignes de même libellé ont reçu le même article."
    )
    for x, twin, first in zip(chosen, twins, firsts, strict=True):
        x.refresh_from_db()
        twin.refresh_from_db()
        assert (x.match_status, x.catalog_item_id) == (MatchStatus.CONFIRMED, first)
        assert (twin.match_status, twin.catalog_item_id) == (MatchStatus.MATCHED, first)
    elsewhere.refresh_from_db()
    assert elsewhere.match_status == MatchStatus.REVIEW
    learnt = CatalogAlias.objects.filter(collectivity=commune_a, status=AliasStatus.PROPOSED)
    assert sorted(learnt.values_list("normalized", "item_id")) == sorted(
        zip(["casque audio enfant micro", "ecran interactif"], firsts, strict=True)
    )
    assert AuditEvent.objects.filter(action="need_line.match_same_wording").count() == 2


def test_bulk_confirm_refused_for_one_line_confirms_none(campaign, alice, commune_a, commune_b, seeded):
    own = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="écran interactif", quantity=1)
    other = f.NeedLineFactory(
        campaign=campaign, collectivity=commune_b, text="casque audio enfant avec micro", quantity=1
    )
    services.need_lines_match(lines=[own, other])
    own.refresh_from_db()
    other.refresh_from_db()

    with pytest.raises(PermissionDenied, match="Vous ne pouvez pas confirmer les besoins de"):
        services.need_lines_confirm_first_candidate(lines=[own, other], actor=alice)

    assert set(NeedLine.objects.filter(pk__in=[own.pk, other.pk]).values_list("match_status", flat=True)) == {
        MatchStatus.REVIEW
    }
    assert not CatalogAlias.objects.filter(collectivity__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="need_line.confirm_match").exists()


def test_bulk_confirm_takes_as_many_queries_for_40_lines_as_for_5(campaign, alice, commune_a, seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def confirm_queries(count: int) -> int:
        made = [
            f.NeedLineFactory(
                campaign=campaign, collectivity=commune_a, text=f"casque audio enfant avec micro {count} {n}"
            )
            for n in range(count)
        ]
        services.need_lines_match(lines=made)
        made = list(NeedLine.objects.filter(pk__in=[x.pk for x in made]).select_related("campaign", "collectivity"))
        with CaptureQueriesContext(connection) as queries:
            outcome = services.need_lines_confirm_first_candidate(lines=made, actor=alice)
        assert outcome.confirmed == count
        assert NeedLine.objects.filter(pk__in=[x.pk for x in made], match_status=MatchStatus.CONFIRMED).count() == count
        return len(queries)

    assert confirm_queries(40) == confirm_queries(5)


# --- permissions ------------------------------------------------------------------------------------------------


def test_outsider_gets_404_on_every_review_route(client, api_client, lines, campaign, oscar, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    client = login(client, oscar)
    assert client.get(_review_url(campaign)).status_code == 404
    assert client.post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "eni-75"}).status_code == 404
    bulk = client.post(reverse("catalog:review_bulk_confirm", args=[campaign.pk]), {"lignes": [line.pk]})
    assert bulk.status_code == 404
    api_client.force_authenticate(oscar)
    assert api_client.get(reverse("api:review_list"), {"campaign": campaign.pk}).status_code == 404
    assert api_client.get(reverse("api:review_list")).data["results"] == []
    confirm = api_client.post(reverse("api:needline_confirm", args=[line.pk]), {"item": "eni-75"}, format="json")
    assert confirm.status_code == 404
    bulk = api_client.post(reverse("api:review_bulk_confirm"), {"lines": [line.pk]}, format="json")
    assert bulk.status_code == 404
    line.refresh_from_db()
    assert line.match_status == MatchStatus.REVIEW


def test_buyer_cannot_act_on_another_collectivity_line(client, lines, bob, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    response = login(client, bob).post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "eni-75"})
    assert response.status_code == 404


def test_viewer_sees_the_queue_but_cannot_confirm(client, api_client, lines, campaign, viewer, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    client = login(client, viewer)
    response = client.get(_review_url(campaign))
    assert response.status_code == 200
    assert response.context["lines"] and not any(x.can_confirm for x in response.context["lines"])
    assert client.post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "eni-75"}).status_code == 403
    bulk = client.post(reverse("catalog:review_bulk_confirm", args=[campaign.pk]), {"lignes": [line.pk]})
    assert bulk.status_code == 403
    api_client.force_authenticate(viewer)
    listed = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk})
    assert listed.status_code == 200 and listed.data["results"][0]["can_confirm"] is False
    confirm = api_client.post(reverse("api:needline_confirm", args=[line.pk]), {"item": "eni-75"}, format="json")
    assert confirm.status_code == 403
    bulk = api_client.post(reverse("api:review_bulk_confirm"), {"lines": [line.pk]}, format="json")
    assert bulk.status_code == 403
    line.refresh_from_db()
    assert line.match_status == MatchStatus.REVIEW


def test_anonymous_is_sent_to_login(client, lines, campaign):
    response = client.get(_review_url(campaign))
    assert response.status_code == 302
    assert "login" in response.url or "connexion" in response.url


# --- API ----------------------------------------------------------------------------------------------------------


def test_api_review_lists_lines_with_candidates_and_filters(api_client, lines, campaign, alice):
    api_client.force_authenticate(alice)
    response = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk})
    assert response.status_code == 200
    results = response.data["results"]
    assert {r["text"] for r in results} == {"casque audio enfant avec micro", "écran interactif"}
    first = results[0]
    assert first["candidates"] and {"item", "label", "family", "score"} <= set(first["candidates"][0])
    assert first["can_confirm"] is True
    family = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk, "family": "audio-video"})
    assert [r["text"] for r in family.data["results"]] == ["casque audio enfant avec micro"]
    none = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk, "max_score": 10})
    assert none.data["results"] == []
    bad = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk, "max_score": 150})
    assert bad.status_code == 400
    every_campaign = api_client.get(reverse("api:review_list"))
    assert every_campaign.status_code == 200 and len(every_campaign.data["results"]) == 2


def test_api_review_searches_filters_by_member_and_sorts(api_client, lines, campaign, carol, commune_a, commune_b):
    api_client.force_authenticate(carol)
    url = reverse("api:review_list")
    found = api_client.get(url, {"campaign": campaign.pk, "status": "all", "search": "ecran"})
    assert {r["collectivity"] for r in found.data["results"]} == {commune_a.name, commune_b.name}
    member = api_client.get(url, {"campaign": campaign.pk, "status": "all", "collectivity": commune_b.pk})
    assert [r["collectivity"] for r in member.data["results"]] == [commune_b.name]
    by_text = api_client.get(url, {"campaign": campaign.pk, "status": "all", "ordering": "text"})
    texts = [r["text"] for r in by_text.data["results"]]
    assert texts == sorted(texts)
    bad = api_client.get(url, {"ordering": "prix"})
    assert bad.status_code == 400 and "ordering" in bad.data["errors"]


def test_api_review_member_filter_never_reaches_another_collectivity(api_client, lines, campaign, alice, commune_b):
    api_client.force_authenticate(alice)
    response = api_client.get(reverse("api:review_list"), {"status": "all", "collectivity": commune_b.pk})
    assert response.status_code == 200 and response.data["results"] == []


def test_api_confirm_and_bulk_confirm(api_client, lines, carol, commune_a, commune_b):
    api_client.force_authenticate(carol)
    line = _line(lines, "casque audio enfant avec micro", commune_a)
    response = api_client.post(
        reverse("api:needline_confirm", args=[line.pk]), {"item": "casque-micro-usb"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["match_status"] == MatchStatus.CONFIRMED
    assert response.data["catalog_item"] == "casque-micro-usb"
    unknown = api_client.post(reverse("api:needline_confirm", args=[line.pk]), {"item": "zzz"}, format="json")
    assert unknown.status_code == 400 and unknown.data["errors"]["item"]

    others = [_line(lines, "écran interactif", commune_a), _line(lines, "écran interactif", commune_b)]
    bulk = api_client.post(reverse("api:review_bulk_confirm"), {"lines": [x.pk for x in others]}, format="json")
    assert bulk.status_code == 200 and bulk.data == {"confirmed": 2, "same_wording": 0}
    assert all(x.match_status == MatchStatus.CONFIRMED for x in NeedLine.objects.filter(pk__in=[o.pk for o in others]))
    empty = api_client.post(reverse("api:review_bulk_confirm"), {"lines": []}, format="json")
    assert empty.status_code == 400


# --- matching again -----------------------------------------------------------------------------------------------


def _alias_for_all(code, text):
    from catalog import matching

    item = CatalogItem.objects.get(code=code)
    return CatalogAlias.objects.create(
        item=item, text=text, normalized=matching.normalise(text), collectivity=None, status=AliasStatus.ACCEPTED
    )


def test_rematch_applies_a_new_alias_to_undecided_lines_only(
    client, lines, campaign, carol, commune_a, commune_b, django_capture_on_commit_callbacks
):
    headset = _line(lines, "casque audio enfant avec micro", commune_a)
    decided = _line(lines, "écran interactif", commune_b)
    services.need_line_confirm_match(need_line=decided, item=CatalogItem.objects.get(code="eni-86"), actor=carol)
    unmatched = _line(lines, "travaux de peinture du préau", commune_a)
    assert headset.match_status == MatchStatus.REVIEW
    _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")  # an administrator made it valid for all

    with django_capture_on_commit_callbacks(execute=True):  # without a broker, the job runs once committed
        posted = login(client, carol).post(reverse("catalog:review_rematch", args=[campaign.pk]))
    assert posted.status_code == 302
    response = client.get(posted.url)  # the review queue, where the finished job says what it did

    assert response.status_code == 200
    headset.refresh_from_db()
    assert headset.match_status == MatchStatus.MATCHED and headset.catalog_item.code == "casque-micro-usb"
    decided.refresh_from_db()
    assert decided.match_status == MatchStatus.CONFIRMED and decided.catalog_item.code == "eni-86"
    rematched = AuditEvent.objects.filter(action="need_line.rematch")
    assert set(rematched.values_list("target_id", flat=True)) == {str(headset.pk)}  # unchanged lines: no row
    row = rematched.get()
    assert row.before["match_status"] == "review" and row.after["match_status"] == "matched"
    unmatched.refresh_from_db()
    assert unmatched.match_status == MatchStatus.UNMATCHED
    assert (
        "Rapprochement relancé sur 3 ligne(s) non confirmée(s), 1 modifiée(s) : 1 désormais"
        in response.content.decode()
    )


def test_a_buyer_rematches_the_lines_of_his_collectivity_only(
    client, lines, campaign, bob, commune_a, django_capture_on_commit_callbacks
):
    _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")
    with django_capture_on_commit_callbacks(execute=True):
        login(client, bob).post(reverse("catalog:review_rematch", args=[campaign.pk]))
    queue = client.get(reverse("catalog:review_queue", args=[campaign.pk])).content.decode()
    assert "Rapprochement relancé sur 1 ligne(s)" in queue
    assert _line(lines, "casque audio enfant avec micro", commune_a).match_status == MatchStatus.REVIEW
    assert not AuditEvent.objects.filter(action="need_line.rematch").exists()


def test_rematch_is_refused_to_a_viewer_and_hidden_from_an_outsider(
    client, api_client, lines, campaign, viewer, oscar, commune_a
):
    _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")
    url = reverse("catalog:review_rematch", args=[campaign.pk])
    refused = login(client, viewer).post(url)
    assert refused.status_code == 403
    assert "Vous ne pouvez rapprocher aucune ligne de cette campagne." in refused.content.decode()
    assert login(client, oscar).post(url).status_code == 404
    api_client.force_authenticate(viewer)
    assert api_client.post(reverse("api:review_rematch"), {"campaign": campaign.pk}, format="json").status_code == 403
    api_client.force_authenticate(oscar)
    assert api_client.post(reverse("api:review_rematch"), {"campaign": campaign.pk}, format="json").status_code == 404
    assert _line(lines, "casque audio enfant avec micro", commune_a).match_status == MatchStatus.REVIEW


def test_api_rematch_reports_what_changed(
    api_client, lines, campaign, alice, commune_a, django_capture_on_commit_callbacks
):
    _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")
    api_client.force_authenticate(alice)
    url = reverse("api:review_rematch")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url, {"campaign": campaign.pk}, format="json")
    assert response.status_code == 202
    assert response.data["status"] == "pending" and response.data["campaign"] == campaign.pk  # accepted, to follow
    done = api_client.get(reverse("api:review_rematch_detail", args=[response.data["id"]])).data
    assert (done["status"], done["status_label"], done["progress"]) == ("done", "Terminé", 100)
    assert (done["considered"], done["changed"]) == (3, 1)
    assert done["statuses"] == {"matched": 1, "review": 1, "unmatched": 1}
    with django_capture_on_commit_callbacks(execute=True):
        again = api_client.post(url, {"campaign": campaign.pk}, format="json")
    again = api_client.get(reverse("api:review_rematch_detail", args=[again.data["id"]])).data
    assert (again["considered"], again["changed"]) == (2, 0)
    assert again["statuses"] == {"review": 1, "unmatched": 1}
    missing = api_client.post(url, {}, format="json")
    assert missing.status_code == 400 and "campaign" in missing.data["errors"]


def test_a_rematch_runs_in_the_background_by_chunks_and_reports_its_progress(
    client, lines, campaign, carol, commune_a, monkeypatch, django_capture_on_commit_callbacks
):
    """With a broker, the page shows the job while a worker runs it, chunk by chunk; a second request meanwhile gets
    the same job; the panel then says what changed."""
    _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")
    monkeypatch.setattr(services, "REMATCH_CHUNK", 1)
    login(client, carol)
    url = reverse("catalog:review_rematch", args=[campaign.pk])
    with django_capture_on_commit_callbacks(execute=False) as sent:  # the task is queued, no worker yet
        client.post(url)
        client.post(url)
    job = RematchJob.objects.get()  # one job per campaign at a time
    assert job.status == RematchStatus.PENDING and len(sent) == 1
    queue = client.get(reverse("catalog:review_queue", args=[campaign.pk])).content.decode()
    assert "Rapprochement des lignes non confirmées en cours…" in queue
    assert reverse("catalog:review_rematch_status", args=[campaign.pk, job.pk]) in queue  # polled by htmx

    reports = []
    real_save = RematchJob.save
    monkeypatch.setattr(
        RematchJob, "save", lambda self, *a, **kw: (reports.append(self.progress), real_save(self, *a, **kw))[1]
    )
    sent[0]()  # the worker runs the task
    sent[0]()  # … and a second delivery of the same task changes nothing
    job.refresh_from_db()
    assert job.status == RematchStatus.DONE and (job.considered, job.changed) == (4, 1)
    assert AuditEvent.objects.filter(action="need_line.rematch").count() == 1
    assert reports == [25, 50, 75, 99, 100]  # one report per chunk of one line, then the end
    panel = client.get(reverse("catalog:review_rematch_status", args=[campaign.pk, job.pk])).content.decode()
    assert "Rapprochement relancé sur 4 ligne(s) non confirmée(s), 1 modifiée(s)" in panel
    assert "hx-trigger" not in panel and "Actualiser la liste" in panel  # finished: no more polling, list again
    queue = client.get(reverse("catalog:review_queue", args=[campaign.pk])).content.decode()
    assert "en cours" not in queue and "Rapprochement relancé sur 4 ligne(s)" in queue


def test_a_rematch_whose_requester_lost_his_rights_fails_with_a_reason(
    lines, campaign, bob, commune_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as sent:
        job = services.campaign_rematch_start(campaign=campaign, actor=bob)
    bob.is_active = False  # his account was closed before a worker took the job
    bob.save()
    sent[0]()
    job.refresh_from_db()
    assert job.status == RematchStatus.FAILED and job.finished_at is not None
    assert job.error.startswith("Vous ne pouvez rapprocher aucune ligne de cette campagne.")
    assert not AuditEvent.objects.filter(action="need_line.rematch").exists()


def test_a_rematch_no_worker_finished_in_an_hour_does_not_block_the_next(
    campaign, carol, lines, django_capture_on_commit_callbacks
):
    lost = RematchJob.objects.create(
        campaign=campaign, requested_by=carol, created_at=timezone.now() - services.REMATCH_LOST_AFTER - timedelta(1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.campaign_rematch_start(campaign=campaign, actor=carol)
    assert job.pk != lost.pk
    job.refresh_from_db()
    lost.refresh_from_db()
    assert job.status == RematchStatus.DONE
    assert lost.status == RematchStatus.FAILED and lost.error.startswith("Cette relance n'a pas abouti en une heure")


def test_a_rematch_is_followed_by_its_requester_only(client, api_client, lines, campaign, carol, alice, oscar):
    job = RematchJob.objects.create(campaign=campaign, requested_by=carol)
    page = reverse("catalog:review_rematch_status", args=[campaign.pk, job.pk])
    assert login(client, carol).get(page).status_code == 200
    assert login(client, alice).get(page).status_code == 404  # a member of the campaign, not its requester
    assert login(client, oscar).get(page).status_code == 404
    api_client.force_authenticate(alice)
    assert api_client.get(reverse("api:review_rematch_detail", args=[job.pk])).status_code == 404
    api_client.force_authenticate(carol)
    assert api_client.get(reverse("api:review_rematch_detail", args=[job.pk])).status_code == 200


def test_rematch_writes_in_bulk_whatever_the_number_of_lines(campaign, carol, commune_a, seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rematch_queries(count: int) -> int:
        made = [
            f.NeedLineFactory(
                campaign=campaign, collectivity=commune_a, text="casque audio enfant avec micro", quantity=1
            )
            for _ in range(count)
        ]
        services.need_lines_match(lines=made)
        alias = _alias_for_all("casque-micro-usb", "casque audio enfant avec micro")
        services.get_index()  # the index is rebuilt once for the new alias, outside the count
        with CaptureQueriesContext(connection) as queries:
            outcome = services.campaign_lines_rematch(campaign=campaign, actor=carol)
        assert outcome.changed == count
        NeedLine.objects.all().delete()
        alias.delete()
        return len(queries)

    assert rematch_queries(40) == rematch_queries(5)


# --- outside the catalog ------------------------------------------------------------------------------------------


def test_a_line_no_item_fits_is_declared_outside_the_catalog(client, lines, campaign, alice, commune_a):
    line = _line(lines, "travaux de peinture du préau", commune_a)
    assert line.match_status == MatchStatus.UNMATCHED
    cpv = line.cpv_id

    response = login(client, alice).post(
        reverse("catalog:review_outside_catalog", args=[line.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Hors catalogue" in response.content.decode()
    line.refresh_from_db()
    assert (line.match_status, line.catalog_item_id, line.cpv_id) == (MatchStatus.CONFIRMED, None, cpv)
    assert line.match_explanation.startswith("Hors catalogue, confirmé par")
    [row] = AuditEvent.objects.filter(action="need_line.confirm_outside_catalog")
    assert row.before["match_status"] == "unmatched" and row.after["match_status"] == "confirmed"
    queue = client.get(_review_url(campaign, statut="tous"))
    assert line.pk not in {x.pk for x in queue.context["lines"]}
    assert not CatalogAlias.objects.filter(collectivity=commune_a).exists()  # nothing learnt


def test_outside_the_catalog_is_refused_to_a_viewer_and_to_a_matched_line(client, lines, viewer, alice, commune_a):
    line = _line(lines, "casque audio enfant avec micro", commune_a)
    assert login(client, viewer).post(reverse("catalog:review_outside_catalog", args=[line.pk])).status_code == 403
    services.need_line_confirm_match(need_line=line, item=CatalogItem.objects.get(code="casque-enfant"), actor=alice)
    response = login(client, alice).post(reverse("catalog:review_outside_catalog", args=[line.pk]), follow=True)
    assert "Seule une ligne à vérifier ou non reconnue" in str(next(iter(response.context["messages"])))
    line.refresh_from_db()
    assert line.catalog_item.code == "casque-enfant"


def test_api_declares_a_line_outside_the_catalog(api_client, lines, carol, bob, commune_a):
    line = _line(lines, "travaux de peinture du préau", commune_a)
    url = reverse("api:needline_outside_catalog", args=[line.pk])
    api_client.force_authenticate(bob)
    assert api_client.post(url).status_code == 404
    api_client.force_authenticate(carol)  # the campaign's coordinator
    response = api_client.post(url)
    assert response.status_code == 200
    assert response.data["match_status"] == "confirmed" and response.data["catalog_item"] is None
    again = api_client.post(url)
    assert again.status_code == 400 and "Seule une ligne" in again.data["detail"]


def test_a_line_outside_the_catalog_shows_on_the_campaign_page_and_export(client, lines, campaign, alice, commune_a):
    line = _line(lines, "travaux de peinture du préau", commune_a)
    services.need_line_confirm_outside_catalog(need_line=line, actor=alice)
    client = login(client, alice)
    page = client.get(reverse("procurement:campaign_detail", args=[campaign.pk]))
    assert page.status_code == 200 and "travaux de peinture du préau" in page.content.decode()
    export = client.get(reverse("procurement:campaign_export", args=[campaign.pk]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


# --- correcting a decision ----------------------------------------------------------------------------------------


def test_a_confirmation_made_by_mistake_is_corrected_from_the_confirmed_lines(
    client, lines, campaign, alice, commune_a
):
    line = _line(lines, "casque audio enfant avec micro", commune_a)
    services.need_line_confirm_match(need_line=line, item=CatalogItem.objects.get(code="casque-enfant"), actor=alice)
    client = login(client, alice)

    page = client.get(_review_url(campaign, statut="confirmees"))
    assert [x.pk for x in page.context["lines"]] == [line.pk]
    body = page.content.decode()
    assert f'id="article-{line.pk}"' in body  # the correction box
    assert "Hors catalogue</button>" not in body and 'name="lignes"' not in body
    assert 'id="bulk"' not in body and "data-select-all" not in body  # nothing to confirm in bulk here
    assert "<h1>Lignes confirmées</h1>" in body and "<h1>Lignes à vérifier</h1>" not in body

    client.post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "casque-micro-usb"}, HTTP_HX_REQUEST="true")

    line.refresh_from_db()
    assert (line.match_status, line.catalog_item.code) == (MatchStatus.CONFIRMED, "casque-micro-usb")
    learnt = CatalogAlias.objects.filter(collectivity=commune_a).values_list("item__code", flat=True)
    assert list(learnt) == ["casque-micro-usb"]  # the mistaken wording was superseded


def test_a_line_declared_outside_the_catalog_by_mistake_gets_its_item(client, lines, campaign, alice, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    services.need_line_confirm_outside_catalog(need_line=line, actor=alice)
    login(client, alice).post(reverse("catalog:review_confirm", args=[line.pk]), {"item": "eni-75"})
    line.refresh_from_db()
    assert (line.match_status, line.catalog_item.code) == (MatchStatus.CONFIRMED, "eni-75")


def test_api_lists_the_confirmed_lines_to_correct(api_client, lines, campaign, alice, commune_a):
    line = _line(lines, "écran interactif", commune_a)
    services.need_line_confirm_match(need_line=line, item=CatalogItem.objects.get(code="eni-86"), actor=alice)
    api_client.force_authenticate(alice)
    response = api_client.get(reverse("api:review_list"), {"campaign": campaign.pk, "status": "confirmed"})
    assert [r["id"] for r in response.data["results"]] == [line.pk]


# --- the CPV code of a line « hors catalogue » ----------------------------------------------------------------------


@pytest.fixture
def outside_line(lines, alice, commune_a):
    line = _line(lines, "travaux de peinture du préau", commune_a)
    return services.need_line_confirm_outside_catalog(need_line=line, actor=alice)


def test_a_typed_cpv_code_is_read_with_or_without_its_check_digit(seeded):
    f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    assert services.cpv_code_from_input(" 39160000-1 ").code == "39160000"
    assert services.cpv_code_from_input("39160000").code == "39160000"
    for wrong in ("3916", "abcdefgh", "12345678", ""):
        with pytest.raises(DomainError, match="Code CPV inconnu"):
            services.cpv_code_from_input(wrong)


def test_a_buyer_chooses_the_cpv_code_of_her_line_outside_the_catalog(outside_line, alice):
    furniture = f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    before = outside_line.cpv_id

    services.need_line_set_cpv(need_line=outside_line, cpv=furniture, actor=alice)

    outside_line.refresh_from_db()
    assert outside_line.cpv_id == "39160000" and outside_line.catalog_item is None
    assert "code CPV 39160000 choisi par" in outside_line.match_explanation  # not the engine's code any more
    event = AuditEvent.objects.get(action="need_line.set_cpv", target_id=str(outside_line.pk))
    assert (event.before["cpv"], event.after["cpv"]) == (before, "39160000")


def test_only_a_line_outside_the_catalog_and_not_pooled_gets_a_chosen_code(lines, outside_line, alice, bob, commune_a):
    furniture = f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    with pytest.raises(PermissionDenied):
        services.need_line_set_cpv(need_line=outside_line, cpv=furniture, actor=bob)  # another commune's buyer
    to_review = _line(lines, "écran interactif", commune_a)
    with pytest.raises(DomainError, match="Seule une ligne déclarée hors catalogue"):
        services.need_line_set_cpv(need_line=to_review, cpv=furniture, actor=alice)
    f.LotLineFactory(lot=f.LotFactory(), need_line=outside_line)
    with pytest.raises(DomainError, match="déjà dans un lot"):
        services.need_line_set_cpv(need_line=outside_line, cpv=furniture, actor=alice)
    assert not AuditEvent.objects.filter(action="need_line.set_cpv").exists()


def test_the_confirmed_lines_page_proposes_codes_and_changes_one_in_place(client, outside_line, campaign, alice):
    furniture = f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    client = login(client, alice)

    page = client.get(_review_url(campaign, statut="confirmees")).content.decode()
    assert f'id="cpv-{outside_line.pk}"' in page and f'<datalist id="codes-cpv-{outside_line.pk}">' in page
    url = reverse("catalog:review_set_cpv", args=[outside_line.pk])

    row = client.post(url, {"cpv": "39160000-1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "code CPV 39160000 Mobilier scolaire" in row
    outside_line.refresh_from_db()
    assert outside_line.cpv == furniture

    refused = client.post(url, {"cpv": "999"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="alert"' in refused and "Code CPV inconnu" in refused
    outside_line.refresh_from_db()
    assert outside_line.cpv == furniture  # nothing changed

    f.LotLineFactory(lot=f.LotFactory(), need_line=outside_line)  # pooled: its lot was formed on its code
    page = client.get(_review_url(campaign, statut="confirmees")).content.decode()
    assert f'id="cpv-{outside_line.pk}"' not in page


def test_api_sets_the_cpv_code_of_a_line_outside_the_catalog(api_client, outside_line, alice):
    f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    api_client.force_authenticate(alice)
    url = reverse("api:needline_set_cpv", args=[outside_line.pk])

    bad = api_client.post(url, {"cpv": "12"}, format="json")
    assert bad.status_code == 400 and "Code CPV inconnu" in str(bad.json())
    missing = api_client.post(url, {}, format="json")
    assert missing.status_code == 400 and "cpv" in missing.json()["errors"]

    done = api_client.post(url, {"cpv": "39160000"}, format="json")
    assert done.status_code == 200, done.content
    outside_line.refresh_from_db()
    assert outside_line.cpv_id == "39160000"


def test_a_plain_post_of_a_cpv_code_goes_back_to_the_confirmed_lines_with_a_message(client, outside_line, alice):
    f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    url = reverse("catalog:review_set_cpv", args=[outside_line.pk])

    response = login(client, alice).post(url, {"cpv": "39160000"}, follow=True)

    assert response.redirect_chain[-1][0].endswith("?statut=confirmees")
    assert "code CPV 39160000 Mobilier scolaire" in response.content.decode()


def test_the_review_queue_announces_the_unrecognised_lines_waiting_too(client, lines, campaign, alice):
    """The default view lists the lines to review; the unrecognised ones (« travaux de peinture du préau »), which wait
    for a decision as well, are announced with a link to them."""
    page = login(client, alice).get(reverse("catalog:review_queue", args=[campaign.pk])).content.decode()
    assert "1 ligne non reconnue attend aussi une décision" in page and "?statut=unmatched" in page
    url = reverse("catalog:review_queue", args=[campaign.pk])
    unrecognised = login(client, alice).get(url, {"statut": "unmatched"})
    assert "travaux de peinture du préau" in unrecognised.content.decode()
    assert "attend aussi une décision" not in unrecognised.content.decode()
