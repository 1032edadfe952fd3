"""A retention policy for a team: resolved conversations of that team, on any of its
inboxes, resolved more than its days ago, lose their personal content; other teams'
conversations on the same inbox, unteamed ones and recent ones keep theirs. A
conversation that an inbox policy covers too is anonymised and counted once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agents.models import AgentProfile
from audit.models import AuditEntry
from conversations.models import Conversation, Message
from privacy.models import Anonymisation, RetentionPolicy
from privacy.tasks import apply_retention_policies
from tests.conftest import api_client_for
from tests.factories import (
    ConversationFactory,
    EndpointFactory,
    MessageFactory,
    TeamFactory,
    make_agent,
)

pytestmark = pytest.mark.django_db

WORDS = "my card ends 4242 and I live at 12 Elm Street"


def conversation(endpoint, team, *, resolved_days_ago: int | None) -> Conversation:
    conversation = ConversationFactory(endpoint=endpoint, team=team, subject=WORDS)
    MessageFactory(conversation=conversation, text=WORDS)
    if resolved_days_ago is not None:
        Conversation.objects.filter(pk=conversation.pk).update(
            status="resolved", resolved_at=timezone.now() - timedelta(days=resolved_days_ago)
        )
    return conversation


@pytest.fixture
def world():
    mail = EndpointFactory(kind="email", name="Mail")
    phone = EndpointFactory(kind="sms", name="Phone")
    billing = TeamFactory(name="Billing", endpoints=[mail, phone])
    support = TeamFactory(name="Support", endpoints=[mail])
    policy = RetentionPolicy.objects.create(
        name="Billing: 30 days", team=billing, anonymise_after_days=30
    )
    return {
        "policy": policy,
        "billing": billing,
        "mail": mail,
        "old billing mail": conversation(mail, billing, resolved_days_ago=40),
        "old billing phone": conversation(phone, billing, resolved_days_ago=90),
        "recent billing": conversation(mail, billing, resolved_days_ago=10),
        "open billing": conversation(mail, billing, resolved_days_ago=None),
        "old support mail": conversation(mail, support, resolved_days_ago=400),
        "old without team": conversation(mail, None, resolved_days_ago=400),
    }


def anonymised(conversation: Conversation) -> bool:
    return Message.objects.get(conversation=conversation).text == ""


def test_the_dry_run_lists_the_teams_due_conversations_on_all_its_inboxes(world):
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "Billing: 30 days (after 30 days): would anonymise 2 conversations, 2 messages,"
        " 0 attachments (0 bytes)"
    )
    supervisor = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    [policy] = api_client_for(supervisor).get("/api/v1/retention/dry-run/").json()["policies"]
    assert policy["conversation_ids"] == [
        world["old billing phone"].pk,  # resolved longest ago first
        world["old billing mail"].pk,
    ]
    assert not any(anonymised(world[name]) for name in world if name.startswith(("old", "re")))


def test_the_periodic_task_anonymises_only_the_teams_due_conversations(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_policies.delay().get() == 2
    for name in ("old billing mail", "old billing phone"):
        assert anonymised(world[name]), name
        world[name].refresh_from_db()
        assert world[name].subject == ""
    for name in ("recent billing", "open billing", "old support mail", "old without team"):
        assert not anonymised(world[name]), name
    assert set(Anonymisation.objects.values_list("conversation_id", "policy_id")) == {
        (world["old billing mail"].pk, world["policy"].pk),
        (world["old billing phone"].pk, world["policy"].pk),
    }
    entry = AuditEntry.objects.get(action="retention.anonymise")
    assert entry.object_id == str(world["policy"].pk)
    assert entry.changes["conversations"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_policies.delay().get() == 0


def test_a_conversation_under_an_inbox_and_a_team_policy_is_anonymised_once(
    world, django_capture_on_commit_callbacks
):
    mail_policy = RetentionPolicy.objects.create(
        name="Mail: 20 days", endpoint=world["mail"], anonymise_after_days=20
    )
    # "old billing mail" is due under both; "old support mail" and "old without team"
    # under the inbox's policy only; "old billing phone" under the team's only.
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_policies.delay().get() == 4
    assert Anonymisation.objects.count() == 4
    counted = {
        entry.object_id: entry.changes["conversations"]
        for entry in AuditEntry.objects.filter(action="retention.anonymise")
    }
    assert sum(counted.values()) == 4, counted
    assert not anonymised(world["recent billing"])
    assert {
        name: Anonymisation.objects.get(conversation=world[name]).policy_id
        for name in ("old billing phone", "old support mail")
    } == {"old billing phone": world["policy"].pk, "old support mail": mail_policy.pk}
