"""One Redis connection pool per process for each server, shared by all its threads.

Django keeps a cache backend per thread (per request context under ASGI), and its Redis
client builds a connection pool of its own for each: every request of a web process
opened, and left behind, a Redis connection of its own. Named as the cache's
`pool_class` (settings `CACHES`), `SharedConnectionPool` hands every one of those
clients the same bounded pool instead: at most `max_connections` connections per
process, and a thread that finds them all busy waits up to `timeout` seconds for one.

redis-py's pools are thread-safe, and a pool used in a forked child (a Celery prefork
worker) drops the parent's connections and opens its own.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import redis


class SharedConnectionPool(redis.BlockingConnectionPool):
    _shared: ClassVar[dict[tuple[str, tuple[tuple[str, str], ...]], SharedConnectionPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> SharedConnectionPool:
        """The process's pool for this URL and these options, made on first use."""
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with cls._lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = super().from_url(url, **kwargs)
        return pool


def shared_client(url: str, **kwargs: Any) -> redis.Redis:
    """A client on the process's shared pool for `url`, for code that needs Redis
    commands the cache does not offer (sorted sets)."""
    return redis.Redis(connection_pool=SharedConnectionPool.from_url(url, **kwargs))


def cache_client() -> redis.Redis | None:
    """A client on the default cache's own pool, for what the cache API cannot say (a
    pipeline of commands); None when the cache is not Redis. Keys go through
    `cache.make_and_validate_key` so they share the cache's prefix."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)
