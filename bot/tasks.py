from __future__ import annotations

from celery import shared_task

from bot import services


@shared_task(name="bot.tasks.answer_customer_message", acks_late=True)
def answer_customer_message(message_id: int) -> str:
    return services.respond(message_id=message_id)
