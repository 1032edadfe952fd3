"""`config.bot` on an endpoint, through the endpoints API (admins)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_admin_enables_the_bot_with_a_threshold(admin_api):
    response = admin_api.post(
        "/api/v1/endpoints/",
        {"kind": "api", "name": "Shop", "config": {"bot": {"enabled": True, "threshold": 0.4}}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["config"]["bot"] == {"enabled": True, "threshold": 0.4}


@pytest.mark.parametrize(
    "bot",
    [{"enabled": "yes"}, {"enabled": True, "threshold": 2}, {"threshold": "high"}, "on"],
)
def test_invalid_bot_settings_are_a_400(admin_api, bot):
    response = admin_api.post(
        "/api/v1/endpoints/",
        {"kind": "api", "name": "Shop", "config": {"bot": bot}},
        format="json",
    )
    assert response.status_code == 400
