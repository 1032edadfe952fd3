"""Merging customers moves identities, conversations and messages, and leaves a redirect."""

from __future__ import annotations

import pytest

from conversations.models import ConversationEvent, Message
from conversations.services import merge_customers, receive_message
from customers.models import Customer, ExternalRecord
from tests.conftest import api_client_for, inbound
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_customers(api_endpoint):
    by_phone = receive_message(
        endpoint=api_endpoint, inbound=inbound("1", "sms text", phone="+14155552671")
    )
    by_email = receive_message(
        endpoint=api_endpoint, inbound=inbound("2", "email text", email="d@example.com")
    )
    return by_phone.conversation.customer, by_email.conversation.customer


def test_merge_moves_identities_conversations_and_messages(two_customers, admin_user):
    source, target = two_customers
    ExternalRecord.objects.create(customer=source, source="shop", kind="order", external_id="42")
    merge_customers(source=source, target=target, actor=admin_user)

    source.refresh_from_db()
    assert source.merged_into == target
    assert set(target.identities.values_list("kind", flat=True)) == {"phone", "email"}
    assert set(Message.objects.values_list("conversation__customer", flat=True)) == {target.pk}
    assert target.external_records.get().external_id == "42"
    assert ConversationEvent.objects.filter(kind="merged", actor=admin_user).count() == 2


def test_merge_through_the_api_and_the_merged_away_id_redirects(two_customers, admin_api):
    source, target = two_customers
    response = admin_api.post(
        f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}, format="json"
    )
    assert response.status_code == 200
    assert {i["kind"] for i in response.json()["identities"]} == {"phone", "email"}

    redirect = admin_api.get(f"/api/v1/customers/{source.pk}/")
    assert redirect.status_code == 301
    assert redirect["Location"] == f"/api/v1/customers/{target.pk}/"
    timeline = admin_api.get(f"/api/v1/customers/{source.pk}/timeline/")
    assert timeline["Location"] == f"/api/v1/customers/{target.pk}/timeline/"
    assert Customer.objects.filter(merged_into__isnull=True).count() == 1


def test_a_customer_cannot_be_merged_twice_or_into_itself(two_customers, admin_api):
    source, target = two_customers
    assert (
        admin_api.post(
            f"/api/v1/customers/{target.pk}/merge/", {"source": target.pk}, format="json"
        ).status_code
        == 400
    )
    admin_api.post(f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}, format="json")
    again = admin_api.post(
        f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}, format="json"
    )
    assert again.status_code == 409


def test_an_agent_cannot_merge_a_customer_they_cannot_see(two_customers):
    source, target = two_customers
    outsider = UserFactory(username="outsider")
    response = api_client_for(outsider).post(
        f"/api/v1/customers/{target.pk}/merge/", {"source": source.pk}, format="json"
    )
    assert response.status_code == 404
    source.refresh_from_db()
    assert source.merged_into is None
