"""The tab the inbox opens on: the one the agent last chose; otherwise Mine when it holds
open conversations; otherwise Unassigned (then My teams), so new work is on screen
without a click."""

from __future__ import annotations

import re

import pytest

from conversations.selectors.opening import opening_view
from conversations.services import assign_conversation, change_status
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


def opened_on(html: bytes) -> str:
    [view] = re.findall(rb'name="view" value="(\w+)" checked', html)
    return view.decode()


def row_ids(html: bytes) -> set[int]:
    return {int(pk) for pk in re.findall(rb'id="row-(\d+)"', html)}


def test_the_inbox_opens_on_mine_when_the_agent_has_open_conversations(desk):
    mine = desk.receive(desk.email, "1", "mine", email="a@example.com").conversation
    waiting = desk.receive(desk.email, "2", "nobody's", email="b@example.com").conversation
    assign_conversation(conversation=mine, agent=desk.alice, actor=desk.alice)

    page = client_for(desk.alice).get("/inbox/")

    assert opened_on(page.content) == "mine"
    assert row_ids(page.content) == {mine.pk}
    assert waiting.pk not in row_ids(page.content)


def test_the_inbox_opens_on_unassigned_when_mine_has_no_open_conversation(desk):
    pending = desk.receive(desk.email, "1", "waiting on them", email="a@example.com")
    assign_conversation(conversation=pending.conversation, agent=desk.alice, actor=desk.alice)
    change_status(conversation=pending.conversation, status="pending", actor=desk.alice)
    waiting = desk.receive(desk.email, "2", "nobody's", email="b@example.com").conversation
    other_team = desk.receive(desk.sms, "3", "Messaging's", phone="+14155550003").conversation

    page = client_for(desk.alice).get("/inbox/")

    assert opened_on(page.content) == "unassigned"
    assert row_ids(page.content) == {waiting.pk}, "her team's queue, not Messaging's"
    # A supervisor with nothing of their own lands on every team's queue.
    supervisor_page = client_for(desk.sam).get("/inbox/")
    assert opened_on(supervisor_page.content) == "unassigned"
    assert row_ids(supervisor_page.content) == {waiting.pk, other_team.pk}


def test_the_inbox_opens_on_my_teams_when_only_colleagues_have_open_work(desk):
    theirs = desk.receive(desk.sms, "1", "carol's", phone="+14155550001").conversation
    assign_conversation(conversation=theirs, agent=desk.carol, actor=desk.carol)

    assert opened_on(client_for(desk.bob).get("/inbox/").content) == "teams"


def test_with_no_open_work_anywhere_the_inbox_opens_where_any_new_one_shows(desk):
    # A new conversation appears there whether it waits unassigned or is given to them.
    assert opening_view(agent=desk.alice) == "teams"
    assert opening_view(agent=desk.sam) == "all"


def test_the_inbox_opens_on_the_tab_the_agent_last_chose(desk):
    mine = desk.receive(desk.email, "1", "mine", email="a@example.com").conversation
    assign_conversation(conversation=mine, agent=desk.alice, actor=desk.alice)
    alice = client_for(desk.alice)
    assert opened_on(alice.get("/inbox/").content) == "mine"

    # inbox.js marks a list request that follows a click on a tab.
    htmx(alice, "get", "/inbox/list/?view=teams&status=open&remember_view=1")

    assert opened_on(alice.get("/inbox/").content) == "teams"
    assert opened_on(alice.get(f"/inbox/c/{mine.pk}/").content) == "teams"
    # An address that names a tab still wins, and is not a choice to remember.
    assert opened_on(alice.get("/inbox/?view=unassigned").content) == "unassigned"
    assert opened_on(alice.get("/inbox/").content) == "teams"


def test_live_refreshes_of_a_tab_are_not_remembered_as_a_choice(desk):
    mine = desk.receive(desk.email, "1", "mine", email="a@example.com").conversation
    assign_conversation(conversation=mine, agent=desk.alice, actor=desk.alice)
    alice = client_for(desk.alice)

    # The list refreshes of an inbox left on Unassigned (new messages, a reconnect).
    htmx(alice, "get", "/inbox/list/?view=unassigned&status=open")

    assert opened_on(alice.get("/inbox/").content) == "mine"


def test_a_remembered_tab_the_agent_may_no_longer_see_is_ignored(desk):
    mine = desk.receive(desk.sms, "1", "mine", phone="+14155550001").conversation
    assign_conversation(conversation=mine, agent=desk.bob, actor=desk.bob)

    assert opening_view(agent=desk.bob, remembered="all") == "mine"
    assert opening_view(agent=desk.bob, remembered="no-such-tab") == "mine"
    assert opening_view(agent=desk.sam, remembered="all") == "all"
