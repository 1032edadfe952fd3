"""Which teams own which inbox, and the SLA policies, are read once per process and kept
until they change: an announcement or a reply asks nothing of the database for them, and
a change (a team given an inbox, a team deleted, a policy edited) is in effect for the
very next message, in every process. A change rolled back is never kept."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from agents.models import Team
from agents.selectors import ENDPOINT_OWNERS, teams_of_endpoints
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation
from conversations.services import receive_message
from routing.models import SlaPolicy
from routing.selectors import active_sla_policies
from tests.conftest import inbound

# Committed for real: what is kept depends on what commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox() -> ChannelEndpoint:
    return ChannelEndpoint.objects.create(kind="api", name="Kept inbox")


def test_owners_are_kept_until_an_inbox_changes_hands(inbox, django_assert_num_queries):
    first = Team.objects.create(name="First line")
    first.endpoints.add(inbox)
    assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [first.pk]}
    with django_assert_num_queries(0):
        assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [first.pk]}

    second = Team.objects.create(name="Second line")
    second.endpoints.add(inbox)
    assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [first.pk, second.pk]}

    first.endpoints.remove(inbox)
    assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [second.pk]}

    second.delete()  # its inbox rows go without an m2m signal
    assert teams_of_endpoints({inbox.pk}) == {}


def test_a_change_rolled_back_is_not_kept(inbox):
    owners = Team.objects.create(name="Owners")
    owners.endpoints.add(inbox)
    with pytest.raises(RuntimeError), transaction.atomic():
        Team.objects.create(name="Never").endpoints.add(inbox)
        assert len(teams_of_endpoints({inbox.pk})[inbox.pk]) == 2  # its own change
        raise RuntimeError("rolled back")

    assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [owners.pk]}


def test_a_policy_rolled_back_is_not_applied(inbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        SlaPolicy.objects.create(name="Never", first_response_minutes=5)
        assert [p.name for p in active_sla_policies()] == ["Never"]
        raise RuntimeError("rolled back")

    assert active_sla_policies() == []
    # A conversation timed now refers to no policy that does not exist.
    receive_message(endpoint=inbox, inbound=inbound("m1", email="a@example.com"))
    assert Conversation.objects.get().first_response_due_at is None


def test_a_new_conversation_goes_to_the_team_that_owns_the_inbox_now(inbox):
    old = Team.objects.create(name="Old owners")
    old.endpoints.add(inbox)
    receive_message(endpoint=inbox, inbound=inbound("m1", email="a@example.com"))

    new = Team.objects.create(name="New owners")
    inbox.teams.set([new])  # from the inbox's side of the relation
    receive_message(endpoint=inbox, inbound=inbound("m2", email="b@example.com"))

    teams = Conversation.objects.order_by("id").values_list("team_id", flat=True)
    assert list(teams) == [old.pk, new.pk]


def test_a_change_made_by_another_process_is_seen(inbox):
    team = Team.objects.create(name="Owners")
    team.endpoints.add(inbox)
    assert teams_of_endpoints({inbox.pk}) == {inbox.pk: [team.pk]}

    # Another process took the inbox away: its rows changed and so did the shared
    # generation, but nothing ran in this one.
    Team.endpoints.through.objects.filter(team=team).delete()
    cache.set(ENDPOINT_OWNERS.key, "another process's generation", timeout=None)

    assert teams_of_endpoints({inbox.pk}) == {}


def test_sla_policies_are_kept_until_one_is_edited(django_assert_num_queries):
    standard = SlaPolicy.objects.create(name="Standard", first_response_minutes=120)
    assert [p.name for p in active_sla_policies()] == ["Standard"]
    with django_assert_num_queries(0):
        active_sla_policies()

    standard.first_response_minutes = 30
    standard.save()
    assert [p.first_response_minutes for p in active_sla_policies()] == [30]

    standard.delete()
    assert active_sla_policies() == []
