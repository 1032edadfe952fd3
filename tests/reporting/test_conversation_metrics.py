"""Conversation metrics on the hand-built week (tests/reporting/dataset.py).

Every expected value is worked out from docs/metrics.md in the comment beside it.
"""

from __future__ import annotations

import pytest

from reporting.selectors.cohort import conversation_breakdown, conversation_metrics, handoff_matrix
from tests.reporting.conftest import HOUR, MIN, week_filters

pytestmark = pytest.mark.django_db


def test_cohort_counts_and_rates(week):
    (row,) = conversation_metrics(filters=week_filters())
    # C1..C6 were created in the week; C7 the week before.
    assert row["conversations"] == 6
    # Resolved now: C1, C2, C3, C4.
    assert row["resolved"] == 4
    assert row["resolution_rate"] == pytest.approx(4 / 6)
    # Reopened: C2 only, over the 4 ever resolved.
    assert (row["reopened"], row["ever_resolved"]) == (1, 4)
    assert row["reopen_rate"] == pytest.approx(0.25)


def test_first_response_time_counts_each_conversation_once(week):
    (row,) = conversation_metrics(filters=week_filters())
    # C1 30 min, C2 10 min, C3 1 h, C4 5 min, C6 Fri 16:30 -> Mon 09:30 = 65 h;
    # C5 unanswered. C2's reply after its reopen is not a first response.
    values = sorted([30 * MIN, 10 * MIN, HOUR, 5 * MIN, 65 * HOUR])
    assert row["frt_count"] == 5
    assert row["unanswered"] == 1
    assert row["frt_median"] == pytest.approx(30 * MIN)
    # p90 by linear interpolation: rank 0.9 * 4 = 3.6 between 1 h and 65 h.
    assert row["frt_p90"] == pytest.approx(HOUR + 0.6 * (65 * HOUR - HOUR))
    assert row["frt_average"] == pytest.approx(sum(values) / 5)


def test_resolution_time_runs_to_the_latest_resolution(week):
    (row,) = conversation_metrics(filters=week_filters())
    # C1 3 h, C2 10:00 -> 12:00 (its second resolution) = 2 h, C3 3 h, C4 30 min.
    assert row["resolution_count"] == 4
    assert row["resolution_median"] == pytest.approx((2 * HOUR + 3 * HOUR) / 2)
    assert row["resolution_p90"] == pytest.approx(3 * HOUR)  # rank 2.7 between 3 h and 3 h
    assert row["resolution_average"] == pytest.approx((3 + 2 + 3 + 0.5) * HOUR / 4)


def test_first_contact_resolution_and_repeat_contact_with_a_merged_customer(week):
    (row,) = conversation_metrics(filters=week_filters())
    # Of the 4 resolved: C2 was reopened, C3 switched channels, and C4's customer (P4)
    # came back as C5 the next day: written by P5 by email, P5 since merged into P4.
    # Only C1 was resolved at first contact.
    assert row["first_contact_resolved"] == 1
    assert row["first_contact_resolution_rate"] == pytest.approx(1 / 4)
    assert row["repeat_contacts"] == 1
    assert row["repeat_contact_rate"] == pytest.approx(1 / 4)


def test_repeat_contact_window_is_n_days(week):
    # C5 came 24 h 30 min after C4's resolution: outside a 1-day window.
    (row,) = conversation_metrics(filters=week_filters(repeat_days=1))
    assert row["repeat_contacts"] == 0
    (row,) = conversation_metrics(filters=week_filters(repeat_days=2))
    assert row["repeat_contacts"] == 1


def test_repeat_contacts_by_channel(week):
    breakdown = conversation_breakdown(filters=week_filters(), groupings=["channel"])
    rows = {row["group_id"]: row for row in breakdown["channel"] if row["resolved"]}
    # Resolved: C1 email, C3 email, C2 web chat, C4 SMS (the repeat).
    assert {k: (v["resolved"], v["repeat_contacts"]) for k, v in rows.items()} == {
        "email": (2, 0),
        "webchat": (1, 0),
        "sms": (1, 1),
    }


def test_channel_handoffs_of_a_conversation_across_three_channels(week):
    (row,) = conversation_metrics(filters=week_filters())
    # C3 went email -> SMS -> WhatsApp: one conversation with handoffs, resolved
    # without a reopen.
    assert row["handoff_conversations"] == 1
    assert row["handoff_share"] == pytest.approx(1 / 6)
    assert row["handoffs_resolved"] == 1
    assert row["handoff_success_rate"] == 1.0
    matrix = {
        (r["from_channel"], r["to_channel"]): r["count"]
        for r in handoff_matrix(filters=week_filters())
    }
    assert matrix == {("email", "sms"): 1, ("sms", "whatsapp"): 1}


def test_average_handling_time_counts_only_open_time(week):
    (row,) = conversation_metrics(filters=week_filters())
    # C1 open 09:00-12:00 = 3 h; C2 open 10:00-10:30 and 11:00-12:00 = 1.5 h (not the
    # half hour it sat resolved); C3 open 08:00-10:00, then pending = 2 h; C4 30 min.
    assert row["handling_average"] == pytest.approx((3 + 1.5 + 2 + 0.5) * HOUR / 4)


