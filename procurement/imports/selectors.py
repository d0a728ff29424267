"""Reads of import jobs that depend on who asks: a user sees the jobs of the collectivités they declare for."""

from django.db.models import QuerySet
from django.http import Http404

from procurement.models import Campaign, NeedsImportJob, User
from procurement.selectors import declaring_collectivities_for


def import_jobs_for(*, user: User, campaign: Campaign) -> QuerySet[NeedsImportJob]:
    return (
        NeedsImportJob.objects.filter(
            campaign=campaign, collectivity__in=declaring_collectivities_for(user=user, campaign=campaign)
        )
        .defer("content")
        .select_related("collectivity", "created_by")
    )


def get_import_job_for(*, user: User, campaign: Campaign, pk: int) -> NeedsImportJob:
    try:
        return import_jobs_for(user=user, campaign=campaign).get(pk=pk)
    except (NeedsImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("Import introuvable.") from None
