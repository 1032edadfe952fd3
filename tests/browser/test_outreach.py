"""Outreach in the inbox (Chromium): a supervisor sends the customer a notification from
the conversation's header, and an agent schedules a reply with "Send later" (then it
goes out when the periodic task finds it due)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agents.models import AgentProfile
from channels_app.types import InboundMessage
from conversations.models import Conversation
from conversations.services import receive_message
from outreach import services
from outreach.models import Notification, ScheduledReply
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.channels_app.conftest import TWILIO_CREDENTIALS, fake_provider  # noqa: F401
from tests.factories import EndpointFactory, TeamFactory, make_agent
from tests.outreach.conftest import DANA_PHONE, answer_twilio

pytestmark = pytest.mark.browser


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk() -> Conversation:
    endpoint = EndpointFactory(kind="sms", name="Support line", credentials=TWILIO_CREDENTIALS)
    team = TeamFactory(name="Phone", endpoints=[endpoint])
    make_agent(username="pat", first_name="Pat", teams=[team])
    make_agent(username="sam", first_name="Sam", role=AgentProfile.Role.SUPERVISOR)
    message = receive_message(
        endpoint=endpoint,
        inbound=InboundMessage(
            provider_id="SMoutreach1",
            identities={"phone": DANA_PHONE},
            text="Is my parcel coming?",
            sender_name="Dana Scully",
        ),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def test_a_supervisor_notifies_and_an_agent_schedules_a_reply(
    live_server_asgi,
    browser,
    fake_provider,  # noqa: F811
    settings,
):
    settings.OMNIDESK_PUBLIC_URL = live_server_asgi.url
    answer_twilio(fake_provider)
    conversation = off_loop(build_desk)
    url = f"{live_server_asgi.url}/inbox/c/{conversation.pk}/"

    supervisor_page = new_page(browser)
    try:
        login(supervisor_page, live_server_asgi, "sam")
        supervisor_page.goto(url)
        expect(supervisor_page.locator("#live-status")).to_have_attribute("data-state", "live")
        supervisor_page.locator("#notify-customer summary").click()
        supervisor_page.fill("#notify-text", "Your parcel is out for delivery today.")
        supervisor_page.click("#notify-send")
        # The header is redrawn as the conversation changes: the form's list of recent
        # notifications says what happened either way.
        expect(supervisor_page.locator(".recent-notifications")).to_contain_text(
            "Queued: Your parcel is out for delivery today."
        )
        screenshot(supervisor_page, "outreach-notify")
    finally:
        supervisor_page.context.close()
    notification = Notification.objects.get()
    assert notification.status == Notification.Status.QUEUED
    assert notification.message.conversation_id == conversation.pk
    wait_for(lambda: len(fake_provider.requests) == 1, "the notification reached Twilio")
    assert fake_provider.requests[0].form()["Body"] == ["Your parcel is out for delivery today."]

    agent_page = new_page(browser)
    send_at = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        second=0, microsecond=0
    )
    try:
        login(agent_page, live_server_asgi, "pat")
        agent_page.goto(url)
        expect(agent_page.locator("#live-status")).to_have_attribute("data-state", "live")
        agent_page.fill("#composer-text", "Good morning! Did the parcel arrive?")
        agent_page.locator(".send-later summary").click()
        agent_page.fill("#send-later-at", send_at.strftime("%Y-%m-%dT%H:%M"))
        agent_page.click("#schedule-button")
        item = agent_page.locator(".scheduled-reply")
        expect(item).to_contain_text("Good morning! Did the parcel arrive?")
        # Scheduled, not sent: the composer is emptied so it is not sent twice.
        expect(agent_page.locator("#composer-text")).to_have_value("")
        screenshot(agent_page, "outreach-scheduled-reply")
    finally:
        agent_page.context.close()

    scheduled = ScheduledReply.objects.get()
    assert (scheduled.status, scheduled.author.username) == ("scheduled", "pat")
    assert scheduled.send_at == send_at
    assert len(fake_provider.requests) == 1

    off_loop(services.send_due_outreach, now=send_at)
    wait_for(lambda: len(fake_provider.requests) == 2, "the scheduled reply reached Twilio")
    assert fake_provider.requests[1].form()["Body"] == ["Good morning! Did the parcel arrive?"]
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.SENT
