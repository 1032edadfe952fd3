"""Notifications: a message the desk starts, on the customer's best channel that can
carry it and that they have not opted out of.

The rules, per candidate channel (`selectors.candidate_endpoints`, best first):
the template allows the channel kind; the recipient identity is proven and not opted
out; WhatsApp outside its 24-hour window takes only an approved template. The first
channel that passes carries it; when none does, the notification is `skipped` with the
best candidate's reason. An explicit `channel` is the only candidate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from channels_app.kinds import channel_kind, identity_kind_for
from channels_app.models import ChannelEndpoint
from conversations import services as conversation_services
from customers.models import Customer, Identity
from omnidesk.errors import ApplicationError
from outreach import selectors
from outreach.models import Notification, NotificationTemplate
from outreach.services.consent import unsubscribe_url
from outreach.wording import render

logger = logging.getLogger(__name__)

SkipReason = Notification.SkipReason
# A scheduled item this close is also given a Celery ETA task; later ones wait for the
# periodic sweep (a broker holding day-long ETAs redelivers them, see settings).
ETA_HORIZON = timedelta(hours=1)
SENDER_NAME = "Notifications"
# How far ahead anything may be scheduled.
LONGEST_SCHEDULE = timedelta(days=366)


def check_send_at(send_at: datetime | None, *, now: datetime) -> None:
    if send_at is not None and send_at - now > LONGEST_SCHEDULE:
        raise ApplicationError(
            "That is too far ahead.", fields={"send_at": ["At most a year from now."]}
        )


@dataclass(frozen=True)
class Route:
    """How a notification goes out, or why it cannot (`skip_reason`)."""

    endpoint: ChannelEndpoint | None
    template: dict[str, Any] | None = None
    identity: Identity | None = None
    skip_reason: str = ""
    detail: str = ""


def variables_for(customer: Customer, variables: Mapping[str, Any]) -> dict[str, Any]:
    """What a template may use: the caller's variables, and the customer's name."""
    return {"customer_name": customer.name or "", **dict(variables)}


def whatsapp_template(
    template: NotificationTemplate, endpoint: ChannelEndpoint, variables: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The approved provider template `template` maps to on `endpoint`, its body
    parameters filled from `variables`; None when there is none (not approved, or the
    endpoint lists its approved templates and this one is not among them)."""
    if not (template.approved and template.whatsapp_template_name):
        return None
    listed = endpoint.config.get("templates") or []
    language = template.whatsapp_language or template.locale
    if listed and not any(
        isinstance(item, dict)
        and item.get("name") == template.whatsapp_template_name
        and item.get("language") == language
        for item in listed
    ):
        return None
    payload: dict[str, Any] = {"name": template.whatsapp_template_name, "language": language}
    parameters = [
        {"type": "text", "text": str(variables.get(name, ""))}
        for name in template.whatsapp_parameters or []
    ]
    if parameters:
        payload["components"] = [{"type": "body", "parameters": parameters}]
    return payload


def _route_on(
    *,
    customer: Customer,
    endpoint: ChannelEndpoint,
    template: NotificationTemplate | None,
    variables: Mapping[str, Any],
    proven_kinds: set[str],
    now: datetime,
) -> Route:
    label = channel_kind(endpoint.kind).label
    if (
        template is not None
        and template.channel_kinds
        and endpoint.kind not in template.channel_kinds
    ):
        return Route(
            None, skip_reason=SkipReason.NO_CHANNEL, detail=f"The template is not for {label}."
        )
    kind = identity_kind_for(endpoint.kind)
    if kind is None or kind not in proven_kinds or not endpoint.is_active:
        return Route(
            None, skip_reason=SkipReason.NO_CHANNEL, detail=f"No proven identity on {label}."
        )
    try:
        value = conversation_services.recipient_for(customer=customer, endpoint=endpoint)
    except ApplicationError as exc:
        return Route(None, skip_reason=SkipReason.NO_CHANNEL, detail=exc.message)
    identity = Identity.objects.filter(customer=customer, kind=kind, value=value).first()
    if identity is None or identity.claimed:
        return Route(
            None, skip_reason=SkipReason.NO_CHANNEL, detail=f"{value} on {label} is not proven."
        )
    if selectors.is_opted_out(identity=identity, channel_kind=endpoint.kind):
        return Route(
            None,
            skip_reason=SkipReason.OPTED_OUT,
            detail=f"{value} opted out of {label} notifications.",
        )
    if selectors.within_free_form_window(customer=customer, endpoint=endpoint, now=now):
        return Route(endpoint, identity=identity)
    provider_template = (
        whatsapp_template(template, endpoint, variables) if template is not None else None
    )
    if provider_template is None:
        return Route(
            None,
            skip_reason=SkipReason.NEEDS_TEMPLATE,
            detail=f"Outside {label}'s customer service window, and no approved template.",
        )
    return Route(endpoint, template=provider_template, identity=identity)


