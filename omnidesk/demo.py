"""The demo desk: a shop's help desk three months into its life, built through the real
services (`receive_message`, `send_reply`, `change_status`, the survey and SLA services),
so the demo exercises the code a real desk runs. Safe to re-run: nothing is added twice.

What it holds: two teams (Support: email, web chat, web form, the shop's API; Messaging:
SMS and voice, WhatsApp, Messenger, Instagram, Telegram), a supervisor and two agents,
about a hundred conversations over 90 days (`omnidesk.demo_stories`), satisfaction answers,
SLA policies with warnings and breaches on the work waiting now, routing rules to try in
the dry run, canned responses, and report data refreshed at the end.

The past is written through the services' own time parameters (`received_at=`, `at=`).
Where a service stamps the real clock (routing's events, assignments, notes, a survey's
sending), `_settle` moves what the step wrote to the step's moment afterwards: this is
seed data, not a path a user takes. Messages "sent" in the past are marked delivered
before their transaction commits, so the delivery task skips them and nothing leaves the
machine.
"""

from __future__ import annotations

import base64
import logging
import random
import struct
import time as clock
import zlib
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from agents.models import AgentProfile, BusinessHours, BusinessHoursInterval, Team
from channels_app.email_parsing import subject_token
from channels_app.models import ChannelEndpoint, EndpointGrant
from channels_app.types import InboundAttachment, InboundMessage
from conversations import services as conversation_services
from conversations.models import CannedResponse, Conversation, ConversationEvent, Message, Tag
from customers.attributes import create_definition
from customers.models import AttributeDefinition, Customer
from knowledge import services as knowledge_services
from macros.demo import ensure_demo_macros
from omnidesk import demo_stories as stories
from omnidesk.demo_content import BRAND, CANNED_RESPONSES, SUPPORT_ADDRESS, Person
from omnidesk.errors import ApplicationError
from outreach import services as outreach_services
from reporting import services as reporting_services
from reporting.models import CsatSurvey
from routing import services as routing_services
from routing.models import EscalationRule, RoutingRule, RuleAction, RuleCondition, SlaPolicy

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "omnidesk-demo"
TAGS = ("billing", "shipping", "returns", "warranty", "damaged", "vip", "urgent", "advice")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    teams: str


@dataclass(frozen=True)
class DemoSummary:
    logins: list[DemoLogin]
    added: int  # stories played this run (0: the demo was already there)
    conversations: int
    first_at: datetime | None
    seconds: float


def seed_demo_data(*, seed: int = 7, now: datetime | None = None) -> DemoSummary:
    """Create the demo desk, or complete it; a desk already seeded is left as it is."""
    started = clock.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        desk = _Desk.set_up()
    plan = sorted(
        [
            *stories.history(rng=random.Random(seed), now=now),
            *stories.showcase(now=now),
        ],
        key=lambda story: story.start,
    )
    added = 0
    if not _already_seeded(plan):
        played = _played_keys(plan)
        player = _Player(desk)
        for story in plan:
            if story.key not in played:
                player.play(story)
                added += 1
        # The waiting work's SLA warnings and breaches, as the periodic scan finds them.
        routing_services.scan_escalations(now=timezone.now())
        _date_customers_by_first_contact()
    knowledge_services.load_demo_articles()  # the help center's articles (idempotent)
    outreach_services.load_demo_templates()  # notification templates (idempotent)
    reporting_services.refresh_report_data()
    first = Conversation.objects.aggregate(first=Min("created_at"))["first"]
    return DemoSummary(
        logins=desk.logins,
        added=added,
        conversations=Conversation.objects.count(),
        first_at=first,
        seconds=clock.monotonic() - started,
    )


def _provider_id(story: stories.Story, index: int) -> str:
    """A stable provider id per message of a story: a second run finds each one stored.
    A call's is its CallSid, as Twilio gives it."""
    step = story.steps[index]
    base = f"demo-{story.key}-{index}"
    if isinstance(step, stories.Says) and step.call:
        return "CA" + format(zlib.crc32(base.encode()), "08x") * 4
    return base


def _stored(provider_ids: list[str]) -> set[str]:
    return set(
        Message.objects.filter(
            direction=Message.Direction.INBOUND, provider_message_id__in=provider_ids
        ).values_list("provider_message_id", flat=True)
    )


