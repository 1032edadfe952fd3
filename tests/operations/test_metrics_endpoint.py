"""/metrics: Prometheus text for the bearer of OMNIDESK_METRICS_TOKEN, nothing for others."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from channels_app.models import InboundEvent
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


def _scrape(client, token: str) -> dict[str, list]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        family.name: family.samples
        for family in text_string_to_metric_families(response.content.decode())
    }


def test_there_is_no_metrics_page_while_no_token_is_set(client, settings):
    settings.OMNIDESK_METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_are_refused_without_the_token_or_with_a_wrong_one(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    for header in (f"Bearer {metrics_token}x", "Bearer wrong", f"Token {metrics_token}"):
        response = client.get("/metrics", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert b"omnidesk_" not in response.content


def test_a_scrape_with_the_token_holds_the_desks_metrics(client, metrics_token):
    endpoint = EndpointFactory()
    waiting = InboundEvent.objects.create(endpoint=endpoint, provider_id="waiting")
    InboundEvent.objects.filter(pk=waiting.pk).update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    InboundEvent.objects.create(endpoint=endpoint, provider_id="done", status="processed")
    client.get("/healthz")  # a request the latency histogram has seen

    families = _scrape(client, metrics_token)

    for name in (
        "omnidesk_http_request_duration_seconds",
        "omnidesk_websocket_connections",
        "omnidesk_inbound_processing_seconds",
        "omnidesk_delivery_seconds",
        "omnidesk_delivery_failures",
        "omnidesk_inbound_backlog_events",
        "omnidesk_inbound_backlog_oldest_age_seconds",
        "omnidesk_celery_queue_length",
        "omnidesk_celery_broker_up",
    ):
        assert name in families, name
    assert families["omnidesk_inbound_backlog_events"][0].value == 1
    assert families["omnidesk_inbound_backlog_oldest_age_seconds"][0].value >= 120
    assert families["omnidesk_celery_broker_up"][0].value == 1
    queues = {sample.labels["queue"] for sample in families["omnidesk_celery_queue_length"]}
    assert {"default", "inbound", "outbound", "periodic"} <= queues
    healthz_counts = [
        sample
        for sample in families["omnidesk_http_request_duration_seconds"]
        if sample.name.endswith("_count") and sample.labels["view"] == "healthz"
    ]
    assert healthz_counts and healthz_counts[0].value >= 1


def test_celery_queue_length_counts_the_brokers_waiting_tasks(client, settings, metrics_token):
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"{prefix}outbound"
    broker.delete(key)
    broker.rpush(key, "task-1", "task-2", "task-3")
    try:
        families = _scrape(client, metrics_token)
    finally:
        broker.delete(key)

    lengths = {
        sample.labels["queue"]: sample.value for sample in families["omnidesk_celery_queue_length"]
    }
    assert lengths["outbound"] == 3
