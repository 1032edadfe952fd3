"""`/api/v1/attribute-definitions/`: every agent reads the definitions, only supervisors
write them, and a definition is checked (key, type, choices) before it is stored."""

from __future__ import annotations

import pytest

from customers.models import AttributeDefinition
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/attribute-definitions/"


def test_supervisor_defines_a_choice_attribute_and_agents_read_it(desk):
    response = api_client_for(desk.sam).post(
        URL,
        {
            "key": "plan",
            "label": "Plan",
            "type": "choice",
            "applies_to": "customer",
            "choices": ["free", "pro"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["choices"] == ["free", "pro"]
    listed = api_client_for(desk.bob).get(URL)
    assert listed.status_code == 200
    assert [(d["key"], d["type"], d["applies_to"]) for d in listed.json()] == [
        ("plan", "choice", "customer")
    ]


def test_an_agent_may_not_define_change_or_delete(desk, definitions):
    client = api_client_for(desk.bob)
    created = client.post(
        URL, {"key": "x", "label": "X", "type": "text", "applies_to": "customer"}, format="json"
    )
    changed = client.patch(f"{URL}{definitions['plan'].pk}/", {"label": "Tier"}, format="json")
    deleted = client.delete(f"{URL}{definitions['plan'].pk}/")
    assert [created.status_code, changed.status_code, deleted.status_code] == [403, 403, 403]
    assert AttributeDefinition.objects.get(key="plan").label == "Plan"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "label": "X", "type": "text", "applies_to": "customer"}, "key"),
        ({"key": "x", "label": "X", "type": "colour", "applies_to": "customer"}, "type"),
        ({"key": "x", "label": "X", "type": "text", "applies_to": "agent"}, "applies_to"),
        ({"key": "x", "label": "X", "type": "choice", "applies_to": "customer"}, "choices"),
        (
            {
                "key": "x",
                "label": "X",
                "type": "choice",
                "applies_to": "customer",
                "choices": ["a", "a"],
            },
            "choices",
        ),
        (
            {
                "key": "x",
                "label": "X",
                "type": "number",
                "applies_to": "customer",
                "choices": ["1"],
            },
            "choices",
        ),
    ],
)
def test_a_bad_definition_is_a_400_naming_its_field(desk, body, field):
    response = api_client_for(desk.sam).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not AttributeDefinition.objects.exists()


def test_a_key_is_unique_per_kind_of_record(desk, definitions):
    client = api_client_for(desk.sam)
    again = client.post(
        URL, {"key": "plan", "label": "P", "type": "text", "applies_to": "customer"}, format="json"
    )
    assert again.status_code == 409
    other_kind = client.post(
        URL,
        {"key": "plan", "label": "P", "type": "text", "applies_to": "conversation"},
        format="json",
    )
    assert other_kind.status_code == 201


def test_supervisor_changes_choices_but_not_the_type(desk, definitions):
    client = api_client_for(desk.sam)
    url = f"{URL}{definitions['plan'].pk}/"
    changed = client.patch(
        url, {"choices": ["free", "pro", "team"], "required": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["choices"] == ["free", "pro", "team"]
    assert changed.json()["required"] is True
    client.patch(url, {"type": "text"}, format="json")
    assert AttributeDefinition.objects.get(pk=definitions["plan"].pk).type == "choice"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(f"{URL}99999999999999999999/").status_code == 404
