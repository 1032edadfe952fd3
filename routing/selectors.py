"""Reads for routing: schedules, the active rule set, facts about a conversation,
the SLA policy that applies, and the supervisors' queue overview."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from agents.business_hours import Schedule, is_open
from agents.models import AgentChannelCapacity, AgentProfile, BusinessHours, Team
from agents.roles import sees_everything
from agents.selectors import (
    availability,
    default_team_for_endpoint,
    schedule_for,
    team_schedule,
)
from conversations.models import Conversation, Message
from customers.attributes import attribute_types
from omnidesk.config_memo import ConfigMemo
from omnidesk.errors import PermissionDeniedError
from routing import rules as rule_logic
from routing.models import RoutingRule, RuleAction, SlaPolicy
from routing.strategies import Candidate, choose

# Conversations that count against an agent's capacity.
LOAD_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)


# --- Schedules ----------------------------------------------------------------------------


# --- The rule set, compiled once per change -------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    team_id: int | None = None
    agent_id: int | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()
    reply_text: str = ""

    def describe(self, names: dict[str, str] | None = None) -> str:
        names = names or {}
        label = dict(RuleAction.Kind.choices)[self.kind]
        if self.kind == RuleAction.Kind.ASSIGN_TEAM:
            return f"{label} {names.get('team', f'#{self.team_id}')}"
        if self.kind == RuleAction.Kind.ASSIGN_AGENT:
            return f"{label} {names.get('agent', f'#{self.agent_id}')}"
        if self.kind == RuleAction.Kind.SET_PRIORITY:
            return f"{label} {rule_logic._priority_name(self.priority or 0)}"
        if self.kind == RuleAction.Kind.ADD_TAGS:
            return f"{label} {', '.join(self.tags)}"
        return label


@dataclass(frozen=True)
class CompiledRule:
    rule: rule_logic.Rule
    actions: tuple[ActionSpec, ...]

    @property
    def id(self) -> int:
        return self.rule.id or 0

    @property
    def name(self) -> str:
        return self.rule.name


@dataclass
class _RuleCache:
    version: tuple | None = None
    rules: list[CompiledRule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_rule_cache = _RuleCache()


def active_rules() -> list[CompiledRule]:
    """Active rules in order. One cheap query checks whether the cached set is current:
    the admin touches a rule's `updated_at` whenever it or its rows change."""
    version_row = RoutingRule.objects.aggregate(latest=Max("updated_at"), count=Count("id"))
    version = (version_row["latest"], version_row["count"])
    if _rule_cache.version == version:
        return _rule_cache.rules
    with _rule_cache.lock:
        compiled = [compile_rule(rule) for rule in _load_rules(active_only=True)]
        _rule_cache.version, _rule_cache.rules = version, compiled
    return compiled


def some_rule_hands_to_bot() -> bool:
    """Whether an active rule hands conversations to the bot (from the rules this process
    compiled for its last routing pass, which runs before assignment)."""
    rules = _rule_cache.rules if _rule_cache.version is not None else active_rules()
    return any(
        action.kind == RuleAction.Kind.HAND_TO_BOT for rule in rules for action in rule.actions
    )


def _load_rules(*, active_only: bool) -> list[RoutingRule]:
    rules = RoutingRule.objects.prefetch_related("conditions", "actions").order_by("position", "id")
    if active_only:
        rules = rules.filter(is_active=True)
    return list(rules)


def compile_rule(rule: RoutingRule) -> CompiledRule:
    conditions = tuple(
        rule_logic.Condition(
            field=c.field,
            operator=c.operator,
            value=str(c.endpoint_id) if c.field == rule_logic.ENDPOINT else c.value,
            key=c.key,
        )
        for c in rule.conditions.all()
    )
    actions = tuple(
        ActionSpec(
            kind=a.kind,
            team_id=a.team_id,
            agent_id=a.agent_id,
            priority=a.priority,
            tags=tuple(t.strip() for t in a.tags.split(",") if t.strip()),
            reply_text=a.reply_text,
        )
        for a in rule.actions.all()
    )
    return CompiledRule(
        rule=rule_logic.Rule(id=rule.pk, name=rule.name, conditions=conditions, match=rule.match),
        actions=actions,
    )


