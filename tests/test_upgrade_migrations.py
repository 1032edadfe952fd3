"""Upgrading a database written by the previous release loses nothing.

An operator upgrading keeps every team, profile, hours and permission: the release before
the app-stack redesign kept teams, agent profiles, channel capacities and business hours
in the `routing` app; they now belong to `agents` under the same tables, with state-only
migrations and a data migration that moves their content types. This module builds that
previous schema on the test database, fills it the way the old code wrote rows (through
the historical models), runs the upgrade and reads everything back through the current
models: each row with each value, each relation, and the permissions granted on the old
content types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.db.models import Model

from agents.models import (
    AgentChannelCapacity,
    AgentProfile,
    BusinessHours,
    BusinessHoursInterval,
    Holiday,
    Team,
)
from channels_app.models import ChannelEndpoint
from conversations.models import CannedResponse, Conversation, InboxCount, Message
from customers.models import Customer
from reporting.models import CsatSurvey
from routing.models import EscalationRule, RoutingRule, RuleAction, SlaPolicy

pytestmark = pytest.mark.django_db(transaction=True)

# The schema of the release before the app-stack redesign: the leaf migration of each of
# the project's apps then, and no `agents` app at all (its models lived in `routing`).
# Django's and the third-party apps' migrations stay at their leaves (see `_old_targets`).
PREVIOUS_RELEASE: list[tuple[str, str | None]] = [
    ("channels_app", "0002_drop_redundant_fk_indexes"),
    ("conversations", "0004_drop_redundant_fk_indexes"),
    ("customers", "0002_inbox_search"),
    ("reporting", "0005_fact_switched_index"),
    ("routing", "0002_rules_sla_escalation"),
    ("agents", None),
]
PROJECT_APPS = {app_label for app_label, _ in PREVIOUS_RELEASE}

MOVED_MODELS = [
    "Team",
    "AgentProfile",
    "AgentChannelCapacity",
    "BusinessHours",
    "BusinessHoursInterval",
    "Holiday",
]

UTC = dt.UTC
PASSWORD = "written-by-the-old-release"


@dataclass
class PreviousReleaseData:
    """What the old code wrote: the primary keys, and every row as the old schema read it."""

    pks: dict[str, int] = field(default_factory=dict)
    rows: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)


def _old_targets(graph: MigrationGraph) -> list[tuple[str, str | None]]:
    others = [node for node in graph.leaf_nodes() if node[0] not in PROJECT_APPS]
    # Apps added since (audit, privacy, ...) did not exist then: unapplied, like `agents`.
    return [
        *PREVIOUS_RELEASE,
        *((label, None) if _added_since(label) else (label, name) for label, name in others),
    ]


def _added_since(app_label: str) -> bool:
    """One of this project's apps (not Django's or a library's) new since that release."""
    return "site-packages" not in django_apps.get_app_config(app_label).path


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _snapshot_models(apps: Apps) -> dict[str, type[Model]]:
    """The models whose rows must survive the upgrade, by a name that is the same before
    and after it (the moved models are looked up in whichever app holds them)."""
    team_app = "agents" if "agents" in apps.app_configs else "routing"
    models = {name: apps.get_model(team_app, name) for name in MOVED_MODELS}
    team = models["Team"]
    models["Team.members"] = team._meta.get_field("members").remote_field.through
    models["Team.endpoints"] = team._meta.get_field("endpoints").remote_field.through
    for app_label, name in [
        ("auth", "User"),
        ("channels_app", "ChannelEndpoint"),
        ("customers", "Customer"),
        ("conversations", "Conversation"),
        ("conversations", "Message"),
        ("conversations", "CannedResponse"),
        ("routing", "RoutingRule"),
        ("routing", "RuleAction"),
        ("routing", "SlaPolicy"),
        ("routing", "EscalationRule"),
        ("reporting", "CsatSurvey"),
    ]:
        models[name] = apps.get_model(app_label, name)
    return models


def _snapshot(models: dict[str, type[Model]]) -> dict[str, dict[Any, dict[str, Any]]]:
    return {
        name: {row["id"]: row for row in model._default_manager.values()}
        for name, model in models.items()
    }


