"""Writes of outreach: notifications, consent, scheduled sending, bulk sends."""

from outreach.services.bulk import (
    create_bulk_send,
    customers_from_csv,
    customers_matching,
    customers_named,
    process_bulk_batch,
    resume_stalled_bulk_sends,
)
from outreach.services.consent import (
    apply_consent_keywords,
    opt_in,
    opt_out,
    unsubscribe,
    unsubscribe_url,
)
from outreach.services.notifications import (
    cancel_notification,
    choose_route,
    create_notification,
    process_notification,
)
from outreach.services.scheduling import (
    cancel_scheduled_reply,
    schedule_reply,
    send_due_notifications,
    send_due_outreach,
    send_due_replies,
    send_notification_if_due,
)
from outreach.services.templates import load_demo_templates

__all__ = [
    "apply_consent_keywords",
    "cancel_notification",
    "cancel_scheduled_reply",
    "choose_route",
    "create_bulk_send",
    "create_notification",
    "customers_from_csv",
    "customers_matching",
    "customers_named",
    "load_demo_templates",
    "opt_in",
    "opt_out",
    "process_bulk_batch",
    "process_notification",
    "resume_stalled_bulk_sends",
    "schedule_reply",
    "send_due_notifications",
    "send_due_outreach",
    "send_due_replies",
    "send_notification_if_due",
    "unsubscribe",
    "unsubscribe_url",
]
