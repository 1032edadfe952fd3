"""Message metrics (volume, heatmap, next response time) and CSAT on the hand-built week."""

from __future__ import annotations

from datetime import date

import pytest

from reporting.selectors.csat import csat_metrics, csat_trend
from reporting.selectors.volume import conversation_volume, message_heatmap, message_volume
from reporting.selectors.waits import next_response_metrics
from tests.reporting.conftest import MIN, week_filters

pytestmark = pytest.mark.django_db


def test_new_conversations_by_day_and_starting_channel(week):
    rows = conversation_volume(filters=week_filters())
    by_channel: dict[str, int] = {}
    by_day: dict[date, int] = {}
    for row in rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["count"]
        by_day[row["day"]] = by_day.get(row["day"], 0) + row["count"]
    # C1, C3, C5 started by email; C2 web chat; C4, C6 SMS. C3's later SMS and WhatsApp
    # messages do not make it a WhatsApp conversation.
    assert by_channel == {"email": 3, "webchat": 1, "sms": 2}
    assert by_day == {
        date(2026, 3, 2): 1,
        date(2026, 3, 3): 1,
        date(2026, 3, 4): 1,
        date(2026, 3, 5): 1,
        date(2026, 3, 6): 2,
    }


def test_customer_messages_by_channel_and_endpoint(week):
    rows = message_volume(filters=week_filters())
    by_channel: dict[str, int] = {}
    for row in rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["count"]
    # Email: C1 x2, C3, C5; web chat: C2 x2; SMS: C3, C4, C6; WhatsApp: C3. Agent replies,
    # and C7 (last week), are not counted.
    assert by_channel == {"email": 4, "webchat": 2, "sms": 3, "whatsapp": 1}
    sms_endpoint = week.endpoints["sms"].pk
    filtered = message_volume(filters=week_filters(endpoint_id=sms_endpoint))
    assert sum(row["count"] for row in filtered) == 3


def test_heatmap_by_weekday_and_hour(week):
    grid = message_heatmap(filters=week_filters())
    cells = {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n}
    assert cells == {
        (0, 9): 1,  # Mon C1
        (0, 10): 1,
        (1, 10): 1,  # Tue C2
        (1, 11): 1,
        (2, 8): 1,  # Wed C3 email
        (2, 9): 2,  # Wed C3 SMS 09:30, WhatsApp 09:40
        (3, 9): 1,  # Thu C4
        (4, 10): 1,  # Fri C5
        (4, 16): 1,  # Fri C6
    }


def test_heatmap_uses_the_report_timezone(week):
    grid = message_heatmap(filters=week_filters(tz="America/New_York"))
    # Mon 09:00 UTC is Mon 04:00 in New York (EST, UTC-5, before the DST change).
    assert grid[0][4] == 1


def test_next_response_time_across_channels(week):
    row = next_response_metrics(filters=week_filters())
    # Waits after a reply: C1 10:00 -> 11:00 (1 h); C2 11:00 -> 11:20 after its reopen
    # (20 min); C3 the SMS at 09:30 -> the WhatsApp reply at 10:00 (30 min), the
    # WhatsApp message at 09:40 is inside that wait. First messages are first responses.
    assert row["waits"] == 3
    assert row["open_waits"] == 0
    assert row["nrt_median"] == pytest.approx(30 * MIN)
    assert row["nrt_average"] == pytest.approx((60 + 20 + 30) * MIN / 3)


def test_next_response_time_filtered_by_the_channel_of_the_wait(week):
    assert next_response_metrics(filters=week_filters(channel="sms"))["waits"] == 1
    assert next_response_metrics(filters=week_filters(agent_id=week.alice.pk))["waits"] == 2


def test_next_response_time_in_business_hours(week):
    row = next_response_metrics(filters=week_filters(business=True))
    # All three waits are inside Mon-Fri 09:00-17:00.
    assert row["nrt_business_median"] == pytest.approx(30 * MIN)


def test_csat_response_rate_distribution_and_average(week):
    (row,) = csat_metrics(filters=week_filters())
    # Surveys sent in the week: C1, C2 (x2, one per resolution), C3, C4 = 5; answered
    # C1 5, C2's first 2, C3 4. C7's survey was sent the week before.
    assert (row["surveys"], row["responses"]) == (5, 3)
    assert row["response_rate"] == pytest.approx(3 / 5)
    assert row["average"] == pytest.approx((5 + 2 + 4) / 3)
    assert row["distribution"] == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert row["csat_percent"] == pytest.approx(2 / 3)


def test_csat_per_agent_team_and_channel(week):
    by_agent = {r["group_id"]: r for r in csat_metrics(filters=week_filters(), group_by="agent")}
    assert (by_agent[week.alice.pk]["surveys"], by_agent[week.alice.pk]["responses"]) == (3, 2)
    assert by_agent[week.alice.pk]["average"] == pytest.approx(3.5)
    assert by_agent[week.bob.pk]["average"] == pytest.approx(4.0)
    by_team = {r["group_id"]: r for r in csat_metrics(filters=week_filters(), group_by="team")}
    assert by_team[week.messaging.pk]["surveys"] == 2
    # The channel of a survey is the one the conversation ended on: C3's is WhatsApp.
    (whatsapp,) = csat_metrics(filters=week_filters(channel="whatsapp"))
    assert (whatsapp["surveys"], whatsapp["average"]) == (1, 4.0)


def test_csat_trend_by_day_of_answer(week):
    rows = csat_trend(filters=week_filters())
    assert [(r["day"], r["responses"], r["average"]) for r in rows] == [
        (date(2026, 3, 2), 1, 5.0),
        (date(2026, 3, 3), 1, 2.0),
        (date(2026, 3, 4), 1, 4.0),
    ]
