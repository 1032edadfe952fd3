"""Input the database cannot hold is refused with a 4xx naming the field, never a 500
(found by `test_schema_fuzz`): PostgreSQL's text and jsonb columns refuse the NUL
character, in a search as in a write; a well-formed but impossible date is no date."""

from __future__ import annotations

import pytest

from tests.conftest import api_client_for
from tests.inbox.conftest import client_for
from tests.security.test_visibility_matrix import World, build_world, desk_state

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.fixture
def desk() -> World:
    return build_world()


API_QUERIES = [
    ("/api/v1/conversations/?q=a%00b", "q"),
    ("/api/v1/conversations/?channel=%00", "channel"),
    ("/api/v1/conversations/?status=open%00", "status"),
    ("/api/v1/customers/?q=a%00b", "q"),
]


@pytest.mark.parametrize(("url", "field"), API_QUERIES)
def test_a_nul_in_an_api_query_is_a_400_naming_the_parameter(desk, url, field):
    response = api_client_for(desk.admin).get(url)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["NUL characters are not allowed."]}


def _api_bodies(desk: World) -> list[tuple[str, str, dict, str]]:
    customer = f"/api/v1/customers/{desk.a.customer.pk}/"
    conversation = desk.a.conversation.pk
    return [
        ("patch", customer, {"attributes": {"plan": f"x{NUL}"}}, "attributes"),
        ("patch", customer, {"attributes": {f"k{NUL}": "y"}}, "attributes"),
        ("patch", customer, {"tags": [f"vip{NUL}"]}, "tags"),
        (
            "post",
            f"/api/v1/conversations/{conversation}/messages/",
            {"text": "hi", "template": {"name": NUL}},
            "template",
        ),
        ("post", "/api/v1/endpoints/", {"kind": "api", "name": "x", "config": {NUL: 1}}, "config"),
        (
            "post",
            "/api/v1/inbound/",
            {
                "endpoint": desk.a.endpoint.key,
                "id": "nul-1",
                "from": {"email": "nul@example.com"},
                "text": "hi",
                "attributes": {"a": NUL},
            },
            "attributes",
        ),
    ]  # fmt: skip


def test_a_nul_in_an_api_body_is_a_400_naming_the_field_and_stores_nothing(desk):
    api = api_client_for(desk.admin)
    before = desk_state()
    for method, url, body, field in _api_bodies(desk):
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 400, (url, body)
        error = response.json()["error"]
        assert error["fields"] == {field: ["NUL characters are not allowed."]}, (url, body)
    assert desk_state() == before


def test_a_nul_in_an_inbox_request_is_shown_as_an_error_and_changes_nothing(desk):
    client = client_for(desk.a.agent)
    c = desk.a.conversation.pk
    before = desk_state()
    gets = ["/inbox/list/?channel=%00", "/inbox/list/?tag=%00", "/inbox/canned/?prefix=%00"]
    for url in gets:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 400, url
        assert b"NUL characters are not allowed." in response.content
    posts = [
        (f"/inbox/c/{c}/reply/", {"text": f"a{NUL}b", "force": "1", "mode": "note"}),
        (f"/inbox/c/{c}/tags/", {"tags": f"vip{NUL}"}),
        (f"/inbox/c/{c}/customer/", {"name": "Dana", "attributes": f"plan: {NUL}"}),
    ]
    for url, data in posts:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 400, url
        assert b"NUL characters are not allowed." in response.content
    assert desk_state() == before


def test_snoozing_until_a_date_that_does_not_exist_is_refused_inline(desk):
    client = client_for(desk.a.agent)
    response = client.post(
        f"/inbox/c/{desk.a.conversation.pk}/status/",
        {"status": "snoozed", "snoozed_until": "2031-13-45T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert b"Pick a time in the future to snooze until." in response.content
    desk.a.conversation.refresh_from_db()
    assert desk.a.conversation.status == "open"
