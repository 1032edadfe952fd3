"""Compiled-once SQL (`omnidesk.baked`) answers exactly what the ORM answers, for every
value it is called with, and falls back to the ORM where it cannot bake safely."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from agents.models import AgentProfile
from customers.models import Customer, Identity
from omnidesk import baked
from tests.factories import make_agent


def _customers(*, name: str, since, limit: int) -> QuerySet:
    customers = Customer.objects.filter(created_at__gte=since)
    if name:
        customers = customers.filter(name=name)
    return customers.order_by("pk").values("pk", "name", "attributes")[:limit]


def _customers_by_prefix(*, prefix: str) -> QuerySet:
    return Customer.objects.filter(name__startswith=prefix).order_by("pk").values("pk")


def _fetch(name: str, since, limit: int = 10) -> list[dict]:
    return baked.fetch_values(
        _customers, shape={"limit": limit}, values={"name": name, "since": since}
    )


def test_every_call_gets_its_own_values_not_the_first_calls(db):
    ana = Customer.objects.create(name="Ana", attributes={"plan": "gold"})
    ben = Customer.objects.create(name="Ben")
    long_ago = timezone.now() - timedelta(days=1)

    assert _fetch("Ana", long_ago) == [
        {"pk": ana.pk, "name": "Ana", "attributes": {"plan": "gold"}}
    ]
    assert baked.is_baked(
        _customers, shape={"limit": 10}, values={"name": "Ana", "since": long_ago}
    )
    assert _fetch("Ben", long_ago) == [{"pk": ben.pk, "name": "Ben", "attributes": {}}]
    assert _fetch("Ben", timezone.now() + timedelta(days=1)) == []
    assert _fetch("Ana", long_ago) == list(_customers(name="Ana", since=long_ago, limit=10))


def test_an_empty_value_is_a_shape_of_its_own(db):
    """The builder leaves the name filter out for "": the SQL of a named call must not
    be reused for it (nor the other way round)."""
    Customer.objects.create(name="Ana")
    Customer.objects.create(name="Ben")
    long_ago = timezone.now() - timedelta(days=1)

    assert [row["name"] for row in _fetch("Ana", long_ago)] == ["Ana"]
    assert [row["name"] for row in _fetch("", long_ago)] == ["Ana", "Ben"]
    assert [row["name"] for row in _fetch("Ben", long_ago)] == ["Ben"]


def test_the_shape_keeps_literals_apart(db):
    for name in ("Ana", "Ben", "Chloe"):
        Customer.objects.create(name=name)
    long_ago = timezone.now() - timedelta(days=1)

    assert len(_fetch("", long_ago, limit=1)) == 1
    assert len(_fetch("", long_ago, limit=3)) == 3


def test_a_value_django_rewrites_is_not_baked_and_still_answers(db):
    ana = Customer.objects.create(name="Ana")
    Customer.objects.create(name="Ben")
    Customer.objects.create(name="A_na")  # "_" is a LIKE wildcard Django escapes

    def fetch(prefix: str) -> list[int]:
        rows = baked.fetch_values(_customers_by_prefix, shape={}, values={"prefix": prefix})
        return [row["pk"] for row in rows]

    assert fetch("Ana") == [ana.pk]
    assert not baked.is_baked(_customers_by_prefix, shape={}, values={"prefix": "Ana"})
    assert fetch("A_") == [Customer.objects.get(name="A_na").pk]


def test_session_user_comes_with_its_profile_decoded(db):
    from agents.auth import ProfileModelBackend

    user = make_agent(role=AgentProfile.Role.SUPERVISOR, username="sam")
    user.agent_profile.skills = ["billing", "de"]
    user.agent_profile.save()

    loaded = ProfileModelBackend().get_user(user.pk)
    assert loaded == user and loaded.username == "sam"
    assert loaded.agent_profile.skills == ["billing", "de"]
    assert loaded.agent_profile.user is loaded
    assert ProfileModelBackend().get_user(user.pk + 1000) is None
    user.is_active = False
    user.save()
    assert ProfileModelBackend().get_user(user.pk) is None


def _customer_with_identity_count(*, customer_id: int) -> QuerySet:
    return (
        Customer.objects.filter(pk=customer_id)
        .select_related("merged_into")
        .annotate(identity_count=Count("identities"))
        .order_by()
    )


def test_model_instances_come_with_their_relations_and_annotations(db):
    target = Customer.objects.create(name="Kept")
    merged = Customer.objects.create(name="Merged", merged_into=target)
    Identity.objects.create(customer=merged, kind=Identity.Kind.EMAIL, value="m@example.com")

    for customer in (merged, target):
        [loaded] = baked.fetch_models(
            _customer_with_identity_count, shape={}, values={"customer_id": customer.pk}
        )
        [expected] = _customer_with_identity_count(customer_id=customer.pk)
        assert loaded == expected and loaded.name == expected.name
        assert loaded.identity_count == expected.identity_count
        assert loaded.merged_into == expected.merged_into
        assert not loaded._state.adding and loaded._state.db == "default"
    assert baked.is_baked(
        _customer_with_identity_count, shape={}, values={"customer_id": merged.pk}
    )


def test_a_related_managers_queryset_is_not_baked(db):
    """Django hands such a queryset's rows their owner without a query; baked rows could
    not, so it is left to the ORM."""
    customer = Customer.objects.create(name="Ana")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value="a@example.com")

    def identities_of(*, customer_id: int) -> QuerySet:
        return Customer(pk=customer_id).identities.all()

    [identity] = baked.fetch_models(identities_of, shape={}, values={"customer_id": customer.pk})
    assert identity.value == "a@example.com"
    assert not baked.is_baked(identities_of, shape={}, values={"customer_id": customer.pk})


def test_a_locking_query_still_needs_a_transaction(db):
    """The ORM refuses SELECT ... FOR UPDATE in autocommit (the lock would end at once);
    compiled SQL must refuse it too, not silently lock nothing."""
    customer = Customer.objects.create(name="Ana")

    def locked(*, customer_id: int) -> QuerySet:
        return Customer.objects.select_for_update().filter(pk=customer_id)

    with transaction.atomic():
        [loaded] = baked.fetch_models(locked, shape={}, values={"customer_id": customer.pk})
    assert loaded == customer
    assert baked.is_baked(locked, shape={}, values={"customer_id": customer.pk})


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_outside_a_transaction_is_refused():
    customer = Customer.objects.create(name="Ana")

    def locked(*, customer_id: int) -> QuerySet:
        return Customer.objects.select_for_update().filter(pk=customer_id)

    with transaction.atomic():
        baked.fetch_models(locked, shape={}, values={"customer_id": customer.pk})
    with pytest.raises(TransactionManagementError):
        baked.fetch_models(locked, shape={}, values={"customer_id": customer.pk})
