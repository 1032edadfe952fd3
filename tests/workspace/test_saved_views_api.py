"""`/api/v1/saved-views/`: an agent's own views and those shared with their teams, each
with its count; filters are checked when saved; nobody sees another agent's private
view, and a saved view never shows another team's conversations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation
from customers.attributes import create_definition
from customers.models import Customer
from tests.conftest import api_client_for
from tests.inbox.conftest import build_desk, client_for
from workspace.models import SavedView

pytestmark = pytest.mark.django_db

URL = "/api/v1/saved-views/"


@pytest.fixture
def desk(db):
    desk = build_desk()
    create_definition(
        key="plan", label="Plan", type="choice", applies_to="customer", choices=["free", "pro"]
    )
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    return desk


def customer_of(message, **attributes):
    Customer.objects.filter(pk=message.conversation.customer_id).update(attributes=attributes)
    return message.conversation


def listed(user, inbox_url: str) -> set[int]:
    """The conversation ids of the inbox list the saved view's tab opens."""
    query = inbox_url.split("?", 1)[1]
    page = client_for(user).get(f"/inbox/list/?{query}")
    assert page.status_code == 200
    return {int(pk) for pk in re.findall(r'id="row-(\d+)"', page.content.decode())}


def create(user, body):
    return api_client_for(user).post(URL, body, format="json")


def test_an_agent_saves_a_private_view_and_sees_its_count(desk):
    one = customer_of(desk.receive(desk.sms, "s1", phone="+14155550001"), plan="pro", seats=40)
    customer_of(desk.receive(desk.sms, "s2", phone="+14155550002"), plan="free")
    three = customer_of(
        desk.receive(desk.whatsapp, "w1", phone="+14155550003"), plan="pro", seats=3
    )
    response = create(
        desk.bob,
        {"name": "Pro customers", "filters": {"customer_attributes": {"plan": "pro"}}},
    )
    assert response.status_code == 201, response.content
    view = response.json()
    assert view["count"] == 2
    assert view["filters"] == {"status": "open", "customer_attributes": {"plan": "pro"}}
    assert view["inbox_url"].startswith("/inbox/?view=teams&status=open&attr.plan=pro")
    # The list the tab opens holds exactly what the count counted.
    assert listed(desk.bob, view["inbox_url"]) == {one.pk, three.pk}


def test_a_private_view_is_its_owners_alone(desk):
    view_id = create(desk.bob, {"name": "Mine", "filters": {"status": "open"}}).json()["id"]
    carol = api_client_for(desk.carol)
    assert [v["id"] for v in carol.get(URL).json()] == []
    assert carol.get(f"{URL}{view_id}/").status_code == 404
    assert carol.patch(f"{URL}{view_id}/", {"name": "x"}, format="json").status_code == 404
    assert carol.delete(f"{URL}{view_id}/").status_code == 404
    assert SavedView.objects.get(pk=view_id).name == "Mine"


def test_a_team_view_is_shared_with_members_who_may_not_change_it(desk):
    response = create(
        desk.bob, {"name": "Urgent", "team": desk.messaging.pk, "filters": {"priority": 3}}
    )
    assert response.status_code == 201, response.content
    view_id = response.json()["id"]
    carol = api_client_for(desk.carol)
    assert [v["name"] for v in carol.get(URL).json()] == ["Urgent"]
    assert carol.patch(f"{URL}{view_id}/", {"name": "Mine now"}, format="json").status_code == 403
    assert carol.delete(f"{URL}{view_id}/").status_code == 403
    # Alice is in Support, not Messaging: the view does not exist for her.
    assert api_client_for(desk.alice).get(f"{URL}{view_id}/").status_code == 404
    changed = api_client_for(desk.bob).patch(
        f"{URL}{view_id}/", {"name": "Urgent SMS", "team": None}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["team"] is None
    assert carol.get(URL).json() == []


def test_an_agent_cannot_share_with_a_team_they_are_not_in(desk):
    response = create(desk.bob, {"name": "X", "team": desk.support.pk, "filters": {}})
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]


def test_a_saved_view_never_counts_or_lists_another_teams_conversations(desk):
    customer_of(desk.receive(desk.email, "e1", email="a@example.com"), plan="pro")
    customer_of(desk.receive(desk.email, "e2", email="b@example.com"), plan="pro")
    customer_of(desk.receive(desk.sms, "s1", phone="+14155550001"), plan="pro")
    # Bob (Messaging) filters by the Support team's id: still only what he may see.
    response = create(
        desk.bob,
        {
            "name": "Support's pros",
            "filters": {"team": desk.support.pk, "customer_attributes": {"plan": "pro"}},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["count"] == 0
    everything = create(
        desk.bob, {"name": "All pros", "filters": {"customer_attributes": {"plan": "pro"}}}
    ).json()
    assert everything["count"] == 1
    assert len(listed(desk.bob, everything["inbox_url"])) == 1
    # The supervisor's private view of the same filters counts every team's.
    sams = create(
        desk.sam, {"name": "All pros", "filters": {"customer_attributes": {"plan": "pro"}}}
    )
    assert sams.json()["count"] == 3
    assert sams.json()["inbox_url"].startswith("/inbox/?view=all")
    assert len(listed(desk.sam, sams.json()["inbox_url"])) == 3


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "closed"}, "filters.status"),
        ({"channel": "pigeon"}, "filters.channel"),
        ({"priority": 7}, "filters.priority"),
        ({"assignee": "someone"}, "filters.assignee"),
        ({"team": 999999}, "filters.team"),
        ({"sla": "soon"}, "filters.sla"),
        ({"customer_attributes": {"plan": "gold"}}, "filters.customer_attributes.plan"),
        ({"customer_attributes": {"seats": "many"}}, "filters.customer_attributes.seats"),
        ({"colour": "red"}, "filters.colour"),
    ],
)
def test_bad_filters_are_a_400_naming_them(desk, filters, field):
    response = create(desk.bob, {"name": "Bad", "filters": filters})
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not SavedView.objects.exists()


def test_filters_must_be_an_object(desk):
    assert create(desk.bob, {"name": "Bad", "filters": ["open"]}).status_code == 400


def test_typed_attribute_sla_and_priority_filters(desk):
    big = customer_of(desk.receive(desk.sms, "s1", phone="+14155550001"), seats=40)
    customer_of(desk.receive(desk.sms, "s2", phone="+14155550002"), seats=4)
    late = customer_of(desk.receive(desk.sms, "s3", phone="+14155550003"))
    Conversation.objects.filter(pk=late.pk).update(
        first_response_due_at=timezone.now() - timedelta(minutes=5), priority=3
    )
    seats = create(
        desk.bob, {"name": "40 seats", "filters": {"customer_attributes": {"seats": 40}}}
    ).json()
    assert seats["count"] == 1
    assert listed(desk.bob, seats["inbox_url"]) == {big.pk}
    overdue = create(desk.bob, {"name": "Late", "filters": {"sla": "overdue"}}).json()
    assert listed(desk.bob, overdue["inbox_url"]) == {late.pk}
    assert overdue["count"] == 1
    urgent = create(desk.bob, {"name": "Urgent", "filters": {"priority": 3}}).json()
    assert (urgent["count"], listed(desk.bob, urgent["inbox_url"])) == (1, {late.pk})
