"""What GET /inbox/ costs in queries: the user with its role, the agent's teams (whose
event numbers the page is rendered with), the rows, the tag filter's choices; nothing for
the bulk bar, the preferences dialog, saved views or macros, which load after first paint
or when opened. Pinned so added per-page work cannot creep in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.inbox.conftest import build_desk, client_for

pytestmark = pytest.mark.django_db

# The user with its profile, their teams, the list's rows, the tags of the filter select.
INBOX_PAGE_QUERIES = 4


@pytest.fixture
def desk():
    desk = build_desk()
    for number in range(5):
        desk.receive(desk.whatsapp, f"wa-{number}", f"Hello {number}", phone=f"+1415555267{number}")
    return desk


@pytest.mark.parametrize("view", ["teams", "all", "mine"])
def test_inbox_page_runs_a_fixed_small_number_of_queries(desk, view, django_assert_max_num_queries):
    sam = client_for(desk.sam)
    sam.get(f"/inbox/?view={view}")  # the session into the cache, as on any later visit
    with django_assert_max_num_queries(INBOX_PAGE_QUERIES):
        response = sam.get(f"/inbox/?view={view}")
    assert response.status_code == 200
    if view == "all":
        assert b"Hello 4" in response.content


def test_inbox_page_does_not_query_the_bulk_bars_agents_or_teams(desk):
    bob = client_for(desk.bob)
    bob.get("/inbox/?view=teams")
    with CaptureQueriesContext(connection) as queries:
        response = bob.get("/inbox/?view=teams")
    assert response.status_code == 200
    sql = [query["sql"] for query in queries]
    assert not [q for q in sql if 'FROM "routing_team"' in q], sql
    assert len([q for q in sql if 'FROM "auth_user"' in q]) == 1, sql  # the user only
    # The bar's selects are there, empty until it opens.
    assert b'id="bulk-assign"' in response.content
    assert b"Carol" not in response.content