def _populate_previous_release(apps: Apps) -> PreviousReleaseData:
    """Rows as the previous release wrote them, through its (historical) models."""
    User = apps.get_model("auth", "User")
    ContentTypeOld = apps.get_model("contenttypes", "ContentType")
    PermissionOld = apps.get_model("auth", "Permission")
    LogEntryOld = apps.get_model("admin", "LogEntry")
    ChannelEndpointOld = apps.get_model("channels_app", "ChannelEndpoint")
    CustomerOld = apps.get_model("customers", "Customer")
    ConversationOld = apps.get_model("conversations", "Conversation")
    MessageOld = apps.get_model("conversations", "Message")
    CannedResponseOld = apps.get_model("conversations", "CannedResponse")
    TeamOld = apps.get_model("routing", "Team")
    AgentProfileOld = apps.get_model("routing", "AgentProfile")
    AgentChannelCapacityOld = apps.get_model("routing", "AgentChannelCapacity")
    BusinessHoursOld = apps.get_model("routing", "BusinessHours")
    BusinessHoursIntervalOld = apps.get_model("routing", "BusinessHoursInterval")
    HolidayOld = apps.get_model("routing", "Holiday")
    RoutingRuleOld = apps.get_model("routing", "RoutingRule")
    RuleActionOld = apps.get_model("routing", "RuleAction")
    SlaPolicyOld = apps.get_model("routing", "SlaPolicy")
    EscalationRuleOld = apps.get_model("routing", "EscalationRule")
    CsatSurveyOld = apps.get_model("reporting", "CsatSurvey")

    assert "agents" not in apps.app_configs, "the previous release had no agents app"

    user = User.objects.create(
        username="supervisor",
        email="supervisor@example.com",
        password=make_password(PASSWORD),
        is_active=True,
        is_staff=True,
    )
    endpoint = ChannelEndpointOld.objects.create(
        kind="email",
        name="Billing inbox",
        config={"address": "billing@example.com"},
        credentials={"imap_password": "hunter2"},
    )
    hours = BusinessHoursOld.objects.create(name="Berlin office", timezone="Europe/Berlin")
    interval = BusinessHoursIntervalOld.objects.create(
        business_hours=hours, weekday=0, opens=dt.time(9, 0), closes=dt.time(17, 30)
    )
    holiday = HolidayOld.objects.create(
        business_hours=hours, date=dt.date(2026, 12, 25), name="Christmas"
    )
    team = TeamOld.objects.create(
        name="Billing",
        assignment_strategy="skills",
        business_hours=hours,
        last_assigned_agent=user,
    )
    team.members.add(user)
    team.endpoints.add(endpoint)
    profile = AgentProfileOld.objects.create(
        user=user,
        role="supervisor",
        capacity=7,
        skills=["billing", "refunds"],
        languages=["en", "de"],
        presence="away",
        presence_changed_at=dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    )
    channel_capacity = AgentChannelCapacityOld.objects.create(
        profile=profile, channel="webchat", capacity=2
    )
    customer = CustomerOld.objects.create(name="Dana Scully", language="en", tags=["vip"])
    conversation = ConversationOld.objects.create(
        subject="Refund for order 1138",
        customer=customer,
        endpoint=endpoint,
        team=team,
        assignee=user,
        priority=2,
        last_channel="email",
        last_message_at=dt.datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        last_message_preview="Where is my refund?",
    )
    message = MessageOld.objects.create(
        conversation=conversation,
        endpoint=endpoint,
        direction="in",
        kind="customer",
        channel="email",
        sender_name="Dana Scully",
        text="Where is my refund?",
        created_at=dt.datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
    )
    canned = CannedResponseOld.objects.create(
        shortcut="refund", title="Refund on its way", text="Your refund is on its way.", team=team
    )
    rule = RoutingRuleOld.objects.create(name="Billing questions", position=10)
    action = RuleActionOld.objects.create(rule=rule, kind="assign_team", team=team)
    sla = SlaPolicyOld.objects.create(
        name="Billing SLA", team=team, business_hours=hours, first_response_minutes=60
    )
    escalation = EscalationRuleOld.objects.create(
        policy=sla, trigger="breach", target="first_response", reassign_team=team
    )
    survey = CsatSurveyOld.objects.create(
        conversation=conversation,
        team=team,
        agent=user,
        endpoint=endpoint,
        message=message,
        resolution_number=1,
        resolved_at=dt.datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        channel="email",
        method="link",
    )

    # An old database has content types and permissions for the routing models (created
    # by post_migrate back then). The test database may hold them already: the reverse of
    # agents.0001 relabelled the current ones to "routing".
    moved = [name.lower() for name in MOVED_MODELS]
    for model in moved:
        ContentTypeOld.objects.get_or_create(app_label="routing", model=model)
    team_type = ContentTypeOld.objects.get(app_label="routing", model="team")
    change_team, _ = PermissionOld.objects.get_or_create(
        content_type=team_type, codename="change_team", defaults={"name": "Can change team"}
    )
    user.user_permissions.add(change_team)
    log_entry = LogEntryOld.objects.create(
        user=user,
        content_type=team_type,
        object_id=str(team.pk),
        object_repr="Billing",
        action_flag=CHANGE,
        change_message="[]",
    )
    assert not ContentTypeOld.objects.filter(app_label="agents", model__in=moved).exists()

    return PreviousReleaseData(
        pks={
            "user": user.pk,
            "endpoint": endpoint.pk,
            "hours": hours.pk,
            "interval": interval.pk,
            "holiday": holiday.pk,
            "team": team.pk,
            "profile": profile.pk,
            "channel_capacity": channel_capacity.pk,
            "customer": customer.pk,
            "conversation": conversation.pk,
            "message": message.pk,
            "canned": canned.pk,
            "rule": rule.pk,
            "action": action.pk,
            "sla": sla.pk,
            "escalation": escalation.pk,
            "survey": survey.pk,
            "team_type": team_type.pk,
            "change_team": change_team.pk,
            "log_entry": log_entry.pk,
        },
        rows=_snapshot(_snapshot_models(apps)),
    )


