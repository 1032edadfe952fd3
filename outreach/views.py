"""Outreach pages: the public unsubscribe link, and the inbox's pieces (an agent's
"Send later", a supervisor's "Notify customer"). Thin: parse, check access, one service."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.roles import sees_everything
from channels_app.models import ChannelEndpoint
from conversations import selectors as conversation_selectors
from conversations.views import inbox_view
from omnidesk.errors import ApplicationError, NotFoundError
from outreach import selectors, services
from outreach.models import ScheduledReply
from outreach.services.consent import identity_of_unsubscribe_token

# --- Public: unsubscribe ------------------------------------------------------------------


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs it, with no session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners follow GETs); POST records the opt-out."""
    try:
        identity, channel_kind = identity_of_unsubscribe_token(token)
    except NotFoundError:
        return render(request, "outreach/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(token=token)
        done = True
    return render(
        request,
        "outreach/unsubscribe.html",
        {"address": identity.value, "channel_kind": channel_kind, "done": done},
    )


# --- Inbox: scheduled replies -------------------------------------------------------------


def local_datetime(value: str) -> datetime:
    """A `datetime-local` field's value, in the desk's time zone."""
    parsed = parse_datetime((value or "").strip())
    if parsed is None:
        raise ApplicationError("Pick a date and time.", fields={"send_at": ["Required."]})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _scheduled_list(request: HttpRequest, conversation_id: int, **extra) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=()
    )
    replies = selectors.scheduled_replies(conversation=conversation).filter(
        status__in=[ScheduledReply.Status.SCHEDULED, ScheduledReply.Status.FAILED]
    )
    return render(
        request,
        "outreach/_scheduled_replies.html",
        {"conversation": conversation, "scheduled_replies": list(replies), **extra},
    )


@require_GET
@inbox_view
def scheduled_replies(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _scheduled_list(request, conversation_id)


@require_POST
@inbox_view
def schedule_reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=("customer", "endpoint")
    )
    kind = ScheduledReply.Kind.NOTE if request.POST.get("mode") == "note" else "reply"
    endpoint_key = ""
    if kind == ScheduledReply.Kind.REPLY and request.POST.get("endpoint", "").isdigit():
        endpoint = ChannelEndpoint.objects.filter(pk=int(request.POST["endpoint"])).first()
        endpoint_key = endpoint.key if endpoint else ""
    try:
        services.schedule_reply(
            conversation=conversation,
            author=request.user,
            text=request.POST.get("text", ""),
            send_at=local_datetime(request.POST.get("send_at", "")),
            kind=kind,
            endpoint_key=endpoint_key,
        )
    except ApplicationError as exc:
        response = _scheduled_list(request, conversation_id, error=exc)
        response.status_code = 200  # htmx swaps only successful answers
        return response
    response = _scheduled_list(request, conversation_id, scheduled_now=True)
    response.headers["HX-Trigger"] = "outreach:scheduled"
    return response


@require_POST
@inbox_view
def cancel_scheduled_reply(
    request: HttpRequest, conversation_id: int, reply_id: int
) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=()
    )
    scheduled = selectors.scheduled_reply_of(conversation=conversation, reply_id=reply_id)
    try:
        services.cancel_scheduled_reply(scheduled=scheduled, actor=request.user)
    except ApplicationError as exc:
        response = _scheduled_list(request, conversation_id, error=exc)
        response.status_code = 200
        return response
    return _scheduled_list(request, conversation_id)


# --- Inbox: a supervisor notifies the customer -------------------------------------------


def _notify_form(request: HttpRequest, conversation_id: int, **extra) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=("customer",)
    )
    if not sees_everything(request.user):
        return HttpResponse("")
    return render(
        request,
        "outreach/_notify_form.html",
        {
            "conversation": conversation,
            "templates": list(selectors.templates()),
            "channels": selectors.candidate_endpoints(conversation.customer).endpoints,
            "recent": list(selectors.notifications(customer_id=conversation.customer_id)[:5]),
            **extra,
        },
    )


def parse_variables(text: str) -> dict[str, str]:
    """`name=value` lines (the form's variables box)."""
    variables = {}
    for line in (text or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            variables[name.strip()] = value.strip()
    return variables


@require_GET
@inbox_view
def notify_form(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _notify_form(request, conversation_id)


@require_POST
@inbox_view
def notify_customer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=("customer",)
    )
    if not sees_everything(request.user):
        # The form is for supervisors; an agent's page never shows it.
        return HttpResponse("")
    send_at = None
    if request.POST.get("send_at", "").strip():
        send_at = local_datetime(request.POST["send_at"])
    try:
        notification = services.create_notification(
            customer=conversation.customer,
            template_key=request.POST.get("template", ""),
            text=request.POST.get("text", ""),
            variables=parse_variables(request.POST.get("variables", "")),
            channel=request.POST.get("channel", ""),
            send_at=send_at,
            created_by=request.user,
        )
    except ApplicationError as exc:
        return _notify_form(request, conversation_id, error=exc)
    return _notify_form(request, conversation_id, sent=notification)