def _already_seeded(plan: list[stories.Story]) -> bool:
    """The latest story is played last: once it is stored, the whole demo is."""
    return bool(_stored([_provider_id(plan[-1], 0)]))


def _played_keys(plan: list[stories.Story]) -> set[str]:
    """Stories stored by an earlier, interrupted run (each story is one transaction)."""
    first_ids = {_provider_id(story, 0): story.key for story in plan}
    return {first_ids[provider_id] for provider_id in _stored(list(first_ids))}


# --- The desk: channels, teams, people, rules ----------------------------------------------

ENDPOINTS = {
    "api": ("Shop (order system)", {}),
    "email": (SUPPORT_ADDRESS, {"address": SUPPORT_ADDRESS, "display_name": BRAND}),
    "sms": (
        "+1 415 555 0100 (SMS and voice)",
        {"phone_number": "+14155550100", "voice": {"mode": "voicemail"}},
    ),
    "whatsapp": ("WhatsApp +1 415 555 0100", {"phone_number_id": "demo"}),
    "messenger": ("Messenger: Northwind Outdoor", {"page_id": "demo"}),
    "instagram": ("Instagram: @northwind.outdoor", {"page_id": "demo"}),
    "telegram": ("Telegram: @NorthwindOutdoorBot", {}),
    "webchat": ("Website chat", {"allowed_origins": ["http://127.0.0.1:8000"]}),
    "webform": ("Contact form", {"default_subject": "Contact form"}),
}
TEAMS = {
    "Support": ("email", "webchat", "webform", "api"),
    "Messaging": ("sms", "whatsapp", "messenger", "instagram", "telegram"),
}
PEOPLE_AT_WORK = (
    ("supervisor", "Sam", "Rivera", AgentProfile.Role.SUPERVISOR, ("Support", "Messaging")),
    ("alice", "Alice", "Martin", AgentProfile.Role.AGENT, ("Support",)),
    ("bob", "Bob", "Chen", AgentProfile.Role.AGENT, ("Messaging",)),
)


@dataclass
class _Desk:
    endpoints: dict[str, ChannelEndpoint]
    teams: dict[str, Team]
    users: dict[str, AbstractBaseUser]
    logins: list[DemoLogin]

    @classmethod
    def set_up(cls) -> _Desk:
        endpoints = {}
        for kind, (name, config) in ENDPOINTS.items():
            endpoints[kind], _ = ChannelEndpoint.objects.get_or_create(
                kind=kind, name=name, defaults={"config": config}
            )
        support_hours = _hours("Support hours", weekdays=range(5), opens=time(8), closes=time(18))
        around_the_clock = _hours("Around the clock", weekdays=range(7), opens=time(0))
        teams = {}
        for name, kinds in TEAMS.items():
            teams[name], _ = Team.objects.get_or_create(name=name)
            teams[name].endpoints.add(*(endpoints[kind] for kind in kinds))
        if teams["Support"].business_hours_id is None:
            teams["Support"].business_hours = support_hours
            teams["Support"].save(update_fields=["business_hours"])
        users, logins = _people_at_work(teams)
        # The demo shop's order system posts with the supervisor's token, and vouches for
        # who its customers are: its own users, behind its own login.
        EndpointGrant.objects.get_or_create(
            endpoint=endpoints["api"],
            user=users["supervisor"],
            defaults={"trusted_for_identity": True},
        )
        _tags_and_canned_responses(teams)
        ensure_demo_macros(teams=teams, owner=users["supervisor"])
        _attribute_definitions()
        _routing_rules(teams)
        _sla_policies(teams, around_the_clock)
        return cls(endpoints=endpoints, teams=teams, users=users, logins=logins)


def _hours(name: str, *, weekdays: range, opens: time, closes: time = time(0)) -> BusinessHours:
    hours, created = BusinessHours.objects.get_or_create(name=name, defaults={"timezone": "UTC"})
    if created:
        BusinessHoursInterval.objects.bulk_create(
            BusinessHoursInterval(business_hours=hours, weekday=day, opens=opens, closes=closes)
            for day in weekdays
        )
    return hours


