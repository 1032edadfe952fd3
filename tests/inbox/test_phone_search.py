"""One search for the inbox and the API finds a customer by a phone number however it is
typed: national or international format, spaces, dashes, parentheses, or a run of at
least four of its digits; normalised with `phonenumbers` in the desk's default region."""

from __future__ import annotations

import re

import pytest

from tests.conftest import api_client_for
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db

US_FORMATS = [
    "+14155551234",
    "+1 415-555-1234",
    "+1 (415) 555 1234",
    "1-415-555-1234",
    "(415) 555-1234",
    "415 555-1234",
    "415.555.1234",
    "4155551234",
    "555-1234",
    "5551234",
    "55 512",
    "1234",
]


def inbox_ids(user, q: str) -> set[int]:
    response = client_for(user).get("/inbox/list/", {"view": "teams", "q": q})
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'id="row-(\d+)"', response.content.decode())}


def api_conversation_ids(user, q: str) -> set[int]:
    response = api_client_for(user).get("/api/v1/conversations/", {"q": q})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def api_customer_ids(user, q: str) -> set[int]:
    response = api_client_for(user).get("/api/v1/customers/", {"q": q})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def numbers(desk):
    """Two SMS customers: the one searched for, and another number."""
    wanted = desk.receive(desk.sms, "sms-1", "Hello", phone="+14155551234").conversation
    other = desk.receive(desk.sms, "sms-2", "Hello", phone="+12125559876").conversation
    return wanted, other


@pytest.mark.parametrize("typed", US_FORMATS)
def test_a_number_typed_any_way_finds_the_customer_in_the_inbox_and_the_api(desk, numbers, typed):
    wanted, _other = numbers
    assert inbox_ids(desk.bob, typed) == {wanted.pk}
    assert api_conversation_ids(desk.bob, typed) == {wanted.pk}
    assert api_customer_ids(desk.bob, typed) == {wanted.customer_id}


@pytest.mark.parametrize("typed", ["555-9999", "(415) 555-0000", "+44 20 7946 0018"])
def test_another_number_finds_nothing(desk, numbers, typed):
    assert inbox_ids(desk.bob, typed) == set()
    assert api_conversation_ids(desk.bob, typed) == set()
    assert api_customer_ids(desk.bob, typed) == set()


def test_national_numbers_are_read_in_the_default_region(desk, settings):
    settings.OMNIDESK_DEFAULT_PHONE_REGION = "GB"
    london = desk.receive(desk.sms, "sms-uk", "Hello", phone="+442079460018").conversation
    for typed in ("020 7946 0018", "(020) 7946-0018", "+44 20 7946 0018", "020 7946", "7946 0018"):
        assert inbox_ids(desk.bob, typed) == {london.pk}, typed
        assert api_customer_ids(desk.bob, typed) == {london.customer_id}, typed


def test_email_name_and_message_text_are_found_by_the_same_search(desk):
    conversation = desk.receive(
        desk.email, "mail-1", "My flamingo parcel is late", email="dana.scully@example.com"
    ).conversation
    for typed in ("dana.scully@exa", "Scully", "flamingo parcel", "flam"):
        assert inbox_ids(desk.alice, typed) == {conversation.pk}, typed
        assert api_conversation_ids(desk.alice, typed) == {conversation.pk}, typed
        assert api_customer_ids(desk.alice, typed) == {conversation.customer_id}, typed


def test_the_customers_search_never_matches_on_text_the_caller_may_not_see(desk):
    """Bob (Messaging) may see Dana through an SMS; her email to Support says a word Bob
    must not be able to probe for."""
    sms = desk.receive(desk.sms, "sms-1", "Hello", phone="+14155551234")
    email = desk.receive(desk.email, "mail-1", "secret flamingo", email="dana@example.com")
    api_client_for(desk.sam).post(
        f"/api/v1/customers/{sms.conversation.customer_id}/merge/",
        {"source": email.conversation.customer_id},
        format="json",
    )
    dana = sms.conversation.customer_id
    assert api_customer_ids(desk.bob, "4155551234") == {dana}
    assert api_customer_ids(desk.bob, "flamingo") == set()
    assert api_customer_ids(desk.alice, "flamingo") == {dana}
