"""A real HTTP receiver on loopback for outgoing webhooks, and the Standard Webhooks
verification written from the specification (not with our signing code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    url: str
    answer_status: int = 200
    requests: list[Received] = field(default_factory=list)
    # Set by a test: how the receiver checks a request (raising refuses it with a 401).
    verify: Callable[[bytes, dict[str, str]], object] | None = None

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.requests if r.payload["type"] == event_type]


def verify_standard_webhook(secret: str, received: Received) -> None:
    """The reference algorithm: base64 HMAC-SHA256, keyed with the base64-decoded secret
    after "whsec_", of "<webhook-id>.<webhook-timestamp>.<body>"; the header holds
    space-separated "v1,<signature>" entries, one of which must match."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = (
        received.headers["webhook-id"].encode()
        + b"."
        + received.headers["webhook-timestamp"].encode()
        + b"."
        + received.body
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        entry.split(",", 1)[1]
        for entry in received.headers["webhook-signature"].split(" ")
        if entry.startswith("v1,")
    ]
    assert any(hmac.compare_digest(expected, signature) for signature in offered), received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Received(headers=headers, body=body))
            status = state.answer_status
            answer = b'{"ok": true}' if status < 300 else b"receiver broke " * 200
            if state.verify is not None:
                try:
                    state.verify(body, headers)
                except Exception as exc:  # the verifier's refusal, whatever its type
                    status, answer = 401, f"refused: {exc}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/omnidesk"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings) -> None:
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