def _people_at_work(teams: dict[str, Team]) -> tuple[dict[str, AbstractBaseUser], list[DemoLogin]]:
    User = get_user_model()
    users, logins = {}, []
    password = None
    for username, first, last, role, team_names in PEOPLE_AT_WORK:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.omnidesk"},
        )
        if created:
            # One hash for the demo's one password: each costs a third of a second.
            password = password or make_password(DEMO_PASSWORD)
            user.password = password
            user.is_staff = role == AgentProfile.Role.SUPERVISOR
            user.save()
        AgentProfile.objects.update_or_create(user=user, defaults={"role": role})
        for name in team_names:
            teams[name].members.add(user)
        if user.is_staff:
            # The admin's routing pages: rules and their dry run, SLA policies, teams.
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label__in=[
                        "agents",
                        "routing",
                        "conversations",
                        "customers",
                        "channels_app",
                    ]
                )
            )
        users[username] = user
        logins.append(DemoLogin(username, role, ", ".join(team_names)))
    return users, logins


def _attribute_definitions() -> None:
    """Typed attributes the demo's data uses (`tier`) and a few more to fill in."""
    for key, label, kind, applies_to, choices in (
        ("tier", "Tier", "choice", "customer", ["standard", "VIP"]),
        ("seats", "Seats", "number", "customer", []),
        ("renewal_date", "Renewal date", "date", "customer", []),
        ("order_id", "Order", "text", "conversation", []),
        ("refund_approved", "Refund approved", "boolean", "conversation", []),
    ):
        if not AttributeDefinition.objects.filter(key=key, applies_to=applies_to).exists():
            create_definition(
                key=key, label=label, type=kind, applies_to=applies_to, choices=choices
            )


def _tags_and_canned_responses(teams: dict[str, Team]) -> None:
    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    for shortcut, title, text, team in CANNED_RESPONSES:
        CannedResponse.objects.get_or_create(
            shortcut=shortcut,
            defaults={"title": title, "text": text, "team": teams.get(team)},
        )


MESSAGING_KINDS = "sms, whatsapp, messenger, instagram, telegram"


def _routing_rules(teams: dict[str, Team]) -> None:
    """Rules a supervisor can read and try in the dry run (admin, Routing rules). Each
    is (name, match, conditions, actions, active)."""
    F, Op, A = RuleCondition.Field, RuleCondition.Operator, RuleAction.Kind
    urgent_words = "urgent, asap, emergency, chargeback, lawyer"
    billing_words = "refund, charged, invoice, VAT, payment, receipt"
    rules = [
        (
            "Urgent wording: urgent priority",
            RoutingRule.Match.ANY,
            [
                (F.TEXT, Op.ANY_KEYWORD, "", urgent_words),
                (F.SUBJECT, Op.ANY_KEYWORD, "", urgent_words),
            ],
            [(A.SET_PRIORITY, {"priority": 3}), (A.ADD_TAGS, {"tags": "urgent"})],
            True,
        ),
        (
            "VIP customers: high priority",
            RoutingRule.Match.ALL,
            [(F.CUSTOMER_ATTRIBUTE, Op.IS, "tier", "VIP")],
            [(A.SET_PRIORITY, {"priority": 2}), (A.ADD_TAGS, {"tags": "vip"})],
            True,
        ),
        (
            "Billing questions: tag billing",
            RoutingRule.Match.ANY,
            [
                (F.TEXT, Op.ANY_KEYWORD, "", billing_words),
                (F.SUBJECT, Op.ANY_KEYWORD, "", billing_words),
            ],
            [(A.ADD_TAGS, {"tags": "billing"})],
            True,
        ),
        (
            "Invoices asked for on messaging go to Support",
            RoutingRule.Match.ALL,
            [
                (F.CHANNEL, Op.IS, "", MESSAGING_KINDS),
                (F.TEXT, Op.ANY_KEYWORD, "", "invoice, VAT"),
            ],
            [(A.ASSIGN_TEAM, {"team": teams["Support"]})],
            True,
        ),
        (
            "Social messages: instant acknowledgement",
            RoutingRule.Match.ALL,
            [(F.CHANNEL, Op.IS, "", "messenger, instagram")],
            [
                (
                    A.AUTO_REPLY,
                    {
                        "reply_text": "Thanks for your message! Someone from our team will "
                        "answer right here, usually within 15 minutes (8am-8pm)."
                    },
                )
            ],
            True,
        ),
        (
            "Shipping questions: tag shipping",
            RoutingRule.Match.ANY,
            [(F.TEXT, Op.ANY_KEYWORD, "", "tracking, delivery, courier, parcel, dispatched")],
            [(A.ADD_TAGS, {"tags": "shipping"})],
            True,
        ),
        (
            "After hours on WhatsApp: auto-reply (switched off)",
            RoutingRule.Match.ALL,
            [(F.CHANNEL, Op.IS, "", "whatsapp"), (F.BUSINESS_HOURS, Op.IS, "", "outside")],
            [
                (
                    A.AUTO_REPLY,
                    {
                        "reply_text": "Thanks! We're closed right now and will reply first "
                        "thing in the morning."
                    },
                )
            ],
            False,
        ),
    ]
    for position, (name, match, conditions, actions, active) in enumerate(rules, start=1):
        rule, created = RoutingRule.objects.get_or_create(
            name=name,
            defaults={"position": position * 10, "match": match, "is_active": active},
        )
        if not created:
            continue
        RuleCondition.objects.bulk_create(
            RuleCondition(rule=rule, field=field, operator=operator, key=key, value=value)
            for field, operator, key, value in conditions
        )
        RuleAction.objects.bulk_create(
            RuleAction(rule=rule, kind=kind, **values) for kind, values in actions
        )
        # Routing caches compiled rules by their newest `updated_at`: touch it now that
        # the conditions and actions are in.
        rule.save(update_fields=["updated_at"])


