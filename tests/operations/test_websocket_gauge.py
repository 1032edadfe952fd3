"""omnidesk_websocket_connections counts the open inbox sockets of signed-in users."""

import pytest
from prometheus_client import REGISTRY

from tests.inbox.test_inbox_socket import connect

pytestmark = pytest.mark.django_db(transaction=True)


def _open_sockets() -> float:
    return REGISTRY.get_sample_value("omnidesk_websocket_connections") or 0.0


async def test_the_gauge_follows_sockets_opening_and_closing(agent):
    before = _open_sockets()

    _refused, connected, _ = await connect(None)
    assert not connected
    assert _open_sockets() == before

    communicator, connected, _ = await connect(agent)
    assert connected
    assert _open_sockets() == before + 1

    await communicator.disconnect()
    assert _open_sockets() == before
