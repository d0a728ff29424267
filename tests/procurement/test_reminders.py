"""Coordinator's follow-up: completeness figures, reminders by e-mail (once a day), reopening a declaration."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from procurement.errors import DomainError, PermissionDenied
from procurement.models import AuditEvent, CampaignStatus, ParticipationStatus, Role
from procurement.services import campaign_progress, campaign_send_reminders, participation_reopen
from procurement.tasks import send_campaign_reminders
from tests import factories as f


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://mutualis.example.fr/"


def submit(campaign, collectivity):
    campaign.participations.filter(collectivity=collectivity).update(
        status=ParticipationStatus.SUBMITTED, submitted_at=timezone.now()
    )


def test_reminders_go_to_buyers_and_coordinators_of_late_members_only(
    campaign, commune_a, commune_b, alice, bob, carol
):
    f.MembershipFactory(user=f.UserFactory(username="lecteur"), collectivity=commune_b, role=Role.VIEWER)
    submit(campaign, commune_a)
    assert campaign_send_reminders(campaign=campaign, actor=carol) == 1
    assert [m.to for m in mail.outbox] == [[bob.email]]
    message = mail.outbox[0]
    assert campaign.title in message.subject and f"{campaign.closes_on:%d/%m/%Y}" not in message.subject
    assert f"https://mutualis.example.fr/campagnes/{campaign.pk}/" in message.body
    assert "Cesson-Sévigné" in message.body and "se clôture le" in message.body
    event = AuditEvent.objects.get(action="campaign.reminder")
    assert event.actor == carol and event.after["recipients"] == 1


def test_a_member_is_not_reminded_twice_the_same_day(campaign, alice, bob):
    assert campaign_send_reminders(campaign=campaign) == 2
    assert campaign_send_reminders(campaign=campaign) == 0
    assert len(mail.outbox) == 2
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert campaign_send_reminders(campaign=campaign) == 2


def test_no_reminder_outside_the_declaration_window(campaign, alice):
    campaign.status = CampaignStatus.CLOSED
    campaign.save()
    assert campaign_send_reminders(campaign=campaign) == 0 and mail.outbox == []


def test_only_the_coordinator_may_send_reminders(campaign, alice):
    with pytest.raises(PermissionDenied):
        campaign_send_reminders(campaign=campaign, actor=alice)


def test_command_dry_run_sends_nothing_and_the_command_sends(campaign, alice, bob, capsys):
    call_command("send_campaign_reminders", campaign=campaign.pk, dry_run=True)
    out = capsys.readouterr().out
    assert "alice@example.fr" in out and "2 membre(s) seraient relancés" in out and mail.outbox == []
    call_command("send_campaign_reminders")
    assert len(mail.outbox) == 2 and "2 membre(s) relancés" in capsys.readouterr().out


def test_celery_task_reminds_every_open_campaign(campaign, alice, bob):
    assert send_campaign_reminders.delay().get() == 2
    assert send_campaign_reminders.delay(campaign.pk).get() == 0  # already reminded today


def test_coordinator_reopens_a_submitted_declaration(campaign, commune_a, carol):
    submit(campaign, commune_a)
    participation = participation_reopen(campaign=campaign, collectivity=commune_a, actor=carol)
    assert participation.status == ParticipationStatus.STARTED and participation.submitted_at is None
    assert AuditEvent.objects.filter(action="campaign.reopen", actor=carol).exists()
    with pytest.raises(DomainError, match="rien à rouvrir"):
        participation_reopen(campaign=campaign, collectivity=commune_a, actor=carol)


def test_a_buyer_cannot_reopen(campaign, commune_a, alice):
    submit(campaign, commune_a)
    with pytest.raises(PermissionDenied):
        participation_reopen(campaign=campaign, collectivity=commune_a, actor=alice)


def test_progress_figures_per_member(campaign, commune_a, commune_b):
    item = f.CatalogItemFactory()
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, quantity=10, catalog_item=item)
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, quantity=5)
    submit(campaign, commune_a)
    rows = {row.collectivity: row for row in campaign_progress(campaign=campaign)}
    a, b = rows[commune_a], rows[commune_b]
    assert (a.lines, a.quantity, a.estimated_value_ht, a.unmatched) == (2, 15, item.reference_unit_price_ht * 10, 1)
    assert a.last_activity is not None and not a.is_late
    assert (b.lines, b.estimated_value_ht, b.last_activity) == (0, 0, None) and b.is_late


# Pages


def test_progress_page_shows_members_and_buttons(client, campaign, commune_a, carol, alice, bob):
    submit(campaign, commune_a)
    client.force_login(carol)
    body = client.get(reverse("procurement:campaign_progress", args=[campaign.pk])).content.decode()
    assert "Avancement des membres" in body and "Bruz" in body and "Cesson-Sévigné" in body
    assert "Rouvrir" in body and "Relancer les retardataires (1)" in body


def test_progress_page_buttons_reopen_and_remind(client, campaign, commune_a, carol, alice, bob):
    submit(campaign, commune_a)
    client.force_login(carol)
    response = client.post(
        reverse("procurement:participation_reopen", args=[campaign.pk]), {"collectivity": commune_a.pk}, follow=True
    )
    assert "est rouverte" in response.content.decode()
    response = client.post(reverse("procurement:campaign_remind", args=[campaign.pk]), follow=True)
    assert "2 membres relancés" in response.content.decode() and len(mail.outbox) == 2


def test_members_may_not_see_the_progress_page(client, campaign, alice):
    client.force_login(alice)
    assert client.get(reverse("procurement:campaign_progress", args=[campaign.pk])).status_code == 403
    assert client.post(reverse("procurement:campaign_remind", args=[campaign.pk])).status_code == 403


@pytest.mark.parametrize("name", ["campaign_progress", "participation_reopen", "campaign_remind"])
def test_outsiders_get_404_on_follow_up_routes(client, campaign, commune_a, oscar, name):
    client.force_login(oscar)
    url = reverse(f"procurement:{name}", args=[campaign.pk])
    response = client.get(url) if name == "campaign_progress" else client.post(url, {"collectivity": commune_a.pk})
    assert response.status_code == 404
    assert mail.outbox == []
