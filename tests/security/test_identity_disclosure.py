"""Adding an identity that is another customer's does not say whose it is (issue 14,
finding L9): the agent may not be allowed to see that customer."""

from __future__ import annotations

import pytest

from customers.models import Customer
from customers.services import add_identity
from omnidesk.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_the_other_customers_id_is_not_disclosed():
    owner = Customer.objects.create(name="Owner")
    add_identity(customer=owner, kind="email", value="ceo@example.com")
    prober = Customer.objects.create(name="Prober")
    with pytest.raises(ApplicationError) as refused:
        add_identity(customer=prober, kind="email", value="ceo@example.com")
    assert refused.value.status_code == 409
    assert str(owner.pk) not in repr(refused.value.fields) + refused.value.message
