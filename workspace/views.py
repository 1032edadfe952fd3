"""Inbox fragments of the workspace: saved-view tabs (with their counts) and the typed
attribute forms of the customer sidebar and the conversation header. Thin: parse, call
an `access_*` selector, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.models import Team
from agents.roles import sees_everything
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Conversation
from conversations.selectors.inbox import parse_inbox_filters
from customers.attributes import AttributeSpec, attribute_specs, parse_text_value
from customers.models import AttributeDefinition
from omnidesk.errors import ApplicationError, NotFoundError
from omnidesk.text_input import NUL_REFUSED, nul_fields
from workspace import selectors, services
from workspace.filters import filters_from_inbox

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def fragment_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; what the user may not see is a 404; the inbox's CSP."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if nul_fields(request.GET) | nul_fields(request.POST):
            return HttpResponse(NUL_REFUSED, status=400, content_type="text/plain")
        try:
            response = view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from None
        except ApplicationError as exc:
            response = HttpResponse(exc.message, status=exc.status_code, content_type="text/plain")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return wrapped


# --- Saved views ------------------------------------------------------------------------


def _active_id(params: Any) -> int | None:
    raw = str(params.get("saved") or "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def _tabs_context(request: HttpRequest, params: Any) -> dict[str, Any]:
    filters = parse_inbox_filters(params, user=request.user)
    active_id = _active_id(params)
    query = filters.as_query() + (f"&saved={active_id}" if active_id else "")
    return {
        "tabs": selectors.saved_view_tabs(viewer=request.user, active_id=active_id),
        "active_id": active_id,
        "query": query,
        "poll_seconds": settings.OMNIDESK_SAVED_VIEW_COUNT_SECONDS,
    }


@require_GET
@fragment_view
def saved_views_bar(request: HttpRequest) -> HttpResponse:
    """The saved-view tabs and the "save this view" form, for the list on screen."""
    filters = parse_inbox_filters(request.GET, user=request.user)
    teams = Team.objects.order_by("name")
    if not sees_everything(request.user):
        teams = teams.filter(members=request.user)
    context = _tabs_context(request, request.GET) | {
        "current_params": [
            (name, value) for name, value in parse_qsl(filters.as_query()) if name != "view"
        ],
        "teams": teams,
    }
    return render(request, "workspace/_bar.html", context)


@require_http_methods(["GET", "POST"])
@fragment_view
def saved_views(request: HttpRequest) -> HttpResponse:
    """GET: the tabs alone, polled (each count from the shared cache). POST: save the
    list's filters (the form's hidden fields) as a view, and answer the tabs."""
    if request.method == "GET":
        return render(request, "workspace/_tabs.html", _tabs_context(request, request.GET))
    filters = parse_inbox_filters(request.POST, user=request.user)
    team = (request.POST.get("team") or "").strip()
    error = None
    try:
        services.create_saved_view(
            owner=request.user,
            name=request.POST.get("name", ""),
            filters=filters_from_inbox(filters),
            team_id=int(team) if team.isdigit() and int(team) < 2**63 else None,
        )
    except ApplicationError as exc:
        error = exc
    context = _tabs_context(request, request.POST) | {"error": error}
    return render(request, "workspace/_tabs.html", context, status=422 if error else 200)


@require_POST
@fragment_view
def delete_saved_view(request: HttpRequest, view_id: int) -> HttpResponse:
    """Delete one of the user's own saved views (the tab's delete button, confirmed) and
    answer the tabs for the list on screen (its query in the address). A view shared
    with the user by a colleague is theirs to delete: 403; one they cannot see: 404."""
    view = selectors.access_saved_view(user=request.user, view_id=view_id, write=True)
    services.delete_saved_view(view=view)
    params = request.GET.copy()
    if _active_id(params) == view_id:
        params.pop("saved", None)
    return render(request, "workspace/_tabs.html", _tabs_context(request, params))


# --- Typed attributes in the conversation pane --------------------------------------------


@dataclass(frozen=True)
class AttributeField:
    spec: AttributeSpec
    text: str  # the value as the form shows it
    error: str
    readonly: bool

    @property
    def name(self) -> str:
        return f"attr-{self.spec.key}"

    @property
    def is_true(self) -> bool:
        return self.text == "true"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fields(
    specs: dict[str, AttributeSpec],
    values: dict[str, Any],
    *,
    may_edit_restricted: bool,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> list[AttributeField]:
    errors = errors or {}
    return [
        AttributeField(
            spec=spec,
            text=posted[key] if posted and key in posted else _as_text(values.get(key)),
            error=errors.get(key, ""),
            readonly=spec.supervisors_only and not may_edit_restricted,
        )
        for key, spec in specs.items()
    ]


def _parse_posted(
    request: HttpRequest, specs: dict[str, AttributeSpec], may_edit_restricted: bool
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The typed values posted for each editable definition (None: cleared), the raw
    texts, and what did not parse."""
    typed: dict[str, Any] = {}
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, spec in specs.items():
        if spec.supervisors_only and not may_edit_restricted:
            continue
        name = f"attr-{key}"
        if name not in request.POST:
            continue
        texts[key] = request.POST[name][:2000]
        try:
            typed[key] = parse_text_value(spec, texts[key])
        except ValueError as exc:
            errors[key] = str(exc)
    return typed, texts, errors


def _field_errors(exc: ApplicationError) -> dict[str, str]:
    return {
        name.removeprefix("attributes."): " ".join(map(str, messages))
        for name, messages in exc.fields.items()
    }


@require_http_methods(["GET", "POST"])
@fragment_view
def customer_attributes(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The typed attributes of the conversation's customer: shown, and edited."""
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=("customer",)
    )
    scope = AttributeDefinition.AppliesTo.CUSTOMER
    return _attributes_form(
        request,
        conversation,
        scope=scope,
        current=dict(conversation.customer.attributes or {}),
        save=lambda typed: (
            conversation_services.update_customer_details(
                conversation=conversation,
                actor=request.user,
                attributes={
                    key: value
                    for key, value in {**conversation.customer.attributes, **typed}.items()
                    if value not in (None, "")
                },
            ).attributes
        ),
    )


@require_http_methods(["GET", "POST"])
@fragment_view
def conversation_attributes(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation's own typed attributes: shown, and edited."""
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=("endpoint",)
    )
    return _attributes_form(
        request,
        conversation,
        scope=AttributeDefinition.AppliesTo.CONVERSATION,
        current=dict(conversation.attributes or {}),
        save=lambda typed: (
            conversation_services.set_conversation_attributes(
                conversation=conversation, actor=request.user, changes=typed
            ).attributes
        ),
    )


def _attributes_form(
    request: HttpRequest,
    conversation: Conversation,
    *,
    scope: str,
    current: dict[str, Any],
    save: Callable[[dict[str, Any]], dict[str, Any]],
) -> HttpResponse:
    specs = attribute_specs(scope)
    may_edit_restricted = sees_everything(request.user)
    errors: dict[str, str] = {}
    posted: dict[str, str] | None = None
    saved = False
    if request.method == "POST":
        typed, posted, errors = _parse_posted(request, specs, may_edit_restricted)
        if not errors:
            try:
                current = save(typed)
                saved, posted = True, None
            except ApplicationError as exc:
                errors = _field_errors(exc) or {"": exc.message}
    context = {
        "conversation": conversation,
        "scope": scope,
        "fields": _fields(
            specs, current, may_edit_restricted=may_edit_restricted, errors=errors, posted=posted
        ),
        "form_error": errors.get(""),
        "saved": saved,
    }
    status = 422 if errors else 200
    return render(request, "customers/_attributes.html", context, status=status)
