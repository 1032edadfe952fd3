"""The agent inbox: pages and the HTMX fragments they swap. Thin: parse input, call an
`access_*` selector, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from agents.models import Team
from channels_app.models import ChannelEndpoint
from channels_app.whatsapp_templates import approved_templates, find_approved_template
from conversations import hooks, presenters, selectors, services, variables
from conversations.models import Attachment, Conversation, Tag
from conversations.selectors.bulk import bulk_assignees
from conversations.selectors.mentions import mentionable_agents
from conversations.selectors.opening import opening_view
from customers.attributes import typed_from_text
from customers.models import AttributeDefinition, Identity
from omnidesk.errors import ApplicationError, NotFoundError
from omnidesk.realtime import current_sequences
from omnidesk.text_input import NUL_REFUSED, nul_fields

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def inbox_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; a conversation the user may not see is a 404, an ApplicationError
    is shown inline; every response carries the inbox's CSP (no inline scripts)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if fields := nul_fields(request.GET) | nul_fields(request.POST):
                raise ApplicationError(NUL_REFUSED, fields=fields)
            response = view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message)
        except ApplicationError as exc:
            response = render(
                request, "conversations/_error.html", {"error": exc}, status=exc.status_code
            )
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return wrapped


# --- Pages and the list -------------------------------------------------------------------


@require_GET
@inbox_view
def inbox(request: HttpRequest) -> HttpResponse:
    return _inbox_page(request, conversation=None)


@require_GET
@inbox_view
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, with_read_at=True
    )
    hooks.notify_conversation_read(conversation_id=conversation.pk, reader=request.user)
    if selectors.has_unseen_activity(conversation):
        services.mark_read(conversation=conversation, user=request.user)
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        return render(
            request,
            "conversations/_conversation_open.html",
            _conversation_context(request, conversation),
        )
    return _inbox_page(request, conversation=conversation)


# The session key of the inbox tab the agent last chose (`conversation_list`).
LAST_VIEW = "inbox_view"


def _inbox_page(request: HttpRequest, *, conversation: Conversation | None) -> HttpResponse:
    params = request.GET
    if not params.get("view"):
        # No tab in the address: the one the agent last chose, or one with work in it.
        params = params.copy()
        params["view"] = opening_view(agent=request.user, remembered=request.session.get(LAST_VIEW))
    filters = selectors.parse_inbox_filters(params, user=request.user)
    context: dict[str, Any] = {
        # Read before anything the page shows: an event the page's socket is too late
        # to hear has a higher number, and its first greeting makes it refetch.
        "rendered_seqs": current_sequences(selectors.inbox_groups(request.user)),
        "filters": filters,
        "views": selectors.inbox_views_for(request.user),
        "statuses": Conversation.Status.choices,
        "channel_choices": _channel_choices(),
        "tags": Tag.objects.order_by("name"),
        # The bulk bar's agents and teams load when it first opens (`bulk_choices`): most
        # page views never select a row, so the page pays no query for them.
        "bulk_priorities": Conversation.Priority.choices,
        "page": presenters.inbox_rows(selectors.inbox_page(agent=request.user, filters=filters)),
        # Counts arrive right after first paint (hx-trigger="load"): the list is what the
        # agent needs first, and counting 100,000 rows should not delay it.
        "open_id": conversation.pk if conversation else None,
    }
    if conversation is not None:
        context |= _conversation_context(request, conversation)
    return render(request, "conversations/inbox.html", context)


def _channel_choices() -> list[tuple[str, str]]:
    return list(ChannelEndpoint.Kind.choices)


@require_GET
@inbox_view
def conversation_list(request: HttpRequest) -> HttpResponse:
    """Rows of the list: the first page, or the next one after `cursor` (infinite scroll).
    `remember_view` marks a tab the agent picked (inbox.js): the inbox opens there next
    time."""
    filters = selectors.parse_inbox_filters(request.GET, user=request.user)
    if request.GET.get("remember_view") and request.session.get(LAST_VIEW) != filters.view:
        request.session[LAST_VIEW] = filters.view
    page = selectors.inbox_page(
        agent=request.user, filters=filters, cursor=request.GET.get("cursor") or None
    )
    return render(
        request,
        "conversations/_list.html",
        {
            "page": presenters.inbox_rows(page),
            "filters": filters,
            "open_id": _int_or_none(request.GET.get("open")),
            "appending": bool(request.GET.get("cursor")),
        },
    )


@require_GET
@inbox_view
def counts(request: HttpRequest) -> HttpResponse:
    filters = selectors.parse_inbox_filters(request.GET, user=request.user)
    return render(
        request,
        "conversations/_counts.html",
        {
            "counts": selectors.inbox_counts(agent=request.user, status=filters.status),
            "views": selectors.inbox_views_for(request.user),
        },
    )


@require_GET
@inbox_view
def bulk_choices(request: HttpRequest) -> HttpResponse:
    """The bulk bar's assignee and team choices (templates/conversations/_bulk_choices.html),
    fetched by static/js/bulk.js the first time the bar opens. Whom the user may pick comes
    from `bulk_assignees`; each conversation still checks the choice when the action runs."""
    return render(
        request,
        "conversations/_bulk_choices.html",
        {
            "bulk_teams": Team.objects.order_by("name"),
            "bulk_agents": bulk_assignees(user=request.user),
        },
    )


# --- The conversation pane --------------------------------------------------------------


def _conversation_context(
    request: HttpRequest, conversation: Conversation, *, timeline: bool = True
) -> dict[str, Any]:
    """Everything the pane shows; `timeline=False` for the header and sidebar fragments,
    which a live refresh re-fetches without the timeline."""
    timeline_seq = _timeline_seq(conversation) if timeline else None
    choices = services.reply_endpoint_choices(conversation)
    default = selectors.default_reply_message(conversation)
    default_endpoint_id = default.endpoint_id if default else conversation.endpoint_id
    if choices and default_endpoint_id not in {e.pk for e in choices}:
        default_endpoint_id = choices[0].pk
    context = {
        "conversation": conversation,
        "history": False,
        "endpoint_choices": choices,
        "default_endpoint_id": default_endpoint_id,
        "reply_templates": approved_templates(choices),
        "seen_message_id": selectors.latest_message_id(conversation=conversation),
        "agents": selectors.assignable_agents(conversation=conversation),
        "teams": Team.objects.order_by("name"),
        "statuses": Conversation.Status.choices,
        "priorities": Conversation.Priority.choices,
        "tag_names": ", ".join(conversation.tags.order_by("name").values_list("name", flat=True)),
        "customer_context": selectors.customer_context(
            customer=conversation.customer, user=request.user
        ),
        "identity_kinds": Identity.Kind.choices,
        "mode": "reply",
        "draft_text": "",
    }
    if timeline:
        context |= _timeline_context(
            selectors.conversation_timeline(conversation=conversation), conversation
        ) | {"timeline_seq": timeline_seq}
    return context


def _timeline_seq(conversation: Conversation) -> int:
    """The conversation's event number before its timeline is read: when the page starts
    watching it, a higher number means something arrived that this timeline lacks."""
    group = selectors.conversation_group(conversation.pk)
    return current_sequences([group])[group]


def _pane(request: HttpRequest, conversation_id: int, **extra: Any) -> HttpResponse:
    """The re-rendered conversation pane (and the sidebar, out of band) after an action."""
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    context = _conversation_context(request, conversation) | extra
    status = 422 if extra.get("error") else 200
    return render(request, "conversations/_conversation_open.html", context, status=status)


def _timeline_context(page: selectors.TimelinePage, conversation: Conversation) -> dict[str, Any]:
    return {
        "entries": presenters.timeline_entries(
            page.items, customer_name=str(conversation.customer)
        ),
        "earlier_cursor": page.earlier_cursor,
    }


@require_GET
@inbox_view
def timeline(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation's latest timeline items, or with `history=1` the customer's whole
    story across every conversation this agent may see. With `before` (the cursor of
    "Show earlier messages") only the items before it, to insert above those shown."""
    before = request.GET.get("before") or None
    conversation = selectors.access_conversation(
        user=request.user,
        conversation_id=conversation_id,
        with_read_at=before is None,
        related=("customer",),  # the timeline names the customer, nothing else
    )
    history = request.GET.get("history") == "1"
    timeline_seq = _timeline_seq(conversation)
    if history:
        page = selectors.customer_timeline(
            customer=conversation.customer, user=request.user, before=before
        )
    else:
        page = selectors.conversation_timeline(conversation=conversation, before=before)
        if before is None and selectors.has_unseen_activity(conversation):
            services.mark_read(conversation=conversation, user=request.user)
    context = {
        "conversation": conversation,
        "history": history,
        "timeline_seq": timeline_seq,
    } | _timeline_context(page, conversation)
    if before is not None:
        return render(
            request, "conversations/_timeline_items.html", context | {"earlier_request": True}
        )
    return render(request, "conversations/_timeline.html", context)


