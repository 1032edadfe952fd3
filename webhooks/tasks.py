from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at a delivery; retries are the sweep's (`sweep_due_webhooks`)."""
    return services.deliver(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_due_webhooks() -> int:
    return services.sweep_due_deliveries()
