"""The adapter contract: verify, parse, send, status (DESIGN.md, "The inbound path").

Optional hooks, with safe defaults: `handshake` (a provider's GET verification),
`respond` (what the webhook answers, e.g. TwiML), `validate_template` and
`cors_headers` (browser-facing forms). Channel policy is data the domain reads
(`free_form_window`): an adapter never queries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import HttpRequest, HttpResponse

from channels_app.types import DeliveryStatus, InboundMessage, OutboundMessage, SendResult

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint


class UnparseablePayload(ValueError):
    """The request is authentic but the adapter cannot understand it."""


class Adapter:
    """Translates between one provider and our dataclasses. Never writes to the database."""

    kind: ClassVar[str]
    # The URL prefix under /hooks/ this adapter's endpoints receive webhooks on.
    provider: ClassVar[str] = ""
    # Channel policy the domain enforces: free-form messages only this long after the
    # customer's last message on the endpoint, a template after that (None: always).
    free_form_window: ClassVar[timedelta | None] = None
    # Sending is only a push to our own live sockets (web chat): no provider to wait for,
    # so no delivery task. The message is stored as sent and pushed once its transaction
    # commits; a client that missed the push fetches it when it reconnects.
    pushes_on_commit: ClassVar[bool] = False

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        """True when the request is authentically from the provider."""
        raise NotImplementedError

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        raise NotImplementedError

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        raise NotImplementedError

    def status(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[DeliveryStatus]:
        return []

    def handshake(self, request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse:
        """Answer a GET on the webhook URL (subscription checks)."""
        return HttpResponse(status=405)

    def respond(
        self, request: HttpRequest, endpoint: ChannelEndpoint, messages: list[InboundMessage]
    ) -> HttpResponse:
        """The webhook's answer once the request is stored."""
        return HttpResponse("ok", content_type="text/plain")

    def validate_template(self, template: dict[str, Any]) -> None:
        """Raise ApplicationError when `template` (a provider template to send instead
        of free text) is malformed for this channel."""

    def throttle(self, request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse | None:
        """A response that refuses the request before parsing (rate limits), or None."""
        return None

    def cors_headers(self, request: HttpRequest, endpoint: ChannelEndpoint) -> dict[str, str]:
        return {}

    def fetch_media(self, url: str, endpoint: ChannelEndpoint) -> tuple[bytes, str] | None:
        """Download an inbound attachment the provider only linked to: (content, type).

        None means this channel's links need no download (or cannot be fetched).
        Raises DeliveryError (temporary or permanent) when the provider fails.
        """
        return None
