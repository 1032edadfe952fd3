from __future__ import annotations

import pytest

from customers.attributes import create_definition
from tests.inbox.conftest import Desk, build_desk


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


@pytest.fixture
def definitions(db) -> dict:
    """One attribute of each type on customers, and two on conversations."""
    return {
        "nickname": create_definition(
            key="nickname", label="Nickname", type="text", applies_to="customer"
        ),
        "seats": create_definition(
            key="seats", label="Seats", type="number", applies_to="customer"
        ),
        "renewal": create_definition(
            key="renewal", label="Renewal", type="date", applies_to="customer"
        ),
        "plan": create_definition(
            key="plan",
            label="Plan",
            type="choice",
            applies_to="customer",
            choices=["free", "pro", "enterprise"],
        ),
        "vip": create_definition(key="vip", label="VIP", type="boolean", applies_to="customer"),
        "crm": create_definition(key="crm", label="CRM page", type="link", applies_to="customer"),
        "order_id": create_definition(
            key="order_id", label="Order", type="text", applies_to="conversation"
        ),
        "refund": create_definition(
            key="refund",
            label="Refund amount",
            type="number",
            applies_to="conversation",
            editable_by="supervisors",
        ),
    }
