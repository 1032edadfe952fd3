"""The search answers from indexes on a desk-sized table (~20k identities): a number's
run of digits from the trigram index on phone identities (identity_phone_trgm_idx), a
whole number and an email prefix from the btree indexes; never a scan of every
identity."""

from __future__ import annotations

import pytest
from django.db import connection

from conversations.selectors.search import matching_identities
from customers.models import Customer, Identity

pytestmark = pytest.mark.django_db

IDENTITIES = 20_000


@pytest.fixture
def many_identities(db) -> None:
    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {n}") for n in range(IDENTITIES // 2)
    )
    Identity.objects.bulk_create(
        [
            identity
            for n, customer in enumerate(customers)
            for identity in (
                Identity(customer=customer, kind="phone", value=f"+1415{n:07d}"),
                Identity(customer=customer, kind="email", value=f"person{n}@example.com"),
            )
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_identity")


def plans(q: str) -> list[str]:
    return [matches.explain() for matches in matching_identities(q)]


def test_a_run_of_digits_uses_the_trigram_index(many_identities):
    for typed in ("555-12", "(415) 000 12", "0001234", "+1 415 000"):
        by_prefix, by_phone = plans(typed)
        assert "identity_phone_trgm_idx" in by_phone, by_phone
        assert "identity_value_prefix_idx" in by_prefix, by_prefix
        assert "Seq Scan" not in by_phone + by_prefix, typed


def test_a_whole_number_and_an_email_prefix_use_btree_indexes(many_identities):
    by_prefix, by_phone = plans("(415) 000-1234")
    assert "identity_unique_kind_value" in by_phone or "identity_value_prefix_idx" in by_phone
    assert "Seq Scan" not in by_phone + by_prefix
    [email] = plans("person123@exa")
    assert "identity_value_prefix_idx" in email, email
    assert "Seq Scan" not in email, email


def test_the_runs_find_the_right_customers(many_identities):
    found = Identity.objects.filter(
        customer_id__in=matching_identities("(415) 000-1234")[1], kind="phone"
    )
    assert list(found.values_list("value", flat=True)) == ["+14150001234"]