@pytest.fixture
def upgraded_from_previous_release(transactional_db: None) -> Iterator[PreviousReleaseData]:
    """Migrates back to the previous release, writes its rows, upgrades to the latest
    migrations; the database is fully migrated again afterwards, whatever happened, before
    the transactional test flushes what was written (its teardown runs after this one's)."""
    try:
        executor = MigrationExecutor(connection)
        old_targets = _old_targets(executor.loader.graph)
        executor.migrate(old_targets)

        executor = MigrationExecutor(connection)
        applied = executor.loader.applied_migrations
        assert not any(app_label == "agents" for app_label, _ in applied)
        assert ("routing", "0003_teams_and_hours_moved_to_agents") not in applied
        # `project_state` wants nodes: an app "before its first migration" is no node.
        old_nodes = [target for target in old_targets if target[1] is not None]
        old = _populate_previous_release(executor.loader.project_state(old_nodes).apps)

        _migrate_to_latest()
        yield old
    finally:
        _migrate_to_latest()


def test_upgrade_keeps_every_row_with_every_value(
    upgraded_from_previous_release: PreviousReleaseData,
) -> None:
    old = upgraded_from_previous_release
    current = _snapshot(_snapshot_models(django_apps))
    # Columns added since are checked below; every column the old release had is intact.
    kept = {
        name: {
            pk: {column: value for column, value in row.items() if column in old_row}
            for pk, row in rows.items()
            for old_row in [old.rows.get(name, {}).get(pk, row)]
        }
        for name, rows in current.items()
    }
    assert kept == old.rows
    # The live inbox counts the old conversations as they were (conversations 0007).
    for conversation in Conversation.objects.all():
        assert conversation.listed_status == conversation.status
        assert conversation.listed_team_id == (conversation.team_id or 0)
    assert sum(InboxCount.objects.values_list("count", flat=True)) == Conversation.objects.count()
    # Not vacuous: each table the old code wrote holds what it wrote.
    assert all(old.rows[name] for name in old.rows), [n for n in old.rows if not old.rows[n]]

    team = Team.objects.get(pk=old.pks["team"])
    assert (team.name, team.assignment_strategy) == ("Billing", Team.Strategy.SKILLS)
    hours = BusinessHours.objects.get(pk=old.pks["hours"])
    assert (hours.name, hours.timezone) == ("Berlin office", "Europe/Berlin")
    interval = BusinessHoursInterval.objects.get(pk=old.pks["interval"])
    assert (interval.weekday, interval.opens, interval.closes) == (
        BusinessHoursInterval.Weekday.MONDAY,
        dt.time(9, 0),
        dt.time(17, 30),
    )
    holiday = Holiday.objects.get(pk=old.pks["holiday"])
    assert (holiday.date, holiday.name) == (dt.date(2026, 12, 25), "Christmas")
    profile = AgentProfile.objects.get(pk=old.pks["profile"])
    assert profile.role == AgentProfile.Role.SUPERVISOR
    assert profile.capacity == 7
    assert profile.skills == ["billing", "refunds"]
    assert profile.languages == ["en", "de"]
    assert profile.presence == AgentProfile.Presence.AWAY
    assert profile.presence_changed_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    channel_capacity = AgentChannelCapacity.objects.get(pk=old.pks["channel_capacity"])
    assert (channel_capacity.channel, channel_capacity.capacity) == ("webchat", 2)
    endpoint = ChannelEndpoint.objects.get(pk=old.pks["endpoint"])
    assert endpoint.credentials == {"imap_password": "hunter2"}
    assert get_user_model().objects.get(pk=old.pks["user"]).check_password(PASSWORD)

    # The tables keep their sequences: new rows do not collide with the old ones.
    newer = Team.objects.create(name="Second line", business_hours=hours)
    assert newer.pk > team.pk


