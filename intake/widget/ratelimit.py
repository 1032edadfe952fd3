"""The widget's rate limits: fixed windows in the shared cache (`omnidesk.ratelimit`)."""

from __future__ import annotations

from omnidesk.ratelimit import Limit, hit


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once more than `limit` hits fall in the current window."""
    return allow_all(Limit(key, limit, window_seconds))


def allow_all(*limits: Limit) -> bool:
    """Count one hit on each limit (one round trip); False when any is over."""
    return hit(
        *(Limit(f"widget:{limit.key}", limit.limit, limit.window_seconds) for limit in limits)
    ).allowed
