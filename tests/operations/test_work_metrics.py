"""The workers' instruments move with the work: inbound processing latency and delivery
failures by channel (read from this process's registry, as a single-process scrape does)."""

import pytest
from prometheus_client import REGISTRY

from conversations.models import Message
from conversations.services import mark_message_failed
from intake import services
from intake.tasks import process_inbound_event
from tests.conftest import inbound
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_processing_an_inbound_event_observes_its_processing_latency(api_endpoint):
    before = _sample("omnidesk_inbound_processing_seconds_count")
    [accepted] = services.accept_inbound(
        endpoint=api_endpoint, messages=[inbound("metric-1", email="a@example.com")]
    )
    process_inbound_event.apply(args=[accepted.event.pk])

    assert _sample("omnidesk_inbound_processing_seconds_count") == before + 1


def test_a_failed_delivery_is_counted_for_its_channel(api_endpoint):
    reply = MessageFactory(
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.AGENT,
        endpoint=api_endpoint,
        conversation__endpoint=api_endpoint,
        delivery_status=Message.DeliveryStatus.SENDING,
    )
    before = _sample("omnidesk_delivery_failures_total", channel=api_endpoint.kind)

    mark_message_failed(message=reply, error="The integration refused it.")

    assert _sample("omnidesk_delivery_failures_total", channel=api_endpoint.kind) == before + 1
