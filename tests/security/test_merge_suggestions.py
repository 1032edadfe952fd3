"""Agents decide merge suggestions (issue 14, build point 1): the sidebar lists the open
ones of the conversation's customer with their reasons, and an agent accepts (the two
customers merge) or dismisses them, in the inbox and through the API. Only someone who
may see a conversation of both customers sees or decides one: anyone else gets 404 and
learns nothing of the other customer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conversations.models import Conversation
from customers.models import Customer, MergeSuggestion
from customers.services import suggest_merge
from tests.conftest import api_client_for
from tests.inbox.conftest import Desk, client_for, htmx

pytestmark = pytest.mark.django_db


@dataclass
class Pair:
    conversation: Conversation  # Ann's, in Support's mailbox
    ann: Customer
    twin: Customer  # another mailbox customer: Support sees both
    texter: Customer  # an SMS customer: only Messaging sees them
    suggestion: MergeSuggestion  # Ann and her twin
    hidden: MergeSuggestion  # Ann and the texter


@pytest.fixture
def pair(desk: Desk) -> Pair:
    first = desk.receive(desk.email, "e1", "Hello", email="ann@example.com")
    ann = first.conversation.customer
    twin = desk.receive(desk.email, "e2", "Hi again", email="ann@work.example").conversation
    texter = desk.receive(desk.sms, "s1", "Hey", phone="+14155550123").conversation
    for customer, name in ((ann, "Ann Perkins"), (twin.customer, "A. Perkins")):
        customer.name = name
        customer.save()
    texter.customer.name = "Secret Texter"
    texter.customer.save()
    return Pair(
        conversation=first.conversation,
        ann=ann,
        twin=twin.customer,
        texter=texter.customer,
        suggestion=suggest_merge(
            customer=ann, other=twin.customer, reason="Same name, signs with the same phone"
        ),
        hidden=suggest_merge(
            customer=ann, other=texter.customer, reason="Texted about ann@example.com's order"
        ),
    )


def test_the_sidebar_lists_the_suggestions_whose_other_customer_the_agent_sees(desk, pair):
    html = htmx(client_for(desk.alice), "get", f"/inbox/c/{pair.conversation.pk}/sidebar/")
    text = html.content.decode()
    assert "Same name, signs with the same phone" in text
    assert "A. Perkins" in text
    assert f"/suggestions/{pair.suggestion.pk}/accept/" in text
    assert f"/suggestions/{pair.suggestion.pk}/dismiss/" in text
    assert "Secret Texter" not in text
    assert "Texted about" not in text

    # A supervisor sees both customers of the other one too.
    everything = htmx(client_for(desk.sam), "get", f"/inbox/c/{pair.conversation.pk}/sidebar/")
    assert "Texted about" in everything.content.decode()


def test_accepting_in_the_inbox_merges_the_other_customer_into_the_conversations(desk, pair):
    url = f"/inbox/c/{pair.conversation.pk}/suggestions/{pair.suggestion.pk}/accept/"
    response = htmx(client_for(desk.alice), "post", url)
    assert response.status_code == 200
    pair.twin.refresh_from_db()
    assert pair.twin.merged_into_id == pair.ann.pk
    assert set(pair.ann.identities.values_list("value", flat=True)) == {
        "ann@example.com",
        "ann@work.example",
    }
    pair.suggestion.refresh_from_db()
    assert (pair.suggestion.status, pair.suggestion.decided_by) == ("merged", desk.alice)
    assert "Same name, signs with the same phone" not in response.content.decode()


def test_dismissing_in_the_inbox_keeps_both_customers(desk, pair):
    url = f"/inbox/c/{pair.conversation.pk}/suggestions/{pair.suggestion.pk}/dismiss/"
    response = htmx(client_for(desk.alice), "post", url)
    assert response.status_code == 200
    pair.suggestion.refresh_from_db()
    assert (pair.suggestion.status, pair.suggestion.decided_by) == ("dismissed", desk.alice)
    pair.twin.refresh_from_db()
    assert pair.twin.merged_into_id is None
    assert "Same name, signs with the same phone" not in response.content.decode()
    # Decided once: a second decision is refused, in the pane.
    again = htmx(client_for(desk.alice), "post", url.replace("dismiss", "accept"))
    assert again.status_code == 422
    assert "already decided" in again.content.decode()
    pair.twin.refresh_from_db()
    assert pair.twin.merged_into_id is None


def test_the_api_lists_accepts_and_dismisses(desk, pair):
    api = api_client_for(desk.alice)
    listed = api.get(f"/api/v1/customers/{pair.ann.pk}/merge-suggestions/")
    assert listed.status_code == 200
    assert [(item["id"], item["reason"]) for item in listed.json()] == [
        (pair.suggestion.pk, "Same name, signs with the same phone")
    ]

    accepted = api.post(
        f"/api/v1/merge-suggestions/{pair.suggestion.pk}/accept/",
        {"keep": pair.twin.pk},
        format="json",
    )
    assert accepted.status_code == 200
    assert accepted.json()["id"] == pair.twin.pk
    pair.ann.refresh_from_db()
    assert pair.ann.merged_into_id == pair.twin.pk

    supervisor = api_client_for(desk.sam)
    dismissed = supervisor.post(f"/api/v1/merge-suggestions/{pair.hidden.pk}/dismiss/")
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    pair.hidden.refresh_from_db()
    assert (pair.hidden.status, pair.hidden.decided_by) == ("dismissed", desk.sam)


def test_the_api_routes_are_in_the_schema(admin_user, client):
    client.force_login(admin_user)
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/customers/{id}/merge-suggestions/",
        "/api/v1/merge-suggestions/{id}/accept/",
        "/api/v1/merge-suggestions/{id}/dismiss/",
    ):
        assert path in schema


def test_a_stranger_gets_404_and_nothing_changes(desk, pair):
    """Bob (Messaging) sees neither of Ann's twins; Alice (Support) does not see the
    texter, so the suggestion naming them is not hers to see or decide either."""
    attempts = [
        (desk.bob, pair.conversation.pk, pair.suggestion.pk),
        (desk.alice, pair.conversation.pk, pair.hidden.pk),
    ]
    for agent, conversation_id, suggestion_id in attempts:
        inbox, api = client_for(agent), api_client_for(agent)
        for decision in ("accept", "dismiss"):
            url = f"/inbox/c/{conversation_id}/suggestions/{suggestion_id}/{decision}/"
            assert htmx(inbox, "post", url).status_code == 404, (agent, url)
            response = api.post(f"/api/v1/merge-suggestions/{suggestion_id}/{decision}/")
            assert response.status_code == 404, (agent, decision)
            assert "Texter" not in response.content.decode()
    listed = api_client_for(desk.bob).get(f"/api/v1/customers/{pair.ann.pk}/merge-suggestions/")
    assert listed.status_code == 404

    assert set(MergeSuggestion.objects.values_list("status", flat=True)) == {"open"}
    assert not Customer.objects.filter(merged_into__isnull=False).exists()
    # The same requests from someone who sees both customers are answered.
    url = f"/api/v1/merge-suggestions/{pair.suggestion.pk}/dismiss/"
    assert api_client_for(desk.alice).post(url).status_code == 200
