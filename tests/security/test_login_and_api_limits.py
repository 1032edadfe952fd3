"""No password guessing at full speed and no unbounded API reads (issue 14, finding M7):
after ten failed sign-ins for one username from one address, that pair is locked out,
even with the right password; API clients are throttled; `?limit=` has a ceiling."""

from __future__ import annotations

import pytest
from rest_framework.throttling import UserRateThrottle

from customers.models import Customer
from tests.conftest import api_client_for
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def sign_in(client, password: str):
    return client.post("/accounts/login/", {"username": "ann", "password": password})


def test_repeated_failed_sign_ins_lock_the_username_from_that_address(client):
    make_agent(username="ann", password="the-right-password-42")
    codes = [sign_in(client, "guess").status_code for _ in range(10)]
    assert codes == [200] * 9 + [429]  # the form with an error, then locked out
    assert sign_in(client, "the-right-password-42").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_correct_password_before_the_limit_signs_in(client):
    make_agent(username="ann", password="the-right-password-42")
    for _ in range(3):
        sign_in(client, "guess")
    assert sign_in(client, "the-right-password-42").status_code == 302


def test_a_huge_limit_returns_at_most_the_ceiling(admin_user):
    Customer.objects.bulk_create(Customer(name=f"Customer {n}") for n in range(201))
    api = api_client_for(admin_user)
    response = api.get("/api/v1/customers/?limit=1000000000")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 201
    assert len(body["results"]) == 200
    assert "limit=200" in body["next"]


def test_api_clients_are_throttled(admin_user, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    api = api_client_for(admin_user)
    codes = [api.get("/api/v1/customers/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