@require_GET
@inbox_view
def header(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    return render(
        request,
        "conversations/_header.html",
        _conversation_context(request, conversation, timeline=False),
    )


@require_GET
@inbox_view
def sidebar(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    return render(
        request,
        "conversations/_sidebar.html",
        _conversation_context(request, conversation, timeline=False),
    )


@require_POST
@inbox_view
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A reply or a private note. A reply written while others added messages is held
    (returned with a warning and those messages) unless the agent sends it anyway."""
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    text = request.POST.get("text", "")
    mode = "note" if request.POST.get("mode") == "note" else "reply"
    keep = {"mode": mode, "draft_text": text}
    seen = _int_or_none(request.POST.get("seen_message_id")) or 0
    if request.POST.get("force") != "1":
        unseen = selectors.activity_since(
            conversation=conversation, after_message_id=seen, user=request.user
        )
        if unseen:
            return _pane(request, conversation.pk, held=unseen, **keep)
    files = request.FILES.getlist("files")
    try:
        if mode == "note" and files:
            raise ApplicationError(
                "Files go with replies, not private notes.", fields={"files": ["Remove them."]}
            )
        if mode == "note":
            services.add_note(conversation=conversation, author=request.user, text=text)
        else:
            endpoint = _reply_endpoint(conversation, request.POST.get("endpoint"))
            template = find_approved_template(
                endpoints=services.reply_endpoint_choices(conversation),
                choice=request.POST.get("template", ""),
            )
            if template is not None:
                endpoint = template.endpoint
                text = text.strip() or template.preview
            services.send_reply(
                conversation=conversation,
                author=request.user,
                text=text,
                endpoint=endpoint,
                template=template.as_provider_template() if template else None,
                attachments=files,
            )
    except ApplicationError as exc:
        return _pane(request, conversation.pk, error=exc, **keep)
    services.mark_read(conversation=conversation, user=request.user)
    response = _pane(request, conversation.pk, mode=mode, sent=True)
    response.headers["HX-Trigger"] = "omnidesk:sent"
    return response


def _reply_endpoint(conversation: Conversation, raw: str | None):
    if not raw:
        return None
    for endpoint in services.reply_endpoint_choices(conversation):
        if str(endpoint.pk) == raw:
            return endpoint
    raise ApplicationError(
        "The customer cannot be reached on that channel.",
        fields={"endpoint": ["Pick one of the listed channels."]},
    )


def _action(run: Callable[[HttpRequest, Conversation], Any]) -> Callable[..., HttpResponse]:
    """A POST action on one conversation: access check, run, re-render the pane."""

    @require_POST
    @inbox_view
    @wraps(run)
    def view(request: HttpRequest, conversation_id: int, **kwargs: Any) -> HttpResponse:
        conversation = selectors.access_conversation(
            user=request.user, conversation_id=conversation_id
        )
        try:
            run(request, conversation, **kwargs)
        except NotFoundError:
            raise
        except ApplicationError as exc:
            return _pane(request, conversation.pk, error=exc)
        return _pane(request, conversation.pk)

    return view


@_action
def assign(request: HttpRequest, conversation: Conversation) -> None:
    raw = request.POST.get("agent", "")
    if raw == "me":
        agent = request.user
    elif raw in ("", "none"):
        agent = None
    else:
        agent = (
            selectors.assignable_agents(conversation=conversation)
            .filter(pk=_int_or_none(raw) or 0)
            .first()
        )
        if agent is None:
            raise ApplicationError(
                "That agent cannot work on this conversation.", fields={"agent": ["invalid"]}
            )
    services.assign_conversation(conversation=conversation, agent=agent, actor=request.user)


@_action
def assign_team(request: HttpRequest, conversation: Conversation) -> None:
    raw = request.POST.get("team", "")
    team = None
    if raw not in ("", "none"):
        team = Team.objects.filter(pk=_int_or_none(raw) or 0).first()
        if team is None:
            raise ApplicationError("Unknown team.", fields={"team": ["invalid"]})
    services.assign_team(conversation=conversation, team=team, actor=request.user)


@_action
def change_status(request: HttpRequest, conversation: Conversation) -> None:
    status = request.POST.get("status", "")
    snoozed_until = None
    if status == Conversation.Status.SNOOZED:
        snoozed_until = _parse_local_datetime(request.POST.get("snoozed_until", ""))
    services.change_status(
        conversation=conversation, status=status, actor=request.user, snoozed_until=snoozed_until
    )


@_action
def set_priority(request: HttpRequest, conversation: Conversation) -> None:
    priority = _int_or_none(request.POST.get("priority"))
    services.set_priority(
        conversation=conversation,
        priority=-1 if priority is None else priority,
        actor=request.user,
    )


@_action
def set_tags(request: HttpRequest, conversation: Conversation) -> None:
    names = request.POST.get("tags", "").split(",")
    services.set_tags(conversation=conversation, names=names, actor=request.user)


@_action
def retry(request: HttpRequest, conversation: Conversation, message_id: int) -> None:
    message = conversation.messages.filter(pk=message_id).first()
    if message is None:
        raise NotFoundError("Message not found.")
    services.retry_delivery(message=message)


@_action
def edit_customer(request: HttpRequest, conversation: Conversation) -> None:
    attributes = _parse_attributes(request.POST.get("attributes", ""))
    if attributes is not None:
        attributes = typed_from_text(AttributeDefinition.AppliesTo.CUSTOMER, attributes)
    services.update_customer_details(
        conversation=conversation,
        actor=request.user,
        name=request.POST.get("name"),
        language=request.POST.get("language"),
        attributes=attributes,
        tags=request.POST.get("tags", "").split(",") if "tags" in request.POST else None,
    )


@_action
def add_identity(request: HttpRequest, conversation: Conversation) -> None:
    services.add_customer_identity(
        conversation=conversation,
        actor=request.user,
        kind=request.POST.get("kind", ""),
        value=request.POST.get("value", ""),
    )


@_action
def verify_identity(request: HttpRequest, conversation: Conversation, identity_id: int) -> None:
    services.verify_customer_identity(
        conversation=conversation, actor=request.user, identity_id=identity_id
    )


@_action
def merge_customer(request: HttpRequest, conversation: Conversation) -> None:
    if request.POST.get("confirm") != "1":
        raise ApplicationError("Confirm the merge first.")
    other = selectors.access_customer(user=request.user, customer_id=request.POST.get("other", ""))
    if other.merged_into_id:
        raise ApplicationError("That customer was already merged into another.")
    # The conversation's customer survives; the other record redirects to it.
    services.merge_customers(source=other, target=conversation.customer, actor=request.user)


@_action
def unmerge_customer(request: HttpRequest, conversation: Conversation, merge_id: int) -> None:
    """Undo a merge of this conversation's customer (the pane then shows whose the
    conversation is now)."""
    merge = selectors.access_customer_merge(
        user=request.user, customer_id=conversation.customer_id, merge_id=merge_id
    )
    services.unmerge_customers(merge=merge, actor=request.user)


@_action
def accept_suggestion(request: HttpRequest, conversation: Conversation, suggestion_id: int) -> None:
    """Merge the customer a suggestion names into this conversation's customer."""
    suggestion = selectors.access_merge_suggestion(
        user=request.user, suggestion_id=suggestion_id, customer_id=conversation.customer_id
    )
    services.accept_merge_suggestion(
        suggestion=suggestion, actor=request.user, keep_id=conversation.customer_id
    )


@_action
def dismiss_suggestion(
    request: HttpRequest, conversation: Conversation, suggestion_id: int
) -> None:
    """The two customers are different people: the suggestion is no longer shown."""
    suggestion = selectors.access_merge_suggestion(
        user=request.user, suggestion_id=suggestion_id, customer_id=conversation.customer_id
    )
    services.dismiss_merge_suggestion(suggestion=suggestion, actor=request.user)


@require_POST
@inbox_view
def split_conversation(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """Move a message and everything after it into a new conversation, and open that one."""
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    try:
        split = services.split_conversation(
            conversation=conversation, message_id=message_id, actor=request.user
        )
    except NotFoundError:
        raise
    except ApplicationError as exc:
        return _pane(request, conversation.pk, error=exc)
    return _opened_pane(request, split.pk)


@require_POST
@inbox_view
def merge_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Merge this conversation into the one numbered `into` (the agent must see both),
    and open that one."""
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    into = _int_or_none(request.POST.get("into", "").strip().lstrip("#"))
    try:
        if into is None:
            raise ApplicationError(
                "Give the number of the conversation to merge this one into.",
                fields={"into": ["A conversation number, e.g. 1234."]},
            )
        target = selectors.access_conversation(user=request.user, conversation_id=into)
        services.merge_conversations(source=conversation, target=target, actor=request.user)
    except NotFoundError:
        raise
    except ApplicationError as exc:
        return _pane(request, conversation.pk, error=exc)
    return _opened_pane(request, into)


def _opened_pane(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Another conversation's pane, the address bar following it."""
    response = _pane(request, conversation_id)
    response.headers["HX-Push-Url"] = reverse("inbox:conversation", args=[conversation_id])
    return response


@require_GET
@inbox_view
def merge_search(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    candidates = selectors.merge_candidates(
        customer=conversation.customer, user=request.user, q=request.GET.get("q", "")
    )
    return render(
        request,
        "conversations/_merge_candidates.html",
        {"conversation": conversation, "candidates": candidates, "q": request.GET.get("q", "")},
    )


@require_GET
@inbox_view
def canned_responses(request: HttpRequest) -> HttpResponse:
    """Canned responses starting with `prefix`; with `conversation`, their variables
    filled for it and the agent (an unknown one is left as written and listed)."""
    responses = selectors.canned_responses_for(
        user=request.user, prefix=request.GET.get("prefix", "")[:64]
    )
    conversation_id = _int_or_none(request.GET.get("conversation"))
    values = None
    if conversation_id is not None:
        conversation = selectors.access_conversation(
            user=request.user, conversation_id=conversation_id
        )
        values = variables.variable_values(conversation=conversation, agent=request.user)
    results = []
    for response in responses:
        rendered = variables.render_variables(response.text, values) if values else None
        results.append(
            {
                "shortcut": response.shortcut,
                "title": response.title,
                "text": rendered.text if rendered else response.text,
                "unknown_variables": list(rendered.unknown) if rendered else [],
            }
        )
    return JsonResponse({"results": results})


@require_GET
@inbox_view
def mentionable(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer's @ autocomplete: agents who see the conversation (only they may be
    mentioned in its notes)."""
    conversation = selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=()
    )
    agents = mentionable_agents(conversation=conversation, prefix=request.GET.get("q", "")[:64])
    return JsonResponse({"results": agents})


@require_GET
@inbox_view
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Attachments are served through the conversation's access check, never publicly."""
    item = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if item is None:
        raise Http404
    selectors.access_conversation(user=request.user, conversation_id=item.message.conversation_id)
    if not item.file:
        if item.remote_url:
            return redirect(item.remote_url)
        raise Http404
    inline = request.GET.get("inline") == "1" and item.is_image
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.filename,
        content_type=item.content_type if inline else "application/octet-stream",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whatever the file holds, it runs nothing and reaches nothing from the desk's origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Helpers ----------------------------------------------------------------------------


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_local_datetime(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value.strip()) if value else None
    except ValueError:  # well formed but no such time (month 13)
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _parse_attributes(raw: str) -> dict[str, str] | None:
    """`key: value` lines from the customer form; None when the field was not sent."""
    if not raw.strip():
        return None
    attributes: dict[str, str] = {}
    for line in raw.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            attributes[key.strip()[:64]] = value.strip()[:500]
    return attributes
