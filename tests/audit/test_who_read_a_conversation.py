"""Who read a conversation: opening it (the inbox's page and pane, the API's conversation
and its messages) records one `conversation.read` entry per agent and conversation per
hour; opening it again meanwhile costs no database write (a Redis key decides)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agents.models import AgentProfile
from audit.models import AuditEntry
from conversations.services import receive_message
from tests.conftest import api_client_for, inbound
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(api_endpoint, support_team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(
            endpoint=api_endpoint, inbound=inbound("m-1", "Where is my order?", email="d@x.test")
        )
    return message.conversation


def reads(conversation) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="conversation.read", object_id=str(conversation.pk)
        ).order_by("id")
    )


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def audit_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "audit_auditentry" in q["sql"]]


def test_opening_the_page_records_one_read_and_reopening_writes_nothing(agent, conversation):
    browser = browser_for(agent)
    with CaptureQueriesContext(connection) as first:
        response = browser.get(f"/inbox/c/{conversation.pk}/", REMOTE_ADDR="203.0.113.8")
    assert response.status_code == 200
    [entry] = reads(conversation)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("user", agent.pk, "alice")
    assert (entry.object_type, entry.ip) == ("conversation", "203.0.113.8")
    [insert] = audit_statements(first)
    assert insert.startswith('INSERT INTO "audit_auditentry"')

    with CaptureQueriesContext(connection) as again:
        # The pane (an HTMX swap) and the full page, twice more in the hour.
        assert browser.get(f"/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true").status_code
        assert browser.get(f"/inbox/c/{conversation.pk}/").status_code == 200
    assert audit_statements(again) == []
    assert len(reads(conversation)) == 1


def test_the_first_open_costs_one_insert_more_than_a_later_one(agent, conversation):
    browser = browser_for(agent)
    with CaptureQueriesContext(connection) as first:
        browser.get(f"/inbox/c/{conversation.pk}/")
    with CaptureQueriesContext(connection) as later:
        browser.get(f"/inbox/c/{conversation.pk}/")
    # A later open may save fewer things (the read marker is already current), never more.
    assert len(later) <= len(first) - 1
    assert len(audit_statements(first)) == 1


def test_each_agent_is_recorded_once_per_conversation(agent, conversation, support_team):
    bob = make_agent(username="bob", teams=[support_team])
    for user in (agent, bob, agent, bob):
        assert browser_for(user).get(f"/inbox/c/{conversation.pk}/").status_code == 200
    assert sorted(entry.actor_label for entry in reads(conversation)) == ["alice", "bob"]


def test_the_api_retrieve_and_messages_list_record_a_token_read_once(agent, conversation):
    api = api_client_for(agent)
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200
    assert api.get(f"/api/v1/conversations/{conversation.pk}/messages/").status_code == 200
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200
    [entry] = reads(conversation)
    assert (entry.actor_kind, entry.actor_id) == ("token", agent.pk)


def test_the_messages_list_alone_records_a_read(agent, conversation):
    response = api_client_for(agent).get(f"/api/v1/conversations/{conversation.pk}/messages/")
    assert response.status_code == 200
    assert [entry.actor_id for entry in reads(conversation)] == [agent.pk]


def test_a_refused_open_records_nothing(conversation, db):
    outsider = make_agent(username="olga")  # in no team: may not see it
    assert api_client_for(outsider).get(
        f"/api/v1/conversations/{conversation.pk}/"
    ).status_code in (
        403,
        404,
    )
    assert browser_for(outsider).get(f"/inbox/c/{conversation.pk}/").status_code in (403, 404)
    assert reads(conversation) == []


def test_the_list_does_not_record_reads(agent, conversation):
    assert browser_for(agent).get("/inbox/?view=all").status_code == 200
    assert api_client_for(agent).get("/api/v1/conversations/").status_code == 200
    assert reads(conversation) == []


def test_a_new_read_is_recorded_after_the_window(agent, conversation, settings):
    settings.OMNIDESK_AUDIT_READ_WINDOW_SECONDS = 1
    api = api_client_for(agent)
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200
    assert len(reads(conversation)) == 1
    # The key expires in Redis after a second: reopen until the second entry appears.
    deadline = time.monotonic() + 10
    while len(reads(conversation)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        api.get(f"/api/v1/conversations/{conversation.pk}/")
    assert len(reads(conversation)) == 2


def test_supervisors_find_who_read_a_conversation(agent, conversation):
    api_client_for(agent).get(f"/api/v1/conversations/{conversation.pk}/")
    supervisor = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    answer = api_client_for(supervisor).get(
        "/api/v1/audit/",
        {"action": "conversation.read", "object_id": conversation.pk},
    )
    assert answer.status_code == 200, answer.content
    assert [row["actor_label"] for row in answer.json()["results"]] == ["alice"]
