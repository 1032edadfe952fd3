"""Helpers shared by the widget's browser tests (tests/browser/test_widget_*.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from tests.browser.conftest import new_page
from tests.factories import EndpointFactory, TeamFactory, make_agent

IDENTITY_SECRET = "browser-test-secret"


def wait_until(predicate: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def off_loop(function: Callable[..., Any], **kwargs: Any) -> Any:
    """Run sync code that publishes realtime events outside Playwright's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, **kwargs).result(timeout=30)


def make_widget_endpoint(**config: Any) -> ChannelEndpoint:
    """A webchat endpoint owned by a team whose agent `carol` is online."""
    endpoint = EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        name="Acme chat",
        config={"allowed_origins": [], **config},
        credentials={"identity_secret": IDENTITY_SECRET},
    )
    team = TeamFactory(name="Acme support", endpoints=[endpoint])
    agent = make_agent(username="carol", first_name="Carol", last_name="Baker", teams=[team])
    AgentProfile.objects.filter(user=agent).update(presence=AgentProfile.Presence.ONLINE)
    return endpoint


def agent_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="carol")


def allow_origin(endpoint: ChannelEndpoint, origin: str) -> None:
    endpoint.config = {**endpoint.config, "allowed_origins": [origin]}
    endpoint.save(update_fields=["config"])


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


@pytest.fixture
def open_pages(live_server_asgi, browser) -> Iterator[Callable[..., Any]]:
    """new_page() whose contexts are closed before the live server's database goes away."""
    pages = []

    def factory(**options: Any):
        page = new_page(browser, **options)
        pages.append(page)
        return page

    yield factory
    for page in pages:
        page.context.close()
