"""Fixed-window rate limits in the shared cache (Redis), so every web process counts together."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once more than `limit` hits fall in the current window."""
    if limit <= 0:
        return False
    bucket = f"widget:rl:{key}:{int(time.time() // window_seconds)}"
    if cache.add(bucket, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:
        # The bucket expired between add and incr: this hit opens a new window.
        cache.add(bucket, 1, timeout=window_seconds + 1)
        return True
    return count <= limit
