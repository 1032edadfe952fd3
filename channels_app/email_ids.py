"""The Message-IDs of the email the desk sends: made by the email adapter, recognised by
the domain when a reply names one (conversations.services.threads)."""

from __future__ import annotations

import hmac

from django.utils.crypto import salted_hmac

_SALT = "omnidesk.email.message-id"


def outbound_message_id(idempotency_key: str, *, domain: str) -> str:
    """The Message-ID of one outbound email: 128 bits that only the desk can compute (an
    HMAC of the message's idempotency key under the secret key), so nobody can forge a
    bounce or a reply header for a message they never saw, and no counter leaks. A
    retried send carries the same Message-ID: the recipient sees a duplicate, not a
    second message."""
    digest = salted_hmac(_SALT, idempotency_key, algorithm="sha256")
    return f"<{digest.hexdigest()[:32]}@{domain}>"


def is_outbound_message_id(message_id: str, *, idempotency_key: str) -> bool:
    """Whether `message_id` is the one the desk signed for `idempotency_key` (whatever
    the domain it was sent from). Identifiers of the older, guessable form
    (`<omnidesk-message-17.4242@...>`) are not: anyone could have written them."""
    _local, at, domain = message_id.strip("<>").rpartition("@")
    if not at or not domain:
        return False
    expected = outbound_message_id(idempotency_key, domain=domain)
    return hmac.compare_digest(expected.encode(), message_id.encode())
