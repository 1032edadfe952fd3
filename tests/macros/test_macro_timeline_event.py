"""Running a macro leaves an event on the conversation's timeline ("Carol ran the macro
“Refund sent”"), recorded through conversations' one timeline path, before the steps it
ran; a refused run leaves no event."""

from __future__ import annotations

import pytest

from conversations.display import describe_event
from conversations.models import ConversationEvent
from macros.services import MACRO_EVENT_KIND
from tests.inbox.conftest import client_for
from tests.macros.conftest import REFUND_MACRO

pytestmark = pytest.mark.django_db


def _create(desk, **overrides):
    body = {**REFUND_MACRO, "team": desk.support.pk, **overrides}
    response = desk.api(desk.alice).post("/api/v1/macros/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _run(desk, macro, user):
    return desk.api(user).post(
        f"/api/v1/macros/{macro['id']}/run/", {"conversation": desk.conversation.pk}, format="json"
    )


def test_running_a_macro_records_who_ran_which_macro_on_the_timeline(desk):
    macro = _create(desk)
    assert _run(desk, macro, desk.carol).status_code == 200

    event = ConversationEvent.objects.get(conversation=desk.conversation, kind=MACRO_EVENT_KIND)
    assert event.actor == desk.carol
    assert event.data == {"macro": macro["id"], "name": "Refund sent", "steps": 6}
    assert describe_event(event) == "Carol ran the macro “Refund sent”"
    later = desk.conversation.events.filter(actor=desk.carol).exclude(pk=event.pk)
    assert later.exists()  # the macro's own steps: tags, assignment, priority, status
    assert all((other.created_at, other.pk) > (event.created_at, event.pk) for other in later), (
        "the run's event comes before its steps"
    )


def test_the_macro_event_is_shown_in_the_inbox_timeline(desk):
    macro = _create(desk, actions=[{"type": "add_tags", "tags": ["vip"]}])
    assert _run(desk, macro, desk.carol).status_code == 200

    response = client_for(desk.alice).get(
        f"/inbox/c/{desk.conversation.pk}/timeline/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Carol ran the macro “Refund sent”" in response.content.decode()


def test_a_refused_run_leaves_no_event(desk):
    macro = _create(desk, actions=[{"type": "reply", "text": "Hi {{customer.nickname}}"}])
    assert _run(desk, macro, desk.alice).status_code == 400
    assert not ConversationEvent.objects.filter(kind=MACRO_EVENT_KIND).exists()
