"""Guards and helpers shared by the services."""

from procurement.errors import DomainError, PermissionDenied
from procurement.models import (
    Campaign,
    CampaignParticipation,
    Collectivity,
    ParticipationStatus,
    Role,
    User,
)
from procurement.selectors import can_coordinate_campaign, user_has_role


def require_writer(*, collectivity: Collectivity, actor: User) -> None:
    if not user_has_role(user=actor, collectivity=collectivity, roles=(Role.BUYER, Role.COORDINATOR)):
        raise PermissionDenied(f"Vous n'avez pas le droit de déclarer des besoins pour {collectivity.name}.")


def require_campaign_coordinator(*, campaign: Campaign, actor: User) -> None:
    if not can_coordinate_campaign(user=actor, campaign=campaign):
        raise PermissionDenied("Seul le coordonnateur de la campagne peut faire cette opération.")


def get_participation(*, campaign: Campaign, collectivity: Collectivity) -> CampaignParticipation:
    try:
        return CampaignParticipation.objects.get(campaign=campaign, collectivity=collectivity)
    except CampaignParticipation.DoesNotExist:
        raise DomainError(f"{collectivity.name} n'est pas invitée à la campagne « {campaign.title} ».") from None


def require_open(*, campaign: Campaign, participation: CampaignParticipation) -> None:
    if not campaign.accepts_declarations():
        raise DomainError(
            f"La campagne « {campaign.title} » n'accepte pas de déclaration aujourd'hui "
            f"(ouverte du {campaign.opens_on:%d/%m/%Y} au {campaign.closes_on:%d/%m/%Y}, "
            f"statut : {campaign.get_status_display().lower()})."
        )
    if participation.status == ParticipationStatus.SUBMITTED:
        raise DomainError(
            "Votre déclaration a été transmise au coordonnateur : demandez-lui de la rouvrir pour la modifier."
        )
