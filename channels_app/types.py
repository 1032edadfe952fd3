"""Values adapters exchange with the domain; no provider payload goes past these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from customers.identities import Proof


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str = "application/octet-stream"
    url: str = ""
    content_b64: str = ""
    content_id: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """One message a provider delivered, normalised.

    `identities` maps identity kind (email, phone, ...) to the raw value the provider
    gave; the domain normalises and resolves them.
    """

    provider_id: str
    identities: dict[str, str]
    text: str = ""
    sender_name: str = ""
    subject: str = ""
    html: str = ""
    kind: str = "message"
    attributes: dict[str, Any] = field(default_factory=dict)
    email_message_id: str = ""
    email_in_reply_to: str = ""
    email_references: tuple[str, ...] = ()
    attachments: tuple[InboundAttachment, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    # How the door proved `identities` (customers.identities.Proof): a signed provider
    # webhook by default; a web form only claims them.
    proof: str = Proof.PROVIDER
    # What the sender also said about themselves that nothing proves, beside proven
    # `identities` (the widget's unsigned `user.email` next to a signed user id): attached
    # to their customer only when nobody has it, otherwise a hint and a merge suggestion.
    claimed_identities: dict[str, str] = field(default_factory=dict)

    @property
    def claimed_only(self) -> bool:
        """Nothing proves who sent it: its identities join nobody else's record."""
        return self.proof == Proof.CLAIMED

    def to_json(self) -> dict[str, Any]:
        # Field by field rather than `asdict`, whose deep copy costs more than the rest of
        # accepting a webhook; the dicts are copied one level, which is all they have.
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = dict(value) if isinstance(value, dict) else value
        data["attachments"] = [asdict(attachment) for attachment in self.attachments]
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        data["email_references"] = list(self.email_references)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboundMessage:
        values = dict(data)
        values["attachments"] = tuple(
            InboundAttachment(**item) for item in values.get("attachments", ())
        )
        values["email_references"] = tuple(values.get("email_references", ()))
        # Payloads stored before proof was recorded said only whether it was claimed.
        if values.pop("claimed_only", False):
            values["proof"] = Proof.CLAIMED
        sent_at = values.get("sent_at")
        values["sent_at"] = datetime.fromisoformat(sent_at) if sent_at else None
        return cls(**values)


@dataclass(frozen=True)
class OutboundMessage:
    """What an adapter needs to send one message; `idempotency_key` is stable per message."""

    message_id: int
    idempotency_key: str
    to: str
    text: str
    # Copied on the message (email: the conversation's participants), besides `to`.
    cc: tuple[str, ...] = ()
    subject: str = ""
    html: str = ""
    sender_name: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[dict[str, Any], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    email_message_id: str = ""


@dataclass(frozen=True)
class DeliveryStatus:
    """A provider's status callback for a message we sent."""

    provider_message_id: str
    status: str  # queued, sent, delivered, read, failed
    error: str = ""


class DeliveryError(Exception):
    """Sending failed. `permanent` errors (bad number, blocked) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
