"""The endpoint's allowed origins guard the widget websocket and every HTTP call; the
agent inbox websocket keeps its own-host origin check."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from tests.widget.conftest import SHOP_ORIGIN, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_widget_socket_from_an_allowed_origin_is_accepted(widget_endpoint):
    widget, code = await open_widget(widget_endpoint, origin=SHOP_ORIGIN)
    assert widget is not None, code
    await widget.close()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://shop.example", ""])
async def test_widget_socket_from_another_or_no_origin_is_refused(widget_endpoint, origin):
    widget, code = await open_widget(widget_endpoint, origin=origin)
    assert widget is None
    assert code == 4403


async def test_widget_socket_for_an_unknown_or_inactive_endpoint_is_refused(widget_endpoint):
    widget_endpoint.is_active = False
    from asgiref.sync import sync_to_async

    await sync_to_async(widget_endpoint.save)()
    widget, code = await open_widget(widget_endpoint)
    assert widget is None
    assert code == 4404


async def test_the_inbox_socket_still_refuses_foreign_origins(widget_endpoint):
    from omnidesk.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/inbox/", headers=[(b"origin", SHOP_ORIGIN.encode())]
    )
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    assert not connected


def test_bootstrap_answers_an_allowed_origin_with_cors_for_that_origin_only(
    client, widget_endpoint
):
    response = client.get(
        f"/widget/{widget_endpoint.key}/config?locale=de-AT", headers={"Origin": SHOP_ORIGIN}
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    data = response.json()
    assert data["locale"] == "de"
    assert data["strings"]["send"] == "Senden"
    assert data["websocket_path"] == f"/ws/widget/{widget_endpoint.key}/"
    assert data["pre_chat"]["enabled"] is True
    assert "identity_secret" not in response.content.decode()

    refused = client.get(
        f"/widget/{widget_endpoint.key}/config", headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    assert client.get(f"/widget/{widget_endpoint.key}/config").status_code == 403


def test_upload_from_a_foreign_origin_is_refused(client, widget_endpoint):
    response = client.post(
        f"/widget/{widget_endpoint.key}/upload",
        {"client_id": "u1", "token": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
