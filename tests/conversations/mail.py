"""Building the emails the continuity tests receive: real MIME, read by the same parser
every inbound email path uses (`channels_app.adapters.email.inbound_from_raw`).

Mail is authenticated as a receiving server would stamp it (`stamped`): an
`Authentication-Results` header of `RECEIVING_SERVER`, which the tests trust, saying
SPF, DKIM and DMARC passed for the From domain. `authenticated=False` leaves it out: the
sender is then only claimed (docs/email-authenticity.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, parseaddr

from django.utils import timezone

from channels_app.adapters.email import inbound_from_raw
from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import receive_message

DESK = "support@desk.test"
# The receiving server whose Authentication-Results the tests' mailboxes trust
# (`config["trusted_authserv_id"]`).
RECEIVING_SERVER = "mx.desk.test"


def stamped(raw: bytes, *, server: str = RECEIVING_SERVER, result: str = "pass") -> bytes:
    """`raw` as a receiving server hands it on after checking it: an
    Authentication-Results header on top saying SPF, DKIM and DMARC gave `result` for the
    From domain (unchanged when there is no readable From address)."""
    headers = BytesHeaderParser().parsebytes(raw)
    address = parseaddr(str(headers.get("From", "")))[1].lower()
    domain = address.rpartition("@")[2]
    if not domain:
        return raw
    newline = b"\r\n" if b"\r\n" in raw.split(b"\n", 1)[0] + b"\n" else b"\n"
    header = (
        f"Authentication-Results: {server};{newline.decode()}"
        f" spf={result} smtp.mailfrom={address};{newline.decode()}"
        f" dkim={result} header.d={domain} header.s=s1;{newline.decode()}"
        f" dmarc={result} header.from={domain}"
    )
    return header.encode() + newline + raw


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
    authenticated: bool = True,
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
    return stamped(email.as_bytes()) if authenticated else email.as_bytes()


def receive_email(
    endpoint: ChannelEndpoint, *, received_at: datetime | None = None, **fields
) -> Message:
    """One email through the parser and the per-message path, as the drain would."""
    inbound = inbound_from_raw(
        raw_email(**fields), source="test", trusted_authserv_ids=(RECEIVING_SERVER,)
    )
    return receive_message(endpoint=endpoint, inbound=inbound, received_at=received_at)


def post_to_mailgun_webhook(client, endpoint: ChannelEndpoint, raw: bytes, *, signing_key: str):
    """The post Mailgun makes for one received message (a fresh token, signed now) to the
    endpoint's webhook; returns the response."""
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signature = hmac.new(
        signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return client.post(
        f"/hooks/email/{endpoint.key}/",
        data={
            "recipient": DESK,
            "body-mime": raw.decode(),
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
    )