def _rules_use(rules: list[CompiledRule], field_name: str) -> bool:
    return any(c.field == field_name for r in rules for c in r.rule.conditions)


# --- Facts --------------------------------------------------------------------------------


def conversation_facts(
    *,
    conversation: Conversation,
    now: datetime,
    rules: list[CompiledRule] | None = None,
    message: Message | None = None,
) -> rule_logic.Facts:
    """What the rules see about `conversation`: its latest inbound message, customer and
    state. Costly facts (business hours, earlier contacts) are read only when a rule
    in `rules` looks at them (all of them when `rules` is None)."""
    if message is None:
        message = (
            conversation.messages.filter(direction=Message.Direction.INBOUND)
            .select_related("endpoint")
            .order_by("-created_at", "-id")
            .first()
        )
    customer = conversation.customer
    endpoint = message.endpoint if message and message.endpoint_id else conversation.endpoint
    team_id = conversation.team_id or default_team_for_endpoint(conversation.endpoint_id)
    inside = True
    if rules is None or _rules_use(rules, rule_logic.BUSINESS_HOURS):
        inside = is_open(now, team_schedule(team_id))
    previous = None
    if rules is None or _rules_use(rules, rule_logic.REPEAT_CONTACT):
        previous = (
            Conversation.objects.filter(customer_id=conversation.customer_id)
            .exclude(pk=conversation.pk)
            .aggregate(latest=Max("last_message_at"))["latest"]
        )
    types: dict[str, str] = {}
    if rules is None or _rules_use(rules, rule_logic.CUSTOMER_ATTRIBUTE):
        types = attribute_types()
    return rule_logic.Facts(
        channel=message.channel if message else conversation.last_channel,
        endpoint_id=endpoint.pk if endpoint else None,
        endpoint_name=endpoint.name if endpoint else "",
        text=message.text if message else "",
        subject=(message.subject if message else "") or conversation.subject,
        customer_attributes=customer.attributes or {},
        conversation_attributes=conversation.attributes or {},
        attribute_types=types,
        customer_tags=tuple(customer.tags or ()),
        language=customer.language,
        priority=conversation.priority,
        inside_business_hours=inside,
        previous_contact_at=previous,
        now=now,
    )


# --- SLA policy ----------------------------------------------------------------------------


def active_sla_policies() -> list[SlaPolicy]:
    """Every active policy, in the order they are tried (a handful of rows). Kept per
    process until a policy or business hours change (`routing.apps`): every reply and
    every inbound batch re-times its conversations' SLA."""
    return ACTIVE_SLA_POLICIES.get()


def _load_active_sla_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("business_hours")
        .order_by("position", "id")
    )


ACTIVE_SLA_POLICIES = ConfigMemo("active-sla-policies", _load_active_sla_policies)


def policy_for(
    *, conversation: Conversation, policies: list[SlaPolicy] | None = None
) -> SlaPolicy | None:
    """The first active policy, by position, whose conditions all hold. `policies` are
    the active ones when the caller already read them."""
    for policy in active_sla_policies() if policies is None else policies:
        if policy.priority is not None and policy.priority != conversation.priority:
            continue
        if policy.team_id is not None and policy.team_id != conversation.team_id:
            continue
        if policy.channel and policy.channel != conversation.last_channel:
            continue
        if policy.customer_tag and policy.customer_tag.lower() not in {
            tag.lower() for tag in (conversation.customer.tags or [])
        }:
            continue
        return policy
    return None


def sla_schedule(*, policy: SlaPolicy, team_id: int | None) -> Schedule:
    if policy.business_hours_id:
        return schedule_for(
            BusinessHours.objects.prefetch_related("intervals", "holidays").get(
                pk=policy.business_hours_id
            )
        )
    return team_schedule(team_id)


# --- Dry run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunRule:
    name: str
    position: int
    is_active: bool
    result: rule_logic.RuleResult
    actions: list[str]
    skipped_reason: str = ""


@dataclass(frozen=True)
class DryRun:
    facts: rule_logic.Facts
    rules: list[DryRunRule]
    team_name: str
    assignee: str
    assignee_reason: str