def choose_route(
    *,
    customer: Customer,
    template: NotificationTemplate | None,
    variables: Mapping[str, Any],
    requested: ChannelEndpoint | None,
    now: datetime,
) -> Route:
    candidates = selectors.candidate_endpoints(customer)
    endpoints = [requested] if requested is not None else candidates.endpoints
    first_refusal: Route | None = None
    for endpoint in endpoints:
        route = _route_on(
            customer=customer,
            endpoint=endpoint,
            template=template,
            variables=variables,
            proven_kinds=candidates.proven_kinds,
            now=now,
        )
        if route.endpoint is not None:
            return route
        # The best channel's reason is the one to report, except that an opt-out anywhere
        # is what a supervisor most needs to see.
        if first_refusal is None or (
            route.skip_reason == SkipReason.OPTED_OUT
            and first_refusal.skip_reason != SkipReason.OPTED_OUT
        ):
            first_refusal = route
    return first_refusal or Route(
        None, skip_reason=SkipReason.NO_CHANNEL, detail="The customer has no proven channel."
    )


def endpoint_by_key(key: str) -> ChannelEndpoint:
    endpoint = ChannelEndpoint.objects.filter(key=key).first()
    if endpoint is None:
        raise ApplicationError(
            "No such channel.", fields={"channel": [f"No endpoint with key {key!r}."]}
        )
    return endpoint


def create_notification(
    *,
    customer: Customer,
    template_key: str = "",
    text: str = "",
    variables: Mapping[str, Any] | None = None,
    channel: str = "",
    locale: str = "",
    send_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> Notification:
    """Record a notification and, unless `send_at` is later, send it now (its message
    queued, or the notification skipped with a reason). ApplicationError for bad input:
    both or neither of template and text, an unknown template or channel, a variable
    the template needs and was not given."""
    if bool(template_key) == bool(text and text.strip()):
        raise ApplicationError(
            "Give either a template or a text.",
            fields={"template": ["Exactly one of template and text."]},
        )
    variables = dict(variables or {})
    template = None
    if template_key:
        template = selectors.template_for(key=template_key, locale=locale or customer.language)
        rendered = render(template.body, variables_for(customer, variables))
    else:
        conversation_services.validate_text(text)
        rendered = text
    requested = endpoint_by_key(channel) if channel else None
    now = timezone.now()
    check_send_at(send_at, now=now)
    with transaction.atomic():
        notification = Notification.objects.create(
            customer=customer,
            template=template,
            text=rendered,
            variables=variables,
            requested_endpoint=requested,
            send_at=send_at or now,
            created_by=created_by,
            created_at=now,
        )
        if notification.send_at <= now:
            process_notification(notification=notification, now=now)
        else:
            schedule_eta(notification.pk, notification.send_at, now=now)
    return notification


def schedule_eta(notification_id: int, send_at: datetime, *, now: datetime) -> None:
    if send_at - now > ETA_HORIZON:
        return
    from outreach.tasks import send_notification

    transaction.on_commit(
        lambda: send_notification.apply_async((notification_id,), eta=send_at), robust=True
    )


def process_notification(*, notification: Notification, now: datetime | None = None) -> None:
    """Send a scheduled notification now, or skip it with its reason.
    Precondition: inside a transaction, the notification row locked (or just created)."""
    now = now or timezone.now()
    customer = notification.customer
    # Merged since it was scheduled: the identities now belong to the customer it joined.
    while customer.merged_into_id is not None:
        customer = customer.merged_into
    template = notification.template
    variables = variables_for(customer, notification.variables)
    route = choose_route(
        customer=customer,
        template=template,
        variables=variables,
        requested=notification.requested_endpoint,
        now=now,
    )
    notification.processed_at = now
    if route.endpoint is None:
        _skip(notification, route.skip_reason, route.detail)
        return
    text = notification.text
    metadata: dict[str, Any] = {"notification_id": notification.pk}
    if channel_kind(route.endpoint.kind).threads_by_email and route.identity is not None:
        link = unsubscribe_url(identity=route.identity, channel_kind=route.endpoint.kind)
        text = f"{text}\n\n--\nTo stop these emails: {link}"
        metadata["unsubscribe_url"] = link
    subject = ""
    if template is not None and template.subject:
        subject = render(template.subject, variables)
    try:
        message = conversation_services.send_proactive_message(
            customer=customer,
            endpoint=route.endpoint,
            text=text,
            subject=subject,
            template=route.template,
            author=notification.created_by,
            sender_name=SENDER_NAME,
            metadata=metadata,
            at=now,
        )
    except ApplicationError as exc:
        _skip(notification, SkipReason.REFUSED, exc.message)
        return
    notification.endpoint = route.endpoint
    notification.message = message
    notification.status = Notification.Status.QUEUED
    notification.save(update_fields=["endpoint", "message", "status", "processed_at"])


def _skip(notification: Notification, reason: str, detail: str) -> None:
    notification.status = Notification.Status.SKIPPED
    notification.skip_reason = reason
    notification.detail = detail
    notification.save(update_fields=["status", "skip_reason", "detail", "processed_at"])
    logger.info(
        "notification skipped",
        extra={"notification_id": notification.pk, "reason": reason},
    )


def cancel_notification(*, notification_id: int) -> Notification:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != Notification.Status.SCHEDULED:
            raise ApplicationError(
                "Only a notification that has not gone out can be cancelled.",
                fields={"status": [notification.status]},
                status_code=409,
            )
        notification.status = Notification.Status.CANCELLED
        notification.processed_at = timezone.now()
        notification.save(update_fields=["status", "processed_at"])
    return notification
