"""Who sees what, route by route (issue 14, point 7): two teams, A and B, each with an
agent, an inbox, a customer and a conversation (messages, a note, an attachment, events),
a customer who wrote to both, and a supervisor and an admin above them.

Every HTTP route of the project is classified in `ROUTES` (walked from the URL resolver:
a route nobody classified fails `test_every_route_is_classified`, so no new route skips
the matrix). Then, for each class:
- object routes (a conversation, a customer, a message or attachment): agent A on B's
  object gets 404 for every method (never 403, never data) and the database does not
  change; agent A on A's own object is served;
- lists, searches, counts: A's answers never hold B's conversations, customers or text
  (B's text carries a word found nowhere else, `B_WORD`);
- staff routes: refused to A, served to the role they are for;
- public routes: say why they are public, and hold none of B's data.
The websocket side is in `test_visibility_matrix_sockets.py`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import (
    Attachment,
    CannedResponse,
    Conversation,
    CustomerMerge,
    Message,
)
from conversations.services import (
    add_note,
    assign_conversation,
    merge_customers,
    receive_message,
)
from customers.models import Customer, Identity, MergeSuggestion
from macros.models import Macro
from outreach.models import ScheduledReply
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db

# Words found only in one team's data: B's must never reach agent A.
A_WORD = "wombatalpha"
B_WORD = "quokkazebra"
# Searched for: a prefix, so a page that repeats the query does not show B's word itself.
B_PREFIX = B_WORD[:7]


class Scope(StrEnum):
    CONVERSATION = "conversation"  # names a conversation (and maybe a message/identity of it)
    CUSTOMER = "customer"  # names a customer
    ATTACHMENT = "attachment"  # names a message's attachment
    SUGGESTION = "merge suggestion"  # names a suggestion to merge two customers
    MACRO = "macro"  # names a macro: its owner's, its team's or everyone's to run
    LIST = "list"  # lists, searches and counts over what the user may see
    BULK = "bulk"  # acts on the conversations its body names: others' are "not found"
    STAFF = "staff"  # supervisors or admins only (Django's admin site: ADMIN_NAMESPACE)
    PUBLIC = "public"  # no login: the reason says what protects it


@dataclass(frozen=True)
class Side:
    """One team's world."""

    team: Team
    endpoint: ChannelEndpoint
    agent: Any
    customer: Customer
    identity: Identity
    conversation: Conversation
    message: Message  # the customer's first message
    note: Message
    attachment: Attachment
    shared_conversation: Conversation  # the shared customer's conversation in this team
    shared_message: Message
    merge: CustomerMerge  # a former customer merged into `customer`
    suggestion: MergeSuggestion  # `customer` and a look-alike (`lookalike`), undecided
    lookalike: Customer
    conversation_ids: frozenset[int]  # every conversation of this team

    @property
    def customer_ids(self) -> frozenset[int]:
        return frozenset({self.customer.pk, self.lookalike.pk})


@dataclass(frozen=True)
class World:
    a: Side
    b: Side
    shared_customer: Customer
    supervisor: Any
    admin: Any


Body = Callable[[Side, Side], dict[str, Any]]  # (target side, asking side) -> request body


@dataclass(frozen=True)
class Route:
    scope: Scope
    methods: tuple[str, ...] = ("GET",)
    # Form or JSON body for the non-GET methods: harmless on the asker's own objects.
    body: Body = field(default=lambda target, asker: {})
    json: bool = False  # a DRF route (JSON bodies, token auth)
    # STAFF: who may use it. PUBLIC: why that is safe.
    role: str = ""
    reason: str = ""
    # URL arguments for routes that name no object of a side (STAFF, PUBLIC, LIST).
    args: dict[str, Any] = field(default_factory=dict)


def _conversation_route(
    methods: tuple[str, ...] = ("POST",), body: Body = lambda target, asker: {}
) -> Route:
    return Route(Scope.CONVERSATION, methods=methods, body=body)


SUPERVISOR = AgentProfile.Role.SUPERVISOR
ADMIN = AgentProfile.Role.ADMIN
WIDGET_REASON = (
    "the live-chat widget on customers' sites: the endpoint key is public by design; a "
    "visitor's signed token (or a signed file link) is the credential (tests/widget)"
)
HELP_REASON = "the public help center: published knowledge-base articles, no customer data"
HOOK_REASON = "a provider's webhook: each request proves itself with the provider's signature"

