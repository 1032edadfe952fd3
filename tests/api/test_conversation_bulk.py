"""`POST /api/v1/conversations/bulk/`: one action on many conversations, each in its own
transaction through the inbox's services, with a result per id; ids the caller may not
see are "not found" and never acted on."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, ConversationEvent
from conversations.serializers import BULK_LIMIT
from tests.conftest import api_client_for
from tests.factories import ConversationFactory
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def bulk(user, body):
    return api_client_for(user).post("/api/v1/conversations/bulk/", body, format="json")


def messaging_conversations(desk, count: int) -> list[Conversation]:
    return [
        desk.receive(
            desk.sms, f"sms-{n}", f"Question {n}", phone=f"+1415555{2600 + n}"
        ).conversation
        for n in range(count)
    ]


def test_mixed_visible_and_invisible_ids(desk):
    mine = messaging_conversations(desk, 2)
    theirs = desk.receive(desk.email, "mail-1", "Invoice", email="dana@example.com").conversation
    ids = [mine[0].pk, theirs.pk, 999999, mine[1].pk]
    response = bulk(desk.bob, {"ids": ids, "action": {"status": "resolved"}})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [item["id"] for item in results] == ids
    assert [item["ok"] for item in results] == [True, False, False, True]
    not_found = {"message": "Conversation not found.", "fields": {}}
    assert results[1]["error"] == results[2]["error"] == not_found
    assert results[0]["error"] is None
    statuses = dict(Conversation.objects.values_list("pk", "status"))
    assert statuses[mine[0].pk] == statuses[mine[1].pk] == "resolved"
    assert statuses[theirs.pk] == "open"
    assert not ConversationEvent.objects.filter(
        conversation=theirs, kind=ConversationEvent.Kind.STATUS_CHANGED
    ).exists()


def test_one_refused_item_does_not_stop_the_others(desk):
    mine = messaging_conversations(desk, 2)
    mine[1].team = desk.support  # Carol (Messaging) still sees it through its inbox
    mine[1].save()
    response = bulk(desk.sam, {"ids": [c.pk for c in mine], "action": {"assignee": desk.alice.pk}})
    results = response.json()["results"]
    # Alice (Support) may work on the second (its team is Support), not on the first.
    assert [item["ok"] for item in results] == [False, True]
    assert list(results[0]["error"]["fields"]) == ["assignee"]
    assert Conversation.objects.get(pk=mine[1].pk).assignee == desk.alice
    assert Conversation.objects.get(pk=mine[0].pk).assignee is None


def test_tags_added_and_removed(desk):
    [conversation] = messaging_conversations(desk, 1)
    bulk(desk.bob, {"ids": [conversation.pk], "action": {"tags_add": ["spam", "refund"]}})
    response = bulk(
        desk.bob,
        {"ids": [conversation.pk], "action": {"tags_add": ["vip"], "tags_remove": ["spam"]}},
    )
    assert response.json()["results"][0]["ok"]
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["refund", "vip"]


def test_by_filter_acts_only_on_visible_matches(desk):
    mine = messaging_conversations(desk, 2)
    theirs = desk.receive(desk.email, "mail-1", "Invoice", email="dana@example.com").conversation
    response = bulk(desk.bob, {"filter": {"status": "open"}, "action": {"priority": 3}})
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {c.pk for c in mine}
    priorities = dict(Conversation.objects.values_list("pk", "priority"))
    assert all(priorities[c.pk] == 3 for c in mine)
    assert priorities[theirs.pk] != 3


@pytest.mark.parametrize(
    "body, field",
    [
        ({"action": {"status": "resolved"}}, "non_field_errors"),
        ({"ids": [1], "filter": {}, "action": {"status": "resolved"}}, "non_field_errors"),
        ({"ids": [1], "action": {}}, "action"),
        ({"ids": [1], "action": {"status": "resolved", "priority": 2}}, "action"),
        ({"ids": [1], "action": {"status": "closed"}}, "action"),
        ({"ids": list(range(1, BULK_LIMIT + 2)), "action": {"priority": 1}}, "ids"),
        ({"filter": {"status": "closed"}, "action": {"priority": 1}}, "filter"),
        ({"filter": {"assignee": "everyone"}, "action": {"priority": 1}}, "filter"),
    ],
)
def test_bad_requests_are_400_naming_the_field(desk, body, field):
    response = bulk(desk.bob, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_filter_matching_more_than_the_cap_is_refused(desk):
    ConversationFactory.create_batch(BULK_LIMIT + 1, endpoint=desk.sms)
    response = bulk(desk.bob, {"filter": {"status": "open"}, "action": {"priority": 3}})
    assert response.status_code == 400
    assert "filter" in response.json()["error"]["fields"]
    assert not Conversation.objects.filter(priority=3).exists()
