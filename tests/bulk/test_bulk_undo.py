"""What the inbox's bulk bar relies on: each changed conversation's previous state in the
bulk result (a PATCH body that undoes the action), and "select all matching" of the
"My teams" tab as the API's `team=mine` filter (never more than the caller sees)."""

from __future__ import annotations

import pytest

from conversations.models import Conversation
from conversations.services import set_tags
from tests.conftest import api_client_for
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def sms(desk: Desk, n: int) -> Conversation:
    return desk.receive(
        desk.sms, f"sms-{n}", f"Question {n}", phone=f"+1415555{2700 + n}"
    ).conversation


def test_a_bulk_resolve_reports_each_previous_state_and_patching_it_back_undoes_it(desk):
    first, second = sms(desk, 1), sms(desk, 2)
    set_tags(conversation=second, names=["vip"], actor=desk.bob)
    api = api_client_for(desk.bob)
    response = api.post(
        "/api/v1/conversations/bulk/",
        {"ids": [first.pk, second.pk], "action": {"status": "resolved"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [item["previous"]["status"] for item in results] == ["open", "open"]
    assert results[1]["previous"]["tags"] == ["vip"]
    assert set(Conversation.objects.values_list("status", flat=True)) == {"resolved"}

    for item in results:
        undo = api.patch(
            f"/api/v1/conversations/{item['id']}/",
            {"status": item["previous"]["status"]},
            format="json",
        )
        assert undo.status_code == 200, undo.content
    assert set(Conversation.objects.values_list("status", flat=True)) == {"open"}


def test_a_refused_item_has_no_previous_state(desk):
    theirs = desk.receive(desk.email, "mail-1", "Invoice", email="dana@example.com").conversation
    response = api_client_for(desk.bob).post(
        "/api/v1/conversations/bulk/",
        {"ids": [theirs.pk], "action": {"priority": 3}},
        format="json",
    )
    [item] = response.json()["results"]
    assert item["ok"] is False and "previous" not in item


def test_team_mine_selects_the_callers_teams_conversations_only(desk):
    mine = [sms(desk, 1), sms(desk, 2)]
    desk.receive(desk.email, "mail-1", "Invoice", email="dana@example.com")
    response = api_client_for(desk.bob).post(
        "/api/v1/conversations/bulk/",
        {"filter": {"team": "mine", "status": "open"}, "action": {"priority": 3}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(item["id"] for item in response.json()["results"]) == sorted(c.pk for c in mine)
    listed = api_client_for(desk.sam).get("/api/v1/conversations/?team=mine")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [
        c.pk for c in Conversation.objects.filter(endpoint=desk.email)
    ]
