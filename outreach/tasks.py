from celery import shared_task

from outreach import services


@shared_task(ignore_result=True)
def send_due_outreach() -> dict[str, int]:
    """Scheduled replies and notifications whose time has come (periodic, and as an ETA
    task for near ones)."""
    return services.send_due_outreach()


@shared_task(ignore_result=True)
def send_notification(notification_id: int) -> bool:
    return services.send_notification_if_due(notification_id=notification_id)
