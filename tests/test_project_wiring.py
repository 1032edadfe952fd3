"""The contracts other code and outside checks rely on: health, schema, docs, tokens, demo data."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from conversations.models import (
    Attachment,
    CannedResponse,
    Conversation,
    ConversationEvent,
    Message,
)
from conversations.selectors.opening import opening_view
from customers.models import Customer, Identity, MergeSuggestion
from reporting.models import ConversationFact, CsatResponse
from routing.models import RoutingRule

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_schema_and_docs_are_served(admin_user, client):
    client.force_login(admin_user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/inbound/",
        "/api/v1/customers/{id}/timeline/",
        "/api/v1/conversations/{id}/messages/",
    ):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.content.decode(), "docs must work without internet"


def test_drf_create_token_works(admin_user):
    call_command("drf_create_token", admin_user.username)
    assert Token.objects.filter(user=admin_user).exists()


def test_demo_data_is_complete_and_reseeding_duplicates_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Customer.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Identity.objects.count(),
        ConversationEvent.objects.count(),
        CsatResponse.objects.count(),
        Conversation.objects.filter(assignee__isnull=False).count(),
    )
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    assert (
        Customer.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Identity.objects.count(),
        ConversationEvent.objects.count(),
        CsatResponse.objects.count(),
        Conversation.objects.filter(assignee__isnull=False).count(),
    ) == counts
    assert "already loaded" in output.getvalue()
    # One line for the stage, one for the logins.
    assert len(output.getvalue().strip().splitlines()) == 2

    assert AgentProfile.objects.count() == 3
    assert AgentProfile.objects.filter(role="supervisor").count() == 1
    assert Team.objects.count() == 2
    # Each lands on a tab with work: Bob on his own conversations; Alice (whose own wait
    # on customers) and the supervisor on the queue.
    users = {user.username: user for user in get_user_model().objects.all()}
    assert opening_view(agent=users["bob"]) == "mine"
    assert opening_view(agent=users["alice"]) == "unassigned"
    assert opening_view(agent=users["supervisor"]) == "unassigned"

    # Every channel, with realistic, varied subjects; three months of history.
    kinds = set(ChannelEndpoint.objects.values_list("kind", flat=True))
    assert kinds == set(ChannelEndpoint.Kind.values)
    assert set(Message.objects.values_list("channel", flat=True)) >= kinds
    assert Message.objects.filter(kind=Message.Kind.CALL).exists()
    assert Attachment.objects.filter(remote_url__contains="/Recordings/").exists()
    assert Attachment.objects.exclude(file="").count() >= 2
    subjects = set(Conversation.objects.exclude(subject="").values_list("subject", flat=True))
    assert len(subjects) >= 20
    oldest = Conversation.objects.order_by("created_at").first().created_at
    assert timezone.now() - oldest > timedelta(days=80)
    # Email threads: replies carry In-Reply-To and References and quote what they answer.
    threaded = Message.objects.filter(channel="email", direction="in").exclude(email_in_reply_to="")
    assert threaded.filter(text__contains="wrote:\n> ").exists()
    # The omnichannel customer: WhatsApp, then email, in one conversation.
    switches = ConversationEvent.objects.filter(kind="channel_switched")
    assert switches.filter(data__from="whatsapp", data__to="email").exists()
    assert switches.count() >= 5
    customers_on_several_channels = [
        c
        for c in Customer.objects.all()
        if len(set(c.identities.values_list("kind", flat=True))) >= 2
    ]
    assert len(customers_on_several_channels) >= 10

    # Satisfaction answers (some low), SLA warnings and breaches, a merge suggestion,
    # canned responses, routing rules with conditions and actions.
    assert CsatResponse.objects.filter(score__lte=2).exists()
    assert CsatResponse.objects.filter(score__gte=4).count() >= 10
    sla = ConversationEvent.objects.filter(kind="sla")
    assert sla.filter(data__kind="warning").exists() and sla.filter(data__kind="breach").exists()
    assert MergeSuggestion.objects.filter(status="open").count() == 1
    assert CannedResponse.objects.count() >= 5
    rules = RoutingRule.objects.filter(is_active=True)
    assert rules.count() >= 5
    assert all(rule.conditions.exists() and rule.actions.exists() for rule in rules)
    # The demo's past never goes out: nothing is left to deliver.
    assert not Message.objects.filter(delivery_status__in=["queued", "sending", "failed"])
    # Reports are current.
    assert ConversationFact.objects.count() == Conversation.objects.count()


def test_database_connections_run_without_jit():
    """The desk's queries are short; PostgreSQL's JIT only adds compile time to them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