ROUTES: dict[str, Route] = {
    # --- The inbox pages and HTMX fragments (conversations/urls.py) ---------------------
    "inbox:inbox": Route(Scope.LIST),
    "inbox:list": Route(Scope.LIST),
    "inbox:counts": Route(Scope.LIST),
    "inbox:canned": Route(Scope.LIST),
    "inbox:bulk_choices": Route(Scope.LIST),
    "inbox:attachment": Route(Scope.ATTACHMENT),
    "inbox:conversation": _conversation_route(("GET",)),
    "inbox:timeline": _conversation_route(("GET",)),
    "inbox:header": _conversation_route(("GET",)),
    "inbox:sidebar": _conversation_route(("GET",)),
    "inbox:merge_search": _conversation_route(("GET",)),
    "inbox:mentionable": _conversation_route(("GET",)),
    "inbox:reply": _conversation_route(body=lambda t, a: {"text": "hi", "force": "1"}),
    "inbox:assign": _conversation_route(body=lambda t, a: {"agent": "me"}),
    "inbox:team": _conversation_route(body=lambda t, a: {"team": str(a.team.pk)}),
    "inbox:status": _conversation_route(body=lambda t, a: {"status": "resolved"}),
    "inbox:priority": _conversation_route(body=lambda t, a: {"priority": "3"}),
    "inbox:tags": _conversation_route(body=lambda t, a: {"tags": "vip"}),
    "inbox:retry": _conversation_route(),
    "inbox:customer": _conversation_route(body=lambda t, a: {"name": "Mallory"}),
    "inbox:identities": _conversation_route(
        body=lambda t, a: {"kind": "email", "value": "mallory@evil.example"}
    ),
    "inbox:verify_identity": _conversation_route(),
    "inbox:split": _conversation_route(),
    "inbox:merge_conversation": _conversation_route(
        body=lambda t, a: {"into": str(a.shared_conversation.pk)}
    ),
    "inbox:merge": _conversation_route(
        body=lambda t, a: {"other": str(a.customer.pk), "confirm": "1"}
    ),
    "inbox:unmerge": _conversation_route(),
    "inbox:accept_suggestion": _conversation_route(),
    "inbox:dismiss_suggestion": _conversation_route(),
    # --- Outreach in the inbox (outreach/inbox_urls.py) ----------------------------------
    "outreach:scheduled": _conversation_route(("GET",)),
    "outreach:schedule": _conversation_route(body=lambda t, a: {"text": "hi"}),
    "outreach:cancel_scheduled": _conversation_route(),
    # Agents get an empty fragment (the form is for supervisors); nothing is sent.
    "outreach:notify_form": _conversation_route(("GET",)),
    "outreach:notify": _conversation_route(body=lambda t, a: {"text": "hi"}),
    # --- Typed attributes in the pane, saved views (workspace/urls.py) -------------------
    "workspace:customer_attributes": _conversation_route(("GET", "POST")),
    "workspace:conversation_attributes": _conversation_route(("GET", "POST")),
    "workspace:bar": Route(Scope.LIST),
    "workspace:tabs": Route(Scope.LIST),
    # No saved view exists in the world: only the refusals to agents are checked (an
    # owner's delete and a colleague's refusal: tests/workspace/test_saved_view_delete.py).
    "workspace:delete_view": Route(
        Scope.STAFF, methods=("POST",), role=SUPERVISOR, args={"view_id": 999999}
    ),
    # --- Macros in the composer (macros/urls.py) ----------------------------------------
    "macros:picker": _conversation_route(("GET",)),
    "macros:preview": _conversation_route(("GET",)),
    "macros:run": _conversation_route(body=lambda t, a: {"macro": str(_macro(a).pk)}),
    # --- Agent assist in the sidebar (knowledge/urls.py) ---------------------------------
    "knowledge-assist": _conversation_route(("GET",)),
    # --- The supervisors' pages -----------------------------------------------------------
    "knowledge-editor": Route(Scope.STAFF, role=SUPERVISOR),
    "knowledge-editor-new": Route(Scope.STAFF, role=SUPERVISOR),
    # No article exists in the world: only the refusals to agents are checked.
    "knowledge-editor-article": Route(
        Scope.STAFF, methods=("POST",), role=SUPERVISOR, args={"article_id": 999999}
    ),
    "routing:queues": Route(Scope.STAFF, role=SUPERVISOR),
    "routing:queues-fragment": Route(Scope.STAFF, role=SUPERVISOR),
    "reporting:dashboard": Route(Scope.STAFF, role=SUPERVISOR),
    "bot-outcomes": Route(Scope.STAFF, role=SUPERVISOR),
    "reporting:live": Route(Scope.STAFF, role=SUPERVISOR),
    "reporting:csv": Route(Scope.STAFF, role=SUPERVISOR, args={"name": "summary"}),
    # --- REST API (omnidesk/api_urls.py) ---------------------------------------------------
    "api-root": Route(Scope.LIST, json=True),
    "customer-list": Route(Scope.LIST, json=True),
    "customer-detail": Route(
        Scope.CUSTOMER,
        methods=("GET", "PUT", "PATCH"),
        body=lambda t, a: {"name": "Mallory"},
        json=True,
    ),
    "customer-timeline": Route(Scope.CUSTOMER, json=True),
    "customer-merges": Route(Scope.CUSTOMER, json=True),
    "customer-merge-suggestions": Route(Scope.CUSTOMER, json=True),
    "merge-suggestion-accept": Route(Scope.SUGGESTION, methods=("POST",), json=True),
    "merge-suggestion-dismiss": Route(Scope.SUGGESTION, methods=("POST",), json=True),
    "customer-unmerge": Route(
        Scope.CUSTOMER,
        methods=("POST",),
        body=lambda t, a: {"merge": t.merge.pk},
        json=True,
    ),
    "customer-merge": Route(
        Scope.CUSTOMER,
        methods=("POST",),
        body=lambda t, a: {"source": a.customer.pk},
        json=True,
    ),
    "conversation-list": Route(Scope.LIST, json=True),
    "conversation-detail": Route(
        Scope.CONVERSATION,
        methods=("GET", "PATCH"),
        body=lambda t, a: {"priority": 2, "tags": ["vip"]},
        json=True,
    ),
    "conversation-bulk": Route(
        Scope.BULK,
        methods=("POST",),
        body=lambda t, a: {"ids": sorted(t.conversation_ids), "action": {"status": "resolved"}},
        json=True,
    ),
    "conversation-merge": Route(
        Scope.CONVERSATION,
        methods=("POST",),
        body=lambda t, a: {"into": a.shared_conversation.pk},
        json=True,
    ),
    "conversation-split": Route(
        Scope.CONVERSATION,
        methods=("POST",),
        body=lambda t, a: {"message": t.note.pk},
        json=True,
    ),
    "api-conversation-messages": Route(
        Scope.CONVERSATION,
        methods=("GET", "POST"),
        body=lambda t, a: {"text": "hi", "private": True},
        json=True,
    ),
    # The caller's own status: names nobody else, holds no conversation or customer.
    "api-my-status": Route(Scope.LIST, json=True),
    # Macros (a side's team macro); preview and run name a conversation of the asker.
    "macro-list": Route(Scope.LIST, json=True),
    "macro-detail": Route(
        Scope.MACRO,
        methods=("GET", "PATCH", "DELETE"),
        body=lambda t, a: {"name": "Renamed"},
        json=True,
    ),
    "macro-preview": Route(
        Scope.MACRO,
        methods=("POST",),
        body=lambda t, a: {"conversation": a.conversation.pk},
        json=True,
    ),
    "macro-run": Route(
        Scope.MACRO,
        methods=("POST",),
        body=lambda t, a: {"conversation": a.conversation.pk},
        json=True,
    ),
    "api-my-preferences": Route(Scope.LIST, json=True),
    # Definitions hold no team's data: every agent reads them, supervisors write.
    "attribute-definition-list": Route(Scope.LIST, json=True),
    "attribute-definition-detail": Route(
        Scope.STAFF, methods=("PATCH", "DELETE"), role=SUPERVISOR, json=True
    ),
    # The caller's own and their teams' views. No saved view exists in the world: only
    # that agents reach none that is not theirs (tests/workspace/test_saved_views_api.py).
    "saved-view-list": Route(Scope.LIST, json=True),
    "saved-view-detail": Route(Scope.STAFF, methods=("PATCH",), role=SUPERVISOR, json=True),
    "endpoint-list": Route(Scope.STAFF, role=ADMIN, json=True),
    "endpoint-detail": Route(Scope.STAFF, role=ADMIN, json=True),
    "webhook-list": Route(Scope.STAFF, role=ADMIN, json=True),
    # No subscription exists in the world: the admin's GET would be a 404, so only the
    # refusals to agents are checked here (tests/webhooks/test_api_is_for_admins.py).
    "webhook-detail": Route(Scope.STAFF, methods=("PATCH",), role=ADMIN, json=True),
    "webhook-deliveries": Route(Scope.STAFF, methods=("PATCH",), role=ADMIN, json=True),
    "webhook-replay-delivery": Route(
        Scope.STAFF, methods=("POST",), role=ADMIN, json=True, args={"delivery_id": 1}
    ),
    "api-scheduled-replies": Route(
        Scope.CONVERSATION,
        methods=("GET", "POST"),
        body=lambda t, a: {"text": "hi", "send_at": "2099-01-01T09:00:00Z"},
        json=True,
    ),
    "api-scheduled-reply": Route(Scope.CONVERSATION, methods=("GET", "DELETE"), json=True),
    "notification-list": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    # No notification or template exists in the world (a supervisor's GET would be a
    # 404): only the refusals to agents are checked (tests/outreach/test_notifications_api.py).
    "notification-detail": Route(Scope.STAFF, methods=("DELETE",), role=SUPERVISOR, json=True),
    "notification-template-list": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    "notification-template-detail": Route(
        Scope.STAFF, methods=("PATCH",), role=SUPERVISOR, json=True
    ),
    "api-notifications-bulk": Route(Scope.STAFF, methods=("POST",), role=SUPERVISOR, json=True),
    # No bulk send exists in the world (a supervisor's GET would be a 404): only the
    # refusals to agents are checked (tests/outreach/test_bulk_batches.py serves it).
    "api-notifications-bulk-send": Route(
        Scope.STAFF, methods=("PATCH",), role=SUPERVISOR, json=True, args={"pk": 999999}
    ),
    # The knowledge base holds no team's data: agents read and search published articles,
    # supervisors write (tests/knowledge/test_articles_api.py).
    "article-list": Route(Scope.LIST, json=True),
    "article-search": Route(Scope.LIST, json=True),
    "article-detail": Route(
        Scope.STAFF, methods=("PATCH",), role=SUPERVISOR, json=True, args={"pk": 999999}
    ),
    "api-reports": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    "api-report": Route(Scope.STAFF, role=SUPERVISOR, json=True, args={"name": "summary"}),
    "api-report-self-service": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    # The audit log and data subject requests (audit/, privacy/): supervisors only. An
    # export or erasure names a customer of any team; in the world only the refusals to
    # agents are checked (supervisors' answers: tests/privacy, tests/audit).
    "audit:log": Route(Scope.STAFF, role=SUPERVISOR),
    "api-audit": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    "api-customer-export": Route(
        Scope.STAFF, methods=(), role=SUPERVISOR, json=True, args={"pk": 999999}
    ),
    "api-customer-erase": Route(
        Scope.STAFF, methods=("POST",), role=SUPERVISOR, json=True, args={"pk": 999999}
    ),
    "api-retention-dry-run": Route(Scope.STAFF, role=SUPERVISOR, json=True),
    "api-inbound": Route(
        Scope.STAFF,
        methods=("POST",),
        role=ADMIN,
        json=True,
        reason="admins and integration users granted channels_app.add_inboundevent",
    ),
    # The API's description: for signed-in users, and holding nothing of anyone's data.
    "api-schema": Route(Scope.LIST),
    "api-docs": Route(Scope.LIST),
    # --- No login ------------------------------------------------------------------------
    "/": Route(Scope.PUBLIC, reason="redirects to /inbox/, which asks for a login"),
    "healthz": Route(
        Scope.PUBLIC, reason="the load balancer's probe: says ok or not, nothing else"
    ),
    "readyz": Route(
        Scope.PUBLIC,
        reason="the load balancer's readiness probe: each check's ok, time and error class",
    ),
    "metrics": Route(
        Scope.PUBLIC,
        reason="answers only the bearer of OMNIDESK_METRICS_TOKEN: counts and timings, no data",
    ),
    "login": Route(Scope.PUBLIC, reason="the door itself (locked out after failures)"),
    "javascript-catalog": Route(
        Scope.PUBLIC, reason="the inbox scripts' translated strings: the same for everyone"
    ),
    "logout": Route(Scope.PUBLIC, methods=("POST",), reason="ends the caller's own session"),
    "csat-survey": Route(
        Scope.PUBLIC,
        args={"token": "not-a-survey-token"},
        reason="the CSAT page: the unguessable token in the emailed link is the credential",
    ),
    "outreach-unsubscribe": Route(
        Scope.PUBLIC,
        args={"token": "not-an-unsubscribe-token"},
        reason="an email's unsubscribe link: the signed token names the one address it stops",
    ),
    "hooks:twilio": Route(Scope.PUBLIC, args={"key": "x", "route": "sms"}, reason=HOOK_REASON),
    "hooks:webhook": Route(Scope.PUBLIC, args={"provider": "meta", "key": "x"}, reason=HOOK_REASON),
    "widget:script": Route(Scope.PUBLIC, args={"key": "x"}, reason=WIDGET_REASON),
    "widget:config": Route(Scope.PUBLIC, args={"key": "x"}, reason=WIDGET_REASON),
    "widget:upload": Route(Scope.PUBLIC, args={"key": "x"}, reason=WIDGET_REASON),
    "widget:attachment": Route(
        Scope.PUBLIC, args={"key": "x", "token": "not-a-signed-link"}, reason=WIDGET_REASON
    ),
    "help-home": Route(Scope.PUBLIC, reason=HELP_REASON),
    "help-sitemap": Route(Scope.PUBLIC, reason=HELP_REASON),
    "help-search-json": Route(Scope.PUBLIC, reason=HELP_REASON),
    "help-index": Route(Scope.PUBLIC, args={"locale": "en"}, reason=HELP_REASON),
    "help-search": Route(Scope.PUBLIC, args={"locale": "en"}, reason=HELP_REASON),
    "help-category": Route(Scope.PUBLIC, args={"locale": "en", "slug": "x"}, reason=HELP_REASON),
    "help-article": Route(Scope.PUBLIC, args={"locale": "en", "slug": "x"}, reason=HELP_REASON),
    "help-vote": Route(
        Scope.PUBLIC, methods=("POST",), args={"locale": "en", "slug": "x"}, reason=HELP_REASON
    ),
    "media-link": Route(
        Scope.PUBLIC,
        args={"token": "not-a-signed-link", "filename": "x.pdf"},
        reason="a reply's file, fetched by the provider that sends media by link: the "
        "signed, expiring token is the credential (tests/attachments/test_media_links.py)",
    ),
}

