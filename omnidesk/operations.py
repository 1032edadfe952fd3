"""What an operator asks of a running desk: is it ready to serve (`/readyz`), and the
numbers read at scrape time for `/metrics` (inbound backlog, Celery queue lengths).

Each readiness check opens its own short-lived connection with a short timeout, so the
answer comes within seconds when a server is down, and never reuses a pooled connection
that a dead server left behind. Failures are named by exception class only: the body is
public, and an error's text may hold an address or a password from a URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from channels_app.models import InboundEvent


class NotReady(Exception):
    """A check's resource answered, but the answer means "not ready"."""

    def __init__(self, reason: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.detail = detail


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    seconds: float
    error: str = ""
    detail: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, "seconds": round(self.seconds, 4)}
        if self.error:
            body["error"] = self.error
        if self.detail:
            body.update(self.detail)
        return body


def _timeout() -> float:
    return float(getattr(settings, "OMNIDESK_READY_CHECK_TIMEOUT_SECONDS", 1.5))


def _ping_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=_timeout(), socket_timeout=_timeout(), retry_on_timeout=False
    )
    try:
        client.ping()
    finally:
        client.close()


def _redis_urls_of_cache() -> list[str]:
    cache = settings.CACHES.get("default", {})
    if "redis" not in cache.get("BACKEND", "").lower():
        return []
    location = cache.get("LOCATION", "")
    return [location] if isinstance(location, str) else list(location)


def _redis_urls_of_channel_layer() -> list[str]:
    # Any layer with Redis hosts (ours, omnidesk.channel_layer, or channels-redis's);
    # the in-memory one has none.
    layer = settings.CHANNEL_LAYERS.get("default", {})
    hosts = layer.get("CONFIG", {}).get("hosts", [])
    return [host["address"] if isinstance(host, dict) else host for host in hosts]


def _broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://", "unix://")) else ""


def check_database() -> dict[str, Any] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def check_cache() -> dict[str, Any] | None:
    for url in _redis_urls_of_cache():
        _ping_redis(url)
    return None


def check_channel_layer() -> dict[str, Any] | None:
    for url in _redis_urls_of_channel_layer():
        _ping_redis(url)
    return None


def check_broker() -> dict[str, Any] | None:
    if url := _broker_url():
        _ping_redis(url)
    return None


def check_migrations() -> dict[str, Any] | None:
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise NotReady(f"{len(unapplied)} unapplied migrations")
    return None


def inbound_backlog() -> tuple[int, float]:
    """Pending inbound events and the age in seconds of the oldest (0 when none): one
    query on the pending events' partial index."""
    backlog = InboundEvent.objects.filter(status=InboundEvent.Status.PENDING).aggregate(
        count=Count("id"), oldest=Min("received_at")
    )
    if backlog["oldest"] is None:
        return 0, 0.0
    return backlog["count"], max((timezone.now() - backlog["oldest"]).total_seconds(), 0.0)


def check_inbound_backlog() -> dict[str, Any] | None:
    count, oldest_age = inbound_backlog()
    limit = float(settings.OMNIDESK_READY_MAX_BACKLOG_SECONDS)
    detail = {"pending": count, "oldest_age_seconds": round(oldest_age, 1)}
    if oldest_age > limit:
        raise NotReady(f"oldest pending inbound event older than {limit:g} s", detail=detail)
    return detail


READINESS_CHECKS: dict[str, Callable[[], dict[str, Any] | None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
    "inbound_backlog": check_inbound_backlog,
}
# Meaningless without the database: not run (and reported failed) when it is down.
_NEEDS_DATABASE = {"migrations", "inbound_backlog"}


def readiness() -> list[CheckResult]:
    results: list[CheckResult] = []
    database_ok = True
    for name, check in READINESS_CHECKS.items():
        if name in _NEEDS_DATABASE and not database_ok:
            results.append(CheckResult(name, ok=False, seconds=0.0, error="database unreachable"))
            continue
        started = time.perf_counter()
        try:
            detail = check()
        except NotReady as exc:
            results.append(
                CheckResult(name, False, time.perf_counter() - started, str(exc), exc.detail)
            )
        except Exception as exc:  # any failure to reach a server means "not ready"
            results.append(
                CheckResult(name, False, time.perf_counter() - started, type(exc).__name__)
            )
        else:
            results.append(CheckResult(name, True, time.perf_counter() - started, detail=detail))
        if name == "database" and not results[-1].ok:
            database_ok = False
    return results


# --- Read at scrape time -------------------------------------------------------------------


def celery_queue_names() -> list[str]:
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    queues.update(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())
    return sorted(queues)


def celery_queue_lengths() -> dict[str, int]:
    """LLEN of each queue's list in the broker (kombu prefixes keys with
    `global_keyprefix`); empty when the broker is not Redis."""
    url = _broker_url()
    if not url:
        return {}
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    client = redis.Redis.from_url(url, socket_connect_timeout=_timeout(), socket_timeout=_timeout())
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in celery_queue_names():
                pipe.llen(f"{prefix}{queue}")
            lengths = pipe.execute()
    finally:
        client.close()
    return dict(zip(celery_queue_names(), lengths, strict=True))


class ScrapeTimeCollector(Collector):
    """Numbers every process agrees on, read from PostgreSQL and Redis when scraped."""

    def collect(self) -> Iterator[Metric]:
        count, oldest_age = inbound_backlog()
        yield GaugeMetricFamily(
            "omnidesk_inbound_backlog_events", "Inbound events waiting to be processed.", count
        )
        yield GaugeMetricFamily(
            "omnidesk_inbound_backlog_oldest_age_seconds",
            "Age of the oldest inbound event waiting to be processed (0 when none).",
            oldest_age,
        )
        queues = GaugeMetricFamily(
            "omnidesk_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        up = 1.0
        try:
            lengths = celery_queue_lengths()
        except redis.RedisError:
            lengths, up = {}, 0.0
        for queue, length in lengths.items():
            queues.add_metric([queue], length)
        yield queues
        yield GaugeMetricFamily(
            "omnidesk_celery_broker_up", "1 when the broker answered this scrape.", up
        )

    def describe(self) -> Iterator[Metric]:
        return iter(())
