"""Corrections of where messages went (split, merge), custom attribute edits, webhook
subscriptions and attribute definitions are audited like the other actions: who, from
where, what changed; attribute values and webhook secrets never enter the log."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile
from audit.models import AuditEntry
from conversations.models import Conversation, Message
from conversations.services import receive_message, update_customer_details
from customers.attributes import create_definition
from customers.models import AttributeDefinition
from tests.conftest import api_client_for, inbound
from tests.factories import make_agent
from webhooks.models import WebhookSubscription
from webhooks.services import new_webhook_secret

pytestmark = pytest.mark.django_db

PERSONAL_VALUE = "ORD-55501-Elm-Street"


def only_entry(action: str) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action=action))
    assert len(entries) == 1, (action, [e.action for e in AuditEntry.objects.all()])
    return entries[0]


def logged_text() -> str:
    return str(list(AuditEntry.objects.values_list("summary", "changes")))


@pytest.fixture
def supervisor(db):
    return make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)


@pytest.fixture
def conversation(api_endpoint, support_team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for number, text in enumerate(["Where is my order?", "Also, a new question"]):
            message = receive_message(
                endpoint=api_endpoint, inbound=inbound(f"m-{number}", text, email="d@x.test")
            )
    return message.conversation


# --- Split and merge ------------------------------------------------------------------


def test_split_records_who_split_which_conversation_into_which(agent, conversation):
    later = Message.objects.filter(conversation=conversation).order_by("created_at", "id").last()
    response = api_client_for(agent).post(
        f"/api/v1/conversations/{conversation.pk}/split/",
        {"message": later.pk},
        format="json",
        HTTP_X_REQUEST_ID="split-1",
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 201, response.content
    new_id = response.json()["id"]
    entry = only_entry("conversation.split")
    assert (entry.object_type, entry.object_id) == ("conversation", str(conversation.pk))
    assert entry.changes == {"from": conversation.pk, "to": new_id, "message": later.pk, "moved": 1}
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("token", agent.pk, "alice")
    assert (entry.ip, entry.request_id) == ("203.0.113.5", "split-1")
    assert not AuditEntry.objects.filter(action="conversation.merge").exists()


def test_merge_records_which_conversation_went_into_which(agent, conversation):
    later = Message.objects.filter(conversation=conversation).order_by("created_at", "id").last()
    api = api_client_for(agent)
    split_id = api.post(
        f"/api/v1/conversations/{conversation.pk}/split/", {"message": later.pk}, format="json"
    ).json()["id"]
    response = api.post(
        f"/api/v1/conversations/{split_id}/merge/", {"into": conversation.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    entry = only_entry("conversation.merge")
    assert (entry.object_type, entry.object_id) == ("conversation", str(conversation.pk))
    assert entry.changes == {"from": split_id, "into": conversation.pk, "moved": 1}
    assert (entry.actor_kind, entry.actor_id) == ("token", agent.pk)
    # The emptied conversation's resolution is its own entry; the split stays one entry.
    resolved = AuditEntry.objects.get(action="conversation.status", object_id=str(split_id))
    assert resolved.changes["to"] == Conversation.Status.RESOLVED
    assert AuditEntry.objects.filter(action="conversation.split").count() == 1


# --- Custom attribute values ----------------------------------------------------------


def test_conversation_attribute_edits_record_keys_and_kind_of_change_not_values(
    agent, conversation
):
    create_definition(key="order_ref", label="Order", type="text", applies_to="conversation")
    create_definition(key="urgent", label="Urgent", type="boolean", applies_to="conversation")
    api = api_client_for(agent)
    url = f"/api/v1/conversations/{conversation.pk}/"

    response = api.patch(url, {"attributes": {"order_ref": PERSONAL_VALUE}}, format="json")
    assert response.status_code == 200, response.content
    first = only_entry("conversation.attributes")
    assert first.changes == {"order_ref": "set"}
    assert (first.actor_kind, first.actor_id, first.object_id) == (
        "token",
        agent.pk,
        str(conversation.pk),
    )

    response = api.patch(url, {"attributes": {"order_ref": "ORD-2", "urgent": True}}, format="json")
    assert response.status_code == 200, response.content
    response = api.patch(url, {"attributes": {"order_ref": None}}, format="json")
    assert response.status_code == 200, response.content
    entries = AuditEntry.objects.filter(action="conversation.attributes").order_by("id")
    assert [entry.changes for entry in entries] == [
        {"order_ref": "set"},
        {"order_ref": "changed", "urgent": "set"},
        {"order_ref": "cleared"},
    ]
    # Setting the same value again changes nothing and records nothing.
    api.patch(url, {"attributes": {"urgent": True}}, format="json")
    assert entries.count() == 3
    assert PERSONAL_VALUE not in logged_text()
    assert "ORD-2" not in logged_text()


def test_customer_attribute_edit_records_who_changed_which_key(supervisor, conversation):
    create_definition(key="plan", label="Plan", type="text", applies_to="customer")
    customer = conversation.customer
    response = api_client_for(supervisor).patch(
        f"/api/v1/customers/{customer.pk}/",
        {"attributes": {"plan": PERSONAL_VALUE}},
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = only_entry("customer.attributes")
    assert (entry.object_type, entry.object_id) == ("customer", str(customer.pk))
    assert entry.changes == {"plan": "set"}
    assert (entry.actor_kind, entry.actor_label) == ("token", "sam")
    assert "plan" in entry.summary
    assert PERSONAL_VALUE not in logged_text()


def test_customer_attribute_edit_from_the_conversation_pane_names_the_agent(agent, conversation):
    create_definition(key="plan", label="Plan", type="text", applies_to="customer")
    update_customer_details(conversation=conversation, actor=agent, attributes={"plan": "pro"})
    entry = only_entry("customer.attributes")
    # No request here: the service names who acted.
    assert entry.changes == {"plan": "set"}
    assert (entry.actor_kind, entry.actor_id) == ("user", agent.pk)
    # A name edit alone is not an attribute edit.
    update_customer_details(conversation=conversation, actor=agent, name="Dana")
    assert AuditEntry.objects.filter(action="customer.attributes").count() == 1


# --- Webhook subscriptions ------------------------------------------------------------


@pytest.fixture
def loopback_webhooks(settings) -> None:
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def test_webhook_subscription_created_changed_rotated_and_deleted(admin_user, loopback_webhooks):
    api = api_client_for(admin_user)
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["message.created"]},
        format="json",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 201, response.content
    subscription = WebhookSubscription.objects.get()
    secret = subscription.secret
    created = only_entry("webhook.create")
    assert (created.object_type, created.object_id) == ("webhook", str(subscription.pk))
    assert created.changes["url"] == "http://127.0.0.1:9/hook"
    assert created.changes["events"] == ["message.created"]
    assert created.changes["credentials"] == "set"
    assert (created.actor_kind, created.actor_label, created.ip) == (
        "token",
        "admin",
        "198.51.100.4",
    )

    response = api.patch(
        f"/api/v1/webhooks/{subscription.pk}/",
        {"url": "http://127.0.0.2:9/hook", "is_active": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    changed = only_entry("webhook.change")
    assert changed.changes["url"] == {
        "from": "http://127.0.0.1:9/hook",
        "to": "http://127.0.0.2:9/hook",
    }
    assert changed.changes["is_active"] == {"from": True, "to": False}
    assert "credentials" not in changed.changes

    subscription.refresh_from_db()
    subscription.credentials = {"secret": new_webhook_secret()}
    subscription.save(update_fields=["credentials"])
    rotated = only_entry("webhook.rotate_secret")
    assert rotated.changes == {"credentials": "changed"}
    assert rotated.summary == f"webhook #{subscription.pk} secret rotated"

    # A failed delivery's streak is not a change of configuration.
    subscription.consecutive_failures = 3
    subscription.save(update_fields=["consecutive_failures"])
    assert AuditEntry.objects.filter(action__startswith="webhook.").count() == 3

    assert api.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 204
    assert only_entry("webhook.delete").object_id == str(subscription.pk)
    assert secret not in logged_text()
    assert "whsec_" not in logged_text()


# --- Attribute definitions ------------------------------------------------------------


def test_attribute_definition_created_changed_and_deleted(admin_user):
    api = api_client_for(admin_user)
    response = api.post(
        "/api/v1/attribute-definitions/",
        {
            "key": "plan",
            "label": "Plan",
            "type": "choice",
            "applies_to": "customer",
            "choices": ["free", "pro"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    definition = AttributeDefinition.objects.get()
    created = only_entry("attribute_definition.create")
    assert created.object_id == str(definition.pk)
    assert (created.changes["key"], created.changes["type"], created.changes["choices"]) == (
        "plan",
        "choice",
        ["free", "pro"],
    )
    assert (created.actor_kind, created.actor_label) == ("token", "admin")

    response = api.patch(
        f"/api/v1/attribute-definitions/{definition.pk}/",
        {"label": "Subscription plan", "choices": ["free", "pro", "team"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    changed = only_entry("attribute_definition.change")
    assert changed.changes == {
        "label": {"from": "Plan", "to": "Subscription plan"},
        "choices": {"from": ["free", "pro"], "to": ["free", "pro", "team"]},
    }

    assert api.delete(f"/api/v1/attribute-definitions/{definition.pk}/").status_code == 204
    assert only_entry("attribute_definition.delete").object_id == str(definition.pk)


# --- Searchable like the others -------------------------------------------------------


def test_the_new_entries_are_found_in_the_page_and_the_api(supervisor, agent, conversation):
    create_definition(key="order_ref", label="Order", type="text", applies_to="conversation")
    later = Message.objects.filter(conversation=conversation).order_by("created_at", "id").last()
    api = api_client_for(agent)
    api.post(f"/api/v1/conversations/{conversation.pk}/split/", {"message": later.pk})
    api.patch(
        f"/api/v1/conversations/{conversation.pk}/",
        {"attributes": {"order_ref": "A-1"}},
        format="json",
    )
    answer = api_client_for(supervisor).get(
        "/api/v1/audit/", {"object_type": "conversation", "object_id": conversation.pk}
    )
    assert answer.status_code == 200, answer.content
    actions = {row["action"] for row in answer.json()["results"]}
    assert {"conversation.split", "conversation.attributes"} <= actions
    split_only = api_client_for(supervisor).get("/api/v1/audit/", {"action": "conversation.split"})
    assert [row["object_id"] for row in split_only.json()["results"]] == [str(conversation.pk)]

    page = Client()
    page.force_login(supervisor)
    response = page.get("/audit/", {"q": "split into"})
    assert response.status_code == 200
    assert f"conversation #{conversation.pk} split into" in response.content.decode()
