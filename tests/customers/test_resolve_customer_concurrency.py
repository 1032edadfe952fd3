"""Two workers resolving the same new identity at the same moment make one customer."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from customers.identities import IdentityClaim
from customers.models import Customer, Identity
from customers.services import resolve_customer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 8])
def test_concurrent_resolution_of_a_new_phone_makes_one_customer(workers):
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []

    def resolve() -> None:
        try:
            barrier.wait()
            resolution = resolve_customer(
                claims=[
                    IdentityClaim("phone", "+14155550199"),
                    IdentityClaim("email", "race@example.com"),
                ]
            )
            results.append(resolution.customer.pk)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1
    assert Customer.objects.count() == 1
    assert Identity.objects.count() == 2


@pytest.mark.django_db
def test_a_known_identity_resolves_to_its_customer_and_new_ones_attach_to_it():
    first = resolve_customer(claims=[IdentityClaim("phone", "+14155550100")])
    second = resolve_customer(
        claims=[IdentityClaim("phone", "+14155550100"), IdentityClaim("telegram", "998")]
    )
    assert first.created and not second.created
    assert second.customer == first.customer
    assert set(first.customer.identities.values_list("kind", flat=True)) == {"phone", "telegram"}


@pytest.mark.django_db
def test_an_identity_of_a_merged_customer_resolves_to_the_survivor():
    from conversations.services import merge_customers

    old = resolve_customer(claims=[IdentityClaim("email", "old@example.com")]).customer
    survivor = resolve_customer(claims=[IdentityClaim("email", "new@example.com")]).customer
    merge_customers(source=old, target=survivor, actor=None)
    again = resolve_customer(claims=[IdentityClaim("email", "old@example.com")])
    assert again.customer == survivor
