"""The reports dashboard names its headline numbers and heatmap weekdays in the
supervisor's language, while the reports API and CSV keep the English labels
integrators read."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def german_supervisor():
    dataset.build()
    sam = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    AgentProfile.objects.filter(user=sam).update(language="de")
    return sam


def test_a_german_supervisor_reads_german_headlines_and_weekdays(german_supervisor):
    client = Client()
    client.force_login(german_supervisor)
    html = client.get("/reports/", WEEK).content.decode()
    for german in ("Neue Gespräche", "Lösungsquote", "Erste Antwort (Median)", "CSAT-Antwortquote"):
        assert f"<h2>{german}</h2>" in html, german
    assert "<h2>Resolution rate</h2>" not in html
    assert ">Mo<" in html and ">Mon<" not in html  # the heatmap's rows


def test_the_api_and_csv_keep_english_labels(german_supervisor):
    body = api_client_for(german_supervisor).get("/api/v1/reports/summary/", WEEK).json()
    labels = {headline["key"]: headline["label"] for headline in body["headlines"]}
    assert labels["resolution_rate"] == "Resolution rate"

    client = Client()
    client.force_login(german_supervisor)
    csv_text = client.get("/reports/csv/summary.csv", WEEK).content.decode()
    assert "Resolution rate" in csv_text and "Lösungsquote" not in csv_text
