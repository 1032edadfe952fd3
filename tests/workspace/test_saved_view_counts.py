"""A saved view's count is counted once per view every OMNIDESK_SAVED_VIEW_COUNT_SECONDS
and shared by every agent who has the view (a cache read each), never a COUNT per agent
per event; the tabs fragment shows it and the inbox polls it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.inbox.conftest import build_desk, client_for
from workspace import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    return build_desk()


def count_queries(view, viewer) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        count = selectors.saved_view_count(view=view, viewer=viewer)
    counted = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    return count, len(counted)


def test_members_of_a_team_share_one_count(desk):
    desk.receive(desk.sms, "s1", phone="+14155550001")
    desk.receive(desk.whatsapp, "w1", phone="+14155550002")
    desk.receive(desk.email, "e1", email="x@example.com")  # Support's: not in the view
    view = services.create_saved_view(
        owner=desk.bob, name="Open", filters={"status": "open"}, team_id=desk.messaging.pk
    )
    assert count_queries(view, desk.bob) == (2, 1)
    assert count_queries(view, desk.carol) == (2, 0)
    assert count_queries(view, desk.bob) == (2, 0)


def test_the_count_follows_new_conversations_once_the_period_passes(desk):
    view = services.create_saved_view(owner=desk.bob, name="Open", filters={})
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 0
    desk.receive(desk.sms, "s1", phone="+14155550001")
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 0  # cached
    # What OMNIDESK_SAVED_VIEW_COUNT_SECONDS passing does (never cache.clear(): a
    # FLUSHDB of the Redis database other processes share).
    cache.delete(selectors._count_key(view, desk.bob))
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 1


def test_changing_a_view_counts_it_afresh(desk):
    desk.receive(desk.sms, "s1", phone="+14155550001")
    view = services.create_saved_view(owner=desk.bob, name="Urgent", filters={"priority": 3})
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 0
    view = services.update_saved_view(view=view, filters={"priority": 1})
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 1


def test_assigned_to_me_is_counted_per_agent(desk):
    message = desk.receive(desk.sms, "s1", phone="+14155550001")
    message.conversation.__class__.objects.filter(pk=message.conversation_id).update(
        assignee=desk.carol
    )
    view = services.create_saved_view(
        owner=desk.bob, name="Mine", filters={"assignee": "me"}, team_id=desk.messaging.pk
    )
    assert selectors.saved_view_count(view=view, viewer=desk.bob) == 0
    assert selectors.saved_view_count(view=view, viewer=desk.carol) == 1


def test_the_tabs_fragment_shows_each_view_with_its_count_and_polls(desk, settings):
    settings.OMNIDESK_SAVED_VIEW_COUNT_SECONDS = 7
    desk.receive(desk.sms, "s1", phone="+14155550001")
    view = services.create_saved_view(owner=desk.bob, name="Open SMS", filters={"channel": "sms"})
    page = client_for(desk.bob).get("/inbox/workspace/saved-views/bar/?view=mine")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-saved-view="{view.pk}"' in html
    assert re.search(
        r'saved-view-name">Open SMS</span> <span class="count saved-view-count">1<', html
    )
    assert 'hx-trigger="every 7s"' in html
    assert "Content-Security-Policy" in page.headers
    assert (
        client_for(desk.carol)
        .get("/inbox/workspace/saved-views/")
        .content.count(b"data-saved-view=")
        == 0
    )


def test_saving_the_list_on_screen_as_a_view(desk):
    response = client_for(desk.bob).post(
        "/inbox/workspace/saved-views/",
        {"name": "Urgent SMS", "status": "open", "channel": "sms", "priority": "3", "team": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    [view] = selectors.visible_saved_views(user=desk.bob)
    assert (view.name, view.filters, view.team_id) == (
        "Urgent SMS",
        {"status": "open", "channel": "sms", "priority": 3},
        None,
    )
    assert b"Urgent SMS" in response.content
    refused = client_for(desk.bob).post(
        "/inbox/workspace/saved-views/", {"name": "", "status": "open"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422
