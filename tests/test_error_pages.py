"""Error pages speak French, keep the site's frame and say what to do next (DEBUG is off in tests)."""

from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults


def test_page_titles_end_with_the_site_name(client, db):
    body = client.get("/").content.decode()
    assert "<title>Accueil — Mutualis</title>" in body


def test_an_unknown_address_gets_the_french_404_page(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Page introuvable — Mutualis</title>" in body
    assert 'lang="fr"' in body
    assert reverse("login") in body  # an anonymous visitor is offered to log in


def test_an_outsider_gets_the_same_404_page_as_for_a_missing_campaign(client, oscar, campaign):
    client.force_login(oscar)
    response = client.get(reverse("procurement:campaign_detail", args=[campaign.pk]))
    missing = client.get(reverse("procurement:campaign_detail", args=[campaign.pk + 1000]))
    assert response.status_code == missing.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body
    assert campaign.title not in body
    assert reverse("procurement:dashboard") in body


def test_a_form_posted_without_its_csrf_token_is_refused_in_french(db, alice):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("login"), {"username": "alice", "password": "x"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()
    assert "Rien n'a été enregistré" in response.content.decode()


def test_the_server_error_page_renders_without_any_context(db):
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Le service a rencontré une erreur" in body
    assert 'lang="fr"' in body
