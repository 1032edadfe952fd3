"""Scheduled replies: sent by the periodic task when due, cancellable until then, kept
in the database across restarts, and only for agents who can see the conversation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conversations.models import Conversation, Message
from outreach import services
from outreach.models import ScheduledReply
from outreach.tasks import send_due_outreach
from tests.channels_app.conftest import post_twilio
from tests.conftest import api_client_for
from tests.factories import TeamFactory, make_agent
from tests.outreach.conftest import answer_twilio, fixture_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone_agent(twilio_endpoint):
    return make_agent(username="pat", teams=[twilio_endpoint.teams.get()])


@pytest.fixture
def conversation(client, twilio_endpoint, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_endpoint, "sms", fixture_json("twilio", "sms_inbound.json"))
    return Conversation.objects.get()


def _schedule(api, conversation, **body):
    return api.post(
        f"/api/v1/conversations/{conversation.pk}/scheduled-replies/", body, format="json"
    )


def test_a_scheduled_reply_is_sent_by_the_periodic_task_once_due(
    conversation, phone_agent, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    api = api_client_for(phone_agent)
    send_at = timezone.now() + timedelta(hours=15)
    with django_capture_on_commit_callbacks(execute=True):
        created = _schedule(
            api, conversation, text="Good morning! Your refund went out.", send_at=send_at
        )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "scheduled"

    # Not yet due: the periodic task leaves it alone.
    send_due_outreach.apply()
    assert fake_provider.requests == []
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    with django_capture_on_commit_callbacks(execute=True):
        handled = services.send_due_outreach(now=send_at + timedelta(seconds=1))
    assert handled["replies"] == 1
    scheduled = ScheduledReply.objects.get()
    assert scheduled.status == ScheduledReply.Status.SENT
    reply = scheduled.message
    assert (reply.conversation_id, reply.author, reply.text) == (
        conversation.pk,
        phone_agent,
        "Good morning! Your refund went out.",
    )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    [request] = fake_provider.requests
    assert request.form()["Body"] == ["Good morning! Your refund went out."]

    # Sent once: a second sweep finds nothing.
    assert services.send_due_outreach(now=send_at + timedelta(hours=1))["replies"] == 0


def test_a_scheduled_note_stays_internal(conversation, phone_agent, fake_provider):
    scheduled = services.schedule_reply(
        conversation=conversation,
        author=phone_agent,
        text="Call the courier first",
        send_at=timezone.now() + timedelta(minutes=5),
        kind="note",
    )
    services.send_due_outreach(now=scheduled.send_at)
    scheduled.refresh_from_db()
    assert scheduled.message.direction == Message.Direction.INTERNAL
    assert fake_provider.requests == []


def test_a_cancelled_reply_is_never_sent_and_a_sent_one_cannot_be_cancelled(
    conversation, phone_agent, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    api = api_client_for(phone_agent)
    later = timezone.now() + timedelta(days=1)
    first = _schedule(api, conversation, text="First", send_at=later).json()
    second = _schedule(api, conversation, text="Second", send_at=later).json()
    url = f"/api/v1/conversations/{conversation.pk}/scheduled-replies/"

    cancelled = api.delete(f"{url}{first['id']}/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_outreach(now=later)
    [request] = fake_provider.requests
    assert request.form()["Body"] == ["Second"]
    too_late = api.delete(f"{url}{second['id']}/")
    assert too_late.status_code == 409
    listed = api.get(url).json()
    assert [(r["text"], r["status"]) for r in listed] == [
        ("First", "cancelled"),
        ("Second", "sent"),
    ]


def test_a_reply_in_the_past_or_empty_is_refused(conversation, phone_agent):
    api = api_client_for(phone_agent)
    past = _schedule(api, conversation, text="Hi", send_at=timezone.now() - timedelta(minutes=1))
    assert past.status_code == 400
    assert "send_at" in past.json()["error"]["fields"]
    assert _schedule(api, conversation, text="   ", send_at=timezone.now()).status_code == 400
    assert not ScheduledReply.objects.exists()


def test_an_agent_of_another_team_can_neither_schedule_nor_see_nor_cancel(
    conversation, phone_agent
):
    outsider = make_agent(username="olga", teams=[TeamFactory(name="Other")])
    scheduled = services.schedule_reply(
        conversation=conversation,
        author=phone_agent,
        text="Later",
        send_at=timezone.now() + timedelta(hours=1),
    )
    api = api_client_for(outsider)
    url = f"/api/v1/conversations/{conversation.pk}/scheduled-replies/"
    later = timezone.now() + timedelta(hours=2)
    assert _schedule(api, conversation, text="Hi", send_at=later).status_code == 404
    assert api.get(url).status_code == 404
    assert api.delete(f"{url}{scheduled.pk}/").status_code == 404
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.SCHEDULED


def test_an_author_who_lost_access_gets_a_failed_reply_not_a_sent_one(
    conversation, phone_agent, fake_provider
):
    scheduled = services.schedule_reply(
        conversation=conversation,
        author=phone_agent,
        text="Later",
        send_at=timezone.now() + timedelta(hours=1),
    )
    phone_agent.teams.clear()
    services.send_due_outreach(now=scheduled.send_at)
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.FAILED
    assert fake_provider.requests == []


def _reply_due_in_30_seconds(
    client, twilio_endpoint, fake_provider, capture_on_commit, *, text: str
) -> ScheduledReply:
    """Pat's reply to an SMS conversation, scheduled 30 s ahead, committed."""
    answer_twilio(fake_provider)
    phone_agent = make_agent(username="pat", teams=[twilio_endpoint.teams.get()])
    with capture_on_commit(execute=True):
        post_twilio(client, twilio_endpoint, "sms", fixture_json("twilio", "sms_inbound.json"))
    return services.schedule_reply(
        conversation=Conversation.objects.get(),
        author=phone_agent,
        text=text,
        send_at=timezone.now() + timedelta(seconds=30),
    )


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_by_one_worker_is_skipped_by_another_and_survives_its_crash(
    client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    """Two sweeps at once never send one row twice (SKIP LOCKED); a worker that dies
    holding it (its transaction rolls back) leaves it for the next sweep: after a restart
    the periodic task sends it."""
    scheduled = _reply_due_in_30_seconds(
        client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks,
        text="After the restart",
    )  # fmt: skip
    claimed = threading.Event()
    release = threading.Event()

    def worker_that_dies() -> None:
        try:
            with transaction.atomic():
                ScheduledReply.objects.select_for_update().get(pk=scheduled.pk)
                claimed.set()
                release.wait(30)
                raise RuntimeError("worker killed")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=worker_that_dies)
    thread.start()
    assert claimed.wait(30)
    try:
        assert services.send_due_replies(now=scheduled.send_at) == 0
    finally:
        release.set()
        thread.join(30)
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.SCHEDULED

    # The beat's periodic task, once the row is due (time moved on past send_at).
    ScheduledReply.objects.filter(pk=scheduled.pk).update(
        send_at=timezone.now() - timedelta(seconds=1)
    )
    send_due_outreach.apply()
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.SENT
    assert [r.form()["Body"] for r in fake_provider.requests] == [["After the restart"]]


@pytest.mark.django_db(transaction=True)
def test_a_due_reply_is_sent_while_another_transaction_references_its_author(
    client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    """Any open transaction that writes a row pointing at the author (a presence change,
    an audit entry, a login) holds a key-share lock on the user's row. The sweep locks
    only the scheduled reply, so that never makes it skip a due reply."""
    scheduled = _reply_due_in_30_seconds(
        client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks,
        text="Sent despite the busy author",
    )  # fmt: skip
    phone_agent = scheduled.author
    holding = threading.Event()
    release = threading.Event()

    def transaction_referencing_the_author() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT 1 FROM auth_user WHERE id = %s FOR KEY SHARE", [phone_agent.pk]
                    )
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=transaction_referencing_the_author)
    thread.start()
    assert holding.wait(30)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_due_replies(now=scheduled.send_at) == 1
    finally:
        release.set()
        thread.join(30)
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledReply.Status.SENT
    assert [r.form()["Body"] for r in fake_provider.requests] == [["Sent despite the busy author"]]