def _sla_policies(teams: dict[str, Team], around_the_clock: BusinessHours) -> None:
    policies = [
        # name, position, values
        (
            "Urgent: 30 minutes",
            10,
            {
                "priority": 3,
                "first_response_minutes": 30,
                "next_response_minutes": 60,
                "resolution_minutes": 8 * 60,
                "business_hours": around_the_clock,
            },
        ),
        (
            "Web chat: 5 minutes",
            20,
            {
                "team": teams["Support"],
                "channel": "webchat",
                "first_response_minutes": 5,
                "next_response_minutes": 10,
                "resolution_minutes": 24 * 60,
                "business_hours": around_the_clock,
            },
        ),
        (
            "Messaging: 15 minutes",
            30,
            {
                "team": teams["Messaging"],
                "first_response_minutes": 15,
                "next_response_minutes": 30,
                "resolution_minutes": 24 * 60,
            },
        ),
        (
            "Support: 4 business hours",
            40,
            {
                "team": teams["Support"],
                "first_response_minutes": 4 * 60,
                "next_response_minutes": 8 * 60,
                "resolution_minutes": 3 * 10 * 60,
            },
        ),
    ]
    for name, position, values in policies:
        policy, created = SlaPolicy.objects.get_or_create(
            name=name, defaults={"position": position, **values}
        )
        if created:
            # No email to supervisors: the demo has no mail server, and its console would
            # print every message. The timeline shows each warning and breach.
            EscalationRule.objects.create(
                policy=policy,
                target=EscalationRule.Target.ANY,
                trigger=EscalationRule.Trigger.BREACH,
                raise_priority_to=Conversation.Priority.HIGH,
                notify_supervisors=False,
            )


# --- Playing a story through the services ------------------------------------------------------

# How far a message the demo "sent" in the past got: read receipts where the app has them.
DELIVERED = {
    "whatsapp": Message.DeliveryStatus.READ,
    "messenger": Message.DeliveryStatus.READ,
    "instagram": Message.DeliveryStatus.READ,
    "sms": Message.DeliveryStatus.DELIVERED,
    "telegram": Message.DeliveryStatus.DELIVERED,
}


class _Player:
    def __init__(self, desk: _Desk) -> None:
        self.desk = desk

    def play(self, story: stories.Story) -> None:
        """One story in one transaction: all of it is stored, or none."""
        with transaction.atomic():
            run = _Run(self.desk, story)
            for index, step in enumerate(story.steps):
                run.do(index, step)


