"""Background jobs of the catalog. Tasks take ids and call a service; the service re-checks rights."""

from celery import shared_task


@shared_task(name="catalog.run_rematch", ignore_result=True)
def run_rematch(job_id: int) -> None:
    """Run the matching again on a campaign's undecided lines, as asked by « Relancer le rapprochement »."""
    from catalog.services import rematch_job_run

    rematch_job_run(job_id=job_id)
