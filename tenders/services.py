"""State changes of the tenders app. Every function is one transaction with an audit row."""

import datetime

from django.db import transaction
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import Collectivity, Grouping, User
from procurement.selectors import can_manage_grouping
from tenders.models import LotLine, Publication, PublicationStatus
from tenders.snapshot import build_snapshot

AUDIT_FIELDS = ["title", "status", "expected_launch_date", "expected_delivery_start", "expected_delivery_end"]


def _check_dates(
    expected_launch_date: datetime.date | None,
    expected_delivery_start: datetime.date | None,
    expected_delivery_end: datetime.date | None,
) -> None:
    if expected_delivery_start and expected_delivery_end and expected_delivery_end < expected_delivery_start:
        raise DomainError(
            "La fin des livraisons doit suivre leur début.", field="expected_delivery_end", code="invalid_dates"
        )
    if expected_launch_date and expected_delivery_start and expected_delivery_start < expected_launch_date:
        raise DomainError(
            "Les livraisons ne peuvent pas commencer avant le lancement de la consultation.",
            field="expected_delivery_start",
            code="invalid_dates",
        )


def _set_status(
    publication: Publication, status: PublicationStatus, *, actor: User, action: str, coordinator: Collectivity
) -> Publication:
    """Change a publication's status in the caller's transaction, with its audit row (before/after) in the
    coordinator's journal. The caller has locked the row and checked the actor's rights."""
    before = snapshot(publication, AUDIT_FIELDS)
    publication.status = status
    publication.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=action,
        target=publication,
        collectivity=coordinator,
        before=before,
        after=snapshot(publication, AUDIT_FIELDS),
    )
    return publication


@transaction.atomic
def publication_create(
    *,
    grouping: Grouping,
    actor: User,
    title: str,
    summary: str,
    expected_launch_date: datetime.date | None,
    expected_delivery_start: datetime.date | None = None,
    expected_delivery_end: datetime.date | None = None,
) -> Publication:
    """Publish the grouping's aggregated demand.

    Invariants: only the grouping's coordinator publishes; the grouping has at least one pooled line; the
    content is a frozen snapshot of aggregated figures (see `tenders.snapshot`); at most one publication of
    a grouping is `published`: the previous one becomes `superseded`.
    """
    if not can_manage_grouping(user=actor, grouping=grouping):
        raise PermissionDenied("Seul le coordonnateur du groupement peut publier sa demande agrégée.")
    # Serialise concurrent publications of the same grouping (no-op on SQLite).
    grouping = Grouping.objects.select_for_update().select_related("coordinator").get(pk=grouping.pk)
    if not LotLine.objects.filter(lot__grouping=grouping).exists():
        raise DomainError(
            "Ce groupement n'a encore aucune ligne rattachée à un lot : il n'y a rien à publier.", code="empty"
        )
    _check_dates(expected_launch_date, expected_delivery_start, expected_delivery_end)

    now = timezone.now()
    title = title.strip()
    summary = summary.strip()
    publication = Publication(
        grouping=grouping,
        title=title,
        summary=summary,
        expected_launch_date=expected_launch_date,
        expected_delivery_start=expected_delivery_start,
        expected_delivery_end=expected_delivery_end,
        published_at=now,
        published_by=actor,
        status=PublicationStatus.PUBLISHED,
        content=build_snapshot(
            grouping=grouping,
            title=title,
            summary=summary,
            expected_launch_date=expected_launch_date,
            expected_delivery_start=expected_delivery_start,
            expected_delivery_end=expected_delivery_end,
            published_at=now,
        ),
    )
    publication.full_clean()

    for previous in Publication.objects.select_for_update().filter(
        grouping=grouping, status=PublicationStatus.PUBLISHED
    ):
        _set_status(
            previous,
            PublicationStatus.SUPERSEDED,
            actor=actor,
            action="publication.supersede",
            coordinator=grouping.coordinator,
        )

    publication.save()
    audit_record(
        actor=actor,
        action="publication.create",
        target=publication,
        collectivity=grouping.coordinator,
        after={**snapshot(publication, AUDIT_FIELDS), "grouping": grouping.reference},
    )
    return publication


@transaction.atomic
def publication_withdraw(*, publication: Publication, actor: User) -> Publication:
    """Withdraw a published demand: it leaves every public page, feed, export and API at once."""
    publication = Publication.objects.select_for_update().select_related("grouping__coordinator").get(pk=publication.pk)
    grouping = publication.grouping
    if not can_manage_grouping(user=actor, grouping=grouping):
        raise PermissionDenied("Seul le coordonnateur du groupement peut retirer cette publication.")
    if publication.status != PublicationStatus.PUBLISHED:
        raise DomainError("Cette publication n'est plus en ligne.", code="not_published")
    return _set_status(
        publication,
        PublicationStatus.WITHDRAWN,
        actor=actor,
        action="publication.withdraw",
        coordinator=grouping.coordinator,
    )
