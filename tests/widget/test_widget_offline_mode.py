"""No agent online: the widget says so; a reply to a visitor who left goes by email and
waits in the widget for their return."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_widget_is_offline_when_no_agent_of_the_team_is_online(
    widget_endpoint, widget_agent
):
    await db_call(AgentProfile.objects.filter(user=widget_agent).update)(
        presence=AgentProfile.Presence.AWAY
    )
    widget, _ = await open_widget(widget_endpoint)
    welcome = await widget.hello()
    assert welcome["availability"] == {"online": False, "reply_time": ""}
    await widget.close()


async def test_an_agent_online_in_another_team_does_not_count(widget_endpoint, widget_agent):
    from tests.factories import TeamFactory, make_agent

    await db_call(AgentProfile.objects.filter(user=widget_agent).update)(
        presence=AgentProfile.Presence.OFFLINE
    )

    def other_team_agent_online():
        other = make_agent(username="dave", teams=[TeamFactory(name="Other")])
        AgentProfile.objects.filter(user=other).update(presence=AgentProfile.Presence.ONLINE)

    await db_call(other_team_agent_online)()
    widget, _ = await open_widget(widget_endpoint)
    assert (await widget.hello())["availability"]["online"] is False
    await widget.close()


async def test_reply_to_a_departed_visitor_is_emailed_and_shown_on_return(
    widget_endpoint, widget_agent, mailoutbox
):
    await db_call(AgentProfile.objects.filter(user=widget_agent).update)(
        presence=AgentProfile.Presence.OFFLINE
    )
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    await widget.say("c1", "Are you there?")
    await widget.send({"type": "contact", "email": "dana@example.com"})
    await widget.wait_for(lambda f: f["type"] == "contact_saved")
    conversation = await db_call(Conversation.objects.get)()

    # While the visitor is still on the page, a reply is not emailed.
    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=widget_agent, text="Live answer"
    )
    await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["from"] == "agent")
    assert mailoutbox == []
    await widget.close()

    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=widget_agent, text="Answer by email"
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["dana@example.com"]
    assert "Answer by email" in mailoutbox[0].body
    assert "Carol" in mailoutbox[0].body
    reply = await db_call(Message.objects.get)(text="Answer by email")
    assert reply.delivery_status == Message.DeliveryStatus.SENT

    again, _ = await open_widget(widget_endpoint)
    welcome = await again.hello(token=token)
    assert [m["text"] for m in welcome["messages"]] == [
        "Are you there?",
        "Live answer",
        "Answer by email",
    ]
    await again.close()


async def test_the_widget_is_offline_outside_the_teams_business_hours(
    widget_endpoint, widget_team, widget_agent
):
    from datetime import time

    from django.utils import timezone

    from agents.models import BusinessHours, BusinessHoursInterval

    def close_the_team_today():
        hours = BusinessHours.objects.create(name="Not today", timezone="UTC")
        other_day = (timezone.now().weekday() + 3) % 7
        BusinessHoursInterval.objects.create(
            business_hours=hours, weekday=other_day, opens=time(9), closes=time(17)
        )
        widget_team.business_hours = hours
        widget_team.save(update_fields=["business_hours"])

    widget, _ = await open_widget(widget_endpoint)
    assert (await widget.hello())["availability"]["online"] is True
    await widget.close()
    await db_call(close_the_team_today)()
    widget, _ = await open_widget(widget_endpoint)
    assert (await widget.hello())["availability"]["online"] is False
    await widget.close()
