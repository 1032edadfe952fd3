from celery import shared_task
from django.db import IntegrityError, OperationalError

from outreach import services


@shared_task(ignore_result=True)
def send_due_outreach() -> dict[str, int]:
    """Scheduled replies and notifications whose time has come (periodic, and as an ETA
    task for near ones)."""
    return services.send_due_outreach()


@shared_task(ignore_result=True)
def send_notification(notification_id: int) -> bool:
    return services.send_notification_if_due(notification_id=notification_id)


@shared_task(
    ignore_result=True,
    # A lost connection, a deadlock, a recipient deleted under the batch: the batch
    # rolled back whole, so running it again resumes where the last one stopped.
    autoretry_for=(OperationalError, IntegrityError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_bulk_batch(bulk_id: int) -> bool:
    """The next batch of a bulk send; it enqueues the one after on commit."""
    return services.process_bulk_batch(bulk_id=bulk_id)
