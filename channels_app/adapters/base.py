"""The adapter contract: verify, parse, send, status (DESIGN.md, "The inbound path")."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.http import HttpRequest

from channels_app.types import DeliveryStatus, InboundMessage, OutboundMessage, SendResult

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint


class Adapter:
    """Translates between one provider and our dataclasses. Never writes to the database."""

    kind: ClassVar[str]

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        """True when the request is authentically from the provider."""
        raise NotImplementedError

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        raise NotImplementedError

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        raise NotImplementedError

    def status(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[DeliveryStatus]:
        return []