# Django's admin site: every route under admin/ is for staff users (`admin_site.admin_view`
# sends anyone else to its login page), except that login page and its logout.
ADMIN_NAMESPACE = "admin"
ADMIN_SITE_DOORS = {"admin:login", "admin:logout"}


# --- The routes of the project -------------------------------------------------------------


@dataclass(frozen=True)
class FoundRoute:
    key: str  # `namespace:name`, or the path pattern when the route has no name
    name: str | None  # what `reverse` takes
    pattern: str
    params: tuple[str, ...]


def project_routes() -> list[FoundRoute]:
    """Every HTTP route of the project, through every include."""
    found: dict[str, FoundRoute] = {}

    def walk(patterns, prefix: str, namespace: str | None, params: tuple[str, ...]) -> None:
        for entry in patterns:
            entry_params = params + tuple(
                name for name in entry.pattern.regex.groupindex if name != "format"
            )
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                joined = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), joined, entry_params)
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                key = name or (f"{namespace}:{pattern}" if namespace else f"/{pattern}")
                if key not in found:  # DRF's format-suffix twins share the name
                    found[key] = FoundRoute(key, name, pattern, entry_params)

    walk(get_resolver().url_patterns, "", None, ())
    return list(found.values())


def _in_admin_site(route: FoundRoute) -> bool:
    return route.key.split(":", 1)[0] == ADMIN_NAMESPACE