class _Run:
    def __init__(self, desk: _Desk, story: stories.Story) -> None:
        self.desk = desk
        self.story = story
        self.conversation_id: int | None = None

    def user(self, username: str = "") -> AbstractBaseUser:
        return self.desk.users[username or self.story.agent]

    def conversation(self) -> Conversation:
        return Conversation.objects.select_related("customer").get(pk=self.conversation_id)

    def do(self, index: int, step: stories.Step) -> None:
        if isinstance(step, stories.Says):
            self.says(index, step)
        elif isinstance(step, stories.Replies):
            endpoint = self.desk.endpoints[step.channel] if step.channel else None
            try:
                conversation_services.send_reply(
                    conversation=self.conversation(),
                    author=self.user(step.agent),
                    text=step.text,
                    endpoint=endpoint,
                    at=step.at,
                )
            except ApplicationError as exc:  # a channel's policy; the story goes on
                logger.debug("demo reply refused: %s", exc.message)
        elif isinstance(step, stories.Takes):
            agent = self.user(step.agent)
            conversation_services.assign_conversation(
                conversation=self.conversation(), agent=agent, actor=agent
            )
        elif isinstance(step, stories.Notes):
            conversation_services.add_note(
                conversation=self.conversation(), author=self.user(step.agent), text=step.text
            )
        elif isinstance(step, stories.Tags):
            conversation = self.conversation()
            current = list(conversation.tags.values_list("name", flat=True))
            conversation_services.set_tags(
                conversation=conversation, names=[*current, *step.names], actor=self.user()
            )
        elif isinstance(step, stories.Links):
            try:
                conversation_services.add_customer_identity(
                    conversation=self.conversation(),
                    actor=self.user(),
                    kind=step.kind,
                    value=step.value,
                )
            except ApplicationError as exc:
                logger.debug("demo identity not added: %s", exc.message)
        elif isinstance(step, stories.Moves):
            conversation_services.assign_team(
                conversation=self.conversation(),
                team=self.desk.teams[step.team],
                actor=self.user(),
            )
        elif isinstance(step, stories.Sets):
            self.sets(step)
        elif isinstance(step, stories.Rates):
            self.rates(index, step)
        if self.conversation_id is not None:
            _settle(self.conversation_id, step.at, **SETTLES[type(step)])

    def says(self, index: int, step: stories.Says) -> None:
        endpoint = self.desk.endpoints[step.channel]
        person = self.story.person
        identities = step.identities or _identities(person, step.channel)
        thread = self.email_thread() if step.channel == "email" else None
        text = step.text
        if thread is not None and thread.quote:
            text = f"{text}\n\n{thread.quote}"
        subject = step.subject
        if step.channel == "email" and thread is None and self.conversation_id is not None:
            # Moving to email from a chat, the customer answers an email of ours, which
            # carries the conversation's number: the email continues the conversation
            # (docs/continuity.md, rule 2) rather than opening one of its own.
            subject = f"{subject} {subject_token(self.conversation_id)}".strip()
        attributes = dict(person.attributes) if step.channel == "api" else {}
        metadata: dict = {}
        kind = "message"
        provider_id = _provider_id(self.story, index)
        if step.call:
            kind = "call"
            text = f"Incoming call from {person.phone}"
            metadata = {
                "call": {
                    "sid": provider_id,
                    "status": "ringing",
                    "direction": "inbound",
                    "to": ENDPOINTS["sms"][1]["phone_number"],
                    "handling": "voicemail",
                }
            }
        if step.form:
            kind = "form"
            attributes = {"company": step.form.get("company", "")}
            metadata = {
                "form": {
                    "fields": dict(step.form),
                    "page": "https://northwind-outdoor.example/contact",
                }
            }
        inbound = InboundMessage(
            provider_id=provider_id,
            identities=identities,
            text=text,
            sender_name=person.name,
            subject=subject,
            kind=kind,
            attributes=attributes,
            email_message_id=(
                f"<demo.{self.story.key}.{index}@{person.email.rpartition('@')[2]}>"
                if step.channel == "email"
                else ""
            ),
            email_in_reply_to=thread.in_reply_to if thread else "",
            email_references=thread.references if thread else (),
            attachments=_attachments(step.attachment),
            metadata=metadata,
        )
        message = conversation_services.receive_message(
            endpoint=endpoint, inbound=inbound, received_at=step.at
        )
        self.conversation_id = message.conversation_id
        if step.call:
            _voicemail(endpoint, provider_id, step.call)

    def email_thread(self) -> _Thread | None:
        if self.conversation_id is None:
            return None
        emails = list(
            Message.objects.filter(conversation_id=self.conversation_id)
            .exclude(email_message_id="")
            .order_by("created_at", "id")
        )
        if not emails:
            return None
        last = emails[-1]
        quote = ""
        if last.direction == Message.Direction.OUTBOUND:
            when = timezone.localtime(last.created_at)
            header = (
                f"On {when:%a, %d %b %Y} at {when:%H:%M}, "
                f"{last.sender_name} <{SUPPORT_ADDRESS}> wrote:"
            )
            quote = (
                header + "\n" + "\n".join(f"> {line}".rstrip() for line in last.text.splitlines())
            )
        return _Thread(
            in_reply_to=last.email_message_id,
            references=tuple(m.email_message_id for m in emails),
            quote=quote,
        )

    def sets(self, step: stories.Sets) -> None:
        conversation = conversation_services.change_status(
            conversation=self.conversation(),
            status=step.status,
            actor=self.user(),
            snoozed_until=step.until,
            at=step.at,
        )
        if conversation.status == Conversation.Status.RESOLVED:
            # The survey the resolution hook would send after commit, sent here instead
            # so that `_settle` dates it with the resolution and marks it delivered (the
            # hook then finds it sent and does nothing).
            reporting_services.on_conversation_resolved(conversation.pk)

    def rates(self, index: int, step: stories.Rates) -> None:
        survey = (
            CsatSurvey.objects.filter(conversation_id=self.conversation_id, response__isnull=True)
            .select_related("endpoint")
            .order_by("-resolution_number")
            .first()
        )
        if survey is None:  # not sent (a channel's policy refused it)
            return
        if survey.method == CsatSurvey.Method.KEYWORD and survey.endpoint is not None:
            # The customer replies with a bare digit, as a messaging app user does.
            conversation_services.receive_message(
                endpoint=survey.endpoint,
                inbound=InboundMessage(
                    provider_id=_provider_id(self.story, index),
                    identities=_identities(self.story.person, survey.endpoint.kind),
                    text=str(step.score),
                    sender_name=self.story.person.name,
                ),
                received_at=step.at,
            )
        else:
            reporting_services.record_survey_answer(
                survey=survey,
                score=step.score,
                comment=step.comment,
                channel=survey.channel,
                at=step.at,
            )


