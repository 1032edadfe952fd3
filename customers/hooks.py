"""Moments in the customers app that higher apps react to (outgoing webhooks).
Subscribers register in their `AppConfig.ready()` and are called inside the transaction
that made the change, after the customers' identities are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from customers.models import Customer

# New customer records, with their identities attached.
customers_created: list[Callable[[Sequence[Customer]], None]] = []

# A customer's own fields (name, language, attributes, tags) were edited.
customer_updated: list[Callable[[Customer], None]] = []


def notify_customers_created(customers: Sequence[Customer]) -> None:
    if not customers:
        return
    for subscriber in customers_created:
        subscriber(customers)


def notify_customer_updated(customer: Customer) -> None:
    for subscriber in customer_updated:
        subscriber(customer)