def test_every_route_is_classified():
    routes = project_routes()
    unclassified = sorted(
        route.key for route in routes if route.key not in ROUTES and not _in_admin_site(route)
    )
    assert not unclassified, (
        "Routes missing from the visibility matrix (classify each in ROUTES of "
        f"tests/security/test_visibility_matrix.py): {', '.join(unclassified)}"
    )
    gone = sorted(set(ROUTES) - {route.key for route in routes})
    assert not gone, f"Classified routes that no longer exist: {', '.join(gone)}"
    for key, route in ROUTES.items():
        if route.scope is Scope.PUBLIC:
            assert route.reason, f"{key}: say why it needs no login"
        if route.scope is Scope.STAFF:
            assert route.role in (SUPERVISOR, ADMIN), key


# --- The world -------------------------------------------------------------------------------


def _receive(endpoint: ChannelEndpoint, provider_id: str, email: str, name: str, text: str):
    return receive_message(
        endpoint=endpoint,
        inbound=InboundMessage(
            provider_id=provider_id,
            identities={"email": email},
            sender_name=name,
            subject=text[:40],
            text=text,
        ),
    )


def _side(label: str, word: str, shared_email: str) -> Side:
    endpoint = EndpointFactory(kind=ChannelEndpoint.Kind.API, name=f"Inbox {label}")
    team = TeamFactory(name=f"Team {label}", endpoints=[endpoint])
    agent = make_agent(username=f"agent_{label}", teams=[team])
    message = _receive(
        endpoint,
        f"{label}-1",
        f"{word}@{label}.example",
        f"{word.title()} Customer",
        f"My {word} parcel never arrived.",
    )
    conversation = message.conversation
    customer = conversation.customer
    note = add_note(conversation=conversation, author=agent, text=f"Note: {word} is a VIP.")
    assign_conversation(conversation=conversation, agent=agent, actor=agent)
    attachment = Attachment.objects.create(
        message=message, filename=f"{word}-invoice.pdf", content_type="application/pdf"
    )
    attachment.file.save(f"{word}-invoice.pdf", ContentFile(word.encode()), save=True)
    CannedResponse.objects.create(
        shortcut=f"{word}-refund", title=f"{word} refund", text=f"{word} refunds", team=team
    )
    former = _receive(
        endpoint, f"{label}-old", f"old.{word}@{label}.example", "Former", f"{word} old account"
    ).conversation.customer
    merge_customers(source=former, target=customer, actor=agent)
    lookalike = _receive(
        endpoint, f"{label}-dup", f"dup.{word}@{label}.example", "Lookalike", f"{word} again"
    ).conversation.customer
    suggestion = MergeSuggestion.objects.create(
        customer=customer, other=lookalike, reason=f"same name as {word}"
    )
    shared_message = _receive(
        endpoint,
        f"{label}-shared",
        shared_email,
        "Casey Shared",
        f"Casey writes to {label}: {word} account question.",
    )
    conversation.refresh_from_db()
    return Side(
        team=team,
        endpoint=endpoint,
        agent=agent,
        customer=customer,
        identity=customer.identities.get(value=f"{word}@{label}.example"),
        conversation=conversation,
        message=message,
        note=note,
        attachment=attachment,
        shared_conversation=shared_message.conversation,
        shared_message=shared_message,
        merge=CustomerMerge.objects.get(source=former, target=customer),
        suggestion=suggestion,
        lookalike=lookalike,
        conversation_ids=frozenset(
            Conversation.objects.filter(endpoint=endpoint).values_list("pk", flat=True)
        ),
    )


