"""Prometheus instruments observed in process, and the middleware that times requests.

What can be read from the database or Redis when Prometheus scrapes (the inbound backlog,
Celery queue lengths) is computed then, in `omnidesk/operations.py`, and holds for every
process. The instruments here live in the process that observes them: web processes for
requests and websockets, Celery workers for inbound processing and delivery. With several
processes, set `PROMETHEUS_MULTIPROC_DIR` to a directory shared by the processes of one
host (emptied at start): prometheus_client then adds up every process's values at scrape.
Without it, a scrape sees only the process that answers it (docs/operations.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# From a few milliseconds (a request) to an hour (a delivery waiting out its retries).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)

REQUEST_LATENCY = Histogram(
    "omnidesk_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL name (view), method and status class.",
    ["view", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "omnidesk_websocket_connections",
    "Open inbox websocket connections of signed-in users.",
    multiprocess_mode="livesum",
)
INBOUND_PROCESSING_LATENCY = Histogram(
    "omnidesk_inbound_processing_seconds",
    "Time from an inbound event's receipt to the end of its processing.",
    buckets=_LATENCY_BUCKETS,
)
DELIVERY_LATENCY = Histogram(
    "omnidesk_delivery_seconds",
    "Time from an outbound message's creation to its acceptance by the provider, by channel.",
    ["channel"],
    buckets=_LATENCY_BUCKETS,
)
DELIVERY_FAILURES = Counter(
    "omnidesk_delivery_failures",
    "Outbound messages marked failed (given up on, or failed by the provider), by channel.",
    ["channel"],
)


def observe_inbound_processed(*, received_at: Iterable[datetime]) -> None:
    now = timezone.now()
    for moment in received_at:
        INBOUND_PROCESSING_LATENCY.observe(max((now - moment).total_seconds(), 0.0))


def observe_delivery_sent(*, channel: str, created_at: datetime) -> None:
    DELIVERY_LATENCY.labels(channel=channel).observe(
        max((timezone.now() - created_at).total_seconds(), 0.0)
    )


def count_delivery_failure(*, channel: str) -> None:
    DELIVERY_FAILURES.labels(channel=channel).inc()


def in_process_collector() -> Collector:
    """Every process's instruments in multiprocess mode, else this process's registry."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return MultiProcessCollector(None)
    return REGISTRY


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry for one scrape: the in-process instruments plus `collectors`."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (in_process_collector(), *collectors):
        registry.register(_Forward(collector))
    return registry


class _Forward(Collector):
    # A registry refuses a collector another registry holds (the default one), so each
    # scrape's registry holds forwarders.
    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def collect(self) -> Iterable[Any]:
        return self.collector.collect()

    def describe(self) -> Iterable[Any]:
        return []


def _status_class(status_code: int) -> str:
    return f"{status_code // 100}xx"


def _view_name(request: HttpRequest) -> str:
    # The URL name, never the path: paths hold ids and tokens, and would grow without end.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


def _observe(request: HttpRequest, response: HttpResponse, started: float) -> None:
    REQUEST_LATENCY.labels(
        view=_view_name(request),
        method=request.method or "",
        status=_status_class(response.status_code),
    ).observe(time.perf_counter() - started)


@sync_and_async_middleware
def request_latency_middleware(
    get_response: Callable[[HttpRequest], Any],
) -> Callable[[HttpRequest], Any]:
    if iscoroutinefunction(get_response):

        async def timed_async(request: HttpRequest) -> HttpResponse:
            started = time.perf_counter()
            response = await get_response(request)
            _observe(request, response, started)
            return response

        return timed_async

    def timed(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = get_response(request)
        _observe(request, response, started)
        return response

    return timed
