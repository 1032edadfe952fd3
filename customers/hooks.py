"""Moments in the customers app that higher apps react to (outgoing webhooks).
Subscribers register in their `AppConfig.ready()` and are called inside the transaction
that made the change, after the customers' identities are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from customers.models import Customer

# New customer records, with their identities attached.
customers_created: list[Callable[[Sequence[Customer]], None]] = []

# A customer's own fields (name, language, attributes, tags) were edited.
customer_updated: list[Callable[[Customer], None]] = []


# (customer, attributes before, attributes after, actor or None): a person's edit changed
# the customer's custom attributes (`update_customer`), inside its transaction.
customer_attributes_changed: list[
    Callable[[Customer, dict[str, Any], dict[str, Any], AbstractBaseUser | None], None]
] = []


def notify_customers_created(customers: Sequence[Customer]) -> None:
    if not customers:
        return
    for subscriber in customers_created:
        subscriber(customers)


def notify_customer_updated(customer: Customer) -> None:
    for subscriber in customer_updated:
        subscriber(customer)


def notify_customer_attributes_changed(
    *, customer: Customer, previous: dict[str, Any], actor: AbstractBaseUser | None
) -> None:
    current = dict(customer.attributes or {})
    if current == previous:
        return
    for subscriber in customer_attributes_changed:
        subscriber(customer, previous, current, actor)
