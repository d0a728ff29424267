import datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tenders.models import Publication, PublicationStatus
from tenders.selectors_public import publications_for_grouping
from tests.conftest import login

FORM = {
    "title": "Équipements numériques 2027",
    "summary": "Demande agrégée des écoles.",
    "expected_launch_date": "2027-03-01",
    "expected_delivery_start": "2027-07-01",
    "expected_delivery_end": "2027-08-31",
}


def _publish_url(grouping):
    return reverse("tenders:publish", args=[grouping.pk])


def test_coordinator_sees_the_form_and_a_preview_of_the_public_snapshot(client, carol, grouping, lines):
    response = login(client, carol).get(_publish_url(grouping))

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"]["title"].value() == grouping.title
    assert response.context["content"]["totals"]["quantity"] == 4730
    assert "Aperçu de ce qui sera public" in body
    assert "Tablette tactile 10 pouces" in body
    assert "Madame Dupont" not in body and "347,91" not in body
    assert not Publication.objects.exists()


def test_preview_button_does_not_publish(client, carol, grouping, lines):
    response = login(client, carol).post(_publish_url(grouping), {**FORM, "preview": "1"})

    assert response.status_code == 200
    assert response.context["content"]["title"] == FORM["title"]
    assert response.context["content"]["timeline"]["expected_delivery_end"] == "2027-08-31"
    assert not Publication.objects.exists()


def test_coordinator_publishes_and_lands_on_the_public_page(client, carol, grouping, lines):
    response = login(client, carol).post(_publish_url(grouping), FORM, follow=True)

    publication = Publication.objects.get()
    assert response.redirect_chain[-1][0] == reverse("tenders:demand_detail", args=[publication.pk])
    assert "La demande agrégée est publiée" in response.content.decode()
    assert publication.expected_launch_date == datetime.date(2027, 3, 1)
    assert publication.published_by == carol


def test_publish_form_reports_a_grouping_without_lines(client, carol, grouping, lots):
    response = login(client, carol).post(_publish_url(grouping), FORM)

    assert response.status_code == 200
    assert "aucune ligne" in response.content.decode()
    assert not Publication.objects.exists()


def test_publish_form_rejects_delivery_window_upside_down(client, carol, grouping, lines):
    data = {**FORM, "expected_delivery_start": "2027-09-01", "expected_delivery_end": "2027-07-01"}

    response = login(client, carol).post(_publish_url(grouping), data)

    assert response.status_code == 200
    assert response.context["form"].errors["expected_delivery_end"]
    assert not Publication.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_who_is_not_coordinator_gets_403_on_publish(client, alice, grouping, lines, method):
    response = getattr(login(client, alice), method)(_publish_url(grouping), FORM)

    assert response.status_code == 403
    assert "Seul le coordonnateur" in response.content.decode()
    assert not Publication.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_publish(client, oscar, grouping, lines, method):
    assert getattr(login(client, oscar), method)(_publish_url(grouping), FORM).status_code == 404


def test_vendor_gets_404_on_publish(client, victor, grouping, lines):
    assert login(client, victor).get(_publish_url(grouping)).status_code == 404


def test_anonymous_is_sent_to_login_on_publish(client, grouping):
    response = client.get(_publish_url(grouping))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_coordinator_withdraws(client, carol, publication):
    response = login(client, carol).post(reverse("tenders:withdraw", args=[publication.pk]))

    publication.refresh_from_db()
    assert response.status_code == 302
    assert publication.status == PublicationStatus.WITHDRAWN


def test_withdraw_honours_a_local_next_only(client, carol, publication):
    url = reverse("tenders:withdraw", args=[publication.pk])

    response = login(client, carol).post(url, {"next": "https://evil.example/"})

    assert response["Location"] == reverse("tenders:publish", args=[publication.grouping_id])


def test_withdraw_is_post_only(client, carol, publication):
    assert login(client, carol).get(reverse("tenders:withdraw", args=[publication.pk])).status_code == 405


def test_member_who_is_not_coordinator_gets_403_on_withdraw(client, alice, publication):
    response = login(client, alice).post(reverse("tenders:withdraw", args=[publication.pk]))

    publication.refresh_from_db()
    assert response.status_code == 403
    assert publication.status == PublicationStatus.PUBLISHED


def test_outsider_gets_404_on_withdraw(client, oscar, publication):
    response = login(client, oscar).post(reverse("tenders:withdraw", args=[publication.pk]))

    publication.refresh_from_db()
    assert response.status_code == 404
    assert publication.status == PublicationStatus.PUBLISHED


def test_anonymous_cannot_withdraw(client, publication):
    response = client.post(reverse("tenders:withdraw", args=[publication.pk]))

    publication.refresh_from_db()
    assert response.status_code == 302
    assert publication.status == PublicationStatus.PUBLISHED


def _render_partial(user, grouping, can_manage):
    request = RequestFactory().get("/groupements/")
    request.user = user
    context = {
        "grouping": grouping,
        "publications": publications_for_grouping(grouping=grouping),
        "can_manage": can_manage,
    }
    return render_to_string("tenders/_grouping_publications.html", context, request=request)


def test_grouping_partial_lists_publications_and_actions_for_the_coordinator(carol, publication, grouping):
    old = Publication.objects.create(
        grouping=grouping, title="Version remplacée", content={"title": "x"}, status=PublicationStatus.SUPERSEDED
    )

    html = _render_partial(carol, grouping, can_manage=True)

    assert reverse("tenders:demand_detail", args=[publication.pk]) in html
    assert reverse("tenders:demand_detail", args=[old.pk]) not in html
    assert "Remplacée" in html and "Publiée" in html
    assert reverse("tenders:withdraw", args=[publication.pk]) in html
    assert "Publier la demande" in html


def test_grouping_partial_hides_actions_from_members(alice, publication, grouping):
    html = _render_partial(alice, grouping, can_manage=False)

    assert reverse("tenders:demand_detail", args=[publication.pk]) in html
    assert "Publier la demande" not in html
    assert reverse("tenders:withdraw", args=[publication.pk]) not in html