def test_sla_compliance_from_due_times(week):
    (row,) = conversation_metrics(filters=week_filters())
    # First response: met C1 (09:30 <= 10:00), C4 (09:05 <= 09:10); breached C2 (10:10 >
    # 10:05), C5 (never answered, due Fri 11:00 has passed), C6 (Mon 09:30 > 09:00).
    assert (row["first_response_sla_met"], row["first_response_sla_breached"]) == (2, 3)
    assert row["first_response_sla_compliance"] == pytest.approx(2 / 5)
    # Resolution: C1 breached (12:00 > 11:00), C4 met.
    assert (row["resolution_sla_met"], row["resolution_sla_breached"]) == (1, 1)
    assert row["resolution_sla_compliance"] == pytest.approx(0.5)


def test_business_hours_time_skips_the_weekend_and_the_night(week):
    (row,) = conversation_metrics(filters=week_filters(business=True))
    # Business FRT: C1 30 min, C2 10 min, C3 0 (08:00 -> 09:00 is before opening),
    # C4 5 min, C6 Fri 16:30-17:00 + Mon 09:00-09:30 = 1 h (the weekend does not count).
    assert row["frt_business_count"] == 5
    assert row["frt_business_median"] == pytest.approx(10 * MIN)
    assert row["frt_business_average"] == pytest.approx((30 + 10 + 0 + 5 + 60) * MIN / 5)
    # Business resolution: C1 3 h, C2 2 h, C3 09:00-11:00 = 2 h, C4 30 min.
    assert row["resolution_business_median"] == pytest.approx(2 * HOUR)
    # Business handling: C1 3 h, C2 1.5 h, C3 09:00-10:00 = 1 h, C4 30 min.
    assert row["handling_business_average"] == pytest.approx((3 + 1.5 + 1 + 0.5) * HOUR / 4)
    # Calendar numbers are unchanged next to them.
    assert row["frt_median"] == pytest.approx(30 * MIN)


def test_one_query_gives_the_total_and_every_breakdown(week):
    breakdown = conversation_breakdown(
        filters=week_filters(), groupings=["agent", "team", "channel"]
    )
    assert breakdown["total"]["conversations"] == 6
    assert sum(r["conversations"] for r in breakdown["agent"]) == 6
    assert {r["group_id"]: r["conversations"] for r in breakdown["channel"]} == {
        "email": 3,
        "sms": 2,
        "webchat": 1,
    }


def test_per_agent_and_per_team(week):
    by_agent = {
        r["group_id"]: r for r in conversation_metrics(filters=week_filters(), group_by="agent")
    }
    # alice: C1, C2; bob: C3, C4, C6; unassigned: C5.
    assert {k: v["conversations"] for k, v in by_agent.items()} == {
        week.alice.pk: 2,
        week.bob.pk: 3,
        None: 1,
    }
    # bob's FRT: C3 1 h, C4 5 min, C6 65 h -> median 1 h.
    assert by_agent[week.bob.pk]["frt_median"] == pytest.approx(HOUR)
    assert by_agent[week.alice.pk]["reopen_rate"] == pytest.approx(0.5)
    by_team = {
        r["group_id"]: r for r in conversation_metrics(filters=week_filters(), group_by="team")
    }
    # Support: C1, C2, C5; Messaging: C3, C4, C6.
    assert by_team[week.support.pk]["conversations"] == 3
    assert by_team[week.messaging.pk]["conversations"] == 3
    assert by_team[week.messaging.pk]["handoff_conversations"] == 1


def test_filters_by_team_agent_channel_and_endpoint(week):
    def count(**kwargs):
        return conversation_metrics(filters=week_filters(**kwargs))[0]["conversations"]

    assert count(team_id=week.support.pk) == 3
    assert count(agent_id=week.bob.pk) == 3
    # Channel and endpoint are where the conversation started: C1, C3, C5 by email.
    assert count(channel="email") == 3
    assert count(channel="whatsapp") == 0
    assert count(endpoint_id=week.endpoints["sms"].pk) == 2
    assert count(team_id=week.messaging.pk, channel="email") == 1


def test_previous_period_is_the_week_before(week):
    previous = week_filters().previous()
    assert (previous.start.isoformat(), previous.end.isoformat()) == ("2026-02-23", "2026-03-01")
    (row,) = conversation_metrics(filters=previous)
    assert (row["conversations"], row["resolved"]) == (1, 1)  # C7
    assert row["frt_median"] == pytest.approx(20 * MIN)


def test_duration_distributions(week):
    (row,) = conversation_metrics(filters=week_filters())
    frt = {r["bucket"]: r["count"] for r in row["frt_distribution"]}
    # 5 min -> "5-15 min" (bounds belong to the bucket above), 10 min -> "5-15 min",
    # 30 min -> "15-60 min", 1 h -> "1-4 h", 65 h -> "1-3 d".
    assert frt == {
        "< 5 min": 0,
        "5-15 min": 2,
        "15-60 min": 1,
        "1-4 h": 1,
        "4-24 h": 0,
        "1-3 d": 1,
        "> 3 d": 0,
    }
    resolution = row["resolution_distribution"]
    # 30 min, 2 h, 3 h, 3 h.
    assert [r["count"] for r in resolution] == [0, 0, 1, 3, 0, 0, 0]
