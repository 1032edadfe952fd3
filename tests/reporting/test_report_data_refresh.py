"""The stored report data (facts, waits, hourly rollup) follows the conversations."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.types import InboundMessage
from conversations.models import Conversation
from conversations.services import change_status, merge_customers, receive_message, send_reply
from reporting.models import ConversationFact, MessageRollup, ResponseWait
from reporting.selectors.cohort import conversation_breakdown
from reporting.selectors.filters import ReportFilters
from reporting.selectors.volume import message_volume
from reporting.selectors.waits import next_response_metrics
from reporting.services import refresh_report_data
from tests.factories import EndpointFactory, TeamFactory, make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db


def test_stored_facts_equal_the_live_definition_sql():
    dataset.build()
    refresh_report_data()
    filters = ReportFilters(start=dataset.WEEK_START, end=dataset.WEEK_END, tz="UTC")
    groupings = ["agent", "team", "channel"]
    stored = conversation_breakdown(filters=filters, groupings=groupings)
    live = conversation_breakdown(filters=filters, groupings=groupings, live=True)
    assert stored == live
    business = ReportFilters(start=filters.start, end=filters.end, tz="UTC", business=True)
    assert conversation_breakdown(filters=business) == conversation_breakdown(
        filters=business, live=True
    )


def today_filters(**kwargs) -> ReportFilters:
    today = timezone.localdate()
    return ReportFilters(start=today - timedelta(days=1), end=today + timedelta(days=1), **kwargs)


def msg(provider_id: str, text: str = "hi", **identities: str) -> InboundMessage:
    return InboundMessage(provider_id=provider_id, identities=identities, text=text)


def test_incremental_refresh_picks_up_new_messages_replies_statuses_and_merges(
    django_capture_on_commit_callbacks,
):
    email = EndpointFactory(kind="email")
    sms = EndpointFactory(kind="sms")
    TeamFactory(name="Support", endpoints=[email, sms])
    agent = make_agent(username="alice")
    refresh_report_data()
    assert ConversationFact.objects.count() == 0

    receive_message(
        endpoint=email, inbound=replace(msg("e1", email="d@x.com"), email_message_id="<e1@x.com>")
    )
    first = Conversation.objects.get()
    outcome = refresh_report_data()
    assert not outcome.full
    assert outcome.conversations == 1
    total = conversation_breakdown(filters=today_filters())["total"]
    assert (total["conversations"], total["unanswered"]) == (1, 1)
    assert sum(row["count"] for row in message_volume(filters=today_filters())) == 1

    send_reply(conversation=first, author=agent, text="Looking")
    # A reply in her thread (a new email would open a conversation of its own).
    receive_message(
        endpoint=email,
        inbound=replace(msg("e2", "more", email="d@x.com"), email_in_reply_to="<e1@x.com>"),
    )
    send_reply(conversation=first, author=agent, text="Done")
    with django_capture_on_commit_callbacks():
        change_status(conversation=first, status="resolved", actor=agent)
    refresh_report_data()
    total = conversation_breakdown(filters=today_filters())["total"]
    assert (total["resolved"], total["unanswered"], total["repeat_contacts"]) == (1, 0, 0)
    assert next_response_metrics(filters=today_filters())["waits"] == 1
    assert ResponseWait.objects.get().replied_at is not None
    assert MessageRollup.objects.get().count == 2

    # Another customer texts; later found to be the same person and merged: the first
    # conversation becomes a repeat contact although it did not change itself.
    receive_message(endpoint=sms, inbound=msg("s1", phone="+14155552671"))
    second = Conversation.objects.exclude(pk=first.pk).get()
    refresh_report_data()
    assert conversation_breakdown(filters=today_filters())["total"]["repeat_contacts"] == 0
    merge_customers(source=second.customer, target=first.customer, actor=agent)
    refresh_report_data()
    assert conversation_breakdown(filters=today_filters())["total"]["repeat_contacts"] == 1
    by_channel = {r["channel"]: r["count"] for r in message_volume(filters=today_filters())}
    assert by_channel == {"email": 2, "sms": 1}


def test_full_refresh_rebuilds_everything():
    dataset.build()
    refresh_report_data()
    before = sorted(ConversationFact.objects.values_list("conversation_id", "frt"))
    ConversationFact.objects.all().update(frt=0)
    outcome = refresh_report_data(full=True)
    assert outcome.full
    assert sorted(ConversationFact.objects.values_list("conversation_id", "frt")) == before
