"""Fixed-window rate limits in the shared cache (Redis), so every process counts
together: the widget's per-visitor and per-address limits, the help center's searches.

A hit on a limit is `SET <window key> 0 EX <window> NX` then `INCR`: the first hit of a
window creates its counter with its expiry, and every limit of one call goes to Redis in
one pipelined round trip (the widget checks two on every message; with the cache's
add-then-incr that was four round trips). Without Redis (the local memory cache of a
development desk) each process counts for itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from omnidesk.redis_pool import cache_client


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits on `key` per fixed window of `window_seconds`; a limit of 0
    or less refuses every hit."""

    key: str
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window of the first refusing limit ends


def hit(*limits: Limit) -> Verdict:
    """Count one hit on every limit; allowed when none is over."""
    now = time.time()
    windows = [int(now // max(limit.window_seconds, 1)) for limit in limits]
    buckets = [f"rl:{limit.key}:{window}" for limit, window in zip(limits, windows, strict=True)]
    counts = _count(buckets, [max(limit.window_seconds, 1) + 1 for limit in limits])
    for limit, window, count in zip(limits, windows, counts, strict=True):
        if limit.limit <= 0 or count > limit.limit:
            seconds = max(limit.window_seconds, 1)
            return Verdict(False, max(int((window + 1) * seconds - now), 1))
    return Verdict(True, 0)


def _count(buckets: list[str], timeouts: list[int]) -> list[int]:
    client = cache_client()
    if client is None:
        return [
            _count_in_cache(bucket, timeout)
            for bucket, timeout in zip(buckets, timeouts, strict=True)
        ]
    pipeline = client.pipeline(transaction=False)
    for bucket, timeout in zip(buckets, timeouts, strict=True):
        key = cache.make_and_validate_key(bucket)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
    replies = pipeline.execute()
    return [int(count) for count in replies[1::2]]


def _count_in_cache(bucket: str, timeout: int) -> int:
    if cache.add(bucket, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr: this hit opens a new window
        cache.add(bucket, 1, timeout=timeout)
        return 1