def build_world() -> World:
    shared_email = "casey@shared.example"
    a = _side("a", A_WORD, shared_email)
    b = _side("b", B_WORD, shared_email)
    # One customer, a conversation in each team: continuity stays inside a team.
    assert a.shared_conversation.customer_id == b.shared_conversation.customer_id
    assert a.shared_conversation.pk != b.shared_conversation.pk
    return World(
        a=a,
        b=b,
        shared_customer=a.shared_conversation.customer,
        supervisor=make_agent(username="sam", role=SUPERVISOR),
        admin=make_agent(username="root", role=ADMIN),
    )


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in a savepoint inside it (as a TestCase's setUpTestData)."""
    with django_db_blocker.unblock(), transaction.atomic():
        # What runs after commit (the inbox counts, live events) runs as in production.
        with TestCase.captureOnCommitCallbacks(execute=True):
            built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world: World, db) -> World:
    return _module_world


# --- Requests ---------------------------------------------------------------------------------


def _object_args(route: FoundRoute, scope: Scope, target: Side, **swap: Side) -> dict[str, Any]:
    """The URL arguments naming `target`'s objects (`swap` takes one of them from another
    side: `message_id=a`)."""
    values: dict[str, Any] = {}
    for param in route.params:
        side = swap.get(param, target)
        if param == "conversation_id" or (param == "pk" and scope is Scope.CONVERSATION):
            values[param] = side.conversation.pk
        elif param == "pk" and scope is Scope.CUSTOMER:
            values[param] = side.customer.pk
        elif param == "pk" and scope is Scope.SUGGESTION:
            values[param] = side.suggestion.pk
        elif param == "pk" and scope is Scope.MACRO:
            values[param] = _macro(side).pk
        elif param == "message_id":
            values[param] = side.note.pk
        elif param == "identity_id":
            values[param] = side.identity.pk
        elif param == "attachment_id":
            values[param] = side.attachment.pk
        elif param == "merge_id":
            values[param] = side.merge.pk
        elif param == "suggestion_id":
            values[param] = side.suggestion.pk
        elif param == "reply_id":
            values[param] = _scheduled_reply(side).pk
        else:
            raise AssertionError(f"{route.key}: no value for URL argument {param!r}")
    return values


