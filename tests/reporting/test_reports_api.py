"""/api/v1/reports/...: the dashboard's numbers as JSON, for supervisors."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def week():
    return dataset.build()


@pytest.fixture
def supervisor_api(week):
    return api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))


def test_agents_get_403_with_the_error_body(week):
    response = api_client_for(week.alice).get("/api/v1/reports/summary/", WEEK)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Reports are for supervisors."


def test_index_lists_every_report(supervisor_api):
    body = supervisor_api.get("/api/v1/reports/").json()
    assert set(body) >= {"summary", "volume", "frt-distribution", "handoffs", "live", "agents"}
    assert body["summary"].endswith("/api/v1/reports/summary/")


def test_summary_matches_the_definitions(supervisor_api):
    body = supervisor_api.get("/api/v1/reports/summary/", WEEK).json()
    assert body["filters"]["start"] == "2026-03-02"
    headlines = {h["key"]: h for h in body["headlines"]}
    assert (headlines["conversations"]["current"], headlines["conversations"]["previous"]) == (
        6,
        1,
    )
    assert headlines["reopen_rate"]["current"] == pytest.approx(0.25)
    assert headlines["repeat_contact_rate"]["current"] == pytest.approx(0.25)
    assert headlines["first_contact_resolution_rate"]["current"] == pytest.approx(0.25)
    assert headlines["handoff_success_rate"]["current"] == 1.0
    assert headlines["handling_average"]["current"] == pytest.approx(6300)
    assert headlines["csat_response_rate"]["current"] == pytest.approx(0.6)
    assert headlines["nrt_median"]["current"] == pytest.approx(1800)


def test_tables_with_filters(supervisor_api, week):
    body = supervisor_api.get(
        "/api/v1/reports/frt-distribution/", {**WEEK, "team": week.messaging.pk}
    ).json()
    # Messaging: C3 1 h, C4 5 min, C6 65 h.
    counts = {row["bucket"]: row["conversations"] for row in body["rows"]}
    assert (counts["5-15 min"], counts["1-4 h"], counts["1-3 d"]) == (1, 1, 1)
    teams = supervisor_api.get("/api/v1/reports/teams/", WEEK).json()["rows"]
    assert {row["name"]: row["conversations"] for row in teams} == {"Messaging": 3, "Support": 3}


def test_bad_filters_and_unknown_reports(supervisor_api):
    response = supervisor_api.get("/api/v1/reports/summary/", {"start": "yesterday"})
    assert response.status_code == 400
    assert "start" in response.json()["error"]["fields"]
    assert supervisor_api.get("/api/v1/reports/nope/").status_code == 404


def test_live_counts(supervisor_api, week):
    teams = {
        row["team"]: row for row in supervisor_api.get("/api/v1/reports/live/").json()["teams"]
    }
    # Open now: C5 (Support, waiting, first response overdue) and C6 (Messaging).
    assert teams["Support"] == {
        "team_id": week.support.pk,
        "team": "Support",
        "open": 1,
        "waiting": 1,
        "breached": 1,
    }
    assert teams["Messaging"]["open"] == 1
    assert teams["Messaging"]["waiting"] == 0
