"""/reports/: supervisors only, the week's numbers against the week before, SVG charts,
and every chart as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from agents.models import AgentProfile
from tests.factories import make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db

WEEK = "start=2026-03-02&end=2026-03-08"


@pytest.fixture
def week():
    return dataset.build()


@pytest.fixture
def supervisor_client(week) -> Client:
    client = Client()
    client.force_login(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    return client


def test_agents_are_refused_and_anonymous_users_sent_to_login(week):
    client = Client()
    assert client.get("/reports/").status_code == 302
    client.force_login(week.alice)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/csv/summary.csv").status_code == 403
    assert client.get("/reports/live/").status_code == 403


def test_supervisor_sees_headlines_with_the_change_against_the_previous_week(supervisor_client):
    response = supervisor_client.get(f"/reports/?{WEEK}")
    assert response.status_code == 200
    html = response.content.decode()
    headlines = response.context["data"]["headlines"]
    by_key = {h.key: h for h in headlines}
    # 6 conversations against 1 (C7) the week before.
    assert (by_key["conversations"].current, by_key["conversations"].previous) == (6, 1)
    assert by_key["conversations"].change_ratio == pytest.approx(5.0)
    assert by_key["resolution_rate"].current == pytest.approx(4 / 6)
    assert by_key["frt_median"].current == pytest.approx(1800)
    assert by_key["frt_median"].previous == pytest.approx(1200)
    assert by_key["csat_average"].current == pytest.approx(11 / 3)
    assert by_key["csat_average"].previous == pytest.approx(3.0)
    assert 'data-metric="conversations"' in html
    assert "+500%" in html
    assert "66.7%" in html  # the resolution rate


def test_charts_are_inline_svg_and_each_links_its_csv(supervisor_client):
    html = supervisor_client.get(f"/reports/?{WEEK}").content.decode()
    assert html.count('<svg class="chart') == 7
    for name in (
        "volume",
        "frt-distribution",
        "resolution-distribution",
        "csat-trend",
        "heatmap",
        "handoffs",
        "teams",
        "agents",
    ):
        assert f"/reports/csv/{name}.csv?" in html
    # The handoff view names the channels C3 crossed.
    assert "email -&gt; sms: 1" in html
    assert "sms -&gt; whatsapp: 1" in html


def test_business_hours_switch(supervisor_client):
    response = supervisor_client.get(f"/reports/?{WEEK}&business=1")
    by_key = {h.key: h for h in response.context["data"]["headlines"]}
    # Business FRT median (docs: 0, 5, 10, 30, 60 min) is 10 minutes.
    assert by_key["frt_median"].current == pytest.approx(600)
    assert "Durations in business hours" in response.content.decode()


def test_filters_narrow_the_report(supervisor_client, week):
    response = supervisor_client.get(f"/reports/?{WEEK}&team={week.support.pk}")
    assert response.context["data"]["conversations"]["conversations"] == 3
    response = supervisor_client.get(f"/reports/?{WEEK}&channel=sms")
    assert response.context["data"]["conversations"]["conversations"] == 2


def test_invalid_filters_are_shown_not_crashed_on(supervisor_client):
    response = supervisor_client.get("/reports/?start=2026-03-08&end=2026-03-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_downloads(supervisor_client, week):
    volume = read_csv(supervisor_client.get(f"/reports/csv/volume.csv?{WEEK}"))
    assert volume[0] == ["day", "channel", "new_conversations", "customer_messages"]
    # Wednesday: C3 started by email; its messages that day: email, SMS, WhatsApp.
    wednesday = {row[1]: row[2:] for row in volume[1:] if row[0] == "2026-03-04"}
    assert wednesday == {"email": ["1", "1"], "sms": ["0", "1"], "whatsapp": ["0", "1"]}

    handoffs = read_csv(supervisor_client.get(f"/reports/csv/handoffs.csv?{WEEK}"))
    assert sorted(handoffs[1:]) == [["email", "sms", "1"], ["sms", "whatsapp", "1"]]

    heatmap = read_csv(supervisor_client.get(f"/reports/csv/heatmap.csv?{WEEK}"))
    assert len(heatmap) == 1 + 7 * 24
    assert ["Wed", "9", "2"] in heatmap

    agents = read_csv(supervisor_client.get(f"/reports/csv/agents.csv?{WEEK}"))
    rows = {row[0]: dict(zip(agents[0], row, strict=True)) for row in agents[1:]}
    assert rows[str(week.bob.pk)]["conversations"] == "3"
    assert rows[str(week.alice.pk)]["csat_average"] == "3.5"
    assert rows[""]["name"] == "Unassigned"
    assert rows[""]["conversations"] == "1"

    summary = read_csv(supervisor_client.get(f"/reports/csv/summary.csv?{WEEK}"))
    assert summary[1][:4] == ["conversations", "New conversations", "6", "1"]

    assert supervisor_client.get(f"/reports/csv/nope.csv?{WEEK}").status_code == 404