@dataclass(frozen=True)
class _Thread:
    in_reply_to: str
    references: tuple[str, ...]
    quote: str


# What each kind of step may stamp with the real clock (see `_settle`): routing's events
# and auto-replies on a customer's message, the queued reply, an assignment's or a
# label's event, a note, the resolution's survey.
SETTLES: dict[type, dict[str, bool]] = {
    stories.Says: {"events": True, "messages": True},
    stories.Replies: {"messages": True},
    stories.Takes: {"events": True},
    stories.Notes: {"messages": True},
    stories.Tags: {"events": True},
    stories.Links: {"events": True},
    stories.Moves: {"events": True},
    stories.Sets: {"events": True, "messages": True, "surveys": True},
    stories.Rates: {},
}


def _settle(
    conversation_id: int,
    at: datetime,
    *,
    events: bool = False,
    messages: bool = False,
    surveys: bool = False,
) -> None:
    """Move what the step just wrote with the real clock to the step's moment `at`, and
    mark the messages it queued as delivered then.

    Everything a story writes happens at or before its step's moment, so on this
    conversation a row dated after `at` was stamped by the clock during this step
    (routing's events, an assignment, a note, a survey). The messages are marked before
    the transaction commits: the delivery task, run after commit, skips a message that
    is no longer queued, so the demo's past messages never go out."""
    if events:
        ConversationEvent.objects.filter(conversation_id=conversation_id, created_at__gt=at).update(
            created_at=at
        )
    if surveys:
        CsatSurvey.objects.filter(conversation_id=conversation_id, sent_at__gt=at).update(
            sent_at=at
        )
    if not messages:
        return
    changed = Message.objects.filter(conversation_id=conversation_id).filter(
        Q(created_at__gt=at) | Q(delivery_status=Message.DeliveryStatus.QUEUED)
    )
    for message in changed.select_related("endpoint"):
        message.created_at = min(message.created_at, at)
        fields = ["created_at"]
        if message.delivery_status == Message.DeliveryStatus.QUEUED:
            kind = message.endpoint.kind if message.endpoint else ""
            message.delivery_status = DELIVERED.get(kind, Message.DeliveryStatus.SENT)
            message.sent_at = message.created_at
            message.provider_message_id = f"demo-out-{message.pk}"
            fields += ["delivery_status", "sent_at", "provider_message_id"]
            if kind == "email":
                # The Message-ID the email adapter gives what it sends, so a customer's
                # reply threads under it.
                domain = SUPPORT_ADDRESS.rpartition("@")[2]
                message.email_message_id = (
                    f"<omnidesk-message-{message.pk}.{message.conversation_id}@{domain}>"
                )
                fields.append("email_message_id")
        message.save(update_fields=fields)


