"""A retention policy per inbox or team: resolved conversations older than its days lose
their personal content, run by a periodic task; the dry run (command, API, admin action)
says what would go and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from agents.models import AgentProfile
from audit.models import AuditEntry
from conversations.models import Attachment, Conversation, Message
from privacy.models import Anonymisation, RetentionPolicy
from privacy.tasks import apply_retention_policies
from tests.conftest import api_client_for
from tests.factories import ConversationFactory, EndpointFactory, MessageFactory, make_agent

pytestmark = pytest.mark.django_db

OLD_WORDS = "my old address is 12 Elm Street"
RECENT_WORDS = "my new address is 3 Oak Lane"


def conversation(endpoint, *, text: str, resolved_days_ago: int | None) -> Conversation:
    conversation = ConversationFactory(endpoint=endpoint, subject=text)
    message = MessageFactory(conversation=conversation, text=text)
    attachment = Attachment(message=message, filename="scan.pdf", size=9)
    attachment.file.save("scan.pdf", ContentFile(b"scan-data"), save=True)
    if resolved_days_ago is not None:
        Conversation.objects.filter(pk=conversation.pk).update(
            status="resolved", resolved_at=timezone.now() - timedelta(days=resolved_days_ago)
        )
    return conversation


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    mail = EndpointFactory(kind="email", name="Mail")
    other = EndpointFactory(kind="sms", name="Phone")
    policy = RetentionPolicy.objects.create(
        name="Mail: 30 days", endpoint=mail, anonymise_after_days=30
    )
    return {
        "policy": policy,
        "old": conversation(mail, text=OLD_WORDS, resolved_days_ago=40),
        "recent": conversation(mail, text=RECENT_WORDS, resolved_days_ago=10),
        "open": conversation(mail, text=OLD_WORDS, resolved_days_ago=None),
        "other inbox": conversation(other, text=OLD_WORDS, resolved_days_ago=400),
    }


def contents() -> list[tuple]:
    return list(Message.objects.order_by("pk").values_list("text", "body_html")) + list(
        Attachment.objects.order_by("pk").values_list("file", flat=True)
    )


def test_the_dry_run_says_what_would_go_and_changes_nothing(world, tmp_path):
    before = contents()
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "Mail: 30 days (after 30 days): would anonymise 1 conversations, 1 messages,"
        " 1 attachments (9 bytes)"
    )
    supervisor = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    answer = api_client_for(supervisor).get("/api/v1/retention/dry-run/").json()
    [policy] = answer["policies"]
    assert policy["conversation_ids"] == [world["old"].pk]
    assert (policy["messages"], policy["attachments"], policy["attachment_bytes"]) == (1, 1, 9)
    assert contents() == before
    assert not Anonymisation.objects.exists()
    assert not AuditEntry.objects.filter(action="retention.anonymise").exists()


def test_agents_may_not_see_the_dry_run(world, agent):
    assert api_client_for(agent).get("/api/v1/retention/dry-run/").status_code == 403


def test_the_periodic_task_anonymises_only_what_is_due_once(
    world, django_capture_on_commit_callbacks
):
    old = world["old"]
    stored = Path(Attachment.objects.get(message__conversation=old).file.path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_policies.delay().get() == 1

    message = Message.objects.get(conversation=old)
    assert (message.text, message.body_html, message.kind) == ("", "", "customer")
    old.refresh_from_db()
    assert (old.subject, old.last_message_preview, old.status) == ("", "", "resolved")
    assert not Attachment.objects.filter(message__conversation=old).exists()
    assert not stored.exists()
    for kept in ("recent", "open", "other inbox"):
        assert Message.objects.get(conversation=world[kept]).text != "", kept
        assert Attachment.objects.filter(message__conversation=world[kept]).exists(), kept
    record = Anonymisation.objects.get()
    assert (record.conversation_id, record.reason, record.policy) == (
        old.pk,
        "retention",
        world["policy"],
    )
    entry = AuditEntry.objects.get(action="retention.anonymise")
    assert entry.actor_kind == "system"
    assert entry.changes == {
        "conversations": 1,
        "messages": 1,
        "attachments": 1,
        "attachment_bytes": 9,
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_policies.delay().get() == 0
    assert AuditEntry.objects.filter(action="retention.anonymise").count() == 1


def test_the_admin_action_dry_runs_the_selected_policies(world, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/privacy/retentionpolicy/",
        {"action": "dry_run", "_selected_action": [world["policy"].pk]},
        follow=True,
    )
    assert "would anonymise 1 conversations" in response.content.decode()
    assert not Anonymisation.objects.exists()


def test_a_policy_names_an_inbox_or_a_team_not_both(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(name="Nothing", anonymise_after_days=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(
            name="Zero", endpoint=world["policy"].endpoint, anonymise_after_days=0
        )
