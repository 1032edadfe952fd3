"""The Grafana dashboard in docs/ plots only metrics that /metrics exposes."""

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

SERIES_SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",)}
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-omnidesk.json"


def test_every_metric_of_the_dashboard_is_exposed(client, metrics_token):
    expressions = [
        target["expr"]
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel["targets"]
    ]
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
    # By family: a labelled metric nothing has observed yet has no samples.
    exposed = {
        f"{family.name}{suffix}"
        for family in text_string_to_metric_families(response.content.decode())
        for suffix in SERIES_SUFFIXES.get(family.type, ("",))
    }

    used = {name for expr in expressions for name in re.findall(r"omnidesk_\w+", expr)}
    assert used
    assert used <= exposed, used - exposed
