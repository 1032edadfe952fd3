"""The second merge path (issue 20): with OMNIDESK_CONTINUITY_WINDOW_DAYS=0, 205 threads
still merged. Workers draining one backlog together store a customer's later message
before an earlier one; the window was checked on one side only (`last activity >=
arrival - window`), so the earlier message, processed last, joined whatever the later
one had opened, whatever the window. A window is now two-sided, on both inbound paths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from channels_app.types import InboundMessage
from conversations.services import receive_message
from conversations.services.inbound_batch import InboundItem, receive_messages
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms():
    endpoint = EndpointFactory(kind="sms", name="Support SMS")
    TeamFactory(name="Support", endpoints=[endpoint])
    return endpoint


def text(provider_id: str) -> InboundMessage:
    return InboundMessage(
        provider_id=provider_id, identities={"phone": "+14155552671"}, text=provider_id
    )


def test_with_the_window_at_zero_an_earlier_message_processed_late_opens_its_own(sms, settings):
    settings.OMNIDESK_CONTINUITY_WINDOW_DAYS = 0
    arrived = timezone.now()
    later = receive_message(
        endpoint=sms, inbound=text("later"), received_at=arrived + timedelta(seconds=1)
    )
    earlier = receive_message(endpoint=sms, inbound=text("earlier"), received_at=arrived)
    assert earlier.conversation_id != later.conversation_id


def test_the_batch_path_measures_the_window_on_both_sides_too(sms, settings):
    settings.OMNIDESK_CONTINUITY_WINDOW_DAYS = 0
    arrived = timezone.now()
    with transaction.atomic():
        [later] = receive_messages(
            [
                InboundItem(
                    endpoint=sms, inbound=text("later"), received_at=arrived + timedelta(seconds=1)
                )
            ]
        )
    with transaction.atomic():
        [earlier] = receive_messages(
            [InboundItem(endpoint=sms, inbound=text("earlier"), received_at=arrived)]
        )
    assert earlier.conversation_id != later.conversation_id


def test_within_the_window_order_of_processing_does_not_matter(sms, settings):
    settings.OMNIDESK_CONTINUITY_WINDOW_DAYS = 7
    arrived = timezone.now()
    later = receive_message(
        endpoint=sms, inbound=text("later"), received_at=arrived + timedelta(hours=2)
    )
    earlier = receive_message(endpoint=sms, inbound=text("earlier"), received_at=arrived)
    assert earlier.conversation_id == later.conversation_id


def test_beyond_the_window_on_the_far_side_a_message_opens_its_own(sms, settings):
    settings.OMNIDESK_CONTINUITY_WINDOW_DAYS = 1
    arrived = timezone.now() - timedelta(days=5)
    later = receive_message(
        endpoint=sms, inbound=text("later"), received_at=arrived + timedelta(days=3)
    )
    earlier = receive_message(endpoint=sms, inbound=text("earlier"), received_at=arrived)
    assert earlier.conversation_id != later.conversation_id
