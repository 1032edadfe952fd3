"""What keeps the public help center from being used to load the desk or to inflate the
figures editors read: a fixed-window limit on anonymous searches per client address,
and once-a-day marks so a visitor's repeated views and repeated unanswered questions
count once.

Everything lives in the shared cache (Redis), so every web process counts together, and
is keyed on the client address the rest of the desk uses (`omnidesk.client_address`).
The fixed windows are the desk's one limiter (`omnidesk.ratelimit`), shared with the
widget.

No personal data is stored: a visitor is an HMAC (keyed with SECRET_KEY) of their
address and user agent, and the marks expire after a day."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from omnidesk.client_address import request_client_address
from omnidesk.ratelimit import Limit, Verdict, hit

DAY_SECONDS = 24 * 3600


def allow(key: str, *, limit: int, window_seconds: int) -> Verdict:
    """Count one hit on `key`; refused once more than `limit` hits fall in the current
    fixed window. `limit <= 0` turns the limit off (every hit allowed)."""
    if limit <= 0:
        return Verdict(True, 0)
    return hit(Limit(f"knowledge:{key}", limit, window_seconds))


def client(request: HttpRequest) -> str:
    """The client address, as every per-address limit of the desk takes it."""
    return request_client_address(request) or "unknown"


def visitor(request: HttpRequest) -> str:
    """A cookie-free, one-way fingerprint of the visitor (address and user agent, keyed
    with the secret key): the same person on the same browser maps to the same value,
    and nothing in it can be turned back into the address."""
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    return fingerprint(f"{client(request)}\n{agent}")


def fingerprint(value: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), value.encode("utf-8", "replace"), hashlib.sha256
    ).hexdigest()[:32]


def first_today(kind: str, *parts: str) -> bool:
    """True the first time today (UTC) these parts are seen for `kind`, False after."""
    day = datetime.now(UTC).strftime("%Y%m%d")
    key = "knowledge:once:" + fingerprint("\n".join((kind, day, *parts)))
    return bool(cache.add(key, 1, timeout=DAY_SECONDS + 60))