def dry_run(
    *,
    facts: rule_logic.Facts,
    endpoint_team_id: int | None,
    current_team_id: int | None = None,
    current_tags: frozenset[str] = frozenset(),
) -> DryRun:
    """What routing would do with `facts`, without writing anything: every rule (active
    or not) with why it matches or misses, in order, honouring "stop"; then the team
    and the agent the assignment strategy would pick right now."""
    all_rules = [compile_rule(rule) for rule in _load_rules(active_only=False)]
    positions = {r.pk: (r.position, r.is_active) for r in RoutingRule.objects.all()}
    team_names = dict(Team.objects.values_list("id", "name"))
    user_names = {u.pk: u.get_username() for u in get_user_model().objects.all()}
    team_id = current_team_id or endpoint_team_id
    agent_id: int | None = None
    tags = set(current_tags)
    stopped_by = ""
    rows = []
    for compiled in all_rules:
        position, is_active = positions.get(compiled.id, (0, False))
        result = rule_logic.evaluate(compiled.rule, facts)
        actions = [
            a.describe(
                {
                    "team": team_names.get(a.team_id, "?"),
                    "agent": user_names.get(a.agent_id, "?"),
                }
            )
            for a in compiled.actions
        ]
        skipped = ""
        if not is_active:
            skipped = "inactive: skipped"
        elif stopped_by:
            skipped = f"not reached: “{stopped_by}” stopped processing"
        rows.append(DryRunRule(compiled.name, position, is_active, result, actions, skipped))
        if skipped or not result.matched:
            continue
        for action in compiled.actions:
            if action.kind == RuleAction.Kind.ASSIGN_TEAM and action.team_id in team_names:
                team_id = action.team_id
            elif action.kind == RuleAction.Kind.ASSIGN_AGENT:
                agent_id = action.agent_id
            elif action.kind == RuleAction.Kind.SET_PRIORITY and action.priority is not None:
                facts = rule_logic.Facts(**{**facts.__dict__, "priority": action.priority})
            elif action.kind == RuleAction.Kind.ADD_TAGS:
                tags |= {t.lower() for t in action.tags}
            elif action.kind == RuleAction.Kind.STOP:
                stopped_by = compiled.name
    if agent_id is not None:
        return DryRun(
            facts,
            rows,
            team_names.get(team_id, "none"),
            user_names.get(agent_id, "?"),
            "a rule assigns this agent directly",
        )
    if team_id is None:
        return DryRun(
            facts, rows, "none", "nobody", "no rule picks a team and no team owns the inbox"
        )
    team = Team.objects.get(pk=team_id)
    choice = choose(
        strategy=team.assignment_strategy,
        candidates=load_candidates(team_id=team.pk, channel=facts.channel, lock=False),
        last_assigned_id=team.last_assigned_agent_id,
        wanted_skills=frozenset(tags),
        language=facts.language,
    )
    return DryRun(
        facts,
        rows,
        team.name,
        user_names.get(choice.user_id, "nobody") if choice.user_id else "nobody",
        choice.reason,
    )


def access_supervisor(*, user: AbstractBaseUser) -> AbstractBaseUser:
    if not sees_everything(user):
        raise PermissionDeniedError("Only supervisors and admins may see this.")
    return user


def users_by_id(ids: set[int]) -> dict[int, AbstractBaseUser]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}


# --- Queue overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentLoad:
    user_id: int
    name: str
    presence: str
    load: int
    capacity: int


@dataclass(frozen=True)
class TeamQueue:
    team_id: int
    name: str
    strategy: str
    waiting: int
    oldest_waiting_since: datetime | None
    breached: int
    at_risk: int
    agents: list[AgentLoad]
    conversations: list[Conversation]

    @property
    def oldest_wait(self) -> timedelta | None:
        if self.oldest_waiting_since is None:
            return None
        return timezone.now() - self.oldest_waiting_since


