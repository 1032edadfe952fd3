"""Each audited action leaves one entry saying who did it (a signed-in user, an API
token, or the system), from where, to what, and what changed, without message bodies,
customers' personal values or secrets."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile, Team
from audit.models import AuditEntry
from channels_app.models import ChannelEndpoint
from conversations.models import CustomerMerge
from conversations.services import receive_message
from routing.models import RoutingRule, SlaPolicy
from tests.conftest import api_client_for, inbound
from tests.factories import TeamFactory, UserFactory, make_agent

pytestmark = pytest.mark.django_db

SECRET_TEXT = "my card number is 4111 1111 1111 1111"


def only_entry(action: str) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action=action))
    assert len(entries) == 1, (action, [e.action for e in AuditEntry.objects.all()])
    return entries[0]


@pytest.fixture
def conversation(api_endpoint, support_team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(
            endpoint=api_endpoint, inbound=inbound("m-1", "Where is my order?", email="d@x.test")
        )
    return message.conversation


@pytest.fixture
def supervisor(db):
    return make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)


def patch(user, conversation, body: dict, **headers: str):
    return api_client_for(user).patch(
        f"/api/v1/conversations/{conversation.pk}/", body, format="json", **headers
    )


def test_status_change_by_api_token_records_token_actor_address_and_request_id(agent, conversation):
    response = patch(
        agent,
        conversation,
        {"status": "resolved"},
        HTTP_X_REQUEST_ID="req-42",
        HTTP_USER_AGENT="shop-sync/1.0",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200, response.content
    entry = only_entry("conversation.status")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("token", agent.pk, "alice")
    assert (entry.object_type, entry.object_id) == ("conversation", str(conversation.pk))
    assert entry.changes == {"from": "open", "to": "resolved"}
    assert (entry.ip, entry.user_agent, entry.request_id) == (
        "203.0.113.9",
        "shop-sync/1.0",
        "req-42",
    )


def test_assignment_records_from_and_to(agent, conversation):
    assert patch(agent, conversation, {"assignee": "me"}).status_code == 200
    entry = only_entry("conversation.assign")
    assert entry.changes == {"from": None, "to": agent.pk}
    assert entry.actor_id == agent.pk


def test_team_change(agent, conversation, supervisor):
    other = TeamFactory(name="Billing", endpoints=[conversation.endpoint])
    assert patch(supervisor, conversation, {"team": other.pk}).status_code == 200
    entry = only_entry("conversation.team")
    assert entry.changes == {"to": other.pk}
    assert entry.actor_label == "sam"


def test_priority_change(agent, conversation):
    assert patch(agent, conversation, {"priority": 3}).status_code == 200
    assert only_entry("conversation.priority").changes == {"to": 3}


def test_tags_change(agent, conversation):
    assert patch(agent, conversation, {"tags": ["refund", "vip"]}).status_code == 200
    entry = only_entry("conversation.tags")
    assert entry.changes == {"added": ["refund", "vip"], "removed": []}


@pytest.mark.parametrize(("private", "action"), [(False, "reply"), (True, "note")])
def test_reply_and_note_are_recorded_without_their_text(agent, conversation, private, action):
    # Not committed: the reply's delivery is not what is tested here.
    response = api_client_for(agent).post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"text": SECRET_TEXT, "private": private},
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = only_entry(f"conversation.{action}")
    assert entry.actor_id == agent.pk
    assert entry.changes["conversation"] == conversation.pk
    assert "4111" not in str(AuditEntry.objects.values_list("summary", "changes"))


def test_customer_merge_and_unmerge(
    supervisor, conversation, api_endpoint, django_capture_on_commit_callbacks
):
    target = conversation.customer
    source = receive_message(
        endpoint=api_endpoint, inbound=inbound("m-2", "Hello", email="other@x.test")
    ).conversation.customer
    api = api_client_for(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api.post(f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}).status_code
            == 200
        )
    merged = only_entry("customer.merge")
    assert merged.changes == {"source": source.pk, "target": target.pk}
    assert merged.actor_label == "sam"
    merge = CustomerMerge.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/customers/{target.pk}/unmerge/", {"merge": merge.pk})
    assert response.status_code == 200, response.content
    undone = only_entry("customer.unmerge")
    assert (undone.object_id, undone.actor_id) == (str(source.pk), supervisor.pk)
    assert "other@x.test" not in str(AuditEntry.objects.values_list("summary", "changes"))


def test_routing_rule_changes_are_recorded_with_their_fields(db):
    rule = RoutingRule.objects.create(name="VIP first", position=10)
    created = only_entry("rule.create")
    assert created.changes["name"] == "VIP first"
    assert created.actor_kind == "system"  # no request: a shell, a migration, a task
    rule.position = 5
    rule.is_active = False
    rule.save()
    assert only_entry("rule.change").changes == {
        "position": {"from": 10, "to": 5},
        "is_active": {"from": True, "to": False},
    }
    rule.delete()
    assert only_entry("rule.delete").object_id == str(created.object_id)


def test_sla_policy_change(db):
    policy = SlaPolicy.objects.create(name="Standard", first_response_minutes=60)
    policy.first_response_minutes = 30
    policy.save()
    assert only_entry("sla_policy.change").changes == {
        "first_response_minutes": {"from": 60, "to": 30}
    }


def test_team_change_and_membership(db):
    team = Team.objects.create(name="Support")
    team.assignment_strategy = Team.Strategy.ROUND_ROBIN
    team.save()
    assert only_entry("team.change").changes == {
        "assignment_strategy": {"from": "manual", "to": "round_robin"}
    }
    member = UserFactory(username="bob")
    team.members.add(member)
    membership = AuditEntry.objects.filter(action="team.change").latest("id")
    assert membership.changes == {"members": {"add": [member.pk]}}


def test_endpoint_change_through_the_api_masks_credentials(admin_user, api_endpoint):
    response = api_client_for(admin_user).patch(
        f"/api/v1/endpoints/{api_endpoint.pk}/",
        {"name": "Shop v2", "credentials": {"callback_secret": "whsec_c2VjcmV0LXNlY3JldA=="}},
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = only_entry("endpoint.change")
    assert entry.changes["name"] == {"from": "Shop integration", "to": "Shop v2"}
    assert entry.changes["credentials"] == "changed"
    assert "whsec_" not in str(entry.changes)
    assert (entry.actor_kind, entry.actor_label) == ("token", "admin")


def test_endpoint_created_records_credentials_as_set(db):
    ChannelEndpoint.objects.create(kind="api", name="New", credentials={"callback_secret": "x1"})
    entry = only_entry("endpoint.create")
    assert entry.changes["credentials"] == "set"


def test_user_change_records_fields_and_masks_the_password(db):
    user = UserFactory(username="carol")
    assert only_entry("user.create").changes["username"] == "carol"
    user.is_staff = True
    user.set_password("a-new-long-password-123")
    user.save()
    entry = AuditEntry.objects.filter(action="user.change").latest("id")
    assert entry.changes["is_staff"] == {"from": False, "to": True}
    assert entry.changes["password"] == "changed"
    assert "pbkdf2" not in str(entry.changes)


def test_role_change_is_a_user_profile_change_but_presence_is_not(db):
    agent = make_agent(username="dave")
    profile = agent.agent_profile
    profile.presence = AgentProfile.Presence.ONLINE
    profile.save(update_fields=["presence"])
    profile.role = AgentProfile.Role.SUPERVISOR
    profile.save()
    entry = only_entry("user_profile.change")
    assert entry.changes == {"role": {"from": "agent", "to": "supervisor"}}


def test_sign_in_and_refused_sign_in(db):
    make_agent(username="erin", password="a-long-password-123")
    user_changes = AuditEntry.objects.filter(action="user.change").count()
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post("/accounts/login/", {"username": "erin", "password": "wrong"})
    client.post("/accounts/login/", {"username": "erin", "password": "a-long-password-123"})
    refused = only_entry("login.failed")
    assert refused.changes == {"username": "erin"}
    assert refused.actor_kind == "system"
    assert refused.ip == "198.51.100.7"
    assert "wrong" not in str(refused.changes)
    signed_in = only_entry("login")
    assert (signed_in.actor_label, signed_in.ip) == ("erin", "198.51.100.7")
    # A sign-in updates last_login: not a change of the user worth recording.
    assert AuditEntry.objects.filter(action="user.change").count() == user_changes
