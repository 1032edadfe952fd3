"""API callbacks are signed (issue 14, finding L13) as Standard Webhooks sign, so an
integration verifies them with any Standard Webhooks library: `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
under the endpoint's `callback_secret` (`whsec_` and base64 of the key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conversations.services import deliver_message, receive_message, send_reply
from tests.conftest import CALLBACK_SECRET, inbound

pytestmark = pytest.mark.django_db


class RecordingReceiver:
    """The integration's callback URL on loopback, keeping each request's exact bytes."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/omnidesk"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    server = RecordingReceiver()
    yield server
    server.httpd.shutdown()


def standard_webhooks_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Verification as the Standard Webhooks specification writes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        item.split(",", 1)[1] for item in headers["webhook-signature"].split() if "," in item
    ]
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def test_a_reply_reaches_the_integration_signed(settings, agent, api_endpoint, receiver):
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    api_endpoint.config = {"callback_url": receiver.url}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", external="crm-7"))
    reply = send_reply(conversation=received.conversation, author=agent, text="Refund sent")

    before = int(time.time())
    assert deliver_message(message_id=reply.pk).status == "sent"
    after = int(time.time())

    [(headers, body)] = receiver.requests
    assert standard_webhooks_verify(CALLBACK_SECRET, headers, body)
    assert headers["webhook-id"] == f"omnidesk-message-{reply.pk}"
    assert before <= int(headers["webhook-timestamp"]) <= after
    assert not standard_webhooks_verify(CALLBACK_SECRET, headers, body.replace(b"Refund", b"Pay"))


def test_without_a_secret_nothing_is_sent_unsigned(settings, agent, api_endpoint, receiver):
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    api_endpoint.config = {"callback_url": receiver.url}
    api_endpoint.credentials = {}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", external="crm-7"))
    reply = send_reply(conversation=received.conversation, author=agent, text="Refund sent")

    assert deliver_message(message_id=reply.pk).status == "failed"
    reply.refresh_from_db()
    assert "callback_secret" in reply.delivery_error
    assert receiver.requests == []
