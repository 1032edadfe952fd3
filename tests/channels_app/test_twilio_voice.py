"""Twilio voice: a call is a timeline item; recordings and transcriptions attach to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from channels_app.models import InboundEvent
from conversations.models import Message
from customers.models import Identity
from tests.channels_app.conftest import fixture_json, post_twilio
from tests.factories import ConversationFactory, EndpointFactory, IdentityFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_incoming_call_puts_a_call_item_on_the_timeline_of_the_customer_who_emailed(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    emailer = IdentityFactory(kind=Identity.Kind.EMAIL, value="dana@example.com").customer
    IdentityFactory(customer=emailer, kind=Identity.Kind.PHONE, value="+14155552671")
    earlier = ConversationFactory(customer=emailer, endpoint=EndpointFactory(kind="email"))
    MessageFactory(conversation=earlier)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(
            client, twilio_endpoint, "voice", fixture_json("twilio", "voice_incoming.json")
        )

    assert response.status_code == 200
    call = Message.objects.get(kind=Message.Kind.CALL)
    assert call.conversation == earlier
    assert call.provider_message_id == "CA5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
    assert call.metadata["call"]["status"] == "ringing"
    assert call.metadata["call"]["handling"] == "voicemail"


def test_voicemail_twiml_records_with_callbacks_to_our_hooks(client, twilio_endpoint):
    twilio_endpoint.config = {"voice": {"mode": "voicemail", "greeting": "Leave a message."}}
    twilio_endpoint.save()
    response = post_twilio(
        client, twilio_endpoint, "voice", fixture_json("twilio", "voice_incoming.json")
    )

    root = ET.fromstring(response.content)
    assert [child.tag for child in root] == ["Say", "Record", "Hangup"]
    assert root.find("Say").text == "Leave a message."
    record = root.find("Record")
    base = f"https://desk.example.com/hooks/twilio/{twilio_endpoint.key}"
    assert record.get("recordingStatusCallback") == f"{base}/recording"
    assert record.get("transcribeCallback") == f"{base}/transcription"
    assert record.get("transcribe") == "true"


def test_forward_twiml_dials_the_configured_number_then_falls_back_to_voicemail(
    client, twilio_endpoint
):
    twilio_endpoint.config = {"voice": {"mode": "forward", "forward_to": "+14155550199"}}
    twilio_endpoint.save()
    response = post_twilio(
        client, twilio_endpoint, "voice", fixture_json("twilio", "voice_incoming.json")
    )

    root = ET.fromstring(response.content)
    assert [child.tag for child in root] == ["Dial", "Say", "Record", "Hangup"]
    assert root.find("Dial").text == "+14155550199"


def test_recording_and_transcription_callbacks_attach_to_the_call(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_endpoint, "voice", fixture_json("twilio", "voice_incoming.json"))
        recording = post_twilio(
            client, twilio_endpoint, "recording", fixture_json("twilio", "recording_completed.json")
        )
        transcription = post_twilio(
            client,
            twilio_endpoint,
            "transcription",
            fixture_json("twilio", "transcription_completed.json"),
        )
        replayed = post_twilio(
            client, twilio_endpoint, "recording", fixture_json("twilio", "recording_completed.json")
        )

    assert [recording.status_code, transcription.status_code, replayed.status_code] == [200] * 3
    call = Message.objects.get(kind=Message.Kind.CALL)
    assert Message.objects.count() == 1
    assert call.metadata["call"]["recording_sid"] == "RE1a2b3c4d5e6f708192a3b4c5d6e7f809"
    assert call.metadata["call"]["recording_duration"] == "14"
    assert "I emailed yesterday about order 1042" in call.text
    [attachment] = call.attachments.all()
    assert attachment.content_type == "audio/mpeg"
    assert attachment.remote_url.endswith("/Recordings/RE1a2b3c4d5e6f708192a3b4c5d6e7f809.mp3")
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
