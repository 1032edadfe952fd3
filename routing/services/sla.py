"""SLA due times (in business time, paused while the ball is in the customer's court)
and the escalation scan that fires warnings and breaches once each."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.business_hours import Schedule, add_business_time, business_seconds_between
from agents.models import AgentProfile
from agents.selectors import SUPERVISORS_GROUP
from conversations import services as conversation_services
from conversations.models import Conversation, ConversationEvent
from conversations.services.actions import DUE_FIELDS, MET_DUE_FIELDS
from omnidesk.bulk import update_rows
from omnidesk.realtime import publish_on_commit
from routing import selectors
from routing.models import EscalationFire, EscalationRule, SlaClock, SlaPolicy, SlaTarget
from routing.services.assignment import assign_from_team

logger = logging.getLogger(__name__)

SLA_ESCALATED = "sla.escalated"


@dataclass(frozen=True)
class Checkpoint:
    target: str
    kind: str  # "warning" or "breach"
    at: datetime
    due_at: datetime
    cycle_started_at: datetime


def apply_sla(*, conversation: Conversation, now: datetime | None = None) -> None:
    """Recompute the conversation's SLA due times after anything that moves them (a
    customer message, a reply, a status or priority change) and store them on the
    conversation; schedule the next escalation check.

    Precondition: inside a transaction with the conversation row locked; `conversation`
    holds the state just saved.
    """
    apply_sla_many(changes=[(conversation, now or timezone.now())])


def apply_sla_many(*, changes: Sequence[tuple[Conversation, datetime]]) -> None:
    """`apply_sla` for several conversations, each at its own moment, with the policies,
    schedules and clocks read once and only changed rows written back."""
    if not changes:
        return
    _attach_clocks([conversation for conversation, _ in changes])
    policies = selectors.active_sla_policies()
    schedules: dict[tuple[int | None, int | None], Schedule] = {}
    changed_dues: list[Conversation] = []
    changed_clocks: list[SlaClock] = []
    for conversation, now in changes:
        clock = conversation.sla_clock
        before = _clock_state(clock)
        policy = selectors.policy_for(conversation=conversation, policies=policies)
        schedule = None
        if policy is not None:
            key = (
                policy.business_hours_id,
                None if policy.business_hours_id else conversation.team_id,
            )
            if key not in schedules:
                schedules[key] = selectors.sla_schedule(policy=policy, team_id=conversation.team_id)
            schedule = schedules[key]
        running = conversation.status == Conversation.Status.OPEN
        paused_before = clock.paused_since
        if running and clock.paused_since is not None:
            if schedule is not None:
                clock.paused_seconds += max(
                    business_seconds_between(clock.paused_since, now, schedule), 0
                )
            clock.paused_since = None
        elif not running and clock.paused_since is None:
            clock.paused_since = now
        if conversation.waiting_since != clock.wait_started_at:
            clock.wait_started_at = conversation.waiting_since
            clock.wait_paused_base = clock.paused_seconds
        checkpoints = _checkpoints(conversation, clock, policy, schedule) if schedule else []
        dues = {f"{c.target}_due_at": c.due_at for c in checkpoints if c.kind == "breach"}
        # Only a target that ran under a policy before this change can have been met by it.
        if policy is not None and schedule is not None and clock.policy_id is not None:
            dues |= _met_due_times(conversation, clock, policy, schedule, paused_before, now)
        fields = DUE_FIELDS + tuple(name for name in MET_DUE_FIELDS if name in dues)
        if any(getattr(conversation, name) != dues.get(name) for name in fields):
            for name in fields:
                setattr(conversation, name, dues.get(name))
            changed_dues.append(conversation)
        clock.policy = policy
        clock.last_status = conversation.status
        clock.next_check_at = _next_check(conversation, checkpoints)
        if _clock_state(clock) != before:
            changed_clocks.append(clock)
    conversation_services.store_due_times(changed_dues)
    update_rows(changed_clocks, CLOCK_FIELDS)


CLOCK_FIELDS = (
    "policy",
    "paused_seconds",
    "paused_since",
    "wait_started_at",
    "wait_paused_base",
    "last_status",
    "next_check_at",
)


def _clock_state(clock: SlaClock) -> tuple:
    return (clock.policy_id, *(getattr(clock, name) for name in CLOCK_FIELDS[1:]))


def _attach_clocks(conversations: Sequence[Conversation]) -> None:
    """Give every conversation its `sla_clock` (one query for those not yet holding it),
    creating the missing ones."""
    missing = [c for c in conversations if _cached_clock(c) is None]
    if not missing:
        return
    found = SlaClock.objects.in_bulk([c.pk for c in missing])
    created = []
    for conversation in missing:
        clock = found.get(conversation.pk)
        if clock is None:
            clock = SlaClock(conversation=conversation)
            created.append(clock)
        conversation.sla_clock = clock
    # Clocks are created only under the conversation's row lock, so no one races us here.
    SlaClock.objects.bulk_create(created)


def _cached_clock(conversation: Conversation) -> SlaClock | None:
    """The clock already loaded on the instance, without a query."""
    return Conversation.sla_clock.related.get_cached_value(conversation, default=None)


def _checkpoints(
    conversation: Conversation,
    clock: SlaClock,
    policy: SlaPolicy | None,
    schedule: Schedule,
) -> list[Checkpoint]:
    """Warning and breach moments of every target that currently runs."""
    if policy is None or conversation.status != Conversation.Status.OPEN:
        return []
    share = min(max(policy.warning_percentage, 1), 100) / 100
    result: list[Checkpoint] = []

    def add(target: str, start: datetime, minutes: int | None, paused: float) -> None:
        if not minutes:
            return
        seconds = minutes * 60
        due = add_business_time(start, seconds + paused, schedule)
        warn = add_business_time(start, seconds * share + paused, schedule)
        if share < 1:
            result.append(Checkpoint(target, "warning", warn, due, start))
        result.append(Checkpoint(target, "breach", due, due, start))

    created = conversation.created_at
    if conversation.first_response_at is None:
        add(
            SlaTarget.FIRST_RESPONSE,
            created,
            policy.first_response_minutes,
            clock.paused_seconds,
        )
    elif conversation.waiting_since is not None:
        add(
            SlaTarget.NEXT_RESPONSE,
            conversation.waiting_since,
            policy.next_response_minutes,
            clock.paused_seconds - clock.wait_paused_base,
        )
    add(SlaTarget.RESOLUTION, created, policy.resolution_minutes, clock.paused_seconds)
    return result


def _met_due_times(
    conversation: Conversation,
    clock: SlaClock,
    policy: SlaPolicy,
    schedule: Schedule,
    paused_before: datetime | None,
    now: datetime,
) -> dict[str, datetime]:
    """What the first response and the resolution were due at when this change met them:
    the first response when this change is the first reply (stamped with its moment), the
    resolution at each resolution (a reopened conversation is measured by its last).
    `paused_before`: when the clock stopped, if it was stopped before this change (a
    conversation resolved from snoozed or pending); that time does not count either."""
    met: dict[str, datetime] = {}
    created = conversation.created_at
    if conversation.first_response_at == now and policy.first_response_minutes:
        met["first_response_was_due_at"] = add_business_time(
            created, policy.first_response_minutes * 60 + clock.paused_seconds, schedule
        )
    if (
        conversation.status == Conversation.Status.RESOLVED
        and clock.last_status != Conversation.Status.RESOLVED
        and policy.resolution_minutes
    ):
        paused = clock.paused_seconds
        if paused_before is not None:
            paused += max(business_seconds_between(paused_before, now, schedule), 0)
        met["resolution_was_due_at"] = add_business_time(
            created, policy.resolution_minutes * 60 + paused, schedule
        )
    return met


def _fired_keys(conversation: Conversation) -> set[tuple[str, str, datetime]]:
    return set(
        EscalationFire.objects.filter(conversation=conversation).values_list(
            "target", "kind", "cycle_started_at"
        )
    )


def _next_check(conversation: Conversation, checkpoints: list[Checkpoint]) -> datetime | None:
    if not checkpoints:
        return None
    fired = _fired_keys(conversation)
    pending = [c.at for c in checkpoints if (c.target, c.kind, c.cycle_started_at) not in fired]
    return min(pending) if pending else None


# --- The escalation scan --------------------------------------------------------------------


def scan_escalations(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Fire every warning and breach that has come due. Reads only the partial index on
    `SlaClock.next_check_at`; each conversation is handled in its own short transaction
    and skipped when someone else holds it (the next scan retries). Returns the number
    of escalations fired."""
    now = now or timezone.now()
    fired = 0
    # Every pass fires at least one checkpoint per handled row, so passes are few; the
    # bound only guards against a bug turning the scan into a loop.
    for _ in range(50):
        due_ids = list(
            SlaClock.objects.filter(next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("conversation_id", flat=True)[:batch_size]
        )
        if not due_ids:
            return fired
        progressed = 0
        for conversation_id in due_ids:
            result = _check_conversation(conversation_id, now)
            if result is not None:
                fired += result
                progressed += 1
        if progressed == 0:
            return fired
    return fired


def _check_conversation(conversation_id: int, now: datetime) -> int | None:
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "endpoint")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return None
        clock = (
            SlaClock.objects.select_for_update(of=("self",))
            .select_related("policy")
            .get(pk=conversation_id)
        )
        conversation.sla_clock = clock
        policy = clock.policy
        schedule = (
            selectors.sla_schedule(policy=policy, team_id=conversation.team_id) if policy else None
        )
        checkpoints = _checkpoints(conversation, clock, policy, schedule) if schedule else []
        already = _fired_keys(conversation)
        count = 0
        for checkpoint in sorted(checkpoints, key=lambda c: c.at):
            key = (checkpoint.target, checkpoint.kind, checkpoint.cycle_started_at)
            if checkpoint.at > now or key in already:
                continue
            _fire(conversation, policy, checkpoint, now)
            already.add(key)
            count += 1
        # Actions (priority, team) may change the policy and the dues: recompute.
        apply_sla(conversation=conversation, now=now)
        return count


