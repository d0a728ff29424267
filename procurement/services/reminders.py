"""The coordinator's follow-up of a campaign's members: completeness figures, reminders to late members, and
reopening a declaration that was submitted.

Reminders are recorded in the audit trail (`campaign.reminder`, one row per member reminded), which is also how
a member is not reminded twice the same day.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from procurement.audit import audit_record
from procurement.errors import DomainError
from procurement.models import (
    AuditEvent,
    Campaign,
    CampaignParticipation,
    Collectivity,
    Membership,
    NeedLine,
    ParticipationStatus,
    Role,
    User,
)
from procurement.services.guards import get_participation, require_campaign_coordinator

logger = logging.getLogger(__name__)

REMINDER_ACTION = "campaign.reminder"
REMINDED_ROLES = (Role.BUYER, Role.COORDINATOR)


# Reopening


@transaction.atomic
def participation_reopen(*, campaign: Campaign, collectivity: Collectivity, actor: User) -> CampaignParticipation:
    """The coordinator sends a submitted declaration back to the member (submitted → started), so that it can be
    corrected; the member submits it again when done."""
    require_campaign_coordinator(campaign=campaign, actor=actor)
    participation = get_participation(campaign=campaign, collectivity=collectivity)
    participation = CampaignParticipation.objects.select_for_update().get(pk=participation.pk)
    if participation.status != ParticipationStatus.SUBMITTED:
        raise DomainError(f"La déclaration de {collectivity.name} n'a pas été transmise : il n'y a rien à rouvrir.")
    before = {"status": participation.status, "submitted_at": participation.submitted_at.isoformat()}
    participation.status = ParticipationStatus.STARTED
    participation.submitted_at = None
    participation.save(update_fields=["status", "submitted_at"])
    audit_record(
        actor=actor,
        action="campaign.reopen",
        target=participation,
        collectivity=campaign.coordinator,
        before=before,
        after={"status": participation.status},
    )
    return participation


# Completeness


@dataclass
class MemberProgress:
    participation: CampaignParticipation
    lines: int
    quantity: int
    estimated_value_ht: Decimal
    unmatched: int
    last_line_at: datetime | None
    last_reminder_at: datetime | None

    @property
    def collectivity(self) -> Collectivity:
        return self.participation.collectivity

    @property
    def last_activity(self) -> datetime | None:
        moments = [self.last_line_at, self.participation.submitted_at]
        return max((moment for moment in moments if moment is not None), default=None)

    @property
    def is_late(self) -> bool:
        return self.participation.status != ParticipationStatus.SUBMITTED


def campaign_progress(*, campaign: Campaign) -> list[MemberProgress]:
    """Per member of the campaign: status, lines, quantity, estimated value (reference prices), last activity and
    last reminder. Three queries, whatever the number of members. For the coordinator's eyes only."""
    participations = list(campaign.participations.select_related("collectivity").order_by("collectivity__name"))
    figures = {
        row["collectivity_id"]: row
        for row in NeedLine.objects.filter(campaign=campaign)
        .with_estimated_value()
        .values("collectivity_id")
        .annotate(
            lines=Count("id"),
            quantity=Sum("quantity"),
            value=Sum("estimated_value_ht"),
            unmatched=Count("id", filter=Q(catalog_item__isnull=True)),
            last=Max("updated_at"),
        )
    }
    reminders = dict(
        AuditEvent.objects.filter(
            action=REMINDER_ACTION,
            target_type=CampaignParticipation._meta.label_lower,
            target_id__in=[str(p.pk) for p in participations],
        )
        .values_list("target_id")
        .annotate(last=Max("created_at"))
    )
    result = []
    for participation in participations:
        row = figures.get(participation.collectivity_id, {})
        result.append(
            MemberProgress(
                participation=participation,
                lines=row.get("lines", 0),
                quantity=row.get("quantity") or 0,
                estimated_value_ht=row.get("value") or Decimal(0),
                unmatched=row.get("unmatched", 0),
                last_line_at=row.get("last"),
                last_reminder_at=reminders.get(str(participation.pk)),
            )
        )
    return result


# Reminders


def campaign_url(campaign: Campaign) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("procurement:campaign_detail", args=[campaign.pk])


def reminder_recipients(*, campaign: Campaign) -> list[tuple[CampaignParticipation, list[User]]]:
    """Late members (invited or started, not submitted) not yet reminded today, with the buyers and coordinators
    to write to (active accounts with an e-mail address). Nothing while the campaign does not accept declarations.
    """
    if not campaign.accepts_declarations():
        return []
    late = list(
        campaign.participations.exclude(status=ParticipationStatus.SUBMITTED)
        .select_related("collectivity")
        .order_by("collectivity__name")
    )
    start_of_day = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    reminded_today = set(
        AuditEvent.objects.filter(
            action=REMINDER_ACTION,
            target_type=CampaignParticipation._meta.label_lower,
            target_id__in=[str(p.pk) for p in late],
            created_at__gte=start_of_day,
        ).values_list("target_id", flat=True)
    )
    users: dict[int, list[User]] = {}
    memberships = Membership.objects.filter(
        collectivity_id__in=[p.collectivity_id for p in late], role__in=REMINDED_ROLES, user__is_active=True
    ).exclude(user__email="")
    for membership in memberships.select_related("user").order_by("user__username"):
        users.setdefault(membership.collectivity_id, []).append(membership.user)
    return [
        (participation, users[participation.collectivity_id])
        for participation in late
        if str(participation.pk) not in reminded_today and users.get(participation.collectivity_id)
    ]


def _messages(campaign: Campaign, participation: CampaignParticipation, users: list[User]) -> list[EmailMessage]:
    context = {
        "campaign": campaign,
        "collectivity": participation.collectivity,
        "participation": participation,
        "url": campaign_url(campaign),
        "days_left": (campaign.closes_on - timezone.localdate()).days,
    }
    subject = render_to_string("emails/campaign_reminder_subject.txt", context).strip()
    return [
        EmailMessage(
            subject=subject,
            body=render_to_string("emails/campaign_reminder.txt", {**context, "user": user}),
            to=[user.email],
        )
        for user in users
    ]


def campaign_send_reminders(*, campaign: Campaign, actor: User | None = None) -> int:
    """E-mail the buyers and coordinators of each late member of an open campaign; return the number of members
    reminded. `actor=None` is the periodic task; a user must coordinate the campaign.

    Invariants: a member is reminded at most once a day; a member is recorded as reminded (audit row) only once
    its e-mails were handed to the mail backend, so a mail failure leaves it to the next run.
    """
    if actor is not None:
        require_campaign_coordinator(campaign=campaign, actor=actor)
    reminded = 0
    connection = get_connection()
    for participation, users in reminder_recipients(campaign=campaign):
        messages = _messages(campaign, participation, users)
        try:
            connection.send_messages(messages)
        except Exception:
            logger.exception("Relance non envoyée : %s, campagne %s", participation.collectivity, campaign.pk)
            continue
        audit_record(
            actor=actor,
            action=REMINDER_ACTION,
            target=participation,
            collectivity=campaign.coordinator,
            after={"recipients": len(messages), "status": participation.status},
        )
        reminded += 1
    return reminded


def campaigns_to_remind() -> list[Campaign]:
    """Campaigns the periodic task reminds: open and inside their declaration window today."""
    today = timezone.localdate()
    return list(Campaign.objects.filter(status="open", opens_on__lte=today, closes_on__gte=today).order_by("pk"))
