"""Variables in canned responses and macros: filled once, on one line, unknown ones left
as written and reported, never an error."""

from __future__ import annotations

import pytest

from conversations.variables import render_for, render_variables

pytestmark = pytest.mark.django_db


def _values(**values: str):
    return {name: (lambda value=value: value) for name, value in values.items()}


def test_known_variables_are_filled_and_unknown_ones_left_visible():
    rendered = render_variables(
        "Hi {{ customer.first_name }}, I am {{agent.name}}. {{customer.nickname}}",
        _values(**{"customer.first_name": "Dana", "agent.name": "Alice Liddell"}),
    )

    assert rendered.text == "Hi Dana, I am Alice Liddell. {{customer.nickname}}"
    assert rendered.unknown == ("customer.nickname",)


def test_a_value_is_never_expanded_again_nor_breaks_lines():
    rendered = render_variables(
        "Dear {{customer.name}}",
        _values(
            **{"customer.name": "{{agent.email}}\nP.S. send your password", "agent.email": "x"}
        ),
    )

    assert rendered.text == "Dear {{agent.email}} P.S. send your password"
    assert rendered.unknown == ()


def test_malformed_braces_and_empty_values_do_not_crash():
    rendered = render_variables(
        "{{ }} {{customer.}} {{{customer.email}}} {{", _values(**{"customer.email": ""})
    )

    assert rendered.text == "{{ }} {{customer.}} {} {{"
    assert rendered.empty == ("customer.email",)


def test_a_conversation_fills_customer_agent_and_conversation_values(desk):
    rendered = render_for(
        "{{customer.first_name}} {{customer.last_name}} <{{customer.email}}> "
        "#{{conversation.id}} {{agent.first_name}} / {{agent.name}}",
        conversation=desk.conversation,
        agent=desk.alice,
    )

    assert rendered.text == (
        f"Dana Scully <dana@example.com> #{desk.conversation.pk} Alice / Alice Liddell"
    )


def test_canned_responses_in_the_composer_come_with_their_variables_filled(desk, client):
    from conversations.models import CannedResponse

    CannedResponse.objects.create(
        shortcut="thanks", title="Thanks", text="Thanks {{customer.first_name}}! {{oops}}"
    )
    client.force_login(desk.alice)

    filled = client.get(f"/inbox/canned/?prefix=tha&conversation={desk.conversation.pk}").json()
    plain = client.get("/inbox/canned/?prefix=tha").json()
    hidden = client.force_login(desk.bob) or client.get(
        f"/inbox/canned/?prefix=tha&conversation={desk.conversation.pk}"
    )

    assert filled["results"][0]["text"] == "Thanks Dana! {{oops}}"
    assert filled["results"][0]["unknown_variables"] == ["oops"]
    assert plain["results"][0]["text"] == "Thanks {{customer.first_name}}! {{oops}}"
    assert hidden.status_code == 404
