"""The contracts other code and outside checks rely on: health, schema, docs, tokens, demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from agents.models import AgentProfile, Team
from conversations.models import Conversation, Message
from customers.models import Customer, Identity

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
    call_command("seed_demo")
    counts = (
        Customer.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Identity.objects.count(),
        Conversation.objects.filter(assignee__isnull=False).count(),
    )
    call_command("seed_demo")
    assert (
        Customer.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Identity.objects.count(),
        Conversation.objects.filter(assignee__isnull=False).count(),
    ) == counts
    # Each agent finds work in "Mine", and some conversations wait unassigned.
    for username in ("alice", "bob"):
        assert Conversation.objects.filter(assignee__username=username, status="open").exists()
    assert Conversation.objects.filter(assignee__isnull=True, status="open").exists()

    assert AgentProfile.objects.count() == 3
    assert AgentProfile.objects.filter(role="supervisor").count() == 1
    assert Team.objects.count() == 2
    assert Customer.objects.count() >= 20
    assert Conversation.objects.count() >= 40
    customers_on_several_channels = [
        c
        for c in Customer.objects.all()
        if len(set(c.identities.values_list("kind", flat=True))) >= 2
    ]
    assert len(customers_on_several_channels) >= 20
    multichannel = [
        c for c in Conversation.objects.all() if c.messages.values("channel").distinct().count() > 1
    ]
    assert len(multichannel) >= 10


def test_database_connections_run_without_jit():
    """The desk's queries are short; PostgreSQL's JIT only adds compile time to them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
