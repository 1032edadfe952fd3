"""Every supervisor save or delete of a rule, policy or business hours lands in the audit
log once, with what changed, from the change form, the list's inline edits and the bulk
delete alike; team and agent edits offer waiting conversations to the teams concerned."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import AgentProfile, BusinessHours, BusinessHoursInterval, Team
from conversations.models import Conversation
from routing.models import RoutingRule, RuleChange
from routing.services import settings_changed as settings_changed_module
from routing.services.audit import describe_changes, record_save
from routing.services.settings_changed import settings_changed
from tests.factories import TeamFactory, UserFactory, make_agent
from tests.routing.conftest import make_rule, receive
from tests.routing.test_admin_rules import formset


def hours_form(**fields: str) -> dict[str, str]:
    return {"name": "Office", "timezone": "Europe/Berlin", **fields}


def test_business_hours_are_audited_once_with_their_rows(supervisor_client: Client):
    response = supervisor_client.post(
        "/admin/agents/businesshours/add/",
        hours_form()
        | formset("intervals", [{"weekday": "0", "opens": "09:00", "closes": "17:00"}])
        | formset("holidays", []),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hours = BusinessHours.objects.get()
    created = RuleChange.objects.get()
    assert (created.object_type, created.object_id, created.action) == (
        "business hours",
        hours.pk,
        "created",
    )
    assert created.object_name == "Office (Europe/Berlin)"
    assert created.actor == supervisor_client.user
    assert created.changes == ["created", "added business hours interval “Monday 09:00-17:00”"]

    interval = BusinessHoursInterval.objects.get()
    unchanged_rows = formset(
        "intervals",
        [
            {
                "id": str(interval.pk),
                "business_hours": str(hours.pk),
                "weekday": "0",
                "opens": "09:00",
                "closes": "17:00",
            }
        ],
        initial=1,
    ) | formset("holidays", [])
    url = f"/admin/agents/businesshours/{hours.pk}/change/"
    response = supervisor_client.post(url, hours_form(timezone="Europe/Lisbon") | unchanged_rows)
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = RuleChange.objects.order_by("-id").first()
    assert (changed.action, changed.changes) == ("changed", ["changed timezone"])

    # Saving without a change writes nothing.
    supervisor_client.post(url, hours_form(timezone="Europe/Lisbon") | unchanged_rows)
    assert RuleChange.objects.count() == 2


def test_list_edits_are_audited(supervisor_client: Client):
    rule = make_rule("Refunds", position=10)
    response = supervisor_client.post(
        "/admin/routing/routingrule/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "form-0-position": "5",
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = RuleChange.objects.get()
    assert (change.object_id, change.action, change.changes) == (
        rule.pk,
        "changed",
        ["changed position"],
    )


def test_bulk_delete_audits_every_rule(supervisor_client: Client):
    first, second = make_rule("First", position=1), make_rule("Second", position=2)
    response = supervisor_client.post(
        "/admin/routing/routingrule/",
        {
            "action": "delete_selected",
            "_selected_action": [str(first.pk), str(second.pk)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not RoutingRule.objects.exists()
    deleted = RuleChange.objects.order_by("id")
    assert [(c.object_id, c.object_name, c.action) for c in deleted] == [
        (first.pk, "First", "deleted"),
        (second.pk, "Second", "deleted"),
    ]
    assert {c.actor for c in deleted} == {supervisor_client.user}


def test_describe_changes_lists_the_object_then_its_rows():
    rows = SimpleNamespace(
        model=BusinessHoursInterval,
        new_objects=["Monday 09:00-17:00"],
        changed_objects=[("Tuesday 09:00-18:00", ["closes"])],
        deleted_objects=["Sunday 10:00-12:00"],
    )
    assert describe_changes(created=False, changed_fields=["name", "timezone"], rows=[rows]) == [
        "changed name",
        "changed timezone",
        "added business hours interval “Monday 09:00-17:00”",
        "changed business hours interval “Tuesday 09:00-18:00”: closes",
        "deleted business hours interval “Sunday 10:00-12:00”",
    ]
    assert describe_changes(created=True, changed_fields=["name"], rows=[]) == ["created"]


@pytest.mark.django_db
def test_a_save_without_changes_writes_no_row_but_refreshes_the_cached_rule_set():
    rule = make_rule("Refunds")
    long_ago = timezone.now() - timedelta(days=1)
    RoutingRule.objects.filter(pk=rule.pk).update(updated_at=long_ago)
    assert record_save(actor=None, object_type="routing rule", instance=rule, created=False) is None
    assert not RuleChange.objects.exists()
    rule.refresh_from_db()
    assert rule.updated_at > long_ago


@pytest.fixture
def drained(monkeypatch) -> list[list[int]]:
    calls: list[list[int]] = []
    monkeypatch.setattr(
        settings_changed_module,
        "schedule_queue_drain",
        lambda *, team_ids: calls.append(sorted(team_ids)),
    )
    return calls


@pytest.mark.django_db
def test_a_changed_agent_drains_every_team_they_belong_to(drained):
    support, sales = TeamFactory(name="Support"), TeamFactory(name="Sales")
    TeamFactory(name="Elsewhere")
    agent = make_agent(username="ann", teams=[support, sales])
    settings_changed(agent_id=agent.pk)
    settings_changed(team_id=support.pk)
    assert drained == [sorted([support.pk, sales.pk]), [support.pk]]


def test_saving_a_team_in_the_admin_drains_its_queue(supervisor_client: Client, drained):
    team = TeamFactory(name="Support")
    response = supervisor_client.post(
        f"/admin/agents/team/{team.pk}/change/",
        {"name": "Support", "assignment_strategy": Team.Strategy.LEAST_BUSY},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert drained == [[team.pk]]


def test_an_agent_coming_online_in_the_admin_takes_a_waiting_conversation(
    supervisor_client: Client, api_endpoint, support_team, django_capture_on_commit_callbacks
):
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    agent = make_agent(username="ann", teams=[support_team])
    conversation = receive(api_endpoint, "m1", "Where is my parcel?")
    assert conversation.assignee_id is None
    profile = AgentProfile.objects.get(user=agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            f"/admin/agents/agentprofile/{profile.pk}/change/",
            {
                "user": str(agent.pk),
                "role": "agent",
                "capacity": "4",
                "skills": "",
                "languages": "",
                "presence": "online",
                **formset("channel_capacities", []),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == agent.pk


def test_unrelated_users_are_not_drained(drained, db):
    settings_changed(agent_id=UserFactory(username="loner").pk)
    assert drained == [[]]
