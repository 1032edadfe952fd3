"""Times in the agent's own zone: pages rendered for one agent use their zone, while the
rows and timeline items the live inbox renders once for every agent are zone- and
language-neutral (an ISO <time datetime> the page formats in each agent's zone), however
the writing request was localised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation

from agents.models import AgentProfile
from conversations.events import CONVERSATION_ROW, MESSAGE_CREATED
from conversations.services import add_note, receive_message
from tests.conftest import inbound
from tests.inbox.conftest import Desk, build_desk, client_for

pytestmark = pytest.mark.django_db

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def test_two_agents_see_the_same_message_at_their_own_local_time(desk):
    message = receive_message(
        endpoint=desk.sms, inbound=inbound("sms-1", "Hello", phone="+14155552671"), received_at=AT
    )
    AgentProfile.objects.filter(user=desk.bob).update(time_zone="Europe/Madrid")
    AgentProfile.objects.filter(user=desk.carol).update(time_zone="America/New_York")
    url = f"/inbox/c/{message.conversation_id}/"
    madrid = client_for(desk.bob).get(url).content.decode()
    new_york = client_for(desk.carol).get(url).content.decode()
    iso = '<time datetime="2026-01-15T12:00:00+00:00">'
    assert f"{iso}Jan 15, 13:00</time>" in madrid
    assert f"{iso}Jan 15, 07:00</time>" in new_york


def test_live_fragments_are_rendered_in_neither_the_writers_zone_nor_language(
    desk, capture_events, django_capture_on_commit_callbacks
):
    message = receive_message(
        endpoint=desk.sms, inbound=inbound("sms-1", "Hello", phone="+14155552671"), received_at=AT
    )
    with (
        translation.override("es"),
        timezone.override("Asia/Tokyo"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        note = add_note(conversation=message.conversation, author=desk.bob, text="Checked")
    [(created, _groups)] = [
        (e, g) for e, g in capture_events.of_type(MESSAGE_CREATED) if e["message_id"] == note.pk
    ]
    local = timezone.localtime(note.created_at, timezone.get_default_timezone())
    assert f'<time datetime="{note.created_at.isoformat()}">' in created["html"]
    assert f"{local:%H:%M}</time>" in created["html"]  # the desk's zone, not Tokyo's
    rows = [e for e, _g in capture_events.of_type(CONVERSATION_ROW) if e["row"]]
    assert rows and all("Sin asignar" not in e["row"]["html"] for e in rows)
