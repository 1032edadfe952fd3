"""Building the emails the continuity tests receive: real MIME, read by the same parser
every inbound email path uses (`channels_app.adapters.email.inbound_from_raw`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from channels_app.adapters.email import inbound_from_raw
from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import receive_message

DESK = "support@desk.test"


def raw_email(
    *,
    sender: str,
    message_id: str,
    subject: str = "Question",
    text: str = "Hello",
    to: Sequence[str] = (DESK,),
    cc: Sequence[str] = (),
    in_reply_to: str = "",
    references: Sequence[str] = (),
    date: datetime | None = None,
) -> bytes:
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = sender
    email["To"] = ", ".join(to)
    if cc:
        email["Cc"] = ", ".join(cc)
    email["Subject"] = subject
    email["Date"] = format_datetime(date or timezone.now())
    email["Message-ID"] = message_id
    if in_reply_to:
        email["In-Reply-To"] = in_reply_to
    if references:
        email["References"] = " ".join(references)
    email.set_content(text)
    return email.as_bytes()


def receive_email(
    endpoint: ChannelEndpoint, *, received_at: datetime | None = None, **fields
) -> Message:
    """One email through the parser and the per-message path, as the drain would."""
    inbound = inbound_from_raw(raw_email(**fields), source="test")
    return receive_message(endpoint=endpoint, inbound=inbound, received_at=received_at)
