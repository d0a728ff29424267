"""Census campaigns: creation, invitations, lifecycle, members' submissions."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    Campaign,
    CampaignParticipation,
    CampaignStatus,
    Collectivity,
    ParticipationStatus,
    Role,
    User,
)
from procurement.selectors import user_has_role
from procurement.services.guards import get_participation, require_campaign_coordinator, require_writer


@transaction.atomic
def campaign_create(
    *,
    coordinator: Collectivity,
    actor: User,
    title: str,
    opens_on: date,
    closes_on: date,
    scope: str = "",
    members: Iterable[Collectivity] = (),
) -> Campaign:
    """Create a draft campaign of `coordinator`, inviting `members`. Only a coordinator of it may do so."""
    if not user_has_role(user=actor, collectivity=coordinator, roles=(Role.COORDINATOR,)):
        raise PermissionDenied("Seul un coordonnateur de la collectivité peut créer une campagne.")
    campaign = Campaign(
        coordinator=coordinator, title=title, scope=scope, opens_on=opens_on, closes_on=closes_on, created_by=actor
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor, action="campaign.create", target=campaign, collectivity=coordinator, after=snapshot(campaign)
    )
    for member in members:
        campaign_invite(campaign=campaign, collectivity=member, actor=actor)
    return campaign


@transaction.atomic
def campaign_invite(*, campaign: Campaign, collectivity: Collectivity, actor: User) -> CampaignParticipation:
    require_campaign_coordinator(campaign=campaign, actor=actor)
    participation, created = CampaignParticipation.objects.get_or_create(campaign=campaign, collectivity=collectivity)
    if created:
        audit_record(
            actor=actor,
            action="campaign.invite",
            target=participation,
            collectivity=campaign.coordinator,
            after={"collectivity": collectivity.name},
        )
    return participation


CAMPAIGN_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.OPEN},
    CampaignStatus.OPEN: {CampaignStatus.CLOSED},
    CampaignStatus.CLOSED: {CampaignStatus.OPEN, CampaignStatus.ARCHIVED},
    CampaignStatus.ARCHIVED: set(),
}


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, status: str, actor: User) -> Campaign:
    """Move a campaign through draft → open → closed → archived (a closed campaign may reopen)."""
    require_campaign_coordinator(campaign=campaign, actor=actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status not in CAMPAIGN_TRANSITIONS[campaign.status]:
        raise DomainError(
            f"Une campagne « {campaign.get_status_display()} » ne peut pas passer au statut "
            f"« {CampaignStatus(status).label} ».",
            field="status",
        )
    before = snapshot(campaign, ["status"])
    campaign.status = status
    campaign.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="campaign.status",
        target=campaign,
        collectivity=campaign.coordinator,
        before=before,
        after=snapshot(campaign, ["status"]),
    )
    return campaign


@transaction.atomic
def participation_submit(*, campaign: Campaign, collectivity: Collectivity, actor: User) -> CampaignParticipation:
    """A member marks its declaration as transmitted to the coordinator."""
    require_writer(collectivity=collectivity, actor=actor)
    participation = get_participation(campaign=campaign, collectivity=collectivity)
    if not campaign.need_lines.filter(collectivity=collectivity).exists():
        raise DomainError("Déclarez au moins une ligne de besoin avant de transmettre votre déclaration.")
    participation.status = ParticipationStatus.SUBMITTED
    participation.submitted_at = timezone.now()
    participation.save(update_fields=["status", "submitted_at"])
    audit_record(actor=actor, action="campaign.submit", target=participation, collectivity=collectivity)
    return participation
