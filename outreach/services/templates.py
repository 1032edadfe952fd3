"""Notification templates the demo desk starts with (idempotent)."""

from __future__ import annotations

from outreach.models import NotificationTemplate

DEMO_TEMPLATES = (
    {
        "key": "order_shipped",
        "locale": "en",
        "subject": "Order {{ order }} has shipped",
        "body": "Hi {{ customer_name }}, your order {{ order }} has shipped.",
        "whatsapp_template_name": "order_update",
        "whatsapp_language": "en_US",
        "whatsapp_parameters": ["order"],
        "approved": True,
    },
    {
        "key": "outage_fixed",
        "locale": "en",
        "subject": "{{ service }} is working again",
        "body": "Hi {{ customer_name }}, the {{ service }} problem you reported is fixed.",
    },
)


def load_demo_templates() -> int:
    """Create the demo's templates that do not exist yet; returns how many."""
    created = 0
    for fields in DEMO_TEMPLATES:
        _, made = NotificationTemplate.objects.get_or_create(
            key=fields["key"], locale=fields["locale"], defaults=fields
        )
        created += made
    return created
