"""Routing rules in action, assignment strategies, the team queue and presence."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from agents.models import Team
from agents.selectors import SUPERVISORS_GROUP, default_team_for_endpoint
from conversations import services as conversation_services
from conversations.models import Conversation, ConversationEvent, Message
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit
from routing import hooks, selectors, strategies
from routing import rules as rule_logic
from routing.models import RuleAction, SlaClock

logger = logging.getLogger(__name__)

QUEUE_CHANGED = "routing.queue"
# Queue rows read at once when draining past held conversations at the head of the queue.
HELD_SCAN_CHUNK = 100


@dataclass
class RouteOutcome:
    fired: list[str] = field(default_factory=list)
    team_id: int | None = None
    assignee_id: int | None = None
    handed_to_bot: bool = False
    # Not given to an agent because a higher app holds it (`routing.hooks`).
    held: bool = False
    auto_replies: int = 0


def route(
    *, conversation: Conversation, opened: bool = False, now: datetime | None = None
) -> RouteOutcome:
    """Run the rules on a new or reopened conversation, then assign it by its team's
    strategy when it has no assignee.

    Precondition: inside the transaction that stored the customer's message, with the
    conversation row locked. Rules run once per (re)opening; an unassigned conversation
    that gets another message only retries the assignment.
    """
    return route_many(conversations=[(conversation, opened)], now=now)[0]


def route_many(
    *, conversations: Sequence[tuple[Conversation, bool]], now: datetime | None = None
) -> list[RouteOutcome]:
    """`route` for several conversations (each with its `opened` flag) of one inbound
    batch: the rule set and SLA clocks are read once, and a team whose online members
    are all at capacity is asked only once.

    Precondition: as `route`, with every conversation row locked.
    """
    now = now or timezone.now()
    _attach_clocks_for_routing(conversations, now)
    rules: list[selectors.CompiledRule] | None = None
    outcomes = []
    for conversation, opened in conversations:
        outcome = RouteOutcome()
        clock = conversation.sla_clock
        reopened = clock.last_status == Conversation.Status.RESOLVED and (
            conversation.status == Conversation.Status.OPEN
        )
        if opened or reopened or clock.routed_at is None:
            if rules is None:
                rules = selectors.active_rules()
            _run_rules(conversation, now=now, outcome=outcome, rules=rules)
            if not opened:
                clock.routed_at = now
                clock.save(update_fields=["routed_at"])
        if conversation.team_id is None:
            team_id = default_team_for_endpoint(conversation.endpoint_id)
            if team_id is not None:
                _set_team(conversation, Team.objects.get(pk=team_id), reason="owns the inbox")
        outcomes.append(outcome)
    full_teams: set[int] = set()
    held = hooks.held_from_assignment_many(
        [c for c, _ in conversations if c.assignee_id is None and c.team_id is not None]
    )
    for (conversation, _), outcome in zip(conversations, outcomes, strict=True):
        team_id = conversation.team_id
        if conversation.pk in held:
            # Someone else (the bot) is talking to the customer: it waits in the team
            # queue until they let go.
            outcome.held = True
        elif conversation.assignee_id is None and team_id is not None and team_id not in full_teams:
            _, room_left = _assign_from_team(conversation=conversation, team_id=team_id)
            if not room_left:
                # Nobody in the team can take more in this transaction: the rest wait.
                full_teams.add(team_id)
        outcome.team_id, outcome.assignee_id = conversation.team_id, conversation.assignee_id
    return outcomes


def _attach_clocks_for_routing(
    conversations: Sequence[tuple[Conversation, bool]], now: datetime
) -> None:
    """A new conversation gets a clock stamped as routed now; others their existing one
    (created when missing)."""
    existing = SlaClock.objects.in_bulk([c.pk for c, opened in conversations if not opened])
    created = []
    for conversation, opened in conversations:
        clock = existing.get(conversation.pk)
        if clock is None:
            clock = SlaClock(conversation=conversation, routed_at=now if opened else None)
            created.append(clock)
        conversation.sla_clock = clock
    SlaClock.objects.bulk_create(created)


def _run_rules(
    conversation: Conversation,
    *,
    now: datetime,
    outcome: RouteOutcome,
    rules: list[selectors.CompiledRule],
) -> None:
    if not rules:
        return
    facts = selectors.conversation_facts(conversation=conversation, now=now, rules=rules)
    for compiled in rules:
        result = rule_logic.evaluate(compiled.rule, facts)
        if not result.matched:
            continue
        done, stop = [], False
        for action in compiled.actions:
            done.append(_apply_action(conversation, action, outcome))
            stop = stop or action.kind == RuleAction.Kind.STOP
        conversation_services.record_timeline_event(
            conversation=conversation,
            kind=ConversationEvent.Kind.RULE_FIRED,
            data={
                "rule_id": compiled.id,
                "rule": compiled.name,
                "actions": done,
                "reasons": [c.reason for c in result.conditions],
            },
            at=now,
        )
        outcome.fired.append(compiled.name)
        if conversation.priority != facts.priority:
            # Later rules see the priority earlier rules set.
            facts = rule_logic.Facts(**{**facts.__dict__, "priority": conversation.priority})
        if stop:
            break


def _apply_action(
    conversation: Conversation, action: selectors.ActionSpec, outcome: RouteOutcome
) -> str:
    kind = action.kind
    if kind == RuleAction.Kind.ASSIGN_TEAM:
        team = Team.objects.filter(pk=action.team_id).first()
        if team is None:
            return "assign to team: the team no longer exists"
        _set_team(conversation, team, reason="routing rule")
        return f"assigned to team {team.name}"
    if kind == RuleAction.Kind.ASSIGN_AGENT:
        agent = get_user_model().objects.filter(pk=action.agent_id, is_active=True).first()
        if agent is None:
            return "assign to agent: the agent no longer exists or is inactive"
        # A supervisor's explicit rule ("VIPs go to Carol") wins over capacity.
        _assign(conversation, agent)
        return f"assigned to {agent.get_username()}"
    if kind == RuleAction.Kind.SET_PRIORITY and action.priority is not None:
        conversation_services.set_priority(
            conversation=conversation,
            priority=action.priority,
            actor=None,
            locked=True,
            by="routing rule",
        )
        return f"priority set to {Conversation.Priority(action.priority).label.lower()}"
    if kind == RuleAction.Kind.ADD_TAGS:
        names = conversation_services.add_tags(conversation=conversation, names=action.tags)
        return f"tagged {', '.join(names)}"
    if kind == RuleAction.Kind.AUTO_REPLY:
        try:
            send_auto_reply(conversation=conversation, text=action.reply_text)
        except ApplicationError as exc:
            return f"auto-reply not sent: {exc.message}"
        outcome.auto_replies += 1
        return "auto-reply sent"
    if kind == RuleAction.Kind.HAND_TO_BOT:
        outcome.handed_to_bot = True
        return "handed to the bot"
    if kind == RuleAction.Kind.STOP:
        return "stopped processing further rules"
    return kind


def _set_team(conversation: Conversation, team: Team, *, reason: str) -> None:
    conversation_services.assign_team(
        conversation=conversation, team=team, actor=None, locked=True, reason=reason
    )


def _assign(conversation: Conversation, agent: AbstractBaseUser | None) -> None:
    conversation_services.assign_conversation(
        conversation=conversation, agent=agent, actor=None, locked=True, by="routing"
    )


def assign_from_team(*, conversation: Conversation, team_id: int) -> int | None:
    """Give the conversation to an online member with free capacity, by the team's
    strategy; otherwise it stays in the team queue. Returns the assignee's id.

    Precondition: inside a transaction with the conversation row locked. Locks the team
    row and then the online members' profiles in id order (the one lock order every
    assigner uses), so concurrent assigners never exceed a capacity. A conversation a
    higher app holds (`routing.hooks`) stays in the queue.
    """
    if hooks.held_from_assignment(conversation):
        return None
    return _assign_from_team(conversation=conversation, team_id=team_id)[0]


def _assign_from_team(*, conversation: Conversation, team_id: int) -> tuple[int | None, bool]:
    """`assign_from_team`, also telling whether any member still has room afterwards."""
    team = Team.objects.select_for_update().get(pk=team_id)
    if team.assignment_strategy == Team.Strategy.MANUAL:
        return None, False
    candidates = selectors.load_candidates(
        team_id=team.pk, channel=conversation.last_channel, lock=True
    )
    skills_matter = team.assignment_strategy == Team.Strategy.SKILLS
    choice = strategies.choose(
        strategy=team.assignment_strategy,
        candidates=candidates,
        last_assigned_id=team.last_assigned_agent_id,
        wanted_skills=selectors.wanted_skills(conversation) if skills_matter else frozenset(),
        language=conversation.customer.language if skills_matter else "",
    )
    if choice.user_id is None:
        publish_on_commit({"type": QUEUE_CHANGED, "team_id": team.pk}, [SUPERVISORS_GROUP])
        # Channel limits and skills differ per conversation; only a team whose members
        # are all at their overall capacity is full for every conversation.
        return None, any(c.load < c.capacity for c in candidates)
    chosen = next(c for c in candidates if c.user_id == choice.user_id)
    agent = get_user_model()(pk=chosen.user_id, username=chosen.username)
    _assign(conversation, agent)
    if team.assignment_strategy == Team.Strategy.ROUND_ROBIN:
        team.last_assigned_agent_id = agent.pk
        team.save(update_fields=["last_assigned_agent"])
    room_left = any(
        c.load + (1 if c.user_id == chosen.user_id else 0) < c.capacity for c in candidates
    )
    return agent.pk, room_left


def assign_waiting(*, team_id: int) -> int:
    """Assign the team's queue (highest priority, then longest waiting, first) to agents
    with free capacity. Returns how many were assigned. Runs in its own transaction:
    call it after commit (see `schedule_queue_drain`)."""
    assigned = 0
    with transaction.atomic():
        team = Team.objects.select_for_update().filter(pk=team_id).first()
        if team is None or team.assignment_strategy == Team.Strategy.MANUAL:
            return 0
        probe = selectors.load_candidates(team_id=team.pk, channel="", lock=True)
        room = sum(max(c.capacity - c.load, 0) for c in probe)
        if room == 0:
            return 0
        queue = (
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(team_id=team.pk, assignee__isnull=True, status=Conversation.Status.OPEN)
            .select_related("customer", "endpoint")
            .order_by("-priority", "waiting_since", "created_at", "id")
        )
        # Rows another transaction holds are skipped: it is routing them right now.
        # Held conversations (the bot is talking) keep their place and cost no attempt;
        # at most room * 2 of the others are tried, as channel limits and skills may
        # leave some unassignable.
        attempts, seen, chunk = room * 2, [], room * 2
        while attempts > 0:
            waiting = list(queue.exclude(pk__in=seen)[:chunk])
            if not waiting:
                break
            seen += [c.pk for c in waiting]
            chunk = max(room * 2, HELD_SCAN_CHUNK)
            held = hooks.held_from_assignment_many(waiting)
            for conversation in (c for c in waiting if c.pk not in held):
                chosen, room_left = _assign_from_team(conversation=conversation, team_id=team.pk)
                assigned += chosen is not None
                attempts -= 1
                if not room_left or attempts == 0:
                    return assigned
    return assigned


def schedule_queue_drain(*, team_ids: list[int]) -> None:
    """After commit, try to assign each team's waiting conversations (one task per team,
    each in its own transaction, so lock order stays team -> profiles)."""
    from routing.tasks import assign_waiting_conversations

    for team_id in sorted(set(team_ids)):
        transaction.on_commit(
            lambda team_id=team_id: assign_waiting_conversations.delay(team_id), robust=True
        )


# --- Auto-reply -------------------------------------------------------------------------------


def send_auto_reply(*, conversation: Conversation, text: str) -> Message:
    """A bot message on the channel the customer wrote on, delivered after commit like any
    reply (email auto-replies join the thread). It is not an agent's response: the
    first-response and next-response SLA clocks keep running. Raises ApplicationError
    when it cannot go out (disconnected channel, closed window, no identity there, or
    an autoresponder wrote last)."""
    if not text.strip():
        raise ApplicationError("The auto-reply has no text.", fields={"reply_text": ["empty"]})
    return conversation_services.queue_outbound_message(
        conversation=conversation,
        kind=Message.Kind.BOT,
        text=text,
        sender_name="Omnidesk",
        metadata={"auto_reply": True},
    )
