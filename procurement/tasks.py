"""Background jobs of the core domain. Tasks take ids and call a service; the service re-checks rights."""

from celery import shared_task


@shared_task(name="procurement.run_needs_import", ignore_result=True)
def run_needs_import(job_id: int) -> None:
    """Analyse a pending needs import, or import a confirmed one."""
    from procurement.services.imports import needs_import_run_job

    needs_import_run_job(job_id=job_id)


@shared_task(name="procurement.send_campaign_reminders", ignore_result=True)
def send_campaign_reminders(campaign_id: int | None = None) -> int:
    """Remind the late members of one campaign, or of every campaign open today (periodic task, e.g. daily)."""
    from procurement.models import Campaign
    from procurement.services.reminders import campaign_send_reminders, campaigns_to_remind

    campaigns = Campaign.objects.filter(pk=campaign_id) if campaign_id is not None else campaigns_to_remind()
    return sum(campaign_send_reminders(campaign=campaign) for campaign in campaigns)


@shared_task(name="procurement.purge_import_jobs", ignore_result=True)
def purge_import_jobs(older_than_days: int = 7) -> int:
    """Delete the needs imports that imported nothing and are older than `older_than_days` (periodic, daily)."""
    from procurement.services.housekeeping import needs_import_jobs_purge

    return needs_import_jobs_purge(older_than_days=older_than_days).deleted_count
