"""An agent sees and acts only on conversations of their teams' channels: every page,
fragment and action of the inbox answers 404 for anything else (never "it exists")."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from conversations.models import Attachment, Conversation, ConversationEvent
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


def _urls(conversation, message, identity_id, attachment_id):
    c = conversation.pk
    gets = [
        f"/inbox/c/{c}/",
        f"/inbox/c/{c}/timeline/",
        f"/inbox/c/{c}/timeline/?history=1",
        f"/inbox/c/{c}/header/",
        f"/inbox/c/{c}/sidebar/",
        f"/inbox/c/{c}/merge/search/?q=da",
        f"/inbox/attachments/{attachment_id}/",
    ]
    posts = [
        (f"/inbox/c/{c}/reply/", {"text": "hi", "force": "1"}),
        (f"/inbox/c/{c}/reply/", {"text": "hi", "mode": "note", "force": "1"}),
        (f"/inbox/c/{c}/assign/", {"agent": "me"}),
        (f"/inbox/c/{c}/team/", {"team": "none"}),
        (f"/inbox/c/{c}/status/", {"status": "resolved"}),
        (f"/inbox/c/{c}/priority/", {"priority": "3"}),
        (f"/inbox/c/{c}/tags/", {"tags": "vip"}),
        (f"/inbox/c/{c}/messages/{message.pk}/retry/", {}),
        (f"/inbox/c/{c}/customer/", {"name": "Mallory"}),
        (f"/inbox/c/{c}/identities/", {"kind": "email", "value": "m@evil.test"}),
        (f"/inbox/c/{c}/identities/{identity_id}/verify/", {}),
        (f"/inbox/c/{c}/merge/", {"other": "1", "confirm": "1"}),
    ]
    return gets, posts


def test_agent_of_another_team_gets_404_on_every_page_fragment_and_action(desk):
    message = desk.receive(desk.whatsapp, "wa-1", "Secret order details", phone="+14155552671")
    conversation = message.conversation
    identity = conversation.customer.identities.get()
    attachment = Attachment.objects.create(message=message, filename="invoice.pdf")
    attachment.file.save("invoice.pdf", ContentFile(b"%PDF"), save=True)
    events_before = ConversationEvent.objects.count()
    gets, posts = _urls(conversation, message, identity.pk, attachment.pk)

    alice = client_for(desk.alice)  # Support: email only
    for url in gets:
        for response in (alice.get(url), htmx(alice, "get", url)):
            assert response.status_code == 404, url
            assert b"Secret order" not in response.content
    for url, data in posts:
        assert htmx(alice, "post", url, data).status_code == 404, url

    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.priority == Conversation.Priority.NORMAL
    assert conversation.messages.count() == 1
    assert ConversationEvent.objects.count() == events_before
    assert conversation.customer.name != "Mallory"


def test_agent_of_the_owning_team_and_a_supervisor_can_open_it(desk):
    message = desk.receive(desk.whatsapp, "wa-1", "Where is my parcel?", phone="+14155552671")
    url = f"/inbox/c/{message.conversation_id}/"
    for user in (desk.bob, desk.sam):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert b"Where is my parcel?" in response.content


def test_list_and_counts_never_include_other_teams_conversations(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # counts are kept on commit
        desk.receive(desk.whatsapp, "wa-1", "WhatsApp secret", phone="+14155552671")
        desk.receive(desk.email, "em-1", "Email question", email="dana@example.com")
    alice = client_for(desk.alice)
    for view in ("mine", "unassigned", "teams", "all"):
        response = htmx(alice, "get", f"/inbox/list/?view={view}")
        assert response.status_code == 200
        assert b"WhatsApp secret" not in response.content
    counts = htmx(alice, "get", "/inbox/counts/").content.decode()
    assert 'id="count-teams" hx-swap-oob="true">1<' in counts
    assert 'id="count-unassigned" hx-swap-oob="true">1<' in counts
    page = alice.get("/inbox/?view=unassigned")
    assert b"Email question" in page.content
    assert b"WhatsApp secret" not in page.content
    # "All" is for supervisors; an agent asking for it gets their teams.
    assert b'value="all"' not in page.content
    assert b'value="all"' in client_for(desk.sam).get("/inbox/").content


def test_search_does_not_reveal_other_teams_conversations(desk):
    desk.receive(desk.whatsapp, "wa-1", "refund for flamingo", phone="+14155552671")
    response = htmx(client_for(desk.alice), "get", "/inbox/list/?view=teams&q=flamingo")
    assert b"flamingo" not in response.content
    response = htmx(client_for(desk.bob), "get", "/inbox/list/?view=teams&q=flamingo")
    assert b"flamingo" in response.content


def test_merge_refuses_a_customer_the_agent_cannot_see(desk):
    mine = desk.receive(desk.email, "em-1", "Hi", email="dana@example.com").conversation
    other = desk.receive(desk.whatsapp, "wa-1", "Hi", phone="+14155552671").conversation
    alice = client_for(desk.alice)
    response = htmx(
        alice,
        "post",
        f"/inbox/c/{mine.pk}/merge/",
        {"other": str(other.customer_id), "confirm": "1"},
    )
    assert response.status_code == 404
    other.customer.refresh_from_db()
    assert other.customer.merged_into_id is None
    search = htmx(alice, "get", f"/inbox/c/{mine.pk}/merge/search/?q=%2B1415")
    assert b"+14155552671" not in search.content


def test_anonymous_visitors_are_sent_to_sign_in(desk, client):
    message = desk.receive(desk.email, "em-1", "Hi", email="dana@example.com")
    for url in ("/inbox/", "/inbox/list/", f"/inbox/c/{message.conversation_id}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
