"""Per-address limits count clients, not the load balancer (issue 14, finding M5): behind
a trusted proxy each client has its own counter; a forged X-Forwarded-For from anywhere
else changes nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from omnidesk.client_address import client_address
from tests.channels_app.test_web_forms import FORM, submit

PROXY = "10.0.0.5"


def test_behind_a_trusted_proxy_the_forwarded_client_counts(settings):
    settings.OMNIDESK_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_address(PROXY, "203.0.113.9") == "203.0.113.9"
    # What a client wrote to the left of what the proxy appended proves nothing.
    assert client_address(PROXY, "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert client_address("203.0.113.77", "198.51.100.1") == "203.0.113.77"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.OMNIDESK_TRUSTED_PROXIES = []
    assert client_address(PROXY, "203.0.113.9") == PROXY


@pytest.mark.django_db
def test_form_limits_are_per_client_behind_the_proxy(client, form_endpoint, settings):
    cache.clear()
    settings.OMNIDESK_TRUSTED_PROXIES = ["10.0.0.0/24"]
    form_endpoint.config = {**form_endpoint.config, "rate_limit": {"count": 2, "per_seconds": 60}}
    form_endpoint.save()

    def post(client_ip: str) -> int:
        return submit(
            client, form_endpoint, data=FORM, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip
        ).status_code

    assert [post("203.0.113.1") for _ in range(3)] == [200, 200, 429]
    assert post("203.0.113.2") == 200  # another client behind the same proxy
