"""What every signed-in inbox request pays before its own work: the session comes from
the cache (backed by the database), the user arrives with its role in one query."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.auth import ProfileModelBackend
from agents.roles import AGENT, SUPERVISOR, role_of
from conversations.models import Attachment
from tests.factories import UserFactory
from tests.inbox.conftest import client_for, htmx


def _user_queries(sql: list[str]) -> list[str]:
    return [q for q in sql if 'FROM "auth_user"' in q or 'FROM "routing_agentprofile"' in q]


def test_list_fragment_loads_user_and_role_in_one_query_and_no_session_query(desk):
    desk.receive(desk.whatsapp, "1", "Hi", phone="+14155552671")
    sam = client_for(desk.sam)  # a supervisor: the "All" view reads the role
    htmx(sam, "get", "/inbox/list/?view=all")
    with CaptureQueriesContext(connection) as queries:
        response = htmx(sam, "get", "/inbox/list/?view=all")
    assert response.status_code == 200
    assert b"row-" in response.content
    sql = [query["sql"] for query in queries]
    assert not [q for q in sql if "django_session" in q], "the session comes from the cache"
    user_queries = _user_queries(sql)
    assert len(user_queries) == 1, user_queries
    assert 'JOIN "routing_agentprofile"' in user_queries[0]
    assert len(sql) == 2  # user with profile, the rows (with their channels)


def test_timeline_reads_the_role_without_a_query_of_its_own(desk):
    conversation = desk.receive(desk.whatsapp, "1", "Hi", phone="+14155552671").conversation
    bob = client_for(desk.bob)  # an agent: the access check reads the role
    url = f"/inbox/c/{conversation.pk}/timeline/"
    htmx(bob, "get", url)
    with CaptureQueriesContext(connection) as queries:
        assert htmx(bob, "get", url).status_code == 200
    user_queries = _user_queries([q["sql"] for q in queries])
    assert len(user_queries) == 1, user_queries
    assert 'JOIN "routing_agentprofile"' in user_queries[0]


def test_session_evicted_from_the_cache_is_read_back_from_the_database(desk):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    bob = client_for(desk.bob)
    session_key = bob.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key)
    assert cache.get(store.cache_key) is not None
    cache.delete(store.cache_key)  # what a Redis restart or eviction does

    with CaptureQueriesContext(connection) as queries:
        response = htmx(bob, "get", "/inbox/list/?view=teams")
    assert response.status_code == 200  # still signed in, not redirected to the login
    assert any("django_session" in q["sql"] for q in queries)
    assert cache.get(store.cache_key) is not None  # and cached again


def test_user_without_profile_is_an_agent_without_a_second_query(db):
    user = UserFactory(username="plain")
    loaded = ProfileModelBackend().get_user(user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert role_of(loaded) == AGENT
    assert len(queries) == 0


def test_backend_loads_the_profile_sync_and_async(desk):
    backend = ProfileModelBackend()
    for loaded in (backend.get_user(desk.sam.pk), async_to_sync(backend.aget_user)(desk.sam.pk)):
        with CaptureQueriesContext(connection) as queries:
            assert role_of(loaded) == SUPERVISOR
        assert len(queries) == 0


@pytest.mark.parametrize("method", ["get_user", "aget_user"])
def test_backend_refuses_inactive_and_missing_users(desk, method):
    backend = ProfileModelBackend()
    load = getattr(backend, method)
    if method == "aget_user":
        load = async_to_sync(load)
    desk.bob.is_active = False
    desk.bob.save(update_fields=["is_active"])
    assert load(desk.bob.pk) is None
    assert load(10**9) is None


def test_sessions_signed_in_with_the_stock_backend_stay_signed_in(desk):
    bob = client_for(desk.bob)
    session_key = bob.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key)
    assert store[BACKEND_SESSION_KEY] == "omnidesk.auth.ProfileModelBackend"
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store.save()
    response = htmx(bob, "get", "/inbox/list/?view=teams")
    assert response.status_code == 200


def test_timeline_queries_attachments_only_when_a_message_has_some(desk):
    first = desk.receive(desk.whatsapp, "1", "Hi", phone="+14155552671")
    conversation = first.conversation
    desk.receive(desk.whatsapp, "2", "Again", phone="+14155552671")
    bob = client_for(desk.bob)
    url = f"/inbox/c/{conversation.pk}/timeline/"
    htmx(bob, "get", url)
    with CaptureQueriesContext(connection) as plain:
        htmx(bob, "get", url)
    # user with profile, the access check, messages (each knowing whether it has files),
    # events
    assert len(plain) == 4
    assert not [q for q in plain if q["sql"].startswith('SELECT "conversations_attachment"')]

    Attachment.objects.create(message=first, filename="invoice.pdf", size=4)
    with CaptureQueriesContext(connection) as with_file:
        html = htmx(bob, "get", url).content.decode()
    assert len(with_file) == 5
    assert html.count("invoice.pdf") == 1
