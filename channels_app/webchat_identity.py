"""Visitor tokens and the host site's identity proof. Pure functions, no database."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core import signing

VISITOR_PREFIX = "v_"
IDENTIFIED_PREFIX = "external:"
TOKEN_MAX_AGE_SECONDS = 400 * 24 * 3600


def new_visitor_id() -> str:
    return VISITOR_PREFIX + secrets.token_urlsafe(18)


def identified_visitor_id(endpoint_key: str, user_id: str) -> str:
    """The web-chat identity of a host-site user: one per user of that site, whatever
    the browser (user 42 of another site's widget is someone else).

    Kept apart from the browser's anonymous visitor id, so a shared computer never hands
    a logged-out person the previous user's conversation.
    """
    return f"{IDENTIFIED_PREFIX}{endpoint_key}:{user_id}"


def _salt(endpoint_key: str) -> str:
    # One salt per endpoint: a token of one widget is worthless on another.
    return f"omnidesk.widget.visitor:{endpoint_key}"


def issue_visitor_token(*, endpoint_key: str, visitor_id: str) -> str:
    return signing.dumps({"v": visitor_id}, salt=_salt(endpoint_key), compress=False)


def read_visitor_token(*, endpoint_key: str, token: str) -> str | None:
    """The anonymous visitor id the token was issued for, or None if forged or stale."""
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=_salt(endpoint_key), max_age=TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    visitor_id = data.get("v") if isinstance(data, dict) else None
    if not isinstance(visitor_id, str) or not visitor_id.startswith(VISITOR_PREFIX):
        return None
    return visitor_id


def identifier_hash(*, secret: str, user_id: str) -> str:
    """HMAC-SHA256(endpoint secret, user id), hex: what the host site's backend computes."""
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


def verify_identifier_hash(*, secret: str, user_id: str, given: str) -> bool:
    if not secret or not user_id or not isinstance(given, str):
        return False
    expected = identifier_hash(secret=secret, user_id=user_id)
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def attachment_token(*, endpoint_key: str, attachment_id: int) -> str:
    return signing.dumps({"a": attachment_id}, salt=_salt(endpoint_key) + ":file", compress=False)


def read_attachment_token(*, endpoint_key: str, token: str) -> int | None:
    try:
        data = signing.loads(
            token, salt=_salt(endpoint_key) + ":file", max_age=TOKEN_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        return None
    value = data.get("a") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None
