"""/readyz: 200 with each check's result while the desk can serve, 503 as soon as one of
its dependencies cannot, and 200 again when it returns."""

import time
from datetime import timedelta

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from channels_app.models import InboundEvent
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

CHECKS = {"database", "migrations", "cache", "channel_layer", "broker", "inbound_backlog"}


def _point_redis_users_at(settings, url: str) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "omnidesk.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": url}]},
        }
    }
    settings.CELERY_BROKER_URL = url


def _poll_until(client, status: int, what: str, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        if response.status_code == status:
            return response.json()
    pytest.fail(f"/readyz did not answer {status} within {seconds} s after {what}")


def test_readyz_reports_every_check_and_200_when_all_is_well(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] and check["seconds"] >= 0 for check in body["checks"].values())


def test_readyz_turns_503_when_redis_stops_and_200_when_it_returns(
    client, settings, throwaway_redis
):
    _point_redis_users_at(settings, throwaway_redis.url)
    _poll_until(client, 200, "pointing at a running Redis")

    throwaway_redis.stop()
    body = _poll_until(client, 503, "stopping Redis")
    assert body["status"] == "unavailable"
    for name in ("cache", "channel_layer", "broker"):
        assert not body["checks"][name]["ok"]
        assert body["checks"][name]["error"]
    assert body["checks"]["database"]["ok"]
    # The address of a server is not for the public.
    assert str(throwaway_redis.port) not in str(body["checks"])

    throwaway_redis.start()
    body = _poll_until(client, 200, "restarting Redis")
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_503_while_a_migration_is_unapplied(client):
    latest = MigrationRecorder.Migration.objects.filter(app="channels_app").latest("id")
    latest.delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert not response.json()["checks"]["migrations"]["ok"]


def test_readyz_is_503_when_the_oldest_pending_inbound_event_waited_too_long(client, settings):
    settings.OMNIDESK_READY_MAX_BACKLOG_SECONDS = 300
    endpoint = EndpointFactory()
    InboundEvent.objects.create(endpoint=endpoint, provider_id="fresh")
    assert client.get("/readyz").status_code == 200

    stale = InboundEvent.objects.create(endpoint=endpoint, provider_id="stale")
    InboundEvent.objects.filter(pk=stale.pk).update(
        received_at=timezone.now() - timedelta(minutes=10)
    )
    response = client.get("/readyz")

    assert response.status_code == 503
    backlog = response.json()["checks"]["inbound_backlog"]
    assert not backlog["ok"]
    assert backlog["pending"] == 2
    assert backlog["oldest_age_seconds"] >= 600


def test_a_processed_old_event_does_not_hold_readiness_back(client, settings):
    settings.OMNIDESK_READY_MAX_BACKLOG_SECONDS = 300
    old = InboundEvent.objects.create(endpoint=EndpointFactory(), provider_id="old")
    InboundEvent.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(hours=1), status=InboundEvent.Status.PROCESSED
    )

    assert client.get("/readyz").status_code == 200