def test_upgrade_keeps_every_relation_to_teams_profiles_and_hours(
    upgraded_from_previous_release: PreviousReleaseData,
) -> None:
    pks = upgraded_from_previous_release.pks
    user = get_user_model().objects.get(pk=pks["user"])
    team = Team.objects.get(pk=pks["team"])
    hours = BusinessHours.objects.get(pk=pks["hours"])
    endpoint = ChannelEndpoint.objects.get(pk=pks["endpoint"])

    assert list(team.members.all()) == [user]
    assert list(user.teams.all()) == [team]
    assert list(team.endpoints.all()) == [endpoint]
    assert list(endpoint.teams.all()) == [team]
    assert team.business_hours == hours
    assert team.last_assigned_agent == user
    assert list(hours.teams.all()) == [team]
    assert [i.pk for i in hours.intervals.all()] == [pks["interval"]]
    assert [h.pk for h in hours.holidays.all()] == [pks["holiday"]]

    profile = user.agent_profile
    assert profile.pk == pks["profile"]
    assert [c.pk for c in profile.channel_capacities.all()] == [pks["channel_capacity"]]

    conversation = Conversation.objects.get(pk=pks["conversation"])
    assert conversation.team == team
    assert list(team.conversations.all()) == [conversation]
    assert conversation.customer == Customer.objects.get(pk=pks["customer"])
    assert conversation.endpoint == endpoint
    assert conversation.assignee == user
    assert [m.pk for m in conversation.messages.all()] == [pks["message"]]
    assert Message.objects.get(pk=pks["message"]).endpoint == endpoint
    assert CannedResponse.objects.get(pk=pks["canned"]).team == team

    action = RuleAction.objects.get(pk=pks["action"])
    assert action.kind == RuleAction.Kind.ASSIGN_TEAM
    assert action.team == team
    assert action.rule == RoutingRule.objects.get(pk=pks["rule"])
    sla = SlaPolicy.objects.get(pk=pks["sla"])
    assert (sla.team, sla.business_hours) == (team, hours)
    assert list(team.sla_policies.all()) == [sla]
    escalation = EscalationRule.objects.get(pk=pks["escalation"])
    assert (escalation.policy, escalation.reassign_team) == (sla, team)
    survey = CsatSurvey.objects.get(pk=pks["survey"])
    assert (survey.team, survey.conversation, survey.agent) == (team, conversation, user)


def test_upgrade_moves_content_types_so_granted_permissions_still_apply(
    upgraded_from_previous_release: PreviousReleaseData,
) -> None:
    pks = upgraded_from_previous_release.pks
    team_type = ContentType.objects.get(pk=pks["team_type"])
    assert (team_type.app_label, team_type.model) == ("agents", "team")
    assert team_type.model_class() is Team
    assert ContentType.objects.get_for_model(Team) == team_type
    moved = [name.lower() for name in MOVED_MODELS]
    assert not ContentType.objects.filter(app_label="routing", model__in=moved).exists()
    assert sorted(
        ContentType.objects.filter(app_label="agents", model__in=moved).values_list(
            "model", flat=True
        )
    ) == sorted(moved)

    permission = Permission.objects.get(pk=pks["change_team"])
    assert permission.content_type == team_type
    # A fresh instance: the permission cache of an earlier one would answer instead.
    user = get_user_model().objects.get(pk=pks["user"])
    assert user.has_perm("agents.change_team")
    assert not user.has_perm("routing.change_team")

    # The admin's history of the team still finds the team.
    log_entry = LogEntry.objects.get(pk=pks["log_entry"])
    assert log_entry.get_edited_object() == Team.objects.get(pk=pks["team"])
