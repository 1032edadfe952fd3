from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery._state import _set_task_join_will_block
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from omnidesk import realtime
from omnidesk.config_memo import forget_all
from tests.factories import EndpointFactory, TeamFactory, make_agent

# Signs the API endpoint's callbacks (Standard Webhooks: "whsec_" and base64 of 32 bytes).
CALLBACK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3sF6hGX1bVo="


@pytest.fixture(autouse=True)
def _celery_may_join_results() -> Iterator[None]:
    """Celery's eager mode marks "inside a task" in one process-wide flag, saved and
    restored around each task: tasks run eagerly in several threads at once (concurrent
    writers, the browser tests' server) can leave it set, and every later `.get()` of the
    session would then refuse. Each test starts with it clear."""
    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _configuration_read_afresh() -> None:
    """Tests that commit for real end with their tables emptied, which sends no model
    signal: what a process kept of the last test's teams and SLA policies is dropped."""
    forget_all()


@pytest.fixture
def api_endpoint(db) -> ChannelEndpoint:
    return EndpointFactory(
        kind=ChannelEndpoint.Kind.API,
        name="Shop integration",
        credentials={"callback_secret": CALLBACK_SECRET},
    )


@pytest.fixture
def support_team(db, api_endpoint):
    return TeamFactory(name="Support", endpoints=[api_endpoint])


@pytest.fixture
def admin_user(db):
    return make_agent(role=AgentProfile.Role.ADMIN, username="admin")


@pytest.fixture
def agent(db, support_team):
    return make_agent(username="alice", teams=[support_team])


def api_client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return api_client_for(admin_user)


def inbound(provider_id: str, text: str = "Hello", **identities: str) -> InboundMessage:
    return InboundMessage(
        provider_id=provider_id, identities=identities, text=text, sender_name="Dana Scully"
    )


class CapturedEvents:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], list[str]]] = []

    def of_type(self, event_type: str) -> list[tuple[dict[str, Any], list[str]]]:
        return [(event, groups) for event, groups in self.sent if event["type"] == event_type]


@pytest.fixture
def capture_events(monkeypatch) -> Iterator[CapturedEvents]:
    """Records what would be published and to whom, when the transaction commits."""
    captured = CapturedEvents()
    original = realtime._send_many

    def record(items: list[tuple[dict[str, Any], list[str]]]) -> None:
        captured.sent.extend(items)
        original(items)

    monkeypatch.setattr(realtime, "_send_many", record)
    yield captured


@contextmanager
def no_op() -> Iterator[None]:
    yield


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests last: Playwright's sync API leaves an asyncio loop running in the
    main thread for the rest of the session, which async (websocket) tests cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