def _macro(side: Side) -> Macro:
    """The side's team macro (tagging a conversation), made when first named."""
    macro, _ = Macro.objects.get_or_create(
        name=f"{side.team.name} macro",
        defaults={
            "owner": side.agent,
            "visibility": Macro.Visibility.TEAM,
            "team": side.team,
            "actions": [{"type": "add_tags", "tags": ["vip"]}],
        },
    )
    return macro


def _scheduled_reply(side: Side) -> ScheduledReply:
    """The side's reply scheduled for later (outreach), made when first named."""
    scheduled, _ = ScheduledReply.objects.get_or_create(
        conversation=side.conversation,
        author=side.agent,
        defaults={"text": "later", "send_at": timezone.now() + timedelta(days=1)},
    )
    return scheduled


def _fixed_args(route: FoundRoute, spec: Route, world: World) -> dict[str, Any]:
    values = dict(spec.args)
    for param in route.params:
        if param not in values and param == "pk":  # endpoint-detail: B's inbox
            values[param] = world.b.endpoint.pk
    missing = set(route.params) - set(values)
    assert not missing, f"{route.key}: give {sorted(missing)} in ROUTES' args"
    return values


def _url(route: FoundRoute, kwargs: dict[str, Any]) -> str:
    return reverse(route.name, kwargs=kwargs) if route.name else "/" + route.pattern


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(user, spec: Route, method: str, url: str, body: dict[str, Any], *, htmx: bool = True):
    if spec.json:
        client = api_client_for(user)
        if method == "GET":
            return client.get(url)
        return getattr(client, method.lower())(url, body, format="json")
    client = _browser(user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if method == "GET":
        return client.get(url, **headers)
    if method == "POST":
        return client.post(url, body, **headers)
    return getattr(client, method.lower())(
        url, json.dumps(body), content_type="application/json", **headers
    )


def _sent(user, spec: Route, method: str, url: str, body: dict[str, Any]) -> Iterator[Any]:
    """The answers to a request; a page is asked for whole and as an HTMX fragment."""
    yield _send(user, spec, method, url, body)
    if method == "GET" and not spec.json:
        yield _send(user, spec, method, url, body, htmx=False)


ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Tables whose rows a refused request must leave alone: everything the desk stores.
DESK_APPS = (
    "agents",
    "channels_app",
    "conversations",
    "customers",
    "routing",
    "reporting",
    "outreach",
)


def desk_state() -> dict[str, list[dict[str, Any]]]:
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in DESK_APPS:
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def _changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _leaks(response, side: Side) -> list[str]:
    """What of `side` a response shows."""
    text = _content(response).decode(errors="replace")
    found = [B_WORD] if B_WORD in text else []
    for marker in (
        *(f"/inbox/c/{pk}/" for pk in side.conversation_ids),
        f"/inbox/attachments/{side.attachment.pk}/",
    ):
        if marker in text:
            found.append(marker)
    return found


def _routes_of(*scopes: Scope) -> Iterator[FoundRoute]:
    for route in project_routes():
        spec = ROUTES.get(route.key)
        if spec is not None and spec.scope in scopes:
            yield route


def _ids(routes: Iterator[FoundRoute]) -> list[Any]:
    return [pytest.param(route, id=route.key) for route in routes]


OBJECT_ROUTES = _ids(
    _routes_of(Scope.CONVERSATION, Scope.CUSTOMER, Scope.ATTACHMENT, Scope.SUGGESTION, Scope.MACRO)
)


# --- Object routes -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_an_agent_gets_404_for_every_method_on_another_teams_object(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _object_args(route, spec.scope, world.b))
    before = desk_state()
    for method in ALL_METHODS:
        for response in _sent(world.a.agent, spec, method, url, spec.body(world.b, world.a)):
            expected = {404} if method in spec.methods else {404, 405}
            assert response.status_code in expected, (method, url, response.status_code)
            assert not _leaks(response, world.b), (method, url)
    assert _changed_tables(before, desk_state()) == [], route.key


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_an_agent_is_served_on_their_own_teams_object(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _object_args(route, spec.scope, world.a))
    for method in spec.methods:
        for response in _sent(world.a.agent, spec, method, url, spec.body(world.a, world.a)):
            status = response.status_code
            assert status not in (403, 404, 405), (method, url, status)
            assert status < 500, (method, url)
            assert not _leaks(response, world.b), (method, url)


SECOND_OBJECTS = {"message_id", "identity_id", "merge_id", "suggestion_id", "reply_id"}
CROSS_ARGUMENT_ROUTES = _ids(
    route for route in _routes_of(Scope.CONVERSATION) if set(route.params) & SECOND_OBJECTS
)


@pytest.mark.parametrize("route", CROSS_ARGUMENT_ROUTES)
def test_an_agent_cannot_reach_another_teams_message_or_identity_through_their_own_conversation(
    world, route
):
    spec = ROUTES[route.key]
    swap = dict.fromkeys(SECOND_OBJECTS, world.b)
    url = _url(route, _object_args(route, spec.scope, world.a, **swap))
    before = desk_state()
    for method in spec.methods:
        response = _send(world.a.agent, spec, method, url, spec.body(world.a, world.a))
        assert response.status_code == 404, (method, url, response.status_code)
    assert _changed_tables(before, desk_state()) == [], route.key


def _body_naming_b(world: World) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Requests on A's own objects whose body names one of B's: (route, URL kwargs, body)."""
    a, b = world.a, world.b
    return [
        ("inbox:merge_conversation", {"conversation_id": a.conversation.pk},
         {"into": str(b.conversation.pk)}),
        ("inbox:merge", {"conversation_id": a.conversation.pk},
         {"other": str(b.customer.pk), "confirm": "1"}),
        ("conversation-merge", {"pk": a.conversation.pk}, {"into": b.conversation.pk}),
        ("conversation-split", {"pk": a.conversation.pk}, {"message": b.note.pk}),
        ("customer-merge", {"pk": a.customer.pk}, {"source": b.customer.pk}),
        ("customer-unmerge", {"pk": a.customer.pk}, {"merge": b.merge.pk}),
    ]  # fmt: skip


def test_a_body_naming_another_teams_object_is_404_and_changes_nothing(world):
    before = desk_state()
    for name, kwargs, body in _body_naming_b(world):
        spec = ROUTES[name]
        response = _send(world.a.agent, spec, "POST", reverse(name, kwargs=kwargs), body)
        assert response.status_code == 404, (name, response.status_code)
        assert not _leaks(response, world.b), name
    assert _changed_tables(before, desk_state()) == []


def test_a_reply_naming_another_teams_inbox_is_refused_and_sends_nothing(world):
    a, b = world.a, world.b
    before = desk_state()
    page = _browser(a.agent).post(
        f"/inbox/c/{a.conversation.pk}/reply/",
        {"text": "hi", "force": "1", "endpoint": str(b.endpoint.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code == 422
    api = api_client_for(a.agent).post(
        f"/api/v1/conversations/{a.conversation.pk}/messages/",
        {"text": "hi", "endpoint": b.endpoint.key},
        format="json",
    )
    assert api.status_code == 400
    assert _changed_tables(before, desk_state()) == []


def test_the_pane_of_a_shared_customer_shows_only_the_agents_own_team(world):
    """Casey wrote to both teams: A's pane, sidebar, history and the API's customer
    views show Casey's conversation with A, never the one with B."""
    client = _browser(world.a.agent)
    conversation = world.a.shared_conversation
    api = api_client_for(world.a.agent)
    customer = world.shared_customer.pk
    responses = {
        "pane": client.get(f"/inbox/c/{conversation.pk}/"),
        "history": client.get(f"/inbox/c/{conversation.pk}/timeline/?history=1"),
        "sidebar": client.get(f"/inbox/c/{conversation.pk}/sidebar/"),
        "merge search": client.get(f"/inbox/c/{conversation.pk}/merge/search/?q={B_PREFIX}"),
        "api customer": api.get(f"/api/v1/customers/{customer}/"),
        "api timeline": api.get(f"/api/v1/customers/{customer}/timeline/"),
    }
    for what, response in responses.items():
        assert response.status_code == 200, what
        assert not _leaks(response, world.b), what
    assert A_WORD.encode() in responses["history"].content
    timeline = responses["api timeline"].json()["items"]
    assert {item.get("conversation") for item in timeline} <= {
        world.a.shared_conversation.pk,
        None,
    }


@pytest.mark.parametrize("route", _ids(_routes_of(Scope.BULK)))
def test_a_bulk_action_on_another_teams_conversations_finds_none_and_changes_nothing(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _fixed_args(route, spec, world))
    before = desk_state()
    response = _send(world.a.agent, spec, "POST", url, spec.body(world.b, world.a))
    assert response.status_code == 200, (url, response.status_code)
    results = response.json()["results"]
    assert {item["id"] for item in results} == set(world.b.conversation_ids)
    assert all(not item["ok"] for item in results), results
    assert {item["error"]["message"] for item in results} == {"Conversation not found."}
    assert not _leaks(response, world.b), url
    assert _changed_tables(before, desk_state()) == [], route.key


# --- Lists, searches, counts ------------------------------------------------------------------

LIST_QUERIES: list[dict[str, str]] = [
    {},
    {"q": B_PREFIX},
    {"q": f"{B_PREFIX}@"},
    {"q": "casey"},
    *({"view": view} for view in ("mine", "unassigned", "teams", "all")),
    *({"status": status} for status in Conversation.Status.values),
    {"channel": "api"},
    {"prefix": ""},
    {"prefix": B_WORD[:4]},
]


@pytest.mark.parametrize("route", _ids(_routes_of(Scope.LIST)))
def test_lists_and_searches_never_show_another_teams_data(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _fixed_args(route, spec, world))
    queries = [
        *LIST_QUERIES,
        {"team": str(world.b.team.pk)},
        {"assignee": str(world.b.agent.pk)},
    ]
    for query in queries:
        for response in _sent(world.a.agent, spec, "GET", url + "?" + _encode(query), {}):
            assert response.status_code == 200, (url, query, response.status_code)
            assert not _leaks(response, world.b), (url, query)
            if spec.json and "results" in (body := response.json()):
                ids = {row["id"] for row in body["results"]}
                assert not ids & _ids_of(world.b, route.key), (url, query)


def _encode(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def _ids_of(side: Side, route_key: str) -> frozenset[int]:
    return side.customer_ids if route_key == "customer-list" else side.conversation_ids


def test_the_lists_do_show_the_agents_own_team(world):
    """The control: the same lists and searches find A's data, so the checks above look
    at real answers."""
    client = _browser(world.a.agent)
    assert A_WORD.encode() in client.get("/inbox/?view=teams").content
    assert A_WORD.encode() in client.get(f"/inbox/list/?view=teams&q={A_WORD}").content
    assert A_WORD.encode() in client.get(f"/inbox/canned/?prefix={A_WORD[:4]}").content
    api = api_client_for(world.a.agent)
    found = {row["id"] for row in api.get(f"/api/v1/conversations/?q={A_WORD}").json()["results"]}
    assert world.a.conversation.pk in found
    customers = api.get(f"/api/v1/customers/?q={A_WORD}").json()["results"]
    assert world.a.customer.pk in {row["id"] for row in customers}


def test_an_agents_counts_never_count_another_teams_conversations(world):
    response = _browser(world.a.agent).get("/inbox/counts/")
    counts = response.context["counts"]
    # A's team sees its own open conversations; B's are not counted anywhere A looks.
    assert counts["teams"] == len(world.a.conversation_ids)
    assert counts["mine"] == 1
    assert counts["unassigned"] == len(world.a.conversation_ids) - 1
    assert "all" not in counts
    supervisor_counts = _browser(world.supervisor).get("/inbox/counts/").context["counts"]
    assert supervisor_counts["all"] == len(world.a.conversation_ids | world.b.conversation_ids)


# --- Staff, admin site, public -----------------------------------------------------------------


@pytest.mark.parametrize("route", _ids(_routes_of(Scope.STAFF)))
def test_staff_routes_refuse_agents_and_serve_their_role(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _fixed_args(route, spec, world))
    before = desk_state()
    for method in ALL_METHODS:
        response = _send(world.a.agent, spec, method, url, {})
        assert response.status_code in (302, 403, 404, 405), (method, url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), url
        assert not _leaks(response, world.b), (method, url)
    assert _changed_tables(before, desk_state()) == [], route.key
    if "GET" in spec.methods:
        staff = world.supervisor if spec.role == SUPERVISOR else world.admin
        assert _send(staff, spec, "GET", url, {}).status_code == 200, url


def _admin_url(route: FoundRoute, world: World) -> str:
    values = {
        "object_id": str(world.b.conversation.pk),
        "id": str(world.b.agent.pk),
        "content_type_id": "1",
        "app_label": "conversations",
        "url": "nowhere/",
    }
    kwargs = {param: values[param] for param in route.params}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    # An unnamed route (the admin's old-style object URL, its catch-all): fill the pattern.
    path = "/" + route.pattern
    for param, value in kwargs.items():
        path = path.replace(f"<path:{param}>", value).replace(f"(?P<{param}>.*)$", value)
    return path


def test_the_admin_site_sends_agents_to_its_login(world):
    client = _browser(world.a.agent)
    checked = 0
    for route in project_routes():
        if not _in_admin_site(route) or route.key in ADMIN_SITE_DOORS:
            continue
        url = _admin_url(route, world)
        for method in ("GET", "POST"):
            response = getattr(client, method.lower())(url)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(reverse("admin:login")), url
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("route", _ids(_routes_of(Scope.PUBLIC)))
def test_public_routes_show_nothing_of_the_desk(world, route):
    spec = ROUTES[route.key]
    url = _url(route, _fixed_args(route, spec, world))
    for client in (Client(), _browser(world.a.agent)):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert not _leaks(response, world.b), url
        assert A_WORD.encode() not in _content(response), url