def _fire(
    conversation: Conversation, policy: SlaPolicy, checkpoint: Checkpoint, now: datetime
) -> None:
    EscalationFire.objects.create(
        conversation=conversation,
        target=checkpoint.target,
        kind=checkpoint.kind,
        cycle_started_at=checkpoint.cycle_started_at,
        due_at=checkpoint.due_at,
        policy=policy,
    )
    rules = list(
        EscalationRule.objects.filter(policy=policy, trigger=checkpoint.kind)
        .filter(Q(target=EscalationRule.Target.ANY) | Q(target=checkpoint.target))
        .select_related("reassign_team", "reassign_agent")
        .order_by("id")
    )
    done = []
    notify = False
    for rule in rules:
        done += _escalate(conversation, rule)
        notify = notify or rule.notify_supervisors
    target_label = SlaTarget(checkpoint.target).label.lower()
    conversation_services.record_timeline_event(
        conversation=conversation,
        kind=ConversationEvent.Kind.SLA,
        data={
            "target": checkpoint.target,
            "kind": checkpoint.kind,
            "due_at": checkpoint.due_at.isoformat(),
            "policy": policy.name,
            "actions": done,
            "text": (
                f"{target_label.capitalize()} due {checkpoint.due_at:%Y-%m-%d %H:%M} UTC "
                f"{'is close' if checkpoint.kind == 'warning' else 'was missed'}"
            ),
        },
        at=now,
    )
    conversation_services.conversation_changed(conversation)
    if notify:
        _notify_supervisors(conversation, checkpoint, policy)


