"""CSAT: a survey per resolution on the channel the conversation ended on, and its answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import change_status, receive_message
from omnidesk.errors import ApplicationError
from reporting.models import CsatResponse, CsatSurvey
from reporting.services import record_csat_response
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


def msg(provider_id: str, text: str = "hi", **identities: str) -> InboundMessage:
    return InboundMessage(provider_id=provider_id, identities=identities, text=text)


def resolve(conversation: Conversation, django_capture_on_commit_callbacks, actor=None) -> None:
    """Resolve and run what change_status schedules after commit (the survey), but not
    the delivery the survey itself schedules: that is channels_app's, and would call a
    provider."""
    with django_capture_on_commit_callbacks() as callbacks:
        change_status(conversation=conversation, status="resolved", actor=actor)
    for callback in callbacks:
        callback()


@pytest.fixture
def endpoints():
    endpoints = {
        kind: EndpointFactory(kind=kind, name=kind)
        for kind in ("email", "sms", "whatsapp", "webchat", "api", "telegram")
    }
    TeamFactory(name="Support", endpoints=list(endpoints.values()))
    return endpoints


def test_resolving_sends_a_link_survey_on_the_channel_the_conversation_ended_on(
    endpoints, django_capture_on_commit_callbacks
):
    by_sms = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    # Moving to email, the customer names the conversation (its number in the subject):
    # a new email would open one of its own.
    receive_message(
        endpoint=endpoints["email"],
        inbound=replace(
            msg("e1", phone="+14155552671", email="d@x.com"),
            subject=f"Re: hi [#{by_sms.conversation_id}]",
        ),
    )
    conversation = Conversation.objects.get()

    resolve(conversation, django_capture_on_commit_callbacks)

    survey = CsatSurvey.objects.get()
    assert (survey.conversation, survey.resolution_number) == (conversation, 1)
    assert (survey.channel, survey.method) == ("email", CsatSurvey.Method.LINK)
    message = survey.message
    assert message.direction == Message.Direction.OUTBOUND
    assert message.kind == Message.Kind.BOT
    assert message.channel == "email"
    assert message.endpoint == endpoints["email"]
    assert message.metadata["to"] == "d@x.com"
    assert f"/csat/{survey.token}/" in message.text
    assert message.delivery_status == Message.DeliveryStatus.QUEUED
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.first_response_at is None  # a survey is not a response


def test_survey_message_is_delivered_by_the_delivery_task(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["api"], inbound=msg("a1", email="d@x.com"))
    conversation = Conversation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, status="resolved", actor=None)

    message = CsatSurvey.objects.get().message
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT


def test_messaging_channels_get_a_keyword_survey(endpoints, django_capture_on_commit_callbacks):
    receive_message(endpoint=endpoints["whatsapp"], inbound=msg("w1", phone="+14155552671"))
    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)

    survey = CsatSurvey.objects.get()
    assert (survey.channel, survey.method) == ("whatsapp", CsatSurvey.Method.KEYWORD)
    assert "Reply with a number from 1" in survey.message.text
    assert "/csat/" not in survey.message.text


def test_endpoint_setting_turns_surveys_off(endpoints, django_capture_on_commit_callbacks):
    endpoints["email"].config = {"csat_enabled": False}
    endpoints["email"].save()
    receive_message(endpoint=endpoints["email"], inbound=msg("e1", email="d@x.com"))

    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)

    assert not CsatSurvey.objects.exists()
    assert not Message.objects.filter(kind=Message.Kind.BOT).exists()


def test_one_survey_per_resolution_and_a_new_one_after_a_reopen(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["email"], inbound=msg("e1", email="d@x.com"))
    conversation = Conversation.objects.get()
    resolve(conversation, django_capture_on_commit_callbacks)
    from reporting.services import on_conversation_resolved

    assert on_conversation_resolved(conversation.pk) is None  # run twice: no-op

    change_status(conversation=conversation, status="open", actor=None)
    resolve(conversation, django_capture_on_commit_callbacks)

    assert list(
        CsatSurvey.objects.order_by("resolution_number").values_list("resolution_number", flat=True)
    ) == [1, 2]


def test_survey_not_sent_when_reopened_before_the_callback_runs(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["email"], inbound=msg("e1", email="d@x.com"))
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        change_status(conversation=conversation, status="resolved", actor=None)
    change_status(conversation=conversation, status="open", actor=None)
    for callback in callbacks:
        callback()

    assert not CsatSurvey.objects.exists()


def test_bare_digit_reply_answers_the_open_keyword_survey_without_reopening(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    conversation = Conversation.objects.get()
    agent = make_agent(username="alice")
    resolve(conversation, django_capture_on_commit_callbacks, actor=agent)

    reply = receive_message(
        endpoint=endpoints["sms"], inbound=msg("s2", " 4 ", phone="+14155552671")
    )

    assert Conversation.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    assert reply.conversation == conversation
    answer = CsatResponse.objects.get()
    assert (answer.score, answer.channel, answer.customer_id) == (
        4,
        "sms",
        conversation.customer_id,
    )
    event = conversation.events.get(kind="csat")
    assert event.data["score"] == 4
    # Replayed delivery: the same provider id is one message, one answer.
    again = receive_message(endpoint=endpoints["sms"], inbound=msg("s2", "4", phone="+14155552671"))
    assert again == reply
    assert CsatResponse.objects.count() == 1


def test_a_second_bare_digit_after_the_answer_is_an_ordinary_message(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)
    receive_message(endpoint=endpoints["sms"], inbound=msg("s2", "5", phone="+14155552671"))

    receive_message(endpoint=endpoints["sms"], inbound=msg("s3", "2", phone="+14155552671"))

    assert CsatResponse.objects.get().score == 5
    assert Conversation.objects.count() == 2  # the "2" opened a new conversation


@pytest.mark.parametrize("text", ["5 but my parcel is still missing", "6", "10", "five"])
def test_text_that_is_not_a_bare_score_follows_the_normal_path(
    text, endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)

    receive_message(endpoint=endpoints["sms"], inbound=msg("s2", text, phone="+14155552671"))

    assert not CsatResponse.objects.exists()
    assert Conversation.objects.count() == 2


def test_bare_digit_after_the_reply_window_is_an_ordinary_message(
    endpoints, django_capture_on_commit_callbacks, settings
):
    receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(hours=settings.OMNIDESK_CSAT_REPLY_WINDOW_HOURS + 1)

    receive_message(
        endpoint=endpoints["sms"], inbound=msg("s2", "5", phone="+14155552671"), received_at=later
    )

    assert not CsatResponse.objects.exists()


def test_bare_digit_on_another_channel_does_not_answer_the_sms_survey(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    resolve(Conversation.objects.get(), django_capture_on_commit_callbacks)

    receive_message(endpoint=endpoints["whatsapp"], inbound=msg("w1", "5", phone="+14155552671"))

    assert not CsatResponse.objects.exists()


def test_record_csat_response_validates_the_score_and_refuses_a_second_answer(
    endpoints, django_capture_on_commit_callbacks
):
    receive_message(endpoint=endpoints["webchat"], inbound=msg("c1", webchat="visitor-abc"))
    conversation = Conversation.objects.get()
    resolve(conversation, django_capture_on_commit_callbacks)

    for bad in (0, 6, "x", None, 2.5, True):
        with pytest.raises(ApplicationError):
            record_csat_response(conversation=conversation, score=bad, channel="webchat")

    answer = record_csat_response(
        conversation=conversation, score=3, comment="  ok-ish  ", channel="webchat"
    )
    assert (answer.score, answer.comment, answer.survey.channel) == (3, "ok-ish", "webchat")
    with pytest.raises(ApplicationError) as refused:
        record_csat_response(conversation=conversation, score=5, channel="webchat")
    assert refused.value.status_code == 409
    assert ConversationEvent.objects.filter(kind="csat").count() == 1


def test_record_csat_response_without_a_survey_is_refused(endpoints):
    receive_message(endpoint=endpoints["webchat"], inbound=msg("c1", webchat="visitor-abc"))
    with pytest.raises(ApplicationError):
        record_csat_response(conversation=Conversation.objects.get(), score=5, channel="webchat")


def test_survey_records_team_and_agent_at_resolution(endpoints, django_capture_on_commit_callbacks):
    receive_message(endpoint=endpoints["email"], inbound=msg("e1", email="d@x.com"))
    conversation = Conversation.objects.get()
    alice = make_agent(username="alice")
    conversation.assignee = alice
    conversation.save()
    resolve(conversation, django_capture_on_commit_callbacks)

    survey = CsatSurvey.objects.get()
    assert survey.agent == alice
    assert survey.team.name == "Support"
    assert endpoints["email"].kind == ChannelEndpoint.Kind.EMAIL
