"""The conversations list's filters are validated (django-filter): a bad value is a 400
naming its field, never ignored or a 500; good ones filter."""

from __future__ import annotations

import pytest

from tests.conftest import api_client_for
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=closed", "status"),
        ("priority=9", "priority"),
        ("priority=high", "priority"),
        ("assignee=somebody", "assignee"),
        ("assignee=-3", "assignee"),
        ("team=abc", "team"),
        ("channel=pigeon", "channel"),
        ("q=" + "x" * 201, "q"),
        ("limit=0", "limit"),
        ("limit=lots", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_field(desk, query, field):
    response = api_client_for(desk.bob).get(f"/api/v1/conversations/?{query}")
    assert response.status_code == 400, (query, response.status_code)
    assert list(response.json()["error"]["fields"]) == [field]


def test_valid_filters_select(desk):
    sms = desk.receive(desk.sms, "sms-1", "Hi", phone="+14155552600").conversation
    whatsapp = desk.receive(desk.whatsapp, "wa-1", "Hi", phone="+14155552601").conversation
    api = api_client_for(desk.bob)
    api.patch(
        f"/api/v1/conversations/{sms.pk}/",
        {"assignee": "me", "priority": 3, "tags": ["vip"]},
        format="json",
    )

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/conversations/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("assignee=me") == {sms.pk}
    assert ids(f"assignee={desk.bob.pk}") == {sms.pk}
    assert ids("assignee=none") == {whatsapp.pk}
    assert ids("priority=3") == {sms.pk}
    assert ids("tag=vip") == {sms.pk}
    assert ids("channel=whatsapp") == {whatsapp.pk}
    assert ids(f"status=open&team={desk.messaging.pk}") == {sms.pk, whatsapp.pk}
    assert ids(f"team={desk.support.pk}") == set()
    assert ids(f"assignee={10**30}") == ids(f"team={10**30}") == set()