def _escalate(conversation: Conversation, rule: EscalationRule) -> list[str]:
    done = []
    if rule.raise_priority_to is not None and conversation.priority < rule.raise_priority_to:
        conversation_services.set_priority(
            conversation=conversation,
            priority=rule.raise_priority_to,
            actor=None,
            locked=True,
            by="SLA escalation",
        )
        done.append(f"priority raised to {conversation.get_priority_display().lower()}")
    if rule.reassign_agent_id and rule.reassign_agent.is_active:
        conversation_services.assign_conversation(
            conversation=conversation,
            agent=rule.reassign_agent,
            actor=None,
            locked=True,
            by="SLA escalation",
        )
        done.append(f"reassigned to {rule.reassign_agent.get_username()}")
    elif rule.reassign_team_id and conversation.team_id != rule.reassign_team_id:
        conversation_services.assign_team(
            conversation=conversation,
            team=rule.reassign_team,
            actor=None,
            locked=True,
            reason="SLA escalation",
        )
        if conversation.assignee_id is not None:
            conversation_services.assign_conversation(
                conversation=conversation, agent=None, actor=None, locked=True, by="SLA escalation"
            )
        assign_from_team(conversation=conversation, team_id=rule.reassign_team_id)
        done.append(f"moved to team {rule.reassign_team.name}")
    if rule.notify_supervisors:
        done.append("supervisors notified")
    return done


def supervisor_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(
        Q(is_superuser=True)
        | Q(agent_profile__role__in=[AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN])
    )
    return sorted(set(users.values_list("email", flat=True)))


def _notify_supervisors(
    conversation: Conversation, checkpoint: Checkpoint, policy: SlaPolicy
) -> None:
    from django.conf import settings

    target_label = SlaTarget(checkpoint.target).label.lower()
    what = "warning" if checkpoint.kind == "warning" else "breach"
    publish_on_commit(
        {
            "type": SLA_ESCALATED,
            "conversation_id": conversation.pk,
            "target": checkpoint.target,
            "kind": checkpoint.kind,
            "due_at": checkpoint.due_at.isoformat(),
        },
        [SUPERVISORS_GROUP],
    )
    recipients = supervisor_emails()
    if not recipients:
        return
    link = f"{settings.OMNIDESK_PUBLIC_URL}/inbox/?conversation={conversation.pk}"
    subject = f"SLA {what}: {target_label} on conversation #{conversation.pk}"
    body = (
        f"Conversation #{conversation.pk} with {conversation.customer} "
        f"({policy.name}): the {target_label} target, due "
        f"{checkpoint.due_at:%Y-%m-%d %H:%M} UTC, "
        f"{'is close' if what == 'warning' else 'was missed'}.\n\n{link}\n"
    )

    def send() -> None:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            # The timeline event and in-app notice stand; a mail outage must not undo them.
            logger.exception("SLA email failed", extra={"conversation_id": conversation.pk})

    transaction.on_commit(send)
