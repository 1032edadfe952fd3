"""WhatsApp's 24-hour customer service window: free text inside, templates outside."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from omnidesk.errors import ApplicationError
from tests.channels_app.conftest import fixture_json, meta_endpoint, post_meta
from tests.channels_app.fake_providers import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def whatsapp(db):
    return meta_endpoint("whatsapp", phone_number_id="106540352242922")


@pytest.fixture
def stale_conversation(client, whatsapp, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, whatsapp, fixture_json("meta", "whatsapp_text.json"))
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))
    return Conversation.objects.get()


def test_free_text_outside_the_window_is_refused_with_a_clear_message(
    stale_conversation, agent, fake_provider
):
    with pytest.raises(ApplicationError) as refused:
        conversation_services.send_reply(
            conversation=stale_conversation, author=agent, text="Are you still there?"
        )
    assert "24 hours" in refused.value.message
    assert "template" in refused.value.message
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert fake_provider.requests == []


def test_free_text_inside_the_window_is_allowed(
    client, whatsapp, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/messages", Reply(200, fixture_json("meta", "whatsapp_send_response.json"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, whatsapp, fixture_json("meta", "whatsapp_text.json"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=Conversation.objects.get(), author=agent, text="Within the window"
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT


def test_an_approved_template_can_be_sent_outside_the_window(
    stale_conversation, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/messages", Reply(200, fixture_json("meta", "whatsapp_send_response.json"))
    )
    template = {
        "name": "order_update",
        "language": "en_US",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "1042"}]}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=stale_conversation,
            author=agent,
            text="Template order_update: your order 1042 has shipped",
            template=template,
        )
    [request] = fake_provider.requests
    body = request.json()
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "1042"}]}],
    }
    assert "text" not in body
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT


def test_the_api_refuses_free_text_outside_the_window_and_sends_a_template(
    stale_conversation, agent, support_team, fake_provider, django_capture_on_commit_callbacks
):
    from tests.conftest import api_client_for

    support_team.endpoints.add(stale_conversation.endpoint)
    fake_provider.on(
        "POST", r".*/messages", Reply(200, fixture_json("meta", "whatsapp_send_response.json"))
    )
    client = api_client_for(agent)
    url = f"/api/v1/conversations/{stale_conversation.pk}/messages/"
    refused = client.post(url, {"text": "Still there?"}, format="json")
    assert refused.status_code == 400
    assert "template" in refused.json()["error"]["message"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            url,
            {"text": "Your order shipped", "template": {"name": "order_update", "language": "en"}},
            format="json",
        )
    assert sent.status_code == 201
    [request] = fake_provider.requests
    assert request.json()["template"] == {"name": "order_update", "language": {"code": "en"}}


def test_an_agent_picks_an_approved_template_in_the_inbox_outside_the_window(
    client,
    stale_conversation,
    agent,
    support_team,
    fake_provider,
    django_capture_on_commit_callbacks,
):
    fake_provider.on(
        "POST", r".*/messages", Reply(200, fixture_json("meta", "whatsapp_send_response.json"))
    )
    whatsapp = stale_conversation.endpoint
    whatsapp.config = {
        **whatsapp.config,
        "templates": [{"name": "order_update", "language": "en_US", "text": "Your order shipped"}],
    }
    whatsapp.save()
    support_team.endpoints.add(whatsapp)
    client.force_login(agent)
    url = f"/inbox/c/{stale_conversation.pk}/"
    page = client.get(url)
    choice = f"{whatsapp.pk}:order_update:en_US"
    assert f'value="{choice}"' in page.content.decode()

    refused = client.post(f"{url}reply/", {"text": "Hello?", "force": "1"})
    assert "24 hours" in refused.content.decode()
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}reply/", {"text": "", "template": choice, "force": "1"})
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.text == "Your order shipped"
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    [request] = fake_provider.requests
    assert request.json()["template"] == {"name": "order_update", "language": {"code": "en_US"}}
