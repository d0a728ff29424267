"""Background jobs of the documents. Tasks take ids and call a service; the service re-checks rights."""

from celery import shared_task


@shared_task(name="reports.generate_document", ignore_result=True)
def generate_document(document_id: int) -> None:
    from reports.services import document_generate

    document_generate(document_id=document_id)