def queue_overview(
    *, now: datetime | None = None, risk_window: timedelta = timedelta(minutes=30)
) -> list[TeamQueue]:
    """Per team: conversations waiting for an agent (oldest first), SLA risk, and the
    agents with their presence and load. Precondition: the user is a supervisor."""
    now = now or timezone.now()
    waiting = Conversation.objects.filter(
        team__isnull=False, assignee__isnull=True, status=Conversation.Status.OPEN
    )
    due = Q(first_response_due_at__lte=now) | Q(next_response_due_at__lte=now)
    due |= Q(resolution_due_at__lte=now)
    soon = now + risk_window
    risk = Q(first_response_due_at__lte=soon) | Q(next_response_due_at__lte=soon)
    risk |= Q(resolution_due_at__lte=soon)
    stats = {
        row["team_id"]: row
        for row in waiting.values("team_id").annotate(
            waiting=Count("id"),
            oldest=Min("waiting_since"),
            breached=Count("id", filter=due),
            at_risk=Count("id", filter=risk & ~due),
        )
    }
    open_active = Conversation.objects.filter(status__in=LOAD_STATUSES, assignee__isnull=False)
    loads = {
        row["assignee_id"]: row["n"]
        for row in open_active.values("assignee_id").annotate(n=Count("id"))
    }
    profiles = {
        p.user_id: p for p in AgentProfile.objects.select_related("user").order_by("user_id")
    }
    result = []
    for team in Team.objects.prefetch_related("members").order_by("name"):
        row = stats.get(team.pk, {})
        agents = []
        for member in sorted(team.members.all(), key=lambda u: u.get_username()):
            profile = profiles.get(member.pk)
            agents.append(
                AgentLoad(
                    user_id=member.pk,
                    name=member.get_full_name() or member.get_username(),
                    presence=availability(profile) if profile else "offline",
                    load=loads.get(member.pk, 0),
                    capacity=profile.capacity if profile else 0,
                )
            )
        oldest_first = (
            waiting.filter(team=team)
            .select_related("customer")
            .order_by("-priority", "waiting_since", "id")[:20]
        )
        result.append(
            TeamQueue(
                team_id=team.pk,
                name=team.name,
                strategy=team.get_assignment_strategy_display(),
                waiting=row.get("waiting", 0),
                oldest_waiting_since=row.get("oldest"),
                breached=row.get("breached", 0),
                at_risk=row.get("at_risk", 0),
                agents=agents,
                conversations=list(oldest_first),
            )
        )
    return result


# --- Assignment candidates -------------------------------------------------------------------


def load_candidates(*, team_id: int, channel: str, lock: bool) -> list[Candidate]:
    """Available (connected and Online: not Away, not Busy), active members of the
    team with their current load.

    With `lock`, their AgentProfile rows are locked in id order (every assigner takes
    them in that order, so assigners queue instead of deadlocking) and the loads are
    counted after the locks are held, so they include every committed assignment.
    """
    profiles = (
        AgentProfile.objects.filter(
            user__teams__id=team_id,
            user__is_active=True,
            presence=AgentProfile.Presence.ONLINE,
            status=AgentProfile.Status.ONLINE,
        )
        .select_related("user")
        .order_by("id")
    )
    if lock:
        profiles = profiles.select_for_update(of=("self",))
    profiles = list(profiles)
    if not profiles:
        return []
    user_ids = [p.user_id for p in profiles]
    counted = Conversation.objects.filter(assignee_id__in=user_ids, status__in=LOAD_STATUSES)
    loads = {
        row["assignee_id"]: row
        for row in counted.values("assignee_id").annotate(
            n=Count("id"), on_channel=Count("id", filter=Q(last_channel=channel))
        )
    }
    limits = {
        (c.profile_id): c.capacity
        for c in AgentChannelCapacity.objects.filter(profile__in=profiles, channel=channel)
    }
    return [
        Candidate(
            user_id=p.user_id,
            load=loads.get(p.user_id, {}).get("n", 0),
            capacity=p.capacity,
            channel_load=loads.get(p.user_id, {}).get("on_channel", 0),
            channel_capacity=limits.get(p.pk),
            skills=frozenset(str(s).lower() for s in (p.skills or [])),
            languages=frozenset(str(s).lower() for s in (p.languages or [])),
            username=p.user.get_username(),
        )
        for p in profiles
    ]


def wanted_skills(conversation: Conversation) -> frozenset[str]:
    """Skills a conversation asks for: its tag names (rules add tags such as "billing")."""
    if conversation.pk is None:
        return frozenset()
    return frozenset(n.lower() for n in conversation.tags.values_list("name", flat=True))