def _identities(person: Person, channel: str) -> dict[str, str]:
    """What a message on `channel` from `person` carries, as each provider sends it."""
    if channel == "email":
        return {"email": person.email}
    if channel == "webform":
        return {"email": person.email, **({"phone": person.phone} if person.phone else {})}
    if channel == "api":
        external = f"shop-{zlib.crc32(person.name.encode()) % 10000:04d}"
        values = {"email": person.email, "phone": person.phone, "external": external}
        return {kind: value for kind, value in values.items() if value}
    if channel in ("sms", "whatsapp"):
        return {"phone": person.phone}
    return {channel: getattr(person, channel)}


def _voicemail(endpoint: ChannelEndpoint, call_sid: str, words: str) -> None:
    """Twilio's later callbacks about the call: answered by voicemail, recorded, then
    transcribed; each one lands on the call's timeline item."""
    recording_sid = "RE" + call_sid[2:]
    account = "AC" + "0" * 32
    for update in (
        {"status": "completed", "duration": str(20 + len(words) // 12)},
        {
            "recording_sid": recording_sid,
            "recording_url": (
                f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/"
                f"{recording_sid}.mp3"
            ),
            "recording_duration": str(10 + len(words) // 14),
        },
        {"transcription": words, "transcription_status": "completed"},
    ):
        conversation_services.record_call_update(endpoint=endpoint, call_sid=call_sid, call=update)


def _attachments(kind: str) -> tuple[InboundAttachment, ...]:
    if kind == "photo":
        return (
            InboundAttachment(
                filename="broken-zip.png",
                content_type="image/png",
                content_b64=base64.b64encode(_photo_png()).decode(),
            ),
        )
    if kind == "pdf":
        return (
            InboundAttachment(
                filename="order-confirmation-NW-10488.pdf",
                content_type="application/pdf",
                content_b64=base64.b64encode(_order_pdf()).decode(),
            ),
        )
    return ()


def _photo_png(width: int = 240, height: int = 160) -> bytes:
    """A small drawing of a jacket's zip with its slider off, as the customer's photo."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            colour = (46, 94, 78)  # the jacket's green
            if 112 <= x <= 128 and y < 150:
                colour = (38, 38, 38) if (y // 4) % 2 else (160, 160, 160)  # the teeth
                if y > 95 and x > 120:
                    colour = (46, 94, 78)  # teeth missing below the break
            if 138 <= x <= 168 and 100 <= y <= 128:
                colour = (190, 190, 196)  # the slider, off the track
            row += bytes(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def _order_pdf() -> bytes:
    """A one-page order confirmation, as a customer forwards it."""
    lines = [
        f"{BRAND} - Order confirmation NW-10488",
        "Highline Guides Ltd",
        "2 x Summit 45 backpack       2 x 149.00",
        "1 x Ember camp stove         1 x  59.00",
        "Total                            357.00",
    ]
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _date_customers_by_first_contact() -> None:
    """A customer record is as old as its first conversation (the records were created
    today, while the demo wrote their past)."""
    first = (
        Conversation.objects.filter(customer=OuterRef("pk"))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    Customer.objects.filter(pk__in=Conversation.objects.values("customer_id")).update(
        created_at=Subquery(first)
    )
