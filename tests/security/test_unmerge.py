"""Merges are reversible (issue 14, Build point 2): undoing a merge gives the merged-away
customer back exactly what the merge moved (identities, external records, conversations
with their messages, the customers that redirected to it) and the kept customer its
fields as they were, unless someone changed them since. Only an agent who may see the
merged customers can undo it, once, and never under a later merge that builds on it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from django.db import connection

from channels_app.models import ChannelEndpoint
from conversations.display import describe_event
from conversations.models import Conversation, ConversationEvent, CustomerMerge, Message
from conversations.services import merge_customers, unmerge_customers
from customers.identities import Proof
from customers.models import Customer, ExternalRecord, Identity, MergeSuggestion
from customers.services import add_identity, update_customer
from omnidesk.errors import ApplicationError
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent
from tests.inbox.conftest import Desk, build_desk, client_for, htmx

pytestmark = pytest.mark.django_db


@dataclass
class Dana:
    """Dana wrote by SMS (after an older number's record was merged into hers) and, as
    another customer, by email."""

    desk: Desk
    source: Customer  # the SMS customer, merged away in the tests
    target: Customer  # the email customer, kept
    earlier: Customer  # merged into `source` before the tests begin
    suggestion: MergeSuggestion


@pytest.fixture
def dana() -> Dana:
    desk = build_desk()
    earlier = desk.receive(desk.sms, "s0", "my old number", phone="+14155550001")
    source = desk.receive(desk.sms, "s1", "sms text", phone="+14155552671").conversation.customer
    merge_customers(source=earlier.conversation.customer, target=source, actor=desk.sam)
    desk.receive(desk.sms, "s2", "another sms", phone="+14155552671")
    update_customer(
        customer=source,
        name="Dana S",
        language="en",
        attributes={"plan": "free", "city": "Oslo"},
        tags=["new", "a"],
    )
    ExternalRecord.objects.create(customer=source, source="shop", kind="order", external_id="42")
    target = desk.receive(desk.email, "e1", "email text", email="d@x.io").conversation.customer
    update_customer(customer=target, name="", language="", attributes={"plan": "gold"})
    # Tags as an integration might have stored them, unsorted: undoing restores the list.
    Customer.objects.filter(pk=target.pk).update(tags=["vip", "b"])
    first, second = sorted([source, target], key=lambda c: c.pk)
    suggestion = MergeSuggestion.objects.create(customer=first, other=second, reason="Same name")
    return Dana(
        desk=desk,
        source=source,
        target=target,
        earlier=earlier.conversation.customer,
        suggestion=suggestion,
    )


def snapshot() -> dict[str, list[tuple]]:
    """Every customer, identity, external record, conversation and message, with whose
    it is (timestamps aside)."""
    return {
        "customers": list(
            Customer.objects.order_by("pk").values_list(
                "pk", "name", "language", "attributes", "tags", "merged_into_id"
            )
        ),
        "identities": list(
            Identity.objects.order_by("pk").values_list(
                "pk", "customer_id", "kind", "value", "proof"
            )
        ),
        "external_records": list(
            ExternalRecord.objects.order_by("pk").values_list(
                "pk", "customer_id", "source", "kind", "external_id"
            )
        ),
        "conversations": list(
            Conversation.objects.order_by("pk").values_list(
                "pk", "customer_id", "status", "subject"
            )
        ),
        "messages": list(
            Message.objects.order_by("pk").values_list("pk", "conversation_id", "text")
        ),
    }


def merge(dana: Dana, *, source: Customer | None = None, target: Customer | None = None):
    source, target = source or dana.source, target or dana.target
    merge_customers(source=source, target=target, actor=dana.desk.sam)
    return CustomerMerge.objects.get(source=source, target=target, undone_at__isnull=True)


def test_undoing_a_merge_restores_everything_it_moved_exactly(dana):
    before = snapshot()
    customer_merge = merge(dana)
    assert snapshot() != before  # the merge moved things

    unmerge_customers(merge=customer_merge, actor=dana.desk.alice)

    assert snapshot() == before
    customer_merge.refresh_from_db()
    assert customer_merge.undone_by == dana.desk.alice
    assert customer_merge.undone_at is not None
    dana.suggestion.refresh_from_db()
    assert dana.suggestion.status == MergeSuggestion.Status.DISMISSED
    events = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.UNMERGED)
    assert sorted(events.values_list("conversation_id", flat=True)) == sorted(
        Conversation.objects.filter(customer__in=[dana.source, dana.target]).values_list(
            "pk", flat=True
        )
    )
    went_back = events.filter(conversation__customer=dana.source).select_related("actor").first()
    assert describe_event(went_back) == (
        f"Alice undid the merge into customer #{dana.target.pk}: "
        f"this conversation is customer #{dana.source.pk}'s again"
    )


def test_an_identity_added_after_the_merge_stays_with_the_target(dana):
    customer_merge = merge(dana)
    added = add_identity(
        customer=dana.target, kind="phone", value="+14155559999", proof=Proof.AGENT_VERIFIED
    )

    unmerge_customers(merge=customer_merge, actor=dana.desk.alice)

    added.refresh_from_db()
    assert added.customer_id == dana.target.pk
    assert set(Identity.objects.filter(customer=dana.source).values_list("value", flat=True)) == {
        "+14155552671",
        "+14155550001",
    }


def test_fields_changed_after_the_merge_keep_their_new_values(dana):
    customer_merge = merge(dana)
    dana.target.refresh_from_db()
    assert dana.target.attributes == {"plan": "gold", "city": "Oslo"}
    update_customer(
        customer=dana.target,
        name="Dana Scully",
        attributes={**dana.target.attributes, "city": "Bergen"},
    )

    unmerge_customers(merge=customer_merge, actor=dana.desk.alice)

    dana.target.refresh_from_db()
    assert dana.target.name == "Dana Scully"  # an agent's edit since the merge
    assert dana.target.attributes == {"plan": "gold", "city": "Bergen"}
    assert dana.target.language == ""  # the merge's, untouched since: undone
    assert dana.target.tags == ["vip", "b"]


def test_a_merge_is_undone_once(dana):
    customer_merge = merge(dana)
    unmerge_customers(merge=customer_merge, actor=dana.desk.alice)
    after_first = snapshot()

    with pytest.raises(ApplicationError) as refused:
        unmerge_customers(merge=customer_merge, actor=dana.desk.alice)
    assert refused.value.status_code == 409
    again = api_client_for(dana.desk.alice).post(
        f"/api/v1/customers/{dana.target.pk}/unmerge/", {"merge": customer_merge.pk}, format="json"
    )
    assert again.status_code == 409
    assert snapshot() == after_first


@pytest.mark.django_db(transaction=True)
def test_agents_undoing_a_merge_at_the_same_moment_undo_it_once(dana):
    customer_merge = merge(dana)
    agents = [dana.desk.alice, dana.desk.bob, dana.desk.carol]
    barrier = threading.Barrier(len(agents))
    undone_by: list[int] = []
    refusals: list[int] = []
    errors: list[BaseException] = []

    def undo(agent) -> None:
        try:
            barrier.wait()
            unmerge_customers(merge=customer_merge, actor=agent)
            undone_by.append(agent.pk)
        except ApplicationError as exc:
            refusals.append(exc.status_code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=undo, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(undone_by) == 1
    assert refusals == [409, 409]
    customer_merge.refresh_from_db()
    assert customer_merge.undone_by_id == undone_by[0]
    unmerged = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.UNMERGED)
    assert (
        unmerged.count()
        == Conversation.objects.filter(customer__in=[dana.source, dana.target]).count()
    )


def test_a_merge_a_later_merge_builds_on_is_undone_only_after_it(dana):
    before = snapshot()
    first = merge(dana)
    third = dana.desk.receive(dana.desk.email, "e9", "hi", email="z@x.io").conversation.customer
    second = merge(dana, source=dana.target, target=third)

    with pytest.raises(ApplicationError) as refused:
        unmerge_customers(merge=first, actor=dana.desk.alice)
    assert refused.value.status_code == 409
    assert f"(#{second.pk})" in refused.value.message

    unmerge_customers(merge=second, actor=dana.desk.alice)
    unmerge_customers(merge=first, actor=dana.desk.alice)
    restored = snapshot()
    third_rows = {
        "customers": [third.pk],
        "identities": list(third.identities.values_list("pk", flat=True)),
        "conversations": list(third.conversations.values_list("pk", flat=True)),
    }
    for table, ids in third_rows.items():
        restored[table] = [row for row in restored[table] if row[0] not in ids]
    restored["messages"] = [
        row for row in restored["messages"] if row[1] not in third_rows["conversations"]
    ]
    assert restored == before


def test_only_an_agent_who_sees_the_customers_can_undo_a_merge(dana):
    customer_merge = merge(dana)
    dana.target.refresh_from_db()
    conversation = dana.target.conversations.filter(endpoint=dana.desk.email).get()
    billing = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="billing@desk.test")
    eve = make_agent(username="eve", teams=[TeamFactory(name="Billing", endpoints=[billing])])
    eves_own = dana.desk.receive(billing, "b1", "invoice?", email="e@y.io").conversation

    stranger = client_for(eve)
    for url in (
        f"/inbox/c/{conversation.pk}/unmerge/{customer_merge.pk}/",
        f"/inbox/c/{eves_own.pk}/unmerge/{customer_merge.pk}/",
    ):
        assert htmx(stranger, "post", url).status_code == 404
    stranger_api = api_client_for(eve)
    for customer in (dana.target, dana.source):
        url = f"/api/v1/customers/{customer.pk}/"
        assert (
            stranger_api.post(
                f"{url}unmerge/", {"merge": customer_merge.pk}, format="json"
            ).status_code
            == 404
        )
        assert stranger_api.get(f"{url}merges/").status_code == 404
    customer_merge.refresh_from_db()
    assert customer_merge.undone_at is None

    agent = client_for(dana.desk.alice)
    pane = htmx(agent, "get", f"/inbox/c/{conversation.pk}/")
    assert f"/inbox/c/{conversation.pk}/unmerge/{customer_merge.pk}/" in pane.content.decode()
    response = htmx(agent, "post", f"/inbox/c/{conversation.pk}/unmerge/{customer_merge.pk}/")
    assert response.status_code == 200
    customer_merge.refresh_from_db()
    assert customer_merge.undone_by == dana.desk.alice


def test_the_api_lists_and_undoes_merges(dana):
    customer_merge = merge(dana)
    api = api_client_for(dana.desk.alice)

    listed = api.get(f"/api/v1/customers/{dana.source.pk}/merges/")
    assert listed.status_code == 200
    earlier_merge = CustomerMerge.objects.get(source=dana.earlier)
    assert [(m["id"], m["undone_at"]) for m in listed.json()["results"]] == [
        (customer_merge.pk, None),  # newest first; it was merged away in this one
        (earlier_merge.pk, None),  # and kept in this one
    ]

    undone = api.post(
        f"/api/v1/customers/{dana.target.pk}/unmerge/", {"merge": customer_merge.pk}, format="json"
    )
    assert undone.status_code == 200
    assert undone.json()["undone_by"] == dana.desk.alice.pk
    dana.source.refresh_from_db()
    assert dana.source.merged_into_id is None


def test_the_unmerge_routes_are_in_the_api_schema(dana):
    client = client_for(dana.desk.sam)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/customers/{id}/unmerge/" in schema
    assert "/api/v1/customers/{id}/merges/" in schema
