"""Supervisors search and filter the audit log, in the page at /audit/ and at
GET /api/v1/audit/ (cursor pages; a bad filter is a 400 naming it); agents may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import AgentProfile
from audit.models import AuditEntry
from tests.conftest import api_client_for
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(db) -> list[AuditEntry]:
    now = timezone.now()
    alice = make_agent(username="alice")
    entries = [
        AuditEntry.objects.create(
            created_at=now - timedelta(days=3),
            actor_kind="user",
            actor_id=alice.pk,
            actor_label="alice",
            action="conversation.status",
            object_type="conversation",
            object_id="12",
            summary="status of conversation #12",
        ),
        AuditEntry.objects.create(
            created_at=now - timedelta(days=1),
            actor_kind="token",
            actor_id=alice.pk,
            actor_label="alice",
            action="conversation.assign",
            object_type="conversation",
            object_id="12",
            summary="conversation #12 assigned",
        ),
        AuditEntry.objects.create(
            created_at=now,
            actor_kind="system",
            actor_label="system",
            action="rule.change",
            object_type="rule",
            object_id="3",
            summary="rule #3 changed",
        ),
    ]
    return entries


@pytest.fixture
def supervisor(db):
    return make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_api_filters_by_actor_action_object_dates_and_text(log, supervisor):
    api = api_client_for(supervisor)
    status, assign, rule = (entry.pk for entry in log)
    base = AuditEntry.objects.filter(pk__in=[status, assign, rule])
    assert base.count() == 3
    get = lambda **query: [  # noqa: E731
        pk for pk in ids(api.get("/api/v1/audit/", query)) if pk in (status, assign, rule)
    ]
    assert get(actor="alice") == [assign, status]
    assert get(actor=str(log[0].actor_id)) == [assign, status]
    assert get(actor="system") == [rule]
    assert get(actor_kind="token") == [assign]
    assert get(action="conversation.") == [assign, status]
    assert get(action="rule.change") == [rule]
    assert get(object_type="conversation", object_id="12") == [assign, status]
    since = (timezone.now() - timedelta(days=2)).isoformat()
    assert get(since=since) == [rule, assign]
    assert get(until=since) == [status]
    assert get(q="assigned") == [assign]


def test_the_api_pages_with_a_cursor(log, supervisor):
    api = api_client_for(supervisor)
    first = api.get("/api/v1/audit/", {"limit": 2, "action": "conversation."})
    assert ids(first) == [log[1].pk, log[0].pk]
    whole = api.get("/api/v1/audit/", {"limit": 1})
    seen = ids(whole)
    while whole.json()["next"]:
        whole = api.get(whole.json()["next"])
        seen += ids(whole)
    assert seen == sorted(seen, key=lambda pk: AuditEntry.objects.get(pk=pk).created_at)[::-1]
    assert {entry.pk for entry in log} <= set(seen)


@pytest.mark.parametrize(
    "query",
    [{"since": "yesterday"}, {"actor_kind": "robot"}, {"cursor": "garbage"}, {"q": "a\x00b"}],
)
def test_a_bad_filter_is_a_400(log, supervisor, query):
    response = api_client_for(supervisor).get("/api/v1/audit/", query)
    assert response.status_code == 400, response.content


def test_agents_may_not_read_the_log(log, agent):
    assert api_client_for(agent).get("/api/v1/audit/").status_code == 403
    client = Client()
    client.force_login(agent)
    assert client.get("/audit/").status_code == 403


def test_the_page_filters_for_supervisors(log, supervisor):
    client = Client()
    client.force_login(supervisor)
    page = client.get("/audit/", {"action": "conversation.", "actor": "alice"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "conversation #12 assigned" in text
    assert "status of conversation #12" in text
    assert "rule #3 changed" not in text
    assert client.get("/audit/", {"since": "not a date"}).status_code == 400
    everything = client.get("/audit/").content.decode()
    assert "rule #3 changed" in everything
